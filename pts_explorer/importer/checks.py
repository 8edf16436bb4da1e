"""Checks of an import, all problems in one pass: types, then every rule of the contract (the same
rule set that checks any database the app opens, pts_explorer.validation), each offending row
recorded with its file and line; plus direct identifiers and reconciliation of given totals."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

import duckdb

from pts_explorer import validation
from pts_explorer.importer.formats.adam import VISIT_SET_ASIDE_TABLE
from pts_explorer.importer.formats.base import (
    ABSENT_TABLE,
    DATE_FORMATS,
    DATE_MESSAGE,
    TABLES,
    contract_columns,
    generated_columns,
)
from pts_explorer.importer.issues import ERROR, WARNING, Funnel, Issue, Issues, counted
from pts_explorer.importer.profiles import Profile
from pts_explorer.importer.readers import Staged

# Column names that look like direct identifiers (names, dates of birth, contact details, record
# numbers, free text), matched whole against the lower-cased name.
IDENTIFIER_NAMES = re.compile(
    r"(patient_|first_?|last_?|given_?|family_?|full_?|sur|maiden_?)?name|initials|dob|brthdtc?|birth_?date|"
    r"date_?of_?birth|birth_?day|address\d?|street|postcode|zip_?code|phone\d?|telephone|mobile|e_?mail|mrn|"
    r"ssn|nhs_?(number|no)|insurance_?(number|no)|comments?|notes?|free_?text|remarks?"
)
_TYPE_WORDS = {
    "integer": "a whole number in range",
    "number": "a number",
    "date": "a date (YYYY-MM-DD)",
    "boolean": "true or false",
    "timestamp": "a date and time",
    "integer[]": "a list of whole numbers like [0, 6, 12]",
}
# How a source date that could not be read is reported ("RANDDT is not a date: ...").
NOT_A_DATE = DATE_MESSAGE.split("{variable}")[1].split(":")[0] + ":"
# The file of the ulcer_healed events [derive] adds from the visits.
DERIVED_FROM_VISITS = "(derived from visits)"


def identifier_columns(con: duckdb.DuckDBPyConnection, staged: list[Staged], profile: Profile, issues: Issues) -> None:
    """Refuse columns that look like direct identifiers unless the profile allows them by name. A
    column blank in every row holds no identifier (SDTM's DM.BRTHDTC is often delivered empty): a
    warning says it was seen and holds nothing."""
    for src in staged:
        for column in src.columns:
            lowered = column.lower()
            if not IDENTIFIER_NAMES.fullmatch(lowered) or lowered in profile.allow_columns:
                continue
            ref = src.ref(column)
            blank = f"SELECT count(*) = 0 FROM {src.table} WHERE trim(coalesce({ref}, '')) <> ''"
            if ref is not None and (con.execute(blank).fetchone() or (False,))[0]:
                issues.add(
                    Issue.file_level(
                        WARNING,
                        "privacy:identifier_blank",
                        src.file,
                        f"column {column!r} is named like a direct identifier but is blank in every row: nothing of "
                        "it is read",
                    )
                )
                continue
            issues.add(
                Issue.file_level(
                    ERROR,
                    "privacy:identifier",
                    src.file,
                    f"column {column!r} looks like a direct identifier (a name, birth date, contact detail or "
                    "free text): remove it, or allow it by name in [privacy] allow_columns of a copy of the "
                    "profile",
                    1,
                )
            )


def cast(column: str, dtype: str, decimal_separator: str = ".") -> str:
    """The text column as the contract's type; NULL where the text is not of that type."""
    family = validation.type_family(dtype)
    if family == "integer":
        number = f"try_cast({column} AS DOUBLE)"
        return f"(CASE WHEN {number} = trunc({number}) THEN try_cast({number} AS {dtype}) END)"
    if family == "number":
        text = f"replace({column}, ',', '.')" if decimal_separator == "," else column
        return f"try_cast({text} AS {dtype})"
    if family == "date":
        return f"pts_date({column})"  # ISO, the profile's [dates] formats, partial dates (formats.base.date_macro)
    return f"try_cast({column} AS {dtype})" if family != "text" else column


# Values sources write for "no value" (SAS ".", R "NA", Excel "#N/A"...): a type error on one of them names
# [csv] missing_values, the key that reads them as empty.
MISSING_MARKS = (".", "NA", "N/A", "#N/A", "NULL", "NAN", "-", "MISSING", "ND", "UNK", "?")


def type_tables(
    con: duckdb.DuckDBPyConnection, issues: Issues, decimal_separator: str, missing: tuple[str, ...] = ()
) -> None:
    """Each raw_<table> as <table> with the contract's types and its generated columns; every value
    that is not of its column's type is an error at its line. Values listed in [csv] missing_values
    (`missing`) are read as empty first."""
    columns = validation.contract().columns
    if missing:
        for table in TABLES:
            names = [n for n in contract_columns(table) if n in _raw_columns(con, table)]
            sets = ", ".join(
                f"{n} = CASE WHEN list_contains($missing, trim({n})) THEN NULL ELSE {n} END" for n in names
            )
            if sets:
                con.execute(f"UPDATE raw_{table} SET {sets}", {"missing": list(missing)})
    for table in TABLES:
        typed: list[str] = []
        bad: list[str] = []
        params: dict[str, str] = {}
        raw = _raw_columns(con, table)
        for i, name in enumerate(contract_columns(table)):
            expr = cast(f"r.{name}", columns[table][name].type, decimal_separator)
            typed.append(f"{expr} AS {name}")
            if expr == f"r.{name}":  # text: every value is of its type
                continue
            what = _TYPE_WORDS.get(validation.type_family(columns[table][name].type), columns[table][name].type)
            # A mapper whose row gathers several records (an SDTM visit) says whose and which visit it is.
            where = f", r._where, CAST(r.{validation.ROW_KEYS[table][0]} AS VARCHAR)" if "_where" in raw else ""
            bad.append(
                f"SELECT 'error' AS severity, $rule{i} AS rule, {_located(raw, name, 'r')}, {_record(table, 'r')} AS "
                f"record, $column{i} AS column_name, CAST(r.{name} AS VARCHAR) AS value, $message{i} AS message{where}"
                f" FROM raw_{table} AS r WHERE r.{name} IS NOT NULL AND {expr} IS NULL"
            )
            params |= {
                f"rule{i}": f"type:{table}.{name}",
                f"column{i}": name,
                f"message{i}": f"{table}.{name} must be {what}",
            }
        if bad:  # one statement per table (one per column cost ~10 ms each)
            union = " UNION ALL ".join(bad)
            if "_where" in raw:  # one message per column and file: the record itself, or the count and first three
                # (review 18, finding 10: 55 lines, one per SDTM record, for one subject's words in QSSTRESC)
                union = (
                    "SELECT severity, rule, f, l, record, column_name, value, message || ' (' || CASE WHEN n = 1 THEN "
                    "_where ELSE n || ' records of ' || subjects || CASE WHEN subjects = 1 THEN ' subject' ELSE "
                    "' subjects' END || ': ' || array_to_string(firsts[:3], '; ') || CASE WHEN n > 3 THEN ' and ' || "
                    "(n - 3) || ' more' ELSE '' END END || ')' FROM (SELECT *, count(*) OVER w AS n, count(DISTINCT "
                    "who) OVER w AS subjects, list(_where ORDER BY l, _where) OVER w AS firsts FROM "
                    f"({union}) AS t(severity, rule, f, l, record, column_name, value, message, _where, who) WINDOW w "
                    "AS "
                    "(PARTITION BY rule, f))"
                )
            con.execute(f"INSERT INTO issues {union}", params)
            con.execute(
                "UPDATE issues SET message = message || $hint WHERE rule LIKE 'type:' || $table || '.%' AND "
                "list_contains($marks, upper(trim(value)))",
                {
                    "table": table,
                    "marks": list(MISSING_MARKS),
                    "hint": '; if the value means "no value", list it in [csv] missing_values of a copy of the '
                    'profile (e.g. missing_values = ["NA", "."]): it is then read as empty',
                },
            )
            if decimal_separator == ".":  # a decimal comma typed as text ("27,5"; review 18, F8): name the key
                con.execute(
                    "UPDATE issues SET message = message || $hint WHERE rule LIKE 'type:' || $table || '.%' AND "
                    "regexp_full_match(trim(value), '-?[0-9]+,[0-9]+')",
                    {
                        "table": table,
                        "hint": '; it has a decimal comma: set [csv] decimal_separator = "," in a copy of the profile '
                        "(it reads text such as 27,5 in CSV files and workbook cells alike; number cells are "
                        "unaffected)",
                    },
                )
        given = [c for c in raw if c.startswith(("_given_", "_file_", "_line_")) or c in ("_records", DEATH_SOURCE)]
        generated = ", ".join(f"({expr}) AS {name}" for name, expr in generated_columns(table).items())
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT *{', ' + generated if generated else ''} FROM "
            f"(SELECT {', '.join(typed)}, r._file, r._line{''.join(', r.' + g for g in given)} FROM raw_{table} AS r)"
        )
        for column in given:
            if column.startswith("_given_"):
                _reconcile(con, table, column.removeprefix("_given_"), column)


def _located(columns: list[str], column: str, alias: str) -> str:
    """File and line of a value of `column`: its own (`_file_<column>`, `_line_<column>`, written by
    a mapper whose row joins records of several files, an ADaM visit from split datasets), else the
    row's."""
    if f"_file_{column}" in columns:
        return (
            f"coalesce({alias}._file_{column}, {alias}._file), "
            f"CASE WHEN {alias}._file_{column} IS NULL THEN {alias}._line ELSE {alias}._line_{column} END"
        )
    return f"{alias}._file, {alias}._line"


def _raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return _typed_columns(con, f"raw_{table}")


def _typed_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def _reconcile(con: duckdb.DuckDBPyConnection, table: str, name: str, given: str) -> None:
    """A total, band or grade the source gives beside the items: a disagreement is worth knowing, named by
    its patient (and visit month), with the given value and the derived one (review 11: the warning named
    neither the subject, the visit nor the derived total)."""
    who = (
        f"{table}.patient_id || ' month ' || CAST({table}.visit_month AS VARCHAR)"
        if table == "visits"
        else _record(table, table)
    )
    shown = (
        f"{who} || ': given ' || CAST({given} AS VARCHAR) || ', derived ' || "
        f"coalesce(CAST({name} AS VARCHAR), '(none)')"
    )
    con.execute(
        f"INSERT INTO issues SELECT 'warning', $rule, {_located(_typed_columns(con, table), name, table)}, "
        f"{_record(table, table)}, $column, {shown}, $message FROM {table} WHERE {given} IS NOT NULL AND "
        f"lower(CAST({given} AS VARCHAR)) IS DISTINCT FROM lower(CAST({name} AS VARCHAR)) AND NOT "
        f"(try_cast({given} AS DOUBLE) IS NOT NULL AND "
        f"try_cast({given} AS DOUBLE) = try_cast(CAST({name} AS VARCHAR) AS DOUBLE))",
        {
            "rule": f"reconcile:{table}.{name}",
            "column": name,
            "message": f"the given `{name}` differs from the one derived from the data (the derived one is used)",
        },
    )


def _record(table: str, alias: str) -> str:
    keys = validation.ROW_KEYS[table]
    return "concat_ws(' / ', " + ", ".join(f"CAST({alias}.{k} AS VARCHAR)" for k in keys) + ")"


UNSCHEDULED = (
    "FROM visits AS t JOIN patients AS p ON p.patient_id = t.patient_id JOIN studies AS s ON s.study_id = p.study_id "
    "WHERE NOT list_contains(s.visit_months, t.visit_month)"
)


def unscheduled_visits(con: duckdb.DuckDBPyConnection, issues: Issues) -> int:
    """Drop the visits at a month that is not in their study's schedule (studies.visit_months), each
    a warning at its line: the app analyses scheduled visits only (queries/shared/scheduled_visits.sql),
    so such a record is not imported, whatever the profile. Returns how many were dropped."""
    con.execute(
        f"INSERT INTO issues SELECT 'warning', 'schedule:visits', t._file, t._line, {_record('visits', 't')}, "
        "'visit_month', CAST(t.visit_month AS VARCHAR), 'visit at month ' || t.visit_month || ', not in the "
        "schedule of study ' || s.study_id || ' (' || CAST(s.visit_months AS VARCHAR) || '): record not imported "
        f"(the app analyses scheduled visits only)' {UNSCHEDULED}"
    )
    (dropped,) = con.execute(f"SELECT count(*) {UNSCHEDULED}").fetchone() or (0,)
    step = "visit month not in the study's schedule ([study] visit_months)"
    if "_records" in _typed_columns(con, "visits"):
        # A visit joins several records (one per parameter of a BDS or QS dataset, maybe of several
        # files): the funnel counts the records, per file they came from, not the visits.
        for file, records in con.execute(
            f"SELECT e.key, sum(e.value) FROM (SELECT unnest(map_entries(t._records)) AS e {UNSCHEDULED}) "
            "GROUP BY ALL ORDER BY 1"
        ).fetchall():
            Funnel(con).drop(str(file), step, int(records))
    else:
        Funnel(con).drop_where(f"(SELECT t._file {UNSCHEDULED})", "_file", step, "TRUE")
    if dropped:
        con.execute(f"DELETE FROM visits WHERE rowid IN (SELECT t.rowid {UNSCHEDULED})")
    return int(dropped)


def contract_rules(con: duckdb.DuckDBPyConnection, issues: Issues) -> None:
    """Every rule of pts_explorer.validation on the typed tables, each offending row an issue."""
    con.execute(ABSENT_TABLE)
    empty = _empty_required(con, issues)
    # A table a mapper left empty because an earlier error stops its records (Mapper.absent(..., "*")):
    # its rules would only repeat that error.
    stopped = {t for (t,) in con.execute("SELECT table_name FROM absent_columns WHERE column_name = '*'").fetchall()}
    # A reference to such a table: its keys are unknown, not missing.
    unknown = {f"reference:{t}.{c}" for t, c, parent, _ in validation.contract().foreign_keys if parent in stopped}
    # The row-level rules of a table in one statement (a statement per rule cost ~10 ms each).
    by_table: dict[str, tuple[list[str], dict[str, object]]] = {}
    columns_of: dict[str, list[str]] = {}
    for i, rule in enumerate((*validation.contract_rules(), *validation.app_rules())):
        if rule.id in empty or rule.id.partition(":")[2] in stopped or rule.id in unknown:
            continue
        if not rule.row_level:
            (bad,) = con.execute(f"SELECT count(*) FROM ({rule.bad_rows})").fetchone() or (0,)
            if bad:
                issues.add(Issue.file_level(rule.severity, rule.id, rule.table, rule.message.replace("`", "")))
            continue
        column = rule.columns[0] if rule.columns else ""
        value = f"CAST(t.{column} AS VARCHAR)" if column else "''"
        if column and rule.table not in columns_of:
            columns_of[rule.table] = _typed_columns(con, rule.table)
        at = _located(columns_of[rule.table], column, "t") if column else "t._file, t._line"
        selects, params = by_table.setdefault(rule.table, ([], {}))
        selects.append(
            f"(SELECT $severity{i}, $rule{i}, {at}, {_record(rule.table, 't')}, $column{i}, {value}, $message{i} "
            f"{rule.source})"
        )
        params |= {
            f"severity{i}": rule.severity,
            f"rule{i}": rule.id,
            f"column{i}": column,
            f"message{i}": rule.message.replace("`", ""),
        }
    for selects, params in by_table.values():
        con.execute(f"INSERT INTO issues {' UNION ALL '.join(selects)}", params)
    # A stent-only event of a medical-arm patient: the import names the patient and the event in the message
    # (the rule's own message, for any database the app opens, names neither), as at its file and line.
    con.execute(
        "UPDATE issues SET message = 'patient ' || split_part(record, ' / ', 1) || ' is in the medical arm but has "
        "the event ' || value || ', which only a stent can have: imported as it is, Safety counts it in the medical "
        "arm; check the patient''s arm or the event''s term' WHERE rule = 'arm:events'"
    )
    # ... unless the patient was treated with a stent (ADaM's [adsl] arm_actual, TRT01A): the event fits the
    # treatment received, and the arm is the one randomised (review 10, finding 9).
    if con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'as_treated'").fetchone() != (0,):
        con.execute(
            "UPDATE issues SET message = 'patient ' || t.patient_id || ' is in the medical arm but was treated with a "
            "stent (\"' || t.actual_value || '\") and has the event ' || issues.value || ', which only a stent can "
            "have: it fits the treatment received; imported as it is, Safety counts it in the medical arm (as "
            "randomised)' FROM as_treated AS t WHERE issues.rule = 'arm:events' AND split_part(issues.record, ' / ', "
            "1) = t.patient_id AND t.actual = 'stent'"
        )
    # The CEAP class and the month-0 ulcer that disagree: the import says what the patient's record holds (review 17,
    # finding 9: "CEAP class C6 (open ulcer) that disagrees ..." read as if a C4a patient were C6).
    con.execute(
        "UPDATE issues SET message = 'patient ' || split_part(record, ' / ', 1) || ': ' || CASE WHEN value = 'C6' "
        "THEN 'ceap_c is C6 (an open ulcer), but no ulcer is recorded at the month-0 visit' ELSE 'ceap_c is ' || "
        "value || ', but an open ulcer (CEAP C6) is recorded at the month-0 visit' END || ': imported as they are; "
        "check the CEAP class and the month-0 ulcer in the source' WHERE rule = 'ceap:patients'"
    )
    # A value that is not of its type (or a formula with no value) is empty after typing: report it once.
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'required:%' AND EXISTS (SELECT 1 FROM issues AS t WHERE "
        "(t.rule LIKE 'type:%' OR t.rule = 'file:formula') AND t.file = i.file AND t.line = i.line AND "
        "t.column_name = i.column_name)"
    )
    # A source date that is not a date (or a partial one refused) is the error; the empty day it gives is not another.
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'required:%' AND EXISTS (SELECT 1 FROM issues AS t WHERE "
        "t.severity = 'error' AND (t.rule LIKE 'sdtm:date.%' OR t.rule LIKE 'sdtm:partial_date.%') AND t.file = "
        "i.file AND t.line = i.line)"
    )
    # Months since the DVT counted from a DVT date that is refused (SDTM SUPPDM DVTDTC): that date's error,
    # on its own dataset and line, is the one to fix, not the months left empty in DM.
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule = 'required:patients.months_since_dvt' AND EXISTS (SELECT 1 FROM issues "
        "AS t WHERE t.severity = 'error' AND t.rule IN ('sdtm:date.dvt_date', 'sdtm:partial_date.dvt_date') AND "
        "(t.record = i.record OR coalesce(i.record, '') = ''))"
    )
    # Days (and months since the DVT) are counted from dates. A source date that could not be read, or a
    # patient without an enrolment date (the day every other day counts from), is the error to fix: the
    # days it leaves empty, in every row of its file or on its own rows, and the contract's "must be a date"
    # for the same rows are that error again. The refusal stands on the date error itself.
    con.execute(
        "DELETE FROM issues AS i WHERE (i.rule LIKE 'required:%\\_day' ESCAPE '\\' OR i.rule = "
        "'required:patients.months_since_dvt') AND EXISTS (SELECT 1 FROM issues AS t WHERE t.severity = 'error' "
        "AND ((t.rule LIKE 'type:%' AND t.message LIKE $not_a_date AND (t.file = i.file OR i.line IS NULL AND "
        "i.file = $derived)) OR (t.rule IN ('required:patients.enrolled_on', 'type:patients.enrolled_on') AND "
        "t.file = i.file AND t.line = i.line)))",
        {"not_a_date": f"%{NOT_A_DATE}%", "derived": DERIVED_FROM_VISITS},
    )
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'type:%' AND i.message LIKE '%must be ' || $date AND EXISTS "
        "(SELECT 1 FROM issues AS t WHERE t.rule LIKE 'type:%' AND t.message LIKE $not_a_date AND t.file = i.file "
        "AND t.line = i.line)",
        {"not_a_date": f"%{NOT_A_DATE}%", "date": _TYPE_WORDS["date"]},
    )
    # A coded value the SDTM value map does not hold is one error (sdtm:values.<column>, naming the map),
    # not also the contract's allowed-values error on the same record (which a SUPPDM value has at its
    # subject's DM record, the map's error at the SUPPDM record).
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'allowed:%' AND EXISTS (SELECT 1 FROM issues AS t WHERE "
        "t.rule = 'sdtm:values.' || split_part(i.rule, '.', 2) AND t.record = i.record)"
    )
    # A REDCap record whose rows sit at events [events] does not map (a second arm's _arm_2 events) is that one
    # error (redcap:event_visits): its patient, not imported, then lacks for its adverse events, and their days
    # count from an enrolment never read; those are the same error again (review 16, finding 5).
    con.execute(
        "DELETE FROM issues AS i WHERE (i.rule LIKE 'reference:%.patient_id' OR i.rule = 'required:events.event_day')"
        " AND EXISTS (SELECT 1 FROM issues AS t WHERE t.severity = 'error' AND t.rule = 'redcap:event_visits' AND "
        "t.file = i.file AND t.record = split_part(i.record, ' / ', 1)) AND NOT EXISTS (SELECT 1 FROM patients AS p "
        "WHERE p.patient_id = split_part(i.record, ' / ', 1))"
    )
    # A column the source lacks is one error (the mapper's, naming its profile key), not one per empty value.
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'required:%' AND EXISTS (SELECT 1 FROM absent_columns AS a WHERE "
        "i.rule = 'required:' || a.table_name || '.' || a.column_name AND (a.file IS NULL OR a.file = i.file))"
    )
    # An ADaM visit flagged for analysis that no [visits] map knows is one error (adam:visit_unmapped, naming
    # its AVISIT and the keys): the values its records would have given a visit of the same subject from
    # another file (ADQS split: VCSS at month 6 in ADQSVCSS, the Villalta items at "Week 26" in ADQSVIL)
    # are empty because of it, not errors of their own blaming the other file and [paramcd].
    con.execute(VISIT_SET_ASIDE_TABLE)
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'required:visits.%' AND EXISTS (SELECT 1 FROM visit_set_aside AS a "
        "WHERE a.patient_id = split_part(i.record, ' / ', 1) AND i.rule = 'required:visits.' || a.column_name)"
    )
    # An ADaM record whose AVAL is blank while AVALC holds a value is one error (adam:avalc, naming subject, visit,
    # AVALC and the key), not also the contract's "empty" error at the same record (review 14, N2).
    con.execute(
        "DELETE FROM issues AS i WHERE i.rule LIKE 'required:visits.%' AND EXISTS (SELECT 1 FROM issues AS t WHERE "
        "t.rule = 'adam:avalc' AND t.severity = 'error' AND t.file = i.file AND t.line = i.line)"
    )
    # Nobody said whether the data are synthetic: that is one error, the question (synthetic_stated).
    con.execute(
        "DELETE FROM issues WHERE rule = 'required:dataset_info.synthetic' AND EXISTS (SELECT 1 FROM issues "
        "WHERE rule = 'dataset:synthetic')"
    )


def _empty_required(con: duckdb.DuckDBPyConnection, issues: Issues) -> set[str]:
    """Required columns empty in every row of a table with rows: one error each, not one per row.
    One statement per table (a statement per column cost ~30 ms each, most of a small import's checks)."""
    skipped = set()
    absent = con.execute("SELECT table_name, column_name, file FROM absent_columns").fetchall()
    for table, columns in validation.contract().columns.items():
        required = [c for c in columns.values() if c.not_null and not c.generated]
        if not required:
            continue
        flags, aggregates, params = [], [], {}
        for i, column in enumerate(required):
            # The rows whose value is empty because the source lacks the column are left out (Mapper.absent).
            files = [f for t, c, f in absent if t == table and c == column.name]
            if any(f is None for f in files):
                flags.append(f"TRUE AS _absent{i}")
            elif files:
                flags.append(f"coalesce(list_contains($absent{i}, t._file), FALSE) AS _absent{i}")
                params[f"absent{i}"] = files
            else:
                flags.append(f"FALSE AS _absent{i}")
            aggregates += [
                f"count(*) FILTER (WHERE NOT _absent{i})",
                f"count({column.name}) FILTER (WHERE NOT _absent{i})",
                f"min(_file) FILTER (WHERE NOT _absent{i})",
                f"count(*) FILTER (WHERE _absent{i})",
            ]
        found = con.execute(
            f"SELECT {', '.join(aggregates)} FROM (SELECT *, {', '.join(flags)} FROM {table} AS t)", params
        ).fetchone()
        for i, column in enumerate(required):
            rows, filled, file, covered = found[4 * i : 4 * i + 4] if found else (0, 0, "", 0)
            rule = f"required:{table}.{column.name}"
            if covered and not rows:
                skipped.add(rule)
            if rows and not filled:
                skipped.add(rule)
                (typed_away,) = con.execute(
                    "SELECT count(*) FROM issues WHERE rule = $rule", {"rule": f"type:{table}.{column.name}"}
                ).fetchone() or (0,)
                if not typed_away:
                    issues.add(
                        Issue.file_level(
                            ERROR,
                            rule,
                            file,
                            f"{table}.{column.name} is empty in every row; the contract requires a value",
                        )
                    )
    return skipped


def synthetic_stated(con: duckdb.DuckDBPyConnection, issues: Issues) -> None:
    """Data without a dataset_info table or a dataset.toml must say whether they are synthetic: the
    app marks synthetic data on every page, and real data must never carry that mark (nor lack it)."""
    (unstated,) = con.execute("SELECT count(*) FROM dataset_info WHERE synthetic IS NULL").fetchone() or (0,)
    if unstated:
        issues.add(
            Issue.file_level(
                ERROR,
                "dataset:synthetic",
                "(import)",
                "say whether these data are synthetic: on the command line add --real or --synthetic; on the "
                "Import page answer 'Are these data synthetic?'; or put a dataset.toml with synthetic = true or "
                "false beside the sources",
            )
        )


DEATH_SOURCE = "_death_source"  # raw_events: 0 a death date, 1 an adverse event, 2 a procedure record
_DEATH_WHAT = (
    "CASE {rank} WHEN 0 THEN 'the death date' WHEN 1 THEN 'an adverse event' WHEN 2 THEN 'a procedure record' "
    "ELSE 'a death event' END"
)
_DEATH_DATE = "coalesce(strftime(p.enrolled_on + {day}, '%Y-%m-%d'), 'day ' || {day}, 'no date')"
DEATH_TWICE_STEP = "a second record of the patient's death (one death imported)"


def one_death(con: duckdb.DuckDBPyConnection, issues: Issues) -> int:
    """A patient dies once. A death date (ADSL DTHDT, DM/DS, a REDCap death date field) and an
    adverse event whose term maps to death (a REDCap choice "Death", an AE term) give one death
    event, at the death date; without a death date (the contract's events file), the death on the
    last contact day, else the earliest; a record with a day always before one without (a death date
    that could not be read is its own error, and never makes the patient die "on no date"). Each other
    death record is counted in the funnel and not imported; one on another date is a warning naming
    the patient and both dates. Returns how many were set aside."""
    rank = f"e.{DEATH_SOURCE}" if DEATH_SOURCE in _typed_columns(con, "events") else "NULL::INTEGER"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE death_records AS SELECT e.rowid AS id, e.patient_id, e.event_day, e._file, "
        f"e._line, {_DEATH_WHAT.format(rank=rank)} AS what, {_DEATH_DATE.format(day='e.event_day')} AS at, "
        f"row_number() OVER (PARTITION BY e.patient_id ORDER BY e.event_day IS NULL, coalesce({rank}, 0), "
        "e.event_day IS NOT DISTINCT FROM p.last_contact_day DESC, e.event_day NULLS LAST, e._file, e._line) AS n "
        "FROM events AS e LEFT JOIN "
        "(SELECT patient_id, any_value(enrolled_on) AS enrolled_on, any_value(last_contact_day) AS last_contact_day "
        "FROM patients GROUP BY 1) AS p USING (patient_id) WHERE e.event_type = 'death'"
    )
    twice = "FROM death_records AS d JOIN death_records AS k ON k.patient_id = d.patient_id AND k.n = 1 WHERE d.n > 1"
    con.execute(
        "INSERT INTO issues SELECT 'warning', 'events:death_twice', d._file, d._line, d.patient_id, 'event_day', "
        "k.at || ' / ' || d.at, 'patient ' || d.patient_id || ' has two death records, ' || k.what || ' (' || k.at "
        "|| ') and ' || d.what || ' (' || d.at || '): one death is imported, on ' || k.at || ' (a patient dies "
        f"once); correct the date that is wrong' {twice} AND d.event_day IS DISTINCT FROM k.event_day AND d.event_day "
        "IS NOT NULL"  # a death record without a date: the date's own error or the contract's rule names it
    )
    # A record without a day is its date's error (the import is refused), not a record set aside.
    Funnel(con).drop_where(
        f"(SELECT d._file {twice} AND d.event_day IS NOT NULL)", "_file", DEATH_TWICE_STEP, "TRUE", loss=False
    )
    (n,) = con.execute(f"SELECT count(*) {twice}").fetchone() or (0,)
    if n:
        con.execute(f"DELETE FROM events WHERE rowid IN (SELECT d.id {twice})")
    return int(n)


INDEX_PROCEDURE_KEYS = {  # where each format's profile names the index stent procedure
    "adam": "[adsl] procedure_date",
    "sdtm": "the PR dataset ([datasets] pr) and [pr] index_terms",
    "redcap": "[fields] procedure_date",
    "contract": "procedures.csv",
}


def index_procedures(con: duckdb.DuckDBPyConnection, issues: Issues, profile: Profile) -> None:
    """Stent-arm patients without an index stent procedure, whatever the format: the patency
    analyses start at the procedure, so they leave such a patient out, and with none at all they are
    empty. Each such patient is a warning at their patients row naming where the profile maps the
    procedure; never an error (a patient randomised to a stent may not have received one)."""
    without = (
        "FROM patients AS p WHERE p.arm = 'stent' AND p.patient_id NOT IN "
        "(SELECT patient_id FROM procedures WHERE patient_id IS NOT NULL)"
    )
    (stent, lacking) = con.execute(
        f"SELECT (SELECT count(*) FROM patients WHERE arm = 'stent'), (SELECT count(*) {without})"
    ).fetchone() or (0, 0)
    if not lacking:
        return
    where = INDEX_PROCEDURE_KEYS.get(profile.format, "the profile")
    if lacking == stent:
        message = (
            f"none of the {counted(stent, 'stent-arm patient')} has an index stent procedure (patency and procedure "
            f"analyses will be empty): if the data hold it, name it in {where} of a copy of the profile"
        )
    else:
        message = (
            f"{lacking:,} of the {counted(stent, 'stent-arm patient')} {'has' if lacking == 1 else 'have'} no index "
            f"stent procedure: the patency analyses leave {'this patient' if lacking == 1 else 'them'} out (if the "
            f"data hold it, check {where} of a copy of the profile)"
        )
    con.execute(
        f"INSERT INTO issues SELECT 'warning', 'procedures:index_missing', p._file, p._line, p.patient_id, "
        f"'patient_id', p.patient_id, $message {without}",
        {"message": message},
    )


MOST = 0.5  # a funnel that loses more than this share of what a source meant to give is an error


def coverage(con: duckdb.DuckDBPyConnection, issues: Issues, rows_by_file: dict[str, int]) -> None:
    """An import that keeps no visits, a baseline for fewer than half the patients, or loses most
    of a source's records to its rules is an error, not a success with warnings: each message says
    where the records went (the funnel) and which profile key to look at."""
    steps: dict[str, list[tuple[str, int, bool]]] = {}
    for file, step, records, loss in con.execute(
        "SELECT file, step, records, loss FROM funnel ORDER BY ord"
    ).fetchall():
        steps.setdefault(file, []).append((step, int(records), bool(loss)))
    named = {f for (f,) in con.execute("SELECT DISTINCT file FROM issues WHERE severity = 'error'").fetchall()}
    for file, dropped in steps.items():
        if file in named:
            continue  # an error already names this file's problem (say, the value map it lacks)
        read = rows_by_file.get(file, 0)
        meant = read - sum(n for _, n, loss in dropped if not loss)
        lost = [(step, n) for step, n, loss in dropped if loss]
        if meant > 0 and sum(n for _, n in lost) > MOST * meant:
            where = "; ".join(f"{step}: {n:,}" for step, n in lost)
            issues.add(
                Issue.file_level(
                    ERROR,
                    "funnel:most_dropped",
                    file,
                    f"{sum(n for _, n in lost):,} of the {counted(meant, 'record')} meant for import were set "
                    f"aside ({where}): check the rule or profile key each step names in a copy of the profile",
                )
            )
    if issues.has_errors():
        return  # already refused: an empty table after a refused source says nothing more
    (patients,) = con.execute("SELECT count(*) FROM patients").fetchone() or (0,)
    (visits,) = con.execute("SELECT count(*) FROM visits").fetchone() or (0,)
    (baselines,) = con.execute(
        "SELECT count(DISTINCT patient_id) FROM visits WHERE visit_month = 0 AND patient_id IN "
        "(SELECT patient_id FROM patients)"
    ).fetchone() or (0,)
    if not patients:
        issues.add(
            Issue.file_level(
                ERROR,
                "coverage:no_patients",
                "patients",
                "no patient was kept: every page would be empty. The funnel of each source shows which rule set "
                "them aside (a population filter, an arm left out); check those keys in a copy of the profile",
            )
        )
    elif not visits:
        issues.add(
            Issue.file_level(
                ERROR,
                "coverage:no_visits",
                "visits",
                f"no visit record was kept for the {counted(patients, 'patient')}: every page would be empty. "
                "The funnel of each source shows where the records went; check the visit map and the parameter or "
                "field names of the profile",
            )
        )
    elif patients and baselines < MOST * patients:
        issues.add(
            Issue.file_level(
                ERROR,
                "coverage:baselines",
                "visits",
                f"only {baselines:,} of {counted(patients, 'patient')} {'has' if patients == 1 else 'have'} a "
                "baseline (month 0) visit; the analyses compare change from baseline. Map the baseline visit to "
                "month 0 (ADaM: ABLFL or the [visits] map; REDCap: [events]) in a copy of the profile",
            )
        )


_FIX_HINTS = {
    "allowed": " Source column {where}: map each source value onto the contract's in [values.{column}] of a "
    "copy of the profile.",
    "type": " Source column {where}: check that it holds this, or give a [values.{column}] map.",
    "required": " Source column {where}: check that the profile names the source column that holds it.",
}


DATE_HINT = (
    " Source column {where}: dates are read as ISO 8601 (2021-12-09) and in the formats listed in [dates] formats "
    "of a copy of the profile; add the one its dates are written in."
)


ARM_LEFT_OUT = (
    " Patients of an arm the contract does not hold (a third arm, screen failures) can instead be left out: "
    '[population] exclude_arms, or require (e.g. ITTFL = "Y").'
)


NOT_ENROLLED = (
    " Patients without an enrolment (randomization) date who were never enrolled (screen failures) can instead be "
    'left out: [population] require (e.g. ITTFL = "Y"), or exclude_arms.'
)


NO_ARM = (
    " Patients without an arm who were never randomized (screen failures) can instead be left out: "
    '[population] require (e.g. ITTFL = "Y"), or exclude_arms.'
)
# SDTM's population keys are not ADaM's: the same hints name them.
SDTM_LEFT_OUT = (
    '[population] require (e.g. ITTFL = "Y"), or exclude_arms.',
    "[population] flag_qnam (a SUPPDM flag such as ITT), exclude_blank_reference_date, or exclude_arms.",
)


EXCEL_SERIAL = "^[0-9]{5}(\\.0+)?$"  # an Excel serial day number, as a cell formatted General gives a date


def excel_serial_dates(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """A date column whose values are Excel serial day numbers (44262, a date cell formatted General) says so,
    with the date one stands for and the key that reads them (review 11, N6: "must be a date" named no fix)."""
    if profile.section("dates").get("excel_serial") is True:
        return
    dates = {c.name for cols in validation.contract().columns.values() for c in cols.values() if c.type == "DATE"}
    rows = con.execute(
        "SELECT rule, min(value) FROM issues WHERE rule LIKE 'type:%' AND regexp_matches(value, $serial) AND "
        "try_cast(value AS DOUBLE) BETWEEN 20000 AND 80000 GROUP BY rule",
        {"serial": EXCEL_SERIAL},
    ).fetchall()
    for rule, value in rows:
        if str(rule).rsplit(".", 1)[-1] not in dates:
            continue
        day = date(1899, 12, 30) + timedelta(days=int(float(value)))
        hint = (
            f" {value} looks like an Excel serial date ({day.isoformat()}): format the column as a date in the "
            "workbook, or set [dates] excel_serial = true in a copy of the profile to read such numbers as dates."
        )
        con.execute(
            "UPDATE issues SET message = message || CASE WHEN message LIKE '%.' THEN '' ELSE '.' END || $hint "
            "WHERE rule = $rule",
            {"hint": hint, "rule": rule},
        )


def date_formats_named(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """A contract date column whose values are not ISO 8601 ("must be a date (YYYY-MM-DD)", a contract CSV's
    07/03/2021) names the [dates] formats entry that reads every such value of the column, both day-first and
    month-first when the values cannot tell them apart (review 12, finding 2: the message named no key).
    Excel serial numbers have their own hint (excel_serial_dates); a date written as ISO 8601 that is no
    calendar date has its own message (impossible_dates)."""
    impossible_dates(con)
    given = [str(f) for f in profile.section("dates").get("formats", [])]
    rows = con.execute(
        "SELECT rule, list(DISTINCT trim(value) ORDER BY trim(value)) FROM issues WHERE rule LIKE 'type:%' AND "
        "message LIKE '%must be ' || $date || '%' AND nullif(trim(value), '') IS NOT NULL AND NOT "
        "regexp_matches(trim(value), $serial) GROUP BY rule ORDER BY rule",
        {"date": _TYPE_WORDS["date"], "serial": EXCEL_SERIAL},
    ).fetchall()
    for rule, values in rows:
        shown = ", ".join(values[:3]) + (", ..." if len(values) > 3 else "")
        partial = [v for v in values if re.fullmatch(PARTIAL_ISO, v)]
        whole = [v for v in values if v not in partial]
        fits = [f for f in DATE_FORMATS if f not in given and all(_reads_date(f, v) for v in values)]
        listed = ", ".join(f'"{f}"' for f in given)
        if partial:
            hint = _partial_hint(values, whole, partial, given)
        elif {"%d/%m/%Y", "%m/%d/%Y"} <= set(fits):
            hint = (
                f' Both [dates] formats = [{listed + ", " if listed else ""}"%d/%m/%Y"] (day first) and '
                f'["%m/%d/%Y"] (month first) read every one of its {counted(len(values), "date")} ({shown}): '
                "the values cannot tell which; set the one the source is written in, in a copy of the profile."
            )
        elif fits:
            hint = (
                f' Set [dates] formats = [{listed + ", " if listed else ""}"{fits[0]}"] in a copy of the profile: it '
                f"reads every one of its {counted(len(values), 'date')} ({shown})."
            )
        else:
            hint = (
                f" No single format reads every one of its {counted(len(values), 'date')} ({shown}): write them as "
                "ISO 8601 (2021-12-09), or list the formats they are written in in [dates] formats of a copy of the "
                'profile (e.g. "%d/%m/%Y" for 25/12/2021).'
            )
        con.execute(
            "UPDATE issues SET message = message || CASE WHEN message LIKE '%.' THEN '' ELSE '.' END || $hint "
            "WHERE rule = $rule AND message LIKE '%must be ' || $date || '%'",
            {"hint": hint, "rule": rule, "date": _TYPE_WORDS["date"]},
        )


PARTIAL_ISO = r"\d{4}(-\d{2})?"  # a partial ISO 8601 date: "2022-02", "2022" ([dates] partial completes it)


def _partial_hint(values: list[str], whole: list[str], partial: list[str], given: list[str]) -> str:
    """The advice for a date column some of whose values are partial ISO dates ("2022-02"): the [dates] formats
    entry that reads the most of the other values, then [dates] partial for the partial ones (review 17,
    finding 7: a DATE9 column with one "2022-02" was told neither "%d%b%Y" nor [dates] partial)."""
    listed = ", ".join(f'"{f}"' for f in given)
    few = ", ".join(partial[:3]) + (", ..." if len(partial) > 3 else "")
    one = len(partial) == 1
    partial_part = (
        f"{'is a partial date' if one else 'are partial dates'} (no day): complete {'it' if one else 'them'} in "
        f'the source, or set [dates] partial = "first" (or "middle") to complete {"it" if one else "each"} and '
        "count each as a warning"
    )
    if not whole:
        every = f"{'Its' if one else 'All its'} {counted(len(values), 'date')}"
        return f" {every} ({few}) {partial_part}, in a copy of the profile."
    reads = {f: [v for v in whole if _reads_date(f, v)] for f in DATE_FORMATS if f not in given}
    best = max(reads, key=lambda f: len(reads[f]))  # the first of the most-reading formats: DATE_FORMATS' order
    read = reads[best]
    if not read:
        first = (
            f" No [dates] formats entry reads its other {counted(len(whole), 'date')}: write them as ISO 8601 "
            "(2021-12-09), or list the formats they are written in in [dates] formats."
        )
    else:
        seen = ", ".join(read[:3]) + (", ..." if len(read) > 3 else "")
        rest = len(whole) - len(read)
        first = (
            f' Set [dates] formats = [{listed + ", " if listed else ""}"{best}"]: it reads {len(read):,} of its '
            f"{counted(len(values), 'date')} ({seen})"
            + (
                f"; list the formats the other {rest:,} not partial {'is' if rest == 1 else 'are'} written in too"
                if rest
                else ""
            )
            + "."
        )
    return f"{first} The other {len(partial):,} ({few}) {partial_part}. Both in a copy of the profile."


ISO_DAY = r"\d{4}-\d{2}-\d{2}"


def impossible_dates(con: duckdb.DuckDBPyConnection) -> None:
    """A date written as ISO 8601 that no calendar has (2021-02-30) is said to be so, naming the patient and why,
    with no [dates] formats advice (review 14, N5: it was told to write ISO 8601, which it was): the message
    replaces the date error's whole (with any hint added to it)."""
    rows = con.execute(
        "SELECT DISTINCT rule, trim(value) FROM issues WHERE rule LIKE 'type:%' AND message LIKE '%must be ' || $date "
        "|| '%' AND regexp_full_match(trim(value), $iso) AND try_strptime(trim(value), '%Y-%m-%d') IS NULL",
        {"date": _TYPE_WORDS["date"], "iso": ISO_DAY},
    ).fetchall()
    for rule, value in rows:
        column = str(rule).removeprefix("type:")
        table = column.split(".")[0]
        whose = "study" if table == "studies" else "patient"
        con.execute(
            "UPDATE issues SET message = $column || ' of ' || $whose || ' ' || split_part(record, ' / ', 1) || ': ' "
            "|| $value || ' is no calendar date (' || $why || '): correct it in the source (no [dates] format reads "
            "it)' WHERE rule = $rule AND trim(value) = $value AND message LIKE '%must be ' || $date || '%'",
            {"column": column, "whose": whose, "value": value, "why": _why_no_date(value), "rule": rule}
            | {"date": _TYPE_WORDS["date"]},
        )


def _why_no_date(value: str) -> str:
    """Why an ISO-shaped date is none: "February 2021 has 28 days", "there is no month 13"."""
    year, month, day = (int(p) for p in value.split("-"))
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if day == 0:
        return "there is no day 0"
    following = date(year + month // 12, month % 12 + 1, 1)
    days = (following - timedelta(days=1)).day
    return f"{calendar.month_name[month]} {year} has {days} days"


def _reads_date(fmt: str, value: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def name_the_fix(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """Each value problem of a contract column the profile maps from a source column also names
    that column and the profile key that fixes it (the contract's rule alone names neither)."""
    done = blank_in_some_records(con, profile)
    if profile.format == "adam":
        adam_sources_named(con, profile)
    rules = [r for (r,) in con.execute("SELECT DISTINCT rule FROM issues").fetchall() if r not in done]
    dates = {c.name for cols in validation.contract().columns.values() for c in cols.values() if c.type == "DATE"}
    for column, where in _mapped_from(profile).items():
        records = " = " in where  # a parameter or test code's records (ADaM [paramcd], SDTM [qs.testcd]): no column
        for kind, hint in _FIX_HINTS.items():
            # The statement only where a rule of the kind names the column (LIKE's "_" is any character).
            named = re.compile(rf"{re.escape(kind)}:.*\.{re.escape(column).replace('_', '.')}", re.DOTALL)
            if not any(named.fullmatch(rule) for rule in rules):
                continue
            if kind == "type" and column in dates:  # a date is read by [dates] formats, never a value map
                hint = DATE_HINT
            if records:
                hint = hint.replace("Source column", "Source records").replace(
                    "the source column that holds it", "the parameter or test code whose records hold it"
                )
            con.execute(
                "UPDATE issues SET message = message || CASE WHEN message LIKE '%.' THEN '' ELSE '.' END || $hint "
                "WHERE rule LIKE $kind || ':%' AND "
                "(rule LIKE '%.' || $column)",
                {"hint": hint.format(where=where, column=column), "kind": kind, "column": column},
            )
    if "population" in profile.sections:  # a format that can leave patients out (ADaM, SDTM)
        con.execute(
            "UPDATE issues SET message = message || $hint WHERE rule = 'allowed:patients.arm'", {"hint": ARM_LEFT_OUT}
        )
        sdtm = profile.format == "sdtm"
        for rule, hint in (("required:patients.enrolled_on", NOT_ENROLLED), ("required:patients.arm", NO_ARM)):
            con.execute(
                "UPDATE issues SET message = message || $hint WHERE rule = $rule",
                {"hint": hint.replace(*SDTM_LEFT_OUT) if sdtm else hint, "rule": rule},
            )
        if sdtm:
            blank_qualifiers(con, profile)


def blank_qualifiers(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """A required patient value SUPPDM gives ([qualifiers], e.g. the index limb) that is blank for a subject
    names the subject, says the source holds no value, and gives the ways out: the value in the source, or the
    subject left out (review 12, finding 3: "check that the profile names the source column", with no USUBJID,
    although the profile named INDLIMB and its value was blank)."""
    patients = contract_columns("patients")
    for key, qnam in profile.section("qualifiers").items():
        if key not in patients or not isinstance(qnam, str) or not qnam or "." in qnam:
            continue
        what = "the index limb (left or right)" if key == "limb_side" else "its value"
        con.execute(
            "UPDATE issues SET message = coalesce(nullif(record, ''), '(no subject)') || ': ' || $text "
            "WHERE rule = $rule",
            {
                "rule": f"required:patients.{key}",
                "text": f"patients.{key} is blank in the source: the subject's SUPPDM qualifier {qnam} ([qualifiers] "
                f"{key}) has no value, and the contract requires one. Give {what} in the source, or leave the "
                'subject out of the import: [population] flag_qnam (a SUPPDM flag such as ITT that is not "Y" for '
                "it) in a copy of the profile.",
            },
        )


BLANK_SHOWN = 3  # the subjects (and visits) a blank required value's message lists


def blank_in_some_records(con: duckdb.DuckDBPyConnection, profile: Profile) -> set[str]:
    """A required value the profile maps, blank in some records but held in the others, says so: the source
    (column or parameter code), the subjects and visits with the blank (the first few and their number), and the
    way out (review 16, finding 4: "check that the profile names the source column" for a column named and
    present, with no subject or visit, and for ADaM the wrong dataset). Returns the rules it worded."""
    done: set[str] = set()
    for column, where in _mapped_from(profile).items():
        # A patient's blank value in ADaM or SDTM has its own words (NO_ARM, NOT_ENROLLED, blank_qualifiers).
        for table in ("patients", "visits") if profile.format == "redcap" else ("visits",):
            rule = f"required:{table}.{column}"
            rows = con.execute(
                "SELECT record, count(*) OVER () FROM issues WHERE rule = $rule ORDER BY line, record LIMIT $n",
                {"rule": rule, "n": BLANK_SHOWN},
            ).fetchall()
            if not rows or column not in _typed_columns(con, table):
                continue
            (held,) = con.execute(f"SELECT count({column}) FROM {table}").fetchone() or (0,)
            if not held:  # blank everywhere: the profile's mapping is the likelier fault (name_the_fix)
                continue
            blank = int(rows[0][1])
            noun = "visit" if table == "visits" else "patient"
            shown = ", ".join(_subject_visit(str(r[0])) for r in rows)
            more = f" and {blank - len(rows):,} more" if blank > len(rows) else ""
            source = f"source records {where}" if " = " in where else f"source column {where}"
            what = "no record or a blank value" if " = " in where else "a blank value"
            what += " (for a checkbox: no box ticked)" if profile.format == "redcap" else ""
            message = (
                f"{table}.{column} has no value for {counted(blank, noun)} ({shown}{more}): the {source} "
                f"{'hold' if ' = ' in where else 'holds'} it for "
                f"{counted(int(held), 'other ' + noun)}, but {what} for {'this one' if blank == 1 else 'these'}. The "
                f"contract requires it for every {noun}: enter the value in the source (the importer never fills in "
                "a missing value)."
            )
            con.execute("UPDATE issues SET message = $message WHERE rule = $rule", {"message": message, "rule": rule})
            _blank_parameter_file(con, profile, where, rule)
            done.add(rule)
    return done


def adam_sources_named(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """ADaM errors worded by their source (review 16, finding 5): a subject of a dataset whose USUBJID ADSL lacks
    is "not in ADSL" (it was "names a patient_id that is not in patients"), and an event with no day names its
    start date variable, the key, the subject and the term (it named only events.event_day)."""
    con.execute(
        "UPDATE issues SET message = 'USUBJID ' || coalesce(value, '') || ' is not in ADSL: the subject has records "
        "in this dataset but no ADSL record, so none of them can be imported. Add the subject to ADSL, or remove "
        "its records from this dataset' WHERE rule LIKE 'reference:%.patient_id' AND rule <> $patients",
        {"patients": "reference:patients.patient_id"},
    )
    pr = profile.section("datasets").get("adpr")
    pr_names = ["adpr", *(pr.get("names", []) if isinstance(pr, dict) else [])]
    for section, files in (("pr", [str(n).lower() for n in pr_names]), ("ae", None)):
        start = str(profile.section(section).get("start_date") or "")
        if not start:
            continue
        picked = "list_contains($files, lower(regexp_replace(file, $suffix, '')))"
        before = f"{start} ([{section}] start_date) is blank for "
        after = (
            "): the event's day counts from it, and the contract requires a day for every event. Give the date in "
            f"the source (ADaM: an imputed {start}, as the analysis uses it), or name another date variable in "
            f"[{section}] start_date"
        )
        con.execute(
            "UPDATE issues SET message = $before || split_part(record, ' / ', 1) || ' (' || split_part(record, ' / ', "
            "2) || $after WHERE rule = 'required:events.event_day' AND NOT starts_with(message, $before) AND "
            + (picked if files else "true"),
            {"before": before, "after": after} | ({"files": files, "suffix": r"\.[^.]*$"} if files else {}),
        )


def _subject_visit(record: str) -> str:
    """An issue's record as the message names it: "PTS-201-1006 month 6" for a visit's "PTS-201-1006 / 6"."""
    subject, _, month = record.partition(" / ")
    return f"{subject} month {month}" if month else subject


def _blank_parameter_file(con: duckdb.DuckDBPyConnection, profile: Profile, where: str, rule: str) -> None:
    """An ADaM parameter with no record for a visit is named at the dataset that holds that parameter's records
    (ADQSVILL for a Villalta item), not at the visit's first dataset (adqsvcss.xpt for a missing VIL11)."""
    code = re.match(r"PARAMCD = (\S+) ", where)
    if profile.format != "adam" or code is None or not _has_table(con, "bds_read"):
        return
    (file,) = con.execute("SELECT min(_file) FROM bds_read WHERE paramcd = $code", {"code": code[1]}).fetchone() or (
        None,
    )
    if file:
        con.execute(
            "UPDATE issues SET file = $file, line = NULL WHERE rule = $rule AND file <> $file",
            {"file": file, "rule": rule},
        )


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    (n,) = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $name", {"name": name}).fetchone() or (
        0,
    )
    return bool(n)


def _mapped_from(profile: Profile) -> dict[str, str]:
    """Contract column -> where the profile maps it from, e.g. "TRT01P ([adsl] arm)"."""
    columns = {c for table in TABLES for c in contract_columns(table)}
    found: dict[str, str] = {}
    # Sections whose values are a parameter's or test's code, not a column: named as the records they select.
    code_of = {"paramcd": "PARAMCD", "qs.testcd": str(profile.section("qs").get("test_code") or "QSTESTCD")}
    for section, entries in profile.sections.items():
        if not isinstance(entries, dict):
            continue
        tables = {section: entries} | {f"{section}.{k}": v for k, v in entries.items() if isinstance(v, dict)}
        for name, table in tables.items():
            for key, value in table.items():
                if key in columns and isinstance(value, str) and value and key not in found:
                    code = code_of.get(name)
                    found[key] = f"{code} = {value} ([{name}] {key})" if code else f"{value} ([{name}] {key})"
    return found


HEALED = (
    "WITH seq AS (SELECT patient_id, visit_month, visit_day, ulcer_present, lag(ulcer_present) OVER "
    "(PARTITION BY patient_id ORDER BY visit_month) AS before, lag(visit_day) OVER (PARTITION BY patient_id "
    "ORDER BY visit_month) AS day_before, {located} FROM visits AS v) "
    "SELECT patient_id, visit_month, visit_day, day_before, _file, _line FROM seq WHERE before AND NOT ulcer_present"
)


def _healed(con: duckdb.DuckDBPyConnection) -> str:
    """The visits that find healed an ulcer the visit before had, at the file and line of their ulcer
    status (a visit from split datasets: the ADQS file that holds the ulcer, not the first file's)."""
    if "_file_ulcer_present" in _typed_columns(con, "visits"):
        located = (
            "coalesce(v._file_ulcer_present, v._file) AS _file, "
            "CASE WHEN v._file_ulcer_present IS NULL THEN v._line ELSE v._line_ulcer_present END AS _line"
        )
    else:
        located = "v._file, v._line"
    return HEALED.format(located=located)


def ulcer_healing(con: duckdb.DuckDBPyConnection, issues: Issues, profile: Profile) -> None:
    """Trials keep ulcer healing in the visits (ulcer status per visit) more often than as an event.
    With [derive] ulcer_healed = true an ulcer_healed event is added at each visit that finds healed
    an ulcer the visit before had (on that visit's day: the healing happened by then); without it,
    visits that show healing with no healing event between the two visits are a warning naming the
    key, so Durability's healing curve is never silently empty."""
    derive = profile.section("derive").get("ulcer_healed") is True
    if derive:
        con.execute(
            f"INSERT INTO events BY NAME SELECT h.patient_id, h.visit_day AS event_day, 'ulcer_healed' AS event_type, "
            f"FALSE AS serious, $derived AS _file, NULL::BIGINT AS _line FROM ({_healed(con)}) AS h",
            {"derived": DERIVED_FROM_VISITS},
        )
        return
    con.execute(
        f"INSERT INTO issues SELECT 'warning', 'events:healing', h._file, h._line, h.patient_id || ' / month ' || "
        f"h.visit_month, 'ulcer_present', 'false', $message FROM ({_healed(con)}) AS h WHERE NOT EXISTS (SELECT 1 FROM "
        "events AS e WHERE e.patient_id = h.patient_id AND e.event_type = 'ulcer_healed' AND e.event_day > "
        "h.day_before AND e.event_day <= h.visit_day)",
        {
            "message": "the visits show this ulcer healed, but no ulcer_healed event lies between the two visits: "
            "map the healing event (an AE term, parameter or field), or set [derive] ulcer_healed = true in a copy "
            "of the profile to derive it from the visits' ulcer status"
        },
    )
