"""Prediction intervals for fitted growth curves by parametric bootstrap.

Each draw combines the two layers of uncertainty of the fit:

* a **noise scale** ``sigma_d^2 = sigma^2 * dof / chi2(dof)``, the sampling distribution of the
  residual variance; using one per draw for both layers below makes the draws multivariate-t,
  which gives exact prediction intervals in the linear case (plain plug-in draws are too narrow
  when few degrees of freedom are left);
* **parameter (fit) uncertainty**: free parameters from the normal approximation of their
  sampling distribution (Gauss-Newton covariance, scaled by ``sigma_d / sigma``); positive
  parameters (levels, saturation, rates) are drawn on the log scale so a wide standard error does
  not produce negative or piled-up values; draws outside the bounds are redrawn, not clipped;
  a parameter on or within one standard error of a bound is held at its estimate instead
  (:func:`held_params`; the run's warnings name it);
* **residual noise**: normal with standard deviation ``sigma_d``, on the log scale for
  multiplicative errors (so paths stay positive).

The first hard anchor is re-imposed on every draw (the level parameter is solved again, as in the
fit), so every drawn curve passes through it; the noise says how far an actual year may fall
from that trend. Every draw comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..errors import FitError
from ..types import interval_columns
from .curves import FloatArray

if TYPE_CHECKING:
    import pandas as pd

    from .fit import GrowthFit

_REDRAW_ROUNDS = 50


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _log_scale(fit: GrowthFit) -> np.ndarray:
    """Free parameters drawn on the log scale: positive estimate and non-negative lower bound."""
    free = np.array(fit.free)
    return np.asarray((fit.theta[free] > 0) & (fit.lower[free] >= 0), dtype=bool)


def solve_level(fit: GrowthFit, theta: FloatArray, year: float, value: float | FloatArray) -> None:
    """Set the level parameter (the first) of every row so the curve passes through
    ``(year, value)``, in place: every family is affine in it, ``f = A + B * theta0``. Rows where
    that is impossible get ``inf`` (callers drop or redraw them)."""
    t_a = np.array([float(year)])
    zero, one = theta.copy(), theta.copy()
    zero[:, 0], one[:, 0] = 0.0, 1.0
    a0 = fit.family(t_a, zero, fit.t_ref)[:, 0]
    b0 = fit.family(t_a, one, fit.t_ref)[:, 0] - a0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        level = (value - a0) / b0
    theta[:, 0] = np.where(np.isfinite(level), level, np.inf)


def _reimpose_anchor(fit: GrowthFit, theta: FloatArray) -> None:
    """Put every row back on the first hard anchor, as the fit did (in place)."""
    hard = next((a for a in fit.anchors if a.kind == "hard"), None)
    if hard is not None and fit.free[0]:
        solve_level(fit, theta, hard.year, hard.value)


def held_params(fit: GrowthFit) -> list[str]:
    """Free parameters the bootstrap holds at their estimate: those on a bound, or within one
    standard error of one (on the scale they are drawn on); never the level parameter when a
    hard anchor re-solves it in every draw. The others are drawn from their covariance given
    the held ones."""
    if not fit.intervals_available:
        return []
    fitted = np.array(fit.free)
    logs = _log_scale(fit)
    theta, lo, hi = fit.theta[fitted], fit.lower[fitted], fit.upper[fitted]
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.clip(np.diag(fit.cov), 0.0, None))
        se = np.where(logs, se / np.abs(theta), se)
        down = np.where(logs, np.log(theta / lo), theta - lo)
        up = np.where(logs, np.log(hi / theta), hi - theta)
    names = [n for n, f in zip(fit.family.params, fit.free, strict=True) if f]
    near = ~((down > se) & (up > se))  # NaN (an undefined SE) counts as near
    out = set(n for n, m in zip(names, near, strict=True) if m) | set(fit.at_bounds)
    if any(a.kind == "hard" for a in fit.anchors):
        out.discard(fit.family.params[0])  # the level is solved from the anchor in every draw
    return sorted(out, key=list(fit.family.params).index)


def draw_params(
    fit: GrowthFit, draws: int, seed: int | np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Parameter vectors (``draws`` x P) and the noise scale of each draw (``draws``,).

    Fixed parameters are held; free ones follow the module docstring. Draws that leave the
    bounds are redrawn (up to 50 rounds, then clipped).
    """
    if draws < 1:
        raise FitError(f"draws: must be a positive whole number; got {draws!r}")
    fit.require_identified()
    rng = _rng(seed)
    fitted = np.array(fit.free)
    theta = np.tile(fit.theta, (draws, 1))
    if not fit.intervals_available:
        return theta, np.zeros(draws)
    # A parameter on or within one standard error of a bound is held at its estimate: the
    # normal approximation fails at a boundary, and drawing it then redrawing what leaves the
    # bounds would move the draws to one side of the point forecast (see held_params).
    held = np.array([name in set(held_params(fit)) for name in fit.family.params])
    free = fitted & ~held
    keep = free[fitted]
    k = int(free.sum())
    logs = _log_scale(fit)[keep]
    centre = fit.theta[free]
    scale = np.where(logs, centre, 1.0)  # delta method: cov of log(theta) = cov / (theta theta')
    c = fit.cov
    cov = c[np.ix_(keep, keep)]
    if (~keep).any():  # the others' covariance given the held ones at their estimates
        cross = c[np.ix_(keep, ~keep)]
        cov = cov - cross @ np.linalg.pinv(c[np.ix_(~keep, ~keep)]) @ cross.T
    cov = cov / np.outer(scale, scale)
    vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
    # eigen-decomposition tolerates the near-singular directions that hard anchors create
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    lo, hi = fit.lower[free], fit.upper[free]

    def sample(n: int) -> tuple[FloatArray, FloatArray]:
        ratio = np.sqrt(fit.dof / rng.chisquare(fit.dof, size=n))  # sigma_d / sigma
        z = (rng.standard_normal((n, k)) @ root.T) * ratio[:, None]
        rows = np.tile(fit.theta, (n, 1))
        with np.errstate(over="ignore"):
            rows[:, free] = np.where(logs, centre * np.exp(z), centre + z)
        _reimpose_anchor(fit, rows)
        return rows, fit.sigma * ratio

    theta, sigma_d = sample(draws)
    for _ in range(_REDRAW_ROUNDS):
        bad = np.any((theta[:, free] < lo) | (theta[:, free] > hi), axis=1)
        if not bad.any():
            break
        theta[bad], sigma_d[bad] = sample(int(bad.sum()))
    theta[:, free] = np.clip(theta[:, free], lo, hi)
    return theta, sigma_d


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
    theta, sigma_d = draw_params(fit, draws, rng)
    paths = np.asarray(fit.family(years, theta, fit.t_ref), dtype=float)
    if noise and fit.intervals_available:
        eps = sigma_d[:, None] * rng.standard_normal(paths.shape)
        if fit.model.error == "multiplicative":
            paths = paths * np.exp(np.clip(eps, -700, 700))
        else:
            paths = paths + eps
    return paths


def paths_frame(
    years: FloatArray,
    point: FloatArray,
    paths: FloatArray | None,
    levels: Sequence[float],
) -> pd.DataFrame:
    """One row per year: ``year``, ``mean`` (the point forecast), ``median`` of the draws and
    the interval columns; ``median`` and intervals are NaN when ``paths`` is None.

    ``mean`` follows statsforecast's naming: it is the point forecast (the fitted, calibrated
    curve). With multiplicative errors that curve is the median of the predictive distribution;
    its arithmetic mean is not reported because it is unbounded (a log-t tail).
    """
    import pandas as pd

    cols = interval_columns(levels)
    frame = pd.DataFrame({"year": np.asarray(years).astype(int), "mean": point})
    if paths is None:
        frame["median"] = np.nan
        for name, _ in cols:
            frame[name] = np.nan
        return frame
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
    """Point path, predictive median and intervals in one DataFrame (one row per year)."""
    paths = simulate_paths(fit, years, draws, seed) if fit.intervals_available else None
    return paths_frame(years, fit.predict(years), paths, levels)
