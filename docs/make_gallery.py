"""Regenerate the figure gallery: docs/img/*.png and docs/gallery.md.

Run from the repository root with the plot and test extras installed (and Debian's chromium and
chromium-driver, for the screenshots of `scalingplan report`):
    python docs/make_gallery.py [path/to/chinchilla_fig4_extracted.csv]
The IsoFLOP and IsoLoss figures need the digitised Chinchilla Figure 4 runs (columns 'Model Size',
'Training FLOP', 'loss'); without the file only the frontier figures are made.
"""

import sys
from pathlib import Path

from scalingplan.output import plotting
from scalingplan.catalogues.models import find_model
from scalingplan.fitting.approach2 import fit_approach2
from scalingplan.fitting.approach3 import fit_approach3
from scalingplan.fitting.runs import exclude, read_runs
from scalingplan.catalogues.registry import load_laws
from scalingplan.output.render import human_count, sci

DOCS = Path(__file__).resolve().parent
IMAGES = DOCS / "img"
DEFAULT_DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "chinchilla_fig4_extracted.csv"
DPI = 110

FIGURE1 = dict(laws=["kaplan2020", "chinchilla"], models=["chinchilla", "gopher", "gpt-3", "mt-nlg"],
               budget=5.76e23)
RECENT = dict(laws=["chinchilla-3", "epoch2024", "deepseek2024", "llama3"],
              models=["llama-65b", "llama-2-70b", "llama-3.1-405b"], budget=3.8e25)


def frontier(spec, name):
    fig = plotting.frontier_figure(load_laws(spec["laws"]), [find_model(m) for m in spec["models"]],
                                   spec["budget"])
    plotting.save_figure(fig, IMAGES / name, DPI)


REPORT = ["--flops", "5.8e23", "--gpu", "h100", "--count", "512", "-o", "plan.html"]


def shrink(path: Path) -> None:
    """Rewrite a screenshot PNG with a 256-colour palette: a page of text and flat figures loses
    nothing visible and the file a good part of its size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def report_screenshots() -> None:
    """img/report.png (the whole page, 1280 px wide) and img/report-phone.png (the first screen of a
    390 px phone) of `scalingplan report REPORT`, drawn by headless Chromium (Debian chromium and
    chromium-driver) through selenium, with the network off."""
    import shutil
    import subprocess
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["scalingplan", "report", *REPORT], cwd=folder, check=True)
        options = Options()
        options.binary_location = shutil.which("chromium")
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            for name, width, whole in (("report.png", 1280, True), ("report-phone.png", 390, False)):
                metrics = {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": width < 600}
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
                driver.get((Path(folder) / "plan.html").as_uri())
                if whole:
                    metrics["height"] = driver.execute_script("return document.documentElement.scrollHeight")
                    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
                driver.save_screenshot(str(IMAGES / name))
                shrink(IMAGES / name)
        finally:
            driver.quit()


def main(data: Path) -> None:
    IMAGES.mkdir(exist_ok=True)
    frontier(FIGURE1, "frontier.png")
    frontier(RECENT, "frontier-recent.png")
    report_screenshots()
    text = plotting.frontier_text(load_laws(FIGURE1["laws"]), budget=FIGURE1["budget"])
    sections = [
        "# Gallery",
        "",
        "Figures made by `scalingplan plot` and `scalingplan report`; regenerate them with",
        "`python docs/make_gallery.py` (needs `pip install -e '.[test,plot]'` and Debian's chromium",
        "and chromium-driver for the report's screenshots).",
        "",
        "## The frontier of the laws (`scalingplan plot frontier`)",
        "",
        "`scalingplan plot frontier -o frontier.png` with its defaults redraws Hoffmann et al. 2022,",
        "Figure 1: the compute-optimal model size (left) and training tokens (right) projected by",
        "Kaplan et al. 2020 and the three Chinchilla approaches, from 1e17 to 1e26 FLOPs; stars mark",
        "Chinchilla, Gopher, GPT-3 and MT-NLG 530B at their 6ND compute; the dashed line is the",
        "Gopher budget of 5.76e23 FLOPs, with each law's optimum on it. Kaplan's curve counts",
        "non-embedding parameters.",
        "",
        "![Frontier of kaplan2020 and the Chinchilla approaches](img/frontier.png)",
        "",
        "Later laws against the models trained after them:",
        "`scalingplan plot frontier --law chinchilla-3 --law epoch2024 --law deepseek2024 --law llama3",
        "--model llama-65b --model llama-2-70b --model llama-3.1-405b --flops 3.8e25 -o frontier-recent.png`",
        "(3.8e25 FLOPs is the Llama 3.1 405B budget).",
        "",
        "![Frontier of recent laws](img/frontier-recent.png)",
        "",
        "Without `-o`, the command prints the frontier with characters:",
        "",
        "```text",
        text,
        "```",
    ]
    sections += [
        "",
        "## A plan to share (`scalingplan report`)",
        "",
        f"`scalingplan report {' '.join(REPORT)}` writes one self-contained HTML file: the",
        "recommended plan first with the spread across the laws, warnings, the laws side by side with",
        "their frontier, the training recipe, the cluster (memory per GPU and where the step time goes),",
        "the sources and the command, and the `allocate --json` answer embedded as data. Here as",
        "headless Chromium draws it, 1280 pixels wide (the whole page) and on a 390-pixel phone",
        "(the first screen; tables and the frontier scroll sideways inside the page).",
        "",
        "![The report of 5.8e23 FLOPs on 512 H100s](img/report.png)",
        "",
        "![The same report on a phone](img/report-phone.png)",
    ]
    if data.exists():
        options = dict(params_col="Model Size", flops_col="Training FLOP")
        runs = read_runs(data, **options)
        iso = fit_approach2(runs)
        plotting.save_figure(plotting.isoflop_figure(iso), IMAGES / "isoflop.png", DPI)
        kept = exclude(runs, drop_highest_loss=5)
        fit = fit_approach3(kept)
        plotting.save_figure(plotting.isoloss_figure(fit.law, kept, budget=5.76e23), IMAGES / "isoloss.png", DPI)
        used = sum(g.used for g in iso.groups)
        n_opt = float(fit.law.allocate(5.76e23)[0])
        sections += [
            "",
            "## IsoFLOP profiles of your runs (`scalingplan plot isoflop`)",
            "",
            f"The {len(runs)} runs digitised from Hoffmann et al. 2022, Figure 4, drawn as their Figure 3:",
            "`scalingplan plot isoflop chinchilla_fig4_extracted.csv --params-col 'Model Size'",
            "--flops-col 'Training FLOP' -o isoflop.png`. Left: loss against parameters, one colour per",
            "IsoFLOP group (budgets within 0.1 decade), each group's parabola in log N and its minimum (◆);",
            f"{used} of {len(iso.groups)} groups give a minimum inside the sizes they trained. Middle and",
            f"right: the minima and the power laws fitted to them, N_opt ∝ C^{iso.a:.2f} and",
            f"D_opt ∝ C^{iso.b:.2f}. These digitised runs are not the paper's IsoFLOP runs, so the groups",
            "are uneven; the exponents are still close to Approach 2 in the paper (Table 2: a = 0.49, b = 0.51).",
            "",
            "![IsoFLOP profiles of the Chinchilla Figure 4 runs](img/isoflop.png)",
            "",
            "## IsoLoss contours of a fitted law (`scalingplan plot fit`)",
            "",
            "`scalingplan plot fit chinchilla_fig4_extracted.csv --params-col 'Model Size' --flops-col",
            "'Training FLOP' --drop-highest-loss 5 --flops 5.76e23 -o isoloss.png` fits",
            "L = E + A/N^α + B/D^β (Approach 3) and draws it as Hoffmann et al. 2022, Figure 4 (left):",
            "contours of equal loss in the (FLOPs, parameters) plane, the runs coloured by their loss",
            "on the same scale, and the efficient frontier through the tips of the contours. Fitted:",
            f"E = {fit.constants['E']:.3g}, A = {fit.constants['A']:.4g}, B = {fit.constants['B']:.4g},",
            f"α = {fit.constants['alpha']:.3g}, β = {fit.constants['beta']:.3g}; at {sci(5.76e23)} FLOPs",
            f"the frontier gives {human_count(n_opt)} parameters.",
            "",
            "![IsoLoss contours of the Approach 3 fit](img/isoloss.png)",
        ]
    (DOCS / "gallery.md").write_text("\n".join(sections) + "\n", encoding="utf-8")
    print(f"wrote {DOCS / 'gallery.md'} and {', '.join(sorted(p.name for p in IMAGES.glob('*.png')))}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA)
