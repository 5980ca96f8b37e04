"""Fuzz one real worker with random and mutated frames: it must answer or exit, never hang.

The seed is printed (run with -s to see it) and can be replayed with
PYFLEET_FUZZ_SEED=<seed>; PYFLEET_FUZZ_FRAMES changes the number of frames.
"""
from __future__ import annotations

import collections
import datetime as dt
import math
import os
import random
import struct
import time
from typing import Any

import pytest

from conftest import WorkerClient, WorkerExited
from pyfleet.codec import Decoder, encode, peek_header
from pyfleet.errors import DecodeError, error_from_fields
from pyfleet.handles import Handle
from pyfleet.messages import MSG_ERROR, MSG_EVENT, MSG_REPLY

SEED = int(os.environ.get("PYFLEET_FUZZ_SEED", "1723"))
FRAMES = int(os.environ.get("PYFLEET_FUZZ_FRAMES", "10000"))
MAX_FRAME = 65536          # small, so oversize lengths are cheap to try
DEADLINE = 10.0            # seconds for one answer; typical is well under a millisecond
ERROR_KINDS = {"python", "protocol", "stale_handle", "encode"}

# Valid requests to mutate. Nothing here can allocate without bound or sleep
# when one of its numbers is flipped (no pow, lshift, mul, range, repeat).
SEEDS: list[list[Any]] = [
    [0, 7, "operator", "add", [1, 2], None, None],
    [0, 8, "operator", "sub", [-108, -150], None, None],
    [0, 9, "operator", "eq", [42, 42], None, None],
    [0, 10, "builtin", "len", [[1, 2, 3]], None, None],
    [0, 11, "builtin", "abs", [-5], None, None],
    [0, 12, "call", "os.path.isdir", ["/tmp"], None, None],
    [0, 13, "call", "builtins.int", ["101010"], {"base": 2}, None],
    [0, 14, "const", "math.pi", None, None, {"coerce": "str"}],
    [0, 15, "init", "datetime.date", [1923, 4, 2], None, {"ret": "handle"}],
    [0, 16, "attr", dt.date(1923, 4, 2), ["year"], None, None],
    [0, 17, "method", "abc", ["upper"], None, None],
    [0, 18, "versions", None, None, None, None],
    [0, 19, "import", "json", None, None, None],
    [0, 20, "release", None, [1, 2, 3], None, None],
    [0, 21, "builtin", "sorted", [[3, 1, 2]], {"reverse": True}, {"stream": True}],
    [0, 22, "call", "math.sqrt", [2.0], None, None],
    [0, 23, "operator", "getitem", [[1, (2, 3)], 1], None, None],
    [0, 24, "call", "json.dumps", [{"a": [1, 2.5, None]}], None, None],
    [0, 25, "builtin", "repr", [{1, 2}], None, None],
    [0, 26, "call", "datetime.timedelta", None, {"days": 1, "seconds": 5}, None],
]
SAFE_OPS = ["call", "const", "init", "method", "attr", "builtin", "operator", "import", "lookup", "release",
            "versions", "bogus", ""]
SAFE_TARGETS = ["operator.add", "math.sqrt", "os.path.basename", "os.path.isdir", "json.dumps",
                "datetime.date", "add", "sub", "eq", "neg", "not_", "truth", "getitem", "len", "abs",
                "repr", "str", "bool", "sorted", "min", "max", "hash", "type", "isinstance",
                "no.such.module", "math", "json", None, 5, "", "..", "os..path"]


def random_scalar(rng: random.Random) -> Any:
    k = rng.randrange(14)
    if k == 0:
        return None
    if k == 1:
        return rng.random() < 0.5
    if k == 2:
        return rng.randrange(-2 ** 70, 2 ** 70)
    if k == 3:
        return rng.randrange(-40, 200)
    if k == 4:
        return rng.choice([0.0, -0.0, 1.5, float("nan"), float("inf"), 1e300])
    if k == 5:
        return "".join(rng.choice("ab.é😀_ ") for _ in range(rng.randrange(12)))
    if k == 6:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
    if k == 7:
        return dt.date(rng.randrange(1, 10000), rng.randrange(1, 13), rng.randrange(1, 29))
    if k == 8:
        return dt.timedelta(seconds=rng.randrange(-10 ** 6, 10 ** 6))
    if k == 9:
        return complex(rng.random(), -rng.random())
    if k == 10:
        return Handle("local", "w0", 0, rng.randrange(1, 50), "builtins.object")
    if k == 11:
        return dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(minutes=rng.randrange(-600, 600))))
    if k == 12:
        return dt.time(rng.randrange(24), rng.randrange(60))
    return rng.choice(SAFE_TARGETS)


def random_value(rng: random.Random, depth: int = 3) -> Any:
    if depth <= 0 or rng.random() < 0.5:
        return random_scalar(rng)
    k = rng.randrange(4)
    n = rng.randrange(5)
    if k == 0:
        return [random_value(rng, depth - 1) for _ in range(n)]
    if k == 1:
        return tuple(random_value(rng, depth - 1) for _ in range(n))
    if k == 2:
        keys = [random_scalar(rng) for _ in range(n)]
        return {key: random_value(rng, depth - 1) for key in keys if _hashable(key)}
    return {v for v in (random_scalar(rng) for _ in range(n)) if _hashable(v)}


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return not (isinstance(v, float) and math.isnan(v))


def random_request(rng: random.Random) -> list[Any]:
    opts = rng.choice([None, None, {}, {"ret": "handle"}, {"coerce": "str"}, {"stream": True},
                       {"ret": rng.choice(["value", "x"])}, {"nope": 1}, [1]])
    args = rng.choice([None, [], [random_value(rng)], [random_value(rng), random_value(rng)], "x"])
    kwargs = rng.choice([None, {}, {"base": 2}, {1: 2}, {"key": random_value(rng)}])
    rid = rng.choice([rng.randrange(1, 1000), 0, -1, 2 ** 63, "id", None])
    msg = [0, rid, rng.choice(SAFE_OPS), rng.choice(SAFE_TARGETS), args, kwargs, opts]
    if rng.random() < 0.1:
        msg = msg[:rng.randrange(8)]
    if rng.random() < 0.05:
        msg[0:1] = [rng.choice([1, 2, 3, 4, 5, 6, -1, "0"])]
    return msg


def make_frame(rng: random.Random) -> tuple[str, bytes, bytes]:
    """(kind, frame bytes including the length, payload as declared)."""
    roll = rng.random()
    base = encode(rng.choice(SEEDS))
    if roll < 0.30:
        data = bytearray(base)
        for _ in range(rng.randrange(1, 5)):
            pos = rng.randrange(len(data))
            data[pos] ^= 1 << rng.randrange(8)
        payload = bytes(data)
        kind = "bitflip"
    elif roll < 0.42:
        payload = base[:rng.randrange(1, len(base))]
        kind = "truncated"
    elif roll < 0.54:
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
        kind = "random-bytes"
    elif roll < 0.68:
        payload = encode(random_value(rng, 4))
        kind = "random-object"
    elif roll < 0.84:
        payload = encode(random_request(rng))
        kind = "random-request"
    elif roll < 0.94:
        # The length prefix lies about the msgpack inside (but stays within the max).
        declared = rng.randrange(1, len(base) + 24)
        payload = base[:declared] + bytes(rng.randrange(256) for _ in range(max(0, declared - len(base))))
        kind = "bogus-length"
    elif roll < 0.97:
        payload = base
        kind = "valid"
    elif roll < 0.985:
        payload = b""
        kind = "zero-length"
    elif roll < 0.998:
        # Splice: a valid request with a random chunk pasted in the middle.
        cut = rng.randrange(len(base))
        payload = base[:cut] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))) + base[cut:]
        kind = "splice"
    else:
        declared = rng.randrange(MAX_FRAME + 1, 1 << 32)
        return "oversize", struct.pack(">I", declared), b""
    return kind, struct.pack(">I", len(payload)) + payload, payload


def expected_ids(payload: bytes) -> tuple[set, int | None]:
    """Ids an answer to this frame may carry, and the one it must carry if well-formed."""
    _mtype, rid = peek_header(payload)
    allowed = {0}
    if type(rid) is int and 0 <= rid < 1 << 63:
        allowed.add(rid)
    must = None
    try:
        msg = Decoder().decode(payload)
    except DecodeError:
        return allowed, None
    if type(msg) is list and len(msg) >= 2 and type(msg[1]) is int and 0 < msg[1] < 1 << 63:
        must = msg[1]
    return allowed, must


class Fuzzer:
    def __init__(self) -> None:
        self.client: WorkerClient | None = None
        self.exits: dict[str, int] = collections.Counter()
        self.kinds: dict[str, int] = collections.Counter()
        self.answers: dict[str, int] = collections.Counter()
        self.restarts = 0

    def start(self) -> WorkerClient:
        self.client = WorkerClient(env={"PYFLEET_MAX_FRAME": str(MAX_FRAME)})
        return self.client

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def run_one(self, i: int, kind: str, frame: bytes, payload: bytes) -> None:
        client = self.client or self.start()
        self.kinds[kind] += 1
        client.send_raw(frame)
        if kind == "oversize":
            msg = client.read_message(DEADLINE)
            assert msg[0] == MSG_ERROR and msg[1] == 0 and msg[2][0] == "protocol", (i, msg)
            status = client.wait(DEADLINE)
            assert status == 3, (i, status)
            self.exits["oversize -> status 3"] += 1
            self._restart()
            return
        allowed, must = expected_ids(payload)
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                msg = client.read_message(max(0.001, deadline - time.monotonic()))
            except WorkerExited as exc:
                self.exits[f"{kind} -> status {exc.status}"] += 1
                raise AssertionError(f"frame {i} ({kind}) made the worker exit with {exc.status}: "
                                     f"{payload.hex()}") from None
            except TimeoutError:
                raise AssertionError(f"frame {i} ({kind}) got no answer within {DEADLINE}s: "
                                     f"{payload.hex()}") from None
            if msg[0] == MSG_EVENT:
                assert must is not None and msg[1] == must, (i, kind, msg)
                continue
            break
        assert type(msg) is list and len(msg) == 3 and msg[0] in (MSG_REPLY, MSG_ERROR), (i, kind, msg)
        assert msg[1] in allowed, (i, kind, payload.hex(), msg)
        if must is not None:
            assert msg[1] == must, (i, kind, payload.hex(), msg)
        if msg[0] == MSG_ERROR:
            fields = msg[2]
            error_from_fields(fields)  # the one shape: 4 str, and maybe the frames
            assert fields[0] in ERROR_KINDS, msg
            self.answers[f"error/{fields[0]}"] += 1
        else:
            self.answers["reply"] += 1
        if len(client.logs) > 1000:
            client.logs.clear()

    def _restart(self) -> None:
        self.restarts += 1
        self.close()
        self.client = None


def test_fuzz_frames():
    print(f"\nfuzz seed {SEED} (replay with PYFLEET_FUZZ_SEED={SEED}), {FRAMES} frames")
    rng = random.Random(SEED)
    fuzzer = Fuzzer()
    started = time.monotonic()
    try:
        fuzzer.start()
        for i in range(FRAMES):
            kind, frame, payload = make_frame(rng)
            fuzzer.run_one(i, kind, frame, payload)
        # Still alive and in sync at the end.
        client = fuzzer.client or fuzzer.start()
        assert client.call("operator", "add", [40, 2]) == 42
    finally:
        fuzzer.close()
        print(f"kinds: {dict(fuzzer.kinds)}")
        print(f"answers: {dict(fuzzer.answers)}")
        print(f"exits (worker restarted each time): {dict(fuzzer.exits)}")
        print(f"elapsed {time.monotonic() - started:.1f}s")
    assert sum(fuzzer.kinds.values()) == FRAMES
    assert set(fuzzer.exits) <= {"oversize -> status 3"}


def test_fuzz_pipelined_batches():
    """Many fuzzed frames in one write: every one answered, in order."""
    rng = random.Random(SEED + 1)
    client = WorkerClient(env={"PYFLEET_MAX_FRAME": str(MAX_FRAME)})
    try:
        for _batch in range(100):
            frames = []
            while len(frames) < 10:
                kind, frame, payload = make_frame(rng)
                if kind != "oversize":
                    frames.append((frame, payload))
            client.send_raw(b"".join(f for f, _p in frames))
            for _frame, payload in frames:
                allowed, must = expected_ids(payload)
                msg = client.read_message(DEADLINE)
                while msg[0] == MSG_EVENT:
                    msg = client.read_message(DEADLINE)
                assert msg[0] in (MSG_REPLY, MSG_ERROR) and msg[1] in allowed, (payload.hex(), msg)
                if must is not None:
                    assert msg[1] == must
        assert client.call("operator", "add", [1, 1]) == 2
    finally:
        client.close()


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_eof_inside_a_header_or_body_exits_cleanly(cut):
    client = WorkerClient()
    try:
        payload = encode([0, 1, "versions", None, None, None, None])
        client.send_raw((struct.pack(">I", len(payload)) + payload)[:cut + 4 * (cut == 3)])
        client.proc.stdin.close()
        assert client.wait(DEADLINE) == 0
    finally:
        client.close()
