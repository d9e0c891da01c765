"""Reading yearly histories and published estimates from CSV or Excel, with provenance.

Every reader returns small typed objects (numpy arrays plus the file's path and SHA-256), and
every bad cell becomes a one-line :class:`DataError` naming the file,
the place (a CSV's row, as the line number an editor shows, and column; a workbook's sheet and
cell, ``sheet 'Data', cell B7``), the rule and the value.

A workbook (``.xlsx``) is read with openpyxl in read-only mode with ``data_only``: a formula's
saved value is read, no formula is ever evaluated, and a formula never saved reads as an empty
cell. It goes through the same read policy as a CSV (a regular file under the size limit, inside
the allowed folders), must be a zip archive whose content unpacks to at most the same limit, and
gives a :class:`Table` of text cells like a CSV's, so every column rule is the same. The
readers need no pandas (a scenario is checked without it); :func:`read_csv` and
:func:`read_table` give the same cells as a DataFrame for callers that want one.

Longer than 500 lines because every data file the toolkit reads (CSV or Excel histories and
estimates) goes through the one reader here, with its limits and its one error sentence per
rule; a second reader module would be a second place for those rules.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import DataError, ForecastError, message, near_miss
from .models.curves import FloatArray
from .readpolicy import ReadPolicy, read_file

if TYPE_CHECKING:
    import pandas as pd

FilterValue = str | int | float | bool
ESTIMATE_COLUMNS = ("id", "publisher", "title", "definition", "year", "value_usd_bn", "url")
"""The columns an estimates file must have (the value column may carry another name)."""
ESTIMATE_OPTIONAL: dict[str, str] = {
    "kind": "forecast",
    "confidence": "",
    "attributed": "true",
    "approximate": "false",
    "vintage": "",
    "region": "",
    "segment": "",
    "definition_text": "",
}
"""Optional columns of an estimates file and the value a missing one takes in every row."""
ESTIMATE_VALUES: dict[str, frozenset[str]] = {
    "kind": frozenset({"actual", "estimate", "forecast"}),
    "confidence": frozenset({"high", "medium", "low", ""}),
    "attributed": frozenset({"true", "false"}),
    "approximate": frozenset({"true", "false"}),
}
"""The values those optional columns may hold (checked when present)."""
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read under the :mod:`~forecast.readpolicy` rules)."""
    return hashlib.sha256(read_file(path, what="input file", error=DataError)).hexdigest()


@dataclass(frozen=True)
class Series:
    """A yearly series read from a CSV file or a workbook's sheet.

    Attributes
    ----------
    years, values : ndarray
        Strictly increasing whole years and their finite, positive values.
    path : Path
        The file read; ``sha256`` is its hash.
    source_ids : tuple of str
        Per-row ids of published estimates (a ``source_id`` column), or empty.
    value_column : str
        The column the values came from (its name may say their unit: ``value_usd_m``).
    titles : tuple of str
        A workbook's non-empty cells above its header row (a title may say the unit).
    """

    years: FloatArray
    values: FloatArray
    path: Path
    sha256: str
    source_ids: tuple[str, ...] = ()
    filter: Mapping[str, object] = field(default_factory=dict)
    value_column: str = "value"
    titles: tuple[str, ...] = ()  # a workbook's text above its header row

    def __len__(self) -> int:
        return len(self.years)


@dataclass(frozen=True)
class Table:
    """A data file's cells as text (no type guessing), and where each row is in the file.

    Attributes
    ----------
    columns : tuple of str
        The header's names, unique.
    rows : tuple of tuple of str
        The data rows (blank rows left out), each as long as ``columns``.
    index : tuple of int
        Per row, its line in the file less 2 (a workbook's row number less 2), so that an error
        can name it (:func:`place`).
    sha256 : str
        Hex SHA-256 of the bytes read.
    sheet, cells, titles
        A workbook's sheet, each column's letters, and its non-empty cells above the header.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    index: tuple[int, ...]
    sha256: str
    sheet: str | None = None
    cells: Mapping[str, str] = field(default_factory=dict)
    titles: tuple[str, ...] = ()

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def column(self, name: str) -> list[str]:
        """The cells of one column, top to bottom."""
        j = self.columns.index(name)
        return [row[j] for row in self.rows]

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row's index (see ``index``) and its cells by column name."""
        for at, row in zip(self.index, self.rows, strict=True):
            yield at, dict(zip(self.columns, row, strict=True))

    def where(self, keep: Sequence[bool]) -> Table:
        """The rows for which ``keep`` is true, in order."""
        pairs = [(at, row) for at, row, k in zip(self.index, self.rows, keep, strict=True) if k]
        return Table(
            columns=self.columns,
            rows=tuple(row for _, row in pairs),
            index=tuple(at for at, _ in pairs),
            sha256=self.sha256,
            sheet=self.sheet,
            cells=self.cells,
            titles=self.titles,
        )

    def to_frame(self) -> pd.DataFrame:
        """The cells as a DataFrame of text, indexed like ``index``; its ``attrs`` hold
        ``sha256`` and, for a workbook, ``sheet``, ``cells`` and ``titles``."""
        import pandas as pd

        frame = pd.DataFrame(
            [list(r) for r in self.rows],
            columns=list(self.columns),
            index=list(self.index),
            dtype=str,
        )
        frame.attrs["sha256"] = self.sha256
        if self.sheet is not None:
            frame.attrs["sheet"] = self.sheet
            frame.attrs["cells"] = dict(self.cells)
            frame.attrs["titles"] = list(self.titles)
        return frame


MAX_CELL_CHARS = 2_000  # a text cell longer than this is no market data
# control characters (tab, line feed and carriage return excepted: a quoted cell may hold them)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HEADER_CELL = re.compile(r"[\w .,()%/#&+-]{1,64}", re.ASCII)


def read_csv(
    path: Path | str,
    *,
    what: str = "data file",
    policy: ReadPolicy | None = None,
    max_rows: int | None = None,
    rows_hint: str = "",
) -> pd.DataFrame:
    """Read a CSV as text cells (no type guessing), with one-line errors for unreadable files.

    The file is read under ``policy`` (:mod:`~forecast.readpolicy`: a regular file under the size
    limit, inside the allowed folders). Cells must not hold control characters nor be longer
    than ``MAX_CELL_CHARS``; with ``max_rows``, a file with more data rows is refused (reading
    stops there; ``rows_hint`` says how to raise the cap). The frame's ``attrs["sha256"]`` is the
    hash of the bytes read (:meth:`Table.to_frame`).
    """
    return _csv_table(
        Path(path), what=what, policy=policy, max_rows=max_rows, rows_hint=rows_hint
    ).to_frame()


def _csv_table(
    p: Path, *, what: str, policy: ReadPolicy | None, max_rows: int | None, rows_hint: str
) -> Table:
    """A CSV's cells (:func:`read_csv` says what is refused)."""
    policy = policy if policy is not None else ReadPolicy()
    try:
        policy.check_inside(p, str(p), what)
    except ForecastError as exc:
        raise DataError(str(exc)) from None
    if p.is_dir():
        raise DataError(f"{p}: {what} must be a CSV file; got a directory")
    raw = read_file(p, what=what, error=DataError, policy=policy)
    if not raw.strip():
        raise DataError(f"{p}: {what} must hold a header and at least one row; got an empty file")
    if b"\0" in raw[:4096]:
        raise DataError(f"{p}: {what} must be a text CSV file; got binary content")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{p}: {what} must be UTF-8 text; got an undecodable byte at offset {exc.start}"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    body: list[list[str]] = []
    index: list[int] = []  # data-row number such that _line(index) is the file's line
    try:
        for row in reader:
            if not header:
                header = [cell.strip() for cell in row]
                if not any(header):
                    raise DataError(
                        f"{p}: {what} must start with a header row; got an empty first line"
                    )
                _check_cells(p, reader.line_num, header, header)
                continue
            if not any(cell.strip() for cell in row):
                continue  # blank line
            line = reader.line_num
            if len(row) != len(header):
                raise DataError(
                    f"{p}: row {line}: must have {len(header)} fields like the header; got "
                    f"{len(row)}"
                )
            if max_rows is not None and len(body) >= max_rows:
                raise DataError(
                    f"{p}: {what} must hold at most {max_rows:,} data rows{rows_hint}; got more"
                )
            _check_cells(p, line, row, header)
            body.append(row)
            index.append(line - 2)
    except csv.Error as exc:
        raise DataError(f"{p}: row {reader.line_num}: must be well-formed CSV; got {exc}") from None
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(f"{p}: header: column names must be unique; got {dupes[0]!r} twice")
    if not body:
        raise DataError(f"{p}: {what} must hold at least one data row; got only a header")
    return Table(
        columns=tuple(header),
        rows=tuple(tuple(row) for row in body),
        index=tuple(index),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _check_cells(p: Path, line: int, row: Sequence[str], header: Sequence[str]) -> None:
    places = (
        ["header"] * len(row)
        if row is header
        else [f"row {line}, column {col!r}" for col in header]
    )
    _check_cells_at(p, places, row)


def is_workbook(path: Path | str) -> bool:
    """Whether ``path`` names an Excel workbook (by its suffix)."""
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


def read_table(
    path: Path | str,
    *,
    what: str = "data file",
    policy: ReadPolicy | None = None,
    max_rows: int | None = None,
    rows_hint: str = "",
    sheet: str | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """A CSV (:func:`read_csv`) or, for ``.xlsx``/``.xlsm``, a workbook sheet
    (:func:`read_workbook`) as a frame of text cells. ``sheet`` and ``header_row`` apply to
    workbooks only."""
    return read_cells(
        path,
        what=what,
        policy=policy,
        max_rows=max_rows,
        rows_hint=rows_hint,
        sheet=sheet,
        header_row=header_row,
    ).to_frame()


def read_cells(
    path: Path | str,
    *,
    what: str = "data file",
    policy: ReadPolicy | None = None,
    max_rows: int | None = None,
    rows_hint: str = "",
    sheet: str | None = None,
    header_row: int | None = None,
) -> Table:
    """The cells of a CSV or a workbook's sheet as a :class:`Table`, under the rules of
    :func:`read_table` (without pandas)."""
    p = Path(path)
    if is_workbook(p):
        return _workbook_table(
            p,
            what=what,
            policy=policy,
            max_rows=max_rows,
            rows_hint=rows_hint,
            sheet=sheet,
            header_row=header_row or 1,
        )
    if sheet is not None or (header_row or 1) != 1:
        key = "sheet" if sheet is not None else "header_row"
        got = sheet if sheet is not None else header_row
        raise DataError(
            f"{p}: {key} applies to Excel workbooks (.xlsx); got {got!r} for a "
            f"{p.suffix or 'suffix-less'} file"
        )
    return _csv_table(p, what=what, policy=policy, max_rows=max_rows, rows_hint=rows_hint)


def _column_letter(i: int) -> str:
    """Excel's letters for the 0-based column ``i`` (0 -> A, 26 -> AA)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold (numbers exactly, no formatting)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def read_workbook(
    path: Path | str,
    *,
    what: str = "data file",
    policy: ReadPolicy | None = None,
    max_rows: int | None = None,
    rows_hint: str = "",
    sheet: str | None = None,
    header_row: int = 1,
) -> pd.DataFrame:
    """One sheet of an ``.xlsx`` workbook as a frame of text cells, its header in
    ``header_row`` (1-based, as Excel numbers rows), the data in the rows below it.

    Read-only and ``data_only``: formulas are never evaluated (a formula's saved value is read;
    one never saved is an empty cell). ``sheet`` defaults to the only sheet of a one-sheet
    workbook. Errors name the sheet and the cell (``sheet 'Data', cell B7``); the frame's index
    is the Excel row number less 2 (so :func:`_line` gives the row) and
    ``attrs["cells"]`` maps each column name to its letters.
    """
    return _workbook_table(
        Path(path),
        what=what,
        policy=policy,
        max_rows=max_rows,
        rows_hint=rows_hint,
        sheet=sheet,
        header_row=header_row,
    ).to_frame()


def _workbook_table(
    p: Path,
    *,
    what: str,
    policy: ReadPolicy | None,
    max_rows: int | None,
    rows_hint: str,
    sheet: str | None,
    header_row: int,
) -> Table:
    """A workbook sheet's cells (:func:`read_workbook` says how they are read)."""
    import zipfile

    policy = policy if policy is not None else ReadPolicy()
    try:
        policy.check_inside(p, str(p), what)
    except ForecastError as exc:
        raise DataError(str(exc)) from None
    if p.is_dir():
        raise DataError(f"{p}: {what} must be an .xlsx workbook; got a directory")
    raw = read_file(p, what=what, error=DataError, policy=policy)
    if not raw.startswith(b"PK\x03\x04"):
        raise DataError(
            f"{p}: {what} must be an .xlsx workbook (a zip archive); got other content (an old "
            ".xls or a renamed CSV: save it as .xlsx)"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            unpacked = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise DataError(f"{p}: {what} must be a readable .xlsx workbook; got {exc}") from None
    if unpacked > policy.max_bytes:
        raise DataError(
            f"{p}: {what} must unpack to at most {policy.max_bytes / 1e6:,.1f} MB (the file "
            f"size limit); got {unpacked / 1e6:,.1f} MB"
        )
    if header_row < 1:
        raise DataError(f"{p}: header_row must be a row number from 1; got {header_row}")
    wb = _open_workbook(p, raw, what)
    try:
        names = list(wb.sheetnames)
        if sheet is None:
            if len(names) != 1:
                raise DataError(
                    f"{p}: {what} has {len(names)} sheets; name the one to read with sheet = "
                    f"'...' ({', '.join(repr(n) for n in names)}); got no sheet"
                )
            sheet = names[0]
        if sheet not in names:
            raise DataError(
                f"{p}: sheet {sheet!r} must exist in the workbook; got sheets "
                f"{', '.join(repr(n) for n in names)}{near_miss(sheet, names)}"
            )
        ws = wb[sheet]
        header, body, index, titles = _sheet_rows(
            ws, p, sheet, header_row, what, max_rows, rows_hint
        )
    finally:
        wb.close()
    return Table(
        columns=tuple(header),
        rows=tuple(tuple(row) for row in body),
        index=tuple(index),
        sha256=hashlib.sha256(raw).hexdigest(),
        sheet=sheet,
        cells={name: _column_letter(i) for i, name in enumerate(header)},
        titles=tuple(titles),
    )


def _open_workbook(p: Path, raw: bytes, what: str) -> Any:
    import warnings

    import openpyxl

    try:
        with warnings.catch_warnings():  # openpyxl warns about styles and data validation
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(
                io.BytesIO(raw), read_only=True, data_only=True, keep_links=False
            )
    except Exception as exc:  # openpyxl raises KeyError, ValueError, InvalidFileException...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{p}: {what} must be a readable .xlsx workbook; got {first}") from None


def _sheet_rows(
    ws: Any,
    p: Path,
    sheet: str,
    header_row: int,
    what: str,
    max_rows: int | None,
    rows_hint: str,
) -> tuple[list[str], list[list[str]], list[int], list[str]]:
    """Header, data rows (text), their index (Excel row - 2) and the text above the header."""
    header: list[str] = []
    body: list[list[str]] = []
    index: list[int] = []
    titles: list[str] = []
    for r, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v).strip() if r <= header_row else _cell_text(v) for v in values]
        if r < header_row:
            titles += [c for c in cells if c]
            continue
        if r == header_row:
            while cells and not cells[-1]:
                cells.pop()
            if not cells:
                raise DataError(
                    f"{p}: sheet {sheet!r}, row {header_row}: the header row must name the "
                    f"columns; got an empty row (set header_row to the row holding the names)"
                )
            for i, name in enumerate(cells):
                if not name:
                    raise DataError(
                        f"{p}: sheet {sheet!r}, cell {_column_letter(i)}{header_row}: every "
                        "column up to the last named one needs a name; got an empty header cell"
                    )
            header = cells
            place = [f"sheet {sheet!r}, cell {_column_letter(i)}{r}" for i in range(len(header))]
            _check_cells_at(p, place, header)
            continue
        row = (cells + [""] * len(header))[: len(header)]
        if not any(c.strip() for c in row):
            continue
        if max_rows is not None and len(body) >= max_rows:
            raise DataError(
                f"{p}: {what} must hold at most {max_rows:,} data rows{rows_hint}; got more"
            )
        _check_cells_at(
            p, [f"sheet {sheet!r}, cell {_column_letter(i)}{r}" for i in range(len(row))], row
        )
        body.append(row)
        index.append(r - 2)
    if not header:
        raise DataError(
            f"{p}: sheet {sheet!r}, row {header_row}: the header row must name the columns; got "
            "an empty row (the sheet ends before it)"
        )
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(
            f"{p}: sheet {sheet!r}: column names must be unique; got {dupes[0]!r} twice"
        )
    if not body:
        raise DataError(
            f"{p}: sheet {sheet!r}: {what} must hold at least one data row below row "
            f"{header_row}; got only a header"
        )
    return header, body, index, titles


def _check_cells_at(p: Path, places: Sequence[str], row: Sequence[str]) -> None:
    for place, cell in zip(places, row, strict=True):
        if len(cell) > MAX_CELL_CHARS:
            raise DataError(
                f"{p}: {place}: a cell must be at most {MAX_CELL_CHARS:,} characters; got "
                f"{len(cell):,}"
            )
        bad = _CONTROL.search(cell)
        if bad:
            raise DataError(
                f"{p}: {place}: must not hold control characters; got {bad.group()!r} at "
                f"character {bad.start() + 1}"
            )


def place(table: Table, index: int, column: str) -> str:
    """Where a cell is, for a message: ``row 7, column 'value'`` in a CSV, ``sheet 'Data',
    cell B7`` in a workbook (``index`` is the row's :attr:`Table.index`)."""
    line = _line(index)
    if table.cells and column in table.cells:
        return f"sheet {table.sheet!r}, cell {table.cells[column]}{line}"
    return f"row {line}, column {column!r}"


def columns_shown(columns: Sequence[str]) -> str:
    """The column names for an error message, or a count when the first line does not look
    like a header of named columns (a file that is not a CSV: its content is not echoed)."""
    cols = [str(c) for c in columns]
    if len(cols) > 1 and all(_HEADER_CELL.fullmatch(c) for c in cols):
        return ", ".join(cols)
    return f"a first line that is not a header of named columns ({len(cols)} field(s); not shown)"


_NUMBER = re.compile(
    r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?$", re.ASCII
)  # ASCII digits only: int() and float() would also read "２０２０" and "2_020"
_YEAR = re.compile(r"[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)


def parse_number(text: str, *, where: str) -> float:
    """A plain number from a CSV cell: digits with an optional decimal point and exponent,
    thousands grouped by ``,`` in threes (``1,811.8``). A decimal comma (``1,2``), underscores,
    empty cells, NaN and infinity are refused, because each would be read as another number."""
    t = text.strip()
    if not t:
        raise DataError(message(where, "must be a finite number (no empty cells)", text))
    if t.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise DataError(message(where, "must be a finite number", text))
    if not _NUMBER.match(t) or not any(ch.isdigit() for ch in t):
        raise DataError(
            message(
                where,
                "must be a number (thousands grouped by ',' in threes, '.' for decimals)",
                text,
            )
        )
    value = float(t.replace(",", ""))
    if not math.isfinite(value):
        raise DataError(message(where, "must be a finite number", text))
    return value


def _line(i: int) -> int:
    """Line number in the file of data row ``i`` (header is line 1)."""
    return i + 2


def _require_column(table: Table, path: Path, column: str, role: str) -> None:
    if column not in table.columns:
        shown = columns_shown(list(table.columns))
        hint = near_miss(column, table.columns) if not shown.startswith("a first") else ""
        prefix = "columns " if not shown.startswith("a first") else ""
        raise DataError(
            f"{path}: the {role} column must exist; got {prefix}{shown} (no {column!r}){hint}"
        )


def _apply_filter(
    table: Table, path: Path, filt: Mapping[str, FilterValue | Sequence[FilterValue]]
) -> Table:
    keep = [True] * len(table.rows)
    for col, want in filt.items():
        _require_column(table, path, col, "filter")
        wanted = [want] if isinstance(want, str | int | float | bool) else list(want)
        texts = {str(w).lower() if isinstance(w, bool) else str(w) for w in wanted}
        for i, cell in enumerate(table.column(col)):
            keep[i] = keep[i] and cell.strip() in texts
    return table.where(keep)


def load_series(
    path: Path | str,
    *,
    year_column: str = "year",
    value_column: str = "value",
    filter: Mapping[str, FilterValue | Sequence[FilterValue]] | None = None,
    start: int | None = None,
    end: int | None = None,
    allow_nonpositive: bool = False,
    policy: ReadPolicy | None = None,
    max_rows: int | None = None,
    rows_hint: str = "",
    sheet: str | None = None,
    header_row: int | None = None,
) -> Series:
    """Load a yearly series from a CSV file or an Excel workbook's sheet.

    Parameters
    ----------
    path : path-like
        CSV with a header row, or an ``.xlsx`` workbook (see :func:`read_workbook`).
    year_column, value_column : str
        Columns holding the year (whole number) and the value (plain number).
    filter : mapping, optional
        Keep rows whose column equals the value (or one of the values, for a list).
    start, end : int, optional
        Keep years in ``[start, end]``.
    allow_nonpositive : bool
        Accept zero and negative values (not for market sizes).
    policy, max_rows, rows_hint
        As :func:`read_csv` takes them (where the file may lie, its size; a cap on its rows).
    sheet, header_row : optional
        The sheet and the row of column names of a workbook.

    Raises
    ------
    DataError
        Missing or empty file, missing columns, non-numeric or empty cells, NaN, non-whole years,
        duplicate or unsorted years, non-positive values, or no row left after filtering; in a
        workbook also a missing sheet or an empty header row.
    """
    p = Path(path)
    table = read_cells(
        p,
        what="history file",
        policy=policy,
        max_rows=max_rows,
        rows_hint=rows_hint,
        sheet=sheet,
        header_row=header_row,
    )
    _require_column(table, p, year_column, "year")
    _require_column(table, p, value_column, "value")
    if filter:
        table = _apply_filter(table, p, filter)
    years, values, rows = _series_rows(
        table, p, year_column, value_column, start, end, allow_nonpositive
    )
    if not years:
        raise _nothing_kept(p, filter, start, end)
    ids: tuple[str, ...] = ()
    if "source_id" in table:
        j = table.columns.index("source_id")
        ids = tuple(table.rows[i][j].strip() for i in rows)
    return Series(
        years=np.array(years, dtype=float),
        values=np.array(values, dtype=float),
        path=p,
        sha256=table.sha256,
        source_ids=ids,
        filter=dict(filter or {}),
        value_column=value_column,
        titles=table.titles,
    )


def _nothing_kept(
    p: Path,
    filter: Mapping[str, FilterValue | Sequence[FilterValue]] | None,
    start: int | None,
    end: int | None,
) -> DataError:
    """The error for a history that keeps no row, naming the filter and the years asked for."""
    return DataError(
        f"{p}: the history must keep at least one row after filtering; got none (filter "
        f"{dict(filter or {})}"
        + (f", years {start or '...'}-{end or '...'}" if start or end else "")
        + ")"
    )


def _series_rows(
    table: Table,
    p: Path,
    year_column: str,
    value_column: str,
    start: int | None,
    end: int | None,
    allow_nonpositive: bool,
) -> tuple[list[int], list[float], list[int]]:
    """The years and values of the rows within ``[start, end]``, and the rows' positions in
    ``table.rows``; each cell checked, the years checked unique and ascending."""
    years: list[int] = []
    values: list[float] = []
    rows: list[int] = []
    empty = " (a formula never saved in Excel reads as empty)" if table.cells else ""
    year_cells, value_cells = table.column(year_column), table.column(value_column)
    for i, (y_txt, v_txt) in enumerate(zip(year_cells, value_cells, strict=True)):
        at = table.index[i]
        y_place, v_place = place(table, at, year_column), place(table, at, value_column)
        year = _row_year(y_txt.strip(), f"{p}: {y_place}")
        value = _row_value(v_txt.strip(), f"{p}: {v_place}", empty, allow_nonpositive)
        if (start is not None and year < start) or (end is not None and year > end):
            continue
        if years and year == years[-1]:
            raise DataError(
                f"{p}: {y_place}: years must not repeat (filter the file down to one series); "
                f"got {year} twice"
            )
        if years and year < years[-1]:
            raise DataError(
                f"{p}: {y_place}: years must be sorted ascending; got {year} after {years[-1]}"
            )
        years.append(year)
        values.append(value)
        rows.append(i)
    return years, values, rows


def _row_year(y_txt: str, where: str) -> int:
    """A year cell as a whole year."""
    if not _YEAR.fullmatch(y_txt):  # float() would also take "2_020", "２０２０", "nan"
        raise DataError(message(where, "must be a whole year", y_txt))
    year_f = float(y_txt)
    if not np.isfinite(year_f) or year_f != int(year_f):
        raise DataError(message(where, "must be a whole year", y_txt))
    return int(year_f)


def _row_value(v_txt: str, where: str, empty: str, allow_nonpositive: bool) -> float:
    """A value cell as a finite number, positive unless ``allow_nonpositive``; ``empty`` says
    why a workbook's cell may read as empty."""
    if not v_txt and empty:
        raise DataError(message(where, f"must be a finite number (no empty cells){empty}", v_txt))
    value = parse_number(v_txt, where=where)
    if not np.isfinite(value):
        raise DataError(message(where, "must be a finite number (no empty cells or NaN)", v_txt))
    if value <= 0 and not allow_nonpositive:
        raise DataError(message(where, "a market value must be positive", v_txt))
    return value


@dataclass(frozen=True)
class Estimate:
    """One published estimate (a row of ``data/ai_market_estimates.csv``)."""

    id: str
    publisher: str
    title: str
    definition: str
    year: int
    value: float
    url: str
    kind: str = ""
    confidence: str = ""

    @property
    def citation(self) -> str:
        """``Publisher, title (url)``, for anchor sources."""
        return f"{self.publisher}, {self.title} ({self.url})"


def load_estimates(
    path: Path | str,
    *,
    policy: ReadPolicy | None = None,
    value_column: str = "value_usd_bn",
    sheet: str | None = None,
    header_row: int | None = None,
) -> dict[str, Estimate]:
    """Published estimates by id, from a CSV or a workbook's sheet.

    The file must have :data:`ESTIMATE_COLUMNS` (``value_column`` in place of
    ``value_usd_bn``); the optional columns of :data:`ESTIMATE_OPTIONAL` take their default
    when missing and, when present, must hold one of :data:`ESTIMATE_VALUES`. Rows with an empty
    value (a source that gives another currency only) are kept out. ``policy`` says where the
    file may lie (:func:`read_csv`).
    """
    p = Path(path)
    table = read_cells(p, what="estimates file", policy=policy, sheet=sheet, header_row=header_row)
    required = [value_column if c == "value_usd_bn" else c for c in ESTIMATE_COLUMNS]
    for col in required:
        _require_column(table, p, col, f"{col!r}")
    check_estimate_columns(table, p)
    out: dict[str, Estimate] = {}
    for at, row in table.records():
        ident = row["id"].strip()
        if ident in out:
            raise DataError(
                f"{p}: {place(table, at, 'id')}: ids must be unique; got {ident!r} again"
            )
        if not row[value_column].strip():
            continue
        v_place = place(table, at, value_column)
        if not re.fullmatch(
            r"\s*[0-9]+(?:\.0)?\s*", row["year"]
        ):  # int() takes "2_020", "２０２０"
            raise DataError(
                message(f"{p}: {place(table, at, 'year')}", "must be a whole year", row["year"])
            )
        year = int(float(row["year"]))
        value = parse_number(row[value_column], where=f"{p}: {v_place}")
        if value <= 0:
            raise DataError(
                message(f"{p}: {v_place}", "a market value must be positive", row[value_column])
            )
        out[ident] = Estimate(
            id=ident,
            publisher=row["publisher"],
            title=row["title"],
            definition=row["definition"],
            year=year,
            value=value,
            url=row["url"],
            kind=row.get("kind", ESTIMATE_OPTIONAL["kind"]).strip() or ESTIMATE_OPTIONAL["kind"],
            confidence=row.get("confidence", "").strip(),
        )
    return out


def check_estimate_columns(table: Table, path: Path) -> None:
    """Refuse an optional column holding a value run would not understand (``kind = guess``)."""
    for col, allowed in ESTIMATE_VALUES.items():
        if col not in table:
            continue
        for at, cell in zip(table.index, table.column(col), strict=True):
            text = cell.strip().lower()
            if text and text not in allowed:
                raise DataError(
                    message(
                        f"{path}: {place(table, at, col)}",
                        f"must be one of {', '.join(sorted(allowed - {''}))} (or empty)",
                        cell,
                    )
                )
