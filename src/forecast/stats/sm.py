"""ARIMA and ETS with automatic selection, fitted by statsmodels one series at a time.

These are the reference model families; they are slower than the vectorised kernels (a few
hundredths of a second per candidate per series) and are not used by ``auto``. Their intervals,
like every stats model's, are empirical (shipped table), not statsmodels' analytic ones.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import FitError
from .kernels import FloatArray, IntArray
from .models import Params, StatsModel


def aicc(llf: float, k: int, n: int) -> float:
    """Small-sample AIC; infinite when ``n - k - 1 <= 0``."""
    if n - k - 1 <= 0 or not np.isfinite(llf):
        return float("inf")
    return float(-2 * llf + 2 * k + 2 * k * (k + 1) / (n - k - 1))


def kpss_diffs(y: FloatArray, max_d: int = 2, alpha: float = 0.05) -> int:
    """Number of differences by repeated KPSS level-stationarity tests (as R's ``ndiffs``)."""
    from statsmodels.tsa.stattools import kpss

    d, x = 0, np.asarray(y, dtype=float)
    while d < max_d and len(x) > 3:
        if np.ptp(x) == 0:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p = kpss(x, regression="c", nlags="auto")[1]
        if p >= alpha:
            break
        d, x = d + 1, np.diff(x)
    return d


@dataclass(frozen=True)
class _PerSeries(StatsModel):
    """A model fitted one series at a time (``fit_one``)."""

    vectorised: ClassVar[bool] = False

    def fit_one(self, y: FloatArray, h: int) -> tuple[FloatArray, dict[str, float]]:
        """Forecasts and parameters for one series."""
        raise NotImplementedError

    def point(self, y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, Params]:
        """See :meth:`StatsModel.point` (one statsmodels fit per candidate and series)."""
        out = np.full((len(n), h), np.nan)
        params: list[dict[str, float]] = []
        for i, ni in enumerate(n):
            f, p = self.fit_one(np.asarray(y[i, : int(ni)], dtype=float), h)
            out[i] = f
            params.append(p)
        keys = sorted({k for p in params for k in p})
        return out, {k: np.array([p.get(k, np.nan) for p in params]) for k in keys}


@dataclass(frozen=True)
class Arima(_PerSeries):
    """ARIMA(p, d, q) with automatic order selection.

    ``d`` by repeated KPSS tests at 5% (at most ``max_d``); ``p`` and ``q`` from 0 to ``max_p``
    / ``max_q`` by AICc over the full grid (no stepwise search); a constant for ``d = 0`` and a
    drift for ``d = 1``, none for ``d = 2``. Fitted by exact maximum likelihood
    (``statsmodels.tsa.arima.model.ARIMA``).
    """

    max_p: int = 2
    max_q: int = 2
    max_d: int = 2
    name: ClassVar[str] = "arima"
    min_points: ClassVar[int] = 5

    def fit_one(self, y: FloatArray, h: int) -> tuple[FloatArray, dict[str, float]]:
        """Forecast one series; raise :class:`FitError` when no candidate can be fitted."""
        from statsmodels.tsa.arima.model import ARIMA

        d = kpss_diffs(y, self.max_d)
        trend = {0: "c", 1: "t"}.get(d, "n")
        best: tuple[float, Any, int, int] | None = None
        for p in range(self.max_p + 1):
            for q in range(self.max_q + 1):
                k = p + q + (trend != "n") + 1
                if len(y) - d - k - 1 <= 0:
                    continue
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        res = ARIMA(y, order=(p, d, q), trend=trend).fit()
                except (ValueError, np.linalg.LinAlgError):
                    continue
                crit = aicc(float(res.llf), k, len(y) - d)
                if np.isfinite(crit) and (best is None or crit < best[0]):
                    best = (crit, res, p, q)
        if best is None:
            raise FitError(f"arima model: no ARIMA order could be fitted; got {len(y)} points")
        crit, res, p, q = best
        f = np.asarray(res.forecast(h), dtype=float)
        return f, {"p": float(p), "d": float(d), "q": float(q), "aicc": crit}


@dataclass(frozen=True)
class ETS(_PerSeries):
    """Exponential smoothing state-space model (ETS) with automatic selection by AICc.

    Candidates: additive or multiplicative errors (multiplicative only for positive series) and
    no trend, additive trend or additive damped trend (no seasonality: the data are yearly),
    fitted by maximum likelihood (``statsmodels.tsa.exponential_smoothing.ets.ETSModel``).
    Multiplicative trends are left out, as R's ``ets`` does by default, because they explode.
    """

    name: ClassVar[str] = "ets"
    min_points: ClassVar[int] = 4

    def fit_one(self, y: FloatArray, h: int) -> tuple[FloatArray, dict[str, float]]:
        """Forecast one series; raise :class:`FitError` when no candidate can be fitted."""
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        errors = ("add", "mul") if np.all(y > 0) else ("add",)
        trends: tuple[tuple[str | None, bool], ...] = ((None, False), ("add", False), ("add", True))
        best: tuple[float, Any, str, str | None, bool] | None = None
        for err in errors:
            for trend, damped in trends:
                k = 2 + (trend is not None) + damped + (trend is not None) + 1
                if len(y) - k - 1 <= 0:
                    continue
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        res = ETSModel(y, error=err, trend=trend, damped_trend=damped).fit(
                            disp=False
                        )
                except (ValueError, np.linalg.LinAlgError):
                    continue
                crit = aicc(float(res.llf), k, len(y))
                f = np.asarray(res.forecast(h), dtype=float)
                if (
                    np.all(np.isfinite(f))
                    and np.isfinite(crit)
                    and (best is None or crit < best[0])
                ):
                    best = (crit, f, err, trend, damped)
        if best is None:
            raise FitError(f"ets model: no ETS candidate could be fitted; got {len(y)} points")
        crit, f, err, trend, damped = best
        code = {"add": 1.0, "mul": 2.0}
        return f, {
            "error": code[err],
            "trend": 0.0 if trend is None else (2.0 if damped else 1.0),
            "aicc": crit,
        }
