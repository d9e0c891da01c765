"""Statistical forecasting for short yearly series: models, the automatic method, batch
forecasts with empirical intervals, and rolling-origin backtests.

::

    import forecast
    fit = forecast.STATS_MODELS["theta"]().fit(years, values)
    fit.forecast(6, level=(80, 95))          # year, mean, median, lo-80, hi-80, lo-95, hi-95
    forecast.forecast_frame(df, h=6)          # unique_id, ds, mean, lo-80, hi-80, lo-95, hi-95
    forecast.backtest(df, h=6, windows=3)     # sMAPE, MASE, MSIS, coverage per model
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auto import Auto
    from .backtest import BacktestResult, backtest
    from .batch import forecast_batch, forecast_frame
    from .models import (
        SES,
        Damped,
        DampedMult,
        Drift,
        Holt,
        Naive,
        StatsFit,
        StatsModel,
        Theta,
        ThetaOpt,
    )
    from .registry import STATS_MODELS, get_model
    from .sm import ETS, Arima
    from .stages import BatchForecast, InfoRecords

# Imported on first use (PEP 562): a scenario naming a model reads the registry without
# loading the batch and backtest machinery (pandas) behind it.
_LAZY = {
    "Arima": "sm",
    "Auto": "auto",
    "BacktestResult": "backtest",
    "BatchForecast": "stages",
    "Damped": "models",
    "DampedMult": "models",
    "Drift": "models",
    "ETS": "sm",
    "Holt": "models",
    "InfoRecords": "stages",
    "Naive": "models",
    "SES": "models",
    "STATS_MODELS": "registry",
    "StatsFit": "models",
    "StatsModel": "models",
    "Theta": "models",
    "ThetaOpt": "models",
    "backtest": "backtest",
    "forecast_batch": "batch",
    "forecast_frame": "batch",
    "get_model": "registry",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """This package's module type: a name here stays the function or class it was bound to
    (``forecast.stats.backtest`` is the function) when the submodule of the same name is
    imported after it, as the eager ``from .backtest import backtest`` kept it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "ETS",
    "SES",
    "STATS_MODELS",
    "Arima",
    "Auto",
    "BacktestResult",
    "BatchForecast",
    "Damped",
    "DampedMult",
    "Drift",
    "Holt",
    "InfoRecords",
    "Naive",
    "StatsFit",
    "StatsModel",
    "Theta",
    "ThetaOpt",
    "backtest",
    "forecast_batch",
    "forecast_frame",
    "get_model",
]
