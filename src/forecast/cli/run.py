"""``forecast run``: fit, calibrate and project scenarios; write each one's projection.csv,
params.csv, summary.json (and, unless ``--no-report``, its report, workbook and charts)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import output_options

if TYPE_CHECKING:
    from ..units import Unit


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``run`` to ``sub``."""
    run = sub.add_parser(
        "run",
        parents=parents,
        help="fit, calibrate and project scenarios",
        description="Fit, calibrate and project scenarios; print a summary and "
        "write OUT/<scenario>/projection.csv, params.csv, summary.json.",
    )
    run.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    run.add_argument(
        "--no-report",
        action="store_true",
        help="skip report.html, report.md, workbook.xlsx and the charts",
    )
    output_options(
        run,
        force="replace earlier results of other inputs in OUT/<scenario>",
        json="print the summaries as JSON",
    )
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    """Files depend only on inputs, seed and versions (no clock, no command line), so a rerun
    with the same inputs finds its results unchanged."""
    from .. import units
    from .._warnings import library_warnings
    from ..errors import ForecastError
    from ..output import check_target, csv_bytes, json_bytes, publish
    from ..projection import run_scenario
    from ..readpolicy import allowed
    from ..results import ScenarioResult, command_line
    from ..scenario import load_scenario
    from .terminal import format_comparison, format_stats_summary, format_summary

    allow = allowed(args.allow_path)
    scenarios = [load_scenario(p, allow=allow) for p in args.scenarios]  # all before any run
    seen: dict[str, str] = {}
    for path, sc in zip(args.scenarios, scenarios, strict=True):
        if sc.name in seen:
            raise ForecastError(
                f"{path}: name: scenario names must be unique within one run (they name the "
                f"output folders); got {sc.name!r}, also the name of {seen[sc.name]}"
            )
        seen[sc.name] = path
    results = []
    caught: list[list[str]] = []  # library warnings of each scenario, folded into its summary
    for sc in scenarios:
        with library_warnings() as found:
            results.append(run_scenario(sc))
        caught.append(found)
    planned = []
    for res, found in zip(results, caught, strict=True):
        summary = res.summary()
        command = command_line("run", [str(res.scenario.path)])
        summary["provenance"]["command"] = command  # the manifest: how to reproduce these files
        files = {
            "projection.csv": csv_bytes(_with_unit(res.projection, res.scenario.unit)),
            "params.csv": csv_bytes(res.params),
            "summary.json": json_bytes(summary),
        }
        if not res.segments.empty:
            files["segments.csv"] = csv_bytes(_with_unit(res.segments, res.scenario.unit))
        if not args.no_report:
            with library_warnings() as drawing:
                from ..report.files import scenario_report_files

                files.update(scenario_report_files(res, command=command))
            found += [w for w in drawing if w not in found]
        target = Path(args.out) / res.scenario.name
        # refuse before writing anything; --no-report over a run that wrote one is unchanged
        check_target(target, files, force=args.force, subset=args.no_report)
        planned.append((res, summary, files, target, found))
    summaries = []
    for res, summary, files, target, found in planned:
        outcome = publish(target, files, force=args.force, subset=args.no_report)
        # shown, not written: the files do not depend on which library versions warn
        summary["warnings"] = [*summary["warnings"], *(f"library: {w}" for w in found)]
        summary["output"] = {"folder": str(target), "files": sorted(files), "outcome": outcome}
        summaries.append(summary)
        if not args.json:
            with units.shown_in(res.scenario.unit):
                print(
                    format_summary(res, summary)
                    if isinstance(res, ScenarioResult)
                    else format_stats_summary(res, summary)
                )
            print()
    if args.json:
        print(json.dumps(summaries, indent=2, allow_nan=False))
    elif len(results) > 1:
        print(format_comparison(results))
    return 0


def _with_unit(frame: Any, unit: Unit) -> Any:
    """A projection frame with a ``unit`` column after ``scenario`` when the scenario is not in
    USD billion (the default's files keep their columns; summary.json always says the unit)."""
    from ..units import USD_BILLION

    if unit == USD_BILLION:
        return frame
    out = frame.copy()
    out.insert(1, "unit", unit.label)
    return out
