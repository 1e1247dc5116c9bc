"""The report in a real browser: headless Chromium (Debian's chromium and chromium-driver, through
Selenium) loads the page from disk with the network off. The page draws (screenshots at 1280 and 390
pixels wide are not blank), nothing overflows sideways, no request leaves the file, the JSON parses
in the browser and the numbers it shows are allocate --json's. Without the browser these tests fail."""

import io
import shutil

import numpy as np
import pytest

from report_pages import report_and_answer

WIDTHS = (1280, 390)
NOWHERE = "http://127.0.0.1:9"
"""The discard port: every request through this proxy fails (and --host-resolver-rules resolves no name)."""


def find_browser() -> tuple:
    """(chromium, chromedriver) executables; the test fails, naming the packages, when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("headless Chromium is needed: apt-get install chromium chromium-driver "
                    f"(found chromium={chromium}, chromedriver={driver})")
    return chromium, driver


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, with the network off."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is needed: pip install -e '.[test]'")
    chromium, driver_path = find_browser()
    options = Options()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--force-device-scale-factor=1", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--proxy-server={NOWHERE}", "--proxy-bypass-list=<-loopback>",
                "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def loaded(browser, tmp_path_factory):
    """The issue's page written by `scalingplan report`, loaded in the browser; and allocate --json."""
    path, answer = report_and_answer(tmp_path_factory.mktemp("browser"))
    browser.get(path.as_uri())
    return browser, answer, path


def at_width(driver, width: int) -> None:
    """Emulate a viewport ``width`` CSS pixels wide (a phone at 390), scale 1."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    assert driver.execute_script("return document.documentElement.clientWidth") == width


def grey_pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


RESOURCES = "return performance.getEntriesByType('resource').map(e => [e.name, e.transferSize])"


def test_no_request_leaves_the_page(loaded, tmp_path):
    driver, _, path = loaded
    assert driver.execute_script("return document.readyState") == "complete"
    assert driver.execute_script(RESOURCES) == []
    # The check sees a request when there is one, and the request gets no answer.
    control = tmp_path / "control.html"
    control.write_text('<!DOCTYPE html><img src="http://example.com/x.png" alt="">')
    driver.get(control.as_uri())
    assert driver.execute_script(RESOURCES) == [["http://example.com/x.png", 0]]
    driver.get(path.as_uri())


@pytest.mark.parametrize("width", WIDTHS)
def test_page_draws_and_nothing_overflows_sideways(loaded, width):
    driver, *_ = loaded
    at_width(driver, width)
    sizes = driver.execute_script("const d = document.documentElement; return [d.scrollWidth, d.clientWidth]")
    assert sizes[0] <= sizes[1], f"horizontal overflow at {width}px: {sizes}"
    wide = driver.execute_script(
        "return [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth + 1 && !e.closest('.table-wrap, .wide')).map(e => e.tagName)")
    assert wide == []
    pixels = grey_pixels(driver.get_screenshot_as_png())
    assert pixels.shape[1] == width
    assert pixels.std() > 20, f"blank screenshot at {width}px"
    for figure in ("frontier-figure", "memory-figure"):
        shot = grey_pixels(driver.find_element("id", figure).screenshot_as_png)
        assert shot.std() > 20, f"{figure} draws nothing at {width}px"


def test_the_page_shows_allocate_json_numbers(loaded):
    driver, answer, _ = loaded
    embedded = driver.execute_script("return JSON.parse(document.getElementById('answer-json').textContent)")
    assert embedded == answer
    cells = driver.execute_script(
        "return [...document.querySelectorAll('#allocations tbody tr, #recipe-table tbody tr, #cluster-table tbody tr')]"
        ".flatMap(tr => [...tr.querySelectorAll('[data-key]')].map(td => [tr.dataset.row, td.dataset.key, "
        "td.dataset.value, td.innerText]))")
    rows = {row["law"]: row for row in answer["allocations"]}
    shown = [(law, key, value) for law, key, value, _ in cells if key in rows[law]]
    assert len(shown) >= 7 * 8
    for law, key, value in shown:
        assert float(value) == rows[law][key], (law, key)
    days = [(law, text) for law, key, _, text in cells if key == "days"]
    assert len(days) == 7 and all(text == f"{rows[law]['days']:.3g}" for law, text in days)  # 3 significant digits
    law = driver.find_element("css selector", "#answer .answer").get_attribute("data-law")
    spans = driver.execute_script("return Object.fromEntries([...document.querySelectorAll('#answer .answer "
                                  "[data-key]')].map(s => [s.dataset.key, Number(s.dataset.value)]))")
    assert spans["params"] == rows[law]["params"] and spans["tokens"] == rows[law]["tokens"]


def test_dark_mode_and_print_styles_apply(loaded):
    driver, *_ = loaded
    background = "return getComputedStyle(document.body).backgroundColor"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    dark = driver.execute_script(background)
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": [
        {"name": "prefers-color-scheme", "value": "light"}]})
    printed = driver.execute_script("return getComputedStyle(document.querySelector('.table-wrap')).overflowX")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})
    assert dark == "rgb(13, 17, 23)" and driver.execute_script(background) == "rgb(255, 255, 255)"
    assert printed == "visible"


def test_the_check_page_fits_a_phone(loaded, tmp_path):
    from pathlib import Path

    from typer.testing import CliRunner

    from scalingplan.cli.app import build_app

    driver, _, path = loaded
    plans = sorted((Path(__file__).resolve().parents[1] / "configs" / "plans").glob("*.yaml"))
    out = tmp_path / "report.html"
    result = CliRunner().invoke(build_app(["check"]), ["check", *map(str, plans), "--json", "--report", str(out)])
    assert result.exit_code == 1, result.output  # one of the example plans fails
    driver.get(out.as_uri())
    at_width(driver, 390)
    sizes = driver.execute_script("const d = document.documentElement; return [d.scrollWidth, d.clientWidth]")
    assert sizes[0] <= sizes[1]
    assert len(driver.find_elements("css selector", "section[data-file] h2 .fail")) == 1
    assert driver.execute_script(RESOURCES) == []
    driver.get(path.as_uri())
