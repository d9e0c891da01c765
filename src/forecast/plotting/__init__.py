"""Charts of forecast results: a leaf package that only consumes results.

Every chart takes results and an optional matplotlib ``ax``, returns the Figure (a 16:9 slide-size
``matplotlib.figure.Figure`` outside pyplot when ``ax`` is None) and never shows it; the house
style is applied locally (:func:`forecast.plotting.style.chart_style`), so global ``rcParams`` are
untouched. matplotlib is imported only when a chart is drawn.

>>> from forecast.plotting import fan_chart, figure_bytes  # doctest: +SKIP
>>> png = figure_bytes(fan_chart(run_scenario("scenarios/global-ai-2030.toml")))  # doctest: +SKIP
"""

from __future__ import annotations

from .estimates import estimates_chart
from .export import figure_bytes
from .projection import (
    comparison_chart,
    comparison_table,
    fan_chart,
    model_comparison_chart,
    segments_chart,
    shares_chart,
)
from .sensitivity import distribution_chart, spider_chart, tornado_chart

__all__ = [
    "comparison_chart",
    "comparison_table",
    "distribution_chart",
    "estimates_chart",
    "fan_chart",
    "figure_bytes",
    "model_comparison_chart",
    "segments_chart",
    "shares_chart",
    "spider_chart",
    "tornado_chart",
]
