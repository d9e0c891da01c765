"""Spreadsheet output: one sheet per DataFrame, written with openpyxl.

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
from typing import Any

import pandas as pd

from ..errors import visible
from ..output import guard_cell

_FIXED_STAMP = "2000-01-01T00:00:00Z"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


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
    sheets: Sequence[tuple[str, pd.DataFrame]],
    *,
    number_formats: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> bytes:
    """An .xlsx file with one sheet per ``(name, frame)``.

    ``number_formats`` maps column names to Excel number formats (e.g. money columns to
    ``'#,##0.00'``); ``notes`` maps a sheet name to a line written above its table.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    formats = dict(number_formats or {})
    notes = dict(notes or {})
    wb = Workbook()
    wb.remove(wb.active)
    for name, frame in sheets:
        ws = wb.create_sheet(sheet_name(name))
        row0 = 1
        if name in notes:
            ws.cell(row=1, column=1, value=_cell_value(notes[name])).font = Font(italic=True)
            row0 = 3
        for j, col in enumerate(frame.columns, start=1):
            c = ws.cell(row=row0, column=j, value=_cell_value(str(col)))
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=False)
        for i, rec in enumerate(frame.itertuples(index=False), start=row0 + 1):
            for j, (col, v) in enumerate(zip(frame.columns, rec, strict=True), start=1):
                cell = ws.cell(row=i, column=j)
                value = _cell_value(v)
                cell.value = value
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
                elif str(col) in formats and value is not None:
                    cell.number_format = formats[str(col)]
        ws.freeze_panes = ws.cell(row=row0 + 1, column=1)
        for j, col in enumerate(frame.columns, start=1):
            texts = [str(col)] + [str(v) for v in frame.iloc[:200, j - 1].tolist()]
            width = min(60, max(8, max(len(t) for t in texts) + 2))
            ws.column_dimensions[get_column_letter(j)].width = width
    wb.properties.creator = "forecast"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise(buf.getvalue())


def _normalise(data: bytes) -> bytes:
    """Fix the zip entries' times and the core properties' stamps so identical content gives
    identical bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
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
