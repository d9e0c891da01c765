"""Reconciliation benchmark: forecast.uncertainty.reconcile against hierarchicalforecast.

Workload: a total and five regions, 12 years of in-sample residuals sharing a common factor,
``--draws`` Monte Carlo draws of 8 yearly base forecasts (incoherent: the total drifts from the
sum of the regions). For every method both sides reconcile the same base forecasts (ours as one
``(draws, years, nodes)`` array, hierarchicalforecast's as ``(nodes, draws * years)``); the table
gives the largest relative difference and the best of three wall times of fit + reconcile, warm.

Usage::

    python benchmarks/reconcile.py                   # 10,000 draws
    python benchmarks/reconcile.py --draws 100000 --json out.json

Needs the ``bench`` extra (hierarchicalforecast).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from forecast.uncertainty import Hierarchy, Reconciler

PARTS = ("North America", "Europe", "Asia Pacific", "Latin America", "Middle East & Africa")


def workload(draws: int) -> dict[str, Any]:
    """Deterministic inputs (seeded), one column per node, total first."""
    h = Hierarchy.two_level("World", PARTS)
    rng = np.random.default_rng(20240613)
    years, horizon, n = 12, 8, len(h.nodes)
    t = np.arange(years)[:, None]
    bottom = np.array([120.0, 95.0, 140.0, 25.0, 18.0]) * 1.08**t
    history = h.coherent(bottom)
    history[:, 0] *= 1 + 0.04 * rng.standard_normal(years)  # the published total does not add up
    common = rng.standard_normal((years, 1))
    residuals = (0.03 * common + 0.02 * rng.standard_normal((years, n))) * history
    k = np.arange(horizon)[None, :, None]
    level = h.coherent(bottom[-1] * 1.07 ** (k[0] + 1))
    noise = np.exp(0.05 * rng.standard_normal((draws, horizon, n)) + 0.1 * k / horizon)
    return {"h": h, "history": history, "residuals": residuals, "base": level[None] * noise}


def _ours(rec: Reconciler, w: dict[str, Any]) -> np.ndarray:
    r = rec.fit(w["h"], history=w["history"], residuals=w["residuals"])
    return r.apply(w["base"]).values


def _theirs(name: str, w: dict[str, Any]) -> np.ndarray:
    from hierarchicalforecast import methods as hf

    h, base = w["h"], w["base"]
    recon = {
        "bottom_up": lambda: hf.BottomUp(),
        "top_down": lambda: hf.TopDown(name.split(":")[1]),
    }.get(name.split(":")[0], lambda: hf.MinTrace(name))()
    tags = {"total": np.array([0]), "total/region": np.arange(1, len(h.nodes))}
    out = recon.fit_predict(
        S=h.summing,
        y_hat=base.reshape(-1, len(h.nodes)).T,
        y_insample=w["history"].T,
        y_hat_insample=(w["history"] - w["residuals"]).T,
        tags=tags,
    )["mean"]
    return np.asarray(out.T.reshape(base.shape))


def _timed(fn: Any) -> tuple[float, Any]:
    """Best wall time of three runs after a warm-up, and the result."""
    out = fn()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--draws", type=int, default=10_000)
    p.add_argument("--json", help="also write the rows to this file")
    args = p.parse_args(argv)
    w = workload(args.draws)
    names = [
        "bottom_up",
        "top_down:average_proportions",
        "top_down:proportion_averages",
        "top_down:forecast_proportions",
        "ols",
        "wls_struct",
        "wls_var",
        "mint_cov",
        "mint_shrink",
    ]
    print(f"{args.draws:,} draws x 8 years x {len(w['h'].nodes)} nodes")
    print(f"{'method':<32} {'max rel diff':>12} {'ours s':>8} {'hf s':>8} {'fallbacks':>9}")
    rows = []
    for name in names:
        method, _, kind = name.partition(":")
        rec = Reconciler(method, kind or "average_proportions")  # type: ignore[arg-type]
        t_ours, ours = _timed(lambda rec=rec: _ours(rec, w))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_hf, theirs = _timed(lambda name=name: _theirs(name, w))
        diff = float(np.max(np.abs(ours / theirs - 1)))
        fit = rec.fit(w["h"], history=w["history"], residuals=w["residuals"])
        fallbacks = fit.apply(w["base"]).fallbacks
        rows.append(
            {
                "method": name,
                "max_rel_diff": diff,
                "ours_s": t_ours,
                "hf_s": t_hf,
                "fallbacks": fallbacks,
            }
        )
        print(f"{name:<32} {diff:>12.2e} {t_ours:>8.3f} {t_hf:>8.3f} {fallbacks:>9}")
    payload = {"draws": args.draws, "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
