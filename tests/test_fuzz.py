"""Seeded fuzzing of command lines and YAML documents: every outcome is an answer (0), a failed check
(1) or one line about bad input (2); never a traceback or an internal error."""

import random

import pytest

SEED = 20240516
HOSTILE_NUMBERS = [
    "0", "-1", "1", "1e21", "5.76e23", "70B", "1.4T", "1_000", "1e100", "-1e100", "1e101", "1e-100", "1e-101",
    "1e308", "1e309", "5e-324", "2.2e-308", "nan", "-inf", "inf", "Infinity", "abc", "", " ", "1e", "e5", "--",
    "１２３", "１．５ｅ２１", "٣٤", "10²³", "1.5−3", "0x10", "017", "6:46", "9" * 400, "9" * 5000, "1" * 30,
    "1e21 ", "+7", "0.0000001", "7K", "7P", "7Q", "1,000", "1e-5", "2.5", "99", "0.3", "1.0",
]
ORDINARY_NUMBERS = ["1e21", "5.76e23", "70B", "1.4T", "2.5", "0.4", "1e9", "3e25", "1000", "8", "2048", "1e24"]
HOSTILE_INTS = ["0", "-1", "1", "3", "1000", "1001", "99999999999999999999", "abc", "１２", "nan", "1e3"]
NAMES = ["chinchilla", "chinchilla-3", "kaplan", "epoch2024", "nope", "", "h100", "a100", "gopher", "llama3",
         "/dev/null", "./missing.yaml", "muennighoff2023", "Chinchilla-3", "☃"]

NUMBER_OPTIONS = {
    "allocate": ["--flops", "--pf-days", "--params", "--loss", "--unique-tokens", "--inference-tokens",
                 "--count", "--days", "--gpu-hours", "--mfu"],
    "compare": ["--flops", "--from", "--to", "--count", "--days", "--gpu-hours", "--mfu"],
    "assess": ["--params", "--tokens", "--unique-tokens"],
    "flops": ["--params", "--tokens", "--layers", "--d-model", "--heads", "--kv-size", "--ffw-size", "--vocab",
              "--seq-len"],
    "convert": ["--count", "--price-per-hour", "--mfu"],
    "memory": ["--params", "--layers", "--d-model", "--heads", "--seq-len", "--count", "--dp", "--tp", "--pp",
               "--micro-batch", "--batch-tokens", "--optimizer-bytes"],
}
NAME_OPTIONS = {"allocate": ["--law", "--gpu"], "compare": ["--gpu"], "assess": ["--law"],
                "flops": ["--model", "--method"], "convert": ["--gpu", "--from"], "memory": ["--gpu", "--model"]}
INT_OPTIONS = {"compare": ["--points"], "memory": ["--zero"]}
FORMATS = [[], ["--json"], ["--format", "csv"], ["--format", "markdown"], ["--format", "xml"]]


def number(rng):
    return rng.choice(ORDINARY_NUMBERS if rng.random() < 0.6 else HOSTILE_NUMBERS)


def command_lines(rng, n):
    for _ in range(n):
        command = rng.choice(list(NUMBER_OPTIONS))
        args = [command]
        if command == "convert":
            args.append(number(rng))
        if command in ("compare", "assess") and rng.random() < 0.5:
            args.extend(rng.sample(NAMES, 2))
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if kind < 0.7:
                args += [rng.choice(NUMBER_OPTIONS[command]), number(rng)]
            elif kind < 0.9 and NAME_OPTIONS.get(command):
                args += [rng.choice(NAME_OPTIONS[command]), rng.choice(NAMES)]
            elif command in INT_OPTIONS:
                args += [rng.choice(INT_OPTIONS[command]), rng.choice(HOSTILE_INTS)]
        yield args + rng.choice(FORMATS)


VALID = [
    ["allocate", "--flops", "5.76e23"], ["allocate", "--pf-days", "1e4"], ["allocate", "--params", "70e9"],
    ["allocate", "--loss", "2.0"], ["allocate", "--flops", "1e24", "--unique-tokens", "1e11"],
    ["allocate", "--loss", "2.1", "--inference-tokens", "2e12"], ["allocate", "--flops", "1e24", "--inference-tokens", "1e12"],
    ["allocate", "--gpu", "h100", "--count", "1024", "--days", "30", "--mfu", "0.4"],
    ["allocate", "--gpu", "h100", "--gpu-hours", "1e6"], ["compare", "kaplan", "chinchilla", "--from", "1e18", "--to", "1e26"],
    ["compare", "chinchilla-3", "epoch2024", "--flops", "1e23"], ["assess", "--params", "280e9", "--tokens", "300e9"],
    ["assess", "--params", "7e9", "--tokens", "2e12", "--unique-tokens", "5e11"], ["flops", "--params", "70e9", "--tokens", "1.4e12"],
    ["flops", "--params", "1e9", "--tokens", "2e10", "--layers", "24", "--d-model", "2048", "--heads", "16",
     "--vocab", "32000", "--seq-len", "2048"], ["convert", "1e24", "--from", "flops"],
    ["convert", "1e4", "--from", "pf-days", "--count", "64", "--price-per-hour", "2.5"],
    ["convert", "2e5", "--from", "gpu-hours", "--gpu", "h100", "--mfu", "0.5"],
    ["memory", "--params", "70e9", "--gpu", "h100", "--count", "64"],
    ["memory", "--params", "7e9", "--layers", "32", "--d-model", "4096", "--heads", "32", "--gpu", "a100",
     "--tp", "2", "--pp", "2", "--dp", "4", "--micro-batch", "2", "--batch-tokens", "4e6"],
    ["allocate", "--flops", "1e24", "--gpu", "h100", "--count", "1024"],
]


def one_hostile_value(rng, n):
    """A working command line with one of its numbers replaced by a hostile one."""
    for _ in range(n):
        args = list(rng.choice(VALID))
        slots = [i for i, a in enumerate(args) if i and not a.startswith("-") and not a.isalpha()
                 and a not in NAMES]
        args[rng.choice(slots)] = rng.choice(HOSTILE_NUMBERS)
        yield args + rng.choice(FORMATS[:4])


def assert_clean(result, what):
    assert result.exit_code in (0, 1, 2), (what, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (what, repr(result.exception))
    assert "Traceback" not in result.output and "internal error" not in result.output, (what, result.output)
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, (what, result.stderr)


def test_fuzz_command_lines(main_cli):
    rng = random.Random(SEED)
    for args in list(command_lines(rng, 300)) + list(one_hostile_value(rng, 300)):
        assert_clean(main_cli(*args), args)


# --- YAML documents --------------------------------------------------------------------------------
PLAN = {"budget": {"flops": "6e23"}, "model": {"params": "70e9", "tokens": "1.4e12"},
        "law": "chinchilla-1", "limits": {"max_budget_use": "1.05", "max_params_ratio": "2.0"}}
LAW = {"name": "fuzzed", "form": "parametric",
       "constants": {"E": "1.69", "A": "406.4", "B": "410.7", "alpha": "0.34", "beta": "0.28"},
       "notes": ["a note"], "published": {"columns": "[params, flops, tokens]", "rows": "[[1e9, 1e20, 2e10]]"}}
SCALARS = HOSTILE_NUMBERS + ["[]", "{}", "[1, 2]", "{a: 1}", "null", "~", "true", "no", "'quoted'", "&a 1",
                             "*a", "!!python/object:os.system 'echo hi'", "!!binary aGk=", "2022-01-01",
                             "[" * 40 + "]" * 40, "{x: " * 40 + "1" + "}" * 40, ".nan", ".inf", "0o17",
                             "1:30:00", "'1e21'", "|\n    block", ">-\n    folded"]
KEYS = ["budget", "model", "law", "laws", "limits", "hardware", "name", "form", "constants", "notes",
        "published", "extra", "flops", "params", "tokens", "max_loss", "max_days", "gpu", "count", "E", "rows"]


def emit(value, indent=0) -> str:
    pad = "  " * indent
    if isinstance(value, dict):
        return "".join(f"{pad}{k}:" + ("\n" + emit(v, indent + 1) if isinstance(v, dict) else f" {v}\n")
                       for k, v in value.items())
    return f"{pad}{value}\n"


def mutate(rng, doc: dict) -> str:
    doc = {k: dict(v) if isinstance(v, dict) else v for k, v in doc.items()}
    for _ in range(rng.randint(1, 3)):
        section = rng.choice(list(doc))
        choice = rng.random()
        if isinstance(doc[section], dict) and choice < 0.6:
            doc[section][rng.choice(list(doc[section]) + KEYS)] = rng.choice(SCALARS)
        elif choice < 0.8:
            doc[section] = rng.choice(SCALARS)
        elif choice < 0.9:
            doc.pop(section)
            if not doc:
                doc["name"] = "x"
        else:
            doc[rng.choice(KEYS)] = rng.choice(SCALARS)
    text = emit(doc)
    if rng.random() < 0.1:  # a duplicated line
        lines = text.splitlines(keepends=True)
        text += rng.choice(lines)
    return text


@pytest.mark.parametrize("kind", ["plan", "law"])
def test_fuzz_yaml_documents(cli, tmp_path, kind):
    rng = random.Random(f"{SEED}-{kind}")
    for i in range(150):
        text = mutate(rng, PLAN if kind == "plan" else LAW)
        path = tmp_path / f"{kind}{i}.yaml"
        path.write_text(text, encoding="utf-8")
        if kind == "plan":
            result = cli("check", str(path), "--json")
        else:
            result = cli("laws", "show", str(path)) if i % 2 else cli("allocate", "--flops", "1e21", "--law", str(path))
        assert_clean(result, text)


# --- hypothesis: names, config files, signals at start-up (failures shrink to a minimal case) ----------
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from test_hostile import assert_inert, hostile_inputs  # noqa: E402

FIXTURES = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
NAME_PIECES = st.sampled_from(["::", "##[", "##vso[", "\n", "\r", "\x1b[", "\x07", "\x85", "\u2028", "\u202e",
                               " ", "\t", "error", "add-mask", "[bold]", "%0A", "::error file=x::", "]"])
NAMES_ANY = st.lists(st.one_of(NAME_PIECES, st.text(max_size=6)), min_size=1, max_size=6).map("".join)


@settings(max_examples=25, suppress_health_check=FIXTURES)
@given(name=NAMES_ANY, options=st.sampled_from([["--format", "github"], ["--json"], ["--format", "csv"],
                                                ["--format", "markdown"], []]))
def test_fuzz_names_are_printed_inert(main_cli, tmp_path_factory, name, options):
    """For any plan or law name, no output line is a CI command except the tool's own annotations,
    and no raw control character is printed, in any format."""
    from scalingplan.cli.check import escape

    law, plan = hostile_inputs(tmp_path_factory.mktemp("names"), name)
    own = f"::error file={escape(str(plan), True)}," if options == ["--format", "github"] else None
    plain = [] if own else options
    for args in (["check", plan, *options], ["laws", "show", law, *plain],
                 ["allocate", "--flops", "1e21", "--law", name, *plain]):
        result = main_cli(*args)
        assert result.exit_code in (0, 1, 2) and result.exception is None, (args, result.output)
        assert_inert(result.stdout, own)
        assert_inert(result.stderr)


TOML_VALUES = st.sampled_from(['"xml"', '"json"', '"github"', '"h100"', '"nope"', "0.4", "40", "-1", "0", "nan", "inf",
                               "true", "[1, 2]", '["chinchilla-3"]', '["nope"]', "{a = 1}", "[[[[1]]]]",
                               '"\\u001b[31m"', '"::error::x"', "1e400", '"""multi\nline"""', "1979-05-27"])
TOML_KEYS = st.sampled_from(["format", "gpu", "mfu", "laws", "colour", "format.x", '"quoted key"'])
TOML_FILES = st.one_of(
    st.lists(st.tuples(TOML_KEYS, TOML_VALUES), max_size=4).map(lambda pairs: "".join(f"{k} = {v}\n" for k, v in pairs)),
    st.binary(max_size=64), st.text(max_size=64))


@settings(max_examples=40, suppress_health_check=FIXTURES)
@given(content=TOML_FILES, args=st.sampled_from([["allocate", "--flops", "1e21"], ["convert", "1e24"],
                                                 ["allocate", "--gpu-hours", "1e6"], ["laws"]]))
def test_fuzz_config_files(main_cli, tmp_path_factory, monkeypatch, content, args):
    """Any config file gives an answer or one line naming the file (exit 2), never an internal error."""
    from scalingplan.cli import settings as user_settings

    path = tmp_path_factory.mktemp("config") / "config.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    monkeypatch.setenv("SCALINGPLAN_CONFIG", str(path))
    monkeypatch.setattr(user_settings, "_state", {"disabled": False, "loaded": None})
    result = main_cli(*args)
    assert result.exit_code in (0, 2) and result.exception is None, (content, result.output)
    assert_inert(result.stderr)
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def _handles_sigterm(pid: int) -> bool | None:
    """Whether ``pid`` has a SIGTERM handler yet (None once it has ended); Python sets none of its own."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            caught = next(int(line.split()[1], 16) for line in handle if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return None
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
@settings(max_examples=6, suppress_health_check=FIXTURES)
@given(signum=st.sampled_from([signal.SIGINT, signal.SIGTERM]), delay=st.floats(0, 0.3),
       args=st.sampled_from([["allocate", "--flops", "1e21", "--json"], ["laws"], ["--help"]]))
def test_fuzz_signals_during_start_up(signum, delay, args):
    """A signal at any moment once the entry point runs (imports, parsing, the command, exiting) ends
    in the command's own exit code (it had finished) or 130/143 with one line, never a traceback or
    death by the signal."""
    process = subprocess.Popen([sys.executable, "-m", "scalingplan", *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while _handles_sigterm(process.pid) is False and time.monotonic() < deadline:
        time.sleep(0.0005)
    time.sleep(delay)
    try:
        process.send_signal(signum)
    except ProcessLookupError:
        pass
    err = process.communicate(timeout=30)[1]
    assert process.returncode in (0, 128 + signum), (process.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
    if process.returncode:
        assert err.strip() == f"scalingplan: error: {'terminated' if signum == signal.SIGTERM else 'interrupted'}"


@pytest.mark.parametrize("signalled", ["Terminated", "Interrupted"])
def test_a_signal_wrapped_in_another_error_keeps_its_own_exit_code(main_cli, monkeypatch, signalled):
    """A signal that lands in an import is raised nowhere and reaches the command wrapped in another
    error; the command still ends with that signal's line and code (143 for SIGTERM, 130 for SIGINT)."""
    from scalingplan.cli import allocation, signals

    exc = getattr(signals, signalled)()

    def wrapped(*args, **kwargs):
        signals._unreported.append(exc)
        raise ImportError("a module's import was cut short")

    monkeypatch.setattr(allocation, "parse_positive", wrapped)  # allocate's options are read there
    monkeypatch.setattr(signals, "install", lambda: None)
    result = main_cli("allocate", "--flops", "1e21", "--params", "7e9")
    assert result.exit_code == exc.exit_code, result.output
    assert result.stderr.strip() == f"scalingplan: error: {exc.message}"
