"""forecast: a market forecast modeling toolkit.

Write a cited projection down as a scenario, fit growth curves to the market's history,
calibrate them to the cited anchors and project them with prediction intervals::

    import forecast
    sc = forecast.load_scenario("scenarios/global-ai-2030.toml")
    res = forecast.run_scenario(sc)
    res.projection        # long DataFrame: scenario, year, mean, median, lo-80, hi-80, ...
    res.fit.params, res.fit.se, res.fit.saturation, res.fit.inflection_year

    fit = forecast.GrowthModel("gompertz").fit(years, values, [forecast.Anchor(2030, 1570.0)])
    fit.forecast(range(2025, 2036), levels=(80, 95))

``forecast.plotting`` (charts), ``forecast.report`` (documents), :func:`write_report` and
:func:`write_workbook` are loaded on first use, so ``import forecast`` stays light (no
matplotlib, no Jinja2).
"""

from typing import TYPE_CHECKING, Any

from . import notebook as _notebook  # noqa: F401  the results' HTML views (registered on import)
from ._version import __version__
from .data import Series, load_estimates, load_series
from .errors import DataError, FitError, ForecastError, MoneyError, OutputError, ScenarioError
from .models import FAMILIES, GrowthFit, GrowthModel, cagr
from .money import format_money, parse_money, parse_rate
from .projection import ScenarioResult, StatsScenarioResult, run_scenario
from .scenario import Scenario, load_scenario
from .stats import STATS_MODELS, backtest, forecast_frame
from .types import Anchor

if TYPE_CHECKING:
    from . import plotting, report
    from .write import write_report, write_workbook

_LAZY = {
    "plotting": ("forecast.plotting", None),
    "report": ("forecast.report", None),
    "write_report": ("forecast.write", "write_report"),
    "write_workbook": ("forecast.write", "write_workbook"),
}


def __getattr__(name: str) -> Any:
    """The charts, the reports and the writers, imported on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = importlib.import_module(module)
    return value if attr is None else getattr(value, attr)


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
