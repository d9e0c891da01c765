"""Render a :class:`~forecast.report.document.Document` as one self-contained HTML file.

Jinja2 with autoescape: every text from a scenario or data file is escaped, and its control and
bidirectional-override characters are shown as ``\\uXXXX`` escapes (a right-to-left override is
shown, not applied: it cannot make "exe.txt" read "txt.exe"); links are kept only
when they are http(s) URLs (:func:`~forecast.report.document.safe_url`). Charts are embedded as
base64 PNG, the style sheet and the table-sorting script are inline and pinned by their hashes in
a Content-Security-Policy that allows nothing else, so the file loads nothing from the network.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from importlib import resources
from typing import Any

from .._version import __version__
from ..errors import visible
from .document import Document


def _template_text(name: str) -> str:
    return resources.files("forecast.report").joinpath("templates", name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


@cache
def _environment() -> Any:
    import jinja2
    import markupsafe

    def shown(value: Any) -> Any:
        """Text shown, not acted on; the template's own markup (style, script) untouched."""
        if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
            return visible(value)
        return value

    env = jinja2.Environment(
        autoescape=True,
        finalize=shown,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    return env


def render_html(doc: Document) -> bytes:
    """The document as UTF-8 HTML bytes (deterministic for the same document)."""
    env = _environment()
    template = env.from_string(_template_text("report.html.j2"))
    style = _template_text("report.css")
    script = _template_text("sort.js")
    html: str = template.render(
        doc=doc,
        version=__version__,
        style=style,
        script=script,
        style_hash=_csp_hash(style),
        script_hash=_csp_hash(script),
    )
    return html.encode("utf-8")
