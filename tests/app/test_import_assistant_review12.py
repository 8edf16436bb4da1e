"""The Import page's assistant on what the sixth outside review of issue 23 found (tests/fixtures/review12, the
reviewer's files as written)."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import duckdb

from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from pts_explorer.importer.assistant_choices import NOT_A_VISIT
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


RC23 = sorted((HERE / "rc23").glob("*.csv"))


def test_follow_ups_in_a_repeating_instrument_are_offered_and_the_choices_import_every_visit(
    app_on, small_db, tmp_path
):
    """Finding 1: rc23 with rc23_v1.toml uploaded: the page said "Checked: no errors" with 29 follow-up rows
    lost and no assistant. The check is refused now, and the assistant offers [visits] instrument (villalta,
    first) and [visits] month (fu_month, first); after saving, its code 99 (Unscheduled) is offered as not a
    scheduled visit, and the third check passes with every visit of the export the reviewer counted (38)."""
    profile = HERE / "rc23_v1.toml"
    with (HERE / "rc23" / "PTSRC23_DATA_2024-11-04_1412.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    follow_ups = sum(1 for r in rows if r["redcap_repeat_instrument"] == "villalta" and r["fu_month"] != "99")
    baselines = sum(1 for r in rows if r["redcap_event_name"].startswith("baseline_") and r["v1_pain"])
    at, _ = checked(app_on, small_db, tmp_path, "redcap", [*RC23, profile])
    assert verdict(at, [*RC23, profile], tmp_path) == "rejected"
    instrument = at.selectbox(key="assist_choice_redcap_visits_instrument")
    assert instrument.label == (
        "[visits] instrument (required): rows of a repeating instrument hold visits the profile does not read; "
        "which one"
    )
    assert instrument.options[0] == "villalta (29 records)"
    instrument.set_value(instrument.options[0])
    month = at.selectbox(key="assist_choice_redcap_visits_month")
    assert month.options[0] == "fu_month"
    month.set_value("fu_month").run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    # round 2: the month radio's 99 (Unscheduled) is no month of the schedule: not a scheduled visit
    assert verdict(at, [*RC23, profile], tmp_path) == "rejected"
    code = at.selectbox(key="assist_choice_redcap_code_visit_month_99")
    assert (
        code.label
        == "[values.visit_month]: code 99 (Unscheduled) of field fu_month is no month of [study] visit_months"
    )
    code.set_value(NOT_A_VISIT).run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, [*RC23, profile], tmp_path) == "checked"
    saved = Path(at.selectbox(key="import_profile").value)
    out = tmp_path / "cli.duckdb"
    report = run_import(saved, RC23, out, Options(synthetic=False, check_only=False), progress=lambda _: None)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        (n,) = con.execute("SELECT count(*) FROM visits").fetchone() or (0,)
    assert (n, baselines) == (follow_ups + baselines, 10) and n == 38
