"""A talk's export (#27 item 7) holds each slide as the app presents it: the slides are drawn by
their own pages (pts_explorer.ui.talk_slides, in a process of its own), and each slide's line is
the presenter line the app draws for that slide, whole; its chart is the page's key chart. A slide
whose page draws no chart is a text slide, what its page shows the presenter; a slide that cannot be
drawn at all is named in the error with why, and no file is made."""

import html
import json
import re
import sqlite3

import pytest

from pts_explorer import escape, talk_export, workspace
from pts_explorer.config import ANALYSIS_PAGES
from pts_explorer.ui import talk_slides, talks
from tests.recount import OPEN_ULCER_AT_BASELINE, SCORED, by_arm

HOSTILE = "**Bold** <b>tag</b> [link](http://x)"
VIEWS = [  # (page, settings, title, notes)
    ("overview", {"site": ["femoral"]}, "Who is in it", "Start with the <b>arms</b>."),
    ("effects", {"site": ["common_iliac"], "visit": ["12"]}, HOSTILE, ""),
    ("durability", {"endpoint": ["ulcer_healing"]}, "Ulcers heal", "Say: death competes."),
]


def _talk(path, views) -> workspace.Talk:
    space = workspace.Workspace(path)
    talk = space.new_talk("Stents <i>in</i> five minutes")
    for page, query, title, notes in views:
        space.add_slide(talk.slug, page, query, title, notes)
    return space.talk(talk.slug)


def _presented(app_on, db, talk, position):
    """The app's slide `position` as a presenter sees it: the page opened from the talk's own link."""
    script, query = talks.slide_target(talk, position)
    at = app_on(db, query)
    at.switch_page(script).run()
    assert not at.exception, at.exception
    return at


def test_each_slide_is_the_apps_slide_its_line_whole_and_its_key_chart(app_on, demo_db, workspace_file, monkeypatch):
    monkeypatch.setenv("PTS_DB", str(demo_db))
    talk = _talk(workspace_file, VIEWS)
    content = talk_slides.collect(talk.slug)
    assert (content.title, content.dataset, content.data_file, content.synthetic) == (
        "Stents <i>in</i> five minutes",
        "PTS demo cohort (synthetic)",
        "pts_outcomes.duckdb",
        True,
    )
    assert [(s.position, s.title, s.notes, s.page) for s in content.slides] == [
        (1, "Who is in it", "Start with the <b>arms</b>.", "Overview"),
        (2, HOSTILE, "", "Effects"),
        (3, "Ulcers heal", "Say: death competes.", "Durability"),
    ]
    for slide, (page, _, _, _) in zip(content.slides, VIEWS, strict=True):
        at = _presented(app_on, demo_db, talk, slide.position)
        lines = [m.value for m in at.markdown if m.value.startswith(f"Slide {slide.position} of 3: ")]
        assert len(lines) == 1
        assert slide.line == escape.markdown_text(lines[0])  # the whole line, as it reads on the page
        key = next(p.key_chart for p in ANALYSIS_PAGES if p.name == page)
        (drawn,) = [c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id]
        shown, exported = json.loads(drawn.proto.spec), json.loads(slide.figure)
        assert exported["data"] == shown["data"]  # the same traces, as presented (small cells hidden)
        assert exported["layout"]["title"]["text"] == shown["layout"]["title"]["text"]
        assert exported["layout"]["font"]["size"] == shown["layout"]["font"]["size"] == 18  # presenter type
    # Each line whole, its numbers counted from the file with SQL of the test's own (tests.recount).
    trial_iliac = f"obstruction_site = 'common_iliac' and study_id = 'TRIAL' and {SCORED.format('v.visit_month = 0')}"
    femoral = by_arm(demo_db, "obstruction_site = 'femoral'")
    iliac_later = by_arm(demo_db, f"{trial_iliac} and {SCORED.format('v.visit_month > 0')}")
    iliac_12 = by_arm(demo_db, f"{trial_iliac} and {SCORED.format('v.visit_month = 12')}")
    ulcer = by_arm(demo_db, OPEN_ULCER_AT_BASELINE)
    mark = "synthetic data · small cells hidden (k\u00a0=\u00a05)"
    pooled = "pooled randomized and observational"
    assert [s.line for s in content.slides] == [
        f"Slide 1 of 3: Who is in it · Overview · Femoral · n = {femoral} · {pooled} · {mark}",
        f"Slide 2 of 3: {HOSTILE} · Effects · Common iliac · n = {iliac_later} with a baseline and a later visit "
        f"(MMRM; ANCOVA at month 12: {iliac_12}) · randomized · {mark}",
        f"Slide 3 of 3: Ulcers heal · Durability · All patients · n = {ulcer} with an open ulcer at baseline · "
        f"{pooled} · {mark}",
    ]


def test_a_slide_that_cannot_be_drawn_is_named_with_why(demo_db, workspace_file, monkeypatch):
    monkeypatch.setenv("PTS_DB", str(demo_db))
    talk = _talk(workspace_file, [VIEWS[0], ("candidate", {}, "A candidate", "")])
    with sqlite3.connect(workspace_file) as con:  # a slide of a page a later version of the app dropped
        con.execute(
            "INSERT INTO talk_slides (talk, position, page, query, title, notes) VALUES (?, 3, 'old_page', '{}', "
            "'Gone', '')",
            (talk.slug,),
        )
    with pytest.raises(talk_export.ExportError) as refused:
        talk_slides.collect(talk.slug)
    # The Candidate slide without a profile is a text slide (below); the slide of a page gone is refused.
    assert str(refused.value) == (
        "Slide 3 ('Gone') shows the page 'old_page', which this app no longer has: delete it, or add the view again."
    )


def test_a_talk_deleted_meanwhile_is_said(demo_db, workspace_file, monkeypatch):
    monkeypatch.setenv("PTS_DB", str(demo_db))
    talk = _talk(workspace_file, VIEWS[:1])
    workspace.Workspace(workspace_file).delete_talk(talk.slug)
    with pytest.raises(talk_export.ExportError) as refused:
        talk_slides.collect(talk.slug)
    assert str(refused.value) == f"No talk is called '{talk.slug}' here (deleted, or kept in another workspace)."


def test_the_talks_page_prepares_the_downloads(app_on, demo_db, workspace_file, monkeypatch):
    monkeypatch.setenv("PTS_DB", str(demo_db))
    talk = _talk(workspace_file, VIEWS[:2])
    at = app_on(demo_db, {"talk": talk.slug})
    at.switch_page("app_pages/talks.py").run()
    assert not at.exception, at.exception
    assert not [b for b in at.get("download_button")]  # nothing before Prepare
    at.button(key="talk_export_prepare").click().run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download as HTML", "Download as PDF"]
    prepared = at.session_state["_talk_export"][1]
    assert [s.title for s in prepared.slides] == ["Who is in it", HOSTILE]
    # Changed after Prepare: the downloads are not offered from the old slides.
    workspace.Workspace(workspace_file).add_slide(talk.slug, "safety", {}, "Safety")
    at.run()
    assert [b for b in at.get("download_button")] == []
    assert "The talk changed after the downloads were prepared: prepare them again." in [i.value for i in at.info]


def test_a_slide_whose_page_draws_no_chart_is_exported_as_a_text_slide(app_on, demo_db, workspace_file, monkeypatch):
    # Review 27d, finding 4: one Candidate slide saved without a profile refused the whole download ("Slide 4
    # ('Patients like my candidate'): its page 'Candidate' draws no chart ... it says '...'."). The talk now
    # exports whole, that slide in words: what the presenter sees on it.
    monkeypatch.setenv("PTS_DB", str(demo_db))
    views = [VIEWS[0], ("candidate", {}, "Patients like <b>my</b> candidate", "No profile yet."), VIEWS[2]]
    talk = _talk(workspace_file, views)
    presented = _presented(app_on, demo_db, talk, 2)
    said = [escape.markdown_text(e.value) for e in [*presented.error, *presented.warning, *presented.info]]
    assert said == ["This slide shows no candidate: it was saved without a profile."]
    [line] = [m.value for m in presented.markdown if m.value.startswith("Slide 2 of 3: ")]
    at = app_on(demo_db, {"talk": talk.slug})
    at.switch_page("app_pages/talks.py").run()
    at.button(key="talk_export_prepare").click().run()
    assert not at.exception, at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["Download as HTML", "Download as PDF"]
    prepared = at.session_state["_talk_export"][1]
    assert [(s.position, s.title, s.page, s.text_only) for s in prepared.slides] == [
        (1, "Who is in it", "Overview", False),
        (2, "Patients like <b>my</b> candidate", "Candidate", True),
        (3, "Ulcers heal", "Durability", False),
    ]
    text_slide = prepared.slides[1]
    assert (text_slide.line, text_slide.said, text_slide.figure) == (escape.markdown_text(line), said[0], "")
    # The page says so, naming the slide (its title as text).
    assert [i.value for i in at.info] == [
        f"**Slide 2 ({escape.markdown(views[1][2])}) is a text slide**: its page draws no chart for its cohort and "
        "settings, so the downloads show in words what the presenter sees there."
    ]
    assert [c.value for c in at.caption if c.value.startswith("Drawn ")] == [
        f"Drawn {at.session_state['_talk_export'][2]:%Y-%m-%d %H:%M} UTC, 3 slides."
    ]
    # The HTML file: three slides, the second the page's words where the others have their chart.
    page = talk_export.talk_html(prepared)
    assert re.findall(r"<section class='slide' id='(slide-\d)'", page) == ["slide-1", "slide-2", "slide-3"]
    assert [html.unescape(t) for t in re.findall(r"<p class='said'>(.*?)</p>", page)] == said
    assert page.count("<div class='chart'") == 2
    # The PDF: one page per slide, three.
    pdf = talk_export.talk_pdf(prepared)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 3
