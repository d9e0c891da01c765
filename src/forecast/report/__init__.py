"""Reports: documents built from results and rendered as HTML, Markdown and a workbook.

A leaf of the package: it consumes results (scenario runs, simulations, sensitivity tables,
published estimates) and computes nothing of its own. matplotlib, Jinja2 and openpyxl are
imported lazily, when a report is rendered.
"""

from __future__ import annotations

from .document import Cell, Document, Facts, Figure, Paragraph, Section, Table, safe_url, section
from .html import render_html
from .markdown import md_escape, render_markdown

__all__ = [
    "Cell",
    "Document",
    "Facts",
    "Figure",
    "Paragraph",
    "Section",
    "Table",
    "md_escape",
    "render_html",
    "render_markdown",
    "safe_url",
    "section",
]
