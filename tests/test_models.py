"""Growth models against references: a published fit, closed forms, synthetic round trips,
interval coverage, and one contract suite run over every registered family."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from forecast import FAMILIES, Anchor, FitError, ForecastError, GrowthModel, cagr
from forecast.models.curves import bass_density, bass_fraction

# ----------------------------------------------------------------------------------------------
# Published reference: the 10-point Bass example (../shared/data/reference_fits.md)
# ----------------------------------------------------------------------------------------------

BASS_T = np.arange(1, 11, dtype=float)
BASS_SALES = np.array([840, 1470, 2110, 4000, 7590, 10950, 10530, 9470, 7790, 5890], dtype=float)


def test_bass_density_fit_reproduces_published_nls_example() -> None:
    fit = GrowthModel("bass_sales", error="additive", fixed={"launch": 0.0}).fit(BASS_T, BASS_SALES)
    p, se = fit.params, fit.se
    # R nls / scipy curve_fit: M = 67980.9 (3127.5), p = 0.0065940 (0.0014303),
    # q = 0.638091 (0.041396), residual standard error 727.19 on 7 df
    assert p["M"] == pytest.approx(67980.9, rel=1e-5)
    assert p["p"] == pytest.approx(0.0065940, rel=1e-4)
    assert p["q"] == pytest.approx(0.638091, rel=1e-5)
    assert se["M"] == pytest.approx(3127.5, rel=1e-3)
    assert se["p"] == pytest.approx(0.0014303, rel=1e-3)
    assert se["q"] == pytest.approx(0.041396, rel=1e-3)
    assert fit.sigma == pytest.approx(727.19, rel=1e-4)
    assert fit.dof == 7
    assert math.isnan(se["launch"])
    # peak of the density: ln(q/p)/(p+q)
    assert fit.inflection_year == pytest.approx(math.log(p["q"] / p["p"]) / (p["p"] + p["q"]))


def test_bass_cumulative_form_differs_from_density_form_on_same_data() -> None:
    """The reference warns that the discrete/cumulative form gives other numbers: make sure the
    two forms are really different models, not aliases."""
    theta = np.array([1000.0, 0.03, 0.38, 0.0])
    dens = FAMILIES["bass_sales"](BASS_T, theta, 0.0)
    cum = FAMILIES["bass"](BASS_T, theta, 0.0)
    assert not np.allclose(dens, cum)
    # the cumulative form is the integral of the density
    fine = np.linspace(0, 10, 20001)
    integral = np.trapezoid(FAMILIES["bass_sales"](fine, theta, 0.0), fine)
    assert integral == pytest.approx(cum[-1], rel=1e-6)


# ----------------------------------------------------------------------------------------------
# Closed forms
# ----------------------------------------------------------------------------------------------


def test_cagr_reference_value() -> None:
    assert cagr(279.22, 1570.0, 6) == pytest.approx(0.3335, abs=5e-5)
    with pytest.raises(FitError, match="positive"):
        cagr(0.0, 1.0, 2)
    with pytest.raises(FitError, match="non-zero"):
        cagr(1.0, 2.0, 0)


def test_logistic_closed_forms() -> None:
    k, r, tm = 3000.0, 0.4, 2029.0
    f = FAMILIES["logistic"]
    theta = np.array([k, r, tm])
    assert f(np.array([tm]), theta, 0.0)[0] == pytest.approx(k / 2)
    # Fisher-Pry: ln(F / (1 - F)) is linear in t with slope r
    t = np.linspace(2010, 2050, 9)
    frac = f(t, theta, 0.0) / k
    slope = np.diff(np.log(frac / (1 - frac))) / np.diff(t)
    assert np.allclose(slope, r)
    # 10% -> 90% takeover time is ln(81)/r
    t10 = tm + math.log(1 / 9) / r
    t90 = tm + math.log(9) / r
    assert f(np.array([t10, t90]), theta, 0.0) / k == pytest.approx([0.1, 0.9])
    assert t90 - t10 == pytest.approx(math.log(81) / r)


def test_gompertz_inflection_value_is_k_over_e() -> None:
    k, c, tm = 500.0, 0.3, 2030.0
    f = FAMILIES["gompertz"]
    theta = np.array([k, c, tm])
    assert f(np.array([tm]), theta, 0.0)[0] == pytest.approx(k / math.e)
    # second difference changes sign at the inflection
    h = 1e-3
    ts = np.array([tm - 1, tm - h, tm, tm + h, tm + 1])
    y = f(ts, theta, 0.0)
    assert (y[0] - 2 * f(np.array([tm - 1 + h]), theta, 0.0)[0] + y[0]) == pytest.approx(0, abs=1)
    left = f(np.array([tm - 2, tm - 1, tm]), theta, 0.0)
    right = f(np.array([tm, tm + 1, tm + 2]), theta, 0.0)
    assert left[2] - 2 * left[1] + left[0] > 0 > right[2] - 2 * right[1] + right[0]


def test_bass_closed_forms() -> None:
    p, q = 0.03, 0.38
    tau = np.linspace(0.0, 40.0, 400001)
    frac = bass_fraction(tau, np.array(p), np.array(q))
    dens = bass_density(tau, np.array(p), np.array(q))
    # f = (p + q F)(1 - F)
    assert np.allclose(dens, (p + q * frac) * (1 - frac))
    # density is the derivative of F
    assert np.allclose(np.gradient(frac, tau), dens, atol=1e-6)
    # the peak is at ln(q/p)/(p+q)
    assert tau[np.argmax(dens)] == pytest.approx(math.log(q / p) / (p + q), abs=1e-3)
    # nothing before launch
    assert bass_fraction(np.array([-3.0]), np.array(p), np.array(q))[0] == 0.0
    assert bass_density(np.array([-3.0]), np.array(p), np.array(q))[0] == 0.0


def test_exponential_is_constant_cagr() -> None:
    theta = np.array([100.0, 0.25])
    y = FAMILIES["exponential"](np.arange(2020, 2031, dtype=float), theta, 2020.0)
    assert y[0] == pytest.approx(100.0)
    assert np.allclose(y[1:] / y[:-1], 1.25)


TYPICAL_THETA = {
    "exponential": [300.0, 0.3],
    "linear": [300.0, 40.0],
    "logistic": [3000.0, 0.4, 2029.0],
    "gompertz": [3000.0, 0.2, 2032.0],
    "bass": [3000.0, 0.01, 0.5, 2008.0],
    "bass_sales": [3000.0, 0.01, 0.5, 2008.0],
}
# multipliers that make every curve steep enough to overflow a naive exp() far from 2025
STEEPER = {
    "exponential": [1.0, 2.0],
    "linear": [1.0, 1.0],
    "logistic": [1.0, 8.0, 1.0],
    "gompertz": [1.0, 15.0, 1.0],
    "bass": [1.0, 1.0, 2.0, 1.0],
    "bass_sales": [1.0, 1.0, 2.0, 1.0],
}


def test_curves_stay_finite_on_far_horizons() -> None:
    t = np.array([1000.0, 2030.0, 5000.0])
    for fam in FAMILIES.values():
        steep = np.array(TYPICAL_THETA[fam.name]) * np.array(STEEPER[fam.name])
        y = fam(t, steep, 2025.0)
        assert np.all(np.isfinite(y)), fam.name


def test_vectorised_curves_match_a_plain_loop() -> None:
    """Fast path (one call over many parameter vectors) against its slow twin."""
    rng = np.random.default_rng(7)
    t = np.arange(2015, 2041, dtype=float)
    base = TYPICAL_THETA
    for name, fam in FAMILIES.items():
        theta = np.array(base[name]) * (1 + 0.05 * rng.standard_normal((50, len(base[name]))))
        fast = fam(t, theta, 2025.0)
        slow = np.array([[fam(np.array([ti]), th, 2025.0)[0] for ti in t] for th in theta])
        np.testing.assert_allclose(fast, slow, rtol=1e-12, err_msg=name)


# ----------------------------------------------------------------------------------------------
# Synthetic round trips: generate, add noise, refit, recover
# ----------------------------------------------------------------------------------------------

TRUTH = {
    "exponential": ({"y0": 400.0, "cagr": 0.3}, {}),
    "linear": ({"level": 1500.0, "slope": 60.0}, {}),
    "logistic": ({"K": 3000.0, "r": 0.35, "t_mid": 2028.0}, {}),
    "gompertz": ({"K": 5000.0, "c": 0.15, "t_mid": 2030.0}, {}),
    "bass": ({"M": 3000.0, "p": 0.004, "q": 0.45, "launch": 2005.0}, {"launch": 2005.0}),
    "bass_sales": ({"M": 5000.0, "p": 0.01, "q": 0.5, "launch": 2000.0}, {"launch": 2000.0}),
}


def _synthetic(name: str, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    truth, _ = TRUTH[name]
    fam = FAMILIES[name]
    t = np.arange(2006, 2026, dtype=float)
    clean = fam(t, np.array([truth[p] for p in fam.params]), 2025.0)
    rng = np.random.default_rng(seed)
    return t, clean * np.exp(noise * rng.standard_normal(len(t)))


@pytest.mark.parametrize("name", list(TRUTH))
def test_round_trip_recovers_parameters(name: str) -> None:
    truth, fixed = TRUTH[name]
    t, y = _synthetic(name, noise=0.02, seed=11)
    fit = GrowthModel(name, fixed=fixed).fit(t, y)
    for param, true_value in truth.items():
        if param in fixed:
            assert fit.params[param] == true_value
            continue
        est, se = fit.params[param], fit.se[param]
        # within 4 standard errors and within 15% (the series is 20 points with 2% noise)
        assert abs(est - true_value) <= 4 * se, (param, est, se, true_value)
        assert est == pytest.approx(true_value, rel=0.15), param
    assert fit.sigma == pytest.approx(0.02, rel=0.5)


@pytest.mark.parametrize("name", list(TRUTH))
def test_exact_data_is_fitted_exactly(name: str) -> None:
    _, fixed = TRUTH[name]
    t, y = _synthetic(name, noise=0.0, seed=0)
    fit = GrowthModel(name, fixed=fixed).fit(t, y)
    np.testing.assert_allclose(fit.predict(t), y, rtol=1e-6)


def test_estimating_the_bass_launch_year_too() -> None:
    t, y = _synthetic("bass", noise=0.01, seed=3)
    fit = GrowthModel("bass").fit(t, y)
    assert fit.params["launch"] == pytest.approx(2005.0, abs=1.5)
    assert fit.params["M"] == pytest.approx(3000.0, rel=0.2)


# ----------------------------------------------------------------------------------------------
# Anchors
# ----------------------------------------------------------------------------------------------

GVR_YEARS = [2020, 2022, 2024, 2025]
GVR_VALUES = [62.35, 136.55, 279.22, 390.90]


@pytest.mark.parametrize("name", ["exponential", "linear", "logistic", "gompertz", "bass"])
def test_hard_anchor_is_met_exactly(name: str) -> None:
    fit = GrowthModel(name).fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0, source="claim")])
    assert fit.predict([2030])[0] == pytest.approx(1570.0, rel=1e-9)
    assert fit.anchor_misses()[0] == pytest.approx(0.0, abs=1e-9)


def test_default_scenario_numbers_are_stable() -> None:
    """The logistic through the $1.57T claim: K about $3.09T, inflection about 2029.9."""
    fit = GrowthModel("logistic").fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0)])
    assert fit.params["K"] == pytest.approx(3092.1, rel=1e-3)
    assert fit.params["t_mid"] == pytest.approx(2029.92, abs=0.01)
    assert fit.implied_cagr(2025, 2030) == pytest.approx(
        (1570.0 / fit.predict([2025])[0]) ** (1 / 5) - 1
    )
    assert fit.dof == 2  # 4 points - 3 parameters + 1 hard anchor


def test_soft_anchor_pull_grows_as_tolerance_shrinks() -> None:
    misses = []
    for tol in (1.0, 0.3, 0.1, 0.01):
        fit = GrowthModel("logistic").fit(
            GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0, kind="soft", tolerance=tol)]
        )
        misses.append(abs(fit.anchor_misses()[0]))
    assert misses == sorted(misses, reverse=True)
    assert misses[-1] < 0.02


def test_two_hard_anchors() -> None:
    fit = GrowthModel("logistic").fit(
        GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0), Anchor(2035, 2500.0)]
    )
    assert fit.predict([2030, 2035]) == pytest.approx([1570.0, 2500.0], rel=1e-4)


def test_unreachable_hard_anchor_is_an_error() -> None:
    model = GrowthModel("logistic", bounds={"K": (400.0, 1000.0)})
    with pytest.raises(FitError, match="hard anchor"):
        model.fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0)])


def test_anchors_alone_determine_a_curve() -> None:
    fit = GrowthModel("exponential").fit([], [], [Anchor(2024, 279.22), Anchor(2030, 1570.0)])
    assert fit.params["cagr"] == pytest.approx(cagr(279.22, 1570.0, 6), rel=1e-6)
    assert not fit.intervals_available


# ----------------------------------------------------------------------------------------------
# Bad input and identifiability
# ----------------------------------------------------------------------------------------------


def test_too_little_data_names_the_fewest_points() -> None:
    with pytest.raises(FitError, match=r"at least 3 points.*got 2"):
        GrowthModel("logistic").fit([2020, 2021], [1.0, 2.0])
    with pytest.raises(FitError, match=r"at least 4 points"):
        GrowthModel("bass").fit([2020, 2021, 2022], [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    ("years", "values", "match"),
    [
        ([2020, 2020], [1.0, 2.0], "strictly increasing"),
        ([2021, 2020], [1.0, 2.0], "strictly increasing"),
        ([2020, 2021], [1.0, float("nan")], "finite"),
        ([2020, 2021], [1.0, -2.0], "positive"),
        ([2020, 2021, 2022], [1.0, 2.0], "equal length"),
    ],
)
def test_bad_series(years: list[float], values: list[float], match: str) -> None:
    with pytest.raises(FitError, match=match):
        GrowthModel("exponential").fit(years, values)


def test_bad_model_spec() -> None:
    with pytest.raises(FitError, match="must be one of"):
        GrowthModel("logistc")
    with pytest.raises(FitError, match="has parameters"):
        GrowthModel("logistic", fixed={"M": 1.0})
    with pytest.raises(FitError, match="low must not exceed high"):
        GrowthModel("logistic", bounds={"K": (2.0, 1.0)})


def test_parameter_on_a_bound_is_reported() -> None:
    fit = GrowthModel("logistic", bounds={"K": (500.0, 800.0)}).fit(GVR_YEARS, GVR_VALUES)
    assert "K" in fit.at_bounds
    lo, hi = fit.conf_int()["K"]
    assert 500.0 <= lo <= hi <= 800.0


def test_wald_intervals_use_students_t_quantile() -> None:
    """conf_int's quantile (scipy.special.stdtrit, which spares the fit scipy.stats' import) is
    scipy.stats.t.ppf to the bit, and the interval is estimate +- that quantile times the se."""
    from scipy import special, stats

    for dof in [*range(1, 200), 1_000, 10**6]:
        for level in (50.0, 80.0, 90.0, 95.0, 99.0, 99.9):
            p = 0.5 + level / 200
            assert float(special.stdtrit(dof, p)) == float(stats.t.ppf(p, dof))
    fit = GrowthModel("exponential").fit(GVR_YEARS, GVR_VALUES)
    q = float(stats.t.ppf(0.95, fit.dof))
    lo, hi = fit.conf_int(90.0)["cagr"]
    assert (lo, hi) == pytest.approx(
        (fit.params["cagr"] - q * fit.se["cagr"], fit.params["cagr"] + q * fit.se["cagr"])
    )


# ----------------------------------------------------------------------------------------------
# Contract: every registered family
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FAMILIES))
def test_model_contract(name: str) -> None:
    _, fixed = TRUTH[name]
    t, y = _synthetic(name, noise=0.03, seed=5)
    model = GrowthModel(name, fixed=fixed)
    fit = model.fit(t, y)
    # immutable result
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.sigma = 0.0  # type: ignore[misc]
    # shapes and finiteness
    years = np.arange(2025, 2036)
    assert fit.predict(years).shape == (len(years),)
    assert np.all(np.isfinite(fit.predict(years)))
    assert set(fit.params) == set(FAMILIES[name].params)
    frame = fit.forecast(years, level=(95, 80, 50), draws=500, seed=3)
    assert list(frame.columns) == [
        "year",
        "mean",
        "median",
        "lo-50",
        "hi-50",
        "lo-80",
        "hi-80",
        "lo-95",
        "hi-95",
    ]
    # the point forecast lies inside the widest interval; intervals nest around the median
    assert np.all((frame["lo-95"] <= frame["mean"]) & (frame["mean"] <= frame["hi-95"]))
    assert np.all(frame["lo-95"] <= frame["lo-80"])
    assert np.all(frame["lo-80"] <= frame["lo-50"])
    assert np.all(frame["lo-50"] <= frame["median"])
    assert np.all(frame["median"] <= frame["hi-50"])
    assert np.all(frame["hi-50"] <= frame["hi-80"])
    assert np.all(frame["hi-80"] <= frame["hi-95"])
    # deterministic: same seed, same numbers; other seed, other draws
    again = fit.forecast(years, level=(95, 80, 50), draws=500, seed=3)
    assert frame.equals(again)
    other = fit.forecast(years, level=(95, 80, 50), draws=500, seed=4)
    assert not frame.equals(other)
    # refit reproduces
    refit = model.fit(t, y)
    assert refit.params == fit.params
    # parameter table
    table = fit.params_frame()
    assert list(table["param"]) == list(FAMILIES[name].params)
    assert table.loc[~table["fixed"], "se"].gt(0).all()
    # levels outside (0, 100) are refused
    with pytest.raises(ForecastError, match="between 0 and 100"):
        fit.forecast(years, level=(100,))


def test_hard_anchor_holds_in_every_bootstrap_draw() -> None:
    fit = GrowthModel("logistic").fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0)])
    paths = fit.simulate([2030], draws=2000, seed=1, noise=False)
    np.testing.assert_allclose(paths[:, 0], 1570.0, rtol=1e-9)


# ----------------------------------------------------------------------------------------------
# Interval claims are checked by coverage
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reps"), [("exponential", 300), ("logistic", 120)])
def test_prediction_intervals_cover_at_nominal_rates(name: str, reps: int) -> None:
    """Fit noisy synthetic histories, project three years ahead, and count how often the true
    (noisy) future values fall inside the 80% and 95% intervals."""
    fam = FAMILIES[name]
    truth = {"exponential": [300.0, 0.25], "logistic": [3000.0, 0.35, 2027.0]}[name]
    t = np.arange(2010, 2026, dtype=float)
    future = np.arange(2026, 2029, dtype=float)
    rng = np.random.default_rng(2024)
    sigma = 0.05
    hits = {80: 0, 95: 0}
    total = 0
    for rep in range(reps):
        clean = fam(np.concatenate([t, future]), np.array(truth), 2025.0)
        noisy = clean * np.exp(sigma * rng.standard_normal(len(clean)))
        fit = GrowthModel(name).fit(t, noisy[: len(t)])
        frame = fit.forecast(future, level=(80, 95), draws=1000, seed=rep, start="fitted")
        actual = noisy[len(t) :]
        for level in (80, 95):
            inside = (frame[f"lo-{level}"] <= actual) & (actual <= frame[f"hi-{level}"])
            hits[level] += int(inside.sum())
        total += len(future)
    cov80, cov95 = hits[80] / total, hits[95] / total
    # binomial standard error at these sample sizes is about 1.3-2.1 points; allow ~3 SE
    assert 0.74 <= cov80 <= 0.87, cov80
    assert 0.91 <= cov95 <= 0.985, cov95


def test_unidentified_parameters_are_drawn_with_the_stated_prior() -> None:
    """Four points cannot pin down four Bass parameters: they are drawn with the stated prior
    (normal, centred at the estimate, a factor e on the log scale or 10 years), never held, and
    the draws stay inside the bounds (issue 12)."""
    from forecast.models.simulate import PRIOR_SD_LOG, draw_params, prior_params

    fit = GrowthModel("bass_sales").fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0)])
    assert set(fit.unidentified) >= {"p", "q"}
    assert set(prior_params(fit)) >= {"p", "q"} and "M" not in prior_params(fit)  # M is solved
    theta, _ = draw_params(fit, 4000, 1)
    i = fit.family.params.index("p")
    assert np.all((theta >= fit.lower) & (theta <= fit.upper))
    # the prior's spread (times the fit's multivariate-t factor on 1 degree of freedom), not
    # the fit's astronomical standard error
    assert fit.se["p"] / fit.params["p"] > 1e6
    spread = np.median(np.abs(np.log(theta[:, i] / fit.params["p"])))
    assert 0.2 < spread < 2 * PRIOR_SD_LOG
    frame = fit.forecast([2030, 2035], draws=1000, seed=1)
    assert np.isfinite(frame[["lo-95", "hi-95"]].to_numpy()).all()
    identified = GrowthModel("logistic").fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0)])
    assert identified.unidentified == ()


def test_a_covariance_that_is_not_finite_refuses_intervals() -> None:
    from forecast.models.simulate import draw_params

    fit = GrowthModel("logistic").fit(GVR_YEARS, GVR_VALUES, [Anchor(2030, 1570.0)])
    broken = dataclasses.replace(fit, cov=np.full_like(fit.cov, np.nan))
    with pytest.raises(FitError, match="covariance of K, r, t_mid is not finite"):
        draw_params(broken, 10, 1)


def test_intervals_stay_calibrated_with_few_degrees_of_freedom() -> None:
    """Five points, two parameters: plug-in draws would cover about 74%/89%; the
    multivariate-t draws should be close to nominal."""
    rng = np.random.default_rng(99)
    hits = {80: 0, 95: 0}
    reps = 400
    for rep in range(reps):
        t = np.arange(2000, 2006, dtype=float)
        y = 100 * 1.2 ** (t - 2000) * np.exp(0.1 * rng.standard_normal(len(t)))
        fit = GrowthModel("exponential").fit(t[:5], y[:5])
        # independent noise around the curve: the model of start = "fitted"
        frame = fit.forecast([2005.0], level=(80, 95), draws=2000, seed=rep, start="fitted")
        for level in (80, 95):
            hits[level] += int(frame[f"lo-{level}"][0] <= y[5] <= frame[f"hi-{level}"][0])
    assert 0.74 <= hits[80] / reps <= 0.86, hits
    assert 0.915 <= hits[95] / reps <= 0.98, hits


def test_point_forecast_inside_intervals_for_a_wide_logistic() -> None:
    """Review case: a logistic whose saturation level is loosely determined used to get
    intervals below its own point forecast (normal draws of K clipped at the lower bound)."""
    years = np.arange(2012, 2022, dtype=float)
    truth = np.array([1000.0, 0.35, 2022.0])
    rng = np.random.default_rng(8)
    values = FAMILIES["logistic"](years, truth, 0.0) * np.exp(0.08 * rng.standard_normal(10))
    fit = GrowthModel("logistic").fit(years, values)
    assert fit.unidentified == ()
    assert fit.se["K"] / fit.params["K"] > 0.2  # loosely determined, the case that mattered
    frame = fit.forecast(np.arange(2021, 2032, dtype=float), level=(80, 95), draws=4000, seed=1)
    assert np.all(frame["lo-95"] <= frame["mean"]) and np.all(frame["mean"] <= frame["hi-95"])
    assert np.all(frame["lo-80"] <= frame["median"]) and np.all(frame["median"] <= frame["hi-80"])
    # the last history year's interval covers the value observed there
    assert frame["lo-95"][0] <= values[-1] <= frame["hi-95"][0]


def test_forecast_takes_level_and_still_the_old_name() -> None:
    years = np.arange(2015, 2024, dtype=float)
    noise = np.exp(np.random.default_rng(0).normal(0, 0.02, len(years)))
    fit = GrowthModel("exponential").fit(years, 10 * 1.2 ** (years - 2015) * noise)
    new = fit.forecast([2026, 2030], level=(80,), draws=200, seed=1)
    with pytest.warns(DeprecationWarning, match="level="):
        old = fit.forecast([2026, 2030], levels=(80,), draws=200, seed=1)
    pd.testing.assert_frame_equal(new, old)
