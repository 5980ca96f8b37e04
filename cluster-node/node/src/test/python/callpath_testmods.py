"""Functions the call-path tests run in real workers: side effects counted on disk,
replies the node cannot decode, events that carry objects, slow and dying items."""
import datetime
import os
import time

import pyfleet

__all__ = ["mark_line", "mark", "mark_or_die", "mark_or_hang", "runs", "far_offset", "deep", "emit_object", "emit_then_sleep",
           "echo", "sleep_then", "pid", "Box"]


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


def far_offset():
    """A datetime Python allows and java.time cannot hold: UTC offset +20 h."""
    return datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=20)))


def deep(n: int):
    """A list nested n deep."""
    value = []
    for _ in range(n):
        value = [value]
    return value


class Box:
    """An object with no value encoding: it stays in its worker."""

    def __init__(self, label):
        self.label = label

    def read(self):
        return self.label


def emit_object(label):
    """Emits an object that stays in the worker (a handle), then returns."""
    pyfleet.emit(Box(label))
    return "sent"


def emit_then_sleep(events: int, seconds: float):
    for i in range(events):
        pyfleet.emit(i)
    time.sleep(seconds)
    return "slept"


def echo(value):
    return value


def sleep_then(seconds: float, value):
    time.sleep(seconds)
    return value


def pid() -> int:
    return os.getpid()


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
