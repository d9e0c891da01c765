"""Quantitative projections found in a text: value, currency, scale, year, CAGR and subject.

:func:`extract` reads a text sentence by sentence and returns one frozen :class:`Claim` per
projected value, with the exact character span it came from (``text[claim.start:claim.end] ==
claim.text``, Python ``str`` offsets, i.e. code points).

What counts as a projection
---------------------------
A sentence yields a claim for a money amount when all of these hold:

1. **An amount with a scale word**: ``$1.57 trillion``, ``USD 1.8 tn``, ``1,811.8 billion``,
   ``€200bn``, ``US$950M``, ``USD 826.73 Billion`` (long scale words in any case; a single
   letter ``T``/``B``/``M`` only after a currency), ``half a trillion dollars``, ranges
   ``$1.3-1.5 trillion`` / ``$900 billion to $1.2 trillion`` / ``between $2.6 trillion and
   $4.4 trillion`` (value = midpoint, ``low``/``high`` kept). Amounts without a scale word
   (prices such as ``$999``) never count; without a currency the amount is read as USD and
   flagged, unless a count noun follows (``1.4 billion people``).
2. **A projection cue** between the start of its clause and the amount or its year: forecast,
   projected, expected, estimated (not "was estimated at"), could, will, reach, grow, CAGR,
   "by 2030" and the like. Amounts introduced as actuals ("was valued at", "stood at",
   "reached", "from", "up from"), outcomes ("actually hit", "already reached") and current
   values ("stands at", "currently", "... today") are not claims; an actual becomes the
   **base** of the claim that follows in the same sentence ("grow from $196.6 billion in 2023
   to $1.81 trillion by 2030") or of the claim right before it when introduced by "from" ("by
   2030 from US$ 20.65 billion in 2023", "up from around $300 billion today"); a current base
   has no year (flagged "base stated as the current value").
3. **A subject**: a noun phrase headed by market, industry, sector, segment, spending,
   revenue, sales, investment, economy or opportunity, in the clause before the amount (or right
   after it: "a $500 billion AI chip market"), or carried from earlier in the sentence or the
   previous sentence when the clause only says "it". The subject drops leading determiners.

The year is the year expression right after the amount ("by 2030", "in FY2030", "through 2030")
or, failing that, the nearest one before it; a sentence-initial "By 2030," belongs to the
sentence's projection, never to an actual. A year is never carried across a clause break
(";", ":", ", but", ", while"). "FY30" reads as 2030. Vague
periods ("by the end of the decade", "in the coming years", "within five years") set
``vague=True`` and leave ``year`` None; so does a projection with no year at all (flagged "no
year stated"). Years that belong to a CAGR's span are never taken as the claim's year.

A CAGR is read when stated as "a CAGR of 37.3%", "a 21.6% CAGR", "a compound annual growth rate
(CAGR) of 19.1%" or "36% a year", with its span when one follows ("from 2023 to 2030",
"2025-2030", "(2024-30)", "over 2024-2032", Statista's "(CAGR 2025-2031) of 26.60%"); it
applies to every claim of its sentence. A stated range ("25-35% CAGR") keeps ``cagr_low`` and
``cagr_high``, stores the midpoint and is flagged. A sentence with a CAGR but no projected
amount yields nothing.

Flags also mark bounds ("more than", "over", "exceed": a lower bound; "up to": an upper bound)
and past projections ("had predicted"). A bare subject ("The market size ...") takes the
previous sentence's subject; "Revenue in the AI market" has the subject "AI market".

Known limits (not handled; read such claims by hand): numbers in words other than "half a"
("two trillion dollars"); amounts split from their scale ("$1.57 in trillions"); a year
before the amount in another clause than a sentence-initial "By 2030,"; subjects that are
not noun phrases headed by a market word ("AI could add $4.4 trillion" has no subject unless
a head noun such as "economy" follows); ranges whose span text omits the leading "between";
currencies written after a range's first number only; percentages of GDP; decimal commas
("1,57 trillion").

Currencies: ``$``, ``US$`` and ``USD`` are US dollars; ``€``/EUR, ``£``/GBP, ``¥`` (CNY or JPY),
yuan/RMB/CNY, yen/JPY, ``₹``/INR, ``C$``, ``A$``, ``HK$``, ``S$`` and other codes are kept with
their code and ``value_usd_bn`` None (flagged "unconvertible currency") unless ``rates`` gives a
USD rate for that code. No currency is ever treated as USD silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from .errors import ForecastError

__all__ = ["Claim", "extract", "read_text", "sentences"]


@dataclass(frozen=True)
class Claim:
    """One projected value found in a text.

    Attributes
    ----------
    text : str
        The claim's span: ``source[start:end]``, from the amount (or its base, or a year written
        before it) to the end of its year expression.
    start, end : int
        Code-point offsets into the source text (end exclusive).
    sentence_start, sentence_end : int
        Offsets of the sentence holding the claim.
    value_native : float
        The amount in billions of its own currency (the midpoint for a range).
    currency : str
        ISO-like code: ``USD``, ``EUR``, ``GBP``, ``CNY``, ``JPY``, ``CNY/JPY`` (for ``¥``), ...
    scale : str
        ``thousand``, ``million``, ``billion`` or ``trillion`` as written (the upper amount's).
    number : str
        The number as written (``"1.57"``, ``"1,811.8"``; ``"1.3-1.5"`` for a range).
    value_usd_bn : float or None
        USD billion; None when the currency cannot be converted.
    low_native, high_native : float or None
        The bounds of a range, in billions of the native currency.
    year : int or None
        The year the value refers to; None for vague or missing periods.
    year_text : str
        The year expression as written ("by 2030", "FY2030", "by the end of the decade").
    vague : bool
        The period is not a year.
    cagr : float or None
        Stated growth rate as a fraction (0.373 for 37.3%); the midpoint of a stated range.
    cagr_low, cagr_high : float or None
        The bounds of a stated range ("25-35% CAGR"), flagged "CAGR range".
    cagr_start, cagr_end : int or None
        The stated CAGR span.
    base_native : float or None
        A base value in the same sentence ("from $196.6 billion in 2023"), native billions.
    base_year : int or None
        Its year.
    subject : str
        What is being sized ("global AI market").
    flags : tuple of str
        Notes: "range", "currency not stated; read as USD", "unconvertible currency EUR",
        "converted at the given rate", "no year stated", "vague period", "subject from the
        previous sentence", ...
    """

    text: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    value_native: float
    currency: str
    scale: str
    number: str
    value_usd_bn: float | None
    year: int | None
    year_text: str
    vague: bool
    subject: str
    low_native: float | None = None
    high_native: float | None = None
    cagr: float | None = None
    cagr_low: float | None = None
    cagr_high: float | None = None
    cagr_start: int | None = None
    cagr_end: int | None = None
    base_native: float | None = None
    base_year: int | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (flags as a list)."""
        out = asdict(self)
        out["flags"] = list(self.flags)
        return out

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, where: str = "claim") -> Claim:
        """Rebuild a claim from :meth:`to_dict` output; unknown or missing keys are errors."""
        names = set(cls.__dataclass_fields__)
        unknown = sorted(set(record) - names)
        if unknown:
            raise ForecastError(f"{where}: unknown key {unknown[0]!r}; got keys {sorted(record)}")
        required = {"text", "start", "end", "value_native", "currency", "year", "subject"}
        missing = sorted(required - set(record))
        if missing:
            raise ForecastError(f"{where}: must have key {missing[0]!r}; got {sorted(record)}")
        data = {k: record[k] for k in record}
        data.setdefault("sentence_start", data["start"])
        data.setdefault("sentence_end", data["end"])
        data.setdefault("scale", "billion")
        data.setdefault("number", "")
        data.setdefault("value_usd_bn", None)
        data.setdefault("year_text", "")
        data.setdefault("vague", False)
        data["flags"] = tuple(data.get("flags", ()))
        return cls(**data)


# ------------------------------------------------------------------------------------------------
# reading files
# ------------------------------------------------------------------------------------------------


def read_text(path: Path | str, *, encoding: str | None = None) -> str:
    """Read a text file for extraction, refusing what is not text.

    UTF-8 (with or without a byte-order mark) is the default; a file that is not valid UTF-8 is
    refused with the offset of the first bad byte and a hint to name its encoding (for example
    ``latin-1`` or ``cp1252``), never guessed. UTF-16 is recognised by its byte-order mark.

    Raises
    ------
    ForecastError
        Missing file, a directory, an empty or blank file, binary content (NUL bytes), or bytes
        the encoding cannot decode.
    """
    p = Path(path)
    if not p.exists():
        raise ForecastError(f"{p}: the text file must exist; got no such file")
    if p.is_dir():
        raise ForecastError(f"{p}: must be a text file; got a directory")
    raw = p.read_bytes()
    if encoding is None and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    if encoding is None and b"\0" in raw[:8192]:
        raise ForecastError(f"{p}: must be a text file; got binary content (NUL bytes)")
    enc = encoding or "utf-8-sig"
    try:
        text = raw.decode(enc)
    except LookupError:
        raise ForecastError(f"--encoding: must name a known text encoding; got {enc!r}") from None
    except UnicodeDecodeError as exc:
        raise ForecastError(
            f"{p}: must be {enc.removesuffix('-sig').upper()} text; got an undecodable byte "
            f"0x{raw[exc.start]:02x} at offset {exc.start}; if the file uses another encoding, "
            "name it, e.g. --encoding latin-1"
        ) from None
    if not text.strip():
        raise ForecastError(f"{p}: must hold some text; got an empty file")
    return text


# ------------------------------------------------------------------------------------------------
# sentences
# ------------------------------------------------------------------------------------------------

_BOUNDARY: Final = re.compile(r"[.!?][\"”’')\]]*\s+(?=[\"“‘(\[]?[A-Z0-9$€£¥₹])|\n\s*")
_ABBREVIATIONS: Final = frozenset(
    {"inc", "corp", "ltd", "co", "vs", "approx", "est", "no", "st", "dr", "mr", "ms", "mrs",
     "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
     "e.g", "i.e", "etc", "fig", "ca"}
)  # fmt: skip


def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every sentence: split at ``.!?`` followed by space and a capital,
    digit or currency sign, and at line breaks; not after abbreviations (``U.S.``, ``Inc.``)."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if m.group().startswith((".", "!", "?")) and m.group()[0] == ".":
            head = text[start : m.start()].split()
            word = head[-1].lower() if head else ""
            if word in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
                continue
        end = m.start() + (0 if m.group().startswith("\n") else 1)
        if text[start:end].strip():
            out.append(_strip(text, start, end))
        start = m.end()
    if text[start:].strip():
        out.append(_strip(text, start, len(text)))
    return out


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    # a closing quote or bracket glued to the full stop belongs to the sentence
    while end < len(text) and text[end] in "\"”’')]" and end > start and text[end - 1] in ".!?":
        end += 1
    return start, end


# ------------------------------------------------------------------------------------------------
# amounts
# ------------------------------------------------------------------------------------------------

_CURRENCY_PREFIX: Final[Mapping[str, str]] = {
    "us$": "USD", "usd": "USD", "$": "USD", "€": "EUR", "eur": "EUR", "£": "GBP", "gbp": "GBP",
    "¥": "CNY/JPY", "jpy": "JPY", "cny": "CNY", "rmb": "CNY", "₹": "INR", "inr": "INR",
    "c$": "CAD", "cad": "CAD", "a$": "AUD", "aud": "AUD", "hk$": "HKD", "s$": "SGD",
    "chf": "CHF", "₩": "KRW", "krw": "KRW",
}  # fmt: skip
_CURRENCY_SUFFIX: Final[Mapping[str, str]] = {
    "usd": "USD", "us dollars": "USD", "u.s. dollars": "USD", "dollars": "USD",
    "euros": "EUR", "euro": "EUR", "eur": "EUR", "yuan": "CNY", "rmb": "CNY", "cny": "CNY",
    "pounds": "GBP", "gbp": "GBP", "yen": "JPY", "jpy": "JPY", "rupees": "INR", "inr": "INR",
}  # fmt: skip
_SCALE_WORDS: Final[Mapping[str, tuple[str, int]]] = {
    "trillion": ("trillion", 3), "trillions": ("trillion", 3), "tn": ("trillion", 3),
    "trn": ("trillion", 3), "t": ("trillion", 3),
    "billion": ("billion", 0), "billions": ("billion", 0), "bn": ("billion", 0),
    "bln": ("billion", 0), "b": ("billion", 0),
    "million": ("million", -3), "millions": ("million", -3), "mn": ("million", -3),
    "mln": ("million", -3), "mm": ("million", -3), "m": ("million", -3),
}  # fmt: skip
_COUNT_NOUNS: Final = frozenset(
    {"people", "users", "devices", "units", "parameters", "tokens", "subscribers",
     "smartphones", "connections", "downloads", "transactions", "hours", "tonnes", "tons",
     "barrels", "passengers", "visitors", "jobs", "workers", "customers", "vehicles",
     "images", "queries", "requests", "records", "views", "miles", "kilometres", "km",
     "years", "times", "citizens", "residents", "internet", "active", "monthly", "daily"}
)  # fmt: skip

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_PRE = r"(?:US\$|USD|EUR|GBP|JPY|CNY|RMB|INR|CAD|AUD|CHF|KRW|HK\$|C\$|A\$|S\$|\$|€|£|¥|₹|₩)"
_SCALE_LONG = r"(?i:trillions?|billions?|millions?|tn|trn|bn|bln|mn|mln|mm)"  # Billion, BILLION
_SCALE = rf"(?:\s?{_SCALE_LONG}|[TBM](?![A-Za-z])|[tbm](?![A-Za-z]))"
_POST = (  # \s, not a space: _MONEY is VERBOSE
    r"(?:US\sdollars|U\.S\.\sdollars|dollars|USD|euros?|EUR|yuan|RMB|CNY|pounds|GBP|yen|JPY"
    r"|rupees|INR)"
)
_MONEY: Final = re.compile(
    rf"""
    (?<![\w.,$€£¥₹₩])
    (?P<pre>{_PRE})?\s?
    (?P<n1>{_NUM})(?P<s1>{_SCALE})?
    (?:\s?(?P<sep>-|–|—|to|and)\s?(?(pre)(?P<pre2>{_PRE})?|)\s?(?P<n2>{_NUM}))?
    (?P<s2>{_SCALE})(?![\w])
    (?:\s(?P<post>{_POST})\b)?
    """,
    re.VERBOSE,
)


_HALF: Final = re.compile(
    rf"(?<![\w.,$€£¥₹₩])(?P<pre>{_PRE})?\s?(?P<n>half\s+an?|a\s+half)\s+"
    rf"(?P<s>(?i:trillion|billion|million))\b(?:\s(?P<post>{_POST})\b)?",
    re.IGNORECASE,
)  # "half a trillion dollars"


@dataclass(frozen=True)
class _Amount:
    start: int
    end: int
    native: float
    low: float | None
    high: float | None
    currency: str | None
    scale: str
    number: str


def _billions(number: str, scale_word: str) -> tuple[float, str]:
    name, exp = _SCALE_WORDS[scale_word.strip().lower()]
    return float(Decimal(number.replace(",", "")).scaleb(exp)), name


def _amounts(sentence: str, offset: int) -> list[_Amount]:
    out = []
    for m in _MONEY.finditer(sentence):
        pre = (m["pre"] or m["pre2"] or "").lower()
        post = (m["post"] or "").lower()
        s1 = m["s1"]
        if len(m["s2"].strip()) == 1 and not pre:
            continue  # "5m", "3T" without a currency: metres, tonnes, a model name...
        currency = _CURRENCY_PREFIX.get(pre) or _CURRENCY_SUFFIX.get(post)
        if currency is None:
            nxt = sentence[m.end() :].split()
            if nxt and nxt[0].strip(",.;:").lower() in _COUNT_NOUNS:
                continue
        hi, scale = _billions(m["n2"] or m["n1"], m["s2"])
        if m["n2"]:
            lo, _ = _billions(m["n1"], s1 or m["s2"])
            native, number = (lo + hi) / 2, f"{m['n1']}-{m['n2']}"
            low, high = lo, hi
        else:
            native, number, low, high = hi, m["n1"], None, None
        out.append(
            _Amount(
                offset + m.start(), offset + m.end(), native, low, high, currency, scale, number
            )
        )
    for h in _HALF.finditer(sentence):
        pre, post = (h["pre"] or "").lower(), (h["post"] or "").lower()
        currency = _CURRENCY_PREFIX.get(pre) or _CURRENCY_SUFFIX.get(post)
        if currency is None:
            continue  # "half a billion people": only money with its currency stated
        whole, scale = _billions("1", h["s"])
        number = " ".join(h["n"].split())
        out.append(
            _Amount(offset + h.start(), offset + h.end(), whole / 2, None, None, currency, scale,
                    number)
        )  # fmt: skip
    return sorted(out, key=lambda a: a.start)


# ------------------------------------------------------------------------------------------------
# years, CAGRs, cues
# ------------------------------------------------------------------------------------------------

_YEAR: Final = re.compile(
    r"""
    (?P<prep>\b(?:by|in|to|through|until|till|for|before|of)\s+(?:the\s+end\s+of\s+)?)?
    (?:
        \b(?:FY|fiscal(?:\s+year)?)\s?'?(?P<fy>(?:19|20)?\d\d)\b
      | \b(?P<y>(?:19|20)\d\d)\b(?![-–]\d|\s?(?:billion|million|trillion|bn|%))
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_VAGUE: Final = re.compile(
    r"\b(?:by\s+(?:the\s+)?end\s+of\s+(?:the|this)\s+decade|by\s+(?:the\s+)?decade'?s\s+end"
    r"|by\s+decade-end|in\s+the\s+coming\s+(?:years|decade)"
    r"|(?:with)?in\s+the\s+next\s+(?:few|two|three|five|ten|\d+)\s+years"
    r"|within\s+(?:a|one|two|three|five|ten|\d+)\s+(?:years?|decades?)"
    r"|over\s+the\s+next\s+decade|by\s+mid-century|in\s+the\s+(?:near|long)\s+term)\b",
    re.IGNORECASE,
)
_RATE = (
    r"(?:(?P<lo>\d{1,2}(?:\.\d+)?)\s?(?:%|percent)?\s?(?:-|–|to)\s?)?"  # "25-35%": a range
    r"(?P<r>\d+(?:\.\d+)?)\s?(?:%|percent|per\s+cent)"
)


def _rate(n: int) -> str:
    return _RATE.replace("?P<lo>", f"?P<lo{n}>").replace("?P<r>", f"?P<r{n}>")


_CAGR: Final = re.compile(
    rf"""
    (?:\b(?:CAGR|compound(?:ed)?\s+annual\s+growth\s+rate(?:\s*\(CAGR\))?)\s+
        (?:of\s+)?(?:about\s+|around\s+|approximately\s+|nearly\s+|roughly\s+|over\s+)?{_RATE})
    | (?:{_rate(2)}\s+(?:CAGR|compound(?:ed)?\s+annual\s+growth(?:\s+rate)?
        |a\s+year|per\s+year|per\s+annum|annually|each\s+year)\b)
    | (?:\bCAGR\s+(?P<a3>(?:19|20)\d\d)\s*[-–]\s*(?P<b3>(?:19|20)?\d\d)\)?\s+(?:of\s+)?{_rate(3)})
    """,
    re.VERBOSE | re.IGNORECASE,
)  # the third form is Statista's "(CAGR 2025-2031) of 26.60%"
_SPAN: Final = re.compile(
    r"\A[,;]?\s*\(?(?:(?:from|between|over|during|for|in|through)\s+)?(?:the\s+)?"
    r"(?:(?:forecast\s+)?period\s+|years\s+)?(?:of\s+)?\(?(?P<a>(?:19|20)\d\d)\s*"
    r"(?:-|–|—|to|and|through)\s*(?P<b>(?:19|20)?\d\d)\b\)?",
    re.IGNORECASE,
)
_CUE: Final = re.compile(
    r"\b(?:forecast\w*|project(?:ed|s|ion|ions)?|expect\w*|estimat\w*|anticipat\w*|predict\w*"
    r"|could|will|would|may|might|should|set\s+to|poised|on\s+track|likely|outlook|target\w*"
    r"|plan\w*\s+to|aim\w*\s+to|grow|surge|rise|climb|reach|hit|exceed|surpass|top|double"
    r"|triple|CAGR|by\s+(?:FY\s?)?(?:19|20)\d\d|by\s+(?:the\s+)?end\s+of)\b",
    re.IGNORECASE,
)
_QUAL = (
    r"(?:an?\s+estimated|estimated|about|around|approximately|approx\.|nearly|roughly|some|over"
    r"|more\s+than|almost|just\s+(?:over|under)|close\s+to|an?)"
)
_ACTUAL: Final = re.compile(
    rf"\b(?:was|were|stood\s+at|stands\s+at|is\s+currently|currently|totall?ed|amounted\s+to|accounted\s+for|generated|reached"
    rf"|valued\s+at|estimated\s+at|worth|at|from|of)\s*(?:{_QUAL}\s*)*\s*$",
    re.IGNORECASE,
)
_FUTURE_VALUED: Final = re.compile(
    rf"\b(?:be|being|become)\s+(?:valued\s+at|worth|estimated\s+at)\s*(?:{_QUAL}\s*)*$"
    rf"|(?:reach|hit|exceed|surpass|top|to|total)\s+(?:{_QUAL}\s*)*$"
    rf"|\b(?:resulting\s+in|reach(?:ing)?|to)\s+(?:an?\s+)?(?:(?:total\s+)?market\s+)?"
    rf"(?:volume|size|value|valuation)\s+of\s*(?:{_QUAL}\s*)*$",
    re.IGNORECASE,
)
_REALISED: Final = re.compile(
    rf"\b(?:actually|already|in\s+fact|eventually)\s+(?:hit|reached|stood\s+at|was|were"
    rf"|came\s+in\s+at|totall?ed|grew\s+to|rose\s+to|amounted\s+to)\s*(?:{_QUAL}\s*)*$",
    re.IGNORECASE,
)  # "it actually hit $300 billion": an outcome, not a projection
_CURRENT_BEFORE: Final = re.compile(
    rf"\b(?:stands?\s+at|is\s+currently|currently(?:\s+\w+)?(?:\s+at)?|is\s+now|today\s+at"
    rf"|at\s+present)\s*(?:{_QUAL}\s*)*$",
    re.IGNORECASE,
)
_CURRENT_AFTER: Final = re.compile(
    r"\A\s*(?:today|currently|now|at\s+present|this\s+year)\b", re.IGNORECASE
)
_CLAUSE_BREAK: Final = re.compile(r"[;:]|,\s*(?:but|while|whereas|although)\b", re.IGNORECASE)
_BASE_AFTER: Final = re.compile(
    rf"\A[^;:]{{0,30}}?\b(?:up\s+)?from\s+(?:{_QUAL}\s*)*\Z", re.IGNORECASE
)  # "... by 2030 from US$ 20.65 billion in 2023"
_LOWER_BOUND: Final = re.compile(
    r"\b(?P<q>more\s+than|over|at\s+least|upwards\s+of|in\s+excess\s+of|exceed(?:s|ing)?"
    r"|surpass(?:es|ing)?)\s*\Z",
    re.IGNORECASE,
)
_UPPER_BOUND: Final = re.compile(
    r"\b(?P<q>up\s+to|as\s+much\s+as|at\s+most|less\s+than|under)\s*\Z", re.IGNORECASE
)
_PAST_PROJECTION: Final = re.compile(
    r"\bhad\s+(?:been\s+)?(?:predicted|projected|forecast|expected|estimated)\b", re.IGNORECASE
)
_PAST_CUE_BLOCKERS: Final = re.compile(
    r"\b(?:was|were|had\s+been|stood|reached|totall?ed)\b", re.IGNORECASE
)


@dataclass(frozen=True)
class _Year:
    start: int
    end: int
    year: int | None
    text: str
    vague: bool


def _years(sentence: str, offset: int, blocked: list[tuple[int, int]]) -> list[_Year]:
    out = []
    for m in _YEAR.finditer(sentence):
        s, e = offset + m.start(), offset + m.end()
        if any(a <= s < b or a < e <= b for a, b in blocked):
            continue
        raw = m["fy"] or m["y"]
        year = int(raw) if len(raw) == 4 else 2000 + int(raw)
        out.append(_Year(s, e, year, m.group().strip(), False))
    for m in _VAGUE.finditer(sentence):
        out.append(_Year(offset + m.start(), offset + m.end(), None, m.group(), True))
    return sorted(out, key=lambda y: y.start)


@dataclass(frozen=True)
class _Cagr:
    rate: float | None = None
    low: float | None = None
    high: float | None = None
    start: int | None = None
    end: int | None = None
    blocked: tuple[tuple[int, int], ...] = ()


def _cagr(sentence: str, offset: int) -> _Cagr:
    """The sentence's CAGR: a range "25-35%" gives its midpoint with ``low``/``high`` kept."""
    m = _CAGR.search(sentence)
    if m is None:
        return _Cagr()
    hi = float(m["r"] or m["r2"] or m["r3"]) / 100
    raw_lo = m["lo"] or m["lo2"] or m["lo3"]
    lo = float(raw_lo) / 100 if raw_lo is not None and float(raw_lo) / 100 < hi else None
    rate = hi if lo is None else (lo + hi) / 2
    blocked = [(offset + m.start(), offset + m.end())]
    if m["a3"]:
        a, b = int(m["a3"]), m["b3"]
    elif span := _SPAN.search(sentence[m.end() :]):
        a, b = int(span["a"]), span["b"]
        blocked.append((offset + m.end() + span.start(), offset + m.end() + span.end()))
    else:  # "(2024-2030) at a CAGR of ..." or "between 2023 and 2030, ... CAGR"
        before = re.search(
            r"\b(?:between|from|over|during)\s+(?P<a>(?:19|20)\d\d)\s*(?:-|–|to|and)\s*"
            r"(?P<b>(?:19|20)?\d\d)\b",
            sentence[: m.start()],
        )
        if before is None:
            return _Cagr(rate, lo, hi if lo is not None else None, None, None, tuple(blocked))
        a, b = int(before["a"]), before["b"]
        blocked.append((offset + before.start(), offset + before.end()))
    end = int(b) if len(b) == 4 else a // 100 * 100 + int(b)
    return _Cagr(rate, lo, hi if lo is not None else None, a, end, tuple(blocked))


# ------------------------------------------------------------------------------------------------
# subjects
# ------------------------------------------------------------------------------------------------

_HEAD: Final = re.compile(
    r"\b(?:market|markets|industry|industries|sector|segment|spending|spend|revenues?|sales"
    r"|investments?|economy|opportunity|TAM)\b",
    re.IGNORECASE,
)
_STOP: Final = frozenset(
    {"the", "a", "an", "this", "that", "these", "those", "its", "their", "our", "his", "her",
     "which", "who", "and", "or", "but", "while", "with", "as", "says", "said", "say",
     "expects", "expect", "estimates", "predicts", "forecasts", "projects", "believes",
     "according", "to", "is", "are", "was", "were", "will", "could", "would", "by", "at",
     "from", "than", "whose", "sees", "puts", "notes", "report", "reports", "analysts",
     "experts", "when", "if", "then", "so", "be", "been", "has", "have", "had", "total",
     "reach", "hit", "grow", "of", "for", "in", "on", "it", "where", "whole"}
)  # fmt: skip
_CONNECTORS: Final = frozenset({"of", "for", "in", "on", "from"})
_LOWER_FIRST: Final = frozenset(
    {"global", "worldwide", "world", "total", "generative", "enterprise", "annual", "overall",
     "cloud", "industrial", "consumer", "corporate", "public", "private", "digital", "ai-driven"}
)  # fmt: skip
_AUX: Final = re.compile(
    r"\s*(?:is|are|was|were|will|could|would|may|might|should|can|to|be|has|have|had|expected"
    r"|projected|set|poised|alone|itself|globally|worldwide|,|;|:|\(|\d)",
    re.IGNORECASE,
)
_WORD: Final = re.compile(r"[A-Za-z][\w’'&./-]*")


def _subject_at(clause: str, head: re.Match[str], sentence_initial: int) -> str:
    """Noun phrase around the head noun matched in ``clause``."""
    words = list(_WORD.finditer(clause[: head.start()]))
    take: list[re.Match[str]] = []
    for w in reversed(words):
        gap = clause[w.end() : (take[0].start() if take else head.start())]
        if gap.strip() or len(take) >= 6:  # punctuation between words ends the phrase
            break
        token = w.group()
        if token.lower() in _STOP and token.lower() not in _CONNECTORS:
            break
        if token.lower() in _CONNECTORS and (not take or take[0].group().lower() in _CONNECTORS):
            break
        take.insert(0, w)
    while take and take[0].group().lower() in _CONNECTORS:
        take.pop(0)
    start = take[0].start() if take else head.start()
    end = head.end()
    tail = re.match(
        r"\s+(?:for|on|from|in|of)\s+((?:(?!(?:is|are|was|were|will|could|would|may|to|by|at"
        r"|and|alone|the|a|an|keeps|grows|continues|remains|has|have|looks|seems|stands|hits"
        r"|reaches|rises|expands|could|should|might|can)\b)[A-Za-z][\w’'&./-]*\s?){1,4})",
        clause[end:],
    )
    if tail and not _AUX.match(tail.group(1)):
        end += tail.end(0) - (1 if tail.group(0).endswith(" ") else 0)
    phrase = " ".join(clause[start:end].split()).rstrip(".,;:")
    first = phrase.split()[0]
    if start == sentence_initial and first.lower() in _LOWER_FIRST:
        phrase = first.lower() + phrase[len(first) :]
    return phrase


_MEASURE: Final = frozenset({"revenue", "revenues", "sales", "spending", "spend"})


def _subject(clause: str, after: str, sentence_initial: int) -> str:
    heads = list(_HEAD.finditer(clause))
    if heads:
        head = heads[0]
        # "Revenue in the AI market": the market is the subject, not the measure
        if head.group().lower() in _MEASURE and len(heads) > 1:
            gap = clause[head.end() : heads[1].start()]
            if re.fullmatch(r"\s+(?:in|of)\s+(?:the\s+)?[A-Za-z][\w’'&. -]{0,40}\s", gap):
                head = heads[1]
        return _subject_at(clause, head, sentence_initial)
    m = re.match(
        r"\s*(?:(?:annually|a\s+year|per\s+year|each\s+year)\s+)?"
        r"(?:(?:to|into|for|in|on)\s+)?(?:the\s+)?"
        r"((?:[A-Za-z][\w’'&./-]*\s){0,3}?)(?P<h>" + _HEAD.pattern[2:-2] + r")\b",
        after,
        re.IGNORECASE,
    )  # "$15.7 trillion to the global economy", "a $500 billion AI chip market"
    if m:
        return " ".join((m.group(1) + m["h"]).split())
    return ""


_BARE: Final = frozenset({"market", "market size", "industry", "sector"})


# ------------------------------------------------------------------------------------------------
# extraction
# ------------------------------------------------------------------------------------------------


def _pair_year(
    amount: _Amount, years: list[_Year], amounts: list[_Amount], text: str
) -> _Year | None:
    """The amount's year: the first year expression after it (before the next amount), else the
    nearest one before it; never across a clause break (";", ":", ", but", ", while")."""
    later = [a.start for a in amounts if a.start > amount.start]
    limit = min(later) if later else None
    for y in years:  # first year expression after the amount, before the next amount
        if y.start >= amount.end and (limit is None or y.start < limit):
            if (y.start - amount.end <= 40 or y.vague) and not _CLAUSE_BREAK.search(
                text[amount.end : y.start]
            ):
                return y
    earlier = [a.end for a in amounts if a.end <= amount.start]
    floor = max(earlier) if earlier else -1
    for y in reversed(years):  # else the nearest one before it
        if y.end <= amount.start and y.start >= floor:
            return None if _CLAUSE_BREAK.search(text[y.end : amount.start]) else y
    return None


def extract(text: str, *, rates: Mapping[str, float] | None = None) -> list[Claim]:
    """Find the quantitative projections in ``text``.

    Parameters
    ----------
    text : str
        Any text; offsets in the result index into it.
    rates : mapping of str to float, optional
        USD per unit of a currency (``{"EUR": 1.08}``) for converting non-USD claims; without a
        rate such claims keep ``value_usd_bn = None`` and the flag "unconvertible currency".

    Returns
    -------
    list of Claim
        In text order. See the module docstring for the rules.
    """
    claims: list[Claim] = []
    prev_subject = ""
    for s_start, s_end in sentences(text):
        sentence = text[s_start:s_end]
        found = _sentence_claims(text, s_start, s_end, prev_subject, rates or {})
        claims += found
        heads = list(_HEAD.finditer(sentence))
        prev_subject = (
            found[-1].subject if found else (_subject_at(sentence, heads[0], 0) if heads else "")
        )
    return claims


def _before_target(base_year: _Year | None, year: _Year | None) -> bool:
    if base_year is None or year is None or base_year.year is None or year.year is None:
        return True
    return base_year.year < year.year


def _sentence_claims(
    text: str, s_start: int, s_end: int, prev_subject: str, rates: Mapping[str, float]
) -> list[Claim]:
    sentence = text[s_start:s_end]
    amounts = _amounts(sentence, s_start)
    if not amounts:
        return []
    growth = _cagr(sentence, s_start)
    rate = growth.rate
    blocked = [*growth.blocked, *((a.start, a.end) for a in amounts)]
    years = _years(sentence, s_start, blocked)
    lead = next(
        (
            y
            for y in years[:1]
            if y.start == s_start and y.text.lower().startswith("by")
            and text[y.end : y.end + 1] == ","
        ),
        None,
    )  # fmt: skip  # "By 2030, ..." belongs to the sentence's target
    roles: list[tuple[_Amount, _Year | None, bool]] = []  # amount, year, is_target
    current: set[int] = set()  # amounts stated as today's value
    cursor = s_start
    for a in amounts:
        y = _pair_year(a, years, amounts, text)
        before = text[cursor : a.start]
        actual = bool(_ACTUAL.search(before)) and not _FUTURE_VALUED.search(before)
        if _CURRENT_BEFORE.search(before) or _CURRENT_AFTER.match(text[a.end : s_end]):
            actual, y = True, None
            current.add(a.start)
        if _REALISED.search(before):
            actual = True
        scope_end = max(a.end, y.end if y is not None else a.end)
        scope = text[cursor:scope_end]
        cue = _CUE.search(scope) is not None or (rate is not None and a is amounts[-1])
        if cue and _PAST_CUE_BLOCKERS.search(before[-30:]) and not _FUTURE_VALUED.search(before):
            cue = False
        if cue and not actual and y is None and lead is not None:
            y = lead
        roles.append((a, y, cue and not actual))
        cursor = scope_end
    out: list[Claim] = []
    clause_start = s_start
    last_subject = ""
    for i, (a, y, target) in enumerate(roles):
        if not target:
            continue
        base = next(
            (
                (b, by)
                for b, by, t in reversed(roles[:i])
                if not t and _before_target(by, y)
            ),
            None,
        )  # fmt: skip
        a_end = max(a.end, y.end if y is not None else a.end)
        if base is None and i + 1 < len(roles):  # "... by 2030 from US$ 20.65 billion in 2023"
            b, by, t = roles[i + 1]
            if not t and _before_target(by, y) and _BASE_AFTER.match(text[a_end : b.start]):
                base = (b, by)
        clause = text[clause_start : a.start]
        subject = _subject(clause, text[a.end : s_end], 0 if clause_start == s_start else -1)
        flags: list[str] = []
        if not subject and last_subject:
            subject = last_subject
            flags.append("subject from earlier in the sentence")
        if not subject and re.search(r"\b(?:it|its)\b", clause, re.IGNORECASE) and prev_subject:
            subject, flags = prev_subject, [*flags, "subject from the previous sentence"]
        if subject.lower() in _BARE and prev_subject and prev_subject.lower() not in _BARE:
            subject, flags = prev_subject, [*flags, "subject from the previous sentence"]
        if not subject:
            continue
        pieces = [a.start, a.end] + ([y.start, y.end] if y else [])
        if base is not None:
            pieces += [base[0].start, base[0].end]
            if base[1] is not None and base[0].start > a.start and base[1].start > base[0].end:
                pieces.append(base[1].end)

        start, end = min(pieces), max(pieces)
        currency = a.currency or "USD"
        if a.currency is None:
            flags.append("currency not stated; read as USD")
        usd: float | None
        if currency == "USD":
            usd = a.native
        elif currency in rates:
            usd = a.native * float(rates[currency])
            flags.append(f"converted at the given rate {rates[currency]:g} USD/{currency}")
        else:
            usd = None
            flags.append(f"unconvertible currency {currency} (give a rate to convert)")
        if a.low is not None:
            flags.append("range")
        if growth.low is not None:
            flags.append(
                f"CAGR range {100 * growth.low:g}%-{100 * (growth.high or 0):g}%; midpoint used"
            )
        if y is None:
            flags.append("no year stated")
        elif y.vague:
            flags.append("vague period")
        if base is not None and base[0].start in current:
            flags.append("base stated as the current value (no year)")
        if _PAST_PROJECTION.search(clause):
            flags.append("a past projection ('had predicted')")
        near = text[max(s_start, a.start - 25) : a.start]
        if bound := _LOWER_BOUND.search(near):
            flags.append(f"lower bound ('{' '.join(bound['q'].split())}')")
        elif bound := _UPPER_BOUND.search(near):
            flags.append(f"upper bound ('{' '.join(bound['q'].split())}')")
        out.append(
            Claim(
                text=text[start:end],
                start=start,
                end=end,
                sentence_start=s_start,
                sentence_end=s_end,
                value_native=a.native,
                currency=currency,
                scale=a.scale,
                number=a.number,
                value_usd_bn=usd,
                year=y.year if y else None,
                year_text=y.text if y else "",
                vague=bool(y and y.vague),
                subject=subject,
                low_native=a.low,
                high_native=a.high,
                cagr=rate,
                cagr_low=growth.low,
                cagr_high=growth.high,
                cagr_start=growth.start,
                cagr_end=growth.end,
                base_native=base[0].native if base else None,
                base_year=base[1].year if base and base[1] else None,
                flags=tuple(flags),
            )
        )
        last_subject = subject
        clause_start = max(a.end, y.end if y else a.end)
    return out


def with_rates(claim: Claim, rates: Mapping[str, float]) -> Claim:
    """The claim converted to USD at a given rate (unchanged if USD or no rate is given)."""
    if claim.currency == "USD" or claim.currency not in rates:
        return claim
    flags = tuple(f for f in claim.flags if not f.startswith("unconvertible"))
    return replace(
        claim,
        value_usd_bn=claim.value_native * float(rates[claim.currency]),
        flags=(
            *flags,
            f"converted at the given rate {rates[claim.currency]:g} USD/{claim.currency}",
        ),
    )
