"""The CDISC ADaM format: ADSL, ADQS (and/or ADVS), ADAE and optional ADTTE onto the contract, its
help text, and its example (the demo's randomized trial as SAS transport files). Its built-in
profile is adam.toml beside this module."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pts_explorer import validation, vocab
from pts_explorer.importer.formats.base import (
    LATER,
    TABLES,
    Bind,
    DatasetFacts,
    Format,
    Mapper,
    _ref,
    contract_columns,
    day_after,
    day_between,
    filled_by,
    procedure_details,
    procedure_rule,
    source_columns,
    write_sidecar,
)
from pts_explorer.importer.issues import ERROR, WARNING, Issue, counted, first_five
from pts_explorer.importer.profiles import Profile, identifier, month_of
from pts_explorer.importer.readers import Staged

BDS_FLAGS = {"baseline_flag": "ABLFL", "analysis_flag": "ANL01FL", "derived": "DTYPE"}  # [bds] defaults
POPULATION_STEP = "outside the population: [population]"
DERIVED_STEP = "derived record (DTYPE LOCF, WOCF...)"
DERIVED_ONLY_STEP = "derived record, the only one flagged for analysis at its visit (DTYPE AVERAGE...)"
# Datasets of events: role -> (profile section of its variables, value map of its terms, its name).
EVENT_SOURCES = {"adae": ("ae", "event_type", "ADAE"), "adpr": ("pr", "pr_event", "ADPR")}
# [adtte] key that is no PARAMCD: the CNSR value that means an event (0, CDISC; 1, a sponsor coding it the other way).
CNSR_EVENT = "cnsr_event"
# section -> the keys an adam profile may set in it (None: any key, checked where it is read: [adtte]'s PARAMCDs); any
# other section or key refuses the profile, naming it (profiles.check_keys; review 18, F3: a misspelt [populaton]
# or `requires =` was silently ignored and imported a subject outside the ITT population).
VISIT_KEYS = (*(c for c in contract_columns("visits") if c not in ("patient_id", "visit_month", "visit_day")),)
PROFILE_KEYS: dict[str, tuple[str, ...] | None] = {
    "sas": ("encoding",),
    "datasets": ("adsl", "adqs", "advs", "adae", "adpr", "adtte"),
    "population": ("require", "exclude_arms"),
    "study": ("design", "visit_months", "description", "study_name"),
    "dates": ("formats", "partial", "excel_serial"),
    "adsl": (
        *source_columns("patients"),
        "arm_actual",
        "dvt_date",
        "death_date",
        *source_columns("procedures", but=("patient_id",)),
    ),
    "values": (
        *(c for c in contract_columns("patients") if c != "patient_id"),
        *VISIT_KEYS,
        "flag",
        "serious",
        "event_type",
        "pr_event",
    ),
    "bds": (*BDS_FLAGS, "early_baseline", "avalc_as_aval"),
    "visits": ("AVISIT", "AVISITN"),
    "paramcd": (*VISIT_KEYS, "villalta_total"),
    "ae": ("term", "start_date", "serious"),
    "pr": ("term", "start_date"),
    "derive": ("ulcer_healed",),
    "adtte": None,
}


def imports_procedure(profile: Profile | None, columns: list[str] | None = None) -> bool:
    """Whether the index procedure is imported: [adsl] procedure_date names a variable (and, given
    ADSL's columns, ADSL has it). Without a profile it is not known: False (the keys the contract
    requires whatever the profile)."""
    if profile is None:
        return False
    name = profile.variable("adsl", "procedure_date")
    if not name:
        return False
    return columns is None or name.upper() in {c.upper() for c in columns}


def required_adsl_keys(profile: Profile | None = None, columns: list[str] | None = None) -> set[str]:
    """The [adsl] keys whose variable ADSL must have: the contract's required patient columns, the
    reference date and the last contact date, and, when the index procedure is imported
    (imports_procedure: pass the profile and ADSL's columns), the procedure details the contract requires
    on every procedure row (a missing one is an error; any other key's is a warning, its column imported
    empty). The importer and the mapping assistant both use it."""
    keys = {c for c in contract_columns("patients") if _required("patients", c)} | {"enrolled_on", "last_contact_date"}
    return keys | set(procedure_details()) if imports_procedure(profile, columns) else keys


class AdamMapper(Mapper):
    """ADSL -> studies, patients, procedures and deaths; ADQS/ADVS -> visits; ADAE -> events."""

    # ADSL holds the patients' and the procedure's columns (dates where the contract has days), and
    # the death date the events table is given.
    ADSL_COLUMNS = (*source_columns("patients"), "death_date", *source_columns("procedures", but=("patient_id",)))

    def run(self, facts: DatasetFacts) -> None:
        found = {role: self.find_role(role, spec) for role, spec in self.profile.section("datasets").items()}
        adsl = next(iter(found.get("adsl") or []), None)
        self.add_dataset_info(facts)
        self.v = {k: self.profile.variable("adsl", k) for k in self.ADSL_COLUMNS}
        if adsl is None:
            for table in TABLES[1:]:
                self.create_empty(table)
            return
        # Every dataset is checked even when ADSL lacks columns: a missing column maps to empty.
        self.require_adsl_columns(adsl)
        dates = ("enrolled_on", "last_contact_date", "death_date", "procedure_date")
        self.check_dates(adsl, [*(self.v[k] for k in dates), self.profile.variable("adsl", "dvt_date")])
        adsl = self._population(adsl)
        study_ids = f"SELECT DISTINCT {self.adsl(adsl, 'study_id')} AS study_id FROM {adsl.table}"
        self.add_studies(study_ids, self.profile.section("study"), adsl.file)
        self._patients(adsl)
        self._procedures(adsl)
        self._visits(adsl, [s for role in ("adqs", "advs") for s in found.get(role) or []])
        self._events(adsl, [(src, EVENT_SOURCES[role]) for role in EVENT_SOURCES for src in found.get(role) or []])
        self._as_treated(adsl)
        if adtte := found.get("adtte"):
            self._adtte(adtte[0])

    def require_adsl_columns(self, adsl: Staged) -> None:
        """ADSL variables the profile maps but the file lacks: an error for a column the contract
        requires, a warning (imported empty) for an optional one; each names the profile key."""
        required = required_adsl_keys(self.profile, adsl.columns)
        details = set(procedure_details()) & required  # required only because the procedure is imported
        missing = {c: v for c, v in self.v.items() if v and not adsl.has(v)}
        # A procedure detail left out ("") while the procedure is imported: its column would be empty in every
        # procedure row, which the contract refuses; said here, with the key and the way out.
        unset = {c: "" for c in details if not self.v[c]}
        for column in [*missing, *unset]:  # the other datasets are checked; the empty columns are this error's
            self.absent(adsl.file, filled_by(column))
        parts = []
        if names := [f"{v} ([adsl] {c})" for c, v in missing.items() if c in details]:
            parts.append(f"ADSL lacks {', '.join(names)}")
        if unset:
            parts.append(f'the profile leaves out {", ".join(f"[adsl] {c}" for c in sorted(unset))} ("")')
        if parts:
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "columns:adsl_procedure",
                    adsl.file,
                    f"{'; '.join(parts)}: "
                    + procedure_rule(
                        True,
                        f'[adsl] procedure_date = "{self.v["procedure_date"]}" names a variable of ADSL',
                        f"in a copy of profile {self.profile.name!r}, set each key to the ADSL variable that holds "
                        'it, or set procedure_date = ""',
                    )
                    + f" (ADSL has: {', '.join(adsl.columns[:40])}); ADSL and the other datasets are checked without "
                    f"it; {LATER}",
                    1,
                )
            )
        missing = {c: v for c, v in missing.items() if c not in details}
        for needed, severity in ((True, ERROR), (False, WARNING)):
            names = [f"{v} ([adsl] {c})" for c, v in missing.items() if (c in required) == needed]
            if not names:
                continue
            what = "required" if needed else "optional: imported empty"
            fix = "set each key to the ADSL variable that holds it" + ("" if needed else ', or to "" to leave it out')
            later = f"; ADSL and the other datasets are checked without it; {LATER}" if needed else ""
            if not needed:  # the procedure's date or details, with no procedure imported: the one rule, said
                later = self._no_procedure(adsl, [c for c, v in missing.items() if c not in required])
            self.issues.add(
                Issue.file_level(
                    severity,
                    "columns:adsl" if needed else "columns:adsl_optional",
                    adsl.file,
                    f"ADSL lacks {', '.join(names)} ({what}); in a copy of profile {self.profile.name!r}, {fix} "
                    f"(ADSL has: {', '.join(adsl.columns[:40])}){later}",
                    1,
                )
            )

    def _no_procedure(self, adsl: Staged, optional: list[str]) -> str:
        """The optional variables' warning, when it lists the procedure's date or details and no procedure
        is imported: procedure_rule, said of the details (as REDCap's and SDTM's checks say it)."""
        keys = ("procedure_date", *procedure_details())
        listed = [k for k in keys if k in optional]
        if not listed or imports_procedure(self.profile, adsl.columns):
            return ""
        details = [k for k in listed if k != "procedure_date"] or list(procedure_details())
        date = self.v["procedure_date"]
        how = f'[adsl] procedure_date = "{date}" names no variable of ADSL' if date else '[adsl] procedure_date = ""'
        return f"; {', '.join(details)}: {procedure_rule(False, how, '')}"

    def _population(self, adsl: Staged) -> Staged:
        """ADSL restricted to the analysis population: [population] require (ADSL variable = value
        or list of values, e.g. ITTFL = "Y") and exclude_arms (arm values left out, e.g. a third
        arm). The records of the subjects left out are set aside in every dataset, counted in the
        funnel."""
        section = self.profile.section("population")
        require = section.get("require", {}) if isinstance(section.get("require"), dict) else {}
        b = Bind()
        keep = ["TRUE"]
        for variable, wanted in require.items():
            name = identifier(variable, f"[population] require {variable}")
            values = [str(v).upper() for v in (wanted if isinstance(wanted, list) else [wanted])]
            if not adsl.has(name):
                self.issues.add(
                    Issue.file_level(
                        ERROR,
                        "population:column",
                        adsl.file,
                        f"[population] require names {name}, which ADSL lacks (ADSL has: "
                        f"{', '.join(adsl.columns[:40])}); fix the key in a copy of the profile",
                        1,
                    )
                )
                continue
            keep.append(f"list_contains({b(values)}, upper(coalesce({_ref(adsl, name)}, '')))")
        excluded = [str(a).upper() for a in section.get("exclude_arms", [])]
        arm = f"upper(coalesce({self.adsl(adsl, 'arm')}, ''))"
        self.con.execute(
            f"CREATE OR REPLACE TABLE adsl_population AS SELECT *, ({' AND '.join(keep)}) AS _in_population, "
            f"list_contains({b(excluded)}, {arm}) AS _arm_left_out FROM {adsl.table}",
            b.params,
        )
        self.funnel.drop_where("adsl_population", "_file", POPULATION_STEP, "NOT _in_population", loss=False)
        self.funnel.drop_where(
            "adsl_population",
            "_file",
            "arm left out: [population] exclude_arms",
            "_in_population AND _arm_left_out",
            loss=False,
        )
        subject = self.adsl(adsl, "patient_id").replace(adsl.table + ".", "")
        self.con.execute(
            f"CREATE OR REPLACE TABLE adsl_left_out AS SELECT DISTINCT {subject} AS subject, _in_population "
            f"FROM adsl_population WHERE NOT (_in_population AND NOT _arm_left_out) AND {subject} IS NOT NULL"
        )
        self.con.execute(
            "CREATE OR REPLACE TABLE adsl_kept AS SELECT * EXCLUDE (_in_population, _arm_left_out) "
            "FROM adsl_population WHERE _in_population AND NOT _arm_left_out"
        )
        return replace(adsl, table="adsl_kept")

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
        if dvt := self.profile.variable("adsl", "dvt_date"):
            # Months since the DVT from its date, when the data give the date rather than the months.
            days = day_between(_ref(adsl, dvt), self.adsl(adsl, "enrolled_on"))
            select["months_since_dvt"] = (
                f"coalesce({select['months_since_dvt']}, CAST(floor({days} / 30.4375) AS INTEGER))"
            )
        for column in ("arm", "sex", "limb_side", "obstruction_site", *plain):
            # A coded column (one with a [values.<column>] map) is matched without case.
            if (values := _upper_keys(self.profile.values(column))) or column not in plain:
                select[column] = self.mapped(self.adsl(adsl, column), column, b, values, nocase=True)
        select["last_contact_day"] = day_between(self.adsl(adsl, "enrolled_on"), self.adsl(adsl, "last_contact_date"))
        select |= {"_file": "_file", "_line": "_line"}
        self.create("patients", select, f"FROM {adsl.table}", b)

    def _as_treated(self, adsl: Staged) -> None:
        """The treatment received ([adsl] arm_actual, TRT01A) beside the arm imported ([adsl] arm, TRT01P by
        default): each subject whose two differ (through [values.arm]) is a warning naming both values, the
        arm imported and the key that imports as treated (review 10, finding 9: only an index procedure
        missing hinted at it). Their arm as treated is kept in `as_treated` for the stent-only events: a
        stent arm patient treated medically with one is a warning here; a medical arm patient treated with a
        stent is the contract's arm:events warning, worded by checks.contract_rules."""
        planned, actual = self.v["arm"], self.profile.variable("adsl", "arm_actual")
        self.con.execute(
            "CREATE OR REPLACE TABLE as_treated (patient_id VARCHAR, arm VARCHAR, actual VARCHAR, planned_value "
            "VARCHAR, actual_value VARCHAR, _file VARCHAR, _line BIGINT)"
        )
        if not (planned and actual and adsl.has(actual)) or planned.upper() == actual.upper():
            return
        b = Bind()
        mapped = self.mapped(_ref(adsl, actual), "arm", b, _upper_keys(self.profile.values("arm")), nocase=True)
        self.con.execute(
            f"INSERT INTO as_treated SELECT p.patient_id, p.arm, a.actual, a.planned_value, a.actual_value, p._file, "
            f"p._line FROM raw_patients AS p JOIN (SELECT CAST({self.adsl(adsl, 'patient_id')} AS VARCHAR) AS "
            f"patient_id, CAST({_ref(adsl, planned)} AS VARCHAR) AS planned_value, CAST({_ref(adsl, actual)} AS "
            f"VARCHAR) AS actual_value, CAST({mapped} AS VARCHAR) AS actual FROM {adsl.table}) AS a USING (patient_id) "
            "WHERE nullif(trim(a.actual_value), '') IS NOT NULL AND nullif(trim(a.planned_value), '') IS NOT NULL "
            "AND p.arm IS DISTINCT FROM a.actual",
            b.params,
        )
        rows = self.con.execute(
            "SELECT _file, _line, patient_id, arm, actual, planned_value, actual_value FROM as_treated ORDER BY _line"
        ).fetchall()
        warnings = []
        for file, line, patient, arm, got, planned_value, actual_value in rows:
            received = got if got in vocab.ARMS else "no arm of [values.arm]"
            warnings.append(
                (
                    "adam:as_treated",
                    file,
                    line,
                    patient,
                    "arm",
                    actual_value,
                    f'patient {patient}: the treatment planned, {planned} "{planned_value}" ({arm or "no arm"}), '
                    f'differs from the treatment received, {actual} "{actual_value}" ({received}): imported in the '
                    f'{arm or "no"} arm, by {planned} ([adsl] arm: as randomised); set [adsl] arm = "{actual}" in a '
                    "copy of the profile to import the patients as treated",
                )
            )
        # A stent-only event of a stent-arm patient treated medically: no stent to have it.
        events = self.con.execute(
            "SELECT e._file, e._line, e.patient_id, e.event_type, t.actual_value FROM raw_events AS e JOIN as_treated "
            "AS t USING (patient_id) WHERE t.arm = 'stent' AND t.actual = 'medical' AND list_contains($only, "
            "e.event_type) ORDER BY e._file, e._line",
            {"only": list(validation.STENT_ONLY_EVENTS)},
        ).fetchall()
        for file, line, patient, event, actual_value in events:
            warnings.append(
                (
                    "adam:as_treated_events",
                    file,
                    line,
                    patient,
                    "event_type",
                    event,
                    f'patient {patient} is in the stent arm but was treated medically ({actual} "{actual_value}") '
                    f"and has the event {event}, which only a stent can have: imported as it is, Safety counts it in "
                    "the stent arm; check the treatment received or the event's term",
                )
            )
        if warnings:
            self.con.executemany("INSERT INTO issues VALUES ('warning', ?, ?, ?, ?, ?, ?, ?)", warnings)

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
            select[column] = self.mapped(self.adsl(adsl, column), "flag", b, flags, nocase=True)
        source = f"FROM {adsl.table} WHERE {self.adsl(adsl, 'procedure_date')} IS NOT NULL"
        self.create("procedures", select, source, b)

    def _visits(self, adsl: Staged, records: list[Staged]) -> None:
        # A column set to "" has no parameter in these data: imported empty, never looked for.
        codes = {k: str(c) for k, c in self.profile.section("paramcd").items() if str(c).strip()}
        parts = [p for src in records if (p := self._bds_records(src))]
        if not parts:
            self.create_empty("visits")
            return
        union = " UNION ALL BY NAME ".join(sql for sql, _ in parts)
        params = {k: v for _, p in parts for k, v in p.items()}
        self.con.execute(f"CREATE OR REPLACE TABLE bds_read AS {union}", params)
        self._bds_funnel(codes, records)
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
            # Where this column's value was read: the datasets of a visit may be several files
            # (ADQS split by instrument), and a bad value is reported at its own file and record.
            for part in ("file", "line"):
                select[f"_{part}_{column}"] = f"min(bds._{part}) FILTER (WHERE bds.paramcd = {b(code)})"
            if column == "villalta_total":
                select["_given_villalta_total"] = f"min(bds.aval) FILTER (WHERE bds.paramcd = {b(code)})"
                continue
            values = _upper_keys(self.profile.values(column))
            if column == "compression_use" or values:
                # A coded parameter: AVALC (AVAL where AVALC is empty) through the profile's value map.
                picked = f"min(coalesce(bds.avalc, bds.aval)) FILTER (WHERE bds.paramcd = {b(code)})"
                select[column] = self.mapped(picked, column, b, values, nocase=True)
            else:
                select[column] = f"min(bds.aval) FILTER (WHERE bds.paramcd = {b(code)})"
        # The records each visit joins, per file: the funnel counts records, not visits.
        select |= {"_file": "min(bds._file)", "_line": "min(bds._line)", "_records": "histogram(bds._file)"}
        # The records dated before the reference date, each file's own (a baseline at screening is reported
        # at the datasets whose records were taken then, not at the first file of a split ADQS).
        record_day = f"coalesce({day_between(enrolled, 'bds.adt')}, CASE WHEN {study_day} >= 1 THEN {study_day} - 1 "
        record_day += f"ELSE {study_day} END)"
        select["_early_records"] = (
            "list({'file': bds._file, 'line': bds._line} ORDER BY bds._file, bds._line) "
            f"FILTER (WHERE ({record_day}) < 0)"
        )
        subject = self.adsl(adsl, "patient_id")
        source = f"FROM bds LEFT JOIN {adsl.table} ON {subject} = bds.subject"
        self.create("visits", select, source, b, "GROUP BY bds.subject, bds.month")
        self._early_baselines()

    def _early_baselines(self) -> None:
        """A baseline assessed before the reference date (screening, day -2) is normal in ADaM:
        [bds] early_baseline = "day0" holds it on day 0, each a warning; "refuse" makes it an error. A visit
        refused for conflicting records (adam:duplicate, bds_conflicts) is not named: none of it is imported."""
        early = "visit_month = '0' AND try_cast(visit_day AS INTEGER) < 0"
        rule = str(self.profile.section("bds").get("early_baseline", "day0"))
        day0 = rule == "day0"
        self.con.execute(
            "INSERT INTO issues SELECT $severity, 'adam:early_baseline', coalesce(r.file, _file), min(coalesce(r.line, "
            "_line)), patient_id, 'visit_day', visit_day, $message FROM (SELECT *, unnest(coalesce(_early_records, "
            f"[NULL])) AS r FROM raw_visits WHERE {early} AND NOT EXISTS (SELECT 1 FROM bds_conflicts AS c WHERE "
            "c.subject = patient_id AND CAST(c.month AS VARCHAR) = CAST(visit_month AS VARCHAR))) GROUP BY ALL",
            {
                "severity": WARNING if day0 else ERROR,
                "message": "baseline assessed before the reference date ([adsl] enrolled_on): held on day 0 ([bds] "
                "early_baseline)"
                if day0
                else "baseline assessed before the reference date ([adsl] enrolled_on): set [bds] early_baseline = "
                '"day0" in a copy of the profile to hold it on day 0',
            },
        )
        if day0:
            self.con.execute(f"UPDATE raw_visits SET visit_day = '0' WHERE {early}")

    def _bds_records(self, src: Staged) -> tuple[str, dict[str, Any]] | None:
        """Every record of one BDS dataset with the month of its visit: 0 for the flagged baseline
        ([bds] baseline_flag, ABLFL = "Y", whatever the analysis flag says), else by the profile's
        AVISIT map, else by its AVISITN map; NULL for a visit neither knows, or one outside [study]
        visit_months. The flags and DTYPE come along for the funnel."""
        visits = self.profile.section("visits")
        needed: dict[str, str | None] = {c: c for c in ("USUBJID", "PARAMCD", "AVAL")}
        keys: dict[str, str | None] = {c: c for c in ("AVISIT", "AVISITN") if visits.get(c)}  # the visit keys mapped
        stopped = f"nothing else of {src.name.upper()} is checked until it is named"
        if not self.require_columns(src, needed, src.name.upper(), later=stopped):
            return None
        # All problems at once: a visit key whose column lacks while the other is there (AVISITN without
        # AVISIT) is one error, and the records are placed by the other meanwhile; only without both does
        # nothing of the dataset wait for them.
        placed_by = [k for k in keys if src.has(k)]
        later = (
            f"{src.name.upper()} is checked with its visits placed by {placed_by[0]} meanwhile; {LATER}"
            if placed_by
            else f"nothing else of {src.name.upper()} is checked until it is named (no visit can be placed)"
        )
        if not self.require_columns(src, keys, src.name.upper(), "visits", later=later) and not placed_by:
            return None
        flags = {k: str(self.profile.section("bds").get(k, default)) for k, default in BDS_FLAGS.items()}
        # AVISIT texts are compared upper-cased by DuckDB on both sides (Python upper-cases "ß" to "SS": review 14)
        by_text, not_texts = _visit_map(visits.get("AVISIT", {}), str)
        by_number, not_numbers = _visit_map(visits.get("AVISITN", {}), float)
        schedule = [int(m) for m in self.profile.section("study").get("visit_months", [])]
        p = src.table  # the parameters of several datasets meet in one statement
        avisitn = f"try_cast({_ref(src, 'AVISITN')} AS DOUBLE)"
        texts = f"list_transform(${p}_texts, lambda t: upper(t))"
        mapped = (
            f"coalesce(list_extract(${p}_text_months, list_position({texts}, upper({_ref(src, 'AVISIT')}))), "
            f"list_extract(${p}_number_months, list_position(${p}_numbers, {avisitn})))"
        )
        # A visit mapped to "" is no scheduled visit: its records are set aside (a funnel step), by its AVISIT, or
        # by its AVISITN when its AVISIT has no month (review 14, N1: "" made the importer fail).
        not_visit = (
            f"coalesce(list_contains(list_transform(${p}_not_texts, lambda t: upper(t)), upper({_ref(src, 'AVISIT')})) "
            f"OR (list_extract(${p}_text_months, "
            f"list_position({texts}, upper({_ref(src, 'AVISIT')}))) IS NULL AND list_contains(${p}_not_numbers, "
            f"{avisitn})), FALSE)"
        )
        baseline = _flag_is_y(src, flags["baseline_flag"])
        month = f"CASE WHEN {baseline} THEN 0 ELSE {mapped} END"
        scheduled = f"CASE WHEN len(${p}_schedule) = 0 OR list_contains(${p}_schedule, {month}) THEN {month} END"
        analysis = _ref(src, flags["analysis_flag"] or None)
        # [bds] avalc_as_aval: a record whose AVAL is blank takes its AVALC where that is a number (review 14, N2)
        aval = _ref(src, "AVAL")
        if self.profile.section("bds").get("avalc_as_aval") is True:
            avalc = _ref(src, "AVALC")
            aval = f"coalesce({aval}, CASE WHEN try_cast({avalc} AS DOUBLE) IS NOT NULL THEN {avalc} END)"
        sql = (
            f"SELECT {_ref(src, 'USUBJID')} AS subject, {_ref(src, 'PARAMCD')} AS paramcd, "
            f"concat_ws(' / AVISITN ', {_ref(src, 'AVISIT')}, {_ref(src, 'AVISITN')}) AS avisit, {scheduled} AS month, "
            f"{_ref(src, 'AVISIT')} AS avisit_text, {avisitn} AS avisitn, {mapped} AS mapped_month, "
            f"{not_visit} AS not_visit, {baseline} AS baseline_flagged, "
            f"{_flag_is_y(src, flags['analysis_flag'])} AS analysis_flagged, "
            f"{analysis} IS NOT NULL AS analysis_flag_given, {_ref(src, flags['derived'] or None)} AS dtype, "
            f"{aval} AS aval, {_ref(src, 'AVALC')} AS avalc, {_ref(src, 'AVAL')} IS NULL AS aval_blank, "
            f"{_ref(src, 'ADT')} AS adt, "
            f"{_ref(src, 'ADY')} AS ady, _file, _line FROM {src.table}"
        )
        return sql, {
            f"{p}_text_months": list(by_text.values()),
            f"{p}_texts": list(by_text),
            f"{p}_number_months": list(by_number.values()),
            f"{p}_numbers": list(by_number),
            f"{p}_schedule": schedule,
            f"{p}_not_texts": not_texts,
            f"{p}_not_numbers": not_numbers,
        }

    def _bds_funnel(self, codes: dict[str, str], records: list[Staged]) -> None:
        """Each record's fate: the first rule that sets it aside, in this order: its subject is
        outside the population; its PARAMCD is not in [paramcd]; it is derived (DTYPE); it is not
        flagged for analysis (in a file that uses the flag at all; the flagged baseline is kept
        whatever the flag says); its visit is not in the map or the schedule; it is a month-0
        record beside the flagged baseline. The kept records become `bds`."""
        analysis = str(self.profile.section("bds").get("analysis_flag", BDS_FLAGS["analysis_flag"]))
        unused = [
            f
            for (f,) in self.con.execute(
                "SELECT _file FROM bds_read GROUP BY _file HAVING NOT bool_or(analysis_flagged) ORDER BY 1"
            ).fetchall()
        ]
        for file in unused if analysis else []:
            other = self._other_analysis_flags(next((r for r in records if r.file == file), None), analysis)
            self.issues.add(
                Issue.file_level(
                    WARNING,
                    "adam:analysis_flag",
                    file,
                    f"no record has {analysis} = 'Y', so the flag does not select records in this file"
                    + (
                        f"; {other[0]} holds 'Y' on {other[1]:,} of its {counted(other[2], 'record')}: set [bds] "
                        f'analysis_flag = "{other[0]}" in a copy of the profile if it marks the analysis records, '
                        'or analysis_flag = "" to say the data have none'
                        if other
                        else ' (set [bds] analysis_flag = "" in a copy of the profile to say the data have none)'
                    ),
                )
            )
        self.con.execute(
            "CREATE OR REPLACE TABLE bds_fate AS SELECT *, CASE "
            "WHEN subject IN (SELECT subject FROM adsl_left_out) THEN 'population' "
            "WHEN NOT list_contains($codes, paramcd) THEN 'parameter' "
            "WHEN dtype IS NOT NULL THEN 'derived' "
            "WHEN NOT analysis_flagged AND NOT baseline_flagged AND NOT list_contains($unused, _file) "
            "THEN 'analysis_flag' "
            "WHEN month IS NULL AND not_visit THEN 'not_visit' "
            "WHEN month IS NULL THEN 'visit' "
            "WHEN month = 0 AND NOT baseline_flagged AND bool_or(baseline_flagged AND month = 0) OVER "
            "(PARTITION BY subject, paramcd) THEN 'baseline_other' END AS fate FROM bds_read",
            {"codes": list(codes.values()), "unused": unused},
        )
        self._derived_only_visits(analysis)
        for fate, step, loss in (
            ("population", POPULATION_STEP, False),
            ("parameter", "PARAMCD not in [paramcd]", False),
            ("derived", DERIVED_STEP, False),
            ("derived_only", DERIVED_ONLY_STEP, True),
            ("analysis_flag", f"not flagged for analysis ({analysis})", True),
            ("not_visit", NOT_A_VISIT_STEP, False),
            ("visit", "visit not in the [visits] map or [study] visit_months", True),
            ("baseline_other", "month-0 record beside the flagged baseline", False),
        ):
            self.funnel.drop_where("bds_fate", "_file", step, "fate = $fate", {"fate": fate}, loss=loss)
        self.con.execute("CREATE OR REPLACE TABLE bds AS SELECT * FROM bds_fate WHERE fate IS NULL")
        self._unmapped_visits()

    def _derived_only_visits(self, analysis: str) -> None:
        """A derived record (DTYPE AVERAGE...) flagged for analysis at a visit whose observed records of the
        same subject and parameter are all unflagged (two assessments in a window, averaged by the sponsor,
        neither flagged): setting it aside loses the visit's value, so it counts as lost in the funnel and
        each such visit is a warning naming it and the ways to keep it. A visit with no observed record
        (LOCF, WOCF: carried from another visit) loses nothing observed."""
        self.con.execute(
            "UPDATE bds_fate SET fate = 'derived_only' WHERE fate = 'derived' AND analysis_flagged "
            "AND month IS NOT NULL AND NOT EXISTS (SELECT 1 FROM bds_fate AS k WHERE k.fate IS NULL "
            "AND k.subject = bds_fate.subject AND k.paramcd = bds_fate.paramcd AND k.month = bds_fate.month) "
            "AND EXISTS (SELECT 1 FROM bds_fate AS o WHERE o.fate = 'analysis_flag' AND o.subject = bds_fate.subject "
            "AND o.paramcd = bds_fate.paramcd AND o.month = bds_fate.month)"
        )
        flag = analysis or "the analysis flag"
        self.con.execute(
            "INSERT INTO issues SELECT 'warning', 'adam:derived_visit', _file, min(_line), subject, 'DTYPE', "
            "subject || ' ' || any_value(coalesce(avisit_text, avisit)) || ' (DTYPE ' || string_agg(DISTINCT dtype, "
            "', ') || ', ' || count(*) || ' parameters)', 'the only records flagged for analysis ("
            + flag.replace("'", "''")
            + " = ''Y'') at a visit are derived (DTYPE), which are not observations, and no observed record "
            "of the visit is flagged: the visit''s value is not imported. To keep it, flag the observed record to "
            'use in the data, or, if the derived records hold whole scores, set [bds] derived = "" in a copy of '
            "the profile to import them as observations' FROM bds_fate WHERE fate = 'derived_only' "
            "GROUP BY _file, subject, month"
        )

    def _unmapped_visits(self) -> None:
        """A record set aside for its visit is a warning (an unscheduled or unwindowed visit), unless
        its AVISITN names a follow-up month of [study] visit_months while the profile's AVISITN map, if
        any, reads AVISITN as months: then the visit is a scheduled one the map misses (AVISIT "MONTH 12
        (EOS)"), and losing it, often the primary endpoint's visit, is an error naming the key."""
        by_number, _ = _visit_map(self.profile.section("visits").get("AVISITN", {}), float)
        schedule = [m for m in (int(v) for v in self.profile.section("study").get("visit_months", [])) if m > 0]
        as_months = schedule and all(k == m for k, m in by_number.items())
        scheduled = "list_contains($schedule, avisitn)" if as_months else "FALSE"
        self.con.execute(
            f"CREATE OR REPLACE TABLE bds_unmapped AS SELECT *, fate = 'visit' AND NOT {scheduled} "
            "AND analysis_flagged AND mapped_month IS NULL "
            "AND NOT coalesce(upper(avisit_text) LIKE '%UNSCHED%', FALSE) AS analysed "
            "FROM bds_fate WHERE fate = 'visit'",
            {"schedule": schedule} if as_months else {},
        )
        self.con.execute(
            "INSERT INTO issues SELECT 'warning', 'adam:unscheduled', _file, _line, subject, 'AVISIT', avisit, "
            "'visit not in the profile''s [visits] AVISIT or AVISITN map, or not in [study] visit_months "
            "(unscheduled or unwindowed): record not imported' FROM bds_unmapped "
            f"WHERE NOT analysed AND NOT {scheduled}",
            {"schedule": schedule} if as_months else {},
        )
        self._analysed_visits_unmapped()
        if not as_months:
            return
        month = "CAST(CAST(avisitn AS INTEGER) AS VARCHAR)"
        by_text = (
            f"'Add \"' || avisit_text || '\" = ' || {month} || ' to [visits] AVISIT (or map visits by AVISITN: "
            f"[visits.AVISITN] \"' || {month} || '\" = ' || {month} || ')'"
        )
        by_number_only = f"'Add [visits.AVISITN] \"' || {month} || '\" = ' || {month}"
        self.con.execute(
            # The column named is the one the value comes from: AVISITN when AVISIT is blank (review 11: "values
            # encountered in AVISIT: 3" named AVISITN's value as AVISIT's).
            "INSERT INTO issues SELECT 'error', 'adam:visit_scheduled', _file, _line, subject, CASE WHEN avisit_text "
            "IS NULL THEN 'AVISITN' ELSE 'AVISIT' END, avisit, "
            "'visit ' || CASE WHEN avisit_text IS NULL THEN '' ELSE 'AVISIT \"' || avisit_text || '\" (' END || "
            f"'AVISITN ' || {month} || CASE WHEN avisit_text IS NULL THEN '' ELSE ')' END || ' is not in the "
            f"profile''s [visits] map, but AVISITN ' || {month} || ' is a month of [study] visit_months: its records "
            f"would not be imported. ' || CASE WHEN avisit_text IS NULL OR $numbers THEN {by_number_only} ELSE "
            f"{by_text} END || ' in a copy of the profile; a profile''s [visits] replaces the built-in''s whole, so "
            "copy the keys it still needs' FROM bds_fate WHERE fate = 'visit' AND list_contains($schedule, avisitn)",
            {"schedule": schedule, "numbers": bool(by_number)},
        )

    def _analysed_visits_unmapped(self) -> None:
        """Records flagged for analysis ([bds] analysis_flag, ANL01FL = "Y") at a visit neither
        [visits] map knows, whose AVISIT does not say it is unscheduled, are a scheduled visit the
        map misses (AVISIT "Week 26" with AVISITN in weeks): losing them loses a follow-up visit, so
        each such visit is an error naming its AVISIT / AVISITN, its records and the keys, with a month
        suggested where the visit's name gives one (weeks / 4.35, days / 30.44, to the nearest month of
        [study] visit_months). The empty values its loss leaves at the visits of the same subject
        (another file's parameters at the same month) are this error's consequence
        (checks.contract_rules deletes them)."""
        analysis = str(self.profile.section("bds").get("analysis_flag", BDS_FLAGS["analysis_flag"]))
        schedule = [int(v) for v in self.profile.section("study").get("visit_months", [])]
        visits = self.con.execute(
            "SELECT _file, avisit_text, avisitn, any_value(avisit), count(*) FROM bds_unmapped WHERE analysed "
            "GROUP BY ALL ORDER BY 1, min(_line)"
        ).fetchall()
        if not visits:
            return
        messages = [
            (file, text, number, _unmapped_visit_message(text, number, n, analysis, schedule))
            for file, text, number, _, n in visits
        ]
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bds_unmapped_messages AS SELECT * FROM (SELECT unnest($files) AS file, "
            "unnest($texts) AS text, unnest($numbers) AS number, unnest($messages) AS message)",
            {
                "files": [m[0] for m in messages],
                "texts": [m[1] for m in messages],
                "numbers": [m[2] for m in messages],
                "messages": [m[3] for m in messages],
            },
        )
        self.con.execute(
            "INSERT INTO issues SELECT 'error', 'adam:visit_unmapped', u._file, u._line, u.subject, 'AVISIT', "
            "u.avisit, m.message FROM bds_unmapped AS u JOIN bds_unmapped_messages AS m ON m.file = u._file AND "
            "m.text IS NOT DISTINCT FROM u.avisit_text AND m.number IS NOT DISTINCT FROM u.avisitn WHERE u.analysed"
        )
        codes = {k: str(c) for k, c in self.profile.section("paramcd").items() if str(c).strip()}
        self.con.execute(VISIT_SET_ASIDE_TABLE)
        self.con.execute(
            "INSERT INTO visit_set_aside SELECT DISTINCT subject, list_extract($columns, list_position($codes, "
            "paramcd)) FROM bds_unmapped WHERE analysed AND list_contains($codes, paramcd)",
            {"columns": list(codes), "codes": list(codes.values())},
        )

    def _duplicates(self) -> None:
        """Records of one subject, visit and parameter with different values: one message per subject and visit
        naming the parameters, the values and dates of each, whether each is flagged as the baseline, and the
        way out (review 12, finding 4: a re-screened subject's two ABLFL = "Y" sets were reported without
        subject, values or fix). The import never chooses one."""
        flag = str(self.profile.section("bds").get("baseline_flag", BDS_FLAGS["baseline_flag"])) or "the baseline flag"
        analysis = str(self.profile.section("bds").get("analysis_flag", BDS_FLAGS["analysis_flag"]))
        # The subject's visits refused here: nothing of them is imported, so no other message names their records
        # as used (review 12, finding 4: the early-baseline warning listed the re-screen's day -40).
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE bds_conflicts AS SELECT DISTINCT subject, month FROM bds QUALIFY "
            "count(DISTINCT coalesce(aval, avalc)) OVER (PARTITION BY subject, month, paramcd) > 1"
        )
        groups = self.con.execute(
            "SELECT _file, subject, month, any_value(CASE WHEN avisit_text IS NOT NULL THEN 'AVISIT ' || avisit_text "
            "ELSE 'AVISITN ' || regexp_replace(CAST(avisitn AS VARCHAR), '\\.0$', '') END ORDER BY _line), "
            "list(_line ORDER BY _line), "
            "list(DISTINCT paramcd ORDER BY paramcd), list(paramcd || ' ' || coalesce(aval, avalc) || ' (' || "
            "coalesce(CAST(adt AS VARCHAR), 'no ADT') || CASE WHEN baseline_flagged THEN ', flagged' ELSE '' END || "
            "')' ORDER BY paramcd, adt NULLS LAST, _line), bool_and(baseline_flagged) FROM (SELECT * FROM bds "
            "QUALIFY count(DISTINCT coalesce(aval, avalc)) OVER (PARTITION BY subject, month, paramcd) > 1) "
            "GROUP BY _file, subject, month ORDER BY _file, subject, month"
        ).fetchall()
        for file, subject, month, avisit, lines, params, values, all_flagged in groups:
            shown = "; ".join(values[:6]) + (f"; ... ({len(values) - 6} more)" if len(values) > 6 else "")
            why = (
                f"every one is flagged as the baseline ({flag} = 'Y'), as for a re-screened subject's two baseline "
                f"sets: keep {flag} = 'Y'{f' (and {analysis})' if analysis else ''} on one record per parameter, the "
                "baseline to use, in the source"
                if all_flagged and month == 0
                else f"flag one record per parameter for analysis ({analysis or 'the analysis flag'} = 'Y') in the "
                "source, or correct the other"
            )
            message = (
                f"{subject} month {month} ({avisit}): more than one analysis value of "
                f"{counted(len(params), 'parameter')} ({shown}); {why}. The import never picks one"
            )
            for line in lines:
                self.issues.add(Issue(ERROR, "adam:duplicate", file, int(line), subject, "PARAMCD", "", message))

    def _avalc_only(self, codes: dict[str, str]) -> None:
        """A kept record of a numeric parameter whose AVAL is blank while AVALC holds a value (review 14, N2: the
        contract's "empty" error named no subject, no visit and not AVALC): an error naming the subject, the
        visit, the parameter and AVALC's value, with the ways out (AVAL in the source, or [bds] avalc_as_aval =
        true); with that key, a number in AVALC is imported as the value, each record a warning, and a word
        stays an error."""
        numeric = {
            code: column
            for column, code in codes.items()
            if column not in ("compression_use", "villalta_total") and not self.profile.values(column)
        }
        rows = self.con.execute(
            "SELECT _file, _line, subject, paramcd, avalc, avisit_text, avisitn, try_cast(avalc AS DOUBLE) IS NOT "
            "NULL, aval IS NOT NULL FROM bds WHERE aval_blank AND avalc IS NOT NULL AND list_contains($codes, paramcd) "
            "ORDER BY _file, _line",
            {"codes": list(numeric)},
        ).fetchall()
        for file, line, subject, code, avalc, text, number, is_number, read in rows:
            visit = " ".join(
                p
                for p in (f'AVISIT "{text}"' if text else "", f"AVISITN {number:g}" if number is not None else "")
                if p
            )
            if text and number is not None:
                visit = f'AVISIT "{text}" (AVISITN {number:g})'
            where = f"{subject} {visit}: PARAMCD {code} ([paramcd] {numeric[code]}) has AVAL blank"
            where += f' while AVALC holds "{avalc}"'
            if read:
                message = f"{where}: imported as the value ([bds] avalc_as_aval = true)"
                self.issues.add(Issue(WARNING, "adam:avalc", file, int(line), subject, "AVALC", str(avalc), message))
                continue
            message = (
                f"{where}, which is no number: give the value in AVAL in the source"
                if not is_number
                else f"{where}: the value of a numeric parameter is read from AVAL. Give it in AVAL in the source, or "
                "set [bds] avalc_as_aval = true in a copy of the profile to read AVALC where AVAL is blank and AVALC "
                "is a number (each such record a warning)"
            )
            self.issues.add(Issue(ERROR, "adam:avalc", file, int(line), subject, "AVALC", str(avalc), message))

    def _other_analysis_flags(self, src: Staged | None, analysis: str) -> tuple[str, int, int] | None:
        """Another analysis flag of a BDS file whose own ([bds] analysis_flag) is never "Y": the first ANLzzFL
        column holding "Y" on some records, with how many of how many (review 17, finding 9: a sponsor flagging
        with ANL02FL was offered only analysis_flag = "")."""
        if src is None:
            return None
        for column in sorted(c for c in src.columns if re.fullmatch(r"ANL\d\dFL", c.upper())):
            if column.upper() == analysis.upper():
                continue
            flagged, total = self.con.execute(
                f"SELECT count(*) FILTER ({_flag_is_y(src, column)}), count(*) FROM {src.table}"
            ).fetchone() or (0, 0)
            if flagged:
                return column, int(flagged), int(total)
        return None

    def _bds_problems(self, codes: dict[str, str]) -> None:
        """Conflicting duplicates, and items the contract needs but the data lack (a Villalta total
        alone cannot be imported)."""
        self._duplicates()
        self._avalc_only(codes)
        present = {r[0] for r in self.con.execute("SELECT DISTINCT paramcd FROM bds_read").fetchall()}
        found = ", ".join(sorted(p for p in present if p)[:20])
        for file, codes_seen in self.con.execute(
            "SELECT _file, list_sort(list(DISTINCT paramcd))[1:20] FROM bds_fate GROUP BY _file "
            "HAVING bool_and(fate IN ('parameter', 'population')) AND bool_or(fate = 'parameter') ORDER BY 1"
        ).fetchall():
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "adam:parameters",
                    file,
                    f"no record has a PARAMCD the profile maps, so nothing of this file is imported (PARAMCDs here: "
                    f"{', '.join(map(str, codes_seen))}); name them in [paramcd] of a copy of the profile",
                )
            )
        optional = {c: code for c, code in codes.items() if c not in (*_villalta_items(), "ulcer_present")}
        for column, code in optional.items():
            if code not in present:
                self.issues.add(
                    Issue.file_level(
                        WARNING,
                        "adam:parameter_absent",
                        "ADQS",
                        f"no record has PARAMCD {code} ([paramcd] {column}): {column} is imported empty. If the data "
                        f"hold it under another code, set it in a copy of the profile (PARAMCDs found: {found}); "
                        f'set it to "" if the data have none',
                    )
                )
        items = {c: codes[c] for c in (*_villalta_items(), "ulcer_present") if c in codes}
        absent = [f"{code} ({column})" for column, code in items.items() if code not in present]
        if absent:
            # Codes the profile does not map may be the items under the sponsor's own codes: then the
            # fix is [paramcd], not "a total alone".
            unmapped = sorted(p for p in present if p and p not in codes.values())
            only_total = (
                codes.get("villalta_total") in present
                and len(absent) >= len(_villalta_items())
                and len(unmapped) < len(_villalta_items())
            )
            seen = (
                f"PARAMCDs here that [paramcd] does not map: {', '.join(unmapped[:20])}"
                if unmapped
                else f"PARAMCDs found: {', '.join(sorted(p for p in present if p)[:15])}"
            )
            message = (
                "the records hold a Villalta total but not the 11 items; the contract needs every item "
                "(a total alone cannot be split into items)"
                if only_total
                else f"parameter(s) {', '.join(absent)} not found; name each in [paramcd] of a copy of the profile "
                f"({seen})"
            )
            self.issues.add(Issue.file_level(ERROR, "adam:items", "ADQS", message))
            # Their empty values are this error's consequence, not each an error of its own.
            self.absent(None, [("visits", c) for c, code in items.items() if code not in present])

    def _events(self, adsl: Staged, sources: list[tuple[Staged, tuple[str, str, str]]]) -> None:
        """Deaths from ADSL, and the events of each (dataset, (profile section, value map, label)):
        ADAE's terms through [values.event_type], ADPR's procedures through [values.pr_event]."""
        b = Bind()
        enrolled = self.adsl(adsl, "enrolled_on")
        parts = []
        if self.v["death_date"]:
            death = self.adsl(adsl, "death_date")
            parts.append(
                f"SELECT {self.adsl(adsl, 'patient_id')} AS patient_id, {day_between(enrolled, death)} AS event_day, "
                f"'death' AS event_type, 'true' AS serious, _file, _line, 0 AS _death_source FROM {adsl.table} WHERE "
                f"{death} IS NOT NULL"
            )
        for src, (section, values, label) in sources:
            if (part := self._event_part(adsl, src, section, values, label, b)) is not None:
                parts.append(part)
        if not parts:
            self.create_empty("events")
            return
        select = {c: c for c in ("patient_id", "event_day", "event_type", "serious", "_file", "_line")}
        select["_death_source"] = "_death_source"  # ADSL's death date, an ADAE death: one death (checks.one_death)
        # A reintervention both in ADAE and in ADPR (same subject, day and event) is one event: the ADPR record is
        # counted, not imported twice, as SDTM's AE and PR (review 16, finding 3: two events, serious and not).
        twice = (
            "_death_source = 2 AND count(*) FILTER (WHERE _death_source = 1) OVER (PARTITION BY patient_id, "
            "event_day, event_type) > 0"
        )
        self.con.execute(
            f"CREATE OR REPLACE TEMP TABLE adam_events AS SELECT *, {twice} AS _twice FROM "
            f"({' UNION ALL '.join(parts)}) AS e",
            b.params,
        )
        for file, n in self.con.execute("SELECT _file, count(*) FROM adam_events WHERE _twice GROUP BY 1").fetchall():
            self.funnel.drop(str(file), "procedure event also recorded in ADAE (imported once)", int(n), loss=False)
        self.create("events", select, "FROM adam_events WHERE NOT _twice", Bind())

    def _event_part(self, adsl: Staged, src: Staged, section: str, values: str, label: str, b: Bind) -> str | None:
        """The events of one dataset of records with a term and a start date (ADAE, ADPR): each term
        through the profile's value map `values`; the records of subjects left out, not in ADSL, or
        with a term the map does not hold are counted in the funnel (and the last warned)."""
        keys = {k: str(v) for k, v in self.profile.section(section).items()}
        # All problems at once: without the subject or the term no record can be read; without its
        # date or seriousness the dataset is still checked (its terms, its subjects), that column empty.
        essential = {k: v for k, v in {**keys, "subject": "USUBJID"}.items() if k in ("subject", "term")}
        if not self.require_columns(
            src, essential, label, section, later=f"nothing else of {label} is checked until it is named"
        ):
            return None
        lacking = [k for k, v in keys.items() if v and not src.has(v)]
        if not self.require_columns(src, keys, label, section, later=f"{label} is checked without it; {LATER}"):
            for key in lacking:
                column = {"start_date": "event_day", "serious": "serious"}.get(key)
                self.absent(src.file, [("events", column)] if column else [])
                keys[key] = ""  # read as empty, never as a value it does not have
        term, start = _ref(src, keys.get("term")), _ref(src, keys.get("start_date"))
        subject = _ref(src, "USUBJID")
        enrolled = self.adsl(adsl, "enrolled_on")
        self.check_dates(src, [keys.get("start_date")])
        terms = _upper_keys(self.profile.values(values))
        if section == "ae":  # the term Death is the contract's death event (ADSL's death date wins: one_death)
            terms = {"DEATH": "death"} | terms
        left_out = f"{subject} IN (SELECT subject FROM adsl_left_out)"
        in_adsl = f"{subject} IN (SELECT {self.adsl(adsl, 'patient_id')} FROM {adsl.table})"
        unmapped = f"NOT list_contains($terms, upper(coalesce({term}, '')))"
        self.con.execute(
            f"INSERT INTO issues SELECT 'warning', $rule, _file, _line, {subject}, $term, {term}, $message "
            f"FROM {src.table} WHERE {unmapped} AND {in_adsl}",
            {
                "rule": f"adam:{section}_term",
                "term": keys.get("term", ""),
                "terms": list(terms),
                "message": f"term not in the profile's [values.{values}]: not imported (the contract holds the listed "
                "clinical events only)",
            },
        )
        self.funnel.drop_where(src.table, "_file", POPULATION_STEP, left_out, loss=False)
        self.funnel.drop_where(src.table, "_file", "USUBJID not in ADSL", f"NOT {left_out} AND NOT {in_adsl}")
        self.funnel.drop_where(
            src.table,
            "_file",
            f"term not in [values.{values}] (not a PTS event the contract holds)",
            f"{in_adsl} AND {unmapped}",
            {"terms": list(terms)},
            loss=False,
        )
        study_day = f"try_cast({_ref(src, 'ASTDY')} AS DOUBLE)"  # when the date is absent: day 1 is day 0
        event_day = f"coalesce({day_between(enrolled, start)}, CASE WHEN {study_day} >= 1 THEN {study_day} - 1 "
        event_day += f"ELSE {study_day} END)"
        self._pre_treatment(adsl, src, keys, event_day, terms, label)
        serious = "NULL" if "serious" in lacking else "'false'"  # named but absent: empty, never "not serious"
        if keys.get("serious"):
            # [values.serious]: the seriousness flag's own map over [values.flag], e.g. "" = "false" for an AESER
            # filled only when serious (review 18, F5); "" is a blank value.
            flags = self.profile.values("flag") | (self.profile.values("serious") if section == "ae" else {})
            flag = _ref(src, keys["serious"])
            if "" in flags:
                flag = f"coalesce(trim({flag}), '')"
            elif section == "ae":
                self._blank_serious(src, keys["serious"], term, f"{in_adsl} AND NOT {left_out}", terms)
            serious = self.mapped(flag, "flag", b, flags, nocase=True)
        return (
            f"SELECT {subject} AS patient_id, {event_day} AS event_day, "
            f"{self.mapped(f'upper({term})', values, b, terms)} AS event_type, {serious} AS serious, "
            f"{src.table}._file, {src.table}._line, {1 if section == 'ae' else 2} AS _death_source FROM {src.table} "
            f"JOIN {adsl.table} "
            f"ON {self.adsl(adsl, 'patient_id')} = {subject} WHERE list_contains({b(list(terms))}, upper({term})) "
            f"AND coalesce(({event_day}) >= 0, true)"
        )

    def _blank_serious(self, src: Staged, variable: str, term: str, imported: str, terms: dict[str, str]) -> None:
        """ADAE events whose seriousness flag is blank: one error naming the variable, the records, subjects and
        terms and the two ways out, the key that reads a blank as not serious or the value in the source (review
        18, F5: "check that the profile names the source column" when it did: AESER filled only when serious)."""
        flag = _ref(src, variable)
        row = self.con.execute(
            f"SELECT count(*), list(DISTINCT {_ref(src, 'USUBJID')} ORDER BY {_ref(src, 'USUBJID')}), "
            f"list(DISTINCT upper({term}) ORDER BY upper({term})), min(_line) FROM {src.table} WHERE "
            f"list_contains($terms, upper({term})) AND {imported} AND nullif(trim({flag}), '') IS NULL",
            {"terms": list(terms)},
        ).fetchone()
        if not row or not row[0]:
            return
        n, subjects, named, line = int(row[0]), [str(x) for x in row[1]], [str(x) for x in row[2]], row[3]
        self.absent(src.file, [("events", "serious")])  # its empty values are this error's, not reported again
        self.issues.add(
            Issue.file_level(
                ERROR,
                "adam:ae_serious_blank",
                src.file,
                f"{variable} ([ae] serious) is blank on {counted(n, 'record')} of ADAE (subjects "
                f"{first_five(subjects)}; terms {', '.join(named)}); the contract requires each event's "
                f'seriousness. If a blank {variable} means not serious (it is filled only when serious, "Y"), set '
                f'[values.serious] "" = "false" in a copy of the profile; otherwise fill {variable} in the source',
                int(line),
            )
        )

    def _pre_treatment(
        self, adsl: Staged, src: Staged, keys: dict[str, str], event_day: str, terms: dict[str, str], label: str
    ) -> None:
        """An event that starts before the reference date ([adsl] enrolled_on) is not treatment-emergent
        (medical history, a screening finding): set aside, each a warning naming subject and term, and
        a funnel step, not a contract error without a subject."""
        subject, term = _ref(src, "USUBJID"), _ref(src, keys.get("term"))
        before = (
            f"SELECT {src.table}._file AS _file, {src.table}._line AS _line, {subject} AS subject, {term} AS term, "
            f"CAST({_ref(src, keys.get('start_date'))} AS VARCHAR) AS start FROM {src.table} JOIN {adsl.table} "
            f"ON {self.adsl(adsl, 'patient_id')} = {subject} WHERE list_contains($terms, upper({term})) "
            f"AND ({event_day}) < 0"
        )
        reference = self.profile.variable("adsl", "enrolled_on") or "[adsl] enrolled_on"
        self.con.execute(
            f"INSERT INTO issues SELECT 'warning', $rule, _file, _line, subject || ' / ' || coalesce(term, ''), "
            f"$column, start, $message FROM ({before})",
            {
                "terms": list(terms),
                "rule": f"adam:{label.lower()}_before_reference",
                "column": keys.get("start_date", ""),
                "message": f"{keys.get('start_date', '')} is before the reference date {reference}: a pre-treatment "
                "event (medical history, not treatment-emergent), not imported",
            },
        )
        self.funnel.drop_where(
            f"({before})",
            "_file",
            f"before the reference date ({reference}): not treatment-emergent",
            "TRUE",
            {"terms": list(terms)},
            loss=False,
        )

    def _cnsr_contradicted(self, adtte: Staged, cnsr_event: int) -> None:
        """A warning when CNSR, read by [adtte] cnsr_event, contradicts the sponsor's own descriptions in nearly
        every record that has one (EVNTDESC filled where CNSR says censored, CNSDTDSC where it says event): its
        CNSR is coded the other way (review 15, finding 3: "sponsor 4 events" where its data said 1)."""
        row = self.con.execute(
            "SELECT count(*) FILTER (WHERE described), count(*) FILTER (WHERE described AND ((evnt AND cnsr = 1) OR "
            "(NOT evnt AND cnsr = 0))) FROM (SELECT try_cast(cnsr AS DOUBLE) AS cnsr, nullif(trim(evntdesc), '') IS "
            "NOT NULL AS evnt, (nullif(trim(evntdesc), '') IS NOT NULL) <> (nullif(trim(cnsdtdsc), '') IS NOT NULL) "
            "AS described FROM extra_sponsor_adtte)"
        ).fetchone()
        described, contradicted = (int(row[0]), int(row[1])) if row else (0, 0)
        if not contradicted or contradicted < 0.9 * described:
            return
        other = 1 - cnsr_event
        self.issues.add(
            Issue.file_level(
                WARNING,
                "adam:adtte_cnsr",
                adtte.file,
                f"ADTTE CNSR contradicts EVNTDESC / CNSDTDSC in {contradicted} of the {counted(described, 'record')} "
                f"that describe their end (an event described where CNSR says censored, a censoring where it says "
                f"event), read with CNSR {cnsr_event} = event ([adtte] {CNSR_EVENT} = {cnsr_event}): the sponsor "
                f"seems to code CNSR {other} = event; if so, set [adtte] {CNSR_EVENT} = {other} in a copy of the "
                "profile (the Data checks reconciliation counts the sponsor's events by it)",
            )
        )

    def _adtte(self, adtte: Staged) -> None:
        """ADTTE kept as given, in the CDISC names, with the app's endpoint each PARAMCD stands for
        ([adtte] of the profile), for a reconciliation with the app's own derivation."""
        names = ("USUBJID", "PARAMCD", "PARAM", "AVAL", "CNSR", "STARTDT", "ADT", "EVNTDESC", "CNSDTDSC")
        section = self.profile.section("adtte")
        # [adtte] cnsr_event: the CNSR value that means an event, 0 as CDISC codes it (the default) or 1 for a sponsor
        # who codes it the other way (review 15, finding 3); CNSR is stored the CDISC way (0 = event) either way.
        cnsr_event = section.get(CNSR_EVENT, 0)
        if cnsr_event not in (0, 1) or isinstance(cnsr_event, bool):
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "adam:profile",
                    self.profile.path.name,
                    f"[adtte] {CNSR_EVENT} is the CNSR value that means an event: 0 (CDISC's coding, the default) or 1 "
                    f"(a sponsor who codes 1 = event), not {cnsr_event!r}",
                )
            )
            cnsr_event = 0
        cnsr = _ref(adtte, "CNSR")
        stored = {
            "cnsr": f"CASE try_cast({cnsr} AS DOUBLE) WHEN 1 THEN '0' WHEN 0 THEN '1' ELSE CAST({cnsr} AS VARCHAR) END"
            if cnsr_event == 1
            else cnsr
        }
        cols = ", ".join(f"{stored.get(n.lower(), _ref(adtte, n))} AS {n.lower()}" for n in names)
        endpoints = {str(k): str(v) for k, v in section.items() if k != CNSR_EVENT}
        known = tuple(vocab.ENDPOINTS)
        for code, endpoint in endpoints.items():
            if endpoint not in known:
                near = difflib.get_close_matches(endpoint, known, n=1, cutoff=0.6)
                self.issues.add(
                    Issue.file_level(
                        ERROR,
                        "adam:adtte_endpoint",
                        adtte.file,
                        f'[adtte] {code} = "{endpoint}" is not an endpoint the app derives, so the sponsor\'s {code} '
                        f"cannot be reconciled with it: in a copy of the profile set it to one of {', '.join(known)}"
                        + (f" (did you mean {near[0]}?)" if near else "")
                        + f", or remove the key ({code} is then kept unreconciled)",
                    )
                )
        endpoints = {k: v for k, v in endpoints.items() if v in known}
        self.con.execute(
            f"CREATE OR REPLACE TABLE extra_sponsor_adtte AS SELECT {cols}, list_extract($endpoints, "
            f"list_position($codes, {_ref(adtte, 'PARAMCD')})) AS endpoint FROM {adtte.table}",
            {"endpoints": list(endpoints.values()), "codes": list(endpoints)},
        )
        self._cnsr_contradicted(adtte, int(cnsr_event))
        # A PARAMCD [adtte] does not map is kept but reconciled with nothing: said, not silently absent from
        # the Data checks page (review 11: TTDEATH was "kept 20" and appeared nowhere).
        unmapped = self.con.execute(
            "SELECT paramcd, count(*) FROM extra_sponsor_adtte WHERE endpoint IS NULL AND paramcd IS NOT NULL "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
        for code, n in unmapped:
            self.issues.add(
                Issue.file_level(
                    WARNING,
                    "adam:adtte_unmapped",
                    adtte.file,
                    f"ADTTE PARAMCD {code} ({counted(int(n), 'record')}) is not in [adtte]: kept, but reconciled with "
                    f"no endpoint of the app (Data checks does not show it); to reconcile it, map it in [adtte] of a "
                    f"copy of the profile to one of {', '.join(known)}",
                )
            )


# Subjects and contract columns whose records were set aside at an analysed visit no [visits] map
# knows (adam:visit_unmapped): the values this leaves empty are that error's, not errors of their own.
# A visit's name counting weeks or days (else months) in English, German, French, Spanish, Italian, Dutch
# ("Week 26", "Woche 26", "Monat 3", "Mes 6"): the month it suggests (review 14, N7: "Monat 3" got none).
VISIT_UNITS = {
    **dict.fromkeys(("WEEK", "WK", "WOCHE", "SEMAINE", "SEMANA", "SETTIMANA"), "weeks"),
    **dict.fromkeys(("DAY", "TAG", "JOUR", "DIA", "DÍA", "GIORNO", "DAG"), "days"),
}
MONTH_WORDS = ("MONTH", "MTH", "MONAT", "MOIS", "MES", "MESE", "MAAND")
VISIT_UNIT = re.compile(r"\b(" + "|".join((*VISIT_UNITS, *MONTH_WORDS)) + r")(?:S|E|N|EN)?\s*(\d+(?:\.\d+)?)\b")
NOT_A_VISIT_STEP = 'visit not a scheduled visit ([visits] = "")'


def _visit_map(entries: dict[str, Any], key: Any) -> tuple[dict[Any, int], list[Any]]:
    """A [visits] AVISIT or AVISITN map (checked when the profile was read: profiles.month_of) as its
    months by key, and the keys mapped to "" (no scheduled visit)."""
    months = {key(str(k)): month_of(m) for k, m in entries.items()}
    return {k: m for k, m in months.items() if m is not None}, [k for k, m in months.items() if m is None]


VISIT_SET_ASIDE_TABLE = "CREATE TABLE IF NOT EXISTS visit_set_aside (patient_id VARCHAR, column_name VARCHAR)"
WEEKS_PER_MONTH = 4.35
DAYS_PER_MONTH = 30.4375


def _unmapped_visit_message(
    text: str | None, number: float | None, records: int, flag: str, schedule: list[int]
) -> str:
    """The error of one analysed visit no [visits] map knows: its AVISIT / AVISITN, how many records,
    the keys, and a month where the visit's name gives one (e.g. "Week 26" -> month 6)."""
    shown_number = None if number is None else (f"{number:g}")
    named = " / ".join(
        p for p in (f'AVISIT "{text}"' if text else "", f"AVISITN {shown_number}" if shown_number else "") if p
    )
    message = (
        f'{counted(records, "record")} flagged for analysis ({flag} = "Y") at visit {named}, which neither '
        "[visits.AVISIT] nor [visits.AVISITN] of the profile maps: "
        f"{'it' if records == 1 else 'they'} would not be imported (an unscheduled visit is set aside only when its "
        'AVISIT says UNSCHEDULED, it is not flagged for analysis, or [visits] maps it to "", no scheduled visit). '
        "Map the visit to its month in a copy of the profile"
    )
    found = VISIT_UNIT.search((text or "").upper())
    if found and schedule:
        unit, amount = found.group(1), float(found.group(2))
        how = VISIT_UNITS.get(unit)
        months = amount / {"weeks": WEEKS_PER_MONTH, "days": DAYS_PER_MONTH}.get(how or "", 1.0)
        month = min(schedule, key=lambda m: (abs(m - months), m))
        why = (
            f"{amount:g} {how} / {WEEKS_PER_MONTH if how == 'weeks' else DAYS_PER_MONTH:g} = {months:.1f} months"
            if how
            else f"month {amount:g}"
        )
        same = number is not None and number == amount  # AVISITN counts in the name's unit
        by_number = f', or by AVISITN: [visits.AVISITN] "{shown_number}" = {month}' if same else ""
        message += (
            f', e.g. [visits.AVISIT] "{text}" = {month}{by_number} ({why}; the nearest month of [study] visit_months '
            f"is {month})"
        )
    else:
        # The way out for a visit that is no scheduled one, in the closing line too (review 15, finding 5: it was
        # only in the parenthesis above).
        message += (
            ': [visits.AVISIT] (its AVISIT text) or [visits.AVISITN] (its AVISITN) = the month, or = "" if it is no '
            "scheduled visit (its records are then set aside, counted in the report)"
        )
    return message + "; a profile's [visits] replaces the built-in's whole, so copy the keys it still needs"


def _villalta_items() -> tuple[str, ...]:
    from pts_explorer.vocab import VILLALTA_ITEMS

    return VILLALTA_ITEMS


def _flag_is_y(src: Staged, column: str) -> str:
    """SQL: the flag column (by name) holds "Y" (FALSE when the file or the profile has none)."""
    ref = src.ref(column) if column else None
    return f"(upper(coalesce({ref}, '')) = 'Y')" if ref else "FALSE"


def _required(table: str, column: str) -> bool:
    from pts_explorer import validation

    return validation.contract().columns[table][column].not_null


def _upper_keys(mapping: dict[str, str]) -> dict[str, str]:
    return {k.upper(): v for k, v in mapping.items()}


# --- the example: the trial as SAS transport files --------------------------------------------


ADAM_STUDY_DESIGN = "randomized"


def _inverse(profile: Profile, column: str) -> dict[str, str]:
    return {v: k for k, v in profile.values(column).items()}


def write_adam(con: duckdb.DuckDBPyConnection, folder: Path, profile: Profile) -> None:
    import pyreadstat  # imported here: only the ADaM example needs it

    patients = con.execute(
        "SELECT p.*, pr.procedure_day, pr.technical_success, pr.stents_placed, pr.max_stent_diameter_mm, "
        "pr.below_inguinal_ligament, d.event_day AS death_day FROM patients AS p JOIN studies AS s USING (study_id) "
        "LEFT JOIN procedures AS pr USING (patient_id) LEFT JOIN events AS d ON d.patient_id = p.patient_id AND "
        "d.event_type = 'death' WHERE s.design = $design ORDER BY p.patient_id",
        {"design": ADAM_STUDY_DESIGN},
    ).df()
    start = dict(zip(patients.patient_id, patients.enrolled_on.dt.date, strict=True))
    v = profile.section("adsl")
    flag = _inverse(profile, "flag")
    adsl = pd.DataFrame(
        {
            v["study_id"]: patients.study_id,
            v["patient_id"]: patients.patient_id,
            v["center_id"]: patients.center_id,
            v["arm"]: patients.arm.map(_inverse(profile, "arm")),
            "TRT01A": patients.arm.map(_inverse(profile, "arm")),
            v["enrolled_on"]: patients.enrolled_on.dt.date,
            v["age_years"]: patients.age_years.astype(float),
            v["sex"]: patients.sex.map(_inverse(profile, "sex")),
            v["bmi"]: patients.bmi,
            v["limb_side"]: patients.limb_side.map(_inverse(profile, "limb_side")),
            v["months_since_dvt"]: patients.months_since_dvt.astype(float),
            v["obstruction_site"]: patients.obstruction_site.map(_inverse(profile, "obstruction_site")),
            v["stenosis_pct"]: patients.stenosis_pct.astype(float),
            v["lesion_length_mm"]: patients.lesion_length_mm.astype(float),
            v["ceap_c"]: patients.ceap_c,
            v["last_contact_date"]: [
                day_after(start[p], d) for p, d in zip(patients.patient_id, patients.last_contact_day, strict=True)
            ],
            v["death_date"]: [
                day_after(start[p], d) for p, d in zip(patients.patient_id, patients.death_day, strict=True)
            ],
            v["procedure_date"]: [
                day_after(start[p], d) for p, d in zip(patients.patient_id, patients.procedure_day, strict=True)
            ],
            v["technical_success"]: patients.technical_success.map(_flag(flag)),
            v["stents_placed"]: patients.stents_placed.astype(float),
            v["max_stent_diameter_mm"]: patients.max_stent_diameter_mm.astype(float),
            v["below_inguinal_ligament"]: patients.below_inguinal_ligament.map(_flag(flag)),
        }
    )
    pyreadstat.write_xport(adsl, str(folder / "adsl.xpt"), table_name="ADSL", file_format_version=5)
    pyreadstat.write_xport(
        _adqs(con, profile, start), str(folder / "adqs.xpt"), table_name="ADQS", file_format_version=5
    )
    pyreadstat.write_xport(
        _adae(con, profile, start), str(folder / "adae.xpt"), table_name="ADAE", file_format_version=5
    )
    pyreadstat.write_xport(_adtte(con, start), str(folder / "adtte.xpt"), table_name="ADTTE", file_format_version=5)
    write_sidecar(con, folder, ADAM_STUDY_DESIGN)


def _flag(inverse: dict[str, str]) -> Any:
    return lambda value: None if pd.isna(value) else inverse["true" if value else "false"]


def _adqs(con: duckdb.DuckDBPyConnection, profile: Profile, start: dict[str, date]) -> pd.DataFrame:
    visits = con.execute(
        "SELECT v.* FROM visits AS v JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design ORDER BY patient_id, visit_month",
        {"design": ADAM_STUDY_DESIGN},
    ).df()
    avisit = {m: k for k, m in profile.section("visits")["AVISIT"].items()}
    compression = _inverse(profile, "compression_use")
    records = []
    for column, code in profile.section("paramcd").items():
        values = visits[column]
        keep = values.notna()
        part = visits.loc[keep, ["patient_id", "visit_month", "visit_day"]].copy()
        if column == "compression_use":
            part["AVAL"], part["AVALC"] = float("nan"), values[keep].map(compression)
        else:
            part["AVAL"], part["AVALC"] = values[keep].astype(float), None
        part["PARAMCD"] = code
        records.append(part)
    long = pd.concat(records, ignore_index=True)
    return pd.DataFrame(
        {
            "USUBJID": long.patient_id,
            "PARAMCD": long.PARAMCD,
            "AVISIT": long.visit_month.map(avisit),
            "AVISITN": long.visit_month.astype(float),
            "ADT": [day_after(start[p], d) for p, d in zip(long.patient_id, long.visit_day, strict=True)],
            "ADY": long.visit_day.astype(float) + 1,  # ADaM study days have no day 0
            "AVAL": long.AVAL,
            "AVALC": long.AVALC,
            "ANL01FL": "Y",
        }
    )


def _adae(con: duckdb.DuckDBPyConnection, profile: Profile, start: dict[str, date]) -> pd.DataFrame:
    events = con.execute(
        "SELECT e.* FROM events AS e JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design AND e.event_type <> 'death' ORDER BY patient_id, event_day, event_type",
        {"design": ADAM_STUDY_DESIGN},
    ).df()
    terms, flag = _inverse(profile, "event_type"), _inverse(profile, "flag")
    return pd.DataFrame(
        {
            "USUBJID": events.patient_id,
            "AEDECOD": events.event_type.map(terms),
            "ASTDT": [day_after(start[p], d) for p, d in zip(events.patient_id, events.event_day, strict=True)],
            "ASTDY": events.event_day.astype(float) + 1,
            "AESER": events.serious.map(_flag(flag)),
        }
    )


def _adtte(con: duckdb.DuckDBPyConnection, start: dict[str, date]) -> pd.DataFrame:
    """Primary patency as a sponsor would derive it: days from the procedure, CNSR 0 = loss of patency."""
    rows = con.execute(
        "SELECT p.patient_id, pr.procedure_day, min(e.event_day) FILTER (WHERE e.event_type IN "
        "('stent_thrombosis', 'restenosis', 'reintervention') AND e.event_day >= pr.procedure_day) AS lost, "
        "p.last_contact_day FROM patients AS p JOIN studies AS s USING (study_id) JOIN procedures AS pr USING "
        "(patient_id) LEFT JOIN events AS e USING (patient_id) WHERE s.design = $design AND pr.technical_success "
        "GROUP BY ALL ORDER BY 1",
        {"design": ADAM_STUDY_DESIGN},
    ).fetchall()
    out = []
    for patient, procedure_day, lost, last in rows:
        end = lost if lost is not None else last
        out.append(
            {
                "USUBJID": patient,
                "PARAMCD": "PRIMPAT",
                "PARAM": "Time to loss of primary patency (days)",
                "AVAL": float(end - procedure_day),
                "CNSR": 0.0 if lost is not None else 1.0,
                "STARTDT": day_after(start[patient], procedure_day),
                "ADT": day_after(start[patient], end),
                "EVNTDESC": "LOSS OF PRIMARY PATENCY" if lost is not None else "",
            }
        )
    return pd.DataFrame(out)


FORMAT = Format(
    name="adam",
    help="CDISC ADaM: ADSL, ADQS (and/or ADVS), ADAE, optional ADPR and ADTTE, as .xpt, .sas7bdat, CSV or Parquet",
    example_sources="adsl.xpt adqs.xpt adae.xpt adtte.xpt dataset.toml",
    mapper=AdamMapper,
    write_example=write_adam,
    column_sections=("adsl",),
)
