"""The mergeable quantile summary behind Monte Carlo runs above 1,000,000 draws (issue 17).

Exact while nothing is compacted (numpy's quantiles, bit for bit); within its stated rank error
of the exact quantiles after any number of compactions; one fixed merge tree whatever the
grouping; crossing years from counts equal to numpy's inverted-CDF quantiles of the draws.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.uncertainty import sketch
from forecast.uncertainty.montecarlo import crossing_from_counts, groups
from forecast.uncertainty.propagate import _crossing_stats
from forecast.uncertainty.sketch import Fold, RankSummary

QS = np.array([0.0, 0.001, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.999, 1.0])


def _rank_gap(data: np.ndarray, got: np.ndarray, qs: np.ndarray) -> np.ndarray:
    """How far (in draws) each reported value's rank lies from numpy's virtual index
    ``q (n - 1)``: 0 when the value sits at an order statistic next to it."""
    xs = np.sort(data)
    n = xs.size
    below = np.searchsorted(xs, got, "left")  # draws strictly below the reported value
    upto = np.searchsorted(xs, got, "right")  # draws at or below it
    h = qs * (n - 1)
    return np.maximum(0.0, np.maximum(below - np.ceil(h), np.floor(h) + 1 - upto))


def test_without_compaction_the_summary_is_numpy_quantile() -> None:
    rng = np.random.default_rng(3)
    parts = [rng.lognormal(0, 1, (4, m)) for m in (1, 700, 2000, 999)]
    fold: Fold[RankSummary] = Fold(RankSummary.merge)
    for p in parts:
        fold.push(RankSummary.of(p))
    s = fold.result()
    data = np.concatenate(parts, axis=1)
    assert s.total == data.shape[1] <= sketch.K and s.error == 0.0 and s.rank_error == 0.0
    np.testing.assert_array_equal(s.quantiles(QS), np.quantile(data, QS, axis=1).T)


@pytest.mark.parametrize("kind", ["lognormal", "heavy", "ties"])
def test_compacted_summaries_stay_within_their_rank_error(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 64 items per summary and 300 blocks every level of the tree compacts; each reported
    quantile still lies within the stated rank error of numpy's."""
    monkeypatch.setattr(sketch, "K", 64)
    rng = np.random.default_rng(11)
    sizes = rng.integers(1, 400, 300)
    if kind == "lognormal":
        blocks = [rng.lognormal(3, 0.5, (2, m)) for m in sizes]
    elif kind == "heavy":
        blocks = [rng.standard_t(1.5, (2, m)) * 1e3 for m in sizes]
    else:
        blocks = [rng.integers(0, 7, (2, m)).astype(float) for m in sizes]
    fold: Fold[RankSummary] = Fold(RankSummary.merge)
    for b in blocks:
        fold.push(RankSummary.of(b))
    s = fold.result()
    data = np.concatenate(blocks, axis=1)
    n = data.shape[1]
    assert s.total == n and s.values.shape[1] == 64
    levels = int(np.ceil(np.log2(len(blocks))))
    assert s.rank_error <= (levels + 1) / (2 * 64) + (2 * len(blocks) + 1) / n  # the a-priori form
    got = s.quantiles(QS)
    for row in range(2):
        gap = _rank_gap(data[row], got[row], QS)
        assert np.all(gap <= s.rank_error * n), (kind, gap.max(), s.rank_error * n)
        assert np.all(np.diff(got[row]) >= 0)  # quantiles stay in order
    # and the bound is not vacuous: the summary is far smaller than the draws
    assert s.rank_error < 0.1


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 90), min_size=1, max_size=40),
    seed=st.integers(0, 2**16),
    group=st.sampled_from([1, 2, 4, 8]),
)
def test_grouped_folds_equal_one_fold(sizes: list[int], seed: int, group: int) -> None:
    """Folding aligned groups of blocks and then the groups' results (pushed at the group's
    level) merges along the same tree as folding every block: identical summaries."""
    old = sketch.K
    sketch.K = 16
    try:
        rng = np.random.default_rng(seed)
        leaves = [RankSummary.of(rng.normal(size=(1, m))) for m in sizes]
        one: Fold[RankSummary] = Fold(RankSummary.merge)
        for leaf in leaves:
            one.push(leaf)
        level, parts = groups(len(leaves), 1, size=group)
        outer: Fold[RankSummary] = Fold(RankSummary.merge)
        for part in parts:
            inner: Fold[RankSummary] = Fold(RankSummary.merge)
            for i in part:
                inner.push(leaves[i])
            outer.push(inner.result(), level)
        a, b = one.result(), outer.result()
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.weights, b.weights)
        assert a.error == b.error
    finally:
        sketch.K = old


def test_fold_is_the_pairwise_tree() -> None:
    for n in range(1, 40):
        fold: Fold[str] = Fold(lambda a, b: f"({a}{b})")
        for i in range(n):
            fold.push(chr(65 + i % 26))
        level = [chr(65 + i % 26) for i in range(n)]
        while len(level) > 1:  # pairs (0, 1), (2, 3), ...; an odd one out passes up
            pairs = [f"({level[i]}{level[i + 1]})" for i in range(0, len(level) - 1, 2)]
            level = pairs + ([level[-1]] if len(level) % 2 else [])
        assert fold.result() == level[0], n
    with pytest.raises(ValueError, match="no part"):
        Fold(lambda a, b: a).result()


@settings(max_examples=60, deadline=None)
@given(
    first=st.lists(st.integers(0, 8), min_size=0, max_size=300),
    thresholds=st.integers(1, 3),
)
def test_crossing_years_from_counts_equal_the_draws(first: list[int], thresholds: int) -> None:
    years = np.arange(2025, 2033, dtype=float)  # 8 years; index 8: never within them
    idx = np.array([first] * thresholds, dtype=np.int16).reshape(thresholds, len(first))
    cross = tuple(float(c) for c in range(thresholds))
    counts = np.array([np.bincount(row, minlength=9) for row in idx]).reshape(thresholds, 9)
    assert crossing_from_counts(cross, counts, years) == _crossing_stats(cross, idx, years)


def test_empty_and_single_summaries_merge() -> None:
    one = RankSummary.of(np.array([[5.0]]))
    empty = RankSummary.empty(1)
    assert empty.merge(one) is one and one.merge(empty) is one
    np.testing.assert_array_equal(one.quantiles([0.0, 0.5, 1.0]), [[5.0, 5.0, 5.0]])
