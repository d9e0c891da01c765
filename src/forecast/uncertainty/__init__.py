"""Monte Carlo over scenario assumptions: distributions, dependence and reproducible sampling.

A pure library over numpy arrays; it reads no files.  Typical use::

    dists = [parse_distribution(spec, where=f"{path}: assumptions.{name}", unit=unit) for ...]
    for first, u in uniform_blocks(n, len(dists), method="lhs", seed=7):
        u = induce_rank_correlation(u, spearman)          # optional
        x = np.column_stack([d.ppf(u[:, j]) for j, d in enumerate(dists)])

Forecasts of a total and its parts are made coherent with :mod:`.reconcile`
(``Reconciler(method).fit(hierarchy, ...).apply(draws)``).
"""

from __future__ import annotations

from .dependence import induce_rank_correlation, spearman_to_pearson, validate_correlation
from .distributions import (
    DIST_KINDS,
    Cases,
    Distribution,
    Empirical,
    Fixed,
    LogitNormal,
    LogNormal,
    Normal,
    Pert,
    Triangular,
    Uniform,
    Unit,
    parse_distribution,
)
from .reconcile import (
    NEGATIVE_RULES,
    RECONCILE_METHODS,
    TOP_DOWN_PROPORTIONS,
    CoherenceGap,
    Hierarchy,
    NegativeRule,
    Proportions,
    Reconciled,
    ReconcileMethod,
    Reconciler,
    Reconciliation,
    coherence_gap,
    mint_mapping,
    shrunk_covariance,
)
from .sampling import MAX_DRAWS, METHODS, Method, draw, uniform_blocks

__all__ = [
    "DIST_KINDS",
    "MAX_DRAWS",
    "METHODS",
    "NEGATIVE_RULES",
    "RECONCILE_METHODS",
    "TOP_DOWN_PROPORTIONS",
    "Cases",
    "CoherenceGap",
    "Distribution",
    "Empirical",
    "Fixed",
    "Hierarchy",
    "LogNormal",
    "LogitNormal",
    "Method",
    "NegativeRule",
    "Normal",
    "Pert",
    "Proportions",
    "ReconcileMethod",
    "Reconciled",
    "Reconciler",
    "Reconciliation",
    "Triangular",
    "Uniform",
    "Unit",
    "coherence_gap",
    "draw",
    "induce_rank_correlation",
    "mint_mapping",
    "parse_distribution",
    "shrunk_covariance",
    "spearman_to_pearson",
    "uniform_blocks",
    "validate_correlation",
]
