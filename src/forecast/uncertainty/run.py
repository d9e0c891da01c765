"""The Monte Carlo's one entry point, :func:`simulate`: it plans the blocks of draws, has them
drawn (:mod:`.montecarlo`: in this process, in worker processes or as Dask tasks) and collects
exact quantiles or mergeable summaries, the point path and the statistics every output reads.
The model each draw follows (assumptions, layers, paths) is :mod:`.propagate`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ForecastError, ScenarioError
from ..models import GrowthFit
from ..models.simulate import (
    DEFAULT_PATHS,
    PathModel,
    bridge_year,
    gap_weights,
    last_actual,
    noise_steps,
    paths_from,
)
from .montecarlo import Plan, exact_blocks, sketch_partial, sketch_result, year_draws
from .propagate import (
    CAGR_NAME,
    MAX_INVALID_SHARE,
    QUANTILE_METHODS,
    REACH_RTOL,
    Assumptions,
    FloatArray,
    Segments,
    SimulationResult,
    SimulationSpec,
    _segment_shares,
    apply_assumptions,
    binomial_se,
    fallback_note,
    quantile_set,
    store_limit,
)
from .segment_histories import SegmentHistories


class _Draws:
    """What one simulation keeps of its draws: values per series and year (float64, for exact
    quantiles), the uncertain inputs, the parameters, the base values."""

    def __init__(self, n: int, n_series: int, t_count: int, n_inputs: int, n_params: int):
        self.values = np.empty((n_series, t_count, n))
        self.inputs = np.empty((n, n_inputs))
        self.params = np.empty((n, n_params))
        self.base = np.empty(n)
        self.filled = 0

    def add(
        self,
        paths: FloatArray,
        segment_paths: FloatArray | None,
        inputs: FloatArray,
        params: FloatArray,
        base: FloatArray,
    ) -> None:
        m = paths.shape[0]
        sl = slice(self.filled, self.filled + m)
        self.values[0, :, sl] = paths.T
        if segment_paths is not None:
            self.values[1:, :, sl] = np.transpose(segment_paths, (1, 2, 0))
        self.inputs[sl] = inputs
        self.params[sl] = params
        self.base[sl] = base
        self.filled += m


def store_bytes(draws: int, n_series: int, t_count: int) -> int:
    """Memory the kept draws take (values of every series and year, float64)."""
    return 8 * n_series * t_count * draws


def simulate(
    fit: GrowthFit,
    years: FloatArray,
    assumptions: Assumptions,
    spec: SimulationSpec,
    *,
    segments: Segments | SegmentHistories | None = None,
    paths: PathModel = DEFAULT_PATHS,
    levels: Sequence[float] = (),
    progress: Callable[[int], None] | None = None,
    chunk: int = 65_536,
    keep_paths: bool = False,
    n_jobs: int = 1,
    backend: Any = None,
) -> SimulationResult:
    """Run the Monte Carlo simulation. See the module docstring for the model.

    ``chunk`` rows are processed at a time (memory), independently of ``spec.block`` (the unit
    of randomness): for a given block size, the same seed gives identical results for any chunk
    size. ``levels`` adds the ends of those intervals to the reported quantiles. ``progress`` is
    called with the number of draws added by each block. ``keep_paths`` keeps every kept draw's
    values (series x years x draws) in the result, for checks (with a sketch: the subsample's).

    ``n_jobs`` local worker processes, or ``backend`` (``"dask"`` or a
    ``dask.distributed.Client``: Dask tasks), draw the blocks; the result is the same, byte for
    byte, whatever runs them (:mod:`.montecarlo`).
    """
    _check_spec(spec)
    dask = _backend(backend, n_jobs)
    years = np.asarray(years, dtype=float)
    seg_names = segments.names if segments is not None else ()
    _check_store(spec, 1 + len(seg_names), len(years))
    plan, central = _plan(fit, years, assumptions, spec, segments, paths, chunk, keep_paths)
    names_unc = [assumptions.names[i] for i in plan.unc]
    qs = np.asarray(quantile_set(spec, levels), dtype=float)
    if spec.sketch:
        part = sketch_partial(plan, n_jobs, dask, progress)
        _check_draws(part.bad_values, bool(plan.unc), spec.draws, part.valid)
        point_theta, point = _point_paths(fit, years, central, paths, plan.weights, segments)
        return sketch_result(plan, part, qs, point_theta, point, names_unc)
    kept = _kept_draws(plan, n_jobs, dask, progress)
    _check_draws(kept.bad_values, bool(plan.unc), spec.draws, kept.draws.filled)
    point_theta, point = _point_paths(fit, years, central, paths, plan.weights, segments)
    return _exact_result(plan, kept, qs, point_theta, point, names_unc)


def _check_spec(spec: SimulationSpec) -> None:
    """Refuse a simulation with no layer or an unknown quantile method."""
    if not spec.layers:
        raise ForecastError("layers: needs at least one of fit, assumptions, noise; got none")
    if spec.quantile_method not in QUANTILE_METHODS:
        raise ForecastError(
            f"quantile_method: must be one of {', '.join(QUANTILE_METHODS)}; got "
            f"{spec.quantile_method!r}"
        )


def _check_store(spec: SimulationSpec, n_series: int, t_count: int) -> None:
    """Refuse exact quantiles whose kept draws would not fit in the memory allowed."""
    n = spec.draws
    need = store_bytes(n, n_series, t_count)
    limit, why = store_limit() if not spec.sketch else (need, "")
    if need > limit:
        most = limit // store_bytes(1, n_series, t_count)
        raise ForecastError(
            f"draws: {n:,} draws of {n_series} series x {t_count} years need "
            f"{need / 2**30:.1f} GiB for exact quantiles (limit {limit / 2**30:.1f} GiB, {why}); "
            f"got {n:,}, use at most {most:,}"
        )


def _plan(
    fit: GrowthFit,
    years: FloatArray,
    assumptions: Assumptions,
    spec: SimulationSpec,
    segments: Segments | SegmentHistories | None,
    paths: PathModel,
    chunk: int,
    keep_paths: bool,
) -> tuple[Plan, dict[str, float]]:
    """What every block needs (:class:`~.montecarlo.Plan`), and every assumption's central
    value (its median): the point path's, and what the draws hold when the assumptions layer
    is off; fixed assumptions hold it whatever the layers."""
    unc = assumptions.uncertain() if "assumptions" in spec.layers else []
    central = {
        name: float(d.median)
        for name, d in zip(assumptions.names, assumptions.distributions, strict=True)
    }
    fixed = {n: v for n, v in central.items() if n not in {assumptions.names[i] for i in unc}}
    corr = None
    if assumptions.correlation is not None and unc:
        corr = assumptions.correlation[np.ix_(unc, unc)]
        if np.allclose(corr, np.eye(len(unc))):
            corr = None
    t0 = float(fit.years[-1]) if len(fit.years) else float(years[0])
    plan = Plan(
        fit=fit,
        years=years,
        assumptions=assumptions,
        spec=spec,
        segments=segments,
        paths=paths,
        chunk=chunk,
        unc=tuple(unc),
        fixed=fixed,
        corr=corr,
        actual=last_actual(fit),
        t0=t0,
        steps=noise_steps(years, t0),
        weights=gap_weights(years, t0, _bridge_year(fit, list(central)), paths.rho),
        sketch=spec.sketch,
        keep_paths=keep_paths,
        anchors=tuple(
            (int(np.searchsorted(years, a.year)), a.value)
            for a in fit.anchors
            if years[0] <= a.year <= years[-1]
        ),
        rates="base" in {assumptions.names[i] for i in unc},
    )
    return plan, central


@dataclass
class _Kept:
    """Every block's kept draws side by side, with what the blocks noted and dropped."""

    draws: _Draws
    first_cross: NDArray[np.int16]  # (thresholds, draws)
    notes: list[str]
    bad_values: int
    fallbacks: int


def _kept_draws(
    plan: Plan, n_jobs: int, dask: Any, progress: Callable[[int], None] | None
) -> _Kept:
    """Draw every block (exact quantiles) and keep its draws, in block order."""
    spec, n = plan.spec, plan.spec.draws
    keep = _Draws(n, plan.n_series, len(plan.years), len(plan.unc), len(plan.fit.theta))
    out = _Kept(keep, np.empty((len(spec.cross), n), dtype=np.int16), [], 0, 0)
    for blk in exact_blocks(plan, n_jobs, dask, progress):
        out.first_cross[:, keep.filled : keep.filled + blk.paths.shape[0]] = blk.first_cross
        keep.add(blk.paths, blk.segments, blk.inputs, blk.params, blk.base)
        out.bad_values += blk.bad_values
        out.notes += blk.notes
        out.fallbacks += blk.fallbacks
    return out


def _row_statistics(
    keep: _Draws, n_series: int, t_count: int, qs: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Quantiles, means and the means' Monte Carlo standard errors of every series and year,
    one row at a time (no full-size temporary copies)."""
    filled = keep.filled
    values = np.empty((n_series, len(qs), t_count))
    mean = np.empty((n_series, t_count))
    mean_se = np.full((n_series, t_count), np.nan)
    for s_i in range(n_series):
        for t_i in range(t_count):
            row_values = keep.values[s_i, t_i, :filled]
            values[s_i, :, t_i] = np.quantile(row_values, qs)
            mean[s_i, t_i] = row_values.mean()
            if filled > 1:
                mean_se[s_i, t_i] = row_values.std(ddof=1) / np.sqrt(filled)
    return values, mean, mean_se


def _exact_result(
    plan: Plan,
    kept: _Kept,
    qs: FloatArray,
    point_theta: FloatArray,
    point: FloatArray,
    names_unc: Sequence[str],
) -> SimulationResult:
    """Every figure of an exact run, from the kept draws."""
    fit, spec, years, keep = plan.fit, plan.spec, plan.years, kept.draws
    filled = keep.filled
    values, mean, mean_se = _row_statistics(keep, plan.n_series, len(years), qs)
    total = keep.values[0, :, :filled]
    base = keep.base[:filled]
    notes = kept.notes + ([fallback_note(kept.fallbacks)] if kept.fallbacks else [])
    return SimulationResult(
        years=years.astype(np.int64),
        series=("total", *plan.segment_names),
        quantiles=tuple(float(q) for q in qs),
        values=values,
        mean=mean,
        mean_se=mean_se,
        point=point,
        point_theta=point_theta,
        anchors=_anchor_stats(fit, years, total),
        cagr=_cagr_stats(years, plan.t0, total, base, values[0], qs),
        crossing=_crossing_stats(spec.cross, kept.first_cross[:, :filled], years),
        draws=spec.draws,
        valid=filled,
        inputs=keep.inputs[:filled],
        input_names=tuple(names_unc),
        params=_param_stats(fit, keep.params[:filled], qs),
        **year_draws(plan, total),
        layers=tuple(spec.layers),
        notes=tuple(notes),
        base_year=int(plan.t0),
        start=plan.paths.start,
        paths=keep.values[:, :, :filled] if plan.keep_paths else None,
        base=keep.base[:filled].copy(),
    )


def _backend(backend: Any, n_jobs: int) -> Any:
    """The Dask backend asked for (None: this machine), with ``n_jobs`` checked."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ForecastError(f"n_jobs: must be a positive whole number; got {n_jobs!r}")
    if backend is None:
        return None
    from ..cluster import dask_backend

    return dask_backend(backend, None, n_jobs)


def _check_draws(bad_values: int, uncertain: bool, n: int, filled: int) -> None:
    """Refuse draws that are not positive (with uncertain inputs) or mostly contradictory."""
    if bad_values and uncertain:
        raise ScenarioError(
            f"assumptions: drawn curves must stay positive (a market size cannot be zero or "
            f"negative; narrow the distributions of the shape parameters); got {bad_values} of "
            f"{n} draws with a value <= 0"
        )
    if filled < (1 - MAX_INVALID_SHARE) * n:
        raise ScenarioError(
            f"assumptions: draws must mostly describe a possible curve (e.g. anchors below the "
            f"saturation level, drawn shares summing to at most 1); got {n - filled} of {n} "
            "contradictory"
        )


def _bridge_year(fit: GrowthFit, names: Sequence[str]) -> float | None:
    """Where the start gap closes: the first anchor after the history, or the end of a drawn
    growth-rate span (``cagr_<A>_<B>``), whichever comes first."""
    years = [float(m.group(2)) for m in (CAGR_NAME.match(n) for n in names) if m]
    anchor = bridge_year(fit)
    if anchor is not None:
        years.append(anchor)
    return min(years) if years else None


def _point_paths(
    fit: GrowthFit,
    years: FloatArray,
    fixed: Mapping[str, float],
    paths: PathModel,
    weights: FloatArray,
    segments: Segments | SegmentHistories | None,
) -> tuple[FloatArray, FloatArray]:
    """The point path's parameters and its values for the total and every segment (series x
    T): every input at its central value (fit estimates, assumption medians), no noise."""
    theta = fit.theta[None, :].copy()
    drawn = {k: np.array([v]) for k, v in fixed.items()}
    if not apply_assumptions(fit, theta, drawn)[0]:
        got = ", ".join(f"{k} = {v:g}" for k, v in fixed.items())
        raise ScenarioError(
            "assumptions: the assumptions' central values (medians) must describe a possible "
            f"curve (e.g. an anchor below the saturation level); got {got}"
        )
    actual = last_actual(fit)
    base = drawn.get("base", np.array([actual if actual is not None else np.nan]))
    t0 = float(fit.years[-1]) if len(fit.years) else float(years[0])
    total = paths_from(
        fit,
        years,
        theta,
        np.zeros(1),
        None,
        paths,
        base if actual is not None else None,
        t0,
        weights,
    )[0]
    if segments is None:
        return theta[0], total[None, :]
    if isinstance(segments, SegmentHistories):
        t, parts, _ = segments.reconcile(total[None, :], segments.point(years, paths)[None])
        return theta[0], np.vstack([t, parts[0]])
    shares, _ = _segment_shares(segments, drawn, 1)
    return theta[0], np.vstack([total, shares[0] * total[None, :]])


def _cagr_stats(
    years: FloatArray,
    t0: float,
    total: FloatArray,
    base: FloatArray,
    value_q: FloatArray,
    qs: FloatArray,
) -> dict[str, FloatArray]:
    """Quantiles of the growth rate from the base year's value to every later year. With one
    base value for every draw the rate is a monotone function of the value, so its quantiles are
    the function of the value's quantiles; otherwise they are quantiles of each draw's rate."""
    out: dict[str, FloatArray] = {}
    if not np.all(np.isfinite(base)) or base.size == 0:
        return out
    fixed = bool(np.all(base == base[0]))
    for t_i, year in enumerate(years):
        span = float(year) - t0
        if span <= 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            if fixed:
                rates = np.power(value_q[:, t_i] / base[0], 1.0 / span) - 1.0
            else:
                per = np.power(total[t_i] / base, 1.0 / span) - 1.0
                per = per[np.isfinite(per)]
                if not per.size:
                    continue
                rates = np.quantile(per, qs)
        out[f"{int(t0)}-{int(year)}"] = np.asarray(rates, dtype=float)
    return out


def _param_stats(fit: GrowthFit, params: FloatArray, qs: FloatArray) -> dict[str, FloatArray]:
    """Quantiles of every free or drawn parameter over the kept draws."""
    out: dict[str, FloatArray] = {}
    for i, name in enumerate(fit.family.params):
        col = params[:, i]
        if col.size and np.all(np.isfinite(col)):
            out[name] = np.quantile(col, qs)
    return out


def _anchor_stats(fit: GrowthFit, years: FloatArray, total: FloatArray) -> list[dict[str, Any]]:
    """P(value in the anchor's year >= the anchor's value) for every anchor in range."""
    out: list[dict[str, Any]] = []
    n = total.shape[1]
    for anchor in fit.anchors:
        if not years[0] <= anchor.year <= years[-1]:
            continue
        i = int(np.searchsorted(years, anchor.year))
        # at or above, to a relative 1e-9: a draw that meets a hard anchor counts as reaching it
        p = float(np.mean(total[i] >= anchor.value * (1.0 - REACH_RTOL)))
        out.append(
            {
                "year": anchor.year,
                "value_usd_bn": anchor.value,
                "probability": p,
                "mc_se": binomial_se(p, n),
                "label": anchor.label,
            }
        )
    return out


def _crossing_stats(
    cross: tuple[float, ...], first: NDArray[np.int16], years: FloatArray
) -> list[dict[str, Any]]:
    """When the market first reaches each size: unconditional quantiles, where draws that never
    cross count as crossing after the horizon (reported as None: "after <horizon>")."""
    out: list[dict[str, Any]] = []
    horizon = len(years)
    for c, threshold in enumerate(cross):
        idx = first[c]

        def year_at(q: float, idx: NDArray[np.int16] = idx) -> float | None:
            k = int(np.quantile(idx, q, method="inverted_cdf")) if idx.size else horizon
            return None if k >= horizon else float(years[k])

        out.append(
            {
                "threshold_usd_bn": threshold,
                "probability_by_horizon": float(np.mean(idx < horizon)) if idx.size else 0.0,
                "p10_year": year_at(0.1),
                "median_year": year_at(0.5),
                "p90_year": year_at(0.9),
            }
        )
    return out
