"""Monte Carlo propagation: the one simulation core of a growth-curve scenario.

Assumption draws -> curve parameters -> yearly paths -> statistics. Every figure a scenario
reports (the point path, the yearly median and intervals, growth rates, the probability of
reaching each anchor, crossing years, segments) is read from one :class:`SimulationResult`;
``forecast run`` and ``forecast simulate`` differ only in the number of draws and the layers.
This module holds the model each draw follows (assumptions, layers, specs, the result); the
entry point that runs it, :func:`forecast.uncertainty.run.simulate`, is in :mod:`.run`.

Three layers of uncertainty, each switchable (``layers``), combined draw by draw. A layer that is
off holds its inputs at their central values: the fit's estimates, the medians of the uncertain
``[assumptions]``, and no noise. The point path is the path with every layer off: every input at
its central value (so it passes through a hard anchor unless the scenario draws the anchor's
value, and starts from the last actual value unless it draws ``base``).

``fit``
    Parameter uncertainty of the calibrated curve (:mod:`forecast.models.simulate`: every free
    parameter drawn from its sampling distribution, truncated to its bounds; unidentified ones
    from a stated prior) and the sampling uncertainty of the noise scale.
``assumptions``
    The scenario's uncertain ``[assumptions]``: distributions over the base value, the
    saturation level, the curve anchor's value, a growth rate over a span, segment shares and
    free parameters of the family, with an optional rank correlation between them. Fixed
    assumptions apply whatever the layers.
``noise``
    The noise of the future path: the market's deviation from its trend, an AR(1) on the log
    scale (multiplicative errors) started at zero in the last history year, so intervals widen
    from the last actual value (:mod:`forecast.models.simulate`).

Paths start from the last actual value (``PathModel.start = "actual"``, the default): the gap
between the actual value and each drawn trend in the last history year is carried forward and
closed by the first anchor after the history (see :mod:`forecast.models.simulate`).

How drawn assumptions become a curve. ``base`` (the market's value in the last history year),
``saturation`` (K or M), ``anchor_<year>`` (the value of the *curve anchor*: the first hard
anchor, else the first anchor) and ``cagr_<A>_<B>`` (a growth rate from the base year A: the
point ``base * (1 + rate)^(B - A)`` in year B) are points the curve passes through. For the
logistic and Gompertz families the curve through the base point and the anchor with saturation K
has a closed form (both are straight lines after a link transform: ``log(y/(K-y))`` and
``-log(-log(y/K))``); for the exponential family the growth rate is solved from the two points;
without an anchor the growth rate is kept and the timing (or level) re-solved through the base.
Other families (linear, Bass) take drawn shape parameters directly and put the level back on the
curve anchor. Names whose draw would be discarded are refused when the scenario is read
(:mod:`forecast.uncertainty.spec`). A draw whose inputs contradict each other (an anchor above the
saturation level) describes no curve: it is dropped and counted (``invalid_share``); more than
half dropped is an error, and so is any drawn curve that is not positive.

Segments: drawn shares are used as drawn; the undrawn segments share the rest in proportion to
their scenario shares, so segment paths always sum to the total (draws whose drawn shares exceed
1 are dropped as contradictory). A drawn share is constant over the years.

Everything is computed in pieces of at most one block (the block is the unit of randomness of
:mod:`forecast.uncertainty.sampling` and :func:`forecast.models.simulate.block_draws`), so results
do not depend on the chunk size, nor on the processes or Dask workers the blocks ran on
(:mod:`.montecarlo`). Up to :data:`EXACT_MAX_DRAWS` draws, per-year values are kept (8 bytes x
years x series per draw) for exact quantiles; above it (or with ``quantile_method="sketch"``)
quantiles come from mergeable summaries with a stated rank-error bound (:mod:`.sketch`), while
probabilities, means and crossing years stay exact counts and sums, so memory does not grow with
the draws.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ..families import CLOSED_FORM
from ..models import GrowthFit
from ..models.simulate import (
    last_actual,
    solve_level,
)
from ..types import Anchor
from .distributions import Distribution
from .sampling import Method

Layer = Literal["fit", "assumptions", "noise"]
QuantileMethod = Literal["auto", "exact", "sketch"]
QUANTILE_METHODS: tuple[QuantileMethod, ...] = ("auto", "exact", "sketch")
#: Exact quantiles (every draw kept) up to this many draws, the most ``forecast run`` takes;
#: above it, mergeable summaries (:mod:`.sketch`) unless exact quantiles are asked for.
EXACT_MAX_DRAWS = 1_000_000
LAYERS: tuple[Layer, ...] = ("fit", "assumptions", "noise")
DEFAULT_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
MAX_INVALID_SHARE = 0.5
MAX_STORE_BYTES = 12 * 2**30  # per-year values kept for exact quantiles: the ceiling
MEMORY_FRACTION = 0.5  # of the memory available at run time (the rest: chunks, quantiles)
CLOSED_FORM_FAMILIES = CLOSED_FORM  # the registry's: forecast.families
ANCHOR_NAME = re.compile(r"^anchor_([0-9]{4})\Z")  # ASCII digits; \Z: no final newline
CAGR_NAME = re.compile(r"^cagr_([0-9]{4})_([0-9]{4})\Z")
REACH_RTOL = 1e-9  # a value within this of an anchor reaches it (rounding of exact hits)
SHARE_NAME = re.compile(r"^share_(.+)$")
FloatArray = NDArray[np.float64]


def store_limit() -> tuple[int, str]:
    """Bytes the per-year values of one simulation may take, and how the limit was set: half
    the memory available now (:func:`forecast._machine.available_memory`, which counts
    ``ulimit -v`` and a container's limit), at most ``MAX_STORE_BYTES``."""
    from .._machine import available_memory

    free = available_memory()
    if free is None or MEMORY_FRACTION * free >= MAX_STORE_BYTES:
        return MAX_STORE_BYTES, "the toolkit's ceiling"
    return int(MEMORY_FRACTION * free), f"half the {free / 2**30:.1f} GiB of memory available now"


def curve_anchor(anchors: Sequence[Anchor]) -> Anchor | None:
    """The anchor drawn curves go through: the first hard anchor, else the first anchor."""
    return next((a for a in anchors if a.kind == "hard"), anchors[0] if anchors else None)


@dataclass(frozen=True)
class Assumptions:
    """Named input distributions and their rank correlation (identity when None)."""

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    correlation: FloatArray | None = None

    def uncertain(self) -> list[int]:
        """Indices of inputs that are not fixed."""
        return [i for i, d in enumerate(self.distributions) if not d.is_fixed]


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate: draws, sampler, seed, layers, statistics, the sensitivity year."""

    draws: int = 10_000
    sampler: Method = "lhs"
    seed: int = 0
    layers: tuple[Layer, ...] = LAYERS
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    cross: tuple[float, ...] = ()
    metric_year: int | None = None
    block: int = 65_536
    quantile_method: QuantileMethod = "auto"

    @property
    def sketch(self) -> bool:
        """Whether quantiles come from summaries (:data:`EXACT_MAX_DRAWS`)."""
        if self.quantile_method == "auto":
            return self.draws > EXACT_MAX_DRAWS
        return self.quantile_method == "sketch"


@dataclass(frozen=True)
class Segments:
    """Segment names and their scenario shares per projection year (S x T)."""

    names: tuple[str, ...]
    shares: FloatArray


@dataclass(frozen=True, repr=False)
class SimulationResult:
    """Statistics of the simulated paths (total first, then segments): every figure a scenario
    reports is read from here.

    ``point`` is the point path (every layer off); ``values`` the quantiles of the draws at
    ``quantiles`` (the spec's, the median and the ends of every interval level); ``mean`` their
    arithmetic mean; ``cagr`` maps ``"<base year>-<year>"`` to quantiles of the growth rate from
    the base year's value (the last actual value, or the drawn ``base``); ``params`` maps every
    curve parameter to its quantiles over the draws; ``notes`` says why a layer that is switched
    on changes nothing.
    """

    years: NDArray[np.int64]
    series: tuple[str, ...]
    quantiles: tuple[float, ...]
    values: FloatArray  # (series, quantile, year)
    mean: FloatArray  # (series, year)
    point: FloatArray  # (series, year)
    point_theta: FloatArray  # the point path's curve parameters
    anchors: list[dict[str, Any]]
    cagr: dict[str, FloatArray]
    crossing: list[dict[str, Any]]
    draws: int
    valid: int
    inputs: FloatArray = field(repr=False)  # (valid draws, uncertain inputs)
    input_names: tuple[str, ...] = ()
    params: dict[str, FloatArray] = field(repr=False, default_factory=dict)
    metric: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    metric_year: int = 0
    # draws of the total in each anchor year within the projection (what the anchor
    # probabilities are computed from), for charts of their distribution
    anchor_draws: dict[int, FloatArray] = field(repr=False, default_factory=dict)
    layers: tuple[str, ...] = LAYERS
    notes: tuple[str, ...] = ()
    base_year: int = 0
    start: str = "actual"
    # every kept draw's values (series, year, draw), only when asked for (keep_paths)
    paths: FloatArray | None = field(repr=False, default=None)
    # each kept draw's value in the base year (the last actual value, or the drawn base)
    base: FloatArray = field(repr=False, default_factory=lambda: np.zeros(0))
    # "exact" (every draw kept) or "sketch" (mergeable summaries, :mod:`.sketch`); with a sketch,
    # rank_error bounds every reported quantile's rank error as a share of the draws, and
    # inputs, metric, anchor_draws, paths and base hold a seeded subsample of `sample` draws
    quantile_method: str = "exact"
    rank_error: float = 0.0
    sample: int = 0
    # Monte Carlo standard error of each mean (series, year): the draws' standard deviation
    # over the square root of their number (NaN with fewer than two draws)
    mean_se: FloatArray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))

    def __repr__(self) -> str:
        """One line: draws, layers, series, years and the last year's median of the total (not
        the arrays)."""
        span = f"{self.years[0]}-{self.years[-1]}" if len(self.years) else "no years"
        try:
            median = f"; median {self.years[-1]} {self.quantile(0.5)[-1]:.6g}"
        except (KeyError, IndexError):
            median = ""
        return (
            f"<SimulationResult {self.draws:,} draws ({self.valid:,} valid) of "
            f"{', '.join(self.layers) or 'no layer'}; series {', '.join(self.series)}; "
            f"years {span}{median}>"
        )

    def quantile(self, q: float, series: str = "total") -> FloatArray:
        """The ``q`` quantile of a series in every year (``q`` must be one of ``quantiles``)."""
        i = self._q_index(q)
        return np.asarray(self.values[self.series.index(series), i], dtype=float)

    def _q_index(self, q: float) -> int:
        for i, have in enumerate(self.quantiles):
            if abs(have - q) < 1e-9:
                return i
        raise KeyError(f"quantile {q} was not computed; have {self.quantiles}")

    def interval(self, level: float, series: str = "total") -> tuple[FloatArray, FloatArray]:
        """Lower and upper ends of the central ``level``% interval in every year."""
        tail = (100.0 - float(level)) / 200.0
        return self.quantile(tail, series), self.quantile(1.0 - tail, series)

    @property
    def invalid_share(self) -> float:
        """Share of draws dropped because their assumptions contradicted each other."""
        return 1.0 - self.valid / self.draws if self.draws else 0.0


# ------------------------------------------------------------------------------------------------
# Curve parameters from drawn values
# ------------------------------------------------------------------------------------------------


def _link(fam: str, x: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if fam == "logistic":
            from scipy.special import logit

            return np.asarray(logit(x), dtype=float)
        return np.asarray(-np.log(-np.log(x)), dtype=float)


def apply_assumptions(
    fit: GrowthFit, theta: FloatArray, drawn: Mapping[str, FloatArray]
) -> NDArray[np.bool_]:
    """Turn drawn assumption values into curve parameters, in place; returns the valid rows.

    The names are assumed checked by :func:`forecast.uncertainty.spec.check_name` (no drawn value
    is discarded here).
    """
    fam = fit.family
    n = theta.shape[0]
    valid = np.ones(n, dtype=bool)
    anchor = curve_anchor(fit.anchors)
    t0 = fit.t_ref
    # the points the curve passes through, read off the (fit-layer) curve before any override
    y0 = drawn.get("base")
    if y0 is None:
        y0 = fit.family(np.array([t0]), theta, fit.t_ref)[:, 0]
    ta = float(anchor.year) if anchor is not None else None
    va = None
    if anchor is not None:
        va = drawn.get(f"anchor_{anchor.year}")
        if va is None:
            va = fit.family(np.array([float(anchor.year)]), theta, fit.t_ref)[:, 0]
    spans = [(m, v) for m, v in ((CAGR_NAME.match(k), v) for k, v in drawn.items()) if m]
    if spans:  # a drawn growth rate from the base year's value sets the point at its end
        m, rate = spans[0]
        start = drawn.get("base")
        if start is None:
            start = np.full(n, last_actual(fit) or np.nan)
        span = float(m.group(2)) - float(m.group(1))
        with np.errstate(invalid="ignore"):
            va = start * np.power(1.0 + rate, span)
        ta = float(m.group(2))
        valid &= rate > -1
    for name, values in drawn.items():  # free parameters drawn directly
        if name in fam.params:
            theta[:, fam.params.index(name)] = values
    if "saturation" in drawn and fam.saturation_param is not None:
        theta[:, fam.params.index(fam.saturation_param)] = drawn["saturation"]
    touched = (
        "base" in drawn
        or "saturation" in drawn
        or any(ANCHOR_NAME.match(k) or CAGR_NAME.match(k) for k in drawn)
    )
    if fam.name in CLOSED_FORM_FAMILIES and touched:
        valid &= y0 > 0
        if ta is not None and va is not None:
            valid &= va > 0
            if fam.name == "exponential":
                with np.errstate(divide="ignore", invalid="ignore"):
                    theta[:, 1] = np.expm1(np.log(va / y0) / (ta - t0))
                theta[:, 0] = y0
            else:
                k = theta[:, 0]
                valid &= (y0 < k) & (va < k)
                z0, za = _link(fam.name, y0 / k), _link(fam.name, va / k)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rate = (za - z0) / (ta - t0)
                    theta[:, 1] = rate
                    theta[:, 2] = t0 - z0 / rate
                valid &= np.isfinite(rate) & (rate > 0)
        elif fam.name == "exponential":  # no anchor: keep the growth rate
            theta[:, 0] = y0
        else:  # no anchor: keep the rate, re-solve the timing through the base point
            k = theta[:, 0]
            valid &= y0 < k
            with np.errstate(divide="ignore", invalid="ignore"):
                theta[:, 2] = t0 - _link(fam.name, y0 / k) / theta[:, 1]
    elif anchor is not None and fit.free[0] and "saturation" not in drawn:
        target = drawn.get(f"anchor_{anchor.year}")
        if target is None and anchor.kind == "hard" and any(k in fam.params for k in drawn):
            target = np.full(n, anchor.value)  # drawn shape parameters keep the hard anchor
        if target is not None:
            solve_level(fit, theta, anchor.year, target)
    valid &= np.all(np.isfinite(theta), axis=1)
    return valid


# ------------------------------------------------------------------------------------------------
# The simulation
# ------------------------------------------------------------------------------------------------


def _pieces(start: int, stop: int, block: int) -> list[tuple[int, FloatArray]]:
    """Rows [start, stop) cut at block boundaries, with no uniforms (nothing uncertain)."""
    out = []
    row = start
    while row < stop:
        end = min((row // block + 1) * block, stop)
        out.append((row, np.zeros((end - row, 0))))
        row = end
    return out


def _segment_shares(
    segments: Segments, drawn: Mapping[str, FloatArray], rows: int
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Per-draw shares (rows x S x T): drawn ones exact, the rest scaled to fill up to one."""
    shares = np.broadcast_to(segments.shares, (rows, *segments.shares.shape)).copy()
    is_drawn = np.array([f"share_{s}" in drawn for s in segments.names])
    if not is_drawn.any():
        return shares, np.ones(rows, dtype=bool)
    for s_i, name in enumerate(segments.names):
        if is_drawn[s_i]:
            shares[:, s_i, :] = drawn[f"share_{name}"][:, None]
    taken = shares[:, is_drawn, :].sum(axis=1)  # rows x T
    rest = shares[:, ~is_drawn, :]
    base = rest.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(base > 0, (1 - taken) / base, 0.0)
    shares[:, ~is_drawn, :] = rest * scale[:, None, :]
    ok = np.all(taken <= 1 + 1e-12, axis=1)
    if (~is_drawn).any():  # the undrawn segments need a share of their own to scale
        ok &= np.all(base > 0, axis=1)
    return shares, ok


def quantile_set(spec: SimulationSpec, levels: Sequence[float]) -> tuple[float, ...]:
    """The probabilities a simulation reports: the spec's, the median and both ends of every
    interval level, sorted."""
    qs = {round(float(q), 12) for q in spec.quantiles} | {0.5}
    for level in levels:
        tail = (100.0 - float(level)) / 200.0
        qs |= {round(tail, 12), round(1.0 - tail, 12)}
    return tuple(sorted(qs))


def fallback_note(fallbacks: int) -> str:
    """The note of draws whose reconciliation fell back to bottom-up (segment histories)."""
    return (
        f"segments: {fallbacks:,} draws had a negative part under the reconciliation and "
        "were reconciled bottom-up instead"
    )


def _layer_notes(
    fit: GrowthFit,
    layers: set[Layer],
    assumptions: Assumptions,
    theta: FloatArray,
    sigma: FloatArray,
    drawn: Mapping[str, FloatArray],
    noisy: bool,
) -> list[str]:
    """Why a layer that is switched on changes nothing (read off the first block)."""
    notes = []
    if "fit" in layers:
        if not fit.intervals_available:
            notes.append(
                "fit layer: no effect: the fit leaves no degrees of freedom to estimate its "
                "parameters' uncertainty"
            )
        else:
            point = np.tile(fit.theta, (theta.shape[0], 1))
            apply_assumptions(fit, point, drawn)
            same = np.allclose(point, theta, rtol=1e-12, atol=0.0, equal_nan=True)
            if same and not noisy:
                notes.append(
                    "fit layer: no effect: the drawn assumptions fix every parameter the fit "
                    "layer would draw"
                )
            elif same:
                notes.append(
                    "fit layer: only the noise scale: the drawn assumptions fix every parameter "
                    "the fit layer would draw"
                )
    if "assumptions" in layers and assumptions.names and not assumptions.uncertain():
        notes.append("assumptions layer: no effect: the scenario has no uncertain [assumptions]")
    if "noise" in layers and not noisy:
        notes.append(
            "noise layer: no effect: neither the history (too short) nor the fit (no degrees of "
            "freedom) gives a noise scale"
        )
    del sigma
    return notes


def binomial_se(p: float, n: int) -> float | None:
    """Monte Carlo standard error of a probability estimated from ``n`` independent draws;
    None where the normal approximation says nothing (fewer than 30 draws, or p of 0 or 1)."""
    if n < 30 or p <= 0 or p >= 1:
        return None
    return math.sqrt(p * (1 - p) / n)
