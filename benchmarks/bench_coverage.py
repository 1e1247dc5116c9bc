"""Coverage of `fit --bootstrap` intervals on N_opt at a budget 100x beyond the runs, by simulation.

Truth: Besiroglu et al. 2024 eq. 3 constants (rounded: E 1.82, A 482, B 2085, α 0.348, β 0.366).
Design: `scalingplan sweep`'s IsoFLOP layout centred on the truth's optimum, 1e18..1e20 FLOPs.
Each replicate draws losses with multiplicative noise exp(σ·ε), fits, bootstraps and records whether
the nominal 80% and 95% percentile intervals on N_opt(1e22) hold the true N_opt.

    python benchmarks/bench_coverage.py --method approach2 --noise 0.002 0.005 0.01
    python benchmarks/bench_coverage.py --method approach3 --noise 0.005 --replicates 60 --resamples 100 --jobs 2
"""

import argparse
import math
import resource
import time

from scalingplan.fitting.coverage import simulate_coverage
from scalingplan.fitting.design import isoflop_design
from scalingplan.laws.parametric import ParametricLaw

TRUTH = dict(E=1.82, A=482.0, B=2085.0, alpha=0.348, beta=0.366)


def _cpu() -> float:
    """CPU seconds of this process and its finished children (wall time misleads on a shared machine)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("approach3", "approach2"), default="approach2")
    parser.add_argument("--noise", type=float, nargs="+", default=[0.005])
    parser.add_argument("--budgets", type=int, default=5)
    parser.add_argument("--per-budget", type=int, default=9)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--target", type=float, default=1e22)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    truth = ParametricLaw("truth", TRUTH)
    design = isoflop_design(truth, 1e18, 1e20, args.budgets, args.per_budget, 1.0)
    print(f"{args.method}, {args.budgets} budgets × {args.per_budget} sizes, N_opt at {args.target:g}, "
          f"{args.replicates} replicates × {args.resamples} resamples, seed {args.seed}")
    print("| noise σ | nominal | observed (± s.e.) | median 95% half-width | median error | failed | CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for noise in args.noise:
        start, cpu = time.perf_counter(), _cpu()
        result = simulate_coverage(truth, design, noise, args.method, args.replicates, args.resamples,
                                   args.target, seed=args.seed, jobs=args.jobs)
        wall, elapsed = time.perf_counter() - start, _cpu() - cpu
        used = result.replicates - result.failed
        for level in result.levels:
            rate = result.rate(level)
            se = math.sqrt(rate * (1 - rate) / used) if used else float("nan")
            print(f"| {noise:g} | {level:.0%} | {rate:.3f} (± {se:.3f}) | ±{result.median_half_width[0.95]:.1%} "
                  f"| {result.median_abs_error:.1%} | {result.failed} | {elapsed:.0f} s |")
        print(f"(σ = {noise:g}: {elapsed:.1f} s CPU in all processes, {wall:.1f} s wall)")


if __name__ == "__main__":
    main()
