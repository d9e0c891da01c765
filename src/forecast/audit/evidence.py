"""What a report shows beyond the run itself, computed by the core modules.

:func:`gather_evidence` collects, for one scenario result: the run's simulation (its draws, which
every figure of the report is read from) and the sensitivity tables (when the scenario has
uncertain ``[assumptions]``), each growth family fitted
to the history alone (for the model comparison), the published estimates of the scenario's
market definition, where the headline anchor sits among them, and the probability models fitted
to the history alone give to reaching it. Reports consume an :class:`Evidence`; they compute
nothing themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ForecastError
from ..families import COMPARED
from ..models import FAMILIES, GrowthFit
from ..models.select import FamilyComparison, compare_families
from ..readpolicy import toolkit_home
from ..results import ScenarioResult, StatsScenarioResult
from ..scenario import Scenario
from ..simulation import ScenarioSensitivity, ScenarioSimulation
from ..types import Anchor

Result = ScenarioResult | StatsScenarioResult

#: Families tried on the history alone for the model comparison (the registry's ``compared``).
COMPARISON_FAMILIES = COMPARED


@dataclass(frozen=True)
class Evidence:
    """Everything a scenario report shows besides the result itself."""

    anchor: Anchor | None
    definition: str | None
    estimates: pd.DataFrame
    filters: dict[str, str] = field(default_factory=dict)
    simulation: ScenarioSimulation | None = None
    sensitivity: ScenarioSensitivity | None = None
    family_fits: tuple[GrowthFit, ...] = ()
    skipped_families: tuple[tuple[str, str], ...] = ()
    family_comparison: FamilyComparison | None = None
    published: dict[str, Any] | None = None
    history_probability: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def headline_anchor(sc: Scenario) -> Anchor | None:
    """The anchor a report leads with: the first hard anchor after the history, else the first
    anchor after it, else None."""
    last = sc.last_history_year
    later = [a for a in sc.anchors if last is None or a.year > last]
    hard = [a for a in later if a.kind == "hard"]
    pick = hard or later
    return pick[0] if pick else None


DEFAULT_ESTIMATES = "data/ai_market_estimates.csv"


def estimates_file_label(sc: Scenario) -> str | None:
    """How a chart names the scenario's estimates file: ``data/<name>`` for one of the
    toolkit's own files, else its path relative to the scenario file; None without one."""
    src = sc.estimates_source
    if src is None:
        return None
    top = toolkit_home()
    data = top / "data" if top is not None else None
    real = src.path.resolve()
    if data is not None and data.resolve() in real.parents:
        return f"data/{real.relative_to(data).as_posix()}"
    return next((f.path for f in sc.inputs if f.role == "estimates"), src.path.name)


def scenario_estimates(sc: Scenario) -> pd.DataFrame:
    """The scenario's estimates file as a frame in the scenario's unit (empty when it names
    none): values converted like the history, the frame's value column always
    ``value_usd_bn`` (as in summary.json, it holds the scenario's unit)."""
    from .record import load_estimates_frame

    src = sc.estimates_source
    if src is None:
        return pd.DataFrame()
    frame = load_estimates_frame(
        src.path, value_column=src.value_column, sheet=src.sheet, header_row=src.header_row
    )
    if src.unit != sc.unit and not frame.empty:
        factors = sc.money.factors(
            [int(y) for y in frame["year"]],
            src.unit,
            what="published estimates",
            where="estimates.unit",
            record=False,
            one_rate=True,
        )
        frame["value_usd_bn"] = frame["value_usd_bn"].to_numpy(dtype=float) * factors
    return frame


def market_definition(sc: Scenario, estimates: pd.DataFrame) -> str | None:
    """The market definition the scenario measures: that of its history's cited sources, else
    of the estimates its anchors cite, else the one definition of an estimates file that holds
    only one (a user's file of their own market), else None."""
    if estimates.empty:
        return None
    hist = sc.history
    ids = list(hist.source_ids) if hist is not None else []
    defs = sorted(set(estimates.loc[estimates["id"].isin(ids), "definition"]))
    if len(defs) == 1:
        return str(defs[0])
    citations = {a.source for a in sc.anchors}
    cited = sorted(
        {
            str(r["definition"])
            for r in estimates.to_dict("records")
            if f"{r['publisher']}, {r['title']} ({r['url']})" in citations  # Estimate.citation
        }
    )
    if len(cited) == 1:
        return cited[0]
    every = sorted(set(estimates["definition"].astype(str)))
    return every[0] if len(every) == 1 and not cited else None  # a file of one market


def market_filters(sc: Scenario, estimates: pd.DataFrame) -> dict[str, str]:
    """Region and segment shared by every estimate the history cites (``{"region": "Global",
    "segment": "Total AI"}`` for the bundled history), so comparisons stay within one market."""
    hist = sc.history
    if hist is None or estimates.empty:
        return {}
    rows = estimates.loc[estimates["id"].isin(list(hist.source_ids))]
    out: dict[str, str] = {}
    for col in ("region", "segment"):
        if col in rows and not rows.empty and rows[col].nunique() == 1:
            out[col] = str(rows[col].iloc[0]).strip()
    return out


def family_fits(
    sc: Scenario,
) -> tuple[tuple[GrowthFit, ...], tuple[tuple[str, str], ...], FamilyComparison | None]:
    """Each comparison family fitted to the history alone (no anchors), ordered by
    out-of-sample error (:func:`forecast.models.select.compare_families`), the families the
    history cannot identify with the reason, and the comparison itself."""
    hist = sc.history
    if hist is None:
        return (), (), None
    names = [n for n in COMPARISON_FAMILIES if n in FAMILIES]
    comp = compare_families(hist.years, hist.values, names)
    skipped = tuple((s.family, s.reason) for s in comp.scores if s.fit is None)
    return comp.fits, skipped, comp


def base_evidence(result: Result) -> Evidence:
    """The evidence that takes no computing: the headline anchor, the published estimates of
    the market's definition and the run's own simulation. :func:`gather_evidence` adds the
    rest; the charts that need no more can be drawn meanwhile."""
    sc = result.scenario
    estimates = scenario_estimates(sc)
    return Evidence(
        anchor=headline_anchor(sc),
        definition=market_definition(sc, estimates),
        estimates=estimates,
        filters=market_filters(sc, estimates),
        # the run's own draws: one set of numbers
        simulation=result.simulation if isinstance(result, ScenarioResult) else None,
    )


def gather_evidence(
    result: Result, *, simulate: bool = True, base: Evidence | None = None
) -> Evidence:
    """Collect the evidence for ``result``'s report (see the module docstring).

    The simulation is the run's own (``result.simulation``); ``simulate=False`` skips the
    sensitivity analysis. ``base`` is :func:`base_evidence` of the same result, when it is at
    hand already.
    """
    from ..simulation import sensitivity_scenario
    from .verdict import history_probability, published_position

    sc = result.scenario
    base = base_evidence(result) if base is None else base
    anchor, definition, estimates = base.anchor, base.definition, base.estimates
    notes: list[str] = []
    sensitivity = None
    if isinstance(result, ScenarioResult):
        if simulate and sc.assumptions is not None and sc.assumptions.uncertain():
            sensitivity = sensitivity_scenario(sc)
    fits, skipped, comparison = family_fits(sc)
    published = None
    probability: list[dict[str, Any]] = []
    if anchor is not None and definition is not None and not estimates.empty:
        try:
            published = published_position(
                anchor.value, anchor.year, definition, estimates, filters=base.filters
            )
        except ForecastError as exc:
            notes.append(str(exc))
    hist = sc.history
    if anchor is not None and hist is not None and len(hist) >= 3:
        try:
            probability = list(
                history_probability(  # the audit's fixed seed: report and audit agree
                    np.asarray(hist.years),
                    np.asarray(hist.values),
                    anchor.year,
                    anchor.value,
                    fits=fits,  # the model comparison's fits to the same history
                )
            )
        except ForecastError as exc:
            notes.append(str(exc))
    return replace(
        base,
        sensitivity=sensitivity,
        family_fits=fits,
        skipped_families=skipped,
        family_comparison=comparison,
        published=published,
        history_probability=tuple(probability),
        notes=tuple(notes),
    )
