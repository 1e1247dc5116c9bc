"""The example outputs in docs/ are what the commands print now (docs/make_examples.py writes them)."""

import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
spec = importlib.util.spec_from_file_location("make_examples", DOCS / "make_examples.py")
make_examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_examples)

BLOCKS = [(page.name, command, body) for page in make_examples.pages()
          for command, body in make_examples.blocks(page.read_text(encoding="utf-8"))]


def test_the_docs_have_generated_examples():
    pages = {page for page, _, _ in BLOCKS}
    assert {"first-minute.md", "recipe.md"} <= pages and len(BLOCKS) >= 5


@pytest.mark.parametrize("page, command, body", BLOCKS, ids=[f"{p}: {c}" for p, c, _ in BLOCKS])
def test_example_output_is_current(page, command, body):
    assert body == make_examples.run(command), (
        f"{page}: the output of '{command}' changed; regenerate with: python docs/make_examples.py")
