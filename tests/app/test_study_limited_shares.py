"""Issue 30, review rev30: what a user limited to some studies is handed on the Saved cohorts page and in the
exports. The counts a saved cohort recorded are its saver's view (finding 1) and the dataset fingerprint's
per-table counts are the whole file's (finding 3): neither reaches a user who sees one study. Every number is
recounted here from the demo file with DuckDB, never taken from the app."""

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from pts_explorer import audit, derived
from pts_explorer import db as db_module
from pts_explorer.ui import exporting
from pts_explorer.workspace import Workspace
from tests.app.test_presenter_and_exports import _prepared
from tests.app.test_reproduce_bundles import run_bundle

PERMISSIONS = '[[grant]]\nusers = ["local"]\nstudies = ["TRIAL"]\nrights = ["export_rows"]\n'


def _recount(db: Path, sql: str) -> dict[str, int]:
    con = db_module.open_read_only(db)
    try:
        return {arm: int(n) for arm, n in con.execute(sql).fetchall()}
    finally:
        con.close()


@pytest.fixture
def limited_to_trial(tmp_path, monkeypatch):
    file = tmp_path / "pts_permissions.toml"
    file.write_text(PERMISSIONS, encoding="utf-8")
    monkeypatch.setenv("PTS_PERMISSIONS", str(file))
    return file


@pytest.fixture
def downloads(monkeypatch):
    """Each download button's label and what it hands over (a callable is called, as a click would)."""
    seen: dict[str, object] = {}
    original = DeltaGenerator.download_button

    def capture(self, label, data, *args, **kwargs):
        seen[label] = data
        return original(self, label, data, *args, **kwargs)

    bound = st.download_button  # st.download_button is the main container's method, bound at import

    def capture_main(label, data, *args, **kwargs):
        seen[label] = data
        return bound(label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", capture)
    monkeypatch.setattr(st, "download_button", capture_main)
    return seen


def _registry_cohort(db: Path, workspace_file: Path) -> dict[str, int]:
    """A REGISTRY user's saved cohort (study=REGISTRY, occlusion) with the counts its saver saw."""
    counts = _recount(
        db,
        "SELECT arm, count(*) FROM patients WHERE study_id = 'REGISTRY' AND stenosis_grade = 'occlusion' GROUP BY arm",
    )
    con = db_module.open_read_only(db)
    whole = derived.fingerprint(con)
    con.close()
    query = {"study": ["REGISTRY"], "grade": ["occlusion"]}
    Workspace(workspace_file).save("Reg occl only", query, "demo", whole, counts, "note of reg")
    return counts


def test_a_trial_user_exports_saved_cohorts_without_the_registry_savers_counts(
    app_on, demo_db, workspace_file, limited_to_trial, downloads
):
    saved_counts = _registry_cohort(demo_db, workspace_file)
    assert saved_counts["stent"] > 0 and saved_counts["medical"] > 0
    at = app_on(demo_db)
    at.switch_page("app_pages/cohorts.py").run()
    assert not at.exception, at.exception
    text = downloads["Export all as JSON"]()
    [entry] = json.loads(text)["cohorts"]
    assert entry["name"] == "Reg occl only" and entry["counts"] == {}
    assert entry["fingerprint"].startswith("sha256:") and "patients:" not in text
    whole = _recount(demo_db, "SELECT 'all', count(*) FROM patients")["all"]
    assert f"patients:{whole}" not in text
    # the page's own table: the patients now, within TRIAL (the study filter it may not see is left out)
    now = _recount(
        demo_db,
        "SELECT arm, count(*) FROM patients WHERE study_id = 'TRIAL' AND stenosis_grade = 'occlusion' GROUP BY arm",
    )
    table = at.dataframe[0].value
    assert list(table["Patients now (stent / medical)"]) == [f"{now['stent']} / {now['medical']}"]
    # the download is in the audit trail as an export of its exact size
    events, _ = audit.read(audit.path(workspace_file))
    exports = [e for e in events if e["action"] == "export"]
    assert [(e["user"], e["page"], e["kind"], e["size"], e["detail"]) for e in exports] == [
        ("local", "cohorts", "json", len(text.encode("utf-8")), "pts_saved_cohorts.json")
    ]


def test_without_a_permissions_file_the_export_keeps_the_counts(app_on, demo_db, workspace_file, downloads):
    saved_counts = _registry_cohort(demo_db, workspace_file)
    at = app_on(demo_db)
    at.switch_page("app_pages/cohorts.py").run()
    assert not at.exception, at.exception
    [entry] = json.loads(downloads["Export all as JSON"]())["cohorts"]
    assert entry["counts"] == saved_counts


def test_a_cohort_saved_on_other_data_does_not_tell_a_trial_user_what_it_held(
    app_on, demo_db, workspace_file, limited_to_trial
):
    held = {"medical": 164, "stent": 456}  # what a REGISTRY user's cohort held on another file
    Workspace(workspace_file).save("Reg occl only", {"grade": ["occlusion"]}, "other registry", "old", held)
    at = app_on(demo_db)
    at.switch_page("app_pages/cohorts.py").run()
    assert not at.exception, at.exception
    now = _recount(
        demo_db,
        "SELECT arm, count(*) FROM patients WHERE study_id = 'TRIAL' AND stenosis_grade = 'occlusion' GROUP BY arm",
    )
    assert [w.value for w in at.warning] == [
        f"**Reg occl only** was saved on other data (**other registry**, fingerprint `{derived.short('old')}`): "
        f"its filters select {now['stent']} stent, {now['medical']} medical patients in the data served now."
    ]


def _whole_fingerprint(db: Path) -> str:
    con = db_module.open_read_only(db)
    try:
        return derived.fingerprint(con)
    finally:
        con.close()


def _texts_of_zip(made: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(made)) as archive:
        names = [name for name in archive.namelist() if not name.endswith(".parquet")]
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in names)


def test_a_trial_users_exports_carry_a_digest_not_the_whole_files_counts(
    app_on, demo_db, workspace_file, limited_to_trial, downloads, tmp_path
):
    whole = _whole_fingerprint(demo_db)
    patients = _recount(demo_db, "SELECT 'all', count(*) FROM patients")["all"]
    assert f"patients:{patients}:" in whole  # the file's own fingerprint names its patients
    at = _prepared(app_on, demo_db, "overview")
    page = at.session_state[exporting.PAGE]
    assert page.fingerprint == "sha256:" + hashlib.sha256(whole.encode("utf-8")).hexdigest()
    handed = {
        "Report (HTML)": downloads["Report (HTML)"](),
        "Reproduce (zip)": _texts_of_zip(downloads["Reproduce (zip)"]()),
        "Patient rows (CSV, zip)": _texts_of_zip(downloads["Patient rows (CSV, zip)"]()),
    }
    for label, text in handed.items():
        assert re.findall(r"(?:patients|visits|procedures|events):\d", text) == [], label
        assert page.fingerprint in text, label
    done = run_bundle(page, demo_db, tmp_path / "bundle")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "warning" not in done.stdout  # reproduce.py recognises the file by the digest


def test_without_a_permissions_file_exports_carry_the_files_fingerprint(app_on, demo_db, workspace_file):
    at = _prepared(app_on, demo_db, "overview")
    assert at.session_state[exporting.PAGE].fingerprint == _whole_fingerprint(demo_db)


def test_the_data_checks_page_gives_a_trial_user_no_whole_file_count(app_on, demo_db, workspace_file, limited_to_trial):
    at = app_on(demo_db)
    at.switch_page("app_pages/data_checks.py").run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == [
        "The data checks run on the whole file, which holds studies you may not see, so their counts and examples "
        "are shown only to users who see every study. No error stops the pages."
    ]
    assert at.dataframe == [] and not any("checks** of the data contract" in m.value for m in at.markdown)
