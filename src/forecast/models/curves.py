"""Growth-curve families as pure numpy kernels.

Every family is a :class:`Family`: named parameters with units, a vectorised curve
``curve(t, theta)`` (``t`` of shape ``(T,)``, ``theta`` of shape ``(..., P)``, result ``(..., T)``),
data-driven default bounds and starting points, and closed-form derived quantities. Nothing here
knows about scenarios, pandas or fitting; :mod:`forecast.models.fit` drives these kernels.

Time is in calendar years. ``t_ref`` is the reference year of the fit (the last history year) and
is used by the families whose level parameter is "the value at the reference year".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ..families import FAMILY_NAMES

FloatArray = NDArray[np.float64]
ParamUnit = Literal["money", "money_per_year", "rate", "year"]

_EXP_CLIP = 700.0  # exp(700) ~ 1e304: the largest exponent that stays finite in float64


def _exp(x: FloatArray) -> FloatArray:
    """Overflow-safe exponential."""
    return np.exp(np.clip(x, -_EXP_CLIP, _EXP_CLIP))


def _col(theta: FloatArray, i: int) -> FloatArray:
    """Parameter ``i`` of ``theta`` (..., P) shaped to broadcast against ``t`` (T,)."""
    return np.asarray(theta[..., i], dtype=float)[..., None]


# --------------------------------------------------------------------------------------------
# Curves
# --------------------------------------------------------------------------------------------


def exponential(t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
    """Constant growth: ``y0 * (1 + cagr) ** (t - t_ref)``."""
    y0, g = _col(theta, 0), _col(theta, 1)
    return y0 * _exp(np.log1p(np.maximum(g, -1 + 1e-12)) * (t - t_ref))


def linear(t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
    """Straight line: ``level + slope * (t - t_ref)``."""
    return _col(theta, 0) + _col(theta, 1) * (t - t_ref)


def logistic(t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
    """Logistic (Verhulst/Fisher-Pry): ``K / (1 + exp(-r (t - t_mid)))``."""
    from scipy.special import expit  # here, not at the top: see forecast.cli.app

    k, r, tm = _col(theta, 0), _col(theta, 1), _col(theta, 2)
    return np.asarray(k * expit(r * (t - tm)), dtype=float)


def gompertz(t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
    """Gompertz ``K exp(-exp(-c (t - t_mid)))`` (``K exp(-b e^{-ct})``), inflection at t_mid."""
    k, c, tm = _col(theta, 0), _col(theta, 1), _col(theta, 2)
    return k * _exp(-_exp(-c * (t - tm)))


def bass_fraction(tau: FloatArray, p: FloatArray, q: FloatArray) -> FloatArray:
    """Bass cumulative adoption fraction ``F(tau)``; zero before launch (``tau <= 0``)."""
    tau = np.maximum(tau, 0.0)
    e = _exp(-(p + q) * tau)
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_density(tau: FloatArray, p: FloatArray, q: FloatArray) -> FloatArray:
    """Bass adoption density ``f(tau) = (p+q)^2/p * e / (1 + (q/p) e)^2``, zero before launch."""
    e = _exp(-(p + q) * np.maximum(tau, 0.0))
    dens = ((p + q) ** 2 / p) * e / (1.0 + (q / p) * e) ** 2
    return np.where(tau >= 0, dens, 0.0)


def bass(t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
    """Bass diffusion, cumulative form: market size ``M F(t - launch)`` (an S-curve to M)."""
    m, p, q, t0 = (_col(theta, i) for i in range(4))
    return m * bass_fraction(t - t0, p, q)


def bass_sales(t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
    """Bass diffusion, density form: per-period adoption ``M f(t - launch)`` (rises, then falls).

    This is the continuous density evaluated at ``t``, the form of R's ``nls`` textbook example,
    not the difference of cumulative adoption between periods.
    """
    m, p, q, t0 = (_col(theta, i) for i in range(4))
    return m * bass_density(t - t0, p, q)


# --------------------------------------------------------------------------------------------
# Derived quantities (closed forms)
# --------------------------------------------------------------------------------------------


def _bass_peak(theta: Sequence[float]) -> float | None:
    """Year of peak adoption rate: ``launch + ln(q/p)/(p+q)``; none when q <= p."""
    _, p, q, t0 = theta
    if q <= p:
        return None
    return float(t0 + np.log(q / p) / (p + q))


def _no_inflection(theta: Sequence[float]) -> float | None:
    return None


# --------------------------------------------------------------------------------------------
# Starting points (deterministic, data-driven)
# --------------------------------------------------------------------------------------------

Starts = Callable[[FloatArray, FloatArray, float], list[list[float]]]


def _ols(x: FloatArray, z: FloatArray) -> tuple[float, float]:
    """Intercept and slope of z on x (slope 0 when x is constant)."""
    if len(x) < 2 or np.ptp(x) == 0:
        return float(np.mean(z)), 0.0
    slope, intercept = np.polyfit(x, z, 1)
    return float(intercept), float(slope)


def _start_exponential(t: FloatArray, y: FloatArray, t_ref: float) -> list[list[float]]:
    b0, b1 = _ols(t - t_ref, np.log(np.maximum(y, 1e-300)))
    return [[float(np.exp(b0)), float(np.expm1(b1))]]


def _start_linear(t: FloatArray, y: FloatArray, t_ref: float) -> list[list[float]]:
    b0, b1 = _ols(t - t_ref, y)
    return [[b0, b1]]


_K_MULTIPLES = (1.3, 2.0, 4.0, 10.0, 30.0)


def _start_sigmoid(link: Callable[[FloatArray], FloatArray]) -> Starts:
    """Starts for K-saturating curves: for several K, linearise with ``link(y/K)`` and regress."""

    def starts(t: FloatArray, y: FloatArray, t_ref: float) -> list[list[float]]:
        out = []
        for mult in _K_MULTIPLES:
            k = float(np.max(y)) * mult
            z = link(np.clip(y / k, 1e-9, 1 - 1e-9))
            b0, b1 = _ols(t, z)
            rate = b1 if b1 > 1e-3 else 0.3
            t_mid = -b0 / b1 if b1 > 1e-3 else float(np.max(t)) + 5
            out.append([k, rate, t_mid])
        return out

    return starts


def _fisher_pry(f: FloatArray) -> FloatArray:
    return np.asarray(np.log(f / (1 - f)), dtype=float)


def _gompertz_link(f: FloatArray) -> FloatArray:
    return np.asarray(-np.log(-np.log(f)), dtype=float)


def _start_bass(t: FloatArray, y: FloatArray, t_ref: float) -> list[list[float]]:
    t_first = float(np.min(t))
    peak = float(np.max(y))
    pq = ((0.03, 0.38), (0.01, 0.5), (0.005, 0.7), (0.05, 0.15), (0.002, 0.9))
    out = []
    for mult, (p, q), lag in product(_K_MULTIPLES, pq, (1.0, 5.0, 12.0)):
        out.append([peak * mult, p, q, t_first - lag])
    return out


def _start_bass_sales(t: FloatArray, y: FloatArray, t_ref: float) -> list[list[float]]:
    t_first = float(np.min(t))
    total = float(np.sum(y))
    pq = ((0.03, 0.38), (0.01, 0.5), (0.005, 0.7), (0.05, 0.15))
    out = []
    for mult, (p, q), lag in product((1.0, 2.0, 5.0), pq, (1.0, 5.0)):
        out.append([total * mult, p, q, t_first - lag])
    return out


# --------------------------------------------------------------------------------------------
# Default bounds (data-driven; scenarios and callers may narrow them)
# --------------------------------------------------------------------------------------------

Bounds = tuple[list[float], list[float]]


def _bounds_exponential(t: FloatArray, y: FloatArray) -> Bounds:
    top = float(np.max(y))
    return [top * 1e-4, -0.95], [top * 1e4, 10.0]


def _bounds_linear(t: FloatArray, y: FloatArray) -> Bounds:
    return [-np.inf, -np.inf], [np.inf, np.inf]


def _bounds_sigmoid(t: FloatArray, y: FloatArray) -> Bounds:
    top = float(np.max(y))
    return [top * 0.5, 1e-3, float(np.min(t)) - 100], [top * 1e4, 5.0, float(np.max(t)) + 200]


def _bounds_bass(t: FloatArray, y: FloatArray) -> Bounds:
    top = float(np.max(y))
    first = float(np.min(t))
    return [top * 0.5, 1e-6, 0.0, first - 100], [top * 1e4, 1.0, 5.0, first - 1e-3]


def _bounds_bass_sales(t: FloatArray, y: FloatArray) -> Bounds:
    total = float(np.sum(y))
    first = float(np.min(t))
    return [total * 0.2, 1e-6, 0.0, first - 100], [total * 1e3, 1.0, 5.0, first - 1e-3]


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A growth-curve family: parameters, kernel, bounds, starts and derived quantities."""

    name: str
    params: tuple[str, ...]
    units: tuple[ParamUnit, ...]
    curve: Callable[[FloatArray, FloatArray, float], FloatArray]
    default_bounds: Callable[[FloatArray, FloatArray], Bounds]
    starts: Starts
    description: str
    saturation_param: str | None = None
    inflection: Callable[[Sequence[float]], float | None] = field(default=_no_inflection)
    inflection_label: str = "inflection year"

    def __call__(self, t: FloatArray, theta: FloatArray, t_ref: float) -> FloatArray:
        return self.curve(np.asarray(t, dtype=float), np.asarray(theta, dtype=float), t_ref)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "exponential",
            ("y0", "cagr"),
            ("money", "rate"),
            exponential,
            _bounds_exponential,
            _start_exponential,
            "constant compound annual growth: y0 * (1 + cagr)^(t - t_ref)",
        ),
        Family(
            "linear",
            ("level", "slope"),
            ("money", "money_per_year"),
            linear,
            _bounds_linear,
            _start_linear,
            "straight line: level + slope * (t - t_ref)",
        ),
        Family(
            "logistic",
            ("K", "r", "t_mid"),
            ("money", "rate", "year"),
            logistic,
            _bounds_sigmoid,
            _start_sigmoid(_fisher_pry),
            "logistic S-curve: K / (1 + exp(-r (t - t_mid)))",
            saturation_param="K",
            inflection=lambda th: float(th[2]),
        ),
        Family(
            "gompertz",
            ("K", "c", "t_mid"),
            ("money", "rate", "year"),
            gompertz,
            _bounds_sigmoid,
            _start_sigmoid(_gompertz_link),
            "Gompertz S-curve: K exp(-exp(-c (t - t_mid))), inflection at t_mid with value K/e",
            saturation_param="K",
            inflection=lambda th: float(th[2]),
        ),
        Family(
            "bass",
            ("M", "p", "q", "launch"),
            ("money", "rate", "rate", "year"),
            bass,
            _bounds_bass,
            _start_bass,
            "Bass diffusion, cumulative form: M F(t - launch), F the Bass adoption fraction",
            saturation_param="M",
            inflection=_bass_peak,
            inflection_label="peak adoption-rate year",
        ),
        Family(
            "bass_sales",
            ("M", "p", "q", "launch"),
            ("money", "rate", "rate", "year"),
            bass_sales,
            _bounds_bass_sales,
            _start_bass_sales,
            "Bass diffusion, density form: per-period adoption M f(t - launch)",
            inflection=_bass_peak,
            inflection_label="peak year",
        ),
    )
}


if tuple(FAMILIES) != FAMILY_NAMES:  # pragma: no cover - a developer's slip, caught at import
    raise ImportError(
        f"forecast.models.curves: the kernels must follow the registry (forecast.families); "
        f"got {tuple(FAMILIES)} against {FAMILY_NAMES}"
    )


def get_family(name: str) -> Family:
    """Look a family up by name; unknown names raise ``KeyError`` listing the known ones."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown model family {name!r}; known: {', '.join(FAMILIES)}") from None
