"""Monte Carlo propagation: assumption draws -> curve parameters -> yearly paths -> statistics.

Three layers of uncertainty, each switchable (``layers``), combined draw by draw:

``fit``
    Parameter uncertainty of the calibrated curve (the parametric bootstrap of
    :mod:`forecast.models.simulate`: multivariate-t draws around the estimates).
``assumptions``
    The scenario's ``[assumptions]``: distributions over the base value, the saturation level,
    anchor values, segment shares and any parameter of the family, with an optional rank
    correlation between them.
``noise``
    Year-to-year deviation of the actual market from its trend (the fit's residual scale; log scale
    for multiplicative errors).

How drawn assumptions become a curve. ``base`` (the value in the last history year),
``saturation`` (K or M) and ``anchor_<year>`` define points the curve must pass through; for the
logistic and Gompertz families the curve through the base point and the anchor with saturation K
has a closed form (both are straight lines after a link transform: ``log(y/(K-y))`` and
``-log(-log(y/K))``), and for the exponential family the growth rate is solved from the two
points. Without an anchor the growth-rate parameter is kept and only the timing is re-solved.
Other families (linear, Bass) take their parameters directly (``p``, ``q``, ``saturation`` as
``M``...) and re-impose the first hard anchor through their level parameter. A draw whose
assumptions contradict each other (an anchor above the saturation level) cannot be drawn as a
curve: it is dropped and counted (``invalid_share``); more than half dropped is an error.

Segments: drawn shares are renormalised in every draw, so segment paths always sum to the total.

Everything is computed block by block (the block is the unit of randomness of
:mod:`forecast.uncertainty.sampling`), so results do not depend on chunking; per-year values are
kept as float32 for exact quantiles (4 bytes x years x series per draw).
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

from ..errors import ScenarioError
from ..models import GrowthFit
from ..models.simulate import draw_params, solve_level
from .dependence import induce_rank_correlation
from .distributions import Distribution
from .sampling import uniform_blocks

Layer = Literal["fit", "assumptions", "noise"]
LAYERS: tuple[Layer, ...] = ("fit", "assumptions", "noise")
Sampler = Literal["mc", "lhs", "sobol"]
DEFAULT_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
MAX_INVALID_SHARE = 0.5
SATURATION_INDEX = {"logistic": 0, "gompertz": 0, "bass": 0, "bass_sales": 0}
CLOSED_FORM_FAMILIES = ("logistic", "gompertz", "exponential")
_ANCHOR = re.compile(r"^anchor_(\d{4})$")


@dataclass(frozen=True)
class Assumptions:
    """Named input distributions and their rank correlation (identity when None)."""

    names: tuple[str, ...]
    distributions: tuple[Distribution, ...]
    correlation: NDArray[np.float64] | None = None

    def uncertain(self) -> list[int]:
        """Indices of inputs that are not fixed."""
        return [i for i, d in enumerate(self.distributions) if not d.is_fixed]


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate: draws, sampler, seed, layers, statistics."""

    draws: int = 10_000
    sampler: Sampler = "lhs"
    seed: int = 0
    layers: tuple[Layer, ...] = LAYERS
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES
    cross: tuple[float, ...] = ()
    metric_year: int | None = None
    block: int = 65_536


@dataclass(frozen=True)
class Segments:
    """Segment names and their base shares per projection year (S x T)."""

    names: tuple[str, ...]
    shares: NDArray[np.float64]


@dataclass(frozen=True)
class SimulationResult:
    """Statistics of the simulated paths (total first, then segments)."""

    years: NDArray[np.int64]
    series: tuple[str, ...]
    quantiles: tuple[float, ...]
    values: NDArray[np.float64]  # (series, quantile, year)
    mean: NDArray[np.float64]  # (series, year)
    anchors: list[dict[str, Any]]
    cagr: dict[str, NDArray[np.float64]]  # span label -> quantiles of the implied CAGR
    crossing: list[dict[str, float | None]]
    draws: int
    valid: int
    inputs: NDArray[np.float32] = field(repr=False)  # (valid draws, uncertain inputs)
    input_names: tuple[str, ...] = ()
    metric: NDArray[np.float32] = field(repr=False, default_factory=lambda: np.zeros(0, "f4"))
    metric_year: int = 0

    @property
    def invalid_share(self) -> float:
        """Share of draws dropped because their assumptions contradicted each other."""
        return 1.0 - self.valid / self.draws if self.draws else 0.0


# ------------------------------------------------------------------------------------------------
# Curve parameters from drawn values
# ------------------------------------------------------------------------------------------------


def _link(fam: str, x: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        if fam == "logistic":
            return np.asarray(logit(x), dtype=float)
        return np.asarray(-np.log(-np.log(x)), dtype=float)


def apply_assumptions(
    fit: GrowthFit,
    theta: NDArray[np.float64],
    drawn: Mapping[str, NDArray[np.float64]],
) -> NDArray[np.bool_]:
    """Turn drawn assumption values into curve parameters, in place; returns the valid rows."""
    fam = fit.family.name
    params = fit.family.params
    n = theta.shape[0]
    valid = np.ones(n, dtype=bool)
    hard = next((a for a in fit.anchors if a.kind == "hard"), None)
    anchor = hard or (fit.anchors[0] if fit.anchors else None)
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
    for name, values in drawn.items():  # direct parameter draws
        if name in params:
            theta[:, params.index(name)] = values
    if "saturation" in drawn:
        theta[:, SATURATION_INDEX[fam]] = drawn["saturation"]
    touched = "base" in drawn or "saturation" in drawn or any(_ANCHOR.match(k) for k in drawn)
    if fam in CLOSED_FORM_FAMILIES and touched:
        if anchor is not None and va is not None:
            ta = float(anchor.year)
            valid &= (y0 > 0) & (va > 0)
            if fam == "exponential":
                with np.errstate(divide="ignore", invalid="ignore"):
                    theta[:, 1] = np.expm1(np.log(va / y0) / (ta - t0))
                theta[:, 0] = y0
            else:
                k = theta[:, 0]
                valid &= (y0 < k) & (va < k)
                z0, za = _link(fam, y0 / k), _link(fam, va / k)
                with np.errstate(divide="ignore", invalid="ignore"):
                    rate = (za - z0) / (ta - t0)
                    theta[:, 1] = rate
                    theta[:, 2] = t0 - z0 / rate
                valid &= np.isfinite(rate) & (rate > 0)
        else:  # no anchor: keep the growth rate, re-solve the timing through the base point
            valid &= y0 > 0
            if fam == "exponential":
                theta[:, 0] = y0
            else:
                k = theta[:, 0]
                valid &= y0 < k
                with np.errstate(divide="ignore", invalid="ignore"):
                    theta[:, 2] = t0 - _link(fam, y0 / k) / theta[:, 1]
    elif (
        anchor is not None
        and fit.free[0]
        and not ("saturation" in drawn and fam in SATURATION_INDEX)
    ):
        va = drawn.get(f"anchor_{anchor.year}")
        if va is None and hard is not None and any(name in params for name in drawn):
            va = np.full(n, hard.value)  # drawn shape parameters: keep the hard anchor
        if va is not None:  # re-impose the (drawn) anchor through the affine level parameter
            solve_level(fit, theta, anchor.year, va)
    valid &= np.all(np.isfinite(theta), axis=1)
    return valid


# ------------------------------------------------------------------------------------------------
# The simulation
# ------------------------------------------------------------------------------------------------


def _block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, block, stream])


def simulate(
    fit: GrowthFit,
    years: NDArray[np.float64],
    assumptions: Assumptions,
    spec: SimulationSpec,
    *,
    segments: Segments | None = None,
    metric_year: int | None = None,
    progress: Callable[[int], None] | None = None,
    chunk: int = 65_536,
) -> SimulationResult:
    """Run the Monte Carlo simulation. See the module docstring for the model.

    ``chunk`` rows are processed at a time (memory), independently of ``spec.block`` (the unit
    of randomness): the same seed gives identical results for any chunk size. ``progress`` is
    called with the number of draws done after every piece.
    """
    layers = set(spec.layers)
    n, t_count = spec.draws, len(years)
    # without the assumptions layer the calibrated fit stands alone (no medians substituted)
    unc = assumptions.uncertain() if "assumptions" in layers else []
    fixed = (
        {
            name: float(d.median)
            for name, d in zip(assumptions.names, assumptions.distributions, strict=True)
            if d.is_fixed
        }
        if "assumptions" in layers
        else {}
    )
    corr = None
    if assumptions.correlation is not None and unc:
        corr = assumptions.correlation[np.ix_(unc, unc)]
        if np.allclose(corr, np.eye(len(unc))):
            corr = None
    seg_names = segments.names if segments is not None else ()
    n_series = 1 + len(seg_names)
    store = np.empty((n_series, t_count, n), dtype=np.float32)
    inputs = np.empty((n, len(unc)), dtype=np.float32)
    metric_idx = int(np.searchsorted(years, metric_year)) if metric_year is not None else -1
    metric = np.empty(n, dtype=np.float32)
    first_year_cross = np.full((len(spec.cross), n), -1, dtype=np.int16)
    filled = 0
    seg_idx = [
        assumptions.names.index(f"share_{s}") if f"share_{s}" in assumptions.names else -1
        for s in seg_names
    ]

    noisy = "noise" in layers and fit.intervals_available
    cache: dict[int, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]] = {}

    def block_randomness(b: int) -> tuple[NDArray[np.float64], ...]:
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
            b = row // spec.block
            off = row - b * spec.block
            theta_b, sigma_b, eps_b = block_randomness(b)
            theta = theta_b[off : off + rows].copy()
            sigma_d = sigma_b[off : off + rows]
            if corr is not None:
                u = induce_rank_correlation(u, corr)
            drawn = {k: np.full(rows, v) for k, v in fixed.items()}
            for j, i in enumerate(unc):
                drawn[assumptions.names[i]] = assumptions.distributions[i].ppf(u[:, j])
            valid = apply_assumptions(fit, theta, drawn)
            paths = np.asarray(fit.family(years, theta, fit.t_ref), dtype=float)
            if noisy:
                eps = sigma_d[:, None] * eps_b[off : off + rows]
                if fit.model.error == "multiplicative":
                    paths = paths * np.exp(np.clip(eps, -700, 700))
                else:
                    paths = paths + eps
            valid &= np.all(np.isfinite(paths), axis=1)
            paths = paths[valid]
            m = paths.shape[0]
            sl = slice(filled, filled + m)
            store[0, :, sl] = paths.T
            if segments is not None:
                shares = np.broadcast_to(segments.shares, (rows, *segments.shares.shape)).copy()
                for s_i, i in enumerate(seg_idx):
                    if i >= 0:
                        shares[:, s_i, :] = drawn[assumptions.names[i]][:, None]
                shares = shares[valid]
                shares /= shares.sum(axis=1, keepdims=True)  # coherent: segments sum to total
                store[1:, :, sl] = np.transpose(shares * paths[:, None, :], (1, 2, 0))
            if unc:
                inputs[sl] = np.column_stack([drawn[assumptions.names[i]] for i in unc])[valid]
            if metric_idx >= 0:
                metric[sl] = paths[:, metric_idx]
            for c, threshold in enumerate(spec.cross):
                above = paths >= threshold
                first_year_cross[c, sl] = np.where(above.any(axis=1), above.argmax(axis=1), -1)
            filled += m
            if progress is not None:
                progress(rows)

    if filled < (1 - MAX_INVALID_SHARE) * n:
        raise ScenarioError(
            f"assumptions: draws must mostly describe a possible curve (e.g. anchors below the "
            f"saturation level); got {n - filled} of {n} contradictory"
        )
    qs = np.asarray(spec.quantiles, dtype=float)
    values = np.empty((n_series, len(qs), t_count))
    for s_i in range(n_series):  # one row at a time: no full-size temporary copies
        for t_i in range(t_count):
            values[s_i, :, t_i] = np.quantile(store[s_i, t_i, :filled], qs)
    store = store[:, :, :filled]
    # from the stored values, so the mean does not depend on the order chunks were summed in
    mean = np.array(
        [
            [store[s_i, t_i].mean(dtype=np.float64) for t_i in range(t_count)]
            for s_i in range(n_series)
        ]
    )
    return SimulationResult(
        years=years.astype(np.int64),
        series=("total", *seg_names),
        quantiles=tuple(float(q) for q in qs),
        values=np.asarray(values, dtype=float),
        mean=mean,
        anchors=_anchor_stats(fit, years, store[0], assumptions),
        cagr=_cagr_stats(fit, years, store[0], qs),
        crossing=_crossing_stats(spec.cross, first_year_cross[:, :filled], years),
        draws=n,
        valid=filled,
        inputs=inputs[:filled],
        input_names=tuple(assumptions.names[i] for i in unc),
        metric=metric[:filled] if metric_idx >= 0 else np.zeros(0, np.float32),
        metric_year=int(metric_year) if metric_year is not None else 0,
    )


def _pieces(start: int, stop: int, block: int) -> list[tuple[int, NDArray[np.float64]]]:
    """Rows [start, stop) cut at block boundaries, with no uniforms (nothing uncertain)."""
    out = []
    row = start
    while row < stop:
        end = min((row // block + 1) * block, stop)
        out.append((row, np.zeros((end - row, 0))))
        row = end
    return out


def _anchor_stats(
    fit: GrowthFit, years: NDArray[np.float64], total: NDArray[np.float32], a: Assumptions
) -> list[dict[str, Any]]:
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
                "mc_se": math.sqrt(max(p * (1 - p), 0.0) / n),
                "label": anchor.label,
            }
        )
    return out


def _cagr_stats(
    fit: GrowthFit, years: NDArray[np.float64], total: NDArray[np.float32], qs: NDArray[np.float64]
) -> dict[str, NDArray[np.float64]]:
    out: dict[str, NDArray[np.float64]] = {}
    if len(fit.years) == 0:
        return out
    base_year, base = float(fit.years[-1]), float(fit.values[-1])
    targets = sorted(
        {a.year for a in fit.anchors if years[0] < a.year <= years[-1]} | {int(years[-1])}
    )
    for y in targets:
        i = int(np.searchsorted(years, y))
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.power(total[i].astype(float) / base, 1.0 / (y - base_year)) - 1.0
        rate = rate[np.isfinite(rate)]
        if rate.size:
            out[f"{int(base_year)}-{y}"] = np.quantile(rate, qs)
    return out


def _crossing_stats(
    cross: Sequence[float], first: NDArray[np.int16], years: NDArray[np.float64]
) -> list[dict[str, float | None]]:
    out: list[dict[str, float | None]] = []
    for c, threshold in enumerate(cross):
        idx = first[c]
        hit = idx >= 0
        p = float(hit.mean()) if idx.size else 0.0
        yrs = years[idx[hit]] if hit.any() else np.array([])
        out.append(
            {
                "threshold_usd_bn": threshold,
                "probability_by_horizon": p,
                "median_year": float(np.median(yrs)) if yrs.size else None,
                "p10_year": float(np.quantile(yrs, 0.1)) if yrs.size else None,
                "p90_year": float(np.quantile(yrs, 0.9)) if yrs.size else None,
            }
        )
    return out


def deterministic_metric(
    fit: GrowthFit, year: int, assumptions: Assumptions, values: Mapping[str, float]
) -> float:
    """The curve's value in ``year`` with every input at the given value (medians elsewhere), no
    fit or noise uncertainty: the building block of tornado and spider charts."""
    drawn = {
        name: np.array([values.get(name, float(d.median))])
        for name, d in zip(assumptions.names, assumptions.distributions, strict=True)
    }
    theta = fit.theta[None, :].copy()
    valid = apply_assumptions(fit, theta, drawn)
    if not valid[0]:
        return float("nan")
    return float(fit.family(np.array([float(year)]), theta, fit.t_ref)[0, 0])
