"""The mapping assistant on the Import page, review 8 of issue #23 (an outside reviewer's own files,
tests/fixtures/review8_sdtm, see its README).

Finding 2: a third arm ("STENT + CDT") that the user chooses to leave out of the import must be left
out: the profile the page saves and hands out carries it in `[population] exclude_arms` (beside the
built-in's screen-failure arms), the check then passes, and the command line imports the downloaded
profile with that arm's patients left out. The patients expected are counted here from DM itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import duckdb
import pandas as pd

from pts_explorer.config import PROJECT_ROOT
from tests.app.test_import_sdtm_assistant import downloads  # noqa: F401 (a fixture)
from tests.databases import table_rows

SDTM = PROJECT_ROOT / "tests" / "fixtures" / "review8_sdtm"
SDTM_FILES = sorted(SDTM.glob("*.xpt"))
LEAVE_OUT = "(leave its patients out: [population] exclude_arms)"


def _served(small_db: Path, tmp_path: Path, profile: Path) -> tuple[Path, Path]:
    served = tmp_path / "served" / "pts_outcomes.duckdb"
    (served.parent / "profiles").mkdir(parents=True)
    shutil.copyfile(small_db, served)
    mine = served.parent / "profiles" / profile.name
    shutil.copyfile(profile, mine)
    return served, mine


def _check(at, profile: Path, files: list[Path]) -> None:
    at.switch_page("app_pages/import_data.py").run()
    at.selectbox(key="import_profile").set_value(str(profile))
    at.radio(key="import_synthetic").set_value("Synthetic (simulated)")
    at.file_uploader(key="import_files").set_value(
        [(f.name, f.read_bytes(), "application/octet-stream") for f in files]
    )
    at.run()
    at.button(key="import_check").click().run()
    assert not at.exception, at.exception


def _value_boxes(at) -> dict[str, object]:
    return {b.key: b for b in at.selectbox if (b.key or "").startswith("assist_value_")}


def test_leaving_a_third_arm_out_in_the_page_leaves_its_patients_out(app_on, small_db, tmp_path, downloads):  # noqa: F811
    served, mine = _served(small_db, tmp_path, SDTM / "pts01-sdtm.toml")
    at = app_on(served).run()
    _check(at, mine, SDTM_FILES)
    assert at.error[0].value.startswith("**Rejected: ")

    # The arm's value is asked, nothing chosen for it until the user says so; leaving its patients out is offered.
    boxes = _value_boxes(at)
    arm = boxes["assist_value_arm:'STENT + CDT'"]
    assert arm.value is None
    assert arm.options == [LEAVE_OUT, "stent", "medical"]
    assert sorted(k for k in boxes if k.startswith("assist_value_obstruction_site")) == [
        "assist_value_obstruction_site:'COMMON FEMORAL'",
        "assist_value_obstruction_site:'COMMON ILIAC'",
    ]
    arm.set_value(LEAVE_OUT)
    boxes["assist_value_obstruction_site:'COMMON FEMORAL'"].set_value("common_femoral")
    boxes["assist_value_obstruction_site:'COMMON ILIAC'"].set_value("common_iliac")
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info][0].startswith("**Checked: no errors"), [e.value for e in at.error]

    saved = Path(at.selectbox(key="import_profile").value)
    profile = tomllib.loads(saved.read_text(encoding="utf-8"))
    builtin = tomllib.loads((PROJECT_ROOT / "pts_explorer/importer/formats/sdtm.toml").read_text(encoding="utf-8"))
    assert profile["population"] == {"exclude_arms": [*builtin["population"]["exclude_arms"], "STENT + CDT"]}
    handed = downloads[saved.name]
    assert handed.decode("utf-8") == saved.read_text(encoding="utf-8")

    # The downloaded profile on the command line: every DM subject but those of the arms left out.
    downloaded = tmp_path / "downloaded.toml"
    downloaded.write_bytes(handed)
    out = tmp_path / "cli.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "pts_explorer.importer", "--profile", str(downloaded), "--out", str(out)]
        + ["--synthetic", "--quiet", *map(str, SDTM_FILES)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    dm = pd.read_sas(SDTM / "dm.xpt", format="xport", encoding="utf-8")
    left_out = {"SCREEN FAILURE", "STENT + CDT"}
    expected = sorted(dm.loc[~dm.ARM.str.strip().str.upper().isin(left_out), "USUBJID"].str.strip())
    assert len(expected) == 8  # 10 subjects: one screen failure, one of the third arm
    with duckdb.connect(str(out), read_only=True) as con:
        imported = [r[0] for r in con.execute("SELECT patient_id FROM patients ORDER BY 1").fetchall()]
    assert imported == expected

    # The page imports the same tables.
    at.button(key="import_run").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success][0].startswith("**Imported ")
    assert table_rows(served) == table_rows(out)


CLASSIC = PROJECT_ROOT / "tests" / "fixtures" / "review8_redcap_classic"
CLASSIC_FILES = sorted(CLASSIC.glob("*.csv"))


def test_a_lacking_adverse_event_field_the_check_names_is_offered(app_on, small_db, tmp_path):
    """Finding 1a: the check names 'ae_type' ([adverse_events] event_type) as lacking; the page offers that
    key (the export's AE term field first), and with it chosen the export checks clean."""
    served, mine = _served(small_db, tmp_path, CLASSIC / "registry.toml")
    at = app_on(served).run()
    _check(at, mine, CLASSIC_FILES)
    assert [e.value for e in at.error][0].startswith("**Rejected: ")
    box = at.selectbox(key="assist_field_adverse_events_event_type")
    assert box.label.replace("\\", "") == "[adverse_events] event_type (required): no source has ae_type"
    assert box.value is None
    assert box.options[:3] == ["ae_term", "ae_date", "ae_serious"]
    box.set_value("ae_term")
    at.run()
    at.button(key="assist_save").click().run()
    assert not at.exception, at.exception
    assert [i.value for i in at.info][0].startswith("**Checked: no errors"), [e.value for e in at.error]
    saved = tomllib.loads(Path(at.selectbox(key="import_profile").value).read_text(encoding="utf-8"))
    assert saved["adverse_events"] == {
        "instrument": "adverse_events",
        "event_type": "ae_term",
        "event_date": "ae_date",
        "serious": "ae_serious",
    }
