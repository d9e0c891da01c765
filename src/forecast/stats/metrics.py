"""Forecast accuracy measures (M4 competition definitions), elementwise over numpy arrays.

Each returns one value per forecast (same shape as ``actual``); average them as needed.
``scale`` is the in-sample mean absolute one-step change of the training part (MASE's scale),
broadcast against ``actual``.
"""

from __future__ import annotations

import numpy as np

from .kernels import FloatArray


def naive_scale(y: FloatArray) -> float:
    """M4's in-sample naive-1 scale of one training series: ``mean |diff(y)|`` (no floor; NaN
    for fewer than two points, 0 for a constant series)."""
    d = np.diff(np.asarray(y, dtype=float))
    return float(np.mean(np.abs(d))) if len(d) else float("nan")


def smape(actual: FloatArray, point: FloatArray) -> FloatArray:
    """Symmetric MAPE in percent: ``200 |y - f| / (|y| + |f|)`` (0 when both are 0)."""
    den = np.abs(actual) + np.abs(point)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(den > 0, 200 * np.abs(actual - point) / den, 0.0))


def mase(actual: FloatArray, point: FloatArray, scale: FloatArray) -> FloatArray:
    """Absolute error over the in-sample naive scale."""
    return np.asarray(np.abs(actual - point) / scale)


def msis(
    actual: FloatArray, lo: FloatArray, hi: FloatArray, scale: FloatArray, alpha: float = 0.05
) -> FloatArray:
    """Scaled interval score of a ``1 - alpha`` interval: width plus ``2/alpha`` times the miss,
    over the in-sample naive scale."""
    score = (
        (hi - lo)
        + 2 / alpha * (lo - actual) * (actual < lo)
        + 2 / alpha * (actual - hi) * (actual > hi)
    )
    return np.asarray(score / scale)


def covered(actual: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """1.0 where the actual value lies inside ``[lo, hi]``, else 0.0."""
    return np.asarray(((actual >= lo) & (actual <= hi)).astype(float))
