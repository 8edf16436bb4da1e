"""The app served by `streamlit run`, used in Debian's Chromium as a person would."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.app_driver import act_and_wait, chips, cohort_total, first_chart_data, flip, open_page, pick_option


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/overview", "Cohort overview"),
        ("/trajectories", "Symptom and outcome trajectories"),
        ("/effects", "Treatment effects"),
        ("/subgroups", "Treatment effect by subgroup"),
        ("/responders", "Responders"),
        ("/durability", "Durability over 10 years"),
        ("/safety", "Safety and complications"),
    ],
)
def test_every_page_loads_with_a_chart(server, page, path, title):
    open_page(page, server + path)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text("Synthetic demo data")).to_be_visible()
    expect(page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first).to_be_visible()
    assert page.locator("[data-testid='stPlotlyChart'] .plot-container .trace").count() > 0
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_filter_change_updates_chart_counts_and_url(server, page):
    open_page(page, server + "/trajectories")
    before_total, before_chart = cohort_total(page), first_chart_data(page)
    pick_option(page, "Obstruction site", "Common iliac")
    assert re.search(r"[?&]site=common_iliac(&|$)", page.url)
    assert cohort_total(page) != before_total
    assert first_chart_data(page) != before_chart


def test_link_with_filters_restores_them_on_another_page(server, page):
    open_page(page, server + "/overview?site=common_iliac&grade=70-99%25&grade=occlusion&age=30&age=70")
    assert chips(page, "Obstruction site") == ["Common iliac"]
    assert chips(page, "Stenosis grade") == ["70-99%", "Occlusion"]
    total = cohort_total(page)
    act_and_wait(page, lambda: page.locator(".st-key-page_nav").get_by_text("Trajectories", exact=True).click())
    assert "/trajectories" in page.url
    for part in ("site=common_iliac", "grade=70-99%25", "grade=occlusion", "age=30", "age=70"):
        assert part in page.url
    assert chips(page, "Obstruction site") == ["Common iliac"]
    assert cohort_total(page) == total


@pytest.mark.parametrize(
    "path", ["/overview", "/trajectories", "/effects", "/subgroups", "/responders", "/durability", "/safety"]
)
def test_empty_cohort_is_shown_as_such(server, page, path):
    open_page(page, server + path + "?study=TRIAL&grade=%3C50%25")
    expect(page.get_by_text("No patients match the current filters")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_registry_toggle_on_effects_is_kept_in_the_link(server, page):
    open_page(page, server + "/effects?site=common_iliac")
    expect(page.get_by_text("Randomized comparison")).to_be_visible()
    flip(page, "Include observational (registry) patients")
    assert "registry=True" in page.url and "site=common_iliac" in page.url
    expect(page.get_by_text("Baseline imbalance the adjustment has to handle")).to_be_visible()


def test_how_this_was_computed_shows_sql_and_python(server, page):
    open_page(page, server + "/effects")
    page.get_by_text("How this was computed").first.click()
    expect(page.get_by_text("duckdb.connect").first).to_be_visible()
    expect(page.get_by_text("list_contains($site::VARCHAR[], obstruction_site)").first).to_be_visible()


def test_durability_endpoint_change_redraws_the_curves(server, page):
    open_page(page, server + "/durability?group=stenosis_grade")
    before = first_chart_data(page)
    box = page.get_by_test_id("stSelectbox").filter(has_text="Endpoint")
    box.click()
    act_and_wait(page, lambda: page.get_by_role("option", name="Secondary patency").click())
    assert "endpoint=secondary_patency" in page.url and "group=stenosis_grade" in page.url
    assert first_chart_data(page) != before


def test_durability_cohort_without_eligible_patients(server, page):
    open_page(page, server + "/durability?arm=medical&endpoint=secondary_patency")
    expect(page.get_by_text("Nobody in this cohort is eligible for secondary patency")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
