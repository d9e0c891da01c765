"""The ``simulate`` and ``sensitivity`` commands (Monte Carlo over a scenario's assumptions).

The error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import units
from .._textfmt import money, output_line, pct
from ..errors import ForecastError
from ..readpolicy import allowed
from .batch import cluster
from .options import cluster_options, output_options

if TYPE_CHECKING:
    from ..projection import ScenarioSimulation
    from ..scenario import Scenario


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``simulate`` and ``sensitivity`` to ``sub``."""
    sim = sub.add_parser(
        "simulate",
        parents=parents,
        help="Monte Carlo over a scenario's assumptions",
        description="Draw the scenario's [assumptions] (with their rank correlation), the fit's "
        "parameter uncertainty and residual noise; write OUT/<scenario>.simulation/"
        "quantiles.csv, anchors.csv and summary.json and print a summary.",
    )
    sim.add_argument("scenario", metavar="SCENARIO")
    sim.add_argument("--draws", type=int, help="number of draws (default: the scenario's)")
    sim.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    sim.add_argument("--sampler", help="mc, lhs or sobol (default: the scenario's)")
    sim.add_argument(
        "--layers", help="comma-separated subset of fit,assumptions,noise (default: all)"
    )
    sim.add_argument(
        "--exact",
        action="store_true",
        help="exact quantiles at any number of draws, keeping every draw in memory (default: "
        "exact up to 1,000,000 draws, mergeable summaries with a stated rank error above)",
    )
    _monte_carlo_options(sim)
    output_options(sim, quiet=True)
    sim.set_defaults(handler=cmd_simulate)

    sen = sub.add_parser(
        "sensitivity",
        parents=parents,
        help="which assumptions drive the outcome (tornado, spider, Sobol)",
        description="Tornado (P10 to P90 swings), spider, rank-correlation importance and Sobol "
        "indices of the market size in the scenario's metric year; writes "
        "OUT/<scenario>.sensitivity/tornado.csv, spider.csv, importance.csv, sobol.csv.",
    )
    sen.add_argument("scenario", metavar="SCENARIO")
    sen.add_argument("--draws", type=int, help="draws for the rank correlation")
    sen.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    sen.add_argument(
        "--sobol-samples", type=int, default=1024, help="Saltelli base samples (power of two)"
    )
    _monte_carlo_options(sen)
    output_options(sen, quiet=True)
    sen.set_defaults(handler=cmd_sensitivity)


def _monte_carlo_options(p: argparse.ArgumentParser) -> None:
    """Where the Monte Carlo's blocks are drawn: local processes or a Dask cluster (the same
    numbers either way)."""
    p.add_argument(
        "--n-jobs", type=int, default=1, help="local worker processes drawing blocks (default: 1)"
    )
    cluster_options(p)


# ------------------------------------------------------------------------------------------------
# simulate / sensitivity
# ------------------------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar on stderr for long runs; silent with --quiet or when stderr is no terminal."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.bar: Any = None
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="draw", unit_scale=True, delay=2.0, leave=False)

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _publish_one(args: argparse.Namespace, target: Path, files: dict[str, bytes]) -> str:
    from ..output import publish

    outcome = publish(target, files, force=args.force)
    return output_line(outcome, target, sorted(files))


def simulation_files(res: ScenarioSimulation, summary: dict[str, Any]) -> dict[str, bytes]:
    """The files ``simulate`` writes: quantiles.csv, mean.csv, anchors.csv, summary.json."""
    from ..output import csv_bytes, json_bytes

    return {
        "quantiles.csv": csv_bytes(res.quantiles),
        "mean.csv": csv_bytes(res.mean),
        "anchors.csv": csv_bytes(res.anchors),
        "summary.json": json_bytes(summary),
    }


def cmd_simulate(args: argparse.Namespace) -> int:
    from ..scenario import load_scenario

    sc = load_scenario(args.scenario, allow=allowed(args.allow_path))
    with units.shown_in(sc.unit):  # money printed in the scenario's unit
        return _cmd_simulate(args, sc)


def _cmd_simulate(args: argparse.Namespace, sc: Scenario) -> int:
    import numpy as np

    from ..simulation import simulate_scenario
    from ..uncertainty.propagate import EXACT_MAX_DRAWS

    layers = tuple(x.strip() for x in args.layers.split(",")) if args.layers else None
    draws = args.draws if args.draws is not None else sc.simulation.draws
    with cluster(args) as backend:
        bar = _Progress(draws, args.quiet)
        try:
            res = simulate_scenario(
                sc,
                draws=args.draws,
                seed=args.seed,
                sampler=args.sampler,
                layers=layers,
                progress=bar,
                quantile_method="exact" if args.exact else None,
                n_jobs=args.n_jobs,
                backend=backend,
            )
        finally:
            bar.close()
    summary = res.summary()
    files = simulation_files(res, summary)
    line = _publish_one(args, Path(args.out) / f"{sc.name}.simulation", files)
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=False))
        return 0
    r = res.result
    print(
        f"{sc.name}: {r.draws:,} draws ({res.spec.sampler}, seed {res.spec.seed}), layers "
        f"{', '.join(res.spec.layers)}; {100 * r.invalid_share:.1f}% contradictory draws dropped"
    )
    for note in r.notes:
        print(f"  note        {note}")
    if r.quantile_method == "sketch":
        print(
            f"  quantiles   from mergeable summaries (more than {EXACT_MAX_DRAWS:,} draws): each "
            f"within {100 * r.rank_error:.3g}% of the draws in rank of the exact one; "
            "probabilities, means and crossing years exact (--exact keeps every draw)"
        )
    for a in r.anchors:
        se = "n/a" if a["mc_se"] is None else f"{100 * a['mc_se']:.1f} pts"
        print(
            f"  anchor      P({a['year']} value >= {money(a['value_usd_bn'])}) = "
            f"{100 * a['probability']:.1f}% (MC s.e. {se})"
        )
    qs = sorted(res.spec.quantiles)
    years = sorted({*(a["year"] for a in r.anchors), int(r.years[-1])})
    for year in years:
        t = int(np.searchsorted(r.years, year))
        cells = "  ".join(f"P{100 * q:g} {money(float(r.quantile(q)[t]))}" for q in qs)
        print(f"  {year}        {cells}")
    lo_q, hi_q = qs[0], qs[-1]
    for year in years:
        span = f"{r.base_year}-{year}"
        if span not in r.cagr:
            continue
        by_q = dict(zip(r.quantiles, r.cagr[span], strict=True))
        print(
            f"  CAGR {span} median {pct(float(by_q[0.5]))}, P{100 * lo_q:g}-P{100 * hi_q:g} "
            f"{pct(float(by_q[lo_q]))} to {pct(float(by_q[hi_q]))}"
        )
    for c in r.crossing:
        when = (
            f"median after {int(r.years[-1])}"
            if c["median_year"] is None
            else f"median {c['median_year']:.0f}"
        )
        share = 100 * (c["probability_by_horizon"] or 0)
        print(
            f"  crosses {money(c['threshold_usd_bn'])}: {share:.1f}% by {int(r.years[-1])} ({when})"
        )
    print(line)
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from ..scenario import load_scenario

    n = args.sobol_samples
    if n < 16 or n & (n - 1):
        raise ForecastError(f"--sobol-samples: must be a power of two of at least 16; got {n}")
    sc = load_scenario(args.scenario, allow=allowed(args.allow_path))
    with units.shown_in(sc.unit):  # money printed in the scenario's unit
        return _cmd_sensitivity(args, sc)


def _cmd_sensitivity(args: argparse.Namespace, sc: Scenario) -> int:
    from ..output import csv_bytes
    from ..simulation import sensitivity_scenario
    from ..types import finite_or_none

    with cluster(args) as backend:
        sen = sensitivity_scenario(
            sc,
            draws=args.draws,
            seed=args.seed,
            sobol_samples=args.sobol_samples,
            n_jobs=args.n_jobs,
            backend=backend,
        )
    files = {
        "tornado.csv": csv_bytes(sen.tornado),
        "spider.csv": csv_bytes(sen.spider),
        "importance.csv": csv_bytes(sen.importance),
        "sobol.csv": csv_bytes(sen.sobol),
    }
    line = _publish_one(args, Path(args.out) / f"{sen.scenario.name}.sensitivity", files)
    if args.json:
        payload = {
            "scenario": sen.scenario.name,
            "year": sen.year,
            **{
                name: [
                    {k: finite_or_none(v) if isinstance(v, float) else v for k, v in rec.items()}
                    for rec in frame.to_dict(orient="records")
                ]
                for name, frame in (
                    ("tornado", sen.tornado),
                    ("sobol", sen.sobol),
                    ("importance", sen.importance),
                )
            },
        }
        print(json.dumps(payload, indent=2, allow_nan=False, default=_plain))
        return 0
    print(f"{sen.scenario.name}: sensitivity of the {sen.year} market size")
    print(
        f"  {'input':<18} {'P10 -> P90 swing':>18} {'Sobol S1':>10} {'Sobol ST':>10} "
        f"{'rank corr':>10}"
    )
    sob = sen.sobol.set_index("input")
    imp = sen.importance.set_index("input")
    for row in sen.tornado.itertuples():
        name = str(row.input)
        if row.contradictory:
            print(f"  {name:<18} {'contradictory at P10 or P90':>27}")
            continue
        print(
            f"  {name:<18} {money(float(row.output_at_p10)):>8} -> "
            f"{money(float(row.output_at_p90)):<8}"
            f"{sob.loc[name, 'S1']:>10.2f} {sob.loc[name, 'ST']:>10.2f} "
            f"{imp.loc[name, 'spearman']:>10.2f}"
        )
    bad = int(sen.sobol["contradictory"].iloc[0]) if len(sen.sobol) else 0
    if bad:
        print(
            f"  note        {bad} of {int(sen.sobol['evaluations'].iloc[0])} Sobol evaluations "
            "were contradictory and counted as the median outcome"
        )
    print(line)
    return 0


def _plain(value: object) -> object:
    """JSON for numpy scalars (ints and bools) in frames."""
    import numpy as np

    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
