"""Scenario files: TOML documents parsed into frozen, validated :class:`Scenario` objects.

A scenario writes down a cited projection: the history it starts from, the anchors it is
calibrated to (each with its source), the curve family and bounds, the projection horizon and
levels, and optional segments (shares of the total that sum to one every year). A scenario can
``extends`` another file and override keys: tables merge key by key, everything else (lists
included) is replaced. An empty table merges as nothing, except ``assumptions = {}``,
``correlation = {}`` and ``simulation = {}``, which clear the inherited table (a variant without
the parent's uncertainty, or one forecast by a statistical model).

A scenario whose model is a statistical one (``family = "auto"``, ...) forecasts the history
alone, so the growth-curve settings (``model.error``, ``model.bounds``, ``model.fixed``,
``[assumptions]``, ``[correlation]``, ``[simulation]``) do not apply: written in its own file
they are an error; inherited through ``extends`` from a growth-curve parent they are dropped and
:attr:`Scenario.warnings` says so.

Parsing is pure and happens in two steps: :func:`load_document` resolves ``extends`` into one
plain ``dict``; :func:`parse_scenario` validates it (pydantic, unknown keys rejected with a
near-miss hint) and resolves money strings, files and published-estimate ids. Every rule broken
gives one :class:`ScenarioError` (or :class:`DataError`/:class:`MoneyError`) sentence naming the
file, the key, the rule and the value received.

The package: :mod:`.schema` (what a file may say), :mod:`.loading` (TOML and ``extends``),
:mod:`.resolve` with :mod:`.conversions` and :mod:`.segments` (from a validated document to a
:class:`Scenario`), :mod:`.parsed` (the result); :func:`parse_scenario` and
:func:`load_scenario` here tie them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ScenarioError
from ..readpolicy import ReadPolicy
from .loading import (
    CLEARABLE,
    CLEARABLE_NESTED,
    check_nesting,
    check_text,
    load_chain,
    load_document,
)
from .origins import Origins
from .parsed import EstimatesSource, InputFile, Scenario, Segment
from .resolve import resolve_document
from .schema import MAX_HORIZON, MAX_LABEL, MAX_TEXT, TEXT_LIMITS, ScenarioDoc, validation_message

__all__ = [
    "CLEARABLE",
    "CLEARABLE_NESTED",
    "MAX_HORIZON",
    "MAX_LABEL",
    "MAX_TEXT",
    "TEXT_LIMITS",
    "EstimatesSource",
    "InputFile",
    "Scenario",
    "ScenarioDoc",
    "Segment",
    "load_document",
    "load_scenario",
    "parse_scenario",
]


def parse_scenario(
    document: Mapping[str, Any],
    path: Path | str,
    chain: Sequence[Path] = (),
    *,
    sources: Sequence[Mapping[str, Any]] = (),
    policy: ReadPolicy | None = None,
) -> Scenario:
    """Validate a merged scenario document and resolve it into a :class:`Scenario`.

    ``chain`` and ``sources`` (the files of an ``extends`` chain and their own documents, child
    first) let errors name the file a bad key came from. The data files the document names are
    read under ``policy`` (by default: inside the scenario's folder, the ``data/`` beside it or
    the toolkit's ``data/``; see :mod:`forecast.readpolicy`).
    """
    path = Path(path)
    chain = tuple(chain) or (path,)
    origins = Origins(
        chain, sources if len(sources) == len(chain) else [document, *([{}] * (len(chain) - 1))]
    )
    check_nesting(document, origins())
    try:
        doc = ScenarioDoc.model_validate(dict(document))
    except ValidationError as exc:
        raise ScenarioError(validation_message(origins, exc)) from None
    check_text(document, origins)
    policy = policy if policy is not None else ReadPolicy.for_scenario(path)
    return resolve_document(doc, path, origins, document, policy)


def load_scenario(path: Path | str, *, allow: Iterable[Path | str] = ()) -> Scenario:
    """Load, merge (``extends``), validate and resolve a scenario file.

    The files it names (``extends``, ``history.file``, ``estimates``) must be regular files
    under the size limit inside the scenario's folder, the ``data/`` beside it, the toolkit's
    ``data/`` and ``scenarios/`` or a folder in ``allow`` (or ``FORECAST_ALLOW_PATH``): see
    :mod:`forecast.readpolicy`.

    Raises
    ------
    ForecastError
        ``ScenarioError``, ``DataError`` or ``MoneyError`` with a one-line message.
    """
    policy = ReadPolicy.for_scenario(path, allow)
    document, chain, docs = load_chain(path, policy)
    return parse_scenario(document, path, chain, sources=docs, policy=policy)
