"""The ``forecast`` command line: the parser built from the command modules, and the one error
boundary.

``main(argv) -> int`` is the single error boundary: a :class:`ForecastError` becomes one line on
stderr and exit code 2 (a traceback only with ``--verbose``); a failure of the machine (a full
disk, a read-only folder, too little memory) one line and exit code 1; an unexpected exception
one line and exit code 1. Tests call ``main`` directly.

Around every command: warnings of the libraries (matplotlib, scipy, numpy) are captured, never
printed (``run`` folds them into its summary's warnings; ``--verbose`` prints them), so stderr
holds at most the one error line; and everything printed passes through
:func:`forecast.errors.visible`, so a control or bidirectional-override character from a file
(a title holding a terminal's escape sequence) is shown as an escape, never acted on.

A command is a module of this package with ``add_parser(sub, parents)``, which declares its
sub-command(s) and sets ``handler``; the handler imports what it needs when it runs, so that
parsing the arguments (and ``--help``, ``--version``) loads no numerical library.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from .._version import __version__
from .._warnings import library_warnings
from ..errors import ForecastError, one_line, visible
from . import (
    backtest,
    batch,
    claims,
    deck,
    fit,
    implied,
    report,
    run,
    simulate,
    validate,
)
from .options import Parser, verbose_parent

MAX_ERROR_CHARS = 2_000  # the error line is cut beyond this (a value echoed from a file)

COMMANDS = (run, validate, implied, fit, backtest, simulate, report, claims, batch, deck)
"""The command modules, in the order ``forecast --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: every command module's sub-commands."""
    common = verbose_parent()
    parser = Parser(
        prog="forecast",
        description="Market forecast modeling: cited scenarios, growth curves calibrated to "
        "anchors, projections with prediction intervals.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in args_list
    caught: list[str] = []
    try:
        with _visible_stdout(), library_warnings() as caught:
            try:
                args = build_parser().parse_args(args_list)
            except SystemExit as exc:  # --help and --version print and ask to exit
                return int(exc.code or 0)
            if args.command is None:
                raise ForecastError(
                    "command line: a command is required (run, validate, implied, fit, backtest, "
                    "batch, simulate, sensitivity, report, claims or audit; see forecast --help); "
                    "got none"
                )
            return int(args.handler(args))
    except ForecastError as exc:
        if verbose:
            traceback.print_exc()
        _error_line(str(exc))
        return exc.exit_code
    except BrokenPipeError:  # output piped into a program that stopped reading (e.g. head)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("forecast: interrupted; earlier results are untouched", file=sys.stderr)
        return 130
    except MemoryError:
        if verbose:
            traceback.print_exc()
        _error_line(
            "memory: the run must fit in the memory available; got too little (try fewer "
            "--draws, or a smaller file); earlier results are untouched"
        )
        return 1
    except OSError as exc:  # the machine refused (a full disk, a read-only folder, permissions)
        if verbose:
            traceback.print_exc()
        code = errno.errorcode.get(exc.errno or 0, "")
        where = os.fsdecode(exc.filename) if exc.filename is not None else "forecast"
        _error_line(
            f"{where}: the system must allow this operation; got {exc.strerror or exc}"
            + (f" ({code})" if code else "")
        )
        return 1
    except Exception as exc:  # the one place an unexpected error is turned into a line
        if verbose:
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        _error_line(
            f"internal error: {type(exc).__name__}: {first} (rerun with --verbose for the "
            "traceback)",
            prefix="forecast: ",
        )
        return 1
    finally:
        if verbose:
            for line in caught:
                print(f"forecast: library warning: {visible(one_line(line))}", file=sys.stderr)


def _error_line(message: str, prefix: str = "forecast: error: ") -> None:
    """The one stderr line: line breaks, control and bidi characters shown as escapes, and cut
    at ``MAX_ERROR_CHARS``."""
    text = visible(one_line(message))
    if len(text) > MAX_ERROR_CHARS:
        text = f"{text[:MAX_ERROR_CHARS]}... ({len(text) - MAX_ERROR_CHARS:,} more characters)"
    print(f"{prefix}{text}", file=sys.stderr)


class _VisibleText:
    """A text stream that shows control and bidi characters as escapes (tabs and line breaks
    kept) before they reach the terminal: nothing printed from a file can move the cursor, clear
    the screen, set the window title or reorder the text around it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding...
        return getattr(self._stream, name)


@contextlib.contextmanager
def _visible_stdout() -> Iterator[None]:
    real = sys.stdout
    sys.stdout = _VisibleText(real)
    try:
        yield
    finally:
        sys.stdout = real


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
