"""Reading yearly histories and published estimates from CSV, with provenance.

Pandas lives here, at the edge: every reader returns small typed objects (numpy arrays plus the
file's path and SHA-256), and every bad cell becomes a one-line :class:`DataError` naming the file,
the row (as the line number a spreadsheet or editor shows), the column, the rule and the value.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, ForecastError, near_miss
from .models.curves import FloatArray
from .readpolicy import ReadPolicy, read_file

FilterValue = str | int | float | bool
ESTIMATE_COLUMNS = ("id", "publisher", "title", "definition", "year", "value_usd_bn", "url")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read under the :mod:`~forecast.readpolicy` rules)."""
    return hashlib.sha256(read_file(path, what="input file", error=DataError)).hexdigest()


@dataclass(frozen=True)
class Series:
    """A yearly series read from a CSV file.

    Attributes
    ----------
    years, values : ndarray
        Strictly increasing whole years and their finite, positive values.
    path : Path
        The file read; ``sha256`` is its hash.
    source_ids : tuple of str
        Per-row ids of published estimates (a ``source_id`` column), or empty.
    """

    years: FloatArray
    values: FloatArray
    path: Path
    sha256: str
    source_ids: tuple[str, ...] = ()
    filter: Mapping[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.years)


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
    hash of the bytes read.
    """
    p = Path(path)
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
    frame = pd.DataFrame(body, columns=header, index=index, dtype=str)
    frame.attrs["sha256"] = hashlib.sha256(raw).hexdigest()
    return frame


def _check_cells(p: Path, line: int, row: Sequence[str], header: Sequence[str]) -> None:
    for col, cell in zip(header, row, strict=True):
        place = f"row {line}, column {col!r}" if row is not header else "header"
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
        raise DataError(f"{where}: must be a finite number (no empty cells); got {text!r}")
    if t.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise DataError(f"{where}: must be a finite number; got {text!r}")
    if not _NUMBER.match(t) or not any(ch.isdigit() for ch in t):
        raise DataError(
            f"{where}: must be a number (thousands grouped by ',' in threes, '.' for decimals); "
            f"got {text!r}"
        )
    value = float(t.replace(",", ""))
    if not math.isfinite(value):
        raise DataError(f"{where}: must be a finite number; got {text!r}")
    return value


def _line(i: int) -> int:
    """Line number in the file of data row ``i`` (header is line 1)."""
    return i + 2


def _require_column(frame: pd.DataFrame, path: Path, column: str, role: str) -> None:
    if column not in frame.columns:
        shown = columns_shown(list(frame.columns))
        hint = near_miss(column, frame.columns) if not shown.startswith("a first") else ""
        prefix = "columns " if not shown.startswith("a first") else ""
        raise DataError(
            f"{path}: the {role} column must exist; got {prefix}{shown} (no {column!r}){hint}"
        )


def _apply_filter(
    frame: pd.DataFrame, path: Path, filt: Mapping[str, FilterValue | Sequence[FilterValue]]
) -> pd.DataFrame:
    mask = pd.Series(True, index=frame.index)
    for col, want in filt.items():
        _require_column(frame, path, col, "filter")
        wanted = [want] if isinstance(want, str | int | float | bool) else list(want)
        texts = {str(w).lower() if isinstance(w, bool) else str(w) for w in wanted}
        mask &= frame[col].str.strip().isin(texts)
    return frame[mask]


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
) -> Series:
    """Load a yearly series from a CSV file.

    Parameters
    ----------
    path : path-like
        CSV with a header row.
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

    Raises
    ------
    DataError
        Missing or empty file, missing columns, non-numeric or empty cells, NaN, non-whole years,
        duplicate or unsorted years, non-positive values, or no row left after filtering.
    """
    p = Path(path)
    frame = read_csv(p, what="history file", policy=policy, max_rows=max_rows, rows_hint=rows_hint)
    sha = str(frame.attrs["sha256"])
    _require_column(frame, p, year_column, "year")
    _require_column(frame, p, value_column, "value")
    if filter:
        frame = _apply_filter(frame, p, filter)
    years: list[int] = []
    values: list[float] = []
    rows: list[int] = []
    for i, (y_txt, v_txt) in enumerate(zip(frame[year_column], frame[value_column], strict=True)):
        line = _line(int(frame.index[i]))
        y_txt, v_txt = y_txt.strip(), v_txt.strip()
        if not _YEAR.fullmatch(y_txt):  # float() would also take "2_020", "２０２０", "nan"
            raise DataError(
                f"{p}: row {line}, column {year_column!r}: must be a whole year; got {y_txt!r}"
            )
        year_f = float(y_txt)
        if not np.isfinite(year_f) or year_f != int(year_f):
            raise DataError(
                f"{p}: row {line}, column {year_column!r}: must be a whole year; got {y_txt!r}"
            )
        value = parse_number(v_txt, where=f"{p}: row {line}, column {value_column!r}")
        if not np.isfinite(value):
            raise DataError(
                f"{p}: row {line}, column {value_column!r}: must be a finite number "
                f"(no empty cells or NaN); got {v_txt!r}"
            )
        if value <= 0 and not allow_nonpositive:
            raise DataError(
                f"{p}: row {line}, column {value_column!r}: a market value must be positive; "
                f"got {v_txt!r}"
            )
        year = int(year_f)
        if (start is not None and year < start) or (end is not None and year > end):
            continue
        if years and year == years[-1]:
            raise DataError(
                f"{p}: row {line}, column {year_column!r}: years must not repeat (filter the "
                f"file down to one series); got {year} twice"
            )
        if years and year < years[-1]:
            raise DataError(
                f"{p}: row {line}, column {year_column!r}: years must be sorted ascending; "
                f"got {year} after {years[-1]}"
            )
        years.append(year)
        values.append(value)
        rows.append(int(frame.index[i]))
    if not years:
        raise DataError(
            f"{p}: the history must keep at least one row after filtering; got none (filter "
            f"{dict(filter or {})}"
            + (f", years {start or '...'}-{end or '...'}" if start or end else "")
            + ")"
        )
    ids: tuple[str, ...] = ()
    if "source_id" in frame.columns:
        ids = tuple(frame.loc[rows, "source_id"].str.strip())
    return Series(
        years=np.array(years, dtype=float),
        values=np.array(values, dtype=float),
        path=p,
        sha256=sha,
        source_ids=ids,
        filter=dict(filter or {}),
    )


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


def load_estimates(path: Path | str, *, policy: ReadPolicy | None = None) -> dict[str, Estimate]:
    """Published estimates by id. Rows without a USD value (CNY-only sources) are kept out.
    ``policy`` says where the file may lie (:func:`read_csv`)."""
    p = Path(path)
    frame = read_csv(p, what="estimates file", policy=policy)
    for col in ESTIMATE_COLUMNS:
        _require_column(frame, p, col, f"{col!r}")
    out: dict[str, Estimate] = {}
    for i, row in frame.iterrows():
        line = _line(int(i))
        ident = row["id"].strip()
        if ident in out:
            raise DataError(
                f"{p}: row {line}, column 'id': ids must be unique; got {ident!r} again"
            )
        if not row["value_usd_bn"].strip():
            continue
        where = f"{p}: row {line}"
        if not re.fullmatch(r"\s*[0-9]+\s*", row["year"]):  # int() takes "2_020", "２０２０"
            raise DataError(f"{where}, column 'year': must be a whole year; got {row['year']!r}")
        year = int(row["year"])
        value = parse_number(row["value_usd_bn"], where=f"{where}, column 'value_usd_bn'")
        if value <= 0:
            raise DataError(
                f"{where}, column 'value_usd_bn': a market value must be positive; got "
                f"{row['value_usd_bn']!r}"
            )
        out[ident] = Estimate(
            id=ident,
            publisher=row["publisher"],
            title=row["title"],
            definition=row["definition"],
            year=year,
            value=value,
            url=row["url"],
            kind=row.get("kind", ""),
            confidence=row.get("confidence", ""),
        )
    return out
