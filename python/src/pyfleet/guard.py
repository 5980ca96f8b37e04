"""What keeps the node in control of a worker whatever user code does.

- `own_process_group`: the worker becomes the leader of a new session and
  process group (``setsid``; pgid == sid == the worker's pid), before any user
  code runs, so the node can kill the worker's whole tree with one
  ``kill(-pid, SIGKILL)``, and terminal signals meant for the node never reach it.
- `install_fork_guard`: in a child forked from the worker (``os.fork``,
  multiprocessing's fork start method) the protocol descriptors are closed at
  once, so the child can never read a request or write a reply, and nothing
  it keeps alive holds the node's pipes open. `in_child` tells the worker
  loop that user code returned (or raised SystemExit) into it in such a
  child (`forked` per call; `in_child`, which also catches a fork by C code
  that skipped the hooks, before each read of requests): the loop then
  calls `child_exit` and the child leaves silently.
- `track_threads`: every ``threading.Thread`` remembers, when started, which
  call started it (events belong to that call) and reserves its stack under
  the memory limit.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable

__all__ = [
    "child_exit",
    "exit_code",
    "forked",
    "in_child",
    "install_fork_guard",
    "own_process_group",
    "track_threads",
]

#: True in a child forked from the worker (set by the fork hook): the worker loop's
#: per-call check, a plain attribute read; `in_child` also compares pids.
forked = False
_worker_pid = 0


def own_process_group() -> int:
    """Start a new session (and process group) led by this process; returns the pgid."""
    try:
        os.setsid()
    except OSError:  # already a process group leader (started so by a test harness)
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
    return os.getpgrp()


def install_fork_guard(protocol_fds: list[int], in_child_hooks: list[Callable[[], None]]) -> None:
    """In any child forked from this process: close `protocol_fds`, run the hooks."""
    global _worker_pid
    _worker_pid = os.getpid()

    def after_in_child() -> None:
        global forked
        forked = True
        for fd in protocol_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        for hook in in_child_hooks:
            with contextlib.suppress(Exception):  # one failing hook must not spare the others
                hook()

    os.register_at_fork(after_in_child=after_in_child)


def in_child() -> bool:
    """True in a process forked from the worker (also by C code that skips the fork hooks)."""
    return forked or (_worker_pid != 0 and os.getpid() != _worker_pid)


def exit_code(exc: BaseException | None) -> int:
    """The status a child leaves with: SystemExit's code as Python would, 1 for other errors."""
    if exc is None:
        return 0
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    return 1


def child_exit(code: int = 0) -> None:
    """Leave a forked child without a word to the node: flush what user code printed, _exit."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # user code may have replaced or broken them
            stream.flush()
    os._exit(code & 0xFF)


def track_threads(owner: Callable[[], int], reserve: Callable[[], int], release: Callable[[int], None]) -> None:
    """Patch ``threading.Thread.start``: a started thread records ``owner()`` (the call that
    started it) as ``_pyfleet_call``, and its stack is reserved while it runs."""
    original = threading.Thread.start
    if getattr(original, "_pyfleet", False):
        return

    def start(self: threading.Thread) -> None:
        self._pyfleet_call = owner()  # type: ignore[attr-defined]
        size = reserve()
        if size:
            run = self.run

            def run_and_release() -> None:
                try:
                    run()
                finally:
                    release(size)

            self.run = run_and_release  # type: ignore[method-assign]
        try:
            original(self)
        except BaseException:
            if size:
                release(size)
            raise

    start._pyfleet = True  # type: ignore[attr-defined]
    start.__doc__ = original.__doc__
    threading.Thread.start = start  # type: ignore[method-assign]
