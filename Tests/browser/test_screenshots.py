"""Screenshots of the explorer for the README, taken by the tests' own browser.

Written to $GRADVIZ_SCREENSHOTS (make screenshots: docs/images), else to a temporary
directory, so `make test` checks they can be taken without touching the repository.
"""
import os
import pathlib

from selenium.webdriver.common.by import By


def shot(page, tmp_path, name):
    out = pathlib.Path(os.environ.get("GRADVIZ_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    # Let the fonts and the transform settle.
    page.js("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    path = out / name
    page.driver.save_screenshot(str(path))
    assert path.stat().st_size > 10000
    return path


def test_screenshot_selected_node(open_page, tmp_path):
    page = open_page("mlp", "#node=h")
    page.driver.find_element(By.ID, "gv-ancestors").click()
    shot(page, tmp_path, "explorer-selected.png")


def test_screenshot_backward_step(open_page, tmp_path):
    page = open_page("neuron", "#step=2")
    shot(page, tmp_path, "explorer-step.png")


def test_screenshot_collapsed_group(open_page, tmp_path):
    page = open_page("mlp")
    page.driver.find_elements(By.CSS_SELECTOR, "#gv-groups button")[0].click()
    shot(page, tmp_path, "explorer-collapsed.png")
