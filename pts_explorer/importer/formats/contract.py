"""The contract's own layout: one file (or sheet) per table, with the contract's column names; its
help text and its example (every table as a CSV). Its built-in profile is contract.toml beside
this module."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pts_explorer import validation
from pts_explorer.importer.formats.base import (
    LATER,
    TABLES,
    Bind,
    DatasetFacts,
    Format,
    Mapper,
    contract_columns,
    generated_columns,
    procedure_details,
    procedure_rule,
)
from pts_explorer.importer.issues import ERROR, WARNING, Issue
from pts_explorer.importer.profiles import Profile
from pts_explorer.importer.readers import Staged, staged_name

# section -> the keys a contract profile may set in it; any other section or key refuses the profile, naming it
# (profiles.check_keys; review 18, F3: a misspelt [date] or a [datasets] section was silently ignored).
PROFILE_KEYS: dict[str, tuple[str, ...] | None] = {
    "tables": TABLES,
    "dates": ("formats", "partial", "excel_serial"),
    "derive": ("ulcer_healed",),
    "sas": ("encoding",),
}


class ContractMapper(Mapper):
    """One source per table, contract column names; generated columns, if given, are compared."""

    def run(self, facts: DatasetFacts) -> None:
        names = self.profile.section("tables")
        self.parts: dict[str, list[str]] = {}  # a table joined from several sheets or files -> their files
        for table in TABLES:
            required = table not in ("dataset_info", "procedures", "events")  # a cohort may have neither
            given = names.get(table, table)
            wanted = [str(n) for n in given] if isinstance(given, list) else [str(given)]
            # A sheet or file name as Excel and file systems allow it ("visits 2022"); several for a table split
            # over sheets (review 18, F7), their rows read as one table.
            fix = (
                f"; rename the sheet or file to {table!r}, or name it in [tables] {table} of a copy of the profile "
                f'(a list for a table split over several: {table} = ["{table} 2022", "{table} 2023"])'
            )
            found = [src for name in wanted if (src := self.find(name, required, f"table {table}", fix)) is not None]
            src = self._joined(table, found) if len(found) > 1 else next(iter(found), None)
            if src is None:
                unreadable = any(n.lower() in self.unreadable for n in wanted)
                if unreadable:
                    # Its file could not be read (that error says why): the rows of the other tables that name its
                    # keys are not reported as naming keys it lacks (review 15, finding 2: 45 such errors).
                    self.absent(None, [(table, "*")])
                if table == "dataset_info":
                    self.add_dataset_info(facts)
                else:
                    self.create_empty(table)
                if table in ("procedures", "events") and not unreadable:
                    self.issues.add(
                        Issue.file_level(WARNING, "file:missing", table, f"no {table} file: the {table} table is empty")
                    )
                continue
            self._map_table(table, src)

    def _joined(self, table: str, parts: list[Staged]) -> Staged:
        """The rows of several sheets or files of one table as one source: their columns matched by name
        (without case), a column one of them lacks empty in its rows; each row keeps its own file and line."""
        names: list[str] = []  # every part's columns, in the order first seen
        for c in (c for part in parts for c in part.columns):
            if c.lower() not in {n.lower() for n in names}:
                names.append(c)
        selects = []
        for part in parts:
            cols = [f"{part.ref(c) or 'NULL::VARCHAR'} AS {staged_name(i)}" for i, c in enumerate(names)]
            selects.append(f"SELECT {', '.join(cols)}, _file, _line FROM {part.table}")
        joined = f"joined_{table}"
        self.con.execute(f"CREATE OR REPLACE TABLE {joined} AS {' UNION ALL '.join(selects)}")
        self.parts[joined] = [part.file for part in parts]
        return Staged(
            name=table,
            file=", ".join(part.file for part in parts),
            table=joined,
            columns=names,
            rows=sum(part.rows for part in parts),
        )

    @staticmethod
    def _procedure_rule(table: str, src: Staged, missing: list[str]) -> str:
        """A procedures file lacking a detail of the index procedure: procedure_rule, the one rule every
        format says (required because the file imports procedures; no procedures file imports none)."""
        details = [c for c in procedure_details() if c in missing]
        if table != "procedures" or not details:
            return ""
        rule = procedure_rule(True, f"{src.file} holds the procedures", "or deliver no procedures file")
        return f"{', '.join(details)}: {rule}; "

    def _map_table(self, table: str, src: Staged) -> None:
        required = {c.name for c in validation.contract().columns[table].values() if c.not_null and not c.generated}
        columns = contract_columns(table)
        missing = [c for c in columns if not src.has(c)]
        generated = generated_columns(table)
        unknown = [c for c in src.columns if c.lower() not in {*columns, *generated}]
        if missing_required := [c for c in missing if c in required]:
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    f"columns:{table}",
                    src.file,
                    f"`{table}` lacks required column(s): {', '.join(missing_required)}; "
                    + self._procedure_rule(table, src, missing_required)
                    + f"the other columns and tables are checked without them; {LATER}",
                    1,
                )
            )
            for file in self.parts.get(src.table, [src.file]):
                self.absent(file, [(table, c) for c in missing_required])
        if missing_optional := [c for c in missing if c not in required]:
            self.issues.add(
                Issue.file_level(
                    WARNING,
                    f"columns:{table}",
                    src.file,
                    f"`{table}` lacks optional column(s), left empty: {', '.join(missing_optional)}",
                    1,
                )
            )
        if unknown:
            self.issues.add(
                Issue.file_level(
                    WARNING,
                    f"unknown:{table}",
                    src.file,
                    f"column(s) not in the contract, not imported: {', '.join(unknown)}",
                    1,
                )
            )
        dates = [c.name for c in validation.contract().columns[table].values() if c.type == "DATE" and src.has(c.name)]
        self.warn_partial_dates(src, dates)
        select = {c: ref for c in columns if (ref := src.ref(c))}
        select |= {f"_given_{c}": ref for c in generated if (ref := src.ref(c))}
        select |= {"_file": "_file", "_line": "_line"}
        self.create(table, select, f"FROM {src.table}", Bind())


# --- the example: every table as a CSV --------------------------------------------------------


def write_contract(con: duckdb.DuckDBPyConnection, folder: Path, profile: Profile | None = None) -> None:
    """Every table as a CSV with the contract's columns (the profile names no column of its own)."""
    for table in TABLES:
        cols = ", ".join(contract_columns(table))
        con.execute(f"COPY (SELECT {cols} FROM {table}) TO '{folder / table}.csv' (HEADER, DELIMITER ',')")


FORMAT = Format(
    name="contract",
    help="one CSV/TSV, Parquet or Excel file (or sheet) per table, with the contract's column names",
    example_sources="dataset_info.csv studies.csv patients.csv visits.csv procedures.csv events.csv",
    mapper=ContractMapper,
    write_example=write_contract,
)
