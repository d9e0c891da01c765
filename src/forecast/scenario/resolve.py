"""Resolving a validated scenario document into a :class:`~forecast.scenario.Scenario`: money
strings, files, published-estimate ids, anchors, the model (a growth curve or a statistical
model, and the settings each ignores), the simulation, and the rules across keys.

Longer than 500 lines because resolving is one pass over the document's tables, each a named step
with its own checks (history, estimates, anchors, projection, model, statistical-model rules,
simulation), and the order those checks run in decides which error a user meets first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..conversion import Conversions
from ..data import Estimate, Series, load_estimates, sha256_file
from ..errors import ForecastError, ScenarioError, message, near_miss
from ..models import FAMILIES, GrowthModel
from ..models.simulate import PathModel
from ..money import parse_rate
from ..readpolicy import ReadPolicy
from ..stats.models import StatsModel
from ..stats.registry import STATS_MODELS
from ..types import Anchor, check_levels
from ..uncertainty.propagate import Assumptions, SimulationSpec
from ..uncertainty.spec import parse_assumptions
from ..units import USD_BILLION, Unit, check_column, parse_unit
from .conversions import (
    MoneyReader,
    check_anchors_against_history,
    convert_history,
    load_history,
    money_reader,
    parse_money_reader,
    scenario_conversions,
    unit_slips,
)
from .loading import CLEARABLE, CLEARABLE_NESTED
from .origins import Origins, relative
from .parsed import EstimatesSource, InputFile, Scenario, Segment
from .schema import (
    MAX_HORIZON,
    AnchorDoc,
    EstimatesDoc,
    ModelDoc,
    ProjectionDoc,
    ScenarioDoc,
    SimulationDoc,
)
from .segments import parse_segments, segment_series


@dataclass(frozen=True)
class _Context:
    """What every step of resolving one document reads: where each key was set, the read policy,
    the scenario file's folder, its money unit, conversions and money reader."""

    at: Origins
    policy: ReadPolicy
    home: Path
    unit: Unit
    conv: Conversions
    read: MoneyReader


def resolve_document(
    doc: ScenarioDoc, path: Path, at: Origins, raw: Mapping[str, Any], policy: ReadPolicy
) -> Scenario:
    home = path.parent
    inputs = [
        InputFile("scenario" if i == 0 else "extends", relative(p, home), sha256_file(p))
        for i, p in enumerate(at.chain)
    ]
    unit = parse_unit(doc.unit, where=f"{at('unit')}: unit")
    conv = scenario_conversions(doc, unit, at, policy, home)
    read = money_reader(unit, conv, doc.rates is not None and doc.rates.convert)
    ctx = _Context(at, policy, home, unit, conv, read)

    history = _history(doc, ctx, inputs)
    estimates, est_source = _estimates(doc, ctx, inputs)
    anchors = _anchors(doc, ctx, estimates, history)
    slips = unit_slips(anchors, history, unit)
    model = _model(doc.model, at, read)
    proj = doc.projection
    last = int(history.years[-1]) if history is not None else min(a.year for a in anchors)
    levels = _check_projection(proj, last, at)

    segments = parse_segments(doc.segments, at("segments"))
    if doc.segment_history is not None or any(sg.history is not None for sg in doc.segments):
        segments = segment_series(doc, segments, at, policy, conv, inputs, home)
    notes: tuple[str, ...] = ()
    if isinstance(model, StatsModel):
        notes = _growth_settings_for_stats(raw, model, at)
        _check_stats_scenario(model, history, proj, levels, at)
        assumptions = None
        simulation = _simulation(SimulationDoc(), proj, last, at, read)
    else:
        assumptions = _assumptions(doc, ctx, model, anchors, segments, history, estimates)
        simulation = _simulation(doc.simulation, proj, last, at, read)
    inputs += [InputFile(role, relative(p, home), sha) for role, p, sha in conv.inputs]
    return Scenario(
        name=doc.name,
        title=doc.title or doc.name,
        description=doc.description,
        unit=unit,
        path=path,
        history=history,
        history_source=doc.history.source if doc.history else "",
        anchors=anchors,
        model=model,
        horizon=proj.horizon,
        levels=levels,
        draws=proj.draws,
        seed=proj.seed,
        report_years=tuple(proj.report_years),
        segment_dimension=doc.segment_dimension,
        segments=segments,
        assumptions=assumptions,
        simulation=simulation,
        inputs=tuple(inputs),
        paths=PathModel(start=proj.start),
        segment_reconcile=doc.segment_history.reconcile if doc.segment_history else None,
        segment_family=doc.segment_history.family if doc.segment_history else None,
        document=dict(raw),
        warnings=(*notes, *dict.fromkeys(conv.warnings), *slips),
        conversions=tuple(conv.notes),
        money=conv,
        estimates_source=est_source,
        label=doc.label,
    )


def _history(doc: ScenarioDoc, ctx: _Context, inputs: list[InputFile]) -> Series | None:
    """The ``[history]`` series in the scenario's unit (its file added to ``inputs``); its last
    year is the rate year unless ``[rates]`` set one."""
    if doc.history is None:
        return None
    conv = ctx.conv
    history = load_history(doc.history, ("history",), ctx.at, ctx.policy, conv)
    inputs.append(InputFile("history", relative(doc.history.file, ctx.home), history.sha256))
    if conv.rate_year is None:
        conv.rate_year = int(history.years[-1])
    return convert_history(history, doc.history, ("history",), ctx.at, conv)


def _estimates(
    doc: ScenarioDoc, ctx: _Context, inputs: list[InputFile]
) -> tuple[dict[str, Estimate], EstimatesSource | None]:
    """The published estimates by id in the scenario's unit, and where they came from (their
    file added to ``inputs``)."""
    if doc.estimates is None:
        return {}, None
    at = ctx.at
    e = EstimatesDoc(file=doc.estimates) if isinstance(doc.estimates, str) else doc.estimates
    key = "estimates" if isinstance(doc.estimates, str) else "estimates.file"
    where_est = f"{at('estimates')}: estimates"
    est_unit = parse_unit(e.unit, where=f"{where_est}.unit")
    check_column(e.value_column, est_unit, where=f"{where_est}.value_column")
    try:
        estimates = load_estimates(
            e.file,
            policy=ctx.policy,
            value_column=e.value_column,
            sheet=e.sheet,
            header_row=e.header_row,
        )
    except ForecastError as exc:
        raise type(exc)(f"{at('estimates')}: {key}: {exc}") from None
    inputs.append(InputFile("estimates", relative(e.file, ctx.home), sha256_file(Path(e.file))))
    est_source = EstimatesSource(Path(e.file), est_unit, e.value_column, e.sheet, e.header_row)
    if estimates and est_unit != ctx.unit:
        ids = sorted(estimates)
        factors = ctx.conv.factors(
            [estimates[i].year for i in ids],
            est_unit,
            what="published estimates",
            where=f"{where_est}.unit",
            one_rate=True,
        )
        estimates = {
            i: replace(estimates[i], value=estimates[i].value * float(f))
            for i, f in zip(ids, factors, strict=True)
        }
    return estimates, est_source


def _anchors(
    doc: ScenarioDoc, ctx: _Context, estimates: Mapping[str, Estimate], history: Series | None
) -> tuple[Anchor, ...]:
    """The ``[[anchors]]``, checked against each other and the history; a scenario needs a
    history or at least one anchor."""
    at = ctx.at
    where_anchors = at("anchors")
    anchors = tuple(
        _anchor(a, i, where_anchors, estimates, history, ctx.read, ctx.unit)
        for i, a in enumerate(doc.anchors)
    )
    _check_anchor_years(anchors, history, where_anchors)
    if history is None and not anchors:
        raise ScenarioError(
            f"{at()}: a scenario needs a [history] or at least one [[anchors]] entry; got neither"
        )
    check_anchors_against_history(anchors, history, ctx.unit, where_anchors)
    return anchors


def _check_projection(proj: ProjectionDoc, last: int, at: Origins) -> tuple[float, ...]:
    """The ``[projection]`` horizon and report years against the last history year; returns
    the checked interval levels."""
    if proj.horizon > last + MAX_HORIZON:
        raise ScenarioError(
            f"{at('projection', 'horizon')}: projection.horizon must be at most {MAX_HORIZON} "
            f"years after the last history year ({last}); got {proj.horizon}"
        )
    if proj.horizon <= last:
        raise ScenarioError(
            f"{at('projection', 'horizon')}: projection.horizon must come after the last history "
            f"year ({last}); got {proj.horizon}"
        )
    try:
        levels = check_levels(proj.levels, "projection.levels")
    except ForecastError as exc:
        raise ScenarioError(f"{at('projection', 'levels')}: {exc}") from None
    for y in proj.report_years:
        if not last <= y <= proj.horizon:
            raise ScenarioError(
                f"{at('projection', 'report_years')}: projection.report_years must lie between "
                f"{last} and the horizon {proj.horizon}; got {y}"
            )
    return levels


def _assumptions(
    doc: ScenarioDoc,
    ctx: _Context,
    model: GrowthModel,
    anchors: tuple[Anchor, ...],
    segments: tuple[Segment, ...],
    history: Series | None,
    estimates: Mapping[str, Estimate],
) -> Assumptions | None:
    """The ``[assumptions]`` and ``[correlation]`` of a growth-curve scenario."""
    return parse_assumptions(
        doc.assumptions,
        doc.correlation,
        family=model.spec,
        anchors=anchors,
        segment_names=[seg.name for seg in segments],
        has_history=history is not None,
        estimates=estimates,
        at=ctx.at,
        base_year=int(history.years[-1]) if history is not None else None,
        read_money=ctx.read,
        money_unit=ctx.unit,
    )


def _anchor(
    a: AnchorDoc,
    i: int,
    where: str,
    estimates: Mapping[str, Estimate],
    history: Series | None,
    read: MoneyReader = parse_money_reader,
    unit: Unit = USD_BILLION,
) -> Anchor:
    """One anchor: its year and value as written or from its estimate id, its source and its
    tolerance, each checked."""
    key = f"{where}: anchors[{i}]"
    year, value, source = a.year, None, a.source
    if a.value is not None:
        value = read(a.value, f"{key}.value")
    if a.estimate is not None:
        est = _anchor_estimate(a, key, value, estimates, history, unit)
        year, value = est.year, est.value
        source = source or est.citation
    if year is None or value is None:
        missing = "year" if year is None else "value"
        raise ScenarioError(
            f"{key}.{missing}: an anchor needs a year and a value, or an estimate id; got no "
            f"{missing}"
        )
    if not source:
        raise ScenarioError(
            f"{key}.source: every anchor must cite a source (write 'unsourced: ...' when none "
            "stands behind it); got nothing"
        )
    label = a.label or f"{year}"
    return Anchor(
        year=int(year),
        value=float(value),
        kind=a.kind,
        tolerance=_anchor_tolerance(a, key),
        source=source,
        label=label,
    )


def _anchor_estimate(
    a: AnchorDoc,
    key: str,
    value: float | None,
    estimates: Mapping[str, Estimate],
    history: Series | None,
    unit: Unit,
) -> Estimate:
    """The estimate an anchor names by id, checked against the anchor's own year and value and
    against the history's market definition."""
    assert a.estimate is not None
    if not estimates:
        raise ScenarioError(
            f"{key}.estimate: needs a top-level 'estimates' file to look ids up in; got "
            f"{a.estimate!r} with no estimates file"
        )
    est = estimates.get(a.estimate)
    if est is None:
        raise ScenarioError(
            message(
                f"{key}.estimate",
                "must be an id in the estimates file",
                a.estimate,
                near_miss(a.estimate, estimates),
            )
        )
    if a.year is not None and a.year != est.year:
        raise ScenarioError(
            f"{key}.year: must match the year of estimate {est.id} ({est.year}); got {a.year}"
        )
    if value is not None and not np.isclose(value, est.value, rtol=1e-9):
        raise ScenarioError(
            message(
                f"{key}.value",
                f"must match estimate {est.id} ({est.value:g} "
                f"{unit.scale_word if unit.currency == 'USD' else unit.label})",
                a.value,
            )
        )
    if history is not None and history.source_ids and not a.allow_other_definition:
        defs = {estimates[s].definition for s in history.source_ids if s in estimates}
        if defs and est.definition not in defs:
            raise ScenarioError(
                f"{key}.estimate: must measure the same definition as the history "
                f"({', '.join(sorted(defs))}); got {est.definition!r} ({est.id}); comparing "
                "definitions is the classic sizing error (set allow_other_definition = true "
                "to override)"
            )
    return est


def _anchor_tolerance(a: AnchorDoc, key: str) -> float | None:
    """A soft anchor's tolerance as a fraction (None for a hard anchor, which takes none)."""
    if a.kind == "soft":
        if a.tolerance is None:
            raise ScenarioError(
                f"{key}.tolerance: a soft anchor needs a tolerance such as '10%'; got nothing"
            )
        tol = parse_rate(a.tolerance, where=f"{key}.tolerance")
        if not 0 < tol < 10:
            raise ScenarioError(
                message(
                    f"{key}.tolerance", "must be a positive percentage below 1000%", a.tolerance
                )
            )
        return tol
    if a.tolerance is not None:
        raise ScenarioError(
            message(
                f"{key}.tolerance",
                "only soft anchors take a tolerance (set kind = 'soft')",
                a.tolerance,
            )
        )
    return None


def _check_anchor_years(anchors: tuple[Anchor, ...], history: Series | None, where: str) -> None:
    seen: set[int] = set()
    for i, a in enumerate(anchors):
        if a.year in seen:
            raise ScenarioError(
                f"{where}: anchors[{i}].year: anchor years must not repeat; got {a.year} twice"
            )
        seen.add(a.year)
        if history is not None and a.year < history.years[0]:
            raise ScenarioError(
                f"{where}: anchors[{i}].year: an anchor must not come before the history starts "
                f"({int(history.years[0])}); got {a.year}"
            )


def _param_value(
    raw: str | float | int, unit: str, key: str, read: MoneyReader = parse_money_reader
) -> float:
    if unit == "money":
        return read(raw, key)
    if unit == "rate" and isinstance(raw, str):
        return parse_rate(raw, where=key)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ScenarioError(message(key, "must be a number", raw))
    return float(raw)


def _model(
    m: ModelDoc, at: Origins, read: MoneyReader = parse_money_reader
) -> GrowthModel | StatsModel:
    if m.family in STATS_MODELS:  # a statistical model: fitted to the history alone
        return STATS_MODELS[m.family]()  # growth-curve settings: _growth_settings_for_stats
    if m.family not in FAMILIES:
        known = [*FAMILIES, *STATS_MODELS]
        raise ScenarioError(
            message(
                f"{at('model', 'family')}: model.family",
                f"must be one of {', '.join(known)}",
                m.family,
                near_miss(m.family, known),
            )
        )
    fam = FAMILIES[m.family]
    units = dict(zip(fam.params, fam.units, strict=True))
    bounds: dict[str, tuple[float, float]] = {}
    fixed: dict[str, float] = {}
    for table, name in [*(("bounds", n) for n in m.bounds), *(("fixed", n) for n in m.fixed)]:
        if name not in units:
            raise ScenarioError(
                message(
                    f"{at('model', table, name)}: model.{table}.{name}",
                    f"must name a parameter of {m.family} ({', '.join(fam.params)})",
                    name,
                    near_miss(name, fam.params),
                )
            )
    for name, (lo_raw, hi_raw) in m.bounds.items():
        key = f"{at('model', 'bounds', name)}: model.bounds.{name}"
        lo = _param_value(lo_raw, units[name], key, read)
        hi = _param_value(hi_raw, units[name], key, read)
        if lo > hi:
            raise ScenarioError(f"{key}: low must not exceed high; got [{lo_raw!r}, {hi_raw!r}]")
        bounds[name] = (lo, hi)
    for name, raw in m.fixed.items():
        fixed[name] = _param_value(
            raw, units[name], f"{at('model', 'fixed', name)}: model.fixed.{name}", read
        )
    try:
        return GrowthModel(family=m.family, error=m.error, bounds=bounds, fixed=fixed)
    except ForecastError as exc:
        raise ScenarioError(f"{at('model')}: {exc}") from None


STATS_MIN_POINTS = 3


STATS_MAX_HORIZON = 30


# settings of growth-curve scenarios a statistical model ignores, with the rule for the message
_GROWTH_ONLY: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("model", "error"), "model.error", "the error model of a curve fit"),
    (("model", "bounds"), "model.bounds", "bounds on curve parameters"),
    (("model", "fixed"), "model.fixed", "fixed curve parameters"),
    (("assumptions",), "assumptions", "drawing assumptions needs a growth-curve family"),
    (("correlation",), "correlation", "correlates drawn assumptions"),
    (("simulation",), "simulation", "Monte Carlo over assumptions drawn through a curve"),
    (
        ("projection", "start"),
        "projection.start",
        "where a curve's paths start; a statistical model always starts from the history",
    ),
)


def _growth_settings_for_stats(
    raw: Mapping[str, Any], model: StatsModel, at: Origins
) -> tuple[str, ...]:
    """Refuse growth-curve settings written in a statistical-model scenario's own file; drop
    those inherited through ``extends`` and return a warning naming them."""
    inherited: dict[Path, list[str]] = {}
    for keys, label, rule in _GROWTH_ONLY:
        node: Any = raw
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None or (isinstance(node, Mapping) and not node):
            continue  # not set, or cleared with an empty table
        file = at.setter(*keys)
        if file is None or file == at.chain[0]:
            got = sorted(node) if isinstance(node, Mapping) else node
            raise ScenarioError(
                message(
                    f"{at(*keys)}: {label}",
                    f"applies to growth curves ({rule}), not to the statistical model "
                    f"{model.name!r}; remove it from this file",
                    got,
                )
            )
        inherited.setdefault(file, []).append(label)
    out = []
    for file, labels in inherited.items():
        one = len(labels) == 1
        clear = [f"{label} = {{}}" for label in labels if label in (*CLEARABLE, *CLEARABLE_NESTED)]
        hint = f" ({', '.join(clear)} in this file clears it)" if clear else ""
        out.append(
            f"{', '.join(labels)} inherited from {file.name} appl{'ies' if one else 'y'} to "
            f"growth curves only; the statistical model {model.name!r} ignores "
            f"{'it' if one else 'them'}{hint}"
        )
    return tuple(out)


def _check_stats_scenario(
    model: StatsModel,
    history: Series | None,
    proj: ProjectionDoc,
    levels: tuple[float, ...],
    at: Origins,
) -> None:
    """Rules for scenarios forecast by a statistical model (it extrapolates the history alone,
    one year after the last history year onwards)."""
    name = model.name
    if history is None or len(history) < STATS_MIN_POINTS:
        got = 0 if history is None else len(history)
        raise ScenarioError(
            f"{at('model', 'family')}: model.family: a statistical model needs at least "
            f"{STATS_MIN_POINTS} history points to estimate a trend and its errors; got {got} "
            f"for {name!r}"
        )
    last = int(history.years[-1])
    if proj.horizon > last + STATS_MAX_HORIZON:
        raise ScenarioError(
            f"{at('projection', 'horizon')}: projection.horizon: a statistical model "
            f"extrapolates at most {STATS_MAX_HORIZON} years past the history ({last}); got "
            f"{proj.horizon}"
        )
    if max(levels) > 99:
        raise ScenarioError(
            f"{at('projection', 'levels')}: projection.levels: empirical intervals of "
            f"statistical models go up to 99%; got {max(levels):g}"
        )
    for y in proj.report_years:
        if y <= last:
            raise ScenarioError(
                f"{at('projection', 'report_years')}: projection.report_years: a statistical "
                f"model's projection starts after the last history year ({last}); got {y}"
            )


def _simulation(
    sim: SimulationDoc,
    proj: ProjectionDoc,
    last: int,
    at: Origins,
    read: MoneyReader = parse_money_reader,
) -> SimulationSpec:
    where = f"{at('simulation')}: simulation"
    for q in sim.quantiles:
        if not 0 < float(q) < 1:
            raise ScenarioError(
                message(f"{where}.quantiles", "every quantile must be in (0, 1)", q)
            )
    if sim.metric_year is not None and not last < sim.metric_year <= proj.horizon:
        raise ScenarioError(
            f"{where}.metric_year: must lie after {last} and by the horizon {proj.horizon}; got "
            f"{sim.metric_year}"
        )
    if sim.sampler == "sobol" and sim.draws & (sim.draws - 1):
        raise ScenarioError(
            f"{where}.draws: Sobol sampling needs a power of two (such as 16384 or 32768); got "
            f"{sim.draws}"
        )
    cross = tuple(read(c, f"{where}.cross") for c in sim.cross)
    return SimulationSpec(
        draws=sim.draws,
        sampler=sim.sampler,
        seed=proj.seed if sim.seed is None else sim.seed,
        layers=tuple(dict.fromkeys(sim.layers)),
        quantiles=tuple(sorted({float(q) for q in sim.quantiles})),
        cross=cross,
        metric_year=sim.metric_year,
    )
