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

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._textfmt import money
from ._version import __version__
from .errors import FitError
from .models import GrowthFit, cagr
from .models.simulate import held_params, paths_frame
from .scenario import Scenario, load_scenario
from .stats.batch import forecast_batch
from .stats.frames import clean_series
from .stats.models import StatsModel
from .stats.params import param_rows
from .stats.registry import get_model
from .types import Anchor, finite_or_none

PARAM_COLUMNS = ("param", "unit", "estimate", "se", "lo-95", "hi-95", "fixed", "at_bound")


class BaseScenarioResult:
    """What every scenario result has: the scenario, the projection, segment and parameter
    frames, and a summary of one shape (see the module docstring). Subclasses fill in the
    model-specific blocks."""

    scenario: Scenario
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame

    def value_at(self, year: int) -> dict[str, float]:
        """Mean, median and interval columns of the projection in ``year``."""
        return _value_at(self.projection, year)

    @property
    def report_years(self) -> tuple[int, ...]:
        """Years the summary reports: the scenario's list, else anchor years in the projection
        and the horizon."""
        sc = self.scenario
        years = set(self.projection["year"].astype(int))
        if sc.report_years:
            return tuple(y for y in sc.report_years if y in years)
        return tuple(sorted({a.year for a in sc.anchors if a.year in years} | {sc.horizon}))

    @property
    def last_actual(self) -> tuple[int, float] | None:
        """The last history year and value, or None without a history."""
        hist = self.scenario.history
        if hist is None:
            return None
        return int(hist.years[-1]), float(hist.values[-1])

    def growth_basis(self) -> tuple[int, float, str]:
        """The year, value and description that growth rates start from: the last actual
        history value, or (without a history) the projection's first value."""
        last = self.last_actual
        if last is not None:
            return last[0], last[1], f"last actual history value ({last[0]})"
        first = self.projection.iloc[0]
        return int(first["year"]), float(first["mean"]), f"projection's value in {first['year']}"

    def cagr_to(self, year: int) -> float | None:
        """Compound annual growth from :meth:`growth_basis` to the projection's mean in
        ``year`` (None where it has no meaning: not after the basis, or not positive)."""
        start, base, _ = self.growth_basis()
        try:
            mean = self.value_at(year)["mean"]
        except KeyError:
            return None
        if year <= start or not (base > 0 and mean > 0):
            return None
        return cagr(base, mean, year - start)

    def warnings(self) -> list[str]:
        """Plain-language caveats about this result."""
        return [*self.scenario.warnings, *self._trend_warning()]

    def _trend_warning(self) -> list[str]:
        """A warning when the horizon's mean falls below the last actual value although the
        history grew over its last half (the model reverts instead of extrapolating)."""
        hist = self.scenario.history
        if hist is None or len(hist) < 2:
            return []
        years, values = hist.years, hist.values
        mid = (years[0] + years[-1]) / 2
        at_mid = float(np.interp(mid, years, values))
        last_year, last = int(years[-1]), float(values[-1])
        horizon = self.scenario.horizon
        try:
            end = self.value_at(horizon)["mean"]
        except KeyError:
            return []
        if not (last > at_mid and end < last):
            return []
        return [
            f"the {self._model_label()} forecast for {horizon} ({money(end)}) is below the last "
            f"actual value ({money(last)} in {last_year}) although the history grew over its "
            f"last half ({money(at_mid)} in {mid:g} to {money(last)}); the model falls back "
            "towards the history's average instead of following its trend, so read this as a "
            "pessimistic case (auto, theta or drift extrapolate the trend)"
        ]

    def _model_label(self) -> str:
        raise NotImplementedError

    def _model_block(self) -> dict[str, Any]:
        raise NotImplementedError

    def _anchor_entries(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _fit_block(self) -> dict[str, Any]:
        raise NotImplementedError

    def _extra_derived(self) -> dict[str, Any]:
        return {}

    def _projection_block(self) -> dict[str, Any]:
        raise NotImplementedError

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
        widest = max(self.scenario.levels)
        if not np.isfinite(row[f"hi-{widest:g}"]):
            return "no intervals to compare with"
        for level in self.scenario.levels:
            if row[f"lo-{level:g}"] <= value <= row[f"hi-{level:g}"]:
                return f"inside the {level:g}% interval"
        side = "above" if value > row[f"hi-{widest:g}"] else "below"
        return f"{side} the {widest:g}% interval"

    def _anchor_common(self, a: Anchor) -> dict[str, Any]:
        last = self.last_actual
        return {
            "year": a.year,
            "value_usd_bn": a.value,
            "kind": a.kind,
            "tolerance": a.tolerance,
            "label": a.label,
            "source": a.source,
            "implied_cagr_from_last_history": cagr(last[1], a.value, a.year - last[0])
            if last is not None and a.year > last[0]
            else None,
            "position": self.anchor_position(a.year, a.value),
        }

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary: headline numbers, model, fit, anchors, derived quantities,
        warnings and provenance (same keys for every kind of result)."""
        sc = self.scenario
        start, _, basis = self.growth_basis()
        derived: dict[str, Any] = {
            "cagr_basis": f"from the {basis} to the projection's mean",
            **self._extra_derived(),
        }
        for y in sorted({*self.report_years, sc.horizon}):
            if y > start:
                derived[f"cagr_{start}_{y}"] = finite_or_none(self.cagr_to(y))
        return {
            "scenario": sc.name,
            "title": sc.title,
            "description": sc.description,
            "unit": sc.unit,
            "model": self._model_block(),
            "history": _history_summary(sc),
            "anchors": self._anchor_entries(),
            "fit": self._fit_block(),
            "derived": derived,
            "report_years": [
                {"year": y, **{k: finite_or_none(v) for k, v in self.value_at(y).items()}}
                for y in self.report_years
            ],
            "projection": {
                "first_year": int(self.projection["year"].iloc[0]),
                "horizon": sc.horizon,
                "levels": list(sc.levels),
                **self._projection_block(),
            },
            "segments": [
                {"name": s.name, "source": s.source, "knots": [list(k) for k in s.knots]}
                for s in sc.segments
            ],
            "warnings": self.warnings(),
            "provenance": provenance(sc),
        }


@dataclass(frozen=True)
class ScenarioResult(BaseScenarioResult):
    """A scenario projected by a growth curve, fitted and calibrated to its anchors."""

    scenario: Scenario
    fit: GrowthFit
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame

    def warnings(self) -> list[str]:
        """Plain-language caveats about this fit."""
        out = []
        sc, fit = self.scenario, self.fit
        if fit.at_bounds:
            out.append(
                f"parameters on a bound: {', '.join(fit.at_bounds)} (the data do not pin them "
                "down inside the bounds; their standard errors are not trustworthy)"
            )
        near = [n for n in held_params(fit) if n not in fit.at_bounds]
        if near:
            out.append(
                f"parameters within one standard error of a bound: {', '.join(near)} (held at "
                "their estimates in the intervals, which therefore leave out their uncertainty)"
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
                f"'forecast simulate {sc.path.name}' (in the scenario's folder)"
            )
        if fit.intervals_available and fit.dof < 3:
            out.append(
                f"only {fit.dof} degree(s) of freedom for the noise: intervals are wide and "
                "rest on few points"
            )
        return [*out, *super().warnings()]

    def _model_label(self) -> str:
        return self.fit.model.family

    def _model_block(self) -> dict[str, Any]:
        fit, hist = self.fit, self.scenario.history
        return {
            "family": fit.model.family,
            "kind": "growth_curve",
            "error": fit.model.error,
            "curve": fit.family.description,
            "used": fit.model.family,
            "points": 0 if hist is None else len(hist),
            "fallback": False,
            "intervals": "bootstrap" if fit.intervals_available else None,
            "reason": "",
        }

    def _anchor_entries(self) -> list[dict[str, Any]]:
        fit = self.fit
        return [
            {
                **self._anchor_common(a),
                "fitted_usd_bn": float(fit.predict([a.year])[0]),
                "miss_pct": 100 * miss,
            }
            for a, miss in zip(self.scenario.anchors, fit.anchor_misses(), strict=True)
        ]

    def _fit_block(self) -> dict[str, Any]:
        fit = self.fit
        se, ci, hits = fit.se, fit.conf_int(95), set(fit.at_bounds)
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
        return {
            "params": params,
            "sigma": finite_or_none(fit.sigma),
            "sigma_scale": "log" if fit.model.error == "multiplicative" else "level",
            "dof": fit.dof,
            "aicc": finite_or_none(fit.aicc),
            "starts_tried": fit.n_starts,
            "intervals_available": fit.intervals_available,
        }

    def _extra_derived(self) -> dict[str, Any]:
        sc, fit = self.scenario, self.fit
        start = int(self.projection["year"].iloc[0])
        out: dict[str, Any] = {
            "saturation_usd_bn": fit.saturation,
            "inflection_year": fit.inflection_year,
            "inflection_label": fit.family.inflection_label,
        }
        for y in sorted({*self.report_years, sc.horizon}):
            if y > start:
                out[f"fitted_cagr_{start}_{y}"] = finite_or_none(fit.implied_cagr(start, y))
        return out

    def _projection_block(self) -> dict[str, Any]:
        sc = self.scenario
        return {
            "draws": sc.draws,
            "seed": sc.seed,
            "method": "parametric bootstrap: parameters ~ normal(estimate, covariance), "
            "clipped to bounds, plus Student-t residual noise",
            "median": "median of the bootstrap draws",
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
class StatsScenarioResult(BaseScenarioResult):
    """A scenario projected by a statistical model (fitted to the history alone; anchors are
    checked against its intervals, not used to calibrate).

    ``info`` is the batch record of the series: ``model`` (asked), ``used``, ``points``
    (after repairs), ``fallback``, ``intervals`` (``shipped`` or ``pooled``) and ``reason``.
    """

    scenario: Scenario
    info: dict[str, Any]
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame

    @property
    def model_name(self) -> str:
        """The statistical model the scenario asked for."""
        return str(self.info["model"])

    def warnings(self) -> list[str]:
        """Plain-language caveats about this forecast."""
        out = []
        if self.scenario.anchors:
            out.append(
                f"anchors are checked against {self.info.get('used') or self.model_name}'s "
                "intervals, not used to calibrate it (use a growth-curve family to calibrate)"
            )
        if self.info.get("reason"):
            out.append(str(self.info["reason"]))
        return [*out, *super().warnings()]

    def _model_label(self) -> str:
        return str(self.info.get("used") or self.model_name)

    def _model_block(self) -> dict[str, Any]:
        used = str(self.info.get("used") or self.model_name)
        doc = (type(get_model(used)).__doc__ or "").split("\n\n")[0]
        return {
            "family": self.model_name,
            "kind": "statistical",
            "error": None,
            "curve": " ".join(doc.split()),
            "used": used,
            "points": int(self.info["points"]),
            "fallback": bool(self.info["fallback"]),
            "intervals": str(self.info["intervals"]),
            "reason": str(self.info.get("reason") or ""),
        }

    def _anchor_entries(self) -> list[dict[str, Any]]:
        out = []
        for a in self.scenario.anchors:
            try:
                mean: float | None = self.value_at(a.year)["mean"]
            except KeyError:  # in the history, or after the horizon
                mean = None
            out.append(
                {
                    **self._anchor_common(a),
                    "fitted_usd_bn": mean,
                    "miss_pct": None if mean is None else 100 * (mean / a.value - 1),
                }
            )
        return out

    def _fit_block(self) -> dict[str, Any]:
        rows = self.params.set_index("param")
        params = {
            str(name): {
                "estimate": finite_or_none(float(r["estimate"])),
                "se": None,
                "lo-95": None,
                "hi-95": None,
                "unit": str(r["unit"]),
                "fixed": bool(r["fixed"]),
                "at_bound": False,
            }
            for name, r in rows.iterrows()
        }
        aicc = params.get("aicc", {}).get("estimate")
        return {
            "params": params,
            "sigma": None,
            "sigma_scale": None,
            "dof": None,
            "aicc": aicc,
            "starts_tried": None,
            "intervals_available": True,
        }

    def _projection_block(self) -> dict[str, Any]:
        return {
            "draws": None,
            "seed": None,
            "method": "statistical model fitted to the history; empirical intervals from "
            "scaled rolling-origin errors (see forecast.stats)",
            "median": "point forecast plus the history's scale times the 50% quantile of the "
            "scaled rolling-origin errors",
        }


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
    return StatsScenarioResult(sc, info, projection, _segment_frame(sc, projection), params)
