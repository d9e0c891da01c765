"""Dependence between assumptions: correlation matrices and a Gaussian copula on uniforms.

Dependence is induced on the uniforms, before each assumption's inverse CDF, so it composes
with any marginal (:meth:`~forecast.uncertainty.distributions.Distribution.ppf`) and any sampler
(Monte Carlo, Latin hypercube, Sobol).  Targets are **Spearman rank** correlations: they are
invariant under the monotone inverse CDFs, so the rank correlation asked for between two uniforms
is the one achieved between the assumptions themselves (up to ties in discrete kinds).

Why a Gaussian copula and not Iman-Conover: Iman-Conover re-orders a whole finished sample to
match target ranks, so it needs every draw at once and its result depends on the sample size.
The copula is a fixed, deterministic map applied row by row, so it works chunk by chunk (and in
parallel) with no extra randomness, and a row's value does not depend on how the work was split.
The price is that the achieved rank correlation is exact only in expectation (it matches the
target to sampling error, about ``1/sqrt(n)``), and that a Latin hypercube's one-dimensional
stratification is preserved only approximately in correlated columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ScenarioError

__all__ = ["induce_rank_correlation", "spearman_to_pearson", "validate_correlation"]

FloatArray: TypeAlias = NDArray[np.float64]

_SYMMETRY_TOL = 1e-9
_PSD_TOL = 1e-10
_CLIP = 1e-12


def validate_correlation(matrix: object, names: Sequence[str], *, where: str) -> FloatArray:
    """Check a correlation matrix between named assumptions and return it as floats.

    Parameters
    ----------
    matrix : array_like
        A ``k x k`` matrix (nested lists from TOML or an array), rows and columns in the order of
        ``names``.
    names : sequence of str
        The ``k`` assumption names, used in messages.
    where : str
        Prefix for error messages, e.g. ``"scen.toml: correlation"``.

    Returns
    -------
    ndarray of float, shape (k, k)
        The matrix, exactly symmetric (the mean of it and its transpose) with a unit diagonal.

    Raises
    ------
    ScenarioError
        One line with the reason when the matrix is not numeric and finite, not ``k x k``, not
        symmetric within 1e-9, has a diagonal entry other than 1, an entry outside ``[-1, 1]``,
        or is not positive semi-definite (smallest eigenvalue below -1e-10).
    """
    k = len(names)
    try:
        m = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"{where}: a correlation matrix must be a square table of numbers; got {matrix!r}"
        ) from None
    if m.ndim != 2 or m.shape != (k, k):
        raise ScenarioError(
            f"{where}: a correlation matrix must be {k} x {k} (one row and column per "
            f"assumption: {', '.join(names)}); got shape {' x '.join(map(str, m.shape))}"
        )
    if not np.all(np.isfinite(m)):
        raise ScenarioError(f"{where}: correlations must be finite numbers; got {m.tolist()!r}")
    for i in range(k):
        if abs(m[i, i] - 1.0) > _SYMMETRY_TOL:
            raise ScenarioError(
                f"{where}: the diagonal must be 1 (an assumption is perfectly correlated with "
                f"itself); got {m[i, i]:g} at [{names[i]}, {names[i]}]"
            )
    for i in range(k):
        for j in range(k):
            if not -1.0 <= m[i, j] <= 1.0:
                raise ScenarioError(
                    f"{where}: correlations must be between -1 and 1; got {m[i, j]:g} at "
                    f"[{names[i]}, {names[j]}]"
                )
    for i in range(k):
        for j in range(i + 1, k):
            if abs(m[i, j] - m[j, i]) > _SYMMETRY_TOL:
                raise ScenarioError(
                    f"{where}: a correlation matrix must be symmetric; got {m[i, j]:g} at "
                    f"[{names[i]}, {names[j]}] but {m[j, i]:g} at [{names[j]}, {names[i]}]"
                )
    m = (m + m.T) / 2
    np.fill_diagonal(m, 1.0)
    smallest = float(np.linalg.eigvalsh(m)[0]) if k else 0.0
    if smallest < -_PSD_TOL:
        raise ScenarioError(
            f"{where}: the correlations must be mutually consistent; got a matrix that is not "
            f"positive semi-definite (smallest eigenvalue {smallest:.3g}); weaken the strongest "
            "correlations"
        )
    return m


def spearman_to_pearson(rho: ArrayLike) -> FloatArray:
    """Convert Spearman rank correlations to the Gaussian copula's normal correlation.

    For a bivariate normal with correlation ``r`` the Spearman correlation is
    ``(6 / pi) arcsin(r / 2)``; the inverse is ``r = 2 sin(pi rho / 6)``.

    Parameters
    ----------
    rho : array_like
        Spearman correlations in ``[-1, 1]``.

    Returns
    -------
    ndarray of float
        Normal (Pearson) correlations, same shape.
    """
    return np.asarray(2.0 * np.sin(np.pi * np.asarray(rho, dtype=np.float64) / 6.0))


def _square_root(r: FloatArray) -> FloatArray:
    """A lower factor ``L`` with ``L @ L.T == r`` (Cholesky, else an eigen-based root).

    The eigen route clips negative eigenvalues (a PSD Spearman matrix may map to a slightly
    indefinite normal one) and rescales rows so ``diag(L @ L.T) == 1``: marginals stay standard
    normal, hence uniform after the copula.
    """
    try:
        return np.asarray(np.linalg.cholesky(r), dtype=np.float64)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(r)
        root = vectors * np.sqrt(np.clip(values, 0.0, None))
        norms = np.sqrt(np.sum(root**2, axis=1, keepdims=True))
        return np.asarray(root / np.where(norms > 0, norms, 1.0), dtype=np.float64)


def induce_rank_correlation(u: ArrayLike, target_spearman: ArrayLike) -> FloatArray:
    """Give independent uniforms a target rank correlation with a Gaussian copula.

    ``z = Phi^-1(u)``, ``r = 2 sin(pi rho / 6)``, ``z' = z L^T`` with ``L L^T = r``,
    ``u' = Phi(z')``.  The map is deterministic and row-wise: no randomness is drawn, so it
    composes with any sampler and gives the same rows however the sample is chunked.

    Parameters
    ----------
    u : array_like, shape (n, k)
        Independent uniforms in ``(0, 1)``, e.g. one block from
        :func:`~forecast.uncertainty.sampling.uniform_blocks`.
    target_spearman : array_like, shape (k, k)
        Target Spearman correlations; a valid correlation matrix (see
        :func:`validate_correlation`).

    Returns
    -------
    ndarray of float, shape (n, k)
        Uniforms in ``[1e-12, 1 - 1e-12]`` whose columns keep uniform marginals and have, in
        expectation, the target Spearman correlations.

    Raises
    ------
    ScenarioError
        If ``u`` is not 2-D or the target is not a valid ``k x k`` correlation matrix.
    """
    x = np.asarray(u, dtype=np.float64)
    if x.ndim != 2:
        raise ScenarioError(f"u: uniforms must be a 2-D array (rows x assumptions); got {x.ndim}-D")
    k = x.shape[1]
    rho = validate_correlation(target_spearman, [str(i) for i in range(k)], where="target_spearman")
    lower = _square_root(spearman_to_pearson(rho))
    from scipy import special

    z = special.ndtri(np.clip(x, _CLIP, 1.0 - _CLIP))
    out = special.ndtr(z @ lower.T)
    return np.asarray(np.clip(out, _CLIP, 1.0 - _CLIP), dtype=np.float64)
