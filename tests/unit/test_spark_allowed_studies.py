"""With PTS_ENGINE=spark the study restriction binds too (issue 30): the same statements, given the bound
$allowed_studies of a user who sees the TRIAL study only, return on Spark exactly what DuckDB returns, and
nothing of the REGISTRY study (its study id, its centres, its patients); a user who sees no study gets no
row. One Spark session, a few statements: the whole parity run is tests/unit/test_spark.py."""

import os

import pandas as pd
import pytest

from pts_explorer import db, parquet
from tests.unit.test_queries import SAMPLE_PARAMS
from tests.unit.test_spark import _same

STATEMENTS = ("studies", "centers", "export_patients")  # each names the study, its centres or its patients


@pytest.fixture(scope="module")
def engines(demo_db, tmp_path_factory):
    from pts_explorer import spark

    try:
        spark.check_available()
    except spark.SparkUnavailable as problem:
        if os.environ.get("PTS_REQUIRE_SPARK"):
            pytest.fail(str(problem))
        pytest.skip(str(problem))
    folder = tmp_path_factory.mktemp("parquet") / "demo"
    parquet.export(demo_db, folder)
    duck = db.open_read_only(demo_db)
    yield duck, spark.connect(folder=folder, conf=spark.SMALL_DATA)
    duck.close()


def _registry_cells(frame: pd.DataFrame) -> list[str]:
    """Cells naming the REGISTRY study, one of its centres (RC..) or patients (R-...)."""
    return [
        str(v)
        for column in frame.columns
        for v in frame[column].tolist()
        if isinstance(v, str) and (v == "REGISTRY" or v.startswith(("RC", "R-")))
    ]


def test_spark_binds_the_study_restriction(engines, demo_db):
    duck, spark = engines
    for name in STATEMENTS:
        whole = db.run_query(spark, name, {**SAMPLE_PARAMS, "allowed_studies": None})
        trial = db.run_query(spark, name, {**SAMPLE_PARAMS, "allowed_studies": ["TRIAL"]})
        _same(db.run_query(duck, name, {**SAMPLE_PARAMS, "allowed_studies": ["TRIAL"]}), trial, name)
        assert _registry_cells(trial) == [], name
        assert _registry_cells(whole) != [], name  # the file holds the registry: the check can fail
    counts = {
        key: int(db.run_query(spark, "cohort_counts", {**SAMPLE_PARAMS, "allowed_studies": allowed}).matching.sum())
        for key, allowed in (("all", None), ("trial", ["TRIAL"]), ("none", []))
    }
    con = db.open_read_only(demo_db)
    try:
        trial_patients = con.execute("SELECT count(*) FROM patients WHERE study_id = 'TRIAL'").fetchone()[0]
    finally:
        con.close()
    assert counts["trial"] == trial_patients < counts["all"]
    assert counts["none"] == 0
