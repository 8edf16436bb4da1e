"""The malformed-file set of docs/import.md §4, made from a valid
example export: each case edits a copy of one profile's folder and names the rule that must
catch it. Errors must leave the live database untouched; warnings import, with the warning stored."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyreadstat


@dataclass(frozen=True)
class Case:
    name: str
    profile: str
    edit: Callable[[Path], None]  # changes the copied folder in place
    rule: str  # the rule id (or its start) that must report the problem
    severity: str = "error"


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]], **kwargs: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", **kwargs).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _set(path: Path, column: str, row: int, value: str) -> None:
    """Data row `row` (1 = first after the header) gets `value` in `column`."""
    rows = _rows(path)
    rows[row][rows[0].index(column)] = value
    _write(path, rows)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


# --- contract profile -------------------------------------------------------------------------------


def semicolon_decimal_comma(folder: Path) -> None:
    rows = _rows(folder / "visits.csv")
    _write(folder / "visits.csv", [[c.replace(".", ",") for c in r] for r in rows], delimiter=";")


def latin1(folder: Path) -> None:
    text = (folder / "patients.csv").read_text(encoding="utf-8")
    first_center = _rows(folder / "patients.csv")[1][2]
    (folder / "patients.csv").write_bytes(text.replace(first_center, "Région-01", 1).encode("latin-1"))


def bom(folder: Path) -> None:
    path = folder / "studies.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def short_row(folder: Path) -> None:
    lines = _lines(folder / "patients.csv")
    lines[3] = ",".join(lines[3].rstrip("\n").split(",")[:-2]) + "\n"
    (folder / "patients.csv").write_text("".join(lines), encoding="utf-8")


def long_row(folder: Path) -> None:
    lines = _lines(folder / "events.csv")
    lines[2] = lines[2].rstrip("\n") + ",extra,value\n"
    (folder / "events.csv").write_text("".join(lines), encoding="utf-8")


def unterminated_quote(folder: Path) -> None:
    lines = _lines(folder / "patients.csv")
    lines[5] = '"' + lines[5]
    (folder / "patients.csv").write_text("".join(lines), encoding="utf-8")


def header_only(folder: Path) -> None:
    path = folder / "patients.csv"
    path.write_text(_lines(path)[0], encoding="utf-8")


def empty_file(folder: Path) -> None:
    (folder / "visits.csv").write_bytes(b"")


def wrong_sheet(folder: Path) -> None:
    with pd.ExcelWriter(folder / "cohort.xlsx") as book:
        for table in ("studies", "patients", "visits", "procedures", "events"):
            sheet = "Patient list" if table == "patients" else table
            pd.read_csv(folder / f"{table}.csv", dtype=str).to_excel(book, sheet_name=sheet, index=False)
            (folder / f"{table}.csv").unlink()


def impossible_date(folder: Path) -> None:
    _set(folder / "patients.csv", "enrolled_on", 2, "2020-02-30")


def vocabulary_case(folder: Path) -> None:
    _set(folder / "patients.csv", "arm", 1, "Stent")
    _set(folder / "patients.csv", "sex", 2, "F")


def out_of_range(folder: Path) -> None:
    _set(folder / "visits.csv", "v_pain", 1, "4")
    _set(folder / "visits.csv", "vcss", 2, "44")


def duplicate_visit(folder: Path) -> None:
    lines = _lines(folder / "visits.csv")
    (folder / "visits.csv").write_text("".join([*lines, lines[1]]), encoding="utf-8")


def orphan_visit(folder: Path) -> None:
    _set(folder / "visits.csv", "patient_id", 3, "NOBODY-1")


def visit_after_contact(folder: Path) -> None:
    rows = _rows(folder / "visits.csv")
    column = rows[0].index("visit_day")
    rows[1][column] = str(int(rows[1][column]) + 20000)
    _write(folder / "visits.csv", rows)


def off_schedule(folder: Path) -> None:
    rows = _rows(folder / "visits.csv")
    month = rows[0].index("visit_month")
    target = next(i for i, r in enumerate(rows[1:], 1) if r[month] == "6")
    rows[target][month] = "7"
    _write(folder / "visits.csv", rows)


def identifier_column(folder: Path) -> None:
    rows = _rows(folder / "patients.csv")
    rows[0].append("date_of_birth")
    for r in rows[1:]:
        r.append("1970-01-01")
    _write(folder / "patients.csv", rows)


def blank_identifier_column(folder: Path) -> None:
    """SDTM's DM.BRTHDTC as sponsors often deliver it: the column is there, every cell empty (here in
    the contract's patients.csv, with blanks of several kinds)."""
    rows = _rows(folder / "patients.csv")
    rows[0].append("BRTHDTC")
    for i, r in enumerate(rows[1:]):
        r.append(("", " ", "")[i % 3])
    _write(folder / "patients.csv", rows)


def one_birth_date(folder: Path) -> None:
    """The same column blank but for one patient: that one date is an identifier."""
    rows = _rows(folder / "patients.csv")
    rows[0].append("BRTHDTC")
    for i, r in enumerate(rows[1:]):
        r.append("1961-04-02" if i == 5 else "")
    _write(folder / "patients.csv", rows)


def missing_required_column(folder: Path) -> None:
    rows = _rows(folder / "patients.csv")
    drop = rows[0].index("arm")
    _write(folder / "patients.csv", [r[:drop] + r[drop + 1 :] for r in rows])


def repeated_column(folder: Path) -> None:
    lines = _lines(folder / "events.csv")
    lines[0] = lines[0].replace("serious", "event_day")
    (folder / "events.csv").write_text("".join(lines), encoding="utf-8")


def not_parquet(folder: Path) -> None:
    (folder / "events.csv").unlink()
    (folder / "events.parquet").write_text("this is not parquet")


# --- ADaM -----------------------------------------------------------------------------------------


def _xpt(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    frame, meta = pyreadstat.read_xport(str(path))
    pyreadstat.write_xport(change(frame), str(path), table_name=meta.table_name, file_format_version=5)


def sas_fraction_age(folder: Path) -> None:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[0, "AGE"] = 51.5
        return frame

    _xpt(folder / "adsl.xpt", change)


def total_only(folder: Path) -> None:
    _xpt(folder / "adqs.xpt", lambda f: f[~f.PARAMCD.str.startswith("VIL") | (f.PARAMCD == "VILTOT")].copy())


def unscheduled(folder: Path) -> None:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        extra = frame[frame.AVISIT == "MONTH 6"].head(20).copy()
        extra["AVISIT"], extra["AVISITN"] = "UNSCHEDULED", 99.0
        return pd.concat([frame, extra], ignore_index=True)

    _xpt(folder / "adqs.xpt", change)


def adsl_birth_date(folder: Path) -> None:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame["BRTHDT"] = frame["RANDDT"]
        return frame

    _xpt(folder / "adsl.xpt", change)


# --- REDCap -----------------------------------------------------------------------------------------


def label_export(folder: Path) -> None:
    path = folder / "registry_export.csv"
    rows = _rows(path)
    arm = rows[0].index("treatment")
    for r in rows[1:]:
        r[arm] = {"1": "Endovascular stent", "2": "Compression and medication"}.get(r[arm], r[arm])
    _write(path, rows)


def checkbox_without_dictionary(folder: Path) -> None:
    (folder / "data_dictionary.csv").unlink()
    path = folder / "registry_export.csv"
    rows = _rows(path)
    rows[0] += ["symptoms___1", "symptoms___2"]
    for r in rows[1:]:
        r += ["0", "1"]
    _write(path, rows)


CASES = (
    Case("semicolon CSV with decimal commas", "contract", semicolon_decimal_comma, "file:delimiter"),
    Case("Latin-1 file", "contract", latin1, "file:encoding"),
    Case("UTF-8 byte-order mark", "contract", bom, "file:bom", "warning"),
    Case("short row", "contract", short_row, "file:parse"),
    Case("long row", "contract", long_row, "file:parse"),
    Case("unterminated quote", "contract", unterminated_quote, "file:parse"),
    Case("header only", "contract", header_only, "file:no_rows"),
    Case("empty file", "contract", empty_file, "file:empty"),
    Case("wrong sheet name in a workbook", "contract", wrong_sheet, "file:missing"),
    Case("date 2020-02-30", "contract", impossible_date, "type:patients.enrolled_on"),
    Case("vocabulary in another case", "contract", vocabulary_case, "allowed:patients.arm"),
    Case("Villalta item 4 and VCSS 44", "contract", out_of_range, "allowed:visits.v_pain"),
    Case("duplicate patient and visit month", "contract", duplicate_visit, "unique:visits"),
    Case("orphan visit", "contract", orphan_visit, "reference:visits.patient_id"),
    Case("visit after last contact", "contract", visit_after_contact, "after_contact:visits", "warning"),
    Case("visit month outside the schedule", "contract", off_schedule, "schedule:visits", "warning"),
    Case("SAS numeric 51.5 for age", "adam", sas_fraction_age, "type:patients.age_years"),
    Case("REDCap labels where raw codes were expected", "redcap", label_export, "redcap:labels"),
    Case("REDCap checkbox columns without the dictionary", "redcap", checkbox_without_dictionary, "redcap:dictionary"),
    Case("ADQS with only a Villalta total", "adam", total_only, "adam:items"),
    Case("ADaM records at an UNSCHEDULED visit", "adam", unscheduled, "adam:unscheduled", "warning"),
    Case("a date-of-birth column", "contract", identifier_column, "privacy:identifier"),
    Case("a birth date in ADSL", "adam", adsl_birth_date, "privacy:identifier"),
    Case("a blank BRTHDTC column", "contract", blank_identifier_column, "privacy:identifier_blank", "warning"),
    Case("a BRTHDTC column with one date", "contract", one_birth_date, "privacy:identifier"),
    Case("a required column missing", "contract", missing_required_column, "columns:patients"),
    Case("a repeated column name", "contract", repeated_column, "file:header"),
    Case("a .parquet file that is not Parquet", "contract", not_parquet, "file:parse"),
)


def build(case: Case, examples: Path, into: Path) -> list[Path]:
    """A copy of the profile's example folder with the case's defect; returns its files."""
    folder = into / case.name.replace(" ", "_")
    shutil.copytree(examples / case.profile, folder)
    case.edit(folder)
    return sorted(folder.iterdir())
