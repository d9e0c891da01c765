"""Distributions over scenario assumptions, parsed from what a TOML scenario says.

A scenario writes an uncertain assumption under ``[assumptions.<name>]`` as a table with a ``dist``
key, or as a bare value::

    [assumptions]
    saturation = "200 to 400 billion USD"          # a 90% range (lognormal for money)
    base_year_share = 0.35                          # fixed

    [assumptions.ceiling]
    dist = "pert"
    min = "2T"
    mode = "3T"
    max = "8T"
    source = "Analyst survey, 2024"

:func:`parse_distribution` turns such a value into a frozen :class:`Distribution`.  Every
distribution exposes a vectorised inverse CDF :meth:`Distribution.ppf` on uniforms in ``(0, 1)``,
so one sampler (Monte Carlo, Latin hypercube, Sobol, a copula) serves every kind.

Values are read by unit: ``"money"`` through :func:`forecast.money.parse_money` (USD billion; bare
numbers are refused), ``"rate"`` through :func:`forecast.money.parse_rate` (``"35.9%"``),
``"share"`` as plain numbers in ``[0, 1]`` and ``"number"`` as plain numbers.  A money quantity must
be positive with probability ~1 and a share must stay in ``[0, 1]``: a distribution whose 0.1% or
99.9% quantile leaves the unit's domain is refused.

Longer than 500 lines because it holds every distribution a scenario may write (eight short
classes) and the one parser of their TOML forms with its domain checks; split by family, the
parser and the checks every family shares would have to be imported back into each piece.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Final, Literal, NoReturn, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .. import units
from ..errors import ScenarioError, near_miss
from ..money import format_money, parse_money, parse_rate

__all__ = [
    "DIST_KINDS",
    "Cases",
    "Distribution",
    "Empirical",
    "Fixed",
    "LogNormal",
    "LogitNormal",
    "Normal",
    "Pert",
    "Triangular",
    "Uniform",
    "Unit",
    "parse_distribution",
]

Unit: TypeAlias = Literal["money", "rate", "share", "number"]
FloatArray: TypeAlias = NDArray[np.float64]

Z95: Final = 1.6448536269514722  # scipy.special.ndtri(0.95) written out (tests check it)
"""Standard normal 95% quantile: a 90% range spans ``2 * Z95`` standard deviations."""

_TAIL: Final = 0.001  # a distribution's 0.1% / 99.9% quantiles must stay in the unit's domain


def _fmt(value: float, unit: Unit) -> str:
    """Format one value the way the scenario writes it."""
    if unit == "money":
        return format_money(value, unit=units.current())  # the unit the scenario is shown in
    if unit == "rate":
        return f"{value * 100:.4g}%"
    return f"{value:.4g}"


# ------------------------------------------------------------------------------------------------
# The distributions
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution(ABC):
    """An assumption's distribution: a frozen value with a vectorised inverse CDF.

    Subclasses hold their parameters in the unit's canonical scale (USD billion for money,
    fractions for rates and shares) plus ``unit`` (for :meth:`describe`) and ``source``.
    """

    kind: ClassVar[str]

    @abstractmethod
    def ppf(self, u: FloatArray) -> FloatArray:
        """Return the inverse CDF at uniforms ``u`` in ``(0, 1)``, elementwise, same shape."""

    @property
    @abstractmethod
    def mean(self) -> float:
        """The expected value."""

    @property
    @abstractmethod
    def support(self) -> tuple[float, float]:
        """The smallest and largest possible values (``-inf``/``inf`` when unbounded)."""

    @abstractmethod
    def describe(self) -> str:
        """One short line such as ``"PERT(min $2T, mode $3T, max $8T)"``."""

    @property
    def median(self) -> float:
        """The 50% quantile (for discrete kinds, the smallest value with CDF >= 0.5)."""
        return self.quantile(0.5)

    @property
    def is_fixed(self) -> bool:
        """True when the distribution has a single possible value."""
        lo, hi = self.support
        return lo == hi

    def quantile(self, q: float) -> float:
        """Return the ``q`` quantile, ``0 <= q <= 1`` (0 and 1 give the support's ends).

        Parameters
        ----------
        q : float
            Probability level.

        Returns
        -------
        float
            The quantile, in the unit's canonical scale.
        """
        if isinstance(q, bool) or not 0.0 <= float(q) <= 1.0:
            raise ScenarioError(f"quantile: q must be between 0 and 1; got {q!r}")
        if q == 0.0:
            return self.support[0]
        if q == 1.0:
            return self.support[1]
        return float(self.ppf(np.array([float(q)]))[0])


@dataclass(frozen=True)
class Fixed(Distribution):
    """A known value."""

    value: float
    unit: Unit = "number"
    source: str = ""
    kind: ClassVar[str] = "fixed"

    def ppf(self, u: FloatArray) -> FloatArray:
        return np.full(np.shape(u), self.value, dtype=np.float64)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def describe(self) -> str:
        return f"Fixed({_fmt(self.value, self.unit)})"


@dataclass(frozen=True)
class _Gaussian(Distribution):
    """``link(N(mu, sigma))``; ``range90`` records the 90% range it was read from, if any."""

    mu: float
    sigma: float
    unit: Unit = "number"
    source: str = ""
    range90: tuple[float, float] | None = None

    @staticmethod
    @abstractmethod
    def _link(z: FloatArray) -> FloatArray:
        """Map the normal scale to values."""

    @abstractmethod
    def _parameters(self) -> str:
        """``"median ..., sd_log ..."``: the parameters as a scenario writes them."""

    def ppf(self, u: FloatArray) -> FloatArray:
        from scipy import special

        return np.asarray(self._link(self.mu + self.sigma * special.ndtri(u)), dtype=np.float64)

    def describe(self) -> str:
        name = type(self).__name__
        if self.range90 is None:
            return f"{name}({self._parameters()})"
        lo, hi = (_fmt(v, self.unit) for v in self.range90)
        return f"{name}(90% range {lo} to {hi})"


@dataclass(frozen=True)
class Normal(_Gaussian):
    """Normal with mean ``mu`` and standard deviation ``sigma`` (in the unit's scale)."""

    kind: ClassVar[str] = "normal"

    @staticmethod
    def _link(z: FloatArray) -> FloatArray:
        return z

    def _parameters(self) -> str:
        return f"mean {_fmt(self.mu, self.unit)}, sd {_fmt(self.sigma, self.unit)}"

    @property
    def mean(self) -> float:
        return self.mu

    @property
    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)


@dataclass(frozen=True)
class LogNormal(_Gaussian):
    """``exp(N(mu, sigma))``: median ``exp(mu)``, ``sigma`` the sd of the log."""

    kind: ClassVar[str] = "lognormal"

    @staticmethod
    def _link(z: FloatArray) -> FloatArray:
        return np.asarray(np.exp(z), dtype=np.float64)

    def _parameters(self) -> str:
        return f"median {_fmt(math.exp(self.mu), self.unit)}, sd_log {self.sigma:.4g}"

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


@dataclass(frozen=True)
class LogitNormal(_Gaussian):
    """``expit(N(mu, sigma))`` on ``(0, 1)``: how a ``range`` of a share is read."""

    kind: ClassVar[str] = "logitnormal"

    @staticmethod
    def _link(z: FloatArray) -> FloatArray:
        from scipy import special

        return np.asarray(special.expit(z), dtype=np.float64)

    def _parameters(self) -> str:
        from scipy import special

        median = _fmt(float(special.expit(self.mu)), self.unit)
        return f"median {median}, sd_logit {self.sigma:.4g}"

    @property
    def mean(self) -> float:
        from scipy import integrate, special, stats

        # No closed form: one-dimensional quadrature over the standard normal.
        def integrand(z: float) -> float:
            return float(special.expit(self.mu + self.sigma * z) * stats.norm.pdf(z))

        value, _ = integrate.quad(integrand, -math.inf, math.inf)
        return float(value)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[lo, hi]``."""

    lo: float
    hi: float
    unit: Unit = "number"
    source: str = ""
    kind: ClassVar[str] = "uniform"

    def ppf(self, u: FloatArray) -> FloatArray:
        return np.asarray(self.lo + (self.hi - self.lo) * u, dtype=np.float64)

    @property
    def mean(self) -> float:
        return (self.lo + self.hi) / 2

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def describe(self) -> str:
        return f"Uniform(min {_fmt(self.lo, self.unit)}, max {_fmt(self.hi, self.unit)})"


@dataclass(frozen=True)
class Triangular(Distribution):
    """Triangular on ``[lo, hi]`` with peak at ``mode``."""

    lo: float
    mode: float
    hi: float
    unit: Unit = "number"
    source: str = ""
    kind: ClassVar[str] = "triangular"

    def ppf(self, u: FloatArray) -> FloatArray:
        # scipy.stats.triang.ppf's own arithmetic (a test holds the two equal to the bit),
        # without loading scipy.stats; NaN outside [0, 1], as there
        width = self.hi - self.lo
        c = (self.mode - self.lo) / width
        q = np.asarray(u, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            x = np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))
        return np.where((q >= 0) & (q <= 1), x * width + self.lo, np.nan)

    @property
    def mean(self) -> float:
        return (self.lo + self.mode + self.hi) / 3

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def describe(self) -> str:
        f = self.unit
        return (
            f"Triangular(min {_fmt(self.lo, f)}, mode {_fmt(self.mode, f)}, max {_fmt(self.hi, f)})"
        )


@dataclass(frozen=True)
class Pert(Distribution):
    """Beta-PERT on ``[lo, hi]`` with mode ``mode`` and shape ``lam`` (4 is the classic PERT).

    ``alpha = 1 + lam (mode - lo) / (hi - lo)``, ``beta = 1 + lam (hi - mode) / (hi - lo)``.
    """

    lo: float
    mode: float
    hi: float
    lam: float = 4.0
    unit: Unit = "number"
    source: str = ""
    kind: ClassVar[str] = "pert"

    @property
    def alpha(self) -> float:
        """First Beta shape parameter."""
        return 1 + self.lam * (self.mode - self.lo) / (self.hi - self.lo)

    @property
    def beta(self) -> float:
        """Second Beta shape parameter."""
        return 1 + self.lam * (self.hi - self.mode) / (self.hi - self.lo)

    def ppf(self, u: FloatArray) -> FloatArray:
        from scipy import special

        x = special.betaincinv(self.alpha, self.beta, u)
        return np.asarray(self.lo + (self.hi - self.lo) * x, dtype=np.float64)

    @property
    def mean(self) -> float:
        return (self.lo + self.lam * self.mode + self.hi) / (self.lam + 2)

    @property
    def support(self) -> tuple[float, float]:
        return (self.lo, self.hi)

    def describe(self) -> str:
        f = self.unit
        lam = "" if self.lam == 4.0 else f", lambda {self.lam:g}"
        return (
            f"PERT(min {_fmt(self.lo, f)}, mode {_fmt(self.mode, f)}, max {_fmt(self.hi, f)}{lam})"
        )


def _step_ppf(sorted_values: FloatArray, cum: FloatArray, u: FloatArray) -> FloatArray:
    """Inverse of a step CDF: the smallest value whose cumulative weight reaches ``u``."""
    idx = np.searchsorted(cum, u, side="left")
    return np.asarray(sorted_values[np.minimum(idx, len(sorted_values) - 1)], dtype=np.float64)


@dataclass(frozen=True)
class Cases(Distribution):
    """Discrete named cases ``names[i]`` with value ``values[i]`` and probability ``weights[i]``.

    The inverse CDF runs over the cases sorted by value, so a higher uniform never gives a lower
    value (rank correlation induced on the uniforms carries over).
    """

    names: tuple[str, ...]
    values: tuple[float, ...]
    weights: tuple[float, ...]
    unit: Unit = "number"
    source: str = ""
    kind: ClassVar[str] = "cases"

    def ppf(self, u: FloatArray) -> FloatArray:
        order = np.argsort(np.asarray(self.values), kind="stable")
        values = np.asarray(self.values, dtype=np.float64)[order]
        cum = np.cumsum(np.asarray(self.weights, dtype=np.float64)[order])
        cum[-1] = 1.0
        return _step_ppf(values, cum, u)

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.weights))

    @property
    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def describe(self) -> str:
        parts = (
            f"{n} {_fmt(v, self.unit)} p={w:.3g}"
            for n, v, w in zip(self.names, self.values, self.weights, strict=True)
        )
        return f"Cases({', '.join(parts)})"


@dataclass(frozen=True)
class Empirical(Distribution):
    """The empirical distribution of ``values`` (each with probability ``1/n``).

    The inverse CDF is the step function ``Q(u) = x_(ceil(n u))`` over the sorted values, the same
    as ``numpy.quantile(values, u, method="inverted_cdf")``: draws only ever take observed values
    (no interpolation invents values between them), and the median of an even-sized sample is the
    lower of the two middle values.
    """

    values: tuple[float, ...]
    unit: Unit = "number"
    source: str = ""
    kind: ClassVar[str] = "empirical"

    def ppf(self, u: FloatArray) -> FloatArray:
        x = np.sort(np.asarray(self.values, dtype=np.float64))
        idx = np.ceil(len(x) * np.asarray(u, dtype=np.float64)).astype(np.intp) - 1
        return np.asarray(x[np.clip(idx, 0, len(x) - 1)], dtype=np.float64)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))

    def describe(self) -> str:
        lo, hi = self.support
        return (
            f"Empirical(n {len(self.values)}, min {_fmt(lo, self.unit)}, max {_fmt(hi, self.unit)})"
        )


# ------------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------------

DIST_KINDS: Final[Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    # dist -> (required keys, optional keys); "dist" and "source" are allowed everywhere.
    "fixed": (frozenset({"value"}), frozenset()),
    "normal": (frozenset({"mean", "sd"}), frozenset()),
    "lognormal": (frozenset(), frozenset({"median", "sd_log", "range"})),
    "uniform": (frozenset({"min", "max"}), frozenset()),
    "triangular": (frozenset({"min", "mode", "max"}), frozenset()),
    "pert": (frozenset({"min", "mode", "max"}), frozenset({"lambda"})),
    "range": (frozenset({"range"}), frozenset()),
    "cases": (frozenset({"cases"}), frozenset()),
    "empirical": (frozenset({"values"}), frozenset()),
}
"""Accepted ``dist`` values with their required and optional keys."""

_UNITS: Final = ("money", "rate", "share", "number")
_COMMON_KEYS: Final = frozenset({"dist", "source"})
_CASE_KEYS: Final = ("name", "value", "weight")
_RANGE_SPLIT: Final = re.compile(r"\s+to\s+", re.IGNORECASE)
_DASH_RANGE: Final = re.compile(r"[0-9%]\s*[-–—~]\s*[$]?\s*[0-9]")
_LAST_NUMBER_SUFFIX: Final = re.compile(r"[0-9][^0-9]*\Z")
_BARE_NUMBER: Final = re.compile(r"\A[-+−]?\s*(?:us\$|usd|\$)?\s*[-+−]?[0-9][0-9.,]*\Z", re.I)
_FIRST_NUMBER: Final = re.compile(r"[0-9][0-9.,]*(?:e[-+]?[0-9]+)?", re.I)
_DOMAIN_FIX: Final[Mapping[str, str]] = {
    "money": "would produce negative market values; use lognormal or a range",
    "rate": "would produce rates at or below -100%; narrow it or use a range",
    "share": "would produce shares outside [0, 1]; use pert, uniform or a range",
}


def _fail(where: str, rule: str, got: str, hint: str = "") -> NoReturn:
    """Raise the one-line ScenarioError ``<where>: <rule>; got <got><hint>``."""
    raise ScenarioError(f"{where}: {rule}; got {got}{hint}")


def _number(raw: object, where: str) -> float:
    """A plain finite number (TOML int or float; bool refused)."""
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        _fail(where, "must be a plain number", repr(raw))
    value = float(raw)
    if not math.isfinite(value):
        _fail(where, "must be a finite number", repr(raw))
    return value


_READ_MONEY: ContextVar[Callable[[Any, str], float] | None] = ContextVar(
    "forecast_read_money", default=None
)


def _money(raw: object, where: str) -> float:
    """A money value, read as :func:`parse_distribution`'s ``read_money`` reads it."""
    read = _READ_MONEY.get()
    if read is not None:
        return read(raw, where)
    return parse_money(raw, where=where)  # type: ignore[arg-type]  # refuses non-strings


def _value(raw: object, unit: Unit, where: str) -> float:
    """Read one value of the assumption by unit."""
    if unit == "money":
        return _money(raw, where)
    if unit == "rate":
        return parse_rate(raw, where=where)  # type: ignore[arg-type]
    value = _number(raw, where)
    if unit == "share" and not 0.0 <= value <= 1.0:
        _fail(where, "a share must be a number in [0, 1]", repr(raw), "; write e.g. 0.35")
    return value


def _positive_scale(raw: object, unit: Unit, where: str) -> float:
    """A spread (``sd``) in the unit's scale: money and rate strings, or numbers; must be > 0."""
    if unit == "money":
        return _money(raw, where)
    value = parse_rate(raw, where=where) if unit == "rate" else _number(raw, where)  # type: ignore[arg-type]
    if value <= 0:
        _fail(where, "must be positive", repr(raw))
    return value


def _text_end(text: str, unit: Unit, where: str, full: str) -> float:
    """One end of an ``"A to B"`` range, already carrying its unit."""
    if unit == "money":
        return _money(text, where)
    if unit == "rate":
        return parse_rate(text, where=where)
    try:
        value = float(text.replace("−", "-").replace(",", ""))
    except ValueError:
        _fail(
            where, "each end of the range must be a number", repr(full), "; write e.g. '0.2 to 0.4'"
        )
    return _value(value, unit, where)


def _nonpositive_text(text: str) -> bool:
    """True when a money or rate text is negative or zero (detected before parsing)."""
    first = _FIRST_NUMBER.search(text)
    if first is None:
        return False
    if any(ch in "-−" for ch in text[: first.start()]):
        return True
    try:
        return Decimal(first.group().replace(",", "")) == 0
    except InvalidOperation:
        return False


def _parse_range(raw: object, unit: Unit, where: str, *, positive: bool) -> tuple[float, float]:
    """Read ``"A to B <unit>"`` into ``(A, B)`` with ``A < B``; ``positive`` requires both > 0."""
    hint = {
        "money": "; write e.g. '200 to 400 billion USD'",
        "rate": "; write e.g. '5% to 15%'",
    }.get(unit, "; write e.g. '0.2 to 0.4'")
    if not isinstance(raw, str):
        _fail(where, "a range must be a string 'A to B'", repr(raw), hint)
    parts = _RANGE_SPLIT.split(raw.strip())
    if len(parts) != 2 or not all(parts):
        _fail(where, "a range must be two values joined by 'to'", repr(raw), hint)
    low, high = parts
    # "200 to 400 billion USD": the low end borrows the high end's unit text.
    if unit in ("money", "rate") and _BARE_NUMBER.match(low):
        suffix = _LAST_NUMBER_SUFFIX.search(high)
        low = low + (suffix.group()[1:] if suffix else "")
    if (
        positive
        and unit in ("money", "rate")
        and (_nonpositive_text(low) or _nonpositive_text(high))
    ):
        _fail(where, "a lognormal range needs positive ends", repr(raw), hint)
    a = _text_end(low, unit, where, raw)
    b = _text_end(high, unit, where, raw)
    if positive and (a <= 0 or b <= 0):
        _fail(where, "a lognormal range needs positive ends", repr(raw), hint)
    if not a < b:
        _fail(where, "the low end of a range must be below the high end", repr(raw), hint)
    return a, b


def _lognormal_range(a: float, b: float, unit: Unit, source: str) -> LogNormal:
    """The lognormal whose 5% and 95% quantiles are ``a`` and ``b``."""
    log_a, log_b = math.log(a), math.log(b)
    return LogNormal((log_a + log_b) / 2, (log_b - log_a) / (2 * Z95), unit, source, (a, b))


def _from_range(a: float, b: float, unit: Unit, source: str, where: str) -> Distribution:
    """A 90% range read by unit: lognormal (money), logit-normal (share), normal (rate, number)."""
    if unit == "money":
        return _lognormal_range(a, b, unit, source)
    if unit == "share":
        if a <= 0 or b >= 1:
            _fail(
                where,
                "a range of a share must lie strictly inside (0, 1) (it is read as logit-normal)",
                f"{a:g} to {b:g}",
                "; use pert or uniform to include 0 or 1",
            )
        from scipy import special

        lo, hi = float(special.logit(a)), float(special.logit(b))
        return LogitNormal((lo + hi) / 2, (hi - lo) / (2 * Z95), unit, source, (a, b))
    return Normal((a + b) / 2, (b - a) / (2 * Z95), unit, source, (a, b))


def _check_keys(table: Mapping[str, Any], dist: str, where: str) -> None:
    required, optional = DIST_KINDS[dist]
    allowed = required | optional | _COMMON_KEYS
    for key in table:
        if key not in allowed:
            _fail(
                f"{where}.{key}",
                f"unknown key for dist '{dist}' (allowed: {', '.join(sorted(allowed))})",
                repr(key),
                near_miss(str(key), allowed),
            )
    for key in sorted(required):
        if key not in table:
            _fail(
                where,
                f"dist '{dist}' needs the keys {', '.join(sorted(required))}",
                f"no '{key}'",
            )


def _ordered(
    lo: float, mode: float, hi: float, table: Mapping[str, Any], dist: str, where: str
) -> None:
    got = f"min={table['min']!r}, mode={table['mode']!r}, max={table['max']!r}"
    if not lo <= mode:
        _fail(f"{where}.mode", f"{dist} needs min <= mode <= max, but mode is below min", got)
    if not mode <= hi:
        _fail(f"{where}.mode", f"{dist} needs min <= mode <= max, but mode is above max", got)
    if not lo < hi:
        _fail(f"{where}.max", f"{dist} needs min < max", got)


def _parse_cases(raw: object, unit: Unit, source: str, where: str) -> Cases:
    at = f"{where}.cases"
    example = "; write cases = [{name = 'low', value = ..., weight = 0.25}, ...]"
    if not isinstance(raw, list) or len(raw) < 2:
        _fail(at, "needs a list of at least two cases", repr(raw), example)
    names: list[str] = []
    values: list[float] = []
    weights: list[float] = []
    for i, case in enumerate(raw):
        here = f"{at}[{i}]"
        if not isinstance(case, Mapping):
            _fail(
                here, "each case must be a table with name, value and weight", repr(case), example
            )
        for key in case:
            if key not in _CASE_KEYS:
                _fail(
                    f"{here}.{key}",
                    "unknown key in a case (allowed: name, value, weight)",
                    repr(key),
                    near_miss(str(key), _CASE_KEYS),
                )
        for key in _CASE_KEYS:
            if key not in case:
                _fail(here, "each case needs name, value and weight", f"no '{key}'", example)
        name = case["name"]
        if not isinstance(name, str) or not name.strip():
            _fail(f"{here}.name", "a case name must be a non-empty string", repr(name))
        if name in names:
            _fail(f"{here}.name", "case names must be unique", repr(name))
        weight = _number(case["weight"], f"{here}.weight")
        if not weight > 0:
            _fail(f"{here}.weight", "weights must be positive", repr(case["weight"]))
        names.append(name)
        values.append(_value(case["value"], unit, f"{here}.value"))
        weights.append(weight)
    total = math.fsum(weights)
    if abs(total - 1.0) > 1e-9:
        _fail(
            at,
            "case weights must sum to 1",
            f"sum {total:.12g} (weights {', '.join(f'{w:g}' for w in weights)})",
        )
    return Cases(tuple(names), tuple(values), tuple(w / total for w in weights), unit, source)


def _build(
    table: Mapping[str, Any], dist: str, unit: Unit, source: str, where: str
) -> Distribution:
    """Build the distribution of a validated-keys table (values still raw)."""

    def val(key: str) -> float:
        return _value(table[key], unit, f"{where}.{key}")

    if dist == "fixed":
        return Fixed(val("value"), unit, source)
    if dist == "normal":
        return Normal(val("mean"), _positive_scale(table["sd"], unit, f"{where}.sd"), unit, source)
    if dist == "lognormal":
        keys = {"median", "sd_log", "range"} & set(table)
        if keys == {"range"}:
            a, b = _parse_range(table["range"], unit, f"{where}.range", positive=True)
            return _lognormal_range(a, b, unit, source)
        if keys != {"median", "sd_log"}:
            _fail(
                where,
                "lognormal needs either median and sd_log, or range (not both)",
                f"keys {', '.join(sorted(keys)) or 'none'}",
            )
        median = val("median")
        if not median > 0:
            _fail(f"{where}.median", "a lognormal median must be positive", repr(table["median"]))
        sd_log = _number(table["sd_log"], f"{where}.sd_log")
        if not sd_log > 0:
            _fail(f"{where}.sd_log", "must be positive", repr(table["sd_log"]))
        return LogNormal(math.log(median), sd_log, unit, source)
    if dist == "uniform":
        lo, hi = val("min"), val("max")
        if not lo < hi:
            got = f"min={table['min']!r}, max={table['max']!r}"
            _fail(f"{where}.max", "uniform needs min < max", got)
        return Uniform(lo, hi, unit, source)
    if dist in ("triangular", "pert"):
        lo, mode, hi = val("min"), val("mode"), val("max")
        _ordered(lo, mode, hi, table, dist, where)
        if dist == "triangular":
            return Triangular(lo, mode, hi, unit, source)
        lam_raw = table.get("lambda", 4.0)
        lam = _number(lam_raw, f"{where}.lambda")
        if not lam > 0:
            _fail(
                f"{where}.lambda", "PERT lambda must be positive (4 is classic PERT)", repr(lam_raw)
            )
        return Pert(lo, mode, hi, lam, unit, source)
    if dist == "range":
        a, b = _parse_range(table["range"], unit, f"{where}.range", positive=unit == "money")
        return _from_range(a, b, unit, source, f"{where}.range")
    if dist == "cases":
        return _parse_cases(table["cases"], unit, source, where)
    # empirical
    raw = table["values"]
    if not isinstance(raw, list) or len(raw) < 2:
        _fail(f"{where}.values", "empirical needs a list of at least two values", repr(raw))
    values = tuple(_value(v, unit, f"{where}.values[{i}]") for i, v in enumerate(raw))
    return Empirical(values, unit, source)


def _check_domain(d: Distribution, unit: Unit, where: str) -> None:
    """Refuse distributions whose 0.1%/99.9% quantiles leave the unit's domain."""
    if unit == "number" or d.is_fixed:
        return
    lo, hi = d.quantile(_TAIL), d.quantile(1 - _TAIL)
    bad = {
        "money": lo <= 0,
        "rate": lo <= -1,
        "share": lo < 0 or hi > 1,
    }[unit]
    if bad:
        _fail(
            where,
            f"{d.describe()} {_DOMAIN_FIX[unit]}",
            f"0.1% quantile {_fmt(lo, unit)} and 99.9% quantile {_fmt(hi, unit)}",
        )


def parse_distribution(
    spec: object,
    *,
    where: str,
    unit: Unit,
    read_money: Callable[[Any, str], float] | None = None,
) -> Distribution:
    """Parse one ``[assumptions.<name>]`` entry of a scenario into a distribution.

    Parameters
    ----------
    spec : object
        What the TOML holds: a table with ``dist`` and that kind's keys (see :data:`DIST_KINDS`;
        ``source`` is allowed on every kind), a bare ``"A to B"`` string (a 90% range, as with
        ``dist = "range"``), or a bare value (fixed).
    where : str
        Prefix for error messages, e.g. ``"scen.toml: assumptions.saturation"``; keys are
        appended as ``<where>.<key>``.
    unit : {"money", "rate", "share", "number"}
        How values are read: money strings (USD billion), percent strings, plain numbers in
        ``[0, 1]``, plain numbers.
    read_money : callable, optional
        ``read_money(text, where)`` reads a money string in a scenario's own unit (its
        currency and scale); by default :func:`~forecast.money.parse_money` (USD billion).

    Returns
    -------
    Distribution
        A frozen distribution in the unit's canonical scale.

    Raises
    ------
    ScenarioError
        One line naming ``where``, the key, the rule and the value: unknown ``dist`` or key
        (with a near-miss hint), missing keys, misordered bounds, non-positive weights or ends of
        a lognormal range, weights that do not sum to 1, and distributions that leave the unit's
        domain (negative money, shares outside ``[0, 1]``, rates at or below -100%).
    MoneyError
        When a money or rate string cannot be parsed (from :mod:`forecast.money`).

    Examples
    --------
    >>> parse_distribution({"dist": "pert", "min": "2T", "mode": "3T", "max": "8T"},
    ...                    where="s.toml: assumptions.ceiling", unit="money").describe()
    'PERT(min $2T, mode $3T, max $8T)'
    >>> parse_distribution("5% to 15%", where="x", unit="rate").quantile(0.95)
    0.15
    """
    if unit not in _UNITS:
        _fail("unit", f"must be one of {', '.join(_UNITS)}", repr(unit))
    token = _READ_MONEY.set(read_money)
    try:
        return _parse_distribution(spec, where, unit)
    finally:
        _READ_MONEY.reset(token)


def _parse_distribution(spec: object, where: str, unit: Unit) -> Distribution:
    if isinstance(spec, Mapping):
        if "dist" not in spec:
            _fail(
                where,
                "an assumption table needs a 'dist' key",
                f"keys {', '.join(map(str, spec)) or 'none'}",
                f"; use one of {', '.join(DIST_KINDS)}",
            )
        dist = spec["dist"]
        if not isinstance(dist, str) or dist not in DIST_KINDS:
            _fail(
                f"{where}.dist",
                f"unknown distribution (known: {', '.join(DIST_KINDS)})",
                repr(dist),
                near_miss(str(dist), DIST_KINDS),
            )
        _check_keys(spec, dist, where)
        source = spec.get("source", "")
        if not isinstance(source, str):
            _fail(f"{where}.source", "must be a string", repr(source))
        result = _build(spec, dist, unit, source, where)
        spread = {"normal": "sd", "lognormal": "sd_log"}.get(dist)
        domain_where = f"{where}.{spread}" if spread in spec else where
    elif isinstance(spec, str) and _RANGE_SPLIT.search(spec):
        a, b = _parse_range(spec, unit, where, positive=unit == "money")
        result = _from_range(a, b, unit, "", where)
        domain_where = where
    elif isinstance(spec, str) and _DASH_RANGE.search(spec):
        _fail(where, "write a range as 'A to B' (read as a 90% range)", repr(spec))
    elif isinstance(spec, str | int | float) and not isinstance(spec, bool):
        result = Fixed(_value(spec, unit, where), unit)
        domain_where = where
    else:
        _fail(
            where,
            "an assumption must be a value, an 'A to B' range or a table with 'dist'",
            repr(spec),
        )
    _check_domain(result, unit, domain_where)
    return result
