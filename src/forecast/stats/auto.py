"""The automatic method: a robust median combination of four simple, diverse forecasters.

Why a combination and not a selection. On yearly histories of 5 to 40 points information
criteria and in-sample fit cannot tell reliably which model will forecast best; selection then
adds its own error, while averaging forecasts that err in different directions cancels part of
the error (the M3 and M4 competitions' main lesson; Makridakis et al. 2020). The median of the
members (the mean of the middle two of four) keeps that benefit and ignores the one member that
runs off, so no weights have to be estimated.

The members and why each is there:

1. **Theta on log values** (SES plus half the OLS slope; the M3 winner's method) - growth is
   multiplicative for market sizes, so the trend is extrapolated as a growth rate, half-damped.
2. **Random walk with drift** - the full average historical change; the strongest simple
   benchmark on yearly data.
3. **Damped additive trend** (phi = 0.9 fixed, alpha/beta on a grid) - a trend that fades, the
   safe choice when recent growth may not last. phi is fixed rather than estimated because
   short series cannot estimate it (Gardner 2006 shows 0.9 to 0.98 works best in practice).
4. **Damped trend on log values** (phi = 0.9) - the same with relative growth.

Log members are used only for series with all values strictly positive; otherwise they are
dropped (the combination becomes the mean of members 2 and 3) and the reason says so. Series of
fewer than 3 points fall back to the random walk with drift (2 points) or naive (1 point).

Evaluated on M3 yearly (645 series, h = 6) by ``benchmarks/m3_yearly.py``; the design was chosen
on M1 and Tourism yearly series, not M3's held-out years.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from . import kernels as K
from .kernels import FloatArray, IntArray
from .models import Drift, Naive, Params, StatsModel

AUTO_PHI = 0.9


def _log_rows(y: FloatArray, n: IntArray) -> FloatArray:
    """Log of the rows that are strictly positive over their whole length; NaN rows otherwise."""
    m = np.arange(y.shape[1])[None, :] < n[:, None]
    ok = np.all(np.where(m, y > 0, True), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(ok[:, None] & m, np.log(np.where(m & (y > 0), y, 1.0)), np.nan)
    return np.asarray(out, dtype=float)


MEMBERS = ("drift", "damped", "theta_log", "damped_log")


def member_forecasts(y: FloatArray, n: IntArray, h: int) -> list[FloatArray]:
    """Point forecasts ``(N, h)`` of every member, in the order of :data:`MEMBERS`; the log
    members are NaN for rows that are not strictly positive."""
    grid = K.holt_grid(phis=(AUTO_PHI,))
    logy = _log_rows(y, n)
    positive = np.isfinite(logy[:, 0])
    members = [K.drift(y, n, h), K.holt(y, n, h, grid)[0]]
    if positive.any():
        yl, nl = logy[positive], n[positive]
        for f_log in (K.theta(yl, nl, h)[0], K.holt(yl, nl, h, grid)[0]):
            full = np.full((len(n), h), np.nan)
            full[positive] = np.exp(np.clip(f_log, -700, 700))
            members.append(full)
    return members


def combination(y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
    """Median of the four members (three-member rows: see the module docstring)."""
    members = member_forecasts(y, n, h)
    positive = np.isfinite(members[-1][:, 0]) if len(members) > 2 else np.zeros(len(n), bool)
    stack = np.stack(members)
    f = np.nanmedian(stack, axis=0) if len(members) > 2 else np.mean(stack, axis=0)
    return np.asarray(f, dtype=float), {"members": np.where(positive, 4.0, 2.0)}


def member_weights(values: FloatArray, h: int) -> dict[str, float]:
    """Weight of every member in the combination's forecast ``h`` years ahead for one series:
    1/2 for each of the middle two of four (the median), 1/2 each when only drift and damped
    trend apply, 0 for the others."""
    fc = member_forecasts(values[None, :], np.array([len(values)]), h)
    last = {name: float(f[0, -1]) for name, f in zip(MEMBERS, fc, strict=False)}
    usable = [m for m in MEMBERS if np.isfinite(last.get(m, np.nan))]
    if len(usable) == 4:
        usable = sorted(usable, key=lambda m: last[m])[1:3]
    return {m: (0.5 if m in usable else 0.0) for m in MEMBERS}


@dataclass(frozen=True)
class Auto(StatsModel):
    """Automatic method: median of log-Theta, drift, damped trend and log-damped trend.

    See :mod:`forecast.stats.auto` for the choices and their reasons. Never refuses a history:
    short ones fall back to drift or naive, non-positive ones drop the log members, and the fit's
    ``reason`` says which.
    """

    name: ClassVar[str] = "auto"
    min_points: ClassVar[int] = 3
    log_intervals: ClassVar[bool] = True  # see forecast.stats.log_intervals

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`."""
        return combination(y, n, h)

    def resolve(self, values: FloatArray) -> tuple[StatsModel, str]:
        """Fall back to drift or naive for short histories; note dropped log members."""
        if len(values) < self.min_points:
            used = fallback_for(values)
            return used, (
                f"auto: needs at least {self.min_points} points; got {len(values)}; used "
                f"{used.name}"
            )
        if not np.all(values > 0):
            return self, (
                "auto: log members need positive values; got minimum "
                f"{np.min(values):g}; combined drift and damped trend only"
            )
        return self, ""


def fallback_for(values: FloatArray, after: StatsModel | None = None) -> StatsModel:
    """The next model to try for ``values``.

    Without ``after``: the simplest model that applies (drift for two or more points, else
    naive). After a failed model: auto (resolved) for any other model, drift after auto, naive
    after drift or naive.
    """
    if after is not None and after.name not in ("auto", "drift", "naive"):
        return Auto().resolve(values)[0]
    if len(values) >= 2 and (after is None or after.name == "auto"):
        return Drift()
    return Naive()
