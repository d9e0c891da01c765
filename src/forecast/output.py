"""Writing results without losing earlier ones.

A run's files are written into a hidden temporary folder beside the target, flushed, and renamed
into place in one step, so an interrupted run leaves either the previous results or the new ones,
never a mix. A run never silently replaces different results: when the target folder already
holds files with other content it refuses unless ``force`` is given (identical content, as from a
rerun with the same inputs and seed, is simply left as it is).

CSV text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
tab or carriage return) are prefixed with ``'``; numbers are written as numbers.
"""

from __future__ import annotations

import ctypes
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .errors import OutputError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: object) -> object:
    """Neutralise a text cell a spreadsheet could execute; leave numbers alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes (full float precision, ``\\n`` line ends, guarded text cells)."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].map(guard_cell)
    buf = io.StringIO()
    safe.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue().encode("utf-8")


def json_bytes(obj: Mapping[str, Any]) -> bytes:
    """Deterministic, human-readable JSON bytes (no NaN: callers map them to null)."""
    return (json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


Outcome = Literal["written", "unchanged", "replaced"]


def publish(
    target: Path, files: Mapping[str, bytes], *, force: bool = False, subset: bool = False
) -> Outcome:
    """Atomically make ``target`` a folder holding exactly ``files``.

    Returns ``"written"`` (new folder), ``"unchanged"`` (it already held the same bytes) or
    ``"replaced"`` (``force`` and different content). Raises :class:`OutputError` when the folder
    holds other results and ``force`` is false.

    The files are written to a temporary folder first; the check and the rename into place
    happen under an exclusive lock on the parent folder, so two runs writing the same target do
    not interleave: one wins, the other finds its results (identical: unchanged) or refuses.
    Replacing swaps the two folders in one ``renameat2(RENAME_EXCHANGE)`` where the system has
    it (Linux), else in two renames.
    """
    target = Path(target)
    parent = target.parent
    if parent.is_dir():
        with _locked(parent):  # what killed runs left goes first, whatever this run does
            _sweep(parent, target.name)
    if check_target(target, files, force=force, subset=subset) == "unchanged":
        return "unchanged"
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{parent}: output folder must be creatable; got {exc.strerror}"
        ) from None
    with _locked(parent):  # claim a temporary folder before any other run can sweep it
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
        claim = _hold(tmp)
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; results are ordinary folders
        for name, data in files.items():
            _write(tmp / name, data)
        _fsync_dir(tmp)
        with _locked(parent):
            outcome = check_target(target, files, force=force, subset=subset)  # under the lock
            if outcome == "written":
                os.rename(tmp, target)
            elif outcome == "replaced":
                _swap(tmp, target)  # tmp now holds the previous results, removed below
            _fsync_dir(parent)
        return outcome
    finally:
        if claim is not None:
            os.close(claim)
        shutil.rmtree(tmp, ignore_errors=True)


def _hold(folder: Path) -> int | None:
    """An exclusive lock on ``folder`` held until the returned descriptor is closed, or the
    process dies (the kernel drops it even on SIGKILL): marks a temporary folder as in use."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _sweep(parent: Path, name: str) -> None:
    """Remove the temporary folders of earlier runs on ``name`` that died mid-write (killed, or
    the machine went down): those whose lock nobody holds. Called under the parent's lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return
    target = parent / name
    for left in sorted(parent.iterdir()):
        tmp = left.name.startswith(f".{name}.tmp-")
        old = left.name.startswith(f".{name}.old-")
        if not (tmp or old) or not left.is_dir():
            continue
        if old:  # a run died between the two renames of the fallback swap: put the old back
            if not target.exists() and (left / "results").is_dir():
                os.rename(left / "results", target)
                shutil.rmtree(left, ignore_errors=True)
            continue  # otherwise leave it for the user: it may hold the only copy
        try:
            fd = os.open(left, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live run is writing it
            os.close(fd)
            continue
        try:
            shutil.rmtree(left, ignore_errors=True)
        finally:
            os.close(fd)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Exclusive advisory lock on a folder (no-op where flock is unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _swap(a: Path, b: Path) -> None:
    """Exchange two folders atomically where possible."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    # fallback: two renames (a crash in between leaves the new results in place of the old)
    old = Path(tempfile.mkdtemp(prefix=f".{b.name}.old-", dir=b.parent))
    os.rename(b, old / "results")
    os.rename(a, b)
    os.rename(old / "results", a)
    old.rmdir()


def check_target(
    target: Path, files: Mapping[str, bytes], *, force: bool = False, subset: bool = False
) -> Outcome:
    """What :func:`publish` would do, without writing: ``"written"``, ``"unchanged"`` or
    ``"replaced"``; raises :class:`OutputError` where it would refuse. Lets a caller with several
    folders to write check them all before writing any.

    ``subset=True`` also counts a folder as unchanged when it holds every one of ``files`` with
    the same bytes plus others (a run with ``--no-report`` over an earlier run of the same
    inputs that wrote the report too)."""
    target = Path(target)
    if not target.exists():
        return "written"
    if not target.is_dir():
        raise OutputError(f"{target}: output must be a folder; got an existing file")
    if _same_content(target, files, subset=subset):
        return "unchanged"
    if _adds_to(target, files):  # the same results plus more files (a report after --no-report)
        return "replaced"
    if not force:
        raise OutputError(
            f"{target}: output folder must not hold earlier results of other inputs "
            "(pass --force to replace them, or --out to write elsewhere); got existing files"
        )
    return "replaced"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _same_content(target: Path, files: Mapping[str, bytes], *, subset: bool = False) -> bool:
    present = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    if present != set(files) and not (subset and set(files) <= present):
        return False
    return all((target / name).read_bytes() == data for name, data in files.items())


def _adds_to(target: Path, files: Mapping[str, bytes]) -> bool:
    """``target`` holds some of ``files``, each with the same bytes, and nothing else."""
    present = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    if not present or not present < set(files):
        return False
    return all((target / name).read_bytes() == files[name] for name in present)
