"""Where `pyfleet.emit` finds the worker serving the current request.

Kept apart from `worker` (and free of msgpack) because `python -m
pyfleet.worker` runs that module as ``__main__``: user code importing
`pyfleet` must reach the same state as the running worker.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

__all__ = ["emit", "set_emitter"]

_emitter: Optional[Callable[[Any], None]] = None


def set_emitter(emitter: Optional[Callable[[Any], None]]) -> None:
    """Install (or remove, with None) the function that sends events."""
    global _emitter
    _emitter = emitter


def emit(value: Any) -> None:
    """Send `value` as an event ``[3, id, value]`` for the request being served.

    Callable from any thread while the request runs; raises RuntimeError
    outside a worker or after the request has been answered.
    """
    emitter = _emitter
    if emitter is None:
        raise RuntimeError("pyfleet.emit() works only inside a pyfleet worker")
    emitter(value)
