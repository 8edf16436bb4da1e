"""The mapping assistant on the Import page, review 9 of issue #23 (an outside reviewer's own files:
tests/fixtures/review9_adam, review9_redcap_classic, review9_redcap_long; see their READMEs).

Finding 4: an ADaM package whose ADQS is split as ADQSVIL + ADQSVCSS, with Villalta PARAMCDs VIL01..VIL11,
ADAE and ADPR terms the built-in does not map and ulcers healing with no event, becomes an import by choices
in the page alone, and the downloaded profile imports the same files on the command line with the counts
the reviewer computed by hand (expected.json), recounted here from the XPT files."""

from __future__ import annotations

import csv
import json
import shutil
import tomllib
from pathlib import Path

import duckdb
import pandas as pd

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.vocab import VILLALTA_ITEMS
from tests.app.import_page import verdict
from tests.app.test_import_sdtm_assistant import downloads  # noqa: F401 (a fixture)
from tests.databases import cli_import, table_rows

ADAM = PROJECT_ROOT / "tests" / "fixtures" / "review9_adam"
ADAM_FILES = sorted(ADAM.glob("*.xpt"))


def _served(small_db: Path, tmp_path: Path) -> Path:
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    served.parent.mkdir(parents=True)
    shutil.copyfile(small_db, served)
    return served


def _check(at, profile: str, files: list[Path]) -> None:
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value(profile)
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in files]
    )
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception


def _box(at, key: str):
    return next(b for b in [*at.selectbox, *at.multiselect] if b.key == key)


def _keys(at) -> list[str]:
    return [b.key for b in [*at.selectbox, *at.multiselect] if (b.key or "").startswith("assist_")]


def _option(box, starts: str) -> str:
    found = [o for o in box.options if o.startswith(starts)]
    assert len(found) == 1, (starts, box.options)
    return found[0]


def _save_and_check(at) -> None:
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception


def _xpt(name: str) -> pd.DataFrame:
    frame = pd.read_sas(ADAM / f"{name}.xpt", format="xport", encoding="utf-8")
    return frame.map(lambda v: v.strip() if isinstance(v, str) else v)


def test_a_split_adqs_package_imports_by_choices_alone(app_on, small_db, tmp_path, downloads):  # noqa: F811
    served = _served(small_db, tmp_path)
    at = app_on(served).run()
    _check(at, "adam", ADAM_FILES)
    assert verdict(at, ADAM_FILES, tmp_path) == "rejected"

    # (a) ADQS under two names: the datasets no role reads are offered, several at once.
    adqs = _box(at, "assist_choice_adam_dataset_adqs")
    assert adqs.options == ["adqsvcss (13 variables)", "adqsvil (13 variables)"]
    assert adqs.value == []
    adqs.set_value(["adqsvcss (13 variables)", "adqsvil (13 variables)"])
    # (b) in the same round: the Villalta PARAMCDs of those datasets, with PARAM and records.
    pain = _box(at, "assist_choice_adam_paramcd_v_pain")
    assert pain.value is None
    # (ULCER, VCSS and VILTOT are the built-in's own codes for other columns: not offered.)
    assert pain.options == [f"VIL{i:02d} (Villalta item {i}, 35 records)" for i in range(1, 12)]
    for i, item in enumerate(VILLALTA_ITEMS, start=1):
        _box(at, f"assist_choice_adam_paramcd_{item}").set_value(f"VIL{i:02d} (Villalta item {i}, 35 records)")
    for avisit, month in (("Week 26", "month 6"), ("Week 52", "month 12")):
        _box(at, f"assist_choice_adam_avisit_{avisit}").set_value(month)
    # (c) ADAE terms the map lacks, with their records; not an event until the user says.
    haemorrhage = _box(at, "assist_choice_adam_ae_term_Haemorrhage")
    assert (haemorrhage.label, haemorrhage.value) == (
        "AE term Haemorrhage (2 records): not in [values.event_type]",
        "not an event the contract holds (not imported)",
    )
    haemorrhage.set_value("major_bleeding")
    # The [pr] term among ADPR's variables (not ADAE's), and the ADSL fields among ADSL's.
    term = _box(at, "assist_field_pr_term")
    assert term.options[0] == "PRTRT"
    term.set_value("PRTRT")
    for key, column in (
        ("limb_side", "INDLEG"),
        ("obstruction_site", "OBSSITE"),
        ("ceap_c", "CEAPCL"),
    ):
        box = _box(at, f"assist_field_adsl_{key}")
        assert box.options[0] == column
        box.set_value(column)
    # The index procedure is imported (ADSL has its date): its details are required, as the check says.
    _box(at, "assist_field_adsl_technical_success").set_value("TECHSUC")
    _box(at, "assist_field_adsl_stents_placed").set_value("NSTENT")
    dvt = _box(at, "assist_choice_redcap_dvt")
    dvt.set_value(_option(dvt, "DVTDT: "))
    _box(at, "assist_value_arm:'Best medical therapy'").set_value("medical")
    _box(at, "assist_value_arm:'Venous stent'").set_value("stent")
    population = _box(at, "assist_choice_adam_population")
    population.set_value(_option(population, 'ITTFL = "Y"'))
    _save_and_check(at)

    # Round 2: the ADPR terms (read now that [pr] term is named) and the coded values the check refuses.
    rounds = 0
    while at.error and rounds < 3:
        rounds += 1
        for key in _keys(at):
            box = _box(at, key)
            if key.startswith("assist_choice_adam_pr_event_") and key.endswith(("BALLOON ANGIOPLASTY", "RE-STENTING")):
                box.set_value("reintervention")
            elif key == "assist_value_ceap_c:'C4A'":
                box.set_value("C4a")
            elif key.startswith("assist_value_obstruction_site:"):  # COMMON ILIAC -> common_iliac
                box.set_value(key.split(":", 1)[1].strip("'").lower().replace(" ", "_"))
        _save_and_check(at)
    assert not at.error, (_keys(at), at.table[0].value.to_string() if at.table else "")
    # (d) The check passed; it warns of ulcers healing with no event, and the page offers the derivation.
    healed = _box(at, "assist_choice_derive_ulcer_healed")
    assert healed.value is None
    healed.set_value(_option(healed, "derive it"))
    reintervention = [k for k in _keys(at) if k.startswith("assist_choice_adam_pr_event_")]
    assert reintervention == ["assist_choice_adam_pr_event_VENOUS STENT PLACEMENT"]
    _save_and_check(at)
    assert verdict(at, ADAM_FILES, tmp_path) == "checked"
    assert "assist_choice_derive_ulcer_healed" not in _keys(at)

    saved = Path(at.selectbox(key="import_profile").value)
    profile = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert profile["datasets"]["adqs"] == {"names": ["adqsvcss", "adqsvil"], "required": True}
    assert {k: profile["paramcd"][k] for k in VILLALTA_ITEMS} == {
        item: f"VIL{i:02d}" for i, item in enumerate(VILLALTA_ITEMS, start=1)
    }
    assert profile["derive"] == {"ulcer_healed": True}
    handed = downloads[saved.name]
    assert handed.decode("utf-8") == saved.read_text(encoding="utf-8")

    # The downloaded profile on the command line: the reviewer's counts, recounted from the files.
    downloaded = tmp_path / "downloaded.toml"
    downloaded.write_bytes(handed)
    out = cli_import(downloaded, ADAM_FILES, tmp_path / "cli.duckdb")
    expected = json.loads((ADAM / "expected.json").read_text(encoding="utf-8"))
    adsl = _xpt("adsl")
    itt = adsl[adsl.ITTFL == "Y"]
    arms = itt.TRT01P.map({"Venous stent": "stent", "Best medical therapy": "medical"})
    assert (len(itt), int((arms == "stent").sum()), int((arms == "medical").sum())) == (
        expected["patients_expected"],
        expected["stent"],
        expected["medical"],
    )
    ae, pr = _xpt("adae"), _xpt("adpr")
    ae = ae[ae.USUBJID.isin(itt.USUBJID)]
    events = {
        "major_bleeding": int((ae.AEDECOD == "Haemorrhage").sum()),
        "recurrent_dvt": int((ae.AEDECOD == "Deep vein thrombosis").sum()),
        "pulmonary_embolism": int((ae.AEDECOD == "Pulmonary embolism").sum()),
        "death": int(itt.DTHDT.notna().sum()),  # ADSL's death date and ADAE's "Death": one death
        "stent_thrombosis": int((ae.AEDECOD == "Stent thrombosis").sum()),
        "reintervention": int(pr.PRTRT.isin(["BALLOON ANGIOPLASTY", "RE-STENTING"]).sum()),
        "ulcer_healed": expected["events_expected"]["ulcer_healed(derived)"],
    }
    assert events == {k.removesuffix("(derived)"): v for k, v in expected["events_expected"].items() if ":" not in k}
    with duckdb.connect(str(out), read_only=True) as con:
        got = {
            "patients": con.execute("SELECT count(*) FROM patients").fetchone()[0],
            "arms": dict(con.execute("SELECT arm, count(*) FROM patients GROUP BY 1").fetchall()),
            "visits": con.execute("SELECT count(*) FROM visits WHERE visit_month IN (0, 6, 12)").fetchone()[0],
            "baselines": con.execute("SELECT count(*) FROM visits WHERE visit_month = 0").fetchone()[0],
            "events": dict(con.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall()),
            "procedures": con.execute("SELECT count(*) FROM procedures").fetchone()[0],
        }
    assert got == {
        "patients": expected["patients_expected"],
        "arms": {"stent": expected["stent"], "medical": expected["medical"]},
        "visits": expected["visits_expected_months_0_6_12"],
        "baselines": expected["baselines"],
        "events": events,
        "procedures": expected["procedures_expected"],
    }

    # The page imports the same tables.
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert verdict(at, ADAM_FILES, tmp_path) == "imported"
    assert table_rows(served) == table_rows(out)


LONG = PROJECT_ROOT / "tests" / "fixtures" / "review9_redcap_long"
LONG_FILES = sorted((LONG / "fixed").glob("*.csv"))
NOT_A_VISIT = "not a visit (patient fields on it are still read; its other rows are not imported)"
FROM_ARMS = "(the REDCap arm of each record's events: choose each arm's treatment below)"


def test_a_longitudinal_export_takes_its_arm_from_the_redcap_arms(app_on, small_db, tmp_path, downloads):  # noqa: F811
    """Finding 6: the record id is the export's first column (study_id), offered first; the arm is the
    REDCap arm of the events ([arms] 1 = "stent", 2 = "medical", [fields] arm = ""), chosen in the page;
    events that are no visits are written to the profile ([events] <event> = ""), so the check no longer
    warns of them; the export then imports, each visit of a scheduled event once (counted from the CSV)."""
    served = _served(small_db, tmp_path)
    at = app_on(served).run()
    _check(at, "redcap", LONG_FILES)
    assert verdict(at, LONG_FILES, tmp_path) == "rejected"
    record = _box(at, "assist_field_fields_patient_id")
    assert record.options[0] == "study_id"
    record.set_value("study_id")
    arm = _box(at, "assist_field_fields_arm")
    assert arm.options[0] == FROM_ARMS
    arm.set_value(FROM_ARMS)
    one, two = _box(at, "assist_choice_redcap_arm_1"), _box(at, "assist_choice_redcap_arm_2")
    assert (one.options, one.value) == (["stent", "medical"], None)
    one.set_value("stent")
    two.set_value("medical")
    pain = _box(at, "assist_field_fields_v_pain")
    assert pain.options[:2] == ["v_pain", "v_calf_pain"]  # the exact name first
    for key in _keys(at):
        box = _box(at, key)
        if key.startswith("assist_field_fields_") and box.value is None and box.options[0] == key.split("_", 3)[3]:
            box.set_value(box.options[0])  # the field of the contract column's own name
    _box(at, "assist_field_fields_center_id").set_value("site")
    events = {
        "enrolment_arm_1": "month 0",
        "enrolment_arm_2": "month 0",
        "month_6_arm_2": "month 6",
        "month_12_arm_2": "month 12",
        "end_of_study_arm_1": NOT_A_VISIT,
        "end_of_study_arm_2": NOT_A_VISIT,
        "phone_call_arm_1": NOT_A_VISIT,
        "unscheduled_arm_2": NOT_A_VISIT,
    }
    for event, month in events.items():
        _box(at, f"assist_choice_redcap_event_{event}").set_value(month)
    _save_and_check(at)
    assert not at.error, (_keys(at), at.table[0].value.to_string() if at.table else "")
    rules = {str(r) for r in at.session_state["import_report"].issues["rule"]}
    assert "redcap:event" not in rules  # the events said to be no visits are no longer warned of
    saved = Path(at.selectbox(key="import_profile").value)
    profile = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert profile["arms"] == {"1": "stent", "2": "medical"}
    assert (profile["fields"]["arm"], profile["fields"]["patient_id"]) == ("", "study_id")
    builtin = tomllib.loads((PROJECT_ROOT / "pts_explorer/importer/formats/redcap.toml").read_text(encoding="utf-8"))
    assert profile["events"] == builtin["events"] | {
        "enrolment_arm_1": 0,
        "enrolment_arm_2": 0,
        "month_6_arm_2": 6,
        "month_12_arm_2": 12,
        "end_of_study_arm_1": "",
        "end_of_study_arm_2": "",
        "phone_call_arm_1": "",
        "unscheduled_arm_2": "",
    }

    # The downloaded profile on the command line, and the page's import: every scheduled visit of each patient
    # whose choices the contract holds (sex 3, "Prefer not to say", is skipped with its patient), from the CSV.
    out = tmp_path / "cli.duckdb"
    downloaded = tmp_path / "downloaded.toml"
    downloaded.write_bytes(downloads[saved.name])
    cli_import(downloaded, LONG_FILES, out)
    with (LONG / "fixed" / "PTSLONG3_DATA.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    arms = {"1": "stent", "2": "medical"}
    patients = {
        r["study_id"]: arms[r["redcap_event_name"].rsplit("_", 1)[1]]
        for r in rows
        if r["redcap_event_name"].startswith("enrolment_") and r["sex"] != "3"
    }
    months = {"enrolment_arm_1": 0, "enrolment_arm_2": 0, "month_6_arm_1": 6, "month_12_arm_1": 12}
    months |= {"month_6_arm_2": 6, "month_12_arm_2": 12}
    visits = sorted(
        (r["study_id"], months[r["redcap_event_name"]])
        for r in rows
        if r["study_id"] in patients and r["redcap_event_name"] in months
    )
    assert (len(patients), len(visits)) == (5, 14)  # the reviewer's own counts
    with duckdb.connect(str(out), read_only=True) as con:
        assert dict(con.execute("SELECT patient_id, arm FROM patients").fetchall()) == patients
        assert con.execute("SELECT patient_id, visit_month FROM visits ORDER BY ALL").fetchall() == visits
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert verdict(at, LONG_FILES, tmp_path) == "imported"
    assert table_rows(served) == table_rows(out)


CLASSIC = PROJECT_ROOT / "tests" / "fixtures" / "review9_redcap_classic"
CLASSIC_FILES = sorted(CLASSIC.glob("*.csv"))


def test_excel_dates_get_their_format_and_the_uploaded_profile_is_the_one_shown(app_on, small_db, tmp_path):
    """Findings 5 and 12: the reviewer's downloaded profile, uploaded with the export (dates re-saved by
    Excel as dd/mm/yyyy), is shown in the picker as the profile used, its path without a backslash; the
    assistant offers the format the date messages suggest for every date field, and with it the export
    imports the reviewer's 8 patients and 20 visits."""
    served = _served(small_db, tmp_path)
    at = app_on(served).run()
    uploaded = CLASSIC / "reg2_assistant.toml"
    _check(at, "redcap", [*CLASSIC_FILES, uploaded])
    saved = served.parent / "profiles" / "reg2_assistant.toml"
    assert at.selectbox(key="import_profile").value == str(saved)
    assert [i.value for i in at.info][0] == (
        "The profile uploaded with the files, **redcap-PTSREG2\\_DATA\\_2024-06-01\\_0930** (saved as "
        "`profiles/reg2_assistant.toml`), was used; it is chosen in the Profile picker."
    )
    assert verdict(at, [*CLASSIC_FILES, uploaded], tmp_path) == "rejected"
    dates = _box(at, "assist_choice_date_formats")
    assert dates.label.replace("\\", "") == (
        "[dates] formats: 38 date values of ae_dt, death_dt, enrol_date, fu_date, last_seen are not ISO 8601 "
        "(01/03/2021, 01/03/2022, 01/05/2022, ...); the style they are written in (the one the messages suggest "
        "first)"
    )
    assert dates.options == ["%d/%m/%Y (reads 01/03/2021)", "%m/%d/%Y (reads 01/03/2021; 33 of 38)"]
    assert dates.value is None
    dates.set_value("%d/%m/%Y (reads 01/03/2021)")
    _save_and_check(at)
    assert not at.error, (_keys(at), at.table[0].value.to_string() if at.table else "")
    edited = Path(at.selectbox(key="import_profile").value)
    profile = tomllib.loads(edited.read_text(encoding="utf-8"))
    assert profile["dates"]["formats"] == ["%d%b%Y", "%d/%m/%Y"]  # the DVT date's DATE9 style kept

    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert verdict(at, [*CLASSIC_FILES, uploaded], tmp_path) == "imported"
    expected = json.loads((CLASSIC / "expected.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(served), read_only=True) as con:
        counts = con.execute("SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM visits)").fetchone()
    # The reviewer's count: 8 patients (arm and CEAP "Other" skipped with their patients), their 21 scheduled
    # visits but R1009's month 12, whose ulcer "Not assessed" has no contract value (skipped, finding 7).
    assert counts == (expected["patients_if_ceap_other_also_skipped"], expected["visits_scheduled_of_8"] - 1) == (8, 20)
