"""One source for each number (issue 12): what the terminal, the report's headline and the charts
show is what the run computed, read back from them; on a market other than the bundled AI one
(a made-up EV-battery market with regions and uncertain assumptions, as the issue's reporter
wrote it)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import to_toml, write_csv
from forecast._textfmt import money, pct
from forecast.audit.evidence import gather_evidence
from forecast.cli import main
from forecast.plotting import fan_chart, segments_chart
from forecast.projection import run_scenario
from forecast.report.scenario import scenario_document
from forecast.results import ScenarioResult

EV_HISTORY = [(2019, 28.9), (2020, 41.5), (2021, 63.2), (2022, 88.2), (2023, 112.4), (2024, 121.7)]


def _ev(folder: Path) -> Path:
    write_csv(folder / "ev.csv", EV_HISTORY)
    doc: dict[str, Any] = {
        "name": "ev-battery-2030",
        "title": "Global EV battery market",
        "description": "made up for the test",
        "segment_dimension": "region",
        "history": {"file": "ev.csv", "value_column": "value_usd_bn", "source": "made up"},
        "anchors": [{"year": 2030, "value": "410 billion USD", "source": "made up analyst"}],
        "model": {"family": "logistic", "bounds": {"K": ["420 billion USD", "5 trillion USD"]}},
        "projection": {"horizon": 2035, "draws": 2000, "seed": 7, "report_years": [2030, 2035]},
        "segments": [
            {"name": "China", "share": 0.55, "source": "made up"},
            {"name": "Europe", "share": 0.25, "source": "made up"},
            {"name": "Rest", "share": 0.20, "source": "made up"},
        ],
        "assumptions": {
            "base": "115 to 128 billion USD",
            "saturation": {
                "dist": "pert",
                "min": "450 billion USD",
                "mode": "600 billion USD",
                "max": "1.5 trillion USD",
            },
            "anchor_2030": {
                "dist": "triangular",
                "min": "340 billion USD",
                "mode": "410 billion USD",
                "max": "440 billion USD",
            },
            "share_China": {"dist": "uniform", "min": 0.5, "max": 0.6},
        },
        "correlation": {"inputs": ["saturation", "anchor_2030"], "matrix": [[1, 0.5], [0.5, 1]]},
    }
    path = folder / "ev.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def ev(tmp_path_factory: pytest.TempPathFactory) -> tuple[ScenarioResult, Path]:
    folder = tmp_path_factory.mktemp("ev")
    res = run_scenario(_ev(folder))
    assert isinstance(res, ScenarioResult)
    return res, folder


def test_the_fan_chart_draws_the_projection_arrays(ev: tuple[ScenarioResult, Path]) -> None:
    res, _ = ev
    fig = fan_chart(res, smooth=False)  # the smoothed drawing: tests/test_board_pack.py
    ax = fig.axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "projection"]
    np.testing.assert_array_equal(line.get_ydata(), res.projection["mean"].to_numpy())
    bands = [c for c in ax.collections if c.get_gid() == "band"]
    assert len(bands) == 2
    for band, level in zip(bands, (95, 80), strict=True):
        verts = band.get_paths()[0].vertices
        n = len(res.projection)
        lo, hi = res.projection[f"lo-{level}"].to_numpy(), res.projection[f"hi-{level}"].to_numpy()
        # fill_between's polygon runs along the lower edge, then back along the upper one
        np.testing.assert_allclose(np.unique(verts[:, 1]), np.unique(np.r_[lo, hi]))
        assert len(verts) >= 2 * n


def test_the_segments_chart_draws_the_segment_arrays(ev: tuple[ScenarioResult, Path]) -> None:
    res, _ = ev
    fig = segments_chart(res)
    ax = fig.axes[0]
    (total,) = [ln for ln in ax.get_lines() if ln.get_gid() == "total"]
    np.testing.assert_allclose(total.get_ydata(), res.projection["mean"].to_numpy(), rtol=1e-12)
    # per draw, segments sum to the total: so do their point paths
    seg = res.segments.pivot(index="year", columns="region", values="mean")
    np.testing.assert_allclose(seg.sum(axis=1).to_numpy(), res.projection["mean"], rtol=1e-12)


def test_headline_figures_are_the_computed_ones(ev: tuple[ScenarioResult, Path]) -> None:
    res, _ = ev
    ev_ = gather_evidence(res, simulate=False)
    doc = scenario_document(res, ev_, command="forecast run ev.toml")
    from forecast.report.markdown import render_markdown

    md = render_markdown(doc)["report.md"].decode("utf-8").replace("\\$", "$")
    head = md.split("## Assumptions")[0]
    s = res.summary()
    shown = set(re.findall(r"\$[0-9][0-9,.]*[KMBT]?", head))
    computed = {money(v) for v in _numbers(s)}
    computed |= {money(v) for r in ev_.history_probability for v in _numbers(r)}
    assert shown <= computed, shown - computed
    for row in s["report_years"]:
        fact = f"Projection {row['year']}:** {money(row['mean'])} (median {money(row['median'])}"
        assert fact in head
    p = next(a for a in s["anchors"] if a["year"] == 2030)["probability"]
    assert f"Probability over the assumptions:** {pct(p)}" in head


def test_terminal_csv_and_json_agree(ev: tuple[ScenarioResult, Path], capsys: Any) -> None:
    _, folder = ev
    out = folder / "out"
    assert main(["run", str(folder / "ev.toml"), "--out", str(out), "--no-report"]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "ev-battery-2030" / "summary.json").read_text(encoding="utf-8"))
    import pandas as pd

    proj = pd.read_csv(out / "ev-battery-2030" / "projection.csv")
    for row in summary["report_years"]:
        csv_row = proj.loc[proj["year"] == row["year"]].iloc[0]
        assert csv_row["mean"] == row["mean"] and csv_row["median"] == row["median"]
        line = next(ln for ln in printed.splitlines() if ln.startswith(f"  {row['year']}"))
        assert money(row["mean"]) in line and f"median {money(row['median'])}" in line
        assert f"80% {money(row['lo-80'])}-{money(row['hi-80'])}" in line
    # the growth rate printed is the summary's, from the last actual value
    rate = summary["derived"]["cagr_2024_2030"]
    assert f"2024-2030 {pct(rate)}/yr" in printed
    assert proj.iloc[0]["year"] == 2024
    # base is drawn: the point path starts at its median, the draws spread over its range
    assert proj.iloc[0]["lo-95"] < proj.iloc[0]["mean"] < proj.iloc[0]["hi-95"]


def _numbers(obj: Any) -> list[float]:
    """Every number in a nested summary."""
    if isinstance(obj, dict):
        return [x for v in obj.values() for x in _numbers(v)]
    if isinstance(obj, list | tuple):
        return [x for v in obj for x in _numbers(v)]
    if isinstance(obj, bool) or obj is None:
        return []
    if isinstance(obj, int | float) and np.isfinite(obj):
        return [float(obj)]
    return []
