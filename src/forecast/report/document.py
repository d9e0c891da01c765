"""A small document model that reports are built from and renderers turn into HTML or Markdown.

Builders (:mod:`forecast.report.scenario`, the audit) fill a :class:`Document` with sections of
typed blocks; :func:`forecast.report.html.render_html` and
:func:`forecast.report.markdown.render_markdown` render it. Blocks hold plain text: escaping is
the renderers' job, so text from scenario and data files never needs pre-escaping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

import pandas as pd


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) link, else None (rendered as plain text)."""
    if not url:
        return None
    text = url.strip()
    if any(c in text for c in "\x00\r\n\t <>\"'`"):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def slug(text: str) -> str:
    """A lowercase ASCII identifier for ids and file names."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "section"


@dataclass(frozen=True)
class Paragraph:
    """Plain text. ``kind`` "note" and "warning" are set apart by the renderers."""

    text: str
    kind: Literal["text", "note", "warning", "lead"] = "text"


@dataclass(frozen=True)
class Facts:
    """Label/value pairs, already formatted for people (the headline, a fit summary)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, a numeric sort key (None sorts as text) and an optional
    link (kept only if it is an http(s) URL)."""

    text: str
    sort: float | None = None
    url: str | None = None


@dataclass(frozen=True)
class Table:
    """A table whose columns sort in the browser. Build it with :meth:`from_frame`."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    numeric: tuple[bool, ...] = ()

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        caption: str = "",
        formats: Mapping[str, Callable[[Any], str]] | None = None,
        links: Mapping[str, str] | None = None,
        header: Mapping[str, str] | None = None,
    ) -> Table:
        """Cells from a DataFrame: ``formats`` maps a column to a function giving its text
        (numbers keep their value as sort key); ``links`` maps a column to the column holding
        its URL; ``header`` renames columns for display. Link columns are not shown."""
        formats = dict(formats or {})
        links = dict(links or {})
        header = dict(header or {})
        hidden = set(links.values())
        cols = [c for c in frame.columns if c not in hidden]
        numeric = tuple(pd.api.types.is_numeric_dtype(frame[c]) for c in cols)
        rows = []
        for rec in frame.to_dict("records"):
            cells = []
            for c in cols:
                v = rec[c]
                text = _text(v, formats.get(c))
                key = _sort_key(v)
                url = safe_url(str(rec[links[c]])) if c in links and rec[links[c]] else None
                cells.append(Cell(text, key, url))
            rows.append(tuple(cells))
        return cls(tuple(header.get(c, str(c)) for c in cols), tuple(rows), caption, numeric)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))


def _text(v: Any, fmt: Callable[[Any], str] | None) -> str:
    if _missing(v) or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    if fmt is not None:
        return fmt(v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}" if abs(v) >= 1e4 else str(v)
    return str(v)


def _sort_key(v: Any) -> float | None:
    if isinstance(v, bool) or _missing(v):
        return None
    if isinstance(v, int | float):
        return float(v) if math.isfinite(float(v)) else None
    return None


@dataclass(frozen=True)
class Figure:
    """A chart: PNG bytes (embedded in HTML, a file beside the Markdown), optional SVG bytes, a
    caption and alternative text for screen readers."""

    name: str
    png: bytes
    caption: str
    alt: str
    svg: bytes | None = None


Block = Paragraph | Facts | Table | Figure


@dataclass(frozen=True)
class OnePage:
    """The one-page summary (:mod:`forecast.report.summary`): plain text, a chart and a table;
    rendered at the top of the HTML report and as ``summary.pdf`` (which draws its chart itself:
    ``chart`` may be None there)."""

    title: str
    subtitle: str
    headline: str
    chart: Figure | None
    table: Table
    sources: str
    provenance: str


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    id: str = ""

    @property
    def anchor(self) -> str:
        return self.id or slug(self.title)


@dataclass(frozen=True)
class Document:
    """A report: title, sections in reading order, and the provenance block."""

    title: str
    sections: tuple[Section, ...]
    subtitle: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    summary: OnePage | None = None

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Figure)]


def section(title: str, blocks: Sequence[Block | None], *, id: str = "") -> Section:
    """A section from blocks, dropping the None entries optional content leaves."""
    return Section(title, tuple(b for b in blocks if b is not None), id)
