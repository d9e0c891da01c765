"""ARIMA and ETS kernels: optimisers against their slow twins, likelihoods against statsmodels and
the plain twins, fits at least as good as statsmodels' own, batch independence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from forecast.errors import FitError
from forecast.stats import ETS, Arima, twins
from forecast.stats import arima as A
from forecast.stats import ets as E
from forecast.stats import optim as O
from forecast.stats.kernels import pad


def _series(seed: int, count: int, positive: bool = True) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = 9 + (i * 5) % 20
        s = np.exp(np.cumsum(rng.normal(0.06, 0.08, n))) + rng.normal(0, 0.04, n)
        out.append(s / np.abs(s).max() if positive else s - s.mean())
    return out


# -- optimisers ---------------------------------------------------------------------------------


def _problems(seed: int, rows: int, width: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    dims = rng.integers(1, width + 1, rows)
    centre = rng.normal(0, 1, (rows, width))
    scale = rng.uniform(0.5, 3, (rows, width))
    x0 = np.where(np.arange(width)[None] < dims[:, None], rng.normal(0, 1, (rows, width)), 0.0)
    return dims, centre, scale, x0


def _value(x: np.ndarray, c: np.ndarray, s: np.ndarray) -> float:
    z = (x - c[: len(x)]) * s[: len(x)]
    return float(np.sum(z * z) + 0.5 * np.sum((z[1:] - z[:-1] ** 2) ** 2))


def test_pattern_search_equals_its_twin() -> None:
    dims, centre, scale, x0 = _problems(1, 25, 3)
    lower = np.full(x0.shape, -np.inf)
    upper = np.full(x0.shape, np.inf)
    lower[:, 0], upper[:, 0] = -0.4, 0.6  # a bound that binds for some rows

    def fun(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        pairs = zip(x, rows, strict=True)
        return np.array([_value(xi[: dims[r]], centre[r], scale[r]) for xi, r in pairs])

    step = np.full(x0.shape, 0.3)
    x, f, calls = O.pattern_search(fun, x0, step, dims, lower, upper, halvings=10, maxiter=300)
    assert calls.max() < 300  # every row stopped on its step size
    for i, d in enumerate(dims):
        xt, ft = twins.pattern_search(
            lambda z, i=i: _value(z, centre[i], scale[i]),
            x0[i, :d],
            step[i, :d],
            lower[i, :d],
            upper[i, :d],
            10,
            300,
        )
        np.testing.assert_array_equal(x[i, :d], xt)
        assert f[i] == ft
        assert np.all(x[i, d:] == 0)


def test_bfgs_equals_its_twin_and_finds_the_minimum() -> None:
    dims, centre, scale, x0 = _problems(2, 25, 4)

    def fun(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        pairs = zip(x, rows, strict=True)
        return np.array([_value(xi[: dims[r]], centre[r], scale[r]) for xi, r in pairs])

    x, f, iters = O.bfgs(fun, x0, dims)
    for i, d in enumerate(dims):
        xt, ft = twins.bfgs(lambda z, i=i: _value(z, centre[i], scale[i]), x0[i, :d])
        np.testing.assert_allclose(x[i, :d], xt, rtol=1e-9, atol=1e-12)
        assert f[i] == pytest.approx(ft, rel=1e-9, abs=1e-14)
        assert f[i] < 1e-8  # the minimum is 0 at the centre
    assert iters.max() < 100


def test_lowest_keeps_the_k_best_of_every_owner() -> None:
    values = np.array([3.0, 1.0, 2.0, 1.0, 5.0, 0.5])
    owner = np.array([0, 0, 0, 0, 1, 1])
    got = O.lowest(values, owner, 2)
    assert got.tolist() == [1, 3, 5, 4]


# -- ETS ----------------------------------------------------------------------------------------

FORMS = [(c.error, c.trend, c.damped) for c in E.CANDIDATES]


@pytest.mark.parametrize(("error", "trend", "damped"), FORMS)
def test_ets_likelihood_equals_statsmodels_and_twin(error: str, trend: bool, damped: bool) -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    s = _series(3, 4)[3]
    alpha, beta, phi = 0.5, 0.1 if trend else 0.0, 0.9 if damped else 1.0
    l0, b0 = 0.97 * s[0], 0.02 if trend else 0.0
    model = ETSModel(s, error=error, trend="add" if trend else None, damped_trend=damped)
    values = {
        "smoothing_level": alpha,
        "smoothing_trend": beta,
        "damping_trend": phi,
        "initial_level": l0,
        "initial_trend": b0,
    }
    ref = -model.loglike(np.array([values[k] for k in model.param_names]))
    one = lambda v: np.array([v])  # noqa: E731
    comp = E.components(s[:, None], one(alpha), one(beta), one(phi))
    w = np.ones((len(s), 1), dtype=bool)
    got = E.nll_at(comp, s[:, None], w, np.array([len(s)]), one(l0), one(b0), error == "mul")
    assert got[0] == pytest.approx(ref, rel=1e-12)
    assert twins.ets_nll(s, error, alpha, beta, phi, l0, b0) == pytest.approx(ref, rel=1e-12)


def test_ets_profiles_equal_twins() -> None:
    series = _series(4, 6)
    y, n = pad(series)
    yt, w = np.ascontiguousarray(y.T), np.arange(y.shape[1])[:, None] < n[None, :]
    rows = len(n)
    for trend in (False, True):
        alpha = np.linspace(0.2, 0.9, rows)
        beta = np.where(trend, 0.1 * alpha, 0.0)
        phi = np.full(rows, 0.95 if trend else 1.0)
        comp = E.components(yt, alpha, beta, phi)
        tr = np.full(rows, trend)
        nll_a, l0, b0 = E.profile_additive(comp, w, n, tr)
        nll_m, _, _ = E.profile_multiplicative(comp, yt, w, n, tr, l0, b0)
        for i, s in enumerate(series):
            args = (float(alpha[i]), float(beta[i]), float(phi[i]), trend)
            ref_a = twins.ets_profile(s, "add", *args)
            assert nll_a[i] == pytest.approx(ref_a[0], rel=1e-9)
            np.testing.assert_allclose([l0[i], b0[i]], ref_a[1:], rtol=1e-7, atol=1e-10)
            assert nll_m[i] == pytest.approx(twins.ets_profile(s, "mul", *args)[0], rel=1e-9)


# statsmodels 0.15.0's maximised log-likelihoods (ETSModel(...).fit(), ARIMA(...).fit()) for the
# series below, computed once with OMP_NUM_THREADS=1 (fitting them here takes seconds to minutes
# on a loaded machine, where OpenBLAS threads fight over two cores); keys (series, candidate) and
# (series, p, q).
# fmt: off
ETS_LLF = {
    (0, 0): 10.1065, (0, 1): 12.828886, (0, 2): 12.743382, (0, 3): 9.578994, (0, 4): 12.119009,
    (0, 5): 12.010778, (1, 0): 18.326666, (1, 1): 21.16835, (1, 2): 22.836142,
    (1, 3): 18.566638, (1, 4): 21.873706, (1, 5): 23.003285,
}
ARIMA_LLF = {
    (0, 0, 0): 9.586071, (0, 0, 1): 11.191372, (0, 0, 2): 11.127016, (0, 1, 0): 10.248164,
    (0, 1, 1): 11.234238, (0, 1, 2): 11.739164, (0, 2, 0): 11.317486, (0, 2, 1): 12.287493,
    (0, 2, 2): 12.239492, (1, 0, 0): 15.021171, (1, 0, 1): 18.764946, (1, 0, 2): 19.360548,
    (1, 1, 0): 15.679865, (1, 1, 1): 18.875791, (1, 1, 2): 18.927874, (1, 2, 0): 18.512738,
    (1, 2, 1): 20.377937, (1, 2, 2): 20.362293,
}
# fmt: on


def test_ets_fits_at_least_as_well_as_statsmodels() -> None:
    """Every candidate's maximised likelihood is at least statsmodels' (L-BFGS from its start
    values), AICc picks the least, and the chosen model's forecasts are statsmodels' at our
    estimates."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    series = _series(5, 2)
    y, n = pad(series)
    f, par = E.ets(y, n, 4)
    forms = len(E.CANDIDATES)
    flags = [
        np.array([getattr(c, a) == v for c in E.CANDIDATES])
        for a, v in (("error", "mul"), ("trend", True), ("damped", True))
    ]
    for i, s in enumerate(series):
        fits = E.fit_forms(
            np.repeat(y[i : i + 1], forms, 0), np.repeat(n[i : i + 1], forms), *flags
        )
        crit = E.aicc(fits.nll, np.array([c.k for c in E.CANDIDATES]), np.full(forms, n[i]))
        assert par["aicc"][i] == pytest.approx(np.min(crit), rel=1e-12)
        for j in range(forms):
            assert -fits.nll[j] >= ETS_LLF[i, j] - 1e-5
        c = E.CANDIDATES[int(np.argmin(crit))]
        a, b, ph, l0, b0 = fits.params[int(np.argmin(crit))]
        model = ETSModel(s, error=c.error, trend="add" if c.trend else None, damped_trend=c.damped)
        values = {
            "smoothing_level": a,
            "smoothing_trend": b,
            "damping_trend": ph,
            "initial_level": l0,
            "initial_trend": b0,
        }
        at_ours = model.smooth(np.array([values[k] for k in model.param_names]))
        np.testing.assert_allclose(f[i], at_ours.forecast(4), rtol=1e-9)
        assert at_ours.llf == pytest.approx(-fits.nll[int(np.argmin(crit))], rel=1e-10)


# -- ARIMA --------------------------------------------------------------------------------------


def test_kpss_matches_statsmodels() -> None:
    from statsmodels.tsa.stattools import kpss

    for s in _series(6, 8):
        for x in (s, np.diff(s)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = kpss(x, regression="c", nlags="auto")[0]
            assert A.kpss_stat(x) == pytest.approx(ref, rel=1e-12)


def test_arma_likelihood_equals_twin_and_statsmodels() -> None:
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.arima_process import arma_acovf

    rng = np.random.default_rng(7)
    series = _series(7, 6)
    orders = [(p, q) for p in range(3) for q in range(3)]
    width = max(len(s) for s in series)
    wt = np.zeros((width, len(series) * len(orders)))
    m, pp, qq, mean, x = [], [], [], [], []
    for i, s in enumerate(series):
        for j, (p, q) in enumerate(orders):
            wt[: len(s) - 1, i * len(orders) + j] = np.diff(s)
            m.append(len(s) - 1)
            pp.append(p)
            qq.append(q)
            mean.append(j % 2 == 0)
            x.append(
                np.where(np.arange(4) < 2, np.arange(4) < p, np.arange(4) - 2 < q)
                * rng.normal(0, 1, 4)
            )
    rows = A.Rows(wt, np.array(m), np.array(pp), np.array(qq), np.array(mean))
    xs = np.array(x)
    at = np.arange(len(m))
    nll, mu, sigma2, _ = A.filter_rows(rows, xs, at)
    phi, theta = A.coefficients(xs[:, :2], rows.p), -A.coefficients(xs[:, 2:], rows.q)
    gamma = A.acov(phi, theta, 6)
    for r in at:
        ref = arma_acovf(np.r_[1, -phi[r]], np.r_[1, theta[r]], nobs=6)
        np.testing.assert_allclose(gamma[r], ref, rtol=1e-10)
        w = wt[: m[r], r]
        assert nll[r] == pytest.approx(twins.arma_nll(w, phi[r], theta[r], mean[r]), rel=1e-10)
    # statsmodels' state-space likelihood of the undifferenced series, at the same parameters
    for r in at[:: len(orders) + 1]:
        s = series[r // len(orders)]
        p, q = int(rows.p[r]), int(rows.q[r])
        model = ARIMA(s, order=(p, 1, q), trend="t" if mean[r] else "n")
        params = [mu[r]] * bool(mean[r]) + [*phi[r, :p], *theta[r, :q], sigma2[r]]
        assert -model.loglike(np.array(params)) == pytest.approx(nll[r], rel=1e-7)


def test_arima_chooses_by_aicc_at_least_as_well_as_statsmodels() -> None:
    from statsmodels.tsa.arima.model import ARIMA

    series = _series(8, 2)
    y, n = pad(series)
    f, par = A.arima(y, n, 5)
    for i, s in enumerate(series):
        d = int(par["d"][i])
        best, chosen, at = np.inf, (-1, -1), {}
        for (row, p, q), ref in ARIMA_LLF.items():
            if row != i:
                continue
            k, m = p + q + (d < 2) + 1, len(s) - d
            est = A.estimate(s, p, d, q)
            # 1e-3: near a unit MA root statsmodels may go further than the search's partial
            # autocorrelations of +-0.998 (4.5e-4 here)
            assert -est["nll"] >= ref - 1e-3
            crit = A.aicc(np.array([est["nll"]]), np.array([k]), np.array([m]))[0]
            if crit < best:
                best, chosen, at = crit, (p, q), est
        assert (par["p"][i], par["q"][i]) == chosen and par["aicc"][i] == pytest.approx(best)
        p, q = chosen
        model = ARIMA(s, order=(p, d, q), trend={0: "c", 1: "t"}.get(d, "n"))
        params = [at["mean"]] * (d < 2) + [*at["phi"][:p], *at["theta"][:q], at["sigma2"]]
        np.testing.assert_allclose(f[i], model.filter(np.array(params)).forecast(5), rtol=1e-8)


# -- batches ------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", [Arima(), ETS()])
def test_a_row_does_not_depend_on_its_batch(spec: Arima | ETS) -> None:
    series = [*_series(9, 5), _series(10, 1, positive=False)[0]]
    y, n = pad(series)
    full, params = spec.point(y, n, 6)
    assert np.all(np.isfinite(full))
    for i in (0, 3, 5):
        one, p_one = spec.point(y[i : i + 1, : n[i]], n[i : i + 1], 6)
        np.testing.assert_array_equal(one[0], full[i])
        assert {k: v[0] for k, v in p_one.items()} == {k: v[i] for k, v in params.items()}


def test_a_series_nothing_fits_is_one_line() -> None:
    with pytest.raises(FitError, match=r"^ets model: needs at least 5 points; got 4$"):
        ETS().fit([2001, 2002, 2003, 2004], [1.0, 2.0, 3.0, 4.0])
    y, n = pad([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0, 6.0, 8.0]])
    f, params = E.ets(y, n, 3)  # four points leave no candidate with AICc defined
    assert np.all(np.isnan(f[0])) and np.isnan(params["aicc"][0]) and np.all(np.isfinite(f[1]))
