"""The import report, after cBioPortal's validator: per file the rows read, with errors and with
warnings; then one line per rule, file and field with its count, the first lines and the values seen;
and every issue as one row (CSV). Printed by the command line, shown on the Import page, and
downloadable as CSV and as one self-contained HTML file."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from pts_explorer.importer.issues import ERROR, ISSUE_COLUMNS, WARNING, counted

FIRST_LINES = 5
VALUES_SEEN = 8  # distinct values shown per summary, then "and k more"
MESSAGES_SHOWN = 12  # distinct messages of one rule, file and field shown whole
CSV_ROWS = 100_000  # the issues CSV holds at most this many rows (the counts are always complete)


def shown_value(value: str) -> str:
    """A source value as the report shows it: its spaces trimmed, a blank one as (blank)."""
    return " ".join(str(value).split()) or BLANK


BLANK = "(blank)"


@dataclass(frozen=True)
class FileSummary:
    file: str
    rows: int
    rows_with_errors: int
    rows_with_warnings: int


@dataclass(frozen=True)
class RuleSummary:
    severity: str
    rule: str
    file: str
    count: int
    lines: tuple[int, ...]  # the first distinct lines
    values: tuple[str, ...]
    message: str
    column: str = ""  # the field whose values are shown: one summary per rule, file and field
    line_count: int = -1  # how many distinct lines (-1: as many as `lines`)
    value_count: int = -1  # how many distinct values (-1: as many as `values`)

    def values_text(self) -> str:
        """The values seen and how many more: "C4B, C7 and 3 more"."""
        more = max(self.value_count, len(self.values)) - len(self.values)
        shown = ", ".join(self.values)
        return f"{shown} and {more:,} more" if more > 0 else shown

    def lines_text(self) -> str:
        """The first lines and how many more: "2, 5, 9 (12 more)"."""
        if not self.lines:
            return ""
        more = max(self.line_count, len(self.lines)) - len(self.lines)
        shown = ", ".join(str(n) for n in self.lines)
        return f"{shown} ({more:,} more)" if more > 0 else shown

    def where(self) -> str:
        """ "line 6" or "lines 2, 5 (3 more)"; empty for a problem of no line."""
        if not self.lines:
            return ""
        return f"{'line' if max(self.line_count, len(self.lines)) == 1 else 'lines'} {self.lines_text()}"


@dataclass(frozen=True)
class FunnelRow:
    """One step of a source's funnel: `read`, each rule that set records aside, then `kept`."""

    file: str
    step: str
    records: int
    loss: bool = False  # the rule dropped records the import was meant to keep


@dataclass
class ImportReport:
    profile: str
    sources: list[str]
    files: list[FileSummary] = field(default_factory=list)
    rules: list[RuleSummary] = field(default_factory=list)
    issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ISSUE_COLUMNS)))
    tables: dict[str, int] = field(default_factory=dict)  # rows per contract table
    funnel: list[FunnelRow] = field(default_factory=list)  # per source: read, set aside by each rule, kept
    source_columns: dict[str, list[str]] = field(default_factory=dict)  # per source file: its column names
    study: str = ""  # what the sources name the data: dataset_info's dataset name, else the one study's id
    outcome: str = ""  # what happened, in one sentence
    imported: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return sum(r.count for r in self.rules if r.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(r.count for r in self.rules if r.severity == WARNING)

    def rule_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "Severity": [r.severity.capitalize() for r in self.rules],
                "File": [r.file for r in self.rules],
                "Field": [r.column for r in self.rules],
                "What is wrong, and what to do": [r.message for r in self.rules],
                "Count": [r.count for r in self.rules],
                "Lines": [r.lines_text() for r in self.rules],
                "Values seen": [r.values_text() for r in self.rules],
                "Rule": [r.rule for r in self.rules],
            }
        )

    def file_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "File": [f.file for f in self.files],
                "Rows read": [f.rows for f in self.files],
                "Rows with errors": [f.rows_with_errors for f in self.files],
                "Rows with warnings": [f.rows_with_warnings for f in self.files],
            }
        )

    def funnel_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "File": [f.file for f in self.funnel],
                "Step": [f.step for f in self.funnel],
                "Records": [f.records for f in self.funnel],
                "Lost": ["yes" if f.loss else "" for f in self.funnel],
            }
        )

    def csv(self) -> bytes:
        return self.issues.to_csv(index=False).encode("utf-8")

    def text(self) -> str:
        lines = [f"Import with profile {self.profile}: {self.outcome}"]
        for f in self.files:
            lines.append(
                f"  {f.file}: read {counted(f.rows, 'row')}. Rows with errors: {f.rows_with_errors:,}. "
                f"Rows with warnings: {f.rows_with_warnings:,}."
            )
        for file in dict.fromkeys(f.file for f in self.funnel):
            steps = [f for f in self.funnel if f.file == file]
            middle = "".join(f", {f.step}: -{f.records:,}" for f in steps[1:-1])
            lines.append(f"  {file}: read {steps[0].records:,}{middle}, kept {steps[-1].records:,}")
        for r in self.rules:
            where = f" {r.where()}:" if r.lines else ""
            field = f" in {r.column}" if r.column else ""
            seen = f"; values encountered{field}: {r.values_text()}" if r.values else ""
            lines.append(f"  {r.severity.upper()}: {r.file}:{where} {r.message} [{r.rule}, {r.count:,}]{seen}")
        return "\n".join(lines)

    def html(self) -> str:
        """One self-contained page: no script, no stylesheet or font from the network."""

        def table(frame: pd.DataFrame) -> str:
            head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                for row in frame.itertuples(index=False)
            )
            return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

        rules = table(self.rule_frame()) if self.rules else "<p>No problems found.</p>"
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>PTS import report</title><style>"
            "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;"
            "margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
            "th{background:#f3f3f3}</style></head><body>"
            f"<h1>Import report</h1><p><b>Profile:</b> {html.escape(self.profile)}<br><b>Sources:</b> "
            f"{html.escape(', '.join(self.sources))}<br><b>Result:</b> {html.escape(self.outcome)}</p>"
            f"<h2>Files</h2>{table(self.file_frame())}<h2>Where the records went</h2>{table(self.funnel_frame())}"
            f"<h2>Rules</h2>{rules}</body></html>"
        )


def summarise(con: duckdb.DuckDBPyConnection, report: ImportReport, rows_by_file: dict[str, int]) -> None:
    """Fill the report's file and rule summaries and its issue rows from the issues table."""
    per_file = dict.fromkeys(rows_by_file, (0, 0))
    for file, errors, warnings in con.execute(
        "SELECT file, count(DISTINCT line) FILTER (WHERE severity = 'error' AND line IS NOT NULL), "
        "count(DISTINCT line) FILTER (WHERE severity = 'warning' AND line IS NOT NULL) FROM issues GROUP BY file"
    ).fetchall():
        if file in per_file:
            per_file[file] = (int(errors), int(warnings))
    report.files = [FileSummary(f, rows_by_file[f], *per_file[f]) for f in rows_by_file]
    # One summary per rule, file, field and message (each field or visit its own message, its own line),
    # the first MESSAGES_SHOWN messages of a rule and field in full and the rest folded into one.
    rows = con.execute(
        "WITH m AS (SELECT severity, rule, file, column_name, message, count(*) AS n, list(DISTINCT line ORDER BY "
        "line) FILTER (WHERE line IS NOT NULL) AS lines, list(DISTINCT value) FILTER (WHERE value IS NOT NULL AND "
        "value <> '') AS vals, count(DISTINCT line) AS distinct_lines, min(line) AS first FROM issues GROUP BY ALL), "
        "r AS (SELECT *, row_number() OVER w AS k, count(*) OVER w AS messages FROM m WINDOW w AS (PARTITION BY "
        "severity, rule, file, column_name ORDER BY first NULLS FIRST, message)) "
        f"SELECT severity, rule, file, sum(n), list_sort(list_distinct(flatten(list(lines))))[1:{FIRST_LINES}], "
        "list_distinct(flatten(list(vals))), CASE WHEN k <= $shown THEN min(message) ELSE 'and ' || "
        "(any_value(messages) - $shown) || ' more messages of this rule (the issues CSV lists each): ' || "
        "min(message) END, column_name, sum(distinct_lines), min(first) FROM r GROUP BY severity, rule, file, "
        "column_name, CASE WHEN k <= $shown THEN k ELSE $shown + 1 END, k <= $shown "
        "ORDER BY severity, file, rule, column_name, min(k)",
        {"shown": MESSAGES_SHOWN},
    ).fetchall()
    report.rules = []
    for sev, rule, file, n, lines, values, msg, column, distinct, _ in rows:
        seen = sorted({shown_value(v) for v in values or ()})
        report.rules.append(
            RuleSummary(
                sev,
                rule,
                file,
                int(n),
                tuple(lines or ()),
                tuple(seen[:VALUES_SEEN]),
                msg,
                (column or "").strip(),
                int(distinct),
                len(seen),
            )
        )
    report.issues = con.execute(
        f"SELECT severity, rule, file, line, record, column_name AS column, value, message FROM issues "
        f"ORDER BY severity, file, line, rule LIMIT {CSV_ROWS}"
    ).df()


def funnel_rows(con: duckdb.DuckDBPyConnection, rows_by_file: dict[str, int], kept: str = "kept") -> list[FunnelRow]:
    """Per source file: the records read, those each rule set aside (in the order the rules apply),
    and those kept (`kept` names the last step: "would be kept" when nothing was imported)."""
    steps: dict[str, list[FunnelRow]] = {}
    for file, step, records, loss in con.execute(
        "SELECT file, step, records, loss FROM funnel ORDER BY ord"
    ).fetchall():
        steps.setdefault(file, []).append(FunnelRow(file, step, int(records), bool(loss)))
    rows = []
    for file, read in rows_by_file.items():
        dropped = steps.get(file, [])
        rows += [
            FunnelRow(file, "read", read),
            *dropped,
            FunnelRow(file, kept, read - sum(d.records for d in dropped)),
        ]
    return rows


def write_files(report: ImportReport, csv_path: Path | None, html_path: Path | None) -> None:
    if csv_path:
        csv_path.write_bytes(report.csv())
    if html_path:
        html_path.write_text(report.html(), encoding="utf-8")
