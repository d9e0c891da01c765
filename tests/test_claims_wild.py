"""Claims as they are written in the wild (issue 13): other markets, scales other than
billions, currencies other than USD, abbreviations, numbers in words, growth rates stated
without a value, and amounts whose currency words disagree.

Each sentence of the table is written the way market reports, news wires and press releases
write them (Grand View-, Statista-, Xinhua- and Reuters-style phrasings on non-AI markets) with
every field of the claim it must give; the negatives must give nothing. A claim in another
currency keeps its own currency and scale (``value_native`` in billions of that currency,
``scale`` as written) and has no USD value unless the text or a given rate converts it, said in
its flags.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from forecast.claims import Claim, extract
from forecast.cli import main

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "claims" / "eu_battery_storage_eur.txt"
UNCONVERTIBLE = "unconvertible currency {} (give a rate to convert)"


@dataclass(frozen=True)
class W:
    """Expected fields of one claim. ``usd`` is the USD billion value (None: not converted);
    ``native`` the amount in billions of its own currency."""

    span: str
    native: float | None
    currency: str
    scale: str
    year: int | None
    subject: str
    usd: float | None = None
    number: str = ""
    cagr: float | None = None
    cagr_span: tuple[int | None, int | None] = (None, None)
    base: tuple[float | None, int | None] = (None, None)
    low_high: tuple[float | None, float | None] = (None, None)
    flags: tuple[str, ...] = ()
    kind: str = "value"
    missing: tuple[str, ...] = ()


def _eur(currency: str) -> tuple[str]:
    return (UNCONVERTIBLE.format(currency),)


WILD: list[tuple[str, list[W]]] = [
    # --- ranges, scales other than billions -------------------------------------------------
    (
        "The global electric vehicle market is expected to reach $1.2-1.5 trillion by 2030.",
        [W("$1.2-1.5 trillion by 2030", 1350.0, "USD", "trillion", 2030,
           "global electric vehicle market", usd=1350.0, number="1.2-1.5",
           low_high=(1200.0, 1500.0), flags=("range",))],
    ),
    (
        "The U.S. plant-based meat market is expected to reach USD 850 million by 2027.",
        [W("USD 850 million by 2027", 0.85, "USD", "million", 2027,
           "U.S. plant-based meat market", usd=0.85, number="850")],
    ),
    (
        "The Indian EV market is projected to reach between $900 million and $1.2 billion in "
        "2026.",
        [W("$900 million and $1.2 billion in 2026", 1.05, "USD", "billion", 2026,
           "Indian EV market", usd=1.05, number="900 million-1.2", low_high=(0.9, 1.2),
           flags=("range",))],
    ),
    (
        "The global pet food market size is expected to reach USD 139.29 Bn by 2030.",
        [W("USD 139.29 Bn by 2030", 139.29, "USD", "billion", 2030, "global pet food market",
           usd=139.29, number="139.29")],
    ),
    (
        "The global battery market is projected to reach 400 bn USD by 2030.",
        [W("400 bn USD by 2030", 400.0, "USD", "billion", 2030, "global battery market",
           usd=400.0, number="400")],
    ),
    (
        "The global steel market is forecast at 1.2 trillion USD in 2030.",
        [W("1.2 trillion USD in 2030", 1200.0, "USD", "trillion", 2030, "global steel market",
           usd=1200.0, number="1.2")],
    ),
    # --- other currencies: kept in their own unit, never read as USD -------------------------
    (
        "Europe's heat pump market is forecast to reach EUR 45 billion by 2030.",
        [W("EUR 45 billion by 2030", 45.0, "EUR", "billion", 2030, "Europe's heat pump market",
           number="45", flags=_eur("EUR"))],
    ),
    (
        "Germany's e-commerce market is set to reach €120bn in 2029.",
        [W("€120bn in 2029", 120.0, "EUR", "billion", 2029, "Germany's e-commerce market",
           number="120", flags=_eur("EUR"))],
    ),
    (
        "The global wearable market is expected to be worth €80 million in 2026.",
        [W("€80 million in 2026", 0.08, "EUR", "million", 2026, "global wearable market",
           number="80", flags=_eur("EUR"))],
    ),
    (
        "The UK offshore wind market is forecast to reach £30 mn by 2030.",
        [W("£30 mn by 2030", 0.03, "GBP", "million", 2030, "UK offshore wind market",
           number="30", flags=_eur("GBP"))],
    ),
    (
        "Japan's semiconductor market is projected to hit ¥3.2 trillion in 2028.",
        [W("¥3.2 trillion in 2028", 3200.0, "JPY", "trillion", 2028,
           "Japan's semiconductor market", number="3.2",
           flags=("'¥' read as JPY: the subject names Japan", UNCONVERTIBLE.format("JPY")))],
    ),
    (
        "The Asian chip market will reach ¥5 trillion by 2030.",
        [W("¥5 trillion by 2030", 5000.0, "CNY/JPY", "trillion", 2030, "Asian chip market",
           number="5",
           flags=("'¥' is yen or yuan and the subject names neither country; not converted",))],
    ),
    (
        "The Chinese EV battery market is expected to reach CN¥ 900 billion in 2030.",
        [W("CN¥ 900 billion in 2030", 900.0, "CNY", "billion", 2030,
           "Chinese EV battery market", number="900", flags=_eur("CNY"))],
    ),
    (
        "The semiconductor market in Japan is anticipated to reach JPY 7.5 tn by 2030.",
        [W("JPY 7.5 tn by 2030", 7500.0, "JPY", "trillion", 2030,
           "semiconductor market in Japan", number="7.5", flags=_eur("JPY"))],
    ),
    (
        "China's new energy vehicle market will reach 1.8 tn yuan for 2030.",
        [W("1.8 tn yuan for 2030", 1800.0, "CNY", "trillion", 2030,
           "China's new energy vehicle market", number="1.8", flags=_eur("CNY"))],
    ),
    (
        "Xinhua said the digital economy could hit 10 trln yuan in 2027.",
        [W("10 trln yuan in 2027", 10000.0, "CNY", "trillion", 2027, "digital economy",
           number="10", flags=_eur("CNY"))],
    ),
    (
        "The Chinese industrial robot market is expected to reach 100 bln yuan by 2030.",
        [W("100 bln yuan by 2030", 100.0, "CNY", "billion", 2030,
           "Chinese industrial robot market", number="100", flags=_eur("CNY"))],
    ),
    (
        "The Korean battery industry is forecast at KRW 120 trillion in 2030.",
        [W("KRW 120 trillion in 2030", 120000.0, "KRW", "trillion", 2030,
           "Korean battery industry", number="120", flags=_eur("KRW"))],
    ),
    (
        "Analysts expect the German solar market to reach EUR 14 bn for 2028.",
        [W("EUR 14 bn for 2028", 14.0, "EUR", "billion", 2028, "German solar market",
           number="14", flags=_eur("EUR"))],
    ),
    (
        "China's computing power industry will exceed 1 trillion yuan ($137.9 billion) by 2026.",
        [W("1 trillion yuan ($137.9 billion) by 2026", 1000.0, "CNY", "trillion", 2026,
           "China's computing power industry", usd=137.9, number="1",
           flags=("USD value as the text restates it ($137.9 billion)",
                  "lower bound ('exceed')"))],
    ),
    (
        "China's digital economy is expected to reach USD 5.6 trillion yuan by 2030.",
        [W("USD 5.6 trillion yuan by 2030", 5600.0, "USD/CNY", "trillion", 2030,
           "China's digital economy", number="5.6",
           flags=("conflicting currencies: 'USD' before the amount, 'yuan' after it; not "
                  "converted (read it by hand)",))],
    ),
    # --- from X in year to Y by year --------------------------------------------------------
    (
        "The global cybersecurity market is projected to grow from $172.3 billion in 2023 to "
        "$424.9 billion by 2030.",
        [W("$172.3 billion in 2023 to $424.9 billion by 2030", 424.9, "USD", "billion", 2030,
           "global cybersecurity market", usd=424.9, number="424.9", base=(172.3, 2023))],
    ),
    (
        "The European battery storage market is expected to grow from EUR 8.1 billion in 2023 "
        "to EUR 21.4 billion by 2030.",
        [W("EUR 8.1 billion in 2023 to EUR 21.4 billion by 2030", 21.4, "EUR", "billion", 2030,
           "European battery storage market", number="21.4", base=(8.1, 2023),
           flags=_eur("EUR"))],
    ),
    (
        "The Australian mining equipment market will reach A$ 12.5 bn by 2031, up from "
        "A$ 8.2 bn in 2024.",
        [W("A$ 12.5 bn by 2031, up from A$ 8.2 bn in 2024", 12.5, "AUD", "billion", 2031,
           "Australian mining equipment market", number="12.5", base=(8.2, 2024),
           flags=_eur("AUD"))],
    ),
    (
        "The global vertical farming market is expected to reach USD 12.3 billion in 2032 from "
        "USD 4.1 billion in 2024, registering a CAGR of 14.7% (2024-2032).",
        [W("USD 12.3 billion in 2032 from USD 4.1 billion in 2024", 12.3, "USD", "billion", 2032,
           "global vertical farming market", usd=12.3, number="12.3", cagr=0.147,
           cagr_span=(2024, 2032), base=(4.1, 2024))],
    ),
    (
        "The Japanese EV charging market is expected to reach JPY 250 billion by 2030, growing "
        "at a CAGR of 18.2% from 2024 to 2030.",
        [W("JPY 250 billion by 2030", 250.0, "JPY", "billion", 2030,
           "Japanese EV charging market", number="250", cagr=0.182, cagr_span=(2024, 2030),
           flags=_eur("JPY"))],
    ),
    (
        "Revenue in the European fintech market is projected to reach €95.6bn in 2029, with an "
        "annual growth rate (CAGR 2024-2029) of 9.2%.",
        [W("€95.6bn in 2029", 95.6, "EUR", "billion", 2029, "European fintech market",
           number="95.6", cagr=0.092, cagr_span=(2024, 2029), flags=_eur("EUR"))],
    ),
    # --- numbers in words -------------------------------------------------------------------
    (
        "The global wind turbine market could be worth two hundred billion dollars by 2035.",
        [W("two hundred billion dollars by 2035", 200.0, "USD", "billion", 2035,
           "global wind turbine market", usd=200.0, number="two hundred")],
    ),
    (
        "Global cloud spending could top one trillion dollars in 2027.",
        [W("one trillion dollars in 2027", 1000.0, "USD", "trillion", 2027,
           "global cloud spending", usd=1000.0, number="one")],
    ),
    (
        "The market for French cheese exports is projected to reach two and a half billion "
        "euros by 2030.",
        [W("two and a half billion euros by 2030", 2.5, "EUR", "billion", 2030,
           "market for French cheese exports", number="two and a half", flags=_eur("EUR"))],
    ),
    (
        "The European defence market could be worth half a trillion euros by 2030.",
        [W("half a trillion euros by 2030", 500.0, "EUR", "trillion", 2030,
           "European defence market", number="half a", flags=_eur("EUR"))],
    ),
    # --- growth rates with no value ---------------------------------------------------------
    (
        "The global solar PV market is expected to grow at a CAGR of 12.5% between 2024 and "
        "2032.",
        [W("CAGR of 12.5% between 2024 and 2032", None, "", "", 2032, "global solar PV market",
           cagr=0.125, cagr_span=(2024, 2032), flags=("growth rate only: no value stated",),
           kind="growth rate", missing=("value",))],
    ),
    (
        "The market is expected to grow at a CAGR of 37.3% from 2023 to 2030.",  # was neg11
        [W("CAGR of 37.3% from 2023 to 2030", None, "", "", 2030, "market", cagr=0.373,
           cagr_span=(2023, 2030), flags=("growth rate only: no value stated",),
           kind="growth rate", missing=("value",))],
    ),
    (
        "The global hydrogen market is forecast to grow at a CAGR of 9.3% over 2023-2030.",
        [W("CAGR of 9.3% over 2023-2030", None, "", "", 2030, "global hydrogen market",
           cagr=0.093, cagr_span=(2023, 2030), flags=("growth rate only: no value stated",),
           kind="growth rate", missing=("value",))],
    ),
    (
        "The global lithium market is projected to grow at a 15% CAGR through 2030.",
        [W("15% CAGR through 2030", None, "", "", 2030, "global lithium market", cagr=0.15,
           cagr_span=(None, 2030),
           flags=("growth rate only: no value stated", "span start not stated"),
           kind="growth rate", missing=("value", "span start"))],
    ),
    (
        "The global semiconductor market is expected to reach $1 trillion by 2030. It is "
        "forecast to grow at a CAGR of 8.6% from 2024 to 2030.",
        [
            W("$1 trillion by 2030", 1000.0, "USD", "trillion", 2030,
              "global semiconductor market", usd=1000.0, number="1"),
            W("CAGR of 8.6% from 2024 to 2030", None, "", "", 2030, "global semiconductor market",
              cagr=0.086, cagr_span=(2024, 2030),
              flags=("growth rate only: no value stated", "subject from the previous sentence"),
              kind="growth rate", missing=("value",)),
        ],
    ),
]  # fmt: skip

NOT_CLAIMS: list[str] = [
    "The European cosmetics market was valued at EUR 96 billion in 2023.",  # a past actual
    "Sales of the Japanese game market totalled ¥2.1 trillion in 2023.",
    "The company's revenue rose to €4.5 billion in 2023.",
    # a sentence that counts things: "40 million" is vehicles, not USD 40 million
    "Global EV sales reached 14 million units in 2023 and could reach 40 million by 2030.",
    "Toyota sold 10 million vehicles in 2023 and expects to sell 11 million by 2026.",
    "The UK pet care market grew at a CAGR of 6.1% between 2018 and 2023.",  # a past rate
    "The market grew at a CAGR of 8% from 2015 to 2020.",
    "Japan's population is expected to fall to 100 million by 2050.",  # no market subject
    "The Nikkei 225 rose 2.3% in 2024.",
    "Two billion people in Asia could use mobile payments by 2030.",  # words, no currency
    "Sony plans to invest ¥1.8 trillion in image sensors by 2026.",  # no market subject
    "The plant grows at a rate of 12% a year.",  # a rate with no span and no market
]


def _check(text: str, claim: Claim, w: W) -> None:
    assert text[claim.start : claim.end] == claim.text == w.span
    assert (claim.kind, claim.missing) == (w.kind, w.missing)
    assert (claim.currency, claim.scale, claim.year, claim.subject) == (
        w.currency, w.scale, w.year, w.subject,
    )  # fmt: skip
    assert claim.value_native == (None if w.native is None else pytest.approx(w.native))
    assert claim.value_usd_bn == (None if w.usd is None else pytest.approx(w.usd))
    assert claim.number == w.number
    assert claim.cagr == (None if w.cagr is None else pytest.approx(w.cagr))
    assert (claim.cagr_start, claim.cagr_end) == w.cagr_span
    assert (claim.base_native, claim.base_year) == w.base
    assert (claim.low_native, claim.high_native) == (
        tuple(None if v is None else pytest.approx(v) for v in w.low_high)
    )
    assert claim.flags == w.flags


@pytest.mark.parametrize(("text", "wants"), WILD, ids=[f"wild{i + 1}" for i in range(len(WILD))])
def test_sentences_in_the_wild_yield_the_exact_claims(text: str, wants: list[W]) -> None:
    claims = extract(text)
    assert len(claims) == len(wants), claims
    for claim, want in zip(claims, wants, strict=True):
        _check(text, claim, want)


@pytest.mark.parametrize("text", NOT_CLAIMS, ids=[f"not{i + 1}" for i in range(len(NOT_CLAIMS))])
def test_sentences_in_the_wild_that_are_not_claims(text: str) -> None:
    assert extract(text) == []


def test_a_non_usd_claim_is_never_a_usd_value_without_a_rate() -> None:
    """Every claim of the table in another currency has no USD value unless the text restates
    it in USD; one in another scale keeps it (``scale``) and its value in billions."""
    for text, _ in WILD:
        for c in extract(text):
            if c.currency not in ("USD", ""):
                assert c.value_usd_bn is None or any(
                    f.startswith("USD value as the text restates it") for f in c.flags
                ), c


def test_a_given_rate_converts_and_says_so_but_never_an_ambiguous_currency() -> None:
    text = "The semiconductor market in Japan is anticipated to reach JPY 7.5 tn by 2030."
    (jpy,) = extract(text, rates={"JPY": 0.0066})
    assert jpy.value_usd_bn == pytest.approx(49.5)
    assert jpy.flags == ("converted at the given rate 0.0066 USD/JPY",)
    both = {"JPY": 0.0066, "CNY": 0.14, "USD": 1.0}
    (yen_or_yuan,) = extract("The Asian chip market will reach ¥5 trillion by 2030.", rates=both)
    (conflict,) = extract(
        "China's digital economy is expected to reach USD 5.6 trillion yuan by 2030.", rates=both
    )
    assert yen_or_yuan.value_usd_bn is None and conflict.value_usd_bn is None


def test_a_growth_rate_claim_round_trips_through_a_dict() -> None:
    (claim,) = extract("The global solar PV market is expected to grow at a CAGR of 12.5% "
                       "between 2024 and 2032.")  # fmt: skip
    record = claim.to_dict()
    assert record["kind"] == "growth rate" and record["missing"] == ["value"]
    assert record["value_native"] is None and record["value_usd_bn"] is None
    assert Claim.from_dict(record) == claim


def test_claims_and_audit_on_a_eur_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``forecast claims`` on a news text about a non-AI market in euros: every claim in EUR
    and its own scale, none with a USD value; the growth rate shown as such. ``forecast audit``
    on its claims: refused without --convert (one line naming the currency); with --convert it
    converts through the cited rates table, then stops at the market, which has no published
    record (one line, exit 2)."""
    assert main(["claims", str(FIXTURE)]) == 0
    out = capsys.readouterr().out
    assert "4 quantitative projection(s)" in out
    assert "EUR 21.4 billion" in out and "EUR 850 million" in out and "growth rate only" in out
    assert "$" not in out.split("\n  #1:")[0]  # no amount shown as dollars
    assert main(["claims", str(FIXTURE), "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)["claims"]
    got = [(c["currency"], c["scale"], c["value_native"], c["year"], c["kind"]) for c in claims]
    assert got == [
        ("EUR", "billion", pytest.approx(21.4), 2030, "value"),
        ("EUR", "million", pytest.approx(0.85), 2027, "value"),
        ("EUR", "billion", pytest.approx(3.5), 2030, "value"),
        ("", "", None, 2032, "growth rate"),
    ]  # fmt: skip
    assert all(c["value_usd_bn"] is None for c in claims)
    assert claims[0]["base_native"] == pytest.approx(8.1) and claims[0]["base_year"] == 2023
    claims_json = tmp_path / "claims.json"
    claims_json.write_text(json.dumps({"claims": claims}), encoding="utf-8")
    assert main(["audit", str(claims_json)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "claim 1: must have a USD value; got a EUR amount" in err
    assert "--convert" in err
    assert main(["audit", str(claims_json), "--convert"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "must name a market with published estimates" in err
    assert "European battery storage market" in err


def test_audit_skips_growth_rate_claims_and_refuses_a_file_of_only_those(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "ai.txt"
    text.write_text(
        "The global AI market is expected to reach $1.81 trillion by 2030. The global AI market "
        "is forecast to grow at a CAGR of 36.6% from 2024 to 2030.",
        encoding="utf-8",
    )
    assert main(["claims", str(text), "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)["claims"]
    assert [c["kind"] for c in claims] == ["value", "growth rate"]
    both, rates = tmp_path / "both.json", tmp_path / "rates.json"
    both.write_text(json.dumps({"claims": claims}), encoding="utf-8")
    rates.write_text(json.dumps({"claims": claims[1:]}), encoding="utf-8")
    assert main(["audit", str(both)]) == 0
    out = capsys.readouterr().out
    assert "audit: $1.81T in 2030" in out
    assert f"skipped     {both}: claim 2: a growth rate only (no value stated), not audited" in out
    assert main(["audit", str(rates)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"forecast: error: {rates}: must hold a claim with a value to audit; got 1 "
        "growth-rate-only claim(s) (a CAGR with no value stated)\n"
    )
