"""A workbook's formula cells (issue 24, item 3): a formula the workbook stores no computed value
for (written by a script with openpyxl, or saved by a program that does not calculate) read as
empty: an optional column silently lost its values, a required one was "empty". Each such cell is
now an error at its sheet, line and column, saying what it is and how to fix it."""

from pathlib import Path

import duckdb
import openpyxl
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.examples import write_examples

TABLES = ("studies", "patients", "visits", "procedures", "events")
FORMULA_MESSAGE = (
    "the cell holds a formula with no computed value (the workbook was saved by a program that does not "
    "calculate): open and save it in Excel or LibreOffice, or export the sheet as CSV"
)


@pytest.fixture(scope="module")
def contract_csvs(small_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("workbook_examples")
    write_examples(small_db, out)
    return out / "contract"


def _workbook(folder: Path, path: Path, edit=None) -> Path:
    """The contract tables as one sheet each, the way a data manager pastes them into Excel (every
    cell text or a number), then `edit(book)`."""
    import csv

    book = openpyxl.Workbook()
    book.remove(book.active)
    for table in TABLES:
        sheet = book.create_sheet(table)
        with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            for i, row in enumerate(csv.reader(handle)):
                sheet.append([_number(v) if i else v for v in row])
    if edit:
        edit(book)
    book.save(path)
    return path


def _number(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text or None


def _import(path: Path, out: Path):
    return run_import("contract", [path], out, Options(synthetic=True), progress=lambda _: None)


def test_a_workbook_of_values_imports(contract_csvs, tmp_path):
    report = _import(_workbook(contract_csvs, tmp_path / "cohort.xlsx"), tmp_path / "out.duckdb")
    assert report.imported, report.text()


def test_formulas_without_a_computed_value_are_errors_at_their_cells(contract_csvs, tmp_path):
    def edit(book):
        patients = book["patients"]
        header = [c.value for c in patients[1]]
        age = header.index("age_years") + 1
        bmi = header.index("bmi") + 1
        patients.cell(row=3, column=age).value = "=2026-1975"  # required: was "age_years is empty"
        patients.cell(row=5, column=bmi).value = "=82/(1.78^2)"  # optional: was silently empty

    path = _workbook(contract_csvs, tmp_path / "cohort.xlsx", edit)
    report = _import(path, tmp_path / "out.duckdb")
    assert not report.imported
    errors = report.issues[report.issues.severity == "error"]
    assert [
        tuple(r) for r in errors[["rule", "file", "line", "column", "value", "message"]].itertuples(index=False)
    ] == [
        ("file:formula", "cohort.xlsx [patients]", 3, "age_years", "=2026-1975", FORMULA_MESSAGE),
        ("file:formula", "cohort.xlsx [patients]", 5, "bmi", "=82/(1.78^2)", FORMULA_MESSAGE),
    ]
    assert not (tmp_path / "out.duckdb").exists()


def test_formulas_with_computed_values_read_as_their_values(contract_csvs, tmp_path):
    """A workbook saved by Excel keeps each formula's value beside it: that value is read. (openpyxl
    cannot compute, so the value is written into the file's XML the way Excel stores it.)"""
    import re
    import shutil
    import zipfile

    def edit(book):
        patients = book["patients"]
        header = [c.value for c in patients[1]]
        patients.cell(row=3, column=header.index("age_years") + 1).value = "=2026-1975"

    plain = _workbook(contract_csvs, tmp_path / "plain.xlsx", edit)
    saved = tmp_path / "saved.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(saved, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/") and b"2026-1975" in data:
                data = re.sub(rb"<f>2026-1975</f>(<v\s*/>|<v></v>)?", b"<f>2026-1975</f><v>51</v>", data)
            dst.writestr(item, data)
    report = _import(saved, tmp_path / "out.duckdb")
    assert report.imported, report.text()
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    first = con.execute("SELECT age_years FROM patients ORDER BY rowid LIMIT 2").fetchall()
    con.close()
    shutil.rmtree(tmp_path, ignore_errors=True)
    assert first[1] == (51,)
