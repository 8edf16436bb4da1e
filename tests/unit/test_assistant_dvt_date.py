"""The mapping assistant and a REDCap project that records the DVT's date, not the months since it
(issue #23, items 7 and 11): tests/fixtures/redcap_dvt_date, a longitudinal project written by hand
with the built-in profile's field names but for `date_of_dvt` (a text field validated as date_ymd)
and a look-alike number field `prior_dvt_count`. The built-in profile refuses it for want of
`months_since_dvt`; the assistant offers the date field as the DVT's date (`[fields] dvt_date`, the
months key emptied) and the number fields as the months, never a date as months; the profile it
writes imports the export at once, from the API and from the command line, with each patient's
whole months from the DVT to enrolment recomputed here from the CSV. A date field the dictionary
does not validate is recognised by its values (ISO dates, or one style such as SAS DATE9. text,
whose [dates] formats the choice then writes too); a months field that holds dates is offered again."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import duckdb

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, assistant, assistant_choices, run_import
from pts_explorer.importer.formats import load
from pts_explorer.importer.profiles import Profile
from tests.databases import table_rows

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "redcap_dvt_date"
EXPORT = HERE / "PTSFollowUp_DATA_2024-06-10_1105.csv"
DICTIONARY = HERE / "PTSFollowUp_DataDictionary_2024-06-10.csv"
AS_DATE = "date_of_dvt: the DVT's date (whole months to the enrolment date)"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _months(dvt: date, enrolled: date) -> int:
    """Whole months from the DVT to enrolment, counted here by the calendar."""
    return (enrolled.year - dvt.year) * 12 + enrolled.month - dvt.month - (enrolled.day < dvt.day)


def _expected(export: str, parse=date.fromisoformat) -> list[tuple[str, int]]:
    return sorted(
        (r["record_id"], _months(parse(r["date_of_dvt"]), date.fromisoformat(r["enroll_date"])))
        for r in _rows(export)
        if r["redcap_event_name"] == "baseline_arm_1" and not r["redcap_repeat_instrument"]
    )


def _check(profile: str | Path, files: list[Path], out: Path, check: bool = True):
    return run_import(profile, files, out, Options(synthetic=True, check_only=check), progress=lambda _: None)


def _choice(profile: Profile, files: list[Path], report) -> assistant_choices.Choice:
    found = assistant_choices.survey(profile, files)
    rows = assistant.field_rows(profile, report.source_columns)
    (choice,) = assistant_choices.dvt_choices(
        profile, found, rows, assistant.source_fields(profile, report.source_columns)
    )
    return choice


def _save(profile: Profile, option: assistant_choices.Option, folder: Path) -> Path:
    data = assistant.edited(profile, {}, {}, None, list(option.writes))
    path = folder / "redcap-dvt.toml"
    path.write_text(assistant.dumps(data), encoding="utf-8")
    return path


def _months_imported(out: Path) -> list[tuple[str, int]]:
    con = duckdb.connect(str(out), read_only=True)
    try:
        return con.execute("SELECT patient_id, months_since_dvt FROM patients ORDER BY 1").fetchall()
    finally:
        con.close()


def test_a_date_field_is_offered_as_the_dvt_date_and_the_choice_imports_at_once(tmp_path):
    files = [EXPORT, DICTIONARY]
    refused = _check("redcap", files, tmp_path / "refused.duckdb")
    assert [(r.rule, r.message) for r in refused.rules if r.severity == "error"] == [
        (
            f"columns:{EXPORT.stem}",
            "the export lacks column(s) 'months_since_dvt' ([fields] months_since_dvt); the profile maps them: set "
            "each key to the field's name in a copy of profile 'redcap', or export the field; the export is checked "
            "without them; the values of a missing column are checked once it is named",
        )
    ]
    profile = load("redcap")
    choice = _choice(profile, files, refused)
    assert choice.label == "months_since_dvt (required): no source has months_since_dvt"
    assert choice.default is None  # the user chooses
    texts = [o.text for o in choice.options]
    # The date fields as the DVT's date, the look-alike first; the number fields as months; no date as months.
    validated = [
        c["Variable / Field Name"]
        for c in _rows(DICTIONARY.read_text("utf-8"))
        if c["Text Validation Type OR Show Slider Number"] == "date_ymd"
    ]
    assert texts[0] == AS_DATE
    assert sorted(t for t in texts if t.endswith("(whole months to the enrolment date)")) == sorted(
        f"{f}: the DVT's date (whole months to the enrolment date)"
        for f in validated
        if f not in ("enroll_date", "visit_date", "last_contact_date", "death_date", "procedure_date", "ae_date")
    )  # a date field another key reads is not offered
    assert not {"ae_type", "ae_serious"} & set(texts)
    assert "prior_dvt_count" in texts and "date_of_dvt" not in texts
    # The field rows of months_since_dvt (and dvt_date) are this one choice, not another box.
    assert [r.key for r in assistant.field_rows(profile, refused.source_columns) if not r.found] == [
        "months_since_dvt",
        "pain_vas",
        "calf_circumference_cm",
        "daily_steps",
    ]

    edited = _save(profile, choice.options[0], tmp_path)
    fields = tomllib.loads(edited.read_text(encoding="utf-8"))["fields"]
    assert (fields["dvt_date"], fields["months_since_dvt"]) == ("date_of_dvt", "")
    out = tmp_path / "imported.duckdb"
    report = _check(edited, files, out, check=False)
    assert report.imported, report.text()
    assert report.errors == 0
    expected = _expected(EXPORT.read_text(encoding="utf-8"))
    assert _months_imported(out) == expected

    # The same profile on the command line imports the same tables.
    cli = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "pts_explorer.importer", "--profile", str(edited), "--out", str(cli), "--synthetic"]
        + ["--quiet", *map(str, files)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert table_rows(cli) == table_rows(out)


def _unvalidated(folder: Path, export: str) -> list[Path]:
    """The project as a builder who typed the DVT date as plain text (no validation) exports it."""
    rows = list(csv.reader(io.StringIO(DICTIONARY.read_text(encoding="utf-8"))))
    header = rows[0]
    at = header.index("Text Validation Type OR Show Slider Number")
    for row in rows:
        if row[0] == "date_of_dvt":
            assert row[at] == "date_ymd"
            row[at] = ""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    (folder / DICTIONARY.name).write_text(text.getvalue(), encoding="utf-8")
    (folder / EXPORT.name).write_text(export, encoding="utf-8")
    return [folder / EXPORT.name, folder / DICTIONARY.name]


def test_a_date_field_without_validation_is_recognised_by_its_values(tmp_path):
    files = _unvalidated(tmp_path, EXPORT.read_text(encoding="utf-8"))
    refused = _check("redcap", files, tmp_path / "refused.duckdb")
    choice = _choice(load("redcap"), files, refused)
    assert choice.options[0].text == AS_DATE
    assert choice.options[0].writes == ((("fields", "dvt_date"), "date_of_dvt"), (("fields", "months_since_dvt"), ""))
    out = tmp_path / "imported.duckdb"
    assert _check(_save(load("redcap"), choice.options[0], tmp_path), files, out, check=False).imported
    assert _months_imported(out) == _expected(EXPORT.read_text(encoding="utf-8"))


def test_a_dvt_date_in_sas_date9_style_brings_its_date_format(tmp_path):
    """Dates typed as 20SEP2021: the choice also writes [dates] formats = ["%d%b%Y"], which reads them."""
    rows = list(csv.reader(io.StringIO(EXPORT.read_text(encoding="utf-8"))))
    at = rows[0].index("date_of_dvt")
    for row in rows[1:]:
        if row[at]:
            row[at] = date.fromisoformat(row[at]).strftime("%d%b%Y").upper()
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    export = text.getvalue()
    assert "20SEP2021" in export
    files = _unvalidated(tmp_path, export)
    refused = _check("redcap", files, tmp_path / "refused.duckdb")
    choice = _choice(load("redcap"), files, refused)
    assert choice.options[0].text == AS_DATE
    assert choice.options[0].writes == (
        (("fields", "dvt_date"), "date_of_dvt"),
        (("fields", "months_since_dvt"), ""),
        (("dates", "formats"), ["%d%b%Y"]),
    )
    edited = _save(load("redcap"), choice.options[0], tmp_path)
    assert tomllib.loads(edited.read_text(encoding="utf-8"))["dates"] == {"formats": ["%d%b%Y"]}
    out = tmp_path / "imported.duckdb"
    report = _check(edited, files, out, check=False)
    assert report.imported, report.text()
    assert _months_imported(out) == _expected(export, parse=lambda t: date(*_date9(t)))


def _date9(text: str) -> tuple[int, int, int]:
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    return int(text[5:]), months.index(text[2:5]) + 1, int(text[:2])


def test_a_months_field_that_holds_dates_is_offered_again_as_the_dvt_date(tmp_path):
    """A profile that names the date field as the months (what the assistant offered before): the
    import refuses it naming dvt_date, and the assistant offers the field again, as the DVT's date."""
    profile_path = tmp_path / "months-are-dates.toml"
    profile_path.write_text(
        '[profile]\nname = "months-are-dates"\nversion = 1\nformat = "redcap"\nextends = "redcap"\n\n'
        '[fields]\nmonths_since_dvt = "date_of_dvt"\n',
        encoding="utf-8",
    )
    files = [EXPORT, DICTIONARY]
    refused = _check(profile_path, files, tmp_path / "refused.duckdb")
    assert "redcap:months_are_dates" in {r.rule for r in refused.rules if r.severity == "error"}
    profile = load(str(profile_path))
    choice = _choice(profile, files, refused)
    assert choice.label == "months_since_dvt (required): field date_of_dvt holds dates, not months"
    assert choice.options[0].text == AS_DATE
    out = tmp_path / "imported.duckdb"
    report = _check(_save(profile, choice.options[0], tmp_path), files, out, check=False)
    assert report.imported, report.text()
    assert _months_imported(out) == _expected(EXPORT.read_text(encoding="utf-8"))
