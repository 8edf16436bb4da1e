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

    def add(self, issue: Issue) -> None:
        self.con.execute("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(astuple(issue)))

    def count(self, severity: str) -> int:
        (n,) = self.con.execute("SELECT count(*) FROM issues WHERE severity = $s", {"s": severity}).fetchone() or (0,)
        return int(n)

    def has_errors(self) -> bool:
        return self.count(ERROR) > 0
