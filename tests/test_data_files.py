"""Checks on the committed data files in data/ and seeds/.

These tests read files only; they do not import the ``forecast`` package. Checks that need
the compiled source (``../shared`` beside the checkout) are skipped when it is absent.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SEEDS = REPO / "seeds"
ESTIMATES = DATA / "ai_market_estimates.csv"
HISTORY = DATA / "history"
SEED_FILE = SEEDS / "global-ai-1.57t-2030.toml"

SHARED = Path(__file__).resolve().parents[2] / "shared"
SHARED_CSV = SHARED / "data" / "ai_market_estimates.csv"
needs_shared = pytest.mark.skipif(
    not SHARED_CSV.is_file(), reason=f"compiled source not found at {SHARED_CSV}"
)

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
DEFINITIONS = {
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
BOOLEAN_COLUMNS = ["attributed", "year_approx", "approximate", "cagr_implied"]
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HTTP_URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$")
# The source cites four GitHub files by a code-search index id instead of a URL; they are
# kept verbatim (data/README.md, "url"). Anything else must be an http(s) URL.
INDEX_REFERENCE = re.compile(r"^GitHub (source|markdown) file\b.*\(code-search index id \d+\)$")
# Notes section 4: the only primary pages read (confidence "high").
PRIMARY_HOSTS = {"www.mordorintelligence.com", "blogs.idc.com", "www.pwccn.com"}
SNIPPET_WINDOW = 40


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def estimates() -> list[dict[str, str]]:
    columns, rows = read_csv(ESTIMATES)
    assert columns == COLUMNS
    return rows


@pytest.fixture(scope="module")
def by_id(estimates: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in estimates}


@pytest.fixture(scope="module")
def seed() -> dict:
    with SEED_FILE.open("rb") as handle:
        return tomllib.load(handle)


# --- data/ai_market_estimates.csv ----------------------------------------------------


def test_columns_are_exactly_the_documented_ones_in_order() -> None:
    columns, _ = read_csv(ESTIMATES)
    assert columns == COLUMNS


def test_all_167_source_rows_are_kept(estimates: list[dict[str, str]]) -> None:
    assert len(estimates) == 167


@needs_shared
def test_rows_follow_the_source_order(estimates: list[dict[str, str]]) -> None:
    _, source = read_csv(SHARED_CSV)
    assert len(source) == len(estimates)
    for ours, theirs in zip(estimates, source, strict=True):
        assert (ours["publisher"], ours["title"], ours["url"]) == (
            theirs["publisher"],
            theirs["title"],
            theirs["url"],
        )
        assert ours["value_usd_bn"] == theirs["value_usd_billion"].strip()


def test_ids_are_unique_slugs_naming_vintage_and_year(estimates: list[dict[str, str]]) -> None:
    ids = [row["id"] for row in estimates]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for row in estimates:
        assert SLUG.match(row["id"]), row["id"]
        assert SLUG.match(row["vintage"]), (row["id"], row["vintage"])
        assert f"-{row['vintage']}-{row['year']}" in f"-{row['id']}-", row["id"]
        unattributed = row["publisher"].startswith("Unattributed")
        assert row["id"].startswith("unattributed-") == unattributed, row["id"]


def test_ids_named_in_the_brief_exist(by_id: dict[str, dict[str, str]]) -> None:
    for row_id, value in [
        ("gvr-2025ed-2030", "1810"),
        ("gvr-2023ed-2022", "136.55"),
        ("mordor-2025ed-2030", "1910"),
        ("globaldata-2024-04-2030", "1030"),
        ("unattributed-firevy-2030", "1591.03"),
        ("pwc-2017-2030-gdp", "15700"),
    ]:
        assert by_id[row_id]["value_usd_bn"] == value


def test_definition_keys_are_from_the_documented_set(estimates: list[dict[str, str]]) -> None:
    assert {row["definition"] for row in estimates} <= DEFINITIONS


def test_gdp_impact_and_not_ai_rows_are_flagged(estimates: list[dict[str, str]]) -> None:
    for row in estimates:
        text = row["definition_text"]
        if "NOT market size" in text or "economic impact" in text:
            assert row["definition"] == "gdp_impact", row["id"]
        if "NOT an AI market figure" in text:
            assert row["definition"] == "not_ai", row["id"]


def test_booleans_are_true_or_false(estimates: list[dict[str, str]]) -> None:
    for row in estimates:
        for column in BOOLEAN_COLUMNS:
            assert row[column] in {"true", "false"}, (row["id"], column, row[column])


def test_attributed_is_false_only_for_unattributed_and_reseller_rows(
    estimates: list[dict[str, str]],
) -> None:
    for row in estimates:
        expected = not row["publisher"].startswith(("Unattributed", "ASD Reports"))
        assert (row["attributed"] == "true") == expected, row["id"]


def test_confidence_follows_the_notes(estimates: list[dict[str, str]]) -> None:
    for row in estimates:
        assert row["confidence"] in {"high", "medium", "low"}, row["id"]
        if row["attributed"] == "false" or "low confidence" in row["title"]:
            assert row["confidence"] == "low", row["id"]
        if row["confidence"] == "high":
            host = row["url"].split("/")[2]
            assert host in PRIMARY_HOSTS, (row["id"], host)


def test_every_row_has_an_http_url_or_a_documented_index_reference(
    estimates: list[dict[str, str]],
) -> None:
    references = []
    for row in estimates:
        if not HTTP_URL.match(row["url"]):
            assert INDEX_REFERENCE.match(row["url"]), (row["id"], row["url"])
            references.append(row["id"])
    assert len(references) <= 4, references


def test_values_positive_and_empty_exactly_for_cny_only_rows(
    estimates: list[dict[str, str]],
) -> None:
    for row in estimates:
        assert row["currency_native"] in {"USD", "CNY"}, row["id"]
        native = float(row["value_native"])
        assert native > 0 and math.isfinite(native), row["id"]
        if row["currency_native"] == "CNY":
            assert row["value_usd_bn"] == "", row["id"]
            assert "CNY" in row["definition_text"], row["id"]
        else:
            value = float(row["value_usd_bn"])
            assert value > 0 and math.isfinite(value), row["id"]
            assert row["value_native"] == row["value_usd_bn"], row["id"]


def test_year_is_an_integer_and_kind_is_known(estimates: list[dict[str, str]]) -> None:
    for row in estimates:
        assert re.fullmatch(r"\d{4}", row["year"]), row["id"]
        assert 2000 <= int(row["year"]) <= 2040, row["id"]
        assert row["kind"] in {"actual", "estimate", "forecast"}, row["id"]
    approx = [row["id"] for row in estimates if row["year_approx"] == "true"]
    assert approx == ["idc-directions2026-2031-china-embodied"]


def test_cagr_fields_are_clean(estimates: list[dict[str, str]]) -> None:
    for row in estimates:
        if row["cagr_pct"]:
            assert 0 < float(row["cagr_pct"]) < 200, row["id"]
        start, end = row["cagr_start"], row["cagr_end"]
        assert bool(start) == bool(end), row["id"]
        if start:
            assert int(start) <= int(end), row["id"]
        if row["cagr_note"]:
            assert row["cagr_note"].startswith(("cagr_pct: ", "cagr_period: ")), row["id"]
        elif not row["cagr_pct"]:
            # no clean number and no note means the source gave no CAGR at all
            assert not start, row["id"]


def test_no_global_ai_market_estimate_equals_the_seed_figure(
    estimates: list[dict[str, str]],
) -> None:
    # The seed's $1.57T for 2030 is recorded as unsourced: keep that true.
    for row in estimates:
        if row["value_usd_bn"] and abs(float(row["value_usd_bn"]) - 1570) < 1:
            assert row["definition"] == "not_ai", row["id"]


@needs_shared
def test_no_snippet_text_anywhere_in_data_or_seeds() -> None:
    _, source = read_csv(SHARED_CSV)

    def windows(text: str) -> set[str]:
        return {text[i : i + SNIPPET_WINDOW] for i in range(len(text) - SNIPPET_WINDOW + 1)}

    # Text we are allowed to repeat: every non-snippet field of the source (urls contain
    # slugs that some snippets quote, for instance) and the seed article, which seeds/
    # quotes by design and which happens to share phrasing with some snippets.
    allowed = windows((SHARED / "seeds" / "000_bb06d224b719a653.txt").read_text("utf-8"))
    for row in source:
        for column, value in row.items():
            if column != "snippet":
                allowed |= windows(value)
    ours: set[str] = set()
    whole = []
    for path in sorted([*DATA.rglob("*"), *SEEDS.rglob("*")]):
        if path.is_file() and path.suffix in {".csv", ".md", ".py", ".toml", ".txt"}:
            text = path.read_text(encoding="utf-8")
            whole.append(text)
            ours |= windows(text)
    for n, row in enumerate(source, start=1):
        snippet = row["snippet"]
        assert not any(snippet in text for text in whole), f"snippet of source row {n}"
        leaked = (windows(snippet) & ours) - allowed
        assert not leaked, f"source row {n}: snippet text found in data/ or seeds/: {leaked}"


@needs_shared
def test_build_script_output_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(DATA / "build_estimates.py"), str(SHARED_CSV), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- data/history/ -------------------------------------------------------------------


def history_files() -> list[Path]:
    # the AI series; the semiconductor and equipment series are checked against their own
    # estimates file in tests/test_semiconductor_data.py
    return sorted(HISTORY.glob("global_ai_*.csv"))


def test_history_directory_has_the_gvr_series() -> None:
    assert HISTORY / "global_ai_gvr.csv" in history_files()


@pytest.mark.parametrize("path", history_files(), ids=lambda p: p.name)
def test_history_file_is_consistent_with_estimates(
    path: Path, by_id: dict[str, dict[str, str]]
) -> None:
    columns, rows = read_csv(path)
    assert columns == ["year", "value_usd_bn", "kind", "source_id"]
    assert rows, path.name
    for row in rows:
        source = by_id[row["source_id"]]
        assert row["year"] == source["year"], row
        assert float(row["value_usd_bn"]) == float(source["value_usd_bn"]), row
        assert row["kind"] == source["kind"], row
        assert source["year_approx"] == "false" and source["approximate"] == "false", row
    sources = [by_id[row["source_id"]] for row in rows]
    for key in ("definition", "publisher", "region", "segment", "currency_native"):
        assert len({s[key] for s in sources}) == 1, (path.name, key)
    years = [int(row["year"]) for row in rows]
    assert years == sorted(set(years)), (path.name, years)
    assert len({row["source_id"] for row in rows}) == len(rows)


def test_gvr_series_values() -> None:
    _, rows = read_csv(HISTORY / "global_ai_gvr.csv")
    assert [(r["year"], r["value_usd_bn"], r["kind"]) for r in rows] == [
        ("2020", "62.35", "actual"),
        ("2022", "136.55", "actual"),
        ("2024", "279.22", "actual"),
        ("2025", "390.90", "estimate"),
    ]


# --- seeds/ --------------------------------------------------------------------------


def spans(record: dict) -> list[tuple[str, str, int, int]]:
    """(name, expected text, start, end) for every span a record carries."""
    found = [("text", record["text"], record["span_start"], record["span_end"])]
    for prefix, key in (
        ("term", "term"),
        ("value", "value_text"),
        ("attribution", "attribution_text"),
    ):
        if f"{prefix}_start" in record:
            found.append((prefix, record[key], record[f"{prefix}_start"], record[f"{prefix}_end"]))
    return found


def test_seed_claim_fields(seed: dict, by_id: dict[str, dict[str, str]]) -> None:
    assert seed["source"]["path"] == "../shared/seeds/000_bb06d224b719a653.txt"
    assert re.fullmatch(r"[0-9a-f]{64}", seed["source"]["sha256"])
    (claim,) = seed["claims"]
    assert claim["status"] == "unsourced"
    assert claim["definition"] in DEFINITIONS
    assert (claim["year"], claim["kind"], claim["region"]) == (2030, "forecast", "Global")
    number, unit = re.fullmatch(r"([\d.]+) (billion|trillion) USD", claim["value"]).groups()
    scale = 1000.0 if unit == "trillion" else 1.0
    assert math.isclose(float(number) * scale, claim["value_usd_bn"])
    origins = claim["candidate_origins"]
    assert {o["id"] for o in origins} >= {
        "pwc-2017-2030-gdp",
        "unattributed-firevy-2030",
        "unattributed-learnbay-2030",
        "gartner-2026-07-2026-itservices",
    }
    for origin in origins:
        assert origin["id"] in by_id, origin["id"]
        assert origin["label"] == "hypothesis" and origin["hypothesis"].strip()


def test_seed_spans_are_well_formed(seed: dict) -> None:
    for record in [*seed["claims"], *seed["mentions"]]:
        for name, text, start, end in spans(record):
            assert 0 <= start < end and end - start == len(text), (record["id"], name)
        if "term_start" in record:
            assert record["span_start"] <= record["term_start"]
            assert record["term_end"] <= record["span_end"]
    assert {m["subject"] for m in seed["mentions"]} >= {
        "healthcare",
        "finance",
        "manufacturing",
        "retail",
    }
    assert all(m["status"] == "no figure given" for m in seed["mentions"])
    assert any(m["kind"] == "region" and m["region"] == "China" for m in seed["mentions"])


@needs_shared
def test_seed_spans_reproduce_the_seed_text(seed: dict) -> None:
    path = (REPO / seed["source"]["path"]).resolve()
    raw = path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == seed["source"]["sha256"]
    text = raw.decode("utf-8")
    for record in [*seed["claims"], *seed["mentions"]]:
        for name, expected, start, end in spans(record):
            assert text[start:end] == expected, (record["id"], name)
