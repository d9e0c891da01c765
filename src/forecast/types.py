"""Small core value types shared by scenarios, models and projections."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import ForecastError

AnchorKind = Literal["hard", "soft"]
ErrorMode = Literal["multiplicative", "additive"]
#: Where projected paths start: the last actual value, or the fitted curve.
Start = Literal["actual", "fitted"]


@dataclass(frozen=True)
class Anchor:
    """A cited point the projection is calibrated to.

    Parameters
    ----------
    year : int
        Year the value refers to.
    value : float
        The value, in the series' unit (USD billion for scenarios).
    kind : {"hard", "soft"}
        ``"hard"``: the calibrated curve passes through the point. ``"soft"``: the point counts
        as an observation with relative standard error ``tolerance``.
    tolerance : float or None
        Relative one-sigma uncertainty of a soft anchor (0.1 for 10%). ``None`` for hard anchors.
    source : str
        Who stands behind the number (publisher, title, URL, or "unsourced: ...").
    label : str
        Short label for tables and charts.
    """

    year: int
    value: float
    kind: AnchorKind = "hard"
    tolerance: float | None = None
    source: str = ""
    label: str = ""


def check_levels(levels: Sequence[float], where: str = "levels") -> tuple[float, ...]:
    """Validate interval levels (percent, strictly between 0 and 100) and sort them.

    Two levels that would name the same columns (``80`` and ``80.0000001`` both give ``lo-80``)
    are refused, as is an empty list.
    """
    out: dict[str, float] = {}
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, numbers.Real) or not 0 < level < 100:
            raise ForecastError(f"{where}: every level must be between 0 and 100; got {level!r}")
        name = f"{float(level):g}"
        if name in out and out[name] != float(level):
            raise ForecastError(
                f"{where}: levels must differ in their first six significant digits (they name "
                f"the lo-/hi- columns); got {out[name]!r} and {level!r}"
            )
        out[name] = float(level)
    if not out:
        raise ForecastError(f"{where}: needs at least one level such as 80 or 95; got none")
    return tuple(sorted(out.values()))


def interval_columns(levels: Sequence[float]) -> list[tuple[str, float]]:
    """``[("lo-80", 0.10), ("hi-80", 0.90), ...]`` for the validated, sorted levels."""
    cols: list[tuple[str, float]] = []
    for level in check_levels(levels):
        alpha = (100 - level) / 200
        cols += [(f"lo-{level:g}", alpha), (f"hi-{level:g}", 1 - alpha)]
    return cols


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a number that is not finite becomes null."""
    return None if value is None or not math.isfinite(value) else float(value)
