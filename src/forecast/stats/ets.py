"""Vectorised ETS (exponential smoothing state-space models) for yearly series.

The models are those of Hyndman et al. (2008) that a series without seasons needs: additive (A)
or multiplicative (M) errors and no trend (N), an additive trend (A) or an additive damped trend
(Ad). With ``mu_t = l_{t-1} + phi b_{t-1}`` (``phi = 1`` undamped; no trend: ``b = 0``) the
states follow ``l_t = mu_t + alpha (y_t - mu_t)`` and ``b_t = phi b_{t-1} + beta (y_t - mu_t)``
for both error types; the error type sets the likelihood (statsmodels' ``ETSModel.loglike``, R's
``ets``), with ``s^2`` the mean of the squared errors ``y_t - mu_t`` (A) or ``(y_t - mu_t) /
mu_t`` (M) over the ``n`` observations:

* A errors: ``-n/2 (log(2 pi s^2) + 1)``;
* M errors: the same minus ``sum log |mu_t|``.

Parameters and bounds are statsmodels': ``alpha`` in [1e-4, 1 - 1e-4], ``beta = alpha beta*``
with ``beta*`` in [1e-4, 1 - 1e-4], ``phi`` in [0.8, 0.98]; the initial level and trend
``l_0``, ``b_0`` are free. Maximum likelihood:

* For given smoothing parameters the states, and so every ``mu_t``, are linear in ``(l_0,
  b_0)``: one pass of the recursions (:func:`components`) gives the part from the data and the
  responses to a unit ``l_0`` and ``b_0``. The initial states are then profiled out: by least
  squares for A errors (exact), by Newton's method with step halving from the least-squares
  values for M errors (:func:`profile_multiplicative`).
* A pattern search (:func:`forecast.stats.optim.pattern_search`: compass steps of 0.1, 0.1
  and 0.04 halved 12 times) over ``alpha``, ``beta*`` and ``phi`` inside their bounds, from
  each of the :data:`STARTS` best points of the grid :data:`GRID` (its bounds included); the
  best end point wins. On 90 M1 and Tourism series this reaches statsmodels' maximum or a higher
  one for all but 5 of 540 candidates (2 by more than 0.1, both M-error fits whose ``mu`` starts
  near 0), and a higher one (by more than 1e-3) for 121.

Every (series, form, start) triple is one row of the same arrays: a likelihood evaluation is one
pass over the years for the whole batch, and a row's numbers depend on its own data only (sums
over time are sequential, so padding does not change them). ``|mu_t| < 1e-10`` (the series is
scaled to a largest absolute value of 1) is not admissible for M errors, as in R's ``ets``; the
sum of squares is floored at ``1e-20`` per observation so that a perfect fit keeps a finite
likelihood. :func:`forecast.stats.twins.ets_nll` is the plain per-series twin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernels import FloatArray, IntArray
from .optim import lowest, pattern_search

SMOOTH_BOUNDS = (1e-4, 1 - 1e-4)  # alpha and beta* (statsmodels ETSModel)
PHI_BOUNDS = (0.8, 0.98)
MU_MIN = 1e-10  # |mu| below this is not admissible for M errors (scaled series)
SSE_FLOOR = 1e-20  # per observation
STEP = (0.1, 0.1, 0.04)  # first steps of the search: alpha, beta*, phi (half the grid's)
HALVE = 12  # the search stops at steps of STEP / 2**12 (alpha: 2.4e-5)
STARTS = 3  # the best grid points every row is searched from
GRID = (
    (1e-4, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.9999),  # alpha
    (0.01, 1e-4, 0.1, 0.3, 0.6),  # beta* (the first is the one used without a trend)
    (0.8, 0.9, 0.98),  # phi
)
NEWTON_STEPS = 20
NEWTON_GAIN = 1e-10  # a row stops when a step promises less decrease of the objective
HALVINGS = 10


@dataclass(frozen=True)
class Candidate:
    """One ETS form: error ``"add"`` or ``"mul"``, trend, damping."""

    error: str
    trend: bool
    damped: bool

    @property
    def k(self) -> int:
        """Parameters counted by AICc: smoothing weights, initial states, phi, the variance."""
        return 3 + 2 * self.trend + self.damped


#: In the order the statsmodels loop tried them (the first of equal AICc wins).
CANDIDATES = tuple(
    Candidate(err, trend, damped)
    for err in ("add", "mul")
    for trend, damped in ((False, False), (True, False), (True, True))
)


def total(x: FloatArray, w: np.ndarray) -> FloatArray:
    """Sum over time (axis 0) of the observed entries, added in time order.

    numpy adds along an outer axis one slice after the other, which keeps every row's sum
    independent of the padding and of the other rows; a single column would be summed pairwise
    instead, so it goes through ``cumsum`` (sequential by definition).
    """
    xm = np.where(w, x, 0.0)
    if xm[0].size == 1:
        return np.asarray(np.cumsum(xm, axis=0)[-1], dtype=float)
    return np.asarray(np.add.reduce(xm, axis=0), dtype=float)


def components(yt: FloatArray, alpha: FloatArray, beta: FloatArray, phi: FloatArray) -> FloatArray:
    """One pass of the recursions for every row; ``yt`` is time-major ``(T, R)``.

    Returns ``E`` of shape ``(T, 3, R)``: the one-step error ``y_t - mu_t`` is
    ``E[t, 0] + E[t, 1] l_0 + E[t, 2] b_0``.
    """
    steps, rows = yt.shape
    level = np.zeros((3, rows))
    trend = np.zeros((3, rows))
    level[1] = 1.0
    trend[2] = 1.0
    inputs = np.zeros((steps, 3, rows))
    inputs[:, 0] = np.nan_to_num(yt)
    out = np.empty((steps, 3, rows))
    for t in range(steps):
        mu = level + phi * trend
        e = inputs[t] - mu
        level = mu + alpha * e
        trend = phi * trend + beta * e
        out[t] = e
    return out


def profile_additive(
    comp: FloatArray, w: np.ndarray, n: IntArray, trend: np.ndarray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """A-error negative log-likelihood with ``(l_0, b_0)`` at their least-squares values.

    Returns the negative log-likelihood (``inf`` where not defined) and ``l_0``, ``b_0``.
    """
    e0, e1, e2 = comp[:, 0], comp[:, 1], comp[:, 2]
    prods = np.stack([e1 * e1, e1 * e2, e2 * e2, e1 * e0, e2 * e0, e0 * e0], axis=1)
    s11, s12, s22, r1, r2, see = total(prods, w[:, None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s11 * s22 - s12 * s12
        l0 = np.where(trend, (s12 * r2 - s22 * r1) / det, -r1 / s11)
        b0 = np.where(trend, (s12 * r1 - s11 * r2) / det, 0.0)
        sse = np.maximum(see + l0 * r1 + b0 * r2, SSE_FLOOR * n)
        nll = n / 2 * (np.log(2 * np.pi * sse / n) + 1)
    ok = np.isfinite(nll) & np.isfinite(l0) & np.isfinite(b0) & (s11 > 0)
    ok &= ~trend | (det > 1e-12 * s11 * s22)
    return np.where(ok, nll, np.inf), l0, b0


def _mult_terms(
    comp: FloatArray, yt: FloatArray, w: np.ndarray, l0: FloatArray, b0: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """``mu``, relative errors, their sum of squares and the sum of ``log |mu|``."""
    err = comp[:, 0] + comp[:, 1] * l0 + comp[:, 2] * b0
    mu = np.nan_to_num(yt) - err
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel = err / mu
        return mu, rel, total(rel * rel, w), total(np.log(np.abs(mu)), w)


def nll_at(
    comp: FloatArray,
    yt: FloatArray,
    w: np.ndarray,
    n: IntArray,
    l0: FloatArray,
    b0: FloatArray,
    mult: np.ndarray | bool,
) -> FloatArray:
    """Negative log-likelihood at given initial states (``inf`` where not admissible); ``mult``
    marks the rows with M errors."""
    mu, _, sse_m, slog = _mult_terms(comp, yt, w, l0, b0)
    err = np.nan_to_num(yt) - mu
    sse = np.where(mult, sse_m, total(err * err, w))
    with np.errstate(divide="ignore", invalid="ignore"):
        nll = n / 2 * (np.log(2 * np.pi * np.maximum(sse, SSE_FLOOR * n) / n) + 1)
        nll = nll + np.where(mult, slog, 0.0)
    small = np.asarray(mult) & np.any(w & ~(np.abs(mu) >= MU_MIN), axis=0)
    return np.asarray(np.where(np.isfinite(nll) & ~small, nll, np.inf), dtype=float)


def profile_multiplicative(
    comp: FloatArray,
    yt: FloatArray,
    w: np.ndarray,
    n: IntArray,
    trend: np.ndarray,
    l0: FloatArray,
    b0: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """M-error negative log-likelihood maximised over ``(l_0, b_0)`` from a start.

    Newton's method with the exact gradient and Hessian (a scaled gradient step where the
    Hessian is not positive definite), halving the step up to :data:`HALVINGS` times until the
    likelihood rises; a row stops when the step promises a decrease below
    :data:`NEWTON_GAIN`, when no step improves it or when the step is below ``1e-12``
    (relative), after at most :data:`NEWTON_STEPS` steps.
    """
    theta = np.stack([l0, np.where(trend, b0, 0.0)])
    cur = nll_at(comp, yt, w, n, theta[0], theta[1], True)
    active = np.flatnonzero(np.isfinite(cur))
    for _ in range(NEWTON_STEPS):
        if not len(active):
            break
        tr = trend[active]
        grad, h = _nll_derivatives(
            comp[:, :, active], yt[:, active], w[:, active], n[active], tr, theta[:, active]
        )
        step = _newton_step(grad, h, tr)
        gain = -np.sum(grad * step, axis=0)  # decrease the quadratic model promises
        scale, moved = _take_step(comp, yt, w, n, theta, cur, active, step, gain)
        size = np.max(np.abs(scale * step), axis=0)
        going = moved & (size > 1e-12 * (1 + np.max(np.abs(theta[:, active]), axis=0)))
        active = active[going]
    return cur, theta[0], theta[1]


def _nll_derivatives(
    c: FloatArray, y: FloatArray, ww: np.ndarray, nn: IntArray, tr: np.ndarray, th: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Gradient ``(2, rows)`` and Hessian ``(3, rows)`` (entries 00, 01, 11) of the M-error
    negative log-likelihood with respect to ``(l_0, b_0)`` at ``th``."""
    mu, rel, sse, _ = _mult_terms(c, y, ww, th[0], th[1])
    z0, z1 = -c[:, 1], np.where(tr, -c[:, 2], 0.0)  # d mu / d (l0, b0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1 / mu
        q = -np.nan_to_num(y) * inv * inv  # d rel / d mu
        g = q * rel  # d (rel^2 / 2) / d mu
        c2 = q * q + 2 * rel * q * -inv  # d2 (rel^2 / 2) / d mu2
        sums = total(
            np.stack(
                [
                    g * z0,
                    g * z1,
                    z0 * inv,
                    z1 * inv,
                    c2 * z0 * z0,
                    c2 * z0 * z1,
                    c2 * z1 * z1,
                    z0 * z0 * inv * inv,
                    z0 * z1 * inv * inv,
                    z1 * z1 * inv * inv,
                ],
                axis=1,
            ),
            ww[:, None, :],
        )
        ds = 2 * sums[0:2]  # d sse
        grad = nn / 2 * ds / sse + sums[2:4]
        d2s = 2 * sums[4:7]  # d2 sse: 00, 01, 11
        h = nn / 2 * (d2s / sse - ds[[0, 0, 1]] * ds[[0, 1, 1]] / (sse * sse)) - sums[7:10]
    return grad, h


def _newton_step(grad: FloatArray, h: FloatArray, tr: np.ndarray) -> FloatArray:
    """The Newton step where the Hessian is positive definite, else a gradient step scaled by
    its diagonal; zero for ``b_0`` without a trend and where not finite."""
    h00, h01, h11 = h[0], np.where(tr, h[1], 0.0), np.where(tr, h[2], 1.0)
    det = h00 * h11 - h01 * h01
    newton = (h00 > 0) & (det > 0) & np.isfinite(det)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(
            newton,
            -np.stack(
                [(h11 * grad[0] - h01 * grad[1]) / det, (h00 * grad[1] - h01 * grad[0]) / det]
            ),
            -grad / np.maximum(np.abs(h00) + np.abs(h11), 1.0),
        )
    step = np.where(np.isfinite(step), step, 0.0)
    step[1] = np.where(tr, step[1], 0.0)
    return np.asarray(step, dtype=float)


def _take_step(
    comp: FloatArray,
    yt: FloatArray,
    w: np.ndarray,
    n: IntArray,
    theta: FloatArray,
    cur: FloatArray,
    active: IntArray,
    step: FloatArray,
    gain: FloatArray,
) -> tuple[FloatArray, np.ndarray]:
    """Move the ``active`` rows whose step promises at least :data:`NEWTON_GAIN` along it,
    halving it up to :data:`HALVINGS` times until the likelihood rises (``theta`` and ``cur``
    updated in place). Returns each row's last step scale and whether it moved."""
    scale = np.ones(len(active))
    moved = np.zeros(len(active), dtype=bool)
    todo = np.flatnonzero(gain > NEWTON_GAIN)
    for _ in range(HALVINGS):
        if not len(todo):
            break
        r = active[todo]
        trial = theta[:, r] + scale[todo] * step[:, todo]
        val = nll_at(comp[:, :, r], yt[:, r], w[:, r], n[r], trial[0], trial[1], True)
        better = val < cur[r]
        cur[r[better]] = val[better]
        theta[:, r[better]] = trial[:, better]
        moved[todo[better]] = True
        todo = todo[~better]
        scale[todo] *= 0.5
    return scale, moved


@dataclass(frozen=True)
class Fits:
    """Per row: negative log-likelihood, parameters ``(alpha, beta, phi, l0, b0)``."""

    nll: FloatArray
    params: FloatArray


def fit_forms(
    y: FloatArray, n: IntArray, mult: np.ndarray, trend: np.ndarray, damped: np.ndarray
) -> Fits:
    """Maximum likelihood for every row (a padded series ``y`` with its form)."""
    rows = len(n)
    yt = np.ascontiguousarray(y.T)
    w = np.arange(y.shape[1])[:, None] < n[None, :]
    dims = 1 + trend.astype(np.int64) + damped

    def smoothing(x: FloatArray, at: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        tr, dm = trend[at], damped[at]
        alpha = x[:, 0]
        beta = np.where(tr, alpha * x[:, 1], 0.0)
        phi = np.where(dm, x[:, 2], 1.0)
        return alpha, beta, phi

    def profile(x: FloatArray, at: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        comp = components(yt[:, at], *smoothing(x, at))
        nll, l0, b0 = profile_additive(comp, w[:, at], n[at], trend[at])
        m = np.flatnonzero(mult[at])
        if len(m):
            r = at[m]
            got = profile_multiplicative(
                comp[:, :, m], yt[:, r], w[:, r], n[r], trend[r], l0[m], b0[m]
            )
            nll[m], l0[m], b0[m] = got
        return nll, l0, b0

    grid = np.array([(a, b, p) for a in GRID[0] for b in GRID[1] for p in GRID[2]])
    fits_row = (trend[:, None] | (grid[None, :, 1] == GRID[1][0])) & (
        damped[:, None] | (grid[None, :, 2] == GRID[2][-1])
    )
    r, g = np.nonzero(fits_row)
    st = lowest(profile(grid[g], r)[0], r, STARTS)  # the best grid points of every row
    owner, x0 = r[st], grid[g[st]]
    unused = np.arange(3)[None, :] >= dims[owner][:, None]
    x0 = np.where(unused, 0.0, x0)
    lower = np.where(unused, -np.inf, [SMOOTH_BOUNDS[0], SMOOTH_BOUNDS[0], PHI_BOUNDS[0]])
    upper = np.where(unused, np.inf, [SMOOTH_BOUNDS[1], SMOOTH_BOUNDS[1], PHI_BOUNDS[1]])
    xs, fs, _ = pattern_search(
        lambda xx, at: profile(xx, owner[at])[0],
        x0,
        np.tile(STEP, (len(st), 1)),
        dims[owner],
        lower,
        upper,
        halvings=HALVE,
    )
    x = xs[lowest(fs, owner, 1)]
    everyone = np.arange(rows)
    nll, l0, b0 = profile(x, everyone)
    alpha, beta, phi = smoothing(x, everyone)
    return Fits(nll, np.column_stack([alpha, beta, phi, l0, b0]))


def final_states(y: FloatArray, n: IntArray, params: FloatArray) -> FloatArray:
    """Level and trend after the last observation, ``(N, 2)``, from ``(alpha, beta, phi, l0,
    b0)`` per row."""
    alpha, beta, phi, level, trend = (params[:, j].copy() for j in range(5))
    for t in range(y.shape[1]):
        valid = t < n
        mu = level + phi * trend
        e = np.nan_to_num(y[:, t]) - mu
        level = np.where(valid, mu + alpha * e, level)
        trend = np.where(valid, phi * trend + beta * e, trend)
    return np.stack([level, trend], axis=1)


def forecast_states(final: FloatArray, phi: FloatArray, h: int) -> FloatArray:
    """Point forecasts ``l_n + (phi + ... + phi^k) b_n`` for ``k = 1..h``."""
    damp = np.cumsum(phi[:, None] ** np.arange(1, h + 1)[None, :], axis=1)
    return np.asarray(final[:, :1] + damp * final[:, 1:2], dtype=float)


def aicc(nll: FloatArray, k: IntArray, n: IntArray) -> FloatArray:
    """Small-sample AIC from a negative log-likelihood; ``inf`` when ``n - k - 1 <= 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        crit = 2 * nll + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    return np.asarray(np.where((n - k - 1 > 0) & np.isfinite(nll), crit, np.inf), dtype=float)


def ets(y: FloatArray, n: IntArray, h: int) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Fit every candidate form to every row and keep the least AICc with a finite forecast.

    A form needs ``n - k - 1 > 0`` (AICc defined); M errors need a positive series. Returns
    forecasts ``(N, h)`` (NaN where no form fits) and per row ``error`` (1 A, 2 M), ``trend``
    (0 N, 1 A, 2 Ad) and ``aicc`` (NaN where no form fits).
    """
    rows, forms = len(n), len(CANDIDATES)
    inside = np.arange(y.shape[1])[None, :] < n[:, None]
    positive = np.all(np.where(inside, y > 0, True), axis=1)
    rep = np.repeat(np.arange(rows), forms)  # the series of every (series, form) row
    form = np.tile(np.arange(forms), rows)
    mult = np.array([c.error == "mul" for c in CANDIDATES])[form]
    tr = np.array([c.trend for c in CANDIDATES])[form]
    dm = np.array([c.damped for c in CANDIDATES])[form]
    k = np.array([c.k for c in CANDIDATES], dtype=np.int64)[form]
    crit = np.full((rows, forms), np.inf)
    fcs = np.full((rows, forms, h), np.nan)
    i = np.flatnonzero((n[rep] - k - 1 > 0) & (positive[rep] | ~mult))
    if len(i):
        fits = fit_forms(y[rep[i]], n[rep[i]], mult[i], tr[i], dm[i])
        final = final_states(y[rep[i]], n[rep[i]], fits.params)
        crit[rep[i], form[i]] = aicc(fits.nll, k[i], n[rep[i]])
        fcs[rep[i], form[i]] = forecast_states(final, fits.params[:, 2], h)
    crit = np.where(np.all(np.isfinite(fcs), axis=2), crit, np.inf)
    best = np.argmin(crit, axis=1)
    r = np.arange(rows)
    ok = np.isfinite(crit[r, best])
    chosen = [CANDIDATES[b] for b in best]
    params = {
        "error": np.where(ok, [1.0 if c.error == "add" else 2.0 for c in chosen], np.nan),
        "trend": np.where(ok, [float(c.trend + c.damped) for c in chosen], np.nan),
        "aicc": np.where(ok, crit[r, best], np.nan),
    }
    return np.asarray(np.where(ok[:, None], fcs[r, best], np.nan), dtype=float), params
