"""Worker-side helpers of the array transport tests (ArraysTest)."""
import os

import numpy as np

from pyfleet import shm


def describe(x):
    """What the worker sees: dtype, shape, raw bytes, whether writable, and its pid."""
    return [x.dtype.str, list(x.shape), x.tobytes(), bool(x.flags.writeable), os.getpid()]


def copy(x):
    return np.array(x)


def same(x):
    return x


def strided(n):
    """A non-contiguous view: every other column of an (n, 4) float64 array."""
    return np.arange(4 * n, dtype=np.float64).reshape(n, 4)[:, ::2]


def big_endian(n):
    return np.arange(n, dtype=">i4") - 3


def scalar():
    return np.array(2.5)


def empty():
    return np.zeros((0, 3), dtype=np.int16)


def made_with_pid(n, value):
    """A float64 array of n values in shared memory, and the pid of the worker that made it."""
    a = shm.empty(n)
    a[:] = value
    return (os.getpid(), a)


def full(n, value):
    a = shm.empty(n)
    a[:] = value
    return a


def sum_with_pid(x):
    return (os.getpid(), float(x.sum()))


def probe(x, indexes):
    return [int(x.nbytes)] + [int(x[i]) for i in indexes]


def sparse(n, value, step):
    """n float64 in shared memory with every `step`-th element set (the pages in between stay untouched)."""
    a = shm.empty(n)
    a[::step] = value
    return a


def sparse_sum(x, step):
    return float(x[::step].sum())


_held = {}


def held(n):
    """The same shared-memory array on every call (made once per size): handed over as itself each time."""
    if n not in _held:
        _held[n] = shm.empty(n)
        _held[n][:] = n
    return _held[n]


def full_after(seconds, n, value):
    """`full` after a sleep: an answer that arrives when its caller may have stopped waiting."""
    import time

    time.sleep(seconds)
    return full(n, value)


def reprs(xs):
    """NumPy's repr of each array: what NdArray.toString() must print (NumPyReprTest)."""
    return [repr(np.asarray(x)) for x in xs]


def digest(x):
    """dtype, shape and the SHA-256 of the bytes the worker sees: a check whose answer stays small."""
    import hashlib

    return [x.dtype.str, list(x.shape), hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()]


_kept = []


def keep(x):
    """Keeps its argument, as a model keeps the data it was built with; returns where."""
    _kept.append(x)
    return len(_kept) - 1


def kept_sum(i):
    return float(_kept[i].sum())


_seen = []


def record_sum(x):
    """Notes the sum of what it was given (its caller may have stopped waiting): see `recorded`."""
    _seen.append(float(x.sum()))


def recorded():
    out = list(_seen)
    _seen.clear()
    return out
