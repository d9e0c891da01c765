"""Parameters on or near a bound are held in the bootstrap, so the intervals stay around the
point forecast (a property test found a 80% interval above the point when K's estimate sat just
above its lower bound and draws below it were redrawn)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.models.simulate import held_params
from forecast.projection import run_scenario

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def _near(tmp_path: Path) -> Path:
    p = tmp_path / "near.toml"
    p.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\nname = "near"\nanchors = []\n',
        encoding="utf-8",
    )
    return p


def test_near_bound_parameter_is_held_and_intervals_contain_the_point(tmp_path: Path) -> None:
    res = run_scenario(_near(tmp_path))
    fit = res.fit
    k = fit.family.params.index("K")
    assert fit.theta[k] > fit.lower[k]  # inside the bounds, not on them
    assert "K" not in fit.at_bounds and held_params(fit) == ["K"]
    proj = res.projection
    for lv in (80, 95):
        assert (proj[f"lo-{lv}"] <= proj["mean"]).all() and (proj["mean"] <= proj[f"hi-{lv}"]).all()
    assert any("within one standard error of a bound: K" in w for w in res.warnings())


def test_parameters_far_from_bounds_are_drawn() -> None:
    res = run_scenario(SCEN / "global-ai-2030.toml")
    assert held_params(res.fit) == []
    assert np.isfinite(res.projection["lo-80"]).all()


def test_level_solved_from_a_hard_anchor_is_never_held(tmp_path: Path) -> None:
    from forecast.models.simulate import draw_params

    p = tmp_path / "nearK.toml"
    p.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\nname = "near-k"\n'
        '[model]\nbounds = { K = ["3 trillion USD", "40 trillion USD"] }\n',
        encoding="utf-8",
    )
    fit = run_scenario(p).fit
    assert "K" not in held_params(fit)
    theta, _ = draw_params(fit, 4000, 1)
    k = fit.family.params.index("K")
    assert (theta[:, k] >= fit.lower[k] - 1e-9).all()  # redrawn inside the user's bounds


def test_others_are_drawn_given_the_held_parameter(tmp_path: Path) -> None:
    res = run_scenario(_near(tmp_path))
    row = res.value_at(2025)  # a fitted history year: residual sd under 1%
    assert (row["hi-80"] - row["lo-80"]) / row["mean"] < 0.15
