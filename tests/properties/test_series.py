"""Awkward series through every registered statistical model, ``auto`` and the growth families.

Series have 0 to 200 points, zeros, negatives, NaN gaps, constant runs and magnitudes from 1e-6
to 1e15. The only outcomes are finite forecasts with nested intervals that contain the point
forecast (80% inside 95%), or a :class:`~forecast.errors.ForecastError` with a one-line message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast import STATS_MODELS, FitError, ForecastError, GrowthModel
from forecast.models import FAMILIES

from .conftest import examples

SLOW = ("arima", "ets")  # statsmodels fits, at every rolling origin: seconds per series
FAST = sorted(set(STATS_MODELS) - set(SLOW))
MAGNITUDES = st.sampled_from([1e-6, 1e-3, 1.0, 62.35, 1e3, 1e6, 1e9, 1e12, 1e15])
SHAPES = ("walk", "growth", "constant", "zeros", "alternating", "noise", "spike")


@st.composite
def series(draw: st.DrawFn, max_len: int = 200, gaps: bool = True) -> np.ndarray:
    """A yearly series: a shape times a magnitude, with optional zeros, sign flips, NaN gaps
    and constant runs spliced in."""
    n = draw(st.one_of(st.integers(0, 8), st.integers(0, max_len)))
    scale = draw(MAGNITUDES)
    shape = draw(st.sampled_from(SHAPES))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    if shape == "walk":
        y = 1 + np.cumsum(rng.normal(0, 0.1, n))
    elif shape == "growth":
        y = np.exp(draw(st.floats(-0.5, 0.8)) * t / max(1, n) * 10)
    elif shape == "constant":
        y = np.ones(n)
    elif shape == "zeros":
        y = np.zeros(n)
    elif shape == "alternating":
        y = np.where(t % 2 == 0, 1.0, -1.0)
    elif shape == "noise":
        y = rng.lognormal(0, 1, n)
    else:
        y = np.ones(n)
        if n:
            y[rng.integers(n)] = 1e6
    y = y * scale
    if n and draw(st.booleans()):  # splice in zeros, negatives or a constant run
        i, j = sorted(draw(st.lists(st.integers(0, n), min_size=2, max_size=2)))
        y[i:j] = draw(st.sampled_from([0.0, -scale, y[i] if i < n else scale]))
    if gaps and n and draw(st.booleans()):
        holes = draw(st.lists(st.integers(0, n - 1), max_size=max(1, n // 3)))
        y[holes] = np.nan
    return y


def long_frame(batch: list[np.ndarray], start: int) -> pd.DataFrame:
    rows = [
        (f"s{k}", start + i, v) for k, ys in enumerate(batch) for i, v in enumerate(ys.tolist())
    ]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"]).astype({"ds": "int64"})


def assert_one_line(exc: BaseException) -> None:
    text = str(exc)
    assert text and len(text.splitlines()) == 1, text


def assert_forecast_sane(frame: pd.DataFrame, point: str = "mean") -> None:
    """Finite, 80% inside 95%, the point forecast inside both."""
    cols = ["lo-95", "lo-80", point, "hi-80", "hi-95"]
    values = frame[cols].to_numpy(dtype=float)
    assert np.isfinite(values).all(), frame[~np.isfinite(values).all(axis=1)]
    ordered = values[:, :-1] <= values[:, 1:] * (1 + 1e-12) + 1e-300
    assert ordered.all(), frame[~ordered.all(axis=1)][cols]


@settings(max_examples=examples(1.0))
@given(
    model=st.sampled_from(FAST),
    batch=st.lists(series(), min_size=1, max_size=3),
    h=st.integers(1, 12),
    start=st.sampled_from([1, 1990, 2020]),
)
def test_stats_models_give_finite_nested_forecasts_or_a_clear_error(
    model: str, batch: list[np.ndarray], h: int, start: int
) -> None:
    check_batch(model, batch, h, start)


@settings(max_examples=examples(0.05))
@given(
    model=st.sampled_from(SLOW),
    batch=st.lists(series(max_len=12), min_size=1, max_size=1),
    h=st.integers(1, 6),
)
def test_statsmodels_models_give_finite_nested_forecasts_or_a_clear_error(
    model: str, batch: list[np.ndarray], h: int
) -> None:
    check_batch(model, batch, h, 2000)


def check_batch(model: str, batch: list[np.ndarray], h: int, start: int) -> None:
    df = long_frame(batch, start)
    try:
        out = forecast.forecast_frame(df, h=h, level=(80, 95), model=model)
    except ForecastError as exc:
        assert_one_line(exc)
        # only a frame without a single finite value may be refused as a whole
        assert not np.isfinite(df["y"].to_numpy(dtype=float)).any(), exc
        return
    assert_forecast_sane(out)
    info = pd.DataFrame(out.attrs["info"])
    assert len(info) == sum(len(b) > 0 for b in batch)  # an empty series has no rows at all
    usable = [k for k, b in enumerate(batch) if np.isfinite(b).any()]
    assert sorted(out["unique_id"].unique()) == sorted(f"s{k}" for k in usable)
    assert (out.groupby("unique_id").size() == h).all()


@settings(max_examples=examples(0.5))
@given(model=st.sampled_from(sorted(STATS_MODELS)), values=series(max_len=30, gaps=False))
def test_stats_fit_refuses_or_forecasts_finite_values(model: str, values: np.ndarray) -> None:
    """The single-series API: ``StatsModel.fit`` on a history without gaps."""
    spec = STATS_MODELS[model]()
    try:
        fit = spec.fit(np.arange(2000, 2000 + len(values)), values)
    except ForecastError as exc:
        assert_one_line(exc)
        return
    assert np.isfinite(fit.stored).all()


def _positive(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values) & (values > 0)]


@settings(max_examples=examples(0.25))
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    error=st.sampled_from(["multiplicative", "additive"]),
    values=series(max_len=25, gaps=False),
    horizon=st.sampled_from([5, 50, 200]),
    anchor=st.one_of(st.none(), st.floats(0.5, 20.0)),
)
def test_growth_families_fit_or_refuse_and_project_finite_values(
    family: str, error: str, values: np.ndarray, horizon: int, anchor: float | None
) -> None:
    """Every growth family, with and without a hard anchor, projected up to 200 years out:
    finite point forecasts (overflow-safe curves), nested intervals or none, or a FitError."""
    values = _positive(values) if error == "multiplicative" else values[np.isfinite(values)]
    years = np.arange(2000, 2000 + len(values), dtype=float)
    anchors = []
    if anchor is not None and len(values):
        top = float(np.max(np.abs(values))) or 1.0
        anchors = [forecast.Anchor(int(years[-1]) + 5, top * anchor, source="test")]
    try:
        fit = GrowthModel(family, error=error).fit(years, values, anchors)  # type: ignore[arg-type]
        last = years[-1] if len(years) else 2005
        grid = np.arange(last, last + horizon + 1)
        frame = fit.forecast(grid, level=(80, 95), draws=200, seed=1)
    except FitError as exc:
        assert_one_line(exc)
        return
    except ForecastError as exc:  # e.g. parameters not identified: still a user-facing error
        assert_one_line(exc)
        return
    assert np.isfinite(frame["mean"]).all(), frame
    if fit.intervals_available and frame[["lo-80", "hi-95"]].notna().all().all():
        assert_forecast_sane(frame, point="median")
    hits = fit.params_frame()["at_bound"]
    assert set(fit.params_frame().loc[hits, "param"]) == set(fit.at_bounds)


@pytest.mark.parametrize(
    ("family", "error"),
    [
        ("exponential", "multiplicative"),
        ("linear", "additive"),
        ("logistic", "multiplicative"),
        ("gompertz", "multiplicative"),
        ("bass", "multiplicative"),
    ],
)
def test_large_horizons_stay_finite(family: str, error: str) -> None:
    """Fast growth without a sign of saturation, projected 200 years: the fit converges (a
    saturation level that runs to its bound is reported in ``at_bounds``) and the overflow-safe
    curves stay finite. Before the long polishing run in ``_solve``, logistic raised "did not
    converge" here."""
    years = np.arange(2015, 2026, dtype=float)
    values = 62.35 * 1.45 ** (years - 2015)
    fit = GrowthModel(family, error=error).fit(years, values)  # type: ignore[arg-type]
    with np.errstate(over="raise", invalid="raise"):
        point = fit.predict(np.arange(2025, 2226, dtype=float))
    assert np.isfinite(point).all()
    frame = fit.params_frame()
    assert set(frame.loc[frame["at_bound"], "param"]) == set(fit.at_bounds)
    if family == "logistic":
        assert fit.at_bounds == ("K",)
