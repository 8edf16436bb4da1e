"""Issue 30, review rev30 finding 2: with sign-in configured and no permissions file, a signed-in user sees no
study, no audit trail and no Import (fail closed), and the page tells the operator which file to write; the
local tool (no sign-in) without a file is unchanged: every study. The sign-in is stood in for here (the
provider's part is tested in Chromium, tests/browser); the permissions are the app's own."""

import pytest

from pts_explorer import db as db_module
from pts_explorer import escape
from pts_explorer.identity import Identity
from pts_explorer.ui import auth
from tests.app.test_pages import _texts

TINA = Identity(user="tina@example.org", name="Tina Trial", groups=("pts-trial",), signed_in=True)


@pytest.fixture
def missing_file(tmp_path, monkeypatch):
    file = tmp_path / "etc" / "pts_permissions.toml"  # a typo in PTS_PERMISSIONS, or a file not deployed
    monkeypatch.setenv("PTS_PERMISSIONS", str(file))
    return file


@pytest.fixture
def signed_in(monkeypatch):
    monkeypatch.setattr(auth, "configured", lambda: True)
    monkeypatch.setattr(auth, "current_identity", lambda: TINA)


def _patients(db) -> int:
    con = db_module.open_read_only(db)
    try:
        return int(con.execute("SELECT count(*) FROM patients").fetchone()[0])
    finally:
        con.close()


def test_signed_in_without_a_permissions_file_nobody_sees_a_study(app_on, demo_db, missing_file, signed_in):
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Sign-in is configured but there is no permissions file, so no study is shown to anybody. For the operator: "
        f"write the grants to {escape.markdown(str(missing_file))} (or set PTS_PERMISSIONS to the file) as "
        "docs/permissions.md describes; the app reads it at the next page."
    ]
    assert [t.value for t in at.text] == ["Signed in as Tina Trial", "Studies you may see: none"]
    everyone = _patients(demo_db)
    assert f"{everyone:,} patients" not in _texts(at)
    for page, right in (("app_pages/audit.py", "admin"), ("app_pages/import_data.py", "import")):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert not auth.current_access().may(right)
        assert at.get("download_button") == [] and at.get("file_uploader") == [], page


def test_without_sign_in_and_without_a_file_the_local_tool_sees_every_study(app_on, demo_db, missing_file):
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == []
    everyone = _patients(demo_db)
    assert f"**Data loaded:** {everyone:,} patients in 2 studies" in _texts(at)


def test_a_broken_file_shows_signed_in_users_no_content_and_logs_the_line(
    app_on, demo_db, missing_file, signed_in, caplog
):
    missing_file.parent.mkdir()
    missing_file.write_text('[[grant]]\ngroups = ["pts-trial"]\nstudies = ["TRIAL"]\nrights = ["superuser"]\n')
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "The permissions file cannot be used, so no study is shown to anybody, administrators included (who is an "
        "administrator is written in that file, and it cannot be read). Ask the administrator: the server's log "
        "names the line and the fix."
    ]
    line = (
        "pts_permissions.toml, line 4 (grant 1): unknown right 'superuser'; the rights are export_rows, import, "
        "manage_cohorts, admin"
    )
    assert f"the permissions file cannot be used: {line}" in [r.getMessage() for r in caplog.records]


def test_the_local_tool_is_shown_the_line_and_the_fix(app_on, demo_db, missing_file):
    missing_file.parent.mkdir()
    missing_file.write_text('[[grant]]\nusers = ["local"]\nstudies = []\n')
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "The permissions file cannot be used, so no study is shown: "
        + escape.markdown(
            'pts_permissions.toml, line 3 (grant 1): studies is empty; name them, studies = ["<study_id>", ...] '
            '(or ["*"])'
        )
    ]


def test_a_study_id_the_data_do_not_hold_is_a_warning_naming_the_datas_ids(app_on, demo_db, missing_file):
    missing_file.parent.mkdir()
    missing_file.write_text('[[grant]]\nusers = ["local"]\nstudies = ["trial", "REGISTRY"]\n')
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    con = db_module.open_read_only(demo_db)
    held = sorted(r[0] for r in con.execute("SELECT study_id FROM studies").fetchall())
    con.close()
    listed = ", ".join(f"'{s}'" for s in held)
    assert (
        "The permissions file names 'trial', which the data served do not hold (study ids are matched exactly, "
        f"case included; the data hold {listed}): nobody sees them until such a study is imported."
    ) in [w.value for w in at.warning]


def test_a_signed_in_user_without_the_admin_right_is_not_told_the_datas_study_ids(
    app_on, demo_db, missing_file, signed_in
):
    missing_file.parent.mkdir()
    missing_file.write_text('[[grant]]\ngroups = ["pts-trial"]\nstudies = ["trial"]\n')
    at = app_on(demo_db).run()
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning if "permissions file" in w.value]
