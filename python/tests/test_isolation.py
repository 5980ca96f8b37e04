"""A worker that user code cannot subvert (issue 8): forks, stray processes, events
after their call, crash reports, a clean start, fds 0-2, limits. Real workers only."""
from __future__ import annotations

import os
import select
import signal
import struct
import time

import pytest

from conftest import SRC, WORKERLIB, RemoteFailure, WorkerExited, wait_until, worker_argv
from pyfleet.codec import encode
from pyfleet.messages import MSG_REPLY, MSG_REQUEST


def _frame(message: object) -> bytes:
    payload = encode(message)
    return struct.pack(">I", len(payload)) + payload


def dead(pid: int) -> bool:
    """Gone, or a zombie nobody reaped (the container's init may not reap)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return True
    return stat[stat.rindex(b")") + 2:].split()[0] in (b"Z", b"X")


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    return wait_until(lambda: dead(pid), timeout)


def wait_eof(fd: int, timeout: float) -> bool:
    """Read and discard until EOF on `fd`; False if it did not come in time."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([fd], [], [], left)
        if ready and not os.read(fd, 65536):
            return True


def pids_cgroup_writable() -> bool:
    from pyfleet import limits
    for directory, _version in limits._controller_dirs("pids"):
        if os.access(directory, os.W_OK):
            return True
    return False


# -- 1. the process tree ---------------------------------------------------------------------

def test_worker_leads_its_own_session_and_process_group(worker):
    pid = worker.proc.pid
    assert worker.hello[2]["pid"] == pid
    assert os.getpgid(pid) == pid and os.getsid(pid) == pid


def test_a_forked_child_returning_into_the_worker_never_answers(worker):
    """./pyfleet call --scatter builtins.eval '[["__import__(\\"os\\").fork()"],["1"],...]' printed
    [0, worker lost, 2, 3]: the child's reply came first."""
    worker.send_raw(b"".join([
        _frame([MSG_REQUEST, 1, "builtin", "eval", ['__import__("os").fork()'], None, None]),
        _frame([MSG_REQUEST, 2, "call", "fleettest.fork_and_return", ["child"], None, None]),
        _frame([MSG_REQUEST, 3, "builtin", "eval", ["1"], None, None]),
        _frame([MSG_REQUEST, 4, "call", "os.getpid", None, None, None]),
    ]))
    replies = [worker.read_message() for _ in range(4)]
    assert [m[:2] for m in replies] == [[MSG_REPLY, i] for i in range(1, 5)], replies
    child1, child2 = replies[0][2], replies[1][2]
    assert child1 > 0 and child2 > 0 and child1 != child2  # the parent's replies: the child pids
    assert replies[2][2] == 1 and replies[3][2] == worker.proc.pid
    # The children left silently: exit status 0, and nothing else ever arrives.
    assert worker.call("call", "fleettest.wait_child", [child1]) == 0
    assert worker.call("call", "fleettest.wait_child", [child2]) == 0
    for _ in range(20):
        assert worker.call("call", "os.getpid") == worker.proc.pid
    assert not [t for s, t in worker.logs if s == "pyfleet"]


def test_a_forked_child_raising_system_exit_does_not_serve(worker):
    """The child of a fork that raises SystemExit used to serve later calls as a second worker."""
    child = worker.call("call", "fleettest.fork_and_raise_system_exit", [3])
    assert child > 0
    assert worker.call("call", "fleettest.wait_child", [child]) == 3  # it left with its own code
    other = worker.call("call", "fleettest.fork_and_raise", ["boom"])
    assert worker.call("call", "fleettest.wait_child", [other]) == 1
    # Every later call is answered once, by the worker itself.
    worker.send_raw(b"".join(_frame([MSG_REQUEST, i, "call", "os.getpid", None, None, None])
                             for i in range(100, 150)))
    for i in range(100, 150):
        assert worker.read_message() == [MSG_REPLY, i, worker.proc.pid]
    assert "boom" not in worker.stderr_so_far()  # "exits without a word"


def test_a_forked_child_cannot_emit(worker):
    events, msg = worker.request("call", "fleettest.fork_emit")
    assert events == [] and msg[0] == MSG_REPLY
    assert msg[2].startswith("RuntimeError: pyfleet.emit() cannot reach the caller")


def test_a_long_lived_forked_child_does_not_hold_the_channel(worker):
    """A forked child living 25 s kept the protocol pipe open: the node saw the worker's death
    (and failed a timed-out call) only when the child died."""
    child = worker.call("call", "fleettest.fork_sleeper", [60])
    assert child > 0 and not dead(child)
    started = time.monotonic()
    os.kill(worker.proc.pid, signal.SIGKILL)  # what the node does on a call timeout (the worker alone)
    assert wait_eof(worker.out_fd, 1.0), "the forked child still holds the worker's stdout"
    assert time.monotonic() - started < 1.0
    worker.proc.wait(5)
    # The node kills the group: the child goes with it.
    worker.kill_group()
    assert wait_dead(child, 5)


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_still_works(worker, method):
    assert worker.call("call", "fleettest.pool_squares", [method, 8], timeout=60) == [i * i for i in range(8)]
    results, codes = worker.call("call", "fleettest.process_squares", [method, 3], timeout=60)
    assert results == [0, 1, 4] and codes == [0, 0, 0]
    assert worker.call("call", "os.getpid") == worker.proc.pid


def test_a_forked_child_dies_of_sigterm_as_usual(worker):
    assert worker.call("call", "fleettest.fork_and_terminate", timeout=30) == -signal.SIGTERM
    assert worker.call("call", "os.getpid") == worker.proc.pid


def test_processes_the_worker_started_end_with_it(make_worker):
    """A Popen child used to outlive the worker's stop (re-parented to pid 1)."""
    worker = make_worker(env={"PYFLEET_PROCESS_LIMIT": "64"})  # a cgroup of its own, where writable
    plain = worker.call("call", "fleettest.start_sleeper", [60])
    detached = worker.call("call", "fleettest.start_sleeper", [60, True]) if pids_cgroup_writable() else None
    assert os.getpgid(plain) == worker.proc.pid
    worker.proc.stdin.close()  # the node stops the worker: end of input
    assert worker.wait(10) == 0
    assert wait_dead(plain, 5), "a subprocess outlived its worker's stop"
    if detached is not None:  # it left the process group, not the worker's cgroup
        assert wait_dead(detached, 5), "a subprocess in a new session outlived its worker's stop"


def test_a_killed_workers_group_takes_its_subprocesses(worker):
    plain = worker.call("call", "fleettest.start_sleeper", [60])
    worker.kill_group()  # the node's kill: the whole group
    assert worker.wait(5) == -signal.SIGKILL
    assert wait_dead(plain, 5)


def test_sigterm_stops_the_worker_and_its_tree(worker):
    plain = worker.call("call", "fleettest.start_sleeper", [60])
    os.kill(worker.proc.pid, signal.SIGTERM)
    assert worker.wait(10) == 0
    assert wait_dead(plain, 5)


# -- 3. crash reports --------------------------------------------------------------------------

def test_a_segfault_writes_its_python_trace_to_stderr(worker):
    worker.send([MSG_REQUEST, 1, "call", "fleettest.segfault", None, None, None])
    with pytest.raises(WorkerExited):
        worker.read_message()
    assert worker.wait(10) == -signal.SIGSEGV
    err = worker.stderr_text()
    assert "Fatal Python error: Segmentation fault" in err, err
    assert 'fleettest.py", line' in err and "in segfault" in err, err


# -- 4. a clean start ---------------------------------------------------------------------------

def test_modules_planted_in_the_working_directory_do_not_load(make_worker, tmp_path):
    marker = tmp_path / "ran"
    plant = f"open({str(marker)!r}, 'w').write(__name__)\n"
    (tmp_path / "platform.py").write_text(plant)
    (tmp_path / "msgpack.py").write_text(plant)
    (tmp_path / "pyfleet").mkdir()
    (tmp_path / "pyfleet" / "__init__.py").write_text(plant)
    (tmp_path / "pyfleet" / "worker.py").write_text(plant)
    (tmp_path / "fleettest.py").write_text(plant)
    w = make_worker(cwd=str(tmp_path))
    assert w.call("call", "os.getcwd") == str(tmp_path)
    path = w.call("const", "sys.path")
    assert path[:2] == [str(SRC), str(WORKERLIB)]
    assert "" not in path and str(tmp_path) not in path and "." not in path
    assert w.call("call", "fleettest.echo", [1]) == [[1], {}]  # from the python-path, not the cwd
    assert w.call("call", "platform.python_version") == w.hello[2]["python"]
    assert not marker.exists(), f"a planted module ran: {marker.read_text()}"


def test_the_bootstrap_keeps_interpreter_paths_and_argv(make_worker):
    w = make_worker(argv=worker_argv(paths=[str(SRC), str(WORKERLIB), "/nonexistent/extra"]))
    path = w.call("const", "sys.path")
    assert path[:3] == [str(SRC), str(WORKERLIB), "/nonexistent/extra"]
    assert any(p.endswith("site-packages") for p in path)  # the interpreter's own
    assert w.call("const", "sys.argv") == ["-c"]


def test_closing_or_replacing_fds_0_to_2_breaks_nothing(worker):
    assert worker.call("call", "fleettest.close_fd", [1]) == 1
    assert worker.call("call", "fleettest.print_to", ["stdout", "after os.close(1)"])
    worker.wait_logs(lambda logs: ("stdout", "after os.close(1)") in logs)
    assert worker.call("call", "fleettest.replace_fd_with_devnull", [2]) == 2
    worker.call("call", "fleettest.print_to", ["stderr", "after dup2 over 2"])
    worker.wait_stderr("after dup2 over 2")
    assert worker.call("call", "fleettest.close_fd", [0]) == 0
    assert worker.call("call", "os.read", [0, 10]) == b""  # /dev/null again
    assert worker.call("call", "fleettest.close_sys_stdout") is True
    worker.call("call", "fleettest.print_to", ["stdout", "after sys.stdout.close()"])
    worker.wait_logs(lambda logs: ("stdout", "after sys.stdout.close()") in logs)
    for fd in (1, 2):  # subprocesses get working descriptors too
        worker.call("call", "fleettest.close_fd", [fd])
    worker.call("call", "subprocess.run", [["sh", "-c", "echo child out; echo child err >&2"]])
    worker.wait_logs(lambda logs: ("stdout", "child out") in logs)
    worker.wait_stderr("child err")
    assert worker.call("operator", "add", [1, 2]) == 3


# -- 5. limits -----------------------------------------------------------------------------------

MiB = 1 << 20


def test_memory_limit_names_itself_and_counts_no_idle_thread_stacks(make_worker):
    w = make_worker(env={"PYFLEET_MEMORY_LIMIT": str(256 * MiB)})
    with pytest.raises(RemoteFailure) as err:
        w.call("call", "fleettest.allocate", [1024 * MiB])
    assert err.value.type == "builtins.MemoryError"
    assert "pyfleet.worker.memory-limit = 256 MiB reached" in err.value.message
    with pytest.raises(RemoteFailure) as err:
        w.call("call", "fleettest.numpy_allocate", [1024 * MiB])
    assert "MemoryError" in err.value.type and "pyfleet.worker.memory-limit" in err.value.message
    assert w.call("call", "fleettest.allocate", [64 * MiB]) == 64 * MiB  # under it: fine
    # 200 threads reserve 1.6 GiB of stacks: RLIMIT_AS refused them under 2 GiB.
    assert w.call("call", "fleettest.start_threads", [200], timeout=60) == 200
    assert w.call("call", "fleettest.start_threads", [200], timeout=60) == 200  # released at their end
    # Once their OS threads are gone, the limit comes back down (the worker recounts).
    data = int(__import__("resource").RLIMIT_DATA)
    assert wait_until(lambda: w.call("call", "resource.getrlimit", [data])[0] <= 512 * MiB), \
        "the memory limit stayed raised after the threads ended"
    with pytest.raises(RemoteFailure):
        w.call("call", "fleettest.allocate", [1024 * MiB])
    assert w.call("operator", "add", [1, 2]) == 3


def test_process_limit_names_itself(make_worker):
    w = make_worker(env={"PYFLEET_PROCESS_LIMIT": "24"})
    if not pids_cgroup_writable() and os.geteuid() == 0:
        w.wait_logs(lambda logs: any(s == "pyfleet" and "not enforced" in t for s, t in logs))
        pytest.skip("no writable pids cgroup and root: the process limit is not enforced here")
    assert w.call("call", "fleettest.fork_many", [8]) == 8
    with pytest.raises(RemoteFailure) as err:
        w.call("call", "fleettest.fork_many", [40], timeout=30)
    assert err.value.type == "builtins.BlockingIOError"
    assert "pyfleet.worker.process-limit = 24 reached" in err.value.message, err.value.message
    with pytest.raises(RemoteFailure) as err:
        w.call("call", "fleettest.start_threads", [40], timeout=30)
    assert "pyfleet.worker.process-limit = 24 reached" in err.value.message, err.value.message
    assert w.call("call", "fleettest.fork_many", [8]) == 8  # the children are gone: room again
    assert not [t for s, t in w.logs if s == "pyfleet"]


def test_oom_score_adj_is_raised(make_worker):
    w = make_worker(env={"PYFLEET_OOM_SCORE_ADJ": "500"})
    assert w.call("call", "fleettest.read_file", ["/proc/self/oom_score_adj"]).strip() == "500"


def test_no_limits_without_settings(worker):
    import resource
    assert worker.call("call", "resource.getrlimit", [int(resource.RLIMIT_DATA)]) == \
        tuple(resource.getrlimit(resource.RLIMIT_DATA))
    cgroup = worker.call("call", "fleettest.read_file", ["/proc/self/cgroup"])
    assert "pyfleet-" not in cgroup


def _own_pids_cgroup(w) -> str:
    for line in w.call("call", "fleettest.read_file", ["/proc/self/cgroup"]).splitlines():
        is_pids = "pids" in line.split(":")[1].split(",") or line.startswith("0::")
        if is_pids and f"pyfleet-{w.proc.pid}" in line:
            return line.split(":", 2)[2]
    return ""


def test_workers_started_together_each_get_a_cgroup_and_remove_it(make_worker):
    if not pids_cgroup_writable():
        pytest.skip("no writable pids cgroup here")
    from pyfleet import limits
    parent = limits._controller_dirs("pids")[0][0]
    workers = [make_worker(env={"PYFLEET_PROCESS_LIMIT": "64"}, wait_hello=False) for _ in range(6)]
    for w in workers:
        w.hello = w.read_message(timeout=30)
    for w in workers:
        assert _own_pids_cgroup(w), f"worker {w.proc.pid} got no cgroup of its own"
        assert os.path.isdir(os.path.join(parent, f"pyfleet-{w.proc.pid}"))
    stopped, killed = workers[0], workers[1]
    stopped.proc.stdin.close()
    assert stopped.wait(10) == 0
    assert not os.path.exists(os.path.join(parent, f"pyfleet-{stopped.proc.pid}")), \
        "a stopped worker removes its cgroup"
    killed.kill_group()
    killed.wait(10)
    make_worker(env={"PYFLEET_PROCESS_LIMIT": "64"})  # the next start sweeps what a killed worker left
    assert not os.path.exists(os.path.join(parent, f"pyfleet-{killed.proc.pid}"))
