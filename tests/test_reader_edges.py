"""Error paths of the CSV readers (data.py), the level check (types.py), the bootstrap edges
(models/simulate.py) and the file writer (output.py) that the other tests do not reach."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from forecast import DataError, FitError, ForecastError, GrowthModel, OutputError, output
from forecast.data import load_estimates, load_series, parse_number, read_cells, read_csv
from forecast.models.simulate import draw_params, paths_frame
from forecast.types import check_levels, interval_columns

# ------------------------------------------------------------------------------------------------
# data.py
# ------------------------------------------------------------------------------------------------


def _csv(tmp_path: Path, text: str, name: str = "h.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_directory_is_not_a_csv(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="must be a CSV file; got a directory"):
        read_csv(tmp_path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _csv(tmp_path, "year,value\n2020,1\n")

    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # the read policy opens files with os.open
    with pytest.raises(DataError, match="must be readable; got Permission denied"):
        read_csv(path)


def test_empty_header_row(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="must start with a header row; got an empty first line"):
        read_csv(_csv(tmp_path, ",\n2020,1\n"))


def test_blank_lines_are_skipped_and_lines_counted(tmp_path: Path) -> None:
    path = _csv(tmp_path, "year,value\n\n2020,1\n , \n2021,x\n")
    frame = read_csv(path)
    assert list(frame["year"]) == ["2020", "2021"]
    with pytest.raises(DataError, match=r"row 5, column 'value'"):
        load_series(path)


def test_the_cells_equal_pandas_reading_the_same_csv_as_text(tmp_path: Path) -> None:
    """The reader's own table (no pandas) against pandas.read_csv with every cell as text:
    quoted commas and line breaks, padding, an empty cell, a BOM, blank lines left out."""
    import pandas as pd

    text = '\ufeffyear,value,note\n2019, 1.5 ,"a, b"\n\n2020,2,"two\nlines"\n2021,,plain\n'
    path = _csv(tmp_path, text)
    table = read_cells(path)
    theirs = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert table.columns == tuple(theirs.columns)
    assert [list(r) for r in table.rows] == theirs.values.tolist()
    assert table.index == (0, 3, 4)  # lines 2, 5 (a quoted row ends there) and 6
    assert read_csv(path).equals(table.to_frame())
    assert read_csv(path).attrs["sha256"] == table.sha256


def test_a_filter_keeps_the_rows_and_their_lines(tmp_path: Path) -> None:
    path = _csv(tmp_path, "region,year,value\nEU,2020,1\nUS,2020,5\nEU,2021,2\nUS,2021,x\n")
    eu = load_series(path, filter={"region": "EU"})
    assert list(eu.years) == [2020, 2021] and list(eu.values) == [1, 2]
    with pytest.raises(DataError, match=r"row 5, column 'value'"):
        load_series(path, filter={"region": ["US"]})


def test_malformed_csv(tmp_path: Path) -> None:
    huge = "x" * 200_000  # beyond the csv module's field size limit
    with pytest.raises(DataError, match="must be well-formed CSV"):
        read_csv(_csv(tmp_path, f"year,value\n2020,{huge}\n"))


def test_duplicate_header(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="column names must be unique; got 'value' twice"):
        read_csv(_csv(tmp_path, "year,value,value\n2020,1,2\n"))


@pytest.mark.parametrize("text", ["1e999", "-1e400", "NaN", "inf", "-Infinity"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(DataError, match="must be a finite number"):
        parse_number(text, where="cell")


def test_overflowing_history_value(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"row 3, column 'value': must be a finite number"):
        load_series(_csv(tmp_path, "year,value\n2020,1\n2021,1e999\n"))


def test_duplicate_estimate_ids(tmp_path: Path) -> None:
    header = "id,publisher,title,definition,year,value_usd_bn,url"
    row = "a,P,T,research_firm_market_size,2030,1570,https://example.com"
    path = _csv(tmp_path, f"{header}\n{row}\n{row}\n", "estimates.csv")
    with pytest.raises(DataError, match="ids must be unique; got 'a' again"):
        load_estimates(path)


# ------------------------------------------------------------------------------------------------
# types.py
# ------------------------------------------------------------------------------------------------


def test_levels_must_not_be_empty() -> None:
    with pytest.raises(ForecastError, match="needs at least one level"):
        check_levels([])
    assert interval_columns([95, 80]) == [
        ("lo-80", pytest.approx(0.1)),
        ("hi-80", pytest.approx(0.9)),
        ("lo-95", pytest.approx(0.025)),
        ("hi-95", pytest.approx(0.975)),
    ]


# ------------------------------------------------------------------------------------------------
# models/simulate.py
# ------------------------------------------------------------------------------------------------

YEARS = [2020, 2022, 2024, 2025]
VALUES = [62.35, 136.55, 279.22, 390.9]


def test_draws_must_be_positive() -> None:
    fit = GrowthModel("exponential").fit(YEARS, VALUES)
    with pytest.raises(FitError, match="draws: must be a positive whole number; got 0"):
        draw_params(fit, 0, 1)


def test_no_degrees_of_freedom_means_no_intervals_not_nan_points() -> None:
    """Two points, two parameters: the curve is exact, the residual scale unknown. The point
    forecast is finite; the intervals are missing (NaN in the frame, never printed as numbers)."""
    fit = GrowthModel("exponential").fit([2024, 2025], [279.22, 390.9])
    assert not fit.intervals_available
    theta, scale = draw_params(fit, 5, 1)
    assert (theta == fit.theta).all() and (scale == 0).all()
    frame = fit.forecast(np.arange(2025, 2031), level=(80, 95), draws=50, seed=1)
    assert np.isfinite(frame["mean"]).all()
    assert frame[["median", "lo-80", "hi-95"]].isna().all().all()


def test_paths_frame_without_paths() -> None:
    years = np.arange(2025, 2028, dtype=float)
    frame = paths_frame(years, np.array([1.0, 2.0, 3.0]), None, (80,))
    assert list(frame.columns) == ["year", "mean", "median", "lo-80", "hi-80"]
    assert frame["median"].isna().all()


# ------------------------------------------------------------------------------------------------
# output.py
# ------------------------------------------------------------------------------------------------


def test_output_parent_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="output folder must be creatable"):
        output.publish(blocker / "sub" / "results", {"a.csv": b"1\n"})
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_fsync_failures_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    output._fsync_dir(tmp_path / "missing")  # cannot open: nothing to do

    def failing(fd: int) -> None:
        raise OSError(22, "Invalid argument")

    monkeypatch.setattr(os, "fsync", failing)
    output._fsync_dir(tmp_path)  # a file system without directory fsync


def test_nested_files_and_a_changed_file_list(tmp_path: Path) -> None:
    target = tmp_path / "out" / "r"
    assert output.publish(target, {"charts/fan.png": b"png", "a.csv": b"1\n"}) == "written"
    assert (target / "charts" / "fan.png").read_bytes() == b"png"
    with pytest.raises(OutputError, match="must not hold earlier results"):
        output.publish(target, {"a.csv": b"1\n"})  # same bytes, one file fewer
    assert output.publish(target, {"a.csv": b"1\n"}, force=True) == "replaced"
    assert sorted(p.name for p in target.rglob("*")) == ["a.csv"]
    assert [p.name for p in target.parent.iterdir()] == ["r"]  # no temporary folder left


def test_a_market_value_below_zero_names_its_cell(tmp_path: Path) -> None:
    history = tmp_path / "history.csv"
    history.write_text("year,value\n2020,1\n2021,-2\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_series(history)
    assert str(err.value) == (
        f"{history}: row 3, column 'value': a market value must be positive; got '-2'"
    )
    estimates = tmp_path / "estimates.csv"
    estimates.write_text(
        "id,publisher,title,definition,year,value_usd_bn,url\n"
        "a,P,T,research_firm_market_size,2030,-5,https://example.org\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        load_estimates(estimates)
    assert str(err.value) == (
        f"{estimates}: row 2, column 'value_usd_bn': a market value must be positive; got '-5'"
    )
