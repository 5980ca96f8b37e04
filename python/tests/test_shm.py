"""Arrays in shared memory (shm.py, ext 12): exact bytes, no copy where none is needed, clear errors."""
from __future__ import annotations

import os

import msgpack
import numpy as np
import pytest

from pyfleet import extcodes, shm
from pyfleet.codec import NDARRAY_DTYPES, Decoder, Encoder
from pyfleet.errors import DecodeError, ProtocolError
from pyfleet.handles import Handle, HandleTable
from pyfleet.messages import MSG_REPLY, MSG_REQUEST
from pyfleet.ops import parse_options

DESCRS = sorted(set(NDARRAY_DTYPES.values()))


def _ref_fields(data: bytes) -> list:
    ext = msgpack.unpackb(data)
    assert ext.code == extcodes.ARRAY_REF
    return msgpack.unpackb(ext.data)


def _export(arr):
    """(fields, keeper's handle, table) of `arr` encoded as an array reference."""
    table = HandleTable()
    enc = Encoder(table.add)
    enc.array_min = 0
    fields = _ref_fields(enc.encode(arr))
    keeper = msgpack.unpackb(fields[3].data)
    return fields, keeper, table


def _attach(fields):
    src = fields[2]
    return shm.attach(src, fields[0], fields[1], os.readlink(src))


@pytest.mark.parametrize("descr", DESCRS)
def test_every_dtype_is_exported_with_exact_bytes(descr):
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 256, size=6 * np.dtype(descr).itemsize, dtype=np.uint8).tobytes()
    arr = np.frombuffer(raw, dtype=descr).reshape(2, 3)
    if arr.dtype.kind == "b":
        arr = arr.astype(bool)
    fields, _keeper, table = _export(arr)
    assert fields[0] == descr and fields[1] == [2, 3]
    back = _attach(fields)
    assert back.tobytes() == arr.tobytes() and back.dtype.str == descr
    assert not back.flags.writeable
    assert len(table) == 1


@pytest.mark.parametrize("arr", [
    np.array(2.5),
    np.zeros((0, 3), dtype="<i2"),
    np.arange(24, dtype="<f8").reshape(4, 6)[:, ::3],
    np.arange(24, dtype="<f8").reshape(4, 6).T,
    np.arange(5, dtype=">i4") - 2,
    np.arange(4, dtype=">c16") * (1 + 2j),
], ids=["0-d", "empty", "strided", "transposed", "big-endian int", "big-endian complex"])
def test_odd_shapes_become_contiguous_little_endian(arr):
    fields, _keeper, _table = _export(arr)
    back = _attach(fields)
    assert back.shape == arr.shape
    assert back.dtype.str == NDARRAY_DTYPES[(arr.dtype.kind, arr.dtype.itemsize)]
    assert back.tobytes() == np.ascontiguousarray(arr, dtype=back.dtype).tobytes()


def test_an_array_made_in_shared_memory_is_handed_over_without_a_copy():
    a = shm.empty((3, 4), "<f8")
    a[:] = 1.5
    fields, _keeper, _table = _export(a)
    assert os.stat(fields[2]).st_ino == os.fstat(shm.segment_of(a).fd).st_ino
    assert shm.segment_of(a[1:]) is None, "a part of a segment is copied"


def test_released_memory_is_reused_for_the_next_result_unless_discarded():
    fields, keeper, table = _export(np.ones(1000))
    pooled = shm.pooled()
    assert table.release([keeper[3]]) == 1
    assert shm.pooled() == pooled + 1
    again, keeper2, table2 = _export(np.full(900, 2.0))
    assert again[2] == fields[2], "the same memfd, already mapped: no page faults"
    assert _attach(again).tolist() == [2.0] * 900
    table2.resolve(Handle(*keeper2)).discard()
    table2.release([keeper2[3]])
    assert not os.path.exists(again[2]), "discarded memory is closed, not pooled"


def test_small_arrays_stay_by_value_under_the_threshold():
    enc = Encoder(HandleTable().add)
    enc.array_min = 1 << 20
    ext = msgpack.unpackb(enc.encode(np.ones(10)))
    assert ext.code == extcodes.NDARRAY


def test_decoding_a_reference_maps_the_memory_read_only():
    a = shm.empty(4, "<i8")
    a[:] = [1, 2, 3, 4]
    src = f"/proc/{os.getpid()}/fd/{shm.segment_of(a).fd}"
    name = os.readlink(src)
    payload = msgpack.packb(["<i8", [2, 2], src, name])
    got = Decoder().decode(msgpack.packb(msgpack.ExtType(extcodes.ARRAY_REF, payload)))
    assert got.tolist() == [[1, 2], [3, 4]] and not got.flags.writeable
    a[0] = 9
    assert got[0, 0] == 9, "the same memory, not a copy"


@pytest.mark.parametrize("fields, message", [
    (["<f8", [1], "/etc/passwd", "x"], "must be /proc/<pid>/fd/<n>"),
    (["<f8", [1], "/proc/1/fd/0", None], "carries the name"),
    (["<f9", [1], "/proc/1/fd/0", "x"], "unsupported ndarray dtype"),
    (["<f8", [-1], "/proc/1/fd/0", "x"], "non-negative"),
])
def test_bad_references_are_decode_errors(fields, message):
    data = msgpack.packb(msgpack.ExtType(extcodes.ARRAY_REF, msgpack.packb(fields)))
    with pytest.raises(DecodeError, match=message):
        Decoder().decode(data)


def test_a_reused_descriptor_is_refused():
    a = shm.empty(4, "<f8")
    src = f"/proc/{os.getpid()}/fd/{shm.segment_of(a).fd}"
    with pytest.raises(DecodeError, match="released by the node"):
        shm.attach(src, "<f8", [4], "/dev/shm/pyfleet-1-other (deleted)")


def test_memory_too_small_for_the_shape_is_refused():
    a = shm.empty(2, "<f8")
    src = f"/proc/{os.getpid()}/fd/{shm.segment_of(a).fd}"
    with pytest.raises(DecodeError, match="needs 64"):
        shm.attach(src, "<f8", [8], os.readlink(src))


@pytest.mark.parametrize("opts, message", [
    ({"arrays": -1}, "non-negative"),
    ({"arrays": "big"}, "non-negative"),
    ({"ret": "array"}, "needs opts.arrays"),
    ({"arrays": True}, "non-negative"),  # after {"arrays": 1} was cached: True == 1 as a key
])
def test_array_options_are_checked(opts, message):
    assert parse_options({"arrays": 1}).array_min == 1
    with pytest.raises(ProtocolError, match=message):
        parse_options(opts)
    assert parse_options({"ret": "array", "arrays": 0}).array


def test_a_worker_sends_large_results_by_reference_and_releases_them(worker):
    rid = 1
    worker.send([MSG_REQUEST, rid, "call", "numpy.arange", [100000.0], None, {"arrays": 4096}])
    msg = msgpack.unpackb(worker.read_frame(), strict_map_key=False)
    assert msg[0] == MSG_REPLY and msg[1] == rid
    fields = msgpack.unpackb(msg[2].data)
    keeper = Handle(*msgpack.unpackb(fields[3].data))
    assert fields[:2] == ["<f8", [100000]] and keeper.type == "pyfleet.shm.Export"
    back = _attach(fields)
    assert back[-1] == 99999.0
    assert worker.call("release", None, [keeper.id]) == 1
    worker.send([MSG_REQUEST, 2, "call", "numpy.ones", [100000], None, {"arrays": 4096}])
    again = msgpack.unpackb(msgpack.unpackb(worker.read_frame(), strict_map_key=False)[2].data)
    assert again[2] == fields[2], "the released memory holds the next result"
    assert _attach(again)[-1] == 1.0
    worker.call("release", None, [msgpack.unpackb(again[3].data)[3]])
    assert worker.call("call", "numpy.arange", [10.0], opts={"arrays": 4096}).tolist() == list(range(10))
    with pytest.raises(Exception, match="no array encoding"):
        worker.call("call", "builtins.list", [["a"]], opts={"ret": "array", "arrays": 0})
