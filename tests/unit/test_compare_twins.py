"""Compare's statements over a cohort less the patients of other cohorts (`name@cohort_without_b`,
`name@cohort_alone`) run from the derived tables (sql.CELL_POPULATIONS: the cohort's filter less the
other filters, in the cells and per-patient tables) and answer the same rows as over the contract
tables: on a hand-made file whose edge cases are written out below (cohorts that overlap, A = B, an
empty B, B holding all of A, a patient with no visit after baseline, one with no baseline visit, whom
a filter on the baseline band cannot judge), on the demo, and on random cohorts of the small file."""

import itertools
import random

import pandas as pd
import pytest

from pts_explorer import db, sql, vocab
from pts_explorer.analytics import compare
from pts_explorer.filters import NOBODY, CohortFilter
from tests import handmade
from tests.unit.test_fast_twins import _random_cohort, _random_params, _same
from tests.unit.test_queries import SAMPLE_PARAMS

TRIAL_VISITS = {0: 16, 6: 10, 12: 8}  # handmade's TRIAL schedule: months 0, 6, 12
PATIENTS = {
    "iliac_f50": {"procedure_day": 0, "visits": TRIAL_VISITS, "events": [(100, "restenosis")]},
    "iliac_m62": {"sex": "male", "age_years": 62, "procedure_day": 2, "visits": {0: 20, 6: 9, 12: 12}},
    "femoral_f40": {"obstruction_site": "common_femoral", "age_years": 40, "procedure_day": 1, "visits": TRIAL_VISITS},
    "medical_m55": {"arm": "medical", "sex": "male", "age_years": 55, "visits": {0: 12, 6: 13, 12: 11}},
    "medical_f70": {"arm": "medical", "age_years": 70, "visits": {0: (18, True), 6: (11, False)}},
    # no visit after baseline, and last contact on day 0
    "baseline_only": {"arm": "medical", "age_years": 45, "last_contact_day": 0, "visits": {0: 9}},
    # no baseline visit: no baseline band, which a band filter cannot judge
    "no_baseline": {"sex": "male", "age_years": 58, "procedure_day": 3, "visits": {6: 7, 12: 6}},
    "occluded_m33": {"sex": "male", "age_years": 33, "stenosis_pct": 100, "procedure_day": 0, "visits": TRIAL_VISITS},
    "registry_f66": {"study_id": "REGISTRY", "age_years": 66, "procedure_day": 0, "visits": {0: 14, 6: 8, 24: 5}},
    "registry_m48": {"study_id": "REGISTRY", "sex": "male", "age_years": 48, "arm": "medical", "visits": {0: 10}},
}
WOMEN = CohortFilter(sex=("female",))
PAIRS = {  # (A, B) as Compare asks for them
    "overlapping": (CohortFilter(site=("common_iliac",)), CohortFilter(age=(40, 90))),
    "the same": (WOMEN, WOMEN),
    "empty B": (CohortFilter(), NOBODY),
    "B holds all of A": (WOMEN, CohortFilter()),
    "A holds all of B": (CohortFilter(), CohortFilter(arm=("stent",), study=("TRIAL",))),
    "disjoint": (WOMEN, CohortFilter(sex=("male",))),
    "B by baseline band": (CohortFilter(), CohortFilter(band=("mild", "moderate", "severe"))),
    "B by ulcer and age": (CohortFilter(age=(40, 70)), CohortFilter(ulcer="no", age=(18, 60))),
}
# Compare's statements (compare.compare_cohorts and compare_several), with the settings they vary by
STATEMENTS = (
    ("trajectory_summary", {"outcome": "villalta_total", "by_study": False}),
    ("trajectory_summary", {"outcome": "vcss", "by_study": True}),
    ("baseline_continuous", {}),
    ("baseline_categorical", {}),
    ("responders_by_visit", {"threshold": 4.0, "randomized_only": False}),
    ("responders_by_visit", {"threshold": 2.0, "randomized_only": True}),
    ("km_counts", {"endpoint": "primary_patency", "group": "study_id", "randomized_only": False}),
    ("km_counts", {"endpoint": "freedom_from_recurrent_dvt", "group": "arm", "randomized_only": True}),
)


@pytest.fixture(scope="module")
def handmade_con(tmp_path_factory):
    with handmade.opened(tmp_path_factory.mktemp("compare") / "pairs.duckdb", PATIENTS) as con:
        yield con


def _settings(a: CohortFilter, b: CohortFilter):
    """Each statement over A without B and over B without A (cohort_without_b), and over A alone
    beside B and the others (cohort_alone: B in one slot, nobody in the others)."""
    for name, extra in STATEMENTS:
        for first, second in ((a, b), (b, a)):
            params = {**SAMPLE_PARAMS, **handmade.less(first, second), **extra}
            yield f"{name}@cohort_without_b", params
            yield f"{name}@cohort_alone", params


def _check(con, name: str, params: dict) -> None:
    assert sql.compose(name, fast=True) != sql.compose(name), name  # the derived tables are read
    _same(db.run_query(con, name, params), db.run_query(con, name, params, fast=True), name.partition("@")[0])


@pytest.mark.parametrize("pair", PAIRS)
def test_over_a_cohort_less_another_the_derived_tables_answer_what_the_rows_answer(handmade_con, pair):
    for name, params in _settings(*PAIRS[pair]):
        _check(handmade_con, name, params)


def test_the_hand_made_pairs_hold_what_their_names_say(handmade_con):
    """The file's patients make each pair what it is called (A without B empty when B holds A...)."""

    def size(a: CohortFilter, b: CohortFilter) -> int:
        params = {**SAMPLE_PARAMS, **a.as_params(), **handmade.prefixed("b_", b)}
        return len(db.run_query(handmade_con, "cohort_without_b", params))

    sizes = {pair: (size(a, b), size(b, a)) for pair, (a, b) in PAIRS.items()}
    assert sizes["overlapping"] == (1, 1)  # A only: occluded_m33 (33 years); B only: femoral_f40
    assert sizes["the same"] == (0, 0)
    assert sizes["empty B"] == (len(PATIENTS), 0)
    assert sizes["B holds all of A"] == (0, 5)  # the five men
    assert sizes["A holds all of B"] == (5, 0)  # three medical in the trial, two in the registry
    assert sizes["disjoint"] == (5, 5)
    assert sizes["B by baseline band"] == (1, 0)  # no_baseline: its band unknown, so not in B


def test_on_the_demo_too(demo_con):
    a, b = CohortFilter(site=("common_iliac", "iliac_vein_cava")), CohortFilter(age=(18, 55))
    for pair in ((a, b), (CohortFilter(), CohortFilter(arm=("stent",)))):
        for name, params in _settings(*pair):
            _check(demo_con, name, params)


@pytest.mark.parametrize("population", sql.CELL_POPULATIONS)
def test_every_twin_over_random_cohorts_less_others(small_con, population):
    """Every statement with a fast twin, over random cohorts less random others."""
    rng = random.Random(population)
    studies = [r[0] for r in small_con.execute("SELECT study_id FROM studies").fetchall()]
    for name in sql.fast_names():
        if name in sql.POPULATIONS or name in sql.shared_names():
            continue  # the populations themselves, and relations (read through the statements)
        for _ in range(3):
            params = _random_params(rng, studies)
            params |= {
                k: v for i in (1, 2, 3) for k, v in handmade.prefixed(f"x{i}_", _random_cohort(rng, studies)).items()
            }
            _same(
                db.run_query(small_con, f"{name}@{population}", params),
                db.run_query(small_con, f"{name}@{population}", params, fast=True),
                name,
            )


def test_compare_adds_each_studys_responders_to_what_the_statement_pools(demo_con):
    """Compare asks each study's responders once and adds them up for the pooled rates (one pass over
    the responder cells per study, not one more for the pool): the same rates as the pooled statement."""

    def query(name: str, params: dict) -> pd.DataFrame:
        return db.run_query(demo_con, name, params, fast=True)

    settings = {"threshold": 4.0, "randomized_only": False, "days_per_month": vocab.DAYS_PER_MONTH}
    pairs = ((CohortFilter(site=("common_iliac",)), CohortFilter(age=(18, 55))), (CohortFilter(), WOMEN))
    for (a, b), apart in itertools.product(pairs, (True, False)):
        result = compare.compare_cohorts(query, a, b, ["stent", "medical"], "villalta_total", 4.0, apart=apart)
        for name, side in result.sides.items():
            pooled = side.run(query, "responders_by_visit", settings)
            expected = compare._with_seen(pooled, "responders_points", "nri")
            shown = result.responders[result.responders.cohort == name].drop(columns="cohort")
            pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected)
