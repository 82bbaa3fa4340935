"""End-to-end test of ``ecosim serve`` in a real browser (Debian's chromium via Playwright).

The server runs as a subprocess on a free loopback port; the test loads the page, checks that
every slider shows its value, moves a rule slider, clicks Step several times and checks that
the shown day and a plotted metric changed, that the rule change is marked on the time series
and the dashed series has a dashed legend swatch, downloads the time series (CSV) and a chart
(PNG), then plays, pauses, resets and saves a screenshot. Without chromium the test is
skipped, except under CI (``CI`` set), where a missing browser is a failure: .ci/run
installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 180.0  # s; the first start may fetch the browser assets from npm
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Small populations: the test checks behaviour, not speed.
OVERRIDES = ["consumers.n=500", "merchants.n_initial=30", "consumers.offline_preference=2"]


def _unavailable(reason: str) -> None:
    """Skip locally, fail under CI (where the environment is supposed to be complete)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium() -> str:
    """Path of Debian's chromium (Playwright's own browser download does not work here)."""
    path = shutil.which("chromium")
    if path is None:
        _unavailable("chromium not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("playwright (Python) not installed")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_serving(proc: subprocess.Popen, url: str, log: Path) -> None:
    """Poll the URL until it answers, the server dies, or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ecosim serve exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"ecosim serve did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``ecosim serve`` on a free loopback port; yields its URL; always stopped after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    cmd = [sys.executable, "-m", "ecosim", "serve", "configs/baseline.yaml",
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    for override in OVERRIDES:
        cmd += ["--set", override]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_serving(proc, url, log)
        # The command prints the URL it serves (after any asset download messages).
        assert any(line.startswith("ecosim: serving") and url in line
                   for line in log.read_text().splitlines()), log.read_text()  # fmt: skip
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _gmv_line(page) -> str:
    """The drawn GMV line: the SVG path of the GMV chart's line marks."""
    chart = page.locator(".vega-embed").filter(has_text="GMV and take rate")
    lines = chart.locator("g.mark-line path")
    return "|".join(lines.nth(i).get_attribute("d") or "" for i in range(lines.count()))


def test_served_page_steps_and_steers_the_model(server: str, chromium: str, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1300})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server, timeout=60_000)
            day = page.locator(".ecosim-day")
            expect(day).to_have_text("Day 0", timeout=60_000)

            # Move a rule slider with the keyboard, as a user would: its label shows the
            # value the server read back from the running model's config.
            slider = page.locator(".v-slider").filter(has_text="Mall commission")
            expect(slider).to_contain_text(re.compile(r"Mall commission: \d+\.\d%"))
            start = float(re.search(r"Mall commission: (\d+\.\d)%", slider.inner_text())[1])
            moved = f"Mall commission: {start + 2.0:.1f}%"
            slider.get_by_role("slider").focus()
            for _ in range(4):
                page.keyboard.press("ArrowRight")  # one step is 0.5 percentage points
            expect(slider).to_contain_text(moved, timeout=20_000)

            # SolaraViz's own sliders show their values too (on their thumbs).
            households = page.locator(".v-slider").filter(has_text="Households")
            expect(households.locator(".v-slider-thumb__label")).to_be_visible()
            expect(households.locator(".v-slider-thumb__label")).to_have_text("500")
            interval = page.locator(".v-slider").filter(has_text="Play Interval")
            expect(interval.locator(".v-slider-thumb__label")).to_have_text(re.compile(r"\d+"))

            step = page.get_by_role("button", name="Step")
            step.click()
            expect(day).to_have_text("Day 1", timeout=30_000)
            chart = page.locator(".vega-embed").filter(has_text="GMV and take rate")
            expect(chart.locator("g.mark-line path").first).to_be_attached(timeout=30_000)
            # Day 1 is legible: a point per day while the run is short.
            expect(chart.locator("g.mark-symbol path").first).to_be_attached(timeout=30_000)
            # The commission change applies from day 1: a rule-change line on every series.
            for title in ("GMV and take rate", "Employment by sector"):
                marks = page.locator(".vega-embed").filter(has_text=title)
                expect(marks.locator("g.mark-rule.role-mark line")).to_have_count(1)
            # The dashed series (take rate, right axis) has a dashed legend swatch.
            swatches = chart.locator("g.role-legend-symbol path")
            dashes = [swatches.nth(i).get_attribute("stroke-dasharray") or ""
                      for i in range(swatches.count())]  # fmt: skip
            assert sorted(dashes) == ["1,0", "5,3"], dashes  # GMV solid, take rate dashed
            page.wait_for_timeout(500)  # Vega redraws 100 ms after a new spec arrives
            before = _gmv_line(page)

            for n in range(2, 5):
                step.click()
                # Wait for each day: a click while the step runs would be ignored.
                expect(day).to_have_text(f"Day {n}", timeout=30_000)
            expect(page.locator(".ecosim-kpi").first).to_contain_text("GMV")
            # The plotted GMV line changes as the days arrive (bounded wait: Vega redraws
            # a moment after the data does).
            deadline = time.monotonic() + 20
            after = _gmv_line(page)
            while after == before and time.monotonic() < deadline:
                page.wait_for_timeout(200)
                after = _gmv_line(page)
            assert before, "the GMV chart drew no line"
            assert after != before, "the GMV line did not change after three more days"
            # The slider kept its value through the steps (the rule is the model's now).
            expect(slider).to_contain_text(moved)

            # Downloads: the run's time series as CSV, and a chart as PNG from its menu.
            with page.expect_download(timeout=30_000) as csv_download:
                page.get_by_role("button", name="Time series (CSV)").click()
            csv = Path(csv_download.value.path()).read_text().splitlines()
            assert csv_download.value.suggested_filename == "ecosim-timeseries.csv"
            assert csv[0].startswith("day,date,gmv,") and len(csv) == 1 + 4
            assert [line.split(",")[0] for line in csv[1:]] == ["1", "2", "3", "4"]
            chart.locator("details summary").click()
            with page.expect_download(timeout=30_000) as png_download:
                chart.get_by_text("Save as PNG").click()
            assert png_download.value.suggested_filename == "ecosim-gmv-and-take-rate.png"
            png = Path(png_download.value.path()).read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
            page.keyboard.press("Escape")

            # Play runs days on its own until Pause; Reset starts a new run at day 0.
            page.get_by_role("button", name="▶").click()
            expect(day).to_have_text(re.compile(r"Day ([89]|\d\d+)$"), timeout=60_000)
            page.get_by_role("button", name="❚❚").click()
            expect(step).to_be_enabled(timeout=10_000)  # Step is disabled while playing
            page.wait_for_timeout(500)  # a day already under way when Pause came may finish
            paused_at = day.inner_text()
            page.wait_for_timeout(1000)
            assert day.inner_text() == paused_at, "days kept coming after Pause"
            page.get_by_role("button", name="Reset").click()
            expect(day).to_have_text("Day 0", timeout=30_000)
            expect(slider).to_contain_text(moved)  # Reset keeps the rules
            assert not errors, errors

            shot_dir = Path(os.environ.get("ECOSIM_SCREENSHOT_DIR") or tmp_path)
            shot_dir.mkdir(parents=True, exist_ok=True)
            shot = shot_dir / "ecosim-serve.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
