"""Every registered growth family (:mod:`forecast.families`) goes through the whole toolkit:
fitted to a history drawn from its own curve, simulated, run as a scenario with its report
and workbook, and (for the families the registry marks ``compared``) audited. A new family is
one registry entry, its kernels and one line in ``CURVES`` below; this test then holds it to
everything the others do."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from forecast.audit import history_probability
from forecast.families import CLOSED_FORM, COMPARED, FAMILY_NAMES
from forecast.models import FAMILIES, GrowthModel
from forecast.uncertainty.propagate import CLOSED_FORM_FAMILIES

YEARS = np.arange(2012, 2024, dtype=float)
P, Q = 0.03, 0.4


def _bass_cdf(x: np.ndarray) -> np.ndarray:
    e = np.exp(-(P + Q) * x)
    return np.asarray((1 - e) / (1 + (Q / P) * e))


def _bass_pdf(x: np.ndarray) -> np.ndarray:
    e = np.exp(-(P + Q) * x)
    return np.asarray(((P + Q) ** 2 / P) * e / (1 + (Q / P) * e) ** 2)


# each family's own shape, in USD billion (a market a few hundred billion large)
CURVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "exponential": lambda t: 20 * 1.25 ** (t - 2012),
    "linear": lambda t: 50 + 12 * (t - 2012),
    "logistic": lambda t: 1000 / (1 + np.exp(-0.45 * (t - 2021))),
    "gompertz": lambda t: 1000 * np.exp(-np.exp(-0.35 * (t - 2020))),
    "bass": lambda t: 1000 * _bass_cdf(t - 2008),
    "bass_sales": lambda t: 1000 * _bass_pdf(t - 2008),
}


def _history(family: str) -> np.ndarray:
    noise = np.exp(np.random.default_rng(7).normal(0, 0.01, len(YEARS)))
    return CURVES[family](YEARS) * noise


def test_every_family_has_a_curve_here_and_kernels_there() -> None:
    assert tuple(CURVES) == FAMILY_NAMES == tuple(FAMILIES)
    assert CLOSED_FORM_FAMILIES == CLOSED_FORM


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_fit_and_simulate(family: str) -> None:
    values = _history(family)
    fit = GrowthModel(family).fit(YEARS, values)
    assert all(np.isfinite(v) for v in fit.params.values())
    rel = np.abs(fit.predict(YEARS) / values - 1)
    assert rel.max() < 0.05, f"{family} misses its own curve by {rel.max():.1%}"
    paths = fit.simulate([2026, 2030], draws=200, seed=np.random.default_rng(1))
    assert paths.shape == (200, 2) and np.all(np.isfinite(paths))


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_scenario_report_and_workbook(
    family: str, tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    values = _history(family)
    rows = "\n".join(f"{int(y)},{v:.4f}" for y, v in zip(YEARS, values, strict=True))
    (tmp_path / "history.csv").write_text(f"year,value_usd_bn\n{rows}\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(
        f'name = "contract-{family.replace("_", "-")}"\n'
        f'title = "A made-up market on a {family} curve"\n'
        'unit = "USD billion"\n'
        '[history]\nfile = "history.csv"\nvalue_column = "value_usd_bn"\n'
        'source = "made up for the test"\n'
        f'[model]\nfamily = "{family}"\n'
        "[projection]\nhorizon = 2030\ndraws = 200\n",
        encoding="utf-8",
    )
    res = run_cli("run", tmp_path / "s.toml", "--out", tmp_path / "out")
    assert res.code == 0, res.err  # type: ignore[attr-defined]
    folder = next((tmp_path / "out").iterdir())
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["model"]["family"] == family
    for name in ("report.html", "report.md", "workbook.xlsx", "charts/fan.png"):
        assert (folder / name).stat().st_size > 0, name
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert family in html


def test_the_audit_fits_every_compared_family() -> None:
    values = _history("exponential")
    rows = history_probability(YEARS, values, 2030, 200.0, draws=200)
    assert [r["model"] for r in rows] == [*COMPARED, "auto"]
