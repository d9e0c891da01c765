"""Reproducible uniform blocks, the Gaussian copula and correlation matrices."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from forecast.errors import ForecastError, ScenarioError
from forecast.uncertainty import (
    Method,
    draw,
    induce_rank_correlation,
    parse_distribution,
    uniform_blocks,
    validate_correlation,
)

METHODS: tuple[Method, ...] = ("mc", "lhs", "sobol")


def collect(n: int, k: int, method: Method, seed: int = 11, **kw: int) -> np.ndarray:
    parts = list(uniform_blocks(n, k, method=method, seed=seed, **kw))
    starts = [s for s, _ in parts]
    assert starts == sorted(starts)
    return np.concatenate([u for _, u in parts])


# ------------------------------------------------------------------------------------------------
# Blocks
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_shape_range_and_block_cuts(method: Method) -> None:
    n, k, block = 4096, 3, 1000
    parts = list(uniform_blocks(n, k, method=method, seed=5, block=block))
    assert [s for s, _ in parts] == [0, 1000, 2000, 3000, 4000]
    assert [len(u) for _, u in parts] == [1000, 1000, 1000, 1000, 96]
    u = np.concatenate([u for _, u in parts])
    assert u.shape == (n, k) and u.dtype == np.float64
    assert u.min() >= 1e-12 and u.max() <= 1 - 1e-12


@pytest.mark.parametrize("method", METHODS)
def test_same_seed_same_draws_however_consumed(method: Method) -> None:
    n, k = 2**17, 3  # two default blocks
    full = collect(n, k, method)
    np.testing.assert_array_equal(full, collect(n, k, method))
    # A consumer processing in other chunk sizes (here: 1000 rows at a time) sees the same rows.
    rechunked = [
        u[i : i + 1000]
        for _, u in uniform_blocks(n, k, method=method, seed=11)
        for i in range(0, len(u), 1000)
    ]
    np.testing.assert_array_equal(np.concatenate(rechunked), full)
    # Workers asking for slices get the same rows as the full sample.
    for start, stop in [(0, 1), (1000, 70_000), (65_536, 131_072), (131_071, 131_072)]:
        part = collect(n, k, method, start=start, stop=stop)
        np.testing.assert_array_equal(part, full[start:stop])
    assert not np.array_equal(full, collect(n, k, method, seed=12))


def test_mc_blocks_use_spawned_seed_sequences() -> None:
    u = collect(300, 2, "mc", seed=9, block=100)
    child = np.random.SeedSequence(9).spawn(3)[2]
    expected = np.random.default_rng(child).random((100, 2))
    np.testing.assert_array_equal(u[200:], expected)


def test_block_size_is_part_of_mc_definition_but_not_sobol() -> None:
    assert not np.array_equal(collect(1024, 2, "mc", block=256), collect(1024, 2, "mc"))
    np.testing.assert_array_equal(collect(1024, 2, "sobol", block=100), collect(1024, 2, "sobol"))


def test_sobol_is_one_sequence_across_splits() -> None:
    n, k = 2**12, 4
    reference = np.clip(qmc.Sobol(d=k, scramble=True, rng=11).random(n), 1e-12, 1 - 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for block in (n, 1000, 64, 7):
            np.testing.assert_array_equal(collect(n, k, "sobol", block=block), reference)
        np.testing.assert_array_equal(
            collect(n, k, "sobol", start=123, stop=3001), reference[123:3001]
        )


@pytest.mark.parametrize(("n", "block"), [(1000, 1000), (2500, 1000)])
def test_lhs_stratified_within_each_block(n: int, block: int) -> None:
    for start, u in uniform_blocks(n, 4, method="lhs", seed=3, block=block):
        rows = len(u)
        for j in range(u.shape[1]):
            strata = np.sort(np.floor(u[:, j] * rows).astype(int))
            np.testing.assert_array_equal(strata, np.arange(rows), err_msg=f"block at {start}")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "draws: must be between 1 and 100,000,000; got 0"),
        ({"n": 100_000_001}, "draws: must be between 1 and 100,000,000; got 100000001"),
        ({"n": 10**12}, "draws: must be between 1 and 100,000,000"),
        ({"n": 2.5}, "draws: must be between 1 and 100,000,000; got 2.5"),
        ({"n": True}, "draws: must be between 1 and 100,000,000; got True"),
        (
            {"method": "lsh"},
            "method: must be one of mc, lhs, sobol; got 'lsh'; did you mean 'lhs'?",
        ),
        ({"seed": -1}, "seed: must be a non-negative integer; got -1"),
        ({"seed": True}, "seed: must be a non-negative integer; got True"),
        ({"seed": 1.0}, "seed: must be a non-negative integer; got 1.0"),
        ({"block": 0}, "block: must be a whole number >= 1; got 0"),
        ({"k": 0}, "k: the number of assumptions must be a whole number >= 1; got 0"),
        ({"method": "sobol", "n": 1000}, "power of two"),
        ({"stop": 2000}, "stop: must be between 0 and 1000; got 2000"),
        ({"start": 5, "stop": 4}, "start: must be between 0 and stop (4); got 5"),
    ],
)
def test_sampler_arguments_refused_before_allocating(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"n": 1000, "k": 2, "method": "mc", "seed": 1, **kwargs}
    with pytest.raises(ForecastError) as info:
        uniform_blocks(**args)  # type: ignore[arg-type]  # raises at call time, not on iteration
    assert message in str(info.value) and "\n" not in str(info.value)


# ------------------------------------------------------------------------------------------------
# Correlation matrices
# ------------------------------------------------------------------------------------------------

NAMES = ["base", "saturation", "share"]


@pytest.mark.parametrize(
    ("matrix", "parts"),
    [
        ([[1, 0.5], [0.5, 1]], ["3 x 3", "got shape 2 x 2"]),
        ([[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]], ["symmetric", "[base, saturation]", "0.4"]),
        ([[0.9, 0, 0], [0, 1, 0], [0, 0, 1]], ["diagonal must be 1", "0.9", "[base, base]"]),
        ([[1, 1.5, 0], [1.5, 1, 0], [0, 0, 1]], ["between -1 and 1", "1.5"]),
        (
            [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
            ["not positive semi-definite (smallest eigenvalue -"],
        ),
        ([[1, "x", 0], [0, 1, 0], [0, 0, 1]], ["square table of numbers"]),
        ([[1, float("nan"), 0], [0, 1, 0], [0, 0, 1]], ["finite"]),
    ],
)
def test_invalid_correlations_refused(matrix: object, parts: list[str]) -> None:
    with pytest.raises(ScenarioError) as info:
        validate_correlation(matrix, NAMES, where="scen.toml: correlation")
    text = str(info.value)
    assert text.startswith("scen.toml: correlation: ") and "\n" not in text and "got" in text
    for part in parts:
        assert part in text


def test_valid_correlation_returned_symmetric() -> None:
    m = validate_correlation([[1, 0.3, 0], [0.3 + 1e-12, 1, -0.2], [0, -0.2, 1]], NAMES, where="c")
    np.testing.assert_array_equal(m, m.T)
    # Singular but PSD (perfect correlation) is allowed.
    validate_correlation([[1, 1, 0], [1, 1, 0], [0, 0, 1]], NAMES, where="c")


# ------------------------------------------------------------------------------------------------
# Gaussian copula
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["mc", "lhs"])
@pytest.mark.parametrize("rho", [0.7, -0.5, 0.2, 0.95])
def test_induced_spearman_matches_target(method: Method, rho: float) -> None:
    n = 200_000
    target = np.array([[1.0, rho, rho / 2], [rho, 1.0, 0.0], [rho / 2, 0.0, 1.0]])
    if np.linalg.eigvalsh(target)[0] < 0:
        target[0, 2] = target[2, 0] = 0.0
    u = collect(n, 3, method)
    v = induce_rank_correlation(u, target)
    achieved = stats.spearmanr(v).statistic
    np.testing.assert_allclose(achieved, target, atol=0.01)
    # Uniform marginals preserved.
    for j in range(3):
        assert stats.kstest(v[:, j], "uniform").statistic < 0.005
        np.testing.assert_allclose(
            np.quantile(v[:, j], [0.05, 0.5, 0.95]), [0.05, 0.5, 0.95], atol=0.005
        )


def test_copula_is_rowwise_and_deterministic() -> None:
    u = collect(10_000, 3, "mc")
    target = np.array([[1, 0.6, 0.3], [0.6, 1, 0.1], [0.3, 0.1, 1]])
    whole = induce_rank_correlation(u, target)
    chunked = np.concatenate(
        [induce_rank_correlation(u[i : i + 777], target) for i in range(0, 10_000, 777)]
    )
    np.testing.assert_array_equal(whole, chunked)
    np.testing.assert_array_equal(whole, induce_rank_correlation(u, target))
    np.testing.assert_allclose(induce_rank_correlation(u, np.eye(3)), u, atol=1e-9)


def test_copula_handles_singular_target() -> None:
    u = collect(50_000, 2, "mc")
    v = induce_rank_correlation(u, [[1.0, 1.0], [1.0, 1.0]])
    assert stats.spearmanr(v[:, 0], v[:, 1]).statistic > 0.999
    assert stats.kstest(v[:, 1], "uniform").statistic < 0.01


def test_copula_refuses_bad_target() -> None:
    with pytest.raises(ScenarioError, match="target_spearman: a correlation matrix must be 2 x 2"):
        induce_rank_correlation(np.full((5, 2), 0.5), np.eye(3))


# ------------------------------------------------------------------------------------------------
# draw
# ------------------------------------------------------------------------------------------------


def test_draw_marginals_and_rank_correlation() -> None:
    dists = [
        parse_distribution("200 to 400 billion USD", where="a", unit="money"),
        parse_distribution(
            {"dist": "pert", "min": 0.1, "mode": 0.3, "max": 0.6}, where="b", unit="share"
        ),
        parse_distribution("12%", where="c", unit="rate"),
    ]
    corr = np.array([[1, -0.6, 0], [-0.6, 1, 0], [0, 0, 1]])
    x = draw(2**16, dists, method="sobol", seed=4, correlation=corr)
    assert x.shape == (2**16, 3)
    np.testing.assert_allclose(np.quantile(x[:, 0], [0.05, 0.95]), [200, 400], rtol=0.01)
    assert x[:, 1].mean() == pytest.approx(dists[1].mean, rel=0.01)
    assert np.all(x[:, 2] == 0.12)
    assert stats.spearmanr(x[:, 0], x[:, 1]).statistic == pytest.approx(-0.6, abs=0.01)
    again = draw(2**16, dists, method="sobol", seed=4, correlation=corr, block=1000)
    np.testing.assert_array_equal(x, again)


def test_draw_validates() -> None:
    d = [parse_distribution("1 to 2", where="a", unit="number")]
    with pytest.raises(ForecastError, match=r"^draws: must be between 1 and 100,000,000; got 0$"):
        draw(0, d, method="mc", seed=1)
    with pytest.raises(ScenarioError, match="correlation: a correlation matrix must be 1 x 1"):
        draw(10, d, method="mc", seed=1, correlation=np.eye(2))


@pytest.mark.parametrize(
    "seed, b, n, k", [(0, 0, 1, 1), (20300157, 0, 20_000, 5), (7, 3, 1000, 30), (5, 0, 0, 3)]
)
def test_latin_hypercube_is_scipys_to_the_bit(seed: int, b: int, n: int, k: int) -> None:
    """The Latin hypercube written out (no scipy.stats to load) draws scipy's numbers from the
    same generator, so a "lhs" sample is the one scipy.stats.qmc.LatinHypercube gives."""
    from forecast.uncertainty.sampling import _block_generator, latin_hypercube

    ours = latin_hypercube(_block_generator(seed, b), n, k)
    theirs = qmc.LatinHypercube(d=k, rng=_block_generator(seed, b)).random(n)
    assert ours.shape == (n, k)
    assert np.array_equal(ours, theirs)


def test_lhs_blocks_are_scipys_latin_hypercubes() -> None:
    """Each block of a "lhs" sample is scipy's Latin hypercube on that block's generator."""
    from forecast.uncertainty.sampling import _block_generator

    got = collect(2500, 3, "lhs", seed=9, block=1000)
    for b, rows in enumerate((1000, 1000, 500)):
        want = qmc.LatinHypercube(d=3, rng=_block_generator(9, b)).random(rows)
        assert np.array_equal(got[b * 1000 : b * 1000 + rows], np.clip(want, 1e-12, 1 - 1e-12))
