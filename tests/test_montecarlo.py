"""The Monte Carlo above 1,000,000 draws (issue 17): quantiles from mergeable summaries within
their stated rank error of the exact ones, every other figure exact, and the same result however
the blocks are spread over local processes.

The Dask runs (the same numbers on a cluster, a killed worker) are in test_dask_montecarlo.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import Result, assert_user_error, monte_carlo_scenario
from forecast.cli.simulate import simulation_files
from forecast.errors import ForecastError
from forecast.projection import ScenarioSimulation, fit_scenario, run_spec, simulate_fit
from forecast.scenario import load_scenario
from forecast.simulation import sensitivity_scenario, simulate_scenario
from forecast.uncertainty import montecarlo
from forecast.uncertainty.propagate import EXACT_MAX_DRAWS

MILLION = 1_000_000


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return monte_carlo_scenario(tmp_path_factory.mktemp("mc"))


@pytest.fixture(scope="module")
def million(scenario: Path) -> Iterator[tuple[ScenarioSimulation, ScenarioSimulation]]:
    """The same 10^6 draws, with exact quantiles (every draw kept) and with summaries."""
    sc = load_scenario(scenario)
    fit = fit_scenario(sc, sc.model)
    spec = replace(run_spec(sc), draws=MILLION, quantile_method="exact")
    exact = simulate_fit(sc, fit, spec, keep_paths=True)
    sketch = simulate_fit(sc, fit, replace(spec, quantile_method="sketch"))
    yield exact, sketch


def _rank_gap(draws: np.ndarray, got: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """Draws between each reported value and numpy's virtual index ``q (n - 1)``."""
    xs = np.sort(draws)
    h = qs * (xs.size - 1)
    below = np.searchsorted(xs, got, "left")
    upto = np.searchsorted(xs, got, "right")
    return np.maximum(0.0, np.maximum(below - np.ceil(h), np.floor(h) + 1 - upto))


def test_summaries_at_a_million_draws_are_within_their_rank_error(
    million: tuple[ScenarioSimulation, ScenarioSimulation],
) -> None:
    exact, sketch = million
    e, s = exact.result, sketch.result
    assert e.quantile_method == "exact" and s.quantile_method == "sketch"
    assert e.valid == s.valid == MILLION
    n = e.valid
    qs = np.array(s.quantiles)
    assert 0 < s.rank_error < 5e-4  # the bound of this run: 16 blocks, 8192 items
    paths = e.paths
    assert paths is not None
    worst = 0.0
    for s_i in range(len(s.series)):
        for t_i in range(len(s.years)):
            gap = _rank_gap(paths[s_i, t_i], s.values[s_i, :, t_i], qs)
            worst = max(worst, float(gap.max()))
    assert worst <= s.rank_error * n, (worst, s.rank_error * n)
    # per-draw growth rates (the base is drawn): their quantiles are summarised too
    t0 = s.base_year
    for t_i, year in enumerate(s.years):
        if year > t0:
            per = (paths[0, t_i] / e.base) ** (1.0 / (year - t0)) - 1.0
            gap = _rank_gap(per, s.cagr[f"{t0}-{year}"], qs)
            assert gap.max() <= s.rank_error * n, year
    # and the summaries are close in value too (a smooth distribution)
    np.testing.assert_allclose(s.values, e.values, rtol=2e-3)


def test_every_other_figure_is_exact_above_the_limit(
    million: tuple[ScenarioSimulation, ScenarioSimulation],
) -> None:
    exact, sketch = million
    e, s = exact.result, sketch.result
    n = e.valid
    assert s.anchors == e.anchors  # counts: the same probabilities and standard errors
    assert s.crossing == e.crossing  # first-crossing years from exact counts per year
    np.testing.assert_allclose(s.mean, e.mean, rtol=1e-12)  # sums in another order
    # the means' Monte Carlo standard errors: sd / sqrt(n) of the draws, pooled from the blocks
    paths = e.paths
    assert paths is not None
    direct = paths.std(axis=2, ddof=1) / np.sqrt(n)
    np.testing.assert_allclose(e.mean_se, direct, rtol=1e-12)
    np.testing.assert_allclose(s.mean_se, direct, rtol=1e-9)
    assert np.all(s.mean_se > 0) and np.all(s.mean_se < 1e-2 * s.mean)
    assert s.notes == e.notes and s.layers == e.layers
    np.testing.assert_array_equal(s.point, e.point)
    # what needs draws side by side holds a seeded subsample, not every draw
    assert 90_000 < s.sample < 110_000
    assert s.inputs.shape == (s.sample, len(s.input_names)) and s.metric.shape == (s.sample,)
    assert {y: v.shape for y, v in s.anchor_draws.items()} == {2030: (s.sample,)}
    assert s.paths is None and s.base.shape == (s.sample,)
    # ... a fair one: its share above the anchor matches the exact probability
    p = float(np.mean(s.anchor_draws[2030] >= 1570.0 * (1 - 1e-9)))
    assert abs(p - e.anchors[0]["probability"]) < 5 * np.sqrt(0.25 / s.sample)


def test_the_files_say_how_quantiles_were_computed(
    million: tuple[ScenarioSimulation, ScenarioSimulation],
) -> None:
    exact, sketch = million
    ex_files = simulation_files(exact, exact.summary())
    sk_files = simulation_files(sketch, sketch.summary())
    assert b"rank_error" not in ex_files["quantiles.csv"]
    assert "quantile_method" not in json.loads(ex_files["summary.json"])
    header = sk_files["quantiles.csv"].splitlines()[0].decode()
    assert header == "scenario,series,year,quantile,value,method,rank_error"
    block = json.loads(sk_files["summary.json"])["quantile_method"]
    assert block["method"] == "sketch" and block["rank_error"] == sketch.result.rank_error
    assert block["exact_max_draws"] == EXACT_MAX_DRAWS and "subsample" in block["note"]
    assert sk_files["anchors.csv"] == ex_files["anchors.csv"]
    assert sk_files["mean.csv"].splitlines()[0] == b"scenario,series,year,mean,mc_se"


def test_local_processes_and_groupings_give_the_same_bytes(
    scenario: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks spread over two processes, in groups of 1 or 16 blocks, merge to the same result
    as one process drawing them in order (sketch and exact)."""
    kw: dict[str, Any] = {"draws": 2**18, "block": 8192, "quantile_method": "sketch"}
    one = simulate_scenario(scenario, **kw)
    base = simulation_files(one, one.summary())
    for per_worker in (1, 8):  # 32 blocks over 2 workers: groups of 16 or of 2
        monkeypatch.setattr(montecarlo, "TASKS_PER_WORKER", per_worker)
        two = simulate_scenario(scenario, n_jobs=2, **kw)
        assert simulation_files(two, two.summary()) == base, per_worker
        np.testing.assert_array_equal(two.result.inputs, one.result.inputs)
    small = {"draws": 30_000, "block": 4096}
    a = simulate_scenario(scenario, **small)
    b = simulate_scenario(scenario, n_jobs=2, **small)
    assert a.result.quantile_method == "exact"
    assert simulation_files(a, a.summary()) == simulation_files(b, b.summary())


def test_sensitivity_above_the_limit_uses_the_subsample(scenario: Path) -> None:
    sen = sensitivity_scenario(scenario, draws=EXACT_MAX_DRAWS + 1, sobol_samples=64)
    imp = sen.importance.set_index("input")
    assert imp.loc["saturation", "share"] > imp.loc["share_A", "share"]
    assert abs(imp["share"].sum() - 1) < 1e-12


def test_cli_says_so_and_exact_stays_available(
    scenario: Path, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    out = tmp_path / "out"
    res = run_cli("simulate", scenario, "--draws", str(EXACT_MAX_DRAWS + 1), "--out", out)
    assert res.code == 0, res.err
    assert "quantiles   from mergeable summaries (more than 1,000,000 draws)" in res.out
    assert "% of the draws in rank of the exact one" in res.out
    res = run_cli("simulate", scenario, "--draws", "5000", "--exact", "--out", out / "x")
    assert res.code == 0 and "mergeable" not in res.out
    assert_user_error(
        run_cli("simulate", scenario, "--draws", "5000", "--n-jobs", "0", "--out", out / "y"),
        "n_jobs: must be a positive whole number",
    )
    with pytest.raises(ForecastError, match="quantile_method: must be one of auto, exact"):
        simulate_scenario(scenario, draws=100, quantile_method="approximate")
    with pytest.raises(ForecastError, match="backend: must be 'local', 'dask'"):
        simulate_scenario(scenario, draws=100, backend="spark")
