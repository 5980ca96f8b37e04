"""The bind-time lookup (op ``lookup``, pyfleet.binding): in this process, and through a real worker."""
from __future__ import annotations

import textwrap

import pytest

from conftest import RemoteFailure
from pyfleet.binding import lookup


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Writes modules into a fresh directory on sys.path: ``modules(name=source, ...)``."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(**sources: str) -> None:
        for name, source in sources.items():
            path = tmp_path.joinpath(*name.split("__"))
            if path.suffix != ".py":
                path = path.with_suffix(".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
    return write


def test_the_first_name_that_exists_wins_and_says_whether_it_is_callable(modules):
    modules(lk_first="""
        LIMIT = 3
        def fail_deep(): pass
        def both(): pass
        def both_ways(): pass
        class Thing: pass
    """)
    assert lookup("lk_first", [["failDeep", "fail_deep"], ["both", "both_ways"], ["LIMIT"], ["Thing"], ["nope"],
                               ["missing", "also_missing"]]) == [
        ["fail_deep", True, "builtins.function"],
        ["both", True, "builtins.function"],
        ["LIMIT", False, "builtins.int"],
        ["Thing", True, "builtins.type"],
        None,
        None,
    ]


def test_dotted_names_reach_submodules_even_when_the_package_does_not_import_them():
    import sys
    sys.modules.pop("xml.etree.ElementTree", None)
    sys.modules.pop("xml.etree", None)
    assert lookup("xml", [["etree.ElementTree.fromstring"], ["etree.nothing"], ["nothing.at.all"]]) == [
        ["etree.ElementTree.fromstring", True, "builtins.function"], None, None]
    assert lookup("os", [["path.join"]]) == [["path.join", True, "builtins.function"]]


def test_a_module_that_does_not_import_raises_its_error(modules):
    with pytest.raises(ModuleNotFoundError, match="no_such_module_pyfleet"):
        lookup("no_such_module_pyfleet", [["f"]])
    modules(lk_broken="import no_such_dependency_pyfleet\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_pyfleet"):
        lookup("lk_broken", [["f"]])
    modules(lk_raises="raise ValueError('not today')\n")
    with pytest.raises(ValueError, match="not today"):
        lookup("lk_raises", [["f"]])


def test_a_submodule_that_exists_but_does_not_import_is_an_error_not_a_missing_name(modules):
    modules(lk_pkg____init__="", lk_pkg__sub="import no_such_dependency_pyfleet\ndef f(): pass\n")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_pyfleet"):
        lookup("lk_pkg", [["sub.f"]])


def test_lookup_through_a_worker(shared_worker):
    assert shared_worker.call("lookup", "bindtest", [[["failDeep", "fail_deep"], ["bothWays", "both_ways"],
                                                      ["LIMIT"], ["nope"]]]) == [
        ["fail_deep", True, "builtins.function"],
        ["bothWays", True, "builtins.function"],
        ["LIMIT", False, "builtins.int"],
        None,
    ]
    assert shared_worker.call("lookup", "math", [[]]) == []
    with pytest.raises(RemoteFailure) as err:
        shared_worker.call("lookup", "bindbroken", [[["f"]]])
    assert (err.value.kind, err.value.type) == ("python", "builtins.ModuleNotFoundError")
    assert "no_such_module_pyfleet_bindtest" in err.value.message


@pytest.mark.parametrize("target, args, kwargs", [
    (None, [[["f"]]], None),
    ("math", None, None),
    ("math", [["f"]], None),
    ("math", [[[]]], None),
    ("math", [[["a..b"]]], None),
    ("math", [[[""]]], None),
    ("math", [[[1]]], None),
    ("math", [[["f"]], 2], None),
    ("math", [[["f"]]], {"x": 1}),
])
def test_malformed_lookups_are_protocol_errors(shared_worker, target, args, kwargs):
    with pytest.raises(RemoteFailure) as err:
        shared_worker.call("lookup", target, args, kwargs)
    assert err.value.kind == "protocol", err.value
    assert shared_worker.call("operator", "add", [1, 2]) == 3
