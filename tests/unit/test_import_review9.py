"""What the third outside reviewer of issue 23 found with deliveries written by hand
(tests/fixtures/review9, see its README): each test failed before its fix. Expected counts are
read off the fixture's records here (pyreadstat, csv), never from the importer's code."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import duckdb
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review9"
ENDPOINT = ('TTHEAL = "ulcer_healed"', 'TTHEAL = "ulcer_healing"')
AVISITN_MAP = '\n[visits.AVISITN]\n"0" = 0\n"26" = 6\n"52" = 12\n'


def _profile(tmp_path: Path, *edits: tuple[str, str], name: str = "pts02-adam.toml") -> Path:
    text = (HERE / name).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / f"edited-{name}"
    path.write_text(text, encoding="utf-8")
    return path


def WORKING(tmp_path: Path) -> Path:  # noqa: N802 (the reviewer's profile, its ADTTE endpoint corrected)
    return _profile(tmp_path, ENDPOINT)


def _run(profile: Path | str, sources: list[Path], tmp_path: Path) -> ImportReport:
    return run_import(profile, sources, tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None)


def _lines(report: ImportReport, severity: str) -> list[str]:
    return [line for line in report.text().splitlines() if line.startswith(f"  {severity.upper()}:")]


def _adam(delivery: str) -> list[Path]:
    return sorted((HERE / delivery).glob("*.xpt"))


def _analysed_at(delivery: str, dataset: str, avisit: str) -> tuple[int, list[int]]:
    """Records of the ITT subjects flagged ANL01FL = "Y", not derived, at this AVISIT: how many, and
    their lines (1-based, as the importer numbers an XPT's records)."""
    adsl, _ = pyreadstat.read_xport(str(HERE / delivery / "adsl.xpt"))
    itt = set(adsl.USUBJID[adsl.ITTFL == "Y"])
    df, _ = pyreadstat.read_xport(str(HERE / delivery / f"{dataset}.xpt"))
    df["line"] = range(1, len(df) + 1)
    kept = df[df.USUBJID.isin(itt) & (df.ANL01FL == "Y") & (df.DTYPE.fillna("") == "") & df.AVISIT.eq(avisit)]
    return len(kept), list(kept.line)


def _unmapped(file: str, lines: list[int], avisit: str, weeks: int, month: int) -> str:
    shown = ", ".join(map(str, lines[:5])) + (f" ({len(lines) - 5} more)" if len(lines) > 5 else "")
    n = len(lines)
    return (
        f'  ERROR: {file}: lines {shown}: {n} records flagged for analysis (ANL01FL = "Y") at visit AVISIT "{avisit}" '
        f"/ AVISITN {weeks}, which neither [visits.AVISIT] nor [visits.AVISITN] of the profile maps: they would not "
        "be imported (an unscheduled visit is set aside only when its AVISIT says UNSCHEDULED, it is not flagged "
        'for analysis, or [visits] maps it to "", no scheduled visit). Map the visit to its month'
        f' in a copy of the profile, e.g. [visits.AVISIT] "{avisit}" = '
        f'{month}, or by AVISITN: [visits.AVISITN] "{weeks}" = {month} ({weeks} weeks / 4.35 = {weeks / 4.35:.1f} '
        f"months; the nearest month of [study] visit_months is {month}); a profile's [visits] replaces the "
        f"built-in's whole, so copy the keys it still needs [adam:visit_unmapped, {n}]; values encountered in "
        f"AVISIT: {avisit} / AVISITN {weeks}"
    )


def test_analysed_records_at_a_visit_no_map_knows_refuse_the_import_naming_visit_keys_and_month(tmp_path):
    # adam02c: AVISITN counts weeks (0/26/52); AVISIT says "Week 26"/"Week 52" for even-numbered
    # patients in both ADQS files, every such record ANL01FL = "Y". Without [visits.AVISITN] half the
    # follow-up visits were dropped as unscheduled and the import succeeded.
    report = _run(_profile(tmp_path, (AVISITN_MAP, "\n"), ENDPOINT), _adam("adam02c"), tmp_path)
    expected = []
    for file in ("adqsvcss", "adqsvil"):
        for avisit, weeks, month in (("Week 26", 26, 6), ("Week 52", 52, 12)):
            n, lines = _analysed_at("adam02c", file, avisit)
            assert n == len(lines) > 0
            expected.append(_unmapped(f"{file}.xpt", lines, avisit, weeks, month))
    assert _lines(report, "error") == expected
    assert not report.imported


def test_the_unmapped_visit_is_the_one_error_not_the_empty_items_it_leaves_in_the_other_file(tmp_path):
    # adam02b: only ADQSVIL says "Week 26"; ADQSVCSS says "Month 6" for everyone. The Villalta items
    # of the even patients' month-6 visit are empty because their ADQSVIL records are at the unmapped
    # visit: that visit is the error, not "adqsvcss.xpt: visits.v_pain is empty ... [paramcd] v_pain".
    report = _run(_profile(tmp_path, (AVISITN_MAP, "\n"), ENDPOINT), _adam("adam02b"), tmp_path)
    expected = []
    for avisit, weeks, month in (("Week 26", 26, 6), ("Week 52", 52, 12)):
        _, lines = _analysed_at("adam02b", "adqsvil", avisit)
        expected.append(_unmapped("adqsvil.xpt", lines, avisit, weeks, month))
    assert _lines(report, "error") == expected


def test_with_the_visit_mapped_every_visit_and_event_is_imported(tmp_path):
    # The reviewer's working profile: 12 ITT patients, 34 visits at months 0/6/12 (counted by hand in
    # expected.json), a baseline for each.
    report = _run(WORKING(tmp_path), _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == []
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        visits = con.execute("SELECT count(*), count(*) FILTER (WHERE visit_month = 0) FROM visits").fetchone()
    finally:
        con.close()
    assert visits == (34, 12)


def test_an_adtte_value_that_is_no_endpoint_the_app_derives_is_refused_naming_the_allowed_ones(tmp_path):
    # The reviewer mapped [adtte] TTHEAL = "ulcer_healed" (the event, not the endpoint ulcer_healing):
    # the import accepted it and the Data checks page then crashed on it.
    report = _run(HERE / "pts02-adam.toml", _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == [
        '  ERROR: adtte.xpt: [adtte] TTHEAL = "ulcer_healed" is not an endpoint the app derives, so the sponsor\'s '
        "TTHEAL cannot be reconciled with it: in a copy of the profile set it to one of primary_patency, "
        "assisted_primary_patency, secondary_patency, freedom_from_reintervention, ulcer_healing, "
        "freedom_from_recurrent_dvt (did you mean ulcer_healing?), or remove the key (TTHEAL is then kept "
        "unreconciled) [adam:adtte_endpoint, 1]"
    ]


def test_a_stent_only_event_in_the_medical_arm_is_a_warning_naming_patient_event_file_and_line(tmp_path):
    # sdtm03: PTS03-008 (ARM "Best medical therapy") has the AE "In-stent restenosis", which the profile
    # maps to restenosis; it was imported without a word.
    profile = HERE / "sdtm03_v1.toml"
    mapped = tomllib.loads(profile.read_text(encoding="utf-8"))["values"]["event_type"]
    terms = {k.upper(): v for k, v in mapped.items()}
    dm, _ = pyreadstat.read_xport(str(HERE / "sdtm03" / "dm.xpt"))
    medical = set(dm.USUBJID[dm.ARM == "Best medical therapy"])
    ae, _ = pyreadstat.read_xport(str(HERE / "sdtm03" / "ae.xpt"))
    stent_only = {"stent_thrombosis", "restenosis", "stent_migration", "patency_restored", "reintervention"}
    found = [
        (line, subject, terms[term.upper()])
        for line, (subject, term) in enumerate(zip(ae.USUBJID, ae.AEDECOD, strict=True), 1)
        if subject in medical and terms.get(term.upper()) in stent_only
    ]
    assert found == [(5, "PTS03-008", "restenosis")]
    report = _run(profile, sorted((HERE / "sdtm03").glob("*.xpt")), tmp_path)
    assert [line for line in _lines(report, "warning") if "[arm:events" in line] == [
        f"  WARNING: ae.xpt: line {line}: patient {subject} is in the medical arm but has the event {event}, which "
        "only a stent can have: imported as it is, Safety counts it in the medical arm; check the patient's arm or "
        f"the event's term [arm:events, 1]; values encountered in event_type: {event}"
        for line, subject, event in found
    ]


def _records(delivery: str, dataset: str):
    df, _ = pyreadstat.read_xport(str(HERE / delivery / f"{dataset}.xpt"))
    df["line"] = range(1, len(df) + 1)
    return df


def test_warnings_of_a_split_adqs_name_the_dataset_the_record_came_from(tmp_path):
    # With ADQS split into ADQSVIL and ADQSVCSS, the screening baseline and the healed ulcer were both
    # reported against adqsvcss.xpt (the first file of the visit), though the ulcer status is in ADQSVIL
    # and each file has its own screening record.
    profile = _profile(tmp_path, ENDPOINT, ("ulcer_healed = true", "ulcer_healed = false"))
    report = _run(profile, _adam("adam02b"), tmp_path)
    early = []
    for dataset in ("adqsvcss", "adqsvil"):
        df = _records("adam02b", dataset)
        before = df[(df.ABLFL == "Y") & (df.ADY < 0)]
        for _, first in before.groupby("USUBJID").line.min().items():
            early.append(
                f"  WARNING: {dataset}.xpt: line {first}: baseline assessed before the reference date ([adsl] "
                "enrolled_on): held on day 0 ([bds] early_baseline) [adam:early_baseline, 1]; values encountered in "
                f"visit_day: {before.ADY.iloc[0]:.1f}"  # ADY < 0 is the day itself (no day 0)
            )
    ulcer = _records("adam02b", "adqsvil")
    ulcer = ulcer[(ulcer.PARAMCD == "ULCER") & ((ulcer.ABLFL == "Y") | (ulcer.ANL01FL == "Y"))].sort_values(
        ["USUBJID", "ADY"]
    )
    healed = ulcer[(ulcer.AVALC == "N") & (ulcer.groupby("USUBJID").AVALC.shift() == "Y")].line.tolist()
    assert len(early) == 2 and len(healed) == 2
    assert [line for line in _lines(report, "warning") if "early_baseline" in line or "events:healing" in line] == [
        *early,
        f"  WARNING: adqsvil.xpt: lines {healed[0]}, {healed[1]}: the visits show this ulcer healed, but no "
        "ulcer_healed event lies between the two visits: map the healing event (an AE term, parameter or field), or "
        "set [derive] ulcer_healed = true in a copy of the profile to derive it from the visits' ulcer status "
        "[events:healing, 2]; values encountered in ulcer_present: false",
    ]


PROCEDURE_FIX = (
    ': required, because the index procedure is imported ([adsl] procedure_date = "PROCDT" names a variable of ADSL) '
    "and the contract requires technical_success, stents_placed, below_inguinal_ligament on every procedure row; in "
    "a copy of profile 'pts02-adam', set each key to the ADSL variable that holds it, or set procedure_date = \"\" to "
    "import no procedure (the patency and procedure analyses are then empty) (ADSL has: {columns}); ADSL and the "
    "other datasets are checked without it; the values of a missing column are checked once it is named "
    "[columns:adsl_procedure, 1]"
)


def _adsl_columns(delivery: str) -> str:
    adsl, _ = pyreadstat.read_xport(str(HERE / delivery / "adsl.xpt"))
    return ", ".join(adsl.columns)


def test_procedure_details_are_required_from_the_first_check_when_the_procedure_is_imported(tmp_path):
    # adam02b's ADSL has PROCDT (the index procedure), TECHSUC, NSTENT and BELOWIL. A profile naming BELOWIL
    # by another name was told "optional: imported empty", the next check "is empty in every row; the
    # contract requires a value" with no key and no fix.
    profile = _profile(tmp_path, ENDPOINT, ('below_inguinal_ligament = "BELOWIL"', 'below_inguinal_ligament = "BIL"'))
    report = _run(profile, _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == [
        "  ERROR: adsl.xpt: line 1: ADSL lacks BIL ([adsl] below_inguinal_ligament)"
        + PROCEDURE_FIX.format(columns=_adsl_columns("adam02b"))
    ]


def test_a_procedure_detail_left_out_while_the_procedure_is_imported_names_the_key_and_the_way_out(tmp_path):
    # The assistant's "(the project has no such field)" wrote below_inguinal_ligament = "".
    profile = _profile(tmp_path, ENDPOINT, ('below_inguinal_ligament = "BELOWIL"', 'below_inguinal_ligament = ""'))
    report = _run(profile, _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == [
        '  ERROR: adsl.xpt: line 1: the profile leaves out [adsl] below_inguinal_ligament ("")'
        + PROCEDURE_FIX.format(columns=_adsl_columns("adam02b"))
    ]


def test_without_the_procedure_its_details_are_not_needed(tmp_path):
    # The way out the message names: procedure_date = "" imports no procedure, whatever the details say.
    profile = _profile(
        tmp_path,
        ENDPOINT,
        ('below_inguinal_ligament = "BELOWIL"', 'below_inguinal_ligament = ""'),
        ('procedure_date = "PROCDT"', 'procedure_date = ""'),
    )
    report = _run(profile, _adam("adam02b"), tmp_path)
    assert _lines(report, "error") == []
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM procedures").fetchone() == (0,)
    finally:
        con.close()


def _sdtm() -> list[Path]:
    return sorted((HERE / "sdtm03").glob("*.xpt"))


def test_sdtm_without_supppr_names_the_procedure_details_it_needs_and_the_way_out(tmp_path):
    # sdtm03 has a PR with the index stent placements of the 4 stent-arm subjects but no SUPPPR. The check
    # said "procedures.technical_success is empty in every row" three times, the assistant "SUPPPR (optional)".
    pr, _ = pyreadstat.read_xport(str(HERE / "sdtm03" / "pr.xpt"))
    indexed = int((pr.PRTRT.str.upper() == "VENOUS STENT PLACEMENT").sum())
    assert indexed == 4
    report = _run(HERE / "sdtm03_v1.toml", _sdtm(), tmp_path)
    assert _lines(report, "error") == [
        "  ERROR: pr.xpt: no dataset named SUPPPR ([datasets] supppr) is among the sources, so QNAM TECHSUCC "
        "([procedure] technical_success), QNAM NSTENTS ([procedure] stents_placed), QNAM BELOWIL ([procedure] "
        f"below_inguinal_ligament) cannot be read: required, because the index procedure is imported ({indexed} PR "
        "records with a [pr] index_terms term) and the contract requires technical_success, stents_placed, "
        "below_inguinal_ligament on every procedure row; deliver SUPPPR with these QNAMs (or name its dataset in "
        "[datasets] supppr), or set [pr] index_terms = [] in a copy of the profile to import no procedure (the "
        "patency and procedure analyses are then empty) [sdtm:procedure_details, 1]"
    ]


def test_sdtm_index_terms_empty_imports_no_procedure_with_the_warning_that_says_so(tmp_path):
    profile = _profile(
        tmp_path, ('index_terms = ["VENOUS STENT PLACEMENT"]', "index_terms = []"), name="sdtm03_v1.toml"
    )
    report = _run(profile, _sdtm(), tmp_path)
    assert _lines(report, "error") == []
    dm, _ = pyreadstat.read_xport(str(HERE / "sdtm03" / "dm.xpt"))
    stent = sorted(dm.USUBJID[dm.ARM == "Venous stent"])
    assert [line for line in _lines(report, "warning") if "[procedures:index_missing" in line] == [
        f"  WARNING: dm.xpt: lines 1, 2, 3, 4: none of the {len(stent)} stent-arm patients has an index stent "
        "procedure (patency and procedure analyses will be empty): if the data hold it, name it in the PR dataset "
        "([datasets] pr) and [pr] index_terms of a copy of the profile [procedures:index_missing, 4]; values "
        f"encountered in patient_id: {', '.join(stent)}"
    ]


def test_redcap_says_why_the_procedure_details_are_required_and_the_way_out(tmp_path):
    # PTSREG2 (the built-in redcap profile, the reviewer's first check): the procedure fields were
    # "(required)" at the first check and "(optional)" at the second with no word of why. The export lacks
    # procedure_date too: no procedure is imported, so they are optional (review 10, (a) 2: one rule,
    # tests/unit/test_import_review10_rest.py), and the error names none of them.
    sources = sorted((HERE / "redcap_classic").glob("*.csv"))
    report = _run("redcap", sources, tmp_path)
    (line,) = [line for line in _lines(report, "error") if "[columns:PTSREG2_DATA" in line]
    export = sources[0].read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    for field in ("technical_success", "stents_placed", "below_inguinal_ligament", "procedure_date"):
        assert field not in export
    assert line == (
        "  ERROR: PTSREG2_DATA_2024-06-01_0930.csv: line 1: the export lacks column(s) 'enroll_date' ([fields] "
        "enrolled_on); 'age' ([fields] age_years); 'sex' ([fields] sex); 'index_limb' ([fields] limb_side); "
        "'months_since_dvt' ([fields] months_since_dvt); 'obstruction_site' ([fields] obstruction_site); "
        "'stenosis_pct' ([fields] stenosis_pct); 'ceap_c' ([fields] ceap_c); 'last_contact_date' ([fields] "
        "last_contact_date); 'visit_date' ([fields] "
        "visit_date); 'vil_paresthesia' ([fields] v_paresthesia); 'vil_edema' ([fields] v_edema); "
        "'vil_hyperpigmentation' ([fields] v_hyperpigmentation); 'vil_calf_pain' ([fields] v_calf_pain); "
        "'ulcer_present' ([fields] ulcer_present); 'ae_type' ([adverse_events] event_type); 'ae_date' "
        "([adverse_events] event_date); 'ae_serious' ([adverse_events] serious); the profile maps them: set each "
        "key to the field's name in a copy of profile 'redcap', or export the field; the export is checked without "
        "them; the adverse events are read once [adverse_events] event_type names a field of the export; the "
        "values of a missing column are checked once it is named [columns:PTSREG2_DATA_2024-06-01_0930, 1]"
    )


REDCAP_EXPORT = "PTSREG2_DATA_2024-06-01_0930.csv"


def _redcap_sources(tmp_path: Path, blank_item_of_not_assessed: bool = False) -> list[Path]:
    """PTSREG2's export and dictionary; optionally with vil_pain blanked on the visits whose ulcer
    is "9" (Not assessed), so that they are no longer otherwise complete."""
    folder = HERE / "redcap_classic"
    if not blank_item_of_not_assessed:
        return sorted(folder.glob("*.csv"))
    with (folder / REDCAP_EXPORT).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("ulcer")] == "9":
            row[header.index("vil_pain")] = ""
    (tmp_path / "src").mkdir()
    out = tmp_path / "src" / REDCAP_EXPORT
    with out.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    dictionary = next(p for p in folder.glob("*.csv") if p.name != REDCAP_EXPORT)
    (tmp_path / "src" / dictionary.name).write_bytes(dictionary.read_bytes())
    return sorted((tmp_path / "src").glob("*.csv"))


def test_a_redcap_visit_lost_for_an_unassessed_ulcer_is_counted_with_its_other_values_and_the_fix(tmp_path):
    # Record 1009's month-12 visit has every Villalta item and the VCSS but ulcer "9, Not assessed". The
    # contract requires ulcer_present at every visit (schema.sql: ulcer_present BOOLEAN NOT NULL), so it
    # cannot be imported with the ulcer empty: the warning says it is lost whole, and the fix.
    sources = _redcap_sources(tmp_path)
    export = next(p for p in sources if p.name == REDCAP_EXPORT)
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    items = ["vil_pain", "vil_cramps", "vil_heaviness", "vil_paraesthesia", "vil_pruritus", "vil_oedema"]
    items += ["vil_induration", "vil_pigmentation", "vil_redness", "vil_ectasia", "vil_calfpain"]
    unassessed = [r for r in rows if r["ulcer"] == "9"]
    complete = [r for r in unassessed if all(r[i] for i in items)]
    assert (len(unassessed), len(complete)) == (1, 1)
    report = _run(HERE / "reg2_v1.toml", sources, tmp_path)
    assert [line for line in _lines(report, "warning") if "[redcap:visits_lost" in line] == [
        f"  WARNING: {REDCAP_EXPORT}: 1 of the 1 visit not imported for a choice of 'ulcer' with no value in "
        "visits.ulcer_present (9 (Not assessed)) holds every other value the contract requires (the Villalta items): "
        "it is lost whole, because the contract requires ulcer_present at every visit and a visit cannot be imported "
        "with it empty. If the choice means a value the contract holds, map it in [values.ulcer_present] of a copy "
        'of the profile (e.g. "9" = "true or false"); else record the value in the source [redcap:visits_lost, 1]'
    ]


def test_a_visit_lost_for_its_ulcer_that_also_lacks_an_item_is_not_called_complete(tmp_path):
    report = _run(HERE / "reg2_v1.toml", _redcap_sources(tmp_path, blank_item_of_not_assessed=True), tmp_path)
    assert [line for line in _lines(report, "warning") if "[redcap:visits_lost" in line] == []
