"""Review 27b, finding 3: the exported talk (HTML, and the PDF printed from it) left out each slide's
key-numbers line, the numbers a presenter says aloud (e.g. Responders' "Month 12: stent 43 of 79
(54.4%) · medical 9 of 62 (14.5%) · risk difference ..."). An exported slide now carries the line its
page wrote under the key chart (one source: ui.key_numbers records what it draws). For a talk with a
slide of every analysis page, each slide's line in the HTML file equals, whole, the line the app shows
under that slide's chart in this browser."""

import html
import re
from urllib.parse import parse_qsl, urlencode

import pytest

from pts_explorer import talk_export, workspace
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.ui import talk_slides, talks
from tests.browser.app_driver import new_context, open_page
from tests.browser.conftest import serving

COHORT = {"site": ["common_iliac", "femoral"]}  # small cells among them: hidden on a slide and in the export
NUMBERS = ".st-key-presenter_numbers [data-testid='stMarkdownContainer']"


@pytest.fixture(scope="module")
def every_page_talk(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("talk_numbers") / "workspace.sqlite"
    space = workspace.Workspace(path)
    talk = space.new_talk("Every page's numbers")
    for spec in ANALYSIS_PAGES:
        example = {k: [v] for k, v in parse_qsl(spec.example)}
        space.add_slide(talk.slug, spec.name, {**COHORT, **example}, spec.title)
    with serving(demo_db, workspace=path) as url:
        yield url, space.talk(talk.slug), path


def test_each_exported_slide_carries_the_key_numbers_the_app_shows(every_page_talk, browser, demo_db, monkeypatch):
    url, talk, path = every_page_talk
    monkeypatch.setenv("PTS_DB", str(demo_db))
    monkeypatch.setenv("PTS_WORKSPACE", str(path))
    exported = talk_export.talk_html(talk_slides.collect(talk.slug))  # what Download as HTML hands over
    sections = re.findall(r"<section class='slide'.*?</section>", exported, flags=re.S)
    assert len(sections) == len(ANALYSIS_PAGES)
    in_file = []
    for section in sections:
        found = re.findall(r"<p class='numbers'>(.*?)</p>", section, flags=re.S)
        in_file.append(html.unescape(found[0]) if found else None)

    context = new_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    shown = []
    try:
        for position in range(1, len(talk.slides) + 1):
            script, query = talks.slide_target(talk, position)
            spec = talks.page_of(talk.slides[position - 1])
            assert spec is not None and script == spec.script
            open_page(page, f"{url}/{spec.url_path}?{urlencode(query, doseq=True)}")
            lines = page.locator(NUMBERS).all_inner_texts()
            shown.append(lines[0] if lines else None)
    finally:
        context.close()
    assert all(shown), dict(zip([p.name for p in ANALYSIS_PAGES], shown, strict=True))  # every page writes one
    assert dict(zip([p.name for p in ANALYSIS_PAGES], in_file, strict=True)) == dict(
        zip([p.name for p in ANALYSIS_PAGES], shown, strict=True)
    )
