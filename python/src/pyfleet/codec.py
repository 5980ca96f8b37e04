"""Value codec: Python values <-> msgpack bytes, exactly as spec/PROTOCOL.md ("Values").

Plain msgpack carries None, bool, int (64-bit), float (always float64), str,
bytes, list and dict; everything else is an extension type (see `extcodes`).
Encodings are canonical, so the same value always gives the same bytes in
Python and in Java (checked by spec/vectors.json).

The codec knows nothing about the worker: objects with no encoding go to a
*handle hook* (the worker stores them and returns a `Handle`), and handles
being decoded go to a *resolver* (the worker looks them up). A resolver that
fails does not abort decoding: the failure is recorded in `Decoder.stale` so
the worker can still answer ``stale_handle`` for the right request id.
"""
from __future__ import annotations

import datetime as _dt
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any

import msgpack
from msgpack import ExtType

from . import extcodes as X
from .errors import (
    DecodeError,
    EncodeError,
    RemoteError,
    StaleHandleError,
    error_from_fields,
    qualified_name,
    safe_str,
)
from .handles import Handle

__all__ = [
    "NDARRAY_DTYPES",
    "Decoder",
    "Encoder",
    "HandleHook",
    "Resolver",
    "decode",
    "encode",
    "peek_header",
]

HandleHook = Callable[[Any], Handle]
Resolver = Callable[[Handle], Any]

_unpackb = msgpack.unpackb
_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 64) - 1
_INT64_MAX = (1 << 63) - 1  # handle generations and ids are Java longs

_DATE = struct.Struct(">hBB")
_TIME = struct.Struct(">BBBI")
_TIME_TZ = struct.Struct(">BBBIi")
_DATETIME = struct.Struct(">hBBBBBI")
_DATETIME_TZ = struct.Struct(">hBBBBBIi")
_TIMEDELTA = struct.Struct(">iii")
_COMPLEX = struct.Struct(">dd")

# dtype kind and item size -> NumPy descr sent on the wire (little-endian only).
NDARRAY_DTYPES: dict[tuple[str, int], str] = {
    ("b", 1): "|b1",
    ("i", 1): "|i1", ("i", 2): "<i2", ("i", 4): "<i4", ("i", 8): "<i8",
    ("u", 1): "|u1", ("u", 2): "<u2", ("u", 4): "<u4", ("u", 8): "<u8",
    ("f", 4): "<f4", ("f", 8): "<f8",
    ("c", 16): "<c16",
}
_NDARRAY_DESCRS = frozenset(NDARRAY_DTYPES.values())

# Types msgpack packs itself (with strict_types=True); anything a `default`
# returns must be one of these, because msgpack calls `default` only once.
_NATIVE = frozenset({type(None), bool, int, float, str, bytes, bytearray, list, dict, ExtType})

# An encoder's packer buffer grows to the largest message it packed; a packer
# that produced more than this is replaced so one big reply is not kept forever.
_SHRINK_ABOVE = 1 << 20


def _new_packer(default: Callable[[Any], Any]) -> msgpack.Packer:
    # strict_types: tuples, int/float/str/dict subclasses reach `default`
    # instead of being packed as their base type.
    return msgpack.Packer(default=default, use_bin_type=True, strict_types=True, autoreset=True)


def _bigint_payload(value: int) -> bytes:
    # Same bytes as Java BigInteger.toByteArray(): minimal two's complement.
    n = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return value.to_bytes(n, "big", signed=True)


def _offset_seconds(offset: _dt.timedelta) -> int:
    # Whole seconds, rounded down (timedelta keeps days negative, seconds >= 0).
    return offset.days * 86400 + offset.seconds


class Encoder:
    """Encodes values to msgpack bytes. Not thread-safe: use one per thread.

    Ext payloads that hold nested values (tuple, set, ndarray, handle, error)
    are packed by a second packer one level deeper, so packers are kept in a
    stack indexed by nesting depth and reused across calls.
    """

    def __init__(self, handle_hook: HandleHook | None = None) -> None:
        self.handle_hook = handle_hook
        #: arrays of at least this many bytes go as references to shared memory (ext 12),
        #: kept alive by a handle; None: every array by value
        self.array_min: int | None = None
        self._default_cb = self._default  # one bound method, shared by all packers
        self._packers: list[msgpack.Packer] = [_new_packer(self._default_cb)]
        self._depth = 0
        self._by_type: dict[type, Callable[[Any], Any]] = {
            int: self._bigint,
            tuple: self._tuple,
            set: self._set,
            frozenset: self._set,
            _dt.datetime: self._datetime,
            _dt.date: self._date,
            _dt.time: self._time,
            _dt.timedelta: self._timedelta,
            complex: self._complex,
            Handle: self._handle,
            RemoteError: self._error,
        }

    # -- public -------------------------------------------------------------

    def encode(self, value: Any) -> bytes:
        """msgpack bytes of `value`; raises EncodeError if some part has no encoding."""
        try:
            return self._pack(value)
        except EncodeError:
            raise
        except RecursionError as exc:
            raise EncodeError(f"value nested too deeply to encode ({exc}): flatten it, or keep it in Python "
                              "as an object (a handle)") from None
        except (TypeError, ValueError, OverflowError, UnicodeError, struct.error) as exc:
            raise EncodeError(f"cannot encode value: {type(exc).__name__}: {exc}") from exc

    # -- packing --------------------------------------------------------------

    def _pack(self, value: Any) -> bytes:
        d = self._depth
        packers = self._packers
        if d == len(packers):
            packers.append(_new_packer(self._default_cb))
        self._depth = d + 1
        try:
            data = packers[d].pack(value)
        finally:
            self._depth = d
        if len(data) > _SHRINK_ABOVE:
            packers[d] = _new_packer(self._default_cb)
        return data

    def _default(self, obj: Any) -> Any:
        fn = self._by_type.get(type(obj))
        if fn is not None:
            return fn(obj)
        return self._default_slow(obj)

    def _final(self, value: Any) -> Any:
        # What `default` returns is packed without calling `default` again.
        t = type(value)
        if t in _NATIVE:
            if t is int and not (_INT_MIN <= value <= _INT_MAX):
                return self._bigint(value)
            return value
        return self._default(value)

    def _default_slow(self, obj: Any) -> Any:
        np = sys.modules.get("numpy")  # no numpy imported -> no numpy objects exist
        if np is not None:
            if type(obj) is np.ndarray:
                ext = self._ndarray(np, obj)
                if ext is not None:
                    return ext
                return self._no_encoding(obj)
            if isinstance(obj, np.generic):
                value = obj.item()
                if isinstance(value, np.generic):  # e.g. longdouble: no plain equivalent
                    return self._no_encoding(obj)
                return self._final(value)
        # Subclasses of the value types are sent as their base type.
        if isinstance(obj, int):
            return self._final(int.__int__(obj))
        if isinstance(obj, float):
            return float.__float__(obj)
        if isinstance(obj, str):
            return str.__str__(obj)
        if isinstance(obj, bytes):
            return b"".join((obj,))
        if isinstance(obj, list):
            return list(obj)
        if isinstance(obj, dict):
            return dict(obj)
        if isinstance(obj, tuple):
            return self._tuple(obj)
        if isinstance(obj, (set, frozenset)):
            return self._set(obj)
        if isinstance(obj, _dt.datetime):
            return self._datetime(obj)
        if isinstance(obj, _dt.date):
            return self._date(obj)
        if isinstance(obj, _dt.time):
            return self._time(obj)
        if isinstance(obj, _dt.timedelta):
            return self._timedelta(obj)
        if isinstance(obj, complex):
            return self._complex(obj)
        if isinstance(obj, BaseException):
            return self._error(obj)
        return self._no_encoding(obj)

    def _no_encoding(self, obj: Any) -> Any:
        hook = self.handle_hook
        if hook is None:
            raise EncodeError(f"no encoding for object of type {qualified_name(type(obj))}")
        return self._handle(hook(obj))

    # -- ext encoders ---------------------------------------------------------

    def _bigint(self, value: int) -> ExtType:
        return ExtType(X.BIGINT, _bigint_payload(value))

    def _tuple(self, value: tuple) -> ExtType:
        pack = self._pack
        return ExtType(X.TUPLE, b"".join([pack(item) for item in value]))

    def _set(self, value: Any) -> ExtType:
        pack = self._pack
        items = [pack(item) for item in value]
        items.sort()  # bytes sort unsigned-lexicographically: the canonical order
        return ExtType(X.SET, b"".join(items))

    def _date(self, d: _dt.date) -> ExtType:
        return ExtType(X.DATE, _DATE.pack(d.year, d.month, d.day))

    def _time(self, t: _dt.time) -> ExtType:
        offset = t.utcoffset()
        if offset is None:
            return ExtType(X.TIME, _TIME.pack(t.hour, t.minute, t.second, t.microsecond))
        return ExtType(X.TIME, _TIME_TZ.pack(t.hour, t.minute, t.second, t.microsecond,
                                             _offset_seconds(offset)))

    def _datetime(self, v: _dt.datetime) -> ExtType:
        offset = v.utcoffset()
        if offset is None:
            return ExtType(X.DATETIME, _DATETIME.pack(v.year, v.month, v.day, v.hour, v.minute,
                                                      v.second, v.microsecond))
        return ExtType(X.DATETIME, _DATETIME_TZ.pack(v.year, v.month, v.day, v.hour, v.minute,
                                                     v.second, v.microsecond, _offset_seconds(offset)))

    def _timedelta(self, td: _dt.timedelta) -> ExtType:
        return ExtType(X.TIMEDELTA, _TIMEDELTA.pack(td.days, td.seconds, td.microseconds))

    def _complex(self, c: complex) -> ExtType:
        return ExtType(X.COMPLEX, _COMPLEX.pack(c.real, c.imag))

    def _handle(self, h: Handle) -> ExtType:
        return ExtType(X.HANDLE, self._pack(list(h.fields())))

    def _error(self, exc: BaseException) -> ExtType:
        if isinstance(exc, RemoteError):
            fields = exc.fields()
        else:
            fields = ["python", qualified_name(type(exc)), safe_str(exc), ""]
        return ExtType(X.ERROR, self._pack(fields))

    def _ndarray(self, np: Any, arr: Any) -> ExtType | None:
        dtype = arr.dtype
        descr = NDARRAY_DTYPES.get((dtype.kind, dtype.itemsize))
        if descr is None or dtype.fields is not None:
            return None  # unsupported dtype: the caller falls back to a handle
        if self.array_min is not None and arr.nbytes >= self.array_min and self.handle_hook is not None:
            return self._array_ref(arr, descr)
        if dtype.str != descr:  # big-endian (or native on a big-endian host)
            arr = arr.astype(descr)
        if arr.ndim and arr.size and arr.flags.c_contiguous:
            data: Any = memoryview(arr).cast("B")  # no copy before msgpack's own
        else:
            data = arr.tobytes(order="C")
        return ExtType(X.NDARRAY, self._pack([descr, list(arr.shape), data]))

    def _array_ref(self, arr: Any, descr: str) -> ExtType:
        from . import shm

        src, keeper = shm.export(arr, descr)
        owner = self.handle_hook(keeper)  # type: ignore[misc]
        return ExtType(X.ARRAY_REF, self._pack([descr, list(arr.shape), src, owner]))


def _hashable(value: Any) -> Any:
    """A decoded value made usable as a dict key or set item: sets become frozensets."""
    t = type(value)
    if t is set or t is frozenset:
        return frozenset([_hashable(v) for v in value])
    if t is tuple:
        return tuple([_hashable(v) for v in value])
    return value


# Offset -> timezone. Bounded: valid offsets are within one day of seconds.
_TZ_CACHE: dict[int, _dt.timezone] = {}


def _tz(seconds: int) -> _dt.timezone:
    tz = _TZ_CACHE.get(seconds)
    if tz is None:
        tz = _TZ_CACHE[seconds] = _dt.timezone(_dt.timedelta(seconds=seconds))
    return tz


class Decoder:
    """Decodes msgpack bytes to values. Not thread-safe: use one per thread.

    The fast path is a plain `msgpack.unpackb` with an ext hook. msgpack
    raises TypeError when a map key is unhashable (a set, or a tuple holding a
    set): only then is the message decoded again with an object_pairs_hook
    that turns such keys into frozensets.
    """

    def __init__(self, resolver: Resolver | None = None) -> None:
        self.resolver = resolver
        #: first StaleHandleError met by the resolver during the last decode
        self.stale: StaleHandleError | None = None
        self._hook_fast = self._ext_fast
        self._hook_slow = self._ext_slow
        self._pairs_cb = self._pairs
        self._ext_table: dict[int, Callable[[bytes, bool], Any]] = {
            X.BIGINT: self._bigint, X.TUPLE: self._tuple, X.SET: self._set, X.DATE: self._date,
            X.TIME: self._time, X.DATETIME: self._datetime, X.TIMEDELTA: self._timedelta,
            X.NDARRAY: self._ndarray, X.HANDLE: self._handle, X.ERROR: self._error,
            X.COMPLEX: self._complex, X.ARRAY_REF: self._array_ref,
        }

    def decode(self, data: bytes) -> Any:
        """The value in `data` (exactly one msgpack object); DecodeError if malformed."""
        self.stale = None
        try:
            return _unpackb(data, raw=False, strict_map_key=False, ext_hook=self._hook_fast)
        except TypeError:
            pass  # unhashable map key: retry below with the slow path
        except DecodeError:
            raise
        except RecursionError:
            raise DecodeError("value nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 (whatever msgpack raises on bad input is a DecodeError)
            raise DecodeError(f"malformed msgpack: {exc}") from None
        self.stale = None
        try:
            return msgpack.unpackb(data, raw=False, strict_map_key=False, ext_hook=self._hook_slow,
                                   object_pairs_hook=self._pairs_cb)
        except DecodeError:
            raise
        except RecursionError:
            raise DecodeError("value nested too deeply") from None
        except Exception as exc:  # noqa: BLE001 (as above)
            raise DecodeError(f"malformed msgpack: {exc}") from None

    # -- helpers --------------------------------------------------------------

    def _pairs(self, pairs: list[tuple[Any, Any]]) -> dict:
        try:
            return dict(pairs)
        except TypeError:
            pass
        try:
            return {_hashable(k): v for k, v in pairs}
        except TypeError as exc:
            raise DecodeError(f"unhashable map key: {exc}") from None

    def _ext_fast(self, code: int, data: bytes) -> Any:
        return self._ext(code, data, False)

    def _ext_slow(self, code: int, data: bytes) -> Any:
        return self._ext(code, data, True)

    def _ext(self, code: int, data: bytes, slow: bool) -> Any:
        fn = self._ext_table.get(code)
        if fn is None:
            raise DecodeError(f"unknown ext code {code}")
        try:
            return fn(data, slow)
        except (DecodeError, TypeError, RecursionError):
            raise  # TypeError: unhashable key inside, the caller retries slowly
        except (ValueError, OverflowError, struct.error) as exc:
            raise DecodeError(f"invalid {X.NAMES[code]} payload: {exc}") from None

    def _items(self, data: bytes, slow: bool) -> list[Any]:
        if not data:
            return []
        # A fresh Unpacker bounded by the payload: a bogus array header inside
        # cannot make msgpack preallocate more than the payload could hold.
        unpacker = msgpack.Unpacker(
            None, raw=False, strict_map_key=False, max_buffer_size=len(data),
            ext_hook=self._hook_slow if slow else self._hook_fast,
            object_pairs_hook=self._pairs_cb if slow else None,
        )
        unpacker.feed(data)
        items = []
        end = 0
        # tell() after each complete item: a trailing partial item is consumed
        # into the unpacker's state, so tell() at the end alone would not show it.
        for item in unpacker:
            items.append(item)
            end = unpacker.tell()
        if end != len(data):
            raise DecodeError("truncated item in ext payload")
        return items

    def _fields(self, data: bytes, what: str, n: int) -> list:
        fields = msgpack.unpackb(data, raw=False)
        if type(fields) is not list or len(fields) != n:
            raise DecodeError(f"{what} payload must be an array of {n} items")
        return fields

    # -- ext decoders ---------------------------------------------------------

    def _bigint(self, data: bytes, slow: bool) -> int:
        if not data:
            raise DecodeError("empty bigint payload")
        return int.from_bytes(data, "big", signed=True)

    def _tuple(self, data: bytes, slow: bool) -> tuple:
        return tuple(self._items(data, slow))

    def _set(self, data: bytes, slow: bool) -> set:
        items = self._items(data, slow)
        try:
            return set(items)
        except TypeError:
            pass
        try:
            return {_hashable(v) for v in items}
        except TypeError as exc:
            raise DecodeError(f"unhashable set item: {exc}") from None

    def _date(self, data: bytes, slow: bool) -> _dt.date:
        return _dt.date(*_DATE.unpack(data))

    def _time(self, data: bytes, slow: bool) -> _dt.time:
        if len(data) == 7:
            return _dt.time(*_TIME.unpack(data))
        h, m, s, us, off = _TIME_TZ.unpack(data)
        return _dt.time(h, m, s, us, _tz(off))

    def _datetime(self, data: bytes, slow: bool) -> _dt.datetime:
        if len(data) == 11:
            return _dt.datetime(*_DATETIME.unpack(data))
        y, mo, d, h, mi, s, us, off = _DATETIME_TZ.unpack(data)
        return _dt.datetime(y, mo, d, h, mi, s, us, _tz(off))

    def _timedelta(self, data: bytes, slow: bool) -> _dt.timedelta:
        days, seconds, micros = _TIMEDELTA.unpack(data)
        if not (0 <= seconds < 86400 and 0 <= micros < 1000000):  # normalised, as Python writes it
            raise DecodeError(f"timedelta not normalised: days={days}, seconds={seconds}, microseconds={micros}")
        return _dt.timedelta(days=days, seconds=seconds, microseconds=micros)

    def _complex(self, data: bytes, slow: bool) -> complex:
        return complex(*_COMPLEX.unpack(data))

    def _error(self, data: bytes, slow: bool) -> RemoteError:
        return error_from_fields(msgpack.unpackb(data, raw=False))

    def _handle(self, data: bytes, slow: bool) -> Any:
        node, worker, generation, hid, tname = self._fields(data, "handle", 5)
        if not (type(node) is str and type(worker) is str and type(generation) is int
                and type(hid) is int and type(tname) is str):
            raise DecodeError("handle payload must be [str, str, int, int, str]")
        if not (_INT_MIN <= generation <= _INT64_MAX and _INT_MIN <= hid <= _INT64_MAX):
            raise DecodeError("handle generation and id must fit in 64-bit signed ints")
        handle = Handle(node, worker, generation, hid, tname)
        resolver = self.resolver
        if resolver is None:
            return handle
        try:
            return resolver(handle)
        except StaleHandleError as exc:
            # Raising here would lose the request id: record it, keep decoding.
            if self.stale is None:
                self.stale = exc
            return handle

    def _ndarray(self, data: bytes, slow: bool) -> Any:
        descr, shape, raw = self._fields(data, "ndarray", 3)
        if type(descr) is not str or descr not in _NDARRAY_DESCRS:
            raise DecodeError(f"unsupported ndarray dtype {descr!r}")
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise DecodeError("ndarray shape must be an array of non-negative ints")
        if type(raw) is not bytes:
            raise DecodeError("ndarray data must be bin")
        try:
            import numpy as np
        except ImportError:
            raise DecodeError(f"received an ndarray but NumPy is not installed in this worker's interpreter: "
                              f"{sys.executable} -m pip install numpy") from None
        dtype = np.dtype(descr)
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != len(raw):
            raise DecodeError(f"ndarray data has {len(raw)} bytes, shape {shape} of {descr} needs "
                              f"{count * dtype.itemsize}")
        if count == 0:
            return np.zeros(shape, dtype=dtype)
        # bytearray: the array owns a writable copy, like any array user code makes.
        return np.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)

    def _array_ref(self, data: bytes, slow: bool) -> Any:
        descr, shape, src, owner = self._fields(data, "array reference", 4)  # owner: the memory's name
        if type(descr) is not str or descr not in _NDARRAY_DESCRS:
            raise DecodeError(f"unsupported ndarray dtype {descr!r}")
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise DecodeError("array reference shape must be an array of non-negative ints")
        if type(owner) is not str:
            raise DecodeError("an array reference sent to a worker carries the name of its memory (str)")
        from . import shm

        return shm.attach(src, descr, shape, owner)


def peek_header(data: bytes) -> tuple[Any | None, Any | None]:
    """(message type, request id) of a frame that failed to decode, as far as they can be read.

    Streams just the array header and the first two items, so a frame that is
    broken further on still yields its request id.
    """
    try:
        unpacker = msgpack.Unpacker(None, raw=False, strict_map_key=False,
                                    max_buffer_size=max(len(data), 1))
        unpacker.feed(data)
        if unpacker.read_array_header() < 2:
            return None, None
        mtype = unpacker.unpack()
        return mtype, unpacker.unpack()
    except Exception:  # noqa: BLE001 (best effort: a broken header has no ids)
        return None, None


_local = threading.local()


def encode(value: Any, handle_hook: HandleHook | None = None) -> bytes:
    """msgpack bytes of `value`. Without a hook, an object with no encoding raises EncodeError."""
    if handle_hook is not None:
        return Encoder(handle_hook).encode(value)
    enc = getattr(_local, "encoder", None)
    if enc is None:
        enc = _local.encoder = Encoder()
    return enc.encode(value)


def decode(data: bytes, resolver: Resolver | None = None) -> Any:
    """The value in `data`. Without a resolver, handles decode as `Handle` objects."""
    if resolver is not None:
        return Decoder(resolver).decode(data)
    dec = getattr(_local, "decoder", None)
    if dec is None:
        dec = _local.decoder = Decoder()
    return dec.decode(data)
