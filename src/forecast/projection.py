"""Running a scenario: fit, calibrate, project, split into segments, summarise.

:func:`run_scenario` takes a parsed :class:`~forecast.scenario.Scenario` and returns a
:class:`ScenarioResult` holding the fitted model and DataFrames in long format over
(scenario, year): ``mean`` (the point forecast), ``median``, ``lo-<L>``/``hi-<L>``; plus a
JSON-ready summary with provenance. Nothing here writes files or prints.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._version import __version__
from .errors import FitError
from .models import GrowthFit, cagr
from .models.simulate import paths_frame
from .scenario import Scenario, load_scenario
from .stats.batch import forecast_batch
from .stats.models import StatsModel
from .types import finite_or_none


@dataclass(frozen=True)
class ScenarioResult:
    """Everything a scenario run produced. Frames are in long format, one row per year."""

    scenario: Scenario
    fit: GrowthFit
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame

    def value_at(self, year: int) -> dict[str, float]:
        """Point, mean and interval columns of the projection in ``year``."""
        return _value_at(self.projection, year)

    @property
    def report_years(self) -> tuple[int, ...]:
        """Years the summary reports: the scenario's list, else anchor years in range and the
        horizon."""
        sc = self.scenario
        if sc.report_years:
            return sc.report_years
        first = int(self.projection["year"].iloc[0])
        years = {a.year for a in sc.anchors if first <= a.year <= sc.horizon}
        years.add(sc.horizon)
        return tuple(sorted(years))

    def warnings(self) -> list[str]:
        """Plain-language caveats about this fit."""
        out = []
        sc, fit = self.scenario, self.fit
        if fit.at_bounds:
            out.append(
                f"parameters on a bound: {', '.join(fit.at_bounds)} (the data do not pin them "
                "down inside the bounds; their standard errors are not trustworthy)"
            )
        if not fit.intervals_available:
            out.append(
                "no prediction intervals: the fit leaves no degrees of freedom to estimate the "
                "noise (add history points, fix a parameter, or use a family with fewer "
                "parameters)"
            )
        else:
            thin = [lv for lv in sc.levels if sc.draws * (100 - lv) / 200 < 10]
            if thin:
                out.append(
                    f"the {', '.join(f'{lv:g}%' for lv in thin)} interval rests on fewer than 10 "
                    f"draws in each tail; raise projection.draws above {sc.draws}"
                )
        if sc.assumptions is not None:
            out.append(
                "this run uses the calibrated fit only; the scenario's [assumptions] are drawn by "
                f"'forecast simulate {sc.path}'"
            )
        if fit.intervals_available and fit.dof < 3:
            out.append(
                f"only {fit.dof} degree(s) of freedom for the noise: intervals are wide and "
                "rest on few points"
            )
        return out

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: headline numbers, fit, anchors, derived quantities, provenance."""
        sc, fit = self.scenario, self.fit
        hist = sc.history
        last_year = sc.last_history_year
        last_value = float(hist.values[-1]) if hist is not None else None
        se = fit.se
        ci = fit.conf_int(95)
        hits = set(fit.at_bounds)
        params = {
            name: {
                "estimate": fit.params[name],
                "se": finite_or_none(se[name]),
                "lo-95": finite_or_none(ci[name][0]),
                "hi-95": finite_or_none(ci[name][1]),
                "unit": unit,
                "fixed": not free,
                "at_bound": name in hits,
            }
            for name, unit, free in zip(fit.family.params, fit.family.units, fit.free, strict=True)
        }
        anchors = []
        for a, miss in zip(sc.anchors, fit.anchor_misses(), strict=True):
            entry: dict[str, Any] = {
                "year": a.year,
                "value_usd_bn": a.value,
                "kind": a.kind,
                "tolerance": a.tolerance,
                "label": a.label,
                "source": a.source,
                "fitted_usd_bn": float(fit.predict([a.year])[0]),
                "miss_pct": 100 * miss,
            }
            if last_year is not None and last_value is not None and a.year != last_year:
                entry["implied_cagr_from_last_history"] = cagr(
                    last_value, a.value, a.year - last_year
                )
            anchors.append(entry)
        start = float(self.projection["year"].iloc[0])
        derived: dict[str, Any] = {
            "saturation_usd_bn": fit.saturation,
            "inflection_year": fit.inflection_year,
            "inflection_label": fit.family.inflection_label,
            f"cagr_{int(start)}_{sc.horizon}": finite_or_none(fit.implied_cagr(start, sc.horizon)),
        }
        for y in self.report_years:
            if y > start:
                derived[f"cagr_{int(start)}_{y}"] = finite_or_none(fit.implied_cagr(start, y))
        return {
            "scenario": sc.name,
            "title": sc.title,
            "description": sc.description,
            "unit": sc.unit,
            "model": {
                "family": fit.model.family,
                "error": fit.model.error,
                "curve": fit.family.description,
            },
            "history": _history_summary(sc),
            "anchors": anchors,
            "fit": {
                "params": params,
                "sigma": finite_or_none(fit.sigma),
                "sigma_scale": "log" if fit.model.error == "multiplicative" else "level",
                "dof": fit.dof,
                "aicc": finite_or_none(fit.aicc),
                "starts_tried": fit.n_starts,
                "intervals_available": fit.intervals_available,
            },
            "derived": derived,
            "report_years": [
                {"year": y, **{k: finite_or_none(v) for k, v in self.value_at(y).items()}}
                for y in self.report_years
            ],
            "projection": {
                "first_year": int(start),
                "horizon": sc.horizon,
                "levels": list(sc.levels),
                "draws": sc.draws,
                "seed": sc.seed,
                "method": "parametric bootstrap: parameters ~ normal(estimate, covariance), "
                "clipped to bounds, plus Student-t residual noise",
            },
            "segments": [
                {"name": s.name, "source": s.source, "knots": [list(k) for k in s.knots]}
                for s in sc.segments
            ],
            "warnings": self.warnings(),
            "provenance": provenance(sc),
        }


def _value_at(projection: pd.DataFrame, year: int) -> dict[str, float]:
    row = projection.loc[projection["year"] == year]
    if row.empty:
        raise KeyError(f"year {year} is outside the projection")
    return {k: float(v) for k, v in row.iloc[0].items() if k not in ("scenario", "year")}


def _history_summary(sc: Scenario) -> dict[str, Any] | None:
    """The history block of a summary: file (relative to the scenario), span, source."""
    hist = sc.history
    if hist is None:
        return None
    return {
        "file": next((f.path for f in sc.inputs if f.role == "history"), str(hist.path)),
        "first_year": int(hist.years[0]),
        "last_year": int(hist.years[-1]),
        "points": len(hist),
        "last_value_usd_bn": float(hist.values[-1]),
        "source": sc.history_source,
        "source_ids": list(hist.source_ids),
    }


def provenance(sc: Scenario) -> dict[str, Any]:
    """Toolkit and package versions, input files with hashes, and the seed: everything the
    numbers depend on (no clock and no command line, so identical inputs give identical files)."""
    import scipy

    return {
        "toolkit": "forecast",
        "toolkit_version": __version__,
        "python": platform.python_version(),
        "packages": {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__},
        "inputs": [{"role": f.role, "path": f.path, "sha256": f.sha256} for f in sc.inputs],
        "seed": sc.seed,
    }


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
    hist = sc.history
    years = hist.years if hist is not None else np.array([], dtype=float)
    values = hist.values if hist is not None else np.array([], dtype=float)
    try:
        fit = sc.model.fit(years, values, sc.anchors)
        proj_years = sc.projection_years
        rng = np.random.default_rng(sc.seed)
        paths = (
            fit.simulate(proj_years, draws=sc.draws, seed=rng) if fit.intervals_available else None
        )
    except FitError as exc:
        raise FitError(f"{sc.path}: model: {exc}") from None
    projection = paths_frame(proj_years, fit.predict(proj_years), paths, sc.levels)
    projection.insert(0, "scenario", sc.name)
    segments = _segment_frame(sc, projection)
    params = fit.params_frame()
    params.insert(0, "scenario", sc.name)
    return ScenarioResult(sc, fit, projection, segments, params)


def _segment_frame(sc: Scenario, projection: pd.DataFrame) -> pd.DataFrame:
    """Segment rows: every value column of the projection times the segment's share (shares are
    deterministic here, so quantiles scale with them)."""
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


@dataclass(frozen=True)
class StatsScenarioResult:
    """A scenario projected by a statistical model (fitted to the history alone; anchors are
    checked against its intervals, not used to calibrate)."""

    scenario: Scenario
    info: dict[str, Any]
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame

    @property
    def model_name(self) -> str:
        return str(self.info["model"])

    def value_at(self, year: int) -> dict[str, float]:
        """Mean and interval columns of the projection in ``year``."""
        return _value_at(self.projection, year)

    @property
    def report_years(self) -> tuple[int, ...]:
        sc = self.scenario
        if sc.report_years:
            return tuple(y for y in sc.report_years if y in set(self.projection["year"]))
        first = int(self.projection["year"].iloc[0])
        return tuple(
            sorted({a.year for a in sc.anchors if first <= a.year <= sc.horizon} | {sc.horizon})
        )

    def anchor_position(self, year: int, value: float) -> str:
        """Where a cited value falls in the projection's intervals, in words."""
        hist = self.scenario.history
        if hist is not None and year <= hist.years[-1]:
            known = dict(zip(hist.years.astype(int).tolist(), hist.values.tolist(), strict=True))
            if year in known:
                return f"{100 * (value / known[year] - 1):+.1f}% against the history's {year} value"
            return "within the history span, where the history has no value"
        try:
            row = self.value_at(year)
        except KeyError:
            return "after the horizon"
        for level in self.scenario.levels:
            if row[f"lo-{level:g}"] <= value <= row[f"hi-{level:g}"]:
                return f"inside the {level:g}% interval"
        widest = max(self.scenario.levels)
        side = "above" if value > row[f"hi-{widest:g}"] else "below"
        return f"{side} the {widest:g}% interval"

    def warnings(self) -> list[str]:
        out = []
        if self.scenario.anchors:
            out.append(
                f"anchors are checked against {self.info.get('used') or self.model_name}'s "
                "intervals, not used to calibrate it (use a growth-curve family to calibrate)"
            )
        if self.info.get("reason"):
            out.append(str(self.info["reason"]))
        return out

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary in the shape of :meth:`ScenarioResult.summary`'s main keys."""
        sc = self.scenario
        hist = sc.history
        assert hist is not None
        last_year, last_value = int(hist.years[-1]), float(hist.values[-1])
        first = int(self.projection["year"].iloc[0])
        mean = self.projection.set_index("year")["mean"]
        derived: dict[str, Any] = {}
        for y in self.report_years:
            if y > last_year and mean[y] > 0:
                derived[f"cagr_{last_year}_{y}"] = cagr(last_value, float(mean[y]), y - last_year)
        return {
            "scenario": sc.name,
            "title": sc.title,
            "description": sc.description,
            "unit": sc.unit,
            "model": {
                k: finite_or_none(v) if isinstance(v, float) else v
                for k, v in self.info.items()
                if k != "unique_id"
            },
            "history": _history_summary(sc),
            "anchors": [
                {
                    "year": a.year,
                    "value_usd_bn": a.value,
                    "kind": a.kind,
                    "label": a.label,
                    "source": a.source,
                    "position": self.anchor_position(a.year, a.value),
                    "implied_cagr_from_last_history": cagr(last_value, a.value, a.year - last_year)
                    if a.year > last_year
                    else None,
                }
                for a in sc.anchors
            ],
            "derived": derived,
            "report_years": [
                {"year": y, **{k: finite_or_none(v) for k, v in self.value_at(y).items()}}
                for y in self.report_years
            ],
            "projection": {
                "first_year": first,
                "horizon": sc.horizon,
                "levels": list(sc.levels),
                "method": "statistical model fitted to the history; empirical intervals from "
                "scaled rolling-origin errors (see forecast.stats)",
            },
            "segments": [
                {"name": s.name, "source": s.source, "knots": [list(k) for k in s.knots]}
                for s in sc.segments
            ],
            "warnings": self.warnings(),
            "provenance": provenance(sc),
        }


def _run_stats(sc: Scenario, model: StatsModel) -> StatsScenarioResult:
    hist = sc.history
    assert hist is not None  # the scenario parser requires one for statistical models
    last = int(hist.years[-1])
    frame = pd.DataFrame({"unique_id": sc.name, "ds": hist.years.astype(int), "y": hist.values})
    batch = forecast_batch(frame, h=sc.horizon - last, level=sc.levels, model=model.name)
    info = {k: (v.item() if hasattr(v, "item") else v) for k, v in batch.info.iloc[0].items()}
    if batch.frame.empty:
        raise FitError(f"{sc.path}: model: {model.name}: {info.get('reason') or 'no forecast'}")
    projection = batch.frame.drop(columns=["unique_id"]).rename(columns={"ds": "year"})
    projection.insert(0, "scenario", sc.name)
    params = pd.DataFrame(
        [{"scenario": sc.name, **{k: v for k, v in info.items() if k != "unique_id"}}]
    )
    return StatsScenarioResult(sc, info, projection, _segment_frame(sc, projection), params)
