"""``auto`` on random strictly positive series: intervals on the log scale, positive and never
clipped to zero, nested around the point forecast, the same from the batch and the single-series
API (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast.stats import Auto
from forecast.stats.log_intervals import SOURCE

from .conftest import examples

COLS = ["lo-95", "lo-80", "mean", "hi-80", "hi-95"]


@st.composite
def positive_series(draw: st.DrawFn) -> np.ndarray:
    """A log random walk: 3 to 40 points, drift -30% to +60% a year, volatility 0 to 0.8,
    magnitudes 1e-6 to 1e15."""
    n = draw(st.integers(3, 40))
    drift = draw(st.floats(-0.3, 0.6))
    vol = draw(st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.8]))
    scale = draw(st.sampled_from([1e-6, 1.0, 390.9, 1e15]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    steps = drift + vol * rng.standard_normal(n - 1)
    return np.asarray(scale * np.exp(np.concatenate([[0.0], np.cumsum(steps)])), dtype=float)


@settings(max_examples=examples(0.5))
@given(y=positive_series(), h=st.integers(1, 15))
def test_positive_series_get_positive_unclipped_log_intervals(y: np.ndarray, h: int) -> None:
    df = pd.DataFrame({"unique_id": "s", "ds": np.arange(2000, 2000 + len(y)), "y": y})
    fc = forecast.forecast_frame(df, h)
    (info,) = fc.attrs["info"]
    values = fc[COLS].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    if info["intervals"] != SOURCE:  # only a forecast that is not positive keeps level scale
        assert "intervals on the level scale" in info["reason"]
        assert (fc["mean"] == 0).any()  # the point forecast reached zero (clipped there)
        return
    assert (values > 0).all(), fc  # never clipped to zero
    assert (values[:, :-1] <= values[:, 1:] * (1 + 1e-12)).all(), fc
    single = Auto().fit(np.arange(2000, 2000 + len(y)), y).forecast(h)
    np.testing.assert_allclose(single[COLS].to_numpy(dtype=float), values, rtol=1e-9)
