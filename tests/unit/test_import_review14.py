"""What the seventh outside reviewer of issue 23 found (tests/fixtures/review14: their files as written, the
generators kept as *.py.txt). Expected values are read off the fixtures' own records here (pyreadstat,
openpyxl, csv), never from the importer; whole messages compared."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import duckdb
import pyreadstat
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review14"
ADAM31 = sorted((HERE / "adam31").glob("*.xpt"))
UNPLANNED = "Unplanmäßiger Besuch"
NOT_A_VISIT_STEP = 'visit not a scheduled visit ([visits] = "")'


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _adqs():
    """ADQS as the reviewer wrote it, each record with its line (1-based, as the importer numbers an XPT's)."""
    adqs, _ = pyreadstat.read_xport(str(HERE / "adam31" / "adqs.xpt"))
    adsl, _ = pyreadstat.read_xport(str(HERE / "adam31" / "adsl.xpt"))
    adqs["line"] = range(1, len(adqs) + 1)
    return adqs[adqs.USUBJID.isin(set(adsl.USUBJID[adsl.ITTFL == "Y"]))]


def _profile(tmp_path: Path, name: str, extra: str) -> Path:
    path = tmp_path / name
    path.write_text((HERE / "adam31_v1.toml").read_text(encoding="utf-8") + extra, encoding="utf-8")
    return path


def _errors(report: ImportReport) -> list[tuple[str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.message, strict=True))


def _avalc_error(adqs) -> tuple[str, str]:
    """N2's record: AVAL blank, AVALC given, of a Villalta item."""
    (row,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    return (
        "adam:avalc",
        f'{row.USUBJID} AVISIT "{row.AVISIT}" (AVISITN {row.AVISITN:g}): PARAMCD {row.PARAMCD} ([paramcd] v_pain) has '
        f'AVAL blank while AVALC holds "{row.AVALC}": the value of a numeric parameter is read from AVAL. Give it in '
        "AVAL in the source, or set [bds] avalc_as_aval = true in a copy of the profile to read AVALC where AVAL is "
        "blank and AVALC is a number (each such record a warning)",
    )


# --- N1: a visit mapped to "" (not a scheduled visit) crashed the importer --------------------------------------


@pytest.mark.parametrize("profile", ["adam31_v2.toml", "adam31_v2_crash.toml"])
def test_a_visit_mapped_to_empty_is_set_aside_as_no_scheduled_visit(tmp_path, profile):
    """adam31 with [visits.AVISIT] "Unplanmäßiger Besuch" = "" (v2) or [visits.AVISITN] "99" = "" (v2_crash): both
    failed with "internal failure: ValueError: invalid literal for int() with base 10: ''". The visit's records
    (ANL01FL = "Y") are now set aside as no scheduled visit, a funnel step of their own, not lost; what is left is
    N2's one error (AVAL blank, AVALC given), at its record."""
    adqs = _adqs()
    unplanned = adqs[adqs.AVISIT == UNPLANNED]
    assert len(unplanned) == 14 and set(unplanned.ANL01FL) == {"Y"} and set(unplanned.AVISITN) == {99.0}
    report = _run(HERE / profile, ADAM31, tmp_path / "out.duckdb")
    assert _errors(report) == [_avalc_error(adqs)]
    steps = [(f.file, f.records, f.loss) for f in report.funnel if f.step == NOT_A_VISIT_STEP]
    assert steps == [("adqs.xpt", len(unplanned), False)]
    assert not [f for f in report.funnel if f.file == "adqs.xpt" and f.step.startswith("visit not in")]


def test_the_import_with_the_visit_set_aside_and_avalc_read_keeps_every_scheduled_visit(tmp_path):
    """adam31 with "99" = "" and [bds] avalc_as_aval = true imports; the visits are the ITT subjects' distinct
    scheduled visits of ADQS (AVISITN 10/20/30/40), PTS31-103's month 6 pain is AVALC's value, read with one
    warning naming the record."""
    profile = _profile(
        tmp_path,
        "v4.toml",
        '\n[bds]\navalc_as_aval = true\n\n[visits.AVISITN]\n"10" = 0\n"20" = 3\n"30" = 6\n"40" = 12\n"99" = ""\n',
    )
    adqs = _adqs()
    months = {10.0: 0, 20.0: 3, 30.0: 6, 40.0: 12}
    scheduled = adqs[adqs.AVISITN.isin(list(months))]
    expected = sorted({(u, months[n]) for u, n in zip(scheduled.USUBJID, scheduled.AVISITN, strict=True)})
    (row,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    out = tmp_path / "out.duckdb"
    report = _run(profile, ADAM31, out, check=False)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        visits = con.execute("SELECT patient_id, visit_month FROM visits ORDER BY 1, 2").fetchall()
        (pain,) = con.execute(
            "SELECT v_pain FROM visits WHERE patient_id = $p AND visit_month = 6", {"p": row.USUBJID}
        ).fetchone() or (None,)
    assert visits == expected and len(visits) == 29
    assert pain == int(row.AVALC)
    warned = report.issues[report.issues.rule == "adam:avalc"]
    assert list(zip(warned.severity, warned.line, warned.message, strict=True)) == [
        (
            "warning",
            row.line,
            f'{row.USUBJID} AVISIT "{row.AVISIT}" (AVISITN {row.AVISITN:g}): PARAMCD {row.PARAMCD} ([paramcd] v_pain) '
            f'has AVAL blank while AVALC holds "{row.AVALC}": imported as the value ([bds] avalc_as_aval = true)',
        )
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '\n[visits.AVISITN]\n"10" = 0\n"99" = "later"\n',
            '[visits.AVISITN] "99" = "later": the month must be a whole number of months (e.g. 3), or "" for a visit '
            "that is no scheduled one (its records are set aside, counted in the report)",
        ),
        (
            '\n[visits.AVISIT]\n"Monat 3" = 3.5\n',
            '[visits.AVISIT] "Monat 3" = 3.5: the month must be a whole number of months (e.g. 3), or "" for a visit '
            "that is no scheduled one (its records are set aside, counted in the report)",
        ),
        (
            '\n[visits.AVISITN]\n"ten" = 0\n',
            '[visits.AVISITN] "ten": the key is the AVISITN value as a number (e.g. "20" = 3)',
        ),
        (
            '\n[visits]\nAVISIT = "BASELINE"\n',
            "[visits.AVISIT] is a table of visit -> month (e.g. \"Month 3\" = 3), not 'BASELINE'",
        ),
    ],
)
def test_a_bad_value_of_a_visit_map_is_one_message_naming_key_value_and_forms(tmp_path, extra, message):
    """Any value of a visit map the importer cannot read is the profile's one error naming the key, the value and
    the forms allowed, never an internal failure."""
    report = _run(_profile(tmp_path, "bad.toml", extra), ADAM31, tmp_path / "out.duckdb")
    assert _errors(report) == [("profile", message)]


# --- N2: AVAL blank, AVALC given ---------------------------------------------------------------------------------


def test_aval_blank_with_avalc_given_names_subject_visit_parameter_avalc_and_the_key(tmp_path):
    """adam31_v3 (the visit 99 not mapped: its error stays): PTS31-103's month 6 VILPAIN has AVAL blank and
    AVALC "1". The message was the contract's "visits.v_pain is empty (NULL) ... check that the profile names the
    parameter", with no subject, visit or AVALC; it is one error at the record naming them and the key."""
    adqs = _adqs()
    (row,) = adqs[adqs.AVAL.isna() & adqs.PARAMCD.str.startswith("VIL")].itertuples()
    report = _run(HERE / "adam31_v3.toml", ADAM31, tmp_path / "out.duckdb")
    errors = report.issues[report.issues.severity == "error"]
    assert sorted(set(errors.rule)) == ["adam:avalc", "adam:visit_unmapped"]
    avalc = errors[errors.rule == "adam:avalc"]
    assert list(zip(avalc.file, avalc.line, avalc.message, strict=True)) == [
        ("adqs.xpt", row.line, _avalc_error(adqs)[1])
    ]


# --- N3, N4, N5: a registry's workbook ---------------------------------------------------------------------------

SUMMARY = (
    "a row below the table that is no record (a total, a count or a note): it is not imported; delete the summary "
    "row below the table in the sheet, and import again"
)
EMPTY_ROW = "a row with every cell empty (as a spreadsheet writes below a table): not read"


def _sheet(book: Path, name: str) -> list[tuple[int, tuple]]:
    """A sheet's rows as written (values, formulas as text), with their row numbers."""
    import openpyxl

    workbook = openpyxl.load_workbook(book, data_only=False)
    return [(i, row) for i, row in enumerate(workbook[name].iter_rows(values_only=True), start=1)]


def _header_row(rows: list[tuple[int, tuple]]) -> int:
    return next(i for i, row in rows if row[0] == "patient_id")


def _below_the_table(rows: list[tuple[int, tuple]]) -> tuple[list[int], list[tuple[int, str]]]:
    """The blank rows and the rows that are no patient (a first cell that is no id like R01-01) after the header."""
    after = [(i, row) for i, row in rows if i > _header_row(rows)]
    blank = [i for i, row in after if all(c is None or str(c).strip() == "" for c in row)]
    other = [(i, str(row[0])) for i, row in after if i not in blank and not re.fullmatch(r"R\d\d-\d\d", str(row[0]))]
    return blank, other


def _issues(report: ImportReport, severity: str, rules: tuple[str, ...]) -> list[tuple[str, str, int, str, str]]:
    found = report.issues[(report.issues.severity == severity) & report.issues.rule.isin(rules)]
    return sorted(
        zip(found.file, found.rule, found.line.astype(int), found.value.fillna(""), found.message, strict=True)
    )


def test_a_blank_row_and_a_footnote_below_a_sheets_table_are_one_warning_and_one_error(tmp_path):
    """xls31d: a blank row 13 and "Source: Leeds PTS registry database, ..." on row 14 below the patients gave 21
    errors, one per required column ("lines 13, 14: patients.age_years is empty (NULL)"). The blank row is now
    skipped with the CSV's one warning, the footnote one error naming its row and the way out; nothing else."""
    book = HERE / "xls31d" / "reg31d.xlsx"
    blank, other = _below_the_table(_sheet(book, "patients"))
    assert len(blank) == 1 and len(other) == 1 and other[0][1].startswith("Source: ")
    report = _run("contract", [book], tmp_path / "out.duckdb")
    sheet = "reg31d.xlsx [patients]"
    assert list(zip(*_errors(report), strict=True))[0] == ("file:summary_row",)
    assert _issues(report, "error", ("file:summary_row",)) == [
        (sheet, "file:summary_row", other[0][0], other[0][1], SUMMARY)
    ]
    assert _issues(report, "warning", ("file:empty_row",)) == [(sheet, "file:empty_row", blank[0], "", EMPTY_ROW)]


def test_total_rows_below_the_tables_and_an_impossible_date_are_named_once_each(tmp_path):
    """xls31b: a "Total | 10 patients | =AVERAGE(F3:F12)" row below a blank row under the patients and "Total | 28"
    right under the visits gave about 35 errors and took "Total" for a patient; R06-05's enrolled_on, the text
    2021-02-30, was told to be written as ISO 8601, which it is. Each total row is one error at its row (its
    formula not reported again), the blank row the one warning, and the date one error naming the patient and
    why, with no [dates] formats advice."""
    book = HERE / "xls31b" / "reg31b.xlsx"
    patients, visits = _sheet(book, "patients"), _sheet(book, "visits")
    blank, other = _below_the_table(patients)
    _, other_visits = _below_the_table(visits)
    assert [v for _, v in other] == [v for _, v in other_visits] == ["Total"]
    head = _header_row(patients)
    column = patients[head - 1][1].index("enrolled_on")
    (wrong,) = [(i, row[0], row[column]) for i, row in patients if i > head and row[column] == "2021-02-30"]
    report = _run("contract", [book], tmp_path / "out.duckdb")
    assert sorted(rule for rule, _ in _errors(report)) == [
        "file:summary_row",
        "file:summary_row",
        "type:patients.enrolled_on",
    ]
    assert _issues(report, "error", ("file:summary_row", "type:patients.enrolled_on", "file:formula")) == [
        ("reg31b.xlsx [patients]", "file:summary_row", other[0][0], "Total", SUMMARY),
        (
            "reg31b.xlsx [patients]",
            "type:patients.enrolled_on",
            wrong[0],
            "2021-02-30",
            f"patients.enrolled_on of patient {wrong[1]}: 2021-02-30 is no calendar date (February 2021 has 28 days): "
            "correct it in the source (no [dates] format reads it)",
        ),
        ("reg31b.xlsx [visits]", "file:summary_row", other_visits[0][0], "Total", SUMMARY),
    ]
    assert _issues(report, "warning", ("file:empty_row",)) == [
        ("reg31b.xlsx [patients]", "file:empty_row", blank[0], "", EMPTY_ROW)
    ]


def test_group_headings_merged_above_the_header_are_skipped_and_named(tmp_path):
    """xls31: a merged title on row 1, merged group headings on row 2 ("Identification", "Demographics", ...) and
    the contract's names on row 3: row 2 was taken for the header ("the header has an empty or repeated column
    name ''" at "line 1"), 0 rows read and 11 cascading errors. The header is found on row 3, the two rows above
    named in one warning per sheet, and every patient and visit row is read (what is left are the total rows
    and the impossible date, as in xls31b)."""
    book = HERE / "xls31" / "reg31.xlsx"
    patients = _sheet(book, "patients")
    head = _header_row(patients)
    groups = [str(c) for c in patients[head - 2][1] if c is not None]
    records = [i for i, row in patients if i > head and re.fullmatch(r"R\d\d-\d\d", str(row[0]))]
    assert head == 3 and groups == ["Identification", "Demographics", "Disease at enrolment"]
    report = _run("contract", [book], tmp_path / "out.duckdb")
    assert sorted(rule for rule, _ in _errors(report)) == [
        "file:summary_row",
        "file:summary_row",
        "type:patients.enrolled_on",
    ]
    assert [(r.file, r.rows) for r in report.files if r.file == "reg31.xlsx [patients]"] == [
        ("reg31.xlsx [patients]", len(records))
    ]
    title = str(patients[0][1][0])
    warned = _issues(report, "warning", ("file:header_row",))
    assert warned[0] == (
        "reg31.xlsx [patients]",
        "file:header_row",
        head,
        "",
        f"the header is on row {head}, the first with column names: the 2 rows above it ({title[:60]!r}; row 2 holds "
        f"group headings over the columns ({', '.join(repr(g) for g in groups)})) are not read",
    )


# --- N6: a data access group and a site field that disagree -------------------------------------------------------


def test_a_data_access_group_and_a_site_field_that_disagree_are_a_warning_per_record(tmp_path):
    """rc31 with [fields] center_id = "site": 12-4 is in group leeds_general with site 2 (York District), 13-3 in
    york_district with site 1 (Leeds General); the import said nothing. Each is a warning naming the record, both
    values and the centre imported (by the profile's key). 13-4 and 13-5 (york_district, site 3 Hull, a site with
    no group of its own) are not compared. Counted here from the export and its dictionary."""
    folder = HERE / "rc31"
    with (folder / "PTSRC31_DataDictionary_2024-11-04.csv").open(encoding="utf-8-sig", newline="") as handle:
        (site,) = [r for r in csv.reader(handle) if r[0] == "site"]
    labels = dict(part.strip().split(", ", 1) for part in site[5].split("|"))
    with (folder / "PTSRC31_DATA_2024-11-04_1412.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    groups = {r["redcap_data_access_group"] for r in rows}
    named = {code: label.lower().replace(" ", "_") for code, label in labels.items()}
    disagree = [
        (line, r["pt_id"], r["redcap_data_access_group"], labels[r["site"]], named[r["site"]])
        for line, r in enumerate(rows, start=2)  # the header is line 1
        if r["site"] and named[r["site"]] in groups and named[r["site"]] != r["redcap_data_access_group"]
    ]
    assert [d[1] for d in disagree] == ["12-4", "13-3"]
    report = _run(HERE / "rc31_v2.toml", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb")
    assert not _errors(report)
    warned = report.issues[report.issues.rule == "redcap:center_group"]
    assert list(zip(warned.line, warned.message, strict=True)) == [
        (
            line,
            f"record {record}: the data access group {group!r} and the site field 'site' ({label!r}, the centre of "
            f"group {owner!r}) disagree; the centre imported is {label!r}, from [fields] center_id = 'site' (set "
            'center_id = "" in [fields] of a copy of the profile to use the data access groups); correct the one '
            "that is wrong in REDCap",
        )
        for line, record, group, label, owner in disagree
    ]


# --- N7: AVISIT in another language gets its month suggested --------------------------------------------------------


def _monat(text: str, number: float, records: int, month: int) -> str:
    return (
        f'{records} records flagged for analysis (ANL01FL = "Y") at visit AVISIT "{text}" / AVISITN {number:g}, which '
        "neither [visits.AVISIT] nor [visits.AVISITN] of the profile maps: they would not be imported (an unscheduled "
        "visit is set aside only when its AVISIT says UNSCHEDULED, it is not flagged for analysis, or [visits] maps it "
        'to "", no scheduled visit). Map the visit to its month in a copy of the profile, e.g. [visits.AVISIT] '
        f'"{text}" = {month} (month {month}; the nearest month of [study] visit_months is {month}); a profile\'s '
        "[visits] replaces the built-in's whole, so copy the keys it still needs"
    )


def test_german_avisits_get_their_month_suggested_in_the_message_and_the_assistant(tmp_path):
    """adam31 with adam31_v1.toml (the built-in visit map: BASELINE, MONTH 3...): "Monat 3" / "Monat 6" /
    "Monat 12" got no month in the error, and the assistant offered month 0 first. The message suggests the month
    its name says, and the assistant offers it first (never chosen for the user); "Woche 26", "Week 26", "Mes 6"
    too."""
    from pts_explorer.importer import assistant_choices
    from pts_explorer.importer.formats import load

    adqs = _adqs()
    flagged = adqs[(adqs.ANL01FL == "Y") & adqs.AVISIT.str.startswith("Monat ")]
    visits = sorted({(a, n) for a, n in zip(flagged.AVISIT, flagged.AVISITN, strict=True)}, key=lambda v: v[1])
    assert [a for a, _ in visits] == ["Monat 3", "Monat 6", "Monat 12"]
    report = _run(HERE / "adam31_v1.toml", ADAM31, tmp_path / "out.duckdb")
    shown = report.issues[report.issues.rule == "adam:visit_unmapped"]
    messages = list(dict.fromkeys(m for m in shown.message if "Monat" in m))
    assert messages == [_monat(a, n, int((a == flagged.AVISIT).sum()), int(a.split()[1])) for a, n in visits]
    profile = load(str(HERE / "adam31_v1.toml"))
    found = assistant_choices.survey(profile, ADAM31)
    extra = assistant_choices.Survey(
        values={"bds.avisit": (("Woche 26", "26", 5), ("Week 26", "26", 5), ("Mes 6", "31", 5))}
    )
    choices = {
        c.key: (c.options[0].text, c.default)
        for c in [*assistant_choices.avisit_choices(profile, found), *assistant_choices.avisit_choices(profile, extra)]
    }
    assert {k: v for k, v in choices.items() if "Unplan" not in k and "Ausgang" not in k} == {
        "adam_avisit_Monat 3": ("month 3", None),
        "adam_avisit_Monat 6": ("month 6", None),
        "adam_avisit_Monat 12": ("month 12", None),
        "adam_avisit_Woche 26": ("month 6", None),
        "adam_avisit_Week 26": ("month 6", None),
        "adam_avisit_Mes 6": ("month 6", None),
    }
