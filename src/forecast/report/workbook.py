"""Spreadsheet output: one sheet per DataFrame, written with openpyxl.

A sheet (:class:`Sheet`) can carry per-column or per-row number formats, native line charts over
its own cells (:class:`LineChartSpec`) and live formulas (:class:`Formula` values, written with
the result Excel computes from the same cells as their cached value, so readers that do not
recalculate show it too). Every numeric cell gets a number format: the one given, else one by
its column (years as ``0``, counts with thousands separators, other numbers with two decimals).

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab
or carriage return) get the same ``'`` prefix as in the CSV files and are stored as text; numbers
(negative ones included) stay numbers. Control and bidirectional-override characters, which a
workbook cannot store or would apply, are shown as ``\\uXXXX`` escapes. The file is
byte-identical for identical content: the zip entries' times and the document's created/modified
stamps are fixed (the provenance sheet says what the numbers depend on).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import visible
from ..output import guard_cell

_FIXED_STAMP = "2000-01-01T00:00:00Z"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def money_format(unit: str = "USD billion") -> str:
    """The number format of money in ``unit``: ``$1,570.0B`` for USD billion."""
    if unit == "USD billion":
        return '"$"#,##0.0"B"'
    return f'#,##0.0" {unit.replace(chr(34), "")}"'


RATE_FORMAT = "0.0%"
YEAR_FORMAT = "0"
INT_FORMAT = "#,##0"
FLOAT_FORMAT = "#,##0.00"
SMALL_FORMAT = "0.00E+00"


@dataclass(frozen=True)
class Formula:
    """A live formula (``=...``, written as a formula, never guarded) and the value Excel
    computes for it, stored as the cell's cached result."""

    text: str
    cached: float


@dataclass(frozen=True)
class LineChartSpec:
    """A native line chart over columns of its sheet: ``x`` the category column, ``series`` the
    value columns (a series' name is its header cell), placed at ``anchor``."""

    title: str
    x: str
    series: tuple[str, ...]
    anchor: str
    y_title: str = ""
    y_format: str = ""
    dashed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """One sheet: a frame, an optional note above it, number formats by column (or by row, for a
    sheet of labelled rows) and charts."""

    name: str
    frame: pd.DataFrame
    note: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)
    row_formats: Sequence[str | None] = ()
    charts: Sequence[LineChartSpec] = ()


def default_format(column: str, value: float | int) -> str:
    """The number format of a numeric cell no format was given for."""
    name = column.lower()
    if isinstance(value, int) and ("year" in name or name in ("ds", "vintage")):
        return YEAR_FORMAT
    if isinstance(value, int):
        return INT_FORMAT
    if value != 0 and abs(value) < 0.01:
        return SMALL_FORMAT
    return FLOAT_FORMAT


def sheet_name(name: str) -> str:
    """A valid, at most 31-character sheet name."""
    return _SHEET_BAD.sub("_", name)[:31] or "sheet"


def _cell_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        f = float(v)
        return v if math.isfinite(f) else None
    if hasattr(v, "item"):  # numpy scalars
        return _cell_value(v.item())
    if isinstance(v, list | tuple | dict):
        v = str(v)
    return guard_cell(visible(str(v)))


def workbook_bytes(
    sheets: Sequence[tuple[str, pd.DataFrame] | Sheet],
    *,
    number_formats: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> bytes:
    """An .xlsx file with one sheet per ``(name, frame)`` or :class:`Sheet`.

    ``number_formats`` maps column names to Excel number formats in every sheet (e.g. money
    columns to ``'#,##0.00'``); ``notes`` maps a sheet name to a line written above its table.
    """
    from openpyxl import Workbook

    formats = dict(number_formats or {})
    notes = dict(notes or {})
    wb = Workbook()
    wb.remove(wb.active)
    cached: dict[int, dict[str, float]] = {}
    for k, item in enumerate(sheets, start=1):
        sheet = item if isinstance(item, Sheet) else Sheet(item[0], item[1], notes.get(item[0], ""))
        cached[k] = _write_sheet(wb, sheet, formats)
    if any(cached.values()):
        wb.calculation.fullCalcOnLoad = True  # Excel recomputes the formulas on opening
    wb.properties.creator = "forecast"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise(buf.getvalue(), cached)


def _write_sheet(wb: Any, sheet: Sheet, formats: Mapping[str, str]) -> dict[str, float]:
    """Write one sheet; return the cached values of its formula cells by cell reference."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    frame = sheet.frame
    ws = wb.create_sheet(sheet_name(sheet.name))
    row0 = 1
    if sheet.note:
        ws.cell(row=1, column=1, value=_cell_value(sheet.note)).font = Font(italic=True)
        row0 = 3
    for j, col in enumerate(frame.columns, start=1):
        c = ws.cell(row=row0, column=j, value=_cell_value(str(col)))
        c.font = Font(bold=True)
        c.alignment = Alignment(wrap_text=False)
    col_formats = {**formats, **sheet.formats}
    cached: dict[str, float] = {}
    for i, rec in enumerate(frame.itertuples(index=False), start=row0 + 1):
        row_format = sheet.row_formats[i - row0 - 1] if sheet.row_formats else None
        for j, (col, v) in enumerate(zip(frame.columns, rec, strict=True), start=1):
            cell = ws.cell(row=i, column=j)
            if isinstance(v, Formula):
                cell.value = v.text  # ours, built from cell references: never text from a file
                cell.number_format = row_format or col_formats.get(str(col), FLOAT_FORMAT)
                if math.isfinite(v.cached):
                    cached[cell.coordinate] = float(v.cached)
                continue
            value = _cell_value(v)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, int | float) and not isinstance(value, bool):
                cell.number_format = (
                    row_format or col_formats.get(str(col)) or default_format(str(col), value)
                )
    ws.freeze_panes = ws.cell(row=row0 + 1, column=1)
    for j, col in enumerate(frame.columns, start=1):
        texts = [str(col)] + [
            str(v) if not isinstance(v, Formula) else "0.000%" for v in frame.iloc[:200, j - 1]
        ]
        width = min(60, max(8, max(len(t) for t in texts) + 2))
        ws.column_dimensions[get_column_letter(j)].width = width
    for spec in sheet.charts:
        _line_chart(ws, frame, spec, row0)
    return cached


def _line_chart(ws: Any, frame: pd.DataFrame, spec: LineChartSpec, row0: int) -> None:
    """A native line chart of ``spec.series`` against ``spec.x`` (rows of this sheet)."""
    from openpyxl.chart import LineChart, Reference

    cols = list(map(str, frame.columns))
    n = len(frame)
    chart = LineChart()
    chart.title = visible(spec.title)
    chart.height, chart.width = 9.5, 18.0
    chart.y_axis.title = visible(spec.y_title) if spec.y_title else None
    chart.x_axis.title = visible(spec.x)
    if spec.y_format:
        chart.y_axis.number_format = spec.y_format
        chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default grid
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    for name in spec.series:
        j = cols.index(name) + 1
        data = Reference(ws, min_col=j, min_row=row0, max_row=row0 + n)
        chart.add_data(data, titles_from_data=True)
    x = Reference(ws, min_col=cols.index(spec.x) + 1, min_row=row0 + 1, max_row=row0 + n)
    chart.set_categories(x)
    for name, series in zip(spec.series, chart.series, strict=True):
        series.smooth = False
        series.marker.symbol = "none"
        if name in spec.dashed:
            series.graphicalProperties.line.dashStyle = "dash"
            series.graphicalProperties.line.width = 12700  # 1 pt
        else:
            series.graphicalProperties.line.width = 28575  # 2.25 pt
    ws.add_chart(chart, spec.anchor)


def _with_cached_values(xml: bytes, values: Mapping[str, float]) -> bytes:
    """Store each formula cell's computed value (``<v>``) beside its formula."""
    text = xml.decode("utf-8")

    def fill(m: re.Match[str]) -> str:
        ref = m.group(2)
        if ref not in values:
            return m.group(0)
        return f"{m.group(1)}<f>{m.group(3)}</f><v>{values[ref]!r}</v></c>"

    cell = r'(<c r="([A-Z]+[0-9]+)"[^>]*>)<f>([^<]*)</f>(?:<v\s*/>|<v></v>)?</c>'
    text = re.sub(cell, fill, text)
    return text.encode("utf-8")


def _normalise(data: bytes, cached: Mapping[int, Mapping[str, float]] | None = None) -> bytes:
    """Fix the zip entries' times and the core properties' stamps so identical content gives
    identical bytes; store formula cells' cached values (by sheet number and cell)."""
    cached = cached or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            m = re.fullmatch(r"xl/worksheets/sheet([0-9]+)\.xml", info.filename)
            if m and cached.get(int(m.group(1))):
                body = _with_cached_values(body, cached[int(m.group(1))])
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(
                    r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rf"\g<1>{_FIXED_STAMP}\g<3>",
                    text,
                )
                body = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return out.getvalue()
