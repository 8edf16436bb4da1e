"""Candidate's trajectory of the matched patients, pooled over a trial and a registry (outside review
of #22): as on Trajectories and Compare, a mark under the chart at each visit says which designs the
matched patients measured there come from, so the step where the trial's visits (months 1, 3) or the
registry's (36 on) begin is not read as an effect. The matched patients are read off the page (the
bound parameters of *How this was computed*); the designs per visit are recomputed from the contract
tables with SQL, and every mark and its hover is compared whole."""

import json

import pandas as pd

PROFILE = {
    "c_site": "common_iliac",
    "c_stenosis": "100",
    "c_villalta": "17",
    "c_ulcer": "yes",
    "c_age": "45",
    "c_sex": "female",
}
MEASURED_SQL = """
    SELECT p.arm, v.visit_month, p.study_id, s.design, count(*) AS n
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN visits AS v ON v.patient_id = p.patient_id AND v.villalta_total IS NOT NULL
    WHERE p.patient_id IN (SELECT unnest($ids)) AND list_contains(s.visit_months, v.visit_month)
    GROUP BY ALL
"""
WORDS = {"randomized": "randomized only", "observational": "observational only"}
ARMS = {"stent": "Stent", "medical": "Medical"}


def _page(app_on, demo_db, query: dict):
    at = app_on(demo_db, query)
    at.switch_page("app_pages/candidate.py").run()
    assert not at.exception, at.exception
    return at


def _matched_ids(at) -> list:
    bound = [json.loads(j.proto.body) for j in at.get("json")]
    ids = [b["matched_ids"] for b in bound if isinstance(b, dict) and "matched_ids" in b]
    assert len(ids) == 1 and ids[0]
    return ids[0]


def _strip(at) -> list[dict]:
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (figure,) = [f for f in figures if f["layout"]["title"]["text"].startswith("Villalta total by arm")]
    return [t for t in figure["data"] if t.get("legend") == "legend2"]


def _note(expected: dict) -> str:
    """The note under the chart, from the recomputed marks: per lane, the visits of each design and
    their studies (lanes described alike named together), and the caution where the designs change."""
    described: dict[str, list[str]] = {}
    for lane in dict.fromkeys(lane for lane, _ in expected):
        visits = {m: v for (name, m), v in expected.items() if name == lane}
        parts = []
        for mark, words in [(w, w) for w in WORDS.values()] + [("pooled", "pooled randomized and observational")]:
            months = sorted(m for m, (k, _, _) in visits.items() if k == mark)
            if not months:
                continue
            studies = sorted({s for m in months for s, _ in visits[m][2].index})
            where = (
                "at every visit"
                if len(months) == len(visits)
                else (("at month " if len(months) == 1 else "at months ") + ", ".join(map(str, months)))
            )
            parts.append(f"{words} {where} ({', '.join(studies)})")
        described.setdefault("; ".join(parts), []).append(f"**{lane}**")
    changes = any(len({k for (name, _), (k, _, _) in expected.items() if name == lane}) > 1 for lane, _ in expected)
    return (
        "Marks under the chart: the designs of the studies whose patients are measured at each visit. "
        + " ".join(f"{' and '.join(lanes)}: {text}." for text, lanes in described.items())
        + (
            " Where the designs change from one visit to the next, a curve can step because other patients are "
            "measured there, not because time passed."
            if changes
            else ""
        )
    )


def _expected(measured: pd.DataFrame) -> dict:
    """(lane, month) -> (mark, n, studies): one lane "Both arms" when both arms' patients come from the
    same designs at every visit both are measured, else a lane per arm."""

    def kind(d: pd.DataFrame) -> str:
        return WORDS.get("".join(sorted(set(d.design))), "pooled")

    per_arm = {key: kind(d) for key, d in measured.groupby(["arm", "visit_month"])}
    months = sorted(set(measured.visit_month))
    same = all(
        per_arm[("stent", m)] == per_arm[("medical", m)]
        for m in months
        if ("stent", m) in per_arm and ("medical", m) in per_arm
    )
    groups = measured.groupby("visit_month") if same else measured.groupby(["arm", "visit_month"])
    out = {}
    for key, d in groups:
        lane, month = ("Both arms", key) if same else (ARMS[key[0]], key[1])
        by_study = d.groupby(["study_id", "design"]).n.sum().sort_index()
        out[(lane, int(month))] = (kind(d), int(by_study.sum()), by_study)
    return out


def test_the_matched_trajectory_marks_the_designs_at_each_visit(app_on, demo_db, demo_con):
    at = _page(app_on, demo_db, PROFILE)
    measured = demo_con.execute(MEASURED_SQL, {"ids": _matched_ids(at)}).df()
    assert set(measured.design) == {"randomized", "observational"}  # the matched patients pool both designs
    expected = _expected(measured)
    strip = _strip(at)
    marks = {(y, x): t["name"] for t in strip for x, y in zip(t["x"], t["y"], strict=True)}
    assert marks == {key: mark for key, (mark, _, _) in expected.items()}
    assert {"randomized only", "pooled"} <= set(marks.values())  # the trial's months 1 and 3 are marked apart
    hovers = {(y, x): h for t in strip for x, y, h in zip(t["x"], t["y"], t["customdata"], strict=True)}
    for (lane, month), (mark, n, by_study) in expected.items():
        studies = ", ".join(f"{study} ({design}) {count:,}" for (study, design), count in by_study.items())
        words = "pooled randomized and observational" if mark == "pooled" else mark
        assert hovers[(lane, month)] == f"{lane}, month {month}: {words}, n = {n:,} ({studies})"
    assert [c.value for c in at.caption if c.value.startswith("Marks under the chart")] == [_note(expected)]


def test_matched_patients_of_one_design_get_no_marks(app_on, demo_db):
    at = _page(app_on, demo_db, {**PROFILE, "study": "TRIAL"})
    assert _strip(at) == []
    assert [c.value for c in at.caption if c.value.startswith("Marks under the chart")] == []
