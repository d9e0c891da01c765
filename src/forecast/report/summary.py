"""The one-page summary: what a board reads first, at the top of ``report.html`` and as
``summary.pdf``.

One headline sentence, the fan chart (one scenario) or the comparison chart (several), a
five-row table of the key years with their intervals, the sources line and the provenance line.
Every number is read from the run's results (the projection's point path, the quantiles of its
draws, the summary's growth rates) and formatted by :mod:`forecast._textfmt`; nothing here
computes a figure of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .._textfmt import money, pct
from ..audit.evidence import Evidence
from ..compare import common_levels, comparison_year
from ..results import ScenarioResult, StatsScenarioResult
from .document import Cell, Figure, OnePage, Table

Result = ScenarioResult | StatsScenarioResult
KEY_YEARS = 5
SOURCES_CHARS = 420  # the sources line on the page: longer source lists are cut, the report has all


def key_years(results: Sequence[Result], n: int = KEY_YEARS) -> list[int]:
    """Up to ``n`` years every projection has: the last actual year, anchor and report years,
    the horizon, then the years farthest from those already chosen (earliest first on ties)."""
    common = sorted(set.intersection(*({int(y) for y in r.projection["year"]} for r in results)))
    if not common:
        return []
    first = results[0]
    wanted: list[int] = []
    last = first.last_actual
    if last is not None:
        wanted.append(last[0])
    for r in results:
        wanted += [a.year for a in r.scenario.anchors]
        wanted += list(r.scenario.report_years)
    wanted.append(common[-1])
    chosen: list[int] = []
    for y in wanted:
        if y in common and y not in chosen:
            chosen.append(y)
    if common[-1] not in chosen[: n - 1]:  # the horizon always has a row
        chosen = [*[y for y in chosen if y != common[-1]][: n - 1], common[-1]]
    chosen = chosen[:n]
    while len(chosen) < min(n, len(common)):
        rest = [y for y in common if y not in chosen]
        chosen.append(max(rest, key=lambda y: (min(abs(y - c) for c in chosen), -y)))
    return sorted(chosen)


def _interval(row: dict[str, float], level: float | None) -> str:
    if level is None:
        return "n/a"
    lo, hi = row.get(f"lo-{level:g}", math.nan), row.get(f"hi-{level:g}", math.nan)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "n/a"
    if money(lo) == money(hi):
        return "reported"
    return f"{money(lo)}–{money(hi)}"


def _value(r: Result, year: int) -> dict[str, float]:
    try:
        return r.value_at(year)
    except KeyError:
        return {}


def scenario_table(result: Result, years: Sequence[int]) -> Table:
    """Year, point path, median and each interval of one scenario in ``years``."""
    levels = sorted(float(c[3:]) for c in result.projection.columns if str(c).startswith("lo-"))
    last = result.last_actual
    header = ("Year", "Point path", "Median", *(f"{lv:g}% interval" for lv in levels))
    rows = []
    for y in years:
        v = _value(result, y)
        actual = last is not None and y == last[0]
        cells = [
            Cell(f"{y} (actual)" if actual else str(y), float(y)),
            Cell(money(v.get("mean")), v.get("mean")),
            Cell(money(v.get("median")), v.get("median")),
            *(Cell(_interval(v, lv)) for lv in levels),
        ]
        rows.append(tuple(cells))
    numeric = (True, True, True, *(False for _ in levels))
    return Table(header, tuple(rows), "Key years (USD)", numeric)


def comparison_key_table(results: Sequence[Result], years: Sequence[int]) -> Table:
    """One row per key year, one column per scenario: the point value and the narrowest
    interval every scenario has."""
    shared = common_levels(results)
    level = shared[0] if shared else None
    what = f" ({level:g}% interval)" if level is not None else ""
    header = ("Year", *(f"{r.scenario.display_name}{what}" for r in results))
    rows = []
    for y in years:
        cells = [Cell(str(y), float(y))]
        for r in results:
            v = _value(r, y)
            band = _interval(v, level)
            text = money(v.get("mean")) + (f" ({band})" if band != "n/a" and level else "")
            cells.append(Cell(text, v.get("mean")))
        rows.append(tuple(cells))
    return Table(header, tuple(rows), "Key years (USD)", (True,) * len(header))


def scenario_headline(result: Result, ev: Evidence) -> str:
    """One sentence: what reaching the anchor takes and where the point path ends."""
    sc = result.scenario
    horizon = sc.horizon
    end = _value(result, horizon)
    levels = sorted(float(c[3:]) for c in result.projection.columns if str(c).startswith("lo-"))
    band = _interval(end, levels[0]) if levels else "n/a"
    tail = (
        f"the point path reaches {money(end.get('mean'))} in {horizon}"
        + (f" ({levels[0]:g}% interval {band})" if band != "n/a" else "")
        + "."
    )
    last = result.last_actual
    anchor = ev.anchor
    entry: Mapping[str, Any] = next(
        (
            a
            for a in result.summary()["anchors"]
            if anchor is not None and a["year"] == anchor.year and a["label"] == anchor.label
        ),
        {},
    )
    rate = entry.get("implied_cagr_from_last_history")
    if anchor is not None and last is not None and rate is not None:
        return (
            f"Reaching {money(anchor.value)} in {anchor.year} takes {pct(rate)} a year from "
            f"{last[0]}'s {money(last[1])}; {tail}"
        )
    if last is not None:
        growth = result.cagr_to(horizon)
        return (
            f"From {last[0]}'s {money(last[1])}, {tail[:-1]}, {pct(growth)} a year."
            if growth is not None
            else f"From {last[0]}'s {money(last[1])}, {tail}"
        )
    return tail[:1].upper() + tail[1:]


def comparison_headline(results: Sequence[Result]) -> str:
    """One sentence: each scenario's value in the comparison year and the growth it takes."""
    year = comparison_year(results)
    values = ", ".join(
        f"{r.scenario.display_name} {money(_value(r, year).get('mean'))}" for r in results
    )
    growths = [g for g in (r.cagr_to(year) for r in results) if g is not None]
    bases = {r.last_actual for r in results}
    if growths and len(bases) == 1 and None not in bases:
        (base,) = bases
        assert base is not None
        lo, hi = min(growths), max(growths)
        rate = pct(lo) if pct(lo) == pct(hi) else f"{pct(lo)} to {pct(hi)}"
        return (
            f"In {year} the scenarios give {values}: {rate} a year from {base[0]}'s "
            f"{money(base[1])}."
        )
    return f"In {year} the scenarios give {values}."


def _sources(results: Sequence[Result]) -> str:
    parts: list[str] = []
    for r in results:
        sc = r.scenario
        if sc.history is not None and sc.history_source:
            parts.append(f"History: {sc.history_source}")
        for a in sc.anchors:
            if a.source:
                parts.append(f"{a.label or money(a.value)}: {a.source}")
    unique = list(dict.fromkeys(" ".join(p.split()) for p in parts))
    text = "Sources: " + ("; ".join(unique) if unique else "none cited") + "."
    if len(text) > SOURCES_CHARS:
        text = text[: SOURCES_CHARS - 1].rstrip() + "… (all sources in the report)"
    return text


def _provenance(results: Sequence[Result], command: str) -> str:
    from pathlib import PurePath

    prov = results[0].summary()["provenance"]
    files = []
    for r in results:
        for f in r.summary()["provenance"]["inputs"]:
            item = f"{PurePath(str(f['path'])).name} {str(f['sha256'])[:12]}"
            if item not in files:
                files.append(item)
    seeds = ", ".join(dict.fromkeys(str(r.scenario.seed) for r in results))
    draws = []
    for r in results:
        if isinstance(r, ScenarioResult):
            spec = r.simulation.spec
            draws.append(f"{spec.draws:,} draws of {', '.join(spec.layers)}")
    how = f"; {'; '.join(dict.fromkeys(draws))}" if draws else ""
    return (
        f"forecast {prov['toolkit_version']}; seed {seeds}{how}; inputs (SHA-256): "
        f"{', '.join(files)}; {command}"
    )


def scenario_page(result: Result, ev: Evidence, *, command: str, chart: Figure | None) -> OnePage:
    """The one-page summary of one scenario run (``chart`` None: the text only, as the PDF
    draws its chart itself)."""
    sc = result.scenario
    return OnePage(
        title=sc.title,
        subtitle=f"Scenario {sc.display_name}" + (f" ({sc.name})" if sc.label else ""),
        headline=scenario_headline(result, ev),
        chart=chart,
        table=scenario_table(result, key_years([result])),
        sources=_sources([result]),
        provenance=_provenance([result], command),
    )


def comparison_page(
    results: Sequence[Result], *, command: str, chart: Figure, title: str
) -> OnePage:
    """The one-page summary of several scenarios compared."""
    return OnePage(
        title=title,
        subtitle=", ".join(r.scenario.display_name for r in results),
        headline=comparison_headline(results),
        chart=chart,
        table=comparison_key_table(results, key_years(results)),
        sources=_sources(results),
        provenance=_provenance(results, command),
    )
