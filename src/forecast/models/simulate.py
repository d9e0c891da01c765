"""Prediction intervals for fitted growth curves by parametric bootstrap.

Two layers of uncertainty are combined draw by draw:

* **parameter (fit) uncertainty**: free parameters drawn from the normal approximation of their
  sampling distribution (estimate, Gauss-Newton covariance), clipped to the fit's bounds;
* **residual noise**: Student-t noise with the fit's degrees of freedom, scaled by the residual
  standard deviation, on the log scale for multiplicative errors (so paths stay positive).

With hard anchors the covariance is (numerically) singular in the anchor's direction, so every
drawn curve still passes through the anchor; the noise layer says how far an actual year may fall
from the trend. Every draw comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import FitError
from .curves import FloatArray

if TYPE_CHECKING:
    import pandas as pd

    from .fit import GrowthFit


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def draw_params(fit: GrowthFit, draws: int, seed: int | np.random.Generator) -> FloatArray:
    """Parameter vectors (``draws`` x P), fixed parameters held, free ones clipped to bounds."""
    if draws < 1:
        raise FitError(f"draws: must be a positive whole number; got {draws!r}")
    fit.require_identified()
    rng = _rng(seed)
    free = np.array(fit.free)
    out = np.tile(fit.theta, (draws, 1))
    if not fit.intervals_available or not free.any():
        return out
    cov = 0.5 * (fit.cov + fit.cov.T)
    # eigen-decomposition tolerates the near-singular directions that hard anchors create
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    z = rng.standard_normal((draws, int(free.sum())))
    sample = fit.theta[free] + z @ root.T
    out[:, free] = sample
    hard = next((a for a in fit.anchors if a.kind == "hard"), None)
    if hard is not None and free[0]:
        # Back onto the constraint: the fit met the first hard anchor by solving the level
        # parameter (the curve is affine in it, f = A + B theta0); do the same for every draw
        # so that nonlinearity does not move drawn curves off the anchor.
        t_a = np.array([float(hard.year)])
        zero, one = out.copy(), out.copy()
        zero[:, 0], one[:, 0] = 0.0, 1.0
        a0 = fit.family(t_a, zero, fit.t_ref)[:, 0]
        b0 = fit.family(t_a, one, fit.t_ref)[:, 0] - a0
        with np.errstate(divide="ignore", invalid="ignore"):
            level = (hard.value - a0) / b0
        out[:, 0] = np.where(np.isfinite(level), level, out[:, 0])
    out[:, free] = np.clip(out[:, free], fit.lower[free], fit.upper[free])
    return out


def simulate_paths(
    fit: GrowthFit,
    years: FloatArray,
    draws: int,
    seed: int | np.random.Generator,
    *,
    noise: bool = True,
) -> FloatArray:
    """Simulated values at ``years`` (``draws`` x T). See the module docstring."""
    rng = _rng(seed)
    theta = draw_params(fit, draws, rng)
    paths = np.asarray(fit.family(years, theta, fit.t_ref), dtype=float)
    if noise and fit.intervals_available:
        eps = fit.sigma * rng.standard_t(fit.dof, size=paths.shape)
        if fit.model.error == "multiplicative":
            paths = paths * np.exp(np.clip(eps, -700, 700))
        else:
            paths = paths + eps
    return paths


def quantile_columns(levels: Sequence[float]) -> list[tuple[str, float]]:
    """``[("lo-80", 0.10), ("hi-80", 0.90), ...]`` for levels in (0, 100), sorted."""
    cols: list[tuple[str, float]] = []
    for level in sorted({float(v) for v in levels}):
        if not 0 < level < 100:
            raise FitError(f"levels: every level must be between 0 and 100; got {level!r}")
        alpha = (100 - level) / 200
        cols += [(f"lo-{level:g}", alpha), (f"hi-{level:g}", 1 - alpha)]
    return cols


def paths_frame(
    years: FloatArray,
    point: FloatArray,
    paths: FloatArray | None,
    levels: Sequence[float],
) -> pd.DataFrame:
    """One row per year: ``year``, ``point``, then ``mean``, ``median`` and the interval
    columns computed from ``paths`` (draws x years); NaN intervals when ``paths`` is None."""
    import pandas as pd

    cols = quantile_columns(levels)
    frame = pd.DataFrame({"year": np.asarray(years).astype(int), "point": point})
    if paths is None:
        frame["mean"] = frame["point"]
        frame["median"] = frame["point"]
        for name, _ in cols:
            frame[name] = np.nan
        return frame
    frame["mean"] = paths.mean(axis=0)
    frame["median"] = np.median(paths, axis=0)
    qs = np.quantile(paths, [q for _, q in cols], axis=0)
    for (name, _), row in zip(cols, qs, strict=True):
        frame[name] = row
    return frame


def forecast_frame(
    fit: GrowthFit,
    years: FloatArray,
    levels: Sequence[float],
    draws: int,
    seed: int | np.random.Generator,
) -> pd.DataFrame:
    """Point path, predictive mean/median and intervals in one DataFrame (one row per year)."""
    paths = simulate_paths(fit, years, draws, seed) if fit.intervals_available else None
    return paths_frame(years, fit.predict(years), paths, levels)
