"""Plain per-series twins of the vectorised kernels (Python loops, no masks).

They exist to be read and to test :mod:`forecast.stats.kernels`, :mod:`~forecast.stats.ets`,
:mod:`~forecast.stats.arima` and :mod:`~forecast.stats.optim` against; nothing else uses them.
Where a twin computes the same thing another way (the ARMA likelihood from the Toeplitz
covariance instead of a Kalman filter; the initial states by least squares on an explicit design
and by scipy's Nelder-Mead), it imports statsmodels or scipy itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .kernels import (
    HOLT_INIT_POINTS,
    SES_ALPHAS,
    THETA_OPT_ALPHAS,
    THETA_OPT_SHARES,
    FloatArray,
)


def ols_line(y: Sequence[float]) -> tuple[float, float]:
    """Intercept (at t = 0) and slope of the least-squares line through ``y``."""
    if len(y) < 2:
        return float(y[0]), 0.0
    b, a = np.polyfit(np.arange(len(y), dtype=float), np.asarray(y, dtype=float), 1)
    return float(a), float(b)


def ses_run(y: Sequence[float], alpha: float, drift: float = 0.0) -> tuple[float, float]:
    """Final level and one-step SSE of SES with a constant drift."""
    level, sse = float(y[0]), 0.0
    for v in y[1:]:
        f = level + drift
        e = v - f
        sse += e * e
        level = f + alpha * e
    return level, sse


def ses(y: Sequence[float], h: int, alphas: FloatArray = SES_ALPHAS) -> tuple[FloatArray, float]:
    """SES forecasts and alpha (first grid point of least SSE)."""
    best = min(((ses_run(y, float(a))[1], i) for i, a in enumerate(alphas)))
    alpha = float(alphas[best[1]])
    return np.full(h, ses_run(y, alpha)[0]), alpha


def theta(y: Sequence[float], h: int) -> FloatArray:
    """Standard Theta forecasts."""
    f, a = ses(y, h)
    _, b = ols_line(y)
    n = len(y)
    k = np.arange(1, h + 1)
    return f + 0.5 * b * (k - 1 + 1 / a - (1 - a) ** n / a)


def theta_opt(y: Sequence[float], h: int) -> FloatArray:
    """Optimised Theta (SES with drift share of the OLS slope) forecasts."""
    _, b = ols_line(y)
    best: tuple[float, float, float] | None = None
    for a in THETA_OPT_ALPHAS:
        for s in THETA_OPT_SHARES:
            level, sse = ses_run(y, float(a), float(s) * b)
            if best is None or sse < best[0]:
                best = (sse, level, float(s) * b)
    assert best is not None
    return np.asarray(best[1] + best[2] * np.arange(1, h + 1), dtype=float)


def holt(y: Sequence[float], h: int, grid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(Damped) Holt forecasts and the chosen (alpha, beta, phi)."""
    a0, b0 = ols_line(y[:HOLT_INIT_POINTS])
    best: tuple[float, float, float, int] | None = None
    for j, (alpha, beta, phi) in enumerate(grid):
        level, trend, sse = a0 - b0, b0, 0.0
        for t, v in enumerate(y):
            f = level + phi * trend
            e = v - f
            if t > 0:
                sse += e * e
            level = f + alpha * e
            trend = phi * trend + beta * e
        if best is None or sse < best[0]:
            best = (sse, level, trend, j)
    assert best is not None
    _, level, trend, j = best
    phi = grid[j, 2]
    damp = np.cumsum(phi ** np.arange(1, h + 1))
    return level + damp * trend, grid[j]


def drift(y: Sequence[float], h: int) -> FloatArray:
    """Random walk with drift forecasts."""
    d = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 0.0
    return np.asarray(y[-1] + d * np.arange(1, h + 1), dtype=float)


# -- state-space models and their optimisers (forecast.stats.ets, .arima, .optim) -------------


def ets_errors(
    y: Sequence[float], alpha: float, beta: float, phi: float, l0: float, b0: float
) -> tuple[FloatArray, FloatArray]:
    """One-step errors ``y_t - mu_t`` and the ``mu_t`` of the ETS recursions."""
    level, trend = l0, b0
    err, mus = [], []
    for v in y:
        mu = level + phi * trend
        e = v - mu
        err.append(e)
        mus.append(mu)
        level = mu + alpha * e
        trend = phi * trend + beta * e
    return np.array(err), np.array(mus)


def ets_nll(
    y: Sequence[float], error: str, alpha: float, beta: float, phi: float, l0: float, b0: float
) -> float:
    """Negative log-likelihood of an ETS model (statsmodels' ``ETSModel.loglike``)."""
    e, mu = ets_errors(y, alpha, beta, phi, l0, b0)
    n = len(e)
    if error == "mul":
        rel = e / mu
        jacobian = np.sum(np.log(np.abs(mu)))
        return float(n / 2 * (np.log(2 * np.pi * np.mean(rel * rel)) + 1) + jacobian)
    return float(n / 2 * (np.log(2 * np.pi * np.mean(e * e)) + 1))


def ets_profile(
    y: Sequence[float], error: str, alpha: float, beta: float, phi: float, trend: bool
) -> tuple[float, float, float]:
    """Negative log-likelihood maximised over the initial states, and those states: least
    squares on the errors' design (A errors), then scipy's Nelder-Mead from there (M errors)."""
    from scipy.optimize import minimize

    base = ets_errors(y, alpha, beta, phi, 0.0, 0.0)[0]
    cols = [base - ets_errors(y, alpha, beta, phi, 1.0, 0.0)[0]]
    if trend:
        cols.append(base - ets_errors(y, alpha, beta, phi, 0.0, 1.0)[0])
    design = np.column_stack(cols)
    init = np.linalg.lstsq(design, base, rcond=None)[0]
    start = (float(init[0]), float(init[1]) if trend else 0.0)
    if error == "add":
        return ets_nll(y, "add", alpha, beta, phi, *start), *start
    res = minimize(
        lambda th: ets_nll(y, "mul", alpha, beta, phi, th[0], th[1] if trend else 0.0),
        np.array(start[: 1 + trend]),
        method="Nelder-Mead",
        options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000},
    )
    return float(res.fun), float(res.x[0]), float(res.x[1]) if trend else 0.0


def arma_nll(w: Sequence[float], phi: Sequence[float], theta: Sequence[float], mean: bool) -> float:
    """Exact negative log-likelihood of ARMA data ``w`` from the Toeplitz covariance of its
    autocovariances (statsmodels' ``arma_acovf``), the mean (if any) by generalised least
    squares and the variance profiled out."""
    from statsmodels.tsa.arima_process import arma_acovf

    x = np.asarray(w, dtype=float)
    m = len(x)
    gamma = arma_acovf(np.r_[1, -np.asarray(phi)], np.r_[1, np.asarray(theta)], nobs=m)
    cov = gamma[np.abs(np.arange(m)[:, None] - np.arange(m)[None, :])]
    chol = np.linalg.cholesky(cov)
    zw = np.linalg.solve(chol, x)
    z1 = np.linalg.solve(chol, np.ones(m))
    mu = float(z1 @ zw / (z1 @ z1)) if mean else 0.0
    quad = float(np.sum((zw - mu * z1) ** 2))
    return float(m / 2 * (np.log(2 * np.pi * quad / m) + 1) + np.sum(np.log(np.diag(chol))))


def pattern_search(
    fun: Callable[[FloatArray], float],
    x0: FloatArray,
    step: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    halvings: int,
    maxiter: int,
) -> tuple[FloatArray, float]:
    """One row of :func:`forecast.stats.optim.pattern_search`."""
    d = len(x0)
    x = np.clip(np.asarray(x0, dtype=float), lower, upper)
    f = fun(x)
    s = np.asarray(step, dtype=float).copy()
    move = np.zeros(d)
    halved = calls = 0
    while d and halved < halvings and calls < maxiter:
        trials = [x + s[j] * np.eye(d)[j] for j in range(d)]
        trials += [x - s[j] * np.eye(d)[j] for j in range(d)]
        if np.any(move != 0):
            trials.append(x + move)
        best, best_x = np.inf, x
        for t in trials:
            t = np.clip(t, lower, upper)
            if np.any(t != x):
                v = fun(t)
                if v < best:
                    best, best_x = v, t
        calls += 1
        if best < f:
            move, x, f = best_x - x, best_x, best
        else:
            move, s, halved = np.zeros(d), s * 0.5, halved + 1
    return x, float(f)


def bfgs(
    fun: Callable[[FloatArray], float],
    x0: FloatArray,
    gtol: float = 1e-5,
    ftol: float = 1e-10,
    maxiter: int = 100,
    fd_step: float = 1e-6,
) -> tuple[FloatArray, float]:
    """One row of :func:`forecast.stats.optim.bfgs`."""
    from .optim import ARMIJO, LINE_STEPS

    x = np.asarray(x0, dtype=float).copy()
    d = len(x)
    f = fun(x)

    def gradient(at: FloatArray, fa: float) -> tuple[FloatArray, FloatArray]:
        h = fd_step * np.maximum(1.0, np.abs(at))
        up = np.array([fun(at + h[j] * np.eye(d)[j]) for j in range(d)])
        down = np.array([fun(at - h[j] * np.eye(d)[j]) for j in range(d)])
        return (up - down) / (2 * h), (up - 2 * fa + down) / (h * h)

    if not d or not np.isfinite(f):
        return x, float(f)
    g, curv = gradient(x, f)
    hinv = np.diag(np.where(curv > 0, 1 / np.where(curv > 0, curv, 1.0), 1.0))
    for _ in range(maxiter):
        if not np.all(np.isfinite(g)) or np.max(np.abs(g)) <= gtol:
            break
        p = -hinv @ g
        slope = float(g @ p)
        if not slope < 0:
            hinv, p, slope = np.eye(d), -g, -float(g @ g)
        vals = np.array([fun(x + a * p) for a in LINE_STEPS])
        ok = vals <= f + ARMIJO * LINE_STEPS * slope
        pick = int(np.argmax(ok)) if ok.any() else int(np.argmin(vals))
        if not vals[pick] < f:
            break
        s = LINE_STEPS[pick] * p
        small = f - vals[pick] <= ftol * (1 + abs(f))
        x, f = x + s, float(vals[pick])
        if small:
            break
        new_g, _ = gradient(x, f)
        yv = new_g - g
        sy = float(s @ yv)
        if sy > 1e-12:
            rho = 1 / sy
            hy = hinv @ yv
            hinv = (
                hinv
                - rho * (np.outer(hy, s) + np.outer(s, hy))
                + (rho * rho * float(yv @ hy) + rho) * np.outer(s, s)
            )
        g = new_g
    return x, float(f)
