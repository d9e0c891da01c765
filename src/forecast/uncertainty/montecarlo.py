"""The Monte Carlo's blocks as units of work: one block's draws, their statistics in bounded
memory, and runs over the blocks in this process, in a local process pool or on Dask.

Block ``b`` (rows ``[b * block, (b + 1) * block)``) is a pure function of the scenario, the seed
and the block size (:func:`forecast.uncertainty.sampling.uniform_blocks`,
:func:`forecast.models.simulate.block_draws`), so any process can compute any block and the
results do not depend on where it ran.

Two ways to keep the draws (:func:`forecast.uncertainty.run.simulate` picks one):

* **exact** (at most :data:`~forecast.uncertainty.propagate.EXACT_MAX_DRAWS` draws, or asked
  for): every block's kept draws (:class:`BlockDraws`) come back in block order and every
  figure is computed from all of them, as always;
* **sketch** (more draws): each block is reduced to a :class:`Partial` -- quantile summaries of
  every series and year, of the curve parameters and of the growth rates
  (:mod:`.sketch`), per-block sums for the means, exact counts for the anchor probabilities and
  the crossing years, and the draws that fall in a seeded subsample -- and the partials are
  merged along one fixed tree over the blocks (:class:`~forecast.uncertainty.sketch.Fold`).
  Memory is bounded by the summaries' size, the tree's height and the subsample.

The subsample (about :data:`SAMPLE_DRAWS` draws; a draw is in it when a uniform from stream
:data:`SAMPLE_STREAM` of its block falls below ``SAMPLE_DRAWS / draws``) feeds only what needs
draws side by side: the inputs and the metric of the rank correlations, the anchor-year draws of
the distribution chart and ``keep_paths``; never a reported quantile.

Work is spread in aligned groups of ``2**j`` blocks (:func:`groups`): a group's task folds its
blocks, and the groups' results are folded in order, which is the same tree as folding every
block in one process.

Longer than 500 lines because the block as a unit of work is one idea with three runners (this
process, worker processes, Dask tasks) and two ways to keep the draws (exact, summaries) that
must give the same bytes; they share the block plan and its checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from numpy.typing import NDArray

from ..models import GrowthFit
from ..models.simulate import PathModel, block_draws, block_rng, paths_from
from .dependence import induce_rank_correlation
from .propagate import (
    REACH_RTOL,
    Assumptions,
    Segments,
    SimulationResult,
    SimulationSpec,
    _layer_notes,
    _pieces,
    _segment_shares,
    apply_assumptions,
    binomial_se,
    fallback_note,
)
from .sampling import uniform_blocks
from .segment_histories import SegmentHistories
from .sketch import Fold, RankSummary

if TYPE_CHECKING:
    from ..cluster import DaskBackend

FloatArray = NDArray[np.float64]
SAMPLE_DRAWS = 100_000  # draws kept side by side above the exact limit (about)
SAMPLE_STREAM = 3  # block_rng stream of the subsample's uniforms
TASKS_PER_WORKER = 8  # groups of blocks per worker (balance against transfers)


@dataclass(frozen=True)
class Plan:
    """Everything a block needs (picklable: shipped to worker processes)."""

    fit: GrowthFit
    years: FloatArray
    assumptions: Assumptions
    spec: SimulationSpec
    segments: Segments | SegmentHistories | None
    paths: PathModel
    chunk: int
    unc: tuple[int, ...]
    fixed: Mapping[str, float]
    corr: FloatArray | None
    actual: float | None
    t0: float
    steps: int
    weights: FloatArray
    sketch: bool = False
    keep_paths: bool = False
    anchors: tuple[tuple[int, float], ...] = ()  # (year index, value) of anchors in range
    rates: bool = False  # summarise each draw's growth rate (the base is drawn)

    @property
    def blocks(self) -> int:
        return -(-self.spec.draws // self.spec.block)

    @property
    def n_series(self) -> int:
        return 1 + len(self.segment_names)

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(self.segments.names) if self.segments is not None else ()

    def rows_of(self, b: int) -> int:
        return min(self.spec.block, self.spec.draws - b * self.spec.block)


@dataclass
class BlockDraws:
    """One block's kept draws (the contradictory ones dropped), in row order."""

    index: int
    rows: int
    paths: FloatArray  # (kept, T) total
    segments: FloatArray | None  # (kept, S, T)
    inputs: FloatArray  # (kept, uncertain inputs)
    params: FloatArray  # (kept, P)
    base: FloatArray  # (kept,)
    first_cross: NDArray[np.int16]  # (thresholds, kept)
    bad_values: int
    notes: tuple[str, ...]
    sample: NDArray[np.bool_] | None = None  # kept draws in the subsample (sketch only)
    fallbacks: int = 0  # draws reconciled bottom-up instead (segment histories)


def run_block(plan: Plan, b: int) -> BlockDraws:
    """Draw block ``b`` in pieces of at most ``plan.chunk`` rows (the chunk grid of the whole
    sample, as the simulation always cut it)."""
    spec = plan.spec
    start, stop = b * spec.block, b * spec.block + plan.rows_of(b)
    base = _BlockBase.draw(plan, b, stop - start)
    sampled = None
    if plan.sketch:
        share = min(1.0, SAMPLE_DRAWS / spec.draws)
        sampled = block_rng(spec.seed, b, SAMPLE_STREAM).random(stop - start) < share
    tally = _Tally()
    for row, u in _uniform_pieces(plan, start, stop):
        _draw_piece(plan, base, tally, row - start, row == 0, u, sampled)
    cat = _concat(tally.parts)
    return BlockDraws(
        b,
        stop - start,
        paths=cat[0],
        segments=cat[1],
        inputs=cat[2],
        params=cat[3],
        base=cat[4],
        first_cross=cat[5],
        bad_values=tally.bad_values,
        notes=tuple(tally.notes),
        sample=cat[6],
        fallbacks=tally.fallbacks,
    )


@dataclass(frozen=True)
class _BlockBase:
    """A block's draws that do not depend on the assumptions: the fitted parameters, the noise
    scale and shocks, and the segment histories' own paths."""

    theta: FloatArray
    sigma: FloatArray
    z: FloatArray | None
    parts: FloatArray | None

    @classmethod
    def draw(cls, plan: Plan, b: int, rows: int) -> _BlockBase:
        layers, spec = set(plan.spec.layers), plan.spec
        theta, sigma, z = block_draws(
            plan.fit,
            rows,
            spec.seed,
            b,
            plan.steps,
            fit_layer="fit" in layers,
            noise="noise" in layers,
            model=plan.paths,
        )
        parts = None
        if isinstance(plan.segments, SegmentHistories):
            parts = plan.segments.base_block(
                plan.years,
                rows,
                spec.seed,
                b,
                fit_layer="fit" in layers,
                noise="noise" in layers,
                model=plan.paths,
            )
        return cls(theta, sigma, z, parts)


@dataclass
class _Tally:
    """What a block's pieces add up: their kept arrays, notes, and draws dropped or rescued."""

    parts: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bad_values: int = 0
    fallbacks: int = 0


def _uniform_pieces(plan: Plan, start: int, stop: int) -> Iterator[tuple[int, FloatArray]]:
    """The uniforms of the uncertain inputs for rows ``start:stop``, as (first row, uniforms)
    pieces cut at the chunk grid and at the sampler's own blocks."""
    spec = plan.spec
    c_start = start
    while c_start < stop:
        c_stop = min((c_start // plan.chunk + 1) * plan.chunk, stop)
        if plan.unc:
            yield from uniform_blocks(
                spec.draws,
                len(plan.unc),
                method=spec.sampler,
                seed=spec.seed,
                block=spec.block,
                start=c_start,
                stop=c_stop,
            )
        else:
            yield from _pieces(c_start, c_stop, spec.block)
        c_start = c_stop


def _drawn_inputs(plan: Plan, u: FloatArray, rows: int) -> dict[str, FloatArray]:
    """Every assumption's values for one piece: the fixed ones at their central values, the
    uncertain ones through their quantile functions (rank-correlated first when asked)."""
    if plan.corr is not None:
        u = induce_rank_correlation(u, plan.corr)
    names = plan.assumptions.names
    drawn = {k: np.full(rows, v) for k, v in plan.fixed.items()}
    for j, i in enumerate(plan.unc):
        drawn[names[i]] = plan.assumptions.distributions[i].ppf(u[:, j])
    return drawn


def _draw_piece(
    plan: Plan,
    blk: _BlockBase,
    tally: _Tally,
    off: int,
    first_piece: bool,
    u: FloatArray,
    sampled: NDArray[np.bool_] | None,
) -> None:
    """Draw the paths of one piece (rows ``off:off + len(u)`` of the block), keep the valid
    ones with their segments, inputs, parameters, base and first crossings, and tally the rest."""
    fit, spec = plan.fit, plan.spec
    rows = u.shape[0]
    theta = blk.theta[off : off + rows].copy()
    drawn = _drawn_inputs(plan, u, rows)
    valid = apply_assumptions(fit, theta, drawn)
    base = drawn.get("base")
    if base is None:
        base = np.full(rows, plan.actual if plan.actual is not None else np.nan)
    z = blk.z[off : off + rows] if blk.z is not None else None
    sigma = blk.sigma[off : off + rows]
    piece = paths_from(
        fit,
        plan.years,
        theta,
        sigma,
        z,
        plan.paths,
        base if plan.actual is not None else None,
        plan.t0,
        plan.weights,
    )
    if first_piece:
        tally.notes += _layer_notes(
            fit, set(spec.layers), plan.assumptions, theta, sigma, drawn, z is not None
        )
    valid &= np.all(np.isfinite(piece), axis=1)
    tally.bad_values += int(np.sum(valid & np.any(piece <= 0, axis=1)))
    seg_paths = None
    if isinstance(plan.segments, SegmentHistories) and blk.parts is not None:
        piece, parts, fell = plan.segments.reconcile(piece, blk.parts[off : off + rows])
        tally.fallbacks += fell
        valid &= np.all(np.isfinite(parts), axis=(1, 2))
        seg_paths = parts[valid]
    elif isinstance(plan.segments, Segments):
        shares, ok = _segment_shares(plan.segments, drawn, rows)
        valid &= ok
        seg_paths = shares[valid] * piece[valid][:, None, :]
    kept = piece[valid]
    names = plan.assumptions.names
    inputs = (
        np.column_stack([drawn[names[i]] for i in plan.unc])[valid]
        if plan.unc
        else np.zeros((kept.shape[0], 0))
    )
    in_sample = sampled[off : off + rows][valid] if sampled is not None else None
    first = _first_crossings(kept, spec.cross, len(plan.years))
    tally.parts.append((kept, seg_paths, inputs, theta[valid], base[valid], first, in_sample))


def _first_crossings(kept: FloatArray, cross: Sequence[float], t_count: int) -> NDArray[np.int16]:
    """Each kept path's first year index at or above each threshold (``t_count``: never)."""
    first = np.empty((len(cross), kept.shape[0]), dtype=np.int16)
    for c, threshold in enumerate(cross):
        above = kept >= threshold
        first[c] = np.where(above.any(axis=1), above.argmax(axis=1), t_count)
    return first


def _concat(parts: list[tuple[Any, ...]]) -> list[Any]:
    if len(parts) == 1:
        return list(parts[0])
    out: list[Any] = []
    for i, first in enumerate(parts[0]):
        if first is None:
            out.append(None)
        else:
            out.append(np.concatenate([p[i] for p in parts], axis=1 if i == 5 else 0))
    return out


# ------------------------------------------------------------------------------------------------
# Sketch mode: a block's statistics, and their merge
# ------------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """The kept draws that fall in the subsample."""

    total: FloatArray  # (k, T)
    segments: FloatArray | None  # (k, S, T), with keep_paths only
    inputs: FloatArray  # (k, uncertain inputs)
    base: FloatArray  # (k,)

    def __add__(self, other: Sample) -> Sample:
        seg = None
        if self.segments is not None and other.segments is not None:
            seg = np.concatenate([self.segments, other.segments])
        return Sample(
            np.concatenate([self.total, other.total]),
            seg,
            np.concatenate([self.inputs, other.inputs]),
            np.concatenate([self.base, other.base]),
        )


@dataclass
class Partial:
    """What sketch mode keeps of a run of consecutive blocks."""

    first: int  # first block
    blocks: int
    draws: int  # rows drawn
    valid: int  # rows kept
    bad_values: int
    fallbacks: int
    values: RankSummary  # total and segments x years (rows series-major)
    params: RankSummary  # curve parameters
    rates: list[RankSummary]  # growth rate from the base to each later year (drawn base)
    sums: FloatArray  # (blocks, series x years): each block's sum, for exact means
    squares: FloatArray  # (blocks, series x years): each block's sum of squared deviations
    counts: NDArray[np.int64]  # (blocks,): each block's kept draws
    anchor_counts: NDArray[np.int64]  # draws at or above each anchor in range
    cross_counts: NDArray[np.int64]  # (thresholds, T + 1): first year reached (T: never)
    base_low: float
    base_high: float
    base_finite: bool
    notes: tuple[str, ...]
    sample: Sample


def partial_of(plan: Plan, blk: BlockDraws) -> Partial:
    """The statistics of one block's kept draws."""
    total = blk.paths
    m, t_count = total.shape[0], len(plan.years)
    series = total.T[None, :, :]  # (1, T, m)
    if blk.segments is not None:
        series = np.concatenate([series, np.transpose(blk.segments, (1, 2, 0))])
    flat = series.reshape(-1, m)
    rates = []
    if plan.rates:
        for t_i in _rate_years(plan):
            span = float(plan.years[t_i]) - plan.t0
            with np.errstate(divide="ignore", invalid="ignore"):
                per = np.power(total[:, t_i] / blk.base, 1.0 / span) - 1.0
            rates.append(RankSummary.of(per[np.isfinite(per)][None, :]))
    cross = np.zeros((len(plan.spec.cross), t_count + 1), dtype=np.int64)
    for c in range(len(plan.spec.cross)):
        cross[c] = np.bincount(blk.first_cross[c], minlength=t_count + 1)
    base = blk.base
    pick = blk.sample if blk.sample is not None else np.zeros(m, dtype=bool)
    sample = Sample(
        total[pick],
        blk.segments[pick] if plan.keep_paths and blk.segments is not None else None,
        blk.inputs[pick],
        base[pick],
    )
    return Partial(
        first=blk.index,
        blocks=1,
        draws=blk.rows,
        valid=m,
        bad_values=blk.bad_values,
        fallbacks=blk.fallbacks,
        values=RankSummary.of(flat),
        params=RankSummary.of(blk.params.T),
        rates=rates,
        sums=flat.sum(axis=1)[None, :],
        squares=np.square(flat - flat.mean(axis=1, keepdims=True)).sum(axis=1)[None, :]
        if m
        else np.zeros((1, flat.shape[0])),
        counts=np.array([m], dtype=np.int64),
        anchor_counts=np.array(
            [int(np.sum(total[:, t] >= v * (1.0 - REACH_RTOL))) for t, v in plan.anchors],
            dtype=np.int64,
        ),
        cross_counts=cross,
        base_low=float(base.min()) if m else math.inf,
        base_high=float(base.max()) if m else -math.inf,
        base_finite=bool(np.all(np.isfinite(base))),
        notes=blk.notes,
        sample=sample,
    )


def _rate_years(plan: Plan) -> list[int]:
    return [i for i, y in enumerate(plan.years) if float(y) - plan.t0 > 0]


def merge(a: Partial, b: Partial) -> Partial:
    """The statistics of two runs of blocks, ``b`` right after ``a``."""
    if b.first != a.first + a.blocks:
        raise ValueError(f"merge: runs must be consecutive; got {a.first}+{a.blocks}, {b.first}")
    return Partial(
        first=a.first,
        blocks=a.blocks + b.blocks,
        draws=a.draws + b.draws,
        valid=a.valid + b.valid,
        bad_values=a.bad_values + b.bad_values,
        fallbacks=a.fallbacks + b.fallbacks,
        values=a.values.merge(b.values),
        params=a.params.merge(b.params),
        rates=[x.merge(y) for x, y in zip(a.rates, b.rates, strict=True)],
        sums=np.concatenate([a.sums, b.sums]),
        squares=np.concatenate([a.squares, b.squares]),
        counts=np.concatenate([a.counts, b.counts]),
        anchor_counts=a.anchor_counts + b.anchor_counts,
        cross_counts=a.cross_counts + b.cross_counts,
        base_low=min(a.base_low, b.base_low),
        base_high=max(a.base_high, b.base_high),
        base_finite=a.base_finite and b.base_finite,
        notes=a.notes if a.first == 0 else b.notes,
        sample=a.sample + b.sample,
    )


def exact_sums(sums: FloatArray) -> FloatArray:
    """Column sums of the per-block sums, correctly rounded (:func:`math.fsum`): the same
    whichever process added which block."""
    return np.array([math.fsum(col) for col in sums.T], dtype=float)


def mean_and_se(part: Partial) -> tuple[FloatArray, FloatArray]:
    """The mean of every row and its Monte Carlo standard error (the standard deviation over
    the square root of the draws; NaN with fewer than two), from the per-block sums and sums of
    squared deviations: the blocks' deviations are pooled about the overall mean (Chan, Golub
    and LeVeque's update), every sum over the blocks correctly rounded."""
    n = int(part.counts.sum())
    mean = exact_sums(part.sums) / n
    used = part.counts > 0
    counts = part.counts[used].astype(float)[:, None]
    between = counts * np.square(part.sums[used] / counts - mean)
    spread = exact_sums(part.squares) + exact_sums(between)
    se = np.sqrt(spread / (n - 1) / n) if n > 1 else np.full_like(mean, np.nan)
    return mean, se


# ------------------------------------------------------------------------------------------------
# Runs over the blocks
# ------------------------------------------------------------------------------------------------


def groups(blocks: int, workers: int, size: int | None = None) -> tuple[int, list[range]]:
    """Aligned groups of ``2**j`` consecutive blocks (the last may be short) and ``j``: about
    :data:`TASKS_PER_WORKER` groups per worker, or groups of ``size`` blocks (a power of two)."""
    if size is None:
        target = max(1, blocks // (TASKS_PER_WORKER * max(1, workers)))
        size = 1 << (target.bit_length() - 1)
    level = size.bit_length() - 1
    return level, [range(a, min(a + size, blocks)) for a in range(0, blocks, size)]


def _exact_task(plan: Plan, first: int, stop: int) -> list[BlockDraws]:
    return [run_block(plan, b) for b in range(first, stop)]


def _sketch_task(plan: Plan, first: int, stop: int) -> Partial:
    fold: Fold[Partial] = Fold(merge)
    for b in range(first, stop):
        fold.push(partial_of(plan, run_block(plan, b)))
    return fold.result()


def _results(
    fn: Callable[[Plan, int, int], Any],
    plan: Plan,
    parts: Sequence[range],
    n_jobs: int,
    backend: DaskBackend | None,
) -> Iterator[Any]:
    """``fn(plan, first, stop)`` for every group, in group order."""
    firsts, stops = [g.start for g in parts], [g.stop for g in parts]
    if backend is not None:
        yield from _on_dask(fn, plan, firsts, stops, backend)
    elif n_jobs > 1 and len(parts) > 1:
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(parts))) as pool:
            yield from pool.map(fn, repeat(plan), firsts, stops)
    else:
        for a, b in zip(firsts, stops, strict=True):
            yield fn(plan, a, b)


def _on_dask(
    fn: Callable[[Plan, int, int], Any],
    plan: Plan,
    firsts: list[int],
    stops: list[int],
    backend: DaskBackend,
) -> Iterator[Any]:
    """The groups as tasks on a Dask cluster, gathered in order (a lost worker's tasks are
    recomputed by Dask: they are pure functions of the plan and the block numbers)."""
    from ..cluster import module

    delayed = module("dask").delayed
    shipped = delayed(plan, traverse=False)
    tasks = [delayed(fn)(shipped, a, b) for a, b in zip(firsts, stops, strict=True)]
    client = backend.client
    if client is None:
        yield from backend.compute(*tasks)
        return
    futures = client.compute(tasks)
    for fut in futures:
        yield fut.result()
        fut.release()


def exact_blocks(
    plan: Plan,
    n_jobs: int = 1,
    backend: DaskBackend | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[BlockDraws]:
    """Every block's kept draws, in block order."""
    if backend is None and n_jobs <= 1:
        for b in range(plan.blocks):
            blk = run_block(plan, b)
            if progress is not None:
                progress(blk.rows)
            yield blk
        return
    workers = _workers(n_jobs, backend)
    _, parts = groups(plan.blocks, workers, size=1)
    for done in _results(_exact_task, plan, parts, n_jobs, backend):
        for blk in done:
            if progress is not None:
                progress(blk.rows)
            yield blk


def sketch_partial(
    plan: Plan,
    n_jobs: int = 1,
    backend: DaskBackend | None = None,
    progress: Callable[[int], None] | None = None,
    group_size: int | None = None,
) -> Partial:
    """The merged statistics of every block."""
    fold: Fold[Partial] = Fold(merge)
    if backend is None and n_jobs <= 1 and group_size is None:
        for b in range(plan.blocks):
            part = partial_of(plan, run_block(plan, b))
            if progress is not None:
                progress(part.draws)
            fold.push(part)
        return fold.result()
    level, parts = groups(plan.blocks, _workers(n_jobs, backend), group_size)
    for part in _results(_sketch_task, plan, parts, n_jobs, backend):
        if progress is not None:
            progress(part.draws)
        fold.push(part, level)
    return fold.result()


def _workers(n_jobs: int, backend: DaskBackend | None) -> int:
    return backend.threads() if backend is not None else n_jobs


# ------------------------------------------------------------------------------------------------
# Sketch mode: the result
# ------------------------------------------------------------------------------------------------


class YearDraws(TypedDict):
    """What a result keeps of the draws beside their statistics: the metric year's values and
    every in-range anchor's year's values."""

    metric: FloatArray
    metric_year: int
    anchor_draws: dict[int, FloatArray]


def year_draws(plan: Plan, total: FloatArray) -> YearDraws:
    """The kept draws (``total``: years x draws) of the metric year (none without one) and of
    the year of every anchor in range, for the exact and the summarised result alike."""
    years, year = plan.years, plan.spec.metric_year
    return YearDraws(
        metric=total[int(np.searchsorted(years, year))].copy() if year is not None else np.zeros(0),
        metric_year=int(year) if year is not None else 0,
        anchor_draws={
            a.year: total[int(np.searchsorted(years, a.year))].copy()
            for a in plan.fit.anchors
            if years[0] <= a.year <= years[-1]
        },
    )


def sketch_result(
    plan: Plan,
    part: Partial,
    qs: FloatArray,
    point_theta: FloatArray,
    point: FloatArray,
    names_unc: Sequence[str],
) -> SimulationResult:
    """Every figure of a sketch-mode run: quantiles from the summaries, the rest exact."""
    fit, spec, years = plan.fit, plan.spec, plan.years
    s_count, t_count, n = plan.n_series, len(years), part.valid
    values = part.values.quantiles(qs).reshape(s_count, t_count, len(qs)).transpose(0, 2, 1)
    mean, mean_se = mean_and_se(part)
    anchors = []
    in_range = [a for a in fit.anchors if years[0] <= a.year <= years[-1]]
    for a, count in zip(in_range, part.anchor_counts, strict=True):
        p = float(count / n)
        anchors.append(
            {
                "year": a.year,
                "value_usd_bn": a.value,
                "probability": p,
                "mc_se": binomial_se(p, n),
                "label": a.label,
            }
        )
    params = {}
    if part.params.total:
        by_param = part.params.quantiles(qs)
        params = {name: by_param[i] for i, name in enumerate(fit.family.params)}
    sample = part.sample
    total = sample.total.T  # (T, sampled)
    paths = None
    if plan.keep_paths:
        paths = total[None, :, :]
        if sample.segments is not None:
            paths = np.concatenate([paths, np.transpose(sample.segments, (1, 2, 0))])
    errors = [part.values.rank_error, part.params.rank_error, *(r.rank_error for r in part.rates)]
    return SimulationResult(
        years=years.astype(np.int64),
        series=("total", *plan.segment_names),
        quantiles=tuple(float(q) for q in qs),
        values=np.ascontiguousarray(values),
        mean=mean.reshape(s_count, t_count),
        mean_se=mean_se.reshape(s_count, t_count),
        point=point,
        point_theta=point_theta,
        anchors=anchors,
        cagr=_cagr(plan, part, values[0], qs),
        crossing=crossing_from_counts(spec.cross, part.cross_counts, years),
        draws=spec.draws,
        valid=n,
        inputs=sample.inputs,
        input_names=tuple(names_unc),
        params=params,
        **year_draws(plan, total),
        layers=tuple(spec.layers),
        notes=(*part.notes, fallback_note(part.fallbacks)) if part.fallbacks else part.notes,
        base_year=int(plan.t0),
        start=plan.paths.start,
        paths=paths,
        base=sample.base,
        quantile_method="sketch",
        rank_error=max(errors),
        sample=int(sample.total.shape[0]),
    )


def _cagr(plan: Plan, part: Partial, value_q: FloatArray, qs: FloatArray) -> dict[str, FloatArray]:
    """Growth-rate quantiles as :func:`~forecast.uncertainty.propagate._cagr_stats` computes
    them: from the value quantiles with one base value for every draw, else from each draw's
    rate (summarised)."""
    out: dict[str, FloatArray] = {}
    if not part.base_finite or not part.valid:
        return out
    fixed = part.base_low == part.base_high
    rates = iter(part.rates)
    for t_i, year in enumerate(plan.years):
        span = float(year) - plan.t0
        if span <= 0:
            continue
        summary = next(rates) if plan.rates else None
        with np.errstate(divide="ignore", invalid="ignore"):
            if fixed:
                got = np.power(value_q[:, t_i] / part.base_low, 1.0 / span) - 1.0
            else:
                assert summary is not None  # a base that varies is a drawn one
                if not summary.total:
                    continue
                got = summary.quantiles(qs)[0]
        out[f"{int(plan.t0)}-{int(year)}"] = np.asarray(got, dtype=float)
    return out


def crossing_from_counts(
    cross: tuple[float, ...], counts: NDArray[np.int64], years: FloatArray
) -> list[dict[str, Any]]:
    """:func:`~forecast.uncertainty.propagate._crossing_stats` from how many draws first reach
    each threshold in each year (column T: never): the same numbers, without the draws."""
    out: list[dict[str, Any]] = []
    horizon = len(years)
    for c, threshold in enumerate(cross):
        n = int(counts[c].sum())
        cum = np.cumsum(counts[c])

        def year_at(q: float, n: int = n, cum: NDArray[np.int64] = cum) -> float | None:
            k = horizon
            if n:
                # numpy's inverted_cdf: the order statistic at ceil(n q) - 1 (at least 0)
                index = n * q - 1
                lower = math.floor(index)
                pos = max(0, lower if index - lower == 0 else lower + 1)
                k = int(np.searchsorted(cum, pos, "right"))
            return None if k >= horizon else float(years[k])

        out.append(
            {
                "threshold_usd_bn": threshold,
                "probability_by_horizon": float(cum[horizon - 1] / n) if n else 0.0,
                "p10_year": year_at(0.1),
                "median_year": year_at(0.5),
                "p90_year": year_at(0.9),
            }
        )
    return out
