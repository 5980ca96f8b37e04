"""Arrays in shared memory (ext 12, spec/PROTOCOL.md "Array references").

Only the description of an array crosses the pipe; its bytes stay in memory both
sides can map. Every mapping here is a `Segment`: an mmap that keeps an open file
descriptor to its memory, so it can be handed on without a copy.

- From the node: ``/proc/<node pid>/fd/<n>``, a file the node created in /dev/shm and
  unlinked; `attach` maps it read-only (node arrays are immutable).
- To the node: `export` puts an array in a memfd (or reuses the segment it already
  lives in) and returns the path the node opens, ``/proc/<this pid>/fd/<m>``, plus an
  `Export` that holds that fd open until the node, having opened it, releases it.
"""
from __future__ import annotations

import fcntl
import itertools
import mmap
import os
import re
import threading
from typing import Any

from .errors import DecodeError

__all__ = ["Export", "Segment", "attach", "empty", "export", "pooled", "segment_of"]

_PROC_FD = re.compile(r"/proc/[0-9]+/fd/[0-9]+\Z")
_names = itertools.count(1)


class Segment(mmap.mmap):
    """A shared mapping that owns a descriptor of its memory (closed with the mapping)."""

    fd: int = -1
    # True for memory this worker made (its results); False for node memory it only maps
    own: bool = False

    def __del__(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


class Export:
    """What keeps an exported array's memory open for the node until the node releases it.

    Dropping it (the node's release) puts a segment of its own back in the pool for the next
    result, unless `discard` was called (the node may still have views of it).
    """

    __slots__ = ("fd", "seg")

    def __init__(self, fd: int = -1, seg: Segment | None = None) -> None:
        self.fd = fd
        self.seg = seg

    def discard(self) -> None:
        """Never reuse this memory: the node may still read it."""
        self.seg = None

    def __del__(self) -> None:
        seg, self.seg = self.seg, None
        if seg is not None:
            _recycle(seg)
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


# Results' segments the node has released, kept mapped for the next results: fresh shared
# memory costs a page fault per page, which dwarfs copying into memory already there.
POOL_MAX_BYTES = 256 << 20
POOL_MAX_COUNT = 32
_pool: list[Segment] = []
_pool_lock = threading.Lock()


def _recycle(seg: Segment) -> None:
    if seg.fd < 0 or seg.closed:  # finalised already (both were garbage in one cycle)
        return
    with _pool_lock:
        if len(_pool) < POOL_MAX_COUNT and sum(len(s) for s in _pool) + len(seg) <= POOL_MAX_BYTES:
            _pool.append(seg)


def _take(nbytes: int) -> Segment | None:
    """A pooled segment of nbytes to twice that, or None."""
    with _pool_lock:
        best = None
        for s in _pool:
            if s.fd >= 0 and nbytes <= len(s) <= 2 * nbytes and (best is None or len(s) < len(best)):
                best = s
        if best is not None:
            _pool.remove(best)
        return best


def pooled() -> int:
    """How many segments wait in the pool."""
    return len(_pool)


def _count(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _map(fd: int, nbytes: int, writable: bool) -> Segment:
    prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
    seg = Segment(fd, nbytes, mmap.MAP_SHARED, prot)
    seg.fd = fd
    seg.own = writable
    return seg


def attach(src: str, descr: str, shape: list[int], name: str | None = None) -> Any:
    """A read-only NumPy array on the node memory at `src` (no copy).

    `name` is what the opened descriptor must link to: a descriptor number the node has
    closed and reused meanwhile then fails instead of mapping other memory.
    """
    try:
        import numpy as np
    except ImportError:
        raise DecodeError("received an array reference but NumPy is not installed in this worker") from None

    if type(src) is not str or not _PROC_FD.match(src):
        raise DecodeError(f"array reference source must be /proc/<pid>/fd/<n>, not {src!r}")
    dtype = np.dtype(descr)
    count = _count(shape)
    nbytes = count * dtype.itemsize
    if nbytes == 0:
        out = np.zeros(shape, dtype=dtype)
        out.flags.writeable = False
        return out
    try:
        fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise DecodeError(f"cannot open array memory {src}: {exc.strerror}") from None
    try:
        if name is not None and os.readlink(f"/proc/self/fd/{fd}") != name:
            raise DecodeError(f"array memory {src} was released by the node (it now names other memory)")
        size = os.fstat(fd).st_size
        if size < nbytes:
            raise DecodeError(f"array memory {src} has {size} bytes, shape {shape} of {descr} needs {nbytes}")
        seg = _map(fd, nbytes, False)
    except BaseException:
        os.close(fd)
        raise
    return np.frombuffer(seg, dtype=dtype, count=count).reshape(shape)


def empty(shape: Any, dtype: Any = float) -> Any:
    """A new writable array in shared memory: returned to the node, it is handed over without a copy."""
    import numpy as np

    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    count = _count(list(shape))
    seg = _new_segment(count * dtype.itemsize)
    if seg is None:
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(seg, dtype=dtype, count=count).reshape(shape)


def _new_segment(nbytes: int) -> Segment | None:
    fd = os.memfd_create(f"pyfleet-{os.getpid()}-{next(_names)}", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        if nbytes == 0:
            os.close(fd)
            return None
        os.ftruncate(fd, nbytes)
        # its size is fixed from now on: a node that maps it can never fault past a shrunk end
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
        return _map(fd, nbytes, True)
    except BaseException:
        os.close(fd)
        raise


def segment_of(arr: Any) -> Segment | None:
    """The segment of this worker's own that `arr` covers exactly (C order, first byte to last), or None."""
    base = arr.base
    while base is not None and not isinstance(base, Segment):
        # np.frombuffer keeps a memoryview of the segment as the base
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    if base is None or base.fd < 0 or not base.own or not arr.flags.c_contiguous or arr.nbytes != len(base):
        # node memory this worker only maps is never handed back as a result of its own: the node
        # would take its own (poolable) memory for a new array
        return None
    import numpy as np

    start = np.frombuffer(base, dtype=np.uint8, count=1).ctypes.data
    return base if arr.ctypes.data == start else None


def export(arr: Any, descr: str) -> tuple[str, Export]:
    """The path the node opens to adopt `arr` (as little-endian C-order `descr`), and its keeper."""
    import numpy as np

    seg = segment_of(arr) if arr.dtype.str == descr else None
    if seg is not None:  # made in shared memory: the same memory, no copy
        fd = os.dup(seg.fd)
        return f"/proc/{os.getpid()}/fd/{fd}", Export(fd)
    nbytes = arr.size * np.dtype(descr).itemsize
    if nbytes == 0:
        fd = os.memfd_create(f"pyfleet-{os.getpid()}-{next(_names)}", os.MFD_CLOEXEC)
        return f"/proc/{os.getpid()}/fd/{fd}", Export(fd)
    out = _take(nbytes) or _new_segment(nbytes)
    assert out is not None
    dst = np.frombuffer(out, dtype=descr, count=arr.size).reshape(arr.shape)
    np.copyto(dst, arr, casting="equiv")  # also makes views contiguous, swaps big-endian
    del dst
    return f"/proc/{os.getpid()}/fd/{out.fd}", Export(seg=out)
