"""Approach 3 of Hoffmann et al. 2022 (arXiv:2203.15556, §3.3 and Appendix D.2): fit
L(N, D) = E + A/N^α + B/D^β to final losses.

With θ = (a, b, e, α, β), A = eᵃ, B = eᵇ, E = eᵉ, the model of log loss is
LSE(a − α log N, b − β log D, e) and the objective is Σᵢ Huber_δ(LSE(…) − log Lᵢ), δ = 1e−3, minimised
by L-BFGS from a grid of 4,500 starts, keeping the best (Hoffmann et al. eq. 3; Besiroglu et al. 2024 §2).
"""

from dataclasses import dataclass, field

import numpy as np

from scalingplan.errors import InputError
from scalingplan.laws.parametric import ParametricLaw
from scalingplan.fitting.lbfgs import STATUS_TEXT, BatchResult, minimize_batch
from scalingplan.fitting.runs import Runs, check_fit_input, check_law

HUBER_DELTA = 1e-3
POLISH, POLISH_GTOL, POLISH_FTOL = 20, 1e-9, 1e-15
"""The best POLISH grid end points are refined with tight tolerances: with the objective near 1e−3,
L-BFGS-B's default stopping rule (decrease below 2.2e−9·max(|f|, 1)) can stop early in the flat valley
of (A, B); the polish makes the result the local minimum itself."""
NAMES = ("a", "b", "e", "alpha", "beta")
GRID_RUNS = 256
"""With more runs than this, the full start grid runs on GRID_RUNS of them, evenly spaced in order
of budget and size, and the POLISH best end points are then refined on every run: the grid only has
to find the basins, and its cost grows as starts × runs (10⁴ runs would cost 40 times the Chinchilla
fit). Fits to fewer runs, and every bootstrap refit, use all runs throughout."""
WORK_ELEMENTS = 1 << 21
"""Starts × runs per batch of the objective: each working array holds at most this many doubles
(16 MB), so memory grows linearly with the runs (fewer starts per batch as the runs grow)."""
TERM_SHARE = 0.01
"""A term below this share of the predicted loss at every run is not determined by the runs."""
RESIDUAL_OUTLIER = 0.5
"""A run whose log-loss residual exceeds this (its loss off the fit by a factor e^0.5 ≈ 1.65) is named."""


def initial_grid() -> np.ndarray:
    """The paper's starting points, rows (a, b, e, α, β): α, β ∈ {0, 0.5, …, 2}, e ∈ {−1, −0.5, …, 1},
    a, b ∈ {0, 5, …, 25}; 5·5·5·6·6 = 4,500 rows (Hoffmann et al. 2022, Appendix D.2)."""
    ab = np.arange(0.0, 30.0, 5.0)
    e = np.arange(-1.0, 1.5, 0.5)
    exponent = np.arange(0.0, 2.5, 0.5)
    grid = np.meshgrid(ab, ab, e, exponent, exponent, indexing="ij")
    return np.stack([axis.ravel() for axis in grid], axis=1)


def thinned_grid(count: int, grid=None) -> np.ndarray:
    """``count`` rows spread evenly through ``grid`` (default ``initial_grid``; all of it when count is 0
    or more than its rows)."""
    grid = initial_grid() if grid is None else grid
    if count < 0:
        raise InputError(f"--starts: must be 0 (all {len(grid):,}) or more, got {count}")
    if count == 0 or count >= len(grid):
        return grid
    return grid[np.unique(np.linspace(0, len(grid) - 1, count).round().astype(int))]


def huber_objective(theta, log_n, log_d, log_loss, delta=HUBER_DELTA):
    """Σᵢ Huber_δ(LSE(a − α log Nᵢ, b − β log Dᵢ, e) − log Lᵢ) and its gradient, for every row of ``theta``.

    ``theta`` is (k, 5) with columns (a, b, e, α, β); returns f of shape (k,) and gradient (k, 5).
    Huber_δ(r) = r²/2 for |r| ≤ δ, else δ(|r| − δ/2); its derivative is clip(r, −δ, δ). The softmax
    weights wⱼ = exp(tⱼ − LSE) give ∂LSE/∂a = w₁, ∂/∂b = w₂, ∂/∂e = w₃, ∂/∂α = −w₁ log N, ∂/∂β = −w₂ log D.
    """
    theta = np.atleast_2d(theta)
    a, b, e, alpha, beta = theta.T
    # a per-row shift no smaller than any exponent in the row (from the extreme log N, log D), so the
    # exponentials cannot overflow; it is computed from the parameters alone, without a pass over the data
    n_lo, n_hi, d_lo, d_hi = log_n.min(), log_n.max(), log_d.min(), log_d.max()
    top = np.maximum(np.maximum(a - np.minimum(alpha * n_lo, alpha * n_hi),
                                b - np.minimum(beta * d_lo, beta * d_hi)), e)[:, None]
    t1 = np.multiply.outer(-alpha, log_n)
    t1 += a[:, None] - top
    np.exp(t1, out=t1)
    t2 = np.multiply.outer(-beta, log_d)
    t2 += b[:, None] - top
    np.exp(t2, out=t2)
    t3 = np.exp(e[:, None] - top)
    total = t1 + t2
    total += t3
    np.maximum(total, np.finfo(float).tiny, out=total)  # only for absurd parameters, where terms underflow
    r = np.log(total)
    r += top
    r -= log_loss
    psi = np.clip(r, -delta, delta)
    # Huber value written through psi: ψ(r − ψ/2) equals r²/2 inside and δ(|r| − δ/2) outside
    r -= 0.5 * psi
    value = np.einsum("ij,ij->i", psi, r)
    psi /= total
    t1 *= psi
    t2 *= psi
    grad = np.empty((theta.shape[0], 5))
    grad[:, 0] = t1.sum(axis=1)
    grad[:, 1] = t2.sum(axis=1)
    grad[:, 2] = t3[:, 0] * psi.sum(axis=1)
    grad[:, 3] = -(t1 @ log_n)
    grad[:, 4] = -(t2 @ log_d)
    return value, grad


def to_constants(theta) -> dict:
    """(a, b, e, α, β) -> {E, A, B, alpha, beta}."""
    a, b, e, alpha, beta = (float(v) for v in theta)
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": alpha, "beta": beta}


def from_constants(E, A, B, alpha, beta) -> np.ndarray:
    """{E, A, B, alpha, beta} -> θ = (log A, log B, log E, α, β)."""
    return np.array([np.log(A), np.log(B), np.log(E), alpha, beta], dtype=float)


def _log_data(runs: Runs):
    return np.log(runs.params), np.log(runs.tokens), np.log(runs.loss)


@dataclass(frozen=True)
class Form:
    """A loss form fitted the Approach 3 way: Huber on log loss, multi-start L-BFGS.

    ``objective(theta, log_n, log_d, log_loss, delta)`` gives (value, gradient) per row of theta;
    ``predict_log(theta, log_n, log_d)`` the model's log loss; ``constants`` maps θ to named constants
    and ``law`` those constants to a planner law."""

    name: str
    parameters: tuple
    objective: object
    predict_log: object
    grid: object
    constants: object
    law: object
    equation: str


def _predict_log(theta, log_n, log_d):
    a, b, e, alpha, beta = theta
    return np.logaddexp(np.logaddexp(a - alpha * log_n, b - beta * log_d), e)


def parametric_law(constants) -> ParametricLaw:
    return ParametricLaw("fit", constants)


# module-level functions only: a fit travels to bootstrap worker processes by pickle
CHINCHILLA = Form("chinchilla", NAMES, huber_objective, _predict_log, initial_grid, to_constants,
                  parametric_law, "L = E + A/N^alpha + B/D^beta")


@dataclass
class Approach3Fit:
    """The best of the multi-start fit, with the data it was fitted to."""

    constants: dict
    """E, A, B, alpha, beta."""
    theta: np.ndarray
    objective: float
    """Σ Huber_δ of log-loss residuals at the optimum."""
    rms_log_residual: float
    runs: Runs
    n_starts: int
    n_converged: int
    iterations: int
    status: str
    minima: np.ndarray = field(repr=False)
    """Distinct end points of converged starts (rows θ), best first: warm starts for resampled refits."""
    warnings: list = field(default_factory=list)
    """What the runs leave undetermined or do not fit (``fit_warnings``)."""
    form: Form = CHINCHILLA

    @property
    def law(self):
        return self.form.law(self.constants)

    @property
    def n_points(self) -> int:
        return len(self.runs)


def fit_approach3(runs: Runs, starts=None, delta=HUBER_DELTA, chunk=1500, progress=None,
                  form: Form = CHINCHILLA) -> Approach3Fit:
    """Fit ``form`` (default E, A, B, α, β) to ``runs`` from every start (default: the form's grid,
    for Chinchilla's form the paper's 4,500 points).

    Starts are run ``chunk`` at a time through the batched L-BFGS (chunks keep the working arrays
    small enough to stay in cache), fewer when the runs are many (WORK_ELEMENTS); the grid sees at
    most GRID_RUNS runs. Raises InputError if the runs cannot determine the constants or the best
    start did not converge.
    """
    check_fit_input(runs, len(form.parameters))
    chunk = max(1, min(chunk, WORK_ELEMENTS // len(runs)))
    with np.errstate(all="ignore"):
        fit = _fit(runs, starts, delta, chunk, progress, form)
    fit.warnings = fit_warnings(fit)
    return fit


def fit_warnings(fit: Approach3Fit) -> list:
    """Constants the runs do not determine (a term under TERM_SHARE of the predicted loss at every
    run, so the fit can move it freely; Chinchilla's form), and runs far off the fit (RESIDUAL_OUTLIER)."""
    runs, c = fit.runs, fit.constants
    predicted = fit.law.loss(runs.params, runs.tokens)
    shares = {}
    if fit.form.name == CHINCHILLA.name:
        shares = {"E": c["E"] / predicted, "A and alpha": c["A"] / runs.params ** c["alpha"] / predicted,
                  "B and beta": c["B"] / runs.tokens ** c["beta"] / predicted}
    out = []
    for names, share in shares.items():
        if float(np.max(share)) < TERM_SHARE:
            out.append(f"{names} not determined by these runs: the term is under {TERM_SHARE:.0%} of the "
                       f"predicted loss at every run (fit gives {', '.join(f'{k} = {c[k]:.4g}' for k in names.split(' and '))})")
    residual = np.abs(np.log(predicted) - np.log(runs.loss))
    far = np.flatnonzero(residual > RESIDUAL_OUTLIER)
    if far.size:
        lines = ", ".join(str(int(x)) for x in runs.lines[far][:5]) + (", ..." if far.size > 5 else "")
        out.append(f"{far.size} run(s) far off the fit (loss off by more than a factor "
                   f"{np.exp(RESIDUAL_OUTLIER):.2f}), at line(s) {lines}; check them or leave them out")
    return out


def _minimize_in_batches(fun, starts, chunk, progress, **options) -> BatchResult:
    """``minimize_batch`` over ``starts``, ``chunk`` rows at a time, results in the order of ``starts``."""
    results = []
    for lo in range(0, len(starts), chunk):
        report = None
        if progress is not None:
            def report(done, total, offset=lo):
                progress(offset + done, len(starts))
        results.append(minimize_batch(fun, starts[lo:lo + chunk], progress=report, **options))
    return BatchResult(*(np.concatenate([getattr(r, name) for r in results])
                         for name in ("x", "f", "g", "iterations", "status")))


def _fit(runs: Runs, starts, delta, chunk, progress, form: Form) -> Approach3Fit:
    log_n, log_d, log_loss = _log_data(runs)
    starts = form.grid() if starts is None else np.atleast_2d(np.asarray(starts, dtype=float))

    def fun(theta):
        return form.objective(theta, log_n, log_d, log_loss, delta)

    grid_fun = fun
    if len(runs) > GRID_RUNS and len(starts) > POLISH:
        order = np.lexsort((log_n, runs.flops))
        pick = order[np.linspace(0, len(runs) - 1, GRID_RUNS).round().astype(int)]

        def grid_fun(theta):
            return form.objective(theta, log_n[pick], log_d[pick], log_loss[pick], delta)

    grid = _minimize_in_batches(grid_fun, starts, chunk, progress)
    finite = np.isfinite(grid.f)
    if not finite.any():
        raise InputError("the fit failed: the objective is not finite at any start")
    order = np.argsort(np.where(finite, grid.f, np.inf), kind="stable")[:POLISH]
    result = _minimize_in_batches(fun, grid.x[order], chunk, None, gtol=POLISH_GTOL, ftol=POLISH_FTOL,
                                  maxiter=5000)
    best = int(np.argmin(result.f))
    if not result.converged[best]:
        raise InputError(f"the fit did not converge: the best start {STATUS_TEXT[result.status[best]]} "
                         f"after {grid.iterations[order[best]] + result.iterations[best]} iterations")
    theta = result.x[best]
    constants = form.constants(theta)
    check_law(f"{form.name} law", form.law, constants)
    residual = form.predict_log(theta, log_n, log_d) - log_loss
    return Approach3Fit(
        constants=constants, theta=theta, objective=float(result.f[best]),
        rms_log_residual=float(np.sqrt(np.mean(residual**2))), runs=runs, n_starts=len(starts),
        n_converged=int(grid.converged.sum()), iterations=int(grid.iterations[order[best]] + result.iterations[best]),
        status=STATUS_TEXT[result.status[best]], minima=_distinct_minima(grid), form=form,
    )


def predict_loss(constants: dict, params, tokens):
    """L̂ = E + A/N^α + B/D^β at the fitted constants."""
    return ParametricLaw("fit", constants).loss(params, tokens)


def _distinct_minima(result: BatchResult, limit=32) -> np.ndarray:
    """Converged end points, deduplicated (θ rounded to 2 decimals), best first, at most ``limit``."""
    done = result.converged & np.isfinite(result.f)
    x, f = result.x[done], result.f[done]
    order = np.argsort(f, kind="stable")
    _, first = np.unique(np.round(x[order], 2), axis=0, return_index=True)
    return x[order][np.sort(first)][:limit]


def objective_at(constants: dict, runs: Runs, delta=HUBER_DELTA) -> float:
    """The Huber objective of ``runs`` at given constants (e.g. a paper's published values)."""
    value, _ = huber_objective(from_constants(**constants)[None, :], *_log_data(runs), delta)
    return float(value[0])
