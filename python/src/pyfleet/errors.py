"""Error hierarchy of the worker, one class per error kind of the protocol.

A `PyfleetError` carries the `kind` string that goes into an error frame
(`[kind, type, message, traceback]`). Exceptions raised by user code are not
wrapped: they go out with kind ``python``. `RemoteError` is the *value* form
of an error (ext 10), e.g. an exception object returned by user code.
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
    "python_error",
    "qualified_name",
    "safe_str",
    "set_error_note",
]

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
        super().__init__(f"frame of {length} bytes exceeds the maximum frame size of {maximum} bytes")
        self.length = length
        self.maximum = maximum


class StaleHandleError(PyfleetError):
    """A handle this worker does not hold (released, never held, other worker or generation)."""

    kind = KIND_STALE_HANDLE


class EncodeError(PyfleetError, TypeError):
    """A value that has no encoding (and no handle hook to fall back on), or is too big."""

    kind = KIND_ENCODE


class RemoteError(Exception):
    """An error as a value (ext 10): ``[kind, type, message, traceback]``.

    Equal and hashable by its four fields so decoded values compare like data.
    """

    def __init__(self, kind: str, type: str, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.type = type
        self.message = message
        self.traceback = traceback

    def fields(self) -> list[str]:
        return [self.kind, self.type, self.message, self.traceback]

    def __eq__(self, other: object) -> bool:
        return type(other) is RemoteError and self.fields() == other.fields()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash((self.kind, self.type, self.message, self.traceback))

    def __repr__(self) -> str:
        return f"RemoteError({self.kind!r}, {self.type!r}, {self.message!r}, {self.traceback!r})"

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


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


def python_error(exc: BaseException) -> list[str]:
    """``[kind, type, message, traceback]`` of an exception raised by user code."""
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
    return [KIND_PYTHON, qualified_name(type(exc)), message, text]
