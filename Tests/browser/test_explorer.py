"""The explorer in a real browser: the samples open cleanly and offline, search, deep
links, stepping, collapsing, and hostile model text."""
import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import SAMPLES


@pytest.mark.parametrize("name", [m.stem for m in SAMPLES] + ["check-swish_wrong_backward", "check-swish_fixed_backward"])
def test_sample_opens_offline_without_errors(open_page, name):
    page = open_page(name)
    assert page.console == [], f"console messages: {page.console}"
    # The page itself is the only thing loaded: no script, style, font or image from anywhere.
    assert len(page.requests) <= 1 and all(url.startswith("file://") for url in page.requests), page.requests
    assert page.js("return document.querySelectorAll('#gv-canvas svg g.node').length") > 0
    assert page.js("return performance.getEntriesByType('resource').length") == 0
    csp = page.js("return document.querySelector('meta[http-equiv=Content-Security-Policy]').content")
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp


def test_search_finds_a_node_and_enter_selects_it(open_page):
    page = open_page("mlp")
    box = page.driver.find_element(By.ID, "gv-search")
    box.send_keys("z2")
    matches = page.driver.find_elements(By.CSS_SELECTOR, "#gv-matches li")
    assert matches and matches[0].text.startswith("z2")
    box.send_keys(Keys.ENTER)
    assert page.details().startswith("z2")
    assert "matmul" in page.details()
    assert page.js("return location.hash") == "#node=z2"
    assert page.js("return document.getElementById('node-z2').classList.contains('gv-selected')")
    # A label finds its node too (W₂ is the label of W2).
    box.clear()
    box.send_keys("W₂")
    assert page.driver.find_elements(By.CSS_SELECTOR, "#gv-matches li")[0].text.startswith("W₂")


def test_node_deep_link_shows_value_gradient_and_edges(open_page):
    page = open_page("add_mul", "#node=q")
    text = page.details()
    assert text.startswith("q")
    assert "q = 3" in text and "gradient ∂objective/∂q = -4" in text
    assert "sends back to x (local ∂q/∂x = 1) = -4" in text
    assert "local gradient: " in text
    assert page.js("return document.getElementById('node-q').classList.contains('gv-selected')")


def test_step_deep_links_follow_the_engine(open_page):
    # L = (x + y)·z at x = -2, y = 5, z = -4.
    page = open_page("add_mul", "#step=1")
    text = page.details()
    assert "step 1 of 2: L" in text
    assert "L sends -4 to q and 3 to z." in text
    assert "receives its seed 1" in text
    assert "downstream = upstream × local = 1 × -4 = -4" in text
    assert "downstream = upstream × local = 1 × 3 = 3" in text
    page = open_page("add_mul", "#step=2")
    text = page.details()
    assert "step 2 of 2: q" in text
    assert "q sends -4 to x and -4 to y." in text
    assert "upstream gradient ∂objective/∂q = -4" in text


def test_arrow_keys_step_and_the_fragment_follows(open_page):
    page = open_page("add_mul")
    page.key(Keys.ARROW_RIGHT)
    assert "step 1 of 2: L" in page.details() and page.js("return location.hash") == "#step=1"
    page.key(Keys.ARROW_RIGHT)
    assert "step 2 of 2: q" in page.details() and page.js("return location.hash") == "#step=2"
    assert page.js("return document.getElementById('node-q').classList.contains('gv-current')")
    page.key(Keys.ARROW_LEFT)
    assert "step 1 of 2: L" in page.details()
    page.driver.find_element(By.ID, "gv-next").click()
    assert page.js("return location.hash") == "#step=2"


def test_sum_accumulates_term_by_term(open_page):
    # In the fan-out reference x is used three times: each step adds one term to its Σ.
    page = open_page("residual")
    steps = page.js("return JSON.parse(document.getElementById('gv-data').textContent).backward.length")
    seen = []
    for k in range(1, steps + 1):
        page.js(f"location.hash = '#step={k}'")
        seen += re.findall(r"Σ at \S+: (\d+) of (\d+) terms so far", page.details())
    assert seen, "no Σ shown while stepping"
    assert any(a == b for a, b in seen) and any(a != b for a, b in seen)


def test_forward_steps(open_page):
    page = open_page("add_mul", "#fstep=1")
    text = page.details()
    assert "Forward pass · step 1 of 2: q" in text and "a = x = -2" in text and "q = 3" in text


def test_collapse_and_expand_a_group(open_page):
    page = open_page("mlp")
    assert page.js("return document.querySelectorAll('.gv-collapsed').length") == 0
    buttons = page.driver.find_elements(By.CSS_SELECTOR, "#gv-groups button")
    assert [b.text for b in buttons][:2] == ["⊟ layer1", "⊟ layer2"]
    buttons[0].click()
    assert page.js("return document.getElementById('node-z1').classList.contains('gv-hidden')")
    assert page.js("return document.querySelector('.gv-collapsed:not(.gv-hidden)').textContent").startswith("⊞ layer1")
    assert "layer1" in page.details() and "collapsed" in page.details()
    # Edges inside the group are hidden, edges into it from outside are not.
    assert page.js("return document.getElementById('f-a1-0').classList.contains('gv-hidden')")
    assert not page.js("return document.getElementById('f-z2-0').classList.contains('gv-hidden')")
    # Clicking the collapsed box expands it again.
    page.driver.find_element(By.CSS_SELECTOR, ".gv-collapsed:not(.gv-hidden)").click()
    assert not page.js("return document.getElementById('node-z1').classList.contains('gv-hidden')")
    # Selecting a node in a collapsed group (search, deep link, step) opens the group.
    page.driver.find_element(By.ID, "gv-collapse-all").click()
    page.js("location.hash = '#node=h'")
    assert not page.js("return document.getElementById('node-h').classList.contains('gv-hidden')")


def test_check_report_shows_analytic_numeric_and_why(open_page):
    page = open_page("check-swish_wrong_backward", "#node=h")
    text = page.details()
    assert "Gradient check" in text and "FAIL" in text and "Failed:" in text and "The worst, at [2]: analytic -0.515743 vs numeric -0.638699" in text
    assert "analytic" in text and "numeric" in text
    page = open_page("check-swish_wrong_backward")
    assert "3 failed" in page.details()


def test_hostile_labels_are_text_and_run_nothing(open_page):
    page = open_page("hostile")
    assert page.console == [], page.console
    assert page.js("return window.__gvAlerts") == []
    assert page.js("return document.querySelectorAll('img, iframe, b, script:not([id=gv-data]):not(:last-of-type)').length") == 0
    assert page.js("return document.scripts.length") == 2
    assert page.js("return document.title").startswith("</script><script>alert(1)</script>")
    box = page.driver.find_element(By.ID, "gv-search")
    box.send_keys("<img")
    box.send_keys(Keys.ENTER)
    assert page.details().startswith("<img src=x onerror=alert(1)>")
    assert "<script>alert(2)</script>" in page.details()
    page = open_page("hostile", "#node=L")
    assert "\"'><iframe src=javascript:alert(5)>" in page.details()
    assert "&lt;script&gt; & &amp;" in page.details()
    page.driver.find_element(By.ID, "gv-collapse-all").click()
    assert page.js("return document.querySelector('.gv-collapsed').textContent").startswith("⊞ <b onmouseover=alert(3)>grp")
    assert page.js("return window.__gvAlerts") == []
    assert page.js("return document.querySelectorAll('img, iframe, b').length") == 0


def test_views_themes_and_highlighting(open_page):
    page = open_page("neuron", "#node=v")
    page.driver.find_element(By.ID, "gv-ancestors").click()
    lit = page.js("return [...document.querySelectorAll('g.node.gv-lit')].map(e => e.id)")
    assert {"node-v", "node-u", "node-w", "node-x", "node-b"} <= set(lit) and "node-y" not in lit
    page.driver.find_element(By.ID, "gv-theme").click()
    assert page.js("return document.body.classList.contains('gv-dark')")
    page.js("const s = document.getElementById('gv-edges'); s.value = 'forward'; s.dispatchEvent(new Event('change'))")
    assert page.js("return getComputedStyle(document.querySelector('g.edge.backward')).display") == "none"
    assert page.js("return getComputedStyle(document.querySelector('g.edge.forward')).display") != "none"


def test_zoom_and_fit(open_page):
    page = open_page("lstm")
    before = page.js("return document.getElementById('gv-canvas').style.transform")
    page.key("+")
    after = page.js("return document.getElementById('gv-canvas').style.transform")
    assert before != after
    page.key("0")
    assert page.js("return document.getElementById('gv-canvas').style.transform") == before


def test_works_inside_an_iframe(browser, pages, tmp_path):
    frame = tmp_path / "frame.html"
    frame.write_text(f'<!DOCTYPE html><title>docs</title><iframe id="f" width="1000" height="600" src="{pages("add_mul")}#step=2"></iframe>')
    browser.get(frame.as_uri())
    browser.switch_to.frame(browser.find_element(By.ID, "f"))
    try:
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(browser, 10).until(lambda d: d.execute_script("return document.body && document.body.dataset.ready === 'true'"))
        assert "q sends -4 to x and -4 to y." in browser.execute_script("return document.getElementById('gv-details').textContent")
    finally:
        browser.switch_to.default_content()


def test_large_tensors_say_they_are_summarised(open_page):
    page = open_page("large_tensor", "#node=w")
    text = page.details()
    assert "Summarised: 5000 elements, more than the 4096 the file keeps per tensor" in text
    assert "shape 100×50 · min 0 · mean 2500 · max 4999" in text
    rows = page.js("return document.querySelectorAll('#gv-details .gv-elements')[0].children.length")
    assert rows == 4096 // 50 + 1


def test_drag_pans_wheel_zooms_and_a_click_selects_an_edge(open_page):
    from selenium.webdriver.common.action_chains import ActionChains
    page = open_page("neuron")
    viewport = page.driver.find_element(By.ID, "gv-viewport")
    before = page.js("return document.getElementById('gv-canvas').style.transform")
    ActionChains(page.driver).move_to_element_with_offset(viewport, 10, 10).click_and_hold().move_by_offset(120, 40).release().perform()
    dragged = page.js("return document.getElementById('gv-canvas').style.transform")
    assert dragged != before and dragged.split("scale")[1] == before.split("scale")[1], "a drag moves, it does not zoom"
    page.js("document.getElementById('gv-viewport').dispatchEvent(new WheelEvent('wheel', {deltaY: -200, clientX: 300, clientY: 300, bubbles: true, cancelable: true}))")
    zoomed = page.js("return document.getElementById('gv-canvas').style.transform")
    scale = lambda t: float(t.split("scale(")[1].rstrip(")"))
    assert scale(zoomed) > scale(dragged)
    label = page.driver.find_element(By.CSS_SELECTOR, "#b-v-1 text")
    label.click()
    assert page.details().startswith("b → v (b)")
    assert "gradient along this edge" in page.details()
    assert page.js("return location.hash") == "#edge=b-v-1"


def test_folded_nodes_are_found_stepped_and_say_so(open_page):
    page = open_page("chain-folded")
    assert "folds 45 nodes into one box" in page.details()
    box = page.driver.find_element(By.ID, "gv-search")
    box.send_keys("x")
    box.send_keys(Keys.ENTER)
    assert page.js("return location.hash") == "#node=x"
    assert "Not in the drawing" in page.details()
    page.js("location.hash = '#node=v2'")
    text = page.details()
    assert "Not in the drawing" in text and "gradient ∂objective/∂v2 = " in text
    steps = page.js("return JSON.parse(document.getElementById('gv-data').textContent).backward.length")
    page.js(f"location.hash = '#step={steps}'")
    assert f"step {steps} of {steps}" in page.details() and "Not in the drawing" in page.details()
    assert page.console == []


def test_pinch_zooms_and_keys_pan(open_page):
    page = open_page("lstm")
    scale = lambda: float(page.js("return document.getElementById('gv-canvas').style.transform").split("scale(")[1].rstrip(")"))
    before = scale()
    touch = lambda kind, points: page.driver.execute_cdp_cmd("Input.dispatchTouchEvent", {
        "type": kind, "touchPoints": [{"x": x, "y": 400, "id": i} for i, x in enumerate(points)]})
    touch("touchStart", [450, 550])
    for spread in range(1, 11):
        touch("touchMove", [450 - 15 * spread, 550 + 15 * spread])
    touch("touchEnd", [])
    assert scale() > 1.5 * before, "two fingers moving apart zoom in"
    shifted = page.js("return document.getElementById('gv-canvas').style.transform")
    page.key(Keys.ARROW_UP)
    assert page.js("return document.getElementById('gv-canvas').style.transform") != shifted
    page.key("0")
    assert abs(scale() - before) < 1e-9


def test_structure_folded_summaries_say_what_they_hold(open_page):
    page = open_page("lstm-folded")
    assert "into 1 summary box (⊞: t2 … t3 ×2)" in page.details()
    page.js("location.hash = '#node=c3'")
    text = page.details()
    assert "Not in the drawing: folded into ⊞ t2 … t3 ×2 (like t1, 13 ops each); --expand t2 draws it." in text
    assert "gradient ∂objective/∂c3: shape" in text
    assert page.js("return document.getElementById('folded-1').classList.contains('gv-selected')"), "the box holding it is selected"
    page.driver.find_element(By.ID, "gv-fit").click()
    page.driver.find_element(By.ID, "folded-1").click()
    text = page.details()
    assert text.startswith("⊞ t2 … t3 ×2") and "Draw its inside with --expand t2." in text
    assert "repeated structure: 2 instances folded into one box" in text
    page.driver.find_element(By.CSS_SELECTOR, "#b-W-folded-1 text").click()
    text = page.details()
    assert text.startswith("W → ⊞ t2 … t3 ×2") and "gradient along this edge: the sum over its uses inside" in text
    assert "Its uses inside" in text and "Σ at W" in text
    steps = page.js("return JSON.parse(document.getElementById('gv-data').textContent).backward.length")
    page.js(f"location.hash = '#step={steps}'")
    assert f"step {steps} of {steps}" in page.details()
    assert page.console == []


def test_search_finds_a_folded_box_by_its_title(open_page):
    page = open_page("lstm-folded")
    box = page.driver.find_element(By.ID, "gv-search")
    box.send_keys("t2 …")
    matches = page.driver.find_elements(By.CSS_SELECTOR, "#gv-matches li")
    assert matches and matches[0].text.startswith("t2 … t3 ×2") and "folded box" in matches[0].text
    box.send_keys(Keys.ENTER)
    text = page.details()
    assert text.startswith("⊞ t2 … t3 ×2") and "Draw its inside with --expand t2." in text
    assert page.js("return document.getElementById('folded-1').classList.contains('gv-selected')")
    # Anywhere in the title, not only at its start.
    box.clear()
    box.send_keys("×2")
    assert page.driver.find_elements(By.CSS_SELECTOR, "#gv-matches li")[0].text.startswith("t2 … t3 ×2")
    box.clear()
    box.send_keys("no such box")
    box.send_keys(Keys.ENTER)
    assert page.details().startswith("No match") and "folded box" in page.details()
    assert page.console == []
