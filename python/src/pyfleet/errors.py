"""Error hierarchy of the worker, one class per error kind of the protocol.

A `PyfleetError` carries the `kind` string that goes into an error frame
(`[kind, type, message, traceback]`, and a 5th item, the traceback's frames as
``[file, line, function, module]`` lists, when there are any). Exceptions raised
by user code are not wrapped: they go out with kind ``python``. `RemoteError` is
the *value* form of an error (ext 10), e.g. an exception object returned by user code.
"""
from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

__all__ = [
    "KIND_ENCODE",
    "KIND_PROTOCOL",
    "KIND_PYTHON",
    "KIND_STALE_HANDLE",
    "DecodeError",
    "EncodeError",
    "FrameTooLargeError",
    "ProtocolError",
    "PyfleetError",
    "RemoteError",
    "StaleHandleError",
    "error_from_fields",
    "python_error",
    "qualified_name",
    "safe_str",
    "set_error_note",
    "traceback_frames",
]

# The node's configuration key of the worker's maximum frame size (conf/application.conf).
MAX_FRAME_SETTING = "pyfleet.worker.max-frame-size"

KIND_PYTHON = "python"
KIND_PROTOCOL = "protocol"
KIND_STALE_HANDLE = "stale_handle"
KIND_ENCODE = "encode"


def qualified_name(cls: type) -> str:
    """``module.qualname`` of a class, e.g. ``builtins.ValueError``."""
    module = getattr(cls, "__module__", None) or "builtins"
    return f"{module}.{getattr(cls, '__qualname__', cls.__name__)}"


class PyfleetError(Exception):
    """Root of the worker's own errors; `kind` is the protocol error kind."""

    kind = KIND_PROTOCOL


class ProtocolError(PyfleetError):
    """The request was malformed (not msgpack, wrong shape, unknown op, bad argument types)."""

    kind = KIND_PROTOCOL


class DecodeError(ProtocolError, ValueError):
    """Bytes that are not a valid pyfleet value (bad msgpack or bad ext payload)."""


class FrameTooLargeError(ProtocolError):
    """A frame whose declared or actual length is over the maximum frame size."""

    def __init__(self, length: int, maximum: int) -> None:
        super().__init__(f"frame of {length} bytes exceeds the maximum frame size of {maximum} bytes "
                         f"({MAX_FRAME_SETTING}): send less at once (a large NumPy array goes through the node's "
                         f"memory, not the frame; other large data can stay in Python as an object), or raise "
                         f"{MAX_FRAME_SETTING}")
        self.length = length
        self.maximum = maximum


class StaleHandleError(PyfleetError):
    """A handle this worker does not hold (released, never held, other worker or generation)."""

    kind = KIND_STALE_HANDLE


class EncodeError(PyfleetError, TypeError):
    """A value that has no encoding (and no handle hook to fall back on), or is too big."""

    kind = KIND_ENCODE


class RemoteError(Exception):
    """An error as a value (ext 10): ``[kind, type, message, traceback]``, and ``frames``
    (``[file, line, function, module]`` lists, outermost first) as a 5th item when not empty.

    Equal and hashable by its fields so decoded values compare like data.
    """

    def __init__(self, kind: str, type: str, message: str, traceback: str = "",
                 frames: list[list[Any]] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.type = type
        self.message = message
        self.traceback = traceback
        self.frames = [list(f) for f in frames] if frames else []

    def fields(self) -> list[Any]:
        """The wire form; an empty frames list is left out (one encoding per value)."""
        if self.frames:
            return [self.kind, self.type, self.message, self.traceback, self.frames]
        return [self.kind, self.type, self.message, self.traceback]

    def __eq__(self, other: object) -> bool:
        return type(other) is RemoteError and self.fields() == other.fields()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((self.kind, self.type, self.message, self.traceback,
                     tuple(tuple(f) for f in self.frames)))

    def __repr__(self) -> str:
        extra = f", {self.frames!r}" if self.frames else ""
        return f"RemoteError({self.kind!r}, {self.type!r}, {self.message!r}, {self.traceback!r}{extra})"

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1


def error_from_fields(fields: Any) -> RemoteError:
    """The one reader of error fields (error frames, ext 10, scatter items): 4 str, then
    optionally a list of ``[str file, int line, str function, str module]`` frames.

    Raises DecodeError on any other shape.
    """
    if type(fields) is not list or len(fields) not in (4, 5):
        raise DecodeError("an error must be [kind, type, message, traceback] or [..., frames]")
    if not all(type(f) is str for f in fields[:4]):
        raise DecodeError("an error's kind, type, message and traceback must be strings")
    frames: list[list[Any]] = []
    if len(fields) == 5:
        if type(fields[4]) is not list:
            raise DecodeError("an error's frames must be a list")
        for frame in fields[4]:
            if not (type(frame) is list and len(frame) == 4 and type(frame[0]) is str
                    and type(frame[1]) is int and type(frame[2]) is str and type(frame[3]) is str):
                raise DecodeError("an error frame must be [file, line, function, module]: str, int, str, str")
            if not _INT32_MIN <= frame[1] <= _INT32_MAX:
                raise DecodeError("an error frame's line must fit in a 32-bit signed int")
            frames.append(frame)
    return RemoteError(fields[0], fields[1], fields[2], fields[3], frames)


# Leading traceback frames in the worker package are its own dispatch: of no use to the caller.
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def safe_str(obj: Any) -> str:
    try:
        return str(obj)
    except Exception:  # noqa: BLE001 (a broken __str__ must not turn one error into two)
        return f"<unprintable {qualified_name(type(obj))}>"


_error_note: Callable[[BaseException], str | None] | None = None


def set_error_note(note: Callable[[BaseException], str | None] | None) -> None:
    """Install a function that may add a note to the message of an error (which limit it hit)."""
    global _error_note
    _error_note = note


def python_error(exc: BaseException) -> list[Any]:
    """The error fields of an exception raised by user code: ``[kind, type, message, traceback]``,
    and its frames as a 5th item when it has any."""
    tb = exc.__traceback__
    # Leading frames are the worker's own dispatch: of no use to the caller.
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    try:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    except Exception:  # noqa: BLE001 (user objects in the trace may fail to format)
        text = ""
    message = safe_str(exc)
    if _error_note is not None:
        try:
            note = _error_note(exc)
        except Exception:  # noqa: BLE001 (a note is optional)
            note = None
        if note:
            message = f"{message} [{note}]" if message else note
    fields: list[Any] = [KIND_PYTHON, qualified_name(type(exc)), message, text]
    frames = traceback_frames(tb)
    if frames:
        fields.append(frames)
    return fields


# As the JVM's default stack depth: a runaway recursion keeps its innermost frames.
MAX_FRAMES = 1024


def traceback_frames(tb: Any) -> list[list[Any]]:
    """``[file, line, function, module]`` per frame of a traceback, outermost first, as Python
    lists them (at most the `MAX_FRAMES` innermost); ``module`` is the frame's ``__name__``,
    else its file's stem."""
    frames: list[list[Any]] = []
    while tb is not None:
        frame = tb.tb_frame
        code = frame.f_code
        file = code.co_filename
        line = tb.tb_lineno
        module = frame.f_globals.get("__name__")
        if type(module) is not str or not module:
            module = os.path.splitext(os.path.basename(file))[0] or "?"
        frames.append([file, line if type(line) is int and _INT32_MIN <= line <= _INT32_MAX else -1,
                       code.co_name, module])
        tb = tb.tb_next
    return frames[-MAX_FRAMES:]
