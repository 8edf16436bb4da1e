"""The Candidate page in Chromium: a profile typed into the form is written to the address, and that
address, opened in a fresh browser context, reopens the same profile and the same numbers."""

from playwright.sync_api import Page, expect

from tests.browser.app_driver import act_and_wait, new_context, open_page, query


def _numbers(page: Page) -> dict[str, str]:
    """The metrics and the estimates table as the page shows them."""
    metrics = page.get_by_test_id("stMetric")
    shown = {}
    for i in range(metrics.count()):
        label = metrics.nth(i).get_by_test_id("stMetricLabel").inner_text().strip()
        shown[label] = metrics.nth(i).get_by_test_id("stMetricValue").inner_text().strip()
    return shown


def test_a_shared_candidate_link_reopens_the_same_profile_and_numbers(server, browser, page: Page, tmp_path):
    open_page(page, f"{server}/candidate?c_site=common_iliac&c_stenosis=100&c_ulcer=yes")
    expect(page.get_by_role("heading", name="Patients like this: Common iliac, 100% (Occlusion)")).to_be_visible()
    page.get_by_test_id("stExpander").filter(has_text="Profile:").locator("summary").click()
    villalta = page.get_by_role("spinbutton", name="Villalta", exact=True)
    villalta.fill("17")
    act_and_wait(page, lambda: villalta.press("Enter"))
    age = page.get_by_role("spinbutton", name="Age, years")
    age.fill("45")
    act_and_wait(page, lambda: age.press("Enter"))
    assert query(page)["c_villalta"] == ["17"] and query(page)["c_age"] == ["45"]
    expect(
        page.get_by_role("heading", name="Patients like this: Common iliac, 100% (Occlusion); Villalta 17")
    ).to_be_visible()
    first = _numbers(page)
    assert first["Stent − medical change at month 12"].startswith("-")
    page.screenshot(path=str(tmp_path / "candidate_top.png"))
    link = page.url

    fresh = new_context(browser, viewport={"width": 1400, "height": 1000}).new_page()
    open_page(fresh, link)
    assert _numbers(fresh) == first
    assert query(fresh) == query(page)
    expect(
        fresh.get_by_role("heading", name="Patients like this: Common iliac, 100% (Occlusion); Villalta 17")
    ).to_be_visible()
    fresh.context.close()


def test_an_impossible_profile_in_the_address_is_explained(server, page: Page):
    open_page(page, f"{server}/candidate?c_stenosis=140&c_age=12&c_site=femoral")
    expect(page.get_by_text("Stenosis 140% is not possible")).to_be_visible()
    expect(page.get_by_text("Age 12 years is not possible")).to_be_visible()
    expect(page.get_by_role("heading", name="Patients like this: Femoral")).to_be_visible()
