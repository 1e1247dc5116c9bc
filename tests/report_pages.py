"""The report page of the issue's command, written in-process, beside allocate --json's answer."""

import json
import sys

import pytest

MUST_SHOW = ("--flops", "5.8e23", "--gpu", "h100", "--count", "512")


def report_and_answer(folder, args=MUST_SHOW):
    """(path of the page `scalingplan report ARGS` writes in ``folder``, allocate --json's answer)."""
    from typer.testing import CliRunner

    from scalingplan.cli.app import build_app

    app, runner = build_app(["report", "allocate"]), CliRunner()
    path = folder / "plan.html"
    with pytest.MonkeyPatch.context() as patch:  # the page records the command line it was made by
        patch.setattr(sys, "argv", ["scalingplan", "report", *args, "-o", str(path)])
        made = runner.invoke(app, ["report", *args, "-o", str(path)])
    assert made.exit_code == 0, made.output
    return path, json.loads(runner.invoke(app, ["allocate", *args, "--json"]).stdout)
