"""The ``report`` command (one report comparing several scenarios) and the report files
``forecast run`` writes beside its CSVs.

The error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._textfmt import output_line
from ..errors import ForecastError, visible
from .options import output_options

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..results import ScenarioResult, StatsScenarioResult
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


def check_title(title: str | None, verb: str) -> str | None:
    """A ``--title`` as given, held to a scenario title's rules (one line of at most 200
    characters, no control characters)."""
    if title is None:
        return None
    from ..scenario.schema import CONTROL, TEXT_LIMITS

    limit = TEXT_LIMITS["title"]
    if not title.strip() or len(title) > limit or CONTROL.search(title):
        raise ForecastError(
            f"{verb}: --title must be one line of 1 to {limit} characters without control "
            f"characters; got {visible(title[:60])!r}"
            + (f" ({len(title):,} characters)" if len(title) > limit else "")
        )
    return " ".join(title.split())


def command_line(verb: str, paths: list[str]) -> str:
    """The command that reproduces a report, run from the first scenario's folder (paths
    relative to it, as all provenance paths are): independent of the working folder, the clock
    and the output folder, so identical inputs give identical report bytes."""
    base = Path(paths[0]).resolve().parent
    rel = [Path(os.path.relpath(Path(p).resolve(), base)).as_posix() for p in paths]
    return shlex.join(["forecast", verb, *rel]) + " (run in the scenario's folder)"


def scenario_report_files(
    res: ScenarioResult | StatsScenarioResult, *, command: str | None = None
) -> dict[str, bytes]:
    """The report files of one scenario run (``report.html``, ``report.md``, ``charts/``,
    ``workbook.xlsx``)."""
    from ..audit.evidence import gather_evidence
    from ..report.files import report_files

    ev = gather_evidence(res)
    cmd = command or command_line("run", [str(res.scenario.path)])
    return report_files(res, ev, command=cmd)


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
    title = check_title(args.title, "report")
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
