"""Derived tables, written with the data by the generator and the importer (queries/derived/):

- agg_patient_cells, agg_visit_cells: for every combination of the sidebar filter's dimensions
  (study, arm, site, grade, baseline band, sex, exact age, baseline ulcer), the sufficient
  statistics the Overview and Trajectories need (counts, sums, sums of squares);
- agg_responder_cells, agg_safety_event_cells, agg_safety_exposure_cells: the same dimensions
  with visit month and responder outcome, or with adverse event and period, for the responder
  counts and the safety rates; agg_responder_counts: the responder counts of those cells at each
  threshold a user may choose (vocab.RESPONDER_THRESHOLDS), so a page reads one threshold's rows;
- patient_cohort: the cohort relation's columns, stored; patient_visits: every visit with its
  patient's dimensions and month-0 values, so the analysis queries need no self-join;
- patient_events, patient_endpoints: each patient's first event days, and from them the clock of
  every time-to-event endpoint (Durability's, Compare's, and Safety's complication curves): the
  day it starts, the day it ends and how it ended, so those pages read one row per patient; and each
  patient's place in the order that draws the stable random samples (sample_rank: the Cox model's).

The fast twins in queries/fast/ read them. `derived_info` records the version of the derivation
and a fingerprint of the rows it was computed from: every contract table (the derived tables read
patients, visits, procedures, events and studies; the dataset's identity, which saved cohorts and
reproduce bundles check, also names dataset_info). A file any of whose tables changed afterwards
(or an older derivation) is answered from the contract tables instead, and the data checks say so
(stale_reason). `python -m pts_explorer.derived FILE` writes them again.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
from pathlib import Path

import duckdb

from pts_explorer import sql
from pts_explorer.atomic import write_atomically
from pts_explorer.config import QUERIES_DIR
from pts_explorer.vocab import CONTRACT_TABLES, DAYS_PER_MONTH

DERIVED_VERSION = (
    13  # 13: agg_responder_counts, the responder counts at each threshold a user may choose;
    # 12: patient_endpoints carries sample_rank (the Cox model's sample drawn by a cheap filter);
    # 11: patient_endpoints, each patient's clock (start, end, status) of every time-to-event endpoint;
    # 10: patient_cohort carries the baseline VCSS (a "More filters" attribute);
    # 9: the site of a high-grade obstruction (high_grade_site); patient_visits carries stenosis %, lesion
    # length and months since DVT (the effect modifiers);
    # 8: fingerprint of every contract table; 7: safety exposure in calendar days, patients followed in each period
)
DERIVED_DIR = QUERIES_DIR / "derived"
DERIVED_TABLES = (  # in order: a table may read those before it
    "agg_patient_cells",
    "agg_visit_cells",
    "patient_cohort",
    "patient_visits",
    "patient_events",
    "patient_endpoints",
    "agg_responder_cells",
    "agg_responder_counts",
    "agg_safety_event_cells",
    "agg_safety_exposure_cells",
)
# Every table a derived table or the dataset's identity reads: each one's rows, counted and hashed
# (a sum of row hashes, so the order of the rows does not matter), as `table:count:sum`, joined by |.
# When a file was written is not part of what it holds: the same rows built again are the same data.
FINGERPRINT_TABLES = CONTRACT_TABLES
_HASHED = {"dataset_info": "(SELECT * EXCLUDE (created_at) FROM dataset_info)"}
FINGERPRINT = "SELECT " + " || '|' || ".join(
    f"(SELECT '{t}:' || count(*) || ':' || coalesce(sum(hash(r)), 0) FROM {_HASHED.get(t, t)} AS r)"
    for t in FINGERPRINT_TABLES
)


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A digest of the rows of every contract table (per table: count and a sum of row hashes)."""
    (value,) = con.execute(FINGERPRINT).fetchone() or ("",)
    return str(value)


def short(value: str) -> str:
    """A fingerprint in 12 characters, for a reader to tell two datasets apart."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def _parts(value: str) -> dict[str, str]:
    return dict(part.split(":", 1) for part in value.split("|") if ":" in part)


_CREATE = re.compile(r"^(CREATE TABLE \w+ AS)\s+(WITH\s)?", re.MULTILINE)


def statement(name: str) -> str:
    """The CREATE statement of a derived table, its facts written once put in place (sql.expand), with
    the shared relations it reads (scheduled_visits, the one rule for which visits are analysed, as
    every query reads it; patient_attributes, the patients' baseline attributes) as CTEs."""
    text = sql.expand((DERIVED_DIR / f"{name}.sql").read_text(encoding="utf-8"))
    ctes = sql.shared_ctes(text)
    if not ctes:
        return text
    found = _CREATE.search(text)
    if found is None:
        raise ValueError(f"queries/derived/{name}.sql does not start with CREATE TABLE <name> AS")
    joint = f"{found.group(1)}\nWITH " + ",\n".join(ctes) + (",\n" if found.group(2) else "\n")
    return text[: found.start()] + joint + text[found.end() :]


def write_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Create the derived tables in the connection's current database, from its contract tables."""
    for name in DERIVED_TABLES:
        text = statement(name)
        # Every patient's rows: the derived tables are the whole file's (allowed_studies NULL); a user's
        # studies are chosen when a statement reads them (queries/fragments/allowed_studies.sql).
        given = {"days_per_month": DAYS_PER_MONTH, "allowed_studies": None}
        con.execute(text, {k: v for k, v in given.items() if f"${k}" in text} or None)
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


def stale_reason(con: duckdb.DuckDBPyConnection, current: str | None = None) -> str | None:
    """Why the file's derived tables are not used (None: they are current, or the file has none)."""
    try:
        row = con.execute("SELECT version, fingerprint FROM derived_info").fetchone()
    except duckdb.Error:
        return None
    if row is None:
        return "`derived_info` is empty, so the derived tables cannot be trusted"
    version, stored = row
    if version != DERIVED_VERSION:
        return f"the derived tables are of an older derivation (version {version}; this app writes {DERIVED_VERSION})"
    now = current or fingerprint(con)
    if stored == now:
        return None
    before, after = _parts(str(stored)), _parts(now)
    changed = [t for t in FINGERPRINT_TABLES if before.get(t) != after.get(t)]
    tables = ", ".join(f"`{t}`" for t in changed) or "the contract tables"
    return f"the derived tables are stale: {tables} changed after they were written"


def rebuild(path: Path) -> None:
    """Write the derived tables of a DuckDB file again, from its current contract tables, in a copy
    renamed over the file (a running app sees the old file or the new one)."""

    def build(tmp: Path) -> None:
        shutil.copyfile(path, tmp)
        con = duckdb.connect(str(tmp))
        try:
            con.execute("BEGIN")
            for name in (*DERIVED_TABLES, "derived_info"):
                con.execute(f"DROP TABLE IF EXISTS {name}")
            write_derived(con)
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()

    write_atomically(path, build)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pts_explorer.derived",
        description="Write the derived tables of a DuckDB outcomes file again, from its contract tables.",
    )
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"{args.file}: no such file", file=sys.stderr)
        return 1
    rebuild(args.file)
    print(f"{args.file}: derived tables written (version {DERIVED_VERSION})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
