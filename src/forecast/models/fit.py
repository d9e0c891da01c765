"""Fitting growth curves to history and cited anchors.

:class:`GrowthModel` holds the hyper-parameters (family, error mode, bounds, fixed parameters);
``GrowthModel.fit(years, values, anchors)`` returns an immutable :class:`GrowthFit` with estimates,
standard errors, confidence intervals, AICc, residuals, derived quantities and ``forecast``.

How the fit works
-----------------
* Least squares with bounds (``scipy.optimize.least_squares``, trust-region reflective) from a
  deterministic set of data-driven starts (multi-start for the S-curves, whose surfaces are bumpy);
  the lowest converged cost wins.
* ``error="multiplicative"`` (default for market sizes) fits log values, i.e. relative errors;
  ``error="additive"`` fits levels, as textbook nonlinear regression does.
* The first hard anchor is met exactly: every family is affine in its first (level) parameter,
  ``f = A + B * theta0``, so theta0 is solved from the anchor and the optimiser works on the
  other parameters. Further hard anchors enter as observations whose standard error is tightened
  in steps to 1e-6 of the residual scale. The fit reports every anchor's miss and refuses a curve
  that cannot meet a hard anchor inside the bounds.
* A soft anchor is an observation with its stated relative tolerance, weighed against the
  history's residual scale estimated by a first fit without it (when the history leaves no
  degrees of freedom for that, a 10% relative scale is assumed).
* Standard errors come from the Jacobian at the optimum (the Gauss-Newton covariance of
  ``nls``), with the residual variance estimated on ``n - k`` degrees of freedom, where ``k`` counts
  free parameters less hard anchors. Confidence intervals use Student's t.

Longer than 500 lines because the fit is one algorithm (multi-start bounded least squares with
hard anchors as constraints, standard errors from the Jacobian) and the frozen result that reads
its quantities; the two are kept together as statsmodels keeps a model beside its results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import FitError, message
from ..types import Anchor, ErrorMode, Start, check_levels
from .curves import FAMILIES, Family, FloatArray, get_family

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray
    from scipy import optimize

    BoolArray = NDArray[np.bool_]

_HARD_SIGMA = 1e-6  # hard anchors: standard error relative to the residual scale
_HARD_MISS_TOL = 1e-4  # largest relative miss of a hard anchor accepted as "met"
_MAX_STARTS = 10  # starts actually optimised (the best by initial cost)
_POLISH_NFEV = 1000  # per parameter: the one long run when every start ran out of evaluations


def _transform(v: FloatArray, error: ErrorMode) -> FloatArray:
    if error == "multiplicative":
        return np.log(np.maximum(v, 1e-300))
    return v


@dataclass(frozen=True)
class GrowthModel:
    """Specification of a growth-curve fit (hyper-parameters only).

    Parameters
    ----------
    family : str
        One of ``forecast.models.FAMILIES``: exponential, linear, logistic, gompertz, bass
        (cumulative form) or bass_sales (density form).
    error : {"multiplicative", "additive"}
        Error structure: relative errors (fit in logs) or absolute errors (fit in levels).
    bounds : mapping of str to (low, high)
        Bounds that replace the family's data-driven defaults for the named parameters.
    fixed : mapping of str to float
        Parameters held at a value instead of estimated (e.g. ``{"launch": 2010}``).
    """

    family: str = "logistic"
    error: ErrorMode = "multiplicative"
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    fixed: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise FitError(
                message("model family", f"must be one of {', '.join(FAMILIES)}", self.family)
            )
        fam = FAMILIES[self.family]
        if self.error not in ("multiplicative", "additive"):
            raise FitError(
                message("model error", "must be 'multiplicative' or 'additive'", self.error)
            )
        for name in [*self.bounds, *self.fixed]:
            if name not in fam.params:
                raise FitError(
                    message(
                        "model parameter",
                        f"{self.family} has parameters {', '.join(fam.params)}",
                        name,
                    )
                )
        for name, value in self.fixed.items():
            if not np.isfinite(value):
                raise FitError(message(f"model fixed.{name}", "must be a finite number", value))
        for name, (lo, hi) in self.bounds.items():
            if not lo <= hi:
                raise FitError(f"model bounds.{name}: low must not exceed high; got [{lo}, {hi}]")
            if name in self.fixed and not lo <= self.fixed[name] <= hi:
                raise FitError(
                    f"model fixed.{name}: must lie within its bounds [{lo:g}, {hi:g}]; got "
                    f"{self.fixed[name]:g}"
                )

    @property
    def spec(self) -> Family:
        """The curve family."""
        return get_family(self.family)

    def fit(
        self,
        years: Sequence[float] | FloatArray,
        values: Sequence[float] | FloatArray,
        anchors: Iterable[Anchor] = (),
    ) -> GrowthFit:
        """Fit the curve to a yearly history and/or anchors.

        Parameters
        ----------
        years, values : array-like
            History, years strictly increasing, values finite (positive for multiplicative errors).
        anchors : iterable of Anchor
            Cited points to calibrate to.

        Returns
        -------
        GrowthFit
        """
        return _fit(
            self, np.asarray(years, dtype=float), np.asarray(values, dtype=float), tuple(anchors)
        )


@dataclass(frozen=True)
class GrowthFit:
    """An immutable fitted growth curve. Build it with :meth:`GrowthModel.fit`."""

    model: GrowthModel
    t_ref: float
    years: FloatArray
    values: FloatArray
    anchors: tuple[Anchor, ...]
    theta: FloatArray  # every parameter, fixed ones included
    free: tuple[bool, ...]
    lower: FloatArray
    upper: FloatArray
    cov: FloatArray  # covariance of the free parameters (NaN when it cannot be estimated)
    sigma: float  # residual standard deviation, in log units for multiplicative errors
    dof: int
    rss: float
    nfev: int
    n_starts: int

    # -- parameters --------------------------------------------------------------------------
    @property
    def family(self) -> Family:
        """The curve family."""
        return self.model.spec

    @property
    def params(self) -> dict[str, float]:
        """Estimates by name (fixed parameters included)."""
        return {n: float(v) for n, v in zip(self.family.params, self.theta, strict=True)}

    @property
    def se(self) -> dict[str, float]:
        """Standard errors by name (NaN for fixed parameters or when not estimable)."""
        out = dict.fromkeys(self.family.params, float("nan"))
        diag = np.sqrt(np.clip(np.diag(self.cov), 0, None)) if self.cov.size else np.array([])
        free_names = [n for n, f in zip(self.family.params, self.free, strict=True) if f]
        for name, s in zip(free_names, diag, strict=True):
            out[name] = float(s)
        return out

    @property
    def at_bounds(self) -> tuple[str, ...]:
        """Free parameters that ended on a bound (their standard errors are not trustworthy)."""
        hits = []
        for name, v, lo, hi, f in zip(
            self.family.params, self.theta, self.lower, self.upper, self.free, strict=True
        ):
            if not f:
                continue
            for b in (lo, hi):
                if np.isfinite(b) and abs(v - b) <= 1e-6 * max(1.0, abs(b)):
                    hits.append(name)
                    break
        return tuple(hits)

    @property
    def unidentified(self) -> tuple[str, ...]:
        """Free parameters the data do not pin down: a standard error that is not finite, wider
        than half the parameter's bounds, or (unbounded) ten times the estimate. Prediction
        intervals would rest on the bounds, so :meth:`forecast` and :meth:`simulate` draw them
        from a prior over their bounds, or refuse where that gives no curve (see
        :mod:`forecast.models.simulate`)."""
        if not self.intervals_available:
            return ()
        se = self.se
        out = []
        for name, unit, v, lo, hi, f in zip(
            self.family.params,
            self.family.units,
            self.theta,
            self.lower,
            self.upper,
            self.free,
            strict=True,
        ):
            if not f:
                continue
            s = se[name]
            if lo >= 0 and v > 0:
                too_wide = s > v  # positive parameters: relative standard error above 100%
            elif np.isfinite(hi - lo):
                too_wide = s > 0.5 * (hi - lo)
            else:  # unbounded: against the data's own scale for the parameter's unit
                too_wide = s > 10 * max(abs(v), self._data_scale(unit))
            if not np.isfinite(s) or too_wide:
                out.append(name)
        return tuple(out)

    def _data_scale(self, unit: str) -> float:
        """A typical size for a parameter of ``unit`` in this data (for the identification rule)."""
        values = np.concatenate([self.values, [a.value for a in self.anchors]])
        years = np.concatenate([self.years, [a.year for a in self.anchors]])
        level = float(np.max(np.abs(values))) if len(values) else 1.0
        span = float(np.ptp(years)) if len(years) > 1 else 1.0
        return {"money": level, "money_per_year": level / max(span, 1.0), "year": span}.get(
            unit, 1.0
        )

    def require_identified(self) -> None:
        """Raise :class:`FitError` when some parameter is not identified (see
        :attr:`unidentified`)."""
        bad = self.unidentified
        if bad:
            se = self.se
            worst = ", ".join(f"se({n}) = {se[n]:.3g}" for n in bad)
            raise FitError(
                f"{self.family.name}: {'parameters' if len(bad) > 1 else 'parameter'} "
                f"{', '.join(bad)} {'are' if len(bad) > 1 else 'is'} not identified by "
                f"{len(self.years)} history points and {len(self.anchors)} anchor(s) (fix some "
                "with 'fixed', narrow their bounds, or use a family with fewer parameters); "
                f"got {worst}"
            )

    @property
    def n_hard(self) -> int:
        """Number of hard anchors (each removes one degree of freedom from the fit)."""
        return sum(a.kind == "hard" for a in self.anchors)

    def conf_int(self, level: float = 95.0) -> dict[str, tuple[float, float]]:
        """Wald confidence intervals (Student t on ``dof``) for every parameter, clipped to the
        parameter's bounds (a saturation level cannot fall below its lower bound)."""
        check_levels([level], "level")
        from scipy import special  # stats.t.ppf's own kernel, without loading scipy.stats

        q = float(special.stdtrit(self.dof, 0.5 + level / 200)) if self.dof > 0 else float("nan")
        se = self.se
        out = {}
        for (n, v), lo, hi in zip(self.params.items(), self.lower, self.upper, strict=True):
            out[n] = (float(max(v - q * se[n], lo)), float(min(v + q * se[n], hi)))
        return out

    @property
    def aicc(self) -> float:
        """Small-sample AIC on the history (k counts free parameters less hard anchors, plus the
        residual variance). Comparable only between fits of the same data and error mode."""
        n = len(self.years)
        k = sum(self.free) - self.n_hard + 1
        if n == 0 or self.rss <= 0 or n - k - 1 <= 0:
            return float("nan")
        aic = n * np.log(self.rss / n) + 2 * k
        return float(aic + 2 * k * (k + 1) / (n - k - 1))

    @property
    def residuals(self) -> FloatArray:
        """History residuals (log scale for multiplicative errors)."""
        return _transform(self.values, self.model.error) - _transform(
            self.predict(self.years), self.model.error
        )

    # -- curve and derived quantities ---------------------------------------------------------
    def predict(self, years: Sequence[float] | FloatArray) -> FloatArray:
        """The fitted curve at ``years``."""
        t = np.asarray(years, dtype=float)
        return np.asarray(self.family(t, self.theta, self.t_ref), dtype=float)

    def implied_cagr(self, start: float, end: float) -> float:
        """Compound annual growth of the fitted curve between two years (NaN when the curve is
        not positive at both ends, where a growth rate has no meaning)."""
        a, b = self.predict([start, end])
        if not (a > 0 and b > 0) or end == start:
            return float("nan")
        return cagr(float(a), float(b), end - start)

    @property
    def saturation(self) -> float | None:
        """Saturation level (K or M) for saturating families, else None."""
        name = self.family.saturation_param
        return self.params[name] if name else None

    @property
    def inflection_year(self) -> float | None:
        """Inflection (logistic, Gompertz) or peak adoption-rate year (Bass); None otherwise."""
        return self.family.inflection(tuple(float(v) for v in self.theta))

    def anchor_misses(self) -> list[float]:
        """Relative miss ``fitted / anchor - 1`` for every anchor."""
        return [float(self.predict([a.year])[0] / a.value - 1) for a in self.anchors]

    @property
    def intervals_available(self) -> bool:
        """Whether the residual scale (and so prediction intervals) could be estimated."""
        return self.dof > 0 and bool(np.isfinite(self.sigma))

    # -- projection ---------------------------------------------------------------------------
    def simulate(
        self,
        years: Sequence[float] | FloatArray,
        draws: int = 2000,
        seed: int | np.random.Generator = 0,
        *,
        noise: bool = True,
        start: Start = "actual",
    ) -> FloatArray:
        """Draw paths: parameters from their estimated sampling distribution (multivariate-t,
        truncated to the bounds) and, with ``noise``, the noise of the future path; paths start
        from the last actual value unless ``start = "fitted"`` (see
        :mod:`forecast.models.simulate`). Returns shape ``(draws, len(years))``."""
        from .simulate import PathModel, simulate_paths

        return simulate_paths(
            self, np.asarray(years, dtype=float), draws, seed, noise=noise, model=PathModel(start)
        )

    def forecast(
        self,
        years: Sequence[float] | FloatArray,
        level: Sequence[float] = (80, 95),
        draws: int = 2000,
        seed: int | np.random.Generator = 0,
        *,
        start: Start = "actual",
        levels: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Point path and prediction intervals as a DataFrame.

        Columns: ``year``, ``mean`` (the point path: the calibrated curve started from the last
        actual value, or the curve itself with ``start = "fitted"``), ``median`` of the draws,
        and ``lo-<L>``/``hi-<L>`` for every level ``L`` in ``level``, each in (0, 100) (the
        name the statistical models' ``forecast_frame`` uses too). Interval columns are NaN
        when the fit leaves no degrees of freedom for the noise. ``levels`` is the earlier
        name of ``level`` (deprecated).
        """
        from .simulate import PathModel, projection_frame

        if levels is not None:
            import warnings

            warnings.warn(
                "GrowthFit.forecast: levels= is now level= (the name forecast_frame uses)",
                DeprecationWarning,
                stacklevel=2,
            )
            level = levels
        return projection_frame(
            self, np.asarray(years, dtype=float), level, draws, seed, PathModel(start)
        )

    def params_frame(self, level: float = 95.0) -> pd.DataFrame:
        """One row per parameter: estimate, standard error, confidence interval, unit, flags."""
        import pandas as pd

        ci = self.conf_int(level)
        se = self.se
        hits = set(self.at_bounds)
        rows: list[dict[str, Any]] = []
        for name, unit, f in zip(self.family.params, self.family.units, self.free, strict=True):
            rows.append(
                {
                    "param": name,
                    "unit": unit,
                    "estimate": self.params[name],
                    "se": se[name],
                    f"lo-{level:g}": ci[name][0],
                    f"hi-{level:g}": ci[name][1],
                    "fixed": not f,
                    "at_bound": name in hits,
                }
            )
        return pd.DataFrame(rows)


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate ``(end/start)^(1/years) - 1``."""
    if years == 0:
        raise FitError(message("cagr span", "must be a non-zero number of years", years))
    if start_value <= 0 or end_value <= 0:
        raise FitError(f"cagr values: must both be positive; got {start_value!r} and {end_value!r}")
    return float((end_value / start_value) ** (1.0 / years) - 1.0)


# ------------------------------------------------------------------------------------------------
# The fit
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """What every pass of one fit shares: family, error mode, history, reference year, bounds
    and the parameters held fixed (NaN where free)."""

    fam: Family
    error: ErrorMode
    t: FloatArray
    y: FloatArray
    t_ref: float
    lower: FloatArray
    upper: FloatArray
    free: BoolArray
    fixed_vals: FloatArray


def _fit(
    model: GrowthModel, t: FloatArray, y: FloatArray, anchors: tuple[Anchor, ...]
) -> GrowthFit:
    fam = model.spec
    _check_inputs(t, y, anchors, model.error)
    if len(t) == 0 and not anchors:
        raise FitError(f"{fam.name}: needs a history or at least one anchor to fit; got neither")
    frame = _frame(model, t, y, anchors)
    n_hard = sum(a.kind == "hard" for a in anchors)
    dof_hist = len(t) - int(frame.free.sum()) + n_hard
    s_w = _history_weight(frame, anchors, dof_hist)
    best = _solve(frame, anchors, s_w)
    result = _growth_fit(model, frame, anchors, best, s_w, dof_hist)
    _check_fitted(result)
    return result


def _frame(model: GrowthModel, t: FloatArray, y: FloatArray, anchors: tuple[Anchor, ...]) -> _Frame:
    """The family's data-driven bounds with the model's overrides, and which parameters are free
    (a parameter whose bounds coincide is fixed at that value)."""
    fam = model.spec
    t_ref = float(t[-1]) if len(t) else float(max(a.year for a in anchors))
    t_all, y_all = _points(t, y, anchors)
    lower, upper = (np.array(b, dtype=float) for b in fam.default_bounds(t_all, y_all))
    for name, (lo, hi) in model.bounds.items():
        i = fam.params.index(name)
        lower[i], upper[i] = lo, hi
    fixed_vals = np.array([model.fixed.get(p, np.nan) for p in fam.params], dtype=float)
    pinned = np.isnan(fixed_vals) & (lower == upper)
    fixed_vals[pinned] = lower[pinned]
    free = np.isnan(fixed_vals)
    n_free = int(free.sum())
    n_info = len(t) + len(anchors)
    if n_info < n_free:
        raise FitError(
            f"{fam.name}: needs at least {n_free} points (history plus anchors) to identify "
            f"{', '.join(p for p, f in zip(fam.params, free, strict=True) if f)}; got {n_info}"
        )
    return _Frame(fam, model.error, t, y, t_ref, lower, upper, free, fixed_vals)


def _points(
    t: FloatArray, y: FloatArray, anchors: tuple[Anchor, ...]
) -> tuple[FloatArray, FloatArray]:
    """Years and values of the history followed by the anchors."""
    t_all = np.concatenate([t, [a.year for a in anchors]]).astype(float)
    y_all = np.concatenate([y, [a.value for a in anchors]]).astype(float)
    return t_all, y_all


def _history_weight(frame: _Frame, anchors: tuple[Anchor, ...], dof_hist: int) -> float:
    """The standard error the history's residuals are divided by: with soft anchors, the
    history's residual scale from a first fit without them (pass 1), so a soft anchor's
    tolerance is weighed against it; otherwise a rough guess (10%, or 10% of the mean level)."""
    hard = tuple(a for a in anchors if a.kind == "hard")
    soft = [a for a in anchors if a.kind == "soft"]
    _, y_all = _points(frame.t, frame.y, anchors)
    scale_guess = 0.1 if frame.error == "multiplicative" else 0.1 * float(np.mean(np.abs(y_all)))
    scale_guess = scale_guess if scale_guess > 0 else 1.0
    s_w = scale_guess
    if soft and dof_hist > 0:
        first = _solve(frame, hard, s_w)
        rss1 = float(np.sum(first.hist_resid**2))
        s_w = max(np.sqrt(rss1 / dof_hist), 1e-9 * scale_guess)
    return s_w


def _growth_fit(
    model: GrowthModel,
    frame: _Frame,
    anchors: tuple[Anchor, ...],
    best: _Solution,
    s_w: float,
    dof_hist: int,
) -> GrowthFit:
    """The frozen result of the solution: every parameter, residual scale and covariance."""
    theta = frame.fixed_vals.copy()
    theta[frame.free] = best.x
    rss = float(np.sum(best.hist_resid**2))
    sigma, cov = _sigma_and_cov(best, len(frame.t), int(frame.free.sum()), dof_hist, rss, s_w)
    return GrowthFit(
        model=model,
        t_ref=frame.t_ref,
        years=frame.t,
        values=frame.y,
        anchors=anchors,
        theta=theta,
        free=tuple(bool(f) for f in frame.free),
        lower=frame.lower,
        upper=frame.upper,
        cov=cov,
        sigma=sigma,
        dof=max(dof_hist, 0),
        rss=rss,
        nfev=best.nfev,
        n_starts=best.n_starts,
    )


def _sigma_and_cov(
    best: _Solution, n_hist: int, n_free: int, dof_hist: int, rss: float, s_w: float
) -> tuple[float, FloatArray]:
    """The residual standard deviation on ``dof_hist`` degrees of freedom and the covariance of
    the free parameters (NaN when the history leaves no degrees of freedom)."""
    if dof_hist <= 0:
        return float("nan"), np.full((n_free, n_free), np.nan)
    sigma = float(np.sqrt(rss / dof_hist))
    # history rows were divided by s_w; the covariance must use the estimated sigma
    jac = best.jac.copy()
    jac[:n_hist] *= s_w / max(sigma, 1e-9 * s_w)
    g = best.to_free
    cov = g @ _inv_gram(jac) @ g.T if jac.shape[1] else np.zeros((n_free, n_free))
    return sigma, cov


def _check_fitted(result: GrowthFit) -> None:
    """Refuse a curve that is not positive where observed (multiplicative errors) or misses a
    hard anchor."""
    fam = result.family
    t_all, _ = _points(result.years, result.values, result.anchors)
    if result.model.error == "multiplicative" and len(t_all) and np.any(result.predict(t_all) <= 0):
        raise FitError(
            f"{fam.name}: the fitted curve must stay positive at every observed year under "
            "multiplicative errors (use error = 'additive' or another family); got a value <= 0"
        )
    for a, miss in zip(result.anchors, result.anchor_misses(), strict=True):
        if a.kind == "hard" and abs(miss) > _HARD_MISS_TOL:
            reached = float(result.predict([a.year])[0])
            raise FitError(
                f"{fam.name}: cannot pass through the hard anchor {a.year} = {a.value:g} within "
                f"its bounds (check the bounds or make the anchor soft); got {reached:.6g}"
            )


def _check_inputs(
    t: FloatArray, y: FloatArray, anchors: tuple[Anchor, ...], error: ErrorMode
) -> None:
    if t.shape != y.shape or t.ndim != 1:
        raise FitError(
            f"history: years and values must be 1-D of equal length; got {t.shape} and {y.shape}"
        )
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(y))):
        raise FitError("history: years and values must be finite numbers; got NaN or infinity")
    if len(t) > 1 and np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        raise FitError(
            f"history: years must be strictly increasing; got {t[i - 1]:g} then {t[i]:g}"
        )
    if error == "multiplicative":
        if np.any(y <= 0):
            bad = float(y[y <= 0][0])
            raise FitError(
                "history: values must be positive for multiplicative errors (use error = "
                f"'additive' for series that can be zero or negative); got {bad:g}"
            )
    for a in anchors:
        if not np.isfinite(a.value) or (error == "multiplicative" and a.value <= 0):
            raise FitError(message(f"anchor {a.year}", "value must be a positive number", a.value))
        if a.kind == "soft" and not (a.tolerance and a.tolerance > 0):
            raise FitError(
                message(f"anchor {a.year}", "a soft anchor needs a positive tolerance", a.tolerance)
            )


@dataclass(frozen=True)
class _Solution:
    x: FloatArray  # the free parameters (eliminated one included)
    jac: FloatArray  # Jacobian of the residuals with respect to the optimised parameters
    to_free: FloatArray  # d(free parameters) / d(optimised parameters)
    hist_resid: FloatArray
    cost: float
    nfev: int
    n_starts: int


@dataclass(frozen=True)
class _Problem:
    """The least-squares problem over the optimised parameters: the history's residuals divided
    by ``s_w``, then the remaining anchors' divided by ``a_sigma``, then the eliminated level
    parameter's bound violation."""

    frame: _Frame
    elim: Anchor | None  # the hard anchor met exactly by solving for the level parameter
    opt: BoolArray  # the parameters the optimiser moves
    t_obs: FloatArray  # history years, then the remaining anchors' years
    ty: FloatArray  # the history, transformed
    ta: FloatArray  # the remaining anchors, transformed
    a_sigma: FloatArray  # the remaining anchors' standard errors
    s_w: float  # the history's standard error

    @property
    def lo(self) -> FloatArray:
        """Lower bounds of the optimised parameters."""
        return self.frame.lower[self.opt]

    @property
    def hi(self) -> FloatArray:
        """Upper bounds of the optimised parameters."""
        return self.frame.upper[self.opt]

    def full(self, x: FloatArray) -> tuple[FloatArray, float]:
        """Every parameter from the optimised ones; second value: bound violation of theta0."""
        fam, t_ref, elim = self.frame.fam, self.frame.t_ref, self.elim
        theta = self.frame.fixed_vals.copy()
        theta[self.opt] = x
        if elim is None:
            return theta, 0.0
        lo0, hi0 = self.frame.lower[0], self.frame.upper[0]
        t_elim = np.array([float(elim.year)])
        theta[0] = 0.0
        a0 = float(fam(t_elim, theta, t_ref)[0])
        theta[0] = 1.0
        b0 = float(fam(t_elim, theta, t_ref)[0]) - a0
        raw = (elim.value - a0) / b0 if b0 != 0 and np.isfinite(b0) else np.inf
        if not np.isfinite(raw):
            raw = hi0 if np.isfinite(hi0) else 1e300
        theta[0] = min(max(raw, lo0), hi0)
        scale = max(abs(lo0), abs(hi0), 1.0) if np.isfinite(hi0 - lo0) else max(abs(raw), 1.0)
        return theta, (max(lo0 - raw, 0.0) + max(raw - hi0, 0.0)) / scale

    def residuals(self, x: FloatArray) -> FloatArray:
        """The scaled residuals at the optimised parameters ``x``."""
        theta, violation = self.full(x)
        f = _transform(self.frame.fam(self.t_obs, theta, self.frame.t_ref), self.frame.error)
        n = len(self.ty)
        return np.concatenate(
            [(self.ty - f[:n]) / self.s_w, (f[n:] - self.ta) / self.a_sigma, [1e3 * violation]]
        )

    def least_squares(self, x0: FloatArray, max_nfev: int | None = None) -> optimize.OptimizeResult:
        """One bounded trust-region-reflective run from ``x0``."""
        from scipy import optimize

        return optimize.least_squares(
            self.residuals,
            x0,
            bounds=(self.lo, self.hi),
            method="trf",
            x_scale="jac",
            ftol=1e-12,
            xtol=1e-12,
            gtol=1e-12,
            max_nfev=200 * (len(self.lo) + 1) if max_nfev is None else max_nfev,
        )


def _solve(frame: _Frame, anchors: tuple[Anchor, ...], s_w: float) -> _Solution:
    """Multi-start bounded least squares; returns the best converged solution.

    The first hard anchor is met exactly by eliminating the family's level parameter (every
    family is affine in its first parameter: ``f = A + B * theta0``), so the optimiser works on
    the remaining parameters with a well-conditioned problem. Further hard anchors enter as
    observations with a tiny standard error, tightened in steps (continuation) so the optimiser
    is never handed the badly scaled problem cold.
    """
    problem, is_hard = _problem(frame, anchors, s_w)
    hard_steps = (1e-2, 1e-4, _HARD_SIGMA) if is_hard.any() else (_HARD_SIGMA,)
    problem = _with_hard_sigma(problem, is_hard, hard_steps[0])
    starts, costs = _ranked_starts(problem, anchors)
    best, stalled, nfev, tried = _multi_start(problem, starts, costs)
    if best is None and stalled is not None:
        best, nfev = _polish(problem, stalled, nfev)
    if best is None:
        raise FitError(
            f"{frame.fam.name}: the least-squares fit did not converge from any of {tried} "
            "starting points (try another family, narrower bounds or fixed parameters); got no "
            "solution"
        )
    for step in hard_steps[1:]:
        problem = _with_hard_sigma(problem, is_hard, step)
        best = problem.least_squares(best.x)
        nfev += int(best.nfev)
    return _solution(problem, np.asarray(best.x, dtype=float), float(best.cost), nfev, tried)


def _problem(frame: _Frame, anchors: tuple[Anchor, ...], s_w: float) -> tuple[_Problem, BoolArray]:
    """The least-squares problem (its hard anchors' standard errors still to set) and which of
    its anchors are hard."""
    error = frame.error
    hard = [a for a in anchors if a.kind == "hard"]
    elim = hard[0] if hard and frame.free[0] else None
    rest = [a for a in anchors if a is not elim]
    t_obs = np.concatenate([frame.t, [a.year for a in rest]]).astype(float)
    a_val = np.array([a.value for a in rest], dtype=float)
    is_hard = np.array([a.kind == "hard" for a in rest], dtype=bool)
    soft_sigma = np.array(
        [
            np.log1p(a.tolerance or 0)
            if error == "multiplicative"
            else (a.tolerance or 0) * abs(a.value)
            for a in rest
        ],
        dtype=float,
    )
    opt = frame.free.copy()
    if elim is not None:
        opt[0] = False
    ty, ta = _transform(frame.y, error), _transform(a_val, error)
    return _Problem(frame, elim, opt, t_obs, ty, ta, soft_sigma, s_w), is_hard


def _with_hard_sigma(problem: _Problem, is_hard: BoolArray, step: float) -> _Problem:
    """The problem with its hard anchors' standard error at ``step`` times the history's."""
    a_sigma = np.where(is_hard, step * problem.s_w, problem.a_sigma)
    return replace(problem, a_sigma=a_sigma)


def _ranked_starts(
    problem: _Problem, anchors: tuple[Anchor, ...]
) -> tuple[list[FloatArray], list[float]]:
    """The family's data-driven starts moved inside the bounds, with their initial costs
    (infinite where a residual is not finite)."""
    frame = problem.frame
    pts_t, pts_y = _points(frame.t, frame.y, anchors)
    starts = [
        _inside(np.asarray(s, dtype=float)[problem.opt], problem.lo, problem.hi)
        for s in frame.fam.starts(pts_t, pts_y, frame.t_ref)
    ]
    costs = []
    for x0 in starts:
        r = problem.residuals(x0)
        costs.append(float(np.sum(r**2)) if np.all(np.isfinite(r)) else np.inf)
    return starts, costs


def _multi_start(
    problem: _Problem, starts: list[FloatArray], costs: list[float]
) -> tuple[optimize.OptimizeResult | None, optimize.OptimizeResult | None, int, int]:
    """Optimise from the ``_MAX_STARTS`` cheapest starts: the best converged run, the best run
    that used up its evaluations, the evaluations spent and the starts tried."""
    from scipy import optimize

    best: optimize.OptimizeResult | None = None
    stalled: optimize.OptimizeResult | None = None  # best run that used up its evaluations
    nfev = 0
    tried = 0
    for i in np.argsort(costs, kind="stable")[:_MAX_STARTS]:
        if not np.isfinite(costs[i]):
            continue
        tried += 1
        if len(problem.lo) == 0:  # nothing left to optimise: the anchors determine every parameter
            best = optimize.OptimizeResult(
                x=starts[i],
                cost=costs[i] / 2,
                status=1,
                nfev=1,
                fun=problem.residuals(starts[i]),
                jac=np.zeros((0, 0)),
            )
            break
        res = problem.least_squares(starts[i])
        nfev += int(res.nfev)
        if not np.all(np.isfinite(res.fun)):
            continue
        if res.status > 0 and (best is None or res.cost < best.cost):
            best = res
        elif res.status == 0 and (stalled is None or res.cost < stalled.cost):
            stalled = res
    return best, stalled, nfev, tried


def _polish(
    problem: _Problem, stalled: optimize.OptimizeResult, nfev: int
) -> tuple[optimize.OptimizeResult, int]:
    """One long run from the best stalled start, or the error naming the drifting parameters.

    Every start ran out of evaluations, typically crawling along a ridge towards a bound (a
    logistic fitted to exponential growth: K and t_mid grow together). One long run from the
    best of them either reaches the bound (reported by GrowthFit.at_bounds) or shows which
    parameters keep drifting.
    """
    fam = problem.frame.fam
    res = problem.least_squares(stalled.x, max_nfev=_POLISH_NFEV * (len(problem.lo) + 1))
    nfev += int(res.nfev)
    if res.status > 0 and np.all(np.isfinite(res.fun)):
        return res, nfev
    names = [fam.params[j] for j in np.flatnonzero(problem.opt)]
    moved = np.abs(res.x - stalled.x) > 1e-3 * np.maximum(np.abs(stalled.x), 1e-12)
    drifting = ", ".join(n for n, m in zip(names, moved, strict=True) if m) or "all"
    raise FitError(
        f"{fam.name}: the least-squares fit did not converge: parameters {drifting} keep "
        "drifting, so the data do not pin them down (fix them with 'fixed', narrow their "
        "bounds or use a family with fewer parameters); got no solution after "
        f"{nfev} evaluations"
    )


def _solution(
    problem: _Problem, x_opt: FloatArray, cost: float, nfev: int, tried: int
) -> _Solution:
    """The solution at ``x_opt``: the free parameters, the Jacobian of the residuals and its map
    to every free parameter (delta method for the eliminated level parameter, by central
    differences)."""
    free = problem.frame.free
    theta, _ = problem.full(x_opt)
    r = problem.residuals(x_opt)
    jac = _jacobian(problem.residuals, x_opt)[:-1] if len(x_opt) else np.zeros((len(r) - 1, 0))
    free_idx = np.flatnonzero(free)
    g = np.zeros((len(free_idx), len(x_opt)))
    for col, j in enumerate(np.flatnonzero(problem.opt)):
        g[int(np.searchsorted(free_idx, j)), col] = 1.0
    if problem.elim is not None and len(x_opt):
        g[0] = _jacobian(lambda x: problem.full(x)[0][:1], x_opt)[0]
    return _Solution(
        x=theta[free],
        jac=jac,
        to_free=g,
        hist_resid=r[: len(problem.ty)] * problem.s_w,
        cost=cost,
        nfev=nfev,
        n_starts=tried,
    )


def _jacobian(fun: Callable[[FloatArray], FloatArray], x: FloatArray) -> FloatArray:
    """Central-difference Jacobian (step scaled to each parameter)."""
    f0 = fun(x)
    jac = np.empty((len(f0), len(x)))
    for j in range(len(x)):
        h = 1e-6 * max(abs(x[j]), 1e-3)
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        jac[:, j] = (fun(xp) - fun(xm)) / (2 * h)
    return jac


def _inside(x0: FloatArray, lo: FloatArray, hi: FloatArray) -> FloatArray:
    """Move a start strictly inside the bounds (least_squares requires it)."""
    span = np.where(np.isfinite(hi - lo), hi - lo, np.abs(x0) + 1.0)
    eps = 1e-6 * span
    return np.minimum(np.maximum(x0, lo + eps), hi - eps)


def _inv_gram(jac: FloatArray) -> FloatArray:
    """``(J^T J)^{-1}`` through the SVD of J with columns scaled to unit norm first, so the
    cut-off for singular directions does not depend on the parameters' units (a level in USD
    next to a rate); NaN where J is rank-deficient."""
    norms = np.linalg.norm(jac, axis=0)
    if np.any(norms == 0) or not np.all(np.isfinite(jac)):
        return np.full((jac.shape[1], jac.shape[1]), np.nan)
    _, s, vt = np.linalg.svd(jac / norms, full_matrices=False)
    if s.min(initial=np.inf) <= s.max(initial=0.0) * 1e-12:
        return np.full((jac.shape[1], jac.shape[1]), np.nan)
    inner = (vt.T / s**2) @ vt
    return np.asarray(inner / np.outer(norms, norms), dtype=float)
