"""Monte Carlo and sensitivity for a scenario: the scenario-level orchestration of
:mod:`forecast.uncertainty` (fit the scenario, draw its assumptions, tabulate the results).

Frames are long, statsforecast-style: ``scenario``, ``series`` (``total`` or a segment), ``year``,
``quantile``, ``value``; anchor probabilities carry their Monte Carlo standard error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ForecastError
from .models import GrowthFit, GrowthModel
from .projection import provenance
from .scenario import Scenario, load_scenario
from .types import finite_or_none
from .uncertainty.propagate import (
    LAYERS,
    Assumptions,
    Segments,
    SimulationResult,
    SimulationSpec,
    simulate,
)
from .uncertainty.sampling import MAX_DRAWS, METHODS
from .uncertainty.sensitivity import rank_importance, sobol, spider, tornado

_EMPTY = Assumptions((), ())


@dataclass(frozen=True)
class ScenarioSimulation:
    """A scenario's Monte Carlo run: the spec used, the raw result and tidy frames."""

    scenario: Scenario
    fit: GrowthFit
    spec: SimulationSpec
    result: SimulationResult
    quantiles: pd.DataFrame
    mean: pd.DataFrame
    anchors: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: anchors' probabilities, CAGR and crossing distributions, the
        layers and sampler used, and provenance."""
        r, sc = self.result, self.scenario
        return {
            "scenario": sc.name,
            "draws": r.draws,
            "valid_draws": r.valid,
            "invalid_share": r.invalid_share,
            "sampler": self.spec.sampler,
            "seed": self.spec.seed,
            "layers": list(self.spec.layers),
            "assumptions": [
                {"name": n, "distribution": d.describe(), "fixed": d.is_fixed}
                for n, d in zip(
                    (sc.assumptions or _EMPTY).names,
                    (sc.assumptions or _EMPTY).distributions,
                    strict=True,
                )
            ],
            "anchors": [
                {k: finite_or_none(v) if isinstance(v, float) else v for k, v in a.items()}
                for a in r.anchors
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
            "provenance": provenance(sc),
        }


def _f32(value: float) -> float:
    """A value computed from float32 draws, printed with the 7 digits it has."""
    return float(f"{float(value):.7g}")


def _spec(
    sc: Scenario,
    draws: int | None,
    seed: int | None,
    sampler: str | None,
    layers: tuple[str, ...] | None,
) -> SimulationSpec:
    spec = sc.simulation
    if draws is not None:
        if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
            raise ForecastError(f"--draws: must be between 1 and {MAX_DRAWS:,}; got {draws!r}")
        spec = replace(spec, draws=draws)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ForecastError(f"--seed: must be a non-negative whole number; got {seed!r}")
        spec = replace(spec, seed=seed)
    if sampler is not None:
        if sampler not in METHODS:
            raise ForecastError(f"--sampler: must be one of {', '.join(METHODS)}; got {sampler!r}")
        spec = replace(spec, sampler=sampler)  # type: ignore[arg-type]
    if layers is not None:
        bad = [x for x in layers if x not in LAYERS]
        if bad or not layers or not all(layers):
            raise ForecastError(
                f"--layers: must be one or more of {', '.join(LAYERS)}; got {','.join(layers)!r}"
            )
        spec = replace(spec, layers=tuple(dict.fromkeys(layers)))  # type: ignore[arg-type]
    return spec


def _require_growth_model(sc: Scenario) -> GrowthModel:
    """The scenario's growth model; statistical models have no assumptions to draw."""
    if not isinstance(sc.model, GrowthModel):
        raise ForecastError(
            f"{sc.path}: model.family: Monte Carlo over assumptions needs a growth-curve family "
            f"(logistic, gompertz, ...); got the statistical model {sc.model.name!r}"
        )
    return sc.model


def metric_year(sc: Scenario) -> int:
    """The year sensitivity looks at: the scenario's choice, else the horizon (an anchor year is a
    poor default: a hard anchor pins the value there, leaving nothing to explain)."""
    return sc.simulation.metric_year if sc.simulation.metric_year is not None else sc.horizon


def simulate_scenario(
    scenario: Scenario | Path | str,
    *,
    draws: int | None = None,
    seed: int | None = None,
    sampler: str | None = None,
    layers: tuple[str, ...] | None = None,
    block: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ScenarioSimulation:
    """Fit a scenario and run its Monte Carlo simulation.

    Parameters
    ----------
    scenario : Scenario or path
    draws, seed, sampler, layers : optional
        Override the scenario's ``[simulation]`` table (sampler: mc, lhs or sobol; layers: any of
        fit, assumptions, noise).
    block : int, optional
        Rows per block of randomness (part of the definition of the sample, like the seed).
    progress : callable, optional
        Called with the number of draws done after each block (for progress bars).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    model = _require_growth_model(sc)
    spec = replace(_spec(sc, draws, seed, sampler, layers), metric_year=metric_year(sc))
    if block is not None:
        spec = replace(spec, block=block)
    hist = sc.history
    fit = model.fit(
        hist.years if hist is not None else np.array([]),
        hist.values if hist is not None else np.array([]),
        sc.anchors,
    )
    years = sc.projection_years
    segments = None
    if sc.segments:
        segments = Segments(
            tuple(s.name for s in sc.segments), np.array([s.share(years) for s in sc.segments])
        )
    result = simulate(
        fit,
        years,
        sc.assumptions or _EMPTY,
        spec,
        segments=segments,
        progress=progress,
    )
    rows: list[tuple[str, str, int, float, float]] = []
    means: list[tuple[str, str, int, float]] = []
    for s_i, series in enumerate(result.series):
        for t_i, year in enumerate(result.years):
            for q_i, q in enumerate(result.quantiles):
                rows.append((sc.name, series, int(year), q, _f32(result.values[s_i, q_i, t_i])))
            means.append((sc.name, series, int(year), _f32(result.mean[s_i, t_i])))
    quantiles = pd.DataFrame(rows, columns=["scenario", "series", "year", "quantile", "value"])
    mean = pd.DataFrame(means, columns=["scenario", "series", "year", "mean"])
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
    return ScenarioSimulation(sc, fit, spec, result, quantiles, mean, anchors)


@dataclass(frozen=True)
class ScenarioSensitivity:
    """Tornado, spider, rank-correlation and Sobol tables for one scenario and metric year."""

    scenario: Scenario
    year: int
    tornado: pd.DataFrame
    spider: pd.DataFrame
    importance: pd.DataFrame
    sobol: pd.DataFrame


def sensitivity_scenario(
    scenario: Scenario | Path | str,
    *,
    draws: int | None = None,
    seed: int | None = None,
    sobol_samples: int = 1024,
) -> ScenarioSensitivity:
    """Sensitivity of the metric year's market size to each uncertain assumption."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _require_growth_model(sc)
    if sc.assumptions is None or not sc.assumptions.uncertain():
        raise ForecastError(
            f"{sc.path}: assumptions: sensitivity needs at least one uncertain assumption in "
            "[assumptions]; got none"
        )
    year = metric_year(sc)
    sim = simulate_scenario(sc, draws=draws, seed=seed, layers=("assumptions",))
    name = sc.name
    frames = [
        tornado(sim.fit, year, sc.assumptions),
        spider(sim.fit, year, sc.assumptions),
        rank_importance(sim.result),
        sobol(sim.fit, year, sc.assumptions, base_samples=sobol_samples, seed=sim.spec.seed),
    ]
    for f in frames:
        f.insert(0, "scenario", name)
    return ScenarioSensitivity(sc, year, *frames)
