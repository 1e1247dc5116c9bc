"""Approach 2 of Hoffmann et al. 2022 (arXiv:2203.15556, §3.2): IsoFLOP profiles.

Runs are grouped by training budget; in each group the final loss is fitted by a parabola in log N,
whose vertex is that budget's optimal size; the optima are then fitted as power laws
N_opt = G·C^a and D_opt = G_D·C^b (least squares on log-log axes), with D = C/(6N).
"""

import warnings
from dataclasses import dataclass

import numpy as np

from scalingplan.errors import InputError
from scalingplan.laws.base import tokens_for
from scalingplan.laws.powerlaw import PowerLaw
from scalingplan.fitting.runs import Runs, check_fit_input, check_law

GROUP_TOLERANCE_DEX = 0.1
MAX_TOLERANCE_DEX = 2.0
"""A wider group would mix budgets 100 times apart into one IsoFLOP profile."""
MIN_GROUP_RUNS = 3


def check_tolerance(value: float) -> None:
    """InputError unless ``value`` (--group-tol) is a width in (0, MAX_TOLERANCE_DEX] decades."""
    if not 0 < value <= MAX_TOLERANCE_DEX:
        raise InputError(f"--group-tol: must be above 0 and at most {MAX_TOLERANCE_DEX:g} decades, got {value:g}")


def isoflop_groups(flops, tolerance_dex=GROUP_TOLERANCE_DEX) -> np.ndarray:
    """Group label of each run: runs sorted by log₁₀ C, each group opened by its smallest budget and
    holding every later run within ``tolerance_dex`` of it (so a group spans at most that many decades
    and groups never chain). Labels count up from 0 in order of budget."""
    log_c = np.log10(np.asarray(flops, dtype=float))
    order = np.argsort(log_c, kind="stable")
    labels = np.empty(len(log_c), dtype=int)
    label, start = -1, -np.inf
    for i in order:
        if log_c[i] - start > tolerance_dex:
            label, start = label + 1, log_c[i]
        labels[i] = label
    return labels


@dataclass
class IsoFlopGroup:
    """One budget's profile: loss ≈ c₂·x² + c₁·x + c₀ with x = log₁₀ N, and its vertex."""

    flops: float
    """Budget of the group: geometric mean of its runs' FLOPs."""
    n_runs: int
    coefficients: tuple
    """(c₂, c₁, c₀) of the parabola in x = log₁₀ N."""
    params_range: tuple
    """Smallest and largest N in the group."""
    params_opt: float
    tokens_opt: float
    loss_opt: float
    used: bool
    """Whether the vertex entered the power-law fit."""
    reason: str = ""
    """Why not, if not."""


def fit_parabola(params, loss, flops) -> IsoFlopGroup:
    """Least-squares parabola of loss against log₁₀ N for one IsoFLOP group; its vertex is the optimum.

    The vertex is used only if the parabola opens upward and the vertex lies within the sizes
    trained (no extrapolation)."""
    x = np.log10(params)
    budget = float(np.exp(np.mean(np.log(flops))))
    span = (float(params.min()), float(params.max()))
    nan = float("nan")
    if np.unique(x).size < 3:
        return IsoFlopGroup(budget, len(x), (nan, nan, nan), span, nan, nan, nan, False,
                            f"fewer than {MIN_GROUP_RUNS} model sizes")
    c2, c1, c0 = np.polyfit(x, loss, 2)
    if c2 <= 0:
        return IsoFlopGroup(budget, len(x), (c2, c1, c0), span, nan, nan, nan, False, "parabola opens downward")
    vertex = -c1 / (2 * c2)
    coefficients = (float(c2), float(c1), float(c0))
    if not x.min() <= vertex <= x.max():  # checked first: a nearly flat parabola's vertex can overflow
        return IsoFlopGroup(budget, len(x), coefficients, span, nan, nan, nan, False,
                            "minimum outside the sizes trained")
    params_opt = float(10**vertex)
    return IsoFlopGroup(budget, len(x), coefficients, span, params_opt, float(tokens_for(budget, params_opt)),
                        float(c0 - c1**2 / (4 * c2)), True)


def power_law_fit(flops, values):
    """(G, a) of values = G·C^a by least squares on log C, log values."""
    slope, intercept = np.polyfit(np.log(flops), np.log(values), 1)
    return float(np.exp(intercept)), float(slope)


@dataclass
class Approach2Fit:
    """Per-group parabolas and optima, and the power laws fitted to the optima."""

    G: float
    a: float
    G_D: float
    b: float
    groups: list
    runs: Runs
    labels: np.ndarray
    tolerance_dex: float
    rms_log_residual: float
    """RMS of log N_opt about the fitted power law, over the groups used."""

    @property
    def n_points(self) -> int:
        return len(self.runs)

    @property
    def constants(self) -> dict:
        return {"G": self.G, "a": self.a, "G_D": self.G_D, "b": self.b}

    def allocate(self, flops):
        """(N_opt, D_opt) = (G·C^a, C/(6N)) at ``flops``."""
        params = self.G * np.asarray(flops, dtype=float) ** self.a
        return params, tokens_for(flops, params)


def fit_approach2(runs: Runs, tolerance_dex=GROUP_TOLERANCE_DEX, labels=None) -> Approach2Fit:
    """IsoFLOP fit of ``runs``; ``labels`` (from ``isoflop_groups``) may be passed to reuse a grouping."""
    check_fit_input(runs, 2, "approach2")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # polyfit's RankWarning: a degenerate group is judged below
        return _fit_approach2(runs, tolerance_dex, labels)


def _fit_approach2(runs, tolerance_dex, labels):
    labels = isoflop_groups(runs.flops, tolerance_dex) if labels is None else np.asarray(labels)
    groups = []
    for label in np.unique(labels):
        member = labels == label
        groups.append(fit_parabola(runs.params[member], runs.loss[member], runs.flops[member]))
    used = [g for g in groups if g.used]
    if len(used) < 2:
        raise InputError(f"only {len(used)} of {len(groups)} IsoFLOP groups (budgets within "
                         f"{tolerance_dex:g} decades) give a minimum inside the sizes trained; need at least 2 "
                         "(each group needs 3 or more model sizes around its optimum)")
    budgets = np.array([g.flops for g in used])
    params_opt = np.array([g.params_opt for g in used])
    G, a = power_law_fit(budgets, params_opt)
    check_law("power law N_opt = G·C^a", lambda c: PowerLaw("fit", c), {"G": G, "a": a})
    G_D, b = power_law_fit(budgets, tokens_for(budgets, params_opt))
    residual = np.log(params_opt) - np.log(G * budgets**a)
    return Approach2Fit(G, a, G_D, b, groups, runs, labels, tolerance_dex,
                        float(np.sqrt(np.mean(residual**2))))
