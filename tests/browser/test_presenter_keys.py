"""A presentation clicker steps the slides (#27): the keys it sends move through the analysis pages
with the same cohort, skip a slide that would show nothing, and Escape leaves presenter mode. Each
step is checked on the address the browser ends on, whole."""

from playwright.sync_api import Page, expect

from pts_explorer.config import ANALYSIS_PAGES
from tests.browser.app_driver import act_and_wait, open_page, path, query

SHOWN = [p.name for p in ANALYSIS_PAGES if not p.example]  # Candidate starts empty: skipped without a profile


def _press(page: Page, key: str) -> tuple[str, dict[str, list[str]]]:
    act_and_wait(page, lambda: page.keyboard.press(key))
    return path(page), query(page)


def test_the_clicker_keys_step_jump_and_leave(server, page: Page):
    open_page(page, f"{server}/effects?present=1&site=femoral")
    cohort = {"present": ["1"], "site": ["femoral"]}
    following = SHOWN[SHOWN.index("effects") + 1]
    assert _press(page, "ArrowRight") == (f"/{following}", cohort)
    assert _press(page, "ArrowLeft") == ("/effects", cohort)
    assert _press(page, "PageDown") == (f"/{following}", cohort)
    assert _press(page, "PageUp") == ("/effects", cohort)
    assert _press(page, "Space") == (f"/{following}", cohort)
    assert _press(page, "End") == (f"/{SHOWN[-1]}", cohort)
    assert _press(page, "Home") == (f"/{SHOWN[0]}", cohort)
    assert _press(page, "Escape") == (f"/{SHOWN[0]}", {"site": ["femoral"]})
    expect(page.get_by_test_id("stSidebar")).to_be_visible()


def test_next_skips_a_compare_of_one_cohort_and_a_candidate_without_a_profile(server, page: Page):
    same = "a=sub:femoral_only&b=sub:femoral_only"
    open_page(page, f"{server}/responders?present=1&{same}")
    landed, _ = _press(page, "ArrowRight")
    assert landed == "/durability"  # not /compare (A = B) nor /candidate (no profile)
    assert _press(page, "ArrowLeft")[0] == "/responders"


def test_a_profile_brings_the_candidate_slide_back(server, page: Page):
    open_page(page, f"{server}/compare?present=1&c_site=common_iliac")
    assert _press(page, "ArrowRight") == ("/candidate", {"present": ["1"], "c_site": ["common_iliac"]})
