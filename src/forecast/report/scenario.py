"""The report of one scenario run: a :class:`~forecast.report.document.Document` in the order a
reader needs it (headline, assumptions with sources, fit, projection, charts, sensitivity,
provenance), built from a result and its :class:`~forecast.evidence.Evidence`.

Longer than 500 lines because it builds one document, a scenario's report, section by section in
reading order (headline, projection, assumptions, evidence, sensitivity, provenance); every
section reads the same result and evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import units
from .._textfmt import money, pct
from ..audit.evidence import Evidence
from ..compare import comparison_table, comparison_year
from ..errors import ForecastError
from ..results import ScenarioResult, StatsScenarioResult
from ..types import Anchor
from ..units import USD_BILLION, Unit
from .charts import scenario_figures
from .document import Document, Facts, Figure, Paragraph, Section, Table, section

Result = ScenarioResult | StatsScenarioResult


def _money(v: Any) -> str:
    return money(float(v)) if v is not None else "n/a"


def _axis(result: Result) -> str:
    """The currency (and price base) a table's money is in: ``USD``, ``EUR, 2020 prices``."""
    return result.scenario.unit.axis_label


def unit_note(result: Result) -> Paragraph | None:
    """A note saying the unit and every conversion into it, for a scenario that is not in
    nominal USD billion or that converted anything (none for the default: its money strings
    say it)."""
    sc = result.scenario
    if sc.unit == USD_BILLION and not sc.conversions:
        return None
    text = f"Every amount is in {sc.unit.label}"
    text += "." if sc.unit.prices is None else f" (constant {sc.unit.prices} prices)."
    if sc.conversions:
        text += " Converted into it: " + "; ".join(sc.conversions) + "."
    return Paragraph(text, "note")


def _pct100(v: Any) -> str:
    """A probability or share in [0, 1] as a percentage."""
    return pct(float(v)) if v is not None else "n/a"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _definition_words(definition: str | None) -> str:
    return (definition or "unknown definition").replace("_", " ")


# ------------------------------------------------------------------------------------------------
# Headline
# ------------------------------------------------------------------------------------------------


def _sim_anchor_row(ev: Evidence) -> dict[str, Any] | None:
    if ev.simulation is None or ev.anchor is None:
        return None
    a = ev.simulation.anchors
    rows = a.loc[(a["year"] == ev.anchor.year) & np.isclose(a["value_usd_bn"], ev.anchor.value)]
    return None if rows.empty else dict(rows.iloc[0])


def _prob(row: dict[str, Any]) -> str:
    """A probability as the audit words it (bounds such as "<0.5%" stay bounds)."""
    return str(row.get("probability_text") or _pct100(row["probability"]))


def _history_probs(rows: list[dict[str, Any]]) -> str:
    parts = []
    for r in rows:
        why = str(r.get("unreliable_reason") or "weak fit").split(";")[0]
        note = "" if r.get("reliable", True) else f" (unreliable: {why})"
        parts.append(f"{r['model']} {_prob(r)}{note}")
    return ", ".join(parts)


def _published_words(pub: dict[str, Any], year: int, kind: str) -> str:
    """Where a value sits among the published figures, in words that stay true outside their
    range."""
    n = int(pub["n"])
    higher = int(pub["rank"]) - 1
    spread = f"range {_money(pub['min'])} to {_money(pub['max'])}, median {_money(pub['median'])}"
    what = f"{n} published {year} forecast{'s' if n != 1 else ''} of {kind}"
    if higher <= 0 and not pub.get("inside_range", True):
        return f"above all {what} ({spread})"
    if higher >= n and not pub.get("inside_range", True):
        return f"below all {what} ({spread})"
    return f"{higher} of the {what} are higher (percentile {pub['percentile']:.0f}; {spread})"


def _how_the_numbers_are_made(result: Result) -> str:
    """One sentence on where every figure comes from: the run's one set of draws."""
    if not isinstance(result, ScenarioResult):
        return ""
    proj = result.summary()["projection"]
    spec = result.simulation.spec
    words = (
        f"Every figure in this report comes from one simulation: {spec.draws:,} draws of "
        f"{', '.join(spec.layers)} (sampler {spec.sampler}, seed {spec.seed}). The point path "
        "(the first figure of each year) has every layer off"
    )
    gap = proj.get("start_gap")
    drawn_base = "base" in result.simulation.result.input_names
    if gap is not None and proj.get("start") == "actual" and drawn_base:
        words += (
            f" and starts from the median of the drawn {gap['year']} base value (the reported "
            f"value is {_money(gap['actual_usd_bn'])}; the fitted curve gives "
            f"{_money(gap['fitted_usd_bn'])} there, {gap['gap_pct']:+.1f}%)"
        )
    elif gap is not None and proj.get("start") == "actual":
        words += (
            f" and starts from the actual {gap['year']} value ({_money(gap['actual_usd_bn'])}; "
            f"the fitted curve gives {_money(gap['fitted_usd_bn'])} there, "
            f"{gap['gap_pct']:+.1f}%)"
        )
    elif gap is not None:
        words += f" and starts from the fitted curve (start = 'fitted'; {gap['gap_pct']:+.1f}%)"
    return words + "; the median and intervals are quantiles of the draws."


Fact = tuple[str, str]


def headline(result: Result, ev: Evidence) -> Section:
    """What the scenario says about its anchor, in words and figures."""
    s = result.summary()
    sc = result.scenario
    facts: list[Fact] = []
    sentences: list[str] = []
    if ev.anchor is not None:
        facts, sentences = _claim_facts(s, ev, ev.anchor)
    facts += _curve_facts(s)
    levels = list(sc.levels)
    facts += _report_year_facts(s, levels)
    lead = " ".join(sentences) or (
        f"{sc.title}: projection to {sc.horizon} with {', '.join(f'{x:g}%' for x in levels)} "
        "intervals."
    )
    blocks: list[Any] = [Paragraph(lead, "lead"), Facts(tuple(facts))]
    if sc.description:
        blocks.append(Paragraph(" ".join(sc.description.split())))
    note = unit_note(result)
    if note is not None:
        blocks.append(note)
    warnings = list(s.get("warnings", []))
    how = _how_the_numbers_are_made(result)
    if how:
        blocks.append(Paragraph(how, "note"))
    blocks += [Paragraph(w, "warning") for w in warnings]
    blocks += [Paragraph(n, "note") for n in ev.notes]
    return section("Headline", blocks)


def _claim_facts(
    s: Mapping[str, Any], ev: Evidence, anchor: Anchor
) -> tuple[list[Fact], list[str]]:
    """The claim checked, then its implied growth, its probability over the assumptions and
    from the history alone, and where it sits among published forecasts: facts and the lead's
    sentences."""
    facts: list[Fact] = [
        ("Claim checked", f"{_money(anchor.value)} in {anchor.year} ({anchor.kind})")
    ]
    sentences: list[str] = []
    for more_facts, more_sentences in (
        _implied_growth(s, anchor),
        _assumption_probability(ev),
        _history_probability(ev),
        _published_position(ev, anchor),
    ):
        facts += more_facts
        sentences += more_sentences
    return facts, sentences


def _implied_growth(s: Mapping[str, Any], anchor: Anchor) -> tuple[list[Fact], list[str]]:
    """The growth a year from the last reported value that reaching the claim takes."""
    entry: Mapping[str, Any] = next(
        (a for a in s["anchors"] if a["year"] == anchor.year and a["label"] == anchor.label),
        {},
    )
    implied = entry.get("implied_cagr_from_last_history")
    hist = s.get("history")
    if implied is None or not hist:
        return [], []
    words = f"{pct(implied)} a year from {hist['last_year']}'s {_money(hist['last_value_usd_bn'])}"
    return [("Implied growth", words)], [
        f"Reaching {_money(anchor.value)} in {anchor.year} takes {words}."
    ]


def _assumption_probability(ev: Evidence) -> tuple[list[Fact], list[str]]:
    """The probability of reaching the claim over the scenario's drawn assumptions."""
    sim = _sim_anchor_row(ev)
    drawn = ev.simulation is not None and bool(ev.simulation.result.input_names)
    if sim is None or sim.get("probability") is None or not drawn:
        return [], []
    p = f"{_pct100(sim['probability'])} (Monte Carlo s.e. {_pct100(sim['mc_se'])})"
    return [("Probability over the assumptions", p)], [
        f"Over the scenario's uncertain assumptions the market reaches it with "
        f"probability {_pct100(sim['probability'])}."
    ]


def _history_probability(ev: Evidence) -> tuple[list[Fact], list[str]]:
    """The probabilities of the models fitted to the history alone, and their span in words
    (from the reliable ones where there are any)."""
    probs = [r for r in ev.history_probability if r.get("probability") is not None]
    if not probs:
        return [], []
    trusted = [r for r in probs if r.get("reliable", True)] or probs
    low = min(trusted, key=lambda r: float(r["probability"]))
    high = max(trusted, key=lambda r: float(r["probability"]))
    span = (
        _prob(low)
        if low is high or _prob(low) == _prob(high)
        else f"{_prob(low)} ({low['model']}) to {_prob(high)} ({high['model']})"
    )
    disagree = (
        "; they disagree, so the history alone cannot settle it"
        if float(high["probability"]) - float(low["probability"]) > 0.5
        else ""
    )
    return [("Probability from the history alone", _history_probs(probs))], [
        f"Models fitted to the history alone, with no anchor, give it {span}{disagree}."
    ]


def _published_position(ev: Evidence, anchor: Anchor) -> tuple[list[Fact], list[str]]:
    """Where the claim sits among published forecasts, and the nearest of them."""
    pub = ev.published
    if not pub or not pub.get("n"):
        return [], []
    where = _published_words(pub, anchor.year, _definition_words(ev.definition))
    facts: list[Fact] = [("Among published forecasts", where)]
    nearest = pub.get("nearest") or []
    if nearest:
        facts.append(
            (
                "Nearest published figures",
                "; ".join(f"{n['publisher']} {_money(n['value_usd_bn'])}" for n in nearest[:3]),
            )
        )
    return facts, [f"Among published forecasts: {where}."]


def _curve_facts(s: Mapping[str, Any]) -> list[Fact]:
    """The fitted curve's saturation level and inflection (or peak) year, where it has them."""
    facts: list[Fact] = []
    derived = s.get("derived", {})
    if derived.get("saturation_usd_bn") is not None:
        band = derived.get("saturation_80_usd_bn")
        extra = f" (80% of draws {_money(band[0])}-{_money(band[1])})" if band else ""
        facts.append(("Saturation level", f"{_money(derived['saturation_usd_bn'])}{extra}"))
    if derived.get("inflection_year") is not None:
        label = str(derived.get("inflection_label") or "inflection year")
        facts.append((label[:1].upper() + label[1:], f"{derived['inflection_year']:.1f}"))
    return facts


def _report_year_facts(s: Mapping[str, Any], levels: list[float]) -> list[Fact]:
    """The projection in every report year: point, median and the narrowest interval."""
    facts: list[Fact] = []
    for row in s.get("report_years", []):
        lv = f"{min(levels):g}"
        lo, hi = row.get(f"lo-{lv}"), row.get(f"hi-{lv}")
        parts = []
        if row.get("median") is not None:
            parts.append(f"median {_money(row['median'])}")
        if lo is not None and hi is not None:
            parts.append(f"{lv}% {_money(lo)}-{_money(hi)}")
        band = f" ({'; '.join(parts)})" if parts else ""
        facts.append((f"Projection {row['year']}", f"{_money(row['mean'])}{band}"))
    return facts


# ------------------------------------------------------------------------------------------------
# Assumptions, fit, projection
# ------------------------------------------------------------------------------------------------


def assumptions_table(result: Result) -> pd.DataFrame:
    """Every input the numbers rest on, with its source: history, anchors, model, projection
    settings, drawn assumptions and segments."""
    sc = result.scenario
    rows: list[tuple[str, str, str]] = []
    hist = sc.history
    if hist is not None:
        rows.append(
            (
                "history",
                f"{len(hist)} points {int(hist.years[0])}-{int(hist.years[-1])}, last "
                f"{_money(hist.values[-1])}",
                sc.history_source,
            )
        )
    for a in sc.anchors:
        tol = f", tolerance {pct(a.tolerance)}" if a.tolerance is not None else ""
        rows.append(
            (f"anchor: {a.label}", f"{_money(a.value)} in {a.year} ({a.kind}{tol})", a.source)
        )
    model = result.summary()["model"]
    family = model.get("family") or model.get("model") or ""
    rows.append(("model", str(family), str(model.get("curve") or model.get("description") or "")))
    rows.append(
        (
            "projection",
            f"to {sc.horizon}, {', '.join(f'{x:g}%' for x in sc.levels)} intervals, seed {sc.seed}",
            "scenario file",
        )
    )
    if sc.assumptions is not None:
        for name, dist in zip(sc.assumptions.names, sc.assumptions.distributions, strict=True):
            rows.append((f"assumption: {name}", dist.describe(), getattr(dist, "source", "") or ""))
    for seg in sc.segments:
        if len(seg.knots) == 1:
            share = f"share {pct(seg.knots[0][1])} in every year"
        else:
            share = "share " + ", ".join(f"{int(y)} {pct(v)}" for y, v in seg.knots)
        rows.append((f"segment: {seg.name}", share, seg.source))
    return pd.DataFrame(rows, columns=["input", "value", "source"])


def _source_links(frame: pd.DataFrame) -> pd.DataFrame:
    """Add a ``url`` column with the first http(s) link found in each source."""
    import re

    out = frame.copy()
    out["url"] = [
        (m.group(0).rstrip(").,;") if (m := re.search(r"https?://\S+", str(s))) else "")
        for s in out["source"]
    ]
    return out


def fit_section(result: Result, ev: Evidence, figures: dict[str, Figure]) -> Section:
    """The fitted model (parameters or settings), the growth families compared on the history
    and the families not fitted."""
    s = result.summary()
    blocks: list[Any]
    if isinstance(result, ScenarioResult):
        blocks = _curve_fit_blocks(result, s)
    else:
        blocks = _stats_model_blocks(s)
    comparison = _family_comparison(result, ev)
    if comparison is not None:
        blocks.append(comparison)
    for name, reason in ev.skipped_families:
        blocks.append(Paragraph(f"{name}: not fitted ({reason})", "note"))
    if "models" in figures:
        blocks.append(figures["models"])
    return section("Fit and diagnostics", blocks)


def _curve_fit_blocks(result: ScenarioResult, s: Mapping[str, Any]) -> list[Any]:
    """A growth curve's fit in facts and its parameters table."""
    fit = s["fit"]
    facts = Facts(
        (
            ("Family", f"{s['model']['family']} ({s['model']['curve']})"),
            ("Errors", str(s["model"]["error"])),
            (
                "Residual sigma",
                f"{fit['sigma']:.4g} ({fit['sigma_scale']} scale)"
                if fit["sigma"] is not None
                else "n/a",
            ),
            ("Degrees of freedom", str(fit["dof"])),
            ("AICc", f"{fit['aicc']:.2f}" if fit["aicc"] is not None else "n/a"),
            ("Optimiser starts", str(fit["starts_tried"])),
        )
    )
    params = Table.from_frame(
        _param_display(result.params),
        caption="Parameters with standard errors and 95% confidence intervals",
    )
    return [facts, params]


def _stats_model_blocks(s: Mapping[str, Any]) -> list[Any]:
    """A statistical model's settings and how its intervals are made."""
    model = {k: v for k, v in s["model"].items() if v is not None}
    return [
        Facts(tuple((str(k), str(v)) for k, v in model.items())),
        Paragraph(
            "A statistical model fitted to the history alone; its intervals are empirical "
            "(scaled rolling-origin errors), and anchors are compared with them, not used "
            "to calibrate.",
            "note",
        ),
    ]


def _family_comparison(result: Result, ev: Evidence) -> Table | None:
    """The growth families fitted to the history alone, scored out of sample, with the verdict
    (None when they were not compared)."""
    comparison = ev.family_comparison
    if not ev.family_fits or comparison is None:
        return None
    year = ev.anchor.year if ev.anchor else result.scenario.horizon
    rows = []
    for sc_f in comparison.scores:
        f = sc_f.fit
        if f is None:
            continue
        rows.append(
            {
                "family": f.model.family,
                "parameters": int(sum(f.free)),
                "dof": f.dof,
                "out-of-sample error": sc_f.mean_error,
                "forecasts scored": len(sc_f.errors),
                "AICc": f.aicc,
                f"value {year}": float(f.predict([year])[0]),
            }
        )
    comp = pd.DataFrame(rows)
    val_col = comp.columns[-1]
    verdict = (
        f"best: {comparison.best} ({comparison.reason})"
        if comparison.best
        else f"no family is called best: {comparison.reason}"
    )
    return Table.from_frame(
        comp,
        caption="Growth families fitted to the history alone (no anchors), ordered by "
        "their mean one-year-ahead error (relative) refitted on the years before each "
        f"of the last ones, AICc breaking ties; {verdict}",
        formats={
            val_col: _money,
            "AICc": lambda v: f"{v:.2f}",
            "out-of-sample error": lambda v: pct(float(v)) if np.isfinite(float(v)) else "n/a",
        },
    )


def _param_display(params: pd.DataFrame) -> pd.DataFrame:
    """The parameters table with each number written in its parameter's unit (money as $1.57T,
    rates as percentages, years with two decimals)."""
    out = params.drop(columns=["scenario"]).copy()
    cols = [c for c in ("estimate", "se", "lo-95", "hi-95") if c in out]

    def fmt(v: Any, unit: str) -> str:
        if v is None or not np.isfinite(float(v)):
            return "n/a"
        if unit == "money":
            return _money(v)
        if unit == "rate":
            return pct(float(v), 2)
        return f"{float(v):.2f}" if unit == "year" else f"{float(v):.4g}"

    for c in cols:
        out[c] = [fmt(v, str(u)) for v, u in zip(out[c], out.get("unit", ""), strict=True)]
    return out


def projection_table(result: Result, ev: Evidence | None = None) -> Table:
    frame = result.projection.drop(columns=["scenario"])
    cols = [c for c in frame.columns if c != "year"]
    if isinstance(result, ScenarioResult):
        spec = result.simulation.spec
        what = (
            f"Projection by year ({_axis(result)}); mean is the point path (every layer off), "
            "median and "
            f"lo-/hi- are quantiles of {spec.draws:,} draws of {', '.join(spec.layers)}"
        )
    else:
        what = (
            f"Projection by year ({_axis(result)}); mean is the point forecast, lo-/hi- the "
            "interval bounds at each level"
        )
    return Table.from_frame(frame, caption=what, formats={**{c: _money for c in cols}, "year": str})


def mc_table(ev: Evidence) -> Table | None:
    """Percentiles of the run's draws of the total by year (when the scenario draws uncertain
    assumptions: the same draws as the projection table, at more percentiles)."""
    if ev.simulation is None or not ev.simulation.result.input_names:
        return None
    q = ev.simulation.quantiles
    wanted = set(ev.simulation.spec.quantiles)
    q = q.loc[(q["series"] == "total") & q["quantile"].isin(wanted)]
    wide = q.pivot_table(index="year", columns="quantile", values="value")
    wide.columns = [f"P{100 * c:g}" for c in wide.columns]
    frame = wide.reset_index()
    spec = ev.simulation.spec
    return Table.from_frame(
        frame,
        caption=f"Percentiles of the total by year ({ev.simulation.scenario.unit.axis_label}), "
        f"from the same {spec.draws:,} draws of "
        f"{', '.join(spec.layers)}",
        formats={**{c: _money for c in frame.columns if c != "year"}, "year": str},
    )


def sensitivity_section(ev: Evidence, figures: dict[str, Figure], command: str) -> Section:
    sens = ev.sensitivity
    if sens is None:
        return section(
            "Sensitivity",
            [
                Paragraph(
                    "This scenario has no uncertain [assumptions], so there is no sensitivity "
                    "analysis; the growth scenario global-ai-2030-uncertain shows one.",
                    "note",
                )
            ],
        )
    tornado = sens.tornado.drop(columns=["scenario"])
    sobol = sens.sobol.drop(columns=["scenario"])
    blocks: list[Any] = [
        Paragraph(
            f"How much each uncertain assumption moves the {sens.year} market size: each input "
            "from its 10th to its 90th percentile with the others at their medians (tornado), "
            "and its share of the variance (Sobol indices, first order S1 and total ST)."
        ),
        figures.get("tornado"),
        Table.from_frame(
            tornado,
            caption=f"Tornado: {sens.year} value with each input at its P10 and P90",
            formats={
                "output_at_p10": _money,
                "output_at_p90": _money,
                "output_at_medians": _money,
                "swing": _money,
                "input_p10": lambda v: f"{float(v):,.4g}",
                "input_p90": lambda v: f"{float(v):,.4g}",
                "year": str,
            },
        ),
        figures.get("spider"),
        Table.from_frame(
            sobol,
            caption="Sobol indices with 95% confidence half-widths",
            formats={c: (lambda v: f"{float(v):.3f}") for c in ("S1", "S1_conf", "ST", "ST_conf")}
            | {"year": str},
        ),
    ]
    return section("Sensitivity", blocks)


def provenance_section(result: Result, command: str, extra: dict[str, Any]) -> Section:
    prov = result.summary()["provenance"]
    packages = {**prov.get("packages", {}), **extra}
    facts = [
        ("Toolkit", f"forecast {prov['toolkit_version']}"),
        ("Python", str(prov.get("python", ""))),
        ("Packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items()))),
        ("Seed", str(prov.get("seed"))),
        ("Command", command),
    ]
    inputs = pd.DataFrame(prov["inputs"], columns=["role", "path", "sha256"])
    return section(
        "Provenance",
        [
            Facts(tuple(facts)),
            Table.from_frame(inputs, caption="Input files (paths relative to the scenario file)"),
        ],
    )


def published_table(ev: Evidence) -> Table | None:
    if ev.anchor is None or ev.estimates.empty or ev.definition is None:
        return None
    e = ev.estimates
    mask = (e["definition"] == ev.definition) & (e["year"] == ev.anchor.year)
    for col, want in ev.filters.items():
        mask &= e[col].astype(str).str.strip() == want
    same = e.loc[mask]
    if same.empty:
        return None
    same = same.sort_values(["value_usd_bn", "id"], ascending=[False, True])
    frame = same[["publisher", "title", "value_usd_bn", "kind", "confidence", "url", "id"]]
    return Table.from_frame(
        frame.rename(columns={"value_usd_bn": f"value {ev.anchor.year}"}),
        caption=f"Published {ev.anchor.year} forecasts of {_definition_words(ev.definition)} "
        "(click a column to sort)",
        formats={f"value {ev.anchor.year}": _money},
        links={"publisher": "url"},
    )


def scenario_document(
    result: Result, ev: Evidence, *, command: str, figures: dict[str, Figure] | None = None
) -> Document:
    """The report of one scenario run (money shown in the scenario's unit)."""
    with units.shown_in(result.scenario.unit):
        return _scenario_document(result, ev, command=command, figures=figures)


def _scenario_document(
    result: Result, ev: Evidence, *, command: str, figures: dict[str, Figure] | None
) -> Document:
    figs = scenario_figures(result, ev) if figures is None else figures
    sc = result.scenario
    charts = [
        figs[k] for k in ("fan", "estimates", "segments", "shares", "distribution") if k in figs
    ]
    pub = published_table(ev)
    sections: list[Section] = [
        headline(result, ev),
        section(
            "Assumptions and sources",
            [
                Table.from_frame(
                    _source_links(assumptions_table(result)),
                    caption="What the numbers rest on, each with its source",
                    links={"source": "url"},
                )
            ],
        ),
        fit_section(result, ev, figs),
        section("Projection", [projection_table(result, ev), mc_table(ev)]),
        section("Charts", [*charts, pub]),
        sensitivity_section(ev, figs, command),
        provenance_section(result, command, _plot_versions()),
    ]
    prov = dict(result.summary()["provenance"])
    prov["command"] = command
    from .summary import scenario_page

    return Document(
        title=sc.title,
        subtitle=f"Scenario {sc.name} - forecast report",
        sections=tuple(sections),
        provenance=prov,
        summary=scenario_page(result, ev, command=command, chart=figs["fan"]),
    )


def _plot_versions() -> dict[str, str]:
    """The versions of the packages that drew and wrote the report, from their installed
    metadata (the charts are drawn in worker processes: matplotlib is not loaded here)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("matplotlib", "jinja2", "openpyxl")}


def comparison_display(results: Sequence[Result], year: int) -> pd.DataFrame:
    """:func:`forecast.compare.comparison_table` with column names for readers: each scenario
    by its label (its name when it has none; the names follow in a last column when any
    scenario has a label)."""
    t = comparison_table(results, year).drop(columns=["year"])
    labelled = any(r.scenario.label for r in results)
    names = t.pop("scenario")
    t = t.rename(columns={"label": "scenario"})
    names_ = {"mean": f"{year} point", "from_year": "last actual year", "cagr": f"CAGR to {year}"}
    names_ |= {c: f"{year} {c}" for c in t.columns if str(c).startswith(("lo-", "hi-"))}
    t = t.rename(columns=names_)
    t["last actual year"] = t["last actual year"].astype("Int64")
    if labelled:
        t["scenario file"] = names
    return t


def comparison_document(
    results: Sequence[Result],
    evidences: Sequence[Evidence],
    *,
    command: str,
    title: str | None = None,
) -> Document:
    """One report comparing several scenarios: the comparison chart and table first (the table
    once: the chart is drawn without its own copy), then each scenario's headline and fan chart,
    then provenance. ``title`` replaces the generic "N scenarios compared". The scenarios must
    share one unit."""
    unit = common_unit(results)
    with units.shown_in(unit):
        return _comparison_document(results, evidences, command=command, title=title)


def common_unit(results: Sequence[Result]) -> Unit:
    """The unit every scenario of a comparison is in (one line naming two that differ)."""
    first = results[0].scenario
    for r in results[1:]:
        if r.scenario.unit != first.unit:
            raise ForecastError(
                f"report: scenarios compared must share one unit; got {first.unit.label} "
                f"({first.name}) and {r.scenario.unit.label} ({r.scenario.name})"
            )
    return first.unit


def _comparison_document(
    results: Sequence[Result],
    evidences: Sequence[Evidence],
    *,
    command: str,
    title: str | None = None,
) -> Document:
    from ..plotting import comparison_chart
    from .charts import figure
    from .summary import comparison_page

    year = comparison_year(results)
    comp = figure(
        "comparison",
        comparison_chart(list(results), year=year, title=title, table=False),
        f"Scenarios compared, values in {year}",
        f"Projections of {len(results)} scenarios with their intervals",
    )
    sections = [
        _compared_section(results, year, comp),
        *(_scenario_section(res, ev) for res, ev in zip(results, evidences, strict=True)),
        _comparison_provenance(results, command),
    ]
    heading = title or f"{len(results)} scenarios compared"
    return Document(
        title=heading,
        subtitle=", ".join(
            f"{r.scenario.label} ({r.scenario.name})" if r.scenario.label else r.scenario.name
            for r in results
        ),
        sections=tuple(sections),
        provenance={"command": command, "scenarios": [r.summary()["provenance"] for r in results]},
        summary=comparison_page(results, command=command, chart=comp, title=heading),
    )


def _compared_section(results: Sequence[Result], year: int, comp: Figure) -> Section:
    """The comparison chart and the table of values in ``year``."""
    table = comparison_display(results, year)
    money_cols = [c for c in table.columns if str(c).startswith(f"{year} ")]
    cagr_cols = [c for c in table.columns if str(c).startswith("CAGR")]
    return section(
        "Scenarios compared",
        [
            Paragraph(
                f"{len(results)} scenarios side by side; values in {year} with their "
                "intervals and the growth rate from each scenario's last actual value.",
                "lead",
            ),
            comp,
            Table.from_frame(
                table,
                caption=f"Values in {year}",
                formats={**{c: _money for c in money_cols}, **{c: pct for c in cagr_cols}},
            ),
        ],
    )


def _scenario_section(res: Result, ev: Evidence) -> Section:
    """One scenario of a comparison: its headline and fan chart."""
    from ..plotting import fan_chart
    from .charts import figure

    head = headline(res, ev)
    sc = res.scenario
    fan = figure(
        f"fan-{sc.name}",
        fan_chart(res),
        f"{sc.title}: projection with intervals",
        f"Fan chart of scenario {sc.display_name}",
    )
    heading = f"{sc.label}: {sc.title}" if sc.label else sc.title
    return section(heading, [*head.blocks, fan], id=f"scenario-{sc.name}")


def _comparison_provenance(results: Sequence[Result], command: str) -> Section:
    """Toolkit version, command, every scenario's seed and input files."""
    inputs = []
    for res in results:
        for f in res.summary()["provenance"]["inputs"]:
            inputs.append({"scenario": res.scenario.display_name, **f})
    prov0 = results[0].summary()["provenance"]
    return section(
        "Provenance",
        [
            Facts(
                (
                    ("Toolkit", f"forecast {prov0['toolkit_version']}"),
                    ("Command", command),
                    (
                        "Seeds",
                        ", ".join(f"{r.scenario.display_name} {r.scenario.seed}" for r in results),
                    ),
                )
            ),
            Table.from_frame(pd.DataFrame(inputs), caption="Input files of each scenario"),
        ],
    )
