"""Does scipy earn a place at run time? Polish the batched fit's optimum with scipy's L-BFGS-B.

The batched numpy L-BFGS in scalingplan.fitting already refines its best starts with tight
tolerances. This measures what a final scipy.optimize polish (analytic gradients, from that optimum)
would add on the Chinchilla Figure 4 runs: the change in the Huber objective and in the constants,
and its cost. scipy is a test and benchmark dependency only; this script needs it installed.

    python benchmarks/bench_scipy_polish.py
"""

import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from scalingplan.fitting import approach3 as a3
from scalingplan.fitting.runs import exclude, read_runs

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "chinchilla_fig4_extracted.csv"


def main() -> None:
    runs = exclude(read_runs(DATA, "Model Size", None, "Training FLOP", "loss"), 5, None, None, None)
    start = time.perf_counter()
    fit = a3.fit_approach3(runs)
    batched = time.perf_counter() - start
    log_n, log_d, log_l = np.log(runs.params), np.log(runs.tokens), np.log(runs.loss)

    def objective(theta):
        value, grad = a3.huber_objective(theta[None, :], log_n, log_d, log_l)
        return value[0], grad[0]

    start = time.perf_counter()
    polished = minimize(objective, fit.theta, jac=True, method="L-BFGS-B",
                        options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})
    polish = time.perf_counter() - start
    before, after = a3.to_constants(fit.theta), a3.to_constants(polished.x)
    print(f"batched numpy fit         : {batched:6.2f} s, objective {fit.objective:.12g}")
    print(f"scipy L-BFGS-B polish     : {polish:6.3f} s, objective {polished.fun:.12g} "
          f"(change {polished.fun - fit.objective:+.2e})")
    for key in before:
        print(f"  {key:5s} {before[key]:.8g} -> {after[key]:.8g} ({after[key] / before[key] - 1:+.1e} relative)")


if __name__ == "__main__":
    main()
