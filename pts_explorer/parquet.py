"""Write an outcomes database as a directory of Parquet tables, the layout for many centers and for
Spark: `patients/` partitioned by study and center (study_id=…/center_id=…/), the other tables one
file each, ordered by patient so a reader skips row groups. DuckDB serves the app from that
directory (PTS_DB pointing at it) with the same SQL; Spark reads the same files (PTS_ENGINE=spark).

    python -m pts_explorer.parquet SOURCE.duckdb TARGET_DIR

The directory is written beside its target and renamed into place, so a reader never sees half of
it; a previous directory is kept as TARGET_DIR.previous until the next export.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb

from pts_explorer import db, vocab

TABLES = vocab.CONTRACT_TABLES
OPTIONAL = tuple(db.OPTIONAL_TABLES)
PARTITIONS = {"patients": ("study_id", "center_id")}
ORDER = {
    "patients": "patient_id",
    "visits": "patient_id, visit_month",
    "procedures": "patient_id",
    "events": "patient_id, event_day",
}
_PRESENT = "SELECT table_name FROM duckdb_tables() WHERE database_name = $db"


def export(source: Path, target: Path) -> dict[str, int]:
    """Write every contract table (and an import's own tables) of `source` under `target`; returns
    the rows written per table."""
    con = db.open_read_only(source)
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        present = {r[0] for r in con.execute(_PRESENT, {"db": db.ATTACHED}).fetchall()}
        written, columns = {}, {}
        for table in TABLES + tuple(t for t in OPTIONAL if t in present):
            written[table] = _write(con, table, work)
            columns[table] = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
        # Partition columns come back last from a partitioned table: readers restore this order.
        (work / db.COLUMN_ORDER_FILE).write_text(json.dumps(columns, indent=1), encoding="utf-8")
        _swap(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        con.close()
    return written


def _write(con: duckdb.DuckDBPyConnection, table: str, folder: Path) -> int:
    order = f" ORDER BY {ORDER[table]}" if table in ORDER else ""
    partitions = PARTITIONS.get(table)
    destination = folder / table if partitions else folder / f"{table}.parquet"
    literal = "'" + str(destination).replace("'", "''") + "'"  # a path of this tool's own making
    options = "FORMAT parquet, COMPRESSION zstd"
    if partitions:
        options += f", PARTITION_BY ({', '.join(partitions)})"
    con.execute(f"COPY (SELECT * FROM {table}{order}) TO {literal} ({options})")
    (rows,) = con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,)
    return int(rows)


def _swap(work: Path, target: Path) -> None:
    previous = target.with_name(target.name + ".previous")
    if target.exists():
        shutil.rmtree(previous, ignore_errors=True)
        target.rename(previous)
    work.rename(target)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        written = export(Path(argv[0]), Path(argv[1]))
    except db.DatabaseProblem as problem:
        print(problem.message, *problem.details, sep="\n", file=sys.stderr)
        return 1
    for table, rows in written.items():
        print(f"{table:16s} {rows:>12,} rows")
    print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
