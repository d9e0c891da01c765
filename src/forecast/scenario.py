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

import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .data import Estimate, Series, load_estimates, load_series, sha256_file
from .errors import ForecastError, ScenarioError, near_miss
from .models import FAMILIES, GrowthModel
from .models.simulate import DEFAULT_PATHS, PathModel
from .money import parse_money, parse_rate
from .readpolicy import ReadPolicy, read_file
from .stats.models import StatsModel
from .stats.registry import STATS_MODELS
from .types import Anchor, check_levels
from .uncertainty.propagate import Assumptions, SimulationSpec
from .uncertainty.spec import parse_assumptions

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
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class HistoryDoc(_Strict):
    file: str
    year_column: str = "year"
    value_column: str = "value_usd_bn"
    filter: dict[str, str | Number | bool | list[str | Number | bool]] = {}
    start: int | None = None
    end: int | None = None
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
    share: Number | dict[str, Number]
    source: str


class ScenarioDoc(_Strict):
    name: str
    title: str = ""
    label: str = ""
    description: str
    unit: Literal["USD billion"] = "USD billion"
    extends: str | None = None
    estimates: str | None = None
    history: HistoryDoc | None = None
    anchors: list[AnchorDoc] = []
    model: ModelDoc = ModelDoc()
    projection: ProjectionDoc
    segment_dimension: str = "segment"
    segments: list[SegmentDoc] = []
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


# ------------------------------------------------------------------------------------------------
# The parsed scenario (what the rest of the toolkit uses)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A share of the total, constant or interpolated linearly between (year, share) knots."""

    name: str
    knots: tuple[tuple[int, float], ...]
    source: str

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
class Scenario:
    """A validated scenario, ready to run. Build it with :func:`load_scenario`."""

    name: str
    title: str
    description: str
    unit: str
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
    document: Mapping[str, Any] = field(repr=False, default_factory=dict)
    warnings: tuple[str, ...] = ()
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


_PATH_KEYS = (("extends",), ("estimates",), ("history", "file"))  # made absolute on loading


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


def _merge(
    base: dict[str, Any], over: Mapping[str, Any], clearable: Sequence[str] = CLEARABLE
) -> dict[str, Any]:
    """Deep-merge tables; every other value (lists included) in ``over`` replaces ``base``'s.
    An empty table merges as nothing, except for the top-level tables in ``clearable``, where
    it replaces (clears) the inherited one."""
    out = dict(base)
    for key, value in over.items():
        cleared = key in clearable and isinstance(value, Mapping) and not value
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not cleared:
            out[key] = _merge(dict(out[key]), value, ())
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
    hist = doc.get("history")
    if isinstance(hist, dict) and isinstance(hist.get("file"), str):
        hist["file"] = rebase(hist["file"])


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
_RULES = {
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
}


def _validation_message(origins: _Origins, exc: ValidationError) -> str:
    errors = exc.errors()
    # prefer the most specific error (unknown keys and missing keys first)
    order = {"extra_forbidden": 0, "missing": 1}
    err = min(errors, key=lambda e: order.get(e["type"], 2))
    # pydantic appends the union member it tried ("float", "ModelDoc") to the location: drop it
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and _TYPE_TAG.match(p)))
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
    msg = _RULES.get(kind) or err["msg"]
    msg = msg.removeprefix("Value error, ")
    msg = re.sub(r"^Input should be", "must be", msg)
    msg = msg[0].lower() + msg[1:]
    return f"{where}: {msg}; got {err.get('input')!r}"


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

    history = None
    if doc.history is not None:
        h = doc.history
        if h.start is not None and h.end is not None and h.start > h.end:
            raise ScenarioError(
                f"{at('history', 'start')}: history.start must not be after history.end; got "
                f"{h.start} > {h.end}"
            )
        try:
            history = load_series(
                h.file,
                year_column=h.year_column,
                value_column=h.value_column,
                filter=h.filter,
                start=h.start,
                end=h.end,
                policy=policy,
            )
        except ForecastError as exc:
            raise type(exc)(f"{at('history', 'file')}: history: {exc}") from None
        inputs.append(InputFile("history", _relative(h.file, home), history.sha256))

    estimates: dict[str, Estimate] = {}
    if doc.estimates is not None:
        try:
            estimates = load_estimates(doc.estimates, policy=policy)
        except ForecastError as exc:
            raise type(exc)(f"{at('estimates')}: estimates: {exc}") from None
        inputs.append(
            InputFile("estimates", _relative(doc.estimates, home), sha256_file(Path(doc.estimates)))
        )

    where_anchors = at("anchors")
    anchors = tuple(
        _anchor(a, i, where_anchors, estimates, history) for i, a in enumerate(doc.anchors)
    )
    _check_anchor_years(anchors, history, where_anchors)
    if history is None and not anchors:
        raise ScenarioError(
            f"{at()}: a scenario needs a [history] or at least one [[anchors]] entry; got neither"
        )

    model = _model(doc.model, at)
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
    notes: tuple[str, ...] = ()
    if isinstance(model, StatsModel):
        notes = _growth_settings_for_stats(raw, model, at)
        _check_stats_scenario(model, history, proj, levels, at)
        assumptions = None
        simulation = _simulation(SimulationDoc(), proj, last, at)
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
        )
        simulation = _simulation(doc.simulation, proj, last, at)
    return Scenario(
        name=doc.name,
        title=doc.title or doc.name,
        description=doc.description,
        unit=doc.unit,
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
        document=dict(raw),
        warnings=notes,
        label=doc.label,
    )


def _anchor(
    a: AnchorDoc, i: int, where: str, estimates: Mapping[str, Estimate], history: Series | None
) -> Anchor:
    key = f"{where}: anchors[{i}]"
    year, value, source = a.year, None, a.source
    if a.value is not None:
        value = parse_money(a.value, where=f"{key}.value")
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
                f"{key}.value: must match estimate {est.id} ({est.value:g} billion); "
                f"got {a.value!r}"
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


def _param_value(raw: str | float | int, unit: str, key: str) -> float:
    if unit == "money":
        return parse_money(raw, where=key)
    if unit == "rate" and isinstance(raw, str):
        return parse_rate(raw, where=key)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ScenarioError(f"{key}: must be a number; got {raw!r}")
    return float(raw)


def _model(m: ModelDoc, at: _Origins) -> GrowthModel | StatsModel:
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
        lo = _param_value(lo_raw, units[name], key)
        hi = _param_value(hi_raw, units[name], key)
        if lo > hi:
            raise ScenarioError(f"{key}: low must not exceed high; got [{lo_raw!r}, {hi_raw!r}]")
        bounds[name] = (lo, hi)
    for name, raw in m.fixed.items():
        fixed[name] = _param_value(
            raw, units[name], f"{at('model', 'fixed', name)}: model.fixed.{name}"
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
        clear = [f"{label} = {{}}" for label in labels if label in CLEARABLE]
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


def _simulation(sim: SimulationDoc, proj: ProjectionDoc, last: int, at: _Origins) -> SimulationSpec:
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
    cross = tuple(parse_money(c, where=f"{where}.cross") for c in sim.cross)
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
    if segments:
        years = sorted({y for seg in segments for y, _ in seg.knots})
        total = np.sum([seg.share(years) for seg in segments], axis=0)
        for y, tot in zip(years, total, strict=True):
            if abs(tot - 1) > 1e-6:
                at = f" in {y}" if y else ""
                raise ScenarioError(f"{where}: segments: shares must sum to 1{at}; got {tot:.6g}")
    return tuple(segments)
