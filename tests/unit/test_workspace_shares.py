"""Shares in the workspace (#27 item 4, Follow me): a presenter's slide is written under a follow code
and a secret; each change of address is one step (the same address again only says the presenter is
there); followers' heartbeats are counted over the last ten seconds; only the secret moves the slide;
writers in several threads and server processes at once all land."""

import json
import sqlite3
import subprocess
import sys
import threading

import pytest

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.settings import SECRET, SLUG
from pts_explorer.workspace import FOLLOWER_SECONDS, SHARE_KEEP_SECONDS, Workspace, WorkspaceError

T0 = 1_800_000_000.0  # a fixed clock: seconds since the epoch
VIEWER = "v" * 20


@pytest.fixture
def space(tmp_path):
    return Workspace(tmp_path / "ws.sqlite")


def test_a_share_keeps_the_slide_in_presenter_mode_without_follow_codes_or_keys(space):
    shared = space.start_share(
        "effects",
        {
            "site": ["femoral"],
            "visit": ["12"],
            "talk": ["abcdefgh"],
            "slide": ["2"],
            "follow": ["zzzzzzzz"],  # a follower's own code is never shared on
            "share": ["k" * 20],
            "utm_source": ["mail"],  # not a setting of the app
            "grade": ["'; DROP TABLE shares; --"],  # not a value the filter knows
        },
        now=T0,
    )
    assert SLUG.fullmatch(shared.code) and SECRET.fullmatch(shared.secret)
    assert (shared.page, shared.query, shared.step) == (
        "effects",
        {"site": ["femoral"], "visit": ["12"], "present": ["1"], "talk": ["abcdefgh"], "slide": ["2"]},
        1,
    )
    assert (shared.started_at, shared.updated_at, shared.presenter_seen, shared.ended) == (T0, T0, T0, False)
    assert space.share(shared.code) == shared == space.share_by_secret(shared.secret)
    with sqlite3.connect(space.path) as con:
        ((stored,),) = con.execute("SELECT query FROM shares").fetchall()
    assert json.loads(stored) == shared.query


def test_each_new_address_is_one_step_and_the_same_address_only_a_heartbeat(space):
    shared = space.start_share("overview", {"site": ["femoral"]}, now=T0)
    moved = space.move_share(shared.secret, "trajectories", {"site": ["femoral"], "present": ["1"]}, now=T0 + 5)
    assert (moved.page, moved.query, moved.step, moved.updated_at) == (
        "trajectories",
        {"site": ["femoral"], "present": ["1"]},
        2,
        T0 + 5,
    )
    # The same address, written in another order and with a default spelled out: no step.
    again = space.move_share(
        shared.secret, "trajectories", {"outcome": ["villalta_total"], "site": ["femoral"]}, now=T0 + 9
    )
    assert (again.step, again.updated_at, again.presenter_seen) == (2, T0 + 5, T0 + 9)
    back = space.move_share(shared.secret, "overview", {"site": ["femoral"]}, now=T0 + 12)
    assert (back.page, back.step) == ("overview", 3)
    assert space.presenter_seen(shared.secret, now=T0 + 20).presenter_seen == T0 + 20
    assert space.share(shared.code).step == 3


def test_only_the_secret_moves_the_slide(space):
    shared = space.start_share("overview", {}, now=T0)
    for wrong in (shared.code, "x" * 20, "'; DROP TABLE shares; --", ""):
        with pytest.raises(WorkspaceError, match="That share no longer exists"):
            space.move_share(wrong, "safety", {}, now=T0 + 1)
        assert space.share_by_secret(wrong) is None
    assert space.share(shared.code).page == "overview"
    for code in ("zzzzzzzz", "'; DROP TABLE shares; --", "", None, shared.secret):
        assert space.share(code) is None


def test_a_page_without_a_chart_is_not_shared(space):
    with pytest.raises(WorkspaceError, match="'talks' is not a page with a chart"):
        space.start_share("talks", {})
    shared = space.start_share("overview", {})
    with pytest.raises(WorkspaceError, match="'import_data' is not a page with a chart"):
        space.move_share(shared.secret, "import_data", {})
    assert space.share(shared.code).step == 1


def test_followers_are_those_heard_from_in_the_last_ten_seconds(space):
    shared = space.start_share("overview", {}, now=T0)
    other = space.start_share("overview", {}, now=T0)
    assert space.followers(shared.code, now=T0) == 0
    space.viewer_seen(shared.code, "a" * 20, now=T0)
    space.viewer_seen(shared.code, "b" * 20, now=T0 + 4)
    space.viewer_seen(shared.code, "a" * 20, now=T0 + 6)  # the same window again: still one
    space.viewer_seen(other.code, "c" * 20, now=T0 + 6)  # another share's follower
    assert space.followers(shared.code, now=T0 + 6) == 2
    assert space.followers(other.code, now=T0 + 6) == 1
    assert FOLLOWER_SECONDS == 10
    assert space.followers(shared.code, now=T0 + 14) == 2  # b heard 10 s ago: counted
    assert space.followers(shared.code, now=T0 + 14.5) == 1  # b 10.5 s ago: gone; a 8.5 s ago
    assert space.followers(shared.code, now=T0 + 17) == 0
    space.viewer_seen("zzzzzzzz", "d" * 20, now=T0)  # no such share: nothing stored
    space.viewer_seen(shared.code, "not a viewer name", now=T0)
    with sqlite3.connect(space.path) as con:
        assert sorted(con.execute("SELECT code, viewer FROM share_viewers").fetchall()) == sorted(
            [(shared.code, "a" * 20), (shared.code, "b" * 20), (other.code, "c" * 20)]
        )


def test_a_presenter_gone_quiet_or_ended_is_told_apart(space):
    shared = space.start_share("overview", {}, now=T0)
    assert not space.share(shared.code).presenter_gone(T0 + 30, after=30)
    assert space.share(shared.code).presenter_gone(T0 + 31, after=30)
    space.end_share(shared.secret, now=T0 + 2)
    ended = space.share(shared.code)
    assert ended.ended and ended.presenter_gone(T0 + 2, after=30)
    assert space.move_share(shared.secret, "safety", {}, now=T0 + 3).ended is False  # presenting again


def test_shares_unseen_for_a_day_are_removed_when_a_new_one_starts(space):
    old = space.start_share("overview", {}, now=T0)
    space.viewer_seen(old.code, VIEWER, now=T0)
    kept = space.start_share("overview", {}, now=T0 + 10)
    new = space.start_share("safety", {}, now=T0 + SHARE_KEEP_SECONDS + 5)
    assert space.share(old.code) is None
    assert space.share(kept.code) is not None and space.share(new.code) is not None
    with sqlite3.connect(space.path) as con:
        assert con.execute("SELECT count(*) FROM share_viewers").fetchone()[0] == 0


def test_reading_an_absent_workspace_creates_nothing(tmp_path):
    space = Workspace(tmp_path / "nowhere" / "ws.sqlite")
    assert space.share("abcdefgh") is None and space.share_by_secret("a" * 20) is None
    assert space.followers("abcdefgh") == 0
    assert not (tmp_path / "nowhere").exists()


def test_a_presenter_and_followers_writing_at_once_in_threads_all_land(space):
    shared = space.start_share("overview", {}, now=T0)
    start = threading.Barrier(9)
    errors: list[Exception] = []
    pages = ["trajectories", "effects", "subgroups", "responders", "durability", "safety"]

    def follow(i):
        start.wait()
        try:
            for beat in range(5):
                Workspace(space.path).viewer_seen(shared.code, f"{i:020d}", now=T0 + beat)
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            errors.append(exc)

    def present():
        start.wait()
        try:
            for page in pages:
                Workspace(space.path).move_share(shared.secret, page, {}, now=T0 + 1)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(8)] + [threading.Thread(target=present)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    final = space.share(shared.code)
    assert (final.page, final.step) == ("safety", 1 + len(pages))
    assert space.followers(shared.code, now=T0 + 4) == 8


def test_server_processes_writing_at_once_all_land(tmp_path):
    """Followers served by two server processes and the presenter by a third: SQLite's lock
    serialises them; every heartbeat and every step is kept."""
    path = tmp_path / "ws.sqlite"
    shared = Workspace(path).start_share("overview", {}, now=T0)
    go = tmp_path / "go"
    script = (
        "import sys, time, pathlib\n"
        "from pts_explorer.workspace import Workspace\n"
        "path, go, who, code, secret = sys.argv[1:6]\n"
        "while not pathlib.Path(go).exists(): time.sleep(0.01)\n"
        "space = Workspace(path)\n"
        "if who == 'presenter':\n"
        "    for page in ('trajectories', 'effects', 'safety'):\n"
        "        space.move_share(secret, page, {}, now=1_800_000_001.0)\n"
        "else:\n"
        "    for viewer in range(5):\n"
        "        space.viewer_seen(code, f'{who}{viewer:019d}', now=1_800_000_001.0)\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), str(go), who, shared.code, shared.secret], cwd=PROJECT_ROOT
        )
        for who in ("a", "b", "presenter")
    ]
    go.touch()
    assert [p.wait(timeout=60) for p in procs] == [0, 0, 0]
    final = Workspace(path).share(shared.code)
    assert (final.page, final.step) == ("safety", 4)
    assert Workspace(path).followers(shared.code, now=T0 + 2) == 10


def test_a_write_over_a_step_not_seen_keeps_that_step_and_says_whether_the_room_is_on_it(space):
    """Review 27, finding 1: the speaker view's step (not drawn yet: arriving) is never overwritten by
    the presenter's window writing the slide it drew before it saw that step; once the presenter's
    window writes the step it opened (drawn), the room is on it."""
    shared = space.start_share("overview", {"site": ["femoral"]}, now=T0)
    assert (shared.step, shared.shown, shared.arriving) == (1, 1, False)
    speaker = space.move_share(shared.secret, "trajectories", {"site": ["femoral"]}, now=T0 + 1, expected=1)
    assert (speaker.page, speaker.step, speaker.shown, speaker.arriving) == ("trajectories", 2, 1, True)
    stale = space.move_share(shared.secret, "overview", {"site": ["femoral"]}, now=T0 + 2, expected=1, drawn=True)
    assert (stale.page, stale.step, stale.arriving, stale.presenter_seen) == ("trajectories", 2, True, T0 + 2)
    opened = space.move_share(shared.secret, "trajectories", {"site": ["femoral"]}, now=T0 + 3, expected=2, drawn=True)
    assert (opened.page, opened.step, opened.shown, opened.arriving) == ("trajectories", 2, 2, False)


def test_a_workspace_file_made_before_the_drawn_step_was_kept_opens_with_its_shares(tmp_path):
    path = tmp_path / "ws.sqlite"
    with sqlite3.connect(path) as con:  # the shares table as the previous release made it
        con.execute(
            "CREATE TABLE shares (code TEXT PRIMARY KEY, secret TEXT NOT NULL UNIQUE, page TEXT NOT NULL, "
            "query TEXT NOT NULL, step INTEGER NOT NULL DEFAULT 1, started_at REAL NOT NULL, updated_at REAL NOT "
            "NULL, presenter_seen REAL NOT NULL, ended INTEGER NOT NULL DEFAULT 0)"
        )
        con.execute(
            "INSERT INTO shares VALUES ('abcdefgh', ?, 'overview', '{\"present\": [\"1\"]}', 4, ?, ?, ?, 0)",
            ("s" * 20, T0, T0, T0),
        )
    shared = Workspace(path).share("abcdefgh")
    assert shared is not None and (shared.step, shared.shown, shared.arriving) == (4, 4, False)
