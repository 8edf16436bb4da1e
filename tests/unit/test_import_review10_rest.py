"""What the fourth outside review of issue 23 (tests/fixtures/review10, review9: the reviewer's files as
written) left after its findings 1-8 were fixed: part (a) items 2 and 10 and new findings 4, 9 and 10.
Each test failed before its fix; whole messages are compared."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, assistant, assistant_choices, run_import
from pts_explorer.importer.formats import load
from pts_explorer.importer.report import ImportReport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REG2 = sorted((FIXTURES / "review9" / "redcap_classic").glob("*.csv"))
DETAILS = "technical_success, stents_placed, below_inguinal_ligament"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _messages(report: ImportReport, rule: str, severity: str) -> list[str]:
    found = report.issues[(report.issues.rule == rule) & (report.issues.severity == severity)]
    return [str(m) for m in found.message]


# --- (a) 2: the procedure's details, one rule said the same way everywhere ---------------------------------


def test_redcap_procedure_details_are_optional_while_the_procedure_date_field_is_missing_too(tmp_path):
    """PTSREG2 classic with the built-in redcap profile: the export has no procedure_date field (an optional
    column, imported without it: no procedure). The same run said technical_success, stents_placed and
    below_inguinal_ligament were required "because the index procedure is imported"; they are optional, by
    the rule every format says, in the optional columns' warning."""
    header = REG2[0].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "procedure_date" not in header and "technical_success" not in header
    report = _run("redcap", REG2, tmp_path / "out.duckdb")
    (error,) = _messages(report, "columns:PTSREG2_DATA_2024-06-01_0930", "error")
    assert "technical_success" not in error and "index procedure" not in error
    (warning,) = _messages(report, "columns:PTSREG2_DATA_2024-06-01_0930", "warning")
    assert warning == (
        "the export lacks optional column(s) 'lesion_length_mm' ([fields] lesion_length_mm); 'death_date' ([fields] "
        "death_date); 'procedure_date' ([fields] procedure_date); 'technical_success' ([fields] technical_success); "
        "'stents_placed' ([fields] stents_placed); 'stent_diameter_mm' ([fields] max_stent_diameter_mm); "
        "'below_inguinal_ligament' ([fields] below_inguinal_ligament); 'vcss' ([fields] vcss); 'veines_qol' "
        "([fields] veines_qol); 'veines_sym' ([fields] veines_sym); 'pain_vas' ([fields] pain_vas); 'calf_cm' "
        "([fields] calf_circumference_cm); 'daily_steps' ([fields] daily_steps); 'compression_use' ([fields] "
        "compression_use): imported without them (left empty); set each key to the field's name in a copy of "
        "profile 'redcap', or to \"\" if the project has no such field; "
        f'{DETAILS}: optional, because no index procedure is imported ([fields] procedure_date = "procedure_date" '
        "names no field of the export); required once it is"
    )
    # The assistant says what the check says: optional.
    rows = assistant.field_rows(load("redcap"), report.source_columns, report.issues)
    assert {r.key: r.required for r in rows if r.key in DETAILS.split(", ")} == dict.fromkeys(
        DETAILS.split(", "), False
    )


def test_redcap_procedure_details_are_required_once_the_procedure_date_names_a_field_of_the_export(tmp_path):
    """The same export with a procedure date field (its visit_date stands in) named: the details are
    required, said by the same rule, with the way out."""
    profile = tmp_path / "p.toml"
    profile.write_text(
        '[profile]\nname = "reg2"\nversion = 1\nformat = "redcap"\nextends = "redcap"\n\n'
        '[fields]\nprocedure_date = "enrol_date"\n',
        encoding="utf-8",
    )
    header = REG2[0].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "enrol_date" in header
    report = _run(profile, REG2, tmp_path / "out.duckdb")
    (error,) = _messages(report, "columns:PTSREG2_DATA_2024-06-01_0930", "error")
    assert error == (
        "the export lacks column(s) 'enroll_date' ([fields] enrolled_on); 'age' ([fields] age_years); 'sex' ([fields] "
        "sex); 'index_limb' ([fields] limb_side); 'months_since_dvt' ([fields] months_since_dvt); 'obstruction_site' "
        "([fields] obstruction_site); 'stenosis_pct' ([fields] stenosis_pct); 'ceap_c' ([fields] ceap_c); "
        "'last_contact_date' ([fields] last_contact_date); 'technical_success' ([fields] technical_success); "
        "'stents_placed' ([fields] stents_placed); 'below_inguinal_ligament' ([fields] below_inguinal_ligament); "
        "'visit_date' ([fields] visit_date); 'vil_paresthesia' ([fields] v_paresthesia); 'vil_edema' ([fields] "
        "v_edema); 'vil_hyperpigmentation' ([fields] v_hyperpigmentation); 'vil_calf_pain' ([fields] v_calf_pain); "
        "'ulcer_present' ([fields] ulcer_present); 'ae_type' ([adverse_events] event_type); 'ae_date' "
        "([adverse_events] event_date); 'ae_serious' ([adverse_events] serious); the profile maps them: set each key "
        "to the field's name in a copy of profile 'reg2', or export the field "
        f'({DETAILS}: required, because the index procedure is imported ([fields] procedure_date = "enrol_date" '
        f"names a field of the export) and the contract requires {DETAILS} on every procedure row; or set "
        'procedure_date = "" in [fields] to import no procedure (the patency and procedure analyses are then empty)); '
        "the export is checked without them; the adverse events are read once [adverse_events] event_type names a "
        "field of the export; the values of a missing column are checked once it is named"
    )
    rows = assistant.field_rows(load(str(profile)), report.source_columns, report.issues)
    assert {r.key: r.required for r in rows if r.key in DETAILS.split(", ")} == dict.fromkeys(DETAILS.split(", "), True)


def test_adam_procedure_details_are_optional_when_adsl_lacks_the_procedure_date_variable(tmp_path):
    """The reviewer's PTS02 package (review9/adam02c) with [adsl] procedure_date naming a variable ADSL lacks:
    its warning says the details are optional by the same rule, not silently."""
    text = (FIXTURES / "review9" / "pts02-adam.toml").read_text(encoding="utf-8")
    text = text.replace('TTHEAL = "ulcer_healed"', 'TTHEAL = "ulcer_healing"')
    text = text.replace('procedure_date = "PROCDT"', 'procedure_date = "PROCDATE"')
    profile = tmp_path / "pts02.toml"
    profile.write_text(text, encoding="utf-8")
    sources = sorted((FIXTURES / "review9" / "adam02c").glob("*.xpt"))
    adsl, _ = pyreadstat.read_xport(str(FIXTURES / "review9" / "adam02c" / "adsl.xpt"))
    assert "PROCDATE" not in adsl.columns
    report = _run(profile, sources, tmp_path / "out.duckdb")
    assert _messages(report, "columns:adsl_optional", "warning") == [
        "ADSL lacks PROCDATE ([adsl] procedure_date) (optional: imported empty); in a copy of profile 'pts02-adam', "
        'set each key to the ADSL variable that holds it, or to "" to leave it out (ADSL has: '
        f"{', '.join(adsl.columns)}); {DETAILS}: optional, because no index procedure is imported ([adsl] "
        'procedure_date = "PROCDATE" names no variable of ADSL); required once it is'
    ]
    assert _messages(report, "columns:adsl_procedure", "error") == []


def test_contract_procedures_without_a_detail_say_the_same_rule(tmp_path):
    """The contract door: a procedures file without technical_success is refused by the same rule, with the
    way out (no procedures file imports no procedure)."""
    for path in (FIXTURES / "review10" / "csvreg").glob("*.csv"):
        rows = path.read_text(encoding="utf-8-sig").splitlines()
        if path.name == "procedures.csv":
            header = rows[0].split(";")
            at = header.index("technical_success")
            rows = [";".join(c for i, c in enumerate(r.split(";")) if i != at) for r in rows]
        (tmp_path / path.name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    sources = sorted(tmp_path.glob("*.csv"))
    report = _run(FIXTURES / "review10" / "reg06.toml", sources, tmp_path / "out.duckdb")
    assert _messages(report, "columns:procedures", "error") == [
        "`procedures` lacks required column(s): technical_success; technical_success: required, because the index "
        "procedure is imported (procedures.csv holds the procedures) and the contract requires "
        f"{DETAILS} on every procedure row; or deliver no procedures file to import no procedure (the patency and "
        "procedure analyses are then empty); the other columns and tables are checked without them; the values of "
        "a missing column are checked once it is named"
    ]


# --- new finding 9: the treatment received differs from the one planned -------------------------------------

ADAM04 = FIXTURES / "review10_silent" / "adam04"


def _adsl04() -> pd.DataFrame:
    adsl, _ = pyreadstat.read_xport(str(ADAM04 / "adsl.xpt"))
    adsl["line"] = range(1, len(adsl) + 1)
    return adsl


def test_a_subject_treated_otherwise_than_planned_is_named_with_both_values_and_the_key(tmp_path):
    """PTS04-05: TRT01P "PTA + STENT", TRT01A "COMPRESSION + ANTICOAGULATION", and an AE STENT THROMBOSIS.
    Imported in the stent arm (TRT01P, as randomised), and only "has no index stent procedure" hinted at it;
    the stent-only rule passed the event (the arm is stent). Now a warning names the subject, both values,
    the arm imported and the key; the event is a warning too (no stent was received)."""
    adsl = _adsl04()
    differ = adsl[adsl.TRT01P != adsl.TRT01A]
    (subject,) = differ.itertuples()
    adae, _ = pyreadstat.read_xport(str(ADAM04 / "adae.xpt"))
    adae["line"] = range(1, len(adae) + 1)
    (event,) = adae[(adae.USUBJID == subject.USUBJID) & (adae.AEDECOD == "STENT THROMBOSIS")].itertuples()
    report = _run("adam", sorted(ADAM04.glob("*.xpt")), tmp_path / "out.duckdb", check=False)
    assert report.imported
    found = report.issues[report.issues.rule.isin(["adam:as_treated", "adam:as_treated_events", "arm:events"])]
    assert sorted(zip(found.rule, found.file, found.line, found.value, found.message, strict=True)) == [
        (
            "adam:as_treated",
            "adsl.xpt",
            subject.line,
            subject.TRT01A,
            f'patient {subject.USUBJID}: the treatment planned, TRT01P "{subject.TRT01P}" (stent), differs from the '
            f'treatment received, TRT01A "{subject.TRT01A}" (medical): imported in the stent arm, by TRT01P ([adsl] '
            'arm: as randomised); set [adsl] arm = "TRT01A" in a copy of the profile to import the patients as treated',
        ),
        (
            "adam:as_treated_events",
            "adae.xpt",
            event.line,
            "stent_thrombosis",
            f'patient {subject.USUBJID} is in the stent arm but was treated medically (TRT01A "{subject.TRT01A}") and '
            "has the event stent_thrombosis, which only a stent can have: imported as it is, Safety counts it in the "
            "stent arm; check the treatment received or the event's term",
        ),
    ]


def test_a_medical_arm_subject_treated_with_a_stent_has_a_stent_event_that_fits(tmp_path):
    """The other way round (the reviewer's ADSL with PTS04-05's two treatments swapped): planned medical,
    treated with a stent. The contract's stent-only rule said "is in the medical arm ... check the patient's arm";
    it now says the event fits the treatment received."""
    adsl, meta = pyreadstat.read_xport(str(ADAM04 / "adsl.xpt"))
    at = adsl.index[adsl.TRT01P != adsl.TRT01A][0]
    adsl.loc[at, ["TRT01P", "TRT01A"]] = adsl.loc[at, ["TRT01A", "TRT01P"]].to_numpy()
    adsl.loc[at, "ARM"] = adsl.loc[at, "TRT01P"]
    for path in ADAM04.glob("*.xpt"):
        if path.name != "adsl.xpt":
            (tmp_path / path.name).write_bytes(path.read_bytes())
    pyreadstat.write_xport(adsl, str(tmp_path / "adsl.xpt"), table_name="ADSL", column_labels=meta.column_labels)
    subject = adsl.loc[at]
    report = _run("adam", sorted(tmp_path.glob("*.xpt")), tmp_path / "out.duckdb", check=False)
    found = report.issues[report.issues.rule.isin(["adam:as_treated", "adam:as_treated_events", "arm:events"])]
    assert sorted(zip(found.rule, found.message, strict=True)) == [
        (
            "adam:as_treated",
            f'patient {subject.USUBJID}: the treatment planned, TRT01P "{subject.TRT01P}" (medical), differs from '
            f'the treatment received, TRT01A "{subject.TRT01A}" (stent): imported in the medical arm, by TRT01P '
            '([adsl] arm: as randomised); set [adsl] arm = "TRT01A" in a copy of the profile to import the patients '
            "as treated",
        ),
        (
            "arm:events",
            f'patient {subject.USUBJID} is in the medical arm but was treated with a stent ("{subject.TRT01A}") and '
            "has the event stent_thrombosis, which only a stent can have: it fits the treatment received; imported "
            "as it is, Safety counts it in the medical arm (as randomised)",
        ),
    ]


# --- (a) 10: a months field holding one date among months --------------------------------------------------

LONG3 = sorted((FIXTURES / "review9_redcap_long").glob("PTSLONG3_*.csv"))


def _long3_dates() -> list[tuple[int, str, str]]:
    """(line, record, value) of each baseline row whose months field holds a date, read from the export."""
    with LONG3[0].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (line, r["study_id"], r["months_since_dvt"])
        for line, r in enumerate(rows, start=2)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", r["months_since_dvt"])
    ]


def test_a_date_among_months_names_the_record_its_value_and_both_ways(tmp_path):
    """PTSLONG3 with the reviewer's round-2 profile: one record's months field holds a date, five hold months.
    The message said to read the field as dvt_date, which would break the five; it names the record, its
    value, and the choice: correct the record, or leave it missing (the patient then not imported, warned)."""
    ((line, record, value),) = _long3_dates()
    with LONG3[0].open(encoding="utf-8-sig", newline="") as handle:
        months = [r for r in csv.DictReader(handle) if re.fullmatch(r"\d+", r["months_since_dvt"])]
    report = _run(FIXTURES / "review10" / "r9_long3_v1.toml", LONG3, tmp_path / "out.duckdb")
    found = report.issues[report.issues.rule == "redcap:months_are_dates"]
    assert list(zip(found.severity, found.line, found.record, found.value, found.message, strict=True)) == [
        (
            "error",
            line,
            record,
            value,
            f"record {record} holds the date {value} in field 'months_since_dvt' ([fields] months_since_dvt), where "
            f"{len(months)} other records hold months: correct the record (write its months since the DVT), or leave "
            f'it missing: set [values.months_since_dvt] "{value}" = "" in a copy of the profile, and the patient is '
            "not imported, with a warning (the contract requires the months of every patient; reading the field as "
            "the DVT's date, [fields] dvt_date, would lose the months of the others)",
        )
    ]
    # The assistant offers both ways, correcting the record chosen; leaving it missing writes the map entry.
    (choice,) = assistant_choices.months_date_choices(
        load(str(FIXTURES / "review10" / "r9_long3_v1.toml")), report.issues
    )
    assert (choice.label, [o.text for o in choice.options], choice.default) == (
        f"record {record}: months_since_dvt holds the date {value}, where the other records hold months",
        [
            "(correct the record in the source: nothing is written)",
            f'leave it missing: the patient is not imported, with a warning ([values.months_since_dvt] "{value}" = "")',
        ],
        0,
    )
    assert choice.options[1].writes == ((("values", "months_since_dvt", value), ""),)


def test_a_date_left_missing_imports_the_others_and_warns_of_the_patient(tmp_path):
    ((line, record, value),) = _long3_dates()
    text = (FIXTURES / "review10" / "r9_long3_v1.toml").read_text(encoding="utf-8")
    profile = tmp_path / "p.toml"
    profile.write_text(text + f'\n[values.months_since_dvt]\n"{value}" = ""\n', encoding="utf-8")
    report = _run(profile, LONG3, tmp_path / "out.duckdb", check=False)
    assert report.imported, report.text()
    found = report.issues[report.issues.rule == "redcap:months_left_missing"]
    assert list(zip(found.line, found.record, found.message, strict=True)) == [
        (
            line,
            record,
            f"record {record} holds {value} in field 'months_since_dvt' ([fields] months_since_dvt), which "
            "[values.months_since_dvt] leaves missing: the contract requires the months since the DVT of every "
            "patient, so the patient is not imported (nor any of its rows)",
        )
    ]
    # The same export with the record corrected (the reviewer's fixed/ copy: only that value differs) imports
    # every patient this one does, and that one.
    fixed = sorted((FIXTURES / "review9_redcap_long" / "fixed").glob("PTSLONG3_*.csv"))
    assert _run(FIXTURES / "review10" / "r9_long3_v1.toml", fixed, tmp_path / "fixed.duckdb", check=False).imported
    query = "SELECT * FROM patients ORDER BY patient_id"
    with (
        duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con,
        duckdb.connect(str(tmp_path / "fixed.duckdb"), read_only=True) as whole,
    ):
        got = con.execute(query).fetchall()
        want = [r for r in whole.execute(query).fetchall() if r[0] != record]
        (visits,) = con.execute("SELECT count(*) FROM visits WHERE patient_id = $p", {"p": record}).fetchone()
    assert got == want and len(want) > 0 and visits == 0


def test_a_paramcd_is_named_as_the_records_it_selects_not_as_a_column(tmp_path):
    """New finding 10: with [bds] derived = "" (the reviewer's pts04_noderived.toml), PTS04-03's month-6 ULCER
    is missing; the message said "Source column ULCER ([paramcd] ulcer_present)", but ULCER is a PARAMCD value."""
    report = _run(FIXTURES / "review10" / "pts04_noderived.toml", sorted(ADAM04.glob("*.xpt")), tmp_path / "o.duckdb")
    # Review 16, finding 4: ULCER is named and held at the other visits, so the message names the visit, not the
    # profile (29: the fixture's other 30 scheduled visits of the population less this one).
    assert _messages(report, "required:visits.ulcer_present", "error") == [
        "visits.ulcer_present has no value for 1 visit (PTS04-03 month 6): the source records PARAMCD = ULCER "
        "([paramcd] ulcer_present) hold it for 29 other visits, but no record or a blank value for this one. The "
        "contract requires it for every visit: enter the value in the source (the importer never fills in a missing "
        "value)."
    ]


# --- new finding 10: look-alikes by name words and values that fit ------------------------------------------

LAB7 = sorted((FIXTURES / "review10" / "redcap_lab" / "raw").glob("*.csv"))


def test_shortened_names_are_the_first_look_alikes_and_a_checkbox_only_fits_the_obstruction_site(tmp_path):
    """PTSLAB7 with the built-in redcap profile: the checkbox `seg` was not among obstruction_site's first
    options (it was sex's second), nor tech_ok for technical_success, nor v8_pigm for v_hyperpigmentation;
    each is its field's first candidate now, and a checkbox is no candidate for sex."""
    header = LAB7[0].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert {"seg___1", "tech_ok", "v8_pigm", "gender"} <= set(header)
    report = _run("redcap", LAB7, tmp_path / "out.duckdb")
    rows = {r.key: r for r in assistant.field_rows(load("redcap"), report.source_columns, report.issues)}
    firsts = {k: rows[k].candidates[:1] for k in ("obstruction_site", "technical_success", "v_hyperpigmentation")}
    assert firsts == {
        "obstruction_site": ("seg",),
        "technical_success": ("tech_ok",),
        "v_hyperpigmentation": ("v8_pigm",),
    }
    assert rows["sex"].candidates == ("gender",)
