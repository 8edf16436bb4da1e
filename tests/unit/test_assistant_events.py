"""The mapping assistant and REDCap events (issue #23): an export whose unique event names differ
from the profile's [events] (tests/fixtures/redcap_events: the reviewer's v4 export with
baseline_arm_1 -> enrolment_arm_1, month_6_arm_1 -> m6_arm_1, month_12_arm_1 -> m12_arm_1) is
refused; the assistant offers each unknown event with a month (or not a visit), and the profile
written with those choices imports the export into the tables the unedited export gives."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

from pts_explorer.importer import Options, assistant, assistant_choices, run_import
from pts_explorer.importer.formats import load
from tests.databases import table_rows
from tests.unit.test_import_redcap_review import HERE as REVIEW
from tests.unit.test_import_redcap_review import _v4_profile

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "redcap_events"
FILES = [HERE / "records_raw.csv", HERE / "dictionary.csv"]


def _run(profile: Path, files: list[Path], out: Path, check: bool = False):
    return run_import(profile, files, out, Options(synthetic=True, check_only=check), progress=lambda _: None)


def test_unknown_redcap_events_are_offered_a_month_and_the_mapped_profile_imports(tmp_path):
    base = _v4_profile(tmp_path)
    refused = _run(base, FILES, tmp_path / "refused.duckdb", check=True)
    assert not refused.imported and refused.errors
    assert "redcap:events" in {r.rule for r in refused.rules}

    profile = load(base)
    found = assistant_choices.survey(profile, FILES)
    with (HERE / "records_raw.csv").open(encoding="utf-8", newline="") as handle:
        counts: dict[str, int] = {}
        for row in csv.DictReader(handle):
            counts[row["redcap_event_name"]] = counts.get(row["redcap_event_name"], 0) + 1
    choices = assistant_choices.event_choices(profile, found)
    unknown = sorted(e for e in counts if e not in profile.section("events"))
    assert [c.label for c in choices] == [
        f"event {e} ({counts[e]:,} record{'' if counts[e] == 1 else 's'}): not in [events]" for e in unknown
    ]
    assert all(c.default is None for c in choices)  # the assistant suggests, the user chooses

    picks = {"enrolment_arm_1": "month 0", "m6_arm_1": "month 6", "m12_arm_1": "month 12"}
    picks["unscheduled_arm_1"] = assistant_choices.NOT_AN_EVENT_VISIT
    writes = []
    for c in choices:
        texts = [o.text for o in c.options]
        event = c.label.split()[1]
        writes += c.options[texts.index(picks[event])].writes
    writes = assistant_choices.schedule(profile, writes)
    data = assistant.edited(profile, {}, {}, None, writes)
    edited = tmp_path / "profiles" / "redcap-events.toml"
    edited.parent.mkdir()
    edited.write_text(assistant.dumps(data), encoding="utf-8")
    events = tomllib.loads(edited.read_text(encoding="utf-8"))["events"]
    assert {e: events.get(e) for e in counts} == {
        "enrolment_arm_1": 0,
        "m6_arm_1": 6,
        "m12_arm_1": 12,
        "unscheduled_arm_1": "",  # not a visit, said so (review 9, finding 6)
    }

    out = tmp_path / "mapped.duckdb"
    report = _run(edited, FILES, out)
    assert report.imported, report.text()
    assert "redcap:event" not in set(report.issues["rule"].astype(str))  # no warning of the event said to be none
    # The same tables as the export with the profile's own event names.
    want = tmp_path / "original.duckdb"
    assert _run(base, [REVIEW / "v4_records_raw.csv", REVIEW / "v4_dictionary.csv"], want).imported
    assert table_rows(out) == table_rows(want)
    assert table_rows(want)["visits"]


def test_each_event_is_offered_what_its_name_says_first(tmp_path):
    """A suggestion only (nothing is chosen for the user): the month in the name, month 0 for an
    enrolment event, not a visit for an unscheduled one."""
    profile = load(_v4_profile(tmp_path))
    found = assistant_choices.survey(profile, FILES)
    first = {c.label.split()[1]: c.options[0].text for c in assistant_choices.event_choices(profile, found)}
    assert first == {
        "enrolment_arm_1": "month 0",
        "m12_arm_1": "month 12",
        "m6_arm_1": "month 6",
        "unscheduled_arm_1": assistant_choices.NOT_AN_EVENT_VISIT,
    }
