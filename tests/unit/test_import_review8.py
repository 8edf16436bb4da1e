"""What an outside reviewer of issue 23 found with an ADaM package written by hand
(tests/fixtures/adam_review8, see its README): each test failed before its fix. Expectations are
read off the fixture's rows by hand, never from the importer's code."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import duckdb
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "adam_review8"
PACKAGE = [HERE / "adsl.csv", HERE / "adqs.csv", HERE / "adae.csv"]


def _profile(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = (HERE / "pts01.toml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "pts01-edited.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(profile: Path | str, sources: list[Path], tmp_path: Path) -> ImportReport:
    out = tmp_path / "out.duckdb"
    return run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)


def _lines(report: ImportReport, severity: str) -> list[str]:
    return [line for line in report.text().splitlines() if line.startswith(f"  {severity.upper()}:")]


def test_a_partial_value_map_lets_values_already_in_the_contracts_spelling_through(tmp_path):
    # The profile maps only C4A (the README's example); ADSL also holds C4a, C3, C6, C5 and C4b,
    # all in the contract's spelling: each passes unchanged.
    report = _run(HERE / "pts01.toml", PACKAGE, tmp_path)
    assert _lines(report, "error") == []
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        got = con.execute("SELECT patient_id, ceap_c FROM patients ORDER BY patient_id").fetchall()
    finally:
        con.close()
    assert got == [
        ("PTS01-001", "C4a"),
        ("PTS01-002", "C4a"),
        ("PTS01-003", "C3"),
        ("PTS01-004", "C6"),
        ("PTS01-005", "C5"),
        ("PTS01-006", "C4b"),
        ("PTS01-009", "C4a"),
        ("PTS01-010", "C4a"),
    ]


def test_a_value_the_map_lacks_is_quoted_as_the_file_writes_it(tmp_path):
    # Without the ITT filter the screen failure (ARM "Screen Failure", not in [values.arm]) is refused:
    # the message quotes it as ADSL writes it, not upper-cased.
    report = _run(_profile(tmp_path, ('require = { ITTFL = "Y" }\n', "")), PACKAGE, tmp_path)
    assert [line for line in _lines(report, "error") if "[allowed:patients.arm" in line] == [
        "  ERROR: adsl.csv: line 9: patients.arm has values the contract does not allow: arm IN ('stent', 'medical'). "
        "Source column TRT01P ([adsl] arm): map each source value onto the contract's in [values.arm] of a copy of "
        "the profile. Patients of an arm the contract does not hold (a third arm, screen failures) can instead be "
        'left out: [population] exclude_arms, or require (e.g. ITTFL = "Y"). [allowed:patients.arm, 1]; values '
        "encountered in arm: Screen Failure"
    ]


def test_a_screen_failure_without_a_randomization_date_is_pointed_to_population(tmp_path):
    # Without the ITT filter, PTS01-008 (ARM "Screen Failure", RANDDT blank, line 9) is refused twice:
    # its arm and its enrolment date, each naming [population]. Its last-contact day, counted from
    # that date, is the same error again: no third line.
    report = _run(_profile(tmp_path, ('require = { ITTFL = "Y" }\n', "")), PACKAGE, tmp_path)
    assert _lines(report, "error") == [
        "  ERROR: adsl.csv: line 9: patients.arm has values the contract does not allow: arm IN ('stent', 'medical'). "
        "Source column TRT01P ([adsl] arm): map each source value onto the contract's in [values.arm] of a copy of "
        "the profile. Patients of an arm the contract does not hold (a third arm, screen failures) can instead be "
        'left out: [population] exclude_arms, or require (e.g. ITTFL = "Y"). [allowed:patients.arm, 1]; values '
        "encountered in arm: Screen Failure",
        "  ERROR: adsl.csv: line 9: patients.enrolled_on is empty (NULL) where the contract requires a value. Source "
        "column RANDDT ([adsl] enrolled_on): check that the profile names the source column that holds it. Patients "
        "without an enrolment (randomization) date who were never enrolled (screen failures) can instead be left "
        'out: [population] require (e.g. ITTFL = "Y"), or exclude_arms. [required:patients.enrolled_on, 1]',
    ]
    adsl = list(csv.DictReader((HERE / "adsl.csv").open(encoding="utf-8-sig")))
    assert [(r["USUBJID"], r["ARM"], r["RANDDT"]) for r in adsl[7:8]] == [("PTS01-008", "Screen Failure", "")]


SDTM = HERE.parent / "review8_sdtm"


def test_a_suppdm_value_the_map_lacks_is_reported_at_its_suppdm_record(tmp_path):
    # The reviewer's saved SDTM profile has no [values.obstruction_site] for SUPPDM's OBSSITE
    # "COMMON ILIAC"/"COMMON FEMORAL" (review 8: the error was filed under dm.xpt at DM's lines).
    # The error is at SUPPDM's own records, counted here from the transport file; the contract's
    # allowed-values error on the same subjects is not said again.
    suppdm, _ = pyreadstat.read_xport(str(SDTM / "suppdm.xpt"))
    dm, _ = pyreadstat.read_xport(str(SDTM / "dm.xpt"))
    analysed = set(dm.USUBJID[dm.ARM.isin(["STENT", "MEDICAL"])])
    at = [i + 1 for i, r in suppdm.iterrows() if r.QNAM == "OBSSITE" and r.USUBJID in analysed]
    values = sorted(set(suppdm.QVAL[(suppdm.QNAM == "OBSSITE") & suppdm.USUBJID.isin(analysed)]))
    assert values == ["COMMON FEMORAL", "COMMON ILIAC"] and len(at) == 8
    profile = tmp_path / "sdtm.toml"
    text = (SDTM / "pts01-sdtm.toml").read_text(encoding="utf-8")
    profile.write_text(text + '\n[population]\nexclude_arms = ["STENT + CDT"]\n', encoding="utf-8")
    report = _run(profile, sorted(SDTM.glob("*.xpt")), tmp_path)
    shown = ", ".join(map(str, at[:5])) + f" ({len(at) - 5} more)"
    maps = "INFERIOR VENA CAVA, COMMON ILIAC VEIN, EXTERNAL ILIAC VEIN, COMMON FEMORAL VEIN, FEMORAL VEIN"
    assert _lines(report, "error") == [
        f"  ERROR: suppdm.xpt: lines {shown}: SUPPDM.OBSSITE ([qualifiers] obstruction_site): the value is neither "
        f"in [values.obstruction_site] (it maps {maps}) nor one of the contract's (ivc, common_iliac, external_iliac, "
        "common_femoral, femoral); map it there in a copy of the profile [sdtm:values.obstruction_site, 8]; values "
        f"encountered in OBSSITE: {', '.join(values)}"
    ]


EOS = [HERE / "adsl.csv", HERE / "eos" / "adqs.csv", HERE / "adae.csv"]
# The reviewer's profile mapped visits by the built-in AVISIT text map: without its [visits.AVISITN].
BY_AVISIT = ('[visits.AVISITN]\n"0" = 0\n"6" = 6\n"12" = 12\n', "")


def test_a_scheduled_visit_the_map_does_not_know_is_refused_naming_the_key(tmp_path):
    # eos/adqs.csv names month 12 "MONTH 12 (EOS)" (AVISITN 12) for 7 of the 8 analysed patients:
    # 7 x 14 parameters = 98 records. AVISITN says month 12, a month of [study] visit_months, so
    # losing them is refused, naming both keys that would keep them.
    report = _run(_profile(tmp_path, BY_AVISIT), EOS, tmp_path)
    assert not report.imported
    assert _lines(report, "error") == [
        '  ERROR: adqs.csv: lines 30, 31, 32, 33, 34 (93 more): visit AVISIT "MONTH 12 (EOS)" (AVISITN 12) is not '
        "in the profile's [visits] map, but AVISITN 12 is a month of [study] visit_months: its records would not "
        'be imported. Add "MONTH 12 (EOS)" = 12 to [visits] AVISIT (or map visits by AVISITN: [visits.AVISITN] '
        "\"12\" = 12) in a copy of the profile; a profile's [visits] replaces the built-in's whole, so copy the "
        "keys it still needs [adam:visit_scheduled, 98]; values encountered in AVISIT: MONTH 12 (EOS) / AVISITN 12"
    ]


def test_the_key_the_refusal_names_keeps_every_visit(tmp_path):
    # The fix as the message gives it: the AVISIT map with "MONTH 12 (EOS)" added. The reviewer's
    # count: 8 patients, 23 visits (8 baselines, 8 at month 6, 7 at month 12).
    visits = '[visits]\nAVISIT = { "BASELINE" = 0, "MONTH 6" = 6, "MONTH 12" = 12, "MONTH 12 (EOS)" = 12 }\n'
    report = _run(_profile(tmp_path, (BY_AVISIT[0], visits)), EOS, tmp_path)
    assert report.imported, report.text()
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        got = con.execute("SELECT visit_month, count(*) FROM visits GROUP BY 1 ORDER BY 1").fetchall()
    finally:
        con.close()
    assert got == [(0, 8), (6, 8), (12, 7)]


def test_stent_patients_without_an_index_procedure_are_warned(tmp_path):
    # pts01.toml sets procedure_date = "": the 4 analysed stent patients (001, 002, 005, 009; 007's
    # STENT + CDT arm is left out) have no index procedure.
    report = _run(HERE / "pts01.toml", PACKAGE, tmp_path)
    assert report.imported, report.text()
    assert [line for line in _lines(report, "warning") if "[procedures:" in line] == [
        "  WARNING: adsl.csv: lines 2, 3, 6, 10: none of the 4 stent-arm patients has an index stent procedure "
        "(patency and procedure analyses will be empty): if the data hold it, name it in [adsl] procedure_date of a "
        "copy of the profile [procedures:index_missing, 4]; values encountered in patient_id: PTS01-001, PTS01-002, "
        "PTS01-005, PTS01-009"
    ]


def test_a_redcap_registry_without_procedure_fields_warns_the_same_way(tmp_path):
    folder = HERE.parent / "redcap_review8"
    sources = [folder / "PTSLong_DATA.csv", folder / "PTSLong_DataDictionary.csv"]
    report = _run(folder / "rc-long3.toml", sources, tmp_path)
    assert report.imported, report.text()
    assert [line for line in _lines(report, "warning") if "[procedures:" in line] == [
        "  WARNING: PTSLong_DATA.csv: lines 2, 8, 17: none of the 3 stent-arm patients has an index stent procedure "
        "(patency and procedure analyses will be empty): if the data hold it, name it in [fields] procedure_date of "
        "a copy of the profile [procedures:index_missing, 3]; values encountered in patient_id: 1, 3, 6"
    ]


def test_each_message_of_a_rule_has_its_own_summary_line(tmp_path):
    # Two visits the map misses, MONTH 6 (8 patients x 14 parameters) and MONTH 12 (EOS) (7 x 14):
    # one line each, never one line naming one of them.
    profile = _profile(tmp_path, (BY_AVISIT[0], '[visits]\nAVISIT = { "BASELINE" = 0 }\n'))
    report = _run(profile, EOS, tmp_path)
    fix = (
        "in a copy of the profile; a profile's [visits] replaces the built-in's whole, so copy the keys it still needs"
    )
    assert _lines(report, "error") == [
        '  ERROR: adqs.csv: lines 16, 17, 18, 19, 20 (107 more): visit AVISIT "MONTH 6" (AVISITN 6) is not in the '
        "profile's [visits] map, but AVISITN 6 is a month of [study] visit_months: its records would not be imported. "
        f'Add "MONTH 6" = 6 to [visits] AVISIT (or map visits by AVISITN: [visits.AVISITN] "6" = 6) {fix} '
        "[adam:visit_scheduled, 112]; values encountered in AVISIT: MONTH 6 / AVISITN 6",
        '  ERROR: adqs.csv: lines 30, 31, 32, 33, 34 (93 more): visit AVISIT "MONTH 12 (EOS)" (AVISITN 12) is not '
        "in the profile's [visits] map, but AVISITN 12 is a month of [study] visit_months: its records would not be "
        f'imported. Add "MONTH 12 (EOS)" = 12 to [visits] AVISIT (or map visits by AVISITN: [visits.AVISITN] "12" = '
        f"12) {fix} [adam:visit_scheduled, 98]; values encountered in AVISIT: MONTH 12 (EOS) / AVISITN 12",
    ]


def test_a_parameter_set_to_blank_is_not_looked_for(tmp_path):
    # pts01.toml sets calf_circumference_cm = "": no warning about a blank PARAMCD; the built-in's
    # other optional codes the package lacks are each warned on a line of their own.
    report = _run(HERE / "pts01.toml", PACKAGE, tmp_path)
    found = "ULCER, VCSS, VIL01, VIL02, VIL03, VIL04, VIL05, VIL06, VIL07, VIL08, VIL09, VIL10, VIL11, VILTOT"
    assert [line for line in _lines(report, "warning") if "[adam:parameter_absent" in line] == [
        f"  WARNING: ADQS: no record has PARAMCD {code} ([paramcd] {column}): {column} is imported empty. If the "
        f"data hold it under another code, set it in a copy of the profile (PARAMCDs found: {found}); set it to "
        f'"" if the data have none [adam:parameter_absent, 1]'
        for code, column in (
            ("COMPRESS", "compression_use"),
            ("PAINVAS", "pain_vas"),
            ("STEPS", "daily_steps"),
            ("VEINQOL", "veines_qol"),
            ("VEINSYM", "veines_sym"),
        )
    ]


def test_a_death_date_that_cannot_be_read_is_its_own_error_only(tmp_path):
    # PTS01-009's DTHDT written 17-SEP-2022 (no [dates] format reads it); ADAE also records the death,
    # on 17SEP2022. The date's error is the one error: no "two death records ... on no date" warning,
    # no "events.event_day is empty"; the dated AE death stands, and no ADSL row is counted as set aside.
    folder = tmp_path / "package"
    folder.mkdir()
    text = (HERE / "adsl.csv").read_bytes()
    assert text.count(b"17SEP2022,17SEP2022,Y") == 1
    (folder / "adsl.csv").write_bytes(text.replace(b"17SEP2022,17SEP2022,Y", b"17SEP2022,17-SEP-2022,Y"))
    report = _run(HERE / "pts01.toml", [folder / "adsl.csv", *PACKAGE[1:]], tmp_path)
    assert _lines(report, "error") == [
        "  ERROR: adsl.csv: line 10: DTHDT is not a date: ISO 8601 (2021-12-09) is read, and any format listed in "
        '[dates] formats of a copy of the profile (e.g. "%d-%b-%Y" for 17-SEP-2022) [type:adsl.DTHDT, 1]; values '
        "encountered in DTHDT: 17-SEP-2022"
    ]
    assert [line for line in _lines(report, "warning") if "death" in line] == []
    assert [(f.step, f.records) for f in report.funnel if f.file == "adsl.csv"] == [
        ("read", 10),
        ("outside the population: [population]", 1),
        ("arm left out: [population] exclude_arms", 1),
        ("would be kept (nothing imported)", 8),
    ]


def test_items_under_codes_the_profile_does_not_map_point_to_paramcd(tmp_path):
    # Without the reviewer's [paramcd] VIL01-VIL11 lines the built-in codes (VILPAIN...) are looked
    # for; VILTOT is there, and so are the 11 items, under VIL01-VIL11: the one error says to name
    # them in [paramcd] (not "a total but not the 11 items"), and each item is not also "empty".
    text = (HERE / "pts01.toml").read_text(encoding="utf-8")
    items = "".join(line + "\n" for line in text.splitlines() if line.startswith("v_") and '"VIL' in line)
    assert len(items.splitlines()) == 11
    report = _run(_profile(tmp_path, (items, "")), PACKAGE, tmp_path)
    assert _lines(report, "error") == [
        "  ERROR: ADQS: parameter(s) VILPAIN (v_pain), VILCRAMP (v_cramps), VILHEAVY (v_heaviness), VILPARES "
        "(v_paresthesia), VILPRUR (v_pruritus), VILEDEMA (v_edema), VILINDUR (v_induration), VILHYPER "
        "(v_hyperpigmentation), VILRED (v_redness), VILECTAS (v_ectasia), VILCALF (v_calf_pain) not found; name each "
        "in [paramcd] of a copy of the profile (PARAMCDs here that [paramcd] does not map: VIL01, VIL02, VIL03, "
        "VIL04, VIL05, VIL06, VIL07, VIL08, VIL09, VIL10, VIL11) [adam:items, 1]"
    ]


REDCAP = HERE.parent / "redcap_review8"


def test_a_semicolon_export_is_one_error_naming_the_delimiter(tmp_path):
    sources = [REDCAP / "excel" / "PTSLong_DATA.csv", REDCAP / "PTSLong_DataDictionary.csv"]
    report = _run(REDCAP / "rc-long3.toml", sources, tmp_path)
    assert _lines(report, "error") == [
        "  ERROR: PTSLong_DATA.csv: line 1: the header is one column 'record_id;redcap_event_name;"
        "redcap_repeat_instrument;redcap_': the file seems separated by ';', not ','; set [csv] delimiter (and "
        "decimal_separator) in a copy of the profile [file:delimiter, 1]"
    ]


def test_day_first_dates_are_told_their_format_not_a_value_map(tmp_path):
    # dmy/: every date dd/mm/yyyy. enrol_date's own dates could be either way round (all parts up
    # to 12), but last_contact's 15/06/2022 and 20/04/2022 say the day comes first. Each date
    # column is one error naming the format; the days counted from those dates (visit_day,
    # event_day, last_contact_day) and the contract's "enrolled_on must be a date" are the same
    # errors again, not errors of their own (review 8: "visit_day is empty in every row").
    sources = [REDCAP / "dmy" / "PTSLong_DATA.csv", REDCAP / "PTSLong_DataDictionary.csv"]
    report = _run(REDCAP / "rc-long3.toml", sources, tmp_path)
    fix = 'any format listed in [dates] formats of a copy of the profile (e.g. "%d/%m/%Y" for '
    assert _lines(report, "error") == [
        f"  ERROR: PTSLong_DATA.csv: lines 11, 19, 20, 23: ae_date is not a date: ISO 8601 (2021-12-09) is read, and "
        f"{fix}01/02/2022) [type:PTSLong_DATA.ae_date, 4]; values encountered in ae_date: 01/02/2022, 01/03/2022, "
        "01/06/2021, 01/09/2021",
        f"  ERROR: PTSLong_DATA.csv: line 21: death_date is not a date: ISO 8601 (2021-12-09) is read, and {fix}"
        "01/03/2022) [type:PTSLong_DATA.death_date, 1]; values encountered in death_date: 01/03/2022",
        "  ERROR: PTSLong_DATA.csv: lines 2, 5, 8, 12, 15 (3 more): enrol_date is not a date: ISO 8601 (2021-12-09) "
        f"is read, and {fix}01/03/2021) [type:PTSLong_DATA.enrol_date, 8]; values encountered in enrol_date: "
        "01/03/2021, 01/07/2021, 02/08/2021, 03/05/2021, 04/10/2021, 06/09/2021, 07/06/2021, 12/04/2021",
        "  ERROR: PTSLong_DATA.csv: lines 2, 5, 8, 12, 15 (3 more): last_contact is not a date: ISO 8601 "
        f"(2021-12-09) is read, and {fix}01/03/2022) [type:PTSLong_DATA.last_contact, 8]; values encountered in "
        "last_contact: 01/03/2022, 10/03/2022, 10/05/2022, 10/07/2022, 10/08/2022, 10/10/2022, 15/06/2022, "
        "20/04/2022",
        "  ERROR: PTSLong_DATA.csv: lines 2, 3, 4, 5, 6 (15 more): visit_date is not a date: ISO 8601 (2021-12-09) is "
        f"read, and {fix}01/03/2021) [type:PTSLong_DATA.visit_date, 20]; values encountered in visit_date: "
        "01/03/2021, 01/03/2022, 01/07/2021, 02/08/2021, 02/09/2021, 03/01/2022, 03/03/2022, 03/05/2021 and 11 more",
    ]


def test_the_format_the_refusal_names_imports_the_days_the_file_holds(tmp_path):
    # The fix the errors above name, [dates] formats = ["%d/%m/%Y"], and the registry imports: every
    # visit's day counted here from the file's own dd/mm/yyyy text (enrolment to visit), by hand.
    profile = tmp_path / "dmy.toml"
    text = (REDCAP / "rc-long3.toml").read_text(encoding="utf-8")
    profile.write_text(text + '\n[dates]\nformats = ["%d/%m/%Y"]\n', encoding="utf-8")
    source = REDCAP / "dmy" / "PTSLong_DATA.csv"
    report = _run(profile, [source, REDCAP / "PTSLong_DataDictionary.csv"], tmp_path)
    assert _lines(report, "error") == []
    assert report.imported
    rows = list(csv.DictReader(source.open(encoding="utf-8")))
    day = {r["record_id"]: datetime.strptime(r["enrol_date"], "%d/%m/%Y") for r in rows if r["enrol_date"]}
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        kept = {p for (p,) in con.execute("SELECT patient_id FROM patients").fetchall()}
        got = sorted(con.execute("SELECT patient_id, visit_day FROM visits").fetchall())
    finally:
        con.close()
    expected = sorted(
        (r["record_id"], (datetime.strptime(r["visit_date"], "%d/%m/%Y") - day[r["record_id"]]).days)
        for r in rows
        if r["visit_date"] and r["record_id"] in kept and r["redcap_event_name"] != "unscheduled_arm_1"
    )
    assert len(expected) >= 10
    assert got == expected


def test_without_qs_no_sv_record_is_counted_as_kept(tmp_path):
    # The public CDISC pilot's DM, DS and SV (no QS): SV only dates QS records, so none is kept. The
    # counts are read from the transport files here: SV records of the pilot's screen failures (DM
    # ARM "Screen Failure", left out by the sdtm profile's [population]) and the rest.
    pilot = HERE.parent / "cdiscpilot01"
    dm, _ = pyreadstat.read_xport(str(pilot / "dm.xpt"))
    sv, _ = pyreadstat.read_xport(str(pilot / "sv.xpt"))
    failed = set(dm.USUBJID[dm.ARM == "Screen Failure"])
    left_out = int(sv.USUBJID.isin(failed).sum())
    report = _run("sdtm", sorted(pilot.glob("*.xpt")), tmp_path)
    assert not report.imported
    assert [(f.step, f.records) for f in report.funnel if f.file == "sv.xpt"] == [
        ("read", len(sv)),
        ("subject left out of the population", left_out),
        ("no QS records to date: not used", len(sv) - left_out),
        ("would be kept (nothing imported)", 0),
    ]
