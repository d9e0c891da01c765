"""``deck.pptx``: the board pack as slides (python-pptx).

Slides, in order: title; headline (the one-page summary's sentence and its key-years table);
each scenario's fan chart; the comparison (several scenarios); the published estimates; the
sensitivity (tornado, when a scenario draws uncertain assumptions); the assumptions with their
sources; provenance. Charts are pictures at the slide's size (16:9, rendered by
:mod:`forecast.plotting` at 2000 x 1125 pixels) with the numbers they show written in the
slide's notes. Text from scenario and data files is shown, never acted on (control and
bidirectional-override characters as ``\\uXXXX`` escapes, :func:`forecast.errors.visible`).
The file is byte-identical for identical content: fixed document dates and zip entry times.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .._textfmt import money, pct
from .._version import __version__
from ..audit.evidence import Evidence
from ..compare import comparison_table, comparison_year
from ..errors import visible
from ..results import ScenarioResult, StatsScenarioResult
from .charts import estimates_source
from .document import Table
from .scenario import assumptions_table, published_table
from .summary import comparison_headline, comparison_key_table, key_years, scenario_headline
from .summary import scenario_table as key_table

Result = ScenarioResult | StatsScenarioResult
WIDTH_IN, HEIGHT_IN = 40 / 3, 7.5  # the charts' slide size (forecast.plotting.style.SLIDE)
FIXED_TIME = dt.datetime(2000, 1, 1, 0, 0, 0)
MAX_ASSUMPTION_ROWS = 12


@dataclass(frozen=True)
class ChartSlide:
    """A chart as a picture, with its alternative text and the numbers it shows (the notes)."""

    png: bytes
    alt: str
    notes: str


def _t(text: object) -> str:
    return visible(" ".join(str(text).split()))


def fan_notes(result: Result) -> str:
    sc = result.scenario
    table = key_table(result, key_years([result]))
    return f"{_t(sc.title)} ({_t(sc.display_name)}). " + _table_text(table)


def _table_text(table: Table) -> str:
    lines = [f"{table.caption}:"]
    for row in table.rows:
        cells = [f"{h} {c.text}" for h, c in zip(table.header[1:], row[1:], strict=True)]
        lines.append(f"{row[0].text}: " + "; ".join(cells))
    return "\n".join(_t(x) for x in lines)


def comparison_notes(results: Sequence[Result]) -> str:
    year = comparison_year(results)
    t = comparison_table(results, year)
    lv = sorted(float(c[3:]) for c in t.columns if str(c).startswith("lo-"))
    lines = [f"Values in {year} (USD):"]
    for row in t.to_dict("records"):
        band = (
            f", {lv[0]:g}% interval {money(row[f'lo-{lv[0]:g}'])}-{money(row[f'hi-{lv[0]:g}'])}"
            if lv
            else ""
        )
        lines.append(
            f"{row['label']}: {money(row['mean'])}{band}, CAGR from {row['from_year']} "
            f"{pct(row['cagr'])}"
        )
    return "\n".join(_t(x) for x in lines)


def estimates_notes(ev: Evidence) -> str:
    table = published_table(ev)
    if table is None or ev.anchor is None:
        return "No published figures for the anchor year."
    lines = [f"Published {ev.anchor.year} figures (USD), highest first:"]
    lines += [f"{r[0].text}: {r[2].text}" for r in table.rows]
    lines.append(f"Claim: {money(ev.anchor.value)} in {ev.anchor.year}")
    return "\n".join(_t(x) for x in lines)


def tornado_notes(ev: Evidence) -> str:
    sens = ev.sensitivity
    if sens is None:
        return ""
    lines = [f"{sens.year} value with each input at its P10 and P90 (others at their medians):"]
    for r in sens.tornado.to_dict("records"):
        lines.append(
            f"{r['input']}: {money(r['output_at_p10'])} to {money(r['output_at_p90'])} "
            f"(swing {money(r['swing'])})"
        )
    return "\n".join(_t(x) for x in lines)


def chart_slides(
    results: Sequence[Result], evidences: Sequence[Evidence], *, title: str | None, dpi: float
) -> list[tuple[str, ChartSlide]]:
    """Every chart slide with its kind: fans, comparison, estimates, tornado."""
    from ..plotting import comparison_chart, estimates_chart, fan_chart, figure_bytes, tornado_chart

    def png(fig: Any) -> bytes:
        return figure_bytes(fig, "png", dpi=dpi)

    out: list[tuple[str, ChartSlide]] = []
    for r in results:
        sc = r.scenario
        out.append(
            (
                "fan",
                ChartSlide(png(fan_chart(r)), f"Fan chart of {_t(sc.display_name)}", fan_notes(r)),
            )
        )
    if len(results) > 1:
        fig = comparison_chart(list(results), title=title)
        out.append(
            (
                "comparison",
                ChartSlide(png(fig), "Scenarios compared", comparison_notes(results)),
            )
        )
    for r, ev in zip(results, evidences, strict=True):
        if ev.definition is not None and not ev.estimates.empty:
            claim = (ev.anchor.year, ev.anchor.value, ev.anchor.label) if ev.anchor else None
            fig = estimates_chart(
                ev.estimates,
                definition=ev.definition,
                result=r,
                claim=claim,
                region=ev.filters.get("region"),
                source=estimates_source(r.scenario),
            )
            out.append(
                (
                    "estimates",
                    ChartSlide(png(fig), "Published estimates", estimates_notes(ev)),
                )
            )
            break  # one slide: the figures are the same for every scenario of a market
    for _r, ev in zip(results, evidences, strict=True):
        if ev.sensitivity is not None:
            out.append(
                (
                    "sensitivity",
                    ChartSlide(
                        png(tornado_chart(ev.sensitivity)), "Tornado chart", tornado_notes(ev)
                    ),
                )
            )
    return out


def deck_bytes(
    results: Sequence[Result],
    evidences: Sequence[Evidence],
    *,
    command: str,
    title: str | None = None,
    dpi: float = 150,
) -> bytes:
    """The deck of one or several scenario runs as .pptx bytes."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(WIDTH_IN), Inches(HEIGHT_IN)
    first = results[0].scenario
    heading = title or (first.title if len(results) == 1 else f"{len(results)} scenarios compared")
    names = ", ".join(r.scenario.display_name for r in results)
    _title_slide(prs, heading, names)
    _headline_slide(prs, results, evidences)
    for _kind, chart in chart_slides(results, evidences, title=title, dpi=dpi):
        _picture_slide(prs, chart)
    for r in results:
        _assumptions_slide(prs, r)
    _provenance_slide(prs, results, command)
    return _saved(prs, heading)


def _title_slide(prs: Any, heading: str, names: str) -> None:
    """The title slide: the deck's heading, the scenarios and the toolkit's version."""
    s = prs.slides.add_slide(prs.slide_layouts[0])
    s.shapes.title.text = _t(heading)
    _place(s.shapes.title, 0.8, 2.2, WIDTH_IN - 1.6, 1.8)
    sub = s.placeholders[1]
    sub.text = _t(f"{names} · forecast {__version__}")
    _place(sub, 0.8, 4.2, WIDTH_IN - 1.6, 1.0)


def _headline_slide(prs: Any, results: Sequence[Result], evidences: Sequence[Evidence]) -> None:
    """The one-page summary's sentence and its key-years table (the comparison's for several
    scenarios)."""
    from pptx.util import Inches, Pt

    if len(results) == 1:
        sentence = scenario_headline(results[0], evidences[0])
        table = key_table(results[0], key_years(results))
    else:
        sentence = comparison_headline(results)
        table = comparison_key_table(results, key_years(results))
    s = _text_slide(prs, "Headline")
    box = s.shapes.add_textbox(Inches(0.6), Inches(1.35), Inches(WIDTH_IN - 1.2), Inches(1.2))
    box.text_frame.word_wrap = True
    box.text_frame.text = _t(sentence)
    box.text_frame.paragraphs[0].runs[0].font.size = Pt(20)
    _table(s, table, top=2.8, font=14)
    s.notes_slide.notes_text_frame.text = _t(sentence) + "\n" + _table_text(table)


def _picture_slide(prs: Any, chart: ChartSlide) -> None:
    """A chart as a slide-size picture with its alternative text, its numbers in the notes."""
    s = prs.slides.add_slide(prs.slide_layouts[6])
    pic = s.shapes.add_picture(
        io.BytesIO(chart.png), 0, 0, width=prs.slide_width, height=prs.slide_height
    )
    pic.name = chart.alt[:250]
    pic._element.nvPicPr.cNvPr.set("descr", chart.alt)
    s.notes_slide.notes_text_frame.text = chart.notes


def _assumptions_slide(prs: Any, r: Result) -> None:
    """A scenario's inputs with their sources (the first :data:`MAX_ASSUMPTION_ROWS`; the
    notes say how many more the report and the workbook hold)."""
    frame = assumptions_table(r)
    more = len(frame) - MAX_ASSUMPTION_ROWS
    frame = frame.head(MAX_ASSUMPTION_ROWS)
    rows = tuple(
        tuple(_cell(v, 110) for v in rec) for rec in frame.itertuples(index=False, name=None)
    )
    table = Table(("Input", "Value", "Source"), rows, "")
    s = _text_slide(prs, f"Assumptions and sources: {_t(r.scenario.display_name)}")
    _table(s, table, top=1.3, font=11, widths=(2.6, 3.4, WIDTH_IN - 1.2 - 6.0))
    note = f"{more} more rows in the report and the workbook." if more > 0 else ""
    s.notes_slide.notes_text_frame.text = "\n".join(
        [*(" | ".join(c.text for c in row) for row in rows), note]
    ).strip()


def _provenance_slide(prs: Any, results: Sequence[Result], command: str) -> None:
    """Toolkit version, command, and every scenario's seed and input files with their hashes."""
    from pptx.util import Inches, Pt

    s = _text_slide(prs, "Provenance")
    lines = [f"forecast {__version__}", f"Command: {command}"]
    for r in results:
        prov = r.summary()["provenance"]
        lines.append(f"{r.scenario.display_name}: seed {prov.get('seed')}")
        for f in prov["inputs"]:
            lines.append(f"    {f['role']}: {f['path']} (SHA-256 {str(f['sha256'])[:16]}…)")
    box = s.shapes.add_textbox(Inches(0.6), Inches(1.3), Inches(WIDTH_IN - 1.2), Inches(5.8))
    box.text_frame.word_wrap = True
    for i, line in enumerate(lines):
        p = box.text_frame.paragraphs[0] if i == 0 else box.text_frame.add_paragraph()
        p.text = _t(line) if not line.startswith("    ") else "    " + _t(line)
        p.runs[0].font.size = Pt(12)
    s.notes_slide.notes_text_frame.text = "\n".join(_t(x) for x in lines)


def _saved(prs: Any, heading: str) -> bytes:
    """The presentation's bytes with fixed document properties and zip entry times, so equal
    content gives equal bytes."""
    props = prs.core_properties
    props.title = _t(heading)[:250]
    props.author = props.last_modified_by = "forecast"
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    buf = io.BytesIO()
    prs.save(buf)
    from .workbook import _normalise

    return _normalise(buf.getvalue())


def _cell(v: object, width: int) -> Any:
    from .document import Cell

    text = _t(v)
    return Cell(text if len(text) <= width else text[: width - 1].rstrip() + "…")


def _place(shape: Any, left: float, top: float, width: float, height: float) -> None:
    from pptx.util import Inches

    shape.left, shape.top = Inches(left), Inches(top)
    shape.width, shape.height = Inches(width), Inches(height)


def _text_slide(prs: Any, title: str) -> Any:
    """A slide with a title across the top (the "Title Only" layout, placed for 16:9)."""
    from pptx.util import Pt

    s = prs.slides.add_slide(prs.slide_layouts[5])
    s.shapes.title.text = _t(title)
    _place(s.shapes.title, 0.6, 0.3, WIDTH_IN - 1.2, 0.9)
    for p in s.shapes.title.text_frame.paragraphs:
        for run in p.runs:
            run.font.size = Pt(30)
    return s


def _table(
    slide: Any,
    table: Table,
    *,
    top: float,
    font: float,
    widths: Sequence[float] | None = None,
) -> None:
    """A native (editable) table of ``table``'s header and rows."""
    from pptx.util import Inches, Pt

    n_rows, n_cols = len(table.rows) + 1, len(table.header)
    total = WIDTH_IN - 1.2
    shape = slide.shapes.add_table(
        n_rows, n_cols, Inches(0.6), Inches(top), Inches(total), Inches(0.4 * n_rows)
    )
    grid = shape.table
    for j in range(n_cols):
        grid.columns[j].width = Inches(widths[j] if widths else total / n_cols)
    for j, h in enumerate(table.header):
        grid.cell(0, j).text = _t(h)
    for i, row in enumerate(table.rows, start=1):
        for j, c in enumerate(row):
            grid.cell(i, j).text = _t(c.text)
    for i in range(n_rows):
        for j in range(n_cols):
            for p in grid.cell(i, j).text_frame.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(font)
