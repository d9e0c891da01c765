"""Markets and their published estimates: the definition labels, the market names a claim may
use, and the estimates file (``data/ai_market_estimates.csv``) with its history companion.

Shared by :mod:`forecast.audit` (checking a claimed figure) and :mod:`forecast.evidence` (a
scenario's published context).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

import pandas as pd

from ..data import read_cells
from ..errors import DataError, ForecastError, near_miss
from ..readpolicy import toolkit_home

__all__ = [
    "DEFINITION_LABELS",
    "MARKETS",
    "Market",
    "default_data_dir",
    "default_history_file",
    "definition_label",
    "load_estimates_frame",
    "resolve_market",
]


class _Labels(dict[str, str]):
    """Labels by key; a key without one reads as its words (``semi_x`` -> ``semi x``)."""

    def __missing__(self, key: str) -> str:
        return " ".join(str(key).replace("_", " ").replace("-", " ").split()) or "unknown"


DEFINITION_LABELS: Final[Mapping[str, str]] = _Labels(
    {
        "research_firm_market_size": "research-firm market size",
        "statista_market_insights": "Statista Market Insights revenue",
        "statista_chart": "Statista chart readings",
        "publisher_own_market": "publisher-specific market definitions",
        "idc_spending_guide": "IDC end-user spending",
        "idc_ai_tracker": "IDC AI Tracker revenue",
        "gartner_ai_spending": "Gartner AI spending",
        "generative_ai": "generative-AI-only figures",
        "gdp_impact": "GDP impact (not a market size)",
        "china_core_industry": "China core AI industry scale",
        "china_spending": "China AI spending",
        "sector_market": "sector sub-markets",
        "not_ai": "non-AI figures",
        "semiconductor_market": "worldwide semiconductor sales",
        "semi_equipment_billings": "semiconductor equipment billings",
    }
)
"""Plain words for the definition keys of ``data/ai_market_estimates.csv`` and
``data/semiconductor_estimates.csv`` (see data/README); ``DEFINITION_LABELS[key]`` gives any
other key as its words."""


def definition_label(key: str) -> str:
    """The plain words for a definition key (its own words for a key without a label)."""
    return DEFINITION_LABELS[key]


# ------------------------------------------------------------------------------------------------
# markets
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Market:
    """A market name a user may write, the definition it maps to and the row filters."""

    name: str
    definition: str
    filters: Mapping[str, str]
    aliases: tuple[str, ...] = ()


_GLOBAL_TOTAL = {"region": "Global", "segment": "Total AI"}
MARKETS: Final[tuple[Market, ...]] = (
    Market(
        "global AI",
        "research_firm_market_size",
        _GLOBAL_TOTAL,
        (
            "global ai market",
            "ai",
            "ai market",
            "global artificial intelligence",
            "artificial intelligence",
            "artificial intelligence market",
            "global artificial intelligence market",
            "worldwide ai",
            "world ai",
        ),
    ),
    Market(
        "global AI spending (IDC)",
        "idc_spending_guide",
        {"region": "Global"},
        ("ai spending", "global ai spending", "idc ai spending", "worldwide ai spending"),
    ),
    Market(
        "global AI spending (Gartner)",
        "gartner_ai_spending",
        {"region": "Global"},
        ("gartner ai spending",),
    ),
    Market(
        "generative AI",
        "generative_ai",
        {"region": "Global", "segment": "Generative AI"},
        ("genai", "gen ai", "global generative ai", "generative ai market"),
    ),
    Market(
        "AI GDP impact",
        "gdp_impact",
        {"region": "Global", "segment": "GDP impact"},
        ("ai gdp", "gdp impact", "economic impact of ai"),
    ),
    Market(
        "US AI",
        "research_firm_market_size",
        {"region": "United States", "segment": "Total AI"},
        ("us ai", "u.s. ai", "usa ai", "united states ai", "american ai", "us ai market"),
    ),
    Market(
        "China AI",
        "research_firm_market_size",
        {"region": "China", "segment": "Total AI"},
        ("china ai market", "chinese ai"),
    ),
    Market(
        "China core AI industry",
        "china_core_industry",
        {"region": "China", "segment": "Core AI industry"},
        ("china core ai", "china ai core industry"),
    ),
    Market(
        "AI in healthcare",
        "sector_market",
        {"region": "Global", "segment": "Healthcare"},
        ("healthcare ai", "ai healthcare", "global ai in healthcare"),
    ),
    Market(
        "AI in retail",
        "sector_market",
        {"region": "Global", "segment": "Retail"},
        ("retail ai", "ai retail"),
    ),
)
"""Markets the audit knows, with aliases (matched case-insensitively, spaces collapsed)."""


def _norm(name: str) -> str:
    """Lower case, hyphens and spaces collapsed, possessives and "the" dropped, and a trailing
    "market", "industry" or "sector" (with or without "size") removed: "China's AI market" and
    "The AI in healthcare market size" read as "china ai" and "ai in healthcare"."""
    s = " ".join(name.replace("-", " ").replace("\u2019", "'").lower().split())
    s = re.sub(r"'s?(?=\s|$)", "", s)
    s = re.sub(r"^the\s+", "", s)
    s = re.sub(r"\s+(?:market|industry|sector)s?(?:\s+size)?$", "", s)
    return s.removesuffix(" size")


def resolve_market(name: str, *, where: str = "--market", hint: str = "") -> Market:
    """The :class:`Market` a name or alias refers to.

    Matching is case-insensitive and ignores possessives, a leading "the" and a trailing
    "market"/"industry"/"sector" (see :func:`_norm`); a leading "global" or "worldwide" is
    dropped when the name does not match with it. ``where`` names the input in the error
    message (the flag, or a claims file's claim); ``hint`` ends it.

    Raises
    ------
    ForecastError
        For an unknown name; the message lists the markets that exist.
    """
    key = _norm(name)
    keys = [key]
    for lead in ("global ", "worldwide "):
        if key.startswith(lead):
            keys.append(key.removeprefix(lead))
    for k in keys:
        for m in MARKETS:
            if k == _norm(m.name) or k in {_norm(a) for a in m.aliases}:
                return m
    names = [m.name for m in MARKETS]
    raise ForecastError(
        f"{where}: must name a market with published estimates ({'; '.join(names)}); got "
        f"{name!r}{near_miss(name, names)}{hint}"
    )


# ------------------------------------------------------------------------------------------------
# estimates
# ------------------------------------------------------------------------------------------------

_ESTIMATES_FILE = "ai_market_estimates.csv"
_HISTORY_FILE = Path("history") / "global_ai_gvr.csv"


def default_data_dir(hint: str = "pass --estimates PATH") -> Path:
    """``data/`` of :func:`~forecast.readpolicy.toolkit_home`; ``hint`` ends the error when
    there is none (the fix depends on the command)."""
    top = toolkit_home()
    if top is not None:
        return top / "data"
    raise DataError(
        f"data/{_ESTIMATES_FILE}: the toolkit's published estimates must exist (in its checkout "
        f"or its installed package); got no such file ({hint})"
    )


def default_history_file() -> Path:
    """The Grand View global history series in :func:`default_data_dir`."""
    return default_data_dir() / _HISTORY_FILE


_NUMERIC = ("year", "value_usd_bn", "cagr_pct", "cagr_start", "cagr_end")


@cache
def _load_cached(
    path: str, mtime_ns: int, value_column: str, sheet: str | None, header_row: int | None
) -> pd.DataFrame:
    from ..data import ESTIMATE_OPTIONAL, check_estimate_columns

    raw = read_cells(path, what="estimates file", sheet=sheet, header_row=header_row)
    missing = [c for c in ("id", "publisher", "definition", "year", value_column) if c not in raw]
    if missing:
        raise DataError(f"{path}: the estimates file must have column {missing[0]!r}; got none")
    check_estimate_columns(raw, Path(path))
    frame = raw.to_frame()
    if value_column != "value_usd_bn":  # the frame's value column is always value_usd_bn
        frame = frame.drop(columns=[c for c in ("value_usd_bn",) if c in frame])
        frame = frame.rename(columns={value_column: "value_usd_bn"})
    for col, default in ESTIMATE_OPTIONAL.items():
        if col not in frame:
            frame[col] = default
        else:
            frame[col] = frame[col].where(frame[col].str.strip() != "", default)
    for col in _NUMERIC:
        if col in frame:
            frame[col] = pd.to_numeric(frame[col].str.replace(",", ""), errors="coerce")
    for col in ("attributed", "approximate"):
        if col in frame:
            frame[col] = frame[col].str.strip().str.lower() == "true"
    frame = frame[frame["value_usd_bn"].notna() & frame["year"].notna()].copy()
    frame["year"] = frame["year"].astype(int)
    return frame.reset_index(drop=True)


def load_estimates_frame(
    path: Path | str | None = None,
    *,
    value_column: str = "value_usd_bn",
    sheet: str | None = None,
    header_row: int | None = None,
) -> pd.DataFrame:
    """Published estimates with a value as a DataFrame (numbers parsed, booleans as bool).

    The values are in the frame's ``value_usd_bn`` column whatever the file calls it
    (``value_column``), in the file's own unit: a scenario converts them to its unit
    (:func:`forecast.evidence.scenario_estimates`). Optional columns missing from the file take
    their defaults (``forecast.data.ESTIMATE_OPTIONAL``). Rows without a value (CNY-only
    sources in the bundled file) are left out: no currency is converted here.
    """
    p = Path(path) if path is not None else default_data_dir() / _ESTIMATES_FILE
    if not p.is_file():
        raise DataError(f"{p}: the estimates file must exist; got no such file")
    return _load_cached(str(p), p.stat().st_mtime_ns, value_column, sheet, header_row).copy()
