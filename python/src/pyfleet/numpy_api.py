"""NumPy as the Java ``NumPy`` interface sees it: every NumPy name, plus what a caller whose value
model has no slice objects needs.

Any name NumPy has resolves here (``pyfleet.numpy_api.sin`` is ``numpy.sin``), so the Java table
binds this module and adding a NumPy function stays one line in Java. ``get`` reads one element
(``get(a, 2, 3)``) and ``slice`` a region, one spec per axis: an int picks one position, a list
``[start, stop, step]`` (each may be None) a range, the string ``"..."`` every remaining axis and
None a new axis of length 1. A region comes back as a C-contiguous copy, so it can travel as an
array of its own.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy

__all__ = ["get", "slice"]


def __getattr__(name: str) -> Any:
    """Every other name is NumPy's (PEP 562)."""
    if name.startswith("_"):
        raise AttributeError(name)
    return getattr(numpy, name)


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
        return builtins.slice(*spec)
    raise TypeError(f"an index is an int, a [start, stop, step] list, '...' or None, not {spec!r}")


def get(a: Any, *positions: int) -> Any:
    """The element at ``positions`` (one int per axis, or one list of them) as a Python number or bool."""
    if len(positions) == 1 and not isinstance(positions[0], (int, bool)):
        positions = tuple(numpy.asarray(positions[0]).ravel().tolist())  # one list of positions (Java long...)
    if not positions:
        raise TypeError("get needs one position per axis")
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, int):
            raise TypeError(f"a position is an int, not {p!r}")
    value = numpy.asarray(a)[tuple(positions)]
    return value.item() if getattr(value, "ndim", 0) == 0 and hasattr(value, "item") else value


def slice(a: Any, *specs: Any) -> Any:  # the Java API's name for it; builtins.slice above
    """The region ``specs`` names, as a C-contiguous array."""
    return numpy.ascontiguousarray(numpy.asarray(a)[tuple(_key(s) for s in specs)])
