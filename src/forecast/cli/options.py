"""The options several commands share, declared once: the parser class whose usage errors are
one-line :class:`~forecast.errors.ForecastError`\\ s, the parent parsers (``--verbose`` for
every command; ``--out/--force/--json/--quiet`` and ``--allow-path`` for the commands that
write files), ``--max-rows`` and the cluster options.

Light on purpose: importing it (every ``forecast`` call does, to parse its arguments) imports
no numerical library.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ForecastError


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as a ForecastError (one line, exit 2)."""

    def error(self, message: str) -> Any:
        where = self.prog.removeprefix("forecast").strip() or "command line"
        raise ForecastError(f"{where}: {message}")


def verbose_parent() -> Parser:
    """The parent of every command: ``--verbose``."""
    common = Parser(add_help=False)
    common.add_argument("--verbose", action="store_true", help="show tracebacks on errors")
    return common


def output_options(
    p: argparse.ArgumentParser,
    *,
    out: str | None = "out",
    force: str = "replace earlier results of other inputs",
    quiet: bool = False,
    json: str = "print the summary as JSON",
    allow_path: bool = True,
) -> None:
    """``--out DIR`` (``out=None``: required), ``--force``, ``--quiet`` (a command with a
    progress bar), ``--json`` and ``--allow-path``: the options of a command that writes files.
    The help texts say what each command writes."""
    if out is None:
        p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    else:
        p.add_argument("--out", default=out, metavar="DIR", help=f"output folder (default: {out})")
    p.add_argument("--force", action="store_true", help=force)
    if quiet:
        p.add_argument("--quiet", action="store_true", help="no progress bar")
    json_option(p, json)
    if allow_path:
        allow_path_option(p)


def json_option(p: argparse.ArgumentParser, help: str = "print the result as JSON") -> None:
    """``--json``: the result as JSON on stdout instead of the text summary."""
    p.add_argument("--json", action="store_true", help=help)


def allow_path_option(p: argparse.ArgumentParser) -> None:
    """``--allow-path DIR`` (repeatable): a folder the scenario's files may be read from."""
    p.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="also read files a scenario names (extends, history, estimates) from DIR "
        "(repeatable; by default only the scenario's folder and the data/ beside it)",
    )


def max_rows_option(p: argparse.ArgumentParser, default: int) -> None:
    """``--max-rows N``: the cap on a CSV's data rows."""
    p.add_argument(
        "--max-rows",
        type=int,
        default=default,
        metavar="N",
        help=f"refuse a CSV with more data rows (default: {default:,})",
    )


def max_rows(args: argparse.Namespace) -> int:
    """``--max-rows`` checked."""
    if args.max_rows < 1:
        raise ForecastError(f"--max-rows: must be a positive number of rows; got {args.max_rows}")
    return int(args.max_rows)


def rows_hint(flag: str = "--max-rows") -> str:
    """The end of a too-many-rows error: how to get past it."""
    return f" (split the file, or raise the cap with {flag})"


def cluster_options(p: argparse.ArgumentParser) -> None:
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
