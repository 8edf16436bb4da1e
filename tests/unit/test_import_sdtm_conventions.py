"""SDTM as a sponsor's SDTM programmer delivers it, not as the built-in profile expects it (#23 review,
finding 6 and 7): Villalta items coded VIL01-VIL11 and the ulcer as a character result (QSSTRESC Y/N,
QSSTRESN blank), SUPPPR linked to its PR record by IDVAR/IDVARVAL, an AE and baselines dated before
RFSTDTC, CEAP already written C3/C4a, and a short profile that sets only what differs from the built-in
one (extends = "sdtm"). The CSV files below are written by hand; every expected row is recomputed here
from them, independently of the importer, and compared whole."""

import csv
import io
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.formats import FORMATS, load
from pts_explorer.importer.profiles import ProfileError

DM = """STUDYID,DOMAIN,USUBJID,SUBJID,RFSTDTC,RFENDTC,SITEID,AGE,AGEU,SEX,ARMCD,ARM,ACTARMCD,ACTARM,DTHDTC,DTHFL
PTS-STENT-01,DM,PTS-STENT-01-1001,1001,2021-02-10,2022-02-14,01,44,YEARS,F,STENT,Venous stent + best medical therapy,STENT,Venous stent + best medical therapy,,
PTS-STENT-01,DM,PTS-STENT-01-1002,1002,2021-02-24,2022-02-28,01,51,YEARS,M,BMT,Best medical therapy,BMT,Best medical therapy,,
PTS-STENT-01,DM,PTS-STENT-01-1003,1003,2021-03-15,2022-03-18,02,38,YEARS,F,STENT,Venous stent + best medical therapy,STENT,Venous stent + best medical therapy,,
PTS-STENT-01,DM,PTS-STENT-01-1013,1013,,,01,58,YEARS,F,SCRNFAIL,Screen Failure,SCRNFAIL,Screen Failure,,
"""  # noqa: E501

# CEAP written as the contract writes it (C4a), the DVT as a date.
SUPPDM = """STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL,QORIG,QEVAL
PTS-STENT-01,DM,PTS-STENT-01-1001,,,INDLIMB,Index Limb,LEFT,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1001,,,OBSTSITE,Most Proximal Obstructed Segment,COMMON ILIAC VEIN,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1001,,,STENPCT,Stenosis (%),90,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1001,,,LESLEN,Lesion Length (mm),110,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1001,,,CEAPC,CEAP Clinical Class,C4a,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1001,,,DVTDTC,Date of Index DVT,2019-06-02,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1001,,,BMI,Body Mass Index,27.1,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1002,,,INDLIMB,Index Limb,RIGHT,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1002,,,OBSTSITE,Most Proximal Obstructed Segment,FEMORAL VEIN,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1002,,,STENPCT,Stenosis (%),60,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1002,,,CEAPC,CEAP Clinical Class,C6,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1002,,,DVTDTC,Date of Index DVT,2020-01-20,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1002,,,BMI,Body Mass Index,30.2,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,INDLIMB,Index Limb,LEFT,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,OBSTSITE,Most Proximal Obstructed Segment,EXTERNAL ILIAC VEIN,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,STENPCT,Stenosis (%),100,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,LESLEN,Lesion Length (mm),140,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,CEAPC,CEAP Clinical Class,C4b,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,DVTDTC,Date of Index DVT,2020-09-15,CRF,
PTS-STENT-01,DM,PTS-STENT-01-1003,,,BMI,Body Mass Index,24.0,CRF,
"""

# The Villalta sheet of each visit (11 item scores, then the ulcer Y/N, then the VCSS); QS below is
# it in SDTM's layout. Baselines of 1001 and 1003 were assessed at screening, before RFSTDTC.
SHEETS = """USUBJID,VISITNUM,VISIT,QSDTC,QSBLFL,ITEMS,ULCER,VCSS
PTS-STENT-01-1001,1,BASELINE,2021-02-08,Y,2 2 2 1 1 2 1 2 1 1 2,N,9
PTS-STENT-01-1001,2,MONTH 1,2021-03-12,,1 1 1 1 0 1 1 2 0 1 1,N,6
PTS-STENT-01-1002,1,BASELINE,2021-02-24,Y,3 2 2 2 1 3 2 2 1 2 3,Y,14
PTS-STENT-01-1002,2,MONTH 1,2021-03-26,,3 2 2 2 1 3 2 2 1 2 2,Y,13
PTS-STENT-01-1003,1,BASELINE,2021-03-12,Y,1 1 1 1 1 1 1 1 0 0 1,N,5
PTS-STENT-01-1003,2,MONTH 1,2021-04-16,,1 0 1 0 0 1 0 1 0 0 0,N,4
"""

# The groin haematoma was noted the day before the stent (and RFSTDTC): a pre-treatment event.
AE = """STUDYID,DOMAIN,USUBJID,AESEQ,AETERM,AEDECOD,AESTDTC,AESER
PTS-STENT-01,AE,PTS-STENT-01-1001,1,Groin haematoma,Vascular access site haematoma,2021-02-09,N
PTS-STENT-01,AE,PTS-STENT-01-1001,2,Stent occlusion,Device occlusion,2021-05-02,Y
PTS-STENT-01,AE,PTS-STENT-01-1002,3,Headache,Headache,2021-03-01,N
PTS-STENT-01,AE,PTS-STENT-01-1003,4,Groin haematoma,Vascular access site haematoma,2021-03-16,N
"""

PR = """STUDYID,DOMAIN,USUBJID,PRSEQ,PRSPID,PRTRT,PRCAT,PRSTDTC
PTS-STENT-01,PR,PTS-STENT-01-1001,1,STENT-A,VENOUS STENT PLACEMENT,VENOUS INTERVENTION,2021-02-10
PTS-STENT-01,PR,PTS-STENT-01-1003,2,STENT-B,VENOUS STENT PLACEMENT,VENOUS INTERVENTION,2021-03-15
PTS-STENT-01,PR,PTS-STENT-01-1001,3,REDO-A,IN-STENT ANGIOPLASTY,VENOUS INTERVENTION,2021-05-04
"""

# The standard link: IDVAR names the PR variable, IDVARVAL its value in the qualified record.
SUPPPR = """STUDYID,RDOMAIN,USUBJID,IDVAR,IDVARVAL,QNAM,QLABEL,QVAL,QORIG,QEVAL
PTS-STENT-01,PR,PTS-STENT-01-1001,PRSEQ,1,TECHSUCC,Technical Success,Y,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1001,PRSEQ,1,NSTENT,Number of Stents Placed,2,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1001,PRSEQ,1,STENTDIA,Largest Stent Diameter (mm),16,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1001,PRSEQ,1,BELOWIL,Stent Below Inguinal Ligament,N,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1003,PRSEQ,2,TECHSUCC,Technical Success,Y,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1003,PRSEQ,2,NSTENT,Number of Stents Placed,1,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1003,PRSEQ,2,STENTDIA,Largest Stent Diameter (mm),14,CRF,
PTS-STENT-01,PR,PTS-STENT-01-1003,PRSEQ,2,BELOWIL,Stent Below Inguinal Ligament,Y,CRF,
"""

DS = """STUDYID,DOMAIN,USUBJID,DSSEQ,DSTERM,DSDECOD,DSCAT,DSSTDTC
PTS-STENT-01,DS,PTS-STENT-01-1001,1,COMPLETED,COMPLETED,DISPOSITION EVENT,2022-02-14
PTS-STENT-01,DS,PTS-STENT-01-1002,1,COMPLETED,COMPLETED,DISPOSITION EVENT,2022-02-28
PTS-STENT-01,DS,PTS-STENT-01-1003,1,COMPLETED,COMPLETED,DISPOSITION EVENT,2022-03-18
"""

# What differs from the built-in sdtm profile, and nothing else (the reviewer's my_sdtm_a.toml, with
# extends; its [pr] seq and [study] bogus_key_xyz, keys the format does not read, refuse it since review 18:
# test_keys_the_format_does_not_read_refuse_the_profile_naming_key_section_and_file).
PROFILE = """[profile]
name = "pts-stent-01"
version = 1
format = "sdtm"
extends = "sdtm"

[study]
visit_months = [0, 1]

[dm]
last_contact_date = "RFENDTC"

[population]
exclude_arms = ["Screen Failure"]

[values.arm]
"Venous stent + best medical therapy" = "stent"
"Best medical therapy" = "medical"

[qualifiers]
limb_side = "INDLIMB"
lesion_length_mm = "LESLEN"
ceap_c = "CEAPC"
dvt_date = "DVTDTC"

[visits]
VISITNUM = { "1" = 0, "2" = 1 }

[qs.testcd]
v_pain = "VIL01"
v_cramps = "VIL02"
v_heaviness = "VIL03"
v_paresthesia = "VIL04"
v_pruritus = "VIL05"
v_edema = "VIL06"
v_induration = "VIL07"
v_hyperpigmentation = "VIL08"
v_redness = "VIL09"
v_ectasia = "VIL10"
v_calf_pain = "VIL11"
ulcer_present = "VILULCER"
vcss = "VCSSTOT"

[values.event_type]
"Device occlusion" = "stent_thrombosis"
"Vascular access site haematoma" = "access_site_bleeding"

[pr]
term = "PRTRT"
index_terms = ["VENOUS STENT PLACEMENT"]

[values.pr_event]
"IN-STENT ANGIOPLASTY" = "reintervention"

[procedure]
stents_placed = "NSTENT"
"""

# The same delivery without the two pre-reference dates (7c, 7d), for the tests of other findings.
ON_TIME = SHEETS.replace("1001,1,BASELINE,2021-02-08", "1001,1,BASELINE,2021-02-10").replace(
    "1003,1,BASELINE,2021-03-12", "1003,1,BASELINE,2021-03-15"
)
EMERGENT = "".join(line for line in AE.splitlines(keepends=True) if ",2021-02-09," not in line)

ITEMS = ("v_pain", "v_cramps", "v_heaviness", "v_paresthesia", "v_pruritus", "v_edema", "v_induration")
ITEMS += ("v_hyperpigmentation", "v_redness", "v_ectasia", "v_calf_pain")


def _records(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _qs(sheets: str = SHEETS) -> str:
    """QS as the sponsor's programmer derives it from the sheets: one record per test; the ulcer a
    character result (QSORRES = QSSTRESC = Y/N, QSSTRESN blank), as CDISC has it."""
    out = io.StringIO()
    names = "STUDYID,DOMAIN,USUBJID,QSSEQ,QSTESTCD,QSTEST,QSCAT,QSORRES,QSSTRESC,QSSTRESN,QSBLFL,VISITNUM,VISIT,QSDTC"
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names.split(","))
    seq: dict[str, int] = {}
    for sheet in _records(sheets):
        tests = [(f"VIL{i:02d}", f"Villalta-{i}", s, s) for i, s in enumerate(sheet["ITEMS"].split(), start=1)]
        tests += [("VILULCER", "Villalta-Venous Ulcer", sheet["ULCER"], ""), ("VCSSTOT", "VCSS", sheet["VCSS"], "")]
        for code, test, text, number in tests:
            seq[sheet["USUBJID"]] = seq.get(sheet["USUBJID"], 0) + 1
            number = number or (text if code == "VCSSTOT" else "")
            writer.writerow(
                ["PTS-STENT-01", "QS", sheet["USUBJID"], seq[sheet["USUBJID"]], code, test, "VILLALTA", text, text]
                + [number, sheet["QSBLFL"], sheet["VISITNUM"], sheet["VISIT"], sheet["QSDTC"]]
            )
    return out.getvalue()


def _on_time(folder: Path, **changed: str) -> list[Path]:
    """The delivery with no record dated before its subject's RFSTDTC."""
    return _write(folder, **({"qs": _qs(ON_TIME), "ae": EMERGENT} | changed))


def _write(folder: Path, **changed: str) -> list[Path]:
    """The delivery as CSV files (a dataset's text replaced where given)."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = {"dm": DM, "suppdm": SUPPDM, "qs": _qs(), "ae": AE, "pr": PR, "supppr": SUPPPR, "ds": DS} | changed
    paths = []
    for name, text in texts.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        paths.append(folder / f"{name}.csv")
    return paths


def _profile(tmp_path: Path, text: str = PROFILE, name: str = "my_sdtm.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# The same mapping as PROFILE, written the long way: a full copy of the built-in profile with lines
# replaced (old line start -> new line), as a user who copies and edits sdtm.toml writes it.
FULL_EDITS = {
    "visit_months =": "visit_months = [0, 1]",
    "last_contact_date =": 'last_contact_date = "RFENDTC"',
    "exclude_arms =": 'exclude_arms = ["Screen Failure"]',
    '"PTA + STENT" =': '"Venous stent + best medical therapy" = "stent"',
    '"COMPRESSION + ANTICOAGULATION" =': '"Best medical therapy" = "medical"',
    "limb_side =": 'limb_side = "INDLIMB"',
    "months_since_dvt =": 'dvt_date = "DVTDTC"',
    "lesion_length_mm =": 'lesion_length_mm = "LESLEN"',
    "ceap_c =": 'ceap_c = "CEAPC"',
    "VISITNUM =": 'VISITNUM = { "1" = 0, "2" = 1 }',
    **{f"{item} =": f'{item} = "VIL{i:02d}"' for i, item in enumerate(ITEMS, start=1)},
    "ulcer_present =": 'ulcer_present = "VILULCER"',
    "vcss =": 'vcss = "VCSSTOT"',
    '"STENT THROMBOSIS" =': '"Device occlusion" = "stent_thrombosis"',
    '"VASCULAR ACCESS SITE HAEMORRHAGE" =': '"Vascular access site haematoma" = "access_site_bleeding"',
    'term = "PRDECOD"': 'term = "PRTRT"',
    "index_terms =": 'index_terms = ["VENOUS STENT PLACEMENT"]',
    '"VENOUS STENT REINTERVENTION" =': '"IN-STENT ANGIOPLASTY" = "reintervention"',
    "stents_placed =": 'stents_placed = "NSTENT"',
}


def _full(tmp_path: Path, drop: tuple[str, ...] = (), **edits: str) -> Path:
    """The full profile (FULL_EDITS, then `edits`), without the passages `drop`."""
    lines = FORMATS["sdtm"].profile.read_text(encoding="utf-8").splitlines()
    for old, new in (FULL_EDITS | edits).items():
        hits = [i for i, line in enumerate(lines) if line.startswith(old)]
        assert len(hits) == 1, old
        lines[hits[0]] = new
    text = "\n".join(lines) + "\n"
    for passage in drop:
        assert text.count(passage) == 1, passage
        text = text.replace(passage, "")
    return _profile(tmp_path, text, "full.toml")


def _import(profile: Path, sources: list[Path], out: Path):
    return run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)


def _rows(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _day(start: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(start)).days


def _start() -> dict[str, str]:
    return {r["USUBJID"]: r["RFSTDTC"] for r in _records(DM) if r["RFSTDTC"]}


def _issues(report, rule: str) -> list[tuple]:
    """The issues of a rule (or of every rule under it, "rule.*"), whole."""
    issues = report.issues
    found = issues[issues.rule.str.startswith(rule[:-1])] if rule.endswith("*") else issues[issues.rule == rule]
    lines = [None if pd.isna(line) else int(line) for line in found.line]
    return list(zip(found.file, lines, found.record, found.column, found.value, found.message, strict=True))


# --- what the delivery holds, recomputed ---------------------------------------------------------


def _expected_patients() -> list[tuple]:
    start = _start()
    supp: dict[str, dict[str, str]] = {}
    for r in _records(SUPPDM):
        supp.setdefault(r["USUBJID"], {})[r["QNAM"]] = r["QVAL"]
    sites = {"COMMON ILIAC VEIN": "common_iliac", "EXTERNAL ILIAC VEIN": "external_iliac", "FEMORAL VEIN": "femoral"}
    rows = []
    for r in _records(DM):
        if r["USUBJID"] not in start:
            continue
        q = supp[r["USUBJID"]]
        dvt, ref = date.fromisoformat(q["DVTDTC"]), date.fromisoformat(r["RFSTDTC"])
        months = (ref.year - dvt.year) * 12 + ref.month - dvt.month - (ref.day < dvt.day)
        rows.append(
            (
                r["USUBJID"],
                r["STUDYID"],
                r["SITEID"],
                "stent" if r["ARMCD"] == "STENT" else "medical",
                ref,
                int(r["AGE"]),
                {"F": "female", "M": "male"}[r["SEX"]],
                float(q["BMI"]),
                q["INDLIMB"].lower(),
                months,
                sites[q["OBSTSITE"]],
                int(q["STENPCT"]),
                int(q["LESLEN"]) if "LESLEN" in q else None,
                q["CEAPC"],
                _day(r["RFSTDTC"], r["RFENDTC"]),
            )
        )
    return sorted(rows)


PATIENTS = (
    "patient_id, study_id, center_id, arm, enrolled_on, age_years, sex, bmi, limb_side, months_since_dvt, "
    "obstruction_site, stenosis_pct, lesion_length_mm, ceap_c, last_contact_day"
)
VISITS = f"patient_id, visit_month, visit_day, {', '.join(ITEMS)}, ulcer_present, vcss"


def _expected_visits() -> list[tuple]:
    start = _start()
    rows = []
    for s in _records(SHEETS):
        month = {"1": 0, "2": 1}[s["VISITNUM"]]
        day = max(0, _day(start[s["USUBJID"]], s["QSDTC"]))  # a screening baseline is held on day 0
        items = tuple(int(x) for x in s["ITEMS"].split())
        rows.append((s["USUBJID"], month, day, *items, s["ULCER"] == "Y", int(s["VCSS"])))
    return sorted(rows)


def _expected_procedures() -> list[tuple]:
    start = _start()
    supp: dict[str, dict[str, str]] = {}
    for r in _records(SUPPPR):
        supp.setdefault(r["USUBJID"], {})[r["QNAM"]] = r["QVAL"]
    rows = []
    for r in _records(PR):
        if r["PRTRT"] == "VENOUS STENT PLACEMENT":
            q = supp[r["USUBJID"]]
            rows.append(
                (
                    r["USUBJID"],
                    _day(start[r["USUBJID"]], r["PRSTDTC"]),
                    q["TECHSUCC"] == "Y",
                    int(q["NSTENT"]),
                    int(q["STENTDIA"]),
                    q["BELOWIL"] == "Y",
                )
            )
    return sorted(rows)


def _expected_events() -> list[tuple]:
    start = _start()
    terms = {"Device occlusion": "stent_thrombosis", "Vascular access site haematoma": "access_site_bleeding"}
    rows = [
        (r["USUBJID"], _day(start[r["USUBJID"]], r["AESTDTC"]), terms[r["AEDECOD"]], r["AESER"] == "Y")
        for r in _records(AE)
        if r["AEDECOD"] in terms and r["AESTDTC"] >= start[r["USUBJID"]]  # treatment-emergent only
    ]
    rows += [
        (r["USUBJID"], _day(start[r["USUBJID"]], r["PRSTDTC"]), "reintervention", True)  # [pr] event_serious
        for r in _records(PR)
        if r["PRTRT"] == "IN-STENT ANGIOPLASTY"
    ]
    return sorted(rows)


# --- 6: a short profile that extends the built-in one ------------------------------------------


def test_a_short_profile_extending_sdtm_imports_the_delivery_faithfully(tmp_path):
    """Finding 6: the profile sets only what differs from the built-in one, and imports what the
    full copy imports; both equal the delivery recomputed here."""
    sources = _write(tmp_path / "sdtm")
    short, full = tmp_path / "short.duckdb", tmp_path / "full.duckdb"
    report = _import(_profile(tmp_path), sources, short)
    assert report.imported and report.errors == 0, report.text()
    assert _rows(short, f"SELECT {PATIENTS} FROM patients ORDER BY ALL") == _expected_patients()
    assert _rows(short, f"SELECT {VISITS} FROM visits ORDER BY ALL") == _expected_visits()
    assert _rows(short, "SELECT * FROM procedures ORDER BY ALL") == _expected_procedures()
    assert _rows(short, "SELECT * FROM events ORDER BY ALL") == _expected_events()
    assert _rows(short, "SELECT study_id, design, visit_months FROM studies") == [
        ("PTS-STENT-01", "randomized", [0, 1])
    ]
    report = _import(_full(tmp_path), sources, full)
    assert report.imported and report.errors == 0, report.text()
    for table in ("patients", "visits", "procedures", "events"):
        assert _rows(full, f"SELECT * FROM {table} ORDER BY ALL") == _rows(short, f"SELECT * FROM {table} ORDER BY ALL")


def test_keys_the_format_does_not_read_refuse_the_profile_naming_key_section_and_file(tmp_path):
    """The reviewer's [pr] seq and [study] bogus_key_xyz: refused when the profile is loaded, as in every format
    (review 18, F3: a misspelt key is never ignored, nor only warned of)."""
    text = PROFILE.replace("visit_months = [0, 1]\n", "visit_months = [0, 1]\nbogus_key_xyz = 1\n").replace(
        "[pr]\n", '[pr]\nseq = "PRSEQ"\n'
    )
    report = _import(_profile(tmp_path, text), _write(tmp_path / "sdtm"), tmp_path / "out.duckdb")
    assert not report.imported
    assert _issues(report, "*") == [
        (
            "my_sdtm.toml",
            None,
            "",
            "",
            "",
            "my_sdtm.toml: [study] bogus_key_xyz is not a key of [study] in an sdtm profile (its keys: design, "
            "visit_months, description, study_name); [pr] seq is not a key of [pr] in an sdtm profile (did you mean "
            "sequence? its keys: subject, term, start_date, sequence, index_terms, event_serious). Correct or remove "
            "each in the profile: a key the format does not read is refused, never ignored (a misspelt population "
            "filter or date format would change what is imported)",
        ),
    ]


def test_a_short_profile_without_extends_is_told_how_to_take_the_builtin_keys(tmp_path):
    profile = _profile(tmp_path, PROFILE.replace('extends = "sdtm"\n', ""))
    report = _import(profile, _write(tmp_path / "sdtm"), tmp_path / "out.duckdb")
    assert not report.imported
    assert _issues(report, "columns:dm") == [
        (
            "dm.csv",
            1,
            "",
            "",
            "",
            "DM lacks variable(s) ([dm] patient_id not set), ([dm] study_id not set), ([dm] center_id not set), "
            "([dm] arm not set), ([dm] enrolled_on not set), ([dm] age_years not set), ([dm] sex not set): name the "
            'variable in a copy of the profile; or add extends = "sdtm" under [profile] to take the keys this '
            "profile does not set from the built-in sdtm profile; nothing else of DM is checked until it is named "
            "(nor any other dataset: DM gives the subjects)",
        )
    ]


# --- 7a: a character result ----------------------------------------------------------------------


def test_a_character_result_without_a_value_map_is_named_with_its_map_not_dropped_as_no_result(tmp_path):
    """The ulcer's Y/N in QSSTRESC (QSSTRESN blank) is a result: with no [values.ulcer_present] the
    refusal names that map and quotes the values as the file writes them (one programmer's "n")."""
    profile = _full(tmp_path, drop=('[values.ulcer_present]\nY = "true"\nN = "false"\n',))
    sheets = ON_TIME.replace("1 1 1 1 1 1 1 1 0 0 1,N", "1 1 1 1 1 1 1 1 0 0 1,n")
    report = _import(profile, _on_time(tmp_path / "sdtm", qs=_qs(sheets)), tmp_path / "out.duckdb")
    assert not report.imported
    ulcer = report.issues[report.issues.rule == "sdtm:values.ulcer_present"]
    expected = sorted(s["ULCER"] for s in _records(sheets))
    assert expected.count("n") == 1
    assert sorted(ulcer.value) == expected  # every visit's ulcer record: none dropped as "no result"
    assert set(ulcer.message) == {
        "QS.QSSTRESC ([qs] coded_result): the value is neither in [values.ulcer_present] (it maps nothing) nor "
        "one of the contract's (true, false); map it there in a copy of the profile"
    }
    assert "no result (QSSTAT NOT DONE or blank)" not in set(report.funnel_frame().Step)


# --- 7b: SUPPPR by IDVAR/IDVARVAL --------------------------------------------------------------


@pytest.mark.parametrize(
    ("idvar", "drop"),
    [("PRSEQ", ('sequence = "PRSEQ"',)), ("PRSPID", ())],
    ids=["PRSEQ without [pr] sequence", "PRSPID, a sponsor-defined id"],
)
def test_supppr_attaches_to_the_pr_record_its_idvar_and_idvarval_name(tmp_path, idvar, drop):
    """The standard link: IDVAR names the PR variable, IDVARVAL its value in the qualified record."""
    by_seq = {r["PRSEQ"]: r for r in _records(PR)}
    supppr = SUPPPR
    for seq in ("1", "2"):
        supppr = supppr.replace(f",PRSEQ,{seq},", f",{idvar},{by_seq[seq][idvar]},")
    out = tmp_path / "trial.duckdb"
    report = _import(_full(tmp_path, drop), _on_time(tmp_path / "sdtm", supppr=supppr), out)
    assert report.imported, report.text()
    assert _rows(out, "SELECT * FROM procedures ORDER BY ALL") == _expected_procedures()


def test_supppr_blank_idvar_qualifies_the_subject_and_a_broken_link_is_named(tmp_path):
    """IDVAR and IDVARVAL blank: a qualifier of the subject's index procedure. An IDVARVAL that no PR
    record holds is an error naming the record (its qualifier would otherwise be lost)."""
    blank = SUPPPR.replace("PTS-STENT-01-1003,PRSEQ,2,", "PTS-STENT-01-1003,,,")
    out = tmp_path / "trial.duckdb"
    report = _import(_full(tmp_path), _on_time(tmp_path / "sdtm", supppr=blank), out)
    assert report.imported, report.text()
    assert _rows(out, "SELECT * FROM procedures ORDER BY ALL") == _expected_procedures()
    broken = SUPPPR.replace("PTS-STENT-01-1003,PRSEQ,2,TECHSUCC", "PTS-STENT-01-1003,PRSEQ,7,TECHSUCC")
    report = _import(_full(tmp_path), _on_time(tmp_path / "sdtm", supppr=broken), out)
    line = broken.splitlines().index(next(x for x in broken.splitlines() if ",PRSEQ,7," in x)) + 1
    assert _issues(report, "sdtm:supp_link") == [
        (
            "supppr.csv",
            line,
            "PTS-STENT-01-1003",
            "IDVARVAL",
            "PRSEQ = 7",
            "no PR record of this subject has this IDVAR variable and IDVARVAL value: the qualifier cannot be "
            "attached to its procedure (correct IDVAR/IDVARVAL in SUPPPR, or leave both blank for a qualifier of "
            "the subject's index procedure)",
        )
    ]
    assert not report.imported


# --- 7c: an AE before the reference date ---------------------------------------------------------


def test_an_ae_before_rfstdtc_is_set_aside_as_pre_treatment_with_a_warning_naming_it(tmp_path):
    out = tmp_path / "trial.duckdb"
    report = _import(_full(tmp_path), _on_time(tmp_path / "sdtm", ae=AE), out)
    assert report.imported and report.errors == 0, report.text()
    assert _rows(out, "SELECT * FROM events ORDER BY ALL") == _expected_events()
    early = [
        (i + 2, r) for i, r in enumerate(_records(AE)) if r["AESTDTC"] < _start()[r["USUBJID"]]
    ]  # line 1 is the header
    assert _issues(report, "sdtm:ae_before_reference") == [
        (
            "ae.csv",
            line,
            f"{r['USUBJID']} / {r['AEDECOD']}",
            "AESTDTC",
            r["AESTDTC"],
            "AE.AESTDTC ([ae] start_date) is before the reference date DM.RFSTDTC ([dm] enrolled_on): a "
            "pre-treatment event (medical history, not treatment-emergent), not imported",
        )
        for line, r in early
    ]
    assert len(early) == 1
    funnel = report.funnel_frame()
    ae = funnel[funnel.File == "ae.csv"]
    assert list(zip(ae.Step, ae.Records, strict=True))[1:-1] == [
        ("term not in [values.event_type]", 1),
        ("before the reference date (RFSTDTC): not treatment-emergent", 1),
    ]


# --- 7d: a baseline before the reference date ----------------------------------------------------


def test_a_screening_baseline_is_held_on_day_0_by_default_and_refused_on_request(tmp_path):
    sources = _on_time(tmp_path / "sdtm", qs=_qs())
    out = tmp_path / "trial.duckdb"
    report = _import(_full(tmp_path), sources, out)
    assert report.imported and report.errors == 0, report.text()
    assert _rows(out, "SELECT patient_id, visit_day FROM visits WHERE visit_month = 0 ORDER BY 1") == [
        (p, m_day) for p, m, m_day, *_ in _expected_visits() if m == 0
    ]
    start = _start()
    early = sorted({s["USUBJID"] for s in _records(SHEETS) if s["QSBLFL"] == "Y" and s["QSDTC"] < start[s["USUBJID"]]})
    assert early == ["PTS-STENT-01-1001", "PTS-STENT-01-1003"]
    assert _issues(report, "sdtm:baseline_day") == [
        (
            "qs.csv",
            None,
            "",
            "USUBJID",
            ", ".join(early),
            f"{13 * len(early)} baseline records of {len(early)} subject{'' if len(early) == 1 else 's'} dated "
            "before the reference date "
            'DM.RFSTDTC ([dm] enrolled_on) held on day 0 ([qs] early_baseline = "day0"; "refuse" makes each an '
            "error)",
        )
    ]
    refuse = _full(tmp_path, **{"early_baseline =": 'early_baseline = "refuse"'})
    report = _import(refuse, sources, out)
    refused = report.issues[report.issues.rule == "sdtm:baseline_day"]
    assert not report.imported and sorted(set(refused.record)) == early and len(refused) == 13 * len(early)


# --- 7e: values in the contract's spelling; values quoted as the file has them ---------------------


def test_ceap_in_the_contract_spelling_needs_no_map_and_messages_quote_values_as_written(tmp_path):
    ceap = FORMATS["sdtm"].profile.read_text(encoding="utf-8").split("[values.ceap_c]")[1].split("\n\n")[0]
    profile = _full(tmp_path, drop=(f"[values.ceap_c]{ceap}\n",))
    out = tmp_path / "trial.duckdb"
    report = _import(profile, _on_time(tmp_path / "sdtm"), out)
    assert report.imported and report.errors == 0, report.text()
    assert _rows(out, "SELECT patient_id, ceap_c FROM patients ORDER BY 1") == [
        (p[0], p[13]) for p in _expected_patients()
    ]
    dm = DM.replace("YEARS,M,BMT", "YEARS,Male,BMT")
    suppdm = SUPPDM.replace("CEAP Clinical Class,C4b", "CEAP Clinical Class,c4b")
    report = _import(profile, _on_time(tmp_path / "sdtm", dm=dm, suppdm=suppdm), out)
    assert not report.imported
    rules = ["sdtm:values.sex", "sdtm:values.ceap_c", "allowed:patients.sex", "allowed:patients.ceap_c"]
    found = report.issues[report.issues.rule.isin(rules)]
    assert sorted(zip(found.rule, found.record, found.value, strict=True)) == [
        # each value once: the contract's allowed:patients.* error on the same record is not repeated
        ("sdtm:values.ceap_c", "PTS-STENT-01-1003", "c4b"),
        ("sdtm:values.sex", "PTS-STENT-01-1002", "Male"),
    ]
    assert list(found[found.rule == "sdtm:values.ceap_c"].message) == [
        "SUPPDM.CEAPC ([qualifiers] ceap_c): the value is neither in [values.ceap_c] (it maps nothing) nor one of "
        "the contract's (C3, C4a, C4b, C4c, C5, C6); map it there in a copy of the profile"
    ]


# --- 7f: test codes the profile does not know --------------------------------------------------


def test_villalta_codes_the_profile_does_not_know_are_refused_naming_the_fix_first(tmp_path):
    report = run_import(
        "sdtm", _write(tmp_path / "sdtm"), tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert not report.imported
    codes = sorted({r["QSTESTCD"] for r in _records(_qs())})
    now = "v_pain = 'VILPAIN', v_cramps = 'VILCRAMP', v_heaviness = 'VILHEAVY', v_paresthesia = 'VILPARES', "
    now += "v_pruritus = 'VILPRUR', v_edema = 'VILEDEMA', v_induration = 'VILINDUR', v_hyperpigmentation = "
    now += "'VILHYPER', v_redness = 'VILRED', v_ectasia = 'VILECTAS', v_calf_pain = 'VILCALF', ulcer_present = 'ULCER'"
    assert list(report.issues[report.issues.rule == "sdtm:items"].message) == [
        "QS.QSTESTCD ([qs] test_code): no test the profile names for the Villalta items is in QS (QSTESTCDs found: "
        f"{', '.join(codes)}): name the sponsor's codes in [qs.testcd] of a copy of the profile (now {now}). If QS "
        "holds no Villalta item, this does not look like a post-thrombotic syndrome study: a PTS study needs, per "
        "visit, the 11 Villalta items and ulcer status in QS, DM arms mapped to stent or medical ([values.arm]), and "
        "the baseline anatomy in SUPPDM ([qualifiers]: index limb, obstruction site, stenosis %, months since DVT, "
        "CEAP class). The results and visits of QS are checked once its tests are named"
    ]


def test_extends_names_a_builtin_profile_of_the_same_format(tmp_path):
    with pytest.raises(ProfileError) as raised:
        load(_profile(tmp_path, PROFILE.replace('extends = "sdtm"', 'extends = "sdtm-v2"')))
    assert str(raised.value) == (
        "my_sdtm.toml: [profile] extends must name a built-in profile (adam, contract, redcap, sdtm), not 'sdtm-v2'"
    )
    with pytest.raises(ProfileError) as raised:
        load(_profile(tmp_path, PROFILE.replace('extends = "sdtm"', 'extends = "adam"')))
    assert str(raised.value) == "my_sdtm.toml: [profile] format differs from the format of 'adam', which it extends"
    short = load(_profile(tmp_path))
    assert (short.extends, short.name, short.format) == ("sdtm", "pts-stent-01", "sdtm")
    builtin = load("sdtm")
    assert short.section("dm") == builtin.section("dm") | {"last_contact_date": "RFENDTC"}
    assert short.section("visits") == {"VISITNUM": {"1": 0, "2": 1}}  # [visits] is taken whole
    assert short.values("arm") == {"Venous stent + best medical therapy": "stent", "Best medical therapy": "medical"}
    assert short.values("ulcer_present") == builtin.values("ulcer_present")


def test_a_profile_that_names_no_character_result_variable_is_told_which(tmp_path):
    """The reviewer's profile said character_result = "QSSTRESC" (not a key): refused when loaded, naming the
    key it meant (review 18, F3); without either key the ulcer's Y/N has nowhere to come from, and the refusal
    says which key to set."""
    drop = ('coded_result = "QSSTRESC"', 'original_result = "QSORRES"')
    profile = _full(
        tmp_path, drop=drop, **{"numeric_result =": 'numeric_result = "QSSTRESN"\ncharacter_result = "QSSTRESC"'}
    )
    report = _import(profile, _on_time(tmp_path / "sdtm"), tmp_path / "out.duckdb")
    assert not report.imported
    assert [i[5] for i in _issues(report, "*")] == [
        "full.toml: [qs] character_result is not a key of [qs] in an sdtm profile (did you mean coded_result? its "
        "keys: subject, test_code, numeric_result, coded_result, original_result, visitnum, visit, date, "
        "baseline_flag, derived_flag, status, reason, sequence, category, subcategory, retest, early_baseline, "
        "not_done, testcd, laterality, villalta_category, vcss_category). Correct or remove it in the profile: a key "
        "the format does not read is refused, never ignored (a misspelt population filter or date format would "
        "change what is imported)"
    ]
    report = _import(_full(tmp_path, drop=drop), _on_time(tmp_path / "sdtm"), tmp_path / "out.duckdb")
    assert not report.imported
    assert [i[5] for i in _issues(report, "sdtm:profile.coded_result")] == [
        "[qs] coded_result is not set: the character results of VILULCER, COMPRESS ([qs.testcd] ulcer_present, "
        "compression_use) are read from it (QSSTRESC); set it in a copy of the profile"
    ]
