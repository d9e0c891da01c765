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

from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from ..cluster import Backend, dask_backend
from .conformal import (
    level_probs,
)
from .frames import check_h
from .models import StatsModel
from .registry import get_model
from .stages import (
    INFO_COLUMNS,
    BatchForecast,
    InfoRecord,
    InfoRecords,
    finish,
    n_workers,
    no_series_error,
    pooled_quantiles,
    prepare,
    work,
)


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
    workers = n_workers(n_jobs)
    prep = prepare(df, spec)
    if not prep.series:
        raise no_series_error(len(prep.empty))
    width = prep.width
    values = [s.values for s in prep.series]
    specs = [r[0] for r in prep.resolved]
    chunks = np.array_split(np.arange(len(values)), min(workers, len(values)))
    args = [([values[i] for i in c], [specs[i] for i in c], h, width, True) for c in chunks]
    if len(chunks) == 1:
        results = [work(*args[0])]
    else:
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            results = list(pool.map(work, *zip(*args, strict=True)))
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
