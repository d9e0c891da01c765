"""summary.json's shape is the Summary type (forecast.summary_types), key for key, for every
kind of result: a growth curve, a statistical model, segments with histories, a scenario in
another currency. mypy checks the code that reads a summary against the type; this checks the
summary that is written against the same type, so the two cannot drift apart."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints, is_typeddict

import pytest

from conftest import REPO
from forecast.projection import run_scenario
from forecast.summary_types import Summary

SCEN = REPO / "scenarios"


def _check(value: Any, hint: Any, where: str) -> None:
    """``value`` against ``hint``: TypedDicts key for key (required present, nothing extra),
    lists item by item, ``X | None`` either; other types are not checked (numbers, text)."""
    if is_typeddict(hint):
        assert isinstance(value, dict), where
        hints = get_type_hints(hint)
        required, optional = hint.__required_keys__, hint.__optional_keys__
        assert set(value) >= required, f"{where}: missing {sorted(required - set(value))}"
        assert set(value) <= required | optional, (
            f"{where}: not in the type {sorted(set(value) - required - optional)}"
        )
        for key, v in value.items():
            _check(v, hints[key], f"{where}.{key}")
        return
    origin = get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in get_args(hint) if a is not type(None)]
        if value is None:
            assert type(None) in get_args(hint), f"{where}: None where the type has no None"
            return
        for option in options:
            try:
                _check(value, option, where)
                return
            except AssertionError:
                continue
        raise AssertionError(f"{where}: {value!r} fits none of {options}")
    if origin is list:
        assert isinstance(value, list), where
        (item,) = get_args(hint)
        for i, v in enumerate(value):
            _check(v, item, f"{where}[{i}]")
        return
    if origin is dict:
        assert isinstance(value, dict), where


def test_the_check_can_fail() -> None:
    from forecast.summary_types import StartGap

    with pytest.raises(AssertionError, match="missing"):
        _check({"year": 2024}, StartGap, "gap")
    with pytest.raises(AssertionError, match="not in the type"):
        _check({"year": 1, "actual_usd_bn": 1.0, "fitted_usd_bn": 1.0, "gap_pct": 0.0, "x": 1},
               StartGap, "gap")  # fmt: skip


@pytest.mark.parametrize(
    "scenario",
    [
        "global-ai-2030.toml",
        "semiconductor-equipment-regions.toml",
        "semiconductors-2030.toml",
    ],
)
def test_bundled_summaries_have_the_summary_type(scenario: str) -> None:
    _check(run_scenario(SCEN / scenario).summary(), Summary, scenario)


def test_statistical_and_converted_summaries_have_the_summary_type(tmp_path: Path) -> None:
    auto = tmp_path / "auto.toml"
    auto.write_text(
        f'extends = "{(SCEN / "global-ai-history-only.toml").as_posix()}"\n'
        'name = "auto"\n[model]\nfamily = "auto"\n[simulation]\n',
        encoding="utf-8",
    )
    s = run_scenario(auto).summary()
    assert s["model"]["kind"] == "statistical"
    _check(s, Summary, "auto")

    hist = tmp_path / "h.csv"
    hist.write_text("year,value_eur_bn\n2020,10\n2021,12\n2022,14.5\n2023,17\n", encoding="utf-8")
    eur = tmp_path / "eur.toml"
    eur.write_text(
        'name = "eur"\ntitle = "A market kept in euros, projected in dollars"\n'
        'unit = "USD billion"\n'
        '[history]\nfile = "h.csv"\nvalue_column = "value_eur_bn"\nunit = "EUR billion"\n'
        'source = "made up"\n[model]\nfamily = "exponential"\n[projection]\nhorizon = 2028\n',
        encoding="utf-8",
    )
    s = run_scenario(eur).summary()
    assert "conversions" in s
    _check(s, Summary, "eur")
