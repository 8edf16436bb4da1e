"""Reading a built outcomes file back in tests: every row of its tables, sorted, to compare two
imports (the page's and the command line's, an archive's and its loose files') whole."""

from __future__ import annotations

from pathlib import Path

import duckdb

CONTRACT_ROWS = ("patients", "visits", "procedures", "events")  # the tables that hold the patients' data


def table_rows(path: Path, tables: tuple[str, ...] = CONTRACT_ROWS) -> dict[str, list[tuple]]:
    """Every row of each table, sorted by all columns."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()
