"""Writing results without losing earlier ones: the file-system safety rules of every writer.

A run's files are written into a hidden temporary folder beside the target, flushed, and renamed
into place in one step, so an interrupted run leaves either the previous results or the new ones,
never a mix. A run never silently replaces different results: when the target folder already
holds files with other content it refuses unless ``force`` is given (identical content, as from a
rerun with the same inputs and seed, is simply left as it is). :func:`publish` writes a folder,
:func:`write_file` one file (a generated scenario); nothing else in the toolkit writes, moves or
deletes a file.

The rules that keep a folder shared with others safe (a planted symbolic link must not make the
toolkit write, move or delete anything outside the output folder):

* temporary and swap entries are made by ``mkdtemp``/``mkstemp`` inside the target's folder, with
  fresh random names, never reused by name;
* every entry is ``lstat``-ed before it is moved or deleted, and a symbolic link is never
  followed: a link where a leftover of an earlier run would be is left alone, a target that is a
  link is refused with one line, and files are created with ``O_EXCL | O_NOFOLLOW``;
* a failure of the machine (a full disk, a read-only folder) is one line naming the path and the
  system's reason (:class:`~forecast.errors.EnvironmentFailure`, exit code 1), and the earlier
  results stay in place.

CSV text cells, and column names, that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``; numbers are written as
numbers.
"""

from __future__ import annotations

import ctypes
import errno
import io
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .errors import EnvironmentFailure, OutputError

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(value: object) -> object:
    """Neutralise a text cell a spreadsheet could execute; leave numbers alone."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Deterministic CSV bytes (full float precision, ``\\n`` line ends, guarded text cells)."""
    safe = frame.copy()
    safe.columns = [guard_cell(c) for c in safe.columns]  # a header is a cell too
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

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2


def publish(
    target: Path, files: Mapping[str, bytes], *, force: bool = False, subset: bool = False
) -> Outcome:
    """Atomically make ``target`` a folder holding exactly ``files``.

    Returns ``"written"`` (new folder), ``"unchanged"`` (it already held the same bytes) or
    ``"replaced"`` (``force`` and different content). Raises :class:`OutputError` when the folder
    holds other results and ``force`` is false, or when ``target`` is a symbolic link, and
    :class:`EnvironmentFailure` when the machine refuses a write (full disk, read-only folder).

    The files are written to a temporary folder first; the check and the rename into place
    happen under an exclusive lock on the parent folder, so two runs writing the same target do
    not interleave: one wins, the other finds its results (identical: unchanged) or refuses.
    Replacing swaps the two folders in one ``renameat2(RENAME_EXCHANGE)`` where the system has
    it (Linux), else in two renames.
    """
    target = Path(target)
    names = _checked_names(files)
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
    tmp: Path | None = None
    claim: int | None = None
    try:
        with _locked(parent):  # claim a temporary folder before any other run can sweep it
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
            claim = _hold(tmp)
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700; results are ordinary folders
        for name in names:
            _make_parents(tmp, name)
            _write(tmp / name, files[name])
        _fsync_dir(tmp)
        with _locked(parent):
            outcome = check_target(target, files, force=force, subset=subset)  # under the lock
            if outcome == "written":
                _rename_new(tmp, target)
            elif outcome == "replaced":
                _swap(tmp, target)  # tmp now holds the previous results, removed below
            _fsync_dir(parent)
        return outcome
    except OSError as exc:
        raise _machine_refused(target, exc) from None
    finally:
        if claim is not None:
            os.close(claim)
        if tmp is not None:
            _remove_tree(tmp)


def write_file(target: Path, data: bytes, *, overwrite: bool = False) -> Outcome:
    """Atomically make ``target`` a file holding ``data`` (a generated scenario).

    The bytes go to a fresh ``mkstemp`` file beside the target, are flushed and renamed over it
    under the folder's lock. A target that is a symbolic link or a folder is refused with one
    line, an existing file unless ``overwrite``. Returns ``"written"`` or ``"replaced"``.
    """
    target = Path(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{parent}: output folder must be creatable; got {exc.strerror}"
        ) from None
    tmp: str | None = None
    try:
        with _locked(parent):
            st = _lstat(target)
            if st is not None:
                _refuse_link(target, st)
                if not stat.S_ISREG(st.st_mode):
                    raise OutputError(f"{target}: output must be a file; got an existing folder")
                if not overwrite:
                    raise OutputError(
                        f"{target}: output must not overwrite a file (pass --force to replace "
                        "it); got an existing file"
                    )
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.tmp-", dir=parent)
            try:
                os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; an ordinary file
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, target)  # replaces the name itself: never follows a link
            tmp = None
            _fsync_dir(parent)
        return "written" if st is None else "replaced"
    except OSError as exc:
        raise _machine_refused(target, exc) from None
    finally:
        if tmp is not None:
            _unlink_quietly(Path(tmp))


def _machine_refused(target: Path, exc: OSError) -> EnvironmentFailure:
    """A one-line environment failure naming the path and the system's reason."""
    code = errno.errorcode.get(exc.errno or 0, "")
    reason = f"{exc.strerror or exc} ({code})" if code else str(exc.strerror or exc)
    path = exc.filename if exc.filename is not None else target
    return EnvironmentFailure(
        f"{target}: the results must be written in full; got {reason} at {os.fsdecode(path)} "
        "(earlier results are untouched)"
    )


def _checked_names(files: Mapping[str, bytes]) -> list[str]:
    """The relative file names, refused when one could step outside the folder."""
    for name in files:
        parts = name.split("/")
        if name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"output file names must be plain relative paths; got {name!r}")
    return list(files)


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _refuse_link(target: Path, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(
            f"{target}: output must not be a symbolic link (results are never written through "
            f"one, so nothing outside the output folder changes); got a link to "
            f"{os.readlink(target)!r}"
        )


def _real_dir(path: Path) -> bool:
    """``path`` is a folder itself, not a link to one."""
    st = _lstat(path)
    return st is not None and stat.S_ISDIR(st.st_mode)


def _open_dir(folder: Path) -> int:
    """A descriptor on ``folder`` itself (``O_NOFOLLOW``: a link is refused by the system)."""
    return os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)


def _hold(folder: Path) -> int | None:
    """An exclusive lock on ``folder`` held until the returned descriptor is closed, or the
    process dies (the kernel drops it even on SIGKILL): marks a temporary folder as in use."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    fd = _open_dir(folder)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _sweep(parent: Path, name: str) -> None:
    """Remove the temporary folders of earlier runs on ``name`` that died mid-write (killed, or
    the machine went down): those whose lock nobody holds. Called under the parent's lock.

    Only real folders are touched: an entry with a leftover's name that is a symbolic link (or
    a file) was not made by a run and is left alone, never followed."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return
    target = parent / name
    for left in sorted(parent.iterdir()):
        tmp = left.name.startswith(f".{name}.tmp-")
        old = left.name.startswith(f".{name}.old-")
        if not (tmp or old) or not _real_dir(left):
            continue
        if old:  # a run died between the two renames of the fallback swap: put the old back
            if _lstat(target) is None and _real_dir(left / "results"):
                os.rename(left / "results", target)
                _remove_tree(left)
            continue  # otherwise leave it for the user: it may hold the only copy
        try:
            fd = _open_dir(left)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a live run is writing it
            os.close(fd)
            continue
        try:
            _remove_tree(left)
        finally:
            os.close(fd)


def _remove_tree(path: Path) -> None:
    """Delete a folder this module made, if it is still a real folder (never through a link;
    ``shutil.rmtree`` does not follow the links inside it either)."""
    if _real_dir(path):
        shutil.rmtree(path, ignore_errors=True)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Exclusive advisory lock on a folder (no-op where flock is unavailable)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY | _CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _renameat2(a: Path, b: Path, flags: int) -> bool:
    """``renameat2(a, b, flags)`` where the C library has it; False when it does not (or the
    file system does not support the flag), raising for any other failure."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), os.fsdecode(b))


def _rename_new(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, which must not exist (not even as a dangling link)."""
    if _renameat2(tmp, target, _RENAME_NOREPLACE):
        return
    st = _lstat(target)
    if st is not None:  # pragma: no cover - checked under the lock just before
        _refuse_link(target, st)
        raise OutputError(f"{target}: output folder must not appear while writing; got one")
    os.rename(tmp, target)


def _swap(a: Path, b: Path) -> None:
    """Exchange two folders atomically where possible."""
    if _renameat2(a, b, _RENAME_EXCHANGE):
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
    st = _lstat(target)
    if st is None:
        return "written"
    _refuse_link(target, st)
    if not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{target}: output must be a folder; got an existing file")
    present = _present(target)
    if present is not None and _same_content(target, present, files, subset=subset):
        return "unchanged"
    if present is not None and _adds_to(target, present, files):
        return "replaced"  # the same results plus more files (a report after --no-report)
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


def _make_parents(root: Path, name: str) -> None:
    """Create the sub-folders of ``name`` inside ``root``, each a real folder (no link)."""
    folder = root
    for part in name.split("/")[:-1]:
        folder = folder / part
        try:
            os.mkdir(folder)
        except FileExistsError:
            if not _real_dir(folder):
                raise OSError(errno.ENOTDIR, "not a real folder", str(folder)) from None


def _write(path: Path, data: bytes) -> None:
    """Create ``path`` (it must not exist; a link is not followed) and write ``data`` to it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


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


def _present(target: Path) -> set[str] | None:
    """The regular files under ``target`` by relative name; None when it holds anything else
    (a symbolic link, a FIFO...), which is never taken for the same results."""
    found: set[str] = set()
    for folder, dirs, names in os.walk(target):  # os.walk does not follow links to folders
        base = Path(folder)
        for entry in [*dirs, *names]:
            st = os.lstat(base / entry)
            if stat.S_ISREG(st.st_mode):
                found.add((base / entry).relative_to(target).as_posix())
            elif not stat.S_ISDIR(st.st_mode):
                return None
    return found


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def _same_content(
    target: Path, present: set[str], files: Mapping[str, bytes], *, subset: bool = False
) -> bool:
    if present != set(files) and not (subset and set(files) <= present):
        return False
    return all(_read(target / name) == data for name, data in files.items())


def _adds_to(target: Path, present: set[str], files: Mapping[str, bytes]) -> bool:
    """``target`` holds some of ``files``, each with the same bytes, and nothing else."""
    if not present or not present < set(files):
        return False
    return all(_read(target / name) == files[name] for name in present)
