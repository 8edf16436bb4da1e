"""Presenter mode and the HTML report in Chromium: every page's key chart whole in the first screen
at projector sizes, no sidebar, the cohort line; a report that opens offline with its charts."""

import pytest
from playwright.sync_api import Page, expect

from pts_explorer.config import ANALYSIS_PAGES
from tests.browser.app_driver import act_and_wait, new_context, open_page, path, query, wait_idle

SIZES = [(1280, 720), (1920, 1080)]


@pytest.fixture
def sized_page(browser, request):
    width, height = request.param
    context = new_context(browser, viewport={"width": width, "height": height})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("sized_page", SIZES, indirect=True, ids=["1280x720", "1920x1080"])
def test_every_page_in_presenter_mode_shows_its_key_chart_whole(server, sized_page: Page, tmp_path):
    height = sized_page.viewport_size["height"]
    for spec in ANALYSIS_PAGES:
        open_page(sized_page, f"{server}/{spec.name}?present=1&site=common_iliac&site=femoral&{spec.example}")
        box = sized_page.locator(f".st-key-{spec.key_chart}").bounding_box()
        assert box is not None, spec.name
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, (spec.name, box, height)  # no scrolling
        expect(sized_page.get_by_test_id("stSidebar")).to_be_hidden()
        expect(sized_page.locator(".st-key-presenter_line")).to_contain_text(spec.title)
        sized_page.screenshot(path=str(tmp_path / f"present_{spec.name}.png"))


def test_next_keeps_presenter_mode_and_exit_returns_to_the_analyst_view(server, page: Page):
    open_page(page, f"{server}/overview?present=1&site=femoral")
    act_and_wait(page, lambda: page.get_by_role("link", name="Trajectories").click())
    assert path(page) == "/trajectories" and query(page)["present"] == ["1"] and query(page)["site"] == ["femoral"]
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    act_and_wait(page, lambda: page.get_by_role("link", name="Exit presenter view").click())
    assert "present" not in query(page) and query(page)["site"] == ["femoral"]
    expect(page.get_by_test_id("stSidebar")).to_be_visible()


def test_the_present_button_opens_presenter_mode(server, page: Page):
    open_page(page, f"{server}/trajectories")
    act_and_wait(page, lambda: page.get_by_role("link", name="Present").click())
    assert query(page)["present"] == ["1"]
    expect(page.locator(".st-key-presenter_line")).to_be_visible()


def test_the_html_report_opens_offline_with_its_charts(server, browser, page: Page, tmp_path):
    open_page(page, f"{server}/overview")
    page.get_by_role("button", name="Export").click()
    act_and_wait(page, lambda: page.get_by_role("button", name="Prepare exports").click())
    report_button = page.get_by_role("button", name="Report (HTML)")
    if not report_button.is_visible():  # the menu stays open after the redraw, or opens again
        page.get_by_role("button", name="Export").click()
    with page.expect_download(timeout=60_000) as download:
        report_button.click()
    report = tmp_path / "report.html"
    download.value.save_as(report)
    context = new_context(browser, offline=True)
    offline = context.new_page()
    requests: list[str] = []
    offline.on(
        "request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None
    )
    offline.goto(report.as_uri())
    offline.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    assert offline.locator(".js-plotly-plot").count() == 1  # the Overview's chart, interactive
    expect(offline.get_by_text("Synthetic data.")).to_be_visible()
    assert requests == []  # nothing fetched: the report is self-contained
    context.close()
    wait_idle(page)
