"""Issue 30, review rev30 finding 5: what the audit trail records, read back from its file. A Compare cohort of
another study is a refused attempt; the saved-cohort JSON and the trail's own CSV are exports of their exact
size; a sign-in's session, a sign-out and a cohort's save are events; the speaker view's share key is never
written; the admin's table shows no size as blank, not "None"."""

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pts_explorer import audit
from pts_explorer import db as db_module
from pts_explorer.identity import Identity
from pts_explorer.ui import auth
from pts_explorer.workspace import Workspace
from tests.app.test_saved_cohorts import _save_in_sidebar

KEY = "m2pfgn4m66h42xz8rwbi"  # a share key as the speaker view's address carries it (20 letters and digits)


def _grant(tmp_path, monkeypatch, studies: str, rights: str = "") -> None:
    file = tmp_path / "pts_permissions.toml"
    file.write_text(f'[[grant]]\nusers = ["local"]\nstudies = [{studies}]\nrights = [{rights}]\n', encoding="utf-8")
    monkeypatch.setenv("PTS_PERMISSIONS", str(file))


def _events(workspace_file) -> list[dict]:
    return audit.read(audit.path(workspace_file))[0]


@pytest.fixture
def downloads(monkeypatch):
    seen: dict[str, object] = {}
    original, bound = DeltaGenerator.download_button, st.download_button

    def capture(self, label, data, *args, **kwargs):
        seen[label] = data
        return original(self, label, data, *args, **kwargs)

    def capture_main(label, data, *args, **kwargs):
        seen[label] = data
        return bound(label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", capture)
    monkeypatch.setattr(st, "download_button", capture_main)
    return seen


def test_a_compare_cohort_of_another_study_is_recorded_as_refused(
    app_on, demo_db, workspace_file, tmp_path, monkeypatch
):
    _grant(tmp_path, monkeypatch, '"TRIAL"')
    reg = Workspace(workspace_file).save("Reg occl only", {"study": ["REGISTRY"], "grade": ["occlusion"]}, "d", "", {})
    at = app_on(demo_db, {"b": reg.slug})
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, at.exception
    assert [(e["action"], e["page"], e["cohort"], e["detail"]) for e in _events(workspace_file)] == [
        ("open", "compare", f"b={reg.slug}", ""),
        ("denied", "compare", f"b={reg.slug}", "studies REGISTRY"),
    ]


def test_the_speaker_views_share_key_is_never_written(app_on, demo_db, workspace_file):
    at = app_on(demo_db, {"share": KEY, "talk": "abcdefgh"})
    at.switch_page("app_pages/speaker.py").run()
    assert not at.exception, at.exception
    events = _events(workspace_file)
    assert [(e["action"], e["page"]) for e in events] == [("open", "speaker")] and "share" not in events[0]["cohort"]
    assert KEY not in audit.path(workspace_file).read_text(encoding="utf-8")


def test_saving_a_cohort_is_recorded(app_on, demo_db, workspace_file):
    at = _save_in_sidebar(app_on(demo_db, {"sex": "female"}).run(), "Women")
    assert not at.exception, at.exception
    [saved] = Workspace(workspace_file).cohorts()
    saves = [(e["action"], e["cohort"], e["detail"]) for e in _events(workspace_file) if e["action"] == "save"]
    assert saves == [("save", "sex=female", f"saved cohort {saved.slug}")]


def test_the_admins_csv_download_is_an_export_and_no_size_is_blank(
    app_on, demo_db, workspace_file, tmp_path, monkeypatch, downloads
):
    _grant(tmp_path, monkeypatch, '"*"', '"admin"')
    at = app_on(demo_db)
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["action"]) == ["open"] and list(table["size"]) == [""]
    made = downloads["Audit trail (CSV)"]()
    events = _events(workspace_file)
    assert [(e["action"], e["page"], e["kind"], e["size"], e["detail"]) for e in events] == [
        ("open", "audit", "", None, ""),
        ("export", "audit", "csv", len(made), "pts_audit.csv"),
    ]


def test_a_signed_in_session_and_its_sign_out_are_recorded(app_on, demo_db, workspace_file, tmp_path, monkeypatch):
    _grant(tmp_path, monkeypatch, '"TRIAL"')
    tina = Identity(user="tina@example.org", name="Tina Trial", groups=(), signed_in=True)
    monkeypatch.setattr(auth, "configured", lambda: True)
    monkeypatch.setattr(auth, "current_identity", lambda: tina)
    monkeypatch.setattr(st, "logout", lambda: None)  # the provider's part: tests/browser
    at = app_on(demo_db).run()
    at.run()  # a second run of the same session: no second sign-in
    at.button(key="sign_out_button").click().run()
    assert not at.exception, at.exception
    assert [(e["user"], e["action"]) for e in _events(workspace_file)] == [
        ("tina@example.org", "sign_in"),
        ("tina@example.org", "open"),
        ("tina@example.org", "sign_out"),
    ]


def test_a_centre_of_another_study_is_recorded_as_refused(app_on, demo_db, workspace_file, tmp_path, monkeypatch):
    """center=<a REGISTRY centre> for a TRIAL user was a plain "open"; a centre of the user's own study, or no
    centre of the data at all (a mistyped link), is no attempt on another study."""
    _grant(tmp_path, monkeypatch, '"TRIAL"')
    con = db_module.open_read_only(demo_db)  # as the app opens it: one configuration per file in a process
    registry, trial = (
        con.execute("SELECT min(center_id) FROM patients WHERE study_id = ?", [s]).fetchone()[0]
        for s in ("REGISTRY", "TRIAL")
    )
    con.close()
    at = app_on(demo_db, {"center": [registry, trial, "NOWHERE"]}).run()
    assert not at.exception, at.exception
    asked = "&".join(f"center={c}" for c in (registry, trial, "NOWHERE"))
    assert [(e["action"], e["page"], e["cohort"], e["detail"]) for e in _events(workspace_file)] == [
        ("open", "overview", asked, ""),
        ("denied", "overview", asked, f"centres {registry}"),
    ]
    reg = Workspace(workspace_file).save("Reg centre", {"center": [registry]}, "d", "", {})
    at = app_on(demo_db, {"cohort": reg.slug}).run()
    assert not at.exception, at.exception
    assert [(e["action"], e["cohort"], e["detail"]) for e in _events(workspace_file)][-1] == (
        "denied",
        f"cohort={reg.slug}",
        f"centres {registry}",
    )
