"""Units, currencies and prices: the Unit grammar, money in a unit, the shipped rates table and
price index, conversions in scenarios (each one stated), the consistency checks at validate
time, Excel input and user estimate files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import forecast
from conftest import DATA, Result, assert_user_error, minimal_doc, to_toml, write_csv
from forecast.audit.record import DEFINITION_LABELS, definition_label
from forecast.conversion import Conversions, Deflator, load_deflator, load_rates, toolkit_data
from forecast.errors import DataError, ForecastError, MoneyError, ScenarioError
from forecast.money import format_money, parse_money
from forecast.units import USD_BILLION, Unit, check_column, parse_unit, unit_hints

EUR_M = Unit("EUR", 6)
RATES = toolkit_data("rates/fed_g5a_annual.csv")
CPI = toolkit_data("prices/us_cpi_u.csv")


# ------------------------------------------------------------------------------------------------
# The unit grammar
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("USD billion", Unit("USD", 9)),
        ("US$ bn", Unit("USD", 9)),
        ("$ trillion", Unit("USD", 12)),
        ("€ million", Unit("EUR", 6)),
        ("€m", Unit("EUR", 6)),
        ("million EUR", Unit("EUR", 6)),
        ("£ thousand", Unit("GBP", 3)),
        ("GBP k", Unit("GBP", 3)),
        ("JPY trillion", Unit("JPY", 12)),
        ("JP¥ tn", Unit("JPY", 12)),
        ("CN¥ billion", Unit("CNY", 9)),
        ("RMB billion", Unit("CNY", 9)),
        ("CNY B", Unit("CNY", 9)),
        ("CHF M", Unit("CHF", 6)),
        ("EUR million, 2020 prices", Unit("EUR", 6, 2020)),
        ("USD billion, constant 2015 prices", Unit("USD", 9, 2015)),
        ("USD billion, nominal", Unit("USD", 9)),
    ],
)
def test_units_as_analysts_write_them(text: str, unit: Unit) -> None:
    assert parse_unit(text) == unit
    assert parse_unit(unit.label) == unit  # the label reads back


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("¥ billion", "'¥' is the sign of more than one currency (JPY or CNY); write the code"),
        ("EUX billion", "ISO 4217 code (USD, EUR, GBP, JPY, CNY, ...); got 'EUX' in 'EUX billion'"),
        ("EUR", "the unit must name its scale"),
        ("billion", "the unit must name its currency"),
        ("EUR zillion", "did you mean 'million'?"),
        ("EUR USD billion", "a unit names one currency; got EUR and USD"),
        ("EUR million billion", "a unit names one scale"),
        ("EUR billion, 2020", "'<year> prices'"),
        ("EUR billion, 1066 prices", "between 1900 and 2200"),
        ("", "a unit needs a currency and a scale"),
        (5, "a unit must be a string"),
    ],
)
def test_bad_units_are_one_line_errors(text: Any, fragment: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_unit(text, where="s.toml: unit")
    msg = str(err.value)
    assert msg.startswith("s.toml: unit: ") and fragment in msg, msg
    assert "\n" not in msg


def test_eux_suggests_the_euro() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'EUR'"):
        parse_unit("EUX billion")


@pytest.mark.parametrize(
    ("name", "hints"),
    [
        ("value_usd_m", ("USD", 6)),
        ("value_eur_bn", ("EUR", 9)),
        ("Revenue (EUR bn)", ("EUR", 9)),
        ("sales_k", (None, 3)),
        ("value", (None, None)),
        ("value_usd_bn", ("USD", 9)),
        ("eurostat_value", (None, None)),  # whole tokens only
        ("all_regions_value", (None, None)),  # ALL is a code but here a word
        ("year", (None, None)),
    ],
)
def test_what_column_names_say(name: str, hints: tuple[str | None, int | None]) -> None:
    assert unit_hints(name) == hints


def test_a_column_that_says_another_unit_is_refused_naming_both() -> None:
    check_column("value_usd_bn", USD_BILLION, where="w")  # agrees: fine
    check_column("value", EUR_M, where="w")  # silent: fine
    with pytest.raises(ScenarioError) as err:
        check_column("value_usd_m", USD_BILLION, where="s.toml: history.value_column")
    msg = str(err.value)
    assert "'value_usd_m' says USD million" in msg and "declared in USD billion" in msg
    with pytest.raises(ScenarioError, match="says EUR billion"):
        check_column("value_eur_bn", USD_BILLION, where="w")


# ------------------------------------------------------------------------------------------------
# Money in a unit
# ------------------------------------------------------------------------------------------------


def test_money_is_read_and_written_in_the_unit() -> None:
    assert parse_money("€412M", unit=EUR_M) == 412.0
    assert parse_money("412 million", unit=EUR_M) == 412.0  # no currency: the unit's
    assert parse_money("EUR 1.2 billion", unit=EUR_M) == 1200.0
    assert parse_money("3 billion euros", unit=EUR_M) == 3000.0
    assert format_money(412, unit=EUR_M) == "€412M"
    assert format_money(3.1, unit=Unit("JPY", 12)) == "¥3.1T"
    assert format_money(310, unit=Unit("CNY", 9)) == "CN¥310B"
    assert format_money(41.2, unit=Unit("CHF", 6)) == "CHF 41.2M"
    assert format_money(0, unit=EUR_M) == "€0"
    # the default is unchanged: USD billion
    assert format_money(1570) == "$1.57T" and parse_money("$1.57T") == 1570.0


def test_yen_sign_is_the_scenarios_own_in_jpy_or_cny_and_ambiguous_elsewhere() -> None:
    assert parse_money("¥3.1T", unit=Unit("JPY", 12)) == 3.1
    assert parse_money("¥310B", unit=Unit("CNY", 9)) == 310.0
    with pytest.raises(MoneyError, match="yen and the yuan alike; write JPY or CNY"):
        parse_money("¥3T", unit=EUR_M, where="a")
    with pytest.raises(MoneyError, match="converts no currency"):
        parse_money("¥3T")


def test_another_currency_is_converted_only_when_allowed() -> None:
    with pytest.raises(MoneyError) as err:
        parse_money("$5bn", unit=EUR_M, where="anchors[0].value")
    msg = str(err.value)
    assert "amounts must be in EUR (the scenario's unit, EUR million)" in msg
    assert "in USD" in msg and "[rates] convert = true" in msg
    seen: list[tuple[float, str]] = []

    def convert(value: float, currency: str, where: str) -> float:
        seen.append((value, currency))
        return value * 0.9

    assert parse_money("$5bn", unit=EUR_M, convert=convert) == pytest.approx(4500.0)
    assert seen == [(5000.0, "USD")]
    with pytest.raises(MoneyError, match="an amount names one currency"):
        parse_money("USD 5 trillion yuan", unit=EUR_M)


# ------------------------------------------------------------------------------------------------
# The shipped tables
# ------------------------------------------------------------------------------------------------


def test_the_rates_table_holds_the_published_numbers_with_their_urls() -> None:
    rates = load_rates(RATES)
    for code in ("EUR", "GBP", "JPY", "CNY"):
        assert rates.years(code) == [2012, 2013, 2014, 2015, *range(2017, 2024)], code
    # as printed by the Federal Reserve's G.5A releases (EUR and GBP in USD per unit)
    assert rates.rate("EUR", "USD", 2023, "w") == pytest.approx(1.0817, abs=1e-12)
    assert rates.rate("USD", "JPY", 2015, "w") == pytest.approx(121.05, abs=1e-12)
    assert rates.rate("USD", "CNY", 2020, "w") == pytest.approx(6.9042, abs=1e-12)
    assert rates.rate("GBP", "USD", 2012, "w") == pytest.approx(1.5853, abs=1e-12)
    assert rates.rate("EUR", "GBP", 2023, "w") == pytest.approx(1.0817 / 1.2440)
    assert all(
        url.startswith("https://federalreserve.gov/releases/g5a/") for url in rates.cites.values()
    )
    with pytest.raises(ScenarioError) as err:
        rates.rate("EUR", "USD", 2024, "s.toml: rates")
    assert "must hold a EUR rate for 2024" in str(err.value)
    assert "EUR years: 2012-2015, 2017-2023" in str(err.value)


def test_the_price_index_is_the_certified_cpi_u() -> None:
    cpi = load_deflator(CPI)
    assert cpi.index == {2010: 653.198, 2014: 709.156, 2017: 734.269, 2020: 775.284, 2022: 876.664}
    # 2014 dollars in 2022 prices, and back
    up = cpi.factor(None, 2022, 2014, "w")
    assert up == pytest.approx(876.664 / 709.156)
    assert cpi.factor(2022, None, 2014, "w") * up == pytest.approx(1.0)
    with pytest.raises(ScenarioError, match="must hold 2016"):
        cpi.factor(None, 2022, 2016, "s.toml: prices")


def test_conversions_state_what_they_did() -> None:
    deflator = Deflator({2020: 100.0, 2021: 105.0}, "test index", "inline")
    conv = Conversions(
        unit=Unit("USD", 9, 2020),
        rate_year=2020,
        rates_loader=lambda: load_rates(RATES),
        deflator_loader=lambda: deflator,
    )
    f = conv.factors([2020, 2021], Unit("EUR", 6), what="history", where="w")
    assert f == pytest.approx([1.141e-3, 1.141e-3 * 100 / 105])
    (note,) = conv.notes
    assert note.startswith("history: EUR million to USD billion, 2020 prices: scale x0.001")
    assert "1 EUR = 1.141 USD (2020 average" in note and "current prices to 2020 prices" in note


# ------------------------------------------------------------------------------------------------
# Scenarios in other units
# ------------------------------------------------------------------------------------------------


def _scenario(tmp: Path, doc: dict[str, Any], name: str = "scenario.toml") -> Path:
    path = tmp / name
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


def _eur_history(tmp: Path, name: str = "history_eur.csv") -> Path:
    rows = [(2016, 410), (2017, 455), (2018, 520), (2019, 560), (2021, 700), (2023, 910)]
    return write_csv(tmp / name, rows, header="year,value_eur_m")


def test_a_history_declares_its_unit_and_is_converted(tmp_path: Path) -> None:
    _eur_history(tmp_path)
    doc = minimal_doc("history_eur.csv")
    doc["history"] |= {"unit": "EUR million", "value_column": "value_eur_m"}
    doc["unit"] = "EUR billion"
    doc["anchors"][0]["value"] = "€2.1bn"
    doc["model"].pop("bounds")
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert sc.unit == Unit("EUR", 9)
    assert sc.history is not None and sc.history.values[-1] == pytest.approx(0.91)
    assert sc.anchors[0].value == pytest.approx(2.1)
    assert sc.conversions == (
        "history: EUR million to EUR billion: scale x0.001 (million to billion)",
    )
    summary = forecast.run_scenario(sc).summary()
    assert summary["unit"] == "EUR billion" and summary["conversions"] == list(sc.conversions)


def test_default_scenarios_state_no_conversion(tmp_path: Path) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    sc = forecast.load_scenario(_scenario(tmp_path, minimal_doc()))
    assert sc.unit == USD_BILLION and sc.conversions == () and sc.warnings == ()
    assert [f.role for f in sc.inputs] == ["scenario", "history"]  # no table read
    assert "conversions" not in forecast.run_scenario(sc).summary()


def test_currency_conversion_is_stated_with_rate_year_and_source(tmp_path: Path) -> None:
    _eur_history(tmp_path)
    doc = minimal_doc("history_eur.csv")
    doc["history"] |= {"unit": "EUR million", "value_column": "value_eur_m"}
    doc["rates"] = {"convert": True}
    doc["anchors"][0]["value"] = "€2.1bn"
    doc["model"].pop("bounds")
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert sc.history is not None
    assert sc.history.values[-1] == pytest.approx(0.91 * 1.0817)
    assert sc.anchors[0].value == pytest.approx(2.1 * 1.0817)
    hist, anchor = sc.conversions
    assert "1 EUR = 1.0817 USD (2023 average; data/rates/fed_g5a_annual.csv" in hist
    assert "g5a/20240201" in hist and "anchors[0].value: EUR amount converted" in anchor
    assert [f.role for f in sc.inputs][-1] == "rates"
    # each-year basis: every year at its own average rate
    doc["rates"] = {"convert": True, "basis": "each-year", "year": 2023}
    doc["history"] |= {"start": 2017, "end": 2021}
    sc2 = forecast.load_scenario(_scenario(tmp_path, doc, "each.toml"))
    assert sc2.history is not None
    assert sc2.history.values[0] == pytest.approx(0.455 * 1.1301)  # 2017's average rate
    assert sc2.history.values[-1] == pytest.approx(0.7 * 1.1830)  # 2021's
    assert "at each year's average rate (2017-2019, 2021;" in sc2.conversions[0]
    doc["history"] |= {"start": 2016}
    with pytest.raises(ScenarioError, match="must hold a EUR rate for 2016"):
        forecast.load_scenario(_scenario(tmp_path, doc, "each.toml"))


def test_inline_rates_extend_the_table_and_must_cite_a_source(tmp_path: Path) -> None:
    write_csv(tmp_path / "h.csv", [(2022, 10), (2023, 12), (2024, 15)], header="year,value")
    doc = minimal_doc("h.csv")
    doc["history"] |= {"unit": "EUR billion", "value_column": "value"}
    doc["model"].pop("bounds")
    doc["anchors"][0]["value"] = "$40bn"
    doc["rates"] = {"usd_per_unit": {"EUR": {"2024": 1.0824}}}
    with pytest.raises(
        ScenarioError, match=r"rates\.source: rates written in the scenario must cite"
    ):
        forecast.load_scenario(_scenario(tmp_path, doc))
    doc["rates"]["source"] = "ECB reference rate, 2024 average"
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert sc.history is not None and sc.history.values[-1] == pytest.approx(15 * 1.0824)
    assert "ECB reference rate, 2024 average" in sc.conversions[0]


def test_real_prices_through_the_scenarios_own_index(tmp_path: Path) -> None:
    write_csv(tmp_path / "h.csv", [(2020, 100), (2021, 110), (2022, 125)], header="year,value")
    doc = minimal_doc("h.csv")
    doc["history"] |= {"unit": "USD billion", "value_column": "value"}
    doc["unit"] = "USD billion, 2020 prices"
    doc["prices"] = {"index": {"2020": 100, "2021": 104.7, "2022": 113.1}, "source": "test"}
    doc["model"].pop("bounds")
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert sc.history is not None
    assert sc.history.values == pytest.approx([100, 110 * 100 / 104.7, 125 * 100 / 113.1])
    assert "current prices to 2020 prices by price index" in sc.conversions[0]


def test_a_euro_series_deflated_by_the_us_index_is_warned(tmp_path: Path) -> None:
    write_csv(tmp_path / "h.csv", [(2014, 100), (2017, 110), (2020, 125)], header="year,value")
    doc = minimal_doc("h.csv")
    doc["history"] |= {"unit": "EUR billion", "value_column": "value"}
    doc["unit"] = "EUR billion, 2020 prices"
    doc["model"] = {"family": "exponential"}
    doc["anchors"][0]["value"] = "€200bn"
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert any("deflated by the US CPI-U" in w for w in sc.warnings)
    assert [f.role for f in sc.inputs][-1] == "prices"


def test_money_strings_in_another_currency_need_leave(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    doc = minimal_doc()
    doc["anchors"][0]["value"] = "€1.5 trillion"
    res = run_cli("validate", str(_scenario(tmp_path, doc)))
    assert_user_error(
        res, "anchors[0].value: amounts must be in USD (the scenario's unit, USD billion)"
    )
    assert "[rates] convert = true" in res.err


# ------------------------------------------------------------------------------------------------
# Consistency checks
# ------------------------------------------------------------------------------------------------


def test_a_soft_anchor_in_a_history_year_may_differ_within_its_tolerance(tmp_path: Path) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    doc = minimal_doc()
    doc["anchors"].append(
        {"year": 2022, "value": "140 billion", "kind": "soft", "tolerance": "5%", "source": "t"}
    )
    forecast.load_scenario(_scenario(tmp_path, doc))  # +2.5%: fine
    doc["anchors"][1]["value"] = "150 billion"
    with pytest.raises(ScenarioError) as err:
        forecast.load_scenario(_scenario(tmp_path, doc))
    msg = str(err.value)
    assert "anchors[1].value: an anchor in a history year must agree" in msg
    assert "($137B in 2022) within 5% (its tolerance); got $150B, +9.8%" in msg


def test_a_unit_slip_is_named_in_one_warning(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    # a history in millions read as billions: the anchor looks like a collapse
    write_csv(tmp_path / "history.csv", [(2020, 1200), (2022, 2400), (2024, 4100)])
    doc = minimal_doc()
    doc["anchors"][0]["value"] = "6.1 billion"
    doc["model"] = {"family": "exponential"}
    res = run_cli("validate", str(_scenario(tmp_path, doc)))
    assert res.code == 0 and res.err == ""
    (warning,) = [line for line in res.out.splitlines() if "warning" in line]
    assert "anchors[0]: $6.1B in 2030 implies -66.2%/yr" in warning
    assert "about 1/1,000 the last history value: a million/billion slip?" in warning
    doc["anchors"][0] |= {"year": 2026, "value": "4,500 trillion"}  # the other way round
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert "about 1,000x the last history value: a million/billion slip?" in sc.warnings[0]


# ------------------------------------------------------------------------------------------------
# Excel
# ------------------------------------------------------------------------------------------------


def _workbook(path: Path, rows: list[list[Any]], *, title: str = "", sheet: str = "Data") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    if title:
        ws.append([title])
        ws.append([])
    for row in rows:
        ws.append(row)
    wb.create_sheet("Notes")
    wb.save(path)
    return path


def test_a_history_from_a_workbook(tmp_path: Path) -> None:
    book = _workbook(
        tmp_path / "h.xlsx",
        [["year", "value_eur_m", "note"], [2020, 410.5, "a"], [2021, 455, None], [], [2022, "520"]],
        title="Widgets, EUR million",
    )
    s = forecast.load_series(book, value_column="value_eur_m", sheet="Data", header_row=3)
    assert s.years.tolist() == [2020, 2021, 2022] and s.values.tolist() == [410.5, 455, 520]
    assert s.titles == ("Widgets, EUR million",) and len(s.sha256) == 64
    _eur_history(tmp_path)  # the same history as a CSV gives the same series
    doc = minimal_doc("h.xlsx")
    doc["history"] |= {
        "unit": "EUR million",
        "value_column": "value_eur_m",
        "sheet": "Data",
        "header_row": 3,
    }
    doc["unit"] = "EUR million"
    doc["anchors"][0]["value"] = "€900M"
    doc["model"] = {"family": "exponential"}
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    assert sc.history is not None and sc.history.values.tolist() == [410.5, 455, 520]
    assert sc.inputs[1].role == "history" and sc.inputs[1].path == "h.xlsx"


def test_workbook_errors_name_the_sheet_and_the_cell(tmp_path: Path) -> None:
    book = _workbook(
        tmp_path / "h.xlsx",
        [["year", "value"], [2020, 410.5], [2021, "=B2*1.1"], [2022, "n/a"]],
    )

    def load(**kw: Any) -> None:
        forecast.load_series(book, **{"value_column": "value", "sheet": "Data", **kw})

    with pytest.raises(
        DataError,
        match=r"sheet 'Data', cell B3: must be a finite number \(no empty cells\) \(a formula",
    ):
        load()
    with pytest.raises(
        DataError, match="sheet 'Sheet1' must exist in the workbook; got sheets 'Data', 'Notes'"
    ):
        load(sheet="Sheet1")
    with pytest.raises(DataError, match="has 2 sheets; name the one to read"):
        load(sheet=None)
    with pytest.raises(
        DataError, match="row 9: the header row must name the columns; got an empty row"
    ):
        load(header_row=9)
    (tmp_path / "fake.xlsx").write_text("year,value\n2020,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"must be an \.xlsx workbook"):
        forecast.load_series(tmp_path / "fake.xlsx", value_column="value")
    with pytest.raises(DataError, match="sheet applies to Excel workbooks"):
        forecast.load_series(DATA / "history" / "global_ai_gvr.csv", sheet="Data")


def test_a_workbook_cell_that_is_not_a_number(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "h.xlsx", [["year", "value"], [2020, 410.5], [2021, "n/a"]])
    with pytest.raises(
        DataError, match=r"h.xlsx: sheet 'Data', cell B3: must be a number .*got 'n/a'"
    ):
        forecast.load_series(book, value_column="value", sheet="Data")


def test_a_workbook_title_that_says_another_unit_is_refused(tmp_path: Path) -> None:
    _workbook(
        tmp_path / "h.xlsx",
        [["year", "value"], [2020, 410], [2021, 455], [2022, 520]],
        title="Widgets (USD million)",
    )
    doc = minimal_doc("h.xlsx")
    doc["history"] |= {
        "unit": "EUR million",
        "value_column": "value",
        "sheet": "Data",
        "header_row": 3,
    }
    doc["unit"] = "EUR million"
    doc["model"].pop("bounds")
    doc["anchors"][0]["value"] = "€900M"
    with pytest.raises(
        ScenarioError, match="the title cell 'Widgets \\(USD million\\)' says USD million"
    ):
        forecast.load_scenario(_scenario(tmp_path, doc))


# ------------------------------------------------------------------------------------------------
# User estimate files
# ------------------------------------------------------------------------------------------------

_USER_ESTIMATES = (
    "id,publisher,title,definition,year,value_eur_m,url\n"
    "acme-2030,Acme,Widget outlook,widgets,2030,1570000,https://example.org/acme\n"
    "bco-2030,B&Co,Widgets to 2030,widgets,2030,1800000,https://example.org/bco\n"
)


def test_a_users_estimates_without_optional_columns_run_with_the_report(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    """Was: validate passed, then run failed with KeyError: ['kind', 'confidence']."""
    rows = [(2020, 62350), (2022, 136550), (2024, 279220), (2025, 390900)]
    write_csv(tmp_path / "history_eur.csv", rows, header="year,value_eur_m")
    (tmp_path / "est.csv").write_text(_USER_ESTIMATES, encoding="utf-8")
    doc = minimal_doc("history_eur.csv")
    doc["unit"] = "EUR million"
    doc["estimates"] = {"file": "est.csv", "unit": "EUR million", "value_column": "value_eur_m"}
    doc["history"] |= {"unit": "EUR million", "value_column": "value_eur_m"}
    doc["anchors"] = [{"estimate": "acme-2030"}]
    doc["model"] = {"family": "exponential"}
    doc["projection"]["horizon"] = 2031
    path = _scenario(tmp_path, doc)
    assert run_cli("validate", str(path)).code == 0
    res = run_cli("run", str(path), "--out", str(tmp_path / "out"))
    assert res.code == 0, res.err
    folder = tmp_path / "out" / "mini"
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "Every amount is in EUR million." in report
    assert "€1.57T in 2030" in report and "$" not in report.split("## Provenance")[0]
    svg = (folder / "charts" / "estimates.svg").read_text(encoding="utf-8")
    assert "published estimates in est.csv" in svg and "Market size (EUR, log scale)" in svg
    assert "ai_market_estimates" not in svg
    fan = (folder / "charts" / "fan.svg").read_text(encoding="utf-8")
    assert "Market size (EUR)" in fan and "€" in fan
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["unit"] == "EUR million"
    csv = (folder / "projection.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("scenario,unit,year,mean") and ",EUR million," in csv[1]
    assert summary["anchors"][0]["value_usd_bn"] == 1570000.0  # the key kept, in the unit


def test_an_estimates_file_is_checked_at_validate(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    (tmp_path / "est.csv").write_text(
        "id,publisher,title,definition,year,value_usd_bn,url,kind\n"
        "x-2030,X,X report,m,2030,1500,https://example.org,guess\n",
        encoding="utf-8",
    )
    doc = minimal_doc() | {"estimates": "est.csv"}
    res = run_cli("validate", str(_scenario(tmp_path, doc)))
    assert_user_error(
        res,
        "row 2, column 'kind': must be one of actual, estimate, forecast (or empty); got 'guess'",
    )


def test_definition_labels_cover_the_semiconductor_keys() -> None:
    assert DEFINITION_LABELS["semiconductor_market"] == "worldwide semiconductor sales"
    assert definition_label("semi_equipment_billings") == "semiconductor equipment billings"
    assert definition_label("my_own-market") == "my own market"  # a readable fallback


# ------------------------------------------------------------------------------------------------
# Scenario-file friction
# ------------------------------------------------------------------------------------------------


def test_description_is_optional(tmp_path: Path) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    doc = minimal_doc()
    del doc["description"]
    assert forecast.load_scenario(_scenario(tmp_path, doc)).description == ""


def test_bounds_clears_inherited_bounds(tmp_path: Path) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    _scenario(tmp_path, minimal_doc(), "parent.toml")
    child = {"extends": "parent.toml", "name": "child", "model": {"bounds": {}}}
    sc = forecast.load_scenario(_scenario(tmp_path, child, "child.toml"))
    assert sc.model.bounds == {}  # type: ignore[union-attr]
    child["model"] = {"bounds": {"K": []}}
    with pytest.raises(ScenarioError) as err:
        forecast.load_scenario(_scenario(tmp_path, child, "child.toml"))
    assert str(err.value).startswith(str(tmp_path / "child.toml"))  # the child's key, named
    assert "model.bounds.K: must be a pair [low, high] (2 items); got []" in str(err.value)


# one bad value for every constraint the schema checks: the toolkit's sentence, never pydantic's
SCHEMA_CASES = [
    (
        {"projection": {"horizon": 2035, "draws": 5}},
        "projection.draws: must be greater than or equal to 100; got 5",
    ),
    ({"projection": {"horizon": 2035, "draws": 10**7}}, "less than or equal to 1000000"),
    (
        {"projection": {"horizon": 2035, "seed": -1}},
        "projection.seed: must be greater than or equal to 0",
    ),
    ({"projection": {"horizon": 2035.5}}, "projection.horizon: must be a whole number; got 2035.5"),
    (
        {"anchors": [{"year": 2030, "value": "1T", "source": "s", "kind": "firm"}]},
        "anchors[0].kind: must be 'hard' or 'soft'; got 'firm'",
    ),
    (
        {"anchors": [{"year": 2030, "value": [1], "source": "s"}]},
        "anchors[0].value: must be a string or a number; got [1]",
    ),
    ({"model": {"bounds": {"K": ["1T", "2T", "3T"]}}}, "must be a pair [low, high] (2 items)"),
    ({"model": "logistic"}, "model: must be a table; got 'logistic'"),
    ({"simulation": {"layers": []}}, "simulation.layers: must hold at least 1 item(s); got []"),
    (
        {"simulation": {"layers": ["fits"]}},
        "simulation.layers[0]: must be 'fit', 'assumptions' or 'noise'",
    ),
    ({"rates": {"basis": "daily"}}, "rates.basis: must be 'year' or 'each-year'; got 'daily'"),
    ({"rates": {"year": 1800}}, "rates.year: must be greater than or equal to 1900"),
    ({"rates": {"convert": "yes"}}, "rates.convert: must be true or false; got 'yes'"),
    ({"estimates": [1]}, "estimates: must be a string or a table; got [1]"),
    (
        {"segments": [{"name": "a", "share": "x", "source": "s"}]},
        "segments[0].share: must be a number or a table; got 'x'",
    ),
    (
        {"history": {"file": "history.csv", "header_row": 0}},
        "history.header_row: must be greater than or equal to 1",
    ),
    (
        {"history": {"file": "history.csv", "filter": {"a": {"b": 1}}}},
        "history.filter.a: must be a string or a number or true or false or a list",
    ),
    ({"unit": 5}, "unit: must be a string; got 5"),
]


@pytest.mark.parametrize(("change", "fragment"), SCHEMA_CASES)
def test_schema_errors_are_the_toolkits_own(
    tmp_path: Path, change: dict[str, Any], fragment: str
) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    doc = minimal_doc() | change
    with pytest.raises(ForecastError) as err:
        forecast.load_scenario(_scenario(tmp_path, doc))
    msg = str(err.value)
    assert fragment in msg, msg
    for leak in ("should", "Input", "validation", "type=", "pydantic"):
        assert leak not in msg, msg


# ------------------------------------------------------------------------------------------------
# backtest
# ------------------------------------------------------------------------------------------------


def test_backtest_picks_a_horizon_a_short_history_allows(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    data = write_csv(
        tmp_path / "six.csv", [(2018 + i, 10 * 1.2**i) for i in range(6)], "year,value"
    )
    res = run_cli("backtest", str(data), "--windows", "1", "--models", "naive,drift")
    assert res.code == 0, res.err
    assert (
        "h = 3, 1 window(s)" in res.out and "note: h = 3: the longest series has 6 years" in res.out
    )
    res = run_cli("backtest", str(data), "--h", "6", "--models", "naive")
    assert_user_error(res, "got at most 6 (h = 3 would work with one window)")
    res = run_cli("backtest", str(data), "--value-column", "sales")
    assert_user_error(res, "--year-column and --value-column name other columns")


# ------------------------------------------------------------------------------------------------
# The claims audit
# ------------------------------------------------------------------------------------------------


def test_audit_converts_a_euro_claim_through_the_rates_table_when_asked(
    run_cli: Callable[..., Result],
) -> None:
    args = ("audit", "--value", "€1.5 trillion", "--year", "2030", "--market", "global AI")
    assert_user_error(run_cli(*args), "(or pass --convert to use the rates table)")
    res = run_cli(*args, "--convert", "--json")
    assert res.code == 0, res.err
    audit = json.loads(res.out)
    assert audit["claim"]["value_usd_bn"] == pytest.approx(1500 * 1.0817)
    assert "converted at 1 EUR = 1.0817 USD (2023 average" in audit["claim"]["source"]
    res = run_cli(*args, "--convert", "--rate-year", "2016")
    assert_user_error(res, "--rate-year: the rates table must hold a EUR rate for 2016")


def test_a_users_estimates_are_shown_without_an_anchor_citing_them(tmp_path: Path) -> None:
    from forecast.audit.evidence import estimates_file_label, market_definition, scenario_estimates

    _eur_history(tmp_path)
    (tmp_path / "est.csv").write_text(_USER_ESTIMATES, encoding="utf-8")
    doc = minimal_doc("history_eur.csv")
    doc["unit"] = "USD billion"
    doc["rates"] = {"year": 2023}
    doc["estimates"] = {"file": "est.csv", "unit": "EUR million", "value_column": "value_eur_m"}
    doc["history"] |= {"unit": "EUR million", "value_column": "value_eur_m"}
    doc["anchors"] = []
    doc["model"] = {"family": "exponential"}
    sc = forecast.load_scenario(_scenario(tmp_path, doc))
    frame = scenario_estimates(sc)
    assert market_definition(sc, frame) == "widgets"  # the file's one market
    assert frame["value_usd_bn"].tolist() == pytest.approx([1570 * 1.0817, 1800 * 1.0817])
    assert estimates_file_label(sc) == "est.csv"
    assert any(
        n.startswith("published estimates: EUR million to USD billion") for n in sc.conversions
    )


def test_a_report_compares_scenarios_of_one_unit_only(
    tmp_path: Path, run_cli: Callable[..., Result]
) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    usd = _scenario(tmp_path, minimal_doc(), "usd.toml")
    eur_doc = minimal_doc() | {"name": "eur", "unit": "EUR billion"}
    eur_doc["history"]["unit"] = "USD billion"
    eur_doc["rates"] = {"year": 2023, "convert": True}
    eur = _scenario(tmp_path, eur_doc, "eur.toml")
    res = run_cli("report", str(usd), str(eur), "--out", str(tmp_path / "out"))
    assert_user_error(
        res, "report: scenarios compared must share one unit; got USD billion (mini) and EUR "
    )
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------------------------
# Bad tables of one's own
# ------------------------------------------------------------------------------------------------

_RATES_HEAD = "year,currency,rate,quote\n"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("year,currency,rate\n2020,EUR,1.1\n", "must have the columns year, currency, rate, quote"),
        (_RATES_HEAD + "20x0,EUR,1.1,USD per unit\n", "column 'year': must be a four-digit year"),
        (_RATES_HEAD + "2020,EUX,1.1,USD per unit\n", "must be an ISO 4217 code such as EUR"),
        (_RATES_HEAD + "2020,EUR,0,USD per unit\n", "a rate must be positive; got '0'"),
        (_RATES_HEAD + "2020,EUR,1.1,per dollar\n", "must be 'units per USD' or 'USD per unit'"),
        (
            _RATES_HEAD + "2020,EUR,1.1,USD per unit\n2020,EUR,1.2,USD per unit\n",
            "one rate per currency and year; got EUR 2020 twice",
        ),
    ],
)
def test_a_bad_rates_file_is_one_line(tmp_path: Path, body: str, fragment: str) -> None:
    (tmp_path / "r.csv").write_text(body, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_rates(tmp_path / "r.csv")
    assert fragment in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("year,value\n2020,100\n", "must have year and index columns; got no 'index'"),
        ("year,index\n2020,-1\n", "column 'index': must be positive"),
        ("year,index\n2020,100\n2020,101\n", "years must not repeat; got 2020 twice"),
    ],
)
def test_a_bad_price_index_file_is_one_line(tmp_path: Path, body: str, fragment: str) -> None:
    (tmp_path / "p.csv").write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=fragment):
        load_deflator(tmp_path / "p.csv")


@pytest.mark.parametrize(
    ("rates", "prices", "fragment"),
    [
        ({"usd_per_unit": {"eur": {"2020": 1.1}}}, {}, "must be an ISO 4217 code in capitals"),
        ({"usd_per_unit": {"EUR": {"20": 1.1}}}, {}, "keys: must be a four-digit year"),
        ({"usd_per_unit": {"EUR": {"2020": -1}}}, {}, "a rate must be positive"),
        (
            {"usd_per_unit": {"EUR": {"2020": 1.1}}, "units_per_usd": {"EUR": {"2020": 0.9}}},
            {},
            "one rate per currency and year",
        ),
        ({}, {"index": {"2020": 100}}, "prices.source: a price index written in the scenario"),
        ({}, {"index": {"20": 100}, "source": "s"}, "prices.index: keys must be four-digit years"),
        ({}, {"index": {"2020": 0}, "source": "s"}, "prices.index.2020: must be a positive"),
        ({}, {"index": {"2020": 1}, "file": "p.csv", "source": "s"}, "as a file or inline"),
    ],
)
def test_rates_and_prices_in_the_scenario_are_checked_at_validate(
    tmp_path: Path, rates: dict[str, Any], prices: dict[str, Any], fragment: str
) -> None:
    write_csv(tmp_path / "history.csv", [(2020, 62.35), (2022, 136.55), (2024, 279.22)])
    doc = minimal_doc()
    if rates:
        doc["rates"] = {"source": "test", **rates}
    if prices:
        doc["prices"] = prices
    with pytest.raises(ScenarioError) as err:
        forecast.load_scenario(_scenario(tmp_path, doc))
    assert fragment in str(err.value), str(err.value)


def test_a_workbook_that_unpacks_too_large_or_is_no_zip(tmp_path: Path) -> None:
    from forecast.data import read_workbook
    from forecast.readpolicy import ReadPolicy

    book = _workbook(tmp_path / "h.xlsx", [["year", "value"], [2020, 1.0]])
    with pytest.raises(DataError, match="must unpack to at most"):
        read_workbook(book, policy=ReadPolicy(max_bytes=book.stat().st_size + 10))
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    with pytest.raises(DataError, match=r"must be a readable \.xlsx workbook"):
        read_workbook(tmp_path / "broken.xlsx")
