"""The charts of a scenario report, drawn by :mod:`forecast.plotting` and turned into
:class:`~forecast.report.document.Figure` blocks (PNG and SVG bytes)."""

from __future__ import annotations

from typing import Any

from ..evidence import Evidence
from ..projection import ScenarioResult, StatsScenarioResult
from .document import Figure

Result = ScenarioResult | StatsScenarioResult


def figure(name: str, fig: Any, caption: str, alt: str) -> Figure:
    """A Figure block from a matplotlib figure (laid out once, rendered to PNG and SVG)."""
    from ..plotting.export import figure_files

    out = figure_files(fig, ("png", "svg"))
    return Figure(name, out["png"], caption, alt, svg=out["svg"])


def scenario_figures(result: Result, ev: Evidence) -> dict[str, Figure]:
    """Every chart that applies to this scenario, by short name."""
    from ..plotting import (
        distribution_chart,
        estimates_chart,
        fan_chart,
        model_comparison_chart,
        segments_chart,
        shares_chart,
        spider_chart,
        tornado_chart,
    )

    sc = result.scenario
    out: dict[str, Figure] = {}
    out["fan"] = figure(
        "fan",
        fan_chart(result),
        _fan_caption(result, ev),
        f"Fan chart of the {sc.name} projection to {sc.horizon}",
    )
    if ev.definition is not None and not ev.estimates.empty:
        claim = (ev.anchor.year, ev.anchor.value, ev.anchor.label) if ev.anchor else None
        out["estimates"] = figure(
            "estimates",
            estimates_chart(
                ev.estimates,
                definition=ev.definition,
                result=result,
                claim=claim,
                region=ev.filters.get("region"),
                source=estimates_source(sc),
            ),
            "Published estimates of the same market definition, by publisher and edition, "
            "against this projection.",
            "Published estimates and the projection",
        )
    if not result.segments.empty:
        out["segments"] = figure(
            "segments",
            segments_chart(result),
            "Segment paths, stacked to the total.",
            "Stacked area chart of the segments",
        )
        out["shares"] = figure(
            "shares",
            shares_chart(result),
            "Segment shares over time.",
            "Segment shares by year",
        )
    if (
        ev.simulation is not None
        and ev.simulation.result.anchor_draws
        and ev.simulation.result.input_names  # a probability over uncertain assumptions
        and isinstance(result, ScenarioResult)
        and result.no_intervals is None
    ):
        out["distribution"] = figure(
            "distribution",
            distribution_chart(ev.simulation),
            "Distribution of the simulated market size, with the anchor and its probability.",
            "Histogram of simulated values",
        )
    if ev.sensitivity is not None:
        out["tornado"] = figure(
            "tornado",
            tornado_chart(ev.sensitivity),
            f"Swing of the {ev.sensitivity.year} value as each input moves from P10 to P90.",
            "Tornado chart",
        )
        out["spider"] = figure(
            "spider",
            spider_chart(ev.sensitivity),
            f"The {ev.sensitivity.year} value as each input moves through its percentiles.",
            "Spider chart",
        )
    hist = sc.history
    if hist is not None and ev.family_fits:
        out["models"] = figure(
            "models",
            model_comparison_chart(
                hist.years,
                hist.values,
                list(ev.family_fits),
                horizon=ev.anchor.year if ev.anchor else None,
                comparison=ev.family_comparison,
            ),
            "Growth families fitted to the history alone (no anchors), carried on dashed; "
            "in the legend, each family's mean one-year-ahead error refitted on the years "
            "before each of the last ones, and its AICc (n/a when there are too few points).",
            "Model comparison chart",
        )
    return out


def estimates_source(sc: Any) -> str:
    """The estimates chart's source line: the scenario's estimates file."""
    from pathlib import PurePath

    files = [f.path for f in sc.inputs if f.role == "estimates"]
    where = PurePath(files[0]).name if files else "the scenario's estimates file"
    return f"published estimates in {where} (each row cites its URL)"


def _fan_caption(result: Result, ev: Evidence) -> str:
    """Say what the fan chart draws: which bands, history points, anchors."""

    sc = result.scenario
    levels = sorted(float(c[3:]) for c in result.projection.columns if str(c).startswith("lo-"))
    finite = levels and result.projection[f"lo-{levels[0]:g}"].notna().any()
    if finite and isinstance(result, ScenarioResult):
        spec = result.simulation.spec
        bands = (
            f"point path with {', '.join(f'{lv:g}%' for lv in levels)} intervals from "
            f"{spec.draws:,} draws of {', '.join(spec.layers)}, starting from the last actual "
            "value"
            if result.scenario.paths.start == "actual" and result.scenario.history is not None
            else f"point path with {', '.join(f'{lv:g}%' for lv in levels)} intervals from "
            f"{spec.draws:,} draws of {', '.join(spec.layers)}"
        )
    elif finite:
        bands = f"projection with {', '.join(f'{lv:g}%' for lv in levels)} prediction intervals"
    else:
        bands = "projection without intervals"
    smoothed = (
        " Band edges are smoothed across years for drawing only (a local quadratic over "
        "5 years); the tables, projection.csv and summary.json give the draws' quantiles."
        if finite and isinstance(result, ScenarioResult)
        else ""
    )
    extras = []
    if sc.history is not None:
        extras.append("reported history points")
    if sc.anchors:
        extras.append("anchors marked")
    return (
        bands[:1].upper()
        + bands[1:]
        + ("; " + " and ".join(extras) if extras else "")
        + "."
        + smoothed
    )
