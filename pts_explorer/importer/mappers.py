"""Mappers: from staged source tables to one text table per contract table (`raw_<table>`), each row
carrying the file and line it came from. What the contract cannot hold is reported, never guessed.

Values reach SQL as bound parameters; source columns as the staging names c1, c2, ... (readers.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from pts_explorer import validation, vocab
from pts_explorer.importer.issues import ERROR, WARNING, Issue, Issues
from pts_explorer.importer.profiles import Profile
from pts_explorer.importer.readers import Staged

TABLES = vocab.CONTRACT_TABLES


def contract_columns(table: str) -> list[str]:
    """The columns an import fills: every column of the contract table but the generated ones."""
    return [c.name for c in validation.contract().columns[table].values() if not c.generated]


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
    synthetic: bool
    description: str
    studies: dict[str, dict[str, Any]] = field(default_factory=dict)  # study id -> name, description


class Mapper:
    """Shared steps of every profile's mapping."""

    def __init__(self, con: duckdb.DuckDBPyConnection, staged: list[Staged], profile: Profile, issues: Issues):
        self.con = con
        self.staged = [s for s in staged if s.table]
        self.profile = profile
        self.issues = issues

    def run(self, facts: DatasetFacts) -> None:
        raise NotImplementedError

    def map(self, facts: DatasetFacts) -> None:
        """raw_<table> for every contract table, described by `facts` where the sources do not."""
        self.run(facts)
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

    def find(self, name: str, required: bool, what: str) -> Staged | None:
        found = [s for s in self.staged if s.name.lower() == name.lower()]
        if len(found) > 1:
            files = ", ".join(s.file for s in found)
            self.issues.add(Issue.file_level(ERROR, "file:duplicate", files, f"two sources for {what}: {files}"))
        if not found and required:
            seen = ", ".join(sorted({s.name for s in self.staged})) or "none"
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "file:missing",
                    name,
                    f"no file or sheet named {name!r} ({what}); it is required (tables found: {seen})",
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

    def mapped(self, expr: str, column: str, bind: Bind, values: dict[str, str] | None = None) -> str:
        """`expr` through the profile's value map for `column`; values not in the map pass unchanged,
        so the contract's checks name them."""
        mapping = self.profile.values(column) if values is None else values
        if not mapping:
            return expr
        sources, targets = bind(list(mapping)), bind(list(mapping.values()))
        return f"coalesce(list_extract({targets}, list_position({sources}, {expr})), {expr})"

    def add_dataset_info(self, facts: DatasetFacts) -> None:
        b = Bind()
        select = {
            "dataset_name": b(facts.name),
            "synthetic": b("true" if facts.synthetic else "false"),
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
        """Source dates that are not dates: the days computed from them would silently be empty."""
        for variable in filter(None, variables):
            ref = src.ref(variable)
            if ref is None:
                continue
            b = Bind()
            self.con.execute(
                f"INSERT INTO issues SELECT 'error', {b('type:' + src.name + '.' + variable)}, _file, _line, '', "
                f"{b(variable)}, {ref}, {b(f'{variable} is not a date (YYYY-MM-DD)')} FROM {src.table} "
                f"WHERE {ref} IS NOT NULL AND try_cast({ref} AS DATE) IS NULL",
                b.params,
            )

    def require_columns(self, src: Staged, wanted: Mapping[str, str | None], what: str) -> bool:
        """Every named source column is present; the missing ones are one error."""
        missing = [v for v in wanted.values() if v and not src.has(v)]
        if missing:
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    f"columns:{src.name}",
                    src.file,
                    f"{what} lacks column(s) {', '.join(missing)} that the profile maps "
                    f"(edit a copy of profile {self.profile.name!r} if the names differ)",
                    1,
                )
            )
        return not missing


def day_between(start: str, end: str) -> str:
    return f"date_diff('day', try_cast({start} AS DATE), try_cast({end} AS DATE))"


# --- contract ----------------------------------------------------------------------------------


class ContractMapper(Mapper):
    """One source per table, contract column names; generated columns, if given, are compared."""

    def run(self, facts: DatasetFacts) -> None:
        names = self.profile.section("tables")
        for table in TABLES:
            required = table not in ("dataset_info", "procedures", "events")  # a cohort may have neither
            src = self.find(str(names.get(table, table)), required, f"table {table}")
            if src is None:
                if table == "dataset_info":
                    self.add_dataset_info(facts)
                else:
                    self.create_empty(table)
                if table in ("procedures", "events"):
                    self.issues.add(
                        Issue.file_level(WARNING, "file:missing", table, f"no {table} file: the {table} table is empty")
                    )
                continue
            self._map_table(table, src)

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
                    f"`{table}` lacks required column(s): {', '.join(missing_required)}",
                    1,
                )
            )
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
        select = {c: ref for c in columns if (ref := src.ref(c))}
        select |= {f"_given_{c}": ref for c in generated if (ref := src.ref(c))}
        select |= {"_file": "_file", "_line": "_line"}
        self.create(table, select, f"FROM {src.table}", Bind())


# --- CDISC ADaM ----------------------------------------------------------------------------------


class AdamMapper(Mapper):
    """ADSL -> studies, patients, procedures and deaths; ADQS/ADVS -> visits; ADAE -> events."""

    ADSL_COLUMNS = (
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
        "lesion_length_mm",
        "ceap_c",
        "last_contact_date",
        "death_date",
        "procedure_date",
        "technical_success",
        "stents_placed",
        "max_stent_diameter_mm",
        "below_inguinal_ligament",
    )

    def run(self, facts: DatasetFacts) -> None:
        datasets = self.profile.section("datasets")
        found = {name: self.find(name, bool(need), f"ADaM dataset {name.upper()}") for name, need in datasets.items()}
        adsl = found.get("adsl")
        self.add_dataset_info(facts)
        self.v = {k: self.profile.variable("adsl", k) for k in self.ADSL_COLUMNS}
        if adsl is None or not self.require_columns(adsl, self.v, "ADSL"):
            for table in TABLES[1:]:
                self.create_empty(table)
            return
        self.check_dates(
            adsl, [self.v[k] for k in ("enrolled_on", "last_contact_date", "death_date", "procedure_date")]
        )
        study_ids = f"SELECT DISTINCT {self.adsl(adsl, 'study_id')} AS study_id FROM {adsl.table}"
        self.add_studies(study_ids, self.profile.section("study"), adsl.file)
        self._patients(adsl)
        self._procedures(adsl)
        self._visits(adsl, [s for s in (found.get("adqs"), found.get("advs")) if s is not None])
        self._events(adsl, found.get("adae"))
        if (adtte := found.get("adtte")) is not None:
            self._adtte(adtte)

    def adsl(self, adsl: Staged, column: str) -> str:
        """The ADSL column the profile maps `column` to, or NULL when it maps none."""
        return _ref(adsl, self.v[column])

    def _patients(self, adsl: Staged) -> None:
        b = Bind()
        plain = (
            "patient_id",
            "study_id",
            "center_id",
            "age_years",
            "bmi",
            "months_since_dvt",
            "stenosis_pct",
            "lesion_length_mm",
            "ceap_c",
            "enrolled_on",
        )
        select = {c: self.adsl(adsl, c) for c in plain}
        for column in ("arm", "sex", "limb_side", "obstruction_site"):
            values = _upper_keys(self.profile.values(column))
            select[column] = self.mapped(f"upper({self.adsl(adsl, column)})", column, b, values)
        select["last_contact_day"] = day_between(self.adsl(adsl, "enrolled_on"), self.adsl(adsl, "last_contact_date"))
        select |= {"_file": "_file", "_line": "_line"}
        self.create("patients", select, f"FROM {adsl.table}", b)

    def _procedures(self, adsl: Staged) -> None:
        if not self.v["procedure_date"]:
            self.create_empty("procedures")
            return
        b = Bind()
        flags = _upper_keys(self.profile.values("flag"))
        select = {
            "patient_id": self.adsl(adsl, "patient_id"),
            "procedure_day": day_between(self.adsl(adsl, "enrolled_on"), self.adsl(adsl, "procedure_date")),
            "stents_placed": self.adsl(adsl, "stents_placed"),
            "max_stent_diameter_mm": self.adsl(adsl, "max_stent_diameter_mm"),
            "_file": "_file",
            "_line": "_line",
        }
        for column in ("technical_success", "below_inguinal_ligament"):
            select[column] = self.mapped(f"upper({self.adsl(adsl, column)})", "flag", b, flags)
        source = f"FROM {adsl.table} WHERE {self.adsl(adsl, 'procedure_date')} IS NOT NULL"
        self.create("procedures", select, source, b)

    def _visits(self, adsl: Staged, records: list[Staged]) -> None:
        codes = {k: str(c) for k, c in self.profile.section("paramcd").items()}
        visit_map = {str(k).upper(): int(m) for k, m in self.profile.section("visits").get("AVISIT", {}).items()}
        parts = [p for src in records if (p := self._bds_records(src, visit_map))]
        if not parts:
            self.create_empty("visits")
            return
        union = " UNION ALL BY NAME ".join(sql for sql, _ in parts)
        self.con.execute(f"CREATE OR REPLACE TABLE bds AS {union}", {k: v for _, p in parts for k, v in p.items()})
        self._bds_problems(codes)
        b = Bind()
        enrolled = self.adsl(adsl, "enrolled_on")
        study_day = "try_cast(bds.ady AS DOUBLE)"
        select: dict[str, str] = {
            "patient_id": "bds.subject",
            "visit_month": "bds.month",
            "visit_day": f"coalesce(min({day_between(enrolled, 'bds.adt')}), "
            f"min(CASE WHEN {study_day} >= 1 THEN {study_day} - 1 ELSE {study_day} END))",
        }
        for column, code in codes.items():
            if column == "villalta_total":
                select["_given_villalta_total"] = f"min(bds.aval) FILTER (WHERE bds.paramcd = {b(code)})"
            elif column == "compression_use":
                picked = f"upper(min(bds.avalc) FILTER (WHERE bds.paramcd = {b(code)}))"
                select[column] = self.mapped(picked, column, b, _upper_keys(self.profile.values(column)))
            else:
                select[column] = f"min(bds.aval) FILTER (WHERE bds.paramcd = {b(code)})"
        select |= {"_file": "min(bds._file)", "_line": "min(bds._line)"}
        subject = self.adsl(adsl, "patient_id")
        source = f"FROM bds LEFT JOIN {adsl.table} ON {subject} = bds.subject WHERE bds.month IS NOT NULL"
        self.create("visits", select, source, b, "GROUP BY bds.subject, bds.month")

    def _bds_records(self, src: Staged, visit_map: dict[str, int]) -> tuple[str, dict[str, Any]] | None:
        """The analysis records of one BDS dataset (ANL01FL = Y, no derived DTYPE), with their month."""
        needed: dict[str, str | None] = {c: c for c in ("USUBJID", "PARAMCD", "AVISIT", "AVAL")}
        if not self.require_columns(src, needed, src.name.upper()):
            return None
        keep = []
        if src.has("ANL01FL"):
            keep.append(f"coalesce({_ref(src, 'ANL01FL')}, '') = 'Y'")
        if src.has("DTYPE"):
            keep.append(f"{_ref(src, 'DTYPE')} IS NULL")
        where = f"WHERE {' AND '.join(keep)}" if keep else ""
        avisit = _ref(src, "AVISIT")
        prefix = src.table  # the parameters of several datasets meet in one statement
        month = f"list_extract(${prefix}_months, list_position(${prefix}_visits, upper({avisit})))"
        sql = (
            f"SELECT {_ref(src, 'USUBJID')} AS subject, {_ref(src, 'PARAMCD')} AS paramcd, {avisit} AS avisit, "
            f"{month} AS month, {_ref(src, 'AVAL')} AS aval, {_ref(src, 'AVALC')} AS avalc, {_ref(src, 'ADT')} AS adt, "
            f"{_ref(src, 'ADY')} AS ady, _file, _line FROM {src.table} {where}"
        )
        return sql, {f"{prefix}_months": list(visit_map.values()), f"{prefix}_visits": list(visit_map)}

    def _bds_problems(self, codes: dict[str, str]) -> None:
        """Unscheduled records (dropped), conflicting duplicates, and items the contract needs but
        the data lack (a Villalta total alone cannot be imported)."""
        self.con.execute(
            "INSERT INTO issues SELECT 'warning', 'adam:unscheduled', _file, _line, subject, 'AVISIT', avisit, "
            "'visit not in the profile''s AVISIT map (unscheduled or unwindowed): record not imported' "
            "FROM bds WHERE month IS NULL"
        )
        self.con.execute(
            "INSERT INTO issues SELECT 'error', 'adam:duplicate', _file, _line, subject || ' / ' || avisit, "
            "'PARAMCD', paramcd, 'more than one analysis value for this subject, visit and parameter' FROM bds "
            "WHERE month IS NOT NULL QUALIFY count(DISTINCT coalesce(aval, avalc)) OVER "
            "(PARTITION BY subject, month, paramcd) > 1"
        )
        present = {r[0] for r in self.con.execute("SELECT DISTINCT paramcd FROM bds").fetchall()}
        items = {c: codes[c] for c in (*_villalta_items(), "ulcer_present") if c in codes}
        absent = [f"{code} ({column})" for column, code in items.items() if code not in present]
        if absent:
            only_total = codes.get("villalta_total") in present and len(absent) >= len(_villalta_items())
            message = (
                "the records hold a Villalta total but not the 11 items; the contract needs every item "
                "(a total alone cannot be split into items)"
                if only_total
                else f"parameter(s) {', '.join(absent)} not found; check [paramcd] in a copy of the profile "
                f"(PARAMCDs found: {', '.join(sorted(p for p in present if p)[:15])})"
            )
            self.issues.add(Issue.file_level(ERROR, "adam:items", "ADQS", message))

    def _events(self, adsl: Staged, adae: Staged | None) -> None:
        b = Bind()
        enrolled = self.adsl(adsl, "enrolled_on")
        parts = []
        if self.v["death_date"]:
            death = self.adsl(adsl, "death_date")
            parts.append(
                f"SELECT {self.adsl(adsl, 'patient_id')} AS patient_id, {day_between(enrolled, death)} AS event_day, "
                f"'death' AS event_type, 'true' AS serious, _file, _line FROM {adsl.table} WHERE {death} IS NOT NULL"
            )
        ae = {k: str(v) for k, v in self.profile.section("ae").items()}
        if adae is not None and self.require_columns(adae, {**ae, "id": "USUBJID"}, "ADAE"):
            term, start, serious = _ref(adae, ae["term"]), _ref(adae, ae["start_date"]), _ref(adae, ae["serious"])
            subject = _ref(adae, "USUBJID")
            self.check_dates(adae, [ae["start_date"]])
            terms = _upper_keys(self.profile.values("event_type"))
            self.con.execute(
                f"INSERT INTO issues SELECT 'warning', 'adam:ae_term', _file, _line, {subject}, $term, {term}, "
                "'term not in the profile''s event map: not imported (the contract holds the listed clinical "
                f"events only)' FROM {adae.table} WHERE NOT list_contains($terms, upper({term}))",
                {"term": ae["term"], "terms": list(terms)},
            )
            flags = _upper_keys(self.profile.values("flag"))
            parts.append(
                f"SELECT {subject} AS patient_id, {day_between(enrolled, start)} AS event_day, "
                f"{self.mapped(f'upper({term})', 'event_type', b, terms)} AS event_type, "
                f"{self.mapped(f'upper({serious})', 'flag', b, flags)} AS serious, {adae.table}._file, "
                f"{adae.table}._line FROM {adae.table} JOIN {adsl.table} ON {self.adsl(adsl, 'patient_id')} = "
                f"{subject} WHERE list_contains({b(list(terms))}, upper({term}))"
            )
        if not parts:
            self.create_empty("events")
            return
        select = {c: c for c in ("patient_id", "event_day", "event_type", "serious", "_file", "_line")}
        self.create("events", select, f"FROM ({' UNION ALL '.join(parts)}) AS e", b)

    def _adtte(self, adtte: Staged) -> None:
        """ADTTE kept as given, in the CDISC names, with the app's endpoint each PARAMCD stands for
        ([adtte] of the profile), for a reconciliation with the app's own derivation."""
        names = ("USUBJID", "PARAMCD", "PARAM", "AVAL", "CNSR", "STARTDT", "ADT", "EVNTDESC", "CNSDTDSC")
        cols = ", ".join(f"{_ref(adtte, n)} AS {n.lower()}" for n in names)
        endpoints = {str(k): str(v) for k, v in self.profile.section("adtte").items()}
        self.con.execute(
            f"CREATE OR REPLACE TABLE extra_sponsor_adtte AS SELECT {cols}, list_extract($endpoints, "
            f"list_position($codes, {_ref(adtte, 'PARAMCD')})) AS endpoint FROM {adtte.table}",
            {"endpoints": list(endpoints.values()), "codes": list(endpoints)},
        )


def _villalta_items() -> tuple[str, ...]:
    from pts_explorer.vocab import VILLALTA_ITEMS

    return VILLALTA_ITEMS


def _upper_keys(mapping: dict[str, str]) -> dict[str, str]:
    return {k.upper(): v for k, v in mapping.items()}


# --- REDCap --------------------------------------------------------------------------------------

DICTIONARY_FIRST_COLUMN = "Variable / Field Name"
CODED_TYPES = ("radio", "dropdown", "yesno", "truefalse", "checkbox")


class RedcapMapper(Mapper):
    """A flat export of raw values plus its data dictionary."""

    def run(self, facts: DatasetFacts) -> None:
        self.add_dataset_info(facts)
        fields = {k: self.profile.variable("fields", k) for k in self.profile.section("fields")}
        export = next((s for s in self.staged if s.has("redcap_event_name")), None)
        dictionary = next((s for s in self.staged if s.columns and s.columns[0] == DICTIONARY_FIRST_COLUMN), None)
        if export is None:
            self.issues.add(
                Issue.file_level(
                    ERROR, "redcap:export", "(sources)", "no REDCap flat export (a CSV with redcap_event_name) found"
                )
            )
        if dictionary is None:
            checkbox = [c for c in (export.columns if export else []) if "___" in c]
            shown = f"; its checkbox columns ({', '.join(checkbox[:4])}) need it" if checkbox else ""
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:dictionary",
                    "(sources)",
                    f"the project's data dictionary CSV is required to decode coded fields{shown}",
                )
            )
        if export is None or dictionary is None or not self.require_columns(export, fields, export.file):
            for table in TABLES[1:]:
                self.create_empty(table)
            return
        self.coded = self._coded_fields(dictionary)
        self._identifiers(dictionary, export)
        self._check_raw(export, fields)
        self._map(export, fields)

    def _coded_fields(self, dictionary: Staged) -> dict[str, dict[str, str]]:
        """Field -> {raw code: label} for every coded field of the dictionary."""
        name, kind = dictionary.ref(DICTIONARY_FIRST_COLUMN), dictionary.ref("Field Type")
        choices = dictionary.ref("Choices, Calculations, OR Slider Labels")
        if not (name and kind):
            return {}
        rows = self.con.execute(f"SELECT {name}, lower({kind}), {choices or 'NULL'} FROM {dictionary.table}").fetchall()
        coded: dict[str, dict[str, str]] = {}
        for variable, field_type, text in rows:
            if field_type == "yesno":
                coded[variable] = {"1": "Yes", "0": "No"}
            elif field_type == "truefalse":
                coded[variable] = {"1": "True", "0": "False"}
            elif field_type in CODED_TYPES and text:
                coded[variable] = _choices(text)
        return coded

    def _identifiers(self, dictionary: Staged, export: Staged) -> None:
        flag, name = dictionary.ref("Identifier?"), dictionary.ref(DICTIONARY_FIRST_COLUMN)
        if not flag:
            return
        query = f"SELECT {name} FROM {dictionary.table} WHERE lower({flag}) = 'y'"
        marked = {r[0] for r in self.con.execute(query).fetchall()}
        for column in export.columns:
            if column in marked and column.lower() not in self.profile.allow_columns:
                self.issues.add(
                    Issue.file_level(
                        ERROR,
                        "privacy:identifier",
                        export.file,
                        f"column {column!r} is marked as an identifier in the data dictionary: remove it from the "
                        "export, or allow it in [privacy] allow_columns of a copy of the profile",
                        1,
                    )
                )

    def _check_raw(self, export: Staged, fields: dict[str, str | None]) -> None:
        """A label export where raw codes were expected: decoding would turn every value into an error."""
        for variable in filter(None, fields.values()):
            codes = self.coded.get(variable)
            ref = export.ref(variable)
            if not codes or ref is None:
                continue
            b = Bind()
            self.con.execute(
                f"INSERT INTO issues SELECT 'error', 'redcap:labels', _file, _line, {export.ref('record_id')}, "
                f"{b(variable)}, {ref}, {b('a label where the raw code was expected: export the records as raw data')} "
                f"FROM {export.table} WHERE list_contains({b(list(codes.values()))}, {ref}) AND NOT "
                f"list_contains({b(list(codes))}, {ref})",
                b.params,
            )

    def _map(self, export: Staged, f: dict[str, str | None]) -> None:
        events = {str(k): int(m) for k, m in self.profile.section("events").items()}
        study = self.profile.section("study")
        b = Bind()
        event, repeat = export.ref("redcap_event_name"), export.ref("redcap_repeat_instrument")
        self.con.execute(
            f"CREATE OR REPLACE TABLE rc AS SELECT *, list_extract({b(list(events.values()))}, "
            f"list_position({b(list(events))}, {event})) AS month, {repeat or 'NULL'} IS NULL AS plain "
            f"FROM {export.table}",
            b.params,
        )
        rc = replace(export, table="rc")
        self.con.execute(
            f"INSERT INTO issues SELECT 'warning', 'redcap:event', _file, _line, {rc.ref(f['patient_id'] or '')}, "
            f"'redcap_event_name', {rc.ref('redcap_event_name')}, 'event not in the profile''s [events] map: row "
            "not imported' FROM rc WHERE month IS NULL AND plain"
        )
        b = Bind()
        study_id = str(study.get("study_id", "REGISTRY"))
        self.add_studies(f"SELECT {b(study_id)} AS study_id", study, export.file, b)
        self.con.execute(
            f"CREATE OR REPLACE TABLE baseline AS SELECT {_ref(rc, f['patient_id'])} AS id, "
            f"{_ref(rc, f.get('enrolled_on'))} AS enrolled_on FROM rc WHERE month = 0 AND plain"
        )
        self._patients(rc, f, study_id)
        self._visits(rc, f)
        self._procedures(rc, f)
        self._events(rc, f)

    def decoded(self, rc: Staged, field: str | None, column: str, b: Bind) -> str:
        """A coded field's raw code as its contract value: code -> dictionary label -> value map."""
        ref = _ref(rc, field)
        codes = self.coded.get(field or "")
        if ref == "NULL" or not codes:
            return ref
        if set(codes) <= {"0", "1"}:
            return ref  # yes/no and true/false fields: 1/0 read as booleans
        label = f"coalesce(list_extract({b(list(codes.values()))}, list_position({b(list(codes))}, {ref})), {ref})"
        return self.mapped(label, column, b)

    def _patients(self, rc: Staged, f: dict[str, str | None], study_id: str) -> None:
        b = Bind()
        coded = (
            "arm",
            "age_years",
            "sex",
            "bmi",
            "limb_side",
            "months_since_dvt",
            "obstruction_site",
            "stenosis_pct",
            "lesion_length_mm",
            "ceap_c",
        )
        select = {c: self.decoded(rc, f.get(c), c, b) for c in coded}
        select |= {
            "patient_id": _ref(rc, f["patient_id"]),
            "study_id": b(study_id),
            "center_id": _ref(rc, "redcap_data_access_group"),
            "enrolled_on": _ref(rc, f.get("enrolled_on")),
            "last_contact_day": day_between(_ref(rc, f.get("enrolled_on")), _ref(rc, f.get("last_contact_date"))),
            "_file": "_file",
            "_line": "_line",
        }
        self.create("patients", select, "FROM rc WHERE month = 0 AND plain", b)

    def _visits(self, rc: Staged, f: dict[str, str | None]) -> None:
        b = Bind()
        select = {c: self.decoded(rc, f.get(c), c, b) for c in contract_columns("visits") if c in f}
        select |= {
            "patient_id": _ref(rc, f["patient_id"]),
            "visit_month": "month",
            "visit_day": day_between("baseline.enrolled_on", _ref(rc, f.get("visit_date"))),
            "_file": "_file",
            "_line": "_line",
        }
        source = (
            f"FROM rc LEFT JOIN baseline ON baseline.id = {_ref(rc, f['patient_id'])} WHERE month IS NOT NULL "
            f"AND plain AND {_ref(rc, f.get('visit_date'))} IS NOT NULL"
        )
        self.create("visits", select, source, b)

    def _procedures(self, rc: Staged, f: dict[str, str | None]) -> None:
        b = Bind()
        columns = ("technical_success", "stents_placed", "max_stent_diameter_mm", "below_inguinal_ligament")
        select = {c: self.decoded(rc, f.get(c), c, b) for c in columns}
        select |= {
            "patient_id": _ref(rc, f["patient_id"]),
            "procedure_day": day_between(_ref(rc, f.get("enrolled_on")), _ref(rc, f.get("procedure_date"))),
            "_file": "_file",
            "_line": "_line",
        }
        source = f"FROM rc WHERE month = 0 AND plain AND {_ref(rc, f.get('procedure_date'))} IS NOT NULL"
        self.create("procedures", select, source, b)

    def _events(self, rc: Staged, f: dict[str, str | None]) -> None:
        ae = self.profile.section("adverse_events")
        b = Bind()
        rid = _ref(rc, f["patient_id"])
        deaths = (
            f"SELECT {rid} AS patient_id, {day_between(_ref(rc, f.get('enrolled_on')), _ref(rc, f.get('death_date')))} "
            f"AS event_day, 'death' AS event_type, 'true' AS serious, _file, _line FROM rc WHERE month = 0 AND plain "
            f"AND {_ref(rc, f.get('death_date'))} IS NOT NULL"
        )
        events = (
            f"SELECT {rid} AS patient_id, {day_between('baseline.enrolled_on', _ref(rc, ae.get('event_date')))} "
            f"AS event_day, {self.decoded(rc, ae.get('event_type'), 'event_type', b)} AS event_type, "
            f"{self.decoded(rc, ae.get('serious'), 'serious', b)} AS serious, _file, _line FROM rc LEFT JOIN "
            f"baseline ON baseline.id = {rid} WHERE NOT plain AND {_ref(rc, 'redcap_repeat_instrument')} = "
            f"{b(str(ae.get('instrument', 'adverse_events')))}"
        )
        select = {c: c for c in ("patient_id", "event_day", "event_type", "serious", "_file", "_line")}
        self.create("events", select, f"FROM ({deaths} UNION ALL {events}) AS e", b)


def _ref(staged: Staged, column: str | None) -> str:
    return (staged.ref(column) if column else None) or "NULL"


def _choices(text: str) -> dict[str, str]:
    """REDCap choices '1, Stent | 2, Medical' as {code: label}."""
    out = {}
    for part in next(csv.reader(io.StringIO(text), delimiter="|"), []):
        code, _, label = part.strip().partition(",")
        if code.strip():
            out[code.strip()] = label.strip()
    return out


MAPPERS: dict[str, Callable[..., Mapper]] = {"contract": ContractMapper, "adam": AdamMapper, "redcap": RedcapMapper}
