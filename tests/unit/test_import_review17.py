"""What the ninth outside reviewer of issue 23 found in their findings 7-9 (tests/fixtures/review17: their
hand-written files, trimmed). Expected values are read off the fixtures' own records here (csv, pyreadstat), never
from the importer; whole messages compared."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, assistant, run_import
from pts_explorer.importer.assistant_choices import dvt_choices, paramcd_choices, survey
from pts_explorer.importer.formats import load
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review17"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = False) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _issues(report: ImportReport, rule: str) -> list[tuple[str, str]]:
    found = report.issues[report.issues.rule == rule]
    return list(zip(found.severity, found.message, strict=True))


# --- finding 7: a contract date column mixing SAS DATE9. text with a partial date ----------------------------------

F7 = HERE / "f7_mixed_dates"


def test_a_date9_column_with_a_partial_date_is_told_the_format_and_the_partial_rule(tmp_path):
    with (F7 / "patients.csv").open(encoding="utf-8") as f:
        values = sorted({r["enrolled_on"] for r in csv.DictReader(f)})
    partial = [v for v in values if len(v) == 7]
    date9 = [v for v in values if v not in partial]
    assert (len(partial), len(date9)) == (1, 3)
    report = _run("contract", sorted(F7.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    found = _issues(report, "type:patients.enrolled_on")
    assert len(found) == len(values)  # one per record, each the same message
    assert sorted(set(found)) == [
        (
            "error",
            'patients.enrolled_on must be a date (YYYY-MM-DD). Set [dates] formats = ["%d%b%Y"]: it reads 3 of its '
            f"4 dates ({', '.join(date9)}). The other 1 ({partial[0]}) is a partial date (no day): complete it in the "
            'source, or set [dates] partial = "first" (or "middle") to complete it and count each as a warning. Both '
            "in a copy of the profile.",
        )
    ]


# --- finding 8: a REDCap site field absent while [study] center_id gives the one centre ---------------------------

RC_ONE = HERE / "rc_one_centre"


def test_an_absent_site_field_with_a_study_centre_says_where_the_centre_comes_from(tmp_path):
    profile = tomllib.loads((RC_ONE / "clinic_v2.toml").read_text(encoding="utf-8"))
    site, centre = profile["fields"]["center_id"], profile["study"]["center_id"]
    with (RC_ONE / "VenousClinic_DATA_2026-12-07.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert site not in rows[0]
    records = sorted({r["record_id"] for r in rows})
    report = _run(RC_ONE / "clinic_v2.toml", sorted(RC_ONE.glob("*.csv")), tmp_path / "out.duckdb")
    assert _issues(report, "redcap:center") == [
        (
            "warning",
            f"the export lacks the site field {site!r} ([fields] center_id): every patient's centre is {centre!r}, "
            "from [study] center_id. Set center_id to the site field's name in [fields] of a copy of profile "
            f"'venous-clinic', or to \"\" there to say the project has none",
        )
    ]
    columns = report.issues[report.issues.rule == "columns:VenousClinic_DATA_2026-12-07"]
    assert list(columns.message) == []  # no "left empty" besides
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
        got = con.execute("SELECT patient_id, center_id FROM patients ORDER BY patient_id").fetchall()
    assert got == [(r, centre) for r in records]


# --- finding 8: a REDCap site dropdown's "Other" choice pools unrelated sites ---------------------------------------

RC_OTHER = HERE / "rc_site_other"


def test_a_site_fields_other_choice_is_warned_of_naming_the_choice_the_records_and_the_map(tmp_path):
    with (RC_OTHER / "PTSREG_DataDictionary_2026-12-07.csv").open(encoding="utf-8") as f:
        site = next(r for r in csv.reader(f) if r[0] == "site")
    choices = dict(c.strip().split(", ", 1) for c in site[5].split("|"))
    (code,) = [c for c, label in choices.items() if label == "Other"]
    with (RC_OTHER / "PTSREG_DATA_2026-12-07_0120.csv").open(encoding="utf-8") as f:
        records = [r["record_id"] for r in csv.DictReader(f) if r["site"] == code]
    assert len(records) == 1
    report = _run(RC_OTHER / "ptsreg.toml", sorted(RC_OTHER.glob("*.csv")), tmp_path / "out.duckdb")
    assert _issues(report, "redcap:center_other") == [
        (
            "warning",
            f"choice {code} (Other) of the site field 'site' is imported as a centre called 'Other' for 1 record "
            f"({records[0]}): it may pool unrelated sites as one centre, which a by-centre analysis takes as one. "
            "Where it holds one site, name it in [values.center_id] of a copy of the profile (e.g. "
            f'"{code}" = "<the site>"); "{code}" = "" there leaves its patients out (each a warning)',
        )
    ]


# --- finding 9: the CEAP warning says what the record holds ------------------------------------------------------


def test_the_ceap_warning_names_the_record_its_class_and_the_month_0_ulcer(tmp_path):
    with (RC_ONE / "VenousClinic_DataDictionary.csv").open(encoding="utf-8") as f:
        ceap = next(r for r in csv.reader(f) if r[0] == "ceap")
    labels = dict(c.strip().split(", ", 1) for c in ceap[5].split("|"))
    with (RC_ONE / "VenousClinic_DATA_2026-12-07.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    classes = {r["record_id"]: labels[r["ceap"]] for r in rows if not r["redcap_repeat_instrument"]}
    ulcer0 = {r["record_id"]: r["ulcer"] == "1" for r in rows if r["fu_visit"] == "1"}  # "1, Baseline"
    disagree = sorted(p for p in classes if (classes[p] == "C6") != ulcer0[p])
    assert disagree == ["102"] and classes["102"] != "C6" and ulcer0["102"]
    report = _run(RC_ONE / "clinic_v2.toml", sorted(RC_ONE.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    assert _issues(report, "ceap:patients") == [
        (
            "warning",
            f"patient 102: ceap_c is {classes['102']}, but an open ulcer (CEAP C6) is recorded at the month-0 visit: "
            "imported as they are; check the CEAP class and the month-0 ulcer in the source",
        )
    ]


# --- finding 9: ANL01FL blank everywhere, the sponsor's analysis flag ANL02FL --------------------------------------

ANL02 = HERE / "adam_anl02"


def test_a_blank_analysis_flag_points_to_the_flag_that_marks_the_analysis_records(tmp_path):
    expected = []
    for name in ("adqsvcss", "adqsvill"):
        frame, _ = pyreadstat.read_xport(str(ANL02 / f"{name}.xpt"))
        assert set(frame.ANL01FL.str.strip()) == {""}
        flagged = int((frame.ANL02FL == "Y").sum())
        assert 0 < flagged < len(frame)
        expected.append(
            (
                "warning",
                "no record has ANL01FL = 'Y', so the flag does not select records in this file; ANL02FL holds 'Y' on "
                f'{flagged} of its {len(frame)} records: set [bds] analysis_flag = "ANL02FL" in a copy of the '
                'profile if it marks the analysis records, or analysis_flag = "" to say the data have none',
            )
        )
    report = _run(ANL02 / "pts201.toml", sorted(ANL02.glob("*.xpt")), tmp_path / "out.duckdb", check=True)
    found = report.issues[report.issues.rule == "adam:analysis_flag"]
    assert list(found.file) == ["adqsvcss.xpt", "adqsvill.xpt"]
    assert _issues(report, "adam:analysis_flag") == expected


# --- finding 9: SDTM without SUPPDM DVTMON but with the DVT's date DVTDTC --------------------------------------------

SDTM_DVT = HERE / "sdtm_dvtdtc"


def test_sdtm_without_dvtmon_suggests_the_dvt_date_qualifier_it_holds(tmp_path):
    supp, _ = pyreadstat.read_xport(str(SDTM_DVT / "suppdm.xpt"))
    qnams = sorted(set(supp.QNAM))
    assert "DVTMON" not in qnams and "DVTDTC" in qnams
    report = _run("sdtm", sorted(SDTM_DVT.glob("*.xpt")), tmp_path / "out.duckdb", check=True)
    assert _issues(report, "sdtm:qnam.months_since_dvt") == [
        (
            "error",
            "SUPPDM has no record with QNAM = 'DVTMON' ([qualifiers] months_since_dvt, required by the contract); "
            f"QNAMs found: {', '.join(qnams)}; DVTDTC reads as the DVT's date: set [qualifiers] dvt_date = "
            '"DVTDTC" and months_since_dvt = "" in a copy of the profile to count whole months from it to the '
            "reference date ([dm] enrolled_on); the values of a missing column are checked once it is named",
        )
    ]
    # ... and those keys import the DVT's months (the profile the message asks for)
    profile = tmp_path / "sdtm_dvt.toml"
    profile.write_text(
        '[profile]\nname = "sdtm-dvt"\nversion = 1\nformat = "sdtm"\nextends = "sdtm"\n\n'
        '[qualifiers]\ndvt_date = "DVTDTC"\nmonths_since_dvt = ""\n',
        encoding="utf-8",
    )
    again = _run(profile, sorted(SDTM_DVT.glob("*.xpt")), tmp_path / "out2.duckdb", check=True)
    assert _issues(again, "sdtm:qnam.months_since_dvt") == []
    assert _issues(again, "required:patients.months_since_dvt") == []


# --- finding 9: the ADaM assistant's candidates for the DVT's date and for the Villalta items -----------------------


def _assistant(files: list[Path], tmp_path: Path):
    profile = load("adam")
    refused = _run("adam", files, tmp_path / "out.duckdb", check=True)
    found = survey(profile, files)
    rows = assistant.field_rows(profile, refused.source_columns)
    columns = assistant.source_fields(profile, refused.source_columns)
    return profile, found, rows, columns


def test_the_adam_assistant_offers_as_the_dvt_date_only_a_variable_that_speaks_of_the_dvt(tmp_path):
    files = sorted(ANL02.glob("*.xpt"))
    adsl, _ = pyreadstat.read_xport(str(ANL02 / "adsl.xpt"))
    dates = sorted(c for c in adsl.columns if pd.api.types.is_datetime64_any_dtype(adsl[c]) or c.endswith("DT"))
    assert {"DVTDT", "DTHDT", "LSTALVDT", "PROCDT", "TRTSDTM"} <= set(dates)
    assert "RANDDT" in dates  # ADSL's enrolment date (the built-in profile's [adsl] enrolled_on)
    profile, found, rows, columns = _assistant(files, tmp_path)
    (choice,) = dvt_choices(profile, found, rows, columns)
    # DVTDT first; the death, last-alive, procedure and treatment dates only last, said to be no DVT date by name.
    other = "whose name does not speak of the DVT, as the DVT's date (whole months to RANDDT)"
    assert [o.text for o in choice.options] == [
        "DVTDT: the DVT's date (whole months to RANDDT)",
        *(f"any other date: {v}, {other}" for v in ("DTHDT", "LSTALVDT", "PROCDT", "TRTSDTM")),
    ]
    assert choice.options[0].writes == ((("adsl", "dvt_date"), "DVTDT"), (("adsl", "months_since_dvt"), ""))


def test_the_adam_assistant_never_offers_the_ulcer_parameter_for_a_villalta_item(tmp_path):
    files = sorted(ANL02.glob("*.xpt"))
    qs, _ = pyreadstat.read_xport(str(ANL02 / "adqsvill.xpt"))
    params = dict(zip(qs.PARAMCD, qs.PARAM, strict=True))
    (ulcer,) = [c for c, label in params.items() if "ulcer" in label.lower()]
    profile, found, _, _ = _assistant(files, tmp_path)
    offered = {c.key: [o.text.split(" (")[0] for o in c.options] for c in paramcd_choices(profile, found)}
    for item in ("v_pruritus", "v_calf_pain"):
        assert ulcer not in offered[f"adam_paramcd_{item}"]
        assert sorted(offered[f"adam_paramcd_{item}"]) == sorted(c for c in params if c not in (ulcer, "VILTOT"))
    assert offered["adam_paramcd_ulcer_present"][0] == ulcer


# --- finding 9: the REDCap assistant's candidates (the reviewer's longitudinal PTSREG export, kept as written) -----

RC_PTSREG = HERE / "rc_ptsreg"


def _dictionary(folder: Path) -> list[dict[str, str]]:
    with next(folder.glob("*DataDictionary*.csv")).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _redcap_assistant(tmp_path: Path):
    files = sorted(RC_PTSREG.glob("*.csv"))
    profile = load("redcap")
    refused = _run("redcap", files, tmp_path / "out.duckdb", check=True)
    return profile, files, refused


def test_the_redcap_assistant_offers_the_dvt_date_first_and_other_dates_last_as_no_dvt_date(tmp_path):
    """Before: last_contact and proc_date were offered as "the DVT's date" beside dvt_date, before the months."""
    dictionary = _dictionary(RC_PTSREG)
    dates = [
        r["Variable / Field Name"] for r in dictionary if r["Text Validation Type OR Show Slider Number"] == "date_ymd"
    ]
    labels = {r["Variable / Field Name"]: r["Field Label"] for r in dictionary}
    assert labels["dvt_date"] == "Date of index DVT" and labels["proc_date"] == "Procedure date"
    profile, files, refused = _redcap_assistant(tmp_path)
    fields = profile.section("fields")
    # The date fields no other key of the built-in profile reads (a visit's, an event's, a death's date are theirs).
    free = [d for d in dates if d not in fields.values() and d not in profile.section("adverse_events").values()]
    assert free == ["dvt_date", "proc_date", "last_contact"]
    rows = assistant.field_rows(profile, refused.source_columns)
    (choice,) = dvt_choices(
        profile, survey(profile, files), rows, assistant.source_fields(profile, refused.source_columns)
    )
    texts = [o.text for o in choice.options]
    to = "(whole months to the enrolment date)"
    as_date = [o.text for o in choice.options if (("fields", "dvt_date"), o.writes[0][1]) == o.writes[0]]
    assert as_date == [
        f"dvt_date: the DVT's date {to}",
        f"any other date: last_contact, whose name does not speak of the DVT, as the DVT's date {to}",
        f"any other date: proc_date, whose name does not speak of the DVT, as the DVT's date {to}",
    ]
    # The DVT's date first, the months (number fields) next, the other dates last.
    assert texts[0] == as_date[0] and texts[-2:] == as_date[1:]
    assert all(o.writes == ((("fields", "months_since_dvt"), o.text),) for o in choice.options[1:-2])


def test_the_redcap_assistant_offers_a_villalta_item_only_the_fields_naming_it(tmp_path):
    """Before: vil_pares was offered for v_heaviness, v_pruritus and v_redness, dvt_date for the procedure's and
    the last contact's dates. The others stay reachable, after the candidates (assistant.offered)."""
    profile, _, refused = _redcap_assistant(tmp_path)
    rows = {r.key: r for r in assistant.field_rows(profile, refused.source_columns) if not r.found}
    assert {k: rows[k].candidates for k in ("v_heaviness", "v_pruritus", "v_redness", "v_calf_pain")} == {
        "v_heaviness": ("vil_heavy",),
        "v_pruritus": ("vil_prur",),
        "v_redness": ("vil_red",),
        "v_calf_pain": ("vil_calfpain",),
    }
    assert {k: rows[k].candidates for k in ("procedure_date", "last_contact_date", "ulcer_present")} == {
        "procedure_date": ("proc_date",),
        "last_contact_date": ("last_contact",),
        "ulcer_present": ("ulcer",),
    }
    columns = assistant.source_fields(profile, refused.source_columns)
    options = assistant.offered("v_heaviness", rows["v_heaviness"].candidates, columns)
    assert sorted(options) == sorted(columns)
    assert options.index("vil_pares") > options.index("record_id")  # another item's field among the last
