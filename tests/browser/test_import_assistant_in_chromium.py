"""The mapping assistant in Chromium: a REDCap project built differently from the built-in profile
(its arm field named `study_arm`, sex coded 1 = Woman, 2 = Man) is refused; choices made in the
page (the arm's column, then each sex code's contract value) turn the refusal into an import; the
profile downloaded from the page imports the same files from the command line into the same
tables as the page's import."""

import csv
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from pts_explorer.config import DUCKDB_CONFIG, PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from tests.browser.app_driver import act_and_wait, choose, listed, open_page, selected, wait_idle
from tests.browser.conftest import serving
from tests.browser.import_verdict import expect_verdict
from tests.databases import cli_import, table_rows
from tests.unit.test_assistant_dvt_date import AS_DATE, DICTIONARY, EXPORT
from tests.unit.test_assistant_dvt_date import _expected as dvt_months
from tests.unit.test_import_assistant import builders_project


@pytest.fixture(scope="module")
def live_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("assist_live") / "pts_outcomes.duckdb"


@pytest.fixture(scope="module")
def live_server(live_db, small_db):
    shutil.copyfile(small_db, live_db)
    with serving(live_db) as url:
        yield url


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
    expect_verdict(page, "rejected", "redcap", project, tmp_path, synthetic=None)

    # The assistant names the missing field; its look-alike column is offered first.
    field = "arm (required): no source has treatment"
    assert listed(page, field)[0] == "study_arm"
    choose(page, field, "study_arm")
    _save_and_check(page)
    # Saved under the profile's and the upload's name (a second project never replaces it), and
    # checked with it (the rerun after the save selects it).
    profile = page.get_by_role("combobox", name="Profile", exact=True)
    # Named by its [profile] name (the assistant writes the file's), its file beside it.
    expect(profile).to_have_value("redcap-registry_export (profiles/redcap-registry_export.toml)", timeout=240_000)
    wait_idle(page)
    saved = live_db.parent / "profiles" / "redcap-registry_export.toml"
    expect_verdict(page, "rejected", saved, project, tmp_path, synthetic=None)

    # Now the sex codes: each, shown with its label, mapped onto the contract's value.
    choose(page, "1 (Woman)", "female")
    choose(page, "2 (Man)", "male")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the profile (TOML)").click()
    downloaded = tmp_path / "downloaded.toml"
    shutil.copyfile(download.value.path(), downloaded)
    _save_and_check(page)
    expect_verdict(page, "checked", saved, project, tmp_path, synthetic=None)
    act_and_wait(page, lambda: page.get_by_role("button", name="Import and replace").click(), timeout=240_000)
    expect_verdict(page, "imported", saved, project, tmp_path, synthetic=None)
    served = table_rows(live_db)

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
    assert table_rows(out) == served
    assert len(served["patients"]) > 0
    con = duckdb.connect(str(small_db), read_only=True, config=DUCKDB_CONFIG)
    registry = con.execute(
        "SELECT patient_id, arm, sex FROM patients JOIN studies USING (study_id) WHERE design = 'observational' "
        "ORDER BY 1"
    ).fetchall()
    con.close()
    assert [(p[0], p[3], p[6]) for p in served["patients"]] == registry


REVIEW = PROJECT_ROOT / "tests" / "fixtures" / "redcap_review23"


def test_a_project_with_other_field_names_imports_by_choices_and_save_as_replaces_nothing(
    live_server, live_db, page, tmp_path
):
    """The reviewer's second REDCap build (tests/fixtures/redcap_review23/v4_*: other field names, no
    death date field, the obstruction site a radio `obst_site`): every missing field is offered,
    required or optional as the importer says, death_date defaulting to "the project has no such
    field"; no checkbox column or dictionary header is offered; "Save as" offers a new name beside
    another project's profile of the same name, and refuses to replace it unasked; with the
    choices made, the files import (findings 3, 4, 10, 11, 12)."""
    folder = live_db.parent / "profiles"
    folder.mkdir(exist_ok=True)
    other = folder / "redcap-v4_records_raw.toml"
    other.write_text((PROJECT_ROOT / "pts_explorer/importer/formats/redcap.toml").read_text("utf-8"), "utf-8")
    before = other.read_bytes()
    files = [REVIEW / "v4_records_raw.csv", REVIEW / "v4_dictionary.csv"]
    open_page(page, f"{live_server}/import")
    choose(page, "Profile", "redcap")
    act_and_wait(page, lambda: page.get_by_text("Synthetic (simulated)").click())
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    expect(page.get_by_text(files[-1].name).first).to_be_visible(timeout=30_000)
    wait_idle(page)
    act_and_wait(page, lambda: page.get_by_role("button", name="Check").click(), timeout=240_000)
    expect_verdict(page, "rejected", "redcap", files, tmp_path, synthetic=True)

    # Each message in full, as text (the table cuts long ones): the messages the importer gives.
    checked = run_import(
        "redcap", files, tmp_path / "cli.duckdb", Options(check_only=True, synthetic=True), progress=lambda _: None
    )
    page.get_by_text("Each problem's message in full").click()
    full = page.get_by_test_id("stExpander").filter(has_text="Each problem's message in full").get_by_role("listitem")
    expect(full).to_have_count(len(checked.rules))
    assert full.all_inner_texts() == [
        f"{r.severity.capitalize()} ({r.file}, {r.column}): {r.message}"
        if r.column
        else f"{r.severity.capitalize()} ({r.file}): {r.message}"
        for r in checked.rules
    ]

    header = next(csv.reader(files[1].open(encoding="utf-8")))
    site = listed(page, "obstruction_site (required): no source has obstruction_site")
    assert site[0] == "obst_site"
    assert [c for c in site if "___" in c or c in header] == []
    assert selected(page, "death_date (optional): no source has death_date") == "(the project has no such field)"
    required = {
        "enrolled_on": ("enroll_date", "enrol_date"),
        "sex": ("sex", "gender"),
        "limb_side": ("index_limb", "index_leg"),
        "months_since_dvt": ("months_since_dvt", "dvt_months"),
        "obstruction_site": ("obstruction_site", "obst_site"),
        "stenosis_pct": ("stenosis_pct", "stenosis"),
        "ceap_c": ("ceap_c", "ceap"),
        "v_heaviness": ("vil_heaviness", "vil_heavy"),
        "v_paresthesia": ("vil_paresthesia", "vil_paraes"),
        "v_pruritus": ("vil_pruritus", "vil_prur"),
        "v_edema": ("vil_edema", "vil_oedema"),
        "v_induration": ("vil_induration", "vil_indur"),
        "v_hyperpigmentation": ("vil_hyperpigmentation", "vil_hyperpig"),
        "v_calf_pain": ("vil_calf_pain", "vil_calfpain"),
        "ulcer_present": ("ulcer_present", "ulcer"),
        "technical_success": ("technical_success", "proc_success"),
        "stents_placed": ("stents_placed", "stents_n"),
        "below_inguinal_ligament": ("below_inguinal_ligament", "below_il"),
    }
    # The procedure's details are required by the one rule every check says (the export has procedure_date).
    details = ("technical_success", "stents_placed", "below_inguinal_ligament")
    for key, (expected, column) in required.items():
        said = "required, because the index procedure is imported" if key in details else "required"
        choose(page, f"{key} ({said}): no source has {expected}", column)
    choose(page, "compression_use (optional): no source has compression_use", "stockings")
    # treatment's choice 3 (Other) has no arm: the import refuses it until it is mapped or its patients are left out
    choose(page, "3 (Other)", "(leave its patients out: [population] exclude_arms)")

    name = page.get_by_role("textbox", name="Save as")
    assert name.input_value() == "redcap-v4_records_raw-2"
    act_and_wait(page, lambda: (name.fill("redcap-v4_records_raw"), name.press("Enter")))
    expect(
        page.get_by_text("profiles/redcap-v4_records_raw.toml is another profile already", exact=False)
    ).to_be_visible()
    expect(page.get_by_role("button", name="Save and check again")).to_be_disabled()
    act_and_wait(page, lambda: (name.fill("redcap-v4"), name.press("Enter")))
    _save_and_check(page)
    expect(page.get_by_role("combobox", name="Profile", exact=True)).to_have_value(
        "redcap-v4 (profiles/redcap-v4.toml)", timeout=240_000
    )
    expect_verdict(page, "checked", folder / "redcap-v4.toml", files, tmp_path, synthetic=True)
    assert other.read_bytes() == before
    act_and_wait(page, lambda: page.get_by_role("button", name="Import and replace").click(), timeout=240_000)
    expect_verdict(page, "imported", folder / "redcap-v4.toml", files, tmp_path, synthetic=True)
    export = list(csv.DictReader(files[0].open(encoding="utf-8")))
    kept = sorted(
        r["record_id"]
        for r in export
        if r["redcap_event_name"] == "baseline_arm_1" and not r["redcap_repeat_instrument"] and r["treatment"] != "3"
    )
    served = sorted(str(p[0]) for p in table_rows(live_db)["patients"])
    assert served == kept


def test_a_refused_export_with_a_dvt_date_field_imports_by_the_choice_in_the_page(live_server, live_db, page, tmp_path):
    """tests/fixtures/redcap_dvt_date: the DVT recorded as a date (`date_of_dvt`, validated as date_ymd)
    where the built-in profile expects months. The assistant offers it as the DVT's date (first, not as
    the months, which the check would refuse); with that one choice the page checks clean and imports
    each patient's whole months from the DVT to enrolment, and the profile downloaded from the page
    carries `[fields] dvt_date` and imports the same files from the command line into the same tables."""
    files = [EXPORT, DICTIONARY]
    open_page(page, f"{live_server}/import")
    choose(page, "Profile", "redcap")
    act_and_wait(page, lambda: page.get_by_text("Synthetic (simulated)").click())
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    # The uploader shortens a long name ("PTSFoll...-06-10.csv"); its remove button names it whole.
    expect(page.get_by_role("button", name=f"Remove {files[-1].name}")).to_be_visible(timeout=30_000)
    wait_idle(page)
    act_and_wait(page, lambda: page.get_by_role("button", name="Check").click(), timeout=240_000)
    expect_verdict(page, "rejected", "redcap", files, tmp_path, synthetic=True)

    label = "months_since_dvt (required): no source has months_since_dvt"
    offered = listed(page, label)
    assert offered[0] == AS_DATE
    assert "date_of_dvt" not in offered and "prior_dvt_count" in offered
    choose(page, label, AS_DATE)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the profile (TOML)").click()
    downloaded = tmp_path / "downloaded.toml"
    shutil.copyfile(download.value.path(), downloaded)
    fields = tomllib.loads(downloaded.read_text(encoding="utf-8"))["fields"]
    assert (fields["dvt_date"], fields["months_since_dvt"]) == ("date_of_dvt", "")
    _save_and_check(page)
    expect_verdict(page, "checked", downloaded, files, tmp_path, synthetic=True)
    act_and_wait(page, lambda: page.get_by_role("button", name="Import and replace").click(), timeout=240_000)
    expect_verdict(page, "imported", downloaded, files, tmp_path, synthetic=True)
    with duckdb.connect(str(live_db), read_only=True, config=DUCKDB_CONFIG) as con:
        months = con.execute("SELECT patient_id, months_since_dvt FROM patients ORDER BY 1").fetchall()
    assert months == dvt_months(files[0].read_text(encoding="utf-8"))
    served = table_rows(live_db)

    out = tmp_path / "cli.duckdb"
    cli_import(downloaded, files, out)
    assert table_rows(out) == served


REVIEW9 = PROJECT_ROOT / "tests" / "fixtures" / "review9"


def test_a_profile_uploaded_with_the_files_is_the_one_the_picker_shows_and_a_check_reads(live_server, page, tmp_path):
    """Review 9, finding 12, in Chromium: the reviewer's classic REDCap export uploaded with their profile
    (reg2_v1.toml, [profile] name redcap-PTSREG2_DATA_2024-06-01_0930) while the picker shows adam. The
    check reads the upload and the picker, its caption and the command then show it, by its [profile]
    name with its file beside it, and the file's name without a backslash; moved back to adam, a
    "Check" of the same uploads reads the uploaded profile again."""
    files = [*sorted((REVIEW9 / "redcap_classic").glob("*.csv")), REVIEW9 / "reg2_v1.toml"]
    shown = "redcap-PTSREG2_DATA_2024-06-01_0930 (profiles/reg2_v1.toml)"
    open_page(page, f"{live_server}/import")
    choose(page, "Profile", "adam")
    act_and_wait(page, lambda: page.get_by_text("Synthetic (simulated)").click())
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(f) for f in files])
    expect(page.get_by_role("button", name="Remove reg2_v1.toml")).to_be_visible(timeout=30_000)
    wait_idle(page)
    for _ in range(2):
        act_and_wait(page, lambda: page.get_by_role("button", name="Check", exact=True).click(), timeout=240_000)
        # refused: the profile leaves the arm choice "3, Other" unmapped (review 16: no longer a warning)
        expect_verdict(page, "rejected", REVIEW9 / "reg2_v1.toml", files, tmp_path, synthetic=True)
        picker = page.get_by_role("combobox", name="Profile", exact=True)
        expect(picker).to_have_value(shown, timeout=240_000)
        wait_idle(page)
        caption = page.get_by_text("redcap-PTSREG2_DATA_2024-06-01_0930 (profiles/reg2_v1.toml):", exact=False)
        expect(caption.first).to_have_text(
            "redcap-PTSREG2_DATA_2024-06-01_0930 (profiles/reg2_v1.toml): REDCap flat CSV export (raw values) plus "
            "its data dictionary."
        )
        notice = page.get_by_text("The profile uploaded with the files,", exact=False).first
        expect(notice).to_have_text(
            "The profile uploaded with the files, redcap-PTSREG2_DATA_2024-06-01_0930 (saved as "
            "profiles/reg2_v1.toml), was used; it is chosen in the Profile picker."
        )
        command = page.get_by_test_id("stCode").filter(has_text="pts_explorer.importer").first.inner_text()
        assert "--profile adam" not in command and "profiles/reg2_v1.toml --out" in command, command
        choose(page, "Profile", "adam")  # moved away: the next Check still reads the uploaded profile
