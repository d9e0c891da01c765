"""Reading scenario files: TOML under the read policy, nesting and text limits, and ``extends``
(tables merge key by key, everything else is replaced; ``assumptions = {}``, ``correlation =
{}`` and ``simulation = {}`` clear the inherited table) into one plain document.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ForecastError, ScenarioError, message
from ..readpolicy import ReadPolicy, read_file
from .origins import Origins
from .schema import (
    CONTROL,
    CONTROL_IN_PROSE,
    MAX_EXTENDS_DEPTH,
    MAX_KEY,
    MAX_NESTING,
    MAX_TEXT,
    TEXT_LIMITS,
    key_path,
)


def _read_toml(
    path: Path, where: str, policy: ReadPolicy | None = None, *, named: bool = True
) -> dict[str, Any]:
    """One TOML file's document. ``named=False`` for the scenario given on the command line;
    the files it names (``extends``) must lie inside ``policy``'s folders."""
    policy = policy if policy is not None else ReadPolicy()
    if named:
        try:
            policy.check_inside(path, where, "scenario file")
        except ForecastError as exc:
            raise ScenarioError(str(exc)) from None
    if not path.exists():
        raise ScenarioError(f"{where}: scenario file must exist; got no such file {str(path)!r}")
    if path.is_dir():
        raise ScenarioError(f"{where}: scenario must be a TOML file; got a directory {str(path)!r}")
    raw = read_file(path, what="scenario file", error=ScenarioError, policy=policy)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{path}: scenario file must be UTF-8 text; got an undecodable byte at offset "
            f"{exc.start}"
        ) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: must be valid TOML; got {exc}") from None
    except RecursionError:  # the reader is recursive: a thousand nested arrays exhaust it
        raise ScenarioError(
            f"{path}: must nest tables and arrays at most {MAX_NESTING} deep; got more than the "
            "TOML reader can follow"
        ) from None
    check_nesting(doc, str(path))
    return doc


def _walk(doc: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every key and value of a document with its location, without recursion."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), doc)]
    while stack:
        loc, node = stack.pop()
        yield loc, node
        if isinstance(node, Mapping):
            stack += [((*loc, k), v) for k, v in reversed(list(node.items()))]
        elif isinstance(node, list):
            stack += [((*loc, i), v) for i, v in reversed(list(enumerate(node)))]


def check_nesting(doc: Mapping[str, Any], file: str) -> None:
    for loc, node in _walk(doc):
        if len(loc) > MAX_NESTING and isinstance(node, Mapping | list):
            raise ScenarioError(
                f"{file}: {key_path(loc[:MAX_NESTING])}: must nest tables and arrays at most "
                f"{MAX_NESTING} deep; got deeper"
            )


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n] + "..."


_PATH_KEYS = (  # made absolute on loading
    ("extends",),
    ("estimates",),
    ("estimates", "file"),
    ("history", "file"),
    ("rates", "file"),
    ("prices", "file"),
)


def check_text(doc: Mapping[str, Any], at: Origins) -> None:
    """Refuse control characters and over-long text anywhere in a document (keys included):
    they would reach terminals, reports and workbooks (a terminal's escape sequences, a
    workbook cell it cannot store, an 80 MB chart from a 1 MB title)."""
    for loc, node in _walk(doc):
        if loc and isinstance(loc[-1], str):
            key = loc[-1]
            if len(key) > MAX_KEY:
                raise ScenarioError(
                    f"{at(*loc[:-1])}: {key_path(loc[:-1])}: keys must be at most {MAX_KEY} "
                    f"characters; got {len(key):,} characters ({_short(key)!r})"
                )
            bad = CONTROL.search(key)
            if bad:
                raise ScenarioError(
                    message(
                        f"{at(*loc[:-1])}: {key_path(loc[:-1])}",
                        "keys must not hold control characters",
                        _short(key),
                    )
                )
        if not isinstance(node, str) or loc in _PATH_KEYS:  # paths: the read policy's
            continue
        name = loc[-1] if loc and isinstance(loc[-1], str) else ""
        limit = TEXT_LIMITS.get(name, MAX_TEXT) if len(loc) <= 3 else MAX_TEXT
        if len(node) > limit:
            raise ScenarioError(
                f"{at(*loc)}: {key_path(loc)}: must be at most {limit:,} characters; got "
                f"{len(node):,} characters"
            )
        prose = loc == ("description",)
        bad = (CONTROL_IN_PROSE if prose else CONTROL).search(node)
        if bad:
            allowed = " (tabs and line breaks are fine in description)" if not prose else ""
            start = max(0, bad.start() - 20)
            raise ScenarioError(
                message(
                    f"{at(*loc)}: {key_path(loc)}",
                    f"must not hold control characters{allowed}",
                    _short(node[start:]),
                )
            )


CLEARABLE = ("assumptions", "correlation", "simulation")  # tables a child can clear with {}


CLEARABLE_NESTED = ("model.bounds", "model.fixed")  # likewise, inside a table


def _merge(
    base: dict[str, Any],
    over: Mapping[str, Any],
    clearable: Sequence[str] = (*CLEARABLE, *CLEARABLE_NESTED),
    prefix: str = "",
) -> dict[str, Any]:
    """Deep-merge tables; every other value (lists included) in ``over`` replaces ``base``'s.
    An empty table merges as nothing, except for the tables in ``clearable`` (dotted paths:
    ``assumptions``, ``model.bounds``), where it replaces (clears) the inherited one."""
    out = dict(base)
    for key, value in over.items():
        path = f"{prefix}{key}"
        cleared = path in clearable and isinstance(value, Mapping) and not value
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) and not cleared:
            out[key] = _merge(dict(out[key]), value, clearable, f"{path}.")
        else:
            out[key] = value
    return out


def load_document(path: Path | str) -> tuple[dict[str, Any], tuple[Path, ...]]:
    """Read a scenario file and resolve its ``extends`` chain into one document.

    Returns the merged document and the chain of files read (the scenario first). Relative paths
    inside each file are made relative to that file's folder before merging, so a child can
    inherit a parent's ``history.file`` from another folder.
    """
    merged, chain, _ = load_chain(path)
    return merged, chain


def load_chain(
    path: Path | str, policy: ReadPolicy | None = None
) -> tuple[dict[str, Any], tuple[Path, ...], tuple[dict[str, Any], ...]]:
    """:func:`load_document` plus each file's own document (child first). Files named by
    ``extends`` must lie inside ``policy``'s folders (by default the scenario's)."""
    policy = policy if policy is not None else ReadPolicy.for_scenario(path)
    chain: list[Path] = []
    docs: list[dict[str, Any]] = []
    current: Path | None = Path(path)
    where = str(path)
    while current is not None:
        resolved = current.resolve()
        if resolved in [c.resolve() for c in chain]:
            cycle = " -> ".join(str(c) for c in [*chain, current])
            raise ScenarioError(f"{chain[0]}: extends must not form a cycle; got {cycle}")
        if len(chain) >= MAX_EXTENDS_DEPTH:
            raise ScenarioError(
                f"{chain[0]}: extends chains must be at most {MAX_EXTENDS_DEPTH} files deep; "
                f"got more"
            )
        doc = _read_toml(current, where, policy, named=bool(chain))
        _absolutise(doc, current.parent)
        chain.append(current)
        docs.append(doc)
        parent = doc.get("extends")
        if parent is None:
            current = None
        elif not isinstance(parent, str):
            raise ScenarioError(message(f"{current}", "extends must be a file path string", parent))
        else:
            where = f"{current}: extends"
            current = Path(parent)
    merged: dict[str, Any] = {}
    for doc in reversed(docs):
        merged = _merge(merged, doc)
    merged["extends"] = docs[0].get("extends")
    # a label names one scenario among its variants: never inherited (a "-bear" child of a file
    # labelled "Base" is not "Base"); without its own, a scenario is shown by its name
    merged.pop("label", None)
    if "label" in docs[0]:
        merged["label"] = docs[0]["label"]
    return merged, tuple(chain), tuple(docs)


def _absolutise(doc: dict[str, Any], base: Path) -> None:
    """Make the file paths a document names relative to the document's own folder."""

    def rebase(p: str) -> str:
        return os.path.normpath(base / p)

    if isinstance(doc.get("extends"), str):
        doc["extends"] = rebase(doc["extends"])
    if isinstance(doc.get("estimates"), str):
        doc["estimates"] = rebase(doc["estimates"])
    for key in ("history", "estimates", "rates", "prices", "segment_history"):
        table = doc.get(key)
        if isinstance(table, dict) and isinstance(table.get("file"), str):
            table["file"] = rebase(table["file"])
    for seg in doc.get("segments") or []:
        table = seg.get("history") if isinstance(seg, dict) else None
        if isinstance(table, dict) and isinstance(table.get("file"), str):
            table["file"] = rebase(table["file"])
