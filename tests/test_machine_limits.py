"""The Monte Carlo draw cap follows the memory available at run time (``forecast._machine``):
a draw count that does not fit is one line naming how many do, never a MemoryError."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, Result, assert_user_error
from forecast import _machine

POSIX = pytest.mark.skipif(os.name != "posix", reason="rlimits are POSIX")
UNCERTAIN = REPO / "scenarios" / "global-ai-2030-uncertain.toml"


# ------------------------------------------------------------------------------------------------
# case 7: the draw cap from the memory available
# ------------------------------------------------------------------------------------------------


def test_draw_cap_follows_available_memory(
    run_cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_machine, "available_memory", lambda: 2**30)  # 1 GiB free
    res = run_cli(
        "simulate",
        UNCERTAIN,
        "--draws",
        "5000000",  # 1.2 GiB of per-year values: under 12 GiB, over half of 1 GiB
        "--exact",  # every draw kept (without it, more than 10^6 draws take bounded memory)
        "--out",
        tmp_path / "out",
    )
    assert_user_error(res, "limit 0.5 GiB, half the 1.0 GiB of memory available now", "at most")
    assert not (tmp_path / "out").exists()


@POSIX
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
def test_draws_past_an_address_space_limit_are_one_line_not_a_memory_error(
    tmp_path: Path,
) -> None:
    """`simulate --draws 20000000 --exact` under a 3 GB memory limit (``ulimit -v``)."""

    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))

    env = {**os.environ, "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1"}
    argv = ["simulate", str(UNCERTAIN), "--draws", "20000000", "--exact"]
    argv += ["--out", str(tmp_path / "out")]
    res = subprocess.run(
        [sys.executable, "-m", "forecast.cli", *argv, "--quiet"],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    (line,) = res.stderr.splitlines()
    assert "memory available now" in line and "use at most" in line


def test_available_memory_is_the_least_of_what_the_system_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_machine, "_meminfo_available", lambda: 8 * 2**30)
    monkeypatch.setattr(_machine, "_address_space_room", lambda: None)
    monkeypatch.setattr(_machine, "_cgroup_room", lambda: 3 * 2**30)
    assert _machine.available_memory() == 3 * 2**30
    monkeypatch.setattr(_machine, "_cgroup_room", lambda: None)
    monkeypatch.setattr(_machine, "_meminfo_available", lambda: None)
    assert _machine.available_memory() is None  # callers keep their fixed ceiling
