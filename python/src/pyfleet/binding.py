"""The bind-time lookup of Java's ``Fleet.bind`` (the worker op ``lookup``, spec/PROTOCOL.md).

A Java interface bound to a module names one or more Python names per method (its exact name, then its
snake_case form, or the one ``@PyName`` gives). One request looks them all up, in the worker that will
serve the calls, so a binding fails at once, naming every method the module lacks, instead of at the
first call of each. Names resolve exactly as the ``call`` op resolves them (`ops.resolve_name`), so what
is found here is what the calls find.
"""
from __future__ import annotations

from typing import Any

from .ops import resolve_name

__all__ = ["lookup"]


def lookup(module: str, groups: list[list[str]]) -> list[list[Any] | None]:
    """For each group of candidate names (relative to `module`, dotted allowed), the first that exists:
    ``[name, callable, type]`` (``type`` the qualified name of its type), or None when none does.

    `module` itself must import (or resolve, if it is a dotted path to an object): its error, an
    ImportError most often, propagates so that the binding fails with it.
    """
    resolve_name(module)
    return [_first(module, names) for names in groups]


def _first(module: str, names: list[str]) -> list[Any] | None:
    for name in names:
        full = f"{module}.{name}"
        try:
            obj = resolve_name(full)
        except AttributeError:
            continue
        except ModuleNotFoundError as exc:
            # only "this name is no module" means missing; a submodule that exists but fails to import is
            # an error the binding reports as it is
            if exc.name is not None and (full == exc.name or full.startswith(exc.name + ".")):
                continue
            raise
        kind = type(obj)
        return [name, callable(obj), f"{kind.__module__}.{kind.__qualname__}"]
    return None
