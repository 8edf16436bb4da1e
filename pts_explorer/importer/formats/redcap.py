"""The REDCap format: a flat export of raw values and the project's data dictionary onto the
contract, its help text, and its example (the demo's registry as an export and its dictionary).
Its built-in profile is redcap.toml beside this module."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pts_explorer.importer.formats.base import (
    TABLES,
    Bind,
    DatasetFacts,
    Format,
    Mapper,
    _ref,
    contract_columns,
    day_after,
    day_between,
    write_sidecar,
)
from pts_explorer.importer.issues import ERROR, Issue
from pts_explorer.importer.profiles import Profile
from pts_explorer.importer.readers import Staged

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


def _choices(text: str) -> dict[str, str]:
    """REDCap choices '1, Stent | 2, Medical' as {code: label}."""
    out = {}
    for part in next(csv.reader(io.StringIO(text), delimiter="|"), []):
        code, _, label = part.strip().partition(",")
        if code.strip():
            out[code.strip()] = label.strip()
    return out


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
    month_event = {int(m): e for e, m in profile.section("events").items()}
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
    rows: list[dict[str, Any]] = []
    by_patient = visits.groupby("patient_id")
    visit_columns = [
        c for c in contract_columns("visits") if c in f and c not in ("patient_id", "visit_month", "visit_day")
    ]
    for p in patients.itertuples():
        for visit in by_patient.get_group(p.patient_id).itertuples() if p.patient_id in by_patient.groups else ():
            row = {
                "record_id": p.patient_id,
                "redcap_event_name": month_event[visit.visit_month],
                "redcap_data_access_group": p.center_id,
            }
            row[f["visit_date"]] = day_after(start[p.patient_id], visit.visit_day)
            for column in visit_columns:
                row[f[column]] = _raw(profile, column, getattr(visit, column))
            if visit.visit_month == 0:
                row |= _patient_fields(profile, f, p, start[p.patient_id])
            rows.append(row)
    for instance, e in enumerate(events.itertuples(), start=1):
        rows.append(
            {
                "record_id": e.patient_id,
                "redcap_event_name": month_event[0],
                "redcap_repeat_instrument": ae["instrument"],
                "redcap_repeat_instance": instance,
                "redcap_data_access_group": patients.set_index("patient_id").center_id[e.patient_id],
                ae["event_type"]: _raw(profile, "event_type", e.event_type),
                ae["event_date"]: day_after(start[e.patient_id], e.event_day),
                ae["serious"]: _raw(profile, "serious", e.serious),
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


def _patient_fields(profile: Profile, f: dict[str, str], p: Any, start: date) -> dict[str, Any]:
    row = {
        f[c]: _raw(profile, c, getattr(p, c))
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
        row[f[c]] = _raw(profile, c, getattr(p, c))
    return row


def _raw(profile: Profile, column: str, value: Any) -> Any:
    """A contract value as REDCap stores it raw: a code for coded fields, 1/0 for yes/no."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if column in _YESNO:
        return 1 if value else 0
    if column in _CODED:
        return _codes(profile, column)[value]
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
)
