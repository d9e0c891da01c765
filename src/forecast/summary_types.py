"""The shape of a scenario run's summary (``summary.json``), typed: what
:meth:`forecast.results.BaseScenarioResult.summary` returns and what the terminal, the report
and the workbook read, checked by mypy key by key. Both kinds of result (a growth curve, a
statistical model) give the same keys; a key without meaning for the kind is None.

TypedDicts, not dataclasses, because the summary is also the JSON written as it is: the same
object is serialised and read, so the file cannot drift from what the code reads. Keys whose
names are data (``derived``'s ``cagr_<from>_<to>``, a report year's ``lo-<L>``) stay mappings.
No ``from __future__ import annotations`` here: ``NotRequired`` must be seen at run time.
"""

from typing import Any, NotRequired, TypedDict


class ModelBlock(TypedDict):
    family: str
    kind: str  # "growth_curve" or "statistical"
    error: str | None
    curve: str
    used: str
    points: int
    fallback: bool
    intervals: str | None
    reason: str


class HistoryBlock(TypedDict):
    file: str
    first_year: int
    last_year: int
    points: int
    last_value_usd_bn: float
    source: str
    source_ids: list[str]


class AnchorCommon(TypedDict):
    """What every kind of result says of an anchor."""

    year: int
    value_usd_bn: float
    kind: str
    tolerance: float | None
    label: str | None
    source: str
    implied_cagr_from_last_history: float | None
    position: str


class AnchorEntry(AnchorCommon):
    fitted_usd_bn: float | None
    miss_pct: float | None
    probability: float | None
    probability_mc_se: float | None


class ParamEntry(TypedDict):
    estimate: float | None
    se: float | None
    # "lo-95" and "hi-95" are not identifiers; read them with .get or through params_frame
    unit: str
    fixed: bool
    at_bound: bool


class FitBlock(TypedDict):
    params: dict[str, Any]  # name -> ParamEntry plus "lo-95"/"hi-95"
    sigma: float | None
    sigma_scale: str | None
    dof: int | None
    aicc: float | None
    starts_tried: int | None
    intervals_available: bool


class StartGap(TypedDict):
    year: int
    actual_usd_bn: float
    fitted_usd_bn: float
    gap_pct: float


class ProjectionExtras(TypedDict):
    """What each kind of result adds to the projection block."""

    draws: int | None
    seed: int | None
    method: str
    median: str
    layers: list[str] | None
    layer_notes: list[str]
    start: str | None
    persistence: float | None
    start_gap: StartGap | None


class ProjectionBlock(ProjectionExtras):
    first_year: int
    horizon: int
    levels: list[float]


class SegmentEntry(TypedDict):
    name: str
    source: str
    knots: list[list[float]]


class GapRow(TypedDict):
    year: int
    reported_total: float
    sum_of_parts: float
    gap_pct: float | None


class Reconciliation(TypedDict):
    method: str
    family: str
    parts: list[str]
    reported_gap: list[GapRow]


class InputRecord(TypedDict):
    role: str
    path: str
    sha256: str


class Provenance(TypedDict):
    toolkit: str
    toolkit_version: str
    python: str
    packages: dict[str, str]
    inputs: list[InputRecord]
    seed: int
    command: NotRequired[str]  # the command line adds how to reproduce the files


class OutputRecord(TypedDict):
    folder: str
    files: list[str]
    outcome: str


class Summary(TypedDict):
    scenario: str
    title: str
    description: str
    unit: str
    conversions: NotRequired[list[str]]  # only when the scenario converted something
    model: ModelBlock
    history: HistoryBlock | None
    anchors: list[AnchorEntry]
    fit: FitBlock
    derived: dict[str, Any]  # cagr_<from>_<to>, saturation_usd_bn, inflection_year, ...
    report_years: list[dict[str, Any]]  # year, mean, median, lo-<L>, hi-<L>
    projection: ProjectionBlock
    segments: list[SegmentEntry]
    segment_reconciliation: Reconciliation | None
    warnings: list[str]
    provenance: Provenance
    output: NotRequired[OutputRecord]  # the command line adds what it wrote
