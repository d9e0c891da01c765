"""Where a claim sits among the published estimates: every figure of one definition by publisher
and edition, against a scenario's projection."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._textfmt import money
from ..audit.evidence import DEFAULT_ESTIMATES, estimates_file_label
from ..audit.record import definition_label
from ..errors import ForecastError
from ..results import ScenarioResult, StatsScenarioResult
from ..uncertainty.propagate import curve_anchor
from .style import (
    ANCHOR,
    FAINT,
    INK,
    MARKERS,
    PROJECTION,
    chart_style,
    color,
    figure_and_axes,
    footnote,
    in_scenario_unit,
    legend,
    money_axis,
    money_words,
    plain,
    shorten,
    titles,
    year_axis,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["estimates_chart"]

REQUIRED = ("publisher", "year", "value_usd_bn")
REPORTED_KINDS = frozenset({"actual", "estimate"})
DISTINCT_PUBLISHERS = 7  # publishers with a colour of their own; the rest share grey


def _attributed(frame: pd.DataFrame) -> pd.Series:
    if "attributed" in frame.columns:
        col = frame["attributed"]
        if col.dtype == bool:
            return col
        return col.astype(str).str.strip().str.lower().isin({"true", "1", "yes"})
    return ~frame["publisher"].astype(str).str.lower().str.startswith("unattributed")


def _select(estimates: pd.DataFrame, definition: str | None, region: str | None) -> pd.DataFrame:
    missing = [c for c in REQUIRED if c not in estimates.columns]
    if missing:
        raise ForecastError(
            f"estimates_chart: estimates must have the columns {', '.join(REQUIRED)}; got no "
            f"{', '.join(repr(c) for c in missing)}"
        )
    frame = estimates.copy()
    for col, want in (("definition", definition), ("region", region)):
        if want is None:
            continue
        if col not in frame.columns:
            raise ForecastError(
                f"estimates_chart: {col}= needs a {col!r} column in the estimates; got none"
            )
        known = sorted(frame[col].dropna().astype(str).unique())
        if want not in known:
            raise ForecastError(
                f"estimates_chart: {col} must be one in the estimates ({', '.join(known)}); got "
                f"{want!r}"
            )
        frame = frame[frame[col].astype(str) == want]
    frame["value_usd_bn"] = pd.to_numeric(frame["value_usd_bn"], errors="coerce")
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce")
    frame = frame[np.isfinite(frame["value_usd_bn"]) & (frame["value_usd_bn"] > 0)]
    frame = frame[np.isfinite(frame["year"])]
    if frame.empty:
        raise ForecastError(
            f"estimates_chart: needs at least one estimate with a positive USD value"
            f"{f' for definition {definition!r}' if definition else ''}; got none"
        )
    frame["attributed_"] = _attributed(frame).to_numpy()
    if "vintage" not in frame.columns:
        frame["vintage"] = ""
    frame["vintage"] = frame["vintage"].fillna("").astype(str)
    return frame


def _projection_layer(ax: Axes, result: ScenarioResult | StatsScenarioResult) -> None:
    proj = result.projection
    x = proj["year"].to_numpy(dtype=float)
    levels = sorted(float(c[3:]) for c in proj.columns if c.startswith("lo-"))
    if levels:
        w = levels[-1]
        ax.fill_between(
            x,
            proj[f"lo-{w:g}"],
            proj[f"hi-{w:g}"],
            color=PROJECTION,
            alpha=0.13,
            linewidth=0,
            label=plain(f"{w:g}% interval"),
            gid="band",
        )
    ax.plot(
        x,
        proj["mean"],
        color=PROJECTION,
        linewidth=2.8,
        label=plain(f"Scenario: {shorten(result.scenario.display_name, 34)}"),
        gid="projection",
    )
    hist = result.scenario.history
    if hist is not None:
        ax.plot(
            hist.years,
            hist.values,
            color=PROJECTION,
            linewidth=1.4,
            linestyle="--",
            label="Scenario history",
            gid="history",
        )


SPREAD = 1.2  # years: the widest horizontal spread of markers that share a year and value


def _spread_coinciding(frame: pd.DataFrame, claim: tuple[int, float, str] | None) -> np.ndarray:
    """Each figure's x position: its year, moved sideways by a small step when other figures
    (or the claim) share its year and value within 1.5% (log scale), so no marker hides
    another. Steps of at most 0.2 years, centred, the whole group within ``SPREAD``."""
    years: np.ndarray = frame["year"].to_numpy(dtype=float)
    logs = np.log(frame["value_usd_bn"].to_numpy(dtype=float))
    x = years.copy()
    order = np.lexsort((np.arange(len(frame)), logs, years))
    groups: list[list[int]] = []
    for i in order:
        g = groups[-1] if groups else None
        if g and years[g[0]] == years[i] and abs(logs[i] - logs[g[0]]) < 0.015:
            g.append(int(i))
        else:
            groups.append([int(i)])
    for g in groups:
        n = len(g)
        at_claim = claim is not None and years[g[0]] == claim[0]
        if at_claim and claim is not None and abs(logs[g[0]] - np.log(claim[1])) < 0.015:
            n += 1  # leave the middle to the claim's star
        if n < 2:
            continue
        step = min(0.2, SPREAD / (n - 1))
        slots = [(k - (n - 1) / 2) * step for k in range(n)]
        if n > len(g):
            slots = [s for s in slots if abs(s) > 1e-9][: len(g)] if n % 2 else slots[1:]
        for i, off in zip(g, slots, strict=False):
            x[i] = years[i] + off
    return np.asarray(x, dtype=float)


def _claim_text(frame: pd.DataFrame, year: int, value: float, label: str) -> str:
    same = frame.loc[frame["year"] == year, "value_usd_bn"].to_numpy(dtype=float)
    if same.size == 0:
        return f"No published figure for {year} to compare {money(value)} with"
    above = int(np.sum(same > value))
    below = int(np.sum(same < value))
    return (
        f"{same.size} published figure{'s' if same.size != 1 else ''} for {year}: "
        f"{money(float(same.min()))} to {money(float(same.max()))}, median "
        f"{money(float(np.median(same)))}\n{label}: {above} above it, {below} below"
    )


@in_scenario_unit
def estimates_chart(
    estimates: pd.DataFrame,
    *,
    definition: str | None = None,
    result: ScenarioResult | StatsScenarioResult | None = None,
    claim: tuple[int, float, str] | None = None,
    region: str | None = None,
    source: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Every published estimate of one definition, by publisher and edition, against a
    scenario's projection, with the claim marked and ranked among the figures for its year.

    Parameters
    ----------
    estimates : DataFrame
        Rows with at least ``publisher``, ``year`` and ``value_usd_bn``; ``definition``,
        ``region``, ``vintage`` (the edition), ``kind`` (actual/estimate/forecast) and
        ``attributed`` are used where present.
    definition : str, optional
        Keep the rows of this definition only (estimates of different definitions are not
        comparable).
    result : ScenarioResult or StatsScenarioResult, optional
        A scenario run whose point projection and widest interval are drawn.
    claim : (year, value_usd_bn, label), optional
        The figure to place among the others; by default the result's curve anchor (the first
        hard anchor, else the first anchor), if any.
    region : str, optional
        Keep the rows of this region only (e.g. ``"Global"``).
    source : str, optional
        The source line under the chart; by default it names the result's estimates file
        (``data/ai_market_estimates.csv`` without a result).
    title : str, optional
        Replaces the chart's title.
    ax : matplotlib Axes, optional
    """
    frame = _select(estimates, definition, region)
    if source is None:
        source = _default_source(result)
    if claim is None and result is not None:
        claim = _anchor_claim(result)
    counts, styled = _publisher_styles(frame)
    with chart_style():
        fig, ax = figure_and_axes(ax)
        if result is not None:
            _projection_layer(ax, result)
        frame = frame.assign(x_=_spread_coinciding(frame, claim))
        _editions_layer(ax, frame, styled)
        _legend_entries(ax, frame, counts, styled)
        if claim is not None:
            _claim_layer(ax, frame, claim)
        _estimates_titles(ax, frame, definition, region, title)
        money_axis(ax, log=True, label=money_words(extra="log scale"))
        year_axis(ax)
        ax.grid(axis="y", which="major")
        legend(ax, outside=True, title="Publisher (figures)", alignment="left")
        footnote(ax, f"Source: {source}.")
    return fig


def _default_source(result: ScenarioResult | StatsScenarioResult | None) -> str:
    """The source line naming the result's estimates file (or the default file)."""
    where = estimates_file_label(result.scenario) if result is not None else None
    return f"published estimates in {where or DEFAULT_ESTIMATES} (each row cites its URL)"


def _anchor_claim(result: ScenarioResult | StatsScenarioResult) -> tuple[int, float, str] | None:
    """The result's curve anchor as a claim (year, value, label), or None without one."""
    anchor = curve_anchor(result.scenario.anchors)
    if anchor is None:
        return None
    return (anchor.year, anchor.value, anchor.label or f"{money(anchor.value)} claim")


def _publisher_styles(frame: pd.DataFrame) -> tuple[pd.Series, dict[object, int]]:
    """Figures per attributed publisher, and the style index of the most frequent ones."""
    named = frame[frame["attributed_"]]
    counts = named.groupby("publisher").size().sort_values(ascending=False, kind="stable")
    order = sorted(counts.index, key=lambda p: (-counts[p], str(p)))
    styled = {p: i for i, p in enumerate(order[:DISTINCT_PUBLISHERS])}
    return counts, styled


def _editions_layer(ax: Axes, frame: pd.DataFrame, styled: dict[object, int]) -> None:
    """Each edition's figures: a thin line joining them, hollow markers for reported values."""
    keys = ["publisher", "vintage"] + [c for c in ("region", "segment") if c in frame.columns]
    editions = frame.fillna({c: "" for c in keys}).groupby(keys, sort=False)
    for key, rows in editions:
        publisher = key[0]
        rows = rows.sort_values("year")
        i = styled.get(publisher)
        tint = color(i) if i is not None else FAINT
        marker = MARKERS[i % len(MARKERS)] if i is not None else "o"
        if len(rows) > 1:
            ax.plot(
                rows["x_"],
                rows["value_usd_bn"],
                color=tint,
                linewidth=1.0,
                alpha=0.7,
                zorder=3,
            )
        kinds = (
            rows["kind"].astype(str)
            if "kind" in rows.columns
            else pd.Series("forecast", index=rows.index)
        )
        reported = kinds.isin(REPORTED_KINDS).to_numpy()
        for mask, face in ((reported, "white"), (~reported, tint)):
            if mask.any():
                ax.plot(
                    rows["x_"][mask],
                    rows["value_usd_bn"][mask],
                    linestyle="none",
                    marker=marker,
                    markersize=8.5,
                    color=tint,
                    markerfacecolor=face,
                    markeredgewidth=1.8,
                    zorder=4,
                    gid="estimate",
                )


def _legend_entries(
    ax: Axes, frame: pd.DataFrame, counts: pd.Series, styled: dict[object, int]
) -> None:
    """Legend-only artists: one per styled publisher, one for the rest, two for the fill."""
    for p, i in styled.items():
        n = int(counts[p])
        ax.plot(
            [],
            [],
            linestyle="-",
            linewidth=1.0,
            marker=MARKERS[i % len(MARKERS)],
            markersize=8.5,
            color=color(i),
            label=plain(f"{shorten(str(p), 30)} ({n})"),
        )
    rest = frame[~frame["publisher"].isin(list(styled))]
    if not rest.empty:
        unattributed = int((~rest["attributed_"]).sum())
        what = "unattributed pages" if unattributed == len(rest) else "other publishers"
        ax.plot(
            [],
            [],
            "o",
            color=FAINT,
            markersize=8.5,
            label=plain(f"{what.capitalize()} ({len(rest)})"),
        )
    if "kind" in frame.columns:
        ax.plot(
            [],
            [],
            "o",
            color=INK,
            markerfacecolor="white",
            markeredgewidth=1.8,
            label="Hollow: reported (actual/estimate)",
        )
        ax.plot([], [], "o", color=INK, label="Filled: forecast")


def _claim_layer(ax: Axes, frame: pd.DataFrame, claim: tuple[int, float, str]) -> None:
    """The claim as a hollow star with its label, and its rank among its year's figures."""
    cy, cv, clabel = int(claim[0]), float(claim[1]), str(claim[2])
    ax.plot(
        [cy],
        [cv],
        "*",
        markersize=24,
        color=ANCHOR,
        markerfacecolor="none",  # hollow, on top: the figures under it stay visible
        markeredgecolor=ANCHOR,
        markeredgewidth=2.2,
        zorder=8,
        label=plain(f"Claim: {clabel}"),
        gid="claim",
    )
    ax.annotate(
        plain(clabel),
        xy=(cy, cv),
        xytext=(-16, 14),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=12.5,
        fontweight="bold",
        color=ANCHOR,
        zorder=9,
    )
    ax.text(
        0.01,
        0.98,
        plain(_claim_text(frame, cy, cv, clabel)),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=12,
        color=INK,
        linespacing=1.5,
        gid="claim-rank",
        bbox={"boxstyle": "round,pad=0.5", "facecolor": "white", "edgecolor": "#DDDDDD"},
    )


def _estimates_titles(
    ax: Axes, frame: pd.DataFrame, definition: str | None, region: str | None, title: str | None
) -> None:
    """The title (the definition's text) and the subtitle counting figures and editions."""
    what = definition_label(definition) if definition else "all definitions"
    if definition and "definition_text" in frame.columns:
        texts = [t for t in frame["definition_text"].dropna().astype(str).unique() if t]
        if len(texts) == 1:
            what = texts[0]
    n_pub = frame["publisher"].nunique()
    n_ed = frame.groupby(["publisher", "vintage"]).ngroups
    titles(
        ax,
        title or f"Published estimates: {shorten(what, 80)}",
        f"{len(frame)} figures from {n_pub} publishers/pages and {n_ed} editions"
        f"{f' ({region})' if region else ''}; lines join the figures of one edition; "
        "log scale",
    )
