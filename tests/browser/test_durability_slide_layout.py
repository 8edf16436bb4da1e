"""The Durability slide at 1280x720 (review 27, finding 5): the y-axis title of a cumulative
incidence ("Recurrent DVT, cumulative incidence") stays beside its panel, below the legend,
instead of running up into the legend row; the note naming the group not drawn is on the chart."""

from playwright.sync_api import Page

from tests.browser.app_driver import new_context, open_page

SLIDE = "durability?study=TRIAL&site=ivc&endpoint=freedom_from_recurrent_dvt&present=1"


def _rect(page: Page, selector: str) -> dict:
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }",
        selector,
    )


def test_the_y_axis_title_stays_below_the_legend_at_1280x720(server, browser):
    context = new_context(browser, viewport={"width": 1280, "height": 720}, device_scale_factor=1)
    page = context.new_page()
    try:
        open_page(page, f"{server}/{SLIDE}")
        chart = ".st-key-km_chart"
        legend, title = _rect(page, f"{chart} g.legend"), _rect(page, f"{chart} g.g-ytitle")
        assert title["top"] >= legend["bottom"], (title, legend)
        notes = page.locator(f"{chart} g.annotation-text-g").all_text_contents()
        assert notes == ["Not drawn, fewer than 5 patients: Stent"], notes
    finally:
        context.close()
