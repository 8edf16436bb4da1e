"""A REDCap project an outside reviewer built by hand (tests/fixtures/redcap_review23/, see its
README): the findings of the issue #23 review, each recomputed here from the CSV files."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pts_explorer.importer import Options, assistant, run_import
from pts_explorer.importer.formats import load

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "redcap_review23"
EVENTS = {"enrolment_arm_1": 0, "month_6_arm_1": 6, "month_12_arm_1": 12}


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _choices(dictionary: str, field: str) -> dict[str, str]:
    row = next(r for r in _rows(dictionary) if r["Variable / Field Name"] == field)
    pairs = [p.strip().partition(",") for p in row["Choices, Calculations, OR Slider Labels"].split("|")]
    return {code.strip(): label.strip() for code, _, label in pairs}


def _import(tmp_path: Path, profile: Path | str, *names: str, check: bool = True):
    out = tmp_path / "out.duckdb"
    options = Options(synthetic=True, check_only=check)
    return run_import(profile, [HERE / n for n in names], out, options, progress=lambda _: None), out


def _errors(report) -> list[tuple[str, str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return [(r.rule, r.file, r.message) for r in errors.itertuples()]


@pytest.fixture(scope="module")
def export_v2() -> list[dict[str, str]]:
    return _rows("records_raw_v2.csv")


def test_an_optional_coded_field_without_a_value_map_is_refused_not_emptied(tmp_path, export_v2):
    """Finding 2: the stockings labels ("Never", "Some days", "Every day") are no value of
    visits.compression_use and the profile's [values.compression_use] maps other labels: every
    visit's value would be left empty. That is a missing map, refused naming the field, the choices
    and the key (it was an import with compression_use empty in every visit and one warning)."""
    report, _ = _import(tmp_path, HERE / "redcap-values.toml", "records_raw_v2.csv", "dictionary.csv")
    other = {r["record_id"] for r in export_v2 if r["redcap_event_name"] == "enrolment_arm_1" and r["treatment"] == "3"}
    visits = [
        r
        for r in export_v2
        if r["redcap_event_name"] in EVENTS
        and not r["redcap_repeat_instrument"]
        and r["visit_date"]
        and r["record_id"] not in other
    ]
    held = [r for r in visits if r["stockings"]]
    labels = _choices("dictionary.csv", "stockings")
    seen = ", ".join(f"{c} ({labels[c]})" for c in sorted({r["stockings"] for r in held}))
    assert not report.imported
    assert _errors(report) == [
        (
            "redcap:unmapped",
            "records_raw_v2.csv",
            f"{len(held)} of {len(held)} visits hold choices of 'stockings' with no value in visits.compression_use "
            f"({seen}): map them in [values.compression_use] of a copy of the profile (each to one of none, "
            'intermittent, daily), or leave the optional field out ([fields] compression_use = "")',
        )
    ]


def _assist(profile_ref, report, fields, values, folder: Path, left_out: tuple[str, ...] = ()) -> Path:
    """The profile the assistant writes for these choices (`left_out`: arm choices left out, as the page's
    "leave its patients out" writes them)."""
    profile = load(profile_ref)
    path = folder / "assisted.toml"
    writes = assistant.arms_left_out(profile, list(left_out))
    path.write_text(assistant.dumps(assistant.edited(profile, fields, values, writes=writes)), encoding="utf-8")
    return path


def _required_in_cli(report) -> tuple[set[str], set[str]]:
    """The [fields] keys the importer's own messages call missing: required (the error), optional (the warning)."""
    found: tuple[set[str], set[str]] = (set(), set())
    for r in report.issues[report.issues.rule.str.startswith("columns:")].itertuples():
        listed = r.message.split("; the profile maps them")[0].split(": imported without them")[0]  # not the why
        keys = set(re.findall(r"\[fields\] (\w+)", listed))
        found[0 if r.severity == "error" else 1].update(keys)
    return found


def test_v4_project_the_assistant_offers_every_field_and_a_missing_optional_one_is_no_dead_end(tmp_path):
    """Findings 3 and 10: a project whose field names differ from the built-in profile and that has
    no death date field. The assistant offers each missing field, with required/optional as the
    importer says; with the look-alike columns chosen and death_date left out ("the project has no
    such field") the files import, and every patient of the export is there."""
    files = ("v4_records_raw.csv", "v4_dictionary.csv")
    report, _ = _import(tmp_path, "redcap", *files)
    rows = assistant.field_rows(load("redcap"), report.source_columns)
    missing = {f.key: f for f in rows if not f.found}
    required, optional = _required_in_cli(report)
    assert {k for k, f in missing.items() if f.required} == required
    assert {k for k, f in missing.items() if not f.required} == optional
    assert "death_date" in optional
    # The reviewer's choices (each the first candidate offered): the required fields, and the
    # optional ones the project has; the others left at "the project has no such field".
    optional_choices = {
        "lesion_length_mm": "lesion_mm",
        "max_stent_diameter_mm": "stent_diam",
        "vcss": "vcss_total",
        "compression_use": "stockings",
    }
    # A procedure date is mapped: the procedure's columns the contract requires are required.
    procedure = ("technical_success", "stents_placed", "below_inguinal_ligament")
    assert [(missing[k].required, missing[k].candidates[0]) for k in procedure] == [
        (True, "proc_success"),
        (True, "stents_n"),
        (True, "below_il"),
    ]
    assert {k: missing[k].candidates[0] for k in optional_choices} == optional_choices
    choices = {("fields", k): f.candidates[0] for k, f in missing.items() if f.required}
    left_out = assistant.NOT_MAPPED
    choices |= {("fields", k): optional_choices.get(k, left_out) for k, f in missing.items() if not f.required}
    assert choices[("fields", "obstruction_site")] == "obst_site"
    # treatment 3 (Other) left out on purpose: an arm choice with no value refuses the import (review 16)
    profile = _assist("redcap", report, choices, {}, tmp_path, left_out=("3",))
    report, out = _import(tmp_path, profile, *files, check=False)
    assert report.imported, report.text()
    export = _rows("v4_records_raw.csv")
    kept = sorted(
        r["record_id"]
        for r in export
        if r["redcap_event_name"] == "baseline_arm_1" and not r["redcap_repeat_instrument"] and r["treatment"] != "3"
    )
    con = duckdb.connect(str(out), read_only=True)
    got = [r[0] for r in con.execute("SELECT patient_id FROM patients ORDER BY patient_id").fetchall()]
    con.close()
    assert sorted(got) == kept


def _v4_profile(tmp_path: Path) -> Path:
    """The built-in profile with the v4 project's field names (as the assistant's choices write it)."""
    text = (HERE.parent.parent.parent / "pts_explorer/importer/formats/redcap.toml").read_text(encoding="utf-8")
    for old, new in (
        ('"enroll_date"', '"enrol_date"'),
        ('sex = "sex"', 'sex = "gender"'),
        ('"index_limb"', '"index_leg"'),
        ('months_since_dvt = "months_since_dvt"', 'months_since_dvt = "dvt_months"'),
        ('obstruction_site = "obstruction_site"', 'obstruction_site = "obst_site"'),
        ('stenosis_pct = "stenosis_pct"', 'stenosis_pct = "stenosis"'),
        ('lesion_length_mm = "lesion_length_mm"', 'lesion_length_mm = "lesion_mm"'),
        ('ceap_c = "ceap_c"', 'ceap_c = "ceap"'),
        ('"technical_success"', '"proc_success"'),
        ('stents_placed = "stents_placed"', 'stents_placed = "stents_n"'),
        ('"stent_diameter_mm"', '"stent_diam"'),
        ('below_inguinal_ligament = "below_inguinal_ligament"', 'below_inguinal_ligament = "below_il"'),
        ('"vil_heaviness"', '"vil_heavy"'),
        ('"vil_paresthesia"', '"vil_paraes"'),
        ('"vil_pruritus"', '"vil_prur"'),
        ('"vil_edema"', '"vil_oedema"'),
        ('"vil_induration"', '"vil_indur"'),
        ('"vil_hyperpigmentation"', '"vil_hyperpig"'),
        ('"vil_calf_pain"', '"vil_calfpain"'),
        ('ulcer_present = "ulcer_present"', 'ulcer_present = "ulcer"'),
        ('vcss = "vcss"', 'vcss = "vcss_total"'),
        ('compression_use = "compression_use"', 'compression_use = "stockings"'),
        # choice 3 (Other) left out on purpose: an unmapped arm choice refuses the import (review 16, finding 2)
        ("exclude_arms = []", 'exclude_arms = ["Other"]'),
    ):
        assert old in text, old
        text = text.replace(old, new)
    for key in ("veines_qol", "veines_sym", "pain_vas", "calf_circumference_cm", "daily_steps"):
        text = re.sub(rf'^{key} = ".*"$', f'{key} = ""', text, flags=re.M)
    (tmp_path / "v4.toml").write_text(text, encoding="utf-8")
    return tmp_path / "v4.toml"


def test_a_missing_optional_field_imports_with_a_warning_not_an_error(tmp_path):
    """Finding 3: after the assistant's round the only problem was an optional field the project
    does not have (death_date): that is a warning naming the key, and the import goes ahead."""
    files = ("v4_records_raw.csv", "v4_dictionary.csv")
    report, _ = _import(tmp_path, _v4_profile(tmp_path), *files)
    assert _errors(report) == []
    warnings = report.issues[report.issues.rule == "columns:v4_records_raw"]
    assert [(r.severity, r.message) for r in warnings.itertuples()] == [
        (
            "warning",
            "the export lacks optional column(s) 'death_date' ([fields] death_date): imported without them (left "
            "empty); set each key to the field's name in a copy of profile 'redcap', or to \"\" if the project has "
            "no such field",
        )
    ]


def test_checkbox_fields_are_offered_as_the_field_and_ranked_first_for_the_obstruction_site(tmp_path, export_v2):
    """Finding 4: the assistant offers the checkbox field `segment`, never its segment___N columns
    nor the data dictionary's header names; a profile naming `segment` has it "in the sources", as
    the importer says; `segment` is the first candidate for obstruction_site, not the centre field
    `site`."""
    mine = HERE / "redcap-mine.toml"
    report, _ = _import(tmp_path, mine, "records_raw_v2.csv", "dictionary.csv")
    rows = {f.key: f for f in assistant.field_rows(load(str(mine)), report.source_columns)}
    assert (rows["obstruction_site"].column, rows["obstruction_site"].found) == ("segment", True)
    assert [k for k, f in rows.items() if not f.found] == []

    report, _ = _import(tmp_path, "redcap", "records_raw_v2.csv", "dictionary.csv")
    profile = load("redcap")
    rows = {f.key: f for f in assistant.field_rows(profile, report.source_columns)}
    assert rows["obstruction_site"].candidates[0] == "segment"
    dictionary_header = set(_rows("dictionary.csv")[0])
    offered = {c for f in rows.values() for c in f.candidates}
    assert [c for c in offered if "___" in c or c in dictionary_header] == []
    export_columns = list(export_v2[0])
    fields = [c for c in export_columns if "___" not in c and not c.startswith("redcap_")]
    fields = [c for c in fields if not c.endswith("_complete")]  # a form's status
    assert assistant.source_fields(profile, report.source_columns) == sorted([*fields, "segment"], key=str.lower)


def test_a_refusal_for_choices_without_a_value_gets_value_choices_and_imports(tmp_path, export_v2):
    """Finding 5: "16 of 16 records hold choices of 'treatment' with no value in patients.arm" is
    refused; the assistant offers each treatment code with its label beside the arm vocabulary;
    with 1 -> stent, 2 -> medical and 3 (Other) skipped, the files import: the arms are the codes'
    and the Other patient is left out (the stockings choices of the next refusal are offered and
    mapped the same way)."""
    mine = HERE / "redcap-mine.toml"
    report, _ = _import(tmp_path, mine, "records_raw_v2.csv", "dictionary.csv")
    # All problems at once (review 7, finding 5): the stockings map missing too, in the same refusal.
    assert (
        "16 of 16 records hold choices of 'treatment' with no value in patients.arm (1 (Venous stent), "
        "2 (Conservative (compression + anticoagulation)), 3 (Other)): map them in [values.arm] of a copy of the "
        "profile (each to one of stent, medical)"
    ) in [m for _, _, m in _errors(report)]
    labels = _choices("dictionary.csv", "treatment")
    rows = {r.column: r for r in assistant.value_rows(report.issues)}
    assert (rows["arm"].values, rows["arm"].labels, rows["arm"].vocabulary) == (
        tuple(sorted(labels)),
        tuple(labels[c] for c in sorted(labels)),
        ("stent", "medical"),
    )
    # the checkbox choice "1, IVC" is the term ivc but for case; the stockings labels (finding 2) are offered too
    assert sorted(rows) == ["arm", "compression_use", "event_type"]  # and an adverse event "Other", a warning
    values = {"arm": {"1": "stent", "2": "medical"}}
    stockings = _choices("dictionary.csv", "stockings")
    rows = {r.column: r for r in assistant.value_rows(report.issues)}
    assert (rows["compression_use"].values, rows["compression_use"].labels) == (
        tuple(sorted(stockings)),
        tuple(stockings[c] for c in sorted(stockings)),
    )
    values["compression_use"] = {"0": "none", "1": "intermittent", "2": "daily"}
    # 3 (Other) left out as the page's "leave its patients out" writes it (review 16, finding 2: not skipped unsaid)
    leave_out = assistant.arms_left_out(load(str(mine)), ["3"])
    path = tmp_path / "assisted.toml"
    path.write_text(assistant.dumps(assistant.edited(load(str(mine)), {}, values, writes=leave_out)), encoding="utf-8")
    report, out = _import(tmp_path, path, "records_raw_v2.csv", "dictionary.csv", check=False)
    assert report.imported, report.text()
    arm = {"1": "stent", "2": "medical"}
    want = sorted(
        (r["record_id"], arm[r["treatment"]])
        for r in export_v2
        if r["redcap_event_name"] == "enrolment_arm_1" and not r["redcap_repeat_instrument"] and r["treatment"] in arm
    )
    con = duckdb.connect(str(out), read_only=True)
    got = con.execute("SELECT patient_id, arm FROM patients ORDER BY patient_id").fetchall()
    con.close()
    assert sorted(got) == want


def test_a_death_adverse_event_labelled_death_is_the_contracts_death_event(tmp_path):
    """Finding 9: the AE choice "8, Death" has no entry in [values.event_type]; its label is the
    contract's `death` term but for case, so it is a death event (it was dropped with a warning)."""
    report, out = _import(tmp_path, _v4_profile(tmp_path), "v4_records_raw.csv", "v4_dictionary.csv", check=False)
    assert report.imported, report.text()
    export = _rows("v4_records_raw.csv")
    records = [r for r in export if r["redcap_event_name"] == "baseline_arm_1" and not r["redcap_repeat_instrument"]]
    enrolled = {r["record_id"]: r["enrol_date"] for r in records}
    kept = {r["record_id"] for r in records if r["treatment"] != "3"}
    codes = _choices("v4_dictionary.csv", "ae_type")
    death = next(c for c, label in codes.items() if label == "Death")
    want = sorted(
        (r["record_id"], (date.fromisoformat(r["ae_date"]) - date.fromisoformat(enrolled[r["record_id"]])).days)
        for r in export
        if r["redcap_repeat_instrument"] == "adverse_events" and r["ae_type"] == death and r["record_id"] in kept
    )
    assert want
    con = duckdb.connect(str(out), read_only=True)
    got = con.execute("SELECT patient_id, event_day FROM events WHERE event_type = 'death' ORDER BY ALL").fetchall()
    con.close()
    assert got == want


def _stockings_mapped(tmp_path: Path, events: str = "") -> Path:
    """The reviewer's redcap-values profile with the stockings labels mapped (and `events` added)."""
    text = (HERE / "redcap-values.toml").read_text(encoding="utf-8")
    text = text.replace('None = "none"\nIntermittent = "intermittent"\nDaily = "daily"\n', "")
    text = text.replace(
        "[values.compression_use]\n", '[values.compression_use]\n0 = "none"\n1 = "intermittent"\n2 = "daily"\n'
    )
    text = text.replace("month_12_arm_1 = 12\n", f"month_12_arm_1 = 12\n{events}")
    (tmp_path / "values.toml").write_text(text, encoding="utf-8")
    return tmp_path / "values.toml"


def test_a_follow_up_form_on_its_own_event_gives_the_last_contact_once_per_patient(tmp_path):
    """Finding 8: the last contact date is on a follow-up form at event end_of_study_arm_1, which
    [events] does not map. It is read from that event (it was "patients.last_contact_day is empty
    in every row"), each record one patient; mapping that event to 0 as well is refused naming
    the events (it made every patient twice: 181 errors)."""
    export = _rows("records_raw.csv")
    report, out = _import(tmp_path, _stockings_mapped(tmp_path), "records_raw.csv", "dictionary.csv", check=False)
    assert report.imported, report.text()
    plain = [r for r in export if not r["redcap_repeat_instrument"]]
    enrolled = {r["record_id"]: r for r in plain if r["redcap_event_name"] == "enrolment_arm_1"}
    last = {r["record_id"]: r["fu_last_date"] for r in plain if r["redcap_event_name"] == "end_of_study_arm_1"}
    want = sorted(
        (rid, (date.fromisoformat(last[rid]) - date.fromisoformat(r["enrol_date"])).days)
        for rid, r in enrolled.items()
        if r["treatment"] != "3"
    )
    con = duckdb.connect(str(out), read_only=True)
    got = con.execute("SELECT patient_id, last_contact_day FROM patients ORDER BY ALL").fetchall()
    con.close()
    assert sorted(got) == want

    profile = _stockings_mapped(tmp_path, "end_of_study_arm_1 = 0\n")
    report, _ = _import(tmp_path, profile, "records_raw.csv", "dictionary.csv")
    assert _errors(report) == [
        (
            "redcap:events",
            "records_raw.csv",
            "records have rows at several month-0 events of [events] (end_of_study_arm_1, enrolment_arm_1): each "
            "would be a patient twice. Map only the baseline event to 0 ([events] maps enrolment_arm_1, "
            "end_of_study_arm_1 to 0); patient fields at other events (a follow-up form's last contact date) are read "
            "from whichever event holds them",
        )
    ]


def test_a_label_export_is_refused_once_per_row_not_once_per_cell(tmp_path):
    """Finding 12: the records exported as labels (raw headers) were refused with one error per cell (694
    errors for 57 rows), then one per row; review 10 (finding 7): a label export is one error that says to
    export raw data, counting the rows that hold a label where the data dictionary's code belongs (any coded
    field of the dictionary, whatever the profile maps), and nothing else is checked."""
    report, _ = _import(tmp_path, HERE / "redcap-values.toml", "records_label_rawheaders.csv", "dictionary.csv")
    dictionary = {r["Variable / Field Name"]: r for r in _rows("dictionary.csv")}
    coded = {}
    for name, row in dictionary.items():
        kind = row["Field Type"]
        if kind in ("radio", "dropdown"):
            coded[name] = _choices("dictionary.csv", name)
        elif kind == "yesno":
            coded[name] = {"1": "Yes", "0": "No"}
    records = _rows("records_label_rawheaders.csv")
    rows = [
        r
        for r in records
        if any(r.get(f) in codes.values() and r.get(f) not in codes for f, codes in coded.items())
        or any(v in ("Checked", "Unchecked") for k, v in r.items() if "___" in k)
    ]
    assert len(rows) == len(records) == 57
    errors = report.issues[report.issues.severity == "error"]
    assert list(errors.rule) == ["redcap:labels"]
    assert errors.message.iloc[0] == (
        f"the export holds labels where the raw codes belong ({len(rows)} of its {len(records)} rows, in coded "
        "fields such as ae_type, site, vil_pain): export the records again as raw data (REDCap's Data Exports: \"CSV "
        '/ Microsoft Excel (raw data)"), with the same fields; the values are checked once the export holds raw '
        "codes"
    )
