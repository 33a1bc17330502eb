"""The built demo site in a real browser (headless Chromium, Debian's, driven by selenium):
every page opened from the folder draws every figure, the palette switch re-themes them, the
tables sort, nothing is logged to the console as an error, and `claimlab report --serve`
serves the same site."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest
from report_showcase import REPO, showcase
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from report.site.build import ReportResult, build_report

pytestmark = pytest.mark.slow

CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1280,1000"]
# Figures drawn: Plotly has made the container a plot and drawn at least one trace in it.
DRAWN = """
const figures = Array.from(document.querySelectorAll(".claimlab-figure"));
return {figures: figures.length,
        drawn: figures.filter(f => f.classList.contains("js-plotly-plot")
                               && f.querySelectorAll(".trace").length > 0).length};
"""
FONT_COLORS = """
return Array.from(document.querySelectorAll(".claimlab-figure.js-plotly-plot"))
            .map(f => f._fullLayout.font.color);
"""
TEXT_COLOR = """
return getComputedStyle(document.body).getPropertyValue("--md-default-fg-color").trim();
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> ReportResult:
    root = tmp_path_factory.mktemp("showcase")
    entries, results = showcase(root)
    return build_report(entries, results, root / "site", config_file=REPO / "mkdocs.yml")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    assert chromium and driver_path, "needs Debian's chromium and chromium-driver: " \
                                     "run scripts/system-deps.sh"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="claimlab-chromium-")
    for flag in [*CHROME_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def open_page(browser: webdriver.Chrome, url: str) -> dict[str, int]:
    """Load `url` and wait until Plotly has drawn what it is going to draw."""
    browser.get_log("browser")          # drop what earlier pages logged
    browser.get(url)
    WebDriverWait(browser, 20).until(
        lambda b: b.execute_script("return document.readyState") == "complete")
    with contextlib.suppress(TimeoutException):     # the caller's assertions say what is missing
        WebDriverWait(browser, 20).until(
            lambda b: (lambda s: s["figures"] == s["drawn"])(b.execute_script(DRAWN)))
    return browser.execute_script(DRAWN)


def errors(browser: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE"]


def test_every_page_draws_every_figure_without_console_errors(site, browser):
    # 404.html links its assets from the site's root, as a web host serves it for any
    # missing path: it is opened under --serve below.
    pages = sorted(p for p in site.site_dir.rglob("*.html") if p.name != "404.html")
    drawn_somewhere = 0
    for page in pages:
        state = open_page(browser, page.as_uri())
        expected = page.read_text(encoding="utf-8").count('<div class="claimlab-figure">')
        assert state == {"figures": expected, "drawn": expected}, page
        assert errors(browser) == [], page
        drawn_somewhere += expected
    claim_pages = [p for p in pages if "/claims/" in p.as_posix()]
    assert len(claim_pages) == len(site.claims) and drawn_somewhere >= 2 * len(claim_pages)


def test_switching_the_palette_recolors_the_figures(site, browser):
    page = site.site_dir / "claims" / "showcase-schedules" / "cosine-overtaken.html"
    open_page(browser, page.as_uri())
    light = browser.execute_script(FONT_COLORS)
    assert light and set(light) == {browser.execute_script(TEXT_COLOR)}

    browser.find_element(By.CSS_SELECTOR, "form[data-md-component=palette] label").click()
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return document.body.getAttribute('data-md-color-scheme')") == "slate")
    dark_text = browser.execute_script(TEXT_COLOR)
    WebDriverWait(browser, 10).until(
        lambda b: set(b.execute_script(FONT_COLORS)) == {dark_text})
    assert dark_text != light[0]
    assert errors(browser) == []


def test_runs_table_sorts_by_a_column(site, browser):
    page = site.site_dir / "claims" / "mup-lr-transfer" / "optimum-stable-under-mup.html"
    open_page(browser, page.as_uri())
    table = browser.find_elements(By.CSS_SELECTOR, "article table")[-1]
    headings = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    column = headings.index("final.val_loss")

    def values() -> list[str]:
        return [row.find_elements(By.TAG_NAME, "td")[column].text
                for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]

    table.find_elements(By.CSS_SELECTOR, "thead th")[column].click()
    ascending = values()
    numbers = [float(v) for v in ascending if v != "–"]
    assert numbers == sorted(numbers) and ascending[len(numbers):] == ["–"] * (
        len(ascending) - len(numbers))            # runs without a loss last
    table.find_elements(By.CSS_SELECTOR, "thead th")[column].click()
    assert [float(v) for v in values() if v != "–"] == sorted(numbers, reverse=True)


def test_the_site_works_under_serve(site, browser, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(site.site_dir.parent / "specs", project / "specs")
    shutil.copytree(site.site_dir.parent / "results", project / "results")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen(
        [sys.executable, "-m", "claimlab.main", "report", "--serve", "--port", "0",
         "--config", str(REPO / "mkdocs.yml")],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = None
        for line in server.stdout:
            found = re.search(r"serving the report at (http://\S+/)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the server never said where it serves"
        state = open_page(browser, url + "claims/showcase-schedules/annealing-law.html")
        assert state["figures"] == state["drawn"] == 1
        assert errors(browser) == []
        open_page(browser, url + "claims/no-such-claim.html")
        assert "404" in browser.find_element(By.TAG_NAME, "article").text
        # The missing page itself is the one error: its assets all load.
        assert [e for e in errors(browser) if "no-such-claim" not in e] == []
    finally:
        server.terminate()
        server.wait(timeout=10)
