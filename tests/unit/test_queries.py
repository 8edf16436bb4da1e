"""Every SQL file runs on a small generated database with the parameters it declares."""

import graphlib
import re

import duckdb
import pandas as pd
import pytest

from pts_explorer import db, sql, vocab
from pts_explorer.filters import CohortFilter
from pts_explorer.vocab import DAYS_PER_MONTH, DAYS_PER_YEAR, OUTCOMES

SAMPLE_PARAMS = {
    **CohortFilter().as_params(),
    **{f"b_{key}": value for key, value in CohortFilter(arm=("stent",)).as_params().items()},
    **CohortFilter().option_params(),
    **CohortFilter().funnel_params(),
    **CohortFilter().more_option_params(),
    **{f"x{i}_{k}": v for i in (1, 2, 3) for k, v in CohortFilter(sex=("male",)).as_params().items()},
    "outcome": "villalta_total",
    "by_study": True,
    "per_arm": 5,
    "visit_month": 6,
    "randomized_only": False,
    "max_patients": 20000,
    "threshold": 4.0,
    "endpoint": "primary_patency",
    "group": "obstruction_site",
    "rule": "events:healing",
    "period": "within 30 days",
    "days_per_month": DAYS_PER_MONTH,
    "days_per_year": DAYS_PER_YEAR,
    # the Candidate page: an occluded common iliac vein, severe PTS, a woman of 45
    **{"c_site": "common_iliac", "c_grade": "occlusion", "c_region": "iliocaval", "c_grade_group": "high"},
    **{"c_age": 45.0, "c_villalta": 17.0, "c_vcss": None, "c_months": None, "c_length": 80.0, "c_stenosis": 100.0},
    **{"c_sex": "female", "c_side": None, "c_ulcer": True, "level": 2, "match_per_arm": 50},
    "matched_ids": [f"R-{i:07d}" for i in range(1, 400)] + [f"T-{i:04d}" for i in range(1, 200)],
}
EXPECTED_COLUMNS = {
    "cohort": {"patient_id", "arm", "stenosis_grade", "baseline_band", "baseline_villalta", "baseline_ulcer"},
    "cohort_counts": {"arm", "total", "matching"},
    "option_counts": {"field", "value", "patients"},
    "cohort_funnel": {"step", "patients"},
    "more_option_counts": {"field", "value", "patients"},
    "centers": {"center_id"},
    "more_filter_distribution": {"field", "value", "patients", "top"},
    "cohort_alone": {"patient_id", "arm"},
    "cohort_size_by_study_arm": {"study_id", "study_name", "design", "arm", "patients"},
    "dataset_info": {"dataset_name", "synthetic", "patients", "visits"},
    "studies": {"study_id", "study_name", "design", "visit_months"},
    "study_summary": {"study_id", "design", "patients", "stent", "medical", "max_follow_up_years"},
    "baseline_continuous": {"arm", "variable", "patients", "n", "mean", "sd"},
    "baseline_categorical": {"arm", "variable", "level", "n"},
    "trajectory_summary": {
        "study_group",
        "arm",
        "visit_month",
        "n",
        "mean",
        "sd",
        "n_change",
        "mean_change",
        "sd_change",
    },
    "trajectory_sample": {"patient_id", "arm", "study_group", "visit_month", "value", "change"},
    "band_distribution": {"study_group", "arm", "visit_month", "pts_band", "n"},
    "analysis_visit": {
        "patient_id",
        "study_id",
        "arm",
        "age_group",
        "lesion_group",
        "high_grade_site",
        "stenosis_pct",
        "lesion_length_mm",
        "months_since_dvt",
        "baseline_ulcer",
        "baseline",
        "value",
        "change",
    },
    "analysis_long": {"patient_id", "study_id", "arm", "baseline", "visit_month", "change"},
    "propensity_rows": {
        "patient_id",
        "study_id",
        "design",
        "center_id",
        "arm",
        "obstruction_site",
        "stenosis_grade",
        "lesion_length_mm",
        "baseline_villalta",
        "baseline_vcss",
        "baseline_ulcer",
        "age_years",
        "sex",
        "months_since_dvt",
        "baseline",
        "value",
        "change",
        "duration_days",
        "observed",
    },
    "responders_by_visit": {
        "arm",
        "visit_month",
        "n_due",
        "n",
        "responders_points",
        "responders_band",
        "responders_either",
    },
    "responder_pairs": {"patient_id", "arm", "visit_month", "seen", "improvement", "band_down"},
    "responder_thresholds": {"arm", "threshold", "n_due", "n", "responders_points", "responders_either"},
    "band_shift": {"arm", "baseline_band", "visit_band", "n"},
    "symptom_profile": {"arm", "item", "n", "mean_baseline", "mean_visit", "mean_change"},
    "time_to_event": {"patient_id", "arm", "age_group", "start_day", "duration_days", "status", "observed"},
    "km_counts": {"group_value", "duration_days", "status", "observed", "n"},
    "cox_data": {"patient_id", "arm", "obstruction_site", "duration_days", "observed"},
    "safety_events": {"arm", "group_value", "event_type", "period", "events", "patients_with"},
    "safety_exposure": {"arm", "group_value", "period", "patients", "follow_up_days"},
    "safety_follow_up": {"patient_id", "arm", "group_value", "anchor_day", "last_contact_day"},
    "complication_counts": {"group_value", "duration_days", "status", "n"},
    "safety_denominators": {"arm", "group_value", "patients"},
    "outcome_values": {"patient_id", "visit_month", "value"},
    "analysis_cohort": {"patient_id", "arm", "study_id", "baseline_band"},
    "patient_splits": {"patient_id", "study_id", "center_id", "limb_side", "ceap_c", "stenosis_pct", "bmi"},
    "import_info": {"profile", "profile_version", "importer_version", "imported_at", "warnings", "source_files"},
    "import_manifest": {"file", "bytes", "sha256", "rows"},
    "import_warnings": {"rule", "warnings"},
    "import_issues_stored": {"rule", "file", "column_name", "message", "found", "lines_found"}
    | {f"line_{i}" for i in range(1, 6)}
    | {f"value_{i}" for i in range(1, 6)},
    "sponsor_endpoints": {"endpoint", "paramcd", "param"},
    "adtte_reconciliation": {"sponsor_patients", "app_patients", "both_patients", "sponsor_events", "app_events"},
}
EXPECTED_COLUMNS |= {
    "patient_cells": {"study_id", "arm", "age_years", "patients", "stat_age_years", "ceap_c_c6"},
    "visit_cells": {"study_id", "arm", "visit_month", "visits", "stat_villalta_total", "band_severe"},
    "safety_event_cells": {"study_id", "arm", "event_type", "period", "events", "patients_with", "group_value"},
    "safety_exposure_cells": {"study_id", "arm", "period", "patients", "follow_up_days", "group_value"},
    "event_days": {"patient_id", "procedure_day", "technical_success", "primary_loss_day", "secondary_loss_day"},
    "responder_cells": {"study_id", "arm", "age_years", "visit_month", "seen", "improvement", "band_down", "patients"},
    "analysis_visits": {"patient_id", "visit_month", "study_id", "b_villalta_total", "b_pts_band"},
    "export_patients": {"patient_id", "study_id", "arm", "stenosis_grade", "last_contact_day"},
    "export_visits": {"patient_id", "visit_month", "v_pain", "villalta_total", "pts_band"},
    "export_procedures": {"patient_id", "procedure_day", "technical_success"},
    "export_events": {"patient_id", "event_day", "event_type", "serious"},
    "cohort_b": {"patient_id", "arm", "stenosis_grade", "baseline_band", "baseline_villalta", "baseline_ulcer"},
    "cohort_overlap": {"arm", "in_a", "in_b", "in_both"},
    "candidate_pool": {"patient_id", "arm", "region", "grade_group", "baseline_vcss", "in_level_0", "in_level_2"},
    "candidate_levels": {"arm", "level_0", "level_1", "level_2"},
    "candidate_match": {"patient_id", "study_id", "arm", "distance", "baseline_ulcer", "baseline_vcss", "sex"},
    "candidate_model": {"patient_id", "arm", "lesion_group", "baseline", "change", "ulcer", "vcss", "left_limb"},
    "candidate_baseline": {"arm", "variable", "n", "mean", "sd"},
    "matched_cohort": {"patient_id", "arm", "stenosis_grade", "baseline_band", "baseline_villalta", "lesion_group"},
    "cohort_without_b": {"patient_id", "arm", "stenosis_grade", "baseline_band", "baseline_villalta", "lesion_group"},
    "patient_attributes": {"patient_id", "baseline_band", "baseline_ulcer", "age_group", "lesion_group", "sample_key"},
    "scheduled_visits": {"patient_id", "visit_month", "visit_day", "villalta_total", "pts_band"},
}
# These read the tables an import adds: they run on an imported file (and on any other file as an
# empty view of the same shape, see db.OPTIONAL_TABLES).
NONE_ON_A_CLEAN_IMPORT = {"import_warnings", "import_issues_stored"}  # the example import has no warning
IMPORT_QUERIES = {
    "import_info",
    "import_manifest",
    "import_warnings",
    "import_issues_stored",
    "sponsor_endpoints",
    "adtte_reconciliation",
}


@pytest.fixture(scope="module")
def imported_con(small_db, tmp_path_factory):
    from pts_explorer.importer import run_import
    from pts_explorer.importer.examples import write_examples

    folder = tmp_path_factory.mktemp("imported")
    write_examples(small_db, folder)
    out = folder / "adam.duckdb"
    run_import("adam", sorted((folder / "adam").iterdir()), out, progress=lambda _: None)
    con = db.open_read_only(out)
    yield con
    con.close()


def test_every_query_file_has_expected_columns_listed():
    assert set(sql.query_names()) == set(EXPECTED_COLUMNS)


@pytest.mark.parametrize("name", sql.query_names())
def test_query_runs_and_returns_documented_columns(small_con, imported_con, name):
    con = imported_con if name in IMPORT_QUERIES else small_con
    for fast in (False, True):  # the contract tables, and the derived tables (queries/fast/)
        result = db.run_query(con, name, SAMPLE_PARAMS, fast)
        assert EXPECTED_COLUMNS[name] <= set(result.columns)
        assert len(result) > 0 or name in NONE_ON_A_CLEAN_IMPORT


@pytest.mark.parametrize("name", sorted(IMPORT_QUERIES))
def test_import_queries_run_on_a_file_without_import_tables(small_db, name):
    con = db.open_read_only(small_db)
    result = db.run_query(con, name, SAMPLE_PARAMS)
    con.close()
    assert EXPECTED_COLUMNS[name] <= set(result.columns) and result.empty


@pytest.mark.parametrize("name", sql.query_names())
def test_query_header_documents_its_parameters(name):
    """Each $parameter a file uses appears in its header comment (cohort parameters via cohort.sql)."""
    text = sql.load_sql(name)
    header = "\n".join(line for line in text.splitlines() if line.startswith("--"))
    more = {p for spec in vocab.MORE_FILTERS.values() for p in spec.params()}  # more_filter()'s, any prefix
    for param in sql.param_names(text):
        if "more_filter(" in header and (param in more or param.partition("_")[2] in more):
            continue  # documented once, by the composer (pts_explorer/sql.py, vocab.MORE_FILTERS)
        if "funnel_steps()" in header and (step := re.fullmatch(r"f\d+_(\w+)", param)):
            param = f"f<k>_{step.group(1)}"  # a funnel step's, documented once for every step k
        assert f"${param}" in header, f"{name}.sql does not document ${param}"


SQL_FILES = sorted(p.relative_to(sql.QUERIES_DIR).as_posix() for p in sql.QUERIES_DIR.rglob("*.sql"))


@pytest.mark.parametrize("path", SQL_FILES)
def test_sql_header_names_its_grain(path):
    """Each SQL file (statements, shared relations, fast twins, derived tables, fragments) says in its
    header what one row is: `-- grain: ...`, with something after the colon."""
    lines = (sql.QUERIES_DIR / path).read_text(encoding="utf-8").splitlines()
    header = lines[: next(i for i, line in enumerate(lines) if not line.startswith("--"))]
    assert [line for line in header if re.match(r"-- grain: \S", line)], f"{path} has no '-- grain:' header line"


def test_missing_parameter_is_an_error(small_con):
    with pytest.raises(ValueError, match="outcome"):
        db.run_query(small_con, "trajectory_summary", CohortFilter().as_params())


def test_unknown_query_name_is_refused():
    with pytest.raises(KeyError):
        sql.load_sql("../app")


def _ctes(composed: str) -> list[str]:
    return re.findall(r"(?m)^(?:WITH )?(\w+) AS \($", composed)


def test_cohort_is_composed_into_queries_that_read_it():
    composed = sql.compose("cohort_counts")
    assert _ctes(composed) == ["scheduled_visits", "patient_attributes", "cohort"]  # each after what it reads
    assert "list_contains($site::VARCHAR[], obstruction_site)" in composed
    # A query that already has a WITH clause gets the shared relations before its own CTEs.
    assert _ctes(sql.compose("trajectory_summary"))[:4] == [
        "scheduled_visits",
        "outcome_values",
        "patient_attributes",
        "cohort",
    ]
    assert sql.compose("studies") == sql.compose("studies").split("WITH")[0]


def test_cohort_filter_restricts_rows(small_con):
    everyone = db.run_query(small_con, "cohort", CohortFilter().as_params())
    chosen = CohortFilter(site=("common_iliac",), grade=("70-99%", "occlusion"), age=(30, 60))
    subset = db.run_query(small_con, "cohort", chosen.as_params())
    assert 0 < len(subset) < len(everyone)
    assert set(subset.obstruction_site) == {"common_iliac"}
    assert set(subset.stenosis_grade) <= {"70-99%", "occlusion"}
    assert subset.age_years.between(30, 60).all()


def test_ulcer_filter_uses_the_baseline_visit(small_con):
    with_ulcer = db.run_query(small_con, "cohort", CohortFilter(ulcer="yes").as_params())
    without = db.run_query(small_con, "cohort", CohortFilter(ulcer="no").as_params())
    total = db.run_query(small_con, "cohort", CohortFilter().as_params())
    assert with_ulcer.baseline_ulcer.all() and not without.baseline_ulcer.any()
    assert len(with_ulcer) + len(without) == len(total)
    assert set(with_ulcer.baseline_band) == {"severe"}


def test_cohort_counts_add_up(small_con):
    counts = db.run_query(small_con, "cohort_counts", CohortFilter(sex=("female",)).as_params())
    patients = (
        small_con.execute(
            "SELECT arm, count(*) AS n, count(*) FILTER (WHERE sex = 'female') AS f FROM patients GROUP BY arm"
        )
        .df()
        .set_index("arm")
    )
    for row in counts.itertuples():
        assert row.total == patients.loc[row.arm, "n"]
        assert row.matching == patients.loc[row.arm, "f"]


def test_trajectory_sample_is_capped_and_stable(small_con):
    params = {**SAMPLE_PARAMS, "per_arm": 3}
    first = db.run_query(small_con, "trajectory_sample", params)
    again = db.run_query(small_con, "trajectory_sample", params)
    per_group = first.groupby(["study_group", "arm"]).patient_id.nunique()
    assert (per_group <= 3).all() and (per_group == 3).any()
    assert first.equals(again)


def test_analysis_set_respects_randomized_only_and_the_sample_cap(small_con):
    params = {**SAMPLE_PARAMS, "randomized_only": True}
    randomized = db.run_query(small_con, "analysis_visit", params)
    assert set(randomized.study_id) == {"TRIAL"}
    capped = db.run_query(small_con, "analysis_visit", {**SAMPLE_PARAMS, "max_patients": 25})
    assert len(capped) == 25
    assert capped.equals(db.run_query(small_con, "analysis_visit", {**SAMPLE_PARAMS, "max_patients": 25}))


def test_propensity_rows_take_the_stable_sample_in_patient_order(small_con):
    """Above $max_patients the rows are the cohort's patients first by their sample key (the same
    patients on every run), listed in patient order (the order the score and matching read)."""
    params = {**SAMPLE_PARAMS, "randomized_only": False, "endpoint": "ulcer_healing"}
    whole = db.run_query(small_con, "propensity_rows", params)
    capped = db.run_query(small_con, "propensity_rows", {**params, "max_patients": 25})
    keys = small_con.execute(
        "SELECT patient_id, md5(patient_id) AS sample_key FROM patients"
    ).df()  # the key's definition
    first = set(keys.sort_values(["sample_key", "patient_id"]).patient_id.head(25))
    assert len(whole) > 25 and set(capped.patient_id) == first
    assert list(capped.patient_id) == sorted(capped.patient_id)
    assert capped.equals(db.run_query(small_con, "propensity_rows", {**params, "max_patients": 25}))


def test_responders_count_improvement_of_at_least_the_threshold(small_con):
    agg = db.run_query(small_con, "responders_by_visit", {**SAMPLE_PARAMS, "randomized_only": True})
    raw = (
        small_con.execute(
            """SELECT p.arm, f.visit_month, count(*) AS n,
                  count(*) FILTER (WHERE b.villalta_total - f.villalta_total >= 4) AS r
           FROM patients p JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
           JOIN visits f ON f.patient_id = p.patient_id AND f.visit_month > 0
           WHERE p.study_id = 'TRIAL' GROUP BY ALL"""
        )
        .df()
        .set_index(["arm", "visit_month"])
    )
    for row in agg.itertuples():
        assert row.n == raw.loc[(row.arm, row.visit_month), "n"]
        assert row.responders_points == raw.loc[(row.arm, row.visit_month), "r"]


def test_shared_relations_are_composed_transitively_and_in_order():
    text = sql.compose("responders_by_visit")
    assert text.index("cohort AS (") < text.index("analysis_cohort AS (")
    composed = sql.compose("analysis_long")
    assert all(f"{rel} AS (" in composed for rel in ("cohort", "analysis_cohort", "outcome_values"))
    assert "time_to_event AS (" not in composed
    assert "cohort AS (" in sql.compose("km_counts")  # through time_to_event


def test_shared_relations_live_in_their_own_folder():
    assert set(sql.shared_names()) == {
        "patient_attributes",
        "cohort",
        "analysis_cohort",
        "outcome_values",
        "time_to_event",
        "responder_pairs",
        "safety_follow_up",
        "patient_cells",
        "visit_cells",
        "responder_cells",
        "safety_event_cells",
        "safety_exposure_cells",
        "analysis_visits",
        "cohort_b",
        "candidate_pool",
        "matched_cohort",
        "cohort_without_b",
        "cohort_alone",
        "scheduled_visits",
        "event_days",
    }
    assert all((sql.SHARED_DIR / f"{name}.sql").exists() for name in sql.shared_names())


def _composer_on(monkeypatch, tmp_path, files: dict[str, str]):
    shared = tmp_path / "shared"
    shared.mkdir()
    for name, text in files.items():
        (shared if name.startswith("s_") else tmp_path).joinpath(f"{name}.sql").write_text(text)
    monkeypatch.setattr(sql, "QUERIES_DIR", tmp_path)
    monkeypatch.setattr(sql, "SHARED_DIR", shared)
    for cached in (sql._files, sql.load_sql, sql.dependencies, sql.compose):
        cached.cache_clear()


@pytest.fixture
def fresh_sql_caches():
    yield
    for cached in (sql._files, sql.load_sql, sql.dependencies, sql.compose):
        cached.cache_clear()


def test_composer_orders_shared_relations_by_their_dependencies(monkeypatch, tmp_path, fresh_sql_caches):
    _composer_on(
        monkeypatch,
        tmp_path,
        {
            "s_top": "SELECT * FROM s_middle",  # alphabetically first, needed last
            "s_middle": "SELECT * FROM s_base",
            "s_base": "SELECT 1 AS x",
            "page": "SELECT * FROM s_top",
        },
    )
    text = sql.compose("page")
    assert text.index("s_base AS (") < text.index("s_middle AS (") < text.index("s_top AS (")


def test_composer_refuses_a_dependency_cycle(monkeypatch, tmp_path, fresh_sql_caches):
    _composer_on(monkeypatch, tmp_path, {"s_a": "SELECT * FROM s_b", "s_b": "SELECT * FROM s_a", "page": "FROM s_a"})
    with pytest.raises(graphlib.CycleError):
        sql.compose("page")


@pytest.mark.parametrize("outcome", list(OUTCOMES))
def test_every_outcome_of_the_vocabulary_returns_values_through_the_allow_list(small_con, outcome):
    values = db.run_query(small_con, "outcome_values", {"outcome": outcome})
    column = small_con.execute(f"SELECT {outcome}::DOUBLE AS v FROM visits ORDER BY patient_id, visit_month").df()
    ordered = values.sort_values(["patient_id", "visit_month"]).reset_index(drop=True)
    assert ordered.value.notna().sum() > 0
    pd.testing.assert_series_equal(ordered.value, column.v, check_names=False)


def test_responders_are_counted_over_patients_due_at_the_visit(tmp_path):
    """Non-responder imputation needs the patients who were due: scheduled by their study and
    enrolled long enough before the study's data cut-off (its latest last contact, 2021-06-14)."""
    from datetime import date

    from tests import handmade

    path = handmade.build(
        tmp_path / "due.duckdb",
        {
            "SEEN": {"visits": {0: 14, 6: 8, 12: 12}, "last_contact_day": 530},  # improved 6, then 2
            "MISSED": {"visits": {0: 14, 12: 13}, "last_contact_day": 530},  # due at 6, not seen
            "LATE": {"enrolled_on": date(2021, 3, 1), "visits": {0: 14}, "last_contact_day": 90},  # not due yet
            "NO_BASELINE": {"visits": {6: 3}, "last_contact_day": 400},
            "CONTROL": {"arm": "medical", "visits": {0: 10, 6: 10}, "last_contact_day": 400},
        },
    )
    con = duckdb.connect(str(path), read_only=True)
    params = {
        **CohortFilter().as_params(),
        "threshold": 4.0,
        "days_per_month": DAYS_PER_MONTH,
        "randomized_only": True,
        "visit_month": 6,
    }
    rows = db.run_query(con, "responders_by_visit", params).set_index(["arm", "visit_month"])
    assert rows.loc[("stent", 6), ["n_due", "n", "responders_points"]].tolist() == [2, 1, 1]
    assert rows.loc[("stent", 12), ["n_due", "n", "responders_points"]].tolist() == [2, 2, 0]
    assert rows.loc[("medical", 6), ["n_due", "n", "responders_points"]].tolist() == [1, 1, 0]
    sweep = db.run_query(con, "responder_thresholds", params).set_index(["arm", "threshold"])
    assert sweep.loc[("stent", 6.0), "responders_points"] == 1 and sweep.loc[("stent", 7.0), "responders_points"] == 0
    assert (sweep.n_due.loc["stent"] == 2).all()
    con.close()


def test_only_the_schedule_rule_reads_the_visits_table():
    """One rule for which visits are analysed: every query and derived table reads them through
    scheduled_visits; only the row export and the file's row count read the table itself."""
    from pts_explorer.config import QUERIES_DIR

    readers = {
        str(path.relative_to(QUERIES_DIR))
        for path in QUERIES_DIR.rglob("*.sql")
        if re.search(r"(?i)\b(from|join)\s+visits\b", sql._strip_comments(path.read_text(encoding="utf-8")))
    }
    assert readers == {"shared/scheduled_visits.sql", "export_visits.sql", "dataset_info.sql"}
