"""Scenario reports end to end: what `forecast run` and `forecast report` write, in what order
a reader meets it, and that a rerun gives byte-identical files."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from forecast._textfmt import money
from forecast.audit.evidence import (
    gather_evidence,
    headline_anchor,
    market_definition,
    scenario_estimates,
)
from forecast.cli import main
from forecast.projection import run_scenario
from forecast.report.files import report_files

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    assert main(["run", str(SCEN / "global-ai-2030.toml"), "--out", str(out)]) == 0
    return out / "global-ai-2030"


@pytest.fixture(scope="module")
def uncertain() -> tuple[object, object]:
    res = run_scenario(SCEN / "global-ai-2030-uncertain.toml")
    return res, gather_evidence(res)


def test_run_writes_report_files_beside_the_csvs(default_run: Path) -> None:
    names = {p.relative_to(default_run).as_posix() for p in default_run.rglob("*") if p.is_file()}
    assert {"projection.csv", "summary.json", "report.html", "report.md", "workbook.xlsx"} <= names
    for chart in ("fan", "estimates", "models"):
        assert f"charts/{chart}.png" in names and f"charts/{chart}.svg" in names
    assert (default_run / "charts/fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_headline_comes_first_and_says_what_the_claim_implies(default_run: Path) -> None:
    md = (default_run / "report.md").read_text(encoding="utf-8")
    heads = re.findall(r"^## (.+)$", md, flags=re.M)
    assert heads == [
        "Headline",
        "Assumptions and sources",
        "Fit and diagnostics",
        "Projection",
        "Charts",
        "Sensitivity",
        "Provenance",
    ]
    head = md.split("## Assumptions")[0].replace("\\$", "$")
    assert "Reaching $1.57T in 2030 takes 32.1% a year from 2025's $391B" in head
    assert re.search(
        r"\d+ of the \d+ published 2030 forecasts of research firm market size are higher", head
    )
    assert "Probability from the history alone:** exponential" in head  # registry order
    # every figure shown is the one computed (summary.json and the audit's rows)
    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    derived = summary["derived"]
    lo, hi = derived["saturation_80_usd_bn"]
    assert (
        f"Saturation level:** {money(derived['saturation_usd_bn'])} (80% of draws "
        f"{money(lo)}-{money(hi)})" in head
    )
    assert f"Inflection year:** {derived['inflection_year']:.1f}" in head
    from forecast.audit import history_probability
    from forecast.scenario import load_scenario

    hist = load_scenario(SCEN / "global-ai-2030.toml").history
    assert hist is not None
    rows = history_probability(hist.years, hist.values, 2030, 1570.0)
    g = next(r for r in rows if r["model"] == "gompertz")
    assert f"gompertz {g['probability_text']} (unreliable: 1 degree(s) of freedom" in head
    (row,) = [r for r in summary["report_years"] if r["year"] == 2030]
    assert row["mean"] == pytest.approx(1570.0, rel=1e-9)
    assert (
        f"Projection 2030:** {money(row['mean'])} (median {money(row['median'])}; 80% "
        f"{money(row['lo-80'])}-{money(row['hi-80'])})" in head
    )


def test_provenance_names_inputs_with_hashes_version_seed_and_command(default_run: Path) -> None:
    html = (default_run / "report.html").read_text(encoding="utf-8")
    summary = json.loads((default_run / "summary.json").read_text(encoding="utf-8"))
    for f in summary["provenance"]["inputs"]:
        assert f["sha256"] in html
    assert "forecast run " in html and "global-ai-2030.toml" in html
    assert "20300157" in html and "matplotlib" in html
    prov = json.loads(html.split('id="provenance-data">', 1)[1].split("</script>", 1)[0])
    assert prov["seed"] == 20300157 and prov["command"].startswith("forecast run ")


def test_workbook_sheets_and_values(default_run: Path) -> None:
    wb = openpyxl.load_workbook(io.BytesIO((default_run / "workbook.xlsx").read_bytes()))
    assert wb.sheetnames == [
        "summary",
        "assumptions",
        "projection",
        "implied growth",
        "parameters",
        "sensitivity",
        "published estimates",
        "provenance",
    ]
    proj = list(wb["projection"].iter_rows(values_only=True))
    header = proj[2]  # a note line, a blank line, then the header
    assert header[:3] == ("scenario", "year", "mean")
    row2030 = next(r for r in proj[3:] if r[1] == 2030)
    assert row2030[2] == pytest.approx(1570.0, rel=1e-9)
    params = list(wb["parameters"].iter_rows(values_only=True))
    assert params[0][:5] == ("scenario", "param", "unit", "estimate", "se")
    assert {r[1] for r in params[1:]} == {"K", "r", "t_mid"}
    srcs = [r[2] for r in wb["assumptions"].iter_rows(values_only=True)]
    assert any(str(s).startswith("unsourced: seed article") for s in srcs)
    pub = list(wb["published estimates"].iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(pub[0])}
    assert len(pub) > 10
    assert all(r[col["definition"]] == "research_firm_market_size" for r in pub[1:])
    assert all(r[col["region"]] == "Global" for r in pub[1:])


def test_rerun_is_byte_identical_and_unchanged(default_run: Path, capsys) -> None:
    before = {p: p.read_bytes() for p in default_run.rglob("*") if p.is_file()}
    out = default_run.parent
    assert main(["run", str(SCEN / "global-ai-2030.toml"), "--out", str(out)]) == 0
    assert "unchanged" in capsys.readouterr().out
    after = {p: p.read_bytes() for p in default_run.rglob("*") if p.is_file()}
    assert after == before


def test_no_report_skips_the_report(tmp_path: Path) -> None:
    assert (
        main(["run", str(SCEN / "global-ai-2030.toml"), "--out", str(tmp_path), "--no-report"]) == 0
    )
    names = {p.name for p in (tmp_path / "global-ai-2030").iterdir()}
    assert names == {"projection.csv", "params.csv", "summary.json"}


def test_uncertain_report_has_simulation_and_sensitivity(uncertain) -> None:
    res, ev = uncertain
    assert ev.simulation is not None and ev.sensitivity is not None
    files = report_files(res, ev, command="forecast run x")
    for chart in ("fan", "distribution", "tornado", "spider", "segments", "shares"):
        assert f"charts/{chart}.png" in files
    md = files["report.md"].decode().replace("\\$", "$")
    head = md.split("## Assumptions")[0]
    assert re.search(r"Probability over the assumptions:\*\* \d\d\.\d% \(Monte Carlo s\.e\.", head)
    # one set of numbers (issue 12): the run's own draws, the point path first in every year
    row = res.value_at(2030)
    fact = f"Projection 2030:** {money(row['mean'])} (median {money(row['median'])}; 80% "
    assert fact in head
    assert "Calibrated fit" not in md and "Monte Carlo 2030" not in md
    assert "Every figure in this report comes from one simulation" in head
    assert f"{res.scenario.draws:,} draws of fit, assumptions, noise" in head
    assert "Percentiles of the total by year (USD), from the same" in md
    assert "[assumptions] are drawn by" not in md  # the report does draw them
    sens = md.split("## Sensitivity")[1].split("## Provenance")[0]
    assert "Tornado" in sens and "Sobol" in sens and "anchor\\_2030" in sens
    wb = openpyxl.load_workbook(io.BytesIO(files["workbook.xlsx"]))
    assert {"sensitivity", "sobol", "spider", "segments"} <= set(wb.sheetnames)
    proj_header = list(wb["projection"].iter_rows(values_only=True))[2]
    assert {"mc_p5", "mc_p50", "mc_p95"} <= set(proj_header)


def test_evidence_picks_the_claim_and_the_definition() -> None:
    from forecast.scenario import load_scenario

    sc = load_scenario(SCEN / "global-ai-2030-bear.toml")
    est = scenario_estimates(sc)
    assert market_definition(sc, est) == "research_firm_market_size"
    a = headline_anchor(sc)
    assert a is not None and a.year == 2030 and a.value == pytest.approx(1345.2)


def test_report_command_compares_scenarios(tmp_path: Path, capsys) -> None:
    paths = [str(SCEN / f"global-ai-2030{v}.toml") for v in ("-bear", "", "-bull")]
    assert main(["report", *paths, "--out", str(tmp_path), "--name", "three"]) == 0
    folder = tmp_path / "three"
    md = (folder / "report.md").read_text(encoding="utf-8").replace("\\$", "$")
    assert md.startswith("# 3 scenarios compared")
    table = md.split("*Values in 2030*")[1].split("\n\n")[1]
    rows = [r for r in table.splitlines() if r.startswith("| global")]
    assert [r.split("|")[3].strip() for r in rows] == ["$1.21T", "$1.57T", "$1.91T"]
    assert (folder / "charts" / "comparison.png").exists()
    wb = openpyxl.load_workbook(folder / "workbook.xlsx")
    assert wb.sheetnames[0] == "values 2030"
    # a second run with other inputs refuses without --force, and leaves the report intact
    before = (folder / "report.html").read_bytes()
    capsys.readouterr()
    assert main(["report", paths[0], "--out", str(tmp_path), "--name", "three"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (folder / "report.html").read_bytes() == before


@pytest.mark.parametrize("name", ["../x", ".hidden", "a/b"])
def test_report_name_must_be_a_plain_folder(tmp_path: Path, name: str, capsys) -> None:
    code = main(
        ["report", str(SCEN / "global-ai-2030.toml"), "--out", str(tmp_path), "--name", name]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--name must be a plain folder name" in err


def test_ctrl_c_while_writing_the_report_keeps_earlier_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import forecast.output as output

    out = tmp_path / "out"
    assert main(["run", str(SCEN / "global-ai-2030.toml"), "--out", str(out)]) == 0
    folder = out / "global-ai-2030"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    other = tmp_path / "other.toml"  # same name, other draws: other results for the same folder
    other.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\n[projection]\ndraws = 2000\n',
        encoding="utf-8",
    )
    real = output._write

    def interrupted(path: Path, data: bytes) -> None:
        if path.name == "report.html":
            path.write_bytes(data[: len(data) // 2])  # half a file, then Ctrl-C
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(output, "_write", interrupted)
    capsys.readouterr()
    assert main(["run", str(other), "--out", str(out), "--force"]) == 130
    assert "earlier results are untouched" in capsys.readouterr().err
    after = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in out.iterdir()] == ["global-ai-2030"]  # no temporary folder left


def test_no_report_over_a_run_with_report_is_unchanged(default_run: Path, capsys) -> None:
    before = {p: p.read_bytes() for p in default_run.rglob("*") if p.is_file()}
    argv = ["run", str(SCEN / "global-ai-2030.toml"), "--out", str(default_run.parent)]
    capsys.readouterr()
    assert main([*argv, "--no-report"]) == 0
    assert "unchanged" in capsys.readouterr().out
    assert {p: p.read_bytes() for p in default_run.rglob("*") if p.is_file()} == before


def test_headline_outside_the_published_range(tmp_path: Path) -> None:
    from forecast.report.scenario import headline

    scen = tmp_path / "far.toml"
    scen.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\nname = "far"\n'
        '[[anchors]]\nyear = 2030\nvalue = "12 trillion USD"\nlabel = "$12T"\n'
        'source = "unsourced: test"\n[model]\nfixed = { K = "20 trillion USD" }\n',
        encoding="utf-8",
    )
    res = run_scenario(scen)
    lead = headline(res, gather_evidence(res, simulate=False)).blocks[0].text
    assert "above all 10 published 2030 forecasts" in lead
    assert "within" not in lead and "1st highest" not in lead


def test_constant_segment_share_reads_as_such(tmp_path: Path) -> None:
    from forecast.report.scenario import assumptions_table

    scen = tmp_path / "seg.toml"
    scen.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\nname = "seg"\n'
        '[[segments]]\nname = "A"\nshare = 0.3\nsource = "s"\n'
        '[[segments]]\nname = "B"\nshare = 0.7\nsource = "s"\n',
        encoding="utf-8",
    )
    table = assumptions_table(run_scenario(scen))
    assert "share 30.0% in every year" in set(table["value"])
