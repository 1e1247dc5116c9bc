"""Run-time dependencies earn their place: what the package imports is declared, and nothing more."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_top_level_modules() -> set:
    names = set()
    for path in (ROOT / "scalingplan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def runtime_requirements() -> set:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    return {re.split(r"[<>=;\s]", line.strip().strip('",'))[0].lower()
            for line in block.splitlines() if line.strip().startswith('"')}


def test_scipy_is_not_a_runtime_dependency_and_is_never_imported_by_the_package():
    assert "scipy" not in runtime_requirements()
    assert "scipy" not in imported_top_level_modules()


def test_every_third_party_import_is_declared():
    declared = runtime_requirements() | {"matplotlib", "yaml", "tomli"}  # matplotlib: the plot extra
    third_party = {"typer", "rich", "numpy", "yaml", "matplotlib", "scipy", "tomli", "click"}
    used = imported_top_level_modules() & third_party
    assert used <= declared | {"pyyaml"} and ("yaml" not in used or "pyyaml" in declared)
