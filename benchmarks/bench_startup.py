"""Cold-start time of `scalingplan` commands (a JSON allocation, a table, --help) beside `import typer`.

Usage: python benchmarks/bench_startup.py [--runs 15]
Prints the median wall time of each command over fresh interpreter runs and their ratio.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c 'import typer' (floor)": [sys.executable, "-c", "import typer"],
    "scalingplan allocate --flops 5.8e23 --json": [
        sys.executable, "-m", "scalingplan", "allocate", "--flops", "5.8e23", "--json"],
    "scalingplan allocate --flops 5.8e23 (table)": [
        sys.executable, "-m", "scalingplan", "allocate", "--flops", "5.8e23"],
    "scalingplan --help": [sys.executable, "-m", "scalingplan", "--help"],
    "scalingplan allocate --help": [sys.executable, "-m", "scalingplan", "allocate", "--help"],
}


# Byte-code is written and reused as on a user's machine (some CI images set PYTHONDONTWRITEBYTECODE,
# which makes every start compile the package's sources).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(command: list, runs: int) -> float:
    subprocess.run(command, check=True, capture_output=True, env=ENV)  # warm the file and byte-code caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=ENV)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    results = {label: median_seconds(cmd, args.runs) for label, cmd in COMMANDS.items()}
    floor = next(iter(results.values()))
    for label, seconds in results.items():
        print(f"{seconds * 1000:8.1f} ms  {seconds / floor:5.2f}× floor  {label}")


if __name__ == "__main__":
    main()
