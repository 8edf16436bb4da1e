"""Issue 27 items 4 and 5: a follower's window (`follow=<code>`) opens the presenter's slide and the
next one when the presenter steps, read-only (no cohort drawer, no step links or keys, no exports),
with small cells hidden whatever the settings say; the presenter's Room shares the slide and counts
the followers; the speaker view shows the slide's notes and the next slide, and its Next moves the
slide for the presenter's window and the followers."""

from urllib.parse import parse_qs

from pts_explorer import workspace
from tests.app.test_talks import HOSTILE, SHOWN
from tests.recount import MARK, by_arm, effects_n

FEMORAL = {"site": ["femoral"]}
SMALL = {"study": ["TRIAL"], "site": ["ivc"]}  # 4 stent, 6 medical in the demo data


def _query(at) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}


def _links(at) -> dict[str, tuple[str, dict[str, list[str]]]]:
    return {link.proto.label: (link.proto.page, parse_qs(link.proto.query_string)) for link in at.get("page_link")}


def _line(at) -> str:
    """The words of the slide's line, whole."""
    return next(m.value for m in at.markdown if m.value.startswith(("**", "Slide ")))


def _keys(at) -> set[str]:
    """The keys of every block and widget drawn."""
    found, stack = set(), [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "key", None):
            found.add(str(node.key))
        stack.extend(getattr(node, "children", {}).values())
    return found


BADGES = ":orange-badge[:material/science: synthetic data] · small cells hidden (k\u00a0=\u00a05)"


def test_a_follower_opens_the_shared_slide_and_the_next_one_when_the_presenter_steps(app_on, demo_db, workspace_file):
    space = workspace.Workspace(workspace_file)
    share = space.start_share("overview", FEMORAL)
    at = app_on(demo_db, {"follow": share.code}).run()  # the audience's link: /?follow=<code>
    assert not at.exception, at.exception
    assert _query(at) == {**FEMORAL, "present": ["1"], "follow": [share.code]}
    assert _line(at) == (
        f"**Overview** · Femoral · n = 154 stent, 200 medical · pooled randomized and observational · {BADGES}"
    )
    assert ":material/cast: Following **Overview**" in [m.value for m in at.markdown]
    # Read-only: the only link is the way out (no Previous/Next, no hidden key links, no Exit that keeps
    # following); no cohort drawer, no Room, no Export, no Add to talk.
    assert _links(at) == {"Stop following": ("overview", {**FEMORAL, "present": ["0"]})}
    assert not {"presenter_drawer", "presenter_keys", "share_room", "export_menu", "add_to_talk"} & _keys(at)

    trajectories = {**FEMORAL, "outcome": ["vcss"], "present": ["1"]}
    space.move_share(share.secret, "trajectories", trajectories)  # the presenter's window starts drawing it
    at.run()  # the window's next look at the store: the room waits for the presenter's screen (review 27d, 1)
    assert _query(at) == {**FEMORAL, "present": ["1"], "follow": [share.code]}
    space.move_share(share.secret, "trajectories", trajectories, drawn=True)  # ... and has drawn it
    at.run()  # the window's next look at the store (a second later in the browser)
    assert not at.exception, at.exception
    assert _query(at) == {**FEMORAL, "outcome": ["vcss"], "present": ["1"], "follow": [share.code]}
    assert _line(at) == (
        f"**Trajectories** · Femoral · n = 154 stent, 200 medical · pooled randomized and observational · {BADGES}"
    )
    at.run()  # no step since: the window stays
    assert _query(at) == {**FEMORAL, "outcome": ["vcss"], "present": ["1"], "follow": [share.code]}


def test_a_follower_of_a_talk_says_which_and_when_the_presenter_stopped(app_on, demo_db, workspace_file):
    space = workspace.Workspace(workspace_file)
    talk = space.new_talk(HOSTILE)
    space.add_slide(talk.slug, "effects", {"site": ["common_iliac"]}, "First")
    share = space.start_share("effects", {"site": ["common_iliac"], "talk": [talk.slug], "slide": ["1"]})
    at = app_on(demo_db, {"follow": share.code}).run()
    assert not at.exception, at.exception
    assert _query(at) == {
        "site": ["common_iliac"],
        "present": ["1"],
        "talk": [talk.slug],
        "slide": ["1"],
        "follow": [share.code],
    }
    n = effects_n(demo_db, "obstruction_site = 'common_iliac'", 6)  # counted from the file (tests.recount)
    assert _line(at) == f"Slide 1 of 1: **First** · **Effects** · Common iliac · n = {n} · randomized · {MARK}"
    assert f":material/cast: Following **{SHOWN}**" in [m.value for m in at.markdown]
    space.end_share(share.secret)
    at.run()
    assert ":orange[:material/cast: The presenter stopped sharing: this is the last slide shown]" in [
        m.value for m in at.markdown
    ]


def test_a_follower_hides_small_cells_even_where_the_operator_turned_them_off(
    app_on, demo_db, workspace_file, monkeypatch
):
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", "0")  # off: the presenter's own slide shows every count
    presenter = app_on(demo_db, {**SMALL, "present": "1"})
    presenter.switch_page("app_pages/overview.py").run()
    assert _line(presenter) == (
        "**Overview** · TRIAL; IVC · n = 4 stent, 6 medical · randomized · "
        ":orange-badge[:material/science: synthetic data]"
    )
    share = workspace.Workspace(workspace_file).start_share("overview", SMALL)
    at = app_on(demo_db, {"follow": share.code}).run()
    assert not at.exception, at.exception
    assert _line(at) == (
        "**Overview** · TRIAL; IVC · n = hidden stent, hidden medical · randomized · "
        ":orange-badge[:material/science: synthetic data] · small cells hidden (k\u00a0=\u00a05)"
    )
    shown = {m.label: m.value for m in at.metric}
    assert "4" not in shown.values() and "6" not in shown.values(), shown


def test_the_presenter_shares_to_the_room_and_counts_the_followers(app_on, demo_db, workspace_file):
    at = app_on(demo_db, {**FEMORAL, "present": "1"})
    at.switch_page("app_pages/overview.py").run()
    at.button(key="share_start").click().run()
    assert not at.exception, at.exception
    space = workspace.Workspace(workspace_file)
    with space._connect() as con:
        ((code, secret),) = con.execute("SELECT code, secret FROM shares").fetchall()
    share = space.share(code)
    assert (share.page, share.query, share.step) == ("overview", {**FEMORAL, "present": ["1"]}, 1)
    assert f"/?follow={code}" in [c.value for c in at.code]
    assert ":material/group: 0 following" in [m.value for m in at.markdown]
    space.viewer_seen(code, "a" * 20)
    space.viewer_seen(code, "b" * 20)
    at.run()
    assert ":material/group: 2 following" in [m.value for m in at.markdown]
    # The presenter steps (Next): the slide's address is written, one step on.
    at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception, at.exception
    share = space.share(code)
    assert (share.page, share.query, share.step) == ("trajectories", {**FEMORAL, "present": ["1"]}, 2)
    at.button(key="share_stop").click().run()
    assert space.share(code).ended and space.share_by_secret(secret) == space.share(code)
    # Shared again (a Stop by mistake: review 27e, finding 4): under the same link, going on, on this slide.
    at.button(key="share_start").click().run()
    assert not at.exception, at.exception
    with space._connect() as con:
        assert con.execute("SELECT code FROM shares").fetchall() == [(code,)]
    share = space.share(code)
    assert (share.ended, share.page, share.step) == (False, "trajectories", 2)
    assert f"/?follow={code}" in [c.value for c in at.code]


def test_the_speaker_view_shows_the_notes_and_the_next_slide_and_steps_for_the_room(app_on, demo_db, workspace_file):
    space = workspace.Workspace(workspace_file)
    talk = space.new_talk("Iliac talk")
    space.add_slide(talk.slug, "overview", FEMORAL, "Who they are", HOSTILE)
    space.add_slide(talk.slug, "effects", {"site": ["common_iliac"], "visit": ["12"]}, "The effect at month 12")
    presenter = app_on(demo_db, {**FEMORAL, "present": "1", "talk": talk.slug, "slide": "1"})
    presenter.switch_page("app_pages/overview.py").run()
    presenter.button(key="share_start").click().run()
    with space._connect() as con:
        ((code, secret),) = con.execute("SELECT code, secret FROM shares").fetchall()

    speaker = app_on(demo_db, {"share": secret})
    speaker.switch_page("app_pages/speaker.py").run()
    assert not speaker.exception, speaker.exception
    texts = [m.value for m in speaker.markdown]
    assert "### **Who they are**" in texts and "#### **The effect at month 12**" in texts
    assert SHOWN in texts  # the notes, as text
    assert [c.value for c in speaker.caption][:3] == ["Now · Slide 1 of 2", "Overview · Femoral", "Next · Slide 2 of 2"]
    assert speaker.button(key="speaker_previous").disabled
    speaker.button(key="speaker_next").click().run()
    share = space.share(code)
    assert (share.page, share.query, share.step) == (
        "effects",
        {"site": ["common_iliac"], "visit": ["12"], "present": ["1"], "talk": [talk.slug], "slide": ["2"]},
        2,
    )
    assert "### **The effect at month 12**" in [m.value for m in speaker.markdown]
    # The presenter's window opens the slide the speaker view moved to (and does not write its old one back).
    presenter.run()
    assert not presenter.exception, presenter.exception
    assert _query(presenter) == {
        "site": ["common_iliac"],
        "visit": ["12"],
        "present": ["1"],
        "talk": [talk.slug],
        "slide": ["2"],
    }
    assert space.share(code).step == 2


def test_a_speaker_view_without_a_valid_key_says_so(app_on, demo_db, workspace_file):
    at = app_on(demo_db, {"share": "x" * 20})
    at.switch_page("app_pages/speaker.py").run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "No presentation is shared under this key here (the speaker view's link carries it; a share ends a day after "
        "its presenter was last seen). Press **Room** (the cast icon at the bottom right of the presenter's view), "
        "then **Speaker view**."
    ]


def test_the_speaker_view_steps_the_pages_of_a_share_without_a_talk(app_on, demo_db, workspace_file):
    space = workspace.Workspace(workspace_file)
    share = space.start_share("overview", FEMORAL)
    speaker = app_on(demo_db, {"share": share.secret, "site": "femoral"})
    speaker.switch_page("app_pages/speaker.py").run()
    assert not speaker.exception, speaker.exception
    assert _query(speaker) == {"share": [share.secret]}  # the window's address is its key alone
    assert [c.value for c in speaker.caption][:3] == ["Now · Page 1 of 10", "Overview · Femoral", "Next · Page 2 of 10"]
    assert "#### **Trajectories**" in [m.value for m in speaker.markdown]
    speaker.button(key="speaker_next").click().run()
    moved = space.share(share.code)
    assert (moved.page, moved.query, moved.step) == ("trajectories", {**FEMORAL, "present": ["1"]}, 2)


def test_a_share_key_stays_on_the_speaker_view(app_on, demo_db, workspace_file):
    """The key moves the room's slides: a page other than the speaker view never writes it back into
    its address (its Link and Add to talk would carry it on)."""
    at = app_on(demo_db, {"share": "k" * 20, "site": "femoral"})
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    assert _query(at) == FEMORAL


def test_a_cohort_changed_on_the_slide_is_a_step_the_room_follows(app_on, demo_db, workspace_file):
    """The presenter removes a filter in the cohort drawer (its chip): the slide redraws in place and
    its new address is written, one step on, which a follower then opens."""
    at = app_on(demo_db, {"site": ["femoral", "common_iliac"], "present": "1"})
    at.switch_page("app_pages/overview.py").run()
    at.button(key="share_start").click().run()
    space = workspace.Workspace(workspace_file)
    with space._connect() as con:
        ((code,),) = con.execute("SELECT code FROM shares").fetchall()
    follower = app_on(demo_db, {"follow": code}).run()
    assert _query(follower)["site"] == ["common_iliac", "femoral"]
    at.button(key="chip_site_femoral").click().run()
    assert not at.exception, at.exception
    share = space.share(code)
    assert (share.page, share.query, share.step) == ("overview", {"site": ["common_iliac"], "present": ["1"]}, 2)
    follower.run()
    assert _query(follower) == {"site": ["common_iliac"], "present": ["1"], "follow": [code]}
    n = by_arm(demo_db, "obstruction_site = 'common_iliac'")
    assert _line(follower) == f"**Overview** · Common iliac · n = {n} · pooled randomized and observational · {MARK}"


def test_the_speaker_view_after_stop_sharing_offers_no_steps(app_on, demo_db, workspace_file):
    """Review 9, finding 7: after Stop sharing the speaker view still showed Previous and Next (and a
    step from it shared the slides again). It now says the presenter stopped, with no steps; a step
    pressed in a view drawn before the stop moves nothing."""
    space = workspace.Workspace(workspace_file)
    talk = space.new_talk("Stopped talk")
    space.add_slide(talk.slug, "overview", FEMORAL, "Who they are")
    space.add_slide(talk.slug, "trajectories", FEMORAL, "Their course")
    share = space.start_share("overview", {**FEMORAL, "present": ["1"], "talk": [talk.slug], "slide": ["1"]})
    drawn_before = app_on(demo_db, {"share": share.secret})
    drawn_before.switch_page("app_pages/speaker.py").run()
    assert not drawn_before.button(key="speaker_next").disabled
    space.end_share(share.secret)

    speaker = app_on(demo_db, {"share": share.secret})
    speaker.switch_page("app_pages/speaker.py").run()
    assert not speaker.exception, speaker.exception
    assert not {"speaker_previous", "speaker_next"} & _keys(speaker)
    assert ":orange-badge[The presenter stopped sharing: the room keeps the last slide shown]" in [
        m.value for m in speaker.markdown
    ]
    drawn_before.button(key="speaker_next").click().run()
    stopped = space.share(share.code)
    assert (stopped.ended, stopped.step, stopped.page) == (True, 1, "overview")
    assert r"The presenter stopped sharing\: the slides are no longer moved from here." in [  # as Markdown
        e.value for e in drawn_before.error
    ]


def test_a_speaker_view_step_counts_from_the_slide_the_room_is_on(app_on, demo_db, workspace_file):
    """Review 9, finding 6 (from the speaker view): a press before the view redrew moved the room to the
    slide the view had drawn as next, so two quick presses made one step. Next counts from the slide
    the room is on when pressed."""
    space = workspace.Workspace(workspace_file)
    talk = space.new_talk("Three slides")
    for page, title in (("overview", "One"), ("trajectories", "Two"), ("responders", "Three")):
        space.add_slide(talk.slug, page, FEMORAL, title)

    def on(position: int) -> dict[str, list[str]]:
        return {**FEMORAL, "present": ["1"], "talk": [talk.slug], "slide": [str(position)]}

    share = space.start_share("overview", on(1))
    speaker = app_on(demo_db, {"share": share.secret})
    speaker.switch_page("app_pages/speaker.py").run()
    space.move_share(share.secret, "trajectories", on(2))  # a first press, before this view redrew
    speaker.button(key="speaker_next").click().run()
    moved = space.share(share.code)
    assert (moved.page, moved.query) == ("responders", on(3))


def test_speaker_presses_made_while_the_presenter_draws_each_move_the_room_and_now_is_never_ahead(
    app_on, demo_db, workspace_file, monkeypatch
):
    """Review 27, finding 1: a speaker's Next pressed while the presenter's window was still drawing
    the slide it was leaving was lost (that run wrote its own slide back over the speaker's step), and
    the speaker view meanwhile said "Now" of a slide the room never reached. The press is made here
    inside the presenter's run, after its page drew and before it wrote its slide again (where the
    browser's press fell): the room must go where the presses lead, counting from the slide it is on,
    and the speaker view says "Going to" until the presenter's window has drawn the slide."""
    from pts_explorer.ui import following, speaker

    space = workspace.Workspace(workspace_file)
    talk = space.new_talk("Three slides")
    titles = ["Who they are", "Their VCSS", "Ulcers heal"]
    space.add_slide(talk.slug, "overview", FEMORAL, titles[0])
    space.add_slide(talk.slug, "trajectories", {**FEMORAL, "outcome": ["vcss"]}, titles[1])
    space.add_slide(talk.slug, "durability", {**FEMORAL, "endpoint": ["ulcer_healing"]}, titles[2])
    presenter = app_on(demo_db, {**FEMORAL, "present": "1", "talk": talk.slug, "slide": "1"}).run()
    presenter.switch_page("app_pages/overview.py").run()
    presenter.button(key="share_start").click().run()
    assert not presenter.exception, presenter.exception
    with space._connect() as con:
        ((code, secret),) = con.execute("SELECT code, secret FROM shares").fetchall()
    speaker_view = app_on(demo_db, {"share": secret}).run()
    speaker_view.switch_page("app_pages/speaker.py").run()
    assert speaker_view.caption[0].value == "Now · Slide 1 of 3"

    settled = following.presenter_settled
    pressed = []

    def pressed_while_drawing(spec):  # the speaker's Next, pressed while this run drew its slide
        if not pressed:
            pressed.append(spec.name)
            speaker._move(secret, "next")
        settled(spec)

    monkeypatch.setattr(following, "presenter_settled", pressed_while_drawing)
    presenter.run()  # the presenter's window redraws slide 1 (e.g. a heartbeat's run) as the speaker presses
    assert not presenter.exception, presenter.exception
    assert pressed == ["overview"]
    monkeypatch.setattr(following, "presenter_settled", settled)
    share = space.share(code)
    assert share.query["slide"] == ["2"]  # the press stays: not written back over by the presenter's run
    assert share.arriving
    speaker_view.run()
    assert speaker_view.caption[0].value == "Going to · Slide 2 of 3 (the presenter's window is opening it)"
    speaker_view.button(key="speaker_next").click().run()  # the second press, the room still on slide 1
    assert space.share(code).query["slide"] == ["3"]  # counted from where the first press leads
    assert speaker_view.caption[0].value == "Going to · Slide 3 of 3 (the presenter's window is opening it)"

    presenter.run()  # the presenter's window looks at the store: it opens slide 3, where both presses lead
    assert not presenter.exception, presenter.exception
    assert _query(presenter) == {
        **FEMORAL,
        "endpoint": ["ulcer_healing"],
        "present": ["1"],
        "talk": [talk.slug],
        "slide": ["3"],
    }
    assert _line(presenter) == (
        f"Slide 3 of 3: **{titles[2]}** · **Durability** · Femoral · n = 24 stent, 23 medical with an open ulcer at "
        "baseline · pooled randomized and observational · :orange-badge[:material/science: synthetic data] · small "
        "cells hidden (k\u00a0=\u00a05)"
    )
    share = space.share(code)
    assert (share.query["slide"], share.arriving) == (["3"], False)
    speaker_view.run()
    assert speaker_view.caption[0].value == "Now · Slide 3 of 3"


def test_a_reloaded_presenter_window_shares_on_only_where_the_share_goes_on_and_the_talk_is_the_same(workspace_file):
    """following.resumable: the browser's last share (its cookie) is taken up by a presenter window of the same
    talk (or of no talk, like the share), never after Stop sharing, never by a window presenting another talk."""
    from pts_explorer.ui import following

    space = workspace.Workspace(workspace_file)
    talk = space.start_share("overview", {**FEMORAL, "talk": ["abcd2345"], "slide": ["2"]})
    plain = space.start_share("overview", FEMORAL)
    same = {"present": ["1"], "talk": ["abcd2345"], "slide": ["2"]}
    assert following.resumable(talk, same)
    assert following.resumable(talk, {**same, "slide": ["1"]})  # the talk's link opened again: its first slide
    assert not following.resumable(talk, {**same, "talk": ["zzzz9999"]})
    assert not following.resumable(talk, {"present": ["1"]})
    assert following.resumable(plain, {"present": ["1"], "site": ["ivc"]})
    assert not following.resumable(plain, same)
    assert not following.resumable(None, same)
    space.end_share(talk.secret)
    assert not following.resumable(space.share_by_secret(talk.secret), same)
