"""Functions the Java tests call in real workers: crashes, floods, hangs, events."""
import os
import sys
import time

import pyfleet

__all__ = ["flood_stdout", "sleep_then", "countdown", "progress", "boom", "eat_memory", "pid", "Owner",
           "square_or_fail", "die_on_13"]


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


def sleep_then(seconds: float, value):
    time.sleep(seconds)
    return value


def countdown(n: int):
    """A generator: streamed item by item when the call asks for it."""
    for i in range(n, 0, -1):
        yield i


def progress(n: int) -> str:
    for i in range(n):
        pyfleet.emit({"step": i, "of": n})
    return "done"


def boom(message: str):
    raise ValueError(message)


def eat_memory():
    """Allocates without bound until the worker's memory limit stops it."""
    hoard = []
    while True:
        hoard.append(bytearray(64 << 20))


def pid() -> int:
    return os.getpid()


class Owner:
    """An object with no value encoding: it stays in the worker that made it."""

    def __init__(self, label: str) -> None:
        self.label = label

    def where(self) -> int:
        return os.getpid()


def square_or_fail(x: int) -> int:
    """Scatter items: multiples of 7 raise, the rest square."""
    if x % 7 == 0:
        raise ArithmeticError(f"{x} is a multiple of 7")
    return x * x


def die_on_13(x: int) -> int:
    """Scatter items: 13 kills its own worker with SIGKILL, as a segfault in C code would."""
    if x == 13:
        os.kill(os.getpid(), 9)
    return x


# -- worker isolation (WorkerIsolationTest) -------------------------------------------------

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


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


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
        except Exception as exc:
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


def multiprocessing_squares(method: str, n: int) -> list:
    import multiprocessing
    with multiprocessing.get_context(method).Pool(2) as pool:
        return pool.map(_square, range(n))


def _square(x: int) -> int:
    return x * x
