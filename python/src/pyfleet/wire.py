"""Frames on raw file descriptors: a 4-byte big-endian length, then that many bytes.

The reader pulls big chunks and yields every complete frame in them, so a
burst of small requests costs one read(2), not two per frame. It checks a
declared length against the maximum *before* reading or allocating the body.
The writer is shared by the main loop, the log pumps and user threads calling
`pyfleet.emit`, so every frame is written whole under one lock.
"""
from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable, Iterator

from .errors import FrameTooLargeError

__all__ = ["DEFAULT_MAX_FRAME", "READ_CHUNK", "FrameReader", "FrameWriter", "max_frame_from_env"]

DEFAULT_MAX_FRAME = 64 * 1024 * 1024
READ_CHUNK = 256 * 1024

_HEADER = struct.Struct(">I")
_unpack_header = _HEADER.unpack_from
_pack_header = _HEADER.pack

# Above this size a frame is written with writev(header, payload) instead of
# concatenating (which would copy the payload once more).
_WRITEV_ABOVE = 64 * 1024


def max_frame_from_env(environ: os._Environ[str] | dict | None = None) -> int:
    """PYFLEET_MAX_FRAME as a positive int (default 64 MiB); ValueError if invalid."""
    env = os.environ if environ is None else environ
    raw = env.get("PYFLEET_MAX_FRAME", "")
    if not raw:
        return DEFAULT_MAX_FRAME
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"PYFLEET_MAX_FRAME must be an integer, got {raw!r}") from None
    if not 1 <= value <= 0xFFFFFFFF:
        raise ValueError(f"PYFLEET_MAX_FRAME must be between 1 and 4294967295, got {value}")
    return value


class FrameReader:
    """Yields frame bodies (bytes) read from `fd` until EOF."""

    def __init__(self, fd: int, max_frame: int = DEFAULT_MAX_FRAME, chunk: int = READ_CHUNK) -> None:
        self.fd = fd
        self.max_frame = max_frame
        self.chunk = chunk
        #: True when EOF came in the middle of a frame
        self.truncated = False
        #: called before each read(2): once per batch of pipelined frames, not per frame
        self.before_read: Callable[[], None] | None = None

    def frames(self) -> Iterator[bytes]:
        """Every complete frame, in order. Raises FrameTooLargeError on an oversize
        declared length (after yielding the frames before it). Ends at EOF."""
        fd, read, chunk, max_frame = self.fd, os.read, self.chunk, self.max_frame
        before = self.before_read
        buf = b""  # bytes of an incomplete frame carried over to the next read
        while True:
            if before is not None:
                before()
            data = read(fd, chunk)
            if not data:
                self.truncated = bool(buf)
                return
            if buf:
                data = buf + data
                buf = b""
            end = len(data)
            pos = 0
            while end - pos >= 4:
                (n,) = _unpack_header(data, pos)
                if n > max_frame:
                    raise FrameTooLargeError(n, max_frame)
                stop = pos + 4 + n
                if stop > end:
                    break
                yield data[pos + 4:stop]
                pos = stop
            if pos == end:
                continue
            rest = data[pos:]
            if len(rest) >= 4:
                (n,) = _unpack_header(rest, 0)
                missing = n + 4 - len(rest)
                if missing > chunk:
                    # A big frame: read exactly the rest of it, then join once.
                    body = self._read_exactly(rest[4:], missing)
                    if body is None:
                        self.truncated = True
                        return
                    yield body
                    continue
            buf = rest

    def _read_exactly(self, head: bytes, missing: int) -> bytes | None:
        parts: list[bytes] = [head]
        while missing > 0:
            data = os.read(self.fd, min(missing, 16 * 1024 * 1024))
            if not data:
                return None
            parts.append(data)
            missing -= len(data)
        return b"".join(parts)


class FrameWriter:
    """Writes whole frames to `fd`; thread-safe. Refuses frames over the maximum."""

    def __init__(self, fd: int, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.fd = fd
        self.max_frame = max_frame
        #: held while a frame is written; callers that must check state and
        #: write atomically (events vs. the reply) take it and call write_locked
        self.lock = threading.Lock()

    def check(self, payload: bytes) -> None:
        if len(payload) > self.max_frame:
            raise FrameTooLargeError(len(payload), self.max_frame)

    def write(self, payload: bytes) -> None:
        if len(payload) > self.max_frame:
            raise FrameTooLargeError(len(payload), self.max_frame)
        with self.lock:
            self.write_locked(payload)

    def write_locked(self, payload: bytes) -> None:
        """Write one frame; the caller holds `lock` and has checked the size."""
        n = len(payload)
        if n <= _WRITEV_ABOVE:
            frame = _pack_header(n) + payload
            written = os.write(self.fd, frame)
            if written != len(frame):
                self._write_rest(memoryview(frame)[written:])
            return
        header = _pack_header(n)
        written = os.writev(self.fd, [header, payload])
        if written < 4:
            self._write_rest(memoryview(header)[written:])
            written = 4
        if written - 4 < n:
            self._write_rest(memoryview(payload)[written - 4:])

    def _write_rest(self, view: memoryview) -> None:
        while view:
            view = view[os.write(self.fd, view):]
