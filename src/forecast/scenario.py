"""Scenario files: TOML documents parsed into frozen, validated :class:`Scenario` objects.

A scenario writes down a cited projection: the history it starts from, the anchors it is
calibrated to (each with its source), the curve family and bounds, the projection horizon and
levels, and optional segments (shares of the total that sum to one every year). A scenario can
``extends`` another file and override keys: tables merge key by key, everything else (lists
included) is replaced. An empty table merges as nothing, except ``assumptions = {}``,
``correlation = {}`` and ``simulation = {}``, which clear the inherited table (a variant without
the parent's uncertainty, or one forecast by a statistical model).

A scenario whose model is a statistical one (``family = "auto"``, ...) forecasts the history
alone, so the growth-curve settings (``model.error``, ``model.bounds``, ``model.fixed``,
``[assumptions]``, ``[correlation]``, ``[simulation]``) do not apply: written in its own file
they are an error; inherited through ``extends`` from a growth-curve parent they are dropped and
:attr:`Scenario.warnings` says so.

Parsing is pure and happens in two steps: :func:`load_document` resolves ``extends`` into one
plain ``dict``; :func:`parse_scenario` validates it (pydantic, unknown keys rejected with a
near-miss hint) and resolves money strings, files and published-estimate ids. Every rule broken
gives one :class:`ScenarioError` (or :class:`DataError`/:class:`MoneyError`) sentence naming the
file, the key, the rule and the value received.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .conversion import (
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
from .data import Estimate, Series, load_estimates, load_series, sha256_file
from .errors import ForecastError, ScenarioError, near_miss
from .models import FAMILIES, GrowthModel
from .models.simulate import DEFAULT_PATHS, PathModel
from .money import format_money, parse_money, parse_rate
from .readpolicy import ReadPolicy, read_file
from .stats.models import StatsModel
from .stats.registry import STATS_MODELS
from .types import Anchor, check_levels
from .uncertainty.propagate import Assumptions, SimulationSpec
from .uncertainty.spec import parse_assumptions
from .units import USD_BILLION, Unit, check_column, parse_unit, unit_hints

MAX_EXTENDS_DEPTH = 32
MAX_HORIZON = 200  # years past the last history year
MAX_NESTING = 16  # tables and arrays inside each other (a scenario needs 4)
# Longest text a scenario may hold, by key (characters); every other string: MAX_TEXT.
TEXT_LIMITS = {"title": 200, "description": 10_000, "name": 100}
MAX_TEXT = 1_000
MAX_LABEL = 40  # a scenario's label: a legend entry, a table's row name, a column of a sheet
MAX_KEY = 100
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")  # fullmatch: "$" would pass a final newline
# control characters (C0, DEL, C1); only a description may hold tabs and line breaks
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_PROSE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
Number = float | int
Bound = Annotated[list[str | Number], Field(min_length=2, max_length=2)]


# ------------------------------------------------------------------------------------------------
# Schema (what a file may say)
# ------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    # the docstring under each field describes it in the docs' scenario-file reference
    # (docs/scenario_reference.py reads them from this file; pydantic's
    # use_attribute_docstrings would parse the source at every import)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HistoryDoc(_Strict):
    file: str
    """CSV or XLSX file of the reported history, relative to the scenario file."""
    year_column: str = "year"
    """Column holding the year."""
    value_column: str = "value_usd_bn"
    """Column holding the value; a name saying another scale or currency than `unit` is an error."""
    unit: str | None = None
    """Unit of the file's values (`"EUR million"`); converted into the scenario's unit. Default: the
    scenario's unit."""
    sheet: str | None = None
    """Workbooks: the sheet to read."""
    header_row: int = Field(default=1, ge=1, le=100_000)
    """Workbooks: the row holding the column names."""
    filter: dict[str, str | Number | bool | list[str | Number | bool]] = {}
    """Keep only the rows whose column equals the value (or one of a list of values): `{ region =
    "Global" }`."""
    start: int | None = None
    """Keep years from this one on."""
    end: int | None = None
    """Keep years up to this one."""
    source: str = ""
    """Where the history comes from (shown in charts and reports)."""


class SegmentHistoryDoc(HistoryDoc):
    """Every segment's history in one long file: the rows whose ``segment_column`` names the
    segment (``segment_column`` defaults to the scenario's ``segment_dimension``)."""

    segment_column: str | None = None
    """Column naming each row's segment; default: the scenario's `segment_dimension`."""
    reconcile: (
        Literal["bottom_up", "top_down", "ols", "wls_struct", "wls_var", "mint_shrink"] | None
    ) = None
    """How draws of the total and the segments are made to add up; default `top_down`."""
    family: str | None = None
    """Growth family of the segments' curves; default: the scenario's family."""


class EstimatesDoc(_Strict):
    file: str
    """CSV or XLSX file of published estimates, relative to the scenario file."""
    unit: str = "USD billion"
    """Unit of the file's values."""
    value_column: str = "value_usd_bn"
    """Column holding the value."""
    sheet: str | None = None
    """Workbooks: the sheet to read."""
    header_row: int = Field(default=1, ge=1, le=100_000)
    """Workbooks: the row holding the column names."""


class RatesDoc(_Strict):
    file: str | None = None
    """Exchange rates (`year,currency,rate,quote`); default: the Federal Reserve's annual averages
    shipped in `data/rates/`."""
    year: int | None = Field(default=None, ge=1900, le=2200)
    """Year of the average rate used; default: the last history year."""
    basis: Literal["year", "each-year"] = "year"
    """`year`: one rate for every year (constant currency); `each-year`: each year at its own
    average."""
    convert: bool = False
    """Also convert money strings written in another currency than the scenario's."""
    source: str = ""
    """Where the rates given inline come from."""
    usd_per_unit: dict[str, dict[str, Number]] = {}
    """Inline rates, USD per unit: `{ EUR = { 2024 = 1.0824 } }`."""
    units_per_usd: dict[str, dict[str, Number]] = {}
    """Inline rates, units per USD."""


class PricesDoc(_Strict):
    file: str | None = None
    """Price index (`year,index`, any base) for real units (`"USD billion, 2020 prices"`); default:
    US CPI-U shipped in `data/`."""
    index: dict[str, Number] = {}
    """Inline index: `{ 2020 = 100, 2024 = 114.2 }`."""
    name: str = ""
    """Name of the index."""
    source: str = ""
    """Where the index comes from."""


class AnchorDoc(_Strict):
    year: int | None = None
    """Year of the anchored value."""
    value: str | Number | None = None
    """Money string in the scenario's unit (`"1.57 trillion USD"`, `"$1.57T"`); a bare number is an
    error."""
    estimate: str | None = None
    """Id of a row of the estimates file; takes year, value and source from it."""
    source: str | None = None
    """Where the figure comes from; every anchor cites one."""
    kind: Literal["hard", "soft"] = "hard"
    """`hard`: the curve passes through it; `soft`: within `tolerance`."""
    tolerance: str | None = None
    """Soft anchors: how far the curve may miss (`"15%"`)."""
    label: str | None = None
    """Name of the anchor in charts and tables."""
    allow_other_definition: bool = False
    """Allow an estimate that measures another market definition than the history."""


class ModelDoc(_Strict):
    family: str = "logistic"
    """Growth curve (`exponential`, `linear`, `logistic`, `gompertz`, `bass`, `bass_sales`) or
    statistical model (`auto`, `theta`, `ets`, `arima`, ...)."""
    error: Literal["multiplicative", "additive"] = "multiplicative"
    """`multiplicative`: relative errors (fit in logs); `additive`: absolute errors."""
    bounds: dict[str, Bound] = {}
    """Range of a parameter, two money strings or numbers: `{ K = ["1.6 trillion USD", "40 trillion
    USD"] }`."""
    fixed: dict[str, str | Number] = {}
    """Parameters held at a value: `{ launch = 2012 }`."""


class ProjectionDoc(_Strict):
    horizon: int
    """Last projected year."""
    levels: list[Number] = [80, 95]
    """Prediction interval levels in percent."""
    draws: int = Field(default=4000, ge=100, le=1_000_000)
    """Simulated paths the intervals are read from."""
    seed: int = Field(default=0, ge=0)
    """Random seed: the same seed gives the same results."""
    report_years: list[int] = []
    """Years the summary reports; default: the anchor years and the horizon."""
    start: Literal["actual", "fitted"] = "actual"
    """`actual`: paths start from the last actual value; `fitted`: around the fitted curve."""


class SimulationDoc(_Strict):
    draws: int = Field(default=10_000, ge=1, le=100_000_000)
    """Draws of `forecast simulate` and `forecast sensitivity`."""
    sampler: Literal["mc", "lhs", "sobol"] = "lhs"
    """`mc` (plain Monte Carlo), `lhs` (Latin hypercube) or `sobol`."""
    seed: int | None = Field(default=None, ge=0)
    """Random seed; default: the projection's seed."""
    layers: list[Literal["fit", "assumptions", "noise"]] = Field(
        default=["fit", "assumptions", "noise"], min_length=1
    )
    """Sources of uncertainty drawn: the fit's parameters, the `[assumptions]`, the future path's
    noise."""
    quantiles: list[Number] = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    """Quantiles reported per year, each in (0, 1)."""
    cross: list[str] = []
    """Market sizes whose crossing year is reported (money strings)."""
    metric_year: int | None = None
    """Year the sensitivity analyses look at; default: the horizon."""


class SegmentDoc(_Strict):
    name: str
    """Segment name (at most 100 characters)."""
    share: Number | dict[str, Number] | None = None
    """Share of the total: a constant (`0.1`) or yearly knots (`{ 2025 = 0.062, 2030 = 0.077 }`);
    shares sum to 1 in every year."""
    history: HistoryDoc | None = None
    """The segment's own reported history (instead of a share)."""
    source: str
    """Where the share or history comes from."""


class ScenarioDoc(_Strict):
    name: str
    """Lower-case slug naming the output folder."""
    title: str = ""
    """Title of charts and reports (at most 200 characters)."""
    label: str = ""
    """Short name in legends, tables and sheets (`"Base"`; at most 40 characters; not inherited
    through `extends`)."""
    description: str = ""
    """Free text (at most 10,000 characters)."""
    unit: str = "USD billion"
    """Unit of every value: currency and scale, optionally `, 2020 prices`."""
    extends: str | None = None
    """Another scenario file whose keys this one overrides (tables merge key by key, lists are
    replaced)."""
    estimates: str | EstimatesDoc | None = None
    """Published estimates anchors may cite by id: a file name or a table."""
    history: HistoryDoc | None = None
    """The market's reported history."""
    rates: RatesDoc | None = None
    """Exchange rates, only to change the defaults."""
    prices: PricesDoc | None = None
    """Price index for real units, only to change the default."""
    anchors: list[AnchorDoc] = []
    """Cited values the curve is calibrated to."""
    model: ModelDoc = ModelDoc()
    """The growth family or statistical model."""
    projection: ProjectionDoc
    """Horizon, interval levels, draws and seed."""
    segment_dimension: str = "segment"
    """What segments split (`"region"`, `"sector"`): a column name in outputs."""
    segments: list[SegmentDoc] = []
    """Parts of the total, by share or with histories of their own."""
    segment_history: SegmentHistoryDoc | None = None
    """Every segment's history in one long file."""
    assumptions: dict[str, Any] = {}
    """Uncertain inputs by name (`base`, `saturation`, `anchor_<year>`, `cagr_<from>_<to>`,
    `share_<segment>`, shape parameters), each a distribution: `"375 to 407 billion USD"` or `{ dist
    = "pert", min = ..., mode = ..., max = ... }`."""
    correlation: dict[str, Any] | None = None
    """Rank correlation between assumptions: `inputs` (names) and `matrix`."""
    simulation: SimulationDoc = SimulationDoc()
    """Draws, sampler and layers of `forecast simulate` and `forecast sensitivity`."""

    @field_validator("segment_dimension")
    @classmethod
    def _dimension_is_free(cls, v: str) -> str:
        reserved = {"scenario", "year", "share", "mean", "median"}
        if v in reserved or v.startswith(("lo-", "hi-")) or not v.strip():
            raise ValueError(
                "must not be empty or a column name the projection already uses "
                f"({', '.join(sorted(reserved))}, lo-*, hi-*)"
            )
        return v

    @field_validator("label")
    @classmethod
    def _label_is_short(cls, v: str) -> str:
        if len(v) > MAX_LABEL or (v and not v.strip()):
            raise ValueError(
                f"must be a short name of 1 to {MAX_LABEL} characters (it names the scenario in "
                "legends, tables and sheets: 'Bear', 'Base', 'Bull')"
            )
        return v.strip()

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, v: str) -> str:
        if not _NAME.fullmatch(v):
            raise ValueError(
                "must be a lower-case slug of letters, digits, '.', '_' or '-' (it names the "
                "output folder)"
            )
        return v


# ------------------------------------------------------------------------------------------------
# The parsed scenario (what the rest of the toolkit uses)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A share of the total, constant or interpolated linearly between (year, share) knots; or,
    for a segment with a history of its own (``history``), no knots: its path is forecast and
    reconciled with the total (:mod:`forecast.uncertainty.segment_histories`)."""

    name: str
    knots: tuple[tuple[int, float], ...]
    source: str
    history: Series | None = None

    def share(self, years: Sequence[float] | np.ndarray) -> np.ndarray:
        """Share in each year (held flat before the first and after the last knot)."""
        ky = np.array([k for k, _ in self.knots], dtype=float)
        ks = np.array([s for _, s in self.knots], dtype=float)
        return np.asarray(np.interp(np.asarray(years, dtype=float), ky, ks), dtype=float)


@dataclass(frozen=True)
class InputFile:
    """A file a scenario read, with its hash (provenance)."""

    role: str
    path: str
    sha256: str


@dataclass(frozen=True)
class EstimatesSource:
    """Where a scenario's published estimates come from, and the unit the file is in."""

    path: Path
    unit: Unit = USD_BILLION
    value_column: str = "value_usd_bn"
    sheet: str | None = None
    header_row: int | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario, ready to run. Build it with :func:`load_scenario`.

    ``unit`` is the unit of every value (history, anchors, projection); ``conversions`` says
    in one sentence each what was converted into it (rate, year, source), and ``money`` is the
    :class:`~forecast.conversion.Conversions` that did it (the reports convert the published
    estimates with it).
    """

    name: str
    title: str
    description: str
    unit: Unit
    path: Path
    history: Series | None
    history_source: str
    anchors: tuple[Anchor, ...]
    model: GrowthModel | StatsModel
    horizon: int
    levels: tuple[float, ...]
    draws: int
    seed: int
    report_years: tuple[int, ...]
    segment_dimension: str
    segments: tuple[Segment, ...]
    assumptions: Assumptions | None
    simulation: SimulationSpec
    inputs: tuple[InputFile, ...]
    paths: PathModel = DEFAULT_PATHS
    # segments with histories: the reconciliation method (None: the default) and the family
    # their curves use (None: the scenario's)
    segment_reconcile: str | None = None
    segment_family: str | None = None
    document: Mapping[str, Any] = field(repr=False, default_factory=dict)
    warnings: tuple[str, ...] = ()
    conversions: tuple[str, ...] = ()
    money: Conversions = field(repr=False, default_factory=Conversions, compare=False)
    estimates_source: EstimatesSource | None = None
    label: str = ""

    @property
    def display_name(self) -> str:
        """What legends, tables and sheets call the scenario: its ``label`` ("Bear"), else its
        name."""
        return self.label or self.name

    @property
    def last_history_year(self) -> int | None:
        return int(self.history.years[-1]) if self.history is not None else None

    @property
    def projection_years(self) -> np.ndarray:
        """Yearly from the last history year (or the first anchor) to the horizon."""
        first = self.last_history_year
        if first is None:
            first = min(a.year for a in self.anchors)
        return np.arange(first, self.horizon + 1, dtype=float)


# ------------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------------


def _read_toml(
    path: Path, where: str, policy: ReadPolicy | None = None, *, named: bool = True
) -> dict[str, Any]:
    """One TOML file's document. ``named=False`` for the scenario given on the command line;
    the files it names (``extends``) must lie inside ``policy``'s folders."""
    policy = policy if policy is not None else ReadPolicy()
    if named:
        try:
            policy.check_inside(path, where, "scenario file")
        except ForecastError as exc:
            raise ScenarioError(str(exc)) from None
    if not path.exists():
        raise ScenarioError(f"{where}: scenario file must exist; got no such file {str(path)!r}")
    if path.is_dir():
        raise ScenarioError(f"{where}: scenario must be a TOML file; got a directory {str(path)!r}")
    raw = read_file(path, what="scenario file", error=ScenarioError, policy=policy)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: scenario file must be UTF-8 text; got an undecodable byte at offset "
            f"{exc.start}"
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: must be valid TOML; got {exc}") from None
    except RecursionError:  # the reader is recursive: a thousand nested arrays exhaust it
        raise ScenarioError(
            f"{path}: must nest tables and arrays at most {MAX_NESTING} deep; got more than the "
            "TOML reader can follow"
        ) from None
    _check_nesting(doc, str(path))
    return doc


def _walk(doc: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every key and value of a document with its location, without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), doc)]
    while stack:
        loc, node = stack.pop()
        yield loc, node
        if isinstance(node, Mapping):
            stack += [((*loc, k), v) for k, v in reversed(list(node.items()))]
        elif isinstance(node, list):
            stack += [((*loc, i), v) for i, v in reversed(list(enumerate(node)))]


def _check_nesting(doc: Mapping[str, Any], file: str) -> None:
    for loc, node in _walk(doc):
        if len(loc) > MAX_NESTING and isinstance(node, Mapping | list):
            raise ScenarioError(
                f"{file}: {_loc(loc[:MAX_NESTING])}: must nest tables and arrays at most "
                f"{MAX_NESTING} deep; got deeper"
            )


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


_PATH_KEYS = (  # made absolute on loading
    ("extends",),
    ("estimates",),
    ("estimates", "file"),
    ("history", "file"),
    ("rates", "file"),
    ("prices", "file"),
)


def _check_text(doc: Mapping[str, Any], at: _Origins) -> None:
    """Refuse control characters and over-long text anywhere in a document (keys included):
    they would reach terminals, reports and workbooks (a terminal's escape sequences, a
    workbook cell it cannot store, an 80 MB chart from a 1 MB title)."""
    for loc, node in _walk(doc):
        if loc and isinstance(loc[-1], str):
            key = loc[-1]
            if len(key) > MAX_KEY:
                raise ScenarioError(
                    f"{at(*loc[:-1])}: {_loc(loc[:-1])}: keys must be at most {MAX_KEY} "
                    f"characters; got {len(key):,} characters ({_short(key)!r})"
                )
            bad = _CONTROL.search(key)
            if bad:
                raise ScenarioError(
                    f"{at(*loc[:-1])}: {_loc(loc[:-1])}: keys must not hold control characters; "
                    f"got {_short(key)!r}"
                )
        if not isinstance(node, str) or loc in _PATH_KEYS:  # paths: the read policy's
            continue
        name = loc[-1] if loc and isinstance(loc[-1], str) else ""
        limit = TEXT_LIMITS.get(name, MAX_TEXT) if len(loc) <= 3 else MAX_TEXT
        if len(node) > limit:
            raise ScenarioError(
                f"{at(*loc)}: {_loc(loc)}: must be at most {limit:,} characters; got "
                f"{len(node):,} characters"
            )
        prose = loc == ("description",)
        bad = (_CONTROL_IN_PROSE if prose else _CONTROL).search(node)
        if bad:
            allowed = " (tabs and line breaks are fine in description)" if not prose else ""
            start = max(0, bad.start() - 20)
            raise ScenarioError(
                f"{at(*loc)}: {_loc(loc)}: must not hold control characters{allowed}; got "
                f"{_short(node[start:])!r}"
            )


CLEARABLE = ("assumptions", "correlation", "simulation")  # tables a child can clear with {}
CLEARABLE_NESTED = ("model.bounds", "model.fixed")  # likewise, inside a table


def _merge(
    base: dict[str, Any],
    over: Mapping[str, Any],
    clearable: Sequence[str] = (*CLEARABLE, *CLEARABLE_NESTED),
    prefix: str = "",
) -> dict[str, Any]:
    """Deep-merge tables; every other value (lists included) in ``over`` replaces ``base``'s.
    An empty table merges as nothing, except for the tables in ``clearable`` (dotted paths:
    ``assumptions``, ``model.bounds``), where it replaces (clears) the inherited one."""
    out = dict(base)
    for key, value in over.items():
        path = f"{prefix}{key}"
        cleared = path in clearable and isinstance(value, Mapping) and not value
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not cleared:
            out[key] = _merge(dict(out[key]), value, clearable, f"{path}.")
        else:
            out[key] = value
    return out


def load_document(path: Path | str) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """Read a scenario file and resolve its ``extends`` chain into one document.

    Returns the merged document and the chain of files read (the scenario first). Relative paths
    inside each file are made relative to that file's folder before merging, so a child can
    inherit a parent's ``history.file`` from another folder.
    """
    merged, chain, _ = _load_chain(path)
    return merged, chain


def _load_chain(
    path: Path | str, policy: ReadPolicy | None = None
) -> tuple[dict[str, Any], tuple[Path, ...], tuple[dict[str, Any], ...]]:
    """:func:`load_document` plus each file's own document (child first). Files named by
    ``extends`` must lie inside ``policy``'s folders (by default the scenario's)."""
    policy = policy if policy is not None else ReadPolicy.for_scenario(path)
    chain: list[Path] = []
    docs: list[dict[str, Any]] = []
    current: Path | None = Path(path)
    where = str(path)
    while current is not None:
        resolved = current.resolve()
        if resolved in [c.resolve() for c in chain]:
            cycle = " -> ".join(str(c) for c in [*chain, current])
            raise ScenarioError(f"{chain[0]}: extends must not form a cycle; got {cycle}")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"{chain[0]}: extends chains must be at most {MAX_EXTENDS_DEPTH} files deep; "
                f"got more"
            )
        doc = _read_toml(current, where, policy, named=bool(chain))
        _absolutise(doc, current.parent)
        chain.append(current)
        docs.append(doc)
        parent = doc.get("extends")
        if parent is None:
            current = None
        elif not isinstance(parent, str):
            raise ScenarioError(f"{current}: extends must be a file path string; got {parent!r}")
        else:
            where = f"{current}: extends"
            current = Path(parent)
    merged: dict[str, Any] = {}
    for doc in reversed(docs):
        merged = _merge(merged, doc)
    merged["extends"] = docs[0].get("extends")
    # a label names one scenario among its variants: never inherited (a "-bear" child of a file
    # labelled "Base" is not "Base"); without its own, a scenario is shown by its name
    merged.pop("label", None)
    if "label" in docs[0]:
        merged["label"] = docs[0]["label"]
    return merged, tuple(chain), tuple(docs)


class _Origins:
    """Which file of an ``extends`` chain a key came from, for error messages."""

    def __init__(self, chain: Sequence[Path], docs: Sequence[Mapping[str, Any]]) -> None:
        self.chain = tuple(chain)
        self.docs = tuple(docs)

    def __call__(self, *keys: str | int) -> str:
        """The path of the nearest file (child first) that sets ``keys``; the scenario's own
        file when none does."""
        found = self.setter(*keys)
        if found is not None:
            return str(found)
        return str(self.chain[0]) if self.chain else "scenario"

    def setter(self, *keys: str | int) -> Path | None:
        """The nearest file (child first) that sets ``keys``, or None."""
        for path, doc in zip(self.chain, self.docs, strict=True):
            node: Any = doc
            for key in keys:
                if isinstance(key, int) and isinstance(node, list) and key < len(node):
                    node = node[key]
                elif isinstance(key, str) and isinstance(node, Mapping) and key in node:
                    node = node[key]
                else:
                    break
            else:
                return path
        return None


def _absolutise(doc: dict[str, Any], base: Path) -> None:
    """Make the file paths a document names relative to the document's own folder."""

    def rebase(p: str) -> str:
        return os.path.normpath(base / p)

    if isinstance(doc.get("extends"), str):
        doc["extends"] = rebase(doc["extends"])
    if isinstance(doc.get("estimates"), str):
        doc["estimates"] = rebase(doc["estimates"])
    for key in ("history", "estimates", "rates", "prices", "segment_history"):
        table = doc.get(key)
        if isinstance(table, dict) and isinstance(table.get("file"), str):
            table["file"] = rebase(table["file"])
    for seg in doc.get("segments") or []:
        table = seg.get("history") if isinstance(seg, dict) else None
        if isinstance(table, dict) and isinstance(table.get("file"), str):
            table["file"] = rebase(table["file"])


def _loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _schema_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The schema class that owns the last key of ``loc`` (for near-miss hints)."""
    model: type[BaseModel] | None = ScenarioDoc
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        fld = model.model_fields.get(part)
        if fld is None:
            return None
        ann = fld.annotation
        nxt = None
        for cand in (ann, *getattr(ann, "__args__", ())):
            for inner in (cand, *getattr(cand, "__args__", ())):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    nxt = inner
        model = nxt
    return model


_TYPE_TAG = re.compile(r"^(int|float|str|bool|none|list\[.*\]|dict\[.*\]|[A-Z]\w*Doc)$")
_TYPES = {  # what a type error asks for, as the toolkit words it
    "model_type": "a table",
    "dict_type": "a table",
    "list_type": "a list",
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
}


def _rule(
    err: Mapping[str, Any], siblings: Sequence[Mapping[str, Any]], loc: tuple[Any, ...]
) -> str:
    """The toolkit's wording of a schema error pydantic reports (never pydantic's own)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _TYPES:  # a union reports one error per member: ask for every one
        words = list(dict.fromkeys(_TYPES[e["type"]] for e in siblings if e["type"] in _TYPES))
        if "a number" in words and "a whole number" in words:
            words.remove("a whole number")
        return "must be " + " or ".join(words)
    if kind in ("too_short", "too_long"):
        if loc[-2:-1] == ("bounds",):
            return "must be a pair [low, high] (2 items)"
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"must hold at {'least' if kind == 'too_short' else 'most'} {n} item(s)"
    if kind == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')}"
    bounds = {
        "greater_than_equal": ("greater than or equal to", "ge"),
        "less_than_equal": ("less than or equal to", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        relation, key = bounds[kind]
        return f"must be {relation} {ctx.get(key)}"
    msg = str(err["msg"]).removeprefix("Value error, ")  # our own validators' sentences
    if kind != "value_error":  # anything else pydantic checks: never its own sentence
        return f"must be a valid value here ({kind.replace('_', ' ')})"
    return msg[0].lower() + msg[1:]


def _validation_message(origins: _Origins, exc: ValidationError) -> str:
    errors = exc.errors()
    # prefer the most specific error (unknown keys and missing keys first)
    order = {"extra_forbidden": 0, "missing": 1}
    err = min(errors, key=lambda e: order.get(e["type"], 2))

    def clean(e: Mapping[str, Any]) -> tuple[Any, ...]:
        # pydantic appends the union member it tried ("float", "ModelDoc") to the location
        return tuple(p for p in e["loc"] if not (isinstance(p, str) and _TYPE_TAG.match(p)))

    loc = clean(err)
    kind = err["type"]
    file = origins(*loc) if kind != "missing" else origins()
    where = f"{file}: {_loc(loc)}"
    if kind == "extra_forbidden":
        owner = _schema_at(loc)
        allowed = list(owner.model_fields) if owner else []
        hint = near_miss(str(loc[-1]), allowed)
        listing = f" (allowed: {', '.join(allowed)})" if allowed and not hint else ""
        return f"{where}: unknown key{listing}; got {loc[-1]!r}{hint}"
    if kind == "missing":
        return f"{where}: required key is missing; got nothing"
    siblings = [e for e in errors if clean(e) == loc]
    return f"{where}: {_rule(err, siblings, loc)}; got {err.get('input')!r}"


def parse_scenario(
    document: Mapping[str, Any],
    path: Path | str,
    chain: Sequence[Path] = (),
    *,
    sources: Sequence[Mapping[str, Any]] = (),
    policy: ReadPolicy | None = None,
) -> Scenario:
    """Validate a merged scenario document and resolve it into a :class:`Scenario`.

    ``chain`` and ``sources`` (the files of an ``extends`` chain and their own documents, child
    first) let errors name the file a bad key came from. The data files the document names are
    read under ``policy`` (by default: inside the scenario's folder, the ``data/`` beside it or
    the toolkit's ``data/``; see :mod:`forecast.readpolicy`).
    """
    path = Path(path)
    chain = tuple(chain) or (path,)
    origins = _Origins(
        chain, sources if len(sources) == len(chain) else [document, *([{}] * (len(chain) - 1))]
    )
    _check_nesting(document, origins())
    try:
        doc = ScenarioDoc.model_validate(dict(document))
    except ValidationError as exc:
        raise ScenarioError(_validation_message(origins, exc)) from None
    _check_text(document, origins)
    policy = policy if policy is not None else ReadPolicy.for_scenario(path)
    return _resolve(doc, path, origins, document, policy)


def load_scenario(path: Path | str, *, allow: Iterable[Path | str] = ()) -> Scenario:
    """Load, merge (``extends``), validate and resolve a scenario file.

    The files it names (``extends``, ``history.file``, ``estimates``) must be regular files
    under the size limit inside the scenario's folder, the ``data/`` beside it, the toolkit's
    ``data/`` and ``scenarios/`` or a folder in ``allow`` (or ``FORECAST_ALLOW_PATH``): see
    :mod:`forecast.readpolicy`.

    Raises
    ------
    ForecastError
        ``ScenarioError``, ``DataError`` or ``MoneyError`` with a one-line message.
    """
    policy = ReadPolicy.for_scenario(path, allow)
    document, chain, docs = _load_chain(path, policy)
    return parse_scenario(document, path, chain, sources=docs, policy=policy)


# ------------------------------------------------------------------------------------------------
# Units, rates and prices
# ------------------------------------------------------------------------------------------------

MoneyReader = Callable[[Any, str], float]
"""Reads a money string (``text``, ``where``) into the scenario's unit."""


def parse_money_reader(text: Any, where: str) -> float:
    """The reader of a USD billion scenario that converts nothing."""
    return parse_money(text, where=where)


def _money_reader(unit: Unit, conv: Conversions, convert: bool) -> MoneyReader:
    """Money strings in ``unit``; one in another currency converted through the rates table
    when ``[rates] convert = true``, else refused naming both currencies."""

    def read(text: Any, where: str) -> float:
        return parse_money(text, where=where, unit=unit, convert=conv.amount if convert else None)

    return read


DEFAULT_RATES_NAME = f"data/{RATES_FILE} (Federal Reserve G.5A annual averages)"
DEFAULT_PRICES_NAME = "US CPI-U (1967=100), annual averages certified in the Federal Register"


def _conversions(
    doc: ScenarioDoc, unit: Unit, at: _Origins, policy: ReadPolicy, home: Path
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
                table = load_rates(r.file, policy=policy, name=_relative(r.file, home))
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
            raise ScenarioError(f"{where}.index: keys must be four-digit years; got {y_text!r}")
        if not (math.isfinite(raw) and raw > 0):
            raise ScenarioError(f"{where}.index.{y_text}: must be a positive number; got {raw!r}")
        out[int(y_text)] = float(raw)
    if out and not p.source.strip():
        raise ScenarioError(
            f"{where}.source: a price index written in the scenario must cite its source; got "
            "nothing"
        )
    return out


def _history_unit(h: HistoryDoc, keys: tuple[str, ...], at: _Origins, conv: Conversions) -> Unit:
    label = ".".join(keys)
    if h.unit is None:
        return conv.unit
    return parse_unit(h.unit, where=f"{at(*keys, 'unit')}: {label}.unit")


def load_history(
    h: HistoryDoc, keys: tuple[str, ...], at: _Origins, policy: ReadPolicy, conv: Conversions
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
    series: Series, h: HistoryDoc, keys: tuple[str, ...], at: _Origins, conv: Conversions
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


def _check_anchors_against_history(
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


def _unit_slips(anchors: Sequence[Anchor], history: Series | None, unit: Unit) -> list[str]:
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


# ------------------------------------------------------------------------------------------------
# Resolution: money strings, files, estimates, cross-field rules
# ------------------------------------------------------------------------------------------------


def _relative(path: str | Path, base: Path) -> str:
    """``path`` relative to ``base`` (provenance that does not depend on the working folder)."""
    return Path(os.path.relpath(Path(path).resolve(), base.resolve())).as_posix()


def _resolve(
    doc: ScenarioDoc, path: Path, at: _Origins, raw: Mapping[str, Any], policy: ReadPolicy
) -> Scenario:
    home = path.parent
    inputs = [
        InputFile("scenario" if i == 0 else "extends", _relative(p, home), sha256_file(p))
        for i, p in enumerate(at.chain)
    ]

    unit = parse_unit(doc.unit, where=f"{at('unit')}: unit")
    conv = _conversions(doc, unit, at, policy, home)
    read = _money_reader(unit, conv, doc.rates is not None and doc.rates.convert)

    history = None
    if doc.history is not None:
        history = load_history(doc.history, ("history",), at, policy, conv)
        inputs.append(InputFile("history", _relative(doc.history.file, home), history.sha256))
        if conv.rate_year is None:
            conv.rate_year = int(history.years[-1])
        history = convert_history(history, doc.history, ("history",), at, conv)

    estimates: dict[str, Estimate] = {}
    est_source = None
    if doc.estimates is not None:
        e = EstimatesDoc(file=doc.estimates) if isinstance(doc.estimates, str) else doc.estimates
        key = "estimates" if isinstance(doc.estimates, str) else "estimates.file"
        where_est = f"{at('estimates')}: estimates"
        est_unit = parse_unit(e.unit, where=f"{where_est}.unit")
        check_column(e.value_column, est_unit, where=f"{where_est}.value_column")
        try:
            estimates = load_estimates(
                e.file,
                policy=policy,
                value_column=e.value_column,
                sheet=e.sheet,
                header_row=e.header_row,
            )
        except ForecastError as exc:
            raise type(exc)(f"{at('estimates')}: {key}: {exc}") from None
        inputs.append(InputFile("estimates", _relative(e.file, home), sha256_file(Path(e.file))))
        est_source = EstimatesSource(Path(e.file), est_unit, e.value_column, e.sheet, e.header_row)
        if estimates and est_unit != unit:
            ids = sorted(estimates)
            factors = conv.factors(
                [estimates[i].year for i in ids],
                est_unit,
                what="published estimates",
                where=f"{where_est}.unit",
                one_rate=True,
            )
            estimates = {
                i: replace(estimates[i], value=estimates[i].value * float(f))
                for i, f in zip(ids, factors, strict=True)
            }

    where_anchors = at("anchors")
    anchors = tuple(
        _anchor(a, i, where_anchors, estimates, history, read, unit)
        for i, a in enumerate(doc.anchors)
    )
    _check_anchor_years(anchors, history, where_anchors)
    if history is None and not anchors:
        raise ScenarioError(
            f"{at()}: a scenario needs a [history] or at least one [[anchors]] entry; got neither"
        )
    _check_anchors_against_history(anchors, history, unit, where_anchors)
    slips = _unit_slips(anchors, history, unit)

    model = _model(doc.model, at, read)
    proj = doc.projection
    last = int(history.years[-1]) if history is not None else min(a.year for a in anchors)
    if proj.horizon > last + MAX_HORIZON:
        raise ScenarioError(
            f"{at('projection', 'horizon')}: projection.horizon must be at most {MAX_HORIZON} "
            f"years after the last history year ({last}); got {proj.horizon}"
        )
    if proj.horizon <= last:
        raise ScenarioError(
            f"{at('projection', 'horizon')}: projection.horizon must come after the last history "
            f"year ({last}); got {proj.horizon}"
        )
    try:
        levels = check_levels(proj.levels, "projection.levels")
    except ForecastError as exc:
        raise ScenarioError(f"{at('projection', 'levels')}: {exc}") from None
    for y in proj.report_years:
        if not last <= y <= proj.horizon:
            raise ScenarioError(
                f"{at('projection', 'report_years')}: projection.report_years must lie between "
                f"{last} and the horizon {proj.horizon}; got {y}"
            )

    segments = _segments(doc.segments, at("segments"))
    if doc.segment_history is not None or any(sg.history is not None for sg in doc.segments):
        segments = _segment_series(doc, segments, at, policy, conv, inputs, home)
    notes: tuple[str, ...] = ()
    if isinstance(model, StatsModel):
        notes = _growth_settings_for_stats(raw, model, at)
        _check_stats_scenario(model, history, proj, levels, at)
        assumptions = None
        simulation = _simulation(SimulationDoc(), proj, last, at, read)
    else:
        assumptions = parse_assumptions(
            doc.assumptions,
            doc.correlation,
            family=model.spec,
            anchors=anchors,
            segment_names=[seg.name for seg in segments],
            has_history=history is not None,
            estimates=estimates,
            at=at,
            base_year=int(history.years[-1]) if history is not None else None,
            read_money=read,
            money_unit=unit,
        )
        simulation = _simulation(doc.simulation, proj, last, at, read)
    inputs += [InputFile(role, _relative(p, home), sha) for role, p, sha in conv.inputs]
    return Scenario(
        name=doc.name,
        title=doc.title or doc.name,
        description=doc.description,
        unit=unit,
        path=path,
        history=history,
        history_source=doc.history.source if doc.history else "",
        anchors=anchors,
        model=model,
        horizon=proj.horizon,
        levels=levels,
        draws=proj.draws,
        seed=proj.seed,
        report_years=tuple(proj.report_years),
        segment_dimension=doc.segment_dimension,
        segments=segments,
        assumptions=assumptions,
        simulation=simulation,
        inputs=tuple(inputs),
        paths=PathModel(start=proj.start),
        segment_reconcile=doc.segment_history.reconcile if doc.segment_history else None,
        segment_family=doc.segment_history.family if doc.segment_history else None,
        document=dict(raw),
        warnings=(*notes, *dict.fromkeys(conv.warnings), *slips),
        conversions=tuple(conv.notes),
        money=conv,
        estimates_source=est_source,
        label=doc.label,
    )


def _anchor(
    a: AnchorDoc,
    i: int,
    where: str,
    estimates: Mapping[str, Estimate],
    history: Series | None,
    read: MoneyReader = parse_money_reader,
    unit: Unit = USD_BILLION,
) -> Anchor:
    key = f"{where}: anchors[{i}]"
    year, value, source = a.year, None, a.source
    if a.value is not None:
        value = read(a.value, f"{key}.value")
    if a.estimate is not None:
        if not estimates:
            raise ScenarioError(
                f"{key}.estimate: needs a top-level 'estimates' file to look ids up in; got "
                f"{a.estimate!r} with no estimates file"
            )
        est = estimates.get(a.estimate)
        if est is None:
            raise ScenarioError(
                f"{key}.estimate: must be an id in the estimates file; got {a.estimate!r}"
                f"{near_miss(a.estimate, estimates)}"
            )
        if year is not None and year != est.year:
            raise ScenarioError(
                f"{key}.year: must match the year of estimate {est.id} ({est.year}); got {year}"
            )
        if value is not None and not np.isclose(value, est.value, rtol=1e-9):
            raise ScenarioError(
                f"{key}.value: must match estimate {est.id} ({est.value:g} "
                f"{unit.scale_word if unit.currency == 'USD' else unit.label}); got {a.value!r}"
            )
        if history is not None and history.source_ids and not a.allow_other_definition:
            defs = {estimates[s].definition for s in history.source_ids if s in estimates}
            if defs and est.definition not in defs:
                raise ScenarioError(
                    f"{key}.estimate: must measure the same definition as the history "
                    f"({', '.join(sorted(defs))}); got {est.definition!r} ({est.id}); comparing "
                    "definitions is the classic sizing error (set allow_other_definition = true "
                    "to override)"
                )
        year, value = est.year, est.value
        source = source or est.citation
    if year is None or value is None:
        missing = "year" if year is None else "value"
        raise ScenarioError(
            f"{key}.{missing}: an anchor needs a year and a value, or an estimate id; got no "
            f"{missing}"
        )
    if not source:
        raise ScenarioError(
            f"{key}.source: every anchor must cite a source (write 'unsourced: ...' when none "
            "stands behind it); got nothing"
        )
    tol = None
    if a.kind == "soft":
        if a.tolerance is None:
            raise ScenarioError(
                f"{key}.tolerance: a soft anchor needs a tolerance such as '10%'; got nothing"
            )
        tol = parse_rate(a.tolerance, where=f"{key}.tolerance")
        if not 0 < tol < 10:
            raise ScenarioError(
                f"{key}.tolerance: must be a positive percentage below 1000%; got {a.tolerance!r}"
            )
    elif a.tolerance is not None:
        raise ScenarioError(
            f"{key}.tolerance: only soft anchors take a tolerance (set kind = 'soft'); got "
            f"{a.tolerance!r}"
        )
    label = a.label or f"{year}"
    return Anchor(
        year=int(year), value=float(value), kind=a.kind, tolerance=tol, source=source, label=label
    )


def _check_anchor_years(anchors: tuple[Anchor, ...], history: Series | None, where: str) -> None:
    seen: set[int] = set()
    for i, a in enumerate(anchors):
        if a.year in seen:
            raise ScenarioError(
                f"{where}: anchors[{i}].year: anchor years must not repeat; got {a.year} twice"
            )
        seen.add(a.year)
        if history is not None and a.year < history.years[0]:
            raise ScenarioError(
                f"{where}: anchors[{i}].year: an anchor must not come before the history starts "
                f"({int(history.years[0])}); got {a.year}"
            )


def _param_value(
    raw: str | float | int, unit: str, key: str, read: MoneyReader = parse_money_reader
) -> float:
    if unit == "money":
        return read(raw, key)
    if unit == "rate" and isinstance(raw, str):
        return parse_rate(raw, where=key)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ScenarioError(f"{key}: must be a number; got {raw!r}")
    return float(raw)


def _model(
    m: ModelDoc, at: _Origins, read: MoneyReader = parse_money_reader
) -> GrowthModel | StatsModel:
    if m.family in STATS_MODELS:  # a statistical model: fitted to the history alone
        return STATS_MODELS[m.family]()  # growth-curve settings: _growth_settings_for_stats
    if m.family not in FAMILIES:
        known = [*FAMILIES, *STATS_MODELS]
        raise ScenarioError(
            f"{at('model', 'family')}: model.family: must be one of {', '.join(known)}; got "
            f"{m.family!r}{near_miss(m.family, known)}"
        )
    fam = FAMILIES[m.family]
    units = dict(zip(fam.params, fam.units, strict=True))
    bounds: dict[str, tuple[float, float]] = {}
    fixed: dict[str, float] = {}
    for table, name in [*(("bounds", n) for n in m.bounds), *(("fixed", n) for n in m.fixed)]:
        if name not in units:
            raise ScenarioError(
                f"{at('model', table, name)}: model.{table}.{name}: must name a parameter of "
                f"{m.family} ({', '.join(fam.params)}); got {name!r}{near_miss(name, fam.params)}"
            )
    for name, (lo_raw, hi_raw) in m.bounds.items():
        key = f"{at('model', 'bounds', name)}: model.bounds.{name}"
        lo = _param_value(lo_raw, units[name], key, read)
        hi = _param_value(hi_raw, units[name], key, read)
        if lo > hi:
            raise ScenarioError(f"{key}: low must not exceed high; got [{lo_raw!r}, {hi_raw!r}]")
        bounds[name] = (lo, hi)
    for name, raw in m.fixed.items():
        fixed[name] = _param_value(
            raw, units[name], f"{at('model', 'fixed', name)}: model.fixed.{name}", read
        )
    try:
        return GrowthModel(family=m.family, error=m.error, bounds=bounds, fixed=fixed)
    except ForecastError as exc:
        raise ScenarioError(f"{at('model')}: {exc}") from None


STATS_MIN_POINTS = 3
STATS_MAX_HORIZON = 30
# settings of growth-curve scenarios a statistical model ignores, with the rule for the message
_GROWTH_ONLY: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("model", "error"), "model.error", "the error model of a curve fit"),
    (("model", "bounds"), "model.bounds", "bounds on curve parameters"),
    (("model", "fixed"), "model.fixed", "fixed curve parameters"),
    (("assumptions",), "assumptions", "drawing assumptions needs a growth-curve family"),
    (("correlation",), "correlation", "correlates drawn assumptions"),
    (("simulation",), "simulation", "Monte Carlo over assumptions drawn through a curve"),
    (
        ("projection", "start"),
        "projection.start",
        "where a curve's paths start; a statistical model always starts from the history",
    ),
)


def _growth_settings_for_stats(
    raw: Mapping[str, Any], model: StatsModel, at: _Origins
) -> tuple[str, ...]:
    """Refuse growth-curve settings written in a statistical-model scenario's own file; drop
    those inherited through ``extends`` and return a warning naming them."""
    inherited: dict[Path, list[str]] = {}
    for keys, label, rule in _GROWTH_ONLY:
        node: Any = raw
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None or (isinstance(node, Mapping) and not node):
            continue  # not set, or cleared with an empty table
        file = at.setter(*keys)
        if file is None or file == at.chain[0]:
            got = sorted(node) if isinstance(node, Mapping) else node
            raise ScenarioError(
                f"{at(*keys)}: {label}: applies to growth curves ({rule}), not to the statistical "
                f"model {model.name!r}; remove it from this file; got {got!r}"
            )
        inherited.setdefault(file, []).append(label)
    out = []
    for file, labels in inherited.items():
        one = len(labels) == 1
        clear = [f"{label} = {{}}" for label in labels if label in (*CLEARABLE, *CLEARABLE_NESTED)]
        hint = f" ({', '.join(clear)} in this file clears it)" if clear else ""
        out.append(
            f"{', '.join(labels)} inherited from {file.name} appl{'ies' if one else 'y'} to "
            f"growth curves only; the statistical model {model.name!r} ignores "
            f"{'it' if one else 'them'}{hint}"
        )
    return tuple(out)


def _check_stats_scenario(
    model: StatsModel,
    history: Series | None,
    proj: ProjectionDoc,
    levels: tuple[float, ...],
    at: _Origins,
) -> None:
    """Rules for scenarios forecast by a statistical model (it extrapolates the history alone,
    one year after the last history year onwards)."""
    name = model.name
    if history is None or len(history) < STATS_MIN_POINTS:
        got = 0 if history is None else len(history)
        raise ScenarioError(
            f"{at('model', 'family')}: model.family: a statistical model needs at least "
            f"{STATS_MIN_POINTS} history points to estimate a trend and its errors; got {got} "
            f"for {name!r}"
        )
    last = int(history.years[-1])
    if proj.horizon > last + STATS_MAX_HORIZON:
        raise ScenarioError(
            f"{at('projection', 'horizon')}: projection.horizon: a statistical model "
            f"extrapolates at most {STATS_MAX_HORIZON} years past the history ({last}); got "
            f"{proj.horizon}"
        )
    if max(levels) > 99:
        raise ScenarioError(
            f"{at('projection', 'levels')}: projection.levels: empirical intervals of "
            f"statistical models go up to 99%; got {max(levels):g}"
        )
    for y in proj.report_years:
        if y <= last:
            raise ScenarioError(
                f"{at('projection', 'report_years')}: projection.report_years: a statistical "
                f"model's projection starts after the last history year ({last}); got {y}"
            )


def _simulation(
    sim: SimulationDoc,
    proj: ProjectionDoc,
    last: int,
    at: _Origins,
    read: MoneyReader = parse_money_reader,
) -> SimulationSpec:
    where = f"{at('simulation')}: simulation"
    for q in sim.quantiles:
        if not 0 < float(q) < 1:
            raise ScenarioError(f"{where}.quantiles: every quantile must be in (0, 1); got {q!r}")
    if sim.metric_year is not None and not last < sim.metric_year <= proj.horizon:
        raise ScenarioError(
            f"{where}.metric_year: must lie after {last} and by the horizon {proj.horizon}; got "
            f"{sim.metric_year}"
        )
    if sim.sampler == "sobol" and sim.draws & (sim.draws - 1):
        raise ScenarioError(
            f"{where}.draws: Sobol sampling needs a power of two (such as 16384 or 32768); got "
            f"{sim.draws}"
        )
    cross = tuple(read(c, f"{where}.cross") for c in sim.cross)
    return SimulationSpec(
        draws=sim.draws,
        sampler=sim.sampler,
        seed=proj.seed if sim.seed is None else sim.seed,
        layers=tuple(dict.fromkeys(sim.layers)),
        quantiles=tuple(sorted({float(q) for q in sim.quantiles})),
        cross=cross,
        metric_year=sim.metric_year,
    )


def _segments(docs: Sequence[SegmentDoc], where: str) -> tuple[Segment, ...]:
    segments = []
    names: set[str] = set()
    for i, s in enumerate(docs):
        key = f"{where}: segments[{i}]"
        if s.name in names:
            raise ScenarioError(f"{key}.name: segment names must be unique; got {s.name!r} twice")
        names.add(s.name)
        if s.share is None:
            segments.append(Segment(name=s.name, knots=(), source=s.source))
            continue
        if isinstance(s.share, dict):
            knots = []
            for y_txt, share in s.share.items():
                if not re.fullmatch(r"[0-9]{4}", y_txt):  # \d would take "２０２０"
                    raise ScenarioError(
                        f"{key}.share: keys must be four-digit years; got {y_txt!r}"
                    )
                knots.append((int(y_txt), float(share)))
            knots.sort()
            if not knots:
                raise ScenarioError(f"{key}.share: needs at least one year; got an empty table")
        else:
            knots = [(0, float(s.share))]
        for y, share in knots:
            if not 0 <= share <= 1:
                raise ScenarioError(
                    f"{key}.share: every share must lie in [0, 1]; got {share!r}"
                    + (f" for {y}" if y else "")
                )
        segments.append(Segment(name=s.name, knots=tuple(knots), source=s.source))
    shared = [seg for seg in segments if seg.knots]
    if shared and len(shared) < len(segments):
        missing = next(seg.name for seg in segments if not seg.knots)
        raise ScenarioError(
            f"{where}: segments: every segment needs a share, or every one a history (shares and "
            f"histories do not mix); got no share for {missing!r}"
        )
    if shared:
        years = sorted({y for seg in segments for y, _ in seg.knots})
        total = np.sum([seg.share(years) for seg in segments], axis=0)
        for y, tot in zip(years, total, strict=True):
            if abs(tot - 1) > 1e-6:
                at = f" in {y}" if y else ""
                raise ScenarioError(f"{where}: segments: shares must sum to 1{at}; got {tot:.6g}")
    return tuple(segments)


def _segment_series(
    doc: ScenarioDoc,
    segments: tuple[Segment, ...],
    at: _Origins,
    policy: ReadPolicy,
    conv: Conversions,
    inputs: list[InputFile],
    home: Path,
) -> tuple[Segment, ...]:
    """Segments with histories of their own: from ``[segment_history]`` (one long file, the rows
    of each segment) or each segment's own ``history`` table, in the scenario's unit."""
    shared = doc.segment_history
    column = (shared.segment_column if shared else None) or doc.segment_dimension
    out = []
    for i, (seg, sdoc) in enumerate(zip(segments, doc.segments, strict=True)):
        key = f"{at('segments', i)}: segments[{i}]"
        if sdoc.share is not None:
            raise ScenarioError(
                f"{key}.share: a segment with a history gets its path from it (forecast and "
                f"reconciled with the total), not from a share; got share = {sdoc.share!r}"
            )
        if sdoc.history is not None:
            keys: tuple[str | int, ...] = ("segments", i, "history")
            hdoc: HistoryDoc = sdoc.history
        elif shared is not None:
            keys = ("segment_history",)
            fields = {k: v for k, v in shared.model_dump().items() if k in HistoryDoc.model_fields}
            fields["filter"] = {**shared.filter, column: seg.name}
            hdoc = HistoryDoc(**fields)
        else:
            raise ScenarioError(
                f"{key}: every segment needs a history when one has (a segment_history table or "
                f"its own history); got none for {seg.name!r}"
            )
        label_keys = tuple(str(k) for k in keys)
        series = load_history(hdoc, label_keys, at, policy, conv)
        if len(series) < 3:
            raise ScenarioError(
                f"{key}: a segment history needs at least 3 years to fit its curve; got "
                f"{len(series)} for {seg.name!r}"
            )
        series = convert_history(series, hdoc, label_keys, at, conv)
        path = _relative(hdoc.file, home)
        if not any(f.role == "segment history" and f.path == path for f in inputs):
            inputs.append(InputFile("segment history", path, series.sha256))
        out.append(replace(seg, history=series))
    return tuple(out)
