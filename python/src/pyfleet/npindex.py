"""Indexing and slicing of NumPy arrays for callers whose value model has no slice objects.

A Java caller names an element with integers (``index(a, 2, 3)``) and a region with a spec per
axis (``slice(a, [0, 10, 2], [None, None, None])``): an int picks one position, a list
``[start, stop, step]`` (each may be None) a range, the string ``"..."`` every remaining axis and
None a new axis of length 1. The result of `slice` is a C-contiguous copy, so it can travel as an
array of its own.
"""
from __future__ import annotations

from typing import Any

__all__ = ["index", "slice_"]


def _key(spec: Any) -> Any:
    if spec is None:
        return None
    if isinstance(spec, bool):
        raise TypeError("an index is an int, a [start, stop, step] list, '...' or None, not a bool")
    if isinstance(spec, int):
        return spec
    if spec == "...":
        return Ellipsis
    if isinstance(spec, (list, tuple)) and len(spec) == 3:
        for part in spec:
            if part is not None and (isinstance(part, bool) or not isinstance(part, int)):
                raise TypeError(f"a slice's start, stop and step are ints or None, not {part!r}")
        return slice(*spec)
    raise TypeError(f"an index is an int, a [start, stop, step] list, '...' or None, not {spec!r}")


def index(a: Any, *positions: int) -> Any:
    """The element at ``positions`` (one int per axis) as a Python number or bool."""
    if not positions:
        raise TypeError("index needs one position per axis")
    value = a[tuple(_key(p) for p in positions)]
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 0) == 0 else value


def slice_(a: Any, *specs: Any) -> Any:
    """The region ``specs`` names, as a C-contiguous array."""
    import numpy

    return numpy.ascontiguousarray(a[tuple(_key(s) for s in specs)])
