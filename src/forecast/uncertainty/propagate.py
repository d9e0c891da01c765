"""Monte Carlo propagation: assumption draws -> curve parameters -> yearly paths -> statistics.

Three layers of uncertainty, each switchable (``layers``), combined draw by draw:

``fit``
    Parameter uncertainty of the calibrated curve (the parametric bootstrap of
    :mod:`forecast.models.simulate`: multivariate-t draws around the estimates). Where drawn
    assumptions fix every parameter (a logistic with base, saturation and anchor drawn) this layer
    changes nothing but the noise scale.
``assumptions``
    The scenario's ``[assumptions]``: distributions over the base value, the saturation level,
    the curve anchor's value, segment shares and free parameters of the family, with an optional
    rank correlation between them.
``noise``
    Year-to-year deviation of the actual market from its trend (the fit's residual scale; log
    scale for multiplicative errors).

How drawn assumptions become a curve. ``base`` (the trend value in the last history year),
``saturation`` (K or M) and ``anchor_<year>`` (the value of the *curve anchor*: the first hard
anchor, else the first anchor) are points the curve passes through. For the logistic and
Gompertz families the curve through the base point and the anchor with saturation K has a closed
form (both are straight lines after a link transform: ``log(y/(K-y))`` and ``-log(-log(y/K))``);
for the exponential family the growth rate is solved from the two points; without an anchor the
growth rate is kept and the timing (or level) re-solved through the base. Other families (linear,
Bass) take drawn shape parameters directly and put the level back on the curve anchor. Names whose
draw would be discarded are refused when the scenario is read (:mod:`forecast.uncertainty.spec`).
A draw whose inputs contradict each other (an anchor above the saturation level) describes no
curve: it is dropped and counted (``invalid_share``); more than half dropped is an error, and so
is any drawn curve that is not positive.

Segments: drawn shares are used as drawn; the undrawn segments share the rest in proportion to
their scenario shares, so segment paths always sum to the total (draws whose drawn shares exceed
1 are dropped as contradictory). A drawn share is constant over the years.

Everything is computed in pieces of at most one block (the block is the unit of randomness of
:mod:`forecast.uncertainty.sampling`), so results do not depend on the chunk size; per-year values
are kept as float32 for exact quantiles (4 bytes x years x series per draw).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.special import logit

from ..errors import ForecastError, ScenarioError
from ..models import GrowthFit
from ..models.simulate import draw_params, solve_level
from ..types import Anchor
from .dependence import induce_rank_correlation
from .distributions import Distribution
from .sampling import Method, uniform_blocks

Layer = Literal["fit", "assumptions", "noise"]
LAYERS: tuple[Layer, ...] = ("fit", "assumptions", "noise")
DEFAULT_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
MAX_INVALID_SHARE = 0.5
MAX_STORE_BYTES = 12 * 2**30  # per-year values kept for exact quantiles: the ceiling
MEMORY_FRACTION = 0.5  # of the memory available at run time (the rest: chunks, quantiles)
CLOSED_FORM_FAMILIES = ("logistic", "gompertz", "exponential")
ANCHOR_NAME = re.compile(r"^anchor_([0-9]{4})\Z")  # ASCII digits; \Z: no final newline
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


@dataclass(frozen=True)
class Segments:
    """Segment names and their scenario shares per projection year (S x T)."""

    names: tuple[str, ...]
    shares: FloatArray


@dataclass(frozen=True)
class SimulationResult:
    """Statistics of the simulated paths (total first, then segments)."""

    years: NDArray[np.int64]
    series: tuple[str, ...]
    quantiles: tuple[float, ...]
    values: FloatArray  # (series, quantile, year)
    mean: FloatArray  # (series, year)
    anchors: list[dict[str, Any]]
    cagr: dict[str, FloatArray]  # "t0-year" -> quantiles of the trend's implied CAGR
    crossing: list[dict[str, Any]]
    draws: int
    valid: int
    inputs: NDArray[np.float32] = field(repr=False)  # (valid draws, uncertain inputs)
    input_names: tuple[str, ...] = ()
    metric: NDArray[np.float32] = field(repr=False, default_factory=lambda: np.zeros(0, "f4"))
    metric_year: int = 0
    # draws of the total in each anchor year within the projection (what the anchor
    # probabilities are computed from), for charts of their distribution
    anchor_draws: dict[int, NDArray[np.float32]] = field(repr=False, default_factory=dict)

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
    va = None
    if anchor is not None:
        va = drawn.get(f"anchor_{anchor.year}")
        if va is None:
            va = fit.family(np.array([float(anchor.year)]), theta, fit.t_ref)[:, 0]
    for name, values in drawn.items():  # free parameters drawn directly
        if name in fam.params:
            theta[:, fam.params.index(name)] = values
    if "saturation" in drawn and fam.saturation_param is not None:
        theta[:, fam.params.index(fam.saturation_param)] = drawn["saturation"]
    touched = "base" in drawn or "saturation" in drawn or any(ANCHOR_NAME.match(k) for k in drawn)
    if fam.name in CLOSED_FORM_FAMILIES and touched:
        valid &= y0 > 0
        if anchor is not None and va is not None:
            ta = float(anchor.year)
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


def _block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, block, stream])


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


def simulate(
    fit: GrowthFit,
    years: FloatArray,
    assumptions: Assumptions,
    spec: SimulationSpec,
    *,
    segments: Segments | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 65_536,
) -> SimulationResult:
    """Run the Monte Carlo simulation. See the module docstring for the model.

    ``chunk`` rows are processed at a time (memory), independently of ``spec.block`` (the unit
    of randomness): for a given block size, the same seed gives identical results for any chunk
    size. ``progress`` is called with the number of draws added by each piece.
    """
    layers = set(spec.layers)
    if not layers:
        raise ForecastError("layers: needs at least one of fit, assumptions, noise; got none")
    n, t_count = spec.draws, len(years)
    seg_names = segments.names if segments is not None else ()
    n_series = 1 + len(seg_names)
    need = 4 * n_series * t_count * n
    limit, why = store_limit()
    if need > limit:
        most = limit // (4 * n_series * t_count)
        raise ForecastError(
            f"draws: {n:,} draws of {n_series} series x {t_count} years need "
            f"{need / 2**30:.1f} GiB for exact quantiles (limit {limit / 2**30:.1f} GiB, {why}); "
            f"got {n:,}, use at most {most:,}"
        )
    use_assumptions = "assumptions" in layers
    # without the assumptions layer the calibrated fit stands alone (no medians substituted)
    unc = assumptions.uncertain() if use_assumptions else []
    fixed = {
        name: float(d.median)
        for name, d in zip(assumptions.names, assumptions.distributions, strict=True)
        if d.is_fixed and use_assumptions
    }
    corr = None
    if assumptions.correlation is not None and unc:
        corr = assumptions.correlation[np.ix_(unc, unc)]
        if np.allclose(corr, np.eye(len(unc))):
            corr = None
    store = np.empty((n_series, t_count, n), dtype=np.float32)
    inputs = np.empty((n, len(unc)), dtype=np.float32)
    metric_idx = (
        int(np.searchsorted(years, spec.metric_year)) if spec.metric_year is not None else -1
    )
    metric = np.empty(n, dtype=np.float32)
    cagr_years = sorted(
        {a.year for a in fit.anchors if years[0] < a.year <= years[-1]} | {int(years[-1])}
    )
    cagr_idx = [int(np.searchsorted(years, y)) for y in cagr_years]
    cagr_store = np.empty((len(cagr_years), n), dtype=np.float32)
    first_cross = np.empty((len(spec.cross), n), dtype=np.int16)
    noisy = "noise" in layers and fit.intervals_available
    cache: dict[int, tuple[FloatArray, FloatArray, FloatArray]] = {}

    def block_randomness(b: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Fit-layer parameters, noise scales and noise of block ``b`` (one block cached)."""
        if b not in cache:
            cache.clear()
            rows_b = min(spec.block, n - b * spec.block)
            if "fit" in layers:
                theta_b, sigma_b = draw_params(fit, rows_b, _block_rng(spec.seed, b, 1))
            else:
                theta_b = np.tile(fit.theta, (rows_b, 1))
                sigma_b = np.full(rows_b, fit.sigma if fit.intervals_available else 0.0)
            eps_b = (
                _block_rng(spec.seed, b, 2).standard_normal((rows_b, t_count))
                if noisy
                else np.zeros((0, t_count))
            )
            cache[b] = (theta_b, sigma_b, eps_b)
        return cache[b]

    filled = 0
    bad_values = 0
    for c_start in range(0, n, chunk):
        c_stop = min(c_start + chunk, n)
        pieces = (
            uniform_blocks(
                n,
                len(unc),
                method=spec.sampler,
                seed=spec.seed,
                block=spec.block,
                start=c_start,
                stop=c_stop,
            )
            if unc
            else _pieces(c_start, c_stop, spec.block)
        )
        for row, u in pieces:
            rows = u.shape[0]
            b, off = divmod(row, spec.block)
            theta_b, sigma_b, eps_b = block_randomness(b)
            theta = theta_b[off : off + rows].copy()
            if corr is not None:
                u = induce_rank_correlation(u, corr)
            drawn = {k: np.full(rows, v) for k, v in fixed.items()}
            for j, i in enumerate(unc):
                drawn[assumptions.names[i]] = assumptions.distributions[i].ppf(u[:, j])
            valid = apply_assumptions(fit, theta, drawn)
            trend = np.asarray(fit.family(years, theta, fit.t_ref), dtype=float)
            trend0 = fit.family(np.array([fit.t_ref]), theta, fit.t_ref)[:, 0]
            paths = trend
            if noisy:
                eps = sigma_b[off : off + rows, None] * eps_b[off : off + rows]
                if fit.model.error == "multiplicative":
                    paths = trend * np.exp(np.clip(eps, -700, 700))
                else:
                    paths = trend + eps
            valid &= np.all(np.isfinite(paths), axis=1)
            bad_values += int(np.sum(valid & np.any(paths <= 0, axis=1)))
            shares = None
            if segments is not None:
                shares, ok = _segment_shares(segments, drawn if use_assumptions else {}, rows)
                valid &= ok
            m = int(valid.sum())
            sl = slice(filled, filled + m)
            kept = paths[valid]
            store[0, :, sl] = kept.T
            if shares is not None:
                store[1:, :, sl] = np.transpose(shares[valid] * kept[:, None, :], (1, 2, 0))
            if unc:
                inputs[sl] = np.column_stack([drawn[assumptions.names[i]] for i in unc])[valid]
            if metric_idx >= 0:
                metric[sl] = kept[:, metric_idx]
            with np.errstate(divide="ignore", invalid="ignore"):
                for c_i, (y, t_i) in enumerate(zip(cagr_years, cagr_idx, strict=True)):
                    ratio = trend[valid, t_i] / trend0[valid]
                    cagr_store[c_i, sl] = np.power(ratio, 1.0 / (y - fit.t_ref)) - 1.0
            for c, threshold in enumerate(spec.cross):
                above = kept >= threshold
                first_cross[c, sl] = np.where(above.any(axis=1), above.argmax(axis=1), t_count)
            filled += m
            if progress is not None:
                progress(rows)

    if bad_values:
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
    qs = np.asarray(spec.quantiles, dtype=float)
    values = np.empty((n_series, len(qs), t_count))
    mean = np.empty((n_series, t_count))
    for s_i in range(n_series):  # one row at a time: no full-size temporary copies
        for t_i in range(t_count):
            row_values = store[s_i, t_i, :filled]
            values[s_i, :, t_i] = np.quantile(row_values, qs)
            mean[s_i, t_i] = row_values.mean(dtype=np.float64)
    cagr = {}
    for c_i, y in enumerate(cagr_years):
        rates = cagr_store[c_i, :filled]
        rates = rates[np.isfinite(rates)]
        if rates.size:
            cagr[f"{int(fit.t_ref)}-{y}"] = np.quantile(rates, qs)
    return SimulationResult(
        years=years.astype(np.int64),
        series=("total", *seg_names),
        quantiles=tuple(float(q) for q in qs),
        values=values,
        mean=mean,
        anchors=_anchor_stats(fit, years, store[0, :, :filled]),
        cagr=cagr,
        crossing=_crossing_stats(spec.cross, first_cross[:, :filled], years),
        draws=n,
        valid=filled,
        inputs=inputs[:filled],
        input_names=tuple(assumptions.names[i] for i in unc),
        metric=metric[:filled] if metric_idx >= 0 else np.zeros(0, np.float32),
        metric_year=int(spec.metric_year) if spec.metric_year is not None else 0,
        anchor_draws={
            a.year: store[0, int(np.searchsorted(years, a.year)), :filled].copy()
            for a in fit.anchors
            if years[0] <= a.year <= years[-1]
        },
    )


def binomial_se(p: float, n: int) -> float | None:
    """Monte Carlo standard error of a probability estimated from ``n`` independent draws;
    None where the normal approximation says nothing (fewer than 30 draws, or p of 0 or 1)."""
    if n < 30 or p <= 0 or p >= 1:
        return None
    return math.sqrt(p * (1 - p) / n)


def _anchor_stats(
    fit: GrowthFit, years: FloatArray, total: NDArray[np.float32]
) -> list[dict[str, Any]]:
    """P(value in the anchor's year >= the anchor's value) for every anchor in range."""
    out: list[dict[str, Any]] = []
    n = total.shape[1]
    for anchor in fit.anchors:
        if not years[0] <= anchor.year <= years[-1]:
            continue
        i = int(np.searchsorted(years, anchor.year))
        p = float(np.mean(total[i] >= anchor.value))
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
