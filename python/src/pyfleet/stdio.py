"""The worker's standard descriptors: what user code prints never touches the protocol.

- fd 0 reads /dev/null.
- fd 1 is a pipe whose lines a `LogPump` thread sends as log frames
  (stream ``"stdout"``); subprocesses inherit it, so their output is captured too.
- fd 2 is left as the node gave it (the node reads the worker's stderr pipe
  itself), so a fault report written while the process dies still reaches
  the node. faulthandler writes there, through a private duplicate.

`Stdio.repair` runs before the worker reads more requests (after each call
when calls come one at a time; after each batch when they are pipelined,
since it costs a few microseconds): a descriptor that user code closed or
replaced (``os.close(1)``, ``os.dup2(fd, 2)``) is put back from a private
duplicate, and a closed ``sys.stdout``/``sys.stderr`` is reopened, so one call
cannot break the prints of later calls.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["LOG_LINE_MAX", "LogPump", "Stdio"]

LOG_LINE_MAX = 64 * 1024  # bytes of one log frame's text; longer lines are split


class LogPump(threading.Thread):
    """Reads one captured descriptor and sends each line as a log frame."""

    def __init__(self, fd: int, stream: str, send: Callable[[str, str], None]) -> None:
        super().__init__(name=f"pyfleet-log-{stream}", daemon=True)
        self.fd = fd
        self.stream = stream
        self.send = send

    def run(self) -> None:
        pending = b""
        try:
            while True:
                data = os.read(self.fd, 65536)
                if not data:
                    break
                pending += data
                if b"\n" in data:
                    lines = pending.split(b"\n")
                    pending = lines.pop()
                    for line in lines:
                        self._line(line[:-1] if line.endswith(b"\r") else line)
                while len(pending) > LOG_LINE_MAX:  # a long line without newline yet
                    cut = _utf8_cut(pending, LOG_LINE_MAX)
                    self._text(pending[:cut])
                    pending = pending[cut:]
            if pending:
                self._line(pending)
        except OSError:
            pass  # the protocol channel is gone: nothing left to report to

    def _line(self, line: bytes) -> None:
        while len(line) > LOG_LINE_MAX:
            cut = _utf8_cut(line, LOG_LINE_MAX)
            self._text(line[:cut])
            line = line[cut:]
        self._text(line)

    def _text(self, raw: bytes) -> None:
        self.send(self.stream, raw.decode("utf-8", "replace"))


def _utf8_cut(data: bytes, limit: int) -> int:
    """Where to split `data` (longer than `limit`) at most at `limit`, not inside a UTF-8 sequence."""
    cut = limit
    for _ in range(4):
        if (data[cut] & 0xC0) != 0x80:  # not a continuation byte: a character starts here
            return cut
        cut -= 1
    return limit  # not UTF-8 anyway


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _text_stream(fd: int):  # type: ignore[no-untyped-def]
    return open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


class Stdio:
    """Owns fds 0-2 of the worker; `capture` once at start, `repair` before each read of requests."""

    def __init__(self, send: Callable[[str, str], None]) -> None:
        self.send = send
        self.pump: LogPump | None = None
        #: private (non-inheritable) duplicates that fds 0, 1, 2 are restored from
        self.keep: list[int] = []
        self._expected: list[tuple[int, int] | None] = []
        self._stdout = None
        self._stderr = None

    @property
    def err_fd(self) -> int:
        """A private duplicate of the node's stderr (for faulthandler and last words)."""
        return self.keep[2]

    def capture(self) -> None:
        """fd 0 to /dev/null, fd 1 into the log pump; fd 2 stays the node's."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # user code may have replaced or broken them
                stream.flush()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        read_end, write_end = os.pipe()  # both non-inheritable
        os.dup2(write_end, 1)  # fd 1 inheritable: subprocesses' output is captured too
        # write_end stays open as the private copy fd 1 is restored from; it also
        # keeps the pump from seeing EOF when user code closes fd 1.
        self.keep = [os.dup(0), write_end, os.dup(2)]
        self._expected = [_identity(fd) for fd in (0, 1, 2)]
        self.pump = LogPump(read_end, "stdout", self.send)
        self._stdout = sys.stdout = _text_stream(1)
        self._stderr = sys.stderr = _text_stream(2)
        self.pump.start()

    def watch_os_calls(self) -> None:
        """Mark fds 0-2 as touched whenever Python code closes or replaces one through `os`,
        so that `repair` looks at them (three fstat calls, about 3 microseconds) only then,
        and otherwise once per FULL_CHECK_SECONDS for what C code did."""
        def close(fd: int) -> None:
            if 0 <= fd <= 2:
                self.touched = True
            _os_close(fd)

        def closerange(low: int, high: int) -> None:
            if low <= 2:
                self.touched = True
            _os_closerange(low, high)

        def dup2(fd: int, fd2: int, inheritable: bool = True) -> int:
            if 0 <= fd2 <= 2:
                self.touched = True
            return _os_dup2(fd, fd2, inheritable)

        _os_close, _os_closerange, _os_dup2 = os.close, os.closerange, os.dup2
        os.close, os.closerange, os.dup2 = close, closerange, dup2

    #: how often repair looks at fds 0-2 even when no Python code touched them
    FULL_CHECK_SECONDS = 0.05
    touched = True
    _checked_at = 0.0

    def repair(self) -> None:
        """Put back any of fds 0-2 (and sys.stdout/sys.stderr) that user code closed or replaced."""
        now = time.monotonic()
        if self.touched or now - self._checked_at >= self.FULL_CHECK_SECONDS:
            self.touched = False
            self._checked_at = now
            expected = self._expected
            for fd in (0, 1, 2):
                if _identity(fd) != expected[fd]:
                    try:
                        os.dup2(self.keep[fd], fd)
                    except OSError:
                        pass
            self.touched = False  # our own dup2 above is no news
        out = sys.stdout
        if out is None or getattr(out, "closed", False):
            self._stdout = sys.stdout = _text_stream(1)
        err = sys.stderr
        if err is None or getattr(err, "closed", False):
            self._stderr = sys.stderr = _text_stream(2)

    def close_in_child(self) -> None:
        """In a forked child: drop the private copies (fds 0-2 themselves stay)."""
        for fd in self.keep[:2]:
            try:
                os.close(fd)
            except OSError:
                pass

    def drain(self, timeout: float = 1.0) -> None:
        """Flush and close the capture pipe so the pump sends the last lines, then wait for it."""
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # user code may have replaced or broken them
                stream.flush()
        if self.pump is None:
            return
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        try:
            os.close(self.keep[1])
        except OSError:
            pass
        self.pump.join(timeout=timeout)
