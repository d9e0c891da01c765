"""A scenario's unit and the conversions into it: money strings read in the scenario's unit,
rates and prices tables (the toolkit's cited ones or the scenario's), the history read and
converted, and the checks that catch a unit slip (an anchor a thousand times off its history).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..conversion import (
    DEFLATOR_FILE,
    RATES_FILE,
    Conversions,
    Deflator,
    Rates,
    inline_rates,
    load_deflator,
    load_rates,
    toolkit_data,
)
from ..data import Series, load_series
from ..errors import ForecastError, ScenarioError, message
from ..money import format_money, parse_money
from ..readpolicy import ReadPolicy
from ..types import Anchor
from ..units import Unit, check_column, parse_unit, unit_hints
from .origins import Origins, relative
from .schema import HistoryDoc, PricesDoc, RatesDoc, ScenarioDoc

MoneyReader = Callable[[Any, str], float]


"""Reads a money string (``text``, ``where``) into the scenario's unit."""


def parse_money_reader(text: Any, where: str) -> float:
    """The reader of a USD billion scenario that converts nothing."""
    return parse_money(text, where=where)


def money_reader(unit: Unit, conv: Conversions, convert: bool) -> MoneyReader:
    """Money strings in ``unit``; one in another currency converted through the rates table
    when ``[rates] convert = true``, else refused naming both currencies."""

    def read(text: Any, where: str) -> float:
        return parse_money(text, where=where, unit=unit, convert=conv.amount if convert else None)

    return read


DEFAULT_RATES_NAME = f"data/{RATES_FILE} (Federal Reserve G.5A annual averages)"


DEFAULT_PRICES_NAME = "US CPI-U (1967=100), annual averages certified in the Federal Register"


def scenario_conversions(
    doc: ScenarioDoc, unit: Unit, at: Origins, policy: ReadPolicy, home: Path
) -> Conversions:
    """The scenario's :class:`Conversions`: its ``[rates]`` and ``[prices]`` checked now, the
    tables themselves read when a conversion needs them."""
    r = doc.rates or RatesDoc()
    where_r = f"{at('rates')}: rates"
    extra = inline_rates(r.usd_per_unit, r.units_per_usd, where_r)
    if extra and not r.source.strip():
        raise ScenarioError(
            f"{where_r}.source: rates written in the scenario must cite their source; got nothing"
        )

    def rates() -> Rates:
        try:
            if r.file is not None:
                table = load_rates(r.file, policy=policy, name=relative(r.file, home))
            else:
                table = load_rates(
                    toolkit_data(RATES_FILE), policy=ReadPolicy(), name=DEFAULT_RATES_NAME
                )
        except ForecastError as exc:
            raise type(exc)(f"{where_r}.file: {exc}") from None
        return table.merged(extra, f"{at('rates')} ({r.source})") if extra else table

    p = doc.prices or PricesDoc()
    where_p = f"{at('prices')}: prices"
    index = _inline_index(p, where_p)

    def deflator() -> Deflator:
        if index:
            return Deflator(index, p.name or "price index", f"{at('prices')} ({p.source})")
        try:
            if p.file is not None:
                return load_deflator(p.file, policy=policy, name=p.name or Path(p.file).stem)
            return replace(
                load_deflator(toolkit_data(DEFLATOR_FILE), policy=ReadPolicy()),
                name=DEFAULT_PRICES_NAME,
                source=f"data/{DEFLATOR_FILE}",
            )
        except ForecastError as exc:
            raise type(exc)(f"{where_p}.file: {exc}") from None

    return Conversions(
        unit=unit,
        rate_year=r.year,
        basis=r.basis,
        convert_amounts=r.convert,
        rates_loader=rates,
        deflator_loader=deflator,
        where=where_r,
    )


def _inline_index(p: PricesDoc, where: str) -> dict[int, float]:
    if p.file is not None and p.index:
        raise ScenarioError(
            f"{where}: give the price index as a file or inline, not both; got file "
            f"{p.file!r} and index"
        )
    out: dict[int, float] = {}
    for y_text, raw in p.index.items():
        if not re.fullmatch(r"[0-9]{4}", y_text):
            raise ScenarioError(message(f"{where}.index", "keys must be four-digit years", y_text))
        if not (math.isfinite(raw) and raw > 0):
            raise ScenarioError(
                message(f"{where}.index.{y_text}", "must be a positive number", raw)
            )
        out[int(y_text)] = float(raw)
    if out and not p.source.strip():
        raise ScenarioError(
            f"{where}.source: a price index written in the scenario must cite its source; got "
            "nothing"
        )
    return out


def _history_unit(h: HistoryDoc, keys: tuple[str, ...], at: Origins, conv: Conversions) -> Unit:
    label = ".".join(keys)
    if h.unit is None:
        return conv.unit
    return parse_unit(h.unit, where=f"{at(*keys, 'unit')}: {label}.unit")


def load_history(
    h: HistoryDoc, keys: tuple[str, ...], at: Origins, policy: ReadPolicy, conv: Conversions
) -> Series:
    """A history table's series as its file holds it, its unit checked against what its column
    name and a workbook's title say. ``keys`` locate the table in the scenario (``("history",)``;
    a per-segment history would pass its own), for the messages."""
    label = ".".join(keys)
    if h.start is not None and h.end is not None and h.start > h.end:
        raise ScenarioError(
            f"{at(*keys, 'start')}: {label}.start must not be after {label}.end; got "
            f"{h.start} > {h.end}"
        )
    unit = _history_unit(h, keys, at, conv)
    whose = "" if h.unit is not None else f" (the scenario's unit: [{label}] names none)"
    check_column(
        h.value_column,
        unit,
        where=f"{at(*keys, 'value_column')}: {label}.value_column",
        whose=whose,
    )
    try:
        series = load_series(
            h.file,
            year_column=h.year_column,
            value_column=h.value_column,
            filter=h.filter,
            start=h.start,
            end=h.end,
            policy=policy,
            sheet=h.sheet,
            header_row=h.header_row,
        )
    except ForecastError as exc:
        raise type(exc)(f"{at(*keys, 'file')}: {label}: {exc}") from None
    for title in series.titles:
        if unit_hints(title)[0] is not None:  # a title naming a currency: "EUR million"
            check_column(
                title,
                unit,
                where=f"{at(*keys, 'file')}: {label}: {series.path}",
                what="title cell",
                whose=whose,
            )
    return series


def convert_history(
    series: Series, h: HistoryDoc, keys: tuple[str, ...], at: Origins, conv: Conversions
) -> Series:
    """``series`` (in the unit ``h`` declares) in the scenario's unit; the conversion, if any,
    joins ``conv.notes``."""
    label = ".".join(keys)
    factors = conv.factors(
        [int(y) for y in series.years],
        _history_unit(h, keys, at, conv),
        what=label,
        where=f"{at(*keys, 'unit')}: {label}.unit",
    )
    if np.all(factors == 1.0):
        return series
    return replace(series, values=series.values * factors)


HARD_ANCHOR_TOLERANCE = 0.01  # a hard anchor in a history year may differ from it by this much


SLIP_FALL, SLIP_GROWTH = 0.5, 10.0  # yearly changes no published market shows


def check_anchors_against_history(
    anchors: Sequence[Anchor], history: Series | None, unit: Unit, where: str
) -> None:
    """An anchor in a year the history reports must agree with it: within 1% for a hard
    anchor, within its tolerance for a soft one."""
    if history is None:
        return
    known = dict(zip(history.years.astype(int).tolist(), history.values.tolist(), strict=True))
    for i, a in enumerate(anchors):
        if a.year not in known:
            continue
        reported = known[a.year]
        tol = HARD_ANCHOR_TOLERANCE if a.kind == "hard" else float(a.tolerance or 0.0)
        gap = a.value / reported - 1.0
        if abs(gap) > tol:
            fmt = _fmt_money(unit)
            raise ScenarioError(
                f"{where}: anchors[{i}].value: an anchor in a history year must agree with the "
                f"reported value ({fmt(reported)} in {a.year}) within {100 * tol:g}% ("
                f"{'a hard anchor' if a.kind == 'hard' else 'its tolerance'}); got "
                f"{fmt(a.value)}, {100 * gap:+.1f}% (drop the anchor, or check the units of the "
                "anchor and of [history])"
            )


def unit_slips(anchors: Sequence[Anchor], history: Series | None, unit: Unit) -> list[str]:
    """A warning for each anchor whose growth from the last history value, per year compounded,
    is beyond any published market (a fall of more than half, or more than tenfold): a unit
    slip between the history and the anchor is the likely cause."""
    if history is None:
        return []
    last_year, last = int(history.years[-1]), float(history.values[-1])
    out = []
    fmt = _fmt_money(unit)
    for i, a in enumerate(anchors):
        span = a.year - last_year
        if span <= 0:
            continue
        ratio = a.value / last
        yearly = ratio ** (1.0 / span)
        if SLIP_FALL <= yearly <= SLIP_GROWTH:
            continue
        what = "falls by more than half" if yearly < SLIP_FALL else "grows more than tenfold"
        out.append(
            f"anchors[{i}]: {fmt(a.value)} in {a.year} implies {100 * (yearly - 1):+.1f}%/yr from "
            f"the last history value ({fmt(last)} in {last_year}); no published market "
            f"{what} a year, so a unit slip is the likely cause: {_slip_words(ratio, unit)} "
            "(check [history] unit and the anchor's value)"
        )
    return out


_SCALE_NAME = {0: "unit", 3: "thousand", 6: "million", 9: "billion", 12: "trillion"}


def _slip_words(ratio: float, unit: Unit) -> str:
    """``about 1,000x: a million/billion slip?`` for a ratio near a power of 1,000."""
    steps = round(math.log10(ratio) / 3)
    if steps == 0 or abs(math.log10(ratio) - 3 * steps) > 1:
        return f"the anchor is {ratio:,.3g}x the last history value"
    factor = 1000 ** abs(steps)
    size = f"about {factor:,}x" if steps > 0 else f"about 1/{factor:,}"
    low = _SCALE_NAME.get(unit.scale - 3 * abs(steps))
    pair = f"a {low}/{unit.scale_word} slip?" if low else "a scale slip?"
    return f"the anchor is {size} the last history value: {pair}"


def _fmt_money(unit: Unit) -> Callable[[float], str]:
    return lambda v: format_money(v, unit=unit)
