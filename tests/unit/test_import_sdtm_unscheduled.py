"""Unscheduled SDTM visits among the scheduled ones (tests/fixtures/sdtm_unscheduled, written by hand): the rule
that makes a scheduled visit the [visits] map misses an error (review 11, N7) places a visit by its records'
median study day too, and an unplanned visit a few weeks after month 6 or near month 12 is near a follow-up
month. Unscheduled visits, named so (UNSCHEDULED 3.1) or numbered between the planned visits (VISITNUM 4.1,
VISIT blank), are set aside with the unscheduled visits' warning the README states, never that error."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path

import duckdb

from pts_explorer.importer import Options, run_import

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "sdtm_unscheduled"
WARNING = (
    "visit in neither [visits] VISITNUM nor VISIT of the profile (unscheduled or unmapped): record of QS not imported"
)


def _rows(name: str) -> list[dict[str, str]]:
    with (HERE / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_unscheduled_visits_near_a_follow_up_month_are_set_aside_with_the_warning_not_refused(tmp_path):
    profile = tomllib.loads((HERE / "profile.toml").read_text(encoding="utf-8"))
    mapped = {float(k) for k in profile["visits"]["VISITNUM"]}
    left_out = {r["USUBJID"] for r in _rows("dm") if r["ARM"] in profile["population"]["exclude_arms"]}
    start = {r["USUBJID"]: dt.date.fromisoformat(r["RFSTDTC"]) for r in _rows("dm") if r["RFSTDTC"]}
    qs = [(line, r) for line, r in enumerate(_rows("qs"), start=2) if r["USUBJID"] not in left_out]
    unscheduled = [(line, r) for line, r in qs if float(r["VISITNUM"]) not in mapped]
    # the hand-written visits: near month 6 (day 205) and month 12 (day 356), few records, one or two subjects
    days = {
        (r["USUBJID"], r["VISITNUM"]): (dt.date.fromisoformat(r["QSDTC"]) - start[r["USUBJID"]]).days
        for _, r in unscheduled
    }
    assert days[("PTS-STENT-01-1001", "3.1")] == 205 and days[("PTS-STENT-01-1007", "4.1")] == 356
    report = run_import(
        HERE / "profile.toml",
        sorted(HERE.glob("*.csv")),
        tmp_path / "out.duckdb",
        Options(synthetic=True),
        progress=lambda _: None,
    )
    assert report.imported, report.text()
    assert "sdtm:unmapped_visit" not in set(report.issues.rule)
    found = report.issues[report.issues.rule == "sdtm:unscheduled"]
    shown = lambda r: f"{r['VISIT'] or '(blank)'} (VISITNUM {r['VISITNUM']})"  # noqa: E731
    assert sorted(
        zip(found.severity, found.file, found.line, found.record, found.value, found.message, strict=True)
    ) == sorted(("warning", "qs.csv", line, r["USUBJID"], shown(r), WARNING) for line, r in unscheduled)
    steps = {f.step: f.records for f in report.funnel if f.file == "qs.csv"}
    assert steps["visit not in [visits] (unscheduled or unmapped)"] == len(unscheduled)
    # the scheduled visits are imported as the records say, the unscheduled ones not at all
    expected = {
        (r["USUBJID"], profile["visits"]["VISITNUM"][r["VISITNUM"]]) for _, r in qs if float(r["VISITNUM"]) in mapped
    }
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
        visits = set(con.execute("SELECT patient_id, visit_month FROM visits").fetchall())
    assert visits == expected
