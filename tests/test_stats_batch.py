"""Batch forecasts (fallbacks, types, n_jobs), backtest metrics and the backtest command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from conftest import call_main
from forecast.errors import ForecastError
from forecast.stats import forecast_batch
from forecast.stats import metrics as M

COLUMNS = ["unique_id", "ds", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]


def _good(uid: str, n: int = 15, start: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 50 * np.exp(np.cumsum(rng.normal(0.05, 0.05, n)))
    return pd.DataFrame({"unique_id": uid, "ds": np.arange(start, start + n), "y": y})


def _awkward() -> pd.DataFrame:
    gap = _good("gap", seed=1)
    gap.loc[[4, 5], "y"] = np.nan
    gap = gap.drop(index=8)  # an absent year too
    parts = [
        _good("ok", seed=2),
        gap,
        pd.DataFrame({"unique_id": "const", "ds": np.arange(2000, 2012), "y": 3.0}),
        pd.DataFrame({"unique_id": "two", "ds": [2019, 2020], "y": [1.0, 2.0]}),
        pd.DataFrame(
            {"unique_id": "neg", "ds": np.arange(2000, 2012), "y": np.linspace(-5, 6, 12)}
        ),
        pd.DataFrame({"unique_id": "zeros", "ds": np.arange(2000, 2010), "y": 0.0}),
        pd.DataFrame(
            {"unique_id": "dup", "ds": [2000, 2001, 2001, 2002, 2003], "y": [1, 2, 4, 5, 6.0]}
        ),
        pd.DataFrame(
            {"unique_id": "huge", "ds": np.arange(2000, 2010), "y": 1e13 * np.arange(1, 11)}
        ),
        pd.DataFrame(
            {"unique_id": "tiny", "ds": np.arange(2000, 2010), "y": 1e-13 * np.arange(1, 11)}
        ),
        pd.DataFrame({"unique_id": "empty", "ds": [2000, 2001], "y": [np.nan, np.inf]}),
    ]
    return pd.concat(parts, ignore_index=True)


def test_batch_survives_bad_series_with_reasons() -> None:
    out = forecast_batch(_awkward(), 4, model="damped_mult")
    fc, info = out.frame, out.info.set_index("unique_id")
    assert list(fc.columns) == COLUMNS
    assert np.all(np.isfinite(fc.drop(columns=["unique_id", "ds"]).to_numpy()))
    assert set(fc["unique_id"]) == set(info.index) - {"empty"}
    assert (fc.groupby("unique_id").size() == 4).all()
    assert "no finite y" in info.loc["empty", "reason"]
    assert "filled 3 missing year(s)" in info.loc["gap", "reason"]
    assert "averaged duplicate years 2001" in info.loc["dup", "reason"]
    assert info.loc["two", "used"] == "drift" and info.loc["two", "fallback"]
    assert info.loc["neg", "used"] == "auto" and "positive values" in info.loc["neg", "reason"]
    assert info.loc["ok", "used"] == "damped_mult" and not info.loc["ok", "fallback"]
    np.testing.assert_allclose(fc.loc[fc.unique_id == "const", "mean"], 3.0)
    np.testing.assert_allclose(fc.loc[fc.unique_id == "zeros", "mean"], 0.0)
    huge = fc.loc[fc.unique_id == "huge", "mean"].to_numpy()
    tiny = fc.loc[fc.unique_id == "tiny", "mean"].to_numpy()
    np.testing.assert_allclose(huge / 1e13, tiny / 1e-13, rtol=1e-9)


def test_auto_batch_and_attrs() -> None:
    fc = forecast.forecast_frame(_awkward(), 3)
    info = pd.DataFrame(fc.attrs["info"])
    assert list(info.columns) == [
        "unique_id",
        "model",
        "used",
        "points",
        "fallback",
        "intervals",
        "reason",
    ]
    assert np.all(np.isfinite(fc["mean"]))
    assert fc["ds"].dtype == np.int64
    assert fc.loc[fc.unique_id == "two", "ds"].tolist() == [2021, 2022, 2023]


def test_n_jobs_gives_identical_output() -> None:
    df = pd.concat([_good(f"s{i}", n=10 + i % 20, seed=i) for i in range(60)] + [_awkward()])
    one = forecast.forecast_frame(df, 5, n_jobs=1)
    two = forecast.forecast_frame(df, 5, n_jobs=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    assert one.attrs["info"] == two.attrs["info"]


def test_timestamps_stay_timestamps() -> None:
    df = _good("a", n=12)
    df["ds"] = pd.to_datetime([f"{y}-12-31" for y in df["ds"]])
    fc = forecast.forecast_frame(df, 2, level=(90,))
    assert fc["ds"].tolist() == [pd.Timestamp("2012-12-31"), pd.Timestamp("2013-12-31")]
    assert list(fc.columns) == ["unique_id", "ds", "mean", "lo-90", "hi-90"]


def test_frame_level_errors_are_one_line() -> None:
    with pytest.raises(ForecastError, match="must have columns unique_id, ds and y"):
        forecast.forecast_frame(pd.DataFrame({"id": [1]}), 2)
    with pytest.raises(ForecastError, match="ds must hold whole years or timestamps"):
        forecast.forecast_frame(pd.DataFrame({"unique_id": 1, "ds": [2000.5], "y": [1.0]}), 2)
    with pytest.raises(ForecastError, match="n_jobs"):
        forecast.forecast_frame(_good("a"), 2, n_jobs=0)
    with pytest.raises(ForecastError, match=r"^h: must be a positive whole number; got 0$"):
        forecast.forecast_frame(_good("a"), 0)


def test_metrics_by_hand() -> None:
    y, f = np.array([10.0, 20.0]), np.array([12.0, 20.0])
    np.testing.assert_allclose(M.smape(y, f), [200 * 2 / 22, 0.0])
    np.testing.assert_allclose(M.mase(y, f, np.array(2.0)), [1.0, 0.0])
    lo, hi = np.array([11.0, 15.0]), np.array([13.0, 25.0])
    # first misses by 1 below: width 2 + 40 * 1 = 42, over scale 2 = 21; second: width 10 / 2 = 5
    np.testing.assert_allclose(M.msis(y, lo, hi, np.array(2.0), 0.05), [21.0, 5.0])
    np.testing.assert_allclose(M.covered(y, lo, hi), [0.0, 1.0])


def test_backtest_on_a_hand_computable_line() -> None:
    # y = 1..10: drift forecasts are exact, naive's error at horizon k is k; scale (mean |diff|) 1
    df = pd.DataFrame({"unique_id": "line", "ds": np.arange(2000, 2010), "y": np.arange(1.0, 11)})
    res = forecast.backtest(df, h=2, windows=2, models=["drift"])
    m = res.metrics.set_index("model")
    assert list(m.index) == ["naive", "drift"]
    assert m.loc["drift", "MASE"] == pytest.approx(0.0, abs=1e-12)
    assert m.loc["drift", "sMAPE"] == pytest.approx(0.0, abs=1e-12)
    assert m.loc["naive", "MASE"] == pytest.approx(1.5)  # errors 1, 2 in both windows
    # windows: train 1..7 -> 8, 9 and train 1..8 -> 9, 10
    expected = np.mean([200 * 1 / 15, 200 * 2 / 16, 200 * 1 / 17, 200 * 2 / 18])
    assert m.loc["naive", "sMAPE"] == pytest.approx(expected)
    assert m.loc["naive", "forecasts"] == 4
    assert set(res.metrics.columns) >= {"MSIS-95", "cov-80", "cov-95"}


def test_backtest_command(tmp_path: Path) -> None:
    path = tmp_path / "hist.csv"
    pd.DataFrame({"year": np.arange(2000, 2016), "value": 10 * 1.1 ** np.arange(16)}).to_csv(
        path, index=False
    )
    res = call_main("backtest", path, "--h", "3", "--windows", "2", "--json")
    assert res.code == 0, res.err
    payload = json.loads(res.out)
    assert [r["model"] for r in payload["metrics"]][:2] == ["naive", "drift"]
    text = call_main("backtest", path, "--h", "3", "--models", "auto,theta")
    assert text.code == 0 and "auto" in text.out and "MASE" in text.out
    bad = call_main("backtest", path, "--models", "thetta")
    assert bad.code == 2 and "did you mean 'theta'" in bad.err


def test_info_in_attrs_is_shared_not_copied() -> None:
    """pandas deep-copies attrs on nearly every operation; the info records copy as themselves
    (20k series: about 40x faster everyday operations) and still read as a list of records."""
    import copy

    fc = forecast.forecast_frame(_awkward(), 3)
    info = fc.attrs["info"]
    assert isinstance(info, forecast.stats.InfoRecords)
    assert fc.head().attrs["info"] is info and fc[fc["mean"] > 0].attrs["info"] is info
    assert copy.deepcopy(info) is info
    frame = pd.DataFrame(info)
    pd.testing.assert_frame_equal(frame, info.to_frame())
    pd.testing.assert_frame_equal(frame, forecast_batch(_awkward(), 3).info)
    assert json.loads(json.dumps(info))[0] == dict(info[0])
    with pytest.raises(TypeError, match="read-only"):
        info[0]["reason"] = "changed"


def test_median_column_on_request() -> None:
    out = forecast_batch(_good("a", n=20), 4, median=True).frame
    assert list(out.columns) == [*COLUMNS[:3], "median", *COLUMNS[3:]]
    assert ((out["lo-80"] <= out["median"]) & (out["median"] <= out["hi-80"])).all()
    assert list(forecast_batch(_good("a", n=20), 4).frame.columns) == COLUMNS
