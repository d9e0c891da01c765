"""Paths of a fitted growth curve: parameter draws, the start from the last actual value, and the
noise of the future path.

A drawn path is ``trend_d(t) * exp(gap_d(t) + eta_d(t))`` (multiplicative errors; for additive
errors the three terms add), where

``trend_d``
    the curve with parameters ``theta_d``: the estimates, or (fit layer) a draw from their
    sampling distribution;
``gap_d``
    where the path starts: the deviation of the last actual value from the drawn trend in the
    last history year, ``u_d = log(y_T / trend_d(T))``, carried forward with the deviations'
    persistence ``rho`` (:data:`PERSISTENCE` = 1: the path follows the drawn curve's growth from
    the actual value, ``y_T * trend_d(t) / trend_d(T)``); when an anchor follows the history the
    gap is bridged to zero in the anchor's year (the AR(1) bridge ``u_d * (rho**h -
    rho**(2H - h)) / (1 - rho**(2H))``, linear for ``rho = 1``) and is zero after it, so every
    path starts at the actual value and meets the anchor's trend value;
``eta_d``
    the noise of the future path (noise layer): an AR(1) with the same ``rho`` (a random walk)
    started at zero in the last history year, ``eta(h) = rho * eta(h - 1) + s_d * e_h`` with
    ``e_h`` standard normal, so intervals widen from the actual value. Its yearly scale is
    ``s_d = NOISE_COEF * max(v, NOISE_FLOOR)**NOISE_POWER * sqrt(NOISE_DOF / chi2(NOISE_DOF))``
    with ``v`` the standard deviation of the history's yearly log growth rates
    (:func:`noise_scale`); additive-error fits and histories of fewer than three points use the
    fit's residual scale instead.

``start = "fitted"`` (a :class:`PathModel` setting) drops the gap and makes the noise
independent from year to year with the fit's residual scale: paths spread around the fitted
curve, the toolkit's behaviour before paths started from the actual value.

The constants (persistence, the noise rule, the prior below, the near-last rule) were chosen on M1
and Tourism yearly series cut to six points and checked once on M3 (benchmarks/short_history.py).

Parameter draws (fit layer)
---------------------------
* a residual scale per draw ``sigma_d^2 = sigma^2 * dof / chi2(dof)`` (the sampling
  distribution of the residual variance) scales the parameter draws, which makes them
  multivariate-t, exact in the linear case;
* every free parameter from the normal approximation of its sampling distribution (Gauss-Newton
  covariance), positive ones on the log scale; nothing is held at its estimate. Draws outside
  the bounds are redrawn, so a parameter on or near a bound is drawn from its distribution cut at
  the bound (one-sided intervals are then the honest answer; the run's warnings say so);
* a parameter the data do not identify (:attr:`~forecast.models.fit.GrowthFit.unidentified`)
  gets a stated prior: normal, centred at its estimate, :data:`PRIOR_SD_LOG` on the log scale
  (:data:`PRIOR_SD_YEARS` for a year), combined with the fit's covariance (precisions add);
* a draw is kept only when its curve passes within :data:`NEAR_LAST` residual standard
  deviations of the last actual value (and, for multiplicative errors, is positive there):
  the draws are conditioned on the last observation the paths start from;
* a fit whose covariance is not finite, or whose first round keeps fewer than
  :data:`MIN_KEPT` of its draws, gives no intervals (:class:`~forecast.errors.FitError` says
  why).

The first hard anchor is re-imposed on every draw (the level parameter is solved again, as in the
fit), so every drawn trend passes through it.

Randomness comes in blocks: block ``b`` of a simulation seeded ``seed`` draws its parameters from
``default_rng([seed, b, 1])`` and its noise from ``default_rng([seed, b, 2])``, so results do not
depend on how blocks are spread over chunks or processes (:func:`block_draws`).

Longer than 500 lines because the path model (the start gap, its bridge to the first anchor, the
random-walk noise, the parameter draws with their truncation and priors) is one model whose
pieces are calibrated together; see the study its constants come from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import FitError, message
from ..types import Start, interval_columns
from .curves import FloatArray

if TYPE_CHECKING:
    import pandas as pd

    from .fit import GrowthFit

STARTS: tuple[Start, ...] = ("actual", "fitted")
#: Persistence (AR(1) coefficient) of a market's deviations from its trend, per year: 1, a
#: random walk (chosen on M1 and Tourism yearly cut to six points; benchmarks/short_history.py).
PERSISTENCE = 1.0
#: The noise of the future path (``start = "actual"``, multiplicative errors): the yearly
#: innovation has standard deviation ``NOISE_COEF * max(v, NOISE_FLOOR) ** NOISE_POWER`` times a
#: per-draw factor ``sqrt(NOISE_DOF / chi2(NOISE_DOF))``, where ``v`` is the standard deviation
#: of the history's yearly log growth rates (chosen on M1 and Tourism yearly).
NOISE_COEF = 0.425
NOISE_POWER = 0.6
NOISE_FLOOR = 0.01
NOISE_DOF = 4
#: Unidentified parameters: prior standard deviation on the log scale, and for years.
PRIOR_SD_LOG = 1.0
PRIOR_SD_YEARS = 10.0
#: Parameter draws must put the curve within this many residual sd of the last actual value.
NEAR_LAST = 3.0
#: At least this share of a first round of parameter draws must pass, else no intervals.
MIN_KEPT = 0.10
BLOCK = 65_536  # rows per block of randomness
_REDRAW_ROUNDS = 200


@dataclass(frozen=True)
class PathModel:
    """How actual values move around a trend (see the module docstring).

    Parameters
    ----------
    start : {"actual", "fitted"}
        ``"actual"``: paths start from the last actual value and deviations persist;
        ``"fitted"``: paths spread around the fitted curve with independent yearly noise.
    persistence : float
        The deviations' AR(1) coefficient ``rho`` in [0, 1] (``start = "actual"`` only).
    """

    start: Start = "actual"
    persistence: float = PERSISTENCE

    def __post_init__(self) -> None:
        if self.start not in STARTS:
            raise FitError(message("start", f"must be one of {', '.join(STARTS)}", self.start))
        if not 0.0 <= self.persistence <= 1.0:
            raise FitError(message("persistence", "must lie in [0, 1]", self.persistence))

    @property
    def rho(self) -> float:
        """The AR(1) coefficient in use (0 for ``start = "fitted"``)."""
        return self.persistence if self.start == "actual" else 0.0


DEFAULT_PATHS = PathModel()


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    """The generator of one stream (1: parameters, 2: noise, 3+: callers') of one block."""
    return np.random.default_rng([seed, block, stream])


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


def solved_level(fit: GrowthFit) -> str | None:
    """The parameter a hard anchor re-solves in every draw (never drawn itself), or None."""
    if fit.free[0] and any(a.kind == "hard" for a in fit.anchors):
        return fit.family.params[0]
    return None


def prior_params(fit: GrowthFit) -> list[str]:
    """Free parameters the data do not identify (:attr:`GrowthFit.unidentified`): drawn with a
    normal prior centred at the estimate (:data:`PRIOR_SD_LOG` on the log scale, or
    :data:`PRIOR_SD_YEARS` for a year) combined with the fit's covariance; never the level a hard
    anchor solves."""
    level = solved_level(fit)
    return [n for n in fit.unidentified if n != level]


def near_bound_params(fit: GrowthFit) -> list[str]:
    """Free parameters on or within one standard error of a bound (on the scale they are drawn
    on): their draws are truncated by the bound, so their intervals are one-sided there."""
    if not fit.intervals_available or not np.all(np.isfinite(fit.cov)):
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
    near = ~((down > se) & (up > se))
    out = {n for n, m in zip(names, near, strict=True) if m} | set(fit.at_bounds)
    out -= {solved_level(fit)} | set(prior_params(fit))
    return sorted(out, key=list(fit.family.params).index)


def _drawing_covariance(fit: GrowthFit, names: list[str], logs: np.ndarray) -> FloatArray:
    """The covariance of the free parameters on their drawing scale (log for positive ones, by
    the delta method), with the prior of the unidentified ones folded in (precisions add:
    ``(S^-1 + P^-1)^-1``)."""
    free_theta = fit.theta[np.array(fit.free)]
    scale = np.where(logs, free_theta, 1.0)
    cov = fit.cov / np.outer(scale, scale)
    prior = set(prior_params(fit))
    if not prior:
        return np.asarray(cov, dtype=float)
    units = [u for u, f in zip(fit.family.units, fit.free, strict=True) if f]
    sd = np.array(
        [
            PRIOR_SD_YEARS if (u == "year" and not lg) else PRIOR_SD_LOG
            for u, lg in zip(units, logs, strict=True)
        ]
    )
    precision = np.where([n in prior for n in names], 1.0 / sd**2, 0.0)
    try:
        return np.asarray(np.linalg.inv(np.linalg.inv(cov) + np.diag(precision)), dtype=float)
    except np.linalg.LinAlgError:
        raise FitError(
            f"{fit.family.name}: parameter uncertainty cannot be drawn: the covariance of "
            f"{', '.join(names)} is singular (fix a parameter or narrow its bounds)"
        ) from None


@dataclass(frozen=True)
class _ParamSampler:
    """Draws of a fit's parameters from their sampling distribution and the rules a draw must
    pass (module docstring); the level a hard anchor solves is re-solved in every draw."""

    fit: GrowthFit
    root: FloatArray  # covariance root of the drawn parameters on their drawing scale
    drawn: np.ndarray  # which parameters are drawn
    logs_d: np.ndarray  # which drawn parameters are drawn on the log scale

    def sample(self, rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
        """``n`` parameter vectors and the residual scale of each."""
        fit = self.fit
        centre = fit.theta[self.drawn]
        ratio = np.sqrt(fit.dof / rng.chisquare(fit.dof, size=n))  # sigma_d / sigma
        z = (rng.standard_normal((n, int(self.drawn.sum()))) @ self.root.T) * ratio[:, None]
        rows = np.tile(fit.theta, (n, 1))
        with np.errstate(all="ignore"):  # wild draws are rejected below, not warned about
            rows[:, self.drawn] = np.where(self.logs_d, centre * np.exp(z), centre + z)
            _reimpose_anchor(fit, rows)
        return rows, fit.sigma * ratio

    def rejected(self, rows: FloatArray, sigma_d: FloatArray) -> np.ndarray:
        """Draws outside the bounds, not finite, or whose curve is not near (for multiplicative
        errors: not positive at) the last actual value."""
        fit = self.fit
        fitted = np.array(fit.free)
        t_start = np.array([float(fit.years[-1]) if len(fit.years) else float(fit.t_ref)])
        last = float(fit.values[-1]) if len(fit.values) else None
        positive = fit.model.error == "multiplicative"
        outside = (rows[:, fitted] < fit.lower[fitted]) | (rows[:, fitted] > fit.upper[fitted])
        bad = np.any(outside, axis=1) | ~np.all(np.isfinite(rows), axis=1)
        with np.errstate(all="ignore"):
            start = fit.family(t_start, rows, fit.t_ref)[:, 0]
            if positive:  # the curve must be positive where paths start
                bad |= ~(start > 0)
            if last is not None:  # and pass near the last actual value
                gap = np.log(last / start) if positive else last - start
                bad |= ~(np.abs(gap) <= NEAR_LAST * sigma_d)
        return np.asarray(bad, dtype=bool)


def draw_params(
    fit: GrowthFit, draws: int, seed: int | np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Parameter vectors (``draws`` x P) and the residual scale of each draw (``draws``,).

    Fixed parameters are held; free ones follow the module docstring. Raises
    :class:`~forecast.errors.FitError` when the covariance is not finite, or when fewer than
    :data:`MIN_KEPT` of a first round of draws pass the rules (inside the bounds, a curve near
    the last actual value): such a fit cannot give honest intervals.
    """
    if draws < 1:
        raise FitError(message("draws", "must be a positive whole number", draws))
    rng = _rng(seed)
    if not fit.intervals_available:
        return np.tile(fit.theta, (draws, 1)), np.zeros(draws)
    sampler = _param_sampler(fit)
    theta, sigma_d = sampler.sample(rng, draws)
    bad = sampler.rejected(theta, sigma_d)
    if bad.mean() > 1.0 - MIN_KEPT:
        raise FitError(
            f"{fit.family.name}: parameter uncertainty cannot be drawn: only "
            f"{100 * (1 - bad.mean()):.0f}% of parameter draws give a curve inside the bounds "
            f"and within {NEAR_LAST:g} residual sd of the last actual value (at least "
            f"{100 * MIN_KEPT:.0f}% needed; fix a parameter, narrow its bounds or use a family "
            "with fewer parameters)"
        )
    for _ in range(_REDRAW_ROUNDS):
        if not bad.any():
            break
        theta[bad], sigma_d[bad] = sampler.sample(rng, int(bad.sum()))
        bad = sampler.rejected(theta, sigma_d)
    else:  # pragma: no cover - the first round passed MIN_KEPT, so this is vanishingly rare
        raise FitError(
            f"{fit.family.name}: parameter uncertainty cannot be drawn: {int(bad.sum())} of "
            f"{draws} draws still fail after {_REDRAW_ROUNDS} rounds"
        )
    return theta, sigma_d


def _param_sampler(fit: GrowthFit) -> _ParamSampler:
    """The sampler of a fit's free parameters but the level a hard anchor solves: the root of
    their covariance on the drawing scale (eigen-decomposition tolerates the near-singular
    directions that hard anchors create)."""
    params = fit.family.params
    fitted = np.array(fit.free)
    free_names = [n for n, f in zip(params, fit.free, strict=True) if f]
    if not np.all(np.isfinite(fit.cov)):
        raise FitError(
            f"{fit.family.name}: parameter uncertainty cannot be drawn: the covariance of "
            f"{', '.join(free_names)} is not finite (fix a parameter or narrow its bounds)"
        )
    level = solved_level(fit)
    logs = _log_scale(fit)
    cov = _drawing_covariance(fit, free_names, logs)
    keep = np.array([n != level for n in free_names])
    cov = cov[np.ix_(keep, keep)]
    vals, vecs = np.linalg.eigh(0.5 * (cov + cov.T))
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    drawn = fitted & np.array([n != level for n in params])
    return _ParamSampler(fit, root, drawn, logs[keep])


def history_volatility(fit: GrowthFit) -> float | None:
    """The standard deviation of the history's yearly log growth rates (at least
    :data:`NOISE_FLOOR`), which scales the noise of the future path; None for additive errors or
    fewer than three history points."""
    if fit.model.error != "multiplicative" or len(fit.years) < 3:
        return None
    rates = np.diff(np.log(fit.values)) / np.diff(fit.years)
    return max(float(np.std(rates, ddof=1)), NOISE_FLOOR)


def noise_scale(fit: GrowthFit, model: PathModel = DEFAULT_PATHS) -> float:
    """The yearly innovation scale of the noise layer, before each draw's factor: from the
    history's volatility for paths that start from the actual value (multiplicative errors),
    else the fit's residual scale (0 when it has none)."""
    v = history_volatility(fit) if model.start == "actual" else None
    if v is not None:
        return float(NOISE_COEF * v**NOISE_POWER)
    return fit.sigma if fit.intervals_available else 0.0


def draw_block(
    fit: GrowthFit,
    rows: int,
    params_rng: np.random.Generator,
    noise_rng: np.random.Generator,
    steps: int,
    *,
    fit_layer: bool,
    noise: bool,
    model: PathModel,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """One block of draws from explicit generators: parameters (rows x P), each draw's yearly
    noise scale (rows,) and standard-normal innovations (rows x ``steps``, or None)."""
    if fit_layer and fit.intervals_available:
        theta, sigma_d = draw_params(fit, rows, params_rng)
    else:
        theta = np.tile(fit.theta, (rows, 1))
        sigma_d = np.full(rows, fit.sigma if fit.intervals_available else 0.0)
    scale = noise_scale(fit, model)
    if not (noise and scale > 0):
        return theta, np.zeros(rows), None
    if model.start == "actual" and history_volatility(fit) is not None:
        noise_sd = scale * np.sqrt(NOISE_DOF / noise_rng.chisquare(NOISE_DOF, size=rows))
    else:  # the fit's residual scale, drawn with the parameters (multivariate-t)
        noise_sd = sigma_d
    return theta, np.asarray(noise_sd, dtype=float), noise_rng.standard_normal((rows, steps))


def block_draws(
    fit: GrowthFit,
    rows: int,
    seed: int,
    block: int,
    steps: int,
    *,
    fit_layer: bool,
    noise: bool,
    model: PathModel = DEFAULT_PATHS,
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """One block's parameters (rows x P), the yearly noise scale of each draw (rows,) and its
    standard-normal innovations (rows x ``steps``; None when the noise layer is off or has no
    scale): parameters from stream 1 of the block, noise from stream 2."""
    return draw_block(
        fit,
        rows,
        block_rng(seed, block, 1),
        block_rng(seed, block, 2),
        steps,
        fit_layer=fit_layer,
        noise=noise,
        model=model,
    )


# ------------------------------------------------------------------------------------------------
# From draws to paths
# ------------------------------------------------------------------------------------------------


def gap_weights(years: FloatArray, t0: float, bridge_year: float | None, rho: float) -> FloatArray:
    """Weight of the start gap in each year (1 in ``t0``, see the module docstring)."""
    h = np.maximum(np.asarray(years, dtype=float) - t0, 0.0)
    if bridge_year is None or bridge_year <= t0:
        return np.asarray(rho**h, dtype=float)
    big_h = bridge_year - t0
    inside = h < big_h
    if rho >= 1.0:
        w = np.where(inside, 1.0 - h / big_h, 0.0)
    elif rho <= 0.0:
        w = np.where(h == 0, 1.0, 0.0)
    else:
        w = np.where(inside, (rho**h - rho ** (2 * big_h - h)) / (1 - rho ** (2 * big_h)), 0.0)
    return np.asarray(w, dtype=float)


def bridge_year(fit: GrowthFit) -> float | None:
    """The year the start gap closes: the first anchor after the last history year."""
    if not len(fit.years):
        return None
    later = [a.year for a in fit.anchors if a.year > fit.years[-1]]
    return float(min(later)) if later else None


def noise_steps(years: FloatArray, t0: float) -> int:
    """Columns of innovations a path over ``years`` needs: one for ``t0`` (used by
    ``start = "fitted"`` only) and one per year after it."""
    return 1 + (int(max(0.0, float(np.max(years)) - t0)) if len(years) else 0)


def path_noise(
    years: FloatArray, t0: float, sigma_d: FloatArray, z: FloatArray, model: PathModel
) -> FloatArray:
    """The noise term ``eta`` at ``years`` (draws x T) from innovations ``z`` (draws x steps):
    an AR(1) started at zero in ``t0`` (independent yearly noise for ``start = "fitted"``,
    which also applies in ``t0``). Column ``s`` of ``z`` is the innovation of year ``t0 + s``."""
    years = np.asarray(years, dtype=float)
    idx = np.clip(np.rint(years - t0).astype(int), 0, z.shape[1] - 1)
    if model.start == "fitted":  # independent noise in every year, the last history year too
        return np.asarray(sigma_d[:, None] * z[:, idx], dtype=float)
    rho = model.rho
    eta = np.zeros_like(z)
    for s in range(1, z.shape[1]):
        eta[:, s] = rho * eta[:, s - 1] + sigma_d * z[:, s]
    out = eta[:, idx]
    out[:, years < t0] = 0.0
    return np.asarray(out, dtype=float)


def start_gap(fit: GrowthFit, trend_t0: FloatArray, base: FloatArray | float) -> FloatArray:
    """The deviation of the base value from each drawn trend in the last history year."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if fit.model.error == "multiplicative":
            return np.asarray(np.log(base / trend_t0), dtype=float)
        return np.asarray(base - trend_t0, dtype=float)


def compose(
    fit: GrowthFit,
    years: FloatArray,
    trend: FloatArray,
    gap: FloatArray | None,
    weights: FloatArray,
    eta: FloatArray | None,
) -> FloatArray:
    """Paths from trends (draws x T), start gaps (draws,), gap weights (T,) and noise."""
    dev = np.zeros_like(trend)
    if gap is not None:
        dev = dev + gap[:, None] * weights[None, :]
    if eta is not None:
        dev = dev + eta
    if fit.model.error == "multiplicative":
        return np.asarray(trend * np.exp(np.clip(dev, -700, 700)), dtype=float)
    return np.asarray(trend + dev, dtype=float)


def last_actual(fit: GrowthFit) -> float | None:
    """The history's last value (None without a history)."""
    return float(fit.values[-1]) if len(fit.values) else None


def point_path(
    fit: GrowthFit, years: Sequence[float] | FloatArray, model: PathModel = DEFAULT_PATHS
) -> FloatArray:
    """The point forecast: the calibrated curve at its estimates, started from the last actual
    value (``start = "actual"``) with the gap carried as in every draw."""
    years = np.asarray(years, dtype=float)
    trend = fit.predict(years)
    base = last_actual(fit)
    if model.start == "fitted" or base is None:
        return trend
    t0 = float(fit.years[-1])
    w = gap_weights(years, t0, bridge_year(fit), model.rho)
    one = fit.theta[None, :]
    return np.asarray(
        paths_from(fit, years, one, np.zeros(1), None, model, base, t0, w)[0], dtype=float
    )


def simulate_paths(
    fit: GrowthFit,
    years: FloatArray,
    draws: int,
    seed: int | np.random.Generator,
    *,
    noise: bool = True,
    model: PathModel = DEFAULT_PATHS,
) -> FloatArray:
    """Simulated values at ``years`` (``draws`` x T) with the fit and noise layers. See the module
    docstring; an integer seed gives the same draws as a scenario's simulation without
    assumptions (:mod:`forecast.uncertainty.propagate`)."""
    if draws < 1:
        raise FitError(message("draws", "must be a positive whole number", draws))
    years = np.asarray(years, dtype=float)
    t0 = float(fit.years[-1]) if len(fit.years) else float(fit.t_ref)
    steps = noise_steps(years, t0)
    out = np.empty((draws, len(years)))
    base = last_actual(fit)
    w = gap_weights(years, t0, bridge_year(fit), model.rho)
    for b, start in enumerate(range(0, draws, BLOCK)):
        rows = min(BLOCK, draws - start)
        if isinstance(seed, np.random.Generator):
            theta, sigma_d, z = draw_block(
                fit, rows, seed, seed, steps, fit_layer=True, noise=noise, model=model
            )
        else:
            theta, sigma_d, z = block_draws(
                fit, rows, int(seed), b, steps, fit_layer=True, noise=noise, model=model
            )
        out[start : start + rows] = paths_from(fit, years, theta, sigma_d, z, model, base, t0, w)
    return out


def paths_from(
    fit: GrowthFit,
    years: FloatArray,
    theta: FloatArray,
    sigma_d: FloatArray,
    z: FloatArray | None,
    model: PathModel,
    base: FloatArray | float | None,
    t0: float,
    weights: FloatArray,
) -> FloatArray:
    """Paths from drawn parameters, noise scales and innovations (one block)."""
    trend = np.asarray(fit.family(years, theta, fit.t_ref), dtype=float)
    gap = None
    if model.start == "actual" and base is not None:
        trend_t0 = fit.family(np.array([t0]), theta, fit.t_ref)[:, 0]
        gap = start_gap(fit, trend_t0, base)
    eta = path_noise(years, t0, sigma_d, z, model) if z is not None else None
    out = compose(fit, years, trend, gap, weights, eta)
    if gap is not None:  # exactly the base value where the paths start, not a rounding of it
        out[:, np.asarray(years, dtype=float) == t0] = np.broadcast_to(
            np.asarray(base, dtype=float), (out.shape[0],)
        )[:, None]
    return out


def paths_frame(
    years: FloatArray,
    point: FloatArray,
    paths: FloatArray | None,
    levels: Sequence[float],
) -> pd.DataFrame:
    """One row per year: ``year``, ``mean`` (the point forecast), ``median`` of the draws and
    the interval columns; ``median`` and intervals are NaN when ``paths`` is None.

    ``mean`` follows statsforecast's naming: it is the point forecast (the calibrated curve,
    started from the last actual value). With multiplicative errors it is close to the median of
    the draws; their arithmetic mean is not reported because it is unbounded (a log-t tail).
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


def projection_frame(
    fit: GrowthFit,
    years: FloatArray,
    levels: Sequence[float],
    draws: int,
    seed: int | np.random.Generator,
    model: PathModel = DEFAULT_PATHS,
) -> pd.DataFrame:
    """Point path, predictive median and intervals in one DataFrame (one row per year)."""
    paths = (
        simulate_paths(fit, years, draws, seed, model=model) if fit.intervals_available else None
    )
    return paths_frame(years, point_path(fit, years, model), paths, levels)
