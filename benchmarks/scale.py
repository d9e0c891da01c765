"""Scale benchmark (issue 17): batch forecasts and the Monte Carlo past one process.

(a) ``forecast_frame`` on N synthetic yearly series (default 100,000; lengths 6-40, a mix of
    exponential, linear, saturating and flat paths with multiplicative noise of 1-20%, seeded):
    series per second locally in one process, in two (``n_jobs=2``), and on a Dask LocalCluster
    of one and of two worker processes (one thread each), every output checked equal to the
    one-process run (same floats, same order, same info). Next to it, statsforecast on the same
    series and cores: AutoETS (``season_length=1``, Naive fallback for series it refuses) with
    its 80/95% intervals, in one and two processes (``n_jobs``) and on its own Dask backend
    (Fugue) over the same clusters (on the first ``--sf-dask-series`` series: that path is
    slow here).
(b) The Monte Carlo of the uncertain default scenario at 10^6, 10^7 and 10^8 draws: in one
    local process, in two (``n_jobs=2``) and on a 2-worker Dask LocalCluster (10^8: the two
    2-worker rows only), each in a fresh process whose whole tree's resident memory is sampled
    for the peak; every row's files checked identical to the first row's of the same draws.
    Up to 10^6 draws the quantiles are exact (every draw kept); above, they come from mergeable
    summaries with the rank-error bound printed. "cpu s" is the CPU time of the run's whole
    process tree (user and system): the Dask overhead in work done, which, unlike seconds, a
    busy machine hardly moves.

Times are wall seconds of one warm run (imports, numba compilation and the cluster start are
done before, on a small panel); a Dask row includes shipping the pandas panel to the workers
and the result back. ``OMP_NUM_THREADS=1`` everywhere. The machine's 1-minute load average is
printed beside every row: on a shared machine the rows are comparable only at similar load.

Usage::

    python benchmarks/scale.py                      # 100,000 series (several minutes)
    python benchmarks/scale.py --series 5000        # quick look
    python benchmarks/scale.py --skip-statsforecast --json out.json
    python benchmarks/scale.py --part b --mc-draws 1e6 1e7   # Monte Carlo only (minutes)

Needs the ``bench`` and ``dask`` extras (``pip install -e '.[bench,dask]'``). The last line
printed is one JSON object with every figure.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import forecast
from forecast.cluster import local_cluster

LEVELS = (80, 95)
WARM_SERIES = 300


def synthetic_panel(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` yearly series, lengths 6-40, ending in 2024: 40% exponential growth, 25% linear
    trend, 20% saturating (logistic), 15% flat random walk; multiplicative noise of 1-20%."""
    rng = np.random.default_rng(seed)
    lens = rng.integers(6, 41, n)
    t = np.concatenate([np.arange(k) for k in lens]).astype(float)
    kind = np.repeat(rng.choice(4, n, p=[0.40, 0.25, 0.20, 0.15]), lens)
    rate = np.repeat(rng.normal(0.06, 0.06, n), lens)
    mid = np.repeat(rng.uniform(0, 40, n), lens)
    walk = np.cumsum(rng.normal(0, 0.05, len(t)))
    starts = np.repeat(np.cumsum(lens) - lens, lens)
    walk = walk - walk[starts]  # each series' walk starts at 0
    shape = np.select(
        [kind == 0, kind == 1, kind == 2],
        [np.exp(rate * t), 1 + rate * t, 2 / (1 + np.exp(-0.3 * (t - mid)))],
        default=np.exp(walk),
    )
    noise = np.exp(np.repeat(rng.uniform(0.01, 0.2, n), lens) * rng.standard_normal(len(t)))
    level = np.repeat(np.exp(rng.normal(4, 2, n)), lens)
    ids = np.repeat(np.array([f"s{i:06d}" for i in range(n)]), lens)
    ds = np.repeat(2025 - lens, lens) + t.astype(np.int64)
    return pd.DataFrame({"unique_id": ids, "ds": ds, "y": level * np.maximum(shape, 0.05) * noise})


def _row(
    engine: str, where: str, workers: int, seconds: float, n: int, **extra: Any
) -> dict[str, Any]:
    return {
        "engine": engine,
        "where": where,
        "workers": workers,
        "series": n,
        "seconds": round(seconds, 2),
        "series_per_s": round(n / seconds, 1),
        "load_1min": round(os.getloadavg()[0], 2),
        **extra,
    }


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    except AssertionError:
        return False
    return bool(a.attrs["info"] == b.attrs["info"])


def part_a_ours(df: pd.DataFrame, h: int) -> tuple[list[dict[str, Any]], bool]:
    n = df["unique_id"].nunique()
    warm = df[df["unique_id"] < f"s{WARM_SERIES:06d}"]
    forecast.forecast_frame(warm, h, LEVELS)
    rows, same = [], True
    seconds, ref = _timed(lambda: forecast.forecast_frame(df, h, LEVELS))
    rows.append(_row("forecast", "local processes", 1, seconds, n, identical=True))
    print(_line(rows[-1]), flush=True)
    seconds, out = _timed(lambda: forecast.forecast_frame(df, h, LEVELS, n_jobs=2))
    rows.append(_row("forecast", "local processes", 2, seconds, n, identical=_same(ref, out)))
    print(_line(rows[-1]), flush=True)
    for workers in (1, 2):
        with local_cluster(workers) as client:
            forecast.forecast_frame(warm, h, LEVELS, backend=client)
            seconds, out = _timed(
                lambda c=client: forecast.forecast_frame(df, h, LEVELS, backend=c)
            )
        rows.append(
            _row("forecast", "Dask LocalCluster", workers, seconds, n, identical=_same(ref, out))
        )
        print(_line(rows[-1]), flush=True)
    same = all(r["identical"] for r in rows)
    return rows, same


def part_a_statsforecast(df: pd.DataFrame, h: int, dask_series: int) -> list[dict[str, Any]]:
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS, Naive
    except ImportError:
        print("statsforecast: not installed (pip install -e '.[bench]'); rows skipped")
        return []
    n = df["unique_id"].nunique()
    warm = df[df["unique_id"] < f"s{WARM_SERIES:06d}"]
    levels = list(LEVELS)

    def sf(jobs: int) -> Any:
        return StatsForecast(
            models=[AutoETS(season_length=1)], freq=1, n_jobs=jobs, fallback_model=Naive()
        )

    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sf(1).forecast(df=warm, h=h, level=levels)  # numba compilation
        for jobs in (1, 2):
            seconds, _ = _timed(lambda j=jobs: sf(j).forecast(df=df, h=h, level=levels))
            rows.append(_row("statsforecast AutoETS", "local processes", jobs, seconds, n))
            print(_line(rows[-1]), flush=True)
        try:
            import dask.dataframe as dd
            import fugue_dask  # noqa: F401  (statsforecast's Dask backend goes through Fugue)
        except ImportError:
            print("statsforecast on Dask: needs fugue[dask]; rows skipped")
            return rows
        sub = df[df["unique_id"] < f"s{dask_series:06d}"]
        for workers in (1, 2):
            with local_cluster(workers):
                parts = 4 * workers
                sf(1).forecast(df=dd.from_pandas(warm, npartitions=parts), h=h, level=levels)
                seconds, _ = _timed(
                    lambda p=parts: (
                        sf(1)
                        .forecast(df=dd.from_pandas(sub, npartitions=p), h=h, level=levels)
                        .compute()
                    )
                )
            m = sub["unique_id"].nunique()
            rows.append(_row("statsforecast AutoETS", "Dask LocalCluster", workers, seconds, m))
            print(_line(rows[-1]), flush=True)
    return rows


# ------------------------------------------------------------------------------------------------
# (b) The Monte Carlo in bounded memory
# ------------------------------------------------------------------------------------------------
MC_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "global-ai-2030-uncertain.toml"
MC_WHERE = (("local processes", 1), ("local processes", 2), ("Dask LocalCluster", 2))

# One configuration in a fresh process (its memory is its own): warm up (imports, first fit, the
# cluster's start), then time the run; print seconds, the quantile method and a digest of the
# files `forecast simulate` would write (quantiles.csv, mean.csv, anchors.csv, summary.json).
_MC_RUN = """
import hashlib, sys, time
from forecast.cli.simulate import simulation_files
from forecast.cluster import local_cluster
from forecast.simulation import simulate_scenario
import psutil
path, draws, where, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def cpu():  # CPU seconds of this process, its ended children and its live descendants
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for c in me.children(recursive=True):
        try:
            ct = c.cpu_times()
            total += ct.user + ct.system
        except psutil.Error:
            pass
    return total
def run(n, **kw):
    c, t = cpu(), time.perf_counter()
    res = simulate_scenario(path, draws=n, **kw)
    return time.perf_counter() - t, cpu() - c, res
def report(seconds, cpu_s, res):
    files = simulation_files(res, res.summary())
    digest = hashlib.sha256(b"".join(files[k] for k in sorted(files))).hexdigest()
    print(seconds, cpu_s, res.result.quantile_method, res.result.rank_error, digest)
if where == "local processes":
    run(2000, n_jobs=workers)
    report(*run(draws, n_jobs=workers))
else:
    with local_cluster(workers) as client:
        run(2000, backend=client)
        report(*run(draws, backend=client))
"""


def _tree_rss(proc: Any) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    import psutil

    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:  # ended between the listing and the reading
            pass
    return total


def _mc_one(draws: int, where: str, workers: int) -> dict[str, Any]:
    """One Monte Carlo configuration in a fresh process; its process tree's resident memory is
    sampled every 50 ms and the largest sum kept (shared pages count once per process: an upper
    bound on what the run holds)."""
    import psutil

    cmd = [sys.executable, "-c", _MC_RUN, str(MC_SCENARIO), str(draws), where, str(workers)]
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            peak = max(peak, _tree_rss(proc))
        except psutil.Error:
            break
        time.sleep(0.05)
    out, err = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"monte carlo {draws:,} draws, {where} x{workers}: failed\n{err}")
    seconds, cpu_s, method, rank_error, digest = out.split()[-5:]
    wall = float(seconds)
    return {
        "engine": "monte carlo",
        "where": where,
        "workers": workers,
        "draws": draws,
        "seconds": round(wall, 2),
        "cpu_s": round(float(cpu_s), 1),
        "draws_per_s": round(draws / wall),
        "peak_mb": round(peak / 2**20),
        "quantiles": method,
        "rank_error": float(rank_error),
        "digest": digest,
        "load_1min": round(os.getloadavg()[0], 2),
    }


def part_b(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The uncertain default scenario's Monte Carlo at each of ``args.mc_draws``: in one local
    process, in two, and on a 2-worker Dask LocalCluster (from ``args.mc_big`` draws on, only
    the 2-worker rows: one process would take a quarter of an hour). Every row's files are
    checked identical to the first row's of the same draws."""
    rows: list[dict[str, Any]] = []
    for draws in args.mc_draws:
        where = [w for w in MC_WHERE if draws < args.mc_big or w[1] > 1]
        first: str | None = None
        for place, workers in where:
            r = _mc_one(draws, place, workers)
            first = first or r["digest"]
            r["identical"] = r["digest"] == first
            rows.append(r)
            print(_mc_line(r), flush=True)
    return rows


def _mc_line(r: dict[str, Any]) -> str:
    same = "yes" if r["identical"] else "NO"
    return (
        f"{r['where']:<18} {r['workers']:>7} {r['draws']:>11,} {r['seconds']:>9.1f} "
        f"{r['cpu_s']:>8.1f} {r['draws_per_s']:>10,} {r['peak_mb']:>8,} {r['quantiles']:>9} "
        f"{r['rank_error']:>10.2g} {same:>9} {r['load_1min']:>6.2f}"
    )


def _line(r: dict[str, Any]) -> str:
    same = {True: "yes", False: "NO"}.get(r.get("identical"), "")  # type: ignore[call-overload]
    return (
        f"{r['engine']:<22} {r['where']:<18} {r['workers']:>7} {r['series']:>8} "
        f"{r['seconds']:>9.1f} {r['series_per_s']:>11.0f} {same:>9} {r['load_1min']:>6.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", type=int, default=100_000, help="series in part (a)")
    ap.add_argument("--h", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-statsforecast", action="store_true")
    ap.add_argument(
        "--sf-dask-series",
        type=int,
        default=20_000,
        help="series for statsforecast's Dask (Fugue) rows, the first of the panel (default "
        "20,000: that path runs at under 100 series/s here, 100,000 would take 40 minutes)",
    )
    ap.add_argument(
        "--part", choices=("a", "b", "ab"), default="ab", help="which parts to run (default: ab)"
    )
    ap.add_argument(
        "--mc-draws",
        type=lambda t: int(float(t)),
        nargs="+",
        default=[10**6, 10**7, 10**8],
        metavar="N",
        help="Monte Carlo draws in part (b) (default: 1e6 1e7 1e8)",
    )
    ap.add_argument(
        "--mc-big",
        type=lambda t: int(float(t)),
        default=10**8,
        metavar="N",
        help="from this many draws on, part (b) runs only the 2-worker rows (default: 1e8)",
    )
    ap.add_argument("--json", metavar="OUT.json", help="also write the JSON object here")
    args = ap.parse_args()

    load = os.getloadavg()
    result: dict[str, Any] = {
        "benchmark": "scale",
        "cores": os.cpu_count(),
        "load_at_start": [round(x, 2) for x in load],
    }
    if "a" in args.part:
        df = synthetic_panel(args.series, args.seed)
        print(
            f"(a) forecast_frame on {args.series:,} synthetic yearly series ({len(df):,} rows, "
            f"lengths 6-40), h = {args.h}, levels {LEVELS}; {os.cpu_count()} cores, load "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
        )
        print(
            f"{'engine':<22} {'where':<18} {'workers':>7} {'series':>8} {'seconds':>9} "
            f"{'series/s':>11} {'identical':>9} {'load':>6}"
        )
        rows, identical = part_a_ours(df, args.h)
        if not args.skip_statsforecast:
            rows += part_a_statsforecast(df, args.h, min(args.sf_dask_series, args.series))
        result |= {
            "series": args.series,
            "rows_in": len(df),
            "h": args.h,
            "forecast_frame": rows,
            "identical_to_local": identical,
        }
    if "b" in args.part:
        print(
            f"(b) Monte Carlo of {MC_SCENARIO.name} (the scenario's seed, blocks of 65,536 "
            "draws); peak = resident memory of the whole process tree"
        )
        print(
            f"{'where':<18} {'workers':>7} {'draws':>11} {'seconds':>9} {'cpu s':>8} "
            f"{'draws/s':>10} {'peak MB':>8} {'quantiles':>9} {'rank err':>10} {'identical':>9} "
            f"{'load':>6}"
        )
        mc = part_b(args)
        result |= {
            "monte_carlo": mc,
            "monte_carlo_identical": all(r["identical"] for r in mc),
        }
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
