"""Which assumptions drive the outcome: tornado, spider, rank correlation and Sobol indices.

The outcome is the projected market size in one year (the metric year: an anchor year or the
horizon) computed from the calibrated curve with the assumptions applied (no fit or noise
uncertainty, so the question is purely "which input moves the answer").

* **Tornado**: each input swung from its P10 to its P90 with every other input at its median.
* **Spider**: the outcome as each input runs through its percentiles, the others at their medians.
* **Rank correlation**: Spearman correlation between each input's draws and the outcome in a
  Monte Carlo run (captures the inputs' correlation, unlike the two above).
* **Sobol**: first-order and total indices with bootstrap confidence intervals (SALib, Saltelli
  sampling). Sobol indices assume independent inputs: the scenario's correlation is not applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from ..errors import ScenarioError
from ..models import GrowthFit
from .propagate import Assumptions, SimulationResult, apply_assumptions

MAX_SOBOL_CONTRADICTORY = 0.05


def metric_values(
    fit: GrowthFit, year: int, drawn: Mapping[str, NDArray[np.float64]]
) -> NDArray[np.float64]:
    """The curve's value in ``year`` for each row of drawn inputs (NaN where contradictory)."""
    n = len(next(iter(drawn.values()))) if drawn else 1
    theta = np.tile(fit.theta, (n, 1))
    valid = apply_assumptions(fit, theta, drawn)
    out = np.asarray(fit.family(np.array([float(year)]), theta, fit.t_ref)[:, 0], dtype=float)
    out[~valid] = np.nan
    return out


def _medians(assumptions: Assumptions, n: int) -> dict[str, NDArray[np.float64]]:
    return {
        name: np.full(n, float(d.median))
        for name, d in zip(assumptions.names, assumptions.distributions, strict=True)
    }


def _require_uncertain(assumptions: Assumptions, what: str) -> list[int]:
    unc = assumptions.uncertain()
    if not unc:
        raise ScenarioError(
            f"assumptions: {what} needs at least one uncertain input (a distribution that is "
            "not fixed); got none"
        )
    return unc


def tornado(fit: GrowthFit, year: int, assumptions: Assumptions) -> pd.DataFrame:
    """One row per uncertain input, largest swing first: the input's P10 and P90 and the outcome
    at each with the other inputs at their medians."""
    unc = _require_uncertain(assumptions, "a tornado")
    base = metric_values(fit, year, _medians(assumptions, 1))[0]
    rows = []
    for i in unc:
        name, dist = assumptions.names[i], assumptions.distributions[i]
        lo, hi = float(dist.quantile(0.1)), float(dist.quantile(0.9))
        drawn = _medians(assumptions, 2)
        drawn[name] = np.array([lo, hi])
        out_lo, out_hi = metric_values(fit, year, drawn)
        rows.append(
            {
                "input": name,
                "input_p10": lo,
                "input_p90": hi,
                "year": year,
                "output_at_p10": out_lo,
                "output_at_p90": out_hi,
                "output_at_medians": base,
                "swing": abs(out_hi - out_lo),
            }
        )
    frame = pd.DataFrame(rows)
    # a swing that crosses a contradiction (e.g. a P10 ceiling below the anchor) has no value:
    # flag it and put it first, since such an input is at least as decisive as any other
    frame["contradictory"] = frame["swing"].isna()
    frame = frame.sort_values(["contradictory", "swing"], ascending=[False, False], kind="stable")
    return frame.reset_index(drop=True)


def spider(
    fit: GrowthFit,
    year: int,
    assumptions: Assumptions,
    percentiles: Sequence[float] = (5, 10, 25, 50, 75, 90, 95),
) -> pd.DataFrame:
    """Long frame: input, percentile, input value, outcome (others at their medians)."""
    unc = _require_uncertain(assumptions, "a spider chart")
    pct = np.asarray(percentiles, dtype=float)
    rows = []
    for i in unc:
        name, dist = assumptions.names[i], assumptions.distributions[i]
        values = np.array([float(dist.quantile(p / 100)) for p in pct])
        drawn = _medians(assumptions, len(pct))
        drawn[name] = values
        out = metric_values(fit, year, drawn)
        for p, v, o in zip(pct, values, out, strict=True):
            rows.append(
                {"input": name, "percentile": p, "input_value": v, "year": year, "output": o}
            )
    return pd.DataFrame(rows)


def average_ranks(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Ranks 1..n of ``x``, ties sharing their mean rank (``scipy.stats.rankdata``'s
    "average"); each rank is a whole or half number, exact in float64."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    first = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])  # where each run of ties starts
    ends = np.r_[first[1:], xs.size]
    group = np.cumsum(np.r_[True, xs[1:] != xs[:-1]]) - 1
    ranks = np.empty(xs.size, dtype=np.float64)
    ranks[order] = 0.5 * (first + 1 + ends)[group]
    return ranks


def spearman(x: ArrayLike, y: ArrayLike) -> float:
    """Spearman's rank correlation of ``x`` and ``y``: ``scipy.stats.spearmanr(x, y).statistic``
    (the Pearson correlation of :func:`average_ranks`, by ``numpy.corrcoef``; a test holds the
    two equal to the bit) without loading scipy.stats. NaN when either is constant, holds a NaN,
    or has fewer than two values."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.size <= 1 or np.isnan(x).any() or np.isnan(y).any():
        return float("nan")
    if (x == x[0]).all() or (y == y[0]).all():
        return float("nan")
    ranked = np.column_stack((average_ranks(x), average_ranks(y)))
    return float(np.asarray(np.corrcoef(ranked, rowvar=False))[1, 0])


def rank_importance(sim: SimulationResult) -> pd.DataFrame:
    """Spearman correlation of each input with the simulated outcome in the metric year, and
    its square normalised to shares (a rough contribution to the outcome's rank variance)."""
    if sim.metric.size == 0 or not sim.input_names:
        raise ScenarioError(
            "assumptions: rank importance needs uncertain inputs and a metric year; got none"
        )
    rho = np.array([spearman(sim.inputs[:, j], sim.metric) for j in range(len(sim.input_names))])
    rho = np.nan_to_num(rho)  # a constant input or metric: no rank correlation, 0
    share = rho**2 / (rho**2).sum() if (rho**2).sum() > 0 else np.zeros_like(rho)
    frame = pd.DataFrame(
        {
            "input": sim.input_names,
            "spearman": rho,
            "share": share,
            "year": sim.metric_year,
        }
    )
    return frame.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)


def sobol(
    fit: GrowthFit,
    year: int,
    assumptions: Assumptions,
    *,
    base_samples: int = 1024,
    seed: int = 0,
    level: float = 95.0,
) -> pd.DataFrame:
    """First-order and total Sobol indices with confidence intervals (SALib).

    ``base_samples`` is Saltelli's N (a power of two); the model is evaluated N (k + 2) times.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    unc = _require_uncertain(assumptions, "Sobol indices")
    if base_samples < 16 or base_samples & (base_samples - 1):
        raise ScenarioError(
            f"sensitivity: base_samples must be a power of two of at least 16; got {base_samples}"
        )
    names = [assumptions.names[i] for i in unc]
    problem = {"num_vars": len(unc), "names": names, "bounds": [[0.0, 1.0]] * len(unc)}
    u = sobol_sample.sample(problem, base_samples, calc_second_order=False, seed=seed)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    drawn = _medians(assumptions, u.shape[0])
    for j, i in enumerate(unc):
        drawn[assumptions.names[i]] = assumptions.distributions[i].ppf(u[:, j])
    y = metric_values(fit, year, drawn)
    bad = ~np.isfinite(y)
    if bad.mean() > MAX_SOBOL_CONTRADICTORY:
        raise ScenarioError(
            "assumptions: Sobol indices need inputs that almost always describe a curve (at "
            f"most {MAX_SOBOL_CONTRADICTORY:.0%} contradictory, e.g. an anchor above the "
            f"saturation level; narrow the ranges); got {int(bad.sum())} of {len(y)}"
        )
    y[bad] = np.nanmedian(y)  # the few contradictory rows count as the median (reported)
    spread = float(np.std(y))
    if spread <= 1e-9 * max(abs(float(np.mean(y))), 1.0):
        raise ScenarioError(
            f"sensitivity: the {year} value does not vary with the assumptions (a hard anchor "
            "pins it, or every input is fixed); set simulation.metric_year to another year; got "
            f"a spread of {spread:.3g}"
        )
    si = sobol_analyze.analyze(
        problem, y, calc_second_order=False, conf_level=level / 100, seed=seed
    )
    return pd.DataFrame(
        {
            "input": names,
            "year": year,
            "S1": si["S1"],
            "S1_conf": si["S1_conf"],
            "ST": si["ST"],
            "ST_conf": si["ST_conf"],
            "evaluations": len(y),
            "contradictory": int(bad.sum()),
        }
    )
