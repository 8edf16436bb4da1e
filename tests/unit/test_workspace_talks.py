"""Talks in the workspace: a talk's slides keep their page, settings, title and notes in order;
reorder, duplicate and delete renumber them; bad input is refused in words and changes nothing;
an edit names its slide by id, so another session's reorder never makes it change the wrong one;
an older workspace file (saved cohorts only) gains the talks' tables when opened."""

import sqlite3
import threading

import pytest

from pts_explorer.workspace import MAX_NAME, MAX_NOTE, MAX_SLIDES, SlideConflict, Workspace, WorkspaceError


@pytest.fixture
def space(tmp_path):
    return Workspace(tmp_path / "ws.sqlite")


def _titles(space, slug):
    return [(s.position, s.title) for s in space.talk(slug).slides]


def test_a_slide_keeps_its_page_and_settings_without_presenter_keys(space):
    talk = space.new_talk("  Stents   in iliac veins ")
    slide = space.add_slide(
        talk.slug,
        "effects",
        {
            "site": ["common_iliac", "femoral"],
            "visit": ["12"],
            "outcome": ["vcss"],
            "present": ["1"],
            "talk": [talk.slug],
            "slide": ["3"],
            "utm_source": ["mail"],  # not a setting of the app
            "grade": ["'; DROP TABLE talks; --"],  # not a value the filter knows
            "mmrm": ["reml"],  # the default: left out
        },
        "Effect at month 12",
        "Say: adjusted for baseline.",
    )
    assert space.talk(talk.slug) == space.talk(talk.slug)
    stored = space.talk(talk.slug)
    assert stored.title == "Stents in iliac veins"
    assert stored.slides == (slide,)
    assert (slide.position, slide.page, slide.title, slide.notes, slide.version) == (
        1,
        "effects",
        "Effect at month 12",
        "Say: adjusted for baseline.",
        1,
    )
    assert slide.query == {"site": ["common_iliac", "femoral"], "outcome": ["vcss"], "visit": ["12"]}


def test_reorder_duplicate_delete_renumber_the_slides(space):
    talk = space.new_talk("Talk")
    ids = [
        space.add_slide(talk.slug, page, {}, title).id
        for page, title in [("overview", "One"), ("trajectories", "Two"), ("effects", "Three"), ("safety", "Four")]
    ]
    space.move_slide(ids[2], -1)
    assert _titles(space, talk.slug) == [(1, "One"), (2, "Three"), (3, "Two"), (4, "Four")]
    space.move_slide(ids[0], -1)  # already first: stays
    space.move_slide(ids[3], +1)  # already last: stays
    assert _titles(space, talk.slug) == [(1, "One"), (2, "Three"), (3, "Two"), (4, "Four")]
    copy = space.duplicate_slide(ids[2])
    assert (copy.position, copy.title, copy.page) == (3, "Three (copy)", "effects")
    assert _titles(space, talk.slug) == [(1, "One"), (2, "Three"), (3, "Three (copy)"), (4, "Two"), (5, "Four")]
    space.delete_slide(ids[1])
    assert _titles(space, talk.slug) == [(1, "One"), (2, "Three"), (3, "Three (copy)"), (4, "Four")]
    edited = space.update_slide(copy.id, "  Three, again ", "notes\nover two lines", copy.version)
    assert (edited.title, edited.notes, edited.version) == ("Three, again", "notes\nover two lines", 2)
    renamed = space.rename_talk(talk.slug, "Talk, renamed")
    assert renamed.title == "Talk, renamed" and [s.title for s in renamed.slides][2] == "Three, again"
    space.delete_talk(talk.slug)
    assert space.talk(talk.slug) is None and space.talks() == []
    with sqlite3.connect(space.path) as con:
        assert con.execute("SELECT count(*) FROM talk_slides").fetchone() == (0,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, t: s.new_talk("   "), "A talk needs a title."),
        (lambda s, t: s.new_talk("TALK"), "A talk is already called 'TALK': choose another title."),
        (
            lambda s, t: s.new_talk("x" * (MAX_NAME + 1)),
            f"The title is {MAX_NAME + 1} characters long; a title has at most {MAX_NAME}.",
        ),
        (
            lambda s, t: s.add_slide(t, "glossary", {}, "G"),
            "'glossary' is not a page with a chart: a slide shows one of the analysis pages.",
        ),
        (lambda s, t: s.add_slide(t, "overview", {}, "\t "), "A slide needs a title."),
        (
            lambda s, t: s.add_slide(t, "overview", {}, "bell\x07"),
            "The title holds '\\x07', which is not a printable character: remove it.",
        ),
        (
            lambda s, t: s.add_slide(t, "overview", {}, "ok", "n" * (MAX_NOTE + 1)),
            f"The speaker note is {MAX_NOTE + 1:,} characters long; a speaker note has at most {MAX_NOTE:,}.",
        ),
        (
            lambda s, t: s.add_slide("zzzzzzzz", "overview", {}, "ok"),
            "That talk no longer exists (deleted in another session?).",
        ),
        (lambda s, t: s.move_slide(999, 1), "That slide no longer exists (deleted in another session?)."),
    ],
)
def test_bad_input_is_refused_in_words_and_changes_nothing(space, call, message):
    talk = space.new_talk("Talk")
    space.add_slide(talk.slug, "overview", {}, "Only")
    before = space.talk(talk.slug)
    with pytest.raises(WorkspaceError) as refused:
        call(space, talk.slug)
    assert str(refused.value) == message
    assert space.talk(talk.slug) == before and [t.title for t in space.talks()] == ["Talk"]


def test_a_talk_holds_at_most_max_slides(space):
    talk = space.new_talk("Long")
    for i in range(MAX_SLIDES):
        space.add_slide(talk.slug, "overview", {}, f"S{i}")
    with pytest.raises(WorkspaceError) as refused:
        space.add_slide(talk.slug, "overview", {}, "one more")
    assert str(refused.value) == (
        f"The talk has {MAX_SLIDES} slides, the most a talk holds: delete one, or start another talk."
    )
    assert len(space.talk(talk.slug).slides) == MAX_SLIDES


def test_an_edit_from_an_old_version_is_refused_and_names_the_slide(space):
    talk = space.new_talk("Talk")
    slide = space.add_slide(talk.slug, "overview", {}, "Mine")
    theirs = space.update_slide(slide.id, "Theirs", "their notes", slide.version)
    with pytest.raises(SlideConflict) as refused:
        space.update_slide(slide.id, "Mine, edited", "", slide.version)
    assert refused.value.current == theirs
    assert space.talk(talk.slug).slides == (theirs,)


def test_an_edit_after_another_sessions_reorder_changes_the_slide_it_meant(space):
    talk = space.new_talk("Talk")
    first = space.add_slide(talk.slug, "overview", {}, "First")
    second = space.add_slide(talk.slug, "effects", {}, "Second")
    other = Workspace(space.path)  # another session, same file
    other.move_slide(second.id, -1)
    space.delete_slide(first.id)  # this session still shows First at position 1
    assert [(s.position, s.title, s.page) for s in space.talk(talk.slug).slides] == [(1, "Second", "effects")]


def test_sessions_adding_slides_at_once_all_succeed_in_distinct_places(space):
    talk = space.new_talk("Busy")
    problems = []

    def add(i):
        try:
            Workspace(space.path).add_slide(talk.slug, "overview", {}, f"S{i}")
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            problems.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == []
    slides = space.talk(talk.slug).slides
    assert [s.position for s in slides] == list(range(1, 9))
    assert sorted(s.title for s in slides) == [f"S{i}" for i in range(8)]


def test_an_older_workspace_file_gains_the_talks_tables(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as con:  # a file made before talks: saved cohorts only, no version column
        con.execute(
            "CREATE TABLE saved_cohorts (slug TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, "
            "note TEXT NOT NULL DEFAULT '', query TEXT NOT NULL, dataset_name TEXT NOT NULL, fingerprint TEXT "
            "NOT NULL, counts TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
        )
        con.execute(
            "INSERT INTO saved_cohorts VALUES ('abcdefgh', 'Old', '', '{}', 'demo', 'fp', '{}', "
            "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')"
        )
    space = Workspace(path)
    assert space.talks() == []
    talk = space.new_talk("New")
    space.add_slide(talk.slug, "overview", {"cohort": ["abcdefgh"]}, "Old cohort")
    assert [c.name for c in space.cohorts()] == ["Old"]
    assert space.talk(talk.slug).slides[0].query == {"cohort": ["abcdefgh"]}


def test_the_readme_states_the_talks_limits():
    from pts_explorer.config import PROJECT_ROOT
    from pts_explorer.workspace import MAX_TALKS

    readme = " ".join((PROJECT_ROOT / "README.md").read_text().split())
    assert f"(at most {MAX_TALKS} talks of {MAX_SLIDES} slides)" in readme
