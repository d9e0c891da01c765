"""Small core value types shared by scenarios, models and projections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AnchorKind = Literal["hard", "soft"]
ErrorMode = Literal["multiplicative", "additive"]


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
