"""The read policy (``forecast.readpolicy``): a scenario reads regular files of bounded size
from its own folder tree only (unless allowed), errors never echo a file that was not the
expected format, and ``fit``/``backtest`` cap their rows."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import forecast
from conftest import REPO, Result, Workspace, assert_user_error, write_csv
from forecast.errors import DataError, ScenarioError
from forecast.readpolicy import ReadPolicy, read_file

POSIX = pytest.mark.skipif(os.name != "posix", reason="FIFOs and links are POSIX")
SECRET = "admin:$6$very.secret.hash:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n"


@contextmanager
def _deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still reading after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _project(ws: Workspace) -> tuple[Path, Path]:
    """ws/proj/ holding the scenario folder, and ws/outside/secret.csv beside it."""
    outside = ws.root / "outside"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text(SECRET, encoding="utf-8")
    proj = ws.root / "proj"
    proj.mkdir()
    write_csv(proj / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22), (2025, 390.9)])
    return proj, secret


# ------------------------------------------------------------------------------------------------
# case 6: any readable file opened, its first line echoed
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["dotdot", "absolute", "link"])
def test_a_scenario_reads_nothing_outside_its_folder(
    ws: Workspace, run_cli: Callable[..., Result], how: str
) -> None:
    proj, secret = _project(ws)
    doc = ws.doc()
    if how == "link":  # a link inside the folder to a file outside it
        (proj / "innocent.csv").symlink_to(secret)
        doc["history"]["file"] = "innocent.csv"
    else:
        doc["history"]["file"] = "../outside/secret.csv" if how == "dotdot" else str(secret)
    path = ws.write(doc, "proj/s.toml")
    res = run_cli("validate", path)
    line = assert_user_error(res, "history", "must lie inside the scenario's", "--allow-path")
    assert "admin" not in line and "secret.hash" not in line


def test_allowed_folders_are_read_but_a_non_csv_is_not_echoed(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, secret = _project(ws)
    doc = ws.doc()
    doc["history"]["file"] = "../outside/secret.csv"
    path = ws.write(doc, "proj/s.toml")
    for allow in (["--allow-path", secret.parent], []):
        if not allow:
            monkeypatch.setenv("FORECAST_ALLOW_PATH", f"/no/such{os.pathsep}{secret.parent}")
        line = assert_user_error(
            run_cli("validate", path, *allow), "the year column must exist", "not shown"
        )
        assert "admin" not in line and "secret.hash" not in line


def test_extends_outside_the_folder_needs_allow_path(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    _project(ws)
    base = ws.write(ws.doc(), "elsewhere/base.toml")
    (ws.root / "elsewhere" / "history.csv").write_bytes(ws.history.read_bytes())
    child = ws.write({"extends": "../elsewhere/base.toml", "name": "child"}, "proj/child.toml")
    res = run_cli("validate", child)
    assert_user_error(res, "extends", "scenario file must lie inside", str(base.name))
    res = run_cli("validate", child, "--allow-path", base.parent)
    assert res.code == 0, res.err
    assert "child" in res.out


def test_the_bundled_layout_and_a_data_folder_beside_the_scenarios_are_allowed(
    tmp_path: Path,
) -> None:
    """scenarios/ and data/ side by side (the checkout's layout), run from any folder."""
    (tmp_path / "scenarios").mkdir()
    write_csv(tmp_path / "data" / "h.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    doc = {
        "name": "side",
        "description": "d",
        "history": {"file": "../data/h.csv", "value_column": "value_usd_bn"},
        "projection": {"horizon": 2030, "draws": 200},
        "model": {"family": "exponential"},
    }
    from conftest import to_toml

    path = tmp_path / "scenarios" / "side.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    assert len(forecast.load_scenario(path).history) == 3
    assert forecast.load_scenario(REPO / "scenarios" / "global-ai-2030.toml").history is not None


# ------------------------------------------------------------------------------------------------
# case 7: unbounded reads
# ------------------------------------------------------------------------------------------------


@POSIX
@pytest.mark.parametrize("role", ["history", "scenario", "fit", "backtest", "extends"])
def test_a_fifo_is_refused_without_blocking(
    ws: Workspace, run_cli: Callable[..., Result], role: str
) -> None:
    fifo = ws.root / ("pipe.toml" if role in ("scenario", "extends") else "pipe.csv")
    os.mkfifo(fifo)
    if role == "history":
        doc = ws.doc()
        doc["history"]["file"] = fifo.name
        argv: tuple[object, ...] = ("validate", ws.write(doc))
    elif role == "extends":
        argv = ("validate", ws.write({"extends": fifo.name, "name": "x"}))
    elif role == "scenario":
        argv = ("run", fifo, "--out", ws.out)
    else:
        argv = (role, fifo)
    with _deadline(20):
        res = run_cli(*argv)
    assert_user_error(res, "must be a regular file; got a FIFO (named pipe)")


def test_devices_and_folders_are_refused(ws: Workspace, run_cli: Callable[..., Result]) -> None:
    with _deadline(20):
        res = run_cli("fit", "/dev/zero")
    assert_user_error(res, "/dev/zero", "must be a regular file; got a character device")
    doc = ws.doc()
    doc["history"]["file"] = "/dev/zero"
    with _deadline(20):
        res = run_cli("validate", ws.write(doc), "--allow-path", "/dev")
    assert_user_error(res, "history", "must be a regular file; got a character device")
    with pytest.raises(DataError, match="must be a regular file; got a folder"):
        read_file(ws.root, what="data file", error=DataError)


def test_the_size_limit_is_configurable(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = write_csv(ws.root / "big.csv", [(2000 + i, i + 1) for i in range(200)], "year,value")
    monkeypatch.setenv("FORECAST_MAX_FILE_MB", "0.001")
    res = run_cli("fit", big)
    assert_user_error(
        res, "must be at most 1,000 bytes (FORECAST_MAX_FILE_MB sets the limit)", "bytes"
    )
    path = ws.write(ws.doc())
    monkeypatch.setenv("FORECAST_MAX_FILE_MB", "0.0001")
    assert_user_error(run_cli("validate", path), "scenario file must be at most 100 bytes")
    monkeypatch.setenv("FORECAST_MAX_FILE_MB", "lots")
    assert_user_error(run_cli("fit", big), "FORECAST_MAX_FILE_MB", "'lots'")
    monkeypatch.delenv("FORECAST_MAX_FILE_MB")
    assert ReadPolicy().max_bytes == 64_000_000
    assert run_cli("fit", big, "--model", "linear").code == 0


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    """/proc files report size 0: the read stops at the limit and refuses."""
    with pytest.raises(ScenarioError, match=r"must be at most 10 bytes .*; got more"):
        read_file(
            "/proc/self/status",
            what="scenario file",
            error=ScenarioError,
            policy=ReadPolicy(max_bytes=10),
        )


def test_fit_and_backtest_cap_their_rows(tmp_path: Path, run_cli: Callable[..., Result]) -> None:
    rows = [(1000 + i, 1.0 + i) for i in range(10_001)]
    long = write_csv(tmp_path / "long.csv", rows, "year,value")
    res = run_cli("fit", long, "--model", "linear")
    assert_user_error(res, "at most 10,000 data rows", "--max-rows")
    assert run_cli("fit", long, "--model", "linear", "--max-rows", "20000").code == 0
    many = write_csv(
        tmp_path / "many.csv",
        [(f"s{i // 10}", 2000 + i % 10, 1.0 + i) for i in range(100)],
        "unique_id,ds,y",
    )
    assert_user_error(run_cli("backtest", many, "--max-rows", "99"), "at most 99 data rows")
    assert_user_error(run_cli("backtest", many, "--max-rows", "0"), "--max-rows", "positive")
