"""Several scenario results side by side: the year to compare them in and one table of their
values, used by the comparison chart, the comparison report and its workbook alike."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .models import cagr
from .results import ScenarioResult, StatsScenarioResult

Result = ScenarioResult | StatsScenarioResult


def model_name(result: Result) -> str:
    """The model in words: ``logistic``, or the statistical model used."""
    if isinstance(result, ScenarioResult):
        return result.fit.model.family
    return str(result.info.get("used") or result.model_name)


def comparison_year(results: Sequence[Result]) -> int:
    """The year to compare in: the earliest anchor year every scenario has and projects, else
    the earliest horizon."""
    common: set[int] | None = None
    for r in results:
        projected = {int(y) for y in r.projection["year"]}
        years = {a.year for a in r.scenario.anchors} & projected
        common = years if common is None else common & years
    if common:
        return min(common)
    return min(r.scenario.horizon for r in results)


def common_levels(results: Sequence[Result]) -> list[float]:
    """Interval levels every result has, narrowest first."""
    sets = [
        {float(c[3:]) for c in r.projection.columns if str(c).startswith("lo-")} for r in results
    ]
    return sorted(set.intersection(*sets)) if sets else []


def comparison_table(results: Sequence[Result], year: int) -> pd.DataFrame:
    """One row per scenario: ``scenario`` (its name), ``label`` (what legends and tables call it:
    its label, else its name), ``model``, ``year``, ``mean`` (the point value in
    ``year``), ``lo-<L>``/``hi-<L>`` for the levels all scenarios share, ``from_year`` (the last
    actual year) and ``cagr`` from the last actual value to ``mean`` (one basis for growth curves
    and statistical models; NaN without a history or a value)."""
    levels = common_levels(results)
    rows = []
    for r in results:
        sc = r.scenario
        try:
            v = r.value_at(year)
        except KeyError:
            v = {}
        row: dict[str, Any] = {
            "scenario": sc.name,
            "label": sc.display_name,
            "model": model_name(r),
            "year": year,
            "mean": v.get("mean", math.nan),
        }
        for lv in levels:
            row[f"lo-{lv:g}"] = v.get(f"lo-{lv:g}", math.nan)
            row[f"hi-{lv:g}"] = v.get(f"hi-{lv:g}", math.nan)
        hist = sc.history
        growth = math.nan
        if hist is not None and year > hist.years[-1] and row["mean"] > 0:
            growth = cagr(float(hist.values[-1]), row["mean"], year - int(hist.years[-1]))
        row["from_year"] = int(hist.years[-1]) if hist is not None else None
        row["cagr"] = growth
        rows.append(row)
    return pd.DataFrame(rows)
