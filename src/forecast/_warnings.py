"""Warnings of the libraries (matplotlib, scipy, numpy, pandas), captured instead of printed.

A run's stderr holds at most its one error line: a glyph a chart's font lacks or an overflow
inside an optimiser would otherwise print several lines of another package's wording (with
source lines) before it. :func:`library_warnings` records them, each distinct one once, for the
caller to fold into its own warnings (``run`` shows them in its summary) or drop.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAX_KEPT = 20  # distinct warnings kept per capture


class _Collector(logging.Handler):
    def __init__(self, found: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        _add(self.found, f"{record.name}: {record.getMessage()}")


def _add(found: list[str], text: str) -> None:
    text = " ".join(text.split())  # one line
    if text not in found and len(found) < MAX_KEPT:
        found.append(text)


@contextmanager
def library_warnings() -> Iterator[list[str]]:
    """Capture the warnings (``warnings`` and ``logging`` at WARNING and above) raised inside.

    Yields the list they are added to as they come: ``"Category: message"``, each distinct one
    once, at most ``MAX_KEPT``. Warnings the libraries' own filters ignore stay ignored; the rest
    are recorded every time (not once per place, so a second run in the same process sees the
    same)."""
    found: list[str] = []

    def record(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        _add(found, f"{category.__name__}: {message}")

    root = logging.getLogger()
    handler = _Collector(found)
    with warnings.catch_warnings():
        warnings.filterwarnings("always", append=True)
        warnings.showwarning = record
        root.addHandler(handler)
        try:
            yield found
        finally:
            root.removeHandler(handler)
