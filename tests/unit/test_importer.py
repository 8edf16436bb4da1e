"""The importer: every example export imports back into the tables it came from; every malformed
source is rejected (or warned) by the rule that names its problem, through the command line, with
the live database byte for byte unchanged on a rejection and no temporary file left."""

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pts_explorer import db
from pts_explorer.config import PROJECT_ROOT
from pts_explorer.importer import Options, run_import
from pts_explorer.importer.__main__ import main
from pts_explorer.importer.examples import write_examples
from pts_explorer.importer.formats import load
from pts_explorer.importer.profiles import ProfileError
from tests.malformed_sources import CASES, build

DESIGN_OF_PROFILE = {"contract": None, "adam": "randomized", "redcap": "observational"}
TABLES = ("studies", "patients", "visits", "procedures", "events")


@pytest.fixture(scope="session")
def small_examples(small_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples_small")
    write_examples(small_db, out)
    return out


@pytest.fixture(scope="session")
def demo_examples(demo_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples_demo")
    write_examples(demo_db, out)
    return out


@pytest.fixture
def live(small_db, tmp_path) -> Path:
    """A live database the import is aimed at: on a rejection it must keep its bytes."""
    target = tmp_path / "live" / "pts_outcomes.duckdb"
    target.parent.mkdir()
    target.write_bytes(small_db.read_bytes())
    return target


def _rows(path: Path, table: str, design: str | None) -> list[tuple]:
    con = db.open_read_only(path)
    try:
        if table == "studies":
            where = "WHERE $design IS NULL OR design = $design"
        else:
            where = (
                "WHERE patient_id IN (SELECT patient_id FROM patients JOIN studies USING (study_id) "
                "WHERE $design IS NULL OR design = $design)"
            )
        return con.execute(f"SELECT * FROM {table} {where} ORDER BY ALL", {"design": design}).fetchall()
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("profile", ["contract", "adam", "redcap"])
def test_each_example_export_imports_back_into_identical_tables(profile, demo_examples, demo_db, tmp_path):
    out = tmp_path / "imported.duckdb"
    report = run_import(profile, sorted((demo_examples / profile).iterdir()), out, progress=lambda _: None)
    assert report.imported and report.errors == 0 and report.warnings == 0, report.text()
    design = DESIGN_OF_PROFILE[profile]
    for table in TABLES:
        assert _rows(out, table, None) == _rows(demo_db, table, design), table
    con, checked = db.open_checked(out)  # the app opens it at once: no error, no warning
    assert not checked.findings
    name, synthetic, generator = con.execute(
        "SELECT dataset_name, synthetic, generator_version FROM dataset_info"
    ).fetchone()
    assert synthetic is True and generator is None  # the example's dataset.toml says synthetic
    manifest = con.execute("SELECT file, bytes, sha256 FROM import_manifest ORDER BY file").fetchall()
    assert {m[0] for m in manifest} == {p.name for p in (demo_examples / profile).iterdir()}
    for file, size, sha in manifest:
        assert (size, sha) == ((demo_examples / profile / file).stat().st_size, _digest(demo_examples / profile / file))
    assert con.execute("SELECT profile, profile_version, warnings FROM import_info").fetchone() == (profile, 1, 0)
    con.close()


def test_adam_keeps_adtte_for_reconciliation(small_examples, tmp_path):
    out = tmp_path / "adam.duckdb"
    run_import("adam", sorted((small_examples / "adam").iterdir()), out, progress=lambda _: None)
    con = duckdb.connect(str(out), read_only=True)
    rows = con.execute(
        "SELECT paramcd, count(*), sum(CASE WHEN cnsr = '0' THEN 1 ELSE 0 END) FROM sponsor_adtte GROUP BY 1"
    ).fetchall()
    con.close()
    assert rows and rows[0][0] == "PRIMPAT" and 0 < rows[0][2] < rows[0][1]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_malformed_sources_are_named_by_their_rule(case, small_examples, live, tmp_path, capsys):
    sources = build(case, small_examples, tmp_path)
    before = _digest(live)
    code = main(["--quiet", "--profile", case.profile, "--out", str(live), *map(str, sources)])
    printed = capsys.readouterr().out
    assert f"[{case.rule}" in printed, printed
    assert sorted(p.name for p in live.parent.iterdir()) == [live.name]  # no temporary file left
    if case.severity == "error":
        assert code == 1
        assert f"{case.rule}".split(":")[0] and "ERROR" in printed
        assert _digest(live) == before  # the live file keeps its exact bytes
    else:
        assert code == 0
        assert _digest(live) != before
        con = duckdb.connect(str(live), read_only=True)
        stored = con.execute("SELECT count(*) FROM import_issues WHERE rule LIKE $r", {"r": case.rule + "%"}).fetchone()
        con.close()
        assert stored[0] >= 1  # warnings are stored in the imported database


def test_an_issue_names_file_line_record_column_and_value(small_examples, live, tmp_path):
    case = next(c for c in CASES if c.name == "vocabulary in another case")
    report = run_import("contract", build(case, small_examples, tmp_path), live, progress=lambda _: None)
    arm = report.issues[report.issues.rule == "allowed:patients.arm"].iloc[0]
    assert (arm.file, arm.line, arm.column, arm.value) == ("patients.csv", 2, "arm", "Stent")
    assert arm.record and arm.message
    sex = report.issues[report.issues.rule == "allowed:patients.sex"].iloc[0]
    assert (sex.line, sex.value) == (3, "F")
    files = report.file_frame().set_index("File")
    assert files.loc["patients.csv", "Rows with errors"] == 2 and files.loc["visits.csv", "Rows with errors"] == 0


def test_all_problems_are_reported_in_one_pass(small_examples, live, tmp_path):
    folder = tmp_path / "many"
    sources = build(next(c for c in CASES if c.name == "vocabulary in another case"), small_examples, folder)
    from tests import malformed_sources as m

    m.out_of_range(sources[0].parent)
    m.orphan_visit(sources[0].parent)
    m.impossible_date(sources[0].parent)
    report = run_import("contract", sorted(sources[0].parent.iterdir()), live, progress=lambda _: None)
    rules = {r.rule for r in report.rules}
    assert {
        "allowed:patients.arm",
        "allowed:visits.vcss",
        "reference:visits.patient_id",
        "type:patients.enrolled_on",
    } <= rules


def test_csv_and_html_reports(small_examples, live, tmp_path):
    case = next(c for c in CASES if c.name == "Villalta item 4 and VCSS 44")
    sources = build(case, small_examples, tmp_path)
    csv_path, html_path = tmp_path / "issues.csv", tmp_path / "report.html"
    assert (
        main(
            [
                "--quiet",
                "--profile",
                "contract",
                "--out",
                str(live),
                "--report-csv",
                str(csv_path),
                "--report-html",
                str(html_path),
                *map(str, sources),
            ]
        )
        == 1
    )
    issues = pd.read_csv(csv_path)
    assert list(issues.columns) == ["severity", "rule", "file", "line", "record", "column", "value", "message"]
    assert set(issues.rule) >= {"allowed:visits.v_pain", "allowed:visits.vcss"}
    page = html_path.read_text()
    assert "allowed:visits.vcss" in page and "<script" not in page and "http" not in page


def test_a_failure_while_writing_leaves_the_live_file_and_no_temporary_file(small_examples, live, monkeypatch, capsys):
    from pts_explorer.importer import pipeline

    def broken_build(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "_build", broken_build)
    before = _digest(live)
    code = main(
        ["--quiet", "--profile", "contract", "--out", str(live), *map(str, (small_examples / "contract").iterdir())]
    )
    assert code == 2
    assert "internal failure: RuntimeError: disk full" in capsys.readouterr().err
    assert _digest(live) == before and sorted(p.name for p in live.parent.iterdir()) == [live.name]


def test_a_full_disk_is_said_as_such_on_the_command_line(small_examples, live, monkeypatch, capsys):
    """What DuckDB raised on a 2 MiB tmpfs (tried by hand) is the disk's state, named with what to
    free, not an "internal failure"; the live file keeps its bytes."""
    import duckdb

    from pts_explorer.importer import pipeline

    def full(con, tmp, *args):
        raise duckdb.IOException(
            f'IO Error: Checkpoint failed for database "build". Original error: Could not write file "{tmp}": '
            "No space left on device"
        )

    monkeypatch.setattr(pipeline, "_build", full)
    before = _digest(live)
    code = main(
        ["--quiet", "--profile", "contract", "--out", str(live), *map(str, (small_examples / "contract").iterdir())]
    )
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"failed: the disk is full (No space left on device) in the folder of {live.name} or in the temporary "
        "folder ($TMPDIR): free space there and import again.",
        f"{live} was not changed.",
    ]
    assert _digest(live) == before


def test_check_only_writes_nothing(small_examples, live):
    before = _digest(live)
    report = run_import(
        "contract", sorted((small_examples / "contract").iterdir()), live, Options(check_only=True), lambda _: None
    )
    assert not report.imported and report.errors == 0 and "nothing written" in report.outcome
    assert _digest(live) == before


def test_an_unknown_profile_or_missing_source_is_a_clear_rejection(small_examples, live, capsys):
    assert (
        main(
            [
                "--quiet",
                "--profile",
                "spss_magic",
                "--out",
                str(live),
                str(small_examples / "contract" / "patients.csv"),
            ]
        )
        == 1
    )
    assert "no profile 'spss_magic'" in capsys.readouterr().out
    assert main(["--quiet", "--profile", "contract", "--out", str(live), "/nowhere/patients.csv"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_a_profile_cannot_smuggle_sql_through_a_column_name(tmp_path):
    edited = tmp_path / "evil.toml"
    text = load("adam").path.read_text().replace('patient_id = "USUBJID"', 'patient_id = "USUBJID; DROP TABLE x"')
    edited.write_text(text)
    with pytest.raises(ProfileError, match="not a plain column name"):
        load(edited)


def test_the_command_line_exit_codes(small_examples, tmp_path):
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "pts_explorer.importer",
            "--quiet",
            "--profile",
            "contract",
            "--out",
            str(tmp_path / "new.duckdb"),
            *map(str, sorted((small_examples / "contract").iterdir())),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "imported 380 patients" in ok.stdout
    con, report = db.open_checked(tmp_path / "new.duckdb")
    assert con.execute("SELECT count(*) FROM patients").fetchone() == (380,) and not report.errors
    con.close()


def test_line_numbers_stay_right_after_a_rejected_line(small_examples, live, tmp_path):
    from tests import malformed_sources as m

    folder = Path(build(next(c for c in CASES if c.name == "short row"), small_examples, tmp_path)[0]).parent
    m._set(folder / "patients.csv", "sex", 9, "F")  # data row 9 is line 10 of the file
    report = run_import("contract", sorted(folder.iterdir()), live, progress=lambda _: None)
    parse = report.issues[report.issues.rule == "file:parse"]
    assert list(parse.line) == [4]  # the short row
    assert list(report.issues[report.issues.rule == "allowed:patients.sex"].line) == [10]


def test_every_profile_drops_visits_outside_the_study_schedule(small_examples, tmp_path):
    """A REDCap profile whose study schedule leaves out month 12 (edited by hand in a copy): the
    month-12 records are dropped like any unscheduled visit of the contract profile, each named."""
    profile = tmp_path / "my_redcap.toml"
    text = (PROJECT_ROOT / "pts_explorer" / "importer" / "formats" / "redcap.toml").read_text(encoding="utf-8")
    assert "visit_months = [0, 6, 12, 24, 36, 60, 84, 120]" in text
    profile.write_text(text.replace("visit_months = [0, 6, 12, 24", "visit_months = [0, 6, 24"), encoding="utf-8")
    sources = sorted((small_examples / "redcap").iterdir())
    export = pd.read_csv(small_examples / "redcap" / "registry_export.csv", dtype=str)
    due = export[(export.redcap_event_name == "month_12_arm_1") & export.redcap_repeat_instrument.isna()]
    due = due[due.visit_date.notna()]
    out = tmp_path / "redcap.duckdb"
    report = run_import(profile, sources, out, progress=lambda _: None)
    assert report.imported
    dropped = report.issues[report.issues.rule == "schedule:visits"]
    assert sorted(dropped.record) == sorted(f"{r} / 12" for r in due.record_id)
    assert set(dropped.severity) == {"warning"} and set(dropped.value) == {"12"}
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*) FROM visits WHERE visit_month = 12").fetchone() == (0,)
    con.close()


def test_each_import_format_is_one_registry_entry_beside_its_profile(tmp_path):
    """One place per format: every built-in profile file is a FORMATS entry of its own format,
    whose module holds the mapper, help text and example writer the pipeline, page and examples use."""
    from pts_explorer.importer.formats import FORMATS

    folder = PROJECT_ROOT / "pts_explorer" / "importer" / "formats"
    assert {p.stem for p in folder.glob("*.toml")} == set(FORMATS)
    for name, fmt in FORMATS.items():
        assert fmt.name == name and load(name).format == name and fmt.profile.parent == folder
        assert fmt.help and fmt.example_sources and callable(fmt.mapper) and callable(fmt.write_example)
        assert sys.modules[fmt.mapper.__module__] is sys.modules[fmt.write_example.__module__]
