""" "More filters" in Chromium (issue 28, item 2): a person adds the centre filter from the sidebar's
"More filters", picks a centre; the address carries it, a chip names it, and the page counts the
patients of that centre, recounted here from the contract table. A fresh browser given that address
opens the same cohort."""

import duckdb
from playwright.sync_api import Page, expect

from pts_explorer.config import DUCKDB_CONFIG
from tests.browser.app_driver import act_and_wait, counted, new_context, open_page, query


def _pick(page: Page, box: str, option) -> None:
    """Pick an option of a sidebar multiselect named by its label (the combobox's name)."""
    field = page.get_by_role("combobox", name=box, exact=True)
    field.scroll_into_view_if_needed()
    field.click()
    if field.get_attribute("aria-expanded") != "true":
        field.press("ArrowDown")
    act_and_wait(page, lambda: page.get_by_role("option", name=option).click())
    page.keyboard.press("Escape")


def _chosen(page: Page, key: str) -> list[str]:
    """The chosen options of the multiselect of widget key `key`, whole ("RC01 (65)")."""
    return [t.strip() for t in page.locator(f".st-key-{key} [data-tag] span[title]").all_inner_texts()]


def test_a_centre_added_from_more_filters_filters_the_cohort(server, page: Page, demo_db, browser):
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)  # as the session's other handles
    centre, patients = con.execute(
        "SELECT center_id, count(*) FROM patients GROUP BY center_id ORDER BY center_id LIMIT 1"
    ).fetchone()
    con.close()
    open_page(page, server + "/overview")
    _pick(page, "More filters", "Centre")
    _pick(page, "Centre", counted(centre))
    assert query(page) == {"center": [centre]}
    assert _chosen(page, "center") == [f"{centre} ({patients:,})"]
    expect(page.get_by_role("button", name=f"Centre {centre} ×")).to_be_visible()
    shown = page.get_by_test_id("stMetric").filter(has_text="Patients").get_by_test_id("stMetricValue")
    assert shown.inner_text() == f"{patients:,}"
    # The address, in a fresh browser: the same cohort, the filter shown in the panel.
    fresh = new_context(browser)
    other = fresh.new_page()
    open_page(other, page.url)
    again = other.get_by_test_id("stMetric").filter(has_text="Patients").get_by_test_id("stMetricValue")
    assert again.inner_text() == f"{patients:,}"
    assert _chosen(other, "center") == [f"{centre} ({patients:,})"]
    fresh.close()
