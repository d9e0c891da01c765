"""The ``simulate`` and ``sensitivity`` handlers: JSON output, argument checks, the progress
bar on a terminal and the JSON fallback for numpy scalars."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from conftest import SCENARIOS, Result, assert_user_error
from forecast.cli import simulate as cli_simulate

UNCERTAIN = SCENARIOS / "global-ai-2030-uncertain.toml"


def test_simulate_json(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    res = run_cli("simulate", UNCERTAIN, "--draws", "500", "--out", tmp_path, "--quiet", "--json")
    assert res.code == 0, res.err
    summary = json.loads(res.out)
    assert summary == json.loads(
        (tmp_path / "global-ai-2030-uncertain.simulation" / "summary.json").read_text()
    )


def test_sensitivity_json(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    res = run_cli(
        "sensitivity", UNCERTAIN, "--draws", "300", "--sobol-samples", "16", "--out", tmp_path,
        "--quiet", "--json",
    )  # fmt: skip
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert payload["scenario"] == "global-ai-2030-uncertain"
    assert {"tornado", "sobol", "importance"} <= set(payload)
    names = {row["input"] for row in payload["tornado"]}
    assert "saturation" in names


@pytest.mark.parametrize("n", ["10", "8", "0"])
def test_sobol_samples_must_be_a_power_of_two(
    tmp_path: Path, run_cli: Callable[..., Result], n: str
) -> None:
    res = run_cli("sensitivity", UNCERTAIN, "--sobol-samples", n, "--out", tmp_path)
    assert_user_error(res, "--sobol-samples: must be a power of two of at least 16", n)
    assert not any(tmp_path.iterdir())


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _Terminal()
    monkeypatch.setattr(sys, "stderr", fake)
    bar = cli_simulate._Progress(100, quiet=False)
    assert bar.bar is not None
    bar(40)
    bar(60)
    assert bar.bar.n == 100
    bar.close()
    quiet = cli_simulate._Progress(100, quiet=True)
    quiet(10)
    quiet.close()
    assert quiet.bar is None


def test_plain_json_for_numpy_scalars() -> None:
    assert cli_simulate._plain(np.bool_(True)) is True
    assert cli_simulate._plain(np.int64(7)) == 7
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        cli_simulate._plain(object())
