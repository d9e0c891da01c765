"""Speed of the slow statistical models: ``forecast backtest`` with ``--models all`` against the
default models, as whole processes (issue 16: at most 3x).

Workload: three short yearly series (12, 15 and 18 years, growing with noise; a fixed seed),
written to a temporary long CSV (``unique_id, ds, y``), then ``forecast backtest DATA.csv`` with
its defaults (h = 6, 3 windows) and ``--models default`` or ``--models all``. Every run is a fresh
process (``subprocess``, imports included) with the caller's environment as a user would run it
(BLAS thread variables are not set here; the table prints them): one untimed warm-up of each
command, then ``--runs`` alternating timed runs of each; the table gives the median and the
spread (min to max) and the ratio of the medians. The last line is one JSON object with the
figures.

Run: ``python benchmarks/stats_speed.py [--runs 5] [--json OUT.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LENGTHS = (20, 25, 30)
TARGET = 3.0  # issue 16: --models all at most 3x the default models
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")  # inherited, as a user runs it


def write_series(path: Path) -> None:
    """Three short, positive, growing yearly series with noise (seed 16)."""
    rng = np.random.default_rng(16)
    lines = ["unique_id,ds,y"]
    for i, n in enumerate(LENGTHS):
        growth = rng.normal(0.08, 0.03)
        y = 50 * np.exp(np.cumsum(rng.normal(growth, 0.06, n)))
        lines += [f"s{i},{2000 + t},{v:.4f}" for t, v in enumerate(y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def command() -> list[str]:
    """The installed ``forecast`` entry point next to this interpreter (or on PATH)."""
    here = Path(sys.executable).parent / "forecast"
    found = str(here) if here.exists() else shutil.which("forecast")
    if found is None:
        return [sys.executable, "-c", "import sys; from forecast.cli import entry; entry()"]
    return [found]


def timed(argv: list[str]) -> float:
    """Wall time of one whole process; fails loudly when the command fails."""
    t = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return wall


def main(argv: list[str] | None = None) -> int:
    """Time both commands and print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument("--json", metavar="OUT.json", help="also write the figures to a file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "three_short.csv"
        write_series(data)
        cmds = {m: [*command(), "backtest", str(data), "--models", m] for m in ("default", "all")}
        for c in cmds.values():  # warm-up: file-system caches, bytecode
            timed(c)
        times: dict[str, list[float]] = {m: [] for m in cmds}
        for _ in range(args.runs):
            for m, c in cmds.items():
                times[m].append(timed(c))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    med = {m: float(np.median(t)) for m, t in times.items()}
    ratio = med["all"] / med["default"]
    print(
        f"forecast backtest on {len(LENGTHS)} series ({', '.join(map(str, LENGTHS))} years), "
        f"h = 6, 3 windows; {args.runs} runs after a warm-up, whole processes"
    )
    print(f"{'--models':<10}{'median s':>10}{'min s':>9}{'max s':>9}{'ratio':>8}")
    for m, t in times.items():
        print(f"{m:<10}{med[m]:>10.2f}{min(t):>9.2f}{max(t):>9.2f}{med[m] / med['default']:>8.2f}")
    threads = {k: os.environ.get(k, "unset") for k in THREAD_VARS}
    print(f"target: all <= {TARGET:g}x default; peak memory of a child {peak_mb:.0f} MB; {threads}")
    record = {
        "benchmark": "stats_speed",
        "series_lengths": list(LENGTHS),
        "runs": args.runs,
        "seconds": {m: [round(x, 3) for x in t] for m, t in times.items()},
        "median_s": {m: round(v, 3) for m, v in med.items()},
        "ratio_all_to_default": round(ratio, 3),
        "target_ratio": TARGET,
        "meets_target": bool(ratio <= TARGET),
        "peak_child_rss_mb": round(peak_mb, 1),
        "thread_env": threads,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
