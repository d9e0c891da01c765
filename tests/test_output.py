"""Output folders: atomic publication, no silent overwrite, concurrency, interruption, and
formula-injection guards for CSV cells."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pandas as pd
import pytest

from forecast import OutputError
from forecast import output as out_mod
from forecast.output import check_target, csv_bytes, guard_cell, publish


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_written_unchanged_refused_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out" / "s"
    first = {"a.csv": b"1\n", "b.json": b"{}\n"}
    assert publish(target, first) == "written"
    assert _contents(target) == first
    assert publish(target, dict(first)) == "unchanged"
    other = {"a.csv": b"2\n", "b.json": b"{}\n"}
    with pytest.raises(OutputError, match="--force"):
        publish(target, other)
    assert _contents(target) == first  # untouched
    assert publish(target, other, force=True) == "replaced"
    assert _contents(target) == other
    assert _hidden(tmp_path / "out") == []  # no temporary or old folders left behind
    # a file set that differs only by a missing file is other results too
    with pytest.raises(OutputError):
        publish(target, {"a.csv": b"2\n"})


def test_check_target_does_not_write(tmp_path: Path) -> None:
    target = tmp_path / "s"
    assert check_target(target, {"a": b"x"}) == "written"
    assert not target.exists()


def test_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "s"
    target.write_text("not a folder")
    with pytest.raises(OutputError, match="must be a folder"):
        publish(target, {"a": b"x"}, force=True)


def test_swap_fallback_without_renameat2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class NoRenameat2:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(out_mod.ctypes, "CDLL", NoRenameat2)
    target = tmp_path / "s"
    publish(target, {"a": b"1"})
    assert publish(target, {"a": b"2"}, force=True) == "replaced"
    assert _contents(target) == {"a": b"2"}
    assert _hidden(tmp_path) == []


def test_interrupted_run_leaves_previous_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "s"
    before = {"a.csv": b"old\n", "b.csv": b"old\n"}
    publish(target, before)
    calls = {"n": 0}
    real_write = out_mod._write

    def dying_write(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # Ctrl-C in the middle of writing
        real_write(path, data)

    monkeypatch.setattr(out_mod, "_write", dying_write)
    with pytest.raises(KeyboardInterrupt):
        publish(target, {"a.csv": b"new\n", "b.csv": b"new\n"}, force=True)
    assert _contents(target) == before
    assert _hidden(tmp_path) == []  # the half-written temporary folder is gone


def _racer(args: tuple[str, int]) -> str:
    target, i = args
    try:
        return publish(Path(target), {"who.txt": f"{i}\n".encode(), "data.csv": b"x\n" * 1000})
    except OutputError:
        return "refused"


def test_concurrent_runs_one_wins_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "out" / "s"
    ctx = mp.get_context("fork")
    with ctx.Pool(4) as pool:
        outcomes = pool.map(_racer, [(str(target), i) for i in range(8)])
    assert outcomes.count("written") == 1
    assert outcomes.count("refused") == 7
    winner = outcomes.index("written")
    assert (target / "who.txt").read_text() == f"{winner}\n"
    assert _hidden(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("cell", "guarded"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (-5.0, -5.0),
        (3, 3),
    ],
)
def test_formula_cells_are_neutralised(cell: object, guarded: object) -> None:
    assert guard_cell(cell) == guarded


def test_csv_bytes_guard_text_but_not_numbers() -> None:
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "ok"], "value": [-1.5, 2.0]})
    text = csv_bytes(frame).decode()
    assert "'=cmd" in text
    assert "\n'=cmd|' /C calc'!A0,-1.5\n" in text.replace('"', "")
    assert text.endswith("ok,2.0\n")


def test_dead_runs_temporary_folders_are_swept_live_ones_kept(tmp_path: Path) -> None:
    from forecast.output import _hold, publish

    dead = tmp_path / ".res.tmp-dead"
    dead.mkdir()
    (dead / "projection.csv").write_text("half", encoding="utf-8")
    live = tmp_path / ".res.tmp-live"
    live.mkdir()
    fd = _hold(live)  # a run still writing holds its folder's lock
    other = tmp_path / ".other.tmp-x"  # another target's: not ours to touch
    other.mkdir()
    try:
        assert publish(tmp_path / "res", {"a.csv": b"1\n"}) == "written"
        hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
        assert hidden == [".other.tmp-x", ".res.tmp-live"]
    finally:
        if fd is not None:
            import os

            os.close(fd)


def test_fallback_swap_killed_between_renames_is_restored(tmp_path: Path) -> None:
    from forecast.output import publish

    old = tmp_path / ".res.old-abc" / "results"
    old.mkdir(parents=True)
    (old / "a.csv").write_bytes(b"old\n")  # the target was moved here, then the run died
    # a later run with other inputs must find the old results back, and refuse
    with pytest.raises(OutputError):
        publish(tmp_path / "res", {"a.csv": b"new\n"})
    assert (tmp_path / "res" / "a.csv").read_bytes() == b"old\n"
    assert not (tmp_path / ".res.old-abc").exists()


def test_glob_characters_in_a_name_match_only_that_name(tmp_path: Path) -> None:
    from forecast.output import publish

    for name in (".ab.tmp-1", ".[x].tmp-dead"):
        (tmp_path / name).mkdir()
    assert publish(tmp_path / "a*", {"f": b"1"}) == "written"
    assert (tmp_path / ".ab.tmp-1").exists()  # another target's folder: untouched
    assert publish(tmp_path / "[x]", {"f": b"1"}) == "written"
    assert not (tmp_path / ".[x].tmp-dead").exists()


def test_more_files_over_the_same_results_is_no_refusal(tmp_path: Path) -> None:
    from forecast.output import publish

    assert publish(tmp_path / "r", {"summary.json": b"1"}) == "written"
    assert publish(tmp_path / "r", {"summary.json": b"1", "report.md": b"x"}) == "replaced"
    with pytest.raises(OutputError):
        publish(tmp_path / "r", {"summary.json": b"2", "report.md": b"x", "more": b""})
