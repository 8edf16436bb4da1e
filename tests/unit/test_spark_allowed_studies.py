"""With PTS_ENGINE=spark the study restriction binds too (issue 30): the same statements, given the bound
$allowed_studies of a user who sees the TRIAL study only, return on Spark exactly what DuckDB returns, and
nothing of the REGISTRY study (its study id, its centres, its patients); a user who sees no study gets no
row. One Spark session, a few statements: the whole parity run is tests/unit/test_spark.py."""

import pandas as pd

from pts_explorer import db
from tests.unit import test_spark
from tests.unit.test_queries import SAMPLE_PARAMS
from tests.unit.test_spark import _same

engines = test_spark.engines  # the fixture: this module's own Spark session on the demo as Parquet
STATEMENTS = ("studies", "centers", "export_patients")  # each names the study, its centres or its patients


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
