"""The derived tables' fingerprint covers every contract table: an edit of any one row of any of
them makes the derived tables stale (named by table), and `python -m pts_explorer.derived` writes
them again."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pts_explorer import db, derived, vocab
from pts_explorer.filters import CohortFilter
from tests.app.test_fresh_data import _copied_plainly

# One row of each contract table, edited as a data manager would (the file's keys kept).
EDITS = {
    "dataset_info": "UPDATE dataset_info SET description = description || ' (checked)'",
    "studies": "UPDATE studies SET study_name = study_name || ' v2' WHERE study_id = 'REGISTRY'",
    "patients": "UPDATE patients SET bmi = bmi + 1 WHERE patient_id = (SELECT min(patient_id) FROM patients)",
    "visits": "UPDATE visits SET vcss = vcss + 1 WHERE visit_month = 6 AND patient_id = "
    "(SELECT min(patient_id) FROM visits WHERE visit_month = 6)",
    "procedures": "UPDATE procedures SET stents_placed = stents_placed + 1 WHERE patient_id = "
    "(SELECT min(patient_id) FROM procedures WHERE technical_success)",
    "events": "UPDATE events SET serious = NOT serious WHERE patient_id = (SELECT min(patient_id) FROM events) "
    "AND event_day = (SELECT min(event_day) FROM events WHERE patient_id = (SELECT min(patient_id) FROM events))",
}


def _opened_fingerprint(path: Path) -> tuple[str, str | None, bool]:
    con = db.open_read_only(path)
    try:
        value = derived.fingerprint(con)
        return value, derived.stale_reason(con, value), db.has_derived(con)
    finally:
        con.close()


def test_every_contract_table_is_in_the_fingerprint():
    assert set(derived.FINGERPRINT_TABLES) == set(vocab.CONTRACT_TABLES)


@pytest.mark.parametrize("table", list(EDITS))
def test_an_edit_of_one_row_of_any_table_makes_the_derived_tables_stale(small_db, tmp_path, table):
    before, reason, current = _opened_fingerprint(small_db)
    assert reason is None and current
    edited = _copied_plainly(small_db, tmp_path, EDITS[table])
    after, reason, current = _opened_fingerprint(edited)
    assert not current
    assert reason == f"the derived tables are stale: `{table}` changed after they were written"
    changed = [a for a, b in zip(after.split("|"), before.split("|"), strict=True) if a != b]
    assert [part.split(":")[0] for part in changed] == [table]


def test_the_time_a_file_was_written_is_not_part_of_its_identity(small_db, tmp_path):
    edited = _copied_plainly(small_db, tmp_path, "UPDATE dataset_info SET created_at = created_at + INTERVAL 1 DAY")
    assert _opened_fingerprint(edited)[0] == _opened_fingerprint(small_db)[0]


def test_an_older_derivation_says_so(small_db, monkeypatch):
    con = db.open_read_only(small_db)
    monkeypatch.setattr(derived, "DERIVED_VERSION", derived.DERIVED_VERSION + 1)
    assert derived.stale_reason(con) == (
        f"the derived tables are of an older derivation (version {derived.DERIVED_VERSION - 1}; this app writes "
        f"{derived.DERIVED_VERSION})"
    )
    con.close()


def test_the_command_writes_stale_derived_tables_again(small_db, tmp_path):
    path = tmp_path / "edited.duckdb"
    shutil.copyfile(small_db, path)
    con = duckdb.connect(str(path))
    con.execute("UPDATE events SET event_type = 'restenosis' WHERE event_type = 'stent_thrombosis'")
    con.close()
    assert not _opened_fingerprint(path)[2]
    done = subprocess.run(
        [sys.executable, "-m", "pts_explorer.derived", str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{path}: derived tables written (version {derived.DERIVED_VERSION})"
    _, reason, current = _opened_fingerprint(path)
    assert current and reason is None
    con = db.open_read_only(path)
    params = {**CohortFilter().as_params(), "group": "none", "randomized_only": False}
    rows = db.run_query(con, "safety_events", params)
    rows = rows.sort_values(list(rows.columns))
    fast = db.run_query(con, "safety_events", params, fast=True).sort_values(list(rows.columns))
    con.close()
    assert "stent_thrombosis" not in set(fast.event_type)
    assert rows.reset_index(drop=True).equals(fast.reset_index(drop=True))
