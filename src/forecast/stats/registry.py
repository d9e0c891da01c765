"""Names of the statistical models and their specification classes."""

from __future__ import annotations

from ..errors import ForecastError, message, near_miss
from .auto import Auto
from .models import SES, Damped, DampedMult, Drift, Holt, Naive, StatsModel, Theta, ThetaOpt
from .sm import ETS, Arima

STATS_MODELS: dict[str, type[StatsModel]] = {
    "naive": Naive,
    "drift": Drift,
    "ses": SES,
    "holt": Holt,
    "damped": Damped,
    "damped_mult": DampedMult,
    "theta": Theta,
    "theta_opt": ThetaOpt,
    "arima": Arima,
    "ets": ETS,
    "auto": Auto,
}


def get_model(model: str | StatsModel, where: str = "model") -> StatsModel:
    """A model specification from a registered name (default hyper-parameters) or as given."""
    if isinstance(model, StatsModel):
        return model
    if not isinstance(model, str) or model not in STATS_MODELS:
        hint = near_miss(model, STATS_MODELS) if isinstance(model, str) else ""
        raise ForecastError(
            message(where, f"must be one of {', '.join(STATS_MODELS)}", model, hint)
        )
    return STATS_MODELS[model]()
