"""Tiny contract databases written by hand, for tests whose expected values are worked out on
paper: each patient is a dict; defaults fill what the test does not care about."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb

from pts_explorer import db, derived
from pts_explorer.config import SCHEMA_PATH
from pts_explorer.filters import NOBODY, CohortFilter
from pts_explorer.vocab import VILLALTA_ITEMS

PATIENT_DEFAULTS = {
    "study_id": "TRIAL",
    "center_id": "C1",
    "arm": "stent",
    "enrolled_on": date(2020, 1, 1),
    "age_years": 50,
    "sex": "female",
    "bmi": 28.0,
    "limb_side": "left",
    "months_since_dvt": 12,
    "obstruction_site": "common_iliac",
    "stenosis_pct": 80,
    "lesion_length_mm": 60,
    "ceap_c": "C4a",
    "last_contact_day": 800,
}
STUDIES = {
    "TRIAL": ("Trial", "randomized", [0, 6, 12]),
    "REGISTRY": ("Registry", "observational", [0, 6, 12, 24]),
}


def _villalta_items(total: int) -> list[int]:
    """Eleven 0-3 items summing to `total`."""
    items = [0] * len(VILLALTA_ITEMS)
    for i in range(total):
        items[i % len(items)] += 1
    return items


def build(path: Path, patients: dict[str, dict]) -> Path:
    """A database with the given patients. Each patient dict may hold patient columns and:
    visits {month: villalta_total or (villalta_total, ulcer_present)}, procedure_day (stent arm),
    events [(day, event_type), ...]."""
    con = duckdb.connect(str(path))
    con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    con.execute("INSERT INTO dataset_info VALUES ('hand-made', TRUE, NULL, NULL, now(), 'test data')")
    for study_id, (name, design, months) in STUDIES.items():
        con.execute("INSERT INTO studies VALUES (?, ?, ?, ?, '')", [study_id, name, design, months])
    item_columns = ", ".join(VILLALTA_ITEMS)
    for patient_id, spec in patients.items():
        row = {**PATIENT_DEFAULTS, **{k: v for k, v in spec.items() if k in PATIENT_DEFAULTS}}
        con.execute(
            f"INSERT INTO patients ({', '.join(['patient_id', *row])}) VALUES ({', '.join('?' * (len(row) + 1))})",
            [patient_id, *row.values()],
        )
        for month, value in spec.get("visits", {0: 12}).items():
            total, ulcer = value if isinstance(value, tuple) else (value, False)
            con.execute(
                f"INSERT INTO visits (patient_id, visit_month, visit_day, {item_columns}, ulcer_present, vcss) "
                f"VALUES (?, ?, ?, {', '.join('?' * len(VILLALTA_ITEMS))}, ?, 8)",
                [patient_id, month, round(month * 30.4375), *_villalta_items(total), ulcer],
            )
        if "procedure_day" in spec:
            con.execute("INSERT INTO procedures VALUES (?, ?, TRUE, 1, 14, FALSE)", [patient_id, spec["procedure_day"]])
        for day, event_type in spec.get("events", []):
            con.execute("INSERT INTO events VALUES (?, ?, ?, TRUE)", [patient_id, day, event_type])
    con.execute("CHECKPOINT")
    con.close()
    return path


@contextlib.contextmanager
def opened(path: Path, patients: dict[str, dict]) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database of `patients` (build) with its derived tables, opened read-only as the app opens it
    (so a query's fast twin reads the derived tables); closed after."""
    build(path, patients)
    derived.rebuild(path)
    con = db.open_read_only(path)
    assert db.has_derived(con)
    try:
        yield con
    finally:
        con.close()


def prefixed(prefix: str, cohort: CohortFilter) -> dict:
    """A cohort's filter parameters under another slot's prefix (b_, x1_ ...)."""
    return {f"{prefix}{key}": value for key, value in cohort.as_params().items()}


def less(a: CohortFilter, b: CohortFilter) -> dict:
    """The parameters of cohort A less cohort B as Compare binds them, for either population: B in the b_
    slot (cohort_without_b) and in the first other slot x1_, nobody in x2_ and x3_ (cohort_alone)."""
    return {
        **a.as_params(),
        **prefixed("b_", b),
        **prefixed("x1_", b),
        **prefixed("x2_", NOBODY),
        **prefixed("x3_", NOBODY),
    }
