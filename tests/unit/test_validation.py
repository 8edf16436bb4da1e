"""The data-contract checks: every broken file of the corpus is caught by its rule, and valid files
(the demo, a small generated file, and their unconstrained copies) raise no false alarm."""

import duckdb
import pytest

from pts_explorer import db, validation
from tests import broken_files
from tests.broken_files import CORPUS, ERRORS, WARNINGS


def _report(path):
    con = db.open_read_only(path)
    try:
        return validation.validate(con)
    finally:
        con.close()


def test_the_corpus_is_large_and_mostly_errors():
    assert len(CORPUS) >= 30 and len(WARNINGS) >= 4


def test_rules_come_from_the_schema():
    rules = {r.id for r in validation.contract_rules()}
    assert "allowed:patients.age_years" in rules and "allowed:visits.v_calf_pain" in rules
    assert {"unique:patients", "unique:visits", "reference:visits.patient_id"} <= rules
    assert {"derived:visits.villalta_total", "derived:visits.pts_band", "derived:patients.stenosis_grade"} <= rules
    assert sum(r.startswith("required:") for r in rules) == 44  # every NOT NULL of schema.sql
    assert "DEFAULT" not in validation.SCHEMA_PATH.read_text().upper()  # column_default means generated


@pytest.mark.parametrize("valid", ["small", "demo"])
def test_valid_files_and_their_unconstrained_copies_pass(valid, small_db, demo_db, tmp_path):
    path = small_db if valid == "small" else demo_db
    assert _report(path).findings == []
    assert _report(broken_files.unconstrained_copy(path, tmp_path / "copy.duckdb")).findings == []


@pytest.mark.parametrize("broken", CORPUS, ids=[b.name for b in CORPUS])
def test_each_broken_file_is_caught_by_its_rule(broken, demo_db, tmp_path):
    path = broken_files.build(broken, demo_db, tmp_path)
    if broken.expect == "open":
        with pytest.raises(db.DatabaseProblem, match="could not be opened"):
            db.open_checked(path)
        return
    report = _report(path)
    hits = [f for f in report.findings if f.rule.startswith(broken.expect)]
    assert hits, [f.line() for f in report.findings]
    assert {f.severity for f in hits} == {broken.severity}
    if broken.severity == "warning":
        assert not report.errors, [f.line() for f in report.errors]  # no false error beside it
    assert all(f.count >= 1 and f.message for f in report.findings)


def test_examples_name_the_rows_and_values(demo_db, tmp_path):
    broken = next(b for b in CORPUS if b.name == "age 150")
    report = _report(broken_files.build(broken, demo_db, tmp_path))
    (finding,) = report.errors
    assert finding.count == 3 and "age_years 150" in finding.examples[0] and "patient_id '" in finding.examples[0]
    assert "age_years BETWEEN 18 AND 90" in finding.message


def test_open_checked_refuses_errors_and_returns_warnings(demo_db, tmp_path):
    error = broken_files.build(ERRORS[0], demo_db, tmp_path)
    with pytest.raises(db.DatabaseProblem) as info:
        db.open_checked(error)
    assert info.value.report is not None and info.value.report.errors
    warning = broken_files.build(WARNINGS[0], demo_db, tmp_path)
    con, report = db.open_checked(warning)
    assert report.warnings and not report.errors
    con.close()


def test_checking_never_writes_to_the_file(demo_db, tmp_path):
    path = broken_files.build(ERRORS[5], demo_db, tmp_path)
    before = path.read_bytes()
    _report(path)
    assert path.read_bytes() == before
    with pytest.raises(duckdb.Error):
        db.open_read_only(path).execute("DELETE FROM patients")
