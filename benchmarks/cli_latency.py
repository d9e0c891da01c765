"""Latency of the command line as an analyst meets it: each command of issue 16 as a whole
process, against the import floor measured in the same run.

Commands (run in the checkout the install comes from, so ``scenarios/`` are that commit's):

* the import floor, ``python -c "import numpy, pandas, matplotlib.pyplot, scipy.stats"``;
* ``forecast --version`` and ``forecast --help`` (target: at most 0.10x the floor);
* ``forecast validate scenarios/global-ai-2030.toml`` (at most 0.35x);
* ``forecast run scenarios/global-ai-2030.toml --no-report``, then with the report (at most
  1.5x), and ``forecast run scenarios/global-ai-2030-uncertain.toml`` (at most 2.2x), each with a
  fresh ``--out`` folder every run;
* ``forecast backtest`` on the three short series of ``stats_speed.py`` with the default models
  and with ``--models all`` (target: all at most 3x default).

Every command runs once untimed (file-system caches, bytecode), then ``--runs`` timed rounds;
within a round every install runs every command in turn, so drift in the machine's load falls on
all of them alike. Each timed process runs under a small wrapper process that times it and
reads its peak resident memory (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, the one child
it waited for), so the memory column is per command. The table gives the median, the spread
(min to max), the ratio of the medians to the floor's and the target beside it; the last line is
one JSON object with the figures.

Run: ``python benchmarks/cli_latency.py [--runs 5] [--python [LABEL=]PATH ...] [--only KEYS]
[--json OUT.json]``. ``--python`` names the interpreter of an install to time (its ``forecast``
script beside it; repeat it to time several installs in one run, e.g. before and after a
change); by default the interpreter running this script.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats_speed import LENGTHS, write_series  # the backtest workload, shared

FLOOR = "import numpy, pandas, matplotlib.pyplot, scipy.stats"
SCENARIO = "scenarios/global-ai-2030.toml"
UNCERTAIN = "scenarios/global-ai-2030-uncertain.toml"

# key, label, target ratio (to the floor; backtest_all: to backtest_default)
COMMANDS: tuple[tuple[str, str, float | None], ...] = (
    ("floor", f'python -c "{FLOOR}"', None),
    ("version", "forecast --version", 0.10),
    ("help", "forecast --help", 0.10),
    ("validate", f"forecast validate {SCENARIO}", 0.35),
    ("run_no_report", f"forecast run {SCENARIO} --no-report", None),
    ("run", f"forecast run {SCENARIO}", 1.5),
    ("run_uncertain", f"forecast run {UNCERTAIN}", 2.2),
    ("backtest_default", "forecast backtest 3 series --models default", None),
    ("backtest_all", "forecast backtest 3 series --models all", 3.0),
)

W = max(len(c[1]) for c in COMMANDS) + 1  # the command column's width

# Times its one child and reports the child's peak memory: the wrapper's own startup is not in
# the figure, and RUSAGE_CHILDREN of a fresh process is exactly that child's.
WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rc": p.returncode, "rss_kb": rss,
                  "stderr": p.stderr.decode("utf-8", "replace")[-400:]}))
"""


@dataclass
class Install:
    """One install to time: its interpreter, ``forecast`` script and checkout."""

    label: str
    python: Path
    forecast: Path
    root: Path
    wall: dict[str, list[float]] = field(default_factory=dict)
    rss_kb: dict[str, int] = field(default_factory=dict)


def install(spec: str) -> Install:
    """``[LABEL=]PATH`` of a Python interpreter -> the install (checkout found from the
    package's location without importing it)."""
    label, _, path = spec.rpartition("=")
    python = Path(path).absolute()  # keep a venv's symlinked interpreter as it is
    script = python.parent / "forecast"
    if not script.exists():
        raise SystemExit(f"--python: no forecast script beside {python}")
    where = subprocess.run(
        [str(python), "-c", "import importlib.util as u; print(u.find_spec('forecast').origin)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    root = Path(where).resolve().parents[2]  # <root>/src/forecast/__init__.py
    if not (root / SCENARIO).exists():
        raise SystemExit(f"--python {python}: its package is not in a checkout with {SCENARIO}")
    return Install(label or python.parent.parent.name, python, script, root)


def argv(inst: Install, key: str, data: Path, tmp: Path) -> list[str]:
    """The command line of ``key`` for ``inst`` (a fresh ``--out`` folder for runs)."""
    fc = str(inst.forecast)
    out = ["--out", tempfile.mkdtemp(dir=tmp)]
    return {
        "floor": [str(inst.python), "-c", FLOOR],
        "version": [fc, "--version"],
        "help": [fc, "--help"],
        "validate": [fc, "validate", SCENARIO],
        "run_no_report": [fc, "run", SCENARIO, "--no-report", *out],
        "run": [fc, "run", SCENARIO, *out],
        "run_uncertain": [fc, "run", UNCERTAIN, *out],
        "backtest_default": [fc, "backtest", str(data), "--models", "default"],
        "backtest_all": [fc, "backtest", str(data), "--models", "all"],
    }[key]


def timed(cmd: list[str], cwd: Path) -> tuple[float, int]:
    """Wall seconds and peak memory (kB) of one whole process; fails loudly on failure."""
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *cmd], cwd=cwd, capture_output=True, text=True, check=True
    )
    rec = json.loads(done.stdout)
    if rec["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({rec['rc']}): {rec['stderr'].strip()}")
    return float(rec["wall"]), int(rec["rss_kb"])


def table(inst: Install, keys: list[str]) -> tuple[list[str], dict[str, object]]:
    """The printed rows of one install and its JSON record."""
    med = {k: median(v) for k, v in inst.wall.items()}
    floor = med.get("floor")
    lines = [
        f"{inst.label}: {inst.root}",
        f"{'command':<{W}}{'median s':>9}{'min s':>7}{'max s':>7}{'ratio':>7}{'target':>9}"
        f"{'':>6}{'peak MB':>8}",
    ]
    ratios: dict[str, float] = {}
    passes: dict[str, bool] = {}
    for key, label, target in COMMANDS:
        if key not in keys:
            continue
        base = med.get("backtest_default") if key == "backtest_all" else floor
        ratio = med[key] / base if base else None
        verdict = ""
        if ratio is not None:
            ratios[key] = ratio
            if target is not None:
                passes[key] = ratio <= target
                verdict = "pass" if passes[key] else "FAIL"
        of = "x dflt" if key == "backtest_all" else "x floor"
        tgt = f"<={target:g}x" if target else ""
        lines.append(
            f"{label:<{W}}{med[key]:>9.2f}{min(inst.wall[key]):>7.2f}{max(inst.wall[key]):>7.2f}"
            + (f"{ratio:>7.2f}" if ratio is not None else f"{'':>7}")
            + f"{tgt:>9}{verdict:>6}{inst.rss_kb[key] / 1024:>8.0f}"
            + (f"  ({of})" if key == "backtest_all" and ratio is not None else "")
        )
    record = {
        "root": str(inst.root),
        "seconds": {k: [round(x, 3) for x in v] for k, v in inst.wall.items()},
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "ratio": {k: round(v, 3) for k, v in ratios.items()},
        "meets_target": passes,
        "peak_rss_mb": {k: round(v / 1024, 1) for k, v in inst.rss_kb.items()},
    }
    return lines, record


def main(args_: list[str] | None = None) -> int:
    """Time every command of every install; print the tables and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--python",
        action="append",
        metavar="[LABEL=]PATH",
        help="interpreter of an install to time (repeatable; default: this one)",
    )
    parser.add_argument(
        "--only", metavar="KEYS", help=f"comma-separated subset of {[c[0] for c in COMMANDS]}"
    )
    parser.add_argument("--json", metavar="OUT.json", help="also write the figures to a file")
    args = parser.parse_args(args_)
    keys = [c[0] for c in COMMANDS]
    if args.only:
        keys = [k for k in keys if k in args.only.split(",")]
    installs = [install(p) for p in (args.python or [sys.executable])]
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        data = tmp / "three_short.csv"
        write_series(data)
        for inst in installs:  # warm-up
            for k in keys:
                timed(argv(inst, k, data, tmp), inst.root)
        for _ in range(args.runs):
            for inst in installs:
                for k in keys:
                    wall, rss = timed(argv(inst, k, data, tmp), inst.root)
                    inst.wall.setdefault(k, []).append(wall)
                    inst.rss_kb[k] = max(inst.rss_kb.get(k, 0), rss)
    print(
        f"whole processes, {args.runs} runs after a warm-up (median, min, max); ratio to the "
        f"import floor of the same install (backtest --models all: to the default models); "
        f"backtest on {len(LENGTHS)} series of {', '.join(map(str, LENGTHS))} years"
    )
    records = {}
    for inst in installs:
        lines, records[inst.label] = table(inst, keys)
        print("\n".join(lines))
    record = {"benchmark": "cli_latency", "runs": args.runs, "installs": records}
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())
