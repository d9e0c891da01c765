"""Scenario files: parsing, validation and inheritance.

Bad input is exercised through ``forecast.cli.main`` (``validate`` and ``run``), checking the
error contract: exit 2, exactly one stderr line starting ``forecast: error: ``, no traceback,
the message naming the file, the key or row, the rule and the value received, and nothing
written to ``--out``. Inheritance (``extends``) is checked through ``forecast.load_scenario``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import forecast
from conftest import (
    DEFAULT_SCENARIO,
    ESTIMATES,
    GVR_HISTORY,
    HISTORY_ROWS,
    SCENARIOS,
    Result,
    Workspace,
    assert_user_error,
    minimal_doc,
    to_toml,
    write_csv,
)
from forecast.errors import ScenarioError

Mutate = Callable[[dict[str, Any], Workspace], None]


# ------------------------------------------------------------------------------------------------
# The minimal scenario itself
# ------------------------------------------------------------------------------------------------


def test_minimal_scenario_is_valid(ws: Workspace, run_cli: Callable[..., Result]) -> None:
    path = ws.write(ws.doc())
    res = run_cli("validate", path)
    assert res.code == 0, res.err
    assert res.err == ""
    sc = forecast.load_scenario(path)
    assert sc.name == "mini"
    assert sc.title == "mini"  # defaults to the name
    assert list(sc.history.years) == [y for y, _ in HISTORY_ROWS]
    assert list(sc.history.values) == [v for _, v in HISTORY_ROWS]
    assert sc.anchors == (
        forecast.Anchor(2030, 1570.0, kind="hard", source="unsourced: test", label="2030"),
    )
    assert sc.model.family == "logistic"
    assert sc.model.error == "multiplicative"
    assert sc.model.bounds == {"K": (1600.0, 40000.0)}
    assert (sc.horizon, sc.levels, sc.draws, sc.seed) == (2035, (80.0, 95.0), 200, 7)
    assert list(sc.projection_years) == list(range(2025, 2036))


def test_to_toml_helper_round_trips() -> None:
    doc = minimal_doc()
    doc["segments"] = [{"name": "a", "share": {"2025": 0.5}, "source": "s"}]
    text = to_toml(doc)  # asserts the round trip itself
    assert "[[anchors]]" in text
    assert "[[segments]]" in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.57 trillion USD", 1570.0),
        ("$1.57T", 1570.0),
        ("1,570 billion", 1570.0),
        ("USD 1570bn", 1570.0),
    ],
)
def test_anchor_money_forms(ws: Workspace, value: str, expected: float) -> None:
    doc = ws.doc()
    doc["anchors"][0]["value"] = value
    sc = forecast.load_scenario(ws.write(doc))
    assert sc.anchors[0].value == pytest.approx(expected, rel=1e-12)


def test_soft_anchor_tolerance_parsed(ws: Workspace) -> None:
    doc = ws.doc()
    doc["anchors"][0].update(kind="soft", tolerance="15%")
    sc = forecast.load_scenario(ws.write(doc))
    assert sc.anchors[0].kind == "soft"
    assert sc.anchors[0].tolerance == pytest.approx(0.15)


def test_anchor_from_estimate_id(ws: Workspace) -> None:
    doc = ws.doc()
    doc["estimates"] = str(ESTIMATES)
    doc["anchors"] = [{"estimate": "mordor-2025ed-2030"}]
    sc = forecast.load_scenario(ws.write(doc))
    (a,) = sc.anchors
    assert (a.year, a.value) == (2030, 1910.0)
    assert "Mordor" in a.source
    roles = {f.role: f for f in sc.inputs}
    assert roles["estimates"].sha256 == hashlib.sha256(ESTIMATES.read_bytes()).hexdigest()


def test_other_definition_allowed_when_flagged(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    doc = ws.doc()
    doc["estimates"] = str(ESTIMATES)
    doc["history"]["file"] = str(GVR_HISTORY)
    doc["anchors"] = [{"estimate": "pwc-2017-2030-gdp", "allow_other_definition": True}]
    doc["model"].pop("bounds")
    res = run_cli("validate", ws.write(doc))
    assert res.code == 0, res.err
    sc = forecast.load_scenario(ws.root / "scenario.toml")
    assert sc.anchors[0].value == 15700.0


def test_constant_and_yearly_segment_shares(ws: Workspace) -> None:
    doc = ws.doc()
    doc["segments"] = [
        {"name": "a", "share": 0.25, "source": "s"},
        {"name": "b", "share": {"2025": 0.5, "2030": 0.25}, "source": "s"},
        {"name": "c", "share": {"2025": 0.25, "2030": 0.5}, "source": "s"},
    ]
    sc = forecast.load_scenario(ws.write(doc))
    years = [2020, 2025, 2027.5, 2030, 2035]
    total = sum(s.share(years) for s in sc.segments)
    assert total == pytest.approx([1.0] * 5, rel=1e-12)
    b = sc.segments[1]
    assert list(b.share(years)) == pytest.approx([0.5, 0.5, 0.375, 0.25, 0.25])


def test_history_filter_and_window(ws: Workspace) -> None:
    doc = ws.doc()
    doc["history"].update(file=str(GVR_HISTORY), filter={"kind": "actual"})
    sc = forecast.load_scenario(ws.write(doc))
    assert list(sc.history.years) == [2020, 2022, 2024]
    assert sc.history.source_ids == ("gvr-2021ed-2020", "gvr-2023ed-2022", "gvr-2025ed-2024")
    doc["history"].update(filter={}, start=2022, end=2024)
    sc = forecast.load_scenario(ws.write(doc))
    assert list(sc.history.years) == [2022, 2024]
    assert list(sc.projection_years) == list(range(2024, 2036))


def test_utf8_bom_is_accepted(ws: Workspace) -> None:
    path = ws.root / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + to_toml(ws.doc()).encode("utf-8"))
    assert forecast.load_scenario(path).name == "mini"


# ------------------------------------------------------------------------------------------------
# Bad input through the CLI: one table, one case each
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A broken scenario. ``mutate`` edits the valid minimal document (and may write files);
    ``text`` replaces the whole file instead. ``file`` is the file the message must name
    (relative to the workspace); ``fragments`` must all appear in the error line."""

    id: str
    fragments: tuple[str, ...]
    mutate: Mutate | None = None
    text: str | bytes | None = None
    file: str = "scenario.toml"


def _set(path: str, value: Any) -> Mutate:
    """Set a dotted key (``anchors.0.value``) in the document."""

    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _set_many(**values: Any) -> Mutate:
    """Set several top-level keys at once."""

    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        doc.update(values)

    return mutate


def _drop(path: str) -> Mutate:
    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        del node[last]

    return mutate


def _rename(path: str, new: str) -> Mutate:
    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for p in parents:
            node = node[int(p)] if p.isdigit() else node[p]
        node[new] = node.pop(last)

    return mutate


def _history(content: str | bytes | None) -> Mutate:
    """Point the scenario at ``bad.csv`` holding ``content`` (``None``: the file is absent)."""

    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        path = ws.root / "bad.csv"
        if content is not None:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        doc["history"]["file"] = "bad.csv"

    return mutate


def _segments(*segs: tuple[str, Any]) -> Mutate:
    return _set("segments", [{"name": n, "share": s, "source": "test"} for n, s in segs])


def _estimate(eid: str, *, gvr: bool = False, **extra: Any) -> Mutate:
    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        doc["estimates"] = str(ESTIMATES)
        doc["anchors"] = [{"estimate": eid, **extra}]
        if gvr:
            doc["history"]["file"] = str(GVR_HISTORY)

    return mutate


def _files(**files: str) -> Mutate:
    """Write extra files into the workspace (for ``extends``)."""

    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        for name, text in files.items():
            (ws.root / f"{name}.toml").write_text(text, encoding="utf-8")

    return mutate


def _both(*ms: Mutate) -> Mutate:
    def mutate(doc: dict[str, Any], ws: Workspace) -> None:
        for m in ms:
            m(doc, ws)

    return mutate


H = "year,value_usd_bn\n"
K_BOUNDS = "model.bounds.K"

BAD: list[Bad] = [
    # --- unknown or misspelt keys, top level and nested (with near-miss hints)
    Bad(
        "misspelt-description",
        ("desciption", "unknown key", "'desciption'", "did you mean 'description'"),
        _rename("description", "desciption"),
    ),
    Bad(
        "misspelt-history-file",
        ("history.fiel", "unknown key", "'fiel'", "did you mean 'file'"),
        _rename("history.file", "fiel"),
    ),
    Bad(
        "misspelt-projection-horizon",
        ("projection.horizn", "unknown key", "did you mean 'horizon'"),
        _rename("projection.horizon", "horizn"),
    ),
    Bad(
        "misspelt-model-family",
        ("model.familly", "unknown key", "did you mean 'family'"),
        _rename("model.family", "familly"),
    ),
    Bad(
        "misspelt-anchor-source",
        ("anchors[0].sorce", "unknown key", "did you mean 'source'"),
        _rename("anchors.0.source", "sorce"),
    ),
    Bad(
        "misspelt-segment-share",
        ("segments[0].shares", "unknown key", "did you mean 'share'"),
        _set("segments", [{"name": "all", "shares": 1.0, "source": "s"}]),
    ),
    Bad(
        "unknown-key-lists-allowed",
        ("zzz", "unknown key", "'zzz'", "allowed:", "description"),
        _set("zzz", 1),
    ),
    # --- wrong types
    Bad(
        "horizon-string",
        ("projection.horizon", "whole number", "'2035'"),
        _set("projection.horizon", "2035"),
    ),
    Bad(
        "horizon-float",
        ("projection.horizon", "whole number", "2035.5"),
        _set("projection.horizon", 2035.5),
    ),
    Bad(
        "levels-string",
        ("projection.levels", "list", "'80'"),
        _set("projection.levels", "80"),
    ),
    Bad(
        "levels-item-string",
        ("projection.levels[1]", "number", "'95'"),
        _set("projection.levels", [80, "95"]),
    ),
    Bad("draws-string", ("projection.draws", "'4000'"), _set("projection.draws", "4000")),
    Bad("draws-too-few", ("projection.draws", "100", "10"), _set("projection.draws", 10)),
    Bad("seed-negative", ("projection.seed", "-1"), _set("projection.seed", -1)),
    Bad("anchor-year-string", ("anchors[0].year", "'2030'"), _set("anchors.0.year", "2030")),
    Bad("anchor-value-bare-number", ("anchors[0].value", "1570"), _set("anchors.0.value", 1570)),
    Bad("anchor-kind", ("anchors[0].kind", "'hard'", "'firm'"), _set("anchors.0.kind", "firm")),
    Bad("anchors-not-list", ("anchors", "list", "'x'"), _set("anchors", "x")),
    Bad("model-not-table", ("model", "'logistic'"), _set("model", "logistic")),
    Bad(
        "model-error",
        ("model.error", "'multiplicative'", "'multiplicativ'"),
        _set("model.error", "multiplicativ"),
    ),
    Bad("unit", ("unit", "ISO 4217", "'EUX'"), _set("unit", "EUX billion")),
    # --- missing required keys
    Bad("missing-name", ("name", "required key is missing"), _drop("name")),
    Bad(
        "missing-horizon",
        ("projection.horizon", "required key is missing"),
        _drop("projection.horizon"),
    ),
    Bad("missing-projection", ("projection", "required key is missing"), _drop("projection")),
    Bad("missing-history-file", ("history.file", "required key is missing"), _drop("history.file")),
    Bad(
        "missing-segment-source",
        ("segments[0].source", "required key is missing"),
        _set("segments", [{"name": "all", "share": 1.0}]),
    ),
    Bad("empty-scenario-file", ("required key is missing",), text=""),
    Bad(
        "no-history-no-anchor",
        ("[history]", "[[anchors]]", "got neither"),
        _both(_drop("history"), _drop("anchors")),
    ),
    # --- history CSV
    Bad(
        "history-negative",
        ("row 3", "'value_usd_bn'", "positive", "'-5'"),
        _history(H + "2020,62\n2022,-5\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-zero",
        ("row 3", "'value_usd_bn'", "positive", "'0'"),
        _history(H + "2020,62\n2022,0\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-duplicate-year",
        ("row 4", "'year'", "must not repeat", "2022 twice"),
        _history(H + "2020,62\n2022,100\n2022,136\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-unsorted",
        ("row 4", "'year'", "sorted", "2022 after 2024"),
        _history(H + "2020,62\n2024,279\n2022,136\n"),
        file="bad.csv",
    ),
    Bad("history-missing", ("history file", "must exist"), _history(None), file="bad.csv"),
    Bad("history-0-bytes", ("history file", "empty"), _history(b""), file="bad.csv"),
    Bad("history-header-only", ("history file", "only a header"), _history(H), file="bad.csv"),
    Bad(
        "history-nan",
        ("row 3", "'value_usd_bn'", "finite", "'NaN'"),
        _history(H + "2020,62\n2022,NaN\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-empty-cell",
        ("row 3", "'value_usd_bn'", "finite", "''"),
        _history(H + "2020,62\n2022,\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-non-numeric-value",
        ("row 3", "'value_usd_bn'", "number", "'lots'"),
        _history(H + "2020,62\n2022,lots\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-money-string-cell",
        ("row 3", "'value_usd_bn'", "number", "'$136B'"),
        _history(H + "2020,62\n2022,$136B\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-non-numeric-year",
        ("row 3", "'year'", "whole year", "'twenty'"),
        _history(H + "2020,62\ntwenty,100\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-fractional-year",
        ("row 3", "'year'", "whole year", "'2022.5'"),
        _history(H + "2020,62\n2022.5,100\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-missing-column",
        ("value column", "'value_usd_bn'", "year, value_bn", "did you mean 'value_bn'"),
        _history("year,value_bn\n2020,62\n2022,100\n"),
        file="bad.csv",
    ),
    Bad(
        "history-ragged-row",
        ("row 3", "fields like the header", "got 3"),
        _history(H + "2020,62\n2022,100,5\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "history-binary",
        ("history file", "binary"),
        _history(b"year,value_usd_bn\n2020,\x00\x01\n"),
        file="bad.csv",
    ),
    Bad(
        "history-not-utf8",
        ("history file", "UTF-8", "offset"),
        _history(b"year,value_usd_bn\n2020,62\n2021,caf\xe9\n"),
        file="bad.csv",
    ),
    Bad("history-is-a-folder", ("history file", "directory"), _set("history.file", "."), file=""),
    Bad(
        "history-filter-keeps-nothing",
        ("at least one row after filtering", "'guess'"),
        _both(
            _history(H + "2020,62\n2022,100\n"), _set("history.filter", {"value_usd_bn": "guess"})
        ),
        file="bad.csv",
    ),
    Bad(
        "history-filter-unknown-column",
        ("filter column", "'kindd'"),
        _set("history.filter", {"kindd": "actual"}),
        file="history.csv",
    ),
    Bad(
        "history-start-after-end",
        ("history.start", "history.end", "2025 > 2020"),
        _both(_set("history.start", 2025), _set("history.end", 2020)),
    ),
    # --- anchors
    Bad(
        "anchor-before-history",
        ("anchors[0].year", "before the history starts", "(2020)", "2019"),
        _set("anchors.0.year", 2019),
    ),
    Bad(
        "anchor-duplicate-year",
        ("anchors[1].year", "must not repeat", "2030 twice"),
        _set(
            "anchors",
            [
                {"year": 2030, "value": "1.57T", "source": "a"},
                {"year": 2030, "value": "1.6T", "source": "b"},
            ],
        ),
    ),
    Bad(
        "soft-anchor-without-tolerance",
        ("anchors[0].tolerance", "soft anchor needs a tolerance"),
        _set("anchors.0.kind", "soft"),
    ),
    Bad(
        "hard-anchor-with-tolerance",
        ("anchors[0].tolerance", "only soft anchors", "'10%'"),
        _set("anchors.0.tolerance", "10%"),
    ),
    Bad(
        "soft-tolerance-bare-number",
        ("anchors[0].tolerance", "percent sign", "'15'"),
        _both(_set("anchors.0.kind", "soft"), _set("anchors.0.tolerance", "15")),
    ),
    Bad(
        "soft-tolerance-zero",
        ("anchors[0].tolerance", "positive", "'0%'"),
        _both(_set("anchors.0.kind", "soft"), _set("anchors.0.tolerance", "0%")),
    ),
    Bad(
        "anchor-without-source",
        ("anchors[0].source", "cite a source"),
        _drop("anchors.0.source"),
    ),
    Bad("anchor-without-value", ("anchors[0].value", "no value"), _drop("anchors.0.value")),
    Bad("anchor-without-year", ("anchors[0].year", "no year"), _drop("anchors.0.year")),
    Bad(
        "estimate-unknown-id",
        ("anchors[0].estimate", "'mordor-2025ed-2031'", "did you mean 'mordor-2025ed-2030'"),
        _estimate("mordor-2025ed-2031"),
    ),
    Bad(
        "estimate-without-estimates-file",
        ("anchors[0].estimate", "estimates", "'mordor-2025ed-2030'"),
        _set("anchors", [{"estimate": "mordor-2025ed-2030"}]),
    ),
    Bad(
        "estimate-other-definition",
        (
            "anchors[0].estimate",
            "same definition",
            "research_firm_market_size",
            "'gdp_impact'",
            "pwc-2017-2030-gdp",
            "allow_other_definition",
        ),
        _estimate("pwc-2017-2030-gdp", gvr=True),
    ),
    Bad(
        "estimate-year-mismatch",
        ("anchors[0].year", "mordor-2025ed-2030", "2029"),
        _estimate("mordor-2025ed-2030", year=2029),
    ),
    Bad(
        "estimate-value-mismatch",
        ("anchors[0].value", "mordor-2025ed-2030", "'1.5 trillion USD'"),
        _estimate("mordor-2025ed-2030", value="1.5 trillion USD"),
    ),
    # --- money strings in anchors and bounds
    *(
        Bad(
            f"{where}-money-{tag}",
            (key, repr(text), rule),
            _set(path, text) if where == "anchor" else _set(K_BOUNDS, [text, "40 trillion USD"]),
        )
        for where, path, key in [
            ("anchor", "anchors.0.value", "anchors[0].value"),
            ("bounds", K_BOUNDS, K_BOUNDS),
        ]
        for tag, text, rule in [
            ("no-unit", "1.57", "scale word"),
            ("zillion", "1.57 zillion", "unknown scale word"),
            ("euro", "€200bn", "USD"),
        ]
    ),
    Bad(
        "bounds-bare-number",
        (K_BOUNDS, "no unit", "1600"),
        _set(K_BOUNDS, [1600, "40 trillion USD"]),
    ),
    Bad(
        "bounds-low-above-high",
        (K_BOUNDS, "low must not exceed high", "'40 trillion USD'", "'1.6 trillion USD'"),
        _set(K_BOUNDS, ["40 trillion USD", "1.6 trillion USD"]),
    ),
    Bad(
        "bounds-three-items",
        (K_BOUNDS, "2 items"),
        _set(K_BOUNDS, ["1T", "2T", "3T"]),
    ),
    # --- model
    Bad(
        "family-misspelt",
        ("model.family", "'logistc'", "did you mean 'logistic'"),
        _set("model.family", "logistc"),
    ),
    Bad(
        "bounds-unknown-parameter",
        ("model.bounds.M", "parameter of logistic", "K, r, t_mid", "'M'"),
        _set("model.bounds", {"M": ["1 trillion USD", "2 trillion USD"]}),
    ),
    Bad(
        "fixed-unknown-parameter",
        ("model.fixed.launch", "parameter of logistic", "'launch'"),
        _set("model.fixed", {"launch": 2012}),
    ),
    Bad(
        "fixed-misspelt-parameter",
        ("model.fixed.rr", "'rr'", "did you mean 'r'"),
        _set("model.fixed", {"rr": "30%"}),
    ),
    Bad(
        "fixed-money-bare-number",
        ("model.fixed.K", "no unit", "3000"),
        _set("model.fixed", {"K": 3000}),
    ),
    # --- projection
    Bad(
        "horizon-equals-last-history-year",
        ("projection.horizon", "after the last history year", "(2025)", "2025"),
        _set("projection.horizon", 2025),
    ),
    Bad(
        "horizon-before-last-history-year",
        ("projection.horizon", "after the last history year", "2020"),
        _set("projection.horizon", 2020),
    ),
    *(
        Bad(
            f"level-{lv}",
            ("projection.levels", "between 0 and 100", f"got {lv}"),
            _set("projection.levels", [80, lv]),
        )
        for lv in (100, 0, 150, -5)
    ),
    Bad(
        "report-year-beyond-horizon",
        ("projection.report_years", "2035", "2040"),
        _set("projection.report_years", [2040]),
    ),
    # --- segments
    Bad(
        "segments-sum-below-1",
        ("segments", "sum to 1", "0.9"),
        _segments(("a", 0.5), ("b", 0.4)),
    ),
    Bad(
        "segments-sum-in-one-year",
        ("segments", "sum to 1", "in 2030", "1.1"),
        _segments(("a", {"2025": 0.5, "2030": 0.6}), ("b", {"2025": 0.5, "2030": 0.5})),
    ),
    Bad(
        "segment-share-above-1",
        ("segments[0].share", "[0, 1]", "1.5"),
        _segments(("a", 1.5), ("b", -0.5)),
    ),
    Bad(
        "segment-share-negative",
        ("segments[1].share", "[0, 1]", "-0.2"),
        _segments(("a", 1.0), ("b", -0.2)),
    ),
    Bad(
        "segment-yearly-share-above-1",
        ("segments[0].share", "[0, 1]", "1.2", "2025"),
        _segments(("a", {"2025": 1.2})),
    ),
    Bad(
        "segment-share-key-not-year",
        ("segments[0].share", "four-digit years", "'20x5'"),
        _segments(("a", {"20x5": 1.0})),
    ),
    Bad(
        "segment-duplicate-name",
        ("segments[1].name", "unique", "'a'"),
        _segments(("a", 0.5), ("a", 0.5)),
    ),
    # --- name, encoding, syntax, unsupported tables
    *(
        Bad(f"bad-name-{i}", ("name", "slug", repr(name)), _set("name", name))
        for i, name in enumerate(["../x", "a/b", "..", "Mini", "", "a b"])
    ),
    Bad(
        "not-utf8",
        ("UTF-8", "undecodable byte", "offset"),
        text=b'name = "mini"\ndescription = "caf\xe9"\n',
    ),
    Bad("invalid-toml", ("valid TOML", "line 1"), text='name = "mini\ndescription = "x"\n'),
    Bad(
        "assumption-unknown-name",
        ("assumptions.growth", "unknown assumption", "saturation", "'growth'"),
        _set("assumptions", {"growth": {"dist": "normal", "mean": "30%"}}),
    ),
    Bad(
        "assumption-anchor-year-missing",
        ("assumptions.anchor_2031", "anchor the drawn curves go through", "2031"),
        _set("assumptions", {"anchor_2031": "1 to 2 trillion USD"}),
    ),
    Bad(
        "assumption-pert-misordered",
        ("assumptions.saturation", "min", "mode"),
        _set(
            "assumptions", {"saturation": {"dist": "pert", "min": "3T", "mode": "2T", "max": "8T"}}
        ),
    ),
    Bad(
        "correlation-not-psd",
        ("correlation", "semi-definite"),
        _set_many(
            assumptions={
                "saturation": "2 to 6 trillion USD",
                "anchor_2030": "1.3 to 1.8 trillion USD",
                "base": "370 to 410 billion USD",
            },
            correlation={
                "inputs": ["saturation", "anchor_2030", "base"],
                "matrix": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
            },
        ),
    ),
    Bad(
        "simulation-sampler-unknown",
        ("simulation.sampler", "'halton'"),
        _set("simulation", {"sampler": "halton"}),
    ),
    Bad(
        "simulation-draws-zero",
        ("simulation.draws", "0"),
        _set("simulation", {"draws": 0}),
    ),
    # --- extends
    Bad(
        "extends-self",
        ("extends", "cycle", "scenario.toml -> "),
        _set("extends", "scenario.toml"),
    ),
    Bad(
        "extends-cycle-a-b-a",
        ("extends", "cycle", "a.toml", "b.toml"),
        _both(
            _files(a='extends = "b.toml"\n', b='extends = "a.toml"\n'), _set("extends", "a.toml")
        ),
    ),
    Bad(
        "extends-missing-target",
        ("extends", "must exist", "nope.toml"),
        _set("extends", "nope.toml"),
    ),
    Bad("extends-not-string", ("extends", "file path", "5"), _set("extends", 5)),
    # --- found in review
    Bad(
        "segment-dimension-reserved",
        ("segment_dimension", "column name", "'year'"),
        _set("segment_dimension", "year"),
    ),
    Bad(
        "horizon-too-far",
        ("projection.horizon", "at most 200 years", "100000000"),
        _set("projection.horizon", 100000000),
    ),
    Bad(
        "levels-same-columns",
        ("projection.levels", "first six significant digits", "80.0000001"),
        _set("projection.levels", [80, 80.0000001]),
    ),
    Bad(
        "history-decimal-comma",
        ("row 3", "'value_usd_bn'", "thousands grouped", "'1,2'"),
        _history(H + '2020,62\n2022,"1,2"\n2024,279\n'),
        file="bad.csv",
    ),
    Bad(
        "history-underscore-number",
        ("row 3", "'value_usd_bn'", "'1_000'"),
        _history(H + "2020,62\n2022,1_000\n2024,279\n"),
        file="bad.csv",
    ),
    Bad(
        "fixed-outside-bounds",
        ("fixed.r", "within its bounds", "0.5"),
        _set(
            "model", {"family": "logistic", "bounds": {"r": ["10%", "20%"]}, "fixed": {"r": "50%"}}
        ),
    ),
]


def _write_bad(ws: Workspace, case: Bad) -> Path:
    if case.text is not None:
        path = ws.root / "scenario.toml"
        text = case.text
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path
    doc = ws.doc()
    assert case.mutate is not None
    case.mutate(doc, ws)
    return ws.write(doc)


@pytest.mark.parametrize("case", BAD, ids=[c.id for c in BAD])
def test_bad_scenario_is_one_line_exit_2(
    ws: Workspace, run_cli: Callable[..., Result], case: Bad
) -> None:
    path = _write_bad(ws, case)
    named = str(ws.root / case.file) if case.file else str(ws.root)

    validated = run_cli("validate", path)
    line = assert_user_error(validated, named, *case.fragments)
    assert validated.out == ""

    ran = run_cli("run", path, "--out", ws.out)
    assert assert_user_error(ran, named, *case.fragments) == line
    assert ran.out == ""
    assert not ws.out.exists()


def test_bad_case_ids_are_unique() -> None:
    ids = [c.id for c in BAD]
    assert len(ids) == len(set(ids))


def test_error_in_parent_names_the_parent_file(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    parent = ws.doc()
    parent["projection"]["horizon"] = "2035"
    ws.write(parent, "parent.toml")
    child = ws.write({"extends": "parent.toml", "name": "child"}, "child.toml")
    res = run_cli("validate", child)
    assert_user_error(res, "parent.toml", "projection.horizon", "'2035'")


# ------------------------------------------------------------------------------------------------
# Too little data for the family (a fit-time error, still one line and nothing written)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "points", "anchored", "need", "got"),
    [
        ("logistic", 1, False, 3, 1),
        ("logistic", 2, False, 3, 2),
        ("logistic", 1, True, 3, 2),  # the anchor counts as a point
        ("gompertz", 2, False, 3, 2),
        ("bass", 3, False, 4, 3),
        ("bass_sales", 3, False, 4, 3),
        ("exponential", 1, False, 2, 1),
        ("linear", 1, False, 2, 1),
    ],
)
def test_too_little_data(
    ws: Workspace,
    run_cli: Callable[..., Result],
    family: str,
    points: int,
    anchored: bool,
    need: int,
    got: int,
) -> None:
    write_csv(ws.root / "short.csv", HISTORY_ROWS[-points:])
    doc = ws.doc()
    doc["history"]["file"] = "short.csv"
    doc["model"] = {"family": family}
    if not anchored:
        del doc["anchors"]
    path = ws.write(doc)
    assert run_cli("validate", path).code == 0  # the file is fine; the fit is impossible
    res = run_cli("run", path, "--out", ws.out)
    assert_user_error(res, family, f"at least {need}", f"got {got}")
    assert not ws.out.exists()


def test_too_little_data_names_the_scenario_file(
    ws: Workspace, run_cli: Callable[..., Result]
) -> None:
    write_csv(ws.root / "short.csv", HISTORY_ROWS[-1:])
    doc = ws.doc()
    doc["history"]["file"] = "short.csv"
    del doc["anchors"]
    path = ws.write(doc)
    res = run_cli("run", path, "--out", ws.out)
    assert_user_error(res, str(path), "at least 3", "got 1")


# ------------------------------------------------------------------------------------------------
# Inheritance (extends)
# ------------------------------------------------------------------------------------------------


def _parent_doc() -> dict[str, Any]:
    doc = minimal_doc("data/history.csv")
    doc["title"] = "parent title"
    doc["model"] = {
        "family": "gompertz",
        "error": "additive",
        "bounds": {"K": ["1 trillion USD", "20 trillion USD"]},
    }
    doc["projection"]["report_years"] = [2030]
    return doc


@pytest.fixture
def family_tree(tmp_path: Path) -> Path:
    """tmp/base/parent.toml (history in tmp/base/data/); children are written by the tests."""
    base = tmp_path / "base"
    write_csv(base / "data" / "history.csv", HISTORY_ROWS)
    (base / "parent.toml").write_text(to_toml(_parent_doc()), encoding="utf-8")
    return tmp_path


def _child(root: Path, rel: str, doc: dict[str, Any]) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(doc), encoding="utf-8")
    return path


def test_child_overrides_scalar_and_inherits_the_rest(family_tree: Path) -> None:
    child = _child(
        family_tree,
        "base/child.toml",
        {"extends": "parent.toml", "name": "child", "projection": {"horizon": 2040}},
    )
    sc = forecast.load_scenario(child)
    assert sc.name == "child"
    assert sc.title == "parent title"
    assert sc.description == "minimal test scenario"
    assert sc.horizon == 2040  # overridden
    assert (sc.seed, sc.draws, sc.report_years) == (7, 200, (2030,))  # rest of the table kept
    assert sc.model.family == "gompertz"


def test_nested_tables_merge_key_by_key(family_tree: Path) -> None:
    child = _child(
        family_tree,
        "base/child.toml",
        {
            "extends": "parent.toml",
            "name": "child",
            "model": {"bounds": {"t_mid": [2020, 2040]}},
        },
    )
    sc = forecast.load_scenario(child)
    assert sc.model.family == "gompertz"  # from the parent's [model]
    assert sc.model.error == "additive"
    assert sc.model.bounds == {"K": (1000.0, 20000.0), "t_mid": (2020.0, 2040.0)}


def test_child_replaces_one_bound_and_family(family_tree: Path) -> None:
    child = _child(
        family_tree,
        "base/child.toml",
        {
            "extends": "parent.toml",
            "name": "child",
            "model": {"family": "logistic", "bounds": {"K": ["2T", "30T"]}},
        },
    )
    sc = forecast.load_scenario(child)
    assert sc.model.family == "logistic"
    assert sc.model.error == "additive"
    assert sc.model.bounds == {"K": (2000.0, 30000.0)}  # a list value is replaced, not merged


def test_anchors_list_is_replaced(family_tree: Path) -> None:
    child = _child(
        family_tree,
        "base/child.toml",
        {
            "extends": "parent.toml",
            "name": "child",
            "anchors": [
                {"year": 2028, "value": "1 trillion USD", "source": "child source"},
            ],
        },
    )
    sc = forecast.load_scenario(child)
    assert [(a.year, a.value, a.source) for a in sc.anchors] == [(2028, 1000.0, "child source")]


def test_empty_anchors_list_removes_parent_anchors(family_tree: Path) -> None:
    path = family_tree / "base" / "child.toml"
    path.write_text('extends = "parent.toml"\nname = "child"\nanchors = []\n', encoding="utf-8")
    assert forecast.load_scenario(path).anchors == ()


def test_parent_paths_resolve_from_parent_folder(
    family_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the child lives in another folder, and the working directory is a third one
    elsewhere = family_tree / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    child = _child(
        family_tree,
        "variants/deep/child.toml",
        {"extends": "../../base/parent.toml", "name": "child"},
    )
    sc = forecast.load_scenario(child, allow=[family_tree])  # base/ lies outside variants/
    expected = family_tree / "base" / "data" / "history.csv"
    assert sc.history.path.resolve() == expected.resolve()
    assert list(sc.history.years) == [y for y, _ in HISTORY_ROWS]


def test_child_relative_paths_resolve_from_child_folder(family_tree: Path) -> None:
    write_csv(family_tree / "variants" / "own.csv", [(2021, 100.0), (2023, 200.0), (2024, 250.0)])
    child = _child(
        family_tree,
        "variants/child.toml",
        {"extends": "../base/parent.toml", "name": "child", "history": {"file": "own.csv"}},
    )
    sc = forecast.load_scenario(child, allow=[family_tree])  # base/ lies outside variants/
    assert sc.history.path.resolve() == (family_tree / "variants" / "own.csv").resolve()
    assert list(sc.history.years) == [2021, 2023, 2024]
    # provenance paths are relative to the scenario's own folder
    roles = [(f.role, (child.parent / f.path).resolve()) for f in sc.inputs]
    assert roles == [
        ("scenario", child.resolve()),
        ("extends", (family_tree / "base" / "parent.toml").resolve()),
        ("history", (family_tree / "variants" / "own.csv").resolve()),
    ]


def test_chain_of_three(family_tree: Path) -> None:
    mid = _child(
        family_tree,
        "mid/mid.toml",
        {
            "extends": "../base/parent.toml",
            "name": "mid",
            "title": "mid title",
            "model": {"family": "logistic", "bounds": {}},
            "projection": {"seed": 99},
        },
    )
    leaf = _child(
        family_tree,
        "leaf/leaf.toml",
        {"extends": "../mid/mid.toml", "name": "leaf", "projection": {"horizon": 2033}},
    )
    sc = forecast.load_scenario(leaf, allow=[family_tree])  # mid/, base/ lie outside leaf/
    assert sc.name == "leaf"
    assert sc.title == "mid title"  # from the middle
    assert sc.description == "minimal test scenario"  # from the root
    assert (sc.horizon, sc.seed, sc.draws) == (2033, 99, 200)  # one table, three files
    assert sc.model.family == "logistic"
    assert sc.model.error == "additive"
    assert sc.model.bounds == {}  # bounds = {} clears the inherited bounds
    files = [(f.role, (leaf.parent / f.path).resolve()) for f in sc.inputs if f.role != "history"]
    assert files == [
        ("scenario", leaf.resolve()),
        ("extends", mid.resolve()),
        ("extends", (family_tree / "base" / "parent.toml").resolve()),
    ]
    for f in sc.inputs:
        assert f.sha256 == hashlib.sha256((leaf.parent / f.path).read_bytes()).hexdigest()


def test_cycle_through_three_files_is_an_error(tmp_path: Path) -> None:
    for a, b in [("a", "b"), ("b", "c"), ("c", "a")]:
        (tmp_path / f"{a}.toml").write_text(f'extends = "{b}.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"cycle.*a\.toml -> .*b\.toml -> .*c\.toml"):
        forecast.load_scenario(tmp_path / "a.toml")


def test_bundled_variants_inherit_from_default() -> None:
    default = forecast.load_scenario(DEFAULT_SCENARIO)
    bear = forecast.load_scenario(SCENARIOS / "global-ai-2030-bear.toml")
    bull = forecast.load_scenario(SCENARIOS / "global-ai-2030-bull.toml")
    sectors = forecast.load_scenario(SCENARIOS / "global-ai-2030-sectors.toml")
    for sc in (bear, bull, sectors):
        assert list(sc.history.years) == list(default.history.years)
        assert (sc.horizon, sc.levels, sc.seed) == (default.horizon, default.levels, default.seed)
        assert sc.model.family == default.model.family
    # bear: only K's bounds change; the anchor list is replaced by one soft anchor
    assert bear.model.bounds == {"K": (800.0, 40000.0)}
    assert [(a.year, a.value, a.kind, a.tolerance) for a in bear.anchors] == [
        (2030, pytest.approx(1345.2), "soft", pytest.approx(0.15))
    ]
    assert bull.model.bounds == default.model.bounds
    assert [(a.year, a.value, a.kind) for a in bull.anchors] == [(2030, 1910.0, "hard")]
    assert sectors.anchors == default.anchors
    assert [s.name for s in sectors.segments] == [
        "Healthcare",
        "Finance",
        "Manufacturing",
        "Retail",
        "Other AI",
    ]
    assert sectors.segment_dimension == "sector"


def test_a_child_clears_inherited_assumptions_with_an_empty_table(tmp_path: Path) -> None:
    """``assumptions = {}`` (and correlation, simulation) clear the parent's table; other empty
    tables still merge as nothing (test_chain_of_three)."""
    parent = Path(__file__).resolve().parents[1] / "scenarios" / "global-ai-2030-uncertain.toml"
    assert forecast.load_scenario(parent).assumptions is not None
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{parent}"\nname = "plain"\nassumptions = {{}}\ncorrelation = {{}}\n'
        "simulation = {}\n",
        encoding="utf-8",
    )
    sc = forecast.load_scenario(child)
    assert sc.assumptions is None
    assert sc.simulation.draws == 10_000  # the default, not the parent's 20000
    assert sc.warnings == ()
