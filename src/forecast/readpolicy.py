"""What the toolkit agrees to read: regular files, of bounded size, from allowed folders.

Every data file (a scenario and the files it names through ``extends``, ``history.file``,
``estimates``, ``rates.file`` and ``prices.file``; a ``fit`` or ``backtest`` CSV; an
estimates or history file given to ``audit``)
is read through :func:`read_file`, which refuses with one line:

* anything but a regular file: a folder, a FIFO (which would block forever), a device such as
  ``/dev/zero`` (which never ends), a socket; the type is checked with ``stat`` before the file
  is opened, and again on the opened descriptor (opened ``O_NONBLOCK``);
* a file larger than the size limit: 64 MB unless the environment variable
  ``FORECAST_MAX_FILE_MB`` sets another (a file that grows while read is cut at the limit and
  refused too);
* for a file a scenario names, a path outside the allowed folders: the folder of the scenario
  given on the command line (and every folder below it), the ``data/`` folder beside it (the
  layout of this checkout: ``scenarios/`` and ``data/`` side by side), the toolkit's own
  ``data/`` and ``scenarios/`` (a variant may extend a bundled scenario; see
  :func:`toolkit_home`), and any folder
  allowed with ``--allow-path DIR`` or the environment variable ``FORECAST_ALLOW_PATH``
  (folders separated by ``:``). Paths are compared after resolving
  symbolic links and ``..``, so neither leads out. Where ``forecast`` runs from does not
  matter: the same scenario reads the same files from any working folder.

The folders a command line names itself (``fit DATA.csv``, ``audit --history FILE``) are the
user's own choice and are not confined; the other rules hold for them too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ForecastError, message

DEFAULT_MAX_MB = 64
MAX_MB_ENV = "FORECAST_MAX_FILE_MB"
ALLOW_ENV = "FORECAST_ALLOW_PATH"
_MB = 1_000_000
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_ESTIMATES_MARKER = "ai_market_estimates.csv"  # marks data/ as the toolkit's own

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def max_file_bytes() -> int:
    """The size limit of one data file: ``FORECAST_MAX_FILE_MB`` megabytes, 64 by default."""
    raw = os.environ.get(MAX_MB_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_MB * _MB
    try:
        mb = float(raw)
        if not 0 < mb < 1e9:
            raise ValueError
    except ValueError:
        raise ForecastError(
            message(MAX_MB_ENV, "must be a positive number of megabytes such as 64", raw)
        ) from None
    return int(mb * _MB)


def _env_roots() -> tuple[Path, ...]:
    raw = os.environ.get(ALLOW_ENV, "")
    return tuple(Path(p) for p in raw.split(os.pathsep) if p.strip())


def _size(n: int) -> str:
    return f"{n / _MB:,.1f} MB" if n >= _MB else f"{n:,} bytes"


@dataclass(frozen=True)
class ReadPolicy:
    """Where files may be read from and how large they may be.

    ``roots`` are the folders files must lie in (after resolving links), or None for anywhere
    (a file the command line names). ``max_bytes`` defaults to :func:`max_file_bytes`.
    """

    roots: tuple[Path, ...] | None = None
    max_bytes: int = field(default_factory=max_file_bytes)

    @classmethod
    def for_scenario(cls, scenario: Path | str, allow: Iterable[Path | str] = ()) -> ReadPolicy:
        """The policy for the files a scenario names: its own folder, the ``data/`` beside it,
        the toolkit's ``data/`` and ``scenarios/``, ``allow`` and ``FORECAST_ALLOW_PATH``."""
        home = Path(os.path.abspath(scenario)).parent
        roots: list[Path] = [home, home.parent / "data"]
        roots += [Path(p) for p in allow]
        roots += _env_roots()
        roots += _toolkit_folders()
        real = tuple(dict.fromkeys(Path(os.path.realpath(r)) for r in roots))
        return cls(roots=real)

    def check_inside(self, path: Path | str, where: str, what: str) -> None:
        """Refuse ``path`` (one line, starting ``where``) unless it lies inside a root."""
        if self.roots is None:
            return
        real = Path(os.path.realpath(path))
        if any(real == r or r in real.parents for r in self.roots):
            return
        raise ForecastError(
            message(
                where,
                f"{what} must lie inside the scenario's folder ({self.roots[0]}), the data/ "
                f"folder beside it or a folder allowed with --allow-path DIR (or {ALLOW_ENV})",
                os.fspath(path),
            )
        )


def toolkit_home() -> Path | None:
    """The folder that holds the toolkit's own ``data/`` and ``scenarios/``: the checkout the
    package runs from (``src/`` beside them: a development install), else the copy shipped
    inside the installed package (``forecast/_bundled/``, written by the build); None when
    neither holds them. The one place that knows where the bundled files are; where
    ``forecast`` runs from does not matter."""
    here = Path(__file__).resolve().parent
    return next(iter(_homes(here.parents[1], here / "_bundled")), None)


def _homes(*candidates: Path) -> list[Path]:
    return [
        top
        for top in candidates
        if (top / "data" / _ESTIMATES_MARKER).is_file() and (top / "scenarios").is_dir()
    ]


def _toolkit_folders() -> list[Path]:
    """``data/`` and ``scenarios/`` a scenario may name without ``--allow-path``: those of
    :func:`toolkit_home`, and those of the working folder when it is a checkout of the toolkit
    (an installed toolkit run from its checkout, extending a scenario of that checkout)."""
    here = Path(__file__).resolve().parent
    homes = _homes(here.parents[1], here / "_bundled", Path.cwd())
    return [top / name for top in homes for name in ("data", "scenarios")]


def read_file(
    path: Path | str,
    *,
    what: str,
    error: type[ForecastError] = ForecastError,
    policy: ReadPolicy | None = None,
    where: str | None = None,
) -> bytes:
    """The bytes of a regular file under the size limit (and inside the policy's roots).

    Raises ``error`` (one line naming the file, the rule and what was found); a missing file
    says ``{what} must exist; got no such file``. ``where`` prefixes the error of a file outside
    the roots (the scenario key that named it).
    """
    p = Path(path)
    policy = policy if policy is not None else ReadPolicy()
    try:
        policy.check_inside(p, where or str(p), what)
    except ForecastError as exc:
        raise error(str(exc)) from None
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{p}: {what} must exist; got no such file") from None
    except OSError as exc:
        raise error(f"{p}: {what} must be readable; got {exc.strerror}") from None
    _check_kind(p, st, what, error)
    _check_size(p, st.st_size, policy.max_bytes, what, error)
    try:
        fd = os.open(p, os.O_RDONLY | _NONBLOCK | _NOCTTY | _CLOEXEC)
    except OSError as exc:
        raise error(f"{p}: {what} must be readable; got {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)  # the file opened may not be the one looked at: look again
        _check_kind(p, st, what, error)
        _check_size(p, st.st_size, policy.max_bytes, what, error)
        try:
            data = fh.read(policy.max_bytes + 1)
        except OSError as exc:
            raise error(f"{p}: {what} must be readable; got {exc.strerror}") from None
    if len(data) > policy.max_bytes:  # grew while read, or a size the system does not report
        raise error(
            f"{p}: {what} must be at most {_size(policy.max_bytes)} ({MAX_MB_ENV} sets the "
            "limit); got more"
        )
    return data


def _check_kind(p: Path, st: os.stat_result, what: str, error: type[ForecastError]) -> None:
    if stat.S_ISREG(st.st_mode):
        return
    kind = next((name for test, name in _KINDS if test(st.st_mode)), "not a regular file")
    raise error(f"{p}: {what} must be a regular file; got {kind}")


def _check_size(p: Path, size: int, limit: int, what: str, error: type[ForecastError]) -> None:
    if size > limit:
        raise error(
            f"{p}: {what} must be at most {_size(limit)} ({MAX_MB_ENV} sets the limit); got "
            f"{_size(size)}"
        )


def allowed(paths: Sequence[str] | None) -> tuple[Path, ...]:
    """``--allow-path`` values as folders (each must exist and be a folder)."""
    out = []
    for raw in paths or ():
        p = Path(raw)
        if not p.is_dir():
            raise ForecastError(message("--allow-path", "must name an existing folder", raw))
        out.append(p)
    return tuple(out)
