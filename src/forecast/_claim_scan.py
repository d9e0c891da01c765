"""The text scanning behind :mod:`forecast.claims`: sentences, money amounts, years, CAGRs,
projection cues and subjects.

Regular expressions, small frozen records and the functions that apply them to one sentence;
:func:`forecast.claims.extract` combines their results into claims (the rules are in that
module's docstring).

Every pattern runs in time linear in the text it is given, whatever the text (the scanner reads
articles from the web): no quantifier nests another over an unbounded span unless the inner one
is possessive (``*+``, ``++``) and cannot give back what the outer one needs; the patterns that
decide how an amount is introduced ("was valued at about") read only :func:`lead_in`, the last
:data:`LEAD_IN_CHARS` characters before it; and the functions look matches up by position
instead of rescanning the sentence for each amount. ``benchmarks/claims_text.py`` measures it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

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
            word = _word_before(text, start, m.start()).lower()
            if word in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word):
                continue
        end = m.start() + (0 if m.group().startswith("\n") else 1)
        if text[start:end].strip():
            out.append(_strip(text, start, end))
        start = m.end()
    if text[start:].strip():
        out.append(_strip(text, start, len(text)))
    return out


def _word_before(text: str, start: int, end: int) -> str:
    """The last whitespace-separated word of ``text[start:end]`` (``""`` if none), read
    backwards from ``end``: the time it takes is the word's length, not the sentence's."""
    stop = end
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    first = stop
    while first > start and not text[first - 1].isspace():
        first -= 1
    return text[first:stop]


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
    "¥": "CNY/JPY", "cn¥": "CNY", "rmb¥": "CNY", "jp¥": "JPY", "jpy": "JPY", "cny": "CNY",
    "rmb": "CNY", "₹": "INR", "inr": "INR",
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
    "trn": ("trillion", 3), "trln": ("trillion", 3), "tln": ("trillion", 3), "t": ("trillion", 3),
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
_PRE = (
    r"(?:US\$|USD|EUR|GBP|JPY|CNY|CN¥|JP¥|RMB¥|RMB|INR|CAD|AUD|CHF|KRW|HK\$|C\$|A\$|S\$"
    r"|\$|€|£|¥|₹|₩)"
)
_SCALE_LONG = (  # Billion, BILLION; "trln" and "tln" as in Xinhua's "10 trln yuan"
    r"(?i:trillions?|billions?|millions?|tn|trn|trln|tln|bn|bln|mn|mln|mm)"
)
# "1-trillion-yuan": a hyphen may join the number, the scale word and the currency word
_SCALE = rf"(?:[\s-]?{_SCALE_LONG}|[TBM](?![A-Za-z])|[tbm](?![A-Za-z]))"
_POST = (  # \s, not a space: _MONEY is VERBOSE
    r"(?:US\sdollars|U\.S\.\sdollars|dollars|USD|euros?|EUR|yuan|RMB|CNY|pounds|GBP|yen|JPY"
    r"|rupees|INR)"
)
# An amount starts after no word character, digit separator or currency sign, except the
# "c." or "ca." of circa ("c.US$250 bn").
_START = r"(?:(?<![\w.,$€£¥₹₩])|(?<=\bc\.)|(?<=\bca\.))"
_MONEY: Final = re.compile(
    rf"""
    {_START}
    (?P<pre>{_PRE})?\s?
    (?P<n1>{_NUM})(?P<s1>{_SCALE})?
    (?:\s?(?P<sep>-|–|—|to|and)\s?(?(pre)(?P<pre2>{_PRE})?|)\s?(?P<n2>{_NUM}))?
    (?P<s2>{_SCALE})(?![\w])
    (?:[\s-](?P<post>{_POST})\b)?
    """,
    re.VERBOSE,
)


_NEXT_WORD: Final = re.compile(r"\s*+(\S++)")  # str.split()'s first word, from a position

_UNIT_WORDS: Final[Mapping[str, int]] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TEN_WORDS: Final[Mapping[str, int]] = {
    w: 10 * i
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)
}
_FRACTIONS: Final[Mapping[str, float]] = {
    "half a": 0.5, "half an": 0.5, "a half": 0.5, "a quarter of a": 0.25,
    "a quarter of an": 0.25, "one quarter of a": 0.25, "three quarters of a": 0.75,
    "three-quarters of a": 0.75,
}  # fmt: skip
_NUMBER_WORD = "(?:" + "|".join(sorted([*_UNIT_WORDS, *_TEN_WORDS], key=len, reverse=True)) + ")"
# Numbers in words before a long scale word: "one trillion", "two hundred billion", "twenty-five
# billion", "one and a half trillion", "a quarter of a trillion", "half a trillion". Each word
# is read once: the run of words is possessive, so a run that is not followed by a scale word
# fails once instead of being re-split.
_WORDS: Final = re.compile(
    rf"""
    (?<![\w.,$€£¥₹₩-])
    (?P<pre>{_PRE})?\s?
    (?P<n>
        half\s+an?|a\s+half|(?:a|one)\s+quarter\s+of\s+an?|three[\s-]quarters\s+of\s+an?
      | (?:an?|{_NUMBER_WORD})\b(?:[\s-]++(?:and\s++)?(?:{_NUMBER_WORD}|hundred)\b)*+
        (?:\s+and\s+a\s+half)?
    )
    [\s-]+(?P<s>trillion|billion|million)\b
    (?:[\s-](?P<post>{_POST})\b)?
    """,
    re.VERBOSE | re.IGNORECASE,
)


def _word_number(words: str) -> float:
    """The value of a number written in words (``"two hundred"`` 200, ``"one and a half"``
    1.5, ``"a quarter of a"`` 0.25); the words are those :data:`_WORDS` reads."""
    text = " ".join(words.lower().replace("-", " ").split())
    if text in _FRACTIONS:
        return _FRACTIONS[text]
    half = text.endswith(" and a half")
    value = 0
    for w in text.removesuffix(" and a half").split():
        if w == "hundred":
            value = (value or 1) * 100
        elif w in ("a", "an"):
            value += 1
        elif w != "and":
            value += _UNIT_WORDS.get(w, 0) + _TEN_WORDS.get(w, 0)
    return value + (0.5 if half else 0.0)


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
    conflict: str = ""  # two currency words that disagree: "'USD' before it, 'yuan' after it"
    restated: tuple[str, float, str] | None = None  # "(US$145.47 billion)": currency, bn, text


def _billions(number: str, scale_word: str) -> tuple[float, str]:
    name, exp = _SCALE_WORDS[scale_word.strip("- \t\n").lower()]
    return float(Decimal(number.replace(",", "")).scaleb(exp)), name


_DOLLARS: Final = frozenset({"USD", "CAD", "AUD", "HKD", "SGD"})


def _currency(pre: str, post: str) -> tuple[str | None, str]:
    """The currency an amount names and, when its words before and after it disagree ("USD 5.6
    trillion yuan"), both as "USD/CNY" with a sentence saying so: never one picked over the
    other. "¥ ... yen" is JPY, "¥ ... yuan" CNY, "C$ ... dollars" CAD."""
    before, after = _CURRENCY_PREFIX.get(pre.lower()), _CURRENCY_SUFFIX.get(post.lower())
    if before is None or after is None or before == after:
        return before or after, ""
    if before == "CNY/JPY" and after in ("CNY", "JPY"):
        return after, ""
    if post.lower() == "dollars" and before in _DOLLARS:
        return before, ""
    return f"{before}/{after}", f"'{pre}' before the amount, '{post}' after it"


# "1 trillion yuan ($145.47 billion)": the same amount restated in brackets
_RESTATED_GAP: Final = re.compile(
    r"\s*+\(\s*+(?:(?:about|around|approximately|approx\.|roughly|some|nearly|or|i\.e\.,?"
    r"|equivalent\s+to|equal\s+to|c\.|ca\.)\s*+)?"
)
_CLOSE: Final = re.compile(r"\s*+\)")


def _amounts(sentence: str, offset: int) -> list[_Amount]:
    """The money amounts of a sentence, in text order. A number with a scale word and no
    currency is left out when a count noun follows it ("1.4 billion people"), and so is every
    other one without a currency in a sentence that counts things ("EV sales reached 14 million
    units in 2023 and could reach 40 million by 2030"): never read as dollars."""
    out = []
    counts = False  # the sentence counts things: its amounts without a currency are counts
    for m in _MONEY.finditer(sentence):
        pre, post = m["pre"] or m["pre2"] or "", m["post"] or ""
        s1 = m["s1"]
        if len(m["s2"].strip("- \t\n")) == 1 and not pre and not post:
            continue  # "5m", "3T" without a currency: metres, tonnes, a model name...
        currency, conflict = _currency(pre, post)
        if currency is None:
            nxt = _NEXT_WORD.match(sentence, m.end())
            if nxt and nxt[1].strip(",.;:").lower() in _COUNT_NOUNS:
                counts = True
                continue
        hi, scale = _billions(m["n2"] or m["n1"], m["s2"])
        if m["n2"]:
            lo, scale1 = _billions(m["n1"], s1 or m["s2"])
            # "$900 million and $1.2 billion": the first number keeps its own scale word
            first = m["n1"] if scale1 == scale else f"{m['n1']} {scale1}"
            native, number = (lo + hi) / 2, f"{first}-{m['n2']}"
            low, high = lo, hi
        else:
            native, number, low, high = hi, m["n1"], None, None
        out.append(
            _Amount(
                offset + m.start(), offset + m.end(), native, low, high, currency, scale, number,
                conflict,
            )
        )  # fmt: skip
    for w in _WORDS.finditer(sentence):
        pre, post = w["pre"] or "", w["post"] or ""
        currency, conflict = _currency(pre, post)
        if currency is None:
            continue  # "two billion people", "half a billion users": only money with a currency
        whole, scale = _billions("1", w["s"])
        number = " ".join(w["n"].split())
        out.append(
            _Amount(offset + w.start(), offset + w.end(), whole * _word_number(number), None, None,
                    currency, scale, number, conflict)
        )  # fmt: skip
    if counts:
        out = [a for a in out if a.currency is not None]
    return _merge_restated(sorted(out, key=lambda a: a.start), sentence, offset)


def _merge_restated(amounts: list[_Amount], sentence: str, offset: int) -> list[_Amount]:
    """An amount followed by the same amount in brackets ("10 trillion yuan (1.45 trillion U.S.
    dollars)", "US$1,345.2 billion (US$1.345 trillion)") is one amount: the bracketed one is
    kept as its restatement, its span runs to the closing bracket."""
    out: list[_Amount] = []
    i = 0
    while i < len(amounts):
        a = amounts[i]
        b = amounts[i + 1] if i + 1 < len(amounts) else None
        if b is not None and b.currency is not None and b.start - a.end <= 40:
            gap = _RESTATED_GAP.match(sentence, a.end - offset, b.start - offset)
            close = _CLOSE.match(sentence, b.end - offset)
            if gap and gap.end() == b.start - offset and close:
                shown = " ".join(sentence[b.start - offset : b.end - offset].split())
                out.append(replace(a, end=offset + close.end(),
                                   restated=(b.currency, b.native, shown)))  # fmt: skip
                i += 2
                continue
        out.append(a)
        i += 1
    return out


# ------------------------------------------------------------------------------------------------
# years, CAGRs, cues
# ------------------------------------------------------------------------------------------------

_YEAR: Final = re.compile(
    r"""
    (?P<prep>\b(?:by|in|to|through|until|till|for|before|of)\s+(?:the\s+(?:end\s+of|year)\s+)?)?
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
_RATE = (  # never starts inside a number: each run of digits is read once, not once per digit
    r"(?<!\d)(?<!\d\.)(?:(?P<lo>\d{1,2}(?:\.\d+)?)\s?(?:%|percent)?\s?(?:-|–|to)\s?)?"  # "25-35%"
    r"(?P<r>\d++(?:\.\d++)?)\s?(?:%|percent|per\s+cent)"
)


def _rate(n: int) -> str:
    return _RATE.replace("?P<lo>", f"?P<lo{n}>").replace("?P<r>", f"?P<r{n}>")


_CAGR: Final = re.compile(
    rf"""
    (?:\b(?:CAGR|(?:compound(?:ed)?\s+|average\s+)?annual\s+growth\s+rate(?:\s*\(CAGR\))?)\s+
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
_QUAL = (  # "an estimated" is "an" then "estimated": one reading of each run of qualifiers
    r"(?:estimated|about|around|approximately|approx\.|nearly|roughly|some|over"
    r"|more\s+than|almost|just\s+(?:over|under)|close\s+to|an?)"
)
# A run of qualifiers up to the end: possessive, so a run that does not reach the end fails once
# instead of being re-split every way (2^n for "an estimated" x n, n^2 for a run of spaces).
_QUALS = rf"(?:{_QUAL}\s*+)*+"
LEAD_IN_CHARS: Final = 160
_SPACES: Final = re.compile(r"\s+")


def lead_in(before: str) -> str:
    """The words that introduce an amount: the end of ``before`` (the text since the previous
    amount) with every run of whitespace read as one space, at most :data:`LEAD_IN_CHARS`
    characters. The patterns that classify an amount ("was valued at about", "is expected to
    reach") read only this, so their time per amount is bounded whatever precedes it."""
    return _SPACES.sub(" ", before)[-LEAD_IN_CHARS:]


_ACTUAL: Final = re.compile(
    rf"\b(?:was|were|stood\s+at|stands\s+at|is\s+currently|currently|totall?ed|amounted\s+to|accounted\s+for|generated|reached"
    rf"|valued\s+at|estimated\s+at|worth|at|from|of)\s*+{_QUALS}$",
    re.IGNORECASE,
)
_FUTURE_VALUED: Final = re.compile(
    rf"\b(?:be|being|become)\s+(?:valued\s+at|worth|estimated\s+at)\s*+{_QUALS}$"
    rf"|(?:reach|hit|exceed|surpass|top|to|total)\s++{_QUALS}$"
    rf"|\b(?:resulting\s+in|reach(?:ing)?|to)\s+(?:an?\s+)?(?:(?:total\s+)?market\s+)?"
    rf"(?:volume|size|value|valuation)\s+of\s*+{_QUALS}$"
    # "forecasts for 2030 put it at", "analysts peg the market at": a figure put on it
    # (the words between "the" and "at" are one lazy bounded run: nothing nested)
    rf"|\b(?:puts?|putting|pegs?|pegging|sees?|seeing)\s+(?:it|them|the\s[\w\s’'-]{{1,60}}?)"
    rf"\s+at\s*+{_QUALS}$"
    # "is forecast at 1.2 trillion USD in 2030", "projected to be at": a forecast's figure
    rf"|\b(?:forecast(?:ed)?|projected|predicted|expected)\s+(?:to\s+(?:be|stand)\s+)?at"
    rf"\s*+{_QUALS}$",
    re.IGNORECASE,
)
_FROM_END: Final = re.compile(rf"\b(?:up\s+)?from\s*+{_QUALS}$", re.IGNORECASE)
_TO_END: Final = re.compile(rf"\bto\s*+{_QUALS}$", re.IGNORECASE)
_REALISED: Final = re.compile(
    rf"\b(?:actually|already|in\s+fact|eventually)\s+(?:hit|reached|stood\s+at|was|were"
    rf"|came\s+in\s+at|totall?ed|grew\s+to|rose\s+to|amounted\s+to)\s*+{_QUALS}$",
    re.IGNORECASE,
)  # "it actually hit $300 billion": an outcome, not a projection
_CURRENT_BEFORE: Final = re.compile(
    rf"\b(?:stands?\s+at|is\s+currently|currently(?:\s+\w+)?(?:\s+at)?|is\s+now|today\s+at"
    rf"|at\s+present)\s*+{_QUALS}$",
    re.IGNORECASE,
)
_CURRENT_AFTER: Final = re.compile(  # matched at the amount's end: .match(text, end, stop)
    r"\s*+(?:today|currently|now|at\s+present|this\s+year)\b", re.IGNORECASE
)
_CLAUSE_BREAK: Final = re.compile(r"[;:]|,\s*(?:but|while|whereas|although)\b", re.IGNORECASE)
_BASE_AFTER: Final = re.compile(
    rf"\A[^;:]{{0,30}}?\b(?:up\s+)?from\s++{_QUALS}\Z", re.IGNORECASE
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


# A growth rate stated with no value is a claim unless it is told as past ("grew at a CAGR of
# 14.7% from 2016 to 2019") with no word of a forecast in its sentence.
_PAST_RATE: Final = re.compile(
    r"\b(?:grew|rose|expanded|increased|climbed|jumped|surged|registered|recorded|posted"
    r"|witnessed|achieved|saw|was|were|had|ha(?:s|ve)\s+(?:grown|risen|expanded|increased|been))\b",
    re.IGNORECASE,
)
_FUTURE_RATE: Final = re.compile(
    r"\b(?:forecast\w*|project(?:ed|s|ion|ions)?|expect\w*|anticipat\w*|predict\w*|estimat\w*"
    r"|will|could|would|may|might|should|set\s+to|poised|on\s+track|likely|outlook"
    r"|(?:is|are)\s+to|to\s+(?:grow|expand|register|witness|exhibit|reach|rise|increase|climb"
    r"|progress|advance|record|post|surge))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Year:
    start: int
    end: int
    year: int | None
    text: str
    vague: bool


def _years(sentence: str, offset: int, blocked: list[tuple[int, int]]) -> list[_Year]:
    """Year expressions, except those that start or end inside a ``blocked`` span (an amount,
    a CAGR and its period)."""
    spans = sorted(blocked)
    starts = [a for a, _ in spans]
    reach = list(itertools.accumulate((b for _, b in spans), max))  # furthest end so far

    def inside(s: int, e: int) -> bool:
        i = bisect.bisect_right(starts, s)  # spans with a <= s: does one end after s?
        j = bisect.bisect_left(starts, e)  # spans with a < e: does one end at or after e?
        return (i > 0 and reach[i - 1] > s) or (j > 0 and reach[j - 1] >= e)

    out = []
    for m in _YEAR.finditer(sentence):
        s, e = offset + m.start(), offset + m.end()
        if inside(s, e):
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
    at: tuple[int, int] = (0, 0)  # the rate as written ("a CAGR of 37.3%"), text offsets
    span: tuple[int, int] | None = None  # its span as written ("from 2023 to 2030")


# "at a 37.3% CAGR through 2030": a span with its end year only (not blocked: the year is also
# the one a value stated with the rate refers to)
_SPAN_END: Final = re.compile(
    r"\s*+[,;]?\s*+(?P<p>through|until|till|to|by)\s+(?:the\s+end\s+of\s+)?(?P<b>(?:19|20)\d\d)\b"
    r"(?![-–]\d|\s?(?:billion|million|trillion|bn|%))",
    re.IGNORECASE,
)


def _cagr(sentence: str, offset: int) -> _Cagr:
    """The sentence's CAGR: a range "25-35%" gives its midpoint with ``low``/``high`` kept."""
    m = _CAGR.search(sentence)
    if m is None:
        return _Cagr()
    hi = float(m["r"] or m["r2"] or m["r3"]) / 100
    raw_lo = m["lo"] or m["lo2"] or m["lo3"]
    lo = float(raw_lo) / 100 if raw_lo is not None and float(raw_lo) / 100 < hi else None
    rate = hi if lo is None else (lo + hi) / 2
    high = hi if lo is not None else None
    at = (offset + m.start(), offset + m.end())
    blocked = [at]
    if m["a3"]:
        a, b = int(m["a3"]), m["b3"]
        span = (offset + m.start("a3"), offset + m.end("b3"))
    elif found := _SPAN.search(sentence[m.end() :]):
        a, b = int(found["a"]), found["b"]
        span = (offset + m.end() + found.start(), offset + m.end() + found.end())
        blocked.append(span)
    elif tail := _SPAN_END.match(sentence, m.end()):
        span = (offset + tail.start("p"), offset + tail.end())
        return _Cagr(rate, lo, high, None, int(tail["b"]), tuple(blocked), at, span)
    else:  # "(2024-2030) at a CAGR of ..." or "between 2023 and 2030, ... CAGR"
        before = re.search(
            r"\b(?:between|from|over|during)\s+(?P<a>(?:19|20)\d\d)\s*(?:-|–|to|and)\s*"
            r"(?P<b>(?:19|20)?\d\d)\b",
            sentence[: m.start()],
        )
        if before is None:
            return _Cagr(rate, lo, high, None, None, tuple(blocked), at)
        a, b = int(before["a"]), before["b"]
        span = (offset + before.start(), offset + before.end())
        blocked.append(span)
    end = int(b) if len(b) == 4 else a // 100 * 100 + int(b)
    return _Cagr(rate, lo, high, a, end, tuple(blocked), at, span)


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
_IT: Final = re.compile(r"\b(?:it|its)\b", re.IGNORECASE)  # "it could reach": a carried subject
# a word starts with a letter, or with digits glued to a letter ("5G", "3D"), never inside one
_WORD: Final = re.compile(r"(?<![\w’'&./-])(?:[A-Za-z]|\d++[A-Za-z])[\w’'&./-]*")


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


_HEAD_AFTER: Final = re.compile(
    r"\s*+(?:(?:annually|a\s+year|per\s+year|each\s+year)\s+)?"
    r"(?:(?:to|into|for|in|on)\s+)?(?:the\s+)?"
    r"((?:[A-Za-z][\w’'&./-]*\s){0,3}?)(?P<h>" + _HEAD.pattern[2:-2] + r")\b",
    re.IGNORECASE,
)  # "$15.7 trillion to the global economy", "a $500 billion AI chip market"


def _subject(clause: str, text: str, after: int, stop: int, sentence_initial: int) -> str:
    """The subject named in ``clause`` (the text before an amount), else right after the amount
    (``text[after:stop]``, read in place)."""
    heads = list(itertools.islice(_HEAD.finditer(clause), 2))
    if heads:
        head = heads[0]
        # "Revenue in the AI market": the market is the subject, not the measure
        if head.group().lower() in _MEASURE and len(heads) > 1:
            gap = clause[head.end() : heads[1].start()]
            if re.fullmatch(r"\s+(?:in|of)\s+(?:the\s+)?[A-Za-z][\w’'&. -]{0,40}\s", gap):
                head = heads[1]
        return _subject_at(clause, head, sentence_initial)
    m = _HEAD_AFTER.match(text, after, stop)
    if m:
        return " ".join((m.group(1) + m["h"]).split())
    return ""


_BARE: Final = frozenset({"market", "market size", "industry", "sector"})
