"""Number formatting for people, shared by the command-line modules."""

from __future__ import annotations

import math

from . import units
from .money import format_money


def pct(x: float | None, digits: int = 1) -> str:
    """A rate as a percentage, or n/a."""
    if x is None or not math.isfinite(x):
        return "n/a"
    text = f"{100 * x:.{digits}f}%"
    return text[1:] if text.startswith("-") and float(text[:-1]) == 0 else text  # no "-0.0%"


def money(x: float | None) -> str:
    """An amount in the unit shown (:func:`forecast.units.current`: USD billion unless a
    command, report or chart shows a scenario in its own unit) as $279B / €412M, or n/a."""
    return "n/a" if x is None or not math.isfinite(x) else format_money(x, unit=units.current())


def g(v: float | None) -> str:
    """Six significant digits, or n/a."""
    return "n/a" if v is None else f"{v:.6g}"


_OUTCOME = {
    "written": "wrote",
    "unchanged": "unchanged (same results already there)",
    "replaced": "replaced",
}


def output_line(outcome: str, folder: object, files: list[str]) -> str:
    """The summary line saying what happened to an output folder (files in sub-folders counted
    per folder: ``charts/ (6 files)``)."""
    top = [f for f in files if "/" not in f]
    subs: dict[str, int] = {}
    for f in files:
        if "/" in f:
            d = f.split("/", 1)[0]
            subs[d] = subs.get(d, 0) + 1
    names = top + [f"{d}/ ({n} file{'s' if n != 1 else ''})" for d, n in sorted(subs.items())]
    return f"  output      {_OUTCOME[outcome]}: {folder}/ ({', '.join(names)})"
