"""The board pack (issue 18) on a made-up three-scenario market (drone delivery: Bear, Base,
Bull) and on the bundled semiconductor scenarios: labels and titles, the one-page summary
(report.html and summary.pdf), the deck, the workbook an analyst works in, and charts whose
text never collides. Every output is read back; pictures of the PDF and the deck are saved
under build/test-artifacts/ (or $FORECAST_ARTIFACTS) where poppler and LibreOffice are
installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import openpyxl
import pytest

from conftest import SCENARIOS, to_toml, write_csv
from forecast._textfmt import money
from forecast.cli import main
from forecast.projection import run_scenario

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
HISTORY = [
    (2019, 6.1),
    (2020, 8.2),
    (2021, 9.4),
    (2022, 13.0),
    (2023, 15.1),
    (2024, 20.4),
    (2025, 24.9),
]
LONG_TITLE = (
    "Global drone delivery market, base case: a deliberately long title that runs well past "
    "one line of any chart, table or slide it appears on, to check that nothing collides with it"
)
PUBLISHERS = [
    "Aerial Insight",
    "Brightline Research",
    "Cumulus Analytics",
    "Dronometrics",
    "Eagle Eye Markets",
    "Far Horizon Partners",
    "Gyro Intelligence",
    "Hover & Co Research Group International",
    "Icarus Data",
    "Jetstream Advisory",
    "Kite Consulting",
    "Lift Economics",
]


def _artifacts() -> Path:
    path = Path(os.environ.get("FORECAST_ARTIFACTS", ROOT / "build" / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _estimates(folder: Path) -> None:
    rows = []
    for k, pub in enumerate(PUBLISHERS):
        # five publishers give the same round 2030 figure as the base anchor: coinciding markers
        value = 45.0 if k < 5 else 31.0 + 3.0 * k
        rows.append((f"e{k}-2030", pub, f"{pub} drone report", "drone_delivery", 2030, value))
        rows.append((f"e{k}-2025", pub, f"{pub} drone report", "drone_delivery", 2025, 9 + k % 4))
    lines = ["id,publisher,title,definition,year,value_usd_bn,kind,confidence,url"]
    lines += [
        f"{i},{p},{t},{d},{y},{v},{'forecast' if y == 2030 else 'estimate'},medium,"
        f"https://example.com/{i}"
        for i, p, t, d, y, v in rows
    ]
    (folder / "estimates.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _doc(name: str, label: str, anchor: str, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name,
        "title": f"Global drone delivery market, {label.lower()} case",
        "label": label,
        "description": "made up for the board-pack tests",
        "estimates": "estimates.csv",
        "history": {
            "file": "history.csv",
            "value_column": "value_usd_bn",
            "source": '=HYPERLINK("x") made-up history (a formula-looking source)',
        },
        "anchors": [{"year": 2030, "value": anchor, "source": "made up analyst note"}],
        "model": {"family": "exponential"},
        "projection": {"horizon": 2035, "draws": 300, "seed": 11, "report_years": [2030, 2035]},
    }
    doc.update(extra)
    return doc


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("drones")
    write_csv(folder / "history.csv", HISTORY)
    _estimates(folder)
    segments = [
        {"name": "Parcels and e-commerce last-mile delivery", "share": 0.6, "source": "made up"},
        {"name": "Medical", "share": 0.25, "source": "made up"},
        {"name": "Other uses", "share": 0.15, "source": "made up"},
    ]
    docs = {
        "bear": _doc("drones-bear", "Bear", "36 billion USD"),
        "base": _doc("drones-base", "Base", "45 billion USD", title=LONG_TITLE, segments=segments),
        # the base anchor cites a published figure: the report places it among the others
        "bull": _doc("drones-bull", "Bull", "60 billion USD"),
        "uncertain": _doc(
            "drones-uncertain",
            "Uncertain",
            "45 billion USD",
            assumptions={"anchor_2030": "38 to 55 billion USD"},
            simulation={"draws": 300},
        ),
    }
    docs["base"]["anchors"] = [{"estimate": "e0-2030", "kind": "hard", "label": "Aerial $45B"}]
    paths = {}
    for key, doc in docs.items():
        paths[key] = folder / f"{key}.toml"
        paths[key].write_text(to_toml(doc), encoding="utf-8")
    paths["folder"] = folder
    return paths


@pytest.fixture(scope="module")
def compared(market: dict[str, Path]) -> Path:
    out = market["folder"] / "out"
    argv = ["report", *(str(market[k]) for k in ("bear", "base", "bull"))]
    assert (
        main([*argv, "--out", str(out), "--name", "three", "--title", "Drones: three views"]) == 0
    )
    return out / "three"


@pytest.fixture(scope="module")
def single(market: dict[str, Path]) -> Path:
    out = market["folder"] / "out-run"
    assert main(["run", str(market["base"]), "--out", str(out)]) == 0
    return out / "drones-base"


# ------------------------------------------------------------------------------------------------
# Labels, titles, each table once
# ------------------------------------------------------------------------------------------------


def test_labels_and_title_name_the_scenarios_everywhere(compared: Path) -> None:
    md = (compared / "report.md").read_text(encoding="utf-8").replace("\\$", "$")
    assert md.startswith("# Drones: three views")
    table = md.split("*Values in 2030*")[1].split("\n\n")[1]
    assert [r.split("|")[1].strip() for r in table.splitlines()[2:]] == ["Bear", "Base", "Bull"]
    assert "drones-bear" in table  # the file names stay, in their own column
    html = (compared / "report.html").read_text(encoding="utf-8")
    assert html.count("<caption>Values in 2030</caption>") == 1  # the table once
    assert "<title>Drones: three views</title>" in html
    wb = openpyxl.load_workbook(compared / "workbook.xlsx")
    assert wb.sheetnames[:2] == ["values 2030", "paths"]
    header = [c.value for c in next(wb["paths"].iter_rows(min_row=3, max_row=3))]
    assert header[:4] == ["year", "Bear", "Bear lo-80", "Bear hi-80"]
    assert {"Base", "Bull"} <= set(header)
    assert [r[1] for r in wb["values 2030"].iter_rows(min_row=2, values_only=True)] == [
        "exponential"
    ] * 3
    assert [r[0] for r in wb["values 2030"].iter_rows(min_row=2, values_only=True)] == [
        "Bear",
        "Base",
        "Bull",
    ]


def test_the_comparison_chart_uses_labels_and_draws_its_table_only_when_asked(
    market: dict[str, Path],
) -> None:
    from forecast.plotting import comparison_chart

    results = [run_scenario(market[k]) for k in ("bear", "base", "bull")]
    fig = comparison_chart(results, title="Drones", table=False)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().texts][-3:] == [
        "Bear (exponential)",
        "Base (exponential)",
        "Bull (exponential)",
    ]
    assert not any(a.tables for a in fig.axes) and ax.get_title(loc="left") == "Drones"
    assert comparison_chart(results).axes[1].tables  # the chart alone keeps its table


def test_a_label_is_not_inherited(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{(SCENARIOS / "semiconductors-2030.toml").as_posix()}"\nname = "child"\n',
        encoding="utf-8",
    )
    from forecast.scenario import load_scenario

    assert load_scenario(SCENARIOS / "semiconductors-2030.toml").display_name == "Base"
    assert load_scenario(child).label == "" and load_scenario(child).display_name == "child"


@pytest.mark.parametrize("title", ["", "x" * 201, "a\x1bb"])
def test_a_bad_title_is_one_line(title: str, market: dict[str, Path], capsys: Any) -> None:
    out = market["folder"] / "never"
    assert main(["report", str(market["bear"]), "--out", str(out), "--title", title]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--title must be one line of 1 to 200" in err
    assert not out.exists()


# ------------------------------------------------------------------------------------------------
# The one-page summary: report.html and summary.pdf
# ------------------------------------------------------------------------------------------------


def _pdf(path: Path) -> Any:
    pypdf = pytest.importorskip("pypdf")
    return pypdf.PdfReader(str(path))


def test_summary_pdf_is_one_page_with_the_headline_and_embedded_fonts(
    single: Path, compared: Path
) -> None:
    summary = json.loads((single / "summary.json").read_text(encoding="utf-8"))
    for folder in (single, compared):
        reader = _pdf(folder / "summary.pdf")
        assert len(reader.pages) == 1
        page = reader.pages[0]
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        assert w > h and abs(w - 841.9) < 1 and abs(h - 595.3) < 1  # A4 landscape
        text = " ".join(page.extract_text().split())
        html = (folder / "report.html").read_text(encoding="utf-8")
        lead = re.search(r'id="summary".*?<p class="lead">(.*?)</p>', html, re.S)
        assert lead is not None
        sentence = lead.group(1).replace("&#39;", "'")
        assert " ".join(sentence.split())[:80] in text
        fonts = page["/Resources"]["/Font"]
        for font in fonts.values():
            desc = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in desc.get_object()  # TrueType, embedded
    # the single scenario's page: its headline numbers are the computed ones
    a = summary["anchors"][0]
    text = " ".join(_pdf(single / "summary.pdf").pages[0].extract_text().split())
    assert f"Reaching {money(a['value_usd_bn'])} in 2030" in text
    row = next(r for r in summary["report_years"] if r["year"] == 2035)
    assert f"{money(row['lo-80'])}–{money(row['hi-80'])}" in text
    assert "sources:" in text.lower() and "forecast 0." in text
    _save_pdf_pictures(single / "summary.pdf", "summary-single")
    _save_pdf_pictures(compared / "summary.pdf", "summary-comparison")


def _save_pdf_pictures(pdf: Path, stem: str) -> None:
    if not shutil.which("pdftoppm"):
        if os.environ.get("FORECAST_REQUIRE_BROWSER") == "1":
            pytest.fail("pdftoppm not found (apt-get install poppler-utils)")
        return
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-singlefile", str(pdf), str(_artifacts() / stem)],
        check=True,
        timeout=60,
    )
    assert (_artifacts() / f"{stem}.png").stat().st_size > 10_000


def test_summary_sits_on_top_of_the_html_report_and_numbers_are_the_computed_ones(
    single: Path,
) -> None:
    html = (single / "report.html").read_text(encoding="utf-8")
    assert html.index('id="summary"') < html.index('id="headline"')
    block = html.split('id="summary"')[1].split("</section>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", block.split("<tbody>")[1], re.S)
    assert len(rows) == 5  # five key years
    res = run_scenario(single.parent.parent / "base.toml")
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in rows]
    years = [int(c[0][:4]) for c in cells]
    assert years[0] == 2025 and years[-1] == 2035 and 2030 in years
    for y, c in zip(years, cells, strict=True):
        v = res.value_at(y)
        assert c[1] == money(v["mean"]) and c[2] == money(v["median"])
    assert "Band edges are smoothed across years for drawing only" in html


# ------------------------------------------------------------------------------------------------
# The workbook
# ------------------------------------------------------------------------------------------------


def _letters(ref: str) -> tuple[str, int]:
    m = re.fullmatch(r"([A-Z]+)([0-9]+)", ref)
    assert m is not None
    return m.group(1), int(m.group(2))


def test_workbook_charts_formats_and_live_growth_formulas(single: Path, compared: Path) -> None:
    for book in (single / "workbook.xlsx", compared / "workbook.xlsx"):
        names = zipfile.ZipFile(book).namelist()
        assert [n for n in names if re.fullmatch(r"xl/charts/chart[0-9]+\.xml", n)]
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                        assert c.number_format != "General", (ws.title, c.coordinate, c.value)
    wb = openpyxl.load_workbook(single / "workbook.xlsx")
    values = openpyxl.load_workbook(single / "workbook.xlsx", data_only=True)
    assert wb.sheetnames[:4] == ["summary", "assumptions", "projection", "implied growth"]
    summary = {r[0]: r[1] for r in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Label"] == "Base" and "anchors[0]" not in " ".join(map(str, summary))
    proj = wb["projection"]

    def cell(ref: str) -> float:
        sheet, at = ref.split("!")
        assert sheet == "projection"
        return float(proj[at].value)

    growth, cached = wb["implied growth"], values["implied growth"]
    checked = 0
    for row in growth.iter_rows(min_row=4):
        for c in row:
            if not (isinstance(c.value, str) and c.value.startswith("=(")):
                continue
            m = re.fullmatch(
                r"=\((projection!\w+)/(projection!\w+)\)\^\(1/\((projection!\w+)-(projection!\w+)\)\)-1",
                c.value,
            )
            assert m, c.value
            v1, v0, y1, y0 = (cell(g) for g in m.groups())
            expected = (v1 / v0) ** (1 / (y1 - y0)) - 1  # what Excel computes from the cells
            assert cached[c.coordinate].value == pytest.approx(expected, rel=1e-12)
            assert c.number_format == "0.0%"
            checked += 1
    assert checked == 2 * 10  # point path and median, 2026 to 2035
    # the point path's rate to 2030 is the summary's implied growth
    s = json.loads((single / "summary.json").read_text(encoding="utf-8"))
    rate_2030 = next(
        cached.cell(row=r[0].row, column=5).value
        for r in growth.iter_rows(min_row=4)
        if cached.cell(row=r[0].row, column=2).value == 2030
    )
    assert rate_2030 == pytest.approx(s["derived"]["cagr_2025_2030"], rel=1e-9)
    # no formula anywhere else; text from a file that looks like one is stored as text
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    assert ws.title == "implied growth", (ws.title, c.coordinate, c.value)
    sources = [r[2] for r in wb["assumptions"].iter_rows(min_row=2, values_only=True)]
    assert any(str(v).startswith("'=HYPERLINK") for v in sources)


# ------------------------------------------------------------------------------------------------
# The deck
# ------------------------------------------------------------------------------------------------


def test_deck_slides_pictures_and_notes(market: dict[str, Path], tmp_path: Path) -> None:
    pptx = pytest.importorskip("pptx")
    hostile = market["folder"] / "hostile.toml"
    doc = _doc("drones-hostile", "Bull", "60 billion USD", title="<b>Bull</b> \u202etxt.exe")
    hostile.write_text(to_toml(doc), encoding="utf-8")
    paths = [str(market["base"]), str(hostile)]
    out = tmp_path / "out"
    assert main(["deck", *paths, "--out", str(out), "--name", "d", "--title", "Drones"]) == 0
    deck = pptx.Presentation(str(out / "d" / "deck.pptx"))
    slides = list(deck.slides)
    # title, headline, 2 fans, comparison, estimates, 2 assumptions, provenance
    assert len(slides) == 9
    titles = [s.shapes.title.text if s.shapes.title is not None else None for s in slides]
    assert titles[0] == "Drones" and titles[1] == "Headline" and titles[-1] == "Provenance"
    assert titles[6:8] == [f"Assumptions and sources: {x}" for x in ("Base", "Bull")]
    pictures = [
        [sh for sh in s.shapes if sh.shape_type == pptx.enum.shapes.MSO_SHAPE_TYPE.PICTURE]
        for s in slides
    ]
    assert [len(p) for p in pictures] == [0, 0, 1, 1, 1, 1, 0, 0, 0]
    for p in (p[0] for p in pictures if p):
        assert (p.width, p.height) == (deck.slide_width, deck.slide_height)
        assert p.image.size == (2000, 1125)  # rendered at the slide's size
    notes = [s.notes_slide.notes_text_frame.text for s in slides]
    base = run_scenario(market["base"])
    v = base.value_at(2030)
    assert f"2030: Point path {money(v['mean'])}; Median {money(v['median'])}" in notes[2]
    assert "Base:" in notes[4] and "Bull:" in notes[4]  # the comparison's numbers
    assert "Dronometrics" in notes[5]  # the published figures
    every = " ".join(sh.text_frame.text for s in slides for sh in s.shapes if sh.has_text_frame)
    assert "\u202e" not in every and "\\u202e" in " ".join([*notes, every])
    _save_deck_pictures(out / "d" / "deck.pptx")


def _save_deck_pictures(deck: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftoppm"):
        return  # LibreOffice is optional (a large install): CI does not install it
    work = deck.parent / "lo"
    env = dict(os.environ, HOME=str(work))  # a profile of its own
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(work), str(deck)],
        check=True,
        timeout=240,
        env=env,
        capture_output=True,
    )
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(work / "deck.pdf"), str(_artifacts() / "deck")],
        check=True,
        timeout=120,
    )
    assert len(list(_artifacts().glob("deck-*.png"))) >= 9


# ------------------------------------------------------------------------------------------------
# Chart text never collides
# ------------------------------------------------------------------------------------------------


def test_no_chart_text_collides(market: dict[str, Path]) -> None:
    import pandas as pd

    from forecast.audit.evidence import gather_evidence
    from forecast.plotting import (
        comparison_chart,
        distribution_chart,
        estimates_chart,
        fan_chart,
        model_comparison_chart,
        segments_chart,
        shares_chart,
        spider_chart,
        tornado_chart,
    )
    from forecast.plotting.layout import collisions
    from forecast.report.pdf import page_figure
    from forecast.report.summary import scenario_page
    from forecast.simulation import sensitivity_scenario, simulate_scenario

    trio = [run_scenario(market[k]) for k in ("bear", "base", "bull")]
    semis = [
        run_scenario(SCENARIOS / f"semiconductors-2030{v}.toml") for v in ("-bear", "", "-bull")
    ]
    base = trio[1]
    ev = gather_evidence(base, simulate=False)
    est = pd.read_csv(market["folder"] / "estimates.csv")
    sim = simulate_scenario(market["uncertain"], draws=300)
    sens = sensitivity_scenario(market["uncertain"], draws=200, sobol_samples=16)
    from forecast.report.charts import figure

    charts = {
        "fan, long title": fan_chart(base),
        "fan from a simulation": fan_chart(run_scenario(market["uncertain"]), simulation=sim),
        "comparison of three": comparison_chart(trio),
        "comparison of three, no table": comparison_chart(trio, table=False),
        "semiconductors compared": comparison_chart(semis),
        "segments, long names": segments_chart(base),
        "shares": shares_chart(base),
        "estimates, many publishers": estimates_chart(
            est, definition="drone_delivery", result=base
        ),
        "models": model_comparison_chart(
            base.scenario.history.years,
            base.scenario.history.values,
            list(ev.family_fits),
            horizon=2030,
            comparison=ev.family_comparison,
        ),
        "tornado": tornado_chart(sens),
        "spider": spider_chart(sens),
        "distribution": distribution_chart(sim),
        "summary page": page_figure(
            scenario_page(
                base,
                ev,
                command="forecast run base.toml",
                chart=figure("fan", fan_chart(base), "", ""),
            ),
            lambda ax: fan_chart(base, ax=ax),
        ),
    }
    problems = {name: collisions(fig) for name, fig in charts.items()}
    assert {k: v for k, v in problems.items() if v} == {}
    # the coinciding 2030 figures are spread apart, none under another
    fig = charts["estimates, many publishers"]
    xs = [
        x
        for line in fig.axes[0].get_lines()
        if line.get_gid() == "estimate"
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
        if abs(y - 45.0) < 1e-9
    ]
    assert len(xs) == 5 and len(set(np.round(xs, 6))) == 5 and max(xs) - min(xs) <= 1.2


def test_band_smoothing_changes_the_drawing_only(market: dict[str, Path]) -> None:
    from matplotlib.collections import PolyCollection

    from forecast.plotting import fan_chart

    res = run_scenario(market["uncertain"])
    before = res.projection.copy()
    fig = fan_chart(res)
    (band95, _band80) = [
        c
        for c in fig.axes[0].collections
        if isinstance(c, PolyCollection) and c.get_gid() == "band"
    ]
    assert res.projection.equals(before)  # nothing written changes
    verts = band95.get_paths()[0].vertices
    years = res.projection["year"].to_numpy(dtype=float)
    assert len(verts) > 4 * len(years)  # drawn on a fine grid between the years
    upper = verts[verts[:, 1] >= np.interp(verts[:, 0], years, res.projection["mean"])]
    for y, hi in zip(years, res.projection["hi-95"], strict=True):
        drawn = upper[np.isclose(upper[:, 0], y)][:, 1].max()
        assert drawn == pytest.approx(hi, rel=0.25)  # near the quantile, not another number
    raw = fan_chart(res, smooth=False)
    assert len(raw.axes[0].collections[0].get_paths()[0].vertices) < len(verts)


# ------------------------------------------------------------------------------------------------
# Same inputs, same bytes, in two processes
# ------------------------------------------------------------------------------------------------


def test_pdf_and_deck_are_byte_identical_across_processes(
    market: dict[str, Path], tmp_path: Path
) -> None:
    # summary.pdf and the workbook: tests/test_reproducibility.py's two processes run the default
    # scenario with its report; here the deck
    code = (
        "import sys; from forecast.cli import main; "
        "sys.exit(main(['deck', sys.argv[1], '--out', 'o', '--name', 'deck']))"
    )
    procs = []
    for seed in ("1", "2"):
        cwd = tmp_path / seed
        cwd.mkdir()
        env = dict(os.environ, PYTHONHASHSEED=seed)
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", code, str(market["bear"])],
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    a, b = ((tmp_path / s / "o/deck/deck.pptx").read_bytes() for s in ("1", "2"))
    assert a == b and a[:2] == b"PK"
