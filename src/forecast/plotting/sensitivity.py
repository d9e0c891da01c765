"""Charts of uncertainty: tornado and spider charts of a scenario's assumptions, and the
simulated distribution of the market size in one year with the anchor's probability on it.

Longer than 500 lines because each chart is drawn in small named steps (one per layer: bars,
values, medians line, histogram, headline) and the three share the inputs' labels and values in
their units; a module per chart would import those back.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._textfmt import g, money, pct
from ..errors import ForecastError, message
from ..models import GrowthModel
from .style import (
    ANCHOR,
    INK,
    MARKERS,
    MUTED,
    OKABE_ITO,
    PROJECTION,
    chart_style,
    color,
    figure_and_axes,
    footnote,
    in_scenario_unit,
    legend,
    money_axis,
    money_words,
    percent_axis,
    plain,
    titles,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..scenario import Scenario
    from ..simulation import ScenarioSensitivity, ScenarioSimulation
    from ..types import Anchor

__all__ = ["distribution_chart", "input_label", "input_value", "spider_chart", "tornado_chart"]

LOW = OKABE_ITO["sky"]  # an input at its low percentile
HIGH = OKABE_ITO["orange"]  # ... at its high percentile


def input_label(name: str) -> str:
    """An assumption's name in words: ``anchor_2030`` -> ``2030 value (anchor)``."""
    if name == "base":
        return "Base value (last reported year)"
    if name == "saturation":
        return "Saturation level"
    if name.startswith("anchor_"):
        return f"{name[7:]} value (anchor)"
    if name.startswith("share_"):
        return f"{name[6:]} share"
    return name


def input_value(name: str, value: float, sc: Scenario | None = None) -> str:
    """An assumption's value in its unit: money, a share or rate as a percentage, a year."""
    if not math.isfinite(value):
        return "n/a"
    if name in ("base", "saturation") or name.startswith("anchor_"):
        return money(value)
    if name.startswith("share_"):
        return pct(value)
    if sc is not None and isinstance(sc.model, GrowthModel):
        fam = sc.model.spec
        if name in fam.params:
            unit = fam.units[fam.params.index(name)]
            if unit == "money":
                return money(value)
            if unit == "money_per_year":
                return f"{money(value)}/yr"
            if unit == "rate":
                return pct(value)
            if unit == "year":
                return f"{value:.1f}"
    return g(value)


def _sens_footnote(sens: ScenarioSensitivity) -> str:
    return (
        f"Scenario {sens.scenario.name}: curve refitted through each input combination; "
        "inputs and their distributions are listed in the scenario's [assumptions]."
    )


# ------------------------------------------------------------------------------------------------
# Tornado
# ------------------------------------------------------------------------------------------------


@in_scenario_unit
def tornado_chart(
    sens: ScenarioSensitivity, *, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """One bar per uncertain assumption, largest swing on top: the market size in the metric
    year with that input at its 10th and 90th percentile, the others at their medians.

    Parameters
    ----------
    sens : ScenarioSensitivity
        From :func:`forecast.simulation.sensitivity_scenario`.
    ax : matplotlib Axes, optional
    """
    t = sens.tornado.reset_index(drop=True)
    if t.empty:
        raise ForecastError(
            "tornado_chart: the tornado table must hold at least one input; got none"
        )
    sc, year = sens.scenario, sens.year
    base = float(t["output_at_medians"].iloc[0])
    with chart_style():
        fig, ax = figure_and_axes(ax)
        n = len(t)
        ys = np.arange(n)[::-1]  # the first row (largest swing) on top
        span = _tornado_span(t, base)
        ticks = [
            _tornado_row(ax, y, row, base, span, sc, first=y == ys[0])
            for y, row in zip(ys, t.itertuples(), strict=True)
        ]
        _medians_line(ax, base, n)
        ax.set_yticks(ys, ticks)
        ax.set_ylim(-0.6, n - 0.05)
        ax.set_xlim(base - 1.3 * span, base + 1.3 * span)
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        money_axis(ax, "x", label=money_words(f"Market size in {year}"))
        titles(
            ax,
            title
            or f"What moves the {year} market size most: "
            f"{input_label(str(t['input'].iloc[0])).lower()}",
            "Each bar moves one assumption from its 10th to its 90th percentile, the others at "
            "their medians (range under each name)",
        )
        legend(ax, loc="lower right")
        footnote(ax, _sens_footnote(sens))
    return fig


def _tornado_span(t: pd.DataFrame, base: float) -> float:
    """The widest swing from the medians' value (a tenth of it, or 1, when there is none)."""
    span = np.nanmax(np.abs(t[["output_at_p10", "output_at_p90"]].to_numpy() - base))
    return float(span) if np.isfinite(span) and span > 0 else max(abs(base) * 0.1, 1.0)


def _tornado_row(
    ax: Axes, y: float, row: Any, base: float, span: float, sc: Scenario, *, first: bool
) -> str:
    """Draw one input's bars (or why there are none) with their values; return its tick label."""
    name = str(row.input)
    lo_in, hi_in = (
        input_value(name, row.input_p10, sc),
        input_value(name, row.input_p90, sc),
    )
    tick = plain(f"{input_label(name)}\n{lo_in} to {hi_in}")
    if bool(row.contradictory):
        ax.text(
            base,
            y,
            "  P10 or P90 contradicts the other inputs (no curve)",
            va="center",
            ha="left",
            fontsize=11,
            color=ANCHOR,
        )
        return tick
    for out, tint, label in (
        (float(row.output_at_p10), LOW, "Input at its 10th percentile"),
        (float(row.output_at_p90), HIGH, "Input at its 90th percentile"),
    ):
        ax.barh(
            y,
            out - base,
            left=base,
            height=0.62,
            color=tint,
            label=label if first else None,
            gid="tornado-bar",
        )
    if row.swing <= 1e-9 * max(abs(base), 1.0):
        ax.text(
            base + 0.02 * span,
            y,
            "no effect on the total",
            va="center",
            ha="left",
            fontsize=11,
            color=MUTED,
        )
        return tick
    _bar_end_values(ax, y, row, base)
    return tick


def _bar_end_values(ax: Axes, y: float, row: Any, base: float) -> None:
    """The value at each end of an input's bars, outside the bar."""
    for out in (float(row.output_at_p10), float(row.output_at_p90)):
        right = out >= base
        ax.annotate(
            plain(money(out)),
            xy=(out, y),
            xytext=(6 if right else -6, 0),
            textcoords="offset points",
            ha="left" if right else "right",
            va="center",
            fontsize=11.5,
            color=INK,
        )


def _medians_line(ax: Axes, base: float, n: int) -> None:
    """The vertical line at the value with every input at its median, labelled above the bars."""
    ax.axvline(base, color=INK, linewidth=1.2, zorder=3)
    ax.annotate(
        plain(f"All inputs at their medians: {money(base)}"),
        xy=(base, n - 0.55),
        xytext=(0, 0),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=11.5,
        color=INK,
        bbox={"boxstyle": "square,pad=0.2", "facecolor": "white", "edgecolor": "none"},
    )


# ------------------------------------------------------------------------------------------------
# Spider
# ------------------------------------------------------------------------------------------------


@in_scenario_unit
def spider_chart(
    sens: ScenarioSensitivity, *, title: str | None = None, ax: Axes | None = None
) -> Figure:
    """The market size in the metric year as each assumption moves through its percentiles,
    the others at their medians; flat lines are assumptions the total does not depend on."""
    s = sens.spider
    if s.empty:
        raise ForecastError("spider_chart: the spider table must hold at least one input; got none")
    sc, year = sens.scenario, sens.year
    order = list(dict.fromkeys(sens.tornado["input"])) if not sens.tornado.empty else []
    order += [n for n in dict.fromkeys(s["input"]) if n not in order]
    with chart_style():
        fig, ax = figure_and_axes(ax)
        flat = []
        for i, name in enumerate(order):
            rows = s[s["input"] == name].sort_values("percentile")
            out = rows["output"].to_numpy(dtype=float)
            spread = np.nanmax(out) - np.nanmin(out) if np.isfinite(out).any() else 0.0
            is_flat = spread <= 1e-9 * max(np.nanmax(np.abs(out)), 1.0)
            if is_flat:
                flat.append(input_label(name))
            lo, hi = rows["input_value"].iloc[0], rows["input_value"].iloc[-1]
            label = (
                f"{input_label(name)} ({input_value(name, lo, sc)} to {input_value(name, hi, sc)})"
                + (": no effect" if is_flat else "")
            )
            ax.plot(
                rows["percentile"],
                out,
                color=color(i),
                marker=MARKERS[i % len(MARKERS)],
                markersize=8,
                linewidth=2.4,
                linestyle=":" if is_flat else "-",
                label=plain(label),
                gid="spider",
            )
        base = float(sens.tornado["output_at_medians"].iloc[0]) if not sens.tornado.empty else None
        if base is not None:
            ax.axhline(
                base,
                color=MUTED,
                linewidth=1.0,
                linestyle="--",
                zorder=1,
                label=plain(f"All inputs at their medians: {money(base)}"),
            )
        pcts = sorted(s["percentile"].unique())
        ax.set_xticks(pcts, [f"P{p:g}" for p in pcts])
        ax.set_xlabel("Percentile of the assumption (the others at their medians)")
        money_axis(ax, label=money_words(f"Market size in {year}"))
        titles(
            ax,
            title or f"How the {year} market size responds to each assumption",
            "One line per uncertain assumption, moved through its percentiles"
            + (f"; flat (no effect on the total): {', '.join(flat)}" if flat else ""),
        )
        legend(ax, outside=True, title="Assumption (P5 to P95)")
        footnote(ax, _sens_footnote(sens))
    return fig


# ------------------------------------------------------------------------------------------------
# Distribution of the value in one year
# ------------------------------------------------------------------------------------------------


def available_years(simulation: ScenarioSimulation) -> dict[int, np.ndarray]:
    """Years whose simulated draws are kept: anchor years and the metric year."""
    r = simulation.result
    out: dict[int, np.ndarray] = dict(getattr(r, "anchor_draws", {}) or {})
    if r.metric.size and r.metric_year not in out:
        out[int(r.metric_year)] = r.metric
    return out


def _default_year(simulation: ScenarioSimulation, draws: dict[int, np.ndarray]) -> int:
    for a in simulation.scenario.anchors:
        if a.year in draws:
            return a.year
    if simulation.result.metric.size:
        return int(simulation.result.metric_year)
    raise ForecastError(
        f"{simulation.scenario.name}: distribution_chart needs the draws of an anchor year or "
        "of the metric year; got neither"
    )


@in_scenario_unit
def distribution_chart(
    simulation: ScenarioSimulation,
    *,
    year: int | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Histogram of the simulated market size in ``year`` with the anchor marked and
    P(value >= anchor) printed on it.

    Parameters
    ----------
    simulation : ScenarioSimulation
        From :func:`forecast.simulation.simulate_scenario`.
    year : int, optional
        An anchor year or the metric year (the years whose draws are kept); by default the first
        anchor year with draws, else the metric year.
    title : str, optional
        Replaces the chart's title.
    ax : matplotlib Axes, optional
    """
    year, x = _year_draws(simulation, year)
    sc, r = simulation.scenario, simulation.result
    anchors = [a for a in sc.anchors if a.year == year]
    with chart_style():
        fig, ax = figure_and_axes(ax)
        lo, hi = _histogram_range(x, anchors)
        share = _histogram(ax, x, lo, hi, anchors[0].value if anchors else None)
        med = float(np.median(x))
        p10, p90 = (float(v) for v in np.quantile(x, [0.1, 0.9]))
        _median_and_anchor_lines(ax, med, float(share.max()), anchors)
        _headline(ax, _headline_lines(simulation.anchors, year, x, anchors, med, p10, p90), anchors)
        money_axis(ax, "x", label=money_words(f"Market size in {year}"))
        percent_axis(ax, label="Share of draws")
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, share.max() * 1.6 if share.max() > 0 else 1)
        what = f" against the {money(anchors[0].value)} anchor" if anchors else ""
        titles(
            ax,
            title or f"Simulated market size in {year}{what}",
            f"{r.valid:,} Monte Carlo draws ({simulation.spec.sampler}) of "
            f"{', '.join(simulation.spec.layers)}; median {money(med)}, 80% between "
            f"{money(p10)} and {money(p90)}",
        )
        legend(ax, loc="upper left")
        footnote(
            ax,
            f"Scenario {sc.name}; seed {simulation.spec.seed}. The x-axis shows 99.6% of draws; "
            "the rest sit in the end bins.",
        )
    return fig


def _year_draws(simulation: ScenarioSimulation, year: int | None) -> tuple[int, np.ndarray]:
    """The chart's year (by default the first anchor year with draws) and its finite draws."""
    draws_by_year = available_years(simulation)
    year = _default_year(simulation, draws_by_year) if year is None else int(year)
    if year not in draws_by_year:
        kept = ", ".join(str(y) for y in sorted(draws_by_year)) or "none"
        raise ForecastError(
            message(
                "distribution_chart",
                f"year must be one whose draws are kept (anchor years and the metric year: {kept})",
                year,
            )
        )
    x = np.asarray(draws_by_year[year], dtype=float)
    return year, x[np.isfinite(x)]


def _histogram_range(x: np.ndarray, anchors: list[Anchor]) -> tuple[float, float]:
    """The x-axis range: 99.6% of the draws, widened to show every anchor."""
    lo, hi = np.quantile(x, [0.002, 0.998])
    for a in anchors:
        lo, hi = min(lo, a.value * 0.97), max(hi, a.value * 1.03)
    if hi <= lo:
        lo, hi = lo - 0.5 * max(abs(lo), 1.0), hi + 0.5 * max(abs(hi), 1.0)
    return lo, hi


def _histogram(
    ax: Axes, x: np.ndarray, lo: float, hi: float, threshold: float | None
) -> np.ndarray:
    """Draw the share of draws in 60 bins, those at or above ``threshold`` in their own colour;
    return the shares."""
    bins = np.linspace(lo, hi, 61)
    counts, edges = np.histogram(np.clip(x, lo, hi), bins=bins)
    share = counts / max(len(x), 1)
    above = edges[:-1] >= threshold if threshold is not None else np.zeros(len(counts), bool)
    for mask, tint, label in (
        (~above, PROJECTION, "Simulated draws" if threshold is None else "Draws below"),
        (above, HIGH, "Draws at or above"),
    ):
        if mask.any():
            ax.bar(
                edges[:-1][mask],
                share[mask],
                width=np.diff(edges)[mask],
                align="edge",
                color=tint,
                alpha=0.8,
                edgecolor="white",
                linewidth=0.4,
                label=plain(label if threshold is None else f"{label} {money(threshold)}"),
                gid="histogram",
            )
    return share


def _median_and_anchor_lines(ax: Axes, med: float, top: float, anchors: list[Anchor]) -> None:
    """The dashed median line and a labelled line at each anchor."""
    ax.axvline(med, color=INK, linestyle="--", linewidth=1.4, zorder=4)
    ax.annotate(
        plain(f"Median {money(med)}"),
        xy=(med, top * 1.2),
        xytext=(4, 0),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=11.5,
        color=INK,
    )
    for i, a in enumerate(anchors):
        ax.axvline(a.value, color=ANCHOR, linewidth=2.4, zorder=5, gid=f"anchor-{a.year}")
        ax.annotate(
            plain(a.label or f"{money(a.value)}, {a.year}"),
            xy=(a.value, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-6, -6 - 20 * i),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=12,
            fontweight="bold",
            color=ANCHOR,
        )


def _headline_lines(
    table: pd.DataFrame,
    year: int,
    x: np.ndarray,
    anchors: list[Anchor],
    med: float,
    p10: float,
    p90: float,
) -> tuple[str, str]:
    """The headline and its detail: the anchor's probability, else the median and 80% range."""
    if anchors:
        a = anchors[0]
        p, se = _probability(table, a.year, a.value, x)
        detail = f"Monte Carlo s.e. ± {pct(se)}" if se is not None else "no s.e. (p at 0 or 1)"
        return f"P(≥ {money(a.value)} in {year}) = {pct(p)}", f"{detail}; {len(x):,} draws"
    return (
        f"Median {money(med)} in {year}",
        f"80% of {len(x):,} draws between {money(p10)} and {money(p90)}",
    )


def _headline(ax: Axes, lines: tuple[str, str], anchors: list[Anchor]) -> None:
    """The headline in large type at the top right, its detail under it."""
    ax.text(
        0.985,
        0.90,
        plain(lines[0]),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=20,
        fontweight="bold",
        color=ANCHOR if anchors else INK,
        gid="probability",
    )
    ax.text(
        0.985,
        0.82,
        plain(lines[1]),
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=12,
        color=MUTED,
    )


def _probability(
    table: pd.DataFrame, year: int, value: float, draws: np.ndarray
) -> tuple[float, float | None]:
    """P(value >= anchor) and its Monte Carlo s.e. from the simulation's anchor table, else from
    the draws."""
    row = table[(table["year"] == year) & np.isclose(table["value_usd_bn"], value)]
    if not row.empty:
        se = row["mc_se"].iloc[0]
        return float(row["probability"].iloc[0]), None if pd.isna(se) else float(se)
    p = float(np.mean(draws >= value))
    n = len(draws)
    se_v = math.sqrt(p * (1 - p) / n) if n >= 30 and 0 < p < 1 else None
    return p, se_v
