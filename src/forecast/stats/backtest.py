"""Rolling-origin evaluation of the stats models on the user's own histories.

For window ``w = 1..windows`` every series is cut at the year ``end - (h + windows - w)``
(``end``: its last year with a finite value): only the raw rows up to the cut are repaired (as
:func:`forecast_frame` does) and fitted, so nothing after the cut leaks into the training part.
The models forecast ``h`` years from the last training year (intervals included) and only
observed later years are scored. Windows whose training part has fewer than 3 years, or is
constant (naive scale 0), are skipped for that series and listed with the reason.

Measures (M4 definitions, :mod:`forecast.stats.metrics`), averaged over every forecast
(series x window x horizon): sMAPE, MASE and MSIS (scaled by the training part's plain mean
absolute one-step change, :func:`~forecast.stats.metrics.naive_scale`), and the share of actual
values inside each interval (``cov-<L>``). MSIS uses the 95% interval when 95 is among the
levels, else the widest one. ``fallback`` is the share (percent) of a model's forecasts that came
from a fallback model (see ``used`` in the forecasts), not the model asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..cluster import Backend, dask_backend, is_dask_frame
from ..errors import ForecastError
from . import metrics as M
from .batch import forecast_batch
from .conformal import level_probs
from .frames import LongFrame, check_frame, check_h, clean_series
from .models import StatsModel
from .registry import get_model

if TYPE_CHECKING:
    from .stages import BatchForecast

DEFAULT_MODELS = ("naive", "drift", "ses", "holt", "damped", "theta", "theta_opt", "auto")
MIN_TRAIN = 3
#: Below this many scored forecasts a coverage is reported with its uncertainty.
MIN_COVERAGE_FORECASTS = 30


def wilson_interval(hits: float, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval (95% by default) for a proportion of ``hits`` in ``n``."""
    if n <= 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    metrics : DataFrame
        One row per model (naive first): ``model``, ``forecasts``, ``fallback`` (percent of
        forecasts from a fallback model), ``sMAPE``, ``MASE``, ``MSIS-<L>``, ``cov-<L>`` for
        every level (percent).
    forecasts : DataFrame
        Every scored forecast: ``unique_id``, ``window``, ``model``, ``ds``, ``y``, ``scale``,
        ``mean``, bounds, ``used`` (the model that made it) and ``fallback``.
    skipped : DataFrame
        ``unique_id``, ``window``, ``reason`` for windows left out.
    """

    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    skipped: pd.DataFrame

    def notes(self) -> list[str]:
        """Small-sample notes: every coverage that rests on fewer than
        :data:`MIN_COVERAGE_FORECASTS` forecasts, with a 95% Wilson interval for it."""
        out = []
        for _, row in self.metrics.iterrows():
            n = int(row["forecasts"])
            if n >= MIN_COVERAGE_FORECASTS:
                continue
            parts = []
            for c in (c for c in self.metrics.columns if str(c).startswith("cov-")):
                if not np.isfinite(row[c]):
                    continue
                lo, hi = wilson_interval(row[c] / 100 * n, n)
                parts.append(f"{c} {row[c]:.1f}% (95% interval {100 * lo:.0f}%-{100 * hi:.0f}%)")
            if parts:
                out.append(
                    f"{row['model']}: coverage rests on {n} forecast(s), fewer than "
                    f"{MIN_COVERAGE_FORECASTS}: {'; '.join(parts)}"
                )
        return out

    def table(self) -> str:
        """The metrics as an aligned text table."""
        m = self.metrics
        cols = [c for c in m.columns if c != "model"]
        lines = [f"{'model':<12}" + "".join(f"{c:>10}" for c in cols)]
        for _, row in m.iterrows():
            cells = "".join(
                f"{int(row[c]):>10d}"
                if c == "forecasts"
                else f"{row[c]:>9.0f}%"
                if c == "fallback"
                else f"{row[c]:>10.3f}"
                for c in cols
            )
            lines.append(f"{row['model']:<12}{cells}")
        return "\n".join(lines)


def backtest(
    df: pd.DataFrame,
    h: int = 6,
    windows: int = 3,
    models: Sequence[str | StatsModel] = DEFAULT_MODELS,
    level: Sequence[float] = (80, 95),
    n_jobs: int = 1,
    *,
    backend: Backend = None,
    npartitions: int | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of stats models against the naive baseline.

    Parameters
    ----------
    df : DataFrame
        Long format ``unique_id``, ``ds``, ``y`` (as :func:`forecast_frame`).
    h : int
        Forecast horizon in years (a positive whole number, numpy integers too).
    windows : int
        Number of forecast origins per series (one year apart, the last ``h`` years before the
        end of the history).
    models : sequence of str or StatsModel
        Models to evaluate; naive is always added.
    level : sequence of float
        Interval levels in percent.
    n_jobs : int
        Worker processes for every batch forecast.
    backend : {None, "local", "dask"} or dask.distributed.Client
        Where the batch forecasts run, as in :func:`~forecast.stats.forecast_frame`: on Dask,
        every model's forecasts of every window are one computation, the windows are cut on the
        client (a dask DataFrame is collected first) and the result equals the local one.
    npartitions : int, optional
        Dask only: partitions of series of every window (see ``forecast_frame``).

    Returns
    -------
    BacktestResult
    """
    h = check_h(h)
    windows = check_h(windows, "windows")
    cols = level_probs(level, "level")
    dask = dask_backend(backend, df, n_jobs, npartitions)
    if is_dask_frame(df):
        assert dask is not None
        df = dask.compute(df)[0]
    naive = get_model("naive")
    specs = [naive] + [
        s for s in dict.fromkeys(get_model(m, "models") for m in models) if s != naive
    ]
    long = check_frame(df, "df")
    cuts, skipped = _cut_windows(long, h, windows)
    jobs = [(train, spec) for _, train, _ in cuts for spec in specs]
    outs: Iterable[BatchForecast]
    if dask is None:
        outs = (forecast_batch(train, h, level, spec, n_jobs) for train, spec in jobs)
    else:
        from .dask_batch import forecast_many

        outs = forecast_many(jobs, h, cols, dask, npartitions)
    parts = _scored_forecasts(cuts, specs, outs)
    if not parts:
        raise _too_short(long, h)
    fc_all = pd.concat(parts, ignore_index=True)
    return BacktestResult(
        _metrics(fc_all, specs, cols),
        fc_all,
        pd.DataFrame(skipped, columns=["unique_id", "window", "reason"]),
    )


def _cut_windows(
    long: LongFrame, h: int, windows: int
) -> tuple[list[tuple[int, pd.DataFrame, pd.DataFrame]], list[tuple[object, int, str]]]:
    """Every window's training rows and the actual values it is scored on (``unique_id``,
    ``ds``, ``y``, ``scale``), for windows with at least one series; and the series-windows
    skipped, with the reason."""
    skipped: list[tuple[object, int, str]] = []
    cuts: list[tuple[int, pd.DataFrame, pd.DataFrame]] = []
    for w in range(1, windows + 1):
        rows, actual = [], []
        for uid, idx in long.groups.items():
            got = _cut_series(uid, long.years[idx], long.y[idx], h + windows - w, h)
            if isinstance(got, str):
                skipped.append((uid, w, got))
                continue
            rows.append(got[0])
            actual.append(got[1])
        if rows:
            cuts.append(
                (w, pd.concat(rows, ignore_index=True), pd.concat(actual, ignore_index=True))
            )
    return cuts, skipped


def _cut_series(
    uid: object, years: np.ndarray, y: np.ndarray, cut_back: int, h: int
) -> tuple[pd.DataFrame, pd.DataFrame] | str:
    """One series cut ``cut_back`` years before its last finite value: the repaired training
    rows and the observed values of the ``h`` years after them (duplicate years averaged), or
    why the window is skipped."""
    seen = np.isfinite(y)
    if not seen.any():
        return "no finite y values"
    end = int(years[seen].max())
    cut = end - cut_back  # training rows are the years up to the cut, before cleaning
    got = clean_series(uid, years[years <= cut], y[years <= cut], None)
    if isinstance(got, str) or len(got.values) < MIN_TRAIN:
        n_train = 0 if isinstance(got, str) else len(got.values)
        return f"needs {MIN_TRAIN} training years up to {cut}; got {n_train}"
    scale = M.naive_scale(got.values)
    if not scale > 0:
        return f"training years up to {cut} are constant; naive scale 0"
    origin = got.first_year + len(got.values) - 1
    yrs = got.first_year + np.arange(len(got.values))
    train = pd.DataFrame({"unique_id": uid, "ds": yrs, "y": got.values})
    future = seen & (years > origin) & (years <= origin + h)
    truth = pd.DataFrame({"ds": years[future], "y": y[future]})
    truth = truth.groupby("ds", as_index=False)["y"].mean()  # duplicate years averaged
    truth.insert(0, "unique_id", uid)
    truth["scale"] = scale
    return train, truth


def _too_short(long: LongFrame, h: int) -> ForecastError:
    """The error when no series is long enough for one window, with the horizon that would
    work."""
    longest = _longest_history(long)
    works = longest - MIN_TRAIN
    hint = f" (h = {works} would work with one window)" if works >= 1 else ""
    return ForecastError(
        f"backtest: every series needs at least {MIN_TRAIN + h} years for one window with "
        f"h = {h}; got at most {longest}{hint}"
    )


def _longest_history(long: LongFrame) -> int:
    """The most years any series spans from its first to its last finite value."""
    longest = 0
    for idx in long.groups.values():
        years, seen = long.years[idx], np.isfinite(long.y[idx])
        if seen.any():
            longest = max(longest, int(years[seen].max()) - int(years[seen].min()) + 1)
    return longest


def _scored_forecasts(
    cuts: list[tuple[int, pd.DataFrame, pd.DataFrame]],
    specs: list[StatsModel],
    outs: Iterable[BatchForecast],
) -> list[pd.DataFrame]:
    """Every window's and model's forecasts next to the actual values (in the order of
    ``outs``: window by window, model by model), with the model that made each."""
    parts: list[pd.DataFrame] = []
    done = iter(outs)
    for w, _, truth in cuts:
        for spec in specs:
            out = next(done)
            used = out.info[["unique_id", "used", "fallback"]]
            got = truth.merge(out.frame, on=["unique_id", "ds"], how="inner")
            got = got.merge(used, on="unique_id", how="left")
            got.insert(1, "window", w)
            got.insert(2, "model", spec.name)
            parts.append(got)
    return parts


def _metrics(
    fc_all: pd.DataFrame, specs: list[StatsModel], cols: list[tuple[str, float]]
) -> pd.DataFrame:
    """One row of measures per model (module docstring)."""
    levels = [float(c[0][3:]) for c in cols[::2]]
    msis_level = 95.0 if 95.0 in levels else max(levels)
    out_rows = []
    for spec in specs:
        g = fc_all[fc_all["model"] == spec.name]
        y, f, sc = (g[c].to_numpy(dtype=float) for c in ("y", "mean", "scale"))
        row: dict[str, object] = {
            "model": spec.name,
            "forecasts": len(g),
            "fallback": 100 * float(np.mean(g["fallback"].to_numpy(dtype=bool))) if len(g) else 0.0,
            "sMAPE": float(np.mean(M.smape(y, f))),
            "MASE": float(np.mean(M.mase(y, f, sc))),
        }
        lo, hi = (g[f"{b}-{msis_level:g}"].to_numpy(dtype=float) for b in ("lo", "hi"))
        row[f"MSIS-{msis_level:g}"] = float(np.mean(M.msis(y, lo, hi, sc, 1 - msis_level / 100)))
        for lv in levels:
            lo, hi = (g[f"{b}-{lv:g}"].to_numpy(dtype=float) for b in ("lo", "hi"))
            row[f"cov-{lv:g}"] = 100 * float(np.mean(M.covered(y, lo, hi)))
        out_rows.append(row)
    return pd.DataFrame(out_rows)
