"""Issues found by an import: one row each, kept in the staging database's `issues` table so that
millions of row-level findings never pass through Python."""

from __future__ import annotations

from dataclasses import astuple, dataclass

import duckdb

ERROR, WARNING = "error", "warning"
ISSUE_COLUMNS = ("severity", "rule", "file", "line", "record", "column", "value", "message")
CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS issues (severity VARCHAR, rule VARCHAR, file VARCHAR, line BIGINT, "
    "record VARCHAR, column_name VARCHAR, value VARCHAR, message VARCHAR)"
)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and its noun, singular for one: "1 row", "2 rows", "1,200 records"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def first_five(values: list[str]) -> str:
    """The first five of `values` and how many more: "101, 102, 103, 104, 105 and 3 more"."""
    return ", ".join(values[:5]) + (f" and {len(values) - 5} more" if len(values) > 5 else "")


@dataclass(frozen=True)
class Issue:
    severity: str
    rule: str
    file: str
    line: int | None
    record: str
    column: str
    value: str
    message: str

    @classmethod
    def file_level(cls, severity: str, rule: str, file: str, message: str, line: int | None = None) -> Issue:
        return cls(severity, rule, file, line, "", "", "", message)


class Issues:
    """The issues table of a staging connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute(CREATE_TABLE)
        con.execute(FUNNEL_TABLE)

    def add(self, issue: Issue) -> None:
        self.con.execute("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(astuple(issue)))

    def count(self, severity: str) -> int:
        (n,) = self.con.execute("SELECT count(*) FROM issues WHERE severity = $s", {"s": severity}).fetchone() or (0,)
        return int(n)

    def has_errors(self) -> bool:
        return self.count(ERROR) > 0


FUNNEL_TABLE = (
    "CREATE TABLE IF NOT EXISTS funnel (ord INTEGER, file VARCHAR, step VARCHAR, records BIGINT, loss BOOLEAN)"
)


class Funnel:
    """Where each source's records went: per file, the records each rule set aside, in the order the
    rules apply (a record counts at the first rule that drops it). A `loss` step drops records the
    import was meant to keep (an analysis flag, a visit the map does not know, a population filter);
    the other steps set aside what the contract does not hold (a parameter or AE term the profile
    does not map). Kept in the staging database's `funnel` table; the report shows it and
    checks.coverage turns a funnel that loses most of a source into an error."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute(FUNNEL_TABLE)

    def drop(self, file: str, step: str, records: int, *, loss: bool = True) -> None:
        """`records` of `file` set aside by `step` (nothing is written for 0)."""
        if records:
            self.con.execute(
                "INSERT INTO funnel SELECT coalesce(max(ord), 0) + 1, $file, $step, $records, $loss FROM funnel",
                {"file": file, "step": step, "records": int(records), "loss": loss},
            )

    def drop_where(
        self, table: str, file_column: str, step: str, where: str, params: dict | None = None, *, loss: bool = True
    ) -> None:
        """Count, per file, the rows of `table` matching `where` as dropped by `step`."""
        rows = self.con.execute(
            f"SELECT {file_column}, count(*) FROM {table} WHERE {where} GROUP BY 1 ORDER BY 1", params or {}
        ).fetchall()
        for file, n in rows:
            self.drop(str(file), step, int(n), loss=loss)
