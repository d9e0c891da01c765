"""Quantitative projections found in a text: value, currency, scale, year, CAGR and subject.

:func:`extract` reads a text sentence by sentence and returns one frozen :class:`Claim` per
projected value, with the exact character span it came from (``text[claim.start:claim.end] ==
claim.text``, Python ``str`` offsets, i.e. code points).

What counts as a projection
---------------------------
A sentence yields a claim for a money amount when all of these hold:

1. **An amount with a scale word**: ``$1.57 trillion``, ``USD 1.8 tn``, ``1,811.8 billion``,
   ``€200bn``, ``US$950M``, ``USD 826.73 Billion``, ``10 trln yuan``, ``400 bn USD``,
   ``1-trillion-yuan`` (long scale words and tn/trn/trln/bn/bln/mn/mln in any case; a single
   letter ``T``/``B``/``M`` only with a currency), numbers in words with a currency (``one
   trillion dollars``, ``two hundred billion euros``, ``half a trillion dollars``), ranges
   ``$1.3-1.5 trillion`` / ``$900 billion to $1.2 trillion`` / ``between $2.6 trillion and
   $4.4 trillion`` (value = midpoint, ``low``/``high`` kept). Amounts without a scale word
   (prices such as ``$999``) never count; without a currency the amount is read as USD and
   flagged, unless a count noun follows (``1.4 billion people``) or its sentence counts
   things ("14 million units in 2023 and ... 40 million by 2030"). An amount restated in
   brackets right after it ("1 trillion yuan ($137.9 billion)") is one amount: its USD value
   is the restated one, flagged as such.
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
``cagr_high``, stores the midpoint and is flagged. A sentence with a CAGR over a span ("from
2023 to 2030", "between 2024 and 2032", "through 2030") but no projected amount yields a claim
of kind "growth rate" with no value (flagged "growth rate only"), unless the rate is told as
past ("grew at a CAGR of 6.1% between 2018 and 2023") with no forecast word in the sentence.

Flags also mark bounds ("more than", "over", "exceed": a lower bound; "up to": an upper bound)
and past projections ("had predicted"). A bare subject ("The market size ...") takes the
previous sentence's subject; "Revenue in the AI market" has the subject "AI market".

Known limits (not handled; read such claims by hand): numbers in words without a currency;
Indian lakh and crore; a restatement in brackets after the year; a sentence hard-wrapped over
lines (a line break ends a sentence); amounts split from their scale ("$1.57 in trillions"); a
year before the amount in another clause than a sentence-initial "By 2030,"; subjects that are
not noun phrases headed by a market word ("AI could add $4.4 trillion" has no subject unless
a head noun such as "economy" follows); ranges whose span text omits the leading "between";
currencies written after a range's first number only; percentages of GDP; decimal commas
("1,57 trillion").

Currencies: ``$``, ``US$`` and ``USD`` are US dollars; ``€``/EUR, ``£``/GBP, yuan/RMB/CNY/CN¥,
yen/JPY/JP¥, ``₹``/INR, ``₩``/KRW, ``C$``, ``A$``, ``HK$``, ``S$`` and other codes are kept with
their code, in their own scale, and ``value_usd_bn`` None (flagged "unconvertible currency")
unless ``rates`` gives a USD rate for that code. A bare ``¥`` is JPY when the subject names
Japan, CNY when it names China (flagged), else ``CNY/JPY`` and never converted. Currency words
that disagree around one amount ("USD 5.6 trillion yuan") give both codes and a flag, never one
picked. No currency is ever treated as USD silently.

Longer than 500 lines because the rules that turn the scanner's pieces into claims (subject,
period, currency, scale, growth rate, what is missing) depend on each other and on one sentence
at a time; the scanning itself is in :mod:`.scan`.
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ForecastError, message
from .scan import (  # the scanning parts: sentences, amounts, years, CAGRs, cues
    _ACTUAL,
    _BARE,
    _BASE_AFTER,
    _CLAUSE_BREAK,
    _CUE,
    _CURRENT_AFTER,
    _CURRENT_BEFORE,
    _FROM_END,
    _FUTURE_RATE,
    _FUTURE_VALUED,
    _HEAD,
    _IT,
    _LOWER_BOUND,
    _PAST_CUE_BLOCKERS,
    _PAST_PROJECTION,
    _PAST_RATE,
    _REALISED,
    _TO_END,
    _UPPER_BOUND,
    _Amount,
    _amounts,
    _Cagr,
    _cagr,
    _subject,
    _subject_at,
    _Year,
    _years,
    lead_in,
    sentences,
)

__all__ = ["Claim", "extract", "read_bytes", "read_text", "sentences"]


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
    value_native : float or None
        The amount in billions of its own currency (the midpoint for a range); None for a
        growth rate stated with no value (``kind == "growth rate"``).
    currency : str
        ISO-like code: ``USD``, ``EUR``, ``GBP``, ``CNY``, ``JPY``, ``CNY/JPY`` (a ``¥`` whose
        subject names neither Japan nor China), two codes such as ``USD/CNY`` when the words
        around one amount disagree ("USD 5.6 trillion yuan", flagged, never converted); empty
        for a growth rate with no value and no base.
    scale : str
        ``thousand``, ``million``, ``billion`` or ``trillion`` as written (the upper amount's).
    number : str
        The number as written (``"1.57"``, ``"1,811.8"``, ``"two hundred"``; ``"1.3-1.5"`` for
        a range, ``"900 million-1.2"`` when its ends have different scale words).
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
        previous sentence", "growth rate only: no value stated", ...
    kind : str
        ``"value"`` (a projected amount) or ``"growth rate"`` (a CAGR over a span with no value
        in its sentence: ``value_native`` and ``value_usd_bn`` None, ``year`` the span's end).
    missing : tuple of str
        What the claim does not state: ``"year"``, ``"value"``, ``"span start"``.
    """

    text: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    value_native: float | None
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
    kind: str = "value"
    missing: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record (flags and missing as lists)."""
        out = asdict(self)
        out["flags"] = list(self.flags)
        out["missing"] = list(self.missing)
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
        data["missing"] = tuple(data.get("missing", ()))
        return cls(**data)


# ------------------------------------------------------------------------------------------------
# reading files
# ------------------------------------------------------------------------------------------------


# Codecs Python can decode bytes with that are not encodings of a text file: domain names, and
# the codec that refuses everything.
_NOT_FILE_ENCODINGS = frozenset({"punycode", "idna", "undefined"})


def read_bytes(path: Path | str, what: str) -> bytes:
    """The bytes of ``path``: a regular file under the size limit (the read policy of
    :func:`forecast.readpolicy.read_file`; a folder, a FIFO or a device is refused in one line
    that says which it is, and none is read from)."""
    from ..readpolicy import read_file

    return read_file(path, what=what)


def read_text(path: Path | str, *, encoding: str | None = None) -> str:
    """Read a text file for extraction, refusing what is not text.

    UTF-8 (with or without a byte-order mark) is the default; a file that is not valid UTF-8 is
    refused with the offset of the first bad byte and a hint to name its encoding (for example
    ``latin-1`` or ``cp1252``), never guessed. UTF-16 is recognised by its byte-order mark.
    ``encoding`` must name a codec for text files (not ``rot13``, ``base64`` or ``punycode``),
    and the decoded text must be valid Unicode (no lone surrogates, which some codecs such as
    ``unicode_escape`` can produce).

    Raises
    ------
    ForecastError
        Missing file, not a regular file (a directory, a FIFO, a device), an empty or blank
        file, binary content (NUL bytes), bytes the encoding cannot decode, or an encoding that
        is not for text files.
    """
    p = Path(path)
    enc = encoding or "utf-8-sig"
    try:
        codec = codecs.lookup(enc).name
    except LookupError:
        raise ForecastError(message("--encoding", "must name a known text encoding", enc)) from None
    if codec in _NOT_FILE_ENCODINGS:
        raise ForecastError(
            f"--encoding: must name an encoding of text files (e.g. utf-8, latin-1, cp1252); got "
            f"{enc!r}, which is not one"
        )
    raw = read_bytes(p, "the text file")
    if encoding is None and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = enc = "utf-16"
    if encoding is None and b"\0" in raw[:8192]:
        raise ForecastError(f"{p}: must be a text file; got binary content (NUL bytes)")
    try:
        text = raw.decode(enc)
    except LookupError:  # a codec that is not a text encoding: rot13, base64, zlib, ...
        raise ForecastError(message("--encoding", "must name a known text encoding", enc)) from None
    except UnicodeDecodeError as exc:
        bad = f" 0x{raw[exc.start]:02x}" if exc.start < len(raw) else ""
        raise ForecastError(
            f"{p}: must be {enc.removesuffix('-sig').upper()} text; got an undecodable byte{bad} "
            f"at offset {exc.start}; if the file uses another encoding, name it, e.g. "
            "--encoding latin-1"
        ) from None
    except UnicodeError as exc:  # a codec that fails without a position
        raise ForecastError(
            f"{p}: must be {enc} text; got bytes it cannot decode ({exc})"
        ) from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ForecastError(
            f"{p}: must decode to valid Unicode with {enc}; got a lone surrogate "
            f"U+{ord(text[exc.start]):04X} at character {exc.start}"
        ) from None
    if not text.strip():
        raise ForecastError(f"{p}: must hold some text; got an empty file")
    return text


# ------------------------------------------------------------------------------------------------
# extraction
# ------------------------------------------------------------------------------------------------


def _pair_year(
    i: int, amounts: list[_Amount], years: list[_Year], starts: list[int], text: str, stop: int
) -> _Year | None:
    """Amount ``i``'s year: the first year expression after it (before the next amount), else
    the nearest one before it; never across a clause break (";", ":", ", but", ", while").

    ``amounts`` and ``years`` are in text order (``starts``: the years' starts) and ``stop`` is
    the sentence's end; the years are found by bisection, so a sentence of many amounts and
    years is read in linear time.
    """
    amount = amounts[i]
    limit = amounts[i + 1].start if i + 1 < len(amounts) else stop
    brk: re.Match[str] | None = None  # the first clause break after the amount, searched once
    searched = False
    for k in range(bisect.bisect_left(starts, amount.end), len(years)):
        y = years[k]  # the year expressions after the amount, before the next amount
        if y.start >= limit:
            break
        if y.start - amount.end <= 40 or y.vague:
            if not searched:
                brk, searched = _CLAUSE_BREAK.search(text, amount.end, limit), True
            if brk is None or brk.end() > y.start:  # no clause break in between
                return y
    floor = amounts[i - 1].end if i else -1
    for k in range(bisect.bisect_left(starts, amount.start) - 1, -1, -1):
        y = years[k]  # else the nearest one before it
        if y.start < floor:
            break
        if y.end <= amount.start:
            return None if _CLAUSE_BREAK.search(text, y.end, amount.start) else y
    return None


def _bases(roles: list[tuple[_Amount, _Year | None, bool]]) -> list[int | None]:
    """For each target, the index of the nearest non-target before it dated before it (or
    undated): the base it grows from. One pass, keeping the last non-target of each year."""
    out: list[int | None] = []
    last_any = last_undated = -1
    last_of_year: dict[int, int] = {}  # at most the 200 years 1900-2099 the scanner reads
    for i, (_, y, target) in enumerate(roles):
        if not target:
            last_any = i
            if y is None or y.year is None:
                last_undated = i
            else:
                last_of_year[y.year] = i
            out.append(None)
            continue
        if y is None or y.year is None:
            best = last_any
        else:
            target_year = y.year
            best = max(
                [last_undated, *(j for year, j in last_of_year.items() if year < target_year)]
            )
        out.append(best if best >= 0 else None)
    return out


def _first_within(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether one of ``spans`` (sorted, apart) lies within ``[start, end)``."""
    k = bisect.bisect_left(spans, (start, start))
    return k < len(spans) and spans[k][1] <= end


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


_Role = tuple[_Amount, _Year | None, bool]  # an amount, its year, whether it is a target


@dataclass(frozen=True)
class _Sentence:
    """One sentence being read: the text and the sentence's span, its growth rate, the amounts
    stated as today's value and the conversion rates."""

    text: str
    start: int
    end: int
    growth: _Cagr
    current: frozenset[int]
    rates: Mapping[str, float]


def _sentence_claims(
    text: str, s_start: int, s_end: int, prev_subject: str, rates: Mapping[str, float]
) -> list[Claim]:
    """The claims of one sentence: each projected amount with its year, subject and base, or
    the sentence's growth rate alone when no amount is a projection."""
    sentence = text[s_start:s_end]
    amounts = _amounts(sentence, s_start)
    growth = _cagr(sentence, s_start)
    if not amounts and growth.end is None:
        return []
    blocked = [*growth.blocked, *((a.start, a.end) for a in amounts)]
    years = _years(sentence, s_start, blocked)
    roles, current = _amount_roles(text, s_start, s_end, amounts, years, growth.rate)
    sent = _Sentence(text, s_start, s_end, growth, frozenset(current), rates)
    out: list[Claim] = []
    clause_start = s_start
    last_subject = ""
    base_of = _bases(roles)
    heads = [m.span() for m in _HEAD.finditer(text, s_start, s_end)]
    its = [m.span() for m in _IT.finditer(text, s_start, s_end)]
    for i, (a, y, target) in enumerate(roles):
        if not target:
            continue
        base = _claim_base(text, roles, i, base_of[i])
        # the clause is read only when it names a subject: a run of targets without one (each
        # skipped) must not re-read the growing clause once per target
        named = _first_within(heads, clause_start, a.start)
        clause = text[clause_start : a.start] if named else ""
        subject = _subject(clause, text, a.end, s_end, 0 if clause_start == s_start else -1)
        flags: list[str] = []
        if not subject and last_subject:
            subject = last_subject
            flags.append("subject from earlier in the sentence")
        if not subject and prev_subject and _first_within(its, clause_start, a.start):
            subject, flags = prev_subject, [*flags, "subject from the previous sentence"]
        if subject.lower() in _BARE and prev_subject and prev_subject.lower() not in _BARE:
            subject, flags = prev_subject, [*flags, "subject from the previous sentence"]
        if not subject:
            continue
        out.append(_claim(sent, a, y, base, subject, flags, text[clause_start : a.start]))
        last_subject = subject
        clause_start = max(a.end, y.end if y else a.end)
    if not out and growth.end is not None:
        rate_claim = _rate_claim(text, s_start, s_end, growth, roles, prev_subject)
        return [rate_claim] if rate_claim is not None else []
    return out


def _amount_roles(
    text: str,
    s_start: int,
    s_end: int,
    amounts: list[_Amount],
    years: list[_Year],
    rate: float | None,
) -> tuple[list[_Role], set[int]]:
    """Each amount with its year and whether it is a projection (a target), read from the words
    that introduce it; and the starts of the amounts stated as today's value."""
    lead = next(
        (
            y
            for y in years[:1]
            if y.start == s_start and y.text.lower().startswith("by")
            and text[y.end : y.end + 1] == ","
        ),
        None,
    )  # fmt: skip  # "By 2030, ..." belongs to the sentence's target
    roles: list[_Role] = []  # amount, year, is_target
    current: set[int] = set()  # amounts stated as today's value
    cursor = s_start
    cue_from = s_start  # where the words that can make an amount a projection start
    from_base = False  # the amount before was introduced by "from"
    starts = [y.start for y in years]
    for i, a in enumerate(amounts):
        y = _pair_year(i, amounts, years, starts, text, s_end)
        before = text[cursor : a.start]
        words = lead_in(before)  # how the amount is introduced: bounded, whatever precedes it
        actual = bool(_ACTUAL.search(words)) and not _FUTURE_VALUED.search(words)
        if _CURRENT_BEFORE.search(words) or _CURRENT_AFTER.match(text, a.end, s_end):
            actual, y = True, None
            current.add(a.start)
        if _REALISED.search(words):
            actual = True
        scope_end = max(a.end, y.end if y is not None else a.end)
        # "will rise from $13 million in 2017 to $98 billion in 2030": the words before the
        # "from" amount make the "to" amount a projection
        if not (from_base and _TO_END.search(words)):
            cue_from = cursor
        from_base = actual and bool(_FROM_END.search(words))
        scope = text[cue_from:scope_end]
        cue = _CUE.search(scope) is not None or (rate is not None and a is amounts[-1])
        if cue and _PAST_CUE_BLOCKERS.search(before[-30:]) and not _FUTURE_VALUED.search(words):
            cue = False
        if cue and not actual and y is None and lead is not None:
            y = lead
        roles.append((a, y, cue and not actual))
        cursor = scope_end
    return roles, current


def _claim_base(
    text: str, roles: list[_Role], i: int, j: int | None
) -> tuple[_Amount, _Year | None] | None:
    """The base stated with target ``i``: the one :func:`_bases` paired with it, else a base
    that follows it ("... by 2030 from US$ 20.65 billion in 2023")."""
    a, y, _ = roles[i]
    base = None if j is None else (roles[j][0], roles[j][1])
    a_end = max(a.end, y.end if y is not None else a.end)
    if base is None and i + 1 < len(roles):
        b, by, t = roles[i + 1]
        if not t and _before_target(by, y) and _BASE_AFTER.match(text[a_end : b.start]):
            base = (b, by)
    return base


def _claim(
    sent: _Sentence,
    a: _Amount,
    y: _Year | None,
    base: tuple[_Amount, _Year | None] | None,
    subject: str,
    flags: list[str],
    clause: str,
) -> Claim:
    """The claim of one target amount: its span (with its year and base), its value in USD and
    every flag saying how it was read."""
    text, growth, flags = sent.text, sent.growth, [*flags]
    pieces = [a.start, a.end] + ([y.start, y.end] if y else [])
    if base is not None:
        pieces += [base[0].start, base[0].end]
        if base[1] is not None and base[0].start > a.start and base[1].start > base[0].end:
            pieces.append(base[1].end)

    start, end = min(pieces), max(pieces)
    currency = a.currency or "USD"
    if a.currency is None:
        flags.append("currency not stated; read as USD")
    elif a.currency == "CNY/JPY":
        currency, note = _yen_or_yuan(subject)
        flags.append(note)
    usd, notes = _in_usd(a, currency, sent.rates)
    flags += notes
    flags += _reading_flags(sent, a, y, base, clause)
    return Claim(
        text=text[start:end],
        start=start,
        end=end,
        sentence_start=sent.start,
        sentence_end=sent.end,
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
        cagr=growth.rate,
        cagr_low=growth.low,
        cagr_high=growth.high,
        cagr_start=growth.start,
        cagr_end=growth.end,
        base_native=base[0].native if base else None,
        base_year=base[1].year if base and base[1] else None,
        flags=tuple(flags),
        missing=() if y is not None and y.year is not None else ("year",),
    )


def _reading_flags(
    sent: _Sentence,
    a: _Amount,
    y: _Year | None,
    base: tuple[_Amount, _Year | None] | None,
    clause: str,
) -> list[str]:
    """Flags for a range, a CAGR range, a missing or vague year, a current base, a past
    projection and a lower or upper bound."""
    flags: list[str] = []
    growth = sent.growth
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
    if base is not None and base[0].start in sent.current:
        flags.append("base stated as the current value (no year)")
    if _PAST_PROJECTION.search(clause):
        flags.append("a past projection ('had predicted')")
    near = sent.text[max(sent.start, a.start - 25) : a.start]
    if bound := _LOWER_BOUND.search(near):
        flags.append(f"lower bound ('{' '.join(bound['q'].split())}')")
    elif bound := _UPPER_BOUND.search(near):
        flags.append(f"upper bound ('{' '.join(bound['q'].split())}')")
    return flags


_JAPAN = re.compile(r"\bJapan(?:ese)?\b", re.IGNORECASE)
_CHINA = re.compile(r"\b(?:China|Chinese|PRC)\b", re.IGNORECASE)


def _yen_or_yuan(subject: str) -> tuple[str, str]:
    """The currency a bare "¥" stands for, read from the subject only ("Japan's chip market":
    yen), with the flag saying so; "CNY/JPY" (never converted) when the subject names neither
    country or both."""
    japan, china = _JAPAN.search(subject) is not None, _CHINA.search(subject) is not None
    if japan and not china:
        return "JPY", "'¥' read as JPY: the subject names Japan"
    if china and not japan:
        return "CNY", "'¥' read as CNY: the subject names China"
    return "CNY/JPY", "'¥' is yen or yuan and the subject names neither country; not converted"


def _in_usd(
    a: _Amount, currency: str, rates: Mapping[str, float]
) -> tuple[float | None, list[str]]:
    """The amount in USD billion (None when it cannot be converted) and the flags saying how:
    at a given rate, as the text restates it in USD ("1 trillion yuan ($145.47 billion)"), or
    not at all (an unconvertible currency, or two currencies named for one amount)."""
    if a.conflict:
        return None, [f"conflicting currencies: {a.conflict}; not converted (read it by hand)"]
    if currency == "USD":
        return a.native, []
    if currency == "CNY/JPY":  # the caller's flag says why
        return None, []
    if currency in rates:
        return a.native * float(rates[currency]), [
            f"converted at the given rate {rates[currency]:g} USD/{currency}"
        ]
    if a.restated is not None and a.restated[0] == "USD":
        return a.restated[1], [f"USD value as the text restates it ({a.restated[2]})"]
    return None, [f"unconvertible currency {currency} (give a rate to convert)"]


def _rate_claim(
    text: str,
    s_start: int,
    s_end: int,
    growth: _Cagr,
    roles: list[tuple[_Amount, _Year | None, bool]],
    prev_subject: str,
) -> Claim | None:
    """A growth rate stated over a span with no projected value in its sentence ("is expected to
    grow at a CAGR of 37.3% from 2023 to 2030"): a claim of kind "growth rate" whose value is
    missing, with the actual stated before it as its base. None for a past rate ("grew at a CAGR
    of ... from 2016 to 2019") or one whose subject is not named."""
    assert growth.rate is not None and growth.end is not None  # the caller checks
    head = text[s_start : growth.at[0]]
    if _PAST_RATE.search(head) and not _FUTURE_RATE.search(text, s_start, s_end):
        return None
    flags: list[str] = []
    subject = _subject(head, text, growth.at[1], s_end, 0) if _HEAD.search(head) else ""
    if not subject and prev_subject and _IT.search(head):
        subject, flags = prev_subject, ["subject from the previous sentence"]
    if subject.lower() in _BARE and prev_subject and prev_subject.lower() not in _BARE:
        subject, flags = prev_subject, ["subject from the previous sentence"]
    if not subject:
        return None
    bases = [(a, y) for a, y, target in roles if not target and a.end <= growth.at[0]]
    base = bases[-1] if bases else None
    span = growth.span or growth.at
    pieces = [*growth.at, *span] + ([base[0].start, base[0].end] if base else [])
    start, end = min(pieces), max(pieces)
    missing = ("value",) if growth.start is not None else ("value", "span start")
    flags.insert(0, "growth rate only: no value stated")
    if growth.start is None:
        flags.append("span start not stated")
    if growth.low is not None:
        flags.append(
            f"CAGR range {100 * growth.low:g}%-{100 * (growth.high or 0):g}%; midpoint used"
        )
    return Claim(
        text=text[start:end],
        start=start,
        end=end,
        sentence_start=s_start,
        sentence_end=s_end,
        value_native=None,
        currency=(base[0].currency or "") if base else "",
        scale="",
        number="",
        value_usd_bn=None,
        year=growth.end,
        year_text=" ".join(text[span[0] : span[1]].split()),
        vague=False,
        subject=subject,
        cagr=growth.rate,
        cagr_low=growth.low,
        cagr_high=growth.high,
        cagr_start=growth.start,
        cagr_end=growth.end,
        base_native=base[0].native if base else None,
        base_year=base[1].year if base and base[1] else None,
        flags=tuple(flags),
        kind="growth rate",
        missing=missing,
    )


def with_rates(claim: Claim, rates: Mapping[str, float]) -> Claim:
    """The claim converted to USD at a given rate (unchanged if USD or no rate is given)."""
    if claim.currency == "USD" or claim.currency not in rates or claim.value_native is None:
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
