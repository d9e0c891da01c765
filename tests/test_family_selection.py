"""Family choice by out-of-sample error (issue 12): rolling-origin one-year-ahead forecasts, AICc
only as a tie-break, and no "best" unless the evidence separates one; small-sample notes on
backtest coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import ForecastError
from forecast.models.select import MIN_FORECASTS, compare_families
from forecast.stats.backtest import BacktestResult, wilson_interval

FAMILIES = ["exponential", "linear", "logistic", "gompertz"]


def test_a_clean_exponential_history_names_exponential_best() -> None:
    rng = np.random.default_rng(3)
    years = np.arange(2010, 2022, dtype=float)
    values = 50 * 1.18 ** (years - 2010) * np.exp(0.01 * rng.standard_normal(len(years)))
    comp = compare_families(years, values, ["exponential", "linear"])
    assert comp.scores[0].family == "exponential"
    assert comp.best == "exponential", comp.reason
    assert all(len(s.errors) >= MIN_FORECASTS for s in comp.scores if s.errors)
    # errors are relative one-year-ahead misses: about the noise for the right family
    assert comp.scores[0].mean_error < 0.03
    # ordered by out-of-sample error
    errs = [s.mean_error for s in comp.scores if s.errors]
    assert errs == sorted(errs)


def test_a_logistic_with_its_ceiling_at_the_bound_ties_with_the_exponential() -> None:
    """On exponential growth the logistic runs its ceiling to the bound and forecasts as the
    exponential does: equal errors, AICc orders them, and neither is called best."""
    rng = np.random.default_rng(3)
    years = np.arange(2010, 2022, dtype=float)
    values = 50 * 1.18 ** (years - 2010) * np.exp(0.01 * rng.standard_normal(len(years)))
    comp = compare_families(years, values, ["logistic", "exponential"])
    assert [s.family for s in comp.scores] == ["exponential", "logistic"]  # lower AICc first
    assert comp.best is None and "about equally well" in comp.reason


def test_a_short_history_names_no_family_best() -> None:
    """The issue's case: six points, where the families fit about as well and AICc's
    small-sample penalty alone would crown one."""
    years = np.arange(2019, 2025, dtype=float)
    values = np.array([28.9, 41.5, 63.2, 88.2, 112.4, 121.7])
    comp = compare_families(years, values, FAMILIES)
    assert comp.best is None
    assert "out-of-sample forecast" in comp.reason
    # the fits are still there for the chart, with their AICc
    assert {f.model.family for f in comp.fits} == set(FAMILIES)


def test_families_that_forecast_alike_are_not_separated() -> None:
    """A straight line: linear and exponential both near it over the last years."""
    rng = np.random.default_rng(5)
    years = np.arange(2000, 2016, dtype=float)
    values = 1000 + 10 * (years - 2000) + rng.normal(0, 8, len(years))
    comp = compare_families(years, values, ["linear", "exponential"])
    assert comp.best is None
    assert "about equally well" in comp.reason


def test_aicc_breaks_ties_and_orders_unscored_families() -> None:
    comp = compare_families([2020, 2022, 2024, 2025], [62.35, 136.55, 279.22, 390.9], FAMILIES)
    unscored = [s for s in comp.scores if not s.errors]
    scored = [s for s in comp.scores if s.errors]
    assert comp.scores[: len(scored)] == tuple(scored)  # scored ones first
    assert unscored and comp.best is None


def test_origins_must_be_positive() -> None:
    with pytest.raises(ForecastError, match="origins"):
        compare_families([1, 2, 3], [1.0, 2.0, 3.0], ["linear"], origins=0)


@pytest.mark.parametrize(("hits", "n"), [(3, 3), (0, 5), (24, 30), (29, 29), (7, 12)])
def test_wilson_interval_matches_statsmodels(hits: int, n: int) -> None:
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = wilson_interval(hits, n)
    want = proportion_confint(hits, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(want[0], abs=1e-12) and hi == pytest.approx(want[1], abs=1e-12)


def test_backtest_notes_coverage_resting_on_few_forecasts() -> None:
    metrics = pd.DataFrame(
        [
            {"model": "auto", "forecasts": 3, "cov-80": 100.0, "cov-95": 100.0},
            {"model": "naive", "forecasts": 60, "cov-80": 70.0, "cov-95": 90.0},
        ]
    )
    res = BacktestResult(metrics, pd.DataFrame(), pd.DataFrame())
    (note,) = res.notes()
    assert note.startswith("auto: coverage rests on 3 forecast(s), fewer than 30")
    lo, _ = wilson_interval(3, 3)
    assert f"cov-80 100.0% (95% interval {100 * lo:.0f}%-100%)" in note
