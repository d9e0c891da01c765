"""The fitted parameters of a statistical model on one series, as rows of a parameter table.

Growth curves report named parameters with standard errors; statistical models report what they
chose: smoothing weights (alpha, beta), damping and Theta factors, ARIMA orders, the ETS form
and its AICc, and for ``auto`` the weight of every member in the horizon year's median. These
models give no standard errors, so ``se`` and the confidence bounds are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .auto import AUTO_PHI, Auto, member_weights
from .kernels import FloatArray
from .models import Damped, StatsModel, forecast_rows

# unit of every parameter a model reports (see the models' ``point`` methods)
UNITS = {
    "alpha": "weight",
    "beta": "weight",
    "phi": "factor",
    "theta": "factor",
    "p": "order",
    "d": "order",
    "q": "order",
    "aicc": "criterion",
    "error": "code (1 additive, 2 multiplicative)",
    "trend": "code (0 none, 1 additive, 2 additive damped)",
}


@dataclass(frozen=True)
class ParamRow:
    """One fitted parameter: name, unit, value and whether the model fixes it."""

    param: str
    unit: str
    estimate: float
    fixed: bool = False


def param_rows(model: StatsModel, values: FloatArray, h: int) -> list[ParamRow]:
    """The parameters ``model`` chooses for one (repaired) series forecast ``h`` years ahead.

    For ``auto``: one ``weight:<member>`` row per member (its weight in the combination's
    ``h``-year-ahead forecast) and the fixed damping factor. Naive and drift have none.
    """
    v = np.asarray(values, dtype=float)
    if isinstance(model, Auto):
        rows = [ParamRow(f"weight:{m}", "weight", w) for m, w in member_weights(v, h).items()]
        return [*rows, ParamRow("phi", "factor", AUTO_PHI, fixed=True)]
    with np.errstate(all="ignore"):
        _, params = forecast_rows(model, v[None, :], np.array([len(v)]), h)
    fixed = {"phi"} if isinstance(model, Damped) and model.phi is not None else set()
    order = [*UNITS, *sorted(set(params) - set(UNITS))]
    return [
        ParamRow(k, UNITS.get(k, ""), float(params[k][0]), fixed=k in fixed)
        for k in order
        if k in params
    ]
