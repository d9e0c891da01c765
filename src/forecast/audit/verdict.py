"""Checking a claimed figure against the published record and history-fitted models.

The computations only; :mod:`forecast.audit.result` turns them into a verdict, a table and a
report section, and :mod:`forecast.cli.claims` into the ``audit`` command. The markets, their
definitions and the estimates file live in :mod:`forecast.audit.record` (re-exported here).

* :func:`published_position`: where a value sits among published forecasts of one definition
  and year (rank, percentile, nearest rows, spread across a publisher's editions) and which
  definitions present for that year it must not be compared with.
* :func:`implied_cagrs`: the growth rate the value implies from each recent published base of the
  same definition, beside the rate that publisher states.
* :func:`history_probability`: the probability that models fitted to a history alone give to
  reaching the value by its year.
* :func:`near_matches`: published figures the value could be a slip of (decimal point, unit,
  rounding, digit), each labelled a hypothesis.

Percentile convention: the share of published values strictly below the claim plus half the
share equal to it (mid-rank for ties), in percent. Rank 1 is the highest published value; a claim
ties with a value it equals and ranks after every value above it.

Longer than 500 lines because the three checks of a claim (its place among the published
figures, the growth rates it implies, its probability under history-fitted models) share the
market's selection and the near-miss hypotheses.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from ..errors import ForecastError, message, near_miss
from ..families import COMPARED
from ..models import GrowthFit, GrowthModel, cagr
from .record import (
    DEFINITION_LABELS,
    MARKETS,
    Market,
    default_data_dir,
    default_history_file,
    load_estimates_frame,
    resolve_market,
)

__all__ = [
    "DEFINITION_LABELS",
    "MARKETS",
    "Market",
    "default_data_dir",
    "default_history_file",
    "history_probability",
    "implied_cagrs",
    "load_estimates_frame",
    "published_position",
    "resolve_market",
]


def _select(
    estimates: pd.DataFrame, definition: str, filters: Mapping[str, str] | None
) -> pd.DataFrame:
    if definition not in set(estimates["definition"]):
        known = sorted(set(estimates["definition"]))
        raise ForecastError(
            f"definition: must be a key of the estimates file ({', '.join(known)}); got "
            f"{definition!r}{near_miss(definition, known)}"
        )
    mask = estimates["definition"] == definition
    for col, want in (filters or {}).items():
        if col in estimates:
            mask &= estimates[col].astype(str).str.strip() == want
    return estimates[mask]


def _f(x: Any) -> float | None:
    return None if x is None or not np.isfinite(float(x)) else float(x)


def _row_ref(row: Mapping[str, Any], claim: float) -> dict[str, Any]:
    value = float(row["value_usd_bn"])
    return {
        "id": str(row["id"]),
        "publisher": str(row["publisher"]),
        "vintage": str(row.get("vintage", "")),
        "value_usd_bn": value,
        "pct_diff": 100.0 * (value / claim - 1.0),
        "attributed": bool(row.get("attributed", True)),
    }


# ------------------------------------------------------------------------------------------------
# published position
# ------------------------------------------------------------------------------------------------


def published_position(
    value_usd_bn: float,
    year: int,
    definition: str,
    estimates: pd.DataFrame | None = None,
    *,
    filters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Where a value sits among published estimates of one definition and year.

    Parameters
    ----------
    value_usd_bn : float
        The claimed value, USD billion.
    year : int
        The year it refers to.
    definition : str
        A definition key of the estimates file (e.g. ``"research_firm_market_size"``).
    estimates : DataFrame, optional
        As :func:`load_estimates_frame` returns (the default file when omitted).
    filters : mapping, optional
        Column -> value filters (``{"region": "Global", "segment": "Total AI"}``).

    Returns
    -------
    dict
        ``n``; ``rank`` (1 = highest; ``n + 1`` below every value); ``percentile`` (share of
        published values below, ties counted half, in percent); ``min``, ``median``, ``max``;
        ``inside_range``; ``nearest``: the three rows closest in ratio, each with ``id``,
        ``publisher``, ``vintage``, ``value_usd_bn``, ``pct_diff`` (row / claim - 1, percent),
        ``attributed``; ``editions``: per publisher, its vintages and values for the year and
        the spread (max / min - 1, percent); ``excluded_definitions``: other definitions with
        values for the year, with counts and the value range, never to be compared.
        With ``n == 0`` the statistics are None.
    """
    if not (math.isfinite(value_usd_bn) and value_usd_bn > 0):
        raise ForecastError(message("value_usd_bn", "must be a positive number", value_usd_bn))
    est = load_estimates_frame() if estimates is None else estimates
    same = _select(est, definition, filters)
    rows = same[same["year"] == int(year)]
    out: dict[str, Any] = {
        "value_usd_bn": float(value_usd_bn),
        "year": int(year),
        "definition": definition,
        "filters": dict(filters or {}),
        **_rank_stats(rows, value_usd_bn),
    }
    values = rows["value_usd_bn"].to_numpy(dtype=float)
    order = np.argsort(np.abs(np.log(values / value_usd_bn)), kind="stable")
    out["nearest"] = [_row_ref(rows.iloc[int(i)], value_usd_bn) for i in order[:3]]
    out["editions"] = _publisher_editions(rows)
    out["excluded_definitions"] = _excluded_definitions(est, int(year), definition)
    return out


def _rank_stats(rows: pd.DataFrame, value_usd_bn: float) -> dict[str, Any]:
    """How many published values there are, the claim's rank and percentile among them (ties
    counted half) and their range; None (False for inside_range) when there are none."""
    values = rows["value_usd_bn"].to_numpy(dtype=float)
    n = len(values)
    tol = 1e-9 * value_usd_bn
    below = int(np.sum(values < value_usd_bn - tol))
    equal = int(np.sum(np.abs(values - value_usd_bn) <= tol))
    above = n - below - equal
    return {
        "n": n,
        "n_attributed": int(rows["attributed"].sum()) if "attributed" in rows else n,
        "rank": above + 1 if n else None,
        "percentile": 100.0 * (below + 0.5 * equal) / n if n else None,
        "min": float(values.min()) if n else None,
        "median": float(np.median(values)) if n else None,
        "max": float(values.max()) if n else None,
        "inside_range": bool(values.min() <= value_usd_bn <= values.max()) if n else False,
    }


def _publisher_editions(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Per publisher, each edition's value for the year and the spread between editions."""
    editions = []
    for publisher, grp in rows.groupby("publisher", sort=True):
        vals = grp["value_usd_bn"].to_numpy(dtype=float)
        editions.append(
            {
                "publisher": str(publisher),
                "editions": [
                    {
                        "vintage": str(r.get("vintage", "")),
                        "id": str(r["id"]),
                        "value_usd_bn": float(r["value_usd_bn"]),
                    }
                    for _, r in grp.iterrows()
                ],
                "min": float(vals.min()),
                "max": float(vals.max()),
                "spread_pct": 100.0 * (vals.max() / vals.min() - 1.0),
            }
        )
    return editions


def _excluded_definitions(est: pd.DataFrame, year: int, definition: str) -> list[dict[str, Any]]:
    """Other definitions with values for the year (never compared): counts and ranges, the
    most frequent first."""
    others = est[(est["year"] == year) & (est["definition"] != definition)]
    excluded: list[dict[str, Any]] = [
        {
            "definition": str(d),
            "label": DEFINITION_LABELS.get(str(d), str(d)),
            "count": len(grp),
            "min": float(grp["value_usd_bn"].min()),
            "max": float(grp["value_usd_bn"].max()),
        }
        for d, grp in others.groupby("definition", sort=True)
    ]
    excluded.sort(key=lambda r: (-int(r["count"]), str(r["definition"])))
    return excluded


# ------------------------------------------------------------------------------------------------
# implied CAGRs
# ------------------------------------------------------------------------------------------------


def implied_cagrs(
    value_usd_bn: float,
    year: int,
    definition: str,
    estimates: pd.DataFrame | None = None,
    *,
    filters: Mapping[str, str] | None = None,
    recent: int = 3,
) -> list[dict[str, Any]]:
    """The CAGR the claim implies from each recent published base of the same definition.

    A base is the latest row of each edition (vintage) that is an actual or an estimate for a
    year before ``year``; "recent" keeps bases within ``recent`` years of the latest base. Each
    row: ``id``, ``publisher``, ``vintage``, ``base_year``, ``base_usd_bn``, ``implied_cagr``
    (fraction), the publisher's ``stated_cagr`` and its period (``stated_start``,
    ``stated_end``) when given, ``own_target`` (the edition's own value for ``year``, if any)
    and ``gap`` (implied minus stated, in percentage points). Most recent bases first.
    """
    est = load_estimates_frame() if estimates is None else estimates
    same = _select(est, definition, filters)
    kind = same["kind"] if "kind" in same else pd.Series("actual", index=same.index)
    bases = same[(same["year"] < int(year)) & kind.isin(["actual", "estimate"])]
    if bases.empty:
        return []
    key = "vintage" if "vintage" in bases else "id"
    latest = bases.sort_values("year").groupby([key, "publisher"], sort=False).tail(1)
    newest = int(latest["year"].max())
    latest = latest[latest["year"] >= newest - recent]
    rows: list[dict[str, Any]] = []
    for _, b in latest.iterrows():
        edition = same[(same[key] == b[key]) & (same["publisher"] == b["publisher"])]
        target = edition[edition["year"] == int(year)]
        stated = _f(b.get("cagr_pct"))
        implied = cagr(float(b["value_usd_bn"]), value_usd_bn, int(year) - int(b["year"]))
        rows.append(
            {
                "id": str(b["id"]),
                "publisher": str(b["publisher"]),
                "vintage": str(b.get("vintage", "")),
                "attributed": bool(b.get("attributed", True)),
                "base_year": int(b["year"]),
                "base_usd_bn": float(b["value_usd_bn"]),
                "implied_cagr": implied,
                "stated_cagr": None if stated is None else stated / 100.0,
                "stated_start": None if _f(b.get("cagr_start")) is None else int(b["cagr_start"]),
                "stated_end": None if _f(b.get("cagr_end")) is None else int(b["cagr_end"]),
                "own_target": float(target["value_usd_bn"].iloc[0]) if len(target) else None,
                "gap_pp": None if stated is None else 100.0 * implied - stated,
            }
        )
    rows.sort(key=lambda r: (-int(r["base_year"]), str(r["publisher"]), str(r["vintage"])))
    return rows


# ------------------------------------------------------------------------------------------------
# probability from history-fitted models
# ------------------------------------------------------------------------------------------------

CURVE_FAMILIES: Final = COMPARED  # the registry's: forecast.families
EVIDENCE_SEED: Final = 20300157
"""The default seed of the growth curves' bootstrap: the audit and its report draw the same
paths, so a rerun gives the same probabilities."""
MAX_SATURATION_RATIO: Final = 20.0
"""A fitted saturation level above this multiple of the history's last value marks a curve
unreliable: the data do not bound it (e.g. K = $626T on a $391B history)."""
_AUTO_LEVELS: Final = tuple(float(lv) for lv in range(1, 100))  # quantiles 0.005 .. 0.995


def _prob_text(p: float | None, bound: str = "") -> str:
    if p is None:
        return "n/a"
    if bound:
        return f"{bound}{100 * p:.1f}%"
    return f"{100 * p:.1f}%"


def _curve_row(
    family: str,
    years: np.ndarray,
    values: np.ndarray,
    year: int,
    claim: float,
    seed: int,
    draws: int,
    fitted: GrowthFit | None = None,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "model": family,
        "kind": "growth curve",
        "method": f"{family} curve fitted to the history alone (multiplicative errors, no "
        f"anchors); parametric bootstrap, {draws} draws of parameters and residual noise",
        "probability": None,
        "probability_text": "n/a",
        "median": None,
        "lo-80": None,
        "hi-80": None,
        "point": None,
        "note": "",
        "reliable": False,
        "unreliable_reason": "no probability",
    }
    try:
        fit = fitted if fitted is not None else GrowthModel(family=family).fit(years, values)
    except ForecastError as exc:
        return {**base, "note": f"not fitted: {exc}"}
    if fit.unidentified:
        return {
            **base,
            "note": "skipped: the history does not identify "
            f"{', '.join(fit.unidentified)} (the fit's standard errors are unbounded)",
        }
    point = float(fit.predict([year])[0])
    if not fit.intervals_available:
        return {
            **base,
            "point": point,
            "note": f"no probability: the fit leaves {fit.dof} degrees of freedom, so the noise "
            "scale cannot be estimated",
        }
    paths = fit.simulate([year], draws=draws, seed=np.random.default_rng(seed))[:, 0]
    prob = float(np.mean(paths >= claim))
    lo, med, hi = (float(x) for x in np.quantile(paths, [0.1, 0.5, 0.9]))
    notes = [f"{fit.dof} degree(s) of freedom: indicative"]
    if fit.saturation is not None:
        notes.append(f"saturation {fit.saturation:,.0f} bn")
    if fit.at_bounds:
        notes.append(f"at bound: {', '.join(fit.at_bounds)}")
    reasons = []
    if fit.dof < 2:
        reasons.append(f"{fit.dof} degree(s) of freedom, fewer than 2")
    if fit.saturation is not None and fit.saturation > MAX_SATURATION_RATIO * float(values[-1]):
        reasons.append(
            f"saturation {fit.saturation / float(values[-1]):,.0f}x the last value, over "
            f"{MAX_SATURATION_RATIO:g}x"
        )
    if reasons:
        notes.insert(0, "UNRELIABLE: " + "; ".join(reasons))
    text = _prob_text(prob)
    if prob == 0.0:
        text = f"<{100 / draws:.2g}%"
    elif prob == 1.0:
        text = f">{100 - 100 / draws:.4g}%"
    return {
        **base,
        "probability": prob,
        "probability_text": text,
        "median": med,
        "lo-80": lo,
        "hi-80": hi,
        "point": point,
        "note": "; ".join(notes),
        "reliable": not reasons,
        "unreliable_reason": "; ".join(reasons),
    }


def _auto_row(years: np.ndarray, values: np.ndarray, year: int, claim: float) -> dict[str, Any]:
    from ..stats import forecast_batch

    last = int(years[-1])
    frame = pd.DataFrame({"unique_id": "history", "ds": years.astype(int), "y": values})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        batch = forecast_batch(frame, h=int(year) - last, level=_AUTO_LEVELS, model="auto")
    info = batch.info.iloc[0]
    row = batch.frame[batch.frame["ds"] == int(year)].iloc[0]
    probs, qs = [], []
    for lv in _AUTO_LEVELS:
        a = (100 - lv) / 200
        probs += [a, 1 - a]
        qs += [float(row[f"lo-{lv:g}"]), float(row[f"hi-{lv:g}"])]
    order = np.argsort(probs)
    p_arr = np.asarray(probs)[order]
    q_arr = np.maximum.accumulate(np.asarray(qs)[order])
    if claim > q_arr[-1]:
        prob, text = float(1 - p_arr[-1]), f"<{100 * (1 - p_arr[-1]):g}%"
    elif claim < q_arr[0]:
        prob, text = float(1 - p_arr[0]), f">{100 * (1 - p_arr[0]):g}%"
    else:
        prob = float(1 - np.interp(claim, q_arr, p_arr))
        text = _prob_text(prob)
    median = float(np.interp(0.5, p_arr, q_arr))
    reason = str(info["reason"] or "")
    return {
        "model": str(info["used"]),
        "kind": "statistical",
        "method": "automatic method (median of log-Theta, drift, damped and log-damped trend); "
        f"predictive quantiles from its empirical intervals ({info['intervals']} error table) at "
        "levels 1-99%, P(value >= claim) read off the quantile function by linear "
        "interpolation",
        "probability": prob,
        "probability_text": text,
        "median": median,
        "lo-80": float(row["lo-80"]),
        "hi-80": float(row["hi-80"]),
        "point": float(row["mean"]),
        "note": reason,
        "reliable": True,
        "unreliable_reason": "",
    }


def history_probability(
    years: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    year: int,
    value_usd_bn: float,
    *,
    seed: int = EVIDENCE_SEED,
    draws: int = 4000,
    fits: Sequence[GrowthFit] = (),
) -> list[dict[str, Any]]:
    """The probability that models fitted to a history alone give to reaching a value by a year.

    One row per model:

    * **growth curves** (logistic, Gompertz, exponential, linear: the report's model table),
      fitted as ``forecast fit`` /
      :class:`~forecast.models.GrowthModel` would with no anchors. Paths come from the fit's
      parametric bootstrap (parameter uncertainty and residual noise, ``draws`` draws from
      ``numpy.random.default_rng(seed)``, the same for every family) and the probability is the
      share of draws at or above the value. A family whose parameters the history does not
      identify, or whose fit leaves no degree of freedom for the noise, is kept with
      ``probability`` None and the reason in ``note``. A fitted curve is kept but marked
      ``reliable: False`` when it leaves fewer than 2 degrees of freedom or its saturation
      level is more than :data:`MAX_SATURATION_RATIO` times the history's last value; the
      reason is in ``unreliable_reason`` and leads ``note``.
    * **the automatic statistical method** (:mod:`forecast.stats.auto`): its empirical predictive
      quantiles at the year for the probabilities 0.005, 0.01, ..., 0.995 (interval levels 1 to
      99), made monotone; P(value >= claim) is one minus the quantile function's inverse at the
      value, by linear interpolation. Beyond the outermost quantiles the result is a bound,
      written ``<0.5%`` or ``>99.5%`` in ``probability_text`` (``probability`` holds the bound).

    ``fits`` may hold curves already fitted to this history as above (a report's model
    comparison, :func:`forecast.models.select.compare_families`, fits the same ones); a family
    found there is not fitted again.

    Returns
    -------
    list of dict
        ``model``, ``kind``, ``probability`` (fraction or None), ``probability_text``,
        ``median`` and ``lo-80``/``hi-80`` at the year (USD bn), ``point`` (the fitted curve or
        the method's point forecast), ``method``, ``note``, ``reliable`` and
        ``unreliable_reason``.
    """
    y = np.asarray(years, dtype=float)
    v = np.asarray(values, dtype=float)
    if y.ndim != 1 or y.shape != v.shape or len(y) < 2:
        raise ForecastError(
            message("history", "must be two equal-length 1-D arrays of at least 2 points", len(y))
        )
    if int(year) <= int(y[-1]):
        raise ForecastError(
            f"year: must come after the history's last year {int(y[-1])}; got {year}"
        )
    if not (math.isfinite(value_usd_bn) and value_usd_bn > 0):
        raise ForecastError(message("value_usd_bn", "must be a positive number", value_usd_bn))
    done = {
        f.model.family: f
        for f in fits
        if f.model == GrowthModel(family=f.model.family)
        and np.array_equal(f.years, y)
        and np.array_equal(f.values, v)
    }
    rows = [
        _curve_row(f, y, v, int(year), value_usd_bn, seed, draws, done.get(f))
        for f in CURVE_FAMILIES
    ]
    rows.append(_auto_row(y, v, int(year), value_usd_bn))
    return rows


# ------------------------------------------------------------------------------------------------
# near matches: what published figure could the claim be a slip of?
# ------------------------------------------------------------------------------------------------

_SLIPS: Final = (
    (10.0, "decimal slip x10"),
    (100.0, "decimal slip x100"),
    (1000.0, "unit slip x1000 (billion vs trillion)"),
    (1e6, "unit slip x1,000,000 (million vs trillion)"),
)


def stated_tolerance(value_usd_bn: float, number: str = "", scale: str = "") -> float:
    """Half a unit of the last digit the claim states, in USD bn (``1.57`` trillion: 5 bn);
    0.5% of the value when the written number is unknown."""
    digits = number.split("-")[-1].replace(",", "")
    exp = {"trillion": 3, "billion": 0, "million": -3, "thousand": -6}.get(scale)
    if not digits or exp is None:
        return 0.005 * value_usd_bn
    decimals = len(digits.partition(".")[2])
    return 0.5 * 10.0 ** (exp - decimals)


def near_matches(
    value_usd_bn: float,
    year: int,
    estimates: pd.DataFrame | None = None,
    *,
    tolerance: float | None = None,
    near_pct: float = 3.0,
    filters: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Published figures the claim matches or could be a slip of; every row is a hypothesis.

    * ``exact``: a value within ``tolerance`` of the claim (the claim's rounding), any year or
      definition; a different year or definition is labelled a coincidence, and so is a row
      outside ``filters`` (the claim's market: another region or segment).
    * ``decimal slip x10``/``x100`` and ``unit slip x1000``/``x1,000,000``: a value of the same
      year equal to the claim times or divided by that factor (within the tolerance scaled).
    * ``near figure``: a value of the same year within ``near_pct`` percent; the note says what
      it rounds to at the claim's precision, so "1.59T is not a rounding of 1.57T" is explicit.

    Returns
    -------
    list of dict
        ``kind``, ``id``, ``publisher``, ``definition``, ``year``, ``value_usd_bn``, ``factor``,
        ``pct_diff``, ``attributed``, ``region``, ``segment``, ``in_market`` (the row passes
        ``filters``), ``label`` (always "hypothesis") and ``note``.
    """
    est = load_estimates_frame() if estimates is None else estimates
    tol = 0.005 * value_usd_bn if tolerance is None else tolerance
    out: list[dict[str, Any]] = []
    for _, r in est.iterrows():
        ref = _match_ref(r, value_usd_bn, filters)
        v = ref["value_usd_bn"]
        same_year = ref["year"] == int(year)
        what = DEFINITION_LABELS.get(ref["definition"], ref["definition"])
        if abs(v - value_usd_bn) <= tol:
            note = _exact_note(ref, what, same_year=same_year)
            out.append({**ref, "kind": "exact", "factor": 1.0, "note": note})
            continue
        if not same_year:
            continue
        out += _slips(ref, value_usd_bn, tol, what)
        if abs(v / value_usd_bn - 1.0) * 100 <= near_pct:
            note = (
                f"{_fmt_bn(v)} is {ref['pct_diff']:+.1f}% from the claim ({what}); at the "
                f"claim's precision it reads {_fmt_step(v, 2 * tol)}, not "
                f"{_fmt_bn(value_usd_bn)}: a mistyped or mis-rounded copy at most"
            )
            out.append({**ref, "kind": "near figure", "factor": 1.0, "note": note})
    order = {"exact": 0, "near figure": 2}
    out.sort(key=lambda m: (order.get(str(m["kind"]), 1), abs(float(m["pct_diff"]))))
    return out


def _match_ref(
    r: pd.Series, value_usd_bn: float, filters: Mapping[str, str] | None
) -> dict[str, Any]:
    """An estimates row as a near match's reference: what it is, how far from the claim and
    whether it is in the claim's market."""
    v = float(r["value_usd_bn"])
    region, segment = str(r.get("region", "")).strip(), str(r.get("segment", "")).strip()
    in_market = all(str(r.get(k, "")).strip() == w for k, w in (filters or {}).items())
    return {
        "id": str(r["id"]),
        "publisher": str(r["publisher"]),
        "definition": str(r["definition"]),
        "year": int(r["year"]),
        "value_usd_bn": v,
        "pct_diff": 100.0 * (v / value_usd_bn - 1.0),
        "attributed": bool(r.get("attributed", True)),
        "region": region,
        "segment": segment,
        "in_market": in_market,
        "label": "hypothesis",
    }


def _exact_note(ref: dict[str, Any], what: str, *, same_year: bool) -> str:
    """What an equal figure is: the same year in the claim's market, another market, or a
    coincidence in another year or definition."""
    if same_year and ref["in_market"]:
        return f"the same figure for the same year ({what})"
    if same_year:
        return (
            f"the same figure for the same year but for {ref['region'] or '?'} "
            f"{ref['segment'] or '?'} ({what}): another market, not a source"
        )
    return f"the same figure but for {ref['year']} and {what}: a coincidence, not a source"


def _slips(ref: dict[str, Any], value_usd_bn: float, tol: float, what: str) -> list[dict[str, Any]]:
    """The decimal and unit slips a figure of the claim's year could be: the claim times or
    divided by 10, 100, 1,000 or 1,000,000."""
    v = ref["value_usd_bn"]
    out = []
    for factor, kind in _SLIPS:
        for f in (factor, 1 / factor):
            if abs(v / f - value_usd_bn) <= tol:
                out.append(
                    {
                        **ref,
                        "kind": kind,
                        "factor": f,
                        "note": f"{_fmt_bn(v)} is the claim x{f:g}: same digits, the "
                        f"decimal point or unit moved ({what})",
                    }
                )
    return out


def _fmt_bn(v: float) -> str:
    from ..money import format_money

    return format_money(v, digits=4)


def _fmt_step(v: float, step: float) -> str:
    """``v`` rounded to a multiple of ``step`` (USD bn) and written with the digits that step
    keeps, trailing zeros included: 1595 at a step of 10 reads ``$1.60T``."""
    rounded = round(v / step) * step
    unit, letter = next(
        ((u, c) for u, c in ((1000.0, "T"), (1.0, "B")) if abs(rounded) >= u), (0.001, "M")
    )
    decimals = max(0, math.ceil(-math.log10(step / unit) - 1e-9))
    return f"${rounded / unit:.{decimals}f}{letter}"
