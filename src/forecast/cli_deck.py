"""The ``deck`` command: the board pack as slides, ``OUT/<name>/deck.pptx``.

Handlers only: the error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ._textfmt import output_line
from .cli_report import check_title, command_line
from .errors import ForecastError
from .output import publish
from .projection import run_scenario
from .readpolicy import allowed
from .scenario import load_scenario


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``deck`` sub-command to ``sub``."""
    deck = sub.add_parser(
        "deck",
        parents=[common],
        help="the board pack as slides (deck.pptx)",
        description="Run the scenarios and write OUT/<name>/deck.pptx: title, headline with the "
        "key years, each fan chart, the comparison, published estimates, sensitivity, "
        "assumptions with sources, provenance (charts as slide-size pictures, their numbers in "
        "the slide notes).",
    )
    deck.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    deck.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    deck.add_argument("--name", help="folder name (default: the first scenario's name, or "
                      "deck-<first>-and-<n>-more for several)")  # fmt: skip
    deck.add_argument("--title", help="the deck's title (default: the scenario's title)")
    deck.add_argument("--force", action="store_true", help="replace earlier results")
    deck.add_argument("--json", action="store_true", help="print the output record as JSON")
    deck.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="also read files the scenarios name (extends, history, estimates) from DIR",
    )


def cmd_deck(args: argparse.Namespace) -> int:
    from .evidence import gather_evidence
    from .report.deck import deck_bytes

    title = check_title(args.title, "deck")
    allow = allowed(args.allow_path)
    scenarios = [load_scenario(p, allow=allow) for p in args.scenarios]
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ForecastError(
            f"deck: scenario names must be unique within one deck; got {dupes[0]!r} twice"
        )
    name = args.name or (
        names[0] if len(names) == 1 else f"deck-{names[0]}-and-{len(names) - 1}-more"
    )
    if not name or "/" in name or name.startswith("."):
        raise ForecastError(
            f"deck: --name must be a plain folder name (no '/', not starting with '.'); got "
            f"{name!r}"
        )
    results = [run_scenario(s) for s in scenarios]
    evidences = [gather_evidence(r) for r in results]
    data = deck_bytes(
        results, evidences, command=command_line("deck", list(args.scenarios)), title=title
    )
    target = Path(args.out) / name
    files = {"deck.pptx": data}
    outcome = publish(target, files, force=args.force)
    if args.json:
        print(json.dumps({"folder": str(target), "files": sorted(files), "outcome": outcome}))
    else:
        print(f"deck of {len(results)} scenario{'s' if len(results) != 1 else ''}: "
              f"{', '.join(names)}")  # fmt: skip
        print(output_line(outcome, target, sorted(files)))
    return 0
