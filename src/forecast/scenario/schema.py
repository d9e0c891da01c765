"""What a scenario file may say: the pydantic schema (unknown keys refused), the limits on text,
nesting and horizon, and pydantic's validation errors rewritten as one sentence naming the file,
the key, the rule and the value received.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ForecastError, near_miss, visible
from .origins import Origins

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
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


CONTROL_IN_PROSE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


Number = float | int


Bound = Annotated[list[str | Number], Field(min_length=2, max_length=2)]


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


def key_path(loc: Sequence[str | int]) -> str:
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


def validation_message(origins: Origins, exc: ValidationError) -> str:
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
    where = f"{file}: {key_path(loc)}"
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


def check_title(title: str | None, where: str) -> str | None:
    """A title given outside a scenario file (``forecast report --title``, ``write_report``'s
    ``title=``), held to a scenario title's rules: one line of at most 200 characters, no
    control characters; ``where`` begins the error (``"report: --title"``). Runs of
    whitespace become one space; None stays None."""
    if title is None:
        return None
    limit = TEXT_LIMITS["title"]
    if not title.strip() or len(title) > limit or CONTROL.search(title):
        raise ForecastError(
            f"{where} must be one line of 1 to {limit} characters without control "
            f"characters; got {visible(title[:60])!r}"
            + (f" ({len(title):,} characters)" if len(title) > limit else "")
        )
    return " ".join(title.split())
