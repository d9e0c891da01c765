"""``forecast backtest``: rolling-origin evaluation of the statistical models on a user's
history (one series, or a long panel), next to the naive baseline."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ForecastError, message, near_miss
from .options import cluster_options, json_option, max_rows, max_rows_option, rows_hint

if TYPE_CHECKING:
    import pandas as pd

    from ..stats.backtest import BacktestResult

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
    from ..stats import backtest
    from .batch import cluster

    frame = _backtest_frame(args)
    models = _model_names(args.models)
    levels = _levels(args.level)
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
        print(json.dumps(_json_payload(args, h, res), indent=2, allow_nan=False))
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


def _backtest_frame(args: argparse.Namespace) -> pd.DataFrame:
    """The data file as a long ``unique_id, ds, y`` frame: a panel as it is, one series named
    after the file."""
    import pandas as pd

    from ..data import load_series, read_csv
    from ..panel import panel_from_text

    raw = read_csv(args.data, what="data file", max_rows=max_rows(args), rows_hint=rows_hint())
    cols = set(raw.columns)
    if {"unique_id", "ds", "y"} <= cols:
        return panel_from_text(raw, args.data)
    if {args.year_column, args.value_column} <= cols:
        series = load_series(
            args.data,
            year_column=args.year_column,
            value_column=args.value_column,
            allow_nonpositive=True,
            max_rows=max_rows(args),
            rows_hint=rows_hint(),
        )
        return pd.DataFrame(
            {"unique_id": Path(args.data).stem, "ds": series.years.astype(int), "y": series.values}
        )
    raise ForecastError(
        message(
            str(args.data),
            "must have columns unique_id, ds and y (many series) or "
            f"{args.year_column} and {args.value_column} (one series)",
            sorted(cols),
            f"{near_miss(args.value_column, cols) or ''}; --year-column and --value-column "
            "name other columns",
        )
    )


def _model_names(arg: str) -> list[str]:
    """``--models``: ``default``, ``all`` or a comma-separated list (checked by the backtest)."""
    from ..stats import STATS_MODELS
    from ..stats.backtest import DEFAULT_MODELS

    if arg.strip() in ("default", "all"):
        return list(DEFAULT_MODELS if arg.strip() == "default" else STATS_MODELS)
    return [m.strip() for m in arg.split(",") if m.strip()]


def _levels(arg: str) -> list[float]:
    """``--level``: interval levels separated by commas."""
    try:
        return [float(x) for x in arg.split(",") if x.strip()]
    except ValueError:
        raise ForecastError(
            message("--level", "must be numbers separated by commas such as 80,95", arg)
        ) from None


def _json_payload(args: argparse.Namespace, h: int, res: BacktestResult) -> dict[str, Any]:
    """The metrics, skipped windows and notes as JSON values (no NaN)."""
    from .._version import __version__
    from ..types import finite_or_none

    return {
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
