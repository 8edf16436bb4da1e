"""What the sixth outside reviewer of issue 23 found (tests/fixtures/review12: their files as written, the
generators kept as *.py.txt). Expected values are read off the fixtures' own records here (csv), never from
the importer; whole messages compared."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import duckdb

from pts_explorer.importer import Options, run_import
from pts_explorer.importer.report import ImportReport
from pts_explorer.vocab import VILLALTA_ITEMS

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "review12"
RC23 = sorted((HERE / "rc23").glob("*.csv"))


def _run(profile: Path | str, sources: list[Path], out: Path, check: bool = True) -> ImportReport:
    return run_import(profile, sources, out, Options(synthetic=False, check_only=check), progress=lambda _: None)


def _rc23_rows() -> list[dict[str, str]]:
    with (HERE / "rc23" / "PTSRC23_DATA_2024-11-04_1412.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _profile(name: str) -> dict:
    return tomllib.loads((HERE / name).read_text(encoding="utf-8"))


# --- finding 1: follow-ups as a repeating instrument inside one event -------------------------------------


def test_rows_of_a_repeating_instrument_holding_visits_the_profile_does_not_read_are_an_error(tmp_path):
    """rc23 with rc23_v1.toml (no [visits] instrument): the import succeeded with the 10 baselines only, the
    29 rows of the repeating instrument `villalta` (the follow-ups) lost with one warning. Rows of a
    repeating instrument holding Villalta items are now an error naming the instrument, its events, the row
    count and the key."""
    items = [_profile("rc23_v1.toml")["fields"][k] for k in VILLALTA_ITEMS]
    held = [r for r in _rc23_rows() if r["redcap_repeat_instrument"] == "villalta" and any(r[i].strip() for i in items)]
    events = sorted({r["redcap_event_name"] for r in held})
    assert len(held) == 29 and events == ["follow_up_arm_1", "follow_up_arm_2"]
    report = _run(HERE / "rc23_v1.toml", RC23, tmp_path / "out.duckdb", False)
    assert not report.imported
    errors = report.issues[report.issues.severity == "error"]
    assert list(zip(errors.rule, errors.message, strict=True)) == [
        (
            "redcap:instrument_visits",
            f"{len(held)} rows of the repeating instrument 'villalta' at events {', '.join(events)} hold visits "
            "(Villalta items) that the profile does not read ([visits] instrument = '(none)'): they would not be "
            'imported. Set [visits] instrument = "villalta" in a copy of the profile, with [visits] month = the '
            "field holding each visit's month (none named now); a baseline on the non-repeating form of an event "
            "[events] maps to 0 is read too",
        )
    ]
    step = "repeating instrument villalta not in the profile"
    funnel = [(f.records, f.loss) for f in report.funnel if f.step == step]
    assert funnel == [(len(held), True)]  # the page's Lost column


def test_baseline_from_the_event_map_and_follow_ups_from_the_repeating_instruments_month_import_all(tmp_path):
    """rc23 with rc23_v2.toml ([visits] instrument = "villalta", month = "fu_month", [events] baseline_arm_N =
    0): refused with "only 0 of 10 patients have a baseline", the non-repeating baseline rows no longer read.
    Now the baseline comes from the event map, the follow-ups from fu_month (99 Unscheduled mapped to "")."""
    profile = _profile("rc23_v2.toml")
    items = [profile["fields"][k] for k in VILLALTA_ITEMS]
    unmapped = {k for k, v in profile["values"]["visit_month"].items() if v == ""}
    expected = {}
    for r in _rc23_rows():
        if not any(r[i].strip() for i in items):
            continue
        if r["redcap_repeat_instrument"] == "villalta" and r["fu_month"] not in unmapped:
            month = int(r["fu_month"])
        elif not r["redcap_repeat_instrument"] and profile["events"].get(r["redcap_event_name"]) == 0:
            month = 0
        else:
            continue
        expected[(r["pt_id"], month)] = sum(int(r[i]) for i in items)
    assert len(expected) == 38 and sum(1 for _, m in expected if m == 0) == 10
    report = _run(HERE / "rc23_v2.toml", RC23, tmp_path / "out.duckdb", False)
    assert report.imported, report.text()
    with duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT patient_id, visit_month, villalta_total FROM visits").fetchall()
    assert {(p, m): t for p, m, t in rows} == expected and len(rows) == len(expected)


# --- finding 2: a contract CSV's dd/mm/yyyy dates ---------------------------------------------------------


CSV23C = sorted((HERE / "csv23c").glob("*.csv"))


def _enrolled(folder: Path) -> list[str]:
    with (folder / "patients.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [r["enrolled_on"] for r in csv.DictReader(handle, delimiter=";")]


def test_a_contract_csvs_day_first_dates_name_the_dates_formats_entry_that_reads_them(tmp_path):
    """csv23c with csv23_v1.toml ([csv] ";" and ","): "patients.enrolled_on must be a date (YYYY-MM-DD)" named
    no key. It names [dates] formats with the one style that reads every value (a day above 12 rules out
    month first); csv23_v2.toml, which adds it, imports every enrolment date as the source writes it."""
    dates = sorted(set(_enrolled(HERE / "csv23c")))
    assert any(int(d.split("/")[0]) > 12 for d in dates)  # day first, not month first
    report = _run(HERE / "csv23_v1.toml", CSV23C, tmp_path / "out.duckdb")
    errors = report.issues[report.issues.severity == "error"]
    assert set(errors.rule) == {"type:patients.enrolled_on"} and len(errors) == len(_enrolled(HERE / "csv23c"))
    assert set(errors.message) == {
        'patients.enrolled_on must be a date (YYYY-MM-DD). Set [dates] formats = ["%d/%m/%Y"] in a copy of the '
        f"profile: it reads every one of its {len(dates)} dates ({', '.join(dates[:3])}, ...)."
    }
    assert _profile("csv23_v2.toml")["dates"]["formats"] == ["%d/%m/%Y"]
    report = _run(HERE / "csv23_v2.toml", CSV23C, tmp_path / "v2.duckdb", False)
    assert report.imported, report.text()
    with duckdb.connect(str(tmp_path / "v2.duckdb"), read_only=True) as con:
        got = dict(con.execute("SELECT patient_id, CAST(enrolled_on AS VARCHAR) FROM patients").fetchall())
    with (HERE / "csv23c" / "patients.csv").open(encoding="utf-8-sig", newline="") as handle:
        want = {
            r["patient_id"]: "-".join(reversed(r["enrolled_on"].split("/")))
            for r in csv.DictReader(handle, delimiter=";")
        }
    assert got == want


def test_dates_that_read_either_way_round_offer_both_styles(tmp_path):
    """The same delivery with every enrolment date's day and month 12 or below (the reviewer's patients.csv with
    the days above 12 moved to the 1st to 12th): both "%d/%m/%Y" and "%m/%d/%Y" read them all, and the message
    says the values cannot tell which, offering both."""
    folder = tmp_path / "csv"
    folder.mkdir()
    for path in CSV23C:
        text = path.read_bytes()
        if path.name == "patients.csv":
            text = text.replace(b";15/04/2021;", b";11/04/2021;").replace(b";21/03/2021;", b";10/03/2021;")
            for day in range(13, 32):
                text = text.replace(f";{day:02d}/".encode(), f";{day % 12 + 1:02d}/".encode())
        (folder / path.name).write_bytes(text)
    dates = sorted(set(_enrolled(folder)))
    assert all(int(p) <= 12 for d in dates for p in d.split("/")[:2])
    report = _run(HERE / "csv23_v1.toml", sorted(folder.glob("*.csv")), tmp_path / "out.duckdb")
    errors = report.issues[report.issues.rule == "type:patients.enrolled_on"]
    assert set(errors.message) == {
        'patients.enrolled_on must be a date (YYYY-MM-DD). Both [dates] formats = ["%d/%m/%Y"] (day first) and '
        f'["%m/%d/%Y"] (month first) read every one of its {len(dates)} dates ({", ".join(dates[:3])}, ...): the '
        "values cannot tell which; set the one the source is written in, in a copy of the profile."
    }


# --- findings 5 and 6: a trailing ";" on every line, an empty ";;;;" row --------------------------------------


def test_a_trailing_delimiter_on_every_line_is_one_warning_per_file_and_the_rest_is_checked(tmp_path):
    """csv23 (every line ends with ";") with csv23_v2.toml: 5 errors "the header has an empty or repeated column
    name ''" and nothing else was checked. The unnamed, all-empty last column is each file's trailing delimiter:
    one warning per file, and the delivery is checked (and imports) as csv23c does."""
    files = sorted((HERE / "csv23").glob("*.csv"))
    trailing = []
    for path in files:
        lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip(";")]
        if all(line.endswith(";") for line in lines):
            trailing.append(path.name)
    assert len(trailing) == 5
    report = _run(HERE / "csv23_v2.toml", files, tmp_path / "out.duckdb", False)
    assert report.imported, report.text()
    said = report.issues[report.issues.rule == "file:trailing_delimiter"]
    assert sorted(zip(said.file, said.line, said.message, strict=True)) == [
        (name, 1, "every line ends with the delimiter ';' (an unnamed last column, empty in every row): not read")
        for name in sorted(trailing)
    ]
    clean = _run(HERE / "csv23_v2.toml", CSV23C, tmp_path / "clean.duckdb", False)
    assert clean.imported
    with (
        duckdb.connect(str(tmp_path / "out.duckdb"), read_only=True) as a,
        duckdb.connect(str(tmp_path / "clean.duckdb"), read_only=True) as b,
    ):
        for table in ("patients", "visits", "procedures", "events"):
            query = f"SELECT * FROM {table} ORDER BY ALL"
            assert a.execute(query).fetchall() == b.execute(query).fetchall(), table


def test_an_empty_row_is_one_warning_not_one_error_per_column(tmp_path):
    """csv23b: visits.csv ends with an empty ";;;;" row; 15 errors "visits.<column> is empty (NULL)" were given,
    one per required column. It is now one warning naming its line, and nothing else of it."""
    lines = (HERE / "csv23b" / "visits.csv").read_text(encoding="utf-8-sig").splitlines()
    empty = [n for n, line in enumerate(lines, start=1) if n > 1 and not line.strip(";").strip()]
    assert len(empty) == 1
    report = _run(HERE / "csv23_v2.toml", sorted((HERE / "csv23b").glob("*.csv")), tmp_path / "out.duckdb")
    assert report.errors == 0, report.text()
    on_it = report.issues[(report.issues.file == "visits.csv") & report.issues.line.isin(empty)]
    assert list(zip(on_it.severity, on_it.rule, on_it.message, strict=True)) == [
        ("warning", "file:empty_row", "a row with every cell empty (as a spreadsheet writes below a table): not read")
    ]


# --- finding 4: two ABLFL = "Y" baseline sets of one subject (a re-screen) -------------------------------------


def _duplicated(folder: Path, name: str) -> dict[tuple[str, float], list[tuple[int, str, str, str]]]:
    """(subject, AVISITN) -> [(line, PARAMCD, AVAL as the source writes it, ADT)] of the records flagged as
    the baseline (ABLFL = "Y") whose parameter has two different values there, read off the reviewer's file."""
    import pyreadstat

    frame, _ = pyreadstat.read_xport(str(folder / name))
    frame["line"] = range(1, len(frame) + 1)
    base = frame[frame.ABLFL.str.strip() == "Y"]
    out: dict[tuple[str, float], list[tuple[int, str, str, str]]] = {}
    for (subject, paramcd), g in base.groupby(["USUBJID", "PARAMCD"]):
        if g.AVAL.nunique() > 1:
            for r in g.itertuples():
                out.setdefault((subject, float(r.AVISITN)), []).append(
                    (int(r.line), paramcd, f"{r.AVAL:g}", r.ADT.isoformat())
                )
    return out


def test_two_baseline_sets_of_one_subject_name_subject_visit_values_dates_and_the_way_out(tmp_path):
    """adam23 (PTS11-104 re-screened: a second ABLFL = "Y" set 37 days earlier, written first), adam23b (the
    same with the re-screen's ANL01FL blank), adam11_v2.toml: refused (safe) with "more than one analysis value
    for this subject, visit and parameter" naming no subject, visit, values or fix. One message per subject and
    visit now names them, says both are flagged as the baseline and how to keep one."""
    for folder in (HERE / "adam23", HERE / "adam23b"):
        report = _run(HERE / "adam11_v2.toml", sorted(folder.glob("*.xpt")), tmp_path / f"{folder.name}.duckdb")
        got = report.issues[report.issues.rule == "adam:duplicate"]
        expected = []
        for name in ("adqsvcss.xpt", "adqsvil.xpt"):
            found = _duplicated(folder, name)
            assert list(found) == [("PTS11-104", 0.0)]
            records = sorted(found[("PTS11-104", 0.0)], key=lambda r: (r[1], r[3], r[0]))
            params = sorted({r[1] for r in records})
            values = [f"{p} {v} ({d}, flagged)" for _, p, v, d in records]
            shown = "; ".join(values[:6]) + (f"; ... ({len(values) - 6} more)" if len(values) > 6 else "")
            message = (
                f"PTS11-104 month 0 (AVISITN 0): more than one analysis value of {len(params)} "
                f"parameter{'s' if len(params) > 1 else ''} ({shown}); every one is flagged as the baseline (ABLFL = "
                "'Y'), as for a re-screened subject's two baseline sets: keep ABLFL = 'Y' (and ANL01FL) on one record "
                "per parameter, the baseline to use, in the source. The import never picks one"
            )
            expected += [(name, line, "PTS11-104", message) for line, *_ in records]
        assert sorted(zip(got.file, got.line, got.record, got.message, strict=True)) == sorted(expected)
