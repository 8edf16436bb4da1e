"""Example exports: a contract database written in each profile's source format, so a user sees
what a valid input looks like (and the tests can import each back and compare).

    python -m pts_explorer.importer.examples [--db data/pts_outcomes.duckdb] [--out data/examples]

- contract/: one CSV per table, every patient;
- adam/: ADSL, ADQS, ADAE and ADTTE as SAS transport files, randomized-trial patients (ADaM
  datasets describe one trial);
- redcap/: a flat export of raw values and its data dictionary, registry patients.

Each folder holds a dataset.toml that names the data and says whether it is synthetic.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from pts_explorer.config import DEFAULT_DB_PATH, DUCKDB_CONFIG, PROJECT_ROOT
from pts_explorer.importer.formats.base import TABLES, contract_columns
from pts_explorer.importer.profiles import Profile, load

DEFAULT_OUT = PROJECT_ROOT / "data" / "examples"
ADAM_STUDY_DESIGN = "randomized"
REDCAP_STUDY_DESIGN = "observational"


def write_examples(db: Path, out: Path) -> dict[str, Path]:
    con = duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG)  # the app's settings: it may hold it open
    try:
        folders = {"contract": out / "contract", "adam": out / "adam", "redcap": out / "redcap"}
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        write_contract(con, folders["contract"])
        write_adam(con, folders["adam"], load("adam"))
        write_redcap(con, folders["redcap"], load("redcap"))
        return folders
    finally:
        con.close()


def _sidecar(con: duckdb.DuckDBPyConnection, folder: Path, design: str | None) -> None:
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


# --- contract --------------------------------------------------------------------------------------


def write_contract(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    for table in TABLES:
        cols = ", ".join(contract_columns(table))
        con.execute(f"COPY (SELECT {cols} FROM {table}) TO '{folder / table}.csv' (HEADER, DELIMITER ',')")


# --- ADaM ---------------------------------------------------------------------------------------------


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
                _day(start[p], d) for p, d in zip(patients.patient_id, patients.last_contact_day, strict=True)
            ],
            v["death_date"]: [_day(start[p], d) for p, d in zip(patients.patient_id, patients.death_day, strict=True)],
            v["procedure_date"]: [
                _day(start[p], d) for p, d in zip(patients.patient_id, patients.procedure_day, strict=True)
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
    _sidecar(con, folder, ADAM_STUDY_DESIGN)


def _day(start: date, day: Any) -> date | None:
    return None if pd.isna(day) else start + timedelta(days=int(day))


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
            "ADT": [_day(start[p], d) for p, d in zip(long.patient_id, long.visit_day, strict=True)],
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
            "ASTDT": [_day(start[p], d) for p, d in zip(events.patient_id, events.event_day, strict=True)],
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
                "STARTDT": _day(start[patient], procedure_day),
                "ADT": _day(start[patient], end),
                "EVNTDESC": "LOSS OF PRIMARY PATENCY" if lost is not None else "",
            }
        )
    return pd.DataFrame(out)


# --- REDCap ---------------------------------------------------------------------------------------------

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
            row[f["visit_date"]] = _day(start[p.patient_id], visit.visit_day)
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
                ae["event_date"]: _day(start[e.patient_id], e.event_day),
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
    _sidecar(con, folder, REDCAP_STUDY_DESIGN)


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
    row[f["last_contact_date"]] = _day(start, p.last_contact_day)
    row[f["death_date"]] = _day(start, p.death_day)
    row[f["procedure_date"]] = _day(start, p.procedure_day)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pts_explorer.importer.examples", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", type=Path, default=DEFAULT_DB_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for profile, folder in write_examples(args.db, args.out).items():
        print(f"{profile}: {folder} ({', '.join(sorted(p.name for p in folder.iterdir()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
