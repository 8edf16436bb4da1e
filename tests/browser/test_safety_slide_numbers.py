"""The Safety slide keeps its key numbers on the first screen (review 27e, finding 2): its key chart draws
three rows of numbers at risk (stent, medical, stent-related), which held it at the 1280x720 height
scaled, and its key numbers started at y 711 of 720 and 1104 of 1080, where a clicker cannot scroll.
It now fills the room left above its key numbers, its rows apart at no less than the stated minimum
type (10 px at 1280x720, 15 px at 1920x1080)."""

import pytest
from playwright.sync_api import Page

from pts_explorer import charts
from tests.browser.app_driver import new_context, open_page

SIZES = [(1280, 720), (1920, 1080)]


def _boxes(page: Page, selector: str) -> list[dict]:
    return page.evaluate(
        "(s) => [...document.querySelectorAll(s)].map(e => { const r = e.getBoundingClientRect();"
        " return {text: e.textContent, y: r.y, bottom: r.bottom, size: parseFloat(getComputedStyle(e).fontSize)}; })",
        selector,
    )


@pytest.mark.parametrize("size", SIZES, ids=["1280x720", "1920x1080"])
def test_safetys_key_numbers_are_on_the_first_screen(server, browser, size):
    width, height = size
    context = new_context(browser, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        open_page(page, f"{server}/safety?present=1")
        [chart] = _boxes(page, ".st-key-complication_chart")
        rows = _boxes(page, ".st-key-complication_chart g.textpoint text")  # the numbers at risk
        assert len({round(r["y"]) for r in rows}) == 3, rows  # stent, medical, stent-related
        [numbers] = _boxes(page, ".st-key-presenter_numbers p")  # the key numbers' line
        assert numbers["text"].strip(), numbers
        assert chart["y"] >= 0 and chart["bottom"] <= numbers["y"] and numbers["bottom"] <= height, (chart, numbers)
        smallest = round(charts.presenter.MIN_ROW_FONT * charts.screen_scale(width, height))
        assert min(r["size"] for r in rows) >= smallest, rows
    finally:
        context.close()
