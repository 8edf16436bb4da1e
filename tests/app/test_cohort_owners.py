"""Issue 30: saved cohorts and talks have owners and are private or shared with the team, on the pages. A
signed-in user without the manage_cohorts right lists their own and the shared cohorts; another user's
private cohort opened by its link is refused, naming the right, and the trail records it as denied; so is
deleting another user's shared cohort. Saving from the sidebar records the user as owner, private when asked."""

import pytest

from pts_explorer import audit, escape
from pts_explorer.identity import Identity
from pts_explorer.ui import auth
from pts_explorer.workspace import Owner, Workspace
from tests.app.test_saved_cohorts import _open_menu

TINA = Identity(user="tina@example.org", name="Tina Trial", groups=(), signed_in=True)
BOB = Owner("bob@example.org", manage=False)


@pytest.fixture
def tina(tmp_path, monkeypatch):
    """Tina is signed in; she sees every study and has no right (not manage_cohorts)."""
    file = tmp_path / "pts_permissions.toml"
    file.write_text('[[grant]]\nusers = ["tina@example.org"]\nstudies = ["*"]\n', encoding="utf-8")
    monkeypatch.setenv("PTS_PERMISSIONS", str(file))
    monkeypatch.setattr(auth, "configured", lambda: True)
    monkeypatch.setattr(auth, "current_identity", lambda: TINA)
    return TINA


def _bobs(workspace_file):
    bob = Workspace(workspace_file, BOB)
    private = bob.save("Bob private", {"sex": ["male"]}, "demo", "", {}, shared=False)
    shared = bob.save("Bob shared", {"sex": ["female"]}, "demo", "", {})
    return private, shared


def _events(workspace_file) -> list[tuple[str, str, str, str]]:
    return [
        (e["user"], e["action"], e["page"], e["detail"])
        for e in audit.read(audit.path(workspace_file))[0]
        if e["action"] == "denied"
    ]


def test_another_users_private_cohort_by_its_link_is_refused_and_recorded(app_on, demo_db, workspace_file, tina):
    private, _ = _bobs(workspace_file)
    at = app_on(demo_db, {"cohort": private.slug, "site": "femoral"}).run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if "private" in i.value] == [
        f"The saved cohort {private.slug} is private to another user: opening it needs the manage_cohorts right. "
        "Ask its owner to share it with the team. The link's other settings apply."
    ]
    assert at.multiselect(key="sex").value == []  # Bob's filter (male) is not applied
    assert _events(workspace_file) == [
        (
            "tina@example.org",
            "denied",
            "overview",
            f"opening private saved cohort {private.slug} (saved by bob@example.org) without the manage_cohorts right",
        )
    ]


def test_the_sidebar_lists_own_and_shared_cohorts_and_saves_private_ones_as_the_users(
    app_on, demo_db, workspace_file, tina
):
    _bobs(workspace_file)
    at = _open_menu(app_on(demo_db, {"sex": "male"}).run())
    assert at.selectbox(key="saved_open").options == ["Bob shared"]  # not Bob's private cohort
    next(w for w in at.text_input if w.label == "Save these filters as").set_value("Tina's men")
    at.checkbox(key="save_cohort_shared").uncheck()
    next(b for b in at.button if b.label == "Save").click()
    at = at.run()
    assert not at.exception, at.exception
    mine = [c for c in Workspace(workspace_file).cohorts() if c.name == "Tina's men"]
    assert [(c.owner, c.shared, c.query) for c in mine] == [("tina@example.org", False, {"sex": ["male"]})]


def test_deleting_another_users_shared_cohort_is_refused_naming_the_right(app_on, demo_db, workspace_file, tina):
    _, shared = _bobs(workspace_file)
    at = app_on(demo_db).run()
    at.switch_page("app_pages/cohorts.py").run()
    assert not at.exception, at.exception
    assert at.selectbox[0].options == ["Bob shared"]  # not Bob's private cohort
    at.checkbox(key="confirm_delete").check().run()
    at.button(key="delete_cohort").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [  # the message as text (escaped for Markdown)
        escape.markdown(
            "The saved cohort 'Bob shared' is saved by bob@example.org: changing or deleting another user's saved "
            "cohort needs the manage_cohorts right. Nothing was changed."
        )
    ]
    assert Workspace(workspace_file).get(shared.slug) == shared
    assert _events(workspace_file) == [
        (
            "tina@example.org",
            "denied",
            "cohorts",
            f"changing saved cohort {shared.slug} (saved by bob@example.org) without the manage_cohorts right",
        )
    ]


def test_another_users_private_talk_by_its_link_is_refused_and_recorded(app_on, demo_db, workspace_file, tina):
    bob = Workspace(workspace_file, BOB)
    private = bob.new_talk("Bob's private talk", shared=False)
    bob.add_slide(private.slug, "overview", {}, "first")
    shared = bob.new_talk("Bob's shared talk")
    at = app_on(demo_db, {"talk": private.slug})
    at.switch_page("app_pages/talks.py").run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        escape.markdown(
            f"The talk {private.slug} is private to another user: opening it needs the manage_cohorts right. "
            "Ask its owner to share it with the team."
        )
    ]
    assert at.selectbox(key="talks_choice").options == ["Bob's shared talk"]
    assert _events(workspace_file) == [
        (
            "tina@example.org",
            "denied",
            "talks",
            f"opening private talk {private.slug} (saved by bob@example.org) without the manage_cohorts right",
        )
    ]
    assert Workspace(workspace_file).talk(shared.slug).owner == "bob@example.org"


def test_another_users_private_cohort_compared_by_its_link_is_refused_and_recorded(
    app_on, demo_db, workspace_file, tina
):
    """Compare's b=cohort:<slug> of Bob's private cohort: the same refusal and trail line as its cohort= link
    (it was shown as "not a saved cohort here" and nothing was recorded)."""
    private, shared = _bobs(workspace_file)
    at = app_on(demo_db, {"a": shared.slug, "b": f"cohort:{private.slug}"})
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info if "private" in i.value] == [
        f"Cohort B: The saved cohort {private.slug} is private to another user: opening it needs the "
        "manage_cohorts right. Ask its owner to share it with the team."
    ]
    assert at.selectbox(key="b").value not in (private.slug, f"cohort:{private.slug}")  # never compared
    assert at.selectbox(key="a").value == shared.slug  # the shared one opens
    assert _events(workspace_file) == [
        (
            "tina@example.org",
            "denied",
            "compare",
            f"opening private saved cohort {private.slug} (saved by bob@example.org) without the manage_cohorts right",
        )
    ]
    [line] = [e for e in audit.read(audit.path(workspace_file))[0] if e["action"] == "denied"]
    assert line["cohort"] == f"b=cohort%3A{private.slug}"
