"""Results in a notebook: the HTML view of a scenario result and of a simulation.

``result._repr_html_()`` is the headline, a table of the key years with every interval and the
fan chart as an inline PNG. Every text taken from a scenario or data file is escaped
(:func:`html.escape`; control characters shown as ``\\uXXXX``, as everywhere else): a scenario
titled ``<script>`` shows that text. matplotlib is imported only for the chart.

The view sits above :mod:`forecast.projection` (it draws the fan chart), so the results do not
import it: it registers itself with :func:`forecast.results.register_html_view` when imported,
which the package does when a result's name (``forecast.run_scenario``) is first taken from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import units
from ._textfmt import money, pct
from .errors import ForecastError, visible
from .results import register_html_view

if TYPE_CHECKING:
    from .results import BaseScenarioResult, ScenarioSimulation

# the PNG of the inline chart: 960 x 540 pixels, enough for a notebook cell
_CHART_DPI = 72


def _e(text: object) -> str:
    import html  # here, not at the top: import forecast stays as light as it was

    return html.escape(visible(str(text)), quote=True)


def _table(result: BaseScenarioResult, levels: list[float]) -> str:
    cols = ["mean", "median"] + [f"{side}-{lv:g}" for lv in levels for side in ("lo", "hi")]
    head = "".join(f"<th>{_e(c)}</th>" for c in ["year", *cols])
    proj = result.projection
    years = sorted({int(proj["year"].iloc[0]), *result._key_years()})
    rows = []
    for y in years:
        v = result.value_at(y)
        cells = "".join(f"<td>{_e(money(v.get(c)))}</td>" for c in cols)
        rows.append(f"<tr><td>{y}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _chart(result: BaseScenarioResult) -> str:
    from .plotting import fan_chart, figure_bytes

    try:
        png = figure_bytes(fan_chart(result), "png", dpi=_CHART_DPI)  # type: ignore[arg-type]
    except ForecastError as exc:
        return f"<p><em>No fan chart: {_e(exc)}</em></p>"
    import base64

    data = base64.b64encode(png).decode("ascii")
    alt = _e(f"Fan chart: {result.scenario.title}")
    return f'<img src="data:image/png;base64,{data}" alt="{alt}" style="max-width:100%">'


def result_html(result: BaseScenarioResult, *, chart: bool = True) -> str:
    """The notebook view: title and model, the headline (growth to each key year and the
    widest interval), a table of the first projection year and the key years with every
    interval, and the fan chart (``chart=False`` leaves it out)."""
    sc = result.scenario
    levels = result._levels()
    with units.shown_in(sc.unit):
        start, _, basis = result.growth_basis()
        growth = [
            f"{_e(result._value_text(y, levels))}, {pct(result.cagr_to(y))} a year from the "
            f"{_e(basis)}"
            for y in result._key_years()
            if y > start
        ]
        table = _table(result, levels)
    parts = [
        f"<div><p><strong>{_e(sc.title)}</strong> ({_e(sc.display_name)}): "
        f"{_e(result._model_text())}; every amount in {_e(sc.unit.label)}</p>",
        f"<p>{'<br>'.join(growth)}</p>" if growth else "",
        table,
        _chart(result) if chart else "",
        "</div>",
    ]
    return "".join(parts)


def simulation_html(sim: ScenarioSimulation) -> str:
    """A simulation's notebook view: its one-line head and a table of the anchors' probabilities
    with their Monte Carlo standard errors."""
    head, *_ = repr(sim).split("\n")
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


register_html_view(result_html, simulation_html)
