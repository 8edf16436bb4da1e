"""Derived tables, written with the data by the generator and the importer (queries/derived/):

- agg_patient_cells, agg_visit_cells: for every combination of the sidebar filter's dimensions
  (study, arm, site, grade, baseline band, sex, exact age, baseline ulcer), the sufficient
  statistics the Overview and Trajectories need (counts, sums, sums of squares);
- agg_responder_cells, agg_safety_event_cells, agg_safety_exposure_cells: the same dimensions
  with visit month and responder outcome, or with adverse event and period, for the responder
  counts and the safety rates;
- patient_cohort: the cohort relation's columns, stored; patient_visits: every visit with its
  patient's dimensions and month-0 values, so the analysis queries need no self-join.

The fast twins in queries/fast/ read them. `derived_info` records the version of the derivation
and a fingerprint of the rows it was computed from: a file whose patients or visits changed
afterwards (or an older derivation) is answered from the contract tables instead.
"""

from __future__ import annotations

import duckdb

from pts_explorer.config import QUERIES_DIR
from pts_explorer.vocab import DAYS_PER_MONTH

DERIVED_VERSION = 7  # 7: safety exposure in calendar days, patients followed in each period
DERIVED_DIR = QUERIES_DIR / "derived"
DERIVED_TABLES = (  # in order: a table may read those before it
    "agg_patient_cells",
    "agg_visit_cells",
    "patient_cohort",
    "patient_visits",
    "patient_events",
    "agg_responder_cells",
    "agg_safety_event_cells",
    "agg_safety_exposure_cells",
)
FINGERPRINT = (
    "SELECT (SELECT count(*) FROM patients) || ':' || (SELECT coalesce(sum(hash(p)), 0) FROM patients AS p) || ':' "
    "|| (SELECT count(*) FROM visits) || ':' || (SELECT coalesce(sum(hash(v)), 0) FROM visits AS v)"
)


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the patient and visit rows (counts and a sum of row hashes)."""
    (value,) = con.execute(FINGERPRINT).fetchone() or ("",)
    return str(value)


def write_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Create the derived tables in the connection's current database, from its contract tables."""
    for name in DERIVED_TABLES:
        text = (DERIVED_DIR / f"{name}.sql").read_text(encoding="utf-8")
        con.execute(text, {"days_per_month": DAYS_PER_MONTH} if "$days_per_month" in text else None)
    con.execute(
        "CREATE TABLE derived_info AS SELECT $version AS version, $fingerprint AS fingerprint",
        {"version": DERIVED_VERSION, "fingerprint": fingerprint(con)},
    )


def usable(con: duckdb.DuckDBPyConnection, current: str | None = None) -> bool:
    """Whether the file's derived tables are of this version and computed from its current rows
    (`current`: the rows' fingerprint, when the caller has it already)."""
    try:
        row = con.execute("SELECT version, fingerprint FROM derived_info").fetchone()
    except duckdb.Error:
        return False
    return row is not None and row[0] == DERIVED_VERSION and row[1] == (current or fingerprint(con))
