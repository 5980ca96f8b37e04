"""pyfleet.plots: terminal charts of the exact requested size, PNGs of the exact pixel size,
clear errors for bad input, and a worker that starts without the plotting libraries."""
from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import SRC, RemoteFailure
from pyfleet import plots


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def _chart() -> list:
    x = np.linspace(0, 2 * np.pi, 60)
    return [{"kind": "line", "x": x, "y": np.sin(x), "label": "sin"},
            {"kind": "scatter", "x": x[::6], "y": np.cos(x[::6]).tolist(), "label": "cos"}]


@pytest.mark.parametrize(("width", "height"), [(20, 8), (72, 17), (80, 24), (133, 41)])
def test_terminal_has_exactly_the_requested_size(width, height):
    text = plots.terminal(_chart(), width, height, title="waves", xlabel="x", ylabel="y")
    lines = text.split("\n")
    assert len(lines) == height
    assert {len(line) for line in lines} == {width}
    assert lines[-1].strip() and lines[-2].strip(), "drawn to the full height, not padded"
    assert "\x1b" not in text
    assert "waves" in text
    if width >= 40:
        assert "sin" in text and "cos" in text


def test_terminal_line_and_scatter_draw_their_points():
    line = plots.terminal_line([0, 1, 2, 3], [0, 1, 4, 9], 40, 12)
    scatter = plots.terminal_scatter([0, 1, 2, 3], [0, 1, 4, 9], 40, 12)
    assert line != scatter
    assert scatter.count("o") == 4
    assert len(line.split("\n")) == 12


def test_ascii_terminal_has_only_ascii_characters():
    text = plots.terminal(_chart(), 60, 16, title="waves", ascii=True)
    assert text.isascii()
    assert "+---" in text and "|" in text and "o" in text
    assert len(text.split("\n")) == 16
    assert not plots.terminal(_chart(), 60, 16).isascii()


def test_non_finite_points_are_left_out():
    text = plots.terminal_scatter([0, 1, 2, 3], [1.0, float("nan"), float("inf"), 2.0], 30, 8)
    assert text.count("o") == 2


@pytest.mark.parametrize(("width", "height"), [(800, 600), (801, 333), (64, 50)])
def test_png_has_the_requested_pixel_size(width, height):
    assert _png_size(plots.png(_chart(), width, height, title="waves")) == (width, height)


def test_png_line_scatter_and_dpi():
    assert _png_size(plots.png_line(np.arange(5.0), np.arange(5.0) ** 2, 300, 200)) == (300, 200)
    assert _png_size(plots.png_scatter([1, 2, 3], [3, 1, 2], 300, 200, dpi=50)) == (300, 200)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: plots.terminal([], 40, 10), "non-empty list of series"),
    (lambda: plots.terminal([{"kind": "pie", "y": [1]}], 40, 10), "kind must be one of"),
    (lambda: plots.terminal([{"kind": "line"}], 40, 10), "y is required"),
    (lambda: plots.terminal_line([1, 2], [1, 2, 3], 40, 10), "x has 2 points and y has 3"),
    (lambda: plots.terminal_line([[1, 2]], [[1, 2]], 40, 10), "must be 1-d"),
    (lambda: plots.terminal_line([1], ["a"], 40, 10), "float array"),
    (lambda: plots.terminal_line([1], [float("nan")], 40, 10), "at least one finite point"),
    (lambda: plots.terminal_line([1], [1], 19, 10), "width must be an int from 20"),
    (lambda: plots.terminal_line([1], [1], 40, 501), "height must be an int from 8 to 500"),
    (lambda: plots.png_line([1], [1], 49, 100), "width must be an int from 50"),
    (lambda: plots.png_line([1], [1], 100, 100.5), "height must be an int"),
    (lambda: plots.png_line([1], [1], 100, 100, dpi=0), "dpi must be"),
    (lambda: plots.png_line([1], [1], 100, 100, ylim=[2, 1]), "low < high"),
])
def test_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_worker_starts_and_imports_plots_without_the_libraries():
    # Blocking the imports stands in for an interpreter that lacks them.
    code = ("import sys; sys.modules['plotext'] = None; sys.modules['matplotlib'] = None\n"
            "import pyfleet.worker, pyfleet.plots as p\n"
            "try:\n    p.terminal_line([1], [1], 40, 10)\nexcept ImportError as e:\n    print(e)\n"
            "try:\n    p.png_line([1], [1], 100, 100)\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(SRC)}, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert "pyfleet.plots needs plotext" in out
    assert "pyfleet.plots needs matplotlib" in out


def test_plots_through_a_worker_take_a_handle_as_data(shared_worker):
    w = shared_worker
    x = w.call("call", "numpy.linspace", [0.0, 1.0, 20], opts={"ret": "handle"})
    text = w.call("call", "pyfleet.plots.terminal_line", [x, x], {"width": 50, "height": 12})
    assert len(text.split("\n")) == 12
    image = w.call("call", "pyfleet.plots.png", [[{"kind": "scatter", "x": x, "y": x}]], {"width": 120, "height": 90})
    assert _png_size(image) == (120, 90)
    with pytest.raises(RemoteFailure, match="ValueError"):
        w.call("call", "pyfleet.plots.terminal_line", [x, [1, 2]], {"width": 50, "height": 12})
