"""`scalingplan report` and `check --report`: one self-contained HTML file whose numbers are
allocate --json's, with inline SVG figures, no external URL, escaped strings and the JSON answer.
(The page in a real browser: tests/test_report_browser.py.)"""

import json
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cli_assertions import assert_one_line_error
from report_pages import MUST_SHOW, report_and_answer
from test_plot import run_without_matplotlib

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "configs" / "plans"
MAX_BYTES = 3 * 1024 * 1024


class Page(HTMLParser):
    """The parts of a page the tests look at: every element's attributes, the SVG elements with
    their title and desc, the scripts with their type and text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.svgs, self.scripts, self.stack = [], [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        self.stack.append(tag)
        if tag == "svg":
            self.svgs.append({"attrs": attrs, "children": []})
        elif self.svgs and self.stack[-2:-1] == ["svg"]:
            self.svgs[-1]["children"].append(tag)
        if tag == "script":
            self.scripts.append({"type": attrs.get("type"), "id": attrs.get("id"), "text": ""})

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.stack and self.stack[-1] == "script":
            self.scripts[-1]["text"] += data

    def json_answer(self) -> dict:
        (script,) = [s for s in self.scripts if s["id"] == "answer-json"]
        return json.loads(script["text"])


def write_report(cli, monkeypatch, path, *args):
    """Run `scalingplan report ARGS -o path` as typed on a command line; the parsed page."""
    monkeypatch.setattr(sys, "argv", ["scalingplan", "report", *map(str, args), "-o", str(path)])
    result = cli("report", *args, "-o", path)
    assert result.exit_code == 0, result.output
    return Page(path.read_text(encoding="utf-8"))


def allocate_json(cli, *args) -> dict:
    result = cli("allocate", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def must_show(tmp_path_factory):
    """The page of the issue's command, and allocate --json's answer to the same options."""
    path, answer = report_and_answer(tmp_path_factory.mktemp("report"))
    return path, Page(path.read_text(encoding="utf-8")), answer


def test_the_embedded_json_is_allocate_json(must_show):
    _, page, answer = must_show
    assert page.json_answer() == answer


def test_page_is_small_and_self_contained(must_show):
    path, page, _ = must_show
    assert path.stat().st_size < MAX_BYTES
    linked = [(tag, name, value) for tag, attrs in page.elements for name, value in attrs.items()
              if name in ("src", "href", "xlink:href", "srcset", "action", "data") and not str(value).startswith("#")]
    assert linked == []
    assert not [tag for tag, _ in page.elements if tag in ("link", "iframe", "img", "object", "embed", "base")]
    # no script runs: the only script element is data
    assert [s["type"] for s in page.scripts] == ["application/json"]
    text = path.read_text(encoding="utf-8")
    assert "@import" not in text and "url(http" not in text


def test_at_least_two_inline_figures_each_with_title_and_description(must_show):
    _, page, _ = must_show
    assert len(page.svgs) >= 2
    for svg in page.svgs:
        assert svg["attrs"].get("role") == "img" and "viewbox" in svg["attrs"]
        assert svg["children"][:2] == ["title", "desc"]
    ids = [attrs["id"] for _, attrs in page.elements if "id" in attrs]
    assert len(ids) == len(set(ids)), "ids repeat across figures"


def test_tables_have_header_cells_and_the_sections_are_there(must_show):
    _, page, _ = must_show
    ids = {attrs.get("id") for _, attrs in page.elements}
    assert {"answer", "warnings", "laws", "recipe", "cluster", "sources", "allocations", "recipe-table",
            "cluster-table", "frontier-figure", "memory-figure", "step-figure"} <= ids
    assert sum(tag == "th" for tag, _ in page.elements) > 20
    text = must_show[0].read_text(encoding="utf-8")
    assert "@media print" in text and "prefers-color-scheme: dark" in text


def test_the_numbers_in_the_tables_are_allocate_json(must_show):
    _, page, answer = must_show
    rows = {row["law"]: row for row in answer["allocations"]}
    current, checked = None, 0
    for tag, attrs in page.elements:
        if tag == "tr" and "data-row" in attrs:
            current = attrs["data-row"]
        if "data-key" in attrs and current in rows and attrs["data-key"] in rows[current]:
            assert float(attrs["data-value"]) == rows[current][attrs["data-key"]], (current, attrs)
            checked += 1
    assert checked >= 7 * 8


def test_the_sources_cite_every_law_and_the_accelerator_and_give_the_command(must_show):
    path, _, answer = must_show
    text = path.read_text(encoding="utf-8")
    sources = text[text.index('id="sources"'):]
    for row in answer["allocations"]:
        assert f"<strong>{row['law']}</strong>" in sources
    assert "arXiv:2203.15556" in sources and "H100 Tensor Core GPU datasheet" in sources
    assert "scalingplan report --flops 5.8e23 --gpu h100 --count 512 -o" in sources


def test_strings_from_a_law_file_are_inert(cli, monkeypatch, tmp_path):
    law = tmp_path / "evil.yaml"
    law.write_text(r"name: 'evil$\frob$</script><img src=http://x.invalid/a.png>'" "\nform: parametric\n"
                   "constants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28}\n"
                   "citation: {authors: \"<a href='http://x.invalid/'>me</a>\", year: 2024, "
                   "title: \"</style><script>alert(1)</script>\"}\n")
    page = write_report(cli, monkeypatch, tmp_path / "evil.html", "--flops", "1e22", "--law", law, "--law", "chinchilla-3",
                        "--gpu", "h100", "--count", "64")  # the name is figure text too: no mathtext
    assert [tag for tag, _ in page.elements if tag in ("img", "a", "iframe")] == []
    assert [s["type"] for s in page.scripts] == ["application/json"]
    assert page.json_answer()["allocations"][0]["law"].startswith("evil$\\frob$</script><img")


def test_repeated_data_is_a_warning_and_a_plan_without_a_cluster_says_how_to_add_one(cli, monkeypatch, tmp_path):
    args = ("--flops", "1e23", "--unique-tokens", "100e9", "--law", "epoch2024")
    page = write_report(cli, monkeypatch, tmp_path / "p.html", *args)
    text = (tmp_path / "p.html").read_text(encoding="utf-8")
    assert "add --gpu and --count" in text
    answer = allocate_json(cli, *args)
    assert page.json_answer() == answer
    # 1e23 FLOPs on 100B unique tokens: every law's plan needs more than one epoch (D/D_unique > 1)
    warnings = text[text.index('id="warnings"'):text.index("</aside>")]
    for row in answer["allocations"]:
        assert row["tokens"] > 100e9 and row["law"] in warnings
    assert "epochs" in warnings


def test_bad_input_is_one_line_and_exit_2(main_cli, tmp_path):
    assert_one_line_error(main_cli("report", "-o", tmp_path / "x.html"), "give exactly one of")
    assert_one_line_error(main_cli("report", "--flops", "1e23", "-o", tmp_path), "directory")
    assert not (tmp_path / "x.html").exists()


def test_without_matplotlib_report_says_how_to_install_and_exit_2(tmp_path):
    proc = run_without_matplotlib("report", "--flops", "1e23", "-o", tmp_path / "x.html")
    assert proc.returncode == 2, proc.stderr
    message = proc.stderr.replace("imported=False", "").strip()
    assert message.count("\n") == 0 and "pip install 'scalingplan[plot]'" in message
    assert not (tmp_path / "x.html").exists()


# --- check --report ------------------------------------------------------------------------------------
def test_check_report_gives_each_plan_its_verdict_and_reasons(main_cli, tmp_path):
    out = tmp_path / "report.html"
    plans = sorted(PLANS.glob("*.yaml"))
    result = main_cli("check", *plans, "--report", out, "--json")
    assert result.exit_code == 1  # gopher.yaml fails
    answer = json.loads(result.stdout)
    text = out.read_text(encoding="utf-8")
    page = Page(text)
    assert page.json_answer() == answer
    sections = [attrs for tag, attrs in page.elements if tag == "section" and "data-file" in attrs]
    assert [s["data-file"] for s in sections] == [r["file"] for r in answer["plans"]]
    for result_ in answer["plans"]:
        assert ("FAILED" if not result_["passed"] else "passed") in text
    failed = [c["message"] for r in answer["plans"] for c in r["checks"] if c["status"] == "fail"]
    assert failed and all(escape(message) in text for message in failed)
    assert len(text.encode()) < MAX_BYTES
