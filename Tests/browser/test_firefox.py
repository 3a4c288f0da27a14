"""The explorer in Firefox (Debian's firefox-esr, headless), driven over WebDriver BiDi,
which Firefox speaks itself (no geckodriver): the samples open from file:// with no
console message, no load of anything (the page's policy blocks and reports any attempt:
a preload script records the violations) and no prompt; deep links and steps answer,
hostile text runs nothing, groups collapse."""
import json
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import websocket

from conftest import SAMPLES

FIREFOX = shutil.which("firefox-esr") or shutil.which("firefox")
pytestmark = pytest.mark.skipif(FIREFOX is None, reason="Firefox is not installed (scripts/setup.sh --browser-tests installs firefox-esr)")


class BiDi:
    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="gradviz-firefox-")
        self.process = subprocess.Popen([FIREFOX, "--headless", "--no-remote", "--profile", self.profile,
                                         "--remote-debugging-port", str(port), "about:blank"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/session", timeout=30, suppress_origin=True)
                break
            except (ConnectionError, OSError, websocket.WebSocketException):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        self.next_id = 0
        self.events = []
        self.call("session.new", {"capabilities": {}})
        self.call("session.subscribe", {"events": ["log.entryAdded", "browsingContext.userPromptOpened"]})
        # Before any script of the page: record policy violations (every blocked load) and
        # any alert, confirm or prompt.
        self.call("script.addPreloadScript", {"functionDeclaration": """() => {
            window.__gv = {violations: [], alerts: []};
            document.addEventListener('securitypolicyviolation', e => window.__gv.violations.push(e.violatedDirective + ' ' + e.blockedURI));
            for (const name of ['alert', 'confirm', 'prompt']) window[name] = m => window.__gv.alerts.push(String(m));
        }"""})
        self.context = self.call("browsingContext.getTree", {})["contexts"][0]["context"]

    def call(self, method, params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert message["type"] == "success", message
                return message["result"]
            self.events.append(message)

    def open(self, url):
        self.call("browsingContext.navigate", {"context": self.context, "url": "about:blank", "wait": "complete"})
        self.events = []
        self.call("browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"})
        deadline = time.monotonic() + 20
        while self.js("document.body && document.body.dataset.ready") != "true":
            assert time.monotonic() < deadline, "the page never became ready"
            time.sleep(0.05)

    def js(self, expression):
        result = self.call("script.evaluate", {"expression": expression, "target": {"context": self.context}, "awaitPromise": False})
        assert result["type"] == "success", result
        return result["result"].get("value")

    def close(self):
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            self.process.wait(timeout=20)
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def firefox():
    bidi = BiDi()
    yield bidi
    bidi.close()


def problems(bidi):
    """Console messages, loads of anything but the page itself (made or blocked), and
    prompts."""
    out = [("resource", name) for name in json.loads(bidi.js("JSON.stringify(performance.getEntriesByType('resource').map(e => e.name))"))]
    out += [("blocked", v) for v in json.loads(bidi.js("JSON.stringify(window.__gv.violations)"))]
    out += [("alert", a) for a in json.loads(bidi.js("JSON.stringify(window.__gv.alerts)"))]
    for e in bidi.events:
        method = e.get("method")
        if method == "log.entryAdded":
            out.append(("console", e["params"].get("level"), e["params"].get("text")))
        elif method == "browsingContext.userPromptOpened":
            out.append(("prompt", e["params"].get("message")))
    return out


def test_samples_open_in_firefox(firefox, pages):
    for name in [m.stem for m in SAMPLES] + ["check-swish_wrong_backward", "hostile"]:
        url = pages(name)
        firefox.open(url)
        assert problems(firefox) == [], name
        assert firefox.js("document.querySelectorAll('#gv-canvas svg g.node').length") > 0, name


def test_deep_links_steps_and_collapse_in_firefox(firefox, pages):
    firefox.open(pages("add_mul") + "#step=1")
    assert "L sends -4 to q and 3 to z." in firefox.js("document.getElementById('gv-details').textContent")
    firefox.js("document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}))")
    assert "q sends -4 to x and -4 to y." in firefox.js("document.getElementById('gv-details').textContent")
    assert firefox.js("location.hash") == "#step=2"
    firefox.open(pages("mlp") + "#node=h")
    assert firefox.js("document.getElementById('gv-details').textContent").startswith("h")
    firefox.js("document.getElementById('gv-collapse-all').click()")
    assert firefox.js("document.getElementById('node-z1').classList.contains('gv-hidden')") is True
    assert firefox.js("document.querySelector('.gv-collapsed:not(.gv-hidden)').textContent").startswith("⊞ layer1")
    assert problems(firefox) == []


def test_hostile_text_runs_nothing_in_firefox(firefox, pages):
    url = pages("hostile") + "#node=x"
    firefox.open(url)
    assert firefox.js("document.getElementById('gv-details').textContent").startswith("<img src=x onerror=alert(1)>")
    assert firefox.js("String(document.querySelectorAll('img, iframe, b').length)") == "0"
    assert problems(firefox) == []
