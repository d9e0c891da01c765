"""Batch forecasts on Dask: the local run's stages, one task per partition of series.

:func:`forecast.stats.forecast_frame` (and :func:`~forecast.stats.backtest`) come here for
``backend="dask"``, a ``dask.distributed.Client`` or a dask DataFrame. The series are
partitioned by ``unique_id`` and one task graph runs the stages of
:mod:`forecast.stats.batch` on every partition::

    prepare[i]    repair the series and choose their models      (batch.prepare)
    width         the longest series of the whole batch
    work[i]       point forecasts and scaled rolling-origin errors from the kernels, every
                  batch padded to ``width`` as in the local run  (batch._work)
    quantiles     the error quantiles of every model, computed once from the scaled errors
                  of all partitions together                     (batch.pooled_quantiles)
    finish[i]     intervals from those quantiles, clipping, rows and info records
                  (batch.finish)

and the client joins the partitions' rows in order of first appearance. The result equals the
local run float for float, whatever the partitioning and the number of workers: the kernels
compute every series from its own values (and the padded width) only, fallbacks are decided
per series, and the pooled quantiles are those of the same set of errors as in the local run
(quantiles depend on the set, not on its order or on where each error was computed).

Partitioning:

* A pandas DataFrame is checked on the client (the local run's one-line errors) and cut into
  contiguous runs of series in order of first appearance. The parts travel inside the task
  graph (not scattered), so Dask can recompute anything a lost worker held.
* A dask DataFrame is first checked partition by partition (one pass over it), reporting the
  error the local run on ``df.compute()`` would report; then every row gets an order key (its
  partition and position), the rows are shuffled by ``unique_id`` with Dask's task-based
  shuffle, so that every series lies in one partition, and the keys restore the local order.
  The input is read twice (check, forecast): ``persist()`` it first if that is costly.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..cluster import DaskBackend, is_dask_frame, module
from ..errors import ForecastError
from .conformal import ErrorQuantiles
from .frames import (
    COLUMNS,
    check_columns,
    check_frame,
    missing_id_error,
    missing_ids,
    numeric_y,
    years_of,
)
from .kernels import FloatArray
from .models import StatsModel
from .stages import (
    INFO_COLUMNS,
    BatchForecast,
    Prepared,
    finish,
    no_series_error,
    pooled_quantiles,
    prepare,
    work,
)

KEY = "__forecast_order__"  # order key column of a shuffled dask input
MIN_SERIES = 250  # default partitions hold at least this many series
PER_THREAD = 4  # default partitions per worker thread, for balance

Worked = tuple[FloatArray, list[StatsModel], list[str], dict[StatsModel, FloatArray]]
Finished = tuple[pd.DataFrame | None, list[dict[str, Any]], list[dict[str, Any]], Any, Any]


def forecast_many(
    jobs: Sequence[tuple[Any, StatsModel]],
    h: int,
    cols: list[tuple[str, float]],
    backend: DaskBackend,
    npartitions: int | None = None,
) -> list[BatchForecast]:
    """Forecast every ``(frame, model)`` job on ``backend`` in one Dask computation; jobs that
    share a frame object share its partitions. Arguments are checked by the caller."""
    delayed = module("dask").delayed
    split: dict[int, tuple[list[Any], bool]] = {}
    plans = []
    for df, spec in jobs:
        if id(df) not in split:
            split[id(df)] = (
                _dask_parts(df, backend, npartitions)
                if is_dask_frame(df)
                else _pandas_parts(df, backend, npartitions)
            )
        parts, keyed = split[id(df)]
        prep = [delayed(_prepare_part)(p, spec, keyed) for p in parts]
        width = delayed(max)([delayed(_width)(p) for p in prep])
        work = [delayed(_work_part)(p, h, width) for p in prep]
        quantiles = delayed(_pool)([delayed(_pool_input)(w) for w in work], h)
        plans.append(
            [
                delayed(_finish_part)(p, w, quantiles, h, cols, spec.name, width)
                for p, w in zip(prep, work, strict=True)
            ]
        )
    with warnings.catch_warnings():
        # the pandas parts travel in the graph on purpose (see the module docstring)
        warnings.filterwarnings("ignore", message=".*[Ll]arge graph")
        done = backend.compute(*plans)
    return [
        _assemble(parts_done, h, split[id(df)][1])
        for parts_done, (df, _) in zip(done, jobs, strict=True)
    ]


# ------------------------------------------------------------------------------------------------
# Partitions
# ------------------------------------------------------------------------------------------------


def default_partitions(series: int, threads: int) -> int:
    """About :data:`PER_THREAD` partitions per worker thread, each with at least
    :data:`MIN_SERIES` series."""
    return max(1, min(series // MIN_SERIES, PER_THREAD * threads))


def _pandas_parts(
    df: pd.DataFrame, backend: DaskBackend, npartitions: int | None
) -> tuple[list[Any], bool]:
    long = check_frame(df, "df")
    groups = list(long.groups.values())
    if not groups:
        raise no_series_error(0)
    n = npartitions or default_partitions(len(groups), backend.threads())
    columns = df[list(COLUMNS)]
    chunks = np.array_split(np.arange(len(groups)), min(n, len(groups)))
    return [columns.take(np.concatenate([groups[i] for i in c])) for c in chunks], False


def _dask_parts(ddf: Any, backend: DaskBackend, npartitions: int | None) -> tuple[list[Any], bool]:
    delayed = module("dask").delayed
    check_columns(list(ddf.columns), "df")
    ddf = ddf[list(COLUMNS)]
    _raise_first(backend.compute(*[delayed(_check_part)(d) for d in ddf.to_delayed()]))
    meta = {**ddf.dtypes.to_dict(), KEY: "int64"}
    keyed = ddf.map_partitions(_with_key, meta=meta)
    shuffled = keyed.shuffle(
        on="unique_id", npartitions=npartitions or ddf.npartitions, shuffle_method="tasks"
    )
    return list(shuffled.to_delayed()), True


def _check_part(part: pd.DataFrame) -> tuple[int, Any, str | None, str | None]:
    """What the local check would say about this partition's rows: rows without an id (how
    many, the first's label), the ``ds`` error and the ``y`` error (or None)."""
    count, label = missing_ids(part)
    ds_error = y_error = None
    try:
        years_of(part, "df")
    except ForecastError as exc:
        ds_error = str(exc)
    try:
        numeric_y(part, "df")
    except ForecastError as exc:
        y_error = str(exc)
    return count, label, ds_error, y_error


def _raise_first(checks: Sequence[tuple[int, Any, str | None, str | None]]) -> None:
    """Raise the error the local check of the whole frame raises: ids first (the first row and
    the count over all partitions), then the first ``ds`` error, then the first ``y`` error."""
    total = sum(c[0] for c in checks)
    if total:
        raise missing_id_error("df", next(c[1] for c in checks if c[0]), total)
    for kind in (2, 3):
        for c in checks:
            if c[kind]:
                raise ForecastError(c[kind])


def _with_key(part: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    number = 0 if partition_info is None else int(partition_info["number"])
    key = (np.int64(number) << np.int64(32)) + np.arange(len(part), dtype=np.int64)
    return part.assign(**{KEY: key})


# ------------------------------------------------------------------------------------------------
# Tasks
# ------------------------------------------------------------------------------------------------


def _prepare_part(part: pd.DataFrame, spec: StatsModel, keyed: bool) -> Prepared:
    if not keyed:
        return prepare(part, spec)
    part = part.sort_values(KEY, kind="stable")
    return prepare(part, spec, part[KEY].to_numpy(dtype=np.int64))


def _width(prep: Prepared) -> int:
    return prep.width


def _work_part(prep: Prepared, h: int, width: int) -> Worked:
    if not prep.series:
        return np.empty((0, h)), [], [], {}
    values = [s.values for s in prep.series]
    return work(values, [r[0] for r in prep.resolved], h, width, True)


def _pool_input(worked: Worked) -> tuple[dict[StatsModel, FloatArray], list[StatsModel]]:
    return worked[3], list(dict.fromkeys(worked[1]))


def _pool(
    inputs: list[tuple[dict[StatsModel, FloatArray], list[StatsModel]]], h: int
) -> dict[StatsModel, ErrorQuantiles]:
    models = dict.fromkeys(m for _, final in inputs for m in final)
    return pooled_quantiles([errors for errors, _ in inputs], models, h)


def _finish_part(
    prep: Prepared,
    worked: Worked,
    quantiles: dict[StatsModel, ErrorQuantiles],
    h: int,
    cols: list[tuple[str, float]],
    name: str,
    width: int,
) -> Finished:
    frame, info = (
        finish(prep, worked[:3], quantiles, h, cols, name, width) if prep.series else (None, [])
    )
    return frame, info, prep.empty, prep.keys, prep.empty_keys


def _assemble(done: list[Finished], h: int, keyed: bool) -> BatchForecast:
    frames = [d[0] for d in done if d[0] is not None]
    info = [r for d in done for r in d[1]]
    empty = [r for d in done for r in d[2]]
    if not frames:
        raise no_series_error(len(empty))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if keyed:
        order = np.argsort(np.concatenate([d[3] for d in done]), kind="stable")
        if np.any(order != np.arange(len(order))):
            rows = (order[:, None] * h + np.arange(h)[None, :]).ravel()
            frame = frame.take(rows).reset_index(drop=True)
            info = [info[i] for i in order]
        gone = np.argsort(np.concatenate([d[4] for d in done]), kind="stable")
        empty = [empty[i] for i in gone]
    return BatchForecast(frame, pd.DataFrame(info + empty, columns=list(INFO_COLUMNS)))
