"""User code the worker tests call inside a real worker (on its PYTHONPATH)."""
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


def emit_after_reply():
    """A thread that emits once the request has been answered: it must get an error."""
    def run():
        time.sleep(0.2)
        try:
            pyfleet.emit("late")
        except RuntimeError as exc:
            _thread_errors.append(f"{type(exc).__name__}: {exc}")
    threading.Thread(target=run, daemon=True).start()
    return "started"


def thread_errors():
    return list(_thread_errors)


def count_up(n):
    for i in range(n):
        yield i


def fail_after(n):
    for i in range(n):
        yield i
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


def echo(*args, **kwargs):
    return [list(args), kwargs]


def exit_hard(code):
    os._exit(code)


def mixed_big(n, size):
    return [object() for _ in range(n)] + ["x" * size]
