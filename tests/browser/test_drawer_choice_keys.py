"""Review 27b, finding 1: a filter chosen in the presenter's cohort drawer kept the focus in its box with
its list open, so a clicker's ArrowRight moved the box's caret, Space opened its list again (forever), and
Escape closed only the list. A choice now lets go of the box: each clicker key steps at once, with the
drawer open and the cohort as changed, and one Escape closes the drawer, a second leaves presenter mode.
Each step is checked on the address the browser ends on, whole."""

import pytest
from playwright.sync_api import Page, expect

from pts_explorer.config import ANALYSIS_PAGES
from tests.browser.app_driver import act_and_wait, counted, open_page, path, query

SHOWN = [p.name for p in ANALYSIS_PAGES if not p.example]  # Candidate starts empty: skipped without a profile
CHANGED = {"present": ["1"], "site": ["femoral"], "sex": ["female"]}


def _choose_female(server: str, page: Page, by_enter: bool = False) -> None:
    """F opens the drawer; Sex: Female is chosen from its list, by a click or by the keyboard."""
    open_page(page, f"{server}/trajectories?present=1&site=femoral")
    act_and_wait(page, lambda: page.keyboard.press("f"))  # the drawer opens: a run (its controls can change now)
    box = page.get_by_test_id("stPopoverBody").get_by_test_id("stMultiSelect").filter(has_text="Sex").locator("input")
    box.click()
    if box.get_attribute("aria-expanded") != "true":
        box.press("ArrowDown")  # a click landing while the drawer is placed can leave the list closed
    if by_enter:
        box.fill("Fem")
        expect(page.get_by_role("option", name=counted("Female"))).to_be_visible()
        act_and_wait(page, lambda: box.press("Enter"))
    else:
        act_and_wait(page, lambda: page.get_by_role("option", name=counted("Female")).click())
    assert (path(page), query(page)) == ("/trajectories", CHANGED)
    expect(page.get_by_test_id("stPopoverBody")).to_be_visible()  # the drawer stays open ...
    expect(page.get_by_role("listbox")).to_have_count(0)  # ... its list closed,
    # ... and no box keeps the keys: the focus is on the page, or on the drawer itself (F gives it the focus)
    focus = page.evaluate("() => [document.activeElement.tagName, document.activeElement.dataset.testid || '']")
    assert focus in (["BODY", ""], ["DIV", "stPopoverBody"]), focus


@pytest.mark.parametrize(
    "key, lands",
    [("ArrowRight", 1), ("PageDown", 1), ("Space", 1), ("ArrowLeft", -1), ("PageUp", -1)],
)
def test_each_clicker_key_steps_right_after_a_filter_is_chosen_in_the_drawer(server, page: Page, key, lands):
    _choose_female(server, page)
    act_and_wait(page, lambda: page.keyboard.press(key))
    assert (path(page), query(page)) == (f"/{SHOWN[SHOWN.index('trajectories') + lands]}", CHANGED)


def test_one_escape_closes_the_drawer_after_a_choice_and_a_second_leaves(server, page: Page):
    _choose_female(server, page, by_enter=True)  # chosen by the keyboard this time
    act_and_wait(page, lambda: page.keyboard.press("Escape"))  # the drawer closes: a run
    expect(page.get_by_test_id("stPopoverBody")).to_be_hidden()
    assert (path(page), query(page)) == ("/trajectories", CHANGED)
    act_and_wait(page, lambda: page.keyboard.press("Escape"))
    assert (path(page), query(page)) == ("/trajectories", {"site": ["femoral"], "sex": ["female"]})
