"""A call whose module the worker cannot import says how to make it importable (pyfleet.advice),
and a worker whose Python is too old says so in the line the node reads (msgpack missing: test_worker)."""
from __future__ import annotations

import sys

import pytest

from conftest import SRC, RemoteFailure


def _failure(worker, *request) -> RemoteFailure:
    with pytest.raises(RemoteFailure) as err:
        worker.call(*request)
    return err.value


def test_a_module_off_the_path_names_both_remedies(shared_worker):
    err = _failure(shared_worker, "call", "mymodel_not_here.score", [1])
    assert err.type == "builtins.ModuleNotFoundError"
    assert err.message.startswith("No module named 'mymodel_not_here' (not on the workers' sys.path: ")
    assert "EmbeddedFleet.builder().pythonPath(...) or pyfleet.worker.python-path" in err.message
    assert f"{sys.executable} -m pip install mymodel_not_here" in err.message
    assert err.message in err.traceback  # the traceback's last line is the same message


def test_a_package_inside_a_missing_one_names_the_top_package(shared_worker):
    err = _failure(shared_worker, "call", "proj_not_here.models.score")
    assert err.message.startswith("No module named 'proj_not_here' (not on the workers' sys.path")
    assert "-m pip install proj_not_here" in err.message


def test_a_module_whose_import_fails_names_the_missing_dependency(shared_worker):
    err = _failure(shared_worker, "call", "needsmissing.score", [1])
    assert err.type == "builtins.ModuleNotFoundError"
    assert err.message.startswith("No module named 'no_such_dependency_xyz' (needed to import needsmissing.score, "
                                  "and the workers' interpreter lacks it: ")
    assert f"{sys.executable} -m pip install no_such_dependency_xyz" in err.message


def test_the_import_op_and_constants_get_the_same_advice(shared_worker):
    assert "pyfleet.worker.python-path" in _failure(shared_worker, "import", "mymodel_not_here").message
    assert "pyfleet.worker.python-path" in _failure(shared_worker, "const", "mymodel_not_here.VALUE").message


def test_other_errors_are_left_alone(shared_worker):
    err = _failure(shared_worker, "call", "os.path.no_such_function")
    assert err.type == "builtins.AttributeError" and "python-path" not in err.message


def test_the_bootstrap_refuses_an_older_python_with_exit_5(make_worker):
    from conftest import BOOTSTRAP
    # The version check is the bootstrap's first statement; here it is asked for a Python that is yet to come.
    newer = BOOTSTRAP.replace("(3, 11)", "(3, 99)").replace("requires=3.11", "requires=3.99")
    assert newer != BOOTSTRAP
    w = make_worker(argv=[sys.executable, "-c", newer, str(SRC)], wait_hello=False)
    assert w.wait(30) == 5
    version = ".".join(map(str, sys.version_info[:3]))
    assert w.stderr_text().splitlines()[0] == (
        f"pyfleet-worker: cannot start\texecutable={sys.executable}\tversion={version}\trequires=3.99")


def test_a_missing_submodule_of_a_package_that_imports_gets_no_advice(shared_worker):
    err = _failure(shared_worker, "import", "xml.no_such_submodule")
    assert err.message == "No module named 'xml.no_such_submodule'"
