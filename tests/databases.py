"""Reading a built outcomes file back in tests: every row of its tables, sorted, to compare two
imports (the page's and the command line's, an archive's and its loose files') whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from pts_explorer.config import PROJECT_ROOT

# The Villalta scale's 11 items in its published order (5 symptoms, 6 signs), as the contract names them
# without their "v_": a form's items 1..11 are these, in this order. Written here by hand, not read from
# pts_explorer.vocab, so an import test checks the importer against the scale, not against itself.
VILLALTA_ORDER = (
    "pain",
    "cramps",
    "heaviness",
    "paresthesia",
    "pruritus",
    "edema",
    "induration",
    "hyperpigmentation",
    "redness",
    "ectasia",
    "calf_pain",
)
CONTRACT_ROWS = ("patients", "visits", "procedures", "events")  # the tables that hold the patients' data


def table_rows(path: Path, tables: tuple[str, ...] = CONTRACT_ROWS) -> dict[str, list[tuple]]:
    """Every row of each table, sorted by all columns."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    finally:
        con.close()


def cli_import(profile: Path, files: list[Path] | tuple[Path, ...], out: Path) -> Path:
    """The command line's import of `files` with `profile` into `out` (synthetic data, quiet), as a user
    runs it from the project folder; fails the test with what it printed unless it imports."""
    done = subprocess.run(
        [sys.executable, "-m", "pts_explorer.importer", "--profile", str(profile), "--out", str(out)]
        + ["--synthetic", "--quiet", *map(str, files)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out
