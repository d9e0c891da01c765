"""Charts of projections: the fan chart, scenario comparison, segments, shares and the
comparison of fitted growth-curve families.

Each function takes results (and an optional ``ax``), returns the Figure and never shows it.

Longer than 500 lines because the fan, segments and model-comparison charts share one layout of
labels, end markers and legends (the label placement that keeps figures from colliding); moving
a chart out would move that machinery with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._textfmt import money, pct
from ..compare import common_levels, comparison_table, comparison_year, model_name
from ..errors import ForecastError
from ..results import ScenarioResult, StatsScenarioResult
from .style import (
    ANCHOR,
    INK,
    MARKERS,
    MUTED,
    PROJECTION,
    chart_style,
    color,
    figure_and_axes,
    footnote,
    in_scenario_unit,
    interval_pairs,
    legend,
    money_axis,
    money_words,
    new_figure,
    percent_axis,
    plain,
    ruled_table,
    segment_colors,
    shorten,
    spread_labels,
    text_on,
    titles,
    year_axis,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

    from ..models import GrowthFit
    from ..models.select import FamilyComparison
    from ..scenario import Scenario
    from ..simulation import ScenarioSimulation

Result = ScenarioResult | StatsScenarioResult

__all__ = [
    "comparison_chart",
    "comparison_table",
    "fan_chart",
    "model_comparison_chart",
    "model_name",
    "segments_chart",
    "shares_chart",
]

MONEY_LABEL = "Market size (USD)"  # for USD; money_words() names the unit shown


# ------------------------------------------------------------------------------------------------
# Pieces shared by the charts
# ------------------------------------------------------------------------------------------------


def _history(ax: Axes, sc: Scenario, label: str = "Reported") -> None:
    hist = sc.history
    if hist is None:
        return
    ax.plot(
        hist.years,
        hist.values,
        "o",
        color=INK,
        markersize=7,
        zorder=5,
        label=plain(f"{label} ({int(hist.years[0])}–{int(hist.years[-1])})"),
        gid="history",
    )


def _anchors(ax: Axes, sc: Scenario, tint: str = ANCHOR, *, labels: bool = True) -> None:
    """Anchors as diamonds (hard filled, soft hollow with +/- one tolerance) and their labels."""
    for i, a in enumerate(sc.anchors):
        hard = a.kind == "hard"
        text = a.label or f"{money(a.value)}, {a.year}"
        yerr = None if hard or a.tolerance is None else [[a.value * a.tolerance]] * 2
        ax.errorbar(
            [a.year],
            [a.value],
            yerr=yerr,
            fmt="D",
            markersize=10,
            color=tint,
            markerfacecolor=tint if hard else "white",
            markeredgewidth=2,
            capsize=5,
            zorder=7,
            label=plain(f"{'Anchor' if hard else 'Soft anchor'}: {text}") if i == 0 else None,
            gid=f"anchor-{a.year}",
        )
        if labels:
            ax.annotate(
                plain(text),
                xy=(a.year, a.value),
                xytext=(-14, 14 if i % 2 == 0 else -22),
                textcoords="offset points",
                ha="right",
                va="bottom" if i % 2 == 0 else "top",
                fontsize=12,
                fontweight="bold",
                color=tint,
                zorder=8,
            )


def _band(
    ax: Axes,
    x: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    alpha: float,
    label: str,
    tint: str = PROJECTION,
) -> None:
    ax.fill_between(x, lo, hi, color=tint, alpha=alpha, linewidth=0, label=plain(label), gid="band")


SMOOTH_WINDOW = 5  # years: the band edges' Savitzky-Golay window (local quadratic)
SMOOTH_STEPS = 8  # points drawn per year between the smoothed yearly edges


def smooth_bands(
    x: np.ndarray, centre: np.ndarray, bands: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Interval bands as drawn: edges smoothed across years and interpolated between them.

    Quantiles of a finite number of draws wobble from year to year (most in the tails: each edge
    of a 95% band from 4,000 draws rests on 100 draws). For drawing only, each edge's distance
    from the centre line (on the log scale when every value is positive) is smoothed across years
    by a local quadratic over ``SMOOTH_WINDOW`` years (Savitzky-Golay; the first year, where the
    paths start, is kept), inner bands are kept inside outer ones, and the edges are drawn through
    a monotone cubic (PCHIP) at ``SMOOTH_STEPS`` points a year. The numbers written
    (projection.csv, summary.json, the report's tables) are the draws' quantiles, unsmoothed.

    Parameters
    ----------
    x, centre : arrays
        Years and the centre line (the point path) in those years.
    bands : sequence of (lo, hi) arrays
        Widest first.

    Returns
    -------
    The fine grid of years and each band's (lo, hi) on it.
    """
    x = np.asarray(x, dtype=float)
    centre = np.asarray(centre, dtype=float)
    pairs = [(np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)) for lo, hi in bands]
    values = [centre, *(v for p in pairs for v in p)]
    if len(x) < 4 or not all(np.isfinite(v).all() for v in values):
        return x, pairs
    fine = np.linspace(x[0], x[-1], (len(x) - 1) * SMOOTH_STEPS + 1)
    log = all((v > 0).all() for v in values)
    base = np.log(centre) if log else centre
    window = min(SMOOTH_WINDOW, len(x) if len(x) % 2 else len(x) - 1)

    def smoothed(edge: np.ndarray) -> np.ndarray:
        dist = (np.log(edge) if log else edge) - base
        out = savgol(dist, window, 2)
        out[0] = dist[0]
        return out

    dists: list[tuple[np.ndarray, np.ndarray]] = []
    for k, (lo, hi) in enumerate(pairs):
        d_lo, d_hi = np.minimum(smoothed(lo), 0.0), np.maximum(smoothed(hi), 0.0)
        if k:  # inside the band drawn before it
            d_lo, d_hi = np.maximum(d_lo, dists[-1][0]), np.minimum(d_hi, dists[-1][1])
        dists.append((d_lo, d_hi))
    centre_fine = np.interp(fine, x, base)  # the centre line is drawn straight between years
    out = []
    for d_lo, d_hi in dists:
        lo_f = centre_fine + pchip(x, d_lo, fine)
        hi_f = centre_fine + pchip(x, d_hi, fine)
        out.append((np.exp(lo_f), np.exp(hi_f)) if log else (lo_f, hi_f))
    return fine, out


def pchip(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The monotone piecewise cubic (PCHIP: Fritsch-Carlson slopes, one-sided three-point
    slopes at the ends) through ``(x, y)`` at ``at`` (within ``[x[0], x[-1]]``).

    ``scipy.interpolate.PchipInterpolator(x, y)(at)`` with the same arithmetic in the same
    order, equal to the bit (the tests hold it to that), written with numpy because importing
    scipy.interpolate costs a chart worker about 0.1 s.
    """
    x, y, at = (np.asarray(v, dtype=float) for v in (x, y, at))
    h = np.diff(x)
    m = np.diff(y) / h
    d = np.empty_like(y)
    if len(x) == 2:
        d[:] = m[0]
    else:
        flat = (np.sign(m[1:]) != np.sign(m[:-1])) | (m[1:] == 0) | (m[:-1] == 0)
        w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = (w1 / m[:-1] + w2 / m[1:]) / (w1 + w2)  # weighted harmonic mean, inverted
            d[1:-1] = np.where(flat, 0.0, 1.0 / mean)
        d[0] = _pchip_end(h[0], h[1], m[0], m[1])
        d[-1] = _pchip_end(h[-1], h[-2], m[-1], m[-2])
    # the cubic Hermite pieces as polynomials in (t - x[i]), highest power first
    t = (d[:-1] + d[1:] - 2 * m) / h
    c0, c1, c2, c3 = t / h, (m - d[:-1]) / h - t, d[:-1], y[:-1]
    i = np.clip(np.searchsorted(x, at, side="right") - 1, 0, len(x) - 2)
    s = at - x[i]
    out = 0.0 + c3[i]  # summed lowest power first, as scipy's evaluation does
    out = out + c2[i] * s
    z = s * s
    out = out + c1[i] * z
    out = out + c0[i] * (z * s)
    return np.asarray(out, dtype=float)


def _pchip_end(h0: float, h1: float, m0: float, m1: float) -> float:
    """PCHIP's slope at an end: the one-sided three-point estimate, kept to the sign of the
    end interval's slope and to three times its size where the slopes change sign."""
    d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > 3.0 * abs(m0):
        return 3.0 * m0
    return float(d)


def savgol(y: np.ndarray, window: int, order: int) -> np.ndarray:
    """Savitzky-Golay smoothing: each point the value at it of the least-squares polynomial of
    degree ``order`` through the ``window`` points centred on it; the first and last
    ``window // 2`` points from the polynomial through the first and last ``window`` points.

    What ``scipy.signal.savgol_filter(y, window, order, mode="interp")`` computes (the tests
    hold it to that), written with numpy because importing scipy.signal costs a chart about
    0.4 s, more than drawing it.
    """
    y = np.asarray(y, dtype=float)
    n, half = len(y), window // 2
    t = np.arange(half, half - window, -1, dtype=float)  # the window's offsets, reversed
    vander = t ** np.arange(order + 1).reshape(-1, 1)
    unit = np.zeros(order + 1)
    unit[0] = 1.0
    weights = np.linalg.lstsq(vander, unit, rcond=None)[0]  # the fit's value at the centre
    out = np.convolve(y, weights, mode="same")
    steps = np.arange(window, dtype=float)
    for start, lo, hi in ((0, 0, half), (n - window, n - half, n)):
        poly = np.polyfit(steps, y[start : start + window], order)
        out[lo:hi] = np.polyval(poly, np.arange(lo - start, hi - start, dtype=float))
    return out


def _level_alphas(n: int) -> list[float]:
    """Band opacities, widest band lightest."""
    return [0.14 + 0.14 * i for i in range(n)]


def _projection_shade(ax: Axes, start: float, horizon: float) -> None:
    """A light background over the projected years and the horizon line."""
    ax.axvspan(start, horizon, color="#F4F6F8", zorder=0, linewidth=0)
    ax.axvline(horizon, color=MUTED, linestyle=":", linewidth=1.4, zorder=1)
    ax.annotate(
        plain(f"Horizon {int(horizon)}"),
        xy=(horizon, 1),
        xycoords=("data", "axes fraction"),
        xytext=(-4, -4),
        textcoords="offset points",
        ha="right",
        va="top",
        fontsize=11,
        color=MUTED,
    )
    ax.annotate(
        "Projection",
        xy=(start, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -4),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=11,
        color=MUTED,
    )


def _end_label(ax: Axes, year: float, value: float, tint: str, text: str = "") -> Annotation:
    return ax.annotate(
        plain(text or money(value)),
        xy=(year, value),
        xytext=(8, 0),
        textcoords="offset points",
        ha="left",
        va="center",
        fontsize=12,
        fontweight="bold",
        color=tint,
        gid="end-label",
        zorder=9,
    )


def _source_line(sc: Scenario) -> str:
    parts = []
    if sc.history is not None and sc.history_source:
        parts.append(f"History: {shorten(sc.history_source, 120)}")
    for a in sc.anchors:
        if a.source:
            parts.append(f"{a.label or money(a.value)}: {shorten(a.source, 110)}")
    return ". ".join(parts)


def _finish_money_chart(ax: Axes, *, log: bool = False) -> None:
    money_axis(ax, log=log, label=money_words())
    if not log:
        ax.set_ylim(bottom=0)
    year_axis(ax)


# ------------------------------------------------------------------------------------------------
# Fan chart
# ------------------------------------------------------------------------------------------------


@in_scenario_unit
def fan_chart(
    result: Result,
    *,
    simulation: ScenarioSimulation | None = None,
    smooth: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """History, fitted curve, projection with shaded interval bands, anchors and the horizon.

    Parameters
    ----------
    result : ScenarioResult or StatsScenarioResult
        A scenario run (:func:`forecast.projection.run_scenario`).
    simulation : ScenarioSimulation, optional
        Another simulation of the same scenario (``forecast simulate``'s); when given, the bands
        are its quantile ranges of the total (50/80/90% for the default quantiles) and the line
        its median. By default the bands are the run's own intervals (its projection, read from
        the run's draws) and the line its point path.
    smooth : bool, optional
        Draw the edges of bands read from draws smoothed across years (:func:`smooth_bands`;
        True by default; the subtitle says so). Only the drawing is smoothed: every number
        written stays the draws' quantile. A statistical model's empirical intervals are drawn
        as they are.
    title : str, optional
        Replaces the chart's title (the scenario's title by default); the subtitle saying how
        the chart was drawn stays. ``ax.set_title(...)`` after drawing replaces both.
    ax : matplotlib Axes, optional
        Where to draw; a new 16:9 figure when None. In a grid of several axes the titles wrap
        to the axes' column and an outside legend moves inside the axes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with chart_style():
        fig, ax = figure_and_axes(ax)
        sc = result.scenario
        years = result.projection["year"].to_numpy(dtype=float)
        last = sc.last_history_year
        start = float(last) if last is not None else float(years[0])
        _projection_shade(ax, start, float(sc.horizon))
        if simulation is not None:
            line = _simulation_bands(ax, simulation, smooth)
        else:
            line = _projection_bands(ax, result, smooth)
        x, centre = _fitted_or_joined(ax, result, simulation, start, line.x, line.centre)
        ax.plot(x, centre, color=PROJECTION, linewidth=2.8, label=line.label, gid="projection")
        _end_label(ax, x[-1], float(centre[-1]), PROJECTION)
        _history(ax, sc)
        _anchors(ax, sc)
        titles(ax, title or sc.title, line.subtitle)
        _finish_money_chart(ax)
        ax.set_xlim(right=float(sc.horizon) + 0.9)
        legend(ax)
        footnote(ax, _source_line(sc))
    return fig


@dataclass(frozen=True)
class _FanLine:
    """The fan's centre line (years and values), its legend label and the chart's subtitle."""

    x: np.ndarray
    centre: np.ndarray
    label: str
    subtitle: str


def _simulation_bands(ax: Axes, simulation: ScenarioSimulation, smooth: bool) -> _FanLine:
    """Draw the simulation's quantile bands of the total; its median (or mean) is the line."""
    q = simulation.quantiles
    q = q[q["series"] == "total"].pivot(index="year", columns="quantile", values="value")
    x = q.index.to_numpy(dtype=float)
    pairs = interval_pairs(list(q.columns))
    centre = q[0.5].to_numpy() if 0.5 in q.columns else None
    if centre is None:
        m = simulation.mean
        centre = m[m["series"] == "total"].set_index("year").loc[q.index, "mean"].to_numpy()
    edges = [(q[lo].to_numpy(), q[hi].to_numpy()) for _, lo, hi in pairs]
    bx, drawn = smooth_bands(x, centre, edges) if smooth else (x, edges)
    for (level, _, _), (lo_d, hi_d), alpha in zip(
        pairs, drawn, _level_alphas(len(pairs)), strict=True
    ):
        _band(ax, bx, lo_d, hi_d, alpha, f"{level:g}% of draws")
    line_label = "Monte Carlo median" if 0.5 in q.columns else "Monte Carlo mean"
    r = simulation.result
    sub = (
        f"Monte Carlo: {r.valid:,} draws of {', '.join(simulation.spec.layers)}; bands "
        f"hold {', '.join(f'{lv:g}%' for lv, _, _ in reversed(pairs))} of the draws"
        + ("; edges smoothed for drawing" if smooth and pairs else "")
    )
    return _FanLine(x, centre, line_label, sub)


def _projection_bands(ax: Axes, result: Result, smooth: bool) -> _FanLine:
    """Draw the run's own prediction intervals; its point path is the line."""
    proj = result.projection
    x = proj["year"].to_numpy(dtype=float)
    levels = sorted({float(c[3:]) for c in proj.columns if c.startswith("lo-")}, reverse=True)
    levels = [lv for lv in levels if proj[f"lo-{lv:g}"].notna().any()]
    centre = proj["mean"].to_numpy()
    edges = [(proj[f"lo-{lv:g}"].to_numpy(), proj[f"hi-{lv:g}"].to_numpy()) for lv in levels]
    smooth = smooth and isinstance(result, ScenarioResult)
    bx, drawn = smooth_bands(x, centre, edges) if smooth else (x, edges)
    for level, (lo_d, hi_d), alpha in zip(levels, drawn, _level_alphas(len(levels)), strict=True):
        _band(ax, bx, lo_d, hi_d, alpha, f"{level:g}% prediction interval")
    return _FanLine(x, centre, "Projection", _projection_subtitle(result, levels, smooth))


def _projection_subtitle(result: Result, levels: list[float], smooth: bool) -> str:
    """How the run's intervals were made: the curve's draws, or a statistical model's errors."""
    sc = result.scenario
    model = model_name(result)
    shown = ", ".join(f"{lv:g}%" for lv in reversed(levels))
    if not isinstance(result, ScenarioResult):
        return (
            f"Statistical model ({model}) fitted to the history alone; {shown} intervals "
            "from rolling-origin errors; anchors are not used to calibrate it"
        )
    spec = result.simulation.spec
    how = (
        f"{shown} intervals from {sc.draws:,} draws of {', '.join(spec.layers)}"
        if levels and result.no_intervals is None
        else "no intervals"
    )
    to = " and ".join(
        w for w, present in (("the history", sc.history), ("anchors", sc.anchors)) if present
    )
    return f"{model.capitalize()} curve fitted to {to}; {how}" + (
        "; band edges smoothed for drawing" if smooth and levels else ""
    )


def _fitted_or_joined(
    ax: Axes,
    result: Result,
    simulation: ScenarioSimulation | None,
    start: float,
    x: np.ndarray,
    centre: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a growth curve's fit over the history; a statistical model's line instead starts
    at the last reported value. Returns the line to draw."""
    sc = result.scenario
    if isinstance(result, ScenarioResult):
        fit = simulation.fit if simulation is not None else result.fit
        if sc.history is not None:
            hx = np.linspace(float(sc.history.years[0]), start, 60)
            ax.plot(
                hx,
                fit.predict(hx),
                color=PROJECTION,
                linestyle="--",
                linewidth=1.6,
                label=plain(f"Fitted {fit.model.family} curve"),
                gid="fitted",
            )
    elif sc.history is not None:  # join the last reported value to the first forecast
        x = np.concatenate([[start], x])
        centre = np.concatenate([[float(sc.history.values[-1])], centre])
    return x, centre


# ------------------------------------------------------------------------------------------------
# Scenario comparison
# ------------------------------------------------------------------------------------------------


def _table_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    levels = sorted(float(c[3:]) for c in table.columns if str(c).startswith("lo-"))
    level = levels[0] if levels else None
    from_years = {y for y in table["from_year"] if y is not None and not pd.isna(y)}
    head = ["Scenario", "Projection", f"{level:g}% interval" if level else "Interval"]
    head.append(f"CAGR from {int(min(from_years))}" if len(from_years) == 1 else "CAGR")
    body = []
    for row in table.to_dict("records"):
        lo = row.get(f"lo-{level:g}", math.nan) if level else math.nan
        hi = row.get(f"hi-{level:g}", math.nan) if level else math.nan
        interval = (
            f"{money(lo)} – {money(hi)}" if math.isfinite(lo) and math.isfinite(hi) else "n/a"
        )
        body.append(
            [shorten(str(row["label"]), 28), money(row["mean"]), interval, pct(row["cagr"])]
        )
    return [plain(h) for h in head], [[plain(c) for c in r] for r in body]


@in_scenario_unit
def comparison_chart(
    results: Sequence[Result],
    *,
    year: int | None = None,
    title: str | None = None,
    table: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Several scenarios on one chart (point projection and narrowest interval band each), with a
    table of their values in ``year``. Scenarios are named by their ``label`` (their name when
    they have none).

    Parameters
    ----------
    results : sequence of ScenarioResult or StatsScenarioResult
        One or more scenario runs, in the order they should appear (bear, base, bull).
    year : int, optional
        The year of the table; by default the latest anchor year all scenarios share, else the
        earliest horizon.
    title : str, optional
        The chart's title (by default "N scenarios compared: market size to <horizon>").
    table : bool, optional
        Draw the table of values in ``year`` under the chart (True by default; a report that
        shows the same table as a table passes False, so each table appears once).
    ax : matplotlib Axes, optional
        Where to draw the chart; the table then goes under it. A new 16:9 figure (chart above,
        table below) when None.
    """
    if not results:
        raise ForecastError("comparison_chart: results must hold at least one scenario; got none")
    year = comparison_year(results) if year is None else int(year)
    values = comparison_table(results, year)
    shared = common_levels(results)
    level = shared[0] if shared else None  # one band level for every scenario and the table
    with chart_style():
        fig, ax, table_ax = _comparison_axes(ax, table, len(results))
        horizon = max(r.scenario.horizon for r in results)
        ends = _scenario_lines(ax, results, level)
        ax.axvline(year, color=MUTED, linestyle=":", linewidth=1.4, zorder=1)
        band = (
            f"; shaded: {level:g}% intervals (edges smoothed for drawing)"
            if level is not None
            else ""
        )
        titles(
            ax,
            title or f"{len(results)} scenarios compared: market size to {horizon}",
            f"Point projections{band}; diamonds mark each scenario's anchors (hollow: soft)",
        )
        _finish_money_chart(ax)
        ax.set_xlim(right=horizon + 0.9)
        legend(ax)
        if not table:
            footnote(ax, "Each scenario's history and anchors are cited in its scenario file.")
            spread_labels(ax, ends)
            return fig
        _values_table(ax, table_ax, values, year)
        footnote(
            table_ax if table_ax is not None else ax,
            "Each scenario's history and anchors are cited in its scenario file.",
        )
        spread_labels(ax, ends)
    return fig


def _comparison_axes(ax: Axes | None, table: bool, n: int) -> tuple[Figure, Axes, Axes | None]:
    """The chart's axes, and an axes under it for the table of ``n`` scenarios when the chart
    has a figure of its own."""
    if ax is None and table:
        fig = new_figure()
        grid = fig.add_gridspec(2, 1, height_ratios=(5.0, 0.3 * (n + 1)))
        return fig, fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0])
    fig, ax = figure_and_axes(ax)
    return fig, ax, None


def _scenario_lines(ax: Axes, results: Sequence[Result], level: float | None) -> list[Annotation]:
    """Each scenario's history (once per distinct history), band, point line and anchors; the
    end labels of the lines."""
    seen: list[tuple[tuple[float, ...], tuple[float, ...]]] = []
    ends: list[Annotation] = []
    for i, r in enumerate(results):
        sc, proj, tint = r.scenario, r.projection, color(i)
        x = proj["year"].to_numpy(dtype=float)
        y = proj["mean"].to_numpy()
        hist = sc.history
        if hist is not None:
            key = (tuple(hist.years.tolist()), tuple(hist.values.tolist()))
            if key not in seen:
                seen.append(key)
                _history(ax, sc, "Reported" if len(seen) == 1 else f"Reported ({sc.display_name})")
            if x[0] > hist.years[-1]:
                x = np.concatenate([[hist.years[-1]], x])
                y = np.concatenate([[hist.values[-1]], y])
        if level is not None:
            _scenario_band(ax, r, level, tint)
        ax.plot(
            x,
            y,
            color=tint,
            linewidth=2.6,
            marker=MARKERS[i % len(MARKERS)],
            markevery=[len(x) - 1],
            markersize=8,
            label=plain(f"{shorten(sc.display_name, 40)} ({model_name(r)})"),
            gid="scenario",
            zorder=4 + 0.01 * i,
        )
        ends.append(_end_label(ax, x[-1], float(y[-1]), tint))
        for a in sc.anchors:
            ax.plot(
                [a.year],
                [a.value],
                "D",
                markersize=9,
                color=tint,
                markerfacecolor=tint if a.kind == "hard" else "white",
                markeredgewidth=2,
                zorder=7,
                gid=f"anchor-{a.year}",
            )
    return ends


def _scenario_band(ax: Axes, r: Result, level: float, tint: str) -> None:
    """One scenario's ``level``% interval, its edges smoothed when read from draws."""
    proj = r.projection
    bx = proj["year"].to_numpy(dtype=float)
    edge = (proj[f"lo-{level:g}"].to_numpy(), proj[f"hi-{level:g}"].to_numpy())
    if isinstance(r, ScenarioResult):
        bx, (edge,) = smooth_bands(bx, proj["mean"].to_numpy(), [edge])
    ax.fill_between(
        bx,
        *edge,
        color=tint,
        alpha=0.12,
        linewidth=0,
        gid="band",
    )


def _values_table(ax: Axes, table_ax: Axes | None, values: pd.DataFrame, year: int) -> None:
    """The table of each scenario's values in ``year``: in its own axes, else under the chart."""
    head, body = _table_cells(values)
    widths = [0.4, 0.16, 0.26, 0.18]
    host = table_ax if table_ax is not None else ax
    if table_ax is not None:
        table_ax.axis("off")
        table_ax.set_title(plain(f"Values in {year}"), loc="left", fontsize=14, pad=6)
    tab = ruled_table(
        host,
        body,
        head,
        bounds=(0.0, 0.0, 1.0, 1.0) if table_ax else (0.0, -0.5, 1.0, 0.3),
        fontsize=12,
        pad=0.03,
        gid="values-table",
        widths=widths,
    )
    for (row, col), cell in tab.get_celld().items():
        if row > 0 and col == 0:  # each scenario's name in its line's colour
            cell.get_text().set_color(color(row - 1))
            cell.get_text().set_fontweight("bold")


# ------------------------------------------------------------------------------------------------
# Segments and shares
# ------------------------------------------------------------------------------------------------


def _segment_frame(result: Result) -> tuple[pd.DataFrame, str]:
    seg = result.segments
    if seg is None or seg.empty:
        raise ForecastError(
            f"{result.scenario.name}: segments: the segment charts need a scenario with "
            "[[segments]]; got none"
        )
    name_col = next(c for c in seg.columns if c not in ("scenario", "share", "year"))
    return seg, name_col


def _segment_paths(result: Result) -> tuple[np.ndarray, list[str], np.ndarray, np.ndarray, str]:
    """Years, segment names (scenario order), values (S x T) and shares (S x T)."""
    seg, name_col = _segment_frame(result)
    names = list(dict.fromkeys(seg[name_col]))
    values = seg.pivot(index=name_col, columns="year", values="mean").loc[names]
    shares = seg.pivot(index=name_col, columns="year", values="share").loc[names]
    years = values.columns.to_numpy(dtype=float)
    return years, names, values.to_numpy(), shares.to_numpy(), name_col


def _shares_note(sc: Scenario) -> str:
    cited = sum(1 for s in sc.segments if s.source)
    return (
        f"Shares are scenario assumptions, not data; {cited} of {len(sc.segments)} cite their "
        f"derivation in {sc.path.name}."
    )


@in_scenario_unit
def segments_chart(result: Result, *, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Stacked area of the segments' point projections, which sum to the total (``title``
    replaces the scenario's title)."""
    years, names, values, _shares, dim = _segment_paths(result)
    sc = result.scenario
    with chart_style():
        fig, ax = figure_and_axes(ax)
        h = int(years[-1])
        labels = [
            plain(f"{n}: {money(v)} in {h}") for n, v in zip(names, values[:, -1], strict=True)
        ]
        _stack(ax, years, values, labels, names, "segment")
        total = values.sum(axis=0)
        ax.plot(years, total, color=INK, linewidth=1.6, linestyle="--", label="Total", gid="total")
        end = _end_label(ax, years[-1], float(total[-1]), INK)
        end.set_horizontalalignment("right")  # inside the axes: the legend sits on the right
        end.set_verticalalignment("bottom")
        end.xyann = (-4, 6)
        titles(
            ax,
            title or f"{sc.title}",
            f"Market size by {dim} (point projection, {int(years[0])}–{h}); segments sum to the "
            "total",
        )
        _finish_money_chart(ax)
        ax.set_xlim(years[0], years[-1])
        ax.set_ylim(top=float(total.max()) * 1.12)
        _stack_legend(ax, sc)
    return fig


def _stack(
    ax: Axes, years: np.ndarray, rows: np.ndarray, labels: list[str], names: Sequence[str], gid: str
) -> None:
    """Stacked areas, one per segment, in the segments' colours."""
    polys = ax.stackplot(
        years, rows, labels=labels, colors=segment_colors(names), alpha=0.85,
        edgecolor="white", linewidth=0.8,
    )  # fmt: skip
    for p in polys:
        p.set_gid(gid)


def _stack_legend(ax: Axes, sc: Scenario) -> None:
    """Legend right of the chart, top to bottom in the order of the stack; the shares' note."""
    handles, texts = ax.get_legend_handles_labels()
    legend(ax, outside=True, handles=handles[::-1], labels=texts[::-1])
    footnote(ax, _shares_note(sc), width=125)


@in_scenario_unit
def shares_chart(result: Result, *, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Each segment's share of the total over time (stacked to 100%)."""
    years, names, _values, shares, dim = _segment_paths(result)
    sc = result.scenario
    with chart_style():
        fig, ax = figure_and_axes(ax)
        y0, y1 = int(years[0]), int(years[-1])
        labels = [
            plain(f"{n}: {pct(s[0])} → {pct(s[-1])}") for n, s in zip(names, shares, strict=True)
        ]
        _stack(ax, years, shares, labels, names, "share")
        bottom = np.zeros(len(years))
        for s, tint in zip(
            shares, segment_colors(names), strict=True
        ):  # the share printed inside each band where it is tall enough
            for j in (0, len(years) - 1):
                if s[j] >= 0.04:
                    ax.text(
                        years[j] + (0.15 if j == 0 else -0.15),
                        bottom[j] + s[j] / 2,
                        pct(s[j]),
                        ha="left" if j == 0 else "right",
                        va="center",
                        fontsize=11,
                        color=text_on(tint),
                        fontweight="bold",
                    )
            bottom += s
        titles(
            ax,
            title or f"Share of each {dim} in the total, {y0}–{y1}",
            shorten(sc.title, 120),
        )
        percent_axis(ax, label="Share of the total market")
        ax.set_ylim(0, 1)
        ax.set_xlim(years[0], years[-1])
        year_axis(ax)
        _stack_legend(ax, sc)
    return fig


# ------------------------------------------------------------------------------------------------
# Model comparison
# ------------------------------------------------------------------------------------------------


def model_comparison_chart(
    history_years: Sequence[float] | np.ndarray,
    history_values: Sequence[float] | np.ndarray,
    fits: Sequence[GrowthFit],
    *,
    horizon: int | None = None,
    comparison: FamilyComparison | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Each fitted growth-curve family against the history, with its out-of-sample error and
    AICc in the legend.

    Parameters
    ----------
    history_years, history_values : array-like
        The history the families were fitted to.
    fits : sequence of GrowthFit
        One fit per family (:meth:`forecast.models.GrowthModel.fit`).
    horizon : int, optional
        Extend the curves (dashed) to this year to show where the families part ways.
    comparison : FamilyComparison, optional
        :func:`forecast.models.select.compare_families` on the same history: orders the legend
        by out-of-sample error and names the best family only when the evidence separates it.
        Without it the legend is ordered by AICc and no family is called best.
    title : str, optional
        Replaces the chart's title.
    ax : matplotlib Axes, optional
    """
    if not fits:
        raise ForecastError("model_comparison_chart: fits must hold at least one fit; got none")
    hy = np.asarray(history_years, dtype=float)
    hv = np.asarray(history_values, dtype=float)
    if not hy.size and not any(f.anchors for f in fits):
        raise ForecastError(
            "model_comparison_chart: needs a history or fits with anchors to place the curves; "
            "got no history year and no anchor"
        )
    with chart_style():
        fig, ax = figure_and_axes(ax)
        lo = float(hy[0]) if hy.size else min(float(a.year) for f in fits for a in f.anchors)
        hi = float(hy[-1]) if hy.size else lo
        anchors = {(a.year, a.value, a.label) for f in fits for a in f.anchors}
        end = max([hi, *(y for y, _, _ in anchors)] + ([float(horizon)] if horizon else []))
        _family_curves(ax, fits, comparison, lo, hi, end)
        if hy.size:
            ax.plot(hy, hv, "o", color=INK, markersize=8, zorder=6, label="Reported", gid="history")
        _fit_anchors(ax, anchors)
        if end > hi:
            ax.axvspan(hi, end, color="#F4F6F8", zorder=0, linewidth=0)
        titles(
            ax,
            title or f"Which growth curve fits the history? {len(fits)} families compared",
            _models_subtitle(hy.size, fits, comparison, hi, end),
        )
        _finish_money_chart(ax)
        ax.set_xlim(lo - 0.5, end + 0.5)
        legend(ax, title=plain("Family"))
        footnote(ax, _models_notes(hy.size, fits, comparison))
    return fig


def _family_order(fits: Sequence[GrowthFit], comparison: FamilyComparison | None) -> list[int]:
    """Indices of ``fits``: by out-of-sample rank when compared, then by AICc (n/a last)."""
    rank_of = {s.family: k for k, s in enumerate(comparison.scores)} if comparison else {}
    return sorted(
        range(len(fits)),
        key=lambda i: (
            rank_of.get(fits[i].model.family, len(rank_of)),
            not math.isfinite(fits[i].aicc),
            fits[i].aicc,
        ),
    )


def _family_label(f: GrowthFit, comparison: FamilyComparison | None, best_aicc: float) -> str:
    """A family's legend entry: its out-of-sample error, its AICc and whether it won."""
    scored = {s.family: s for s in comparison.scores} if comparison is not None else {}
    aicc = f.aicc
    parts = []
    sc_f = scored.get(f.model.family)
    if sc_f is not None and sc_f.errors:
        err = (
            f"{100 * sc_f.mean_error:.1f}%"
            if comparison is not None and comparison.scale == "log"
            else f"{sc_f.mean_error:.3g}"
        )
        parts.append(f"error {err} over {len(sc_f.errors)}")
    parts.append(
        f"AICc {aicc:.1f} (Δ {aicc - best_aicc:.1f})" if math.isfinite(aicc) else "AICc n/a"
    )
    won = comparison is not None and comparison.best == f.model.family
    return f"{f.model.family}: {', '.join(parts)}" + (" (best)" if won else "")


def _family_curves(
    ax: Axes,
    fits: Sequence[GrowthFit],
    comparison: FamilyComparison | None,
    lo: float,
    hi: float,
    end: float,
) -> None:
    """Each family's curve over the history, carried on dashed to ``end``, in legend order."""
    finite = [f.aicc for f in fits if math.isfinite(f.aicc)]
    best = min(finite) if finite else float("nan")
    for rank, i in enumerate(_family_order(fits, comparison)):
        f = fits[i]
        text = _family_label(f, comparison, best)
        tint = color(rank)
        x_fit = np.linspace(lo, hi, 80)
        ax.plot(x_fit, f.predict(x_fit), color=tint, linewidth=2.4, label=plain(text), gid="fit")
        if end > hi:
            x_ext = np.linspace(hi, end, 80)
            ax.plot(x_ext, f.predict(x_ext), color=tint, linewidth=1.6, linestyle="--")


def _fit_anchors(ax: Axes, anchors: set[tuple[int, float, str]]) -> None:
    """The fits' anchors as diamonds, labelled and stacked so the labels do not overlap."""
    for k, (y, v, lab) in enumerate(sorted(anchors)):
        ax.plot([y], [v], "D", color=ANCHOR, markersize=10, zorder=7, gid=f"anchor-{y}")
        ax.annotate(
            plain(lab or f"{money(v)}, {y}"),
            xy=(y, v),
            xytext=(-12, 12 + 16 * k),
            textcoords="offset points",
            ha="right",
            fontsize=12,
            fontweight="bold",
            color=ANCHOR,
        )


def _models_subtitle(
    points: int,
    fits: Sequence[GrowthFit],
    comparison: FamilyComparison | None,
    hi: float,
    end: float,
) -> str:
    """What the model chart shows: the errors, which family is best and the dashed extension."""
    error = {f.model.error for f in fits}
    sub = f"Curves fitted to {points} reported values ({', '.join(sorted(error))} errors); "
    if comparison is not None:
        sub += (
            f"best out of sample: {comparison.best}"
            if comparison.best
            else "none is called best out of sample"
        )
    else:
        sub += "lower AICc is better (no out-of-sample comparison given)"
    if end > hi:
        sub += f"; dashed: the curves carried on to {int(end)}"
    return sub


def _models_notes(
    points: int, fits: Sequence[GrowthFit], comparison: FamilyComparison | None
) -> str:
    """The model chart's footnote: how the error was measured and when AICc says little."""
    notes = []
    if comparison is not None:
        notes.append(
            "Error: mean one-year-ahead miss, each family refitted on the years before each "
            f"of the last ones; {comparison.reason}."
        )
    if any(not math.isfinite(f.aicc) for f in fits):
        notes.append("AICc n/a: too few points for the family's parameters.")
    if 0 < points < 8:
        notes.append(f"Only {points} points: AICc differences are indicative.")
    return " ".join(notes)
