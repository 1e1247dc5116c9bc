"""Time the shape search (scalingplan.compute.shapes.propose) across parameter targets, and the cold
start of `scalingplan shape --json` and of `scalingplan flops --json` with a modern shape.

Usage: python benchmarks/bench_shapes.py [--runs 5]
"""

import argparse
import statistics
import subprocess
import sys
import time

from scalingplan.compute.shapes import propose

FLOPS = ["flops", "--tokens", "15e12", "--layers", "80", "--d-model", "8192", "--heads", "64", "--kv-heads", "8",
         "--ffw-size", "28672", "--mlp", "swiglu", "--embeddings", "untied", "--vocab", "128256", "--seq-len", "8192",
         "--json"]


def median_seconds(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    for target in (1e8, 1e9, 7e9, 7e10, 4e11, 1e12):
        seconds = median_seconds(lambda: propose(target, kv_heads=8, top=5), runs)
        print(f"propose({target:.0e}, kv_heads=8): {1000 * seconds:7.1f} ms")
    for args in (["shape", "--params", "7e9", "--json"], FLOPS):
        command = [sys.executable, "-m", "scalingplan", *args]
        seconds = median_seconds(lambda: subprocess.run(command, capture_output=True, check=True), runs)
        print(f"scalingplan {args[0]} --json (cold start): {1000 * seconds:7.1f} ms")


if __name__ == "__main__":
    main()
