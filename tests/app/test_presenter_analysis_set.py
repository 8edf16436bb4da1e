"""Presenter mode's line above the slide states the analysis set the slide shows: its n per arm and
its design, recomputed here from the contract tables (issue 22, item 5: it gave the whole cohort,
"pooled randomized and observational", above a randomized-only model)."""

import re

import duckdb
import pytest

from pts_explorer.config import DUCKDB_CONFIG, PAGES

TITLES = {p.name: p.title for p in PAGES}
DESIGNS = "randomized|observational|pooled randomized and observational"
LINE = re.compile(rf"n = ((?:[\d,]+ (?:stent|medical)(?:, )?)+) (.+) · ({DESIGNS})")

# Patients of randomized studies with the Villalta total at baseline and at month 6.
SEEN_AT_6 = """
    SELECT p.arm, count(*) AS n, list(DISTINCT s.design) AS designs
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN visits AS b ON b.patient_id = p.patient_id AND b.visit_month = 0
    JOIN visits AS f ON f.patient_id = p.patient_id AND f.visit_month = 6
    WHERE s.design = 'randomized'
    GROUP BY p.arm
"""
# Patients of randomized studies with the Villalta total at baseline and at a later visit (the MMRM's).
MODELLED = """
    SELECT p.arm, count(DISTINCT p.patient_id) AS n, list(DISTINCT s.design) AS designs
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN visits AS b ON b.patient_id = p.patient_id AND b.visit_month = 0 AND b.villalta_total IS NOT NULL
    JOIN visits AS f ON f.patient_id = p.patient_id AND f.visit_month > 0 AND f.villalta_total IS NOT NULL
    WHERE s.design = 'randomized'
    GROUP BY p.arm
"""
# Stent-arm patients of any study with a technically successful procedure (primary patency).
STENTED = """
    SELECT p.arm, count(DISTINCT p.patient_id) AS n, list(DISTINCT s.design) AS designs
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN procedures AS r ON r.patient_id = p.patient_id AND r.technical_success
    WHERE p.arm = 'stent'
    GROUP BY p.arm
"""
# Registry (observational) patients with the Villalta total at baseline and month 6, each covariate of the
# propensity score given (Adjusted registry: overlap weights keep every one of them).
REGISTRY_AT_6 = """
    SELECT p.arm, count(*) AS n, list(DISTINCT s.design) AS designs
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN visits AS b ON b.patient_id = p.patient_id AND b.visit_month = 0 AND b.villalta_total IS NOT NULL
    JOIN visits AS f ON f.patient_id = p.patient_id AND f.visit_month = 6 AND f.villalta_total IS NOT NULL
    WHERE s.design = 'observational'
        AND p.lesion_length_mm IS NOT NULL AND p.age_years IS NOT NULL AND p.months_since_dvt IS NOT NULL
        AND p.stenosis_grade IS NOT NULL AND p.obstruction_site IS NOT NULL AND p.sex IS NOT NULL
        AND b.vcss IS NOT NULL
        AND p.stenosis_pct >= 50 AND (b.villalta_total >= 10 OR b.ulcer_present)  -- the trial's inclusion criteria
    GROUP BY p.arm
"""
DESIGN = {("randomized",): "randomized", ("observational",): "observational"}
CASES = {
    "effects": (
        {},
        MODELLED,
        "with a baseline and a later visit (MMRM; ANCOVA at month 6: {seen})",
    ),
    "subgroups": ({}, SEEN_AT_6, "seen at baseline and month 6"),
    "responders": ({"imputation": "complete"}, SEEN_AT_6, "seen at baseline and month 6"),
    "durability": ({"endpoint": "primary_patency"}, STENTED, "with a technically successful stent procedure"),
    "adjusted": (
        {},
        REGISTRY_AT_6,
        "registry patients within the trial's inclusion criteria with Villalta total at baseline and month 6, "
        "weighted (Overlap weights)",
    ),
}


def _line(at, name: str) -> re.Match:
    lines = [m.value for m in at.markdown if m.value.startswith(f"**{TITLES[name]}** · ")]
    assert len(lines) == 1, [m.value for m in at.markdown]
    found = LINE.search(lines[0])
    assert found, lines[0]
    return found


@pytest.mark.parametrize("name", list(CASES))
def test_the_presenter_line_states_the_analysis_set(app_on, demo_db, name):
    settings, sql, who = CASES[name]
    at = app_on(demo_db, {"present": "1", **settings})
    at.run()
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        rows = con.execute(sql).fetchall()
    n = {arm: count for arm, count, _ in rows}
    designs = tuple(sorted({d for *_, ds in rows for d in ds}))
    line = _line(at, name)
    # the arms of the set, "0 medical" left out of a stent-only set (patency)
    assert line[1] == ", ".join(f"{n[arm]:,} {arm}" for arm in ("stent", "medical") if n.get(arm, 0) > 0)
    if "{seen}" in who:  # Effects: the ANCOVA's set beside the MMRM's
        with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
            seen = {arm: count for arm, count, _ in con.execute(SEEN_AT_6).fetchall()}
        who = who.format(seen=f"{seen['stent']:,} stent, {seen['medical']:,} medical")
    assert line[2] == who
    assert line[3] == DESIGN.get(designs, "pooled randomized and observational")


def test_candidate_line_states_the_matched_patients(app_on, demo_db):
    example = next(p.example for p in PAGES if p.name == "candidate")
    query = dict(part.split("=") for part in example.split("&"))
    at = app_on(demo_db, {"present": "1", **query})
    at.run()
    at.switch_page("app_pages/candidate.py").run()
    assert not at.exception
    analyst = app_on(demo_db, query)  # the same profile in the analyst view: its matched-patient metrics
    analyst.run()
    analyst.switch_page("app_pages/candidate.py").run()
    metrics = {m.label: m.value for m in analyst.metric}
    line = _line(at, "candidate")
    assert line[1] == f"{metrics['Matched, stent']} stent, {metrics['Matched, medical']} medical"
    assert line[2].split(";")[0] == "matched"  # then the model's patients (the next test)
    assert not [m for m in at.metric if m.label.startswith("Matched")]  # on a projector the line states them


CANDIDATE = {
    "c_site": "common_iliac",
    "c_stenosis": "100",
    "c_villalta": "17",
    "c_ulcer": "yes",
    "c_age": "45",
    "c_sex": "female",
}


def test_candidates_presenter_line_names_the_model_patients_beside_the_matched(app_on, demo_db):
    """Candidate's headline is the randomized model's estimate, not the matched patients': the
    presenter line gives both sets (an outside review found only the matched one)."""
    from pts_explorer import db
    from pts_explorer.analytics import candidate as estimate
    from pts_explorer.candidate import from_settings
    from pts_explorer.filters import MAX_MODEL_PATIENTS, CohortFilter

    at = app_on(demo_db, {"present": "1", **CANDIDATE})
    at.run()
    at.switch_page("app_pages/candidate.py").run()
    assert not at.exception
    line = _line(at, "candidate")
    con = db.open_read_only(demo_db)
    try:
        data = db.run_query(
            con,
            "candidate_model",
            {
                **CohortFilter().as_params(),
                "outcome": "villalta_total",
                "visit_month": 6,
                "randomized_only": True,
                "max_patients": MAX_MODEL_PATIENTS,
            },
        )
    finally:
        con.close()
    typed = {k: int(v) if v.isdigit() else v for k, v in CANDIDATE.items()}
    fit = estimate.model_estimate(data, from_settings(typed)[0], 6)
    assert fit is not None
    assert line.group(2) == (
        f"matched; the expected change from {fit.n_stent} stent, {fit.n_medical} medical randomized patients of the "
        "lesion group (month 6, complete-case)"
    )
