"""Vectorised ARIMA for yearly series: KPSS differencing, exact likelihood, AICc selection.

For a series ``y`` of ``n`` points:

* **Differences** ``d`` by repeated KPSS level-stationarity tests at 5% (statsmodels' ``kpss``
  with ``regression="c"`` and ``nlags="auto"``, as R's ``ndiffs``), at most ``max_d``:
  :func:`kpss_stat`. ``w`` is ``y`` differenced ``d`` times, ``m = n - d`` values.
* **Model** ``w_t - mu = phi_1 (w_{t-1} - mu) + ... + e_t + theta_1 e_{t-1} + ...`` with a mean
  ``mu`` for ``d = 0`` (a constant), ``d = 1`` (a drift of ``y``), none for ``d = 2`` (as
  statsmodels' ``ARIMA(order=(p, d, q), trend="c"/"t"/"n")``).
* **Exact Gaussian likelihood** of ``w`` by a Kalman filter started at the stationary state
  covariance, with the generalised-least-squares mean and the variance profiled out (the maximum
  over them, exactly). It equals statsmodels' state-space likelihood (its diffuse start for
  ``d > 0`` is the likelihood of the differences). AR and MA coefficients are searched in the
  unconstrained form statsmodels uses (partial autocorrelations ``x / sqrt(1 + x^2)``), so every
  candidate is stationary and invertible; the search stays within ``|x| <= 15`` (partial
  autocorrelations within +-0.998: a likelihood that keeps rising towards a unit MA root stops
  there, 1e-3 or less below statsmodels' value in the tests).
* **Search** per candidate: the :data:`STARTS` best points of the grid ``{-1, 0, 1}^(p+q)`` of
  unconstrained values, each followed by BFGS (:func:`forecast.stats.optim.bfgs`, at most
  :data:`MAXITER` iterations); the best end point wins. On 90 M1 and Tourism series this reaches
  statsmodels' maximum or a higher one for all but 6 of 810 candidates (5 by more than 0.1, all
  ARMA(2, 2) with another local optimum), and a higher one (by more than 1e-3) for 208.
* **Selection**: ``p`` and ``q`` from 0 to ``max_p``/``max_q`` by AICc over the full grid, with
  ``k = p + q + (mean) + 1`` and ``m`` observations; a candidate needs ``m - k - 1 > 0``; the
  first of equal AICc in the order (0, 0), (0, 1), ..., (2, 2) wins.
* **Forecasts**: the filter run on past the data (the exact conditional mean of the future
  ``w``), integrated back ``d`` times.

Every (series, order, start) triple is a row; the filter runs over the years once per call for
all rows with elementwise arithmetic, so a row's numbers depend on its own data only.
:func:`forecast.stats.twins.arma_nll` is the plain per-series twin (the Toeplitz covariance and
its Cholesky factor) the tests compare the filter with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import FloatArray, IntArray
from .optim import bfgs, lowest

KPSS_CRIT = np.array([0.347, 0.463, 0.574, 0.739])  # 10%, 5%, 2.5%, 1% (level stationarity)
KPSS_PVALUES = np.array([0.10, 0.05, 0.025, 0.01])
STARTS = 6  # best grid points each candidate is searched from
X_MAX = 15.0  # |unconstrained value| at most: partial autocorrelations within +-0.998
MAXITER = 40
GRID = (-1.0, 0.0, 1.0)


def kpss_stat(x: FloatArray) -> float:
    """KPSS level-stationarity statistic with the Hobijn et al. (1998) lag (statsmodels'
    ``kpss(x, regression="c", nlags="auto")``)."""
    nobs = len(x)
    resid = x - x.mean()
    covlags = int(np.power(nobs, 2.0 / 9.0))
    s0 = np.sum(resid**2) / nobs
    s1 = 0.0
    for i in range(1, covlags + 1):
        prod = np.dot(resid[i:], resid[: nobs - i]) / (nobs / 2.0)
        s0 += prod
        s1 += i * prod
    lags = min(
        int(1.1447 * np.power((s1 / s0) ** 2, 1.0 / 3.0) * np.power(nobs, 1.0 / 3.0)), nobs - 1
    )
    eta = np.sum(resid.cumsum() ** 2) / nobs**2
    s_hat = np.sum(resid**2)
    for i in range(1, lags + 1):
        s_hat += 2 * np.dot(resid[i:], resid[: nobs - i]) * (1.0 - i / (lags + 1.0))
    return float(eta / (s_hat / nobs))


def kpss_diffs(y: FloatArray, max_d: int = 2, alpha: float = 0.05) -> int:
    """Number of differences by repeated KPSS tests (as R's ``ndiffs``): difference while the
    interpolated p-value is below ``alpha`` (stops at a constant or a 3-point series)."""
    d, x = 0, np.asarray(y, dtype=float)
    while d < max_d and len(x) > 3 and np.ptp(x) != 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = kpss_stat(x)
        if np.interp(stat, KPSS_CRIT, KPSS_PVALUES) >= alpha:
            break
        d, x = d + 1, np.diff(x)
    return d


def coefficients(x: FloatArray, order: IntArray) -> FloatArray:
    """Stationary AR coefficients ``(R, 2)`` (zero-padded) from unconstrained values ``x``
    ``(R, 2)`` of which the first ``order`` (0 to 2) are used: Durbin-Levinson on the partial
    autocorrelations ``x / sqrt(1 + x^2)`` (Monahan's parameterisation, as statsmodels'; MA
    coefficients are the negatives, the invertible region being the mirror image)."""
    r = np.where(np.arange(2)[None, :] < order[:, None], x / np.sqrt(1 + x * x), 0.0)
    return np.stack([r[:, 0] * (1 - r[:, 1]), r[:, 1]], axis=1)


def acov(phi: FloatArray, theta: FloatArray, lags: int) -> FloatArray:
    """Autocovariances ``(R, lags)`` of unit-variance ARMA(2, 2) processes (zero-padded
    coefficients) at lags ``0 .. lags - 1``."""
    p1, p2 = phi[:, 0], phi[:, 1]
    t1, t2 = theta[:, 0], theta[:, 1]
    psi1 = t1 + p1
    psi2 = t2 + p1 * psi1 + p2
    c0 = 1 + t1 * psi1 + t2 * psi2
    c1 = t1 + t2 * psi1
    c2 = t2
    g0 = (c0 + p2 * c2 + p1 * (1 + p2) * c1 / (1 - p2)) / (
        (1 - p2 * p2) - p1 * p1 * (1 + p2) / (1 - p2)
    )
    g1 = (c1 + p1 * g0) / (1 - p2)
    out = np.empty((len(phi), max(lags, 3)))
    out[:, 0], out[:, 1] = g0, g1
    out[:, 2] = c2 + p1 * g1 + p2 * g0
    for k in range(3, lags):
        out[:, k] = p1 * out[:, k - 1] + p2 * out[:, k - 2]
    return out[:, :lags]


@dataclass(frozen=True)
class Rows:
    """The rows of a fit: differenced series (time-major, zero-padded), lengths, orders and
    mean flags."""

    wt: FloatArray
    m: IntArray
    p: IntArray
    q: IntArray
    mean: np.ndarray


def filter_rows(
    rows: Rows, x: FloatArray, at: IntArray, h: int = 0
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Kalman filter of the rows ``at`` at the points ``x`` ``(M, 4)`` (AR then MA,
    unconstrained): negative log-likelihood (mean and variance profiled out), the mean, the
    variance and the conditional means of the next ``h`` values ``(M, h)``.

    The state is Harvey's ``(x_t, phi_2 x_{t-1} + theta_1 e_t + theta_2 e_{t-1}, theta_2 e_t)``
    started at its stationary covariance; without measurement noise only three entries of its
    covariance change over time. The data and a column of ones are filtered together (the
    gains do not depend on the data), so the GLS mean comes out of the same pass.
    """
    phi = coefficients(x[:, :2], rows.p[at])
    theta = -coefficients(x[:, 2:], rows.q[at])
    p1, p2, t1, t2 = phi[:, 0], phi[:, 1], theta[:, 0], theta[:, 1]
    g = acov(phi, theta, 2)
    psi1 = t1 + p1
    p00 = g[:, 0]
    p01 = p2 * g[:, 1] + t1 + t2 * psi1
    p11 = p2 * p2 * g[:, 0] + t1 * t1 + t2 * t2 + 2 * p2 * t2
    t12, t22 = t1 * t2, t2 * t2
    m = rows.m[at]
    steps = rows.wt.shape[0]
    z = np.stack([rows.wt[:, at], np.ones((steps, len(at)))], axis=1)  # data and ones, (T, 2, M)
    a0 = np.zeros((2, len(at)))  # predicted x_t
    a1 = np.zeros((2, len(at)))  # predicted second state
    sums = np.zeros((3, len(at)))  # v_w^2 / F, v_w v_1 / F, v_1^2 / F
    logdet = np.zeros(len(at))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for t in range(steps):
            on = t < m
            v = z[t] - a0
            vf = v / p00
            sums += on * (vf[[0, 0, 1]] * v[[0, 1, 1]])
            logdet += on * np.log(p00)
            c1, c2 = p01 / p00, t2 / p00
            a0, a1 = (
                np.where(on, p1 * z[t] + a1 + c1 * v, a0),
                np.where(on, p2 * z[t] + c2 * v, a1),
            )
            u11, u12 = p11 - p01 * c1, t12 - p01 * c2
            p00 = np.where(on, u11 + 1, p00)
            p01 = np.where(on, u12 + t1, p01)
            p11 = np.where(on, t22 - t2 * c2 + t1 * t1, p11)
        mean = np.where(rows.mean[at], sums[1] / sums[2], 0.0)
        quad = sums[0] - mean * sums[1]
        nll = m / 2 * (np.log(2 * np.pi * quad / m) + 1) + logdet / 2
        nll = np.where(np.isfinite(nll) & (quad > 0), nll, np.inf)
        f0, f1 = a0[0] - mean * a0[1], a1[0] - mean * a1[1]  # predicted states of w - mean
        out = np.empty((len(at), h))
        for k in range(h):
            out[:, k] = mean + f0
            f0, f1 = p1 * f0 + f1, p2 * f0
    return nll, mean, quad / m, out


def integrate(y_last: FloatArray, wf: FloatArray, d: int) -> FloatArray:
    """Undo ``d`` differences: ``y_last`` holds the last ``d`` values of ``y`` (oldest first)."""
    if d == 0:
        return wf
    if d == 1:
        return np.asarray(y_last[-1] + np.cumsum(wf), dtype=float)
    slope = y_last[-1] - y_last[-2]
    return np.asarray(y_last[-1] + np.cumsum(slope + np.cumsum(wf)), dtype=float)


def aicc(nll: FloatArray, k: IntArray, m: IntArray) -> FloatArray:
    """Small-sample AIC from a negative log-likelihood; ``inf`` when ``m - k - 1 <= 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        crit = 2 * nll + 2 * k + 2 * k * (k + 1) / (m - k - 1)
    return np.asarray(np.where((m - k - 1 > 0) & np.isfinite(nll), crit, np.inf), dtype=float)


def fit_rows(rows: Rows) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Maximum likelihood of every row: unconstrained parameters ``(R, 4)``, negative
    log-likelihood and mean."""
    count = len(rows.m)
    dims = rows.p + rows.q
    cols = np.full((count, 4), -1, dtype=np.int64)  # coordinate used for phi1, phi2, th1, th2
    for j in range(2):
        cols[rows.p > j, j] = j
        cols[rows.q > j, 2 + j] = rows.p[rows.q > j] + j

    def full(xx: FloatArray, at: IntArray) -> FloatArray:
        out = np.zeros((len(at), 4))
        for j in range(4):
            have = cols[at, j] >= 0
            out[have, j] = xx[have, cols[at[have], j]]
        return out

    def objective(xx: FloatArray, at: IntArray) -> FloatArray:
        nll = filter_rows(rows, full(xx, at), at)[0]
        return np.where(np.all(np.abs(xx) <= X_MAX, axis=1), nll, np.inf)

    grid = np.array(np.meshgrid(*[GRID] * 4, indexing="ij")).reshape(4, -1).T
    inside = np.all((grid == 0) | (np.arange(4)[None, None, :] < dims[:, None, None]), axis=2)
    r, gi = np.nonzero(inside)
    st = lowest(objective(grid[gi], r), r, STARTS)  # the best grid points of every row
    owner = r[st]
    xs, fs, _ = bfgs(
        lambda xx, at: objective(xx, owner[at]), grid[gi[st]], dims[owner], maxiter=MAXITER
    )
    x = xs[lowest(fs, owner, 1)]
    params = full(x, np.arange(count))
    nll, mean, _, _ = filter_rows(rows, params, np.arange(count))
    return params, nll, mean


def estimate(y: FloatArray, p: int, d: int, q: int) -> dict[str, FloatArray | float]:
    """Maximum-likelihood estimates of one ARIMA(p, d, q) for one series (a mean for ``d < 2``):
    ``phi`` and ``theta`` (zero-padded to 2), ``mean``, ``sigma2`` and ``nll``."""
    w = np.diff(np.asarray(y, dtype=float), d)
    rows = Rows(w[:, None], np.array([len(w)]), np.array([p]), np.array([q]), np.array([d < 2]))
    params, _, _ = fit_rows(rows)
    nll, mean, sigma2, _ = filter_rows(rows, params, np.array([0]))
    return {
        "phi": coefficients(params[:, :2], rows.p)[0],
        "theta": -coefficients(params[:, 2:], rows.q)[0],
        "mean": float(mean[0]),
        "sigma2": float(sigma2[0]),
        "nll": float(nll[0]),
    }


def arima(
    y: FloatArray, n: IntArray, h: int, max_p: int = 2, max_q: int = 2, max_d: int = 2
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Fit and select an ARIMA for every (padded) series; forecasts ``(N, h)`` and per row
    ``p``, ``d``, ``q`` and ``aicc`` (NaN forecasts and AICc where no order fits)."""
    series = [np.asarray(y[i, : int(k)], dtype=float) for i, k in enumerate(n)]
    d = np.array([kpss_diffs(s, max_d) for s in series], dtype=np.int64)
    orders = [(p, q) for p in range(max_p + 1) for q in range(max_q + 1)]
    rep, pp, qq = [], [], []
    for i, s in enumerate(series):
        m = len(s) - d[i]
        for p, q in orders:
            k = p + q + (d[i] < 2) + 1
            if m - k - 1 > 0:
                rep.append(i)
                pp.append(p)
                qq.append(q)
    out = np.full((len(n), h), np.nan)
    par = {key: np.full(len(n), np.nan) for key in ("p", "d", "q", "aicc")}
    if not rep:
        return out, par
    ri = np.array(rep, dtype=np.int64)
    width = max(len(s) for s in series)
    wt = np.zeros((width, len(ri)))
    for j, i in enumerate(ri):
        diffed = np.diff(series[i], int(d[i]))
        wt[: len(diffed), j] = diffed
    rows = Rows(wt, n[ri] - d[ri], np.array(pp, np.int64), np.array(qq, np.int64), d[ri] < 2)
    params, nll, _ = fit_rows(rows)
    k = rows.p + rows.q + rows.mean + 1
    crit = aicc(nll, k, rows.m)
    best: dict[int, int] = {}
    for j, i in enumerate(rep):  # the first of equal AICc in the order p, then q
        if np.isfinite(crit[j]) and (i not in best or crit[j] < crit[best[i]]):
            best[i] = j
    if not best:
        return out, par
    chosen = np.array(sorted(best.values()), dtype=np.int64)
    wf = filter_rows(rows, params[chosen], chosen, h)[3]
    for j, row in enumerate(chosen):
        i = rep[row]
        di = int(d[i])
        out[i] = integrate(series[i][len(series[i]) - max(di, 1) :], wf[j], di)
        par["p"][i], par["q"][i], par["d"][i] = rows.p[row], rows.q[row], di
        par["aicc"][i] = crit[row]
    return out, par
