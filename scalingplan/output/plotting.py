"""Figures: the compute-optimal frontier of published laws (Hoffmann et al. 2022, Figure 1), the IsoFLOP
profiles of a user's runs (Figure 3) and the IsoLoss contours of a fitted parametric law (Figure 4, left).

Each ``*_figure`` function takes laws, models or fits and returns a matplotlib ``Figure`` drawn on the
Agg canvas (no display, no pyplot state); ``save_figure`` is the only function that writes a file.
matplotlib is the optional ``plot`` extra and is imported only inside these functions.
``frontier_text`` draws the frontier with characters and needs no matplotlib.
"""

import math
from pathlib import Path

import numpy as np

from scalingplan.compute.counting import six_nd
from scalingplan.errors import InputError
from scalingplan.laws.base import tokens_for
from scalingplan.output.render import human_count, sci

INSTALL_HINT = "matplotlib is not installed; install the plot extra: pip install 'scalingplan[plot]'"
SAVE_FORMATS = ("png", "svg", "pdf")
COMPUTE_LABEL = "Training compute (FLOPs)"
PARAMS_LABEL = "Parameters"
TOKENS_LABEL = "Tokens"
LOSS_LABEL = "Final loss (nats/token)"


def require_matplotlib():
    """The matplotlib module; InputError with the install command when it is missing."""
    try:
        import matplotlib
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    return matplotlib


def new_figure(width: float, height: float):
    """An empty Figure on an Agg canvas, laid out with constrained layout."""
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def image_format(path) -> str:
    """'png', 'svg' or 'pdf' from a file name's suffix; InputError for anything else."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in SAVE_FORMATS:
        raise InputError(f"--output: cannot tell the image format of '{Path(path).name}'; "
                         f"end the name with .png, .svg or .pdf")
    return fmt


def save_figure(fig, path, dpi: int = 150) -> Path:
    """Write ``fig`` to ``path``; the format follows the suffix (.png, .svg or .pdf)."""
    path = Path(path)
    fmt = image_format(path)
    try:
        fig.savefig(path, dpi=dpi, format=fmt)
    except OSError as exc:
        raise InputError(f"--output: cannot write {path} ({exc.strerror or exc})") from None
    return path


def inert(text) -> str:
    """A name from a file as literal figure text: a ``$`` would otherwise start matplotlib mathtext."""
    return str(text).replace("$", r"\$")


def model_flops(model: dict) -> float:
    """Training compute of a catalogue model, C = 6ND."""
    return six_nd(model["params"], model["tokens"])


def _label_models(ax, models, key: str, gap_dex: float = 0.32, shift_dex: float = 1.2) -> None:
    """Models as stars at (6ND, ``key``), named by labels set ``shift_dex`` decades of compute to
    their left, stacked at least ``gap_dex`` decades apart and joined to their stars by thin lines
    (models of similar size and compute would otherwise write over each other)."""
    points = sorted(((model_flops(m), m[key], inert(m.get("display", m["name"]))) for m in models),
                    key=lambda p: (p[1], p[0]))
    placed = []
    for c, value, name in points:
        y = math.log10(value)
        if placed and y - placed[-1] < gap_dex:
            y = placed[-1] + gap_dex
        placed.append(y)
        ax.plot([c], [value], "*", color="black", ms=11, zorder=4)
        ax.annotate(name, (c, value), xytext=(c / 10**shift_dex, 10**y), textcoords="data", ha="right",
                    va="center", fontsize=8.5, bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 0.5},
                    arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.6, "shrinkB": 5})


# --- Figure 1: the frontier of published laws ----------------------------------------------------
def frontier_figure(laws, models=(), budget=None, flops_range=(1e17, 1e26), points: int = 200,
                    size=(11.0, 5.0)):
    """Optimal parameters (left) and tokens (right) against training FLOPs for each law, log-log.

    ``models`` (catalogue dicts) appear as labelled points at their 6ND compute; ``budget`` (FLOPs)
    as a vertical line with each law's optimum on it (Hoffmann et al. 2022, Figure 1).
    """
    lo, hi = flops_range
    flops = np.geomspace(lo, hi, points)
    fig = new_figure(*size)
    ax_n, ax_d = fig.subplots(1, 2)
    for ax, which, ylabel in ((ax_n, 0, PARAMS_LABEL), (ax_d, 1, TOKENS_LABEL)):
        for index, law in enumerate(laws):
            color = f"C{index % 10}"
            ax.plot(flops, law.allocate(flops)[which], color=color, lw=2, label=inert(law.params_label()))
            if budget is not None:
                ax.plot([budget], [law.allocate(budget)[which]], "o", color=color, ms=5, zorder=3)
        if budget is not None:
            ax.axvline(budget, color="0.35", ls="--", lw=1, label=f"budget {sci(budget)} FLOPs")
        _label_models(ax, models, "params" if which == 0 else "tokens")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_xlabel(COMPUTE_LABEL)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    ax_n.set_title("Compute-optimal model size")
    ax_d.set_title("Compute-optimal training tokens")
    handles, labels = ax_n.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5), fontsize=9, frameon=False)
    return fig


def frontier_text(laws, flops_range=(1e17, 1e26), budget=None, width: int = 60, height: int = 16) -> str:
    """A character plot of log N_opt against log C for each law (digits 1..9 mark the laws,
    ``*`` where several coincide, ``|`` the budget), with a legend under the axis."""
    lo, hi = (math.log10(v) for v in flops_range)
    columns = [lo + (hi - lo) * i / (width - 1) for i in range(width)]
    curves = [[math.log10(float(law.allocate(10.0**x)[0])) for x in columns] for law in laws]
    bottom = math.floor(min(min(c) for c in curves))
    top = math.ceil(max(max(c) for c in curves))
    if top == bottom:
        top += 1
    grid = [[" "] * width for _ in range(height)]
    if budget is not None and flops_range[0] <= budget <= flops_range[1]:
        col = round((math.log10(budget) - lo) / (hi - lo) * (width - 1))
        for row in grid:
            row[col] = "|"
    for index, curve in enumerate(curves):
        mark = str(index + 1) if index < 9 else "+"
        for col, y in enumerate(curve):
            row = height - 1 - round((y - bottom) / (top - bottom) * (height - 1))
            grid[row][col] = mark if grid[row][col] in " |" else "*"
    labels = {}
    for exponent in range(bottom, top + 1, max(1, round((top - bottom) / 4))):
        labels[height - 1 - round((exponent - bottom) / (top - bottom) * (height - 1))] = f"1e{exponent}"
    lines = ["Compute-optimal parameters (log scale) against training compute (FLOPs)"]
    for i, row in enumerate(grid):
        lines.append(f"{labels.get(i, ''):>6} ┤" + "".join(row))
    lines.append(" " * 7 + "└" + "─" * width)
    ticks = [" "] * width
    for exponent in range(math.ceil(lo), math.floor(hi) + 1, max(1, round((hi - lo) / 4))):
        text = f"1e{exponent}"
        col = round((exponent - lo) / (hi - lo) * (width - 1))
        start = min(max(0, col - len(text) // 2), width - len(text))
        ticks[start:start + len(text)] = text
    lines.append(" " * 8 + "".join(ticks))
    legend = [f"{str(i + 1) if i < 9 else '+'} {law.params_label()}" for i, law in enumerate(laws)] + ["* several"]
    if budget is not None:
        legend.append(f"| budget {sci(budget)} FLOPs")
    line = ""
    for item in legend:  # legend items packed into lines no wider than the plot, never split
        if line and len(line) + 3 + len(item) > width + 6:
            lines.append("  " + line)
            line = ""
        line = f"{line}   {item}" if line else item
    lines.append("  " + line)
    return "\n".join(lines)


# --- Figure 3: IsoFLOP profiles -------------------------------------------------------------------
def _budget_colors(budgets):
    """A ScalarMappable from budgets to viridis colours (log scale), for the points and the colour bar."""
    from matplotlib import cm, colors

    norm = colors.LogNorm(vmin=min(budgets), vmax=max(budgets))
    mappable = cm.ScalarMappable(norm=norm, cmap="viridis")
    return mappable


def isoflop_figure(fit, extend_to=None, size=(15.0, 4.6)):
    """An Approach 2 fit drawn as Hoffmann et al. 2022, Figure 3.

    Left: loss against parameters for every run, coloured by its IsoFLOP group's budget, with each
    group's parabola in log N and its minimum. Middle and right: the minima's N_opt and D_opt against
    FLOPs with the fitted power laws, extended to ``extend_to`` FLOPs (default 100× the largest budget).
    """
    runs = fit.runs
    fig = new_figure(*size)
    ax_l, ax_n, ax_d = fig.subplots(1, 3)
    mappable = _budget_colors(runs.flops)
    ax_l.scatter(runs.params, runs.loss, c=mappable.to_rgba(runs.flops), s=14, alpha=0.75, lw=0)
    for group in fit.groups:
        if not np.all(np.isfinite(group.coefficients)) or group.coefficients[0] <= 0:
            continue
        x = np.linspace(*np.log10(group.params_range), 60)
        color = mappable.to_rgba(group.flops)
        ax_l.plot(10**x, np.polyval(group.coefficients, x), color=color, lw=1.3,
                  ls="-" if group.used else ":")
        if group.used:
            ax_l.plot([group.params_opt], [group.loss_opt], "D", color=color, mec="black", mew=0.6, ms=5)
    ax_l.set_xscale("log")
    ax_l.set_xlabel(PARAMS_LABEL)
    ax_l.set_ylabel(LOSS_LABEL)
    ax_l.set_title("IsoFLOP profiles (◆ minimum; dotted: not used)")
    fig.colorbar(mappable, ax=ax_l, label="IsoFLOP budget (FLOPs)", pad=0.01)
    used = [g for g in fit.groups if g.used]
    budgets = np.array([g.flops for g in used])
    line = np.geomspace(budgets.min() / 2, extend_to or budgets.max() * 100, 100)
    params_line, tokens_line = fit.allocate(line)
    for ax, values, curve, ylabel, text in (
        (ax_n, [g.params_opt for g in used], params_line, PARAMS_LABEL, f"$N_{{opt}} \\propto C^{{{fit.a:.2f}}}$"),
        (ax_d, [g.tokens_opt for g in used], tokens_line, TOKENS_LABEL, f"$D_{{opt}} \\propto C^{{{fit.b:.2f}}}$"),
    ):
        ax.scatter(budgets, values, c=mappable.to_rgba(budgets), marker="D", edgecolors="black",
                   linewidths=0.6, s=28, zorder=3, label="IsoFLOP minima")
        ax.plot(line, curve, color="C3", lw=1.6, label=f"fit: {text}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(COMPUTE_LABEL)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper left", fontsize=9)
    ax_n.set_title("Optimal parameters")
    ax_d.set_title("Optimal tokens")
    return fig


# --- Figure 4 (left): IsoLoss contours of a parametric law ----------------------------------------
def isoloss_figure(law, runs=None, flops_range=None, params_range=None, budget=None, levels: int = 12,
                   size=(8.0, 5.6)):
    """Contours of L(N, D = C/(6N)) in the (FLOPs, parameters) plane, the efficient frontier
    N_opt(C), and the runs as points coloured by their loss (Hoffmann et al. 2022, Figure 4, left).

    Ranges default to the runs' span widened to show the extrapolation; ``budget`` marks one budget
    and its optimum.
    """
    from matplotlib import cm, colors

    if flops_range is None:
        flops_range = ((runs.flops.min() / 3, max(runs.flops.max() * 1e3, budget or 0) * 1.5)
                       if runs is not None else (1e18, 1e26))
    frontier_c = np.geomspace(*flops_range, 200)
    frontier_n = law.allocate(frontier_c)[0]
    if params_range is None:
        low = min(frontier_n.min(), runs.params.min() if runs is not None else np.inf) / 3
        high = max(frontier_n.max(), runs.params.max() if runs is not None else 0) * 3
        params_range = (low, high)
    c_grid, n_grid = np.meshgrid(np.geomspace(*flops_range, 240), np.geomspace(*params_range, 240))
    loss = law.loss(n_grid, tokens_for(c_grid, n_grid))
    low_loss = float(np.min(law.loss(frontier_n, tokens_for(frontier_c, frontier_n))))
    high_loss = float(np.max(runs.loss)) if runs is not None else float(np.percentile(loss, 60))
    # levels evenly spaced in log(L − E): denser towards the frontier's lowest losses
    values = law.E + np.geomspace(low_loss - law.E, max(high_loss, low_loss * 1.2) - law.E, levels)
    norm = colors.Normalize(vmin=values[0], vmax=values[-1])
    fig = new_figure(*size)
    ax = fig.subplots()
    contours = ax.contour(c_grid, n_grid, loss, levels=values, cmap="viridis_r", norm=norm, linewidths=1.1)
    if runs is not None:
        ax.scatter(runs.flops, runs.params, c=runs.loss, cmap="viridis_r", norm=norm, s=16,
                   edgecolors="black", linewidths=0.3, zorder=3, label=f"runs ({len(runs)})")
    ax.plot(frontier_c, frontier_n, color="C3", lw=2.2,
            label=f"efficient frontier: $N_{{opt}} \\propto C^{{{law.a:.2f}}}$")
    if budget is not None:
        ax.axvline(budget, color="0.35", ls="--", lw=1)
        n_opt = float(law.allocate(budget)[0])
        ax.plot([budget], [n_opt], "*", color="C3", mec="black", ms=13, zorder=4,
                label=f"{sci(budget)} FLOPs: N_opt = {human_count(n_opt)}")
    bar = fig.colorbar(cm.ScalarMappable(norm=norm, cmap="viridis_r"), ax=ax, label=LOSS_LABEL, pad=0.01)
    bar.add_lines(contours)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*flops_range)
    ax.set_ylim(*params_range)
    ax.set_xlabel(COMPUTE_LABEL)
    ax.set_ylabel(PARAMS_LABEL)
    ax.set_title(f"IsoLoss contours of L = {law.E:.3g} + {law.A:.4g}/N^{law.alpha:.3g} + {law.B:.4g}/D^{law.beta:.3g}",
                 fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    ax.legend(loc="upper left", fontsize=9, framealpha=0.9)
    return fig


def reconcile_figure(law, flops_range=(1e13, 1e25), points: int = 300):
    """The local exponent d log N*/d log C against budget for a Chinchilla-form law read in
    non-embedding parameters (Pearce & Song 2024), beside Kaplan's 0.73 and the law's own β/(α+β)."""
    from scalingplan.planning.reconcile import KAPLAN_RANGE, fitted_exponent, local_exponent, nonembedding_optimum

    flops = np.logspace(math.log10(flops_range[0]), math.log10(flops_range[1]), points)
    exponent = local_exponent(law, nonembedding_optimum(law, flops))
    fig = new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    ax.plot(flops, exponent, color="C0", lw=2.2, label=f"{law.name}, non-embedding N (local)")
    ax.axhline(0.73, color="C3", ls="--", lw=1.4, label="Kaplan et al. 2020: 0.73")
    chinchilla = law.beta / (law.alpha + law.beta)
    ax.axhline(chinchilla, color="0.3", ls=":", lw=1.4, label=f"{law.name}, total N: {chinchilla:.3f}")
    fitted = fitted_exponent(law)
    ax.hlines(fitted, *KAPLAN_RANGE, color="C1", lw=3, alpha=0.8,
              label=f"fit over Kaplan's budgets: {fitted:.3f}")
    ax.set_xscale("log")
    ax.set_xlim(*flops_range)
    ax.set_xlabel("Training compute, non-embedding (FLOPs)")
    ax.set_ylabel("Exponent a of N* ∝ C^a")
    ax.set_title("Why Kaplan's exponent is 0.73: counting non-embedding parameters", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    return fig
