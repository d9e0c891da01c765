"""The error family: one-line messages by construction, the message shape and near misses."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import Result, Workspace, assert_user_error
from forecast.errors import (
    DataError,
    FitError,
    ForecastError,
    MoneyError,
    OutputError,
    ScenarioError,
    message,
    near_miss,
    one_line,
)


@pytest.mark.parametrize("cls", [ForecastError, ScenarioError, DataError, MoneyError, FitError])
@pytest.mark.parametrize("brk", ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"])
def test_messages_are_one_line_whatever_the_input(cls: type[ForecastError], brk: str) -> None:
    exc = cls(f"x.toml: model.bounds.a{brk}b: must be a list; got 0")
    assert len(str(exc).splitlines()) == 1
    assert repr(brk)[1:-1] in str(exc)  # shown, not dropped: the user can find the key


def test_one_line_leaves_ordinary_text_alone() -> None:
    text = "anchors[0].value: unknown scale word 'trilion'; got 'x'; did you mean 'trillion'?"
    assert one_line(text) == text
    assert one_line("tab\tstays") == "tab\tstays"


def test_money_error_is_also_a_value_error() -> None:
    assert issubclass(MoneyError, ValueError)
    assert OutputError("x").exit_code == 2


def test_message_shape_and_near_miss() -> None:
    assert message(
        "model.family", "unknown family", "logistik", near_miss("logistik", ["logistic"])
    ) == ("model.family: unknown family; got 'logistik'; did you mean 'logistic'?")
    assert near_miss("zzz", ["logistic", "linear"]) == ""
    assert near_miss("LOGISTIK", ["logistic"]) == "; did you mean 'logistic'?"


def test_key_with_a_line_break_gives_one_stderr_line(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    """Found by the property tests: a TOML key holding a carriage return (``"\\r" = 0`` under
    ``[model.bounds]``) split the CLI's error over two lines."""
    doc = ws.doc()
    doc["model"]["bounds"] = {"\r": 0}
    path = ws.write(doc)
    for argv in (("validate", path), ("run", path, "--out", ws.out)):
        line = assert_user_error(run_cli(*argv), "must be a list")
        assert "\\r" in line
