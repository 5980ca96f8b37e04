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
