"""The audit of one claim: the result object, its verdict in plain words, its table, console
text and report section.

:func:`audit_claim` runs the computations of :mod:`forecast.audit` for one claimed value and
returns a frozen :class:`AuditResult`; :func:`audit_section` and :func:`audit_files` turn it into
a report section and the files ``forecast audit --out`` writes.

Longer than 500 lines because the verdict and each kind of evidence behind it (position,
implied growth, history-fitted probabilities) is a named step beside the result it reads, and
the table and console text word the same fields; apart, one sentence's wording would span two
modules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._textfmt import money, pct
from .._version import __version__
from ..data import load_series, sha256_file
from ..errors import ForecastError, message
from .record import (
    DEFINITION_LABELS,
    Market,
    default_data_dir,
    default_history_file,
    load_estimates_frame,
    resolve_market,
)
from .verdict import (
    EVIDENCE_SEED,
    history_probability,
    implied_cagrs,
    near_matches,
    published_position,
    stated_tolerance,
)

__all__ = ["AuditResult", "audit_claim", "audit_text"]


@dataclass(frozen=True)
class AuditResult:
    """Everything the audit found about one claim (see :func:`audit_claim`).

    ``verdict`` is one line in plain words; ``evidence`` the lines that support it.
    """

    value_usd_bn: float
    year: int
    market: Market
    label: str
    source: str
    position: dict[str, Any]
    cagrs: tuple[dict[str, Any], ...]
    probabilities: tuple[dict[str, Any], ...]
    matches: tuple[dict[str, Any], ...]
    verdict: str
    evidence: tuple[str, ...]
    history: dict[str, Any] = field(default_factory=dict)
    estimates_file: str = ""
    estimates_sha256: str = ""

    @property
    def definition_label(self) -> str:
        return DEFINITION_LABELS.get(self.market.definition, self.market.definition)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict (no NaN)."""
        out: dict[str, Any] = _json_safe(
            {
                "claim": {
                    "value_usd_bn": self.value_usd_bn,
                    "year": self.year,
                    "market": self.market.name,
                    "definition": self.market.definition,
                    "filters": dict(self.market.filters),
                    "label": self.label,
                    "source": self.source,
                },
                "verdict": self.verdict,
                "evidence": list(self.evidence),
                "published_position": self.position,
                "implied_cagrs": list(self.cagrs),
                "history_probability": list(self.probabilities),
                "history": self.history,
                "provenance_matches": list(self.matches),
                "estimates_file": portable_path(
                    self.estimates_file or default_data_dir() / "ai_market_estimates.csv"
                ),
                "estimates_sha256": self.estimates_sha256,
                "toolkit_version": __version__,
            }
        )
        return out

    def table(self) -> pd.DataFrame:
        """The claim among the published figures for its year, highest first; rows of other
        definitions follow with ``comparable`` False and no rank."""
        pos = self.position
        est = load_estimates_frame(self.estimates_file or None)
        same_year = est[est["year"] == self.year]
        hyp = {m["id"]: m["kind"] for m in self.matches}
        rows = []
        for _, r in same_year.iterrows():
            comparable = r["definition"] == self.market.definition and all(
                str(r.get(k, "")).strip() == v for k, v in self.market.filters.items()
            )
            rows.append(
                {
                    "id": str(r["id"]),
                    "publisher": str(r["publisher"]),
                    "vintage": str(r.get("vintage", "")),
                    "definition": str(r["definition"]),
                    "value_usd_bn": float(r["value_usd_bn"]),
                    "vs_claim_pct": 100.0 * (float(r["value_usd_bn"]) / self.value_usd_bn - 1),
                    "attributed": bool(r.get("attributed", True)),
                    "comparable": bool(comparable),
                    "note": f"{hyp[str(r['id'])]} (hypothesis)" if str(r["id"]) in hyp else "",
                }
            )
        rows.append(
            {
                "id": "claim",
                "publisher": self.source or "the claim",
                "vintage": "",
                "definition": self.market.definition,
                "value_usd_bn": self.value_usd_bn,
                "vs_claim_pct": 0.0,
                "attributed": False,
                "comparable": True,
                "note": f"the claim: {rank_words(pos)}" if pos["n"] else "the claim",
            }
        )
        frame = pd.DataFrame(rows).sort_values(
            ["comparable", "value_usd_bn"], ascending=[False, False], kind="stable"
        )
        comp = frame["comparable"].to_numpy(dtype=bool)
        rank = frame["value_usd_bn"].where(comp).rank(method="min", ascending=False)
        frame.insert(0, "rank", rank.astype("Int64"))
        return frame.reset_index(drop=True)


def rank_words(pos: dict[str, Any], year: int | None = None) -> str:
    """Where the claim sits among the published figures, in words: "8 of 10 published 2030
    figures are higher", "above every published figure (highest $3.68T)", "below every ..."."""
    n, rank = int(pos["n"]), int(pos["rank"])
    figures = f"published {year} figure" if year else "published figure"
    higher = rank - 1
    if higher == n:
        return f"below every {figures} ({n} figures, lowest {money(pos['min'])})"
    if higher == 0 and pos["value_usd_bn"] > pos["max"]:
        return f"above every {figures} ({n} figures, highest {money(pos['max'])})"
    return f"{higher} of {n} {figures}s {'is' if higher == 1 else 'are'} higher"


def portable_path(path: Path | str) -> str:
    """A path as the artifacts record it: relative to the data folder's parent when inside it
    (``data/history/global_ai_gvr.csv``), else relative to the working folder when inside it,
    else as given; so one audit from two checkouts gives the same bytes."""
    p = Path(path)
    try:
        data = default_data_dir().resolve()
    except ForecastError:
        data = None
    full = p.resolve()
    for root in ([data.parent] if data is not None else []) + [Path.cwd().resolve()]:
        if full.is_relative_to(root):
            return full.relative_to(root).as_posix()
    return p.as_posix()


def _json_safe(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    return obj


# ------------------------------------------------------------------------------------------------
# the audit
# ------------------------------------------------------------------------------------------------


def audit_claim(
    value_usd_bn: float,
    year: int | None,
    market: str | Market = "global AI",
    *,
    label: str = "",
    source: str = "",
    number: str = "",
    scale: str = "",
    estimates: Path | str | None = None,
    history: Path | str | None = None,
    seed: int = EVIDENCE_SEED,
    draws: int = 4000,
) -> AuditResult:
    """Audit one claimed value: published position, implied CAGRs, history probabilities,
    provenance hypotheses and a verdict.

    Parameters
    ----------
    value_usd_bn : float
        The claim in USD billion.
    year : int
        Its year (a claim without a year cannot be audited: one-line error).
    market : str or Market
        A market name or alias of :data:`forecast.audit.MARKETS` (``"global AI"``).
    label, source : str
        How the claim is shown (``"$1.57T claim"``) and where it came from.
    number, scale : str
        The number and scale word as written (``"1.57"``, ``"trillion"``): the claim's rounding,
        used to tell an exact match or a rounding from a different figure.
    estimates, history : path, optional
        The estimates file and the history series (``year``/``value_usd_bn`` columns); the
        checkout's ``data/`` by default. The history is used for the probabilities when the
        market is the global research-firm market size (the only history in ``data/``).
    seed, draws : int
        For the growth curves' parametric bootstrap; the fixed default
        (:data:`forecast.audit.EVIDENCE_SEED`) makes the audit and its report agree.

    Files are recorded with their SHA-256 and a portable path (:func:`portable_path`).
    """
    year = _checked_claim(value_usd_bn, year, label)
    m = market if isinstance(market, Market) else resolve_market(market)
    est_frame = load_estimates_frame(estimates)
    est_path = Path(estimates) if estimates is not None else None
    est_sha = sha256_file(est_path or default_data_dir() / "ai_market_estimates.csv")
    _check_published_year(est_frame, m, year)
    pos = published_position(value_usd_bn, year, m.definition, est_frame, filters=m.filters)
    cagrs = implied_cagrs(value_usd_bn, year, m.definition, est_frame, filters=m.filters)
    tol = stated_tolerance(value_usd_bn, number, scale)
    matches = near_matches(value_usd_bn, year, est_frame, tolerance=tol, filters=m.filters)
    probs: list[dict[str, Any]] = []
    hist_info: dict[str, Any] = {}
    if history is not None or m.name == "global AI":
        hist_info, probs = _history_evidence(history, int(year), value_usd_bn, seed, draws)
    result = AuditResult(
        value_usd_bn=float(value_usd_bn),
        year=int(year),
        market=m,
        label=label or f"{money(value_usd_bn)} in {year}",
        source=source,
        position=pos,
        cagrs=tuple(cagrs),
        probabilities=tuple(probs),
        matches=tuple(matches),
        verdict="",
        evidence=(),
        history=hist_info,
        estimates_file=str(estimates or ""),
        estimates_sha256=est_sha,
    )
    verdict, evidence = _verdict(result)
    return AuditResult(**{**result.__dict__, "verdict": verdict, "evidence": tuple(evidence)})


def _checked_claim(value_usd_bn: float, year: int | None, label: str) -> int:
    """The claim's year, after checking it has one and a positive value."""
    if year is None:
        raise ForecastError(
            f"claim: must state a year to be audited; got {label or money(value_usd_bn)!r} "
            "with no year (give one with --year)"
        )
    if not (math.isfinite(value_usd_bn) and value_usd_bn > 0):
        raise ForecastError(message("claim value", "must be a positive USD amount", value_usd_bn))
    return year


def _check_published_year(est_frame: pd.DataFrame, m: Market, year: int) -> None:
    """An error unless the market's definition has published estimates for ``year``."""
    available = sorted(set(est_frame.loc[est_frame["definition"] == m.definition, "year"]))
    if int(year) not in available:
        raise ForecastError(
            f"claim year: {m.name} has published estimates for {available[0]}-{available[-1]} "
            f"({len(available)} years) but none for the year; got {year}"
        )


def _history_evidence(
    history: Path | str | None, year: int, value_usd_bn: float, seed: int, draws: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The history series as recorded (file, checksum, points) and, when the claim's year lies
    after it, the history-fitted models' probabilities of the claim."""
    series = load_series(history or default_history_file(), value_column="value_usd_bn")
    hist_info = {
        "file": portable_path(series.path),
        "sha256": series.sha256,
        "years": [int(y) for y in series.years],
        "values": [float(v) for v in series.values],
    }
    probs: list[dict[str, Any]] = []
    if year > int(series.years[-1]):
        probs = history_probability(
            series.years, series.values, year, value_usd_bn, seed=seed, draws=draws
        )
    return hist_info, probs


def _verdict(r: AuditResult) -> tuple[str, list[str]]:
    """The one-line verdict and the evidence lines behind it."""
    pos, y = r.position, r.year
    ev: list[str] = []
    if pos["n"]:
        ev.append(_position_evidence(pos, y))
    ev += _cagr_evidence(r)
    ev += _probability_evidence(r)
    for m in r.matches:
        if m["kind"] != "near figure" or m is _first_near(r.matches, m):
            ev.append(f"hypothesis ({m['kind']}): {m['id']}: {m['note']}")
    if pos["excluded_definitions"]:
        ev.append(
            "not comparable: "
            + ", ".join(f"{d['label']} ({d['count']})" for d in pos["excluded_definitions"])
        )
    return _verdict_line(r), ev


def _verdict_line(r: AuditResult) -> str:
    """Sourced (a publisher gives the figure), repeated, unplaceable, plausible, or outside
    the published range."""
    pos, what, y = r.position, r.definition_label, r.year
    same = [
        m
        for m in r.matches
        if m["kind"] == "exact"
        and m["year"] == y
        and m["definition"] == r.market.definition
        and m.get("in_market", True)
    ]
    backed = [m for m in same if m["attributed"]]
    if backed:
        return (
            f"sourced: {backed[0]['publisher']} gives {money(backed[0]['value_usd_bn'])} for {y} "
            f"({backed[0]['id']})"
        )
    if same:
        return (
            f"repeated but unsourced: only unattributed pages give {money(r.value_usd_bn)} for "
            f"{y}, no publisher found"
        )
    if not pos["n"]:
        return f"cannot be placed: no published {y} forecast of {what}; no publisher found"
    if pos["inside_range"]:
        return (
            f"plausible but unsourced: within the range of {y} forecasts of {what} "
            f"({money(pos['min'])}-{money(pos['max'])}, {pos['n']} figures), no publisher found"
        )
    side, edge = ("below", pos["min"]) if r.value_usd_bn < pos["min"] else ("above", pos["max"])
    return (
        f"unsourced and {side} every {y} forecast of {what} ({pos['n']} figures, "
        f"{'lowest' if side == 'below' else 'highest'} {money(edge)}), no publisher found"
    )


def _position_evidence(pos: dict[str, Any], y: int) -> str:
    """The claim's rank among the published figures of its year and the nearest of them."""
    near = pos["nearest"][0]
    where = rank_words(pos, y)
    if not where.startswith(("above", "below")):
        where += f" ({pos['percentile']:.0f}th percentile, median {money(pos['median'])})"
    return (
        f"{where}; nearest {money(near['value_usd_bn'])} "
        f"({near['publisher']}, {near['pct_diff']:+.1f}%)"
    )


def _cagr_evidence(r: AuditResult) -> list[str]:
    """The growth the claim needs from a publisher's base that states its own CAGR, and the
    range from every recent base."""
    stated = [c for c in r.cagrs if c["stated_cagr"] is not None and c["attributed"]]
    if not stated:
        return []
    c = (
        stated[0]
        if not any(s["stated_start"] for s in stated)
        else next(s for s in stated if s["stated_start"])
    )
    span = f" for {c['stated_start']}-{c['stated_end']}" if c["stated_start"] else ""
    lo = min(x["implied_cagr"] for x in r.cagrs)
    hi = max(x["implied_cagr"] for x in r.cagrs)
    return [
        f"needs {pct(c['implied_cagr'])}/yr from {c['publisher']}'s {c['base_year']} base "
        f"{money(c['base_usd_bn'])}, which states {pct(c['stated_cagr'])}{span}; "
        f"{pct(lo)}-{pct(hi)}/yr from the {len(r.cagrs)} recent bases"
    ]


def _probability_evidence(r: AuditResult) -> list[str]:
    """The probabilities the reliable history-fitted models give the claim; the unreliable
    fits listed apart, not as evidence."""
    fitted = [p for p in r.probabilities if p["probability"] is not None]
    reliable = [p for p in fitted if p.get("reliable", True)]
    unreliable = [p for p in fitted if not p.get("reliable", True)]
    ev: list[str] = []
    if reliable:
        ev.append(
            f"history-fitted models ({len(r.history.get('years', []))} points) give P(>= claim "
            f"in {r.year}): "
            + ", ".join(f"{p['model']} {p['probability_text']}" for p in reliable)
            + ("; they disagree, read as indicative" if _disagree(reliable) else "")
        )
    if unreliable:
        ev.append(
            "unreliable fits, not evidence: "
            + ", ".join(
                f"{p['model']} {p['probability_text']} ({p['unreliable_reason']})"
                for p in unreliable
            )
        )
    return ev


def _disagree(rows: Sequence[dict[str, Any]]) -> bool:
    ps = [float(p["probability"]) for p in rows]
    return max(ps) - min(ps) > 0.5


def _first_near(matches: Sequence[dict[str, Any]], m: dict[str, Any]) -> dict[str, Any]:
    """The first near-figure row with the same value (duplicates of one figure say it once)."""
    return next(
        x for x in matches if x["kind"] == "near figure" and x["value_usd_bn"] == m["value_usd_bn"]
    )


# ------------------------------------------------------------------------------------------------
# console text
# ------------------------------------------------------------------------------------------------


def _cols(rows: Sequence[Sequence[str]], indent: str = "    ") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in rows
    ]


def audit_text(r: AuditResult) -> str:
    """The audit as a user reads it on the console."""
    pos = r.position
    lines = [
        f"audit: {money(r.value_usd_bn)} in {r.year}, {r.market.name} ({r.definition_label})",
    ]
    if r.source:
        lines.append(f"  claim       {r.source}")
    lines.append(f"  verdict     {r.verdict}")
    for e in r.evidence:
        lines.append(f"  evidence    {e}")
    if pos["n"]:
        lines.append(f"  published {r.year} forecasts of {r.definition_label}, highest first:")
        table = r.table()
        rows = [["rank", "value", "vs claim", "publisher (edition)", "id"]]
        for _, t in table[table["comparable"]].iterrows():
            rows.append(
                [
                    str(t["rank"]),
                    money(t["value_usd_bn"]),
                    "claim" if t["id"] == "claim" else f"{t['vs_claim_pct']:+.1f}%",
                    "<- the claim"
                    if t["id"] == "claim"
                    else f"{t['publisher']} ({t['vintage']})"
                    + ("" if t["attributed"] else " [unattributed]"),
                    "" if t["id"] == "claim" else str(t["id"]),
                ]
            )
        lines += _cols(rows)
        spread = [e for e in pos["editions"] if len(e["editions"]) > 1]
        for e in spread:
            lines.append(
                f"    editions: {e['publisher']} {', '.join(x['vintage'] for x in e['editions'])} "
                f"spread {e['spread_pct']:.1f}%"
            )
    if r.cagrs:
        lines.append(f"  implied CAGR to {r.year} from recent published bases:")
        rows = [["base", "value", "implied", "stated", "publisher (edition)"]]
        for c in r.cagrs:
            span = (
                f" ({c['stated_start']}-{c['stated_end']})"
                if c["stated_start"]
                else (" (period n/s)" if c["stated_cagr"] is not None else "")
            )
            rows.append(
                [
                    str(c["base_year"]),
                    money(c["base_usd_bn"]),
                    pct(c["implied_cagr"]),
                    (pct(c["stated_cagr"]) + span) if c["stated_cagr"] is not None else "n/a",
                    f"{c['publisher']} ({c['vintage']})"
                    + ("" if c["attributed"] else " [unattributed]"),
                ]
            )
        lines += _cols(rows)
    if r.probabilities:
        h = r.history
        lines.append(
            f"  probability of >= {money(r.value_usd_bn)} in {r.year}, models fitted to "
            f"{Path(h['file']).name} ({len(h['years'])} points {h['years'][0]}-{h['years'][-1]}):"
        )
        rows = [["model", "P(>= claim)", "median", "80% interval", "note"]]
        for p in r.probabilities:
            interval = (
                f"{money(p['lo-80'])}-{money(p['hi-80'])}" if p["lo-80"] is not None else "n/a"
            )
            rows.append(
                [p["model"], p["probability_text"], money(p["median"]), interval, p["note"]]
            )
        lines += _cols(rows)
    return "\n".join(lines)
