"""The typed JSON form of values used by spec/vectors.json (spec/PROTOCOL.md, "Test vectors").

`from_typed` builds the Python value a vector describes; `to_typed` writes a
value in that form. Both the vector generator (tools/make_vectors.py) and the
test suite use them; test support, not part of the worker package.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import struct
from typing import Any

from pyfleet.codec import NDARRAY_DTYPES, encode
from pyfleet.errors import RemoteError
from pyfleet.handles import Handle

__all__ = ["float_from_text", "float_to_text", "from_typed", "to_typed"]

_CANONICAL_NAN = 0x7FF8000000000000


def float_to_text(x: float) -> dict[str, str]:
    """{"float": text} or, for a NaN that is not Python's own, {"float_bits": hex}."""
    if math.isnan(x):
        bits = struct.unpack(">Q", struct.pack(">d", x))[0]
        if bits != _CANONICAL_NAN:
            return {"float_bits": f"{bits:016x}"}
        return {"float": "nan"}
    return {"float": repr(x)}


def float_from_text(text: str) -> float:
    return float(text)  # float() reads "nan", "inf", "-inf", "-0.0", "1e+308"


def _float_from(form: dict[str, str]) -> float:
    if "float_bits" in form:
        return struct.unpack(">d", bytes.fromhex(form["float_bits"]))[0]
    return float_from_text(form["float"])


_TIME_RE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?$")
_DATE_RE = re.compile(r"^(-?\d{4,})-(\d{2})-(\d{2})$")


def _tz(text: str) -> _dt.timezone:
    if text == "Z":
        return _dt.UTC
    sign = -1 if text[0] == "-" else 1
    parts = [int(p) for p in text[1:].split(":")]
    seconds = parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)
    return _dt.timezone(_dt.timedelta(seconds=sign * seconds))


def _parse_time(text: str) -> _dt.time:
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"bad time {text!r}")
    h, mi, s, frac, tz = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    return _dt.time(int(h), int(mi), int(s), micro, _tz(tz) if tz else None)


def _parse_date(text: str) -> _dt.date:
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"bad date {text!r}")
    return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _parse_datetime(text: str) -> _dt.datetime:
    date_part, time_part = text.split("T", 1)
    d = _parse_date(date_part)
    t = _parse_time(time_part)
    return _dt.datetime.combine(d, t, tzinfo=t.tzinfo)


def from_typed(v: dict[str, Any]) -> Any:
    """The Python value of a typed JSON form."""
    if not isinstance(v, dict) or len(v) != 1:
        raise ValueError(f"a typed value is a one-key object, not {v!r}")
    (tag, x), = v.items()
    if tag == "none":
        return None
    if tag == "bool":
        return bool(x)
    if tag == "int":
        return int(x)
    if tag in ("float", "float_bits"):
        return _float_from(v)
    if tag == "str":
        return str(x)
    if tag == "bytes":
        return bytes.fromhex(x)
    if tag == "list":
        return [from_typed(i) for i in x]
    if tag == "tuple":
        return tuple(from_typed(i) for i in x)
    if tag == "set":
        return {_freeze(from_typed(i)) for i in x}
    if tag == "dict":
        return {_freeze(from_typed(k)): from_typed(val) for k, val in x}
    if tag == "date":
        return _parse_date(x)
    if tag == "time":
        return _parse_time(x)
    if tag == "datetime":
        return _parse_datetime(x)
    if tag == "timedelta":
        return _dt.timedelta(days=x[0], seconds=x[1], microseconds=x[2])
    if tag == "ndarray":
        import numpy as np
        data = bytearray.fromhex(x["data"])
        dtype = np.dtype(x["dtype"])
        if not data:
            return np.zeros(x["shape"], dtype=dtype)
        return np.frombuffer(data, dtype=dtype).reshape(x["shape"])
    if tag == "handle":
        return Handle(*x)
    if tag == "error":
        return RemoteError(*x)
    if tag == "complex":
        return complex(_float_from({"float": x[0]}), _float_from({"float": x[1]}))
    raise ValueError(f"unknown typed value tag {tag!r}")


def _freeze(value: Any) -> Any:
    if isinstance(value, set):
        return frozenset(_freeze(i) for i in value)
    if isinstance(value, tuple):
        return tuple(_freeze(i) for i in value)
    return value


def to_typed(value: Any) -> dict[str, Any]:
    """The typed JSON form of a value (set items in the encoder's canonical order)."""
    t = type(value)
    if value is None:
        return {"none": None}
    if t is bool:
        return {"bool": value}
    if t is int:
        return {"int": str(value)}
    if t is float:
        return float_to_text(value)
    if t is str:
        return {"str": value}
    if t is bytes:
        return {"bytes": value.hex()}
    if t is list:
        return {"list": [to_typed(i) for i in value]}
    if t is tuple:
        return {"tuple": [to_typed(i) for i in value]}
    if t is set or t is frozenset:
        return {"set": [to_typed(i) for i in sorted(value, key=encode)]}
    if t is dict:
        return {"dict": [[to_typed(k), to_typed(v)] for k, v in value.items()]}
    if t is _dt.datetime:
        return {"datetime": value.isoformat()}
    if t is _dt.date:
        return {"date": value.isoformat()}
    if t is _dt.time:
        return {"time": value.isoformat()}
    if t is _dt.timedelta:
        return {"timedelta": [value.days, value.seconds, value.microseconds]}
    if t is complex:
        return {"complex": [float_to_text(value.real)["float"], float_to_text(value.imag)["float"]]}
    if t is Handle:
        return {"handle": list(value.fields())}
    if t is RemoteError:
        return {"error": value.fields()}
    if t.__module__ == "numpy" and t.__name__ == "ndarray":
        import numpy as np
        descr = NDARRAY_DTYPES[(value.dtype.kind, value.dtype.itemsize)]
        arr = np.ascontiguousarray(value, dtype=np.dtype(descr))
        return {"ndarray": {"dtype": descr, "shape": list(value.shape), "data": arr.tobytes().hex()}}
    raise TypeError(f"no typed JSON form for {t.__name__}")
