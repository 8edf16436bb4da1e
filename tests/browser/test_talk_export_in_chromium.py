"""A talk taken away (#27 item 7): downloaded from the Talks page as one HTML file and as a PDF.
The HTML file, opened from disk with the network blocked, asks for nothing; a clicker's keys step
it (also with a chart holding the focus); each slide reads the title and the whole presenter line
the app shows for that slide (read off the app's own page in this browser); the notes are hidden
until N. The PDF has one 16:9 landscape page per slide."""

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from pts_explorer import workspace
from pts_explorer.ui import talks
from tests.browser.app_driver import new_context, open_page
from tests.browser.conftest import serving

TITLE = "Iliac stents <b>x</b>, taken away"
VIEWS = [  # (page, settings, slide title, speaker notes)
    ("overview", {"site": ["femoral"]}, "Who is in it: <i>femoral</i>", "Start with the arms."),
    ("trajectories", {"site": ["femoral"], "outcome": ["vcss"]}, "VCSS over time", ""),
    ("effects", {"site": ["common_iliac"], "visit": ["12"]}, "The effect at a year", "MMRM, then ANCOVA."),
    ("durability", {"endpoint": ["ulcer_healing"]}, "Ulcers heal", "Death competes."),
    ("safety", {"period": ["any time"]}, "Safety", "Like with like."),
]
# The app's presenter line as it reads: its words, without the icons drawn from a font's ligatures
# (the badge's ":material/science: synthetic data" reads "synthetic data").
LINE_TEXT = """el => {
  const c = el.cloneNode(true);
  c.querySelectorAll("[role='img']").forEach((icon) => {
    const after = icon.nextSibling;
    if (after && after.nodeType === Node.TEXT_NODE) after.textContent = after.textContent.replace(/^ /, "");
    icon.remove();
  });
  return c.textContent;
}"""


@pytest.fixture(scope="module")
def served_talk(demo_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("talk_export") / "workspace.sqlite"
    space = workspace.Workspace(path)
    talk = space.new_talk(TITLE)
    for page, query, title, notes in VIEWS:
        space.add_slide(talk.slug, page, query, title, notes)
    with serving(demo_db, workspace=path) as url:
        yield url, space.talk(talk.slug)


@pytest.fixture(scope="module")
def downloaded(browser, served_talk, tmp_path_factory):
    """The two files as a presenter downloads them from the Talks page."""
    url, talk = served_talk
    folder = tmp_path_factory.mktemp("downloads")
    context = new_context(browser, viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = context.new_page()
    open_page(page, f"{url}/talks?talk={talk.slug}")
    page.get_by_role("button", name="Download", exact=True).click()
    page.get_by_role("button", name="Prepare the downloads").click()
    expect(page.get_by_role("button", name="Download as HTML")).to_be_visible(timeout=180_000)
    files = {}
    for kind in ("HTML", "PDF"):
        with page.expect_download(timeout=180_000) as download:
            page.get_by_role("button", name=f"Download as {kind}").click()
        files[kind] = folder / download.value.suggested_filename
        download.value.save_as(files[kind])
    context.close()
    return files


def _apps_lines(browser, url: str, talk: workspace.Talk) -> list[str]:
    """Each slide's presenter line as the app shows it at 1280x720."""
    context = new_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    lines = []
    for position in range(1, len(talk.slides) + 1):
        script, query = talks.slide_target(talk, position)
        spec = talks.page_of(talk.slides[position - 1])
        assert spec is not None and script == spec.script
        open_page(page, f"{url}/{spec.url_path}?{urlencode(query, doseq=True)}")
        words = page.locator(".st-key-presenter_words [data-testid='stMarkdownContainer']")
        lines.append(words.evaluate(LINE_TEXT))
    context.close()
    return lines


def _shown(page: Page) -> dict[str, str]:
    slide = page.locator("section.slide:not([hidden])")
    expect(slide).to_have_count(1)
    return {
        "id": slide.get_attribute("id") or "",
        "title": slide.locator(".title").inner_text(),
        "line": slide.locator("p.line").text_content() or "",  # plotly's own multi-line text is tspan.line
    }


def test_the_html_export_steps_offline_with_the_apps_lines(browser, served_talk, downloaded):
    url, talk = served_talk
    assert downloaded["HTML"].name == "pts_talk_iliac_stents_b_x_b_taken_away.html"
    expected = _apps_lines(browser, url, talk)
    context = new_context(browser, viewport={"width": 1280, "height": 720})
    asked: list[str] = []

    def offline(route):
        asked.append(route.request.url)
        route.continue_() if route.request.url.startswith("file:") else route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(downloaded["HTML"].as_uri())
    page.wait_for_selector("body[data-ready='1']")
    # Stepped with a clicker's keys: forward with each of its three, back with both, then the ends.
    seen = [_shown(page)]
    for key in ("ArrowRight", "PageDown", " ", "ArrowRight"):
        page.keyboard.press(key)
        seen.append(_shown(page))
    assert [s["id"] for s in seen] == [f"slide-{i}" for i in range(1, 6)]
    assert [s["title"] for s in seen] == [title for _, _, title, _ in VIEWS]
    assert [s["line"] for s in seen] == expected  # whole lines, as the app shows each slide
    assert all(line.startswith(f"Slide {i} of 5: ") for i, line in enumerate(expected, 1))
    page.keyboard.press("ArrowRight")  # past the last: it stays
    assert _shown(page)["id"] == "slide-5"
    page.keyboard.press("ArrowLeft")
    assert _shown(page)["id"] == "slide-4"
    page.keyboard.press("PageUp")
    assert _shown(page)["id"] == "slide-3"
    page.keyboard.press("Home")
    assert _shown(page)["id"] == "slide-1"
    page.keyboard.press("End")
    assert _shown(page)["id"] == "slide-5"
    # A #slide-n typed into the open file's address goes there (review: only a fresh open did).
    page.evaluate("() => { location.hash = '#slide-3'; }")
    page.wait_for_function("() => document.body.dataset.slide === '3'")
    assert _shown(page)["id"] == "slide-3"
    # A chart with the focus (clicked, dragged) keeps no key: the next key still steps.
    page.keyboard.press("Home")
    page.locator("section.slide:not([hidden]) .chart .nsewdrag").first.click()
    page.keyboard.press("ArrowRight")
    assert _shown(page)["id"] == "slide-2"
    # Notes hidden until N, then shown, then hidden again.
    notes = page.locator("section.slide:not([hidden]) .notes")
    expect(notes).to_be_hidden()
    page.keyboard.press("n")
    expect(notes).to_be_visible()
    expect(notes).to_have_text("Speaker notes, slide 2: No speaker notes for this slide.")
    page.keyboard.press("ArrowRight")
    expect(page.locator("section.slide:not([hidden]) .notes")).to_have_text(
        "Speaker notes, slide 3: MMRM, then ANCOVA."
    )
    page.keyboard.press("N")
    expect(page.locator("section.slide:not([hidden]) .notes")).to_be_hidden()
    # Every chart drawn, the synthetic mark on every slide; nothing asked of the network.
    page.keyboard.press("End")
    assert page.locator(".chart .main-svg").count() >= 5
    assert (
        page.locator("footer .synthetic").all_text_contents()
        == ["Synthetic data: generated patients, not real people"] * 5
    )
    assert asked == [downloaded["HTML"].as_uri()]
    assert not errors
    context.close()


def test_the_pdf_has_one_landscape_page_per_slide(downloaded):
    pdf = downloaded["PDF"].read_bytes()
    assert pdf.startswith(b"%PDF-")
    try:
        import pypdf  # noqa: PLC0415 (not a dependency: counted from the file's page objects without it)
    except ImportError:
        pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
        boxes = re.findall(rb"/MediaBox\s*\[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert len(pages) == 5
        assert {(float(w), float(h)) for w, h in boxes} == {(960.0, 540.0)}  # 1280 x 720 px, 16:9 landscape
    else:
        reader = pypdf.PdfReader(downloaded["PDF"])
        assert len(reader.pages) == 5
        assert {(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages} == {(960.0, 540.0)}


def test_the_notes_take_their_own_room_and_cover_no_axis_title(browser, tmp_path):
    """Review 9, finding 8: at 1280x720, with N pressed, the notes bar covered the chart's x-axis title
    ("Month since enrollment"). The notes now sit under the slide's footer and the chart is redrawn
    in the room left: the axis title stays whole, above the notes, inside the window."""
    import plotly.graph_objects as go

    from pts_explorer import talk_export

    figure = go.Figure(go.Scatter(x=[1, 3, 6, 12, 24], y=[-4.2, -4.6, -5.7, -5.6, -5.3], mode="lines+markers"))
    figure.update_layout(title="Stent − medical change in Villalta total", height=500)
    figure.update_xaxes(title="Month since enrollment")
    figure.update_yaxes(title="Stent − medical, points")
    notes = "Responder threshold 4 points is an assumption. " * 4
    slide = talk_export.SlideContent(
        1, "The effect", notes, "Effects", "Slide 1 of 1: The effect · Effects", figure.to_json()
    )
    talk = talk_export.TalkContent("Notes talk", "Demo", "demo.duckdb", True, (slide,))
    file = tmp_path / "talk.html"
    file.write_text(talk_export.talk_html(talk), encoding="utf-8")
    context = new_context(browser, viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(file.as_uri())
    page.wait_for_selector("body[data-ready='1'] .chart .g-xtitle")
    page.keyboard.press("n")
    notes_box = page.locator("section.slide:not([hidden]) .notes")
    expect(notes_box).to_be_visible()
    page.wait_for_timeout(500)  # the chart redrawn in its new room
    title = page.locator("section.slide:not([hidden]) .g-xtitle").bounding_box()
    bar = notes_box.bounding_box()
    assert title is not None and bar is not None
    assert title["y"] + title["height"] <= bar["y"], (title, bar)  # above the notes, not under them
    assert bar["y"] + bar["height"] <= 720 + 0.5, bar  # the notes inside the window too
    page.keyboard.press("n")
    expect(notes_box).to_be_hidden()
    context.close()


def test_a_text_slide_steps_like_the_others_its_words_scaled_with_the_window(browser, tmp_path):
    """Review 27d, finding 4: a slide whose page draws no chart (Candidate saved without a profile) is
    exported as a text slide. Opened from disk at 1920x1080 it steps in and out as a chart's slide does, shows
    the page's words whole, in type scaled as the line's (28 px at 1280x720, times 1.5 here), with no script
    error."""
    import plotly.graph_objects as go

    from pts_explorer import talk_export

    figure = go.Figure(go.Bar(x=["Stent", "Medical"], y=[154, 200]))
    words = "This slide shows no candidate: it was saved without a profile."
    slides = (
        talk_export.SlideContent(1, "Who", "", "Overview", "Slide 1 of 3: Who · Overview", figure.to_json()),
        talk_export.SlideContent(
            2, "A candidate", "Ask.", "Candidate", "Slide 2 of 3: A candidate · Candidate", "", said=words
        ),
        talk_export.SlideContent(3, "Again", "", "Overview", "Slide 3 of 3: Again · Overview", figure.to_json()),
    )
    file = tmp_path / "talk.html"
    file.write_text(talk_export.talk_html(talk_export.TalkContent("Text", "Demo", "d.duckdb", True, slides)))
    context = new_context(browser, viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(file.as_uri())
    page.wait_for_selector("body[data-ready='1'] .chart .main-svg")
    page.keyboard.press("ArrowRight")
    said = page.locator("section.slide:not([hidden]) p.said")
    expect(said).to_have_text(words)
    assert said.evaluate("el => getComputedStyle(el).fontSize") == "42px"
    page.keyboard.press("n")
    expect(page.locator("section.slide:not([hidden]) .notes")).to_have_text("Speaker notes, slide 2: Ask.")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.body.dataset.slide") == "3"
    expect(page.locator("section.slide:not([hidden]) .chart .main-svg").first).to_be_visible()
    page.keyboard.press("ArrowLeft")
    expect(said).to_be_visible()
    assert not errors
    context.close()
