"""The funnel counts records, not visits (outside review of #23, finding 1): an SDTM profile that
maps four visits but gives no [study] visit_months kept the baselines only, and the import
succeeded, because the schedule step counted the 32 visits it dropped against the 644 QS records
read ("kept 584"), so the check on a funnel that loses most of a file never fired. The reviewer's
own delivery and profile (tests/fixtures/reviewer_sdtm) are refused now, with the records lost."""

import csv
from pathlib import Path

from pts_explorer.importer import Options, run_import

FIXTURE = Path(__file__).parents[1] / "fixtures" / "reviewer_sdtm"


def test_a_schedule_that_drops_every_follow_up_visit_is_refused_counting_records(tmp_path):
    sources = sorted(FIXTURE.glob("*.csv"))
    # The reviewer's profile, with the coded results named as the format asks now ([qs] coded_result and
    # a value map for the ulcer's N/Y) and without its keys the format does not read (refused since review 18),
    # so that the missing schedule is its one problem.
    text = (FIXTURE / "profile_no_schedule.toml").read_text(encoding="utf-8")
    profile = tmp_path / "profile.toml"
    profile.write_text(
        text.replace('character_result = "QSSTRESC"', 'coded_result = "QSSTRESC"')
        .replace('seq = "PRSEQ"\n', "")
        .replace("bogus_key_xyz = 1\n", "")
        + '\n[values.ulcer_present]\nN = "false"\nY = "true"\n',
        encoding="utf-8",
    )
    report = run_import(profile, sources, tmp_path / "out.duckdb", Options(synthetic=True), progress=lambda _: None)
    assert not report.imported
    with (FIXTURE / "dm.csv").open(newline="") as handle:
        kept = {r["USUBJID"] for r in csv.DictReader(handle) if r["ARM"] != "Screen Failure"}
    with (FIXTURE / "qs.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["USUBJID"] in kept]
    # Independently: the records of the follow-up visits the profile maps (VISITNUM 2-4, months 1, 6, 12),
    # all dropped by the schedule [0]; those of visits it does not map, dropped before.
    follow_up = sum(r["VISITNUM"] in {"2", "3", "4"} for r in rows)
    unmapped = sum(r["VISITNUM"] not in {"1", "2", "3", "4"} for r in rows)
    schedule = "visit month not in the study's schedule ([study] visit_months)"
    unscheduled = "visit not in [visits] (unscheduled or unmapped)"
    qs = [(f.step, f.records) for f in report.funnel if f.file == "qs.csv"]
    assert qs == [
        ("read", len(rows)),
        (unscheduled, unmapped),
        (schedule, follow_up),
        ("would be kept (nothing imported)", len(rows) - unmapped - follow_up),
    ]
    (most,) = [r for r in report.rules if r.rule == "funnel:most_dropped"]
    assert (most.file, most.message) == (
        "qs.csv",
        f"{unmapped + follow_up} of the {len(rows)} records meant for import were set aside ({unscheduled}: "
        f"{unmapped}; {schedule}: {follow_up}): check the rule or profile key each step names in a copy of the "
        "profile",
    )
    assert not (tmp_path / "out.duckdb").exists()
