"""The claims file ``forecast audit`` reads: a claims JSON (``forecast claims --json``) or a seed
TOML (``[[claims]]``), read into typed records.

The file must be a regular file (a folder, a FIFO or a device is named as such; a FIFO is never
waited on), UTF-8, valid JSON or TOML with lists and tables nested at most :data:`MAX_NESTING`
deep, holding a non-empty ``claims`` list of tables. Each table is checked against
:class:`ClaimRecord`: the keys the audit uses must have their types (a finite positive number
for ``value_usd_bn``, a whole number for ``year``, text for the subject and the labels); other
keys are kept as they are, since claims JSON and seed files carry spans, flags and notes. Every
problem is one line naming the file, the key path (``claims[0].year``), the rule and the value
received.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import ForecastError
from .claims import read_bytes

__all__ = ["MAX_NESTING", "ClaimRecord", "read_claims_file"]

MAX_NESTING = 32
"""Lists and tables inside each other that a claims file may hold (a seed file needs 4)."""


class ClaimRecord(BaseModel):
    """One claim of a claims file: the keys the audit reads, typed; other keys kept."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)

    value_usd_bn: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    year: int | None = None
    subject: str = ""
    currency: str = "?"
    number: str = ""
    scale: str = ""
    value: str | None = None  # seed files: "1.57 trillion USD"
    value_text: str | None = None
    text: str | None = None
    id: str | int | None = None


_RULES = {
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "greater_than": "must be greater than 0",
    "int_type": "must be a whole number",
    "string_type": "must be text (a string)",
}


def _got(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _depth(doc: Any) -> int:
    """How deep lists and tables nest in ``doc`` (0 for a scalar), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth + 1)
            if deepest > MAX_NESTING:
                break
            stack.extend((child, depth + 1) for child in node)
    return deepest


def _parse(path: Path, text: str) -> Any:
    kind = "TOML" if path.suffix == ".toml" else "JSON"
    too_deep = (
        f"{path}: lists and tables must nest at most {MAX_NESTING} levels deep; got deeper nesting"
    )
    try:
        doc = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ForecastError(f"{path}: must be valid {kind}; got {exc}") from None
    except RecursionError:  # the parsers recurse once per level: far deeper than MAX_NESTING
        raise ForecastError(too_deep) from None
    if _depth(doc) > MAX_NESTING:
        raise ForecastError(too_deep)
    return doc


def _record(path: Path, i: int, raw: Any) -> ClaimRecord:
    where = f"{path}: claims[{i}]"
    if not isinstance(raw, dict):
        raise ForecastError(f"{where}: must be a table of keys (a JSON object); got {_got(raw)}")
    try:
        return ClaimRecord.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(part) for part in err["loc"])
        rule = _RULES.get(err["type"], err["msg"].replace("Input should be", "must be"))
        raise ForecastError(f"{where}.{key}: {rule}; got {_got(err.get('input'))}") from None


def read_claims_file(path: Path | str) -> list[ClaimRecord]:
    """The claims of a claims JSON (``forecast claims --json``) or a seed TOML (``[[claims]]``).

    Raises
    ------
    ForecastError
        One line: a missing file or one that is not a regular file, an empty or non-UTF-8 file,
        invalid JSON/TOML, nesting deeper than :data:`MAX_NESTING`, no ``claims`` list, or a
        claim whose keys have the wrong type (``claims[0].value_usd_bn: must be a number; got
        'abc'``).
    """
    p = Path(path)
    raw = read_bytes(p, "the claims file")
    if not raw.strip():
        raise ForecastError(f"{p}: the claims file must hold claims; got an empty file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ForecastError(
            f"{p}: the claims file must be UTF-8 text; got an undecodable byte at offset "
            f"{exc.start}"
        ) from None
    doc = _parse(p, text)
    records = doc.get("claims") if isinstance(doc, dict) else None
    if not isinstance(records, list) or not records:
        raise ForecastError(
            f"{p}: must hold a non-empty 'claims' list (from forecast claims --json or a "
            "seed file); got none"
        )
    return [_record(p, i, r) for i, r in enumerate(records)]
