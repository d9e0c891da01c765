"""Error paths of ``[assumptions]`` and ``[correlation]`` (uncertainty/spec.py), through
``forecast validate``: each bad table gets exit 2 and one line naming the key and the rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import ESTIMATES, Result, Workspace, assert_user_error

RANGE = "300 to 400 billion USD"
TWO = {"base": RANGE, "anchor_2030": "1.4 to 1.7 trillion USD"}
CORR = {"inputs": ["base", "anchor_2030"], "matrix": [[1.0, 0.5], [0.5, 1.0]]}
SEGMENTS = [
    {"name": "A", "share": 0.5, "source": "test"},
    {"name": "B", "share": 0.5, "source": "test"},
]


def _doc(ws: Workspace, **changes: Any) -> dict[str, Any]:
    doc = ws.doc()
    for key, value in changes.items():
        if key == "family":
            doc["model"] = {"family": value}
        elif value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("base-for-linear", {"family": "linear", "assumptions": {"base": RANGE}}, "a base value can"),
    (
        "saturation-for-exponential",
        {"family": "exponential", "assumptions": {"saturation": "2 to 3 trillion USD"}},
        "only saturating families",
    ),
    (
        "saturation-under-a-hard-anchor-for-bass",
        {"family": "bass", "assumptions": {"saturation": "2 to 3 trillion USD"}},
        "the hard anchor sets bass's level",
    ),
    ("anchor-of-another-year", {"assumptions": {"anchor_2031": RANGE}}, "got 2031"),
    ("share-of-no-segment", {"assumptions": {"share_X": 0.1}}, "must name a segment"),
    ("level-parameter", {"assumptions": {"K": RANGE}}, "draw the level through 'base'"),
    ("unknown-name", {"assumptions": {"grwoth": 0.1}}, "unknown assumption"),
    (
        "empirical-filter-not-a-table",
        {"assumptions": {"anchor_2030": {"dist": "empirical", "estimates": 5}}},
        "must be a table of column = value filters",
    ),
    (
        "empirical-without-estimates-file",
        {"assumptions": {"anchor_2030": {"dist": "empirical", "estimates": {"year": 2030}}}},
        "needs the scenario's top-level 'estimates' file",
    ),
    (
        "empirical-unknown-filter",
        {
            "estimates": str(ESTIMATES),
            "assumptions": {"anchor_2030": {"dist": "empirical", "estimates": {"colour": "red"}}},
        },
        "estimates.colour: must be one of",
    ),
    (
        "empirical-too-few-matches",
        {
            "estimates": str(ESTIMATES),
            "assumptions": {"anchor_2030": {"dist": "empirical", "estimates": {"year": 1901}}},
        },
        "must match at least two published estimates; got 0",
    ),
    ("correlation-without-assumptions", {"correlation": CORR}, "needs [assumptions] to correlate"),
    (
        "correlation-unknown-key",
        {"assumptions": TWO, "correlation": {**CORR, "method": "spearman"}},
        "unknown key (allowed: inputs, matrix); got 'method'",
    ),
    (
        "correlation-inputs-not-a-list",
        {"assumptions": TWO, "correlation": {**CORR, "inputs": "base"}},
        "must be a list of assumption names",
    ),
    (
        "correlation-unknown-input",
        {"assumptions": TWO, "correlation": {**CORR, "inputs": ["bsae", "anchor_2030"]}},
        "did you mean 'base'?",
    ),
    (
        "correlation-repeated-input",
        {"assumptions": TWO, "correlation": {**CORR, "inputs": ["base", "base"]}},
        "names must not repeat",
    ),
    (
        "correlation-matrix-not-a-list",
        {"assumptions": TWO, "correlation": {**CORR, "matrix": 0.5}},
        "must be a list of rows",
    ),
    (
        "shares-leave-no-room",
        {
            "segments": SEGMENTS,
            "assumptions": {
                "share_A": {"dist": "uniform", "min": 0.6, "max": 0.7},
                "share_B": {"dist": "uniform", "min": 0.5, "max": 0.6},
            },
        },
        "their minimums sum above 1",
    ),
]


@pytest.mark.parametrize(("changes", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_assumptions_are_user_errors(
    ws: Workspace, run_cli: Callable[..., Result], changes: dict[str, Any], fragment: str
) -> None:
    path = ws.write(_doc(ws, **changes))
    assert_user_error(run_cli("validate", path), fragment)


def test_base_needs_a_history(ws: Workspace, run_cli: Callable[..., Result]) -> None:
    doc = _doc(ws, history=None, assumptions={"base": RANGE})
    doc["anchors"].insert(0, {"year": 2025, "value": "390 billion USD", "source": "test"})
    path = ws.write(doc)
    assert_user_error(run_cli("validate", path), "needs a history to take the base year from")


# ------------------------------------------------------------------------------------------------
# Drawn values turned into curves (propagate.apply_assumptions), through `forecast simulate`
# ------------------------------------------------------------------------------------------------

SIM_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("exponential-base-and-anchor", "exponential", {**TWO}, True),
    ("exponential-base-no-anchor", "exponential", {"base": RANGE}, False),
    (
        "logistic-base-no-anchor",
        "logistic",
        {"base": RANGE, "saturation": "2 to 4 trillion USD"},
        False,
    ),
    ("logistic-rate-under-hard-anchor", "logistic", {"r": {"dist": "uniform", "min": 0.3,
                                                          "max": 0.5}}, True),
    ("gompertz-anchor-only", "gompertz", {"anchor_2030": "1.4 to 1.7 trillion USD"}, True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("family", "assumptions", "anchored"),
    [c[1:] for c in SIM_CASES],
    ids=[c[0] for c in SIM_CASES],
)
def test_drawn_assumptions_become_curves(
    ws: Workspace,
    run_cli: Callable[..., Result],
    family: str,
    assumptions: dict[str, Any],
    anchored: bool,
) -> None:
    doc = _doc(ws, family=family, assumptions=assumptions)
    if not anchored:
        doc.pop("anchors")
    doc["simulation"] = {"draws": 400, "sampler": "lhs", "seed": 3}
    path = ws.write(doc)
    res = run_cli("simulate", path, "--out", ws.out, "--quiet", "--json")
    assert res.code == 0, res.err
    summary = json.loads(res.out)
    text = json.dumps(summary)
    assert "NaN" not in text and "Infinity" not in text
    quantiles = pd.read_csv(ws.out / "mini.simulation" / "quantiles.csv")
    numbers = quantiles.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(numbers).all()
