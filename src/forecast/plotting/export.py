"""Figures to bytes, identical on every rerun (same figure, same matplotlib version).

PNG carries no timestamp and SVG is written with a fixed hash salt (the ids of clip paths and
glyphs) and no date, so a report rebuilt from the same results finds its images unchanged.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Literal

from ..errors import ForecastError
from .style import DPI, chart_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Format = Literal["png", "svg"]
FORMATS: tuple[Format, ...] = ("png", "svg")


def figure_bytes(fig: Figure, fmt: Format = "png", *, dpi: float = DPI) -> bytes:
    """Render ``fig`` as PNG or SVG bytes, deterministically; the figure stays open.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    fmt : {"png", "svg"}
    dpi : float, optional
        Resolution of PNG output (150 by default: 2000 x 1125 pixels for a 16:9 slide figure).

    Returns
    -------
    bytes
    """
    return figure_files(fig, (fmt,), dpi=dpi)[fmt]


def figure_files(
    fig: Figure, formats: tuple[Format, ...] = FORMATS, *, dpi: float = DPI
) -> dict[Format, bytes]:
    """Render ``fig`` in each of ``formats``, laid out once for all of them; the figure stays
    open. The bytes are those :func:`figure_bytes` gives for each format.

    Returns
    -------
    dict
        The bytes by format, in the order asked.
    """
    for fmt in formats:
        if fmt not in FORMATS:
            raise ForecastError(f"figure_bytes: fmt must be 'png' or 'svg'; got {fmt!r}")
    import matplotlib as mpl

    out: dict[Format, bytes] = {}
    with chart_style(), mpl.rc_context({"svg.hashsalt": "forecast", "svg.fonttype": "path"}):
        engine = fig.get_layout_engine()
        if engine is None:
            return {fmt: _save(fig, fmt, dpi) for fmt in formats}
        _settle(fig)
        fig.set_layout_engine("none")  # save the settled layout as it is, ...
        for ax in fig.axes:  # ... on a grid of 1e-6 of the figure, free of rounding noise
            x0, y0, w, h = (round(v, 6) for v in ax.get_position().bounds)
            ax.set_position((x0, y0, w, h))
        try:
            for fmt in formats:
                out[fmt] = _save(fig, fmt, dpi)
        finally:
            fig.set_layout_engine(engine)
    return out


def _save(fig: Figure, fmt: Format, dpi: float) -> bytes:
    import matplotlib as mpl

    metadata: dict[str, str | None]
    if fmt == "svg":
        metadata = {"Date": None, "Creator": f"forecast (matplotlib {mpl.__version__})"}
    else:
        metadata = {"Software": f"forecast (matplotlib {mpl.__version__})"}
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata, facecolor="white")
    return buf.getvalue()


def _positions(fig: Figure) -> list[tuple[float, ...]]:
    return [tuple(ax.get_position().bounds) for ax in fig.axes]


def _settle(fig: Figure, rounds: int = 12) -> None:
    """Lay the figure out until the axes stop moving.

    Constrained layout measures text placed in data coordinates at the axes' current positions,
    so each layout starts from the last one; repeating it reaches the same fixed point from a
    fresh figure and from one drawn before, which is what makes the bytes repeatable. Each round
    runs the layout engine alone (what a draw would run first), not a whole draw of every artist.
    """
    engine = fig.get_layout_engine()
    assert engine is not None, "only a figure with a layout engine settles"
    before = _positions(fig)
    for _ in range(rounds):
        engine.execute(fig)
        now = _positions(fig)
        if all(
            max(abs(a - b) for a, b in zip(p, q, strict=True)) < 1e-9
            for p, q in zip(now, before, strict=True)
        ):
            return
        before = now
