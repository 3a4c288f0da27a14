"""Browser tests of the explorer (gradviz MODEL -o graph.html) in headless Chromium.

One browser for the whole session; the pages are written once by the gradviz binary
(GRADVIZ, default .build/debug/gradviz) into a temporary directory.
"""
import json
import os
import pathlib
import subprocess

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "samples").glob("*.json"))
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"


def gradviz_binary():
    return os.environ.get("GRADVIZ", str(ROOT / ".build" / "debug" / "gradviz"))


@pytest.fixture(scope="session")
def pages(tmp_path_factory):
    """Writes an explorer page for every sample, the check reports and the fixtures;
    returns a function from a name to the page's file:// URL."""
    out = tmp_path_factory.mktemp("explorer")
    written = {}

    def write(name, args):
        path = out / (name + ".html")
        result = subprocess.run([gradviz_binary()] + args + ["-o", str(path)], capture_output=True, text=True)
        assert path.exists(), f"gradviz {' '.join(args)} wrote nothing: {result.stderr}"
        written[name] = path.as_uri()

    for model in SAMPLES:
        write(model.stem, [str(model)])
    for model in ["swish_wrong_backward", "swish_fixed_backward"]:
        write("check-" + model, ["check", str(ROOT / "samples" / (model + ".json"))])
    for model in FIXTURES.glob("*.json"):
        write(model.stem, [str(model)])
    # Drawings folded as large ones are (--max-nodes): by structure (the LSTM's steps t2
    # and t3 are like t1) and, without groups, by distance from the outputs.
    write("lstm-folded", [str(ROOT / "samples" / "lstm.json"), "--max-nodes", "30"])
    write("chain-folded", [str(FIXTURES / "chain.json"), "--max-nodes", "20"])
    return lambda name: written[name]


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,900", "--allow-file-access-from-files"]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    chromium = "/usr/bin/chromium"
    if os.path.exists(chromium):
        options.binary_location = chromium
    service = Service("/usr/bin/chromedriver") if os.path.exists("/usr/bin/chromedriver") else Service()
    driver = webdriver.Chrome(options=options, service=service)
    # Any alert the page might raise is recorded instead of shown (CDP scripts run
    # before the page's own and are not subject to its CSP).
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__gvAlerts = [];
        for (const name of ['alert', 'confirm', 'prompt']) window[name] = (m) => { window.__gvAlerts.push(String(m)); };
    """})
    yield driver
    driver.quit()


class Page:
    """An opened explorer page, with what the browser logged while opening it."""

    def __init__(self, driver, url):
        self.driver = driver
        driver.get_log("browser")
        driver.get_log("performance")
        # A fresh document even when only the fragment differs from the current URL.
        driver.get("about:blank")
        driver.get(url)
        WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'"))
        self.console = [e for e in driver.get_log("browser")]
        self.requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def details(self):
        return self.driver.execute_script("return document.getElementById('gv-details').textContent")

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def key(self, key):
        from selenium.webdriver.common.action_chains import ActionChains
        ActionChains(self.driver).send_keys(key).perform()


@pytest.fixture
def open_page(browser, pages):
    return lambda name, fragment="": Page(browser, pages(name) + fragment)
