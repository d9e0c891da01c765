"""Render a :class:`~forecast.report.document.Document` as Markdown with its charts as files.

Text from scenario and data files is escaped: ``<``, ``>`` and ``&`` become entities (so raw HTML
in a name is shown, not run, by renderers that allow HTML), Markdown's punctuation is
backslash-escaped, and control and bidirectional-override characters are shown as ``\\uXXXX``
escapes; links are kept only when they are http(s) URLs.
"""

from __future__ import annotations

import json
import re

from .._version import __version__
from ..errors import visible
from .document import Cell, Document, Facts, Figure, Paragraph, Table

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#$])")


def md_escape(text: str) -> str:
    """Escape text for inline Markdown (one line: newlines become spaces)."""
    text = visible(" ".join(str(text).split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _cell(c: Cell) -> str:
    text = md_escape(c.text)
    return f"[{text}](<{c.url}>)" if c.url else text


def _table(t: Table) -> list[str]:
    lines = []
    if t.caption:
        lines += [f"*{md_escape(t.caption)}*", ""]
    align = [("---:" if (t.numeric and t.numeric[i]) else ":---") for i in range(len(t.header))]
    lines.append("| " + " | ".join(md_escape(h) for h in t.header) + " |")
    lines.append("| " + " | ".join(align) + " |")
    for row in t.rows:
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def render_markdown(doc: Document, *, charts_dir: str = "charts") -> dict[str, bytes]:
    """``report.md`` and its chart files (``charts/<name>.png`` and ``.svg``) as bytes by
    relative path."""
    files: dict[str, bytes] = {}
    out = [f"# {md_escape(doc.title)}", ""]
    if doc.subtitle:
        out += [md_escape(doc.subtitle), ""]
    for s in doc.sections:
        out += [f"## {md_escape(s.title)}", ""]
        for b in s.blocks:
            if isinstance(b, Paragraph):
                text = md_escape(b.text)
                if b.kind == "warning":
                    text = f"> **Warning:** {text}"
                elif b.kind == "note":
                    text = f"> {text}"
                elif b.kind == "lead":
                    text = f"**{text}**"
                out += [text, ""]
            elif isinstance(b, Facts):
                out += [f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in b.items] + [""]
            elif isinstance(b, Table):
                out += [*_table(b), ""]
            elif isinstance(b, Figure):
                png = f"{charts_dir}/{b.name}.png"
                files[png] = b.png
                if b.svg is not None:
                    files[f"{charts_dir}/{b.name}.svg"] = b.svg
                out += [f"![{md_escape(b.alt)}]({png})", "", f"*{md_escape(b.caption)}*", ""]
    if doc.provenance:
        out += [
            "<details><summary>Provenance (JSON)</summary>",
            "",
            "```json",
            visible(  # JSON escapes controls below U+0020 only; the escapes stay valid JSON
                json.dumps(doc.provenance, indent=2, sort_keys=True, ensure_ascii=False)
                .replace("<", "\\u003c")
                .replace(">", "\\u003e")
                .replace("`", "\\u0060")
            ),
            "```",
            "",
            "</details>",
            "",
        ]
    out += [f"*Made by forecast {__version__}.*", ""]
    files["report.md"] = "\n".join(out).encode("utf-8")
    return files
