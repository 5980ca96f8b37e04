"""Shared fixtures: a client for a real `python -m pyfleet.worker` subprocess.

Every fixture that starts a worker kills it at teardown, whatever the test did.
"""
from __future__ import annotations

import contextlib
import os
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pyfleet.codec import decode, encode
from pyfleet.messages import MSG_ERROR, MSG_EVENT, MSG_LOG, MSG_REPLY, MSG_REQUEST

ROOT = Path(__file__).resolve().parents[1]          # python/
SRC = ROOT / "src"
WORKERLIB = ROOT / "tests" / "workerlib"  # user code the tests call inside workers
VECTORS = ROOT.parent / "spec" / "vectors.json"

# How a node starts a worker (spec/PROTOCOL.md, "Starting a worker"; the node's
# WorkerLauncher has the same program): a Python older than 3.11 is refused in
# words any Python parses; the node's working directory is never on sys.path,
# the worker package and the configured paths come first.
BOOTSTRAP = ("import sys\n"
             "if sys.version_info < (3, 11): sys.stderr.write('pyfleet-worker: cannot start\\texecutable=%s"
             "\\tversion=%d.%d.%d\\trequires=3.11\\n' % ((sys.executable,) + tuple(sys.version_info[:3]))); "
             "sys.exit(5)\n"
             "sys.path[:1 if sys.path[:1] == [''] else 0] = sys.argv[1:]; del sys.argv[1:]; "
             "from pyfleet.worker import main; main()")


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.01) -> Any:
    """Poll `condition` until it returns a true value, which is returned; past `timeout`, its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def worker_argv(python: str = sys.executable, paths: list[str] | None = None) -> list[str]:
    return [python, "-c", BOOTSTRAP] + (paths if paths is not None else [str(SRC), str(WORKERLIB)])


class RemoteFailure(Exception):
    """An error frame, as seen by the test client."""

    def __init__(self, kind: str, type: str, message: str, traceback: str, frames: list | None = None) -> None:
        super().__init__(f"{kind} {type}: {message}")
        self.kind, self.type, self.message, self.traceback = kind, type, message, traceback
        self.frames = frames or []


class WorkerExited(Exception):
    def __init__(self, status: int | None) -> None:
        super().__init__(f"worker exited with status {status}")
        self.status = status


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    path = [str(SRC), str(WORKERLIB)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    env["PYTHONPATH"] = os.pathsep.join(path)
    for key in [k for k in env if k.startswith("PYFLEET_")]:
        del env[key]  # hermetic: defaults unless a test sets them
    if extra:
        env.update(extra)
    return env


class WorkerClient:
    """Speaks the frame protocol to a worker subprocess through its stdin/stdout."""

    def __init__(self, env: dict[str, str] | None = None, python: str = sys.executable,
                 wait_hello: bool = True, argv: list[str] | None = None, cwd: str | None = None,
                 raw_env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            argv or worker_argv(python), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=raw_env if raw_env is not None else worker_env(env),
            cwd=cwd or str(ROOT), bufsize=0,
        )
        self.out_fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        # fd 2 of the worker is read here, as the node does (a full pipe would block it).
        self._err = bytearray()
        self._err_cond = threading.Condition()
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()
        self.buf = b""
        self.logs: list[tuple[str, str]] = []
        self.next_id = 1
        self.hello: Any = None
        if wait_hello:
            self.hello = self.read_message(timeout=30)

    # -- raw frames -----------------------------------------------------------

    def send_raw(self, data: bytes) -> None:
        self.proc.stdin.write(data)  # type: ignore[union-attr]

    def send_frame(self, payload: bytes) -> None:
        self.send_raw(struct.pack(">I", len(payload)) + payload)

    def send(self, message: Any) -> None:
        self.send_frame(encode(message))

    def _fill(self, deadline: float) -> bool:
        """Read more bytes; False at EOF. Raises TimeoutError past the deadline."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no data from the worker before the deadline")
        ready, _, _ = select.select([self.out_fd], [], [], left)
        if not ready:
            raise TimeoutError("no data from the worker before the deadline")
        data = os.read(self.out_fd, 1 << 20)
        if not data:
            return False
        self.buf += data
        return True

    def read_frame(self, timeout: float = 10.0) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack_from(">I", self.buf)
                if len(self.buf) >= 4 + n:
                    frame, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return frame
            if not self._fill(deadline):
                raise WorkerExited(self.wait(5))

    def read_message(self, timeout: float = 10.0, keep_logs: bool = False) -> Any:
        """The next message; log frames are collected in `logs` and skipped."""
        deadline = time.monotonic() + timeout
        while True:
            msg = decode(self.read_frame(max(0.001, deadline - time.monotonic())))
            if not keep_logs and type(msg) is list and len(msg) == 3 and msg[0] == MSG_LOG:
                self.logs.append(tuple(msg[2]))  # type: ignore[arg-type]
                continue
            return msg

    # -- requests -------------------------------------------------------------

    def request(self, op: str, target: Any = None, args: Any = None, kwargs: Any = None,
                opts: Any = None, timeout: float = 10.0) -> tuple[list[Any], Any]:
        """Send a request; return (events, final message) for its id."""
        rid = self.next_id
        self.next_id += 1
        self.send([MSG_REQUEST, rid, op, target, args, kwargs, opts])
        events = []
        while True:
            msg = self.read_message(timeout)
            assert msg[1] == rid, f"message for another request: {msg!r}"
            if msg[0] == MSG_EVENT:
                events.append(msg[2])
                continue
            assert msg[0] in (MSG_REPLY, MSG_ERROR), msg
            return events, msg

    def call(self, op: str, target: Any = None, args: Any = None, kwargs: Any = None,
             opts: Any = None, timeout: float = 10.0) -> Any:
        """The reply value, or RemoteFailure for an error frame."""
        _events, msg = self.request(op, target, args, kwargs, opts, timeout)
        if msg[0] == MSG_ERROR:
            raise RemoteFailure(*msg[2])
        return msg[2]

    def wait_logs(self, predicate: Any, timeout: float = 10.0) -> list[tuple[str, str]]:
        """Read until the collected logs satisfy `predicate` (logs arrive asynchronously)."""
        deadline = time.monotonic() + timeout
        while not predicate(self.logs):
            msg = self.read_message(max(0.001, deadline - time.monotonic()), keep_logs=True)
            if not (type(msg) is list and len(msg) == 3 and msg[0] == MSG_LOG):
                raise AssertionError(f"unexpected message while waiting for logs: {msg!r}")
            self.logs.append(tuple(msg[2]))  # type: ignore[arg-type]
        return self.logs

    # -- lifetime -------------------------------------------------------------

    def wait(self, timeout: float = 10.0) -> int | None:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _drain_stderr(self) -> None:
        fd = self.proc.stderr.fileno()  # type: ignore[union-attr]
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            with self._err_cond:
                if not data:
                    self._err_eof = True
                    self._err_cond.notify_all()
                    return
                self._err += data
                self._err_cond.notify_all()

    def stderr_so_far(self) -> str:
        with self._err_cond:
            return self._err.decode("utf-8", "replace")

    def wait_stderr(self, text: str, timeout: float = 10.0) -> str:
        """Wait until the worker's stderr contains `text`; returns all of it."""
        deadline = time.monotonic() + timeout
        with self._err_cond:
            while text.encode() not in self._err:
                left = deadline - time.monotonic()
                if left <= 0 or getattr(self, "_err_eof", False):
                    break
                self._err_cond.wait(left)
            return self._err.decode("utf-8", "replace")

    def stderr_text(self, timeout: float = 10.0) -> str:
        """All of stderr, once the worker (and whatever held its stderr) is gone."""
        self._err_thread.join(timeout)
        return self.stderr_so_far()

    def kill_group(self) -> None:
        """SIGKILL the worker's process group (pgid == the worker's pid), as the node does."""
        try:
            os.killpg(self.proc.pid, 9)
        except OSError:
            pass

    def close(self) -> None:
        self.kill_group()
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(10)
        finally:
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                with contextlib.suppress(Exception):  # a test's teardown: close what can be closed
                    stream.close()  # type: ignore[union-attr]


@pytest.fixture
def worker():
    client = WorkerClient()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def shared_worker():
    """One worker for a whole module of tests that leave it in a usable state."""
    client = WorkerClient()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def make_worker():
    """Factory for workers with custom settings; all are killed at teardown."""
    started: list[WorkerClient] = []

    def make(**kwargs: Any) -> WorkerClient:
        client = WorkerClient(**kwargs)
        started.append(client)
        return client

    try:
        yield make
    finally:
        for client in started:
            client.close()
