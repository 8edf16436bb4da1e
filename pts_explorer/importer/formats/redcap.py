"""The REDCap format: a flat export of raw values and the project's data dictionary onto the
contract, its help text, and its example (the demo's registry as an export and its dictionary).
Its built-in profile is redcap.toml beside this module.

Longitudinal projects (a `redcap_event_name` column) map events to months ([events]); classic
projects keep one row per record and their visits as a repeating instrument ([visits]), the month
from a field or from the visit date by windows. A coded field's raw code becomes its contract value
through the profile's value map (keyed by the raw code or the dictionary's label); score fields
keep their numeric codes; a choice with no contract value is skipped with a warning; a checkbox is
reduced to the first ticked choice in the profile's order. Every row set aside is counted in the
import funnel."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
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
    _ref,
    contract_columns,
    day_after,
    day_between,
    filled_by,
    procedure_details,
    procedure_rule,
    write_sidecar,
)
from pts_explorer.importer.issues import ERROR, WARNING, Issue, counted, first_five
from pts_explorer.importer.profiles import Profile, ProfileError, identifier
from pts_explorer.importer.readers import Staged
from pts_explorer.vocab import VILLALTA_ITEMS

DICTIONARY_FIRST_COLUMN = "Variable / Field Name"
# The dictionary's columns as the Online Designer's download names them, and as the API's metadata
# export (PyCap, redcapAPI, REDCapR) names them.
DICTIONARY_COLUMNS = {
    "name": (DICTIONARY_FIRST_COLUMN, "field_name"),
    "type": ("Field Type", "field_type"),
    "label": ("Field Label", "field_label"),
    "choices": ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
    "identifier": ("Identifier?", "identifier"),
    "validation": ("Text Validation Type OR Show Slider Number", "text_validation_type_or_show_slider_number"),
}
# A text field validated as a date or date-time (date_ymd, date_dmy, datetime_seconds_mdy...): a date.
DATE_VALIDATIONS = ("date_", "datetime_")
CODED_TYPES = ("radio", "dropdown", "yesno", "truefalse", "checkbox")
TICKED = ("1", "Checked")  # a checkbox column's value when its choice is ticked (raw, label export)
# A score item's label words and the score they stand for: a radio whose codes disagree is refused.
SCORE_WORDS = {"absent": 0, "none": 0, "mild": 1, "moderate": 2, "severe": 3}
# Labels that read as a boolean where the field is not a REDCap yesno/truefalse field.
BOOLEAN_WORDS = {"yes": "true", "true": "true", "y": "true", "no": "false", "false": "false", "n": "false"}
PATIENT_COLUMNS = (
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
VISIT_COLUMNS = tuple(c for c in contract_columns("visits") if c not in ("patient_id", "visit_month", "visit_day"))
# [fields] keys a project may leave out: the contract's optional columns; deaths and procedures (a
# project without them has none); the arm and centre, which other keys can give ([arms], [study]).
OPTIONAL_KEYS = {
    c.name
    for table in ("patients", "visits", "procedures")
    for c in validation.contract().columns[table].values()
    if not c.not_null and not c.generated
} | {
    "death_date",
    "procedure_date",
    "technical_success",
    "stents_placed",
    "below_inguinal_ligament",
    "center_id",
    "arm",
    "villalta_total",
}
# Keys of [fields] and [adverse_events] that name a date field (the contract holds days after enrolment;
# months since the DVT, whole months from dvt_date to enrolled_on where months_since_dvt gives none).
DATE_KEYS = ("last_contact_date", "death_date", "procedure_date", "visit_date", "event_date", "dvt_date")
PROCEDURE_COLUMNS = ("technical_success", "stents_placed", "max_stent_diameter_mm", "below_inguinal_ligament")
FIELD_KEYS = (
    "patient_id",
    "center_id",
    "enrolled_on",
    *PATIENT_COLUMNS,
    "dvt_date",
    "last_contact_date",
    "death_date",
    "procedure_date",
    *PROCEDURE_COLUMNS,
    "visit_date",
    *VISIT_COLUMNS,
    "villalta_total",  # optional: the project's own total (a calc field), cross-checked against the items
)
# section -> the keys a redcap profile may set in it (None: any key: event names, arm numbers, value
# maps, checked where they are read); a key not listed, or a section not listed, refuses the profile
# when it is loaded, naming it (formats.KNOWN_KEYS, profiles.check_keys).
PROFILE_KEYS: dict[str, tuple[str, ...] | None] = {
    "study": ("study_id", "study_name", "design", "visit_months", "description", "center_id"),
    "events": None,
    "visits": ("instrument", "month", "windows"),
    "arms": None,
    "fields": FIELD_KEYS,
    "adverse_events": ("instrument", "event_type", "event_date", "serious"),
    "checkbox_order": None,
    "values": None,
    "dates": ("partial", "formats", "excel_serial"),
    "derive": ("ulcer_healed",),
    "population": ("exclude_arms",),  # arm choices (code or label) left out on purpose (_excluded_arms)
}


def imports_procedure(profile: Profile, columns: list[str]) -> bool:
    """Whether the index procedure is imported: [fields] procedure_date names a field the export has
    (as ADaM's [adsl] procedure_date: adam.imports_procedure). Its details are required exactly then."""
    date = str(profile.section("fields").get("procedure_date") or "")
    return bool(date) and date.lower() in {c.lower() for c in columns}


# A choice of a site field that names no site ("Other", "Other site", "Unknown", "Not applicable").
CATCH_ALL = r"(others?|unknown|not known|not applicable|n/?a|missing|none)\b.*"


def optional_keys(profile: Profile, columns: list[str]) -> set[str]:
    """The [fields] keys a project may leave out, given the export's columns: OPTIONAL_KEYS, the
    arm only when [arms] gives it, the centre only when [study] center_id or data access groups do,
    the procedure's required columns only when no procedure is imported (imports_procedure).
    The importer (a missing optional field is a warning) and the mapping assistant both use it."""
    out = OPTIONAL_KEYS - {"arm", "center_id"}
    given = profile.section("fields")
    lowered = {c.lower() for c in columns}
    # Months since the DVT: from a months field, or from a DVT date field; one of the two is enough.
    if str(given.get("dvt_date") or "").lower() in lowered:
        out |= {"months_since_dvt"}
    if given.get("dvt_date") and str(given.get("months_since_dvt") or "").lower() in lowered:
        out |= {"dvt_date"}
    if imports_procedure(profile, columns):  # procedures come: the contract requires these
        out -= set(procedure_details())
    if profile.section("arms"):
        out |= {"arm"}
    if profile.section("study").get("center_id") or "redcap_data_access_group" in {c.lower() for c in columns}:
        out |= {"center_id"}
    return out


def assistant_columns(source_columns: dict[str, list[str]]) -> dict[str, list[str]]:
    """What the mapping assistant offers as a project's fields, per file: the export's columns with
    a checkbox's field___code columns as its one field, without REDCap's own columns (redcap_...,
    a form's <form>_complete status); the data dictionary's header is no field."""
    out: dict[str, list[str]] = {}
    for file, columns in source_columns.items():
        if columns and columns[0].lstrip("\ufeff") in DICTIONARY_COLUMNS["name"]:
            continue
        fields = [re.sub(r"___[A-Za-z0-9_]+$", "", c) for c in columns]
        out[file] = list(
            dict.fromkeys(
                c for c in fields if not c.lower().startswith("redcap_") and not c.lower().endswith("_complete")
            )
        )
    return out


def is_dictionary(source: Staged) -> bool:
    """A data dictionary CSV (the Online Designer's download or the API's metadata export)."""
    first = source.columns[0] if source.columns else ""
    return first in DICTIONARY_COLUMNS["name"] and _column(source, "type") is not None


def field_labels(con: duckdb.DuckDBPyConnection, dictionary: Staged) -> dict[str, str]:
    """Each field (lower case) of the data dictionary -> its label ("Date of the index DVT")."""
    name, label = _column(dictionary, "name"), _column(dictionary, "label")
    if not (name and label):
        return {}
    rows = con.execute(f"SELECT lower(trim({name})), trim({label}) FROM {dictionary.table}").fetchall()
    return {str(f): str(text) for f, text in rows if f and text}


def date_fields(con: duckdb.DuckDBPyConnection, dictionary: Staged) -> dict[str, str]:
    """The fields (lower case) the data dictionary validates as dates or date-times -> the
    validation (date_ymd, date_dmy, datetime_seconds_mdy...)."""
    name, validation = _column(dictionary, "name"), _column(dictionary, "validation")
    if not (name and validation):
        return {}
    rows = con.execute(f"SELECT lower(trim({name})), lower(trim({validation})) FROM {dictionary.table}").fetchall()
    return {str(f): str(v) for f, v in rows if f and v and str(v).startswith(DATE_VALIDATIONS)}


# The label a raw code the data dictionary does not list is shown with (a choice removed or renumbered mid-study).
NOT_LISTED = "not in the data dictionary"
SHOWN_RECORDS = 5  # records named in a message, then how many more

WHAT_IS_SKIPPED = {
    "patients": "patient not imported (nor any of its rows)",
    "visits": "visit not imported",
    "procedures": "procedure not imported",
    "events": "event not imported",
}


@dataclass(frozen=True)
class Decoded:
    """A source field as a contract column: `expr` its value as text (NULL for a choice with no
    contract value); `unmapped` true where the row holds such a choice, `shown` and `label` what the
    warning names."""

    column: str
    field: str
    expr: str
    unmapped: str | None = None
    shown: str = "NULL"
    label: str = "NULL"
    key: str = ""  # the profile key that maps a choice: [values.<column>] unless said


class RedcapMapper(Mapper):
    """A flat export of raw values plus its data dictionary."""

    def run(self, facts: DatasetFacts) -> None:
        self.add_dataset_info(facts)
        self.refused = False
        self.arm_left_out = 0  # rows of the patients [population] exclude_arms leaves out (_excluded_arms)
        self.missing_maps: set[tuple[str, str]] = set()  # (table, column) whose value map is missing
        self.lacking: set[str] = set()  # required [fields] keys whose field the export lacks (_require)
        self.miscoded: set[str] = set()  # contract columns whose codes are refused (_check_codes): left empty
        # contract column -> raw codes of its field that the dictionary does not list and the profile does not map
        # (_not_in_dictionary): refused, and read as empty (never as a value they may not mean)
        self.unlisted: dict[str, list[str]] = {}
        # what waits for a profile key whose field the export lacks or which is not set ("visits" -> its keys)
        self.waiting: dict[str, list[str]] = {}
        try:
            fields = {k: self.profile.variable("fields", k) for k in self.profile.section("fields") if k in FIELD_KEYS}
            ae = self._names("adverse_events", ("event_type", "event_date", "serious"))
            visits = self._names("visits", ("month",))
        except ProfileError as exc:
            self._refuse("profile", self.profile.path.name, str(exc))
            return self._empty()
        dictionary = next((s for s in self.staged if is_dictionary(s)), None)
        record_id = fields["patient_id"] = fields.get("patient_id") or "record_id"
        export = self._export(record_id, dictionary)
        if export is not None and not export.has(record_id):  # an error already; checked with REDCap's record id
            fields["patient_id"] = export.columns[0]
        if dictionary is None:
            checkbox = [c for c in (export.columns if export else []) if "___" in c]
            shown = f"; its checkbox columns ({', '.join(checkbox[:4])}) need it" if checkbox else ""
            checked = "; the export's fields and dates are checked now, its records once it is among the sources"
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:dictionary",
                    "(sources)",
                    f"the project's data dictionary CSV is required to decode coded fields{shown}"
                    + (checked if export is not None else ""),
                )
            )
        if export is None:
            return self._empty()
        self.export_file = export.file
        if dictionary is None:  # all problems at once: what needs no decoding is checked (the fields, the dates)
            self.coded: dict[str, dict[str, str]] = {}
            self.kinds: dict[str, str] = {}
            for column in export.columns:
                field, sep, code = column.partition("___")
                if sep and field and code:  # a checkbox: field___code, one column per choice
                    self.kinds[field.lower()] = "checkbox"
                    self.coded.setdefault(field.lower(), {})[code] = code
            self._require(export, fields, ae, visits)
            self._check_dates_of(export, fields, ae)
            return self._empty()
        self.dictionary_file = dictionary.file
        self.coded, self.kinds = self._coded_fields(dictionary)
        if "villalta_total" not in self.profile.section("fields"):
            fields["villalta_total"] = self._calculated_total(dictionary, export, fields)
        self._identifiers(dictionary, export)
        self._require(export, fields, ae, visits)
        if self._label_export(export):
            return self._empty()
        self._check_raw(export, str(fields["patient_id"]), [*fields.values(), *ae.values(), *visits.values()])
        self._check_dates_of(export, fields, ae)
        self._map(export, fields, ae, visits)
        if self.refused:
            return self._empty()

    def _check_dates_of(self, export: Staged, fields: dict[str, str | None], ae: dict[str, str]) -> None:
        keys = ("enrolled_on", "last_contact_date", "death_date", "procedure_date", "visit_date", "dvt_date")
        self.check_dates(export, [fields.get(k) for k in keys] + [ae.get("event_date")])

    def _empty(self) -> None:
        for table in TABLES[1:]:
            self.create_empty(table)

    def _refuse(self, rule: str, file: str, message: str) -> None:
        self.refused = True
        self.issues.add(Issue.file_level(ERROR, rule, file, message))

    def _names(self, section: str, keys: tuple[str, ...]) -> dict[str, str]:
        """The source fields a section names (checked as plain names)."""
        given = self.profile.section(section)
        return {k: identifier(given[k], f"[{section}] {k}") for k in keys if given.get(k)}

    def _export(self, record_id: str, dictionary: Staged | None) -> Staged | None:
        """The flat export: the source that is not the dictionary and has the record id column. When
        none has it, the one other source (or the one with redcap_event_name) is still the export:
        one error names its first column, which is where REDCap writes the record id, and the export
        is checked with that column as the record id (all problems at once)."""
        candidates = [s for s in self.staged if s is not dictionary and s.has(record_id)]
        found = next((s for s in candidates if s.has("redcap_event_name")), None) or next(iter(candidates), None)
        others = [s for s in self.staged if s is not dictionary]
        read = [s.file for s in others]
        if found is None and not read and self.issues.has_errors():
            return None  # the export could not be read (a wrong delimiter, a broken file): its error says why
        longitudinal = [s for s in others if s.has("redcap_event_name")]
        stand_in = longitudinal[0] if len(longitudinal) == 1 else others[0] if len(others) == 1 else None
        if found is None and stand_in is not None and stand_in.columns:
            first = stand_in.columns[0]
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:record_id",
                    stand_in.file,
                    f"the export has no record id column {record_id!r} ([fields] patient_id names it); its first "
                    f'column, {first!r}, is where REDCap writes the record id: set patient_id = "{first}" in [fields] '
                    f"of a copy of the profile. The export is checked with {first!r} as the record id",
                    1,
                )
            )
            return stand_in
        if found is None:
            seen = ", ".join(read) or "none"
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:export",
                    "(sources)",
                    f"no REDCap flat export found: no file has the record id column {record_id!r} ([fields] "
                    f"patient_id names it; files read: {seen})",
                )
            )
        return found

    def _coded_fields(self, dictionary: Staged) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        """Field -> {raw code: label} for every coded field of the dictionary, and field -> type."""
        name, kind, choices = (_column(dictionary, c) for c in ("name", "type", "choices"))
        if not (name and kind):
            return {}, {}
        rows = self.con.execute(f"SELECT {name}, lower({kind}), {choices or 'NULL'} FROM {dictionary.table}").fetchall()
        coded: dict[str, dict[str, str]] = {}
        kinds: dict[str, str] = {}
        for variable, field_type, text in rows:
            if not variable:
                continue
            variable = str(variable).lower()
            kinds[variable] = str(field_type or "")
            if field_type == "yesno":
                coded[variable] = {"1": "Yes", "0": "No"}
            elif field_type == "truefalse":
                coded[variable] = {"1": "True", "0": "False"}
            elif field_type in CODED_TYPES and text:
                coded[variable] = _choices(text)
        return coded, kinds

    def _calculated_total(self, dictionary: Staged, export: Staged, fields: dict[str, str | None]) -> str | None:
        """The project's own Villalta total where the profile names none ([fields] villalta_total): a calc
        field of the dictionary whose calculation names each of the 11 Villalta item fields the profile maps,
        and which the export holds. Its value is cross-checked against the items' sum (a warning per visit
        where they differ; the items' sum is imported). None: no such field."""
        name, kind, formula = (_column(dictionary, c) for c in ("name", "type", "choices"))
        items = [str(fields.get(c) or "").lower() for c in VILLALTA_ITEMS]
        if not (name and kind and formula) or not all(items):
            return None
        rows = self.con.execute(
            f"SELECT {name}, {formula} FROM {dictionary.table} WHERE lower(trim({kind})) = 'calc'"
        ).fetchall()
        for field, calculation in rows:
            named = {m.lower() for m in re.findall(r"\[([A-Za-z0-9_]+)\]", str(calculation or ""))}
            if field and set(items) <= named and export.has(str(field)):
                return str(field)
        return None

    def _identifiers(self, dictionary: Staged, export: Staged) -> None:
        flag, name = _column(dictionary, "identifier"), _column(dictionary, "name")
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

    def _require(
        self, export: Staged, fields: dict[str, str | None], ae: dict[str, str], visits: dict[str, str]
    ) -> None:
        """Every field the profile names is in the export (a checkbox as its field___code columns),
        each missing one an error naming the profile key. The export is checked without them (all
        problems at once): a missing [fields] field leaves its contract column empty; the visits wait
        for a missing [visits] field (no visit has a month without it), the adverse events for a
        missing [adverse_events] event_type (an event is its type); the message says which wait."""
        wanted = {f"[fields] {k}": v for k, v in fields.items() if v}
        wanted |= {f"[visits] {k}": v for k, v in visits.items()}
        instrument = export.ref("redcap_repeat_instrument")
        if ae and instrument:
            (n,) = self.con.execute(
                f"SELECT count(*) FROM {export.table} WHERE {instrument} = $i",
                {"i": str(self.profile.section("adverse_events").get("instrument", "adverse_events"))},
            ).fetchone() or (0,)
            if n:
                wanted |= {f"[adverse_events] {k}": v for k, v in ae.items()}
        missing: list[str] = []
        optional: list[str] = []
        may_lack = optional_keys(self.profile, export.columns)
        for key, field in wanted.items():
            found = [field + "___<code>"] if self.kinds.get(field.lower()) == "checkbox" else [field]
            if found != [field]:
                found = [_checkbox_column(field, code) for code in self.coded.get(field.lower(), {})] or found
            gone = [c for c in found if not export.has(c)]
            if not gone:
                continue
            shown = f"{', '.join(gone)} (checkbox {field!r}, {key})" if found != [field] else f"{field!r} ({key})"
            section, name = key[1:].split("] ")
            if section == "fields" and name == "center_id" and name in may_lack:
                fields[name] = None  # the centre comes from [study] center_id or the data access groups
                self._centre_elsewhere(export, shown)
                continue
            if section == "fields" and name in may_lack:
                optional.append(shown)
                fields[name] = None  # imported without it: its contract column stays empty
                continue
            missing.append(shown)
            if section == "fields":  # refused, but every other field is still checked
                fields[name] = None
                self.lacking.add(name)
                self.absent(export.file, [("patients", "months_since_dvt")] if name == "dvt_date" else filled_by(name))
            elif section == "visits":
                del visits[name]
                self.waiting.setdefault("visits", []).append(key)
            else:
                del ae[name]
                if name == "event_type":
                    self.waiting.setdefault("adverse events", []).append(key)
                else:
                    self.absent(export.file, [("events", {"event_date": "event_day"}.get(name, name))])
        if missing:
            waits = [
                f"the {what} are read once {' and '.join(keys)} {'names' if len(keys) == 1 else 'name'} a field "
                "of the export"
                for what, keys in self.waiting.items()
            ]
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    f"columns:{export.name}",
                    export.file,
                    f"the export lacks column(s) {'; '.join(missing)}; the profile maps them: set each key to the "
                    f"field's name in a copy of profile {self.profile.name!r}, or export the field"
                    + self._why_procedure_details(missing, export)
                    + "; the export is checked without them; "
                    + "".join(f"{w}; " for w in waits)
                    + LATER,
                    1,
                )
            )
        if optional:
            self.issues.add(
                Issue.file_level(
                    WARNING,
                    f"columns:{export.name}",
                    export.file,
                    f"the export lacks optional column(s) {'; '.join(optional)}: imported without them (left empty); "
                    f'set each key to the field\'s name in a copy of profile {self.profile.name!r}, or to "" if the '
                    "project has no such field" + self._no_procedure(optional, export),
                    1,
                )
            )

    def _centre_elsewhere(self, export: Staged, shown: str) -> None:
        """A site field ([fields] center_id) the export lacks while [study] center_id or the data access groups
        give the centre (_center): the warning says where each patient's centre comes from (review 17, finding 8:
        it said "left empty" while every patient had the study's centre)."""
        fixed = self.profile.section("study").get("center_id")
        source = (
            f"every patient's centre is {str(fixed)!r}, from [study] center_id"
            if fixed
            else "each patient's centre is their data access group (redcap_data_access_group)"
        )
        self.issues.add(
            Issue.file_level(
                WARNING,
                "redcap:center",
                export.file,
                f"the export lacks the site field {shown}: {source}. Set center_id to the site field's name in "
                f'[fields] of a copy of profile {self.profile.name!r}, or to "" there to say the project has none',
                1,
            )
        )

    def _why_procedure_details(self, missing: list[str], export: Staged) -> str:
        """Why the procedure's details are required (the index procedure is imported: [fields]
        procedure_date names a field of the export) and the way out, when the missing fields include
        one: procedure_rule, the same rule every format and the assistant say (review 10: a check said
        "required" while the procedure date's field was an optional one the export lacked)."""
        details = [d for d in procedure_details() if any(m.endswith(f"[fields] {d})") for m in missing)]
        if not details:
            return ""
        date = str(self.profile.section("fields").get("procedure_date"))
        how = f'[fields] procedure_date = "{date}" names a field of the export'
        way_out = 'or set procedure_date = "" in [fields]'
        return f" ({', '.join(details)}: {procedure_rule(True, how, way_out)})"

    def _no_procedure(self, optional: list[str], export: Staged) -> str:
        """The optional columns' warning, when it lists the procedure date or details and no procedure is
        imported: procedure_rule, said of the details it lists."""
        if imports_procedure(self.profile, export.columns):
            return ""
        keys = ("procedure_date", *procedure_details())
        listed = [k for k in keys if any(o.endswith(f"[fields] {k})") for o in optional)]
        details = [k for k in listed if k != "procedure_date"]
        if not listed:
            return ""
        date = str(self.profile.section("fields").get("procedure_date") or "")
        how = (
            f'[fields] procedure_date = "{date}" names no field of the export'
            if date
            else '[fields] procedure_date = ""'
        )
        return f"; {', '.join(details or procedure_details())}: {procedure_rule(False, how, '')}"

    def _label_export(self, export: Staged) -> bool:
        """An export of labels, not raw codes (REDCap's "labels" export: "Mild" where the raw export
        writes 2, "Checked" for 1, "Baseline (Arm 1: Stent)" for baseline_arm_1), found from the data
        dictionary's coded fields whatever the profile names: one error that says to export raw data,
        and nothing else is checked (every coded value, event and checkbox would be an error of its
        own, each suggesting a map that cannot work). True when it is one."""
        b = Bind()
        hits = []
        for field, codes in self.coded.items():
            if self.kinds.get(field) == "checkbox":
                for code in codes:
                    if (ref := export.ref(_checkbox_column(field, code))) is not None:
                        hits.append(f"CASE WHEN {ref} IN ('Checked', 'Unchecked') THEN {b(field)} END")
                continue
            ref = export.ref(field)
            labels = [label for label in codes.values() if label not in codes]
            if ref is None or not labels:
                continue
            hits.append(f"CASE WHEN list_contains({b(labels)}, {ref}) THEN {b(field)} END")
        if not hits:
            return False
        first = f"coalesce({', '.join(hits)})"
        sql = (
            f"SELECT count(*) FILTER (WHERE {first} IS NOT NULL), count(*), string_agg(DISTINCT {first}, ', ' ORDER "
            f"BY {first}) FROM {export.table}"
        )
        labelled, rows, fields = self.con.execute(sql, b.params).fetchone() or (0, 0, "")
        if not labelled or 2 * labelled < rows:
            return False  # a few labels among codes: _check_raw names each row
        self.issues.add(
            Issue.file_level(
                ERROR,
                "redcap:labels",
                export.file,
                f"the export holds labels where the raw codes belong ({labelled:,} of its "
                f"{counted(int(rows), 'row')}, in coded fields such as {fields}): export the records again as raw "
                'data (REDCap\'s Data Exports: "CSV / Microsoft Excel (raw data)"), with the same fields; the values '
                "are checked once the export holds raw codes",
            )
        )
        return True

    def _check_raw(self, export: Staged, record_id: str, variables: list[str | None]) -> None:
        """A label export where raw codes were expected: decoding would turn every value into an
        error. One error per row (not per cell), its value the first field holding a label."""
        b = Bind()
        hits = []
        for variable in dict.fromkeys(filter(None, variables)):
            codes = self.coded.get(variable.lower())
            ref = export.ref(variable)
            if not codes or ref is None or self.kinds.get(variable.lower()) == "checkbox":
                continue
            hits.append(
                f"CASE WHEN list_contains({b(list(codes.values()))}, {ref}) AND NOT list_contains({b(list(codes))}, "
                f"{ref}) THEN {b(variable)} END"
            )
        if not hits:
            return
        first = f"coalesce({', '.join(hits)})"
        message = (
            "a label where the raw code was expected (the value seen: the row's first coded field holding a label): "
            "export the records as raw data"
        )
        self._run(
            f"INSERT INTO issues SELECT 'error', 'redcap:labels', _file, _line, {_ref(export, record_id)}, "
            f"'(coded fields)', {first}, {b(message)} FROM {export.table} WHERE {first} IS NOT NULL",
            b,
        )

    # --- decoding --------------------------------------------------------------------------------

    def decode(self, src: Staged, table: str, column: str, field: str | None, b: Bind) -> Decoded:
        """A source field as the contract column `table.column`.

        Coded fields: the profile's [values.<column>] maps a raw code (or else the dictionary's
        label) onto the contract's value; without an entry a yes/no field gives true/false, a
        numeric column keeps the numeric code (a score item's code is its score), and any other
        column takes the label. A choice whose value the contract cannot hold is `unmapped`; a raw
        code the dictionary does not list is read only through [values.<column>] (a code "" maps is
        skipped, as a choice with no contract value), any other is refused (_not_in_dictionary) and
        read as empty. Text fields pass through the value map."""
        if not field:
            return Decoded(column, "", "NULL")
        if column in self.miscoded:  # its codes are refused (_check_codes): read once they are mapped
            return Decoded(column, field, "NULL")
        codes = self.coded.get(field.lower())
        if self.kinds.get(field.lower()) == "checkbox" and codes:
            return self._checkbox(src, table, column, field, codes, b)
        ref = _ref(src, field)
        if not codes:
            return Decoded(column, field, self.mapped(ref, column, b))
        # The raw codes the dictionary does not list that the profile maps (choices removed mid-study; review 18, F2).
        given = self.profile.values(column)
        codes = codes | {k: NOT_LISTED for k in given if k not in codes and k not in codes.values()}
        targets = {code: self._target(table, column, field, code, label) for code, label in codes.items()}
        mapped = {code: value for code, value in targets.items() if value is not None}
        unmapped = [code for code, value in targets.items() if value is None]
        expr = ref
        if mapped:
            expr = f"coalesce(list_extract({b(list(mapped.values()))}, list_position({b(list(mapped))}, {ref})), {ref})"
        if bad := self.unlisted.get(column):  # refused: empty, never the raw code read as a value
            expr = f"CASE WHEN coalesce(list_contains({b(bad)}, {ref}), false) THEN NULL ELSE {expr} END"
        label = f"list_extract({b(list(codes.values()))}, list_position({b(list(codes))}, {ref}))"
        if not unmapped:
            return Decoded(column, field, expr)
        hit = f"coalesce(list_contains({b(unmapped)}, {ref}), false)"
        return Decoded(column, field, f"CASE WHEN {hit} THEN NULL ELSE {expr} END", hit, ref, label)

    def _not_in_dictionary(
        self, export: Staged, f: dict[str, str | None], ae: dict[str, str], visits: dict[str, str]
    ) -> None:
        """A value of a coded field that the data dictionary does not list (REDCap exports the current dictionary
        only: a choice removed or renumbered mid-study leaves the old codes in the records) is refused, one error
        per code naming the field, the code, the current choices and the records holding it, unless
        [values.<column>] maps the code (review 18, F2: a Villalta item recoded 0-3 -> 1-4 was read shifted by
        one, a technical success 0 as false, with no word). The column is then read as empty where it holds one."""
        named = [(t, c, f.get(c)) for t in ("patients", "visits", "procedures") for c in contract_columns(t) if c in f]
        named += [("events", c, ae.get(c)) for c in ("event_type", "serious")]
        named.append(("visits", "visit_month", visits.get("month")))
        record = _ref(export, str(f["patient_id"]))
        for table, column, field in named:
            codes = self.coded.get((field or "").lower())
            ref = export.ref(field) if field else None
            # A column whose codes are refused (_check_codes) is checked once they are mapped, as its message says.
            if not codes or ref is None or self.kinds.get(str(field).lower()) == "checkbox" or column in self.miscoded:
                continue
            known = [*codes, *codes.values(), *self.profile.values(column)]
            rows = self.con.execute(
                f"SELECT {ref} AS code, list(DISTINCT {record} ORDER BY {record}), count(*), arg_min(_file, _line), "
                f"min(_line) FROM {export.table} WHERE nullif({ref}, '') IS NOT NULL AND NOT list_contains($known, "
                f"{ref}) GROUP BY 1 ORDER BY 1",
                {"known": known},
            ).fetchall()
            if not rows:
                continue
            self.unlisted[column] = [str(r[0]) for r in rows]
            self.absent(None, [(table, column)])  # its empty values are this error's, not reported again
            choices = " | ".join(f"{c}, {lab}" for c, lab in codes.items())
            hint = _hint(table, column)
            for code, records, n, file, line in rows:
                shown = ", ".join(str(r) for r in records[:SHOWN_RECORDS])
                more = f" and {len(records) - SHOWN_RECORDS} more" if len(records) > SHOWN_RECORDS else ""
                where = f"{counted(len(records), 'record')} ({shown}{more}; {counted(int(n), 'row')})"
                if column in _villalta_items():
                    fix = (
                        "A score is never read from a code the choices do not list: if the item's codes were "
                        "renumbered, its older records cannot be told from the newer; recode them in REDCap to the "
                        f"current choices, or, if every record holding it means one score, map it in [values.{column}] "
                        f'of a copy of the profile (e.g. "{code}" = 0)'
                    )
                else:
                    what = WHAT_IS_SKIPPED[table] if validation.contract().columns[table][column].not_null else ""
                    skip = f'; or to "" to skip it ({what})' if what else '; or to "" to leave the value empty'
                    boolean = {"0": "false"}.get(code, "true") if "true or" in hint else code
                    example = next(iter(_vocabulary(table, column) or ()), boolean)
                    fix = (
                        f'Map it in [values.{column}] of a copy of the profile to {hint} (e.g. "{code}" = '
                        f'"{example}"){skip}; or correct the records or the dictionary in REDCap'
                    )
                self.issues.add(
                    Issue(
                        ERROR,
                        "redcap:not_in_dictionary",
                        str(file),
                        int(line),
                        str(records[0]),
                        column,
                        str(code),
                        f"field {field!r} ({table}.{column}) holds the code {code!r}, which its data dictionary does "
                        f"not list (its choices: {choices}), in {where}: were the choices changed during the study? "
                        f"{fix}",
                    )
                )

    def _target(self, table: str, column: str, field: str, code: str, label: str) -> str | None:
        """The contract value of one choice, or None when the contract cannot hold it."""
        values = self.profile.values(column)
        family = validation.type_family(validation.contract().columns[table][column].type)
        kind = self.kinds.get(field.lower())
        if code in values:
            value: str | None = values[code]
        elif label in values:
            value = values[label]
        elif family == "boolean":
            value = {"1": "true", "0": "false"}.get(code) if kind in ("yesno", "truefalse") else None
            value = value or BOOLEAN_WORDS.get(label.strip().lower())
        elif family in ("integer", "number"):
            value = code
        else:
            value = _term(table, column, label)
        if not value:
            return None
        if family == "boolean":
            return BOOLEAN_WORDS.get(value.lower(), {"1": "true", "0": "false"}.get(value))
        if family in ("integer", "number"):
            return value if _number(value) else None
        allowed = _vocabulary(table, column)
        return value if allowed is None or value in allowed else None

    def _checkbox(self, src: Staged, table: str, column: str, field: str, codes: dict[str, str], b: Bind) -> Decoded:
        """A checkbox as one value: the first ticked choice in the profile's [checkbox_order] for the
        column (for obstruction sites: the most proximal segment)."""
        order = self.profile.section("checkbox_order").get(column)
        targets = {code: self._target(table, column, field, code, label) for code, label in codes.items()}
        mapped = {code: value for code, value in targets.items() if value is not None}
        # An order missing or incomplete is an error; the column is left empty (Mapper.absent) and the rest of
        # the export is still read and checked (all problems at once).
        if not isinstance(order, list) or not order:
            # The suggested order: the contract's (for obstruction sites, proximal to distal), not the dictionary's.
            vocabulary = _vocabulary(table, column) or []
            suggested = sorted(
                dict.fromkeys(mapped.values()),
                key=lambda v: vocabulary.index(v) if v in vocabulary else len(vocabulary),
            )
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:checkbox",
                    self.dictionary_file,
                    f"field {field!r} is a checkbox (columns {', '.join(_checkbox_column(field, c) for c in codes)}) "
                    f"mapped to {table}.{column}, which holds one value: give the order that picks one ticked choice "
                    f"in [checkbox_order] {column} = [{', '.join(repr(v) for v in suggested)}] (the first ticked "
                    "in that order is kept)",
                )
            )
            self.absent(None, [(table, column)])
            return Decoded(column, field, "NULL")
        order = [str(v) for v in order]
        left_out = sorted(set(mapped.values()) - set(order))
        if left_out:
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:checkbox",
                    self.dictionary_file,
                    f"[checkbox_order] {column} lacks {', '.join(left_out)}, a value of checkbox {field!r}'s "
                    "choices: add it where it belongs in the order",
                )
            )
            self.absent(None, [(table, column)])
            return Decoded(column, field, "NULL")
        ticked = {code: f"{_ref(src, _checkbox_column(field, code))} IN {TICKED}" for code in codes}
        whens = [f"WHEN {ticked[c]} THEN {b(v)}" for value in order for c, v in mapped.items() if v == value]
        expr = f"(CASE {' '.join(whens)} END)" if whens else "NULL"
        unmapped = [code for code in codes if code not in mapped]
        if not unmapped:
            return Decoded(column, field, expr)
        any_unmapped = " OR ".join(ticked[c] for c in unmapped)
        shown = "CASE " + " ".join(f"WHEN {ticked[c]} THEN {b(c)}" for c in unmapped) + " END"  # the code: a map key
        label = "CASE " + " ".join(f"WHEN {ticked[c]} THEN {b(codes[c])}" for c in unmapped) + " END"
        return Decoded(column, field, expr, f"coalesce({expr} IS NULL AND ({any_unmapped}), false)", shown, label)

    def _check_codes(self, column: str, field: str | None, months: list[int]) -> None:
        """Numeric codes kept as values must be what they claim: a score item's codes its scores
        (labels such as "Absent" or "Severe" agree with the code), a visit month field's codes
        months of the study's schedule. Codes that are not are an error naming the value map, and
        the rest of the export is still read and checked (all problems at once): the item is left
        empty, or, for the visit month, no visit is read (a visit has no month without it)."""
        codes = self.coded.get((field or "").lower())
        values = self.profile.values(column)
        if not field or not codes or self.kinds.get(field.lower()) == "checkbox":
            return
        kept = {c: lab for c, lab in codes.items() if c not in values and lab not in values}
        if column == "visit_month":
            wrong = {c: lab for c, lab in kept.items() if not (c.isdigit() and int(c) in months)}
            what = f"months of [study] visit_months {months}"
        elif column in _villalta_items():
            wrong = {
                c: lab
                for c, lab in kept.items()
                if c not in ("0", "1", "2", "3") or SCORE_WORDS.get(_first_word(lab), int(c)) != int(c)
            }
            what = "Villalta scores 0-3 (0 Absent, 1 Mild, 2 Moderate, 3 Severe)"
        else:
            return
        if wrong:
            shown = " | ".join(f"{c}, {lab}" for c, lab in wrong.items())
            example = next(iter(wrong))
            extra = ""
            if column == "visit_month":  # a choice that is no visit of the schedule: mapped to nothing
                unscheduled = next(
                    (c for c, lab in wrong.items() if re.search(r"unsched|unplan|extra", lab, re.I)), example
                )
                extra = (
                    f'; a choice that is no scheduled visit (an unscheduled visit) maps to "" (e.g. "{unscheduled}" '
                    '= ""): its visits are not imported, each named in a warning'
                )
                extra += "; the visits are read once the codes are months (the other fields are checked now)"
            else:
                extra = "; its values are checked once its codes are mapped"
            self.miscoded.add(column)
            self.absent(None, [("visits", "*" if column == "visit_month" else column)])
            self.issues.add(
                Issue(
                    ERROR,
                    "redcap:codes",
                    self.dictionary_file,
                    None,
                    "",
                    field,
                    "",
                    f"field {field!r} ({column}) has choices {shown} whose codes are not {what}: map each code to "
                    f'its value in [values.{column}] of a copy of the profile (e.g. "{example}" = ...){extra}',
                )
            )

    # --- mapping ---------------------------------------------------------------------------------

    def _map(self, export: Staged, f: dict[str, str | None], ae: dict[str, str], visits: dict[str, str]) -> None:
        study = self.profile.section("study")
        months = [int(m) for m in study.get("visit_months", [0])]
        for column in (*_villalta_items(), "visit_month"):
            self._check_codes(column, visits.get("month") if column == "visit_month" else f.get(column), months)
        self._not_in_dictionary(export, f, ae, visits)
        rid = _ref(export, f["patient_id"])
        longitudinal = export.has("redcap_event_name")
        instrument = export.ref("redcap_repeat_instrument")
        visit_instrument = str(self.profile.section("visits").get("instrument") or "")
        ae_instrument = str(self.profile.section("adverse_events").get("instrument") or "adverse_events")
        windows = self._windows()
        # A classic project whose visits cannot be placed: an error each, and the visits wait for it; the
        # patients and the adverse events are still read and checked (all problems at once).
        later = "; the visits are read once it is set (the patients and adverse events are checked now)"
        if not longitudinal and not visit_instrument:
            found = self._instruments(export)
            self._visits_wait(
                "[visits] instrument",
                export.file,
                f"a classic project (no redcap_event_name column): name the repeating instrument that holds the "
                f"visits in [visits] instrument (repeating instruments in the export: {', '.join(found) or 'none'})"
                + later,
            )
        given_date = str(self.profile.section("fields").get("visit_date") or "")
        lacking_month = "[visits] month" in self.waiting.get("visits", [])  # already an error naming the field
        if not longitudinal and not visits.get("month") and windows is None and not lacking_month:
            self._visits_wait(
                "[visits] month",
                export.file,
                "a classic project (no redcap_event_name column): name the field holding each visit's month in "
                "[visits] month, or give [visits.windows] (month = [first day, last day] after the enrolment date) "
                f"to place each visit by its date ([fields] visit_date = {given_date!r})" + later,
            )
        given = self.profile.section("events")
        events = {str(k): int(m) for k, m in given.items() if m != ""}
        not_visits = [str(k) for k, m in given.items() if m == ""]  # an event mapped to "": no visit, said so
        if self.refused:
            return
        b = Bind()
        plain = f"{instrument} IS NULL" if instrument else "true"
        event_month = "NULL::INTEGER"
        event = _ref(export, "redcap_event_name")
        if longitudinal and events:
            event_month = f"list_extract({b(list(events.values()))}, list_position({b(list(events))}, {event}))"
        record = f"coalesce({plain} AND {event_month} = 0, false)" if longitudinal else plain
        holds_visit = _holds_visit(export, f)
        if visit_instrument and instrument and longitudinal:
            # The follow-ups in a repeating instrument, the baseline on the non-repeating form of a month-0
            # event (review 12, finding 1): the rows of the instrument are visits at their month field, and
            # a non-repeating row holding Villalta items at an event [events] maps is a visit at its month.
            visit = (
                f"(coalesce({instrument} = {b(visit_instrument)}, false) OR "
                f"coalesce({plain} AND {event_month} IS NOT NULL AND ({holds_visit}), false))"
            )
        elif visit_instrument and instrument:
            visit = f"coalesce({instrument} = {b(visit_instrument)}, false)"
        elif longitudinal:
            visit = f"({plain} AND {event_month} IS NOT NULL)"
        else:
            visit = "false"
        is_ae = f"coalesce({instrument} = {b(ae_instrument)}, false)" if instrument else "false"
        other = f"(NOT {plain} AND NOT {visit} AND NOT {is_ae})"
        unmapped_event = f"({plain} AND {event_month} IS NULL)" if longitudinal else "false"
        not_visit = "false"
        if longitudinal and not_visits:
            not_visit = f"coalesce({plain} AND list_contains({b(not_visits)}, {event}), false)"
            unmapped_event = f"({unmapped_event} AND NOT {not_visit})"
        self.con.execute(
            f"CREATE OR REPLACE TABLE rc AS SELECT *, {rid} AS _id, {event_month} AS _event_month, "
            f"{record} AS _record, {visit} AS _visit, {is_ae} AS _ae, {other} AS _other, "
            f"{unmapped_event} AS _unmapped_event, {not_visit} AS _not_visit, false AS _skip, false AS _lent "
            f"FROM {export.table}",
            b.params,
        )
        rc = replace(export, table="rc")
        file = export.file
        if longitudinal and not self._count("_record"):
            found = [
                r[0]
                for r in self.con.execute(
                    f"SELECT DISTINCT {_ref(rc, 'redcap_event_name')} FROM rc ORDER BY 1"
                ).fetchall()
            ]
            baseline = [e for e, m in events.items() if m == 0]
            # All problems at once: the patient fields are still checked, at each record's first row of the
            # non-repeating forms (a stand-in for its baseline event), and the visits at the events it maps.
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:events",
                    file,
                    f"no row of the export is at a month-0 event of [events] ({', '.join(baseline) or 'none'}), "
                    "where patient fields are read: map the baseline event(s) to 0 in [events] (events in the "
                    f"export: {', '.join(map(str, found[:12]))}); the export is checked with each record's first "
                    "row as its baseline row until then",
                )
            )
            self.con.execute(
                "UPDATE rc SET _record = true, _unmapped_event = false WHERE rowid IN (SELECT rowid FROM rc WHERE "
                f"{_ref(rc, 'redcap_repeat_instrument')} IS NULL QUALIFY "
                "row_number() OVER (PARTITION BY _id ORDER BY _line) = 1)"
            )
        if longitudinal:
            self._patient_fields_elsewhere(rc, f, events)
            if self.refused:
                return
            # A row of an event the map lacks that holds a visit (a Villalta item): the visit would be lost, which
            # is an error naming the event (review 11, N2: ten month-3 visits lost with one warning beside harmless
            # end-of-study rows); a row with no visit data stays a warning.
            items = [r for r in (_ref(rc, f.get(k)) for k in VILLALTA_ITEMS if f.get(k)) if r != "NULL"]
            holds = " OR ".join(f"nullif(trim(CAST({i} AS VARCHAR)), '') IS NOT NULL" for i in items) or "false"
            # (an event named unscheduled is no scheduled visit, as ADaM's AVISIT "UNSCHEDULED": a warning)
            holds = f"({holds}) AND NOT coalesce(lower({rc.ref('redcap_event_name')}) LIKE '%unsched%', false)"
            self.con.execute(
                f"INSERT INTO issues SELECT 'error', 'redcap:event_visits', _file, _line, _id, 'redcap_event_name', "
                f"{rc.ref('redcap_event_name')}, 'event not in the profile''s [events] map, but its row holds a visit "
                "(Villalta items): the visit would not be imported; add the event with its month to [events] of a "
                f'copy of the profile (or set it to "" if it is no visit)\' FROM rc WHERE _unmapped_event AND ({holds})'
            )
            self.con.execute(
                f"INSERT INTO issues SELECT 'warning', 'redcap:event', _file, _line, _id, 'redcap_event_name', "
                f"{rc.ref('redcap_event_name')}, 'event not in the profile''s [events] map: row not imported (add "
                "the event with its month to [events] of a copy of the profile)' FROM rc WHERE _unmapped_event "
                f"AND NOT ({holds})"
            )
        self.funnel.drop(file, "event not in [events]", self._count("_unmapped_event"), loss=True)
        if not_visits:
            self.funnel.drop(file, 'event not a visit ([events] = "")', self._count("_not_visit"), loss=False)
        for name, n in self.con.execute(
            f"SELECT {_ref(rc, 'redcap_repeat_instrument')}, count(*) FROM rc WHERE _other GROUP BY 1 ORDER BY 1"
        ).fetchall():
            b = Bind()
            unread = f"_other AND {_ref(rc, 'redcap_repeat_instrument')} = {b(name)} AND ({_holds_visit(rc, f)})"
            held = self._count(unread, "rc", b)
            self.funnel.drop(file, f"repeating instrument {name} not in the profile", n, loss=held > 0)
            if "[visits] instrument" in self.waiting.get("visits", []):
                continue  # the error asking for the visits instrument lists the instruments
            if held:  # visits the profile does not read: never lost with a warning (review 12, finding 1)
                where = (
                    " at events " + ", ".join(self._distinct(_ref(rc, "redcap_event_name"), unread, b))
                    if longitudinal
                    else ""
                )
                month = str(visits.get("month") or "")
                self.issues.add(
                    Issue.file_level(
                        ERROR,
                        "redcap:instrument_visits",
                        file,
                        f"{counted(held, 'row')} of the repeating instrument {name!r}{where} hold visits (Villalta "
                        f"items) that the profile does not read ([visits] instrument = "
                        f"{visit_instrument or '(none)'!r}): they would not be imported. Set [visits] instrument = "
                        f'"{name}" in a copy of the profile, with [visits] month = the field holding each visit\'s '
                        f"month ({month or 'none named now'}); a baseline on the non-repeating form of an event "
                        "[events] maps to 0 is read too",
                    )
                )
                continue
            self.issues.add(
                Issue.file_level(
                    WARNING,
                    "redcap:instrument",
                    file,
                    f"{counted(n, 'row')} of the repeating instrument {name!r} not imported: the profile reads "
                    f"the visits instrument ([visits] instrument = {visit_instrument or '(none)'!r}) and the "
                    f"adverse events instrument ([adverse_events] instrument = {ae_instrument!r})",
                )
            )
        self.con.execute(
            f"CREATE OR REPLACE TABLE baseline AS SELECT _id AS id, {_ref(rc, f.get('enrolled_on'))} AS enrolled_on "
            "FROM rc WHERE _record QUALIFY row_number() OVER (PARTITION BY _id ORDER BY _line) = 1"
        )
        study_id = str(study.get("study_id", "REGISTRY"))
        b = Bind()
        self.add_studies(f"SELECT {b(study_id)} AS study_id", study, export.file, b)
        self._patients(rc, f, study_id, longitudinal)
        if self.refused:
            return
        self._visits(rc, f, visits, windows)
        self._procedures(rc, f)
        self._events(rc, f, ae)

    def _patient_fields_elsewhere(self, rc: Staged, f: dict[str, str | None], events: dict[str, int]) -> None:
        """Patient fields are read at the month-0 event; a form on an event of its own (a follow-up
        form's last contact date at end_of_study_arm_1) is read from whichever row of the record
        holds it (the first by line). Such a row of an event not in [events] is no lost row. One
        record with rows at several month-0 events would be several patients: refused."""
        event = _ref(rc, "redcap_event_name")
        doubled = self.con.execute(
            "SELECT count(*), string_agg(DISTINCT ev, ', ' ORDER BY ev) FROM (SELECT _id, "
            f"{event} AS ev, count(*) OVER (PARTITION BY _id) AS n FROM rc WHERE _record) WHERE n > 1"
        ).fetchone()
        if doubled and doubled[0]:
            zero = ", ".join(e for e, m in events.items() if m == 0)
            self._refuse(
                "redcap:events",
                rc.file,
                f"records have rows at several month-0 events of [events] ({doubled[1]}): each would be a patient "
                f"twice. Map only the baseline event to 0 ([events] maps {zero} to 0); patient fields at other "
                "events (a follow-up form's last contact date) are read from whichever event holds them",
            )
            return
        plain = f"{_ref(rc, 'redcap_repeat_instrument')} IS NULL" if rc.has("redcap_repeat_instrument") else "true"
        keys = (*PATIENT_COLUMNS, "center_id", "enrolled_on", "last_contact_date", "death_date", "procedure_date")
        refs = {
            f[k]: ref
            for k in (*keys, *PROCEDURE_COLUMNS)
            if f.get(k) and (ref := rc.ref(str(f[k]))) is not None and self.kinds.get(str(f[k]).lower()) != "checkbox"
        }
        visit_refs = [r for c in VISIT_COLUMNS if f.get(c) and (r := rc.ref(str(f[c]))) is not None]
        for ref in refs.values():
            self.con.execute(
                f"UPDATE rc SET {ref.split('.')[-1]} = lent.v FROM (SELECT _id AS id, first({ref} ORDER BY _line) AS v "
                f"FROM rc WHERE {plain} AND NOT _record AND {ref} IS NOT NULL GROUP BY _id) AS lent "
                f"WHERE rc._id = lent.id AND rc._record AND {ref} IS NULL"
            )
        found = [
            str(r[0]) for r in self.con.execute(f"SELECT DISTINCT {event} FROM rc WHERE {plain} ORDER BY 1").fetchall()
        ]
        for key in (k for k in keys if k not in OPTIONAL_KEYS):  # no deaths is no missing field
            ref = refs.get(str(f.get(key)))
            if ref is not None and not self._count(f"{plain} AND {ref} IS NOT NULL"):
                self.issues.add(
                    Issue.file_level(
                        WARNING,
                        "redcap:empty",
                        rc.file,
                        f"field {f[key]!r} ([fields] {key}) is empty in every record at every event of the export "
                        f"({', '.join(found[:12])}): name the field that holds it in [fields] {key} of a copy of the "
                        "profile",
                    )
                )
        if not refs:
            return
        holds = " OR ".join(f"{r} IS NOT NULL" for r in refs.values())
        no_visit = " AND ".join(f"{r} IS NULL" for r in visit_refs) or "true"
        lent = f"_unmapped_event AND ({holds}) AND {no_visit}"
        n = self._count(lent)
        if n:
            self.con.execute(f"UPDATE rc SET _unmapped_event = false, _lent = true WHERE {lent}")
            self.funnel.drop(rc.file, "patient fields read at an event of their own", n, loss=False)

    def _visits_wait(self, key: str, file: str, message: str) -> None:
        """An error that keeps the visits from being read (they wait for `key`); the rest is still read."""
        rule = "redcap:classic" if key.startswith("[visits] ") else "profile"
        self.issues.add(Issue.file_level(ERROR, rule, file, message))
        self.waiting.setdefault("visits", []).append(key)

    def _distinct(self, ref: str, where: str, b: Bind, table: str = "rc") -> list[str]:
        """The distinct values of `ref` on the rows of `table` matching `where`, sorted."""
        sql = f"SELECT DISTINCT {ref} FROM {table} WHERE {where} AND {ref} IS NOT NULL ORDER BY 1"
        return [str(r[0]) for r in self.con.execute(sql, _used(b, sql).params).fetchall()]

    def _count(self, where: str, table: str = "rc", b: Bind | None = None) -> int:
        sql = f"SELECT count(*) FROM {table} WHERE {where}"
        (n,) = self.con.execute(sql, _used(b or Bind(), sql).params).fetchone() or (0,)
        return int(n)

    def _instruments(self, export: Staged) -> list[str]:
        ref = export.ref("redcap_repeat_instrument")
        if not ref:
            return []
        rows = self.con.execute(f"SELECT DISTINCT {ref} FROM {export.table} WHERE {ref} IS NOT NULL ORDER BY 1")
        return [str(r[0]) for r in rows.fetchall()]

    def _windows(self) -> list[tuple[int, int, int]] | None:
        """[visits.windows] as (month, first day, last day), checked: whole numbers, no overlap."""
        given = self.profile.section("visits").get("windows")
        if given is None:
            return None
        out = []
        for month, window in given.items() if isinstance(given, dict) else []:
            ok = (
                str(month).isdigit()
                and isinstance(window, list)
                and len(window) == 2
                and all(isinstance(d, int) for d in window)
                and window[0] <= window[1]
            )
            if not ok:
                self._visits_wait(
                    "[visits.windows]",
                    self.profile.path.name,
                    f"[visits.windows] {month} = {window!r}: each window is month = [first day, last day] after the "
                    "enrolment date, in whole days (e.g. 6 = [152, 213])",
                )
                continue
            out.append((int(month), int(window[0]), int(window[1])))
        out.sort(key=lambda w: w[1])
        for (m1, _, last), (m2, first, _) in zip(out, out[1:], strict=False):
            if first <= last:
                self._visits_wait(
                    "[visits.windows]",
                    self.profile.path.name,
                    f"[visits.windows] months {m1} and {m2} overlap (day {first} is in both): a visit must fall in "
                    "one window",
                )
        if not out and "[visits.windows]" not in self.waiting.get("visits", []):
            self._visits_wait(
                "[visits.windows]", self.profile.path.name, "[visits.windows] is empty: give month = [first, last]"
            )
        return out

    def _warn_unmapped(self, table: str, decoded: list[Decoded], where: str, b: Bind, rows: str = "rc") -> None:
        """One warning per row holding a choice the contract cannot hold, naming the profile key (`b`
        holds the values the decoded expressions use)."""
        for d in decoded:
            if d.unmapped is None:
                continue
            required = validation.contract().columns[table][d.column].not_null
            key = d.key or f"[values.{d.column}]"
            # An arm choice unmapped in a few records: an error each (review 16, finding 2); in most, the map is
            # missing: one error (_most_unmapped) and each record's warning for the assistant, as any column's.
            if (table, d.column) == ("patients", "arm") and not self._most_unmapped(table, d, where, b, rows, key):
                self._refuse_unmapped_arm(d, where, b, rows)
                continue
            what = WHAT_IS_SKIPPED[table] if required else "value left empty"
            before = f' has no value in {table}.{d.column}: {what}; map it in {key} of a copy of the profile (e.g. "'
            after = f'" = "{_hint(table, d.column)}")'
            self._run(
                f"INSERT INTO issues SELECT 'warning', 'redcap:unmapped', _file, _line, _id, {b(d.field)}, {d.shown}, "
                f"'choice ' || {d.shown} || coalesce(' (' || {d.label} || ')', '') || {b(' of ' + repr(d.field))} || "
                f"{b(before)} || {d.shown} || {b(after)} "
                f"FROM {rows} WHERE {where} AND {d.unmapped}",
                b,
            )
            # A map missing for most rows is an error (each row's warning stays: the assistant offers
            # its values); a patient is then not set aside for it, so its other problems are reported too.
            if (table, d.column) == ("patients", "arm"):
                self.missing_maps.add((table, d.column))  # refused above (_most_unmapped)
            elif table in ("patients", "visits", "procedures") and self._most_unmapped(
                table, d, where, b, rows, key, required
            ):
                self.missing_maps.add((table, d.column))
            elif table == "visits" and required:
                self._visits_lost(d, decoded, where, b, rows, key)

    ARM_REFUSED = (
        " has no value in patients.arm: the import is refused rather than leave out every patient of this arm; "
        'map it in {key} of a copy of the profile (e.g. "'
    )

    def _refuse_unmapped_arm(self, d: Decoded, where: str, b: Bind, rows: str) -> None:
        """An arm choice with no contract value is an error for each record holding it, as ADaM's and SDTM's
        unmapped arm values are (review 16, finding 2: "2, Conservative" unmapped dropped the whole comparator
        arm, 2 of 5 patients, with only a warning). An arm left out on purpose is named in [population]
        exclude_arms (_excluded_arms), as in ADaM and SDTM."""
        refused = self.ARM_REFUSED.format(key=d.key or "[values.arm]")
        after = (
            f'" = "{_hint("patients", "arm")}"), or leave the arm out on purpose with [population] exclude_arms = ["'
        )
        self._run(
            f"INSERT INTO issues SELECT 'error', 'redcap:unmapped', _file, _line, _id, {b(d.field)}, {d.shown}, "
            f"'choice ' || {d.shown} || coalesce(' (' || {d.label} || ')', '') || {b(' of ' + repr(d.field))} || "
            f"{b(refused)} || {d.shown} || {b(after)} || coalesce({d.label}, {d.shown}) || '\"]' "
            f"FROM {rows} WHERE {where} AND {d.unmapped}",
            b,
        )

    def _excluded_arms(self, rc: Staged, arm: Decoded, b: Bind) -> Decoded:
        """[population] exclude_arms: the arm choices (code or label, any case) whose patients are left out on
        purpose, with all their rows, counted in the funnel (the key ADaM and SDTM use). The arm as decoded for
        the others, its unmapped condition no longer holding for the excluded."""
        excluded = [str(a).strip().upper() for a in self.profile.section("population").get("exclude_arms", [])]
        if not excluded or arm.unmapped is None:
            return arm
        hit = f"(list_contains({b(excluded)}, upper({arm.shown})) OR list_contains({b(excluded)}, upper({arm.label})))"
        hit = f"coalesce({hit}, false)"
        rows = f"_id IN (SELECT _id FROM rc WHERE _record AND {hit})"
        self.arm_left_out = self._count(
            f"{rows} AND NOT _skip AND NOT _unmapped_event AND NOT _other AND NOT _lent", b=b
        )
        self._run(f"UPDATE rc SET _skip = true WHERE {rows}", b)
        self.funnel.drop(rc.file, "arm left out: [population] exclude_arms", self.arm_left_out, loss=False)
        return replace(arm, unmapped=f"({arm.unmapped}) AND NOT {hit}")

    def _visits_lost(self, d: Decoded, decoded: list[Decoded], where: str, b: Bind, rows: str, key: str) -> None:
        """A visit whose required choice has no contract value (ulcer "9, Not assessed") is lost whole:
        the contract requires the column at every visit, so it cannot be imported with it empty. How many
        such visits are otherwise complete (every other required value held) is one warning naming the fix."""
        contract = validation.contract().columns["visits"]
        others = [o for o in decoded if o is not d and contract[o.column].not_null and o.expr != "NULL"]
        complete = " AND ".join(f"({o.expr}) IS NOT NULL" for o in others) or "TRUE"
        sql = (
            f"SELECT count(*), count(*) FILTER (WHERE {complete}), string_agg(DISTINCT {d.shown} || coalesce(' (' || "
            f"{d.label} || ')', ''), ', '), min({d.shown}) FROM {rows} WHERE {where} AND {d.unmapped}"
        )
        lost, whole, shown, code = self.con.execute(sql, _used(b, sql).params).fetchone() or (0, 0, "", "")
        if not whole:
            return
        self.issues.add(
            Issue.file_level(
                WARNING,
                "redcap:visits_lost",
                self.export_file,
                f"{whole:,} of the {counted(int(lost), 'visit')} not imported for a choice of {d.field!r} with no "
                f"value in visits.{d.column} ({shown}) {'holds' if whole == 1 else 'hold'} every other value the "
                f"contract requires (the Villalta items): {'it is' if whole == 1 else 'they are'} lost whole, "
                f"because the contract requires {d.column} at every visit and a visit cannot be imported with it "
                "empty. If the choice means a value the contract holds, map it in "
                f'{key} of a copy of the profile (e.g. "{code}" = "{_hint("visits", d.column)}"); else record the '
                "value in the source",
            )
        )

    def _most_unmapped(
        self, table: str, d: Decoded, where: str, b: Bind, rows: str, key: str, required: bool = True
    ) -> bool:
        """Choices with no contract value in most rows are a value map that is missing, not "Other":
        refused, rather than an import that leaves out most patients or visits, or (an optional
        column) empties the column. An optional column counts the rows that hold a value. True when
        refused: the column is then left empty (Mapper.absent), not reported again as empty."""
        held = "true" if required else f"({d.expr} IS NOT NULL OR {d.unmapped})"
        sql = (
            f"SELECT count(*) FILTER (WHERE {held}), count(*) FILTER (WHERE {d.unmapped}), string_agg(DISTINCT "
            f"CASE WHEN {d.unmapped} THEN {d.shown} || coalesce(' (' || {d.label} || ')', '') END, ', ' ORDER BY "
            f"CASE WHEN {d.unmapped} THEN {d.shown} || coalesce(' (' || {d.label} || ')', '') END) FROM {rows} "
            f"WHERE {where}"
        )
        total, hit, shown = self.con.execute(sql, _used(b, sql).params).fetchone() or (0, 0, "")
        if hit and 2 * hit > total:
            what = {"patients": "record", "visits": "visit", "procedures": "procedure"}[table]
            leave = "" if required else f', or leave the optional field out ([fields] {d.column} = "")'
            self.issues.add(
                Issue.file_level(
                    ERROR,
                    "redcap:unmapped",
                    self.export_file,
                    f"{hit:,} of {counted(total, what)} {'holds' if total == 1 else 'hold'} choices of {d.field!r} "
                    f"with no value in {table}.{d.column} ({shown}): map them in {key} of a copy of the profile (each "
                    f"to {_hint(table, d.column)}){leave}",
                )
            )
            self.absent(self.export_file, [(table, d.column)])
            return True
        return False

    def _run(self, sql: str, b: Bind) -> None:
        """`sql` with the values of `b` it uses (a Bind may hold more: DuckDB refuses unused ones)."""
        self.con.execute(sql, _used(b, sql).params)

    def _split(self, table: str, decoded: list[Decoded]) -> tuple[str, str]:
        """SQL conditions: a required column's choice unmapped (the row is skipped), an optional one's.
        A column whose map is missing (_most_unmapped) skips no row: that one error says it."""
        required = validation.contract().columns[table]
        decoded = [d for d in decoded if (table, d.column) not in self.missing_maps]
        hard = [d.unmapped for d in decoded if d.unmapped and required[d.column].not_null]
        soft = [d.unmapped for d in decoded if d.unmapped and not required[d.column].not_null]
        return (" OR ".join(hard) or "false"), (" OR ".join(soft) or "false")

    def _center(self, rc: Staged, f: dict[str, str | None], b: Bind) -> Decoded:
        """The centre: a site field ([fields] center_id), one centre ([study] center_id), or the data
        access group."""
        fixed = self.profile.section("study").get("center_id")
        if f.get("center_id"):
            return self.decode(rc, "patients", "center_id", f["center_id"], b)
        if "center_id" in self.lacking:  # already an error naming the field
            return Decoded("center_id", "", "NULL")
        if fixed:
            return Decoded("center_id", "", b(str(fixed)))
        if rc.has("redcap_data_access_group"):
            self._no_group(rc, str(f["patient_id"]))
            return Decoded("center_id", "redcap_data_access_group", _ref(rc, "redcap_data_access_group"))
        # An error, but the other fields are still checked (all problems at once): the centre is left empty.
        self.issues.add(
            Issue.file_level(
                ERROR,
                "redcap:center",
                rc.file,
                "no centre: the export has no redcap_data_access_group column; name the site field in [fields] "
                'center_id (e.g. center_id = "site"), or give the one centre in [study] center_id (e.g. center_id = '
                '"LEEDS")',
            )
        )
        self.absent(rc.file, [("patients", "center_id")])
        return Decoded("center_id", "", "NULL")

    def _no_group(self, rc: Staged, record_id: str) -> None:
        """Records whose rows have no data access group (created before the groups existed), when the groups give
        the centres: one error naming the records, the column and the keys that give the centre otherwise (review
        18, F6: "patients.center_id is empty" named no column, record or key)."""
        record, group = _ref(rc, record_id), _ref(rc, "redcap_data_access_group")
        row = self.con.execute(
            f"SELECT list(id ORDER BY id), min(line) FROM (SELECT {record} AS id, min(_line) AS line FROM "
            f"{rc.table} GROUP BY {record} HAVING bool_and(nullif(trim({group}), '') IS NULL))"
        ).fetchone()
        if not row or not row[0]:
            return
        records = [str(r) for r in row[0]]
        self.absent(rc.file, [("patients", "center_id")])  # its empty values are this error's, not reported again
        self.issues.add(
            Issue.file_level(
                ERROR,
                "redcap:center_group",
                rc.file,
                f"{'record' if len(records) == 1 else 'records'} {first_five(records)} "
                f"{'has' if len(records) == 1 else 'have'} no data access group (redcap_data_access_group is blank on "
                "all their rows), which gives each patient's centre: assign them to a group in REDCap and export "
                'again, or read the centre from a site field ([fields] center_id = "site"), or give one centre for '
                'every patient ([study] center_id = "LEEDS"), in a copy of the profile',
                int(row[1]),
            )
        )

    def _center_disagrees(self, rc: Staged, f: dict[str, str | None], center: Decoded, b: Bind) -> None:
        """A site field ([fields] center_id) and the data access group both in the export: a record whose site
        has a data access group of its own (its label, "York District", is a group's unique name, york_district)
        other than the record's is a warning naming the record, both values and the one imported (review 14, N6:
        they disagreed for 2 of 10 records without a word), as the calculated total is cross-checked. A site
        with no group of its own (a satellite inside another centre's group) is not compared."""
        field = f.get("center_id")
        if not field or not rc.has("redcap_data_access_group") or center.field != field:
            return
        dag = _ref(rc, "redcap_data_access_group")
        rows = self.con.execute(
            f"SELECT _id, _file, _line, {dag}, {center.expr} FROM rc WHERE _record AND {dag} IS NOT NULL "
            f"AND ({center.expr}) IS NOT NULL ORDER BY _file, _line",
            _used(b, center.expr).params,
        ).fetchall()
        groups = {
            str(g) for (g,) in self.con.execute(f"SELECT DISTINCT {dag} FROM rc WHERE {dag} IS NOT NULL").fetchall()
        }

        def own_group(label: str) -> str | None:
            name = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
            return next((g for g in sorted(groups) if name == g or (len(g) >= 8 and name.startswith(g))), None)

        for record, file, line, group, site in rows:
            owner = own_group(str(site))
            if owner is None or owner == group:
                continue
            self.issues.add(
                Issue(
                    WARNING,
                    "redcap:center_group",
                    file,
                    int(line),
                    str(record),
                    str(field),
                    f"{group} / {site}",
                    f"record {record}: the data access group {group!r} and the site field {field!r} ({site!r}, the "
                    f"centre of group {owner!r}) disagree; the centre imported is {site!r}, from [fields] center_id = "
                    f'{field!r} (set center_id = "" in [fields] of a copy of the profile to use the data access '
                    "groups); correct the one that is wrong in REDCap",
                )
            )

    def _center_catch_all(self, rc: Staged, f: dict[str, str | None], center: Decoded, b: Bind) -> None:
        """A site field's catch-all choice ("99, Other", "Unknown") that no [values.center_id] entry maps becomes a
        centre of that name, pooling unrelated sites as one: a warning per record names the choice, how many
        records hold it and the map that decides (review 17, finding 8: "Other" became a centre without a word,
        while the "Other" segment was warned of)."""
        field = f.get("center_id")
        if not field or center.field != field:
            return
        values = self.profile.values("center_id")
        codes = self.coded.get(field.lower(), {})
        catch_all = {c: label for c, label in codes.items() if c not in values and label not in values}
        catch_all = {c: label for c, label in catch_all.items() if re.fullmatch(CATCH_ALL, label.strip().lower())}
        ref = _ref(rc, field)
        for code, label in catch_all.items():
            rows = self.con.execute(
                f"SELECT _id, _file, _line FROM rc WHERE _record AND {ref} = $code ORDER BY _file, _line",
                {"code": code},
            ).fetchall()
            if not rows:
                continue
            ids = ", ".join(str(r[0]) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
            message = (
                f"choice {code} ({label}) of the site field {field!r} is imported as a centre called {label!r} for "
                f"{counted(len(rows), 'record')} ({ids}): it may pool unrelated sites as one centre, which a by-centre "
                f"analysis takes as one. Where it holds one site, name it in [values.center_id] of a copy of the "
                f'profile (e.g. "{code}" = "<the site>"); "{code}" = "" there leaves its patients out (each a warning)'
            )
            for record, file, line in rows:
                self.issues.add(
                    Issue(WARNING, "redcap:center_other", file, int(line), str(record), field, code, message)
                )

    def _arm(self, rc: Staged, f: dict[str, str | None], b: Bind) -> Decoded:
        """The arm: a field ([fields] arm), or the REDCap arm of the baseline event ([arms])."""
        arms = {str(k): str(v) for k, v in self.profile.section("arms").items()}
        if f.get("arm") or not arms:
            if not f.get("arm") and "arm" not in self.lacking:  # a lacking field is already an error
                self.issues.add(
                    Issue.file_level(
                        ERROR,
                        "redcap:arm",
                        rc.file,
                        "no arm: name the arm field in [fields] arm, or map the project's REDCap arms in [arms] "
                        '(e.g. 1 = "stent" for events ending in _arm_1)',
                    )
                )
                self.absent(rc.file, [("patients", "arm")])
            return self.decode(rc, "patients", "arm", f.get("arm"), b)
        number = f"regexp_extract({_ref(rc, 'redcap_event_name')}, '_arm_([0-9]+)$', 1)"
        allowed = _vocabulary("patients", "arm") or []
        good = {k: v for k, v in arms.items() if v in allowed}
        expr = f"list_extract({b(list(good.values()))}, list_position({b(list(good))}, {number}))"
        return Decoded("arm", "redcap_event_name", expr, f"({expr}) IS NULL", number, f"'arm_' || {number}", "[arms]")

    def _patients(self, rc: Staged, f: dict[str, str | None], study_id: str, longitudinal: bool) -> None:
        b = Bind()
        decoded = [self.decode(rc, "patients", c, f.get(c), b) for c in PATIENT_COLUMNS if c != "arm"]
        decoded += [self._arm(rc, f, b), self._center(rc, f, b)]
        if self.refused:
            return
        self._center_disagrees(rc, f, decoded[-1], b)
        self._center_catch_all(rc, f, decoded[-1], b)
        decoded = [self._months_since_dvt(rc, f, d) if d.column == "months_since_dvt" else d for d in decoded]
        decoded = [self._excluded_arms(rc, d, b) if d.column == "arm" else d for d in decoded]
        self._warn_unmapped("patients", decoded, "_record", b)
        hard, _ = self._split("patients", decoded)
        self._run(f"UPDATE rc SET _skip = true WHERE _id IN (SELECT _id FROM rc WHERE _record AND ({hard}))", b)
        self.funnel.drop(
            rc.file,
            "patient with an unmapped choice",
            self._count("_skip AND NOT _unmapped_event AND NOT _other AND NOT _lent") - self.arm_left_out,
        )
        select = {d.column: d.expr for d in decoded}
        select |= {
            "patient_id": "_id",
            "study_id": b(study_id),
            "enrolled_on": _ref(rc, f.get("enrolled_on")),
            "last_contact_day": day_between(_ref(rc, f.get("enrolled_on")), _ref(rc, f.get("last_contact_date"))),
            "_file": "_file",
            "_line": "_line",
        }
        self.create("patients", select, "FROM rc WHERE _record AND NOT _skip", _used(b, *select.values()))

    LEFT_MISSING = (
        ", which [values.months_since_dvt] leaves missing: the contract requires the months since the DVT of every "
        "patient, so the patient is not imported (nor any of its rows)"
    )

    def _months_since_dvt(self, rc: Staged, f: dict[str, str | None], months: Decoded) -> Decoded:
        """Months since the DVT: the months field, or where it gives none, whole months from the DVT date
        field ([fields] dvt_date) to the enrolment date. A months field that holds dates is an error
        naming dvt_date, the key that reads them (its values would otherwise each be a type error)."""
        ref = _ref(rc, f.get("months_since_dvt"))
        if f.get("months_since_dvt") and ref != "NULL":
            # A value the profile leaves missing ([values.months_since_dvt] "2020-03-01" = ""): the contract requires
            # the months of every patient, so the patient is not imported, with a warning naming it.
            left = [k for k, v in self.profile.values("months_since_dvt").items() if v == ""]
            b = Bind()
            hit = f"coalesce(list_contains({b(left)}, {ref}), false)" if left else "false"
            field = f"field {f['months_since_dvt']!r} ([fields] months_since_dvt)"
            if left:
                self._run(
                    "INSERT INTO issues SELECT 'warning', 'redcap:months_left_missing', _file, _line, _id, "
                    f"{b(str(f['months_since_dvt']))}, {ref}, 'record ' || _id || ' holds ' || {ref} || "
                    f"{b(' in ' + field + self.LEFT_MISSING)} "
                    f"FROM rc WHERE _record AND {hit}",
                    b,
                )
                self._run(f"UPDATE rc SET _skip = true WHERE _id IN (SELECT _id FROM rc WHERE _record AND {hit})", b)
            dates = (
                f"FROM rc WHERE _record AND {ref} IS NOT NULL AND try_cast({ref} AS DOUBLE) IS NULL AND "
                f"pts_date({ref}) IS NOT NULL AND NOT {hit}"
            )
            (n,) = self.con.execute(f"SELECT count(*) {dates}", _used(b, dates).params).fetchone() or (0,)
            (held,) = self.con.execute(
                f"SELECT count(*) FROM rc WHERE _record AND try_cast({ref} AS DOUBLE) IS NOT NULL"
            ).fetchone() or (0,)
            if n and held:  # a date typed among months: the record is to be corrected, or left missing
                others = f"{held:,} other {'record holds' if held == 1 else 'records hold'} months"
                message = (
                    f"'record ' || _id || ' holds the date ' || {ref} || {b(' in ' + field + ', where ' + others)} || "
                    f"': correct the record (write its months since the DVT), or leave it missing: set "
                    f'[values.months_since_dvt] "\' || {ref} || \'" = "" in a copy of the profile, and the patient '
                    "is not imported, with a warning (the contract requires the months of every patient; reading the "
                    "field as the DVT''s date, [fields] dvt_date, would lose the months of the others)'"
                )
            else:
                message = b(
                    f"{field} holds dates, not months ({counted(int(n), 'record')}): name it in [fields] dvt_date "
                    'instead, and set months_since_dvt = "", in a copy of the profile: the months are then counted '
                    "from the DVT date to the enrolment date"
                )
            if n:  # one issue per record, so the report shows each record's line and date
                self._run(
                    f"INSERT INTO issues SELECT 'error', 'redcap:months_are_dates', _file, _line, _id, "
                    f"{b(str(f['months_since_dvt']))}, {ref}, {message} {dates}",
                    b,
                )
                self.absent(rc.file, [("patients", "months_since_dvt")])
                months = replace(months, expr="NULL")
        dvt = _ref(rc, f.get("dvt_date"))
        if not f.get("dvt_date") or dvt == "NULL":
            return months
        derived = f"CAST(date_sub('month', pts_date({dvt}), pts_date({_ref(rc, f.get('enrolled_on'))})) AS VARCHAR)"
        return replace(months, expr=f"coalesce(CAST({months.expr} AS VARCHAR), {derived})")

    def _visits(
        self, rc: Staged, f: dict[str, str | None], visits: dict[str, str], windows: list[tuple[int, int, int]] | None
    ) -> None:
        """The visit rows, each with its month (event, month field or window) and day; set aside with a
        warning: no date, no month, a required choice with no contract value. None when the visit
        month field's codes are refused (_check_codes): that error says the visits wait for its map."""
        if "visits" in self.waiting:  # an error names what they wait for
            n = self._count("_visit AND NOT _skip")
            if n:
                keys = " and ".join(dict.fromkeys(self.waiting["visits"]))
                self.funnel.drop(rc.file, f"visit not read: waits for {keys}", n, loss=True)
            self.absent(None, [("visits", "*")])
        if "visit_month" in self.miscoded or "visits" in self.waiting:
            self.create_empty("visits")
            return
        b = Bind()
        date = _ref(rc, f.get("visit_date"))
        day = day_between("baseline.enrolled_on", date)
        if visits.get("month"):
            month_expr = self.decode(rc, "visits", "visit_month", visits["month"], b).expr
            if rc.has("redcap_event_name") and rc.has("redcap_repeat_instrument"):
                # a non-repeating visit row (the baseline form of a month-0 event): the month of its event
                plain = f"{_ref(rc, 'redcap_repeat_instrument')} IS NULL"
                self._event_month_differs(rc, visits["month"], month_expr, plain, b)
                month_expr = (
                    f"CASE WHEN {plain} THEN CAST(_event_month AS VARCHAR) ELSE CAST(({month_expr}) AS VARCHAR) END"
                )
            why = f"no visit month ([visits] month = {visits['month']!r} is empty or not a month)"
        elif windows is not None:
            whens = " ".join(f"WHEN {day} BETWEEN {lo} AND {hi} THEN {m}" for m, lo, hi in windows)
            month_expr = f"CASE {whens} END"
            why = (
                "the visit's day after enrolment falls in no window of [visits.windows] (or the enrolment date is "
                "missing)"
            )
        else:
            month_expr, why = "_event_month", "no visit month"
        hard, _ = self._split("visits", [self.decode(rc, "visits", c, f.get(c), b) for c in f if c in VISIT_COLUMNS])
        self._run(
            f"CREATE OR REPLACE TABLE rv AS SELECT rc.*, {month_expr} AS _month, {day} AS _day, CASE WHEN {date} IS "
            f"NULL AND {'visit_date' not in self.lacking} THEN 'date' WHEN {month_expr} IS NULL THEN 'month' "
            f"WHEN {hard} THEN 'unmapped' END AS _drop FROM rc "
            "LEFT JOIN baseline ON baseline.id = rc._id WHERE _visit AND NOT _skip",
            b,
        )
        rv = replace(rc, table="rv")
        date_key = f"[fields] visit_date = {f.get('visit_date')!r}"
        for drop, message, step in (
            ("date", f"visit without a date ({date_key}): not imported", "visit without a date"),
            ("month", f"{why}: visit not imported", "visit without a month"),
        ):
            b = Bind()
            self._run(
                f"INSERT INTO issues SELECT 'warning', 'redcap:visit', _file, _line, _id, "
                f"{b(visits.get('month') or f.get('visit_date') or '')}, coalesce({_ref(rv, visits.get('month'))}, "
                f"{_ref(rv, f.get('visit_date'))}), {b(message)} FROM rv WHERE _drop = {b(drop)}",
                b,
            )
            self.funnel.drop(rc.file, step, self._count(f"_drop = '{drop}'", "rv"), loss=True)
        b = Bind()
        decoded = [self.decode(rv, "visits", c, f.get(c), b) for c in f if c in VISIT_COLUMNS]
        self._warn_unmapped("visits", decoded, "(_drop IS NULL OR _drop = 'unmapped')", b, "rv")
        self.funnel.drop(rc.file, "visit with an unmapped choice", self._count("_drop = 'unmapped'", "rv"), loss=True)
        select = {d.column: d.expr for d in decoded}
        if (total := _ref(rv, f.get("villalta_total"))) != "NULL":  # the project's own total, cross-checked
            select["_given_villalta_total"] = total
        select |= {
            "patient_id": "_id",
            "visit_month": "_month",
            "visit_day": "_day",
            "_file": "_file",
            "_line": "_line",
        }
        self.create("visits", select, "FROM rv WHERE _drop IS NULL", _used(b, *select.values()))

    def _event_month_differs(self, rc: Staged, field: str, month: str, plain: str, b: Bind) -> None:
        """A non-repeating visit row (the baseline form) takes its event's month from [events]; its own month field
        saying another month (fu_month = 3 on the baseline form of baseline_arm_1) is an error naming the record,
        the event, both months and the keys: a visit has one month, and which is right cannot be told."""
        event = _ref(rc, "redcap_event_name")
        said = f"try_cast(({month}) AS DOUBLE)"
        text = (
            f"'record ' || _id || ', event ' || {event} || ': the visit month field ' || {b(field)} || ' ([visits] "
            "month) says month ' || regexp_replace(CAST(" + said + " AS VARCHAR), '\\.0$', '') || ', but [events] "
            "maps the event ' || " + event + " || ' to month ' || _event_month || '; a visit has one month. Correct "
            "the field in the source (blank, or the event''s month), or the event''s month, [events] ' || "
            + event
            + " || ', in a copy of the profile'"
        )
        self._run(
            f"INSERT INTO issues SELECT 'error', 'redcap:visit_month_event', _file, _line, _id, {b(field)}, "
            f"CAST({_ref(rc, field)} AS VARCHAR), {text} FROM rc WHERE _visit AND NOT _skip AND {plain} AND "
            f"_event_month IS NOT NULL AND {said} IS NOT NULL AND {said} <> _event_month",
            b,
        )

    def _procedures(self, rc: Staged, f: dict[str, str | None]) -> None:
        b = Bind()
        decoded = [self.decode(rc, "procedures", c, f.get(c), b) for c in PROCEDURE_COLUMNS]
        hard, _ = self._split("procedures", decoded)
        where = f"_record AND NOT _skip AND {_ref(rc, f.get('procedure_date'))} IS NOT NULL"
        self._warn_unmapped("procedures", decoded, where, b)
        select = {d.column: d.expr for d in decoded}
        select |= {
            "patient_id": "_id",
            "procedure_day": day_between(_ref(rc, f.get("enrolled_on")), _ref(rc, f.get("procedure_date"))),
            "_file": "_file",
            "_line": "_line",
        }
        source = f"FROM rc WHERE {where} AND NOT ({hard})"
        self.create("procedures", select, source, _used(b, *select.values(), source))

    def _events(self, rc: Staged, f: dict[str, str | None], ae: dict[str, str]) -> None:
        b = Bind()
        death = _ref(rc, f.get("death_date"))
        deaths = (
            f"SELECT _id AS patient_id, {day_between(_ref(rc, f.get('enrolled_on')), death)} AS event_day, 'death' AS "
            f"event_type, 'true' AS serious, _file, _line, 0 AS _death_source FROM rc WHERE _record AND NOT _skip AND "
            f"{death} IS NOT NULL"
        )
        if "adverse events" in self.waiting:  # an error names the field they wait for: no adverse event read
            n = self._count("_ae AND NOT _skip")
            if n:
                keys = " and ".join(self.waiting["adverse events"])
                self.funnel.drop(rc.file, f"adverse event not read: waits for {keys}", n, loss=True)
            self.con.execute("UPDATE rc SET _ae = false")
        decoded = [self.decode(rc, "events", c, ae.get(c), b) for c in ("event_type", "serious")]
        hard, _ = self._split("events", decoded)
        self._warn_unmapped("events", decoded, "_ae AND NOT _skip", b)
        self.funnel.drop(
            rc.file,
            "adverse event with an unmapped choice",
            self._count(f"_ae AND NOT _skip AND ({hard})", "rc", b),
            loss=False,
        )
        events = (
            f"SELECT _id AS patient_id, {day_between('baseline.enrolled_on', _ref(rc, ae.get('event_date')))} "
            f"AS event_day, {decoded[0].expr} AS event_type, {decoded[1].expr} AS serious, _file, _line, 1 AS "
            "_death_source FROM rc LEFT "
            f"JOIN baseline ON baseline.id = _id WHERE _ae AND NOT _skip AND NOT ({hard})"
        )
        select = {c: c for c in ("patient_id", "event_day", "event_type", "serious", "_file", "_line")}
        select["_death_source"] = "_death_source"  # a death date and a Death AE are one death (checks.one_death)
        self.create("events", select, f"FROM ({deaths} UNION ALL {events}) AS e", _used(b, events))


def _holds_visit(table: Staged, f: dict[str, str | None]) -> str:
    """SQL true on a row of `table` holding a Villalta item: a row that holds a visit."""
    items = [r for r in (_ref(table, f.get(k)) for k in VILLALTA_ITEMS if f.get(k)) if r != "NULL"]
    return " OR ".join(f"nullif(trim(CAST({i} AS VARCHAR)), '') IS NOT NULL" for i in items) or "false"


def _used(b: Bind, *sql: str) -> Bind:
    """The values of `b` that `sql` refers to."""
    used = set(re.findall(r"\$(p[0-9]+)\b", " ".join(sql)))
    out = Bind()
    out.params = {k: v for k, v in b.params.items() if k in used}
    return out


def _choices(text: str) -> dict[str, str]:
    """REDCap choices '1, Stent | 2, Medical' as {code: label}."""
    out = {}
    for part in next(csv.reader(io.StringIO(text), delimiter="|"), []):
        code, _, label = part.strip().partition(",")
        if code.strip():
            out[code.strip()] = label.strip()
    return out


def _column(dictionary: Staged, role: str) -> str | None:
    """The staging column of one of the dictionary's columns, by either of its names."""
    return next((r for r in map(dictionary.ref, DICTIONARY_COLUMNS[role]) if r), None)


def _checkbox_column(field: str, code: str) -> str:
    """The export column of one checkbox choice: field___code (REDCap writes a minus sign as _)."""
    return f"{field}___{code.replace('-', '_')}".lower()


def _vocabulary(table: str, column: str) -> list[str] | None:
    """The values the contract allows in a text column, from its CHECK (... IN (...)), or None."""
    for t, c, expression in validation.contract().checks:
        if t == table and c == column and " IN (" in expression:
            return re.findall(r"'([^']*)'", expression)
    return None


def _term(table: str, column: str, label: str) -> str:
    """A choice's label as the contract's term when it is one but for case, spaces and hyphens
    ("Death" -> death, "Major bleeding" -> major_bleeding); otherwise the label itself."""
    spelled = re.sub(r"[\s-]+", "_", label.strip().lower())
    return spelled if spelled in (_vocabulary(table, column) or ()) else label


def _hint(table: str, column: str) -> str:
    """What a value of the contract column may be, for a message."""
    family = validation.type_family(validation.contract().columns[table][column].type)
    allowed = _vocabulary(table, column)
    if allowed:
        return "one of " + ", ".join(allowed)
    return {"boolean": "true or false", "integer": "a whole number", "number": "a number"}.get(family, "a value")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_word(label: str) -> str:
    return (re.findall(r"[a-z]+", label.lower()) or [""])[0]


def _villalta_items() -> tuple[str, ...]:
    from pts_explorer.vocab import VILLALTA_ITEMS

    return tuple(VILLALTA_ITEMS)


# --- the example: the registry as an export and its dictionary --------------------------------


REDCAP_STUDY_DESIGN = "observational"


_CODED = {  # contract column -> REDCap field type; choices come from the profile's label maps
    "arm": "radio",
    "sex": "radio",
    "limb_side": "radio",
    "obstruction_site": "dropdown",
    "ceap_c": "dropdown",
    "compression_use": "dropdown",
    "event_type": "dropdown",
}
_YESNO = ("ulcer_present", "technical_success", "below_inguinal_ligament", "serious")
CEAP = ("C3", "C4a", "C4b", "C4c", "C5", "C6")


def _codes(profile: Profile, column: str) -> dict[str, str]:
    """contract value -> raw code, numbered in the profile's label order (ceap_c: its classes)."""
    labels = profile.values(column) or {c: c for c in CEAP}
    return {value: str(i) for i, value in enumerate(labels.values(), start=1)}


def write_redcap(con: duckdb.DuckDBPyConnection, folder: Path, profile: Profile) -> None:
    f = {k: str(v) for k, v in profile.section("fields").items()}
    ae = {k: str(v) for k, v in profile.section("adverse_events").items()}
    month_event = {int(m): e for e, m in profile.section("events").items() if m != ""}
    patients = con.execute(
        "SELECT p.*, pr.procedure_day, pr.technical_success, pr.stents_placed, pr.max_stent_diameter_mm, "
        "pr.below_inguinal_ligament, d.event_day AS death_day FROM patients AS p JOIN studies AS s USING (study_id) "
        "LEFT JOIN procedures AS pr USING (patient_id) LEFT JOIN events AS d ON d.patient_id = p.patient_id AND "
        "d.event_type = 'death' WHERE s.design = $design ORDER BY p.patient_id",
        {"design": REDCAP_STUDY_DESIGN},
    ).df()
    visits = con.execute(
        "SELECT v.* FROM visits AS v JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design ORDER BY patient_id, visit_month",
        {"design": REDCAP_STUDY_DESIGN},
    ).df()
    events = con.execute(
        "SELECT e.* FROM events AS e JOIN patients USING (patient_id) JOIN studies AS s USING (study_id) "
        "WHERE s.design = $design AND e.event_type <> 'death' ORDER BY patient_id, event_day, event_type",
        {"design": REDCAP_STUDY_DESIGN},
    ).df()
    start = dict(zip(patients.patient_id, patients.enrolled_on.dt.date, strict=True))
    center = dict(zip(patients.patient_id, patients.center_id, strict=True))
    codes = {column: _codes(profile, column) for column in _CODED}  # read off the profile once, not per value
    rows: list[dict[str, Any]] = []
    # Each patient's visits in one pass over the rows (already in patient and visit order), not a group
    # looked up per patient: the demo's registry took 4.7 CPU s to write, most of it pandas per patient.
    by_patient: dict[Any, list[Any]] = {}
    for visit in visits.itertuples():
        by_patient.setdefault(visit.patient_id, []).append(visit)
    visit_columns = [
        c for c in contract_columns("visits") if c in f and c not in ("patient_id", "visit_month", "visit_day")
    ]
    for p in patients.itertuples():
        for visit in by_patient.get(p.patient_id, ()):
            row = {
                "record_id": p.patient_id,
                "redcap_event_name": month_event[visit.visit_month],
                "redcap_data_access_group": p.center_id,
            }
            row[f["visit_date"]] = day_after(start[p.patient_id], visit.visit_day)
            for column in visit_columns:
                row[f[column]] = _raw(profile, column, getattr(visit, column), codes)
            if visit.visit_month == 0:
                row |= _patient_fields(profile, f, p, start[p.patient_id], codes)
            rows.append(row)
    for instance, e in enumerate(events.itertuples(), start=1):
        rows.append(
            {
                "record_id": e.patient_id,
                "redcap_event_name": month_event[0],
                "redcap_repeat_instrument": ae["instrument"],
                "redcap_repeat_instance": instance,
                "redcap_data_access_group": center[e.patient_id],
                ae["event_type"]: _raw(profile, "event_type", e.event_type, codes),
                ae["event_date"]: day_after(start[e.patient_id], e.event_day),
                ae["serious"]: _raw(profile, "serious", e.serious, codes),
            }
        )
    fields = [
        "record_id",
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "redcap_data_access_group",
    ]
    fields += [v for k, v in f.items() if k != "patient_id"] + [ae["event_type"], ae["event_date"], ae["serious"]]
    frame = pd.DataFrame(rows, columns=fields, dtype=object)
    frame["redcap_repeat_instance"] = frame["redcap_repeat_instance"].astype("Int64")
    frame.to_csv(folder / "registry_export.csv", index=False)
    _dictionary(profile, f, ae, folder / "data_dictionary.csv")
    write_sidecar(con, folder, REDCAP_STUDY_DESIGN)


def _patient_fields(
    profile: Profile, f: dict[str, str], p: Any, start: date, codes: dict[str, dict[str, str]] | None = None
) -> dict[str, Any]:
    row = {
        f[c]: _raw(profile, c, getattr(p, c), codes)
        for c in (
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
    }
    row[f["enrolled_on"]] = start
    row[f["last_contact_date"]] = day_after(start, p.last_contact_day)
    row[f["death_date"]] = day_after(start, p.death_day)
    row[f["procedure_date"]] = day_after(start, p.procedure_day)
    for c in ("technical_success", "stents_placed", "max_stent_diameter_mm", "below_inguinal_ligament"):
        row[f[c]] = _raw(profile, c, getattr(p, c), codes)
    return row


def _raw(profile: Profile, column: str, value: Any, codes: dict[str, dict[str, str]] | None = None) -> Any:
    """A contract value as REDCap stores it raw: a code for coded fields, 1/0 for yes/no (`codes`: the
    profile's codes per coded column, when the caller read them once)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column in _YESNO:
        return 1 if value else 0
    if column in _CODED:
        return (codes[column] if codes is not None else _codes(profile, column))[value]
    if (
        isinstance(value, float)
        and value.is_integer()
        and column not in ("bmi", "veines_qol", "veines_sym", "pain_vas", "calf_circumference_cm")
    ):
        return int(value)
    return value


def _dictionary(profile: Profile, f: dict[str, str], ae: dict[str, str], path: Path) -> None:
    header = [
        "Variable / Field Name",
        "Form Name",
        "Section Header",
        "Field Type",
        "Field Label",
        "Choices, Calculations, OR Slider Labels",
        "Field Note",
        "Text Validation Type OR Show Slider Number",
        "Text Validation Min",
        "Text Validation Max",
        "Identifier?",
        "Branching Logic (Show field only if...)",
        "Required Field?",
        "Custom Alignment",
        "Question Number (surveys only)",
        "Matrix Group Name",
        "Matrix Ranking?",
        "Field Annotation",
    ]
    rows = [["record_id", "enrollment", "", "text", "Record ID"] + [""] * 13]
    fields = {
        **{c: v for c, v in f.items() if c != "patient_id"},
        "event_type": ae["event_type"],
        "ae_date": ae["event_date"],
        "serious": ae["serious"],
    }
    for column, name in fields.items():
        form = (
            "adverse_events"
            if name in ae.values()
            else "visit"
            if column in contract_columns("visits") or column == "visit_date"
            else "enrollment"
        )
        kind, choices, validation = "text", "", ""
        if column in _CODED:
            labels = profile.values(column) or {c: c for c in CEAP}
            codes = _codes(profile, column)
            kind = _CODED[column]
            choices = " | ".join(f"{codes[value]}, {label}" for label, value in labels.items())
        elif column in _YESNO:
            kind = "yesno"
        elif "date" in column or column == "enrolled_on":
            validation = "date_ymd"
        rows.append([name, form, "", kind, column.replace("_", " ").capitalize(), choices, "", validation] + [""] * 10)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


FORMAT = Format(
    name="redcap",
    help="a REDCap flat export of raw values plus the project's data dictionary CSV",
    example_sources="registry_export.csv data_dictionary.csv dataset.toml",
    mapper=RedcapMapper,
    write_example=write_redcap,
    column_sections=("fields",),
)
