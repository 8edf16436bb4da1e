"""Presenter mode's line above the slide states the analysis set the slide shows: its n per arm and
its design, recomputed here from the contract tables (issue 22, item 5: it gave the whole cohort,
"pooled randomized and observational", above a randomized-only model)."""

import re

import duckdb
import pytest

from pts_explorer.config import DUCKDB_CONFIG, PAGES

TITLES = {p.name: p.title for p in PAGES}
DESIGNS = "randomized|observational|pooled randomized and observational"
LINE = re.compile(rf"n = ([\d,]+) stent, ([\d,]+) medical (.+) · ({DESIGNS})")

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
# Stent-arm patients of any study with a technically successful procedure (primary patency).
STENTED = """
    SELECT p.arm, count(DISTINCT p.patient_id) AS n, list(DISTINCT s.design) AS designs
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN procedures AS r ON r.patient_id = p.patient_id AND r.technical_success
    WHERE p.arm = 'stent'
    GROUP BY p.arm
"""
DESIGN = {("randomized",): "randomized", ("observational",): "observational"}
CASES = {
    "effects": ({}, SEEN_AT_6, "seen at baseline and month 6"),
    "subgroups": ({}, SEEN_AT_6, "seen at baseline and month 6"),
    "responders": ({"imputation": "complete"}, SEEN_AT_6, "seen at baseline and month 6"),
    "durability": ({"endpoint": "primary_patency"}, STENTED, "with a technically successful stent procedure"),
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
    assert (line[1], line[2]) == (f"{n.get('stent', 0):,}", f"{n.get('medical', 0):,}")
    assert line[3] == who
    assert line[4] == DESIGN.get(designs, "pooled randomized and observational")


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
    assert (line[1], line[2], line[3]) == (metrics["Matched, stent"], metrics["Matched, medical"], "matched")
    assert not [m for m in at.metric if m.label.startswith("Matched")]  # on a projector the line states them
