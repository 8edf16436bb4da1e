"""Check a database against the data contract: one rule set, generated from schema.sql.

The contract's DDL is run in an in-memory DuckDB and read back from duckdb_columns() and
duckdb_constraints(): column types, NOT NULL, CHECK (every vocabulary and range), primary and
foreign keys, and the generated columns (Villalta total, PTS band, stenosis grade), whose stored
values must equal their definition. A few rules the DDL cannot state (one index procedure per
patient, the visit schedule, temporal order) are added by hand below. The importer runs the same
rules on its staged tables, the app on every file it opens (once per file version).

A file built with schema.sql holds its constraints already; files exported from elsewhere often
do not, which is what these rules are for. Errors block every page (no number is shown from a
file that breaks the contract); warnings are listed, with a banner on every page.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache

import duckdb

from pts_explorer import memory
from pts_explorer.config import SCHEMA_PATH

ERROR, WARNING = "error", "warning"
EXAMPLES = 5

# The columns that name a row in examples, per table.
ROW_KEYS = {
    "dataset_info": ("dataset_name",),
    "studies": ("study_id",),
    "patients": ("patient_id",),
    "visits": ("patient_id", "visit_month"),
    "procedures": ("patient_id", "procedure_day"),
    "events": ("patient_id", "event_day", "event_type"),
}


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str
    not_null: bool
    generated: str | None  # the defining expression of a generated column


@dataclass(frozen=True)
class Rule:
    """One check. `source` is a FROM clause whose rows break the rule: the checked table is aliased
    `t` (so a caller can add its columns, e.g. the importer's file and line), followed by any join
    and WHERE or QUALIFY. `shown` are the expressions that name and show an offending row; a rule
    that is not `row_level` (a count over the table) has aggregates there instead."""

    id: str
    table: str
    columns: tuple[str, ...]
    severity: str
    message: str  # what is wrong, in words: "{n} rows ..." is prefixed with the count
    shown: tuple[str, ...]
    source: str
    row_level: bool = True

    @property
    def bad_rows(self) -> str:
        return f"SELECT {', '.join(self.shown)} {self.source}"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    table: str
    message: str
    count: int
    examples: tuple[str, ...] = ()

    def line(self) -> str:
        """The finding in one line: count (for row checks), what is wrong, examples."""
        count = f"{self.count:,} × " if self.examples else ""
        shown = f" (e.g. {'; '.join(self.examples)})" if self.examples else ""
        return f"{count}{self.message}{shown}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    rules_checked: int = 0
    seconds: float = 0.0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]


@dataclass(frozen=True)
class Contract:
    columns: dict[str, dict[str, Column]]  # table -> column -> Column, in DDL order
    checks: tuple[tuple[str, str, str], ...]  # (table, column, expression)
    primary_keys: tuple[tuple[str, tuple[str, ...]], ...]
    foreign_keys: tuple[tuple[str, str, str, str], ...]  # (table, column, referenced table, column)


@lru_cache(maxsize=1)
def contract() -> Contract:
    """The data contract as schema.sql states it, read back from DuckDB's catalog."""
    con = duckdb.connect()
    try:
        con.execute(SCHEMA_PATH.read_text())
        columns: dict[str, dict[str, Column]] = {}
        for table, name, dtype, nullable, default in con.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM duckdb_columns() "
            "WHERE NOT internal AND table_name IN (SELECT table_name FROM duckdb_tables()) "
            "ORDER BY table_oid, column_index"
        ).fetchall():
            # schema.sql declares no DEFAULT, so a column_default is a generated column's expression.
            columns.setdefault(table, {})[name] = Column(table, name, dtype, not nullable, default)
        rows = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names, expression, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() ORDER BY table_name, constraint_index"
        ).fetchall()
    finally:
        con.close()
    checks = tuple((t, cols[0], expr) for t, kind, cols, expr, _, _ in rows if kind == "CHECK")
    keys = tuple((t, tuple(cols)) for t, kind, cols, _, _, _ in rows if kind == "PRIMARY KEY")
    refs = tuple((t, cols[0], rt, rcols[0]) for t, kind, cols, _, rt, rcols in rows if kind == "FOREIGN KEY")
    return Contract(columns, checks, keys, refs)


# --- types -------------------------------------------------------------------------------------

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}


def type_family(dtype: str) -> str:
    """A type's family: columns of the same family work in the app's SQL alike."""
    t = dtype.upper()
    if t.endswith("[]"):
        return type_family(t[:-2]) + "[]"
    if t in _INTEGERS:
        return "integer"
    if t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        return "number"
    if t.startswith("VARCHAR") or t in ("TEXT", "STRING"):
        return "text"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    return t.lower()


def _compatible(expected: str, actual: str) -> bool:
    want, have = type_family(expected), type_family(actual)
    return want == have or (want, have) in (("number", "integer"), ("number[]", "integer[]"))


# --- the rules ---------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_rule(
    rule_id: str, table: str, columns: tuple[str, ...], severity: str, message: str, where: str, joins: str = ""
) -> Rule:
    """A rule whose offending rows are the checked table's rows matching `where` (or a QUALIFY)."""
    shown = tuple(f"t.{_q(c)}" for c in dict.fromkeys((*ROW_KEYS[table], *columns)))
    clause = where if where.startswith("QUALIFY") else f"WHERE {where}"
    return Rule(rule_id, table, columns, severity, message, shown, f"FROM {_q(table)} AS t {joins}{clause}")


def contract_rules() -> list[Rule]:
    """The rules generated from schema.sql: NOT NULL, CHECK, keys, references, generated columns."""
    c = contract()
    rules = []
    for table, cols in c.columns.items():
        for col in cols.values():
            if col.not_null:
                rules.append(
                    _row_rule(
                        f"required:{table}.{col.name}",
                        table,
                        (col.name,),
                        ERROR,
                        f"`{table}.{col.name}` is empty (NULL) where the contract requires a value",
                        f"t.{_q(col.name)} IS NULL",
                    )
                )
            if col.generated:
                rules.append(
                    _row_rule(
                        f"derived:{table}.{col.name}",
                        table,
                        (col.name,),
                        ERROR,
                        f"`{table}.{col.name}` differs from its definition ({_DERIVED.get(col.name, 'schema.sql')})",
                        f"t.{_q(col.name)} IS DISTINCT FROM ({col.generated})",
                    )
                )
    for table, column, expression in c.checks:
        rules.append(
            _row_rule(
                f"allowed:{table}.{column}",
                table,
                (column,),
                ERROR,
                f"`{table}.{column}` has values the contract does not allow: `{_unwrap(expression)}`",
                f"NOT coalesce({expression}, TRUE)",
            )
        )
    for table, key in c.primary_keys:
        keys = ", ".join(_q(k) for k in key)
        # Duplicated keys found by an aggregate (which spills to disk) rather than a window over
        # every row: a million-patient file is checked in little memory.
        rules.append(
            _row_rule(
                f"unique:{table}",
                table,
                key,
                ERROR,
                f"`{table}` has rows that share their {' and '.join(key)} (each must be unique)",
                "TRUE",
                f"SEMI JOIN (SELECT {keys} FROM {_q(table)} GROUP BY {keys} HAVING count(*) > 1) AS d "
                f"ON {' AND '.join(f'd.{_q(k)} = t.{_q(k)}' for k in key)} ",
            )
        )
    for table, column, parent, parent_column in c.foreign_keys:
        rules.append(
            _row_rule(
                f"reference:{table}.{column}",
                table,
                (column,),
                ERROR,
                f"`{table}.{column}` names a {parent_column} that is not in `{parent}`",
                f"t.{_q(column)} IS NOT NULL",
                f"ANTI JOIN {_q(parent)} AS p ON p.{_q(parent_column)} = t.{_q(column)} ",
            )
        )
    return rules


_DERIVED = {
    "villalta_total": "the sum of the 11 Villalta items",
    "pts_band": "the band from the Villalta total, severe with an ulcer",
    "stenosis_grade": "the grade from stenosis_pct",
}
_PATIENT = "JOIN patients AS p ON p.patient_id = t.patient_id "
# Events that need a stent: in a medical-arm patient they point to a wrong arm or a wrong term.
STENT_ONLY_EVENTS = ("stent_thrombosis", "restenosis", "stent_migration", "patency_restored", "reintervention")
VISIT_WINDOW_DAYS = 120  # how far an attended visit may lie from its scheduled month (30.44 days each)


def app_rules() -> list[Rule]:
    """Rules the DDL cannot state: the app's numbers rely on the errors; the warnings are the
    temporal and clinical-consistency checks of docs/import.md §1."""
    return [
        Rule(
            "rows:dataset_info",
            "dataset_info",
            (),
            ERROR,
            "`dataset_info` must hold exactly one row",
            ("count(*) AS rows",),
            "FROM dataset_info AS t HAVING count(*) <> 1",
            row_level=False,
        ),
        Rule(
            "rows:visits",
            "visits",
            (),
            ERROR,
            "the dataset has patients but no visits: no page can show a Villalta score, trajectory or effect "
            "(an import refuses such data; import the visit records, README: Your own data)",
            ("count(*) AS rows",),
            "FROM visits AS t HAVING count(*) = 0 AND (SELECT count(*) FROM patients) > 0",
            row_level=False,
        ),
        _row_rule(
            "unique:procedures",
            "procedures",
            ("patient_id",),
            ERROR,
            "patients with more than one index procedure in `procedures` (one per patient)",
            "TRUE",
            "SEMI JOIN (SELECT patient_id FROM procedures GROUP BY patient_id HAVING count(*) > 1) AS d "
            "ON d.patient_id = t.patient_id ",
        ),
        _row_rule(
            "unique_death:events",
            "events",
            ("event_type",),
            ERROR,
            "patients with more than one `death` event (a patient dies once: Safety and Durability would count "
            "the death twice; keep the one on the death day)",
            "t.event_type = 'death'",
            "SEMI JOIN (SELECT patient_id FROM events WHERE event_type = 'death' GROUP BY patient_id "
            "HAVING count(*) > 1) AS d ON d.patient_id = t.patient_id ",
        ),
        _row_rule(
            "arm:procedures",
            "procedures",
            ("patient_id",),
            WARNING,
            "medical-arm patients with a stent procedure (the app counts them as medical)",
            "p.arm = 'medical'",
            _PATIENT,
        ),
        _row_rule(
            "arm:events",
            "events",
            ("event_type",),
            WARNING,
            "medical-arm patients with an event only a stent can have (stent thrombosis, restenosis, stent "
            "migration, patency restored, a stent reintervention): Safety counts it in the medical arm, which has "
            "no stent; check the patient's arm or the event's term",
            f"p.arm = 'medical' AND t.event_type IN ({', '.join(repr(e) for e in STENT_ONLY_EVENTS)})",
            _PATIENT,
        ),
        _row_rule(
            "schedule:visits",
            "visits",
            ("visit_month",),
            WARNING,
            "visits at a month outside their study's schedule (`studies.visit_months`): they are not analysed "
            "(no page, model or derived table reads them; an import does not import them)",
            "NOT list_contains(s.visit_months, t.visit_month)",
            _PATIENT + "JOIN studies AS s ON s.study_id = p.study_id ",
        ),
        _row_rule(
            "baseline:visits",
            "patients",
            ("patient_id",),
            WARNING,
            "patients without a month-0 visit: they have no baseline band or score and drop out of "
            "baseline filters and change from baseline",
            "TRUE",
            "ANTI JOIN visits AS v ON v.patient_id = t.patient_id AND v.visit_month = 0 ",
        ),
        _row_rule(
            "window:visits",
            "visits",
            ("visit_day",),
            WARNING,
            f"visits held more than {VISIT_WINDOW_DAYS} days from their scheduled month (30.44 days a month)",
            f"abs(t.visit_day - 30.44 * t.visit_month) > {VISIT_WINDOW_DAYS}",
        ),
        _row_rule(
            "after_contact:visits",
            "visits",
            ("visit_day",),
            WARNING,
            "visits after the patient's last contact (`visit_day` > `last_contact_day`)",
            "t.visit_day > p.last_contact_day",
            _PATIENT,
        ),
        _row_rule(
            "after_contact:events",
            "events",
            ("event_day",),
            WARNING,
            "events after the patient's last contact; survival analyses censor at last contact, so these "
            "are not counted there",
            "t.event_day > p.last_contact_day",
            _PATIENT,
        ),
        _row_rule(
            "after_contact:procedures",
            "procedures",
            ("procedure_day",),
            WARNING,
            "procedures after the patient's last contact",
            "t.procedure_day > p.last_contact_day",
            _PATIENT,
        ),
        _row_rule(
            "death:events",
            "events",
            ("event_day",),
            WARNING,
            "deaths on another day than the patient's last contact (`last_contact_day` is the death day)",
            "t.event_type = 'death' AND t.event_day <> p.last_contact_day",
            _PATIENT,
        ),
        _row_rule(
            "stents:procedures",
            "procedures",
            ("stents_placed",),
            WARNING,
            "procedures whose stent count contradicts their technical success (0 stents if and only if it failed)",
            "(t.stents_placed = 0) = t.technical_success",
        ),
        _row_rule(
            "restored:events",
            "events",
            ("event_type",),
            WARNING,
            "`patency_restored` without a `reintervention` on the same day (it records the reintervention "
            "that reopened the stent)",
            "t.event_type = 'patency_restored'",
            "ANTI JOIN events AS r ON r.patient_id = t.patient_id AND r.event_day = t.event_day "
            "AND r.event_type = 'reintervention' ",
        ),
        _row_rule(
            "ceap:patients",
            "patients",
            ("ceap_c",),
            WARNING,
            "a CEAP class (ceap_c) that disagrees with the month-0 visit's ulcer: C6 (an open ulcer) without an "
            "ulcer at month 0, or an ulcer at month 0 with another class",
            "(t.ceap_c = 'C6') <> b.ulcer_present",
            "JOIN visits AS b ON b.patient_id = t.patient_id AND b.visit_month = 0 ",
        ),
    ]


def stale_derived(reason: str) -> Finding:
    """The finding for a file whose derived tables do not describe its rows (pts_explorer.derived)."""
    return Finding(
        "derived:stale",
        WARNING,
        "derived_info",
        f"{reason[0].upper()}{reason[1:]}: every page answers from the contract tables instead (same numbers, "
        "slower on a large file); `python -m pts_explorer.derived FILE` writes them again",
        1,
    )


# --- running them ------------------------------------------------------------------------------


def _present(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal AND database_name = current_database()"
    ).fetchall()
    present: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        present.setdefault(table, {})[column] = dtype
    return present


def _structure(present: dict[str, dict[str, str]]) -> tuple[list[Finding], set[tuple[str, str]]]:
    """Missing tables and columns, and columns of the wrong type; returns the unusable columns."""
    findings, unusable = [], set()
    for table, cols in contract().columns.items():
        if table not in present:
            findings.append(Finding(f"table:{table}", ERROR, table, f"missing table `{table}`", 1))
            unusable |= {(table, c) for c in cols}
            continue
        missing = [c for c in cols if c not in present[table]]
        if missing:
            findings.append(
                Finding(
                    f"columns:{table}",
                    ERROR,
                    table,
                    f"table `{table}` lacks column(s): {', '.join(missing)}",
                    len(missing),
                )
            )
            unusable |= {(table, c) for c in missing}
        for name, col in cols.items():
            actual = present[table].get(name)
            if actual is not None and not _compatible(col.type, actual):
                findings.append(
                    Finding(
                        f"type:{table}.{name}",
                        ERROR,
                        table,
                        f"`{table}.{name}` is stored as {actual}; the contract says {col.type}",
                        1,
                    )
                )
                unusable.add((table, name))
    return findings, unusable


def _example(row: tuple, names: list[str]) -> str:
    parts = [f"{n} {_short(v)}" for n, v in zip(names, row, strict=True)]
    return ", ".join(parts)


def _short(value: object) -> str:
    text = "NULL" if value is None else repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _run(con: duckdb.DuckDBPyConnection, rule: Rule) -> Finding | str | None:
    """The rule's finding, None when it holds, or the reason it could not be run."""
    cur = con.cursor()
    try:
        counted = memory.with_headroom(con, lambda: cur.execute(f"SELECT count(*) FROM ({rule.bad_rows})").fetchone())
        (count,) = counted or (0,)
        if not count:
            return None
        result = cur.execute(f"{rule.bad_rows} LIMIT {EXAMPLES}")
        names = [d[0] for d in result.description]
        examples = tuple(_example(row, names) for row in result.fetchall())
        return Finding(rule.id, rule.severity, rule.table, rule.message, int(count), examples)
    except duckdb.Error as exc:
        return str(exc).splitlines()[0][:200]
    finally:
        cur.close()


def _names_any(sql_text: str, names: set[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", sql_text) for name in names)


def validate(con: duckdb.DuckDBPyConnection) -> Report:
    """Every rule of the contract on an open database: the problems found, with counts and examples."""
    started = time.perf_counter()
    present = _present(con)
    findings, unusable = _structure(present)
    # A rule naming a missing table or a missing or mistyped column would only repeat that error.
    skip = {column for _, column in unusable} | {t for t in contract().columns if t not in present}
    rules = [r for r in (*contract_rules(), *app_rules()) if not _names_any(r.bad_rows, skip)]
    unreadable: dict[str, list[tuple[str, str]]] = {}
    for rule in rules:
        outcome = _run(con, rule)
        if isinstance(outcome, Finding):
            findings.append(outcome)
        elif isinstance(outcome, str):
            unreadable.setdefault(re.sub(r"\d+", "#", outcome), []).append((rule.table, outcome))
    for failures in unreadable.values():
        names = ", ".join(f"`{t}`" for t in dict.fromkeys(t for t, _ in failures))
        findings.append(Finding("readable", ERROR, failures[0][0], f"{names} could not be read: {failures[0][1]}", 1))
    return Report(findings, len(rules) + len(contract().columns), time.perf_counter() - started)


def _unwrap(expression: str) -> str:
    """A CHECK expression without its one outer pair of parentheses (strip would also eat the last
    parenthesis of an IN list)."""
    text = expression.strip()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text
