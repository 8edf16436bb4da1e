"""Saved cohorts in Chromium against real servers: save from the sidebar, reopen by the short link in
a fresh browser context after the server restarted, rename and delete on the Saved cohorts page,
two sessions saving at the same moment, and a cohort opened on another dataset saying so."""

import pytest
from playwright.sync_api import Page, expect

from pts_explorer import workspace
from tests.browser.app_driver import (
    act_and_wait,
    chips,
    choose,
    new_context,
    open_page,
    open_saved_cohorts,
    pick_option,
    query,
    wait_idle,
)
from tests.browser.conftest import serving


@pytest.fixture
def space_file(tmp_path):
    return tmp_path / "workspace.sqlite"


def _fresh(browser) -> Page:
    return new_context(browser, viewport={"width": 1400, "height": 1000}).new_page()


def _save(page: Page, name: str, note: str = "") -> None:
    open_saved_cohorts(page)
    page.get_by_label("Save these filters as").fill(name)
    if note:
        page.get_by_label("Note (optional)").fill(note)
    act_and_wait(page, lambda: page.get_by_role("button", name="Save", exact=True).click())


def test_save_then_reopen_by_link_after_a_restart_in_a_fresh_context(demo_db, browser, space_file, tmp_path):
    with serving(demo_db, space_file) as url:
        page = _fresh(browser)
        open_page(page, f"{url}/overview")
        pick_option(page, "Obstruction site", "Common iliac")
        pick_option(page, "Stenosis grade", "Occlusion")
        _save(page, "Occluded common iliac", "the seed's question")
        expect(page.get_by_text("Saved as Occluded common iliac")).to_be_visible()
        [saved] = workspace.Workspace(space_file).cohorts()
        assert query(page) == {"cohort": [saved.slug]}
        page.screenshot(path=str(tmp_path / "saved_cohort_sidebar.png"))
        page.context.close()
    with serving(demo_db, space_file) as url:  # a new server process: nothing held in memory
        page = _fresh(browser)
        open_page(page, f"{url}/trajectories?cohort={saved.slug}")
        assert chips(page, "Obstruction site") == ["Common iliac"]
        assert chips(page, "Stenosis grade") == ["Occlusion"]
        expect(page.locator(".st-key-active_filters")).to_contain_text("Occluded common iliac")
        expect(page.get_by_text("the seed's question").first).to_be_visible()
        assert query(page) == {"cohort": [saved.slug]}
        page.context.close()


def test_two_sessions_saving_at_the_same_moment_both_succeed(demo_db, browser, space_file):
    with serving(demo_db, space_file) as url:
        pages = [_fresh(browser), _fresh(browser)]
        for i, page in enumerate(pages):
            open_page(page, f"{url}/overview?sex={'female' if i else 'male'}")
            open_saved_cohorts(page)
            page.get_by_label("Save these filters as").fill(f"Session {i}")
        for page in pages:  # both clicks before either run ends
            page.get_by_role("button", name="Save", exact=True).click()
        for i, page in enumerate(pages):
            expect(page.get_by_text(f"Saved as Session {i}")).to_be_visible(timeout=30_000)
        saved = {c.name: c.query for c in workspace.Workspace(space_file).cohorts()}
        assert saved == {"Session 0": {"sex": ["male"]}, "Session 1": {"sex": ["female"]}}
        for page in pages:
            page.context.close()


def test_rename_and_delete_on_the_saved_cohorts_page(demo_db, browser, space_file, tmp_path):
    space = workspace.Workspace(space_file)
    kept = space.save("Femoral", {"site": ["femoral"]}, "demo", "x", {"stent": 1})
    gone = space.save("Ulcer", {"ulcer": ["yes"]}, "demo", "x", {"stent": 1})
    with serving(demo_db, space_file) as url:
        page = _fresh(browser)
        open_page(page, f"{url}/cohorts")
        page.get_by_label("Name", exact=True).fill("Femoral vein")
        act_and_wait(page, lambda: page.get_by_role("button", name="Save name and note").click())
        assert space.get(kept.slug).name == "Femoral vein"
        # The save reruns the page (st.rerun): a second run replaces the widgets after the first ended.
        # Done means the picker shows the new name.
        expect(page.get_by_role("combobox", name="Cohort", exact=True)).to_have_value("Femoral vein")
        wait_idle(page)
        page.screenshot(path=str(tmp_path / "saved_cohorts_page.png"), full_page=True)

        choose(page, "Cohort", "Ulcer")
        act_and_wait(page, lambda: page.get_by_text("Yes, delete Ulcer").click())
        act_and_wait(page, lambda: page.get_by_role("button", name="Delete").click())
        assert space.get(gone.slug) is None and [c.name for c in space.cohorts()] == ["Femoral vein"]

        open_page(page, f"{url}/overview?cohort={gone.slug}")  # its old link
        expect(page.get_by_text(f"No saved cohort is called {gone.slug}")).to_be_visible()
        page.context.close()


def test_a_cohort_opened_on_another_dataset_says_so(demo_db, small_db, browser, space_file):
    with serving(demo_db, space_file) as url:
        page = _fresh(browser)
        open_page(page, f"{url}/overview?site=femoral")
        _save(page, "Femoral on the demo")
        [saved] = workspace.Workspace(space_file).cohorts()
        page.context.close()
    with serving(small_db, space_file) as url:
        page = _fresh(browser)
        open_page(page, f"{url}/overview?cohort={saved.slug}")
        wait_idle(page)
        expect(page.get_by_text("Femoral on the demo was saved on other data")).to_be_visible()
        assert chips(page, "Obstruction site") == ["Femoral"]
        page.context.close()


def test_the_report_of_a_saved_cohort_carries_its_name_and_note(demo_db, browser, space_file, tmp_path):
    saved = workspace.Workspace(space_file).save(
        "Occluded femoral", {"site": ["femoral"], "grade": ["occlusion"]}, "demo", "", {}, note="Ask about C6"
    )
    with serving(demo_db, space_file) as url:
        page = _fresh(browser)
        open_page(page, f"{url}/overview?cohort={saved.slug}")
        page.get_by_role("button", name="Export").click()
        act_and_wait(page, lambda: page.get_by_role("button", name="Prepare exports").click())
        report_button = page.get_by_role("button", name="Report (HTML)")
        if not report_button.is_visible():
            page.get_by_role("button", name="Export").click()
        with page.expect_download(timeout=60_000) as download:
            report_button.click()
        report = tmp_path / "report.html"
        download.value.save_as(report)
        text = report.read_text(encoding="utf-8")
        assert "<b>Cohort:</b> Occluded femoral: Femoral; Occlusion" in text
        assert "<b>Note:</b> Ask about C6" in text
        page.context.close()


def test_two_people_editing_one_note_and_paging_through_61_cohorts(demo_db, browser, space_file, tmp_path):
    """Ann and Ben open the same cohort; Ann saves her note first; Ben's save is refused with Ann's
    text beside his, and he saves his over it deliberately. Then Ben pages to the last page."""
    import json

    space = workspace.Workspace(space_file)
    target = space.save("A femoral", {"site": ["femoral"]}, "demo", "x", {"stent": 1}, note="original")
    others = [{"name": f"Cohort {i:02d}", "query": {"sex": ["female" if i % 2 else "male"]}} for i in range(60)]
    space.import_json(json.dumps({"pts_saved_cohorts": 1, "cohorts": others}))
    with serving(demo_db, space_file) as url:
        ann, ben = (new_context(browser, viewport={"width": 1280, "height": 720}).new_page() for _ in range(2))
        for page in (ann, ben):
            open_page(page, f"{url}/cohorts")
        ann.get_by_label("Note", exact=True).fill("Ann's note")
        act_and_wait(ann, lambda: ann.get_by_role("button", name="Save name and note").click())
        assert space.get(target.slug).note == "Ann's note"

        ben.get_by_label("Note", exact=True).fill("Ben's note")
        act_and_wait(ben, lambda: ben.get_by_role("button", name="Save name and note").click())
        conflict = ben.get_by_text("'A femoral' was changed by someone else")
        expect(conflict).to_be_visible()
        expect(ben.get_by_text("Note: Ann's note", exact=True)).to_be_visible()
        expect(ben.get_by_text("Note: Ben's note", exact=True)).to_be_visible()
        assert (space.get(target.slug).note, space.get(target.slug).version) == ("Ann's note", 2)
        alert = ben.get_by_test_id("stAlert").filter(has_text="changed by someone else")
        alert.evaluate("e => e.scrollIntoView({block: 'center'})")  # the message, both texts and the buttons
        wait_idle(ben)
        ben.screenshot(path=str(tmp_path / "saved_cohorts_conflict.png"))

        act_and_wait(ben, lambda: ben.get_by_role("button", name="Save mine over theirs").click())
        expect(conflict).to_have_count(0)
        assert (space.get(target.slug).note, space.get(target.slug).version) == ("Ben's note", 3)

        pager = ben.get_by_label("Page (of 3)")
        pager.fill("3")
        act_and_wait(ben, lambda: pager.press("Enter"))
        expect(ben.get_by_text("Saved cohorts 51-61 of 61, by name.", exact=True)).to_be_visible()
        expect(ben.get_by_role("combobox", name="Cohort", exact=True)).to_have_value(
            "Cohort 49"
        )  # after A femoral and Cohort 00-48
        ben.evaluate("window.scrollTo(0, 0)")
        ben.locator("[data-testid='stMain']").evaluate("e => e.scrollTo(0, 0)")
        wait_idle(ben)
        ben.screenshot(path=str(tmp_path / "saved_cohorts_paging.png"))
        for page in (ann, ben):
            page.context.close()
