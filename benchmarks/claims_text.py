"""Claims scanner on hostile text: time against length for adversarial shapes and random text.

``forecast claims`` reads articles from the web, so its scanner
(:func:`forecast.audit.claims.extract`) must take time linear in the text whatever the text.
Each shape below is a text built to hit one pattern or loop that was, or could be,
super-linear: the two shapes of issue 14 (a run of qualifiers before an amount, 2^n; a run of
spaces, n^2), the others found by auditing every pattern and loop of ``audit/scan.py`` and
``audit/claims.py``, and random text from a seeded
generator (claim-grammar pieces with random separators, and random characters).

Each shape runs in its own process with a time limit, so a regression to exponential time shows
as ``>LIMIT`` instead of hanging the run. A cell is the best of ``--repeat`` runs.

The table gives seconds per length, seconds per 100 KB at the largest length, and the growth
exponent (least-squares slope of log time against log length: 1 is linear, 2 quadratic). The
last line is one JSON object with every figure and the verdict: linear when every shape's
exponent is at most 1.3, and fast when every shape takes under 1 s per 100 KB.

Usage::

    python benchmarks/claims_text.py                        # 25, 50, 100, 200 KB
    python benchmarks/claims_text.py --sizes 1000 2000 --limit 10
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import time
from collections.abc import Callable

# ------------------------------------------------------------------------------------------------
# shapes: length -> text of about that length
# ------------------------------------------------------------------------------------------------


def _repeat(head: str, unit: str, tail: str, n: int) -> str:
    return head + unit * max(1, (n - len(head) - len(tail)) // len(unit)) + tail


_PIECES = [
    "The", "global", "AI", "market", "is", "was", "were", "will", "could", "reach", "reached",
    "expected", "to", "grow", "from", "up from", "by", "in", "2023", "2030", "FY30",
    "$1.57 trillion", "$196.6 billion", "USD 1.8 tn", "€200bn", "5 billion", "1.4 billion people",
    "half a trillion",
    "an estimated", "about", "approximately", "approx.", "nearly", "some", "over", "more than",
    "just under", "close to", "an", "a", "stood at", "stands at", "currently", "today", "valued at",
    "worth", "be valued at", "market size of", "actually", "already", "hit", "at", "of",
    "a CAGR of 37.3%", "25-35% CAGR", "from 2023 to 2030", "(2024-2030)", ",", ";", ":", ", but",
    ".", "Inc.", "U.S.", "it", "its", "revenue", "sector", "spending", "by the end of the decade",
    "in the coming years", "had predicted", "up to", "at least", "between", "and", "1,811.8",
    "billion", "trillion", "36% a year", "(CAGR 2025-2031) of 26.60%",
    "resulting in a market volume of",
]  # fmt: skip
_SEPARATORS = [" "] * 8 + ["", "  ", "\t", "\n", " " * 40]


def _random_pieces(n: int) -> str:
    rng = random.Random(20300157)
    out: list[str] = []
    size = 0
    while size < n:
        piece = rng.choice(_PIECES) + rng.choice(_SEPARATORS)
        out.append(piece)
        size += len(piece)
    return "".join(out)


def _random_chars(n: int) -> str:
    rng = random.Random(20300158)
    alphabet = "0123456789" * 3 + "$€ .,;:%-()\n" * 2 + "abcdeinorstTBM"
    return "".join(rng.choice(alphabet) for _ in range(n))


def _random_words(n: int) -> str:
    """Long run-on sentences of claim words: few sentence ends, many amounts per sentence."""
    rng = random.Random(20300159)
    words = [p for p in _PIECES if p not in {".", "Inc.", "U.S."}]
    out: list[str] = []
    size = 0
    while size < n:
        piece = rng.choice(words) + " "
        out.append(piece)
        size += len(piece)
    return "".join(out)


SHAPES: dict[str, Callable[[int], str]] = {
    # issue 14, item 4: 2^n before, n^2 before
    "qualifier run (issue)": lambda n: _repeat(
        "The global AI market was ", "an estimated ", "x $5 billion by 2030.", n
    ),
    "space run (issue)": lambda n: _repeat("was", " ", "x $5 billion by 2030.", n),
    # found by the audit
    "'close to' run": lambda n: _repeat(
        "The AI market will reach ", "close to ", "x $5 billion by 2030.", n
    ),
    "qualifiers after 'from'": lambda n: _repeat(
        "The AI market will reach $9 billion by 2030 from ", "an estimated ", "x $5 billion.", n
    ),
    "digit run": lambda n: _repeat("The AI market will reach $5 billion by 2030 at ", "1", ".", n),
    "one sentence of targets": lambda n: _repeat(
        "", "The AI market will reach $5 billion by 2030, ", ".", n
    ),
    "targets without subject": lambda n: _repeat("", "it will reach $5 billion by 2030, ", ".", n),
    "amounts without currency": lambda n: _repeat("", "5 billion ", ".", n),
    "vague periods": lambda n: _repeat(
        "The AI market will reach $5 billion ", "in the coming years ", ".", n
    ),
    "actuals then targets": lambda n: (
        _repeat("", "The AI market was $5 billion in 2031, ", "", n // 2)
        + _repeat("", "and will reach $9 billion by 2030, ", ".", n // 2)
    ),
    "abbreviations": lambda n: _repeat("", "The AI market Inc. ", "will reach $5 billion.", n),
    "initials": lambda n: _repeat("", "a.", " The AI market will reach $5 billion.", n),
    "plain sentences": lambda n: _repeat(
        "", "The AI market will reach $5 billion by 2030. ", "", n
    ),
    "random pieces (seeded)": _random_pieces,
    "random words (seeded)": _random_words,
    "random characters (seeded)": _random_chars,
}


# ------------------------------------------------------------------------------------------------
# measuring
# ------------------------------------------------------------------------------------------------


def _time_shape(shape: str, sizes: list[int], repeat: int) -> list[float]:
    """Best-of-``repeat`` seconds of ``extract`` on the shape at each size (run in the child)."""
    from forecast.audit.claims import extract

    extract(SHAPES["plain sentences"](2000))  # warm: imports, compiled patterns
    out = []
    for n in sizes:
        text = SHAPES[shape](n)
        best = math.inf
        for _ in range(repeat):
            t = time.perf_counter()
            extract(text)
            best = min(best, time.perf_counter() - t)
        out.append(best)
    return out


def _measure(shape: str, sizes: list[int], repeat: int, limit: float) -> list[float | None]:
    """Run one shape in a child process; ``None`` for the sizes it did not finish in time."""
    cmd = [sys.executable, __file__, "--child", shape, "--repeat", str(repeat), "--sizes"]
    try:
        done = subprocess.run(
            [*cmd, *map(str, sizes)], capture_output=True, text=True, timeout=limit, check=True
        )
    except subprocess.TimeoutExpired:
        # time the sizes one by one, so the table still shows where the shape stops finishing
        times: list[float | None] = []
        for n in sizes:
            if times and times[-1] is None:
                times.append(None)
                continue
            try:
                one = subprocess.run(
                    [*cmd, str(n)], capture_output=True, text=True, timeout=limit, check=True
                )
                times.append(json.loads(one.stdout)[0])
            except subprocess.TimeoutExpired:
                times.append(None)
        return times
    return list(json.loads(done.stdout))


def _exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log time against log length (1: linear, 2: quadratic)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(max(t, 1e-6)) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell; the best is kept")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per shape process")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes)
    if args.child:
        print(json.dumps(_time_shape(args.child, sizes, args.repeat)))
        return 0

    head = ["shape", *(f"{n / 1000:g} KB" for n in sizes), "s / 100 KB", "exponent"]
    rows = [head]
    figures: dict[str, dict[str, object]] = {}
    for shape in SHAPES:
        times = _measure(shape, sizes, args.repeat, args.limit)
        done = [(n, t) for n, t in zip(sizes, times, strict=True) if t is not None]
        per_100kb = done[-1][1] * 100_000 / done[-1][0] if len(done) == len(sizes) else None
        slope = _exponent(done) if len(done) == len(sizes) and len(sizes) >= 2 else None
        figures[shape] = {"seconds": times, "s_per_100kb": per_100kb, "exponent": slope}
        rows.append(
            [
                shape,
                *(f">{args.limit:g}" if t is None else f"{t:.3f}" for t in times),
                "-" if per_100kb is None else f"{per_100kb:.3f}",
                "-" if slope is None else f"{slope:.2f}",
            ]
        )
        print(f"  {shape}: {rows[-1][1:]}", file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                        enumerate(zip(r, widths, strict=True))))  # fmt: skip
    finished = all(f["s_per_100kb"] is not None for f in figures.values())
    rates = [f["s_per_100kb"] for f in figures.values()]
    slopes = [f["exponent"] for f in figures.values()]
    worst_rate = max(r if isinstance(r, float) else math.inf for r in rates)
    worst_slope = max((s for s in slopes if isinstance(s, float)), default=math.nan)
    summary = {
        "benchmark": "claims_text",
        "sizes": sizes,
        "shapes": figures,
        "max_s_per_100kb": worst_rate if finished else None,
        "max_exponent": worst_slope,
        "linear": finished and worst_slope <= 1.3,
        "under_1s_per_100kb": finished and worst_rate < 1.0,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
