"""Time one step-time prediction and the full layout search on 16,384 GPUs, and print the validation
table of docs/throughput.md (predicted against published step times).

    python benchmarks/bench_throughput.py
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_throughput import DATA, architecture, layout, measured_step  # noqa: E402

from scalingplan.compute import throughput as T  # noqa: E402
from scalingplan.compute.counting import make_architecture  # noqa: E402
from scalingplan.compute.hardware import wires_for  # noqa: E402


def timed(fn, repeat):
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def main():
    arch = make_architecture(**DATA["shapes"]["llama3-405b"])
    wires = wires_for("h100")
    one = timed(lambda: T.step_time(arch, wires, T.Layout(tp=8, pp=16, dp=128, interleave=4), 2048), 1000)
    found = []
    full = timed(lambda: found.append(T.search(arch, wires, 16384, 2048)), 5)
    print(f"one prediction: {one * 1e3:.3f} ms; search of 16,384 H100s: {full:.3f} s "
          f"(best {found[-1][0]['layout']})")
    print("\n| Run | Source | GPU | Measured s/step | Predicted | Error |\n|---|---|---|---|---|---|")
    errors = {}
    for case in DATA["cases"]:
        a, lay = architecture(case), layout(case)
        predicted = T.step_time(a, wires_for(case["gpu"], case.get("precision")), lay, case["global_batch"],
                                case["attention"], case.get("grad_bytes", 2),
                                case.get("overlap_grad_reduce", True))["step_seconds"]
        measured = measured_step(case, a, lay)
        error = predicted / measured - 1
        errors[case["name"]] = abs(error)
        print(f"| {case['name']} | {case['source']} | {case['gpu']} | {measured:.3g} | {predicted:.3g} | "
              f"{error:+.1%} |")
    pinned = [errors[c["name"]] for c in DATA["cases"] if "outside_15" not in c]
    print(f"\nmean |error| {statistics.mean(errors.values()):.1%} over all {len(errors)} runs; "
          f"{statistics.mean(pinned):.1%} (max {max(pinned):.1%}) over the {len(pinned)} within 15%")


if __name__ == "__main__":
    main()
