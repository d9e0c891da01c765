"""What a scenario run returns: :class:`ScenarioResult` (a growth curve calibrated to the
anchors, projected through the one simulation core), :class:`StatsScenarioResult` (a
statistical model on the history alone), the run's :class:`ScenarioSimulation`, and their
summaries (the keys of ``summary.json``). :mod:`forecast.projection` computes them.

Longer than 500 lines because both kinds of result give summary.json the same keys and shapes,
and those keys are written here once, side by side, so that the two cannot drift apart.
"""

from __future__ import annotations

import os
import platform
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from . import units
from ._textfmt import money
from ._version import __version__
from .errors import visible
from .models import GrowthFit, cagr
from .models.simulate import near_bound_params, prior_params
from .money import format_money
from .scenario import Scenario
from .stats.registry import get_model
from .summary_types import (
    AnchorCommon,
    AnchorEntry,
    FitBlock,
    GapRow,
    HistoryBlock,
    ModelBlock,
    ProjectionExtras,
    Provenance,
    Reconciliation,
    Summary,
)
from .types import Anchor, finite_or_none
from .uncertainty.propagate import (
    EXACT_MAX_DRAWS,
    Assumptions,
    SimulationResult,
    SimulationSpec,
)
from .uncertainty.segment_histories import SegmentHistories
from .uncertainty.sketch import K as SKETCH_ITEMS

# The notebook's HTML views of a scenario result and of a simulation: drawn by
# forecast.notebook, which sits above this module (it draws the fan chart) and registers them.
_HTML_VIEWS: list[Callable[[Any], str]] = []


def register_html_view(result: Callable[[Any], str], simulation: Callable[[Any], str]) -> None:
    """Set the functions ``_repr_html_`` of a scenario result and of a simulation call."""
    _HTML_VIEWS[:] = [result, simulation]


class BaseScenarioResult:
    """What every scenario result has: the scenario, the projection, segment and parameter
    frames, and a summary of one shape (see the module docstring). Subclasses fill in the
    model-specific blocks."""

    scenario: Scenario
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame

    def __repr__(self) -> str:
        """A few lines: the kind of result, scenario and label, model and unit, then the key
        years (anchor years and the horizon) with the point path and the widest interval."""
        sc = self.scenario
        label = f" ({visible(sc.label)})" if sc.label else ""
        levels = self._levels()
        with units.shown_in(sc.unit):
            years = "; ".join(self._value_text(y, levels) for y in self._key_years())
        head = f"<{type(self).__name__} {visible(sc.name)}{label}: {self._model_text()}"
        return f"{head}, {sc.unit.label}\n  {years}>"

    def _repr_html_(self) -> str | None:
        """The notebook view (headline, table of the key years, fan chart), drawn by
        :mod:`forecast.notebook` once it is imported: ``forecast.run_scenario`` (any result name
        taken from the package) imports it; after a direct ``from forecast.projection import``
        the text repr is shown unless ``forecast.notebook`` is imported."""
        return _HTML_VIEWS[0](self) if _HTML_VIEWS else None

    def _levels(self) -> list[float]:
        """The interval levels the projection has values for, narrowest first."""
        proj = self.projection
        found = {float(c[3:]) for c in proj.columns if str(c).startswith("lo-")}
        return sorted(lv for lv in found if proj[f"lo-{lv:g}"].notna().any())

    def _key_years(self) -> tuple[int, ...]:
        return self.report_years or (self.scenario.horizon,)

    def _model_text(self) -> str:
        return f"statistical model {self._model_label()}"

    def _value_text(self, year: int, levels: list[float]) -> str:
        """``2030 $1.57T (95%: $1.16T–$2.13T)``: the point path and the widest interval."""
        v = self.value_at(year)
        text = f"{year} {money(v['mean'])}"
        if levels:
            lv = levels[-1]
            text += f" ({lv:g}%: {money(v[f'lo-{lv:g}'])}–{money(v[f'hi-{lv:g}'])})"
        return text

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

        def money(x: float) -> str:
            return format_money(x, unit=self.scenario.unit)

        return [
            f"the {self._model_label()} forecast for {horizon} ({money(end)}) is below the last "
            f"actual value ({money(last)} in {last_year}) although the history grew over its "
            f"last half ({money(at_mid)} in {mid:g} to {money(last)}); the model falls back "
            "towards the history's average instead of following its trend, so read this as a "
            "pessimistic case (auto, theta or drift extrapolate the trend)"
        ]

    def _model_label(self) -> str:
        raise NotImplementedError

    def _model_block(self) -> ModelBlock:
        raise NotImplementedError

    def _anchor_entries(self) -> list[AnchorEntry]:
        raise NotImplementedError

    def _fit_block(self) -> FitBlock:
        raise NotImplementedError

    def _extra_derived(self) -> dict[str, Any]:
        return {}

    def _segment_block(self) -> Reconciliation | None:
        """Segments with histories of their own: how they were reconciled with the total, and
        the reported total against the sum of the reported parts (None otherwise)."""
        return None

    def _projection_block(self) -> ProjectionExtras:
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

    def _anchor_common(self, a: Anchor) -> AnchorCommon:
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

    def summary(self) -> Summary:
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
        out: dict[str, Any] = {
            "scenario": sc.name,
            "title": sc.title,
            "description": sc.description,
            "unit": sc.unit.label,
        }
        if sc.conversions:  # only a scenario that converted something has the key
            out["conversions"] = list(sc.conversions)
        # one dict in summary.json's key order (conversions after unit when present); its
        # keys are checked against the Summary type by tests/test_summary_types.py
        return cast(
            Summary,
            {
                **out,
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
                "segment_reconciliation": self._segment_block(),
                "warnings": self.warnings(),
                "provenance": provenance(sc),
            },
        )


@dataclass(frozen=True, repr=False)  # the short repr of BaseScenarioResult
class ScenarioResult(BaseScenarioResult):
    """A scenario projected by a growth curve, fitted and calibrated to its anchors.

    ``simulation`` holds the draws every figure is read from (the point path, the yearly
    median and intervals, growth rates, anchor probabilities, segments); ``no_intervals`` says
    why the projection has no intervals, when it has none.
    """

    scenario: Scenario
    fit: GrowthFit
    projection: pd.DataFrame
    segments: pd.DataFrame
    params: pd.DataFrame
    simulation: ScenarioSimulation
    no_intervals: str | None = None

    @property
    def draws(self) -> SimulationResult:
        """The statistics of the run's draws."""
        return self.simulation.result

    @property
    def point_params(self) -> dict[str, float]:
        """The curve parameters of the point path (the fit's estimates with the scenario's fixed
        assumptions applied)."""
        return dict(zip(self.fit.family.params, self.draws.point_theta, strict=True))

    @property
    def saturation(self) -> float | None:
        """The point path's saturation level (K or M), None for other families."""
        name = self.fit.family.saturation_param
        return self.point_params[name] if name else None

    @property
    def inflection_year(self) -> float | None:
        """The point path's inflection (or peak) year, None where the family has none."""
        return self.fit.family.inflection(tuple(self.draws.point_theta))

    def start_gap(self) -> tuple[int, float, float, float] | None:
        """The last history year, its actual value, the fitted curve's value there and the
        curve's gap (``fitted / actual - 1``); None without a history."""
        last = self.last_actual
        if last is None:
            return None
        fitted = float(self.fit.predict([last[0]])[0])
        return last[0], last[1], fitted, fitted / last[1] - 1.0

    def warnings(self) -> list[str]:
        """Plain-language caveats about this fit."""
        out = []
        sc, fit = self.scenario, self.fit
        if fit.at_bounds:
            out.append(
                f"parameters on a bound: {', '.join(fit.at_bounds)} (the data do not pin them "
                "down inside the bounds; their standard errors are not trustworthy, and their "
                "draws lie on one side of the estimate, so intervals are one-sided there)"
            )
        near = [n for n in near_bound_params(fit) if n not in fit.at_bounds]
        if near:
            out.append(
                f"parameters within one standard error of a bound: {', '.join(near)} (drawn "
                "from their distribution cut at the bound, so their intervals are one-sided "
                "there)"
            )
        prior = prior_params(fit)
        if prior and self.no_intervals is None and "fit" in self.draws.layers:
            out.append(
                f"not identified by the data: {', '.join(prior)} (drawn with a normal prior "
                "centred at the estimate: a factor e on the log scale, or 10 years for a year; "
                "the intervals rest on that prior as much as on the data)"
            )
        if self.no_intervals:
            out.append(self.no_intervals)
        if self.projection["lo-" + f"{max(sc.levels):g}"].notna().any():
            thin = [lv for lv in sc.levels if sc.draws * (100 - lv) / 200 < 10]
            if thin:
                out.append(
                    f"the {', '.join(f'{lv:g}%' for lv in thin)} interval rests on fewer than 10 "
                    f"draws in each tail; raise projection.draws above {sc.draws}"
                )
        if fit.intervals_available and fit.dof < 3:
            out.append(
                f"only {fit.dof} degree(s) of freedom for the noise: intervals are wide and "
                "rest on few points"
            )
        return [*out, *super().warnings()]

    def _model_label(self) -> str:
        return self.fit.model.family

    def _model_text(self) -> str:
        return f"{self.fit.model.family} curve"

    def _model_block(self) -> ModelBlock:
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

    def _anchor_entries(self) -> list[AnchorEntry]:
        fit = self.fit
        probs = {(a["year"], a["value_usd_bn"]): a for a in self.draws.anchors}
        out: list[AnchorEntry] = []
        for a, miss in zip(self.scenario.anchors, fit.anchor_misses(), strict=True):
            p = probs.get((a.year, a.value), {})
            out.append(
                {
                    **self._anchor_common(a),
                    "fitted_usd_bn": float(fit.predict([a.year])[0]),
                    "miss_pct": 100 * miss,
                    "probability": finite_or_none(p.get("probability"))
                    if self.no_intervals is None
                    else None,
                    "probability_mc_se": finite_or_none(p.get("mc_se"))
                    if self.no_intervals is None
                    else None,
                }
            )
        return out

    def _fit_block(self) -> FitBlock:
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
            "saturation_usd_bn": self.saturation,
            "inflection_year": self.inflection_year,
            "inflection_label": fit.family.inflection_label,
        }
        sat = fit.family.saturation_param
        if sat is not None and sat in self.draws.params and self.no_intervals is None:
            lo, hi = (
                float(np.interp(q, self.draws.quantiles, self.draws.params[sat]))
                for q in (0.1, 0.9)
            )
            out["saturation_80_usd_bn"] = [lo, hi]
        for y in sorted({*self.report_years, sc.horizon}):
            if y > start:
                out[f"fitted_cagr_{start}_{y}"] = finite_or_none(fit.implied_cagr(start, y))
        return out

    def _segment_block(self) -> Reconciliation | None:
        return segment_reconciliation(self.simulation)

    def _projection_block(self) -> ProjectionExtras:
        sc, r = self.scenario, self.draws
        gap = self.start_gap()
        return {
            "draws": sc.draws,
            "seed": self.simulation.spec.seed,
            "method": "one simulation of the scenario's layers (fit: parameters from their "
            "sampling distribution; assumptions: the uncertain [assumptions]; noise: a random "
            "walk in logs from the last history year); mean is the point path (every layer "
            "off), median and intervals are quantiles of the draws",
            "median": "median of the draws",
            "layers": list(r.layers),
            "layer_notes": list(r.notes),
            "start": sc.paths.start,
            "persistence": sc.paths.rho,
            "start_gap": None
            if gap is None
            else {
                "year": gap[0],
                "actual_usd_bn": gap[1],
                "fitted_usd_bn": gap[2],
                "gap_pct": 100 * gap[3],
            },
        }


def _value_at(projection: pd.DataFrame, year: int) -> dict[str, float]:
    row = projection.loc[projection["year"] == year]
    if row.empty:
        raise KeyError(f"year {year} is outside the projection")
    return {k: float(v) for k, v in row.iloc[0].items() if k not in ("scenario", "year")}


def _history_summary(sc: Scenario) -> HistoryBlock | None:
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


def command_line(verb: str, paths: Sequence[str]) -> str:
    """The command that reproduces a run or a report, run from the first scenario's folder
    (paths relative to it, as all provenance paths are): independent of the working folder,
    the clock and the output folder, so identical inputs give identical bytes."""
    base = Path(paths[0]).resolve().parent
    rel = [Path(os.path.relpath(Path(p).resolve(), base)).as_posix() for p in paths]
    return shlex.join(["forecast", verb, *rel]) + " (run in the scenario's folder)"


def provenance(sc: Scenario) -> Provenance:
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


_EMPTY = Assumptions((), ())


@dataclass(frozen=True, repr=False)
class ScenarioSimulation:
    """A scenario's draws from the one simulation core (:mod:`forecast.uncertainty.propagate`):
    the spec used, the result and tidy frames. ``forecast run`` keeps one in its
    :class:`ScenarioResult`; ``forecast simulate`` makes one with its own draws and layers.

    Frames are long, statsforecast-style: ``quantiles`` (``scenario``, ``series`` (``total`` or
    a segment), ``year``, ``quantile``, ``value``), ``mean`` (``scenario``, ``series``, ``year``,
    ``mean``: the arithmetic mean of the draws, ``mc_se``: its Monte Carlo standard error) and
    ``anchors`` (the probability of reaching each anchor, with its Monte Carlo standard error).
    """

    scenario: Scenario
    fit: GrowthFit
    spec: SimulationSpec
    result: SimulationResult
    quantiles: pd.DataFrame
    mean: pd.DataFrame
    anchors: pd.DataFrame
    segment_histories: SegmentHistories | None = None

    def __repr__(self) -> str:
        """One line for the draws (layers, sampler, seed) and one per anchor with the
        probability of reaching it."""
        r, spec = self.result, self.spec
        lines = [
            f"<ScenarioSimulation {visible(self.scenario.name)}: {r.draws:,} draws "
            f"({r.valid:,} valid) of {', '.join(spec.layers) or 'no layer'}; sampler "
            f"{spec.sampler}, seed {spec.seed}"
        ]
        with units.shown_in(self.scenario.unit):
            for row in r.anchors:
                p = row.get("probability")
                lines.append(
                    f"  P({row.get('year')} >= {money(row.get('value_usd_bn'))}) = "
                    + (f"{p:.3f}" if isinstance(p, float) else "n/a")
                )
        return "\n".join(lines) + ">"

    def _repr_html_(self) -> str | None:
        """The notebook view: the draws and a table of the anchors' probabilities."""
        return _HTML_VIEWS[1](self) if _HTML_VIEWS else None

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: anchors' probabilities, CAGR and crossing distributions, the
        layers and sampler used, and provenance."""
        r, sc = self.result, self.scenario
        a = sc.assumptions or _EMPTY
        with units.shown_in(sc.unit):  # the distributions describe money in the unit
            described = [d.describe() for d in a.distributions]
        unit = {} if sc.unit == units.USD_BILLION else {"unit": sc.unit.label}
        return {
            "scenario": sc.name,
            **unit,
            "draws": r.draws,
            "valid_draws": r.valid,
            "invalid_share": r.invalid_share,
            "sampler": self.spec.sampler,
            "seed": self.spec.seed,
            "layers": list(self.spec.layers),
            "layer_notes": list(r.notes),
            "start": r.start,
            "base_year": r.base_year,
            "assumptions": [
                {"name": n, "distribution": text, "fixed": d.is_fixed}
                for n, d, text in zip(a.names, a.distributions, described, strict=True)
            ],
            "anchors": [
                {k: finite_or_none(v) if isinstance(v, float) else v for k, v in row.items()}
                for row in r.anchors
            ],
            "cagr": {
                span: {
                    f"q{q:g}": finite_or_none(float(v))
                    for q, v in zip(r.quantiles, values, strict=True)
                }
                for span, values in r.cagr.items()
            },
            "crossing": r.crossing,
            "mc_se_note": "standard errors assume independent draws; Latin hypercube and Sobol "
            "samples are usually more precise than that",
            **({"quantile_method": sketch_block(r)} if r.quantile_method == "sketch" else {}),
            "provenance": provenance(sc),
        }


def sketch_block(r: SimulationResult) -> dict[str, Any]:
    """How a run above the exact limit computed its figures (summary.json's
    ``quantile_method``): quantiles from mergeable summaries with their rank-error bound, the
    rest exact."""
    return {
        "method": "sketch",
        "exact_max_draws": EXACT_MAX_DRAWS,
        "rank_error": r.rank_error,
        "summary_items": SKETCH_ITEMS,
        "note": f"more than {EXACT_MAX_DRAWS:,} draws: quantiles (values, growth rates) come "
        "from deterministic mergeable summaries; each lies between the exact quantiles of the "
        f"draws at q - {r.rank_error:.2g} and q + {r.rank_error:.2g}; probabilities, means, "
        "standard errors and crossing years are exact; rank correlations and the distribution "
        f"chart use a seeded subsample of {r.sample:,} draws",
    }


def segment_reconciliation(sim: ScenarioSimulation) -> Reconciliation | None:
    """The summary block of segments with histories: the method, and the reported total against
    the sum of the reported parts in every year both are reported."""
    h = sim.segment_histories
    if h is None:
        return None
    gap = h.gap
    rows: list[GapRow] = []
    if gap is not None:
        for i, year in enumerate(gap.years):
            rows.append(
                {
                    "year": int(year),
                    "reported_total": float(gap.reported[i, 0]),
                    "sum_of_parts": float(gap.sum_of_parts[i, 0]),
                    "gap_pct": finite_or_none(float(gap.gap_pct[i, 0])),
                }
            )
    return {
        "method": h.method,
        "family": h.fits[0].model.family,
        "parts": list(h.names),
        "reported_gap": rows,
    }


@dataclass(frozen=True, repr=False)  # the short repr of BaseScenarioResult
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

    def _model_block(self) -> ModelBlock:
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

    def _anchor_entries(self) -> list[AnchorEntry]:
        out: list[AnchorEntry] = []
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
                    "probability": None,
                    "probability_mc_se": None,
                }
            )
        return out

    def _fit_block(self) -> FitBlock:
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
        aicc = float(aicc) if isinstance(aicc, int | float) else None
        return {
            "params": params,
            "sigma": None,
            "sigma_scale": None,
            "dof": None,
            "aicc": aicc,
            "starts_tried": None,
            "intervals_available": True,
        }

    def _projection_block(self) -> ProjectionExtras:
        return {
            "draws": None,
            "seed": None,
            "method": "statistical model fitted to the history; empirical intervals from "
            "scaled rolling-origin errors (see forecast.stats)",
            "median": "point forecast plus the history's scale times the 50% quantile of the "
            "scaled rolling-origin errors",
            "layers": None,
            "layer_notes": [],
            "start": None,
            "persistence": None,
            "start_gap": None,
        }
