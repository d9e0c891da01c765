"""Results in a notebook: the short text a result prints as and its HTML view.

``repr(result)`` is a few lines (scenario, model, unit, the key years with their widest
interval); ``result._repr_html_()`` is the headline, a table of the key years with every
interval and the fan chart as an inline PNG. Every text taken from a scenario or data file is
escaped (:func:`html.escape`; control characters shown as ``\\uXXXX``, as everywhere else): a
scenario titled ``<script>`` shows that text. matplotlib is imported only for the chart.
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING, Any

from .. import units
from .._textfmt import money, pct
from ..errors import ForecastError, visible

if TYPE_CHECKING:
    from ..projection import BaseScenarioResult, ScenarioSimulation

# the PNG of the inline chart: 960 x 540 pixels, enough for a notebook cell
_CHART_DPI = 72


def _e(text: object) -> str:
    return html.escape(visible(str(text)), quote=True)


def _levels(result: BaseScenarioResult) -> list[float]:
    proj = result.projection
    found = {float(c[3:]) for c in proj.columns if str(c).startswith("lo-")}
    return sorted(lv for lv in found if proj[f"lo-{lv:g}"].notna().any())


def _model(result: BaseScenarioResult) -> str:
    from ..projection import ScenarioResult

    if isinstance(result, ScenarioResult):
        return f"{result.fit.model.family} curve"
    return f"statistical model {result._model_label()}"


def _key_years(result: BaseScenarioResult) -> tuple[int, ...]:
    return result.report_years or (result.scenario.horizon,)


def _value_text(result: BaseScenarioResult, year: int, levels: list[float]) -> str:
    v = result.value_at(year)
    text = f"{year} {money(v['mean'])}"
    if levels:
        lv = levels[-1]  # the widest interval
        text += f" ({lv:g}%: {money(v[f'lo-{lv:g}'])}–{money(v[f'hi-{lv:g}'])})"
    return text


def result_repr(result: BaseScenarioResult) -> str:
    """A few lines: the kind of result, scenario and label, model and unit, then the key years
    (anchor years and the horizon) with the point path and the widest interval."""
    sc = result.scenario
    label = f" ({visible(sc.label)})" if sc.label else ""
    levels = _levels(result)
    with units.shown_in(sc.unit):
        years = "; ".join(_value_text(result, y, levels) for y in _key_years(result))
    head = f"<{type(result).__name__} {visible(sc.name)}{label}: {_model(result)}, {sc.unit.label}"
    return f"{head}\n  {years}>"


def simulation_repr(sim: ScenarioSimulation) -> str:
    """One line for a scenario's simulation (draws, layers, sampler, seed) and one per anchor
    with the probability of reaching it."""
    r, spec = sim.result, sim.spec
    head = (
        f"<ScenarioSimulation {visible(sim.scenario.name)}: {r.draws:,} draws ({r.valid:,} valid) "
        f"of {', '.join(spec.layers) or 'no layer'}; sampler {spec.sampler}, seed {spec.seed}"
    )
    lines = [head]
    with units.shown_in(sim.scenario.unit):
        for row in r.anchors:
            p = row.get("probability")
            lines.append(
                f"  P({row.get('year')} >= {money(row.get('value_usd_bn'))}) = "
                + (f"{p:.3f}" if isinstance(p, float) else "n/a")
            )
    return "\n".join(lines) + ">"


def _table(result: BaseScenarioResult, levels: list[float]) -> str:
    cols = ["mean", "median"] + [f"{side}-{lv:g}" for lv in levels for side in ("lo", "hi")]
    head = "".join(f"<th>{_e(c)}</th>" for c in ["year", *cols])
    proj = result.projection
    years = sorted({int(proj["year"].iloc[0]), *_key_years(result)})
    rows = []
    for y in years:
        v = result.value_at(y)
        cells = "".join(f"<td>{_e(money(v.get(c)))}</td>" for c in cols)
        rows.append(f"<tr><td>{y}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _chart(result: BaseScenarioResult) -> str:
    from ..plotting import fan_chart, figure_bytes

    try:
        png = figure_bytes(fan_chart(result), "png", dpi=_CHART_DPI)  # type: ignore[arg-type]
    except ForecastError as exc:
        return f"<p><em>No fan chart: {_e(exc)}</em></p>"
    data = base64.b64encode(png).decode("ascii")
    alt = _e(f"Fan chart: {result.scenario.title}")
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" style="max-width:100%">'


def result_html(result: BaseScenarioResult, *, chart: bool = True) -> str:
    """The notebook view: title and model, the headline (growth to each key year and the
    widest interval), a table of the first projection year and the key years with every
    interval, and the fan chart (``chart=False`` leaves it out)."""
    sc = result.scenario
    levels = _levels(result)
    with units.shown_in(sc.unit):
        start, _, basis = result.growth_basis()
        growth = [
            f"{_e(_value_text(result, y, levels))}, {pct(result.cagr_to(y))} a year from the "
            f"{_e(basis)}"
            for y in _key_years(result)
            if y > start
        ]
        table = _table(result, levels)
    parts = [
        f"<div><p><strong>{_e(sc.title)}</strong> ({_e(sc.display_name)}): "
        f"{_e(_model(result))}; every amount in {_e(sc.unit.label)}</p>",
        f"<p>{'<br>'.join(growth)}</p>" if growth else "",
        table,
        _chart(result) if chart else "",
        "</div>",
    ]
    return "".join(parts)


def simulation_html(sim: ScenarioSimulation) -> str:
    """A simulation's notebook view: its one-line head and a table of the anchors' probabilities
    with their Monte Carlo standard errors."""
    head, *_ = simulation_repr(sim).split("\n")
    rows = []
    with units.shown_in(sim.scenario.unit):
        for row in sim.result.anchors:
            cells = [
                row.get("label") or "",
                row.get("year"),
                money(row.get("value_usd_bn")),
                _cell(row.get("probability")),
                _cell(row.get("mc_se")),
            ]
            rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells) + "</tr>")
    table = (
        "<table><thead><tr><th>anchor</th><th>year</th><th>value</th><th>P(reached)</th>"
        f"<th>MC s.e.</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else ""
    )
    return f"<div><p>{_e(head.lstrip('<'))}</p>{table}</div>"


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)
