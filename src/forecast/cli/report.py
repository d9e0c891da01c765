"""The ``report`` command (one report comparing several scenarios) and the report files
``forecast run`` writes beside its CSVs.

The error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._textfmt import output_line
from ..errors import ForecastError
from .options import output_options

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..scenario import Scenario


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``report`` to ``sub``."""
    rep = sub.add_parser(
        "report",
        parents=parents,
        help="one report comparing several scenarios",
        description="Run the scenarios and write one report comparing them: OUT/<name>/"
        "report.html, report.md (charts beside it) and workbook.xlsx.",
    )
    rep.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    rep.add_argument("--name", help="report folder name (default: compare-<first>-and-<n>)")
    rep.add_argument(
        "--title",
        help='the report\'s title (default: "N scenarios compared"); at most 200 characters',
    )
    output_options(rep, force="replace earlier results", json="print the output record as JSON")
    rep.set_defaults(handler=cmd_report)


def scenarios_and_folder(
    args: argparse.Namespace, verb: str, default: Callable[[list[str]], str]
) -> tuple[list[Scenario], str]:
    """The scenarios of a command that writes one folder for all of them (``report``,
    ``deck``): loaded under ``--allow-path``, their names unique, and the folder's name
    (``--name``, else ``default(names)``) a plain name."""
    from ..readpolicy import allowed
    from ..scenario import load_scenario

    allow = allowed(args.allow_path)
    scenarios = [load_scenario(p, allow=allow) for p in args.scenarios]
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ForecastError(
            f"{verb}: scenario names must be unique within one {verb}; got {dupes[0]!r} twice"
        )
    name = args.name or default(names)
    if not name or "/" in name or name.startswith("."):
        raise ForecastError(
            f"{verb}: --name must be a plain folder name (no '/', not starting with '.'); got "
            f"{name!r}"
        )
    return scenarios, name


def cmd_report(args: argparse.Namespace) -> int:
    from ..audit.evidence import gather_evidence
    from ..output import publish
    from ..projection import run_scenario
    from ..report.files import comparison_files
    from ..results import command_line
    from ..scenario.schema import check_title

    scenarios, name = scenarios_and_folder(
        args,
        "report",
        lambda names: (
            f"compare-{names[0]}" + (f"-and-{len(names) - 1}-more" if len(names) > 1 else "")
        ),
    )
    names = [sc.name for sc in scenarios]
    units = {s.unit for s in scenarios}
    if len(units) > 1:  # refused before anything runs
        first, other = scenarios[0], next(s for s in scenarios if s.unit != scenarios[0].unit)
        raise ForecastError(
            f"report: scenarios compared must share one unit; got {first.unit.label} "
            f"({first.name}) and {other.unit.label} ({other.name})"
        )
    title = check_title(args.title, "report: --title")
    results = [run_scenario(s) for s in scenarios]
    evidences = [gather_evidence(r) for r in results]
    files = comparison_files(
        results,
        evidences,
        command=command_line("report", list(args.scenarios)),
        title=title,
    )
    target = Path(args.out) / name
    outcome = publish(target, files, force=args.force)
    if args.json:
        record = {"folder": str(target), "files": sorted(files), "outcome": outcome}
        print(json.dumps(record, indent=2))
    else:
        print(f"report on {len(results)} scenarios: {', '.join(names)}")
        print(output_line(outcome, target, sorted(files)))
    return 0
