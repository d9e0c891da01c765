"""From a scenario's ``[assumptions]``, ``[correlation]`` and ``[simulation]`` tables to typed
objects: which names are allowed for the scenario's model, their units, empirical sets drawn
from published estimates, and the rank-correlation matrix.

Allowed names (the model decides which apply):

``base``
    The market size in the last history year (exponential, logistic, Gompertz).
``saturation``
    The saturation level K (logistic, Gompertz) or market potential M (Bass).
``anchor_<year>``
    The value of the scenario's anchor in that year (e.g. ``anchor_2030``).
``share_<segment>``
    A segment's share (shares are renormalised in every draw).
any parameter of the family
    ``cagr`` (exponential), ``p``/``q``/``launch`` (Bass), ``slope`` (linear), ...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..data import Estimate
from ..errors import ScenarioError
from ..models.curves import Family
from .dependence import validate_correlation
from .distributions import Distribution, Unit, parse_distribution
from .propagate import CLOSED_FORM_FAMILIES, SATURATION_INDEX, Assumptions

_ANCHOR = re.compile(r"^anchor_(\d{4})$")
_SHARE = re.compile(r"^share_(.+)$")


def unit_of(name: str, family: Family) -> Unit:
    """The unit an assumption's values are written in."""
    if name in ("base", "saturation") or _ANCHOR.match(name):
        return "money"
    if _SHARE.match(name):
        return "share"
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
    anchor_years: Sequence[int],
    segment_names: Sequence[str],
    has_history: bool,
    where: str,
) -> None:
    """Refuse an assumption name the model cannot use, with the reason."""
    fam = family.name
    m, s = _ANCHOR.match(name), _SHARE.match(name)
    if name == "base":
        if fam not in CLOSED_FORM_FAMILIES:
            raise ScenarioError(
                f"{where}: a base value can be drawn for "
                f"{', '.join(CLOSED_FORM_FAMILIES)} curves; got family {fam!r}"
            )
        if not has_history:
            raise ScenarioError(f"{where}: needs a history to take the base year from; got none")
    elif name == "saturation":
        if fam not in SATURATION_INDEX:
            raise ScenarioError(
                f"{where}: only saturating families (logistic, gompertz, bass, bass_sales) have "
                f"a saturation level; got family {fam!r}"
            )
    elif m:
        if int(m.group(1)) not in anchor_years:
            years = ", ".join(str(y) for y in sorted(anchor_years)) or "none"
            raise ScenarioError(
                f"{where}: must name the year of one of the scenario's anchors ({years}); got "
                f"{m.group(1)}"
            )
    elif s:
        if s.group(1) not in segment_names:
            raise ScenarioError(
                f"{where}: must name a segment ({', '.join(segment_names) or 'none'}); got "
                f"{s.group(1)!r}"
            )
    elif name in family.params:
        if name == family.params[0] or name == family.params[SATURATION_INDEX.get(fam, 0)]:
            raise ScenarioError(
                f"{where}: draw the level through 'base', 'saturation' or an anchor; got {name!r}"
            )
        if fam in CLOSED_FORM_FAMILIES and name != "cagr" and anchor_years:
            raise ScenarioError(
                f"{where}: with an anchor, {fam} parameters follow from base, saturation and "
                f"anchor values (draw those instead); got {name!r}"
            )
    else:
        allowed = ["base", "saturation", "anchor_<year>", "share_<segment>", *family.params]
        raise ScenarioError(
            f"{where}: unknown assumption (allowed: {', '.join(allowed)}); got {name!r}"
        )


def _empirical_from_estimates(
    spec: Mapping[str, Any], estimates: Mapping[str, Estimate], where: str
) -> dict[str, Any]:
    """``dist = "empirical"`` with ``estimates = {definition = ..., year = ...}``: the values of
    every published estimate matching the filter become the empirical set."""
    filt = spec["estimates"]
    if not isinstance(filt, Mapping) or not filt:
        raise ScenarioError(
            f"{where}.estimates: must be a table of column = value filters such as "
            f"{{definition = 'research_firm_market_size', year = 2030}}; got {filt!r}"
        )
    if not estimates:
        raise ScenarioError(
            f"{where}.estimates: needs the scenario's top-level 'estimates' file; got none"
        )
    allowed = {"definition", "year", "publisher", "kind", "confidence"}
    for key in filt:
        if key not in allowed:
            raise ScenarioError(
                f"{where}.estimates.{key}: must be one of {', '.join(sorted(allowed))}; got {key!r}"
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
    rest["values"] = [f"{e.value!r} billion USD" for e in chosen]
    rest.setdefault("source", "published estimates: " + ", ".join(e.id for e in chosen))
    return rest


def parse_assumptions(
    raw: Mapping[str, Any],
    correlation: Mapping[str, Any] | None,
    *,
    family: Family,
    anchor_years: Sequence[int],
    segment_names: Sequence[str],
    has_history: bool,
    estimates: Mapping[str, Estimate],
    at: Callable[..., str],
) -> Assumptions | None:
    """Parse and check a scenario's assumptions; ``None`` when it declares none."""
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
        check_name(name, family, anchor_years, segment_names, has_history, where)
        if isinstance(spec, Mapping) and spec.get("dist") == "empirical" and "estimates" in spec:
            spec = _empirical_from_estimates(spec, estimates, where)
        dists.append(parse_distribution(spec, where=where, unit=unit_of(name, family)))
        names.append(name)
    matrix = None
    if correlation:
        where = f"{at('correlation')}: correlation"
        inputs = correlation.get("inputs")
        values = correlation.get("matrix")
        extra = set(correlation) - {"inputs", "matrix"}
        if extra:
            raise ScenarioError(
                f"{where}: unknown key (allowed: inputs, matrix); got {sorted(extra)[0]!r}"
            )
        if not isinstance(inputs, list) or not all(isinstance(i, str) for i in inputs):
            raise ScenarioError(
                f"{where}.inputs: must be a list of assumption names; got {inputs!r}"
            )
        for name in inputs:
            if name not in names:
                raise ScenarioError(
                    f"{where}.inputs: must name assumptions ({', '.join(names)}); got {name!r}"
                )
        if len(set(inputs)) != len(inputs):
            raise ScenarioError(f"{where}.inputs: names must not repeat; got {inputs!r}")
        if not isinstance(values, list):
            raise ScenarioError(f"{where}.matrix: must be a list of rows; got {values!r}")
        sub = validate_correlation(values, inputs, where=f"{where}.matrix")
        matrix = np.eye(len(names))
        idx = [names.index(n) for n in inputs]
        matrix[np.ix_(idx, idx)] = sub
    return Assumptions(tuple(names), tuple(dists), matrix)
