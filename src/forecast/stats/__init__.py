"""Statistical forecasting for short yearly series: models, the automatic method, batch
forecasts with empirical intervals, and rolling-origin backtests.

::

    import forecast
    fit = forecast.STATS_MODELS["theta"]().fit(years, values)
    fit.forecast(6, level=(80, 95))          # year, mean, median, lo-80, hi-80, lo-95, hi-95
    forecast.forecast_frame(df, h=6)          # unique_id, ds, mean, lo-80, hi-80, lo-95, hi-95
    forecast.backtest(df, h=6, windows=3)     # sMAPE, MASE, MSIS, coverage per model
"""

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
