"""Exchange rates and price deflators: money moved between units, and every move stated.

A scenario works in one :class:`~forecast.units.Unit`. A history, an estimates file or a money
string in another unit is converted to it here, by three factors:

* **scale**: million to billion is an exact power of ten;
* **currency**: through a table of yearly average exchange rates, the shipped
  ``data/rates/fed_g5a_annual.csv`` (Federal Reserve G.5A, each row with its URL) unless the
  scenario's ``[rates]`` names another file or gives rates inline. ``basis = "year"`` (the
  default) converts every value at one year's average rate (``rates.year``, by default the last
  history year): constant-currency figures, whose growth rates are the source's own;
  ``basis = "each-year"`` converts each history year at its own average rate;
* **prices**: nominal (current prices) to real (constant prices of a base year) and back, or
  from one base year to another, by a yearly price index: the shipped
  ``data/prices/us_cpi_u.csv`` (US CPI-U annual averages as certified in the Federal Register)
  unless ``[prices]`` names another file or gives the index inline. A value of year ``y`` in
  prices of year ``a`` is ``v * I(b) / I(a)`` in prices of year ``b`` (nominal: ``a = y``).

:class:`Conversions` does the work for one scenario and keeps a sentence for every conversion
made (which rate, which year, which source), for the summary and the report. Nothing is
converted silently, and a rate or index a conversion needs but the table lacks is an error
naming the year, the table and the years it has.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from .errors import DataError, ForecastError, ScenarioError, message
from .readpolicy import ReadPolicy, toolkit_home
from .units import ISO_4217, USD_BILLION, Unit

__all__ = [
    "DEFLATOR_FILE",
    "RATES_FILE",
    "Conversions",
    "Deflator",
    "Rates",
    "load_deflator",
    "load_rates",
    "toolkit_data",
]

RATES_FILE = "rates/fed_g5a_annual.csv"
DEFLATOR_FILE = "prices/us_cpi_u.csv"
Basis = Literal["year", "each-year"]
FloatArray = np.ndarray


def toolkit_data(name: str) -> Path:
    """A file of the toolkit's own ``data/`` folder (:func:`~forecast.readpolicy.toolkit_home`;
    ``./data`` when there is none, so that the error names a path)."""
    top = toolkit_home()
    return (top if top is not None else Path.cwd()) / "data" / name


def _span(years: Sequence[int]) -> str:
    """``2012-2015, 2017-2023`` for a sorted list of years."""
    if not years:
        return "none"
    runs: list[list[int]] = [[years[0], years[0]]]
    for y in years[1:]:
        if y == runs[-1][1] + 1:
            runs[-1][1] = y
        else:
            runs.append([y, y])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


# ------------------------------------------------------------------------------------------------
# Exchange rates
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """Yearly average exchange rates: units of each currency per US dollar, by (code, year).

    ``source`` names the table in messages and statements; ``cites`` holds each rate's URL (or
    the scenario file that gave it inline).
    """

    per_usd: Mapping[tuple[str, int], float]
    source: str
    cites: Mapping[tuple[str, int], str] = field(default_factory=dict)
    path: Path | None = None
    sha256: str = ""

    def years(self, code: str) -> list[int]:
        return sorted(y for c, y in self.per_usd if c == code)

    def units_per_usd(self, code: str, year: int, where: str) -> float:
        if code == "USD":
            return 1.0
        got = self.per_usd.get((code, year))
        if got is None:
            have = self.years(code)
            why = f"{code} years: {_span(have)}" if have else f"no {code} rate at all"
            raise ScenarioError(
                f"{where}: the rates table must hold a {code} rate for {year} to convert; got "
                f"none in {self.source} ({why}); set rates.year to a year it has, or add the "
                f"rate (rates.usd_per_unit = {{ {code} = {{ {year} = ... }} }} with its source)"
            )
        return got

    def rate(self, src: str, dst: str, year: int, where: str) -> float:
        """Units of ``dst`` per unit of ``src`` in ``year``."""
        return self.units_per_usd(dst, year, where) / self.units_per_usd(src, year, where)

    def describe(self, src: str, dst: str, year: int) -> str:
        """``1 EUR = 1.0817 USD (2023 average; <source>, <url>)``."""
        r = self.rate(src, dst, year, "rates")
        urls = sorted({self.cites.get((c, year), "") for c in (src, dst) if c != "USD"} - {""})
        cite = f"; {', '.join(urls)}" if urls else ""
        return f"1 {src} = {r:.6g} {dst} ({year} average; {self.source}{cite})"

    def merged(self, other: Mapping[tuple[str, int], float], source: str) -> Rates:
        """This table with ``other``'s rates added (they win where both have one)."""
        cites = {**self.cites, **{k: source for k in other}}
        return Rates(
            {**self.per_usd, **other},
            f"{self.source} and {source}",
            cites,
            self.path,
            self.sha256,
        )


_QUOTES = {"units per usd": False, "usd per unit": True}


def load_rates(path: Path | str, *, policy: ReadPolicy | None = None, name: str = "") -> Rates:
    """A rates table from CSV: ``year``, ``currency`` (ISO code), ``rate`` and ``quote``
    (``units per USD`` or ``USD per unit``: kept as the source publishes it); an optional
    ``url`` column cites each row."""
    from .data import parse_number, read_cells

    p = Path(path)
    table = read_cells(p, what="rates table", policy=policy)
    for col in ("year", "currency", "rate", "quote"):
        if col not in table:
            raise DataError(
                f"{p}: the rates table must have the columns year, currency, rate, quote; got "
                f"no {col!r}"
            )
    per_usd: dict[tuple[str, int], float] = {}
    cites: dict[tuple[str, int], str] = {}
    for i, row in table.records():
        where = f"{p}: row {i + 2}"
        year = _year(row["year"], f"{where}, column 'year'")
        code = row["currency"].strip().upper()
        if code not in ISO_4217:
            raise DataError(
                message(
                    f"{where}, column 'currency'",
                    "must be an ISO 4217 code such as EUR",
                    row["currency"],
                )
            )
        rate = parse_number(row["rate"], where=f"{where}, column 'rate'")
        if not rate > 0:
            raise DataError(
                message(f"{where}, column 'rate'", "a rate must be positive", row["rate"])
            )
        quote = " ".join(row["quote"].lower().split())
        if quote not in _QUOTES:
            raise DataError(
                message(
                    f"{where}, column 'quote'",
                    "must be 'units per USD' or 'USD per unit'",
                    row["quote"],
                )
            )
        if (code, year) in per_usd:
            raise DataError(f"{where}: one rate per currency and year; got {code} {year} twice")
        per_usd[(code, year)] = 1.0 / rate if _QUOTES[quote] else rate
        cites[(code, year)] = row["url"].strip() if "url" in table else ""
    source = name or p.as_posix()
    return Rates(per_usd, source, cites, p, table.sha256)


def _year(text: object, where: str, error: type[ForecastError] = DataError) -> int:
    t = str(text).strip()
    if not re.fullmatch(r"[0-9]{4}", t):
        raise error(message(where, "must be a four-digit year", text))
    return int(t)


def inline_rates(
    usd_per_unit: Mapping[str, Mapping[str, object]],
    units_per_usd: Mapping[str, Mapping[str, object]],
    where: str,
) -> dict[tuple[str, int], float]:
    """Rates a scenario writes itself: ``{EUR = {2024 = 1.0824}}`` in either quote."""
    out: dict[tuple[str, int], float] = {}
    for key, table, inverse in (
        ("usd_per_unit", usd_per_unit, True),
        ("units_per_usd", units_per_usd, False),
    ):
        for code, years in table.items():
            here = f"{where}.{key}.{code}"
            if code not in ISO_4217:
                raise ScenarioError(
                    message(here, "must be an ISO 4217 code in capitals such as EUR", code)
                )
            for y_text, raw in years.items():
                year = _year(y_text, f"{here}: keys", ScenarioError)
                if isinstance(raw, bool) or not isinstance(raw, int | float):
                    raise ScenarioError(message(f"{here}.{y_text}", "must be a number", raw))
                if not (math.isfinite(raw) and raw > 0):
                    raise ScenarioError(message(f"{here}.{y_text}", "a rate must be positive", raw))
                if (code, year) in out:
                    raise ScenarioError(
                        f"{here}.{y_text}: one rate per currency and year; got {code} {year} "
                        "in usd_per_unit and units_per_usd"
                    )
                out[(code, year)] = 1.0 / float(raw) if inverse else float(raw)
    return out


# ------------------------------------------------------------------------------------------------
# Price deflators
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deflator:
    """A yearly price index (any base): ``index[year]``. ``name`` says what it measures."""

    index: Mapping[int, float]
    name: str
    source: str
    path: Path | None = None
    sha256: str = ""

    def at(self, year: int, where: str) -> float:
        got = self.index.get(year)
        if got is None:
            have = sorted(self.index)
            raise ScenarioError(
                f"{where}: the price index must hold {year} to convert between prices; got "
                f"none in {self.source} (years: {_span(have)}); give a fuller index in "
                "[prices] file (a CSV with year,index) or [prices] index = { ... }"
            )
        return got

    def factor(self, src: int | None, dst: int | None, year: int, where: str) -> float:
        """Multiply a value of ``year`` in prices of ``src`` (None: nominal) by this to get it
        in prices of ``dst`` (None: nominal)."""
        a = year if src is None else src
        b = year if dst is None else dst
        return 1.0 if a == b else self.at(b, where) / self.at(a, where)


def load_deflator(
    path: Path | str, *, policy: ReadPolicy | None = None, name: str = ""
) -> Deflator:
    """A price index from CSV: ``year`` and ``index`` columns (other columns are kept as the
    source's notes)."""
    from .data import parse_number, read_cells

    p = Path(path)
    table = read_cells(p, what="price index", policy=policy)
    for col in ("year", "index"):
        if col not in table:
            raise DataError(
                f"{p}: the price index must have year and index columns; got no {col!r}"
            )
    index: dict[int, float] = {}
    for i, row in table.records():
        where = f"{p}: row {i + 2}"
        year = _year(row["year"], f"{where}, column 'year'")
        value = parse_number(row["index"], where=f"{where}, column 'index'")
        if not value > 0:
            raise DataError(message(f"{where}, column 'index'", "must be positive", row["index"]))
        if year in index:
            raise DataError(f"{where}, column 'year': years must not repeat; got {year} twice")
        index[year] = value
    return Deflator(index, name or p.stem, p.as_posix(), p, table.sha256)


# ------------------------------------------------------------------------------------------------
# A scenario's conversions
# ------------------------------------------------------------------------------------------------


@dataclass
class Conversions:
    """How one scenario converts money into its unit, and what it converted.

    The rates table and the price index are read on first use (``rates`` and ``deflator`` are
    loaders), so a scenario that converts nothing reads neither. ``notes`` collects one sentence
    per conversion, ``warnings`` the caveats (a euro series deflated by a US index), ``inputs``
    the tables read (for provenance).
    """

    unit: Unit = USD_BILLION
    rate_year: int | None = None
    basis: Basis = "year"
    convert_amounts: bool = False
    rates_loader: object = None  # Callable[[], Rates]; object keeps the dataclass simple
    deflator_loader: object = None  # Callable[[], Deflator]
    where: str = "rates"
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inputs: list[tuple[str, Path, str]] = field(default_factory=list)
    _rates: Rates | None = None
    _deflator: Deflator | None = None

    @property
    def rates(self) -> Rates:
        if self._rates is None:
            self._rates = self.rates_loader()  # type: ignore[operator]
            if self._rates.path is not None:
                self.inputs.append(("rates", self._rates.path, self._rates.sha256))
        return self._rates

    @property
    def deflator(self) -> Deflator:
        if self._deflator is None:
            self._deflator = self.deflator_loader()  # type: ignore[operator]
            if self._deflator.path is not None:
                self.inputs.append(("prices", self._deflator.path, self._deflator.sha256))
        return self._deflator

    def year_of_rate(self, where: str) -> int:
        if self.rate_year is None:
            raise ScenarioError(
                f"{where}: converting a currency needs the year of the rate; got no rates.year "
                "and no history to take its last year from (set rates.year)"
            )
        return self.rate_year

    def factors(
        self,
        years: Sequence[int],
        src: Unit,
        *,
        what: str,
        where: str,
        record: bool = True,
        one_rate: bool = False,
    ) -> FloatArray:
        """The factor per year that takes values in ``src`` to this scenario's unit; with
        ``record``, a sentence saying what was done joins :attr:`notes`. ``one_rate``
        converts every year at the rate of ``rates.year`` whatever the basis (published
        forecasts: no average rate of a future year exists)."""
        dst = self.unit
        out = np.full(len(years), src.to(dst), dtype=float)
        steps: list[str] = []
        if src.scale != dst.scale:
            steps.append(f"scale x{src.to(dst):g} ({src.scale_word} to {dst.scale_word})")
        if src.currency != dst.currency:
            if self.basis == "year" or one_rate:
                year = self.year_of_rate(where)
                out *= self.rates.rate(src.currency, dst.currency, year, where)
                steps.append(f"{self.rates.describe(src.currency, dst.currency, year)}")
            else:
                rs = [self.rates.rate(src.currency, dst.currency, int(y), where) for y in years]
                out *= np.asarray(rs, dtype=float)
                steps.append(
                    f"{src.currency} to {dst.currency} at each year's average rate "
                    f"({_span(sorted({int(y) for y in years}))}; {self.rates.source})"
                )
        if src.prices != dst.prices:
            d = self.deflator
            fs = [d.factor(src.prices, dst.prices, int(y), where) for y in years]
            out *= np.asarray(fs, dtype=float)
            frm = "current prices" if src.prices is None else f"{src.prices} prices"
            to = "current prices" if dst.prices is None else f"{dst.prices} prices"
            steps.append(f"{frm} to {to} by {d.name} ({d.source})")
            if dst.currency != "USD" and d.source.endswith(DEFLATOR_FILE):
                self.warnings.append(
                    f"{what}: {dst.currency} values {'deflated' if dst.prices else 'reflated'} "
                    f"by the US CPI-U; give the index of the {dst.currency} economy in [prices] "
                    "(file or index) for a like-for-like price basis"
                )
        if steps and record:
            self.notes.append(f"{what}: {src.label} to {dst.label}: {'; '.join(steps)}")
        return out

    def amount(self, value: float, currency: str, where: str) -> float:
        """A money string's value (in the scenario's scale, written in ``currency``) in the
        scenario's currency, at the rate of ``rates.year``."""
        year = self.year_of_rate(where)
        rate = self.rates.rate(currency, self.unit.currency, year, where)
        self.notes.append(
            f"{where}: {currency} amount converted: "
            f"{self.rates.describe(currency, self.unit.currency, year)}"
        )
        return value * rate
