"""A talk presented from the Talks page, as a presenter does it: the page's sidebar showed no filter,
the slides have their own. Found 2026-12-06: the first run that the browser asked for on a slide
(Share to the room; the slide's report of the screen's size) took back the Talks page's empty
filters, because the slide's filter controls sit in the closed cohort drawer, whose content the
browser mounts only while it is open, and sent back what it last showed. Slide 1 lost its cohort
("All patients", marked changed live) and was shared to the room so. Now each slide keeps its
cohort through those runs, and a talk's slides fill the screen (ui/screen.py) as other slides do."""

import pytest
from playwright.sync_api import Page

from pts_explorer.workspace import Workspace
from tests.browser.app_driver import act_and_wait, new_context, open_page, path, query
from tests.browser.conftest import serving
from tests.recount import by_arm

SLIDES = [  # (page, settings, title)
    ("overview", {"site": ["femoral"]}, "Femoral legs"),
    ("trajectories", {"site": ["common_iliac"], "outcome": ["vcss"]}, "Iliac VCSS"),
]
POOLED = "pooled randomized and observational"
FILLS = 0.85  # of the room under what stands above the key chart, above the key numbers
MARK = "science synthetic data · small cells hidden (k\u00a0=\u00a05)"  # the badge's icon is read as its name


@pytest.fixture(scope="module")
def talk_server(demo_db, tmp_path_factory):
    workspace = tmp_path_factory.mktemp("talks_page") / "workspace.sqlite"
    space = Workspace(workspace)
    talk = space.new_talk("From the Talks page")
    for page, settings, title in SLIDES:
        space.add_slide(talk.slug, page, settings, title)
    with serving(demo_db, workspace=workspace) as url:
        yield url, talk.slug


def _line(page: Page) -> str:
    return page.locator(".st-key-presenter_words [data-testid='stMarkdownContainer']").inner_text()


def test_a_slide_keeps_its_cohort_when_shared_and_fills_the_screen(talk_server, browser, demo_db):
    server, slug = talk_server
    context = new_context(browser, viewport={"width": 1920, "height": 1200}, device_scale_factor=1)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        open_page(page, f"{server}/talks")  # the analyst's Talks page: its sidebar has no filter set
        act_and_wait(page, lambda: page.locator(".st-key-talk_actions").get_by_role("link", name="Present").click())
        slide_1 = {"site": ["femoral"], "present": ["1"], "talk": [slug], "slide": ["1"]}
        femoral = by_arm(demo_db, "obstruction_site = 'femoral'")
        line_1 = f"Slide 1 of 2: Femoral legs · Overview · Femoral · n = {femoral} · {POOLED} · {MARK}"
        assert (path(page), query(page), _line(page)) == ("/overview", slide_1, line_1)

        page.locator(".st-key-share_room button").first.click()
        room = page.get_by_test_id("stPopoverBody")
        room.hover()  # off the Room icon: its tooltip would lie over the popover's button
        act_and_wait(page, lambda: room.get_by_role("button", name="Share to the room").click())
        page.keyboard.press("Escape")
        assert (path(page), query(page), _line(page)) == ("/overview", slide_1, line_1)

        act_and_wait(page, lambda: page.keyboard.press("ArrowRight"))
        slide_2 = {"site": ["common_iliac"], "outcome": ["vcss"], "present": ["1"], "talk": [slug], "slide": ["2"]}
        assert (path(page), query(page)) == ("/trajectories", slide_2)
        iliac = by_arm(demo_db, "obstruction_site = 'common_iliac'")
        line_2 = f"Slide 2 of 2: Iliac VCSS · Trajectories · Common iliac · n = {iliac} · {POOLED} · {MARK}"
        assert _line(page) == line_2
        # Laid out for the screen the browser reported (1920x1200), not for 1280x720 scaled (750 px): the
        # key chart takes the room under the line, above its key numbers (test_presenter_fills_screen).
        chart = page.locator(".st-key-trajectory_chart").bounding_box()
        numbers = page.locator(".st-key-presenter_numbers").bounding_box()
        assert chart is not None and numbers is not None
        room = 1200 - chart["y"] - numbers["height"]
        assert chart["height"] >= FILLS * room, (chart, numbers, room)
    finally:
        context.close()
    assert not errors, errors
