"""Per-study access end to end (issue 30, items 2 and 3): a user signed in through the local provider whose
group the permissions file grants the TRIAL study only cannot reach the REGISTRY study's rows by the address
(study=REGISTRY), by a saved cohort's link, by the patient-row export or by Compare. Counts are read off the
page and recomputed from the file independently. The audit trail records those attempts and the export, and
an administrator downloads it from the Audit trail page: the CSV equals the trail's file, read here line by
line. The tests run in this order (one server, one trail)."""

import csv
import io
import json
import zipfile
from pathlib import Path

import duckdb
import pytest
from oidc_provider_mock import User
from playwright.sync_api import Page, expect

from pts_explorer import audit, workspace
from pts_explorer.config import DUCKDB_CONFIG
from tests.browser.app_driver import act_and_wait, cohort_total, listed, open_page
from tests.browser.test_sign_in_in_chromium import sign_in, signed_in_app

TRIAL_USER = User(sub="tina", claims={"email": "tina@example.org", "name": "Tina Trial", "groups": ["pts-trial"]})
ADMIN = User(sub="ada", claims={"email": "ada@example.org", "name": "Ada Admin", "groups": ["pts-admins"]})
PERMISSIONS = """\
[[grant]]
groups = ["pts-trial"]
studies = ["TRIAL"]
rights = ["export_rows"]

[[grant]]
users = ["ada@example.org"]
studies = ["*"]
rights = ["admin"]
"""


def _count(db, where: str = "TRUE") -> int:
    with duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG) as con:
        return con.execute(f"SELECT count(*) FROM patients WHERE {where}").fetchone()[0]


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("study-access")
    (folder / "pts_permissions.toml").write_text(PERMISSIONS, encoding="utf-8")
    space = workspace.Workspace(folder / "workspace.sqlite")
    saved = space.save("Cohort kept by a colleague", {"study": ["REGISTRY"]}, "demo", "x", {"stent": 1, "medical": 1})
    env = {"PTS_PERMISSIONS": str(folder / "pts_permissions.toml")}
    with signed_in_app(demo_db, folder, users=(TRIAL_USER, ADMIN), env=env) as url:
        yield url, saved.slug, folder / "pts_audit.jsonl"


@pytest.fixture
def tina(app, page: Page) -> Page:
    url, _, _ = app
    page.goto(url + "/overview")
    sign_in(page, url, "tina")
    return page


def _patients_on_page(page: Page) -> int:
    return int(cohort_total(page).split()[0].replace(",", ""))


def test_a_trial_user_sees_only_the_trial_by_address_saved_cohort_and_compare(app, tina: Page, demo_db):
    url, slug, _ = app
    trial = _count(demo_db, "study_id = 'TRIAL'")
    assert 0 < trial < _count(demo_db)  # the file holds the registry too
    open_page(tina, f"{url}/overview?study=REGISTRY")
    assert tina.locator(".st-key-signed_in_user").get_by_text("Studies you may see: TRIAL", exact=True).count() == 1
    assert listed(tina, "Study") == ["TRIAL"] or all("REGISTRY" not in option for option in listed(tina, "Study"))
    assert _patients_on_page(tina) == trial
    open_page(tina, f"{url}/overview?cohort={slug}")
    assert _patients_on_page(tina) == trial
    open_page(tina, f"{url}/compare?b=cohort:{slug}")
    body = tina.locator("[data-testid='stMain']").inner_text()
    assert "REGISTRY" not in body


def test_the_patient_rows_export_holds_the_trial_only(app, tina: Page, demo_db):
    url, _, trail = app
    open_page(tina, f"{url}/overview?study=REGISTRY")
    tina.get_by_role("button", name="Export").click()
    act_and_wait(tina, lambda: tina.get_by_role("button", name="Prepare exports").click())
    rows_button = tina.get_by_role("button", name="Patient rows (CSV, zip)")
    if not rows_button.is_visible():
        tina.get_by_role("button", name="Export").click()
    with tina.expect_download(timeout=120_000) as download:
        rows_button.click()
    with zipfile.ZipFile(download.value.path()) as archive:
        name = next(n for n in archive.namelist() if n.endswith("patients.csv"))
        patients = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))
    assert {p["study_id"] for p in patients} == {"TRIAL"}
    assert len(patients) == _count(demo_db, "study_id = 'TRIAL'")
    expect(tina.get_by_role("button", name="Patient rows (CSV, zip)")).to_be_enabled()
    # the trail holds this export: who, the file's kind and its size as downloaded (never its rows); the server
    # wrote the line before it handed the file out, so the file holds it now
    exports = [e for e in _trail_lines(trail) if e["user"] == "tina@example.org" and e["action"] == "export"]
    size = Path(download.value.path()).stat().st_size
    assert [(e["kind"], e["size"], e["detail"]) for e in exports] == [
        ("csv.zip", size, "pts_overview_cohort_csv.zip")
    ], _trail_lines(trail)


def _trail_lines(file: Path) -> list[dict]:
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]


def test_the_trail_records_the_refused_attempts_and_an_admin_downloads_it_whole(app, page: Page):
    url, slug, trail = app
    events = _trail_lines(trail)
    tinas = [
        {k: e[k] for k in ("action", "page", "cohort", "detail")} for e in events if e["user"] == "tina@example.org"
    ]
    refused = [e for e in tinas if e["action"] == "denied"]
    assert {"action": "denied", "page": "overview", "cohort": "study=REGISTRY", "detail": "studies REGISTRY"} in refused
    assert {"action": "denied", "page": "overview", "cohort": f"cohort={slug}", "detail": "studies REGISTRY"} in refused
    assert {
        "action": "denied",
        "page": "compare",
        "cohort": f"b=cohort%3A{slug}",
        "detail": "studies REGISTRY",
    } in refused
    assert all("T-0" not in json.dumps(e) and "R-0" not in json.dumps(e) for e in events)  # no patient id
    page.goto(url + "/audit")
    sign_in(page, url, "ada")
    open_page(page, url + "/audit")
    expect(page.get_by_role("button", name="Audit trail (CSV)")).to_be_visible()
    written = _trail_lines(trail)  # the file as the page read it (this open is its last line)
    with page.expect_download() as download:
        page.get_by_role("button", name="Audit trail (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    expected = [{k: "" if e[k] is None else str(e[k]) for k in audit.COLUMNS} for e in written]
    assert rows == expected[: len(rows)] and len(rows) >= len(written) - 1


def test_the_audit_trail_is_refused_without_the_admin_right(app, tina: Page):
    url, _, trail = app
    open_page(tina, url + "/audit")
    expect(tina.get_by_text("Your permissions do not include the audit trail")).to_be_visible()
    assert tina.get_by_role("button", name="Audit trail (CSV)").count() == 0
    last = _trail_lines(trail)[-1]
    assert (last["user"], last["action"], last["page"]) == ("tina@example.org", "denied", "audit")


def test_another_users_private_cohort_is_refused_by_its_link_and_recorded(app, tina: Page, demo_db):
    """Saved cohorts have owners (issue 30): Bob's private cohort, opened by its link by Tina (who lacks the
    manage_cohorts right), is refused naming the right; its filter is not applied, and the trail says so."""
    url, _, trail = app
    bob = workspace.Workspace(trail.parent / "workspace.sqlite", workspace.Owner("bob@example.org", manage=False))
    private = bob.save("Bob's men", {"sex": ["male"]}, "demo", "x", {}, shared=False)
    open_page(tina, f"{url}/overview?cohort={private.slug}")
    said = (
        f"The saved cohort {private.slug} is private to another user: opening it needs the manage_cohorts right. "
        "Ask its owner to share it with the team. The link's other settings apply."
    )
    expect(tina.get_by_text(said, exact=True)).to_be_visible()
    assert _patients_on_page(tina) == _count(demo_db, "study_id = 'TRIAL'")  # not Bob's filter (men)
    denied = [e for e in _trail_lines(trail) if e["user"] == "tina@example.org" and e["action"] == "denied"]
    assert {k: denied[-1][k] for k in ("page", "cohort", "detail")} == {
        "page": "overview",
        "cohort": f"cohort={private.slug}",
        "detail": f"opening private saved cohort {private.slug} (saved by bob@example.org) without the "
        "manage_cohorts right",
    }
