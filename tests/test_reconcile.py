"""Forecast reconciliation (uncertainty/reconcile.py): closed forms on a two-level hierarchy,
invariants, the non-negativity rule, the coherence report, input errors, and hierarchicalforecast's
numbers on the same inputs (live when it is installed, the ``bench`` extra; frozen figures always).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from forecast.errors import ForecastError
from forecast.uncertainty import (
    RECONCILE_METHODS,
    TOP_DOWN_PROPORTIONS,
    Hierarchy,
    Reconciler,
    Reconciliation,
    coherence_gap,
    mint_mapping,
    shrunk_covariance,
)

TWO = Hierarchy.two_level("World", ["A", "B"])
THREE = Hierarchy(
    ("Total", "North", "South", "a", "b", "c", "d"),
    ((1, 1, 1, 1), (1, 1, 0, 0), (0, 0, 1, 1)),
)
PROJECTIONS = ("ols", "wls_struct", "wls_var", "mint_cov", "mint_shrink")


def case(h: Hierarchy, years: int = 12, horizon: int = 4) -> dict[str, np.ndarray]:
    """Deterministic inputs: a reported history whose total misses the sum of its parts by a few
    percent, fitted values with residuals sharing a common factor, incoherent base forecasts."""
    a, m = len(h.aggregates), len(h.bottom)
    t = np.arange(years)[:, None]
    j = np.arange(m)[None, :]
    bottom = 50 + 10 * j + 3 * t + 4 * np.sin(1.3 * t + 0.7 * j)
    history = h.coherent(bottom)
    history[:, :1] *= 1 + 0.03 * np.cos(t)
    i = np.arange(a + m)[None, :]
    loading = 0.6 + 0.2 * np.cos(i) + 1.2 * (i < a)
    residuals = 6 * np.sin(0.8 * t + 0.3) * loading + 2 * np.sin(1.9 * t * (i + 1) + 2 * i)
    k = np.arange(horizon)[:, None]
    base = h.coherent(60 + 5 * j + (3 + j) * k) * (1 + 0.05 * np.sin(2.0 * i + k))
    return {"history": history, "residuals": residuals, "fitted": history - residuals, "base": base}


def fit(method: str, h: Hierarchy = TWO) -> Reconciliation:
    data = case(h)
    return Reconciler(method).fit(h, history=data["history"], residuals=data["residuals"])


def reconcile(method: str, base: object) -> np.ndarray:
    return fit(method).apply(base).values


def assert_coherent(h: Hierarchy, values: np.ndarray) -> None:
    assert_allclose(
        values[..., : len(h.aggregates)],
        values[..., len(h.aggregates) :] @ h.matrix.T,
        rtol=1e-13,
        atol=0,
    )


# ------------------------------------------------------------------------------------------------
# Closed forms: one total and two parts
# ------------------------------------------------------------------------------------------------


def test_ols_is_the_orthogonal_projection() -> None:
    # The coherent subspace of (T, A, B) is T = A + B, with normal u = (1, -1, -1): OLS removes
    # the incoherence d = T - A - B along u, a third on each node.
    assert_allclose(reconcile("ols", [10.0, 4.0, 3.0]), [9.0, 5.0, 4.0], rtol=1e-14)
    y = case(TWO)["base"]
    d = (y[:, 0] - y[:, 1] - y[:, 2])[:, None]
    assert_allclose(reconcile("ols", y), y - d / 3 * np.array([1.0, -1.0, -1.0]), rtol=1e-13)


def test_wls_struct_and_bottom_up_closed_forms() -> None:
    # W = diag(2, 1, 1): y - W u d / (u' W u) = (10, 4, 3) - (2, -1, -1) * 3 / 4.
    assert_allclose(reconcile("wls_struct", [10.0, 4.0, 3.0]), [8.5, 4.75, 3.75], rtol=1e-14)
    assert_allclose(reconcile("bottom_up", [10.0, 4.0, 3.0]), [7.0, 4.0, 3.0], rtol=0)


def test_top_down_known_proportions() -> None:
    # Reported: total 10 then 20; A 5 then 16; B 5 then 4.
    history = np.array([[10.0, 5.0, 5.0], [20.0, 16.0, 4.0]])
    base = [100.0, 30.0, 10.0]
    expect = {
        "average_proportions": [100.0, 65.0, 35.0],  # A: mean(0.5, 0.8)
        "proportion_averages": [100.0, 70.0, 30.0],  # A: 10.5 / 15
        "forecast_proportions": [100.0, 75.0, 25.0],  # A: 30 / 40
    }
    for kind, want in expect.items():
        r = Reconciler("top_down", kind).fit(TWO, history=history)
        assert_allclose(r.apply(base).values, want, rtol=1e-14)
    # All parts forecast at zero: the total is split equally.
    r = Reconciler("top_down", "forecast_proportions").fit(TWO)
    assert_allclose(r.apply([8.0, 0.0, 0.0]).values, [8.0, 4.0, 4.0])


def test_mint_with_a_diagonal_w_equals_wls() -> None:
    # Zero-mean, mutually orthogonal residual columns: the sample covariance is diagonal, so
    # mint_cov and mint_shrink (whose intensity is then 1) are WLS with those variances.
    q, _ = np.linalg.qr(np.vstack([np.ones(8), np.random.default_rng(3).normal(size=(3, 8))]).T)
    residuals = q[:, 1:] * np.array([2.0, 5.0, 1.0])
    variances = residuals.var(axis=0, ddof=1)
    y = np.array([10.0, 4.0, 3.0])
    wls = y - variances * np.array([1.0, -1.0, -1.0]) * 3 / variances.sum()
    for method in ("mint_cov", "mint_shrink"):
        r = Reconciler(method).fit(TWO, residuals=residuals)
        assert_allclose(r.apply(y).values, wls, rtol=1e-12)
    assert Reconciler("mint_shrink").fit(TWO, residuals=residuals).shrinkage == 1.0
    assert_allclose(mint_mapping(TWO, variances), mint_mapping(TWO, np.diag(variances)), rtol=1e-14)


def test_mint_mapping_equals_the_textbook_gls_form() -> None:
    # Slow twin: G = (S' W^-1 S)^-1 S' W^-1 with explicit inverses, for a full W on 3 levels.
    s = THREE.summing
    rng = np.random.default_rng(5)
    x = rng.normal(size=(7, 7))
    w = x @ x.T + 0.5 * np.eye(7)
    w_inv = np.linalg.inv(w)
    textbook = np.linalg.inv(s.T @ w_inv @ s) @ s.T @ w_inv
    assert_allclose(mint_mapping(THREE, w), textbook, rtol=1e-10, atol=1e-12)


def test_shrinkage_intensity_by_hand() -> None:
    # Schafer & Strimmer (2005), target D, written out pair by pair.
    e = case(TWO)["residuals"]
    t = len(e)
    x = (e - e.mean(0)) / e.std(0, ddof=1)
    num = den = 0.0
    for i in range(3):
        for j in range(3):
            if i != j:
                w = x[:, i] * x[:, j]
                r = t / (t - 1) * w.mean()
                num += t / (t - 1) ** 3 * ((w - w.mean()) ** 2).sum()
                den += r**2
    w_shrunk, lam = shrunk_covariance(e)
    assert 0 < lam < 1
    assert lam == pytest.approx(num / den, rel=1e-12)
    cov = np.cov(e, rowvar=False)
    assert_allclose(w_shrunk, lam * np.diag(np.diag(cov)) + (1 - lam) * cov, rtol=1e-13)


# ------------------------------------------------------------------------------------------------
# Invariants
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("h", [TWO, THREE], ids=["two-level", "three-level"])
@pytest.mark.parametrize("method", ["bottom_up", *PROJECTIONS])
def test_coherent_inputs_are_kept_and_g_s_is_identity(method: str, h: Hierarchy) -> None:
    r = fit(method, h)
    assert_allclose(r.mapping @ h.summing, np.eye(len(h.bottom)), atol=1e-12)
    assert_allclose(r.projection @ r.projection, r.projection, atol=1e-12)  # a projection
    coherent = h.coherent(
        np.array([[3.0, 0.0, 7.5, 1.0][: len(h.bottom)], [1.0, 2.0, 3.0, 4.0][: len(h.bottom)]])
    )
    assert_allclose(r.apply(coherent).values, coherent, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("h", [TWO, THREE], ids=["two-level", "three-level"])
@pytest.mark.parametrize("method", RECONCILE_METHODS)
def test_draws_are_coherent_and_equal_vector_by_vector(method: str, h: Hierarchy) -> None:
    kind = "forecast_proportions" if h is TWO else "average_proportions"
    data = case(h)
    r = Reconciler(method, kind, negative="error").fit(
        h, history=data["history"], residuals=data["residuals"]
    )
    d = np.arange(50)[:, None, None]
    wobble = 1 + 0.05 * np.sin(0.7 * d + 1.3 * np.arange(len(h.nodes)) + np.arange(4)[:, None])
    draws = data["base"][None] * np.linspace(0.5, 2.0, 50)[:, None, None] * wobble
    out = r.apply(draws)
    assert out.values.shape == draws.shape and out.fallbacks == 0 and out.fell_back.shape == (50,)
    assert_coherent(h, out.values)
    assert (out.values >= 0).all()
    for k in (0, 17, 49):
        for y in range(draws.shape[1]):
            assert_allclose(out.values[k, y], r.apply(draws[k, y]).values, rtol=1e-13)


def test_a_negative_part_falls_back_to_bottom_up_and_is_counted() -> None:
    # OLS moves the incoherence d = 1 - 5.1 a third onto each node: B becomes 0.1 - 4.1 / 3 < 0.
    bad = [1.0, 5.0, 0.1]
    draws = np.array([[[10.0, 4.0, 3.0]] * 2, [[10.0, 4.0, 3.0], bad], [[6.0, 3.0, 3.0]] * 2])
    r = Reconciler("ols").fit(TWO)
    out = r.apply(draws)
    assert out.fallbacks == 1 and out.fell_back.tolist() == [False, True, False]
    assert_allclose(out.values[1], [[7.0, 4.0, 3.0], [5.1, 5.0, 0.1]])  # the whole path
    assert_allclose(out.values[0], [[9.0, 5.0, 4.0]] * 2)
    assert_allclose(out.values[2], [[6.0, 3.0, 3.0]] * 2)
    single = r.apply(bad)
    assert single.fallbacks == 1 and single.fell_back.shape == ()
    with pytest.raises(
        ForecastError,
        match=r"ols gave a negative value in 1 of 3 paths; got -1\.26667 for node 'B' at index "
        r"\(1, 1\)",
    ):
        Reconciler("ols", negative="error").fit(TWO).apply(draws)


def test_hierarchy_views() -> None:
    assert Hierarchy.from_summing(THREE.nodes, THREE.summing) == THREE
    assert THREE.top == 0 and THREE.aggregates == ("Total", "North", "South")
    assert Hierarchy(("X", "A", "B"), ((1, 0),)).top is None
    assert_allclose(THREE.coherent([1.0, 2.0, 3.0, 4.0]), [10.0, 3.0, 7.0, 1.0, 2.0, 3.0, 4.0])
    assert Reconciler("top_down", "forecast_proportions").fit(TWO).projection is None


# ------------------------------------------------------------------------------------------------
# The coherence report
# ------------------------------------------------------------------------------------------------


def test_coherence_gap_per_year() -> None:
    history = [[10.0, 4.0, 5.0], [20.0, 12.0, 6.0], [0.0, 0.0, 0.0]]
    gap = coherence_gap(TWO, [2022, 2023, 2025], history)
    assert_allclose(gap.gap[:, 0], [1.0, 2.0, 0.0])
    assert_allclose(gap.gap_pct[:2, 0], [10.0, 10.0])
    assert np.isnan(gap.gap_pct[2, 0]) and gap.max_abs_pct == pytest.approx(10.0)
    frame = gap.to_frame()
    assert list(frame.columns) == ["year", "node", "reported", "sum_of_parts", "gap", "gap_pct"]
    assert frame["year"].tolist() == [2022, 2023, 2025] and set(frame["node"]) == {"World"}
    three = coherence_gap(THREE, range(12), case(THREE)["history"])
    assert three.gap.shape == (12, 3) and three.aggregates == ("Total", "North", "South")
    assert_allclose(three.gap[:, 1:], 0, atol=1e-12)  # the regions add up; the total does not
    assert np.isnan(coherence_gap(TWO, [2020], [[0.0, 0.0, 0.0]]).max_abs_pct)


# ------------------------------------------------------------------------------------------------
# Input errors: one line each
# ------------------------------------------------------------------------------------------------

H = case(TWO)
ERRORS: list[tuple[str, object, str]] = [
    ("unknown method", lambda: Reconciler("mint_shrunk"), "did you mean 'mint_shrink'"),
    (
        "unknown proportions",
        lambda: Reconciler("top_down", "average"),
        "proportions must be one of",
    ),
    ("bad rule", lambda: Reconciler(negative="clip"), "negative must be one of"),
    ("duplicate node", lambda: Hierarchy.two_level("A", ["A", "B"]), "unique; got 'A' twice"),
    ("empty node", lambda: Hierarchy.two_level("", ["A"]), "non-empty text"),
    ("nodes as text", lambda: Hierarchy("AB", ((1,),)), "a list of names"),
    ("ragged aggregation", lambda: Hierarchy(("T", "A", "B"), ((1, 1, 1),)), "shape \\(1, 3\\)"),
    ("not a table", lambda: Hierarchy(("T", "A"), (("x",),)), "table of 0s and 1s"),
    ("not 0/1", lambda: Hierarchy(("T", "A", "B"), ((1, 2),)), "only 0 and 1"),
    ("empty aggregate", lambda: Hierarchy(("T", "A", "B"), ((0, 0),)), "none under 'T'"),
    ("summing", lambda: Hierarchy.from_summing(["T", "A"], [[1, 1], [1, 0]]), "summing matrix"),
    (
        "base shape",
        lambda: Reconciler("ols").fit(TWO).apply(np.ones((5, 4))),
        "got shape \\(5, 4\\)",
    ),
    ("base text", lambda: Reconciler("ols").fit(TWO).apply("x"), "must be numbers"),
    (
        "base NaN",
        lambda: Reconciler("ols").fit(TWO).apply([[1, 1, 1], [1, np.nan, 1]]),
        "got nan for node 'A' at index \\(1,\\)",
    ),
    (
        "base negative",
        lambda: Reconciler("ols").fit(TWO).apply([1.0, -2.0, 3.0]),
        "non-negative .* got -2 for node 'A'$",
    ),
    ("no residuals", lambda: Reconciler("wls_var").fit(TWO), "needs in-sample residuals"),
    (
        "one residual year",
        lambda: Reconciler("mint_shrink").fit(TWO, residuals=[[1, 2, 3]]),
        "at least 2 years; got 1",
    ),
    (
        "residuals 3-D",
        lambda: Reconciler("mint_shrink").fit(TWO, residuals=np.ones((2, 2, 3))),
        "2-D",
    ),
    (
        "mint_cov short",
        lambda: Reconciler("mint_cov").fit(TWO, residuals=H["residuals"][:3]),
        "more residual years than nodes \\(3\\) for a non-singular covariance; got 3",
    ),
    (
        "constant node",
        lambda: Reconciler("mint_shrink").fit(
            TWO, residuals=np.c_[H["residuals"][:, :2], np.ones(12)]
        ),
        "constant residuals for node 'B'",
    ),
    (
        "zero variance",
        lambda: Reconciler("wls_var").fit(
            TWO, residuals=np.c_[H["residuals"][:, :2], np.zeros(12)]
        ),
        "got 0 for node 'B'",
    ),
    (
        "singular cov",
        lambda: Reconciler("mint_cov").fit(
            TWO, residuals=np.c_[H["residuals"][:, 1:].sum(1), H["residuals"][:, 1:]]
        ),
        "singular",
    ),
    ("no history", lambda: Reconciler("top_down").fit(TWO), "needs the reported history"),
    (
        "zero total",
        lambda: Reconciler("top_down").fit(TWO, history=[[0, 0, 0], [1, 1, 0]]),
        "positive every year; got 0 for 'World' in row 0",
    ),
    (
        "zero mean total",
        lambda: Reconciler("top_down", "proportion_averages").fit(TWO, history=[[0, 0, 0]]),
        "average, which must be positive",
    ),
    (
        "no grand total",
        lambda: Reconciler("top_down").fit(Hierarchy(("X", "A", "B"), ((1, 0),))),
        "sums every bottom series",
    ),
    (
        "forecast props deep",
        lambda: Reconciler("top_down", "forecast_proportions").fit(THREE),
        "got 3 aggregates",
    ),
    (
        "history negative",
        lambda: coherence_gap(TWO, [2020], [[1.0, -1.0, 2.0]]),
        "history: reported values must be non-negative",
    ),
    (
        "years",
        lambda: coherence_gap(TWO, [2021, 2020], [[1, 1, 0], [2, 1, 1]]),
        "strictly increasing",
    ),
    ("W shape", lambda: mint_mapping(TWO, np.eye(2)), "3 x 3 matrix; got shape \\(2, 2\\)"),
    ("W asymmetric", lambda: mint_mapping(TWO, [[1, 0.5, 0], [0, 1, 0], [0, 0, 1]]), "symmetric"),
    ("shrink input", lambda: shrunk_covariance(np.ones((1, 3))), "at least 2 years"),
    (
        "shrink constant",
        lambda: shrunk_covariance(np.c_[np.arange(4.0), np.ones(4)]),
        "constant column 1",
    ),
]


@pytest.mark.parametrize(("call", "pattern"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_inputs_are_one_line_errors(call: object, pattern: str) -> None:
    with pytest.raises(ForecastError, match=pattern) as info:
        call()
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------------------------
# hierarchicalforecast on the same inputs
# ------------------------------------------------------------------------------------------------

# hierarchicalforecast 1.5.3's reconciled values for case(TWO_PLUS) in the first and last
# horizon year (rows), nodes World, A, B, C (columns); generated with the live test's calls.
TWO_PLUS = Hierarchy.two_level("World", ["A", "B", "C"])
FROZEN: dict[str, list[list[float]]] = {
    "bottom_up": [
        [194.29032992703003, 62.72789228047705, 62.54039189024923, 69.02204575630377],
        [231.97261321975697, 65.69171125241218, 79.52939840506733, 86.75150356227746],
    ],
    "ols": [
        [194.82258248175754, 62.90530979871954, 62.71780940849172, 69.19946327454626],
        [232.4656053747578, 65.85604197074579, 79.69372912340094, 86.91583428061108],
    ],
    "wls_struct": [
        [194.64516496351504, 62.84617062597205, 62.658670235744225, 69.14032410179877],
        [232.3012746564242, 65.80126506463459, 79.63895221728974, 86.86105737449988],
    ],
    "wls_var": [
        [194.43452806814923, 62.81201579161688, 62.563322228304735, 69.0591900482276],
        [232.106174912803, 65.76962958399126, 79.55063733886384, 86.78590798994789],
    ],
    "mint_cov": [
        [193.757488354582, 62.432156854059315, 62.431861747244355, 68.89346975327831],
        [231.47907549458864, 65.41779007742704, 79.42887374133899, 86.6324116758226],
    ],
    "mint_shrink": [
        [194.12482722535088, 62.63830054241186, 62.503221880383805, 68.98330480255522],
        [231.8193184486289, 65.60872804523594, 79.49497015648082, 86.71562024691214],
    ],
    "average_proportions": [
        [195.28921642304186, 56.43858375373212, 65.15717521724764, 73.69345745206212],
        [232.97496377519042, 67.32976477853995, 77.73081798356246, 87.91438101308803],
    ],
    "proportion_averages": [
        [195.31156502409817, 56.607166909789235, 65.17679095279807, 73.52760716151089],
        [233.00162507588533, 67.5308801058217, 77.75421904667793, 87.7165259233857],
    ],
    "forecast_proportions": [
        [195.0, 62.95701386315518, 62.768828603970356, 69.27415753287448],
        [232.62993609309146, 65.87785677965934, 79.75475471738623, 86.99732459604589],
    ],
}


def _hf_methods(h: Hierarchy) -> dict[str, tuple[Reconciler, Any, dict[str, np.ndarray]]]:
    """Our reconciler, hierarchicalforecast's, and its level tags, for every method."""
    hf = pytest.importorskip("hierarchicalforecast.methods")
    sizes = sorted({int(v) for v in h.summing.sum(axis=1)}, reverse=True)
    counts = h.summing.sum(axis=1)
    tags = {f"level{k}": np.flatnonzero(counts == s) for k, s in enumerate(sizes)}
    out: dict[str, tuple[Reconciler, Any]] = {
        "bottom_up": (Reconciler("bottom_up"), hf.BottomUp()),
        **{m: (Reconciler(m), hf.MinTrace(m)) for m in PROJECTIONS},
        "average_proportions": (
            Reconciler("top_down", "average_proportions"),
            hf.TopDown("average_proportions"),
        ),
        "proportion_averages": (
            Reconciler("top_down", "proportion_averages"),
            hf.TopDown("proportion_averages"),
        ),
    }
    if len(h.aggregates) == 1:
        out["forecast_proportions"] = (
            Reconciler("top_down", "forecast_proportions"),
            hf.TopDown("forecast_proportions"),
        )
    return {k: (ours, theirs, tags) for k, (ours, theirs) in out.items()}


@pytest.mark.parametrize("name", list(FROZEN))
def test_equals_hierarchicalforecasts_frozen_figures(name: str) -> None:
    top_down = name in TOP_DOWN_PROPORTIONS
    method, kind = ("top_down", name) if top_down else (name, "average_proportions")
    data = case(TWO_PLUS)
    r = Reconciler(method, kind).fit(TWO_PLUS, history=data["history"], residuals=data["residuals"])
    assert_allclose(r.apply(data["base"][[0, -1]]).values, FROZEN[name], rtol=1e-8)


@pytest.mark.parametrize("h", [TWO_PLUS, THREE], ids=["two-level", "three-level"])
def test_equals_hierarchicalforecast(h: Hierarchy) -> None:
    data = case(h)
    for name, (ours, theirs, tags) in _hf_methods(h).items():
        kw = {"y_insample": data["history"].T, "y_hat_insample": data["fitted"].T, "tags": tags}
        want = theirs.fit_predict(S=h.summing, y_hat=data["base"].T, **kw)["mean"].T
        got = ours.fit(h, history=data["history"], residuals=data["residuals"]).apply(data["base"])
        assert_allclose(got.values, want, rtol=1e-8, err_msg=name)
