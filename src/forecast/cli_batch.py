"""The ``batch`` command (``forecast_frame`` on a long panel, Parquet out) and the cluster
options ``--scheduler`` / ``--workers`` it shares with ``backtest``.

Handlers only: the error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._textfmt import output_line
from ._version import __version__
from .cluster import INSTALL, connect
from .errors import DataError, ForecastError
from .output import publish

FILES = ("batch.json", "forecasts.parquet", "info.parquet")


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``batch`` sub-command to ``sub``."""
    bat = sub.add_parser(
        "batch",
        parents=[common],
        help="forecast every series of a long panel (CSV or Parquet in, Parquet out)",
        description="Forecast every series of a long panel (columns unique_id, ds, y; CSV or "
        "Parquet) with the statistical models and empirical intervals, locally or on a Dask "
        "cluster (the same numbers either way); write DIR/forecasts.parquet, info.parquet "
        "(what happened to every series) and batch.json (counts and provenance).",
    )
    bat.add_argument("panel", metavar="PANEL", help="a .csv or .parquet file")
    bat.add_argument("--h", type=int, default=6, help="years to forecast (default: 6)")
    bat.add_argument("--out", required=True, metavar="DIR", help="output folder")
    bat.add_argument(
        "--level", default="80,95", metavar="L[,L...]", help="interval levels (default: 80,95)"
    )
    bat.add_argument("--model", default="auto", help="a stats model (default: auto)")
    bat.add_argument("--n-jobs", type=int, default=1, help="local worker processes (default: 1)")
    add_cluster_options(bat)
    bat.add_argument("--force", action="store_true", help="replace different results in DIR")
    bat.add_argument("--json", action="store_true", help="print the batch record as JSON")


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    """``--scheduler`` and ``--workers`` (mutually exclusive; the results do not depend on
    them)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on an existing Dask cluster (needs pip install '.[dask]')",
    )
    group.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="run on a local Dask cluster of N worker processes (needs pip install '.[dask]')",
    )


@contextmanager
def cluster(args: argparse.Namespace) -> Iterator[Any]:
    """The ``backend`` for the batch functions from ``--scheduler`` / ``--workers``: a Dask
    client, or None (the local run, with ``--n-jobs``)."""
    on_dask = args.scheduler is not None or args.workers is not None
    if on_dask and args.n_jobs != 1:
        raise ForecastError(
            "--n-jobs: sets local worker processes and does not combine with --scheduler or "
            f"--workers (the cluster's workers do the work); got {args.n_jobs}"
        )
    with connect(args.scheduler, args.workers) as dask:
        yield None if dask is None else dask.client


def _require_pyarrow(where: str) -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ForecastError(
            f"{where}: Parquet needs pyarrow, part of the optional dask extra ({INSTALL}); "
            f"got no module named {(exc.name or 'pyarrow')!r}"
        ) from None
    return pyarrow


def read_panel(path: Path) -> pd.DataFrame:
    """A long panel (``unique_id``, ``ds``, ``y``) from CSV (text cells parsed as the backtest
    does: whole years or ISO dates, numbers or empty) or Parquet (typed columns)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _panel_from_csv(path)
    if suffix not in (".parquet", ".pq"):
        raise DataError(f"{path}: panel must be a .csv or .parquet file; got {suffix or 'none'!r}")
    if not path.is_file():
        what = "a directory" if path.is_dir() else "no such file"
        raise DataError(f"{path}: panel must be an existing Parquet file; got {what}")
    pa = _require_pyarrow(str(path))
    try:
        frame = pa.parquet.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: panel must be a readable Parquet file; got {first}") from None
    cols = set(frame.columns)
    if not {"unique_id", "ds", "y"} <= cols:
        raise DataError(f"{path}: panel must have columns unique_id, ds and y; got {sorted(cols)}")
    return frame


def _panel_from_csv(path: Path) -> pd.DataFrame:
    from .data import read_csv

    raw = read_csv(path, what="panel")
    cols = set(raw.columns)
    if not {"unique_id", "ds", "y"} <= cols:
        raise DataError(f"{path}: panel must have columns unique_id, ds and y; got {sorted(cols)}")
    ds: Any = raw["ds"].str.strip()
    as_num = pd.to_numeric(ds, errors="coerce")
    if as_num.notna().all():
        ds = as_num
    else:
        try:
            ds = pd.to_datetime(ds, format="ISO8601")
        except (ValueError, TypeError):
            bad = ds[as_num.isna()]
            raise DataError(
                f"{path}: row {int(bad.index[0]) + 2}: ds must be a whole year or an ISO date "
                f"such as 2020-12-31; got {bad.iloc[0]!r}"
            ) from None
    y_text = raw["y"].str.strip()
    y_num = pd.to_numeric(y_text, errors="coerce")
    bad_y = y_num.isna() & (y_text != "")
    if bad_y.any():
        raise DataError(
            f"{path}: row {int(y_text[bad_y].index[0]) + 2}: y must be a number or empty "
            f"(missing); got {y_text[bad_y].iloc[0]!r}"
        )
    no_id = raw["unique_id"].str.strip() == ""
    if no_id.any():
        raise DataError(
            f"{path}: row {int(raw.index[no_id][0]) + 2}: unique_id must name the series; got "
            f"an empty cell ({int(no_id.sum())} row(s) in all)"
        )
    # the numbers themselves through float(): pandas < 3's to_numeric is not correctly rounded
    # (off by one unit in the last place for some 17-digit values)
    given = y_text != ""
    y = pd.Series(np.nan, index=raw.index)
    y[given] = y_text[given].astype(float)
    return pd.DataFrame({"unique_id": raw["unique_id"], "ds": ds, "y": y})


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """Deterministic Parquet bytes of ``frame`` (no index, no ``attrs``)."""
    pa = _require_pyarrow("parquet output")
    plain = pd.DataFrame(frame, copy=False)
    plain.attrs = {}
    buf = io.BytesIO()
    pa.parquet.write_table(pa.Table.from_pandas(plain, preserve_index=False), buf)
    return buf.getvalue()


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
    from .output import json_bytes
    from .stats import forecast_batch

    path = Path(args.panel)
    _require_pyarrow("batch")
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
