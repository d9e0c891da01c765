"""Log-scale prediction intervals of ``auto`` for strictly positive series (issue 12).

The level-scale intervals of :mod:`forecast.stats.conformal` add a scaled error to the point
forecast; on a fast-growing market a wide one reaches below zero and was clipped there (``auto``
on the Grand View AI history gave a 2035 95% interval of $0-$1.24T), and on 6-point histories
they were too wide (93% / 99% coverage on real series). For a strictly positive history,
``auto``'s intervals are built on the log scale instead, positive and never clipped:

    lo/hi_h = f_h * exp(s * q_h(p)),    median_h = f_h * exp(s * q_h(0.5))

* ``f_h``: auto's point forecast ``h`` years ahead. It must be positive at every horizon; when
  it is not (a steep decline pulls the median of the members below zero), the series keeps the
  level-scale intervals and its ``reason`` says so.
* ``s``: the history's log volatility, the mean absolute yearly log change over its last
  :data:`SCALE_CHANGES` changes, clipped to :data:`SCALE_RANGE` (without the clip one erratic
  6-point history gets an interval thousands of times wide). Missing years are filled by
  interpolation before the forecast, so ``s`` is a per-year rate.
* ``q_h(p)``: the ``p`` quantile of auto's **scaled log errors** ``log(actual / f_h) / s`` on
  histories of the same length (forecasts from 3 points err far more, per unit of ``s``, than
  forecasts from 12): a history of ``n`` points, 3 <= n < :data:`LONG`, uses the errors of auto
  at every ``n``-point window; a history of :data:`LONG` points or more uses the errors from the
  whole history up to every origin of at least :data:`LONG` points. Windows and origins lie
  inside the training parts of the M1 and Tourism yearly series (their last 6 values left out,
  so the development scores of ``benchmarks/short_history.py`` are out of sample; never M3).
  Built offline by ``benchmarks/build_log_interval_table.py`` into
  ``data/auto_log_errors.npz`` with its provenance; quantiles 0.5% .. 99.5% for horizons 1..10,
  beyond which they grow linearly with the horizon, as in the level-scale table.

Checked on the development sets, every series' last 6 values held out (coverage of the 80% /
95% intervals): histories cut to 3, 6 and 12 points, M1 82.0 / 95.3, 84.8 / 95.2, 80.7 / 93.2
and Tourism 79.9 / 95.3, 80.0 / 95.5, 76.4 / 95.8; whole histories M1 82.2 / 92.9, Tourism
78.3 / 95.9. There the scale over the last 10 changes beat the scale over all of them for long
histories (MSIS M1 34.7 against 35.2, Tourism 30.9 against 31.9; coverage inside [75, 85] /
[90, 97] either way), and a batch's own pooled log errors, used for long histories in place of
the table, covered Tourism 85.9 / 97.2 (too wide): ``auto``'s log intervals always come from
the table.

Series with a zero or negative value, and the drift and naive fallbacks of short histories,
keep the level-scale intervals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources

import numpy as np

from .conformal import ErrorQuantiles
from .kernels import FloatArray, IntArray

LOG_TABLE_FILE = "auto_log_errors.npz"
SCALE_RANGE = (0.01, 0.2)  # clip of the log volatility s
SCALE_CHANGES = 10  # s averages the last 10 yearly log changes
MIN_POINTS = 3  # auto's shortest history
LONG = 12  # histories of at least LONG points share the full-history table
HORIZONS = 10  # horizons stored in the table
SOURCE = "shipped-log"  # the ``intervals`` value of a series with log-scale intervals

PointFn = Callable[[FloatArray, IntArray, int], FloatArray]


def bucket(points: int) -> str:
    """The table key of a history of ``points`` values: ``"n3"`` .. ``"n11"``, or ``"long"``."""
    if points >= LONG:
        return "long"
    return f"n{max(points, MIN_POINTS)}"


def buckets() -> list[str]:
    """Every table key, shortest histories first."""
    return [bucket(k) for k in range(MIN_POINTS, LONG + 1)]


def log_scale(y: FloatArray, n: IntArray) -> FloatArray:
    """``s`` of every (padded, strictly positive) series: the mean ``|diff log y|`` over its last
    :data:`SCALE_CHANGES` changes, clipped to :data:`SCALE_RANGE` (the lower end for a single
    point)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.abs(np.diff(np.log(y), axis=1))
    j = np.arange(d.shape[1])[None, :]
    used = (j < (n - 1)[:, None]) & (j >= (n - 1 - SCALE_CHANGES)[:, None])
    count = used.sum(axis=1)
    total = np.where(used, d, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(count > 0, total / np.maximum(count, 1), SCALE_RANGE[0])
    return np.asarray(np.clip(s, *SCALE_RANGE), dtype=float)


@cache
def _table() -> dict[str, FloatArray | str]:
    ref = resources.files("forecast.stats").joinpath("data", LOG_TABLE_FILE)
    with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as npz:
        return {k: (str(npz[k]) if npz[k].dtype.kind == "U" else np.array(npz[k])) for k in npz}


def log_table_provenance() -> dict[str, object]:
    """Where the log table comes from: data, windows and origins, scale rule, the builder's
    ``command`` and arguments, ``versions``, ``data_sha256`` of the series used and, per length
    bucket, the number of errors at horizons 1 and 10."""
    meta = _table()["provenance"]
    assert isinstance(meta, str)
    out: dict[str, object] = json.loads(meta)
    return out


def log_quantiles(points: int) -> ErrorQuantiles:
    """Quantiles of auto's scaled log errors for histories of ``points`` values."""
    table = _table()
    key = bucket(points)
    values, counts = table[f"{key}/values"], table[f"{key}/counts"]
    assert not isinstance(values, str) and not isinstance(counts, str)
    return ErrorQuantiles(values, counts.astype(np.int64), SOURCE)


def log_bounds(point: FloatArray, y: FloatArray, n: IntArray, probs: Sequence[float]) -> FloatArray:
    """``f * exp(s * q_h(p))`` for every row of the padded history ``y`` (lengths ``n``), its
    positive point forecasts ``point`` (N, h) and every probability: shape (N, h, len(probs))."""
    h = point.shape[1]
    s = log_scale(y, n)
    keys = np.array([bucket(int(k)) for k in n])
    out = np.empty((len(n), h, len(probs)))
    for key in dict.fromkeys(keys.tolist()):
        rows = np.flatnonzero(keys == key)
        q = log_quantiles(int(n[rows[0]])).at(h, probs)
        out[rows] = point[rows][:, :, None] * np.exp(s[rows][:, None, None] * q[None, :, :])
    return out


def applies(log_intervals: bool, values: FloatArray, point: FloatArray) -> bool:
    """Whether a series gets log-scale intervals: a model that has them, a strictly positive
    history and a positive point forecast at every horizon."""
    return bool(log_intervals and np.all(values > 0) and np.all(point > 0))


def log_errors(point: PointFn, series: Sequence[FloatArray], key: str, h: int) -> FloatArray:
    """Scaled log errors ``log(actual / f) / s`` of ``point`` for the table entry ``key``,
    shape (rows, h), NaN where the target lies beyond the series.

    ``"n<k>"``: every ``k``-point window ``y[o - k:o]``; ``"long"``: the whole history ``y[:o]``
    at every origin ``o >= LONG``. Only strictly positive series are used (the builder passes
    the training parts of M1 and Tourism).
    """
    k = None if key == "long" else int(key[1:])
    hist: list[FloatArray] = []
    target: list[FloatArray] = []
    for y in series:
        if not np.all(y > 0):
            continue
        for o in range(LONG if k is None else k, len(y)):
            t = np.full(h, np.nan)
            m = min(h, len(y) - o)
            t[:m] = y[o : o + m]
            hist.append(y[:o] if k is None else y[o - k : o])
            target.append(t)
    if not hist:
        return np.empty((0, h))
    lengths = np.array([len(x) for x in hist], dtype=np.int64)
    padded = np.full((len(hist), int(lengths.max())), np.nan)
    for i, x in enumerate(hist):
        padded[i, : len(x)] = x
    f = point(padded, lengths, h)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.log(np.array(target) / f) / log_scale(padded, lengths)[:, None]
    return np.asarray(np.where(np.isfinite(e), e, np.nan), dtype=float)
