"""Per-study access end to end (issue 30, item 2): a user signed in through the local provider whose group
the permissions file grants the TRIAL study only cannot reach the REGISTRY study's rows by the address
(study=REGISTRY), by a saved cohort's link, by the patient-row export or by Compare. Counts are read off the
page and recomputed from the file independently."""

import csv
import io
import zipfile

import duckdb
import pytest
from oidc_provider_mock import User
from playwright.sync_api import Page, expect

from pts_explorer import workspace
from tests.browser.app_driver import act_and_wait, cohort_total, listed, open_page
from tests.browser.test_sign_in_in_chromium import sign_in, signed_in_app

TRIAL_USER = User(sub="tina", claims={"email": "tina@example.org", "name": "Tina Trial", "groups": ["pts-trial"]})
PERMISSIONS = """\
[[grant]]
groups = ["pts-trial"]
studies = ["TRIAL"]
rights = ["export_rows"]
"""


def _count(db, where: str = "TRUE") -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM patients WHERE {where}").fetchone()[0]


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("study-access")
    (folder / "pts_permissions.toml").write_text(PERMISSIONS, encoding="utf-8")
    space = workspace.Workspace(folder / "workspace.sqlite")
    saved = space.save("Cohort kept by a colleague", {"study": ["REGISTRY"]}, "demo", "x", {"stent": 1, "medical": 1})
    env = {"PTS_PERMISSIONS": str(folder / "pts_permissions.toml")}
    with signed_in_app(demo_db, folder, users=(TRIAL_USER,), env=env) as url:
        yield url, saved.slug


@pytest.fixture
def tina(app, page: Page) -> Page:
    url, _ = app
    page.goto(url + "/overview")
    sign_in(page, url, "tina")
    return page


def _patients_on_page(page: Page) -> int:
    return int(cohort_total(page).split()[0].replace(",", ""))


def test_a_trial_user_sees_only_the_trial_by_address_saved_cohort_and_compare(app, tina: Page, demo_db):
    url, slug = app
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
    url, _ = app
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
