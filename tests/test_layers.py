"""The layers import one way (docs/architecture.md): commands never import each other, nothing below
the command line imports it, and each layer imports only the layers beneath it. Every import counts,
those inside functions and the modules named to ``lazy_module`` too."""

import ast
from pathlib import Path

from scalingplan.cli.app import COMMANDS

PACKAGE = Path(__file__).resolve().parents[1] / "scalingplan"
LAYERS = {
    "constants": 0, "errors": 0, "numbers": 0, "solve": 0, "workers": 0,
    "laws": 1,
    "compute": 2, "catalogues": 2,
    "planning": 3, "fitting": 3,
    "checks": 4, "output": 4,
    "cli": 5,
}
"""Each top-level part of the package and its layer: a module imports from its own layer or lower."""
COMMAND_MODULES = {module for module, _, _ in COMMANDS.values()}


def imports(path: Path) -> set:
    """Every scalingplan module ``path`` imports, as dotted names."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("scalingplan."):
            found.add(node.value)
    return {name for name in found if name.startswith("scalingplan.")}


def part(name: str) -> str:
    return name.split(".")[1]


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(relative.parts)
        if name.endswith("__init__") or name == "scalingplan.__main__":
            continue
        yield name, path


def test_commands_never_import_each_other():
    wrong = []
    for name, path in modules():
        if not name.startswith("scalingplan.cli.") or name.split(".")[2] not in COMMAND_MODULES:
            continue
        for target in imports(path):
            parts = target.split(".")
            if len(parts) > 2 and parts[1] == "cli" and parts[2] in COMMAND_MODULES and parts[2] != name.split(".")[2]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, wrong


def test_nothing_below_the_command_line_imports_it():
    wrong = [f"{name} imports {target}" for name, path in modules() if part(name) != "cli"
             for target in imports(path) if part(target) == "cli"]
    assert not wrong, wrong


def test_each_layer_imports_only_those_beneath_it():
    wrong = []
    for name, path in modules():
        for target in imports(path):
            if part(target) in LAYERS and LAYERS[part(target)] > LAYERS[part(name)]:
                wrong.append(f"{name} (layer {LAYERS[part(name)]}) imports {target} (layer {LAYERS[part(target)]})")
    assert not wrong, wrong


def test_every_part_of_the_package_has_a_layer():
    assert {part(name) for name, _ in modules()} <= set(LAYERS)
