"""The user code the Java tests run in real workers: one library, grouped by what it tests.

Crashes, floods and hangs; side effects counted on disk; replies the node cannot decode;
events (some that say "started" so a test waits on them instead of sleeping); objects that
stay in their worker; forks and subprocesses for worker isolation.
"""

import datetime
import os
import sys
import time

import pyfleet

# -- plain calls: values, errors, timing -----------------------------------------------------


def pid() -> int:
    return os.getpid()


def echo(value):
    return value


def sleep_then(seconds: float, value):
    time.sleep(seconds)
    return value


def started_then_sleep(seconds: float):
    """Emits {"started": pid} once the call runs, then sleeps: a test waits on the event, not on a clock."""
    pyfleet.emit({"started": os.getpid()})
    time.sleep(seconds)
    return "slept"


def boom(message: str):
    raise ValueError(message)


class Owner:
    """An object with no value encoding: it stays in the worker that made it."""

    def __init__(self, label: str) -> None:
        self.label = label

    def where(self) -> int:
        return os.getpid()

    def read(self) -> str:
        return self.label


# -- a worker under stress: output floods, runaway memory -----------------------------------


def flood_stdout(nbytes: int) -> int:
    """Writes nbytes to stdout through Python and through fd 1 directly, as a C extension would."""
    half = nbytes // 2
    line = "x" * 1023 + "\n"
    for _ in range(half // 1024):
        sys.stdout.write(line)
    sys.stdout.flush()
    chunk = (b"y" * 1023 + b"\n") * 64
    for _ in range(half // len(chunk)):
        os.write(1, chunk)
    print("unterminated line without newline", end="")
    return nbytes


def eat_memory():
    """Allocates without bound until the worker's memory limit stops it."""
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


# -- events and streams ------------------------------------------------------------------------


def countdown(n: int):
    """A generator: streamed item by item when the call asks for it."""
    yield from range(n, 0, -1)


def progress(n: int) -> str:
    for i in range(n):
        pyfleet.emit({"step": i, "of": n})
    return "done"


def emit_object(label):
    """Emits an object that stays in the worker (a handle), then returns."""
    pyfleet.emit(Owner(label))
    return "sent"


def emit_then_sleep(events: int, seconds: float):
    for i in range(events):
        pyfleet.emit(i)
    time.sleep(seconds)
    return "slept"


_late = {}


def start_late_emitter() -> str:
    """Call A: a thread that emits only when call B lets it (after A has ended)."""
    import threading

    go, done = threading.Event(), threading.Event()
    _late.update(go=go, done=done, result=None)

    def run():
        go.wait(30)
        try:
            _late["result"] = pyfleet.emit("late")
        except Exception as exc:  # noqa: BLE001 - whatever a late emit raises is the result
            _late["result"] = f"{type(exc).__name__}: {exc}"
        done.set()

    threading.Thread(target=run, name="late-emitter", daemon=True).start()
    return "started"


def release_late_emitter():
    """Call B: lets A's thread emit while B runs, then emits its own event."""
    _late["go"].set()
    if not _late["done"].wait(30):
        raise TimeoutError("the late emitter did not finish")
    pyfleet.emit("mine")
    return _late["result"]


# -- scatter items -----------------------------------------------------------------------------


def square_or_fail(x: int) -> int:
    """Multiples of 7 raise, the rest square."""
    if x % 7 == 0:
        raise ArithmeticError(f"{x} is a multiple of 7")
    return x * x


def die_on_13(x: int) -> int:
    """13 kills its own worker with SIGKILL, as a segfault in C code would."""
    if x == 13:
        os.kill(os.getpid(), 9)
    return x


# -- at most once: side effects counted on disk ---------------------------------------------


def mark(directory: str, key, value=None):
    """Records that the call with this key ran (one byte per run), then returns value."""
    with open(os.path.join(directory, str(key)), "ab") as f:
        f.write(b"x")
    return key if value is None else value


def mark_or_die(directory: str, key, culprit):
    """Like mark, but the culprit kills its own worker with SIGKILL mid-call."""
    mark(directory, key)
    if key == culprit:
        os.kill(os.getpid(), 9)
    return key


def mark_or_hang(directory: str, key, culprit):
    """Like mark, but the culprit never returns."""
    mark(directory, key)
    if key == culprit:
        time.sleep(3600)
    return key


def mark_line(path: str, key, seconds: float = 0.0):
    """Appends the key as one line (an O_APPEND write is atomic), sleeps a little, returns the key."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{key}\n".encode())
    finally:
        os.close(fd)
    if seconds:
        time.sleep(seconds)
    return key


def runs(directory: str) -> dict:
    """How many times each key ran."""
    return {name: os.path.getsize(os.path.join(directory, name)) for name in os.listdir(directory)}


# -- replies the node cannot decode -----------------------------------------------------------


def far_offset():
    """A datetime Python allows and java.time cannot hold: UTC offset +20 h."""
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=20)))


def deep(n: int):
    """A list nested n deep."""
    value = []
    for _ in range(n):
        value = [value]
    return value


# -- worker isolation: faults, forks, subprocesses, the process environment -----------------


def segfault():
    """Dies of SIGSEGV inside a C call: the worker's fault trace must reach the node."""
    import ctypes

    return ctypes.string_at(0)


def fork_and_exit(code: int) -> int:
    """A forked child that raises SystemExit into the worker loop: it must leave, not serve."""
    child = os.fork()
    if child == 0:
        raise SystemExit(code)
    return child


def fork_sleeper(seconds: float) -> int:
    """A forked child that lives on after the call returns."""
    child = os.fork()
    if child == 0:
        time.sleep(seconds)
        os._exit(0)
    return child


def start_sleeper(seconds: float) -> int:
    """A subprocess the worker leaves running."""
    import subprocess

    return subprocess.Popen(["sleep", str(seconds)]).pid


def wait_child(child: int) -> int:
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


def grandchild_then_sleep(seconds: float) -> int:
    """Forks a child that forks a grandchild (both sleep, holding whatever fds they inherited), then sleeps."""
    child = os.fork()
    if child == 0:
        if os.fork() == 0:
            time.sleep(seconds)
        os._exit(0)
    os.waitpid(child, 0)
    time.sleep(seconds)
    return child


def fork_many(n: int) -> int:
    """Fork n children waiting on a pipe; all are let go and reaped before returning."""
    r, w = os.pipe()
    children = []
    try:
        for _ in range(n):
            child = os.fork()
            if child == 0:
                os.close(w)
                os.read(r, 1)
                os._exit(0)
            children.append(child)
    finally:
        os.close(w)
        os.close(r)
        for child in children:
            os.waitpid(child, 0)
    return len(children)


def multiprocessing_squares(method: str, n: int) -> list:
    import multiprocessing

    with multiprocessing.get_context(method).Pool(2) as pool:
        return pool.map(_square, range(n))


def _square(x: int) -> int:
    return x * x


def process_group() -> list:
    return [os.getpid(), os.getpgid(0), os.getsid(0)]


def env(name: str):
    return os.environ.get(name)


def close_fd(fd: int) -> int:
    os.close(fd)
    return fd


def say(text: str) -> str:
    print(text, flush=True)
    return text


def allocate(nbytes: int) -> int:
    return len(bytearray(nbytes))


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()
