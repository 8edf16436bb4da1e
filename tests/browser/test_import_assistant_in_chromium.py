"""The mapping assistant in Chromium: a REDCap project built differently from the built-in profile
(its arm field named `study_arm`, sex coded 1 = Woman, 2 = Man) is refused; choices made in the
page (the arm's column, then each sex code's contract value) turn the refusal into an import; the
profile downloaded from the page imports the same files from the command line into the same
tables as the page's import."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from pts_explorer.config import PROJECT_ROOT
from tests.browser.app_driver import act_and_wait, choose, listed, open_page, wait_idle
from tests.browser.conftest import serving
from tests.unit.test_import_assistant import builders_project

TABLES = ("patients", "visits", "procedures", "events")


@pytest.fixture(scope="module")
def live_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("assist_live") / "pts_outcomes.duckdb"


@pytest.fixture(scope="module")
def live_server(live_db, small_db):
    shutil.copyfile(small_db, live_db)
    with serving(live_db) as url:
        yield url


def _rows(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def _save_and_check(page: Page) -> None:
    act_and_wait(page, lambda: page.get_by_role("button", name="Save and check again").click(), timeout=240_000)


def test_a_refused_redcap_project_becomes_an_import_by_choices_in_the_page(
    live_server, live_db, small_db, page, tmp_path
):
    project = builders_project(small_db, tmp_path)
    open_page(page, f"{live_server}/import")
    choose(page, "Profile", "redcap")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in project])
    expect(page.get_by_text(project[-1].name).first).to_be_visible(timeout=30_000)
    wait_idle(page)
    act_and_wait(page, lambda: page.get_by_role("button", name="Check").click(), timeout=240_000)
    expect(page.get_by_text("Rejected:").first).to_be_visible()

    # The assistant names the missing field; its look-alike column is offered first.
    field = "arm (required): no source has treatment"
    assert listed(page, field)[0] == "study_arm"
    choose(page, field, "study_arm")
    _save_and_check(page)
    expect(page.get_by_text("Rejected:").first).to_be_visible()
    assert page.get_by_role("combobox", name="Profile", exact=True).input_value() == "redcap-edited"

    # Now the sex codes: each mapped onto the contract's value.
    choose(page, "1", "female")
    choose(page, "2", "male")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the profile (TOML)").click()
    downloaded = tmp_path / "downloaded.toml"
    shutil.copyfile(download.value.path(), downloaded)
    _save_and_check(page)
    expect(page.get_by_text("Checked: no errors").first).to_be_visible()
    act_and_wait(page, lambda: page.get_by_role("button", name="Import and replace").click(), timeout=240_000)
    expect(page.get_by_text("Imported ").first).to_be_visible()
    served = _rows(live_db)

    # The downloaded profile imports the same files from the command line into the same tables.
    out = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pts_explorer.importer",
            "--profile",
            str(downloaded),
            "--out",
            str(out),
            "--quiet",
            *map(str, project),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert _rows(out) == served
    assert len(served["patients"]) > 0
    con = duckdb.connect(str(small_db), read_only=True)
    registry = con.execute(
        "SELECT patient_id, arm, sex FROM patients JOIN studies USING (study_id) WHERE design = 'observational' "
        "ORDER BY 1"
    ).fetchall()
    con.close()
    assert [(p[0], p[3], p[6]) for p in served["patients"]] == registry
