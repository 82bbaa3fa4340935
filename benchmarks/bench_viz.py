"""Benchmark of the browser app (not a test): time of one simulated day plus the redraw.

Target (docs/visualization.md): at the default scale (configs/baseline.yaml: 10^4 households,
200 stores) a step plus redraw takes at most 300 ms, so Play looks live.

Two measurements, medians over ``--steps`` days after ``--warmup`` days:

* ``server``: the app rendered in this process with ``solara.render``; each sample is one
  click on SolaraViz's Step button: ``model.step()`` and the re-render of every view (the
  network, the time series, the shares and the table, down to the widget updates sent to
  the browser). The day alone is timed too, so ``redraw = click - step``.
* ``browser`` (``--browser``): ``ecosim serve`` in a subprocess and Debian's chromium; each
  sample runs from the click on Step to the new day on the page (round trip through the
  websocket), and to the GMV chart's line being redrawn by Vega (which waits 100 ms after
  new data before drawing, by design of Solara's chart widget).

``--screenshot PATH`` (with ``--browser``) saves the page after the measured days, e.g. for
the README: ``--browser --warmup 60 --screenshot docs/img/app.png``.

The machine is shared: the load average is printed with the results.

Usage:
    .venv/bin/python benchmarks/bench_viz.py [--steps 30] [--warmup 5] [--browser]
        [--screenshot PATH] [--config configs/baseline.yaml] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

__all__ = ["main"]

TARGET_MS = 300.0
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def _summary(name: str, samples: list[float]) -> str:
    ms = sorted(1000 * s for s in samples)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return f"{name:<28} median {statistics.median(ms):7.1f} ms   p90 {p90:7.1f}   max {ms[-1]:7.1f}"


def bench_server(config: str, overrides: list[str], steps: int, warmup: int) -> float:
    """Click Step in an in-process render of the app; returns the median click time (s)."""
    import ipyvuetify as v
    import solara

    from ecosim.viz.app import EcosimApp, create_model
    from ecosim.viz.controls import AppSettings

    model = solara.reactive(create_model(AppSettings(config, tuple(overrides))))
    _, rc = solara.render(solara.AppLayout(children=[EcosimApp(model=model)]), handle_error=False)
    button = rc.find(v.Btn, children=["Step"]).widget
    step_times: list[float] = []
    inner_step = model.value.step

    def timed_step() -> None:
        t0 = time.perf_counter()
        inner_step()
        step_times.append(time.perf_counter() - t0)

    model.value.step = timed_step  # times the day inside the click
    for _ in range(warmup):
        button.click()
    step_times.clear()
    clicks: list[float] = []
    for _ in range(steps):
        t0 = time.perf_counter()
        button.click()
        clicks.append(time.perf_counter() - t0)
    rc.close()
    redraw = [c - s for c, s in zip(clicks, step_times, strict=True)]
    print(f"server (in-process), {steps} days from day {warmup}:")
    print("  " + _summary("step + redraw", clicks))
    print("  " + _summary("  of which step", step_times))
    print("  " + _summary("  of which redraw", redraw))
    return statistics.median(clicks)


# Click Step, then resolve [ms to the new day's text, ms to a changed GMV line] (10 ms polls).
_STEP_AND_WAIT = """
async (dayText) => {
  const line = () => {
    const charts = [...document.querySelectorAll('.vega-embed')]
      .filter((e) => e.textContent.includes('GMV and take rate'));
    const p = charts.length ? charts[0].querySelector('g.mark-line path') : null;
    return p ? p.getAttribute('d') : null;
  };
  const before = line();
  const button = [...document.querySelectorAll('button')]
    .find((b) => b.textContent.trim() === 'Step');
  const t0 = performance.now();
  button.click();
  const until = (ok) => new Promise((resolve, reject) => {
    const start = performance.now();
    const poll = () => {
      if (ok()) { resolve(performance.now() - t0); return; }
      if (performance.now() - start > 30000) { reject(new Error('timeout')); return; }
      setTimeout(poll, 10);
    };
    poll();
  });
  const tDay = await until(() => document.querySelector('.ecosim-day')?.textContent === dayText);
  const tChart = await until(() => { const d = line(); return d !== null && d !== before; });
  return [tDay, tChart];
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_browser(
    config: str, overrides: list[str], steps: int, warmup: int, screenshot: str | None
) -> float:
    """Click Step in chromium on a served page; returns the median time to the new day (s)."""
    from playwright.sync_api import expect, sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium not found (apt-get install chromium)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [sys.executable, "-m", "ecosim", "serve", config, "--port", str(port)]
    for o in overrides:
        cmd += ["--set", o]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("ecosim serve did not start")
            try:
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                         args=CHROMIUM_ARGS)  # fmt: skip
            page = browser.new_page(viewport={"width": 1600, "height": 1640})
            page.goto(url, timeout=60_000)
            day = page.locator(".ecosim-day")
            expect(day).to_have_text("Day 0", timeout=60_000)
            to_day: list[float] = []
            to_chart: list[float] = []
            for n in range(1, warmup + steps + 1):
                # Timed inside the page (performance.now), from the click to the new day's
                # text and to the redrawn GMV line, so Playwright's own latency is left out.
                t_day, t_chart = page.evaluate(_STEP_AND_WAIT, f"Day {n}")
                if n > warmup:
                    to_day.append(t_day / 1000)
                    to_chart.append(t_chart / 1000)
            print(f"browser (chromium, websocket), {steps} days from day {warmup}:")
            print("  " + _summary("click -> new day shown", to_day))
            print("  " + _summary("click -> chart redrawn", to_chart))
            if screenshot:
                page.wait_for_timeout(1500)  # let every chart finish drawing
                Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=screenshot, full_page=True)
                print(f"screenshot: {screenshot}")
            browser.close()
        return statistics.median(to_day)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print medians; exit 1 if the server median misses the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/baseline.yaml")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--steps", type=int, default=30, help="measured days (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="days before measuring")
    parser.add_argument("--browser", action="store_true", help="also measure in chromium")
    parser.add_argument("--screenshot", help="with --browser: save the page here at the end")
    args = parser.parse_args(argv)
    os.chdir(REPO)
    print(f"config {args.config} {' '.join(args.set)}; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores; target: step + redraw <= {TARGET_MS:.0f} ms")  # fmt: skip
    median = bench_server(args.config, args.set, args.steps, args.warmup)
    if args.browser:
        bench_browser(args.config, args.set, args.steps, args.warmup, args.screenshot)
    ok = 1000 * median <= TARGET_MS
    print(f"step + redraw median {1000 * median:.1f} ms: {'within' if ok else 'OVER'} target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
