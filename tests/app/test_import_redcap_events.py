"""REDCap events on the Import page (issue #23): an export whose unique event names differ from the
profile's [events] (tests/fixtures/redcap_events) is refused; the mapping assistant offers a month
or "not a visit" for each event it does not know, and with the choices made in the page the export
imports into the tables the unedited export gives with the unedited profile."""

from __future__ import annotations

import shutil
import tomllib

from pts_explorer.importer import Options, run_import
from tests.app.import_page import verdict
from tests.databases import table_rows
from tests.unit.test_assistant_events import FILES, REVIEW
from tests.unit.test_import_redcap_review import _v4_profile

PICKS = {
    "event enrolment_arm_1 ": "month 0",
    "event m6_arm_1 ": "month 6",
    "event m12_arm_1 ": "month 12",
    "event unscheduled_arm_1 ": "not a visit (patient fields on it are still read; its other rows are not imported)",
}


def test_a_refused_export_with_other_event_names_imports_by_event_choices_in_the_page(app_on, small_db, tmp_path):
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    (served.parent / "profiles").mkdir(parents=True)
    shutil.copyfile(small_db, served)
    profile = served.parent / "profiles" / "v4.toml"
    shutil.copyfile(_v4_profile(tmp_path), profile)
    at = app_on(served).run()
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value(str(profile))
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value([(f.name, f.read_bytes(), "text/csv") for f in FILES])
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "rejected"

    boxes = {b.label.replace("\\", ""): b for b in at.selectbox if (b.key or "").startswith("assist_choice_")}
    design = [label for label in boxes if label.startswith("[study] design")]  # asked, the profile's value chosen
    assert len(design) == 1 and boxes.pop(design[0]).value is not None
    assert sorted(label.split(" (")[0] for label in boxes) == sorted(k.strip() for k in PICKS)
    for label, box in boxes.items():
        assert box.value is None  # nothing chosen for the user
        box.set_value(next(v for k, v in PICKS.items() if label.startswith(k)))
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert verdict(at, FILES, tmp_path) == "checked"
    events = tomllib.loads(profile.read_text(encoding="utf-8"))["events"]
    assert {e: events.get(e) for e in ("enrolment_arm_1", "m6_arm_1", "m12_arm_1", "unscheduled_arm_1")} == {
        "enrolment_arm_1": 0,
        "m6_arm_1": 6,
        "m12_arm_1": 12,
        "unscheduled_arm_1": "",  # not a visit, said so (review 9, finding 6)
    }

    at.button(key="import_run").click().run()
    assert verdict(at, FILES, tmp_path) == "imported"
    want = tmp_path / "original.duckdb"
    original = [REVIEW / "v4_records_raw.csv", REVIEW / "v4_dictionary.csv"]
    assert run_import(_v4_profile(tmp_path), original, want, Options(synthetic=True), progress=lambda _: None).imported
    assert table_rows(served) == table_rows(want)
    assert table_rows(want)["visits"]
