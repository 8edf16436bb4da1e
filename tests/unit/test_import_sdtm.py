"""The SDTM import format on a small PTS trial written by hand the way a sponsor's SDTM programmer
writes it (upper-case codes, ISO 8601 --DTC text, a screen failure without RFSTDTC, a baseline
flagged at screening, an unscheduled visit 3.1, a retest, a derived total, AEs that are not PTS
events, a death in DS, a reintervention in PR): every table is recomputed here from the fixture,
independently of the importer, and compared whole. The public CDISC pilot SDTM (an Alzheimer study)
is refused with a message that names what a PTS study needs."""

import io
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest

from pts_explorer import db
from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from pts_explorer.importer.formats import FORMATS, load
from pts_explorer.importer.formats.base import DatasetFacts
from pts_explorer.importer.issues import Issues
from pts_explorer.importer.readers import Reader
from tests.databases import VILLALTA_ORDER

PILOT = PROJECT_ROOT / "tests" / "fixtures" / "cdiscpilot01"
ITEMS = tuple(f"v_{item}" for item in VILLALTA_ORDER)
CODES = ("VILPAIN", "VILCRAMP", "VILHEAVY", "VILPARES", "VILPRUR", "VILEDEMA", "VILINDUR", "VILHYPER", "VILRED")
CODES += ("VILECTAS", "VILCALF")

DM = """STUDYID,DOMAIN,USUBJID,SUBJID,RFSTDTC,RFPENDTC,DTHDTC,DTHFL,SITEID,AGE,AGEU,SEX,ARMCD,ARM
VEN301,DM,VEN301-101-0001,0001,2021-03-02,2022-03-15,,,101,54,YEARS,F,STENT,PTA + STENT
VEN301,DM,VEN301-101-0002,0002,2021-04-12,2021-11-02,2021-11-02,Y,101,67,YEARS,M,MED,COMPRESSION + ANTICOAGULATION
VEN301,DM,VEN301-102-0003,0003,2021-05-20T09:30,2022-05-25,,,102,41,YEARS,M,STENT,PTA + STENT
VEN301,DM,VEN301-102-0004,0004,,,,,102,59,YEARS,F,SCRNFAIL,Screen Failure
"""

SUPPDM = """STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL
VEN301,DM,VEN301-101-0001,,,BMI,Body Mass Index,27.4
VEN301,DM,VEN301-101-0001,,,INDEXLAT,Index Limb Laterality,LEFT
VEN301,DM,VEN301-101-0001,,,DVTMON,Months Since Index DVT,18
VEN301,DM,VEN301-101-0001,,,OBSTSITE,Most Proximal Obstruction,COMMON ILIAC VEIN
VEN301,DM,VEN301-101-0001,,,STENPCT,Stenosis (%),80
VEN301,DM,VEN301-101-0001,,,LESLENMM,Lesion Length (mm),95
VEN301,DM,VEN301-101-0001,,,CEAPBL,Baseline CEAP Clinical Class,C4A
VEN301,DM,VEN301-101-0002,,,BMI,Body Mass Index,31.2
VEN301,DM,VEN301-101-0002,,,INDEXLAT,Index Limb Laterality,RIGHT
VEN301,DM,VEN301-101-0002,,,DVTMON,Months Since Index DVT,36
VEN301,DM,VEN301-101-0002,,,OBSTSITE,Most Proximal Obstruction,FEMORAL VEIN
VEN301,DM,VEN301-101-0002,,,STENPCT,Stenosis (%),60
VEN301,DM,VEN301-101-0002,,,CEAPBL,Baseline CEAP Clinical Class,C3
VEN301,DM,VEN301-102-0003,,,BMI,Body Mass Index,24.9
VEN301,DM,VEN301-102-0003,,,INDEXLAT,Index Limb Laterality,LEFT
VEN301,DM,VEN301-102-0003,,,DVTMON,Months Since Index DVT,9
VEN301,DM,VEN301-102-0003,,,OBSTSITE,Most Proximal Obstruction,EXTERNAL ILIAC VEIN
VEN301,DM,VEN301-102-0003,,,STENPCT,Stenosis (%),100
VEN301,DM,VEN301-102-0003,,,LESLENMM,Lesion Length (mm),140
VEN301,DM,VEN301-102-0003,,,CEAPBL,Baseline CEAP Clinical Class,C6
VEN301,DM,VEN301-101-0001,,,ITT,Intent to Treat Population Flag,Y
VEN301,DM,VEN301-101-0002,,,ITT,Intent to Treat Population Flag,Y
VEN301,DM,VEN301-102-0003,,,ITT,Intent to Treat Population Flag,Y
VEN301,DM,VEN301-102-0004,,,BMI,Body Mass Index,29.0
VEN301,DM,VEN301-102-0004,,,INDEXLAT,Index Limb Laterality,LEFT
"""

SV = """STUDYID,DOMAIN,USUBJID,VISITNUM,VISIT,SVSTDTC
VEN301,SV,VEN301-101-0001,0,SCREENING,2021-02-20
VEN301,SV,VEN301-101-0001,1,BASELINE,2021-03-02
VEN301,SV,VEN301-101-0001,2,MONTH 1,2021-04-01
VEN301,SV,VEN301-101-0001,3,MONTH 3,2021-06-01
VEN301,SV,VEN301-101-0001,4,MONTH 6,2021-09-01
VEN301,SV,VEN301-101-0002,1,BASELINE,2021-04-12
VEN301,SV,VEN301-101-0002,2,MONTH 1,2021-05-11
VEN301,SV,VEN301-101-0002,3,MONTH 3,2021-07-13
VEN301,SV,VEN301-102-0003,0,SCREENING,2021-05-20
VEN301,SV,VEN301-102-0003,2,MONTH 1,2021-06-21
VEN301,SV,VEN301-102-0003,3,MONTH 3,2021-08-19
VEN301,SV,VEN301-102-0003,3.1,UNSCHEDULED 1.1,2021-09-02
VEN301,SV,VEN301-102-0003,4,MONTH 6,2021-11-22
VEN301,SV,VEN301-102-0004,0,SCREENING,2021-05-03
"""

# The Villalta sheet of each attended visit, as the CRF holds it (11 item scores, then ulcer Y/N);
# QS below is this sheet in SDTM's one-record-per-test layout, dated on the visit, with the
# sponsor's derived total (QSDRVFL = Y).
SHEETS = """USUBJID,VISITNUM,VISIT,QSDTC,QSBLFL,ITEMS,ULCER
VEN301-101-0001,0,SCREENING,2021-02-20,,2 2 1 1 0 2 1 1 0 1 2,N
VEN301-101-0001,1,BASELINE,2021-03-02,Y,3 2 2 1 1 2 1 2 1 1 2,N
VEN301-101-0001,2,MONTH 1,2021-04-01,,2 1 1 1 0 1 1 2 0 1 1,N
VEN301-101-0001,3,MONTH 3,2021-06-01,,1 1 1 0 0 1 1 1 0 1 1,N
VEN301-101-0001,4,MONTH 6,2021-09-01,,1 0 1 0 0 1 0 1 0 1 0,N
VEN301-101-0002,1,BASELINE,2021-04-12,Y,2 3 3 2 1 3 2 2 1 2 3,N
VEN301-101-0002,2,MONTH 1,2021-05-11,,2 3 2 2 1 3 2 2 1 2 2,N
VEN301-101-0002,3,MONTH 3,2021-07-13,,3 3 3 2 2 3 2 2 1 2 3,N
VEN301-102-0003,0,SCREENING,2021-05-20,Y,3 3 2 2 2 3 3 3 2 2 3,Y
VEN301-102-0003,2,MONTH 1,2021-06-21,,2 2 2 1 1 2 2 3 1 2 2,Y
VEN301-102-0003,3,MONTH 3,2021-08-19,,2 1 1 1 1 2 2 2 1 1 2,N
VEN301-102-0003,3.1,UNSCHEDULED 1.1,2021-09-02,,1 1 1 1 1 1 1 1 1 1 1,N
VEN301-102-0003,4,MONTH 6,2021-11-22,,1 1 1 0 1 1 2 2 0 1 1,N
VEN301-102-0004,0,SCREENING,2021-05-03,,2 1 1 1 1 1 1 1 0 0 1,N
"""

# Records beside the sheets: VCSS (one not done), a retest of pain at month 6 a week later, and a
# questionnaire the PTS contract does not hold (EQ-5D).
QS_MORE = """USUBJID,QSTESTCD,QSTEST,QSCAT,QSORRES,QSSTRESC,QSSTRESN,QSSTAT,QSBLFL,QSDRVFL,VISITNUM,VISIT,QSDTC
VEN301-101-0001,VCSS,Revised VCSS Total,VCSS,8,8,8,,Y,,1,BASELINE,2021-03-02
VEN301-101-0001,VCSS,Revised VCSS Total,VCSS,5,5,5,,,,4,MONTH 6,2021-09-01
VEN301-101-0002,VCSS,Revised VCSS Total,VCSS,,,,NOT DONE,,,3,MONTH 3,2021-07-13
VEN301-102-0003,VILPAIN,Pain,VILLALTA,2,2,2,,,,4,MONTH 6,2021-11-29
VEN301-101-0001,EQ5D0101,EQ5D01-Mobility,EQ-5D-5L,2,2,2,,Y,,1,BASELINE,2021-03-02
VEN301-101-0002,EQ5D0101,EQ5D01-Mobility,EQ-5D-5L,3,3,3,,Y,,1,BASELINE,2021-04-12
"""

AE = """STUDYID,DOMAIN,USUBJID,AESEQ,AETERM,AEDECOD,AESTDTC,AESER
VEN301,AE,VEN301-101-0001,1,HEADACHE AFTER PROCEDURE,HEADACHE,2021-03-06,N
VEN301,AE,VEN301-101-0001,2,OCCLUSION OF LEFT ILIAC STENT,STENT THROMBOSIS,2021-09-18,Y
VEN301,AE,VEN301-101-0002,1,COMMON COLD,NASOPHARYNGITIS,2021-05-02,N
VEN301,AE,VEN301-101-0002,2,PULMONARY EMBOLISM RIGHT LOWER LOBE,PULMONARY EMBOLISM,2021-10-30,Y
VEN301,AE,VEN301-102-0003,1,GROIN HAEMATOMA,VASCULAR ACCESS SITE HAEMORRHAGE,2021-05-28,N
VEN301,AE,VEN301-102-0004,1,DIZZINESS,DIZZINESS,2021-05-04,N
"""

PR = """STUDYID,DOMAIN,USUBJID,PRSEQ,PRTRT,PRDECOD,PRSTDTC
VEN301,PR,VEN301-101-0001,1,LEFT ILIAC VEIN STENT PLACEMENT,ILIOFEMORAL VENOUS STENTING,2021-03-05
VEN301,PR,VEN301-101-0001,2,THROMBECTOMY AND RESTENTING,VENOUS STENT REINTERVENTION,2021-09-20
VEN301,PR,VEN301-101-0002,1,COMPRESSION STOCKING FITTING,COMPRESSION THERAPY,2021-04-12
VEN301,PR,VEN301-102-0003,1,LEFT EIV STENT PLACEMENT,ILIOFEMORAL VENOUS STENTING,2021-05-27
"""

SUPPPR = """STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL
VEN301,PR,VEN301-101-0001,PRSEQ,1,TECHSUCC,Technical Success,Y
VEN301,PR,VEN301-101-0001,PRSEQ,1,NSTENTS,Number of Stents Placed,2
VEN301,PR,VEN301-101-0001,PRSEQ,1,STENTDIA,Largest Stent Diameter (mm),14
VEN301,PR,VEN301-101-0001,PRSEQ,1,BELOWIL,Stent Below Inguinal Ligament,N
VEN301,PR,VEN301-102-0003,PRSEQ,1,TECHSUCC,Technical Success,Y
VEN301,PR,VEN301-102-0003,PRSEQ,1,NSTENTS,Number of Stents Placed,1
VEN301,PR,VEN301-102-0003,PRSEQ,1,STENTDIA,Largest Stent Diameter (mm),16
VEN301,PR,VEN301-102-0003,PRSEQ,1,BELOWIL,Stent Below Inguinal Ligament,Y
"""

DS = """STUDYID,DOMAIN,USUBJID,DSSEQ,DSTERM,DSDECOD,DSCAT,DSSTDTC
VEN301,DS,VEN301-101-0001,1,INFORMED CONSENT OBTAINED,INFORMED CONSENT OBTAINED,PROTOCOL MILESTONE,2021-02-20
VEN301,DS,VEN301-101-0002,1,INFORMED CONSENT OBTAINED,INFORMED CONSENT OBTAINED,PROTOCOL MILESTONE,2021-04-01
VEN301,DS,VEN301-101-0002,2,DIED OF PULMONARY EMBOLISM,DEATH,DISPOSITION EVENT,2021-11-02
VEN301,DS,VEN301-102-0004,1,DID NOT MEET INCLUSION CRITERIA,SCREEN FAILURE,DISPOSITION EVENT,2021-05-10
"""

NUMERIC = {"AGE", "VISITNUM", "QSSTRESN", "QSSEQ", "PRSEQ", "AESEQ", "DSSEQ"}


def _frame(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for column in NUMERIC & set(frame.columns):
        frame[column] = pd.to_numeric(frame[column].replace("", None)).astype(float)
    return frame


def _qs() -> pd.DataFrame:
    """QS as a sponsor's programmer derives it from the sheets: one record per item, ulcer and total."""
    rows = []
    for sheet in _frame(SHEETS).itertuples():
        scores = [int(s) for s in sheet.ITEMS.split()]
        common = {"USUBJID": sheet.USUBJID, "VISITNUM": sheet.VISITNUM, "VISIT": sheet.VISIT, "QSDTC": sheet.QSDTC}
        for code, score in zip(CODES, scores, strict=True):
            rows.append(common | {"QSTESTCD": code, "QSCAT": "VILLALTA", "QSORRES": str(score), "QSSTRESN": score})
        rows.append(common | {"QSTESTCD": "ULCER", "QSCAT": "VILLALTA", "QSORRES": sheet.ULCER})
        rows.append(common | {"QSTESTCD": "VILTOT", "QSCAT": "VILLALTA", "QSSTRESN": sum(scores), "QSDRVFL": "Y"})
        for row in rows[-13:]:
            row["QSBLFL"] = sheet.QSBLFL if row["QSTESTCD"] != "VILTOT" else ""
    qs = pd.DataFrame(rows)
    qs["QSSTRESC"] = qs.QSORRES
    qs = pd.concat([qs, _frame(QS_MORE)], ignore_index=True)
    for column in ("QSORRES", "QSSTRESC", "QSSTAT", "QSBLFL", "QSDRVFL", "QSTEST"):
        qs[column] = qs[column].fillna("")
    qs["QSSTRESN"] = qs.QSSTRESN.astype(float)
    qs.insert(0, "STUDYID", "VEN301")
    qs.insert(1, "DOMAIN", "QS")
    qs.insert(3, "QSSEQ", qs.groupby("USUBJID").cumcount().astype(float) + 1)
    return qs


def _datasets() -> dict[str, pd.DataFrame]:
    texts = {"DM": DM, "SUPPDM": SUPPDM, "SV": SV, "AE": AE, "PR": PR, "SUPPPR": SUPPPR, "DS": DS}
    return {name: _frame(text) for name, text in texts.items()} | {"QS": _qs()}


def _write(datasets: dict[str, pd.DataFrame], folder: Path, kind: str = "xpt") -> list[Path]:
    """The datasets as SAS transport files, or as the CSV files a SAS export writes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in datasets.items():
        path = folder / f"{name.lower()}.{kind}"
        if kind == "xpt":
            pyreadstat.write_xport(frame, str(path), table_name=name, file_format_version=5)
        else:
            frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def _profile(tmp_path: Path, **edits: str) -> Path:
    """A copy of the built-in sdtm profile with lines replaced (old line start -> new line)."""
    lines = FORMATS["sdtm"].profile.read_text(encoding="utf-8").splitlines()
    for old, new in edits.items():
        hits = [i for i, line in enumerate(lines) if line.startswith(old)]
        assert len(hits) == 1, old
        lines[hits[0]] = new
    path = tmp_path / "my_sdtm.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _day(start: str, end: str) -> int:
    return (date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days


# --- what the fixture holds, recomputed here ---------------------------------------------------


def _expected(sets: dict[str, pd.DataFrame]) -> dict[str, list[tuple]]:
    dm = sets["DM"][(sets["DM"].RFSTDTC != "") & (sets["DM"].ARM.str.upper() != "SCREEN FAILURE")]
    start = dict(zip(dm.USUBJID, dm.RFSTDTC, strict=True))
    supp = sets["SUPPDM"].pivot(index="USUBJID", columns="QNAM", values="QVAL")
    arms = {"PTA + STENT": "stent", "COMPRESSION + ANTICOAGULATION": "medical"}
    sites = {
        "COMMON ILIAC VEIN": "common_iliac",
        "EXTERNAL ILIAC VEIN": "external_iliac",
        "FEMORAL VEIN": "femoral",
    }
    patients = []
    for p in dm.itertuples():
        q = supp.loc[p.USUBJID]
        patients.append(
            (
                p.USUBJID,
                "VEN301",
                p.SITEID,
                arms[p.ARM],
                date.fromisoformat(p.RFSTDTC[:10]),
                int(p.AGE),
                {"F": "female", "M": "male"}[p.SEX],
                float(q.BMI),
                q.INDEXLAT.lower(),
                int(q.DVTMON),
                sites[q.OBSTSITE],
                int(q.STENPCT),
                None if pd.isna(q.LESLENMM) else int(q.LESLENMM),
                q.CEAPBL[:2] + q.CEAPBL[2:].lower(),
                _day(p.RFSTDTC, p.RFPENDTC),
            )
        )
    # Visits: the sheets of kept subjects at a mapped visit (VISITNUM 1, 2, 3, 4 = months 0, 1, 3, 6)
    # or flagged as baseline, with the month-6 pain retest (the later record) replacing the sheet's.
    months = {1.0: 0, 2.0: 1, 3.0: 3, 4.0: 6}
    visits = {}
    for s in _frame(SHEETS).itertuples():
        month = 0 if s.QSBLFL == "Y" else months.get(s.VISITNUM)
        if s.USUBJID not in start or month is None:
            continue
        scores = dict(zip(ITEMS, (int(x) for x in s.ITEMS.split()), strict=True))
        visits[s.USUBJID, month] = {"day": _day(start[s.USUBJID], s.QSDTC), **scores, "ulcer": s.ULCER == "Y"}
    visits["VEN301-102-0003", 6]["v_pain"] = 2  # the retest of 2021-11-29 (QSSEQ later) is the result kept
    vcss = {("VEN301-101-0001", 0): 8, ("VEN301-101-0001", 6): 5}
    visit_rows = sorted(
        (p, m, v["day"], *(v[i] for i in ITEMS), v["ulcer"], vcss.get((p, m))) for (p, m), v in visits.items()
    )
    procedures = []
    pr, supppr = sets["PR"], sets["SUPPPR"].pivot(index="USUBJID", columns="QNAM", values="QVAL")
    for p in pr[pr.PRDECOD == "ILIOFEMORAL VENOUS STENTING"].itertuples():
        q = supppr.loc[p.USUBJID]
        procedures.append(
            (
                p.USUBJID,
                _day(start[p.USUBJID], p.PRSTDTC),
                q.TECHSUCC == "Y",
                int(q.NSTENTS),
                int(q.STENTDIA),
                q.BELOWIL == "Y",
            )
        )
    events = [
        ("VEN301-101-0001", _day(start["VEN301-101-0001"], "2021-09-18"), "stent_thrombosis", True),
        ("VEN301-101-0001", _day(start["VEN301-101-0001"], "2021-09-20"), "reintervention", True),
        ("VEN301-101-0002", _day(start["VEN301-101-0002"], "2021-10-30"), "pulmonary_embolism", True),
        ("VEN301-101-0002", _day(start["VEN301-101-0002"], "2021-11-02"), "death", True),
        ("VEN301-102-0003", _day(start["VEN301-102-0003"], "2021-05-28"), "access_site_bleeding", False),
    ]
    return {
        "patients": sorted(patients),
        "visits": visit_rows,
        "procedures": sorted(procedures),
        "events": sorted(events),
    }


PATIENT_COLUMNS = (
    "patient_id, study_id, center_id, arm, enrolled_on, age_years, sex, bmi, limb_side, months_since_dvt, "
    "obstruction_site, stenosis_pct, lesion_length_mm, ceap_c, last_contact_day"
)
VISIT_COLUMNS = f"patient_id, visit_month, visit_day, {', '.join(ITEMS)}, ulcer_present, vcss"


@pytest.mark.parametrize("kind", ["xpt", "csv"])
def test_a_pts_trial_in_sdtm_imports_faithfully(kind, tmp_path):
    sets = _datasets()
    out = tmp_path / "trial.duckdb"
    report = run_import(
        "sdtm", _write(sets, tmp_path / "sdtm", kind), out, Options(synthetic=False), progress=lambda _: None
    )
    assert report.imported and report.errors == 0, report.text()
    expected = _expected(sets)
    assert _rows(out, f"SELECT {PATIENT_COLUMNS} FROM patients ORDER BY ALL") == expected["patients"]
    assert _rows(out, f"SELECT {VISIT_COLUMNS} FROM visits ORDER BY ALL") == expected["visits"]
    assert _rows(out, "SELECT * FROM procedures ORDER BY ALL") == expected["procedures"]
    assert _rows(out, "SELECT * FROM events ORDER BY ALL") == expected["events"]
    baselines = _rows(
        out,
        "SELECT patient_id, villalta_total, pts_band FROM patient_baseline JOIN visits USING "
        "(patient_id) WHERE visit_month = 0 ORDER BY 1",
    )
    assert baselines == [
        ("VEN301-101-0001", 18, "severe"),
        ("VEN301-101-0002", 24, "severe"),
        ("VEN301-102-0003", 28, "severe"),
    ]
    assert _rows(out, "SELECT study_id, design, visit_months FROM studies") == [
        ("VEN301", "randomized", [0, 1, 3, 6, 12, 24])
    ]
    warnings = report.issues[report.issues.severity == "warning"]
    unscheduled = warnings[warnings.rule == "sdtm:unscheduled"]
    # 11 items and the ulcer each: 0001's screening sheet (not flagged), 0003's unscheduled visit, with
    # VISITNUM as the source gives it (a transport file's 0 is read as 0; pandas writes 0.0 in CSV)
    text = (lambda x: f"{x:g}") if kind == "xpt" else str
    assert (
        sorted(zip(unscheduled.record, unscheduled.value, strict=True))
        == [("VEN301-101-0001", f"SCREENING (VISITNUM {text(0.0)})")] * 12
        + [("VEN301-102-0003", "UNSCHEDULED 1.1 (VISITNUM 3.1)")] * 12
    )
    assert list(warnings[warnings.rule == "sdtm:ae_term"].value) == ["HEADACHE", "NASOPHARYNGITIS"]
    retest = warnings[warnings.rule == "sdtm:retest"]
    assert list(zip(retest.record, retest.value, strict=True)) == [
        ("VEN301-102-0003 / MONTH 6", f"VILPAIN = {text(1.0)}")
    ]
    population = warnings[warnings.rule == "sdtm:population"]
    assert list(population.value) == ["Screen Failure"] and list(population.file) == [f"dm.{kind}"]


def _funnel(sources: list[Path], profile: str = "sdtm") -> list[tuple]:
    """The import's funnel: what each rule set aside, per file (the mapper run on its own)."""
    con = duckdb.connect()
    issues = Issues(con)
    chosen = load(profile)
    reader = Reader(con, chosen.csv, issues)
    staged = [table for path in sources for table in reader.stage(path)]
    FORMATS["sdtm"].mapper(con, staged, chosen, issues).map(DatasetFacts("t", False, "t"))
    return con.execute("SELECT file, step, records, loss FROM funnel ORDER BY ord").fetchall()


def test_every_record_set_aside_is_counted_in_the_funnel(tmp_path):
    funnel = _funnel(_write(_datasets(), tmp_path))
    assert funnel == [
        ("dm.xpt", "population: arm left out ([population] exclude_arms)", 1, False),
        ("suppdm.xpt", "subject left out of the population", 2, False),
        ("suppdm.xpt", "QNAM not mapped ([qualifiers])", 3, False),  # the ITT flags
        # QS of the screen failure: its sheet (11 items, ulcer, total).
        ("qs.xpt", "subject left out of the population", 13, False),
        ("qs.xpt", "test not mapped ([qs.testcd])", 2, False),  # EQ-5D
        ("qs.xpt", "derived record (QSDRVFL = Y)", 13, False),  # the totals of the 13 kept sheets
        ("qs.xpt", "no result (QSSTAT NOT DONE or blank)", 1, True),
        ("qs.xpt", "visit not in [visits] (unscheduled or unmapped)", 24, True),  # screening 0001, unscheduled 0003
        ("qs.xpt", "retest: an earlier result at the same visit", 1, False),
        # SV only dates QS records without QSDTC (review 7 of #23, finding 7): the screen failure's visit,
        # the visits with no QS record kept (screening 0001, unscheduled 3.1 of 0003), and the others,
        # whose QS records carry their own date, are not used
        ("sv.xpt", "subject left out of the population", 1, False),
        ("sv.xpt", "no QS record kept at this visit (unscheduled, unmapped or not assessed): not used", 2, False),
        ("sv.xpt", "not used: every QS record of the visit has its own date ([qs] date)", 11, False),
        ("ds.xpt", "subject left out of the population", 1, False),
        ("ds.xpt", "not a death ([ds] death_terms)", 2, False),
        ("ae.xpt", "subject left out of the population", 1, False),
        ("ae.xpt", "term not in [values.event_type]", 2, False),
        ("pr.xpt", "procedure neither [pr] index_terms nor [values.pr_event]", 1, False),
    ]


def test_a_partial_date_is_refused_or_imputed_as_the_profile_says(tmp_path):
    sets = _datasets()
    ae = sets["AE"]
    ae.loc[ae.AEDECOD == "STENT THROMBOSIS", "AESTDTC"] = "2021-09"
    sources = _write(sets, tmp_path / "sdtm")
    report = run_import("sdtm", sources, tmp_path / "refused.duckdb", Options(synthetic=False), progress=lambda _: None)
    assert not report.imported
    refused = report.issues[report.issues.rule == "sdtm:partial_date.start_date"]
    assert list(zip(refused.file, refused.record, refused.column, refused.value, strict=True)) == [
        ("ae.xpt", "VEN301-101-0001", "AESTDTC", "2021-09")
    ]
    assert list(refused.message) == [
        "AE.AESTDTC ([ae] start_date) is a partial date: complete it in the source, or impute it with [dates] "
        'partial = "first" or "middle" in a copy of the profile'
    ]
    profile = tmp_path / "my_sdtm.toml"
    profile.write_text(FORMATS["sdtm"].profile.read_text().replace('partial = "refuse"', 'partial = "first"'))
    out = tmp_path / "imputed.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    imputed = report.issues[report.issues.rule == "sdtm:imputed_date.start_date"]
    assert list(imputed.message) == [
        '1 partial AE.AESTDTC ([ae] start_date) date imputed by [dates] partial = "first" '
        "(first day of the month or year)"
    ]
    assert _rows(out, "SELECT event_day FROM events WHERE event_type = 'stent_thrombosis'") == [
        (_day("2021-03-02", "2021-09-01"),)
    ]


def test_a_test_code_the_profile_does_not_know_is_named_with_its_profile_key(tmp_path):
    sets = _datasets()
    sets["QS"].loc[sets["QS"].QSTESTCD == "VILPAIN", "QSTESTCD"] = "VIL01"
    report = run_import(
        "sdtm", _write(sets, tmp_path), tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert not report.imported
    items = report.issues[report.issues.rule == "sdtm:items"]
    found = "EQ5D0101, ULCER, VCSS, VIL01, VILCALF, VILCRAMP, VILECTAS, VILEDEMA, VILHEAVY, VILHYPER, VILINDUR, "
    found += "VILPARES, VILPRUR, VILRED, VILTOT"
    assert list(items.message) == [
        "QS.QSTESTCD: test(s) VILPAIN ([qs.testcd] v_pain) not found; name the sponsor's codes in [qs.testcd] of a "
        f"copy of the profile (QSTESTCDs found: {found})"
    ]


def test_the_example_export_round_trips(small_db, tmp_path):
    """The demo trial written as SDTM imports back into identical tables, with no warning."""
    con = duckdb.connect(str(small_db), read_only=True)
    try:
        (tmp_path / "sdtm").mkdir()
        FORMATS["sdtm"].write_example(con, tmp_path / "sdtm", load("sdtm"))
    finally:
        con.close()
    out = tmp_path / "back.duckdb"
    report = run_import("sdtm", sorted((tmp_path / "sdtm").iterdir()), out, progress=lambda _: None)
    assert report.imported and report.errors == 0 and report.warnings == 0, report.text()
    trial = "WHERE patient_id IN (SELECT patient_id FROM patients JOIN studies USING (study_id) "
    trial += "WHERE design = 'randomized')"
    for table in ("patients", "visits", "procedures", "events"):
        assert _rows(out, f"SELECT * FROM {table} ORDER BY ALL") == _rows(
            small_db, f"SELECT * FROM {table} {trial} ORDER BY ALL"
        )
    checked = db.open_checked(out)
    assert not checked[1].findings
    checked[0].close()


# --- the public CDISC pilot SDTM: an Alzheimer study ---------------------------------------------


def _adas_cog_qs(dm: pd.DataFrame) -> pd.DataFrame:
    """A QS cut in the pilot's shape (its qs.xpt is not in the public snapshot): ADAS-Cog items at
    baseline for the first three randomized subjects."""
    subjects = dm[dm.ARM != "Screen Failure"].USUBJID.head(3)
    rows = [
        {
            "STUDYID": "CDISCPILOT01",
            "DOMAIN": "QS",
            "USUBJID": s,
            "QSSEQ": float(i + 1),
            "QSTESTCD": f"ACITM{i + 1:02d}",
            "QSCAT": "ALZHEIMER'S DISEASE ASSESSMENT SCALE",
            "QSORRES": str(i % 4),
            "QSSTRESC": str(i % 4),
            "QSSTRESN": float(i % 4),
            "QSBLFL": "Y",
            "VISITNUM": 3.0,
            "VISIT": "BASELINE",
            "QSDTC": "2014-01-02",
        }
        for s in subjects
        for i in range(14)
    ]
    return pd.DataFrame(rows)


def test_the_cdisc_pilot_alzheimer_study_is_refused_naming_what_a_pts_study_needs(tmp_path):
    sources = [PILOT / "dm.xpt", PILOT / "sv.xpt", PILOT / "ds.xpt"]
    dm, _ = pyreadstat.read_xport(str(PILOT / "dm.xpt"))
    qs = tmp_path / "qs.xpt"
    pyreadstat.write_xport(_adas_cog_qs(dm), str(qs), table_name="QS", file_format_version=5)
    out = tmp_path / "pilot.duckdb"
    report = run_import("sdtm", [*sources, qs], out, Options(synthetic=False), progress=lambda _: None)
    assert not report.imported and not out.exists()
    errors = report.issues[report.issues.severity == "error"]
    codes = ", ".join(f"ACITM{i:02d}" for i in range(1, 15))
    needed = "v_pain = 'VILPAIN', v_cramps = 'VILCRAMP', v_heaviness = 'VILHEAVY', v_paresthesia = 'VILPARES', "
    needed += "v_pruritus = 'VILPRUR', v_edema = 'VILEDEMA', v_induration = 'VILINDUR', v_hyperpigmentation = "
    needed += (
        "'VILHYPER', v_redness = 'VILRED', v_ectasia = 'VILECTAS', v_calf_pain = 'VILCALF', ulcer_present = 'ULCER'"
    )
    assert list(errors[errors.rule == "sdtm:items"].message) == [
        "QS.QSTESTCD ([qs] test_code): no test the profile names for the Villalta items is in QS (QSTESTCDs found: "
        f"{codes}): name the sponsor's codes in [qs.testcd] of a copy of the profile (now {needed}). If QS holds no "
        "Villalta item, this does not look like a post-thrombotic syndrome study: a PTS study needs, per visit, the "
        "11 Villalta items and ulcer status in QS, DM arms mapped to stent or medical ([values.arm]), and the "
        "baseline anatomy in SUPPDM ([qualifiers]: index limb, obstruction site, stenosis %, months since DVT, CEAP "
        "class). The results and visits of QS are checked once its tests are named"
    ]
    arms = errors[errors.rule == "sdtm:values.arm"]
    expected_arms = dm[(dm.ARM != "Screen Failure") & (dm.RFSTDTC != "")].ARM
    assert sorted(arms.value) == sorted(expected_arms)
    assert set(arms.value) == {"Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"}
    missing = errors[errors.rule == "file:missing"]
    assert list(missing.message) == [
        "no dataset named SUPPDM (SUPPDM role, required); datasets found: dm, ds, qs, sv; name it in [datasets] "
        "suppdm of a copy of the profile"
    ]
    left_out = report.issues[report.issues.rule == "sdtm:population"]
    n = int(((dm.ARM == "Screen Failure") | (dm.RFSTDTC == "")).sum())
    assert list(left_out.message) == [
        f"{n:,} subject{'' if n == 1 else 's'} left out of the population (arm in [population] exclude_arms, or no "
        "RFSTDTC with [population] exclude_blank_reference_date); their records in other datasets are not imported"
    ]


def _months(start: str, end: str) -> int:
    """Whole months from one ISO date to another."""
    a, b = date.fromisoformat(start), date.fromisoformat(end[:10])
    return (b.year - a.year) * 12 + b.month - a.month - (b.day < a.day)


def test_profile_keys_for_population_flag_dvt_date_visit_text_and_an_early_baseline(tmp_path):
    sets = _datasets()
    supp = sets["SUPPDM"]
    supp.loc[(supp.USUBJID == "VEN301-101-0002") & (supp.QNAM == "ITT"), "QVAL"] = "N"
    dvt = {"VEN301-101-0001": "2019-08-14", "VEN301-101-0002": "2018-03-30", "VEN301-102-0003": "2020-08-21"}
    supp.loc[supp.QNAM == "DVTMON", "QVAL"] = supp.loc[supp.QNAM == "DVTMON", "USUBJID"].map(dvt)
    supp.loc[supp.QNAM == "DVTMON", "QNAM"] = "DVTDTC"
    qs = sets["QS"]
    early = (qs.USUBJID == "VEN301-101-0001") & (qs.VISIT == "BASELINE")
    qs.loc[early, "QSDTC"] = "2021-02-28"  # two days before RFSTDTC
    sources = _write(sets, tmp_path / "sdtm")
    refuse = _profile(tmp_path, **{"early_baseline =": 'early_baseline = "refuse"'})
    report = run_import(refuse, sources, tmp_path / "refused.duckdb", Options(synthetic=False), progress=lambda _: None)
    refused = report.issues[report.issues.rule == "sdtm:baseline_day"]
    assert (
        not report.imported and sorted(set(refused.value)) == ["2021-02-28"] and len(refused) == 13
    )  # 11 items, ulcer, VCSS
    assert set(refused.message) == {
        "baseline record dated before the reference date DM.RFSTDTC ([dm] enrolled_on) (a negative study day): set "
        '[qs] early_baseline = "day0" in a copy of the profile to hold it on day 0'
    }
    profile = _profile(
        tmp_path,
        **{
            "# flag_qnam": 'flag_qnam = "ITT"',
            "months_since_dvt =": "",
            "# dvt_date": 'dvt_date = "DVTDTC"',
            "VISITNUM =": 'VISIT = { "BASELINE" = 0, "MONTH 1" = 1, "MONTH 3" = 3, "MONTH 6" = 6 }',
        },
    )
    out = tmp_path / "trial.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    dm = sets["DM"].set_index("USUBJID").RFSTDTC
    kept = ["VEN301-101-0001", "VEN301-102-0003"]  # 0002 is not ITT, 0004 a screen failure
    assert _rows(out, "SELECT patient_id, months_since_dvt FROM patients ORDER BY 1") == [
        (p, _months(dvt[p], dm[p])) for p in kept
    ]
    assert _rows(out, "SELECT patient_id, visit_month, visit_day FROM visits WHERE visit_month = 0 ORDER BY 1") == [
        ("VEN301-101-0001", 0, 0),
        ("VEN301-102-0003", 0, 0),
    ]
    held = report.issues[report.issues.rule == "sdtm:baseline_day"]
    assert list(zip(held.value, held.message, strict=True)) == [
        (
            "VEN301-101-0001",
            "13 baseline records of 1 subject dated before the reference date DM.RFSTDTC ([dm] enrolled_on) "
            'held on day 0 ([qs] early_baseline = "day0"; "refuse" makes each an error)',
        )
    ]
    population = report.issues[report.issues.rule == "sdtm:population"]
    assert list(population.value) == ["COMPRESSION + ANTICOAGULATION, Screen Failure"]


def test_a_death_date_in_dm_that_disagrees_with_ds_is_refused(tmp_path):
    sets = _datasets()
    sets["DM"].loc[sets["DM"].USUBJID == "VEN301-101-0002", "DTHDTC"] = "2021-11-01"
    report = run_import(
        "sdtm", _write(sets, tmp_path), tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert not report.imported
    death = report.issues[report.issues.rule == "sdtm:death_date"]
    assert list(zip(death.record, death.value, death.message, strict=True)) == [
        (
            "VEN301-101-0002",
            "2021-11-01 / 2021-11-02",
            "DM.DTHDTC ([dm] death_date) differs from the death date in DS (DS.DSSTDTC ([ds] date)): correct one "
            "of them",
        )
    ]


def test_a_value_outside_a_value_map_is_named_with_its_map(tmp_path):
    """A third arm and a bilateral index limb: the contract cannot hold them, the profile can say
    where they go (or leave the arm out)."""
    sets = _datasets()
    dm, supp = sets["DM"], sets["SUPPDM"]
    dm.loc[dm.USUBJID == "VEN301-102-0003", "ARM"] = "CATHETER-DIRECTED THROMBOLYSIS"
    supp.loc[(supp.USUBJID == "VEN301-101-0002") & (supp.QNAM == "INDEXLAT"), "QVAL"] = "BILATERAL"
    report = run_import(
        "sdtm", _write(sets, tmp_path), tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert not report.imported
    named = report.issues[report.issues.rule.isin(["sdtm:values.arm", "sdtm:values.limb_side"])]
    # The SUPPDM value at its SUPPDM record, the DM value at its DM record.
    assert sorted(zip(named.file, named.record, named.column, named.value, named.message, strict=True)) == [
        (
            "dm.xpt",
            "VEN301-102-0003",
            "ARM",
            "CATHETER-DIRECTED THROMBOLYSIS",
            "DM.ARM ([dm] arm): the value is neither in [values.arm] (it maps PTA + STENT, COMPRESSION + "
            "ANTICOAGULATION) nor one of the contract's (stent, medical); map it there in a copy of the profile, or "
            "leave the arm out with [population] exclude_arms",
        ),
        (
            "suppdm.xpt",
            "VEN301-101-0002",
            "INDEXLAT",
            "BILATERAL",
            "SUPPDM.INDEXLAT ([qualifiers] limb_side): the value is neither in [values.limb_side] (it maps LEFT, "
            "RIGHT) nor one of the contract's (left, right); map it there in a copy of the profile",
        ),
    ]
    profile = _profile(
        tmp_path, **{"exclude_arms =": 'exclude_arms = ["SCREEN FAILURE", "CATHETER-DIRECTED THROMBOLYSIS"]'}
    )
    report = run_import(
        profile, _write(sets, tmp_path), tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert list(report.issues[report.issues.rule.str.startswith("sdtm:values")].value) == ["BILATERAL"]


def test_visit_dates_from_sv_and_a_reintervention_in_ae_and_pr_imported_once(tmp_path):
    sets = _datasets()
    qs = sets["QS"]
    qs.loc[(qs.USUBJID == "VEN301-101-0002") & (qs.VISIT == "MONTH 1"), "QSDTC"] = ""  # SV dates the visit
    ae = sets["AE"]
    ae.loc[len(ae)] = ["VEN301", "AE", "VEN301-101-0001", 3.0, "STENT RE-OCCLUSION TREATED", "VENOUS STENT "
                       "REINTERVENTION", "2021-09-20", "Y"]  # fmt: skip
    profile = _profile(tmp_path, **{"[values.event_type]": '[values.event_type]\n"VENOUS STENT REINTERVENTION" = '
                                    '"reintervention"'})  # fmt: skip
    sources = _write(sets, tmp_path / "sdtm")
    out = tmp_path / "trial.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    sv = sets["SV"]
    month_1 = sv[(sv.USUBJID == "VEN301-101-0002") & (sv.VISIT == "MONTH 1")].SVSTDTC.item()
    assert _rows(out, "SELECT visit_day FROM visits WHERE patient_id = 'VEN301-101-0002' AND visit_month = 1") == [
        (_day("2021-04-12", month_1),)
    ]
    assert _rows(out, "SELECT patient_id, event_day, serious FROM events WHERE event_type = 'reintervention'") == [
        ("VEN301-101-0001", _day("2021-03-02", "2021-09-20"), True)
    ]
    funnel = _funnel(sources, str(profile))
    assert [step for step in funnel if step[0] == "pr.xpt"] == [
        ("pr.xpt", "procedure neither [pr] index_terms nor [values.pr_event]", 1, False),
        ("pr.xpt", "procedure event also recorded in AE (imported once)", 1, False),
    ]
    # Without SV, the undated visit is refused by name.
    report = run_import(
        profile, [s for s in sources if s.name != "sv.xpt"], out, Options(synthetic=False), progress=lambda _: None
    )
    undated = report.issues[report.issues.rule == "sdtm:visit_date"]
    assert not report.imported and set(undated.record) == {"VEN301-101-0002 / MONTH 1"} and len(undated) == 12
    assert set(undated.message) == {
        "no date for this record: QS.QSDTC ([qs] date) is blank and no SV record of the visit gives one ([sv] date)"
    }
