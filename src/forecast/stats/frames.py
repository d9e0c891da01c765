"""Long-format input shared by the batch forecast and the backtest: argument checks, the year of
every row and the repair of one series (see :mod:`forecast.stats.batch` for the rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ForecastError, message
from .kernels import FloatArray

COLUMNS = ("unique_id", "ds", "y")


@dataclass(frozen=True)
class Series:
    """One repaired yearly series: consecutive years from ``first_year``, finite ``values``."""

    uid: Any
    first_year: int
    values: FloatArray
    last_ds: Any
    notes: tuple[str, ...]


@dataclass(frozen=True)
class LongFrame:
    """A checked long frame: the year of every row, whether ``ds`` holds timestamps, ``y`` as
    floats (NaN for missing) and the row positions of every series in order of appearance."""

    years: np.ndarray
    is_time: bool
    y: FloatArray
    groups: dict[Any, np.ndarray]


def check_h(h: Any, name: str = "h") -> int:
    """A positive whole number (numpy integers too) as ``int``."""
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or h < 1:
        raise ForecastError(message(name, "must be a positive whole number", h))
    return int(h)


def _row(df: pd.DataFrame, mask: np.ndarray) -> tuple[Any, Any]:
    i = int(np.argmax(mask))
    return df.index[i], i


def years_of(df: pd.DataFrame, where: str) -> tuple[np.ndarray, bool]:
    """The year of every row of ``df["ds"]`` and whether ``ds`` holds timestamps."""
    ds = df["ds"]
    if pd.api.types.is_datetime64_any_dtype(ds):
        if ds.isna().any():
            label, _ = _row(df, ds.isna().to_numpy())
            raise ForecastError(
                f"{where}: column ds must hold a timestamp in every row; got NaT in row {label}"
            )
        return ds.dt.year.to_numpy(dtype=np.int64), True
    if pd.api.types.is_numeric_dtype(ds) and not pd.api.types.is_bool_dtype(ds):
        num = ds.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(num) | (num != np.round(num))
        if not bad.any():
            return num.astype(np.int64), False
        label, i = _row(df, bad)
        raise ForecastError(
            f"{where}: column ds must hold whole years or timestamps; got {float(num[i]):g} in "
            f"row {label}"
        )
    notna = ds.notna().to_numpy()
    label, i = _row(df, notna) if notna.any() else (df.index[0] if len(df) else None, 0)
    example = repr(ds.iloc[i]) if len(ds) else "no rows"
    raise ForecastError(
        f"{where}: column ds must hold whole years or timestamps; got dtype {ds.dtype} "
        f"({example} in row {label})"
    )


def check_frame(df: Any, where: str = "df") -> LongFrame:
    """Check a long frame (type, columns, ids, ``ds``, numeric ``y``) in one-line errors."""
    if not isinstance(df, pd.DataFrame):
        raise ForecastError(f"{where}: must be a pandas DataFrame; got {type(df).__name__}")
    check_columns(list(df.columns), where)
    count, label = missing_ids(df)
    if count:
        raise missing_id_error(where, label, count)
    years, is_time = years_of(df, where)
    y = numeric_y(df, where)
    groups = df.groupby("unique_id", sort=False).indices
    return LongFrame(years, is_time, y, dict(groups))


def check_columns(columns: list[Any], where: str) -> None:
    """Refuse a frame without the columns ``unique_id``, ``ds`` and ``y``."""
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise ForecastError(
            f"{where}: must have columns unique_id, ds and y; got {columns} "
            f"(missing {', '.join(missing)})"
        )


def missing_ids(df: pd.DataFrame) -> tuple[int, Any]:
    """How many rows have no ``unique_id`` and the label of the first (None when none)."""
    no_id = df["unique_id"].isna().to_numpy()
    if not no_id.any():
        return 0, None
    return int(no_id.sum()), _row(df, no_id)[0]


def missing_id_error(where: str, label: Any, count: int) -> ForecastError:
    """The error for rows without a ``unique_id`` (the first one's label, how many in all)."""
    return ForecastError(
        f"{where}: column unique_id must name the series of every row; got a missing id in "
        f"row {label} ({count} row(s) in all)"
    )


def numeric_y(df: pd.DataFrame, where: str) -> FloatArray:
    """``df["y"]`` as floats (NaN for missing); refuses text and booleans."""
    y = df["y"]
    if pd.api.types.is_bool_dtype(y):
        raise ForecastError(f"{where}: column y must be numeric; got dtype bool")
    num = pd.to_numeric(y, errors="coerce")
    bad = (num.isna() & y.notna()).to_numpy()
    if bad.any():
        label, i = _row(df, bad)
        raise ForecastError(f"{where}: column y must be numeric; got {y.iloc[i]!r} in row {label}")
    return np.asarray(num.to_numpy(dtype=float), dtype=float)


def clean_series(uid: Any, years: np.ndarray, y: np.ndarray, last_ds: Any) -> Series | str:
    """Repair one series (see :mod:`forecast.stats.batch`) or say why it has no forecast."""
    notes: list[str] = []
    y = np.where(np.isfinite(y), y, np.nan)
    uniq, inv, counts = np.unique(years, return_inverse=True, return_counts=True)
    if np.any(counts > 1):
        dup = uniq[counts > 1]
        notes.append(f"averaged duplicate years {', '.join(str(int(v)) for v in dup[:3])}")
        sums = np.zeros(len(uniq))
        cnt = np.zeros(len(uniq))
        np.add.at(sums, inv, np.nan_to_num(y))
        np.add.at(cnt, inv, np.isfinite(y))
        with np.errstate(invalid="ignore"):
            y = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
        years = uniq
    else:
        order = np.argsort(years)
        years, y = years[order], y[order]
    ok = np.isfinite(y)
    if not ok.any():
        return "no finite y values; no forecast"
    first, last = int(years[ok][0]), int(years[ok][-1])
    full = np.arange(first, last + 1)
    values = np.interp(full.astype(float), years[ok].astype(float), y[ok])
    filled = len(full) - int(ok.sum())
    dropped = int(np.sum(~ok & ((years < first) | (years > last))))
    if filled:
        notes.append(f"filled {filled} missing year(s) by linear interpolation")
    if dropped:
        notes.append(f"dropped {dropped} missing year(s) at the ends")
    return Series(uid, first, values, last_ds, tuple(notes))
