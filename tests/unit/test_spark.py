"""Every query gives identical results on DuckDB and on Spark local mode (docs/scale-out.md §3): the
same composed, bound statement, translated by pts_explorer.spark, over the same data written as
Parquet by pts_explorer.parquet; floats to 1e-9, the same sampled patients. Spark runs with the
settings for small data (pts_explorer.spark.SMALL_DATA), which change its plans, not its results.
Needs the optional Spark extra (make test installs it; PTS_REQUIRE_SPARK=1 makes its absence a failure)."""

import datetime
import os

import numpy as np
import pandas as pd
import pytest

from pts_explorer import db, parquet, sql
from pts_explorer.filters import CohortFilter
from tests.unit.test_queries import SAMPLE_PARAMS

DERIVED_ONLY = {  # read DuckDB's derived tables
    "patient_cells",
    "visit_cells",
    "responder_cells",
    "safety_event_cells",
    "safety_exposure_cells",
    "analysis_visits",
}
POPULATION_RUNS = ("trajectory_summary", "km_counts", "responders_by_visit", "safety_events", "candidate_baseline")
FILTERED = CohortFilter(  # with "More filters": a centre set, a CEAP set, BMI, enrolment year and follow-up ranges
    site=("common_iliac", "common_femoral"),
    grade=("70-99%", "occlusion"),
    age=(30, 75),
    more=(
        ("center", ("RC01", "RC02", "RC05", "TC01")),
        ("ceap", ("C3", "C4a", "C5")),
        ("bmi", (20, 40)),
        ("enrolled", (2012, 2021)),  # year(enrolled_on) on both engines
        ("followup", (6, 120)),  # last_contact_day / 30.4375
    ),
)
PARAMETER_SETS = {
    "everyone": SAMPLE_PARAMS,
    "filtered, small samples": {
        **SAMPLE_PARAMS,
        **FILTERED.as_params(),
        **FILTERED.option_params(),
        **FILTERED.funnel_params(),
        **FILTERED.more_option_params(),
        **{f"b_{k}": v for k, v in CohortFilter(sex=("female",), band=("moderate", "severe")).as_params().items()},
        "by_study": False,
        "max_patients": 50,  # the sample must be the same patients on both engines
        "per_arm": 3,
        "visit_month": 12,
        "endpoint": "secondary_patency",
        "group": "stenosis_grade",
        "threshold": 2.0,
        "outcome": "veines_qol",
        "level": 0,
        "match_per_arm": 25,
        "c_sex": None,
        "c_ulcer": None,
    },
    "trial, ulcers": {
        **SAMPLE_PARAMS,
        **CohortFilter(study=("TRIAL",), ulcer="yes").as_params(),
        **CohortFilter(study=("TRIAL",), ulcer="yes").option_params(),
        **CohortFilter(study=("TRIAL",), ulcer="yes").funnel_params(),
        "randomized_only": True,
        "endpoint": "ulcer_healing",
        "group": "sex",
        "outcome": "vcss",
        "visit_month": 6,
        "max_patients": 7,
        "level": 1,
        "c_site": "external_iliac",
        "c_grade": "70-99%",
        "c_region": "iliocaval",
        "c_grade_group": "high",
    },
}


def require_spark():
    """The pts_explorer.spark module when Spark can run here; else the test is skipped, or fails where
    PTS_REQUIRE_SPARK says Spark must run (make test, CI)."""
    from pts_explorer import spark

    try:
        spark.check_available()
    except spark.SparkUnavailable as problem:
        if os.environ.get("PTS_REQUIRE_SPARK"):
            pytest.fail(str(problem))
        pytest.skip(str(problem))
    return spark


@pytest.fixture(scope="module")
def engines(demo_db, tmp_path_factory):
    """DuckDB on the demo file, and a Spark session on the same tables written as Parquet."""
    spark = require_spark()
    folder = tmp_path_factory.mktemp("parquet") / "demo"
    parquet.export(demo_db, folder)
    duck = db.open_read_only(demo_db)
    yield duck, spark.connect(folder=folder, conf=spark.SMALL_DATA)
    duck.close()


# (composed statement, bound values) -> rows, for each statement compared: a query whose bound
# values are the same under two parameter sets is the same statement over the same data, compared once.
_COMPARED: dict[tuple[str, str], int] = {}


def _names() -> list[str]:
    plain = [n for n in sql.query_names() if n not in DERIVED_ONLY]
    return plain + [f"{n}@matched_cohort" for n in POPULATION_RUNS]


def _cell(value: object) -> object:
    if isinstance(value, np.ndarray | list | tuple):
        return tuple(_cell(v) for v in value)
    if isinstance(value, pd.Timestamp | datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.date):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    if value is pd.NaT or value is None or (not isinstance(value, str | tuple) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _normalised(frame: pd.DataFrame) -> list[tuple]:
    rows = [tuple(_cell(v) for v in row) for row in frame.itertuples(index=False)]
    return sorted(rows, key=lambda r: tuple((v is None, str(type(v)), str(v)) for v in r))


def _same(duck: pd.DataFrame, spark: pd.DataFrame, name: str) -> None:
    assert list(duck.columns) == list(spark.columns), name
    assert len(duck) == len(spark), (name, len(duck), len(spark))
    for a, b in zip(_normalised(duck), _normalised(spark), strict=True):
        for column, x, y in zip(duck.columns, a, b, strict=True):
            if isinstance(x, float | int) and isinstance(y, float | int) and not isinstance(x, bool):
                assert y == pytest.approx(x, rel=1e-9, abs=1e-9), (name, column, a, b)
            else:
                assert x == y, (name, column, a, b)


@pytest.mark.parametrize("parameters", list(PARAMETER_SETS))
def test_every_query_is_identical_on_duckdb_and_spark(engines, parameters):
    duck, spark = engines
    params = PARAMETER_SETS[parameters]
    checked = []
    for name in _names():
        text, bound = db.bind_params(name, params)
        statement = (text, repr(sorted(bound.items())))
        if statement not in _COMPARED:
            expected = db.run_query(duck, name, params)
            got = db.run_query(spark, name, params)
            _same(expected, got, name)
            _COMPARED[statement] = len(expected)
        checked.append((name, _COMPARED[statement]))
    assert len(checked) >= 45
    assert sum(rows > 0 for _, rows in checked) >= 35  # real results, not empty ones compared


def test_the_sampled_patients_are_the_same(engines):
    duck, spark = engines
    params = {**SAMPLE_PARAMS, "max_patients": 40, "randomized_only": False}
    for name in ("analysis_visit", "cox_data"):
        a = set(db.run_query(duck, name, params).patient_id)
        b = set(db.run_query(spark, name, params).patient_id)
        assert a == b and len(a) == 40


def test_the_parity_session_runs_with_the_small_data_settings(engines):
    from pts_explorer import spark as engine

    _, spark = engines
    assert {key: spark.session.conf.get(key) for key in engine.SMALL_DATA} == engine.SMALL_DATA


def test_pts_spark_conf_is_read_as_spark_settings():
    from pts_explorer import spark

    text = " spark.sql.shuffle.partitions=1   spark.sql.adaptive.enabled=false\n"
    assert spark.settings(text) == {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"}
    assert spark.settings("") == {}
    for wrong in ("spark.sql.codegen.wholeStage", "spark.sql.adaptive.enabled=", "shuffle.partitions=1"):
        with pytest.raises(spark.SparkUnavailable) as problem:
            spark.settings(wrong)
        assert str(problem.value) == f"PTS_SPARK_CONF: {wrong!r} is not a Spark setting written key=value (spark.…=…)."
