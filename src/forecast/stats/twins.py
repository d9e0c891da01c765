"""Plain per-series twins of the vectorised kernels (Python loops, no masks).

They exist to be read and to test :mod:`forecast.stats.kernels` against; nothing else uses them.
"""

from __future__ import annotations

from collections.abc import Sequence

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
