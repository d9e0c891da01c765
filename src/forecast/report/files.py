"""A scenario report's files: ``report.html``, ``report.md`` with ``charts/``, ``workbook.xlsx``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from .. import units
from ..audit.evidence import Evidence
from ..compare import comparison_year
from ..results import ScenarioResult, StatsScenarioResult
from .charts import HALF, Drawing, FileJob, render_all, scenario_charts, start
from .html import render_html
from .markdown import render_markdown
from .pdf import summary_pdf
from .scenario import (
    assumptions_table,
    common_unit,
    comparison_display,
    comparison_document,
    scenario_document,
)
from .sheets import comparison_paths_sheet, implied_growth_sheet, projection_sheet, summary_sheet
from .summary import scenario_page
from .workbook import RATE_FORMAT, YEAR_FORMAT, Sheet, money_format, workbook_bytes

Result = ScenarioResult | StatsScenarioResult


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
    """Sheets: summary (labelled rows with units), assumptions (with sources), projection (with
    Monte Carlo quantiles when simulated, and a chart of the point path and bands), implied
    growth (live CAGR formulas over the projection), parameters (with standard errors),
    sensitivity, published estimates, provenance. Every numeric cell has a number format."""
    s = result.summary()
    unit = str(s.get("unit") or result.scenario.unit)
    projection = result.projection
    if ev.simulation is not None and ev.simulation.result.input_names:
        # more percentiles of the same draws, when the scenario draws uncertain assumptions
        q = ev.simulation.quantiles
        q = q.loc[(q["series"] == "total") & q["quantile"].isin(set(ev.simulation.spec.quantiles))]
        wide = q.pivot_table(index="year", columns="quantile", values="value")
        wide.columns = [f"mc_p{100 * c:g}" for c in wide.columns]
        projection = projection.merge(wide.reset_index(), on="year", how="left")
    money = money_format(unit)
    sheets: list[tuple[str, pd.DataFrame] | Sheet] = [
        summary_sheet(result, ev),
        ("assumptions", assumptions_table(result)),
        projection_sheet(projection, unit),
        implied_growth_sheet(result.projection, unit),
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
    if est.empty:
        est = pd.DataFrame(
            {"note": ["no published estimates of this market's definition in the estimates file"]}
        )
    sheets.append(("published estimates", est))
    prov = dict(s["provenance"])
    prov["command"] = command
    sheets.append(("provenance", pd.DataFrame(_flatten(prov), columns=["key", "value"])))
    money_cols = {
        c: money
        for c in ("mean", "median", "value_usd_bn", "output", "output_at_p10", "output_at_p90",
                  "output_at_medians", "swing")
    }  # fmt: skip
    money_cols |= {c: money for c in projection.columns if str(c).startswith(("lo-", "hi-"))}
    shares = {"share": RATE_FORMAT, "confidence_pct": RATE_FORMAT}
    return workbook_bytes(
        sheets,
        number_formats={**money_cols, **shares},
        notes={"projection": f"{result.scenario.unit.label}; mean is the point path"},
    )


def report_files(
    result: Result, ev: Evidence, *, command: str, early: Drawing | None = None
) -> dict[str, bytes]:
    """``report.html`` (the one-page summary on top), ``summary.pdf``, ``report.md``,
    ``charts/*.png|svg`` and ``workbook.xlsx`` by name (money in the scenario's unit).
    ``early``: charts of the report already started (:func:`scenario_report_files`)."""
    from ..plotting import fan_chart

    def pdf() -> bytes:  # the page's text without its chart: the PDF draws its own
        page = scenario_page(result, ev, command=command, chart=None)
        return summary_pdf(page, lambda ax: fan_chart(result, ax=ax))

    def book() -> bytes:
        return workbook(result, ev, command=command)

    with units.shown_in(result.scenario.unit):
        charts = scenario_charts(result, ev)
        files = [FileJob("summary.pdf", pdf, cost=0.55), FileJob("workbook.xlsx", book, cost=0.2)]
        if early is None:
            figs, made = render_all(charts, files)
        else:
            rest = start([c for c in charts if c.name not in early.names], files, processes=HALF)
            try:
                drawn = early.results()[0]  # the report's first charts: their warnings first
                rest.help(HALF)  # the first round's share of the cores takes what is left
                later, made = rest.results()
            finally:
                rest.stop()  # after an error in the first round, the rest is not wanted
            drawn |= later
            # captions and alt texts as the complete evidence words them
            figs = {c.name: replace(drawn[c.name], caption=c.caption, alt=c.alt) for c in charts}
        doc = scenario_document(result, ev, command=command, figures=figs)
        out = {"report.html": render_html(doc), **render_markdown(doc)}
        out["summary.pdf"] = made["summary.pdf"]
        out["workbook.xlsx"] = made["workbook.xlsx"]
    return out


def comparison_files(
    results: Sequence[Result],
    evidences: Sequence[Evidence],
    *,
    command: str,
    title: str | None = None,
) -> dict[str, bytes]:
    """The files of one report comparing several scenarios (which must share one unit;
    ``title`` replaces the generic "N scenarios compared")."""
    unit = common_unit(results)
    with units.shown_in(unit):
        return _comparison_files(results, evidences, command=command, title=title)


def _comparison_files(
    results: Sequence[Result],
    evidences: Sequence[Evidence],
    *,
    command: str,
    title: str | None = None,
) -> dict[str, bytes]:
    from ..plotting import comparison_chart

    doc = comparison_document(results, evidences, command=command, title=title)
    files = {"report.html": render_html(doc), **render_markdown(doc)}
    assert doc.summary is not None
    year = comparison_year(results)
    files["summary.pdf"] = summary_pdf(
        doc.summary,
        lambda ax: comparison_chart(list(results), year=year, title=title, table=False, ax=ax),
    )
    provenance = [
        (f"{r.scenario.display_name}.{k}", v)
        for r in results
        for k, v in _flatten(r.summary()["provenance"])
    ]
    unit = results[0].scenario.unit.label
    money = money_format(unit)
    values = comparison_display(results, year)
    projection = pd.concat(
        [r.projection.assign(label=r.scenario.display_name) for r in results], ignore_index=True
    )
    projection.insert(1, "label", projection.pop("label"))
    params = pd.concat(
        [r.params.assign(label=r.scenario.display_name) for r in results], ignore_index=True
    )
    params.insert(1, "label", params.pop("label"))
    sheets: list[tuple[str, pd.DataFrame] | Sheet] = [
        Sheet(
            f"values {year}",
            values,
            formats={c: money for c in values.columns if str(c).startswith(f"{year} ")}
            | {f"CAGR to {year}": RATE_FORMAT, "last actual year": YEAR_FORMAT},
        ),
        comparison_paths_sheet(results, unit),
        Sheet(
            "projection",
            projection,
            note=f"{unit}; mean is each scenario's point path",
            formats={c: money for c in projection.columns if c not in ("scenario", "label", "year")}
            | {"year": YEAR_FORMAT},
        ),
        ("parameters", params),
        ("provenance", pd.DataFrame([("command", command), *provenance], columns=["key", "value"])),
    ]
    files["workbook.xlsx"] = workbook_bytes(sheets)
    return files


def scenario_report_files(result: Result, *, command: str | None = None) -> dict[str, bytes]:
    """The report files of one scenario run (:func:`report_files` on the run's evidence,
    gathered once); ``command`` defaults to ``forecast run`` on the scenario. The charts that
    need only :func:`~forecast.audit.evidence.base_evidence` are started first, in half the
    workers, and drawn while the rest of the evidence (the families' fits to the history, the
    sensitivity analysis) is computed; the other half draws the rest after it."""
    from ..audit.evidence import base_evidence, gather_evidence
    from ..results import command_line

    cmd = command or command_line("run", [str(result.scenario.path)])
    base = base_evidence(result)
    with units.shown_in(result.scenario.unit):
        early = start(scenario_charts(result, base), processes=HALF)
    try:
        return report_files(result, gather_evidence(result, base=base), command=cmd, early=early)
    finally:
        early.stop()  # after an error, the charts started are not wanted
