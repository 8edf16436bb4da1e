"""ADaM the way a sponsor's programmer writes it, not the way our example writer does: mixed-case
arm labels and a screen failure in ADSL, an ITT flag, CEAP in upper case, a DATETIME with missing
values, ADQS split by instrument (ADQSVIL, ADQSVCSS) with baselines flagged by ABLFL and a blank
ANL01FL, LOCF rows (DTYPE), an unscheduled visit, a retest flagged out, ulcer status as AVALC Y/N,
MedDRA AE terms most of which are not PTS events. Every expectation is computed in this file from
the fixture rows, never by the importer's code."""

from __future__ import annotations

import datetime as dt
import sys
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.formats import FORMATS
from pts_explorer.vocab import VILLALTA_ITEMS

ITEMS = (
    "VILPAIN",
    "VILCRAMP",
    "VILHEAVY",
    "VILPARES",
    "VILPRUR",
    "VILEDEMA",
    "VILINDUR",
    "VILHYPER",
    "VILRED",
    "VILECTAS",
    "VILCALF",
)
CONTRACT_ITEMS = VILLALTA_ITEMS  # the contract's item columns, in ITEMS' order
VISITS = {"Baseline": (0, 0.0), "Month 1": (1, 1.0), "Month 3": (3, 3.0), "Month 6": (6, 6.0), "Month 12": (12, 12.0)}
START = dt.date(2022, 1, 10)

# USUBJID, ARM, ITTFL, SEX, age, site text, stenosis, CEAP, randomised day offset, last contact day
SUBJECTS = [
    ("VS301-001-001", "Endovascular stent", "Y", "F", 54, "Common iliac vein", 80, "C4A", 0, 400),
    ("VS301-001-002", "Standard care", "Y", "M", 61, "Common femoral vein", 70, "C3", 3, 390),
    ("VS301-002-001", "Endovascular stent", "Y", "M", 47, "External iliac vein", 100, "C6", 7, 380),
    ("VS301-002-002", "Standard care", "Y", "F", 70, "Femoral vein", 60, "C5", 9, 200),
    ("VS301-003-001", "Endovascular stent", "Y", "F", 39, "Common iliac vein", 90, "C4B", 12, 410),
    ("VS301-003-002", "Standard care", "Y", "M", 58, "Common iliac vein", 75, "C4C", 15, 395),
    ("VS301-003-003", "Endovascular stent", "N", "F", 66, "Femoral vein", 55, "C3", 20, 100),  # not ITT
    ("VS301-004-001", "Screen Failure", "N", "M", 50, "", None, "C3", None, None),  # screen failure
]


def _adsl() -> pd.DataFrame:
    rows = []
    for usubjid, arm, itt, sex, age, site, stenosis, ceap, offset, last in SUBJECTS:
        randdt = None if offset is None else START + dt.timedelta(days=offset)
        stent = arm == "Endovascular stent"
        rows.append(
            {
                "STUDYID": "VS301",
                "USUBJID": usubjid,
                "SUBJID": usubjid[-3:],
                "SITEID": usubjid[6:9],
                "ARM": arm,
                "TRT01P": arm,
                "ITTFL": itt,
                "SAFFL": itt,
                "AGE": float(age),
                "SEX": sex,
                "RANDDT": randdt,
                # treated subjects have a start datetime; the screen failure's is missing (NaT)
                "TRTSDTM": None if randdt is None else dt.datetime.combine(randdt, dt.time(9, 30)),
                "INDEXLAT": "Left" if age % 2 else "Right",
                "DVTMON": 14.0,
                "OBSTSITE": site,
                "STENPCT": None if stenosis is None else float(stenosis),
                "CEAPBL": ceap,
                "LSTALVDT": None if randdt is None else randdt + dt.timedelta(days=last),
                "DTHDT": None,
                "PROCDT": randdt + dt.timedelta(days=2) if stent and randdt else None,
                "TECHSFL": "Y" if stent and randdt else "",
                "NSTENTS": 1.0 if stent else None,
                "BELOWIL": "N" if stent else "",
            }
        )
    frame = pd.DataFrame(rows)
    frame["TRTSDTM"] = pd.to_datetime(frame["TRTSDTM"])
    return frame


def _item_score(subject_index: int, item_index: int, month: int) -> int:
    """A plausible item score that falls after baseline (a hand-written table would do the same)."""
    base = (subject_index + item_index) % 4
    return max(0, base - (1 if month >= 3 else 0) - (1 if month >= 12 and subject_index % 2 == 0 else 0))


def _bds_rows(subject_index: int, usubjid: str, randdt: dt.date, last: int) -> tuple[list[dict], list[dict]]:
    """ADQSVIL and ADQSVCSS records of one subject, with the sponsor's flags."""
    vil, vcss = [], []
    for avisit, (month, avisitn) in VISITS.items():
        day = month * 30
        if day > last:
            continue
        adt = randdt + dt.timedelta(days=day)
        flags = {"ABLFL": "Y", "ANL01FL": ""} if month == 0 else {"ABLFL": "", "ANL01FL": "Y"}
        common = {
            "STUDYID": "VS301",
            "USUBJID": usubjid,
            "AVISIT": avisit,
            "AVISITN": avisitn,
            "ADT": adt,
            "ADY": float(day + 1),
            "DTYPE": "",
            **flags,
        }
        scores = [_item_score(subject_index, i, month) for i in range(11)]
        for code, score in zip(ITEMS, scores, strict=True):
            vil.append({**common, "PARAMCD": code, "PARAM": f"Villalta {code}", "AVAL": float(score), "AVALC": ""})
        vil.append({**common, "PARAMCD": "VILTOT", "PARAM": "Villalta total", "AVAL": float(sum(scores)), "AVALC": ""})
        ulcer = "Y" if subject_index == 2 and month < 6 else "N"
        vcss.append({**common, "PARAMCD": "ULCER", "PARAM": "Active venous ulcer", "AVAL": None, "AVALC": ulcer})
        vcss.append({**common, "PARAMCD": "VCSS", "PARAM": "VCSS total", "AVAL": float(10 - month // 3), "AVALC": ""})
    return vil, vcss


def _adqs() -> tuple[pd.DataFrame, pd.DataFrame]:
    vil, vcss = [], []
    for i, (usubjid, _arm, _itt, *_rest, offset, last) in enumerate(SUBJECTS):
        if offset is None:
            continue
        v, c = _bds_rows(i, usubjid, START + dt.timedelta(days=offset), last)
        vil += v
        vcss += c
    # A retest at month 3 for subject 1: the sponsor keeps the first and flags the retest out.
    retest = next(
        r for r in vil if r["USUBJID"] == SUBJECTS[0][0] and r["AVISIT"] == "Month 3" and r["PARAMCD"] == "VILPAIN"
    )
    vil.append({**retest, "AVAL": 3.0, "ANL01FL": "", "ADT": retest["ADT"] + dt.timedelta(days=2)})
    # An unscheduled visit with a decimal AVISITN, not flagged for analysis.
    unscheduled = {
        "STUDYID": "VS301",
        "USUBJID": SUBJECTS[1][0],
        "AVISIT": "Unscheduled 1.1",
        "AVISITN": 1.1,
        "ADT": START + dt.timedelta(days=50),
        "ADY": 48.0,
        "DTYPE": "",
        "ABLFL": "",
        "ANL01FL": "",
    }
    vil += [{**unscheduled, "PARAMCD": code, "PARAM": code, "AVAL": 2.0, "AVALC": ""} for code in ITEMS]
    # LOCF rows for subject 4, who left after month 6: carried forward to month 12, DTYPE = LOCF.
    last_obs = [r for r in vil if r["USUBJID"] == SUBJECTS[3][0] and r["AVISIT"] == "Month 6"]
    vil += [{**r, "AVISIT": "Month 12", "AVISITN": 12.0, "DTYPE": "LOCF", "ANL01FL": "Y"} for r in last_obs]
    return pd.DataFrame(vil), pd.DataFrame(vcss)


AE_ROWS = [  # USUBJID, AEDECOD, day after randomisation (None: partial date, ASTDT missing), AESER
    ("VS301-001-001", "Vascular access site haemorrhage", 2, "N"),
    ("VS301-001-001", "Headache", 5, "N"),
    ("VS301-001-002", "Nasopharyngitis", 40, "N"),
    ("VS301-002-001", "Stent thrombosis", 95, "Y"),
    ("VS301-002-001", "Back pain", None, "N"),
    ("VS301-003-001", "Nausea", 3, "N"),
    ("VS301-003-002", "Deep vein thrombosis", 150, "Y"),
]


def _adae() -> pd.DataFrame:
    randdt = {s[0]: START + dt.timedelta(days=s[8]) for s in SUBJECTS if s[8] is not None}
    rows = [
        {
            "STUDYID": "VS301",
            "USUBJID": u,
            "AEDECOD": term,
            "AETERM": term.lower(),
            "AESER": ser,
            "ASTDT": None if day is None else randdt[u] + dt.timedelta(days=day),
        }
        for u, term, day, ser in AE_ROWS
    ]
    return pd.DataFrame(rows)


SPONSOR_PROFILE = """
[profile]
name = "venstent301"
version = 1
format = "adam"
description = "VENSTENT-301 ADaM as delivered by the sponsor."

[datasets]
adsl = true
adqs = { names = ["ADQSVIL", "ADQSVCSS"], required = true }
adae = false

[population]
require = { ITTFL = "Y" }

[study]
design = "randomized"
visit_months = [0, 1, 3, 6, 12]

[adsl]
patient_id = "USUBJID"
study_id = "STUDYID"
center_id = "SITEID"
arm = "TRT01P"
enrolled_on = "RANDDT"
age_years = "AGE"
sex = "SEX"
limb_side = "INDEXLAT"
months_since_dvt = "DVTMON"
obstruction_site = "OBSTSITE"
stenosis_pct = "STENPCT"
ceap_c = "CEAPBL"
last_contact_date = "LSTALVDT"
death_date = "DTHDT"
procedure_date = "PROCDT"
technical_success = "TECHSFL"
stents_placed = "NSTENTS"
below_inguinal_ligament = "BELOWIL"

[values.arm]
"Endovascular stent" = "stent"
"Standard care" = "medical"

[values.sex]
M = "male"
F = "female"

[values.limb_side]
LEFT = "left"
RIGHT = "right"

[values.obstruction_site]
"Common iliac vein" = "common_iliac"
"External iliac vein" = "external_iliac"
"Common femoral vein" = "common_femoral"
"Femoral vein" = "femoral"

[values.ceap_c]
C3 = "C3"
C4A = "C4a"
C4B = "C4b"
C4C = "C4c"
C5 = "C5"
C6 = "C6"

[values.flag]
Y = "true"
N = "false"

[values.ulcer_present]
Y = "true"
N = "false"

[visits.AVISITN]
"0" = 0
"1" = 1
"3" = 3
"6" = 6
"12" = 12

[paramcd]
v_pain = "VILPAIN"
v_cramps = "VILCRAMP"
v_heaviness = "VILHEAVY"
v_paresthesia = "VILPARES"
v_pruritus = "VILPRUR"
v_edema = "VILEDEMA"
v_induration = "VILINDUR"
v_hyperpigmentation = "VILHYPER"
v_redness = "VILRED"
v_ectasia = "VILECTAS"
v_calf_pain = "VILCALF"
ulcer_present = "ULCER"
vcss = "VCSS"
villalta_total = "VILTOT"

[ae]
term = "AEDECOD"
start_date = "ASTDT"
serious = "AESER"

[values.event_type]
"STENT THROMBOSIS" = "stent_thrombosis"
"VASCULAR ACCESS SITE HAEMORRHAGE" = "access_site_bleeding"
"DEEP VEIN THROMBOSIS" = "recurrent_dvt"
"""


@pytest.fixture
def sponsor(tmp_path) -> tuple[Path, list[Path]]:
    folder = tmp_path / "delivery"
    folder.mkdir()
    vil, vcss = _adqs()
    for name, frame in (("ADSL", _adsl()), ("ADQSVIL", vil), ("ADQSVCSS", vcss), ("ADAE", _adae())):
        pyreadstat.write_xport(frame, str(folder / f"{name.lower()}.xpt"), table_name=name, file_format_version=5)
    profile = tmp_path / "venstent301.toml"
    profile.write_text(SPONSOR_PROFILE, encoding="utf-8")
    tomllib.loads(SPONSOR_PROFILE)  # the fixture's own profile is valid TOML
    return profile, sorted(folder.iterdir())


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").df() for t in ("patients", "visits", "events")}
    finally:
        con.close()


def test_a_sponsor_delivery_imports_every_itt_patient_baseline_and_event(sponsor, tmp_path):
    profile, sources = sponsor
    out = tmp_path / "out.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    got = _tables(out)

    itt = [s for s in SUBJECTS if s[2] == "Y"]
    assert sorted(got["patients"].patient_id) == sorted(s[0] for s in itt)
    arms = {"Endovascular stent": "stent", "Standard care": "medical"}
    assert dict(zip(got["patients"].patient_id, got["patients"].arm, strict=True)) == {s[0]: arms[s[1]] for s in itt}
    ceap = {"C4A": "C4a", "C4B": "C4b", "C4C": "C4c"}
    assert dict(zip(got["patients"].patient_id, got["patients"].ceap_c, strict=True)) == {
        s[0]: ceap.get(s[7], s[7]) for s in itt
    }

    # Visits: every scheduled visit observed before last contact; no LOCF, retest or unscheduled row.
    expected_visits = {}
    for i, s in enumerate(SUBJECTS):
        if s[2] != "Y":
            continue
        for month, _n in VISITS.values():
            if month * 30 <= s[9]:
                expected_visits[(s[0], month)] = tuple(_item_score(i, k, month) for k in range(11))
    visits = got["visits"]
    got_visits = {
        (r.patient_id, int(r.visit_month)): tuple(int(getattr(r, c)) for c in CONTRACT_ITEMS)
        for r in visits.itertuples()
    }
    assert got_visits == expected_visits
    # Every ITT patient has a baseline, although ANL01FL is blank on every baseline record.
    assert set(visits.loc[visits.visit_month == 0, "patient_id"]) == {s[0] for s in itt}
    # Ulcer from AVALC Y/N: subject index 2 has an ulcer before month 6, nobody else.
    ulcer = {(r.patient_id, int(r.visit_month)): bool(r.ulcer_present) for r in visits.itertuples()}
    assert ulcer == {k: (k[0] == SUBJECTS[2][0] and k[1] < 6) for k in expected_visits}

    # Events: the three AEs that are PTS events, on their day after randomisation.
    events = {(r.patient_id, r.event_type, int(r.event_day), bool(r.serious)) for r in got["events"].itertuples()}
    terms = {
        "Vascular access site haemorrhage": "access_site_bleeding",
        "Stent thrombosis": "stent_thrombosis",
        "Deep vein thrombosis": "recurrent_dvt",
    }
    assert events == {(u, terms[t], d, s == "Y") for u, t, d, s in AE_ROWS if t in terms}


def test_the_report_shows_where_every_record_went(sponsor, tmp_path):
    profile, sources = sponsor
    report = run_import(profile, sources, tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None)
    funnel = {(f.file, f.step): f.records for f in report.funnel}
    vil, vcss = _adqs()
    not_itt = {s[0] for s in SUBJECTS if s[2] != "Y"}
    assert funnel[("adsl.xpt", "read")] == len(SUBJECTS)
    assert funnel[("adsl.xpt", "kept")] == len(SUBJECTS) - len(not_itt)
    in_pop = vil[~vil.USUBJID.isin(not_itt)]
    assert funnel[("adqsvil.xpt", "read")] == len(vil)
    assert funnel[("adqsvil.xpt", "outside the population: [population]")] == len(vil) - len(in_pop)
    assert funnel[("adqsvil.xpt", "derived record (DTYPE LOCF, WOCF...)")] == int((in_pop.DTYPE == "LOCF").sum())
    flagged_out = in_pop[(in_pop.DTYPE == "") & (in_pop.ANL01FL != "Y") & (in_pop.ABLFL != "Y")]
    assert funnel[("adqsvil.xpt", "not flagged for analysis (ANL01FL)")] == len(flagged_out)  # retest, unscheduled
    kept_vil = len(in_pop) - int((in_pop.DTYPE == "LOCF").sum()) - len(flagged_out)
    assert funnel[("adqsvil.xpt", "kept")] == kept_vil
    assert funnel[("adqsvcss.xpt", "kept")] == int((~vcss.USUBJID.isin(not_itt)).sum())
    ae_pop = [r for r in AE_ROWS if r[0] not in not_itt]
    assert funnel[("adae.xpt", "kept")] == sum(
        t in {"Vascular access site haemorrhage", "Stent thrombosis", "Deep vein thrombosis"}
        for _u, t, _d, _s in ae_pop
    )
    text = report.text()
    assert "adqsvil.xpt: read" in text


def test_a_missing_datetime_reads_as_missing_not_as_an_unreadable_file(sponsor, tmp_path):
    _profile, sources = sponsor
    report = run_import("adam", sources, tmp_path / "out.duckdb", Options(check_only=True), progress=lambda _: None)
    rules = {r.rule for r in report.rules}
    assert "file:parse" not in rules
    assert "file:missing" not in {r.rule for r in report.rules if "adsl" in r.file.lower()}


def test_the_shipped_adam_profile_maps_baselines_by_ablfl(tmp_path):
    """The built-in profile states the flags it uses; a copy of it can switch them."""
    text = FORMATS["adam"].profile.read_text(encoding="utf-8")
    bds = tomllib.loads(text)["bds"]
    assert bds == {
        "baseline_flag": "ABLFL",
        "analysis_flag": "ANL01FL",
        "derived": "DTYPE",
        "early_baseline": "day0",
        "avalc_as_aval": False,
    }


def _with(profile: Path, extra: str) -> Path:
    edited = profile.with_name("edited.toml")
    edited.write_text(profile.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return edited


def test_without_the_baseline_flag_the_import_is_refused_for_lack_of_baselines(sponsor, tmp_path):
    """The sponsor's baselines carry ABLFL only: told not to use it, the import keeps no baseline and
    must say so, not succeed with empty change-from-baseline pages."""
    profile, sources = sponsor
    edited = _with(profile, '\n[bds]\nbaseline_flag = ""\n')
    report = run_import(edited, sources, tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None)
    assert not report.imported
    itt = sum(s[2] == "Y" for s in SUBJECTS)
    messages = {r.rule: r.message for r in report.rules}
    assert messages["coverage:baselines"] == (
        f"only 0 of {itt} patients have a baseline (month 0) visit; the analyses compare change from baseline. Map "
        "the baseline visit to month 0 (ADaM: ABLFL or the [visits] map; REDCap: [events]) in a copy of the profile"
    )
    assert not (tmp_path / "out.duckdb").exists()


def test_a_visit_map_that_matches_nothing_is_an_error_naming_the_key(sponsor, tmp_path):
    profile, sources = sponsor
    text = profile.read_text(encoding="utf-8")
    cut = text[: text.index("[visits.AVISITN]")] + text[text.index("[paramcd]") :]
    edited = profile.with_name("no_visits.toml")
    edited.write_text(cut, encoding="utf-8")
    report = run_import(edited, sources, tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None)
    assert not report.imported
    # AVISITN 1, 3, 6 and 12 are months of [study] visit_months: each visit is named with its keys.
    issues = report.issues[report.issues.rule == "adam:visit_scheduled"]
    named = sorted(set(zip(issues.file, issues.message, strict=True)))
    assert named == sorted(
        (
            file,
            f'visit AVISIT "Month {m}" (AVISITN {m}) is not in the profile\'s [visits] map, but AVISITN {m} is a month '
            f'of [study] visit_months: its records would not be imported. Add "Month {m}" = {m} to [visits] AVISIT '
            f'(or map visits by AVISITN: [visits.AVISITN] "{m}" = {m}) in a copy of the profile; a profile\'s '
            "[visits] replaces the built-in's whole, so copy the keys it still needs",
        )
        for file in ("adqsvcss.xpt", "adqsvil.xpt")
        for m in (1, 3, 6, 12)
    )


def test_data_that_do_not_say_whether_they_are_synthetic_are_asked(sponsor, tmp_path):
    profile, sources = sponsor
    report = run_import(profile, sources, tmp_path / "out.duckdb", Options(), progress=lambda _: None)
    assert not report.imported
    assert [r.rule for r in report.rules if r.severity == "error"] == ["dataset:synthetic"]
    report = run_import(profile, sources, tmp_path / "out.duckdb", Options(synthetic=True), progress=lambda _: None)
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT synthetic FROM dataset_info").fetchall() == [(True,)]
    finally:
        con.close()


def test_a_screen_failure_left_in_is_refused_with_the_column_and_key_that_fix_it(sponsor, tmp_path):
    """Without the population filter the screen failure comes in: its arm is named with the ADSL
    variable it came from and the profile keys that fix it; every dataset is still checked."""
    profile, sources = sponsor
    text = profile.read_text(encoding="utf-8").replace('require = { ITTFL = "Y" }', "require = {}")
    edited = profile.with_name("everyone.toml")
    edited.write_text(text, encoding="utf-8")
    report = run_import(edited, sources, tmp_path / "out.duckdb", Options(synthetic=False), progress=lambda _: None)
    assert not report.imported
    arm = next(r for r in report.rules if r.rule == "allowed:patients.arm")
    assert arm.values == ("Screen Failure",)  # as ADSL writes it
    assert arm.message == (
        "patients.arm has values the contract does not allow: arm IN ('stent', 'medical'). Source column TRT01P "
        "([adsl] arm): map each source value onto the contract's in [values.arm] of a copy of the profile. Patients "
        "of an arm the contract does not hold (a third arm, screen failures) can instead be left out: [population] "
        'exclude_arms, or require (e.g. ITTFL = "Y").'
    )


def _date9(value: object) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d%b%Y").upper()


def test_a_csv_delivery_with_date9_text_partial_dates_and_a_dvt_date(tmp_path):
    """The same trial as CSV files a data manager exported from SAS: dates as DATE9. text
    ("10JAN2022"), an AE start known only to the month ("2022-04"), and the DVT's date instead of
    the months since it."""
    folder = tmp_path / "csv"
    folder.mkdir()
    adsl = _adsl().drop(columns=["DVTMON", "TRTSDTM"])
    randdt = {s[0]: START + dt.timedelta(days=s[8]) for s in SUBJECTS if s[8] is not None}
    adsl["DVTDT"] = [
        _date9(randdt[u] - dt.timedelta(days=430 + 31 * i)) if u in randdt else "" for i, u in enumerate(adsl.USUBJID)
    ]
    for column in ("RANDDT", "LSTALVDT", "DTHDT", "PROCDT"):
        adsl[column] = adsl[column].map(_date9)
    vil, vcss = _adqs()
    adae = _adae()
    partial = adae.AEDECOD == "Stent thrombosis"
    adae["ASTDT"] = adae.ASTDT.map(_date9)
    adae.loc[partial, "ASTDT"] = "2022-04"
    for name, frame in (("adsl", adsl), ("adqsvil", vil), ("adqsvcss", vcss), ("adae", adae)):
        if "ADT" in frame:
            frame = frame.assign(ADT=frame.ADT.map(_date9))
        frame.to_csv(folder / f"{name}.csv", index=False)
    text = SPONSOR_PROFILE.replace('months_since_dvt = "DVTMON"', 'months_since_dvt = ""\ndvt_date = "DVTDT"')
    text += '\n[dates]\nformats = ["%d%b%Y"]\npartial = "first"\n'
    profile = tmp_path / "csv.toml"
    profile.write_text(text, encoding="utf-8")

    out = tmp_path / "out.duckdb"
    report = run_import(profile, sorted(folder.iterdir()), out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    got = _tables(out)
    itt = [(i, s) for i, s in enumerate(SUBJECTS) if s[2] == "Y"]
    assert dict(zip(got["patients"].patient_id, got["patients"].months_since_dvt, strict=True)) == {
        s[0]: (430 + 31 * i) * 10_000 // 304_375 for i, s in itt
    }
    thrombosis = got["events"][got["events"].event_type == "stent_thrombosis"]
    subject = next(u for u, t, _d, _s in AE_ROWS if t == "Stent thrombosis")
    assert list(zip(thrombosis.patient_id, thrombosis.event_day, strict=True)) == [
        (subject, (dt.date(2022, 4, 1) - randdt[subject]).days)
    ]
    warned = [r for r in report.rules if r.rule == "partial:adae.ASTDT"]
    assert [(r.count, r.values) for r in warned] == [(1, ("2022-04",))]


def test_a_partial_date_is_refused_unless_the_profile_completes_it(tmp_path, sponsor):
    profile, sources = sponsor
    adae = _adae()
    adae["ASTDT"] = adae.ASTDT.map(lambda d: "" if d is None else d.isoformat())
    adae.loc[adae.AEDECOD == "Stent thrombosis", "ASTDT"] = "2022-04"
    folder = sources[0].parent
    (folder / "adae.xpt").unlink()
    adae.to_csv(folder / "adae.csv", index=False)
    report = run_import(
        profile, sorted(folder.iterdir()), tmp_path / "o.duckdb", Options(synthetic=False), progress=lambda _: None
    )
    assert not report.imported
    refused = next(r for r in report.rules if r.rule == "type:adae.ASTDT")
    assert (refused.count, refused.values) == (1, ("2022-04",))
    assert refused.message == (
        "ASTDT is a partial date (no day): the contract needs the day. Complete it in the source, or set [dates] "
        'partial = "first" (or "middle") in a copy of the profile to complete it and count each as a warning'
    )


def test_healing_shown_by_the_visits_is_warned_or_derived(sponsor, tmp_path):
    """Subject 3's ulcer is present to month 3 and gone at month 6, and ADAE holds no healing (trials
    keep it in the visits): a warning names the key; with it, the event is derived on the month-6 day."""
    profile, sources = sponsor
    healed = SUBJECTS[2][0]
    report = run_import(profile, sources, tmp_path / "a.duckdb", Options(synthetic=False), progress=lambda _: None)
    warned = [r for r in report.rules if r.rule == "events:healing"]
    assert [(r.count, r.severity) for r in warned] == [(1, "warning")]
    assert report.issues.loc[report.issues.rule == "events:healing", "record"].tolist() == [f"{healed} / month 6"]

    edited = _with(profile, "\n[derive]\nulcer_healed = true\n")
    out = tmp_path / "b.duckdb"
    report = run_import(edited, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported and not [r for r in report.rules if r.rule == "events:healing"]
    events = _tables(out)["events"]
    got = events[events.event_type == "ulcer_healed"]
    assert list(zip(got.patient_id, got.event_day, strict=True)) == [(healed, 6 * 30)]


# --- what an outside reviewer found: each was imported silently, or refused without the fix -----


def _run(profile: Path, sources: list[Path], tmp_path: Path, name: str = "out.duckdb"):
    return run_import(profile, sources, tmp_path / name, Options(synthetic=False), progress=lambda _: None)


def _edited_text(profile: Path, old: str, new: str) -> Path:
    text = profile.read_text(encoding="utf-8")
    assert old in text
    edited = profile.with_name("reviewed.toml")
    edited.write_text(text.replace(old, new), encoding="utf-8")
    return edited


def test_a_population_filter_that_keeps_nobody_is_refused(sponsor, tmp_path):
    profile, sources = sponsor
    report = _run(_edited_text(profile, 'require = { ITTFL = "Y" }', 'require = { ITTFL = "YES" }'), sources, tmp_path)
    assert not report.imported
    assert [r.rule for r in report.rules if r.severity == "error"] == ["coverage:no_patients"]


def test_a_misspelled_dataset_name_of_a_role_is_named_not_dropped(sponsor, tmp_path):
    profile, sources = sponsor
    report = _run(_edited_text(profile, '"ADQSVCSS"]', '"ADQSVCS"]'), sources, tmp_path)
    assert not report.imported
    missing = next(r for r in report.rules if r.rule == "file:missing")
    assert missing.file == "ADQSVCS"
    assert missing.message == (
        "no dataset named ADQSVCS, listed in [datasets] adqs; the sources hold: adae, adqsvcss, adqsvil, adsl. "
        "Correct the name in a copy of the profile, or add the file"
    )
    unused = next(r for r in report.rules if r.rule == "file:unused")
    assert unused.file == "adqsvcss.xpt"
    assert {(f.step, f.records) for f in report.funnel if f.file == "adqsvcss.xpt"} >= {
        ("would be kept (nothing imported)", 0)
    }


def test_an_optional_parameter_code_that_matches_nothing_is_warned(sponsor, tmp_path):
    profile, sources = sponsor
    report = _run(_edited_text(profile, 'vcss = "VCSS"', 'vcss = "VCSSTOT"'), sources, tmp_path)
    absent = [r for r in report.rules if r.rule == "adam:parameter_absent"]
    assert [r.severity for r in absent] == ["warning"]
    found = ", ".join(sorted({*ITEMS, "VILTOT", "ULCER", "VCSS"}))
    assert absent[0].message == (
        "no record has PARAMCD VCSSTOT ([paramcd] vcss): vcss is imported empty. If the data hold it under another "
        f'code, set it in a copy of the profile (PARAMCDs found: {found}); set it to "" if the data have none'
    )


def test_a_baseline_assessed_before_randomisation_is_held_on_day_0(sponsor, tmp_path):
    profile, sources = sponsor
    folder = sources[0].parent
    vil, vcss = _adqs()
    early = (SUBJECTS[0][0] == vil.USUBJID) & (vil.AVISIT == "Baseline")
    vil.loc[early, "ADT"] = vil.loc[early, "ADT"].map(lambda d: d - dt.timedelta(days=2))
    pyreadstat.write_xport(vil, str(folder / "adqsvil.xpt"), table_name="ADQSVIL", file_format_version=5)
    out = tmp_path / "out.duckdb"
    report = run_import(profile, sources, out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    assert [(r.rule, r.count) for r in report.rules if r.rule == "adam:early_baseline"] == [("adam:early_baseline", 1)]
    visits = _tables(out)["visits"]
    assert visits.loc[(visits.patient_id == SUBJECTS[0][0]) & (visits.visit_month == 0), "visit_day"].tolist() == [0]


def test_a_transport_file_cut_short_is_refused(sponsor, tmp_path):
    profile, sources = sponsor
    cut = next(p for p in sources if p.name == "adqsvcss.xpt")
    cut.write_bytes(cut.read_bytes()[:3000])
    report = _run(profile, sources, tmp_path)
    assert not report.imported
    truncated = next(r for r in report.rules if r.rule == "file:truncated")
    assert (truncated.file, truncated.message) == (
        "adqsvcss.xpt",
        "the file is cut short (3,000 bytes, not whole 80-byte transport records): copy or export it again",
    )
    assert "file:missing" not in {r.rule for r in report.rules}


def test_a_code_written_as_a_number_matches_its_key(tmp_path):
    """pandas and R write a coded 1 as "1.0" in CSV: the value map's key "1" still matches."""
    from pts_explorer.importer.formats import load as load_profile
    from pts_explorer.importer.formats.base import Bind, Mapper
    from pts_explorer.importer.issues import Issues

    con = duckdb.connect()
    mapper = Mapper(con, [], load_profile("adam"), Issues(con))
    b = Bind()
    expr = mapper.mapped("v", "sex", b, {"1": "male", "2": "female"})
    got = con.execute(f"SELECT {expr} FROM (VALUES ('1'), ('2.0'), ('1.00'), ('3.0'), ('12')) AS t(v)", b.params)
    assert [r[0] for r in got.fetchall()] == ["male", "female", "male", "3.0", "12"]


def test_reinterventions_come_from_the_procedures_dataset(sponsor, tmp_path):
    """Trials keep procedures in ADPR, not ADAE: a reintervention there is an event on its day; the
    index stent placement (ADSL's PROCDT) and other procedures are set aside by term, counted."""
    profile, sources = sponsor
    folder = sources[0].parent
    randdt = START + dt.timedelta(days=SUBJECTS[2][8])
    adpr = pd.DataFrame(
        [
            {
                "STUDYID": "VS301",
                "USUBJID": SUBJECTS[2][0],
                "PRDECOD": "Venous stent placement",
                "ASTDT": randdt + dt.timedelta(days=2),
            },
            {
                "STUDYID": "VS301",
                "USUBJID": SUBJECTS[2][0],
                "PRDECOD": "Venous stent reintervention",
                "ASTDT": randdt + dt.timedelta(days=200),
            },
            {
                "STUDYID": "VS301",
                "USUBJID": SUBJECTS[6][0],
                "PRDECOD": "Venous stent reintervention",
                "ASTDT": START + dt.timedelta(days=SUBJECTS[6][8] + 50),
            },  # not ITT: left out
        ]
    )
    pyreadstat.write_xport(adpr, str(folder / "adpr.xpt"), table_name="ADPR", file_format_version=5)
    edited = _edited_text(profile, "adae = false\n", "adae = false\nadpr = true\n")
    edited.write_text(
        edited.read_text(encoding="utf-8")
        + '\n[pr]\nterm = "PRDECOD"\nstart_date = "ASTDT"\n\n[values.pr_event]\n'
        + '"VENOUS STENT REINTERVENTION" = "reintervention"\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.duckdb"
    report = run_import(edited, sorted(folder.iterdir()), out, Options(synthetic=False), progress=lambda _: None)
    assert report.imported, report.text()
    events = _tables(out)["events"]
    got = events[events.event_type == "reintervention"]
    assert list(zip(got.patient_id, got.event_day, got.serious, strict=True)) == [(SUBJECTS[2][0], 200, False)]
    funnel = [(f.step, f.records) for f in report.funnel if f.file == "adpr.xpt"]
    assert funnel == [
        ("read", 3),
        ("outside the population: [population]", 1),
        ("term not in [values.pr_event] (not a PTS event the contract holds)", 1),
        ("kept", 1),
    ]


def test_a_bad_value_of_a_split_dataset_is_reported_at_its_own_file_and_record(sponsor, tmp_path):
    """A visit joins the records of ADQSVIL (Villalta items) and ADQSVCSS (VCSS, ulcer): an item
    scored 7 is reported at ADQSVIL's record, not at the first file of the visit (review finding 5:
    every visit error pointed at adqsvcss.xpt, the alphabetically first file)."""
    profile, sources = sponsor
    vil_path = next(p for p in sources if p.name == "adqsvil.xpt")
    vil, _vcss = _adqs()
    bad = vil.index[(vil.USUBJID.eq(SUBJECTS[2][0])) & (vil.AVISIT == "Month 6") & (vil.PARAMCD == "VILCRAMP")]
    assert len(bad) == 1
    vil.loc[bad, "AVAL"] = 7.0
    pyreadstat.write_xport(vil, str(vil_path), table_name="ADQSVIL", file_format_version=5)
    report = _run(profile, sources, tmp_path)
    issues = report.issues
    shown = issues[issues.column == "v_cramps"][["file", "line", "record", "column", "value"]]
    found = [tuple(r) for r in shown.itertuples(index=False)]
    assert found == [("adqsvil.xpt", int(bad[0]) + 1, f"{SUBJECTS[2][0]} / 6", "v_cramps", "7")]


def test_an_adverse_event_before_the_reference_date_is_set_aside_as_pre_treatment(sponsor, tmp_path, monkeypatch):
    """A deep vein thrombosis three days before randomisation (the qualifying event's extension, found
    at screening) is not treatment-emergent: set aside with a warning naming subject and term, and a
    funnel step; it was a contract error ("event_day >= 0") naming no subject (SDTM helper's note)."""
    profile, sources = sponsor
    early = ("VS301-001-002", "Deep vein thrombosis", -3, "N")
    line = len(AE_ROWS) + 1  # the last record of the file
    monkeypatch.setattr(sys.modules[__name__], "AE_ROWS", [*AE_ROWS, early])
    adae = next(p for p in sources if p.name == "adae.xpt")
    pyreadstat.write_xport(_adae(), str(adae), table_name="ADAE", file_format_version=5)
    report = _run(profile, sources, tmp_path)
    assert report.imported, report.text()
    warned = report.issues[report.issues.rule == "adam:adae_before_reference"]
    randdt = next(START + dt.timedelta(days=s[8]) for s in SUBJECTS if s[0] == early[0])
    assert [
        tuple(r) for r in warned[["file", "line", "record", "column", "value", "message"]].itertuples(index=False)
    ] == [
        (
            "adae.xpt",
            line,
            "VS301-001-002 / Deep vein thrombosis",
            "ASTDT",
            str(randdt - dt.timedelta(days=3)),
            "ASTDT is before the reference date RANDDT: a pre-treatment event (medical history, not "
            "treatment-emergent), not imported",
        )
    ]
    steps = [(f.step, f.records) for f in report.funnel if f.file == "adae.xpt"]
    assert ("before the reference date (RANDDT): not treatment-emergent", 1) in steps
    con = duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True)
    days = con.execute("SELECT event_day FROM events WHERE patient_id = 'VS301-001-002' ORDER BY 1").fetchall()
    con.close()
    assert all(d >= 0 for (d,) in days)
