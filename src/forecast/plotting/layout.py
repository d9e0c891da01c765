"""Where a chart's text lands: the bounding boxes of its titles, labels, annotations, tick labels,
legends and tables, and the pairs that collide or leave the figure.

:func:`collisions` is what the tests hold every chart to; charts use :func:`text_boxes` to move a
label out of the way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox


@dataclass(frozen=True)
class Box:
    """One piece of text (or a legend or table, as a whole) and where it is drawn (pixels)."""

    name: str
    box: Bbox
    group: str = ""  # boxes of one group (the tick labels of one axis) may touch


def _visible(artist: Any) -> bool:
    return bool(artist.get_visible()) and bool(str(artist.get_text()).strip())


def _inside(value: float, lo: float, hi: float) -> bool:
    lo, hi = min(lo, hi), max(lo, hi)
    span = hi - lo
    return lo - 1e-9 * span <= value <= hi + 1e-9 * span


def text_boxes(fig: Figure) -> list[Box]:
    """Every visible text of ``fig`` with its window extent, after a draw: figure texts, each
    axes' titles, axis labels, tick labels in view and texts; legends and tables as one box."""
    from .export import _settle

    if fig.get_layout_engine() is not None:
        _settle(fig)  # the layout figure_bytes saves
    fig.draw_without_rendering()
    renderer = fig._get_renderer()  # type: ignore[attr-defined]
    out: list[Box] = []
    for i, t in enumerate(fig.texts):
        if _visible(t):
            out.append(Box(f"figure text {i} {t.get_text()[:40]!r}", t.get_window_extent(renderer)))
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        tag = f"axes {k}"
        left: Any = getattr(ax, "_left_title", None)  # the title loc="left" sets
        titles: list[tuple[str, Any]] = [("title", ax.title), ("left title", left)]
        for loc, t in titles:
            if t is not None and _visible(t):
                out.append(Box(f"{tag} {loc} {t.get_text()[:40]!r}", t.get_window_extent(renderer)))
        if ax.axison:
            for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
                if _visible(axis.label):
                    out.append(
                        Box(f"{tag} {axis.axis_name} label", axis.label.get_window_extent(renderer))
                    )
                xy = 0 if axis is ax.xaxis else 1
                for t in axis.get_ticklabels():
                    if _visible(t) and _inside(float(t.get_position()[xy]), *lim):
                        out.append(
                            Box(
                                f"{tag} {axis.axis_name} tick {t.get_text()!r}",
                                t.get_window_extent(renderer),
                                group=f"{tag} {axis.axis_name} ticks",
                            )
                        )
        for t in ax.texts:
            if _visible(t):
                name = f"{tag} text {t.get_gid() or ''} {t.get_text()[:40]!r}"
                out.append(Box(name, t.get_window_extent(renderer)))
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            out.append(Box(f"{tag} legend", leg.get_window_extent(renderer)))
        for tab in ax.tables:
            out.append(Box(f"{tag} table", tab.get_window_extent(renderer)))
    return out


def collisions(fig: Figure, *, tolerance: float = 1.0) -> list[str]:
    """Pairs of texts (legends and tables as wholes) whose boxes overlap by more than
    ``tolerance`` pixels each way, and texts reaching outside the figure; empty when the layout
    is clean."""
    boxes = text_boxes(fig)
    problems = []
    fw, fh = fig.bbox.width, fig.bbox.height
    for b in boxes:
        bb = b.box
        if bb.x0 < -tolerance or bb.y0 < -tolerance or bb.x1 > fw + tolerance:
            problems.append(f"{b.name} leaves the figure ({bb.x0:.0f}, {bb.y0:.0f}, {bb.x1:.0f})")
        elif bb.y1 > fh + tolerance:
            problems.append(f"{b.name} leaves the figure at the top ({bb.y1:.0f} > {fh:.0f})")
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if a.group and a.group == b.group:
                continue
            w = min(a.box.x1, b.box.x1) - max(a.box.x0, b.box.x0)
            h = min(a.box.y1, b.box.y1) - max(a.box.y0, b.box.y0)
            if w > tolerance and h > tolerance:
                problems.append(f"{a.name} overlaps {b.name} ({w:.0f} x {h:.0f} px)")
    return problems
