#!/usr/bin/env python3
"""Explorer benchmark: random scalar DAGs of 100 to 10,000 ops (bench/render/gen_dag.py),
written as explorer pages by `gradviz m.json -o m.html` (release build), then opened in
headless Chromium.

For each size it prints one Markdown row:
- write: wall time of `gradviz m.json -o m.html` (load, forward, backward, Graphviz layout
  of the drawing as -o out.svg lays it out, SVG, data, page), beside `gradviz m.json -o
  m.svg` run just before it (the anchor: nearly all of both is dot's layout), and the
  file size;
- interactive: from navigation start to the end of the page's start-up, opened with a deep
  link `#node=ID` to a node in the middle of the graph (the page marks `gv-ready` with
  performance.mark once the link is answered), median of 3 loads;
- search: a search typed into the box and Enter, until the details show the node;
- frames: 60 frames of zoom and pan driven by requestAnimationFrame, median and 95th
  percentile of the frame interval (16.7 ms is 60 frames a second).

    python3 bench/explorer/run.py              # sizes 100 1000 2000 5000 10000
    python3 bench/explorer/run.py 100 1000     # chosen sizes
    GRADVIZ=path/to/gradviz python3 bench/explorer/run.py   # that binary, no build
"""
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRATCH = pathlib.Path(os.environ.get("SCRATCH", ROOT / ".build-render"))


def build():
    subprocess.run(["swift", "build", "-c", "release", "--scratch-path", str(SCRATCH), "--product", "gradviz"],
                   check=True, stdout=subprocess.DEVNULL)
    return SCRATCH / "release" / "gradviz"


def browser():
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"]:
        options.add_argument(arg)
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    service = Service("/usr/bin/chromedriver") if os.path.exists("/usr/bin/chromedriver") else Service()
    return webdriver.Chrome(options=options, service=service)


def open_page(driver, url):
    driver.get("about:blank")
    driver.get(url)
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'"))
    return driver.execute_script("return performance.getEntriesByName('gv-ready')[0].startTime")


SEARCH = """
const box = document.getElementById('gv-search');
const t0 = performance.now();
box.value = arguments[0];
box.dispatchEvent(new Event('input'));
box.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
const ms = performance.now() - t0;
return [ms, document.getElementById('gv-details').textContent.slice(0, 40)];
"""

FRAMES = """
const done = arguments[arguments.length - 1];
const viewport = document.getElementById('gv-viewport');
const times = [];
let i = 0;
function frame(t) {
  times.push(t);
  // A wheel step at the centre and a small drag, as a user zooming in while moving.
  viewport.dispatchEvent(new WheelEvent('wheel', {deltaY: i < 30 ? -20 : 20, clientX: 500, clientY: 400, bubbles: true, cancelable: true}));
  if (++i < 61) requestAnimationFrame(frame); else done(times.slice(1).map((x, j) => x - times[j]));
}
requestAnimationFrame(frame);
"""


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [100, 1000, 2000, 5000, 10000]
    binary = os.environ.get("GRADVIZ") or build()
    driver = browser()
    print("| ops | write .html (.svg) | file size | interactive (deep link answered) | search → details | frames: median / p95 |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            model = pathlib.Path(work) / f"dag{n}.json"
            with open(model, "w") as f:
                subprocess.run([sys.executable, str(ROOT / "bench/render/gen_dag.py"), str(n)], stdout=f, check=True)
            page = pathlib.Path(work) / f"dag{n}.html"
            start = time.monotonic()
            subprocess.run([str(binary), str(model), "-o", str(page.with_suffix(".svg"))], check=True, stderr=subprocess.DEVNULL)
            svg = time.monotonic() - start
            start = time.monotonic()
            subprocess.run([str(binary), str(model), "-o", str(page)], check=True, stderr=subprocess.DEVNULL)
            write = time.monotonic() - start
            middle = f"v{n // 2}"
            ready = [open_page(driver, page.as_uri() + f"#node={middle}") for _ in range(3)]
            details = driver.execute_script("return document.getElementById('gv-details').textContent")
            assert details.startswith(middle), details[:80]
            search_ms, shown = driver.execute_script(SEARCH, f"v{n // 3}")
            assert shown.startswith(f"v{n // 3}"), shown
            frames = sorted(driver.execute_async_script(FRAMES))
            p95 = frames[int(0.95 * (len(frames) - 1))]
            print(f"| {n:,} | {write:.2f} s ({svg:.2f} s) | {page.stat().st_size / 1e6:.2f} MB | {statistics.median(ready) / 1000:.2f} s "
                  f"| {search_ms:.0f} ms | {statistics.median(frames):.1f} / {p95:.1f} ms |", flush=True)
    driver.quit()


if __name__ == "__main__":
    main()
