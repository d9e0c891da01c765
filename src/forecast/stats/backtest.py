"""Rolling-origin evaluation of the stats models on the user's own histories.

For window ``w = 1..windows`` every series is cut so that its last ``h + windows - w`` points are
hidden, the models forecast ``h`` years from the cut (exactly as :func:`forecast_frame` would,
intervals included) and the forecasts are compared with the hidden values. Windows whose
training part would have fewer than 3 points are skipped for that series (and listed).

Measures (M4 definitions, :mod:`forecast.stats.metrics`), averaged over every forecast
(series x window x horizon): sMAPE, MASE and MSIS (scaled by the training part's mean absolute
one-step change, floored at 1% of its largest absolute value), and the share of actual values
inside each interval (``cov-<L>``). MSIS uses the 95% interval when 95 is among the levels, else
the widest one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ForecastError
from . import metrics as M
from .batch import _clean, _Series, _years, forecast_batch
from .conformal import interval_scale, level_probs
from .kernels import pad
from .models import StatsModel
from .registry import get_model

DEFAULT_MODELS = ("naive", "drift", "ses", "holt", "damped", "theta", "theta_opt", "auto")
MIN_TRAIN = 3


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    metrics : DataFrame
        One row per model (naive first): ``model``, ``forecasts``, ``sMAPE``, ``MASE``,
        ``MSIS-<L>``, ``cov-<L>`` for every level (percent).
    forecasts : DataFrame
        Every forecast: ``unique_id``, ``window``, ``model``, ``ds``, ``y``, ``mean``, bounds.
    skipped : DataFrame
        ``unique_id``, ``window``, ``reason`` for windows left out.
    """

    metrics: pd.DataFrame
    forecasts: pd.DataFrame
    skipped: pd.DataFrame

    def table(self) -> str:
        """The metrics as an aligned text table."""
        m = self.metrics
        cols = [c for c in m.columns if c != "model"]
        lines = [f"{'model':<12}" + "".join(f"{c:>10}" for c in cols)]
        for _, row in m.iterrows():
            cells = "".join(
                f"{int(row[c]):>10d}" if c == "forecasts" else f"{row[c]:>10.3f}" for c in cols
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
) -> BacktestResult:
    """Rolling-origin backtest of stats models against the naive baseline.

    Parameters
    ----------
    df : DataFrame
        Long format ``unique_id``, ``ds``, ``y`` (as :func:`forecast_frame`).
    h : int
        Forecast horizon in years.
    windows : int
        Number of forecast origins per series (one year apart, the last ``h`` years before the
        end of the history).
    models : sequence of str or StatsModel
        Models to evaluate; naive is always added.
    level : sequence of float
        Interval levels in percent.
    n_jobs : int
        Worker processes for every batch forecast.

    Returns
    -------
    BacktestResult
    """
    if isinstance(h, bool) or not isinstance(h, int) or h < 1:
        raise ForecastError(f"h: must be a positive whole number; got {h!r}")
    if isinstance(windows, bool) or not isinstance(windows, int) or windows < 1:
        raise ForecastError(f"windows: must be a positive whole number; got {windows!r}")
    cols = level_probs(level, "level")
    naive = get_model("naive")
    specs = [naive] + [
        s for s in dict.fromkeys(get_model(m, "models") for m in models) if s != naive
    ]
    missing = [c for c in ("unique_id", "ds", "y") if c not in df.columns]
    if missing:
        raise ForecastError(
            f"df: must have columns unique_id, ds and y; got {list(df.columns)} "
            f"(missing {', '.join(missing)})"
        )
    years, _ = _years(df["ds"], "df")
    y_all = pd.to_numeric(df["y"], errors="coerce").to_numpy(dtype=float)
    series: list[_Series] = []
    for uid, idx in df.groupby("unique_id", sort=False).indices.items():
        got = _clean(uid, years.to_numpy()[idx], y_all[idx], None)
        if not isinstance(got, str):
            series.append(got)
    skipped: list[tuple[object, int, str]] = []
    parts: list[pd.DataFrame] = []
    for w in range(1, windows + 1):
        cut_back = h + windows - w
        rows, actual = [], []
        for s in series:
            n_train = len(s.values) - cut_back
            if n_train < MIN_TRAIN:
                skipped.append(
                    (s.uid, w, f"needs {MIN_TRAIN + cut_back} points; got {len(s.values)}")
                )
                continue
            yrs = s.first_year + np.arange(len(s.values))
            rows.append(
                pd.DataFrame({"unique_id": s.uid, "ds": yrs[:n_train], "y": s.values[:n_train]})
            )
            actual.append(
                pd.DataFrame(
                    {
                        "unique_id": s.uid,
                        "ds": yrs[n_train : n_train + h],
                        "y": s.values[n_train : n_train + h],
                        "scale": _scale(s.values[:n_train]),
                    }
                )
            )
        if not rows:
            continue
        train, truth = pd.concat(rows, ignore_index=True), pd.concat(actual, ignore_index=True)
        for spec in specs:
            fc = forecast_batch(train, h, level, spec, n_jobs).frame
            got = truth.merge(fc, on=["unique_id", "ds"], how="left")
            got.insert(1, "window", w)
            got.insert(2, "model", spec.name)
            parts.append(got)
    if not parts:
        raise ForecastError(
            f"backtest: every series needs at least {MIN_TRAIN + h} points for one window with "
            f"h = {h}; got at most {max((len(s.values) for s in series), default=0)}"
        )
    fc_all = pd.concat(parts, ignore_index=True)
    levels = [float(c[0][3:]) for c in cols[::2]]
    msis_level = 95.0 if 95.0 in levels else max(levels)
    out = []
    for spec in specs:
        g = fc_all[fc_all["model"] == spec.name]
        y, f, sc = (g[c].to_numpy(dtype=float) for c in ("y", "mean", "scale"))
        row: dict[str, object] = {
            "model": spec.name,
            "forecasts": len(g),
            "sMAPE": float(np.mean(M.smape(y, f))),
            "MASE": float(np.mean(M.mase(y, f, sc))),
        }
        lo, hi = (g[f"{b}-{msis_level:g}"].to_numpy(dtype=float) for b in ("lo", "hi"))
        row[f"MSIS-{msis_level:g}"] = float(np.mean(M.msis(y, lo, hi, sc, 1 - msis_level / 100)))
        for lv in levels:
            lo, hi = (g[f"{b}-{lv:g}"].to_numpy(dtype=float) for b in ("lo", "hi"))
            row[f"cov-{lv:g}"] = 100 * float(np.mean(M.covered(y, lo, hi)))
        out.append(row)
    return BacktestResult(
        pd.DataFrame(out),
        fc_all,
        pd.DataFrame(skipped, columns=["unique_id", "window", "reason"]),
    )


def _scale(values: np.ndarray) -> float:
    y, n = pad([values])
    return float(interval_scale(y, n)[0])
