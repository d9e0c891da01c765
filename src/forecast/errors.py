"""The toolkit's error family.

Every error a user can cause is a :class:`ForecastError` whose message is one sentence of the shape
``<where>: <rule>; got <value>[; did you mean '<near miss>'?]``.  The CLI turns it into one line on
stderr and exit code 2; Python callers can catch the family or one of its subclasses.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Every character str.splitlines() breaks a line at, with the escape that shows it instead.
_LINE_BREAKS = {ch: repr(ch)[1:-1] for ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
_ONE_LINE = str.maketrans(_LINE_BREAKS)


def one_line(text: str) -> str:
    """``text`` with every line break shown as its escape (``\\n``), so it prints as one line."""
    return text.translate(_ONE_LINE)


# Characters a terminal, a browser or a spreadsheet would act on instead of showing: C0 controls
# (tab and line feed excepted), DEL, C1 controls, and the bidirectional overrides, embeddings,
# isolates and marks that reorder the text around them (a right-to-left override shows
# "txt.exe" as "exe.txt").
_INVISIBLE = (
    [c for c in range(0x20) if chr(c) not in "\t\n"]
    + list(range(0x7F, 0xA0))
    + [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
_VISIBLE = str.maketrans({c: f"\\u{c:04x}" for c in _INVISIBLE})


def visible(text: str) -> str:
    """``text`` with every control and bidirectional-override character shown as its ``\\uXXXX``
    escape, so it is shown and never acted on (a terminal's escape sequences, a right-to-left
    override). Tabs and line feeds are kept; the escapes are also valid inside JSON strings."""
    return text.translate(_VISIBLE)


class ForecastError(Exception):
    """Base class of every error the toolkit raises on purpose.

    Its text is always one line: a line break that reaches the message from user input (a TOML
    key such as ``"a\\rb"``, a CSV header) is shown escaped, so the CLI's one stderr line stays
    one line.
    """

    exit_code = 2

    def __str__(self) -> str:
        return one_line(super().__str__())


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


class EnvironmentFailure(ForecastError):
    """The machine refused an operation the input was fine for (a full disk, a read-only
    folder, too little memory): one line naming the path and the system's reason, exit code 1."""

    exit_code = 1


def near_miss(word: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidate, or ``""`` if none is close."""
    by_lower = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean '{by_lower[match[0]]}'?" if match else ""


def message(where: str, rule: str, got: object, hint: str = "") -> str:
    """Build the one-sentence error shape used across the toolkit."""
    return f"{where}: {rule}; got {got!r}{hint}"
