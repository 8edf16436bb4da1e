"""Lost updates: every saved cohort has a version, a change carries the version it started from, and
a change from a version someone else has replaced is refused with the stored text; nothing is lost,
between two clients of one workspace and between two processes writing the file at once."""

import sqlite3
import subprocess
import sys
import time
from datetime import datetime

import pytest

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.workspace import CohortConflict, Workspace, WorkspaceError


def _utc(stamp: str) -> str:
    return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M:%S") + " UTC"  # stored in UTC


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ws.sqlite"


def test_the_second_of_two_edits_from_one_version_is_refused_with_the_first_text(path):
    first = Workspace(path).save("Femoral", {"site": ["femoral"]}, "demo", "fp", {}, note="original")
    ann, ben = Workspace(path), Workspace(path)  # two clients, both opened version 1
    started_ann, started_ben = ann.get(first.slug).version, ben.get(first.slug).version
    assert started_ann == started_ben == 1
    saved = ann.update(first.slug, "Femoral", "Ann's note", started_ann)
    assert (saved.note, saved.version) == ("Ann's note", 2)
    with pytest.raises(CohortConflict) as conflict:
        ben.update(first.slug, "Femoral vein", "Ben's note", started_ben)
    assert conflict.value.started == 1
    assert (conflict.value.current.name, conflict.value.current.note, conflict.value.current.version) == (
        "Femoral",
        "Ann's note",
        2,
    )
    assert str(conflict.value) == (
        f"'Femoral' was changed by someone else (at {_utc(saved.updated_at)}) after you opened it: your change was "
        "not saved. Read their text, then load it or save yours over it."
    )
    kept = Workspace(path).get(first.slug)
    assert (kept.name, kept.note, kept.version) == ("Femoral", "Ann's note", 2)  # Ann's text is not lost
    overwritten = ben.update(first.slug, "Femoral vein", "Ben's note", conflict.value.current.version)
    assert (overwritten.name, overwritten.note, overwritten.version) == ("Femoral vein", "Ben's note", 3)


def test_a_refused_change_and_a_bad_name_leave_the_version(path):
    space = Workspace(path)
    a = space.save("A", {}, "demo", "fp", {})
    space.save("B", {}, "demo", "fp", {})
    with pytest.raises(WorkspaceError, match="already called"):
        space.update(a.slug, "b", "x", a.version)
    assert space.get(a.slug).version == 1
    assert space.rename(a.slug, "A2", 1).version == 2
    assert space.set_note(a.slug, "n", 2).version == 3
    with pytest.raises(CohortConflict):
        space.set_note(a.slug, "stale", 2)
    assert space.get(a.slug).note == "n"


def test_a_workspace_from_before_versions_opens_at_version_1(path):
    con = sqlite3.connect(path)
    con.execute(
        "CREATE TABLE saved_cohorts (slug TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, "
        "note TEXT NOT NULL DEFAULT '', query TEXT NOT NULL, dataset_name TEXT NOT NULL, fingerprint TEXT NOT NULL, "
        "counts TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"
    )
    con.execute(
        "INSERT INTO saved_cohorts VALUES ('abcdefgh', 'Old', 'old note', '{\"sex\": [\"male\"]}', 'demo', 'fp', "
        "'{\"stent\": 4}', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:00+00:00')"
    )
    con.commit()
    con.close()
    old = Workspace(path).get("abcdefgh")
    assert (old.name, old.note, old.query, old.counts, old.version) == (
        "Old",
        "old note",
        {"sex": ["male"]},
        {"stent": 4},
        1,
    )
    assert Workspace(path).update("abcdefgh", "Old", "new note", 1).version == 2


EDIT = """
import pathlib, sys, time
from pts_explorer.workspace import CohortConflict, Workspace
path, go, who, slug = sys.argv[1:]
space = Workspace(path)
started = space.get(slug).version  # both processes read the same version...
pathlib.Path(go + '.' + who).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.005)
try:  # ...and save at the same moment
    space.update(slug, 'Shared', f'note by {who}', started)
    print('saved')
except CohortConflict as conflict:
    print('conflict', conflict.current.note)
"""


def test_two_processes_saving_one_cohort_at_once_lose_nothing(path, tmp_path):
    slug = Workspace(path).save("Shared", {}, "demo", "fp", {}, note="original").slug
    go = tmp_path / "go"
    procs = {
        who: subprocess.Popen(
            [sys.executable, "-c", EDIT, str(path), str(go), who, slug],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for who in ("ann", "ben")
    }
    while not all((tmp_path / f"go.{who}").exists() for who in procs):
        assert all(p.poll() is None for p in procs.values()), "a process ended before saving"
        time.sleep(0.005)
    go.touch()
    said = {who: p.communicate(timeout=60)[0].strip() for who, p in procs.items()}
    assert [p.returncode for p in procs.values()] == [0, 0]
    [winner] = [who for who, text in said.items() if text == "saved"]
    [loser] = [who for who in said if who != winner]
    assert said[loser] == f"conflict note by {winner}"  # the second is told, with the first's text
    stored = Workspace(path).get(slug)
    assert (stored.note, stored.version) == (f"note by {winner}", 2)
