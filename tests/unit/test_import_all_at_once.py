"""All problems at once (#23, item 10): a delivery with several independent problems in different
datasets is refused with every one of them in its first check, on every format. A source column the
profile names but the source lacks is one error that says which checks wait for it; it does not stop
the checks of the other columns and datasets, and the contract columns it leaves empty are not
reported again. The deliveries are hand-written ones of the other import tests, each edited here the
way a data manager's mistakes look; every expected message is written out whole."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyreadstat
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.examples import write_examples
from tests.unit import test_import_adam_sponsor as adam
from tests.unit import test_import_redcap as redcap
from tests.unit import test_import_sdtm_conventions as sdtm

LATER = "the values of a missing column are checked once it is named"


def _issues(report, severity: str) -> list[tuple]:
    """(rule, file, line, value, message) of every issue of a severity, in the report's order."""
    found = report.issues[report.issues.severity == severity]
    lines = [None if pd.isna(line) else int(line) for line in found.line]
    return list(zip(found.rule, found.file, lines, found.value, found.message, strict=True))


def _line(text: str, column: str, value: str, **where: str) -> int:
    """The file line (the header is line 1) of the record of `text` whose `column` is `value`."""
    for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        if row[column] == value and all(row[k] == v for k, v in where.items()):
            return i
    raise AssertionError(f"no record with {column} = {value}")


# --- SDTM ---------------------------------------------------------------------------------------


def test_sdtm_every_problem_of_every_dataset_in_the_first_check(tmp_path):
    """DM's last-contact variable under another name (RFXENDTC), an arm label the map lacks, a limb
    coded R in SUPPDM, a partial AE date, and PR's term under another name: before, the missing DM
    variable stopped every other dataset (the reviewer saw arm labels, AE terms and dates only in
    their second round)."""
    dm = sdtm.DM.replace(",RFENDTC,", ",RFXENDTC,").replace(
        "1003,2021-03-15,2022-03-18,02,38,YEARS,F,STENT,Venous stent + best medical therapy",
        "1003,2021-03-15,2022-03-18,02,38,YEARS,F,STENT,Venous stent",
    )
    suppdm = sdtm.SUPPDM.replace("1002,,,INDLIMB,Index Limb,RIGHT", "1002,,,INDLIMB,Index Limb,R")
    ae = sdtm.EMERGENT.replace("Device occlusion,2021-05-02", "Device occlusion,2021-05")
    pr = sdtm.PR.replace(",PRTRT,", ",PRTERM,")
    sources = sdtm._on_time(tmp_path / "delivery", dm=dm, suppdm=suppdm, ae=ae, pr=pr)
    report = sdtm._import(sdtm._profile(tmp_path), sources, tmp_path / "out.duckdb")
    assert not report.imported

    arm_line = _line(dm, "USUBJID", "PTS-STENT-01-1003")
    # A qualifier's problem is reported at its own SUPPDM record (review 8: it was filed under DM).
    limb_line = _line(suppdm, "USUBJID", "PTS-STENT-01-1002", QNAM="INDLIMB")
    assert _issues(report, "error") == [
        (
            "sdtm:partial_date.start_date",
            "ae.csv",
            _line(ae, "AESTDTC", "2021-05"),
            "2021-05",
            "AE.AESTDTC ([ae] start_date) is a partial date: complete it in the source, or impute it with [dates] "
            'partial = "first" or "middle" in a copy of the profile',
        ),
        (
            "columns:dm",
            "dm.csv",
            1,
            "",
            "DM lacks variable(s) RFENDTC ([dm] last_contact_date): name the variable in a copy of the profile; DM "
            f"is checked without it; {LATER}",
        ),
        # (one error each: the contract's allowed-values error on the same record is not repeated)
        (
            "sdtm:values.arm",
            "dm.csv",
            arm_line,
            "Venous stent",
            "DM.ARM ([dm] arm): the value is neither in [values.arm] (it maps Venous stent + best medical therapy, "
            "Best medical therapy) nor one of the contract's (stent, medical); map it there in a copy of the "
            "profile, or leave the arm out with [population] exclude_arms",
        ),
        (
            "columns:pr",
            "pr.csv",
            1,
            "",
            "PR lacks variable(s) PRTRT ([pr] term): name the variable in a copy of the profile; nothing else of "
            "PR is checked until it is named",
        ),
        (
            "sdtm:values.limb_side",
            "suppdm.csv",
            limb_line,
            "R",
            "SUPPDM.INDLIMB ([qualifiers] limb_side): the value is neither in [values.limb_side] (it maps LEFT, "
            "RIGHT) nor one of the contract's (left, right); map it there in a copy of the profile",
        ),
    ]
    # The AE terms are checked too (a warning: the contract holds PTS events only).
    assert [i for i in _issues(report, "warning") if i[0] == "sdtm:ae_term"] == [
        (
            "sdtm:ae_term",
            "ae.csv",
            _line(ae, "AEDECOD", "Headache"),
            "Headache",
            "term not in the profile's [values.event_type]: not imported (the contract holds the listed clinical "
            "events only)",
        )
    ]


def test_sdtm_dm_without_its_reference_date_is_still_checked_and_leaves_nobody_out(tmp_path):
    """DM's RFSTDTC under another name: one error, and the arms are still checked; the built-in
    profile's [population] exclude_blank_reference_date does not take every subject for one never
    randomized (which would have set every record of every dataset aside)."""
    dm = sdtm.DM.replace(",RFSTDTC,", ",RFICDTC,").replace(
        "1002,2021-02-24,2022-02-28,01,51,YEARS,M,BMT,Best medical therapy",
        "1002,2021-02-24,2022-02-28,01,51,YEARS,M,BMT,Best care",
    )
    report = sdtm._import(sdtm._profile(tmp_path), sdtm._on_time(tmp_path / "d", dm=dm), tmp_path / "out.duckdb")
    line = _line(dm, "USUBJID", "PTS-STENT-01-1002")
    assert [(rule, file, line, value) for rule, file, line, value, _ in _issues(report, "error")] == [
        ("columns:dm", "dm.csv", 1, ""),
        ("sdtm:values.arm", "dm.csv", line, "Best care"),
    ]
    assert _issues(report, "error")[0][4] == (
        "DM lacks variable(s) RFSTDTC ([dm] enrolled_on): name the variable in a copy of the profile; DM is checked "
        f"without it; {LATER}"
    )
    left_out = report.issues[report.issues.rule == "sdtm:population"]
    assert list(left_out.value) == ["Screen Failure"]  # the screen failure only, by its arm


# --- ADaM ---------------------------------------------------------------------------------------


def test_adam_a_missing_adsl_and_adae_column_do_not_stop_the_other_checks(tmp_path):
    """ADSL without its last-contact date, an arm label the map lacks, ADAE without AESER: before,
    the missing AESER set all of ADAE aside (its terms unchecked), and the empty last-contact day was
    reported a second time as a contract error."""
    folder = tmp_path / "delivery"
    folder.mkdir()
    adsl = adam._adsl().drop(columns=["LSTALVDT"])
    adsl.loc[adsl.USUBJID == "VS301-002-001", "TRT01P"] = "Stent"
    adae = adam._adae().drop(columns=["AESER"])
    vil, vcss = adam._adqs()
    for name, frame in (("ADSL", adsl), ("ADQSVIL", vil), ("ADQSVCSS", vcss), ("ADAE", adae)):
        pyreadstat.write_xport(frame, str(folder / f"{name.lower()}.xpt"), table_name=name, file_format_version=5)
    profile = tmp_path / "venstent301.toml"
    profile.write_text(adam.SPONSOR_PROFILE.replace("adae = false", "adae = true"), encoding="utf-8")
    report = run_import(
        profile, sorted(folder.iterdir()), tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert not report.imported
    arm_line = 1 + list(adsl.USUBJID).index("VS301-002-001")  # a transport file's record n is line n
    assert _issues(report, "error") == [
        (
            "columns:adae",
            "adae.xpt",
            1,
            "",
            "ADAE lacks column(s) AESER ([ae] serious) that the profile maps; if the names differ, set them in a "
            f"copy of profile 'venstent301' (ADAE has: {', '.join(adae.columns)}); ADAE is checked without it; "
            f"{LATER}",
        ),
        (
            "columns:adsl",
            "adsl.xpt",
            1,
            "",
            "ADSL lacks LSTALVDT ([adsl] last_contact_date) (required); in a copy of profile 'venstent301', set each "
            f"key to the ADSL variable that holds it (ADSL has: {', '.join(adsl.columns)}); ADSL and the other "
            f"datasets are checked without it; {LATER}",
        ),
        (
            "allowed:patients.arm",
            "adsl.xpt",
            arm_line,
            "Stent",  # as ADSL writes it
            "patients.arm has values the contract does not allow: arm IN ('stent', 'medical'). Source column TRT01P "
            "([adsl] arm): map each source value onto the contract's in [values.arm] of a copy of the profile. "
            "Patients of an arm the contract does not hold (a third arm, screen failures) can instead be left "
            'out: [population] exclude_arms, or require (e.g. ITTFL = "Y").',
        ),
    ]
    # ADAE's terms were checked: each term the map lacks, of a subject in ADSL, is a warning.
    mapped = {k.upper() for k in ("STENT THROMBOSIS", "VASCULAR ACCESS SITE HAEMORRHAGE", "DEEP VEIN THROMBOSIS")}
    unmapped = [(1 + i, t) for i, t in enumerate(adae.AEDECOD) if t.upper() not in mapped]
    got = [(line, value) for rule, _file, line, value, _m in _issues(report, "warning") if rule == "adam:ae_term"]
    assert got == unmapped and got


# --- REDCap -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key, field", [("age_years", "age"), ("arm", "treatment"), ("visit_date", "visit_date")])
def test_redcap_a_missing_field_does_not_stop_the_checks_of_the_others(tmp_path, key, field):
    """A profile written for a later version of the project names a field the export lacks (age, the
    arm, the visit date), and the sex choices have no value map: both in the first check (before, the
    missing field stopped the import before any value was read; a missing arm or visit date was also
    reported a second time, as "no arm" or as a visit without a date at every visit)."""
    profile = redcap.HEAD.format(name="classic") + redcap.BY_MONTH_FIELD + redcap.CLASSIC_FIELDS
    assert profile.count(f'{key} = "{field}"') == 1
    profile = profile.replace(f'{key} = "{field}"', f'{key} = "{field}_v2"').replace('0 = "female"\n1 = "male"\n', "")
    dictionary = redcap.CLASSIC_DICTIONARY.replace('"0, Female | 1, Male"', '"0, Woman | 1, Man"')
    files = {"classic_export.csv": redcap.CLASSIC_EXPORT, "classic_dictionary.csv": dictionary}
    report, _ = redcap._import(tmp_path, profile, files)
    assert not report.imported
    records = [r for r in redcap._csv(redcap.CLASSIC_EXPORT) if not r["redcap_repeat_instrument"]]
    assert redcap._errors(report) == [
        (
            "columns:classic_export",
            "classic_export.csv",
            f"the export lacks column(s) '{field}_v2' ([fields] {key}); the profile maps them: set each key to the "
            "field's name in a copy of profile 'classic', or export the field; the export is checked without them; "
            f"{LATER}",
        ),
        (
            "redcap:unmapped",
            "classic_export.csv",
            f"{len(records)} of {len(records)} records hold choices of 'sex' with no value in patients.sex "
            "(0 (Woman), 1 (Man)): map them in [values.sex] of a copy of the profile (each to one of female, male)",
        ),
    ]
    assert "redcap:visit" not in set(report.issues.rule)  # no visit is "without a date" for want of the field


# --- the contract's own CSV layout ----------------------------------------------------------------


def test_contract_csv_a_missing_column_is_one_error_and_the_other_tables_are_checked(small_db, tmp_path):
    """patients.csv without its arm column and a VCSS of 44 in visits.csv: both reported, and the
    empty arm not a second time ("patients.arm is empty in every row")."""
    folder = tmp_path / "examples"
    write_examples(small_db, folder)
    contract = folder / "contract"
    patients = pd.read_csv(contract / "patients.csv", dtype=str, keep_default_na=False)
    patients.drop(columns=["arm"]).to_csv(contract / "patients.csv", index=False)
    visits = pd.read_csv(contract / "visits.csv", dtype=str, keep_default_na=False)
    visits.loc[3, "vcss"] = "44"
    visits.to_csv(contract / "visits.csv", index=False)
    report = run_import("contract", sorted(contract.iterdir()), tmp_path / "out.duckdb", progress=lambda _: None)
    assert not report.imported
    errors = _issues(report, "error")
    assert [(rule, file, line, value) for rule, file, line, value, _ in errors] == [
        ("columns:patients", "patients.csv", 1, ""),
        ("allowed:visits.vcss", "visits.csv", 5, "44"),
    ]
    assert errors[0][4] == (
        f"`patients` lacks required column(s): arm; the other columns and tables are checked without them; {LATER}"
    )


def test_sdtm_pr_without_the_index_procedures_term_is_refused_not_imported_without_procedures(tmp_path):
    """PR holds the stent procedures under a term [pr] index_terms does not name: before, the import
    succeeded with no procedure at all (each PR record counted as "neither index nor event"), and the
    assistant, shown only after a refusal, never asked for the term."""
    pr = sdtm.PR.replace("VENOUS STENT PLACEMENT", "ILIAC VEIN STENTING")
    report = sdtm._import(sdtm._profile(tmp_path), sdtm._on_time(tmp_path / "d", pr=pr), tmp_path / "out.duckdb")
    assert not report.imported
    terms = sorted({r["PRTRT"] for r in csv.DictReader(io.StringIO(pr))})
    assert _issues(report, "error") == [
        (
            "sdtm:index_term",
            "pr.csv",
            None,
            "",
            "no PR record has the index procedure's term ([pr] index_terms = VENOUS STENT PLACEMENT): name the "
            f"term of the index stent procedure in a copy of the profile (terms in PR.PRTRT ([pr] term): "
            f"{', '.join(terms)})",
        )
    ]
