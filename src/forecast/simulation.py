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

import pandas as pd

from .errors import ForecastError
from .models import GrowthModel
from .projection import ScenarioSimulation, fit_scenario, metric_year, simulate_fit
from .scenario import Scenario, load_scenario
from .uncertainty.propagate import LAYERS, QUANTILE_METHODS, SimulationSpec
from .uncertainty.sampling import MAX_DRAWS, METHODS
from .uncertainty.sensitivity import rank_importance, sobol, spider, tornado

__all__ = ["ScenarioSensitivity", "ScenarioSimulation", "sensitivity_scenario", "simulate_scenario"]


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


def simulate_scenario(
    scenario: Scenario | Path | str,
    *,
    draws: int | None = None,
    seed: int | None = None,
    sampler: str | None = None,
    layers: tuple[str, ...] | None = None,
    block: int | None = None,
    progress: Callable[[int], None] | None = None,
    quantile_method: str | None = None,
    n_jobs: int = 1,
    backend: Any = None,
) -> ScenarioSimulation:
    """Fit a scenario and run its Monte Carlo simulation: the same model as ``forecast run``
    (:func:`forecast.projection.simulate_fit`), with the ``[simulation]`` table's draws.

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
    quantile_method : {"auto", "exact", "sketch"}, optional
        Exact quantiles up to 1,000,000 draws and mergeable summaries above (``"auto"``, the
        default), or either at any size (exact ones need memory for every draw).
    n_jobs : int
        Local worker processes drawing the blocks (default 1).
    backend : "dask" or dask.distributed.Client, optional
        Draw the blocks as Dask tasks. The result does not depend on ``n_jobs`` or ``backend``.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    model = _require_growth_model(sc)
    spec = replace(_spec(sc, draws, seed, sampler, layers), metric_year=metric_year(sc))
    if block is not None:
        spec = replace(spec, block=block)
    if quantile_method is not None:
        if quantile_method not in QUANTILE_METHODS:
            raise ForecastError(
                f"quantile_method: must be one of {', '.join(QUANTILE_METHODS)}; got "
                f"{quantile_method!r}"
            )
        spec = replace(spec, quantile_method=quantile_method)
    return simulate_fit(sc, fit_scenario(sc, model), spec, progress, n_jobs=n_jobs, backend=backend)


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
    n_jobs: int = 1,
    backend: Any = None,
) -> ScenarioSensitivity:
    """Sensitivity of the metric year's market size to each uncertain assumption (the Monte
    Carlo behind the rank correlations runs on ``n_jobs`` local processes or a Dask
    ``backend``, as :func:`simulate_scenario`; above 1,000,000 draws the correlations use its
    seeded subsample of about 100,000 draws)."""
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    _require_growth_model(sc)
    if sc.assumptions is None or not sc.assumptions.uncertain():
        raise ForecastError(
            f"{sc.path}: assumptions: sensitivity needs at least one uncertain assumption in "
            "[assumptions]; got none"
        )
    year = metric_year(sc)
    sim = simulate_scenario(
        sc, draws=draws, seed=seed, layers=("assumptions",), n_jobs=n_jobs, backend=backend
    )
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
