"""A bar chart's legend swatches grow with the slide's type (review 27, finding 7): at 1280x720,
1920x1080 and 3840x2160 (device scale 1) the Stent and Medical swatches of Responders' and
Overview's key charts are 12 px x the screen's scale (36 px beside 54 px legend type at 4K, where
plotly alone keeps them 12 px), each whole beside its own legend text, not over it."""

import pytest

from pts_explorer import charts
from pts_explorer.charts.presenter import LEGEND_SWATCH
from tests.browser.app_driver import new_context, open_page

SCREENS = [(1280, 720), (1920, 1080), (3840, 2160)]
SLIDES = {
    "responder_chart": "responders?present=1",
    "overview_sizes": "overview?present=1",
}


@pytest.mark.parametrize("width,height", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_bar_legend_swatches_scale_with_the_type(server, browser, width, height):
    context = new_context(browser, viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    scale = charts.screen_scale(width, height)
    try:
        for key, address in SLIDES.items():
            open_page(page, f"{server}/{address}")
            entries = page.evaluate(
                """(key) => [...document.querySelectorAll(`.st-key-${key} g.legend g.traces`)].map((g) => {
                     const swatch = g.querySelector('g.legendpoints path.legendundefined');
                     const text = g.querySelector('text.legendtext');
                     if (!swatch) return null;
                     const s = swatch.getBoundingClientRect(), t = text.getBoundingClientRect();
                     return {name: text.textContent, width: s.width, height: s.height, right: s.right,
                             left: s.left, text_left: t.left, font: parseFloat(getComputedStyle(text).fontSize)};
                   }).filter((e) => e)""",
                key,
            )
            assert [e["name"] for e in entries] == ["Stent", "Medical"], (key, entries)
            swatch = round(LEGEND_SWATCH * scale)
            for entry in entries:
                assert (round(entry["width"]), round(entry["height"])) == (swatch, swatch), (key, entry)
                assert entry["font"] == charts.Sizes(scale).font, (key, entry)
                assert entry["left"] >= 0 and entry["right"] <= entry["text_left"], (key, entry)  # beside its text
    finally:
        context.close()
