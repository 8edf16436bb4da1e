"""Issue 30, review rev30 finding 2: with sign-in configured and no permissions file, a signed-in user sees no
study, no audit trail and no Import (fail closed), and the page tells the operator which file to write; the
local tool (no sign-in) without a file is unchanged: every study. The sign-in is stood in for here (the
provider's part is tested in Chromium, tests/browser); the permissions are the app's own."""

import duckdb
import pytest

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
    con = duckdb.connect(str(db), read_only=True)
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
