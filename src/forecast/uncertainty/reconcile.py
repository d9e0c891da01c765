"""Forecast reconciliation: make the forecasts of a total and of its parts add up.

A hierarchy has ``n`` nodes: ``a`` aggregates first (the total; for deeper trees also the middle
levels), then the ``m`` bottom series (regions, sectors). Its summing matrix is
``S = [C; I_m]`` (``n x m``), where the ``a x m`` aggregation matrix ``C`` holds 1 where a bottom
series belongs to an aggregate. Base forecasts ``y`` (one per node, forecast level by level) are
*coherent* when ``y = S b`` for some bottom vector ``b``; reconciliation maps them to the
coherent ``y~ = S G y`` with an ``m x n`` matrix ``G`` chosen by the method. Because ``y~`` is
computed as ``S`` times the reconciled parts, the reconciled total equals the sum of the
reconciled parts to float rounding, per draw and per year.

Methods (names as in hierarchicalforecast, whose ``BottomUp``, ``TopDown`` and ``MinTrace`` give
the same numbers on the same inputs; ``tests/test_reconcile.py`` checks it)

``bottom_up``
    ``G = [0 | I_m]``: the parts' base forecasts, summed upwards (Orcutt, Watts & Edwards 1968).
``top_down``
    The grand total's base forecast split by proportions ``p`` (Gross & Sohl 1990):
    ``G = p e_top'``. ``proportions="average_proportions"``: ``p_j = mean_t(y_jt / y_top,t)``;
    ``"proportion_averages"``: ``p_j = mean_t(y_jt) / mean_t(y_top,t)``, both over the reported
    history. When the reported parts do not add up to the reported total the proportions do not
    sum to 1, so the reconciled total differs from the base total by that factor (see
    :func:`coherence_gap`). ``"forecast_proportions"`` (one aggregate only) splits by the parts'
    own base forecasts, ``b~_j = y_top y_j / sum_k y_k`` (equal split when they are all zero);
    this one is not linear, so it has no ``G``.
``ols``, ``wls_struct``, ``wls_var``, ``mint_cov``, ``mint_shrink``
    The trace-minimising projection of Wickramasuriya, Athanasopoulos & Hyndman (2019, JASA
    114:804-819), ``G = (S' W^-1 S)^-1 S' W^-1`` for a positive-definite ``W``, computed without
    inverting ``W`` in the equivalent form ``G = J - J W U (U' W U)^-1 U'`` with
    ``U' = [I_a | -C]`` (the coherence constraints ``U' y = 0``) and ``J = [0 | I_m]``; only the
    small ``a x a`` system ``U' W U`` is solved (Cholesky). ``W`` is

    * ``ols``: ``I`` (Hyndman, Ahmed, Athanasopoulos & Shang 2011): the orthogonal projection;
    * ``wls_struct``: ``diag(S 1)``, the number of bottom series under each node (Athanasopoulos,
      Hyndman, Kourentzes & Petropoulos 2017);
    * ``wls_var``: ``diag(sum_t e_t^2 / T)``, the mean squared in-sample residual of each node;
    * ``mint_cov``: the sample covariance of the residuals (centred, ``T - 1``); needs more
      residual years than nodes, else it is singular;
    * ``mint_shrink``: ``W = lambda D + (1 - lambda) W_s``, the sample covariance ``W_s`` shrunk
      towards its diagonal ``D`` with the Schafer & Strimmer (2005, target D) intensity
      ``lambda = sum_{i!=j} Var(r_ij) / sum_{i!=j} r_ij^2`` clipped to ``[0, 1]``, where ``r_ij``
      are the residual correlations and ``Var(r_ij) = T / (T-1)^3 sum_t (w_tij - mean_t w_tij)^2``
      with ``w_tij`` the products of the standardised residuals (:func:`shrunk_covariance`).

    Residuals are the in-sample one-step errors ``history - fitted``, in levels (not logs), one
    column per node, in the hierarchy's node order.

Non-negative values. Every input value must be non-negative (a market size cannot be negative),
so ``bottom_up`` and ``top_down`` give non-negative results. The projections (``ols`` to
``mint_shrink``) can still give a negative part: moving a large total's excess onto the parts
can push a small part below zero. Such a vector is not a market, and clipping it would break
coherence, so the rule is explicit (``Reconciler.negative``):

* ``"bottom_up"`` (default): every path (one draw's years; the whole array for ``(years, nodes)``
  input) holding a negative value is replaced by the bottom-up reconciliation of its own base
  forecasts, and counted (:attr:`Reconciled.fallbacks`, with the mask ``fell_back``);
* ``"error"``: a :class:`~forecast.errors.ForecastError` names how many paths and the first one.

Non-negative MinT by quadratic programming (Wickramasuriya, Turlach & Hyndman 2020,
hierarchicalforecast's ``nonnegative=True``) is not implemented: it needs one QP per vector.

References
----------
* Athanasopoulos, Hyndman, Kourentzes & Petropoulos (2017), Forecasting with temporal
  hierarchies, EJOR 262:60-74.
* Gross & Sohl (1990), Disaggregation methods to expedite product line forecasting, Journal of
  Forecasting 9:233-254.
* Hyndman, Ahmed, Athanasopoulos & Shang (2011), Optimal combination forecasts for hierarchical
  time series, CSDA 55:2579-2589.
* Orcutt, Watts & Edwards (1968), Data aggregation and information loss, AER 58:773-787.
* Schafer & Strimmer (2005), A shrinkage approach to large-scale covariance matrix estimation,
  SAGMB 4(1):32.
* Wickramasuriya, Athanasopoulos & Hyndman (2019), Optimal forecast reconciliation for
  hierarchical and grouped time series through trace minimization, JASA 114:804-819.

Longer than 500 lines because the reconciliation methods (bottom-up, top-down, OLS, WLS, MinT-
shrink) are each short but share the summing matrix, the covariance estimates and the checks on
them; most of the length is the references and the rules written out in docstrings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ForecastError, message, near_miss

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "NEGATIVE_RULES",
    "RECONCILE_METHODS",
    "TOP_DOWN_PROPORTIONS",
    "CoherenceGap",
    "Hierarchy",
    "NegativeRule",
    "Proportions",
    "ReconcileMethod",
    "Reconciled",
    "Reconciler",
    "Reconciliation",
    "coherence_gap",
    "mint_mapping",
    "shrunk_covariance",
]

FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]
ReconcileMethod: TypeAlias = Literal[
    "bottom_up", "top_down", "ols", "wls_struct", "wls_var", "mint_cov", "mint_shrink"
]
Proportions: TypeAlias = Literal[
    "average_proportions", "proportion_averages", "forecast_proportions"
]
NegativeRule: TypeAlias = Literal["bottom_up", "error"]

RECONCILE_METHODS: Final = (
    "bottom_up",
    "top_down",
    "ols",
    "wls_struct",
    "wls_var",
    "mint_cov",
    "mint_shrink",
)
TOP_DOWN_PROPORTIONS: Final = ("average_proportions", "proportion_averages", "forecast_proportions")
NEGATIVE_RULES: Final = ("bottom_up", "error")
_RCOND: Final = 1e-12  # smallest eigenvalue of W relative to its largest accepted as non-singular


def _choice(value: object, allowed: Sequence[str], where: str, what: str) -> None:
    if value not in allowed:
        hint = near_miss(value, allowed) if isinstance(value, str) else ""
        raise ForecastError(
            message(where, f"{what} must be one of {', '.join(allowed)}", value, hint)
        )


# ------------------------------------------------------------------------------------------------
# The hierarchy
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hierarchy:
    """The summing structure of a total and its parts.

    Parameters
    ----------
    nodes : sequence of str
        Every node's name: the ``a`` aggregates first, then the ``m`` bottom series. Arrays of
        forecasts, history and residuals carry one column per node in this order (last axis).
    aggregation : sequence of sequence of {0, 1}
        The ``a x m`` matrix ``C``: row ``i`` has 1 for the bottom series that aggregate ``i``
        sums. Every aggregate sums at least one bottom series.

    Examples
    --------
    >>> Hierarchy.two_level("World", ["Americas", "EMEA", "APAC"]).nodes
    ('World', 'Americas', 'EMEA', 'APAC')
    """

    nodes: tuple[str, ...]
    aggregation: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        where = "hierarchy"
        if isinstance(self.nodes, str):
            raise ForecastError(message(where, "nodes must be a list of names", self.nodes))
        nodes = tuple(self.nodes)
        for name in nodes:
            if not isinstance(name, str) or not name.strip():
                raise ForecastError(message(where, "node names must be non-empty text", name))
        seen: set[str] = set()
        for name in nodes:
            if name in seen:
                raise ForecastError(f"{where}: node names must be unique; got {name!r} twice")
            seen.add(name)
        try:
            c = np.array(self.aggregation, dtype=float)
        except (TypeError, ValueError):
            raise ForecastError(
                message(where, "the aggregation must be a table of 0s and 1s", self.aggregation)
            ) from None
        a = c.shape[0] if c.ndim == 2 else 0
        m = len(nodes) - a
        if c.ndim != 2 or a < 1 or m < 1 or c.shape[1] != m:
            raise ForecastError(
                f"{where}: the aggregation must have one row per aggregate and one column per "
                f"bottom series (a x m with a + m = {len(nodes)} nodes, a >= 1, m >= 1); got "
                f"shape {c.shape}"
            )
        if not np.all((c == 0) | (c == 1)):
            raise ForecastError(
                message(where, "the aggregation must hold only 0 and 1", c.tolist())
            )
        empty = np.flatnonzero(c.sum(axis=1) == 0)
        if empty.size:
            raise ForecastError(
                f"{where}: every aggregate must sum at least one bottom series; got none under "
                f"{nodes[int(empty[0])]!r}"
            )
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "aggregation", tuple(tuple(int(v) for v in r) for r in c))

    @classmethod
    def two_level(cls, total: str, parts: Sequence[str]) -> Hierarchy:
        """A total and the parts that sum to it (``S = [1'; I_m]``)."""
        return cls((total, *parts), ((1,) * len(parts),))

    @classmethod
    def from_summing(cls, nodes: Sequence[str], summing: ArrayLike) -> Hierarchy:
        """Build from a full summing matrix ``S`` (``n x m``) whose last ``m`` rows are ``I_m``."""
        s = np.asarray(summing, dtype=float)
        if (
            s.ndim != 2
            or s.shape[0] <= s.shape[1]
            or not np.array_equal(s[s.shape[0] - s.shape[1] :], np.eye(s.shape[1]))
        ):
            raise ForecastError(
                f"hierarchy: a summing matrix must be n x m with n > m and its last m rows the "
                f"identity (aggregates first, then the bottom series); got shape {s.shape}"
            )
        return cls(tuple(nodes), tuple(map(tuple, s[: s.shape[0] - s.shape[1]])))

    @property
    def aggregates(self) -> tuple[str, ...]:
        """Names of the aggregate nodes."""
        return self.nodes[: len(self.aggregation)]

    @property
    def bottom(self) -> tuple[str, ...]:
        """Names of the bottom series."""
        return self.nodes[len(self.aggregation) :]

    @property
    def matrix(self) -> FloatArray:
        """The aggregation matrix ``C`` (``a x m``)."""
        return np.array(self.aggregation, dtype=float)

    @property
    def summing(self) -> FloatArray:
        """The summing matrix ``S = [C; I_m]`` (``n x m``)."""
        c = self.matrix
        return np.vstack([c, np.eye(c.shape[1])])

    @property
    def top(self) -> int | None:
        """Index of the grand total (the aggregate summing every bottom series), if any."""
        full = np.flatnonzero(self.matrix.sum(axis=1) == len(self.bottom))
        return int(full[0]) if full.size else None

    def coherent(self, bottom: ArrayLike) -> FloatArray:
        """Every node's value from the bottom series' values (last axis ``m`` -> ``n``)."""
        b = np.asarray(bottom, dtype=float)
        return np.concatenate([b @ self.matrix.T, b], axis=-1)


# ------------------------------------------------------------------------------------------------
# Input checks
# ------------------------------------------------------------------------------------------------


def _position(index: tuple[int, ...], h: Hierarchy) -> str:
    node = f"node {h.nodes[index[-1]]!r}"
    return f"{node} at index {index[:-1]}" if len(index) > 1 else node


def _values(
    x: ArrayLike,
    h: Hierarchy,
    what: str,
    where: str,
    *,
    ndim: int | None = None,
    nonnegative: bool = True,
) -> FloatArray:
    """``x`` as floats, one column per node on the last axis, finite (and non-negative)."""
    try:
        arr = np.array(x, dtype=float)
    except (TypeError, ValueError):
        raise ForecastError(f"{where}: {what} must be numbers; got {type(x).__name__}") from None
    shape_rule = f"{ndim}-D " if ndim else ""
    if arr.ndim < 1 or arr.shape[-1] != len(h.nodes) or (ndim and arr.ndim != ndim):
        raise ForecastError(
            f"{where}: {what} must be {shape_rule}with one column per node on the last axis "
            f"({len(h.nodes)}: {', '.join(h.nodes)}); got shape {arr.shape}"
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        i = tuple(int(v) for v in np.argwhere(bad)[0])
        raise ForecastError(
            f"{where}: {what} must be finite numbers (fill or drop missing years); got "
            f"{arr[i]} for {_position(i, h)}"
        )
    if nonnegative and (arr < 0).any():
        i = tuple(int(v) for v in np.argwhere(arr < 0)[0])
        raise ForecastError(
            f"{where}: {what} must be non-negative (a market size cannot be negative); got "
            f"{arr[i]:g} for {_position(i, h)}"
        )
    return arr


def _check_positive_definite(w: FloatArray, h: Hierarchy, method: str, where: str) -> None:
    diag = np.diag(w)
    if (diag <= 0).any():
        node = h.nodes[int(np.argmin(diag))]
        raise ForecastError(
            f"{where}: {method} needs a positive variance for every node in W (W is singular "
            f"otherwise); got {float(diag.min()):g} for node {node!r} (a perfect in-sample fit?): "
            "use method 'wls_struct' or check that node's fitted values"
        )
    ev = np.linalg.eigvalsh(w)
    if ev[0] <= _RCOND * ev[-1]:
        raise ForecastError(
            f"{where}: {method} needs a positive-definite residual covariance W; got a singular "
            f"one (smallest eigenvalue {ev[0]:.3g}, largest {ev[-1]:.3g}): use method "
            "'mint_shrink' or 'wls_var', or more residual years than nodes"
        )


# ------------------------------------------------------------------------------------------------
# Covariance and the MinT mapping
# ------------------------------------------------------------------------------------------------


def shrunk_covariance(
    residuals: ArrayLike, *, where: str = "residuals"
) -> tuple[FloatArray, float]:
    """Schafer-Strimmer shrinkage of the residual covariance towards its diagonal.

    Parameters
    ----------
    residuals : array_like, shape (T, n)
        In-sample errors, one row per year, one column per node; finite, ``T >= 2``, no
        column constant.
    where : str
        Prefix of error messages.

    Returns
    -------
    W : ndarray, shape (n, n)
        ``lambda D + (1 - lambda) W_s``: the sample covariance ``W_s`` (centred, divided by
        ``T - 1``) with its off-diagonal entries multiplied by ``1 - lambda``.
    lambda : float
        The shrinkage intensity in ``[0, 1]``: ``sum_{i!=j} Var(r_ij) / sum_{i!=j} r_ij^2``
        (1 when every sample correlation is 0).

    Notes
    -----
    With ``x`` the centred residuals standardised by their standard deviations and
    ``w_tij = x_ti x_tj``, the sample correlation is ``r_ij ~ mean_t w_tij`` and
    ``Var(r_ij) = T / (T-1)^3 sum_t (w_tij - mean_t w_tij)^2`` (Schafer & Strimmer 2005, target
    D: diagonal, unequal variances), so ``lambda = sum (sum_t w^2 - T wbar^2) / (T (T-1) sum
    wbar^2)`` over the pairs ``i != j``: the scaling of the standardisation cancels. This is the
    estimator of hierarchicalforecast's ``MinTrace(method="mint_shrink")``, less its guards (it
    adds 2e-8 to each standard deviation and to the denominator, which moves ``lambda`` by about
    ``4e-8 / sum_{i!=j} r_ij^2`` relative).
    """
    e = np.asarray(residuals, dtype=float)
    if e.ndim != 2 or e.shape[0] < 2 or not np.all(np.isfinite(e)):
        raise ForecastError(
            f"{where}: residuals must be a finite years x nodes table with at least 2 years; got "
            f"shape {e.shape}"
        )
    t, n = e.shape
    x = e - e.mean(axis=0)
    if (np.ptp(e, axis=0) == 0).any():
        raise ForecastError(
            f"{where}: residuals must vary in every column to be standardised; got a constant "
            f"column {int(np.argmax(np.ptp(e, axis=0) == 0))}"
        )
    cross = x.T @ x
    w_s = cross / (t - 1)
    sd = np.sqrt(np.diag(cross) / t)
    z = x / sd
    wbar = (z.T @ z) / t
    sum_w2 = (z**2).T @ (z**2)
    off = ~np.eye(n, dtype=bool)
    var_r = (sum_w2 - t * wbar**2)[off].sum() / (t * (t - 1))
    denom = float((wbar[off] ** 2).sum())
    lam = 1.0 if denom == 0.0 else float(np.clip(var_r / denom, 0.0, 1.0))
    w = w_s * (1.0 - lam)
    np.fill_diagonal(w, np.diag(w_s))
    return w, lam


def mint_mapping(
    hierarchy: Hierarchy, weights: ArrayLike, *, where: str = "reconcile"
) -> FloatArray:
    """The MinT mapping ``G = (S' W^-1 S)^-1 S' W^-1`` for a positive-definite ``W``.

    Parameters
    ----------
    hierarchy : Hierarchy
    weights : array_like, shape (n,) or (n, n)
        ``W``: its diagonal (WLS) or the full symmetric matrix (MinT).
    where : str
        Prefix of error messages.

    Returns
    -------
    ndarray, shape (m, n)
        ``G``; reconciled bottom series are ``G y`` and every node ``S G y``.

    Notes
    -----
    Computed as ``G = J - J W U (U' W U)^-1 U'`` with ``U' = [I_a | -C]`` and ``J = [0 | I_m]``
    (Wickramasuriya, Athanasopoulos & Hyndman 2019): one Cholesky solve of the ``a x a`` matrix
    ``U' W U``, no inverse of ``W``.
    """
    c = hierarchy.matrix
    a, m = c.shape
    w = np.asarray(weights, dtype=float)
    if w.ndim == 1:
        w = np.diag(w)
    if w.shape != (a + m, a + m) or not np.all(np.isfinite(w)):
        raise ForecastError(
            f"{where}: W must be finite, a vector of {a + m} variances or a {a + m} x {a + m} "
            f"matrix; got shape {w.shape}"
        )
    asym = float(np.abs(w - w.T).max())
    if asym > 1e-10 * float(np.abs(w).max()):
        raise ForecastError(
            f"{where}: W must be symmetric; got entries differing from their transpose by {asym:g}"
        )
    w = (w + w.T) / 2
    _check_positive_definite(w, hierarchy, "the reconciliation", where)
    u = np.vstack([np.eye(a), -c.T])  # n x a: the constraints U'y = 0 read y_agg - C y_bottom = 0
    wu = w @ u
    import scipy.linalg

    x = scipy.linalg.solve(u.T @ wu, u.T, assume_a="pos")  # (U'WU)^-1 U', a x n
    j = np.hstack([np.zeros((m, a)), np.eye(m)])
    return np.asarray(j - wu[a:] @ x, dtype=float)


# ------------------------------------------------------------------------------------------------
# Spec -> fitted reconciliation -> reconciled values
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciler:
    """Specification of a reconciliation (choices only; :meth:`fit` learns from data).

    Parameters
    ----------
    method : {"bottom_up", "top_down", "ols", "wls_struct", "wls_var", "mint_cov", "mint_shrink"}
        See the module docstring for the formulas. ``wls_var``, ``mint_cov`` and ``mint_shrink``
        need in-sample residuals; ``top_down`` with historical proportions needs the history.
    proportions : {"average_proportions", "proportion_averages", "forecast_proportions"}
        How ``top_down`` splits the total; ignored by the other methods.
    negative : {"bottom_up", "error"}
        What to do with a path whose reconciled values include a negative one (only the
        projections can produce one): replace the path by its bottom-up reconciliation and count
        it, or raise.
    """

    method: ReconcileMethod = "mint_shrink"
    proportions: Proportions = "average_proportions"
    negative: NegativeRule = "bottom_up"

    def __post_init__(self) -> None:
        _choice(self.method, RECONCILE_METHODS, "reconcile", "method")
        _choice(self.proportions, TOP_DOWN_PROPORTIONS, "reconcile", "proportions")
        _choice(self.negative, NEGATIVE_RULES, "reconcile", "negative")

    def fit(
        self,
        hierarchy: Hierarchy,
        *,
        history: ArrayLike | None = None,
        residuals: ArrayLike | None = None,
        where: str = "reconcile",
    ) -> Reconciliation:
        """Learn the reconciliation's mapping.

        Parameters
        ----------
        hierarchy : Hierarchy
        history : array_like, shape (T, n), optional
            Reported values per year, one column per node, non-negative; needed by ``top_down``
            with historical proportions (the grand total and the bottom columns are used).
        residuals : array_like, shape (T, n), optional
            In-sample errors ``history - fitted`` in levels; needed by ``wls_var``, ``mint_cov``
            and ``mint_shrink``; ``T >= 2``.
        where : str
            Prefix of error messages (e.g. ``"scen.toml: segments"``).

        Returns
        -------
        Reconciliation

        Raises
        ------
        ForecastError
            One line when an input is missing or breaks a rule, or ``W`` is singular.
        """
        m, a = len(hierarchy.bottom), len(hierarchy.aggregates)
        if self.method == "bottom_up":
            return Reconciliation(self, hierarchy, np.hstack([np.zeros((m, a)), np.eye(m)]))
        if self.method == "top_down":
            mapping, props = self._top_down(hierarchy, history, where)
            return Reconciliation(self, hierarchy, mapping, proportions=props)
        weights, shrinkage = _projection_weights(self.method, hierarchy, residuals, where)
        mapping = mint_mapping(hierarchy, weights, where=where)
        return Reconciliation(self, hierarchy, mapping, weights, shrinkage)

    def _top_down(
        self, hierarchy: Hierarchy, history: ArrayLike | None, where: str
    ) -> tuple[FloatArray | None, FloatArray | None]:
        """``top_down``'s mapping and historical proportions (both None for
        ``forecast_proportions``, which is not linear)."""
        m, a = len(hierarchy.bottom), len(hierarchy.aggregates)
        top = hierarchy.top
        if top is None:
            raise ForecastError(
                f"{where}: top_down needs an aggregate that sums every bottom series; got "
                f"none among {', '.join(hierarchy.aggregates)}"
            )
        if self.proportions == "forecast_proportions":
            if a != 1:
                raise ForecastError(
                    f"{where}: forecast_proportions is implemented for one total and its "
                    f"parts; got {a} aggregates ({', '.join(hierarchy.aggregates)})"
                )
            return None, None
        if history is None:
            raise ForecastError(
                f"{where}: top_down with {self.proportions} needs the reported history "
                "(history=, years x nodes); got none"
            )
        y = _values(history, hierarchy, "history", where, ndim=2)
        props = _proportions(y, top, a, self.proportions, hierarchy, where)
        mapping = np.zeros((m, m + a))
        mapping[:, top] = props
        return mapping, props


def _projection_weights(
    method: ReconcileMethod, hierarchy: Hierarchy, residuals: ArrayLike | None, where: str
) -> tuple[FloatArray, float | None]:
    """``W`` of a projection method and, for ``mint_shrink``, its shrinkage intensity; the
    residual-based methods check the residuals first."""
    n = len(hierarchy.bottom) + len(hierarchy.aggregates)
    if method == "ols":
        return np.eye(n), None
    if method == "wls_struct":
        return np.diag(hierarchy.summing.sum(axis=1)), None
    if residuals is None:
        raise ForecastError(
            f"{where}: {method} needs in-sample residuals (residuals=, years x "
            "nodes, history minus fitted values); got none"
        )
    e = _values(residuals, hierarchy, "residuals", where, ndim=2, nonnegative=False)
    if e.shape[0] < 2:
        raise ForecastError(
            f"{where}: {method} needs residuals for at least 2 years; got {e.shape[0]}"
        )
    if method == "mint_cov" and e.shape[0] <= n:
        raise ForecastError(
            f"{where}: mint_cov needs more residual years than nodes ({n}) for a "
            f"non-singular covariance; got {e.shape[0]}: use method 'mint_shrink'"
        )
    return _residual_weights(e, method, hierarchy, where)


def _proportions(
    y: FloatArray, top: int, a: int, kind: str, h: Hierarchy, where: str
) -> FloatArray:
    total, parts = y[:, top], y[:, a:]
    if kind == "average_proportions":
        if (total <= 0).any():
            i = int(np.argmax(total <= 0))
            raise ForecastError(
                f"{where}: average_proportions divides by the reported total, which must be "
                f"positive every year; got {total[i]:g} for {h.nodes[top]!r} in row {i}"
            )
        return np.asarray((parts / total[:, None]).mean(axis=0), dtype=float)
    if total.mean() <= 0:
        raise ForecastError(
            f"{where}: proportion_averages divides by the reported total's average, which must "
            f"be positive; got {total.mean():g} for {h.nodes[top]!r}"
        )
    return np.asarray(parts.mean(axis=0) / total.mean(), dtype=float)


def _residual_weights(
    e: FloatArray, method: str, h: Hierarchy, where: str
) -> tuple[FloatArray, float | None]:
    flat = np.flatnonzero(np.ptp(e, axis=0) == 0) if method != "wls_var" else np.array([])
    if flat.size:
        raise ForecastError(
            f"{where}: {method} needs residuals that vary for every node (W is singular "
            f"otherwise); got constant residuals for node {h.nodes[int(flat[0])]!r}: use method "
            "'wls_var' or 'wls_struct'"
        )
    shrinkage = None
    if method == "wls_var":
        w = np.diag((e**2).mean(axis=0))
    elif method == "mint_cov":
        w = np.cov(e, rowvar=False)
    else:
        w, shrinkage = shrunk_covariance(e, where=where)
    _check_positive_definite(w, h, method, where)
    return w, shrinkage


@dataclass(frozen=True, eq=False)
class Reconciliation:
    """A fitted reconciliation. Build it with :meth:`Reconciler.fit`; apply it with :meth:`apply`.

    Attributes
    ----------
    reconciler : Reconciler
    hierarchy : Hierarchy
    mapping : ndarray, shape (m, n), or None
        ``G``: reconciled parts are ``G y``. None for ``forecast_proportions`` (not linear).
    weights : ndarray, shape (n, n), or None
        ``W`` of the projection methods.
    shrinkage : float or None
        Schafer-Strimmer intensity ``lambda`` of ``mint_shrink``.
    proportions : ndarray, shape (m,), or None
        Historical proportions of ``top_down``.
    """

    reconciler: Reconciler
    hierarchy: Hierarchy
    mapping: FloatArray | None
    weights: FloatArray | None = None
    shrinkage: float | None = None
    proportions: FloatArray | None = None

    @property
    def projection(self) -> FloatArray | None:
        """``S G`` (``n x n``): reconciled values are ``S G y``; None when not linear."""
        return None if self.mapping is None else self.hierarchy.summing @ self.mapping

    def apply(self, base: ArrayLike, *, where: str = "reconcile") -> Reconciled:
        """Reconcile base forecasts.

        Parameters
        ----------
        base : array_like, shape (..., n)
            Non-negative base forecasts with the nodes on the last axis: ``(draws, years, n)``
            for a Monte Carlo, ``(years, n)`` for point forecasts, or ``(n,)``.
        where : str
            Prefix of error messages.

        Returns
        -------
        Reconciled
            Values of the same shape; the aggregates are the sums of the reconciled parts.

        Raises
        ------
        ForecastError
            On a bad input, or with ``negative="error"`` when a reconciled value is negative.
        """
        h = self.hierarchy
        y = _values(base, h, "base forecasts", where)
        a = len(h.aggregates)
        if self.mapping is not None:
            parts = y @ self.mapping.T  # one matrix product for every draw and year
        else:  # forecast proportions: the total split by the parts' own forecasts
            own = y[..., a:]
            sums = own.sum(axis=-1, keepdims=True)
            safe = np.where(sums > 0, sums, 1.0)
            share = np.where(sums > 0, own / safe, 1.0 / own.shape[-1])
            parts = y[..., :1] * share
        values = h.coherent(parts)
        path_axes = tuple(range(max(values.ndim - 2, 0), values.ndim))
        fell_back = np.asarray((values < 0).any(axis=path_axes))
        if fell_back.any():
            count, paths = int(fell_back.sum()), int(fell_back.size)
            if self.reconciler.negative == "error":
                first = tuple(int(v) for v in np.argwhere(values < 0)[0])
                raise ForecastError(
                    f"{where}: {self.reconciler.method} gave a negative value in {count} of "
                    f"{paths} paths; got {values[first]:.6g} for {_position(first, h)}: use "
                    "negative='bottom_up' or method 'bottom_up' or 'wls_struct'"
                )
            values[fell_back] = h.coherent(y[fell_back][..., a:])
        return Reconciled(values, fell_back, self.reconciler.method, h.nodes)


@dataclass(frozen=True, eq=False)
class Reconciled:
    """Reconciled values and what the non-negativity rule did.

    Attributes
    ----------
    values : ndarray
        Same shape as the base forecasts; coherent (aggregates = sums of their parts).
    fell_back : ndarray of bool
        One flag per path (shape ``base.shape[:-2]``; 0-d for ``(years, n)`` or ``(n,)`` input):
        True where the path was replaced by its bottom-up reconciliation because the method gave
        a negative value.
    method : str
        The reconciliation method.
    nodes : tuple of str
        Node names of the last axis.
    """

    values: FloatArray
    fell_back: BoolArray
    method: str
    nodes: tuple[str, ...]

    @property
    def fallbacks(self) -> int:
        """Number of paths replaced by bottom-up."""
        return int(self.fell_back.sum())


# ------------------------------------------------------------------------------------------------
# Coherence of reported histories
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoherenceGap:
    """How far reported aggregates are from the sum of their reported parts, per year.

    Attributes
    ----------
    years : ndarray of int, shape (T,)
    aggregates : tuple of str
        The aggregates compared (columns of the arrays below).
    reported : ndarray, shape (T, a)
        The reported aggregate values.
    sum_of_parts : ndarray, shape (T, a)
        The sums of their reported bottom series.
    """

    years: NDArray[np.int64]
    aggregates: tuple[str, ...]
    reported: FloatArray
    sum_of_parts: FloatArray

    @property
    def gap(self) -> FloatArray:
        """``reported - sum_of_parts`` (positive: the parts fall short of the total)."""
        return self.reported - self.sum_of_parts

    @property
    def gap_pct(self) -> FloatArray:
        """The gap in percent of the reported value (NaN where that is 0)."""
        safe = np.where(self.reported > 0, self.reported, 1.0)
        return np.where(self.reported > 0, 100.0 * self.gap / safe, np.nan)

    @property
    def max_abs_pct(self) -> float:
        """The largest absolute percent gap (NaN when no reported value is positive)."""
        pct = np.abs(self.gap_pct)
        return float(np.nanmax(pct)) if np.isfinite(pct).any() else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """Long table: ``year``, ``node``, ``reported``, ``sum_of_parts``, ``gap``, ``gap_pct``."""
        import pandas as pd

        t, a = self.reported.shape
        return pd.DataFrame(
            {
                "year": np.repeat(self.years, a),
                "node": np.tile(np.array(self.aggregates, dtype=object), t),
                "reported": self.reported.ravel(),
                "sum_of_parts": self.sum_of_parts.ravel(),
                "gap": self.gap.ravel(),
                "gap_pct": self.gap_pct.ravel(),
            }
        )


def coherence_gap(
    hierarchy: Hierarchy, years: ArrayLike, history: ArrayLike, *, where: str = "history"
) -> CoherenceGap:
    """Compare each reported aggregate with the sum of its reported parts, year by year.

    Parameters
    ----------
    hierarchy : Hierarchy
    years : array_like of int, shape (T,)
        Whole years, strictly increasing (gaps allowed).
    history : array_like, shape (T, n)
        Reported values, one column per node in the hierarchy's order; finite, non-negative.
    where : str
        Prefix of error messages (e.g. the history file's name).

    Returns
    -------
    CoherenceGap
    """
    y = _values(history, hierarchy, "reported values", where, ndim=2)
    yrs = np.asarray(years, dtype=float)
    if (
        yrs.ndim != 1
        or yrs.shape[0] != y.shape[0]
        or not np.all(np.isfinite(yrs))
        or np.any(yrs != np.round(yrs))
        or np.any(np.diff(yrs) <= 0)
    ):
        raise ForecastError(
            message(
                where,
                f"years must be {y.shape[0]} whole numbers, strictly increasing, one per history "
                "row",
                np.asarray(years).tolist(),
            )
        )
    a = len(hierarchy.aggregates)
    return CoherenceGap(
        years=yrs.astype(np.int64),
        aggregates=hierarchy.aggregates,
        reported=y[:, :a],
        sum_of_parts=y[:, a:] @ hierarchy.matrix.T,
    )
