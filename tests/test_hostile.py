"""Hostile input and hostile conditions, one test per cause: bad input ends in exit 2 with one line on
stderr, in bounded time and memory (measured here, in the test process, with generous bounds and a
watchdog that turns a hang into a failure); hostile conditions (a closed pipe, an ASCII terminal, a
tiny COLUMNS, a poisoned cache) end cleanly; degenerate fits refuse or warn."""

import json
import re
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

SECONDS, MEGABYTES = 20, 200


@contextmanager
def bounded(seconds=SECONDS, megabytes=MEGABYTES):
    """Fail if the block takes longer than ``seconds`` (a SIGALRM watchdog ends a hang) or allocates
    more than ``megabytes`` at its peak (tracemalloc sees Python and numpy allocations)."""
    def timeout(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
        assert peak < megabytes * 2**20, f"peak memory {peak / 2**20:.0f} MB"
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def refused(run, *args, fragments=()):
    """Run the real entry point in this process within the bounds; exit 2 and one stderr line."""
    with bounded():
        result = run(*args)
    assert result.exception is None, repr(result.exception)
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


LAW = "name: mine\nform: power-law\nquantity: params\nconstants: {G: 0.1, a: 0.5}\n"
PLAN = ("budget: {flops: 6e23}\nmodel: {params: 70e9, tokens: 1.4e12}\nlaw: chinchilla-1\n"
        "limits: {max_budget_use: 1.05}\n")


def law_file(tmp_path, text, name="law.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- 1. bounded reading of every file -------------------------------------------------------------
@pytest.mark.parametrize("command", [("laws", "show"), ("check",), ("fit",)])
def test_a_fifo_is_refused_at_once_not_waited_on(main_cli, tmp_path, command):
    fifo = tmp_path / ("runs.csv" if command == ("fit",) else "law.yaml")
    os.mkfifo(fifo)
    refused(main_cli, *command, fifo, fragments=("not a regular file",))


@pytest.mark.parametrize("command", [("laws", "show"), ("check",), ("fit",)])
def test_dev_zero_and_a_directory_are_refused(main_cli, tmp_path, command):
    refused(main_cli, *command, "/dev/zero", fragments=("not a regular file",))
    refused(main_cli, *command, tmp_path, fragments=("a directory",))


@pytest.mark.parametrize("command, options", [(("fit",), ("--method", "approach2")), (("plot", "isoflop"), ())])
def test_an_output_that_is_a_fifo_or_a_device_is_refused_not_waited_on(main_cli, tmp_path, command, options):
    runs = write_runs(tmp_path, synthetic_runs())
    fifo = tmp_path / "out.png"
    os.mkfifo(fifo)
    refused(main_cli, *command, runs, *options, "-o", fifo, fragments=("not a regular file",))
    folder = tmp_path / "folder.png"
    folder.mkdir()
    refused(main_cli, *command, runs, *options, "-o", folder, fragments=("a directory",))


def test_a_file_past_the_size_limit_is_refused_unread(main_cli, tmp_path):
    from scalingplan.catalogues.yamlfile import MAX_YAML_BYTES

    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(MAX_YAML_BYTES + 1)  # sparse: costs no disk
    refused(main_cli, "laws", "show", path, fragments=("too large", f"{MAX_YAML_BYTES:,}"))


def test_aliases_are_refused_not_expanded(main_cli, tmp_path):
    """A 9-level billion-laughs file: its aliases expand to 9^9 items if followed."""
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    lines += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    path = law_file(tmp_path, "\n".join(lines) + "\n" + LAW)
    refused(main_cli, "laws", "show", path, fragments=("anchors and aliases",))


@pytest.mark.parametrize("depth", [40, 1_000, 30_000])
def test_deep_nesting_is_refused(main_cli, tmp_path, depth):
    path = law_file(tmp_path, LAW + "notes: " + "[" * depth + "]" * depth + "\n")
    refused(main_cli, "laws", "show", path, fragments=("law.yaml",))


def test_integers_past_the_digit_limit_are_refused(main_cli, tmp_path):
    path = law_file(tmp_path, LAW.replace("0.1", "9" * 5000))
    refused(main_cli, "laws", "show", path, fragments=("digits",))


def test_duplicate_keys_name_both_lines(main_cli, tmp_path):
    path = law_file(tmp_path, PLAN + "limits: {max_budget_use: 100}\n", "plan.yaml")
    refused(main_cli, "check", path, fragments=("plan.yaml:5", "duplicate key 'limits'", "line 4"))


@pytest.mark.parametrize("value", ["6:46", "017", "-017", "1:30.5"])
def test_yaml11_sexagesimal_and_leading_zero_numbers_are_refused(main_cli, tmp_path, value):
    path = law_file(tmp_path, LAW.replace("0.1", value))
    refused(main_cli, "laws", "show", path, fragments=(f"'{value}' is ambiguous",))


def test_quoted_leading_zero_reads_as_written(cli, tmp_path):
    result = cli("laws", "show", law_file(tmp_path, LAW.replace("0.1", '"017"')), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["constants"][0]["value"] == 17


# --- 2. numbers that cannot overflow into nonsense -------------------------------------------------
@pytest.mark.parametrize("args, what", [
    (("allocate", "--pf-days", "1e300"), "--pf-days"), (("flops", "--params", "1e200", "--tokens", "1e200"), "--params"),
    (("convert", "1e308", "--from", "pf-days"), "1e308"), (("allocate", "--flops", "5e-324"), "--flops"),
    (("allocate", "--params", "1e300"), "--params"), (("assess", "--params", "1e-320", "--tokens", "1e9"), "--params"),
])
def test_subnormal_and_overflowing_inputs_name_the_allowed_range(main_cli, args, what):
    refused(main_cli, *args, fragments=(what, "1e-100 to 1e100"))


def test_a_result_that_underflows_is_refused_not_printed(main_cli):
    """A loss of 1e100 needs a budget that underflows to 0 FLOPs under the main laws."""
    refused(main_cli, "allocate", "--loss", "1e100", "--json")


def test_non_finite_numbers_are_never_printed_as_results():
    from scalingplan.errors import InputError
    from scalingplan.output.render import Column, Table, render, sci

    assert sci(float("inf")) == "inf"
    with pytest.raises(InputError, match="allocations"):
        render("json", {"allocations": [{"flops": float("inf")}]}, [Table([Column("F", "flops", "flops")], [])])


@pytest.mark.parametrize("text", ["１２３e21", "１.２３ｅ２３", "٣e21"])
def test_digits_of_any_script_read_as_their_value_everywhere(cli, tmp_path, text):
    expected = float("".join(str(int(c)) if c.isdigit() else c for c in text.replace("ｅ", "e")))
    flag = cli("allocate", "--flops", text, "--law", "chinchilla-1", "--json")
    plan = law_file(tmp_path, PLAN.replace("6e23", text), "plan.yaml")
    in_yaml = cli("check", plan, "--json")
    assert json.loads(flag.stdout)["query"]["flops"] == expected
    assert json.loads(in_yaml.stdout)["plans"][0]["plan"]["budget"]["flops"] == expected


@pytest.mark.parametrize("text", ["10²³", "1.5−3", "7½"])
def test_lookalike_characters_are_refused_everywhere(main_cli, tmp_path, text):
    refused(main_cli, "allocate", "--flops", text, fragments=("U+",))
    refused(main_cli, "check", law_file(tmp_path, PLAN.replace("6e23", text), "plan.yaml"), fragments=("U+",))


@pytest.mark.parametrize("args, fragment", [
    (("compare", "kaplan2020", "--points", "100000000"), "1 to 1,000"),
    (("fit", "RUNS", "--bootstrap", "100000000"), "0 to 10,000"),
    (("fit", "RUNS", "--jobs", "-3"), "--jobs"),
    (("fit", "RUNS", "--seed", "-1"), "--seed"),
    (("fit", "RUNS", "--method", "approach2", "--group-tol", "nan"), "--group-tol"),
    (("plot", "frontier", "-o", "f.png", "--dpi", "100000"), "10 to 600"),
    (("allocate", "--gpu", "h100", "--count", "1e21", "--days", "30"), "at most 10,000,000"),
])
def test_sizes_have_stated_limits(main_cli, tmp_path, args, fragment):
    runs = str(write_runs(tmp_path, synthetic_runs()))
    refused(main_cli, *(runs if a == "RUNS" else a for a in args), fragments=(fragment,))


def test_jobs_are_capped_at_the_cpu_count():
    from scalingplan.fitting import bootstrap as boot

    runs = synthetic_runs()
    fit = _approach2(runs)
    result = boot.bootstrap(fit, 4, jobs=10_000)  # would start 10,000 processes uncapped
    assert result.n_resamples == 4 and boot.max_jobs() <= (os.cpu_count() or 1)


# --- 3. a cache no one else can poison and that never goes stale ------------------------------------
@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "cache"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("SCALINGPLAN_NO_CACHE", raising=False)
    return home / "scalingplan"


def _read(paths):
    from scalingplan.catalogues.yamlfile import read_yaml_cached

    return [doc.data for doc in read_yaml_cached(paths, "probe", "law file")]


def test_the_cache_is_keyed_on_content_not_size_and_mtime(tmp_path, cache_home):
    path = tmp_path / "a.yaml"
    path.write_text("value: 111\n")
    assert _read([path]) == [{"value": 111}]
    stamp = path.stat()
    path.write_text("value: 999\n")  # same size
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same mtime
    assert _read([path]) == [{"value": 999}]
    assert (cache_home / "probe.json").stat().st_mode & 0o077 == 0


def test_a_cache_directory_others_can_write_is_not_used(tmp_path, cache_home):
    cache_home.mkdir(mode=0o700)
    cache_home.chmod(0o777)
    path = tmp_path / "a.yaml"
    path.write_text("value: 1\n")
    assert _read([path]) == [{"value": 1}]
    assert not (cache_home / "probe.json").exists()


def test_a_symlink_in_the_cache_is_neither_read_nor_written_through(tmp_path, cache_home):
    path = tmp_path / "a.yaml"
    path.write_text("value: 1\n")
    _read([path])
    forged = tmp_path / "forged.json"
    forged.write_text((cache_home / "probe.json").read_text().replace("1", "7"))
    (cache_home / "probe.json").unlink()
    (cache_home / "probe.json").symlink_to(forged)
    before = forged.read_text()
    assert _read([path]) == [{"value": 1}]
    assert forged.read_text() == before and not (cache_home / "probe.json").is_symlink()


@pytest.mark.parametrize("damage", ["empty docs", "wrong data", "not json", "wrong shape"])
def test_a_well_formed_but_wrong_cache_falls_back_to_the_files(tmp_path, cache_home, damage):
    path = tmp_path / "a.yaml"
    path.write_text("value: 1\n")
    _read([path])
    cache = cache_home / "probe.json"
    stored = json.loads(cache.read_text())
    if damage == "empty docs":
        stored["docs"] = []
    elif damage == "wrong data":
        stored["docs"][0]["data"] = {"value": 2}
    elif damage == "wrong shape":
        stored["docs"][0]["lines"] = "x"
    cache.write_text("{" if damage == "not json" else json.dumps(stored))
    assert _read([path]) == [{"value": 1}]


def test_the_registry_through_a_damaged_cache_still_lists_every_law(main_cli, cache_home):
    from scalingplan.catalogues import registry

    def laws():
        registry._registry.cache_clear()
        registry._aliases.cache_clear()
        return main_cli("laws", "--json")

    try:
        laws()
        cache = cache_home / "registry.json"
        stored = json.loads(cache.read_text())
        stored["docs"] = [{"path": d["path"], "data": {}, "lines": []} for d in stored["docs"]]
        cache.write_text(json.dumps(stored))
        result = laws()
    finally:
        registry._registry.cache_clear()
        registry._aliases.cache_clear()
    assert result.exit_code == 0 and len(json.loads(result.stdout)["laws"]) >= 9


# --- 5. output that fails cleanly --------------------------------------------------------------------
def _command(*args, **env):
    return subprocess.run([sys.executable, "-m", "scalingplan", *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_a_closed_pipe_exits_quietly_and_keeps_the_exit_code(tmp_path):
    """`scalingplan check failing.yaml | head -1`: still exit 1 (a check failed), nothing on stderr."""
    gopher = Path(__file__).resolve().parent.parent / "configs" / "plans" / "gopher.yaml"
    for args, code in ((("laws", "show", "kaplan2020"), 0), (("check", str(gopher)), 1)):
        process = subprocess.Popen([sys.executable, "-m", "scalingplan", *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        process.stdout.close()
        err = process.stderr.read()
        assert process.wait(timeout=60) == code and err == b""


def test_a_full_disk_on_stdout_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "scalingplan", "laws", "show", "kaplan2020"],
                                stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["scalingplan: error: cannot write the output: No space left on device"]


def test_an_ascii_terminal_gets_ascii_fallbacks():
    result = _command("laws", "show", "chinchilla-3", PYTHONIOENCODING="ascii")
    assert result.returncode == 0 and result.stderr == ""
    assert "alpha" in result.stdout and "*" in result.stdout and result.stdout.isascii()


@pytest.mark.parametrize("columns", ["1", "0", "-5", "abc", "", "99999999999999999999"])
def test_any_columns_value_gives_a_readable_table(main_cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    result = main_cli("allocate", "--flops", "1e21", "--law", "chinchilla-3")
    assert result.exit_code == 0 and "chinchilla-3" in result.stdout and "1.00e21" in result.stdout


# --- 6. degenerate fits say so --------------------------------------------------------------------------
def synthetic_runs(budgets=(1e18, 1e19, 1e20, 1e21), sizes=10, loss=None):
    from scalingplan.fitting.runs import make_runs

    flops = np.repeat(budgets, sizes)
    params = np.tile(np.geomspace(5e7, 5e9, sizes), len(budgets))
    tokens = flops / (6 * params)
    values = 1.69 + 406.4 / params**0.34 + 410.7 / tokens**0.28 if loss is None else loss(params, tokens)
    return make_runs(params, values, tokens=tokens)


def _approach2(runs):
    from scalingplan.fitting.approach2 import fit_approach2

    return fit_approach2(runs)


def write_runs(tmp_path, runs):
    path = tmp_path / "runs.csv"
    rows = "".join(f"{n:.17g},{d:.17g},{l:.17g}\n" for n, d, l in zip(runs.params, runs.tokens, runs.loss))
    path.write_text("params,tokens,loss\n" + rows)
    return path


@pytest.mark.parametrize("case, fragment", [
    ("one budget", "about the same compute"),
    ("too few", "need at least 6"),
    ("constant loss", "same loss"),
    ("same tokens", "same number of tokens"),
    ("absurd row", "a data error"),
])
def test_degenerate_runs_are_refused_with_a_reason(main_cli, tmp_path, case, fragment):
    runs = synthetic_runs(budgets=(1e20,) if case == "one budget" else (1e18, 1e19, 1e20, 1e21))
    if case == "too few":
        runs = runs.subset(np.array([0, 11, 22, 33, 9]))
    elif case == "constant loss":
        runs.loss[:] = 3.0
    elif case == "same tokens":
        runs = synthetic_runs(loss=lambda n, d: 1.69 + 406.4 / n**0.34)
        runs.tokens[:] = 1e10
    elif case == "absurd row":
        runs.loss[3] = 1e6
    refused(main_cli, "fit", write_runs(tmp_path, runs), fragments=(fragment,))


def test_an_undetermined_constant_is_a_warning_not_a_silent_number():
    """Losses with no floor (E = 0): the fit drives E towards 0 and says E is not determined."""
    from scalingplan.fitting.approach3 import fit_approach3, initial_grid

    starts = initial_grid()[::50]
    fit = fit_approach3(synthetic_runs(loss=lambda n, d: 40 / n**0.2 + 40 / d**0.2), starts=starts)
    assert fit.constants["E"] < 0.01
    assert any(w.startswith("E not determined") for w in fit.warnings)
    assert fit_approach3(synthetic_runs(), starts=starts).warnings == []


def test_numpy_warnings_never_reach_stderr(main_cli, tmp_path):
    """Approach 2 on groups with too few sizes hits polyfit's RankWarning and divisions by zero."""
    runs = synthetic_runs(sizes=3)
    runs.loss[:3] = [3.0, 3.0, 3.0]
    result = main_cli("fit", write_runs(tmp_path, runs), "--method", "approach2", "--json")
    assert "Warning" not in result.stderr and len(result.stderr.strip().splitlines()) <= 1


def test_fit_memory_grows_with_rows_not_rows_times_starts(monkeypatch):
    """Starts go through the objective in batches of at most WORK_ELEMENTS / runs, so the working
    arrays stay at WORK_ELEMENTS doubles however many runs there are (benchmarks/bench_fit_memory.py
    measures 10^5 and 10^6 runs)."""
    from scalingplan.fitting import approach3

    budget = 8_000
    monkeypatch.setattr(approach3, "WORK_ELEMENTS", budget)
    sizes = []
    original = approach3.minimize_batch
    monkeypatch.setattr(approach3, "minimize_batch", lambda fun, x0, **kw: sizes.append(len(x0)) or original(fun, x0, **kw))
    runs = synthetic_runs(sizes=500)  # 2,000 runs: 4 starts per batch
    with bounded(megabytes=50):
        approach3.fit_approach3(runs, starts=approach3.initial_grid()[::450])
    assert max(sizes) * len(runs) <= budget and len(sizes) > 2


# --- 7. validated metadata -------------------------------------------------------------------------------
@pytest.mark.parametrize("extra, fragment", [
    ("published: 5\n", "published"), ("published: {rows: 5}\n", "published.rows"),
    ("published: {rows: [[1, 2]]}\n", "three numbers"), ("published: {rows: [[1, x, 3]]}\n", "not a number"),
    ("notes: 7\n", "notes"), ("notes: [[1]]\n", "notes"), ("notes: just one string\n", "notes"),
    ("citation: [1]\n", "citation"), ("main: maybe\n", "main"), ("aliases: 3\n", "aliases"),
])
def test_law_metadata_is_checked_like_constants(main_cli, tmp_path, extra, fragment):
    refused(main_cli, "laws", "show", law_file(tmp_path, LAW + extra), fragments=(fragment,))


def test_two_laws_sharing_a_name_are_refused_not_merged(main_cli, tmp_path):
    impostor = law_file(tmp_path, LAW.replace("mine", "chinchilla-1"))
    plan = law_file(tmp_path, PLAN.replace("law: chinchilla-1", f"laws: [chinchilla-1, {impostor}]"), "plan.yaml")
    refused(main_cli, "check", plan, fragments=("two laws are named 'chinchilla-1'",))
    refused(main_cli, "allocate", "--flops", "1e21", "--law", "chinchilla-1", "--law", impostor,
            fragments=("two laws are named",))


def test_a_registry_alias_never_hides_another_law(tmp_path, monkeypatch):
    from scalingplan.catalogues import registry
    from scalingplan.errors import InputError

    for name, text in (("a.yaml", LAW.replace("mine", "first")),
                       ("b.yaml", LAW.replace("mine", "second") + "aliases: [first]\n")):
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(registry, "_laws_dir", lambda: tmp_path)
    registry._registry.cache_clear()
    registry._aliases.cache_clear()
    try:
        with pytest.raises(InputError, match="'first' already names the law"):
            registry.canonical_name("first")
    finally:
        registry._registry.cache_clear()
        registry._aliases.cache_clear()


# --- 4. interrupts and cancelled jobs ---------------------------------------------------------------------
def _children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    if int(handle.read().split(")")[-1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
    return found


def start_bootstrap(tmp_path):
    """A long bootstrap fit on two workers in its own process: (the process, its two worker pids)."""
    runs = write_runs(tmp_path, synthetic_runs())
    process = subprocess.Popen([sys.executable, "-m", "scalingplan", "fit", str(runs), "--method", "approach2",
                                "--bootstrap", "10000", "--jobs", "2", "--json"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    workers = _children(process.pid)
    assert len(workers) == 2, "the bootstrap never started its workers"
    return process, workers


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc")
@pytest.mark.parametrize("signum, code, message", [(signal.SIGINT, 130, "interrupted"),
                                                   (signal.SIGTERM, 143, "terminated")])
def test_a_signal_ends_the_bootstrap_at_once_with_no_worker_left(tmp_path, signum, code, message):
    process, workers = start_bootstrap(tmp_path)
    sent = time.monotonic()
    process.send_signal(signum)
    err = process.communicate(timeout=30)[1]
    assert time.monotonic() - sent < 5
    assert process.returncode == code
    assert err.strip().splitlines() == [f"scalingplan: error: {message}"]
    deadline = time.monotonic() + 5
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)


# --- 8. reproducers run in a fresh process under a memory limit -------------------------------------
DRIVER = Path(__file__).resolve().with_name("hostile_driver.py")
BOUND_SECONDS, BOUND_MEGABYTES = 10, 600
"""Every reproducer below hung, ran for minutes or took gigabytes before its fix: each must now end
within BOUND_SECONDS (a generous wall bound) inside a process limited to BOUND_MEGABYTES of address
space, which fails any allocation past it."""


def reproduce(*cases):
    """Run each case (argv, or (argv, env)) through the real entry point in one fresh process under
    the bounds; the results (code, stdout, stderr, seconds), each checked against BOUND_SECONDS."""
    cases = [(c, {}) if isinstance(c, (list, tuple)) and not isinstance(c[-1], dict) else c for c in cases]
    payload = json.dumps([[[str(a) for a in argv], {k: str(v) for k, v in env.items()}] for argv, env in cases])
    process = subprocess.run([sys.executable, str(DRIVER), str(BOUND_MEGABYTES)], input=payload, text=True,
                             capture_output=True, timeout=BOUND_SECONDS * len(cases) + 30)
    assert process.returncode == 0, process.stderr[-2000:]
    *results, peak = [json.loads(line) for line in process.stdout.splitlines()]
    assert peak["peak_mb"] < BOUND_MEGABYTES, peak
    for result in results:
        assert result["seconds"] < BOUND_SECONDS, (result["argv"], result["seconds"])
    return results


def assert_refused(result, *fragments, code=2):
    """The promised exit code, exactly one line on stderr holding every fragment, no traceback."""
    lines = result["stderr"].strip().splitlines()
    assert result["code"] == code, (result["argv"], result["code"], result["stderr"])
    assert len(lines) == 1, (result["argv"], result["stderr"])
    assert "Traceback" not in lines[0] and (code == 3 or "internal error" not in lines[0]), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (result["argv"], lines[0])


def test_searches_without_bounds_stop_before_work(tmp_path):
    """sweep --to 1e40 and --budgets 10^6 hung (the shape search of 10^19-parameter models),
    --budgets 2^31 raised MemoryError, a prior law with A = 1e100 hung, suggest on runs scaled ×1e80
    hung, and laws show on a law file of 87k published rows just under the size cap took 66 s and
    508 MB."""
    huge = law_file(tmp_path, "name: huge\nform: parametric\n"
                              "constants: {E: 1.69, A: 1e100, B: 410.7, alpha: 0.34, beta: 0.28}\n", "huge.yaml")
    runs = synthetic_runs()
    scaled = write_runs(tmp_path, runs.subset(np.arange(len(runs))))
    scaled.write_text("params,tokens,loss\n" + "".join(
        f"{n * 1e71:.17g},{d * 1e68:.17g},{l:.17g}\n" for n, d, l in zip(runs.params, runs.tokens, runs.loss)))
    head = LAW + "published:\n  rows:\n"
    row = "  - [1,2,3]\n"
    crowded = tmp_path / "crowded.yaml"
    crowded.write_text(head + row * ((2**20 - len(head)) // len(row)))
    assert 2**20 - len(row) < crowded.stat().st_size <= 2**20
    results = reproduce(["sweep", "--to", "1e40"], ["sweep", "--budgets", "1000000"],
                        ["sweep", "--budgets", "2147483648"], ["sweep", "--law", huge],
                        ["suggest", scaled, "--starts", "50"], ["laws", "show", crowded])
    for result, fragment in zip(results, ["1e+12", "at most 100 runs", "at most 100 runs", "huge",
                                          "1e+12", "50,000 values"]):
        assert_refused(result, fragment)


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs Linux /proc")
@pytest.mark.parametrize("signum, code, fragment", [(signal.SIGKILL, 2, "killed by SIGKILL"),
                                                    (signal.SIGTERM, 2, "killed by SIGTERM"),
                                                    (signal.SIGSEGV, 3, "died of SIGSEGV")])
def test_a_dead_bootstrap_worker_stops_the_fit_at_once(tmp_path, signum, code, fragment):
    """A worker killed by SIGKILL or SIGTERM left the parent waiting forever on its piece."""
    process, workers = start_bootstrap(tmp_path)
    os.kill(workers[0], signum)
    try:
        err = process.communicate(timeout=BOUND_SECONDS)[1]
    finally:
        process.kill()
    assert_refused({"argv": signum, "code": process.returncode, "stderr": err}, fragment, code=code)
    assert not any(_alive(w) for w in workers)


def test_the_config_file_is_read_bounded_and_checked(tmp_path):
    """Deeply nested arrays raised RecursionError, a Latin-1 file UnicodeDecodeError (exit 3), a
    400 MB comment took 1.2 GB; bad format, gpu and mfu values were accepted."""
    def config(name, text=None, data=None):
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        elif text is not None:
            path.write_text(text)
        return path

    big = config("big.toml", "#")
    with open(big, "r+b") as handle:
        handle.truncate(400 * 2**20)  # sparse: costs no disk
    cases = {
        "nested too deeply": config("deep.toml", "laws = " + "[" * 30_000 + "]" * 30_000 + "\n"),
        "not UTF-8": config("latin.toml", data="gpu = 'h100' # café\n".encode("latin-1")),
        "too large": big,
        "format: unknown format 'xml'": config("format.toml", 'format = "xml"\n'),
        "gpu: unknown accelerator 'nope'": config("gpu.toml", 'gpu = "nope"\n'),
        "mfu: must be in (0, 1]": config("mfu.toml", "mfu = 40\n"),
        "laws: unknown law 'nope'": config("laws.toml", 'laws = ["nope"]\n'),
        "no such config file": tmp_path / "missing.toml",
    }
    results = reproduce(*[(["allocate", "--flops", "1e21"], {"SCALINGPLAN_CONFIG": path}) for path in cases.values()])
    for result, (fragment, path) in zip(results, cases.items()):
        assert_refused(result, str(path), fragment)


def test_convert_uses_the_configured_mfu(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("mfu = 0.5\n")
    given, default = reproduce((["convert", "1e24", "--json"], {"SCALINGPLAN_CONFIG": config}),
                               ["--no-config", "convert", "1e24", "--json"])
    assert json.loads(given["stdout"])["mfu"] == 0.5
    assert json.loads(default["stdout"])["mfu"] != 0.5


def test_fits_that_give_no_law_are_refused_with_the_reason(tmp_path):
    """Runs in the wrong units (here 1e-60 of each size) fit a negative exponent, which surfaced as
    'internal error' in fit, plot fit and suggest; malformed bootstrap samples in a law file were a
    TypeError in fit-compare; --starts -1 was accepted."""
    runs = synthetic_runs()
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("params,tokens,loss\n" + "".join(
        f"{n * 1e-60:.17g},{d * 1e-60:.17g},{l:.17g}\n" for n, d, l in zip(runs.params, runs.tokens, runs.loss)))
    fitted = law_file(tmp_path, "name: fitted\nform: parametric\n"
                                "constants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28}\n", "fitted.yaml")
    samples = law_file(tmp_path, Path(fitted).read_text().replace("fitted", "samples") + "provenance: {bootstrap: "
                       "{samples: {E: 5, A: [1], B: [1], alpha: [1], beta: [1]}}}\n", "samples.yaml")
    shrinking = tmp_path / "shrinking.csv"  # IsoFLOP minima that fall as the budget grows: N_opt ∝ C^-0.48
    shrinking.write_text("params,tokens,loss\n" + "".join(
        f"{n:.17g},{c / (6 * n):.17g},{2 + 0.05 * np.log(n * 3**i / 1e9) ** 2:.17g}\n"
        for i, c in enumerate((1e18, 1e19, 1e20, 1e21)) for n in np.geomspace(1e8, 1e10, 9) / 3**i))
    results = reproduce(["fit", tiny, "--starts", "50"], ["plot", "fit", tiny, "--starts", "50", "-o", tmp_path / "f.png"],
                        ["suggest", tiny, "--starts", "50"], ["fit-compare", fitted, samples],
                        ["fit", write_runs(tmp_path, runs), "--starts", "-1"],
                        ["fit", shrinking, "--method", "approach2"])
    for result in results[:3]:
        assert_refused(result, "do not determine a chinchilla law", "alpha = -")
    assert_refused(results[3], "samples.yaml: provenance.bootstrap.samples.E: expected a list")
    assert_refused(results[4], "--starts")
    assert_refused(results[5], "power law N_opt = G·C^a", "a = -0.477", "between 0 and 1")


def test_exits_and_messages_are_one_line_with_the_promised_code(tmp_path):
    """Empty numbers were read as absent, a repeated --flops kept the last, a bad --seq-len printed a
    warning before its error, -o into a missing folder failed after the fit, a 350-digit integer was
    blamed on 'a computation', a plan's name given as a list passed, laws --json show was a table."""
    runs = write_runs(tmp_path, synthetic_runs())
    long_int = law_file(tmp_path, LAW.replace("0.1", "9" * 350))
    listed = law_file(tmp_path, PLAN + "name: [x]\n", "plan.yaml")
    results = reproduce(
        ["sweep", "--from", ""], ["sweep", "--to="], ["memory", "--params", "7e9", "--gpu", "h100", "--batch-tokens", ""],
        ["allocate", "--flops", "1e21", "--flops", "1e22"], ["allocate", "--flops", "1e28", "--seq-len", "0"],
        ["allocate", "--flops", "1e28", "--hparams", "nope"], ["fit", runs, "-o", tmp_path / "missing" / "law.yaml"],
        ["laws", "show", long_int], ["check", listed], ["laws", "--json", "show", "chinchilla-3"])
    for result, fragment in zip(results, ["--from", "--to", "--batch-tokens", "--flops is given twice", "--seq-len",
                                          "--hparams", "no folder", "law.yaml:4", "plan.yaml:5: name"]):
        assert_refused(result, fragment)
    assert results[6]["seconds"] < 2  # refused before the fit
    assert results[-1]["code"] == 0 and json.loads(results[-1]["stdout"])["name"] == "chinchilla-3"


@pytest.mark.parametrize("stream", ["closed", "full"])
def test_a_closed_or_full_stderr_keeps_the_exit_code(stream):
    """Exit 3 (closed) or 120 before: the tool's own code now, whatever happens to its messages."""
    options = {"stderr": subprocess.DEVNULL, "preexec_fn": lambda: os.close(2)} if stream == "closed" else {}
    with open("/dev/full", "w") as full:
        if stream == "full":
            options["stderr"] = full
        for args, code in ((("allocate", "--flops", "abc"), 2),  # an error, and an answer with a warning
                           (("allocate", "--flops", "1e28", "--law", "chinchilla-3"), 0)):
            result = subprocess.run([sys.executable, "-m", "scalingplan", *args], stdout=subprocess.DEVNULL,
                                    timeout=60, **options)
            assert result.returncode == code, (stream, args, result.returncode)


# --- 9. strings from files and the command line are printed inert -------------------------------------
INJECTIONS = ["::error file=x::injected", "::add-mask::1.930", "  ##[error]spoofed", "\x1b[31mred\x1b]0;title\x07",
              "a\n::warning::second line", "##vso[task.setvariable variable=x]1", "b\u2028::error::separator",
              "[link=https://example.com]rich markup[/link]"]
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def assert_inert(text: str, own: str | None = None) -> None:
    """No raw control character, and no line that a CI runner reads as a command (after the leading
    whitespace it strips) except the tool's own annotations, which start with ``own``."""
    assert not CONTROL.search(text), repr(CONTROL.search(text).group())
    for line in text.split("\n"):
        command = line.lstrip().startswith(("::", "##[")) or "##vso[" in line
        assert not command or (own and line.startswith(own)), line


def hostile_inputs(tmp_path, name: str):
    """A law file and a plan named ``name`` (with ``name`` as a note too); the plan fails a check."""
    import yaml

    law = tmp_path / "law.yaml"
    law.write_text(yaml.safe_dump({"name": name, "form": "parametric", "notes": [name], "summary": name,
                                   "constants": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}}))
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"name": name, "budget": {"flops": 6e23}, "law": str(law),
                                    "model": {"params": 70e9, "tokens": 1.4e12},
                                    "limits": {"max_budget_use": 0.5, "max_params_ratio": 1.01}}))
    return law, plan


FORMAT_OPTIONS = [["--format", "table"], ["--json"], ["--format", "csv"], ["--format", "markdown"]]


@pytest.mark.parametrize("name", INJECTIONS)
def test_names_from_files_and_flags_never_inject_commands_or_escapes(main_cli, tmp_path, name):
    """A plan or law named '::error file=x::injected' spoofed annotations in CI logs of check,
    compare and laws show; ANSI escapes in a law name and echoed --law/--gpu values reached the
    terminal raw."""
    from scalingplan.cli.check import escape

    law, plan = hostile_inputs(tmp_path, name)
    runs = [(["check", plan, "--format", "github"], f"::error file={escape(str(plan), True)},")]
    for options in FORMAT_OPTIONS:
        runs += [(["check", plan, *options], None), (["laws", "show", law, *options], None),
                 (["compare", law, "chinchilla-3", *options], None),
                 (["allocate", "--flops", "1e21", "--law", law, *options], None)]
    runs += [(["allocate", "--flops", "1e21", "--law", name], None),
             (["allocate", "--flops", "1e21", "--gpu", name, "--count", "8"], None),
             (["allocate", "--flops", name], None), (["laws", "show", name], None)]
    for args, own in runs:
        result = main_cli(*args)
        assert result.exit_code in (0, 1, 2) and result.exception is None, (args, result.output)
        assert_inert(result.stdout, own)
        assert_inert(result.stderr)
        if own:
            assert result.stdout.count(own) == 2  # the two failed checks, and no other annotation


def test_json_keeps_names_exactly():
    """JSON escapes what it must and nothing else: a reader gets the name back unchanged."""
    from scalingplan.output.render import render_json

    for name in INJECTIONS:
        text = render_json({"name": name})
        assert_inert(text)
        assert json.loads(text)["name"] == name
