"""Uniform draws in reproducible blocks: Monte Carlo, Latin hypercube and Sobol.

The unit of randomness is the **block**: rows ``[b * block, (b + 1) * block)`` of a sample are a
pure function of ``(seed, b, block, n, k, method)``.  A caller may process those rows in any
chunks, in any order, or in several processes (``start``/``stop`` pick a slice) and always gets
the same numbers.  The block size is part of the definition of a Monte Carlo or Latin hypercube
sample (another block size gives another, equally valid sample); a Sobol sample does not depend
on it.

* ``"mc"``: block ``b`` draws from ``numpy.random.default_rng(SeedSequence(seed, spawn_key=(b,)))``
  -- the same stream as ``SeedSequence(seed).spawn(b + 1)[b]``, so blocks are independent.
* ``"lhs"``: a Latin hypercube stratified *within each block*
  (:class:`scipy.stats.qmc.LatinHypercube` on block ``b``'s generator, through
  :func:`latin_hypercube`): each of the block's rows
  falls in its own ``1 / rows`` stratum of every column.
* ``"sobol"``: one scrambled Sobol' sequence (:class:`scipy.stats.qmc.Sobol`, scrambled with
  ``seed``), fast-forwarded to the first row wanted, so rows ``i`` are the sequence's points ``i``
  however the sample is split.  ``n`` must be a power of two: the balance properties that make
  Sobol' worth using hold only for such sizes, so other sizes are refused (with the two nearest
  powers as a hint) rather than silently giving a worse sample.

Uniforms are clipped to ``[1e-12, 1 - 1e-12]`` so every inverse CDF stays finite.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ForecastError, near_miss
from .dependence import induce_rank_correlation, validate_correlation
from .distributions import Distribution

if TYPE_CHECKING:
    from scipy.stats import qmc

__all__ = ["MAX_DRAWS", "METHODS", "Method", "draw", "latin_hypercube", "uniform_blocks"]

Method: TypeAlias = Literal["mc", "lhs", "sobol"]
FloatArray: TypeAlias = NDArray[np.float64]

METHODS: Final = ("mc", "lhs", "sobol")
MAX_DRAWS: Final = 100_000_000
MAX_SOBOL_DIMENSION: Final = 21201  # scipy's direction numbers
_CLIP: Final = 1e-12


def _whole(value: object, where: str, rule: str, lo: int, hi: int | None = None) -> int:
    """An ``int`` (or an integral numpy integer or float) in ``[lo, hi]``; bool refused."""
    whole: int | None = None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        whole = int(value)
    elif isinstance(value, float) and value.is_integer():
        whole = int(value)
    if whole is None or whole < lo or (hi is not None and whole > hi):
        raise ForecastError(f"{where}: {rule}; got {value!r}")
    return whole


def _check(
    n: object, k: object, method: object, seed: object, block: object
) -> tuple[int, int, int]:
    n_ = _whole(n, "draws", f"must be between 1 and {MAX_DRAWS:,}", 1, MAX_DRAWS)
    k_ = _whole(k, "k", "the number of assumptions must be a whole number >= 1", 1)
    if method not in METHODS:
        raise ForecastError(
            f"method: must be one of {', '.join(METHODS)}; got {method!r}"
            + near_miss(str(method), METHODS)
        )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or int(seed) < 0:
        raise ForecastError(f"seed: must be a non-negative integer; got {seed!r}")
    block_ = _whole(block, "block", "must be a whole number >= 1", 1)
    if method == "sobol":
        if n_ & (n_ - 1):
            lo = 1 << (n_.bit_length() - 1)
            raise ForecastError(
                "draws: Sobol' sampling needs a power of two (its balance properties hold only "
                f"then); got {n_:,}; use {lo:,} or {2 * lo:,}"
            )
        if k_ > MAX_SOBOL_DIMENSION:
            raise ForecastError(
                f"k: Sobol' sampling supports at most {MAX_SOBOL_DIMENSION} assumptions; got {k_}"
            )
    return n_, k_, block_


def _block_generator(seed: int, b: int) -> np.random.Generator:
    """The generator of block ``b``: child ``b`` of ``SeedSequence(seed)``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(b,)))


def uniform_blocks(
    n: int,
    k: int,
    *,
    method: Method,
    seed: int,
    block: int = 65536,
    start: int = 0,
    stop: int | None = None,
) -> Iterator[tuple[int, FloatArray]]:
    """Yield a reproducible ``n x k`` sample of uniforms, one block at a time.

    Parameters
    ----------
    n : int
        Total rows of the sample, 1 to 100,000,000 (a power of two for ``"sobol"``).
    k : int
        Columns: one per assumption.
    method : {"mc", "lhs", "sobol"}
        Plain Monte Carlo, Latin hypercube stratified within each block, or scrambled Sobol'.
    seed : int
        Non-negative seed; the sample is a pure function of ``(seed, n, k, method, block)``.
    block : int, optional
        Rows per block, the unit of randomness (default 65536).  Changing it changes an
        ``"mc"`` or ``"lhs"`` sample, never a ``"sobol"`` one.
    start, stop : int, optional
        Yield only rows ``[start, stop)`` of the sample (default: all); the rows are identical to
        the same rows of the full sample, so workers can split one sample between them.

    Yields
    ------
    tuple of (int, ndarray of float)
        ``(first_row, U)`` with ``U`` of shape ``(rows, k)``, values in ``[1e-12, 1 - 1e-12]``;
        blocks come in row order and are cut at multiples of ``block`` and at ``start``/``stop``.

    Raises
    ------
    ForecastError
        One line when ``n``, ``k``, ``method``, ``seed``, ``block`` or ``start``/``stop`` is out
        of range, checked before anything is allocated.
    """
    n_, k_, block_ = _check(n, k, method, seed, block)
    stop_ = n_ if stop is None else _whole(stop, "stop", f"must be between 0 and {n_}", 0, n_)
    start_ = _whole(start, "start", f"must be between 0 and stop ({stop_})", 0, stop_)
    return _blocks(n_, k_, method, int(seed), block_, start_, stop_)


def latin_hypercube(gen: np.random.Generator, n: int, k: int) -> FloatArray:
    """``scipy.stats.qmc.LatinHypercube(d=k, rng=gen).random(n)`` (scrambled, strength 1, not
    optimised), the same numbers without loading scipy.stats (a test holds the two equal to the
    bit): a child of ``gen`` draws an ``n x k`` uniform jitter, then shuffles ``1..n`` once per
    column; row ``i`` is ``(perm[i] - jitter[i]) / n``."""
    rng = gen.spawn(1)[0]  # scipy's engine owns a spawned child of the generator it is given
    jitter = rng.uniform(size=(n, k))
    perms = np.tile(np.arange(1, n + 1), (k, 1))
    for j in range(k):
        rng.shuffle(perms[j, :])
    out: FloatArray = (perms.T - jitter) / n
    return out


def _blocks(
    n: int, k: int, method: Method, seed: int, block: int, start: int, stop: int
) -> Iterator[tuple[int, FloatArray]]:
    sobol: qmc.Sobol | None = None
    if method == "sobol" and start < stop:
        from scipy.stats import qmc  # here: the other samplers need not load scipy.stats

        sobol = qmc.Sobol(d=k, scramble=True, rng=seed)
        if start:
            sobol.fast_forward(start)
    row = start
    while row < stop:
        b = row // block
        block_start = b * block
        block_rows = min(block, n - block_start)
        end = min(block_start + block_rows, stop)
        if sobol is not None:
            with warnings.catch_warnings():
                # scipy warns about the balance of a first draw that is not a power of two; the
                # sample as a whole is one (checked), whichever pieces it is drawn in.
                warnings.filterwarnings(
                    "ignore", message=".*balance properties", category=UserWarning
                )
                u = sobol.random(end - row)
        else:
            gen = _block_generator(seed, b)
            if method == "mc":
                full = gen.random((block_rows, k))
            else:
                full = latin_hypercube(gen, block_rows, k)
            u = full[row - block_start : end - block_start]
        yield row, np.clip(np.asarray(u, dtype=np.float64), _CLIP, 1.0 - _CLIP)
        row = end


def draw(
    n: int,
    distributions: Sequence[Distribution],
    *,
    method: Method,
    seed: int,
    correlation: ArrayLike | None = None,
    block: int = 65536,
) -> FloatArray:
    """Draw ``n`` joint samples of the assumptions' distributions.

    Uniforms come from :func:`uniform_blocks`; if ``correlation`` is given they pass through the
    Gaussian copula of :func:`~forecast.uncertainty.dependence.induce_rank_correlation`; column
    ``j`` is then ``distributions[j].ppf``.  The whole ``n x k`` array is allocated: for very
    large samples, iterate over :func:`uniform_blocks` instead.

    Parameters
    ----------
    n : int
        Number of draws, 1 to 100,000,000 (a power of two for ``"sobol"``).
    distributions : sequence of Distribution
        One per column, e.g. from :func:`~forecast.uncertainty.distributions.parse_distribution`.
    method : {"mc", "lhs", "sobol"}
        Sampler, see :func:`uniform_blocks`.
    seed : int
        Non-negative seed.
    correlation : array_like, optional
        ``k x k`` Spearman rank correlations between the columns.
    block : int, optional
        Rows per block, the unit of randomness (default 65536).

    Returns
    -------
    ndarray of float, shape (n, k)
        The draws, column ``j`` in the canonical unit of ``distributions[j]``.

    Raises
    ------
    ForecastError
        For invalid ``n``, ``method``, ``seed`` or ``block``, or an invalid correlation matrix.
    """
    k = len(distributions)
    n_, k_, block_ = _check(n, k, method, seed, block)
    target = None
    if correlation is not None:
        target = validate_correlation(correlation, [str(i) for i in range(k_)], where="correlation")
    out = np.empty((n_, k_), dtype=np.float64)
    for first, u in uniform_blocks(n_, k_, method=method, seed=seed, block=block_):
        if target is not None:
            u = induce_rank_correlation(u, target)
        for j, dist in enumerate(distributions):
            out[first : first + len(u), j] = dist.ppf(u[:, j])
    return out
