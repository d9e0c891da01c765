"""Reports: the document model, HTML and Markdown rendering, escaping, the workbook's formula
guard and byte-identical output, and the report files of a scenario run."""

from __future__ import annotations

import io
import re
import time
import zipfile
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from forecast.report import (
    Document,
    Facts,
    Figure,
    Paragraph,
    Table,
    md_escape,
    render_html,
    render_markdown,
    safe_url,
    section,
)
from forecast.report.workbook import sheet_name, workbook_bytes

HOSTILE = "<script>alert(1)</script>"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _doc(name: str = HOSTILE, url: str = "javascript:alert(1)") -> Document:
    frame = pd.DataFrame(
        {
            "publisher": [name, "Grand View Research", "=HYPERLINK(1)"],
            "value": [1570.0, -12.5, 1811.75],
            "url": [url, "https://www.grandviewresearch.com/a?b=1&c=2", ""],
        }
    )
    return Document(
        title=f"Scenario {name}",
        subtitle=name,
        sections=(
            section(
                f"Head {name}",
                [
                    Paragraph(f"lead {name}", "lead"),
                    Facts(((name, name),)),
                    Paragraph(name, "warning"),
                    None,
                ],
            ),
            section(
                "Data",
                [
                    Table.from_frame(frame, caption=name, links={"publisher": "url"}),
                    Figure("fan", PNG_1PX, f"caption {name}", f"alt {name}", svg=b"<svg/>"),
                ],
            ),
        ),
        provenance={"scenario": name, "note": "</script><script>alert(2)</script>"},
    )


class TestSafeUrl:
    @pytest.mark.parametrize(
        "url",
        ["https://example.com/x?a=1&b=2", "http://example.com", "HTTPS://EXAMPLE.COM/path"],
    )
    def test_http_links_are_kept(self, url: str) -> None:
        assert safe_url(url) == url

    @pytest.mark.parametrize(
        "url",
        [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<b>x</b>",
            "vbscript:msgbox",
            "//example.com/x",
            "example.com",
            "https://exa mple.com",
            'https://example.com/"onmouseover="x',
            "file:///etc/passwd",
            "",
            None,
        ],
    )
    def test_anything_else_is_dropped(self, url: str | None) -> None:
        assert safe_url(url) is None


class TestHtml:
    def test_text_from_files_is_escaped_everywhere(self) -> None:
        html = render_html(_doc()).decode()
        assert HOSTILE not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        # the only script elements are the JSON provenance block and our own sort script
        assert len(re.findall(r"<script", html)) == 2
        # the provenance JSON cannot close its script element
        block = html.split('id="provenance-data">', 1)[1].split("</script>", 1)[0]
        assert "<" not in block and "alert(2)" in block

    def test_only_http_links_become_links(self) -> None:
        html = render_html(_doc()).decode()
        hrefs = re.findall(r'href="([^"]*)"', html)
        assert "javascript:alert(1)" not in html
        assert "https://www.grandviewresearch.com/a?b=1&amp;c=2" in hrefs
        assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs

    def test_self_contained_with_a_strict_policy(self) -> None:
        html = render_html(_doc()).decode()
        assert 'src="data:image/png;base64,' in html
        assert re.findall(r'src="([^"]*)"', html) == [re.findall(r'src="([^"]*)"', html)[0]]
        assert re.findall(r'src="([^"]*)"', html)[0].startswith("data:image/png;base64,")
        assert "<link" not in html and "@import" not in html and "url(" not in html
        csp = re.search(r'Content-Security-Policy" content="([^"]*)"', html)
        assert csp is not None and "default-src 'none'" in csp.group(1)
        assert "'unsafe-inline'" not in csp.group(1)
        assert re.search(r"script-src 'sha256-[A-Za-z0-9+/=]+'", csp.group(1))

    def test_numbers_sort_by_value_not_text(self) -> None:
        html = render_html(_doc()).decode()
        assert 'data-sort="-12.5"' in html and 'data-sort="1811.75"' in html
        assert html.count('<th scope="col"') == 2  # the url column is a link, not shown

    def test_deterministic(self) -> None:
        assert render_html(_doc()) == render_html(_doc())


class TestMarkdown:
    def test_escapes_html_and_markdown(self) -> None:
        files = render_markdown(_doc())
        md = files["report.md"].decode()
        assert HOSTILE not in md
        assert "&lt;script&gt;" in md
        assert "javascript:" not in md
        assert "[Grand View Research](<https://www.grandviewresearch.com/a?b=1&c=2>)" in md
        assert "![alt &lt;script&gt;" in md

    def test_charts_are_files_beside_it(self) -> None:
        files = render_markdown(_doc())
        assert files["charts/fan.png"] == PNG_1PX
        assert files["charts/fan.svg"] == b"<svg/>"
        assert "(charts/fan.png)" in files["report.md"].decode()

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("a|b", "a\\|b"),
            ("*bold* _it_", "\\*bold\\* \\_it\\_"),
            ("[x](y)", "\\[x\\](y)"),
            ("two\nlines", "two lines"),
            ("$1.57T & <b>", "\\$1.57T &amp; &lt;b&gt;"),
            ("$1.2T to $1.9T", "\\$1.2T to \\$1.9T"),  # no Markdown maths between two amounts
        ],
    )
    def test_md_escape(self, text: str, expected: str) -> None:
        assert md_escape(text) == expected


class TestWorkbook:
    def _book(self) -> bytes:
        frame = pd.DataFrame(
            {
                "name": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "ok", "-"],
                "value": [-1.5, 2.0, float("nan"), 3, -0.0, 1e15, -7],
            }
        )
        return workbook_bytes(
            [("data", frame), ("a/b:c*?[x]" * 5, frame)], number_formats={"value": "#,##0.00"}
        )

    def test_formula_cells_are_neutralised_numbers_stay_numbers(self) -> None:
        wb = openpyxl.load_workbook(io.BytesIO(self._book()))
        ws = wb["data"]
        names = [c.value for c in ws["A"][1:]]
        assert names == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "ok", "'-"]
        assert all(c.data_type == "s" for c in ws["A"])
        values = [c.value for c in ws["B"][1:]]
        assert values[0] == -1.5 and values[2] is None and values[6] == -7
        assert all(isinstance(v, int | float) for v in values if v is not None)
        assert ws["B2"].number_format == "#,##0.00"
        raw = zipfile.ZipFile(io.BytesIO(self._book())).read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in raw  # no formula element anywhere

    def test_byte_identical_across_runs(self) -> None:
        first = self._book()
        time.sleep(1.1)  # openpyxl stamps the save time; the writer must fix it
        assert self._book() == first

    def test_sheet_names_are_valid(self) -> None:
        wb = openpyxl.load_workbook(io.BytesIO(self._book()))
        assert len(wb.sheetnames[1]) <= 31 and not re.search(r"[\[\]:*?/\\]", wb.sheetnames[1])
        assert sheet_name("") == "sheet"


# --- charts drawn in worker processes ------------------------------------------------------------


def _line_chart(k: int, where: Path) -> Any:
    """A small chart that notes the process drawing it, warns and logs once."""
    import logging
    import os
    import warnings

    from forecast.plotting.style import new_figure

    (where / f"{k}-{os.getpid()}").touch()
    warnings.warn(f"chart {k} warns", UserWarning, stacklevel=1)
    logging.getLogger("matplotlib.forecast-test").warning("chart %d logs", k)
    fig = new_figure()
    fig.add_subplot().plot([2020, 2025, 2030], [1.0, 2.0 + k, 3.5])
    return fig


def _file_bytes(k: int) -> bytes:
    """A file job's bytes; it warns once, like a chart."""
    import warnings

    warnings.warn(f"file {k} warns", UserWarning, stacklevel=1)
    return f"file {k}".encode()


def test_files_made_beside_the_charts_match_one_process(tmp_path: Path) -> None:
    """render_all makes files (the summary PDF) in the charts' pool: the same bytes as in one
    process, every job's warnings raised here, the charts' first and then the files'."""
    from forecast._warnings import library_warnings
    from forecast.report.charts import Chart, FileJob, render_all

    charts = [Chart(f"c{k}", partial(_line_chart, k, tmp_path), "cap", "alt") for k in range(2)]
    files = [FileJob(f"f{k}", partial(_file_bytes, k)) for k in range(2)]
    runs = []
    for workers in (1, 2):
        with library_warnings() as found:
            figs, made = render_all(charts, files, workers=workers)
        runs.append(({n: (f.png, f.svg) for n, f in figs.items()}, made, found))
    assert runs[0] == runs[1]
    figs, made, found = runs[0]
    assert list(figs) == ["c0", "c1"] and made == {"f0": b"file 0", "f1": b"file 1"}
    warned = [w for w in found if "warns" in w]
    assert warned == [f"UserWarning: {w} warns" for w in ("chart 0", "chart 1", "file 0", "file 1")]


def test_jobs_start_costliest_first_and_come_back_in_their_order(tmp_path: Path) -> None:
    """The pool takes the costliest jobs first (so that its workers finish together); what
    comes back is each job's own bytes, in the order the jobs were given, as in one process."""
    from unittest import mock

    import forecast.report.charts as ch
    from forecast.report.charts import Chart, FileJob, render_all

    started: list[str] = []
    real = ch._render

    def spy(i: int) -> object:
        started.append(ch._TODO[i].name)
        return real(i)

    charts = [
        Chart(f"c{k}", partial(_line_chart, k, tmp_path), "cap", "alt", cost=c)
        for k, c in enumerate((0.1, 0.9, 0.5))
    ]
    files = [FileJob("f0", partial(_file_bytes, 0), cost=0.7)]
    with mock.patch.object(ch, "_render", spy), pytest.warns(UserWarning, match="warns"):
        figs, made = render_all(charts, files, workers=1)
    assert started == ["c1", "f0", "c2", "c0"]
    assert list(figs) == ["c0", "c1", "c2"] and made == {"f0": b"file 0"}
    with pytest.warns(UserWarning, match="warns"):
        pooled, pooled_made = render_all(charts, files, workers=2)
    assert {n: (f.png, f.svg) for n, f in pooled.items()} == {
        n: (f.png, f.svg) for n, f in figs.items()
    }
    assert pooled_made == made


# Run in a fresh interpreter: the Dask tests leave threads in this one, after which it may not
# fork (the drawing would then be made in this process, and these tests would check nothing).
_DRAWING_PROBE = """
import json, multiprocessing, os, sys, time
from functools import partial
from pathlib import Path

from forecast.audit import evidence
from forecast.errors import ForecastError
from forecast.plotting.style import new_figure
from forecast.projection import run_scenario
from forecast.report import charts as ch
from forecast.report.charts import Chart, FileJob
from forecast.report.files import report_files, scenario_report_files

where, scenario = Path(sys.argv[1]), sys.argv[2]
out = {"me": os.getpid(), "may_fork": ch._may_fork()}


def line(k):
    (where / f"{k}-{os.getpid()}").touch()
    fig = new_figure()
    fig.add_subplot().plot([2020, 2025, 2030], [1.0, 2.0 + k, 3.5])
    return fig


def slow(seconds):
    time.sleep(seconds)
    return b"slow"


def fails():
    raise ValueError("this job fails")


# a drawing goes on while this process works, and a helper takes the jobs not yet started
charts = [Chart(f"c{k}", partial(line, k), "cap", "alt") for k in range(4)]
began = time.perf_counter()
drawing = ch.start(charts, [FileJob("slow", partial(slow, 1.5), cost=9.0)], processes=1)
out["returned_after"] = time.perf_counter() - began
drawing.help(1)
figs, made = drawing.results()
out["made"] = {k: v.decode() for k, v in made.items()}
out["names"] = list(figs)
out["drew"] = sorted({int(p.name.split("-")[1]) for p in where.iterdir()})
out["workers"] = [p.pid for p in drawing.workers]
alone = ch.start(charts, processes=0).results()[0]
out["same_as_one_process"] = all(
    (figs[n].png, figs[n].svg) == (alone[n].png, alone[n].svg) for n in alone
)

# a job failing in a worker fails the drawing, and its workers are stopped
failing = ch.start(
    [], [FileJob("fails", fails, cost=9.0), FileJob("slow", partial(slow, 30))], processes=2
)
try:
    failing.results()
except ValueError as exc:
    out["error"] = str(exc)
out["failing_workers"] = len(failing.workers)
out["alive_after"] = [p.pid for p in multiprocessing.active_children()]


# a chart failing in the first round stops the second round's workers
def broken():
    raise ValueError("a first-round chart fails")


result = run_scenario(scenario)
bad = ch.start([Chart("fan", broken, "cap", "alt")], processes=1)
try:
    report_files(result, evidence.gather_evidence(result), command="forecast run x", early=bad)
except ValueError as exc:
    out["first_round_error"] = str(exc)
out["alive_after_first_round"] = [p.pid for p in multiprocessing.active_children()]


# the charts started before the rest of the evidence fails are stopped
def no_evidence(*args, **kwargs):
    raise ForecastError("evidence fails")


evidence.gather_evidence = no_evidence
try:
    scenario_report_files(result, command="forecast run x")
except ForecastError as exc:
    out["report_error"] = str(exc)
out["alive_after_report"] = [p.pid for p in multiprocessing.active_children()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def drawing_probe(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import json
    import subprocess
    import sys

    where = tmp_path_factory.mktemp("drawn")
    scenario = Path(__file__).resolve().parents[1] / "scenarios/global-ai-2030.toml"
    done = subprocess.run(
        [sys.executable, "-c", _DRAWING_PROBE, str(where), str(scenario)],
        capture_output=True,
        text=True,
        check=True,
    )
    got: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["may_fork"]  # a fresh interpreter may
    return got


def test_a_drawing_goes_on_while_this_process_works_and_takes_help(
    drawing_probe: dict[str, Any],
) -> None:
    """start() returns at once while its worker makes the slow job; help() forks a second
    worker, which takes the charts not yet started; the results are those of one process, in
    the jobs' order."""
    got = drawing_probe
    assert got["returned_after"] < 1.0  # did not wait for the slow job (1.5 s)
    assert got["made"] == {"slow": "slow"} and got["names"] == ["c0", "c1", "c2", "c3"]
    _first, helper = got["workers"]
    assert got["me"] not in got["drew"] and helper in got["drew"]
    assert got["same_as_one_process"]


def test_a_job_failing_in_a_worker_fails_the_drawing_and_stops_its_workers(
    drawing_probe: dict[str, Any],
) -> None:
    """The exception a job raises in a worker is raised where the results are wanted, and the
    other worker (30 s into a sleep) is stopped."""
    got = drawing_probe
    assert got["error"] == "this job fails" and got["failing_workers"] == 2
    assert got["alive_after"] == []


def test_charts_started_before_an_evidence_error_are_stopped(
    drawing_probe: dict[str, Any],
) -> None:
    """When the evidence fails after the first round of charts started, the error is raised
    and the workers drawing that round are stopped (none is left behind)."""
    assert drawing_probe["report_error"] == "evidence fails"
    assert drawing_probe["alive_after_report"] == []


def test_a_chart_failing_in_the_first_round_stops_the_second(
    drawing_probe: dict[str, Any],
) -> None:
    """A chart of the first round that fails raises where the report is assembled, and the
    second round's workers (the PDF, the workbook, the model comparison) are stopped."""
    assert drawing_probe["first_round_error"] == "a first-round chart fails"
    assert drawing_probe["alive_after_first_round"] == []


def test_the_first_round_of_charts_reads_what_the_complete_evidence_holds() -> None:
    """scenario_report_files starts the charts that need only the base evidence before the rest
    of it is computed: the complete evidence holds the very objects those charts read, and they
    are the report's first charts, worded the same (so the report is the one-round report)."""
    from forecast.audit.evidence import base_evidence, gather_evidence
    from forecast.projection import run_scenario
    from forecast.report.charts import scenario_charts

    result = run_scenario(Path(__file__).resolve().parents[1] / "scenarios/global-ai-2030.toml")
    base = base_evidence(result)
    ev = gather_evidence(result, base=base)
    for name in ("anchor", "definition", "estimates", "filters", "simulation"):
        assert getattr(ev, name) is getattr(base, name)
    assert ev.family_fits and base.family_fits == () and base.published is None
    first, every = scenario_charts(result, base), scenario_charts(result, ev)
    assert [c.name for c in first] == ["fan", "estimates"]
    assert [c.name for c in every] == ["fan", "estimates", "models"]
    for a, b in zip(first, every, strict=False):
        assert (a.name, a.caption, a.alt, a.cost) == (b.name, b.caption, b.alt, b.cost)


def test_summary_pdf_is_the_document_page_drawn(tmp_path: Path) -> None:
    """The PDF made beside the charts (from the page's text) equals the PDF of the report's own
    one-page summary drawn in this process."""
    from forecast.audit.evidence import gather_evidence
    from forecast.plotting import fan_chart
    from forecast.projection import run_scenario
    from forecast.report.files import report_files
    from forecast.report.pdf import summary_pdf
    from forecast.report.scenario import scenario_document

    result = run_scenario(Path(__file__).resolve().parents[1] / "scenarios/global-ai-2030.toml")
    ev = gather_evidence(result)
    files = report_files(result, ev, command="forecast run x")
    doc = scenario_document(result, ev, command="forecast run x")
    assert doc.summary is not None and doc.summary.chart is not None
    drawn = summary_pdf(doc.summary, lambda ax: fan_chart(result, ax=ax))
    assert files["summary.pdf"] == drawn


def test_charts_drawn_in_workers_match_one_process(tmp_path: Path) -> None:
    """Two workers give the bytes, warnings and log records of one process, in chart order;
    a thread (which may not fork) draws them itself."""
    import os
    import threading

    from forecast._warnings import library_warnings
    from forecast.report import charts as charts_module
    from forecast.report.charts import Chart, render

    charts = [Chart(f"c{k}", partial(_line_chart, k, tmp_path), "cap", "alt") for k in range(3)]
    runs = {}
    for workers in (1, 2):
        with library_warnings() as found:
            figs = render(charts, workers=workers)
        runs[workers] = ({n: (f.png, f.svg) for n, f in figs.items()}, found)
        pids = {p.name.split("-")[1] for p in tmp_path.iterdir()}
        # an earlier test's threads left running (a server, a cluster) keep the drawing here
        assert (pids == {str(os.getpid())}) is (workers == 1 or not charts_module._may_fork())
        for p in tmp_path.iterdir():
            p.unlink()
    assert runs[1] == runs[2]
    assert list(runs[1][0]) == ["c0", "c1", "c2"]
    assert runs[1][1][:2] == [
        "UserWarning: chart 0 warns",
        "matplotlib.forecast-test: chart 0 logs",
    ]
    in_thread: dict[str, Any] = {}
    t = threading.Thread(target=lambda: in_thread.update(render(charts, workers=2)))
    with pytest.warns(UserWarning, match=r"chart \d warns"):
        t.start()
        t.join()
    assert {n: (f.png, f.svg) for n, f in in_thread.items()} == runs[1][0]
    assert {p.name.split("-")[1] for p in tmp_path.iterdir()} == {str(os.getpid())}
