"""An adverse event that is a death (#23): the SDTM term Death (AEDECOD "Death", any case) is the
contract's death event without a value map, as REDCap's "Death" label is; an AE whose outcome is death
(AEOUT = FATAL, AESDTH = Y) under another term gives the death when DM and DS do not. One death per
patient: DM's/DS's death date wins, a differing AE date warns. The delivery is the hand-written one of
test_import_sdtm_conventions with deaths written into DM, DS and AE here; every day is recomputed."""

from __future__ import annotations

import csv
import io
from datetime import date

import duckdb
import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, assistant, run_import
from tests.unit import test_import_adam_sponsor as adam
from tests.unit import test_import_sdtm_conventions as sdtm

STENT = "Venous stent + best medical therapy"
DM = (
    sdtm.DM.replace(
        f"1001,2021-02-10,2022-02-14,01,44,YEARS,F,STENT,{STENT},STENT,{STENT},,",
        f"1001,2021-02-10,2021-08-03,01,44,YEARS,F,STENT,{STENT},STENT,{STENT},2021-08-03,Y",
    )
    .replace(
        "1002,2021-02-24,2022-02-28,01,51,YEARS,M,BMT,Best medical therapy,BMT,Best medical therapy,,",
        "1002,2021-02-24,2021-09-01,01,51,YEARS,M,BMT,Best medical therapy,BMT,Best medical therapy,2021-09-01,Y",
    )
    .replace("1003,2021-03-15,2022-03-18,", "1003,2021-03-15,2021-10-05,")
)
# 1001: the AE Death two days before DM's death date; 1002: DEATH on DM's date; 1003: a fatal
# haemorrhage (no value map holds the term) whose end date is the only death date there is.
AE = """STUDYID,DOMAIN,USUBJID,AESEQ,AETERM,AEDECOD,AESTDTC,AEENDTC,AESER,AEOUT,AESDTH
PTS-STENT-01,AE,PTS-STENT-01-1001,1,Stent occlusion,Device occlusion,2021-05-02,2021-05-09,Y,RECOVERED/RESOLVED,N
PTS-STENT-01,AE,PTS-STENT-01-1001,2,Found dead at home,Death,2021-08-01,2021-08-01,Y,FATAL,Y
PTS-STENT-01,AE,PTS-STENT-01-1002,3,Sudden death,DEATH,2021-09-01,2021-09-01,Y,FATAL,Y
PTS-STENT-01,AE,PTS-STENT-01-1003,4,Intracranial bleed,Haemorrhage intracranial,2021-10-02,2021-10-05,Y,FATAL,Y
"""
DS = """STUDYID,DOMAIN,USUBJID,DSSEQ,DSTERM,DSDECOD,DSCAT,DSSTDTC
PTS-STENT-01,DS,PTS-STENT-01-1001,1,DIED,DEATH,DISPOSITION EVENT,2021-08-03
PTS-STENT-01,DS,PTS-STENT-01-1002,1,DIED,DEATH,DISPOSITION EVENT,2021-09-01
PTS-STENT-01,DS,PTS-STENT-01-1003,1,COMPLETED,COMPLETED,DISPOSITION EVENT,2021-10-05
"""


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _day(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def _issues(report, rules: tuple[str, ...]) -> list[tuple]:
    found = report.issues[report.issues.rule.isin(rules)]
    lines = [None if pd.isna(line) else int(line) for line in found.line]
    return list(zip(found.rule, found.file, lines, found.record, found.value, found.message, strict=True))


def test_an_sdtm_death_term_and_a_fatal_outcome_are_deaths_one_per_patient(tmp_path):
    sources = sdtm._on_time(tmp_path / "delivery", dm=DM, ae=AE, ds=DS)
    out = tmp_path / "out.duckdb"
    report = sdtm._import(sdtm._profile(tmp_path), sources, out)
    assert report.imported, report.text()

    start = {r["USUBJID"]: r["RFSTDTC"] for r in _rows(DM)}
    dm_death = {r["USUBJID"]: r["DTHDTC"] for r in _rows(DM) if r["DTHDTC"]}
    fatal_end = {
        r["USUBJID"]: r["AEENDTC"] for r in _rows(AE) if r["AEOUT"] == "FATAL" and r["USUBJID"] not in dm_death
    }
    expected = {p: _day(start[p], d) for p, d in (dm_death | fatal_end).items()}
    con = duckdb.connect(str(out), read_only=True)
    try:
        deaths = con.execute("SELECT patient_id, event_day, serious FROM events WHERE event_type = 'death'").fetchall()
    finally:
        con.close()
    assert sorted(deaths) == sorted((p, d, True) for p, d in expected.items())

    line = {r["USUBJID"]: i for i, r in enumerate(_rows(AE), start=2) if r["AEOUT"] == "FATAL"}
    assert _issues(report, ("sdtm:ae_term", "sdtm:fatal_ae", "events:death_twice")) == [
        (
            "events:death_twice",
            "ae.csv",
            line["PTS-STENT-01-1001"],
            "PTS-STENT-01-1001",
            "2021-08-03 / 2021-08-01",
            "patient PTS-STENT-01-1001 has two death records, the death date (2021-08-03) and an adverse event "
            "(2021-08-01): one death is imported, on 2021-08-03 (a patient dies once); correct the date that is wrong",
        ),
        # Death and DEATH are no unmapped terms; the haemorrhage is (its death is imported all the same).
        (
            "sdtm:ae_term",
            "ae.csv",
            line["PTS-STENT-01-1003"],
            "PTS-STENT-01-1003",
            "Haemorrhage intracranial",
            "term not in the profile's [values.event_type]: not imported (the contract holds the listed clinical "
            "events only)",
        ),
        (
            "sdtm:fatal_ae",
            "ae.csv",
            line["PTS-STENT-01-1003"],
            "PTS-STENT-01-1003 / Haemorrhage intracranial",
            "2021-10-05",
            "the AE's outcome is death (AE.AEOUT ([ae] outcome) = FATAL or AE.AESDTH ([ae] death_flag) = Y) and "
            "neither DM nor DS dates the death: the death is imported on the AE's end date AE.AEENDTC ([ae] "
            "end_date); give DM's death date if it differs",
        ),
    ]


def test_a_fatal_ae_without_any_death_date_is_refused_naming_where_to_give_it(tmp_path):
    ae = AE.replace("2021-10-02,2021-10-05,Y,FATAL", "2021-10-02,,Y,FATAL")
    sources = sdtm._on_time(tmp_path / "delivery", dm=DM, ae=ae, ds=DS)
    report = sdtm._import(sdtm._profile(tmp_path), sources, tmp_path / "out.duckdb")
    assert not report.imported
    line = next(i for i, r in enumerate(_rows(ae), start=2) if r["USUBJID"] == "PTS-STENT-01-1003")
    assert _issues(report, ("sdtm:fatal_ae",)) == [
        (
            "sdtm:fatal_ae",
            "ae.csv",
            line,
            "PTS-STENT-01-1003 / Haemorrhage intracranial",
            "FATAL",
            "the AE's outcome is death (AE.AEOUT ([ae] outcome) = FATAL or AE.AESDTH ([ae] death_flag) = Y), but "
            "neither DM nor DS dates the death and the AE has no end date (AE.AEENDTC ([ae] end_date)): give the "
            'death date in DM (DM.DTHDTC ([dm] death_date)), or set [ae] outcome = "" and death_flag = "" in a copy '
            "of the profile to import no death from AE",
        )
    ]
    assert list(report.issues[report.issues.severity == "error"].rule) == ["sdtm:fatal_ae"]


def test_an_adam_adae_death_term_is_the_death_adsl_dates(tmp_path):
    folder = tmp_path / "delivery"
    folder.mkdir()
    adsl = adam._adsl()
    who = "VS301-001-002"
    died = adsl.loc[who == adsl.USUBJID, "RANDDT"].iloc[0] + pd.Timedelta(days=150)
    adsl.loc[who == adsl.USUBJID, "DTHDT"] = died
    adsl.loc[who == adsl.USUBJID, "LSTALVDT"] = died
    adae = adam._adae()
    adae = pd.concat(
        [
            adae,
            pd.DataFrame(
                [
                    {
                        "STUDYID": "VS301",
                        "USUBJID": who,
                        "AEDECOD": "Death",
                        "AETERM": "died",
                        "AESER": "Y",
                        "ASTDT": died,
                    }
                ]
            ),
        ],  # fmt: skip
        ignore_index=True,
    )
    vil, vcss = adam._adqs()
    for name, frame in (("ADSL", adsl), ("ADQSVIL", vil), ("ADQSVCSS", vcss), ("ADAE", adae)):
        pyreadstat.write_xport(frame, str(folder / f"{name.lower()}.xpt"), table_name=name, file_format_version=5)
    profile = tmp_path / "venstent301.toml"
    profile.write_text(adam.SPONSOR_PROFILE.replace("adae = false", "adae = true"), encoding="utf-8")
    out = tmp_path / "out.duckdb"
    report = run_import(profile, sorted(folder.iterdir()), out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    con = duckdb.connect(str(out), read_only=True)
    try:
        deaths = con.execute("SELECT patient_id, event_day FROM events WHERE event_type = 'death'").fetchall()
    finally:
        con.close()
    randomised = adsl.loc[who == adsl.USUBJID, "RANDDT"].iloc[0]
    assert deaths == [(who, (died - randomised).days)]
    terms = report.issues[report.issues.rule == "adam:ae_term"]
    assert "Death" not in set(terms.value) and len(terms)  # the other unmapped terms are still warned


def test_the_assistant_preselects_death_only_for_a_term_that_names_one():
    assert [
        assistant.suggested("event_type", v)
        for v in ("Sudden death", "Death NOS", "DIED", "Haemorrhage intracranial", "Deathly pale")
    ] == ["death", "death", "death", None, None]
    assert assistant.suggested("arm", "Death") is None
