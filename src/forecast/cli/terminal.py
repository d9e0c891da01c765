"""Terminal text of ``forecast run``: one scenario's summary, a statistical model's summary and
the comparison table of several scenarios. Every figure is read from the summary the run
wrote to summary.json (one source for each number).
"""

from __future__ import annotations

import math
from typing import Any

from .. import units
from .._textfmt import money, output_line, pct
from ..results import ScenarioResult, StatsScenarioResult
from ..summary_types import Summary
from ..units import USD_BILLION


def interval(row: dict[str, Any], level: float) -> str:
    lo, hi = row.get(f"lo-{level:g}"), row.get(f"hi-{level:g}")
    if lo is None or hi is None:
        return f"{level:g}% n/a"
    return f"{level:g}% {money(lo)}-{money(hi)}"


def _unit_lines(s: Summary) -> list[str]:
    """The unit and the conversions into it, when not nominal USD billion with nothing
    converted (the default's money strings say it)."""
    if s["unit"] == USD_BILLION.label and not s.get("conversions"):
        return []
    return [f"  unit        {s['unit']}"] + [
        f"  converted   {note}" for note in s.get("conversions", [])
    ]


def format_summary(res: ScenarioResult, s: Summary) -> str:
    """One growth-curve scenario's summary as terminal text, every figure read from ``s``."""
    sc = res.scenario
    lines = [f"{sc.name}: {sc.title}", *_unit_lines(s)]
    lines += _model_and_anchor_lines(res, s)
    lines += _start_lines(s)
    lines += _saturation_lines(res, s)
    lines += _cagr_lines(s["derived"])
    for row in s["report_years"]:
        ints = "  ".join(interval(row, lv) for lv in sc.levels)
        med = f"  median {money(row['median'])}" if row.get("median") is not None else ""
        lines.append(f"  {row['year']}        {money(row['mean'])}{med}  {ints}")
    proj = s["projection"]
    if proj["layers"] and res.no_intervals is None:
        lines.append(
            f"  intervals   {proj['draws']:,} draws of {', '.join(proj['layers'])} (seed "
            f"{proj['seed']}); the first column is the point path"
        )
        for note in proj["layer_notes"]:
            lines.append(f"              {note}")
    lines += _reconciliation_lines(res, s)
    lines += _fit_lines(res, s)
    return "\n".join(lines + _closing_lines(s))


def _closing_lines(s: Summary) -> list[str]:
    """The summary's warnings, then what was written where (when files were written)."""
    lines = [f"  warning     {w}" for w in s["warnings"]]
    o = s.get("output")
    if o:
        lines.append(output_line(o["outcome"], o["folder"], o["files"]))
    return lines


def _model_and_anchor_lines(res: ScenarioResult, s: Summary) -> list[str]:
    """The family and what it was fitted to; each anchor with its fitted value and source."""
    sc, fit = res.scenario, res.fit
    h = s["history"]
    basis = []
    if h:
        basis.append(f"{h['points']} history points {h['first_year']}-{h['last_year']}")
    if sc.anchors:
        basis.append(f"{len(sc.anchors)} anchor(s)")
    lines = [
        f"  model       {fit.model.family} ({fit.model.error} errors), fitted to "
        f"{' + '.join(basis)}"
    ]
    for a in s["anchors"]:
        need = a.get("implied_cagr_from_last_history")
        needs = f"; implies {pct(need)}/yr from {h['last_year']}" if h and need is not None else ""
        kind = a["kind"] + (f" ±{pct(a['tolerance'], 0)}" if a["tolerance"] else "")
        lines.append(
            f"  anchor      {a['year']} {money(a['value_usd_bn'])} ({kind}): fitted "
            f"{money(a['fitted_usd_bn'])}, miss {a['miss_pct']:+.2f}%{needs}"
        )
        lines.append(f"              source: {a['source']}")
    return lines


def _start_lines(s: Summary) -> list[str]:
    """The gap between the last actual value and the fitted curve, and where paths start."""
    proj = s["projection"]
    gap = proj["start_gap"]
    if gap is None:
        return []
    how = (
        "paths start from the actual value"
        if proj["start"] == "actual"
        else "paths start from the fitted curve (start = 'fitted')"
    )
    return [
        f"  start       {gap['year']} actual {money(gap['actual_usd_bn'])}, fitted curve "
        f"{money(gap['fitted_usd_bn'])} ({gap['gap_pct']:+.1f}%); {how}"
    ]


def _saturation_lines(res: ScenarioResult, s: Summary) -> list[str]:
    """The saturation level with its confidence interval and range of draws; the inflection."""
    fit, derived = res.fit, s["derived"]
    lines = []
    if derived.get("saturation_usd_bn") is not None:
        name = fit.family.saturation_param or ""
        p = s["fit"]["params"][name]
        parts = []
        if p["lo-95"] is not None and res.saturation == fit.saturation:
            parts.append(f"95% CI {money(p['lo-95'])}-{money(p['hi-95'])}")
        band = derived.get("saturation_80_usd_bn")
        if band is not None:
            parts.append(f"80% of draws {money(band[0])}-{money(band[1])}")
        extra = f" ({'; '.join(parts)})" if parts else ""
        lines.append(f"  saturation  {money(derived['saturation_usd_bn'])}{extra}")
    if derived.get("inflection_year") is not None:
        label = derived["inflection_label"]
        lines.append(f"  inflection  {derived['inflection_year']:.1f} ({label})")
    return lines


def _reconciliation_lines(res: ScenarioResult, s: Summary) -> list[str]:
    """How segment histories were reconciled with the total, and how far apart they were."""
    rec = s.get("segment_reconciliation")
    if not rec:
        return []
    gaps = [r["gap_pct"] for r in rec["reported_gap"] if r["gap_pct"] is not None]
    span = (
        f"; the reported parts differ from the reported total by {min(gaps):+.1f}% to "
        f"{max(gaps):+.1f}% ({rec['reported_gap'][0]['year']}-"
        f"{rec['reported_gap'][-1]['year']})"
        if gaps
        else ""
    )
    what = f"{len(rec['parts'])} {res.scenario.segment_dimension} histories ({rec['family']})"
    return [f"  segments    {what}, reconciled with the total by {rec['method']}{span}"]


def _fit_lines(res: ScenarioResult, s: Summary) -> list[str]:
    """The fitted parameters (with s.e. and flags) and the residual sd, dof and AICc."""
    pstr = ", ".join(
        f"{n}={_fmt_param(v['estimate'], v['unit'])}"
        + (f" (se {_fmt_param(v['se'], v['unit'])})" if v["se"] is not None else "")
        + (" [fixed]" if v["fixed"] else "")
        + (" [at bound]" if v["at_bound"] else "")
        for n, v in s["fit"]["params"].items()
    )
    sigma = s["fit"]["sigma"]
    if sigma is None:
        sig = "n/a (no degrees of freedom)"
    elif res.fit.model.error == "multiplicative":
        sig = f"{pct(math.expm1(sigma))} (log scale)"
    else:
        sig = f"{sigma:.4g}"
    aicc = "n/a" if s["fit"]["aicc"] is None else f"{s['fit']['aicc']:.2f}"
    return [
        f"  params      {pstr}",
        f"  fit         residual sd {sig}, dof {s['fit']['dof']}, AICc {aicc}",
    ]


def format_stats_summary(res: StatsScenarioResult, s: Summary) -> str:
    sc = res.scenario
    h = s["history"]
    assert h is not None  # a statistical model is fitted to a history
    model = s["model"]
    used = f" (used {model['used']})" if model["used"] != model["family"] else ""
    source = {
        "shipped": "the package's table of rolling-origin errors (not this history's own)",
        "pooled": "this batch's own rolling-origin errors",
        "shipped-log": "the package's table of auto's log errors on histories this long",
    }.get(str(model["intervals"]), str(model["intervals"]))
    lines = [
        f"{sc.name}: {sc.title}",
        *_unit_lines(s),
        f"  model       {model['family']}{used}, statistical, fitted to {model['points']} yearly "
        f"values {h['first_year']}-{h['last_year']} ({h['points']} reported); intervals from "
        f"{source}",
    ]
    for a in s["anchors"]:
        need = a.get("implied_cagr_from_last_history")
        needs = f"; implies {pct(need)}/yr from {h['last_year']}" if need is not None else ""
        lines.append(
            f"  anchor      {a['year']} {money(a['value_usd_bn'])}: {a['position']}{needs}"
        )
        lines.append(f"              source: {a['source']}")
    lines += _cagr_lines(s["derived"])
    for row in s["report_years"]:
        ints = "  ".join(interval(row, lv) for lv in sc.levels)
        lines.append(f"  {row['year']}        {money(row['mean'])}  {ints}")
    return "\n".join(lines + _closing_lines(s))


def _cagr_lines(derived: dict[str, Any]) -> list[str]:
    """CAGR lines of a summary: from the last actual value (every model), and from the fitted
    curve's own first value (growth curves)."""
    lines = []
    for prefix, label, note in (
        ("cagr_", "CAGR       ", "from the last actual value"),
        ("fitted_cagr_", "fitted CAGR", "the curve's own value at the start"),
    ):
        spans = [
            (k.removeprefix(prefix), v)
            for k, v in derived.items()
            if k.startswith(prefix) and k != "cagr_basis"
        ]
        if spans:
            rates = "; ".join(f"{k.replace('_', '-')} {pct(v)}/yr" for k, v in spans)
            lines.append(f"  {label} {rates} ({note})")
    return lines


def _fmt_param(v: float | None, unit: str) -> str:
    if v is None:
        return "n/a"
    if unit == "money":
        return money(v) if v > 0 else f"{v:.4g}"
    if unit == "year":
        return f"{v:.2f}"
    return f"{v:.4g}"


def format_comparison(results: list[ScenarioResult | StatsScenarioResult]) -> str:
    years = sorted({y for r in results for y in r.report_years}) or [results[0].scenario.horizon]
    year = 2030 if 2030 in years else years[0]
    header = [
        "scenario",
        "model",
        f"{year}",
        "80% interval",
        f"CAGR to {year} (from last actual)",
        "saturation",
        "inflection",
    ]
    rows = []
    for r in results:
        try:
            v = r.value_at(year)
        except KeyError:
            v = {}
        # one basis for every model: the last actual history value to the projection's mean
        start = r.growth_basis()[0]
        growth = r.cagr_to(year)
        if isinstance(r, ScenarioResult):
            name, sat = r.fit.model.family, r.saturation
            infl = "n/a" if r.inflection_year is None else f"{r.inflection_year:.1f}"
        else:
            name, sat, infl = r.model_name, None, "n/a"
        note = "" if r.last_actual is not None else " (fitted)"
        with units.shown_in(r.scenario.unit):  # each row in its scenario's unit
            rows.append(
                [
                    r.scenario.name,
                    name,
                    money(v.get("mean")),
                    interval(v, 80).removeprefix("80% ") if v else "n/a",
                    f"{pct(growth)} from {start}{note}" if year > start else "n/a",
                    money(sat),
                    infl,
                ]
            )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [
            fmt.format(*header),
            fmt.format(*("-" * w for w in widths)),
            *(fmt.format(*r) for r in rows),
        ]
    )
