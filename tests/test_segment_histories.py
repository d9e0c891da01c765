"""Segments with histories of their own (issue 13): each level forecast, then reconciled draw by
draw; the reported total against the sum of the reported parts; the bundled regional scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import to_toml, write_csv
from forecast.cli import main
from forecast.errors import ForecastError
from forecast.projection import run_scenario
from forecast.results import ScenarioResult

ROOT = Path(__file__).resolve().parents[1]
TOTAL = [(2016, 100.0), (2017, 112.0), (2018, 127.0), (2019, 139.0), (2020, 158.0), (2021, 175.0)]
# two regions whose reported values fall 1 short of the total every year
EAST = [(y, 0.6 * v) for y, v in TOTAL]
WEST = [(y, 0.4 * v - 1.0) for y, v in TOTAL]


def _write(folder: Path, **changes: Any) -> Path:
    write_csv(folder / "total.csv", TOTAL)
    rows = [(y, "East", v) for y, v in EAST] + [(y, "West", v) for y, v in WEST]
    write_csv(folder / "regions.csv", rows, header="year,region,value_usd_bn")
    doc: dict[str, Any] = {
        "name": "regions",
        "segment_dimension": "region",
        "history": {"file": "total.csv", "value_column": "value_usd_bn", "source": "made up"},
        "model": {"family": "exponential"},
        "projection": {"horizon": 2028, "draws": 1000, "seed": 3},
        "segment_history": {
            "file": "regions.csv",
            "segment_column": "region",
            "value_column": "value_usd_bn",
            "source": "made up",
        },
        "segments": [{"name": "East", "source": "made up"}, {"name": "West", "source": "made up"}],
    }
    doc.update(changes)
    doc = {k: v for k, v in doc.items() if v is not None and v != []}
    path = folder / "regions.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


def _keep_paths(res: ScenarioResult) -> np.ndarray:
    from dataclasses import replace

    from forecast.projection import run_spec, simulate_fit

    sim = simulate_fit(res.scenario, res.fit, replace(run_spec(res.scenario)), keep_paths=True)
    assert sim.result.paths is not None
    return sim.result.paths


def test_top_down_keeps_the_totals_draws_and_splits_them(tmp_path: Path) -> None:
    res = run_scenario(_write(tmp_path))
    assert isinstance(res, ScenarioResult)
    paths = _keep_paths(res)
    np.testing.assert_allclose(paths[1:].sum(axis=0), paths[0], rtol=1e-12)  # every draw
    # the total is the same as without segments: top-down keeps its paths
    plain = tmp_path / "plain"
    plain.mkdir()
    alone = run_scenario(_write(plain, segment_history=None, segments=[]))
    pd.testing.assert_frame_equal(res.projection, alone.projection)
    # the point paths add up too, and the share column is the parts' share of the point path
    seg = res.segments.pivot(index="year", columns="region", values="mean")
    np.testing.assert_allclose(seg.sum(axis=1), res.projection["mean"], rtol=1e-12)
    share = res.segments.pivot(index="year", columns="region", values="share")
    np.testing.assert_allclose(share.sum(axis=1), 1.0, rtol=1e-12)
    rec = res.summary()["segment_reconciliation"]
    assert rec["method"] == "top_down" and rec["parts"] == ["East", "West"]


@pytest.mark.parametrize("method", ["bottom_up", "ols", "wls_struct", "mint_shrink"])
def test_every_method_gives_coherent_draws(tmp_path: Path, method: str) -> None:
    hist = {
        "file": "regions.csv",
        "segment_column": "region",
        "value_column": "value_usd_bn",
        "source": "made up",
        "reconcile": method,
    }
    res = run_scenario(_write(tmp_path, segment_history=hist))
    assert isinstance(res, ScenarioResult)
    paths = _keep_paths(res)
    np.testing.assert_allclose(paths[1:].sum(axis=0), paths[0], rtol=1e-10)
    if method == "bottom_up":  # the total is the sum of the parts, each from its last value
        assert res.projection["mean"].iloc[0] == pytest.approx(EAST[-1][1] + WEST[-1][1])


def test_the_reported_gap_between_total_and_parts(tmp_path: Path) -> None:
    res = run_scenario(_write(tmp_path))
    rows = res.summary()["segment_reconciliation"]["reported_gap"]
    assert [r["year"] for r in rows] == [y for y, _ in TOTAL]
    for r, (_, total) in zip(rows, TOTAL, strict=True):
        assert r["reported_total"] == total
        assert r["sum_of_parts"] == pytest.approx(total - 1.0)
        assert r["gap_pct"] == pytest.approx(100.0 / total)


def test_one_history_file_per_segment(tmp_path: Path) -> None:
    write_csv(tmp_path / "east.csv", EAST)
    write_csv(tmp_path / "west.csv", WEST)
    segs = [
        {
            "name": name,
            "source": "made up",
            "history": {"file": f"{name.lower()}.csv", "value_column": "value_usd_bn"},
        }
        for name in ("East", "West")
    ]
    res = run_scenario(_write(tmp_path, segment_history=None, segments=segs))
    other = tmp_path / "long"
    other.mkdir()
    want = run_scenario(_write(other))
    pd.testing.assert_frame_equal(res.segments, want.segments)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (
            {
                "segments": [
                    {"name": "East", "source": "x"},
                    {"name": "West", "share": 0.4, "source": "x"},
                ]
            },
            "shares and histories do not mix",
        ),
        (
            {"segments": [{"name": "East", "source": "x"}, {"name": "North", "source": "x"}]},
            "North",
        ),
    ],
)
def test_bad_segment_histories_are_one_line(
    tmp_path: Path, change: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ForecastError, match=fragment):
        run_scenario(_write(tmp_path, **change))


def test_the_bundled_regional_scenario(tmp_path: Path) -> None:
    path = ROOT / "scenarios" / "semiconductor-equipment-regions.toml"
    assert main(["run", str(path), "--out", str(tmp_path), "--no-report"]) == 0
    folder = tmp_path / "semiconductor-equipment-regions"
    proj = pd.read_csv(folder / "projection.csv")
    seg = pd.read_csv(folder / "segments.csv")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert proj["mean"].iloc[0] == 117.1  # the last actual total
    sums = seg.groupby("year")["mean"].sum().to_numpy()
    np.testing.assert_allclose(sums, proj["mean"].to_numpy(), rtol=1e-12)
    rec = summary["segment_reconciliation"]
    assert len(rec["parts"]) == 7 and rec["reported_gap"][0]["year"] == 2016
    # SEMI's regions add up to its total within its rounding (two decimals)
    assert all(abs(r["reported_total"] - r["sum_of_parts"]) <= 0.021 for r in rec["reported_gap"])
