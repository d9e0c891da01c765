"""Vectorised kernels against their slow twins, closed forms and statsmodels."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from forecast.stats import kernels as K
from forecast.stats import twins
from forecast.stats.auto import combination


def _batch(seed: int = 0, count: int = 12) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = 3 + (i * 5) % 30
        trend = rng.normal(1.0, 1.0)
        out.append(50 + np.cumsum(rng.normal(trend, 2.0, n)))
    return out


SERIES = _batch()


def test_pad_and_last() -> None:
    y, n = K.pad([[1.0, 2.0], [3.0, 4.0, 5.0]])
    assert y.shape == (2, 3) and np.isnan(y[0, 2])
    assert K.last(y, n).tolist() == [2.0, 5.0]


def test_drift_closed_form() -> None:
    y, n = K.pad([[10.0, 12.0, 17.0], [5.0]])
    f = K.drift(y, n, 3)
    np.testing.assert_allclose(f[0], [20.5, 24.0, 27.5])
    np.testing.assert_allclose(f[1], [5.0, 5.0, 5.0])
    np.testing.assert_allclose(K.naive(y, n, 2), [[17.0, 17.0], [5.0, 5.0]])


def test_ols_line_matches_polyfit() -> None:
    y, n = K.pad(SERIES)
    a, b = K.ols_line(y, n)
    for i, s in enumerate(SERIES):
        bb, aa = np.polyfit(np.arange(len(s)), s, 1)
        assert a[i] == pytest.approx(aa, rel=1e-10) and b[i] == pytest.approx(bb, rel=1e-9)


def test_kernels_equal_slow_twins() -> None:
    y, n = K.pad(SERIES)
    h = 7
    f_ses, alpha = K.ses(y, n, h)
    f_theta, _, _ = K.theta(y, n, h)
    f_opt, _, _ = K.theta_opt(y, n, h)
    grid = K.holt_grid(phis=K.DAMPED_PHIS)
    f_damped, par = K.holt(y, n, h, grid)
    for i, s in enumerate(SERIES):
        fs, a = twins.ses(s, h)
        np.testing.assert_allclose(f_ses[i], fs, rtol=1e-12)
        assert alpha[i] == a
        np.testing.assert_allclose(f_theta[i], twins.theta(s, h), rtol=1e-10)
        np.testing.assert_allclose(f_opt[i], twins.theta_opt(s, h), rtol=1e-10)
        fd, p = twins.holt(s, h, grid)
        np.testing.assert_allclose(f_damped[i], fd, rtol=1e-9)
        np.testing.assert_array_equal(par[i], p)
        np.testing.assert_allclose(K.drift(y, n, h)[i], twins.drift(s, h), rtol=1e-12)


def test_batch_composition_does_not_change_a_row() -> None:
    y, n = K.pad(SERIES)
    full, _ = combination(y, n, 6)
    one, _ = combination(y[3:4], n[3:4], 6)
    np.testing.assert_array_equal(full[3], one[0])


def test_ses_matches_statsmodels_for_a_given_alpha() -> None:
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    s = SERIES[5]
    y, n = K.pad([s])
    for alpha in (0.2, 0.65):
        ref = (
            SimpleExpSmoothing(s, initialization_method="known", initial_level=s[0])
            .fit(smoothing_level=alpha, optimized=False)
            .forecast(3)
        )
        f, _ = K.ses(y, n, 3, np.array([alpha]))
        np.testing.assert_allclose(f[0], ref, rtol=1e-10)


def test_ses_grid_alpha_near_statsmodels_optimum() -> None:
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    rng = np.random.default_rng(3)
    s = 20 + np.cumsum(rng.normal(0, 1, 40)) + rng.normal(0, 1, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SimpleExpSmoothing(s, initialization_method="known", initial_level=s[0]).fit()
    _, alpha = K.ses(*K.pad([s]), 1)
    assert abs(alpha[0] - ref.params["smoothing_level"]) <= 0.05 + 1e-9


@pytest.mark.parametrize("phi", [1.0, 0.9])
def test_holt_matches_statsmodels_for_given_parameters(phi: float) -> None:
    from statsmodels.tsa.holtwinters import Holt

    s = SERIES[7]
    y, n = K.pad([s])
    l0, b0 = K.holt_init(y, n)
    alpha, beta = 0.4, 0.1
    ref = (
        Holt(
            s,
            damped_trend=phi < 1,
            initialization_method="known",
            initial_level=float(l0[0]),
            initial_trend=float(b0[0]),
        )
        .fit(
            smoothing_level=alpha,
            smoothing_trend=beta / alpha,  # statsmodels' beta* = beta / alpha
            **({"damping_trend": phi} if phi < 1 else {}),
            optimized=False,
        )
        .forecast(5)
    )
    f, _ = K.holt(y, n, 5, np.array([[alpha, beta, phi]]))
    np.testing.assert_allclose(f[0], ref, rtol=1e-9)


def test_theta_matches_statsmodels_theta_model() -> None:
    from statsmodels.tsa.forecasting.theta import ThetaModel

    s = SERIES[9]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ThetaModel(s, period=1, deseasonalize=False).fit()
    y, n = K.pad([s])
    alpha = np.array([res.params["alpha"]])
    f, _, b = K.theta(y, n, 4, alpha)
    assert b[0] == pytest.approx(res.params["b0"], rel=1e-8)
    ses_part = res.forecast_components(4)["ses"].to_numpy()
    drift_ref = res.forecast(4).to_numpy() - ses_part
    f_ses, _ = K.ses(y, n, 4, alpha)
    np.testing.assert_allclose(f[0] - f_ses[0], drift_ref, rtol=1e-8)


def test_mean_abs_diff() -> None:
    y, n = K.pad([[1.0, 3.0, 2.0], [4.0]])
    s = K.mean_abs_diff(y, n)
    assert s[0] == pytest.approx(1.5) and np.isnan(s[1])
