"""Monte Carlo benchmark: the toolkit against a bare numpy floor on the reference workload.

Reference workload (issue 4): the default scenario with five uncertain inputs, two of them
rank-correlated, sector segments, yearly from the last history year to 2040, all three layers
(fit, assumptions, noise). Both sides compute the same statistics: per-year quantiles and means
of the total and every segment. The floor is hand-written numpy with no validation, no
frames and no files: the same draws (Latin hypercube replaced by plain uniforms), the same copula,
the same inverse CDFs and closed forms.

Every configuration runs in a fresh Python process so that peak memory (ru_maxrss) is its own.

Usage::

    python benchmarks/monte_carlo.py                 # 100k, 1M and 10M draws
    python benchmarks/monte_carlo.py --draws 100000 1000000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "global-ai-2030-uncertain.toml"

_SETUP = textwrap.dedent(
    """
    import resource, sys, time
    import numpy as np
    from dataclasses import replace
    from forecast.scenario import load_document, parse_scenario
    doc, chain = load_document(sys.argv[1])
    doc["projection"]["horizon"] = 2040
    sc = parse_scenario(doc, sys.argv[1], chain)
    n = int(sys.argv[2])
    """
)

_TOOLKIT = _SETUP + textwrap.dedent(
    """
    from forecast.simulation import simulate_scenario
    simulate_scenario(sc, draws=1000)  # warm: imports, first fit
    t = time.perf_counter()
    res = simulate_scenario(sc, draws=n, sampler="mc")
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(wall, rss, float(res.result.values[0, 3, 5]))
    """
)

_FLOOR = _SETUP + textwrap.dedent(
    """
    from scipy import special
    from forecast.models.simulate import draw_params
    hist = sc.history
    fit = sc.model.fit(hist.years, hist.values, sc.anchors)
    years = sc.projection_years
    a = sc.assumptions
    names = list(a.names)
    d = dict(zip(names, a.distributions))
    base, sat, anc = d["base"], d["saturation"], d["anchor_2030"]
    hc, fi = d["share_Healthcare"], d["share_Finance"]
    shares0 = np.array([s.share(years) for s in sc.segments])
    seg_h, seg_f = [s.name for s in sc.segments].index("Healthcare"), [
        s.name for s in sc.segments].index("Finance")
    emp = np.sort(np.asarray(anc.values))
    rho = 2 * np.sin(np.pi * 0.6 / 6)
    L = np.linalg.cholesky(np.array([[1, rho], [rho, 1]]))
    t0, ta = fit.t_ref, 2030.0
    qs = np.array([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95])

    def run():
        rng = np.random.default_rng(1)
        store = np.empty((1 + len(shares0), len(years), n), dtype=np.float32)
        for s in range(0, n, 65536):
            m = min(65536, n - s)
            u = rng.random((m, 5))
            z = special.ndtri(u[:, 1:3]) @ L.T
            u[:, 1:3] = special.ndtr(z)
            y0 = np.exp(base.mu + base.sigma * special.ndtri(u[:, 0]))
            k = sat.lo + (sat.hi - sat.lo) * special.betaincinv(sat.alpha, sat.beta, u[:, 1])
            va = emp[np.minimum((u[:, 2] * len(emp)).astype(int), len(emp) - 1)]
            theta, sig = draw_params(fit, m, rng)
            z0, za = special.logit(y0 / k), special.logit(va / k)
            r = (za - z0) / (ta - t0)
            tm = t0 - z0 / r
            paths = k[:, None] * special.expit(r[:, None] * (years - tm[:, None]))
            paths *= np.exp(sig[:, None] * rng.standard_normal(paths.shape))
            sh = np.broadcast_to(shares0, (m, *shares0.shape)).copy()
            sh[:, seg_h, :] = hc.lo + (hc.hi - hc.lo) * u[:, 3:4]
            c = (fi.mode - fi.lo) / (fi.hi - fi.lo)
            v = u[:, 4]
            tri = np.where(v < c, fi.lo + np.sqrt(v * (fi.hi - fi.lo) * (fi.mode - fi.lo)),
                           fi.hi - np.sqrt((1 - v) * (fi.hi - fi.lo) * (fi.hi - fi.mode)))
            sh[:, seg_f, :] = tri[:, None]
            sh /= sh.sum(axis=1, keepdims=True)
            store[0, :, s:s + m] = paths.T
            store[1:, :, s:s + m] = np.transpose(sh * paths[:, None, :], (1, 2, 0))
        out = np.empty((store.shape[0], len(qs), store.shape[1]))
        for i in range(store.shape[0]):
            for j in range(store.shape[1]):
                out[i, :, j] = np.quantile(store[i, j], qs)
        means = store.mean(axis=2, dtype=np.float64)
        return out, means

    t = time.perf_counter()
    out, means = run()
    wall = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(wall, rss, float(out[0, 3, 5]))
    """
)


def _measure(code: str, draws: int) -> tuple[float, float, float]:
    proc = subprocess.run(
        [sys.executable, "-c", code, str(SCENARIO), str(draws)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall, rss, check = proc.stdout.split()
    return float(wall), float(rss), float(check)


def closed_form_check(draws: int = 1_000_000) -> dict[str, float]:
    """Exponential growth from the fitted base with g ~ N(30%, 5%): y_T = y0 (1 + g)^T is
    monotone in g, so its quantiles and P(y_T >= A) have closed forms."""
    import tempfile

    import numpy as np
    from scipy import stats

    from forecast.simulation import simulate_scenario

    text = (
        'name = "closed-form"\ndescription = "lognormal-free check"\n'
        f'[history]\nfile = "{ROOT / "data/history/global_ai_gvr.csv"}"\n'
        '[model]\nfamily = "exponential"\n'
        '[[anchors]]\nyear = 2030\nvalue = "1.57 trillion USD"\nkind = "soft"\n'
        'tolerance = "50%"\nsource = "seed claim"\n'
        "[projection]\nhorizon = 2030\n"
        '[assumptions.cagr]\ndist = "normal"\nmean = "30%"\nsd = "5%"\n'
        f'[simulation]\ndraws = {draws}\nsampler = "mc"\nlayers = ["assumptions"]\n'
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "closed.toml"
        path.write_text(text, encoding="utf-8")
        sim = simulate_scenario(path)
    fit, r = sim.fit, sim.result
    y0 = float(fit.predict([fit.t_ref])[0])
    span = 2030 - fit.t_ref
    g = stats.norm(0.30, 0.05)
    (anchor,) = r.anchors
    p_closed = float(1 - g.cdf((1570.0 / y0) ** (1 / span) - 1))
    t = int(np.searchsorted(r.years, 2030))
    median_closed = y0 * 1.30**span
    return {
        "draws": draws,
        "p_mc": anchor["probability"],
        "p_closed": p_closed,
        "mc_se": anchor["mc_se"],
        "z": (anchor["probability"] - p_closed) / anchor["mc_se"],
        "median_mc": float(r.values[0, r.quantiles.index(0.5), t]),
        "median_closed": median_closed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    rows = []
    print(
        f"{'draws':>12} {'toolkit s':>10} {'floor s':>9} {'ratio':>6} "
        f"{'toolkit MiB':>12} {'floor MiB':>10} {'median 2030 (toolkit / floor)':>32}"
    )
    for n in args.draws:
        tk = _measure(_TOOLKIT, n)
        fl = _measure(_FLOOR, n)
        row = {
            "draws": n,
            "toolkit_seconds": tk[0],
            "floor_seconds": fl[0],
            "ratio": tk[0] / fl[0],
            "toolkit_peak_mib": tk[1],
            "floor_peak_mib": fl[1],
            "toolkit_median_2030": tk[2],
            "floor_median_2030": fl[2],
        }
        rows.append(row)
        print(
            f"{n:>12,} {tk[0]:>10.2f} {fl[0]:>9.2f} {tk[0] / fl[0]:>6.2f} {tk[1]:>12.0f} "
            f"{fl[1]:>10.0f} {tk[2]:>15.1f} / {fl[2]:<15.1f}"
        )
    check = closed_form_check()
    print(
        f"closed form ({check['draws']:,} draws): P(reach $1.57T in 2030) MC {check['p_mc']:.4f} "
        f"vs exact {check['p_closed']:.4f} (MC s.e. {check['mc_se']:.4f}, z {check['z']:+.2f}); "
        f"median {check['median_mc']:.1f} vs exact {check['median_closed']:.1f}"
    )
    if args.json:
        payload = {"runs": rows, "closed_form": check}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
