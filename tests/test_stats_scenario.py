"""Scenarios whose model is a statistical one (``family = "auto"``, ``"theta"``, ...): fitted to
the history alone, anchors checked against the intervals, one-line errors for what does not
apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from conftest import SCENARIOS, Result, assert_user_error


def _write(tmp_path: Path, body: str, name: str = "auto.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{SCENARIOS / "global-ai-2030-sectors.toml"}"\n{body}', "utf-8")
    return path


AUTO = 'name = "global-ai-auto"\n[model]\nfamily = "auto"\n'


def test_run_auto_scenario(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    path = _write(tmp_path, AUTO)
    out = tmp_path / "out"
    res = run_cli("run", path, "--out", out, "--json")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    assert summary["model"]["model"] == "auto"
    (anchor,) = summary["anchors"]
    assert anchor["position"].startswith(("inside", "above", "below"))
    assert any("interpolation" in w for w in summary["warnings"])  # the history has gaps
    proj = pd.read_csv(out / "global-ai-auto" / "projection.csv")
    assert list(proj.columns) == ["scenario", "year", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert proj["year"].tolist() == list(range(2026, 2036))
    assert (proj["lo-95"] <= proj["lo-80"]).all() and (proj["hi-80"] <= proj["hi-95"]).all()
    assert ((proj["lo-95"] <= proj["mean"]) & (proj["mean"] <= proj["hi-95"])).all()
    seg = pd.read_csv(out / "global-ai-auto" / "segments.csv")
    total = seg.groupby("year")["mean"].sum().to_numpy()
    assert total == pytest.approx(proj["mean"].to_numpy(), rel=1e-9)


def test_run_prints_auto_next_to_growth_curves(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    path = _write(tmp_path, AUTO)
    res = run_cli("run", path, SCENARIOS / "global-ai-2030.toml", "--out", tmp_path / "out")
    assert res.code == 0, res.err
    assert "not used to calibrate" in res.out
    table = res.out.split("scenario ", 1)[1]
    assert "global-ai-auto" in table and "auto" in table and "logistic" in table


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (AUTO + 'bounds = { K = ["1T", "5T"] }\n', ("model.bounds", "growth curves", "'auto'")),
        (
            AUTO + '[assumptions]\nbase = "375 to 407 billion USD"\n',
            ("assumptions", "growth-curve family", "'auto'"),
        ),
        ('name = "x"\n[model]\nfamily = "aut"\n', ("model.family", "did you mean 'auto'")),
    ],
)
def test_statistical_scenario_errors(
    tmp_path: Path, run_cli: Callable[..., Result], body: str, fragments: tuple[str, ...]
) -> None:
    path = _write(tmp_path, body)
    assert_user_error(run_cli("validate", path), str(path), *fragments)


def test_simulate_refuses_a_statistical_model(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    path = _write(tmp_path, AUTO)
    res = run_cli("simulate", path, "--out", tmp_path / "out")
    assert_user_error(res, "growth-curve family", "'auto'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (
            AUTO + "[projection]\nreport_years = [2025]\n",
            ("report_years", "after the last", "2025"),
        ),
        (AUTO + "[projection]\nlevels = [99.5]\n", ("projection.levels", "99%", "99.5")),
        (AUTO + "[projection]\nhorizon = 2100\n", ("projection.horizon", "at most 30", "2100")),
        (AUTO + "[history]\nstart = 2025\n", ("at least 3 history points", "got 1")),
    ],
)
def test_statistical_scenario_limits(
    tmp_path: Path, run_cli: Callable[..., Result], body: str, fragments: tuple[str, ...]
) -> None:
    path = _write(tmp_path, body)
    assert_user_error(run_cli("validate", path), str(path), *fragments)


@pytest.mark.parametrize(
    "family", ["naive", "drift", "ses", "holt", "damped", "theta", "theta_opt", "auto"]
)
def test_every_fast_statistical_model_runs(
    tmp_path: Path, run_cli: Callable[..., Result], family: str
) -> None:
    body = f'name = "s-{family.replace("_", "-")}"\n[model]\nfamily = "{family}"\n'
    path = _write(tmp_path, body)
    res = run_cli("run", path, "--out", tmp_path / "out", "--json")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    assert summary["report_years"][-1]["year"] == 2035


def test_anchor_inside_the_history_is_compared_with_it(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    body = AUTO + ('[[anchors]]\nyear = 2024\nvalue = "300 billion USD"\nsource = "test"\n')
    res = run_cli("run", _write(tmp_path, body), "--out", tmp_path / "out", "--json")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    (anchor,) = summary["anchors"]
    assert anchor["position"] == "+7.4% against the history's 2024 value"
