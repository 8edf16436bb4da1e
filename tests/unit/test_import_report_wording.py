"""The problem report's wording: "line 6" for one line, "lines 2, 7" for several (each line once),
counts with their noun in the singular for one ("read 1 row", "1 warning", "2 subjects"), a blank
source value shown as (blank) and never as empty text around a variable name. Read off the report
of hand-written files (tests/fixtures/deaths, tests/fixtures/reviewer_sdtm) and of issues written
here; every expected line is written out whole."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import duckdb

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.issues import Issue, Issues
from pts_explorer.importer.report import ImportReport, summarise

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "deaths"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _report_lines(profile: str | Path, sources: list[Path], tmp_path: Path) -> tuple[ImportReport, list[str]]:
    out = tmp_path / "out.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=True, name="wording"), progress=lambda _: None)
    assert report.imported, report.text()
    return report, report.text().splitlines()


def test_one_line_one_row_one_warning_are_singular(tmp_path):
    folder = HERE / "contract"
    report, lines = _report_lines("contract", sorted(folder.glob("*.csv")), tmp_path)
    studies = _rows(folder / "studies.csv")
    events = _rows(folder / "events.csv")
    assert len(studies) == 1
    assert "  studies.csv: read 1 row. Rows with errors: 0. Rows with warnings: 0." in lines
    patients = len(_rows(folder / "patients.csv"))
    assert re.fullmatch(
        rf"imported {patients} patients into .*out\.duckdb \(0 errors, 1 warning, \d+\.\d s\)", report.outcome
    )
    # The one warning (P03's death on two days) is at one line: "line", not "lines".
    line = next(n for n, r in enumerate(events, start=2) if (r["patient_id"], r["event_day"]) == ("P03", "195"))
    enrolled = dt.date.fromisoformat(
        next(r for r in _rows(folder / "patients.csv") if r["patient_id"] == "P03")["enrolled_on"]
    )
    kept, other = (str(enrolled + dt.timedelta(days=d)) for d in (200, 195))
    assert [t for t in lines if t.startswith("  WARNING: ")] == [
        f"  WARNING: events.csv: line {line}: patient P03 has two death records, a death event ({kept}) and a death "
        f"event ({other}): one death is imported, on {kept} (a patient dies once); correct the date that is wrong "
        f"[events:death_twice, 1]; values encountered in event_day: {kept} / {other}"
    ]


def test_sdtm_report_lines_read_whole(tmp_path):
    """The SDTM fixture: one AE term not mapped (one line), two screen failures, and unscheduled
    QS records of subject 1009 with VISIT blank and of subject 1003 with VISITNUM blank."""
    folder = HERE / "sdtm"
    _, lines = _report_lines(folder / "profile.toml", sorted(folder.glob("*.csv")), tmp_path)
    ae = _rows(folder / "ae.csv")
    (headache,) = [n for n, r in enumerate(ae, start=2) if r["AEDECOD"] == "Headache"]
    assert (
        f"  WARNING: ae.csv: line {headache}: term not in the profile's [values.event_type]: not imported (the "
        "contract holds the listed clinical events only) [sdtm:ae_term, 1]; values encountered in AEDECOD: Headache"
    ) in lines
    dm = _rows(folder / "dm.csv")
    failures = sum(r["ARM"] == "Screen Failure" for r in dm)
    assert failures == 2
    assert (
        f"  WARNING: dm.csv: {failures} subjects left out of the population (arm in [population] exclude_arms, or "
        "no RFSTDTC with [population] exclude_blank_reference_date); their records in other datasets are not "
        "imported [sdtm:population, 1]; values encountered in ARM: Screen Failure"
    ) in lines
    qs = [(n, r) for n, r in enumerate(_rows(folder / "qs.csv"), start=2) if r["VISITNUM"] not in ("1", "2", "3", "4")]
    shown = sorted({f"{r['VISIT'] or '(blank)'} (VISITNUM {r['VISITNUM'] or '(blank)'})" for _, r in qs})
    assert shown == ["(blank) (VISITNUM 1.1)", "UNSCHEDULED 1.1 (VISITNUM (blank))"]
    first = ", ".join(str(n) for n, _ in qs[:5])
    assert (
        f"  WARNING: qs.csv: lines {first} ({len(qs) - 5} more): visit in neither [visits] VISITNUM nor VISIT of "
        f"the profile (unscheduled or unmapped): record of QS not imported [sdtm:unscheduled, {len(qs)}]; values "
        f"encountered in VISIT: {', '.join(shown)}"
    ) in lines


def test_lines_are_listed_once_and_blank_values_say_blank():
    """Issues written here: three at line 2 and one at line 7 of one rule and field (a record that
    breaks a rule in several joined records), with a blank value; one issue at one line."""
    con = duckdb.connect()
    issues = Issues(con)
    for line, value in ((2, "  "), (2, "C4A"), (2, "C4A"), (7, " C4B ")):
        issues.add(Issue("error", "allowed:x", "adsl.csv", line, "S1", " CEAPBL ", value, "not allowed"))
    issues.add(Issue("warning", "single", "adsl.csv", 4, "S2", "SEX", "", "one line"))
    report = ImportReport(profile="p", sources=["adsl.csv"])
    summarise(con, report, {"adsl.csv": 9})
    report.outcome = "checked"
    assert report.text().splitlines()[2:] == [
        "  ERROR: adsl.csv: lines 2, 7: not allowed [allowed:x, 4]; values encountered in CEAPBL: (blank), C4A, C4B",
        "  WARNING: adsl.csv: line 4: one line [single, 1]",
    ]
    assert report.rule_frame().Lines.tolist() == ["2, 7", "4"]


def test_one_record_of_choices_without_a_value_is_singular(tmp_path):
    """The reviewer's REDCap export cut to its first record, with the reviewer's profile that has no
    value map for the arm: "1 of 1 record holds choices", not "1 of 1 records hold"."""
    review = HERE.parent / "redcap_review23"
    with (review / "records_raw_v2.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    first = rows[1][0]
    one = [rows[0], *[r for r in rows[1:] if r[0] == first]]
    with (tmp_path / "records_raw.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(one)
    record = dict(zip(one[0], one[1], strict=True))
    labels = next(r for r in _rows(review / "dictionary.csv") if r["Variable / Field Name"] == "treatment")
    choices = dict(
        (code.strip(), label.strip())
        for code, _, label in (p.partition(",") for p in labels["Choices, Calculations, OR Slider Labels"].split("|"))
    )
    report = run_import(
        review / "redcap-mine.toml",
        [tmp_path / "records_raw.csv", review / "dictionary.csv"],
        tmp_path / "out.duckdb",
        Options(synthetic=True, check_only=True),
        progress=lambda _: None,
    )
    code = record["treatment"]
    unmapped = [r.message for r in report.rules if r.rule == "redcap:unmapped" and r.severity == "error"]
    # (each field its own summary since review 8: the stockings field's is another)
    assert [m for m in unmapped if "'treatment'" in m] == [
        f"1 of 1 record holds choices of 'treatment' with no value in patients.arm ({code} ({choices[code]})): map "
        "them in [values.arm] of a copy of the profile (each to one of stent, medical)"
    ]
