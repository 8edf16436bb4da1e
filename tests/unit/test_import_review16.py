"""What the ninth outside reviewer of issue 23 found (tests/fixtures/review16: their hand-written files). Expected
values are read off the fixtures' own records here (pyreadstat, csv), never from the importer; whole messages and
whole counts compared."""

from __future__ import annotations

import csv
import shutil
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.assistant_choices import encoding_choices, survey
from pts_explorer.importer.profiles import read
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review16"


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = False) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _errors(report: ImportReport) -> list[tuple[str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.message, strict=True))


def _with(profile: Path, tmp_path: Path, extra: str, before: str = "[datasets]") -> Path:
    """A copy of a fixture's profile with `extra` written before its `before` table."""
    text = profile.read_text(encoding="utf-8")
    assert before in text
    out = tmp_path / profile.name
    out.write_text(text.replace(before, f"{extra}\n\n{before}", 1), encoding="utf-8")
    return out


# --- finding 1: a transport file written in Windows-1252 ------------------------------------------------------------

F1 = HERE / "f1_xpt_cp1252"


def test_cp1252_transport_file_is_refused_naming_the_column_and_the_key(tmp_path):
    report = _run(F1 / "pts201.toml", sorted(F1.glob("*.xpt")), tmp_path / "out.duckdb", check=True)
    assert _errors(report) == [
        (
            "file:encoding",
            'the text of column AETERM is not UTF-8 text (byte 0xFC is "ü" in Windows-1252, as SAS on Windows '
            '(wlatin1) writes it): set [sas] encoding = "cp1252" in a copy of the profile',
        )
    ]
    errors = report.issues[report.issues.severity == "error"]
    assert list(errors.file) == ["adae.xpt"]


def test_sas_encoding_reads_the_transport_file_faithfully(tmp_path):
    profile = _with(F1 / "pts201.toml", tmp_path, '[sas]\nencoding = "cp1252"')
    out = tmp_path / "out.duckdb"
    report = _run(profile, sorted(F1.glob("*.xpt")), out)
    assert _errors(report) == []
    adae, _ = pyreadstat.read_xport(str(F1 / "adae.xpt"), encoding="cp1252")
    assert "Lungenembolie (Dr Müller)" in set(adae.AETERM)  # the fixture's own text, read in its encoding
    adsl, _ = pyreadstat.read_xport(str(F1 / "adsl.xpt"))
    kept = adsl[(adsl.ITTFL == "Y") & (adsl.TRT01P != "STENT + LYSIS")]  # the profile's [population]
    with duckdb.connect(str(out), read_only=True) as con:
        patients = sorted(r[0] for r in con.execute("SELECT patient_id FROM patients").fetchall())
    assert patients == sorted(kept.USUBJID)


def test_the_assistant_offers_the_sas_encoding(tmp_path):
    profile = read(F1 / "pts201.toml", ("adam",))
    sources = [tmp_path / p.name for p in sorted(F1.glob("*.xpt"))]
    for p in sorted(F1.glob("*.xpt")):
        shutil.copy(p, tmp_path / p.name)
    choices = encoding_choices(profile, ["file:encoding"], survey(profile, sources))
    assert [(c.key, c.label, [o.writes for o in c.options], c.default) for c in choices] == [
        (
            "sas_encoding",
            "[sas] encoding: 1 SAS file not utf-8 text (adae.xpt)",
            [((("sas", "encoding"), "cp1252"),), ((("sas", "encoding"), "latin-1"),)],
            0,
        )
    ]


# --- finding 2: a REDCap arm choice with no contract value --------------------------------------------------------

F2 = HERE / "f2_redcap_arm"


def _redcap_records() -> list[dict[str, str]]:
    (export,) = F2.glob("PTSREG_DATA_*.csv")
    with export.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_unmapped_redcap_arm_choice_refuses_the_import(tmp_path):
    records = _redcap_records()
    conservative = [i + 2 for i, r in enumerate(records) if r["treatment"] == "2"]  # file lines (header is 1)
    assert len(conservative) == 2
    report = _run(F2 / "ptsreg_noarm.toml", sorted(F2.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    message = (
        "choice 2 (Conservative) of 'treatment' has no value in patients.arm: the import is refused rather than "
        'leave out every patient of this arm; map it in [values.arm] of a copy of the profile (e.g. "2" = "one of '
        'stent, medical"), or leave the arm out on purpose with [population] exclude_arms = ["Conservative"]'
    )
    assert _errors(report) == [("redcap:unmapped", message)] * 2
    errors = report.issues[report.issues.severity == "error"]
    assert sorted(int(x) for x in errors.line) == conservative


def test_exclude_arms_leaves_the_redcap_arm_out_counted(tmp_path):
    profile = _with(F2 / "ptsreg_noarm.toml", tmp_path, '[population]\nexclude_arms = ["conservative"]', "[values.arm]")
    out = tmp_path / "out.duckdb"
    report = _run(profile, sorted(F2.glob("*.csv")), out)
    assert _errors(report) == []
    records = _redcap_records()
    left_out = {r["record_id"] for r in records if r["treatment"] == "2"}
    stent = sorted({r["record_id"] for r in records if r["treatment"] == "1"})
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT patient_id, arm FROM patients ORDER BY patient_id").fetchall() == [
            (p, "stent") for p in stent
        ]
    steps = [f.records for f in report.funnel if f.step == "arm left out: [population] exclude_arms"]
    assert steps == [sum(1 for r in records if r["record_id"] in left_out)]


def test_mapped_redcap_arm_imports_every_patient(tmp_path):
    out = tmp_path / "out.duckdb"
    assert _errors(_run(F2 / "ptsreg.toml", sorted(F2.glob("*.csv")), out)) == []
    arms = {"1": "stent", "2": "medical"}
    expected = sorted({(r["record_id"], arms[r["treatment"]]) for r in _redcap_records() if r["treatment"]})
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT patient_id, arm FROM patients ORDER BY patient_id").fetchall() == expected


# --- finding 3: a reintervention in both ADAE and ADPR -------------------------------------------------------------

F3 = HERE / "f3_adam_twice"


def test_a_reintervention_in_adae_and_adpr_on_one_day_is_imported_once(tmp_path):
    profile = tomllib.loads((F3 / "pts201.toml").read_text(encoding="utf-8"))
    adsl, _ = pyreadstat.read_xport(str(F3 / "adsl.xpt"))
    adsl = adsl[(adsl.ITTFL == "Y") & ~adsl.TRT01P.isin(profile["population"]["exclude_arms"])]
    start = dict(zip(adsl.USUBJID, pd.to_datetime(adsl.RANDDT), strict=True))

    def records(name: str, term: str, values: str) -> list[tuple[str, int, bool]]:
        frame, _ = pyreadstat.read_xport(str(F3 / f"{name}.xpt"), encoding="cp1252")
        kept = frame[frame.USUBJID.isin(list(start)) & frame[term].map(profile["values"][values]).eq("reintervention")]
        return [
            (r.USUBJID, (pd.Timestamp(r.ASTDT) - start[r.USUBJID]).days, getattr(r, "AESER", "N") == "Y")
            for r in kept.itertuples()
        ]

    ae, pr = records("adae", "AEDECOD", "event_type"), records("adpr", "PRDECOD", "pr_event")
    twice = [p for p in pr if (p[0], p[1]) in {(a[0], a[1]) for a in ae}]
    assert len(twice) == 1  # 1001's re-stenting, the same day in both; 1005's are a day apart (two records)
    expected = sorted(ae + [p for p in pr if p not in twice])
    out = tmp_path / "out.duckdb"
    report = _run(_with(F3 / "pts201.toml", tmp_path, '[sas]\nencoding = "cp1252"'), sorted(F3.glob("*.xpt")), out)
    assert _errors(report) == []
    with duckdb.connect(str(out), read_only=True) as con:
        got = con.execute(
            "SELECT patient_id, event_day, serious FROM events WHERE event_type = 'reintervention' ORDER BY ALL"
        ).fetchall()
    assert got == expected
    once = "procedure event also recorded in ADAE (imported once)"
    assert [(f.file, f.records, f.loss) for f in report.funnel if f.step == once] == [("adpr.xpt", len(twice), False)]


# --- finding 4: a required value blank in one record --------------------------------------------------------------

F4 = HERE / "f4_missing"
BLANK_TAIL = (
    "The contract requires it for every {noun}: enter the value in the source (the importer never fills in a "
    "missing value)."
)


def _blank_errors(report: ImportReport) -> list[tuple[str, str, object, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return [(r.rule, r.file, None if pd.isna(r.line) else int(r.line), r.message) for r in errors.itertuples()]


def _visit_groups(frame: pd.DataFrame, visit: str, code: str, item: str) -> tuple[list[tuple], list[tuple]]:
    """(subject, visit) groups of Villalta records lacking `item`, and those holding it."""
    groups = frame.groupby(["USUBJID", visit])[code].agg(set)
    return sorted(k for k, v in groups.items() if item not in v), sorted(k for k, v in groups.items() if item in v)


def test_adam_blank_item_names_its_dataset_subject_and_visit(tmp_path):
    profile = tomllib.loads((F4 / "adam" / "pts201.toml").read_text(encoding="utf-8"))
    adsl, _ = pyreadstat.read_xport(str(F4 / "adam" / "adsl.xpt"))
    kept = adsl[(adsl.ITTFL == "Y") & ~adsl.TRT01P.isin(profile["population"]["exclude_arms"])].USUBJID
    months = {float(k): v for k, v in profile["visits"]["AVISITN"].items() if v != ""}
    vill, _ = pyreadstat.read_xport(str(F4 / "adam" / "adqsvill.xpt"))
    vill = vill[vill.USUBJID.isin(list(kept)) & vill.AVISITN.isin(list(months)) & (vill.DTYPE != "LOCF")]
    code = profile["paramcd"]["v_calf_pain"]
    blank, held = _visit_groups(vill, "AVISITN", "PARAMCD", code)
    assert len(blank) == 1
    (subject, visit) = blank[0]
    files = sorted(p for p in (F4 / "adam").iterdir() if p.suffix == ".xpt")
    report = _run(F4 / "adam" / "pts201.toml", files, tmp_path / "out.duckdb", check=True)
    assert _blank_errors(report) == [
        (
            "required:visits.v_calf_pain",
            "adqsvill.xpt",
            None,
            f"visits.v_calf_pain has no value for 1 visit ({subject} month {months[visit]}): the source records "
            f"PARAMCD = {code} ([paramcd] v_calf_pain) hold it for {len(held)} other visits, but no record or a "
            "blank value for this one. " + BLANK_TAIL.format(noun="visit"),
        )
    ]


def test_sdtm_blank_item_names_subject_and_visit(tmp_path):
    qs, _ = pyreadstat.read_xport(str(F4 / "sdtm" / "qs.xpt"))
    dm, _ = pyreadstat.read_xport(str(F4 / "sdtm" / "dm.xpt"))
    qs = qs[qs.USUBJID.isin(list(dm[dm.ARM != "Screen Failure"].USUBJID)) & (qs.VISITNUM % 1 == 0)]
    qs = qs[qs.QSCAT == "VILLALTA"]
    blank, held = _visit_groups(qs, "VISITNUM", "QSTESTCD", "VILCALF")
    assert len(blank) == 1
    subject, visitnum = blank[0]
    month = qs[visitnum == qs.VISITNUM].VISIT.iloc[0].removeprefix("MONTH ")
    files = sorted(p for p in (F4 / "sdtm").iterdir() if p.suffix == ".xpt")
    report = _run(F4 / "sdtm" / "pts302.toml", files, tmp_path / "out.duckdb", check=True)
    assert [(r, f, m) for r, f, _, m in _blank_errors(report)] == [
        (
            "required:visits.v_calf_pain",
            "qs.xpt",
            f"visits.v_calf_pain has no value for 1 visit ({subject} month {month}): the source records "
            f"QSTESTCD = VILCALF ([qs.testcd] v_calf_pain) hold it for {len(held)} other visits, but no record or a "
            "blank value for this one. " + BLANK_TAIL.format(noun="visit"),
        )
    ]


def _redcap_rows(folder: Path) -> list[dict[str, str]]:
    (export,) = folder.glob("PTSREG_DATA_*.csv")
    with export.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_redcap_blank_item_and_unticked_checkbox_name_the_record(tmp_path):
    folder = F4 / "redcap"
    profile = tomllib.loads((folder / "ptsreg.toml").read_text(encoding="utf-8"))
    events = {k: v for k, v in profile["events"].items() if v != ""}
    # a visit without a date is set aside (a warning of its own): it holds no value for the contract
    visits = [
        r
        for r in _redcap_rows(folder)
        if r["redcap_event_name"] in events and not r["redcap_repeat_instrument"] and r["visit_date"]
    ]
    blank = [r for r in visits if not r["vil_calfpain"]]
    assert len(blank) == 1
    (rows,) = [(i + 2, r) for i, r in enumerate(_redcap_rows(folder)) if r is blank[0] or r == blank[0]]
    report = _run(folder / "ptsreg.toml", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    (export,) = folder.glob("PTSREG_DATA_*.csv")
    assert _blank_errors(report) == [
        (
            "required:visits.v_calf_pain",
            export.name,
            rows[0],
            f"visits.v_calf_pain has no value for 1 visit ({rows[1]['record_id']} month "
            f"{events[rows[1]['redcap_event_name']]}): the source column vil_calfpain ([fields] v_calf_pain) holds "
            f"it for {len(visits) - 1} other visits, but a blank value (for a checkbox: no box ticked) for this one. "
            + BLANK_TAIL.format(noun="visit"),
        )
    ]
    folder = F4 / "redcap_no_segment"
    records = [
        r
        for r in _redcap_rows(folder)
        if r["redcap_event_name"] == "baseline_arm_1" and not r["redcap_repeat_instrument"]
    ]
    boxes = [c for c in records[0] if c.startswith("segments___") and c != "segments___99"]
    unticked = [r["record_id"] for r in records if not any(r[c] == "1" for c in boxes)]
    assert len(unticked) == 1
    report = _run(folder / "ptsreg.toml", sorted(folder.glob("*.csv")), tmp_path / "out2.duckdb", check=True)
    assert [m for _, _, _, m in _blank_errors(report)] == [
        f"patients.obstruction_site has no value for 1 patient ({unticked[0]}): the source column segments ([fields] "
        f"obstruction_site) holds it for {len(records) - 1} other patients, but a blank value (for a checkbox: no box "
        "ticked) for this one. " + BLANK_TAIL.format(noun="patient")
    ]


# --- finding 5: errors named by their source, and no follow-on errors --------------------------------------------

F5 = HERE / "f5_messages"


def test_adam_event_without_a_date_and_subject_not_in_adsl_are_named_by_their_source(tmp_path):
    adae, _ = pyreadstat.read_xport(str(F5 / "adam" / "adae.xpt"))
    adsl, _ = pyreadstat.read_xport(str(F5 / "adam" / "adsl.xpt"))
    vill, _ = pyreadstat.read_xport(str(F5 / "adam" / "adqsvill.xpt"))
    undated = adae[adae.ASTDT.isna() & (adae.AEDECOD == "DEEP VEIN THROMBOSIS")]
    assert len(undated) == 1
    strangers = sorted(set(vill.USUBJID) - set(adsl.USUBJID))
    assert len(strangers) == 1
    files = sorted(p for p in (F5 / "adam").iterdir() if p.suffix == ".xpt")
    report = _run(F5 / "adam" / "pts201.toml", files, tmp_path / "out.duckdb", check=True)
    messages = sorted(set(m for _, m in _errors(report)))
    assert messages == [
        f"ASTDT ([ae] start_date) is blank for {undated.USUBJID.iloc[0]} (recurrent_dvt): the event's day counts "
        "from it, and the contract requires a day for every event. Give the date in the source (ADaM: an imputed "
        "ASTDT, as the analysis uses it), or name another date variable in [ae] start_date",
        f"USUBJID {strangers[0]} is not in ADSL: the subject has records in this dataset but no ADSL record, so none "
        "of them can be imported. Add the subject to ADSL, or remove its records from this dataset",
    ]


def test_redcap_unmapped_arm_2_events_are_one_error_without_follow_on_errors(tmp_path):
    folder = F5 / "redcap_arms"
    report = _run(folder / "ptsreg_arms_v1.toml", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    rows = _redcap_rows(folder)
    arm_2 = [r for r in rows if r["redcap_event_name"].endswith("_arm_2") and not r["redcap_repeat_instrument"]]
    assert sorted({rule for rule, _ in _errors(report)}) == ["redcap:event_visits"]
    assert len(_errors(report)) == len(arm_2)


# --- finding 7: a contract CSV's partial date completed ------------------------------------------------------------

F7 = HERE / "f7_contract_partial"


def test_a_contract_csvs_partial_date_completed_is_a_warning(tmp_path):
    with (F7 / "patients.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    partial = [(i + 2, r["patient_id"], r["enrolled_on"]) for i, r in enumerate(rows) if len(r["enrolled_on"]) == 7]
    assert len(partial) == 1
    out = tmp_path / "out.duckdb"
    report = _run(F7 / "vsr.toml", sorted(F7.glob("*.csv")), out)
    assert _errors(report) == []
    warned = report.issues[report.issues.rule == "partial:patients.enrolled_on"]
    assert [(int(r.line), r.value, r.message) for r in warned.itertuples()] == [
        (partial[0][0], partial[0][2], "partial date completed to the first day ([dates] partial)")
    ]
    with duckdb.connect(str(out), read_only=True) as con:
        (day,) = con.execute("SELECT enrolled_on FROM patients WHERE patient_id = $p", {"p": partial[0][1]}).fetchone()
    assert day.isoformat() == partial[0][2] + "-01"


# --- finding 6: a partial QSDTC at a visit SV dates in full ------------------------------------------------------

F6 = HERE / "f6_sdtm_partial_sv"


def test_a_partial_qs_date_takes_the_full_date_sv_holds(tmp_path):
    qs, _ = pyreadstat.read_xport(str(F6 / "qs.xpt"))
    sv, _ = pyreadstat.read_xport(str(F6 / "sv.xpt"))
    dm, _ = pyreadstat.read_xport(str(F6 / "dm.xpt"))
    partial = qs[qs.QSDTC.str.fullmatch(r"\d{4}-\d{2}")][["USUBJID", "VISITNUM", "QSDTC"]].drop_duplicates()
    assert len(partial) == 1
    subject, visitnum = partial.USUBJID.iloc[0], partial.VISITNUM.iloc[0]
    (full,) = sv[(subject == sv.USUBJID) & (visitnum == sv.VISITNUM)].SVSTDTC
    (start,) = dm[subject == dm.USUBJID].RFSTDTC
    records = int(((subject == qs.USUBJID) & (visitnum == qs.VISITNUM)).sum())
    out = tmp_path / "out.duckdb"
    report = _run(F6 / "pts302.toml", sorted(F6.glob("*.xpt")), out)
    assert _errors(report) == []
    month = int(qs[visitnum == qs.VISITNUM].VISIT.iloc[0].removeprefix("MONTH "))
    with duckdb.connect(str(out), read_only=True) as con:
        (day,) = con.execute(
            "SELECT visit_day FROM visits WHERE patient_id = $p AND visit_month = $m", {"p": subject, "m": month}
        ).fetchone()
    assert day == (pd.Timestamp(full) - pd.Timestamp(start)).days
    warned = report.issues[report.issues.rule == "sdtm:partial_date_from_sv.date"]
    assert warned.message.tolist() == [
        f"{records} partial QS.QSDTC ([qs] date) dates at a visit SV dates in full: the visit's SV.SVSTDTC ([sv] "
        "date) is used (neither imputed nor refused)"
    ]
