"""Build the tidy AI-market estimates table and the history series under data/.

Reads the compiled source table (by default ``../shared/data/ai_market_estimates.csv``,
relative to the repository root) plus the hand-made per-row decisions in
``data/ai_market_estimates.overrides.csv`` and writes, deterministically:

* ``data/ai_market_estimates.csv``  - one row per source row, same order, no snippets;
* ``data/history/*.csv``            - yearly series picked from that table by id.

Run from anywhere::

    python data/build_estimates.py                # rebuild
    python data/build_estimates.py --check        # exit 1 if the files on disk are stale
    python data/build_estimates.py path/to/source.csv

Standard library only. See data/README.md for the meaning of every column.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Iterable
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
REPO_ROOT = DATA_DIR.parent
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "data" / "ai_market_estimates.csv"
OVERRIDES = DATA_DIR / "ai_market_estimates.overrides.csv"
OUTPUT = DATA_DIR / "ai_market_estimates.csv"
HISTORY_DIR = DATA_DIR / "history"

SOURCE_COLUMNS = [
    "publisher",
    "title",
    "published",
    "market_definition",
    "region",
    "segment",
    "year",
    "value_usd_billion",
    "kind",
    "cagr_pct",
    "cagr_period",
    "url",
    "snippet",
]
OVERRIDE_COLUMNS = [
    "src_row",
    "year",
    "value_usd_bn",
    "publisher_key",
    "vintage",
    "segment_key",
    "definition",
    "confidence",
    "approximate",
    "note",
]
COLUMNS = [
    "id",
    "publisher",
    "attributed",
    "title",
    "published",
    "vintage",
    "definition",
    "definition_text",
    "region",
    "segment",
    "year",
    "year_approx",
    "value_usd_bn",
    "value_native",
    "currency_native",
    "approximate",
    "kind",
    "cagr_pct",
    "cagr_start",
    "cagr_end",
    "cagr_implied",
    "cagr_note",
    "confidence",
    "url",
]
HISTORY_COLUMNS = ["year", "value_usd_bn", "kind", "source_id"]

DEFINITIONS = frozenset(
    {
        "research_firm_market_size",
        "statista_market_insights",
        "statista_chart",
        "publisher_own_market",
        "idc_spending_guide",
        "idc_ai_tracker",
        "gartner_ai_spending",
        "generative_ai",
        "gdp_impact",
        "china_core_industry",
        "china_spending",
        "sector_market",
        "not_ai",
    }
)
CONFIDENCES = frozenset({"high", "medium", "low"})
KINDS = frozenset({"actual", "estimate", "forecast"})
UNATTRIBUTED_PREFIXES = ("Unattributed", "ASD Reports")

# History series: file name -> ids in data/ai_market_estimates.csv, oldest year first.
# Each point is the base-year value an edition reports for its own recent past (or the
# current-year estimate), never a value rebuilt from another edition's CAGR.
HISTORY_SERIES: dict[str, list[str]] = {
    "global_ai_gvr.csv": [
        "gvr-2021ed-2020",  # 2021 edition: 2020 value
        "gvr-2023ed-2022",  # 2023 edition: 2022 value
        "gvr-2025ed-2024",  # 2025 edition: 2024 value
        "gvr-2025ed-2025",  # 2025 edition: 2025 estimate (current year of that edition)
    ],
}

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
YEAR = re.compile(r"^(\d{4})(?: \(approx\b.*\))?$")
CLEAN_PERIOD = re.compile(r"^(\d{4})-(\d{4})( \(implied\))?$")
ANY_RANGE = re.compile(r"\b(\d{4})-(\d{4})\b")
# CNY amounts as written in the source's market_definition, e.g. "CNY 1,200bn", "CNY 5.6tn".
CNY_AMOUNT = re.compile(r"CNY ([\d,]+(?:\.\d+)?)(bn|tn)\b")


class BuildError(Exception):
    """A source or override row breaks an assumption of this script."""


def _bool(value: bool) -> str:
    return "true" if value else "false"


def read_csv(path: Path, expected: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != expected:
            raise BuildError(f"{path}: columns {reader.fieldnames} differ from {expected}")
        return list(reader)


def parse_year(raw: str, where: str) -> tuple[int, bool]:
    match = YEAR.match(raw.strip())
    if not match:
        raise BuildError(f"{where}: year {raw!r} is not a year")
    return int(match.group(1)), raw.strip() != match.group(1)


def parse_cagr(pct: str, period: str) -> dict[str, str]:
    """Split the source's free-text CAGR fields into clean numbers plus a note."""
    pct, period = pct.strip(), period.strip()
    out = {
        "cagr_pct": "",
        "cagr_start": "",
        "cagr_end": "",
        "cagr_implied": "false",
        "cagr_note": "",
    }
    notes = []
    if NUMBER.match(pct):
        out["cagr_pct"] = pct
    elif pct:
        notes.append(f"cagr_pct: {pct}")
    clean = CLEAN_PERIOD.match(period)
    if clean:
        out["cagr_start"], out["cagr_end"] = clean.group(1), clean.group(2)
        out["cagr_implied"] = _bool(bool(clean.group(3)))
    elif period:
        notes.append(f"cagr_period: {period}")
        ranged = ANY_RANGE.search(period)
        if ranged:
            out["cagr_start"], out["cagr_end"] = ranged.group(1), ranged.group(2)
        out["cagr_implied"] = _bool("(implied)" in period)
    out["cagr_note"] = "; ".join(notes)
    return out


def native_value(src: dict[str, str], where: str) -> tuple[str, str]:
    """USD rows repeat the USD value; CNY-only rows take the amount from the definition."""
    usd = src["value_usd_billion"].strip()
    if usd:
        return usd, "USD"
    match = CNY_AMOUNT.search(src["market_definition"])
    if not match:
        raise BuildError(f"{where}: no USD value and no 'CNY <n>bn|tn' in market_definition")
    amount = float(match.group(1).replace(",", "")) * (1000 if match.group(2) == "tn" else 1)
    return f"{amount:g}", "CNY"


def build_row(src: dict[str, str], ovr: dict[str, str], row_no: int) -> dict[str, str]:
    where = f"source row {row_no} ({src['publisher']}, {src['year']})"
    year, year_approx = parse_year(src["year"], where)
    if ovr["year"] != str(year) or ovr["value_usd_bn"] != src["value_usd_billion"]:
        raise BuildError(
            f"{where}: overrides row says year={ovr['year']} value={ovr['value_usd_bn']}, "
            f"source says year={year} value={src['value_usd_billion']}; realign the overrides"
        )
    if ovr["definition"] not in DEFINITIONS:
        raise BuildError(f"{where}: unknown definition key {ovr['definition']!r}")
    if ovr["confidence"] not in CONFIDENCES:
        raise BuildError(f"{where}: unknown confidence {ovr['confidence']!r}")
    if src["kind"] not in KINDS:
        raise BuildError(f"{where}: unknown kind {src['kind']!r}")
    parts = [ovr["publisher_key"], ovr["vintage"], str(year), ovr["segment_key"]]
    row_id = "-".join(part for part in parts if part)
    if not SLUG.match(row_id):
        raise BuildError(f"{where}: id {row_id!r} is not a lower-case slug")
    value_native, currency = native_value(src, where)
    row = {
        "id": row_id,
        "publisher": src["publisher"],
        "attributed": _bool(not src["publisher"].startswith(UNATTRIBUTED_PREFIXES)),
        "title": src["title"],
        "published": src["published"],
        "vintage": ovr["vintage"],
        "definition": ovr["definition"],
        "definition_text": src["market_definition"],
        "region": src["region"],
        "segment": src["segment"],
        "year": str(year),
        "year_approx": _bool(year_approx),
        "value_usd_bn": src["value_usd_billion"].strip(),
        "value_native": value_native,
        "currency_native": currency,
        "approximate": ovr["approximate"],
        "kind": src["kind"],
        **parse_cagr(src["cagr_pct"], src["cagr_period"]),
        "confidence": ovr["confidence"],
        "url": src["url"],
    }
    return {column: row[column] for column in COLUMNS}


def build_estimates(
    source: list[dict[str, str]], overrides: list[dict[str, str]]
) -> list[dict[str, str]]:
    if [int(o["src_row"]) for o in overrides] != list(range(1, len(source) + 1)):
        raise BuildError(
            f"overrides must list src_row 1..{len(source)} in order, one per source row"
        )
    pairs = zip(source, overrides, strict=True)
    rows = [build_row(src, ovr, n) for n, (src, ovr) in enumerate(pairs, start=1)]
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        if row["id"] in seen:
            raise BuildError(f"id {row['id']!r} of row {n} repeats row {seen[row['id']]}")
        seen[row["id"]] = n
    return rows


def build_history(rows: list[dict[str, str]], ids: list[str], name: str) -> list[dict[str, str]]:
    by_id = {row["id"]: row for row in rows}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise BuildError(f"history {name}: unknown ids {missing}")
    points = [by_id[i] for i in ids]
    for key in ("publisher", "definition", "region", "segment"):
        values = {p[key] for p in points}
        if len(values) != 1:
            raise BuildError(f"history {name}: mixes {key} values {sorted(values)}")
    years = [int(p["year"]) for p in points]
    if years != sorted(set(years)):
        raise BuildError(f"history {name}: years {years} are not strictly increasing")
    return [
        {
            "year": p["year"],
            "value_usd_bn": p["value_usd_bn"],
            "kind": p["kind"],
            "source_id": p["id"],
        }
        for p in points
    ]


def render(rows: Iterable[dict[str, str]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def build_all(source_path: Path) -> dict[Path, str]:
    """Return {output path: file text} for every file this script owns."""
    rows = build_estimates(
        read_csv(source_path, SOURCE_COLUMNS), read_csv(OVERRIDES, OVERRIDE_COLUMNS)
    )
    outputs = {OUTPUT: render(rows, COLUMNS)}
    for name, ids in HISTORY_SERIES.items():
        outputs[HISTORY_DIR / name] = render(build_history(rows, ids, name), HISTORY_COLUMNS)
    return outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help="compiled source CSV (default: ../shared/data/"
        "ai_market_estimates.csv beside the repository)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if any output file is missing or stale",
    )
    args = parser.parse_args(argv)
    try:
        outputs = build_all(args.source)
    except (BuildError, OSError) as error:
        print(f"build_estimates: {error}", file=sys.stderr)
        return 2
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
