"""What a person sees first: the key chart in the first screen, a home page with ways in, and an
app that works from the keyboard alone."""

import pytest
from playwright.sync_api import Page, expect

from pts_explorer.config import ANALYSIS_PAGES
from tests.browser.app_driver import act_and_wait, new_context, open_page, open_saved_cohorts, path, query

VISIBLE_PART = 120  # px of the key chart that must be on screen, not just its top edge


@pytest.fixture
def sized_page(browser, request):
    width, height = request.param
    context = new_context(browser, viewport={"width": width, "height": height})
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("sized_page", [(1400, 900), (1280, 720)], indirect=True, ids=["1400x900", "1280x720"])
def test_every_pages_key_chart_starts_in_the_first_screen(server, sized_page: Page):
    height = sized_page.viewport_size["height"]
    tops = {}
    for spec in ANALYSIS_PAGES:
        open_page(sized_page, f"{server}/{spec.name}?{spec.example}")
        box = sized_page.locator(f".st-key-{spec.key_chart}").bounding_box()
        assert box is not None, f"{spec.name}: no chart with key {spec.key_chart}"
        tops[spec.name] = round(box["y"])
    late = {name: top for name, top in tops.items() if top + VISIBLE_PART > height}
    assert not late, (height, late)


@pytest.mark.parametrize("sized_page", [(1400, 900), (1280, 720)], indirect=True, ids=["1400x900", "1280x720"])
def test_the_target_trials_key_chart_starts_in_the_first_screen_with_notes_above_it(server, sized_page: Page):
    """Review 31c finding 4: ulcer healing with matching has the pooled-centres note and the balance warning
    above its key chart, the most any Target trial view stacks there."""
    open_page(sized_page, f"{server}/adjusted?ps_estimate=ulcer_healing&ps_method=matching")
    expect(sized_page.get_by_test_id("stAlert").filter(has_text="Balance not reached")).to_have_count(1)
    box = sized_page.locator(".st-key-adjusted_chart").bounding_box()
    assert box is not None and box["y"] + VISIBLE_PART <= sized_page.viewport_size["height"], box


def test_home_starting_point_opens_its_cohort(server, page: Page):
    open_page(page, server + "/")
    expect(page.get_by_role("heading", name="PTS Outcomes Explorer")).to_be_visible()
    expect(page.get_by_text("Data loaded:")).to_be_visible()
    act_and_wait(page, lambda: page.get_by_role("link", name="Open Effects").click())
    assert path(page) == "/effects"
    assert query(page) == {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]}
    expect(page.get_by_role("heading", name="Treatment effects")).to_be_visible()
    expect(page.get_by_role("button", name="Common iliac ×")).to_be_visible()  # the cohort, as chips


def test_an_old_link_to_the_root_still_opens_the_overview(server, page: Page):
    open_page(page, server + "/?site=femoral&age=30&age=60")
    expect(page.get_by_role("heading", name="Cohort overview")).to_be_visible()
    assert path(page) == "/overview"
    assert query(page) == {"site": ["femoral"], "age": ["30", "60"]}


def _focused(page: Page) -> tuple[str, str, str]:
    """What has keyboard focus: its widget's test id, its tag, and its text or accessible name."""
    return tuple(
        page.evaluate(
            """() => {
                const el = document.activeElement;
                const widget = el.closest('[data-testid^="st"]');
                const text = el.getAttribute('aria-label') || el.innerText || '';
                return [widget ? widget.dataset.testid : '', el.tagName, text.replace(/\\s+/g, ' ').trim()];
            }"""
        )
    )


def _tab_to(page: Page, widget: str, tag: str, text: str, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focus is on that control; fail if it never gets there."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        testid, focused_tag, focused_text = _focused(page)
        if testid.startswith(widget) and focused_tag == tag and text in focused_text:
            return
    raise AssertionError(f"{text!r} not reachable by keyboard; focus ended on {_focused(page)!r}")


def test_keyboard_alone_changes_a_filter_and_opens_another_page(server, page: Page):
    open_page(page, server + "/overview")
    _tab_to(page, "stMultiSelect", "INPUT", "Obstruction site")
    page.keyboard.type("Common il")
    act_and_wait(page, lambda: page.keyboard.press("Enter"))
    page.keyboard.press("Escape")
    assert query(page) == {"site": ["common_iliac"]}

    _tab_to(page, "stPageLink", "A", "Trajectories")  # the page menu sits under the cohort
    act_and_wait(page, lambda: page.keyboard.press("Enter"))
    assert path(page) == "/trajectories"
    assert query(page) == {"site": ["common_iliac"]}  # the cohort came along
    expect(page.get_by_role("heading", name="Symptom and outcome trajectories")).to_be_visible()


def test_typing_part_of_a_study_and_enter_picks_that_study_alone(server, page: Page):
    # Fourth review of issue 28, finding 5: "TRI" + Enter chose both studies, since the first entry of the list
    # was "Select 2 matches" (REGISTRY fuzzy-matched "TRI"): an unrestricted cohort a keyboard user did not see.
    open_page(page, server + "/overview")
    _tab_to(page, "stMultiSelect", "INPUT", "Study")
    page.keyboard.type("TRI")
    options = page.get_by_role("option").all_inner_texts()
    assert [o.split(" (")[0] for o in options] == ["TRIAL · randomized"]
    act_and_wait(page, lambda: page.keyboard.press("Enter"))
    page.keyboard.press("Escape")
    assert query(page) == {"study": ["TRIAL"]}


@pytest.mark.parametrize("sized_page", [(1440, 900), (1280, 720)], indirect=True, ids=["1440x900", "1280x720"])
def test_the_sidebar_starts_with_the_cohort_and_a_skip_link_reaches_its_filters(server, sized_page: Page):
    # Issue 28, item 5: the cohort's count and its first filters are the sidebar's first thing, in the first
    # screen; the page menu comes after the filters; from the top of the page, Tab (Streamlit's own skip
    # link), Tab (the cohort's), Enter: the keyboard is in the cohort's first filter. The next skip link takes
    # the keyboard past the filters to the page menu.
    open_page(sized_page, server + "/overview")
    height = sized_page.viewport_size["height"]
    count = sized_page.locator(".st-key-cohort_counts").bounding_box()
    study = sized_page.get_by_test_id("stMultiSelect").filter(has_text="Study").bounding_box()
    assert count is not None and study is not None
    assert count["y"] >= 0 and study["y"] + study["height"] <= height, (count, study, height)
    first = sized_page.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stSidebarUserContent] [data-testid=stElementContainer]')]
            .find(e => e.getBoundingClientRect().height > 0).innerText.split('\\n')[0]"""
    )
    assert first == "Cohort"
    menu = sized_page.locator(".st-key-page_nav").bounding_box()
    reset = sized_page.get_by_role("button", name="Reset filters").bounding_box()
    assert menu is not None and reset is not None and menu["y"] > reset["y"] + reset["height"], (menu, reset)
    sized_page.keyboard.press("Tab")
    assert _focused(sized_page) == ("stSkipToContent", "A", "Skip to main content")
    sized_page.keyboard.press("Tab")
    assert _focused(sized_page) == ("stHtml", "A", "Skip to the cohort filters")
    sized_page.keyboard.press("Enter")  # straight into the first filter: not its help icon, whose tooltip
    assert _focused(sized_page) == ("stMultiSelectTagsContainer", "INPUT", "Study")  # covered the title (review 3, F5)

    open_page(sized_page, server + "/overview")
    for _ in range(3):
        sized_page.keyboard.press("Tab")
    assert _focused(sized_page) == ("stHtml", "A", "Skip to the page menu")
    sized_page.keyboard.press("Enter")
    assert _focused(sized_page) == ("stHtml", "DIV", "Page menu")
    _tab_to(sized_page, "stPageLink", "A", "Home", limit=2)
    act_and_wait(sized_page, lambda: sized_page.keyboard.press("Enter"))
    assert path(sized_page) == "/"


def _description(page: Page) -> str:
    """The focused control's accessible description: the text of the elements its aria-describedby names."""
    return page.evaluate(
        """() => (document.activeElement.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
            .map(id => document.getElementById(id).textContent).join(' ')"""
    )


def test_the_filters_take_one_tab_stop_each_and_their_help_is_their_description(server, page: Page):
    # Fourth review of issue 28: each filter's help icon (?) was a Tab stop of its own, doubling the presses
    # through the filters (Study, its help, Arm, its help, ...). From the skip link, Enter and three presses of
    # Tab lead through the first four filters; each reads its help as its accessible description.
    from pts_explorer import glossary
    from pts_explorer.ui import filter_panel

    def helps(tip: str) -> str:
        return filter_panel.plain_help(f"{tip}  \n{filter_panel.COUNTS_HELP}")

    expected = [
        ("Study", helps(glossary.tip("randomized"))),
        ("Arm", helps("Stent (with angioplasty), or medical management alone.")),
        ("Obstruction site", helps(glossary.tip("obstruction_site"))),
        ("Stenosis grade", helps(glossary.tip("stenosis_grade"))),
    ]
    open_page(page, server + "/overview")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert _focused(page) == ("stHtml", "A", "Skip to the cohort filters")
    page.keyboard.press("Enter")
    reached = [(_focused(page), _description(page))]
    for _ in range(3):
        page.keyboard.press("Tab")
        reached.append((_focused(page), _description(page)))
    assert reached == [(("stMultiSelectTagsContainer", "INPUT", label), text) for label, text in expected]
    # the help icons are still there for a pointer, out of the Tab order
    icons = page.locator("[data-testid=stSidebar] [data-testid=stTooltipIcon] button")
    assert icons.count() >= 4
    assert {icons.nth(i).get_attribute("tabindex") for i in range(icons.count())} == {"-1"}


# Issue 28, item 5 (first review, finding 6): the save-cohort form is whole, with no box of its own to scroll,
# also when "More filters" make the sidebar long: a centre, a limb, five CEAP classes and six ranges.
LONG_SIDEBAR = (
    "center=RC05&limb=left&ceap=C4a&ceap=C4b&ceap=C4c&ceap=C5&ceap=C6&stenosis=50&stenosis=90&length=20&length=200"
    "&dvt=6&dvt=100&bmi=25&bmi=35&bvillalta=10&bvillalta=28&bvcss=8&bvcss=24"
)
# Every element between a control of the form and the sidebar that scrolls its own content (overflow
# auto or scroll, content taller than its box): the sidebar's own scroller is the only one allowed.
INNER_SCROLLERS = """(el) => {
    const sidebar = document.querySelector('[data-testid=stSidebarContent]');
    const found = [];
    for (let e = el; e && e !== sidebar; e = e.parentElement) {
        const style = getComputedStyle(e);
        if (/(auto|scroll)/.test(style.overflowY) && e.scrollHeight > e.clientHeight + 1) {
            found.push([e.dataset.testid || e.tagName, e.clientHeight, e.scrollHeight]);
        }
    }
    return found;
}"""


@pytest.mark.parametrize("address", ["", LONG_SIDEBAR], ids=["no filter", "more filters"])  # second review F4
@pytest.mark.parametrize("sized_page", [(1440, 900), (1280, 720)], indirect=True, ids=["1440x900", "1280x720"])
def test_the_save_cohort_form_is_whole_with_or_without_more_filters(server, sized_page: Page, tmp_path, address):
    page = sized_page
    height = page.viewport_size["height"]
    open_page(page, f"{server}/overview?{address}")
    expect(page.get_by_test_id("stSlider")).to_have_count(7 if address else 1)  # age and the six ranges
    open_saved_cohorts(page)
    form = page.get_by_test_id("stExpander").filter(has_text="Saved cohorts")
    save = page.get_by_role("button", name="Save", exact=True)
    # As a reader scrolls the sidebar down to it, with the page menu under it: the form in the screen's middle.
    form.evaluate("(el) => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(tmp_path / f"save_form_{page.viewport_size['width']}_{bool(address)}.png"))
    controls = [
        page.get_by_role("combobox", name="Apply a named subgroup"),
        page.get_by_label("Save these filters as"),
        page.get_by_label("Note (optional)"),
        save,
        page.get_by_role("link", name="Manage saved cohorts"),
    ]
    for control in controls:
        assert control.evaluate(INNER_SCROLLERS) == []
    box = form.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (box, height)
    tops = [round(c.bounding_box()["y"]) for c in controls]
    assert tops == sorted(tops) and tops[0] > box["y"] and tops[-1] < box["y"] + box["height"]
