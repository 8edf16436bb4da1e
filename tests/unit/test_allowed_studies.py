"""Every statement in queries/ (and each fast twin, and each statement over the populations that stand in for
the cohort) limited to one study by the bound $allowed_studies (issue 30: a permissions file's studies)
answers on a two-study file exactly what it answers on a file holding that study alone, and no cell of its
answer names a patient or the study of the other study.

The two-study file is written by hand (tests/handmade.py): TRIAL patients and REGISTRY patients, both arms,
visits, procedures and events in each, the REGISTRY ones with ids, centers and values of their own."""

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pts_explorer import db, derived, sql
from pts_explorer.sql import POPULATIONS
from tests import handmade
from tests.unit.test_queries import SAMPLE_PARAMS


def _patient(study: str, n: int, arm: str, **more) -> dict:
    months = [0, 6, 12] if study == "TRIAL" else [0, 6, 12, 24]
    start = 18 - n if study == "TRIAL" else 9 + n
    spec = {
        "study_id": study,
        "arm": arm,
        "center_id": "C1" if study == "TRIAL" else f"R{n % 3}",
        "age_years": 40 + 3 * n,
        "sex": "female" if n % 2 else "male",
        "visits": {m: (max(start - i * 2, 0), m == 0 and n % 3 == 0) for i, m in enumerate(months)},
        "events": [(200 + 10 * n, "reintervention")] if n % 2 and arm == "stent" else [],
        **more,
    }
    if arm == "stent":
        spec["procedure_day"] = 0
    return spec


TRIAL = {f"T-{n:04d}": _patient("TRIAL", n, "stent" if n % 2 else "medical") for n in range(1, 9)}
REGISTRY = {
    f"R-{n:07d}": _patient("REGISTRY", n, "stent" if n % 2 else "medical", obstruction_site="common_femoral")
    for n in range(1, 11)
}


def _with_derived(path: Path) -> Path:
    con = duckdb.connect(str(path))
    derived.write_derived(con)
    con.execute("CHECKPOINT")
    con.close()
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("two-studies")
    both = _with_derived(handmade.build(folder / "both.duckdb", {**TRIAL, **REGISTRY}))
    alone = handmade.build(folder / "trial_alone.duckdb", TRIAL)
    con = duckdb.connect(str(alone))
    con.execute("DELETE FROM studies WHERE study_id = 'REGISTRY'")  # the file of one study holds that study only
    con.close()
    return both, _with_derived(alone)


def _runs() -> list[tuple[str, bool]]:
    names = sql.query_names()
    over = [f"{name}@{population}" for name in names for population in POPULATIONS if _reads_cohort(name)]
    return [(name, fast) for name in [*names, *over] for fast in (False, True)]


def _reads_cohort(name: str) -> bool:
    try:
        text = sql.compose(name)
    except KeyError:
        return False
    return " cohort AS (" in text or text.startswith("WITH cohort AS")


def _plain(value: object) -> object:
    """A cell as a comparable value: floats to 9 decimals, lists, arrays and structs as tuples."""
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(_plain(v) for v in value)
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float | np.floating):
        return round(float(value), 9)
    return value.item() if isinstance(value, np.generic) else value


def _same(expected: pd.DataFrame, got: pd.DataFrame, name: str) -> None:
    """The same columns and the same rows (in any order)."""
    assert list(got.columns) == list(expected.columns), name
    rows = [
        sorted((tuple(_plain(v) for v in row) for row in f.itertuples(index=False)), key=repr) for f in (expected, got)
    ]
    assert rows[1] == rows[0], name


def _other_study_cells(frame: pd.DataFrame) -> list[str]:
    """Every cell that names the other study: its study id, a patient id or a center of its own."""
    own = {*REGISTRY, "REGISTRY", "Registry", "R0", "R1", "R2"}
    found = []
    for column in frame.columns:
        for value in frame[column].tolist():
            values = value if isinstance(value, list | tuple | np.ndarray) else [value]
            found += [f"{column}={v}" for v in values if isinstance(v, str) and v in own]
    return found


@pytest.mark.parametrize(("name", "fast"), _runs())
def test_a_statement_limited_to_one_study_answers_as_if_the_file_held_it_alone(files, name, fast):
    both, alone = files
    params = {**SAMPLE_PARAMS, "matched_ids": [*TRIAL, *REGISTRY]}
    with db.open_read_only(both) as con_both, db.open_read_only(alone) as con_alone:
        assert derived.usable(con_both) and derived.usable(con_alone)
        limited = db.run_query(con_both, name, {**params, "allowed_studies": ["TRIAL"]}, fast=fast)
        expected = db.run_query(con_alone, name, {**params, "allowed_studies": None}, fast=fast)
    assert _other_study_cells(limited) == [], name
    if "dataset_info" in name:  # the file's own fingerprint differs; the counts must not
        limited, expected = limited[["patients", "visits"]], expected[["patients", "visits"]]
    _same(expected, limited, name)


@pytest.mark.parametrize("name", ["export_patients", "export_visits", "studies", "centers", "cohort_size_by_study_arm"])
def test_without_a_restriction_the_file_shows_both_studies(files, name):
    """The check above has something to find: unrestricted, these name the other study's patients or study."""
    with db.open_read_only(files[0]) as con:
        assert _other_study_cells(db.run_query(con, name, {**SAMPLE_PARAMS, "allowed_studies": None})) != []


def test_a_restriction_to_no_study_answers_nothing(files):
    both, _ = files
    with db.open_read_only(both) as con:
        counts = db.run_query(con, "cohort_counts", {**SAMPLE_PARAMS, "allowed_studies": []}, fast=True)
        studies = db.run_query(con, "studies", {**SAMPLE_PARAMS, "allowed_studies": []})
    assert counts["matching"].sum() == 0 and counts["total"].sum() == 0
    assert studies.empty
