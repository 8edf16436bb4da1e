"""Read-only DuckDB access: open and check a database file, run named queries on a cursor."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pts_explorer import sql, validation
from pts_explorer.config import DUCKDB_CONFIG


class DatabaseProblem(Exception):
    """The outcomes database is missing, unreadable, or does not follow the data contract."""

    def __init__(self, message: str, details: list[str] | None = None, report: validation.Report | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.report = report


def data_version(path: Path) -> str:
    """A token that changes whenever the file is replaced (the generator renames a new file in)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only (no check of its contents: see open_checked)."""
    if not path.exists():
        raise DatabaseProblem(f"No outcomes database at {path}.")
    if path.is_dir():
        raise DatabaseProblem(f"{path} is a folder, not a DuckDB database file.")
    try:
        return duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG)
    except duckdb.Error as exc:
        raise DatabaseProblem(f"{path} could not be opened as a DuckDB database.", [str(exc).splitlines()[0]]) from exc


def open_checked(path: Path) -> tuple[duckdb.DuckDBPyConnection, validation.Report]:
    """Open the database read-only and check it against the data contract.

    Raises DatabaseProblem, listing every error with counts and examples, when the file breaks the
    contract; returns the connection and the report (its warnings) otherwise.
    """
    con = open_read_only(path)
    report = validation.validate(con)
    if report.errors:
        con.close()
        raise DatabaseProblem(
            f"{path} does not follow the PTS outcomes data contract.",
            [f.line() for f in report.errors],
            report,
        )
    return con, report


def bind_params(name: str, params: dict) -> tuple[str, dict]:
    """The composed SQL of a query and the subset of params it uses; a missing one is an error."""
    text = sql.compose(name)
    wanted = sql.param_names(text)
    missing = wanted - params.keys()
    if missing:
        raise ValueError(f"{name}.sql needs parameter(s) {sorted(missing)}")
    return text, {k: params[k] for k in wanted}


def run_query(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> pd.DataFrame:
    """Run queries/<name>.sql on a fresh cursor (sessions run on different threads)."""
    text, bound = bind_params(name, params or {})
    cur = con.cursor()
    try:
        return cur.execute(text, bound).df()
    finally:
        cur.close()
