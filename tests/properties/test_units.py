"""Units round trips in scenarios: a history in another scale, currency or price basis gives the
same projection once converted (scale exactly, currency times the rate, prices through the index
and back). Money strings in every unit: tests/properties/test_text.py."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast.conversion import Conversions, Deflator
from forecast.units import Unit

from .conftest import examples

COLUMNS = ("mean", "median", "lo-80", "hi-80", "lo-95", "hi-95")


# ------------------------------------------------------------------------------------------------
# Scenarios: the same market in another unit
# ------------------------------------------------------------------------------------------------

PATHS = st.tuples(
    st.floats(min_value=5.0, max_value=500.0),  # first value, in billions
    st.floats(min_value=0.03, max_value=0.4),  # yearly growth
    st.lists(st.floats(min_value=-0.05, max_value=0.05), min_size=6, max_size=6),  # noise
)


def _history(first: float, growth: float, noise: list[float]) -> list[tuple[int, float]]:
    return [(2016 + i, first * (1 + growth) ** i * math.exp(e)) for i, e in enumerate(noise)]


def _run(folder: Path, name: str, doc: dict[str, Any], rows: list[tuple[int, float]]) -> Any:
    csv = folder / f"{name}.csv"
    csv.write_text("year,value\n" + "".join(f"{y},{v!r}\n" for y, v in rows), encoding="utf-8")
    lines = [f'name = "{name}"']
    for key in ("unit",):
        if key in doc:
            lines.append(f'{key} = "{doc[key]}"')
    lines += ["[history]", f'file = "{csv.name}"', 'value_column = "value"']
    lines.append(f'unit = "{doc["history_unit"]}"')
    if "rates" in doc:
        lines += ["[rates]", *doc["rates"]]
    if "prices" in doc:
        lines += ["[prices]", *doc["prices"]]
    lines += [
        "[[anchors]]",
        "year = 2026",
        f'value = "{doc["anchor"]}"',
        'source = "test"',
        "[model]",
        'family = "exponential"',
        "[projection]",
        "horizon = 2028",
        "draws = 100",
        "seed = 11",
    ]
    (folder / f"{name}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = forecast.run_scenario(folder / f"{name}.toml")
    return res.projection[list(COLUMNS)].to_numpy(dtype=float)


@settings(max_examples=examples(0.1))
@given(PATHS)
def test_a_history_in_millions_or_billions_gives_one_projection(
    tmp_path_factory: Any, path: tuple[float, float, list[float]]
) -> None:
    folder = tmp_path_factory.mktemp("scale")
    rows = _history(*path)
    anchor = f"{rows[-1][1] * 1.5!r} billion USD"
    billions = _run(folder, "b", {"history_unit": "USD billion", "anchor": anchor}, rows)
    millions = _run(
        folder,
        "m",
        {"history_unit": "USD million", "anchor": anchor},
        [(y, v * 1000) for y, v in rows],
    )
    np.testing.assert_allclose(millions, billions, rtol=1e-9)


@settings(max_examples=examples(0.1))
@given(PATHS, st.floats(min_value=0.5, max_value=2.0))
def test_eur_through_the_rates_table_is_the_usd_projection_times_the_rate(
    tmp_path_factory: Any, path: tuple[float, float, list[float]], usd_per_eur: float
) -> None:
    folder = tmp_path_factory.mktemp("fx")
    rows = _history(*path)
    anchor = f"{rows[-1][1] * 1.5!r} billion USD"
    usd = _run(folder, "usd", {"history_unit": "USD billion", "anchor": anchor}, rows)
    rates = [
        "convert = true",
        f"usd_per_unit = {{ EUR = {{ 2021 = {usd_per_eur!r} }} }}",
        'source = "test rate"',
    ]
    eur = _run(
        folder,
        "eur",
        {"unit": "EUR billion", "history_unit": "USD billion", "anchor": anchor, "rates": rates},
        rows,
    )
    np.testing.assert_allclose(eur, usd / usd_per_eur, rtol=1e-9)


@settings(max_examples=examples(0.1))
@given(PATHS, st.lists(st.floats(min_value=80.0, max_value=130.0), min_size=6, max_size=6))
def test_real_and_nominal_round_trip_through_the_index(
    tmp_path_factory: Any, path: tuple[float, float, list[float]], index: list[float]
) -> None:
    """A nominal history in a real-price scenario gives the projection of the same history
    deflated by hand; and the factors there and back multiply to one."""
    folder = tmp_path_factory.mktemp("prices")
    rows = _history(*path)
    table = {2016 + i: x for i, x in enumerate(index)}
    prices = [
        "index = { " + ", ".join(f'"{y}" = {x!r}' for y, x in table.items()) + " }",
        'source = "test index"',
    ]
    anchor = f"{rows[-1][1] * 1.5!r} billion USD"
    real = {"unit": "USD billion, 2018 prices", "anchor": anchor, "prices": prices}
    from_nominal = _run(folder, "n", {**real, "history_unit": "USD billion"}, rows)
    by_hand = [(y, v * table[2018] / table[y]) for y, v in rows]
    from_real = _run(folder, "r", {**real, "history_unit": "USD billion, 2018 prices"}, by_hand)
    np.testing.assert_allclose(from_nominal, from_real, rtol=1e-9)
    years = [y for y, _ in rows]
    deflator = Deflator(table, "test", "test")
    there = Conversions(unit=Unit(prices=2018), deflator_loader=lambda: deflator)
    back = Conversions(unit=Unit(), deflator_loader=lambda: deflator)
    f = there.factors(years, Unit(), what="h", where="w")
    g = back.factors(years, Unit(prices=2018), what="h", where="w")
    np.testing.assert_allclose(f * g, 1.0, rtol=1e-12)
