"""`scalingplan check`: budget checks on plan files, for CI (exit 0 pass, 1 a check failed, 2 bad plan)."""

import os
import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from scalingplan.errors import EXIT_CHECK_FAILED, InputError
from scalingplan.output.render import KINDS, Column, Table, human_count, sci
from scalingplan.output.inert import inert
from scalingplan.cli.common import emit, lazy_module
from scalingplan.cli.options import choose_format, output_bundle, with_options

plans_module = lazy_module("scalingplan.checks.plans")


def check_format(fmt=None, json_=False) -> tuple:
    """(format, github annotations?): 'github' is the table plus workflow annotations, the default
    when GITHUB_ACTIONS=true."""
    if fmt is not None and fmt.lower() == "github":
        if json_:
            raise InputError("--json and --format github disagree; give one of them")
        return "table", True
    fmt = choose_format(fmt, json_)
    return fmt, fmt == "table" and os.environ.get("GITHUB_ACTIONS") == "true"


CHECK_OUTPUT = output_bundle("table, json, csv, markdown, or github (table plus workflow annotations; "
                             "the default when GITHUB_ACTIONS=true)", check_format)

COLUMNS = [
    Column("Check", "name", "text", names_row=True),
    Column("Law", "law", "text", names_row=True),
    Column("Value", "value_text", "text"),
    Column("Limit", "limit_text", "text"),
    Column("Result", "result", "text"),
    Column("Why", "message", "text", wrap=True),
]
CSV_COLUMNS = [Column(key, key) for key in ("file", "plan", "name", "law", "passed", "status", "value",
                                             "limit", "line", "message")]
# How each check's value and limit read in a table.
VALUE_TEXT = {"max_budget_use": lambda x: "-" if x is None else f"{x:.1%}", "max_params_ratio": KINDS["ratio"],
              "min_tokens_per_param": KINDS["plain"], "max_loss": KINDS["loss"], "max_epochs": KINDS["plain"],
              "max_days": KINDS["plain"], "max_memory_fraction": lambda x: "-" if x is None else f"{x:.0%}",
              "min_gpus": KINDS["plain"], "max_cost": KINDS["count"], "max_co2_kg": KINDS["count"],
              "max_batch_ratio": KINDS["ratio"], "max_lr_ratio": KINDS["ratio"]}
RESULT_TEXT = {"pass": "pass", "fail": "FAIL", "not applicable": "n/a"}


def limit_text(check: dict) -> str:
    limit = check["limit"]
    if check["name"] in ("max_params_ratio", "max_batch_ratio", "max_lr_ratio"):
        return f"{1 / limit:.3g}×–{limit:.3g}×"
    prefix = "≥ " if check["name"].startswith("min_") else "≤ "
    return prefix + VALUE_TEXT[check["name"]](limit)


def plan_table(plan, result: dict) -> Table:
    rows = [dict(c, law=c["law"] or "", value_text=VALUE_TEXT[c["name"]](c["value"]),
                 limit_text=limit_text(c), result=RESULT_TEXT[c["status"]]) for c in result["checks"]]
    title = (f"{plan.file}: {'passed' if result['passed'] else 'FAILED'} — {human_count(plan.params)} params × "
             f"{human_count(plan.tokens)} tokens, {sci(plan.flops)} FLOPs ({plans_module.METHOD_TEXT[plan.flops_method]}); budget {sci(plan.budget['flops'])} "
             f"FLOPs ({plan.budget['description']})")
    return Table(COLUMNS, rows, title)


def escape(text: str, property_value: bool = False) -> str:
    """Escape a workflow-command message (or property value) as GitHub Actions reads it."""
    text = inert(str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def annotations(results: list) -> list:
    """One `::error` line per failed check, at the plan file and the line of its limit."""
    lines = []
    for result in results:
        for c in result["checks"]:
            if c["passed"]:
                continue
            title = f"scalingplan check: {c['name']}" + (f" ({c['law']})" if c["law"] else "")
            where = f"file={escape(result['file'], True)}"
            if c["line"]:
                where += f",line={c['line']}"
            lines.append(f"::error {where},title={escape(title, True)}::{escape(c['message'])}")
    return lines


def malformed_annotation(path: str, error: InputError) -> str:
    """The `::error` line for a plan file that cannot be read: at its file and, when the error names
    one ('path:line: message'), its line."""
    text, where = str(error), f"file={escape(path, True)}"
    if text.startswith(f"{path}:"):
        text = text[len(path) + 1:]
        line, _, rest = text.partition(": ")
        if line.isdigit():
            where, text = f"{where},line={line}", rest
    return f"::error {where},title={escape('scalingplan check: malformed plan', True)}::{escape(text.strip())}"


def load_plans(paths: list, github: bool) -> list:
    """Every plan file, loaded; with github annotations a malformed one is also an `::error` line."""
    loaded = []
    for path in paths:
        try:
            loaded.append(plans_module.load_plan(path))
        except InputError as exc:
            if github:
                sys.stdout.write(malformed_annotation(str(path), exc) + "\n")
            raise
    return loaded


@with_options(CHECK_OUTPUT)
def check(
    plans: Annotated[List[str], typer.Argument(help="Plan files (YAML), e.g. plans/*.yaml.",
                                               metavar="PLAN.yaml...", show_default=False)],
    report: Annotated[Optional[Path], typer.Option(
        "--report", help="Also write one HTML page with every plan's verdict and reasons, e.g. report.html.")] = None,
    fmt: tuple = ("table", False),
):
    """Check training plans against their budgets, scaling laws and limits; exit 1 if any check fails.

    A plan states a budget, a model, the laws to judge it by and limits:

    budget: {flops: 6e23}; model: {params: 70e9, tokens: 1.4e12}; law: chinchilla-1;
    limits: {max_budget_use: 1.0, max_params_ratio: 2.0}

    Example: scalingplan check plans/*.yaml --format github (--report report.html for one HTML page)
    """
    fmt, github = fmt
    if report is not None:
        from scalingplan.catalogues.yamlfile import check_writable

        check_writable(report, "--report")
    loaded = load_plans(plans, github)
    results = []
    for plan in loaded:
        checks = [c.as_dict() for c in plans_module.evaluate(plan)]
        results.append({"file": plan.file, "passed": all(c["passed"] for c in checks),
                        "plan": plan.summary(), "checks": checks})
    passed = all(r["passed"] for r in results)
    payload = {"passed": passed, "plans": results}
    tables = [plan_table(plan, result) for plan, result in zip(loaded, results)]
    failed = sum(not c["passed"] for r in results for c in r["checks"])
    tables[-1].notes.append(f"{len(results)} plan(s), {sum(len(r['checks']) for r in results)} checks, "
                            f"{failed} failed.")
    flat = Table(CSV_COLUMNS, [dict(c, file=r["file"], plan=r["plan"]["name"]) for r in results
                               for c in r["checks"]])
    emit(fmt, payload, tables, csv_table=flat)
    if report is not None:
        from scalingplan import __version__
        from scalingplan.cli.common import versioned
        from scalingplan.output.render import render_json
        from scalingplan.output.report_html import checks_page, command_line, write_page

        write_page(report, checks_page(payload, tables, command=command_line(sys.argv), version=__version__,
                                       json_text=render_json(versioned(payload))), "--report")
    if github:
        lines = annotations(results)
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
    if not passed:
        raise typer.Exit(EXIT_CHECK_FAILED)
