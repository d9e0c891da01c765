"""forecast: a market forecast modeling toolkit.

Write a cited projection down as a scenario, fit growth curves to the market's history,
calibrate them to the cited anchors and project them with prediction intervals::

    import forecast
    sc = forecast.load_scenario("scenarios/global-ai-2030.toml")
    res = forecast.run_scenario(sc)
    res.projection        # long DataFrame: scenario, year, mean, median, lo-80, hi-80, ...
    res.fit.params, res.fit.se, res.fit.saturation, res.fit.inflection_year

    fit = forecast.GrowthModel("gompertz").fit(years, values, [forecast.Anchor(2030, 1570.0)])
    fit.forecast(range(2025, 2036), level=(80, 95))

``forecast.plotting`` (charts), ``forecast.report`` (documents), :func:`write_report` and
:func:`write_workbook` are loaded on first use, like every name here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import DataError, FitError, ForecastError, MoneyError, OutputError, ScenarioError

if TYPE_CHECKING:
    from . import plotting, report
    from .data import Series, load_estimates, load_series
    from .models import FAMILIES, GrowthFit, GrowthModel, cagr
    from .money import format_money, parse_money, parse_rate
    from .projection import run_scenario
    from .results import ScenarioResult, StatsScenarioResult
    from .scenario import Scenario, load_scenario
    from .stats import STATS_MODELS, backtest, forecast_frame
    from .types import Anchor
    from .write import write_report, write_workbook

# Imported on first use (PEP 562), so that ``import forecast`` and the command line's start
# load no numerical library until one is needed.
_LAZY = {
    "Series": "data",
    "load_estimates": "data",
    "load_series": "data",
    "FAMILIES": "models",
    "GrowthFit": "models",
    "GrowthModel": "models",
    "cagr": "models",
    "format_money": "money",
    "parse_money": "money",
    "parse_rate": "money",
    "ScenarioResult": "projection",
    "StatsScenarioResult": "projection",
    "run_scenario": "projection",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "STATS_MODELS": "stats",
    "backtest": "stats",
    "forecast_frame": "stats",
    "Anchor": "types",
    "write_report": "write",
    "write_workbook": "write",
}
_MODULES = ("plotting", "report")  # forecast.plotting, forecast.report


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        if _LAZY[name] == "projection":  # the results' HTML view registers itself on import
            importlib.import_module(".notebook", __name__)
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_MODULES))


__all__ = [
    "FAMILIES",
    "STATS_MODELS",
    "Anchor",
    "DataError",
    "FitError",
    "ForecastError",
    "GrowthFit",
    "GrowthModel",
    "MoneyError",
    "OutputError",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Series",
    "StatsScenarioResult",
    "__version__",
    "backtest",
    "cagr",
    "forecast_frame",
    "format_money",
    "load_estimates",
    "load_scenario",
    "load_series",
    "parse_money",
    "parse_rate",
    "plotting",
    "report",
    "run_scenario",
    "write_report",
    "write_workbook",
]
