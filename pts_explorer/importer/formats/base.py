"""What every import format builds on: the Format record, the mapper's base and the example
writers' shared parts.

A mapper goes from staged source tables to one text table per contract table (`raw_<table>`),
each row carrying the file and line it came from. What the contract cannot hold is reported, never
guessed. Values reach SQL as bound parameters; source columns as the staging names c1, c2, ...
(readers.py). Each format (its mapper, help text and example writer) lives in its own module
beside this one (contract, adam, redcap), its built-in profile beside that (<name>.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pts_explorer import validation, vocab
from pts_explorer.importer.issues import ERROR, WARNING, Funnel, Issue, Issues
from pts_explorer.importer.profiles import KnownKeys, Profile, unknown_keys
from pts_explorer.importer.readers import Staged

TABLES = vocab.CONTRACT_TABLES


def contract_columns(table: str) -> list[str]:
    """The columns an import fills: every column of the contract table but the generated ones."""
    return [c.name for c in validation.contract().columns[table].values() if not c.generated]


def source_columns(table: str, but: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The contract columns of `table` as a subject-level source holds them: a day column
    (`procedure_day`, days from enrolment) is read as its date (`procedure_date`), from which the
    import counts the days."""
    kept = [c for c in contract_columns(table) if c not in but]
    return tuple(c.removesuffix("_day") + "_date" if c.endswith("_day") else c for c in kept)


def procedure_details() -> tuple[str, ...]:
    """The index procedure's columns the contract requires on every procedure row besides its patient
    and day (technical_success, stents_placed, below_inguinal_ligament): required of a profile that
    imports the procedure, from the first check (ADaM [adsl], SDTM [procedure] of SUPPPR, REDCap [fields])."""
    columns = validation.contract().columns["procedures"]
    return tuple(c for c in contract_columns("procedures") if not c.endswith(("_id", "_day")) and columns[c].not_null)


def procedure_label(imported: bool) -> str:
    """Whether the index procedure's details are required, as every check and the mapping assistant
    say it: required exactly when the index procedure is imported (procedure_rule)."""
    return (
        "required, because the index procedure is imported"
        if imported
        else ("optional, because no index procedure is imported")
    )


def procedure_rule(imported: bool, how: str, way_out: str) -> str:
    """The one rule for the index procedure's details (procedure_details), said the same way by every
    format (ADaM, SDTM, REDCap, contract CSV), on the command line and the Import page: they are
    required exactly when the index procedure is imported (`how` says what imports it, or why none is),
    and optional otherwise; `way_out` is the format's key that imports no procedure. Said after the
    names of the details it is about ("technical_success: required, because ...")."""
    details = ", ".join(procedure_details())
    if imported:
        return (
            f"{procedure_label(True)} ({how}) and the contract requires {details} on every procedure row; "
            f"{way_out} to import no procedure (the patency and procedure analyses are then empty)"
        )
    return f"{procedure_label(False)} ({how}); required once it is"


def filled_by(key: str) -> list[tuple[str, str]]:
    """The contract columns (table, column) a subject-level source column fills, by the profile key
    that names it: the column of its name, or the day column of a date (procedure_date ->
    procedure_day, death_date -> the death event's day); the enrolment date dates every record."""
    if key == "enrolled_on":
        days = [(t, c) for t in TABLES for c in contract_columns(t) if c.endswith("_day")]
        return [("patients", "enrolled_on"), *days]
    day = {"death_date": "event_day"}.get(key, key.removesuffix("_date") + "_day")
    return [(t, c) for t in TABLES for c in contract_columns(t) if c in (key, day)]


def generated_columns(table: str) -> dict[str, str]:
    return {c.name: c.generated for c in validation.contract().columns[table].values() if c.generated}


class Bind:
    """Collects the bound values of one statement: `b(value)` returns its placeholder."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


@dataclass(frozen=True)
class DatasetFacts:
    """What names the dataset when no dataset_info table comes with the sources."""

    name: str
    synthetic: bool | None  # None: nobody said (checks.synthetic_stated refuses the import)
    description: str
    studies: dict[str, dict[str, Any]] = field(default_factory=dict)  # study id -> name, description


class Mapper:
    """Shared steps of every profile's mapping."""

    def __init__(self, con: duckdb.DuckDBPyConnection, staged: list[Staged], profile: Profile, issues: Issues):
        self.con = con
        self.staged = [s for s in staged if s.table]
        # Sources that could not be read: already an error, never also reported as missing.
        self.unreadable = {n.lower() for s in staged if not s.table for n in (s.name, *s.aliases)}
        self.used: set[str] = set()  # the sources a role took (find, find_role); see unused_sources
        self.profile = profile
        self.issues = issues
        self.funnel = Funnel(con)  # where each source's records went (issues.Funnel)
        con.execute(ABSENT_TABLE)
        date_macro(con, profile)

    def run(self, facts: DatasetFacts) -> None:
        raise NotImplementedError

    def check_profile_keys(
        self,
        keys: Mapping[str, tuple[str, ...] | None],
        profile_kind: str,
        listed: Mapping[str, str] | None = None,
        more: str = "",
    ) -> None:
        """A section or key a profile of this format does not read: an error each, in the words of the loader's
        check (profiles.unknown_keys), which refuses such a profile before any mapper runs (formats.load);
        here for a profile read without that check."""
        known = KnownKeys(profile_kind, keys, listed or {}, more)
        for message in unknown_keys(self.profile.sections, known):
            rule = f"{profile_kind.split()[-1]}:profile_key"
            self.issues.add(Issue.file_level(ERROR, rule, self.profile.path.name, message))

    def absent(self, file: str | None, columns: Iterable[tuple[str, str]]) -> None:
        """Contract columns (table, column) left empty in the records of `file` (None: of any file)
        because the source column the profile names for them is absent, which is already an error
        naming it. The checks go on without the column; its empty values are that error's
        consequence, not reported again (checks.contract_rules)."""
        for table, column in columns:
            self.con.execute("INSERT INTO absent_columns VALUES ($f, $t, $c)", {"f": file, "t": table, "c": column})

    def map(self, facts: DatasetFacts) -> None:
        """raw_<table> for every contract table, described by `facts` where the sources do not."""
        self.run(facts)
        self.unused_sources()
        # The contract: generator_version and seed are null for imported data.
        self.con.execute("UPDATE raw_dataset_info SET generator_version = NULL, seed = NULL")
        for study_id, given in facts.studies.items():
            for column in ("study_name", "description"):
                if isinstance(given, dict) and isinstance(given.get(column), str):
                    self.con.execute(
                        f"UPDATE raw_studies SET {column} = $value WHERE study_id = $id",
                        {"value": given[column], "id": str(study_id)},
                    )

    # --- helpers ---------------------------------------------------------------------------------

    def find_role(self, role: str, spec: object) -> list[Staged]:
        """The sources of one role of [datasets]: `role = true` (required) or `false` (optional)
        looks for a file, sheet or transport member named like the role; `role = { names = [...],
        required = true }` for other names, or several datasets in one role (ADQS split by
        instrument: ADQSADAS, ADQSCIBC...)."""
        names = [role]
        required = bool(spec)
        if isinstance(spec, dict):
            names = [str(n) for n in spec.get("names", [role])]
            required = bool(spec.get("required", False))
        wanted = {n.lower() for n in names}
        found = [s for s in self.staged if {n.lower() for n in (s.name, *s.aliases)} & wanted]
        self.used |= {s.file for s in found}
        seen = ", ".join(sorted({n for s in self.staged for n in (s.name, *s.aliases)})) or "none"
        for name in wanted:
            same = [s for s in found if name in {n.lower() for n in (s.name, *s.aliases)}]
            if len(same) > 1:
                files = ", ".join(s.file for s in same)
                self.issues.add(
                    Issue.file_level(ERROR, "file:duplicate", files, f"two sources for dataset {name.upper()}: {files}")
                )
            if not same and found and name not in self.unreadable:
                # One of several names the profile lists is absent: that dataset's data would be silently missing.
                self.issues.add(
                    Issue.file_level(
                        ERROR if required else WARNING,
                        "file:missing",
                        name.upper(),
                        f"no dataset named {name.upper()}, listed in [datasets] {role}; the sources hold: {seen}. "
                        "Correct the name in a copy of the profile, or add the file",
                    )
                )
        if not found and required and not wanted & self.unreadable:
            shown = " or ".join(n.upper() for n in names)
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "file:missing",
                    shown,
                    f"no dataset named {shown} (role {role}, required); the sources hold: {seen}. If it has "
                    f'another name, set [datasets] {role} = {{ names = ["..."], required = true }} in a copy of '
                    "the profile",
                )
            )
        return found

    def unused_sources(self) -> None:
        """Sources no role took, when the format finds its sources by role: each a warning and a
        funnel step, never a file that silently reads as "kept"."""
        if not self.used:
            return
        # A contract profile names its sources in [tables] (review 18, F7: the warning named [datasets], which a
        # contract profile does not have).
        contract = self.profile.format == "contract"
        key = "[tables]" if contract else "[datasets]"
        for src in self.staged:
            if src.file not in self.used:
                self.funnel.drop(src.file, f"not read: no role of the profile names it ({key})", src.rows, loss=False)
                fix = (
                    "if it holds rows of a contract table, name it in [tables] of a copy of the profile (e.g. "
                    f'visits = "{src.name}", or a list of names for a table split over sheets)'
                    if contract
                    else "if it holds data for the contract, add its name to a role in [datasets] of a copy of the "
                    "profile"
                )
                self.issues.add(
                    Issue.file_level(
                        WARNING,
                        "file:unused",
                        src.file,
                        f"not imported: no {'table' if contract else 'role'} of the profile names {src.name!r}; {fix}",
                    )
                )

    def find(self, name: str, required: bool, what: str, fix: str = "") -> Staged | None:
        """The source named `name` (a file's stem or a sheet); a required one absent is an error, `fix` saying
        how to name it (a contract profile's [tables])."""
        found = [s for s in self.staged if s.name.lower() == name.lower()]
        self.used |= {s.file for s in found}
        if len(found) > 1:
            files = ", ".join(s.file for s in found)
            self.issues.add(Issue.file_level(ERROR, "file:duplicate", files, f"two sources for {what}: {files}"))
        if not found and required and name.lower() not in self.unreadable:
            seen = ", ".join(sorted({s.name for s in self.staged})) or "none"
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "file:missing",
                    name,
                    f"no file or sheet named {name!r} ({what}); it is required (tables found: {seen}){fix}",
                )
            )
        if found and required and not found[0].rows and what.startswith("table"):
            self.issues.add(
                Issue.file_level(ERROR, "file:no_rows", found[0].file, f"{what} has a header but no rows", 1)
            )
        return found[0] if found else None

    def create(self, table: str, select: dict[str, str], source: str, bind: Bind, extra: str = "") -> None:
        """raw_<table> from `select` (contract column -> text expression) over `source`."""
        columns = contract_columns(table)
        exprs = [f"CAST({select[c]} AS VARCHAR) AS {c}" if c in select else f"NULL::VARCHAR AS {c}" for c in columns]
        exprs += [f"{expr} AS {name}" for name, expr in select.items() if name.startswith("_")]
        self.con.execute(
            f"CREATE OR REPLACE TABLE raw_{table} AS SELECT {', '.join(exprs)} {source} {extra}", bind.params
        )

    def create_empty(self, table: str) -> None:
        cols = ", ".join(f"NULL::VARCHAR AS {c}" for c in contract_columns(table))
        self.con.execute(
            f"CREATE OR REPLACE TABLE raw_{table} AS SELECT {cols}, '' AS _file, 0::BIGINT AS _line LIMIT 0"
        )

    def mapped(
        self, expr: str, column: str, bind: Bind, values: dict[str, str] | None = None, *, nocase: bool = False
    ) -> str:
        """`expr` through the profile's value map for `column`; values not in the map pass unchanged,
        as written, so the contract's checks name them as the source holds them. `nocase` matches the
        map's keys without regard to case (the match only: a value the map lacks keeps its case)."""
        mapping = self.profile.values(column) if values is None else values
        if not mapping:
            return expr
        if nocase:
            mapping = {k.upper(): v for k, v in mapping.items()}
        key = f"upper({expr})" if nocase else expr
        sources, targets = bind(list(mapping)), bind(list(mapping.values()))
        # A code written as a number by pandas or R ("1.0") matches the key "1".
        whole = f"regexp_replace({key}, '^(-?[0-9]+)\\.0+$', '\\1')"
        return (
            f"coalesce(list_extract({targets}, list_position({sources}, {key})), "
            f"list_extract({targets}, list_position({sources}, {whole})), {expr})"
        )

    def add_dataset_info(self, facts: DatasetFacts) -> None:
        b = Bind()
        select = {
            "dataset_name": b(facts.name),
            "synthetic": b(None if facts.synthetic is None else "true" if facts.synthetic else "false"),
            "generator_version": "NULL",
            "seed": "NULL",
            "created_at": "strftime(now()::TIMESTAMP, '%Y-%m-%d %H:%M:%S')",
            "description": b(facts.description),
            "_file": b("(import)"),
            "_line": "NULL::BIGINT",
        }
        self.create("dataset_info", select, "", b)

    def add_studies(self, ids_sql: str, section: dict[str, Any], file: str, bind: Bind | None = None) -> None:
        """One studies row per study id found by `ids_sql` (its values bound in `bind`), described by
        a profile section."""
        b = bind or Bind()
        months = section.get("visit_months", [0])
        select = {
            "study_id": "study_id",
            "study_name": f"coalesce({b(section.get('study_name'))}, study_id)",
            "design": b(section.get("design", "observational")),
            "visit_months": b(str([int(m) for m in months])),
            "description": b(section.get("description", "")),
            "_file": b(file),
            "_line": "NULL::BIGINT",
        }
        self.create("studies", select, f"FROM ({ids_sql}) AS ids", b)

    def check_dates(self, src: Staged, variables: list[str | None]) -> None:
        """Source dates that are not dates: the days computed from them would silently be empty. A
        partial date is refused unless [dates] partial completes it, and then counted as a warning."""
        refs = {v: ref for v in dict.fromkeys(filter(None, variables)) if (ref := src.ref(v)) is not None}
        # A value [csv] missing_values lists is no date to read ($missing: bound in every statement below).
        missing = {"missing": list(self.profile.csv.missing_values) or [""]}
        unread = (
            "FROM {table} WHERE {ref} IS NOT NULL AND pts_date({ref}) IS NULL AND NOT list_contains($missing, "
            "trim({ref}))"
        )
        partials = "(regexp_matches({ref}, '{month}') OR regexp_matches({ref}, '{year}'))"
        samples = {
            v: [
                value
                for (value,) in self.con.execute(
                    f"SELECT DISTINCT {ref} {unread.format(table=src.table, ref=ref)} AND NOT "
                    f"{partials.format(ref=ref, month=_MONTH_ONLY, year=_YEAR_ONLY)} LIMIT 200",
                    missing,
                ).fetchall()
            ]
            for v, ref in refs.items()
        }
        every = [value for values in samples.values() for value in values]  # one file writes its dates one way
        for variable, ref in refs.items():
            b = Bind()
            is_partial = f"(regexp_matches({ref}, '{_MONTH_ONLY}') OR regexp_matches({ref}, '{_YEAR_ONLY}'))"
            example = date_format_example(samples[variable], every)
            self.con.execute(
                f"INSERT INTO issues SELECT 'error', {b('type:' + src.name + '.' + variable)}, _file, _line, '', "
                f"{b(variable)}, {ref}, CASE WHEN {is_partial} THEN {b(PARTIAL_MESSAGE.format(variable=variable))} "
                f"ELSE {b(DATE_MESSAGE.format(variable=variable, example=example))} END "
                f"{unread.format(table=src.table, ref=ref)}",
                b.params | missing,
            )
        self.warn_partial_dates(src, list(refs))

    def warn_partial_dates(self, src: Staged, variables: list[str]) -> None:
        """Each partial date [dates] partial completes ("2022-02" to the first day) is a warning naming the
        variable, in every format (review 16, finding 7: a contract CSV's were completed silently)."""
        partial = str(self.profile.section("dates").get("partial", "refuse"))
        if partial == "refuse":
            return
        for variable in variables:
            if (ref := src.ref(variable)) is None:
                continue
            b = Bind()
            is_partial = f"(regexp_matches({ref}, '{_MONTH_ONLY}') OR regexp_matches({ref}, '{_YEAR_ONLY}'))"
            self.con.execute(
                f"INSERT INTO issues SELECT 'warning', {b('partial:' + src.name + '.' + variable)}, _file, _line, "
                f"'', {b(variable)}, {ref}, {b(f'partial date completed to the {partial} day ([dates] partial)')} "
                f"FROM {src.table} WHERE {ref} IS NOT NULL AND {is_partial}",
                b.params,
            )

    def require_columns(
        self, src: Staged, wanted: Mapping[str, str | None], what: str, section: str | None = None, later: str = ""
    ) -> bool:
        """Every named source column is present; the missing ones are one error, naming the profile
        key of each (`[section] key`) and the columns the source has, and (`later`) which checks wait."""
        missing = [(k, v) for k, v in wanted.items() if v and not src.has(v)]
        if missing:
            names = ", ".join(f"{v} ([{section}] {k})" if section else v for k, v in missing)
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    f"columns:{src.name}",
                    src.file,
                    f"{what} lacks column(s) {names} that the profile maps; if the names differ, set them in a copy "
                    f"of profile {self.profile.name!r} ({what} has: {', '.join(src.columns[:40])})"
                    + (f"; {later}" if later else ""),
                    1,
                )
            )
        return not missing


# Contract columns a mapper left empty because their source column is absent (Mapper.absent).
ABSENT_TABLE = "CREATE TABLE IF NOT EXISTS absent_columns (file VARCHAR, table_name VARCHAR, column_name VARCHAR)"
# What a missing column's error says of the checks it holds back.
LATER = "the values of a missing column are checked once it is named"

DATE_MESSAGE = (
    "{variable} is not a date: ISO 8601 (2021-12-09) is read, and any format listed in [dates] formats of a copy "
    "of the profile ({example})"
)
# strptime formats sources write dates in, tried in this order on the dates not read (day first
# before month first: a month-first file shows itself by a first part above 12).
DATE_FORMATS = (
    "%d%b%Y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%d/%m/%y",
    "%Y%m%d",
)


def date_format_example(values: list[str], together: list[str] | None = None) -> str:
    """The [dates] format that reads every one of `values` (dates not read) and of `together` (the
    other dates of the file, which decide whether the day or the month comes first), as the
    message's example: 'e.g. "%d/%m/%Y" for 01/03/2021', saying so when they could be either way
    round; the DATE9 example when no format reads them."""
    values = [v.strip() for v in values if v and v.strip()]
    every = [v.strip() for v in [*values, *(together or [])] if v and v.strip()]
    for fmt in DATE_FORMATS:
        if values and all(_reads(fmt, v) for v in every):
            example = f'e.g. "{fmt}" for {min(values)}'
            if fmt == "%d/%m/%Y" and all(_reads("%m/%d/%Y", v) for v in every):
                example += ' if the day comes first, "%m/%d/%Y" if the month does'
            return example
    return 'e.g. "%d%b%Y" for 09DEC2021'


def _reads(fmt: str, value: str) -> bool:
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


PARTIAL_MESSAGE = (
    "{variable} is a partial date (no day): the contract needs the day. Complete it in the source, or set [dates] "
    'partial = "first" (or "middle") in a copy of the profile to complete it and count each as a warning'
)


def day_between(start: str, end: str) -> str:
    return f"date_diff('day', pts_date({start}), pts_date({end}))"


PARTIAL_DATES = {"refuse": None, "first": ("-01", "-01-01"), "middle": ("-15", "-07-01")}
_MONTH_ONLY, _YEAR_ONLY = r"^\d{4}-\d{2}$", r"^\d{4}$"


def date_macro(con: duckdb.DuckDBPyConnection, profile: Profile) -> None:
    """`pts_date(text)`: a source date as a DATE. ISO 8601 (with or without a time), then the
    profile's [dates] formats (strptime codes, e.g. "%d%b%Y" for SAS DATE9. text "09DEC2021"),
    then, when [dates] partial is "first" or "middle", a partial ISO date ("2021-03", "2021")
    completed to that day, and with [dates] excel_serial = true an Excel serial day number (44262 is
    2021-03-07, days after 1899-12-30); else NULL, which the mappers' date checks report."""
    section = profile.section("dates")  # checked when the profile was read (profiles.check_dates)
    formats = [str(f) for f in section.get("formats", [])]
    partial = str(section.get("partial", "refuse"))
    parts = [
        "try_cast(x AS DATE)",
        "CASE WHEN regexp_matches(x, '^\\d{4}-\\d{2}-\\d{2}[T ]') THEN try_cast(left(x, 10) AS DATE) END",
    ]
    if formats:
        listed = ", ".join("'" + f + "'" for f in formats)  # checked above: no quote can occur
        parts.append(f"CAST(try_strptime(x, [{listed}]) AS DATE)")
    if section.get("excel_serial") is True:  # a date cell formatted General: Excel's day number (44262)
        parts.append(
            "CASE WHEN regexp_matches(x, '^[0-9]{5}(\\.0+)?$') AND try_cast(x AS DOUBLE) BETWEEN 20000 AND 80000 "
            "THEN DATE '1899-12-30' + CAST(try_cast(x AS DOUBLE) AS INTEGER) END"
        )
    if fill := PARTIAL_DATES[partial]:
        parts.append(
            f"CASE WHEN regexp_matches(x, '{_MONTH_ONLY}') THEN try_cast(x || '{fill[0]}' AS DATE) "
            f"WHEN regexp_matches(x, '{_YEAR_ONLY}') THEN try_cast(x || '{fill[1]}' AS DATE) END"
        )
    con.execute(f"CREATE OR REPLACE MACRO pts_date(x) AS coalesce({', '.join(parts)})")


def _ref(staged: Staged, column: str | None) -> str:
    return (staged.ref(column) if column else None) or "NULL"


@dataclass(frozen=True)
class Format:
    """An import format: its name (its profile's `format` and the built-in profile's name), what
    its sources are (the Import page's help), the files of its example (for the command line the
    page shows), its mapper, and the writer of its example from a contract database."""

    name: str
    help: str
    example_sources: str
    mapper: Callable[..., Mapper]
    write_example: Callable[[duckdb.DuckDBPyConnection, Path, Profile], None]
    column_sections: tuple[str, ...] = ()  # profile tables of `contract column = "source column"` (the assistant)

    @property
    def profile(self) -> Path:
        """The built-in profile, beside the format's module."""
        return Path(__file__).with_name(f"{self.name}.toml")


# --- what every example writer builds on ------------------------------------------------------


def write_sidecar(con: duckdb.DuckDBPyConnection, folder: Path, design: str | None) -> None:
    """The example's dataset.toml: the dataset's name, whether it is synthetic, its studies."""
    name, synthetic, description = con.execute(
        "SELECT dataset_name, synthetic, description FROM dataset_info"
    ).fetchone() or ("", False, "")
    studies = con.execute(
        "SELECT study_id, study_name, description FROM studies WHERE $design IS NULL OR design = $design",
        {"design": design},
    ).fetchall()
    lines = [
        f"name = {_toml(name)}",
        f"synthetic = {'true' if synthetic else 'false'}",
        f"description = {_toml(description)}",
    ]
    for study_id, study_name, study_description in studies:
        lines += [
            "",
            f"[studies.{study_id}]",
            f"study_name = {_toml(study_name)}",
            f"description = {_toml(study_description)}",
        ]
    (folder / "dataset.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml(text: object) -> str:
    return '"' + str(text or "").replace("\\", "\\\\").replace('"', '\\"') + '"'


def day_after(start: date, day: Any) -> date | None:
    return None if pd.isna(day) else start + timedelta(days=int(day))
