"""Segments with histories of their own: forecast each level, then reconcile, draw by draw.

When a scenario's segments (regions, sectors) carry their own reported histories, each is fitted
with a growth curve of its own (no anchors: a segment history says where the part has been, the
scenario's anchors speak of the total) and drawn with the same layers as the total (the fit's
parameter uncertainty and the noise of the future path, from the segment's own last actual
value). In every draw the total's path and the parts' paths are then made coherent with
:mod:`forecast.uncertainty.reconcile`: the reconciled parts sum to the reconciled total in every
draw and year, so every statistic of the run (quantiles, means, segment shares) comes from
coherent paths.

The method is the scenario's choice (``[segment_history] reconcile``). The default is
``top_down`` with the parts' forecast proportions: every total path is kept (so the anchors, the
assumptions and the start from the last actual value hold) and split as the parts' own
forecasts split it in that draw. ``bottom_up`` sums the parts instead; ``ols``, ``wls_struct``,
``wls_var`` and ``mint_shrink`` (MinT with a shrunk residual covariance) move the total too,
towards what the parts say, with weights from the levels' in-sample residuals over the years
every level reports. With short regional histories, whose curves extrapolate wildly, the
projections can put a part below zero; such a draw is reconciled bottom-up instead and counted
(the run's notes say how many).

Published regional splits often do not add up to the published total; :func:`coherence_gap`
reports by how much in every year both are reported (``CoherenceGap``).

Each part's randomness has its own streams in every block of the simulation (parameters from
``default_rng([seed, block, 10 + i])``, noise from ``[seed, block, 100 + i]`` for part ``i``),
so the results do not depend on how blocks are spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ForecastError
from ..models import GrowthFit
from ..models.simulate import (
    PathModel,
    block_rng,
    bridge_year,
    draw_block,
    gap_weights,
    last_actual,
    noise_steps,
    paths_from,
    point_path,
)
from .reconcile import (
    CoherenceGap,
    Hierarchy,
    Proportions,
    ReconcileMethod,
    Reconciler,
    Reconciliation,
    coherence_gap,
)

FloatArray = np.ndarray
METHODS = ("bottom_up", "top_down", "ols", "wls_struct", "wls_var", "mint_shrink")


def default_method(total: GrowthFit) -> str:
    """``top_down`` with forecast proportions: the total's paths are kept."""
    return "top_down"


@dataclass(frozen=True)
class SegmentHistories:
    """The parts' fits and the reconciliation that ties them to the total.

    Build it with :func:`segment_histories`. ``names`` are the parts in scenario order; ``fits``
    their growth curves; ``reconciliation`` the fitted reconciler; ``gap`` the reported total
    against the sum of the reported parts.
    """

    names: tuple[str, ...]
    fits: tuple[GrowthFit, ...]
    reconciliation: Reconciliation
    method: str
    gap: CoherenceGap | None

    def base_block(
        self,
        years: FloatArray,
        rows: int,
        seed: int,
        block: int,
        *,
        fit_layer: bool,
        noise: bool,
        model: PathModel,
    ) -> FloatArray:
        """The parts' base paths of one block of the simulation (rows x parts x years)."""
        out = np.empty((rows, len(self.fits), len(years)))
        for i, fit in enumerate(self.fits):
            t0 = float(fit.years[-1])
            grid = np.arange(t0, float(years[-1]) + 1.0)  # from the part's own last actual value
            steps = noise_steps(grid, t0)
            theta, noise_sd, z = draw_block(
                fit,
                rows,
                block_rng(seed, block, 10 + i),
                block_rng(seed, block, 100 + i),
                steps,
                fit_layer=fit_layer,
                noise=noise,
                model=model,
            )
            w = gap_weights(grid, t0, bridge_year(fit), model.rho)
            paths = paths_from(fit, grid, theta, noise_sd, z, model, last_actual(fit), t0, w)
            out[:, i, :] = paths[:, np.searchsorted(grid, years)]
        return out

    def point(self, years: FloatArray, model: PathModel) -> FloatArray:
        """The parts' point paths (parts x years)."""
        return np.array([point_path(f, years, model) for f in self.fits])

    def reconcile(self, total: FloatArray, parts: FloatArray) -> tuple[FloatArray, FloatArray, int]:
        """Coherent total (rows x years) and parts (rows x parts x years) from base paths, and
        how many draws fell back to bottom-up (a negative part under a projection method)."""
        base = np.concatenate([total[:, None, :], parts], axis=1)  # rows x nodes x years
        rec = self.reconciliation.apply(np.transpose(base, (0, 2, 1)), where="segments")
        values = np.transpose(np.asarray(rec.values, dtype=float), (0, 2, 1))
        return values[:, 0, :], values[:, 1:, :], int(rec.fallbacks)


def segment_histories(
    total: GrowthFit,
    names: Sequence[str],
    fits: Sequence[GrowthFit],
    *,
    method: str | None = None,
    where: str = "segments",
) -> SegmentHistories:
    """Fit the reconciliation of ``total`` and its parts (``fits``, one per name).

    The reconciler's residuals are the levels' in-sample misses (history minus fitted curve, in
    levels) over the years the total and every part report; ``top_down`` without a hard anchor
    and the variance-weighted methods need at least two such years.
    """
    method = method or default_method(total)
    if method not in METHODS:
        raise ForecastError(
            f"{where}: reconcile must be one of {', '.join(METHODS)}; got {method!r}"
        )
    hierarchy = Hierarchy.two_level("total", list(names))
    common = sorted(
        set(total.years.astype(int)).intersection(*(set(f.years.astype(int)) for f in fits))
    )
    history = residuals = None
    if common:
        history = np.column_stack([_at(total, common)] + [_at(f, common) for f in fits])
        fitted = np.column_stack([total.predict(common)] + [f.predict(common) for f in fits])
        residuals = history - fitted
    needs_years = method in ("wls_var", "mint_shrink")
    if needs_years and len(common) < 2:
        raise ForecastError(
            f"{where}: {method} reconciliation needs at least two years that the total and every "
            f"segment report; got {len(common)} (use reconcile = 'bottom_up' or 'wls_struct')"
        )
    proportions: Proportions = "forecast_proportions"  # used by top_down only
    chosen: ReconcileMethod = method  # type: ignore[assignment]  # checked against METHODS
    reconciler = Reconciler(chosen, proportions=proportions)
    rec = reconciler.fit(hierarchy, history=history, residuals=residuals, where=where)
    gap = (
        coherence_gap(hierarchy, common, history, where=where)
        if common and history is not None
        else None
    )
    return SegmentHistories(tuple(names), tuple(fits), rec, method, gap)


def _at(fit: GrowthFit, years: Sequence[int]) -> FloatArray:
    """The reported values of a fit's history in ``years``."""
    index = {int(y): float(v) for y, v in zip(fit.years, fit.values, strict=True)}
    return np.array([index[int(y)] for y in years])
