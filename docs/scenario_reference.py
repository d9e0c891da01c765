"""The scenario-file reference, generated from the schema (the pydantic models of
``forecast.scenario``): one table per TOML table with every key, its type, default and
description. The descriptions are the docstrings under each field in the schema's source
(``src/forecast/scenario/schema.py``).

A mkdocs hook (``hooks`` in mkdocs.yml): replaces ``<!-- scenario-keys -->`` in
``reference/scenario-file.md``. ``python docs/scenario_reference.py`` prints the Markdown.
A field without a description fails the build.
"""

from __future__ import annotations

import ast
import json
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from forecast.scenario import schema as scenario

MARKER = "<!-- scenario-keys -->"
PAGE = "reference/scenario-file.md"


def field_docs() -> dict[str, dict[str, str]]:
    """Class name -> field name -> the docstring written under the field."""
    tree = ast.parse(Path(scenario.__file__).read_text(encoding="utf-8"))
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = out.setdefault(node.name, {})
        for a, b in zip(node.body, node.body[1:], strict=False):
            if (
                isinstance(a, ast.AnnAssign)
                and isinstance(a.target, ast.Name)
                and isinstance(b, ast.Expr)
                and isinstance(b.value, ast.Constant)
                and isinstance(b.value.value, str)
            ):
                docs[a.target.id] = " ".join(b.value.value.split())
    return out


def _models(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in get_args(tp) for m in _models(arg)]


def _type(tp: Any, sections: dict[type[BaseModel], str]) -> str:
    origin, args = get_origin(tp), get_args(tp)
    if origin is Annotated:
        return _type(args[0], sections)
    if origin in (Union, types.UnionType):
        parts = list(dict.fromkeys(_type(a, sections) for a in args if a is not type(None)))
        if "number" in parts and "integer" in parts:
            parts.remove("integer")
        return " or ".join(parts)
    if origin is Literal:
        return "one of " + ", ".join(f"`{json.dumps(a)}`" for a in args)
    if origin is list:
        return f"list of {_type(args[0], sections)}"
    if origin is dict:
        return f"table of {_type(args[1], sections)}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"table, see [`{sections[tp]}`](#{_anchor(sections[tp])})"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(tp, "any")


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default
    if value is PydanticUndefined or value is None:
        return ""
    if isinstance(value, BaseModel):
        return "(see its table)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{json.dumps(value)}`"


def _anchor(section: str) -> str:
    return "".join(c for c in section if c.isalnum() or c == "_") or "top"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """The tables, top level first, then each table in the order the top level names it."""
    docs = field_docs()
    sections: dict[type[BaseModel], str] = {scenario.ScenarioDoc: "top level"}  # the file
    order: list[type[BaseModel]] = [scenario.ScenarioDoc]
    for model in order:  # grows while it is walked: nested tables after their parent
        for name, info in model.model_fields.items():
            for sub in _models(info.annotation):
                if sub not in sections:
                    many = get_origin(info.annotation) is list
                    prefix = "" if model is scenario.ScenarioDoc else f"{sections[model]}."
                    sections[sub] = f"[[{name}]]" if many else f"[{prefix.strip('[]')}{name}]"
                    order.append(sub)
    out: list[str] = []
    missing: list[str] = []
    for model in order:
        title = sections[model]
        head = "Top level" if model is scenario.ScenarioDoc else f"`{title}`"
        out += [f"## {head} {{#{_anchor(title)}}}", ""]
        out += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for name, info in model.model_fields.items():
            text = next(
                (docs[c.__name__][name] for c in model.__mro__ if name in docs.get(c.__name__, {})),
                "",
            )
            if not text:
                missing.append(f"{model.__name__}.{name}")
            row = [f"`{name}`", _type(info.annotation, sections), _default(info), text]
            out.append("| " + " | ".join(_cell(c) for c in row) + " |")
        out.append("")
    if missing:
        raise RuntimeError(
            "scenario schema: every field needs a docstring under it "
            f"(src/forecast/scenario/schema.py); missing: {', '.join(missing)}"
        )
    return "\n".join(out)


def on_page_markdown(text: str, page: Any, **_: Any) -> str:
    """mkdocs hook: put the generated tables in place of the marker."""
    if page.file.src_uri == PAGE:
        if MARKER not in text:
            raise RuntimeError(f"{PAGE}: the marker {MARKER} is missing")
        return text.replace(MARKER, markdown())
    return text


if __name__ == "__main__":
    print(markdown())
