"""The docs' scenario-file reference is generated from the schema: every key of every table,
with its type, default and the description written under the field."""

from __future__ import annotations

import importlib.util
from types import ModuleType

import pytest

from conftest import REPO
from forecast.scenario import schema as scenario


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "scenario_reference", REPO / "docs" / "scenario_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_lists_every_key_with_type_default_and_description() -> None:
    text = _generator().markdown()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Top level {#toplevel}"
    assert (
        "## `[[anchors]]` {#anchors}" in headings and "## `[projection]` {#projection}" in headings
    )
    assert "| `horizon` | integer | required | Last projected year. |" in text
    assert '| `kind` | one of `"hard"`, `"soft"` | `"hard"` |' in text
    assert (
        "| `history` | table, see [`[history]`](#history) |  | The market's reported history. |"
        in text
    )
    for model in (scenario.ScenarioDoc, scenario.ProjectionDoc, scenario.SimulationDoc):
        for name in model.model_fields:
            assert f"| `{name}` |" in text, name


def test_an_undescribed_field_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    docs = gen.field_docs()
    del docs["ProjectionDoc"]["seed"]
    monkeypatch.setattr(gen, "field_docs", lambda: docs)
    with pytest.raises(RuntimeError, match=r"missing: ProjectionDoc\.seed$"):
        gen.markdown()
