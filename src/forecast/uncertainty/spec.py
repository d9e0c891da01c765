"""From a scenario's ``[assumptions]``, ``[correlation]`` and ``[simulation]`` tables to typed
objects: which names are allowed for the scenario's model, their units, empirical sets drawn
from published estimates, and the rank-correlation matrix.

Allowed names (the model decides which apply):

``base``
    The market size in the last history year, where paths start (exponential, logistic,
    Gompertz): uncertainty about the last reported value.
``saturation``
    The saturation level K (logistic, Gompertz) or market potential M (Bass).
``anchor_<year>``
    The value of the scenario's anchor in that year (e.g. ``anchor_2030``).
``cagr_<A>_<B>``
    A growth rate from the base year A (the last history year) to year B, as analysts state
    them (``{ dist = "normal", mean = "30%", sd = "5%" }``): the point ``base * (1 + rate)^(B -
    A)`` the drawn curves pass through (exponential, logistic, Gompertz; B must be the curve
    anchor's year when the scenario has an anchor).
``share_<segment>``
    A segment's share (shares are renormalised in every draw).
any parameter of the family
    ``cagr`` (exponential), ``p``/``q``/``launch`` (Bass), ``slope`` (linear), ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..data import Estimate
from ..errors import ScenarioError, message, near_miss
from ..models.curves import Family
from ..types import Anchor
from ..units import USD_BILLION
from ..units import Unit as MoneyUnit
from .dependence import validate_correlation
from .distributions import Distribution, Unit, parse_distribution
from .propagate import (
    ANCHOR_NAME,
    CAGR_NAME,
    CLOSED_FORM_FAMILIES,
    SHARE_NAME,
    Assumptions,
    FloatArray,
    curve_anchor,
)


def unit_of(name: str, family: Family) -> Unit:
    """The unit an assumption's values are written in."""
    if name in ("base", "saturation") or ANCHOR_NAME.match(name):
        return "money"
    if CAGR_NAME.match(name):
        return "rate"
    if SHARE_NAME.match(name) or name == "p":
        return "share"  # shares, and Bass's innovation coefficient, live in [0, 1]
    if name in family.params:
        unit = family.units[family.params.index(name)]
        if unit == "money":
            return "money"
        if name == "cagr":
            return "rate"
    return "number"


def check_name(
    name: str,
    family: Family,
    anchors: Sequence[Anchor],
    segment_names: Sequence[str],
    has_history: bool,
    where: str,
    base_year: int | None = None,
) -> None:
    """Refuse an assumption name the model cannot use, with the reason."""
    m, s = ANCHOR_NAME.match(name), SHARE_NAME.match(name)
    c = CAGR_NAME.match(name)
    used = curve_anchor(anchors)
    if c:
        _check_span(name, int(c.group(1)), int(c.group(2)), family, used, base_year, where)
    elif name == "base":
        _check_base(family, has_history, where)
    elif name == "saturation":
        _check_saturation(name, family, anchors, where)
    elif m:
        _check_anchor_year(int(m.group(1)), used, where)
    elif s:
        if s.group(1) not in segment_names:
            raise ScenarioError(
                message(
                    where,
                    f"must name a segment ({', '.join(segment_names) or 'none'})",
                    s.group(1),
                )
            )
    elif name in family.params:
        if name == family.params[0] or name == family.saturation_param:
            raise ScenarioError(
                message(where, "draw the level through 'base', 'saturation' or an anchor", name)
            )
    else:
        allowed = [
            "base",
            "saturation",
            "anchor_<year>",
            "cagr_<base year>_<year>",
            "share_<segment>",
            *family.params,
        ]
        raise ScenarioError(
            message(where, f"unknown assumption (allowed: {', '.join(allowed)})", name)
        )


def _check_span(
    name: str,
    first: int,
    last: int,
    family: Family,
    used: Anchor | None,
    base_year: int | None,
    where: str,
) -> None:
    """A ``cagr_<A>_<B>`` growth rate: a closed-form family, from the base year to a later one,
    ending in the curve anchor's year when there is one."""
    fam = family.name
    if fam not in CLOSED_FORM_FAMILIES:
        raise ScenarioError(
            f"{where}: a growth rate over a span can be drawn for "
            f"{', '.join(CLOSED_FORM_FAMILIES)} curves; got family {fam!r}"
        )
    if base_year is None:
        raise ScenarioError(f"{where}: needs a history to take the base year from; got none")
    if first != base_year:
        raise ScenarioError(
            message(
                where,
                "a growth rate must run from the base year (the last history year, "
                f"{base_year}): name it cagr_{base_year}_<year>",
                name,
            )
        )
    if last <= first:
        raise ScenarioError(
            message(where, f"the span must end after the base year {base_year}", name)
        )
    if used is not None and used.year != last:
        raise ScenarioError(
            message(
                where,
                "with an anchor, the span must end in the curve anchor's year "
                f"({used.year}; draw anchor_{used.year} for other spans' values)",
                name,
            )
        )


def _check_base(family: Family, has_history: bool, where: str) -> None:
    """``base``: a closed-form family with a history to take the base year from."""
    if family.name not in CLOSED_FORM_FAMILIES:
        raise ScenarioError(
            f"{where}: a base value can be drawn for "
            f"{', '.join(CLOSED_FORM_FAMILIES)} curves; got family {family.name!r}"
        )
    if not has_history:
        raise ScenarioError(f"{where}: needs a history to take the base year from; got none")


def _check_saturation(name: str, family: Family, anchors: Sequence[Anchor], where: str) -> None:
    """``saturation``: a saturating family whose level no hard anchor sets (outside the
    closed-form families, a hard anchor would discard the drawn value)."""
    fam = family.name
    if family.saturation_param is None:
        raise ScenarioError(
            f"{where}: only saturating families (logistic, gompertz, bass) have a "
            f"saturation level; got family {fam!r}"
        )
    if fam not in CLOSED_FORM_FAMILIES and any(a.kind == "hard" for a in anchors):
        raise ScenarioError(
            message(
                where,
                f"the hard anchor sets {fam}'s level, so a drawn saturation would be discarded "
                "(draw the anchor's value instead, or make the anchor soft)",
                name,
            )
        )


def _check_anchor_year(year: int, used: Anchor | None, where: str) -> None:
    """``anchor_<year>``: the anchor the drawn curves go through."""
    if used is None or year != used.year:
        want = "none" if used is None else str(used.year)
        raise ScenarioError(
            f"{where}: must name the anchor the drawn curves go through (the first hard "
            f"anchor, else the first anchor: {want}); got {year}"
        )


def check_combination(names: Sequence[str], family: Family, has_anchor: bool, where: str) -> None:
    """Refuse sets of drawn names that over-determine the curve (one would be discarded)."""
    ends = [n for n in names if ANCHOR_NAME.match(n) or CAGR_NAME.match(n)]
    if len(ends) > 1:
        raise ScenarioError(
            f"{where}: {' and '.join(ends)} both set the point the drawn curves pass through; "
            f"draw one; got {', '.join(ends)}"
        )
    points = [
        n
        for n in names
        if n in ("base", "saturation") or ANCHOR_NAME.match(n) or CAGR_NAME.match(n)
    ]
    params = [n for n in names if n in family.params]
    if family.name in CLOSED_FORM_FAMILIES and has_anchor and points and params:
        raise ScenarioError(
            f"{where}: with an anchor, drawn {', '.join(points)} determine every {family.name} "
            f"parameter, so drawn {', '.join(params)} would be discarded; draw one kind; got "
            f"{', '.join([*points, *params])}"
        )
    if family.name in ("logistic", "gompertz") and "t_mid" in names:
        clash = [n for n in ("base", "saturation") if n in names]
        if clash:
            raise ScenarioError(
                f"{where}: a drawn t_mid is re-solved through the base point when "
                f"{' and '.join(clash)} {'is' if len(clash) == 1 else 'are'} drawn; draw one of "
                f"them; got t_mid with {', '.join(clash)}"
            )


def _empirical_from_estimates(
    spec: Mapping[str, Any],
    estimates: Mapping[str, Estimate],
    where: str,
    money_unit: MoneyUnit = USD_BILLION,
) -> dict[str, Any]:
    """``dist = "empirical"`` with ``estimates = {definition = ..., year = ...}``: the values of
    every published estimate matching the filter become the empirical set."""
    filt = spec["estimates"]
    if not isinstance(filt, Mapping) or not filt:
        raise ScenarioError(
            message(
                f"{where}.estimates",
                "must be a table of column = value filters such as {definition = "
                "'research_firm_market_size', year = 2030}",
                filt,
            )
        )
    if not estimates:
        raise ScenarioError(
            f"{where}.estimates: needs the scenario's top-level 'estimates' file; got none"
        )
    allowed = {"definition", "year", "publisher", "kind", "confidence"}
    for key in filt:
        if key not in allowed:
            raise ScenarioError(
                message(
                    f"{where}.estimates.{key}", f"must be one of {', '.join(sorted(allowed))}", key
                )
            )
    chosen = [
        e for e in estimates.values() if all(str(getattr(e, k)) == str(v) for k, v in filt.items())
    ]
    if len(chosen) < 2:
        raise ScenarioError(
            f"{where}.estimates: must match at least two published estimates; got {len(chosen)} "
            f"for {dict(filt)}"
        )
    rest = {k: v for k, v in spec.items() if k != "estimates"}
    words = f"{money_unit.scale_word} {money_unit.currency}"  # the estimates are in it
    rest["values"] = [f"{e.value!r} {words}" for e in chosen]
    rest.setdefault("source", "published estimates: " + ", ".join(e.id for e in chosen))
    return rest


def parse_assumptions(
    raw: Mapping[str, Any],
    correlation: Mapping[str, Any] | None,
    *,
    family: Family,
    anchors: Sequence[Anchor],
    segment_names: Sequence[str],
    has_history: bool,
    estimates: Mapping[str, Estimate],
    at: Callable[..., str],
    base_year: int | None = None,
    read_money: Callable[[Any, str], float] | None = None,
    money_unit: MoneyUnit = USD_BILLION,
) -> Assumptions | None:
    """Parse and check a scenario's assumptions; ``None`` when it declares none. Money is read
    by ``read_money`` (the scenario's unit; USD billion by default), and ``estimates`` are in
    ``money_unit``."""
    if not raw:
        if correlation:
            raise ScenarioError(
                f"{at('correlation')}: correlation: needs [assumptions] to correlate; got none"
            )
        return None
    names: list[str] = []
    dists: list[Distribution] = []
    for name, spec in raw.items():
        where = f"{at('assumptions', name)}: assumptions.{name}"
        check_name(name, family, anchors, segment_names, has_history, where, base_year)
        if isinstance(spec, Mapping) and spec.get("dist") == "empirical" and "estimates" in spec:
            spec = _empirical_from_estimates(spec, estimates, where, money_unit)
        dists.append(
            parse_distribution(spec, where=where, unit=unit_of(name, family), read_money=read_money)
        )
        names.append(name)
    check_combination(
        names,
        family,
        bool(anchors) or any(CAGR_NAME.match(n) for n in names),
        f"{at('assumptions')}: assumptions",
    )
    _check_share_room(names, dists, f"{at('assumptions')}: assumptions")
    matrix = None
    if correlation:
        matrix = _correlation_matrix(correlation, names, f"{at('correlation')}: correlation")
    return Assumptions(tuple(names), tuple(dists), matrix)


def _check_share_room(names: Sequence[str], dists: Sequence[Distribution], where: str) -> None:
    """Drawn segment shares must leave room for the others: their minimums sum to at most 1."""
    shares = [n for n in names if SHARE_NAME.match(n)]
    if shares:
        low = sum(float(d.support[0]) for n, d in zip(names, dists, strict=True) if n in shares)
        if low > 1:
            raise ScenarioError(
                f"{where}: drawn segment shares must leave room for the "
                f"others (their minimums sum above 1); got {low:.3g}"
            )


def _correlation_matrix(
    correlation: Mapping[str, Any], names: Sequence[str], where: str
) -> FloatArray:
    """The ``[correlation]`` table as a matrix over every assumption (identity outside the
    inputs it names), each key, name and entry checked."""
    inputs = correlation.get("inputs")
    values = correlation.get("matrix")
    extra = set(correlation) - {"inputs", "matrix"}
    if extra:
        raise ScenarioError(
            message(where, "unknown key (allowed: inputs, matrix)", sorted(extra)[0])
        )
    if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
        raise ScenarioError(
            message(f"{where}.inputs", "must be a list of assumption names", inputs)
        )
    for name in inputs:
        if name not in names:
            raise ScenarioError(
                message(
                    f"{where}.inputs",
                    f"must name assumptions ({', '.join(names)})",
                    name,
                    near_miss(name, names),
                )
            )
    if len(set(inputs)) != len(inputs):
        raise ScenarioError(message(f"{where}.inputs", "names must not repeat", inputs))
    if not isinstance(values, list):
        raise ScenarioError(message(f"{where}.matrix", "must be a list of rows", values))
    sub = validate_correlation(values, inputs, where=f"{where}.matrix")
    matrix = np.eye(len(names))
    idx = [names.index(n) for n in inputs]
    matrix[np.ix_(idx, idx)] = sub
    return matrix
