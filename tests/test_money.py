"""Tests for forecast.money: parsing and formatting of money amounts and rates."""

from __future__ import annotations

import math

import pytest

from forecast.errors import ForecastError, MoneyError
from forecast.money import SCALES, format_money, parse_money, parse_rate, parse_year_value

WHERE = "anchors[2030]"

# --------------------------------------------------------------------------------------------
# parse_money: accepted forms
# --------------------------------------------------------------------------------------------

ACCEPTED: list[tuple[str, float]] = [
    # the forms named in the brief
    ("$1.57 trillion", 1570.0),
    ("1.57 trillion USD", 1570.0),
    ("USD 1.57 trillion", 1570.0),
    ("1,811.8 billion", 1811.8),
    ("USD 196.6bn", 196.6),
    ("US$ 196.6 bn", 196.6),
    ("1.57T", 1570.0),
    ("279.22B", 279.22),
    ("$950M", 0.95),
    ("950 million", 0.95),
    ("1.8 tn", 1800.0),
    ("USD 1.8 tn", 1800.0),
    ("$1.57tn", 1570.0),
    ("2.5k", 2.5e-6),
    ("1.5e3 billion", 1500.0),
    # every scale word, case-insensitive, plurals
    ("3 thousand", 3e-6),
    ("3 Thousands USD", 3e-6),
    ("40K", 4e-5),
    ("12 mn", 0.012),
    ("12 m", 0.012),
    ("12 MM", 0.012),
    ("500 mln", 0.5),
    ("2 millions", 0.002),
    ("5 BLN", 5.0),
    ("5 b", 5.0),
    ("5 Billions", 5.0),
    ("2 trn", 2000.0),
    ("2 t", 2000.0),
    ("1.57 TRILLION", 1570.0),
    ("1.5 trillions", 1500.0),
    # currency markers
    ("1.57 trillion US dollars", 1570.0),
    ("1.57 trillion dollars", 1570.0),
    ("1 billion dollar", 1.0),
    ("1,811.8 billion US$", 1811.8),
    ("usd 5bn", 5.0),
    ("US $5bn", 5.0),
    ("$1.57 trillion USD", 1570.0),
    # numbers
    ("$.5bn", 0.5),
    ("+5bn", 5.0),
    ("1,000,000 million", 1000.0),
    ("2.5E-1 trillion", 250.0),
    ("1e5 bn", 100000.0),
    ("0.001 bn", 0.001),
    ("999 billion", 999.0),
    # whitespace of any kind between the parts
    ("  $1.57T  ", 1570.0),
    ("1.57\u00a0trillion", 1570.0),
    ("1.57\ttrillion\n", 1570.0),
    ("USD  1.8   tn", 1800.0),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_parse_money_accepts(text: str, expected: float) -> None:
    assert parse_money(text) == pytest.approx(expected, rel=1e-12)


def test_accepted_table_is_large_enough() -> None:
    assert len(ACCEPTED) >= 35


@pytest.mark.parametrize(
    ("text", "expected"),
    [("$950M", 0.95), ("1.57T", 1570.0), ("279.22B", 279.22), ("196.6 bn", 196.6)],
)
def test_parse_money_is_exact_decimal_shift(text: str, expected: float) -> None:
    # parsing shifts the decimal point exactly, so the float equals the literal
    assert parse_money(text) == expected


def test_scales_mapping() -> None:
    assert SCALES["billion"] == 1.0
    assert SCALES["trillion"] == 1000.0
    assert SCALES["million"] == 0.001
    assert SCALES["k"] == 1e-6
    assert all(word == word.lower() for word in SCALES)
    with pytest.raises(TypeError):
        SCALES["zillion"] = 1.0  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# parse_money: rejected forms
# --------------------------------------------------------------------------------------------

# (text, keyword of the rule, extra fragment expected in the message or None)
REJECTED: list[tuple[str, str, str | None]] = [
    ("", "empty", None),
    ("   ", "empty", None),
    ("\n\t", "empty", None),
    ("1.57", "scale word", "write the unit, e.g. '1570 billion USD'"),
    ("1570", "scale word", "write the unit"),
    ("$1.57", "scale word", "write the unit"),
    ("1570 USD", "scale word", "write the unit"),
    ("€200bn", "USD", "converts no currency"),
    ("EUR 200 bn", "USD", "converts no currency"),
    ("200 euros", "USD", "converts no currency"),
    ("£5bn", "USD", "converts no currency"),
    ("¥300 billion", "USD", "converts no currency"),
    ("CNY 1.2 trillion", "USD", "converts no currency"),
    ("1.2 trillion RMB", "USD", "converts no currency"),
    ("8 trillion yuan", "USD", "converts no currency"),
    ("C$5bn", "USD", "converts no currency"),
    ("HK$ 5 bn", "USD", "converts no currency"),
    ("-5bn", "positive", None),
    ("$-5bn", "positive", None),
    ("-$5bn", "positive", None),
    ("\u22125bn", "positive", None),
    ("$0", "positive", None),
    ("0 billion", "positive", None),
    ("0.000 bn", "positive", None),
    ("1e-400 bn", "positive", None),
    ("1.3-1.5 trillion", "range", None),
    ("1.3\u20131.5 trillion", "range", None),
    ("$1.3 - $1.5 trillion", "range", None),
    ("1.3 to 1.5 trillion", "range", None),
    ("between 1.3 and 1.5 trillion", "range", None),
    ("1.57bn 2030", "more than one number", None),
    ("1.5e3.2bn", "more than one number", None),
    ("1,81.8 billion", "thousands separator", None),
    ("1,8118 billion", "thousands separator", None),
    ("1.000,5 bn", "thousands separator", None),
    ("1.2.3bn", "decimal point", None),
    ("5.bn", "malformed", None),
    (",5bn", "malformed", None),
    ("$ 1 570 billion", "spaces", "1,570 billion"),
    ("1\u2009570 billion", "spaces", None),
    ("1\u202f570 billion", "spaces", None),
    ("1.57 zillion", "scale word", "did you mean"),
    ("1.57 billon", "scale word", "did you mean 'billion'?"),
    ("1.57 trilion", "scale word", "did you mean 'trillion'?"),
    ("1.57 milion USD", "scale word", "did you mean 'million'?"),
    ("1.57 qx", "scale word", "use one of"),
    ("nan billion", "finite", None),
    ("NaN", "finite", None),
    ("inf bn", "finite", None),
    ("1e400 billion", "finite", None),
    ("1e99999999999999999999 bn", "finite", None),
    ("1.57 trillion approx", "unexpected text", None),
    ("1.57T.", "unexpected text", None),
    ("1.57 trillion USD\nEUR", "USD", None),
    ("about $1.57T", "before the number", None),
    ("USS 5bn", "before the number", "did you mean 'usd'?"),
    ("billion", "no number", None),
    ("USD", "no number", None),
]


@pytest.mark.parametrize(("text", "keyword", "fragment"), REJECTED)
def test_parse_money_rejects(text: str, keyword: str, fragment: str | None) -> None:
    with pytest.raises(MoneyError) as info:
        parse_money(text, where=WHERE)
    msg = str(info.value)
    assert msg.startswith(f"{WHERE}: ")
    assert f"got {text!r}" in msg
    assert keyword in msg
    if fragment is not None:
        assert fragment in msg
    assert "\n" not in msg and "\r" not in msg


def test_rejected_table_is_large_enough() -> None:
    assert len(REJECTED) >= 20


@pytest.mark.parametrize("value", [1570, 1.57, 0, -5, float("nan"), float("inf")])
def test_parse_money_rejects_bare_python_numbers(value: float) -> None:
    with pytest.raises(MoneyError) as info:
        parse_money(value, where=WHERE)
    msg = str(info.value)
    assert msg.startswith(f"{WHERE}: ")
    assert f"got {value!r}" in msg
    assert "no unit" in msg
    assert "write the unit, e.g. '1570 billion USD'" in msg


@pytest.mark.parametrize("value", [True, None, b"5bn", ["5bn"]])
def test_parse_money_rejects_non_strings(value: object) -> None:
    with pytest.raises(MoneyError, match="must be a string") as info:
        parse_money(value, where=WHERE)  # type: ignore[arg-type]
    assert f"got {value!r}" in str(info.value)


def test_money_error_is_in_the_family() -> None:
    with pytest.raises(ForecastError):
        parse_money("€5bn")
    with pytest.raises(ValueError):
        parse_money("€5bn")


def test_default_where_is_value() -> None:
    with pytest.raises(MoneyError, match=r"^value: "):
        parse_money("1570")


# --------------------------------------------------------------------------------------------
# format_money
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (279.22, 3, "$279B"),
        (1570, 3, "$1.57T"),
        (0.95, 3, "$950M"),
        (1811.8, 3, "$1.81T"),
        (0, 3, "$0"),
        (0.0, 3, "$0"),
        (-0.0, 3, "$0"),
        (-1570, 3, "-$1.57T"),
        (-0.95, 3, "-$950M"),
        (1, 3, "$1B"),
        (1000, 3, "$1T"),
        (999.4, 3, "$999B"),
        (999.6, 3, "$1T"),  # rounding decides the scale: never "$1000B"
        (0.9996, 3, "$1B"),  # never "$1000M"
        (0.0005, 3, "$0.5M"),  # below $1M stays in M
        (1e6, 3, "$1,000T"),  # T is the largest scale; its mantissa grouped in thousands
        (1.52e8, 3, "$152,000T"),
        (-1.23456789e9, 4, "-$1,235,000T"),
        (12.5, 3, "$12.5B"),
        (1570.0, 4, "$1.57T"),  # trailing zeros stripped
        (1570.0, 12, "$1.57T"),
        (279.22, 2, "$280B"),
        (279.22, 5, "$279.22B"),
        (279.22, 1, "$300B"),
        (1234.5678, 6, "$1.23457T"),
        (0.0123, 3, "$12.3M"),
    ],
)
def test_format_money(value: float, digits: int, expected: str) -> None:
    assert format_money(value, digits=digits) == expected


def test_format_money_default_digits() -> None:
    assert format_money(1811.8) == "$1.81T"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_format_money_rejects_non_finite(value: float) -> None:
    with pytest.raises(MoneyError, match="finite"):
        format_money(value)


@pytest.mark.parametrize("digits", [0, -1, 18, 2.5, True])
def test_format_money_rejects_bad_digits(digits: int) -> None:
    with pytest.raises(MoneyError, match="digits"):
        format_money(1.0, digits=digits)


# --------------------------------------------------------------------------------------------
# round trip
# --------------------------------------------------------------------------------------------


def _grid() -> list[float]:
    """Deterministic values spanning 1e-3 .. 1e5 bn, log-spaced plus awkward mantissas."""
    base = [10.0 ** (-3 + 8 * i / 2000) for i in range(2001)]
    awkward = [v * (1 + 1 / 7) for v in base if v * (1 + 1 / 7) <= 1e5]
    exact = [0.001, 0.95, 1.0, 279.22, 999.999, 1000.0, 1570.0, 1811.8, 1e5]
    return base + awkward + exact


def test_round_trip_grid_12_digits() -> None:
    for value in _grid():
        text = format_money(value, digits=12)
        assert parse_money(text) == pytest.approx(value, rel=1e-9), text


def test_round_trip_grid_3_digits() -> None:
    for value in _grid():
        text = format_money(value)
        assert parse_money(text) == pytest.approx(value, rel=5e-3), text


def test_round_trip_negative_is_rejected_on_parse() -> None:
    assert format_money(-5) == "-$5B"
    with pytest.raises(MoneyError, match="positive"):
        parse_money(format_money(-5))


def test_round_trip_hypothesis() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")

    @hypothesis.settings(derandomize=True, max_examples=500, database=None, deadline=None)
    @hypothesis.given(
        st.floats(min_value=1e-3, max_value=1e5, allow_nan=False, allow_infinity=False),
        st.integers(min_value=1, max_value=17),
    )
    def check(value: float, digits: int) -> None:
        text = format_money(value, digits=digits)
        parsed = parse_money(text)
        if digits >= 12:
            assert parsed == pytest.approx(value, rel=1e-9)
        # rounding to `digits` significant digits moves the value by at most half a unit
        assert math.isclose(parsed, value, rel_tol=5 * 10.0**-digits)

    check()


# --------------------------------------------------------------------------------------------
# parse_rate
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("35.9%", 0.359),
        ("33.35 %", 0.3335),
        ("0%", 0.0),
        ("-5%", -0.05),
        ("\u22125%", -0.05),
        ("+12%", 0.12),
        ("12.5 percent", 0.125),
        ("12.5 Percent", 0.125),
        ("  7 %  ", 0.07),
        ("150%", 1.5),
        (".5%", 0.005),
        ("1,200%", 12.0),
        ("-99.9%", -0.999),
    ],
)
def test_parse_rate_accepts(text: str, expected: float) -> None:
    assert parse_rate(text) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_parse_rate_is_exact() -> None:
    assert parse_rate("35.9%") == 0.359
    assert parse_rate("33.35 %") == 0.3335


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("35.9", "percent sign"),
        ("0.359", "percent sign"),
        ("", "empty"),
        ("  ", "empty"),
        ("abc%", "malformed"),
        ("nan%", "malformed"),
        ("35.9%%", "malformed"),
        ("%35.9", "after '%'"),
        ("1.2.3%", "decimal point"),
        ("1,20%", "thousands separator"),
        ("35.9% CAGR", "after '%'"),
        ("- 5%", "malformed"),
        ("-100%", "above -100%"),
        ("-150%", "above -100%"),
        ("%", "malformed"),
    ],
)
def test_parse_rate_rejects(text: str, keyword: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_rate(text, where="scenario.cagr")
    msg = str(info.value)
    assert msg.startswith("scenario.cagr: ")
    assert f"got {text!r}" in msg
    assert keyword in msg
    assert "\n" not in msg


@pytest.mark.parametrize("value", [0.359, 35.9, 35, 0])
def test_parse_rate_rejects_bare_numbers(value: float) -> None:
    with pytest.raises(MoneyError) as info:
        parse_rate(value)
    msg = str(info.value)
    assert msg.startswith("cagr: ")
    assert "ambiguous" in msg
    assert f"got {value!r}" in msg
    assert "write '35.9%'" in msg


def test_parse_rate_rejects_non_strings() -> None:
    with pytest.raises(MoneyError, match="must be a string"):
        parse_rate(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# parse_year_value
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024:279.22B", (2024, 279.22)),
        ("2030:1.57T", (2030, 1570.0)),
        (" 2024 : $279.22 billion ", (2024, 279.22)),
        ("2025:950M", (2025, 0.95)),
        ("2030:USD 1.8 tn", (2030, 1800.0)),
    ],
)
def test_parse_year_value_accepts(text: str, expected: tuple[int, float]) -> None:
    year, value = parse_year_value(text)
    assert isinstance(year, int)
    assert year == expected[0]
    assert value == pytest.approx(expected[1], rel=1e-12)


@pytest.mark.parametrize(
    ("text", "keyword", "got"),
    [
        ("2024 279.22B", "YEAR:AMOUNT", "2024 279.22B"),
        ("2024:1:2bn", "YEAR:AMOUNT", "2024:1:2bn"),
        ("", "YEAR:AMOUNT", ""),
        ("24:279B", "four digits", "24:279B"),
        ("abcd:5bn", "four digits", "abcd:5bn"),
        ("1800:5bn", "between 1900 and 2200", "1800:5bn"),
        ("2024:279.22", "scale word", "279.22"),
        ("2024:", "empty", ""),
        ("2024:€5bn", "USD", "€5bn"),
        ("2024:-5bn", "positive", "-5bn"),
        ("2030:1.3-1.5T", "range", "1.3-1.5T"),
    ],
)
def test_parse_year_value_rejects(text: str, keyword: str, got: str) -> None:
    with pytest.raises(MoneyError) as info:
        parse_year_value(text)
    msg = str(info.value)
    assert msg.startswith("--from")
    assert f"got {got!r}" in msg
    assert keyword in msg
    assert "\n" not in msg


def test_parse_year_value_names_year_in_amount_errors() -> None:
    with pytest.raises(MoneyError, match=r"^--anchor 2030: "):
        parse_year_value("2030:1.57", where="--anchor")


def test_parse_year_value_rejects_non_strings() -> None:
    with pytest.raises(MoneyError, match="YEAR:AMOUNT"):
        parse_year_value(2024)  # type: ignore[arg-type]
