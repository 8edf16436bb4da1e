"""Saved cohorts and talks have owners and are private or shared with the team (issue 30): a user lists and
opens their own and the shared ones; changing or deleting another user's, or opening another user's private
one, needs the manage_cohorts right. A workspace written before owners existed migrates in place: its rows
are shared, owner unknown."""

import json
import sqlite3

import pytest

from pts_explorer.workspace import Owner, Refused, Workspace

QUERY = {"site": ["common_iliac"]}
ANN, BOB = Owner("ann@team.org", manage=False), Owner("bob@team.org", manage=False)
MANAGER = Owner("lead@team.org", manage=True)


def _save(space, name, shared=True):
    return space.save(name, QUERY, "demo", "fp-1", {"stent": 4, "medical": 3}, shared=shared)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "ws.sqlite"


def test_a_saved_cohort_records_its_owner_and_whether_it_is_shared(path):
    mine = _save(Workspace(path, ANN), "ann's own", shared=False)
    assert (mine.owner, mine.shared) == ("ann@team.org", False)
    assert Workspace(path).get(mine.slug).owner == "ann@team.org"
    assert _save(Workspace(path), "local one").owner == "local"  # without sign-in: the local user


def test_a_user_lists_their_own_and_the_shared_cohorts_not_others_private_ones(path):
    _save(Workspace(path, ANN), "ann private", shared=False)
    _save(Workspace(path, ANN), "ann shared")
    _save(Workspace(path, BOB), "bob private", shared=False)
    assert [c.name for c in Workspace(path, ANN).cohorts()] == ["ann private", "ann shared"]
    assert [c.name for c in Workspace(path, BOB).cohorts()] == ["ann shared", "bob private"]
    assert Workspace(path, BOB).count() == 2
    assert [c.name for c in Workspace(path, MANAGER).cohorts()] == ["ann private", "ann shared", "bob private"]
    assert [c.name for c in Workspace(path).cohorts()] == ["ann private", "ann shared", "bob private"]  # local
    exported = json.loads(Workspace(path, BOB).export_json())["cohorts"]
    assert [c["name"] for c in exported] == ["ann shared", "bob private"]
    fields = ["slug", "name", "note", "query", "dataset_name", "fingerprint", "counts", "created_at", "updated_at"]
    assert sorted(exported[0]) == sorted([*fields, "version"])  # as before: an import makes them the importer's


def test_opening_another_users_private_cohort_is_refused_naming_the_right(path):
    private = _save(Workspace(path, ANN), "ann private", shared=False)
    with pytest.raises(Refused) as refused:
        Workspace(path, BOB).opened(private.slug)
    assert str(refused.value) == (
        f"The saved cohort {private.slug} is private to another user: opening it needs the manage_cohorts right. "
        "Ask its owner to share it with the team."
    )
    assert refused.value.detail == (
        f"opening private saved cohort {private.slug} (saved by ann@team.org) without the manage_cohorts right"
    )
    assert Workspace(path, ANN).opened(private.slug) == private
    assert Workspace(path, MANAGER).opened(private.slug) == private
    with pytest.raises(Refused):
        Workspace(path, BOB).duplicate(private.slug)


def test_changing_or_deleting_another_users_cohort_needs_manage_cohorts(path):
    shared = _save(Workspace(path, ANN), "ann shared")
    bob = Workspace(path, BOB)
    assert bob.opened(shared.slug) == shared  # shared: bob opens it
    expected = (
        "The saved cohort 'ann shared' is saved by ann@team.org: changing or deleting another user's saved cohort "
        "needs the manage_cohorts right. Nothing was changed."
    )
    for change in (
        lambda: bob.update(shared.slug, "bob's name", "", shared.version),
        lambda: bob.rename(shared.slug, "bob's name", shared.version),
        lambda: bob.set_note(shared.slug, "bob's note", shared.version),
        lambda: bob.set_shared(shared.slug, False),
        lambda: bob.delete(shared.slug),
    ):
        with pytest.raises(Refused) as refused:
            change()
        assert str(refused.value) == expected
    assert Workspace(path).get(shared.slug) == shared  # nothing changed
    copy = bob.duplicate(shared.slug)  # a copy is bob's own
    assert (copy.name, copy.owner, copy.shared) == ("ann shared (copy)", "bob@team.org", True)
    renamed = Workspace(path, MANAGER).rename(shared.slug, "renamed by the lead", shared.version)
    assert renamed.name == "renamed by the lead" and renamed.owner == "ann@team.org"
    Workspace(path, ANN).set_shared(shared.slug, False)
    assert [c.name for c in bob.cohorts()] == ["ann shared (copy)"]
    Workspace(path, MANAGER).delete(shared.slug)
    assert Workspace(path).get(shared.slug) is None


def test_talks_have_owners_too(path):
    ann = Workspace(path, ANN)
    private = ann.new_talk("ann's private talk", shared=False)
    shared = ann.new_talk("ann's shared talk")
    slide = ann.add_slide(shared.slug, "overview", {}, "first")
    bob = Workspace(path, BOB)
    assert [t.title for t in bob.talks()] == ["ann's shared talk"]
    assert [(t.title, t.owner, t.shared) for t in ann.talks()] == [
        ("ann's private talk", "ann@team.org", False),
        ("ann's shared talk", "ann@team.org", True),
    ]
    with pytest.raises(Refused) as refused:
        bob.opened_talk(private.slug)
    assert str(refused.value) == (
        f"The talk {private.slug} is private to another user: opening it needs the manage_cohorts right. "
        "Ask its owner to share it with the team."
    )
    assert bob.opened_talk(shared.slug).slides[0].title == "first"
    expected = (
        "The talk \"ann's shared talk\" is saved by ann@team.org: changing or deleting another user's talk (its "
        "title or its slides) needs the manage_cohorts right. Nothing was changed."
    )
    for change in (
        lambda: bob.rename_talk(shared.slug, "bob's"),
        lambda: bob.set_talk_shared(shared.slug, False),
        lambda: bob.delete_talk(shared.slug),
        lambda: bob.add_slide(shared.slug, "overview", {}, "bob's slide"),
        lambda: bob.update_slide(slide.id, "bob's title", "", slide.version),
        lambda: bob.move_slide(slide.id, 1),
        lambda: bob.duplicate_slide(slide.id),
        lambda: bob.delete_slide(slide.id),
    ):
        with pytest.raises(Refused) as refused:
            change()
        assert str(refused.value) == expected
    assert Workspace(path).talk(shared.slug).slides == (slide,)
    Workspace(path, MANAGER).rename_talk(shared.slug, "renamed by the lead")
    assert Workspace(path, MANAGER).opened_talk(private.slug).title == "ann's private talk"


OLD_SCHEMA = (  # the workspace's tables before owners (main at 66e214d)
    """CREATE TABLE saved_cohorts (slug TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    note TEXT NOT NULL DEFAULT '', query TEXT NOT NULL, dataset_name TEXT NOT NULL, fingerprint TEXT NOT NULL,
    counts TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1)""",
    """CREATE TABLE talks (slug TEXT PRIMARY KEY, title TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
)


def test_a_workspace_without_owners_migrates_in_place_its_rows_shared_owner_unknown(path):
    con = sqlite3.connect(path)
    for statement in OLD_SCHEMA:
        con.execute(statement)
    con.execute(
        "INSERT INTO saved_cohorts VALUES ('abcdefgh', 'old one', 'kept', ?, 'demo', 'fp-1', '{\"stent\": 4}', "
        "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', 3)",
        (json.dumps(QUERY),),
    )
    con.execute("INSERT INTO talks VALUES ('talkslug', 'old talk', '2026-01-01T00:00:00+00:00', '2026-01-01')")
    con.commit()
    con.close()
    ann = Workspace(path, ANN)
    [old] = ann.cohorts()
    assert (old.slug, old.name, old.note, old.query, old.version, old.owner, old.shared) == (
        "abcdefgh",
        "old one",
        "kept",
        QUERY,
        3,
        "",
        True,
    )
    [talk] = ann.talks()
    assert (talk.slug, talk.title, talk.owner, talk.shared) == ("talkslug", "old talk", "", True)
    with pytest.raises(Refused) as refused:
        ann.delete("abcdefgh")
    assert str(refused.value) == (
        "The saved cohort 'old one' is saved before items had owners (owner unknown): changing or deleting another "
        "user's saved cohort needs the manage_cohorts right. Nothing was changed."
    )
    Workspace(path).rename("abcdefgh", "renamed locally", 3)  # the local tool's user: as before
    assert _save(ann, "new one").owner == "ann@team.org"
    columns = [row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(saved_cohorts)")]
    assert columns[-2:] == ["owner", "shared"]
