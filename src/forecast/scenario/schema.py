"""What a scenario file may say: the pydantic schema (unknown keys refused), the limits on text,
nesting and horizon, and pydantic's validation errors rewritten as one sentence naming the file,
the key, the rule and the value received.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import near_miss
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
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HistoryDoc(_Strict):
    file: str
    year_column: str = "year"
    value_column: str = "value_usd_bn"
    unit: str | None = None
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1, le=100_000)
    filter: dict[str, str | Number | bool | list[str | Number | bool]] = {}
    start: int | None = None
    end: int | None = None
    source: str = ""


class SegmentHistoryDoc(HistoryDoc):
    """Every segment's history in one long file: the rows whose ``segment_column`` names the
    segment (``segment_column`` defaults to the scenario's ``segment_dimension``)."""

    segment_column: str | None = None
    reconcile: (
        Literal["bottom_up", "top_down", "ols", "wls_struct", "wls_var", "mint_shrink"] | None
    ) = None
    family: str | None = None


class EstimatesDoc(_Strict):
    file: str
    unit: str = "USD billion"
    value_column: str = "value_usd_bn"
    sheet: str | None = None
    header_row: int = Field(default=1, ge=1, le=100_000)


class RatesDoc(_Strict):
    file: str | None = None
    year: int | None = Field(default=None, ge=1900, le=2200)
    basis: Literal["year", "each-year"] = "year"
    convert: bool = False
    source: str = ""
    usd_per_unit: dict[str, dict[str, Number]] = {}
    units_per_usd: dict[str, dict[str, Number]] = {}


class PricesDoc(_Strict):
    file: str | None = None
    index: dict[str, Number] = {}
    name: str = ""
    source: str = ""


class AnchorDoc(_Strict):
    year: int | None = None
    value: str | Number | None = None
    estimate: str | None = None
    source: str | None = None
    kind: Literal["hard", "soft"] = "hard"
    tolerance: str | None = None
    label: str | None = None
    allow_other_definition: bool = False


class ModelDoc(_Strict):
    family: str = "logistic"
    error: Literal["multiplicative", "additive"] = "multiplicative"
    bounds: dict[str, Bound] = {}
    fixed: dict[str, str | Number] = {}


class ProjectionDoc(_Strict):
    horizon: int
    levels: list[Number] = [80, 95]
    draws: int = Field(default=4000, ge=100, le=1_000_000)
    seed: int = Field(default=0, ge=0)
    report_years: list[int] = []
    start: Literal["actual", "fitted"] = "actual"


class SimulationDoc(_Strict):
    draws: int = Field(default=10_000, ge=1, le=100_000_000)
    sampler: Literal["mc", "lhs", "sobol"] = "lhs"
    seed: int | None = Field(default=None, ge=0)
    layers: list[Literal["fit", "assumptions", "noise"]] = Field(
        default=["fit", "assumptions", "noise"], min_length=1
    )
    quantiles: list[Number] = [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]
    cross: list[str] = []
    metric_year: int | None = None


class SegmentDoc(_Strict):
    name: str
    share: Number | dict[str, Number] | None = None
    history: HistoryDoc | None = None
    source: str


class ScenarioDoc(_Strict):
    name: str
    title: str = ""
    label: str = ""
    description: str = ""
    unit: str = "USD billion"
    extends: str | None = None
    estimates: str | EstimatesDoc | None = None
    history: HistoryDoc | None = None
    rates: RatesDoc | None = None
    prices: PricesDoc | None = None
    anchors: list[AnchorDoc] = []
    model: ModelDoc = ModelDoc()
    projection: ProjectionDoc
    segment_dimension: str = "segment"
    segments: list[SegmentDoc] = []
    segment_history: SegmentHistoryDoc | None = None
    assumptions: dict[str, Any] = {}
    correlation: dict[str, Any] | None = None
    simulation: SimulationDoc = SimulationDoc()

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
