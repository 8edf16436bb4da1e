"""Review 9, finding 9: on a talk's Effects slide at 1280x720 the line above the chart took four
rows (the slide's number and title, the cohort, n with its analysis set, the design, the badges) and
pushed the key chart's x-axis title ("Month since enrollment") below the window. The step links show
their icons only up to 1500 px wide, leaving the words their room: the chart, its axis title
included, is whole in the window. At 1920x1080 the links keep their words."""

import pytest

from pts_explorer.config import PAGES
from pts_explorer.workspace import Workspace
from tests.browser.app_driver import new_context, open_page
from tests.browser.conftest import serving

COHORT = {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]}  # the reviewer's
KEY_CHART = next(p.key_chart for p in PAGES if p.name == "effects")


@pytest.fixture(scope="module")
def effects_slide(demo_db, tmp_path_factory):
    workspace = tmp_path_factory.mktemp("fits") / "workspace.sqlite"
    space = Workspace(workspace)
    talk = space.new_talk("Rev27 live talk")
    space.add_slide(talk.slug, "trajectories", COHORT, "<b>x</b> *stars* Villalta trajectories")
    title = "Adjusted effect at every visit (MMRM), high-grade iliofemoral obstruction"  # a line of four rows
    space.add_slide(talk.slug, "effects", COHORT, title)
    with serving(demo_db, workspace=workspace) as url:
        query = "site=common_iliac&site=common_femoral&grade=70-99%25&grade=occlusion"
        yield f"{url}/effects?{query}&present=1&talk={talk.slug}&slide=2"


@pytest.mark.parametrize(("width", "height", "words"), [(1280, 720, False), (1920, 1080, True)])
def test_a_talks_effects_slide_shows_its_key_chart_whole(browser, effects_slide, width, height, words):
    context = new_context(browser, viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        open_page(page, effects_slide)
        title = page.locator(f".st-key-{KEY_CHART} .g-xtitle").first
        box = title.bounding_box()
        assert box is not None and title.text_content() == "Month since enrollment"
        assert box["y"] + box["height"] <= height, (box, height)  # whole in the window, not cut at its foot
        link = page.locator(".st-key-presenter_steps [data-testid='stPageLink'] p", has_text="Previous").first
        shown = link.evaluate("p => p.getBoundingClientRect().width > 1")
        assert shown == words
        assert page.get_by_role("link", name="Previous").first.is_visible()  # named all the same
    finally:
        context.close()
