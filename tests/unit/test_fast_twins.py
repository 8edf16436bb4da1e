"""Every fast twin (queries/fast/) answers exactly what its query answers over the contract
tables, on many random cohorts and settings; a file whose rows changed after its derived tables
were written is answered from the contract tables."""

import random
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from pts_explorer import db, derived, sql, vocab
from pts_explorer.filters import CohortFilter
from tests.tiers import examples
from tests.unit.test_queries import SAMPLE_PARAMS

COHORTS = examples(30)  # random cohorts per twin: 10 under the quick profile (tests/tiers.py)


def _random_cohort(rng: random.Random, studies: list[str]) -> CohortFilter:
    def some(options):
        return tuple(rng.sample(list(options), rng.randint(0, len(options)))) if rng.random() < 0.5 else ()

    low = rng.randint(vocab.AGE_MIN, 70)
    return CohortFilter(
        study=some(studies),
        arm=some(vocab.ARMS),
        site=some(vocab.SITES),
        grade=some(vocab.GRADES),
        band=some(vocab.BANDS),
        sex=some(vocab.SEXES),
        age=(low, rng.randint(low, vocab.AGE_MAX)) if rng.random() < 0.5 else (vocab.AGE_MIN, vocab.AGE_MAX),
        ulcer=rng.choice([None, None, "yes", "no"]),
    )


def _random_params(rng: random.Random, studies: list[str]) -> dict:
    return {
        **SAMPLE_PARAMS,
        **_random_cohort(rng, studies).as_params(),
        **{f"b_{key}": value for key, value in _random_cohort(rng, studies).as_params().items()},
        "outcome": rng.choice(list(vocab.OUTCOMES)),
        "by_study": rng.random() < 0.5,
        "visit_month": rng.choice([1, 3, 6, 12, 24, 60]),
        "randomized_only": rng.random() < 0.5,
        "max_patients": rng.choice([20, 20_000]),  # a real sample, and everyone
        "per_arm": rng.choice([1, 5]),
        "threshold": float(rng.randint(1, 10)),
        "group": rng.choice(["arm", "obstruction_site", "stenosis_grade"]),  # Durability's and Safety's groupings
    }


def _same(slow: pd.DataFrame, fast: pd.DataFrame, name: str) -> None:
    """Equal columns and rows; relations without ORDER BY (cohort...) in any order."""
    assert list(slow.columns) == list(fast.columns), name
    assert len(slow) == len(fast), name
    if "ORDER BY" not in sql.load_sql(name).split("\n)")[-1]:
        slow = slow.sort_values(list(slow.columns)).reset_index(drop=True)
        fast = fast.sort_values(list(fast.columns)).reset_index(drop=True)
    for column in slow.columns:
        a, b = slow[column].to_numpy(), fast[column].to_numpy()
        if slow[column].dtype.kind == "f" or fast[column].dtype.kind == "f":
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-9, equal_nan=True)
        else:
            assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], (name, column)


def test_the_twins_are_the_expected_ones():
    assert set(sql.fast_names()) >= {
        "cohort",
        "cohort_counts",
        "trajectory_summary",
        "band_distribution",
        "baseline_continuous",
        "baseline_categorical",
        "analysis_visit",
        "analysis_long",
        "responders_by_visit",
        "responder_thresholds",
        "safety_events",
        "safety_exposure",
    }
    assert set(sql.fast_names()) <= set(sql.query_names())  # a twin always has its original


@pytest.mark.parametrize("name", sql.fast_names())
def test_a_twin_answers_what_the_rows_answer_on_random_cohorts(small_con, name):
    rng = random.Random(name)
    studies = [r[0] for r in small_con.execute("SELECT study_id FROM studies").fetchall()]
    for _ in range(COHORTS):
        params = _random_params(rng, studies)
        _same(db.run_query(small_con, name, params), db.run_query(small_con, name, params, fast=True), name)


def test_every_twin_answers_on_the_demo_cohort_too(demo_con):
    for name in sql.fast_names():
        _same(db.run_query(demo_con, name, SAMPLE_PARAMS), db.run_query(demo_con, name, SAMPLE_PARAMS, True), name)


def test_queries_that_read_a_twin_run_fast_too(small_con):
    """Statements without a twin of their own (time_to_event, responders...) read the fast cohort."""
    for name in ("time_to_event", "km_counts", "responders_by_visit", "safety_events"):
        assert sql.compose(name, fast=True) != sql.compose(name)
        _same(db.run_query(small_con, name, SAMPLE_PARAMS), db.run_query(small_con, name, SAMPLE_PARAMS, True), name)


def test_generated_files_have_current_derived_tables(small_db):
    con = db.open_read_only(small_db)
    assert db.has_derived(con)
    con.close()


def test_a_file_changed_after_its_derived_tables_were_written_is_answered_from_rows(small_db, tmp_path):
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(small_db, changed)
    con = duckdb.connect(str(changed))
    con.execute("UPDATE visits SET v_pain = 3 - v_pain WHERE visit_month = 6")
    con.close()
    opened = db.open_read_only(changed)
    assert not db.has_derived(opened)  # the derived tables no longer describe the rows
    opened.close()


def test_an_older_derivation_is_not_used(small_db, monkeypatch):
    con = db.open_read_only(small_db)
    monkeypatch.setattr(derived, "DERIVED_VERSION", derived.DERIVED_VERSION + 1)
    assert not db.has_derived(con)
    con.close()
