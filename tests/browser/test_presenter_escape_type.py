"""Review 27c, finding 3: Escape from presenter mode at 1920x1080 (or 3840x2160) left the analyst page's chart
with the slide's type: title 24 px, axis titles 21, ticks 18 in the analyst's 400 px chart (48/42/36 at 4K),
where the page opened fresh draws 16/14/12. The slide's screen style (ui/screen.css: the rem grows with the
screen) stayed in the page while its analyst run drew the chart, whose type Streamlit's chart theme takes from
the rem when it is drawn. The analyst run now replaces that style at its start (ui/screen.py, mount)."""

from playwright.sync_api import Page, expect

from tests.browser.app_driver import new_context, open_page, settle

FONTS = """(key) => {
  const size = (node) => node ? getComputedStyle(node).fontSize : null;
  const chart = document.querySelector(`.st-key-${key}`);
  return {
    title: size(chart.querySelector(".gtitle")),
    every: [...chart.querySelectorAll("svg text")].filter((t) => t.textContent.trim())
      .map((t) => `${t.textContent.trim()}: ${size(t)}`),
  };
}"""


def _fonts(page: Page) -> dict:
    """The key chart's title's type, and every text of the chart with its type."""
    page.wait_for_selector(".st-key-km_chart .gtitle", timeout=120_000)
    return page.evaluate(FONTS, "km_chart")


def test_escape_leaves_the_analyst_chart_in_its_own_type(server, browser):
    context = new_context(browser, viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    try:
        page = context.new_page()
        open_page(page, f"{server}/durability?present=1")
        expect(page.locator(".st-key-presenter_line")).to_have_count(1)
        page.keyboard.press("Escape")
        expect(page.locator(".st-key-presenter_line")).to_have_count(0, timeout=120_000)
        settle(page)
        left = _fonts(page), page.url
        fresh = context.new_page()
        open_page(fresh, page.url)
        opened = _fonts(fresh), fresh.url
    finally:
        context.close()
    assert left == opened
    assert opened[0]["title"] == "16px"  # Streamlit's chart theme at 16 px to the rem
