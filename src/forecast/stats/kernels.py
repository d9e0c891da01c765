"""Vectorised forecasting kernels: many yearly series in one padded array.

Every kernel takes ``Y`` of shape ``(N, T)`` (series by time, left-aligned, padded with NaN after
each series' length), the lengths ``n`` of shape ``(N,)`` and a horizon ``h``, and returns point
forecasts of shape ``(N, h)`` plus the chosen parameters per series. Series are processed in
lock-step over time with masks, so a series' result depends on its own values only (and is the
same in any batch, which :mod:`forecast.stats.batch` relies on for reproducibility with
``n_jobs``). Smoothing parameters are chosen per series by a grid search minimising the in-sample
one-step sum of squared errors; the grids are explicit module constants.

The plain per-series twins in :mod:`forecast.stats.twins` implement the same recursions with
Python loops; the tests check the two agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SES_ALPHAS: FloatArray = np.linspace(0.05, 1.0, 20)
HOLT_ALPHAS: FloatArray = np.array([0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99])
HOLT_BETAS: FloatArray = np.array([0.0, 0.02, 0.05, 0.1, 0.2, 0.3])
DAMPED_PHIS: FloatArray = np.array([0.8, 0.85, 0.9, 0.95, 0.98])
THETA_OPT_ALPHAS: FloatArray = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99])
# share of the OLS slope used as drift, (1 - 1/theta): theta = 1 (SES), 4/3, 2 (standard), 4, inf
THETA_OPT_SHARES: FloatArray = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
HOLT_INIT_POINTS = 5


def pad(series: Sequence[Sequence[float] | FloatArray]) -> tuple[FloatArray, IntArray]:
    """Stack series of different lengths into a NaN-padded ``(N, T)`` array and their lengths."""
    n = np.array([len(s) for s in series], dtype=np.int64)
    width = int(n.max()) if len(n) else 0
    out = np.full((len(series), width), np.nan)
    for i, s in enumerate(series):
        out[i, : len(s)] = np.asarray(s, dtype=float)
    return out, n


def last(y: FloatArray, n: IntArray) -> FloatArray:
    """The last observed value of every series."""
    return np.asarray(y[np.arange(len(n)), n - 1], dtype=float)


def _mask(y: FloatArray, n: IntArray) -> npt.NDArray[np.bool_]:
    return np.asarray(np.arange(y.shape[1])[None, :] < n[:, None])


def naive(y: FloatArray, n: IntArray, h: int) -> FloatArray:
    """Naive forecasts: the last value repeated."""
    return np.repeat(last(y, n)[:, None], h, axis=1)


def drift_slope(y: FloatArray, n: IntArray) -> FloatArray:
    """Random-walk drift ``(y_n - y_1) / (n - 1)`` (0 for one-point series)."""
    d = (last(y, n) - y[:, 0]) / np.maximum(n - 1, 1)
    return np.where(n > 1, d, 0.0)


def drift(y: FloatArray, n: IntArray, h: int) -> FloatArray:
    """Random walk with drift: ``y_n + k (y_n - y_1) / (n - 1)``."""
    k = np.arange(1, h + 1)[None, :]
    return last(y, n)[:, None] + drift_slope(y, n)[:, None] * k


def ols_line(y: FloatArray, n: IntArray) -> tuple[FloatArray, FloatArray]:
    """Least-squares line of every series on ``t = 0, 1, ...``: intercept (at t = 0) and slope.

    One-point series get slope 0.
    """
    m = _mask(y, n)
    t = np.where(m, np.arange(y.shape[1], dtype=float)[None, :], 0.0)
    yy = np.where(m, y, 0.0)
    tbar = t.sum(axis=1) / n
    ybar = yy.sum(axis=1) / n
    dt = np.where(m, t - tbar[:, None], 0.0)
    den = (dt * dt).sum(axis=1)
    num = (dt * np.where(m, yy - ybar[:, None], 0.0)).sum(axis=1)
    b = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return ybar - b * tbar, b


def ses_states(
    y: FloatArray, n: IntArray, alphas: FloatArray, drift: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Run SES (optionally with a per-series, per-candidate drift) for every candidate.

    ``l_0 = y_1``; for t >= 2: ``e_t = y_t - (l_{t-1} + d)``, ``l_t = l_{t-1} + d + alpha e_t``.
    Returns the final levels and the one-step SSE, both ``(N, len(alphas))``.
    """
    a = np.asarray(alphas, dtype=float)[None, :]
    d = np.zeros((len(n), a.shape[1])) if drift is None else drift
    level = np.repeat(y[:, :1], a.shape[1], axis=1)
    sse = np.zeros_like(level)
    for t in range(1, y.shape[1]):
        valid = (t < n)[:, None]
        f = level + d
        e = np.nan_to_num(y[:, t])[:, None] - f
        sse += np.where(valid, e * e, 0.0)
        level = np.where(valid, f + a * e, level)
    return level, sse


def ses(
    y: FloatArray, n: IntArray, h: int, alphas: FloatArray = SES_ALPHAS
) -> tuple[FloatArray, FloatArray]:
    """Simple exponential smoothing, alpha by grid search. Returns forecasts and alphas."""
    level, sse = ses_states(y, n, alphas)
    j = np.argmin(sse, axis=1)
    rows = np.arange(len(n))
    return np.repeat(level[rows, j][:, None], h, axis=1), np.asarray(alphas)[j]


def theta(
    y: FloatArray, n: IntArray, h: int, alphas: FloatArray = SES_ALPHAS
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Standard Theta method (Hyndman and Billah 2003; statsmodels ``ThetaModel``).

    SES forecast plus half the OLS slope ``b``:
    ``f_k = l_n + b/2 (k - 1 + 1/alpha - (1 - alpha)^n / alpha)``.
    Returns forecasts, alphas and slopes.
    """
    f, alpha = ses(y, n, h, alphas)
    _, b = ols_line(y, n)
    k = np.arange(1, h + 1)[None, :]
    a = alpha[:, None]
    adj = k - 1 + 1 / a - (1 - a) ** n[:, None] / a
    return f + 0.5 * b[:, None] * adj, alpha, b


def theta_opt(
    y: FloatArray,
    n: IntArray,
    h: int,
    alphas: FloatArray = THETA_OPT_ALPHAS,
    shares: FloatArray = THETA_OPT_SHARES,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Optimised Theta in its SES-with-drift form: drift ``d = (1 - 1/theta) b`` with ``b`` the
    OLS slope; alpha and theta (through the share ``1 - 1/theta``) by grid search on the one-step
    SSE. ``f_k = l_n + k d``. Returns forecasts, alphas and shares."""
    grid = np.array([(a, s) for a in alphas for s in shares])
    _, b = ols_line(y, n)
    d = b[:, None] * grid[None, :, 1]
    level, sse = ses_states(y, n, grid[:, 0], d)
    j = np.argmin(sse, axis=1)
    rows = np.arange(len(n))
    k = np.arange(1, h + 1)[None, :]
    return level[rows, j][:, None] + d[rows, j][:, None] * k, grid[j, 0], grid[j, 1]


def holt_grid(
    alphas: FloatArray = HOLT_ALPHAS,
    betas: FloatArray = HOLT_BETAS,
    phis: FloatArray | Sequence[float] = (1.0,),
) -> FloatArray:
    """Candidate ``(alpha, beta, phi)`` rows with ``beta <= alpha``."""
    return np.array([(a, b, p) for a in alphas for b in betas for p in phis if b <= a], dtype=float)


def holt_init(y: FloatArray, n: IntArray) -> tuple[FloatArray, FloatArray]:
    """Initial level and trend (before the first observation) from an OLS line on the first
    ``min(n, 5)`` points: ``l_0 = a - b``, ``b_0 = b``."""
    k0 = np.minimum(n, HOLT_INIT_POINTS)
    a, b = ols_line(np.where(_mask(y, k0), y, np.nan), k0)
    return a - b, b


def holt(y: FloatArray, n: IntArray, h: int, grid: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Additive (damped) trend exponential smoothing in error-correction form.

    ``f_t = l_{t-1} + phi b_{t-1}``, ``e_t = y_t - f_t``, ``l_t = f_t + alpha e_t``,
    ``b_t = phi b_{t-1} + beta e_t``; forecasts ``l_n + (phi + ... + phi^k) b_n``. The one-step SSE
    over t >= 2 picks the row of ``grid`` (columns alpha, beta, phi) per series. Returns
    forecasts and the chosen grid rows ``(N, 3)``.
    """
    l0, b0 = holt_init(y, n)
    alpha, beta, phi = (grid[None, :, c] for c in range(3))
    level = np.repeat(l0[:, None], grid.shape[0], axis=1)
    trend = np.repeat(b0[:, None], grid.shape[0], axis=1)
    sse = np.zeros_like(level)
    for t in range(y.shape[1]):
        valid = (t < n)[:, None]
        f = level + phi * trend
        e = np.nan_to_num(y[:, t])[:, None] - f
        if t > 0:
            sse += np.where(valid, e * e, 0.0)
        level = np.where(valid, f + alpha * e, level)
        trend = np.where(valid, phi * trend + beta * e, trend)
    j = np.argmin(sse, axis=1)
    rows = np.arange(len(n))
    p = grid[j, 2][:, None]
    damp = np.cumsum(p ** np.arange(1, h + 1)[None, :], axis=1)
    return level[rows, j][:, None] + damp * trend[rows, j][:, None], grid[j]


def mean_abs_diff(y: FloatArray, n: IntArray) -> FloatArray:
    """In-sample naive scale ``mean |y_t - y_{t-1}|`` of every series (NaN for one point)."""
    d = np.abs(np.diff(y, axis=1))
    m = np.arange(d.shape[1])[None, :] < (n - 1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(m, d, 0.0).sum(axis=1) / (n - 1), dtype=float)
