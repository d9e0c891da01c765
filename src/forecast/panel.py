"""Long panels (``unique_id``, ``ds``, ``y``): read from CSV or Parquet, written as Parquet.

CSV cells are text parsed one way for every command that reads a panel (``batch``,
``backtest``): ``ds`` whole years or ISO dates, ``y`` numbers or empty (missing), ``unique_id``
never empty; each refusal names the file, the row, the rule and the value. Parquet needs
pyarrow (the optional ``dask`` extra).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cluster import INSTALL
from .errors import DataError, ForecastError, message

__all__ = ["panel_from_text", "parquet_bytes", "read_panel", "require_pyarrow"]


def require_pyarrow(where: str) -> Any:
    """pyarrow, or a one-line error naming ``where`` and the extra to install."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ForecastError(
            f"{where}: Parquet needs pyarrow, part of the optional dask extra ({INSTALL}); "
            f"got no module named {(exc.name or 'pyarrow')!r}"
        ) from None
    return pyarrow


def read_panel(path: Path) -> pd.DataFrame:
    """A long panel (``unique_id``, ``ds``, ``y``) from CSV (text cells parsed as the backtest
    does: whole years or ISO dates, numbers or empty) or Parquet (typed columns)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _panel_from_csv(path)
    if suffix not in (".parquet", ".pq"):
        raise DataError(
            message(f"{path}", "panel must be a .csv or .parquet file", suffix or "none")
        )
    if not path.is_file():
        what = "a directory" if path.is_dir() else "no such file"
        raise DataError(f"{path}: panel must be an existing Parquet file; got {what}")
    pa = require_pyarrow(str(path))
    try:
        frame = pa.parquet.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: panel must be a readable Parquet file; got {first}") from None
    cols = set(frame.columns)
    if not {"unique_id", "ds", "y"} <= cols:
        raise DataError(f"{path}: panel must have columns unique_id, ds and y; got {sorted(cols)}")
    return frame


def _panel_from_csv(path: Path) -> pd.DataFrame:
    from .data import read_csv

    raw = read_csv(path, what="panel")
    cols = set(raw.columns)
    if not {"unique_id", "ds", "y"} <= cols:
        raise DataError(f"{path}: panel must have columns unique_id, ds and y; got {sorted(cols)}")
    return panel_from_text(raw, path)


def panel_from_text(raw: pd.DataFrame, path: Path | str) -> pd.DataFrame:
    """The panel of a CSV read as text (:func:`forecast.data.read_csv`) with columns
    ``unique_id``, ``ds`` and ``y``; ``path`` names the file in the errors."""
    ds: Any = raw["ds"].str.strip()
    as_num = pd.to_numeric(ds, errors="coerce")
    if as_num.notna().all():
        ds = as_num
    else:
        try:
            ds = pd.to_datetime(ds, format="ISO8601")
        except (ValueError, TypeError):
            bad = ds[as_num.isna()]
            raise DataError(
                message(
                    f"{path}: row {int(bad.index[0]) + 2}",
                    "ds must be a whole year or an ISO date such as 2020-12-31",
                    bad.iloc[0],
                )
            ) from None
    y_text = raw["y"].str.strip()
    y_num = pd.to_numeric(y_text, errors="coerce")
    bad_y = y_num.isna() & (y_text != "")
    if bad_y.any():
        raise DataError(
            message(
                f"{path}: row {int(y_text[bad_y].index[0]) + 2}",
                "y must be a number or empty (missing)",
                y_text[bad_y].iloc[0],
            )
        )
    no_id = raw["unique_id"].str.strip() == ""
    if no_id.any():
        raise DataError(
            f"{path}: row {int(raw.index[no_id][0]) + 2}: unique_id must name the series; got "
            f"an empty cell ({int(no_id.sum())} row(s) in all)"
        )
    # the numbers themselves through float(): pandas < 3's to_numeric is not correctly rounded
    # (off by one unit in the last place for some 17-digit values)
    given = y_text != ""
    y = pd.Series(np.nan, index=raw.index)
    y[given] = y_text[given].astype(float)
    return pd.DataFrame({"unique_id": raw["unique_id"], "ds": ds, "y": y})


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Deterministic Parquet bytes of ``frame`` (no index, no ``attrs``)."""
    pa = require_pyarrow("parquet output")
    plain = pd.DataFrame(frame, copy=False)
    plain.attrs = {}
    buf = io.BytesIO()
    pa.parquet.write_table(pa.Table.from_pandas(plain, preserve_index=False), buf)
    return buf.getvalue()
