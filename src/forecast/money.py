"""Money amounts and growth rates as analysts write them.

An amount is read in a :class:`~forecast.units.Unit` (a scenario's; **USD billion** by default)
and held as a ``float`` in it: ``"$1.57 trillion"`` is ``1570.0`` in USD billion, ``"€412M"``
is ``412.0`` in EUR million.

Grammar of a money amount (case-insensitive, any run of whitespace counts as one space)::

    [currency] [+] number [scale] [currency]

* ``currency`` before the number: a sign or code (``$``, ``US$``, ``USD``, ``€``, ``EUR``, ``£``,
  ``CN¥``, ``RMB``, ``C$``, any ISO 4217 code); after the scale word: a code or a word (``USD``,
  ``dollars``, ``US dollars``, ``euros``, ``yen``, ``yuan``). The currency is optional: an
  amount without one is in the unit's currency. Without a unit, any currency but USD is refused
  (that reading converts no currency); with one, an amount in another currency is converted by
  the caller's ``convert`` or refused naming both. ``¥`` is the yen's and the yuan's sign: it
  reads as the unit's own currency in a JPY or CNY unit and is refused elsewhere.
* ``number``: digits with an optional decimal point and an optional exponent (``1.5e3``);
  thousands are grouped with ``,`` only (``1,811.8``), in groups of three.
* ``scale`` (required, see :data:`SCALES`): ``thousand``/``k``; ``million``/``mn``/``m``/``mm``/
  ``mln``; ``billion``/``bn``/``b``/``bln``; ``trillion``/``tn``/``t``/``trn``; the long words
  may be plural.  ``k`` is accepted and means one thousand; ``m`` always means million, never
  thousand.

Rejected, each with a one-line :class:`~forecast.errors.MoneyError`: empty text, bare numbers
(``"1570"`` or a Python ``int``/``float``, since the unit is then a guess), a currency the
reading cannot take (see above), two currencies in one amount, negative or zero amounts,
ranges (``"1.3-1.5 trillion"``) and other text with two numbers, digits grouped with spaces,
misplaced thousands separators, several decimal points, unknown scale words (with a near-miss
hint), NaN and infinity, and any text left over before or after the amount.

Rates are written with a percent sign (``"35.9%"`` -> ``0.359``); a bare number is rejected
because ``0.359`` and ``35.9`` are both plausible readings.

Parsing uses one compiled regular expression plus explicit checks and exact decimal arithmetic
(``"$950M"`` is exactly ``0.95``; a scale is an exact decimal shift); nothing is ever evaluated.

Longer than 500 lines because money strings are the toolkit's most common input: every form
(amounts, ranges, rates, units, currencies and scales) is parsed here once, with a near-miss
hint for each way to get one wrong.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final, NoReturn

from .errors import MoneyError, message, near_miss
from .units import AMBIGUOUS_MARKS, USD_BILLION, Unit, currency_of

__all__ = ["SCALES", "Converter", "format_money", "parse_money", "parse_rate", "parse_year_value"]

# Scale word -> power of ten relative to one billion.  Kept as exponents so that parsing is an
# exact decimal shift ("950 million" -> 0.95 exactly, not 950 * 0.001).
_SCALE_EXPONENTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "thousand": -6,
        "thousands": -6,
        "k": -6,
        "million": -3,
        "millions": -3,
        "mn": -3,
        "m": -3,
        "mm": -3,
        "mln": -3,
        "billion": 0,
        "billions": 0,
        "bn": 0,
        "b": 0,
        "bln": 0,
        "trillion": 3,
        "trillions": 3,
        "tn": 3,
        "t": 3,
        "trn": 3,
    }
)

SCALES: Final[Mapping[str, float]] = MappingProxyType(
    {word: float(Decimal(1).scaleb(exp)) for word, exp in _SCALE_EXPONENTS.items()}
)
"""Accepted scale words (lower case) -> multiplier relative to one billion USD."""

_SCALE_HELP: Final = "thousand/k, million/mn/m/mm, billion/bn/b/bln, trillion/tn/t/trn"
_UNIT_HINT: Final = "; write the unit, e.g. '1570 billion USD'"
_NUMBER_HINT: Final = "; write e.g. '1,811.8 billion USD'"
_RATE_HINT: Final = "; write '35.9%'"

_USD_WORDS: Final = frozenset({"usd", "us", "dollar", "dollars"})

_FOREIGN_SYMBOLS: Final = frozenset("€£¥₹₩₽₺₪฿₫₦₱₴₸₣¤元円")
_FOREIGN_WORDS: Final = frozenset(
    {
        "eur", "euro", "euros", "gbp", "pound", "pounds", "sterling", "jpy", "yen", "cny",
        "rmb", "yuan", "renminbi", "inr", "rupee", "rupees", "krw", "chf", "franc", "francs",
        "cad", "aud", "hkd", "sgd", "nzd", "twd", "sek", "nok", "dkk", "rub", "rouble",
        "roubles", "ruble", "rubles", "brl", "mxn", "zar", "canadian", "australian",
        "singapore",
    }
)  # fmt: skip
# Letters directly before "$" that name a dollar other than the US one (C$, HK$, A$, ...).
_FOREIGN_DOLLAR_PREFIXES: Final = frozenset(
    {"a", "au", "aud", "c", "ca", "cad", "hk", "hkd", "mx", "nt", "nz", "r", "s", "sg", "z"}
)
_NON_FINITE_WORDS: Final = frozenset({"nan", "inf", "infinity"})
_RANGE_MARKS: Final = frozenset("-–—−~")
_RANGE_WORDS: Final = frozenset({"to", "and"})
_MINUS_SIGNS: Final = frozenset("-−")
_SIGNS: Final = frozenset("+-−")
_NUMBER_CHARS: Final = frozenset("0123456789.,")
_DIGITS: Final = frozenset("0123456789")

# The only grammar: an optional prefix (currency, sign), one number with an optional exponent,
# and a suffix (scale word, currency).  Prefix and suffix hold no digit, so text with two
# numbers does not match; every part is validated by the explicit checks in parse_money.
_AMOUNT: Final = re.compile(
    r"""
    \A
    (?P<pre>[^0-9]*?)               # currency marker and/or sign, checked below
    (?P<num>[.,]?[0-9][0-9.,]*)     # digits, '.' and ',', checked below
    (?:e(?P<exp>[+-]?[0-9]+))?      # optional exponent: 1.5e3
    (?P<post>[^0-9]*)               # scale word and optional currency, checked below
    \Z
    """,
    re.VERBOSE,
)


def _fail(where: str, rule: str, got: object, hint: str = "") -> NoReturn:
    raise MoneyError(message(where, rule, got, hint))


def _words(text: str) -> list[str]:
    """Return the maximal runs of letters in ``text``."""
    return ["".join(group) for is_alpha, group in itertools.groupby(text, str.isalpha) if is_alpha]


def _number_runs(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of each maximal run of digits, '.' and ',' holding a digit."""
    runs: list[tuple[int, int]] = []
    start = 0
    for is_num, group in itertools.groupby(text, _NUMBER_CHARS.__contains__):
        chunk = "".join(group)
        if is_num and any(ch in _DIGITS for ch in chunk):
            runs.append((start, start + len(chunk)))
        start += len(chunk)
    return runs


def _foreign_currency(text: str) -> str | None:
    """Return the first marker of a non-USD currency in lower-cased ``text``, if any."""
    for ch in text:
        if ch in _FOREIGN_SYMBOLS:
            return ch
    for word in _words(text):
        if word in _FOREIGN_WORDS:
            return word
    for i, ch in enumerate(text):
        if ch == "$":
            j = i
            while j > 0 and text[j - 1].isalpha():
                j -= 1
            if text[j:i] in _FOREIGN_DOLLAR_PREFIXES:
                return text[j : i + 1]
    return None


def _decimal(num: str, exp: str | None, where: str, got: object) -> Decimal:
    """Validate the digits of a number (grouping, decimal point) and return it exactly."""
    if num.count(".") > 1:
        _fail(where, "malformed number: more than one decimal point", got, _NUMBER_HINT)
    if num.startswith(",") or num.endswith((".", ",")):
        _fail(where, "malformed number: stray '.' or ','", got, _NUMBER_HINT)
    integer, _, fraction = num.partition(".")
    if "," in fraction:
        _fail(
            where,
            "malformed number: misplaced thousands separator (',' groups thousands, "
            "'.' marks decimals)",
            got,
            _NUMBER_HINT,
        )
    if "," in integer:
        groups = integer.split(",")
        if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
            _fail(
                where,
                "malformed number: misplaced thousands separator (groups of three digits)",
                got,
                _NUMBER_HINT,
            )
    literal = num.replace(",", "")
    if exp is not None:
        literal += "e" + exp
    try:
        return Decimal(literal)
    except ArithmeticError:  # decimal.InvalidOperation: an exponent beyond Decimal's range
        _fail(where, "the amount must be a finite number (the exponent is out of range)", got)


def _diagnose_unmatched(t: str, where: str, got: object) -> NoReturn:
    """Explain why normalised text ``t`` does not hold exactly one number."""
    runs = _number_runs(t)
    if not runs:
        _fail(where, "no number found in the amount", got, "; write e.g. '1.57 trillion USD'")
    gaps = [t[a_end:b_start] for (_, a_end), (b_start, _) in itertools.pairwise(runs)]
    if any(not gap.strip() for gap in gaps):
        _fail(
            where,
            "digits must not be grouped with spaces (',' is the thousands separator)",
            got,
            "; write e.g. '1,570 billion USD'",
        )
    if any(
        any(ch in _RANGE_MARKS for ch in gap) or _RANGE_WORDS.intersection(_words(gap))
        for gap in gaps
    ):
        _fail(
            where,
            "a range is not a single amount",
            got,
            "; pick one value (e.g. the midpoint) and cite the range in the source note",
        )
    _fail(where, "more than one number in the amount", got, "; write one amount, e.g. '1.57T'")


def parse_money(
    text: str | int | float,
    *,
    where: str = "value",
    unit: Unit | None = None,
    convert: Converter | None = None,
) -> float:
    """Parse an amount of money written by an analyst.

    Parameters
    ----------
    text : str
        The amount, e.g. ``"$1.57 trillion"``, ``"USD 196.6bn"``, ``"1,811.8 billion"``,
        ``"950M"``, ``"€412M"``, ``"EUR 3.1 billion"``.  A scale word is required.  Python
        numbers are accepted by the signature only to be rejected with a clear message: a bare
        number does not say whether it counts millions or billions.
    where : str, optional
        Name of the field being parsed, used as the first part of error messages.
    unit : Unit, optional
        The unit to read the amount in (a scenario's): an amount without a currency is in its
        currency, and the result is in its scale. Without one: USD billion, and any other
        currency is refused (this reading converts no currency).
    convert : callable, optional
        ``convert(value, currency, where)``: the value (in ``unit``'s scale, but in
        ``currency``) in ``unit``'s currency. Without it an amount in a currency other than
        ``unit``'s is refused, naming both.

    Returns
    -------
    float
        The amount in ``unit`` (USD billion by default), finite and strictly positive.

    Raises
    ------
    MoneyError
        If ``text`` is not a single positive amount with a known scale word in an accepted
        currency.  The message is one line: ``"<where>: <rule>; got <text>[; hint]"``.

    Examples
    --------
    >>> parse_money("$1.57 trillion")
    1570.0
    >>> parse_money("950 million")
    0.95
    >>> parse_money("€412M", unit=Unit("EUR", 6))
    412.0
    """
    if isinstance(text, bool) or not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            _fail(where, "a bare number has no unit", text, _unit_hint(unit))
        _fail(where, "a money amount must be a string such as '1.57 trillion USD'", text)
    t = _normalised(text, where, unit)
    match = _AMOUNT.match(t)
    if match is None:
        _diagnose_unmatched(t, where, text)
    pre_currency = _prefix_currency(match["pre"], where, text)
    amount = _decimal(match["num"], match["exp"], where, text)
    if amount == 0:
        _fail(where, "the amount must be positive (greater than zero)", text)
    scale_word, post_currency = _scale_and_currency(match["post"], where, text, unit)
    currency = _one_currency(pre_currency, post_currency, where, text)
    value = _scaled(amount, scale_word, unit, where, text)
    if unit is None:
        if currency and currency != "USD":
            _fail(
                where,
                f"amounts must be in USD and the amount is in {_name(currency)} (this reading "
                "converts no currency)",
                text,
                "; convert at a cited rate and write the USD amount, e.g. '200 billion USD'",
            )
        return value
    return _in_currency(value, currency, unit, convert, where, text)


def _normalised(text: str, where: str, unit: Unit | None) -> str:
    """The amount in lower case with single spaces, after refusing an empty text, a foreign
    currency when no unit reads it, and an infinite amount."""
    t = " ".join(text.split()).lower()
    if not t:
        _fail(where, "a money amount must not be empty", text, "; write e.g. '1.57 trillion USD'")

    if unit is None:
        foreign = _foreign_currency(t)
        if foreign is not None:
            _fail(
                where,
                f"amounts must be in USD and {foreign!r} marks another currency "
                "(this reading converts no currency: a scenario in that currency reads it, "
                "or [rates] convert = true converts it)",
                text,
                "; convert at a cited rate and write the USD amount, e.g. '200 billion USD'",
            )
    if _NON_FINITE_WORDS.intersection(_words(t)) or "∞" in t:
        _fail(where, "the amount must be a finite number", text)
    return t


def _prefix_currency(pre: str, where: str, got: object) -> str:
    """The currency marked before the number ("" for none); a minus sign or other text refused."""
    prefix = "".join(pre.split())
    if any(ch in _MINUS_SIGNS for ch in prefix):
        _fail(where, "the amount must be positive", got)
    marker = "".join(ch for ch in prefix if ch not in _SIGNS)
    pre_currency = _marked_currency(marker)
    if pre_currency is None or prefix.count("+") > 1:
        _fail(
            where,
            "unexpected text before the number (a currency such as '$', 'US$', 'USD', '€' or "
            "'EUR' may precede it)",
            got,
            near_miss(marker, ("usd", "us$", "eur")),
        )
    return pre_currency


def _scale_and_currency(post: str, where: str, got: object, unit: Unit | None) -> tuple[str, str]:
    """The scale word after the number and the currency that may follow it ("" for none)."""
    suffix = post.strip()
    scale_word = "".join(itertools.takewhile(str.isalpha, suffix))
    rest = " ".join(suffix[len(scale_word) :].split())
    if not scale_word or scale_word in _USD_WORDS or _marked_currency(scale_word):
        _fail(
            where,
            "the amount needs a scale word (thousand, million, billion, trillion)",
            got,
            _unit_hint(unit),
        )
    if scale_word not in _SCALE_EXPONENTS:
        _fail(
            where,
            f"unknown scale word {scale_word!r}",
            got,
            near_miss(scale_word, _SCALE_EXPONENTS) or f"; use one of {_SCALE_HELP}",
        )
    post_currency = _marked_currency(rest)
    if post_currency is None:
        _fail(
            where,
            f"unexpected text {rest!r} after the scale word "
            "(only a currency such as 'USD', 'US dollars' or 'EUR' may follow it)",
            got,
        )
    return scale_word, post_currency


def _one_currency(pre: str, post: str, where: str, got: object) -> str:
    """The amount's currency, marked before or after the number ("" for none), never both
    differently."""
    if pre and post and pre != post:
        _fail(
            where,
            f"an amount names one currency ({_name(pre)} before the number, "
            f"{_name(post)} after it)",
            got,
        )
    return pre or post


def _scaled(amount: Decimal, scale_word: str, unit: Unit | None, where: str, got: object) -> float:
    """The amount in ``unit``'s scale (billions without one), finite and positive."""
    shift = _SCALE_EXPONENTS[scale_word] + 9 - (unit.scale if unit is not None else 9)
    try:
        value = float(amount.scaleb(shift))
    except ArithmeticError:  # decimal.Overflow for absurd exponents
        value = math.inf
    if not math.isfinite(value):
        _fail(where, "the amount must be a finite number (it is too large)", got)
    if value <= 0.0:
        _fail(where, "the amount must be positive (it is too small to represent)", got)
    return value


Converter = Callable[[float, str, str], float]
"""``convert(value, currency, where)``: a value in another currency, in the reader's unit."""

_AMBIGUOUS = "ambiguous"


def _marked_currency(mark: str) -> str | None:
    """The code a currency marker stands for; ``""`` for no marker, :data:`_AMBIGUOUS` for a
    sign of several currencies (¥), None for text that is no currency."""
    if not mark:
        return ""
    if mark in AMBIGUOUS_MARKS:
        return _AMBIGUOUS
    return currency_of(mark)


def _name(code: str) -> str:
    return "'¥' (JPY or CNY)" if code == _AMBIGUOUS else code


def _in_currency(
    value: float, currency: str, unit: Unit, convert: Converter | None, where: str, text: str
) -> float:
    """``value`` (in ``unit``'s scale, written in ``currency``) in ``unit``'s currency."""
    if currency == _AMBIGUOUS:
        if unit.currency in ("JPY", "CNY"):  # the scenario's own sign: yen or yuan
            return value
        _fail(
            where,
            "'¥' is the sign of the yen and the yuan alike; write JPY or CNY",
            text,
            f"; e.g. 'JPY {text.strip().lstrip('¥').strip()}'",
        )
    if not currency or currency == unit.currency:
        return value
    if convert is None:
        _fail(
            where,
            f"amounts must be in {unit.currency} (the scenario's unit, {unit.label}) and the "
            f"amount is in {currency}; write it in {unit.currency}, or let the scenario convert "
            "it through its rates table with [rates] convert = true",
            text,
        )
    return convert(value, currency, where)


def _unit_hint(unit: Unit | None) -> str:
    if unit is None or unit == USD_BILLION:
        return _UNIT_HINT
    return f"; write the unit, e.g. '{format_money(1000.0, unit=unit)}' or '1,000 {unit.label}'"


def format_money(value_bn: float, *, digits: int = 3, unit: Unit | None = None) -> str:
    """Format an amount the way analysts write it, in ``unit`` (USD billion by default).

    The scale is chosen after rounding so that the mantissa lies in ``[1, 1000)``: ``M`` below
    one billion, ``B`` below one thousand billion, ``T`` from there up (the mantissa of ``T``
    is unbounded).  Amounts below one million stay in ``M`` with a mantissa below one.  The
    currency is its sign (``$``, ``€``, ``£``, ``¥`` for JPY, ``CN¥`` for CNY) or else its ISO
    code and a space (``CHF 412M``); :func:`parse_money` reads every form back.

    Parameters
    ----------
    value_bn : float
        The amount, in ``unit`` (USD billion by default); zero and negative amounts are
        formatted too.
    digits : int, optional
        Significant digits (1 to 17); trailing zeros are stripped.
    unit : Unit, optional
        The unit ``value_bn`` is in.

    Returns
    -------
    str
        E.g. ``"$279B"``, ``"$1.57T"``, ``"$950M"``, ``"-$1.2B"``, ``"$0"``,
        ``"$152,000T"`` (the ``T`` mantissa is grouped in thousands, as :func:`parse_money`
        reads it), ``"€412M"`` (412 in EUR million), ``"¥3.1T"`` (3.1 in JPY trillion).

    Raises
    ------
    MoneyError
        If ``value_bn`` is not a finite number or ``digits`` is out of range.

    Examples
    --------
    >>> format_money(279.22), format_money(1570), format_money(0.95), format_money(1811.8)
    ('$279B', '$1.57T', '$950M', '$1.81T')
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        _fail("digits", "significant digits must be an integer from 1 to 17", digits)
    if (
        isinstance(value_bn, bool)
        or not isinstance(value_bn, int | float)
        or not math.isfinite(value_bn)
    ):
        _fail("value_bn", "the amount to format must be a finite number", value_bn)
    unit = unit if unit is not None else USD_BILLION
    symbol = unit.symbol
    if value_bn == 0:
        return f"{symbol}0"
    sign = "-" if value_bn < 0 else ""
    rounded = Decimal(f"{abs(value_bn):.{digits - 1}e}")  # exact, `digits` significant digits
    rounded = rounded.scaleb(unit.scale - 9)  # in billions, still exact
    if rounded < 1:
        mantissa, scale = rounded.scaleb(3), "M"
    elif rounded < 1000:
        mantissa, scale = rounded, "B"
    else:
        mantissa, scale = rounded.scaleb(-3), "T"
    text = format(mantissa, ",f")  # a mantissa of T above 999 gets thousands separators
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{symbol}{text}{scale}"


def parse_rate(text: str | int | float, *, where: str = "cagr") -> float:
    """Parse a growth rate written with a percent sign.

    Parameters
    ----------
    text : str
        E.g. ``"35.9%"``, ``"33.35 %"``, ``"-5%"`` or ``"12 percent"``.  A bare number, as a
        string or as a Python ``int``/``float``, is rejected: ``0.359`` and ``35.9`` are both
        plausible readings of the same intent.
    where : str, optional
        Name of the field being parsed, used as the first part of error messages.

    Returns
    -------
    float
        The rate as a fraction (``"35.9%"`` -> ``0.359``), greater than ``-1``.

    Raises
    ------
    MoneyError
        If ``text`` is not a number followed by ``%``, or the rate is -100% or below.

    Examples
    --------
    >>> parse_rate("35.9%")
    0.359
    """
    if isinstance(text, bool) or not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            _fail(where, "a bare number is ambiguous as a rate (0.359 or 35.9%?)", text, _RATE_HINT)
        _fail(where, "a rate must be a string such as '35.9%'", text)
    t = " ".join(text.split())
    if not t:
        _fail(where, "a rate must not be empty", text, _RATE_HINT)
    if t.endswith("%"):
        body = t[:-1]
    elif t.lower().endswith("percent"):
        body = t[: -len("percent")]
    elif "%" in t:
        _fail(where, "unexpected text after '%' in the rate", text, _RATE_HINT)
    else:
        _fail(
            where,
            "a rate needs a percent sign (a bare number is ambiguous: 0.359 or 35.9%?)",
            text,
            _RATE_HINT,
        )
    body = body.strip()
    negative = body[:1] in _MINUS_SIGNS
    if body[:1] in _SIGNS:
        body = body[1:]
    if not body or not set(body) <= _NUMBER_CHARS or not _DIGITS.intersection(body):
        _fail(where, "malformed rate (expected a number followed by '%')", text, _RATE_HINT)
    percent = _decimal(body, None, where, text)
    value = float(-percent.scaleb(-2) if negative else percent.scaleb(-2))
    if value <= -1.0:
        _fail(where, "a rate must be above -100%", text)
    return value


def parse_year_value(text: str, *, where: str = "--from") -> tuple[int, float]:
    """Parse a ``YEAR:AMOUNT`` pair such as a command-line anchor.

    Parameters
    ----------
    text : str
        E.g. ``"2024:279.22B"`` or ``"2030: $1.57 trillion"``; the amount follows
        :func:`parse_money`, the year has four digits between 1900 and 2200.
    where : str, optional
        Name of the option or field, used as the first part of error messages; errors in the
        amount name it as ``"<where> <year>"``.

    Returns
    -------
    tuple of (int, float)
        The year and the amount in USD billion.

    Raises
    ------
    MoneyError
        If ``text`` is not ``YEAR:AMOUNT`` with a valid year and amount.

    Examples
    --------
    >>> parse_year_value("2030:1.57T")
    (2030, 1570.0)
    """
    hint = "; write e.g. '2024:279.22B'"
    if not isinstance(text, str):
        _fail(where, "expected a YEAR:AMOUNT string", text, hint)
    if text.count(":") != 1:
        _fail(where, "expected YEAR:AMOUNT with exactly one ':'", text, hint)
    year_text, amount_text = (part.strip() for part in text.split(":"))
    if not (len(year_text) == 4 and year_text.isascii() and year_text.isdigit()):
        _fail(where, "the year must have four digits", text, hint)
    year = int(year_text)
    if not 1900 <= year <= 2200:
        _fail(where, "the year must be between 1900 and 2200", text, hint)
    return year, parse_money(amount_text, where=f"{where} {year}")
