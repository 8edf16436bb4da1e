"""Review 27b, finding 4: the exported HTML's type did not grow with the screen (26/18/16 px at 1280x720
and at 1920x1080, where the app's slide draws 39/27/24). The file now scales its type as the app's slide
does, by min(width / 1280, height / 720) kept between 1 and 3: README's table, as charts/presenter.py
states it, measured on the drawn chart and the lines of the file opened from disk, at three sizes."""

import pytest

from pts_explorer import talk_export, workspace
from pts_explorer.charts.presenter import Sizes
from pts_explorer.ui import talk_slides
from tests.browser.app_driver import new_context

SIZES = {  # README's table: (width, height) -> scale
    (1280, 720): 1,
    (1920, 1080): 1.5,
    (3840, 2160): 3,
}
LINE = {1: 18.4, 1.5: 27.6, 3: 55.2}  # README's table: the presenter line and the key numbers, px
MEASURE = """() => {
  const slide = document.querySelector("section.slide:not([hidden])");
  const px = (selector) => [...new Set([...slide.querySelectorAll(selector)]
    .map((e) => parseFloat(getComputedStyle(e).fontSize)))].sort((a, b) => a - b);
  return {title: px(".gtitle"), axis: px(".g-xtitle text, .g-ytitle text"), legend: px(".legendtext"),
          ticks: px(".xtick text, .ytick text"), line: px("p.line"), numbers: px("p.numbers")};
}"""


@pytest.fixture(scope="module")
def exported(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("talk_scales")
    space = workspace.Workspace(folder / "workspace.sqlite")
    talk = space.new_talk("Type that grows")
    space.add_slide(talk.slug, "responders", {"site": ["femoral"]}, "Responders")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PTS_DB", str(demo_db))
        patch.setenv("PTS_WORKSPACE", str(folder / "workspace.sqlite"))
        content = talk_slides.collect(talk.slug)
    file = folder / "talk.html"
    file.write_text(talk_export.talk_html(content), encoding="utf-8")
    return file


@pytest.mark.parametrize("size", list(SIZES), ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_exported_slides_type_scales_with_the_window_as_the_apps(exported, browser, size):
    width, height = size
    sizes = Sizes(SIZES[size])
    context = new_context(browser, viewport={"width": width, "height": height})
    context.route("http*://**", lambda route: route.abort())  # offline, as a presenter may be
    page = context.new_page()
    try:
        page.goto(exported.as_uri())
        page.wait_for_selector("section.slide:not([hidden]) .xtick text")
        line = LINE[SIZES[size]]
        assert page.evaluate(MEASURE) == {
            "title": [sizes.title],
            "axis": [sizes.font],
            "legend": [sizes.font],
            "ticks": [sizes.ticks],
            "line": [line],
            "numbers": [line],
        }
    finally:
        context.close()
