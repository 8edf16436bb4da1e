"""Review 7 of #23 (an outside reviewer's hand-written SDTM trial and REDCap registry): each finding on a
small hand-written delivery. The SDTM delivery is the one of test_import_sdtm_conventions (CSV text
written by hand the way a sponsor's SDTM programmer writes it); where a finding needs more, the text is
changed here, line by line, and every expected message is written out whole."""

import csv
import io
from datetime import datetime
from pathlib import Path

from pts_explorer.importer import assistant, assistant_choices
from pts_explorer.importer.formats import load
from tests.unit.test_import_sdtm_conventions import (
    AE,
    EMERGENT,
    ON_TIME,
    PROFILE,
    SUPPDM,
    SUPPPR,
    _import,
    _issues,
    _on_time,
    _profile,
    _rows,
)

REDCAP = Path(__file__).resolve().parents[1] / "fixtures" / "redcap_review7"
REDCAP_SOURCES = [REDCAP / "PTSRegistry_DATA_2024-03-01_1412.csv", REDCAP / "PTSRegistry_DataDictionary_2024-03-01.csv"]


def _sdtm_profile(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = PROFILE
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return _profile(tmp_path, text)


# --- 1: a visit map meant for another study ------------------------------------------------------


def test_a_visit_whose_days_say_another_month_than_the_visit_map_is_refused_naming_the_key(tmp_path):
    """Finding 1: the visit map sends VISITNUM 2 (VISIT MONTH 1, days 30-32 after RFSTDTC) to month 3.
    Each record is within the contract's 120-day window of month 3, so nothing else catches it: the
    import would put every month-1 assessment at month 3 with no error."""
    profile = _sdtm_profile(
        tmp_path,
        ("visit_months = [0, 1]", "visit_months = [0, 1, 3]"),
        ('VISITNUM = { "1" = 0, "2" = 1 }', 'VISITNUM = { "1" = 0, "2" = 3 }'),
    )
    out = tmp_path / "out.duckdb"
    report = _import(profile, _on_time(tmp_path / "sdtm"), out)
    assert not report.imported
    # 3 subjects x 13 tests at MONTH 1; their days after RFSTDTC: 30, 30 and 32 (median 30)
    assert _issues(report, "sdtm:visit_month") == [
        (
            "qs.csv",
            15,  # the first record of MONTH 1 (line 1 is the header)
            "",
            "VISITNUM",
            "MONTH 1 (VISITNUM 2)",
            "QS VISITNUM 2 (VISIT MONTH 1) is mapped to month 3 by [visits], but the median study day of its 39 "
            "records is 30 (day 0 = DM.RFSTDTC ([dm] enrolled_on)), nearest month 1: every record of this visit "
            'would be imported at the wrong month. Set [visits] VISITNUM "2" = 1 in a copy of the profile (or '
            "correct the dates in the source)",
        )
    ]
    assert report.errors == 1, report.text()
    assert not out.exists()


def test_the_visit_map_that_agrees_with_the_days_imports(tmp_path):
    report = _import(_sdtm_profile(tmp_path), _on_time(tmp_path / "sdtm"), tmp_path / "out.duckdb")
    assert report.imported, report.text()
    assert _issues(report, "sdtm:visit_month") == []
    assert _rows(tmp_path / "out.duckdb", "SELECT visit_month, count(*) FROM visits GROUP BY 1 ORDER BY 1") == [
        (0, 3),
        (1, 3),
    ]


# --- 2: the assistant when no QNAM is left to offer -------------------------------------------------


def test_a_required_qualifier_with_no_unused_qnam_left_is_explained_not_a_traceback(tmp_path):
    """Finding 2: SUPPPR without BELOWIL, and each of its other QNAMs mapped to another column: the
    assistant raised ValueError (difflib's n must be > 0) instead of saying what to do."""
    supppr = "".join(line for line in SUPPPR.splitlines(keepends=True) if ",BELOWIL," not in line)
    sources = _on_time(tmp_path / "sdtm", supppr=supppr)
    profile = _sdtm_profile(tmp_path)
    report = _import(profile, sources, tmp_path / "out.duckdb")
    assert not report.imported
    found = assistant_choices.survey(load(str(profile)), sources)
    choices = [c for c in assistant_choices.sdtm_choices(load(str(profile)), found) if "qnam" in c.key]
    assert [(c.label, [o.text for o in c.options], [o.writes for o in c.options], c.default) for c in choices] == [
        (
            "[procedure] below_inguinal_ligament (required, because the index procedure is imported): SUPPPR has no "
            "QNAM BELOWIL",
            ["(no other QNAM in SUPPPR: each is mapped to another column; add QNAM BELOWIL to SUPPPR in the source)"],
            [()],
            None,
        )
    ]


# --- 3: partial and malformed DVT dates in SUPPDM ----------------------------------------------------

# 1002's DVT known to the month only; 1003's written without the leading zero of its month.
PARTIAL_SUPPDM = SUPPDM.replace("DVTDTC,Date of Index DVT,2020-01-20", "DVTDTC,Date of Index DVT,2019-11").replace(
    "DVTDTC,Date of Index DVT,2020-09-15", "DVTDTC,Date of Index DVT,2020-9-15"
)
# Two AEs known to the month only.
PARTIAL_AE = EMERGENT.replace("Device occlusion,2021-05-02", "Device occlusion,2021-05").replace(
    "Headache,Headache,2021-03-01", "Headache,Headache,2021-03"
)
FIRST = ("[dm]\n", '[dates]\npartial = "first"\n\n[dm]\n')


def test_partial_dvt_dates_are_imputed_with_a_warning_naming_suppdm_and_each_value(tmp_path):
    """Finding 3: SUPPDM DVTDTC "2019-11" was imputed silently (the AE ones were warned, listing one of
    their two values), and "2020-9-15", not ISO 8601, was read as 2020-09-15 without a word."""
    assert AE  # the delivery's AE, of which EMERGENT keeps the treatment-emergent records
    sources = _on_time(tmp_path / "sdtm", suppdm=PARTIAL_SUPPDM, ae=PARTIAL_AE)
    out = tmp_path / "out.duckdb"
    report = _import(_sdtm_profile(tmp_path, FIRST), sources, out)
    assert report.imported, report.text()
    assert _issues(report, "sdtm:imputed_date.*") == [
        (
            "ae.csv",
            None,
            "",
            "AESTDTC",
            "2021-03, 2021-05",
            '2 partial AE.AESTDTC ([ae] start_date) dates imputed by [dates] partial = "first" (first day of the '
            "month or year)",
        ),
        (
            "suppdm.csv",
            None,
            "",
            "DVTDTC",
            "2019-11",
            '1 partial SUPPDM.DVTDTC ([qualifiers] dvt_date) date imputed by [dates] partial = "first" (first day '
            "of the month or year)",
        ),
    ]
    assert _issues(report, "sdtm:date_not_iso.*") == [
        (
            "suppdm.csv",
            20,
            "PTS-STENT-01-1003",
            "DVTDTC",
            "2020-9-15 (read as 2020-09-15)",
            "SUPPDM.DVTDTC ([qualifiers] dvt_date) is not written as ISO 8601 (YYYY-MM-DD, two digits for month "
            "and day): read as the date in brackets; correct it in the source if that is not the date meant",
        )
    ]
    # whole months from the DVT (2019-11 -> 2019-11-01; 2020-9-15 -> 2020-09-15) to RFSTDTC
    assert _rows(out, "SELECT patient_id, months_since_dvt FROM patients ORDER BY 1") == [
        ("PTS-STENT-01-1001", 20),  # 2019-06-02 -> 2021-02-10
        ("PTS-STENT-01-1002", 15),  # 2019-11-01 -> 2021-02-24
        ("PTS-STENT-01-1003", 6),  # 2020-09-15 -> 2021-03-15
    ]


def test_a_refused_partial_dvt_date_names_suppdm_dvtdtc_and_dates_partial_not_dm(tmp_path):
    sources = _on_time(tmp_path / "sdtm", suppdm=PARTIAL_SUPPDM)
    report = _import(_sdtm_profile(tmp_path), sources, tmp_path / "out.duckdb")
    assert not report.imported
    assert _issues(report, "sdtm:partial_date.*") == [
        (
            "suppdm.csv",
            13,
            "PTS-STENT-01-1002",
            "DVTDTC",
            "2019-11",
            "SUPPDM.DVTDTC ([qualifiers] dvt_date) is a partial date: complete it in the source, or impute it with "
            '[dates] partial = "first" or "middle" in a copy of the profile',
        )
    ]
    assert _issues(report, "required:*") == []
    assert report.errors == 1, report.text()


# --- 4: REDCap months since the DVT from a DVT date field --------------------------------------------

# The reviewer's registry, mapped in full but for what a finding changes: a short profile extending
# the built-in one, as the README shows.
REDCAP_PROFILE = """[profile]
name = "registry"
version = 1
format = "redcap"
extends = "redcap"

[events]
baseline_arm_1 = 0
month_6_arm_1 = 6
month_12_arm_1 = 12
month_24_arm_1 = 24

[fields]
patient_id = "record_id"
center_id = "site"
arm = "treatment"
enrolled_on = "enrol_date"
age_years = "age"
sex = "sex"
bmi = ""
limb_side = "limb"
months_since_dvt = ""
dvt_date = "dvt_date"
obstruction_site = "seg"
stenosis_pct = "sten_pct"
lesion_length_mm = ""
ceap_c = "ceap"
last_contact_date = "last_contact"
death_date = "death_date"
procedure_date = "proc_date"
technical_success = "tech_success"
stents_placed = "n_stents"
max_stent_diameter_mm = ""
below_inguinal_ligament = "below_il"
visit_date = "visit_date"
v_pain = "vil_pain"
v_cramps = "vil_cramps"
v_heaviness = "vil_heavy"
v_paresthesia = "vil_paraes"
v_pruritus = "vil_prur"
v_edema = "vil_oedema"
v_induration = "vil_indur"
v_hyperpigmentation = "vil_pigm"
v_redness = "vil_red"
v_ectasia = "vil_ectas"
v_calf_pain = "vil_calf"
ulcer_present = "ulcer"
vcss = "vcss"
veines_qol = "veines_qol"
veines_sym = "veines_sym"
pain_vas = ""
calf_circumference_cm = ""
daily_steps = ""
compression_use = ""

[values.arm]
1 = "stent"
2 = "medical"

[population]  # choice 99 (Other) left out on purpose: an unmapped arm choice refuses the import (review 16)
exclude_arms = ["Other"]

[dates]
formats = ["%d%b%Y"]
"""


def _redcap_profile(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = REDCAP_PROFILE
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return _profile(tmp_path, text, "registry.toml")


def _redcap_rows() -> list[dict[str, str]]:
    with REDCAP_SOURCES[0].open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_redcap_months_since_dvt_are_counted_from_a_dvt_date_field(tmp_path):
    """Finding 4: the registry holds the index DVT as a date (02MAR2020), no months: [fields] dvt_date
    counts whole months from it to the enrolment date, as SDTM's [qualifiers] dvt_date does (the key
    was silently ignored and months_since_dvt refused as empty in every row)."""
    out = tmp_path / "out.duckdb"
    report = _import(_redcap_profile(tmp_path), REDCAP_SOURCES, out)
    assert report.imported, report.text()
    expected = []
    for r in _redcap_rows():
        # the patients imported: stent or medical (99, Other, is skipped), one limb (3, Bilateral, is skipped)
        if r["redcap_event_name"] == "baseline_arm_1" and r["treatment"] in ("1", "2") and r["limb"] in ("1", "2"):
            dvt = datetime.strptime(r["dvt_date"], "%d%b%Y").date()
            enrolled = datetime.strptime(r["enrol_date"], "%Y-%m-%d").date()
            months = (enrolled.year - dvt.year) * 12 + enrolled.month - dvt.month - (enrolled.day < dvt.day)
            expected.append((r["record_id"], months))
    assert len(expected) == 8
    assert _rows(out, "SELECT patient_id, months_since_dvt FROM patients ORDER BY 1") == expected


def test_redcap_a_months_field_holding_dates_is_refused_naming_dvt_date(tmp_path):
    """Finding 4: the assistant offered the date field for months_since_dvt, which then failed as a type
    error per row; the message names the key that reads dates."""
    profile = _redcap_profile(
        tmp_path, ('months_since_dvt = ""\ndvt_date = "dvt_date"\n', 'months_since_dvt = "dvt_date"\n')
    )
    report = _import(profile, REDCAP_SOURCES, tmp_path / "out.duckdb")
    assert not report.imported
    # Review 8, finding 8: each record is its own issue, so the summary shows every date (not 1 of 10).
    assert [line for line in report.text().splitlines() if line.startswith("  ERROR:")] == [
        "  ERROR: PTSRegistry_DATA_2024-03-01_1412.csv: lines 2, 9, 13, 17, 22 (5 more): field 'dvt_date' ([fields] "
        "months_since_dvt) holds dates, not months (10 records): name it in [fields] dvt_date instead, and set "
        'months_since_dvt = "", in a copy of the profile: the months are then counted from the DVT date to the '
        "enrolment date [redcap:months_are_dates, 10]; values encountered in dvt_date: 02MAR2020, 04APR2020, "
        "05MAY2019, 09JAN2020, 09SEP2020, 14FEB2020, 15OCT2019, 19AUG2020 and 2 more"
    ]


def test_redcap_a_profile_key_the_format_does_not_read_refuses_the_profile(tmp_path):
    """Refused when the profile is loaded, as in every format (review 18, F3: never ignored, nor only warned of)."""
    profile = _redcap_profile(
        tmp_path,
        ('dvt_date = "dvt_date"', 'dvt_date = "dvt_date"\ndvt_day = "dvt_date"'),
        ("[dates]", "[date]"),
    )
    report = _import(profile, REDCAP_SOURCES, tmp_path / "out.duckdb")
    assert not report.imported
    assert _issues(report, "*") == [
        (
            "registry.toml",
            None,
            "",
            "",
            "",
            "registry.toml: [fields] dvt_day is not a key of [fields] in a redcap profile (did you mean dvt_date? its "
            "keys: the contract's columns and the date keys; see the README, Your own data); [date] is not a section "
            "of a redcap profile (did you mean [dates]?). Correct or remove each in the profile: a key the format "
            "does not read is refused, never ignored (a misspelt population filter or date format would change what "
            "is imported)",
        ),
    ]


# --- 5: a site field instead of data access groups, and every problem at once ------------------------


def test_redcap_without_a_centre_reports_every_other_problem_too_and_the_assistant_offers_the_site(tmp_path):
    """Finding 5: the registry names its centres in a `site` dropdown, not data access groups. With no
    centre named, the refusal said only that, hiding the treatment codes 1/2/99 no map holds, the
    "3, Bilateral" limb and the "8, Other" adverse event; and the mapping assistant offered no choice
    for center_id (the built-in profile only comments the key)."""
    profile = _redcap_profile(
        tmp_path,
        ('center_id = "site"\n', ""),
        ('[values.arm]\n1 = "stent"\n2 = "medical"\n', ""),
        ('exclude_arms = ["Other"]\n', "exclude_arms = []\n"),
    )
    report = _import(profile, REDCAP_SOURCES, tmp_path / "out.duckdb")
    assert not report.imported
    rows = _redcap_rows()
    baseline = [r for r in rows if r["redcap_event_name"] == "baseline_arm_1"]
    bilateral = [r["record_id"] for r in baseline if r["limb"] == "3"]
    other = [r["record_id"] for r in rows if r["ae_type"] == "8"]
    labels = {"1": "Venous stent", "2": "Compression and anticoagulation", "99": "Other"}  # the dictionary's
    issues = report.issues[report.issues.rule.isin(["redcap:center", "redcap:unmapped"])]
    assert sorted((r.severity, r.record, r.column, r.value, r.message) for r in issues.itertuples()) == sorted(
        [
            (
                "error",
                "",
                "",
                "",
                "no centre: the export has no redcap_data_access_group column; name the site field in [fields] "
                'center_id (e.g. center_id = "site"), or give the one centre in [study] center_id (e.g. center_id = '
                '"LEEDS")',
            ),
            (
                "error",
                "",
                "",
                "",
                f"{len(baseline)} of {len(baseline)} records hold choices of 'treatment' with no value in "
                "patients.arm (1 (Venous stent), 2 (Compression and anticoagulation), 99 (Other)): map them in "
                "[values.arm] of a copy of the profile (each to one of stent, medical)",
            ),
            *(
                (
                    "warning",
                    r["record_id"],
                    "treatment",
                    r["treatment"],
                    f"choice {r['treatment']} ({labels[r['treatment']]}) of 'treatment' has no value in patients.arm: "
                    "patient not imported (nor any of its rows); map it in [values.arm] of a copy of the profile "
                    f'(e.g. "{r["treatment"]}" = "one of stent, medical")',
                )
                for r in baseline
            ),
            *(
                (
                    "warning",
                    record,
                    "limb",
                    "3",
                    "choice 3 (Bilateral) of 'limb' has no value in patients.limb_side: patient not imported (nor "
                    'any of its rows); map it in [values.limb_side] of a copy of the profile (e.g. "3" = "one of '
                    'left, right")',
                )
                for record in bilateral
            ),
            *(
                (
                    "warning",
                    record,
                    "ae_type",
                    "8",
                    "choice 8 (Other) of 'ae_type' has no value in events.event_type: event not imported; map it in "
                    '[values.event_type] of a copy of the profile (e.g. "8" = "one of stent_thrombosis, restenosis, '
                    "reintervention, patency_restored, stent_migration, access_site_bleeding, major_bleeding, "
                    'recurrent_dvt, pulmonary_embolism, ulcer_healed, ulcer_recurred, death")',
                )
                for record in other
            ),
        ]
    )
    assert (len(bilateral), len(other)) == (1, 1)
    rows_offered = [r for r in assistant.field_rows(load(str(profile)), report.source_columns) if not r.found]
    assert rows_offered == [assistant.FieldRow("fields", "center_id", "", False, True, ("site",))]


# --- 7 and 10: the funnel counts what nothing uses; a qualifier set to "" is none ---------------------


def _sv() -> str:
    """SV as the sponsor writes it: a record per visit of the sheets, one for the screen failure's
    screening visit, and one for an unscheduled visit of 1001 (VISITNUM 2.1, no QS record kept)."""
    lines = ["STUDYID,DOMAIN,USUBJID,VISITNUM,VISIT,SVSTDTC"]
    for r in csv.DictReader(io.StringIO(ON_TIME)):
        lines.append(f"PTS-STENT-01,SV,{r['USUBJID']},{r['VISITNUM']},{r['VISIT']},{r['QSDTC']}")
    lines.append("PTS-STENT-01,SV,PTS-STENT-01-1013,0,SCREENING,2021-02-01")
    lines.append("PTS-STENT-01,SV,PTS-STENT-01-1001,2.1,UNSCHEDULED 2.1,2021-04-01")
    return "\n".join(lines) + "\n"


SUPPQS = """STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL,QORIG,QEVAL
PTS-STENT-01,QS,PTS-STENT-01-1001,QSSEQ,1,QSREASND,Reason not done,,CRF,
PTS-STENT-01,QS,PTS-STENT-01-1002,QSSEQ,1,QSREASND,Reason not done,,CRF,
"""


def test_records_nothing_uses_are_counted_as_not_used_with_the_reason(tmp_path):
    """Finding 7: SUPPQS (no role reads it) showed "read 2, kept 2"; SV, which only dates a QS record
    without QSDTC, showed every record kept, the screen failure's and the unscheduled visit's too. (SUPPQS
    is now read for the leg of QS records, [qs] laterality: a dataset no role reads is shown here as SUPPFA.)"""
    folder = tmp_path / "sdtm"
    sources = _on_time(folder)
    for name, text in (("sv", _sv()), ("suppfa", SUPPQS)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        sources.append(folder / f"{name}.csv")
    report = _import(_sdtm_profile(tmp_path), sources, tmp_path / "out.duckdb")
    assert report.imported, report.text()
    sheets = list(csv.DictReader(io.StringIO(ON_TIME)))
    assert [(f.step, f.records) for f in report.funnel if f.file == "sv.csv"] == [
        ("read", len(sheets) + 2),
        ("subject left out of the population", 1),
        ("no QS record kept at this visit (unscheduled, unmapped or not assessed): not used", 1),
        ("not used: every QS record of the visit has its own date ([qs] date)", len(sheets)),
        ("kept", 0),
    ]
    assert [(f.step, f.records) for f in report.funnel if f.file == "suppfa.csv"] == [
        ("read", 2),
        ("not read: no role of the profile names it ([datasets])", 2),
        ("kept", 0),
    ]
    assert _issues(report, "file:unused") == [
        (
            "suppfa.csv",
            None,
            "",
            "",
            "",
            "not imported: no role of the profile names 'suppfa'; if it holds data for the contract, add its name "
            "to a role in [datasets] of a copy of the profile",
        )
    ]


def test_a_qualifier_set_to_nothing_is_not_looked_for(tmp_path):
    """Finding 10: [qualifiers] lesion_length_mm = "" (the study has none) gave the warning "SUPPDM has no
    record with QNAM = ''"."""
    profile = _sdtm_profile(tmp_path, ('lesion_length_mm = "LESLEN"', 'lesion_length_mm = ""'))
    out = tmp_path / "out.duckdb"
    report = _import(profile, _on_time(tmp_path / "sdtm"), out)
    assert report.imported, report.text()
    assert _issues(report, "sdtm:qnam.*") == []
    assert _rows(out, "SELECT count(lesion_length_mm) FROM patients") == [(0,)]


# --- 8 and 9: one row per problem, each problem once -------------------------------------------------


def test_each_missing_qualifier_is_its_own_row_and_no_problem_is_counted_twice(tmp_path):
    """Finding 8: the missing QNAMs INDLIMB and CEAPC were one rule, so the report's row (one per rule,
    file and field) named CEAPC only while counting both. Finding 9: an arm no map holds was two errors
    (sdtm:values.arm and the contract's allowed:patients.arm), and Villalta codes the profile does not
    name were one error plus one "visits.v_... is empty in every row" per item."""
    suppdm = SUPPDM.replace(",INDLIMB,", ",LIMB,").replace(",CEAPC,", ",CEAPCL,")
    profile = _sdtm_profile(
        tmp_path,
        ('"Venous stent + best medical therapy" = "stent"\n', ""),
        ('v_pain = "VIL01"\n', 'v_pain = "VILPAIN"\n'),
    )
    report = _import(profile, _on_time(tmp_path / "sdtm", suppdm=suppdm), tmp_path / "out.duckdb")
    assert not report.imported
    errors = report.issues[report.issues.severity == "error"]
    assert sorted(set(errors.rule)) == [
        "sdtm:items",
        "sdtm:qnam.ceap_c",
        "sdtm:qnam.limb_side",
        "sdtm:values.arm",
    ]
    # each rule a row of the report's summary, naming its own QNAM
    rows = {r.rule: r.message for r in report.rules}
    assert "QNAM = 'LIMB'" not in rows["sdtm:qnam.limb_side"] and "QNAM = 'INDLIMB'" in rows["sdtm:qnam.limb_side"]
    assert "QNAM = 'CEAPC'" in rows["sdtm:qnam.ceap_c"]
    # the two stent-arm subjects, once each
    assert sorted(errors[errors.rule == "sdtm:values.arm"].record) == ["PTS-STENT-01-1001", "PTS-STENT-01-1003"]


# --- 11: a classic project's "Unscheduled" visit choice ----------------------------------------------


def test_an_unscheduled_choice_of_the_visit_month_field_is_told_and_mapped_to_nothing(tmp_path):
    """Finding 11: the visit month dropdown of a classic project has "3, Unscheduled"; the refusal said
    to map it in [values.visit_month] but not to what, and `"3" = ""` (its visits not imported) was
    documented nowhere. The hand-written classic project of test_import_redcap, with that choice and one
    unscheduled visit of record 101."""
    from tests.unit.test_import_redcap import BY_MONTH_FIELD, CLASSIC_DICTIONARY, CLASSIC_EXPORT, CLASSIC_FIELDS, HEAD
    from tests.unit.test_import_redcap import _import as _import_redcap

    dictionary = CLASSIC_DICTIONARY.replace(
        '"0, Baseline | 6, Month 6 | 12, Month 12"', '"0, Baseline | 3, Unscheduled | 6, Month 6 | 12, Month 12"'
    )
    visit = "101,visit,2,,,,,,,,,,,,,,,,,,,,,,,,,,2022-07-12,6,"
    assert CLASSIC_EXPORT.count(visit) == 1 and dictionary != CLASSIC_DICTIONARY
    extra = "101,visit,4,,,,,,,,,,,,,,,,,,,,,,,,,,2022-04-20,3," + CLASSIC_EXPORT.split(visit)[1].split("\n")[0]
    export = CLASSIC_EXPORT.replace(visit, extra + "\n" + visit)
    files = {"classic_export.csv": export, "classic_dictionary.csv": dictionary}
    profile = HEAD.format(name="classic") + BY_MONTH_FIELD + CLASSIC_FIELDS
    report, _ = _import_redcap(tmp_path, profile, files)
    assert not report.imported
    errors = report.issues[report.issues.severity == "error"]
    assert errors.message.tolist() == [
        "field 'visit_month' (visit_month) has choices 3, Unscheduled whose codes are not months of [study] "
        "visit_months [0, 6, 12]: map each code to its value in [values.visit_month] of a copy of the profile (e.g. "
        '"3" = ...); a choice that is no scheduled visit (an unscheduled visit) maps to "" (e.g. "3" = ""): its '
        "visits are not imported, each named in a warning; the visits are read once the codes are months (the other "
        "fields are checked now)"
    ]
    report, out = _import_redcap(tmp_path, profile + '\n[values.visit_month]\n"3" = ""\n', files)
    assert report.imported, report.text()
    line = 1 + export.splitlines().index(extra)
    dropped = report.issues[report.issues.rule == "redcap:visit"]
    assert [(r.line, r.record, r.value) for r in dropped.itertuples()] == [(line, "101", "3")]
    assert _rows(out, "SELECT visit_month FROM visits WHERE patient_id = '101' ORDER BY 1") == [(0,), (6,), (12,)]


# --- 12: the CDISC pilot without QS ------------------------------------------------------------------


def test_the_cdisc_pilot_without_qs_is_told_it_is_not_a_pts_study_and_nothing_is_said_twice(tmp_path):
    """Finding 12: the public CDISC pilot's DM, DS and SV (an Alzheimer trial, no QS, no SUPPDM): the
    refusal said only that QS and SUPPDM are missing, plus an "empty in every row" error per SUPPDM
    qualifier, "no visits" and a missing baseline per patient."""
    pilot = Path(__file__).resolve().parents[1] / "fixtures" / "cdiscpilot01"
    sources = [pilot / "dm.xpt", pilot / "sv.xpt", pilot / "ds.xpt"]
    report = _import("sdtm", sources, tmp_path / "pilot.duckdb")
    assert not report.imported
    errors = report.issues[report.issues.severity == "error"]
    assert sorted(set(errors.rule)) == ["file:missing", "sdtm:values.arm"]
    assert list(errors[errors.rule == "file:missing"].message) == [
        "no dataset named QS (QS role, required); datasets found: dm, ds, sv; name it in [datasets] qs of a copy of "
        "the profile. If the study has no QS, this does not look like a post-thrombotic syndrome study: a PTS study "
        "needs, per visit, the 11 Villalta items and ulcer status in QS, DM arms mapped to stent or medical "
        "([values.arm]), and the baseline anatomy in SUPPDM ([qualifiers]: index limb, obstruction site, stenosis "
        "%, months since DVT, CEAP class)",
        "no dataset named SUPPDM (SUPPDM role, required); datasets found: dm, ds, sv; name it in [datasets] suppdm "
        "of a copy of the profile",
    ]
    assert not report.issues.rule.isin(["baseline:visits", "rows:visits"]).any()


# --- 13: labels a screen reader reads without backslashes; "1 record" ---------------------------------


def test_assistant_labels_are_plain_where_nothing_is_markdown_and_counts_agree_in_number(tmp_path):
    """Finding 13: the assistant's select boxes were labelled "\\[dm\\] last\\_contact\\_date ..." (the
    accessible name a screen reader says), and a term of one record said "(1 records)"."""
    from pts_explorer.ui.importing import _label

    assert _label("[dm] last_contact_date (required): DM has no variable RFPENDTC") == (
        "[dm] last_contact_date (required): DM has no variable RFPENDTC"
    )
    # text from the files that would read as Markdown is still escaped
    assert _label("AEDECOD **Headache** [x](http://e.org) :red[y]") != "AEDECOD **Headache** [x](http://e.org) :red[y]"
    assert "**" not in _label("**Headache**") and _label("**Headache**") == "\\*\\*Headache\\*\\*"
    choices = assistant_choices.pr_events(load("sdtm"), ["STENT THROMBECTOMY"], {"STENT THROMBECTOMY": 1})
    assert [c.label for c in choices] == ["PR term STENT THROMBECTOMY (1 record): not in [values.pr_event]"]
