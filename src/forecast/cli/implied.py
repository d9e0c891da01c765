"""``forecast implied``: give two of a start value, an end value and a CAGR, get the third."""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any

from ..errors import ForecastError
from ..money import format_money, parse_rate, parse_year_value
from .options import json_option


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """Add ``implied`` to ``sub``."""
    imp = sub.add_parser(
        "implied",
        parents=parents,
        help="implied CAGR between two values, or solve for a value",
        description="Give two of --from, --to, --cagr and get the third. Examples: "
        "--from 2024:279.22B --to 2030:1.57T (prints the CAGR); "
        "--from 2024:279.22B --cagr 35.9%% --to 2030 (prints the 2030 value); "
        "--to 2030:1.57T --cagr 30%% --from 2024 (prints the 2024 value).",
    )
    imp.add_argument("--from", dest="start", required=True, metavar="YEAR[:VALUE]")
    imp.add_argument("--to", dest="end", required=True, metavar="YEAR[:VALUE]")
    imp.add_argument(
        "--cagr",
        metavar="RATE",
        help="compound annual growth rate, e.g. 35.9%%; write a negative one as --cagr=-5%%",
    )
    json_option(imp)
    imp.set_defaults(handler=implied_command)


def _year_or_point(text: str, flag: str) -> tuple[int, float | None]:
    if ":" in text:
        return parse_year_value(text, where=flag)
    # [0-9], not \d: int() would also read "２０３０"
    if not re.fullmatch(r"[0-9]{4}", text.strip()) or not 1900 <= int(text) <= 2200:
        raise ForecastError(
            f"{flag}: must be YEAR (1900-2200) or YEAR:VALUE such as 2030:1.57T; got {text!r}"
        )
    return int(text), None


def implied_command(args: argparse.Namespace) -> int:
    """Solve for the one of start value, end value and CAGR not given."""
    from ..models import cagr

    y0, v0 = _year_or_point(args.start, "--from")
    y1, v1 = _year_or_point(args.end, "--to")
    if y0 >= y1:
        raise ForecastError(
            f"--from/--to: the --from year must come before the --to year; got {y0} and {y1}"
        )
    rate = parse_rate(args.cagr, where="--cagr") if args.cagr is not None else None
    given = sum(x is not None for x in (v0, v1, rate))
    if given != 2:
        raise ForecastError(
            "implied: give exactly two of a --from value, a --to value and --cagr (e.g. --from "
            f"2024:279.22B --to 2030:1.57T); got {given}"
        )
    span = y1 - y0
    if rate is None:
        assert v0 is not None and v1 is not None
        rate = cagr(v0, v1, span)
        solved = "cagr"
    else:
        try:
            growth = (1 + rate) ** span
        except OverflowError:
            growth = math.inf
        if not 0 < growth < 1e12:
            raise ForecastError(
                f"--cagr: {100 * rate:g}% over {span} years multiplies the value by more than "
                f"a trillion; got {args.cagr!r}"
            )
        if v1 is None:
            assert v0 is not None
            v1 = v0 * growth
            solved = "to"
        else:
            v0 = v1 / growth
            solved = "from"
    assert v0 is not None and v1 is not None
    result = {
        "from_year": y0,
        "from_usd_bn": v0,
        "to_year": y1,
        "to_usd_bn": v1,
        "cagr": rate,
        "multiple": v1 / v0,
        "solved": solved,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"{y0} {format_money(v0, digits=4)} -> {y1} {format_money(v1, digits=4)}: "
            f"CAGR {100 * rate:.2f}% over {span} years (x{v1 / v0:.2f})"
        )
    return 0
