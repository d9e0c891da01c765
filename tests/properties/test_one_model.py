"""One simulation core behind every figure (issue 12): invariants over random scenarios and every
subset of layers.

Each example writes a scenario (a random growth history, a closed-form family, an optional hard
anchor, a random set of uncertain assumptions, optional segments with a drawn share) and draws it
with the core ``forecast run`` and ``forecast simulate`` use, keeping every draw. Then:

* per draw, the segments sum to the total; per year, the reported quantiles are the quantiles
  of the draws;
* with a fixed base, the k-th percentile of the growth rate from the base year to year Y is
  ``(k-th percentile of the value in Y / base)^(1/(Y-T)) - 1`` (to 1e-9);
* P(reach anchor) is the share of draws at or above it;
* each layer, switched on, changes the draws, or the result says why it cannot; with one layer
  on, a layer that has no effect leaves every draw on the point path;
* the point path (every input at its central value) starts at the last actual value (at the
  base's median when base is drawn) and meets a hard anchor (unless the anchor's value is
  drawn); without the noise layer and with the anchor not drawn, so does every draw.
"""

from __future__ import annotations

import tempfile
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import to_toml, write_csv
from forecast.errors import ForecastError
from forecast.projection import fit_scenario, run_scenario, simulate_fit
from forecast.scenario import load_scenario
from forecast.uncertainty.propagate import REACH_RTOL

from .conftest import examples

LAYER_SETS = [tuple(c) for k in (1, 2, 3) for c in combinations(("fit", "assumptions", "noise"), k)]
DRAWS = 600


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(5, 9))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    start = draw(st.floats(10.0, 500.0))
    growth = draw(st.floats(0.03, 0.35))
    sigma = draw(st.floats(0.005, 0.12))
    years = np.arange(2024 - n + 1, 2025)
    values = start * (1 + growth) ** np.arange(n) * np.exp(sigma * rng.standard_normal(n))
    family = draw(st.sampled_from(["logistic", "gompertz", "exponential"]))
    anchored = draw(st.booleans())
    last = float(values[-1])
    anchor = last * (1 + growth) ** 6 * draw(st.floats(0.8, 1.25))
    picks = draw(
        st.sets(st.sampled_from(["base", "saturation", "anchor", "cagr", "share"]), max_size=3)
    )
    segments = "share" in picks or draw(st.booleans())
    return {
        "years": years,
        "values": values,
        "family": family,
        "anchor": anchor if anchored else None,
        "picks": picks,
        "segments": segments,
        "last": last,
        "growth": growth,
        "layers": draw(st.sampled_from(LAYER_SETS)),
    }


def _document(case: dict[str, Any]) -> dict[str, Any]:
    last, anchor, fam = case["last"], case["anchor"], case["family"]
    doc: dict[str, Any] = {
        "name": "prop",
        "description": "property test scenario",
        "history": {"file": "h.csv", "value_column": "value_usd_bn", "source": "random"},
        "model": {"family": fam},
        "projection": {"horizon": 2032, "draws": DRAWS, "seed": 11, "levels": [80, 95]},
    }
    top = max(anchor or 0.0, last * (1 + case["growth"]) ** 8)
    if fam != "exponential":
        doc["model"]["bounds"] = {"K": [f"{1.05 * top:.6g} billion", f"{40 * top:.6g} billion"]}
    if anchor is not None:
        doc["anchors"] = [{"year": 2030, "value": f"{anchor:.6g} billion", "source": "test"}]
    assumptions: dict[str, Any] = {}
    picks = case["picks"]
    if "base" in picks and (fam != "exponential" or anchor is not None):
        assumptions["base"] = f"{0.95 * last:.6g} to {1.05 * last:.6g} billion USD"
    if "saturation" in picks and fam != "exponential":
        assumptions["saturation"] = {
            "dist": "pert",
            "min": f"{1.1 * top:.6g} billion",
            "mode": f"{2 * top:.6g} billion",
            "max": f"{6 * top:.6g} billion",
        }
    if "anchor" in picks and anchor is not None:
        assumptions["anchor_2030"] = {
            "dist": "triangular",
            "min": f"{0.85 * anchor:.6g} billion",
            "mode": f"{anchor:.6g} billion",
            "max": f"{min(1.15 * anchor, 1.04 * top):.6g} billion",
        }
    elif "cagr" in picks:
        g = 100 * case["growth"]
        assumptions["cagr_2024_2030"] = {"dist": "normal", "mean": f"{g:.3g}%", "sd": "3%"}
    if case["segments"]:
        doc["segments"] = [
            {"name": "A", "share": 0.6, "source": "test"},
            {"name": "B", "share": 0.4, "source": "test"},
        ]
        if "share" in picks:
            assumptions["share_A"] = {"dist": "uniform", "min": 0.5, "max": 0.7}
    if assumptions:
        doc["assumptions"] = assumptions
    doc["simulation"] = {"layers": list(case["layers"]), "draws": DRAWS}
    return doc


def _simulate(case: dict[str, Any], layers: tuple[str, ...], folder: Path) -> Any:
    doc = _document({**case, "layers": layers})
    write_csv(folder / "h.csv", list(zip(case["years"], case["values"], strict=True)))
    path = folder / "prop.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    sc = load_scenario(path)
    from dataclasses import replace

    from forecast.projection import run_spec

    spec = replace(run_spec(sc), layers=layers)
    return sc, simulate_fit(sc, fit_scenario(sc, sc.model), spec, keep_paths=True)


@settings(max_examples=examples(0.4))
@given(case=scenarios())
def test_every_figure_is_read_off_one_set_of_draws(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        try:
            sc, sim = _simulate(case, case["layers"], folder)
        except ForecastError:
            assume(False)  # a combination the scenario rules refuse, or a fit that fails
            return
        r = sim.result
        paths = r.paths
        assert paths is not None and paths.shape[2] == r.valid
        # segments sum to the total in every draw and year
        if len(r.series) > 1:
            np.testing.assert_allclose(paths[1:].sum(axis=0), paths[0], rtol=1e-12)
        # the reported quantiles are the quantiles of the draws
        for s_i in range(len(r.series)):
            want = np.quantile(paths[s_i], r.quantiles, axis=1)
            np.testing.assert_array_equal(r.values[s_i], want)
        # growth-rate quantiles follow from the value quantiles when the base is fixed
        t0 = r.base_year
        if np.all(r.base == r.base[0]):
            for t_i, year in enumerate(r.years):
                if year <= t0:
                    continue
                rates = r.cagr[f"{t0}-{year}"]
                want = (r.values[0, :, t_i] / r.base[0]) ** (1.0 / (year - t0)) - 1.0
                np.testing.assert_allclose(rates, want, rtol=0, atol=1e-9)
        # P(reach anchor) is the share of draws at or above it
        for a in r.anchors:
            t_i = list(r.years).index(a["year"])
            share = float(np.mean(paths[0, t_i] >= a["value_usd_bn"] * (1 - REACH_RTOL)))
            assert a["probability"] == share
        # paths start from the last actual value (the base's median when base is drawn: the
        # point path has every input at its central value); the point path meets a hard anchor
        last = float(case["values"][-1])
        names = set(sc.assumptions.names) if sc.assumptions is not None else set()
        if "base" not in names:
            assert r.point[0, 0] == last
            assert np.all(paths[0, 0] == last)
        else:
            base = sc.assumptions.distributions[sc.assumptions.names.index("base")]
            assert r.point[0, 0] == base.median
        anchor = sc.anchors[0].value if sc.anchors else None  # as written (6 digits)
        drawn_end = any(n.startswith(("anchor_", "cagr_")) for n in r.input_names)
        if anchor is not None:
            t_a = list(r.years).index(2030)
            # the calibrated curve meets it (within the fit's 1e-4 tolerance for a hard anchor;
            # exactly unless a bound stops it), and the point path's gap is closed there
            assert abs(sim.fit.predict([2030])[0] / anchor - 1) < 1e-4
            if not names & {"anchor_2030", "cagr_2024_2030"}:
                assert abs(r.point[0, t_a] / sim.fit.predict([2030])[0] - 1) < 1e-9
            if "noise" not in case["layers"] and not drawn_end:
                # a 2030 anchor written as an assumption but not drawn (its layer off) sits at
                # its central value, the distribution's median, like every input not drawn
                end = anchor
                if "anchor_2030" in names:
                    dists = sc.assumptions.distributions
                    end = dists[sc.assumptions.names.index("anchor_2030")].median
                np.testing.assert_allclose(paths[0, t_a], end, rtol=1e-4)


@settings(max_examples=examples(0.25))
@given(case=scenarios())
def test_each_layer_changes_the_draws_or_says_why(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        layers = ("fit", "assumptions", "noise")
        try:
            _, full = _simulate(case, layers, folder)
        except ForecastError:
            assume(False)
            return
        for layer in layers:
            rest = tuple(x for x in layers if x != layer)
            _, without = _simulate(case, rest, folder)
            _, alone = _simulate(case, (layer,), folder)
            said = [n for n in full.result.notes if n.startswith(f"{layer} layer")]
            a, b = full.result.paths, without.result.paths
            changed = (
                a is not None
                and b is not None
                and (a.shape != b.shape or not np.allclose(a, b, rtol=1e-12, atol=0))
            )
            unused = layer == "assumptions" and not full.result.input_names
            assert changed or said or unused, (layer, full.result.notes)
            # alone, a layer with no effect leaves every draw on the point path
            ra = alone.result
            assert ra.paths is not None
            flat = np.allclose(ra.paths, ra.point[:, :, None], rtol=1e-9, atol=0)
            silent = bool([n for n in ra.notes if "no effect" in n]) or unused
            if silent:
                assert flat, (layer, ra.notes)
            else:
                assert not flat, (layer, ra.notes)


def test_projection_csv_starts_at_the_actual_value_and_report_agrees(tmp_path: Path) -> None:
    """The last history year in projection.csv is the actual value (default start), and the
    fitted curve's gap there is reported."""
    write_csv(
        tmp_path / "h.csv",
        [(2019, 28.9), (2020, 41.5), (2021, 63.2), (2022, 88.2), (2023, 112.4), (2024, 121.7)],
    )
    doc = {
        "name": "ev",
        "description": "EV battery market, made up",
        "history": {"file": "h.csv", "value_column": "value_usd_bn", "source": "made up"},
        "anchors": [{"year": 2030, "value": "410 billion USD", "source": "made up"}],
        "model": {"family": "logistic", "bounds": {"K": ["420 billion", "5 trillion"]}},
        "projection": {"horizon": 2035, "draws": 2000, "seed": 7},
    }
    (tmp_path / "ev.toml").write_text(to_toml(doc), encoding="utf-8")
    res = run_scenario(tmp_path / "ev.toml")
    first = res.projection.iloc[0]
    assert first["year"] == 2024 and first["mean"] == 121.7
    assert first["median"] == first["lo-95"] == first["hi-95"] == 121.7
    gap = res.summary()["projection"]["start_gap"]
    assert gap["actual_usd_bn"] == 121.7 and gap["fitted_usd_bn"] > 130
    assert gap["gap_pct"] == 100 * (gap["fitted_usd_bn"] / 121.7 - 1)
    # 2025: the next year grows from the actual value, not from the fitted curve's
    row = res.value_at(2025)
    assert row["mean"] / 121.7 - 1 < 0.40
    # the fitted start keeps the old behaviour: the curve's own value
    doc["projection"]["start"] = "fitted"
    (tmp_path / "ev.toml").write_text(to_toml(doc), encoding="utf-8")
    fitted = run_scenario(tmp_path / "ev.toml")
    assert fitted.projection.iloc[0]["mean"] == gap["fitted_usd_bn"]


def test_run_and_simulate_share_the_model(tmp_path: Path) -> None:
    """``run`` and ``simulate`` differ in draws and layers, never in the model: the same draws
    and layers give the same figures."""
    from forecast.simulation import simulate_scenario

    sc = load_scenario(Path("scenarios/global-ai-2030-uncertain.toml"))
    run = run_scenario(sc)
    sim = simulate_scenario(sc, draws=sc.draws, layers=tuple(sc.simulation.layers))
    np.testing.assert_array_equal(run.simulation.result.values, sim.result.values)
    assert run.value_at(2030)["median"] == float(sim.result.quantile(0.5)[5])
