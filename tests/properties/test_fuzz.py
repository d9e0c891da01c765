"""Fuzzing the readers of untrusted input, each example within a time budget.

The claims scanner (text from the web), the claims-file reader (``audit``'s input), the
scenario loader and the CSV readers get hostile and random input. Every input must either be
read or refused with a :class:`~forecast.errors.ForecastError` (a one-line message), never
another exception, and within :data:`BUDGET` per example: hypothesis' ``deadline`` reports a
slow example, and an interval timer interrupts one that runs far past it (an exponential-time
regular expression would otherwise hang the suite instead of failing it).

The texts are built from the pieces the readers act on (qualifiers, amounts, years, TOML and
CSV syntax), repeated into long runs, so that the patterns' worst cases are reached far more
often than by uniformly random characters. ``benchmarks/claims_text.py`` measures the
scanner's time against length; these tests only hold every example to the budget.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from forecast.claims import extract, sentences
from forecast.errors import ForecastError

from .conftest import examples

BUDGET = timedelta(seconds=2)  # per example; each takes milliseconds to tens of milliseconds
HARD_STOP = 10.0  # seconds: an example still running then is interrupted and fails


class TimeBudgetExceeded(AssertionError):
    """An example ran far past the budget (interrupted by the interval timer)."""


@contextlib.contextmanager
def hard_stop(seconds: float = HARD_STOP) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (POSIX, main thread; elsewhere only the deadline)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise TimeBudgetExceeded(f"still running after {seconds:g} s (budget {BUDGET})")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_or_refuse(read: Callable[[], Any]) -> Any:
    """``read()``'s result, or None when it refused with a one-line ForecastError."""
    with hard_stop():
        try:
            return read()
        except ForecastError as exc:
            assert len(str(exc).splitlines()) == 1, str(exc)
            return None


def runs(units: list[str], *, heads: list[str], tails: list[str], most: int) -> Any:
    """``head + unit * k + tail``: one piece repeated into a long run between two others."""
    return st.builds(
        lambda h, u, k, t: h + u * k + t,
        st.sampled_from(heads),
        st.sampled_from(units),
        st.integers(0, most),
        st.sampled_from(tails),
    )


# ------------------------------------------------------------------------------------------------
# the claims scanner
# ------------------------------------------------------------------------------------------------

CLAIM_PIECES = [
    "The", "global AI market", "is", "was", "were", "will", "could", "reach", "reached",
    "expected to", "grow", "from", "up from", "by", "in", "2023", "2030", "FY30", "$1.57 trillion",
    "$196.6 billion", "USD 1.8 tn", "€200bn", "5 billion", "1.4 billion people", "half a trillion",
    "an estimated", "estimated", "about", "approx.", "nearly", "some", "over", "more than",
    "just under", "close to", "an", "a", "stood at", "stands at", "currently", "today",
    "valued at", "worth", "be valued at", "market size of", "actually", "already", "hit", "at",
    "of", "a CAGR of 37.3%", "25-35% CAGR", "from 2023 to 2030", "(2024-2030)", ",", ";", ":",
    ", but", ".", "Inc.", "U.S.", "it", "its", "revenue", "sector", "by the end of the decade",
    "in the coming years", "had predicted", "up to", "at least", "1,811.8", "billion", "36% a year",
    "(CAGR 2025-2031) of 26.60%", "resulting in a market volume of", "1111", "a.", "\n", "   ",
]  # fmt: skip
RUN_UNITS = [
    "an estimated ", "an ", " ", "close to ", "about ", "1", "it will reach $5 billion, ",
    "5 billion ", "in the coming years ", "Inc. ", "a.", "was $5 billion in 2031, ",
    "estimated at ", "\t\n ",
]  # fmt: skip
CLAIM_TEXT = st.one_of(
    # runs of one piece before an amount: the shapes that made the scanner exponential/quadratic
    runs(
        RUN_UNITS,
        heads=["The global AI market was ", "was", "The AI market will reach ", "", "from "],
        tails=["x $5 billion by 2030.", "$5 billion by 2030.", "%", " by 2030", ""],
        most=1500,
    ),
    st.lists(st.sampled_from(CLAIM_PIECES), max_size=300).map(" ".join),
    st.lists(st.sampled_from(CLAIM_PIECES), max_size=300).map("".join),
    st.text(max_size=2000),
)


@settings(max_examples=examples(1.0), deadline=BUDGET)
@given(CLAIM_TEXT)
# issue 14: 38 s (24 repetitions) and past 120 s (30) before the rewrite; 33.5 s for the spaces
@example("The global AI market was " + "an estimated " * 30 + "x $5 billion by 2030.")
@example("was" + " " * 100_000 + "x $5 billion by 2030.")
@example("The AI market will reach $5 billion by 2030 at " + "1" * 20_000 + ".")
def test_claims_scanner_reads_any_text_within_the_budget(text: str) -> None:
    with hard_stop():
        claims = extract(text)
        spans = sentences(text)
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text
        assert claim.sentence_start <= claim.start <= claim.end <= claim.sentence_end
    assert all(0 <= a <= b <= len(text) for a, b in spans)
