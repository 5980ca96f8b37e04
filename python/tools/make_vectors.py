#!/usr/bin/env python3
"""Generate spec/vectors.json: the shared codec test vectors (see spec/PROTOCOL.md).

"valid": each vector is {"name", "hex", "value"}: the value in typed JSON form
and its canonical encoding, produced by this package's codec.
"invalid": each is {"name", "hex", "error"}: bytes that every decoder must
reject with a protocol error (checked here against this package's codec).
Run from anywhere (--check: only compare with the file, as the test suite does):

    python/.venv/bin/python python/tools/make_vectors.py [--check]
"""
from __future__ import annotations

import datetime as dt
import json
import math
import os
import struct
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "src"))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))  # typedjson: test support, not shipped

import numpy as np  # noqa: E402

from pyfleet.codec import decode, encode  # noqa: E402
from pyfleet.errors import DecodeError, RemoteError  # noqa: E402
from pyfleet.handles import Handle  # noqa: E402
from typedjson import from_typed, to_typed  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "spec", "vectors.json")


def tz(hours: int = 0, minutes: int = 0, seconds: int = 0) -> dt.timezone:
    sign = -1 if hours < 0 else 1
    return dt.timezone(dt.timedelta(seconds=sign * (abs(hours) * 3600 + minutes * 60 + seconds)))


def vectors() -> list[tuple[str, Any]]:
    v: list[tuple[str, Any]] = [
        ("nil", None),
        ("true", True),
        ("false", False),
    ]
    ints = [
        0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**63, 2**64 - 1,
        -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63,
    ]
    for i in ints:
        v.append((f"int {i}", i))
    v += [
        ("bigint 2^64", 2**64),
        ("bigint -2^63-1", -2**63 - 1),
        ("bigint 2^127-1 (16 bytes: fixext16)", 2**127 - 1),
        ("bigint -2^127 (16 bytes: fixext16)", -2**127),
        ("bigint pow(6,42)", pow(6, 42)),
        ("bigint -10^40", -10**40),
        ("bigint 10^100", 10**100),
    ]
    floats = [0.0, -0.0, 1.5, -2.25, math.nan, math.inf, -math.inf, 1e308, 5e-324, 0.1,
              3.141592653589793]
    for f in floats:
        v.append((f"float {f!r}", f))
    v.append(("float NaN with payload", struct.unpack(">d", bytes.fromhex("7ff8000000000001"))[0]))
    v += [
        ("str empty", ""),
        ("str ascii", "hello"),
        ("str unicode and emoji", "héllo wörld ☃ 😀"),
        ("str 31 chars (fixstr max)", "a" * 31),
        ("str 32 chars (str8)", "b" * 32),
        ("str 255 chars (str8 max)", "c" * 255),
        ("str 256 chars (str16)", "d" * 256),
        ("str 65536 chars (str32)", "e" * 65536),
        ("bytes empty", b""),
        ("bytes some", b"\x00\x01\xfe\xff"),
        ("bytes 256 (bin16)", bytes(range(256))),
        ("list empty", []),
        ("list mixed", [1, "two", 3.0, None, True]),
        ("list nested", [[1, [2, [3, []]]], [b"x"]]),
        ("list 16 items (array16)", list(range(16))),
        ("tuple empty", ()),
        ("tuple (1, 2)", (1, 2)),
        ("tuple nested", (1, (2, (3,)), "x")),
        ("tuple inside list", [(1, "a"), ()]),
        ("tuple with bigint and None", (None, 2**64)),
        ("tuple 8 small ints (fixext8)", tuple(range(8))),
        ("tuple 300-byte payload (ext16)", (b"x" * 297,)),
        ("tuple 65536-byte payload (ext32)", (b"y" * 65533,)),
        ("dict empty", {}),
        ("dict str keys", {"a": 1, "b": [2, 3]}),
        ("dict int keys", {1: "one", -2: "minus two", 2**64: "big"}),
        ("dict tuple and None keys", {(1, 2): "pair", None: "nil", (): "empty"}),
        ("dict frozenset key", {frozenset({1, 2}): "set key"}),
        ("dict nested", {"outer": {"inner": {"x": (1,)}}, "n": None}),
        ("dict 16 entries (map16)", {f"k{i}": i for i in range(16)}),
        ("set empty", set()),
        ("set ints", {3, 1, 2, 300, -1}),
        ("set mixed", {"b", 1, (1, 2), None, 2.5, b"a"}),
        ("set with frozenset", {frozenset({1}), 0}),
        ("date 1923-04-02", dt.date(1923, 4, 2)),
        ("date 0001-01-01", dt.date(1, 1, 1)),
        ("date 9999-12-31", dt.date(9999, 12, 31)),
        ("date 1970-01-01", dt.date(1970, 1, 1)),
        ("time naive", dt.time(12, 30, 5)),
        ("time naive with micros", dt.time(12, 30, 5, 1)),
        ("time midnight", dt.time(0, 0)),
        ("time 23:59:59.999999", dt.time(23, 59, 59, 999999)),
        ("time aware +02:00", dt.time(12, 30, 5, tzinfo=tz(2))),
        ("time aware -05:30", dt.time(1, 2, 3, 456789, tzinfo=tz(-5, 30))),
        ("time aware UTC", dt.time(8, 0, tzinfo=dt.UTC)),
        ("datetime naive", dt.datetime(1923, 4, 2, 12, 30, 5)),
        ("datetime naive with micros", dt.datetime(2024, 2, 29, 23, 59, 59, 500000)),
        ("datetime 0001-01-01T00:00", dt.datetime(1, 1, 1)),
        ("datetime 9999-12-31T23:59:59.999999", dt.datetime(9999, 12, 31, 23, 59, 59, 999999)),
        ("datetime aware UTC", dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
        ("datetime aware +05:30", dt.datetime(2021, 6, 15, 8, 45, 0, 123, tzinfo=tz(5, 30))),
        ("datetime aware -08:00", dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=tz(-8))),
        ("datetime aware +00:00:30 (seconds offset)", dt.datetime(1900, 1, 1, tzinfo=tz(0, 0, 30))),
        ("timedelta zero", dt.timedelta(0)),
        ("timedelta positive", dt.timedelta(days=1, seconds=2, microseconds=3)),
        ("timedelta negative (normalised)", dt.timedelta(seconds=-1)),
        ("timedelta negative with micros", dt.timedelta(days=-3, hours=5, microseconds=-7)),
        ("timedelta micros only", dt.timedelta(microseconds=999999)),
        ("timedelta max", dt.timedelta.max),
        ("timedelta min", dt.timedelta.min),
    ]
    dtypes = ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f4", "<f8", "<c16"]
    for d in dtypes:
        if d == "|b1":
            arr = np.array([True, False, True])
        elif d == "<c16":
            arr = np.array([1 + 2j, -0.5j, 3], dtype=d)
        elif d[1] in "iu":
            info = np.iinfo(np.dtype(d))
            arr = np.array([info.min, 0, 1, info.max], dtype=d)
        else:
            arr = np.array([0.0, -1.5, np.inf, 1e-3], dtype=d)
        v.append((f"ndarray {d} 1-d", arr))
    v += [
        ("ndarray <f8 2-d", np.arange(6, dtype="<f8").reshape(2, 3)),
        ("ndarray <i4 3-d", np.arange(24, dtype="<i4").reshape(2, 3, 4)),
        ("ndarray <f8 0-d", np.array(2.5)),
        ("ndarray <i8 0-d", np.array(-7, dtype="<i8")),
        ("ndarray |b1 0-d", np.array(True)),
        ("ndarray <f8 empty shape [0]", np.zeros(0)),
        ("ndarray <i4 empty shape [2,0]", np.zeros((2, 0), dtype="<i4")),
        ("ndarray <c16 2-d", np.array([[1 + 1j, 2], [3j, -4]], dtype="<c16")),
        ("ndarray |b1 2-d", np.array([[True, False], [False, True]])),
        ("ndarray <u2 inside list", [np.array([1, 2], dtype="<u2"), "x"]),
        ("handle", Handle("node-a", "w3", 2, 17, "builtins.object")),
        ("handle big ids", Handle("local", "w0", 0, 2**40, "datetime.date")),
        ("handle in tuple", (Handle("n", "w", 1, 1, "x.Y"), 1)),
        ("error", RemoteError("python", "builtins.ValueError", "msg", "tb")),
        # the gateway's streamed outcomes of scatter and identical with opts.each (PROTOCOL.md)
        ("gateway scatter item event [3, id, [index, [0, value]]]", [3, 7, [2, [0, "ok"]]]),
        ("gateway scatter reply with each: the number of items", [1, 7, 3]),
        ("error empty traceback", RemoteError("python", "json.decoder.JSONDecodeError", "Expecting value", "")),
        ("error with frames", RemoteError(
            "python", "builtins.KeyError", "'missing-key-1'",
            'Traceback (most recent call last):\n  File "/srv/app/mymodel.py", line 12, in fail_deep\n'
            "    return table[key]\nKeyError: 'missing-key-1'\n",
            [["/srv/app/mymodel.py", 12, "fail_deep", "mymodel"], ["<string>", -1, "<module>", "string"],
             ["/srv/app/pkg/__init__.py", 2**31 - 1, "λ", "pkg"]])),
        ("complex", complex(1.5, -2.0)),
        ("complex zero", 0j),
        ("complex inf nan", complex(math.inf, math.nan)),
        ("everything nested", {"list": [1, (2, {3}), {"k": dt.date(2020, 1, 1)}],
                               "td": dt.timedelta(1), "c": 1j, "big": -2**70}),
    ]
    return v


def ext8(code: int, payload: str) -> str:
    """An ext8 value (hex) whose declared length is the payload's."""
    data = bytes.fromhex(payload)
    return f"c7{len(data):02x}{code & 0xFF:02x}{data.hex()}"


def invalid() -> list[tuple[str, str]]:
    """(name, hex) of malformed values: every decoder must reject each with a protocol error."""
    return [
        # msgpack itself
        ("empty input", ""),
        ("never used byte 0xc1", "c1"),
        ("trailing data after a value", "0101"),
        ("truncated array16 header", "dc00"),
        # headers claiming far more than there is: fail fast, allocate nothing
        ("array32 of 2^31-1 items, nothing after", "dd7fffffff"),
        ("array32 of 2^31-1 items, one present", "dd7fffffff00"),
        ("map32 of 2^32-1 entries", "dfffffffff"),
        ("map32 of 2^31-1 entries, one present", "df7fffffff0000"),
        ("bin32 of 2^31-1 bytes", "c67fffffff00"),
        ("str32 of 2^32-1 bytes", "dbffffffff61"),
        ("str32 of 2^31-1 bytes", "db7fffffff61"),
        ("ext32 tuple of 2^31-1 bytes", "c97fffffff0200"),
        ("ext32 big int of 2^31-1 bytes", "c97fffffff0100"),
        ("ext32 of 2^32-1 bytes (over 2^31)", "c9fffffffff800"),
        ("ext8 ndarray of 255 bytes, truncated in its dtype", "c7ff0893a33c6638"),
        ("ext8 tuple of 7 bytes, 6 present", "c70702920102030405"),
        # ext codes
        ("ext code 0", "d40000"),
        ("unknown ext code 13", "d40d00"),
        ("array reference that is not an array", "d40c00"),
        ("array reference of 3 fields", ext8(12, "93 a3 3c6638 91 01 a5 2f70726f63")),
        # an array reference names memory on this host: no decoder maps an arbitrary path
        ("array reference to a file that is not /proc/<pid>/fd/<n>", ext8(12, "94a33c66389101a62f746d702f78a178")),
        ("unknown ext code 99", "d46300"),
        ("ext code -1 of 1 byte", "d4ff00"),
        # payloads
        ("big int of 0 bytes", ext8(1, "")),
        ("tuple payload ending inside an array16 header", ext8(2, "dc")),
        ("tuple whose item runs past its payload into the next bytes", ext8(2, "92") + "010203"),
        ("date of 2 bytes", "d5040001"),
        ("date of 5 bytes", ext8(4, "0783040200")),
        ("fixext 4 date with 2 of its bytes", "d6040000"),
        ("date month 13", "d60407830d01"),
        ("date year 0", "d60400000101"),
        ("time of 3 bytes", ext8(5, "c0c0c0")),
        ("time of 8 bytes", ext8(5, "0c1e050000000000")),
        ("time hour 24", ext8(5, "181e0500000000")),
        ("time microsecond 10^6", ext8(5, "0c1e05000f4240")),
        ("time offset 86401 s", ext8(5, "0c1e050000000000015181")),
        ("datetime of 12 bytes", ext8(6, "078304020c1e050000000000")),
        ("timedelta of 11 bytes", ext8(7, "00" * 11)),
        ("timedelta not normalised: seconds 86400", ext8(7, "00000000 00015180 00000000")),
        ("timedelta not normalised: seconds -1", ext8(7, "00000000 ffffffff 00000000")),
        ("timedelta not normalised: microseconds 10^6", ext8(7, "00000000 00000000 000f4240")),
        ("complex of 8 bytes", "d70b" + "00" * 8),
        ("ndarray big-endian dtype", ext8(8, "93 a33e6638 9101 c408" + "00" * 8)),
        ("ndarray data of 8 bytes for shape [2] of <f8", ext8(8, "93 a33c6638 9102 c408" + "00" * 8)),
        ("ndarray data of 6 bytes for shape [1] of <f8", ext8(8, "93 a33c6638 9101 c406" + "00" * 6)),
        ("ndarray of 2 fields", ext8(8, "92 a33c6638 9100")),
        ("ndarray negative shape", ext8(8, "93 a33c6638 91ff c400")),
        ("handle of 3 fields", ext8(9, "93 a16e a177 01")),
        ("handle of 4 fields", ext8(9, "94 a16e a177 01 a474797065")),
        ("handle with a string id", ext8(9, "95 a16e a177 01 a132 a174")),
        ("handle id 2^64-1", ext8(9, "95 a16e a177 01 cfffffffffffffffff a174")),
        ("handle generation 2^63", ext8(9, "95 a16e a177 cf8000000000000000 01 a174")),
        ("error of 3 fields", ext8(10, "93 a161 a162 a163")),
        ("error with an int field", ext8(10, "94 a161 a162 a163 01")),
        ("error of 6 fields", ext8(10, "96 a161 a162 a163 a164 90 90")),
        ("error whose frames are not a list", ext8(10, "95 a161 a162 a163 a164 01")),
        ("error frame of 3 items", ext8(10, "95 a161 a162 a163 a164 91 93 a166 01 a167")),
        ("error frame with a string line", ext8(10, "95 a161 a162 a163 a164 91 94 a166 a131 a167 a16d")),
        ("error frame line 2^31", ext8(10, "95 a161 a162 a163 a164 91 94 a166 ce80000000 a167 a16d")),
        ("error frame that is a map", ext8(10, "95 a161 a162 a163 a164 91 81 a166 01")),
    ]


def main() -> None:
    valid = []
    names = set()
    for name, value in vectors():
        assert name not in names, name
        names.add(name)
        typed = to_typed(value)
        data = encode(value)
        # The typed form must describe the same value, with the same bytes.
        assert encode(from_typed(typed)) == data, name
        assert encode(decode(data)) == data, name
        valid.append({"name": name, "hex": data.hex(), "value": typed})
    bad = []
    for name, hexstr in invalid():
        assert name not in names, name
        names.add(name)
        try:
            decode(bytes.fromhex(hexstr))
        except DecodeError:
            pass
        else:
            raise AssertionError(f"invalid vector {name!r} decodes")
        bad.append({"name": name, "hex": hexstr, "error": "protocol"})

    def lines(section: list) -> str:
        return ",\n".join("    " + json.dumps(vec, ensure_ascii=False) for vec in section)
    text = '{\n  "valid": [\n' + lines(valid) + '\n  ],\n  "invalid": [\n' + lines(bad) + "\n  ]\n}\n"
    if "--check" in sys.argv[1:]:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                raise SystemExit(f"{os.path.normpath(OUT)} is not what {os.path.basename(__file__)} makes: "
                                 "edit the lists here and run it again")
        print(f"{os.path.normpath(OUT)} is up to date")
        return
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {len(valid)} valid and {len(bad)} invalid vectors to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
