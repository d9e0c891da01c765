"""``forecast backtest``: rolling-origin evaluation of the statistical models on a user's
history (one series, or a long panel), next to the naive baseline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ForecastError, near_miss
from .options import cluster_options, json_option, max_rows, max_rows_option, rows_hint

MAX_BACKTEST_ROWS = 250_000  # series x years; about a minute of backtest per 200,000 rows


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``backtest`` to ``sub``."""
    bt = sub.add_parser(
        "backtest",
        parents=parents,
        help="rolling-origin evaluation of the stats models on your history",
        description="Hide the last years of every series, forecast them from several origins "
        "with the statistical models and print sMAPE, MASE, MSIS and interval coverage per "
        "model next to the naive baseline. DATA.csv is either long (unique_id, ds, y) or one "
        "series (year and value columns).",
    )
    bt.add_argument("data", metavar="DATA.csv")
    bt.add_argument(
        "--h",
        type=int,
        default=None,
        help="forecast horizon in years (default: 6, or the longest the history allows)",
    )
    bt.add_argument("--windows", type=int, default=3, help="forecast origins (default: 3)")
    bt.add_argument(
        "--models",
        default="default",
        metavar="MODEL[,MODEL...]",
        help="stats models to compare (default: naive, drift, ses, holt, damped, theta, "
        "theta_opt, auto; 'all' adds damped_mult, arima and ets)",
    )
    bt.add_argument(
        "--level", default="80,95", metavar="L[,L...]", help="interval levels (default: 80,95)"
    )
    bt.add_argument("--n-jobs", type=int, default=1, help="worker processes (default: 1)")
    cluster_options(bt)
    bt.add_argument("--year-column", default="year")
    bt.add_argument("--value-column", default="value")
    json_option(bt)
    max_rows_option(bt, MAX_BACKTEST_ROWS)
    bt.set_defaults(handler=backtest_command)


def backtest_command(args: argparse.Namespace) -> int:
    """Backtest the models asked for and print (or return) the metrics table."""
    import pandas as pd

    from .._version import __version__
    from ..data import load_series, read_csv
    from ..panel import panel_from_text
    from ..stats import STATS_MODELS, backtest
    from ..stats.backtest import DEFAULT_MODELS
    from ..types import finite_or_none
    from .batch import cluster

    raw = read_csv(args.data, what="data file", max_rows=max_rows(args), rows_hint=rows_hint())
    cols = set(raw.columns)
    if {"unique_id", "ds", "y"} <= cols:
        frame = panel_from_text(raw, args.data)
    elif {args.year_column, args.value_column} <= cols:
        series = load_series(
            args.data,
            year_column=args.year_column,
            value_column=args.value_column,
            allow_nonpositive=True,
            max_rows=max_rows(args),
            rows_hint=rows_hint(),
        )
        frame = pd.DataFrame(
            {"unique_id": Path(args.data).stem, "ds": series.years.astype(int), "y": series.values}
        )
    else:
        raise ForecastError(
            f"{args.data}: must have columns unique_id, ds and y (many series) or "
            f"{args.year_column} and {args.value_column} (one series); got {sorted(cols)}"
            f"{near_miss(args.value_column, cols) or ''}; --year-column and --value-column "
            "name other columns"
        )
    if args.models.strip() in ("default", "all"):
        models = list(DEFAULT_MODELS if args.models.strip() == "default" else STATS_MODELS)
    else:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
    try:
        levels = [float(x) for x in args.level.split(",") if x.strip()]
    except ValueError:
        raise ForecastError(
            f"--level: must be numbers separated by commas such as 80,95; got {args.level!r}"
        ) from None
    h, h_note = _backtest_horizon(frame, args.h, args.windows)
    with cluster(args) as backend:
        res = backtest(
            frame,
            h=h,
            windows=args.windows,
            models=models,
            level=levels,
            n_jobs=args.n_jobs,
            backend=backend,
        )
    if args.json:
        payload = {
            "data": str(args.data),
            "h": h,
            "windows": args.windows,
            "metrics": [
                {k: (finite_or_none(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in res.metrics.to_dict(orient="records")
            ],
            "skipped": res.skipped.astype({"unique_id": str}).to_dict(orient="records"),
            "notes": res.notes(),
            "toolkit_version": __version__,
        }
        print(json.dumps(payload, indent=2, allow_nan=False))
        return 0
    n_series = res.forecasts["unique_id"].nunique()
    print(
        f"backtest of {args.data}: {n_series} series, h = {h}, {args.windows} window(s); "
        "lower is better except coverage (nominal in the column name)"
    )
    if h_note:
        print(f"note: {h_note}")
    print(res.table())
    for note in res.notes():
        print(f"note: {note}")
    if len(res.skipped):
        print(f"skipped {len(res.skipped)} series-window(s), e.g. {res.skipped.iloc[0]['reason']}")
    return 0


DEFAULT_BACKTEST_H = 6


def _backtest_horizon(frame: Any, asked: int | None, windows: int) -> tuple[int, str]:
    """The horizon to backtest: ``--h`` when given; else 6 years, or the longest the longest
    series allows with every window (said in a note)."""
    from ..stats.backtest import MIN_TRAIN

    if asked is not None:
        return asked, ""
    spans = frame.dropna(subset=["y"]).groupby("unique_id")["ds"].nunique()
    longest = int(spans.max()) if len(spans) else 0
    fits = longest - MIN_TRAIN - (max(windows, 1) - 1)
    if fits >= DEFAULT_BACKTEST_H:
        return DEFAULT_BACKTEST_H, ""
    if fits >= 1:
        return fits, (
            f"h = {fits}: the longest series has {longest} years, which leaves {MIN_TRAIN} "
            f"training years in each of {windows} window(s) only up to h = {fits} (--h sets "
            "another horizon)"
        )
    return max(1, longest - MIN_TRAIN), ""
