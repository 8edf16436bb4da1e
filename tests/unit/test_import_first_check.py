"""One check names every problem that can be known from the files and the profile (review 9, finding
11). The third outside reviewer's classic REDCap export (tests/fixtures/review9/redcap_classic) needed
three check rounds: the fields the profile names but the export lacks (the first check ended "nothing
else of the export is checked until then"); then the repeating instrument and month field, the 1-4
Villalta codes and the dd/mm dates; then the visit-month codes and the "Other" choices. Their
longitudinal export (tests/fixtures/review9_redcap_long) stopped at its record id. Now a missing field
holds back only what depends on it, and the message says which checks wait for which key. Every
expected message is written out whole; the fields, codes, labels and lines are read off the fixtures'
own files here."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLASSIC = FIXTURES / "review9" / "redcap_classic"
EXPORT = "PTSREG2_DATA_2024-06-01_0930.csv"
DICTIONARY = "PTSREG2_DataDictionary_2024-06-01.csv"
LONG = FIXTURES / "review9_redcap_long"
LATER = "the values of a missing column are checked once it is named"
VISITS_WAIT = "; the visits are read once it is set (the patients and adverse events are checked now)"


def _run(profile: str | Path, sources: list[Path], tmp_path: Path) -> ImportReport:
    return run_import(
        profile, sources, tmp_path / "out.duckdb", Options(synthetic=False, check_only=True), progress=lambda _: None
    )


def _issues(report: ImportReport, severity: str, rule: str = "") -> list[tuple]:
    """(rule, file, line, value, message) of each issue of a severity (whose rule starts so), in order."""
    found = report.issues[(report.issues.severity == severity) & report.issues.rule.str.startswith(rule)]
    lines = [None if pd.isna(line) else int(line) for line in found.line]
    return list(zip(found.rule, found.file, lines, found.value, found.message, strict=True))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _dictionary() -> dict[str, dict[str, str]]:
    return {r["field_name"]: r for r in _rows(CLASSIC / DICTIONARY)}


def _line(path: Path, column: str, value: str) -> int:
    """The file line (the header is line 1) of the first record whose `column` is `value`."""
    return next(i for i, row in enumerate(_rows(path), start=2) if row[column] == value)


def _villalta_codes(field: str, item: str) -> tuple:
    """The error for a Villalta radio coded 1-4, its choices as the dictionary writes them."""
    choices = _dictionary()[field]["select_choices_or_calculations"]
    assert choices == "1, None | 2, Mild | 3, Moderate | 4, Severe"
    return (
        "redcap:codes",
        DICTIONARY,
        None,
        "",
        f"field {field!r} ({item}) has choices {choices} whose codes are not Villalta scores 0-3 (0 Absent, 1 Mild, "
        f"2 Moderate, 3 Severe): map each code to its value in [values.{item}] of a copy of the profile (e.g. "
        '"1" = ...); its values are checked once its codes are mapped',
    )


CLASSIC_ERRORS = [
    (
        "redcap:classic",
        EXPORT,
        None,
        "",
        "a classic project (no redcap_event_name column): name the field holding each visit's month in [visits] "
        "month, or give [visits.windows] (month = [first day, last day] after the enrolment date) to place each "
        "visit by its date ([fields] visit_date = '{visit_date}')" + VISITS_WAIT,
    ),
    (
        "redcap:classic",
        EXPORT,
        None,
        "",
        "a classic project (no redcap_event_name column): name the repeating instrument that holds the visits in "
        "[visits] instrument (repeating instruments in the export: adverse_events, follow_up_visit)" + VISITS_WAIT,
    ),
]


def _date_errors() -> list[tuple]:
    """An error per date the reviewer's export holds as Excel saved it (dd/mm/yyyy), each field one the
    dictionary validates as a date."""
    dictionary = _dictionary()
    export = _rows(CLASSIC / EXPORT)
    dates = []
    for field in ("ae_dt", "death_dt", "enrol_date", "fu_date", "last_seen"):
        assert dictionary[field]["text_validation_type_or_show_slider_number"].startswith("date_")
        example = min(r[field] for r in export if r[field])
        for i, row in enumerate(export, start=2):
            if row[field]:
                day, month, year = row[field].split("/")  # dd/mm/yyyy
                assert int(day) <= 31 and int(month) <= 12 and len(year) == 4
                dates.append(
                    (
                        f"type:PTSREG2_DATA_2024-06-01_0930.{field}",
                        EXPORT,
                        i,
                        row[field],
                        f"{field} is not a date: ISO 8601 (2021-12-09) is read, and any format listed in [dates] "
                        f'formats of a copy of the profile (e.g. "%d/%m/%Y" for {example})',
                    )
                )
    return dates


def _other(field: str, table: str, column: str, hint: str, what: str) -> tuple:
    """The warning for the "Other" choice of a field, at the one record that holds it."""
    code = next(
        c.split(",")[0].strip()
        for c in _dictionary()[field]["select_choices_or_calculations"].split("|")
        if c.split(",", 1)[1].strip() == "Other"
    )
    return (
        "redcap:unmapped",
        EXPORT,
        _line(CLASSIC / EXPORT, field, code),
        code,
        f"choice {code} (Other) of {field!r} has no value in {table}.{column}: {what}; map it in [values.{column}] "
        f'of a copy of the profile (e.g. "{code}" = "{hint}")',
    )


ARM_OTHER = ("treatment", "patients", "arm", "one of stent, medical", "patient not imported (nor any of its rows)")


def _arm_other_error() -> tuple:
    """The "Other" arm choice: an error (review 16, finding 2: an unmapped arm choice refuses the import rather
    than leave its patients out with a warning), naming the choice, the field, [values.arm] and exclude_arms."""
    rule, file, line, code, _ = _other(*ARM_OTHER)
    return (
        rule,
        file,
        line,
        code,
        f"choice {code} (Other) of 'treatment' has no value in patients.arm: the import is refused rather than leave "
        f'out every patient of this arm; map it in [values.arm] of a copy of the profile (e.g. "{code}" = "one of '
        'stent, medical"), or leave the arm out on purpose with [population] exclude_arms = ["Other"]',
    )


def test_the_built_in_profile_names_the_missing_fields_the_classic_layout_the_codes_and_the_other_arm(tmp_path):
    """The reviewer's first check, with the built-in profile: the fields it names under other names
    are one error that says which checks wait; the classic layout, the Villalta radios coded 1-4 that
    the profile does name, and the "Other" arm are in the same check (before: the missing fields only)."""
    export_columns = next(csv.reader(open(CLASSIC / EXPORT, encoding="utf-8-sig")))  # noqa: SIM115
    villalta = [
        (f, item)
        for f, item in (
            ("vil_pain", "v_pain"),
            ("vil_cramps", "v_cramps"),
            ("vil_heaviness", "v_heaviness"),
            ("vil_pruritus", "v_pruritus"),
            ("vil_induration", "v_induration"),
            ("vil_redness", "v_redness"),
            ("vil_ectasia", "v_ectasia"),
        )
    ]
    assert all(f in export_columns for f, _ in villalta)  # the built-in profile's names the export has
    report = _run("redcap", sorted(CLASSIC.glob("*.csv")), tmp_path)
    missing = (
        "'enroll_date' ([fields] enrolled_on); 'age' ([fields] age_years); 'sex' ([fields] sex); 'index_limb' "
        "([fields] limb_side); 'months_since_dvt' ([fields] months_since_dvt); 'obstruction_site' ([fields] "
        "obstruction_site); 'stenosis_pct' ([fields] stenosis_pct); 'ceap_c' ([fields] ceap_c); 'last_contact_date' "
        "([fields] last_contact_date); 'visit_date' ([fields] "
        "visit_date); 'vil_paresthesia' ([fields] v_paresthesia); 'vil_edema' ([fields] v_edema); "
        "'vil_hyperpigmentation' ([fields] v_hyperpigmentation); 'vil_calf_pain' ([fields] v_calf_pain); "
        "'ulcer_present' ([fields] ulcer_present); 'ae_type' ([adverse_events] event_type); 'ae_date' "
        "([adverse_events] event_date); 'ae_serious' ([adverse_events] serious)"
    )
    for name in missing.split("; "):
        assert name.split("'")[1] not in export_columns
    # review 10, (a) 2: the export lacks procedure_date too (an optional field): no procedure is imported, so
    # the procedure's details are optional (the optional columns' warning says so), not required
    assert _issues(report, "error") == [
        (
            "columns:PTSREG2_DATA_2024-06-01_0930",
            EXPORT,
            1,
            "",
            f"the export lacks column(s) {missing}; the profile maps them: set each key to the field's name in a "
            "copy of profile 'redcap', or export the field; the export is checked without them; the adverse events "
            f"are read once [adverse_events] event_type names a field of the export; {LATER}",
        ),
        _arm_other_error(),
        CLASSIC_ERRORS[1],
        tuple(m.format(visit_date="visit_date") if isinstance(m, str) else m for m in CLASSIC_ERRORS[0]),
        *(_villalta_codes(f, item) for f, item in villalta),
    ]
    assert _issues(report, "warning", "redcap:unmapped") == []


def test_with_the_fields_named_the_dates_codes_classic_layout_and_other_choices_come_in_one_check(tmp_path):
    """The reviewer's second round: the profile the mapping assistant wrote (the fields named), before
    the classic layout, the date format and the Villalta maps were set. The "Other" arm, CEAP and
    adverse event (their third round) are in the same check now."""
    text = (FIXTURES / "review9" / "reg2_v1.toml").read_text(encoding="utf-8")
    for old, new in (
        ('formats = ["%d%b%Y", "%d/%m/%Y"]', 'formats = ["%d%b%Y"]'),
        ('[visits]\ninstrument = "follow_up_visit"\nmonth = "fu_visit"\n', ""),
    ):
        assert old in text
        text = text.replace(old, new)
    sections = text.split("\n\n")
    kept = [s for s in sections if not s.startswith(("[values.v_", "[values.visit_month]"))]
    assert len(sections) - len(kept) == 12
    profile = tmp_path / "reg2_round2.toml"
    profile.write_text("\n\n".join(kept), encoding="utf-8")
    report = _run(profile, sorted(CLASSIC.glob("*.csv")), tmp_path)
    dates = _date_errors()
    items = {
        "v_pain": "vil_pain",
        "v_cramps": "vil_cramps",
        "v_heaviness": "vil_heaviness",
        "v_paresthesia": "vil_paraesthesia",
        "v_pruritus": "vil_pruritus",
        "v_edema": "vil_oedema",
        "v_induration": "vil_induration",
        "v_hyperpigmentation": "vil_pigmentation",
        "v_redness": "vil_redness",
        "v_ectasia": "vil_ectasia",
        "v_calf_pain": "vil_calfpain",
    }
    errors = _issues(report, "error")
    assert sorted(errors, key=repr) == sorted(
        [
            tuple(m.format(visit_date="fu_date") if isinstance(m, str) else m for m in CLASSIC_ERRORS[0]),
            CLASSIC_ERRORS[1],
            _arm_other_error(),
            *dates,
            *(_villalta_codes(f, item) for item, f in items.items()),
        ],
        key=repr,
    )
    assert sorted(_issues(report, "warning", "redcap:unmapped")) == sorted(
        [
            _other("ceap", "patients", "ceap_c", "one of C3, C4a, C4b, C4c, C5, C6", ARM_OTHER[-1]),
            _other(
                "ae_cat",
                "events",
                "event_type",
                "one of stent_thrombosis, restenosis, reintervention, patency_restored, stent_migration, "
                "access_site_bleeding, major_bleeding, recurrent_dvt, pulmonary_embolism, ulcer_healed, "
                "ulcer_recurred, death",
                "event not imported",
            ),
        ]
    )


def test_a_longitudinal_export_without_the_record_id_is_checked_with_its_first_column(tmp_path):
    """PTSLONG3 with the built-in profile: the record id is study_id (the export's first column). Before,
    that one error was all the check said; now the centre, the event map, the months field holding a
    date and the sex "Prefer not to say" are in the same check."""
    data = LONG / "PTSLONG3_DATA.csv"
    rows = _rows(data)
    header = list(rows[0])
    assert header[0] == "study_id" and "record_id" not in header and "redcap_data_access_group" not in header
    events = sorted({r["redcap_event_name"] for r in rows})
    dated = [(i, r) for i, r in enumerate(rows, start=2) if "-" in r["months_since_dvt"]]
    assert len(dated) == 1
    months = sum(r["months_since_dvt"].isdigit() for r in rows)
    assert months == 5
    report = _run("redcap", sorted(LONG.glob("*.csv")), tmp_path)
    errors = {e[0]: e for e in _issues(report, "error")}
    assert sorted(errors) == [
        "columns:PTSLONG3_DATA",
        "redcap:center",
        "redcap:events",
        "redcap:months_are_dates",
        "redcap:record_id",
    ]
    assert errors["redcap:record_id"] == (
        "redcap:record_id",
        data.name,
        1,
        "",
        "the export has no record id column 'record_id' ([fields] patient_id names it); its first column, "
        "'study_id', is where REDCap writes the record id: set patient_id = \"study_id\" in [fields] of a copy of "
        "the profile. The export is checked with 'study_id' as the record id",
    )
    assert errors["redcap:events"] == (
        "redcap:events",
        data.name,
        None,
        "",
        "no row of the export is at a month-0 event of [events] (baseline_arm_1), where patient fields are read: "
        f"map the baseline event(s) to 0 in [events] (events in the export: {', '.join(events)}); the export is "
        "checked with each record's first row as its baseline row until then",
    )
    assert errors["redcap:center"] == (
        "redcap:center",
        data.name,
        None,
        "",
        "no centre: the export has no redcap_data_access_group column; name the site field in [fields] center_id "
        '(e.g. center_id = "site"), or give the one centre in [study] center_id (e.g. center_id = "LEEDS")',
    )
    line, row = dated[0]
    assert errors["redcap:months_are_dates"] == (
        "redcap:months_are_dates",
        data.name,
        line,
        row["months_since_dvt"],
        # review 10, (a) 10: a date typed among months is the record's to correct, or to leave missing (dvt_date
        # would lose the others)
        f"record {row['study_id']} holds the date {row['months_since_dvt']} in field 'months_since_dvt' ([fields] "
        f"months_since_dvt), where {months} other records hold months: correct the record (write its months since "
        f'the DVT), or leave it missing: set [values.months_since_dvt] "{row["months_since_dvt"]}" = "" in a copy of '
        "the profile, and the patient is not imported, with a warning (the contract requires the months of every "
        "patient; reading the field as the DVT's date, [fields] dvt_date, would lose the months of the others)",
    )
    sex = {r["Variable / Field Name"]: r for r in _rows(LONG / "PTSLONG3_DataDictionary.csv")}["sex"]
    choices = sex["Choices, Calculations, OR Slider Labels"].split("|")
    code = next(c.split(",")[0].strip() for c in choices if "Prefer" in c)
    assert _issues(report, "warning", "redcap:unmapped") == [
        (
            "redcap:unmapped",
            data.name,
            _line(data, "sex", code),
            code,
            f"choice {code} (Prefer not to say) of 'sex' has no value in patients.sex: patient not imported (nor any "
            f'of its rows); map it in [values.sex] of a copy of the profile (e.g. "{code}" = "one of female, male")',
        )
    ]


def test_an_adam_dataset_without_avisit_is_still_checked_by_its_avisitn(tmp_path):
    """The ADaM door had the same gap: PTS02 (tests/fixtures/review9/adam02b) whose ADQSVCSS was
    delivered without AVISIT (the profile maps both AVISIT and AVISITN) and with one VCSS of 45 (the
    scale's maximum is 30). Before, the missing AVISIT stopped ADQSVCSS ("nothing else of ADQSVCSS is
    checked until it is named") and the impossible VCSS was found only in the next round."""
    folder = tmp_path / "delivery"
    folder.mkdir()
    for path in (FIXTURES / "review9" / "adam02b").glob("*.xpt"):
        (folder / path.name).write_bytes(path.read_bytes())
    vcss, _ = pyreadstat.read_xport(str(FIXTURES / "review9" / "adam02b" / "adqsvcss.xpt"))
    wrong = vcss.index[(vcss.USUBJID == "PTS02-01") & (vcss.AVISITN == 52)][0]
    vcss = vcss.drop(columns=["AVISIT"])
    vcss.loc[wrong, "AVAL"] = 45.0
    pyreadstat.write_xport(vcss, str(folder / "adqsvcss.xpt"), table_name="ADQSVCSS", file_format_version=5)
    text = (FIXTURES / "review9" / "pts02-adam.toml").read_text(encoding="utf-8")
    assert '[visits.AVISITN]\n"0" = 0\n"26" = 6\n"52" = 12\n' in text and "[visits.AVISIT]" in text
    profile = tmp_path / "pts02-adam.toml"
    profile.write_text(text.replace('TTHEAL = "ulcer_healed"', 'TTHEAL = "ulcer_healing"'), encoding="utf-8")
    report = _run(profile, sorted(folder.glob("*.xpt")), tmp_path)
    assert _issues(report, "error") == [
        (
            "columns:adqsvcss",
            "adqsvcss.xpt",
            1,
            "",
            "ADQSVCSS lacks column(s) AVISIT ([visits] AVISIT) that the profile maps; if the names differ, set them "
            f"in a copy of profile 'pts02-adam' (ADQSVCSS has: {', '.join(vcss.columns)}); ADQSVCSS is checked with "
            f"its visits placed by AVISITN meanwhile; {LATER}",
        ),
        (
            "allowed:visits.vcss",
            "adqsvcss.xpt",
            int(wrong) + 1,
            "45",
            "visits.vcss has values the contract does not allow: vcss BETWEEN 0 AND 30. Source records PARAMCD = "
            "VCSS ([paramcd] vcss): map each source value onto the contract's in [values.vcss] of a copy of the "
            "profile.",
        ),
    ]


def test_a_checkbox_without_its_order_leaves_its_column_empty_and_the_rest_is_checked(tmp_path):
    """The reviewer's working profile without [checkbox_order]: the segment checkbox cannot become one
    obstruction site. Before, that refusal stopped the patients, visits and events unread (the
    "Other" choices and the unassessed ulcer came in the next round); now it is one error among them."""
    text = (FIXTURES / "review9" / "reg2_v1.toml").read_text(encoding="utf-8")
    order = (
        '[checkbox_order]\nobstruction_site = ["ivc", "common_iliac", "external_iliac", "common_femoral", "femoral"]\n'
    )
    assert order in text
    profile = tmp_path / "reg2_no_order.toml"
    profile.write_text(text.replace(order, ""), encoding="utf-8")
    report = _run(profile, sorted(CLASSIC.glob("*.csv")), tmp_path)
    segments = _dictionary()["segments"]["select_choices_or_calculations"]
    codes = [c.split(",")[0].strip() for c in segments.split("|")]
    assert _issues(report, "error") == [
        _arm_other_error(),
        (
            "redcap:checkbox",
            DICTIONARY,
            None,
            "",
            f"field 'segments' is a checkbox (columns {', '.join(f'segments___{c}' for c in codes)}) mapped to "
            "patients.obstruction_site, which holds one value: give the order that picks one ticked choice in "
            "[checkbox_order] obstruction_site = ['ivc', 'common_iliac', 'external_iliac', 'common_femoral', "
            "'femoral'] (the first ticked in that order is kept)",
        ),
    ]
    ulcer = next(i for i, r in enumerate(_rows(CLASSIC / EXPORT), start=2) if r["ulcer"] == "9")
    assert sorted(_issues(report, "warning", "redcap:unmapped")) == sorted(
        [
            _other("ceap", "patients", "ceap_c", "one of C3, C4a, C4b, C4c, C5, C6", ARM_OTHER[-1]),
            _other(
                "ae_cat",
                "events",
                "event_type",
                "one of stent_thrombosis, restenosis, reintervention, patency_restored, stent_migration, "
                "access_site_bleeding, major_bleeding, recurrent_dvt, pulmonary_embolism, ulcer_healed, "
                "ulcer_recurred, death",
                "event not imported",
            ),
            (
                "redcap:unmapped",
                EXPORT,
                ulcer,
                "9",
                "choice 9 (Not assessed) of 'ulcer' has no value in visits.ulcer_present: visit not imported; map it "
                'in [values.ulcer_present] of a copy of the profile (e.g. "9" = "true or false")',
            ),
        ]
    )


def test_an_export_without_its_dictionary_still_has_its_fields_and_dates_checked(tmp_path):
    """The reviewer's export uploaded without its data dictionary, with their profile before the dd/mm
    format was added: the dictionary is needed to decode the coded fields, but the dates need none.
    Before, the missing dictionary was the only problem named."""
    text = (FIXTURES / "review9" / "reg2_v1.toml").read_text(encoding="utf-8")
    assert 'formats = ["%d%b%Y", "%d/%m/%Y"]' in text
    profile = tmp_path / "reg2_no_dmy.toml"
    profile.write_text(text.replace('formats = ["%d%b%Y", "%d/%m/%Y"]', 'formats = ["%d%b%Y"]'), encoding="utf-8")
    report = _run(profile, [CLASSIC / EXPORT], tmp_path)
    checkbox = [c for c in next(csv.reader(open(CLASSIC / EXPORT, encoding="utf-8-sig"))) if "___" in c]  # noqa: SIM115
    assert sorted(_issues(report, "error"), key=repr) == sorted(
        [
            (
                "redcap:dictionary",
                "(sources)",
                None,
                "",
                "the project's data dictionary CSV is required to decode coded fields; its checkbox columns "
                f"({', '.join(checkbox[:4])}) need it; the export's fields and dates are checked now, its records "
                "once it is among the sources",
            ),
            *_date_errors(),
        ],
        key=repr,
    )
