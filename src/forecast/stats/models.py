"""Statistical forecasting models behind the growth-curve interface.

A model is a frozen dataclass holding hyper-parameters only; ``fit(years, values)`` returns an
immutable :class:`StatsFit` whose ``forecast(years_or_h, levels)`` gives a DataFrame with
``year``, ``mean`` (the point forecast), ``median`` and ``lo-<L>``/``hi-<L>``, as
:meth:`forecast.GrowthFit.forecast` does. The numbers come from the vectorised kernels in
:mod:`forecast.stats.kernels` (one series is a batch of one); intervals are empirical
(:mod:`forecast.stats.conformal`).

Every series is divided by its largest absolute value before fitting and the forecasts are
multiplied back, so results do not depend on the unit (1e-13 or 1e13 behave alike).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from ..errors import FitError, ForecastError, message
from . import kernels as K
from .conformal import ErrorQuantiles, interval_scale, level_probs, shipped
from .kernels import FloatArray, IntArray
from .log_intervals import applies, log_bounds, log_quantiles

if TYPE_CHECKING:
    import pandas as pd

Params = dict[str, FloatArray]
STORED_STEPS = 30  # forecasts kept by a fit; longer horizons are computed again


@dataclass(frozen=True)
class StatsModel:
    """Base class of the statistical model specifications (hyper-parameters only).

    Subclasses set ``name``, ``min_points`` (shortest history they accept), ``positive_only``
    (models of logs) and implement :meth:`point`.
    """

    name: ClassVar[str] = ""
    min_points: ClassVar[int] = 1
    positive_only: ClassVar[bool] = False
    vectorised: ClassVar[bool] = True  # point() handles many series at once, cheaply
    log_intervals: ClassVar[bool] = False  # log-scale intervals for positive series (auto)

    def problem(self, values: FloatArray) -> str | None:
        """Why this model cannot be applied to ``values`` (``"<rule>; got <value>"``), or None."""
        if len(values) < self.min_points:
            return f"needs at least {self.min_points} points; got {len(values)}"
        if self.positive_only and not np.all(values > 0):
            return f"models logs, so needs positive values; got minimum {np.min(values):g}"
        return None

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """Point forecasts ``(N, h)`` and per-series parameters for a padded batch."""
        raise NotImplementedError

    def fit(
        self, years: Sequence[float] | FloatArray, values: Sequence[float] | FloatArray
    ) -> StatsFit:
        """Fit the model to a yearly history.

        Parameters
        ----------
        years : array-like
            Consecutive whole years, increasing.
        values : array-like
            Finite values, one per year.

        Returns
        -------
        StatsFit

        Raises
        ------
        FitError
            When the history breaks a rule or the model cannot be applied to it.
        """
        ys, vs = check_history(years, values, self.name)
        used, reason = self.resolve(vs)
        f, params = forecast_rows(used, vs[None, :], np.array([len(vs)]), STORED_STEPS)
        return StatsFit(
            model=self,
            used=used,
            years=ys,
            values=vs,
            params={k: float(v[0]) for k, v in params.items()},
            reason=reason,
            stored=f[0],
        )

    def resolve(self, values: FloatArray) -> tuple[StatsModel, str]:
        """The model to fit to ``values`` and why it is not this one ("" when it is).

        Plain models refuse what they cannot fit; ``auto`` overrides this with fallbacks.
        """
        problem = self.problem(values)
        if problem:
            raise FitError(f"{self.name} model: {problem}")
        return self, ""


def check_history(
    years: Sequence[float] | FloatArray, values: Sequence[float] | FloatArray, where: str
) -> tuple[FloatArray, FloatArray]:
    """Validate a single yearly history (consecutive whole years, finite values)."""
    ys = np.asarray(years, dtype=float)
    vs = np.asarray(values, dtype=float)
    if ys.ndim != 1 or ys.shape != vs.shape:
        raise FitError(
            f"{where} model: years and values must be 1-D of equal length; got shapes "
            f"{ys.shape} and {vs.shape}"
        )
    if len(ys) == 0:
        raise FitError(f"{where} model: needs at least one point; got none")
    if not np.all(np.isfinite(vs)):
        bad = ys[~np.isfinite(vs)][0]
        raise FitError(
            f"{where} model: values must be finite (fill or drop missing years; the batch API "
            f"forecast_frame interpolates gaps); got {vs[~np.isfinite(vs)][0]} in {bad:g}"
        )
    if not np.all(np.isfinite(ys)) or np.any(ys != np.round(ys)):
        raise FitError(f"{where} model: years must be whole numbers; got {ys.tolist()}")
    if len(ys) > 1 and not np.all(np.diff(ys) == 1):
        i = int(np.argmax(np.diff(ys) != 1))
        raise FitError(
            f"{where} model: years must be consecutive and increasing; got {ys[i]:g} followed "
            f"by {ys[i + 1]:g}"
        )
    return ys, vs


def forecast_rows(
    model: StatsModel, y: FloatArray, n: IntArray, h: int
) -> tuple[FloatArray, Params]:
    """Point forecasts of ``model`` for a padded batch, each row fitted in units of its largest
    absolute value (then scaled back)."""
    top = np.nanmax(np.abs(y), axis=1)
    unit = np.where(np.isfinite(top) & (top > 0), top, 1.0)
    f, params = model.point(y / unit[:, None], n, h)
    return f * unit[:, None], params


@dataclass(frozen=True, repr=False)
class StatsFit:
    """An immutable fitted statistical model. Build it with ``StatsModel.fit``.

    Attributes
    ----------
    model : StatsModel
        The specification asked for.
    used : StatsModel
        The specification fitted (differs from ``model`` only when ``auto`` fell back).
    years, values : ndarray
        The history.
    params : dict
        Chosen parameters (smoothing weights, orders, criteria), scale-free.
    reason : str
        Why ``used`` differs from ``model`` or the method was adapted; "" otherwise.
    stored : ndarray
        Point forecasts for the next 30 years, computed at fit time.
    """

    model: StatsModel
    used: StatsModel
    years: FloatArray
    values: FloatArray
    params: Mapping[str, float] = field(default_factory=dict)
    reason: str = ""
    stored: FloatArray = field(default_factory=lambda: np.empty(0))

    def __repr__(self) -> str:
        """One line: the model asked for and used, the history's span, the next year's point
        forecast (not the arrays)."""
        used = f" (used {self.used.name})" if self.used.name != self.model.name else ""
        span = (
            f"{self.years[0]:g}-{self.years[-1]:g} ({len(self.years)} points)"
            if len(self.years)
            else "no history"
        )
        nxt = f"; next year {self.stored[0]:.6g}" if len(self.stored) else ""
        return f"<StatsFit {self.model.name}{used}: history {span}{nxt}>"

    def predict(self, h: int) -> FloatArray:
        """Point forecasts for the ``h`` years after the history."""
        if h <= len(self.stored):
            return np.array(self.stored[:h])
        f, _ = forecast_rows(self.used, self.values[None, :], np.array([len(self.values)]), h)
        return np.asarray(f[0])

    def errors(self, h: int = 1) -> ErrorQuantiles:
        """The scaled-error quantiles behind the intervals of an ``h``-year forecast: the
        shipped table of ``used``, or for log-scale intervals (``auto`` on a positive history
        with a positive point forecast, see :mod:`forecast.stats.log_intervals`) the log table
        of the history's length."""
        if self._log_scale(self.predict(h)):
            return log_quantiles(len(self.values))
        return shipped(self.used.name)

    def _log_scale(self, point: FloatArray) -> bool:
        return applies(self.used.log_intervals, self.values, point)

    def forecast(
        self,
        years_or_h: int | Sequence[float] | FloatArray,
        level: Sequence[float] = (80, 95),
        *,
        levels: Sequence[float] | None = None,
    ) -> pd.DataFrame:
        """Point forecasts and empirical prediction intervals.

        Parameters
        ----------
        years_or_h : int or array-like
            A horizon ``h`` (the next ``h`` years) or future years after the history.
        level : sequence of float
            Interval levels in percent, each in (0, 99] (``levels``: its earlier name,
            deprecated).

        Returns
        -------
        DataFrame
            ``year``, ``mean`` (point forecast), ``median`` (predictive median), and
            ``lo-<L>``/``hi-<L>`` for every level; for a strictly positive history all are
            clipped at 0 (``auto``'s are on the log scale there, positive without clipping,
            unless its point forecast is not positive: :mod:`forecast.stats.log_intervals`).
        """
        import pandas as pd

        if levels is not None:
            import warnings

            warnings.warn(
                "forecast: levels= is now level= (the name forecast_frame uses)",
                DeprecationWarning,
                stacklevel=2,
            )
            level = levels
        cols = level_probs(level, "level")
        last_year = float(self.years[-1])
        if isinstance(years_or_h, int | np.integer):
            h = int(years_or_h)
            if h < 1:
                raise ForecastError(message("h", "must be a positive whole number", years_or_h))
            target = last_year + np.arange(1, h + 1)
        else:
            target = np.asarray(years_or_h, dtype=float)
            if target.ndim != 1 or not len(target):
                raise ForecastError(message("years", "must be a non-empty list of years", target))
            steps = target - last_year
            if np.any(steps < 1) or np.any(steps != np.round(steps)):
                raise ForecastError(
                    f"years: must be whole years after the last history year {last_year:g}; "
                    f"got {target.tolist()}"
                )
            h = int(steps.max())
        steps_i = (target - last_year).astype(int)
        point = self.predict(h)
        y, n = self.values[None, :], np.array([len(self.values)])
        probs = [0.5, *(p for _, p in cols)]
        if self._log_scale(point):  # positive by construction
            bounds = log_bounds(point[None, :], y, n, probs)[0]
        else:
            s = float(interval_scale(y, n)[0])
            bounds = point[:, None] + s * shipped(self.used.name).at(h, probs)
        positive = bool(np.all(self.values > 0))
        mean = np.maximum(point, 0.0) if positive else point  # a size cannot be negative
        frame = pd.DataFrame({"year": target.astype(int), "mean": mean[steps_i - 1]})
        for j, name in enumerate(["median", *(c for c, _ in cols)]):
            v = bounds[:, j]
            frame[name] = np.maximum(v, 0.0)[steps_i - 1] if positive else v[steps_i - 1]
        return frame


# -- kernel-backed models ---------------------------------------------------------------------


@dataclass(frozen=True)
class Naive(StatsModel):
    """Naive: every future year equals the last observed one."""

    name: ClassVar[str] = "naive"

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        return K.naive(y, n, h), {}


@dataclass(frozen=True)
class Drift(StatsModel):
    """Random walk with drift: ``y_n + k (y_n - y_1) / (n - 1)``."""

    name: ClassVar[str] = "drift"
    min_points: ClassVar[int] = 2

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        return K.drift(y, n, h), {}


@dataclass(frozen=True)
class SES(StatsModel):
    """Simple exponential smoothing; alpha by grid search (0.05 to 1 by 0.05) on the one-step
    SSE, initial level the first value."""

    name: ClassVar[str] = "ses"
    min_points: ClassVar[int] = 2

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        f, alpha = K.ses(y, n, h)
        return f, {"alpha": alpha}


@dataclass(frozen=True)
class Holt(StatsModel):
    """Holt's linear trend (additive, undamped); alpha and beta by grid search, initial states
    from an OLS line through the first five points."""

    name: ClassVar[str] = "holt"
    min_points: ClassVar[int] = 3

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        f, par = K.holt(y, n, h, K.holt_grid())
        return f, {"alpha": par[:, 0], "beta": par[:, 1]}


@dataclass(frozen=True)
class Damped(StatsModel):
    """Additive damped trend (Gardner and McKenzie).

    Parameters
    ----------
    phi : float or None
        Damping factor; None chooses it with alpha and beta from 0.8, 0.85, 0.9, 0.95, 0.98.
    """

    phi: float | None = None
    name: ClassVar[str] = "damped"
    min_points: ClassVar[int] = 3
    log: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if self.phi is not None and not 0 < self.phi <= 1:
            raise FitError(message(f"{self.name} model phi", "must be in (0, 1]", self.phi))

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        phis = K.DAMPED_PHIS if self.phi is None else np.array([self.phi])
        grid = K.holt_grid(phis=phis)
        if self.log:
            f, par = K.holt(np.log(y), n, h, grid)
            f = np.exp(np.clip(f, -700, 700))
        else:
            f, par = K.holt(y, n, h, grid)
        return f, {"alpha": par[:, 0], "beta": par[:, 1], "phi": par[:, 2]}


@dataclass(frozen=True)
class DampedMult(Damped):
    """Multiplicative damped trend: the additive damped trend fitted to log values (level and
    trend multiply, errors are relative). Positive series only."""

    name: ClassVar[str] = "damped_mult"
    positive_only: ClassVar[bool] = True
    log: ClassVar[bool] = True


@dataclass(frozen=True)
class Theta(StatsModel):
    """Standard Theta method (Assimakopoulos and Nikolopoulos 2000, in the SES-with-drift form
    of Hyndman and Billah 2003, as statsmodels' ``ThetaModel``): SES plus half the OLS slope."""

    name: ClassVar[str] = "theta"
    min_points: ClassVar[int] = 3

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        f, alpha, _ = K.theta(y, n, h)
        return f, {"alpha": alpha}


@dataclass(frozen=True)
class ThetaOpt(StatsModel):
    """Optimised Theta: SES with drift ``(1 - 1/theta) b``, alpha and theta (1, 4/3, 2, 4 or
    infinity) chosen together by the in-sample one-step MSE (the idea of Fiorucci et al.'s
    optimised Theta method, on a grid)."""

    name: ClassVar[str] = "theta_opt"
    min_points: ClassVar[int] = 3

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        f, alpha, share = K.theta_opt(y, n, h)
        with np.errstate(divide="ignore"):
            th = np.where(share < 1, 1 / (1 - share), np.inf)
        return f, {"alpha": alpha, "theta": th}
