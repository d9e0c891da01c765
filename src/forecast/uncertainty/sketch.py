"""A deterministic, mergeable quantile summary with a stated rank-error bound.

Above :data:`~forecast.uncertainty.propagate.EXACT_MAX_DRAWS` draws the Monte Carlo does not keep
every draw: each block of draws is summarised here, and the summaries are merged along one fixed
binary tree over the blocks (:class:`Fold`), so the result is the same whichever process computed
which block, and memory does not grow with the number of draws.

The summary is the merge-and-reduce scheme of Manku, Rajagopalan and Lindsay (SIGMOD 1998), the
deterministic ancestor of KLL (Karnin, Lang and Liberty, FOCS 2016): a sorted list of at most
:data:`K` draws with integer weights. Merging two summaries sorts their items together; when more
than ``K`` items result they are *compacted* to ``K``: item ``j`` is the draw at weighted position
``floor((2j + 1) W / 2K)`` (``W`` the total weight) and carries weight
``floor((j + 1) W / K) - floor(j W / K)``. A compaction moves the rank of any value by at most
``W / 2K + 1`` (the rank of ``x`` becomes the boundary ``floor(J W / K)`` next to it), and ranks
of merged summaries add, so a summary's error bound is the sum of those terms over the
compactions below it: at most ``(levels + 1) n / 2K`` plus one per compaction, for ``levels`` the
height of the tree (``ceil(log2(blocks))``). :attr:`RankSummary.error` carries that sum, computed
exactly for the run.

Why not a library sketch: Apache DataSketches' KLL (the ``datasketches`` package) compacts with a
random coin drawn from a generator seeded by the clock, which Python cannot seed, so the same
draws give different quantiles from run to run (byte-identical reruns would be lost); a t-digest
(``crick``, ``fastdigest``) is deterministic but has no worst-case rank-error bound and costs
several times more per value. Fixing the coin (every compaction keeps the item at the middle of
its weight interval) makes the summary a pure function of its inputs and of the tree, at the
price of a deterministic bound that grows with the tree's height instead of KLL's probabilistic
one.

Each reported quantile is read as :func:`numpy.quantile` (``method="linear"``) reads sorted
data, with the order statistics replaced by the summary's items at those weighted positions; so
while no compaction has happened (at most ``K`` draws) the summary is exact and equals
``numpy.quantile`` bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Items per summary (per row): the compaction target.
K = 8192

T = TypeVar("T")


@dataclass(frozen=True)
class RankSummary:
    """Summaries of ``rows`` samples of the same draws (one row per series and year, say).

    ``values`` (rows x k) holds each row's items in ascending order; ``weights`` (k,) is shared by
    the rows (rows summarise the same draws, and a compaction's weights depend only on the total);
    ``error`` is the bound on the absolute rank error of every row (see the module docstring).
    """

    values: FloatArray
    weights: IntArray
    error: float = 0.0

    @classmethod
    def empty(cls, rows: int) -> RankSummary:
        """A summary of no draws."""
        return cls(np.empty((rows, 0)), np.empty(0, dtype=np.int64))

    @classmethod
    def of(cls, values: FloatArray) -> RankSummary:
        """The summary of one block: ``values`` is rows x draws (finite)."""
        values = np.sort(np.asarray(values, dtype=float), axis=1)
        m = values.shape[1]
        if m <= K:
            return cls(values, np.ones(m, dtype=np.int64))
        pos = _positions(m)  # unit weights: the item at position r is the r-th smallest
        return cls(np.ascontiguousarray(values[:, pos]), _weights(m), m / (2 * K) + 1.0)

    @property
    def rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def total(self) -> int:
        """The number of draws summarised."""
        return int(self.weights.sum())

    @property
    def rank_error(self) -> float:
        """The bound on the rank error of a reported quantile, as a share of the draws: the
        summary's error plus one position for the interpolation between neighbours."""
        n = self.total
        return (self.error + 1.0) / n if self.error and n else 0.0

    def merge(self, other: RankSummary) -> RankSummary:
        """The summary of both summaries' draws (compacted to at most :data:`K` items)."""
        if not other.weights.size:
            return self
        if not self.weights.size:
            return other
        values = np.concatenate([self.values, other.values], axis=1)
        weights = np.concatenate([self.weights, other.weights])
        error = self.error + other.error
        # two sorted runs: the stable sort merges them in linear time
        order = np.argsort(values, axis=1, kind="stable")
        values = np.take_along_axis(values, order, axis=1)
        k = values.shape[1]
        if k <= K:  # unit weights (never compacted), so the rows still share them
            return RankSummary(values, weights, error)
        total = int(weights.sum())
        cum = np.cumsum(weights[order], axis=1)
        # the item holding each target position, every row at once (rows offset apart)
        offset = (np.arange(self.rows, dtype=np.int64) * (total + 1))[:, None]
        hit = np.searchsorted((cum + offset).ravel(), (_positions(total) + offset).ravel(), "right")
        hit = hit.reshape(self.rows, K) - (np.arange(self.rows) * k)[:, None]
        out = np.take_along_axis(values, hit, axis=1)
        return RankSummary(out, _weights(total), error + total / (2 * K) + 1.0)

    def quantiles(self, qs: Sequence[float] | FloatArray) -> FloatArray:
        """Quantiles of every row (rows x len(qs)), as :func:`numpy.quantile` reads them."""
        n = self.total
        q = np.asarray(qs, dtype=float)
        virtual = (n - 1) * q
        before = np.clip(np.floor(virtual).astype(np.int64), 0, n - 1)
        after = np.clip(before + 1, 0, n - 1)
        gamma = virtual - np.floor(virtual)
        cum = np.cumsum(self.weights)
        a = self.values[:, np.searchsorted(cum, before, "right")]
        b = self.values[:, np.searchsorted(cum, after, "right")]
        diff = b - a
        out = a + diff * gamma
        return np.asarray(np.where(gamma >= 0.5, b - diff * (1 - gamma), out), dtype=float)


def _positions(total: int) -> IntArray:
    """The weighted positions the compacted items are read at: ``floor((2j + 1) W / 2K)``."""
    j = np.arange(K, dtype=np.int64)
    return ((2 * j + 1) * total) // (2 * K)


def _weights(total: int) -> IntArray:
    """The compacted items' weights: ``floor((j + 1) W / K) - floor(j W / K)``."""
    return np.diff((np.arange(K + 1, dtype=np.int64) * total) // K)


@dataclass
class Fold(Generic[T]):
    """Merge a run of consecutive parts along one fixed binary tree, in bounded memory.

    Parts are pushed in order; two parts at the same level are merged as soon as both are there
    (a binary counter), and :meth:`result` merges what is left from the right. The tree is the
    one that pairs parts ``(0, 1), (2, 3), ...`` level after level, an odd part out passing up
    unchanged, so folding aligned groups of ``2**j`` parts and then folding the groups' results
    (pushed at level ``j``) gives the same merges as folding all the parts: the result does not
    depend on how the parts were spread over processes. At most one pending part per level is
    held.
    """

    merge: Callable[[T, T], T]
    stack: list[tuple[int, T]] | None = None

    def push(self, part: T, level: int = 0) -> None:
        stack = self.stack if self.stack is not None else []
        self.stack = stack
        stack.append((level, part))
        while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
            (lv, right), (_, left) = stack.pop(), stack.pop()
            stack.append((lv + 1, self.merge(left, right)))

    def result(self) -> T:
        """The merge of every part pushed (at least one)."""
        stack = self.stack or []
        if not stack:
            raise ValueError("Fold.result: no part was pushed")
        acc = stack[-1][1]
        for _, part in reversed(stack[:-1]):
            acc = self.merge(part, acc)
        return acc
