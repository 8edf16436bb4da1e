"""A REDCap project that records the DVT's date on the Import page (issue #23, items 7 and 11):
tests/fixtures/redcap_dvt_date (written by hand: the built-in profile's field names but for
`date_of_dvt`, validated as date_ymd, where the profile expects `months_since_dvt`) is refused with
the built-in profile; the mapping assistant offers the date field as the DVT's date (not as the
months, which the check would refuse); with that one choice made in the page the export checks
clean and imports, each patient's whole months from the DVT to enrolment equal to the calendar's
(recomputed here from the CSV), and the profile the page hands out carries `dvt_date` and imports
the same files from the command line into the same tables."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb

from tests.app.import_page import checked, verdict
from tests.app.test_import_sdtm_assistant import downloads  # noqa: F401 (a fixture)
from tests.databases import cli_import, table_rows
from tests.unit.test_assistant_dvt_date import AS_DATE, DICTIONARY, EXPORT, _expected

FILES = [EXPORT, DICTIONARY]


def test_a_refused_export_with_a_dvt_date_field_imports_by_the_choice_in_the_page(
    app_on,
    small_db,
    tmp_path,
    downloads,  # noqa: F811 (the fixture imported above)
):
    at, served = checked(app_on, small_db, tmp_path, "redcap", FILES)
    assert verdict(at, FILES, tmp_path) == "rejected"

    # One box for the months since the DVT; the date field first, as the DVT's date; no date offered as months.
    boxes = {b.key: b for b in at.selectbox if (b.key or "").startswith("assist_")}
    assert "assist_field_fields_months_since_dvt" not in boxes and "assist_field_fields_dvt_date" not in boxes
    box = boxes["assist_choice_redcap_dvt"]
    assert box.label.replace("\\", "") == "months_since_dvt (required): no source has months_since_dvt"
    assert box.value is None
    assert box.options[0] == AS_DATE
    assert "date_of_dvt" not in box.options and "prior_dvt_count" in box.options
    box.set_value(AS_DATE)
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "checked"
    saved = Path(at.selectbox(key="import_profile").value)
    assert saved.parent == served.parent / "profiles"
    fields = tomllib.loads(saved.read_text(encoding="utf-8"))["fields"]
    assert (fields["dvt_date"], fields["months_since_dvt"]) == ("date_of_dvt", "")

    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "imported"
    with duckdb.connect(str(served), read_only=True) as con:
        months = con.execute("SELECT patient_id, months_since_dvt FROM patients ORDER BY 1").fetchall()
    assert months == _expected(EXPORT.read_text(encoding="utf-8"))
    page = table_rows(served)

    # The profile the page hands out is the one saved; the command line imports the same tables with it.
    handed = downloads[saved.name]
    assert handed.decode("utf-8") == saved.read_text(encoding="utf-8")
    assert tomllib.loads(handed.decode("utf-8"))["fields"]["dvt_date"] == "date_of_dvt"
    downloaded = tmp_path / "downloaded.toml"
    downloaded.write_bytes(handed)
    out = tmp_path / "cli.duckdb"
    cli_import(downloaded, FILES, out)
    assert table_rows(out) == page
