"""Batch forecasts and backtests on a Dask cluster equal the local run, float for float.

One LocalCluster (2 worker processes) serves the whole module. The panel is 2,000 short yearly
series with their rows shuffled, plus awkward ones (gaps, duplicates, negatives, one or two
points, no finite value), so series span partitions of a dask DataFrame, both interval sources
(pooled and shipped) and every fallback path are in play.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

import forecast
from conftest import Result, assert_user_error, snapshot
from forecast import cluster
from forecast.errors import ForecastError
from forecast.panel import read_panel
from forecast.stats import forecast_batch


def _panel(n: int = 2000, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lens = rng.integers(3, 21, n)
    t = np.concatenate([np.arange(k) for k in lens])
    growth = np.repeat(rng.normal(0.05, 0.1, n), lens)
    noise = np.repeat(rng.uniform(0.0, 0.2, n), lens)
    level = np.repeat(np.exp(rng.normal(3, 2, n)), lens)
    y = level * np.exp(growth * t + noise * rng.standard_normal(len(t)))
    ids = np.repeat([f"s{i:04d}" for i in range(n)], lens)
    df = pd.DataFrame({"unique_id": ids, "ds": np.repeat(2024 - lens, lens) + 1 + t, "y": y})
    df.loc[rng.choice(len(df), 40, replace=False), "y"] = np.nan  # gaps and missing ends
    odd = pd.DataFrame(
        {
            "unique_id": ["none", "none", "one", "two", "two"] + ["neg"] * 10 + ["dup"] * 5,
            "ds": [2000, 2001, 2020, 2019, 2020, *range(2010, 2020), 2000, 2001, 2001, 2002, 2003],
            "y": [np.nan, np.inf, 5.0, 1.0, 2.0, *np.linspace(-5, 6, 10), 1, 2, 4, 5, 6.0],
        }
    )
    df = pd.concat([df, odd], ignore_index=True)
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)  # series interleaved
    df["unique_id"] = df["unique_id"].astype("string[pyarrow]")  # as dask keeps it
    return df


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with cluster.local_cluster(2) as c:
        yield c


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return _panel()


@pytest.fixture(scope="module")
def local(panel: pd.DataFrame) -> pd.DataFrame:
    return forecast.forecast_frame(panel, 6)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert a.attrs["info"] == b.attrs["info"]


def test_cluster_run_equals_local_run(
    client: Any, local: pd.DataFrame, panel: pd.DataFrame
) -> None:
    out = forecast.forecast_frame(panel, 6, backend=client)
    _same(local, out)
    info = local.attrs["info"].to_frame().set_index("unique_id")
    assert len(info) == 2005 and len(local) == 6 * 2004  # "none" has no forecast
    # every interval source: pooled errors, the shipped table, auto's log-scale table
    assert set(info["intervals"]) == {"pooled", "shipped", "shipped-log", ""}
    assert info.loc["one", "used"] == "naive" and info.loc["two", "used"] == "drift"
    assert "no finite y" in info.loc["none", "reason"]


@pytest.mark.parametrize("npartitions", [1, 3, 16])
def test_partitioning_does_not_change_the_output(
    client: Any, local: pd.DataFrame, panel: pd.DataFrame, npartitions: int
) -> None:
    _same(local, forecast.forecast_frame(panel, 6, backend=client, npartitions=npartitions))


def test_dask_dataframe_input(client: Any, local: pd.DataFrame, panel: pd.DataFrame) -> None:
    ddf = dd.from_pandas(panel, npartitions=7, sort=False)  # every series spans partitions
    pd.testing.assert_frame_equal(ddf.compute(), panel)
    _same(local, forecast.forecast_frame(ddf, 6))  # the active Client
    _same(local, forecast.forecast_frame(ddf, 6, backend=client, npartitions=4))


def test_median_and_dask_threads(panel: pd.DataFrame) -> None:
    small = panel[panel["unique_id"] < "s0300"]
    one = forecast_batch(small, 3, level=(50, 90), model="theta", median=True)
    with dask.config.set(scheduler="threads"):
        two = forecast_batch(
            small, 3, level=(50, 90), model="theta", median=True, backend="dask", npartitions=3
        )
    pd.testing.assert_frame_equal(one.frame, two.frame, check_exact=True)
    pd.testing.assert_frame_equal(one.info, two.info, check_exact=True)
    assert list(one.frame.columns)[2:4] == ["mean", "median"]


def test_backtest_on_cluster_equals_local(client: Any, panel: pd.DataFrame) -> None:
    small = panel[panel["unique_id"] < "s0400"]
    args: dict[str, Any] = dict(h=3, windows=2, models=["auto", "theta"], level=(80, 95))
    one = forecast.backtest(small, **args)
    two = forecast.backtest(small, **args, backend=client, npartitions=3)
    three = forecast.backtest(dd.from_pandas(small, npartitions=3, sort=False), **args)
    for other in (two, three):
        pd.testing.assert_frame_equal(one.metrics, other.metrics, check_exact=True)
        pd.testing.assert_frame_equal(one.forecasts, other.forecasts, check_exact=True)
        pd.testing.assert_frame_equal(one.skipped, other.skipped, check_exact=True)
    assert one.metrics["forecasts"].min() > 1000


def test_dask_input_errors_match_the_local_ones(client: Any) -> None:
    df = _panel(40, seed=3).sort_values("unique_id", kind="stable").reset_index(drop=True)
    quarter = len(df) // 4  # from_pandas(npartitions=4) cuts about here
    ids = df.astype({"ds": float})  # ids are checked first: late missing ids win, all counted
    ids.loc[[3 * quarter + 1, 3 * quarter + 2], "unique_id"] = pd.NA
    ids.loc[quarter // 2, "ds"] = 2000.5
    bad_ds = df.astype({"ds": float})  # the first bad row in row order wins
    bad_ds.loc[[2 * quarter + 3, 3 * quarter + 3], "ds"] = [2000.5, np.nan]
    bad_y = df.dropna(subset=["y"]).reset_index(drop=True).astype({"y": str})  # text, no NaN
    bad_y.loc[[quarter + 2, 2 * quarter], "y"] = ["abc", "x"]
    expected = ["(2 row(s) in all)", "got 2000.5 in row", "got 'abc' in row"]
    for frame, fragment in zip((ids, bad_ds, bad_y), expected, strict=True):
        ddf = dd.from_pandas(frame, npartitions=4, sort=False)
        with pytest.raises(ForecastError) as local_error:
            forecast.forecast_frame(ddf.compute(), 3)
        with pytest.raises(ForecastError) as dask_error:
            forecast.forecast_frame(ddf, 3)
        assert str(dask_error.value) == str(local_error.value)
        assert fragment in str(dask_error.value)
    empty = df.assign(y=np.nan)
    with pytest.raises(ForecastError, match=r"^df: needs at least one series with a finite y"):
        forecast.forecast_frame(empty, 3, backend=client, npartitions=2)
    with pytest.raises(ForecastError, match=rf"got {df['unique_id'].nunique()} without$"):
        forecast.forecast_frame(dd.from_pandas(empty, npartitions=3), 3)


def test_backend_argument_errors(client: Any, panel: pd.DataFrame) -> None:
    ddf = dd.from_pandas(panel.head(50), npartitions=2)
    for kwargs, message in [
        ({"backend": "spark"}, "backend: must be 'local', 'dask' or a dask.distributed Client"),
        ({"backend": 42}, "got int$"),
        ({"backend": "dask", "n_jobs": 2}, "^n_jobs: sets the local worker processes"),
        ({"npartitions": 2}, "^npartitions: applies on Dask only"),
        ({"backend": client, "npartitions": 0}, "^npartitions: must be a positive whole"),
    ]:
        with pytest.raises(ForecastError, match=message):
            forecast.forecast_frame(panel.head(50), 2, **kwargs)
    with pytest.raises(ForecastError, match=r"^backend: 'local' needs a pandas DataFrame"):
        forecast.forecast_frame(ddf, 2, backend="local")


def test_a_killed_worker_is_replaced_and_the_result_is_unchanged(
    client: Any, local: pd.DataFrame, panel: pd.DataFrame
) -> None:
    pids = client.run(os.getpid)
    victim, pid = sorted(pids.items())[0]
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(forecast.forecast_frame, panel, 6, backend=client, npartitions=16)
        deadline = time.monotonic() + 60
        while not any("_work_part" in str(k) for k in client.processing().get(victim, ())):
            assert time.monotonic() < deadline and not running.done()
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)  # mid-run: its kernels are computing
        assert not running.done()
        out = running.result(timeout=120)
    _same(local, out)
    client.wait_for_workers(2, timeout=60)
    assert pid not in client.run(os.getpid).values()  # the nanny started a new process


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def _write_csv(df: pd.DataFrame, path: Path) -> Path:
    df.to_csv(path, index=False)
    return path


def test_batch_command_end_to_end(
    client: Any, panel: pd.DataFrame, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    small = panel[panel["unique_id"] < "s0300"]
    csv = _write_csv(small, tmp_path / "panel.csv")
    out = tmp_path / "out"
    res = run_cli("batch", csv, "--h", "4", "--level", "80,95", "--out", out)
    assert res.code == 0, res.err
    assert f"{small['unique_id'].nunique()} series" in res.out and "wrote" in res.out
    expect = forecast_batch(read_panel(csv), 4)
    got = pd.read_parquet(out / "forecasts.parquet")
    for col in ["ds", "mean", "lo-80", "hi-80", "lo-95", "hi-95"]:
        np.testing.assert_array_equal(got[col].to_numpy(), expect.frame[col].to_numpy())
    assert got["unique_id"].tolist() == expect.frame["unique_id"].tolist()
    info = pd.read_parquet(out / "info.parquet")
    assert info.drop(columns="unique_id").equals(expect.info.drop(columns="unique_id"))
    record = json.loads((out / "batch.json").read_text())
    assert record["input"]["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert record["input"]["file"] == "panel.csv" and record["input"]["rows"] == len(small)
    assert record["series"]["in"] == len(expect.info)
    assert record["provenance"]["toolkit_version"] == forecast.__version__
    first = snapshot(out)
    assert sorted(first) == ["batch.json", "forecasts.parquet", "info.parquet"]

    # the same inputs on the cluster: the same bytes, so the folder is left as it is
    again = run_cli("batch", csv, "--h", "4", "--out", out, "--scheduler", client.scheduler.address)
    assert again.code == 0, again.err
    assert "unchanged" in again.out and snapshot(out) == first

    # other inputs: refused without --force, nothing touched; replaced with it
    changed = small.assign(y=small["y"] * 2)
    _write_csv(changed, csv)
    assert_user_error(run_cli("batch", csv, "--h", "4", "--out", out), "pass --force")
    assert snapshot(out) == first
    forced = run_cli("batch", csv, "--h", "4", "--out", out, "--force", "--json")
    assert forced.code == 0 and json.loads(forced.out)["output"]["outcome"] == "replaced"

    # a Parquet panel gives the same forecasts
    pq = tmp_path / "panel.parquet"
    changed.to_parquet(pq)
    assert run_cli("batch", pq, "--h", "4", "--out", tmp_path / "pq").code == 0
    a = pd.read_parquet(tmp_path / "pq" / "forecasts.parquet")
    b = pd.read_parquet(out / "forecasts.parquet")
    pd.testing.assert_frame_equal(a, b, check_exact=True, check_dtype=False)


def test_backtest_command_on_the_cluster(
    client: Any, panel: pd.DataFrame, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    csv = _write_csv(panel[panel["unique_id"] < "s0200"], tmp_path / "panel.csv")
    args = ("backtest", csv, "--h", "3", "--windows", "2", "--models", "auto", "--json")
    one = run_cli(*args)
    two = run_cli(*args, "--scheduler", client.scheduler.address)
    three = run_cli(*args, "--workers", "1")  # a cluster of its own, closed afterwards
    assert one.code == two.code == three.code == 0, two.err + three.err
    assert json.loads(one.out)["metrics"] == json.loads(two.out)["metrics"]
    assert json.loads(one.out)["metrics"] == json.loads(three.out)["metrics"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_unreachable_scheduler_is_one_line(
    tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = _write_csv(_panel(20), tmp_path / "panel.csv")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    address = f"tcp://127.0.0.1:{_free_port()}"
    for command in ("batch", "backtest"):
        extra = ("--out", tmp_path / "out") if command == "batch" else ()
        res = run_cli(command, csv, *extra, "--scheduler", address)
        assert_user_error(res, "--scheduler: must be the address of a running Dask scheduler")
    assert not (tmp_path / "out").exists()


def test_cluster_option_errors(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    csv = _write_csv(_panel(20), tmp_path / "panel.csv")
    out = ("--out", tmp_path / "out")
    assert_user_error(run_cli("batch", csv, *out, "--workers", "0"), "--workers: must be a pos")
    assert_user_error(
        run_cli("batch", csv, *out, "--workers", "2", "--n-jobs", "2"), "--n-jobs: sets local"
    )
    assert_user_error(
        run_cli("batch", csv, *out, "--workers", "2", "--scheduler", "tcp://x:1"),
        "not allowed with argument",
    )
    assert_user_error(run_cli("batch", tmp_path / "p.xlsx", *out), "must be a .csv or .parquet")
    assert not (tmp_path / "out").exists()


def test_missing_extra_names_the_install_command(
    tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = _write_csv(_panel(20), tmp_path / "panel.csv")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    with pytest.raises(ForecastError, match=r"^backend: needs the optional dask extra \(pip"):
        forecast.forecast_frame(_panel(20), 2, backend="dask")
    res = run_cli("batch", csv, "--out", tmp_path / "out", "--workers", "2")
    assert_user_error(res, "--workers: needs the optional dask extra (pip install '.[dask]')")
    assert_user_error(
        run_cli("backtest", csv, "--workers", "2"), "got no module named 'distributed'"
    )
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    res = run_cli("batch", csv, "--out", tmp_path / "out")
    assert_user_error(res, "batch: Parquet needs pyarrow", "pip install '.[dask]'")
    assert not (tmp_path / "out").exists()


def test_import_forecast_does_not_import_dask() -> None:
    import subprocess

    code = (
        "import sys, forecast, forecast.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
