"""The Import page's assistant on what the sixth outside review of issue 23 found (tests/fixtures/review12, the
reviewer's files as written)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

from pts_explorer.config import PROJECT_ROOT
from tests.app.import_page import checked, verdict

HERE = PROJECT_ROOT / "tests" / "fixtures" / "review12"
CSV23C = sorted((HERE / "csv23c").glob("*.csv"))


def test_day_first_dates_of_contract_csvs_are_fixed_in_the_page_in_a_second_round(app_on, small_db, tmp_path):
    """Finding 2: csv23c (";", decimal comma, dates 07/03/2021) with the contract profile. Round 1 offered the
    delimiter and decimal comma; after "Save and check again" the one error left (enrolled_on) had no
    assistant at all. Round 2 now offers [dates] formats, "%d/%m/%Y" first (it reads every date; a day above
    12 rules out month first), and a third check passes."""
    with (HERE / "csv23c" / "patients.csv").open(encoding="utf-8-sig", newline="") as handle:
        dates = sorted({r["enrolled_on"] for r in csv.DictReader(handle, delimiter=";")})
    at, _ = checked(app_on, small_db, tmp_path, "contract", CSV23C)
    assert at.selectbox(key="assist_choice_csv_delimiter").value == "semicolon (';')"
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, CSV23C, tmp_path) == "rejected"
    box = at.selectbox(key="assist_choice_date_formats")
    assert box.label == (
        f"[dates] formats: {len(dates)} date values of enrolled_on are not ISO 8601 ({', '.join(dates[:3])}, ...); "
        "the style they are written in (the one the messages suggest first)"
    )
    assert box.options[0] == f"%d/%m/%Y (reads {dates[0]})"
    box.set_value(box.options[0]).run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, CSV23C, tmp_path) == "checked"
    saved = Path(at.selectbox(key="import_profile").value)
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert {k: v for k, v in data.items() if k != "profile"} == {
        "csv": {"delimiter": ";", "decimal_separator": ","},
        "dates": {"formats": ["%d/%m/%Y"]},
    }
