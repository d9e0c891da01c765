"""The ``forecast`` command line, called in-process through ``forecast.cli.main(argv)``.

Covers ``validate`` on the bundled scenarios, ``run`` (files, provenance, reruns, refusals,
``--force``, the variant scenarios), ``implied``, ``fit`` (the published Bass example and
``--model all``), ``--help``/``--version`` and the internal-error boundary.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import forecast
from conftest import (
    DEFAULT_SCENARIO,
    ESTIMATES,
    GVR_HISTORY,
    SCENARIOS,
    Result,
    Workspace,
    assert_user_error,
    call_main,
    copy_scenarios,
    snapshot,
    write_csv,
)
from forecast import FAMILIES

PROJECTION_COLUMNS = [
    "scenario",
    "year",
    "mean",
    "median",
    "lo-80",
    "hi-80",
    "lo-95",
    "hi-95",
]
VARIANTS = ("global-ai-2030-bear", "global-ai-2030-bull", "global-ai-2030-sectors")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def _assert_intervals_nested(frame: pd.DataFrame) -> None:
    cols = ["lo-95", "lo-80", "median", "hi-80", "hi-95"]
    values = frame[cols].to_numpy()
    assert (values > 0).all()
    assert (values[:, :-1] <= values[:, 1:]).all(), frame[cols]
    # the point forecast (statsforecast's "mean" column) lies inside every interval
    assert (frame["lo-80"] <= frame["mean"]).all()
    assert (frame["mean"] <= frame["hi-80"]).all()


# ------------------------------------------------------------------------------------------------
# validate
# ------------------------------------------------------------------------------------------------

BUNDLED = sorted(SCENARIOS.glob("*.toml"))


def test_there_are_bundled_scenarios() -> None:
    names = {p.stem for p in BUNDLED}
    assert {"global-ai-2030", *VARIANTS} <= names


def test_validate_every_bundled_scenario(run_cli: Callable[..., Result]) -> None:
    res = run_cli("validate", *BUNDLED)
    assert res.code == 0, res.err
    assert res.err == ""
    lines = res.out.splitlines()
    assert len(lines) == len(BUNDLED)
    for line, path in zip(lines, BUNDLED, strict=True):
        assert line.startswith("ok ")
        assert str(path) in line
        assert f"({path.stem}:" in line


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_validate_each_bundled_scenario_json(run_cli: Callable[..., Result], path: Path) -> None:
    res = run_cli("validate", path, "--json")
    assert res.code == 0, res.err
    (rec,) = json.loads(res.out)
    sc = forecast.load_scenario(path)
    assert rec["ok"] is True
    assert rec["file"] == str(path)
    assert rec["scenario"] == sc.name == path.stem
    assert rec["history_points"] == len(sc.history)
    assert rec["anchors"] == len(sc.anchors)
    assert rec["segments"] == len(sc.segments)
    assert (rec["family"], rec["horizon"]) == (sc.model.family, sc.horizon)


def test_validate_bad_file_exits_2_and_prints_no_ok_line(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    doc = ws.doc()
    doc["model"]["family"] = "logistc"
    bad = ws.write(doc, "bad.toml")
    res = run_cli("validate", DEFAULT_SCENARIO, bad)
    assert_user_error(res, str(bad), "model.family", "'logistc'", "did you mean 'logistic'")
    assert res.out == ""


def test_validate_missing_file(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    missing = tmp_path / "nope.toml"
    assert_user_error(run_cli("validate", missing), str(missing), "must exist")


# ------------------------------------------------------------------------------------------------
# run: the default scenario (run once per module, then rerun with the same command)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("default") / "out"
    argv = ("run", DEFAULT_SCENARIO, "--out", out)
    first = call_main(*argv)
    files = snapshot(out)
    second = call_main(*argv)
    return {
        "out": out,
        "folder": out / "global-ai-2030",
        "first": first,
        "files": files,
        "second": second,
        "files_after_rerun": snapshot(out),
    }


def test_run_default_exit_0_and_files(default_run: dict[str, Any]) -> None:
    first: Result = default_run["first"]
    assert first.code == 0, first.err
    assert first.err == ""
    report = {"report.html", "report.md", "summary.pdf", "workbook.xlsx"} | {
        f"charts/{c}.{ext}" for c in ("fan", "estimates", "models") for ext in ("png", "svg")
    }
    assert set(default_run["files"]) == {
        f"global-ai-2030/{f}" for f in {"projection.csv", "params.csv", "summary.json", *report}
    }


def test_run_default_projection(default_run: dict[str, Any]) -> None:
    proj = _csv(default_run["folder"] / "projection.csv")
    assert list(proj.columns) == PROJECTION_COLUMNS
    assert (proj["scenario"] == "global-ai-2030").all()
    assert list(proj["year"]) == list(range(2025, 2036))
    point_2030 = float(proj.loc[proj["year"] == 2030, "mean"].iloc[0])
    assert point_2030 == pytest.approx(1570.0, rel=1e-9)  # the hard anchor
    _assert_intervals_nested(proj)
    assert proj["mean"].is_monotonic_increasing


def test_run_default_params(default_run: dict[str, Any]) -> None:
    params = _csv(default_run["folder"] / "params.csv")
    assert list(params["param"]) == ["K", "r", "t_mid"]
    assert (params["scenario"] == "global-ai-2030").all()
    k = params.set_index("param").loc["K"]
    assert 1600 <= k["estimate"] <= 40000  # inside the scenario's bounds


def test_run_default_summary_provenance(default_run: dict[str, Any]) -> None:
    summary = json.loads((default_run["folder"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "global-ai-2030"
    prov = summary["provenance"]
    assert prov["toolkit_version"] == forecast.__version__
    assert prov["seed"] == 20300157
    by_role = {}
    for entry in prov["inputs"]:
        by_role.setdefault(entry["role"], []).append(entry)
    (scenario,) = by_role["scenario"]
    (history,) = by_role["history"]
    # input paths are recorded relative to the scenario's folder, so that the provenance (and
    # the files) do not depend on the working folder the run was started from
    home = DEFAULT_SCENARIO.parent
    assert (home / scenario["path"]).resolve() == DEFAULT_SCENARIO.resolve()
    assert scenario["sha256"] == _sha(DEFAULT_SCENARIO)
    assert (home / history["path"]).resolve() == GVR_HISTORY.resolve()
    assert history["sha256"] == _sha(GVR_HISTORY)
    (estimates,) = by_role["estimates"]
    assert estimates["sha256"] == _sha(ESTIMATES)
    # the anchor is recorded and met
    (anchor,) = summary["anchors"]
    assert anchor["year"] == 2030
    assert anchor["value_usd_bn"] == pytest.approx(1570.0)
    assert anchor["fitted_usd_bn"] == pytest.approx(1570.0, rel=1e-9)
    assert summary["derived"]["saturation_usd_bn"] > 1570


def test_run_default_printed_summary(default_run: dict[str, Any]) -> None:
    out = default_run["first"].out
    assert "global-ai-2030" in out
    assert "anchor" in out
    assert "$1.57T" in out
    assert "saturation" in out
    assert re.search(r"^\s*2030\s", out, re.MULTILINE), out
    assert "wrote" in out


def test_rerun_is_unchanged_and_byte_identical(default_run: dict[str, Any]) -> None:
    second: Result = default_run["second"]
    assert second.code == 0, second.err
    assert "unchanged" in second.out
    assert default_run["files_after_rerun"] == default_run["files"]


@pytest.mark.parametrize("extra", [["--json"], ["--verbose"]])
def test_rerun_with_output_only_flags_is_unchanged(
    tmp_path: Path, run_cli: Callable[..., Result], extra: list[str]
) -> None:
    """Flags that change only what is printed must not make the same results "different"."""
    scen = copy_scenarios(tmp_path)
    _fast_copy(scen / "global-ai-2030.toml")
    out = tmp_path / "out"
    assert run_cli("run", scen / "global-ai-2030.toml", "--out", out).code == 0
    before = snapshot(out)
    res = run_cli("run", scen / "global-ai-2030.toml", "--out", out, *extra)
    assert res.code == 0, res.err
    assert snapshot(out) == before


def test_rerun_via_equivalent_path_is_unchanged(
    tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    scen = copy_scenarios(tmp_path)
    _fast_copy(scen / "global-ai-2030.toml")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    assert run_cli("run", "scenarios/global-ai-2030.toml", "--out", out).code == 0
    before = snapshot(out)
    monkeypatch.chdir(scen)
    res = run_cli("run", "global-ai-2030.toml", "--out", out)
    assert res.code == 0, res.err
    assert "unchanged" in res.out
    assert snapshot(out) == before


def test_run_json_prints_summaries(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    scen = copy_scenarios(tmp_path)
    _fast_copy(scen / "global-ai-2030.toml")
    res = run_cli(
        "run", scen / "global-ai-2030.toml", "--out", tmp_path / "out", "--json", "--no-report"
    )
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    assert summary["scenario"] == "global-ai-2030"
    assert summary["output"]["outcome"] == "written"
    assert summary["output"]["files"] == ["params.csv", "projection.csv", "summary.json"]


# ------------------------------------------------------------------------------------------------
# run: refusing to overwrite other results, --force
# ------------------------------------------------------------------------------------------------


def _fast_copy(path: Path, **replace: str) -> None:
    """Make a copied scenario quick to run (fewer draws) and apply text replacements."""
    text = path.read_text(encoding="utf-8").replace("draws = 4000", "draws = 300")
    assert "draws = 300" in text
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def test_changed_inputs_refuse_then_force_replaces(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    scen = copy_scenarios(tmp_path)
    path = scen / "global-ai-2030.toml"
    _fast_copy(path)
    out = tmp_path / "out"
    argv = ("run", path, "--out", out)
    assert run_cli(*argv).code == 0
    before = snapshot(out)
    assert before

    _fast_copy(path, **{"seed = 20300157": "seed = 1"})  # same name, other inputs
    refused = run_cli(*argv)
    assert_user_error(refused, str(out / "global-ai-2030"), "--force")
    assert refused.out == ""
    assert snapshot(out) == before  # earlier results byte-identical

    forced = run_cli(*argv, "--force")
    assert forced.code == 0, forced.err
    assert "replaced" in forced.out
    after = snapshot(out)
    assert set(after) == set(before)
    assert after["global-ai-2030/projection.csv"] != before["global-ai-2030/projection.csv"]
    assert json.loads(after["global-ai-2030/summary.json"])["provenance"]["seed"] == 1

    # the replaced files are exactly what a fresh run of the changed scenario writes
    fresh = tmp_path / "fresh"
    assert run_cli("run", path, "--out", fresh).code == 0
    assert snapshot(fresh) == after
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary folders left


def test_bad_scenario_among_good_writes_nothing(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    good = ws.write(ws.doc(), "good.toml")
    doc = ws.doc()
    doc["name"] = "bad"
    doc["projection"]["levels"] = [80, 100]
    bad = ws.write(doc, "bad.toml")
    res = run_cli("run", good, bad, "--out", ws.out)
    assert_user_error(res, str(bad), "projection.levels", "100")
    assert res.out == ""
    assert not ws.out.exists()


def test_unfittable_scenario_among_good_writes_nothing(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    good = ws.write(ws.doc(), "good.toml")
    write_csv(ws.root / "one.csv", [(2024, 279.22)])
    doc = ws.doc()
    doc["name"] = "thin"
    doc["history"]["file"] = "one.csv"
    del doc["anchors"]
    thin = ws.write(doc, "thin.toml")
    res = run_cli("run", good, thin, "--out", ws.out)
    assert_user_error(res, "at least 3")
    assert not ws.out.exists()


def test_refusal_for_one_scenario_writes_none(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    first = ws.write(ws.doc(), "first.toml")
    doc = ws.doc()
    doc["name"] = "second"
    second = ws.write(doc, "second.toml")
    occupied = ws.out / "second"
    occupied.mkdir(parents=True)
    (occupied / "notes.txt").write_text("someone else's results\n", encoding="utf-8")
    before = snapshot(ws.out)
    res = run_cli("run", first, second, "--out", ws.out)
    assert_user_error(res, str(occupied), "--force")
    assert snapshot(ws.out) == before
    assert not (ws.out / "mini").exists()


def test_duplicate_scenario_names_in_one_run(ws: Workspace, run_cli: Callable[..., Result]) -> None:
    a = ws.write(ws.doc(), "a.toml")
    b = ws.write(ws.doc(), "b.toml")
    res = run_cli("run", a, b, "--out", ws.out)
    assert_user_error(res, "unique", "'mini'")
    assert not ws.out.exists()


def test_out_is_a_file(ws: Workspace, run_cli: Callable[..., Result]) -> None:
    path = ws.write(ws.doc())
    blocker = ws.root / "blocker"
    blocker.write_text("x", encoding="utf-8")
    res = run_cli("run", path, "--out", blocker)
    assert_user_error(res, str(blocker))
    assert blocker.read_text(encoding="utf-8") == "x"


# ------------------------------------------------------------------------------------------------
# run: the bull, bear and sectors variants (one run of the three)
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variants_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("variants") / "out"
    # CSVs and the comparison table only: the reports are tested in test_report_scenario.py
    res = call_main(
        "run", *(SCENARIOS / f"{v}.toml" for v in VARIANTS), "--out", out, "--no-report"
    )
    return res, out


def test_variants_run(variants_run: tuple[Result, Path]) -> None:
    res, out = variants_run
    assert res.code == 0, res.err
    assert res.err == ""
    for name in VARIANTS:
        proj = _csv(out / name / "projection.csv")
        assert list(proj.columns) == PROJECTION_COLUMNS
        assert (proj["scenario"] == name).all()
        assert list(proj["year"]) == list(range(2025, 2036))
        _assert_intervals_nested(proj)
        assert (out / name / "params.csv").is_file()
        assert (out / name / "summary.json").is_file()
    # the comparison table names every scenario
    table = res.out.split("\n\n")[-1]
    for name in VARIANTS:
        assert name in table


def test_bull_meets_its_hard_anchor(variants_run: tuple[Result, Path]) -> None:
    _, out = variants_run
    proj = _csv(out / "global-ai-2030-bull" / "projection.csv").set_index("year")
    assert proj.loc[2030, "mean"] == pytest.approx(1910.0, rel=1e-9)


def test_bear_soft_anchor_is_near_but_not_forced(variants_run: tuple[Result, Path]) -> None:
    _, out = variants_run
    summary = json.loads((out / "global-ai-2030-bear" / "summary.json").read_text("utf-8"))
    (anchor,) = summary["anchors"]
    assert anchor["kind"] == "soft"
    assert anchor["tolerance"] == pytest.approx(0.15)
    assert anchor["value_usd_bn"] == pytest.approx(1345.2)
    fitted = anchor["fitted_usd_bn"]
    assert anchor["miss_pct"] == pytest.approx(100 * (fitted / 1345.2 - 1), abs=1e-6)
    assert abs(anchor["miss_pct"]) < 2 * 15  # within two stated tolerances


def test_sectors_sum_to_total(
    variants_run: tuple[Result, Path], default_run: dict[str, Any]
) -> None:
    _, out = variants_run
    folder = out / "global-ai-2030-sectors"
    assert (folder / "segments.csv").is_file()
    seg = _csv(folder / "segments.csv")
    proj = _csv(folder / "projection.csv").set_index("year")
    assert "sector" in seg.columns
    assert set(seg["sector"]) == {"Healthcare", "Finance", "Manufacturing", "Retail", "Other AI"}
    by_year = seg.groupby("year")
    assert by_year["share"].sum().to_numpy() == pytest.approx([1.0] * len(proj), rel=1e-9)
    sums = by_year["mean"].sum()
    assert list(sums.index) == list(proj.index)
    assert sums.to_numpy() == pytest.approx(proj["mean"].to_numpy(), rel=1e-9)
    # the split leaves the total as in the default scenario it extends
    default = _csv(default_run["folder"] / "projection.csv").set_index("year")
    pd.testing.assert_frame_equal(
        proj.drop(columns="scenario"), default.drop(columns="scenario"), check_exact=True
    )


def test_no_segments_file_without_segments(default_run: dict[str, Any]) -> None:
    assert not (default_run["folder"] / "segments.csv").exists()


# ------------------------------------------------------------------------------------------------
# implied
# ------------------------------------------------------------------------------------------------


def test_implied_cagr(run_cli: Callable[..., Result]) -> None:
    res = run_cli("implied", "--from", "2024:279.22B", "--to", "2030:1.57T")
    assert res.code == 0, res.err
    assert "33.35%" in res.out


def test_implied_cagr_json(run_cli: Callable[..., Result]) -> None:
    res = run_cli("implied", "--from", "2024:279.22B", "--to", "2030:1.57T", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["cagr"] == pytest.approx(0.3335, abs=5e-5)
    assert data["cagr"] == pytest.approx((1570 / 279.22) ** (1 / 6) - 1, rel=1e-12)
    assert (data["from_year"], data["to_year"]) == (2024, 2030)


def test_implied_solves_to_value(run_cli: Callable[..., Result]) -> None:
    res = run_cli("implied", "--from", "2024:279.22B", "--cagr", "33.35%", "--to", "2030", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["to_usd_bn"] == pytest.approx(1570, rel=1e-3)
    assert data["to_usd_bn"] == pytest.approx(279.22 * 1.3335**6, rel=1e-12)
    text = run_cli("implied", "--from", "2024:279.22B", "--cagr", "33.35%", "--to", "2030")
    assert text.code == 0
    assert "$1.57T" in text.out


def test_implied_solves_from_value(run_cli: Callable[..., Result]) -> None:
    res = run_cli("implied", "--to", "2030:1.57T", "--cagr", "33.35%", "--from", "2024", "--json")
    assert res.code == 0, res.err
    data = json.loads(res.out)
    assert data["from_usd_bn"] == pytest.approx(279.22, rel=1e-3)
    assert data["from_usd_bn"] == pytest.approx(1570 / 1.3335**6, rel=1e-12)


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (
            ["--from", "2024:279.22B", "--to", "2030:1.57T", "--cagr", "33%"],
            ("exactly two", "got 3"),
        ),
        (["--from", "2024:279.22B", "--to", "2030"], ("exactly two", "got 1")),
        (["--from", "2024", "--to", "2030"], ("exactly two", "got 0")),
        (["--from", "2030:279.22B", "--to", "2030:1.57T"], ("--from/--to", "before", "2030")),
        (["--from", "2031:279.22B", "--to", "2030:1.57T"], ("--from/--to", "before", "2031")),
        (
            ["--from", "2024:279.22", "--to", "2030:1.57T"],
            ("--from 2024", "scale word", "'279.22'"),
        ),
        (["--from", "2024:1.57 zillion", "--to", "2030:1.57T"], ("--from 2024", "'1.57 zillion'")),
        (["--from", "2024:€200bn", "--to", "2030:1.57T"], ("--from 2024", "USD", "'€200bn'")),
        (["--from", "abc", "--to", "2030:1.57T"], ("--from", "YEAR", "'abc'")),
        (["--from", "2024:279.22B", "--to", "2030", "--cagr", "33"], ("--cagr", "percent", "'33'")),
        (["--from", "2024:279.22B"], ("--to", "required")),
    ],
    ids=[
        "all-three",
        "only-one",
        "none",
        "same-years",
        "from-after-to",
        "bare-number",
        "zillion",
        "euro",
        "bad-year",
        "rate-without-percent",
        "missing-to",
    ],
)
def test_implied_errors(
    run_cli: Callable[..., Result], argv: list[str], fragments: tuple[str, ...]
) -> None:
    res = run_cli("implied", *argv)
    assert_user_error(res, *fragments)
    assert res.out == ""


# ------------------------------------------------------------------------------------------------
# fit
# ------------------------------------------------------------------------------------------------

BASS_SALES = [840, 1470, 2110, 4000, 7590, 10950, 10530, 9470, 7790, 5890]


@pytest.fixture
def bass_csv(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "bass.csv", list(enumerate(BASS_SALES, start=1)), header="year,value"
    )


def test_fit_bass_reference_example(bass_csv: Path, run_cli: Callable[..., Result]) -> None:
    res = run_cli(
        "fit",
        bass_csv,
        "--model",
        "bass_sales",
        "--error",
        "additive",
        "--fix",
        "launch=0",
        "--json",
    )
    assert res.code == 0, res.err
    rec = json.loads(res.out)
    assert rec["family"] == "bass_sales"
    assert rec["points"] == 10
    assert rec["dof"] == 7
    p = rec["params"]
    expected = {
        "M": (67980.9, 3127.5),
        "p": (0.0065940, 0.0014303),
        "q": (0.638091, 0.041396),
    }
    for name, (est, se) in expected.items():
        assert p[name]["estimate"] == pytest.approx(est, rel=1e-3), name
        assert p[name]["se"] == pytest.approx(se, rel=1e-3), name
        assert p[name]["fixed"] is False
    assert p["launch"] == {**p["launch"], "estimate": 0.0, "fixed": True, "se": None}
    assert rec["sigma"] == pytest.approx(727.19, rel=1e-3)
    assert rec["data"]["sha256"] == _sha(bass_csv)


def test_fit_bass_text_output(bass_csv: Path, run_cli: Callable[..., Result]) -> None:
    res = run_cli(
        "fit", bass_csv, "--model", "bass_sales", "--error", "additive", "--fix", "launch=0"
    )
    assert res.code == 0, res.err
    assert "67980.9" in res.out
    assert "fixed" in res.out


def test_fit_says_the_reference_year_and_the_projected_value(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """The projected value is the point path forecast run computes (from the last actual
    value), with the 80% interval of the same draws; y0 is named as the value in t_ref."""
    from forecast import GrowthModel

    data = tmp_path / "ev.csv"
    values = [10.0, 12.5, 15.2, 19.1, 23.5, 29.8]
    rows = "".join(f"{2018 + i},{v}\n" for i, v in enumerate(values))
    data.write_text(f"year,value\n{rows}", encoding="utf-8")
    res = run_cli("fit", data, "--model", "exponential", "--to", "2030", "--json")
    assert res.code == 0, res.err
    rec = json.loads(res.out)
    assert rec["reference_year"] == 2023 and rec["values_at_reference_year"] == ["y0"]
    fit = GrowthModel("exponential").fit(list(range(2018, 2024)), values)
    frame = fit.forecast([2030], level=(80,), draws=2000, seed=0)
    assert rec["projection"]["mean"] == pytest.approx(float(frame["mean"].iloc[0]), rel=1e-12)
    assert rec["projection"]["lo-80"] == pytest.approx(float(frame["lo-80"].iloc[0]), rel=1e-12)
    text = run_cli("fit", data, "--model", "exponential").out
    assert "y0: the curve's value in 2023" in text
    assert "projected  2028: " in text and "80% interval" in text
    bad = run_cli("fit", data, "--to", "1999")
    assert bad.code == 2 and "--to: must be a year after the last history year 2023" in bad.err


def test_fit_all_on_gvr_history(run_cli: Callable[..., Result]) -> None:
    res = run_cli("fit", GVR_HISTORY, "--model", "all", "--value-column", "value_usd_bn", "--json")
    assert res.code == 0, res.err
    records = json.loads(res.out)
    assert [r["family"] for r in records] == list(FAMILIES)
    fitted = {r["family"] for r in records if "params" in r}
    assert {"exponential", "linear", "logistic", "gompertz"} <= fitted
    for r in records:
        if "params" in r:
            assert r["points"] == 4
            assert r["data"]["sha256"] == _sha(GVR_HISTORY)


def test_fit_all_reports_families_that_cannot_be_fitted(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """Three points: the four-parameter Bass families cannot be fitted; the others still are."""
    data = write_csv(
        tmp_path / "three.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)], header="year,value"
    )
    res = run_cli("fit", data, "--model", "all")
    assert res.code == 0, res.err
    for fam in ("exponential", "linear", "logistic", "gompertz"):
        assert re.search(rf"^{fam} \(multiplicative errors\) on 3 points", res.out, re.M), fam
    for fam in ("bass", "bass_sales"):
        assert re.search(rf"^{fam}: not fitted: .*at least 4", res.out, re.M), fam
    js = run_cli("fit", data, "--model", "all", "--json")
    assert js.code == 0, js.err
    records = json.loads(js.out)
    assert [r["family"] for r in records] == list(FAMILIES)
    failed = [r["family"] for r in records if "params" not in r]
    assert failed == ["bass", "bass_sales"]


def test_fit_several_families(bass_csv: Path, run_cli: Callable[..., Result]) -> None:
    res = run_cli("fit", bass_csv, "--model", "logistic,gompertz", "--json")
    assert res.code == 0, res.err
    assert [r["family"] for r in json.loads(res.out)] == ["logistic", "gompertz"]


def test_fit_single_family_too_little_data(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    data = write_csv(tmp_path / "two.csv", [(2020, 1.0), (2021, 2.0)], header="year,value")
    assert_user_error(run_cli("fit", data, "--model", "logistic"), "logistic", "at least 3")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--model", "logistc"], ("--model", "'logistc'", "did you mean 'logistic'")),
        (["--model", "logistic,gompertzz"], ("--model", "'gompertzz'", "did you mean 'gompertz'")),
        (["--model", "bass_sales", "--fix", "K=1"], ("--fix", "bass_sales", "'K'")),
        (["--fix", "launch"], ("--fix", "PARAM=NUMBER", "'launch'")),
        (["--fix", "launch=soon"], ("--fix", "PARAM=NUMBER", "'launch=soon'")),
        (["--error", "relative"], ("--error", "'relative'")),
        (["--value-column", "sales"], ("value column", "'sales'")),
    ],
    ids=[
        "unknown-model",
        "unknown-in-list",
        "fix-unknown-param",
        "fix-no-value",
        "fix-nan",
        "error",
        "column",
    ],
)
def test_fit_errors(
    bass_csv: Path,
    run_cli: Callable[..., Result],
    argv: list[str],
    fragments: tuple[str, ...],
) -> None:
    res = run_cli("fit", bass_csv, *argv)
    assert_user_error(res, *fragments)
    assert res.out == ""


def test_fit_missing_data_file(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    missing = tmp_path / "nope.csv"
    assert_user_error(run_cli("fit", missing), str(missing), "must exist")


def test_fit_nonpositive_values_need_additive_errors(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    data = write_csv(
        tmp_path / "neg.csv", [(1, 5.0), (2, -1.0), (3, 4.0), (4, 6.0)], header="year,value"
    )
    assert_user_error(run_cli("fit", data, "--model", "linear"), "row 3", "positive", "'-1.0'")
    assert run_cli("fit", data, "--model", "linear", "--error", "additive").code == 0


@pytest.mark.parametrize("extra", [[], ["--json"]], ids=["text", "json"])
def test_fit_empty_model_list(
    bass_csv: Path, run_cli: Callable[..., Result], extra: list[str]
) -> None:
    res = run_cli("fit", bass_csv, "--model", ",", *extra)
    assert_user_error(res, "--model", "','")


# ------------------------------------------------------------------------------------------------
# --version, --help, usage errors
# ------------------------------------------------------------------------------------------------


def _exit_code(run: Callable[[], int]) -> int:
    """``main`` returns the code; argparse's --help/--version may raise SystemExit instead."""
    try:
        return run()
    except SystemExit as exc:
        return 0 if exc.code is None else int(exc.code)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from forecast import cli

    assert _exit_code(lambda: cli.main(["--version"])) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"forecast {forecast.__version__}"


@pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["implied"], ["fit"]])
def test_help(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    from forecast import cli

    assert _exit_code(lambda: cli.main([*command, "--help"])) == 0
    cap = capsys.readouterr()
    assert cap.out.startswith("usage: forecast")
    assert cap.err == ""
    for word in command:
        assert f"forecast {word}" in cap.out


def test_no_command_is_a_one_line_error(run_cli: Callable[..., Result]) -> None:
    res = run_cli()
    assert_user_error(res, "a command is required", "forecast --help")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["bogus"], ("invalid choice", "'bogus'")),
        (["run"], ("required", "SCENARIO")),
        (["run", "x.toml", "--frobnicate"], ("unrecognized arguments", "--frobnicate")),
    ],
    ids=["unknown-command", "run-without-scenario", "unknown-option"],
)
def test_usage_errors(
    run_cli: Callable[..., Result], argv: list[str], fragments: tuple[str, ...]
) -> None:
    assert_user_error(run_cli(*argv), *fragments)


# ------------------------------------------------------------------------------------------------
# The error boundary: unexpected errors, --verbose, interrupts
# ------------------------------------------------------------------------------------------------


def _boom(*args: object, **kwargs: object) -> Any:
    raise RuntimeError("boom in the engine\nsecond line of detail")


def test_internal_error_is_one_line_exit_1(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("forecast.projection.run_scenario", _boom)
    res = run_cli("run", ws.write(ws.doc()), "--out", ws.out)
    assert res.code == 1
    assert "Traceback" not in res.err + res.out
    (line,) = res.err_lines
    assert line.startswith("forecast: internal error: ")
    assert "RuntimeError" in line
    assert "boom in the engine" in line
    assert "second line" not in line
    assert "--verbose" in line
    assert not ws.out.exists()


def test_internal_error_verbose_prints_traceback(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("forecast.projection.run_scenario", _boom)
    res = run_cli("run", ws.write(ws.doc()), "--out", ws.out, "--verbose")
    assert res.code == 1
    assert "Traceback (most recent call last)" in res.err
    assert "_boom" in res.err
    assert res.err_lines[-1].startswith("forecast: internal error: RuntimeError")
    assert not ws.out.exists()


def test_internal_error_in_validate(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("forecast.scenario.load_scenario", _boom)
    res = run_cli("validate", ws.write(ws.doc()))
    assert res.code == 1
    assert len(res.err_lines) == 1
    assert "internal error" in res.err
    assert "Traceback" not in res.err


def test_user_error_verbose_adds_traceback(ws: Workspace, run_cli: Callable[..., Result]) -> None:
    doc = ws.doc()
    doc["model"]["family"] = "logistc"
    res = run_cli("validate", ws.write(doc), "--verbose")
    assert res.code == 2
    assert "Traceback" in res.err
    assert res.err_lines[-1].startswith("forecast: error: ")
    assert "did you mean 'logistic'" in res.err_lines[-1]


def test_keyboard_interrupt(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupt(*args: object, **kwargs: object) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr("forecast.projection.run_scenario", interrupt)
    res = run_cli("run", ws.write(ws.doc()), "--out", ws.out)
    assert res.code == 130
    assert len(res.err_lines) == 1
    assert "interrupted" in res.err
    assert not ws.out.exists()


def test_copy_helper_keeps_relative_layout(tmp_path: Path) -> None:
    scen = copy_scenarios(tmp_path)
    sc = forecast.load_scenario(scen / "global-ai-2030.toml")
    assert sc.history.path.resolve() == (tmp_path / "data/history/global_ai_gvr.csv").resolve()


# ------------------------------------------------------------------------------------------------
# Found in review
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["--from", "2024:1B", "--cagr", "50%", "--to", "99999"], ("--to", "1900-2200", "99999")),
        (["--from", "-5", "--to", "2030:1B", "--cagr", "10%"], ("--from", "1900-2200", "'-5'")),
        (["--from", "2024:1B", "--cagr", "5000%", "--to", "2200"], ("--cagr", "trillion")),
    ],
)
def test_implied_year_range_and_overflow(
    run_cli: Callable[..., Result], argv: list[str], fragments: tuple[str, ...]
) -> None:
    assert_user_error(run_cli("implied", *argv), *fragments)


def test_implied_negative_rate_with_equals(run_cli: Callable[..., Result]) -> None:
    res = run_cli("implied", "--from", "2024:100B", "--cagr=-10%", "--to", "2026", "--json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["to_usd_bn"] == pytest.approx(81.0)


def test_duplicate_scenario_names_name_both_files(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    scen = copy_scenarios(tmp_path)
    twin = scen / "twin.toml"
    twin.write_text('extends = "global-ai-2030.toml"\n', encoding="utf-8")
    res = run_cli("run", scen / "global-ai-2030.toml", twin, "--out", tmp_path / "out")
    assert_user_error(res, str(twin), "unique", "'global-ai-2030'", "global-ai-2030.toml")
    assert not (tmp_path / "out").exists()


def test_declining_linear_projection_runs_with_na_growth(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """A curve that reaches zero before the horizon has no growth rate; the run still works."""
    write_csv(
        tmp_path / "decl.csv",
        [(2015, 100), (2016, 90), (2017, 82), (2018, 70), (2019, 61), (2020, 50)],
        header="year,value",
    )
    (tmp_path / "decl.toml").write_text(
        'name = "decl"\ndescription = "declining"\n[history]\nfile = "decl.csv"\n'
        'value_column = "value"\n[model]\nfamily = "linear"\nerror = "additive"\n'
        "[projection]\nhorizon = 2030\ndraws = 500\n",
        encoding="utf-8",
    )
    res = run_cli("run", tmp_path / "decl.toml", "--out", tmp_path / "out", "--json")
    assert res.code == 0, res.err
    (summary,) = json.loads(res.out)
    assert summary["derived"]["cagr_2020_2030"] is None


@pytest.mark.parametrize(
    ("rows", "fragments"),
    [
        ("e1,P,T,d,2030,1500,http://x\ne1,P,T,d,2030,2000,http://x\n", ("row 3", "unique", "'e1'")),
        ("e1,P,T,d,2030,-5,http://x\n", ("row 2", "positive", "'-5'")),
        ("e1,P,T,d,2030,NaN,http://x\n", ("row 2", "finite", "'NaN'")),
    ],
)
def test_estimates_file_rows_are_checked(
    ws: Workspace, run_cli: Callable[..., Result], rows: str, fragments: tuple[str, ...]
) -> None:
    est = ws.root / "est.csv"
    est.write_text("id,publisher,title,definition,year,value_usd_bn,url\n" + rows)
    doc = ws.doc()
    doc["estimates"] = "est.csv"
    path = ws.write(doc)
    assert_user_error(run_cli("validate", path), str(est), *fragments)
