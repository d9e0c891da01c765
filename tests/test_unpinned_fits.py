"""Growth fits on histories that do not pin the curve down: the fit converges to a bound and
says so, or names the parameters that keep drifting."""

from __future__ import annotations

import numpy as np
import pytest

import forecast
from forecast import FitError, GrowthModel
from forecast.models import fit as fit_module

YEARS = np.arange(2015, 2026, dtype=float)
EXPONENTIAL = 62.35 * 1.45 ** (YEARS - 2015)  # no sign of saturation at all


def test_logistic_on_pure_exponential_growth_reaches_its_bound() -> None:
    """Every start used up its evaluations crawling along the K/t_mid ridge and the fit raised
    "did not converge"; now one long run from the best start reaches K's upper bound, which
    ``at_bounds`` and ``params_frame`` report."""
    fit = GrowthModel("logistic").fit(YEARS, EXPONENTIAL)
    assert fit.at_bounds == ("K",)
    frame = fit.params_frame().set_index("param")
    assert bool(frame.loc["K", "at_bound"]) and not bool(frame.loc["r", "at_bound"])
    assert fit.params["K"] == pytest.approx(fit.upper[0])
    assert fit.params["r"] == pytest.approx(np.log(1.45), rel=1e-3)  # the growth rate is found
    point = fit.predict(np.arange(2025, 2226, dtype=float))
    assert np.isfinite(point).all() and point[-1] == pytest.approx(fit.params["K"], rel=1e-6)


def test_drifting_parameters_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fit_module, "_POLISH_NFEV", 1)  # the long run stalls too
    with pytest.raises(FitError) as info:
        GrowthModel("logistic").fit(YEARS, EXPONENTIAL)
    text = str(info.value)
    assert text.startswith("logistic: the least-squares fit did not converge: parameters ")
    assert "keep drifting" in text and "got no solution after" in text
    assert "K" in text.split("keep drifting")[0]


def test_converging_fits_are_unchanged() -> None:
    """The published example history still fits in the ordinary way (no polishing run)."""
    fit = GrowthModel("logistic").fit(
        [2020, 2022, 2024, 2025],
        [62.35, 136.55, 279.22, 390.9],
        anchors=[forecast.Anchor(2030, 1570.0, source="unsourced claim")],
    )
    assert fit.at_bounds == ()
    assert fit.predict([2030])[0] == pytest.approx(1570.0)
