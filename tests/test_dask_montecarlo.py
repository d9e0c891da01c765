"""The Monte Carlo on a Dask cluster equals the local run, byte for byte (issue 17).

One LocalCluster (2 worker processes) serves the module: 10^6 draws with exact quantiles (the
command line, local and ``--scheduler``) and with summaries (the API), a worker killed while it
draws blocks, ``sensitivity`` on the cluster, and the one-line errors of the cluster options.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from conftest import Result, assert_user_error, monte_carlo_scenario, snapshot
from forecast import cluster
from forecast.cli.simulate import simulation_files
from forecast.simulation import simulate_scenario

MILLION = 1_000_000


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with cluster.local_cluster(2) as c:
        yield c


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return monte_carlo_scenario(tmp_path_factory.mktemp("mc"))


@pytest.fixture(scope="module")
def sketch_files(scenario: Path) -> dict[str, bytes]:
    """The local run's files, 10^6 draws, quantiles from summaries."""
    res = simulate_scenario(scenario, draws=MILLION, quantile_method="sketch")
    return simulation_files(res, res.summary())


def test_a_million_draws_on_the_cluster_equal_the_local_run(
    client: Any, scenario: Path, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """Exact quantiles (at most 10^6 draws): the command line writes the same bytes locally and
    on the cluster (summary.json and the CSVs)."""
    args = ("simulate", scenario, "--draws", str(MILLION), "--quiet", "--out")
    local = run_cli(*args, tmp_path / "local")
    remote = run_cli(*args, tmp_path / "dask", "--scheduler", client.scheduler.address)
    assert local.code == remote.code == 0, remote.err
    a = snapshot(tmp_path / "local" / "mc.simulation")
    assert sorted(a) == ["anchors.csv", "mean.csv", "quantiles.csv", "summary.json"]
    assert snapshot(tmp_path / "dask" / "mc.simulation") == a
    assert local.out.replace("local", "dask") == remote.out


def test_summaries_on_the_cluster_equal_the_local_run(
    client: Any, scenario: Path, sketch_files: dict[str, bytes]
) -> None:
    res = simulate_scenario(scenario, draws=MILLION, quantile_method="sketch", backend=client)
    assert res.result.quantile_method == "sketch"
    assert simulation_files(res, res.summary()) == sketch_files


def test_local_cluster_workers_keep_the_plain_allocator_and_no_profiler(client: Any) -> None:
    """The workers a local cluster starts run the tasks as a plain process would: glibc's
    default thresholds and one malloc arena, and no statistical profiler sampling the task's
    stack."""
    import dask

    def settings() -> tuple[object, str | None, str | None]:
        return (
            dask.config.get(cluster.PROFILER),
            os.environ.get(cluster.SLOW_MALLOC),
            os.environ.get("MALLOC_ARENA_MAX"),
        )

    assert set(client.run(settings).values()) == {(False, None, "1")}


def test_a_killed_worker_is_replaced_and_the_result_is_unchanged(
    client: Any, scenario: Path, sketch_files: dict[str, bytes]
) -> None:
    pids = client.run(os.getpid)
    victim, pid = sorted(pids.items())[0]
    kw = {"draws": MILLION, "quantile_method": "sketch", "backend": client}
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(simulate_scenario, scenario, **kw)
        deadline = time.monotonic() + 60
        while not any("_sketch_task" in str(k) for k in client.processing().get(victim, ())):
            assert time.monotonic() < deadline and not running.done()
            time.sleep(0.005)
        os.kill(pid, signal.SIGKILL)  # mid-run: it is drawing blocks
        assert not running.done()
        res = running.result(timeout=180)
    assert simulation_files(res, res.summary()) == sketch_files
    client.wait_for_workers(2, timeout=60)
    assert pid not in client.run(os.getpid).values()  # the nanny started a new process


def test_sensitivity_and_a_cluster_of_its_own(
    client: Any, scenario: Path, tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    args = ("sensitivity", scenario, "--draws", "3000", "--sobol-samples", "64", "--out")
    local = run_cli(*args, tmp_path / "a")
    remote = run_cli(*args, tmp_path / "b", "--scheduler", client.scheduler.address)
    own = run_cli(
        "simulate", scenario, "--draws", "3000", "--out", tmp_path / "c", "--workers", "1"
    )
    plain = run_cli("simulate", scenario, "--draws", "3000", "--out", tmp_path / "d")
    assert local.code == remote.code == own.code == plain.code == 0, remote.err + own.err
    folder = "mc.sensitivity"
    assert snapshot(tmp_path / "a" / folder) == snapshot(tmp_path / "b" / folder)
    assert snapshot(tmp_path / "c") == snapshot(tmp_path / "d")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_cluster_options_fail_in_one_line(
    scenario: Path, tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = ("--out", tmp_path / "out")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    address = f"tcp://127.0.0.1:{_free_port()}"
    for command in ("simulate", "sensitivity"):
        res = run_cli(command, scenario, "--draws", "500", *out, "--scheduler", address)
        assert_user_error(res, "--scheduler: must be the address of a running Dask scheduler")
    assert_user_error(
        run_cli("simulate", scenario, *out, "--workers", "2", "--n-jobs", "2"),
        "--n-jobs: sets local",
    )
    assert_user_error(run_cli("simulate", scenario, *out, "--workers", "0"), "--workers: must be")
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    res = run_cli("sensitivity", scenario, *out, "--workers", "2")
    assert_user_error(res, "--workers: needs the optional dask extra (pip install '.[dask]')")
    assert not (tmp_path / "out").exists()
