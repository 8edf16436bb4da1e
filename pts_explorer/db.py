"""Read-only DuckDB access: open and check a database file, run named queries on a cursor."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pandas as pd

from pts_explorer import derived, filters, memory, sql, validation
from pts_explorer.config import DUCKDB_CONFIG, DUCKDB_MEMORY_CEILING, DUCKDB_PARQUET_CONFIG


class Engine(Protocol):
    """Another engine the composed, bound statements run on (pts_explorer.spark)."""

    def run(self, text: str, bound: dict[str, Any]) -> pd.DataFrame: ...


class DatabaseProblem(Exception):
    """The outcomes database is missing, unreadable, or does not follow the data contract."""

    def __init__(self, message: str, details: list[str] | None = None, report: validation.Report | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.report = report


class DamagedFile(DatabaseProblem):
    """The file's bytes are damaged: a block's checksum does not match what DuckDB stored with it,
    or the file ends before its last block (a disk fault, a copy cut short, an edit in place)."""


# How DuckDB says that a file's bytes are damaged (DuckDB 1.x-2.x): a block whose checksum does not
# match raises `duckdb.Error` "Corrupt database file: computed checksum ... in block at location N";
# a file cut short raises `duckdb.IOException` "Could not read enough bytes from file ...".
DAMAGE_SIGNS = ("Corrupt database file", "Could not read enough bytes from file")


class FileInUse(DatabaseProblem):
    """Another process holds the file open for writing: a passing state, so it is not kept as the
    file's verdict (the next run tries again)."""


# How DuckDB says that another process holds the file open for writing (its lock conflicts).
LOCKED_SIGN = "Could not set lock on file"


def is_damage(exc: BaseException | None) -> bool:
    """Whether an exception (or one it was raised from) is DuckDB saying the file is damaged."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DamagedFile) or (
            isinstance(exc, duckdb.Error) and any(sign in str(exc) for sign in DAMAGE_SIGNS)
        ):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def shown_name(path: Path) -> str:
    """A file's name as the pages say it: relative to the data folder when it is inside it, else
    its file name alone (never the server's absolute path)."""
    from pts_explorer import config

    try:
        return Path(path).resolve().relative_to(config.DEFAULT_DB_PATH.parent.resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name


def damaged(path: Path, exc: BaseException | None = None) -> DamagedFile:
    """The problem a damaged file is reported as (the log keeps DuckDB's own message)."""
    where = re.search(r"location (\d+)", str(exc or ""))
    detail = [f"DuckDB found a damaged block at byte {int(where.group(1)):,} of the file."] if where else []
    return DamagedFile(f"The data file {shown_name(path)} is damaged.", detail)


def _without_path(path: Path, exc: duckdb.Error) -> str:
    """DuckDB's first line without the file's path (its messages name the path it was given)."""
    return str(exc).splitlines()[0].replace(f'"{path}"', shown_name(path)).replace(str(path), shown_name(path))


def data_version(path: Path) -> str:
    """A token that changes whenever the file is replaced (the generator renames a new file in), or
    any Parquet file of a directory is added, removed or rewritten."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    if path.is_dir():
        files = sorted((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in path.rglob("*.parquet"))
        return f"dir-{hash(tuple(files))}"
    return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"


ATTACHED = "outcomes"  # the catalog name of the attached outcomes file

# Tables an import adds (pts_explorer.importer). A file without them gets an empty view of the same
# shape, so the queries that read them run on every file.
OPTIONAL_TABLES = {
    "import_info": "NULL::VARCHAR AS profile, NULL::INTEGER AS profile_version, NULL::VARCHAR AS importer_version, "
    "NULL::TIMESTAMP AS imported_at, NULL::BIGINT AS warnings",
    "import_manifest": "NULL::VARCHAR AS file, NULL::BIGINT AS bytes, NULL::VARCHAR AS sha256, NULL::BIGINT AS rows",
    "import_issues": "NULL::VARCHAR AS severity, NULL::VARCHAR AS rule, NULL::VARCHAR AS file, NULL::BIGINT AS line, "
    "NULL::VARCHAR AS record, NULL::VARCHAR AS column_name, NULL::VARCHAR AS value, NULL::VARCHAR AS message",
    "sponsor_adtte": "NULL::VARCHAR AS usubjid, NULL::VARCHAR AS paramcd, NULL::VARCHAR AS param, NULL::VARCHAR AS "
    "aval, NULL::VARCHAR AS cnsr, NULL::VARCHAR AS startdt, NULL::VARCHAR AS adt, NULL::VARCHAR AS evntdesc, "
    "NULL::VARCHAR AS cnsdtdsc, NULL::VARCHAR AS endpoint",
}


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only (no check of its contents: see open_checked).

    The file is attached read-only to a new in-memory DuckDB instance whose own catalog holds one
    view per table of the file, so queries name tables plainly. A new instance per open matters:
    `duckdb.connect(path)` returns the instance already open for that path, which keeps reading
    the old file after it was replaced (docs/import.md §3).
    """
    if not path.exists():
        raise DatabaseProblem(f"No outcomes database at {shown_name(path)}.")
    if path.is_dir():
        return open_parquet(path)
    con = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
    try:
        _within_ceiling(con, lambda: con.execute(f"ATTACH $path AS {ATTACHED} (READ_ONLY)", {"path": str(path)}))
        _within_ceiling(con, lambda: _expose_tables(con))
    except duckdb.Error as exc:
        con.close()
        if is_damage(exc) or _starts_blank(path):
            raise damaged(path, exc) from exc
        if LOCKED_SIGN in str(exc):
            holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
            said = [f"The program holding it: {Path(holder[1]).name} (process {holder[2]})."] if holder else []
            raise FileInUse(
                f"{shown_name(path)} is in use by another program, which holds it open for writing (DuckDB lets "
                "no other process read a file while one writes to it). Close that program's connection (a DuckDB "
                "shell, a notebook, a script), or have it open the file read-only, then reload this page.",
                said,
            ) from exc
        raise DatabaseProblem(
            f"{shown_name(path)} could not be opened as a DuckDB database.", [_without_path(path, exc)]
        ) from exc
    return con


def _starts_blank(path: Path) -> bool:
    """A file whose first 4 KiB are zeros (its header overwritten) is a damaged file, not another format."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return len(head) == 4096 and not head.strip(b"\0")


def verify_blocks(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Read every column of every table of the attached file once, so DuckDB checks the checksum of
    each block the tables use; raises DamagedFile on the first damaged one. A streaming aggregate
    (one hash per column), so memory stays flat whatever the file's size."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $db ORDER BY 1, 2", {"db": ATTACHED}
    ).fetchall()
    for schema, name in tables:  # names from the file's own catalog, quoted as identifiers
        try:
            con.execute(
                f"SELECT bit_xor(hash(COLUMNS(*))) FROM {ATTACHED}.{_quoted(schema)}.{_quoted(name)}"
            ).fetchall()
        except duckdb.Error as exc:
            if is_damage(exc):
                raise damaged(path, exc) from exc
            raise


def _within_ceiling(con: duckdb.DuckDBPyConnection, step: Any) -> None:
    """Run one step of opening the file; if the memory limit is too tight for it (reading the
    catalog took more than 6 MB once with both cores busy), run it again within the ceiling
    (PTS_DUCKDB_MEMORY_MAX) and return to the limit: a tight limit is not a broken file."""
    try:
        step()
    except duckdb.OutOfMemoryException:
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_CEILING}'")
        try:
            step()
        finally:
            con.execute(f"SET memory_limit = '{DUCKDB_CONFIG['memory_limit']}'")


COLUMN_ORDER_FILE = "columns.json"  # each table's columns in the source's order (pts_explorer.parquet)


def column_order(folder: Path) -> dict[str, list[str]]:
    """The column order a Parquet directory records, or none."""
    try:
        found = json.loads((folder / COLUMN_ORDER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(found, dict) and all(
        isinstance(v, list) and all(isinstance(c, str) for c in v) for v in found.values()
    )
    return found if ok else {}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def open_parquet(folder: Path) -> duckdb.DuckDBPyConnection:
    """A directory of Parquet tables (pts_explorer.parquet's layout: <table>/ or <table>.parquet,
    partitions as key=value folders) served through one view per table: the same SQL runs on it.
    Parquet files are read-only by nature; the directory has no derived tables, so the queries run
    on the contract tables."""
    tables = parquet_tables(folder)
    if not tables:
        raise DatabaseProblem(
            f"{shown_name(folder)} is a folder without Parquet tables: point PTS_DB at a DuckDB file, or at a folder "
            "written by `make export-parquet` (one folder or file per table)."
        )
    order = column_order(folder)
    con = duckdb.connect(":memory:", config=DUCKDB_PARQUET_CONFIG)
    try:
        for name, pattern in tables.items():
            # The folder comes from the operator's configuration; it is quoted as a string literal.
            literal = "'" + pattern.replace("'", "''") + "'"
            hive = ", hive_partitioning = true, hive_types_autocast = false" if pattern.endswith("**/*.parquet") else ""
            columns = ", ".join(_quoted(c) for c in order[name]) if name in order else "*"
            con.execute(f"CREATE VIEW {_quoted(name)} AS SELECT {columns} FROM read_parquet({literal}{hive})")
        for name, columns in OPTIONAL_TABLES.items():
            if name not in tables:
                con.execute(f"CREATE VIEW {name} AS SELECT {columns} WHERE FALSE")
    except duckdb.Error as exc:
        con.close()
        raise DatabaseProblem(
            f"{shown_name(folder)} could not be read as Parquet tables.", [_without_path(folder, exc)]
        ) from exc
    return con


def parquet_tables(folder: Path) -> dict[str, str]:
    """Each table of a Parquet directory and the glob that reads it (table names are identifiers)."""
    found = {}
    for entry in sorted(folder.iterdir()):
        name = entry.name.removesuffix(".parquet")
        if not name.isidentifier():
            continue
        if entry.is_file() and entry.suffix == ".parquet":
            found[name] = str(entry)
        elif entry.is_dir() and any(entry.rglob("*.parquet")):
            found[name] = str(entry / "**" / "*.parquet")
    return found


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
    if not path.is_dir():
        try:
            verify_blocks(con, path)
        except BaseException:
            con.close()
            raise
    report = validation.validate(con)
    if report.errors:
        con.close()
        raise DatabaseProblem(
            f"{shown_name(path)} does not follow the PTS outcomes data contract.",
            [f.line() for f in report.errors],
            report,
        )
    return con, report


def bind_params(name: str, params: dict, fast: bool = False) -> tuple[str, dict]:
    """The composed SQL of a query (its fast twin with `fast`) and the subset of params it uses; a
    missing one is an error."""
    text = sql.compose(name, fast)
    wanted = sql.param_names(text)
    # The studies the user may see (pts_explorer/access.py): the app's data layer always passes them;
    # a caller without a user (the command line, a script) sees every study, as without a permissions file.
    params = {"allowed_studies": None, **params}
    missing = wanted - params.keys()
    if missing:
        raise ValueError(f"{name}.sql needs parameter(s) {sorted(missing)}")
    return text, {k: params[k] for k in wanted}


def run_query(
    con: duckdb.DuckDBPyConnection | Engine, name: str, params: dict | None = None, fast: bool = False
) -> pd.DataFrame:
    """Run queries/<name>.sql on a fresh cursor (sessions run on different threads); `fast`: its
    fast twin, for a file with current derived tables (has_derived). On another engine the
    statement runs as composed from the contract tables (derived tables are DuckDB's own)."""
    if not isinstance(con, duckdb.DuckDBPyConnection):
        return con.run(*bind_params(name, params or {}))
    if fast and filters.more_active(bind_params(name, params or {})[1]):
        fast = False  # the cells do not carry the "More filters" columns: from the patient-level relations
    text, bound = bind_params(name, params or {}, fast)
    cur = con.cursor()
    try:
        return memory.with_headroom(con, lambda: cur.execute(text, bound).df())
    finally:
        cur.close()
