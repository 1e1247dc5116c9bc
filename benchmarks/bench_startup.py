"""Cold-start time of `scalingplan` commands (a JSON allocation, a table, --help, the check of the
example plans) beside `import typer`.

Usage: python benchmarks/bench_startup.py [--runs 15]
Prints the fastest and the median wall time of each command over fresh interpreter runs (the commands
taken in turn), the ratio of the fastest to the floor's fastest, and the same for CPU time (user + system): on a
machine that other work shares, the fastest run and the CPU time are the stable estimates of a
command's own cost (the median moves with the load).
"""

import argparse
import glob
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -c 'import typer' (floor)": [sys.executable, "-c", "import typer"],
    "scalingplan allocate --flops 5.8e23 --json": [
        sys.executable, "-m", "scalingplan", "allocate", "--flops", "5.8e23", "--json"],
    "scalingplan allocate --flops 5.8e23 (table)": [
        sys.executable, "-m", "scalingplan", "allocate", "--flops", "5.8e23"],
    "scalingplan --help": [sys.executable, "-m", "scalingplan", "--help"],
    "scalingplan allocate --help": [sys.executable, "-m", "scalingplan", "allocate", "--help"],
    "scalingplan check configs/plans/*.yaml": [sys.executable, "-m", "scalingplan", "check", *sorted(glob.glob(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "configs", "plans", "*.yaml")))],
}


# Byte-code is written and reused as on a user's machine (some CI images set PYTHONDONTWRITEBYTECODE,
# which makes every start compile the package's sources), and so is the parsed-file cache: a private
# one, so that other checkouts sharing the home directory cannot invalidate it between runs.
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
ENV["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="scalingplan-bench-cache-")


def run_seconds(command: list) -> tuple:
    """(wall, CPU) seconds of one fresh run; CPU is the child's user + system time, which waiting for a
    busy machine's cores does not inflate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env=ENV)
    if done.returncode not in (0, 1):  # 1: a plan failed a check, as `check` reports by design
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr.decode()}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the file, byte-code and parse caches
        run_seconds(command)
    # Round robin: every command sees the same share of whatever else the machine is doing.
    results = {label: [] for label in COMMANDS}
    for _ in range(args.runs):
        for label, command in COMMANDS.items():
            results[label].append(run_seconds(command))
    floor_wall, floor_cpu = (min(t[i] for t in next(iter(results.values()))) for i in (0, 1))
    print("  fastest   median  ×floor |     CPU  ×floor  command")
    for label, times in results.items():
        wall, cpu = min(t[0] for t in times), min(t[1] for t in times)
        print(f"{wall * 1000:7.1f}ms {statistics.median(t[0] for t in times) * 1000:7.1f}ms {wall / floor_wall:6.2f}× | "
              f"{cpu * 1000:6.1f}ms {cpu / floor_cpu:6.2f}×  {label}")


if __name__ == "__main__":
    main()
