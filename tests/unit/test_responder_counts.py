"""The responder counts stored at each threshold a user may choose (agg_responder_counts) answer what
the responder statements answer over the contract tables: responders_by_visit at every stored
threshold and at thresholds they were not stored for (which the twin sums from the responder cells),
responder_thresholds at every visit, over the sidebar's cohort and over a cohort less another
(Compare's populations), on a hand-made file whose edge cases are written out below, and on the demo.
A file whose derived tables predate these counts is answered from the contract tables."""

import shutil
from datetime import date

import duckdb
import pytest

from pts_explorer import db, derived, sql, vocab
from pts_explorer.filters import NOBODY, CohortFilter
from tests import handmade
from tests.unit.test_fast_twins import _same
from tests.unit.test_queries import SAMPLE_PARAMS

# Villalta totals by visit month (handmade: TRIAL visits 0, 6, 12; REGISTRY 0, 6, 12, 24). Bands: none
# 0-4, mild 5-9, moderate 10-14, severe 15+.
PATIENTS = {
    # 4 points better at month 6 (exactly the default threshold) and a band down; 1 point at month 12
    "exactly_four": {"visits": {0: 16, 6: 12, 12: 15}, "procedure_day": 0},
    # a band down (moderate to mild) for 1 point only
    "band_only": {"sex": "male", "age_years": 61, "visits": {0: 10, 6: 9, 12: 10}, "procedure_day": 1},
    # 4 points better within the moderate band: points, no band down
    "points_no_band": {"arm": "medical", "age_years": 44, "visits": {0: 14, 6: 10, 12: 14}},
    # worse: a negative improvement
    "worse": {"arm": "medical", "sex": "male", "age_years": 70, "visits": {0: 5, 6: 12, 12: 9}},
    # due at month 6 but not seen there; 9 points better at month 12
    "missed_six": {"obstruction_site": "common_femoral", "visits": {0: 12, 12: 3}, "procedure_day": 2},
    # 20 points better: above every stored threshold
    "twenty": {"obstruction_site": "common_femoral", "age_years": 35, "visits": {0: 22, 6: 2, 12: 2}},
    # no baseline visit: no baseline band, so never due
    "no_baseline": {"sex": "male", "visits": {6: 7, 12: 6}, "procedure_day": 3},
    # enrolled after the others, followed 100 days: the trial's data end before its month 6
    "late": {"enrolled_on": date(2022, 1, 1), "last_contact_day": 100, "visits": {0: 18}, "procedure_day": 0},
    # an observational study: left out when only randomized studies are asked for
    "registry_15": {"study_id": "REGISTRY", "arm": "medical", "age_years": 58, "visits": {0: 18, 6: 13, 24: 3}},
    "registry_0": {"study_id": "REGISTRY", "sex": "male", "visits": {0: 9, 6: 9, 12: 4, 24: 9}, "procedure_day": 5},
}
# Stored thresholds (the first and last, and the default) and thresholds the counts were not stored for
THRESHOLDS = (1.0, 4.0, 15.0, 0.0, 0.5, 4.5, 16.0, -3.0)
COHORTS = (
    CohortFilter(),
    CohortFilter(sex=("female",)),
    CohortFilter(site=("common_femoral",), age=(30, 60)),
    CohortFilter(band=("moderate", "severe")),
    CohortFilter(study=("REGISTRY",)),
    NOBODY,
)
VISITS = (6, 12, 24)


@pytest.fixture(scope="module")
def handmade_con(tmp_path_factory):
    with handmade.opened(tmp_path_factory.mktemp("responders") / "responders.duckdb", PATIENTS) as con:
        yield con


def _settings():
    """responders_by_visit at every threshold, responder_thresholds at every visit, with and without the
    observational study, over each cohort and over each cohort less the next one (both Compare's ways)."""
    for i, cohort in enumerate(COHORTS):
        other = COHORTS[(i + 1) % len(COHORTS)]
        params = {**SAMPLE_PARAMS, **handmade.less(cohort, other)}
        for randomized_only in (False, True):
            for population in ("", "@cohort_without_b", "@cohort_alone"):
                for threshold in THRESHOLDS:
                    yield (
                        f"responders_by_visit{population}",
                        params
                        | {
                            "threshold": threshold,
                            "randomized_only": randomized_only,
                        },
                    )
                for visit in VISITS:
                    yield (
                        f"responder_thresholds{population}",
                        params
                        | {
                            "visit_month": visit,
                            "randomized_only": randomized_only,
                        },
                    )


def test_the_stored_counts_answer_what_the_rows_answer(handmade_con):
    for name, params in _settings():
        slow, fast = db.run_query(handmade_con, name, params), db.run_query(handmade_con, name, params, fast=True)
        _same(slow, fast, name.partition("@")[0])


def test_the_hand_made_file_holds_its_edge_cases(handmade_con):
    """Month 6, everyone, threshold 4, worked out from PATIENTS: due are those with a baseline band whose
    month 6 falls before their study's data end (not no_baseline, not late)."""
    params = {**SAMPLE_PARAMS, "threshold": 4.0, "randomized_only": False}
    rows = db.run_query(handmade_con, "responders_by_visit", params, fast=True)
    six = rows[rows.visit_month == 6].set_index("arm")
    columns = ["n_due", "n", "responders_points", "responders_band", "responders_either"]
    # stent: exactly_four (4 points, band down), band_only (band down), missed_six (not seen), twenty (20
    # points, band down), registry_0 (0 points); medical: points_no_band (4 points), worse (-7),
    # registry_15 (5 points, band down)
    assert six.loc["stent", columns].tolist() == [5, 4, 2, 3, 3]
    assert six.loc["medical", columns].tolist() == [3, 3, 2, 1, 2]
    # at 4.5 points, a threshold the counts were not stored for: twenty and registry_15
    at_4_5 = db.run_query(handmade_con, "responders_by_visit", params | {"threshold": 4.5}, fast=True)
    assert at_4_5[at_4_5.visit_month == 6].responders_points.tolist() == [1, 1]


def test_on_the_demo_too(demo_con):
    a, b = CohortFilter(site=("common_iliac", "iliac_vein_cava")), CohortFilter(age=(18, 55))
    params = {**SAMPLE_PARAMS, **handmade.less(a, b)}
    for population in ("", "@cohort_without_b", "@cohort_alone"):
        for threshold in (4.0, 15.0, 2.5):
            name, settings = f"responders_by_visit{population}", params | {"threshold": threshold}
            slow, fast = db.run_query(demo_con, name, settings), db.run_query(demo_con, name, settings, True)
            _same(slow, fast, "responders_by_visit")
        name = f"responder_thresholds{population}"
        slow, fast = db.run_query(demo_con, name, params), db.run_query(demo_con, name, params, True)
        _same(slow, fast, "responder_thresholds")


def test_a_stored_threshold_reads_the_stored_counts_alone(demo_con):
    """At a threshold a user may choose, the plan reads agg_responder_counts and not the responder cells
    (the branch for other thresholds is dropped); at another threshold it reads the cells (and finds no
    stored row of that threshold)."""

    def tables(threshold: float) -> set[str]:
        text, bound = db.bind_params("responders_by_visit", {**SAMPLE_PARAMS, "threshold": threshold}, fast=True)
        plan = demo_con.execute("EXPLAIN " + text, bound).fetchall()[0][1]
        return {t for t in ("agg_responder_counts", "agg_responder_cells") if f".{t} " in plan}

    assert "agg_responder_counts" in sql.compose("responders_by_visit", fast=True)
    assert tables(4.0) == {"agg_responder_counts"}
    assert tables(4.5) == {"agg_responder_counts", "agg_responder_cells"}


def test_the_stored_thresholds_are_the_ones_a_user_may_choose(demo_con):
    stored = demo_con.execute("SELECT DISTINCT threshold FROM agg_responder_counts ORDER BY 1").fetchall()
    assert [t for (t,) in stored] == [float(t) for t in vocab.RESPONDER_THRESHOLDS]
    sweep = db.run_query(demo_con, "responder_thresholds", {**SAMPLE_PARAMS, "visit_month": 6})
    assert sorted(set(sweep.threshold)) == [float(t) for t in vocab.RESPONDER_THRESHOLDS]


def test_a_file_written_before_the_stored_counts_is_answered_from_its_rows(small_db, tmp_path):
    """A file of derived version 12 (no agg_responder_counts) is not read through its derived tables, says
    why, and answers the responder statements from the contract tables; rebuilt, it is current again."""
    older = tmp_path / "older.duckdb"
    shutil.copyfile(small_db, older)
    con = duckdb.connect(str(older))
    con.execute("DROP TABLE agg_responder_counts")
    con.execute("UPDATE derived_info SET version = 12")
    con.close()
    opened = db.open_read_only(older)
    assert not db.has_derived(opened)
    assert derived.stale_reason(opened) == (
        f"the derived tables are of an older derivation (version 12; this app writes {derived.DERIVED_VERSION})"
    )
    params = {**SAMPLE_PARAMS, "threshold": 4.0}
    assert len(db.run_query(opened, "responders_by_visit", params, fast=db.has_derived(opened)))
    opened.close()
    derived.rebuild(older)
    opened = db.open_read_only(older)
    assert db.has_derived(opened)
    _same(
        db.run_query(opened, "responders_by_visit", params),
        db.run_query(opened, "responders_by_visit", params, True),
        "responders_by_visit",
    )
    opened.close()
