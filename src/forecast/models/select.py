"""Choosing among growth families by out-of-sample error on the history's last points.

In-sample criteria favour the family whose shape happens to follow a short history, and AICc's
small-sample penalty can decide between families that fit equally well. What matters for a
projection is how a family forecasts, so :func:`compare_families` refits each family on the
history up to each of its last ``origins`` years (rolling origin) and scores the one-year-ahead
point forecast (the point path, started from the last actual value as projections are) by its
absolute error on the log scale (relative error; level scale for additive errors). Families are
ordered by their mean error, AICc on the whole history breaking ties and ordering families that
could not be scored.

A family is called best only when the evidence separates it: at least
:data:`MIN_FORECASTS` scored forecasts, and its mean error below every other scored family's by
more than :data:`SEPARATION` standard errors of their paired difference (about a one-sided 5%
test with a handful of forecasts). Otherwise :attr:`FamilyComparison.best`
is None and :attr:`FamilyComparison.reason` says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ForecastError, message
from ..types import ErrorMode
from .curves import FloatArray
from .fit import GrowthFit, GrowthModel
from .simulate import point_path

#: Scored forecasts a family needs before it can be called best.
MIN_FORECASTS = 3
#: Rolling origins tried at most (the history's last years).
MAX_ORIGINS = 4
#: Standard errors of the paired difference by which the best family must lead every other.
SEPARATION = 2.0


@dataclass(frozen=True)
class FamilyScore:
    """One family: its fit to the whole history (None when it failed), the absolute errors of
    its rolling-origin one-year-ahead forecasts, and its AICc."""

    family: str
    fit: GrowthFit | None
    errors: tuple[float, ...]
    aicc: float
    reason: str = ""

    @property
    def mean_error(self) -> float:
        """Mean absolute out-of-sample error (NaN when nothing could be scored)."""
        return float(np.mean(self.errors)) if self.errors else float("nan")


@dataclass(frozen=True)
class FamilyComparison:
    """Families ordered by out-of-sample error (AICc as tie-break); ``best`` only when the
    evidence separates one (see the module docstring)."""

    scores: tuple[FamilyScore, ...]
    best: str | None
    reason: str
    scale: str  # "log" (relative errors) or "level"

    @property
    def fits(self) -> tuple[GrowthFit, ...]:
        """The fits to the whole history, in order (failed families left out)."""
        return tuple(s.fit for s in self.scores if s.fit is not None)


def _sort_key(s: FamilyScore) -> tuple[bool, float, bool, float]:
    me, a = s.mean_error, s.aicc
    # errors equal to three significant digits tie (a logistic with its ceiling near the bound
    # forecasts as the exponential does); AICc breaks the tie
    rounded = float(f"{me:.3g}") if math.isfinite(me) else 0.0
    return (not math.isfinite(me), rounded, not math.isfinite(a), a)


def compare_families(
    years: Sequence[float] | FloatArray,
    values: Sequence[float] | FloatArray,
    families: Sequence[str],
    *,
    error: ErrorMode = "multiplicative",
    origins: int = MAX_ORIGINS,
) -> FamilyComparison:
    """Fit each family to the history and score it by rolling-origin forecasts.

    Parameters
    ----------
    years, values : array-like
        The history (years strictly increasing).
    families : sequence of str
        Growth families to compare (names in :data:`forecast.models.FAMILIES`).
    error : {"multiplicative", "additive"}
        Error model of the fits; also the scale errors are measured on.
    origins : int
        At most this many of the history's last years are forecast, each from the years before
        it.
    """
    t = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    if origins < 1:
        raise ForecastError(message("origins", "must be a positive whole number", origins))
    scores = []
    for name in families:
        model = GrowthModel(family=name, error=error)
        try:
            whole: GrowthFit | None = model.fit(t, y)
        except ForecastError as exc:
            whole, reason = None, str(exc).split("; ")[0]
        else:
            reason = ""
        errs = []
        for o in range(max(1, len(t) - origins), len(t)):
            try:
                fit = model.fit(t[:o], y[:o])
            except ForecastError:
                continue
            if fit.dof < 1:  # nothing left to check the shape against
                continue
            f = float(point_path(fit, [t[o]])[0])
            if error == "multiplicative":
                if not f > 0:
                    continue
                errs.append(abs(math.log(y[o] / f)))
            else:
                errs.append(abs(y[o] - f))
        aicc = whole.aicc if whole is not None else float("nan")
        scores.append(FamilyScore(name, whole, tuple(errs), aicc, reason))
    ordered = tuple(sorted(scores, key=_sort_key))
    best, why = _separated(ordered)
    return FamilyComparison(ordered, best, why, "log" if error == "multiplicative" else "level")


def _separated(scores: Sequence[FamilyScore]) -> tuple[str | None, str]:
    """The best family when the evidence separates it, with the reason either way."""
    scored = [s for s in scores if s.errors]
    if len(scored) < 2:
        return None, "fewer than two families could be scored out of sample"
    top = scored[0]
    n = min(len(s.errors) for s in scored)
    if n < MIN_FORECASTS:
        return None, (
            f"only {n} out-of-sample forecast(s) per family (at least {MIN_FORECASTS} needed to "
            "call one best)"
        )
    for other in scored[1:]:
        k = min(len(top.errors), len(other.errors))
        diff = np.array(other.errors[-k:]) - np.array(top.errors[-k:])
        se = float(np.std(diff, ddof=1) / math.sqrt(k)) if k > 1 else float("inf")
        if not float(np.mean(diff)) > SEPARATION * se:
            return None, (
                f"{top.family} and {other.family} forecast the last {k} years about equally "
                f"well (difference {float(np.mean(diff)):.3g}, standard error {se:.3g})"
            )
    return top.family, f"lowest out-of-sample error over {n} forecasts, separated from the others"
