"""Analysis in Python: run a scenario, look at the result, draw it in your own figure, write
the report. A notebook runs the same cells; ``python docs/tutorials/python.py`` runs them all
(the test suite does, too).

Files go to ``out/tutorial`` (the environment variable ``FORECAST_TUTORIAL_OUT`` sets another
folder).
"""

import os
from pathlib import Path

from matplotlib.figure import Figure

import forecast

ROOT = Path(__file__).resolve().parents[2]  # the checkout: scenarios/ and data/
OUT = Path(os.environ.get("FORECAST_TUTORIAL_OUT", "out/tutorial"))

# Run a scenario: fit, calibrate to the anchors, project with intervals.
res = forecast.run_scenario(ROOT / "scenarios" / "global-ai-2030-sectors.toml")
print(repr(res))  # a few lines; in a notebook the cell shows headline, table and fan chart

# The numbers: a long DataFrame (scenario, year, mean, median, lo-80, hi-80, lo-95, hi-95).
print(res.projection.tail(3))
print(res.value_at(2030))  # {'mean': ..., 'median': ..., 'lo-80': ..., ...}
print(res.fit.params)  # the fitted curve's parameters

# Charts in your own grid: every chart takes ax= and title=.
fig = Figure(figsize=(16, 6), layout="constrained")
left, right = fig.subplots(1, 2)
forecast.plotting.fan_chart(res, ax=left, title="Global AI market, base case")
forecast.plotting.segments_chart(res, ax=right)
right.set_title("By sector")  # replaces the chart's own title instead of adding a second one
OUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUT / "grid.png")

# The workbook (and, with forecast.write_report(res, folder), the whole report) that
# `forecast run` writes. Other results already there are refused unless force=True; the same
# results are left as they are, so running the cell again is harmless.
forecast.write_workbook(res, OUT / "global-ai-2030-sectors.xlsx")
