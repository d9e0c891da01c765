"""Money strings, rates and claim sentences: parse-print round trips, and no exception other
than a one-line :class:`~forecast.errors.MoneyError` on arbitrary text."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from forecast import MoneyError, format_money, parse_money, parse_rate
from forecast.audit.claims import extract, sentences
from forecast.money import parse_year_value
from forecast.units import ISO_4217, Unit, parse_unit

from .conftest import examples

# Text built from the money grammar's own pieces, so that the parser's branches are reached far
# more often than by uniformly random characters.
PIECES = st.sampled_from(
    [
        "$", "US$", "USD", "usd", "€", "C$", "+", "-", "−", "1", "1.57", "1,811.8", "1,81", "0",
        "1e3", "e", "1e999", ".", ",", " ", "  ", "billion", "bn", "B", "T", "trillion", "m",
        "mn", "k", "thousand", "dollars", "US dollars", "to", "–", "nan", "inf", "∞", "%",
        "percent", "２", "١", ":", "2030", "tn", "zillion", "\t", "\n",
    ]
)  # fmt: skip
GRAMMAR_TEXT = st.lists(PIECES, max_size=8).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=40), GRAMMAR_TEXT)
AMOUNTS = st.floats(min_value=1e-9, max_value=1e12, allow_nan=False, allow_infinity=False)


def _one_line(exc: BaseException) -> None:
    assert len(str(exc).splitlines()) == 1, str(exc)


@settings(max_examples=examples(5.0))
@given(ANY_TEXT)
def test_parse_money_accepts_or_raises_money_error(text: str) -> None:
    try:
        value = parse_money(text)
    except MoneyError as exc:
        _one_line(exc)
    else:
        assert math.isfinite(value) and value > 0


@settings(max_examples=examples(5.0))
@given(ANY_TEXT)
def test_parse_rate_and_year_value_accept_or_raise_money_error(text: str) -> None:
    for parse in (parse_rate, parse_year_value):
        try:
            parse(text)
        except MoneyError as exc:
            _one_line(exc)


@settings(max_examples=examples(5.0))
@given(AMOUNTS, st.integers(1, 17))
def test_format_then_parse_round_trips(value: float, digits: int) -> None:
    """What format_money prints parses back to the value rounded to ``digits`` significant
    digits (exactly, with 17)."""
    text = format_money(value, digits=digits)
    back = parse_money(text)
    assert math.isclose(back, value, rel_tol=10 ** (1 - digits))
    if digits == 17:
        assert back == value
    assert format_money(back, digits=digits) == text  # printing is idempotent


@settings(max_examples=examples(5.0))
@given(AMOUNTS)
def test_parse_then_format_is_stable(value: float) -> None:
    text = format_money(value)
    assert format_money(parse_money(text)) == text
    assert parse_money(text.replace("$", "USD ")) == parse_money(text)


CURRENCIES = st.sampled_from(["USD", "EUR", "GBP", "JPY", "CNY", "CHF", "INR", *sorted(ISO_4217)])
UNITS = st.builds(Unit, CURRENCIES, st.sampled_from([3, 6, 9, 12]))
UNIT_AMOUNTS = st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=examples(3.0))
@given(UNITS, UNIT_AMOUNTS, st.integers(1, 17))
def test_money_in_any_unit_reads_back(unit: Unit, value: float, digits: int) -> None:
    text = format_money(value, digits=digits, unit=unit)
    back = parse_money(text, unit=unit)
    assert math.isclose(back, value, rel_tol=10 ** (1 - digits)), (text, back)
    assert format_money(back, digits=digits, unit=unit) == text  # printing is idempotent
    assert parse_unit(unit.label) == unit


@settings(max_examples=examples(3.0))
@given(UNITS, UNITS, UNIT_AMOUNTS)
def test_an_amount_in_another_scale_is_an_exact_shift(a: Unit, b: Unit, value: float) -> None:
    """The same amount written in a's scale reads in b's scale as the value times 10^(a-b)."""
    b = Unit(a.currency, b.scale)
    text = format_money(value, digits=17, unit=a)
    assert math.isclose(parse_money(text, unit=b), value * a.to(b), rel_tol=1e-15)


@settings(max_examples=examples(2.0))
@given(
    value=st.floats(min_value=0.001, max_value=9e5),
    year=st.integers(1990, 2099),  # claims read years 19xx and 20xx
    subject=st.sampled_from(
        ["global AI market", "generative AI market", "AI in healthcare market"]
    ),
    verb=st.sampled_from(["will reach", "is expected to reach", "could be worth"]),
)
def test_claim_sentence_round_trips(value: float, year: int, subject: str, verb: str) -> None:
    """A printed amount in a plain claim sentence is found again, with its year and subject."""
    amount = format_money(value)
    text = f"The {subject} {verb} {amount} by {year}."
    found = extract(text)
    assert len(found) == 1, found
    claim = found[0]
    assert claim.value_usd_bn is not None
    assert math.isclose(claim.value_usd_bn, parse_money(amount), rel_tol=1e-12)
    assert claim.year == year
    assert subject in claim.subject
    assert text[claim.start : claim.end] == claim.text


@settings(max_examples=examples(3.0))
@given(
    st.one_of(st.text(max_size=300), st.lists(st.one_of(PIECES, st.text(max_size=5))).map(" ".join))
)
def test_claims_never_raise_on_arbitrary_text(text: str) -> None:
    for claim in extract(text):
        assert text[claim.start : claim.end] == claim.text
        assert claim.sentence_start <= claim.start <= claim.end <= claim.sentence_end
        assert math.isfinite(claim.value_native)
    for start, end in sentences(text):
        assert 0 <= start <= end <= len(text)
