"""The ``claims`` and ``audit`` commands: quantitative projections found in a text, and a
claim checked against the published record and history-fitted models.

Handlers only: the error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
from typing import Any

from .errors import ForecastError


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``claims`` and ``audit`` sub-commands to ``sub``."""
    cl = sub.add_parser(
        "claims",
        parents=[common],
        help="find the quantitative projections in a text",
        description="Find the quantitative projections in a text file: value with currency and "
        "scale, year or period, CAGR and its span, the subject, and the exact character span.",
    )
    cl.add_argument("text", metavar="FILE.txt")
    cl.add_argument("--json", action="store_true", help="print the claims as JSON")
    cl.add_argument("--to-scenario", metavar="FILE.toml", help="write a scenario stub")

    au = sub.add_parser(
        "audit",
        parents=[common],
        help="check a claim against published forecasts and history-fitted models",
        description="Check a claim (from a claims/seed file, or --value/--year/--market) "
        "against published forecasts of the same definition, the CAGRs it implies, and the "
        "probability history-fitted models give it.",
    )
    au.add_argument("claim", nargs="?", metavar="CLAIMS_FILE")
    au.add_argument("--value", help="claimed value, e.g. 1.57T")
    au.add_argument("--year", type=int, help="claimed year")
    au.add_argument("--market", help='market, e.g. "global AI"')
    au.add_argument("--json", action="store_true", help="print the audit as JSON")


def cmd_claims(args: argparse.Namespace) -> int:
    raise ForecastError("claims: not available in this build yet; got a request for it")


def cmd_audit(args: argparse.Namespace) -> int:
    raise ForecastError("audit: not available in this build yet; got a request for it")
