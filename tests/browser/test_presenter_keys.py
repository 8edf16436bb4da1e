"""A presentation clicker steps the slides (#27): the keys it sends move through the analysis pages
with the same cohort, skip a slide that would show nothing, and Escape leaves presenter mode. Each
step is checked on the address the browser ends on, whole."""

import duckdb
from playwright.sync_api import Page, expect

from pts_explorer.config import ANALYSIS_PAGES, DUCKDB_CONFIG
from tests.browser.app_driver import act_and_wait, open_page, path, query, stays

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
    open_page(page, f"{server}/adjusted?present=1&{same}")  # the page before Compare
    landed, _ = _press(page, "ArrowRight")
    assert landed == "/durability"  # not /compare (A = B) nor /candidate (no profile)
    assert _press(page, "ArrowLeft")[0] == "/adjusted"


def test_a_profile_brings_the_candidate_slide_back(server, page: Page):
    open_page(page, f"{server}/compare?present=1&c_site=common_iliac")
    assert _press(page, "ArrowRight") == ("/candidate", {"present": ["1"], "c_site": ["common_iliac"]})


def _line_words(page: Page) -> str:
    return page.locator(".st-key-presenter_words [data-testid='stMarkdownContainer']").inner_text()


def test_f_opens_the_cohort_drawer_where_a_chip_removes_its_filter_on_the_slide(server, demo_db, page: Page):
    """Item 2: the cohort changed live. F opens the drawer, a chip's click removes its filter, the
    slide redraws in presenter mode with the new n (recounted here); Escape closes the drawer first,
    and only a second Escape leaves presenter mode."""
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:  # as the app's own handles
        n = dict(
            con.execute(
                "SELECT arm, count(*) FROM patients WHERE obstruction_site = 'common_iliac' GROUP BY arm"
            ).fetchall()
        )
    open_page(page, f"{server}/trajectories?present=1&site=common_iliac&site=femoral")
    act_and_wait(page, lambda: page.keyboard.press("f"))  # the drawer opens: a run (its controls can change now)
    drawer = page.get_by_test_id("stPopoverBody")
    expect(drawer).to_be_visible()
    act_and_wait(page, lambda: drawer.get_by_role("button", name="Femoral ×").click())
    assert (path(page), query(page)) == ("/trajectories", {"present": ["1"], "site": ["common_iliac"]})
    words = _line_words(page).split(" · ")
    assert words[:3] == ["Trajectories", "Common iliac", f"n = {n['stent']:,} stent, {n['medical']:,} medical"], words
    act_and_wait(page, lambda: page.keyboard.press("Escape"))  # the drawer closes: a run
    expect(drawer).to_be_hidden()
    assert query(page) == {"present": ["1"], "site": ["common_iliac"]}
    assert _press(page, "Escape") == ("/trajectories", {"site": ["common_iliac"]})


def test_a_clicker_steps_with_the_drawer_open(server, page: Page):
    """Outside review: with the drawer open (after a chip's click, focus on a button in it) ArrowRight,
    PageDown and Space did nothing, and most clickers have no Escape. They step now, with the new cohort."""
    open_page(page, f"{server}/trajectories?present=1&site=femoral&sex=female")
    act_and_wait(page, lambda: page.keyboard.press("f"))  # the drawer opens: a run (its controls can change now)
    drawer = page.get_by_test_id("stPopoverBody")
    act_and_wait(page, lambda: drawer.get_by_role("button", name="Femoral ×").click())
    expect(drawer).to_be_visible()
    following = SHOWN[SHOWN.index("trajectories") + 1]
    assert _press(page, "PageDown") == (f"/{following}", {"present": ["1"], "sex": ["female"]})


def test_presses_faster_than_a_slide_is_drawn_each_count(server, page: Page):
    """Review 9, finding 6: of ten presses 1.5 s apart one was lost (a press while the next slide was
    still drawing clicked a link of the slide being left, or none). Three presses, each 0.15 s after
    the last, well inside one slide's drawing, step three slides; then one back."""
    open_page(page, f"{server}/overview?present=1&site=femoral")
    cohort = {"present": ["1"], "site": ["femoral"]}
    start = SHOWN.index("overview")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
    page.keyboard.press("ArrowLeft")
    landed = f"/{SHOWN[start + 2]}"
    page.wait_for_function("p => location.pathname === p", arg=landed, timeout=120_000)
    stays(page, 4000)  # no press left to make: the window stays where the four presses led
    assert (path(page), query(page)) == (landed, cohort)
    line = page.locator(".st-key-presenter_words [data-testid='stMarkdownContainer']").inner_text()
    title = next(p.title for p in ANALYSIS_PAGES if p.name == SHOWN[start + 2])
    assert line.startswith(f"{title} · "), line


FOCUSED = """() => {
  const now = document.activeElement;
  return now && now.closest("[data-testid='stPopoverBody']") ? now.innerText.trim() : "";
}"""


def test_after_f_tab_reaches_the_drawers_first_chip_and_the_clicker_still_steps(server, page: Page):
    """Review 27d, finding 5: after F the focus stayed on the page's body; a keyboard-only presenter could not
    Tab into the drawer. The drawer takes the focus: Tab goes to its first chip, Enter removes that filter; a
    clicker's ArrowRight still steps."""
    open_page(page, f"{server}/trajectories?present=1&site=femoral&sex=female")
    act_and_wait(page, lambda: page.keyboard.press("f"))
    page.wait_for_function("() => document.activeElement?.dataset?.testid === 'stPopoverBody'", timeout=10_000)
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == "Femoral ×"
    act_and_wait(page, lambda: page.keyboard.press("Enter"))
    assert (path(page), query(page)) == ("/trajectories", {"present": ["1"], "sex": ["female"]})
    following = SHOWN[SHOWN.index("trajectories") + 1]
    assert _press(page, "ArrowRight") == (f"/{following}", {"present": ["1"], "sex": ["female"]})


# Every change of the page while a step is drawn: the new slide's key chart under the old slide's line, or a link
# of the keys' hidden box shown, is written down (an observer in the page, so no moment between two polls is missed).
WATCH = """([oldLine, newChart]) => {
  window.ptsMixed = [];
  const check = () => {
    const words = document.querySelector(".st-key-presenter_words [data-testid='stMarkdownContainer']");
    const line = words ? words.innerText : "";
    const drawn = document.querySelector(`.st-key-${newChart}`);
    if (drawn && line.startsWith(oldLine)) window.ptsMixed.push("line: " + line);
    for (const a of document.querySelectorAll("a")) {
      const text = a.innerText.trim();
      const key = /^(To |Leave presenter view|Next slide|Previous slide|First slide|Last slide)/;
      if (a.offsetParent !== null && key.test(text)) window.ptsMixed.push("link: " + text);
    }
  };
  const every = {subtree: true, childList: true, characterData: true, attributes: true};
  new MutationObserver(check).observe(document.body, every);
}"""


def test_a_step_never_shows_the_old_slides_line_over_the_new_slide_nor_the_keys_links(server, page: Page):
    """Review 27e, finding 1: for up to 2.6 s after a step the line of the slide being left stood over the new
    slide's chart, and a faded block of the keys' hidden links ("To slide 1" ... "Leave presenter view") pushed the
    chart down. Watched on every change of the page from the press until the new slide is final."""
    open_page(page, f"{server}/overview?present=1&site=femoral")
    page.evaluate(WATCH, ["Overview · ", "trajectory_chart"])
    assert _press(page, "ArrowRight") == ("/trajectories", {"present": ["1"], "site": ["femoral"]})
    assert page.evaluate("() => window.ptsMixed") == []
