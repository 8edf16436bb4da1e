"""What the eighth outside reviewer of issue 23 found (tests/fixtures/review15: their files as written, the
generators kept as *.py.txt). Expected values are read off the fixtures' own records here (pyreadstat), never
from the importer; whole messages and whole counts compared."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pyreadstat
import pytest

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review15"
VILLALTA_CODES = ("PAIN", "CRAMPS", "HEAVY", "PARESTH", "PRURITUS", "EDEMA", "INDURAT", "HYPERPIG", "REDNESS")
VILLALTA_CODES += ("ECTASIA", "CALFPAIN")
MONTHS = {20.0: 0, 30.0: 6, 40.0: 12}  # sdtm41_v2.toml's [visits.VISITNUM]


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _errors(report: ImportReport) -> list[tuple[str, str]]:
    errors = report.issues[report.issues.severity == "error"]
    return list(zip(errors.rule, errors.message, strict=True))


def _qs(delivery: str):
    qs, _ = pyreadstat.read_xport(str(HERE / delivery / "qs.xpt"))
    return qs


def _by_hand(delivery: str) -> dict[tuple[str, int], tuple[int, int, int, int, int]]:
    """Each scheduled visit's Villalta total (the sum of the 11 Villalta items, QSCAT VILLALTA), its Villalta
    pain, oedema and induration, and its VCSS (the TOTAL of QSCAT VCSS), from the fixture's QS records."""
    qs = _qs(delivery)
    qs = qs[qs.VISITNUM.isin(list(MONTHS))]
    out: dict[tuple[str, int], tuple[int, int, int, int, int]] = {}
    for (subject, visitnum), rows in qs.groupby(["USUBJID", "VISITNUM"]):
        vil = rows[rows.QSCAT == "VILLALTA"].set_index("QSTESTCD").QSSTRESN
        vcss = rows[(rows.QSCAT == "VCSS") & (rows.QSTESTCD == "TOTAL")].QSSTRESN
        total = sum(int(vil[c]) for c in VILLALTA_CODES)
        assert len(vcss) == 1 and total == int(vil["TOTAL"])  # the sponsor's own total agrees with its items
        out[(str(subject), MONTHS[visitnum])] = (
            total,
            int(vil["PAIN"]),
            int(vil["EDEMA"]),
            int(vil["INDURAT"]),
            int(vcss.iloc[0]),
        )
    return out


def _listing(qs) -> str:
    """The codes under both categories, as the message lists them, counted from the fixture."""
    parts = []
    for code, column in (("EDEMA", "v_edema"), ("INDURAT", "v_induration"), ("PAIN", "v_pain"), ("TOTAL", "vcss")):
        n = {cat: int(qs[qs.QSTESTCD.eq(code) & qs.QSCAT.eq(cat)].shape[0]) for cat in ("VCSS", "VILLALTA")}
        parts.append(
            f"{code} ([qs.testcd] {column}) under QSCAT VCSS ({n['VCSS']} records), VILLALTA ({n['VILLALTA']} records)"
        )
    return "; ".join(parts)


# --- Finding 1: QSTESTCDs that repeat across QSCATs were merged as "retests" ------------------------------------


@pytest.mark.parametrize("delivery", ["sdtm41b", "sdtm41"])
def test_test_codes_repeated_across_qscat_are_read_from_their_instruments_category(tmp_path, delivery):
    """sdtm41b: the VCSS form 15 minutes after the Villalta form: its PAIN, EDEMA, INDURAT replaced the Villalta
    items as "the latest of a retest", every Villalta total wrong, 3 baseline bands changed (0 errors). sdtm41: the
    same at the same time, refused as two legs. Now each instrument's codes are read from its QSCAT (the built-in
    villalta_category / vcss_category spellings): every visit equals the sum of the fixture's Villalta items."""
    out = tmp_path / "out.duckdb"
    report = _run(HERE / "sdtm41_v2.toml", sorted((HERE / delivery).glob("*.xpt")), out, check=False)
    assert report.imported, report.text()
    expected = _by_hand(delivery)
    with duckdb.connect(str(out), read_only=True) as con:
        visits = con.execute(
            "SELECT patient_id, visit_month, villalta_total, v_pain, v_edema, v_induration, vcss FROM visits"
        ).fetchall()
        (patients,) = con.execute("SELECT count(*) FROM patients").fetchone() or (0,)
        baselines = dict(con.execute("SELECT patient_id, baseline_villalta FROM patient_baseline").fetchall())
    assert {(p, m): tuple(rest) for p, m, *rest in visits} == expected
    assert len(visits) == 17 and patients == 6
    assert baselines == {p: v[0] for (p, m), v in expected.items() if m == 0} and len(baselines) == 6
    assert not report.issues[report.issues.rule.isin(["sdtm:retest", "sdtm:same_time_results"])].shape[0]
    told = report.issues[report.issues.rule == "sdtm:test_categories"]
    assert list(zip(told.severity, told.message, strict=True)) == [
        (
            "warning",
            f"QS.QSTESTCD: test code(s) that occur under more than one QSCAT: {_listing(_qs(delivery))}. They are "
            "different tests: v_pain, v_edema, v_induration from QSCAT VILLALTA ([qs] villalta_category), vcss from "
            "QSCAT VCSS ([qs] vcss_category); the records of the other categories are not imported (funnel: test not "
            "mapped)",
        )
    ]


@pytest.mark.parametrize("delivery", ["sdtm41b", "sdtm41"])
def test_repeated_codes_whose_category_is_not_named_are_one_error_naming_qscat_never_legs(tmp_path, delivery):
    """When no category the profile names is among the codes' QSCATs, the import is refused with one error naming
    the codes, their categories and the keys: not a silent "latest kept", not advice about legs (sdtm41)."""
    report = _run(HERE / "sdtm41_nocat.toml", sorted((HERE / delivery).glob("*.xpt")), tmp_path / "out.duckdb")
    assert _errors(report) == [
        (
            "sdtm:test_categories",
            f"QS.QSTESTCD: test code(s) that occur under more than one QSCAT: {_listing(_qs(delivery))}. Records of "
            "one code under two categories are two different tests (never a retest of each other), and which one "
            "[qs.testcd] means cannot be told for EDEMA, INDURAT, PAIN, TOTAL: name the category of each instrument "
            "in a copy of the profile: [qs] villalta_category (the Villalta items, ulcer and total) and [qs] "
            "vcss_category (the VCSS), each the QSCAT value of its instrument's records (now villalta_category = "
            '["VILLALTA SCALE"], vcss_category = []); the import stops until it is named',
        )
    ]
    assert not report.issues[report.issues.rule.isin(["sdtm:retest", "sdtm:same_time_results"])].shape[0]


def test_a_category_named_in_the_profile_chooses_the_instrument(tmp_path):
    """A sponsor's own spelling, named in [qs] villalta_category and vcss_category, reads the same visits."""
    profile = tmp_path / "named.toml"
    text = (HERE / "sdtm41_nocat.toml").read_text(encoding="utf-8")
    profile.write_text(
        text.replace('["VILLALTA SCALE"]', '"villalta"').replace("vcss_category = []", 'vcss_category = "VCSS"'),
        encoding="utf-8",
    )
    out = tmp_path / "out.duckdb"
    report = _run(profile, sorted((HERE / "sdtm41b").glob("*.xpt")), out, check=False)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        visits = con.execute(
            "SELECT patient_id, visit_month, villalta_total, v_pain, v_edema, v_induration, vcss FROM visits"
        ).fetchall()
    assert {(p, m): tuple(rest) for p, m, *rest in visits} == _by_hand("sdtm41b")


def test_the_assistant_offers_each_instruments_category_and_its_profile_imports_faithfully(tmp_path):
    """After the refusal, the assistant asks for each instrument's QSCAT, every category offered with its colliding
    codes and records (counted here from the fixture), nothing chosen for the user; the profile with the choices
    imports every visit as the fixture's items sum."""
    from pts_explorer.importer import assistant, assistant_choices
    from pts_explorer.importer.formats import load

    files = sorted((HERE / "sdtm41b").glob("*.xpt"))
    report = _run(HERE / "sdtm41_nocat.toml", files, tmp_path / "out.duckdb")
    profile = load(str(HERE / "sdtm41_nocat.toml"))
    found = assistant_choices.survey(profile, files)
    choices = assistant_choices.category_choices(profile, found, report.issues)
    qs = _qs("sdtm41b")
    n = {
        cat: int(qs[qs.QSCAT.eq(cat) & qs.QSTESTCD.isin(["EDEMA", "INDURAT", "PAIN", "TOTAL"])].shape[0])
        for cat in ("VCSS", "VILLALTA")
    }
    vcss = f"VCSS (EDEMA, INDURAT, PAIN, TOTAL; {n['VCSS']} records)"
    villalta = f"VILLALTA (EDEMA, INDURAT, PAIN, TOTAL; {n['VILLALTA']} records)"
    assert [(c.key, c.label, [o.text for o in c.options], c.default) for c in choices] == [
        (
            "sdtm_category_villalta_category",
            "[qs] villalta_category: the QSCAT of the Villalta items, ulcer and total (its test codes occur under "
            "several categories)",
            [villalta, vcss],
            None,
        ),
        (
            "sdtm_category_vcss_category",
            "[qs] vcss_category: the QSCAT of the VCSS (its test codes occur under several categories)",
            [vcss, villalta],
            None,
        ),
    ]
    writes = [choices[0].options[0].writes[0], choices[1].options[0].writes[0]]
    assert writes == [(("qs", "villalta_category"), "VILLALTA"), (("qs", "vcss_category"), "VCSS")]
    edited = tmp_path / "edited.toml"
    edited.write_text(assistant.dumps(assistant.edited(profile, {}, {}, writes=writes)), encoding="utf-8")
    out = tmp_path / "edited.duckdb"
    imported = _run(edited, files, out, check=False)
    assert imported.imported, imported.text()
    with duckdb.connect(str(out), read_only=True) as con:
        visits = con.execute(
            "SELECT patient_id, visit_month, villalta_total, v_pain, v_edema, v_induration, vcss FROM visits"
        ).fetchall()
    assert {(p, m): tuple(rest) for p, m, *rest in visits} == _by_hand("sdtm41b")


# --- Finding 2: Windows-1252 text from Excel on Western Windows -------------------------------------------------

REG41 = sorted((HERE / "reg41").glob("*.txt"))


def _tab_rows(name: str) -> list[dict[str, str]]:
    """A reg41 table as Excel wrote it: TAB, CRLF, Windows-1252 bytes (decoded here by Python's own codec)."""
    text = (HERE / "reg41" / name).read_bytes().decode("cp1252")
    header, *lines = [line.split("\t") for line in text.splitlines() if line]
    return [dict(zip(header, line, strict=True)) for line in lines]


def _first_c1(name: str) -> tuple[list[int], int]:
    """The distinct bytes 0x80-0x9F of a file in order of first appearance, and the line of the first."""
    data = (HERE / "reg41" / name).read_bytes()
    seen = list(dict.fromkeys(b for b in data if 0x80 <= b <= 0x9F))
    first = next(i for i, b in enumerate(data) if 0x80 <= b <= 0x9F)
    return seen, data.count(b"\n", 0, first) + 1


@pytest.mark.parametrize("encoding", ["cp1252", "windows-1252"])
def test_a_windows_1252_export_imports_with_cp1252_every_value_as_written(tmp_path, encoding):
    """reg41: no profile could read it (cp1252 was no encoding, latin-1 a raw reader error). [csv] encoding =
    "cp1252" (or "windows-1252") reads it: patients, centres (’ and – kept), visits and each Villalta total
    equal to the file's own rows summed here."""
    profile = tmp_path / "p.toml"
    profile.write_text(
        (HERE / "reg41_cp1252.toml").read_text(encoding="utf-8").replace("cp1252", encoding), encoding="utf-8"
    )
    out = tmp_path / "out.duckdb"
    report = _run(profile, REG41, out, check=False)
    assert report.imported, report.text()
    patients, visits = _tab_rows("patients.txt"), _tab_rows("visits.txt")
    items = [c for c in visits[0] if c.startswith("v_")]
    assert len(items) == 11
    totals = {(v["patient_id"], int(v["visit_month"])): sum(int(v[c]) for c in items) for v in visits}
    centres: dict[str, int] = {}
    for p in patients:
        centres[p["center_id"]] = centres.get(p["center_id"], 0) + 1
    with duckdb.connect(str(out), read_only=True) as con:
        got_centres = dict(con.execute("SELECT center_id, count(*) FROM patients GROUP BY 1").fetchall())
        rows = con.execute("SELECT patient_id, visit_month, villalta_total FROM visits").fetchall()
        (baselines,) = con.execute("SELECT count(*) FROM patient_baseline").fetchone() or (0,)
    assert got_centres == centres and "St Mary’s – Klinikum Süd" in centres and len(patients) == 12
    got = {(p, m): t for p, m, t in rows}
    assert got == totals and len(got) == len(rows) == 34
    assert baselines == len({p for p, m in totals if m == 0}) == 12


def test_latin_1_on_a_windows_1252_file_is_one_error_naming_the_bytes_and_cp1252_no_cascade(tmp_path):
    """reg41 with latin-1 (the advice it was given): DuckDB's raw "File is not latin-1 encoded", then 45 errors
    about the other files' patient_ids. Now one error naming the bytes, their line and cp1252."""
    report = _run(HERE / "reg41_v1.toml", REG41, tmp_path / "out.duckdb")
    (b1, b2), line = _first_c1("patients.txt")
    assert (b1, b2) == (0x92, 0x96)
    assert _errors(report) == [
        (
            "file:encoding",
            f"the file is not latin-1 text: its bytes 0x{b1:02X} (’), 0x{b2:02X} (–), first on line {line}, are "
            'Windows-1252 characters, as Excel saves text on Western Windows: set [csv] encoding = "cp1252" in a '
            "copy of the profile, or save it as UTF-8",
        )
    ]
    (row,) = report.issues[report.issues.rule == "file:encoding"].itertuples()
    assert (row.file, row.line) == ("patients.txt", line)


def test_the_advice_for_a_file_that_is_not_utf8_names_cp1252_when_its_bytes_say_so(tmp_path):
    """The built-in contract profile (UTF-8): the advice named latin-1, which then failed. A file holding bytes
    0x80-0x9F is advised cp1252; one without them (studies.txt: ü only) keeps the latin-1 advice."""
    report = _run("contract", REG41, tmp_path / "out.duckdb")
    encoding = report.issues[report.issues.rule == "file:encoding"]
    (b1, b2), line = _first_c1("patients.txt")
    studies = (HERE / "reg41" / "studies.txt").read_bytes()
    assert not any(0x80 <= b <= 0x9F for b in studies) and any(b >= 0xA0 for b in studies)
    assert sorted(zip(encoding.file, encoding.message, strict=True)) == [
        (
            "patients.txt",
            "the file is not utf-8 text: set [csv] encoding in a copy of the profile (cp1252: its bytes "
            f"0x{b1:02X} (’), 0x{b2:02X} (–), first on line {line}, are Windows-1252 characters, as Excel saves text "
            "on Western Windows) or save it as UTF-8",
        ),
        (
            "studies.txt",
            "the file is not utf-8 text: set [csv] encoding in a copy of the profile (for example latin-1) or save it "
            "as UTF-8",
        ),
    ]


def test_a_byte_windows_1252_does_not_define_is_named_with_its_line(tmp_path):
    """0x81 is no Windows-1252 character: an error naming the byte and its line, not a raw reader error."""
    folder = tmp_path / "src"
    folder.mkdir()
    for path in REG41:
        data = path.read_bytes()
        if path.name == "events.txt":
            lines = data.split(b"\r\n")
            lines[3] = lines[3] + b"\x81"
            data = b"\r\n".join(lines)
        (folder / path.name).write_bytes(data)
    report = _run(HERE / "reg41_cp1252.toml", sorted(folder.glob("*.txt")), tmp_path / "out.duckdb")
    assert _errors(report) == [
        (
            "file:encoding",
            'byte 0x81 is no Windows-1252 character ([csv] encoding = "cp1252"): the file is in another encoding; '
            "save it as UTF-8, or set [csv] encoding to the one it is in",
        )
    ]
    (row,) = report.issues[report.issues.rule == "file:encoding"].itertuples()
    assert (row.file, row.line) == ("events.txt", 4)


def test_the_assistant_offers_the_encoding_cp1252_chosen_and_its_profile_imports(tmp_path):
    """reg41 after the delimiter was fixed (reg41_v1.toml, latin-1): the page offered no encoding and no "Fix the
    mapping here". The assistant now offers [csv] encoding, cp1252 chosen for the file whose bytes say so; the
    profile it writes imports the twelve patients."""
    from pts_explorer.importer import assistant, assistant_choices
    from pts_explorer.importer.formats import load

    report = _run(HERE / "reg41_v1.toml", REG41, tmp_path / "out.duckdb")
    profile = load(str(HERE / "reg41_v1.toml"))
    found = assistant_choices.survey(profile, REG41)
    choices = assistant_choices.encoding_choices(profile, [str(r) for r in report.issues.rule], found)
    with_c1 = [p.name for p in REG41 if any(0x80 <= b <= 0x9F for b in p.read_bytes())]
    assert with_c1 == ["patients.txt"]
    assert [(c.key, c.label, [o.writes for o in c.options], c.default) for c in choices] == [
        (
            "csv_encoding",
            "[csv] encoding: 1 file not latin-1 text (patients.txt); their bytes 0x80-0x9F are Windows-1252 "
            "punctuation",
            [
                ((("csv", "encoding"), "cp1252"),),
                ((("csv", "encoding"), "utf-8"),),
                ((("csv", "encoding"), "utf-16"),),
            ],
            0,
        )
    ]
    writes = [*choices[0].options[0].writes, (("csv", "missing_values"), ["n/a"]), (("dates", "formats"), ["%d.%m.%Y"])]
    edited = tmp_path / "edited.toml"
    data = assistant.edited(profile, {}, {}, writes=writes)
    edited.write_text(assistant.dumps(data), encoding="utf-8")
    imported = _run(edited, REG41, tmp_path / "edited.duckdb", check=False)
    assert imported.imported, imported.text()
    assert imported.tables["patients"] == len(_tab_rows("patients.txt")) == 12


# --- Finding 4: REDCap's "CSV (labels)" export ------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["redcap", str(HERE.parent / "review14" / "rc31_v2.toml")])
def test_a_redcap_labels_export_is_one_error_asking_for_the_raw_export_and_no_boxes(tmp_path, profile):
    """rc41lab: REDCap's labels export (label headers, "Complete?" once per instrument) was refused for a repeated
    column name, and the assistant showed 41 boxes with nothing to offer. Now one error saying it is the labels
    export and which to take instead; the assistant offers no choice, only that advice."""
    from pts_explorer.importer import assistant

    files = sorted((HERE / "rc41lab").glob("*.csv"))
    export = next(f for f in files if "LABELS" in f.name)
    with export.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[0] == "Record ID" and header.count("Complete?") > 1
    choice = next(c for c in header if "(choice=" in c)
    report = _run(profile, files, tmp_path / "out.duckdb")
    assert _errors(report) == [
        (
            "redcap:label_header",
            f"the header holds REDCap's field labels ('Record ID', 'Complete?', {choice!r}), not its variable names: "
            "export the records again with the variable names as the header (REDCap's Data Exports: \"CSV / "
            'Microsoft Excel (raw data)"), with the same fields; the records are read once the header holds the '
            "variable names",
        )
    ]
    assert assistant.unfixable(list(report.issues.rule)) == assistant.UNFIXABLE["redcap:label_header"]


# --- Finding 3: ADTTE with CNSR coded 1 = event -----------------------------------------------------------------

ADAM41 = sorted((HERE / "adam41").glob("*.xpt"))


def _adtte():
    adtte, _ = pyreadstat.read_xport(str(HERE / "adam41" / "adtte.xpt"))
    return adtte


def test_cnsr_that_contradicts_evntdesc_in_every_record_is_a_warning_naming_the_key(tmp_path):
    """adam41's ADTTE: CNSR = 1 exactly where EVNTDESC names the event. Imported without a word, then Data checks
    said "sponsor 4 events" for one. Now a warning counting the contradicted records and naming [adtte] cnsr_event."""
    adtte = _adtte()
    evnt = adtte.EVNTDESC.str.strip() != ""
    censored = adtte.CNSDTDSC.str.strip() != ""
    described = int((evnt ^ censored).sum())
    contradicted = int(((evnt & (adtte.CNSR == 1)) | (censored & (adtte.CNSR == 0))).sum())
    assert described == contradicted == len(adtte) == 15
    report = _run(HERE / "adam41_adtte.toml", ADAM41, tmp_path / "out.duckdb")
    warned = report.issues[report.issues.rule == "adam:adtte_cnsr"]
    assert list(zip(warned.severity, warned.message, strict=True)) == [
        (
            "warning",
            f"ADTTE CNSR contradicts EVNTDESC / CNSDTDSC in {contradicted} of the {described} records that describe "
            "their end (an event described where CNSR says censored, a censoring where it says event), read with "
            "CNSR 0 = event ([adtte] cnsr_event = 0): the sponsor seems to code CNSR 1 = event; if so, set [adtte] "
            "cnsr_event = 1 in a copy of the profile (the Data checks reconciliation counts the sponsor's events by "
            "it)",
        )
    ]


def test_cnsr_event_1_stores_the_sponsors_events_the_cdisc_way_and_the_warning_goes(tmp_path):
    """With [adtte] cnsr_event = 1 the stored CNSR is CDISC's (0 = event): the sponsor's TTLPP events are the
    records with CNSR = 1 in its file (one, ADM41-03's stent thrombosis), and no warning is left."""
    profile = tmp_path / "p.toml"
    text = (HERE / "adam41_adtte.toml").read_text(encoding="utf-8")
    assert "[adtte]\n" in text
    profile.write_text(text.replace("[adtte]\n", "[adtte]\ncnsr_event = 1\n"), encoding="utf-8")
    out = tmp_path / "out.duckdb"
    report = _run(profile, ADAM41, out, check=False)
    assert report.imported, report.text()
    assert report.issues[report.issues.rule == "adam:adtte_cnsr"].empty
    adtte = _adtte()
    expected = sorted((p, u) for p, u, c in zip(adtte.PARAMCD, adtte.USUBJID, adtte.CNSR, strict=True) if c == 1)
    with duckdb.connect(str(out), read_only=True) as con:
        events = con.execute(
            "SELECT paramcd, usubjid FROM sponsor_adtte WHERE try_cast(cnsr AS DOUBLE) = 0 ORDER BY 1, 2"
        ).fetchall()
    assert events == expected == [("TTLPP", "ADM41-03"), ("TTUHEAL", "ADM41-02")]


def test_a_cnsr_event_that_is_neither_0_nor_1_is_refused_by_name(tmp_path):
    profile = tmp_path / "p.toml"
    text = (HERE / "adam41_adtte.toml").read_text(encoding="utf-8")
    profile.write_text(text.replace("[adtte]\n", '[adtte]\ncnsr_event = "Y"\n'), encoding="utf-8")
    report = _run(profile, ADAM41, tmp_path / "out.duckdb")
    assert (
        "adam:profile",
        "[adtte] cnsr_event is the CNSR value that means an event: 0 (CDISC's coding, the "
        "default) or 1 (a sponsor who codes 1 = event), not 'Y'",
    ) in _errors(report)


def test_data_checks_says_when_nearly_every_event_status_is_swapped():
    """The reviewer's Data checks numbers: TTLPP differs for 4 of the 4 patients both hold, TTUHEAL for 2 of 2:
    what an inverted CNSR gives, said with the key; one difference in four is a definition, not said."""
    from pts_explorer.display.reconciliation import swapped_status_note

    assert swapped_status_note("Primary patency (TTLPP)", 4, 4) == (
        "Primary patency (TTLPP): the event status differs for 4 of the 4 patients both hold (every one), which is "
        "what a CNSR coded the other way gives (1 = event, where CDISC codes 0 = event). If the sponsor codes it "
        "so, set [adtte] cnsr_event = 1 in the import profile and import again: the sponsor's events are then "
        "counted by it."
    )
    assert swapped_status_note("Primary patency (TTLPP)", 20, 19).split(" (")[2].startswith("nearly all")
    assert swapped_status_note("Primary patency (TTLPP)", 4, 1) is None
    assert swapped_status_note("Primary patency (TTLPP)", 1, 1) is None


# --- Finding 5 and the remainders of (a) -------------------------------------------------------------------------


def test_an_unmapped_visits_closing_advice_names_the_empty_month_too(tmp_path):
    """adam31 (review 14's files) with the built-in visit map: the error for "Unplanmäßiger Besuch" ended with
    "= the month" only; its closing line now names = "" (no scheduled visit) as well."""
    adqs, _ = pyreadstat.read_xport(str(HERE.parent / "review14" / "adam31" / "adqs.xpt"))
    adsl, _ = pyreadstat.read_xport(str(HERE.parent / "review14" / "adam31" / "adsl.xpt"))
    itt = set(adsl.USUBJID[adsl.ITTFL == "Y"])
    visit = "Unplanmäßiger Besuch"
    n = int((adqs.AVISIT.eq(visit) & (adqs.ANL01FL == "Y") & adqs.USUBJID.isin(itt)).sum())
    (number,) = set(adqs.AVISITN[adqs.AVISIT.eq(visit)])
    report = _run(
        HERE.parent / "review14" / "adam31_v1.toml",
        sorted((HERE.parent / "review14" / "adam31").glob("*.xpt")),
        tmp_path / "out.duckdb",
    )
    shown = set(report.issues.message[report.issues.value.astype(str).str.startswith(visit)])
    assert shown == {
        f'{n} records flagged for analysis (ANL01FL = "Y") at visit AVISIT "{visit}" / AVISITN {number:g}, which '
        "neither [visits.AVISIT] nor [visits.AVISITN] of the profile maps: they would not be imported (an "
        "unscheduled visit is set aside only when its AVISIT says UNSCHEDULED, it is not flagged for analysis, or "
        '[visits] maps it to "", no scheduled visit). Map the visit to its month in a copy of the profile: '
        '[visits.AVISIT] (its AVISIT text) or [visits.AVISITN] (its AVISITN) = the month, or = "" if it is no '
        "scheduled visit (its records are then set aside, counted in the report); a profile's [visits] replaces "
        "the built-in's whole, so copy the keys it still needs"
    }


def test_day_1_is_offered_month_0_first_and_screening_not_a_visit_first():
    """adam41's AVISIT "Day 1" (AVISITN 1) was offered month 1 first; sdtm41's SCREENING (VISITNUM 10, before
    RFSTDTC) month 0 first. A day is no month: Day 1 offers month 0 first; SCREENING offers "not a scheduled
    visit" first. Neither is chosen for the user."""
    from pts_explorer.importer import assistant_choices
    from pts_explorer.importer.formats import load

    adam = load("adam")
    day1 = [
        c
        for c in assistant_choices.avisit_choices(adam, assistant_choices.survey(adam, ADAM41))
        if c.key == "adam_avisit_Day 1"
    ]
    assert [(c.options[0].text, c.default) for c in day1] == [("month 0", None)]
    sdtm = load(str(HERE / "sdtm41_v2.toml"))
    files = sorted((HERE / "sdtm41").glob("*.xpt"))
    qs = _qs("sdtm41")
    assert set(qs.VISIT[qs.VISITNUM == 10]) == {"SCREENING"}
    screening = [
        c
        for c in assistant_choices.visit_choices(sdtm, assistant_choices.survey(sdtm, files))
        if c.key == "sdtm_visit_10"
    ]
    assert [(c.options[0].text, c.default) for c in screening] == [(assistant_choices.NOT_A_VISIT, None)]
