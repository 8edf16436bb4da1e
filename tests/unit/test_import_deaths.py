"""A patient dies once: a death date (the contract's events file, ADSL DTHDT, DM DTHDTC / DS DEATH, a
REDCap death date field) and an adverse event recorded as "Death" give one death event, at the
death date; an adverse event on another date is a warning naming the patient and both dates.
Each format is imported from files written by hand (tests/fixtures/deaths, see its README; the
ADaM delivery from the hand-written rows of test_import_adam_sponsor), and the deaths per patient
are counted in the built database with SQL of this file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, run_import
from tests.unit.test_import_adam_sponsor import SPONSOR_PROFILE, START, SUBJECTS, _adae, _adqs, _adsl

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "deaths"
RULE = "events:death_twice"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _import(profile: str | Path, sources: list[Path], out: Path):
    report = run_import(profile, sources, out, Options(synthetic=True, name="deaths"), progress=lambda _: None)
    assert report.imported, report.text()
    return report


def _deaths(out: Path) -> dict[str, tuple[int, dt.date]]:
    """Per patient with a death: how many death events, and the date of the (last) one."""
    con = duckdb.connect(str(out), read_only=True)
    try:
        rows = con.execute(
            "SELECT e.patient_id, count(*), max(p.enrolled_on + e.event_day) FROM events AS e JOIN patients AS p "
            "USING (patient_id) WHERE e.event_type = 'death' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    return {p: (int(n), d) for p, n, d in rows}


def _warned(report) -> list[tuple[str, int, str, str]]:
    rows = report.issues[report.issues.rule == RULE]
    return [(r.file, int(r.line), r.record, r.message) for r in rows.itertuples()]


def _message(patient: str, kept: str, kept_date: str, other: str, other_date: str) -> str:
    return (
        f"patient {patient} has two death records, {kept} ({kept_date}) and {other} ({other_date}): one death is "
        f"imported, on {kept_date} (a patient dies once); correct the date that is wrong"
    )


def test_contract_events_with_a_death_written_twice_give_one_death(tmp_path):
    """events.csv holds P02's death twice on one day, and P03's on day 195 and on day 200 (its last
    contact day, which the contract makes the death day): one death each, P03's on day 200."""
    folder = HERE / "contract"
    out = tmp_path / "contract.duckdb"
    report = _import("contract", sorted(folder.glob("*.csv")), out)
    patients = {r["patient_id"]: r for r in _rows(folder / "patients.csv")}
    events = _rows(folder / "events.csv")
    died = [r for r in events if r["event_type"] == "death"]
    assert len(died) > len({r["patient_id"] for r in died})  # the fixture does record deaths twice

    def date(patient: str, day: int) -> dt.date:
        return dt.date.fromisoformat(patients[patient]["enrolled_on"]) + dt.timedelta(days=day)

    want = {}
    for patient in {r["patient_id"] for r in died}:
        last = int(patients[patient]["last_contact_day"])
        days = [int(r["event_day"]) for r in died if r["patient_id"] == patient]
        want[patient] = (1, date(patient, last if last in days else min(days)))
    assert _deaths(out) == want
    # One warning: P03's two days; P02's identical rows are one death without a warning.
    line, other = next(
        (n, r) for n, r in enumerate(events, start=2) if r["patient_id"] == "P03" and r["event_day"] == "195"
    )
    assert _warned(report) == [
        (
            "events.csv",
            line,
            "P03",
            _message(
                "P03",
                "a death event",
                str(date("P03", 200)),
                "a death event",
                str(date("P03", int(other["event_day"]))),
            ),
        )
    ]


def test_redcap_death_date_and_a_death_adverse_event_give_one_death(tmp_path):
    """Records 6, 9 and 13 have a death date; 13 also has an AE "8, Death" on that date and 6 one
    three days earlier: one death each, on the death date, and a warning for record 6."""
    folder = HERE / "redcap"
    out = tmp_path / "redcap.duckdb"
    report = _import(folder / "profile.toml", [folder / "records_raw.csv", folder / "dictionary.csv"], out)
    export = _rows(folder / "records_raw.csv")
    death_code = next(
        p.split(",", 1)[0].strip()
        for r in _rows(folder / "dictionary.csv")
        if r["Variable / Field Name"] == "ae_type"
        for p in r["Choices, Calculations, OR Slider Labels"].split("|")
        if p.split(",", 1)[1].strip() == "Death"
    )
    dated = {r["record_id"]: r["death_date"] for r in export if r["death_date"]}
    ae_deaths = [(n, r) for n, r in enumerate(export, start=2) if r["ae_type"] == death_code]
    assert {r["record_id"] for _, r in ae_deaths} <= set(dated)  # every Death AE is of a record with a death date
    assert _deaths(out) == {rid: (1, dt.date.fromisoformat(d)) for rid, d in dated.items()}
    assert _warned(report) == [
        (
            "records_raw.csv",
            n,
            r["record_id"],
            _message(r["record_id"], "the death date", dated[r["record_id"]], "an adverse event", r["ae_date"]),
        )
        for n, r in ae_deaths
        if r["ae_date"] != dated[r["record_id"]]
    ]


def test_sdtm_death_in_dm_ds_and_a_fatal_death_adverse_event_give_one_death(tmp_path):
    """Subject 1005's death is in DM (DTHDTC), in DS (DSDECOD DEATH) and in AE ("Death", AEOUT
    FATAL, two days earlier): one death, on the DS/DM date, and a warning naming both dates."""
    folder = HERE / "sdtm"
    out = tmp_path / "sdtm.duckdb"
    report = _import(folder / "profile.toml", sorted(folder.glob("*.csv")), out)
    ds = {r["USUBJID"]: r["DSSTDTC"] for r in _rows(folder / "ds.csv") if r["DSDECOD"] == "DEATH"}
    dm = {r["USUBJID"]: r["DTHDTC"] for r in _rows(folder / "dm.csv") if r["DTHDTC"]}
    assert dm == ds
    ae = [(n, r) for n, r in enumerate(_rows(folder / "ae.csv"), start=2) if r["AEDECOD"] == "Death"]
    assert [r["AEOUT"] for _, r in ae] == ["FATAL"]
    assert _deaths(out) == {s: (1, dt.date.fromisoformat(d)) for s, d in ds.items()}
    assert _warned(report) == [
        (
            "ae.csv",
            n,
            r["USUBJID"],
            _message(r["USUBJID"], "the death date", ds[r["USUBJID"]], "an adverse event", r["AESTDTC"]),
        )
        for n, r in ae
    ]


def test_adam_adsl_death_date_and_an_adae_death_give_one_death(tmp_path):
    """Two subjects die (ADSL DTHDT on their last contact day) and each has an ADAE "DEATH": one on
    the same day, one three days earlier. One death each, at DTHDT; a warning for the second."""
    randdt = {s[0]: START + dt.timedelta(days=s[8]) for s in SUBJECTS if s[8] is not None}
    last = {s[0]: s[9] for s in SUBJECTS if s[8] is not None}
    same, earlier = "VS301-001-001", "VS301-002-002"
    adsl = _adsl()
    for subject in (same, earlier):
        adsl.loc[adsl.USUBJID.eq(subject), "DTHDT"] = randdt[subject] + dt.timedelta(days=last[subject])
    adae = _adae()
    extra = [(same, last[same]), (earlier, last[earlier] - 3)]
    added = [
        {"STUDYID": "VS301", "USUBJID": s, "AEDECOD": "DEATH", "AETERM": "death", "AESER": "Y", "ASTDT": when}
        for s, day in extra
        if (when := randdt[s] + dt.timedelta(days=day))
    ]
    adae = pd.concat([adae, pd.DataFrame(added)], ignore_index=True)
    folder = tmp_path / "delivery"
    folder.mkdir()
    vil, vcss = _adqs()
    for name, frame in (("ADSL", adsl), ("ADQSVIL", vil), ("ADQSVCSS", vcss), ("ADAE", adae)):
        pyreadstat.write_xport(frame, str(folder / f"{name.lower()}.xpt"), table_name=name, file_format_version=5)
    profile = tmp_path / "deaths.toml"
    profile.write_text(SPONSOR_PROFILE + '"DEATH" = "death"\n', encoding="utf-8")
    out = tmp_path / "adam.duckdb"
    report = _import(profile, sorted(folder.iterdir()), out)

    death_date = {s: randdt[s] + dt.timedelta(days=last[s]) for s in (same, earlier)}
    assert _deaths(out) == {s: (1, d) for s, d in death_date.items()}
    line = len(adae)  # the earlier DEATH is ADAE's last record
    assert _warned(report) == [
        (
            "adae.xpt",
            line,
            earlier,
            _message(
                earlier,
                "the death date",
                str(death_date[earlier]),
                "an adverse event",
                str(randdt[earlier] + dt.timedelta(days=last[earlier] - 3)),
            ),
        )
    ]
