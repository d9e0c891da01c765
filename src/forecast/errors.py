"""The toolkit's error family.

Every error a user can cause is a :class:`ForecastError` whose message is one sentence of the shape
``<where>: <rule>; got <value>[; did you mean '<near miss>'?]``.  The CLI turns it into one line on
stderr and exit code 2; Python callers can catch the family or one of its subclasses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ForecastError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    exit_code = 2


class ScenarioError(ForecastError):
    """A scenario file breaks a rule (schema, values, inheritance)."""


class DataError(ForecastError):
    """A data file (CSV) is missing, empty or holds bad rows."""


class MoneyError(ForecastError, ValueError):
    """A money string cannot be parsed into an unambiguous amount."""


class FitError(ForecastError):
    """A model cannot be fitted: too little data, no convergence, an anchor out of reach."""


class OutputError(ForecastError):
    """Results cannot be written without losing earlier ones."""


def near_miss(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close."""
    by_lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean '{by_lower[match[0]]}'?" if match else ""


def message(where: str, rule: str, got: object, hint: str = "") -> str:
    """Build the one-sentence error shape used across the toolkit."""
    return f"{where}: {rule}; got {got!r}{hint}"
