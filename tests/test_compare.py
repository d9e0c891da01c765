"""Scenarios side by side: one comparison year and table for the chart, the report and the
workbook; interval columns only at levels every scenario has."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.compare import common_levels, comparison_table, comparison_year
from forecast.plotting import comparison_chart
from forecast.projection import run_scenario

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list:
    tmp = tmp_path_factory.mktemp("cmp")
    other = tmp / "levels.toml"
    other.write_text(
        f'extends = "{(SCEN / "global-ai-history-only.toml").as_posix()}"\n'
        'name = "levels"\n[projection]\nlevels = [50, 80]\ndraws = 1000\n',
        encoding="utf-8",
    )
    return [run_scenario(SCEN / "global-ai-2030.toml"), run_scenario(other)]


def test_only_shared_levels_are_compared(results: list) -> None:
    assert common_levels(results) == [80.0]
    table = comparison_table(results, 2030)
    assert [c for c in table.columns if c.startswith(("lo-", "hi-"))] == ["lo-80", "hi-80"]
    base, other = table.to_dict("records")
    assert base["lo-80"] == pytest.approx(results[0].value_at(2030)["lo-80"])
    assert other["hi-80"] == pytest.approx(results[1].value_at(2030)["hi-80"])
    # one growth basis: last actual value (2025) to the point value
    last = float(results[0].scenario.history.values[-1])
    assert base["cagr"] == pytest.approx((base["mean"] / last) ** (1 / 5) - 1)
    assert base["from_year"] == 2025


def test_year_is_the_shared_anchor_year_else_the_earliest_horizon(results: list) -> None:
    assert comparison_year(results[:1]) == 2030  # the default scenario's anchor
    assert comparison_year(results) == 2035  # the history-only child has no anchor


def test_chart_band_and_table_use_the_same_level(results: list) -> None:
    fig = comparison_chart(results, year=2030)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    texts += [
        c.get_text().get_text()
        for ax in fig.axes
        for tb in ax.tables
        for c in tb.get_celld().values()
    ]
    assert any("80% interval" in t for t in texts)
    assert not any("50% interval" in t for t in texts)
