"""`scalingplan plot` and `scalingplan.output.plotting`: valid images that depend on their input, labelled axes,
the character plot, and the optional matplotlib extra (absent: one line, exit 2)."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from scalingplan.output import plotting  # noqa: E402
from scalingplan.catalogues.models import find_model  # noqa: E402
from scalingplan.fitting.approach2 import fit_approach2  # noqa: E402
from scalingplan.fitting.runs import read_runs  # noqa: E402
from scalingplan.laws.parametric import ParametricLaw  # noqa: E402
from scalingplan.laws.powerlaw import PowerLaw  # noqa: E402
from scalingplan.catalogues.registry import load_laws  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "chinchilla_fig4_extracted.csv"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SMALL = (4.0, 3.0)
TRUTHS = {
    "a": dict(E=1.8, A=500.0, B=2000.0, alpha=0.35, beta=0.37),
    "b": dict(E=2.0, A=300.0, B=900.0, alpha=0.30, beta=0.45),
}


def write_isoflop_csv(path: Path, truth: dict) -> Path:
    """Noise-free IsoFLOP runs under ``truth``: 4 budgets, 7 sizes each from 1/8 to 8 times the optimum."""
    law = ParametricLaw("truth", truth)
    rows = []
    for budget in (1e18, 1e19, 1e20, 1e21):
        n_opt = law.allocate(budget)[0]
        for n in n_opt * np.geomspace(1 / 8, 8, 7):
            rows.append(f"{n:.17g},{budget:.17g},{law.loss(n, budget / (6 * n)):.17g}\n")
    path.write_text("params,flops,loss\n" + "".join(rows))
    return path


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plot")
    return {key: write_isoflop_csv(folder / f"runs_{key}.csv", truth) for key, truth in TRUTHS.items()}


def png_pixels(path) -> np.ndarray:
    """The image as an (h, w, channels) float array, read back with matplotlib's own reader."""
    from matplotlib.image import imread

    assert Path(path).read_bytes()[:8] == PNG_MAGIC
    return imread(path)


def drawn_fraction(pixels) -> float:
    """Share of pixels that are not (near) white background."""
    return float(np.mean(pixels[..., :3].min(axis=2) < 0.9))


def labels(fig) -> list:
    return [(ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.get_xlabel()]


# --- library: figures ---------------------------------------------------------------------------
def test_frontier_figure_has_units_and_its_picture_depends_on_the_laws(tmp_path):
    models = [find_model(m) for m in ("chinchilla", "gopher")]
    fig = plotting.frontier_figure(load_laws(["kaplan2020", "chinchilla"]), models, 5.76e23, size=SMALL)
    assert labels(fig) == [("Training compute (FLOPs)", "Parameters"), ("Training compute (FLOPs)", "Tokens")]
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    plotting.save_figure(fig, first, dpi=40)
    plotting.save_figure(plotting.frontier_figure(load_laws(["llama3"]), [], 1e25, size=SMALL), second, dpi=40)
    a, b = png_pixels(first), png_pixels(second)
    assert drawn_fraction(a) > 0.05 and drawn_fraction(b) > 0.05
    assert a.shape == b.shape and np.mean(np.any(a != b, axis=2)) > 0.01
    texts = {t.get_text() for ax in fig.axes[:2] for t in ax.texts}
    assert {"Chinchilla", "Gopher"} <= texts


def test_frontier_curves_are_the_laws_allocations():
    law = PowerLaw("p", {"G": 0.1, "a": 0.5})
    fig = plotting.frontier_figure([law], budget=1e22, flops_range=(1e18, 1e24), size=SMALL)
    x, y = fig.axes[0].lines[0].get_data()
    assert x[0] == pytest.approx(1e18) and x[-1] == pytest.approx(1e24)
    assert np.allclose(y, 0.1 * x**0.5)
    tokens = fig.axes[1].lines[0].get_ydata()
    assert np.allclose(6 * y * tokens, x)


def test_isoflop_figure_marks_one_minimum_per_used_group(csvs, tmp_path):
    fit = fit_approach2(read_runs(csvs["a"]))
    fig = plotting.isoflop_figure(fit, size=(9, 3))
    assert [(x, y) for x, y in labels(fig)] == [
        ("Parameters", "Final loss (nats/token)"),
        ("Training compute (FLOPs)", "Parameters"),
        ("Training compute (FLOPs)", "Tokens"),
    ]
    profile = fig.axes[0]
    minima = [line for line in profile.lines if line.get_marker() == "D"]
    assert len(minima) == sum(g.used for g in fit.groups) == 4
    truth = ParametricLaw("truth", TRUTHS["a"])
    for line, group in zip(minima, fit.groups):
        # the vertex of a parabola through exact losses lies near the true optimum (grid of 7 sizes)
        assert line.get_xdata()[0] == pytest.approx(truth.allocate(group.flops)[0], rel=0.15)
    path = plotting.save_figure(fig, tmp_path / "iso.png", dpi=40)
    assert drawn_fraction(png_pixels(path)) > 0.05


def test_isoloss_figure_draws_contours_runs_and_the_frontier(csvs, tmp_path):
    runs = read_runs(csvs["a"])
    law = ParametricLaw("truth", TRUTHS["a"])
    fig = plotting.isoloss_figure(law, runs, budget=5.76e23, size=SMALL)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Training compute (FLOPs)", "Parameters")
    assert fig.axes[1].get_ylabel() == "Final loss (nats/token)"
    assert len(ax.collections[1].get_offsets()) == len(runs)
    frontier = ax.lines[0]
    assert np.allclose(frontier.get_ydata(), law.allocate(frontier.get_xdata())[0])
    paths = []
    for key in TRUTHS:
        path = tmp_path / f"loss_{key}.png"
        plotting.save_figure(plotting.isoloss_figure(ParametricLaw(key, TRUTHS[key]), runs, size=SMALL), path, 40)
        paths.append(png_pixels(path))
    assert drawn_fraction(paths[0]) > 0.05
    assert np.mean(np.any(paths[0] != paths[1], axis=2)) > 0.01


def test_save_figure_rejects_unknown_suffix(tmp_path):
    from scalingplan.errors import InputError

    with pytest.raises(InputError, match=r"\.png, \.svg or \.pdf"):
        plotting.save_figure(plotting.new_figure(1, 1), tmp_path / "x.jpeg")


# --- character plot ------------------------------------------------------------------------------
def test_frontier_text_rises_with_compute_and_names_the_laws():
    steep, flat = PowerLaw("steep", {"G": 1e-6, "a": 0.8}), PowerLaw("flat", {"G": 1.0, "a": 0.4})
    text = plotting.frontier_text([steep, flat], (1e18, 1e26), budget=1e22, width=40, height=12)
    rows = [line.split("┤", 1)[1] for line in text.splitlines() if "┤" in line]
    assert len(rows) == 12 and all(len(r) == 40 for r in rows)

    def row_of(mark, col):
        return next(i for i, r in enumerate(rows) if r[col] in (mark, "*"))

    # each law climbs left to right; the steeper one climbs by more rows
    assert row_of("1", 0) - row_of("1", 39) > row_of("2", 0) - row_of("2", 39) > 0
    assert all(r[20] in "|12*" for r in rows)  # the budget 1e22 sits mid-axis
    assert "1 steep" in text and "2 flat" in text and "budget 1.00e22 FLOPs" in text


# --- command line --------------------------------------------------------------------------------
def test_cli_frontier_writes_png_and_svg_that_depend_on_the_laws(cli, tmp_path):
    import json

    first, second, svg = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.svg"
    result = cli("plot", "frontier", "-o", first, "--dpi", 40, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["file"] == str(first) and payload["budget"]["flops"] == 5.76e23
    assert [row["law"] for row in payload["allocations"]] == ["kaplan2020", "chinchilla-1", "chinchilla-2",
                                                              "chinchilla-3"]
    assert [m["name"] for m in payload["models"]] == ["Chinchilla", "Gopher", "GPT-3", "MT-NLG 530B"]
    assert cli("plot", "frontier", "--law", "epoch2024", "--model", "none", "-o", second, "--dpi", 40).exit_code == 0
    a, b = png_pixels(first), png_pixels(second)
    assert drawn_fraction(a) > 0.05 and np.mean(np.any(a != b, axis=2)) > 0.01
    assert cli("plot", "frontier", "-o", svg).exit_code == 0
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Training compute (FLOPs)" in svg.read_text()


def test_cli_frontier_without_output_prints_the_character_plot(cli):
    result = cli("plot", "frontier", "--law", "chinchilla-3", "--flops", "1e24")
    assert result.exit_code == 0, result.output
    assert "┤" in result.stdout and "1 chinchilla-3" in result.stdout and "budget 1.00e24" in result.stdout


@pytest.mark.parametrize("args, message", [
    (("frontier", "-o", "x.jpg"), "end the name with .png, .svg or .pdf"),
    (("frontier", "--from", "1e24", "--to", "1e20"), "--to"),
    (("frontier", "--model", "gpt-5"), "unknown model"),
    (("frontier", "--law", "nope"), "unknown law"),
])
def test_cli_input_errors_are_one_line(cli, args, message):
    result = cli("plot", *args)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_isoflop_and_fit_write_images_of_their_runs(cli, csvs, tmp_path):
    import json

    images = {}
    for key in TRUTHS:
        images[key] = tmp_path / f"iso_{key}.png"
        result = cli("plot", "isoflop", csvs[key], "-o", images[key], "--dpi", 40, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["file"] == str(images[key])
    a, b = png_pixels(images["a"]), png_pixels(images["b"])
    assert drawn_fraction(a) > 0.05 and np.mean(np.any(a != b, axis=2)) > 0.01
    svg = tmp_path / "fit.svg"
    result = cli("plot", "fit", csvs["a"], "-o", svg, "--flops", "5.76e23", "--starts", "300", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key, value in TRUTHS["a"].items():
        assert payload["params"][key] == pytest.approx(value, rel=1e-3)
    assert ET.parse(svg).getroot().tag.endswith("svg") and "Parameters" in svg.read_text()


def test_cli_isoflop_on_the_chinchilla_figure4_runs(cli, tmp_path):
    out = tmp_path / "chinchilla.png"
    result = cli("plot", "isoflop", DATA, "--params-col", "Model Size", "--flops-col", "Training FLOP",
                 "-o", out, "--dpi", 40)
    assert result.exit_code == 0, result.output
    assert drawn_fraction(png_pixels(out)) > 0.05


# --- matplotlib stays optional ---------------------------------------------------------------------
def run_without_matplotlib(*args, block=True):
    """Run the CLI in a fresh interpreter (matplotlib made unimportable when ``block``); returns the
    process and whether matplotlib got imported."""
    code = ("import sys\n"
            + ("sys.modules['matplotlib'] = None\n" if block else "")
            + "from scalingplan.cli.app import main\n"
            f"sys.argv = ['scalingplan', *{[str(a) for a in args]!r}]\n"
            "try:\n    main()\nfinally:\n"
            "    sys.stderr.write('imported=%s' % isinstance(sys.modules.get('matplotlib'), type(sys)))\n")
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_without_matplotlib_plot_commands_say_how_to_install_and_exit_2(tmp_path, csvs):
    for args in (("plot", "frontier", "-o", tmp_path / "x.png"), ("plot", "isoflop", csvs["a"], "-o", tmp_path / "y.png")):
        proc = run_without_matplotlib(*args)
        assert proc.returncode == 2, proc.stderr
        message = proc.stderr.replace("imported=False", "").strip()
        assert message.count("\n") == 0 and "pip install 'scalingplan[plot]'" in message
    assert not (tmp_path / "x.png").exists()


def test_nothing_else_imports_matplotlib():
    for args in (("plot", "frontier", "--flops", "1e23"), ("allocate", "--flops", "1e23", "--json")):
        proc = run_without_matplotlib(*args, block=False)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.strip().endswith("imported=False")
