"""pyfleet worker package: serves framed msgpack requests from a pyfleet node.

A node starts a worker as ``python -c <bootstrap> <path>...`` (see
spec/PROTOCOL.md, "Starting a worker"); ``python -m pyfleet.worker`` works
too. User code running inside a worker can send events back to the caller
with `pyfleet.emit` (or a function from `pyfleet.emitter`).
"""
__version__ = "0.1.0"

from .context import emit, emitter  # (imports no msgpack: see worker's check)

__all__ = ["__version__", "emit", "emitter"]
