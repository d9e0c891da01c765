"""Scenarios whose model is a statistical one (``family = "auto"``, ``"theta"``, ...): fitted to
the history alone, anchors checked against the intervals, one-line errors for what does not
apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SCENARIOS, Result, assert_user_error
from forecast import load_scenario
from forecast.models import cagr
from forecast.projection import run_scenario
from forecast.results import BaseScenarioResult, ScenarioResult, StatsScenarioResult
from forecast.stats import get_model


def _write(tmp_path: Path, body: str, name: str = "auto.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{SCENARIOS / "global-ai-2030-sectors.toml"}"\n{body}', "utf-8")
    return path


AUTO = 'name = "global-ai-auto"\n[model]\nfamily = "auto"\n'


def _family(family: str) -> str:
    """A scenario body naming a statistical model (the name follows the model)."""
    return f'name = "global-ai-{family.replace("_", "-")}"\n[model]\nfamily = "{family}"\n'


def test_run_auto_scenario(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    path = _write(tmp_path, AUTO)
    out = tmp_path / "out"
    res = run_cli("run", path, "--out", out, "--json")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    assert summary["model"]["family"] == "auto" and summary["model"]["kind"] == "statistical"
    (anchor,) = summary["anchors"]
    assert anchor["position"].startswith(("inside", "above", "below"))
    assert any("interpolation" in w for w in summary["warnings"])  # the history has gaps
    proj = pd.read_csv(out / "global-ai-auto" / "projection.csv")
    cols = ["scenario", "year", "mean", "median", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert list(proj.columns) == cols
    assert proj["year"].tolist() == list(range(2026, 2036))
    assert (proj["lo-95"] <= proj["lo-80"]).all() and (proj["hi-80"] <= proj["hi-95"]).all()
    assert ((proj["lo-95"] <= proj["mean"]) & (proj["mean"] <= proj["hi-95"])).all()
    seg = pd.read_csv(out / "global-ai-auto" / "segments.csv")
    total = seg.groupby("year")["mean"].sum().to_numpy()
    assert total == pytest.approx(proj["mean"].to_numpy(), rel=1e-9)
    folder = out / "global-ai-auto"  # the report of a statistical model
    for name in (
        "report.html",
        "report.md",
        "workbook.xlsx",
        "charts/fan.png",
        "charts/models.svg",
    ):
        assert (folder / name).stat().st_size > 0, name
    md = (folder / "report.md").read_text("utf-8")
    assert "| model | auto |" in md and "**Projection 2030:**" in md


def test_run_prints_auto_next_to_growth_curves(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    path = _write(tmp_path, AUTO)
    res = run_cli(
        "run", path, SCENARIOS / "global-ai-2030.toml", "--out", tmp_path / "out", "--no-report"
    )
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
    # the report of a statistical model is tested once, in test_run_auto_scenario
    res = run_cli("run", path, "--out", tmp_path / "out", "--json", "--no-report")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    assert summary["report_years"][-1]["year"] == 2035


def test_anchor_inside_the_history_is_compared_with_it(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    # a soft anchor within its tolerance of the reported value (beyond it: an error at validate)
    body = AUTO + (
        '[[anchors]]\nyear = 2024\nvalue = "300 billion USD"\nkind = "soft"\n'
        'tolerance = "10%"\nsource = "test"\n'
    )
    res = run_cli("run", _write(tmp_path, body), "--out", tmp_path / "out", "--json")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    (anchor,) = summary["anchors"]
    assert anchor["position"] == "+7.4% against the history's 2024 value"


def test_growth_and_statistical_results_have_one_shape(tmp_path: Path) -> None:
    """Same summary keys (top level and inside model, fit, projection, anchors), same projection
    and params columns, for a growth curve and a statistical model."""
    growth = run_scenario(SCENARIOS / "global-ai-2030.toml")
    stats = run_scenario(_write(tmp_path, _family("theta")))
    assert isinstance(growth, ScenarioResult) and isinstance(stats, StatsScenarioResult)
    assert isinstance(growth, BaseScenarioResult) and isinstance(stats, BaseScenarioResult)
    g, s = growth.summary(), stats.summary()
    assert list(g) == list(s)
    for block in ("model", "fit", "projection"):
        assert list(g[block]) == list(s[block]), block
    assert list(g["anchors"][0]) == list(s["anchors"][0])
    assert list(g["fit"]["params"]["K"]) == list(s["fit"]["params"]["alpha"])
    assert (g["model"]["kind"], s["model"]["kind"]) == ("growth_curve", "statistical")
    assert s["model"]["error"] is None and s["fit"]["sigma"] is None
    assert list(growth.projection.columns) == list(stats.projection.columns)
    assert list(growth.params.columns) == list(stats.params.columns)
    json.dumps([g, s], allow_nan=False)


def test_statistical_median_is_the_empirical_median(tmp_path: Path) -> None:
    """The projection's median is the point forecast plus the scale times the 50% quantile of
    the scaled errors (as StatsFit.forecast computes it), not a copy of the mean."""
    res = run_scenario(_write(tmp_path, _family("theta")))
    assert isinstance(res, StatsScenarioResult)
    years = np.arange(2020, 2026)
    values = np.interp(years, [2020, 2022, 2024, 2025], [62.35, 136.55, 279.22, 390.9])
    want = get_model("theta").fit(years, values).forecast(10)
    proj = res.projection
    np.testing.assert_allclose(proj["median"], want["median"], rtol=1e-9)
    np.testing.assert_allclose(proj["mean"], want["mean"], rtol=1e-9)
    assert not np.allclose(proj["median"], proj["mean"])
    assert ((proj["lo-80"] <= proj["median"]) & (proj["median"] <= proj["hi-80"])).all()


@pytest.mark.parametrize(
    ("family", "params"),
    [
        ("theta", ["alpha"]),
        ("damped", ["alpha", "beta", "phi"]),
        ("arima", ["p", "d", "q", "aicc"]),
        (
            "auto",
            ["weight:drift", "weight:damped", "weight:theta_log", "weight:damped_log", "phi"],
        ),
    ],
)
def test_params_csv_has_one_row_per_parameter(
    tmp_path: Path, family: str, params: list[str]
) -> None:
    res = run_scenario(_write(tmp_path, _family(family)))
    assert res.params["param"].tolist() == params
    assert res.params["se"].isna().all()
    if family == "auto":
        weights = res.params.loc[res.params["param"].str.startswith("weight:"), "estimate"]
        assert weights.sum() == pytest.approx(1.0)
    assert res.summary()["fit"]["aicc"] == (
        res.params.set_index("param")["estimate"]["aicc"] if family == "arima" else None
    )


def test_cagr_starts_from_the_last_actual_value_for_every_model(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    growth = run_scenario(SCENARIOS / "global-ai-2030.toml")
    stats = run_scenario(_write(tmp_path, AUTO))
    for res in (growth, stats):
        d = res.summary()["derived"]
        assert "last actual history value (2025)" in d["cagr_basis"]
        want = cagr(390.9, res.value_at(2030)["mean"], 5)
        assert d["cagr_2025_2030"] == pytest.approx(want, rel=1e-12)
        assert res.cagr_to(2030) == pytest.approx(want, rel=1e-12)
    assert isinstance(growth, ScenarioResult)
    fitted = growth.summary()["derived"]["fitted_cagr_2025_2030"]
    assert fitted == pytest.approx(growth.fit.implied_cagr(2025, 2030))
    assert fitted != pytest.approx(growth.summary()["derived"]["cagr_2025_2030"], rel=1e-6)
    res = run_cli(
        "run",
        _write(tmp_path, AUTO),
        SCENARIOS / "global-ai-2030.toml",
        "--out",
        tmp_path / "o",
        "--no-report",
    )
    assert res.code == 0, res.err
    table = res.out[res.out.index("scenario  ") :]
    assert "CAGR to 2030 (from last actual)" in table
    assert f"{100 * cagr(390.9, 1570.0, 5):.1f}% from 2025" in table  # the logistic's row


def test_mean_below_a_growing_history_is_warned(tmp_path: Path) -> None:
    """ARIMA on the interpolated Grand View series forecasts about the historical mean."""
    arima = run_scenario(_write(tmp_path, _family("arima")))
    (warning,) = [w for w in arima.warnings() if "below the last actual value" in w]
    assert "2035" in warning and "grew over its last half" in warning
    assert warning in arima.summary()["warnings"]
    auto = run_scenario(_write(tmp_path, AUTO, name="auto2.toml"))
    assert not [w for w in auto.warnings() if "below the last actual" in w]


def test_inherited_growth_settings_are_dropped_with_a_warning(tmp_path: Path) -> None:
    """A statistical-model child of the uncertainty scenario keeps working: the parent's
    [assumptions], [correlation], [simulation] and model settings are dropped and named."""
    path = tmp_path / "stats-child.toml"
    parent = SCENARIOS / "global-ai-2030-uncertain.toml"
    path.write_text(f'extends = "{parent}"\n{AUTO}', "utf-8")
    sc = load_scenario(path)
    assert sc.assumptions is None
    (mine,) = [w for w in sc.warnings if "global-ai-2030-uncertain.toml" in w]
    assert "assumptions, correlation, simulation" in mine and "'auto' ignores them" in mine
    assert "assumptions = {}" in mine
    (root,) = [w for w in sc.warnings if "global-ai-2030.toml" in w]
    assert "model.error" in root
    res = run_scenario(sc)
    assert mine in res.summary()["warnings"]
    cleared = tmp_path / "cleared.toml"
    cleared.write_text(
        f'extends = "{parent}"\nassumptions = {{}}\ncorrelation = {{}}\nsimulation = {{}}\n' + AUTO,
        "utf-8",
    )
    assert not [w for w in load_scenario(cleared).warnings if "uncertain" in w]


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (AUTO + 'error = "additive"\n', ("model.error", "growth curves", "'auto'", "'additive'")),
        (
            AUTO + "[simulation]\ndraws = 100\n",
            ("simulation", "growth curves", "'auto'", "['draws']"),
        ),
        (
            AUTO + "[correlation]\ninputs = []\n",
            ("correlation", "growth curves", "'auto'"),
        ),
    ],
)
def test_growth_settings_written_for_a_statistical_model_are_refused(
    tmp_path: Path, run_cli: Callable[..., Result], body: str, fragments: tuple[str, ...]
) -> None:
    path = _write(tmp_path, body)
    assert_user_error(run_cli("validate", path), str(path), *fragments)
