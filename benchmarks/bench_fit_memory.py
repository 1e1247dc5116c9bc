"""Memory of reading and fitting 10^5 and 10^6 runs: it grows linearly with the rows.

Each size runs in a fresh process, which writes a synthetic runs CSV (Chinchilla's Approach 3 law,
L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28, Hoffmann et al. 2022 eq. 10, with 1% noise, at 10 budgets),
then measures with tracemalloc the peak allocation of each step: reading the CSV, the Approach 2 fit,
and the Approach 3 objective and L-BFGS from a few starts (the full 4,500-start grid costs the same
memory, batch after batch, since batches hold at most WORK_ELEMENTS doubles; only time grows with
the starts). The process's peak resident size (ru_maxrss) is printed too.

    python benchmarks/bench_fit_memory.py               # 10^5 and 10^6 runs (about a minute)
    python benchmarks/bench_fit_memory.py --rows 20000  # any sizes

Measured on the development machine (2 cores, Python 3.11; peak MB allocated per step, and the
whole process's peak resident size):

          rows   CSV MB   read MB   approach2 MB   approach3 MB   max RSS MB
       100,000      3.6         8              7             16           62
     1,000,000     35.7        82             63            114          210

Ten times the rows, ten times the memory: about 80 bytes per run to read, 65 for Approach 2 and
115 for Approach 3 (WORK_ELEMENTS bounds the starts × runs arrays at 16 MB each).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc

STARTS = 3


def synthesize(path: str, rows: int, seed: int = 0) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    budgets = np.geomspace(1e18, 1e21, 10)
    flops = np.repeat(budgets, rows // len(budgets))
    params = np.tile(np.geomspace(3e7, 3e9, rows // len(budgets)), len(budgets))
    tokens = flops / (6 * params)
    loss = (1.69 + 406.4 / params**0.34 + 410.7 / tokens**0.28) * np.exp(rng.normal(0, 0.01, params.size))
    with open(path, "w") as handle:
        handle.write("params,tokens,loss\n")
        for start in range(0, params.size, 100_000):
            block = np.column_stack([params, tokens, loss])[start:start + 100_000]
            np.savetxt(handle, block, delimiter=",", fmt="%.10g")


def peak_mb(step) -> tuple:
    """(result, peak MB allocated during ``step``, seconds)."""
    tracemalloc.start()
    began = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, peak, seconds


def measure(rows: int) -> dict:
    import resource

    from scalingplan.fitting.approach2 import fit_approach2
    from scalingplan.fitting.approach3 import fit_approach3, from_constants
    from scalingplan.fitting.runs import read_runs

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "runs.csv")
        synthesize(path, rows)
        size = os.path.getsize(path) / 2**20
        runs, read, read_s = peak_mb(lambda: read_runs(path))
    _, a2, a2_s = peak_mb(lambda: fit_approach2(runs))
    truth = from_constants(1.69, 406.4, 410.7, 0.34, 0.28)
    starts = truth + [[0, 0, 0, 0, 0], [1, -1, 0.1, 0.05, -0.05], [-1, 1, -0.1, -0.05, 0.05]][:STARTS]
    fit, a3, a3_s = peak_mb(lambda: fit_approach3(runs, starts=starts))
    return {"rows": len(runs), "csv_mb": size, "read_mb": read, "read_s": read_s, "approach2_mb": a2,
            "approach2_s": a2_s, "approach3_mb": a3, "approach3_s": a3_s,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "E": fit.constants["E"], "alpha": fit.constants["alpha"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(f"{'rows':>10} {'CSV MB':>8} {'read MB':>8} {'a2 MB':>7} {'a3 MB':>7} {'RSS MB':>7} "
          f"{'read s':>7} {'a2 s':>6} {'a3 s':>6}   fitted E, alpha")
    for rows in args.rows:
        out = subprocess.run([sys.executable, __file__, "--one", str(rows)], capture_output=True, text=True,
                             check=True).stdout
        r = json.loads(out)
        print(f"{r['rows']:>10,} {r['csv_mb']:>8.1f} {r['read_mb']:>8.0f} {r['approach2_mb']:>7.0f} "
              f"{r['approach3_mb']:>7.0f} {r['max_rss_mb']:>7.0f} {r['read_s']:>7.1f} {r['approach2_s']:>6.1f} "
              f"{r['approach3_s']:>6.1f}   {r['E']:.3f}, {r['alpha']:.3f}")


if __name__ == "__main__":
    main()
