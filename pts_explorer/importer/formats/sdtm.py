"""The CDISC SDTM format: DM (+ SUPPDM), SV, QS, AE, PR (+ SUPPPR) and DS onto the contract, its help
text, and its example (the demo's randomized trial as SDTM transport files). Its built-in profile is
sdtm.toml beside this module: every dataset, variable, test code, visit and term is named there.

Each role (dm, qs, ...) is first gathered from its dataset(s) into one table of fixed names
(sdtm_<role>), so that every rule after it reads the same shape whatever the sponsor called things.
Dates are ISO 8601 --DTC text: a date-time keeps its date; a partial date is refused or imputed by
the rule [dates] partial names (and counted). Every record a rule sets aside is counted in the
import's funnel (issues.Funnel) under the rule's name.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pts_explorer import validation
from pts_explorer.importer.formats.base import (
    LATER,
    TABLES,
    Bind,
    DatasetFacts,
    Format,
    Mapper,
    contract_columns,
    day_after,
    procedure_details,
    procedure_rule,
    write_sidecar,
)
from pts_explorer.importer.issues import ERROR, WARNING, Issue, counted, first_five
from pts_explorer.importer.profiles import Profile
from pts_explorer.importer.readers import Staged
from pts_explorer.vocab import VILLALTA_ITEMS

PARTIAL_RULES = ("refuse", "first", "middle")
IMPUTED = {"first": "first day of the month or year", "middle": "the 15th of the month, or 1 July"}


# The latest record first: by date, then sequence number, then line.
def _visit_name_month(name: str) -> int | None:
    """The month a visit's name says (MONTH 12 or M12 12, WEEK 26 6, YEAR 2 24); -1 for an unscheduled one;
    None when it says none (as the mapping assistant reads a name)."""
    text = name.upper()
    if re.search(r"UNSCHED|UNPLAN|END OF STUDY|\bEOS\b|WITHDRAW|EARLY TERM", text):
        return -1
    if hit := re.search(r"\b(MONTH|MO|M)\s*(\d+)", text):
        return int(hit[2])
    if hit := re.search(r"\bWEEK\s*(\d+)", text):
        return round(int(hit[1]) * 12 / 52)
    if hit := re.search(r"\bYEAR\s*(\d+)", text):
        return 12 * int(hit[1])
    return None


# When a record was taken: its --DTC as written (a date, or a date and time), else its visit's date from SV.
WHEN = "coalesce(nullif(trim(date), ''), CAST(on_date AS VARCHAR))"
LATEST = (
    "(PARTITION BY subject, month, col, category_key ORDER BY on_date DESC NULLS LAST, try_cast(sequence AS DOUBLE) "
    "DESC NULLS LAST, _line DESC)"
)
SAME_TEST = "(PARTITION BY subject, month, col, category_key)"
# A QS record's leg as QS writes it (QSLAT, read by [qs] laterality or not): two values are two legs.
RAW_LEG = "upper(trim(coalesce(laterality, unread_lat)))"
# A QS record's category: QSCAT, with " / QSSCAT" when that is given ([qs] category, subcategory); {q} the alias.
CATEGORY_KEY = (
    "upper(trim(coalesce({q}category, ''))) || coalesce(' / ' || nullif(upper(trim({q}subcategory)), ''), '')"
)
# ISO 8601 shapes: a full date (with or without a time), a year and month, a year.
FULL, MONTH, YEAR = r"\d{4}-\d{2}-\d{2}([T ].*)?", r"\d{4}-\d{2}", r"\d{4}"
DAYS_PER_MONTH = 365.25 / 12
# What a study without the Villalta items in QS is told (the public CDISC pilot, an Alzheimer trial).
NOT_PTS = (
    "this does not look like a post-thrombotic syndrome study: a PTS study needs, per visit, the 11 Villalta items "
    "and ulcer status in QS, DM arms mapped to stent or medical ([values.arm]), and the baseline anatomy in SUPPDM "
    "([qualifiers]: index limb, obstruction site, stenosis %, months since DVT, CEAP class)"
)

# The keys of the profile's sections that name contract columns (they become SQL names: no others).
QUALIFIER_COLUMNS = (
    "bmi",
    "limb_side",
    "months_since_dvt",
    "dvt_date",
    "obstruction_site",
    "stenosis_pct",
    "lesion_length_mm",
    "ceap_c",
)
PROCEDURE_COLUMNS = ("technical_success", "stents_placed", "max_stent_diameter_mm", "below_inguinal_ligament")
VISIT_COLUMNS = (*contract_columns("visits")[3:], "villalta_total")
# [qs] key -> the contract columns of one instrument: where a QSTESTCD of these columns occurs under several
# categories (QSCAT, or QSCAT / QSSCAT), the key names the instrument's category, whose records are read.
INSTRUMENT_KEYS = {
    "villalta_category": (*VILLALTA_ITEMS, "ulcer_present", "villalta_total"),
    "vcss_category": ("vcss",),
}

# role -> (profile section, the keys it reads, the keys that may be absent from the dataset)
SUPP_KEYS = ("subject", "idvar", "idvarval", "qnam", "qval")
ROLE_KEYS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "dm": (
        "dm",
        (
            "patient_id",
            "study_id",
            "center_id",
            "arm",
            "enrolled_on",
            "age_years",
            "sex",
            "last_contact_date",
            "death_date",
        ),
        ("death_date",),
    ),
    "suppdm": ("supp", SUPP_KEYS, ("idvar", "idvarval")),
    "sv": ("sv", ("subject", "visitnum", "date"), ()),
    "qs": (
        "qs",
        (
            "subject",
            "test_code",
            "numeric_result",
            "coded_result",
            "original_result",
            "visitnum",
            "visit",
            "date",
            "baseline_flag",
            "derived_flag",
            "status",
            "reason",
            "sequence",
            "category",
            "subcategory",
        ),
        (
            "coded_result",
            "original_result",
            "visitnum",
            "visit",
            "date",
            "baseline_flag",
            "derived_flag",
            "status",
            "reason",
            "sequence",
            "category",
            "subcategory",
        ),
    ),
    "ae": (
        "ae",
        ("subject", "term", "start_date", "serious", "outcome", "death_flag", "end_date"),
        ("outcome", "death_flag", "end_date"),
    ),
    "pr": ("pr", ("subject", "term", "start_date", "sequence"), ("sequence",)),
    "supppr": ("supp", SUPP_KEYS, ("idvar",)),
    "ds": ("ds", ("subject", "term", "date"), ()),
    "suppqs": ("supp", SUPP_KEYS, ()),
}

# The keys without which a role's records cannot be read at all (the subject, what a record is); a
# dataset lacking another key is still read and checked, that key's contract columns left empty.
ESSENTIAL: dict[str, tuple[str, ...]] = {
    "dm": ("patient_id",),
    "suppdm": SUPP_KEYS,
    "sv": ROLE_KEYS["sv"][1],
    "qs": ("subject", "test_code", "numeric_result"),
    "ae": ("subject", "term"),
    "pr": ("subject", "term"),
    "supppr": SUPP_KEYS,
    "ds": ("subject", "term"),
    "suppqs": SUPP_KEYS,
}
# role.key -> the contract columns (table, column) a missing variable leaves empty; None: in the
# records of every file (the reference date dates every record), else in the role's own.
ABSENT: dict[str, tuple[bool, tuple[tuple[str, str], ...]]] = {
    "dm.study_id": (False, (("patients", "study_id"), ("studies", "study_id"))),
    "dm.center_id": (False, (("patients", "center_id"),)),
    "dm.arm": (False, (("patients", "arm"),)),
    "dm.age_years": (False, (("patients", "age_years"),)),
    "dm.sex": (False, (("patients", "sex"),)),
    "dm.last_contact_date": (False, (("patients", "last_contact_day"),)),
    "dm.enrolled_on": (
        True,
        (
            ("patients", "enrolled_on"),
            ("patients", "last_contact_day"),
            ("visits", "visit_day"),
            ("procedures", "procedure_day"),
            ("events", "event_day"),
        ),
    ),
    "ae.start_date": (False, (("events", "event_day"),)),
    "ae.serious": (False, (("events", "serious"),)),
    "pr.start_date": (False, (("procedures", "procedure_day"), ("events", "event_day"))),
    "ds.date": (False, (("events", "event_day"),)),
}

# section -> the keys an sdtm profile may set in it (None: any key, checked where it is read); a key
# not listed is a warning naming it (a misspelt key would otherwise be silently ignored).
VALUE_MAPS = ("arm", "sex", "limb_side", "obstruction_site", "ceap_c", "flag", "event_type", "pr_event")
PROFILE_KEYS: dict[str, tuple[str, ...]] = {
    "datasets": tuple(ROLE_KEYS),
    "study": ("design", "visit_months", "description", "study_name"),
    "dm": ROLE_KEYS["dm"][1],
    "supp": SUPP_KEYS,
    "qualifiers": QUALIFIER_COLUMNS,
    "population": ("exclude_arms", "exclude_blank_reference_date", "flag_qnam"),
    "sas": ("encoding",),  # the text encoding of .xpt and .sas7bdat files (readers.Reader)
    "values": (*VALUE_MAPS, *VISIT_COLUMNS),
    "dates": (
        "partial",
        "formats",
        "excel_serial",
        "baseline_before_reference",
    ),  # the last: [qs] early_baseline's old name
    "visits": ("VISITNUM", "VISIT"),
    "qs": (
        *ROLE_KEYS["qs"][1],
        "retest",
        "early_baseline",
        "not_done",
        "testcd",
        "laterality",
        *INSTRUMENT_KEYS,
    ),
    "sv": ROLE_KEYS["sv"][1],
    "ae": ROLE_KEYS["ae"][1],
    "pr": (*ROLE_KEYS["pr"][1], "index_terms", "event_serious"),
    "procedure": PROCEDURE_COLUMNS,
    "ds": (*ROLE_KEYS["ds"][1], "death_terms"),
    "derive": ("ulcer_healed",),
}


def vocabulary(column: str) -> list[str]:
    """The values the contract holds for a coded column (a value map's targets), in its spelling."""
    if column == "flag":
        return ["true", "false"]
    contract = validation.contract()
    table, name = ("events", "event_type") if column in ("event_type", "pr_event") else ("", column)
    table = table or next(t for t in ("patients", "visits") if column in contract.columns[t])
    if contract.columns[table][name].type == "BOOLEAN":
        return ["true", "false"]
    for t, c, expression in contract.checks:
        if t == table and c == name and " IN (" in expression:
            return re.findall(r"'([^']*)'", expression)
    return []


def number_range(column: str) -> str | None:
    """A numeric contract column's range as the contract states it ("v_pain BETWEEN 0 AND 3"), or
    "a number" without one; None for a column that is not numeric (a word, a flag)."""
    contract = validation.contract()
    table = next((t for t in ("visits", "patients") if column in contract.columns[t]), None)
    if table is None or contract.columns[table][column].type not in ("SMALLINT", "INTEGER", "DOUBLE"):
        return None
    return next((e for t, c, e in contract.checks if t == table and c == column), "any number")


class SdtmMapper(Mapper):
    """DM + SUPPDM -> studies and patients; QS (+ SV dates) -> visits; PR + SUPPPR -> procedures;
    AE, PR, DS and DM -> events."""

    def run(self, facts: DatasetFacts) -> None:
        self.add_dataset_info(facts)
        self._check_keys()
        self.partial = str(self.profile.section("dates").get("partial", "refuse"))
        if self.partial not in PARTIAL_RULES:
            self._error("sdtm:profile", self.profile.name, f"[dates] partial must be one of {PARTIAL_RULES}")
            self.partial = "refuse"
        self.names: dict[str, dict[str, str]] = {}  # role -> key -> the source variable
        self.sources: dict[str, list[Staged]] = {}  # role -> its datasets
        self.labels: dict[str, str] = {}  # role -> the dataset name(s) the messages show
        self.unread: set[str] = set()  # roles with a dataset that lacks an essential variable (_gather)
        self.lacking: dict[str, set[str]] = {}  # role -> the other keys a dataset of it lacks (read as empty)
        self.qs_leg_vars: dict[str, None] = {}  # the QS variables read as each record's leg ([qs] laterality)
        self.qs_unread_leg_vars: dict[str, None] = {}  # QS's --LAT that [qs] laterality does not name
        usable = {role: self._gather(role) for role in ROLE_KEYS}
        if not usable["dm"]:
            for table in TABLES[1:]:
                self.create_empty(table)
            self._qs_items(usable["qs"])  # a study that is not a PTS study is named even without DM
            return
        self._population()
        self.add_studies("SELECT DISTINCT study_id FROM sdtm_subjects", self.profile.section("study"), self._file("dm"))
        self._patients(usable["suppdm"])
        self._visits(usable["qs"], usable["sv"], usable["suppqs"])
        self._procedures(usable["pr"], usable["supppr"])
        self._events(usable["ae"], usable["pr"], usable["ds"])

    def _check_keys(self) -> None:
        """A section or key an sdtm profile does not have: a warning naming it (and the closest key)."""
        self.check_profile_keys(PROFILE_KEYS, "an sdtm")

    # --- gathering --------------------------------------------------------------------------------

    def _sources(self, role: str) -> list[Staged]:
        spec = self.profile.section("datasets").get(role, {})
        given = spec.get("names", [role]) if isinstance(spec, dict) else [role]
        names = [str(n).lower() for n in ([given] if isinstance(given, str) else given)]
        required = bool(spec.get("required", False)) if isinstance(spec, dict) else False
        found = [s for s in self.staged if s.name.lower() in names]
        self.used |= {s.file for s in found}  # a dataset no role takes is counted as not read (unused_sources)
        if not found and required:
            seen = ", ".join(sorted({s.name for s in self.staged})) or "none"
            self._error(
                "file:missing",
                "/".join(names).upper(),
                f"no dataset named {' or '.join(n.upper() for n in names)} ({role.upper()} role, required); "
                f"datasets found: {seen}; name it in [datasets] {role} of a copy of the profile"
                + (f". If the study has no QS, {NOT_PTS}" if role == "qs" else ""),
            )
        return found

    def _gather(self, role: str) -> bool:
        """sdtm_<role>: the records of every dataset of the role, in the profile's key names."""
        section, keys, optional = ROLE_KEYS[role]
        names = {k: str(v) for k in keys if (v := self.profile.section(section).get(k))}
        self.names[role] = names
        sources = self._sources(role)
        self.sources[role] = sources
        self.labels[role] = "/".join(s.name.upper() for s in sources) or role.upper()
        parts = []
        for src in sources:
            missing = [k for k in keys if k not in optional and not (k in names and src.has(names[k]))]
            if missing:
                wanted = ", ".join(
                    f"{names[k]} ([{section}] {k})" if k in names else f"([{section}] {k} not set)" for k in missing
                )
                extra = [k for k in optional if k in names and not src.has(names[k])]
                note = f"; optional, absent: {', '.join(names[k] for k in extra)}" if extra else ""
                if any(k not in names for k in missing) and not self.profile.extends:
                    note += (
                        '; or add extends = "sdtm" under [profile] to take the keys this profile does not set '
                        "from the built-in sdtm profile"
                    )
                # All problems at once: without an essential key nothing of the dataset can be read, else
                # it is read and checked without the missing ones, and the message says which wait.
                blocked = [k for k in missing if k in ESSENTIAL[role]]
                if blocked:
                    later = f"nothing else of {src.name.upper()} is checked until it is named" + (
                        " (nor any other dataset: DM gives the subjects)" if role == "dm" else ""
                    )
                else:
                    later = f"{src.name.upper()} is checked without it; {LATER}"
                self.issues.add(
                    Issue.file_level(
                        ERROR,
                        f"columns:{src.name}",
                        src.file,
                        f"{src.name.upper()} lacks variable(s) {wanted}: name the variable in a copy of the "
                        f"profile{note}; {later}",
                        1,
                    )
                )
                if blocked:
                    self.unread.add(role)
                    continue
                self.lacking.setdefault(role, set()).update(missing)
                for key in missing:
                    every, columns = ABSENT.get(f"{role}.{key}", (False, ()))
                    self.absent(None if every else src.file, columns)
            cols = ", ".join(
                f"{src.ref(names[k]) if k in names and src.has(names[k]) else 'NULL'} AS {k}" for k in keys
            )
            if role == "qs":
                cols += self._qs_leg_variables(src)
            parts.append(f"SELECT {cols}, _file, _line FROM {src.table}")
        if not parts:
            blank: tuple[str, ...] = ("laterality", "unread_lat") if role == "qs" else ()
            cols = ", ".join(f"NULL::VARCHAR AS {k}" for k in (*keys, *blank))
            self.con.execute(
                f"CREATE OR REPLACE TABLE sdtm_{role} AS SELECT {cols}, '' AS _file, 0::BIGINT AS _line LIMIT 0"
            )
            return False
        self.con.execute(f"CREATE OR REPLACE TABLE sdtm_{role} AS {' UNION ALL '.join(parts)}")
        return True

    def _qs_leg_variables(self, src: Staged) -> str:
        """The leg of a QS record written in QS itself (SDTM's --LAT, QSLAT; review 18, finding 1): the first
        name of [qs] laterality that is a variable of `src` is read as its leg (column laterality); where none
        is, QS's own --LAT variable (the prefix of [qs] test_code + LAT), if it has one, is kept as unread_lat,
        so that two legs' records are never taken as retests of each other."""
        given = self.profile.section("qs").get("laterality", [])
        names = [str(q) for q in ([given] if isinstance(given, str) else given) if str(q).strip()]
        read = next((n for n in names if src.has(n)), None)
        if read:
            self.qs_leg_vars.setdefault(read.upper(), None)
        testcd = self.names["qs"].get("test_code", "")
        standard = testcd[: -len("TESTCD")] + "LAT" if testcd.upper().endswith("TESTCD") else ""
        unread = standard if not read and standard and src.has(standard) else None
        if unread:
            self.qs_unread_leg_vars.setdefault(unread.upper(), None)
        return (
            f", {src.ref(read) if read else 'NULL::VARCHAR'} AS laterality, "
            f"{src.ref(unread) if unread else 'NULL::VARCHAR'} AS unread_lat"
        )

    # --- messages and dates -----------------------------------------------------------------------

    def _error(self, rule: str, file: str, message: str) -> None:
        self.issues.add(Issue.file_level(ERROR, rule, file, message))

    def _file(self, role: str) -> str:
        (file,) = self.con.execute(f"SELECT coalesce(min(_file), '') FROM sdtm_{role}").fetchone() or ("",)
        return str(file) or self.labels.get(role, role.upper())

    def _var(self, role: str, key: str) -> str:
        """How a message names a variable: DATASET.VARIABLE ([section] key)."""
        section = ROLE_KEYS[role][0] if role in ROLE_KEYS else role
        return f"{self.labels[role]}.{self.names[role].get(key, '?')} ([{section}] {key})"

    def _issues(
        self,
        severity: str,
        rule: str,
        table: str,
        record: str,
        role: str,
        key: str,
        value: str,
        message: str,
        where: str,
        params: dict[str, Any] | None = None,
        at: tuple[str, str] = ("_file", "_line"),
    ) -> None:
        """One issue per row of `table` matching `where`, at its file and line (`at`: the columns that
        hold them, when the value comes from another dataset than the row's, as a SUPPDM qualifier)."""
        self.con.execute(
            f"INSERT INTO issues SELECT $severity, $rule, {at[0]}, {at[1]}, {record}, $column, "
            f"CAST({value} AS VARCHAR), "
            f"$message FROM {table} WHERE {where}",
            {"severity": severity, "rule": rule, "column": self.names[role].get(key, key), "message": message}
            | (params or {}),
        )

    def _date(self, expr: str) -> str:
        """The date an ISO 8601 --DTC text stands for; a partial one completed by [dates] partial (or NULL):
        the importer's one date rule (formats.base.date_macro)."""
        return f"pts_date({expr})"

    def _check_dates(self, role: str, key: str, table: str | None = None, full_elsewhere: str = "") -> None:
        """Dates that are not ISO 8601 are errors; partial ones are refused (errors) or imputed (one
        warning with the count per file), as [dates] partial says; a partial one `full_elsewhere` (SQL) says
        another dataset dates fully (a QS record's visit in SV) is neither: that date is used."""
        if key not in self.names[role]:
            return
        table = table or f"sdtm_{role}"
        var = self._var(role, key)
        record = "subject" if role != "dm" else "patient_id"
        is_partial = f"(regexp_full_match({key}, '{MONTH}') OR regexp_full_match({key}, '{YEAR}'))"
        if full_elsewhere:
            self._sv_dated_partials(table, key, var, is_partial, full_elsewhere)
            is_partial = f"({is_partial} AND NOT {full_elsewhere})"
        self._issues(
            ERROR,
            f"sdtm:date.{key}",
            table,
            record,
            role,
            key,
            key,
            f"{var} is not an ISO 8601 date (YYYY-MM-DD, or a partial YYYY-MM or YYYY)",
            f"{key} IS NOT NULL AND NOT {is_partial} AND {self._date(key)} IS NULL",
        )
        # A date the lenient reading takes although it is not ISO 8601 ("2021-11-2"): read, and said.
        formats = [str(f) for f in self.profile.section("dates").get("formats", [])]
        by_format = (
            "try_strptime({k}, [{f}]) IS NULL".format(k=key, f=", ".join("'" + f + "'" for f in formats))
            if formats
            else "TRUE"
        )
        self._issues(
            WARNING,
            f"sdtm:date_not_iso.{key}",
            table,
            record,
            role,
            key,
            f"{key} || ' (read as ' || CAST({self._date(key)} AS VARCHAR) || ')'",
            f"{var} is not written as ISO 8601 (YYYY-MM-DD, two digits for month and day): read as the date in "
            "brackets; correct it in the source if that is not the date meant",
            f"{key} IS NOT NULL AND NOT regexp_full_match({key}, '{FULL}') AND NOT {is_partial} AND "
            f"{self._date(key)} IS NOT NULL AND {by_format}",
        )
        if self.partial == "refuse":
            self._issues(
                ERROR,
                f"sdtm:partial_date.{key}",
                table,
                record,
                role,
                key,
                key,
                f"{var} is a partial date: complete it in the source, or impute it with [dates] partial = "
                '"first" or "middle" in a copy of the profile',
                f"{key} IS NOT NULL AND {is_partial}",
            )
            return
        rows = self.con.execute(
            f"SELECT _file, count(*), string_agg(DISTINCT {key}, ', ' ORDER BY {key}) FROM {table} WHERE {key} IS "
            f"NOT NULL AND {is_partial} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        for file, n, example in rows:
            self.issues.add(
                Issue(
                    WARNING,
                    f"sdtm:imputed_date.{key}",
                    str(file),
                    None,
                    "",
                    self.names[role][key],
                    str(example),
                    f'{counted(n, f"partial {var} date")} imputed by [dates] partial = "{self.partial}" '
                    f"({IMPUTED[self.partial]})",
                )
            )

    def _sv_dated_partials(self, table: str, key: str, var: str, is_partial: str, full_elsewhere: str) -> None:
        """Partial QS dates whose visit SV dates fully: SV's date is used, one warning per file (review 16, finding
        6: "2022-04" was imputed to the 15th although SVSTDTC gave 2022-04-25)."""
        rows = self.con.execute(
            f"SELECT _file, count(*), string_agg(DISTINCT {key}, ', ' ORDER BY {key}) FROM {table} WHERE {key} IS "
            f"NOT NULL AND {is_partial} AND {full_elsewhere} GROUP BY 1 ORDER BY 1"
        ).fetchall()
        sv = self._var("sv", "date") if "date" in self.names["sv"] else "SVSTDTC"
        for file, n, example in rows:
            self.issues.add(
                Issue(
                    WARNING,
                    f"sdtm:partial_date_from_sv.{key}",
                    str(file),
                    None,
                    "",
                    self.names["qs"].get(key, key),
                    str(example),
                    f"{counted(n, f'partial {var} date')} at a visit SV dates in full: the visit's {sv} is used "
                    "(neither imputed nor refused)",
                )
            )

    def _drop_steps(self, table: str, steps: list[tuple[str, bool]]) -> None:
        """The funnel of `table`, whose `step` column numbers the rule (1-based in `steps`) that set a
        record aside."""
        rows = self.con.execute(
            f"SELECT _file, step, count(*) FROM {table} WHERE step IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        for file, step, n in rows:
            name, loss = steps[int(step) - 1]
            self.funnel.drop(str(file), name, int(n), loss=loss)

    def _known(self, section: str, allowed: tuple[str, ...]) -> dict[str, str]:
        """A section's contract column -> source name entries; a key that is not one of `allowed` is an error."""
        entries = {str(k): v for k, v in self.profile.section(section).items() if not isinstance(v, dict)}
        unknown = [k for k in entries if k not in allowed]
        if unknown:
            self._error(
                "sdtm:profile",
                self.profile.name,
                f"[{section}] {', '.join(unknown)}: not a column this section fills (it fills {', '.join(allowed)})",
            )
        return {k: str(v) for k, v in entries.items() if k in allowed}

    def _upper_values(self, column: str) -> dict[str, str]:
        return {k.upper(): v for k, v in self.profile.values(column).items()}

    def _map(self, raw: str, column: str, b: Bind, values: dict[str, str] | None = None) -> str:
        """`raw` through the value map of `column` (its keys compared in upper case); a value the map
        does not hold passes as the file writes it, so the contract's checks quote it unchanged."""
        mapping = self._upper_values(column) if values is None else values
        if not mapping:
            return raw
        sources, targets = b(list(mapping)), b(list(mapping.values()))
        # A code written as a number by pandas or R ("1.0") matches the key "1" (as Mapper.mapped).
        whole = f"regexp_replace(upper({raw}), '^(-?[0-9]+)\\.0+$', '\\1')"
        return (
            f"coalesce(list_extract({targets}, list_position({sources}, upper({raw}))), "
            f"list_extract({targets}, list_position({sources}, {whole})), {raw})"
        )

    def _unmapped(
        self,
        table: str,
        record: str,
        role: str,
        key: str,
        expr: str,
        column: str,
        only: str = "TRUE",
        at: tuple[str, str] = ("_file", "_line"),
    ) -> None:
        """Values of a coded column that its value map does not hold and that are not already in the
        contract's spelling (C4a, true): an error naming the map, quoting the value as the file has it."""
        mapping = self._upper_values(column)
        allowed = vocabulary(column)
        # A score or measurement (a Villalta item) whose map holds its words (MILD) may also be written as the
        # number it is: a number is no value the map lacks (the contract's range check reads it).
        range_ = number_range(column)
        contract = f"a number ({range_})" if range_ else f"one of the contract's ({', '.join(allowed)})"
        numeric = f" AND try_cast({expr} AS DOUBLE) IS NULL" if range_ else ""
        self._issues(
            ERROR,
            f"sdtm:values.{column}",
            table,
            record,
            role,
            key,
            expr,
            f"{self._var(role, key) if key in self.names[role] else key}: the value is neither in "
            f"[values.{column}] (it maps {', '.join(self.profile.values(column)) or 'nothing'}) nor {contract}; "
            "map it there in a copy of the profile"
            + (", or leave the arm out with [population] exclude_arms" if column == "arm" else ""),
            f"{only} AND {expr} IS NOT NULL AND NOT list_contains($keys, upper({expr})) AND NOT "
            f"list_contains($allowed, CAST({expr} AS VARCHAR)){numeric}",
            {"keys": list(mapping), "allowed": allowed} | ({"only_column": column} if "$only_column" in only else {}),
            at,
        )

    # --- DM: the population and the patients ----------------------------------------------------

    def _population(self) -> None:
        """sdtm_subjects: the DM records kept; the others counted (screen failures, arms left out)."""
        population = self.profile.section("population")
        excluded = [str(a).upper() for a in population.get("exclude_arms", [])]
        # Without the reference date variable every subject would look never randomized: not applied
        # (the missing variable is already an error).
        blank = bool(population.get("exclude_blank_reference_date", False))
        blank = blank and "enrolled_on" not in self.lacking.get("dm", set())
        flag = str(population["flag_qnam"]).upper() if population.get("flag_qnam") else None
        reference = self.names["dm"].get("enrolled_on", "reference date")
        self._check_dates("dm", "enrolled_on")
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_dm AS SELECT *, CASE WHEN list_contains($arms, upper(arm)) THEN 1 "
            "WHEN $blank AND enrolled_on IS NULL THEN 2 WHEN $flag IS NOT NULL AND patient_id NOT IN (SELECT "
            "subject FROM sdtm_suppdm WHERE upper(qnam) = $flag AND upper(qval) = 'Y') THEN 3 END AS step FROM sdtm_dm",
            {"arms": excluded, "blank": blank, "flag": flag},
        )
        self._drop_steps(
            "sdtm_dm",
            [
                ("population: arm left out ([population] exclude_arms)", False),
                (f"population: no {reference} ([population] exclude_blank_reference_date)", False),
                (f"population: {self.labels['suppdm']} QNAM {flag} is not Y ([population] flag_qnam)", False),
            ],
        )
        for file, arms, n in self.con.execute(
            "SELECT _file, string_agg(DISTINCT coalesce(arm, '(blank)'), ', ' ORDER BY coalesce(arm, '(blank)')), "
            "count(*) FROM sdtm_dm WHERE step IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).fetchall():
            rules = (
                f"arm in [population] exclude_arms, or no {reference} with [population] exclude_blank_reference_date"
            )
            rules += f", or QNAM {flag} not Y with [population] flag_qnam" if flag else ""
            self.issues.add(
                Issue(
                    WARNING,
                    "sdtm:population",
                    str(file),
                    None,
                    "",
                    self.names["dm"].get("arm", ""),
                    str(arms),
                    f"{counted(n, 'subject')} left out of the population ({rules}); their records in other "
                    "datasets are not imported",
                )
            )
        self._arms_lost(reference)
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_subjects AS SELECT * EXCLUDE (step) FROM sdtm_dm WHERE step IS NULL"
        )
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_left_out AS SELECT DISTINCT patient_id FROM sdtm_dm WHERE step IS NOT NULL"
        )
        self._unmapped("sdtm_subjects", "patient_id", "dm", "arm", "arm", "arm")
        self._unmapped("sdtm_subjects", "patient_id", "dm", "sex", "sex", "sex")
        for key in ("last_contact_date", "death_date"):
            self._check_dates("dm", key, "sdtm_subjects")

    def _arms_lost(self, reference: str) -> None:
        """The blank reference date losing a whole arm, or most subjects of the arms, is an error, never a warning
        lumped with the screen failures (review 18, finding 4: a device trial's RFSTDTC, the stent's date, blank for
        the whole medical arm; 3 stent patients imported as a randomized trial). One error per arm naming its
        subjects, the variable and the key, and the DM dates these subjects have. (An arm [population] flag_qnam
        leaves out is the profile's choice, said by the population warning.)"""
        b = Bind()
        rows = self.con.execute(
            f"SELECT arm_to, string_agg(DISTINCT arm, ', ' ORDER BY arm), count(*), count(*) FILTER (WHERE step IS "
            "NULL), list(patient_id ORDER BY patient_id) FILTER (WHERE step = 2), min(_file) FROM (SELECT *, "
            f"{self._map('arm', 'arm', b)} AS arm_to FROM sdtm_dm) WHERE list_contains({b(vocabulary('arm'))}, "
            "arm_to) AND coalesce(step, 0) <> 1 GROUP BY 1 ORDER BY 1",
            b.params,
        ).fetchall()
        in_arms = sum(int(r[2]) for r in rows)
        most = 2 * sum(len(r[4] or []) for r in rows) > in_arms  # most subjects of the arms left out
        for arm, values, n, kept, undated, file in rows:
            if not undated or (kept and not most):
                continue
            lost = f"all its {counted(int(n), 'subject')}" if not kept else f"{len(undated)} of its {int(n)} subjects"
            shown = first_five(undated)
            self.issues.add(
                Issue(
                    ERROR,
                    "sdtm:population_arm",
                    str(file),
                    None,
                    shown,
                    self.names["dm"].get("arm", ""),
                    str(values),
                    f"the {arm} arm ({values} in {self._var('dm', 'arm')}) loses {lost} to [population] "
                    f"exclude_blank_reference_date: {self._var('dm', 'enrolled_on')} is blank for them. Every study "
                    "day counts from that date: set [dm] enrolled_on to a date these subjects have (randomization or "
                    "consent; in a device trial RFSTDTC, the first study treatment, is blank for the control arm) in "
                    f"a copy of the profile. {self._dated_instead(list(undated), reference)}. Or, if the arm is not "
                    "to be imported, leave it out with [population] exclude_arms",
                )
            )

    def _dated_instead(self, subjects: list[str], reference: str) -> str:
        """What a message on subjects without the reference date says of the dates they have: the DM --DTC
        variables (and SUPPDM QNAMs) holding a date for each of them, never after the reference date where a
        subject has both (an end date is no start), each as the [dm] enrolled_on it would be."""
        found: list[str] = []
        taken = {v.upper() for v in self.names["dm"].values()}
        for src in self.sources.get("dm", []):
            subject = src.ref(self.names["dm"].get("patient_id", ""))
            current = src.ref(reference)
            if subject is None or current is None:
                continue
            for column in src.columns:
                ref = src.ref(column)
                if not column.upper().endswith("DTC") or column.upper() in taken or ref is None:
                    continue
                (ok,) = self.con.execute(
                    f"SELECT count(*) FILTER (WHERE list_contains($subjects, {subject}) AND pts_date({ref}) IS NOT "
                    f"NULL) = len($subjects) AND coalesce(bool_and(pts_date({ref}) <= pts_date({current})), true) "
                    f"FROM {src.table}",
                    {"subjects": subjects},
                ).fetchone() or (False,)
                if ok and column not in found:
                    found.append(column)
        qnams = [
            str(r[0])
            for r in self.con.execute(
                "SELECT upper(qnam) FROM sdtm_suppdm WHERE list_contains($subjects, subject) AND pts_date(qval) IS NOT "
                "NULL GROUP BY 1 HAVING count(DISTINCT subject) = len($subjects) ORDER BY 1",
                {"subjects": subjects},
            ).fetchall()
        ]
        dm, supp = self.labels["dm"], self.labels["suppdm"]
        said = [f'{dm}.{c} ([dm] enrolled_on = "{c}")' for c in found]
        text = f"{' and '.join(said)} {'holds' if len(said) == 1 else 'hold'} a date for each of them" if said else ""
        if qnams:
            text += (
                f"{'; ' if text else ''}{supp} QNAM {', '.join(qnams)} {'holds' if len(qnams) == 1 else 'hold'} one "
                f"too, which [dm] enrolled_on cannot read (it names a DM variable)"
            )
        return (text[0].upper() + text[1:]) if text else f"No {dm} date variable holds a date for each of them"

    def _qualifiers(self, suppdm: bool) -> tuple[dict[str, str], str]:
        """The select expressions of the [qualifiers] columns, and the joins they need."""
        quals = {c: q for c, q in self._known("qualifiers", QUALIFIER_COLUMNS).items() if q.strip()}  # "": none
        optional = {c.name for c in validation.contract().columns["patients"].values() if not c.not_null}
        b_params: dict[str, Any] = {}
        pivots, joins, select = [], [], {}
        located: list[str] = []  # the qualifiers read from SUPPDM records, each with its file and line
        present = (
            {r[0] for r in self.con.execute("SELECT DISTINCT upper(qnam) FROM sdtm_suppdm").fetchall()}
            if suppdm
            else set()
        )
        for i, (column, source) in enumerate(quals.items()):
            if "." in source:
                dataset, variable = source.split(".", 1)
                src = next((s for s in self.staged if s.name.lower() == dataset.lower()), None)
                subject = self.names["dm"].get("patient_id", "USUBJID")
                if src is None or not src.has(variable) or not src.has(subject):
                    self._error(
                        "sdtm:qualifier",
                        dataset,
                        f"[qualifiers] {column} = {source!r}: no dataset {dataset.upper()} with variables "
                        f"{subject} and {variable}; name another in a copy of the profile",
                    )
                    select[column] = "NULL"
                    continue
                joins.append(
                    f"LEFT JOIN (SELECT {src.ref(subject)} AS subject, min({src.ref(variable)}) AS value FROM "
                    f"{src.table} GROUP BY 1) AS x{i} ON x{i}.subject = d.patient_id"
                )
                self.con.execute(
                    f"INSERT INTO issues SELECT 'error', 'sdtm:qualifier_conflict', min(_file), min(_line), "
                    f"{src.ref(subject)}, $variable, string_agg(DISTINCT {src.ref(variable)}, ', '), $message FROM "
                    f"{src.table} GROUP BY {src.ref(subject)} HAVING count(DISTINCT {src.ref(variable)}) > 1",
                    {
                        "variable": variable,
                        "message": f"more than one value of {source} for this subject "
                        f"([qualifiers] {column} reads one per subject)",
                    },
                )
                select[column] = f"x{i}.value"
                continue
            b_params[f"q{i}"] = source.upper()
            pivots.append(f"max(qval) FILTER (WHERE upper(qnam) = $q{i}) AS {column}")
            # Where the qualifier's record is (its own file and line), for the messages on its value.
            pivots.append(f"min(_file) FILTER (WHERE upper(qnam) = $q{i}) AS _file_{column}")
            pivots.append(f"min(_line) FILTER (WHERE upper(qnam) = $q{i}) AS _line_{column}")
            located.append(column)
            select[column] = f"s.{column}"
            # months since DVT, or the DVT date: one of the two is enough
            other = {"months_since_dvt": "dvt_date", "dvt_date": "months_since_dvt"}.get(column)
            if other and other in quals and "." not in quals[other] and quals[other].upper() in present:
                continue
            if not suppdm and not self.sources.get("suppdm"):  # SUPPDM absent: that one error names it
                self.absent(self._file("dm"), [("patients", column)])
                continue
            if source.upper() not in present and suppdm:
                found = ", ".join(sorted(p for p in present if p)[:20]) or "none"
                severity = WARNING if column in optional or column == "dvt_date" else ERROR
                if severity == ERROR:
                    self.absent(self._file("dm"), [("patients", column)])
                self.issues.add(
                    Issue.file_level(
                        severity,
                        f"sdtm:qnam.{column}",  # a rule per qualifier: a summary by rule names each
                        self._file("suppdm"),
                        f"{self.labels['suppdm']} has no record with QNAM = {source!r} ([qualifiers] {column}"
                        f"{', optional' if severity == WARNING else ', required by the contract'}); "
                        f"QNAMs found: {found}"
                        + (_dvt_date_hint(present) if column == "months_since_dvt" else "")
                        + (f"; {LATER}" if severity == ERROR else ""),
                    )
                )
        if pivots:
            self.con.execute(
                f"CREATE OR REPLACE TABLE sdtm_quals AS SELECT subject, {', '.join(pivots)} FROM sdtm_suppdm "
                "GROUP BY subject",
                b_params,
            )
            conflicts = " OR ".join(
                f"count(DISTINCT qval) FILTER (WHERE upper(qnam) = $q{i}) > 1"
                for i in range(len(quals))
                if f"q{i}" in b_params
            )
            self.con.execute(
                "INSERT INTO issues SELECT 'error', 'sdtm:qualifier_conflict', min(_file), min(_line), subject, "
                "'QVAL', string_agg(DISTINCT qnam, ', '), $message FROM sdtm_suppdm GROUP BY subject "
                f"HAVING {conflicts}",
                b_params | {"message": f"more than one QVAL for one QNAM of this subject in {self.labels['suppdm']}"},
            )
            joins.append("LEFT JOIN sdtm_quals AS s ON s.subject = d.patient_id")
        self.located = located
        return select, " ".join(joins)

    def _supp_funnel(self, role: str, qnams: list[str], key: str) -> None:
        """The SUPP-- records no rule reads, counted: those of subjects left out, and QNAMs not mapped."""
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_{role}_steps AS SELECT _file, CASE WHEN subject IN (SELECT patient_id "
            "FROM sdtm_left_out) THEN 1 WHEN NOT list_contains($qnams, upper(qnam)) THEN 2 END AS step "
            f"FROM sdtm_{role}",
            {"qnams": [q.upper() for q in qnams]},
        )
        self._drop_steps(
            f"sdtm_{role}_steps",
            [("subject left out of the population", False), (f"QNAM not mapped ({key})", False)],
        )

    def _patients(self, suppdm: bool) -> None:
        quals, joins = self._qualifiers(suppdm)
        self.names["qualifiers"] = {str(k): str(v) for k, v in self.profile.section("qualifiers").items()}
        self.labels["qualifiers"] = self.labels["suppdm"]
        if suppdm:
            qnams = [str(v) for v in self.profile.section("qualifiers").values() if "." not in str(v) and str(v)]
            flag = self.profile.section("population").get("flag_qnam")
            self._supp_funnel("suppdm", [*qnams, str(flag)] if flag else qnams, "[qualifiers]")
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_patients AS SELECT d.*, "
            f"{', '.join(f'{expr} AS q_{c}' for c, expr in quals.items()) or 'NULL AS q_none'}"
            + "".join(f", s._file_{c} AS _qfile_{c}, s._line_{c} AS _qline_{c}" for c in self.located)
            + f" FROM sdtm_subjects AS d {joins}"
        )
        b = Bind()
        enrolled = self._date("enrolled_on")
        select = {c: c for c in ("patient_id", "study_id", "center_id", "age_years")}
        select["enrolled_on"] = f"CAST({enrolled} AS VARCHAR)"
        for column in ("arm", "sex"):
            select[column] = self._map(column, column, b)
        for column in ("limb_side", "obstruction_site", "ceap_c"):
            if column in quals:
                select[column] = self._map(f"q_{column}", column, b)
                # A value SUPPDM holds is reported at its SUPPDM record, not at the subject's DM record.
                at = (f"_qfile_{column}", f"_qline_{column}") if column in self.located else ("_file", "_line")
                self._unmapped("sdtm_patients", "patient_id", "qualifiers", column, f"q_{column}", column, at=at)
        for column in ("bmi", "stenosis_pct", "lesion_length_mm", "months_since_dvt"):
            if column in quals:
                select[column] = f"q_{column}"
        if "dvt_date" in quals and "enrolled_on" in self.lacking.get("dm", set()):
            self.absent(self._file("dm"), [("patients", "months_since_dvt")])  # months to a date DM lacks
        dvt_qnam = str(self.profile.section("qualifiers").get("dvt_date") or "")
        if suppdm and "dvt_date" in quals and "." not in dvt_qnam:
            # The DVT dates are SUPPDM's: a partial or malformed one is named there, with [dates] partial.
            self.con.execute(
                "CREATE OR REPLACE TABLE sdtm_dvt AS SELECT subject, trim(qval) AS dvt_date, _file, _line FROM "
                "sdtm_suppdm WHERE upper(qnam) = $q AND subject IN (SELECT patient_id FROM sdtm_subjects)",
                {"q": dvt_qnam.upper()},
            )
            self._check_dates("qualifiers", "dvt_date", "sdtm_dvt")
        if "dvt_date" in quals:  # whole months from the DVT date, where no months are given
            dvt = f"date_sub('month', {self._date('q_dvt_date')}, {enrolled})"
            select["months_since_dvt"] = (
                f"coalesce(CAST({select['months_since_dvt']} AS VARCHAR), CAST({dvt} AS VARCHAR))"
                if "months_since_dvt" in quals
                else dvt
            )
        select["last_contact_day"] = f"date_diff('day', {enrolled}, {self._date('last_contact_date')})"
        select |= {"_file": "_file", "_line": "_line"}
        self.create("patients", select, "FROM sdtm_patients", b)

    # --- QS: the visits ---------------------------------------------------------------------------

    def _qs_items(self, usable: bool) -> dict[str, str]:
        """The contract columns the profile maps to QSTESTCDs; an error when QS lacks the Villalta
        items (and a plain statement when it holds none: not a PTS study)."""
        given = self.profile.section("qs").get("testcd", {})
        unknown = [str(k) for k in given if k not in VISIT_COLUMNS]
        if unknown:
            self._error("sdtm:profile", self.profile.name, f"[qs.testcd] {', '.join(unknown)}: not a visits column")
        codes = {str(k): str(v).upper() for k, v in given.items() if k in VISIT_COLUMNS}
        if not usable:
            return codes
        present = {r[0] for r in self.con.execute("SELECT DISTINCT upper(test_code) FROM sdtm_qs").fetchall()}
        needed = {c: codes.get(c) for c in (*VILLALTA_ITEMS, "ulcer_present")}
        absent = [f"{code} ([qs.testcd] {column})" for column, code in needed.items() if code not in present]
        if not absent:
            return codes
        # The one error below names every test QS lacks: their empty visit columns are not reported again.
        self.absent(None, [("visits", c) for c, code in needed.items() if code not in present])
        seen = self.con.execute("SELECT DISTINCT test_code FROM sdtm_qs WHERE test_code IS NOT NULL").fetchall()
        found = ", ".join(sorted(str(r[0]) for r in seen)[:15]) or "none"  # as the file writes them
        if all(code not in present for code in (codes.get(c) for c in VILLALTA_ITEMS)):
            # The fix first (the sponsor may code the items otherwise), then what a PTS study needs.
            message = (
                f"{self._var('qs', 'test_code')}: no test the profile names for the Villalta items is in "
                f"{self.labels['qs']} (QSTESTCDs found: {found}): name the sponsor's codes in [qs.testcd] of a copy "
                "of the profile (now "
                f"{', '.join(f'{c} = {codes.get(c)!r}' for c in (*VILLALTA_ITEMS, 'ulcer_present'))}). If "
                f"{self.labels['qs']} holds no Villalta item, {NOT_PTS}. The results and visits of "
                f"{self.labels['qs']} are checked once its tests are named"
            )
            self.qs_stopped = True
        elif codes.get("villalta_total") in present and len(absent) >= len(VILLALTA_ITEMS):
            message = (
                f"{self.labels['qs']} holds a Villalta total but not the 11 items; the contract needs every item "
                "(a total alone cannot be split into items)"
            )
        else:
            message = (
                f"{self.labels['qs']}.{self.names['qs'].get('test_code')}: test(s) {', '.join(absent)} not found; "
                f"name the sponsor's codes in [qs.testcd] of a copy of the profile (QSTESTCDs found: {found})"
            )
        self._error("sdtm:items", self._file("qs"), message)
        return codes

    def _visits(self, qs: bool, sv: bool, suppqs: bool = False) -> None:
        # QS unread (a variable lacks) or absent (already an error): no visit can come, and "no visits" is not
        # said again.
        self.qs_stopped = "qs" in self.unread or not self.sources.get("qs")
        codes = self._qs_items(qs)
        self._qs_visits(qs, sv, codes, suppqs)
        (n,) = self.con.execute("SELECT count(*) FROM raw_visits").fetchone() or (0,)
        if self.qs_stopped and not n:  # the error that stops QS says it all: not also "no visits"
            self.absent(None, [("visits", "*")])

    def _qs_visits(self, qs: bool, sv: bool, codes: dict[str, str], suppqs: bool = False) -> None:
        if not qs:
            if sv:  # SV only dates QS records: without QS every SV record is not used, never kept
                self.con.execute(
                    "CREATE OR REPLACE TABLE sdtm_svr AS SELECT _file, CASE WHEN subject IN (SELECT patient_id FROM "
                    "sdtm_left_out) THEN 1 ELSE 2 END AS step FROM sdtm_sv"
                )
                self._drop_steps(
                    "sdtm_svr",
                    [
                        ("subject left out of the population", False),
                        (f"no {self.labels['qs']} records to date: not used", False),
                    ],
                )
            self.create_empty("visits")
            return
        section = self.profile.section("qs")
        visits = self.profile.section("visits")
        try:
            by_num = {float(k): int(m) for k, m in visits.get("VISITNUM", {}).items() if m != ""}
            by_name = {str(k).upper(): int(m) for k, m in visits.get("VISIT", {}).items() if m != ""}
        except (TypeError, ValueError, AttributeError):
            self._error(
                "sdtm:profile",
                self.profile.name,
                '[visits] VISITNUM maps visit numbers to whole months ("4" = 6), VISIT visit names to months',
            )
            by_num, by_name = {}, {}
        if not {"visitnum", "visit"} & set(self.names["qs"]):
            self._error(
                "sdtm:profile.visit",
                self.profile.path.name,
                "[qs] visitnum and [qs] visit are not set: no QS record can be placed on a visit of [visits]; set "
                'visitnum = "VISITNUM" (or visit = "VISIT") in the profile'
                + ("" if self.profile.extends else ', or add extends = "sdtm" under [profile]'),
            )
        # Coded tests: those with a value map, and those the contract holds as true/false or words
        # (ulcer Y/N): SDTM gives their result as text in QSSTRESC, QSSTRESN blank.
        numeric = ("SMALLINT", "INTEGER", "DOUBLE")
        coded = [
            c for c in codes if self.profile.values(c) or validation.contract().columns["visits"][c].type not in numeric
        ]
        if coded and not {"coded_result", "original_result"} & set(self.names["qs"]):
            self._error(
                "sdtm:profile.coded_result",
                self.profile.path.name,
                f"[qs] coded_result is not set: the character results of {', '.join(codes[c] for c in coded)} "
                f"([qs.testcd] {', '.join(coded)}) are read from it (QSSTRESC); set it in a copy of the profile",
            )
        retest = str(section.get("retest", "refuse"))
        if retest not in ("refuse", "last"):  # (review 11: "xyz" was taken for "refuse" without a word)
            self._error(
                "sdtm:profile", self.profile.path.name, f'[qs] retest must be "last" or "refuse", not {retest!r}'
            )
            retest = "refuse"
        self._qs_legs(suppqs)
        # A partial QS date at a visit SV dates in full takes SV's date (review 16, finding 6).
        sv_full = bool(sv) and "date" in self.names["sv"] and "visitnum" in self.names["sv"]
        full_in_sv = (
            "EXISTS (SELECT 1 FROM sdtm_sv AS s WHERE s.subject = sdtm_qs.subject AND try_cast(s.visitnum AS DOUBLE) = "
            f"try_cast(sdtm_qs.visitnum AS DOUBLE) AND regexp_full_match(s.date, '{FULL}'))"
            if sv_full
            else ""
        )
        for key in ("date",):
            self._check_dates("qs", key, full_elsewhere=full_in_sv)
        if sv:
            self._check_dates("sv", "date")
            full = f"CASE WHEN regexp_full_match(date, '{FULL}') THEN {self._date('date')} END"
            sv_dates = (
                f"LEFT JOIN (SELECT subject, try_cast(visitnum AS DOUBLE) AS vn, min({self._date('date')}) AS d, "
                f"min({full}) AS full_d FROM sdtm_sv GROUP BY ALL) AS sv ON sv.subject = q.subject AND "
                "sv.vn = try_cast(q.visitnum AS DOUBLE)"
            )
        else:
            sv_dates = "LEFT JOIN (SELECT NULL AS d, NULL AS full_d) AS sv ON false"
        chosen = self._qs_categories(codes)
        b = Bind()
        # The leg a QS variable ([qs] laterality: QSLAT) gives its record, through [values.limb_side]; else SUPPQS's.
        mapped = f"lower({self._map('trim(q.laterality)', 'limb_side', b)})"
        qs_leg = f"CASE WHEN {mapped} IN ('left', 'right') THEN {mapped} END"
        # The contract column of a record: its test code, and, for a code that occurs under several categories,
        # the category of its instrument ([qs] villalta_category, vcss_category: _qs_categories).
        whens = [
            f"WHEN upper(q.test_code) = {b(code)}"
            + (f" AND {CATEGORY_KEY.format(q='q.')} = {b(chosen[column])}" if column in chosen else "")
            + f" THEN {b(column)}"
            for column, code in codes.items()
        ]
        col = f"CASE {' '.join(whens)} END" if whens else "NULL::VARCHAR"
        # A numeric test's result: QSSTRESN, or its text in QSSTRESC when QSSTRESN is blank, or the original
        # result (QSORRES) when neither standardized result is given (a warning names each such record).
        value = (
            f"CASE WHEN list_contains({b(coded)}, col) THEN coalesce(coded_result, original_result) "
            "ELSE coalesce(CAST(numeric_result AS VARCHAR), coded_result, original_result) END"
        )
        scheduled = (
            f"coalesce(list_extract({b(list(by_num.values()))}, list_position({b(list(by_num))}::DOUBLE[], "
            f"try_cast(q.visitnum AS DOUBLE))), list_extract({b(list(by_name.values()))}, "
            f"list_position({b(list(by_name))}::VARCHAR[], upper(q.visit))))"
        )
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_qsr AS SELECT *, {value} AS value, CASE WHEN baseline THEN 0 ELSE scheduled "
            f"END AS month FROM (SELECT q.*, {col} AS col, {CATEGORY_KEY.format(q='q.')} AS category_key, "
            f"{scheduled} AS scheduled, coalesce(upper(q.baseline_flag), "
            f"'') = 'Y' AS baseline, CASE WHEN regexp_full_match(q.date, '{MONTH}|{YEAR}') AND sv.full_d IS NOT "
            f"NULL THEN sv.full_d ELSE coalesce({self._date('q.date')}, sv.d) END AS on_date, "
            f"q.subject IN (SELECT patient_id FROM sdtm_left_out) AS left_out, coalesce({qs_leg}, l.leg) AS leg, "
            f"coalesce({qs_leg}, l.leg) <> lower(p.limb_side) AS other_leg, p.limb_side AS index_limb, "
            f"u.seq IS NOT NULL OR (nullif(trim(q.laterality), '') IS NOT NULL AND {qs_leg} IS NULL) AS leg_unmapped "
            f"FROM sdtm_qs AS q {sv_dates} LEFT JOIN sdtm_qs_legs AS l ON l.subject = q.subject AND "
            "l.seq = try_cast(q.sequence AS DOUBLE) "
            "LEFT JOIN (SELECT DISTINCT subject, seq FROM sdtm_qs_unmapped_legs) AS u ON u.subject = q.subject AND "
            "u.seq = try_cast(q.sequence AS DOUBLE) "
            "LEFT JOIN (SELECT patient_id, any_value(limb_side) AS limb_side FROM raw_patients GROUP BY 1) AS p "
            "ON p.patient_id = q.subject)",
            b.params,
        )
        self._issues(
            WARNING,
            "sdtm:original_result",
            "sdtm_qsr",
            "subject || ' / ' || coalesce(visit, visitnum, '') || ' / ' || test_code",
            "qs",
            "original_result",
            "original_result",
            f"no standardized result ({self.labels['qs']} QSSTRESC and QSSTRESN blank): the original result "
            "(QSORRES) is imported as the score; check that it is on the test's scale",
            "col IS NOT NULL AND NOT left_out AND coalesce(upper(derived_flag), '') <> 'Y' AND numeric_result IS NULL "
            "AND coded_result IS NULL AND original_result IS NOT NULL",
        )
        # The rules, in order: a record counts at the first that sets it aside.
        steps = [
            ("subject left out of the population", False),
            ("test not mapped ([qs.testcd])", False),
            ("derived record (QSDRVFL = Y)", False),
            ("no result (QSSTAT NOT DONE or blank)", True),
            ("visit not in [visits] (unscheduled or unmapped)", True),
            ("baseline: another record of the test is flagged", False),
            ("repeated record with the same result", False),
            ("retest: an earlier result at the same visit", False),
            ("visit with a required item not done ([qs] not_done)", True),
            ("the other leg: not the index limb (patients.limb_side; [qs] laterality)", False),
            ("the other leg's record, which leg to import not known (an error)", True),
        ]
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_qsr AS SELECT *, CASE WHEN left_out THEN 1 WHEN col IS NULL THEN 2 "
            "WHEN coalesce(upper(derived_flag), '') = 'Y' THEN 3 WHEN coalesce(other_leg, FALSE) THEN 10 "
            "WHEN value IS NULL THEN 4 WHEN month IS NULL THEN 5 END AS step FROM sdtm_qsr"
        )
        self._qs_leg_values()
        self._other_legs()
        self.con.execute(
            "UPDATE sdtm_qsr AS r SET step = 6 WHERE step IS NULL AND NOT baseline AND month = 0 AND EXISTS (SELECT 1 "
            "FROM sdtm_qsr AS f WHERE f.step IS NULL AND f.baseline AND f.subject = r.subject AND f.col = r.col)"
        )
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_qsr AS SELECT *, row_number() OVER {LATEST} AS latest, first(value) OVER "
            f"{LATEST} AS kept_value, first({WHEN}) OVER {LATEST} AS kept_when, {WHEN} AS taken_when, "
            f"bool_or(leg_unmapped) OVER {SAME_TEST} AS legs_unmapped, min(leg) OVER {SAME_TEST} AS first_leg, "
            f"max(leg) OVER {SAME_TEST} AS last_leg, count(leg) OVER {SAME_TEST} = count(*) OVER {SAME_TEST} AS "
            f"all_legs, min({RAW_LEG}) OVER {SAME_TEST} AS first_raw_leg, max({RAW_LEG}) OVER {SAME_TEST} AS "
            "last_raw_leg FROM sdtm_qsr "
            "WHERE step IS NULL UNION ALL BY NAME SELECT * FROM sdtm_qsr WHERE step IS NOT NULL"
        )
        self.con.execute(
            "UPDATE sdtm_qsr SET step = CASE WHEN coalesce(try_cast(value AS DOUBLE) = try_cast(kept_value AS DOUBLE), "
            "value = kept_value) THEN 7 ELSE 8 END "
            "WHERE step IS NULL AND latest > 1"
        )
        # Two legs' records are never retests of each other (review 18, finding 1: the other leg's, QS.QSLAT
        # unread and 5 minutes later, replaced the index leg's as "the latest"): an error where the leg to keep
        # is not known, whatever their times.
        self._two_legs_results()
        # Two different results of one test at one visit taken at the same date and time are no retest: which
        # one to import cannot be told (review 11, N3: the two legs' Villalta, the leg only in SUPPQS, and the
        # contralateral leg's kept as "the latest" by file order). An error naming subject, visit, test and both.
        self._same_time_results(suppqs)
        if retest != "last":
            self._issues(
                ERROR,
                "sdtm:retest",
                "sdtm_qsr",
                "subject || ' / ' || coalesce(visit, visitnum, '')",
                "qs",
                "test_code",
                "test_code",
                f"more than one result for this subject, visit and test in {self.labels['qs']}: keep one in the "
                'source, or set [qs] retest = "last" in a copy of the profile to keep the latest',
                "step = 8",
            )
        else:
            self._issues(
                WARNING,
                "sdtm:retest",
                "sdtm_qsr",
                "subject || ' / ' || coalesce(visit, visitnum, '')",
                "qs",
                "test_code",
                "test_code || ' = ' || coalesce(nullif(trim(value), ''), '(blank)')",
                f"an earlier result of a retested test ({self.labels['qs']}): not imported, the latest is kept "
                '([qs] retest = "last")',
                "step = 8 AND taken_when IS DISTINCT FROM kept_when",
            )
        self._issues(
            WARNING,
            "sdtm:unscheduled",
            "sdtm_qsr",
            "subject",
            "qs",
            "visit",
            "CASE WHEN nullif(trim(visit), '') IS NULL AND nullif(trim(visitnum), '') IS NULL THEN "
            "'(VISIT and VISITNUM blank)' ELSE coalesce(nullif(trim(visit), ''), '(blank)') || ' (VISITNUM ' || "
            "coalesce(nullif(trim(visitnum), ''), '(blank)') || ')' END",
            f"visit in neither [visits] VISITNUM nor VISIT of the profile (unscheduled or unmapped): record of "
            f"{self.labels['qs']} not imported",
            "step = 5",
        )
        for column in coded:
            self._unmapped(
                "sdtm_qsr", "subject", "qs", "coded_result", "value", column, "step IS NULL AND col = $only_column"
            )
        self._not_done(codes, str(section.get("not_done", "refuse")))
        self._drop_steps("sdtm_qsr", steps)
        if sv:
            self._sv_funnel()
        self._visit_days()
        b = Bind()
        select: dict[str, str] = {"patient_id": "subject", "visit_month": "month", "visit_day": "min(day)"}
        for column in codes:
            picked = f"min(value) FILTER (WHERE col = {b(column)})"
            if column == "villalta_total":
                select["_given_villalta_total"] = picked
            elif column in coded:
                select[column] = self._map(picked, column, b)
            else:
                select[column] = picked
        for column in codes:  # each value's own record, for the messages on it (checks._located)
            if column != "villalta_total":
                select[f"_file_{column}"] = f"min(_file) FILTER (WHERE col = {b(column)})"
                select[f"_line_{column}"] = f"min(_line) FILTER (WHERE col = {b(column)})"
        # Whose and which visit a value problem is at, in the source's words (checks.type_tables): a visit
        # gathers many records, and a line alone named neither (review 10 finding 6, review 11).
        subject, visit = self.names["qs"].get("subject", "USUBJID"), self.names["qs"].get("visit", "VISIT")
        select["_where"] = (
            f"{b(subject + ' ')} || min(subject) || {b(', ' + visit + ' ')} || coalesce(min(visit), "
            "'VISITNUM ' || min(visitnum), '(blank)')"
        )
        # The records each visit joins, per file: the funnel counts records, not visits.
        select |= {"_file": "min(_file)", "_line": "min(_line)", "_records": "histogram(_file)"}
        self.create("visits", select, "FROM sdtm_qsr WHERE step IS NULL", b, "GROUP BY subject, month")

    def _qs_categories(self, codes: dict[str, str]) -> dict[str, str]:
        """column -> the category (QSCAT, or "QSCAT / QSSCAT") its records are read from, for each test code that
        occurs under more than one category (review 15, finding 1: the sponsor's PAIN, EDEMA, INDURAT and TOTAL
        under both QSCAT VILLALTA and VCSS; the VCSS items replaced the Villalta items as "retests"). The
        category is the one [qs] villalta_category / vcss_category names (a list of spellings: QSCAT, QSSCAT or
        both as "QSCAT / QSSCAT"); a code whose category is not named, or named ambiguously, is an error naming
        the codes, the categories and the key, never a merge. A code under one category is read as before."""
        names = self.names["qs"]
        if not codes or not {"category", "subcategory"} & set(names):
            return {}
        b = Bind()
        rows = self.con.execute(
            f"SELECT upper(test_code), {CATEGORY_KEY.format(q='')} AS k, count(*), min(_file), min(_line) "
            f"FROM sdtm_qs WHERE list_contains({b(sorted(set(codes.values())))}, upper(test_code)) "
            "GROUP BY ALL ORDER BY 1, 2",
            b.params,
        ).fetchall()
        found: dict[str, list[tuple[str, int, str, int]]] = {}
        for code, key, n, file, line in rows:
            found.setdefault(str(code), []).append((str(key), int(n), str(file), int(line)))
        colliding = {code: keys for code, keys in found.items() if len(keys) > 1}
        if not colliding:
            return {}
        # The variables the categories are told by, as the messages name them: QSSCAT only where it is given.
        both = any(" / " in k for keys in colliding.values() for k, *_ in keys)
        variable = " / ".join(names[k] for k in ("category", "subcategory") if k in names and (both or k == "category"))
        variable = variable or names.get("subcategory", "QSSCAT")
        section = self.profile.section("qs")

        def spellings(key: str) -> list[str]:
            given = section.get(key, [])
            return [str(v).strip().upper() for v in ([given] if isinstance(given, str) else given) if str(v).strip()]

        def shown(key: str) -> str:
            return key if key.strip() else "(blank)"

        chosen: dict[str, str] = {}
        unresolved: dict[str, list[str]] = {}  # code -> its columns no category could be chosen for
        for column, code in codes.items():
            if code not in colliding:
                continue
            key = next((k for k, columns in INSTRUMENT_KEYS.items() if column in columns), None)
            wanted = spellings(key) if key else []
            matched = sorted({k for k, *_ in colliding[code] if any(w in (k, *k.split(" / ")) for w in wanted)})
            if len(matched) == 1:
                chosen[column] = matched[0]
            else:
                unresolved.setdefault(code, []).append(column)
        qs, testcd = self.labels["qs"], names.get("test_code", "QSTESTCD")
        first = min((f, ln) for keys in colliding.values() for _, _, f, ln in keys)
        listing = "; ".join(
            f"{code} ({', '.join(f'[qs.testcd] {c}' for c, v in codes.items() if v == code)}) under {variable} "
            + ", ".join(f"{shown(k)} ({counted(n, 'record')})" for k, n, *_ in keys)
            for code, keys in colliding.items()
        )
        if unresolved:
            now = ", ".join(f"{k} = [{', '.join(json.dumps(v) for v in spellings(k))}]" for k in INSTRUMENT_KEYS)
            instruments = [c for cols in unresolved.values() for c in cols]
            outside = [c for c in instruments if not any(c in cols for cols in INSTRUMENT_KEYS.values())]
            advice = (
                "name the category of each instrument in a copy of the profile: [qs] villalta_category (the Villalta "
                "items, ulcer and total) and [qs] vcss_category (the VCSS), each the "
                f"{variable} value of its instrument's records (now {now})"
            )
            if outside:
                advice += f"; {', '.join(outside)} belong(s) to neither: give its test a code of its own in the source"
            self.issues.add(
                Issue(
                    ERROR,
                    "sdtm:test_categories",
                    first[0],
                    first[1],
                    "",
                    testcd,
                    ", ".join(sorted(unresolved)),
                    f"{qs}.{testcd}: test code(s) that occur under more than one {variable}: {listing}. Records of "
                    "one code under two categories are two different tests (never a retest of each other), and "
                    f"which one [qs.testcd] means cannot be told for {', '.join(sorted(unresolved))}: {advice}; "
                    "the import stops until it is named",
                )
            )
        if chosen:
            by_category: dict[tuple[str, str], list[str]] = {}
            for column, category in chosen.items():
                key = next((k for k, columns in INSTRUMENT_KEYS.items() if column in columns), "")
                by_category.setdefault((category, key), []).append(column)
            read = ", ".join(
                f"{', '.join(columns)} from {variable} {category} ([qs] {key})"
                for (category, key), columns in by_category.items()
            )
            self.issues.add(
                Issue(
                    WARNING,
                    "sdtm:test_categories",
                    first[0],
                    first[1],
                    "",
                    testcd,
                    ", ".join(sorted(colliding)),
                    f"{qs}.{testcd}: test code(s) that occur under more than one {variable}: {listing}. They are "
                    f"different tests: {read}; the records of the other categories are not imported (funnel: "
                    "test not mapped)",
                )
            )
        return chosen

    def _same_time_results(self, suppqs: bool) -> None:
        """Two different results of one test at one visit taken at the same date and time (step 8, no retest):
        an error naming subject, visit, test and both, with the way out that fits what SUPPQS says of their legs
        (review 12, finding 3: the advice to name a QNAM [qs] laterality already named, when the legs were
        unknown only because their QVAL codes L and R were unmapped, or the subject's index limb was blank)."""
        same = "step = 8 AND taken_when IS NOT DISTINCT FROM kept_when"
        shown = (
            "subject || ' ' || coalesce(visit, visitnum, '') || ': ' || test_code || ' = ' || "
            "coalesce(nullif(trim(value), ''), '(blank)') || ' and ' || "
            "coalesce(nullif(trim(kept_value), ''), '(blank)') || ' at ' || coalesce(taken_when, 'no date')"
        )
        what = (
            f"two different results of one test at one visit, taken at the same date and time ({self.labels['qs']}): "
            "neither is a retest of the other (a retest has a later date or time), so the one to import cannot be "
            "told. "
        )
        record = "subject || ' / ' || coalesce(visit, visitnum, '')"
        legs = "/".join(self.leg_qnams)
        supp = self.labels.get("suppqs", "SUPPQS")
        # Their leg is unknown because the QVAL of a leg qualifier is unmapped: that error's cascade, said once.
        rows = self.con.execute(
            "SELECT _file, min(_line), count(*), string_agg(DISTINCT subject || ' ' || coalesce(visit, 'VISITNUM ' || "
            "visitnum, ''), ', ' ORDER BY subject || ' ' || coalesce(visit, 'VISITNUM ' || visitnum, '')), "
            "count(DISTINCT subject || ' ' || coalesce(visitnum, visit, '')) "
            f"FROM sdtm_qsr WHERE {same} AND legs_unmapped GROUP BY 1 ORDER BY 1"
        ).fetchall()
        qnams = ", ".join(self.unmapped_leg_qnams) or legs
        unmapped = (
            f"the QVAL of their leg qualifier {supp} QNAM {qnams} ([qs] laterality) is neither left nor right (the "
            f"error on {supp}.QVAL)"
            if qnams
            else f"their leg, {self._leg_source()} ([qs] laterality), is neither left nor right (the error on "
            f"{self._leg_source()})"
        )
        for file, line, n, visits, n_visits in rows:
            self.issues.add(
                Issue(
                    ERROR,
                    "sdtm:same_time_results",
                    str(file),
                    int(line),
                    "",
                    self.names["qs"].get("subject", ""),
                    str(visits),
                    f"{counted(int(n), 'record')} at {counted(int(n_visits), 'visit')} give a second result of a "
                    f"test at the same date and time, and their leg cannot be told: {unmapped}. Map its values in "
                    "[values.limb_side] of a copy of the profile: the index limb's "
                    "records are then imported, the other leg's set aside",
                )
            )
        no_index = (
            f"{same} AND NOT legs_unmapped AND first_leg <> last_leg AND lower(coalesce(index_limb, '')) NOT IN "
            "('left', 'right')"
        )
        one_leg = f"{same} AND NOT legs_unmapped AND all_legs AND first_leg = last_leg"
        sequence = self.names["qs"].get("sequence", "QSSEQ")
        if self.qs_leg_vars and not self.leg_qnams:  # the profile names a QS variable: blank in these records
            advice = (
                f"[qs] laterality names {self._leg_source()}, but it is blank in some of these records: if they "
                "are the two legs, give each record's leg there; else keep one in the source"
            )
        elif self.leg_qnams:  # the profile names a QNAM SUPPQS has: it gives these records no leg
            advice = (
                f"[qs] laterality names {supp} QNAM {legs}, but it gives no leg to some of these records (linked by "
                f"IDVAR {sequence}, IDVARVAL the record's {sequence}): if they are the two legs, give each record's "
                "leg there; else keep one in the source"
            )
        else:
            given = ", ".join(self.laterality) or "none"
            found = (
                f"{supp} has QNAM {', '.join(self.suppqs_qnams) or '(none)'}"
                if suppqs
                else "no SUPPQS is among the sources"
            )
            advice = (
                "If they are the two legs, name the SUPPQS QNAM that gives each record's leg (QVAL left or right, "
                f"IDVAR {sequence}) in [qs] laterality of a copy of the profile (now {given}; {found}): the index "
                "limb's records (patients.limb_side, which the subject needs) are imported, the other leg's set "
                "aside; else keep one in the source"
            )
        # The other records of step 8, by what SUPPQS says of their legs: (which records, the way out).
        cases = [
            (
                no_index,
                f"They are the two legs ({self._leg_source()}, [qs] laterality), but the subject's index limb "
                "(patients.limb_side) is not known (the error on patients.limb_side or its [qualifiers] QNAM says "
                "why): once it is given, its leg's records are imported, the other leg's set aside",
            ),
            (
                one_leg,
                f"Both are of the same leg, as {self._leg_source()} ([qs] laterality) says: keep one in the source",
            ),
            (
                f"{same} AND NOT legs_unmapped AND NOT coalesce({no_index}, false) AND NOT coalesce({one_leg}, false)",
                advice,
            ),
        ]
        for where, way_out in cases:
            self._issues(
                ERROR, "sdtm:same_time_results", "sdtm_qsr", record, "qs", "test_code", shown, what + way_out, where
            )

    def _leg_source(self) -> str:
        """Where the profile reads the legs from, as messages name it: QS.QSLAT, SUPPQS QNAM QSLAT, or both."""
        found = [f"{self.labels['qs']}.{v}" for v in self.qs_leg_vars]
        if self.leg_qnams:
            found.append(f"{self.labels.get('suppqs', 'SUPPQS')} QNAM {'/'.join(self.leg_qnams)}")
        return " and ".join(found)

    def _qs_leg_values(self) -> None:
        """A leg a QS variable of [qs] laterality (QSLAT) writes that [values.limb_side] does not make left or
        right: one error per file and value, naming the variable, the records and the map (review 18, finding 1)."""
        if not self.qs_leg_vars:
            return
        var = "/".join(self.qs_leg_vars)
        where = "NOT left_out AND col IS NOT NULL AND nullif(trim(laterality), '') IS NOT NULL AND leg IS NULL"
        rows = self.con.execute(
            f"SELECT _file, trim(laterality) AS v, min(_line), count(*), count(DISTINCT subject), "
            f"list(DISTINCT subject ORDER BY subject)[:3] FROM sdtm_qsr WHERE {where} GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        for file, value, line, n, n_subjects, first in rows:
            more = f" and {n_subjects - len(first)} more" if n_subjects > len(first) else ""
            self.issues.add(
                Issue(
                    ERROR,
                    "sdtm:values.laterality",  # the assistant offers a [values.limb_side] box for each value
                    str(file),
                    int(line),
                    f"{', '.join(first)}{more}",
                    var,
                    str(value),
                    f"{self.labels['qs']}.{var} ([qs] laterality, the leg of each record) is neither left nor right "
                    f"in {counted(int(n), 'record')} of {counted(int(n_subjects), 'subject')}: map the value in "
                    "[values.limb_side] of a copy of the profile (it maps "
                    f"{', '.join(self.profile.values('limb_side')) or 'nothing'}), or, if {var} is not the leg, "
                    "leave it out of [qs] laterality",
                )
            )

    def _two_legs_results(self) -> None:
        """A second result of a test at one visit that is of the other leg (step 7 or 8 -> 11): never a retest. Where
        the legs are read but the subject's index limb is not known, and the records are at different times (at
        one time _same_time_results says it), or where QS has its --LAT variable (QSLAT) with two legs and
        [qs] laterality does not name it: one error per file naming the records and the fix."""
        given = ", ".join(self.laterality) or "none"
        cases = [
            (
                "step IN (7, 8) AND NOT legs_unmapped AND first_leg <> last_leg AND taken_when IS DISTINCT FROM "
                "kept_when",
                lambda n, v, _legs: (
                    f"{counted(n, 'record')} at {counted(v, 'visit')} are of the two legs ({self._leg_source()}, "
                    "[qs] laterality) at different times, never a retest of each other, but the subject's index limb "
                    "(patients.limb_side) is not known (the error on patients.limb_side or its [qualifiers] QNAM "
                    "says why): once it is given, its leg's records are imported, the other leg's set aside"
                ),
            ),
            (
                "step IN (7, 8) AND unread_lat IS NOT NULL AND first_raw_leg <> last_raw_leg",
                lambda n, v, legs: (
                    f"{counted(n, 'record')} at {counted(v, 'visit')} are a second result of a test at one visit "
                    f"with another {self.labels['qs']}.{'/'.join(self.qs_unread_leg_vars)} ({legs}): the two legs, "
                    f"never a retest of each other. [qs] laterality (now {given}) does not name "
                    f"{'/'.join(self.qs_unread_leg_vars)}: add it there in a copy of the profile (laterality = "
                    f'["{next(iter(self.qs_unread_leg_vars), "")}"]), and the index limb\'s records '
                    "(patients.limb_side) are imported, the other leg's set aside"
                ),
            ),
            (
                "step IN (7, 8) AND legs_unmapped AND laterality IS NOT NULL AND first_raw_leg <> last_raw_leg",
                lambda n, v, legs: (
                    f"{counted(n, 'record')} at {counted(v, 'visit')} are a second result of a test at one visit "
                    f"with another {self._leg_source()} ({legs}): the two legs, never a retest of each other, but "
                    "which is the index limb's cannot be told: a leg there is neither left nor right (the error on "
                    f"{self._leg_source()}). Map it in [values.limb_side] of a copy of the profile: the index limb's "
                    "records are then imported, the other leg's set aside"
                ),
            ),
        ]
        for where, message in cases:
            rows = self.con.execute(
                "SELECT _file, min(_line), count(*), count(DISTINCT subject || ' ' || coalesce(visitnum, visit, '')), "
                "string_agg(DISTINCT subject || ' ' || coalesce(visit, 'VISITNUM ' || visitnum, ''), ', ' ORDER BY "
                "subject || ' ' || coalesce(visit, 'VISITNUM ' || visitnum, '')), "
                "array_to_string(list_sort(list_distinct(flatten(list([first_raw_leg, last_raw_leg])))), ' and ') "
                f"FROM sdtm_qsr WHERE {where} GROUP BY 1 ORDER BY 1"
            ).fetchall()
            self.con.execute(f"UPDATE sdtm_qsr SET step = 11 WHERE {where}")
            for file, line, n, visits, shown, legs in rows:
                self.issues.add(
                    Issue(
                        ERROR,
                        "sdtm:two_legs",
                        str(file),
                        int(line),
                        "",
                        self.names["qs"].get("subject", ""),
                        str(shown),
                        message(int(n), int(visits), str(legs or "")),
                    )
                )

    def _other_legs(self) -> None:
        """The records of the other leg than the index limb (step 10): one warning per file naming each
        subject and visit."""
        rows = self.con.execute(
            "SELECT _file, min(_line), count(*), count(DISTINCT subject || ' ' || coalesce(visitnum, visit, '')), "
            "string_agg(DISTINCT subject || ' ' || coalesce(visit, 'VISITNUM ' || visitnum, '') || ' (' || leg || ')', "
            "', ' ORDER BY subject || ' ' || coalesce(visit, 'VISITNUM ' || visitnum, '') || ' (' || leg || ')') "
            "FROM sdtm_qsr WHERE step = 10 GROUP BY 1 ORDER BY 1"
        ).fetchall()
        for file, line, n, visits, shown in rows:
            self.issues.add(
                Issue(
                    WARNING,
                    "sdtm:other_leg",
                    str(file),
                    int(line),
                    "",
                    self.names["qs"].get("subject", ""),
                    str(shown),
                    f"{counted(int(n), 'record')} at {counted(int(visits), 'visit')} of the leg that is not the "
                    f"index limb (patients.limb_side), as {self._leg_source()} ([qs] laterality) says: not "
                    "imported, the index leg's are",
                )
            )

    def _qs_legs(self, suppqs: bool) -> None:
        """sdtm_qs_legs: the leg (left, right) of each QS record that a SUPPQS qualifier names (QNAM in
        [qs] laterality, linked by IDVAR = the [qs] sequence variable and IDVARVAL; QVAL by
        [values.limb_side]). A study that scores both legs at a visit writes two records of each test on one
        date; the index leg's (patients.limb_side) are imported, the other leg's set aside and counted.
        SUPPQS records no rule reads are counted as such."""
        given = self.profile.section("qs").get("laterality", [])
        self.laterality = [str(q).upper() for q in ([given] if isinstance(given, str) else given) if str(q).strip()]
        self.leg_qnams: list[str] = []
        self.suppqs_qnams: list[str] = []
        self.unmapped_leg_qnams: list[str] = []
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_qs_legs (subject VARCHAR, seq DOUBLE, leg VARCHAR, _file VARCHAR, "
            "_line BIGINT)"
        )
        # The QS records whose leg qualifier's QVAL is neither left nor right (an error on SUPPQS).
        self.con.execute("CREATE OR REPLACE TABLE sdtm_qs_unmapped_legs (subject VARCHAR, seq DOUBLE)")
        if not suppqs:
            return
        self.suppqs_qnams = [
            str(r[0])
            for r in self.con.execute(
                "SELECT DISTINCT upper(qnam) FROM sdtm_suppqs WHERE nullif(trim(qnam), '') IS NOT NULL ORDER BY 1"
            ).fetchall()
        ]
        sequence = self.names["qs"].get("sequence", "")
        b = Bind()
        leg = self._map("trim(s.qval)", "limb_side", b)
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_suppqs_r AS SELECT s.*, lower({leg}) AS leg, "
            "try_cast(s.idvarval AS DOUBLE) AS seq, CASE WHEN s.subject IN (SELECT patient_id FROM sdtm_left_out) "
            f"THEN 1 WHEN NOT list_contains({b(self.laterality)}::VARCHAR[], upper(s.qnam)) THEN 2 WHEN "
            f"coalesce(upper(s.idvar), '') <> {b(sequence.upper())} OR NOT EXISTS (SELECT 1 FROM sdtm_qs AS q WHERE "
            "q.subject = s.subject AND try_cast(q.sequence AS DOUBLE) = try_cast(s.idvarval AS DOUBLE)) THEN 3 END "
            "AS step FROM sdtm_suppqs AS s",
            b.params,
        )
        qs = self.labels["qs"]
        self._drop_steps(
            "sdtm_suppqs_r",
            [
                ("subject left out of the population", False),
                ("QNAM not read ([qs] laterality)", False),
                (f"links to no {qs} record by IDVAR {sequence or '(no [qs] sequence)'}: not used", True),
            ],
        )
        self._issues(
            WARNING,
            "sdtm:suppqs_link",
            "sdtm_suppqs_r",
            "subject",
            "suppqs",
            "idvarval",
            "coalesce(idvar, '(blank)') || ' = ' || coalesce(idvarval, '(blank)')",
            f"a leg qualifier ([qs] laterality) that links to no {qs} record: IDVAR must be {qs}'s sequence variable "
            f"{sequence or '([qs] sequence, not set)'} and IDVARVAL one of its values; its record's leg is not known",
            "step = 3",
        )
        self._issues(
            ERROR,
            "sdtm:values.laterality",
            "sdtm_suppqs_r",
            "subject || ' / QNAM ' || upper(qnam)",  # the QNAM, for the assistant's box (assistant.value_rows)
            "suppqs",
            "qval",
            "qval",
            f"{self.labels['suppqs']}.QVAL of a leg qualifier ([qs] laterality) is neither left nor right: map it in "
            "[values.limb_side] of a copy of the profile (it maps "
            f"{', '.join(self.profile.values('limb_side')) or 'nothing'}), or, if this QNAM is not the leg, leave "
            "it out of [qs] laterality",
            "step IS NULL AND coalesce(leg, '') NOT IN ('left', 'right')",
        )
        self.leg_qnams = [
            str(r[0])
            for r in self.con.execute(
                "SELECT DISTINCT upper(qnam) FROM sdtm_suppqs_r WHERE step IS NULL ORDER BY 1"
            ).fetchall()
        ]
        unmapped = "step IS NULL AND coalesce(leg, '') NOT IN ('left', 'right')"
        self.con.execute(f"INSERT INTO sdtm_qs_unmapped_legs SELECT subject, seq FROM sdtm_suppqs_r WHERE {unmapped}")
        self.unmapped_leg_qnams = [
            str(r[0])
            for r in self.con.execute(
                f"SELECT DISTINCT upper(qnam) FROM sdtm_suppqs_r WHERE {unmapped} ORDER BY 1"
            ).fetchall()
        ]
        self.con.execute(
            "INSERT INTO sdtm_qs_legs SELECT subject, seq, min(leg), min(_file), min(_line) FROM sdtm_suppqs_r WHERE "
            "step IS NULL AND leg IN ('left', 'right') GROUP BY subject, seq"
        )

    def _sv_funnel(self) -> None:
        """SV gives only the date of a QS record without its own (QSDTC): its other records are counted
        as not used, with the reason, never as kept."""
        # SV's full date is used for a partial QS date too (review 16, finding 6): such an SV record is kept.
        used_for_partial = (
            f"regexp_full_match(q.date, '{MONTH}|{YEAR}') AND regexp_full_match(v.date, '{FULL}')"
            if "date" in self.names["sv"]
            else "false"
        )
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_svr AS SELECT v._file, CASE WHEN v.subject IN (SELECT patient_id FROM "
            "sdtm_left_out) THEN 1 WHEN NOT EXISTS (SELECT 1 FROM sdtm_qsr AS q WHERE q.step IS NULL AND q.subject = "
            "v.subject AND try_cast(q.visitnum AS DOUBLE) = try_cast(v.visitnum AS DOUBLE)) THEN 2 WHEN NOT EXISTS "
            "(SELECT 1 FROM sdtm_qsr AS q WHERE q.step IS NULL AND q.subject = v.subject AND try_cast(q.visitnum AS "
            "DOUBLE) = try_cast(v.visitnum AS DOUBLE) AND (nullif(trim(q.date), '') IS NULL OR "
            + used_for_partial
            + ")) "
            "THEN 3 END AS step "
            "FROM sdtm_sv AS v"
        )
        qs = self.labels["qs"]
        self._drop_steps(
            "sdtm_svr",
            [
                ("subject left out of the population", False),
                (f"no {qs} record kept at this visit (unscheduled, unmapped or not assessed): not used", False),
                (f"not used: every {qs} record of the visit has its own date ([qs] date)", False),
            ],
        )

    def _visit_days(self) -> None:
        """Each kept record's study day from RFSTDTC; a baseline dated before it (screening) is held on
        day 0 with a warning, or refused, as [qs] early_baseline says (ADaM's [bds] early_baseline)."""
        rule = str(
            self.profile.section("qs").get(
                "early_baseline", self.profile.section("dates").get("baseline_before_reference", "day0")
            )
        )
        if rule not in ("day0", "refuse"):
            self._error("sdtm:profile", self.profile.path.name, '[qs] early_baseline must be "day0" or "refuse"')
            rule = "refuse"
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_qsr AS SELECT q.*, date_diff('day', {self._date('s.enrolled_on')}, "
            "q.on_date) AS day FROM sdtm_qsr AS q LEFT JOIN sdtm_subjects AS s ON s.patient_id = q.subject"
        )
        self._issues(
            ERROR,
            "sdtm:visit_date",
            "sdtm_qsr",
            "subject || ' / ' || coalesce(visit, visitnum, '')",
            "qs",
            "date",
            "test_code",
            f"no date for this record: {self._var('qs', 'date')} is blank and no SV record of the visit gives "
            "one ([sv] date)",
            "step IS NULL AND on_date IS NULL",
        )
        self._visit_months_by_days()
        self._scheduled_visits_unmapped()
        early = "step IS NULL AND month = 0 AND day < 0"
        reference = self._var("dm", "enrolled_on")
        if rule == "day0":
            for file, n, subjects, shown in self.con.execute(
                f"SELECT _file, count(*), count(DISTINCT subject), string_agg(DISTINCT subject, ', ' ORDER BY "
                f"subject) FROM sdtm_qsr WHERE {early} GROUP BY 1 ORDER BY 1"
            ).fetchall():
                self.issues.add(
                    Issue(
                        WARNING,
                        "sdtm:baseline_day",
                        str(file),
                        None,
                        "",
                        self.names["qs"].get("subject", ""),
                        str(shown),
                        f"{counted(n, 'baseline record')} of {counted(subjects, 'subject')} dated before the "
                        f'reference date {reference} held on day 0 ([qs] early_baseline = "day0"; "refuse" makes '
                        "each an error)",
                    )
                )
            self.con.execute(f"UPDATE sdtm_qsr SET day = 0 WHERE {early}")
        else:
            self._issues(
                ERROR,
                "sdtm:baseline_day",
                "sdtm_qsr",
                "subject",
                "qs",
                "date",
                "CAST(on_date AS VARCHAR)",
                f"baseline record dated before the reference date {reference} (a negative study day): set [qs] "
                'early_baseline = "day0" in a copy of the profile to hold it on day 0',
                early,
            )

    def _not_done(self, codes: dict[str, str], rule: str) -> None:
        """A visit one of whose required items (a Villalta item, the ulcer) has no result (QSSTAT NOT DONE, or
        blank) while its others do: the contract requires every item at a visit, so the visit cannot be imported.
        Each such record names the subject, visit, test, QSSTAT and QSREASND; by default an error, with
        [qs] not_done = "skip_visit" a warning and the visit set aside, the patient's other visits imported
        (review 11, N4: the error said to check the profile's test code, which was right)."""
        if rule not in ("refuse", "skip_visit"):
            self._error("sdtm:profile", self.profile.path.name, '[qs] not_done must be "refuse" or "skip_visit"')
            rule = "refuse"
        required = [c for c in codes if validation.contract().columns["visits"][c].not_null]
        if not required:
            return
        b = Bind()
        # The visits whose required item has no result while other records of the visit are kept.
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE sdtm_not_done AS SELECT DISTINCT subject, month FROM sdtm_qsr AS r WHERE "
            f"step = 4 AND month IS NOT NULL AND list_contains({b(required)}, col) AND EXISTS (SELECT 1 FROM "
            "sdtm_qsr AS k WHERE k.step IS NULL AND k.subject = r.subject AND k.month = r.month)",
            b.params,
        )
        self.con.execute(
            "UPDATE sdtm_qsr SET step = 9 WHERE step IS NULL AND (subject, month) IN (SELECT (subject, month) FROM "
            "sdtm_not_done)"
        )
        status, reason = (self.names["qs"].get(k, k.upper()) for k in ("status", "reason"))
        value = (
            f"subject || ' ' || coalesce(visit, visitnum, '') || ': ' || test_code || ' ' || {status!r} || ' ' || "
            f"coalesce(nullif(trim(status), ''), '(blank)') || coalesce(' (' || {reason!r} || ' ' || "
            "nullif(trim(reason), '') || ')', '')"
        )
        where = (
            "step = 4 AND list_contains($required, col) AND (subject, month) IN (SELECT (subject, month) FROM "
            "sdtm_not_done)"
        )
        common = (
            f"a required item of the visit has no result in {self.labels['qs']} (not done, or blank), while the "
            "visit's other items do: the contract requires every Villalta item and the ulcer at a visit"
        )
        if rule == "refuse":
            message = (
                f"{common}, so the visit cannot be imported. Give the item's result in the source, or set [qs] "
                'not_done = "skip_visit" in a copy of the profile to set such a visit aside (with a warning) and '
                "import the patient's other visits"
            )
        else:
            message = (
                f'{common}: the visit is set aside ([qs] not_done = "skip_visit"); the patient\'s other visits are '
                "imported"
            )
        self._issues(
            ERROR if rule == "refuse" else WARNING,
            "sdtm:not_done",
            "sdtm_qsr",
            "subject || ' / ' || coalesce(visit, visitnum, '')",
            "qs",
            "status",
            value,
            message,
            where,
            {"required": required},
        )

    def _scheduled_visits_unmapped(self) -> None:
        """A visit neither [visits] map knows whose records are a scheduled visit, by its name (MONTH 12, WEEK 26)
        or by its records' median study day (within a month of one), at a follow-up month of [study]
        visit_months: an error naming VISITNUM, VISIT, the month and the key (review 11, N7: a profile copied
        from another study lost every MONTH 12 visit with the unscheduled visits' warning), as ADaM's AVISITN.
        A visit mapped to "" ([visits.VISITNUM] "4" = "") is no scheduled visit, and stays the warning; so does one
        placed by its days alone that is numbered as an unplanned visit (VISITNUM 3.1) or that few subjects had."""
        visits = self.profile.section("visits")
        try:
            not_visits = {float(k) for k, m in visits.get("VISITNUM", {}).items() if m == ""}
            not_visits_named = {str(k).upper() for k, m in visits.get("VISIT", {}).items() if m == ""}
        except (TypeError, ValueError, AttributeError):
            return  # already an error (_qs_visits)
        scheduled = sorted(
            {int(m) for m in self.profile.section("study").get("visit_months", []) if isinstance(m, int | float)} - {0}
        )
        if not scheduled:
            return
        rows = self.con.execute(
            "SELECT try_cast(visitnum AS DOUBLE) AS num, coalesce(visit, '') AS name, median(day), count(*), "
            "count(DISTINCT subject) FROM sdtm_qsr WHERE step = 5 GROUP BY ALL ORDER BY num, name"
        ).fetchall()
        # A visit placed by its days alone must look scheduled: a whole VISITNUM (SDTMIG numbers an unplanned
        # visit between the planned ones, 3.1) attended by a quarter of the subjects at least (and two): an
        # unscheduled visit of a few subjects whose VISIT names nothing is no lost scheduled visit.
        (subjects,) = self.con.execute(
            "SELECT count(DISTINCT subject) FROM sdtm_qsr WHERE NOT left_out AND col IS NOT NULL"
        ).fetchone() or (0,)
        for num, name, median, n, attended in rows:
            if num in not_visits or name.upper() in not_visits_named:
                continue
            said = _visit_name_month(name)
            if said == -1:
                continue  # unscheduled, by its name
            if said in scheduled:
                month, why = said, f"its name says month {said}"
            elif (
                said is None
                and median is not None
                and (num is None or float(num).is_integer())
                and attended >= max(2, subjects / 4)
            ):
                month = min(scheduled, key=lambda m: (abs(m * DAYS_PER_MONTH - float(median)), m))
                if abs(month * DAYS_PER_MONTH - float(median)) > DAYS_PER_MONTH:
                    continue
                why = (
                    f"its records' median study day is {float(median):g} (day 0 = {self._var('dm', 'enrolled_on')}), "
                    f"nearest month {month}"
                )
            else:
                continue
            number = f"{num:g}" if num is not None else None
            key = (
                f'[visits.VISITNUM] "{number}" = {month}'
                if number is not None
                else f'[visits.VISIT] "{name}" = {month}'
            )
            shown = f"{name or '(VISIT blank)'} (VISITNUM {number or '(blank)'})"
            self._issues(
                ERROR,
                "sdtm:unmapped_visit",
                "sdtm_qsr",
                "subject",
                "qs",
                "visitnum" if number is not None else "visit",
                "$shown",
                f"visit {shown} is in neither [visits] VISITNUM nor VISIT of the profile, but {why}, a follow-up "
                f"month of [study] visit_months: its {counted(int(n), 'record')} of {self.labels['qs']} would not be "
                f"imported. Set {key} in a copy of the profile (or, if it is no scheduled visit, "
                f'{key.rsplit(" = ", 1)[0]} = "")',
                "step = 5 AND try_cast(visitnum AS DOUBLE) IS NOT DISTINCT FROM $num AND coalesce(visit, '') = $name",
                {"shown": shown, "num": num, "name": name},
            )
        # Those records are this error's, not the unscheduled visits' warning.
        self.con.execute(
            "DELETE FROM issues AS w WHERE w.rule = 'sdtm:unscheduled' AND EXISTS (SELECT 1 FROM issues AS e WHERE "
            "e.rule = 'sdtm:unmapped_visit' AND e.file = w.file AND e.line = w.line)"
        )

    def _visit_months_by_days(self) -> None:
        """A visit whose records' median study day is nearer another month than the one [visits] maps it
        to is an error naming the visit, the day, both months and the key that fixes it: a visit map
        meant for another study (MONTH 1 at VISITNUM 3 read as month 3) would otherwise import every
        record of the visit at the wrong month, each within the 120-day window of the contract's check.
        Baseline-flagged records are month 0 by their flag and are not counted here."""
        visits = self.profile.section("visits")
        try:
            by_num = {float(k): int(m) for k, m in visits.get("VISITNUM", {}).items() if m != ""}
            by_name = {str(k).upper(): int(m) for k, m in visits.get("VISIT", {}).items() if m != ""}
        except (TypeError, ValueError, AttributeError):
            return  # already an error (_qs_visits)
        scheduled = self.profile.section("study").get("visit_months", [])
        months = sorted(
            {int(m) for m in scheduled if isinstance(m, int | float)} | set(by_num.values()) | set(by_name.values())
        )
        if not months:
            return
        rows = self.con.execute(
            "SELECT min(_file), min(_line), try_cast(visitnum AS DOUBLE) AS num, CASE WHEN try_cast(visitnum AS "
            "DOUBLE) IS NULL THEN upper(trim(visit)) END AS name, month, min(visit), median(day), count(*) FROM "
            "sdtm_qsr WHERE step IS NULL AND NOT baseline AND day IS NOT NULL GROUP BY num, name, month "
            "ORDER BY num, name"
        ).fetchall()
        for file, line, num, name, month, visit, median, n in rows:
            nearest = min(months, key=lambda m: (abs(m - float(median) / DAYS_PER_MONTH), m))
            if nearest == month:
                continue
            number = f"{num:g}" if num is not None else None
            if number is not None and num in by_num and by_num[num] == month:
                key, where = f'[visits] VISITNUM "{number}" = {nearest}', f"VISITNUM {number} (VISIT {visit})"
            else:
                key, where = f'[visits] VISIT "{visit or name}" = {nearest}', f"VISIT {visit or name}"
            shown = f"{visit or '(VISIT blank)'} (VISITNUM {number or '(blank)'})"
            extra = "" if nearest in scheduled else f" and add {nearest} to [study] visit_months"
            self.issues.add(
                Issue(
                    ERROR,
                    "sdtm:visit_month",
                    str(file),
                    int(line),
                    "",
                    self.names["qs"].get("visitnum" if number is not None else "visit", ""),
                    shown,
                    f"{self.labels['qs']} {where} is mapped to month {month} by [visits], "
                    f"but the median study day of its {counted(int(n), 'record')} is {float(median):g} (day 0 = "
                    f"{self._var('dm', 'enrolled_on')}), nearest month {nearest}: every record of this visit "
                    f"would be imported at the wrong month. Set {key}{extra} in a copy of the profile (or "
                    "correct the dates in the source)",
                )
            )

    # --- PR: the index procedure ------------------------------------------------------------------

    def _procedures(self, pr: bool, supppr: bool) -> None:
        section = self.profile.section("pr")
        index_terms = [str(t).upper() for t in section.get("index_terms", [])]
        events = self._upper_values("pr_event")
        if not pr and "pr" in self.unread:  # PR is there, but lacks a variable: that error says so
            self.create_empty("procedures")
            return
        if not pr:  # checks.index_procedures warns of the stent patients left without one
            self.create_empty("procedures")
            return
        self._check_dates("pr", "start_date")
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_prr AS SELECT p.*, CASE WHEN p.subject IN (SELECT patient_id FROM "
            "sdtm_left_out) THEN 1 WHEN NOT list_contains($index, upper(p.term)) AND NOT list_contains($events, "
            "upper(p.term)) THEN 2 WHEN NOT list_contains($index, upper(p.term)) AND "
            f"{self._before_reference('p.start_date')} THEN 3 END AS step, list_contains($index, upper(p.term)) AS "
            "is_index FROM sdtm_pr AS p LEFT JOIN sdtm_subjects AS s ON s.patient_id = p.subject",
            {"index": index_terms, "events": list(events)},
        )
        self._pre_treatment("sdtm_prr", "pr")
        (indexed, seen) = self.con.execute(
            "SELECT count(*) FILTER (WHERE is_index), string_agg(DISTINCT term, ', ' ORDER BY term) FROM sdtm_prr "
            "WHERE coalesce(step, 0) <> 1"
        ).fetchone() or (0, None)
        if seen and not indexed and index_terms:  # else every stent procedure would be silently left out
            # (index_terms = [] says the data hold no index procedure: none is imported, the stent patients
            # are warned of by checks.index_procedures)
            self._error(
                "sdtm:index_term",
                self._file("pr"),
                f"no {self.labels['pr']} record has the index procedure's term ([pr] index_terms = "
                f"{', '.join(index_terms) or 'none'}): name the term of the index stent procedure in a copy of the "
                f"profile (terms in {self._var('pr', 'term')}: {seen})",
            )
        fields = {k: v.upper() for k, v in self._known("procedure", PROCEDURE_COLUMNS).items() if v.strip()}
        if indexed:
            self._procedure_details(fields, supppr, int(indexed))
        self._supppr_links(list(fields.values()))
        b = Bind()
        pivots = "".join(f", max(q.qval) FILTER (WHERE upper(q.qnam) = {b(q)}) AS {c}" for c, q in fields.items())
        # The qualifiers of each index procedure: the SUPPPR records linked to it, and the subject's
        # subject-level ones (IDVAR and IDVARVAL blank).
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_prq AS SELECT p._file AS p_file, p._line AS p_line{pivots} FROM sdtm_prr "
            "AS p JOIN sdtm_supppr_links AS q ON q.subject = p.subject AND (q.link IS NULL OR (q.p_file = p._file AND "
            "q.p_line = p._line)) WHERE p.step IS NULL AND p.is_index GROUP BY ALL",
            b.params,
        )
        b = Bind()
        flags = self._upper_values("flag")
        enrolled = self._date("s.enrolled_on")
        select = {
            "patient_id": "p.subject",
            "procedure_day": f"date_diff('day', {enrolled}, {self._date('p.start_date')})",
            "_file": "p._file",
            "_line": "p._line",
        }
        for column in fields:
            if column in ("technical_success", "below_inguinal_ligament"):
                select[column] = self._map(f"q.{column}", "flag", b, flags)
            else:
                select[column] = f"q.{column}"
        join = (
            "LEFT JOIN sdtm_prq AS q ON q.p_file = p._file AND q.p_line = p._line "
            "LEFT JOIN sdtm_subjects AS s ON s.patient_id = p.subject"
        )
        self.create("procedures", select, f"FROM sdtm_prr AS p {join} WHERE p.step IS NULL AND p.is_index", b)

    def _procedure_details(self, fields: dict[str, str], supppr: bool, indexed: int) -> None:
        """The procedure details the contract requires on every procedure row are required from the
        first check when the index procedure is imported: a key left out ("") or SUPPPR absent is one
        error naming the keys and the way out ([pr] index_terms = [] imports no procedure); the empty
        values it leaves are that error's (Mapper.absent)."""
        details = procedure_details()
        parts = []
        if unset := [c for c in details if c not in fields]:
            parts.append(f'the profile leaves out {", ".join(f"[procedure] {c}" for c in unset)} ("")')
        named = [f"QNAM {fields[c]} ([procedure] {c})" for c in details if c in fields]
        if named and not supppr and "supppr" not in self.unread:
            names = self.profile.section("datasets").get("supppr", {})
            listed = names.get("names", ["supppr"]) if isinstance(names, dict) else ["supppr"]
            parts.append(
                f"no dataset named {' or '.join(str(n).upper() for n in listed)} ([datasets] supppr) is among the "
                f"sources, so {', '.join(named)} cannot be read"
            )
        else:
            named = []
        if not parts:
            return
        self._error(
            "sdtm:procedure_details",
            self._file("pr"),
            f"{'; '.join(parts)}: "
            + procedure_rule(
                True,
                f"{counted(indexed, 'PR record')} with a [pr] index_terms term",
                ("deliver SUPPPR with these QNAMs (or name its dataset in [datasets] supppr), " if named else "")
                + ("set each key to its SUPPPR QNAM, " if unset else "")
                + "or set [pr] index_terms = [] in a copy of the profile",
            ),
        )
        self.absent(None, [("procedures", c) for c in (*unset, *(c for c in details if c in fields and named))])

    def _supppr_links(self, qnams: list[str]) -> None:
        """sdtm_supppr_links: each SUPPPR record with the PR record it qualifies, by the standard link:
        IDVAR names a PR variable (PRSEQ, PRSPID...) and IDVARVAL its value in that record; IDVARVAL
        without IDVAR is read as a [pr] sequence; both blank, a subject-level qualifier (link NULL).
        A record whose link finds no PR record is an error naming it; each record set aside is counted."""
        sequence = self.names["pr"].get("sequence", "").upper()
        link = (
            "coalesce(nullif(upper(trim(CAST(q.idvar AS VARCHAR))), ''), CASE WHEN nullif(trim(CAST(q.idvarval AS "
            "VARCHAR)), '') IS NOT NULL THEN nullif($sequence, '') END)"
        )
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_supppr_named AS SELECT q.*, {link} AS link, trim(CAST(q.idvarval AS "
            "VARCHAR)) AS key FROM sdtm_supppr AS q",
            {"sequence": sequence},
        )
        variables = [str(v) for (v,) in self.con.execute(
            "SELECT DISTINCT link FROM sdtm_supppr_named WHERE link IS NOT NULL ORDER BY 1"
        ).fetchall()]  # fmt: skip
        keys = ["SELECT NULL::VARCHAR AS subject, NULL::VARCHAR AS idvar, NULL::VARCHAR AS value, NULL AS _file, "
                "NULL::BIGINT AS _line"]  # fmt: skip
        subject = self.names["pr"].get("subject", "")
        b = Bind()
        for src in self.sources.get("pr", []):
            for variable in variables:
                if src.has(variable) and src.has(subject):
                    keys.append(
                        f"SELECT CAST({src.ref(subject)} AS VARCHAR), {b(variable)}, CAST({src.ref(variable)} AS "
                        f"VARCHAR), _file, _line FROM {src.table}"
                    )
        self.con.execute(f"CREATE OR REPLACE TABLE sdtm_pr_keys AS {' UNION ALL '.join(keys)}", b.params)
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_supppr_links AS SELECT q.*, k._file AS p_file, k._line AS p_line FROM "
            "sdtm_supppr_named AS q LEFT JOIN sdtm_pr_keys AS k ON k.subject = q.subject AND k.idvar = q.link AND "
            "(trim(k.value) = q.key OR try_cast(k.value AS DOUBLE) = try_cast(q.key AS DOUBLE))"
        )
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_supppr_steps AS SELECT q._file, q._line, q.subject, q.link, q.key, "
            "CASE WHEN q.subject IN (SELECT patient_id FROM sdtm_left_out) THEN 1 WHEN NOT list_contains($qnams, "
            "upper(q.qnam)) THEN 2 WHEN q.link IS NOT NULL AND q.p_file IS NULL THEN 3 WHEN q.link IS NOT NULL AND "
            "NOT coalesce(p.is_index AND p.step IS NULL, false) THEN 4 END AS step FROM sdtm_supppr_links AS q "
            "LEFT JOIN sdtm_prr AS p ON p._file = q.p_file AND p._line = q.p_line",
            {"qnams": [q.upper() for q in qnams]},
        )
        pr = self.labels["pr"]
        self._issues(
            ERROR,
            "sdtm:supp_link",
            "sdtm_supppr_steps",
            "subject",
            "supppr",
            "idvarval",
            "link || ' = ' || key",
            f"no {pr} record of this subject has this IDVAR variable and IDVARVAL value: the qualifier cannot be "
            f"attached to its procedure (correct IDVAR/IDVARVAL in {self.labels['supppr']}, or leave both blank for "
            "a qualifier of the subject's index procedure)",
            "step = 3",
        )
        self._drop_steps(
            "sdtm_supppr_steps",
            [
                ("subject left out of the population", False),
                ("QNAM not mapped ([procedure])", False),
                (f"no {pr} record with this IDVAR = IDVARVAL", True),
                ("qualifies a procedure other than the index one", False),
            ],
        )

    # --- events: AE, PR, DS and DM ----------------------------------------------------------------

    def _before_step(self) -> str:
        return f"before the reference date ({self.names['dm'].get('enrolled_on', '')}): not treatment-emergent"

    def _before_reference(self, start: str) -> str:
        """An event dated before the subject's reference date (s.enrolled_on, RFSTDTC)."""
        return f"coalesce({self._date(start)} < {self._date('s.enrolled_on')}, false)"

    def _pre_treatment(self, table: str, role: str) -> None:
        """A warning for each record of `table` set aside at step 3: it starts before the reference date."""
        self._issues(
            WARNING,
            f"sdtm:{role}_before_reference",
            table,
            "subject || ' / ' || coalesce(term, '')",
            role,
            "start_date",
            "start_date",
            f"{self._var(role, 'start_date')} is before the reference date {self._var('dm', 'enrolled_on')}: a "
            "pre-treatment event (medical history, not treatment-emergent), not imported",
            "step = 3",
        )

    def _fatal(self, terms: dict[str, str], enrolled: str, ds: bool) -> list[str]:
        """An AE whose outcome is death (AEOUT = FATAL, AESDTH = Y) under another term (a haemorrhage):
        the subject died. DM's or DS's death date is the death (checks.one_death); without one, the
        AE's end date (AEENDTC) is, with a warning; without that either, an error: the death would be
        silently missing."""
        if not {"outcome", "death_flag"} & set(self.names["ae"]):
            return []
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_fatal AS SELECT a.* FROM sdtm_aer AS a WHERE coalesce(a.step, 2) = 2 AND "
            "(upper(trim(coalesce(a.outcome, ''))) = 'FATAL' OR upper(trim(coalesce(a.death_flag, ''))) = 'Y') AND "
            "list_extract($targets, list_position($terms, upper(a.term))) IS DISTINCT FROM 'death'",
            {"terms": list(terms), "targets": list(terms.values())},
        )
        dm_death = self._date("s.death_date") + " IS NOT NULL" if "death_date" in self.names["dm"] else "false"
        ds_death = "a.subject IN (SELECT subject FROM sdtm_dsr WHERE step IS NULL)" if ds else "false"
        self.con.execute(
            "CREATE OR REPLACE TABLE sdtm_fatal AS SELECT a.*, coalesce("
            + dm_death
            + " OR "
            + ds_death
            + ", false) AS "
            "dated FROM sdtm_fatal AS a LEFT JOIN sdtm_subjects AS s ON s.patient_id = a.subject"
        )
        said = " or ".join(
            f"{self._var('ae', key)} = {value}"
            for key, value in (("outcome", "FATAL"), ("death_flag", "Y"))
            if key in self.names["ae"]
        )
        self._issues(
            WARNING,
            "sdtm:fatal_ae",
            "sdtm_fatal",
            "subject || ' / ' || coalesce(term, '')",
            "ae",
            "end_date",
            "end_date",
            f"the AE's outcome is death ({said}) and neither DM nor DS dates the death: the death is imported on "
            f"the AE's end date {self._var('ae', 'end_date')}; give DM's death date if it differs",
            f"NOT dated AND {self._date('end_date')} IS NOT NULL",
        )
        self._issues(
            ERROR,
            "sdtm:fatal_ae",
            "sdtm_fatal",
            "subject || ' / ' || coalesce(term, '')",
            "ae",
            "outcome",
            "coalesce(outcome, death_flag)",
            f"the AE's outcome is death ({said}), but neither DM nor DS dates the death and the AE has no end date "
            f"({self._var('ae', 'end_date')}): give the death date in DM ({self._var('dm', 'death_date')}), or "
            'set [ae] outcome = "" and death_flag = "" in a copy of the profile to import no death from AE',
            f"NOT dated AND {self._date('end_date')} IS NULL",
        )
        return [
            f"SELECT a.subject, date_diff('day', {enrolled}, {self._date('a.end_date')}), 'death', 'true', a._file, "
            "a._line, 1 FROM sdtm_fatal AS a LEFT JOIN sdtm_subjects AS s ON s.patient_id = a.subject WHERE NOT "
            f"a.dated AND {self._date('a.end_date')} IS NOT NULL"
        ]

    def _events(self, ae: bool, pr: bool, ds: bool) -> None:
        b = Bind()
        flags = self._upper_values("flag")
        enrolled = self._date("s.enrolled_on")
        parts = []
        left_out = "subject IN (SELECT patient_id FROM sdtm_left_out)"
        if ds:
            self._check_dates("ds", "date")
            deaths = [str(t).upper() for t in self.profile.section("ds").get("death_terms", [])]
            self.con.execute(
                f"CREATE OR REPLACE TABLE sdtm_dsr AS SELECT *, CASE WHEN {left_out} THEN 1 WHEN NOT "
                "list_contains($deaths, upper(term)) THEN 2 END AS step FROM sdtm_ds",
                {"deaths": deaths},
            )
            self._drop_steps(
                "sdtm_dsr", [("subject left out of the population", False), ("not a death ([ds] death_terms)", False)]
            )
            parts.append(
                f"SELECT d.subject AS patient_id, date_diff('day', {enrolled}, {self._date('d.date')}) AS event_day, "
                "'death' AS event_type, 'true' AS serious, d._file, d._line, 0 AS source FROM sdtm_dsr AS d LEFT JOIN "
                "sdtm_subjects AS s ON s.patient_id = d.subject WHERE d.step IS NULL"
            )
            dm_death = "AND s.patient_id NOT IN (SELECT subject FROM sdtm_dsr WHERE step IS NULL)"
            self.con.execute(
                "INSERT INTO issues SELECT 'error', 'sdtm:death_date', s._file, s._line, s.patient_id, $column, "
                f"s.death_date || ' / ' || d.date, $message FROM sdtm_subjects AS s JOIN sdtm_dsr AS d ON "
                f"d.subject = s.patient_id AND d.step IS NULL WHERE s.death_date IS NOT NULL AND "
                f"{self._date('s.death_date')} IS DISTINCT FROM {self._date('d.date')}",
                {
                    "column": self.names["dm"].get("death_date", ""),
                    "message": f"{self._var('dm', 'death_date')} differs from the death date in "
                    f"{self.labels['ds']} ({self._var('ds', 'date')}): correct one of them",
                },
            )
        else:
            dm_death = ""
        if "death_date" in self.names["dm"]:
            parts.append(
                f"SELECT s.patient_id, date_diff('day', {enrolled}, {self._date('s.death_date')}), 'death', 'true', "
                f"s._file, s._line, 0 FROM sdtm_subjects AS s WHERE s.death_date IS NOT NULL {dm_death}"
            )
        if ae:
            self._check_dates("ae", "start_date")
            self._check_dates("ae", "end_date")
            # The term Death is the contract's death event (as REDCap's "Death" label), unless mapped otherwise.
            terms = {"DEATH": "death"} | self._upper_values("event_type")
            self.con.execute(
                f"CREATE OR REPLACE TABLE sdtm_aer AS SELECT a.*, CASE WHEN a.{left_out} THEN 1 WHEN NOT "
                f"list_contains($terms, upper(a.term)) THEN 2 WHEN {self._before_reference('a.start_date')} THEN 3 "
                "END AS step FROM sdtm_ae AS a LEFT JOIN sdtm_subjects AS s ON s.patient_id = a.subject",
                {"terms": list(terms)},
            )
            self._pre_treatment("sdtm_aer", "ae")
            self._issues(
                WARNING,
                "sdtm:ae_term",
                "sdtm_aer",
                "subject",
                "ae",
                "term",
                "term",
                "term not in the profile's [values.event_type]: not imported (the contract holds the listed "
                "clinical events only)",
                "step = 2",
            )
            self._drop_steps(
                "sdtm_aer",
                [
                    ("subject left out of the population", False),
                    ("term not in [values.event_type]", False),
                    (self._before_step(), False),
                ],
            )
            parts.append(
                f"SELECT a.subject, date_diff('day', {enrolled}, {self._date('a.start_date')}), "
                f"{self._map('a.term', 'event_type', b, terms)}, "
                f"{self._map('a.serious', 'flag', b, flags)}, a._file, a._line, 1 FROM sdtm_aer AS a "
                "LEFT JOIN sdtm_subjects AS s ON s.patient_id = a.subject WHERE a.step IS NULL"
            )
            parts += self._fatal(terms, enrolled, ds)
        if pr:
            events = self._upper_values("pr_event")
            serious = flags.get(str(self.profile.section("pr").get("event_serious", "")).upper())
            if events and serious is None:
                self._error(
                    "sdtm:profile",
                    self.profile.name,
                    "[pr] event_serious must be a key of [values.flag] (PR holds no seriousness)",
                )
            self._drop_steps(
                "sdtm_prr",
                [
                    ("subject left out of the population", False),
                    ("procedure neither [pr] index_terms nor [values.pr_event]", False),
                    (self._before_step(), False),
                ],
            )
            parts.append(
                f"SELECT p.subject, date_diff('day', {enrolled}, {self._date('p.start_date')}), "
                f"{self._map('p.term', 'pr_event', b, events)}, {b(serious)}, p._file, p._line, 2 FROM "
                "sdtm_prr AS p LEFT JOIN sdtm_subjects AS s ON s.patient_id = p.subject WHERE p.step IS NULL AND "
                "NOT p.is_index"
            )
        if not parts:
            self.create_empty("events")
            return
        union = " UNION ALL ".join(parts)
        # A reintervention both in AE and in PR is one event: the PR record is counted, not imported twice.
        self.con.execute(
            f"CREATE OR REPLACE TABLE sdtm_events AS SELECT *, source = 2 AND count(*) FILTER (WHERE source = 1) OVER "
            f"(PARTITION BY patient_id, event_day, event_type) > 0 AS twice FROM ({union}) AS e(patient_id, event_day, "
            "event_type, serious, _file, _line, source)",
            b.params,
        )
        for file, n in self.con.execute("SELECT _file, count(*) FROM sdtm_events WHERE twice GROUP BY 1").fetchall():
            self.funnel.drop(str(file), "procedure event also recorded in AE (imported once)", int(n), loss=False)
        select = {c: c for c in ("patient_id", "event_day", "event_type", "serious", "_file", "_line")}
        select["_death_source"] = "source"  # DS/DM's death and an AE death are one death (checks.one_death)
        self.create("events", select, "FROM sdtm_events WHERE NOT twice", Bind())


# --- the example: the trial as SDTM transport files -----------------------------------------


SDTM_STUDY_DESIGN = "randomized"


def _inverse(profile: Profile, column: str) -> dict[str, str]:
    return {v: k for k, v in profile.values(column).items()}


def _iso(start: date, day: Any) -> str:
    when = day_after(start, day)
    return when.isoformat() if when else ""


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_sdtm(con: duckdb.DuckDBPyConnection, folder: Path, profile: Profile) -> None:
    """The randomized trial as DM, SUPPDM, SV, QS, AE, PR, SUPPPR and DS transport files."""
    import pyreadstat  # imported here: only the SDTM example needs it

    def xpt(frame: pd.DataFrame, name: str) -> None:
        pyreadstat.write_xport(frame, str(folder / f"{name.lower()}.xpt"), table_name=name, file_format_version=5)

    patients = con.execute(
        "SELECT p.*, d.event_day AS death_day FROM patients AS p JOIN studies AS s USING (study_id) LEFT JOIN events "
        "AS d ON d.patient_id = p.patient_id AND d.event_type = 'death' WHERE s.design = $design ORDER BY p.patient_id",
        {"design": SDTM_STUDY_DESIGN},
    ).df()
    start = dict(zip(patients.patient_id, patients.enrolled_on.dt.date, strict=True))
    dm_vars, quals = profile.section("dm"), profile.section("qualifiers")
    dm = pd.DataFrame(
        {
            dm_vars["study_id"]: patients.study_id,
            "DOMAIN": "DM",
            dm_vars["patient_id"]: patients.patient_id,
            dm_vars["enrolled_on"]: [d.isoformat() for d in patients.enrolled_on.dt.date],
            dm_vars["last_contact_date"]: [
                _iso(start[p], d) for p, d in zip(patients.patient_id, patients.last_contact_day, strict=True)
            ],
            dm_vars["death_date"]: [
                _iso(start[p], d) for p, d in zip(patients.patient_id, patients.death_day, strict=True)
            ],
            dm_vars["center_id"]: patients.center_id,
            dm_vars["age_years"]: patients.age_years.astype(float),
            dm_vars["sex"]: patients.sex.map(_inverse(profile, "sex")),
            dm_vars["arm"]: patients.arm.map(_inverse(profile, "arm")),
        }
    )
    xpt(dm, "DM")
    supp = profile.section("supp")
    rows = []
    for column, qnam in quals.items():
        inverse = _inverse(profile, column) if profile.values(column) else {}
        for patient, value in zip(patients.patient_id, patients[column], strict=True):
            if not pd.isna(value):
                rows.append((patient, qnam, inverse.get(value, _text(value))))
    xpt(_supp(rows, supp, "DM", patients.study_id.iloc[0]), "SUPPDM")
    _findings(con, profile, start, xpt)
    _interventions_and_events(con, profile, start, xpt, patients.study_id.iloc[0])
    write_sidecar(con, folder, SDTM_STUDY_DESIGN)


def _supp(rows: list[tuple], supp: dict[str, Any], domain: str, study: str, idvar: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "STUDYID": study,
            "RDOMAIN": domain,
            supp["subject"]: [r[0] for r in rows],
            "IDVAR": idvar,
            supp["idvarval"]: [r[3] if len(r) > 3 else "" for r in rows],
            supp["qnam"]: [r[1] for r in rows],
            supp["qval"]: [r[2] for r in rows],
        }
    )


def _findings(con: duckdb.DuckDBPyConnection, profile: Profile, start: dict[str, date], xpt: Any) -> None:
    visits = con.execute(
        "SELECT v.* FROM visits AS v JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design ORDER BY patient_id, visit_month",
        {"design": SDTM_STUDY_DESIGN},
    ).df()
    visitnum = {m: float(k) for k, m in profile.section("visits")["VISITNUM"].items()}
    qs, codes = profile.section("qs"), profile.section("qs")["testcd"]
    sv = profile.section("sv")
    dates = [_iso(start[p], d) for p, d in zip(visits.patient_id, visits.visit_day, strict=True)]
    xpt(
        pd.DataFrame(
            {
                sv["subject"]: visits.patient_id,
                "DOMAIN": "SV",
                sv["visitnum"]: visits.visit_month.map(visitnum),
                "VISIT": [f"MONTH {m}" if m else "BASELINE" for m in visits.visit_month],
                sv["date"]: dates,
            }
        ),
        "SV",
    )
    records = []
    # The columns taken out of the frame once: a frame's attribute per record cost most of the demo's
    # SDTM export (127,000 lookups, 2.8 of 5.3 s under a profiler); each value is read as before.
    subjects, months = visits["patient_id"], visits["visit_month"]
    for column, code in codes.items():
        values = visits["villalta_total"] if column == "villalta_total" else visits[column]
        inverse = _inverse(profile, column) if profile.values(column) else None
        for i in values.index[values.notna()]:
            value, month = values[i], months[i]
            key = str(bool(value)).lower() if values.dtype == bool else str(value)
            text = inverse[key] if inverse else _text(value)
            records.append(
                {
                    qs["subject"]: subjects[i],
                    "DOMAIN": "QS",
                    qs["test_code"]: code,
                    "QSCAT": "VILLALTA" if column.startswith("v") else "PTS",
                    qs["original_result"]: text,
                    qs["coded_result"]: text,
                    qs["numeric_result"]: float("nan") if inverse else float(value),
                    qs["baseline_flag"]: "Y" if month == 0 else "",
                    qs["visitnum"]: visitnum[int(month)],
                    qs["visit"]: f"MONTH {month}" if month else "BASELINE",
                    qs["date"]: dates[i],
                }
            )
    frame = pd.DataFrame(records)
    frame.insert(1, qs["sequence"], frame.groupby(qs["subject"]).cumcount().astype(float) + 1)
    xpt(frame, "QS")


def _interventions_and_events(
    con: duckdb.DuckDBPyConnection, profile: Profile, start: dict[str, date], xpt: Any, study: str
) -> None:
    design = {"design": SDTM_STUDY_DESIGN}
    procedures = con.execute(
        "SELECT pr.* FROM procedures AS pr JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design ORDER BY patient_id",
        design,
    ).df()
    events = con.execute(
        "SELECT e.* FROM events AS e JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design ORDER BY patient_id, event_day, event_type",
        design,
    ).df()
    pr, ae, ds = profile.section("pr"), profile.section("ae"), profile.section("ds")
    flag, pr_events = _inverse(profile, "flag"), _inverse(profile, "pr_event")
    index_term = pr["index_terms"][0]
    reinterventions = events[events.event_type.isin(pr_events)]
    pr_rows = [
        (p, index_term, _iso(start[p], d)) for p, d in zip(procedures.patient_id, procedures.procedure_day, strict=True)
    ]
    pr_rows += [
        (p, pr_events[t], _iso(start[p], d))
        for p, t, d in zip(
            reinterventions.patient_id, reinterventions.event_type, reinterventions.event_day, strict=True
        )
    ]
    pr_frame = pd.DataFrame(pr_rows, columns=[pr["subject"], pr["term"], pr["start_date"]]).sort_values(
        [pr["subject"], pr["start_date"]], kind="stable"
    )
    pr_frame.insert(1, pr["sequence"], pr_frame.groupby(pr["subject"]).cumcount().astype(float) + 1)
    pr_frame.insert(1, "DOMAIN", "PR")
    xpt(pr_frame.reset_index(drop=True), "PR")
    sequence = {
        p: s
        for p, t, s in zip(pr_frame[pr["subject"]], pr_frame[pr["term"]], pr_frame[pr["sequence"]], strict=True)
        if t == index_term
    }
    rows = []
    for column, qnam in profile.section("procedure").items():
        for p, value in zip(procedures.patient_id, procedures[column], strict=True):
            if not pd.isna(value):
                text = flag["true" if value else "false"] if isinstance(value, bool) else _text(value)
                rows.append((p, qnam, text, _text(sequence[p])))
    xpt(_supp(rows, profile.section("supp"), "PR", study, pr["sequence"]), "SUPPPR")
    terms = _inverse(profile, "event_type")
    adverse = events[events.event_type.isin(terms)]
    xpt(
        pd.DataFrame(
            {
                ae["subject"]: adverse.patient_id,
                "DOMAIN": "AE",
                ae["term"]: adverse.event_type.map(terms),
                ae["start_date"]: [
                    _iso(start[p], d) for p, d in zip(adverse.patient_id, adverse.event_day, strict=True)
                ],
                ae["serious"]: adverse.serious.map(lambda s: flag["true" if s else "false"]),
            }
        ),
        "AE",
    )
    deaths = events[events.event_type == "death"]
    xpt(
        pd.DataFrame(
            {
                ds["subject"]: deaths.patient_id,
                "DOMAIN": "DS",
                ds["term"]: ds["death_terms"][0],
                ds["date"]: [_iso(start[p], d) for p, d in zip(deaths.patient_id, deaths.event_day, strict=True)],
            }
        ),
        "DS",
    )


FORMAT = Format(
    name="sdtm",
    help="CDISC SDTM: DM + SUPPDM, QS, optional SV, AE, PR + SUPPPR and DS, as .xpt, .sas7bdat, CSV or Parquet",
    example_sources="dm.xpt suppdm.xpt sv.xpt qs.xpt ae.xpt pr.xpt supppr.xpt ds.xpt dataset.toml",
    mapper=SdtmMapper,
    write_example=write_sdtm,
    column_sections=("dm",),
)


def _dvt_date_hint(qnams: set[str]) -> str:
    """Months since the DVT missing while SUPPDM holds a QNAM that reads as the DVT's date (DVTDTC): the keys that
    count the months from it (review 17, finding 9: the error listed DVTDTC among the QNAMs, and no key)."""
    dates = sorted(q for q in qnams if q and "DVT" in q.upper() and re.search(r"(DTC|DT|DAT|DATE)$", q.upper()))
    if not dates:
        return ""
    return (
        f'; {dates[0]} reads as the DVT\'s date: set [qualifiers] dvt_date = "{dates[0]}" and months_since_dvt = "" '
        "in a copy of the profile to count whole months from it to the reference date ([dm] enrolled_on)"
    )
