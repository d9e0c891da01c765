"""A scenario report's files: ``report.html``, ``report.md`` with ``charts/``, ``workbook.xlsx``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .. import units
from ..compare import comparison_year
from ..evidence import Evidence
from ..projection import ScenarioResult, StatsScenarioResult
from .html import render_html
from .markdown import render_markdown
from .scenario import (
    assumptions_table,
    common_unit,
    comparison_display,
    comparison_document,
    scenario_document,
)
from .workbook import workbook_bytes

Result = ScenarioResult | StatsScenarioResult

MONEY_FORMAT = "#,##0.00"


def _flatten(d: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(d, dict):
        out = []
        for k, v in d.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(d, list) and d and all(isinstance(x, dict) for x in d):
        out = []
        for i, v in enumerate(d):
            out += _flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, d if not isinstance(d, list) else ", ".join(map(str, d)))]


def workbook(result: Result, ev: Evidence, *, command: str) -> bytes:
    """Sheets: summary, assumptions (with sources), projection (with Monte Carlo quantiles when
    simulated), parameters (with standard errors), sensitivity, published estimates,
    provenance."""
    s = result.summary()
    summary = pd.DataFrame(
        [
            (k, v)
            for k, v in _flatten(
                {
                    k: s[k]
                    for k in (
                        "scenario",
                        "title",
                        "model",
                        "derived",
                        "anchors",
                        "report_years",
                        "warnings",
                    )
                    if k in s
                }
            )
        ],
        columns=["key", "value"],
    )
    projection = result.projection
    if ev.simulation is not None and ev.simulation.result.input_names:
        # more percentiles of the same draws, when the scenario draws uncertain assumptions
        q = ev.simulation.quantiles
        q = q.loc[(q["series"] == "total") & q["quantile"].isin(set(ev.simulation.spec.quantiles))]
        wide = q.pivot_table(index="year", columns="quantile", values="value")
        wide.columns = [f"mc_p{100 * c:g}" for c in wide.columns]
        projection = projection.merge(wide.reset_index(), on="year", how="left")
    sheets: list[tuple[str, pd.DataFrame]] = [
        ("summary", summary),
        ("assumptions", assumptions_table(result)),
        ("projection", projection),
        ("parameters", result.params),
    ]
    if not result.segments.empty:
        sheets.append(("segments", result.segments))
    if ev.sensitivity is not None:
        sens = ev.sensitivity
        sheets += [("sensitivity", sens.tornado), ("sobol", sens.sobol), ("spider", sens.spider)]
    else:
        sheets.append(
            ("sensitivity", pd.DataFrame({"note": ["no uncertain [assumptions] in this scenario"]}))
        )
    est = ev.estimates
    if ev.definition is not None and not est.empty:
        mask = est["definition"] == ev.definition
        for col, want in ev.filters.items():
            mask &= est[col].astype(str).str.strip() == want
        est = est.loc[mask]
    sheets.append(("published estimates", est))
    prov = dict(s["provenance"])
    prov["command"] = command
    sheets.append(("provenance", pd.DataFrame(_flatten(prov), columns=["key", "value"])))
    money_cols = {c: MONEY_FORMAT for c in projection.columns if c not in ("scenario", "year")}
    return workbook_bytes(
        sheets,
        number_formats={**money_cols, "value_usd_bn": MONEY_FORMAT},
        notes={"projection": f"{result.scenario.unit.label}; mean is the point forecast"},
    )


def report_files(result: Result, ev: Evidence, *, command: str) -> dict[str, bytes]:
    """``report.html``, ``report.md``, ``charts/*.png|svg`` and ``workbook.xlsx`` by name
    (money in the scenario's unit)."""
    with units.shown_in(result.scenario.unit):
        doc = scenario_document(result, ev, command=command)
        files = {"report.html": render_html(doc), **render_markdown(doc)}
        files["workbook.xlsx"] = workbook(result, ev, command=command)
    return files


def comparison_files(
    results: Sequence[Result], evidences: Sequence[Evidence], *, command: str
) -> dict[str, bytes]:
    """The files of one report comparing several scenarios (which must share one unit)."""
    unit = common_unit(results)
    with units.shown_in(unit):
        return _comparison_files(results, evidences, command=command)


def _comparison_files(
    results: Sequence[Result], evidences: Sequence[Evidence], *, command: str
) -> dict[str, bytes]:
    doc = comparison_document(results, evidences, command=command)
    files = {"report.html": render_html(doc), **render_markdown(doc)}
    year = comparison_year(results)
    provenance = [
        (f"{r.scenario.name}.{k}", v)
        for r in results
        for k, v in _flatten(r.summary()["provenance"])
    ]
    sheets = [
        (f"values {year}", comparison_display(results, year)),
        ("projection", pd.concat([r.projection for r in results], ignore_index=True)),
        ("parameters", pd.concat([r.params for r in results], ignore_index=True)),
        ("provenance", pd.DataFrame([("command", command), *provenance], columns=["key", "value"])),
    ]
    money = {c: MONEY_FORMAT for c in sheets[0][1].columns if str(c).startswith(f"{year} ")}
    money[f"CAGR to {year}"] = "0.0%"
    files["workbook.xlsx"] = workbook_bytes(sheets, number_formats=money)
    return files
