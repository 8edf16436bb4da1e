"""Numbers a page shows, counted again by the tests with SQL of their own, straight from the contract's
tables (never through the app's queries, derived tables or caches), so a page's whole line can be
compared with what the file holds."""

from pathlib import Path

import duckdb

from pts_explorer.config import DUCKDB_CONFIG

# A patient with a Villalta total recorded at a visit matching the condition on `v`.
SCORED = "exists (select 1 from visits v where v.patient_id = p.patient_id and v.villalta_total is not null and {})"
MARK = ":orange-badge[:material/science: synthetic data] · small cells hidden (k\u00a0=\u00a05)"  # the demo, protected
OPEN_ULCER_AT_BASELINE = (
    "exists (select 1 from visits v where v.patient_id = p.patient_id and v.visit_month = 0 and v.ulcer_present)"
)


def by_arm(db: Path | str, where: str = "true") -> str:
    """The n of a presenter's line, "<stent> stent, <medical> medical", for the patients `p` matching."""
    with duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG) as con:
        n = dict(con.execute(f"select arm, count(*) from patients p where {where} group by arm").fetchall())
    return f"{n.get('stent', 0):,} stent, {n.get('medical', 0):,} medical"


def effects_n(db: Path | str, where: str, month: int, score: str = "villalta_total") -> str:
    """The n of an Effects line: the trial's patients matching, with a baseline `score` and a later one
    (the MMRM's), and with one at `month` (the ANCOVA's)."""
    scored = f"exists (select 1 from visits v where v.patient_id = p.patient_id and v.{score} is not null and {{}})"
    trial = f"study_id = 'TRIAL' and {where} and {scored.format('v.visit_month = 0')}"
    later = by_arm(db, f"{trial} and {scored.format('v.visit_month > 0')}")
    at = by_arm(db, f"{trial} and {scored.format(f'v.visit_month = {month}')}")
    return f"{later} with a baseline and a later visit (MMRM; ANCOVA at month {month}: {at})"
