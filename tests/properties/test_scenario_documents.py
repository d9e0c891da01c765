"""Scenario documents, valid, mutated and broken, through ``forecast validate`` and ``run``.

The only acceptable outcomes are success (exit 0, finite numbers in ``projection.csv``, no NaN
printed) or a user error (exit 2, exactly one line on stderr starting ``forecast: error:``, no
traceback). Exit code 1 is the CLI's internal-error boundary, i.e. an exception other than a
:class:`~forecast.errors.ForecastError` escaped: always a bug.

Documents are generated three ways: the minimal valid scenario with random edits at known key
paths (wrong types, missing and extra keys, huge and tiny numbers, unicode), the TOML text of a
valid scenario with random character edits, and ``extends`` chains of up to 40 files (beyond the
32-file limit, some circular) each overriding a few keys.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import HISTORY_ROWS, Result, call_main, minimal_doc, to_toml, write_csv

from .conftest import examples

# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------

# Text that TOML can hold as a basic string (json.dumps escapes the other control characters;
# DEL and lone surrogates cannot be written at all).
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x7f"),
    max_size=30,
)
# Keys: tests/conftest.py writes keys with json.dumps (ASCII escapes), which would turn a
# character outside the BMP into a surrogate pair that TOML rejects.
KEYS = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",), blacklist_characters="\x7f", max_codepoint=0xFFFF
    ),
    min_size=1,
    max_size=12,
)
INTS = st.one_of(
    st.integers(-5, 5),
    st.integers(1890, 2250),
    st.sampled_from([0, -1, 10**6, 10**9, 2**31, 2**53 + 1, 2**63 - 1, -(2**63)]),
    st.integers(-(2**63), 2**63 - 1),
)
FLOATS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e-6, 0.5, 1.0, 99.9999, 1e15, 1e300, 1.7e308]),
)
MONEY = st.one_of(
    st.sampled_from(
        [
            "1.57 trillion USD",
            "$1.57T",
            "1e300 trillion USD",
            "1e-300 billion USD",
            "0.000001 thousand",
            "1,570 billion",
            "1570",
            "",
            "15%",
            "-3 billion",
            "NaN billion",
            "1 zillion",
            "375 to 407 billion USD",
            "€1.5 trillion",
            "１.５ trillion",  # full-width digits
        ]
    ),
    st.builds(lambda x, w: f"{x} {w}", FLOATS.map(abs), st.sampled_from(["billion", "T", "mn"])),
)
SCALARS = st.one_of(INTS, FLOATS, TEXT, MONEY, st.booleans())
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=3)),
    max_leaves=6,
)

# Where edits land: (path, plausible values for that key). ``None`` as the last path element
# means "a new key": an extra key the schema does not know.
PATHS: list[tuple[tuple[Any, ...], st.SearchStrategy[Any]]] = [
    (("name",), st.one_of(TEXT, st.just("ok-name"), st.just("../escape"), INTS)),
    (("description",), st.one_of(TEXT, INTS)),
    (("title",), TEXT),
    (("unit",), st.sampled_from(["USD billion", "EUR billion", "USD million"])),
    (("extends",), st.sampled_from(["missing.toml", "scenario.toml", "", "/", "history.csv"])),
    (("estimates",), st.sampled_from(["missing.csv", "history.csv", ""])),
    (("segment_dimension",), st.one_of(TEXT, st.sampled_from(["year", "lo-80", " "]))),
    (("history",), VALUES),
    (("history", "file"), st.sampled_from(["history.csv", "missing.csv", "", ".", "bad.csv"])),
    (("history", "value_column"), st.one_of(TEXT, st.just("value_usd_bn"), st.just("year"))),
    (("history", "year_column"), st.one_of(TEXT, st.just("value_usd_bn"))),
    (("history", "start"), INTS),
    (("history", "end"), INTS),
    (("history", "filter"), VALUES),
    (("anchors",), st.one_of(VALUES, st.just([]))),
    (("anchors", 0, "year"), INTS),
    (("anchors", 0, "value"), st.one_of(MONEY, FLOATS, INTS)),
    (("anchors", 0, "kind"), st.sampled_from(["hard", "soft", "firm"])),
    (("anchors", 0, "tolerance"), st.one_of(st.sampled_from(["15%", "0%", "-5%", "1e9%"]), FLOATS)),
    (("anchors", 0, "estimate"), st.one_of(TEXT, st.just("mordor-2025ed-2030"))),
    (("anchors", 0, "source"), TEXT),
    (
        ("anchors", 1),
        st.fixed_dictionaries(
            {"year": INTS, "value": MONEY, "source": TEXT},
            optional={"kind": st.sampled_from(["hard", "soft"]), "tolerance": MONEY},
        ),
    ),
    (
        ("model", "family"),
        st.sampled_from(
            [
                "exponential",
                "linear",
                "logistic",
                "gompertz",
                "bass",
                "bass_sales",
                "auto",
                "theta",
                "ets",
                "arima",
                "naive",
                "logistik",
            ]
        ),
    ),
    (("model", "error"), st.sampled_from(["additive", "multiplicative", "relative"])),
    (("model", "bounds"), VALUES),
    (("model", "bounds", "K"), st.lists(st.one_of(MONEY, FLOATS), max_size=3)),
    (("model", "bounds", "r"), st.lists(FLOATS, min_size=2, max_size=2)),
    (
        ("model", "fixed"),
        st.dictionaries(st.sampled_from(["K", "r", "t0", "launch", "x"]), SCALARS),
    ),
    (("projection", "horizon"), INTS),
    (("projection", "levels"), st.lists(st.one_of(FLOATS, INTS), max_size=4)),
    (("projection", "draws"), st.one_of(st.integers(-5, 3000), INTS)),
    (("projection", "seed"), INTS),
    (("projection", "report_years"), st.lists(INTS, max_size=3)),
    (("simulation",), VALUES),
    (("simulation", "draws"), st.integers(-5, 3000)),
    (("simulation", "sampler"), st.sampled_from(["mc", "lhs", "sobol", "grid"])),
    (("simulation", "cross"), st.lists(MONEY, max_size=2)),
    (
        ("segments",),
        st.lists(
            st.fixed_dictionaries(
                {
                    "name": TEXT,
                    "share": st.one_of(
                        FLOATS, st.dictionaries(st.sampled_from(["2025", "2030", "x"]), FLOATS)
                    ),
                    "source": TEXT,
                }
            ),
            max_size=3,
        ),
    ),
    (
        ("assumptions",),
        st.dictionaries(st.sampled_from(["base", "saturation", "anchor_2030", "zzz"]), VALUES),
    ),
    (("correlation",), VALUES),
    ((None,), VALUES),
    (("model", None), VALUES),
    (("projection", None), VALUES),
    (("anchors", 0, None), VALUES),
]

Edit = tuple[int, str, Any]  # (index into PATHS, "set" or "delete", value)


@st.composite
def edits(draw: st.DrawFn) -> list[Edit]:
    out: list[Edit] = []
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(PATHS) - 1))
        if draw(st.booleans()) or PATHS[i][0][-1] is None:
            out.append((i, "set", draw(PATHS[i][1])))
        else:
            out.append((i, "delete", None))
    return out


def apply(doc: dict[str, Any], edit: Edit, extra: str = "zz_extra") -> None:
    """Apply one edit in place; edits below a missing or non-container parent are skipped."""
    i, op, value = edit
    path = PATHS[i][0]
    node: Any = doc
    for key in path[:-1]:
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return
    last = extra if path[-1] is None else path[-1]
    if isinstance(node, dict):
        if op == "set":
            node[last] = value
        else:
            node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int):
        if op == "set" and last <= len(node):
            node[last : last + 1] = [value]
        elif op == "delete" and last < len(node):
            del node[last]


# ------------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------------


@contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_csv(root / "history.csv", HISTORY_ROWS)
        (root / "bad.csv").write_text("year,value_usd_bn\n2020,\n2021,abc\n", encoding="utf-8")
        yield root


def assert_clean(res: Result, what: str) -> None:
    """Exit 0, or exit 2 with one ``forecast: error:`` line; never a traceback or exit 1."""
    assert "Traceback" not in res.out + res.err, (what, res.err)
    assert res.code in (0, 2), (what, res.code, res.err)
    if res.code == 2:
        lines = res.err.splitlines()
        assert len(lines) == 1, (what, res.err)
        assert lines[0].startswith("forecast: error: "), (what, lines[0])
    else:
        assert not re.search(r"\bnan\b", res.out, re.IGNORECASE), (what, res.out)


def check_document(root: Path, path: Path) -> None:
    """validate, then run (without the report), the scenario at ``path``."""
    assert_clean(call_main("validate", path), "validate")
    out = root / "out"
    res = call_main("run", path, "--out", out, "--no-report", "--json")
    assert_clean(res, "run")
    if res.code == 0:
        for csv in out.rglob("projection.csv"):
            frame = pd.read_csv(csv)
            numbers = frame.select_dtypes("number").drop(columns=["year"], errors="ignore")
            assert np.isfinite(numbers["mean"].to_numpy()).all(), frame
            bands = ["lo-95", "lo-80", "mean", "hi-80", "hi-95"]
            if set(bands) <= set(frame.columns) and frame[bands].notna().all().all():
                values = frame[bands].to_numpy(dtype=float)
                assert (values[:, :-1] <= values[:, 1:]).all(), frame[bands]
        for summary in out.rglob("summary.json"):
            json.loads(summary.read_text(encoding="utf-8"))  # strict JSON (no NaN)


# ------------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------------


@settings(max_examples=examples(1.0))
@given(edits())
def test_edited_documents_succeed_or_fail_cleanly(changes: list[Edit]) -> None:
    doc = minimal_doc()
    for edit in changes:
        apply(doc, edit)
    with workspace() as root:
        path = root / "scenario.toml"
        path.write_text(to_toml(doc), encoding="utf-8")
        check_document(root, path)


VALID_TEXT = to_toml(minimal_doc())


@st.composite
def mutated_text(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID_TEXT.encode("utf-8"))
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        size = draw(st.integers(1, 12))
        if kind == "delete":
            del data[pos : pos + size]
        elif kind == "insert":
            piece = draw(
                st.one_of(
                    st.binary(max_size=size),
                    TEXT.map(lambda s: s.encode("utf-8")),
                    st.sampled_from([b"[", b"]", b"=", b'"', b"\n[model]\n", b"1e999", b"\x00"]),
                )
            )
            data[pos:pos] = piece
        elif kind == "replace":
            data[pos : pos + 1] = draw(st.binary(min_size=1, max_size=1))
        else:
            data[pos:pos] = data[pos : pos + size]
    return bytes(data)


@settings(max_examples=examples(1.0))
@given(mutated_text())
def test_mutated_toml_text_succeeds_or_fails_cleanly(text: bytes) -> None:
    with workspace() as root:
        path = root / "scenario.toml"
        path.write_bytes(text)
        check_document(root, path)


@st.composite
def chains(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[int | None]]:
    """``n`` documents; ``parents[i]`` is the index document ``i`` extends (None for the root).

    Most chains are linear; some point back to a later file (a cycle), some exceed the depth
    limit."""
    n = draw(st.one_of(st.integers(1, 6), st.integers(30, 40)))
    docs: list[dict[str, Any]] = []
    parents: list[int | None] = [None]
    base = minimal_doc()
    for edit in draw(st.lists(edits(), max_size=1)):
        for e in edit:
            apply(base, e)
    docs.append(base)
    for i in range(1, n):
        child: dict[str, Any] = {}
        for _ in range(draw(st.integers(0, 2))):
            key = draw(st.sampled_from(["description", "title", "projection", "model", "name"]))
            full = {**minimal_doc(), "title": f"link {i}"}
            child[key] = copy.deepcopy(full[key])
            if key == "projection":
                child[key]["draws"] = draw(st.integers(100, 400))
            if key == "name":
                child[key] = f"link-{i}"
        docs.append(child)
        parents.append(i - 1)
    if n > 1 and draw(st.booleans()):
        parents[0] = draw(st.integers(0, n - 1))  # the root extends a later file: a cycle
    return docs, parents


@settings(max_examples=examples(0.5))
@given(chains())
def test_extends_chains_succeed_or_fail_cleanly(
    chain: tuple[list[dict[str, Any]], list[int | None]],
) -> None:
    docs, parents = chain
    with workspace() as root:
        for i, (doc, parent) in enumerate(zip(docs, parents, strict=True)):
            body = dict(doc)
            if parent is not None:
                body = {"extends": f"s{parent}.toml", **body}
            text = to_toml(body) if body else "\n"
            (root / f"s{i}.toml").write_text(text, encoding="utf-8")
        check_document(root, root / f"s{len(docs) - 1}.toml")


@settings(max_examples=examples(0.5))
@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(1900, 2100), INTS, TEXT),
            st.one_of(FLOATS, TEXT, st.just(""), st.just("NaN"), st.just("1e999")),
        ),
        max_size=12,
    )
)
def test_history_files_succeed_or_fail_cleanly(rows: list[tuple[Any, Any]]) -> None:
    """Random history CSV rows (duplicate, unordered, empty, text, huge) under a valid scenario."""
    with workspace() as root:
        lines = ["year,value_usd_bn"]
        for year, value in rows:
            cells = [str(c).replace("\n", " ").replace("\r", " ") for c in (year, value)]
            lines.append(",".join(cells))
        (root / "history.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        path = root / "scenario.toml"
        path.write_text(to_toml(minimal_doc()), encoding="utf-8")
        check_document(root, path)
