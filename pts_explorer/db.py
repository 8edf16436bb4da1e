"""Read-only DuckDB access: open and check a database file, run named queries on a cursor."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pts_explorer import derived, sql, validation
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


ATTACHED = "outcomes"  # the catalog name of the attached outcomes file

# Tables an import adds (pts_explorer.importer). A file without them gets an empty view of the same
# shape, so the queries that read them run on every file.
OPTIONAL_TABLES = {
    "import_info": "NULL::VARCHAR AS profile, NULL::INTEGER AS profile_version, NULL::VARCHAR AS importer_version, "
    "NULL::TIMESTAMP AS imported_at, NULL::BIGINT AS warnings",
    "import_manifest": "NULL::VARCHAR AS file, NULL::BIGINT AS bytes, NULL::VARCHAR AS sha256, NULL::BIGINT AS rows",
    "sponsor_adtte": "NULL::VARCHAR AS usubjid, NULL::VARCHAR AS paramcd, NULL::VARCHAR AS param, NULL::VARCHAR AS "
    "aval, NULL::VARCHAR AS cnsr, NULL::VARCHAR AS startdt, NULL::VARCHAR AS adt, NULL::VARCHAR AS evntdesc, "
    "NULL::VARCHAR AS cnsdtdsc, NULL::VARCHAR AS endpoint",
}


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only (no check of its contents: see open_checked).

    The file is attached read-only to a new in-memory DuckDB instance whose own catalog holds one
    view per table of the file, so queries name tables plainly. A new instance per open matters:
    `duckdb.connect(path)` returns the instance already open for that path, which keeps reading
    the old file after it was replaced (shared/reference/import.md §3.5).
    """
    if not path.exists():
        raise DatabaseProblem(f"No outcomes database at {path}.")
    if path.is_dir():
        raise DatabaseProblem(f"{path} is a folder, not a DuckDB database file.")
    con = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
    try:
        con.execute(f"ATTACH $path AS {ATTACHED} (READ_ONLY)", {"path": str(path)})
        _expose_tables(con)
    except duckdb.Error as exc:
        con.close()
        raise DatabaseProblem(f"{path} could not be opened as a DuckDB database.", [str(exc).splitlines()[0]]) from exc
    return con


def _expose_tables(con: duckdb.DuckDBPyConnection) -> None:
    names = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = $db AND schema_name = 'main' "
        "UNION SELECT view_name FROM duckdb_views() WHERE database_name = $db AND schema_name = 'main' "
        "AND NOT internal ORDER BY 1",
        {"db": ATTACHED},
    ).fetchall()
    for (name,) in names:  # names from the file's own catalog, quoted as identifiers
        quoted = '"' + name.replace('"', '""') + '"'
        con.execute(f"CREATE VIEW {quoted} AS SELECT * FROM {ATTACHED}.main.{quoted}")
    for name, columns in OPTIONAL_TABLES.items():
        if (name,) not in names:
            con.execute(f"CREATE VIEW {name} AS SELECT {columns} WHERE FALSE")


def has_derived(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file's derived tables are current (pts_explorer.derived): queries may then run
    their fast twins."""
    return derived.usable(con)


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


def bind_params(name: str, params: dict, fast: bool = False) -> tuple[str, dict]:
    """The composed SQL of a query (its fast twin with `fast`) and the subset of params it uses; a
    missing one is an error."""
    text = sql.compose(name, fast)
    wanted = sql.param_names(text)
    missing = wanted - params.keys()
    if missing:
        raise ValueError(f"{name}.sql needs parameter(s) {sorted(missing)}")
    return text, {k: params[k] for k in wanted}


def run_query(
    con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None, fast: bool = False
) -> pd.DataFrame:
    """Run queries/<name>.sql on a fresh cursor (sessions run on different threads); `fast`: its
    fast twin, for a file with current derived tables (has_derived)."""
    text, bound = bind_params(name, params or {}, fast)
    cur = con.cursor()
    try:
        return cur.execute(text, bound).df()
    finally:
        cur.close()
