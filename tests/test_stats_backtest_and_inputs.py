"""Batch input checks, interval sources, fallbacks and the backtest (scale, leakage, CLI)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from conftest import call_main
from forecast.errors import ForecastError
from forecast.stats import backtest, forecast_frame
from forecast.stats import metrics as M
from forecast.stats.auto import Auto, fallback_for
from forecast.stats.conformal import MIN_POOLED, pooled_or_shipped
from forecast.stats.models import Drift, Naive, Theta

YEARS = np.arange(2000, 2018)


def _line(y: np.ndarray, uid: object = "a", start: int = 2000) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": np.arange(start, start + len(y)), "y": y})


# 1 -----------------------------------------------------------------------------------------------
def test_naive_scale_is_plain_mean_abs_diff() -> None:
    assert M.naive_scale(np.array([1.0, 3.0, 2.0])) == pytest.approx(1.5)
    assert M.naive_scale(np.array([5.0, 5.0])) == 0.0
    assert np.isnan(M.naive_scale(np.array([5.0])))


def test_backtest_mase_uses_m4_naive_scale_not_interval_floor() -> None:
    res = backtest(_line(1000 + np.arange(15.0)), h=2, windows=1, models=["drift"])
    m = res.metrics.set_index("model")
    assert m.loc["naive", "MASE"] == pytest.approx(1.5)  # errors 1, 2 over scale 1
    assert (res.forecasts["scale"] == 1.0).all()


def test_backtest_skips_constant_training_part() -> None:
    df = pd.concat([_line(np.full(10, 4.0), "flat"), _line(np.arange(1.0, 11), "line")])
    res = backtest(df, h=2, windows=1, models=["drift"])
    assert set(res.forecasts["unique_id"]) == {"line"}
    row = res.skipped.set_index("unique_id").loc["flat"]
    assert "constant" in row["reason"] and "naive scale 0" in row["reason"]
    assert np.isfinite(res.metrics[["MASE", "MSIS-95"]].to_numpy()).all()


# 2 -----------------------------------------------------------------------------------------------
def test_backtest_does_not_leak_held_out_points_into_training() -> None:
    y = np.array([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, np.nan, 100, 101, 102.0])
    res = backtest(_line(y), h=3, windows=1, models=["naive"])
    fc = res.forecasts
    assert (fc["mean"] == 19.0).all()  # last training value, not an interpolation with 100
    assert fc["ds"].tolist() == [2011, 2012]  # the missing 2010 is not scored


def test_backtest_scores_only_observed_years() -> None:
    y = np.array([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, np.nan, 22.0])
    res = backtest(_line(y), h=2, windows=1, models=["drift"])
    assert res.forecasts.groupby("model").size().tolist() == [1, 1]
    assert res.forecasts["y"].tolist() == [22.0, 22.0]


# 3 -----------------------------------------------------------------------------------------------
def test_timestamps_with_trailing_missing_y_continue_from_last_observed_year() -> None:
    df = _line(np.r_[np.arange(1.0, 9), np.nan, np.nan])
    df["ds"] = pd.to_datetime([f"{v}-06-30" for v in df["ds"]])
    fc = forecast_frame(df, 2)
    assert fc["ds"].tolist() == [pd.Timestamp("2008-06-30"), pd.Timestamp("2009-06-30")]


# 4 -----------------------------------------------------------------------------------------------
def test_one_interval_source_per_model_for_all_horizons() -> None:
    errors = np.full((MIN_POOLED + 5, 3), 1.0)
    errors[10:, 2] = np.nan  # horizon 3 short of MIN_POOLED
    assert pooled_or_shipped(errors, "drift", 3).source == "shipped"
    assert pooled_or_shipped(errors[:, :2], "drift", 2).source == "pooled"
    rng = np.random.default_rng(0)
    parts = []
    for i in range(400):
        n = int(rng.integers(10, 16))
        parts.append(_line(100 + np.cumsum(rng.normal(1, 2, n)), i))
    fc = forecast_frame(pd.concat(parts), 6, model="drift")
    assert {r["intervals"] for r in fc.attrs["info"]} <= {"pooled", "shipped"}
    width = np.median((fc["hi-95"] - fc["lo-95"]).to_numpy().reshape(-1, 6), axis=0)
    assert np.all(np.diff(width) > 0) and np.max(np.diff(width)) < 2.5 * np.min(np.diff(width))


# 5 -----------------------------------------------------------------------------------------------
def test_positive_series_mean_is_clipped_like_its_bounds() -> None:
    fc = forecast_frame(_line(np.arange(100.0, 0, -10)), 3)
    assert (fc["mean"] >= 0).all() and (fc["lo-95"] <= fc["mean"]).all()
    assert "mean clipped at 0" in fc.attrs["info"][0]["reason"]
    fit = Drift().fit(YEARS[:10], np.arange(100.0, 0, -10))
    assert (fit.forecast(3)["mean"] >= 0).all()


# 6 -----------------------------------------------------------------------------------------------
def test_backtest_reports_fallbacks() -> None:
    df = pd.concat([_line(10 + np.arange(7.0) * (i + 1), i) for i in range(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = backtest(df, h=3, windows=1, models=["arima"])
    arima = res.forecasts[res.forecasts["model"] == "arima"]
    assert (arima["used"] == "auto").all() and arima["fallback"].all()
    m = res.metrics.set_index("model")
    assert m.loc["arima", "fallback"] == 100.0 and m.loc["naive", "fallback"] == 0.0
    assert "100%" in res.table()


# 7, 8, 9 ----------------------------------------------------------------------------------------
def test_bad_ds_and_ids_are_one_line_errors_naming_the_row() -> None:
    df = _line(np.arange(1.0, 11))
    ts = df.assign(ds=pd.to_datetime([f"{v}-06-30" for v in df["ds"]]))
    ts.loc[3, "ds"] = pd.NaT
    with pytest.raises(ForecastError, match=r"^df: column ds .*got NaT in row 3$"):
        forecast_frame(ts, 2)
    num = df.assign(ds=df["ds"].astype(float))
    num.loc[4, "ds"] = np.nan
    with pytest.raises(ForecastError, match=r"^df: column ds .*got nan in row 4$"):
        forecast_frame(num, 2)
    no_id = df.astype({"unique_id": object})
    no_id.loc[2, "unique_id"] = None
    for call in (forecast_frame, backtest):
        with pytest.raises(ForecastError, match=r"unique_id .* missing id in row 2"):
            call(no_id, 2)


def test_mixed_type_ids_stay_apart() -> None:
    df = pd.concat([_line(np.arange(1.0, 11), 1), _line(np.arange(1.0, 11), "1")])
    fc = forecast_frame(df, 2)
    assert fc["unique_id"].tolist() == [1, 1, "1", "1"]
    ints = forecast_frame(_line(np.arange(1.0, 11), 7), 2)
    assert ints["unique_id"].dtype == np.int64


# 10 ----------------------------------------------------------------------------------------------
def test_level_scalar_accepted_and_string_refused() -> None:
    df = _line(np.arange(1.0, 11))
    assert list(forecast_frame(df, 2, level=80).columns)[-2:] == ["lo-80", "hi-80"]
    with pytest.raises(ForecastError, match=r"^level: must be numbers .* got '80'$"):
        forecast_frame(df, 2, level="80")  # type: ignore[arg-type]


# 11 ----------------------------------------------------------------------------------------------
def test_fallback_reasons_are_stated_once() -> None:
    one = _line(np.array([5.0]))
    for model, want in [
        ("auto", "auto: needs at least 3 points; got 1; used naive"),
        ("theta", "theta: needs at least 3 points; got 1; used naive"),
    ]:
        assert forecast_frame(one, 2, model=model).attrs["info"][0]["reason"] == want


def test_fallback_chain() -> None:
    v = np.arange(1.0, 6)
    assert fallback_for(v) == Drift() and fallback_for(v[:1]) == Naive()
    assert fallback_for(v, after=Theta()) == Auto()
    assert fallback_for(v, after=Auto()) == Drift()
    assert fallback_for(v, after=Drift()) == Naive()


# 12 ----------------------------------------------------------------------------------------------
def test_backtest_argument_checks() -> None:
    df = _line(np.arange(1.0, 11))
    res = backtest(df, h=np.int64(2), windows=np.int64(1), models=["drift"])
    assert len(res.forecasts) == 4
    with pytest.raises(ForecastError, match=r"^df: must be a pandas DataFrame; got list$"):
        backtest([1, 2], h=2)  # type: ignore[arg-type]
    with pytest.raises(ForecastError, match=r"^df: column y must be numeric; got 'x' in row 0$"):
        backtest(df.assign(y="x"), h=2)
    with pytest.raises(ForecastError, match=r"^h: must be a positive whole number; got 0$"):
        backtest(df, h=0)


# 13 ----------------------------------------------------------------------------------------------
def test_backtest_command_reads_dates_and_refuses_bad_cells(tmp_path: Path) -> None:
    df = _line(10 * 1.1 ** np.arange(12))
    dates = df.assign(ds=[f"{v}-12-31" for v in df["ds"]])
    path = tmp_path / "dates.csv"
    dates.to_csv(path, index=False)
    assert call_main("backtest", path, "--h", "2", "--windows", "1").code == 0
    bad = df.astype({"y": object})
    bad.loc[3, "y"] = "oops"
    bad.to_csv(path, index=False)
    res = call_main("backtest", path, "--h", "2")
    assert res.code == 2 and "row 5: y must be a number or empty" in res.err and "'oops'" in res.err
    pd.DataFrame({"a": [1], "b": [2]}).to_csv(path, index=False)
    res = call_main("backtest", path)
    assert res.code == 2 and "unique_id, ds and y" in res.err and "year and value" in res.err
    df.assign(unique_id=["a"] * 11 + [""]).to_csv(path, index=False)
    res = call_main("backtest", path)
    assert res.code == 2 and "row 13: unique_id must name the series" in res.err


def test_the_backtest_name_is_the_function_whichever_is_imported_first() -> None:
    """``forecast.stats`` loads its modules on first use; importing the submodule
    ``forecast.stats.backtest`` first must not turn the package's ``backtest`` into it."""
    import subprocess
    import sys

    code = (
        "import forecast.stats.backtest, forecast.stats as s, forecast, sys; "
        "from forecast.stats import backtest; "
        "print(callable(backtest), s.backtest is forecast.backtest, 'pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]
    plain = "import sys, forecast.stats as s; s.STATS_MODELS; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", plain], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # the registry does not need the batch machinery


# 14 ----------------------------------------------------------------------------------------------
def test_backtest_uses_only_public_helpers() -> None:
    import importlib

    bt = importlib.import_module("forecast.stats.backtest")
    batch = importlib.import_module("forecast.stats.batch")
    text = Path(str(bt.__file__)).read_text()
    assert "from .batch import forecast_batch\n" in text and "_clean" not in text
    assert not hasattr(batch, "_next_fallback") and not hasattr(batch, "_years")
    assert forecast.backtest is backtest
