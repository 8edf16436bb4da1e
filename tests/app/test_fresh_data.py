"""A file edited by hand after its derived tables were written: every page answers from its rows.

Each test edits one row of one contract table in a copy of a generated file (the way a data manager
would, with SQL on the file), opens the pages that read that table, and compares what they show
with a recomputation from the edited contract tables done here in plain pandas, independently of
the app's queries. The dataset's identity (its fingerprint: saved cohorts, reproduce bundles) must
change with every edit, and the Data checks page must say the derived tables were stale.
"""

import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pts_explorer import db, derived, escape, workspace
from tests.app.test_saved_cohorts import _space

ARMS = {"stent": "Stent", "medical": "Medical"}


def _edited(source: Path, folder: Path, *statements: str) -> Path:
    path = folder / "edited.duckdb"
    shutil.copyfile(source, path)
    con = duckdb.connect(str(path))
    for statement in statements:
        con.execute(statement)
    con.close()
    return path


def _copied_plainly(source: Path, folder: Path, *statements: str) -> Path:
    """A copy whose tables are plain copies (no keys, as a file exported from elsewhere), edited: DuckDB
    refuses to update a row that another table's foreign key references (studies)."""
    path = folder / "plain.duckdb"
    con = duckdb.connect(str(path))
    con.execute("ATTACH $source AS source (READ_ONLY)", {"source": str(source)})
    names = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'source'").fetchall()
    for (name,) in names:
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM source.main.{name}")
    con.execute("DETACH source")
    for statement in statements:
        con.execute(statement)
    con.close()
    return path


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT * FROM {t}").df() for t in ("studies", "patients", "visits", "events", "procedures")
        }
    finally:
        con.close()


def _fingerprint(path: Path) -> str:
    con = db.open_read_only(path)
    try:
        return derived.fingerprint(con)
    finally:
        con.close()


def _scheduled(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The visits at a month of their study's schedule, with the patient's study and arm."""
    schedule = {r.study_id: {int(m) for m in r.visit_months} for r in t["studies"].itertuples()}
    visits = t["visits"].merge(t["patients"][["patient_id", "study_id", "arm"]], on="patient_id")
    keep = [int(m) in schedule[s] for m, s in zip(visits.visit_month, visits.study_id, strict=True)]
    return visits[keep]


def _trajectory_expected(t: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Trajectories' default table (Villalta total, measured, split by study), recomputed."""
    grouped = _scheduled(t).groupby(["study_id", "arm", "visit_month"]).villalta_total
    n, mean, sd = grouped.count(), grouped.mean(), grouped.std(ddof=1)
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)

    def f(v: float) -> str:  # to one decimal, a half away from zero, as the number reads (14.25 -> 14.3)
        if not np.isfinite(v):
            return "—"
        rounded = Decimal(repr(float(v))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{float(rounded) or 0.0:.1f}"

    rows = [
        {
            "Study": study,
            "Arm": ARMS[arm],
            "Visit (month)": int(month),
            "n": int(n[key]),
            "Mean": f(mean[key]),
            "SD": f(sd[key]),
            "95% CI": f"{f(mean[key] - half[key])} to {f(mean[key] + half[key])}" if n[key] > 1 else "—",
        }
        for key in n.index
        for study, arm, month in [key]
    ]
    return pd.DataFrame(rows).sort_values(["Study", "Arm", "Visit (month)"]).reset_index(drop=True)


def _trajectory_shown(at) -> pd.DataFrame:
    table = next(df.value for df in at.dataframe if "Visit (month)" in df.value.columns and "SD" in df.value.columns)
    shown = table.rename(columns={c: "Mean" for c in table.columns if c.startswith("Mean, ")})
    shown = shown[["Study", "Arm", "Visit (month)", "n", "Mean", "SD", "95% CI"]].copy()
    shown["Visit (month)"] = shown["Visit (month)"].astype(int)
    shown["n"] = shown["n"].astype(str).str.replace(",", "").astype(int)
    return shown.sort_values(["Study", "Arm", "Visit (month)"]).reset_index(drop=True)


CELL = re.compile(r"^([\d,]+) of ([\d,]+) · ([\d.]+)%")


def _safety_shown(at) -> dict[tuple[str, str], tuple[int, int, str]]:
    """(complication, arm) -> (patients with one, patients, percent) as the Safety table shows them."""
    table = next(df.value for df in at.dataframe if "Complication" in df.value.columns)
    out = {}
    for row in table.itertuples(index=False):
        values = dict(zip(table.columns, row, strict=True))
        for arm, label in ARMS.items():
            cell = values.get(f"{label}: patients, % (95% CI)")
            if isinstance(cell, str) and (m := CELL.match(cell)):
                out[values["Complication"], arm] = (int(m[1].replace(",", "")), int(m[2].replace(",", "")), m[3])
    return out


LABELS = {"stent_thrombosis": "Stent thrombosis (occlusion)", "restenosis": "In-stent restenosis >50%"}


def _safety_expected(t: dict[str, pd.DataFrame], before_procedure: bool = False) -> dict:
    """Patients with at least one event of each type, per arm: at any time, or before the index
    procedure (stent patients with a procedure; an event on a day before it)."""
    patients, events = t["patients"], t["events"].merge(t["patients"][["patient_id", "arm"]], on="patient_id")
    if before_procedure:
        events = events.merge(t["procedures"][["patient_id", "procedure_day"]], on="patient_id")
        events = events[(events.arm == "stent") & (events.event_day < events.procedure_day)]
    out = {}
    for event_type, label in LABELS.items():
        for arm in ARMS if not before_procedure else ("stent",):
            n = int((patients.arm == arm).sum())
            with_one = events[(events.event_type == event_type) & (events.arm == arm)].patient_id.nunique()
            out[label, arm] = (with_one, n, f"{round(100 * with_one / n, 1):.1f}")
    return out


def _ids(t: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Rows to edit: a stent patient with exactly one stent thrombosis and no restenosis, and a stent
    patient whose event comes after the procedure, with room to move the procedure after it."""
    e = t["events"]
    per = e.pivot_table(index="patient_id", columns="event_type", values="event_day", aggfunc="count", fill_value=0)
    thrombosed = per[(per.get("stent_thrombosis", 0) == 1) & (per.get("restenosis", 0) == 0)].index[0]
    late = e[e.event_type == "restenosis"].merge(t["procedures"], on="patient_id").merge(t["patients"], on="patient_id")
    late = late[(late.event_day > late.procedure_day) & (late.event_day + 1 <= late.last_contact_day)]
    return {"thrombosed": thrombosed, "moved": late.patient_id.iloc[0], "moved_day": int(late.event_day.iloc[0]) + 1}


@pytest.fixture
def ids(small_db) -> dict[str, str]:
    return _ids(_tables(small_db))


def _open(app_on, path: Path, page: str, query: dict | None = None):
    at = app_on(path, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def test_a_recoded_event_reaches_safety_the_checks_and_the_identity(app_on, small_db, tmp_path, ids):
    """The issue's case: an event recoded after the derived tables were written (stent thrombosis ->
    restenosis) changes Safety's counts, is named by the Data checks, and changes the fingerprint."""
    edited = _edited(
        small_db,
        tmp_path,
        f"UPDATE events SET event_type = 'restenosis' WHERE patient_id = '{ids['thrombosed']}' "
        "AND event_type = 'stent_thrombosis'",
    )
    expected = _safety_expected(_tables(edited))
    assert expected != _safety_expected(_tables(small_db))  # the edit changes what Safety must show
    shown = _safety_shown(_open(app_on, edited, "safety", {"period": "any time"}))
    assert {k: shown[k] for k in expected} == expected

    checks = _open(app_on, edited, "data_checks")
    findings = next(df.value for df in checks.dataframe if "Rule" in df.value.columns and "Problem" in df.value.columns)
    stale = findings[findings.Rule == "derived:stale"]
    assert list(stale.Problem) == [
        "The derived tables are stale: events changed after they were written: every page answers from the "
        "contract tables instead (same numbers, slower on a large file); python -m pts_explorer.derived FILE "
        "writes them again"
    ]
    assert _fingerprint(edited) != _fingerprint(small_db)


def test_a_moved_procedure_reaches_safety_before_the_procedure(app_on, small_db, tmp_path, ids):
    edited = _edited(
        small_db,
        tmp_path,
        f"UPDATE procedures SET procedure_day = {ids['moved_day']} WHERE patient_id = '{ids['moved']}'",
    )
    expected = _safety_expected(_tables(edited), before_procedure=True)
    assert expected != _safety_expected(_tables(small_db), before_procedure=True)
    shown = _safety_shown(_open(app_on, edited, "safety", {"period": "before the procedure"}))
    assert {k: shown[k][0] for k in expected} == {k: v[0] for k, v in expected.items()}
    assert _fingerprint(edited) != _fingerprint(small_db)


@pytest.mark.parametrize(
    "table, edit",
    [
        (
            "visits",
            "UPDATE visits SET v_pain = 3, v_cramps = 3, v_heaviness = 3, v_paresthesia = 3, v_pruritus = 3, "
            "v_edema = 3, v_induration = 3, v_hyperpigmentation = 3, v_redness = 3, v_ectasia = 3, v_calf_pain = 3 "
            "WHERE visit_month = 6 AND patient_id = (SELECT min(patient_id) FROM visits WHERE visit_month = 6 "
            "AND patient_id LIKE 'T-%' AND villalta_total < 10)",
        ),
        ("studies", "UPDATE studies SET visit_months = [0, 3, 6, 12, 24] WHERE study_id = 'TRIAL'"),
    ],
)
def test_an_edited_visit_or_schedule_reaches_trajectories(app_on, small_db, tmp_path, table, edit):
    edited = (_copied_plainly if table == "studies" else _edited)(small_db, tmp_path, edit)
    expected = _trajectory_expected(_tables(edited))
    assert not expected.equals(_trajectory_expected(_tables(small_db)))
    pd.testing.assert_frame_equal(_trajectory_shown(_open(app_on, edited, "trajectories")), expected)
    assert _fingerprint(edited) != _fingerprint(small_db)


def test_an_edited_patient_reaches_the_overview(app_on, small_db, tmp_path):
    edit = (
        "UPDATE patients SET obstruction_site = 'ivc' WHERE patient_id = "
        "(SELECT min(patient_id) FROM patients WHERE obstruction_site = 'common_iliac' AND arm = 'stent')"
    )
    edited = _edited(small_db, tmp_path, edit)
    patients = _tables(edited)["patients"]
    ivc = patients[patients.obstruction_site == "ivc"]
    at = _open(app_on, edited, "overview", {"site": "ivc"})
    shown = {m.label: m.value for m in at.metric}
    expected = {
        "Patients": f"{len(ivc):,}",
        "Stent": f"{(ivc.arm == 'stent').sum():,}",
        "Medical": f"{(ivc.arm == 'medical').sum():,}",
    }
    assert {k: shown[k] for k in expected} == expected
    assert _fingerprint(edited) != _fingerprint(small_db)


def test_an_edited_dataset_name_changes_the_identity_and_a_saved_cohort_says_so(
    app_on, small_db, tmp_path, workspace_file
):
    con = db.open_read_only(small_db)
    original_fingerprint = derived.fingerprint(con)
    con.close()
    saved = _space(workspace_file).save(
        "Femoral", {"site": ["femoral"]}, "Small generated data", original_fingerprint, {"stent": 1, "medical": 1}
    )
    edited = _edited(small_db, tmp_path, "UPDATE dataset_info SET dataset_name = 'Renamed by hand'")
    assert _fingerprint(edited) != original_fingerprint
    at = _open(app_on, edited, "overview", {"cohort": saved.slug})
    description = _tables_info(edited)
    # The description is the file's text, shown as text: its Markdown source is escaped.
    assert f"**Renamed by hand**: {escape.markdown(description)}" in [m.value for m in at.markdown]
    warning = [w.value for w in at.warning if "was saved on other data" in w.value]
    assert len(warning) == 1 and f"`{derived.short(original_fingerprint)}`" in warning[0]
    assert isinstance(saved, workspace.SavedCohort)


def _tables_info(path: Path) -> str:
    con = duckdb.connect(str(path), read_only=True)
    try:
        (description,) = con.execute("SELECT description FROM dataset_info").fetchone()
    finally:
        con.close()
    return description
