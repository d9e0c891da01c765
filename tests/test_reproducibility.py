"""Same inputs, same bytes; concurrent and killed runs never corrupt results.

* ``run`` (with its report), ``simulate`` and ``sensitivity`` in two separate processes (with
  different hash seeds) write byte-identical files, and ``summary.json`` carries the manifest
  (toolkit version, input files with SHA-256, seed, package versions).
* ``forecast_frame`` and ``backtest`` give identical numbers for any ``n_jobs``.
* Two ``forecast run`` processes writing the same ``--out`` at once: with the same inputs both
  succeed with the same files; with different results one wins and the other refuses (exit 2,
  one line), and the folder holds exactly the winner's files.
* A run killed with SIGKILL while writing leaves the previous results intact; its temporary
  folder (``.<name>.tmp-*``) stays behind, hidden, and is not mistaken for results.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import forecast
from conftest import (
    DEFAULT_SCENARIO,
    HISTORY_ROWS,
    SCENARIOS,
    minimal_doc,
    snapshot,
    to_toml,
    write_csv,
)

UNCERTAIN = SCENARIOS / "global-ai-2030-uncertain.toml"
POSIX = pytest.mark.skipif(os.name != "posix", reason="signals and flock are POSIX")

# One process running the three commands the way a user would, into ./out.
PROGRAM = """
import sys
from forecast.cli import main
run, uncertain = sys.argv[1], sys.argv[2]
codes = [
    main(["run", run, "--out", "out"]),
    main(["simulate", uncertain, "--draws", "2000", "--out", "out", "--quiet"]),
    main(["sensitivity", uncertain, "--draws", "1000", "--sobol-samples", "64", "--out", "out",
          "--quiet"]),
]
sys.exit(max(codes))
"""


def _env(hash_seed: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = hash_seed  # set and dict orders must not leak into the files
    env.pop("FORECAST_ARTIFACTS", None)
    return env


def _forecast(*args: str | Path, cwd: Path, **kw: Any) -> subprocess.Popen[str]:
    code = "import sys; from forecast.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env("0"),
        **kw,
    )


def test_two_processes_write_byte_identical_files(tmp_path: Path) -> None:
    procs = []
    for name, seed in (("a", "1"), ("b", "2")):
        cwd = tmp_path / name
        cwd.mkdir()
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", PROGRAM, str(DEFAULT_SCENARIO), str(UNCERTAIN)],
                cwd=cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(seed),
            )
        )
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    first, second = snapshot(tmp_path / "a" / "out"), snapshot(tmp_path / "b" / "out")
    expected = {
        "global-ai-2030/projection.csv",
        "global-ai-2030/params.csv",
        "global-ai-2030/summary.json",
        "global-ai-2030/report.html",
        "global-ai-2030/workbook.xlsx",
        "global-ai-2030/summary.pdf",
        "global-ai-2030-uncertain.simulation/quantiles.csv",
        "global-ai-2030-uncertain.simulation/summary.json",
        "global-ai-2030-uncertain.sensitivity/sobol.csv",
    }
    assert expected <= set(first), sorted(first)
    differ = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    assert not differ, f"files that differ between two identical runs: {differ}"

    # the manifest: version, every input with its SHA-256, the seed, package versions; the
    # report states the command (a normalised one, without --out, so reruns stay identical)
    prov = json.loads(first["global-ai-2030/summary.json"])["provenance"]
    assert prov["toolkit_version"] == forecast.__version__
    assert {"numpy", "scipy", "pandas"} <= set(prov["packages"])
    assert prov["seed"] == 20300157
    assert prov["command"] == "forecast run global-ai-2030.toml (run in the scenario's folder)"
    inputs = {i["role"]: i for i in prov["inputs"]}
    assert {"scenario", "history", "estimates"} <= set(inputs)
    scenario_sha = hashlib.sha256(DEFAULT_SCENARIO.read_bytes()).hexdigest()
    assert inputs["scenario"]["sha256"] == scenario_sha
    history = (DEFAULT_SCENARIO.parent / inputs["history"]["path"]).resolve()
    assert inputs["history"]["sha256"] == hashlib.sha256(history.read_bytes()).hexdigest()
    assert b"forecast run global-ai-2030.toml" in first["global-ai-2030/report.html"]


def _awkward_batch() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for k in range(24):
        n = int(rng.integers(1, 30))
        y = 100 * np.exp(np.cumsum(rng.normal(0.05, 0.15, n)))
        if k % 5 == 0:
            y[rng.integers(n)] = np.nan
        if k % 7 == 0:
            y = y - 150  # some negatives
        rows += [(f"s{k:02d}", 1990 + i, v) for i, v in enumerate(y)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


@pytest.mark.parametrize("model", ["auto", "theta", "damped"])
def test_forecast_frame_does_not_depend_on_n_jobs(model: str) -> None:
    df = _awkward_batch()
    one = forecast.forecast_frame(df, h=6, model=model, n_jobs=1)
    two = forecast.forecast_frame(df, h=6, model=model, n_jobs=2)
    again = forecast.forecast_frame(df, h=6, model=model, n_jobs=1)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(one, again, check_exact=True)
    assert list(one.attrs["info"]) == list(two.attrs["info"])


def test_backtest_does_not_depend_on_n_jobs() -> None:
    df = _awkward_batch()
    df = df[df.groupby("unique_id")["y"].transform("size") >= 12]
    one = forecast.backtest(df, h=3, windows=2, models=["auto", "naive"], n_jobs=1)
    two = forecast.backtest(df, h=3, windows=2, models=["auto", "naive"], n_jobs=2)
    pd.testing.assert_frame_equal(one.metrics, two.metrics, check_exact=True)


# ------------------------------------------------------------------------------------------------
# Concurrency and interruption
# ------------------------------------------------------------------------------------------------


def _scenario(root: Path, seed: int, name: str = "scenario.toml") -> Path:
    write_csv(root / "history.csv", HISTORY_ROWS)
    doc = minimal_doc()
    doc["projection"]["seed"] = seed
    doc["projection"]["draws"] = 2000
    path = root / name
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


def _reference(tmp: Path, scenario: Path) -> dict[str, bytes]:
    p = _forecast("run", scenario, "--out", tmp / "ref", "--no-report", "--force", cwd=tmp)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    return snapshot(tmp / "ref" / "mini")


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@POSIX
def test_concurrent_runs_with_the_same_inputs_both_succeed(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, seed=1)
    expected = _reference(tmp_path, scenario)
    out = tmp_path / "out"
    procs = [_forecast("run", scenario, "--out", out, "--no-report", cwd=tmp_path) for _ in "ab"]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert snapshot(out / "mini") == expected
    assert _hidden(out) == []  # both temporary folders removed


@POSIX
def test_concurrent_runs_with_different_results_one_wins_the_other_refuses(
    tmp_path: Path,
) -> None:
    a, b = (tmp_path / "a", tmp_path / "b")
    a.mkdir()
    b.mkdir()
    scenarios = [_scenario(a, seed=1), _scenario(b, seed=2)]
    expected = [_reference(tmp_path, s) for s in scenarios]
    assert expected[0] != expected[1]
    out = tmp_path / "out"
    procs = [_forecast("run", s, "--out", out, "--no-report", cwd=tmp_path) for s in scenarios]
    results = []
    for p in procs:
        _, err = p.communicate(timeout=300)
        results.append((p.returncode, err))
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert len(loser.splitlines()) == 1 and "Traceback" not in loser, loser
    assert "must not hold earlier results of other inputs" in loser
    winner = next(i for i, (code, _) in enumerate(results) if code == 0)
    assert snapshot(out / "mini") == expected[winner]
    assert _hidden(out) == []


# A run whose file writes are slowed down and announced, so the test can kill it while the
# temporary folder is half written (or, with --at swap, just before the swap into place).
SLOW_RUN = """
import sys, time
from forecast import output
from forecast.cli import main
real_write = output._write
def slow_write(path, data):
    real_write(path, data)
    print("WROTE", path.name, flush=True)
    time.sleep(0.3)
output._write = slow_write
sys.exit(main(sys.argv[1:]))
"""


@POSIX
def test_run_killed_mid_write_leaves_previous_results(tmp_path: Path) -> None:
    old = _scenario(tmp_path, seed=1, name="old.toml")
    new = _scenario(tmp_path, seed=2, name="new.toml")
    out = tmp_path / "out"
    first = _forecast("run", old, "--out", out, "--no-report", cwd=tmp_path)
    assert first.wait(timeout=300) == 0
    previous = snapshot(out / "mini")
    assert previous

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SLOW_RUN,
            "run",
            str(new),
            "--out",
            str(out),
            "--no-report",
            "--force",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env("0"),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the first file of the new results is on disk
    assert line.startswith("WROTE"), (line, proc.stderr.read() if proc.stderr else "")
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL

    assert snapshot(out / "mini") == previous  # untouched
    leftovers = _hidden(out)
    assert len(leftovers) == 1 and leftovers[0].startswith(".mini.tmp-"), leftovers

    # The leftover is hidden and never read as results: a rerun of the old inputs finds them
    # unchanged, a rerun of the new ones without --force still refuses.
    again = _forecast("run", old, "--out", out, "--no-report", cwd=tmp_path)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    refused = _forecast("run", new, "--out", out, "--no-report", cwd=tmp_path)
    _, err = refused.communicate(timeout=300)
    assert refused.returncode == 2 and len(err.splitlines()) == 1, err
    assert snapshot(out / "mini") == previous
    # The next run on the same folder removes the dead run's temporary folder (nobody holds
    # its lock any more), whatever that run then does.
    assert _hidden(out) == []


@POSIX
def test_run_killed_at_random_moments_leaves_old_or_new_results(tmp_path: Path) -> None:
    """Kill a ``--force`` run at several moments from start to finish: the folder always holds
    exactly the old or exactly the new results, never a mix."""
    old = _scenario(tmp_path, seed=1, name="old.toml")
    new = _scenario(tmp_path, seed=2, name="new.toml")
    expected_new = _reference(tmp_path, new)
    out = tmp_path / "out"
    assert _forecast("run", old, "--out", out, "--no-report", cwd=tmp_path).wait(300) == 0
    previous = snapshot(out / "mini")
    start = time.monotonic()
    full = _forecast("run", new, "--out", tmp_path / "timing", "--no-report", cwd=tmp_path)
    full.wait(timeout=300)
    duration = time.monotonic() - start
    for fraction in (0.5, 0.8, 0.9, 0.95, 1.0):
        proc = _forecast("run", new, "--out", out, "--no-report", "--force", cwd=tmp_path)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        now = snapshot(out / "mini")
        assert now in (previous, expected_new), sorted(now)
        if now == expected_new:  # it finished: put the old results back for the next round
            p = _forecast("run", old, "--out", out, "--no-report", "--force", cwd=tmp_path)
            assert p.wait(timeout=300) == 0
