"""Monte Carlo over scenario assumptions: distributions, dependence and reproducible sampling.

A pure library over numpy arrays; it reads no files.  Typical use::

    dists = [parse_distribution(spec, where=f"{path}: assumptions.{name}", unit=unit) for ...]
    for first, u in uniform_blocks(n, len(dists), method="lhs", seed=7):
        u = induce_rank_correlation(u, spearman)          # optional
        x = np.column_stack([d.ppf(u[:, j]) for j, d in enumerate(dists)])
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
from .sampling import MAX_DRAWS, METHODS, Method, draw, uniform_blocks

__all__ = [
    "DIST_KINDS",
    "MAX_DRAWS",
    "METHODS",
    "Cases",
    "Distribution",
    "Empirical",
    "Fixed",
    "LogNormal",
    "LogitNormal",
    "Method",
    "Normal",
    "Pert",
    "Triangular",
    "Uniform",
    "Unit",
    "draw",
    "induce_rank_correlation",
    "parse_distribution",
    "spearman_to_pearson",
    "uniform_blocks",
    "validate_correlation",
]
