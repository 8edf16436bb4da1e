"""One rule for a visit outside its study's schedule: it is not analysed, wherever it comes from.

The import case is the issue's: the example contract CSVs, one `visit_month` changed from 1 to 5 by
hand. The import drops the record and names it; Trajectories has no month-5 point; Effects keeps its
MMRM. A file built elsewhere keeps such a row: the Data checks count it and no page reads it,
whether its derived tables are stale or written again. A model that cannot be fitted says why.
"""

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from pts_explorer import derived
from pts_explorer.importer import run_import
from pts_explorer.importer.examples import write_examples
from tests.app.test_fresh_data import _copied_plainly, _open, _tables, _trajectory_expected, _trajectory_shown


@pytest.fixture(scope="module")
def examples(small_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("examples_unscheduled")
    write_examples(small_db, out)
    return out / "contract"


def _off_schedule_csvs(contract: Path, folder: Path) -> tuple[Path, int, str]:
    """The contract CSVs with the first month-1 visit moved to month 5 by hand: (folder, its line
    in visits.csv counting the header as line 1, its patient)."""
    shutil.copytree(contract, folder)
    with (folder / "visits.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    month = rows[0].index("visit_month")
    index = next(i for i, r in enumerate(rows[1:], 1) if r[month] == "1")
    rows[index][month] = "5"
    with (folder / "visits.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return folder, index + 1, rows[index][0]


def test_an_off_schedule_visit_in_an_import_is_dropped_named_and_not_drawn(app_on, examples, tmp_path):
    folder, line, patient = _off_schedule_csvs(examples, tmp_path / "csv")
    out = tmp_path / "imported.duckdb"
    report = run_import("contract", sorted(folder.iterdir()), out, progress=lambda _: None)
    assert report.imported
    dropped = report.issues[report.issues.rule == "schedule:visits"]
    assert dropped[["severity", "file", "line", "record", "column", "value"]].values.tolist() == [
        ["warning", "visits.csv", line, f"{patient} / 5", "visit_month", "5"]
    ]
    assert dropped.message.tolist() == [
        "visit at month 5, not in the schedule of study TRIAL ([0, 1, 3, 6, 12, 24]): record not imported "
        "(the app analyses scheduled visits only)"
    ]
    con = duckdb.connect(str(out), read_only=True)
    assert con.execute("SELECT count(*) FROM visits WHERE visit_month = 5").fetchone() == (0,)
    con.close()

    shown = _trajectory_shown(_open(app_on, out, "trajectories"))
    assert 5 not in set(shown["Visit (month)"])
    assert shown.equals(_trajectory_expected(_tables(out)))

    effects = _open(app_on, out, "effects")
    mmrm = next(df.value for df in effects.dataframe if "df" in df.value.columns)
    assert sorted(mmrm["Visit (month)"].astype(int)) == [1, 3, 6, 12, 24]
    assert not [i.value for i in effects.info if "repeated-measures" in i.value]


@pytest.mark.parametrize("derived_tables", ["stale", "written again"])
def test_an_off_schedule_visit_in_a_file_built_elsewhere_is_counted_and_not_analysed(
    app_on, small_db, tmp_path, derived_tables
):
    edited = tmp_path / "elsewhere.duckdb"
    shutil.copyfile(small_db, edited)
    con = duckdb.connect(str(edited))
    (patient,) = con.execute(
        "UPDATE visits SET visit_month = 5 WHERE visit_month = 1 AND patient_id = "
        "(SELECT min(patient_id) FROM visits WHERE visit_month = 1) RETURNING patient_id"
    ).fetchone()
    if derived_tables == "written again":  # as the generator and the importer write them
        for name in (*derived.DERIVED_TABLES, "derived_info"):
            con.execute(f"DROP TABLE {name}")
        derived.write_derived(con)
    con.close()

    shown = _trajectory_shown(_open(app_on, edited, "trajectories"))
    assert 5 not in set(shown["Visit (month)"])
    assert shown.equals(_trajectory_expected(_tables(edited)))

    checks = _open(app_on, edited, "data_checks")
    findings = next(df.value for df in checks.dataframe if "Rule" in df.value.columns and "Problem" in df.value.columns)
    row = findings[findings.Rule == "schedule:visits"]
    assert row[["Severity", "Rows"]].values.tolist() == [["Warning", "1"]]
    assert row.Problem.tolist() == [
        "visits at a month outside their study's schedule (studies.visit_months): they are not analysed (no page, "
        "model or derived table reads them; an import does not import them)"
    ]
    assert patient in row.Examples.iloc[0]
    assert (findings.Rule == "derived:stale").any() == (derived_tables == "stale")
    con = duckdb.connect(str(edited), read_only=True)
    (day,) = con.execute("SELECT visit_day FROM visits WHERE visit_month = 5").fetchone()
    con.close()
    rows = 1 + (abs(day - 30.44 * 5) > 120)  # moved to month 5, it may also lie outside its window
    stale = " The derived tables are stale: pages read the contract tables (same numbers, slower)."
    banner = [m.value for m in checks.markdown if "Data warnings" in m.value]
    assert banner == [
        f":orange-badge[:material/warning: Data warnings] {rows} row(s) break {rows} check(s) of the data "
        "contract; the numbers leave out the 1 visit(s) outside the schedule and include the rest."
        + (stale if derived_tables == "stale" else "")
    ]


def test_a_model_that_cannot_be_fitted_says_why(app_on, small_db, tmp_path):
    """A scheduled month seen by one patient of one arm: the MMRM's treatment effect there cannot be
    estimated; the page names the month and its counts (not 'too few patients')."""
    t = _tables(small_db)
    trial = t["patients"][(t["patients"].study_id == "TRIAL") & (t["patients"].arm == "stent")].patient_id
    visits = t["visits"]
    patient = visits[(visits.visit_month == 1) & visits.patient_id.isin(trial)].patient_id.min()
    edited = _copied_plainly(
        small_db,
        tmp_path,
        "UPDATE studies SET visit_months = [0, 1, 3, 5, 6, 12, 24] WHERE study_id = 'TRIAL'",
        f"UPDATE visits SET visit_month = 5 WHERE visit_month = 1 AND patient_id = '{patient}'",
    )
    at = _open(app_on, edited, "effects")
    reasons = [i.value for i in at.info if "repeated-measures" in i.value]
    assert reasons == [
        "The repeated-measures model cannot be fitted: TRIAL: month 5 has 1 patient(s) (stent 1, medical 0): the "
        "stent − medical difference at that visit cannot be estimated."
    ]
