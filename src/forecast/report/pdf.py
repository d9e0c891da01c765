"""``summary.pdf``: the one-page summary on one A4 landscape page, drawn by matplotlib's PDF
backend (no browser, no other PDF library).

The chart is drawn as vectors into the page (the caller's drawing function, e.g.
``lambda ax: fan_chart(result, ax=ax)``), without its own title and source line, which the page
states once. Fonts are embedded as TrueType subsets (``pdf.fonttype`` 42, DejaVu Sans, which
matplotlib ships), so the page looks the same everywhere and its text can be searched and copied.
The file is byte-identical for identical content: no creation date, fixed producer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..errors import visible
from .document import OnePage

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

A4_LANDSCAPE = (297 / 25.4, 210 / 25.4)  # inches
MARGIN = 0.45  # inches


def _lines(text: str, width: int, most: int) -> str:
    """``text`` wrapped at ``width`` characters, at most ``most`` lines (the last one cut)."""
    import textwrap

    lines = textwrap.wrap(" ".join(visible(text).split()), width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines)


def page_figure(page: OnePage, draw: Callable[[Axes], Any]) -> Figure:
    """The summary page as a matplotlib Figure (A4 landscape), the chart drawn by ``draw``."""
    from matplotlib.figure import Figure

    from ..plotting.style import INK, MUTED, chart_style, plain, ruled_table

    w, h = A4_LANDSCAPE
    with chart_style():
        fig = Figure(figsize=(w, h), dpi=72)
        y = h - MARGIN  # the next free line, inches from the bottom

        def text(s: str, size: float, **kw: Any) -> None:
            nonlocal y
            n = s.count("\n") + 1
            fig.text(MARGIN / w, y / h, plain(s), fontsize=size, va="top", ha="left", **kw)
            y -= n * size * 1.32 / 72 + 0.06

        text(_lines(page.title, 74, 2), 17, fontweight="bold", color=INK)
        text(_lines(page.subtitle, 150, 1), 10.5, color=MUTED)
        y -= 0.04
        text(_lines(page.headline, 118, 3), 12.5, color=INK, gid="headline")
        footer_h = 0.95
        rows = len(page.table.rows) + 1
        table_h = 0.26 * rows
        chart_top = y - 0.62  # room for the chart's subtitle
        chart_bottom = MARGIN + footer_h + table_h + 0.62  # room for ticks and the x label
        left, right = MARGIN + 0.95, w - MARGIN - 0.25
        ax = fig.add_axes(
            ((left / w), chart_bottom / h, (right - left) / w, (chart_top - chart_bottom) / h)
        )
        draw(ax)
        ax.set_title("")
        for t in list(ax.texts):
            if t.get_gid() == "footnote":
                t.remove()
        tab_ax = fig.add_axes(
            (MARGIN / w, (MARGIN + footer_h) / h, (w - 2 * MARGIN) / w, table_h / h)
        )
        tab_ax.axis("off")
        ruled_table(
            tab_ax,
            [[plain(visible(c.text)) for c in row] for row in page.table.rows],
            [plain(visible(x)) for x in page.table.header],
            bounds=(0.0, 0.0, 1.0, 1.0),
            fontsize=10.5,
            pad=0.02,
            gid="key-years",
        )
        y = MARGIN + footer_h - 0.12
        text(_lines(page.sources, 190, 3), 8.5, color=MUTED, gid="sources")
        text(_lines(page.provenance, 190, 2), 8.0, color=MUTED, gid="provenance")
    return fig


def pdf_bytes(fig: Figure, *, title: str = "") -> bytes:
    """A one-page PDF of ``fig``: TrueType fonts embedded, no dates (identical bytes on rerun)."""
    import matplotlib as mpl

    from ..plotting.style import chart_style

    buf = io.BytesIO()
    metadata = {
        "Title": visible(title),
        "Creator": f"forecast {__version__}",
        "Producer": f"forecast (matplotlib {mpl.__version__})",
        "CreationDate": None,
        "ModDate": None,
    }
    with chart_style(), mpl.rc_context({"pdf.fonttype": 42, "pdf.compression": 6}):
        fig.savefig(buf, format="pdf", metadata=metadata, facecolor="white")
    return buf.getvalue()


def summary_pdf(page: OnePage, draw: Callable[[Axes], Any]) -> bytes:
    """``summary.pdf``: :func:`page_figure` as one A4 landscape page."""
    return pdf_bytes(page_figure(page, draw), title=page.title)
