"""Trajectories pooled over a trial and a registry (#22 re-review): the mean curve steps where the
trial's visits (months 1, 3) or the registry's (36 on) begin or end, because other patients are
measured there. As on Compare, a mark under the chart says per visit which designs the patients
measured come from, and a note says it in words; with one design, or one panel per study, there
is nothing pooled to mark. The designs per visit are recomputed in SQL from the contract tables."""

import json

import pytest

MEASURED_SQL = """
    SELECT p.arm, v.visit_month, p.study_id, s.design, count(*) AS n
    FROM patients AS p
    JOIN studies AS s USING (study_id)
    JOIN visits AS v ON v.patient_id = p.patient_id AND v.villalta_total IS NOT NULL
    GROUP BY ALL
"""
WORDS = {"randomized": "randomized only", "observational": "observational only"}


def _page(app_on, demo_db, query: dict):
    at = app_on(demo_db, query)
    at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception, at.exception
    return at


def _strip(at) -> list[dict]:
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [t for t in figure["data"] if t.get("legend") == "legend2"]


def _marks_notes(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith("Marks under the chart")]


def test_the_pooled_chart_marks_the_designs_at_each_visit(app_on, demo_db, demo_con):
    measured = demo_con.execute(MEASURED_SQL).df()
    assert measured.n.min() >= 5  # no count is a small cell: every one is shown
    kinds = {
        key: WORDS.get("".join(sorted(set(d.design))), "pooled") for key, d in measured.groupby(["arm", "visit_month"])
    }
    # both arms come from the same designs at every visit: one lane, "Both arms"
    assert all(kinds[("stent", m)] == kinds[("medical", m)] for _, m in kinds)
    at = _page(app_on, demo_db, {"by_study": "False"})
    strip = _strip(at)
    marks = {(y, x): t["name"] for t in strip for x, y in zip(t["x"], t["y"], strict=True)}
    assert marks == {("Both arms", m): kind for (arm, m), kind in kinds.items() if arm == "stent"}
    assert {m: marks[("Both arms", m)] for m in (0, 1, 3, 36)} == {
        0: "pooled",
        1: "randomized only",
        3: "randomized only",
        36: "observational only",
    }
    hovers = {x: h for t in strip for x, h in zip(t["x"], t["customdata"], strict=True)}
    for month, hover in hovers.items():
        by_study = measured[measured.visit_month == month].groupby(["study_id", "design"]).n.sum().sort_index()
        studies = ", ".join(f"{study} ({design}) {n:,}" for (study, design), n in by_study.items())
        kind = marks[("Both arms", month)]
        words = "pooled randomized and observational" if kind == "pooled" else kind
        assert hover == f"Both arms, month {month}: {words}, n = {by_study.sum():,} ({studies})"

    def months(kind: str) -> str:
        return ", ".join(str(m) for (arm, m), k in sorted(kinds.items()) if arm == "stent" and k == kind)

    studies = {kind: ", ".join(sorted(set(measured[measured.design == kind].study_id))) for kind in WORDS}
    assert _marks_notes(at) == [
        "Marks under the chart: the designs of the studies whose patients are measured at each visit. "
        f"**Both arms**: randomized only at months {months('randomized only')} ({studies['randomized']}); "
        f"observational only at months {months('observational only')} ({studies['observational']}); "
        f"pooled randomized and observational at months {months('pooled')} "
        f"({', '.join(sorted(set(measured.study_id)))}). Where the designs change from one visit "
        "to the next, a curve can step because other patients are measured there, not because time passed."
    ]
    # the difference chart below compares the same patients per visit: its note says so, in the same words
    words = (
        f"**Both arms**: randomized only at months {months('randomized only')} ({studies['randomized']}); "
        f"observational only at months {months('observational only')} ({studies['observational']}); "
        f"pooled randomized and observational at months {months('pooled')} "
        f"({', '.join(sorted(set(measured.study_id)))})."
    )
    assert [c.value for c in at.caption if c.value.startswith("Each visit's difference")] == [
        "Each visit's difference compares the patients measured there, from the designs marked under the chart "
        f"above: {words} Only a visit of randomized patients alone is a randomized comparison."
    ]


@pytest.mark.parametrize(
    "query",
    [{"by_study": "False", "study": "TRIAL"}, {"by_study": "False", "study": "REGISTRY"}, {"by_study": "True"}],
    ids=["trial-only", "registry-only", "one-panel-per-study"],
)
def test_nothing_pooled_nothing_marked(app_on, demo_db, query):
    at = _page(app_on, demo_db, query)
    assert _strip(at) == []
    assert _marks_notes(at) == []
