"""What the tenth outside reviewer of issue 23 (a sponsor's programmer) found (tests/fixtures/review18/<finding>:
their hand-written files). Expected values are read off the fixtures' own records here (csv, pyreadstat), never
from the importer; whole messages compared."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import openpyxl
import pyreadstat
import pytest

from pts_explorer.importer import Options, assistant, run_import
from pts_explorer.importer.formats import load
from pts_explorer.importer.profiles import ProfileError
from pts_explorer.importer.report import ImportReport

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review18"
VILLALTA_ITEMS = (
    "v_pain",
    "v_cramps",
    "v_heaviness",
    "v_paresthesia",
    "v_pruritus",
    "v_edema",
    "v_induration",
    "v_hyperpigmentation",
    "v_redness",
    "v_ectasia",
    "v_calf_pain",
)
REFUSED = (
    "Correct or remove {} in the profile: a key the format does not read is refused, never ignored (a misspelt "
    "population filter or date format would change what is imported)"
)


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = False) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _issues(report: ImportReport, rule: str) -> list[tuple[str, str]]:
    found = report.issues[report.issues.rule == rule]
    return list(zip(found.severity, found.message, strict=True))


# --- F3: a misspelt section or key of an ADaM or contract profile was silently ignored ------------------------------

F3 = HERE / "F3"


def test_a_misspelt_population_section_or_key_refuses_the_adam_profile(tmp_path):
    """[populaton] and `requires =` imported 6 patients, the non-ITT subject among them; the correct profile 5."""
    adsl, _ = pyreadstat.read_xport(str(F3 / "adsl.xpt"))
    itt = sorted(adsl.loc[adsl.ITTFL == "Y", "USUBJID"])
    assert len(itt) == 5 and len(adsl) == 6
    sources = [F3 / "adsl.xpt", F3 / "adqs.xpt", F3 / "adae.xpt"]
    out = tmp_path / "ok.duckdb"
    report = _run(F3 / "adam_itt_ok.toml", sources, out)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        assert [r[0] for r in con.execute("SELECT patient_id FROM patients ORDER BY 1").fetchall()] == itt
    typo = {
        "adam_itt_typo_section.toml": "[populaton] is not a section of an adam profile (did you mean [population]?)",
        "adam_itt_typo_key.toml": "[population] requires is not a key of [population] in an adam profile (did you "
        "mean require? its keys: require, exclude_arms)",
    }
    for name, said in typo.items():
        out = tmp_path / f"{name}.duckdb"
        report = _run(F3 / name, sources, out)
        assert not report.imported and not out.exists()
        assert report.errors == 1
        assert _issues(report, "profile") == [("error", f"{name}: {said}. {REFUSED.format('it')}")]


@pytest.mark.parametrize(
    ("name", "said", "each"),
    [
        ("adam_misspelt_date.toml", "[date] is not a section of an adam profile (did you mean [dates]?)", "it"),
        ("contract_reg3_date.toml", "[date] is not a section of a contract profile (did you mean [dates]?)", "it"),
        (
            "contract_reg3_notes.toml",
            "[datasets] is not a section of a contract profile (did you mean [tables]?)",
            "it",
        ),
        (
            "redcap_misspelt.toml",
            "[date] is not a section of a redcap profile (did you mean [dates]?); [field] is not a section of a "
            "redcap profile (did you mean [fields]?)",
            "each",
        ),
        (
            "sdtm_misspelt.toml",
            "[qs] retests is not a key of [qs] in an sdtm profile (did you mean retest? its keys: subject, test_code, "
            "numeric_result, coded_result, original_result, visitnum, visit, date, baseline_flag, derived_flag, "
            "status, reason, sequence, category, subcategory, retest, early_baseline, not_done, testcd, laterality, "
            "villalta_category, vcss_category); [date] is not a section of an sdtm profile (did you mean [dates]?)",
            "each",
        ),
    ],
)
def test_every_format_refuses_a_section_or_key_it_does_not_read_the_same_way(name, said, each):
    with pytest.raises(ProfileError) as raised:
        load(F3 / name)
    assert str(raised.value) == f"{name}: {said}. {REFUSED.format(each)}"


def test_the_built_in_profiles_use_only_keys_their_format_reads():
    for name in ("adam", "contract", "redcap", "sdtm"):
        assert load(name).format == name


# --- F2: REDCap codes the data dictionary does not list (choices changed mid-study) --------------------------------

F2 = HERE / "F2"
EXPORT = "PTSRegistry2_DATA_2026-11-30_1412.csv"
DICTIONARY = "PTSRegistry2_DataDictionary_2026-11-30.csv"


def _export(folder: Path) -> list[dict[str, str]]:
    with (folder / EXPORT).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _choices(folder: Path) -> dict[str, str]:
    with (folder / DICTIONARY).open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return {r[0]: r[5] for r in rows[1:]}


def _unlisted(folder: Path, field: str) -> dict[str, tuple[list[str], int]]:
    """Per raw code of `field` that its dictionary's choices do not list: its records and rows (read here)."""
    listed = {c.split(",")[0].strip() for c in _choices(folder)[field].split("|")}
    found: dict[str, tuple[list[str], int]] = {}
    for row in _export(folder):
        code = row[field]
        if code and code not in listed:
            records, n = found.get(code, ([], 0))
            found[code] = (sorted({*records, row["record_id"]}), n + 1)
    return found


def _refusal(folder: Path, field: str, table: str, column: str, code: str, fix: str) -> tuple[str, str]:
    records, rows = _unlisted(folder, field)[code]
    plural = ("s" if len(records) > 1 else "", "s" if rows > 1 else "")
    where = f"{len(records)} record{plural[0]} ({', '.join(records)}; {rows} row{plural[1]})"
    return (
        "error",
        f"field {field!r} ({table}.{column}) holds the code {code!r}, which its data dictionary does not list (its "
        f"choices: {_choices(folder)[field]}), in {where}: were the choices changed during the study? {fix}",
    )


TS_FIX = (
    'Map it in [values.technical_success] of a copy of the profile to true or false (e.g. "0" = "false"); or to "" '
    "to skip it (procedure not imported); or correct the records or the dictionary in REDCap"
)


def test_a_code_the_dictionary_does_not_list_is_refused_never_read_as_a_value(tmp_path):
    """redcap1 with technical_success 0 where the dictionary says "1, Yes | 2, No": imported as false, unsaid."""
    folder = F2 / "redcap1_tech_success_0"
    assert list(_unlisted(folder, "technical_success")) == ["0"]
    report = _run("redcap", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    assert _issues(report, "redcap:not_in_dictionary") == [
        _refusal(
            folder,
            "technical_success",
            "procedures",
            "technical_success",
            "0",
            TS_FIX,
        )
    ]
    assert report.errors == 1  # no cascade: the value is read as empty, its empty check is this error's


def test_a_villalta_item_recoded_mid_study_is_refused_never_shifted(tmp_path):
    """redcap4: the items recoded 0-3 -> 1-4; with the reviewer's maps 1-4 -> 0-3, code 0 (records 101-103) passed
    as 0 and the old 1-3 were shifted down by one: 9 of 17 visits wrong, no word."""
    folder = F2 / "redcap4"
    items = [f for f in _choices(folder) if f.startswith("vil_") and "0" in _unlisted(folder, f)]
    assert len(items) == 9
    out = tmp_path / "out.duckdb"
    report = _run(folder / "redcap_recoded.toml", sorted(folder.glob("*.csv")), out)
    assert not report.imported and not out.exists()
    found = _issues(report, "redcap:not_in_dictionary")
    expected = [
        _refusal(
            folder,
            field,
            "visits",
            field.replace("vil_", "v_"),
            "0",
            "A score is never read from a code the choices do not list: if the item's codes were renumbered, its "
            "older records cannot be told from the newer; recode them in REDCap to the current choices, or, if "
            f"every record holding it means one score, map it in [values.{field.replace('vil_', 'v_')}] of a copy "
            'of the profile (e.g. "0" = 0)',
        )
        for field in items
    ]
    ts = _refusal(folder, "technical_success", "procedures", "technical_success", "0", TS_FIX)
    assert sorted(found) == sorted([*expected, ts])


def test_a_map_keyed_by_a_code_the_dictionary_lacks_applies_and_the_assistant_writes_it(tmp_path):
    """redcap2: sex 0 (the old "0, Female"), compression_use 3 (a dropped "Unknown"), ae_type 12 (a removed choice)
    and technical_success 0 were refused "map it in [values.X]", but that map was ignored and the assistant's
    "skip" wrote nothing."""
    folder = F2 / "redcap2"
    sources = sorted(folder.glob("*.csv"))
    report = _run("redcap", sources, tmp_path / "out.duckdb", check=True)
    rows = assistant.value_rows(report.issues)
    assert [(r.column, r.values, r.labels) for r in rows] == [
        ("compression_use", ("3",), (assistant.NOT_LISTED,)),
        ("event_type", ("12",), (assistant.NOT_LISTED,)),
        ("sex", ("0",), (assistant.NOT_LISTED,)),
        ("technical_success", ("0",), (assistant.NOT_LISTED,)),
    ]
    # The page's choices: sex 0 = female, skip compression 3 and event 12, technical success 0 = false.
    chosen = {
        "sex": {"0": "female"},
        "compression_use": {"3": ""},
        "event_type": {"12": ""},
        "technical_success": {"0": "false"},
    }
    data = assistant.edited(load(folder / "redcap_handfix.toml"), {}, chosen)
    assert {c: {k: data["values"][c][k] for k in m} for c, m in chosen.items()} == chosen
    profile = tmp_path / "edited.toml"
    profile.write_text(assistant.dumps(data), encoding="utf-8")
    out = tmp_path / "edited.duckdb"
    report = _run(profile, sources, out)
    assert report.imported, report.text()
    export = _export(folder)
    (sex_row,) = [r for r in export if r["sex"] == "0"]
    (compression_row,) = [r for r in export if r["compression_use"] == "3"]
    (ae_row,) = [r for r in export if r["ae_type"] == "12"]
    (ts_row,) = [r for r in export if r["technical_success"] == "0"]
    ae_records = [r for r in export if r["record_id"] == ae_row["record_id"] and r["ae_type"] and r["ae_type"] != "12"]
    with duckdb.connect(str(out), read_only=True) as con:
        assert con.execute("SELECT sex FROM patients WHERE patient_id = ?", [sex_row["record_id"]]).fetchall() == [
            ("female",)
        ]
        assert con.execute(
            "SELECT technical_success FROM procedures WHERE patient_id = ?", [ts_row["record_id"]]
        ).fetchall() == [(False,)]
        # compression 3 skipped: that visit is imported with compression_use empty (an optional column)
        assert con.execute(
            "SELECT count(*) FILTER (WHERE compression_use IS NULL) FROM visits WHERE patient_id = ?",
            [compression_row["record_id"]],
        ).fetchall() == [(1,)]
        # ae_type 12 skipped: only the record's other events are imported (death events come from the death date)
        assert con.execute(
            "SELECT count(*) FROM events WHERE patient_id = ? AND event_type <> 'death'", [ae_row["record_id"]]
        ).fetchall() == [(len(ae_records),)]


# --- F5: ADAE whose AESER is filled only when serious ("Y", blank otherwise) ----------------------------------------

F5 = HERE / "F5"


def test_a_blank_aeser_is_named_with_its_records_and_the_key_that_reads_it_as_not_serious(tmp_path):
    adae, _ = pyreadstat.read_xport(str(F5 / "adae.xpt"))
    terms = {k.upper() for k in load(F5 / "adam_pts_st01.toml").values("event_type")}
    events = adae[adae.AEDECOD.str.upper().isin(terms)]
    blank = events[events.AESER.str.strip() == ""]
    assert len(blank) == 2
    sources = sorted(F5.glob("*.xpt"))
    report = _run(F5 / "adam_pts_st01.toml", sources, tmp_path / "out.duckdb", check=True)
    assert report.errors == 1  # the generic "check that the profile names the source column" is gone
    assert _issues(report, "adam:ae_serious_blank") == [
        (
            "error",
            f"AESER ([ae] serious) is blank on {len(blank)} records of ADAE (subjects "
            f"{', '.join(sorted(blank.USUBJID))}; "
            f"terms {', '.join(sorted(blank.AEDECOD.str.upper()))}); the contract requires each event's seriousness. "
            'If a blank AESER means not serious (it is filled only when serious, "Y"), set [values.serious] "" = '
            '"false" in a copy of the profile; otherwise fill AESER in the source',
        )
    ]
    profile = tmp_path / "blank_is_n.toml"
    text = (F5 / "adam_pts_st01.toml").read_text(encoding="utf-8")
    profile.write_text(text + '\n[values.serious]\n"" = "false"\n', encoding="utf-8")
    out = tmp_path / "out.duckdb"
    report = _run(profile, sources, out)
    assert report.imported, report.text()
    with duckdb.connect(str(out), read_only=True) as con:
        got = con.execute("SELECT patient_id, serious FROM events WHERE event_type <> 'death' ORDER BY 1").fetchall()
    assert got == sorted(zip(events.USUBJID, events.AESER == "Y", strict=True))


# --- F6: REDCap records without a data access group -----------------------------------------------------------------

F6 = HERE / "F6"


def test_records_without_a_data_access_group_are_named_with_the_column_and_the_keys(tmp_path):
    rows = _export(F6)
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["record_id"], set()).add(row["redcap_data_access_group"].strip())
    blank = sorted(r for r, g in groups.items() if g == {""})
    assert blank == ["101", "102"]
    report = _run("redcap", sorted(F6.glob("*.csv")), tmp_path / "out.duckdb", check=True)
    assert _issues(report, "redcap:center_group") == [
        (
            "error",
            f"records {', '.join(blank)} have no data access group (redcap_data_access_group is blank on all their "
            "rows), which gives each patient's centre: assign them to a group in REDCap and export again, or read the "
            'centre from a site field ([fields] center_id = "site"), or give one centre for every patient ([study] '
            'center_id = "LEEDS"), in a copy of the profile',
        )
    ]
    assert _issues(report, "required:patients.center_id") == []  # said once, by the error above


# --- F7: contract workbooks: a sheet name with a space, a table split over two sheets -------------------------------

F7 = HERE / "F7"
BOOK = F7 / "PTS_Registry3_two_visit_sheets.xlsx"


def _sheet(name: str) -> list[tuple]:
    rows = list(openpyxl.load_workbook(BOOK, read_only=True)[name].iter_rows(values_only=True))
    return [r for r in rows[1:] if any(v is not None for v in r)]


def test_a_table_split_over_sheets_with_spaces_in_their_names_is_named_in_tables(tmp_path):
    report = _run("contract", [BOOK], tmp_path / "out.duckdb", check=True)
    sheets = sorted(openpyxl.load_workbook(BOOK, read_only=True).sheetnames)
    assert _issues(report, "file:missing") == [
        (
            "error",
            f"no file or sheet named 'visits' (table visits); it is required (tables found: {', '.join(sheets)}); "
            "rename the sheet or file to 'visits', or name it in [tables] visits of a copy of the profile (a list "
            'for a table split over several: visits = ["visits 2022", "visits 2023"])',
        )
    ]
    unused = [
        (
            "warning",
            f"not imported: no table of the profile names {name!r}; if it holds rows of a contract table, name it in "
            f'[tables] of a copy of the profile (e.g. visits = "{name}", or a list of names for a table split over '
            "sheets)",
        )
        for name in ("Notes", "visits 2022", "visits 2023")
    ]
    assert _issues(report, "file:unused") == unused
    # visits = ["visits 2022", "visits 2023"]: both sheets' rows, each as the sheet holds it
    out = tmp_path / "two.duckdb"
    report = _run(F7 / "contract_two_sheets.toml", [BOOK], out)
    assert report.imported, report.text()
    expected = sorted((r[0], r[1], r[2], *r[3:14]) for r in [*_sheet("visits 2022"), *_sheet("visits 2023")])
    items = ", ".join(VILLALTA_ITEMS)
    with duckdb.connect(str(out), read_only=True) as con:
        got = con.execute(f"SELECT patient_id, visit_month, visit_day, {items} FROM visits ORDER BY ALL").fetchall()
    assert got == expected
    assert _issues(report, "file:unused")[0] == unused[0]  # the Notes sheet only
    # One sheet whose name has a space: a sheet name, never "not a plain column name"
    assert load(F7 / "contract_sheet_space.toml").section("tables")["visits"] == "visits 2022"


def test_tables_takes_names_or_lists_of_names_only(tmp_path):
    profile = tmp_path / "bad.toml"
    profile.write_text('[profile]\nversion = 1\nformat = "contract"\n[tables]\nvisits = 3\n', encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load(profile)
    assert str(raised.value) == (
        '[tables] visits: a file or sheet name (e.g. visits = "visits 2022"), or a list of them for a table split '
        'over several sheets or files (e.g. visits = ["visits 2022", "visits 2023"]), not 3'
    )


# --- F8: a decimal comma typed as text in a workbook cell -----------------------------------------------------------

F8 = HERE / "F8" / "PTS_Registry3_export_30Nov2026.xlsx"


def test_a_decimal_comma_in_a_text_cell_names_decimal_separator(tmp_path):
    rows = list(openpyxl.load_workbook(F8, read_only=True)["patients"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == "patient_id")
    bmi = header.index("bmi")
    comma = [r[bmi] for r in rows[rows.index(header) + 1 :] if isinstance(r[bmi], str) and "," in r[bmi]]
    assert comma == ["27,5"]
    report = _run("contract", [F8], tmp_path / "out.duckdb", check=True)
    found = report.issues[(report.issues.rule == "type:patients.bmi") & (report.issues.value == comma[0])]
    assert list(found.message) == [
        'patients.bmi must be a number; it has a decimal comma: set [csv] decimal_separator = "," in a copy of the '
        "profile (it reads text such as 27,5 in CSV files and workbook cells alike; number cells are unaffected)"
    ]


# --- F9: raw values under a header of field labels ------------------------------------------------------------------

F9 = HERE / "F9"


def test_a_labels_header_over_raw_values_is_said_of_the_header_only(tmp_path):
    files = sorted(F9.glob("*.csv"))
    export = next(f for f in files if "LABELS_HEADER" in f.name)
    with export.open(encoding="utf-8-sig", newline="") as handle:
        header, first = next(csv.reader(handle)), next(csv.reader(handle))
    assert header[0] == "Record ID" and first[0].isdigit()  # raw values: the record id a number, not a label
    choice = next(c for c in header if "(choice=" in c)
    report = _run("redcap", files, tmp_path / "out.duckdb", check=True)
    assert _issues(report, "redcap:label_header") == [
        (
            "error",
            f"the header holds REDCap's field labels ('Record ID', 'Complete?', {choice!r}), not its variable names: "
            "export the records again with the variable names as the header (REDCap's Data Exports: \"CSV / "
            'Microsoft Excel (raw data)"), with the same fields; the records are read once the header holds the '
            "variable names",
        )
    ]
    assert assistant.unfixable(list(report.issues.rule)) == (
        'No mapping can fix this export: its header holds REDCap\'s field labels ("Record ID", "Complete?") where '
        "the variable names belong, and no profile key reads them. Export the records again with the variable names "
        'as the header (REDCap\'s Data Exports: "CSV / Microsoft Excel (raw data)"), with the same fields, and check '
        "that export with this profile; what it still lacks is then offered here."
    )
