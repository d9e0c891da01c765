"""``forecast validate``: check scenario files (schema, money strings, data files, anchors,
segments) without fitting anything."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .options import allow_path_option, json_option


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``validate`` to ``sub``."""
    val = sub.add_parser(
        "validate",
        parents=parents,
        help="check scenario files without running",
        description="Check scenario files (schema, money strings, data files, "
        "anchors, segments) without fitting anything.",
    )
    val.add_argument("scenarios", nargs="+", metavar="SCENARIO")
    json_option(val)
    allow_path_option(val)
    val.set_defaults(handler=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    """One line per scenario (its model, history, anchors, segments, horizon and unit), then
    its conversions and warnings."""
    from ..models import GrowthModel
    from ..readpolicy import allowed
    from ..scenario import load_scenario
    from ..units import USD_BILLION

    out: list[dict[str, Any]] = []
    allow = allowed(args.allow_path)
    for p in args.scenarios:
        sc = load_scenario(p, allow=allow)
        out.append(
            {
                "file": str(p),
                "scenario": sc.name,
                "ok": True,
                "history_points": 0 if sc.history is None else len(sc.history),
                "anchors": len(sc.anchors),
                "segments": len(sc.segments),
                "family": sc.model.family if isinstance(sc.model, GrowthModel) else sc.model.name,
                "horizon": sc.horizon,
                "unit": sc.unit.label,
                "conversions": list(sc.conversions),
                "warnings": list(sc.warnings),
            }
        )
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for o in out:
            unit = f", in {o['unit']}" if o["unit"] != USD_BILLION.label else ""
            print(
                f"ok  {o['file']}  ({o['scenario']}: {o['family']}, {o['history_points']} "
                f"history points, {o['anchors']} anchor(s), {o['segments']} segment(s), "
                f"horizon {o['horizon']}{unit})"
            )
            for note in o["conversions"]:
                print(f"  converted   {note}")
            for w in o["warnings"]:
                print(f"  warning     {w}")
    return 0
