"""queries/more_filter_distribution.sql is written by the SQL composer from vocab.MORE_FILTERS (one SELECT per
range, more_filter_spread()), as more_filter() is: it answers as the hand-written file did, and a range added
to the vocabulary is counted without touching the SQL."""

from __future__ import annotations

import pandas as pd
import pytest

from pts_explorer import db, sql, vocab

# The file as it was written by hand, one block per range (before the composer wrote it).
HAND_WRITTEN = (
    "\nUNION ALL\n".join(
        f"""SELECT
    '{key}' AS field,
    CAST(floor({column}) AS INTEGER) AS value,
    count(*) AS patients,
    max({column}) AS top
FROM patient_attributes
GROUP BY CAST(floor({column}) AS INTEGER)"""
        for key, column in (
            ("stenosis", "stenosis_pct"),
            ("length", "lesion_length_mm"),
            ("dvt", "months_since_dvt"),
            ("bmi", "bmi"),
            ("bvillalta", "baseline_villalta"),
            ("bvcss", "baseline_vcss"),
            ("enrolled", "year(enrolled_on)"),
            ("followup", "CAST(last_contact_day AS DOUBLE) / 30.4375"),
        )
    )
    + "\nORDER BY field, value"
)


@pytest.fixture
def fresh_sql_caches():
    yield
    for cached in (sql._files, sql.load_sql, sql.dependencies, sql.compose):
        cached.cache_clear()


def _hand_written(con) -> pd.DataFrame:
    patients = sql.compose("patient_attributes")
    # every study: the user of this comparison may see all (pts_explorer/access.py)
    return con.execute(f"WITH patient_attributes AS ({patients})\n{HAND_WRITTEN}", {"allowed_studies": None}).df()


def test_the_composed_distribution_answers_as_the_hand_written_file_did_on_the_demo(demo_con):
    new = db.run_query(demo_con, "more_filter_distribution", {})
    old = _hand_written(demo_con)
    assert len(new) == len(old) > 100
    pd.testing.assert_frame_equal(new.reset_index(drop=True), old.reset_index(drop=True))


def test_a_range_added_to_the_vocabulary_is_counted_without_touching_the_sql(small_con, monkeypatch, fresh_sql_caches):
    age = vocab.MoreFilter("age2", "age_years", "Age at enrolment", "range", bounds=(18, 100), unit="years")
    monkeypatch.setitem(vocab.MORE_FILTERS, "age2", age)
    for cached in (sql.load_sql, sql.compose):
        cached.cache_clear()
    spread = db.run_query(small_con, "more_filter_distribution", {})
    ages = small_con.execute(
        "SELECT CAST(floor(age_years) AS INTEGER) AS value, count(*) AS patients FROM patients GROUP BY 1 ORDER BY 1"
    ).df()
    rows = spread[spread.field == "age2"]
    assert dict(zip(rows.value.astype(int), rows.patients.astype(int), strict=True)) == dict(
        zip(ages.value.astype(int), ages.patients.astype(int), strict=True)
    )
    assert sorted(spread.field.unique()) == sorted(k for k, f in vocab.MORE_FILTERS.items() if f.kind == "range")
