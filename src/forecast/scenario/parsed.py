"""The parsed scenario, what the rest of the toolkit uses: :class:`Scenario` and its parts
(segments, the input files with their hashes, the estimates source), frozen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..conversion import (
    Conversions,
)
from ..data import Series
from ..models import GrowthModel
from ..models.simulate import DEFAULT_PATHS, PathModel
from ..stats.models import StatsModel
from ..types import Anchor
from ..uncertainty.propagate import Assumptions, SimulationSpec
from ..units import USD_BILLION, Unit


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
