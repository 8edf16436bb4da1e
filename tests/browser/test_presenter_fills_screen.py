"""A slide fills the screen (issue 27, item 6): at 1280x720, 1920x1080 and 3840x2160 (device scale
1) the key chart is whole on the screen under the presenter line and takes the room the page
leaves it, its type is at least the size charts/presenter.py states for that screen, and the key
numbers stand under it on the same screen in the presenter line's type."""

import pytest
from playwright.sync_api import Page

from pts_explorer import charts
from pts_explorer.config import ANALYSIS_PAGES
from tests.browser.app_driver import new_context, open_page

SCREENS = [(1280, 720), (1920, 1080), (3840, 2160)]
PAGES = [p for p in ANALYSIS_PAGES if p.name in ("effects", "subgroups", "durability")]  # a plain chart, a
# forest of 26 rows (its row labels shrink to the stated minimum), numbers at risk drawn as text
FILLS = 0.85  # of the room under what the page puts above the chart, above the key numbers


@pytest.fixture(scope="module", params=SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def screen_page(browser, request):
    width, height = request.param
    context = new_context(browser, viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


def _box(page: Page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box


def _bottom(page: Page, selector: str) -> float:
    return page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().bottom", selector)


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_the_key_chart_fills_the_slide_in_type_scaled_to_the_screen(server, screen_page: Page, spec):
    page = screen_page
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    sizes = charts.Sizes(charts.screen_scale(width, height))
    open_page(page, f"{server}/{spec.name}?present=1&{spec.example}")
    line, chart = _box(page, ".st-key-presenter_line"), _box(page, f".st-key-{spec.key_chart}")
    numbers = _box(page, ".st-key-presenter_numbers")
    numbers_bottom = max(numbers["y"] + numbers["height"], _bottom(page, ".st-key-presenter_numbers p"))
    # whole on the screen, under the presenter line, the key numbers under it on the same screen
    assert line["y"] + line["height"] <= chart["y"], (line, chart)
    assert chart["y"] + chart["height"] <= numbers["y"] and numbers_bottom <= height, (chart, numbers_bottom)
    room = height - chart["y"] - (numbers_bottom - numbers["y"])  # under what the page puts above the chart
    assert chart["height"] >= FILLS * room, (chart, numbers, room)
    # the chart's type: ticks, labels, legend, numbers at risk, as the SVG draws them
    fonts = page.evaluate(
        "(key) => [...document.querySelectorAll(`.st-key-${key} svg text`)]"
        ".filter(t => t.textContent.trim()).map(t => [t.textContent, parseFloat(getComputedStyle(t).fontSize)])",
        spec.key_chart,
    )
    assert fonts, spec.name
    stated = sizes.min_row if spec.name == "subgroups" else sizes.ticks  # only a crowded axis is smaller
    assert min(size for _, size in fonts) >= stated, sorted(fonts, key=lambda f: f[1])[:3]
    title = max(size for _, size in fonts)
    assert title == sizes.title, (title, sizes.title)
    # the presenter line's and the key numbers' type: 1.15 rem, the rem 16 px at 1280x720 scaled alike
    for box in (".st-key-presenter_words p", ".st-key-presenter_numbers p"):
        size = page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize)", box)
        assert size == pytest.approx(1.15 * 16 * sizes.scale, abs=0.5), (box, size)
