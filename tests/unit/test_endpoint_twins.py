"""The stored endpoint clocks (patient_endpoints) answer what the events and procedures answer:
time_to_event, km_counts and complication_counts, fast and over the contract tables, give the
same rows for every endpoint and Safety period, on the demo and on a hand-made file whose edge
cases are worked out on paper (an event on day 0, censoring at the last visit, a patient with no
visit after baseline, ties between patients and between an event and death, an event before the
procedure or after last contact, an occlusion restored and one not, a failed procedure)."""

import duckdb
import pytest

from pts_explorer import db, derived, vocab
from pts_explorer.filters import CohortFilter
from tests import handmade
from tests.unit.test_fast_twins import _same
from tests.unit.test_queries import SAMPLE_PARAMS

STENT_VISITS = {0: 14, 6: 8, 12: 6}  # visit days 0, 183, 365 (handmade: round(month * 30.4375))
PATIENTS = {
    # a restenosis on the day of the procedure (day 0): lost at day 0; a stent complication on day 0
    "day0": {"procedure_day": 0, "events": [(0, "restenosis")], "visits": STENT_VISITS},
    # censored at the last visit (day 365 = last contact), no event
    "censored": {"procedure_day": 5, "last_contact_day": 365, "visits": STENT_VISITS},
    # no visit after baseline and last contact on day 0: followed only on day 0
    "baseline_only": {"arm": "medical", "last_contact_day": 0, "visits": {0: 12}},
    # two patients lost the same day (a tie in the Kaplan-Meier counts)
    "tie_a": {"procedure_day": 3, "events": [(103, "stent_thrombosis")], "visits": STENT_VISITS},
    "tie_b": {"procedure_day": 3, "events": [(103, "stent_thrombosis")], "visits": STENT_VISITS},
    # a recurrent DVT and death on the same day: the endpoint counts (event_day <= death_day)
    "dvt_and_death": {"arm": "medical", "events": [(200, "recurrent_dvt"), (200, "death")], "last_contact_day": 200},
    # death before the endpoint: the competing event
    "death_first": {"procedure_day": 2, "events": [(90, "death"), (120, "reintervention")], "last_contact_day": 90},
    # an occlusion restored (secondary patency kept), then one not restored (lost at day 300)
    "restored": {
        "procedure_day": 1,
        "events": [(50, "stent_thrombosis"), (60, "patency_restored"), (300, "stent_thrombosis")],
    },
    # a thrombosis before the procedure: duration floored at 0; a bleeding on day 31 after it
    "before_procedure": {"procedure_day": 10, "events": [(5, "stent_thrombosis"), (41, "major_bleeding")]},
    # an event after last contact: censored at last contact
    "after_contact": {"procedure_day": 0, "events": [(900, "restenosis")], "last_contact_day": 800},
    # an ulcer at baseline, healed at day 180; one never healed; shared complications in the medical arm
    "healed": {
        "arm": "medical",
        "visits": {0: (16, True), 6: (9, False)},
        "events": [(180, "ulcer_healed"), (30, "pulmonary_embolism"), (31, "major_bleeding")],
    },
    "unhealed": {"arm": "medical", "visits": {0: (16, True), 6: (15, True)}},
    # the registry (an observational study): left out by randomized_only
    "registry": {"study_id": "REGISTRY", "procedure_day": 0, "events": [(400, "restenosis")]},
    # a failed procedure: not in the stent endpoints, still in Safety's stent clock
    "failed": {"procedure_day": 0, "events": [(20, "access_site_bleeding")]},
}
COHORTS = (CohortFilter(), CohortFilter(arm=("stent",)), CohortFilter(study=("TRIAL",), age=(18, 60)))


@pytest.fixture(scope="module")
def handmade_con(tmp_path_factory):
    path = handmade.build(tmp_path_factory.mktemp("endpoints") / "edges.duckdb", PATIENTS)
    con = duckdb.connect(str(path))
    con.execute("UPDATE procedures SET technical_success = FALSE WHERE patient_id = 'failed'")
    con.close()
    derived.rebuild(path)
    opened = db.open_read_only(path)
    assert db.has_derived(opened)
    yield opened
    opened.close()


def _params(cohort: CohortFilter, **settings) -> dict:
    return {**SAMPLE_PARAMS, **cohort.as_params(), **settings}


def _every_setting():
    for cohort in COHORTS:
        for randomized_only in (False, True):
            for endpoint in vocab.ENDPOINTS:
                for group in ("arm", "obstruction_site", "stenosis_grade", "study_id", "sex", "age_group"):
                    yield "km_counts", _params(cohort, randomized_only=randomized_only, endpoint=endpoint, group=group)
                yield "time_to_event", _params(cohort, randomized_only=randomized_only, endpoint=endpoint)
            for period in vocab.SAFETY_PERIODS:
                yield "complication_counts", _params(cohort, randomized_only=randomized_only, period=period)


def test_the_stored_clocks_answer_what_the_events_answer_on_the_hand_made_file(handmade_con):
    for name, params in _every_setting():
        _same(db.run_query(handmade_con, name, params), db.run_query(handmade_con, name, params, fast=True), name)


def test_the_stored_clocks_answer_what_the_events_answer_on_the_demo(demo_con):
    for name, params in _every_setting():
        if name == "km_counts" and params["group"] not in ("arm", "study_id"):
            continue  # the groupings change no clock; two keep the demo's run short
        _same(db.run_query(demo_con, name, params), db.run_query(demo_con, name, params, fast=True), name)


def _over_populations(matched_ids: list[str]):
    for cohort in COHORTS:
        for endpoint in vocab.ENDPOINTS:
            params = _params(cohort, endpoint=endpoint, group="arm", matched_ids=matched_ids)
            params.update({f"b_{k}": v for k, v in CohortFilter(sex=("male",)).as_params().items()})
            for population in ("cohort_without_b", "matched_cohort", "cohort_alone"):
                yield f"km_counts@{population}", params
                yield f"time_to_event@{population}", params


def test_over_a_population_the_stored_clocks_answer_what_the_events_answer(handmade_con, demo_con):
    """Compare's cohort without the other's patients and Candidate's matched patients read the
    population's twin (queries/fast/population/), joined by patient id."""
    for con, matched in ((handmade_con, ["day0", "tie_a", "healed", "registry", "failed"]), (demo_con, None)):
        for name, params in _over_populations(matched or SAMPLE_PARAMS["matched_ids"]):
            if con is demo_con and not name.startswith("km_counts"):
                continue
            base = name.partition("@")[0]
            _same(db.run_query(con, name, params), db.run_query(con, name, params, fast=True), base)


def _clock(con, endpoint: str, patient: str) -> tuple:
    rows = db.run_query(con, "time_to_event", _params(CohortFilter(), endpoint=endpoint), fast=True)
    row = rows[rows.patient_id == patient]
    return tuple(row[["start_day", "duration_days", "status"]].itertuples(index=False, name=None))


def test_the_edge_cases_worked_out_on_paper(handmade_con):
    assert _clock(handmade_con, "primary_patency", "day0") == ((0, 0, 1),)  # lost on the procedure's day
    assert _clock(handmade_con, "primary_patency", "censored") == ((5, 360, 0),)  # censored at day 365
    assert _clock(handmade_con, "primary_patency", "tie_a") == _clock(handmade_con, "primary_patency", "tie_b")
    assert _clock(handmade_con, "primary_patency", "tie_a") == ((3, 100, 1),)
    assert _clock(handmade_con, "freedom_from_recurrent_dvt", "dvt_and_death") == ((0, 200, 1),)
    assert _clock(handmade_con, "freedom_from_recurrent_dvt", "baseline_only") == ((0, 0, 0),)
    assert _clock(handmade_con, "freedom_from_reintervention", "death_first") == ((2, 88, 2),)
    assert _clock(handmade_con, "secondary_patency", "restored") == ((1, 299, 1),)
    assert _clock(handmade_con, "assisted_primary_patency", "restored") == ((1, 49, 1),)
    assert _clock(handmade_con, "primary_patency", "before_procedure") == ((10, 0, 1),)
    assert _clock(handmade_con, "primary_patency", "after_contact") == ((0, 800, 0),)
    assert _clock(handmade_con, "ulcer_healing", "healed") == ((0, 180, 1),)
    assert _clock(handmade_con, "ulcer_healing", "unhealed") == ((0, 800, 0),)
    assert _clock(handmade_con, "ulcer_healing", "day0") == ()  # no ulcer at baseline: not eligible
    assert _clock(handmade_con, "primary_patency", "failed") == ()  # a failed procedure: not eligible
    assert _clock(handmade_con, "primary_patency", "healed") == ()  # the medical arm: not eligible


def test_the_safety_clocks_worked_out_on_paper(handmade_con):
    def counts(period: str) -> set[tuple]:
        found = db.run_query(handmade_con, "complication_counts", _params(CohortFilter(), period=period), fast=True)
        return set(found.itertuples(index=False, name=None))

    within = counts("within 30 days")
    assert ("stent_related", 0, 1, 1) in within  # day0's restenosis on the procedure's day
    assert ("stent_related", 20, 1, 1) in within  # the failed procedure's access-site bleeding
    assert ("medical", 30, 1, 1) in within  # healed's pulmonary embolism on day 30
    assert ("medical", 0, 0, 1) in within  # baseline_only: followed on day 0 alone
    after = counts("after 30 days")
    assert ("stent", 1, 1, 1) in after  # before_procedure's bleeding on day 41 = day 31 after the procedure
    assert ("medical", 1, 1, 1) in after  # healed's bleeding on day 31
    assert sum(n for group, *_, n in after if group == "medical") == 3  # baseline_only is not followed after day 30
    assert counts("before the procedure") == set()


def test_the_cox_sample_drawn_by_the_stored_rank_is_the_sample_the_key_draws(handmade_con, demo_con):
    """cox_data's twin finds the sample's last patient by patient_endpoints.sample_rank, then filters on the
    key: the same rows, in the same order, as ordering the eligible patients by (sample_key, patient_id)."""
    for con, sizes in ((handmade_con, (1, 3, 7, 100)), (demo_con, (1, 50, 700, 20_000))):
        for cohort in COHORTS:
            for endpoint in vocab.ENDPOINTS:
                for max_patients in sizes:
                    params = _params(cohort, endpoint=endpoint, max_patients=max_patients, randomized_only=False)
                    slow, fast = db.run_query(con, "cox_data", params), db.run_query(con, "cox_data", params, True)
                    _same(slow, fast, "cox_data")


def test_the_stored_sample_rank_is_each_patients_place_in_the_sample_order(handmade_con):
    rows = handmade_con.execute("SELECT patient_id, sample_key, sample_rank FROM patient_endpoints").fetchall()
    ordered = sorted(rows, key=lambda r: (r[1], r[0]))
    assert [r[2] for r in ordered] == list(range(1, len(PATIENTS) + 1))
