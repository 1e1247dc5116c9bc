"""Time the full-grid Approach 3 fit: batched numpy L-BFGS against a plain loop of scipy's L-BFGS-B.

The loop is what a direct transcription of the procedure does (Besiroglu et al. 2024's notebook):
scipy.optimize.minimize(method="L-BFGS-B") with numerical gradients from each of the 4,500 starts,
keeping the best. Both run on the same data (Chinchilla Figure 4 runs, 5 highest losses dropped).

    python benchmarks/bench_fit.py            # full loop (about 1.5 minutes)
    python benchmarks/bench_fit.py --quick    # loop over every 10th start, time extrapolated
"""

import argparse
import time
from pathlib import Path

import numpy as np

from scalingplan.fitting import approach3 as a3
from scalingplan.fitting.runs import exclude, read_runs

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "chinchilla_fig4_extracted.csv"


def scipy_loop(runs, starts):
    """Best of scipy L-BFGS-B (numerical gradients, default tolerances) over ``starts``."""
    from scipy.optimize import minimize

    log_n, log_d, log_l = np.log(runs.params), np.log(runs.tokens), np.log(runs.loss)

    def objective(theta):
        a, b, e, alpha, beta = theta
        r = np.log(np.exp(a - alpha * log_n) + np.exp(b - beta * log_d) + np.exp(e)) - log_l
        return np.sum(np.where(np.abs(r) <= 1e-3, 0.5 * r**2, 1e-3 * (np.abs(r) - 0.5e-3)))

    best = None
    with np.errstate(over="ignore", invalid="ignore"):
        for start in starts:
            result = minimize(objective, start, method="L-BFGS-B")
            if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
                best = result
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--quick", action="store_true", help="run the scipy loop on every 10th start only")
    parser.add_argument("--repeat", type=int, default=3, help="timings of the batched fit (best kept)")
    args = parser.parse_args()

    runs = exclude(read_runs(args.data, params_col="Model Size", flops_col="Training FLOP"), drop_highest_loss=5)
    grid = a3.initial_grid()
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        fit = a3.fit_approach3(runs)
        times.append(time.perf_counter() - start)
    fast = min(times)
    print(f"data: {len(runs)} runs; starts: {len(grid)}")
    print(f"batched numpy L-BFGS : {fast:7.2f} s (best of {args.repeat}: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"  best objective {fit.objective:.10g}  " + "  ".join(f"{k}={v:.5g}" for k, v in fit.constants.items()))

    starts = grid[::10] if args.quick else grid
    start = time.perf_counter()
    best = scipy_loop(runs, starts)
    slow = time.perf_counter() - start
    if args.quick:
        slow *= len(grid) / len(starts)
    label = "(extrapolated from every 10th start)" if args.quick else "(all starts)"
    print(f"scipy L-BFGS-B loop  : {slow:7.2f} s {label}")
    print(f"  best objective {best.fun:.10g}  "
          + "  ".join(f"{k}={v:.5g}" for k, v in a3.to_constants(best.x).items()))
    print(f"speed-up: {slow / fast:.0f}x; objective difference (loop - batched): {best.fun - fit.objective:.3g}")


if __name__ == "__main__":
    main()
