"""A batched pattern search: many small bounded minimisations, one numpy call per step.

The likelihoods of :mod:`forecast.stats.ets` and :mod:`forecast.stats.arima` are evaluated for
a whole batch of series in one pass over the years; what costs is the number of passes, not the
number of points in each. So the optimiser asks for many points at once and few times:
:func:`pattern_search` is a compass search with Hooke and Jeeves' pattern move (Kolda, Lewis and
Torczon 2003, "Optimization by direct search", SIAM Review 45), run on every row at once:

1. Evaluate, in one call, ``x +- s_j e_j`` for every coordinate ``j`` of the row (clipped into
   the bounds) and, after a successful step, the pattern point ``x + (x - x_previous)``.
2. If the best of them is lower than ``f(x)`` (the first one on ties, in that order), move there;
   otherwise halve every step ``s_j``.
3. A row stops when its steps have been halved ``halvings`` times or after ``maxiter`` calls.

Every row follows its own sequence: a row's result depends on its objective only, never on the
other rows of the batch. Rows may have different dimensions (up to ``D``); a row of dimension
``d`` uses its first ``d`` coordinates. :func:`forecast.stats.twins.pattern_search` is the plain
per-row twin the tests compare it with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Objective = Callable[[FloatArray, IntArray], FloatArray]


def evaluate(fun: Objective, x: FloatArray, rows: IntArray) -> FloatArray:
    """``fun`` at the points ``x`` of ``rows``, with NaN read as ``inf``."""
    if not len(rows):
        return np.empty(0)
    f = np.asarray(fun(x, rows), dtype=float)
    return np.where(np.isnan(f), np.inf, f)


def lowest(values: FloatArray, owner: IntArray, k: int) -> IntArray:
    """Indices of the ``k`` lowest ``values`` of every owner (fewer where it has fewer; the
    earlier of equal values first), owners in increasing order."""
    order = np.lexsort((np.arange(len(values)), values, owner))
    start = np.r_[0, np.flatnonzero(np.diff(owner[order])) + 1]
    rank = np.arange(len(order)) - np.repeat(start, np.diff(np.r_[start, len(order)]))
    return np.asarray(order[rank < k], dtype=np.int64)


def pattern_search(
    fun: Objective,
    x0: FloatArray,
    step: FloatArray,
    dims: IntArray,
    lower: FloatArray,
    upper: FloatArray,
    *,
    halvings: int = 12,
    maxiter: int = 200,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Minimise ``fun`` for every row of a batch.

    Parameters
    ----------
    fun : callable
        ``fun(points (M, D), rows (M,)) -> (M,)``: the objective of each point's row; ``inf``
        (or NaN) where a point is not admissible.
    x0, step : ndarray, shape (N, D)
        Start and initial steps (positive where used).
    dims : ndarray of int, shape (N,)
        Dimension of every row (0 to D); unused coordinates are left as they are in ``x0``.
    lower, upper : ndarray, shape (N, D)
        Box bounds (``-inf``/``inf`` for none).
    halvings : int
        A row stops once its steps are ``step / 2**halvings``.
    maxiter : int
        Calls of ``fun`` per row at most, after the first.

    Returns
    -------
    x : ndarray, shape (N, D)
    f : ndarray, shape (N,)
    calls : ndarray of int, shape (N,)
        Calls of ``fun`` every row took part in after the first.
    """
    rows, width = x0.shape
    dims = np.asarray(dims, dtype=np.int64)
    x = np.clip(x0, lower, upper)
    f = evaluate(fun, x, np.arange(rows))
    s = np.asarray(step, dtype=float).copy()
    used = np.arange(width)[None, :] < dims[:, None]
    move = np.zeros_like(x)
    halved = np.zeros(rows, dtype=np.int64)
    calls = np.zeros(rows, dtype=np.int64)
    eye = np.eye(width)
    active = np.flatnonzero((dims > 0) & (halvings > 0) & (maxiter > 0))
    while len(active):
        xa, sa = x[active], s[active]
        lo, hi = lower[active][:, None, :], upper[active][:, None, :]
        offsets = np.concatenate([sa[:, None, :] * eye, -sa[:, None, :] * eye], axis=1)
        trial = np.concatenate([xa[:, None, :] + offsets, (xa + move[active])[:, None, :]], axis=1)
        trial = np.clip(trial, lo, hi)
        moved = np.any(move[active] != 0, axis=1)[:, None]
        ok = np.concatenate([used[active], used[active], moved], axis=1)
        ok &= np.any(trial != xa[:, None, :], axis=2)  # a clipped point may not move
        r, k = np.nonzero(ok)
        val = np.full(ok.shape, np.inf)
        val[r, k] = evaluate(fun, trial[r, k], active[r])
        best = np.argmin(val, axis=1)
        m = np.arange(len(active))
        better = val[m, best] < f[active]
        go, stay = active[better], active[~better]
        move[go] = trial[m[better], best[better]] - x[go]
        x[go] = trial[m[better], best[better]]
        f[go] = val[m[better], best[better]]
        move[stay] = 0.0
        s[stay] *= 0.5
        halved[stay] += 1
        calls[active] += 1
        active = active[(halved[active] < halvings) & (calls[active] < maxiter)]
    return x, f, calls


#: step lengths bfgs tries at once along a search direction
LINE_STEPS: FloatArray = np.power(0.5, np.arange(12, dtype=np.float64))
ARMIJO = 1e-4


def bfgs(
    fun: Objective,
    x0: FloatArray,
    dims: IntArray,
    *,
    gtol: float = 1e-5,
    ftol: float = 1e-10,
    maxiter: int = 100,
    fd_step: float = 1e-6,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Minimise ``fun`` (unbounded) for every row of a batch by BFGS; see :func:`_bfgs`."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return _bfgs(fun, x0, dims, gtol=gtol, ftol=ftol, maxiter=maxiter, fd_step=fd_step)


def _bfgs(
    fun: Objective,
    x0: FloatArray,
    dims: IntArray,
    *,
    gtol: float = 1e-5,
    ftol: float = 1e-10,
    maxiter: int = 100,
    fd_step: float = 1e-6,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """BFGS on every row of a batch.

    Gradients by central differences (``fd_step``), all coordinates in one call; then all the
    step lengths :data:`LINE_STEPS` along ``-H g`` in one call, the longest that satisfies
    Armijo's condition taken (the best one if it lowers ``f`` and none does; the row stops if
    none lowers it). A row stops when ``max |g| <= gtol`` or after ``maxiter`` iterations. The
    inverse Hessian starts diagonal from the second differences of the first gradient call
    (identity where they are not positive) and is reset to the identity when ``-H g`` is not
    a descent direction. Same conventions as :func:`pattern_search`.
    """
    st = _BfgsState.start(fun, x0, dims, fd_step)
    active = np.flatnonzero((st.dims > 0) & np.isfinite(st.f))
    if len(active):
        st.first_hessian(active)
    while len(active):
        g = st.grad[active]
        finite = np.all(np.isfinite(g), axis=1)
        going = finite & (np.max(np.abs(g), axis=1) > gtol) & (st.iters[active] < maxiter)
        active, g = active[going], g[going]
        if not len(active):
            break
        h, p, slope = st.direction(active, g)
        pick, moves, small = st.line_search(active, h, p, slope, ftol)
        going = moves & ~small
        active, pick, p, g = active[going], pick[going], p[going], g[going]
        if not len(active):
            break
        st.update(active, LINE_STEPS[pick][:, None] * p, g)
    return st.x, st.f, st.iters


@dataclass
class _BfgsState:
    """The batch's points, values, gradients and inverse Hessians, changed in place row by row
    as :func:`_bfgs` goes."""

    fun: Objective
    dims: IntArray
    used: npt.NDArray[np.bool_]  # the coordinates each row has
    fd_step: float
    x: FloatArray
    f: FloatArray
    iters: IntArray
    hinv: FloatArray
    grad: FloatArray

    @classmethod
    def start(cls, fun: Objective, x0: FloatArray, dims: IntArray, fd_step: float) -> _BfgsState:
        """The state at ``x0``: values evaluated, no iteration yet."""
        rows, width = x0.shape
        dims = np.asarray(dims, dtype=np.int64)
        used = np.arange(width)[None, :] < dims[:, None]
        x = np.array(x0, dtype=float)
        f = evaluate(fun, x, np.arange(rows))
        iters = np.zeros(rows, dtype=np.int64)
        hinv = np.zeros((rows, width, width))
        grad = np.zeros((rows, width))
        return cls(fun, dims, used, fd_step, x, f, iters, hinv, grad)

    @property
    def width(self) -> int:
        """The batch's largest dimension."""
        return int(self.x.shape[1])

    def gradient(self, at: IntArray) -> tuple[FloatArray, FloatArray]:
        """Central-difference gradients and second differences of the rows ``at``, in one
        call of the objective."""
        x, f, used, width = self.x, self.f, self.used, self.width
        eye = np.eye(width)
        step = self.fd_step * np.maximum(1.0, np.abs(x[at]))
        here, delta = x[at][:, None, :], step[:, None, :] * eye
        pts = np.concatenate([here + delta, here - delta], axis=1)
        ok = np.concatenate([used[at], used[at]], axis=1)
        r, k = np.nonzero(ok)
        val = np.zeros(ok.shape)
        val[r, k] = evaluate(self.fun, pts[r, k], at[r])
        up, down = val[:, :width], val[:, width:]
        g = np.where(used[at], (up - down) / (2 * step), 0.0)
        curv = np.where(used[at], (up - 2 * f[at, None] + down) / (step * step), 0.0)
        return g, curv

    def first_hessian(self, active: IntArray) -> None:
        """The first gradients, and diagonal inverse Hessians from the second differences
        (identity where they are not positive)."""
        eye = np.eye(self.width)
        self.grad[active], curv = self.gradient(active)
        scale = np.where(curv > 0, 1 / np.where(curv > 0, curv, 1.0), 1.0)
        self.hinv[active] = np.where(
            self.used[active][:, :, None] & self.used[active][:, None, :],
            eye * scale[:, None, :],
            0.0,
        )

    def direction(
        self, active: IntArray, g: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """The rows' inverse Hessians, search directions ``-H g`` and slopes along them; a row
        whose direction does not descend is reset to the identity and steepest descent."""
        eye = np.eye(self.width)
        h = self.hinv[active]
        p = -np.einsum("rij,rj->ri", h, g)
        slope = np.sum(g * p, axis=1)
        reset = ~(slope < 0)
        if reset.any():
            h[reset] = np.where(
                self.used[active[reset]][:, :, None] & self.used[active[reset]][:, None, :],
                eye,
                0.0,
            )
            p[reset] = -g[reset]
            slope[reset] = -np.sum(g[reset] * g[reset], axis=1)
        return h, p, slope

    def line_search(
        self, active: IntArray, h: FloatArray, p: FloatArray, slope: FloatArray, ftol: float
    ) -> tuple[IntArray, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Every step length along ``p`` in one call; moves the rows whose picked step lowers
        ``f``. Returns the picked steps, which rows moved and which gained at most ``ftol``."""
        x, f, width = self.x, self.f, self.width
        trial = x[active][:, None, :] + LINE_STEPS[None, :, None] * p[:, None, :]
        m = len(LINE_STEPS)
        val = evaluate(self.fun, trial.reshape(-1, width), np.repeat(active, m)).reshape(-1, m)
        armijo = val <= f[active, None] + ARMIJO * LINE_STEPS[None, :] * slope[:, None]
        first = np.argmax(armijo, axis=1)
        lowest = np.argmin(val, axis=1)
        r = np.arange(len(active))
        pick = np.where(armijo.any(axis=1), first, lowest)
        moves = val[r, pick] < f[active]
        small = f[active] - val[r, pick] <= ftol * (1 + np.abs(f[active]))
        self.iters[active] += 1
        self.hinv[active] = h
        best = val[r, pick]
        x[active[moves]] += LINE_STEPS[pick[moves]][:, None] * p[moves]
        f[active[moves]] = best[moves]
        return pick, moves, small

    def update(self, active: IntArray, s: FloatArray, g: FloatArray) -> None:
        """New gradients at the moved rows and the BFGS update of their inverse Hessians
        (skipped where the curvature ``s . y`` is not positive)."""
        hinv = self.hinv
        new_g, _ = self.gradient(active)
        yv = new_g - g
        sy = np.sum(s * yv, axis=1)
        upd = (sy > 1e-12) & np.all(np.isfinite(yv), axis=1)
        if upd.any():
            a = active[upd]
            hh, ss, yy, rho = hinv[a], s[upd], yv[upd], 1 / sy[upd]
            hy = np.einsum("rij,rj->ri", hh, yy)
            yhy = np.sum(yy * hy, axis=1)
            cross = hy[:, :, None] * ss[:, None, :] + ss[:, :, None] * hy[:, None, :]
            hinv[a] = (
                hh
                - rho[:, None, None] * cross
                + (rho * rho * yhy + rho)[:, None, None] * ss[:, :, None] * ss[:, None, :]
            )
        self.grad[active] = new_g
