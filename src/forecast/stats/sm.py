"""ARIMA and ETS, the state-space (sm) models with automatic selection by AICc.

Both are fitted by maximum likelihood for a whole batch of series at once by the vectorised
kernels of :mod:`forecast.stats.arima` and :mod:`forecast.stats.ets` (numpy only; no statsmodels
at run time). Their likelihoods are statsmodels' (``ARIMA``, ``ETSModel``), which the tests use as
the reference; the optimiser is this package's (multi-start BFGS for ARIMA, a pattern search
over the smoothing weights with the initial states profiled out for ETS), so the estimates can
differ from statsmodels' within what two optimisers of the same likelihood give (often a higher
likelihood here: statsmodels stops at a local optimum more often). They are still slower than the
other kernels (a few hundredths of a second per batch, much more for a few hundred series),
so batches do not refit them at rolling origins for pooled intervals and they are not used by
``auto``; their intervals, like every stats model's, are empirical (the shipped table), not the
analytic ones of the state-space models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import FitError
from .arima import arima
from .ets import ets
from .kernels import FloatArray, IntArray
from .models import Params, StatsModel

CHUNK = 64  # series fitted together (every candidate and start of each is a row)


@dataclass(frozen=True)
class _StateSpace(StatsModel):
    """A model whose batch forecasts may leave rows it cannot fit as NaN."""

    vectorised: ClassVar[bool] = False  # no refits at rolling origins in every batch
    what: ClassVar[str] = ""

    def rows(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """Forecasts ``(N, h)`` (NaN rows where nothing fits) and parameters."""
        raise NotImplementedError

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point`: chunks of :data:`CHUNK` series (bounded memory; a
        row's numbers do not depend on its chunk). A single series that cannot be fitted raises
        :class:`FitError`; a batch keeps its NaN row, which falls back."""
        with np.errstate(all="ignore"):
            parts = [
                self.rows(y[i : i + CHUNK], n[i : i + CHUNK], h) for i in range(0, len(n), CHUNK)
            ]
        f = np.vstack([part[0] for part in parts])
        params = {k: np.concatenate([part[1][k] for part in parts]) for k in parts[0][1]}
        if len(n) == 1 and not np.all(np.isfinite(f)):
            raise FitError(f"{self.name} model: no {self.what} could be fitted; got {n[0]} points")
        return f, params


@dataclass(frozen=True)
class Arima(_StateSpace):
    """ARIMA(p, d, q) with automatic order selection.

    ``d`` by repeated KPSS tests at 5% (at most ``max_d``); ``p`` and ``q`` from 0 to ``max_p``
    / ``max_q`` by AICc over the full grid (no stepwise search); a constant for ``d = 0`` and a
    drift for ``d = 1``, none for ``d = 2``. Exact maximum likelihood (see
    :mod:`forecast.stats.arima`).
    """

    max_p: int = 2
    max_q: int = 2
    max_d: int = 2
    name: ClassVar[str] = "arima"
    min_points: ClassVar[int] = 5
    what: ClassVar[str] = "ARIMA order"

    def rows(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`_StateSpace.rows`."""
        return arima(y, n, h, self.max_p, self.max_q, self.max_d)


@dataclass(frozen=True)
class ETS(_StateSpace):
    """Exponential smoothing state-space model (ETS) with automatic selection by AICc.

    Candidates: additive or multiplicative errors (multiplicative only for positive series) and
    no trend, additive trend or additive damped trend (no seasonality: the data are yearly),
    fitted by maximum likelihood (see :mod:`forecast.stats.ets`). Multiplicative trends are
    left out, as R's ``ets`` does by default, because they explode. Five points at least: with
    four, no candidate leaves AICc defined (``n - k - 1 > 0``, ``k >= 3``).
    """

    name: ClassVar[str] = "ets"
    min_points: ClassVar[int] = 5
    what: ClassVar[str] = "ETS candidate"

    def rows(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`_StateSpace.rows`."""
        return ets(y, n, h)
