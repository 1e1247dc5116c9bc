"""Time the training recipe for 10^6 budgets through the Python API: the compute-optimal allocation
(chinchilla-3), batch size, learning rate and steps (DeepSeek LLM eq. 1 and Step Law), and days,
cost and energy on 1024 H100s.

Usage: python benchmarks/bench_recipe.py [--budgets 1000000] [--repeats 5]
"""

import argparse
import time

import numpy as np

import scalingplan
from scalingplan.planning import recipe


def sweep(flops, law, cluster, rule):
    (plan,) = scalingplan.allocate(flops, [law])
    hparams = recipe.hyperparameters(plan.params, plan.tokens, rule)
    run = recipe.on_cluster(plan.flops, cluster)
    return plan, hparams, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    flops = np.logspace(19, 27, args.budgets)
    law = scalingplan.load_law("chinchilla-3")
    cluster = recipe.make_cluster("h100", 1024, mfu=0.4, price_per_hour=2.0)
    for rule in recipe.RULES:
        best = float("inf")
        for _ in range(args.repeats):
            start = time.perf_counter()
            plan, hparams, run = sweep(flops, law, cluster, rule)
            best = min(best, time.perf_counter() - start)
        assert np.all(hparams["steps"] * hparams["batch_tokens"] >= plan.tokens)
        assert np.allclose(run["days"] * 1024 * 24 * 3600 * 989.4e12 * 0.4, flops)
        print(f"{args.budgets:,} budgets, allocation + {rule} batch/lr/steps + days/cost/energy: "
              f"{best * 1000:.1f} ms best of {args.repeats}")


if __name__ == "__main__":
    main()
