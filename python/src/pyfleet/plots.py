"""Line and scatter charts of arrays, drawn in the worker.

`terminal` renders with plotext and returns text of exactly ``height`` lines of ``width``
characters each (no colour codes; with ``ascii=True`` only ASCII characters, for terminals
that cannot show box-drawing and block characters); `png` renders with matplotlib's Agg backend and returns
the bytes of a PNG image of exactly ``width`` x ``height`` pixels.

A chart is a list of series, each a dict: ``kind`` ("line" or "scatter"), ``y``, optionally
``x`` (default 0, 1, 2, ...) and ``label``. ``x`` and ``y`` may be anything NumPy turns into
a 1-d float array: lists, arrays, handles to arrays. Non-finite points are left out.

plotext and matplotlib are imported on first use, so a worker starts without them and only
a plot call fails, with an ImportError that names the missing package.
"""
from __future__ import annotations

import io
import threading
from typing import Any

__all__ = ["MAX_PNG", "MAX_TERMINAL", "MIN_PNG", "MIN_TERMINAL", "png", "png_line", "png_scatter", "terminal",
           "terminal_line", "terminal_scatter"]

MIN_TERMINAL = (20, 8)
MAX_TERMINAL = (1000, 500)
MIN_PNG = (50, 50)
MAX_PNG = (8000, 8000)
_KINDS = ("line", "scatter")
_SCATTER_MARKERS = ("o", "x", "+", "*", "#")
# plotext's frame characters and their ASCII stand-ins; any other non-ASCII character becomes "*".
_TO_ASCII = str.maketrans("─│┌┐└┘┤├┬┴┼", "-|+++++++++")

# plotext draws on one module-level figure: calls from several threads of a worker take turns.
_plotext_lock = threading.Lock()


def terminal(series: list, width: int = 80, height: int = 24, title: str | None = None,
             xlabel: str | None = None, ylabel: str | None = None, xlim: Any = None, ylim: Any = None,
             ascii: bool = False) -> str:
    """The chart as text: ``height`` lines of ``width`` characters, joined by newlines."""
    _check_size("terminal", width, height, MIN_TERMINAL, MAX_TERMINAL, "characters")
    data = _series(series)
    plt = _require("plotext")
    with _plotext_lock:
        # Not limited to the size of whatever terminal the worker's process thinks it has.
        plt.terminal.limit(False, False)
        fig = plt.figure
        fig.clear()
        fig.plot_size(width, height)
        scatter_count = 0
        for kind, label, x, y in data:
            if kind == "line":
                sig = fig.signal(x.tolist(), y.tolist(), marker="." if ascii else None).lines()
            else:
                marker = _SCATTER_MARKERS[scatter_count % len(_SCATTER_MARKERS)]
                scatter_count += 1
                sig = fig.signal(x.tolist(), y.tolist(), marker=marker)
            if label:
                sig.label(str(label))
            fig.draw(sig)
        if title:
            fig.title(str(title))
        if xlabel:
            fig.label(str(xlabel), axis="x")
        if ylabel:
            fig.label(str(ylabel), axis="y")
        if xlim is not None:
            fig.ruler("x").lim(*_limits("xlim", xlim))
        if ylim is not None:
            fig.ruler("y").lim(*_limits("ylim", ylim))
        text = plt.uncolorize(str(fig.build()))
        fig.clear()
    # The contract is the exact size: pad or cut whatever the library's layout gave.
    if ascii:
        text = "".join(c if ord(c) < 128 else "*" for c in text.translate(_TO_ASCII))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:width].ljust(width) for line in lines[:height]]
    lines += [" " * width] * (height - len(lines))
    return "\n".join(lines)


def png(series: list, width: int = 800, height: int = 600, dpi: int = 100, title: str | None = None,
        xlabel: str | None = None, ylabel: str | None = None, xlim: Any = None, ylim: Any = None) -> bytes:
    """The chart as a PNG image of ``width`` x ``height`` pixels."""
    _check_size("png", width, height, MIN_PNG, MAX_PNG, "pixels")
    if not isinstance(dpi, int) or isinstance(dpi, bool) or not 10 <= dpi <= 1000:
        raise ValueError(f"dpi must be an int from 10 to 1000, got {dpi!r}")
    data = _series(series)
    _require("matplotlib")
    # A Figure with its own Agg canvas: no pyplot, no global state, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, (kind, label, x, y) in enumerate(data):
        color = f"C{i % 10}"  # one colour per series, whatever its kind
        if kind == "line":
            ax.plot(x, y, label=label, color=color)
        else:
            ax.scatter(x, y, label=label, s=14, zorder=3, color=color)
    if title:
        ax.set_title(str(title))
    if xlabel:
        ax.set_xlabel(str(xlabel))
    if ylabel:
        ax.set_ylabel(str(ylabel))
    if xlim is not None:
        ax.set_xlim(*_limits("xlim", xlim))
    if ylim is not None:
        ax.set_ylim(*_limits("ylim", ylim))
    if any(label for _, label, _, _ in data):
        ax.legend()
    ax.grid(True, alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def terminal_line(x: Any, y: Any, width: int = 80, height: int = 24, **options: Any) -> str:
    return terminal([{"kind": "line", "x": x, "y": y}], width, height, **options)


def terminal_scatter(x: Any, y: Any, width: int = 80, height: int = 24, **options: Any) -> str:
    return terminal([{"kind": "scatter", "x": x, "y": y}], width, height, **options)


def png_line(x: Any, y: Any, width: int = 800, height: int = 600, **options: Any) -> bytes:
    return png([{"kind": "line", "x": x, "y": y}], width, height, **options)


def png_scatter(x: Any, y: Any, width: int = 800, height: int = 600, **options: Any) -> bytes:
    return png([{"kind": "scatter", "x": x, "y": y}], width, height, **options)


def _require(package: str) -> Any:
    try:
        return __import__(package)
    except ImportError as e:
        raise ImportError(f"pyfleet.plots needs {package} in the worker's interpreter "
                          f"(pip install {package}): {e}") from e


def _check_size(what: str, width: Any, height: Any, low: tuple, high: tuple, unit: str) -> None:
    for name, value, lo, hi in (("width", width, low[0], high[0]), ("height", height, low[1], high[1])):
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            raise ValueError(f"{what} plot {name} must be an int from {lo} to {hi} {unit}, got {value!r}")


def _limits(name: str, value: Any) -> tuple:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be two numbers (low, high), got {value!r}") from None
    if not lo < hi:
        raise ValueError(f"{name} must have low < high, got {value!r}")
    return lo, hi


def _series(series: Any) -> list:
    """Validated series as (kind, label, x, y) with finite float arrays."""
    import numpy as np

    if not isinstance(series, (list, tuple)):
        raise TypeError(f"a chart's series must be a list of dicts, got {type(series).__name__}")
    if not series:
        raise ValueError("a chart needs a non-empty list of series")
    out = []
    for i, s in enumerate(series):
        if not isinstance(s, dict):
            raise TypeError(f"series {i} must be a dict (kind, y, optional x and label), got {type(s).__name__}")
        kind = s.get("kind", "line")
        if kind not in _KINDS:
            raise ValueError(f"series {i}: kind must be one of {_KINDS}, got {kind!r}")
        if s.get("y") is None:
            raise ValueError(f"series {i}: y is required")
        y = _vector(np, s["y"], f"series {i}: y")
        x = np.arange(len(y), dtype=float) if s.get("x") is None else _vector(np, s["x"], f"series {i}: x")
        if len(x) != len(y):
            raise ValueError(f"series {i}: x has {len(x)} points and y has {len(y)}")
        keep = np.isfinite(x) & np.isfinite(y)
        label = s.get("label")
        out.append((kind, None if label is None else str(label), x[keep], y[keep]))
    if not any(len(y) for _, _, _, y in out):
        raise ValueError("a chart needs at least one finite point")
    return out


def _vector(np: Any, value: Any, what: str) -> Any:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what} must be numbers that NumPy can turn into a float array: {e}") from None
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-d, got shape {arr.shape}")
    return arr
