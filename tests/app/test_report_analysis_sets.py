"""The HTML report and the exported images say, beside each result, how many patients that result
uses (outside review of #22): the design statement gives the n of the analysis set (those with an
ulcer at baseline, those seen at the visit, the stented patients of each cohort), not the cohort's;
Effects' per-visit p-values carry the multiplicity caution; the hazard ratio's heading names the
method as the page does; Compare's images say what each cohort is. Counts are recomputed here from
the database's rows with SQL and pandas; each line is compared whole."""

import html
import re

import duckdb
import pandas as pd
import pytest

from pts_explorer import exports
from pts_explorer.config import DUCKDB_CONFIG
from pts_explorer.filters import CohortFilter
from tests.unit.test_compare import _due, _primary_patency
from tests.unit.test_trajectory_recompute import _pandas_cohort

SCHEDULED = (  # the visits a study schedules (an off-schedule record is not analysed)
    "SELECT v.* FROM visits v JOIN patients p USING (patient_id) JOIN studies s USING (study_id) "
    "WHERE list_contains(s.visit_months, v.visit_month)"
)
RANDOMIZED = "Randomized comparison: trial patients analysed as randomized."
POOLED = "Pooled randomized and observational patients: Not a randomized comparison."
SYNTHETIC = "synthetic demo data, not real patients"


def _sql(db_path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True, config=DUCKDB_CONFIG)
    rows = con.execute(sql).fetchall()
    con.close()
    return rows


def _arms(rows: list[tuple]) -> str:
    n = dict(rows)
    return f"{n.get('stent', 0):,} stent, {n.get('medical', 0):,} medical"


def _exported(app_on, db, page: str, query: dict | None = None, keys: tuple = ()):
    at = app_on(db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    for key in keys:
        at.session_state[key] = True
        at.run()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    page_export: exports.PageExport = at.session_state["_export_page"]
    return at, page_export, exports.report_html(page_export)


def _design_lines(report: str) -> list[str]:
    return [html.unescape(line) for line in re.findall(r"<p class='design'><b>Design:</b> (.*?)</p>", report)]


def _seen_at(db_path, month: int, where: str = "s.design = 'randomized'") -> str:
    """Patients per arm with a Villalta total at baseline and at `month` (the ANCOVA's analysis set)."""
    return _arms(
        _sql(
            db_path,
            f"SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month = {month} "
            f"WHERE {where} AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL GROUP BY p.arm",
        )
    )


def _modelled(db_path, where: str = "s.design = 'randomized'") -> str:
    """The MMRM's patients per arm: a baseline value and at least one later scheduled visit's."""
    return _arms(
        _sql(
            db_path,
            f"SELECT p.arm, count(DISTINCT p.patient_id) FROM patients p JOIN studies s USING (study_id) "
            f"JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
            f"JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month > 0 "
            f"WHERE {where} AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL GROUP BY p.arm",
        )
    )


def _cohort(db_path, where: str) -> str:
    return _arms(
        _sql(
            db_path, f"SELECT p.arm, count(*) FROM patients p JOIN studies s USING (study_id) WHERE {where} GROUP BY 1"
        )
    )


# --- 1. the design statement gives the analysis set's n --------------------------------------------


def test_durabilitys_ulcer_healing_design_gives_the_patients_with_an_ulcer(app_on, demo_db):
    _, page, report = _exported(app_on, demo_db, "durability", {"endpoint": "ulcer_healing", "group": "arm"})
    with_ulcer = _arms(
        _sql(
            demo_db,
            "SELECT p.arm, count(*) FROM patients p JOIN visits b ON b.patient_id = p.patient_id "
            "AND b.visit_month = 0 WHERE b.ulcer_present GROUP BY 1",
        )
    )
    assert with_ulcer != _cohort(demo_db, "TRUE")  # the cohort's n would be wrong here
    assert _design_lines(report) == [
        f"{POOLED} Switch on Randomized only for the randomized contrast alone. (n = {with_ulcer})"
    ]
    assert exports.caption(page)[1] == (
        "n = "
        f"{with_ulcer} · pooled randomized and observational, not a randomized comparison · {SYNTHETIC} · "
        f"{page.dataset}"
    )


def test_durabilitys_patency_design_gives_the_stented_patients_it_follows(app_on, demo_db):
    """Primary patency by stenosis grade: stented patients with a successful procedure, no medical one."""
    _, _, report = _exported(app_on, demo_db, "durability", {"endpoint": "primary_patency", "group": "stenosis_grade"})
    stented = _arms(
        _sql(
            demo_db,
            "SELECT p.arm, count(*) FROM patients p JOIN procedures r USING (patient_id) "
            "WHERE p.arm = 'stent' AND r.technical_success GROUP BY 1",
        )
    )
    parts = [  # a grade comparison is observational in any design: no Randomized only is offered
        f"{study} ({design})"
        for study, design in _sql(
            demo_db,
            "SELECT DISTINCT s.study_id, s.design FROM patients p JOIN studies s USING (study_id) "
            "JOIN procedures r USING (patient_id) WHERE p.arm = 'stent' AND r.technical_success ORDER BY 1",
        )
    ]
    studies = ", ".join(parts[:-1]) + " and " + parts[-1]
    assert _design_lines(report) == [
        "Observational comparison: No study assigns stenosis grade at random, so the groups may differ in other "
        "ways, in randomized and observational studies alike. Studies: "
        f"{studies}. (n = {stented})"
    ]


def test_the_subgroups_design_gives_the_patients_seen_at_the_visit(app_on, demo_db):
    at, _, report = _exported(app_on, demo_db, "subgroups")
    assert at.session_state["visit"] == 6
    seen = _seen_at(demo_db, 6)
    assert seen != _cohort(demo_db, "s.design = 'randomized'")
    assert _design_lines(report) == [f"{RANDOMIZED} (n = {seen})"]


def test_the_effects_design_gives_the_mmrms_and_the_ancovas_patients(app_on, demo_db):
    """Effects shows two analyses of two sets: the MMRM (its chart first) models every patient with a
    baseline and a later visit; the ANCOVA those seen at the month. The design line names both (an
    outside review read the ANCOVA's 112/111 as the MMRM's, which has 119/119)."""
    at, _, report = _exported(app_on, demo_db, "effects")
    assert at.session_state["visit"] == 6
    modelled, seen = _modelled(demo_db), _seen_at(demo_db, 6)
    assert modelled != seen
    assert _design_lines(report) == [f"{RANDOMIZED} (n = {modelled} in the MMRM; {seen} seen at month 6 in the ANCOVA)"]


def test_effects_design_with_the_registry_gives_the_pooled_patients_seen_at_month_12(app_on, demo_db):
    at, _, report = _exported(app_on, demo_db, "effects", {"registry": "true", "visit": "12"})
    assert at.session_state["visit"] == 12
    assert _design_lines(report) == [
        f"{POOLED} Switch off Include observational (registry) patients for the randomized contrast alone. "
        f"(n = {_modelled(demo_db, 'TRUE')} in the MMRM; {_seen_at(demo_db, 12, 'TRUE')} seen at month 12 in the "
        "ANCOVA)"
    ]
    # the ANCOVA's own count, as the page shows it, is the same analysis set
    (ancova,) = [r for r in at.session_state["_export_page"].results if r.title == "ANCOVA at month 12"]
    stent, medical = ancova.values["Patients (stent / medical)"].split(" / ")
    assert f"{stent} stent, {medical} medical" == _seen_at(demo_db, 12, "TRUE")


@pytest.mark.parametrize("imputation", ["nri", "complete"])
def test_responders_design_gives_the_patients_due_or_seen_at_the_visit(app_on, demo_db, imputation):
    """Non-responder imputation (the default) counts every randomized patient due at month 6; complete
    cases, those seen at baseline and month 6."""
    query = {} if imputation == "nri" else {"imputation": imputation}
    at, _, report = _exported(app_on, demo_db, "responders", query)
    assert at.session_state["visit"] == 6 and at.session_state["imputation"] == imputation
    if imputation == "complete":
        assert _design_lines(report) == [f"{RANDOMIZED} (n = {_seen_at(demo_db, 6)})"]
        return
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    raw = (
        con.execute("SELECT * FROM patients").df(),
        con.execute(f"SELECT * FROM ({SCHEDULED})").df(),
        {"studies": con.execute("SELECT * FROM studies").df()},
    )
    con.close()
    randomized = set(raw[2]["studies"].query("design == 'randomized'").study_id)
    due = _due(raw, raw[0][raw[0].study_id.isin(randomized)], 6).arm.value_counts()
    assert _design_lines(report) == [f"{RANDOMIZED} (n = {_arms(list(due.items()))})"]


NESTED = {"a": "current", "b": "sub:high_grade_civ_cfv", "compare_arm": "stent"}  # everyone contains B
HIGH_GRADE_ILIOFEMORAL = CohortFilter(site=("common_iliac", "common_femoral"), grade=("70-99%", "occlusion"))
B_NAME = "70%+ obstruction of the common iliac or common femoral vein (Common iliac, Common femoral; 70-99%, Occlusion)"


@pytest.fixture(scope="module")
def raw(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    patients = con.execute("SELECT * FROM patients").df()
    visits = con.execute(f"SELECT * FROM ({SCHEDULED})").df()
    base = visits[visits.visit_month == 0].set_index("patient_id")
    patients["baseline_band"] = patients.patient_id.map(base.pts_band)
    patients["baseline_ulcer"] = patients.patient_id.map(base.ulcer_present).fillna(False).astype(bool)
    tables = {name: con.execute(f"SELECT * FROM {name}").df() for name in ("procedures", "events", "studies")}
    con.close()
    return patients, visits, tables


def _nested_sides(raw) -> dict[str, pd.DataFrame]:
    """B (high-grade iliofemoral) and the rest of A (everyone), within the stent arm."""
    stent = raw[0][raw[0].arm == "stent"]
    a, b = _pandas_cohort(stent, CohortFilter()), _pandas_cohort(stent, HIGH_GRADE_ILIOFEMORAL)
    return {"A without B": a[~a.patient_id.isin(b.patient_id)], "B": b}


def _studies(raw, patients: pd.Series) -> str:
    design = raw[2]["studies"].set_index("study_id").design
    pts = raw[0].set_index("patient_id")
    kinds: dict[str, list[str]] = {}
    for study in sorted(set(pts.loc[patients, "study_id"])):
        kinds.setdefault(design[study], []).append(study)
    words = {"randomized": "randomized trial patients", "observational": "observational (registry) patients"}
    if len(kinds) == 1:
        ((kind, studies),) = kinds.items()
        return f"{words[kind]} only ({', '.join(studies)})"
    return "pooled " + " and ".join(f"{k} ({', '.join(s)})" for k, s in sorted(kinds.items())) + " patients"


def _compare_line(result: str, sides: dict[str, tuple[pd.Series, str]], n: str) -> str:
    return (
        f"Cohort against cohort, not randomized: {result}: "
        + "; ".join(f"{side}: {studies}" for side, (_, studies) in sides.items())
        + f". Patients are not randomized between cohorts: they may differ in more than their filters (Table 1). "
        f"(n = {n})"
    )


def test_compares_design_lines_give_each_results_patients(app_on, demo_db, raw):
    at, _, report = _exported(app_on, demo_db, "compare", NESTED)
    assert at.session_state["visit"] == 6
    visits = raw[1]
    sides = _nested_sides(raw)
    with_baseline = {
        s: c[c.patient_id.isin(visits[(visits.visit_month == 0) & visits.villalta_total.notna()].patient_id)]
        for s, c in sides.items()
    }
    # patency: the stented patients of each side with a technically successful procedure
    patency = {s: _primary_patency(raw, c) for s, c in sides.items()}
    proc = raw[2]["procedures"]
    stented = {s: c[c.patient_id.isin(proc[proc.technical_success].patient_id)].patient_id for s, c in sides.items()}
    assert {s: len(p) for s, p in patency.items()} == {s: len(p) for s, p in stented.items()}
    # change: per visit, the patients with a baseline and that visit's value; a range over the visits
    changed = {}
    for s, c in with_baseline.items():
        at_visit = visits[
            (visits.visit_month > 0) & visits.villalta_total.notna() & visits.patient_id.isin(c.patient_id)
        ]
        counts = at_visit.groupby("visit_month").patient_id.nunique()
        changed[s] = (counts.min(), counts.max(), at_visit.patient_id)
    due = {s: _due(raw, c, 6) for s, c in sides.items()}

    def words(counts: dict[str, str], who: str) -> str:
        return ", ".join(f"{s} {n}" for s, n in counts.items()) + f" {who}"

    expected = [
        _compare_line(
            "Mean trajectories",
            {s: (c.patient_id, _studies(raw, c.patient_id)) for s, c in with_baseline.items()},
            words({s: f"{len(c):,}" for s, c in with_baseline.items()}, "with a baseline value"),
        ),
        _compare_line(
            "Change from baseline",
            {s: (p, _studies(raw, p)) for s, (_, _, p) in changed.items()},
            words(
                {s: f"{lo:,} to {hi:,}" for s, (lo, hi, _) in changed.items()},
                "per visit with a baseline value and the visit's",
            ),
        ),
        _compare_line(
            "Responders at month 6",
            {s: (d.patient_id, _studies(raw, d.patient_id)) for s, d in due.items()},
            words({s: f"{len(d):,}" for s, d in due.items()}, "due at month 6"),
        ),
        _compare_line(
            "Primary patency",
            {s: (p, _studies(raw, p)) for s, p in stented.items()},
            words({s: f"{len(p):,}" for s, p in stented.items()}, "stented with a successful procedure"),
        ),
    ]
    assert _design_lines(report) == expected


# --- 5. Compare's images say what each cohort is ----------------------------------------------------


def test_compares_images_say_what_each_cohort_is_and_its_patients(app_on, demo_db, raw):
    _, page, _ = _exported(app_on, demo_db, "compare", NESTED)
    sides = _nested_sides(raw)
    proc = raw[2]["procedures"]
    stented = {s: int(c.patient_id.isin(proc[proc.technical_success].patient_id).sum()) for s, c in sides.items()}
    visits = raw[1]
    baseline = visits[(visits.visit_month == 0) & visits.villalta_total.notna()].patient_id
    with_baseline = {s: int(c.patient_id.isin(baseline).sum()) for s, c in sides.items()}
    first = f"Compare · A: the sidebar's filters (All patients); B: {B_NAME}"
    kind = "cohort against cohort, not randomized"
    charts = {c.key: c for c in page.charts}
    assert set(charts) == {"compare_chart", "compare_km"}
    assert exports.caption(page, charts["compare_chart"]) == [
        first,
        f"n = A without B {with_baseline['A without B']:,}, B {with_baseline['B']:,} with a baseline value · {kind} · "
        f"{SYNTHETIC} · {page.dataset}",
    ]
    assert exports.caption(page, charts["compare_km"]) == [
        first,
        f"n = {stented['A without B']:,} A without B, {stented['B']:,} B, stented · {kind} · {SYNTHETIC} · "
        f"{page.dataset}",
    ]


# --- 2. Effects' per-visit p-values carry the multiplicity caution ------------------------------------


def test_effects_per_visit_mmrm_p_values_carry_the_multiplicity_note(app_on, demo_db):
    at, page, report = _exported(app_on, demo_db, "effects")
    # Independently: the trial's post-baseline visits at which each arm has patients with a baseline and
    # that visit (the MMRM estimates a difference, with its p, at each).
    (visits,) = _sql(
        demo_db,
        f"""
        SELECT count(*) FROM (
            SELECT f.visit_month FROM patients p JOIN studies s USING (study_id)
            JOIN ({SCHEDULED}) b ON b.patient_id = p.patient_id AND b.visit_month = 0
            JOIN ({SCHEDULED}) f ON f.patient_id = p.patient_id AND f.visit_month > 0
            WHERE s.design = 'randomized' AND b.villalta_total IS NOT NULL AND f.villalta_total IS NOT NULL
            GROUP BY 1
            HAVING count(*) FILTER (WHERE p.arm = 'stent') > 0 AND count(*) FILTER (WHERE p.arm = 'medical') > 0
        )
        """,
    )[0]
    assert visits == 5  # the trial's months 1, 3, 6, 12 and 24
    note = (
        f"Multiplicity: {visits} visit comparisons are shown side by side, each with its own 95% CI and p-value, "
        "with no adjustment for multiple comparisons; at 5% each, some can look significant by chance alone, "
        "so read the pattern over the visits rather than a single visit."
    )
    assert note in [c.value for c in at.caption]
    assert note in page.notes
    assert f"<p class='note'>{html.escape(note)}</p>" in report


# --- 3. the report's heading names the method as the page does ----------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "heading"),
    [("ulcer_healing", "Cause-specific hazard ratio (Cox)"), ("primary_patency", "Hazard ratio (Cox)")],
)
def test_the_hazard_ratios_report_heading_is_the_pages(app_on, demo_db, endpoint, heading):
    at, page, report = _exported(app_on, demo_db, "durability", {"endpoint": endpoint, "group": "stenosis_grade"})
    assert heading in [s.value for s in at.subheader]
    hazard = [t.title for t in page.tables if t.title.endswith("hazard ratio (Cox)") or t.title == "Hazard ratio (Cox)"]
    assert hazard == [heading]
    assert re.findall(r"<h2>([^<]*hazard ratio \(Cox\))</h2>", report, flags=re.IGNORECASE) == [heading]
