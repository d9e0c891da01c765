"""Parameters on or near a bound are drawn from their distribution cut at the bound, never held
at their estimate (issue 12: "every parameter: none silently held"); the run's warnings say
their intervals are one-sided there."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from forecast.models.simulate import draw_params, near_bound_params
from forecast.projection import run_scenario

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def _near(tmp_path: Path) -> Path:
    p = tmp_path / "near.toml"
    p.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\nname = "near"\nanchors = []\n',
        encoding="utf-8",
    )
    return p


def test_near_bound_parameter_is_drawn_inside_its_bounds_and_said(tmp_path: Path) -> None:
    res = run_scenario(_near(tmp_path))
    fit = res.fit
    k = fit.family.params.index("K")
    assert fit.theta[k] > fit.lower[k]  # inside the bounds, not on them
    assert "K" not in fit.at_bounds and near_bound_params(fit) == ["K"]
    theta, _ = draw_params(fit, 4000, 1)
    assert (theta[:, k] >= fit.lower[k]).all() and (theta[:, k] <= fit.upper[k]).all()
    assert np.ptp(theta[:, k]) > 0  # drawn, not held
    # the point path starts from the actual value, and the draws spread from there
    proj = res.projection
    assert proj["mean"].iloc[0] == fit.values[-1]
    assert (proj["hi-80"] - proj["lo-80"]).iloc[-1] > 0
    assert any("within one standard error of a bound: K" in w for w in res.warnings())
    assert any("one-sided" in w for w in res.warnings())


def test_parameters_far_from_bounds_are_drawn_without_a_warning() -> None:
    res = run_scenario(SCEN / "global-ai-2030.toml")
    assert near_bound_params(res.fit) == []
    assert np.isfinite(res.projection["lo-80"]).all()
    assert not any("bound" in w for w in res.warnings())


def test_level_solved_from_a_hard_anchor_is_never_drawn(tmp_path: Path) -> None:
    p = tmp_path / "nearK.toml"
    p.write_text(
        f'extends = "{(SCEN / "global-ai-2030.toml").as_posix()}"\nname = "near-k"\n'
        '[model]\nbounds = { K = ["3 trillion USD", "40 trillion USD"] }\n',
        encoding="utf-8",
    )
    fit = run_scenario(p).fit
    assert "K" not in near_bound_params(fit)
    theta, _ = draw_params(fit, 4000, 1)
    k = fit.family.params.index("K")
    assert (theta[:, k] >= fit.lower[k] - 1e-9).all()  # re-solved inside the user's bounds
    curve = fit.family(np.array([2030.0]), theta, fit.t_ref)[:, 0]
    np.testing.assert_allclose(curve, 1570.0, rtol=1e-9)  # every drawn curve meets the anchor
