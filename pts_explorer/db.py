"""Read-only DuckDB access: open and check a database file, run named queries on a cursor."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from pts_explorer import sql, vocab
from pts_explorer.config import DUCKDB_CONFIG

REQUIRED_COLUMNS = {
    "dataset_info": {"dataset_name", "synthetic", "generator_version", "seed", "created_at", "description"},
    "studies": {"study_id", "study_name", "design", "visit_months", "description"},
    "patients": {
        "patient_id",
        "study_id",
        "center_id",
        "arm",
        "enrolled_on",
        "age_years",
        "sex",
        "bmi",
        "limb_side",
        "months_since_dvt",
        "obstruction_site",
        "stenosis_pct",
        "stenosis_grade",
        "lesion_length_mm",
        "ceap_c",
        "last_contact_day",
    },
    "visits": {
        "patient_id",
        "visit_month",
        "visit_day",
        *vocab.VILLALTA_ITEMS,
        "ulcer_present",
        "villalta_total",
        "pts_band",
        "vcss",
        "veines_qol",
        "veines_sym",
        "pain_vas",
        "calf_circumference_cm",
        "daily_steps",
        "compression_use",
    },
    "procedures": {
        "patient_id",
        "procedure_day",
        "technical_success",
        "stents_placed",
        "max_stent_diameter_mm",
        "below_inguinal_ligament",
    },
    "events": {"patient_id", "event_day", "event_type", "serious"},
}


class DatabaseProblem(Exception):
    """The outcomes database is missing, unreadable, or does not follow the data contract."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


def data_version(path: Path) -> str:
    """A token that changes whenever the file is replaced (the generator renames a new file in)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    return f"{st.st_mtime_ns}-{st.st_size}-{st.st_ino}"


def open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """Open the database read-only and check it against the data contract."""
    if not path.exists():
        raise DatabaseProblem(f"No outcomes database at {path}.")
    if path.is_dir():
        raise DatabaseProblem(f"{path} is a folder, not a DuckDB database file.")
    try:
        con = duckdb.connect(str(path), read_only=True, config=DUCKDB_CONFIG)
    except duckdb.Error as exc:
        raise DatabaseProblem(f"{path} could not be opened as a DuckDB database.", [str(exc).splitlines()[0]]) from exc
    problems = schema_problems(con)
    if problems:
        con.close()
        raise DatabaseProblem(f"{path} does not follow the PTS outcomes data contract.", problems)
    return con


def schema_problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Missing tables or columns, and a dataset_info that is not exactly one row."""
    cur = con.cursor()
    try:
        rows = cur.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"
        ).fetchall()
        present: dict[str, set[str]] = {}
        for table, column in rows:
            present.setdefault(table, set()).add(column)
        problems = []
        for table, columns in REQUIRED_COLUMNS.items():
            if table not in present:
                problems.append(f"missing table `{table}`")
            elif missing := sorted(columns - present[table]):
                problems.append(f"table `{table}` lacks column(s): {', '.join(missing)}")
        if not problems:
            (n,) = cur.execute("SELECT count(*) FROM dataset_info").fetchall()[0]
            if n != 1:
                problems.append(f"`dataset_info` must hold exactly one row (it has {n})")
        return problems
    finally:
        cur.close()


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
