"""Settings stay put across pages, and browser Back/Forward restore what was shown before."""

from playwright.sync_api import expect

from tests.browser.app_driver import act_and_wait, choose, flip, go_to, open_page, path, query, selected


def _shows(page, where: str, **expected: str) -> None:
    assert path(page) == where, page.url
    for label, value in expected.items():
        assert selected(page, label.replace("_", " ").capitalize()) == value, (where, label)


def test_settings_survive_navigation_and_back_restores_each_state(server, page):
    open_page(page, server + "/effects")
    choose(page, "Visit", "Month 12")
    choose(page, "Outcome", "VCSS")
    _shows(page, "/effects", visit="Month 12", outcome="VCSS")
    assert query(page) == {"visit": ["12"], "outcome": ["vcss"]}

    go_to(page, "Subgroups")
    _shows(page, "/subgroups", visit="Month 12", outcome="VCSS")
    assert query(page) == {"visit": ["12"], "outcome": ["vcss"]}

    go_to(page, "Responders")
    _shows(page, "/responders", visit="Month 12")
    assert query(page)["visit"] == ["12"]

    go_to(page, "Effects")
    _shows(page, "/effects", visit="Month 12", outcome="VCSS")

    go_to(page, "Trajectories")
    _shows(page, "/trajectories", outcome="VCSS")
    act_and_wait(page, lambda: page.get_by_role("radio", name="Change from baseline").click())
    choose(page, "Outcome", "VEINES-QOL")
    assert query(page) == {"visit": ["12"], "outcome": ["veines_qol"], "scale": ["change"]}

    go_to(page, "Effects")
    _shows(page, "/effects", visit="Month 12", outcome="VEINES-QOL")  # the outcome is shared by both pages

    act_and_wait(page, page.go_back)
    _shows(page, "/trajectories", outcome="VEINES-QOL")
    expect(page.get_by_role("radio", name="Change from baseline")).to_be_checked()
    assert query(page) == {"visit": ["12"], "outcome": ["veines_qol"], "scale": ["change"]}

    act_and_wait(page, page.go_back)
    _shows(page, "/trajectories", outcome="VCSS")  # before the outcome was changed there
    expect(page.get_by_role("radio", name="Change from baseline")).to_be_checked()
    assert query(page) == {"visit": ["12"], "outcome": ["vcss"], "scale": ["change"]}

    act_and_wait(page, page.go_forward)
    _shows(page, "/trajectories", outcome="VEINES-QOL")


def test_trajectory_settings_are_restored_after_a_trip_to_another_page(server, page):
    open_page(page, server + "/trajectories?outcome=veines_qol&scale=change&patients=25")
    go_to(page, "Effects")
    go_to(page, "Trajectories")
    _shows(page, "/trajectories", outcome="VEINES-QOL")
    expect(page.get_by_role("radio", name="Change from baseline")).to_be_checked()
    assert query(page)["patients"] == ["25"]


def test_a_visit_the_analysis_set_does_not_have_is_changed_visibly(server, page):
    # Effects opened with the registry fits the repeated-measures model to 10 years of registry
    # visits first (2 s since the model works on each visit pattern's sums; 90-215 s on a busy
    # machine before, which outlasted the wait for the page to settle).
    open_page(page, server + "/effects?registry=True&visit=120")
    _shows(page, "/effects", visit="Month 120")
    flip(page, "Include observational (registry) patients")
    expect(page.get_by_text("changed from Month 120 to Month 6")).to_be_visible()
    _shows(page, "/effects", visit="Month 6")
    assert "visit" not in query(page) and "registry" not in query(page)


def test_a_visit_left_at_its_default_stays_there_across_pages(server, page):
    """Trajectories -> Effects -> Subgroups and on to Responders with the visit never touched:
    month 6 throughout, no visit in the address, and the forest plot names month 6."""
    open_page(page, server + "/trajectories?site=common_iliac")
    for title, where in (("Effects", "/effects"), ("Subgroups", "/subgroups"), ("Responders", "/responders")):
        go_to(page, title)
        _shows(page, where, visit="Month 6")
        assert query(page) == {"site": ["common_iliac"]}, where
        if where == "/subgroups":
            heading = page.locator(".js-plotly-plot .gtitle")
            heading.first.wait_for(state="attached")  # drawn by plotly.js after the run
            titles = [t.strip() for t in heading.all_text_contents()]
            assert titles == ["Adjusted treatment effect on Villalta total at month 6 by subgroup"]


def test_menu_and_buttons_have_names_without_icon_text(server, page):
    """Screen readers hear "Trajectories", not "show_chart Trajectories" (icons are aria-hidden)."""
    open_page(page, server + "/overview?site=femoral")
    for title in ("Overview", "Trajectories", "Effects", "Subgroups", "Responders", "Durability", "Safety"):
        expect(page.get_by_role("link", name=title, exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Reset filters", exact=True)).to_have_count(1)
    expect(page.get_by_role("button", name="Femoral ×", exact=True)).to_have_count(1)


def test_a_chip_removes_its_filter_and_the_link_states_the_view(server, page):
    open_page(page, server + "/overview?site=femoral&site=common_iliac")
    act_and_wait(page, lambda: page.get_by_role("button", name="Femoral ×", exact=True).click())
    assert query(page) == {"site": ["common_iliac"]}
    page.get_by_role("button", name="Link").click()
    address = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").locator("code").inner_text()
    assert address.strip() == f"{server}/overview?site=common_iliac"
