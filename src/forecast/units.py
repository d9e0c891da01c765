"""Units of money: a currency, a scale and, for constant prices, a price base year.

A scenario's ``unit`` (and a history's or an estimates file's own ``unit``) is parsed once by
:func:`parse_unit` into a frozen :class:`Unit`; everything downstream compares and converts
``Unit`` objects, never strings. The grammar, as analysts write it::

    <currency> <scale>[, <year> prices]      "USD billion", "EUR million, 2020 prices"
    <scale> <currency>                        "million EUR"

* ``currency``: an ISO 4217 code (``USD``, ``EUR``, ``CHF``, ...) or the spellings analysts use:
  ``$``/``US$`` (USD), ``€`` (EUR), ``£`` (GBP), ``JP¥`` (JPY), ``CN¥``/``RMB`` (CNY). A bare
  ``¥`` is refused: it is the yen's and the yuan's sign alike, so the code must be written.
* ``scale``: ``thousand``/``k``, ``million``/``M``/``mn``, ``billion``/``bn``/``B``,
  ``trillion``/``tn``/``T``.
* ``, <year> prices`` (or ``, constant <year> prices``) makes the unit real: constant prices of
  that base year. Without it the unit is nominal (current prices); ``, nominal`` or ``, current
  prices`` may say so explicitly.

Column names are read with :func:`unit_hints`: ``value_usd_m`` says USD and million, so a file
declared ``EUR billion`` with that column is refused with both named (see
:func:`check_column`).

Display: :func:`shown_in` sets the unit money is printed in (:func:`current`), for the leaves
that print or draw a result (the command line, reports, charts); code that computes never
depends on it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from .errors import ScenarioError, message, near_miss

__all__ = [
    "ISO_4217",
    "SCALE_WORDS",
    "USD_BILLION",
    "Unit",
    "check_column",
    "current",
    "parse_unit",
    "shown_in",
    "unit_hints",
]

# Active ISO 4217 currency codes (list one of the standard, funds and precious metals left out).
ISO_4217: Final = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
    TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()
)

# The sign or word an analyst writes -> the code (lower case; whitespace removed before lookup).
_PREFIX_MARKS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "$": "USD", "us$": "USD", "u.s.$": "USD",
        "€": "EUR", "£": "GBP", "jp¥": "JPY", "cn¥": "CNY", "rmb": "CNY",
        "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "hk$": "HKD", "s$": "SGD",
        "sg$": "SGD", "nz$": "NZD", "nt$": "TWD", "r$": "BRL", "mx$": "MXN", "₹": "INR",
        "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "฿": "THB", "₫": "VND", "₦": "NGN",
        "₱": "PHP", "₴": "UAH", "₸": "KZT",
    }
)  # fmt: skip
_WORD_MARKS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "dollar": "USD", "dollars": "USD", "usdollar": "USD", "usdollars": "USD",
        "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP", "sterling": "GBP",
        "poundssterling": "GBP", "yen": "JPY", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY",
    }
)  # fmt: skip
AMBIGUOUS_MARKS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {"¥": ("JPY", "CNY"), "元": ("CNY", "JPY"), "円": ("JPY", "CNY")}
)
"""Signs that stand for more than one currency: a unit written with one is refused."""

SYMBOLS: Final[Mapping[str, str]] = MappingProxyType(
    {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥"}
)
"""How money is printed: the sign for these, the ISO code and a space for every other."""

SCALE_WORDS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "thousand": 3, "thousands": 3, "k": 3,
        "million": 6, "millions": 6, "mn": 6, "m": 6, "mm": 6, "mln": 6, "mio": 6,
        "billion": 9, "billions": 9, "bn": 9, "b": 9, "bln": 9,
        "trillion": 12, "trillions": 12, "tn": 12, "t": 12, "trn": 12,
    }
)  # fmt: skip
"""Scale words and abbreviations (lower case) -> power of ten."""

_SCALE_NAMES: Final = {3: "thousand", 6: "million", 9: "billion", 12: "trillion"}
_SCALE_SHORT: Final = {3: "k", 6: "m", 9: "bn", 12: "tn"}
_UNIT_HINT: Final = "; write e.g. 'USD billion', 'EUR million' or 'JPY billion, 2020 prices'"


@dataclass(frozen=True, order=True)
class Unit:
    """A unit of money: ``currency`` (ISO 4217 code), ``scale`` (power of ten: 3 thousand, 6
    million, 9 billion, 12 trillion) and ``prices`` (the base year of constant prices; None for
    nominal, current prices)."""

    currency: str = "USD"
    scale: int = 9
    prices: int | None = None

    @property
    def label(self) -> str:
        """``"USD billion"``, ``"EUR million, 2020 prices"`` (what :func:`parse_unit` reads)."""
        base = f"{self.currency} {_SCALE_NAMES[self.scale]}"
        return f"{base}, {self.prices} prices" if self.prices is not None else base

    @property
    def scale_word(self) -> str:
        return _SCALE_NAMES[self.scale]

    @property
    def symbol(self) -> str:
        """The sign money is printed with: ``$``, ``€``, ``£``, ``¥``, ``CN¥``, else the code."""
        return SYMBOLS.get(self.currency, self.currency + " ")

    @property
    def axis_label(self) -> str:
        """What a chart's money axis says besides its tick labels: the currency, and the price
        base when real (``"USD"``, ``"EUR, 2020 prices"``)."""
        return self.currency if self.prices is None else f"{self.currency}, {self.prices} prices"

    @property
    def column_suffix(self) -> str:
        """The suffix column names use for this unit, e.g. ``usd_bn`` or ``eur_m``."""
        return f"{self.currency.lower()}_{_SCALE_SHORT[self.scale]}"

    def same_money(self, other: Unit) -> bool:
        """Same currency and price basis (scales may differ)."""
        return self.currency == other.currency and self.prices == other.prices

    def to(self, other: Unit) -> float:
        """The factor from this unit's scale to ``other``'s (currencies and prices aside)."""
        return float(10.0 ** (self.scale - other.scale))


USD_BILLION: Final = Unit()
"""The default unit of every scenario, estimates file and history."""


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s_]+", text.strip()) if w]


def currency_of(mark: str) -> str | None:
    """The ISO code a sign, code or word stands for (case and inner spaces ignored), or None.
    Ambiguous signs (``¥``) give None: see :data:`AMBIGUOUS_MARKS`."""
    key = "".join(mark.split()).lower()
    if key in _PREFIX_MARKS:
        return _PREFIX_MARKS[key]
    if key in _WORD_MARKS:
        return _WORD_MARKS[key]
    if key.upper() in ISO_4217 and key.isalpha():
        return key.upper()
    return None


def parse_unit(text: object, *, where: str = "unit") -> Unit:
    """Read a unit such as ``"USD billion"``, ``"€ million"`` or ``"JPY bn, 2020 prices"``.

    Raises
    ------
    ScenarioError
        One line naming ``where``, the rule and the value: an unknown currency (with a near
        miss), an ambiguous ``¥``, a missing or unknown scale, a price base that is not a
        four-digit year, or text left over.
    """
    if not isinstance(text, str):
        raise ScenarioError(
            message(where, "a unit must be a string such as 'USD billion'", text, _UNIT_HINT)
        )
    head, comma, tail = text.partition(",")
    prices = _prices(tail, text, where) if comma else None
    currency: str | None = None
    scale: int | None = None
    tokens = _split_marks(head)
    if not tokens:
        raise ScenarioError(message(where, "a unit needs a currency and a scale", text))
    for tok in tokens:
        low = tok.lower()
        if low in SCALE_WORDS and scale is None and not _is_code(tok, currency):
            scale = SCALE_WORDS[low]
            continue
        if tok in AMBIGUOUS_MARKS:
            codes = " or ".join(AMBIGUOUS_MARKS[tok])
            raise ScenarioError(
                message(
                    where,
                    f"{tok!r} is the sign of more than one currency ({codes}); write the code "
                    f"(e.g. '{AMBIGUOUS_MARKS[tok][0]} {_SCALE_NAMES[scale or 9]}')",
                    text,
                )
            )
        code = currency_of(tok)
        if code is not None and currency is None:
            currency = code
            continue
        if code is not None:
            raise ScenarioError(
                f"{where}: a unit names one currency; got {currency} and {code} in {text!r}"
            )
        if low in SCALE_WORDS:
            raise ScenarioError(message(where, "a unit names one scale", text))
        if tok.isalpha() and len(tok) == 3:
            raise ScenarioError(
                f"{where}: the currency must be an ISO 4217 code (USD, EUR, GBP, JPY, CNY, ...); "
                f"got {tok!r} in {text!r}{_code_hint(tok)}"
            )
        hint = near_miss(low, SCALE_WORDS) or near_miss(tok, [*list(_PREFIX_MARKS), "USD"])
        raise ScenarioError(
            message(
                where,
                f"unexpected {tok!r} in the unit (a currency and a scale such as 'EUR million')",
                text,
                hint,
            )
        )
    if currency is None:
        raise ScenarioError(
            message(where, "the unit must name its currency (USD, EUR, ...)", text, _UNIT_HINT)
        )
    if scale is None:
        raise ScenarioError(
            message(
                where,
                "the unit must name its scale (thousand, million, billion, trillion)",
                text,
                _UNIT_HINT,
            )
        )
    return Unit(currency, scale, prices)


_COMMON: Final = ("USD", "EUR", "GBP", "JPY", "CNY", "CHF", "CAD", "AUD", "INR", "KRW")


def _code_hint(tok: str) -> str:
    """A near miss among the currencies markets are sized in first, then among all codes."""
    return near_miss(tok.upper(), _COMMON) or near_miss(tok.upper(), sorted(ISO_4217))


def _is_code(tok: str, currency: str | None) -> bool:
    """``"MMK"``-like tokens are codes, never scale words; ``"M"`` stays a scale."""
    return currency is None and len(tok) == 3 and tok.isupper() and tok in ISO_4217


def _split_marks(head: str) -> list[str]:
    """Tokens of a unit's head: a leading sign glued to a word is split off (``€m``, ``$bn``);
    ``US$``, ``CN¥`` and the like stay whole."""
    out: list[str] = []
    for word in head.split():
        low = word.lower()
        for mark in sorted(_PREFIX_MARKS, key=len, reverse=True) + list(AMBIGUOUS_MARKS):
            if low.startswith(mark) and len(low) > len(mark) and not mark.isalpha():
                out += [word[: len(mark)], word[len(mark) :]]
                break
        else:
            out.append(word)
    return out


_PRICES = re.compile(
    r"\s*(?:(?:in\s+)?(?:constant|real)\s+)?(?P<year>[0-9]{4})\s+(?:prices|dollars|euros)\s*",
    re.IGNORECASE,
)
_NOMINAL = re.compile(r"\s*(?:nominal|current\s+prices)\s*", re.IGNORECASE)


def _prices(tail: str, text: str, where: str) -> int | None:
    if _NOMINAL.fullmatch(tail):
        return None
    m = _PRICES.fullmatch(tail)
    if m is None:
        raise ScenarioError(
            message(
                where,
                "after the comma a unit takes '<year> prices' (constant prices of that year) or "
                "'nominal'",
                text,
            )
        )
    year = int(m["year"])
    if not 1900 <= year <= 2200:
        raise ScenarioError(
            f"{where}: the price base year must lie between 1900 and 2200; got {year} in {text!r}"
        )
    return year


# ------------------------------------------------------------------------------------------------
# What column names and header cells say
# ------------------------------------------------------------------------------------------------

_NAME_SCALES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "k": 3, "thousand": 3, "thousands": 3, "000": 3,
        "m": 6, "mn": 6, "mm": 6, "mln": 6, "mio": 6, "million": 6, "millions": 6,
        "b": 9, "bn": 9, "bln": 9, "billion": 9, "billions": 9,
        "t": 12, "tn": 12, "trn": 12, "trillion": 12, "trillions": 12,
    }
)  # fmt: skip


# ISO codes that are also English words: in a column name they are words ("all_regions").
_CODE_WORDS: Final = frozenset(
    {"ALL", "BAM", "BOB", "CUP", "GEL", "MAD", "MOP", "NAD", "PEN", "SOS", "TOP", "TRY"}
)


def unit_hints(name: str) -> tuple[str | None, int | None]:
    """The currency and scale a column name or header cell says, each None when silent:
    ``value_usd_m`` -> ``("USD", 6)``, ``"Revenue (EUR bn)"`` -> ``("EUR", 9)``,
    ``"value"`` -> ``(None, None)``. Only whole tokens count (``eurostat`` is not EUR)."""
    tokens = [t for t in re.split(r"[^0-9A-Za-z€£$¥]+", name) if t]
    currency: str | None = None
    scale: int | None = None
    for i, tok in enumerate(tokens):
        low = tok.lower()
        iso = low.upper() in ISO_4217 and low.upper() not in _CODE_WORDS
        code = _PREFIX_MARKS.get(low) or (low.upper() if iso else None)
        if code is None and low in _WORD_MARKS:
            code = _WORD_MARKS[low]
        if code is not None and currency is None and (len(tokens) > 1 or len(low) == 3):
            currency = code
            continue
        # a lone letter counts as a scale only next to a currency or after the first token
        single = len(low) == 1
        if low in _NAME_SCALES and scale is None and (not single or i > 0):
            scale = _NAME_SCALES[low]
    return currency, scale


def check_column(
    name: str, declared: Unit, *, where: str, what: str = "column", whose: str = ""
) -> None:
    """Refuse a column name (or header cell) that says another currency or scale than the
    unit declared for it, naming both (``value_usd_m`` declared ``USD billion``); ``whose``
    says where the declared unit came from."""
    currency, scale = unit_hints(name)
    said = []
    if currency is not None and currency != declared.currency:
        said.append(currency)
    if scale is not None and scale != declared.scale:
        said.append(_SCALE_NAMES[scale])
    if not said:
        return
    says = " ".join(
        [currency or declared.currency, _SCALE_NAMES[scale] if scale else declared.scale_word]
    )
    raise ScenarioError(
        f"{where}: the {what} {name!r} says {says} but the values are declared in "
        f'{declared.label}{whose}; declare the unit the file is in (unit = "{says}") or fix '
        f"the {what}'s name; got {' and '.join(said)} against {declared.label}"
    )


# ------------------------------------------------------------------------------------------------
# The unit money is shown in
# ------------------------------------------------------------------------------------------------

_SHOWN: ContextVar[Unit] = ContextVar("forecast_unit_shown", default=USD_BILLION)


def current() -> Unit:
    """The unit money is printed in here (USD billion unless :func:`shown_in` says otherwise)."""
    return _SHOWN.get()


@contextlib.contextmanager
def shown_in(unit: Unit) -> Iterator[Unit]:
    """Print money in ``unit`` inside the block (the command line, reports and charts of one
    scenario)."""
    token = _SHOWN.set(unit)
    try:
        yield unit
    finally:
        _SHOWN.reset(token)
