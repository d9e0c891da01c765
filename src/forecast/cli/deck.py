"""The ``deck`` command: the board pack as slides, ``OUT/<name>/deck.pptx``.

The error boundary is :func:`forecast.cli.main`'s.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .._textfmt import output_line
from .options import output_options
from .report import scenarios_and_folder


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``deck`` to ``sub``."""
    deck = sub.add_parser(
        "deck",
        parents=parents,
        help="the board pack as slides (deck.pptx)",
        description="Run the scenarios and write OUT/<name>/deck.pptx: title, headline with the "
        "key years, each fan chart, the comparison, published estimates, sensitivity, "
        "assumptions with sources, provenance (charts as slide-size pictures, their numbers in "
        "the slide notes).",
    )
    deck.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    deck.add_argument("--name", help="folder name (default: the first scenario's name, or "
                      "deck-<first>-and-<n>-more for several)")  # fmt: skip
    deck.add_argument("--title", help="the deck's title (default: the scenario's title)")
    output_options(deck, force="replace earlier results", json="print the output record as JSON")
    deck.set_defaults(handler=cmd_deck)


def cmd_deck(args: argparse.Namespace) -> int:
    from ..audit.evidence import gather_evidence
    from ..output import publish
    from ..projection import run_scenario
    from ..report.deck import deck_bytes
    from ..results import command_line
    from ..scenario.schema import check_title

    title = check_title(args.title, "deck: --title")
    scenarios, name = scenarios_and_folder(
        args,
        "deck",
        lambda names: names[0] if len(names) == 1 else f"deck-{names[0]}-and-{len(names) - 1}-more",
    )
    names = [sc.name for sc in scenarios]
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
