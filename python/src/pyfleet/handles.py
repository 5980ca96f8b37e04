"""Handles: references to objects that stay in the worker.

A `Handle` is the value that travels (ext 9); the `HandleTable` owns the objects.
Ids are drawn at random (63 bits from `secrets`) instead of counting up: one
handle tells nothing of another's id, nor how many objects other callers made
in between. A live id is never drawn twice; a released one comes back only by a
2**-63 chance per draw (and a gateway refuses a handle its connection released
before any worker sees it).
"""
from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Iterable
from typing import Any

from .errors import StaleHandleError, qualified_name

__all__ = ["Handle", "HandleTable", "Identity", "identity_from_env"]


class Handle:
    """An immutable reference ``[node, worker, generation, id, type]``."""

    __slots__ = ("generation", "id", "node", "type", "worker")

    def __init__(self, node: str, worker: str, generation: int, id: int, type: str) -> None:
        object.__setattr__(self, "node", node)
        object.__setattr__(self, "worker", worker)
        object.__setattr__(self, "generation", generation)
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "type", type)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Handle is immutable")

    def fields(self) -> tuple[str, str, int, int, str]:
        return (self.node, self.worker, self.generation, self.id, self.type)  # type: ignore[attr-defined]

    def __eq__(self, other: object) -> bool:
        return type(other) is Handle and self.fields() == other.fields()  # type: ignore[union-attr]

    def __hash__(self) -> int:
        return hash(self.fields())

    def __repr__(self) -> str:
        return "Handle({!r}, {!r}, {!r}, {!r}, {!r})".format(*self.fields())


class Identity:
    """Who owns handles: node name, worker id, worker generation."""

    __slots__ = ("generation", "node", "worker")

    def __init__(self, node: str = "local", worker: str = "w0", generation: int = 0) -> None:
        self.node = node
        self.worker = worker
        self.generation = generation


def identity_from_env(environ: dict[str, str] | None = None) -> Identity:
    """Read PYFLEET_NODE, PYFLEET_WORKER_ID, PYFLEET_GENERATION (defaults local, w0, 0)."""
    env = os.environ if environ is None else environ
    generation = env.get("PYFLEET_GENERATION", "0") or "0"
    try:
        gen = int(generation)
    except ValueError:
        raise ValueError(f"PYFLEET_GENERATION must be an integer, got {generation!r}") from None
    return Identity(env.get("PYFLEET_NODE") or "local", env.get("PYFLEET_WORKER_ID") or "w0", gen)


class HandleTable:
    """id -> object. Thread-safe: events encoded on user threads may add handles."""

    def __init__(self, identity: Identity | None = None) -> None:
        self.identity = identity or Identity()
        self._objects: dict[int, Any] = {}
        self._lock = threading.Lock()

    def add(self, obj: Any) -> Handle:
        with self._lock:
            hid = secrets.randbits(63)
            while hid == 0 or hid in self._objects:  # ids are >= 1, one object each
                hid = secrets.randbits(63)
            self._objects[hid] = obj
        ident = self.identity
        return Handle(ident.node, ident.worker, ident.generation, hid, qualified_name(type(obj)))

    def resolve(self, handle: Handle) -> Any:
        """The object a handle names, or StaleHandleError."""
        ident = self.identity
        if handle.node != ident.node or handle.worker != ident.worker or handle.generation != ident.generation:  # type: ignore[attr-defined]
            raise StaleHandleError(
                f"handle {handle.id} belongs to {handle.node}/{handle.worker} generation "  # type: ignore[attr-defined]
                f"{handle.generation}, not to {ident.node}/{ident.worker} generation {ident.generation}"  # type: ignore[attr-defined]
            )
        try:
            return self._objects[handle.id]  # type: ignore[attr-defined]
        except KeyError:
            raise StaleHandleError(
                f"handle {handle.id} ({handle.type}) is not held by {ident.node}/{ident.worker}"  # type: ignore[attr-defined]
            ) from None

    def release(self, ids: Iterable[int]) -> int:
        """Drop the given ids; return how many were held."""
        # Objects are dropped after the lock is released: a __del__ may run user
        # code that adds handles.
        dropped = []
        with self._lock:
            for hid in ids:
                obj = self._objects.pop(hid, _MISSING)
                if obj is not _MISSING:
                    dropped.append(obj)
        return len(dropped)

    def __len__(self) -> int:
        return len(self._objects)

    def count(self) -> int:
        return len(self._objects)


_MISSING = object()
