"""What to do about a module a worker cannot import: words added to the error the caller reads.

A call names ``module.function``; when the worker cannot import that module, the caller gets
``builtins.ModuleNotFoundError`` as before, its message extended with the remedy: the module's
directory on the workers' path, or the package installed into the workers' interpreter. The
message rather than a note (``add_note``), since the message is what a Java caller sees first.
"""
from __future__ import annotations

import sys

__all__ = ["module_not_found"]

_PATH = "EmbeddedFleet.builder().pythonPath(...) or pyfleet.worker.python-path"


def module_not_found(exc: ModuleNotFoundError, wanted: str) -> None:
    """Extend the message of `exc`, raised while importing module `wanted`, with how to make it importable."""
    missing = exc.name or wanted
    if missing.rpartition(".")[0] in sys.modules:
        return  # a package that imports has no such submodule: a wrong name, not a missing install
    install = f"{sys.executable or 'python'} -m pip install {missing.partition('.')[0]}"
    if wanted == missing or wanted.startswith(missing + "."):
        advice = (f"not on the workers' sys.path: add the directory that holds it with {_PATH}, "
                  f"or install the package into the workers' interpreter: {install}")
    else:
        advice = (f"needed to import {wanted}, and the workers' interpreter lacks it: {install}, "
                  f"or add the directory that holds it with {_PATH}")
    exc.msg = f"{exc.msg} ({advice})"
