"""The package from a notebook: lazy attributes, short reprs, the HTML view (escaped), the
report and workbook writers, charts in a caller's grid, and the Python tutorial run as a
script."""

from __future__ import annotations

import re
import runpy
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

import forecast
from conftest import DEFAULT_SCENARIO, REPO, SCENARIOS
from forecast.errors import ForecastError, OutputError
from forecast.plotting import fan_chart, segments_chart
from forecast.projection import ScenarioResult, StatsScenarioResult, run_scenario

matplotlib.use("Agg")

TUTORIAL = REPO / "docs" / "tutorials" / "python.py"
HOSTILE = "<script>alert(1)</script> & <b>"


@pytest.fixture(scope="module")
def base() -> ScenarioResult:
    res = forecast.run_scenario(DEFAULT_SCENARIO)  # through the package: the HTML view is on
    assert isinstance(res, ScenarioResult)
    return res


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> ScenarioResult:
    path = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    path.write_text(
        f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "hostile"\n'
        f'title = "{HOSTILE}"\nlabel = "<i>x</i>"\n[projection]\ndraws = 400\n'
    )
    res = forecast.run_scenario(path)
    assert isinstance(res, ScenarioResult)
    return res


def test_import_forecast_stays_light_and_loads_the_leaves_on_use() -> None:
    code = (
        "import sys, forecast\n"
        "heavy = [m for m in ('matplotlib', 'jinja2', 'openpyxl') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert 'forecast.plotting' not in sys.modules and 'forecast.report' not in sys.modules\n"
        "print(forecast.plotting.fan_chart.__name__, forecast.report.render_html.__name__,\n"
        "      forecast.write_report.__name__, forecast.write_workbook.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["fan_chart", "render_html", "write_report", "write_workbook"]
    assert {"plotting", "report", "write_report"} <= set(dir(forecast))
    with pytest.raises(AttributeError, match="no attribute 'plottting'"):
        forecast.plottting  # noqa: B018


def test_result_repr_is_short_and_names_the_headline(base: ScenarioResult) -> None:
    text = repr(base)
    assert len(text) < 300 and text.count("\n") <= 2, text
    head, years = text.split("\n")
    assert head == "<ScenarioResult global-ai-2030: logistic curve, USD billion"
    # the hard anchor is met exactly; the widest interval is the 95% one
    hi95 = base.value_at(2030)["hi-95"]
    assert years.strip().startswith("2030 $1.57T (95%: ")
    assert f"–${hi95 / 1000:.2f}T)" in years and "2035 $" in years


def test_reprs_of_the_other_results(
    base: ScenarioResult, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = base.simulation
    p = sim.result.anchors[0]["probability"]
    assert repr(sim) == (
        f"<ScenarioSimulation global-ai-2030: {sim.result.draws:,} draws "
        f"({sim.result.valid:,} valid) of fit, assumptions, noise; sampler "
        f"{sim.spec.sampler}, seed {sim.spec.seed}\n  P(2030 >= $1.57T) = {p:.3f}>"
    )
    draws = repr(base.draws)
    assert draws.startswith("<SimulationResult 4,000 draws") and len(draws) < 300
    assert f"median 2035 {base.draws.quantile(0.5)[-1]:.6g}>" in draws
    html = sim._repr_html_()
    assert "<td>$1.57T claim, 2030</td><td>2030</td><td>$1.57T</td>" in html

    path = tmp_path / "auto.toml"
    path.write_text(
        f'extends = "{DEFAULT_SCENARIO.as_posix()}"\nname = "ai-auto"\n[model]\nfamily = "auto"\n'
    )
    stats = run_scenario(path)
    assert isinstance(stats, StatsScenarioResult)
    assert repr(stats).startswith("<StatsScenarioResult ai-auto: statistical model ")
    assert len(repr(stats)) < 300
    fit = forecast.stats.registry.get_model("theta").fit([2020, 2021, 2022, 2023], [1, 2, 3, 4])
    assert re.fullmatch(
        r"<StatsFit theta: history 2020-2023 \(4 points\); next year [0-9.]+>", repr(fit)
    )


def test_html_view_escapes_scenario_text_and_embeds_the_chart(hostile: ScenarioResult) -> None:
    html = hostile._repr_html_()
    assert "<script" not in html and "<i>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "(&lt;i&gt;x&lt;/i&gt;)" in html  # the label
    assert repr(hostile).startswith("<ScenarioResult hostile (<i>x</i>): logistic curve")
    rows = re.findall(r"<tr><td>(\d{4})</td>", html)
    assert rows == ["2025", "2030", "2035"]  # first projection year, the anchor, the horizon
    cols = re.findall(r"<th>([^<]+)</th>", html)
    assert cols == ["year", "mean", "median", "lo-80", "hi-80", "lo-95", "hi-95"]
    assert html.count('<img src="data:image/png;base64,') == 1
    assert 'alt="Fan chart: &lt;script&gt;' in html


def test_write_report_writes_the_files_forecast_run_writes(
    base: ScenarioResult, tmp_path: Path, run_cli
) -> None:
    assert run_cli("run", DEFAULT_SCENARIO, "--out", tmp_path / "cli").code == 0
    cli_dir = tmp_path / "cli" / "global-ai-2030"
    target = forecast.write_report(base, tmp_path / "api")
    assert target == tmp_path / "api" / "report.html"
    written = sorted(p.relative_to(tmp_path / "api") for p in (tmp_path / "api").rglob("*"))
    assert Path("report.html") in written and Path("workbook.xlsx") in written
    for rel in written:
        if (tmp_path / "api" / rel).is_file():
            assert (tmp_path / "api" / rel).read_bytes() == (cli_dir / rel).read_bytes(), rel
    # the workbook alone: the same bytes
    book = forecast.write_workbook(base, tmp_path / "book.xlsx")
    assert book.read_bytes() == (cli_dir / "workbook.xlsx").read_bytes()
    forecast.write_workbook(base, book)  # the same bytes again: left as it is


def test_writers_refuse_other_results_unless_forced(
    base: ScenarioResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"an analyst's own workbook")
    with pytest.raises(OutputError, match=r"pass force=True to replace it"):
        forecast.write_workbook(base, book)
    assert book.read_bytes() == b"an analyst's own workbook"
    forecast.write_workbook(base, book, force=True)
    assert book.read_bytes()[:2] == b"PK"
    with pytest.raises(ForecastError, match=r"out must name an \.xlsx file; got '.*book\.csv'"):
        forecast.write_workbook(base, tmp_path / "book.csv")
    with pytest.raises(ForecastError, match="results must be a scenario result"):
        forecast.write_report([], tmp_path / "r")

    # the folder rules are publish's; the files are the CLI's (checked above), stubbed here
    import forecast.write as write

    monkeypatch.setattr(write, "_files", lambda results, title, verb: {"report.html": b"new"})
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="pass force=True to replace them"):
        forecast.write_report(base, folder)
    assert (folder / "notes.txt").read_text() == "mine"
    forecast.write_report(base, folder, force=True)
    assert sorted(p.name for p in folder.iterdir()) == ["report.html"]


def _inside(fig: Figure) -> list[str]:
    fig.draw_without_rendering()
    renderer = fig._get_renderer()  # type: ignore[attr-defined]
    fb = fig.bbox
    out = []
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None:
            continue
        e = leg.get_window_extent(renderer)
        if e.x0 < fb.x0 - 1 or e.y0 < fb.y0 - 1 or e.x1 > fb.x1 + 1 or e.y1 > fb.y1 + 1:
            out.append(f"legend of {ax.get_title(loc='left')!r} at {e.bounds}")
    return out


@pytest.mark.parametrize("layout", ["constrained", None])
def test_charts_in_a_grid_keep_legends_inside_and_titles_single(layout: str | None) -> None:
    res = run_scenario(SCENARIOS / "global-ai-2030-sectors.toml")
    fig = Figure(figsize=(16, 6), layout=layout)
    left, right = fig.subplots(1, 2)
    segments_chart(res, ax=left)  # its legend sits outside on the right in its own figure
    fan_chart(res, ax=right, title="Base case")
    assert _inside(fig) == []
    assert right.get_title(loc="left") == "Base case"
    subs = [t for t in right.texts if t.get_gid() == "subtitle"]
    assert len(subs) == 1 and subs[0].get_visible()  # title= keeps the subtitle
    left.set_title("By sector")
    assert left.get_title() == "By sector" and left.get_title(loc="left") == ""
    assert not [t for t in left.texts if t.get_gid() == "subtitle" and t.get_visible()]
    # a title cleared by the caller keeps the subtitle
    right.set_title("", loc="left")
    assert subs[0].get_visible()


def test_tutorial_runs_as_a_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECAST_TUTORIAL_OUT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    ns = runpy.run_path(str(TUTORIAL), run_name="__main__")
    fig: Figure = ns["fig"]
    left, right = fig.axes[:2]
    assert left.get_title(loc="left") == "Global AI market, base case"
    assert right.get_title() == "By sector" and right.get_title(loc="left") == ""
    assert len(fig.axes) == 2 and all(ax.get_legend() is not None for ax in fig.axes)
    assert _inside(fig) == []
    assert (tmp_path / "grid.png").stat().st_size > 0
    assert (tmp_path / "global-ai-2030-sectors.xlsx").read_bytes()[:2] == b"PK"
