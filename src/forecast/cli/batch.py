"""The ``batch`` command (``forecast_frame`` on a long panel, Parquet out) and the Dask
cluster it shares with ``backtest`` (``--scheduler`` / ``--workers``).

The error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._textfmt import output_line
from .._version import __version__
from ..errors import ForecastError
from .options import cluster_options, output_options

if TYPE_CHECKING:
    import pandas as pd

FILES = ("batch.json", "forecasts.parquet", "info.parquet")


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``batch`` to ``sub``."""
    bat = sub.add_parser(
        "batch",
        parents=parents,
        help="forecast every series of a long panel (CSV or Parquet in, Parquet out)",
        description="Forecast every series of a long panel (columns unique_id, ds, y; CSV or "
        "Parquet) with the statistical models and empirical intervals, locally or on a Dask "
        "cluster (the same numbers either way); write DIR/forecasts.parquet, info.parquet "
        "(what happened to every series) and batch.json (counts and provenance).",
    )
    bat.add_argument("panel", metavar="PANEL", help="a .csv or .parquet file")
    bat.add_argument("--h", type=int, default=6, help="years to forecast (default: 6)")
    bat.add_argument(
        "--level", default="80,95", metavar="L[,L...]", help="interval levels (default: 80,95)"
    )
    bat.add_argument("--model", default="auto", help="a stats model (default: auto)")
    bat.add_argument("--n-jobs", type=int, default=1, help="local worker processes (default: 1)")
    cluster_options(bat)
    output_options(
        bat,
        out=None,
        force="replace different results in DIR",
        json="print the batch record as JSON",
        allow_path=False,
    )
    bat.set_defaults(handler=cmd_batch)


@contextmanager
def cluster(args: argparse.Namespace) -> Iterator[Any]:
    """The ``backend`` for the batch functions from ``--scheduler`` / ``--workers``: a Dask
    client, or None (the local run, with ``--n-jobs``)."""
    from ..cluster import connect

    on_dask = args.scheduler is not None or args.workers is not None
    if on_dask and args.n_jobs != 1:
        raise ForecastError(
            "--n-jobs: sets local worker processes and does not combine with --scheduler or "
            f"--workers (the cluster's workers do the work); got {args.n_jobs}"
        )
    with connect(args.scheduler, args.workers) as dask:
        yield None if dask is None else dask.client


def _levels(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ForecastError(
            f"--level: must be numbers separated by commas such as 80,95; got {text!r}"
        ) from None


def batch_record(
    path: Path,
    data: bytes,
    rows: int,
    frame: pd.DataFrame,
    info: pd.DataFrame,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """``batch.json``: settings, counts per outcome, and provenance (no clock, no machine, no
    output folder or cluster: a rerun with the same inputs writes the same bytes)."""
    import numpy as np
    import pandas as pd
    import pyarrow

    levels = _levels(args.level)
    done = info[info["used"] != ""]
    words = ["batch", path.name, "--h", str(args.h), "--level", args.level, "--model", args.model]
    command = shlex.join(["forecast", *words])

    def counts(col: pd.Series) -> dict[str, int]:
        return {str(k): int(v) for k, v in sorted(col.value_counts().items())}

    return {
        "input": {
            "file": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "rows": rows,
        },
        "settings": {"h": args.h, "level": levels, "model": args.model},
        "series": {
            "in": len(info),
            "forecast": len(done),
            "without_forecast": len(info) - len(done),
            "fallback": int(done["fallback"].sum()),
            "used": counts(done["used"]),
            "intervals": counts(done["intervals"]),
        },
        "forecasts": {"rows": len(frame), "columns": [str(c) for c in frame.columns]},
        "provenance": {
            "toolkit_version": __version__,
            "command": f"{command} (run in the panel's folder)",
            "versions": {
                "python": platform.python_version(),
                "numpy": np.__version__,
                "pandas": pd.__version__,
                "pyarrow": pyarrow.__version__,
            },
        },
    }


def cmd_batch(args: argparse.Namespace) -> int:
    from ..output import json_bytes, publish
    from ..panel import parquet_bytes, read_panel, require_pyarrow
    from ..stats import forecast_batch

    path = Path(args.panel)
    require_pyarrow("batch")
    levels = _levels(args.level)
    frame_in = read_panel(path)
    data = path.read_bytes()
    with cluster(args) as backend:
        out = forecast_batch(frame_in, args.h, levels, args.model, args.n_jobs, backend=backend)
    record = batch_record(path, data, len(frame_in), out.frame, out.info, args)
    files = {
        "forecasts.parquet": parquet_bytes(out.frame),
        "info.parquet": parquet_bytes(out.info),
        "batch.json": json_bytes(record),
    }
    target = Path(args.out)
    outcome = publish(target, files, force=args.force)
    if args.json:
        record["output"] = {"folder": str(target), "files": sorted(files), "outcome": outcome}
        print(json.dumps(record, indent=2, allow_nan=False))
        return 0
    s = record["series"]
    print(
        f"batch of {path}: {s['in']} series, h = {args.h}, model {args.model}; "
        f"{s['forecast']} forecast ({s['fallback']} by a fallback model), "
        f"{s['without_forecast']} without a forecast; intervals "
        + ", ".join(f"{k} {v}" for k, v in s["intervals"].items())
    )
    print(output_line(outcome, target, sorted(files)))
    return 0
