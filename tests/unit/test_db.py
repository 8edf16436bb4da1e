"""Opening the database: clear problems for missing or malformed files; read-only access."""

import duckdb
import pandas as pd
import pytest

from pts_explorer import db


def test_missing_file_is_a_clear_problem(tmp_path):
    with pytest.raises(db.DatabaseProblem, match="No outcomes database"):
        db.open_read_only(tmp_path / "nope.duckdb")


def test_folder_is_refused(tmp_path):
    with pytest.raises(db.DatabaseProblem, match="folder"):
        db.open_read_only(tmp_path)


def test_file_that_is_not_duckdb_is_a_clear_problem(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("patient_id,arm\nP1,stent\n")
    with pytest.raises(db.DatabaseProblem, match="could not be opened"):
        db.open_read_only(bad)
    assert bad.read_text().startswith("patient_id")  # never modified


def test_database_without_contract_tables_lists_what_is_missing(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE patients (patient_id VARCHAR, arm VARCHAR)")
    con.close()
    with pytest.raises(db.DatabaseProblem) as info:
        db.open_checked(path)
    details = "\n".join(info.value.details)
    assert "missing table `visits`" in details
    assert "table `patients` lacks column(s)" in details and "stenosis_grade" in details


def test_connection_is_read_only(small_db):
    con = db.open_read_only(small_db)
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM patients")
    con.close()


def test_data_version_changes_when_the_file_is_replaced(tmp_path, small_db):
    target = tmp_path / "x.duckdb"
    target.write_bytes(small_db.read_bytes())
    before = db.data_version(target)
    replacement = tmp_path / "y.duckdb"
    replacement.write_bytes(small_db.read_bytes() + b"")
    replacement.replace(target)
    assert db.data_version(target) != before
    assert db.data_version(tmp_path / "missing.duckdb") == "missing"


def test_a_replaced_file_is_read_anew_while_the_old_handle_stays_open(tmp_path, small_db, one_patient_db):
    """DuckDB reuses an open instance per path, which kept the replaced file (docs/import.md §3)."""
    live = tmp_path / "live.duckdb"
    live.write_bytes(small_db.read_bytes())
    old = db.open_read_only(live)
    (before,) = old.execute("SELECT count(*) FROM patients").fetchone()
    replacement = tmp_path / "new.duckdb"
    replacement.write_bytes(one_patient_db.read_bytes())
    replacement.replace(live)
    new = db.open_read_only(live)
    assert new.execute("SELECT count(*) FROM patients").fetchone() == (1,)
    assert old.cursor().execute("SELECT count(*) FROM patients").fetchone() == (before,)  # in-flight readers finish
    old.close()
    new.close()


HEAVY = "SELECT count(DISTINCT i::VARCHAR) FROM range(3000000) AS t(i)"  # cannot spill: needs ~100 MB


def test_a_statement_out_of_memory_runs_again_with_the_ceiling(monkeypatch):
    from pts_explorer import memory

    con = duckdb.connect(":memory:", config={"memory_limit": "4MB", "threads": "2"})
    with pytest.raises(duckdb.OutOfMemoryException):
        con.execute(HEAVY).fetchone()  # the limit is real
    assert memory.with_headroom(con, lambda: con.execute(HEAVY).fetchone()) == (3_000_000,)
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit.replace(" ", "").upper().startswith(("1.0GB", "1GB", "953.6MIB", "1.0GIB", "1GIB")), limit


def _limit(con) -> str:
    return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_queries_and_contract_checks_at_a_tiny_limit_answer_as_at_the_default(small_db, monkeypatch):
    """Statements that outgrow the limit are run again with the ceiling: the same answers, and no
    contract check reported as unreadable (a false 'broken file')."""
    from pts_explorer import config, validation
    from tests.unit.test_queries import SAMPLE_PARAMS

    normal = db.open_read_only(small_db)
    monkeypatch.setitem(config.DUCKDB_CONFIG, "memory_limit", "6MB")
    tiny = db.open_read_only(small_db)
    start = _limit(tiny)
    params = {**SAMPLE_PARAMS, "max_patients": 20_000}
    for name in ("trajectory_summary", "km_counts", "cox_data", "baseline_categorical", "analysis_long"):
        got, expected = db.run_query(tiny, name, params), db.run_query(normal, name, params)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)  # sums in another order
    assert _limit(tiny) != start  # a statement did outgrow 4 MB, and was run again
    checked = db.open_read_only(small_db)
    unlimited = validation.validate(normal)
    assert validation.validate(checked).findings == unlimited.findings and unlimited.errors == []


def test_a_contract_check_that_outgrows_the_limit_runs_again_rather_than_reported_unreadable():
    """Whether a real check outgrows a small limit depends on the machine (CI's did not at 6 MB),
    so a check that cannot fit (HEAVY, ~100 MB, cannot spill) proves the retry."""
    from pts_explorer import validation

    con = duckdb.connect(":memory:", config={"memory_limit": "4MB", "threads": "2"})
    con.execute("CREATE TABLE t0 AS SELECT 1 AS x")
    rule = validation.Rule(
        "heavy", "t0", ("x",), validation.ERROR, "rows", ("n",), f"FROM ({HEAVY}) AS t(n) WHERE n <> 3000000"
    )
    start = _limit(con)
    assert validation._run(con, rule) is None  # held (not a reason string: it ran)
    assert _limit(con) != start  # within the ceiling


def test_a_limit_too_tight_to_read_the_catalog_still_opens_the_file(small_db, monkeypatch):
    """Opening reads the file's catalog; at a limit too small for that (a 6 MB limit failed so once
    with both cores busy, "could not be opened as a DuckDB database"), the open runs within the
    ceiling and then serves within the limit again."""
    from pts_explorer import config

    monkeypatch.setitem(config.DUCKDB_CONFIG, "memory_limit", "256KB")
    con = db.open_read_only(small_db)  # raised DatabaseProblem before
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "250.0 KiB"
    con.execute(f"SET memory_limit = '{config.DUCKDB_MEMORY_CEILING}'")
    assert con.execute("SELECT count(*) FROM studies").fetchone()[0] > 0  # its tables are there


def test_damage_is_named_and_a_foreign_file_is_not(small_db, tmp_path):
    """A file cut short, or whose header is zeros, is damaged; a CSV is not a DuckDB file (#24 item 8)."""
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(small_db.read_bytes()[:20000])
    with pytest.raises(db.DamagedFile) as info:
        db.open_checked(cut)
    assert info.value.message == "The data file cut.duckdb is damaged."
    blank = tmp_path / "blank.duckdb"
    blank.write_bytes(b"\0" * 4096 + small_db.read_bytes()[4096:])
    with pytest.raises(db.DamagedFile):
        db.open_checked(blank)
    foreign = tmp_path / "table.duckdb"
    foreign.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(db.DatabaseProblem) as other:
        db.open_checked(foreign)
    assert not isinstance(other.value, db.DamagedFile)
    assert other.value.message == "table.duckdb could not be opened as a DuckDB database."
    said = "IO Error: The file table.duckdb exists, but it is not a valid DuckDB database file!"
    assert other.value.details == [said]


def test_is_damage_follows_the_cause():
    raised = duckdb.Error("Corrupt database file: computed checksum 1 does not match stored checksum 2 in block")
    try:
        try:
            raise raised
        except duckdb.Error as exc:
            raise RuntimeError("a page's query failed") from exc
    except RuntimeError as outer:
        assert db.is_damage(outer)
    assert not db.is_damage(duckdb.Error("Binder Error: no such column"))
