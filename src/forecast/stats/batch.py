"""Forecast many yearly series at once from a long DataFrame (statsforecast conventions).

:func:`forecast_frame` takes columns ``unique_id``, ``ds`` (whole years as numbers, or
timestamps) and ``y``, and returns ``unique_id``, ``ds``, ``mean``, ``lo-<L>``, ``hi-<L>``. One bad
series never stops the batch:

* **Repairs** (recorded in the series' ``reason``): non-finite ``y`` count as missing; duplicate
  years are averaged; missing years inside the history (NaN or absent rows) are filled by linear
  interpolation; leading and trailing missing years are dropped.
* **Fallbacks** (``fallback`` is True): a series the requested model cannot take (too short,
  non-positive values for a log model, a statsmodels fit that fails, a non-finite forecast) gets
  ``auto``, which itself falls back to drift (2 points) or naive (1 point).
* A series with no finite value at all gets no rows; its ``reason`` says so.
* A strictly positive series (a market size) gets bounds and mean clipped at 0; the ``reason``
  says when the mean was clipped. ``auto``'s intervals for it are on the log scale, positive
  without clipping (:mod:`forecast.stats.log_intervals`; ``intervals``: ``shipped-log``),
  unless its point forecast is not positive (the ``reason`` says so).

Per-series outcomes: :func:`forecast_batch` returns them as a frame next to the forecasts
(:attr:`BatchForecast.info`, the way to use for large batches); :func:`forecast_frame` keeps them
in ``frame.attrs["info"]`` as :class:`InfoRecords`, a read-only sequence of records
(``pd.DataFrame(...)`` turns it into a frame): ``unique_id``, ``model`` (asked), ``used``,
``points``, ``fallback``, ``intervals`` (``pooled`` or ``shipped``) and ``reason``. pandas
deep-copies ``attrs`` on nearly every operation; ``InfoRecords`` is immutable and copies as
itself, so an operation no longer copies every series' record. (Earlier it was a plain list of
dicts; indexing, iteration, ``len``, equality, ``json`` and ``pd.DataFrame(...)`` work as before,
changing a record does not.)

Intervals are empirical (:mod:`forecast.stats.conformal`): errors at rolling origins inside the
batch's own histories, pooled per model, when every horizon has enough; else the shipped table
(one source per model for all horizons).
``n_jobs`` splits the series over worker processes; every series is computed the same way in any
split, so the output does not depend on ``n_jobs``.

**On Dask** (``backend="dask"``, a ``dask.distributed.Client``, or a dask DataFrame as ``df``;
the optional extra ``pip install '.[dask]'``): the series are partitioned by ``unique_id`` and
every partition goes through the same stages as the local run (:func:`prepare`, the kernels,
:func:`finish`); see :mod:`forecast.stats.dask_batch`. The output equals the local one row for
row, float for float, with the same ``info``, whatever the partitioning and the number of
workers: every kernel call pads to the whole batch's longest series, as the local run does, and
the pooled intervals come from one set of error quantiles computed over the scaled errors of
all partitions together (:func:`pooled_quantiles`), as if the batch were one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cluster import Backend, dask_backend
from ..errors import ForecastError
from .auto import Auto, fallback_for
from .conformal import (
    ErrorQuantiles,
    interval_scale,
    level_probs,
    pooled_or_shipped,
    rolling_errors,
)
from .frames import Series, check_frame, check_h, clean_series
from .kernels import FloatArray, IntArray
from .log_intervals import SOURCE as LOG_SOURCE
from .log_intervals import log_bounds
from .models import StatsModel, forecast_rows
from .registry import get_model

# series per kernel call: a kernel's temporaries grow with rows x candidates and past a few
# thousand rows spill the CPU caches (20,000 series in one call ran at less than half the speed
# of blocks of 500); every row is computed alike in any block, so the numbers do not change
BLOCK = 500
INFO_COLUMNS = ("unique_id", "model", "used", "points", "fallback", "intervals", "reason")


@dataclass(frozen=True)
class BatchForecast:
    """Forecasts of a batch and what happened to every series.

    Attributes
    ----------
    frame : DataFrame
        ``unique_id``, ``ds``, ``mean``, ``lo-<L>``, ``hi-<L>``.
    info : DataFrame
        One row per input series: ``unique_id``, ``model``, ``used``, ``points``, ``fallback``,
        ``intervals``, ``reason``.
    """

    frame: pd.DataFrame
    info: pd.DataFrame


class InfoRecord(dict[str, Any]):
    """One series' record in :class:`InfoRecords`: a dict that refuses changes (it is shared
    by every copy of the frame)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("forecast_frame info records are read-only; copy with dict(record)")

    __setitem__ = __delitem__ = __ior__ = _refuse
    update = pop = popitem = clear = setdefault = _refuse

    def __deepcopy__(self, memo: dict[int, Any]) -> InfoRecord:
        return self

    def __copy__(self) -> InfoRecord:
        return self


class InfoRecords(tuple[InfoRecord, ...]):
    """``frame.attrs["info"]`` of :func:`forecast_frame`: an immutable tuple of per-series
    records that pandas' deep copies of ``attrs`` share instead of copying."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, Any]) -> InfoRecords:
        return self

    def __copy__(self) -> InfoRecords:
        return self

    def to_frame(self) -> pd.DataFrame:
        """The records as a DataFrame (as :attr:`BatchForecast.info`)."""
        return pd.DataFrame(list(self), columns=list(INFO_COLUMNS))


def _resolve(spec: StatsModel, values: FloatArray) -> tuple[StatsModel, str, bool]:
    """The model to use for one series, the reason (stated once) and whether it is a fallback."""
    problem = spec.problem(values)
    if problem is None:
        used, why = spec.resolve(values)
        return used, why, used is not spec
    used, why = Auto().resolve(values)
    reason = f"{spec.name}: {problem}; used {used.name}"
    if why and isinstance(used, Auto) and not isinstance(spec, Auto):
        reason += f" ({why.removeprefix('auto: ')})"
    return used, reason, True


def _work(
    values: list[FloatArray], specs: list[StatsModel], h: int, width: int, pooled: bool
) -> tuple[FloatArray, list[StatsModel], list[str], dict[StatsModel, FloatArray]]:
    """Point forecasts (rows in input order), final models, extra reasons and pooled errors."""
    out = np.full((len(values), h), np.nan)
    final = list(specs)
    extra = [""] * len(values)
    errors: dict[StatsModel, list[FloatArray]] = {}
    pending = list(range(len(values)))
    for _ in range(3):  # requested, then auto, then drift/naive
        groups: dict[StatsModel, list[int]] = {}
        for i in pending:
            groups.setdefault(final[i], []).append(i)
        pending = []
        for spec, group in groups.items():
            for start in range(0, len(group), BLOCK):
                idx = group[start : start + BLOCK]
                y = np.full((len(idx), width), np.nan)
                n = np.array([len(values[i]) for i in idx], dtype=np.int64)
                for r, i in enumerate(idx):
                    y[r, : n[r]] = values[i]
                f, failed = _guarded(spec, y, n, h)
                for r, i in enumerate(idx):
                    if failed[r]:
                        nxt = fallback_for(values[i], after=spec)
                        extra[i] = f"{spec.name}: {failed[r]}; used {nxt.name}"
                        final[i] = nxt
                        pending.append(i)
                    else:
                        out[i] = f[r]
                if pooled and spec.vectorised:
                    keep = np.array([not failed[r] for r in range(len(idx))])
                    if keep.any():
                        e = _guarded_errors(spec, y[keep], n[keep], h)
                        errors.setdefault(spec, []).append(e)
        if not pending:
            break
    return out, final, extra, {m: np.vstack(e) for m, e in errors.items()}


def _guarded(spec: StatsModel, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, list[str]]:
    """Forecasts and, per row, "" or why the row failed (non-finite output or an error)."""
    try:
        with np.errstate(all="ignore"):
            f, _ = forecast_rows(spec, y, n, h)
    except Exception as exc:  # a failing batch call is retried row by row
        if len(n) == 1:
            return np.full((1, h), np.nan), [f"fit failed ({type(exc).__name__}: {exc})"[:200]]
        parts = [_guarded(spec, y[r : r + 1], n[r : r + 1], h) for r in range(len(n))]
        return np.vstack([p[0] for p in parts]), [p[1][0] for p in parts]
    bad = ~np.all(np.isfinite(f), axis=1)
    return f, ["forecast not finite" if b else "" for b in bad]


def _guarded_errors(spec: StatsModel, y: FloatArray, n: IntArray, h: int) -> FloatArray:
    def point(yy: FloatArray, nn: IntArray, hh: int) -> FloatArray:
        return forecast_rows(spec, yy, nn, hh)[0]

    with np.errstate(all="ignore"):
        e = rolling_errors(point, y, n, h)
    return np.where(np.isfinite(e), e, np.nan)


def _n_workers(n_jobs: int) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ForecastError(
            f"n_jobs: must be a positive whole number or -1 (all cores); got {n_jobs!r}"
        )
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


@dataclass(frozen=True)
class Prepared:
    """The repaired series of a batch, or of one partition of it (the first stage).

    ``keys`` (optional) are the order keys of the series and ``empty_keys`` those of the series
    without a finite value: a partition of a Dask input uses them to put the series back in
    order of first appearance.
    """

    series: list[Series]
    resolved: list[tuple[StatsModel, str, bool]]
    empty: list[dict[str, Any]]
    is_time: bool
    uid_dtype: Any
    ds_dtype: Any
    keys: IntArray | None = None
    empty_keys: IntArray | None = None

    @property
    def width(self) -> int:
        """The longest series (0 without any): every kernel call pads to the batch's longest."""
        return max((len(s.values) for s in self.series), default=0)


def prepare(df: pd.DataFrame, spec: StatsModel, keys: IntArray | None = None) -> Prepared:
    """Check ``df``, repair every series and choose its model (fallbacks for those the model
    cannot take). ``keys``: an order key per row of ``df`` (see :class:`Prepared`)."""
    long = check_frame(df, "df")
    series: list[Series] = []
    empty: list[dict[str, Any]] = []
    first: list[int] = []
    first_empty: list[int] = []
    for uid, idx in long.groups.items():
        finite = np.isfinite(long.y[idx])
        last_ds = df["ds"].iloc[idx[finite]].max() if long.is_time and finite.any() else None
        got = clean_series(uid, long.years[idx], long.y[idx], last_ds)
        if isinstance(got, str):
            empty.append(
                dict(zip(INFO_COLUMNS, (uid, spec.name, "", 0, True, "", got), strict=True))
            )
            first_empty.append(int(idx[0]))
        else:
            series.append(got)
            first.append(int(idx[0]))
    resolved = [_resolve(spec, s.values) for s in series]
    return Prepared(
        series,
        resolved,
        empty,
        long.is_time,
        df["unique_id"].dtype,
        df["ds"].dtype,
        None if keys is None else np.asarray(keys[first], dtype=np.int64),
        None if keys is None else np.asarray(keys[first_empty], dtype=np.int64),
    )


def no_series_error(without: int) -> ForecastError:
    """The error for a batch in which no series has a finite value."""
    return ForecastError(f"df: needs at least one series with a finite y; got {without} without")


def pooled_quantiles(
    errors: Sequence[dict[StatsModel, FloatArray]], models: Iterable[StatsModel], h: int
) -> dict[StatsModel, ErrorQuantiles]:
    """Error quantiles of every model in ``models``: from the scaled rolling-origin errors of
    all parts of the batch together when there are enough, else the shipped table. The
    quantiles depend on the set of errors only, not on their order or on how the batch was
    split into parts."""
    merged: dict[StatsModel, list[FloatArray]] = {}
    for part in errors:
        for m, e in part.items():
            merged.setdefault(m, []).append(e)
    return {
        m: pooled_or_shipped(np.vstack(merged[m]) if m in merged else np.empty((0, h)), m.name, h)
        for m in models
    }


def finish(
    prep: Prepared,
    worked: tuple[FloatArray, list[StatsModel], list[str]],
    quantiles: dict[StatsModel, ErrorQuantiles],
    h: int,
    cols: list[tuple[str, float]],
    model_name: str,
    width: int,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Intervals, clipping, the output rows and the info records of prepared, forecast series
    (the last stage; ``cols`` includes ``("median", 0.5)`` when the median is asked for).
    ``width`` is the whole batch's longest series, so every part computes as the whole would."""
    series, resolved = prep.series, prep.resolved
    point, final, extra = worked
    point = point.copy()
    values = [s.values for s in series]
    y_pad = np.full((len(series), width), np.nan)
    n = np.array([len(v) for v in values], dtype=np.int64)
    for i, v in enumerate(values):
        y_pad[i, : len(v)] = v
    scale = interval_scale(y_pad, n)
    probs = [p for _, p in cols]
    bounds = np.full((len(series), h, len(probs)), np.nan)
    sources: dict[int, str] = {}
    positive = np.array([bool(np.all(v > 0)) for v in values])
    level_note = np.zeros(len(series), dtype=bool)
    for m in dict.fromkeys(final):
        rows = np.array([i for i, f in enumerate(final) if f == m])
        eq = quantiles[m]
        q = eq.at(h, probs)
        bounds[rows] = point[rows][:, :, None] + scale[rows][:, None, None] * q[None, :, :]
        for i in rows:
            sources[int(i)] = eq.source
        if m.log_intervals:  # auto: log scale where the series and its forecast are positive
            logged = positive[rows] & np.all(point[rows] > 0, axis=1)
            level_note[rows[positive[rows] & ~logged]] = True
            rows = rows[logged]
            if len(rows):
                bounds[rows] = log_bounds(point[rows], y_pad[rows], n[rows], probs)
                for i in rows:
                    sources[int(i)] = LOG_SOURCE
    clipped = positive & np.any(point < 0, axis=1)
    bounds[positive] = np.maximum(bounds[positive], 0.0)
    point[positive] = np.maximum(point[positive], 0.0)
    k = np.arange(1, h + 1)
    last_years = np.array([s.first_year + len(s.values) - 1 for s in series])
    if prep.is_time:
        ds: Any = [s.last_ds + pd.DateOffset(years=int(j)) for s in series for j in k]
        ds = pd.to_datetime(pd.Series(ds)).astype(prep.ds_dtype)
    else:
        ds = pd.Series((last_years[:, None] + k[None, :]).ravel()).astype(prep.ds_dtype)
    uids = pd.Index([s.uid for s in series], dtype=prep.uid_dtype).repeat(h)
    frame = pd.DataFrame({"unique_id": uids, "ds": ds})
    frame["mean"] = point.ravel()
    for j, (name, _) in enumerate(cols):
        frame[name] = bounds[:, :, j].ravel()
    info: list[dict[str, Any]] = []
    for i, s in enumerate(series):
        _, why, fell = resolved[i]
        clip = "mean clipped at 0 (the series is positive; a size cannot be negative)"
        on_level = "intervals on the level scale (the point forecast is not positive)"
        notes = (clip if clipped[i] else "", on_level if level_note[i] else "")
        reason = "; ".join(x for x in (*s.notes, why, extra[i], *notes) if x)
        info.append(
            dict(
                zip(
                    INFO_COLUMNS,
                    (
                        s.uid,
                        model_name,
                        final[i].name,
                        len(s.values),
                        fell or bool(extra[i]),
                        sources[i],
                        reason,
                    ),
                    strict=True,
                )
            )
        )
    return frame, info


def forecast_batch(
    df: pd.DataFrame,
    h: int,
    level: Sequence[float] = (80, 95),
    model: str | StatsModel = "auto",
    n_jobs: int = 1,
    *,
    median: bool = False,
    backend: Backend = None,
    npartitions: int | None = None,
) -> BatchForecast:
    """Forecast every series of a long DataFrame; see :func:`forecast_frame`.

    ``median=True`` adds a ``median`` column after ``mean``: the predictive median, the point
    forecast plus the series' scale times the 50% quantile of the scaled errors behind the
    intervals (empirical errors are skewed, so it differs from ``mean``), clipped at 0 for a
    positive series as the bounds are.

    Returns
    -------
    BatchForecast
        The forecasts and the per-series info frame.
    """
    spec = get_model(model)
    h = check_h(h)
    cols = level_probs(level, "level")
    if median:
        cols = [("median", 0.5), *cols]
    dask = dask_backend(backend, df, n_jobs, npartitions)
    if dask is not None:
        from .dask_batch import forecast_many

        return forecast_many([(df, spec)], h, cols, dask, npartitions)[0]
    workers = _n_workers(n_jobs)
    prep = prepare(df, spec)
    if not prep.series:
        raise no_series_error(len(prep.empty))
    width = prep.width
    values = [s.values for s in prep.series]
    specs = [r[0] for r in prep.resolved]
    chunks = np.array_split(np.arange(len(values)), min(workers, len(values)))
    args = [([values[i] for i in c], [specs[i] for i in c], h, width, True) for c in chunks]
    if len(chunks) == 1:
        results = [_work(*args[0])]
    else:
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            results = list(pool.map(_work, *zip(*args, strict=True)))
    point = np.vstack([r[0] for r in results])
    final = [m for r in results for m in r[1]]
    extra = [e for r in results for e in r[2]]
    quantiles = pooled_quantiles([r[3] for r in results], dict.fromkeys(final), h)
    frame, info = finish(prep, (point, final, extra), quantiles, h, cols, spec.name, width)
    return BatchForecast(frame, pd.DataFrame(info + prep.empty, columns=list(INFO_COLUMNS)))


def forecast_frame(
    df: pd.DataFrame,
    h: int,
    level: Sequence[float] = (80, 95),
    model: str | StatsModel = "auto",
    n_jobs: int = 1,
    *,
    backend: Backend = None,
    npartitions: int | None = None,
) -> pd.DataFrame:
    """Forecast many yearly series with empirical prediction intervals.

    Parameters
    ----------
    df : DataFrame
        Long format: ``unique_id``, ``ds`` (whole years as numbers, or timestamps), ``y``; a
        pandas DataFrame, or a dask DataFrame (forecast on Dask; the result is a pandas
        DataFrame equal to the one of ``df.compute()``).
    h : int
        Years to forecast after each series' last year.
    level : float or sequence of float
        Interval levels in percent, each in (0, 99]; one number for one level.
    model : str or StatsModel
        A name in ``forecast.STATS_MODELS`` (default ``"auto"``) or a model specification.
    n_jobs : int
        Worker processes of the local run (``-1``: one per core). The output does not depend
        on it.
    backend : {None, "local", "dask"} or dask.distributed.Client
        Where to compute: ``None`` (default) is ``"local"`` for a pandas DataFrame and
        ``"dask"`` for a dask DataFrame; ``"dask"`` uses Dask's current scheduler (the active
        ``Client`` if there is one); a ``Client`` uses that cluster. Needs the optional extra
        (``pip install '.[dask]'``). The output does not depend on it.
    npartitions : int, optional
        Dask only: partitions of series (default: about four per worker thread, at least 250
        series each, for a pandas DataFrame; the input's partition count for a dask one). The
        output does not depend on it.

    Returns
    -------
    DataFrame
        ``unique_id``, ``ds`` (same type as given), ``mean``, ``lo-<L>``, ``hi-<L>``; series in
        order of first appearance. ``frame.attrs["info"]`` holds one read-only record per input
        series with ``model``, ``used``, ``points``, ``fallback``, ``intervals`` and ``reason``
        (:class:`InfoRecords`; see the module docstring). :func:`forecast_batch` returns the
        same records as a separate frame.

    Raises
    ------
    ForecastError
        For a malformed frame or arguments (missing columns, ``ds`` not years, bad levels, an
        unknown backend or a missing dask extra); never for one bad series.
    """
    out = forecast_batch(df, h, level, model, n_jobs, backend=backend, npartitions=npartitions)
    frame = out.frame
    frame.attrs["info"] = InfoRecords(InfoRecord(r) for r in out.info.to_dict(orient="records"))
    return frame
