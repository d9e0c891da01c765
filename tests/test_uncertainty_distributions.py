"""Distributions over assumptions: parameterisations against closed forms and scipy, validation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from forecast.errors import ForecastError, MoneyError, ScenarioError
from forecast.uncertainty import (
    Cases,
    Distribution,
    Empirical,
    Fixed,
    LogitNormal,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    parse_distribution,
)
from forecast.uncertainty.distributions import Unit

W = "scen.toml: assumptions.saturation"
QS = (0.05, 0.5, 0.95)


def parse(spec: object, unit: Unit = "number") -> Distribution:
    return parse_distribution(spec, where=W, unit=unit)


def check_against(d: Distribution, ref: Any) -> None:
    """Mean, median and 5%/95% quantiles equal a scipy frozen distribution's."""
    assert d.mean == pytest.approx(ref.mean(), rel=1e-9, abs=1e-12)
    assert d.median == pytest.approx(ref.median(), rel=1e-9, abs=1e-12)
    for q in QS:
        assert d.quantile(q) == pytest.approx(ref.ppf(q), rel=1e-9, abs=1e-12)
    u = np.linspace(0.001, 0.999, 101)
    np.testing.assert_allclose(d.ppf(u), ref.ppf(u), rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------------
# Parameterisations
# ------------------------------------------------------------------------------------------------


def test_fixed_forms() -> None:
    cases: list[tuple[object, Unit, float]] = [
        ("1.5T", "money", 1500.0),
        ({"dist": "fixed", "value": "950M"}, "money", 0.95),
        ("35.9%", "rate", 0.359),
        (0.35, "share", 0.35),
        (-2, "number", -2.0),
    ]
    for spec, unit, value in cases:
        d = parse(spec, unit)
        assert isinstance(d, Fixed) and d.is_fixed and d.kind == "fixed"
        assert d.mean == d.median == d.quantile(0.05) == value
        assert d.support == (value, value)
        np.testing.assert_array_equal(d.ppf(np.array([0.1, 0.9])), [value, value])


def test_normal_money_and_rate() -> None:
    d = parse({"dist": "normal", "mean": "300B", "sd": "30 billion USD"}, "money")
    assert isinstance(d, Normal) and d.kind == "normal" and not d.is_fixed
    check_against(d, stats.norm(300, 30))
    r = parse({"dist": "normal", "mean": "30%", "sd": "5%"}, "rate")
    check_against(r, stats.norm(0.30, 0.05))
    assert r.describe() == "Normal(mean 30%, sd 5%)"


def test_lognormal_median_sd_log() -> None:
    d = parse({"dist": "lognormal", "median": "300B", "sd_log": 0.4}, "money")
    assert isinstance(d, LogNormal)
    check_against(d, stats.lognorm(s=0.4, scale=300))
    assert d.support == (0.0, math.inf)


def test_lognormal_range_is_5_to_95() -> None:
    d = parse({"dist": "lognormal", "range": "1 to 3 trillion USD"}, "money")
    assert d.quantile(0.05) == pytest.approx(1000, rel=1e-12)
    assert d.quantile(0.95) == pytest.approx(3000, rel=1e-12)
    assert d.median == pytest.approx(math.sqrt(1000 * 3000), rel=1e-12)
    sigma = math.log(3) / (2 * stats.norm.ppf(0.95))
    check_against(d, stats.lognorm(s=sigma, scale=math.sqrt(3e6)))


def test_uniform_triangular() -> None:
    check_against(
        parse({"dist": "uniform", "min": 0.1, "max": 0.3}, "share"), stats.uniform(0.1, 0.2)
    )
    t = parse({"dist": "triangular", "min": "1T", "mode": "2T", "max": "5T"}, "money")
    assert isinstance(t, Triangular)
    assert t.mean == pytest.approx((1000 + 2000 + 5000) / 3)
    check_against(t, stats.triang(0.25, loc=1000, scale=4000))


@pytest.mark.parametrize(
    "lo, mode, hi", [(0.08, 0.105, 0.14), (0, 0, 1), (0, 1, 1), (-5, 2, 3), (1e9, 2e9, 7e9)]
)
def test_triangular_quantiles_are_scipys_to_the_bit(lo: float, mode: float, hi: float) -> None:
    """Triangular.ppf writes scipy.stats.triang.ppf's arithmetic out (so that loading and
    simulating a scenario does not import scipy.stats); the draws are the same numbers, the
    ends included, and NaN outside [0, 1] as there."""
    u = np.random.default_rng(5).random(20_000)
    u = np.concatenate([u, [0.0, 1.0, 1e-300, 1 - 1e-16, 0.5, -0.1, 1.1, np.nan]])
    ours = Triangular(lo, mode, hi).ppf(u)
    with np.errstate(invalid="ignore"):
        theirs = stats.triang.ppf(u, (mode - lo) / (hi - lo), loc=lo, scale=hi - lo)
    assert ours.dtype == np.float64
    assert np.array_equal(ours, theirs, equal_nan=True)
    assert np.isnan(ours[-3:]).all()


@pytest.mark.parametrize("lam", [4.0, 2.5])
def test_pert(lam: float) -> None:
    spec = {"dist": "pert", "min": "2T", "mode": "3T", "max": "8T"}
    if lam != 4.0:
        spec["lambda"] = lam  # type: ignore[assignment]
    d = parse(spec, "money")
    assert isinstance(d, Pert) and d.support == (2000, 8000)
    alpha, beta = 1 + lam * 1 / 6, 1 + lam * 5 / 6
    check_against(d, stats.beta(alpha, beta, loc=2000, scale=6000))
    assert d.mean == pytest.approx((2000 + lam * 3000 + 8000) / (lam + 2))
    if lam == 4.0:
        assert d.mean == pytest.approx((2000 + 4 * 3000 + 8000) / 6)
        assert d.describe() == "PERT(min $2T, mode $3T, max $8T)"


@pytest.mark.parametrize(
    ("spec", "unit", "lo", "hi", "cls"),
    [
        ("200 to 400 billion USD", "money", 200.0, 400.0, LogNormal),
        ({"dist": "range", "range": "$200B to $1.2T"}, "money", 200.0, 1200.0, LogNormal),
        ("5 to 15%", "rate", 0.05, 0.15, Normal),
        ("-5% to 15%", "rate", -0.05, 0.15, Normal),
        ("-1 to 2.5", "number", -1.0, 2.5, Normal),
        ("0.2 to 0.4", "share", 0.2, 0.4, LogitNormal),
    ],
)
def test_range_quantiles_exact(
    spec: object, unit: Unit, lo: float, hi: float, cls: type[Distribution]
) -> None:
    d = parse(spec, unit)
    assert isinstance(d, cls)
    assert d.quantile(0.05) == pytest.approx(lo, rel=1e-12, abs=1e-14)
    assert d.quantile(0.95) == pytest.approx(hi, rel=1e-12, abs=1e-14)
    assert "90% range" in d.describe()


def test_range_means() -> None:
    assert parse("5% to 15%", "rate").mean == pytest.approx(0.10)
    share = parse("0.2 to 0.4", "share")
    midpoints = (np.arange(200_000) + 0.5) / 200_000
    assert share.mean == pytest.approx(share.ppf(midpoints).mean(), abs=1e-6)
    assert share.support == (0.0, 1.0)


def test_cases_frequencies_and_moments() -> None:
    spec = {
        "dist": "cases",
        "cases": [
            {"name": "high", "value": "2T", "weight": 0.25},
            {"name": "low", "value": "1.2T", "weight": 0.25},
            {"name": "base", "value": "1.5T", "weight": 0.5},
        ],
        "source": "desk scenarios",
    }
    d = parse(spec, "money")
    assert isinstance(d, Cases) and d.source == "desk scenarios"
    assert d.mean == pytest.approx(0.25 * 2000 + 0.25 * 1200 + 0.5 * 1500)
    assert d.median == 1500.0 and d.support == (1200.0, 2000.0)
    x = d.ppf(np.random.default_rng(0).random(100_000))
    for value, weight in [(1200.0, 0.25), (1500.0, 0.5), (2000.0, 0.25)]:
        assert np.mean(x == value) == pytest.approx(weight, abs=0.005)
    # Monotone in u (sorted by value), so rank correlation on uniforms carries over.
    u = np.linspace(0.001, 0.999, 999)
    assert np.all(np.diff(d.ppf(u)) >= 0)


def test_cases_weights_normalised_within_tolerance() -> None:
    cases = [
        {"name": "a", "value": 1, "weight": 0.3},
        {"name": "b", "value": 2, "weight": 0.7 + 5e-10},
    ]
    d = parse({"dist": "cases", "cases": cases})
    assert isinstance(d, Cases) and math.fsum(d.weights) == pytest.approx(1.0, abs=1e-15)


def test_empirical_inverted_cdf() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0, 10.0]
    d = parse({"dist": "empirical", "values": values, "source": "survey 2024"})
    assert isinstance(d, Empirical)
    assert d.mean == pytest.approx(np.mean(values))
    for q in (0.05, 0.1, 0.5, 0.51, 0.95):
        assert d.quantile(q) == np.quantile(values, q, method="inverted_cdf")
    assert d.median == 3.0  # the lower middle value
    x = d.ppf(np.random.default_rng(1).random(60_000))
    assert set(np.unique(x)) == set(values)
    assert np.mean(x == 10.0) == pytest.approx(1 / 6, abs=0.01)


def test_quantile_ends_and_bad_q() -> None:
    d = parse({"dist": "uniform", "min": 1, "max": 2})
    assert d.quantile(0) == 1 and d.quantile(1) == 2
    with pytest.raises(ForecastError, match="between 0 and 1"):
        d.quantile(1.5)


def test_frozen() -> None:
    d = Uniform(1.0, 2.0)
    with pytest.raises(AttributeError):
        d.lo = 0.0  # type: ignore[misc]


# ------------------------------------------------------------------------------------------------
# Validation: one line naming where, the key, the rule and the value
# ------------------------------------------------------------------------------------------------

PERT = {"dist": "pert", "min": "2T", "mode": "3T", "max": "8T"}
CASES = [
    {"name": "low", "value": "1T", "weight": 0.25},
    {"name": "high", "value": "2T", "weight": 0.75},
]


@pytest.mark.parametrize(
    ("spec", "unit", "parts"),
    [
        ({**PERT, "mode": "1T"}, "money", ["saturation.mode", "min <= mode <= max", "'1T'"]),
        ({**PERT, "mode": "9T"}, "money", ["saturation.mode", "above max", "'9T'"]),
        ({**PERT, "max": "2T", "mode": "2T"}, "money", ["saturation.max", "min < max", "'2T'"]),
        ({**PERT, "lambda": -1}, "money", ["saturation.lambda", "positive", "-1"]),
        (1.2, "share", [W, "share must be a number in [0, 1]", "1.2"]),
        ({"dist": "uniform", "min": 0.5, "max": 1.5}, "share", ["saturation.max", "[0, 1]", "1.5"]),
        ("-200 to 400 billion USD", "money", [W, "lognormal range needs positive ends", "-200"]),
        ("0 to 400 billion USD", "money", [W, "positive ends", "'0 to 400 billion USD'"]),
        (
            {"dist": "lognormal", "range": "-5% to 10%"},
            "rate",
            ["saturation.range", "positive ends", "-5%"],
        ),
        (
            {"dist": "pret"},
            "money",
            ["saturation.dist", "unknown distribution", "'pret'", "'pert'"],
        ),
        (
            {"dist": "normal", "mean": "1T", "sdd": "1T"},
            "money",
            ["saturation.sdd", "unknown key", "'sdd'", "did you mean 'sd'"],
        ),
        ({"dist": "normal", "mean": "1T"}, "money", [W, "needs the keys", "'sd'"]),
        ({"mean": 1}, "number", [W, "needs a 'dist' key", "mean"]),
        (
            {"dist": "normal", "mean": "1T", "sd": "0.5T"},
            "money",
            ["saturation.sd", "would produce negative market values; use lognormal or a range"],
        ),
        (
            {"dist": "normal", "mean": 0.5, "sd": 0.3},
            "share",
            ["saturation.sd", "outside [0, 1]", "0.1% quantile"],
        ),
        (
            {"dist": "normal", "mean": "10%", "sd": "60%"},
            "rate",
            ["saturation.sd", "-100%", "0.1% quantile"],
        ),
        ({"dist": "normal", "mean": 1, "sd": 0}, "number", ["saturation.sd", "positive", "0"]),
        (
            {"dist": "lognormal", "median": "1T", "sd_log": 0.3, "range": "1 to 2T"},
            "money",
            [W, "either median and sd_log, or range", "median, range, sd_log"],
        ),
        ({"dist": "lognormal", "median": -1, "sd_log": 0.3}, "number", ["saturation.median", "-1"]),
        (
            {"dist": "cases", "cases": [CASES[0], {**CASES[1], "weight": 0.7}]},
            "money",
            ["saturation.cases", "sum to 1", "sum 0.95"],
        ),
        (
            {"dist": "cases", "cases": [{**CASES[0], "weight": 0}, CASES[1]]},
            "money",
            ["saturation.cases[0].weight", "weights must be positive", "0"],
        ),
        (
            {"dist": "cases", "cases": [CASES[0], {**CASES[0], "weight": 0.75}]},
            "money",
            ["saturation.cases[1].name", "unique", "'low'"],
        ),
        (
            {"dist": "cases", "cases": [{**CASES[0], "wieght": 1}, CASES[1]]},
            "money",
            ["saturation.cases[0].wieght", "unknown key", "did you mean 'weight'"],
        ),
        ({"dist": "cases", "cases": [CASES[0]]}, "money", ["saturation.cases", "at least two"]),
        (
            {"dist": "empirical", "values": [1]},
            "number",
            ["saturation.values", "at least two", "[1]"],
        ),
        ({"dist": "empirical", "values": [1, "x"]}, "number", ["saturation.values[1]", "'x'"]),
        ({"dist": "uniform", "min": 3, "max": 1}, "number", ["saturation.max", "min < max", "3"]),
        ("400 to 200 billion", "money", [W, "low end", "'400 to 200 billion'"]),
        ("1 to 2 to 3", "number", [W, "two values joined by 'to'", "'1 to 2 to 3'"]),
        ("1.3-1.5 trillion", "money", [W, "'A to B'", "'1.3-1.5 trillion'"]),
        ("0 to 0.4", "share", [W, "strictly inside (0, 1)", "0 to 0.4"]),
        ([1, 2], "number", [W, "must be a value", "[1, 2]"]),
        (True, "number", [W, "must be a value", "True"]),
        ({"dist": "fixed", "value": "3", "source": 1}, "number", ["saturation.source", "string"]),
    ],
)
def test_validation_errors(spec: object, unit: Unit, parts: list[str]) -> None:
    with pytest.raises(ScenarioError) as info:
        parse(spec, unit)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(W)
    assert "; got " in text
    for part in parts:
        assert part in text


@pytest.mark.parametrize(
    ("spec", "unit", "part"),
    [
        (1570, "money", "a bare number has no unit"),
        ({"dist": "uniform", "min": 100, "max": "2T"}, "money", "bare number"),
        (0.3, "rate", "ambiguous"),
        ("200 to 400 gazillion", "money", "unknown scale word"),
    ],
)
def test_money_and_rate_errors_come_from_parsers(spec: object, unit: Unit, part: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse(spec, unit)
    assert str(info.value).startswith(W) and part in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_unit() -> None:
    with pytest.raises(ScenarioError, match="unit: must be one of"):
        parse_distribution(1.0, where=W, unit="dollars")  # type: ignore[arg-type]
