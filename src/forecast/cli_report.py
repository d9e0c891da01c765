"""The ``report`` command: one report comparing several scenarios.

Handlers only: the error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
from typing import Any

from .errors import ForecastError


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``report`` sub-command to ``sub``."""
    rep = sub.add_parser(
        "report",
        parents=[common],
        help="one report comparing several scenarios",
        description="Run the scenarios and write one report comparing them: OUT/<name>/"
        "report.html, report.md (charts beside it) and workbook.xlsx.",
    )
    rep.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    rep.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    rep.add_argument("--name", help="report folder name (default: comparison-<names>)")
    rep.add_argument("--force", action="store_true", help="replace earlier results")
    rep.add_argument("--json", action="store_true", help="print the output record as JSON")


def cmd_report(args: argparse.Namespace) -> int:
    raise ForecastError("report: not available in this build yet; got a request for it")
