"""Issue 27 review, finding 5: a cohort changed live on a talk's slide (a chip removed in the drawer)
reaches the speaker view, and stays on that slide when the presenter steps away and back (from the
slide's own links or from the speaker view), until the talk is left; the presenter is told so at the
moment of the change, and the line marks the slide as changed."""

from urllib.parse import parse_qs

from pts_explorer import workspace
from tests.app.test_following import _line, _query
from tests.recount import MARK, by_arm

BOTH = {"site": ["common_iliac", "femoral"]}
ILIAC = {"site": ["common_iliac"]}
# The stored slide's title struck, and what changed beside it (review 27, finding 3: "Cohort overview: TRIAL;
# Common iliac" stood over all 240 trial patients once the chip was removed).
CHANGED = "Slide 1 of 2: ~~**Who they are**~~ :blue-badge[:material/filter_list: changed live: Femoral removed] · "


def _links(at) -> dict[str, tuple[str, dict[str, list[str]]]]:
    return {link.proto.label: (link.proto.page, parse_qs(link.proto.query_string)) for link in at.get("page_link")}


def _go(at, page: str, query: dict[str, list[str]]):
    """Follow a link: the page it opens, with its whole query."""
    for key in list(at.query_params):
        del at.query_params[key]
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_a_cohort_changed_live_survives_a_step_away_and_reaches_the_speaker_view(app_on, demo_db, workspace_file):
    space = workspace.Workspace(workspace_file)
    talk = space.new_talk("Live talk")
    space.add_slide(talk.slug, "overview", BOTH, "Who they are")
    space.add_slide(talk.slug, "trajectories", ILIAC, "Their course")
    slide_1 = {**BOTH, "present": ["1"], "talk": [talk.slug], "slide": ["1"]}
    at = _go(app_on(demo_db).run(), "overview", slide_1)
    at.button(key="share_start").click().run()
    with space._connect() as con:
        ((code, secret),) = con.execute("SELECT code, secret FROM shares").fetchall()
    both = by_arm(demo_db, "obstruction_site IN ('common_iliac', 'femoral')")  # counted from the file
    stored = f"Slide 1 of 2: **Who they are** · **Overview** · Common iliac, Femoral · n = {both} · " + (
        f"pooled randomized and observational · {MARK}"
    )
    assert _line(at) == stored

    # The presenter removes Femoral in the drawer: told at once that it stays, and the line says so.
    at.button(key="chip_site_femoral").click().run()
    assert not at.exception, at.exception
    live_1 = {**ILIAC, "present": ["1"], "talk": [talk.slug], "slide": ["1"]}
    assert _query(at) == live_1
    assert [t.value for t in at.toast] == [
        "Cohort changed on this slide: it stays so when you step away and back, until you leave the talk "
        "(Exit or Escape)."
    ]
    iliac = by_arm(demo_db, "obstruction_site = 'common_iliac'")  # counted from the file (tests.recount)
    live_line = f"{CHANGED}**Overview** · Common iliac · n = {iliac} · pooled randomized and observational · {MARK}"
    assert _line(at) == live_line

    # A follower's window carries the same mark as the presenter's: its whole line is the presenter's.
    follower = app_on(demo_db, {"follow": code}).run()
    assert not follower.exception, follower.exception
    assert _query(follower) == {**live_1, "follow": [code]}
    assert _line(follower) == _line(at)

    # The speaker view names the slide on screen as the room sees it.
    speaker = app_on(demo_db, {"share": secret})
    speaker.switch_page("app_pages/speaker.py").run()
    assert not speaker.exception, speaker.exception
    assert [c.value for c in speaker.caption][:2] == [
        "Now · Slide 1 of 2",
        "Overview · Common iliac · changed live: Femoral removed",
    ]

    # Next, then Previous: slide 1 opens as it was left.
    page, query = _links(at)["Next"]
    assert (page, query) == ("trajectories", {**ILIAC, "present": ["1"], "talk": [talk.slug], "slide": ["2"]})
    _go(at, page, query)
    page, query = _links(at)["Previous"]
    assert (page, query) == ("overview", live_1)
    _go(at, page, query)
    assert _query(at) == live_1
    assert _line(at) == live_line
    assert at.toast == [] or [t.value for t in at.toast] == []  # no new change: nothing to say

    # From the speaker view too: on slide 2, its Previous moves the room to slide 1 as it was left.
    _go(at, *_links(at)["Next"])
    speaker.run()
    assert [c.value for c in speaker.caption][:2] == ["Now · Slide 2 of 2", "Trajectories · Common iliac"]
    speaker.button(key="speaker_previous").click().run()
    assert space.share(code).query == live_1
    at.run()  # the presenter's window opens the slide the speaker view moved to
    assert _query(at) == live_1

    # Leaving the talk forgets it: slide 1 opens as stored again, here and in the speaker view.
    _go(at, "overview", {**ILIAC, "present": ["0"]})
    assert space.live_views(secret) == {}
    _go(at, "overview", slide_1)
    assert _query(at) == slide_1 and _line(at) == stored
    assert _links(at)["Next"][1] == {**ILIAC, "present": ["1"], "talk": [talk.slug], "slide": ["2"]}
