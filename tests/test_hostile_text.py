"""Hostile text in scenario and data files: what reaches a terminal, a report, a workbook or a
CSV header is shown, never acted on; library warnings never reach stderr; every failure is one
line. (Text refused at validate, such as control characters, is in the bad-input catalogue.)"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from conftest import (
    HISTORY_ROWS,
    Result,
    Workspace,
    assert_user_error,
    call_main,
    minimal_doc,
    to_toml,
    write_csv,
)
from forecast.errors import visible
from forecast.report.workbook import workbook_bytes

RLO = "\u202e"  # right-to-left override: "abc\u202etxt.exe" shows as "abcexe.txt"


def _segments(doc: dict, names: tuple[str, str]) -> dict:
    doc["segments"] = [{"name": n, "share": 0.5, "source": "test"} for n in names]
    return doc


# ------------------------------------------------------------------------------------------------
# case 5: a formula in a CSV header
# ------------------------------------------------------------------------------------------------


def test_a_formula_in_segment_dimension_is_guarded_in_the_csv_header(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    doc = _segments(ws.doc(), ("A", "B"))
    doc["segment_dimension"] = "=1+1"
    res = run_cli("run", ws.write(doc), "--out", ws.out, "--no-report")
    assert res.code == 0, res.err
    header = (ws.out / "mini" / "segments.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",")[:2] == ["scenario", "'=1+1"]
    assert not [c for c in header.split(",") if c.startswith(("=", "+", "-", "@"))]


# ------------------------------------------------------------------------------------------------
# case 8: a workbook cell it cannot store (the writer is safe even past validation)
# ------------------------------------------------------------------------------------------------


def test_workbook_shows_control_characters_instead_of_failing() -> None:
    frame = pd.DataFrame({"title": ["a\x01b", f"x{RLO}y", "=SUM(A1)"], "value": [1.0, 2.0, 3.0]})
    book = zipfile.ZipFile(io.BytesIO(workbook_bytes([("t", frame)])))
    xml = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "a\\u0001b" in xml and "x\\u202ey" in xml and "'=SUM(A1)" in xml
    assert "\x01" not in xml and RLO not in xml


# ------------------------------------------------------------------------------------------------
# case 9: stderr is one line
# ------------------------------------------------------------------------------------------------


@dataclass
class FullRun:
    """One run with its report of a scenario whose title holds a bidi override and whose
    segment name a chart font cannot draw (a full report takes seconds: made once)."""

    res: Result
    folder: Path
    escaped: list[str]


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> FullRun:
    root = tmp_path_factory.mktemp("hostile")
    write_csv(root / "history.csv", HISTORY_ROWS)
    doc = _segments(minimal_doc(), ("Health \U0001f3e5", "Rest"))
    doc["title"] = f"Market of abc{RLO}txt.exe"
    doc["description"] = f"line one\nline {RLO}two"
    (root / "s.toml").write_text(to_toml(doc), encoding="utf-8")
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        res = call_main("run", root / "s.toml", "--out", root / "out")
    return FullRun(res, root / "out" / "mini", [str(w.message) for w in escaped])


def test_chart_warnings_are_folded_into_the_run_not_printed(full_run: FullRun) -> None:
    """matplotlib warns for every chart that cannot draw a glyph; the run shows each warning
    once among its own and nothing escapes to stderr."""
    res = full_run.res
    assert res.code == 0, res.err
    assert res.err == ""
    assert full_run.escaped == []
    folded = [x for x in res.out.splitlines() if "library: UserWarning: Glyph 127973" in x]
    assert len(folded) == 1, res.out
    assert folded[0].startswith("  warning     ")
    # shown, not written: the files do not depend on a library's warnings
    assert b"Glyph" not in (full_run.folder / "summary.json").read_bytes()


def test_a_library_warning_before_an_error_leaves_one_stderr_line(tmp_path: Path) -> None:
    """A history value of 1e-300 made scipy print a RuntimeWarning (two lines) before the error
    line; a real process shows its stderr as is."""
    write_csv(tmp_path / "h.csv", [(2020, "1e-300"), (2022, 136.55), (2024, 279.22), (2025, 390.9)])
    (tmp_path / "s.toml").write_text(
        'name = "tiny"\ndescription = "d"\n[history]\nfile = "h.csv"\n'
        'value_column = "value_usd_bn"\n[[anchors]]\nyear = 2030\nvalue = "1.57 trillion USD"\n'
        'source = "unsourced"\n[model]\nfamily = "logistic"\n'
        'bounds = { K = ["1.6 trillion USD", "40 trillion USD"] }\n'
        "[projection]\nhorizon = 2035\ndraws = 200\n",
        encoding="utf-8",
    )
    res = subprocess.run(
        [sys.executable, "-m", "forecast.cli", "run", "s.toml", "--out", "out", "--no-report"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2, res.stderr
    assert len(res.stderr.splitlines()) == 1, res.stderr
    assert res.stderr.startswith("forecast: error: s.toml: model: logistic: cannot pass")


# ------------------------------------------------------------------------------------------------
# case 10: terminal escape injection
# ------------------------------------------------------------------------------------------------


def test_nothing_printed_from_a_file_acts_on_the_terminal(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    """A file name holding a terminal's escape sequences (clear the screen, set the window
    title), printed by validate, and a bidi override in a title printed by run."""
    doc = ws.doc()
    doc["title"] = f"abc{RLO}txt.exe"
    path = ws.write(doc, "evil\x1b[2J\x1b]0;owned\x07.toml")
    res = run_cli("validate", path)
    assert res.code == 0, res.err
    assert "\x1b" not in res.out and "\x07" not in res.out
    assert "evil\\u001b[2J\\u001b]0;owned\\u0007.toml" in res.out
    res = run_cli("run", path, "--out", ws.out, "--no-report")
    assert res.code == 0, res.err
    assert RLO not in res.out
    assert f"mini: abc{visible(RLO)}txt.exe" in res.out
    res = run_cli("validate", ws.root / "missing\x1b[2J.toml")
    line = assert_user_error(res, "no such file")
    assert "\x1b" not in line and "missing\\u001b[2J.toml" in line


def test_an_error_line_is_cut_at_a_readable_length(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """A cell echoed in an error is cut, so the one line stays readable."""
    data = write_csv(tmp_path / "d.csv", [(2020, 1), (2021, "x" * 1999)], "year,value")
    line = assert_user_error(run_cli("fit", data), "row 3, column 'value'", "more characters)")
    assert len(line) < 2_100


# ------------------------------------------------------------------------------------------------
# case 11: a bidi override in the report is shown, not applied
# ------------------------------------------------------------------------------------------------


def test_a_bidi_override_is_shown_in_the_reports(full_run: FullRun) -> None:
    assert full_run.res.code == 0, full_run.res.err
    html = (full_run.folder / "report.html").read_text(encoding="utf-8")
    md = (full_run.folder / "report.md").read_text(encoding="utf-8")
    assert RLO not in html and RLO not in md
    assert "<h1>Market of abc\\u202etxt.exe</h1>" in html
    assert "Market of abc\\\\u202etxt.exe" in md  # Markdown escapes the backslash itself
    book = zipfile.ZipFile(full_run.folder / "workbook.xlsx")
    assert all(RLO not in book.read(n).decode("utf-8", "replace") for n in book.namelist())
    assert RLO not in full_run.res.out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("\x1b[2J", "\\u001b[2J"),
        ("a\tb\nc", "a\tb\nc"),
        ("\x00\x7f\x85\u200f\u2066", "\\u0000\\u007f\\u0085\\u200f\\u2066"),
        ("plain text, é, 中文", "plain text, é, 中文"),
    ],
)
def test_visible_escapes_controls_and_bidi_only(text: str, shown: str) -> None:
    assert visible(text) == shown
