"""A corpus of database files broken the ways real files break, each with the check that must catch it.

Each broken file starts as an unconstrained copy of a valid generated file (tables created with
CREATE TABLE AS, as an export from another system would be: no CHECK, key or NOT NULL, derived
columns stored as plain values), then one mutation is applied.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

TABLES = ("dataset_info", "studies", "patients", "visits", "procedures", "events")
SOME_PATIENTS = "(SELECT patient_id FROM patients ORDER BY patient_id LIMIT 3)"
SOME_VISITS = "rowid IN (SELECT rowid FROM visits ORDER BY patient_id, visit_month LIMIT 4)"


@dataclass(frozen=True)
class Broken:
    name: str
    sql: str  # run on the unconstrained copy; "" for file-level damage (see build)
    expect: str  # a rule id (or its start) that must be reported
    severity: str = "error"


CORPUS = (
    Broken("age as text", "ALTER TABLE patients ALTER age_years TYPE VARCHAR", "type:patients.age_years"),
    Broken("visit month as text", "ALTER TABLE visits ALTER visit_month TYPE VARCHAR", "type:visits.visit_month"),
    Broken("Villalta total as text", "ALTER TABLE visits ALTER villalta_total TYPE VARCHAR", "type:visits.villalta"),
    Broken("visit schedule as a string", "ALTER TABLE studies ALTER visit_months TYPE VARCHAR", "type:studies"),
    Broken(
        "arm as 1/0",
        "ALTER TABLE patients ALTER arm TYPE INTEGER USING (CASE arm WHEN 'stent' THEN 1 ELSE 0 END)",
        "type:patients.arm",
    ),
    Broken("arm 'placebo'", f"UPDATE patients SET arm = 'placebo' WHERE patient_id IN {SOME_PATIENTS}", "allowed:"),
    Broken("duplicated patients", "INSERT INTO patients SELECT * FROM patients LIMIT 5", "unique:patients"),
    Broken("duplicated visits", "INSERT INTO visits SELECT * FROM visits LIMIT 5", "unique:visits"),
    Broken(
        "NULL patient id",
        f"UPDATE patients SET patient_id = NULL WHERE patient_id IN {SOME_PATIENTS}",
        "required:patients.patient_id",
    ),
    Broken("Villalta item of 9", f"UPDATE visits SET v_pain = 9 WHERE {SOME_VISITS}", "allowed:visits.v_pain"),
    Broken(
        "negative visit month", f"UPDATE visits SET visit_month = -6 WHERE {SOME_VISITS}", "allowed:visits.visit_month"
    ),
    Broken("age 150", f"UPDATE patients SET age_years = 150 WHERE patient_id IN {SOME_PATIENTS}", "allowed:patients"),
    Broken("age -3", f"UPDATE patients SET age_years = -3 WHERE patient_id IN {SOME_PATIENTS}", "allowed:patients"),
    Broken(
        "unknown obstruction site",
        f"UPDATE patients SET obstruction_site = 'popliteal' WHERE patient_id IN {SOME_PATIENTS}",
        "allowed:patients.obstruction_site",
    ),
    Broken("PTS band 'extreme'", f"UPDATE visits SET pts_band = 'extreme' WHERE {SOME_VISITS}", "derived:visits.pts"),
    Broken(
        "negative event day",
        "UPDATE events SET event_day = -10 WHERE rowid IN (SELECT rowid FROM events LIMIT 2)",
        "allowed:events.event_day",
    ),
    Broken(
        "NULL Villalta totals",
        f"UPDATE visits SET villalta_total = NULL WHERE {SOME_VISITS}",
        "derived:visits.villalta_total",
    ),
    Broken(
        "synthetic flag as text 'false'",
        "ALTER TABLE dataset_info ALTER synthetic TYPE VARCHAR; UPDATE dataset_info SET synthetic = 'false'",
        "type:dataset_info.synthetic",
    ),
    Broken(
        "visit of an unknown patient",
        "INSERT INTO visits SELECT * REPLACE ('GHOST' AS patient_id) FROM visits LIMIT 1",
        "reference:visits.patient_id",
    ),
    Broken(
        "patient of an unknown study",
        f"UPDATE patients SET study_id = 'OTHER' WHERE patient_id IN {SOME_PATIENTS}",
        "reference:patients.study_id",
    ),
    Broken("two dataset_info rows", "INSERT INTO dataset_info SELECT * FROM dataset_info", "rows:dataset_info"),
    Broken("no events table", "DROP TABLE events", "table:events"),
    Broken("no dataset_info table", "DROP TABLE dataset_info", "table:dataset_info"),
    Broken("no VCSS column", "ALTER TABLE visits DROP vcss", "columns:visits"),
    Broken("sex 'F'", f"UPDATE patients SET sex = 'F' WHERE patient_id IN {SOME_PATIENTS}", "allowed:patients.sex"),
    Broken(
        "stenosis of 120%",
        f"UPDATE patients SET stenosis_pct = 120 WHERE patient_id IN {SOME_PATIENTS}",
        "allowed:patients.stenosis_pct",
    ),
    Broken(
        "unknown event type",
        "UPDATE events SET event_type = 'heart_attack' WHERE rowid IN (SELECT rowid FROM events LIMIT 2)",
        "allowed:events.event_type",
    ),
    Broken("NULL event type", "UPDATE events SET event_type = NULL", "required:events.event_type"),
    Broken("two procedures for a patient", "INSERT INTO procedures SELECT * FROM procedures LIMIT 1", "unique:proc"),
    Broken(
        "two deaths for a patient",
        "INSERT INTO events SELECT * REPLACE (event_day - 1 AS event_day) FROM events "
        "WHERE event_type = 'death' AND event_day > 0 LIMIT 1",
        "unique_death:events",
    ),
    Broken("study design 'cohort'", "UPDATE studies SET design = 'cohort'", "allowed:studies.design"),
    Broken(
        "ulcer flag as text",
        "ALTER TABLE visits ALTER ulcer_present TYPE VARCHAR USING (CASE WHEN ulcer_present THEN 'yes' ELSE 'no' END)",
        "type:visits.ulcer_present",
    ),
    Broken(
        "stenosis grade that contradicts the percentage",
        "UPDATE patients SET stenosis_grade = 'occlusion' WHERE stenosis_pct < 70",
        "derived:patients.stenosis_grade",
    ),
    Broken("NULL visit day", f"UPDATE visits SET visit_day = NULL WHERE {SOME_VISITS}", "required:visits.visit_day"),
    Broken("enrollment date as text", "ALTER TABLE patients ALTER enrolled_on TYPE VARCHAR", "type:patients.enrolled"),
    Broken("empty file", "", "open"),
    Broken("not a database", "", "open"),
    Broken("truncated to half its size", "", "readable"),
    # Warnings: the numbers are shown, with a banner that links to the list.
    Broken(
        "visit outside the schedule",
        f"UPDATE visits SET visit_month = 7 WHERE visit_month = 6 AND patient_id IN {SOME_PATIENTS}",
        "schedule:visits",
        "warning",
    ),
    Broken(
        "patient without a baseline visit",
        f"DELETE FROM visits WHERE visit_month = 0 AND patient_id IN {SOME_PATIENTS}",
        "baseline:visits",
        "warning",
    ),
    Broken(
        "event after last contact",
        "UPDATE events SET event_day = event_day + 100000 WHERE rowid IN (SELECT rowid FROM events LIMIT 2)",
        "after_contact:events",
        "warning",
    ),
    Broken(
        "procedure for a medical-arm patient",
        "INSERT INTO procedures SELECT * REPLACE ((SELECT min(patient_id) FROM patients WHERE arm = 'medical') "
        "AS patient_id) FROM procedures LIMIT 1",
        "arm:procedures",
        "warning",
    ),
    Broken(
        "stent-only event for a medical-arm patient",
        "UPDATE events SET event_type = 'stent_thrombosis' WHERE rowid = (SELECT min(e.rowid) FROM events AS e "
        "JOIN patients AS p USING (patient_id) WHERE p.arm = 'medical' AND e.event_type = 'major_bleeding')",
        "arm:events",
        "warning",
    ),
    Broken(
        "death before the last contact",
        "UPDATE events SET event_day = event_day - 1 WHERE event_type = 'death' AND event_day > 0",
        "death:events",
        "warning",
    ),
    Broken(
        "stents placed in a failed procedure",
        "UPDATE procedures SET technical_success = FALSE WHERE rowid IN (SELECT rowid FROM procedures LIMIT 2)",
        "stents:procedures",
        "warning",
    ),
    Broken(
        "patency restored without a reintervention",
        "DELETE FROM events WHERE event_type = 'reintervention' AND (patient_id, event_day) IN "
        "(SELECT (patient_id, event_day) FROM events WHERE event_type = 'patency_restored' LIMIT 1)",
        "restored:events",
        "warning",
    ),
    Broken(
        "CEAP C6 without an ulcer",
        "UPDATE patients SET ceap_c = 'C6' WHERE patient_id IN (SELECT patient_id FROM visits "
        "WHERE visit_month = 0 AND NOT ulcer_present LIMIT 2)",
        "ceap:patients",
        "warning",
    ),
    Broken(
        "visit a year off its schedule",
        f"UPDATE visits SET visit_day = visit_day + 365 WHERE visit_month = 6 AND patient_id IN {SOME_PATIENTS}",
        "window:visits",
        "warning",
    ),
)
ERRORS = [b for b in CORPUS if b.severity == "error"]
WARNINGS = [b for b in CORPUS if b.severity == "warning"]


def unconstrained_copy(valid: Path, target: Path) -> Path:
    """The valid file's tables as plain CREATE TABLE AS copies (no constraints, derived values stored)."""
    con = duckdb.connect(str(target))
    try:
        con.execute(f"ATTACH '{valid}' AS src (READ_ONLY)")
        for table in TABLES:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
        con.execute("DETACH src")
    finally:
        con.close()
    return target


_PLAIN: dict[tuple[Path, int, int], Path] = {}  # (valid file, its mtime and size) -> its unconstrained copy


def _plain_copy(valid: Path, target: Path) -> Path:
    """unconstrained_copy(valid, target), made once per process and version of the valid file, then
    copied byte for byte: the same file each time, without rebuilding its tables for every case."""
    stat = valid.stat()
    key = (valid.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _PLAIN:
        folder = Path(tempfile.mkdtemp(prefix="pts-broken-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _PLAIN[key] = unconstrained_copy(valid, folder / "plain.duckdb")
    shutil.copyfile(_PLAIN[key], target)
    return target


def build(broken: Broken, valid: Path, folder: Path) -> Path:
    """Write the broken file into `folder`; the valid file is never modified."""
    target = folder / (broken.name.replace(" ", "_").replace("'", "").replace("/", "-") + ".duckdb")
    if broken.name == "empty file":
        target.write_bytes(b"")
    elif broken.name == "not a database":
        target.write_text("patient_id,arm\nP1,stent\n")
    elif broken.name.startswith("truncated"):
        data = _plain_copy(valid, folder / "whole.duckdb").read_bytes()
        target.write_bytes(data[: len(data) // 2])
    else:
        _plain_copy(valid, target)
        con = duckdb.connect(str(target))
        try:
            con.execute(broken.sql)
        finally:
            con.close()
    return target
