"""The writers in a folder shared with others: symbolic links planted at every name the writers
use never make the toolkit write, move or delete anything outside the output folder; a machine
that refuses a write (full disk, read-only folder) gives one line, exit code 1, and the earlier
results stay in place."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Result, Workspace, assert_user_error, snapshot
from forecast import output as out_mod
from forecast.errors import EnvironmentFailure, OutputError
from forecast.output import publish, write_file

POSIX = pytest.mark.skipif(os.name != "posix", reason="symbolic links and flock are POSIX")
pytestmark = POSIX


def _victim(root: Path) -> Path:
    """A folder outside the output folder, holding what a swap leftover would hold."""
    victim = root / "victim"
    (victim / "results").mkdir(parents=True)
    (victim / "results" / "keep.txt").write_bytes(b"precious\n")
    (victim / "keep.txt").write_bytes(b"precious too\n")
    return victim


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ------------------------------------------------------------------------------------------------
# case 1: a link named like a swap's leftover
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_link_named_like_a_swap_leftover_moves_nothing(
    ws: Workspace, run_cli: Callable[..., Result], force: bool
) -> None:
    """`out/.mini.old-x -> victim` (victim holding results/): the run neither moves the victim's
    files into the output folder nor deletes them, with or without --force."""
    victim = _victim(ws.root)
    before = snapshot(victim)
    ws.out.mkdir()
    (ws.out / ".mini.old-x").symlink_to(victim)
    path = ws.write(ws.doc())
    argv = ["run", path, "--out", ws.out, "--no-report", *(["--force"] if force else [])]
    res = run_cli(*argv)
    assert res.code == 0, res.err
    assert snapshot(victim) == before
    assert not (ws.out / "mini" / "keep.txt").exists()
    assert sorted(p.name for p in (ws.out / "mini").iterdir()) == [
        "params.csv",
        "projection.csv",
        "summary.json",
    ]
    # a second run with other inputs and --force swaps folders: the victim still untouched
    doc = ws.doc()
    doc["projection"]["seed"] = 8
    res = run_cli("run", ws.write(doc), "--out", ws.out, "--no-report", "--force")
    assert res.code == 0, res.err
    assert snapshot(victim) == before
    assert (ws.out / ".mini.old-x").is_symlink()  # not ours: left alone


@pytest.mark.parametrize(
    "planted",
    [
        ".res.old-x",  # a link where a fallback swap's leftover folder would be
        ".res.tmp-x",  # a link where a killed run's temporary folder would be
        ".res.old-y/results",  # a real leftover folder whose results are a link
    ],
)
def test_links_at_leftover_names_are_never_followed(tmp_path: Path, planted: str) -> None:
    victim = _victim(tmp_path)
    before = snapshot(victim)
    out = tmp_path / "out"
    link = out / planted
    link.parent.mkdir(parents=True)
    link.symlink_to(victim / "results" if planted.endswith("results") else victim)
    assert publish(out / "res", {"a.csv": b"1\n"}) == "written"
    assert publish(out / "res", {"a.csv": b"2\n"}, force=True) == "replaced"
    assert snapshot(victim) == before
    assert snapshot(out / "res") == {"a.csv": b"2\n"}
    assert link.is_symlink()


# ------------------------------------------------------------------------------------------------
# case 2: writing through a planted link
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dangling", [False, True])
def test_a_target_that_is_a_link_is_refused_even_with_force(tmp_path: Path, dangling: bool) -> None:
    victim = _victim(tmp_path)
    before = snapshot(victim)
    out = tmp_path / "out"
    out.mkdir()
    (out / "res").symlink_to(tmp_path / "nowhere" if dangling else victim)
    with pytest.raises(OutputError, match="must not be a symbolic link"):
        publish(out / "res", {"a.csv": b"1\n"}, force=True)
    assert snapshot(victim) == before
    assert _hidden(out) == []  # no .res.tmp-* link or folder left behind
    assert (out / "res").is_symlink()


def test_force_over_a_linked_target_is_one_line_through_the_cli(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    victim = _victim(ws.root)
    before = snapshot(victim)
    ws.out.mkdir()
    (ws.out / "mini").symlink_to(victim)
    res = run_cli("run", ws.write(ws.doc()), "--out", ws.out, "--no-report", "--force")
    assert_user_error(res, str(ws.out / "mini"), "symbolic link")
    assert snapshot(victim) == before
    assert _hidden(ws.out) == []


@pytest.mark.parametrize("inside", ["projection.csv", "charts"])
def test_links_inside_the_target_are_replaced_not_followed(tmp_path: Path, inside: str) -> None:
    """A link planted inside earlier results is never taken for the same results, and
    replacing them removes the link, not what it points to."""
    victim = _victim(tmp_path)
    before = snapshot(victim)
    files = {"projection.csv": b"precious\n", "charts/keep.txt": b"precious\n"}
    target = tmp_path / "out" / "res"
    assert publish(target, files) == "written"
    planted = target / inside
    if inside == "charts":
        (target / "charts" / "keep.txt").unlink()
        (target / "charts").rmdir()
        planted.symlink_to(victim / "results")
    else:
        planted.unlink()
        planted.symlink_to(victim / "results" / "keep.txt")  # same bytes as ours
    with pytest.raises(OutputError, match="--force"):
        publish(target, files)
    assert publish(target, files, force=True) == "replaced"
    assert snapshot(victim) == before
    assert not planted.is_symlink()
    assert snapshot(target) == files


def _article(folder: Path) -> Path:
    art = folder / "art.txt"
    art.write_text(
        "The global AI market is expected to reach $1.57 trillion by 2030, analysts say.\n",
        encoding="utf-8",
    )
    return art


@pytest.mark.parametrize("planted", [".gen2.toml.tmp", ".gen2.toml.tmp-x"])
def test_claims_stub_is_not_written_through_a_planted_temporary_link(
    tmp_path: Path, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, planted: str
) -> None:
    """`ln -s victim.txt .gen2.toml.tmp; forecast claims art.txt --to-scenario gen2.toml`."""
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    (tmp_path / planted).symlink_to(victim)
    res = run_cli("claims", _article(tmp_path), "--to-scenario", "gen2.toml")
    assert res.code == 0, res.err
    assert victim.read_bytes() == b"precious\n"
    gen = tmp_path / "gen2.toml"
    assert not gen.is_symlink() and gen.is_file()
    assert b"1.57 trillion USD" in gen.read_bytes()
    assert (tmp_path / planted).is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [planted]


def test_claims_stub_over_a_link_is_refused_even_with_force(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\n")
    gen = tmp_path / "gen2.toml"
    gen.symlink_to(victim)
    res = run_cli("claims", _article(tmp_path), "--to-scenario", gen, "--force")
    assert_user_error(res, str(gen), "symbolic link")
    assert victim.read_bytes() == b"precious\n"
    assert gen.is_symlink()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_write_file_outcomes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "s.toml"
    assert write_file(target, b"a = 1\n") == "written"
    with pytest.raises(OutputError, match="must not overwrite"):
        write_file(target, b"a = 2\n")
    assert target.read_bytes() == b"a = 1\n"
    assert write_file(target, b"a = 2\n", overwrite=True) == "replaced"
    assert target.read_bytes() == b"a = 2\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    with pytest.raises(OutputError, match="must be a file; got an existing folder"):
        write_file(tmp_path / "sub", b"x", overwrite=True)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["s.toml"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("name", ["../x.csv", "/etc/x", "a//b", "./a", "a/../../b"])
def test_file_names_that_step_outside_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="plain relative paths"):
        publish(tmp_path / "res", {name: b"1"})
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------------------------
# case 8 (environment): a full disk, a read-only folder
# ------------------------------------------------------------------------------------------------


def _one_machine_line(res: Result, *fragments: str) -> str:
    assert res.code == 1, (res.code, res.err)
    assert "Traceback" not in res.err + res.out
    (line,) = res.err_lines
    assert line.startswith("forecast: error: "), line
    assert "internal error" not in line
    for frag in fragments:
        assert frag in line, (frag, line)
    return line


def test_full_disk_is_one_line_and_keeps_earlier_results(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = ws.write(ws.doc())
    assert run_cli("run", path, "--out", ws.out, "--no-report").code == 0
    before = snapshot(ws.out)
    real = out_mod._write
    calls = {"n": 0}

    def full(p: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(p))
        real(p, data)

    monkeypatch.setattr(out_mod, "_write", full)
    doc = ws.doc()
    doc["projection"]["seed"] = 8
    res = run_cli("run", ws.write(doc), "--out", ws.out, "--no-report", "--force")
    _one_machine_line(res, str(ws.out / "mini"), "No space left on device", "ENOSPC")
    assert snapshot(ws.out) == before
    assert _hidden(ws.out) == []


def test_read_only_output_folder_is_one_line(
    ws: Workspace, run_cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only --out (EROFS; simulated, since root may write to any folder)."""
    ws.out.mkdir()

    def read_only(*args: object, **kwargs: object) -> str:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(ws.out / ".mini.tmp-x"))

    monkeypatch.setattr(out_mod.tempfile, "mkdtemp", read_only)
    res = run_cli("run", ws.write(ws.doc()), "--out", ws.out, "--no-report")
    _one_machine_line(res, str(ws.out), "Read-only file system", "EROFS")
    assert list(ws.out.iterdir()) == []


def test_write_file_on_a_full_disk_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "s.toml"
    target.write_bytes(b"old\n")

    def full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(out_mod, "_write_all", full)
    with pytest.raises(EnvironmentFailure, match="No space left on device") as info:
        write_file(target, b"new\n", overwrite=True)
    assert info.value.exit_code == 1
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]
