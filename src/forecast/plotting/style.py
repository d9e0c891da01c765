"""The house chart style: palette, slide-size figures, money axes, titles and footnotes.

Everything here is applied locally: :func:`chart_style` is a context manager around
``matplotlib.rc_context``, so importing or using the charts never changes the caller's global
``rcParams``. matplotlib is imported inside the functions (the plotting package is a leaf that
must not make ``import forecast`` pull in matplotlib).

Text taken from scenario and data files is plain text: :func:`plain` escapes ``$`` so that
"$1.57T and $1.35T" is not read as mathtext.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .. import units
from .._textfmt import money, pct

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter

# Okabe & Ito (2008), the colour-blind safe palette, in the order series take them (yellow last:
# it is faint on white).
OKABE_ITO: Final = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "black": "#000000",
    "yellow": "#F0E442",
}
SERIES: Final = tuple(OKABE_ITO.values())
MARKERS: Final = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "h")
INK: Final = "#222222"  # text and history points
MUTED: Final = "#6B6B6B"  # subtitles, footnotes, reference lines
FAINT: Final = "#B0B0B0"  # unattributed figures, grid
PROJECTION: Final = OKABE_ITO["blue"]
ANCHOR: Final = OKABE_ITO["vermillion"]

SLIDE: Final = (40 / 3, 7.5)  # inches: 16:9, the size of a widescreen slide (2000 x 1125 px)
DPI: Final = 150

RC: Final[dict[str, Any]] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # bundled with matplotlib: same glyphs everywhere
    "font.size": 13,
    "axes.titlesize": 18,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 13,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#888888",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # set below (cycler is imported lazily)
    "grid.color": "#E3E3E3",
    "grid.linewidth": 0.8,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.fontsize": 12,
    "legend.frameon": False,
    "lines.linewidth": 2.2,
    "text.color": INK,
    "text.usetex": False,
    "svg.hashsalt": "forecast",  # fixed ids in SVG output: identical bytes on rerun
    "svg.fonttype": "path",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


def _rc() -> dict[str, Any]:
    from cycler import cycler

    return {**RC, "axes.prop_cycle": cycler(color=list(SERIES))}


@contextlib.contextmanager
def chart_style() -> Iterator[None]:
    """Apply the house style for the duration of a ``with`` block (never globally)."""
    import matplotlib as mpl

    with mpl.rc_context(_rc()):  # type: ignore[arg-type]
        yield


def color(i: int) -> str:
    """The ``i``-th series colour (cycling)."""
    return SERIES[i % len(SERIES)]


OTHER: Final = "#BBBBBB"  # a catch-all segment ("Other AI")


def segment_colors(names: Sequence[str]) -> list[str]:
    """Series colours for segments, a neutral grey for a catch-all named "Other ..."."""
    out, i = [], 0
    for name in names:
        if str(name).strip().lower().startswith(("other", "rest")):
            out.append(OTHER)
        else:
            out.append(color(i))
            i += 1
    return out


def text_on(background: str) -> str:
    """White or ink, whichever reads better on ``background`` (a hex colour)."""
    r, g, b = (int(background.lstrip("#")[k : k + 2], 16) / 255 for k in (0, 2, 4))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return INK if lum > 0.45 else "white"


def plain(text: object) -> str:
    """Text shown literally: dollar signs escaped so matplotlib does not parse mathtext."""
    return str(text).replace("\\$", "$").replace("$", r"\$")


_Chart = TypeVar("_Chart", bound=Callable[..., Any])


def _unit_of(first: Any) -> units.Unit | None:
    """The unit of a chart's first argument: a result, a simulation or a sensitivity (its
    scenario's unit), or a list of results (the first one's); None for anything else."""
    if isinstance(first, list | tuple) and first:
        first = first[0]
    sc = getattr(first, "scenario", None)
    unit = getattr(sc, "unit", None)
    return unit if isinstance(unit, units.Unit) else None


def in_scenario_unit(chart: _Chart) -> _Chart:
    """Draw ``chart`` with money in its first argument's scenario unit (:func:`_unit_of`);
    a chart of plain arrays keeps the unit already shown."""

    @functools.wraps(chart)
    def draw(*args: Any, **kwargs: Any) -> Any:
        unit = _unit_of(args[0]) if args else None
        if unit is None and "result" in kwargs:  # estimates_chart(frame, result=...)
            unit = _unit_of(kwargs["result"])
        if unit is None:
            return chart(*args, **kwargs)
        with units.shown_in(unit):
            return chart(*args, **kwargs)

    return draw  # type: ignore[return-value]


def money_words(what: str = "Market size", extra: str = "") -> str:
    """An axis label naming the currency money is shown in: ``Market size (USD)``,
    ``Market size in 2030 (EUR, 2020 prices)``, ``Market size (USD, log scale)``."""
    inner = units.current().axis_label + (f", {extra}" if extra else "")
    return f"{what} ({inner})"


def money_label(value_bn: float) -> str:
    """``$1.57T`` as chart text (escaped)."""
    return plain(money(value_bn))


def pct_label(x: float, digits: int = 1) -> str:
    """``72.8%`` as chart text."""
    return pct(x, digits)


def new_figure(size: tuple[float, float] = SLIDE, **kwargs: Any) -> Figure:
    """A slide-size figure outside pyplot's registry (nothing to close, nothing leaks)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=DPI, layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


def figure_and_axes(ax: Axes | None) -> tuple[Figure, Axes]:
    """The caller's axes and its figure, or a new slide-size figure with one axes."""
    if ax is not None:
        return root_figure(ax), ax
    fig = new_figure()
    return fig, fig.add_subplot()


def root_figure(ax: Axes) -> Figure:
    """The top-level figure holding ``ax`` (through any subfigures)."""
    from matplotlib.figure import Figure

    fig: Any = ax.figure
    while not isinstance(fig, Figure):
        fig = fig.figure
    return fig


def _money_tick(value: float, _pos: object = None) -> str:
    if not math.isfinite(value):
        return ""
    if abs(value) < 1e-9:
        return plain(f"{units.current().symbol}0")
    return money_label(value)


def money_formatter() -> Formatter:
    """Tick labels as analysts write money: $200B, $1.5T, €412M (values in the unit shown when
    the formatter is made)."""
    from matplotlib.ticker import FuncFormatter

    unit = units.current()

    def tick(value: float, pos: object = None) -> str:  # ticks are drawn after the chart
        with units.shown_in(unit):
            return _money_tick(value, pos)

    return FuncFormatter(tick)


def money_axis(ax: Axes, axis: str = "y", *, log: bool = False, label: str = "") -> None:
    """Format an axis of money (in the unit shown) as $200B / $1.5T, linear from zero or
    logarithmic."""
    from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter

    target = ax.yaxis if axis == "y" else ax.xaxis
    if log:
        (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
        target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        target.set_minor_formatter(NullFormatter())
    else:
        target.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(money_formatter())
    if label:
        (ax.set_ylabel if axis == "y" else ax.set_xlabel)(plain(label))


def percent_axis(ax: Axes, axis: str = "y", *, label: str = "") -> None:
    """Format an axis holding fractions (0.25) as percentages (25%)."""
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))
    if label:
        (ax.set_ylabel if axis == "y" else ax.set_xlabel)(label)


def year_axis(ax: Axes, label: str = "Year") -> None:
    """Whole years on the x axis."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    ax.set_xlabel(label)


def _width_share(ax: Axes) -> float:
    """The share of the figure's width that ``ax``'s grid cell spans: 1 for a chart's own
    figure (and for axes placed by hand), 0.5 for either axes of a 1x2 grid."""
    spec = ax.get_subplotspec()
    share = 1.0
    if spec is not None:
        grid = spec.get_gridspec()
        given: Any = grid.get_width_ratios()
        ratios = [float(r) for r in given] if given is not None else [1.0] * grid.ncols
        share = sum(ratios[c] for c in spec.colspan) / sum(ratios)
    root = root_figure(ax)
    if ax.figure is not root and root.bbox.width > 0:  # a subfigure's share of the figure
        share *= ax.figure.bbox.width / root.bbox.width
    return share


def ruled_table(
    ax: Axes,
    body: Sequence[Sequence[str]],
    header: Sequence[str],
    *,
    bounds: tuple[float, float, float, float],
    fontsize: float,
    pad: float,
    gid: str,
    widths: Sequence[float] | None = None,
) -> Any:
    """A table in the house style on ``ax``: text left-aligned, a light rule under each row, the
    header in bold, placed in ``bounds`` (axes fractions: x, y, width, height). Returns the
    matplotlib Table."""
    from matplotlib.transforms import Bbox

    tab = ax.table(
        cellText=body,
        colLabels=header,
        colWidths=widths,
        cellLoc="left",
        colLoc="left",
        bbox=Bbox.from_bounds(*bounds),
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(fontsize)
    tab.set_gid(gid)
    for (row, _col), cell in tab.get_celld().items():
        cell.set_edgecolor("#DDDDDD")
        cell.visible_edges = "B"
        cell.PAD = pad
        if row == 0:
            cell.get_text().set_fontweight("bold")
    return tab


def titles(ax: Axes, title: str, subtitle: str = "") -> None:
    """A bold title saying what the chart shows and a grey subtitle saying how, left-aligned
    above the axes (both plain text).

    The title is the axes' own (``loc="left"``), so a chart's ``title=`` argument replaces it,
    and so does a caller's ``ax.set_title("...")`` at any ``loc``: the chart's title and
    subtitle then give way (a title cleared with ``ax.set_title("")`` keeps the subtitle).
    Both are wrapped to the width of the axes' grid cell (the figure's width for a chart's own
    figure, half of it in a 1x2 grid). The subtitle is left out of the layout's width sums: a
    subtitle wider than the axes would otherwise make constrained layout shrink the axes to
    nothing (the title above it keeps the vertical room)."""
    fig = root_figure(ax)
    share = _width_share(ax)
    width_in = fig.get_figwidth() * share
    sub = wrap(subtitle, max(40, int(width_in * 72 * 0.9 / (0.52 * 12.5))))
    lines = sub.count("\n") + 1 if subtitle else 0
    own = ax.set_title(
        plain(wrap(title, max(20, round(80 * share)))), loc="left", pad=12 + 18 * lines
    )
    note = None
    if subtitle:
        note = ax.annotate(
            plain(sub),
            xy=(0, 1),
            xycoords="axes fraction",
            xytext=(0, 10),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=12.5,
            color=MUTED,
            gid="subtitle",
        )
        note.set_in_layout(False)
    _give_way(ax, own, note)


def _give_way(ax: Axes, own: Any, note: Any) -> None:
    """Hide the chart's title block when the caller sets a title of their own: another text in
    the chart's title (``loc="left"``) hides the subtitle; a title at ``loc="center"`` or
    ``"right"`` also clears the chart's title, so the two never overlap."""
    mine = own.get_text()

    def changed(artist: Any) -> None:
        text = artist.get_text()
        if not text or (artist is own and text == mine):
            return
        if artist is not own:
            own.set_text("")
        if note is not None:
            note.set_visible(False)

    for t in (own, ax.title, getattr(ax, "_right_title", None)):
        if t is not None:
            t.add_callback(changed)


def footnote(ax: Axes, text: str, *, width: int = 150) -> None:
    """A small grey source line under the x-axis label, left-aligned with the axes, wrapped at
    ``width`` characters (shrink it for charts narrower than the slide; in a grid of several
    axes it shrinks with the axes' share of the figure's width)."""
    if not text:
        return
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    width = max(30, round(width * _width_share(ax)))
    lines = [wrap(part, width) for part in text.split("\n")]
    # a fixed offset below the axes (tick labels, x label, gaps), not one read off the drawn
    # x label: the layout then does not depend on an earlier draw and output bytes are stable
    drop = 8.0
    if ax.axison:
        rc = mpl.rcParams
        tick = FontProperties(size=rc["xtick.labelsize"]).get_size_in_points()
        label = FontProperties(size=rc["axes.labelsize"]).get_size_in_points()
        drop += rc["xtick.major.size"] + rc["xtick.major.pad"] + 1.25 * tick
        if ax.get_xlabel():
            drop += rc["axes.labelpad"] + 1.25 * label
    ax.annotate(
        plain("\n".join(lines)),
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -drop),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=10,
        color=MUTED,
        gid="footnote",
    )


def shorten(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def wrap(text: str, width: int = 150) -> str:
    """``text`` broken into lines of at most ``width`` characters."""
    import textwrap

    return "\n".join(textwrap.wrap(" ".join(text.split()), width))


def legend(ax: Axes, *, outside: bool = False, **kwargs: Any) -> None:
    """A frameless legend, inside the best corner or outside on the right.

    ``outside`` holds only where the layout makes room for it: the axes fills the last column
    of its grid in a figure with a layout engine (a chart's own figure). Elsewhere, as in the
    left cell of a caller's 1x2 grid or a figure without a layout engine, the legend goes inside
    the axes, so it never covers a neighbour or leaves the figure."""
    if outside and _room_on_right(ax):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)
    else:
        ax.legend(loc=kwargs.pop("loc", "upper left"), **kwargs)


def _room_on_right(ax: Axes) -> bool:
    spec = ax.get_subplotspec()
    if spec is None or spec.colspan.stop != spec.get_gridspec().ncols:
        return False
    return root_figure(ax).get_layout_engine() is not None


def interval_pairs(quantiles: Sequence[float]) -> list[tuple[float, float, float]]:
    """``[(level, lo, hi), ...]`` for symmetric quantile pairs, widest first: 0.05/0.95 -> 90."""
    qs = sorted(set(quantiles))
    out = []
    for q in qs:
        if q < 0.5 and any(math.isclose(1 - q, other) for other in qs):
            out.append((round(100 * (1 - 2 * q), 6), q, 1 - q))
    return out


def spread_labels(ax: Axes, labels: Sequence[Any], *, gap: float = 15.0, dx: float = 8.0) -> None:
    """Move end labels (annotations at data points, text offset in points) apart vertically so
    no two are closer than ``gap`` points, each as near its point as that allows; the figure is
    laid out once to know where the points land."""
    if len(labels) < 2:
        return
    root_figure(ax).draw_without_rendering()
    ys = [float(ax.transData.transform(a.xy)[1]) * 72 / root_figure(ax).dpi for a in labels]
    order = sorted(range(len(ys)), key=lambda i: (ys[i], i))
    want = [ys[i] for i in order]
    pos = list(want)
    for _ in range(3):  # push up, then centre each cluster on its points, keep the gaps
        for k in range(1, len(pos)):
            pos[k] = max(pos[k], pos[k - 1] + gap)
        shift = sum(p - w for p, w in zip(pos, want, strict=True)) / len(pos)
        pos = [p - shift for p in pos]
    for k in range(1, len(pos)):
        pos[k] = max(pos[k], pos[k - 1] + gap)
    for k, i in enumerate(order):
        labels[i].xyann = (dx, pos[k] - want[k])
