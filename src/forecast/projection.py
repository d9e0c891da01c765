"""Running a scenario: fit, calibrate, project, split into segments, summarise.

:func:`run_scenario` takes a parsed :class:`~forecast.scenario.Scenario` and returns a
:class:`ScenarioResult` (a growth curve, fitted and calibrated) or a
:class:`StatsScenarioResult` (a statistical model fitted to the history alone). Both derive from
:class:`BaseScenarioResult` and have the same shape:

* ``projection``: long format over (scenario, year): ``mean`` (the point forecast), ``median``
  and ``lo-<L>``/``hi-<L>``. For a growth curve ``median`` is the median of the bootstrap draws;
  for a statistical model it is the point forecast plus the series' scale times the 50%
  quantile of the scaled rolling-origin errors (the errors are skewed, so it is not the mean).
* ``params``: one row per parameter: ``scenario``, ``param``, ``unit``, ``estimate``, ``se``,
  ``lo-95``, ``hi-95``, ``fixed``, ``at_bound`` (statistical models give no standard errors:
  NaN; see :mod:`forecast.stats.params` for what they report).
* ``summary()``: the same top-level keys (``scenario``, ``title``, ``description``, ``unit``,
  ``model``, ``history``, ``anchors``, ``fit``, ``derived``, ``report_years``, ``projection``,
  ``segments``, ``warnings``, ``provenance``) and the same keys inside ``model``, ``fit`` and
  ``projection``; a key that has no meaning for the kind of model is null. ``derived`` holds
  ``cagr_<last>_<year>``: growth from the last actual history value to the projection's mean
  (``cagr_basis`` says so); a growth curve adds ``fitted_cagr_<first>_<year>`` from the fitted
  curve's own value in the projection's first year.

Nothing here writes files or prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import FitError
from .models import GrowthFit, GrowthModel
from .models.simulate import noise_scale
from .results import (  # noqa: F401 - the results, importable from here as before
    _EMPTY,
    BaseScenarioResult,
    ScenarioResult,
    ScenarioSimulation,
    StatsScenarioResult,
    provenance,
    segment_reconciliation,
)
from .scenario import Scenario, load_scenario
from .stats.batch import forecast_batch
from .stats.frames import clean_series
from .stats.models import StatsModel
from .stats.params import param_rows
from .stats.registry import get_model
from .types import interval_columns
from .uncertainty.propagate import (
    Segments,
    SimulationResult,
    SimulationSpec,
)
from .uncertainty.run import simulate
from .uncertainty.segment_histories import SegmentHistories, segment_histories

PARAM_COLUMNS = ("param", "unit", "estimate", "se", "lo-95", "hi-95", "fixed", "at_bound")


def metric_year(sc: Scenario) -> int:
    """The year sensitivity looks at: the scenario's choice, else the horizon (an anchor year is a
    poor default: a hard anchor pins the value there, leaving nothing to explain)."""
    return sc.simulation.metric_year if sc.simulation.metric_year is not None else sc.horizon


def run_spec(sc: Scenario) -> SimulationSpec:
    """What ``forecast run`` draws: the scenario's ``[simulation]`` layers, sampler and seed with
    ``[projection]``'s number of draws."""
    return replace(sc.simulation, draws=sc.draws, metric_year=metric_year(sc))


def fit_scenario(sc: Scenario, model: GrowthModel) -> GrowthFit:
    """The scenario's growth curve fitted to its history and calibrated to its anchors."""
    hist = sc.history
    years = hist.years if hist is not None else np.array([], dtype=float)
    values = hist.values if hist is not None else np.array([], dtype=float)
    try:
        return model.fit(years, values, sc.anchors)
    except FitError as exc:
        raise FitError(f"{sc.path}: model: {exc}") from None


def simulate_fit(
    sc: Scenario,
    fit: GrowthFit,
    spec: SimulationSpec,
    progress: Callable[[int], None] | None = None,
    *,
    keep_paths: bool = False,
    n_jobs: int = 1,
    backend: Any = None,
) -> ScenarioSimulation:
    """Draw a scenario's paths with the one simulation core and tabulate them
    (``keep_paths`` keeps every draw in ``result.paths``, for checks; ``n_jobs`` local
    processes or a Dask ``backend`` draw the blocks, with the same result)."""
    years = sc.projection_years
    segments: Segments | SegmentHistories | None = None
    if sc.segments and sc.segments[0].history is not None:
        segments = fit_segment_histories(sc, fit)
    elif sc.segments:
        segments = Segments(
            tuple(s.name for s in sc.segments), np.array([s.share(years) for s in sc.segments])
        )
    result = simulate(
        fit,
        years,
        sc.assumptions or _EMPTY,
        spec,
        segments=segments,
        paths=sc.paths,
        levels=sc.levels,
        progress=progress,
        keep_paths=keep_paths,
        n_jobs=n_jobs,
        backend=backend,
    )
    rows: list[tuple[str, str, int, float, float]] = []
    means: list[tuple[str, str, int, float, float]] = []
    for s_i, series in enumerate(result.series):
        for t_i, year in enumerate(result.years):
            for q_i, q in enumerate(result.quantiles):
                rows.append((sc.name, series, int(year), q, float(result.values[s_i, q_i, t_i])))
            mean_i = float(result.mean[s_i, t_i])
            means.append((sc.name, series, int(year), mean_i, float(result.mean_se[s_i, t_i])))
    quantiles = pd.DataFrame(rows, columns=["scenario", "series", "year", "quantile", "value"])
    if result.quantile_method == "sketch":  # say so in every row, with the bound
        quantiles["method"] = "sketch"
        quantiles["rank_error"] = result.rank_error
    mean = pd.DataFrame(means, columns=["scenario", "series", "year", "mean", "mc_se"])
    anchors = pd.DataFrame(
        [
            {
                "scenario": sc.name,
                **{k: v for k, v in a.items() if k != "label"},
                "label": a["label"],
            }
            for a in result.anchors
        ],
        columns=["scenario", "year", "value_usd_bn", "probability", "mc_se", "label"],
    )
    hist_model = segments if isinstance(segments, SegmentHistories) else None
    return ScenarioSimulation(sc, fit, spec, result, quantiles, mean, anchors, hist_model)


def fit_segment_histories(sc: Scenario, total: GrowthFit) -> SegmentHistories:
    """Each segment's curve fitted to its own history (the ``[segment_history]`` family, else
    the scenario's; no anchors) and the reconciliation that ties them to the total."""
    family = sc.segment_family or total.model.family
    fits = []
    for seg in sc.segments:
        assert seg.history is not None  # the scenario parser gives every segment one or none
        try:
            model = GrowthModel(family=family, error=total.model.error)
            fits.append(model.fit(seg.history.years, seg.history.values))
        except FitError as exc:
            raise FitError(f"{sc.path}: segments: {seg.name}: {exc}") from None
    return segment_histories(
        total,
        [s.name for s in sc.segments],
        fits,
        method=sc.segment_reconcile,
        where=f"{sc.path}: segment_history",
    )


def _draws_give_intervals(sc: Scenario, fit: GrowthFit) -> bool:
    """Whether the run's layers spread the draws at all (else intervals are not given)."""
    layers = set(sc.simulation.layers)
    spread = ("fit" in layers and fit.intervals_available) or (
        "noise" in layers and noise_scale(fit, sc.paths) > 0
    )
    assumed = (
        "assumptions" in layers and sc.assumptions is not None and bool(sc.assumptions.uncertain())
    )
    return spread or assumed


def run_scenario(scenario: Scenario | Path | str) -> ScenarioResult | StatsScenarioResult:
    """Fit, calibrate and project a scenario.

    Parameters
    ----------
    scenario : Scenario or path
        A parsed scenario, or the path of a scenario file.

    Returns
    -------
    ScenarioResult or StatsScenarioResult
        The second for scenarios whose model is a statistical one (``auto``, ``theta``, ...).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(sc.model, StatsModel):
        return _run_stats(sc, sc.model)
    fit = fit_scenario(sc, sc.model)
    try:
        sim = simulate_fit(sc, fit, run_spec(sc))
    except FitError as exc:  # a parameter that cannot be drawn: no intervals, said why
        sim = simulate_fit(sc, fit, replace(run_spec(sc), layers=("assumptions",)))
        refused: str | None = f"no prediction intervals: {exc}"
    else:
        refused = None
        if not _draws_give_intervals(sc, fit):
            refused = (
                "no prediction intervals: the fit leaves no degrees of freedom to estimate the "
                "noise (add history points, fix a parameter, or use a family with fewer "
                "parameters)"
            )
    projection = projection_frame(sc, sim.result, intervals=refused is None)
    segments = _segment_frame(sc, sim.result, intervals=refused is None)
    params = fit.params_frame()
    params.insert(0, "scenario", sc.name)
    return ScenarioResult(sc, fit, projection, segments, params, sim, refused)


def projection_frame(
    sc: Scenario, result: SimulationResult, *, series: str = "total", intervals: bool = True
) -> pd.DataFrame:
    """One row per year: ``scenario``, ``year``, ``mean`` (the point path), ``median`` and the
    interval columns of the draws (NaN without ``intervals``)."""
    i = result.series.index(series)
    frame = pd.DataFrame(
        {
            "scenario": sc.name,
            "year": result.years.astype(int),
            "mean": result.point[i],
            "median": result.quantile(0.5, series) if intervals else np.nan,
        }
    )
    for name, q in interval_columns(sc.levels):
        frame[name] = result.quantile(q, series) if intervals else np.nan
    return frame


def _segment_frame(sc: Scenario, result: SimulationResult, *, intervals: bool) -> pd.DataFrame:
    """Segment rows: the point path times the segment's scenario share, and the quantiles of
    the segment's own draws (drawn shares included)."""
    frames = []
    years = result.years.astype(float)
    dimension = sc.segment_dimension if sc.segment_dimension != "scenario" else "segment"
    for i, seg in enumerate(sc.segments):
        f = projection_frame(sc, result, series=seg.name, intervals=intervals)
        share = (
            seg.share(years)
            if seg.knots
            else result.point[1 + i] / result.point[0]  # a segment with its own history
        )
        f.insert(1, "share", share)
        f.insert(1, dimension, seg.name)
        f = f[["scenario", dimension, "share", "year", *f.columns[4:]]]
        frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _stats_segment_frame(sc: Scenario, projection: pd.DataFrame) -> pd.DataFrame:
    """Segment rows of a statistical model: every value column of the projection times the
    segment's share (shares are deterministic, so quantiles scale with them)."""
    frames = []
    value_cols = [c for c in projection.columns if c not in ("scenario", "year")]
    years = projection["year"].to_numpy(dtype=float)
    for seg in sc.segments:
        share = seg.share(years)
        f = projection[["year"]].copy()
        for col in value_cols:
            f[col] = projection[col].to_numpy() * share
        f.insert(0, "share", share)
        f.insert(
            0, sc.segment_dimension if sc.segment_dimension != "scenario" else "segment", seg.name
        )
        f.insert(0, "scenario", sc.name)
        frames.append(f)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _run_stats(sc: Scenario, model: StatsModel) -> StatsScenarioResult:
    hist = sc.history
    assert hist is not None  # the scenario parser requires one for statistical models
    last = int(hist.years[-1])
    h = sc.horizon - last
    frame = pd.DataFrame({"unique_id": sc.name, "ds": hist.years.astype(int), "y": hist.values})
    batch = forecast_batch(frame, h=h, level=sc.levels, model=model.name, median=True)
    info = {k: (v.item() if hasattr(v, "item") else v) for k, v in batch.info.iloc[0].items()}
    if batch.frame.empty:
        raise FitError(f"{sc.path}: model: {model.name}: {info.get('reason') or 'no forecast'}")
    projection = batch.frame.drop(columns=["unique_id"]).rename(columns={"ds": "year"})
    projection.insert(0, "scenario", sc.name)
    series = clean_series(sc.name, hist.years.astype(np.int64), hist.values, None)
    assert not isinstance(series, str)  # the batch forecast it
    rows = param_rows(get_model(str(info["used"])), series.values, h)
    params = pd.DataFrame(
        [
            {
                "scenario": sc.name,
                "param": r.param,
                "unit": r.unit,
                "estimate": r.estimate,
                "se": np.nan,
                "lo-95": np.nan,
                "hi-95": np.nan,
                "fixed": r.fixed,
                "at_bound": False,
            }
            for r in rows
        ],
        columns=["scenario", *PARAM_COLUMNS],
    )
    return StatsScenarioResult(sc, info, projection, _stats_segment_frame(sc, projection), params)
