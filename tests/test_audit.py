"""The claim audit: published position, implied CAGRs, history probabilities, slips, verdict."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ESTIMATES, GVR_HISTORY, REPO, Result, assert_user_error
from forecast.audit import (
    history_probability,
    implied_cagrs,
    load_estimates_frame,
    near_matches,
    published_position,
    resolve_market,
    stated_tolerance,
)
from forecast.audit_report import AuditResult, audit_claim, audit_files, audit_section
from forecast.data import load_series
from forecast.errors import ForecastError

GLOBAL = {"region": "Global", "segment": "Total AI"}


def _frame(rows: list[tuple[str, str, str, int, float, str]]) -> pd.DataFrame:
    """id, publisher, definition, year, value, kind -> an estimates frame as the loader gives."""
    out = pd.DataFrame(
        rows, columns=["id", "publisher", "definition", "year", "value_usd_bn", "kind"]
    )
    out["vintage"] = out["id"].str.split("-").str[1]
    out["attributed"] = ~out["publisher"].str.startswith("Unattributed")
    out["cagr_pct"] = np.nan
    out["cagr_start"] = np.nan
    out["cagr_end"] = np.nan
    out["region"], out["segment"] = "Global", "Total AI"
    return out


SMALL = _frame(
    [
        ("a-1ed-2030", "A", "size", 2030, 100.0, "forecast"),
        ("b-1ed-2030", "B", "size", 2030, 200.0, "forecast"),
        ("b-2ed-2030", "B", "size", 2030, 220.0, "forecast"),
        ("c-1ed-2030", "Unattributed (c)", "size", 2030, 300.0, "forecast"),
        ("d-1ed-2030", "D", "gdp", 2030, 2000.0, "forecast"),
        ("e-1ed-2030", "E", "gdp", 2030, 3000.0, "forecast"),
        ("f-1ed-2030", "F", "spend", 2030, 150.0, "forecast"),
        ("a-1ed-2025", "A", "size", 2025, 50.0, "actual"),
        ("b-2ed-2024", "B", "size", 2024, 80.0, "actual"),
        ("b-2ed-2025", "B", "size", 2025, 100.0, "estimate"),
    ]
)


# --- published position --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "rank", "percentile"),
    [
        (50.0, 5, 0.0),  # below every value
        (100.0, 4, 12.5),  # ties with the lowest: half of it counts as below
        (150.0, 4, 25.0),
        (200.0, 3, 37.5),
        (250.0, 2, 75.0),
        (300.0, 1, 87.5),
        (400.0, 1, 100.0),
    ],
)
def test_rank_and_mid_rank_percentile(value: float, rank: int, percentile: float) -> None:
    pos = published_position(value, 2030, "size", SMALL)
    assert pos["n"] == 4
    assert (pos["rank"], pos["percentile"]) == (rank, percentile)
    assert (pos["min"], pos["median"], pos["max"]) == (100.0, 210.0, 300.0)
    assert pos["inside_range"] is (100.0 <= value <= 300.0)


def test_nearest_rows_by_ratio_with_percent_difference() -> None:
    pos = published_position(190.0, 2030, "size", SMALL)
    near = pos["nearest"]
    assert [r["id"] for r in near] == ["b-1ed-2030", "b-2ed-2030", "c-1ed-2030"]
    assert near[0]["pct_diff"] == pytest.approx(100 * (200 / 190 - 1))
    assert near[2]["attributed"] is False


def test_editions_spread_and_excluded_definitions() -> None:
    pos = published_position(190.0, 2030, "size", SMALL)
    b = next(e for e in pos["editions"] if e["publisher"] == "B")
    assert [x["value_usd_bn"] for x in b["editions"]] == [200.0, 220.0]
    assert b["spread_pct"] == pytest.approx(10.0)
    assert [(d["definition"], d["count"]) for d in pos["excluded_definitions"]] == [
        ("gdp", 2),
        ("spend", 1),
    ]
    assert pos["excluded_definitions"][0]["max"] == 3000.0


def test_no_published_value_for_the_year() -> None:
    pos = published_position(190.0, 2031, "size", SMALL)
    assert pos["n"] == 0 and pos["rank"] is None and pos["percentile"] is None


def test_unknown_definition_is_a_one_line_error() -> None:
    with pytest.raises(ForecastError, match=r"definition: .*got 'sise'; did you mean 'size'"):
        published_position(190.0, 2030, "sise", SMALL)


def test_the_157t_claim_among_2030_research_firm_forecasts() -> None:
    pos = published_position(1570.0, 2030, "research_firm_market_size", filters=GLOBAL)
    # 826 (yourai) and 1,345.2 (MarketsandMarkets) are below; eight values are above.
    assert (pos["n"], pos["rank"], pos["percentile"]) == (10, 9, 20.0)
    assert (pos["min"], pos["max"]) == (826.0, 2030.0)
    assert [r["value_usd_bn"] for r in pos["nearest"]] == [1591.03, 1591.03, 1597.1]
    gvr = next(e for e in pos["editions"] if e["publisher"] == "Grand View Research")
    assert gvr["spread_pct"] == pytest.approx(100 * (1811.8 / 1810 - 1))
    excluded = {d["definition"]: d["count"] for d in pos["excluded_definitions"]}
    assert excluded["gdp_impact"] == 4 and "research_firm_market_size" not in excluded


# --- implied CAGR ----------------------------------------------------------------------------


def test_implied_cagr_from_the_latest_base_of_each_edition() -> None:
    rows = implied_cagrs(100 * 1.1**5, 2030, "size", SMALL)
    assert [(r["id"], r["base_year"]) for r in rows] == [
        ("a-1ed-2025", 2025),
        ("b-2ed-2025", 2025),  # the 2024 base of the same edition is not repeated
    ]
    assert rows[1]["implied_cagr"] == pytest.approx(0.10)
    assert rows[0]["implied_cagr"] == pytest.approx(math.pow(161.051 / 50, 1 / 5) - 1)
    assert rows[1]["own_target"] == 220.0 and rows[0]["own_target"] == 100.0


def test_implied_cagr_against_grand_views_stated_rate() -> None:
    rows = implied_cagrs(1570.0, 2030, "research_firm_market_size", filters=GLOBAL)
    gvr = next(r for r in rows if r["id"] == "gvr-2025ed-2025")
    assert gvr["implied_cagr"] == pytest.approx((1570 / 390.9) ** 0.2 - 1)
    assert gvr["stated_cagr"] == pytest.approx(0.359)
    assert (gvr["stated_start"], gvr["stated_end"]) == (2025, 2030)
    assert gvr["gap_pp"] == pytest.approx(100 * gvr["implied_cagr"] - 35.9)
    assert min(r["base_year"] for r in rows) >= 2022  # recent bases only


# --- probability from history-fitted models ---------------------------------------------------


@pytest.fixture(scope="module")
def gvr_rows() -> list[dict]:
    s = load_series(GVR_HISTORY, value_column="value_usd_bn")
    return history_probability(s.years, s.values, 2030, 1570.0)


def test_history_probability_rows(gvr_rows: list[dict]) -> None:
    # linear joined for consistency with the report's model table (issue 6, item 12)
    # the growth families in the registry's order (forecast.families), then auto
    assert [r["model"] for r in gvr_rows] == [
        "exponential",
        "linear",
        "logistic",
        "gompertz",
        "auto",
    ]
    for r in gvr_rows:
        assert 0.0 <= r["probability"] <= 1.0
        assert r["lo-80"] <= r["median"] <= r["hi-80"]
        assert r["method"] and r["probability_text"].endswith("%")
    logistic = next(r for r in gvr_rows if r["model"] == "logistic")
    assert logistic["probability"] < 0.2  # saturates near 1.6T, so 1.57T in 2030 is a stretch
    assert "saturation" in logistic["note"]


def test_history_probability_marks_unreliable_fits(gvr_rows: list[dict]) -> None:
    by_model = {r["model"]: r for r in gvr_rows}
    # 4 points and 3 parameters: 1 degree of freedom; the Gompertz K runs off to ~$626T
    gompertz = by_model["gompertz"]
    assert gompertz["reliable"] is False
    assert "fewer than 2" in gompertz["unreliable_reason"]
    assert "the last value, over 20x" in gompertz["unreliable_reason"]
    assert gompertz["note"].startswith("UNRELIABLE: ")
    assert by_model["logistic"]["reliable"] is False
    assert by_model["exponential"]["reliable"] and by_model["linear"]["reliable"]
    assert by_model["auto"]["reliable"] and by_model["auto"]["unreliable_reason"] == ""


def test_history_probability_is_reproducible(gvr_rows: list[dict]) -> None:
    s = load_series(GVR_HISTORY, value_column="value_usd_bn")
    again = history_probability(s.years, s.values, 2030, 1570.0)
    assert again == gvr_rows


def test_auto_probability_is_read_off_its_own_quantiles() -> None:
    s = load_series(GVR_HISTORY, value_column="value_usd_bn")
    auto = history_probability(s.years, s.values, 2030, 1570.0)[-1]
    at_hi = history_probability(s.years, s.values, 2030, auto["hi-80"])[-1]
    at_lo = history_probability(s.years, s.values, 2030, auto["lo-80"])[-1]
    at_median = history_probability(s.years, s.values, 2030, auto["median"])[-1]
    assert at_hi["probability"] == pytest.approx(0.10)
    assert at_lo["probability"] == pytest.approx(0.90)
    assert at_median["probability"] == pytest.approx(0.50)
    beyond = history_probability(s.years, s.values, 2030, 1e6)[-1]
    assert beyond["probability_text"] == "<0.5%"


def test_curve_probability_falls_as_the_claim_rises() -> None:
    years = np.arange(2015, 2026, dtype=float)
    rng = np.random.default_rng(1)
    values = 10 * 1.3 ** (years - 2015) * np.exp(rng.normal(0, 0.03, len(years)))
    rows_lo = history_probability(years, values, 2030, 100.0)
    rows_hi = history_probability(years, values, 2030, 1000.0)
    for lo, hi in zip(rows_lo, rows_hi, strict=True):
        if lo["probability"] is not None:
            assert lo["probability"] >= hi["probability"], lo["model"]
    expo = next(r for r in rows_lo if r["model"] == "exponential")
    assert expo["probability"] == 1.0 and expo["probability_text"].startswith(">")


def test_history_probability_refuses_a_year_inside_the_history() -> None:
    with pytest.raises(ForecastError, match="year: must come after the history's last year"):
        history_probability([2020, 2021, 2022], [1.0, 2.0, 3.0], 2022, 5.0)


# --- markets --------------------------------------------------------------------------------


def test_market_aliases_map_to_a_definition() -> None:
    for name in ("global AI", "Global AI market", "artificial intelligence", "AI"):
        m = resolve_market(name)
        assert (m.definition, m.filters) == ("research_firm_market_size", GLOBAL)


@pytest.mark.parametrize(
    ("subject", "market"),
    [
        ("AI in healthcare market", "AI in healthcare"),
        ("The AI in healthcare market size", "AI in healthcare"),
        ("China's AI market", "China AI"),
        ("China\u2019s core AI industry", "China core AI industry"),
        ("U.S. AI market", "US AI"),
        ("the global artificial intelligence market", "global AI"),
        ("global generative AI market", "generative AI"),
        ("worldwide AI spending", "global AI spending (IDC)"),
        ("healthcare AI sector", "AI in healthcare"),
    ],
)
def test_subjects_that_claims_produces_resolve(subject: str, market: str) -> None:
    assert resolve_market(subject).name == market


def test_unknown_market_error_names_where_it_came_from() -> None:
    with pytest.raises(ForecastError, match=r"^c\.json: claim 2 subject: must name a market"):
        resolve_market("quantum market", where="c.json: claim 2 subject")


def test_unknown_market_lists_the_markets_that_exist() -> None:
    with pytest.raises(ForecastError) as info:
        resolve_market("global quantum")
    msg = str(info.value)
    assert "\n" not in msg and "global AI;" in msg and "got 'global quantum'" in msg


def test_estimates_frame_keeps_usd_rows_only() -> None:
    frame = load_estimates_frame(ESTIMATES)
    assert frame["value_usd_bn"].notna().all()
    assert frame["attributed"].dtype == bool


# --- slips, verdict, table, report section, CLI ------------------------------------------------


def test_stated_tolerance_is_half_the_last_digit() -> None:
    assert stated_tolerance(1570.0, "1.57", "trillion") == pytest.approx(5.0)
    assert stated_tolerance(1811.8, "1,811.8", "billion") == pytest.approx(0.05)
    assert stated_tolerance(1400.0, "1.3-1.5", "trillion") == pytest.approx(50.0)
    assert stated_tolerance(200.0) == pytest.approx(1.0)  # unknown: 0.5%


def test_slip_detection_on_a_small_table() -> None:
    frame = _frame(
        [
            ("x-1ed-2030", "X", "size", 2030, 15.7, "forecast"),  # claim x 10
            ("y-1ed-2030", "Y", "gdp", 2030, 1570.0, "forecast"),  # claim x 1000
            ("z-1ed-2030", "Z", "size", 2030, 1.61, "forecast"),  # near: +2.5%
            ("w-1ed-2026", "W", "other", 2026, 1.57, "forecast"),  # same digits, other year
            ("v-1ed-2030", "V", "size", 2030, 157.0, "forecast"),  # x100
        ]
    )
    got = {m["id"]: m for m in near_matches(1.57, 2030, frame, tolerance=0.005)}
    assert got["w-1ed-2026"]["kind"] == "exact" and "coincidence" in got["w-1ed-2026"]["note"]
    assert got["x-1ed-2030"]["kind"] == "decimal slip x10"
    assert got["x-1ed-2030"]["factor"] == 10.0
    assert got["v-1ed-2030"]["kind"] == "decimal slip x100"
    assert got["y-1ed-2030"]["kind"] == "unit slip x1000 (billion vs trillion)"
    assert got["z-1ed-2030"]["kind"] == "near figure"
    assert all(m["label"] == "hypothesis" for m in got.values())


def test_the_157t_slips_and_near_figures() -> None:
    found = near_matches(1570.0, 2030, tolerance=stated_tolerance(1570.0, "1.57", "trillion"))
    kinds = {m["id"]: m["kind"] for m in found}
    assert kinds["pwc-2017-2030-gdp"] == "decimal slip x10"
    assert kinds["gartner-2026-07-2026-itservices"] == "exact"  # 2026 IT services: coincidence
    assert kinds["unattributed-firevy-2030"] == "near figure"
    assert kinds["unattributed-learnbay-2030"] == "near figure"
    firevy = next(m for m in found if m["id"] == "unattributed-firevy-2030")
    assert "reads $1.59T, not $1.57T" in firevy["note"]


@pytest.fixture(scope="module")
def audit_157t() -> AuditResult:
    return audit_claim(1570.0, 2030, "global AI", number="1.57", scale="trillion")


def test_audit_verdict_for_the_157t_claim(audit_157t: AuditResult) -> None:
    assert audit_157t.verdict == (
        "plausible but unsourced: within the range of 2030 forecasts of research-firm market "
        "size ($826B-$2.03T, 10 figures), no publisher found"
    )
    text = "\n".join(audit_157t.evidence)
    # was "rank 9 of 10 published 2030 figures"; reworded so it cannot read "rank 3 of 2"
    assert "8 of 10 published 2030 figures are higher (20th percentile" in text
    assert "needs 32.1%/yr from Grand View Research's 2025 base $391B" in text
    assert "pwc-2017-2030-gdp" in text and "hypothesis" in text
    assert "at the claim's precision it reads $1.60T, not $1.57T" in text  # was "$1.6T"
    summary = json.loads(json.dumps(audit_157t.summary(), allow_nan=False))
    assert summary["claim"]["definition"] == "research_firm_market_size"
    assert len(summary["history_probability"]) == 5


def test_unreliable_fits_are_kept_apart_from_the_model_summary(audit_157t: AuditResult) -> None:
    models = next(e for e in audit_157t.evidence if e.startswith("history-fitted models"))
    assert "gompertz" not in models and "logistic" not in models
    assert "exponential" in models and "linear" in models and "auto" in models
    unreliable = next(e for e in audit_157t.evidence if e.startswith("unreliable fits"))
    rows = audit_157t.summary()["history_probability"]
    reliable = {r["model"]: r["reliable"] for r in rows}
    assert reliable == {
        "exponential": True,
        "linear": True,
        "logistic": False,
        "gompertz": False,
        "auto": True,
    }
    gompertz = next(r for r in rows if r["model"] == "gompertz")
    assert f"gompertz {gompertz['probability_text']}" in unreliable  # the figure computed
    assert "fewer than 2" in unreliable


def test_an_exact_figure_of_another_region_does_not_source_a_claim() -> None:
    r = audit_claim(851.46, 2034, "global AI", number="851.46", scale="billion", history=None)
    # unattributed-podcastapp-2034-us gives $851.46B, but for the United States
    assert not r.verdict.startswith("repeated but unsourced"), r.verdict
    assert r.verdict.startswith("unsourced and below every 2034 forecast")
    text = "\n".join(r.evidence)
    assert "below every published 2034 figure (2 figures, lowest $3.68T)" in text
    assert "rank 3 of 2" not in text and "percentile" not in text.split(";")[0]
    us = next(m for m in r.matches if m["id"] == "unattributed-podcastapp-2034-us")
    assert us["in_market"] is False and "another market, not a source" in us["note"]
    claim_row = r.table().query("id == 'claim'").iloc[0]
    assert claim_row["note"] == "the claim: below every published figure (2 figures, lowest $3.68T)"
    us_market = audit_claim(851.46, 2034, "U.S. AI market", number="851.46", scale="billion")
    assert us_market.verdict.startswith("repeated but unsourced"), us_market.verdict


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (50.0, "below every published 2030 figure (4 figures, lowest $100B)"),
        (100.0, "3 of 4 published 2030 figures are higher"),
        (250.0, "1 of 4 published 2030 figures is higher"),
        (300.0, "0 of 4 published 2030 figures are higher"),
        (400.0, "above every published 2030 figure (4 figures, highest $300B)"),
    ],
)
def test_rank_words(value: float, words: str) -> None:
    from forecast.audit_report import rank_words

    pos = published_position(value, 2030, "size", SMALL)
    assert rank_words(pos, 2030) == words


def test_audit_provenance_is_portable(audit_157t: AuditResult) -> None:
    summary = audit_157t.summary()
    assert summary["estimates_file"] == "data/ai_market_estimates.csv"
    assert summary["estimates_sha256"] == hashlib.sha256(ESTIMATES.read_bytes()).hexdigest()
    assert summary["history"]["file"] == "data/history/global_ai_gvr.csv"
    assert len(summary["history"]["sha256"]) == 64
    files = audit_files(audit_157t, chart=False)
    for name in ("audit.json", "report.md", "report.html"):
        assert str(REPO) not in files[name].decode(), name


def test_audit_table_ranks_the_claim_among_comparable_rows(audit_157t: AuditResult) -> None:
    table = audit_157t.table()
    comparable = table[table["comparable"]]
    claim = comparable[comparable["id"] == "claim"].iloc[0]
    assert claim["rank"] == 9 and len(comparable) == 11
    assert table.loc[~table["comparable"], "rank"].isna().all()
    pwc = table[table["id"] == "pwc-2017-2030-gdp"].iloc[0]
    assert pwc["note"] == "decimal slip x10 (hypothesis)" and not pwc["comparable"]


@pytest.mark.parametrize(
    ("value", "start"),
    [
        (1811.8, "sourced: Grand View Research gives $1.81T for 2030 (gvr-2023ed-2030)"),
        (500.0, "unsourced and below every 2030 forecast"),
        (3000.0, "unsourced and above every 2030 forecast"),
        (1591.03, "repeated but unsourced: only unattributed pages"),
    ],
)
def test_verdict_wording(value: float, start: str) -> None:
    r = audit_claim(value, 2030, "global AI", history=None, number="", scale="")
    assert r.verdict.startswith(start), r.verdict


def test_audit_refuses_a_claim_without_a_year_or_with_an_unknown_year() -> None:
    with pytest.raises(ForecastError, match="must state a year"):
        audit_claim(1570.0, None)
    with pytest.raises(ForecastError, match="none for the year; got 2099"):
        audit_claim(1570.0, 2099)


def test_audit_section_renders(audit_157t: AuditResult) -> None:
    from forecast.report.document import Facts, Paragraph, Table
    from forecast.report.markdown import render_markdown

    sec = audit_section(audit_157t, chart=False)
    assert isinstance(sec.blocks[0], Paragraph) and "plausible but unsourced" in sec.blocks[0].text
    assert isinstance(sec.blocks[1], Facts)
    assert sum(isinstance(b, Table) for b in sec.blocks) == 3
    files = audit_files(audit_157t, chart=False)
    md = files["report.md"].decode()
    assert "plausible but unsourced" in md and "pwc-2017-2030-gdp" in md
    assert json.loads(files["audit.json"])["verdict"] == audit_157t.verdict
    assert render_markdown  # the renderer the files come from


# --- CLI -------------------------------------------------------------------------------------

SEEDS = REPO / "seeds"


def test_cli_audit_of_the_seed_claims_file(run_cli: Callable[..., Result]) -> None:
    res = run_cli("audit", SEEDS / "global-ai-1.57t-2030.claims.json")
    assert res.code == 0, res.err
    assert "verdict     plausible but unsourced" in res.out
    assert "9     $1.57T  claim     <- the claim" in res.out
    toml = run_cli("audit", SEEDS / "global-ai-1.57t-2030.toml")
    assert toml.code == 0 and toml.out.splitlines()[2] == res.out.splitlines()[2]


def test_cli_audit_writes_files_once(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    args = ("audit", "--value", "1.57T", "--year", "2030", "--market", "global AI")
    res = run_cli(*args, "--out", tmp_path)
    assert res.code == 0, res.err
    folder = tmp_path / "audit-global-ai-1.57t-2030"
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"audit.json", "audit.csv", "report.html", "report.md", "charts/audit.png"} <= names
    again = run_cli(*args, "--out", tmp_path)
    assert "unchanged" in again.out
    other = run_cli("audit", "--value", "1.6T", "--year", "2030", "--out", tmp_path)
    assert other.code == 0  # another folder


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("--value", "1.57T", "--market", "global AI"), "must state a year"),
        (("--value", "1.57T", "--year", "2030", "--market", "quantum"), "global AI;"),
        (("--value", "200bn EUR", "--year", "2030"), "'eur' marks another currency"),
        ((), "needs a claims file or --value"),
    ],
)
def test_cli_audit_bad_input(
    run_cli: Callable[..., Result], argv: tuple[str, ...], fragment: str
) -> None:
    assert_user_error(run_cli("audit", *argv), fragment)


def test_cli_audit_bad_claims_files(run_cli: Callable[..., Result], tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert_user_error(run_cli("audit", empty), "got an empty file")
    eur = tmp_path / "eur.json"
    eur.write_text(json.dumps({"claims": [{"value_usd_bn": None, "currency": "EUR"}]}))
    assert_user_error(run_cli("audit", eur), "cannot convert", "--rate EUR=")
    noyear = tmp_path / "noyear.json"
    noyear.write_text(json.dumps({"claims": [{"value_usd_bn": 2000.0, "year": None}]}))
    assert_user_error(run_cli("audit", noyear), "must state a year")
