"""Regenerate the example outputs in docs/*.md from the commands themselves.

A generated example is a console block after a marker line naming its command:

    <!-- generated: scalingplan allocate --flops 5.8e23 -->
    ```console
    $ scalingplan allocate --flops 5.8e23
    ...its output at 80 columns...
    ```

Run from the repository root: python docs/make_examples.py (rewrites the blocks in place);
tests/test_docs_examples.py checks that every block equals what the command prints now.
"""

import os
import re
import shlex
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
BLOCK = re.compile(r"(<!-- generated: (?P<command>scalingplan [^\n]*?) -->\n```console\n)(?P<body>.*?)(```)", re.S)
ENVIRONMENT = {"COLUMNS": "80", "NO_COLOR": "1", "SCALINGPLAN_NO_CONFIG": "1"}


def run(command: str) -> str:
    """The command's standard output at 80 columns, without colour or the user's settings, run from
    the repository root; the block's text ('$ command' and the output)."""
    from typer.testing import CliRunner

    from scalingplan.cli.app import build_app

    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(build_app(), shlex.split(command)[1:], env=ENVIRONMENT)
    finally:
        os.chdir(previous)
    if result.exit_code not in (0, 1):
        raise RuntimeError(f"{command}: exit {result.exit_code}: {result.output}")
    output = "\n".join(line.rstrip() for line in result.stdout.rstrip("\n").splitlines())
    return f"$ {command}\n{output}\n"


def blocks(text: str) -> list:
    """(command, body) of every generated block of a page."""
    return [(m.group("command"), m.group("body")) for m in BLOCK.finditer(text)]


def regenerate(text: str) -> str:
    return BLOCK.sub(lambda m: m.group(1) + run(m.group("command")) + m.group(4), text)


def pages() -> list:
    return sorted(p for p in DOCS.glob("*.md") if "<!-- generated:" in p.read_text(encoding="utf-8"))


if __name__ == "__main__":
    for page in pages():
        old = page.read_text(encoding="utf-8")
        new = regenerate(old)
        if new != old:
            page.write_text(new, encoding="utf-8")
            print(f"updated {page.relative_to(ROOT)}", file=sys.stderr)
