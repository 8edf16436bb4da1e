"""What the fifth outside reviewer of issue 23 found (tests/fixtures/review11: their files as written, the
generators kept as *.py.txt). Expected values are read off the fixtures' own records here (pyreadstat, csv),
never from the importer; whole messages compared."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib
from pathlib import Path

import duckdb
import openpyxl
import pyreadstat

from pts_explorer.importer import Options, assistant, assistant_choices, run_import
from pts_explorer.importer.formats import load
from pts_explorer.importer.report import ImportReport
from pts_explorer.vocab import VILLALTA_ITEMS

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review11"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


# --- N3: two legs' Villalta at one visit, the leg only in SUPPQS ----------------------------------------------


SDTM13B = sorted((HERE / "sdtm13b").glob("*.xpt"))


def _xpt(name: str):
    frame, _ = pyreadstat.read_xport(str(HERE / "sdtm13b" / f"{name}.xpt"))
    frame["line"] = range(1, len(frame) + 1)
    return frame


def _qs_legs():
    """QS of sdtm13b with each record's leg (SUPPQS QNAM QSLAT by IDVAR QSSEQ, or None) and the subject's
    index limb (SUPPDM INDLIMB), read here from the reviewer's records."""
    qs, supp, dm = _xpt("qs"), _xpt("suppqs"), _xpt("suppdm")
    legs = {
        (u, float(v)): q.strip().lower()
        for u, i, v, n, q in zip(supp.USUBJID, supp.IDVAR, supp.IDVARVAL, supp.QNAM, supp.QVAL, strict=True)
        if n == "QSLAT" and i == "QSSEQ"
    }
    index = {u: q.strip().lower() for u, n, q in zip(dm.USUBJID, dm.QNAM, dm.QVAL, strict=True) if n == "INDLIMB"}
    qs["leg"] = [legs.get((u, float(s))) for u, s in zip(qs.USUBJID, qs.QSSEQ, strict=True)]
    qs["index_leg"] = qs.USUBJID.map(index)
    return qs


def _visit_months() -> dict[float, int]:
    profile = tomllib.loads((HERE / "pts13_sdtm.toml").read_text(encoding="utf-8"))
    return {float(k): int(v) for k, v in profile["visits"]["VISITNUM"].items()}


def test_both_legs_at_a_visit_the_leg_in_suppqs_import_the_index_limbs_scores(tmp_path):
    """sdtm13b: PTS13-001 and PTS13-006 have the Villalta of both legs at DAY 1 and MONTH 6 on the same QSDTC,
    the leg only in SUPPQS (QNAM QSLAT, IDVAR QSSEQ). The contralateral leg's scores were imported as "the
    latest" (PTS13-001 month 6 = 2, not 8); main then refused both legs. The built-in sdtm profile's [qs]
    laterality reads the leg: the index limb's (SUPPDM INDLIMB, patients.limb_side) records are imported, the
    other leg's counted with one warning naming each subject and visit."""
    qs = _qs_legs()
    months = _visit_months()
    items = [f"VIL{i:02d}" for i in range(1, 12)]
    mapped = qs.QSTESTCD.isin([*items, "VILULCER", "VCSS"])
    qs["month"] = [0 if f == "Y" else months.get(float(n)) for f, n in zip(qs.QSBLFL, qs.VISITNUM, strict=True)]
    # the index leg's (or no stated leg's) items at a mapped visit, with a result
    mine = qs[qs.QSTESTCD.isin(items) & qs.month.notna() & (qs.leg.isna() | (qs.leg == qs.index_leg))]
    mine = mine[mine.QSSTAT.str.strip() != "NOT DONE"]
    expected = {(str(u), int(m)): int(g.QSSTRESN.sum()) for (u, m), g in mine.groupby(["USUBJID", "month"])}
    assert expected[("PTS13-001", 6)] == 8 and expected[("PTS13-006", 6)] == 11  # the reviewer's index legs
    report = _run(HERE / "pts13_sdtm.toml", SDTM13B, tmp_path / "out.duckdb", False)
    assert report.imported, report.text()
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT patient_id, visit_month, villalta_total FROM visits").fetchall()
    got = {(p, int(m)): int(t) for p, m, t in rows}
    assert got == expected
    reviewer = json.loads((HERE / "sdtm13b" / "expected.json").read_text(encoding="utf-8"))["visits"]
    assert got == {(p, int(m)): t for p, by in reviewer.items() for m, t in by.items()}
    other = qs[mapped & qs.month.notna() & qs.leg.notna() & (qs.leg != qs.index_leg)]
    shown = sorted({f"{u} {v} ({leg})" for u, v, leg in zip(other.USUBJID, other.VISIT, other.leg, strict=True)})
    visits = len({(u, v) for u, v in zip(other.USUBJID, other.VISIT, strict=True)})
    found = report.issues[report.issues.rule == "sdtm:other_leg"]
    assert list(zip(found.severity, found.file, found.line, found.value, found.message, strict=True)) == [
        (
            "warning",
            "qs.xpt",
            int(other.line.min()),
            ", ".join(shown),
            f"{len(other)} records at {visits} visits of the leg that is not the index limb (patients.limb_side), "
            "as SUPPQS QNAM QSLAT ([qs] laterality) says: not imported, the index leg's are",
        )
    ]
    steps = {(f.file, f.step): f.records for f in report.funnel}
    assert steps[("qs.xpt", "the other leg: not the index limb (patients.limb_side; [qs] laterality)")] == len(other)
    assert steps[("suppqs.xpt", "kept")] == len(_xpt("suppqs"))
    assert "sdtm:same_time_results" not in set(report.issues.rule)


def _same_time_expected(qs) -> list[tuple]:
    """Each pair of differing results of one test at one subject's follow-up visit on one QSDTC: the first
    line refused (the import keeps the last line of a tie)."""
    follow_up = qs[~qs.VISIT.isin(["SCREENING", "DAY 1"]) & qs.QSTESTCD.str.startswith(("VIL", "VCSS"))]
    found = []
    for (subject, visit, test, when), group in follow_up.groupby(["USUBJID", "VISIT", "QSTESTCD", "QSDTC"]):
        result = group.QSSTRESC.where(group.QSSTRESC.str.strip() != "", group.QSORRES)
        if len(group) < 2 or result.nunique() < 2:
            continue
        found.append(
            (
                int(group.line.iloc[0]),
                f"{subject} / {visit}",
                f"{subject} {visit}: {test} = {result.iloc[0]} and {result.iloc[-1]} at {when}",
            )
        )
    return found


def _same_time_message(now: str, found: str) -> str:
    return (
        "two different results of one test at one visit, taken at the same date and time (QS): neither is a retest "
        "of the other (a retest has a later date or time), so the one to import cannot be told. If they are the "
        "two legs, name the SUPPQS QNAM that gives each record's leg (QVAL left or right, IDVAR QSSEQ) in [qs] "
        f"laterality of a copy of the profile (now {now}; {found}): the index limb's records "
        "(patients.limb_side, which the subject needs) are imported, the other leg's set aside; else keep one in the "
        "source"
    )


def test_both_legs_without_a_leg_the_profile_reads_are_refused_naming_qs_laterality(tmp_path):
    """Without the key (a profile whose [qs] laterality names another QNAM), or without SUPPQS, nothing says
    which leg a record is: two different results of one test at one visit on the same date and time stay an
    error naming the subject, visit, test and both values, and the message names [qs] laterality as the fix
    (with the QNAMs SUPPQS holds)."""
    expected = _same_time_expected(_qs_legs())
    assert {e[1] for e in expected} == {"PTS13-001 / MONTH 6", "PTS13-006 / MONTH 6"}
    qnams = sorted(set(_xpt("suppqs").QNAM))
    text = (HERE / "pts13_sdtm.toml").read_text(encoding="utf-8")
    (tmp_path / "leg.toml").write_text(text.replace("[qs.testcd]", '[qs]\nlaterality = ["LEG"]\n\n[qs.testcd]'))
    for profile, sources, message in (
        (tmp_path / "leg.toml", SDTM13B, _same_time_message("LEG", f"SUPPQS has QNAM {', '.join(qnams)}")),
        (
            HERE / "pts13_sdtm.toml",
            [p for p in SDTM13B if p.stem != "suppqs"],
            _same_time_message("QSLAT, LAT, FOCID", "no SUPPQS is among the sources"),
        ),
    ):
        report = _run(profile, sources, tmp_path / "out.duckdb", False)
        assert not report.imported
        found = report.issues[report.issues.rule == "sdtm:same_time_results"]
        assert sorted(zip(found.file, found.line, found.record, found.value, found.message, strict=True)) == sorted(
            ("qs.xpt", line, record, value, message) for line, record, value in expected
        )


# --- N2: a REDCap event the profile's [events] lacks, whose rows hold visits ----------------------------------


def test_visits_at_an_event_the_profile_lacks_are_an_error_not_a_warning_beside_harmless_rows(tmp_path):
    """PTSRC12 with rc12_v1.toml (no month_3_arm_* nor end_of_study_arm_* in [events]): the import went through
    with 28 of 38 visits (every month-3 visit, complete Villalta, lost) and one warning lumping them with the
    end-of-study rows. A row of such an event holding the Villalta items is now an error naming the event; the
    end-of-study rows (no visit data) stay the warning."""
    export = HERE / "rc12" / "PTSRC12_DATA_2024-11-04_1412.csv"
    profile = tomllib.loads((HERE / "rc12_v1.toml").read_text(encoding="utf-8"))
    items = [profile["fields"][k] for k in VILLALTA_ITEMS]
    with export.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    visits, others = [], []
    for line, row in enumerate(rows, start=2):
        if row["redcap_repeat_instrument"] or row["redcap_event_name"] in profile["events"]:
            continue
        held = any(row[i].strip() for i in items)
        (visits if held else others).append((line, row["pt_id"], row["redcap_event_name"]))
    assert len(visits) == 10 and len(others) == 10
    report = _run(HERE / "rc12_v1.toml", sorted((HERE / "rc12").glob("*.csv")), tmp_path / "out.duckdb", False)
    assert not report.imported
    issues = report.issues[report.issues.rule.isin(["redcap:event_visits", "redcap:event"])]
    got = sorted(zip(issues.rule, issues.line, issues.record, issues.value, issues.message, strict=True))
    assert got == sorted(
        [
            *(
                (
                    "redcap:event_visits",
                    line,
                    record,
                    event,
                    "event not in the profile's [events] map, but its row holds a visit (Villalta items): the visit "
                    "would not be imported; add the event with its month to [events] of a copy of the profile (or set "
                    'it to "" if it is no visit)',
                )
                for line, record, event in visits
            ),
            *(
                (
                    "redcap:event",
                    line,
                    record,
                    event,
                    "event not in the profile's [events] map: row not imported (add the event with its month to "
                    "[events] of a copy of the profile)",
                )
                for line, record, event in others
            ),
        ]
    )


# --- N7: a scheduled SDTM visit the profile's [visits] lacks ------------------------------------------------


def test_a_scheduled_visit_the_visit_map_lacks_is_an_error_naming_visitnum_and_the_key(tmp_path):
    """pts13_sdtm_no12.toml: the reviewer's PTS13 profile without `4 = 12` in [visits.VISITNUM] (copied from
    another study). Every MONTH 12 record (the primary endpoint) was set aside with the unscheduled visits'
    warning, and the import went through with 16 of 23 visits. Now the visit is an error naming VISITNUM,
    VISIT, the month and the key; SCREENING stays the warning; "4" = "" says it is no scheduled visit."""
    qs, _ = pyreadstat.read_xport(str(HERE / "sdtm13b" / "qs.xpt"))
    qs["line"] = range(1, len(qs) + 1)
    month12 = qs[qs.VISITNUM == 4]
    assert set(month12.VISIT) == {"MONTH 12"}
    sources = sorted((HERE / "sdtm13b").glob("*.xpt"))
    report = _run(HERE / "pts13_sdtm_no12.toml", sources, tmp_path / "out.duckdb")
    found = report.issues[report.issues.rule == "sdtm:unmapped_visit"]
    assert sorted(zip(found.severity, found.line, found.record, found.value, strict=True)) == sorted(
        ("error", int(r.line), r.USUBJID, "MONTH 12 (VISITNUM 4)") for r in month12.itertuples()
    )
    assert set(found.message) == {
        "visit MONTH 12 (VISITNUM 4) is in neither [visits] VISITNUM nor VISIT of the profile, but its name says "
        f"month 12, a follow-up month of [study] visit_months: its {len(month12)} records of QS would not be "
        'imported. Set [visits.VISITNUM] "4" = 12 in a copy of the profile (or, if it is no scheduled visit, '
        '[visits.VISITNUM] "4" = "")'
    }
    unscheduled = report.issues[report.issues.rule == "sdtm:unscheduled"]
    assert set(unscheduled.value) == {"SCREENING (VISITNUM 1)"}
    # "4" = "": no scheduled visit, said so; its records are the unscheduled visits' warning again.
    text = (HERE / "pts13_sdtm_no12.toml").read_text(encoding="utf-8").replace("3 = 6\n", '3 = 6\n4 = ""\n')
    (tmp_path / "p.toml").write_text(text, encoding="utf-8")
    report = _run(tmp_path / "p.toml", sources, tmp_path / "out2.duckdb")
    assert "sdtm:unmapped_visit" not in set(report.issues.rule)
    unscheduled = report.issues[report.issues.rule == "sdtm:unscheduled"]
    assert set(unscheduled.value) == {"SCREENING (VISITNUM 1)", "MONTH 12 (VISITNUM 4)"}


# --- N1: ADaM visits numbered only (AVISIT blank) in the mapping assistant -----------------------------------

ADAM11 = sorted((HERE / "adam11").glob("*.xpt"))


def test_visits_numbered_only_are_offered_by_avisitn_and_the_choices_import_them(tmp_path):
    """adam11: AVISIT blank everywhere, AVISITN the month (0/3/6/12). After the reviewer's round-1 choices
    (adam11_v1.toml) the check refused every AVISITN 3/6/12 record, and the assistant offered no visit choice
    (only one per non-blank AVISIT): a dead end in the browser. Each AVISITN is offered now, the month it says
    chosen; the profile so edited imports every visit the sponsor's records hold."""
    qs = [pyreadstat.read_xport(str(HERE / "adam11" / f"{d}.xpt"))[0] for d in ("adqsvil", "adqsvcss")]
    assert all((q.AVISIT.str.strip() == "").all() for q in qs)
    numbers = sorted({int(v) for q in qs for v in q.AVISITN.dropna()})
    counts = {n: sum(int((n == q.AVISITN).sum()) for q in qs) for n in numbers}
    profile = load(str(HERE / "adam11_v1.toml"))
    report = _run(HERE / "adam11_v1.toml", ADAM11, tmp_path / "out.duckdb")
    assert not report.imported and report.errors
    found = assistant_choices.survey(profile, ADAM11)
    choices = [c for c in assistant_choices.avisit_choices(profile, found)]
    assert [(c.label, c.options[c.default].text) for c in choices] == [
        (f"AVISITN {n} (AVISIT blank, {counts[n]} records): not in [visits] AVISITN", f"month {n}") for n in numbers
    ]
    writes = [w for c in choices for w in c.options[c.default].writes]
    edited = tmp_path / "edited.toml"
    edited.write_text(assistant.dumps(assistant.edited(profile, {}, {}, 2, writes)), encoding="utf-8")
    again = _run(edited, ADAM11, tmp_path / "edited.duckdb", False)
    assert again.imported, again.text()
    expected = json.loads((HERE / "adam11" / "expected.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(tmp_path / "edited.duckdb"), read_only=True) as con:
        by_patient: dict[str, list[int]] = {}
        for patient, month in con.execute("SELECT patient_id, visit_month FROM visits ORDER BY 1, 2").fetchall():
            by_patient.setdefault(patient, []).append(month)
    assert by_patient == expected["visits_by_patient"]


# --- N5 and N6: a registry workbook with notes above its headers and dates as Excel serial numbers ------------

WORKBOOK = HERE / "xlsreg" / "registry_2024-05.xlsx"


def _sheet_rows(sheet: str) -> list[tuple]:
    book = openpyxl.load_workbook(WORKBOOK, read_only=True, data_only=True)
    try:
        return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def test_rows_above_a_sheets_header_are_skipped_and_said_never_a_delimiter_or_a_missing_sheet(tmp_path):
    """xlsreg: a notes row (holding ";") above the patients header, a merged title above the visits header.
    The check blamed the CSV delimiter, also said "no file or sheet named 'patients'", and cascaded into
    reference errors; "visits lacks required column(s)". Each sheet is read from its header now, with a
    warning naming the rows above it; the only error left is the dates (N6)."""
    patients, visits = _sheet_rows("patients"), _sheet_rows("visits")
    assert sum(c is not None for c in patients[0]) == 1 and patients[1][0] == "patient_id"
    assert sum(c is not None for c in visits[0]) == 1 and visits[1][0] == "patient_id"
    report = _run("contract", [WORKBOOK], tmp_path / "out.duckdb")
    header = report.issues[report.issues.rule == "file:header_row"]
    assert sorted(zip(header.file, header.line, header.message, strict=True)) == [
        (
            f"{WORKBOOK.name} [{sheet}]",
            2,
            f"the header is on row 2, the first with column names: the row above it ({str(rows[0][0])[:60]!r}) is "
            "not read",
        )
        for sheet, rows in (("patients", patients), ("visits", visits))
    ]
    errors = report.issues[report.issues.severity == "error"]
    assert set(errors.rule) == {"type:patients.enrolled_on"}
    assert sorted(errors.line) == list(range(3, 3 + len(patients) - 2))


def test_excel_serial_dates_say_so_and_a_key_reads_them(tmp_path):
    """N6: enrolled_on as Excel serial numbers (44262, a date column formatted General) was "must be a date
    (YYYY-MM-DD)" with no fix; the message says what 44262 stands for and names [dates] excel_serial, which
    imports the workbook as the reviewer counted it."""
    patients = _sheet_rows("patients")
    columns = list(patients[1])
    serials = [r[columns.index("enrolled_on")] for r in patients[2:]]
    assert all(isinstance(v, int) for v in serials)
    first = min(str(v) for v in serials)
    report = _run("contract", [WORKBOOK], tmp_path / "out.duckdb")
    messages = set(report.issues[report.issues.rule == "type:patients.enrolled_on"].message)
    day = (dt.date(1899, 12, 30) + dt.timedelta(days=int(first))).isoformat()
    assert messages == {
        f"patients.enrolled_on must be a date (YYYY-MM-DD). {first} looks like an Excel serial date ({day}): format "
        "the column as a date in the workbook, or set [dates] excel_serial = true in a copy of the profile to read "
        "such numbers as dates."
    }
    profile = tmp_path / "xls.toml"
    profile.write_text(
        '[profile]\nname = "xls"\nversion = 1\nformat = "contract"\nextends = "contract"\n\n'
        "[dates]\nexcel_serial = true\n",
        encoding="utf-8",
    )
    assert _run(profile, [WORKBOOK], tmp_path / "in.duckdb", False).imported
    expected = json.loads((HERE / "xlsreg" / "expected.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(tmp_path / "in.duckdb"), read_only=True) as con:
        enrolled = dict(con.execute("SELECT patient_id, enrolled_on FROM patients").fetchall())
        (visits,) = con.execute("SELECT count(*) FROM visits").fetchone()
    assert {k: v.isoformat() for k, v in enrolled.items()} == {
        k: dt.date(*map(int, v.split("-"))).isoformat() for k, v in expected["enrolled_on"].items()
    }
    assert visits == expected["visits"]


# --- N4: one Villalta item not done at a visit -----------------------------------------------------------------


def test_an_item_not_done_names_subject_visit_status_and_reason_and_a_key_sets_the_visit_aside(tmp_path):
    """sdtm13: PTS13-003 MONTH 6, VIL09 QSSTAT NOT DONE (QSREASND BANDAGE NOT REMOVED), the other items done.
    The error said to check the profile's test code (which was right) and named no subject or visit; no key
    could import the other visits. It names them now, and [qs] not_done = "skip_visit" sets the visit aside
    with a warning, every other visit imported as the reviewer counted them."""
    qs, _ = pyreadstat.read_xport(str(HERE / "sdtm13" / "qs.xpt"))
    qs["line"] = range(1, len(qs) + 1)
    done = qs[(qs.QSSTAT == "NOT DONE") & (qs.VISIT == "MONTH 6")]
    (item,) = done.itertuples()
    sources = sorted((HERE / "sdtm13").glob("*.xpt"))
    report = _run(HERE / "pts13_sdtm.toml", sources, tmp_path / "out.duckdb")
    value = f"{item.USUBJID} {item.VISIT}: {item.QSTESTCD} QSSTAT NOT DONE (QSREASND {item.QSREASND})"
    common = (
        "a required item of the visit has no result in QS (not done, or blank), while the visit's other items do: "
        "the contract requires every Villalta item and the ulcer at a visit"
    )
    errors = report.issues[report.issues.severity == "error"]
    assert list(zip(errors.rule, errors.line, errors.value, errors.message, strict=True)) == [
        (
            "sdtm:not_done",
            item.line,
            value,
            f"{common}, so the visit cannot be imported. Give the item's result in the source, or set [qs] not_done "
            '= "skip_visit" in a copy of the profile to set such a visit aside (with a warning) and import the '
            "patient's other visits",
        )
    ]
    profile = tmp_path / "p.toml"
    text = (HERE / "pts13_sdtm.toml").read_text(encoding="utf-8")
    profile.write_text(text + '\n[qs]\nnot_done = "skip_visit"\n', encoding="utf-8")
    report = _run(profile, sources, tmp_path / "in.duckdb", False)
    assert report.imported, report.text()
    warned = report.issues[report.issues.rule == "sdtm:not_done"]
    assert list(zip(warned.severity, warned.value, warned.message, strict=True)) == [
        (
            "warning",
            value,
            f'{common}: the visit is set aside ([qs] not_done = "skip_visit"); the patient\'s other '
            "visits are imported",
        )
    ]
    expected = json.loads((HERE / "sdtm13" / "expected.json").read_text(encoding="utf-8"))["visits"]
    expected[item.USUBJID].pop("6")
    with duckdb.connect(str(tmp_path / "in.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT patient_id, visit_month, villalta_total FROM visits ORDER BY 1, 2").fetchall()
    got: dict[str, dict[str, int]] = {}
    for patient, month, total in rows:
        got.setdefault(patient, {})[str(month)] = total
    assert got == expected


def test_an_unknown_retest_rule_is_refused_naming_the_two(tmp_path):
    """Low finding: [qs] retest = "xyz" was taken as "refuse" without a word."""
    profile = tmp_path / "p.toml"
    text = (HERE / "pts13_sdtm.toml").read_text(encoding="utf-8")
    profile.write_text(text + '\n[qs]\nretest = "xyz"\n', encoding="utf-8")
    report = _run(profile, sorted((HERE / "sdtm13").glob("*.xpt")), tmp_path / "out.duckdb")
    found = report.issues[(report.issues.rule == "sdtm:profile")]
    assert list(zip(found.severity, found.file, found.message, strict=True)) == [
        ("error", "p.toml", '[qs] retest must be "last" or "refuse", not \'xyz\'')
    ]


def test_a_visit_numbered_only_is_named_by_avisitn_in_the_values_encountered(tmp_path):
    """Low finding: "values encountered in AVISIT: 3" where AVISIT is blank and 3 is AVISITN."""
    report = _run(HERE / "adam11_v1.toml", ADAM11, tmp_path / "out.duckdb")
    found = report.issues[report.issues.rule == "adam:visit_scheduled"]
    assert set(found.column) == {"AVISITN"}
    assert set(found.value) == {"3", "6", "12"}


def test_an_adtte_parameter_the_profile_does_not_map_is_said_not_silently_absent(tmp_path):
    """Low finding: adam11's ADTTE holds TTDEATH, which [adtte] does not map: "kept 20", and absent from the
    Data checks reconciliation without a word. A warning names it, its records and the key."""
    adtte, _ = pyreadstat.read_xport(str(HERE / "adam11" / "adtte.xpt"))
    profile = load(str(HERE / "adam11_v2.toml"))
    mapped = set(profile.section("adtte"))
    unmapped = adtte[~adtte.PARAMCD.isin(mapped)].PARAMCD.value_counts().sort_index()
    assert list(unmapped.index) == ["TTDEATH"]
    report = _run(HERE / "adam11_v2.toml", ADAM11, tmp_path / "out.duckdb")
    found = report.issues[report.issues.rule == "adam:adtte_unmapped"]
    assert list(zip(found.severity, found.file, found.message, strict=True)) == [
        (
            "warning",
            "adtte.xpt",
            f"ADTTE PARAMCD {code} ({n} records) is not in [adtte]: kept, but reconciled with no endpoint of the app "
            "(Data checks does not show it); to reconcile it, map it in [adtte] of a copy of the profile to one of "
            "primary_patency, assisted_primary_patency, secondary_patency, freedom_from_reintervention, "
            "ulcer_healing, freedom_from_recurrent_dvt",
        )
        for code, n in unmapped.items()
    ]


def test_a_sheet_whose_header_cannot_be_read_is_never_also_reported_missing(tmp_path):
    """Issue 23 item 2 for sheets, as N5 met it: a sheet the reader refuses (a repeated column name) was also
    "no file or sheet named 'studies'"; it is the header's error alone, and the tables truly absent are named."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "studies"
    sheet.append(["study_id", "study_id", "design"])
    sheet.append(["S1", "S1", "randomized"])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    report = _run("contract", [path], tmp_path / "out.duckdb")
    issues = report.issues[report.issues.rule.isin(["file:header", "file:missing"])]
    assert sorted(zip(issues.rule, issues.file, strict=True)) == [
        ("file:header", "registry.xlsx [studies]"),
        ("file:missing", "events"),
        ("file:missing", "patients"),
        ("file:missing", "procedures"),
        ("file:missing", "visits"),
    ]


# --- low findings: the VILTOT disagreement, the screen failure's arm ------------------------------------------


def test_a_given_villalta_total_that_differs_names_subject_visit_given_and_derived(tmp_path):
    """adam11b: PTS11-102 AVISITN 6 VILTOT 8 beside items summing to 7. The warning said "values encountered in
    villalta_total: 8", naming neither the subject, the visit nor the derived total."""
    adqs, _ = pyreadstat.read_xport(str(HERE / "adam11b" / "adqsvil.xpt"))
    adqs["line"] = range(1, len(adqs) + 1)
    items = {f"VIL{c}" for c in ("PAIN", "CRAMP", "HEAVY", "PARES", "PRUR", "EDEMA", "INDUR", "HYPER", "RED")}
    items |= {"VILECTAS", "VILCALF"}
    assert items < set(adqs.PARAMCD)
    expected = []
    for (subject, month), group in adqs.groupby(["USUBJID", "AVISITN"]):
        total = group[group.PARAMCD == "VILTOT"]
        derived = int(group[group.PARAMCD.isin(items)].AVAL.sum())
        if len(total) and int(total.AVAL.iloc[0]) != derived:
            expected.append(
                (
                    "adqsvil.xpt",
                    int(total.line.iloc[0]),
                    f"{subject} month {int(month)}: given {int(total.AVAL.iloc[0])}, derived {derived}",
                )
            )
    assert [e[2] for e in expected] == ["PTS11-102 month 6: given 8, derived 7"]
    report = _run(HERE / "adam11_v2.toml", sorted((HERE / "adam11b").glob("*.xpt")), tmp_path / "out.duckdb")
    found = report.issues[report.issues.rule == "reconcile:visits.villalta_total"]
    assert sorted(zip(found.severity, found.file, found.line, found.value, found.message, strict=True)) == [
        (
            "warning",
            file,
            line,
            value,
            "the given `villalta_total` differs from the one derived from the data (the derived one is used)",
        )
        for file, line, value in expected
    ]


def test_a_screen_failures_empty_arm_names_population_require_as_its_enrolment_date_does(tmp_path):
    """adam11 with the built-in adam profile: the screen failure (ARM "Screen Failure", TRT01P blank, RANDDT
    missing) got two errors; its enrolled_on error named [population] require, its arm error did not."""
    adsl, _ = pyreadstat.read_xport(str(HERE / "adam11" / "adsl.xpt"))
    adsl["line"] = range(1, len(adsl) + 1)
    failures = adsl[adsl.TRT01P.str.strip() == ""]
    assert list(failures.ITTFL) == ["N"]
    report = _run("adam", ADAM11, tmp_path / "out.duckdb")
    found = report.issues[report.issues.rule.isin(["required:patients.arm", "required:patients.enrolled_on"])]
    got = sorted(zip(found.rule, found.file, found.line, found.message, strict=True))
    (line,) = failures.line
    assert got == [
        (
            "required:patients.arm",
            "adsl.xpt",
            int(line),
            "patients.arm is empty (NULL) where the contract requires a value. Source column TRT01P ([adsl] arm): "
            "check that the profile names the source column that holds it. Patients without an arm who were never "
            'randomized (screen failures) can instead be left out: [population] require (e.g. ITTFL = "Y"), or '
            "exclude_arms.",
        ),
        (
            "required:patients.enrolled_on",
            "adsl.xpt",
            int(line),
            "patients.enrolled_on is empty (NULL) where the contract requires a value. Source column RANDDT ([adsl] "
            "enrolled_on): check that the profile names the source column that holds it. Patients without an "
            "enrolment (randomization) date who were never enrolled (screen failures) can instead be left out: "
            '[population] require (e.g. ITTFL = "Y"), or exclude_arms.',
        ),
    ]


# --- REDCap: the project's calculated Villalta total ------------------------------------------------------------

RC12 = sorted((HERE / "rc12").glob("*.csv"))


def _rc12_totals(profile_name: str) -> list[tuple[int, str, str]]:
    """Per visit row of the export (an event [events] maps to a month), the calc total vil_total beside the
    sum of the 11 Villalta item fields the profile maps, where the two differ: (line, record, shown)."""
    profile = tomllib.loads((HERE / profile_name).read_text(encoding="utf-8"))
    items = [profile["fields"][k] for k in VILLALTA_ITEMS]
    with (HERE / "rc12" / "PTSRC12_DATA_2024-11-04_1412.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    differ = []
    for line, row in enumerate(rows, start=2):
        month = profile["events"].get(row["redcap_event_name"], "")
        if row["redcap_repeat_instrument"] or month == "" or not row["vil_total"].strip():
            continue
        derived = sum(int(row[i]) for i in items)
        if int(float(row["vil_total"])) != derived:
            given = int(float(row["vil_total"]))
            differ.append(
                (line, f"{row['pt_id']} / {month}", f"{row['pt_id']} month {month}: given {given}, derived {derived}")
            )
    return differ


def test_a_redcap_calculated_villalta_total_is_cross_checked_against_the_items(tmp_path):
    """PTSRC12's data dictionary has vil_total, a calc field summing the 11 Villalta items; 12-2's month-6 total
    disagrees with its items. It was ignored without a word, and `[fields] villalta_total` was "not a key". The
    calc field is found in the dictionary (rc12_v2.toml names none) or named by the key (rc12_v3.toml), and each
    visit where it differs is a warning naming the record, month, given and derived totals; `""` checks none."""
    dictionary = HERE / "rc12" / "PTSRC12_DataDictionary_2024-11-04.csv"
    with dictionary.open(encoding="utf-8-sig", newline="") as handle:
        kinds = {r["Variable / Field Name"]: r["Field Type"] for r in csv.DictReader(handle)}
    assert kinds["vil_total"] == "calc"
    assert "villalta_total" not in tomllib.loads((HERE / "rc12_v2.toml").read_text(encoding="utf-8"))["fields"]
    expected = _rc12_totals("rc12_v2.toml")
    assert [e[2] for e in expected] == ["12-2 month 6: given 8, derived 7"]
    message = "the given `villalta_total` differs from the one derived from the data (the derived one is used)"
    for name in ("rc12_v2.toml", "rc12_v3.toml"):
        report = _run(HERE / name, RC12, tmp_path / "out.duckdb", False)
        assert report.imported, report.text()
        found = report.issues[report.issues.rule == "reconcile:visits.villalta_total"]
        assert sorted(zip(found.severity, found.line, found.record, found.value, found.message, strict=True)) == [
            ("warning", line, record, shown, message) for line, record, shown in expected
        ]
        assert not report.issues.rule.str.startswith("redcap:profile_key").any()
        with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
            (total,) = con.execute(
                "SELECT villalta_total FROM visits WHERE patient_id = '12-2' AND visit_month = 6"
            ).fetchone() or (None,)
        assert total == 7  # the items' sum is imported
        (tmp_path / "out.duckdb").unlink()
    text = (
        (HERE / "rc12_v3.toml")
        .read_text(encoding="utf-8")
        .replace('villalta_total = "vil_total"', 'villalta_total = ""')
    )
    (tmp_path / "none.toml").write_text(text, encoding="utf-8")
    report = _run(tmp_path / "none.toml", RC12, tmp_path / "none.duckdb")
    assert "reconcile:visits.villalta_total" not in set(report.issues.rule)
