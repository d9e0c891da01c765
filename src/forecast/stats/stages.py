"""The stages of a statistical batch forecast, shared by the local run
(:mod:`forecast.stats.batch`) and the Dask one (:mod:`forecast.stats.dask_batch`): repair and
choose a model per series (:func:`prepare`), forecast and collect rolling-origin errors
(:func:`work`), pool the errors into interval quantiles (:func:`pooled_quantiles`), and build
the rows and the per-series records (:func:`finish`). See :mod:`forecast.stats.batch` for what
the batch promises.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ForecastError, message
from .auto import Auto, fallback_for
from .conformal import (
    ErrorQuantiles,
    interval_scale,
    pooled_or_shipped,
    rolling_errors,
)
from .frames import Series, check_frame, clean_series
from .kernels import FloatArray, IntArray
from .log_intervals import SOURCE as LOG_SOURCE
from .log_intervals import log_bounds
from .models import StatsModel, forecast_rows

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


def work(
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


def n_workers(n_jobs: int) -> int:
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ForecastError(
            message("n_jobs", "must be a positive whole number or -1 (all cores)", n_jobs)
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
    series = prep.series
    point, final, extra = worked
    point = point.copy()
    values = [s.values for s in series]
    y_pad = np.full((len(series), width), np.nan)
    n = np.array([len(v) for v in values], dtype=np.int64)
    for i, v in enumerate(values):
        y_pad[i, : len(v)] = v
    positive = np.array([bool(np.all(v > 0)) for v in values])
    probs = [p for _, p in cols]
    bounds, sources, level_note = _interval_bounds(
        point, final, quantiles, y_pad, n, positive, h, probs
    )
    clipped = positive & np.any(point < 0, axis=1)
    bounds[positive] = np.maximum(bounds[positive], 0.0)
    point[positive] = np.maximum(point[positive], 0.0)
    frame = _output_rows(prep, point, bounds, h, cols)
    info = [
        _info_record(prep, i, final[i], extra[i], sources[i], clipped[i], level_note[i], model_name)
        for i in range(len(series))
    ]
    return frame, info


def _interval_bounds(
    point: FloatArray,
    final: list[StatsModel],
    quantiles: dict[StatsModel, ErrorQuantiles],
    y_pad: FloatArray,
    n: IntArray,
    positive: np.ndarray,
    h: int,
    probs: list[float],
) -> tuple[FloatArray, dict[int, str], np.ndarray]:
    """Every series' bounds ``(series, h, probs)`` from its model's error quantiles (on the log
    scale where the model asks for it and the series and its forecast are positive), the
    source of each series' intervals, and which series stayed on the level scale instead."""
    scale = interval_scale(y_pad, n)
    bounds = np.full((len(point), h, len(probs)), np.nan)
    sources: dict[int, str] = {}
    level_note = np.zeros(len(point), dtype=bool)
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
    return bounds, sources, level_note


def _output_rows(
    prep: Prepared, point: FloatArray, bounds: FloatArray, h: int, cols: list[tuple[str, float]]
) -> pd.DataFrame:
    """The forecast rows: ``unique_id``, ``ds`` (in the input's types), ``mean`` and one column
    per entry of ``cols``."""
    series = prep.series
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
    return frame


def _info_record(
    prep: Prepared,
    i: int,
    final: StatsModel,
    extra: str,
    source: str,
    clipped: bool,
    level_note: bool,
    model_name: str,
) -> dict[str, Any]:
    """Series ``i``'s record: the model asked for and used, points, fallback, where its
    intervals came from and every note on it."""
    s = prep.series[i]
    _, why, fell = prep.resolved[i]
    clip = "mean clipped at 0 (the series is positive; a size cannot be negative)"
    on_level = "intervals on the level scale (the point forecast is not positive)"
    notes = (clip if clipped else "", on_level if level_note else "")
    reason = "; ".join(x for x in (*s.notes, why, extra, *notes) if x)
    return dict(
        zip(
            INFO_COLUMNS,
            (s.uid, model_name, final.name, len(s.values), fell or bool(extra), source, reason),
            strict=True,
        )
    )
