"""The operations of a request (spec/PROTOCOL.md, "Request").

Each op is split in two phases so errors get the right kind:
`prepare` checks the request's shape and raises ProtocolError (kind
``protocol``) without running anything; the returned runner then executes
user code, and whatever it raises is a Python error (kind ``python``).
"""
from __future__ import annotations

import builtins
import importlib
import importlib.util
import operator
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

from . import __version__
from .advice import module_not_found
from .errors import ProtocolError, python_error
from .handles import HandleTable

__all__ = [
    "OPS",
    "PROTOCOL_VERSION",
    "Options",
    "Runner",
    "as_array",
    "numpy_version",
    "parse_options",
    "prepare",
    "resolve_name",
    "versions",
]

PROTOCOL_VERSION = 1

Runner = Callable[[], Any]

_RET_VALUES = ("value", "handle", "array")
_COERCE = {"int": int, "float": float, "str": str}
_OPTION_KEYS = frozenset({"ret", "stream", "coerce", "arrays"})


class Options:
    """Parsed `opts` of a request."""

    __slots__ = ("array", "array_min", "coerce", "handle", "stream")

    def __init__(self, handle: bool = False, stream: bool = False,
                 coerce: Callable[[Any], Any] | None = None, array_min: int | None = None,
                 array: bool = False) -> None:
        self.handle = handle
        self.stream = stream
        self.coerce = coerce
        #: the caller maps shared memory: arrays of at least this many bytes go by reference
        self.array_min = array_min
        #: the result is an ndarray sent by reference whatever its size
        self.array = array


DEFAULT_OPTIONS = Options()


def parse_options(opts: Any) -> Options:
    if opts is None:
        return DEFAULT_OPTIONS
    if type(opts) is not dict:
        raise ProtocolError(f"opts must be a map or nil, not {_tname(opts)}")
    if not opts:
        return DEFAULT_OPTIONS
    if len(opts) == 1:  # the node's own calls: just {"arrays": n}, parsed once per n
        n = opts.get("arrays")
        parsed = _ARRAYS_ONLY.get(n) if type(n) is int else None
        if parsed is not None:
            return parsed
    unknown = [k for k in opts if k not in _OPTION_KEYS]
    if unknown:
        raise ProtocolError(f"unknown option(s) {unknown!r}; known: ret, stream, coerce, arrays")
    ret = opts.get("ret")
    if ret is not None and ret not in _RET_VALUES:
        raise ProtocolError(f"opts.ret must be \"value\", \"handle\" or \"array\", not {ret!r}")
    array_min = opts.get("arrays")
    if array_min is not None and (type(array_min) is not int or array_min < 0):
        raise ProtocolError(f"opts.arrays must be a non-negative int (bytes), not {array_min!r}")
    if ret == "array" and array_min is None:
        raise ProtocolError("opts.ret \"array\" needs opts.arrays: only a caller on the node's host maps arrays")
    stream = opts.get("stream")
    if stream is not None and type(stream) is not bool:
        raise ProtocolError(f"opts.stream must be a bool, not {_tname(stream)}")
    coerce = opts.get("coerce")
    if coerce is not None and (type(coerce) is not str or coerce not in _COERCE):
        raise ProtocolError(f"opts.coerce must be \"int\", \"float\" or \"str\", not {coerce!r}")
    parsed = Options(ret == "handle", bool(stream), _COERCE[coerce] if coerce is not None else None,
                     array_min, ret == "array")
    if len(opts) == 1 and array_min is not None and len(_ARRAYS_ONLY) < 64:
        _ARRAYS_ONLY[array_min] = parsed
    return parsed


# Options of {"arrays": n} by n (an Options is never changed once made).
_ARRAYS_ONLY: dict[int, Options] = {}


def as_array(result: Any) -> Any:
    """The result of a call with ``ret: "array"``: an ndarray of a dtype the wire carries."""
    import numpy as np

    from .codec import NDARRAY_DTYPES

    arr = result if type(result) is np.ndarray else np.asarray(result)
    if NDARRAY_DTYPES.get((arr.dtype.kind, arr.dtype.itemsize)) is None or arr.dtype.fields is not None:
        raise TypeError(f"ret \"array\": a result of dtype {arr.dtype} has no array encoding")
    return arr


def _tname(value: Any) -> str:
    return type(value).__name__


# -- argument checks -----------------------------------------------------------

def _check_args(args: Any) -> list[Any]:
    if args is None:
        return []
    if type(args) is not list:
        raise ProtocolError(f"args must be an array or nil, not {_tname(args)}")
    return args


def _check_kwargs(kwargs: Any) -> dict[str, Any] | None:
    if kwargs is None:
        return None
    if type(kwargs) is not dict:
        raise ProtocolError(f"kwargs must be a map of str to value or nil, not {_tname(kwargs)}")
    for key in kwargs:
        if type(key) is not str:
            raise ProtocolError(f"kwargs keys must be str, not {_tname(key)} ({key!r})")
    return kwargs or None


def _check_name(op: str, target: Any) -> str:
    if type(target) is not str:
        raise ProtocolError(f"op {op!r} needs a dotted name (str) as target, not {_tname(target)}")
    if not target or "" in target.split("."):
        raise ProtocolError(f"op {op!r}: invalid dotted name {target!r}")
    return target


def _check_simple_name(op: str, target: Any) -> str:
    if type(target) is not str or not target:
        raise ProtocolError(f"op {op!r} needs a name (str) as target, not {_tname(target)} {target!r}")
    return target


def _check_no_args(op: str, args: Any, kwargs: Any) -> None:
    if _check_args(args):
        raise ProtocolError(f"op {op!r} takes no args")
    if _check_kwargs(kwargs):
        raise ProtocolError(f"op {op!r} takes no kwargs")


def _check_nil_target(op: str, target: Any) -> None:
    if target is not None:
        raise ProtocolError(f"op {op!r} takes a nil target, not {_tname(target)}")


# -- dotted names --------------------------------------------------------------

# dotted name -> (module name, attribute path): where the importable prefix
# ends, so repeated calls do not retry failing imports of longer prefixes.
_split_cache: dict[str, tuple[str, tuple[str, ...]]] = {}
_SPLIT_CACHE_MAX = 4096


def resolve_name(name: str) -> Any:
    """Import the longest importable module prefix of `name`, walk the rest by getattr."""
    split = _split_cache.get(name)
    if split is None:
        split = _find_split(name)
        if len(_split_cache) >= _SPLIT_CACHE_MAX:
            _split_cache.clear()
        _split_cache[name] = split
    modname, attrs = split
    obj = sys.modules.get(modname)
    if obj is None:
        obj = importlib.import_module(modname)
    for attr in attrs:
        obj = getattr(obj, attr)
    return obj


def _find_split(name: str) -> tuple[str, tuple[str, ...]]:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        modname = ".".join(parts[:i])
        try:
            importlib.import_module(modname)
        except ModuleNotFoundError as exc:
            missing = exc.name
            # Only "this prefix is not a module" means: try a shorter one. A
            # module that exists but imports something missing is a real error.
            if i > 1 and missing is not None and (missing == modname or modname.startswith(missing + ".")):
                continue
            module_not_found(exc, modname)
            raise
        return modname, tuple(parts[i:])
    raise AssertionError("unreachable")  # pragma: no cover


def forget_names() -> None:
    """Drop cached name splits (after an explicit import, a longer prefix may now import)."""
    _split_cache.clear()


# -- versions ------------------------------------------------------------------

_numpy_version: Any = False  # False: not looked up yet


def numpy_version() -> str | None:
    """NumPy's version, or None if it is not installed; does not import NumPy."""
    global _numpy_version
    if _numpy_version is not False:
        return _numpy_version
    np = sys.modules.get("numpy")
    if np is not None:
        _numpy_version = str(np.__version__)
        return _numpy_version
    version: str | None = None
    try:
        spec = importlib.util.find_spec("numpy")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        version = _dist_version_near(spec.origin)
        if version is None:
            try:
                from importlib import metadata
                version = metadata.version("numpy")
            except Exception:  # noqa: BLE001 (broken metadata must not fail the versions op)
                version = "unknown"
    _numpy_version = version
    return version


def _dist_version_near(origin: str | None) -> str | None:
    # Importing NumPy (~0.1 s) or importlib.metadata (~0.03 s) at every worker
    # start is wasteful: the wheel's dist-info directory name carries the version.
    if not origin:
        return None
    site = os.path.dirname(os.path.dirname(origin))
    try:
        names = os.listdir(site)
    except OSError:
        return None
    for entry in names:
        if entry.startswith("numpy-") and entry.endswith(".dist-info"):
            return entry[len("numpy-"):-len(".dist-info")]
    return None


def versions(table: HandleTable) -> dict[str, Any]:
    return {
        "protocol": PROTOCOL_VERSION,
        "python": platform.python_version(),
        "numpy": numpy_version(),
        "package": __version__,
        "pid": os.getpid(),
        "handles": table.count(),
    }


# -- the ops -------------------------------------------------------------------

def _prep_call(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    name = _check_name("call", target)
    a = _check_args(args)
    kw = _check_kwargs(kwargs)
    if kw is None:
        return lambda: resolve_name(name)(*a)
    return lambda: resolve_name(name)(*a, **kw)


def _prep_map(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    """Scatter/gather's chunk: one function over many argument lists, one outcome each.

    Items are ``[0, value]`` or ``[1, [kind, type, message, traceback]]``, so an item's
    error stays in its place and the others still count; a returned exception object
    is a value, not an error.
    """
    name = _check_name("map", target)
    a = _check_args(args)
    if len(a) != 1 or type(a[0]) is not list:
        raise ProtocolError("op 'map' needs args = [list of argument lists]")
    items = a[0]
    for item in items:
        if type(item) is not list:
            raise ProtocolError(f"op 'map': every item must be an argument list, not {_tname(item)}")
    kw = _check_kwargs(kwargs) or {}

    def run() -> list[Any]:
        fn = resolve_name(name)
        out: list[Any] = []
        append = out.append
        for item in items:
            try:
                append([0, fn(*item, **kw)])
            except Exception as exc:  # noqa: BLE001 (BaseException, SystemExit..., still ends the whole request)
                append([1, python_error(exc)])
        return out
    return run


def _prep_imap(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    """`map`, lazily: the runner returns an iterator of the same ``[0, value]`` /
    ``[1, error]`` items. Sent with ``stream: true``, each item's outcome leaves as an
    event the moment it exists, so when a worker dies mid-chunk the node knows which
    items ran, which one may have, and which never started (scatter retries only those).
    """
    runner = _prep_map(table, target, args, kwargs)
    name = _check_name("imap", target)
    items = _check_args(args)[0]
    kw = _check_kwargs(kwargs) or {}
    del runner  # checked the same way as map

    def run() -> Any:
        fn = resolve_name(name)

        def outcomes() -> Any:
            for item in items:
                try:
                    value = fn(*item, **kw)
                except Exception as exc:  # noqa: BLE001 (BaseException still ends the whole request)
                    yield [1, python_error(exc)]
                    continue
                yield [0, value]
        return outcomes()
    return run


def _prep_const(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    name = _check_name("const", target)
    _check_no_args("const", args, kwargs)
    return lambda: resolve_name(name)


def _prep_init(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    name = _check_name("init", target)
    a = _check_args(args)
    kw = _check_kwargs(kwargs) or {}

    def run() -> Any:
        cls = resolve_name(name)
        if not isinstance(cls, type):
            raise TypeError(f"{name} is not a class but {_tname(cls)}")
        return cls(*a, **kw)
    return run


def _prep_method(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    a = _check_args(args)
    if not a or type(a[0]) is not str:
        raise ProtocolError("op 'method' needs args[0], the method name (str)")
    kw = _check_kwargs(kwargs) or {}
    name, rest = a[0], a[1:]
    return lambda: getattr(target, name)(*rest, **kw)


def _prep_attr(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    a = _check_args(args)
    if len(a) != 1 or type(a[0]) is not str:
        raise ProtocolError("op 'attr' needs args = [attribute name (str)]")
    if _check_kwargs(kwargs):
        raise ProtocolError("op 'attr' takes no kwargs")
    name = a[0]
    return lambda: getattr(target, name)


def _module_function(op: str, module: Any) -> Callable[[HandleTable, Any, Any, Any], Runner]:
    def prep(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
        # The hot path (e.g. operator.add): inline checks, helpers only on odd input.
        name = target if type(target) is str and target else _check_simple_name(op, target)
        a = args if type(args) is list else _check_args(args)
        if kwargs is None:
            return lambda: getattr(module, name)(*a)
        kw = _check_kwargs(kwargs)
        if kw is None:
            return lambda: getattr(module, name)(*a)
        return lambda: getattr(module, name)(*a, **kw)
    return prep


def _prep_import(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    name = _check_name("import", target)
    _check_no_args("import", args, kwargs)

    def run() -> str:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            module_not_found(exc, name)
            raise
        forget_names()
        return module.__name__
    return run


def _prep_lookup(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    """Fleet.bind's one round trip: `target` a module, ``args[0]`` groups of candidate names (binding.py)."""
    module = _check_name("lookup", target)
    a = _check_args(args)
    if len(a) != 1 or type(a[0]) is not list:
        raise ProtocolError("op 'lookup' needs args = [list of lists of names]")
    groups = a[0]
    for names in groups:
        if type(names) is not list or not names:
            raise ProtocolError("op 'lookup': every group must be a non-empty list of names")
        for name in names:
            if type(name) is not str or not name or "" in name.split("."):
                raise ProtocolError(f"op 'lookup': invalid name {name!r} (a dotted name relative to the module)")
    if _check_kwargs(kwargs):
        raise ProtocolError("op 'lookup' takes no kwargs")

    def run() -> Any:
        from .binding import lookup  # loaded on first use: most workers never bind
        return lookup(module, groups)
    return run


def _prep_release(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    _check_nil_target("release", target)
    ids = _check_args(args)
    for hid in ids:
        if type(hid) is not int:
            raise ProtocolError(f"op 'release' needs args = handle ids (ints), got {_tname(hid)}")
    if _check_kwargs(kwargs):
        raise ProtocolError("op 'release' takes no kwargs")
    return lambda: table.release(ids)


def _prep_versions(table: HandleTable, target: Any, args: Any, kwargs: Any) -> Runner:
    _check_nil_target("versions", target)
    _check_no_args("versions", args, kwargs)
    return lambda: versions(table)


OPS: dict[str, Callable[[HandleTable, Any, Any, Any], Runner]] = {
    "call": _prep_call,
    "map": _prep_map,
    "imap": _prep_imap,
    "const": _prep_const,
    "init": _prep_init,
    "method": _prep_method,
    "attr": _prep_attr,
    "builtin": _module_function("builtin", builtins),
    "operator": _module_function("operator", operator),
    "import": _prep_import,
    "lookup": _prep_lookup,
    "release": _prep_release,
    "versions": _prep_versions,
}


def prepare(table: HandleTable, op: Any, target: Any, args: Any, kwargs: Any) -> Runner:
    """Check a request; return the runner that executes it. ProtocolError if malformed."""
    try:
        prep = OPS[op]
    except (KeyError, TypeError):  # TypeError: an unhashable op (a list, a map)
        if type(op) is not str:
            raise ProtocolError(f"op must be a str, not {_tname(op)}") from None
        raise ProtocolError(f"unknown op {op!r}; known: {', '.join(OPS)}") from None
    return prep(table, target, args, kwargs)
