"""The Compare page as a reader gets it (issue 22, item 6): which patients each side holds when the
cohorts share patients, what the shared patients do to each result, where each result's patients
come from, how many due patients were seen, and captions that say each cohort's filters once. The
numbers read off the page are recomputed here from the database's rows with pandas, scipy,
statsmodels and lifelines, not with the app's code."""

import numpy as np
import pandas as pd
import pytest
from lifelines.statistics import logrank_test
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from pts_explorer import vocab
from pts_explorer.filters import CohortFilter
from tests.recount import by_arm
from tests.unit.test_compare import _due, _primary_patency, _visits
from tests.unit.test_trajectory_recompute import _pandas_cohort

HIGH_GRADE_ILIOFEMORAL = CohortFilter(site=("common_iliac", "common_femoral"), grade=("70-99%", "occlusion"))
NESTED = {"a": "current", "b": "sub:high_grade_civ_cfv", "compare_arm": "stent"}  # everyone contains B
OVERLAPPING = {"a": "current", "sex": "female", "b": "sub:open_ulcer", "compare_arm": "both"}  # women, ulcers
CHANGE = "A without B − B, points"


@pytest.fixture(scope="module")
def raw(demo_con):
    patients = demo_con.execute("SELECT * FROM patients").df()
    visits = demo_con.execute("SELECT * FROM visits").df()
    base = visits[visits.visit_month == 0].set_index("patient_id")
    patients["baseline_band"] = patients.patient_id.map(base.pts_band)
    patients["baseline_ulcer"] = patients.patient_id.map(base.ulcer_present).fillna(False).astype(bool)
    tables = {name: demo_con.execute(f"SELECT * FROM {name}").df() for name in ("procedures", "events", "studies")}
    return patients, visits, tables


def _compare_page(app_on, demo_db, query):
    at = app_on(demo_db, query)
    at.switch_page("app_pages/compare.py").run()
    assert not at.exception, at.exception
    return at


def _table(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def _notice(at, result: str) -> str:
    found = [m.value for m in at.markdown if f"not randomized] {result}:" in m.value]
    assert len(found) == 1, [m.value for m in at.markdown]
    return found[0]


def _signed(v: float) -> str:
    return f"{round(v, 2):+.2f}"


def _design_words(studies: pd.Series, design: pd.Series) -> str:
    kinds = sorted(set(design[sorted(set(studies))]))
    named = {k: ", ".join(s for s in sorted(set(studies)) if design[s] == k) for k in kinds}
    words = {"randomized": "randomized trial patients", "observational": "observational (registry) patients"}
    if len(kinds) == 1:
        return f"{words[kinds[0]]} only ({named[kinds[0]]})"
    return "pooled " + " and ".join(f"{k} ({named[k]})" for k in kinds) + " patients"


def _expected_notice(result: str, sides: dict[str, pd.Series], design: pd.Series) -> str:
    parts = "; ".join(f"**{label}**: {_design_words(studies, design)}" for label, studies in sides.items())
    return (
        f":orange-badge[:material/call_split: Cohort against cohort, not randomized] {result}: {parts}. "
        "Patients are not randomized between cohorts: they may differ in more than their filters (Table 1)."
    )


def _changed(raw, cohort: pd.DataFrame, month: int) -> pd.Series:
    """The patients of a cohort with a change from baseline at `month`."""
    v = _visits(raw, cohort)
    return v[v.visit_month == month].dropna(subset=["change"]).patient_id


def _nested(raw):
    stent = raw[0][raw[0].arm == "stent"]
    a, b = _pandas_cohort(stent, CohortFilter()), _pandas_cohort(stent, HIGH_GRADE_ILIOFEMORAL)
    return a, b, a[~a.patient_id.isin(b.patient_id)]


def _change(raw, cohort: pd.DataFrame, month: int) -> np.ndarray:
    v = _visits(raw, cohort)
    return v[v.visit_month == month].change.dropna().to_numpy()


def _responder_words(raw, sides: dict[str, pd.DataFrame], month: int, shown: pd.DataFrame) -> str:
    """Each side's responders at `month` per arm checked against the table shown, and the words the page
    should give under it (the imputation, and the share of the patients due who were seen)."""
    visits = raw[1]
    seen_at = set(visits[(visits.visit_month == month) & visits.villalta_total.notna()].patient_id)
    base = visits[visits.visit_month == 0].set_index("patient_id").villalta_total
    then = visits[visits.visit_month == month].set_index("patient_id").villalta_total
    seen_shares = []
    for label, cohort in sides.items():
        due = _due(raw, cohort, month)
        for arm in ("stent", "medical"):
            d = due[due.arm == arm].patient_id
            improved = int(((d.map(base) - d.map(then)) >= vocab.DEFAULT_THRESHOLD).sum())
            seen = int(d.isin(seen_at).sum())
            seen_shares.append(seen / len(d))
            low, high = proportion_confint(improved, len(d), method="wilson")
            row = shown.loc[(label, vocab.ARMS[arm])]
            assert row["Responders / due"] == f"{improved:,} / {len(d):,}"
            assert row["Share (Wilson 95% CI)"] == f"{improved / len(d):.1%} ({low:.1%}-{high:.1%})"
            assert row["Seen / due"] == f"{seen:,} / {len(d):,} ({round(100 * seen / len(d))}%)"
    low, high = (f"{100 * v:.0f}%" for v in (min(seen_shares), max(seen_shares)))
    return (
        "Non-responder imputation: every patient due at the visit (enrolled long enough before the data cut-off, in "
        "a study that schedules it) who was not seen there (lost to follow-up, dead or a missed visit) counts as not "
        "improved, so no share can exceed the share seen (*Seen / due*): where few were seen, the share mostly "
        "measures who was still followed, not who improved; Wilson score 95% CI. "
        f"At month {month}, {low} to {high} of the patients due were seen, by cohort and arm."
    )


def test_nested_cohorts_set_b_against_the_rest_of_a_by_default(app_on, demo_db, raw):
    at = _compare_page(app_on, demo_db, NESTED)
    shared = at.selectbox(key="shared")
    assert shared.value == "apart" and shared.options == [
        "B against the rest of A",
        "B against all of A (B's patients on both sides)",
    ]
    a, b, rest = _nested(raw)
    shown = _table(at, CHANGE)
    assert shown["Visit (month)"].tolist() == [1, 3, 6, 12, 24, 36, 60, 84, 120]
    design = raw[2]["studies"].set_index("study_id").design
    words = {frozenset({"randomized"}): "randomized", frozenset({"observational"}): "observational"}
    for _, row in shown.iterrows():
        month = int(row["Visit (month)"])
        x, y = _change(raw, rest, month), _change(raw, b, month)
        low, high = CompareMeans(DescrStatsW(x), DescrStatsW(y)).tconfint_diff(usevar="unequal")
        assert (row["n A without B"], row["n B"]) == (f"{len(x):,}", f"{len(y):,}")
        assert row[CHANGE] == _signed(x.mean() - y.mean())
        assert row["Welch 95% CI"] == f"{round(low, 2):.2f} to {round(high, 2):.2f}"
        studies = [set(design[c[c.patient_id.isin(_changed(raw, c, month))].study_id]) for c in (rest, b)]
        assert studies[0] == studies[1]
        assert row["Patients"] == words.get(frozenset(studies[0]), "pooled")
    assert shown.loc[shown["Visit (month)"] == 6, CHANGE].item() == "+3.00"  # diluted to +1.55 when counted twice
    captions = _captions(at)
    note = next(c for c in captions if c.startswith("**A**:"))
    assert note.split("  \n") == [
        "**A**: The sidebar's filters (All patients)",
        "**B**: 70%+ obstruction of the common iliac or common femoral vein (Common iliac, Common femoral; 70-99%, "
        "Occlusion). Where the stent's benefit is expected to be largest (docs/clinical.md).",
        f"Every patient of B is also in A: B ({len(b)} with a baseline value) against the rest of A "
        f"(**A without B**, {len(rest)}), so no patient counts twice.",
    ]
    assert not any("too narrow" in c for c in captions)
    km = next(c for c in captions if c.startswith("Kaplan-Meier"))
    rows = {name: _primary_patency(raw, c) for name, c in (("A", rest), ("B", b))}
    p = logrank_test(rows["A"].days, rows["B"].days, rows["A"].observed, rows["B"].observed).p_value
    assert km == (
        "Kaplan-Meier, log-log (exponential Greenwood) 95% CI; log-rank test (lifelines multivariate_logrank_test): "
        f"p = {p:.3f}."
    )


def test_counted_in_each_the_page_says_what_the_shared_patients_do(app_on, demo_db, raw):
    at = _compare_page(app_on, demo_db, {**NESTED, "shared": "counted"})
    a, b, _ = _nested(raw)
    shown = _table(at, "A − B, points")
    row = shown[shown["Visit (month)"] == 6].iloc[0]
    x, y = _change(raw, a, 6), _change(raw, b, 6)
    low, high = CompareMeans(DescrStatsW(x), DescrStatsW(y)).tconfint_diff(usevar="unequal")
    assert (row["A − B, points"], row["Welch 95% CI"]) == ("+1.55", f"{low:.2f} to {high:.2f}")
    captions = _captions(at)
    change = next(c for c in captions if c.startswith("Welch 95% CI"))
    assert change == (
        "Welch 95% CI (unequal variances, Satterthwaite df); A minus B, within each arm. Patients: the design of the "
        "studies each side's patients come from at that visit. "
        "**B's patients are also in A**: the difference is diluted (it equals the rest of A − B, times the share of "
        "A's patients measured at the visit who are not in B), and Welch's interval, which assumes independent "
        "samples, is too wide and its p too large, because the shared patients make the two means move together. "
        "Choose *B against the rest of A* for the difference that answers how they differ."
    )
    km = next(c for c in captions if c.startswith("Kaplan-Meier"))
    stented_in_both = len(b.merge(raw[2]["procedures"], on="patient_id"))  # every stented patient has a procedure
    assert km == (
        f"Kaplan-Meier, log-log (exponential Greenwood) 95% CI. No log-rank test: the {stented_in_both:,} stented "
        "patients in both cohorts would count twice, and the test assumes each patient once. Each curve holds for "
        "its cohort. Choose *B against the rest of A* for a test."
    )
    assert "p =" not in km
    note = next(c for c in captions if c.startswith("**A**:")).split("  \n")
    shared = len(a.merge(b, on="patient_id"))
    assert note[-1] == (
        f"The {shared:,} patients in both cohorts count on both sides: each result below says what that does to it."
    )  # not "B against the rest of A ... so no patient counts twice", which holds only when left apart


def test_partly_overlapping_cohorts_set_a_only_against_b_only(app_on, demo_db, raw):
    at = _compare_page(app_on, demo_db, {**OVERLAPPING, "visit": "36"})
    assert at.selectbox(key="shared").options[0] == "A only against B only"
    patients, visits, tables = raw
    a = _pandas_cohort(patients, CohortFilter(sex=("female",)))
    b = _pandas_cohort(patients, CohortFilter(ulcer="yes"))
    assert 0 < a.patient_id.isin(b.patient_id).sum() < min(len(a), len(b))
    sides = {"A only": a[~a.patient_id.isin(b.patient_id)], "B only": b[~b.patient_id.isin(a.patient_id)]}
    shown = _table(at, "Seen / due").set_index(["Cohort", "Arm"])
    words = _responder_words(raw, sides, 36, shown)
    design = tables["studies"].set_index("study_id").design
    expected = {label: _due(raw, cohort, 36).study_id for label, cohort in sides.items()}
    assert _notice(at, "Responders at month 36") == _expected_notice("Responders at month 36", expected, design)
    assert "observational (registry) patients only (REGISTRY)" in _notice(at, "Responders at month 36")
    caption = next(c for c in _captions(at) if c.startswith("Non-responder imputation"))
    assert caption == words
    note = next(c for c in _captions(at) if c.startswith("**A**:")).split("  \n")
    assert note[0] == "**A**: The sidebar's filters (Female)"  # once, not twice
    assert note[-1] == (
        f"The {a.patient_id.isin(b.patient_id).sum():,} patients in both cohorts are left out: **A only** "
        f"({len(sides['A only']):,} with a baseline value) against **B only** ({len(sides['B only']):,}), "
        "so no patient counts twice."
    )


def test_every_result_says_where_its_patients_come_from(app_on, demo_db, raw):
    at = _compare_page(app_on, demo_db, NESTED)
    a, b, rest = _nested(raw)
    design = raw[2]["studies"].set_index("study_id").design
    sides = {"A without B": rest, "B": b}
    with_change = {
        label: c[
            c.patient_id.isin(_visits(raw, c).pipe(lambda v: v[v.visit_month > 0]).dropna(subset=["change"]).patient_id)
        ]
        for label, c in sides.items()
    }
    expected = {
        "Mean trajectories": {label: c.study_id for label, c in sides.items()},
        "Change from baseline": {label: c.study_id for label, c in with_change.items()},
        "Responders at month 6": {label: _due(raw, c, 6).study_id for label, c in sides.items()},
        "Primary patency": {
            label: c.merge(raw[2]["procedures"].query("technical_success"), on="patient_id").study_id
            for label, c in sides.items()
        },
    }
    for result, studies in expected.items():
        assert _notice(at, result) == _expected_notice(result, studies, design), result


# Presenter mode (issue 22, item 5, found by the outside review): the line above the Compare slide
# stated the sidebar's whole cohort ("All patients · n = 1,529 stent, 1,111 medical · pooled")
# while the slide compares two groups. Recomputed here in SQL from the contract tables: each
# group's patients with a baseline Villalta total, per arm, and the designs of their studies.
GROUPS_SQL = """
    WITH a AS (SELECT patient_id FROM patients WHERE {a}),
    b AS (SELECT patient_id FROM patients WHERE {b}),
    sides AS (
        SELECT 'A' AS side, patient_id FROM a WHERE {a_only}
        UNION ALL
        SELECT 'B' AS side, patient_id FROM b WHERE {b_only}
    )
    SELECT sides.side, p.arm, count(*) AS n, list(DISTINCT s.design ORDER BY s.design) AS designs
    FROM sides
    JOIN patients AS p USING (patient_id)
    JOIN studies AS s USING (study_id)
    JOIN visits AS v ON v.patient_id = p.patient_id AND v.visit_month = 0 AND v.villalta_total IS NOT NULL
    WHERE p.arm IN ({arms})
    GROUP BY ALL
"""
HIGH_GRADE_SQL = "obstruction_site IN ('common_iliac', 'common_femoral') AND stenosis_grade IN ('70-99%', 'occlusion')"
HIGH_GRADE_WORDS = "70%+ obstruction of the common iliac or common femoral vein"
PRESENTED = {
    # the sidebar holds the trial; B the high-grade lesions of both studies: A only is randomized, B only not
    "overlap": (
        {"present": "1", "study": "TRIAL", "a": "current", "b": "sub:high_grade_civ_cfv", "compare_arm": "both"},
        {
            "a": "study_id = 'TRIAL'",
            "b": HIGH_GRADE_SQL,
            "a_only": "patient_id NOT IN (SELECT patient_id FROM b)",
            "b_only": "patient_id NOT IN (SELECT patient_id FROM a)",
            "arms": "'stent', 'medical'",
        },
        ("A only", "B only"),
        "TRIAL",
        "",
    ),
    "counted": (
        {"present": "1", **NESTED, "shared": "counted"},
        {"a": "TRUE", "b": HIGH_GRADE_SQL, "a_only": "TRUE", "b_only": "TRUE", "arms": "'stent'"},
        ("A", "B"),
        "All patients",
        "; the {shared} patients in both count on both sides",
    ),
}


@pytest.mark.parametrize("case", list(PRESENTED))
def test_presenter_line_states_the_two_groups_the_slide_compares(app_on, demo_db, case):
    import duckdb

    from pts_explorer.config import DUCKDB_CONFIG

    query, parts, names, sidebar, counted = PRESENTED[case]
    at = _compare_page(app_on, demo_db, query)
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        rows = con.execute(GROUPS_SQL.format(**parts)).fetchall()
        shared = con.execute(f"SELECT count(*) FROM patients WHERE {HIGH_GRADE_SQL} AND arm = 'stent'").fetchone()[0]
    arms = ("stent", "medical") if "medical" in parts["arms"] else ("stent",)
    words = {("randomized",): "randomized", ("observational",): "observational"}
    groups, kinds = [], []
    for side, name in zip(("A", "B"), names, strict=True):
        n = {arm: count for s, arm, count, _ in rows if s == side}
        designs = tuple(sorted({d for s, *_, ds in rows if s == side for d in ds}))
        counts = ", ".join(f"{n.get(arm, 0):,} {arm}" for arm in arms)
        kinds.append(words.get(designs, "pooled randomized and observational"))
        groups.append(f"**{name}** (n = {counts}")
    if kinds[0] == kinds[1]:  # one design: said once, after both groups
        groups, alike = [f"{g})" for g in groups], f"; both {kinds[0]}"
    else:
        groups, alike = [f"{g}; {k})" for g, k in zip(groups, kinds, strict=True)], ""
    if case == "overlap":
        assert groups[0].endswith("; randomized)") and groups[1].endswith("; observational)")
    assert not at.metric  # the cohorts as chosen (2,640 / 1,065 / in both): the line states what is compared
    lines = [m.value for m in at.markdown if m.value.startswith("**Compare** · ")]
    assert lines == [
        f"**Compare** · {groups[0]} against {groups[1]}{alike}, patients with a baseline Villalta total"
        + counted.format(shared=f"{shared:,}")
        + f" · **A**: the sidebar's filters ({sidebar}); **B**: {HIGH_GRADE_WORDS}"
        " · :orange-badge[:material/science: synthetic data] · small cells hidden (k\u00a0=\u00a05)"
    ]


# The pooled chart's step at months 1 and 3 (outside review): only the trial sees patients there, the
# registry from month 36 on. The strip under the chart marks, per curve and visit, which designs the
# patients measured come from; recomputed in SQL from the contract tables.
MEASURED_SQL = """
    WITH a AS (SELECT patient_id FROM patients),
    b AS (SELECT patient_id FROM patients WHERE {high_grade}),
    sides AS (
        SELECT 'A without B' AS side, patient_id FROM a WHERE patient_id NOT IN (SELECT patient_id FROM b)
        UNION ALL
        SELECT 'B' AS side, patient_id FROM b
    )
    SELECT sides.side, p.arm, v.visit_month, p.study_id, s.design, count(*) AS n
    FROM sides
    JOIN patients AS p USING (patient_id)
    JOIN studies AS s USING (study_id)
    JOIN visits AS v ON v.patient_id = p.patient_id AND v.villalta_total IS NOT NULL
    GROUP BY ALL
"""


def test_the_pooled_chart_marks_the_designs_at_each_visit(app_on, demo_db):
    import json

    import duckdb

    from pts_explorer.config import DUCKDB_CONFIG

    at = _compare_page(app_on, demo_db, {"a": "current", "b": "sub:high_grade_civ_cfv", "compare_arm": "both"})
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        measured = con.execute(MEASURED_SQL.format(high_grade=HIGH_GRADE_SQL)).df()
    assert measured.n.min() >= 5  # no count here is a small cell: every one is shown
    kind_of = {("randomized",): "randomized only", ("observational",): "observational only"}
    kinds = {  # per curve (side, arm) and visit: the designs of the patients measured
        key: kind_of.get(tuple(sorted(set(d.design))), "pooled")
        for key, d in measured.groupby(["side", "arm", "visit_month"])
    }
    # both arms of a side come from the same designs at every visit: one lane per side
    assert all(kinds[(s, "stent", m)] == kinds[(s, "medical", m)] for s, _, m in kinds)
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    strip = [t for t in figure["data"] if t.get("legend") == "legend2"]
    marks = {(y, x): t["name"] for t in strip for x, y in zip(t["x"], t["y"], strict=True)}
    assert marks == {(s, m): kind for (s, arm, m), kind in kinds.items() if arm == "stent"}
    assert {k: marks[k] for k in (("B", 0), ("B", 1), ("B", 3), ("B", 36))} == {
        ("B", 0): "pooled",
        ("B", 1): "randomized only",
        ("B", 3): "randomized only",
        ("B", 36): "observational only",
    }
    hovers = {(y, x): h for t in strip for x, y, h in zip(t["x"], t["y"], t["customdata"], strict=True)}
    words = {"pooled": "pooled randomized and observational"}
    for (side, month), hover in hovers.items():
        d = measured[(measured.side == side) & (measured.visit_month == month)]
        by_study = d.groupby(["study_id", "design"]).n.sum().sort_index()
        studies = ", ".join(f"{study} ({design}) {n:,}" for (study, design), n in by_study.items())
        kind = marks[(side, month)]
        assert hover == f"{side}, month {month}: {words.get(kind, kind)}, n = {by_study.sum():,} ({studies})"
    # each point of a curve names its designs in its hover
    for trace in figure["data"]:
        if trace.get("legend") == "legend2":
            continue
        side, arm = trace["name"].rsplit(", ", 1)
        for month, _, design in trace["customdata"]:
            d = measured[(measured.side == side) & (measured.arm == arm) & (measured.visit_month == int(month))]
            kind = kinds[(side, arm, int(month))]
            assert design == f"{words.get(kind, kind)} ({', '.join(sorted(set(d.study_id)))})"

    def months(side: str, kind: str) -> str:
        found = sorted(m for (s, arm, m), k in kinds.items() if s == side and arm == "stent" and k == kind)
        return ", ".join(str(m) for m in found)

    assert months("A without B", "randomized only") == "1, 3" and months("B", "observational only") == "36, 60, 84, 120"
    caption = next(c.value for c in at.caption if c.value.startswith("Marks under the chart"))
    assert caption == (
        "Marks under the chart: the designs of the studies whose patients are measured at each visit. "
        f"**A without B** and **B**: randomized only at months {months('B', 'randomized only')} (TRIAL); "
        f"observational only at months {months('B', 'observational only')} (REGISTRY); pooled randomized and "
        f"observational at months {months('B', 'pooled')} (REGISTRY, TRIAL). Where the designs change from one visit "
        "to the next, a curve can step because other patients are measured there, not because time passed."
    )


@pytest.mark.parametrize(
    ("present", "said"),
    [
        ({}, "Cohort A and cohort B are the same: choose another cohort for B."),
        (
            {"present": "1"},
            "This slide compares a cohort with itself (A and B are the same): there is nothing to compare.",
        ),
    ],
)
def test_a_compared_with_itself_says_so_to_the_analyst_and_to_the_room(app_on, demo_db, present, said):
    """Review 27c, finding 10: a talk's Compare slide with A = B told the room to choose another cohort for B,
    where no control is drawn."""
    at = _compare_page(app_on, demo_db, {"a": "current", "b": "current", **present})
    assert [i.value for i in at.info if "same" in i.value] == [said]
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("present", [{}, {"present": "1"}])
def test_a_b_holding_the_same_patients_says_so_and_asks_for_a_choice_only_of_the_analyst(app_on, demo_db, present):
    """Review 27d, finding 3: a slide whose A (the sidebar's Femoral) holds the same patients as B (the Femoral
    obstruction subgroup) told the room to choose another cohort for B, where no control is drawn."""
    query = {"site": "femoral", "a": "current", "b": "sub:femoral_only", "compare_arm": "both", **present}
    at = _compare_page(app_on, demo_db, query)
    n = sum(
        int(part.split()[0].replace(",", "")) for part in by_arm(demo_db, "obstruction_site = 'femoral'").split(", ")
    )
    same = f"Cohorts A and B hold the same {n:,} patients in this arm choice: nothing to compare."
    assert [i.value for i in at.info if "same" in i.value] == [
        same if present else f"{same} Choose another cohort for B."
    ]
