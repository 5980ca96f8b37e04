"""Where `pyfleet.emit` finds the worker serving the current request.

Kept apart from `worker` (and free of msgpack) so that user code importing
`pyfleet` reaches the same state as the running worker, and is cheap to import.

Events belong to their call. Each request the worker serves gets a call
number; the thread serving requests belongs to the call it is serving, and a
``threading.Thread`` belongs to the call during which it was started (the
worker records that in ``Thread.start``; a thread started by such a thread
belongs to the same call). `emit` sends for the calling thread's call while
that call runs; once the call has been answered, the event is dropped with a
line in the node's log, so it can never reach another call. Threads that
outlive calls (a pool kept between calls) get the current call's `emitter()`
passed to them explicitly.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["current_call", "emit", "emitter", "set_call_source", "set_emitter"]

# (value, call number) -> True when sent, False when dropped
_emitter: Callable[[Any, int], bool] | None = None


def _no_call() -> int:
    return 0


_serving_call: Callable[[], int] = _no_call
_serving_thread: threading.Thread | None = None


def set_emitter(emitter: Callable[[Any, int], bool] | None) -> None:
    """Install (or remove, with None) the function that sends events."""
    global _emitter
    _emitter = emitter


def set_call_source(serving_thread: threading.Thread | None, serving_call: Callable[[], int]) -> None:
    """Tell which thread serves requests and how to read the number of the call it serves."""
    global _serving_thread, _serving_call
    _serving_thread = serving_thread
    _serving_call = serving_call


def current_call() -> int:
    """The call the calling thread belongs to (0: none)."""
    thread = threading.current_thread()
    if thread is _serving_thread:
        return _serving_call()
    return getattr(thread, "_pyfleet_call", 0)


def emit(value: Any) -> bool:
    """Send `value` as an event ``[3, id, value]`` for the calling thread's call.

    Callable from the thread serving the call and from threads it started.
    Returns True when sent; False when that call has already been answered
    (the event is dropped and the node logs it). Raises RuntimeError outside
    a worker.
    """
    send = _emitter
    if send is None:
        raise RuntimeError("pyfleet.emit() works only inside a pyfleet worker")
    return send(value, current_call())


def emitter() -> Callable[[Any], bool]:
    """A function that emits for the current call, from any thread, until it ends.

    For threads not started by the call, e.g. a ThreadPoolExecutor kept
    between calls: ``send = pyfleet.emitter(); pool.submit(work, send)``.
    """
    if _emitter is None:
        raise RuntimeError("pyfleet.emitter() works only inside a pyfleet worker")
    call = current_call()

    def send(value: Any) -> bool:
        target = _emitter
        if target is None:
            raise RuntimeError("pyfleet.emit() works only inside a pyfleet worker")
        return target(value, call)

    return send
