"""The one library of test user code: what the Python tests (python/tests) and the Java
tests (cluster-node/node/src/test) call inside real workers, which find it on their
python-path. Crashes, floods and hangs; side effects counted on disk; replies the node
cannot decode; events (some that say "started" so a test waits on them, not on a clock);
objects that stay in their worker; forks and subprocesses for worker isolation."""
import datetime
import os
import sys
import threading
import time

import pyfleet

_thread_errors = []


def emit_some(n):
    for i in range(n):
        pyfleet.emit(i)
    return "done"


def emit_from_thread(n):
    def run():
        for i in range(n):
            pyfleet.emit({"thread": i})
    t = threading.Thread(target=run)
    t.start()
    t.join()
    return n


_late_go = threading.Event()
_late_done = threading.Event()
_late_result = []


def start_late_emitter():
    """Call A: starts a thread that emits only once call B lets it."""
    _late_go.clear()
    _late_done.clear()
    _late_result.clear()

    def run():
        _late_go.wait(30)
        try:
            _late_result.append(pyfleet.emit("late"))
        except Exception as exc:  # noqa: BLE001 (whatever it raises is the test's answer)
            _late_result.append(f"{type(exc).__name__}: {exc}")
        _late_done.set()
    threading.Thread(target=run, name="late-emitter", daemon=True).start()
    return "started"


def release_late_emitter():
    """Call B: lets A's thread emit while B runs, then emits its own event."""
    _late_go.set()
    if not _late_done.wait(30):
        raise TimeoutError("the late emitter did not finish")
    pyfleet.emit("mine")
    return _late_result[0]


def emit_through_emitter(pool_size, n):
    """Threads not started by this call (a pool kept between calls) emit through pyfleet.emitter()."""
    global _pool
    from concurrent.futures import ThreadPoolExecutor
    if _pool is None:
        _pool = ThreadPoolExecutor(pool_size)
    send = pyfleet.emitter()
    futures = [_pool.submit(send, i) for i in range(n)]
    return [f.result() for f in futures]


_pool = None


def thread_errors():
    return list(_thread_errors)


def count_up(n):
    yield from range(n)


def fail_after(n):
    yield from range(n)
    raise ValueError(f"failed after {n}")


def objects(n):
    for _ in range(n):
        yield object()


def mixed():
    return [1, object(), {"k": (2, object())}]


def print_lines(count, width):
    line = "y" * width
    for i in range(count):
        print(f"{i:08d}{line}")
    return count


def print_big(size):
    print("x" * size)
    return size


def c_level_write(fd, size):
    data = b"z" * size + b"\n"
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    return size


def raise_keyboard_interrupt():
    raise KeyboardInterrupt("from user code")


def raise_system_exit(code):
    sys.exit(code)


def raise_chained():
    try:
        {}["missing"]
    except KeyError as exc:
        raise RuntimeError("wrapped") from exc


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no str for you")


def raise_unprintable():
    raise Unprintable()


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def started_then_sleep(seconds):
    """Emit "started" (a test waits on it instead of guessing when the call runs), then sleep."""
    pyfleet.emit({"started": os.getpid()})
    time.sleep(seconds)
    return seconds


def echo(*args, **kwargs):
    return [list(args), kwargs]


def exit_hard(code):
    os._exit(code)


def mixed_big(n, size):
    return [object() for _ in range(n)] + ["x" * size]


# -- isolation: forks, stray processes, crashes, limits ------------------------------------

def fork_and_return(value):
    """Fork; the child returns `value` into the worker loop, which must not answer it."""
    pid = os.fork()
    if pid == 0:
        return value
    return pid


def fork_and_raise_system_exit(code):
    pid = os.fork()
    if pid == 0:
        raise SystemExit(code)
    return pid


def fork_and_raise(message):
    pid = os.fork()
    if pid == 0:
        raise ValueError(message)
    return pid


def fork_sleeper(seconds):
    """A forked child that lives on (it holds whatever the worker gave it)."""
    pid = os.fork()
    if pid == 0:
        time.sleep(seconds)
        os._exit(0)
    return pid


def fork_emit():
    """A forked child tries pyfleet.emit: it must not reach anyone; the parent reports what happened."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            pyfleet.emit("from the child")
            outcome = "sent"
        except RuntimeError as exc:
            outcome = f"RuntimeError: {exc}"
        os.write(w, outcome.encode())
        os._exit(0)
    os.close(w)
    outcome = os.read(r, 1000).decode()
    os.close(r)
    os.waitpid(pid, 0)
    return outcome


def wait_child(pid):
    """The exit status of a child of the worker (waitpid)."""
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


def square(x):
    return x * x


def pool_squares(method, n):
    import multiprocessing
    with multiprocessing.get_context(method).Pool(2) as pool:
        return pool.map(square, range(n))


def process_squares(method, n):
    import multiprocessing
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_put_square, args=(queue, i)) for i in range(n)]
    for p in procs:
        p.start()
    results = sorted(queue.get(timeout=30) for _ in procs)
    for p in procs:
        p.join(30)
    return [results, [p.exitcode for p in procs]]


def _put_square(queue, x):
    queue.put(x * x)


def start_sleeper(seconds, new_session=False):
    import subprocess
    proc = subprocess.Popen(["sleep", str(seconds)], start_new_session=new_session)
    return proc.pid


def segfault():
    import ctypes
    return ctypes.string_at(0)


def close_fd(fd):
    os.close(fd)
    return fd


def replace_fd_with_devnull(fd):
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)
    return fd


def close_sys_stdout():
    sys.stdout.close()
    return True


def print_to(stream, text):
    print(text, file=getattr(sys, stream), flush=True)
    return text


def allocate(nbytes):
    data = bytearray(nbytes)
    return len(data)


def numpy_allocate(nbytes):
    import numpy as np
    return int(np.ones(nbytes // 8).nbytes)


def start_threads(n):
    """Start n threads that all wait, count them, let them go: the stacks must fit the limits."""
    go = threading.Event()
    threads = []
    try:
        for _ in range(n):
            t = threading.Thread(target=go.wait, daemon=True)
            t.start()
            threads.append(t)
    finally:
        go.set()
        for t in threads:
            t.join(30)
    return len(threads)


def fork_many(n):
    """Fork n children that wait on a pipe; all are let go (and reaped) before returning."""
    r, w = os.pipe()
    pids = []
    try:
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                os.close(w)
                os.read(r, 1)
                os._exit(0)
            pids.append(pid)
    finally:
        os.close(w)
        os.close(r)
        for pid in pids:
            os.waitpid(pid, 0)
    return len(pids)


def read_file(path):
    with open(path) as f:
        return f.read()


def fork_and_terminate():
    """multiprocessing's terminate() (SIGTERM) ends a forked child the usual way."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=time.sleep, args=(60,))
    p.start()
    p.terminate()
    p.join(10)
    return p.exitcode


# -- used by the Java tests (cluster-node/node/src/test) ------------------------------------


# -- plain calls: values, errors, timing -----------------------------------------------------

def pid() -> int:
    return os.getpid()


def sleep_then(seconds: float, value):
    time.sleep(seconds)
    return value


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


def fork_and_exit(code: int) -> int:
    """A forked child that raises SystemExit into the worker loop: it must leave, not serve."""
    child = os.fork()
    if child == 0:
        raise SystemExit(code)
    return child


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


def say(text: str) -> str:
    print(text, flush=True)
    return text


def read_text(path: str) -> str:
    with open(path) as f:
        return f.read()


def tagged(x, seconds: float = 0.0) -> list:
    """[x, pid of the worker] after sleeping: which worker (so which node) served an item."""
    time.sleep(seconds)
    return [x, os.getpid()]


def fail_deep(n):
    """Fails three frames deep with a KeyError: the Java tests find each frame's line by its marker."""
    table = {"present": n}
    return _fail_lookup(table, n)  # frame: fail_deep


def _fail_lookup(table, n):
    return _fail_key(table, f"missing-key-{n}")  # frame: _fail_lookup


def _fail_key(table, key):
    return table[key]  # frame: _fail_key


def fail_nameless():
    """Raises in code whose globals have no __name__: its frame's module is its file's stem."""
    exec(compile("raise ValueError('nameless')", "/nowhere/generated_code.py", "exec"), {})  # noqa: S102
