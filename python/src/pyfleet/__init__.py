"""pyfleet worker package: serves framed msgpack requests from a pyfleet node.

Run a worker with ``python -m pyfleet.worker``. User code running inside a
worker can send events back to the caller with `pyfleet.emit`.
"""
__version__ = "0.1.0"

from .context import emit  # noqa: E402  (no msgpack import: see worker's check)

__all__ = ["emit", "__version__"]
