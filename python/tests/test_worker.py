"""A real `python -m pyfleet.worker` subprocess, driven frame by frame."""
from __future__ import annotations

import datetime as dt
import math
import os
import platform
import signal
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from conftest import WORKERLIB, RemoteFailure, WorkerExited, wait_until, worker_env
from pyfleet import messages
from pyfleet.codec import encode
from pyfleet.handles import Handle
from pyfleet.messages import MSG_ERROR, MSG_EVENT, MSG_HELLO, MSG_LOG, MSG_REPLY, MSG_REQUEST


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def signal_masks(pid: int) -> dict[str, int]:
    """SigPnd, ShdPnd (pending) and SigIgn (ignored) of a process: bit n-1 is signal n."""
    masks = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("SigPnd", "ShdPnd", "SigIgn"):
                masks[key] = int(value, 16)
    return masks


# -- hello and versions ------------------------------------------------------------------

def test_message_types_and_exit_statuses_are_the_spec_numbers():
    assert (messages.MSG_REQUEST, messages.MSG_REPLY, messages.MSG_ERROR, messages.MSG_EVENT, messages.MSG_LOG,
            messages.MSG_HELLO) == tuple(range(6))
    assert messages.ID_MAX == 2 ** 63 - 1
    assert (messages.EXIT_OK, messages.EXIT_INTERNAL, messages.EXIT_CONFIG, messages.EXIT_OVERSIZE,
            messages.EXIT_NO_MSGPACK) == tuple(range(5))


def test_hello_frame(shared_worker):
    msg = shared_worker.hello
    assert msg[0] == MSG_HELLO and msg[1] == 0
    assert msg[2] == {
        "protocol": 1,
        "pid": shared_worker.proc.pid,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "package": "0.1.0",
        "worker": "w0",
        "max_frame": 67108864,
    }
    assert list(msg[2]) == ["protocol", "pid", "python", "numpy", "package", "worker", "max_frame"]


def test_hello_reflects_environment(make_worker):
    w = make_worker(env={"PYFLEET_WORKER_ID": "w7", "PYFLEET_MAX_FRAME": "100000", "PYFLEET_NODE": "n1",
                         "PYFLEET_GENERATION": "4"})
    assert w.hello[2]["worker"] == "w7" and w.hello[2]["max_frame"] == 100000
    h = w.call("init", "datetime.date", [2000, 1, 1], opts={"ret": "handle"})
    assert (h.node, h.worker, h.generation) == ("n1", "w7", 4)


def test_versions(shared_worker):
    v = shared_worker.call("versions")
    assert v["protocol"] == 1 and v["pid"] == shared_worker.proc.pid and v["package"] == "0.1.0"
    assert v["python"] == platform.python_version() and v["numpy"] == np.__version__
    before = v["handles"]
    h = shared_worker.call("call", "builtins.object", opts={"ret": "handle"})
    assert shared_worker.call("versions")["handles"] == before + 1
    assert shared_worker.call("release", None, [h.id]) == 1
    assert shared_worker.call("versions")["handles"] == before


# -- the LFE py table ---------------------------------------------------------------------

def test_module_call_with_kwargs(shared_worker):
    assert shared_worker.call("call", "builtins.int", ["101010"], {"base": 2}) == 42
    assert shared_worker.call("call", "os.path.isdir", ["/tmp"]) is True
    assert shared_worker.call("call", "os.path.isfile", ["/tmp"]) is False
    assert shared_worker.call("call", "math.pow", [2, 16]) == 65536.0
    now = shared_worker.call("call", "datetime.datetime.now")
    assert isinstance(now, dt.datetime) and abs((now - dt.datetime.now()).total_seconds()) < 60


def test_const_with_coercion(shared_worker):
    assert shared_worker.call("const", "math.pi") == math.pi
    assert shared_worker.call("const", "math.pi", opts={"coerce": "int"}) == 3
    assert shared_worker.call("const", "math.pi", opts={"coerce": "str"}) == "3.141592653589793"
    assert shared_worker.call("const", "math.e", opts={"coerce": "float"}) == math.e
    assert shared_worker.call("const", "os.sep") == "/"


def test_date_as_value_and_as_handle(shared_worker):
    w = shared_worker
    value = w.call("init", "datetime.date", [1923, 4, 2])
    assert value == dt.date(1923, 4, 2) and type(value) is dt.date
    handle = w.call("init", "datetime.date", [1923, 4, 2], opts={"ret": "handle"})
    assert isinstance(handle, Handle) and handle.type == "datetime.date" and handle.id >= 1
    for target in (value, handle):
        assert w.call("attr", target, ["year"]) == 1923
        assert w.call("method", target, ["strftime", "%Y.%m.%d"]) == "1923.04.02"
    assert w.call("method", "abc", ["upper"]) == "ABC"  # methods on plain values too


def test_datetime_handles_subtract_to_a_timedelta(shared_worker):
    w = shared_worker
    earlier = w.call("call", "datetime.datetime", [2014, 12, 23, 23, 14, 37, 677463], opts={"ret": "handle"})
    later = w.call("call", "datetime.datetime", [2014, 12, 23, 23, 21, 25, 714474], opts={"ret": "handle"})
    diff = w.call("operator", "sub", [later, earlier])
    assert diff == dt.timedelta(seconds=408, microseconds=37011)
    diff_handle = w.call("operator", "sub", [later, earlier], opts={"ret": "handle"})
    assert w.call("attr", diff_handle, ["seconds"]) == 408
    assert w.call("attr", diff, ["seconds"]) == 408


def test_builtins(shared_worker):
    w = shared_worker
    assert w.call("builtin", "pow", [6, 42]) == 481229803398374426442198455156736
    assert w.call("builtin", "round", [0.666666667, 5]) == 0.66667
    rng = w.call("builtin", "range", [7, 42])
    assert isinstance(rng, Handle) and rng.type == "builtins.range"
    assert w.call("builtin", "len", [rng]) == 35
    assert w.call("builtin", "list", [rng])[:3] == [7, 8, 9]
    assert w.call("builtin", "sorted", [[3, 1, 2]], {"reverse": True}) == [3, 2, 1]
    int_class = w.call("const", "builtins.int")
    assert isinstance(int_class, Handle) and int_class.type == "builtins.type"
    assert w.call("builtin", "isinstance", [5, int_class]) is True
    assert w.call("builtin", "any", [[True, False]]) is True
    assert w.call("builtin", "dict", None, {"a": 1}) == {"a": 1}
    assert w.call("builtin", "tuple", [[1, 2]]) == (1, 2)
    assert w.call("builtin", "frozenset", [[1]]) == {1}
    assert w.call("builtin", "complex", [1, 2]) == 1 + 2j


@pytest.mark.parametrize("name, args, expected", [
    ("add", [37, 5], 42), ("mul", [7, 6], 42), ("sub", [-108, -150], 42), ("truediv", [462, 11], 42.0),
    ("floordiv", [462, 11], 42), ("gt", [7, 6], True), ("le", [7, 6], False), ("eq", [42, 42], True),
    ("and_", [60, 13], 12), ("or_", [60, 13], 61), ("xor", [60, 13], 49), ("inv", [60], -61),
    ("rshift", [60, 2], 15), ("lshift", [60, 2], 240), ("getitem", [[1, 2, 3], 1], 2),
    ("concat", [[1], [2]], [1, 2]), ("not_", [0], True),
])
def test_operator_table(shared_worker, name, args, expected):
    result = shared_worker.call("operator", name, args)
    assert result == expected and type(result) is type(expected)


def test_init_classes(shared_worker):
    w = shared_worker
    assert w.call("init", "builtins.dict") == {}
    ud = w.call("init", "collections.UserDict", None, {"a": 1, "b": 2})
    assert isinstance(ud, Handle) and ud.type == "collections.UserDict"
    assert w.call("attr", ud, ["data"]) == {"a": 1, "b": 2}
    assert w.call("method", ud, ["__getitem__", "b"]) == 2
    with pytest.raises(RemoteFailure) as err:
        w.call("init", "os.path.join", ["a"])
    assert err.value.kind == "python" and err.value.type == "builtins.TypeError"


def test_import_op(shared_worker):
    assert shared_worker.call("import", "json") == "json"
    assert shared_worker.call("import", "xml.dom") == "xml.dom"
    with pytest.raises(RemoteFailure) as err:
        shared_worker.call("import", "no_such_module_xyz")
    assert err.value.type == "builtins.ModuleNotFoundError"


def test_handles_resolve_in_args_and_kwargs(shared_worker):
    w = shared_worker
    d = w.call("init", "datetime.date", [2000, 1, 31], opts={"ret": "handle"})
    assert w.call("call", "fleettest.echo", [d, [d]], {"k": d}) == [
        [dt.date(2000, 1, 31), [dt.date(2000, 1, 31)]], {"k": dt.date(2000, 1, 31)}]
    assert w.call("method", d, ["replace"], {"day": 1}) == dt.date(2000, 1, 1)


def test_ret_value_turns_unencodable_parts_into_handles(shared_worker):
    result = shared_worker.call("call", "fleettest.mixed")
    assert result[0] == 1 and isinstance(result[1], Handle) and result[1].type == "builtins.object"
    assert isinstance(result[2]["k"][1], Handle)
    assert shared_worker.call("release", None, [result[1].id, result[2]["k"][1].id]) == 2


def test_numpy_round_trip(shared_worker):
    arr = np.arange(12, dtype="<f8").reshape(3, 4)
    total = shared_worker.call("call", "numpy.sum", [arr])
    assert total == 66.0 and type(total) is float
    back = shared_worker.call("call", "numpy.transpose", [arr])
    assert back.shape == (4, 3) and back.tolist() == arr.T.tolist()
    strs = shared_worker.call("call", "numpy.array", [["a", "b"]])
    assert isinstance(strs, Handle) and strs.type == "numpy.ndarray"


# -- errors -----------------------------------------------------------------------------------

def test_python_exceptions_come_back_typed(shared_worker):
    w = shared_worker
    cases = [
        (("call", "builtins.int", ["x"]), "builtins.ValueError", "invalid literal"),
        (("call", "json.loads", [""]), "json.decoder.JSONDecodeError", "Expecting value"),
        (("call", "no_such_module_xyz.func"), "builtins.ModuleNotFoundError", "no_such_module_xyz"),
        (("call", "os.path.no_such_function"), "builtins.AttributeError", "no_such_function"),
        (("builtin", "no_such_builtin"), "builtins.AttributeError", "no_such_builtin"),
        (("attr", 5, ["nope"]), "builtins.AttributeError", "nope"),
        (("call", "fleettest.raise_keyboard_interrupt"), "builtins.KeyboardInterrupt", "from user code"),
        (("call", "fleettest.raise_system_exit", [3]), "builtins.SystemExit", "3"),
        (("call", "sys.exit", [0]), "builtins.SystemExit", "0"),
        (("call", "fleettest.raise_chained"), "builtins.RuntimeError", "wrapped"),
        (("call", "fleettest.raise_unprintable"), "fleettest.Unprintable", "<unprintable"),
        (("operator", "truediv", [1, 0]), "builtins.ZeroDivisionError", "division by zero"),
        (("builtin", "input"), "builtins.EOFError", ""),  # stdin is /dev/null
    ]
    for request, etype, text in cases:
        _events, msg = w.request(*request)
        assert msg[0] == MSG_ERROR, (request, msg)
        kind, typ, message, tb = msg[2][:4]
        assert (kind, typ) == ("python", etype), (request, msg)
        assert text in message, (request, message)
        assert typ.rsplit(".", 1)[-1] in tb, tb
        assert w.call("operator", "add", [1, 2]) == 3  # still serving, in sync
    _e, msg = w.request("call", "fleettest.raise_chained")
    assert "KeyError" in msg[2][3] and "direct cause" in msg[2][3]
    assert "pyfleet/ops.py" not in msg[2][3]  # the worker's own frames are trimmed


def _marked_lines(path: str) -> dict[str, int]:
    """Line numbers of the lines that end in ``# frame: <function>`` (so no test hard-codes them)."""
    with open(path, encoding="utf-8") as f:
        return {line.rsplit("# frame: ", 1)[1].strip(): n
                for n, line in enumerate(f, 1) if "# frame: " in line}


def test_python_errors_carry_their_frames(shared_worker):
    w = shared_worker
    _e, msg = w.request("call", "fleettest.fail_deep", [1])
    assert msg[0] == MSG_ERROR
    kind, typ, message, tb, frames = msg[2]
    assert (kind, typ, message) == ("python", "builtins.KeyError", "'missing-key-1'")
    lines = _marked_lines(str(WORKERLIB / "fleettest.py"))
    # outermost first, as the traceback lists them; the worker's own dispatch frames trimmed as in the text
    assert [f[2] for f in frames] == ["fail_deep", "_fail_lookup", "_fail_key"], frames
    assert [f[1] for f in frames] == [lines["fail_deep"], lines["_fail_lookup"], lines["_fail_key"]]
    assert all(f[0] == str(WORKERLIB / "fleettest.py") and f[3] == "fleettest" for f in frames), frames
    assert all(f'File "{f[0]}", line {f[1]}, in {f[2]}' in tb for f in frames), tb
    # a frame whose globals have no __name__ is named after its file's stem
    _e, msg = w.request("call", "fleettest.fail_nameless")
    frames = msg[2][4]
    assert frames[-1][:3] == ["/nowhere/generated_code.py", 1, "<module>"] and frames[-1][3] == "generated_code"
    # an error with no frame of user code (a builtin raised in the worker's dispatch) has 4 fields
    _e, msg = w.request("call", "builtins.int", ["x"])
    assert len(msg[2]) == 4 and msg[2][1] == "builtins.ValueError"
    # scatter's items carry theirs too
    items = w.call("map", "fleettest.fail_deep", [[[2], [3]]])
    assert [item[0] for item in items] == [1, 1]
    assert [item[1][2] for item in items] == ["'missing-key-2'", "'missing-key-3'"]
    assert [f[2] for f in items[0][1][4]] == ["fail_deep", "_fail_lookup", "_fail_key"]
    events, msg = w.request("imap", "fleettest.fail_deep", [[[4]]], opts={"stream": True})
    assert msg[2] == 1 and events[0][0] == 1 and events[0][1][4][-1][2] == "_fail_key", events


@pytest.mark.parametrize("request_, fragment", [
    (("nope", "x"), "unknown op"),
    ((5, "x"), "op must be a str"),
    (("call", 42), "dotted name"),
    (("call", "os..path"), "invalid dotted name"),
    (("call", "os.getcwd", "notalist"), "args must be an array"),
    (("call", "os.getcwd", None, {1: 2}), "kwargs keys must be str"),
    (("call", "os.getcwd", None, [1]), "kwargs must be a map"),
    (("call", "os.getcwd", None, None, {"bogus": 1}), "unknown option"),
    (("call", "os.getcwd", None, None, {"ret": "both"}), "opts.ret"),
    (("call", "os.getcwd", None, None, {"coerce": "list"}), "opts.coerce"),
    (("call", "os.getcwd", None, None, {"stream": 1}), "opts.stream"),
    (("call", "os.getcwd", None, None, [1]), "opts must be a map"),
    (("method", "abc", []), "method name"),
    (("method", "abc", [5]), "method name"),
    (("attr", "abc", ["a", "b"]), "attribute name"),
    (("builtin", None), "needs a name"),
    (("operator", ["add"]), "needs a name"),
    (("release", None, ["1"]), "handle ids"),
    (("release", 5, [1]), "nil target"),
    (("versions", None, [1]), "takes no args"),
    (("const", "math.pi", [1]), "takes no args"),
    (("import", 5), "dotted name"),
])
def test_protocol_errors_for_bad_requests(shared_worker, request_, fragment):
    _events, msg = shared_worker.request(*request_)
    assert msg[0] == MSG_ERROR
    kind, typ, message, _tb = msg[2][:4]
    assert kind == "protocol" and typ == "pyfleet.errors.ProtocolError" and fragment in message, msg
    assert shared_worker.call("operator", "add", [2, 2]) == 4


def test_malformed_frames_keep_the_worker_in_sync(shared_worker):
    w = shared_worker
    cases = [
        (b"\xc1", 0, "malformed"),                            # not msgpack
        (b"", 0, "malformed"),                                # zero-length frame
        (encode({"a": 1}), 0, "must be an array"),
        (encode([0]), 0, "at least 2"),
        (encode([9, 77, "call"]), 77, "unknown message type"),
        (encode([1, 78, 3]), 78, "not accepted by a worker"),
        (encode([0, 79, "call", "os.getcwd"]), 79, "7 items"),
        (encode([0, 0, "versions", None, None, None, None]), 0, "request id"),
        (encode([0, -5, "versions", None, None, None, None]), 0, "request id"),
        (encode([0, 2 ** 63, "versions", None, None, None, None]), 0, "request id"),  # over the id range: no id
        (encode([0, "id", "versions", None, None, None, None]), 0, "request id"),
        (encode([0, 80, "versions", None, None, None, None])[:-2], 80, "malformed"),   # truncated
        (encode([0, 81, "versions", None, None, None, None]) + b"\xc0", 81, "malformed"),  # extra data
        (bytes.fromhex("97" "00" "52" "d47f00" "c0c0c0c0"), 82, "unknown ext code"),  # 12 is taken
    ]
    for payload, rid, fragment in cases:
        w.send_frame(payload)
        msg = w.read_message()
        assert msg[0] == MSG_ERROR and msg[1] == rid, (payload, msg)
        assert msg[2][0] == "protocol" and fragment in msg[2][2], (payload, msg)
        assert w.call("operator", "add", [1, 1]) == 2


def test_stale_handles(shared_worker, make_worker):
    w = shared_worker
    h = w.call("init", "datetime.date", [1923, 4, 2], opts={"ret": "handle"})
    assert w.call("attr", h, ["year"]) == 1923
    assert w.call("release", None, [h.id]) == 1
    for request in (("attr", h, ["year"]), ("call", "fleettest.echo", [[{"deep": (h,)}]])):
        _events, msg = w.request(*request)
        assert msg[0] == MSG_ERROR and msg[2][0] == "stale_handle", msg
        assert msg[2][1] == "pyfleet.errors.StaleHandleError" and str(h.id) in msg[2][2]
    assert w.call("release", None, [h.id]) == 0
    a = w.call("call", "builtins.object", opts={"ret": "handle"})
    b = w.call("call", "builtins.object", opts={"ret": "handle"})
    assert b.id != a.id
    assert w.call("release", None, [a.id, b.id, 10 ** 6, a.id]) == 2
    # Handles of another worker or generation are stale here.
    c = w.call("call", "builtins.object", opts={"ret": "handle"})
    for node, worker, gen in (("other", c.worker, c.generation), (c.node, "w9", c.generation),
                              (c.node, c.worker, c.generation + 1)):
        _e, msg = w.request("builtin", "id", [Handle(node, worker, gen, c.id, c.type)])
        assert msg[0] == MSG_ERROR and msg[2][0] == "stale_handle"
    assert w.call("builtin", "type", [c]).type == "builtins.type"


def test_encode_errors(make_worker):
    w = make_worker(env={"PYFLEET_MAX_FRAME": "4096"})
    before = w.call("versions")["handles"]
    _e, msg = w.request("builtin", "chr", [0xDC80])  # a lone surrogate is not UTF-8
    assert msg[0] == MSG_ERROR and msg[2][0] == "encode"
    _e, msg = w.request("builtin", "bytes", [10000])  # reply over the maximum frame
    assert msg[0] == MSG_ERROR and msg[2][0] == "encode" and "4096" in msg[2][2]
    _e, msg = w.request("call", "fleettest.mixed_big", [3, 5000])
    assert msg[0] == MSG_ERROR and msg[2][0] == "encode"
    assert w.call("versions")["handles"] == before  # handles of a failed reply are dropped
    assert w.call("operator", "add", [1, 2]) == 3


# -- events and streams -----------------------------------------------------------------------

def test_emit_events_before_the_reply(shared_worker):
    events, msg = shared_worker.request("call", "fleettest.emit_some", [3])
    assert events == [0, 1, 2] and msg == [MSG_REPLY, msg[1], "done"]
    events, msg = shared_worker.request("call", "fleettest.emit_from_thread", [2])
    assert events == [{"thread": 0}, {"thread": 1}] and msg[2] == 2


def test_emit_from_a_thread_after_its_call_never_reaches_another_call(worker):
    """Call A starts a thread; it emits while call B runs: dropped, with a notice, never B's event."""
    assert worker.call("call", "fleettest.start_late_emitter") == "started"
    events, msg = worker.request("call", "fleettest.release_late_emitter")
    assert msg[0] == MSG_REPLY and msg[2] is False  # emit() says the event was dropped
    assert events == ["mine"]
    worker.wait_logs(lambda logs: any(s == "pyfleet" and "late-emitter" in t for s, t in logs))
    notice = [t for s, t in worker.logs if s == "pyfleet"][-1]
    assert "pyfleet.emit()" in notice and "dropped" in notice and "ended" in notice


def test_emitter_binds_threads_of_a_pool_to_the_call(worker):
    for _ in range(2):  # the pool's threads were started by the first call: emitter() ties them
        events, msg = worker.request("call", "fleettest.emit_through_emitter", [2, 4])
        assert msg[2] == [True] * 4 and sorted(events) == [0, 1, 2, 3]


def test_emit_outside_a_worker():
    import pyfleet
    with pytest.raises(RuntimeError):
        pyfleet.emit(1)


def test_streaming(shared_worker):
    w = shared_worker
    events, msg = w.request("call", "fleettest.count_up", [5], opts={"stream": True})
    assert events == [0, 1, 2, 3, 4] and msg[0] == MSG_REPLY and msg[2] == 5
    events, msg = w.request("builtin", "range", [3], opts={"stream": True, "coerce": "str"})
    assert events == ["0", "1", "2"] and msg[2] == 3
    events, msg = w.request("call", "fleettest.count_up", [2], opts={"stream": True, "ret": "handle"})
    assert all(isinstance(e, Handle) and e.type == "builtins.int" for e in events) and msg[2] == 2
    assert w.call("release", None, [e.id for e in events]) == 2
    events, msg = w.request("call", "fleettest.objects", [2], opts={"stream": True})
    assert all(isinstance(e, Handle) for e in events) and msg[2] == 2
    events, msg = w.request("call", "fleettest.fail_after", [2], opts={"stream": True})
    assert events == [0, 1] and msg[0] == MSG_ERROR and msg[2][1] == "builtins.ValueError"
    events, msg = w.request("builtin", "len", [[1]], opts={"stream": True})
    assert events == [] and msg[0] == MSG_ERROR and msg[2][1] == "builtins.TypeError"
    events, msg = w.request("builtin", "range", [0], opts={"stream": True})
    assert events == [] and msg[2] == 0


# -- captured output ----------------------------------------------------------------------

def _text(logs, stream):
    return [text for s, text in logs if s == stream]


def test_print_one_megabyte_arrives_as_log_frames(worker):
    assert worker.call("call", "fleettest.print_big", [1_000_000]) == 1_000_000
    worker.wait_logs(lambda logs: sum(len(t) for t in _text(logs, "stdout")) >= 1_000_000)
    pieces = _text(worker.logs, "stdout")
    assert "".join(pieces) == "x" * 1_000_000
    assert max(len(p.encode()) for p in pieces) <= 65536 and len(pieces) == 16
    worker.logs.clear()
    assert worker.call("call", "fleettest.print_lines", [10_000, 92]) == 10_000
    worker.wait_logs(lambda logs: len(_text(logs, "stdout")) >= 10_000)
    lines = _text(worker.logs, "stdout")
    assert len(lines) == 10_000 and lines[0] == "00000000" + "y" * 92 and lines[-1].startswith("00009999")
    assert worker.call("operator", "add", [1, 2]) == 3


def test_c_level_writes_are_captured(worker):
    assert worker.call("call", "fleettest.c_level_write", [1, 1_000_000]) == 1_000_000
    worker.wait_logs(lambda logs: sum(len(t) for t in _text(logs, "stdout")) >= 1_000_000)
    assert "".join(_text(worker.logs, "stdout")) == "z" * 1_000_000
    worker.logs.clear()
    # fd 2 is the node's: it reads the worker's stderr itself (crash reports need that).
    assert worker.call("call", "os.write", [2, "from fd 2\nsecond ünïcode line\n".encode()]) > 0
    assert "from fd 2\nsecond ünïcode line\n" in worker.wait_stderr("second ünïcode line")
    assert not _text(worker.logs, "stderr")
    worker.logs.clear()
    # Children inherit the captured descriptors, not the protocol.
    proc = worker.call("call", "subprocess.run", [["echo", "from a child"]])
    assert isinstance(proc, Handle)
    worker.wait_logs(lambda logs: "from a child" in _text(logs, "stdout"))
    assert worker.call("call", "fleettest.echo", ["fine"]) == [["fine"], {}]


def test_python_stderr_goes_to_the_nodes_stderr(worker):
    worker.call("call", "builtins.print", ["to stderr"], {"file": worker.call("const", "sys.stderr")})
    assert "to stderr\n" in worker.wait_stderr("to stderr")


# -- lifetime ---------------------------------------------------------------------------------

def test_oversize_declared_length_exits_3(make_worker):
    w = make_worker(env={"PYFLEET_MAX_FRAME": "1024"})
    assert w.call("builtin", "len", [["a"] * 10]) == 10
    w.send_raw(struct.pack(">I", 1025))  # just the header: the body is never sent
    msg = w.read_message()
    assert msg[0] == MSG_ERROR and msg[1] == 0 and msg[2][0] == "protocol" and "1025" in msg[2][2]
    assert w.wait(10) == 3


def test_oversize_with_default_maximum(worker):
    worker.send_raw(struct.pack(">I", 0xFFFFFFFF) + b"\x00" * 16)
    msg = worker.read_message()
    assert msg[0] == MSG_ERROR and msg[1] == 0 and msg[2][0] == "protocol"
    assert worker.wait(10) == 3


def test_stdin_eof_exits(worker):
    worker.proc.stdin.close()
    assert worker.wait(10) == 0


def test_stdin_eof_during_a_long_call_exits(worker):
    worker.send([0, 1, "call", "fleettest.started_then_sleep", [60], None, None])
    mtype, rid, body = worker.read_message()
    assert (mtype, rid, list(body)) == (MSG_EVENT, 1, ["started"])  # the call is running
    worker.proc.stdin.close()
    started = time.monotonic()
    assert worker.wait(10) == 0
    assert time.monotonic() - started < 5


def test_worker_dies_with_its_killed_parent(tmp_path):
    """The node is kill -9ed in the middle of a long call: the worker must not be orphaned."""
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent("""
        import struct, subprocess, sys, time
        sys.path.insert(0, sys.argv[1])
        from pyfleet.codec import decode, encode
        child = subprocess.Popen([sys.executable, "-m", "pyfleet.worker"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        payload = encode([0, 1, "call", "fleettest.started_then_sleep", [120], None, None])
        child.stdin.write(struct.pack(">I", len(payload)) + payload)
        child.stdin.flush()
        while True:  # the hello, maybe logs, then the call's event: it is running
            (n,) = struct.unpack(">I", child.stdout.read(4))
            if decode(child.stdout.read(n))[0] == 3:
                break
        print(child.pid, flush=True)
        time.sleep(120)  # until the test kills this process
    """))
    env = worker_env()
    parent = subprocess.Popen([sys.executable, str(script), env["PYTHONPATH"].split(os.pathsep)[0]],
                              stdout=subprocess.PIPE, env=env)
    try:
        child_pid = int(parent.stdout.readline())  # once the worker runs the call
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert wait_until(lambda: gone(child_pid), 10), "worker outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
        try:
            os.kill(child_pid, signal.SIGKILL)
        except (ProcessLookupError, UnboundLocalError):
            pass


def test_user_code_exiting_the_process(worker):
    worker.send([0, 1, "call", "fleettest.exit_hard", [7], None, None])
    with pytest.raises(WorkerExited):
        worker.read_message()
    assert worker.wait(10) == 7


def test_sigint_does_not_kill_the_worker(worker):
    sigint = 1 << (signal.SIGINT - 1)
    assert signal_masks(worker.proc.pid)["SigIgn"] & sigint, "SIGINT is not ignored"
    os.kill(worker.proc.pid, signal.SIGINT)

    def delivered() -> bool:
        masks = signal_masks(worker.proc.pid)
        return not (masks["SigPnd"] | masks["ShdPnd"]) & sigint
    assert wait_until(delivered), "SIGINT still pending"
    assert worker.call("operator", "add", [1, 2]) == 3


def test_missing_msgpack_exits_4(make_worker):
    code = ("import sys, runpy; sys.modules['msgpack'] = None; "
            "runpy.run_module('pyfleet.worker', run_name='__main__', alter_sys=True)")
    w = make_worker(argv=[sys.executable, "-c", code], wait_hello=False)
    assert w.wait(30) == 4
    version = ".".join(map(str, sys.version_info[:3]))
    assert w.stderr_text().splitlines() == [  # the report line the node reads, then the same for a person
        f"pyfleet-worker: cannot start\texecutable={sys.executable}\tversion={version}\tmissing=msgpack",
        f"pyfleet-worker: this Python lacks msgpack: install it with '{sys.executable} -m pip install msgpack'"]


def test_worker_without_numpy(make_worker):
    code = ("import sys, runpy; sys.modules['numpy'] = None; "
            "runpy.run_module('pyfleet.worker', run_name='__main__', alter_sys=True)")
    w = make_worker(argv=[sys.executable, "-c", code])
    assert w.hello[2]["numpy"] is None and w.call("versions")["numpy"] is None
    assert w.call("operator", "add", [(1,), (2,)]) == (1, 2)
    _e, msg = w.request("builtin", "len", [np.zeros(3)])
    assert msg[0] == MSG_ERROR and msg[2][0] == "protocol" and msg[2][2] == (
        f"received an ndarray but NumPy is not installed in this worker's interpreter: "
        f"{sys.executable} -m pip install numpy")
    _e, msg = w.request("call", "numpy.zeros", [3])
    assert msg[0] == MSG_ERROR and msg[2][1] == "builtins.ModuleNotFoundError"
    assert f"{sys.executable} -m pip install numpy" in msg[2][2]


def test_bad_configuration_exits_2(make_worker):
    w = make_worker(env={"PYFLEET_MAX_FRAME": "lots"}, wait_hello=False)
    assert w.wait(30) == 2
    assert "PYFLEET_MAX_FRAME" in w.stderr_text()


def test_many_requests_in_one_write(worker):
    """Pipelined requests (one write, many frames) are all answered, in order."""
    payload = b"".join(
        struct.pack(">I", len(p)) + p
        for p in (encode([0, i, "operator", "mul", [i, 2], None, None]) for i in range(1, 501)))
    worker.send_raw(payload)
    for i in range(1, 501):
        assert worker.read_message() == [MSG_REPLY, i, i * 2]


def test_large_frames_both_ways(worker):
    blob = os.urandom(8 * 1024 * 1024)
    assert worker.call("builtin", "len", [blob], timeout=30) == len(blob)
    assert worker.call("call", "fleettest.echo", [blob], timeout=30) == [[blob], {}]
    big = np.random.default_rng(1).random((512, 512))
    back = worker.call("call", "numpy.negative", [big], timeout=30)
    assert np.array_equal(back, -big)


def test_log_frames_are_well_formed(worker):
    worker.call("call", "builtins.print", ["a\r"])  # CRLF-style line ends lose their CR
    worker.wait_logs(lambda logs: len(logs) >= 1)
    assert worker.logs[0] == ("stdout", "a")
    # The raw form of a log frame: [4, 0, [stream, text]], whatever order it comes in.
    worker.send([0, 99, "call", "os.write", [1, b"raw\n"], None, None])
    seen = []
    while len(seen) < 2:
        msg = worker.read_message(keep_logs=True)
        if msg[0] == MSG_LOG and msg[2][1] != "raw":
            continue
        seen.append(msg)
    assert [MSG_LOG, 0, ["stdout", "raw"]] in seen and [MSG_REPLY, 99, 4] in seen


def _frame(message: object) -> bytes:
    payload = encode(message)
    return struct.pack(">I", len(payload)) + payload


def test_a_pipelined_burst_is_answered_in_order(worker):
    n = 500
    worker.send_raw(b"".join(_frame([MSG_REQUEST, i, "operator", "add", [i, 1], None, None])
                             for i in range(1, n + 1)))
    for i in range(1, n + 1):
        msg = worker.read_message()
        assert msg[:2] == [MSG_REPLY, i] and msg[2] == i + 1, msg
