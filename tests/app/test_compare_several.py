"""Compare with three or four cohorts (issue 28, item 4), as a reader gets it: the overlaps matrix, each
cohort's own patients when those in more than one are left out (a cohort left with none is said and left
out of the results), Table 1, each cohort's change with its t interval, and the log-rank test across
the cohorts only when no patient counts twice. Every number is recomputed here with pandas, scipy and
lifelines from the database's rows, not with the app's code."""

import base64
import json

import numpy as np
import pandas as pd
from lifelines.statistics import multivariate_logrank_test
from scipy import stats

from pts_explorer.filters import CohortFilter
from tests.app.test_compare_page import _compare_page, _responder_words, _table, raw  # noqa: F401 (raw: a fixture)
from tests.recount import MARK
from tests.unit.test_compare import _primary_patency, _visits
from tests.unit.test_trajectory_recompute import _pandas_cohort

FOUR = {
    "a": "sub:high_grade_civ_cfv",
    "b": "sub:high_grade_other",
    "c": "sub:below_70",
    "d": "sub:open_ulcer",
    "compare_arm": "both",
}
FILTERS = {  # the named subgroups' definitions (pts_explorer/subgroups.toml), as a reader reads them
    "A": CohortFilter(site=("common_iliac", "common_femoral"), grade=("70-99%", "occlusion")),
    "B": CohortFilter(site=("ivc", "external_iliac", "femoral"), grade=("70-99%", "occlusion")),
    "C": CohortFilter(grade=("<50%", "50-69%")),
    "D": CohortFilter(ulcer="yes"),
}


def _cohorts(raw) -> dict[str, pd.DataFrame]:  # noqa: F811
    return {name: _pandas_cohort(raw[0], f) for name, f in FILTERS.items()}


def _alone(cohorts: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each cohort's patients that no other cohort holds."""
    out = {}
    for name, c in cohorts.items():
        others = pd.concat([o.patient_id for n, o in cohorts.items() if n != name])
        out[name] = c[~c.patient_id.isin(others)]
    return out


def test_four_cohorts_each_its_own_patients_with_a_log_rank_across_them(app_on, demo_db, raw):  # noqa: F811
    at = _compare_page(app_on, demo_db, FOUR)
    cohorts = _cohorts(raw)
    alone = _alone(cohorts)
    assert len(alone["D"]) == 0  # every ulcer patient is in one of the three lesion groups
    matrix = _table(at, "Patients in both")
    expected = [
        [f"Cohort {r}"] + [f"{len(set(cohorts[r].patient_id) & set(cohorts[c].patient_id)):,}" for c in "ABCD"]
        for r in "ABCD"
    ]
    assert matrix.values.tolist() == expected
    infos = [i.value for i in at.info]
    assert infos == [
        "Every patient of cohort D is also in another cohort, so **D only** holds none: left out of the results below."
    ]
    table_one = _table(at, "Largest SMD")
    assert list(table_one.columns) == ["Characteristic", "A only", "B only", "C only", "Largest SMD"]
    age = table_one[table_one.Characteristic == "Age, years, mean (SD)"].iloc[0]
    for name in "ABC":
        years = alone[name].age_years.astype(float)
        assert age[f"{name} only"] == f"{years.mean():.1f} ({years.std(ddof=1):.1f})"
    change = _table(at, "Mean change (95% CI)")
    for name in "ABC":
        v = _visits(raw, alone[name])
        x = v[(v.visit_month == 6) & (v.arm == "stent")].change.dropna().to_numpy()
        low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        row = change[(change.Arm == "Stent") & (change["Visit (month)"] == 6) & (change.Cohort == f"{name} only")]
        assert row.n.item() == f"{len(x):,}"
        assert row["Mean change (95% CI)"].item() == f"{x.mean():+.1f} ({low:.1f} to {high:.1f})"
    rows = pd.concat([_primary_patency(raw, alone[n]).assign(group=n) for n in "ABC"], ignore_index=True)
    p = multivariate_logrank_test(rows.days, rows.group, rows.observed).p_value
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    km = next(c.value for c in at.caption if c.value.startswith("Kaplan-Meier"))
    assert km == (
        "Kaplan-Meier, log-log (exponential Greenwood) 95% CI; log-rank test (lifelines multivariate_logrank_test) "
        f"across the 3 cohorts (whether any differs, not which): {p_text}."
    )


def test_counted_in_each_no_test_is_made(app_on, demo_db, raw):  # noqa: F811
    at = _compare_page(app_on, demo_db, {**FOUR, "shared": "counted"})
    km = next(c.value for c in at.caption if c.value.startswith("Kaplan-Meier"))
    assert km == (
        "Kaplan-Meier, log-log (exponential Greenwood) 95% CI. No log-rank test: patients in more than one cohort "
        "would count more than once, and the test assumes each patient once. Leave them out for a test."
    )
    table_one = _table(at, "Largest SMD")
    assert list(table_one.columns) == ["Characteristic", "Cohort A", "Cohort B", "Cohort C", "Cohort D", "Largest SMD"]
    cohorts = _cohorts(raw)
    age = table_one[table_one.Characteristic == "Age, years, mean (SD)"].iloc[0]
    years = cohorts["D"].age_years.astype(float)
    assert age["Cohort D"] == f"{years.mean():.1f} ({years.std(ddof=1):.1f})"
    assert not np.isnan(years.mean())


def test_a_cohort_chosen_twice_is_left_out_saying_so(app_on, demo_db):
    at = _compare_page(app_on, demo_db, {"a": "sub:high_grade_civ_cfv", "b": "sub:below_70", "c": "sub:below_70"})
    assert [i.value for i in at.info] == ["Cohort C is the same as cohort B: left out. Choose another cohort for C."]
    assert _table(at, "SMD").columns.tolist()[-1] == "SMD"  # two cohorts compared, as before


def test_on_a_slide_the_line_states_each_cohorts_patients_and_design(app_on, demo_db, raw):  # noqa: F811
    at = _compare_page(app_on, demo_db, {**FOUR, "present": "1"})
    alone = _alone(_cohorts(raw))
    design = raw[2]["studies"].set_index("study_id").design
    words = {("randomized",): "randomized", ("observational",): "observational"}
    groups, kinds = [], set()
    for name in "ABC":
        side = alone[name]
        counts = ", ".join(f"{int((side.arm == arm).sum()):,} {arm}" for arm in ("stent", "medical"))
        designs = tuple(sorted(set(design[sorted(set(side.study_id))])))
        kinds.add(words.get(designs, "pooled randomized and observational"))
        groups.append(f"**{name} only** {counts}")
    [kind] = kinds  # the three draw on both studies: the design said once, in the first line
    lines = [m.value for m in at.markdown if m.value.startswith("**Compare** · ")]
    named = [  # the named subgroups, as pts_explorer/subgroups.toml names them (D holds none of its own)
        "70%+ obstruction of the common iliac or common femoral vein",
        "70%+ obstruction at another site",
        "Stenosis below 70%",
    ]
    # Third review of issue 28, finding 3: one sentence of four groups wrapped to 8 lines; now a short first
    # line, then under it, across the slide's width, one line per group with its n and what it is.
    # Fourth review: D, left out, is said on that first line, not in a notice box over the key chart (which
    # then stood at 48% of a 720 px slide).
    left_out = "Every patient of cohort D is also in another cohort, so **D only** holds none: left out"
    assert lines == [f"**Compare** · patients with a baseline Villalta total; each {kind} · {left_out} · {MARK}"]
    assert [i.value for i in at.info] == []
    rows = [m.value for m in at.markdown if m.value.startswith(groups[0])]
    assert rows == ["  \n".join(f"{group}: {words}" for group, words in zip(groups, named, strict=True))]
    assert not at.subheader and not at.metric  # on a slide: the key chart and its numbers, no empty headings


def test_several_cohorts_responders_say_what_two_cohorts_say(app_on, demo_db, raw):  # noqa: F811
    """Compare's responders are one block for two cohorts or several: with four cohorts the table, the words
    on the imputation and the share of the patients due who were seen are those of two cohorts, and counted
    in each, what the shared patients do to the shares is said."""
    at = _compare_page(app_on, demo_db, {**FOUR, "visit": "36"})
    alone = _alone(_cohorts(raw))
    sides = {f"{n} only": alone[n] for n in "ABC"}  # D only holds none: left out
    shown = _table(at, "Seen / due").set_index(["Cohort", "Arm"])
    assert sorted(set(shown.index.get_level_values(0))) == sorted(sides)
    captions = [c.value for c in at.caption if c.value.startswith("Non-responder imputation")]
    assert captions == [_responder_words(raw, sides, 36, shown)]

    at = _compare_page(app_on, demo_db, {**FOUR, "visit": "36", "shared": "counted"})
    cohorts = _cohorts(raw)
    sides = {n: cohorts[n] for n in "ABCD"}
    shown = _table(at, "Seen / due").set_index(["Cohort", "Arm"])
    captions = [c.value for c in at.caption if c.value.startswith("Non-responder imputation")]
    assert captions == [
        _responder_words(raw, sides, 36, shown)
        + " Each share and interval hold for its cohort; the patients in more than one cohort count in each of "
        "their cohorts' shares, which brings the shares closer."
    ]


def test_a_cohort_its_own_filters_empty_is_said_so_without_blaming_the_arm(app_on, demo_db, raw):  # noqa: F811
    # Second review, R7: A (the sidebar's: trial patients of centre RC05) is empty with both arms chosen; the
    # notice said "in this arm choice".
    patients = raw[0]
    assert not ((patients.study_id == "TRIAL") & (patients.center_id == "RC05")).any()
    query = {"a": "current", "b": "sub:femoral_only", "c": "sub:open_ulcer", "study": "TRIAL", "center": "RC05"}
    at = _compare_page(app_on, demo_db, query)
    assert [i.value for i in at.info] == ["Cohort A holds no patient: left out of the results below."]
    at = _compare_page(app_on, demo_db, {**query, "compare_arm": "stent"})
    assert [i.value for i in at.info] == ["Cohort A holds no stent patient: left out of the results below."]


def test_with_the_sidebars_filters_as_a_the_others_own_patients_are_said_to_fail_them(app_on, demo_db, raw):  # noqa: F811
    # First review, finding 5: eligibility as the sidebar's filters (A), three subgroups beside it, the shared
    # patients left out: B only, C only and D only hold only patients who fail the eligibility criteria.
    eligibility = {"bvillalta": ["10", "33"], "bvcss": ["8", "30"], "ceap": ["C4a", "C4b", "C4c", "C5", "C6"]}
    query = {"a": "current", "b": "sub:high_grade_civ_cfv", "c": "sub:femoral_only", "d": "sub:below_70"}
    at = _compare_page(app_on, demo_db, {**query, **eligibility})
    shown = [c.value for c in at.caption if c.value.startswith("Cohort A is the sidebar's filters")]
    labels = [f"**{n} only**" for n in "BCD" if f"{n} only" in _table(at, "Largest SMD").columns]
    assert len(labels) >= 2
    assert shown == [
        "Cohort A is the sidebar's filters, and the patients in more than one cohort are left out: "
        f"{', '.join(labels)} hold only patients who do **not** meet the sidebar's filters (set as eligibility "
        "criteria, the ineligible ones). Count the patients in more than one cohort in each to compare the cohorts "
        "whole."
    ]
    counted = _compare_page(app_on, demo_db, {**query, **eligibility, "shared": "counted"})
    assert [c.value for c in counted.caption if c.value.startswith("Cohort A is the sidebar's filters")] == []


def test_an_unknown_saved_link_is_not_said_to_have_been_saved(app_on, demo_db):
    # Second review: "zzzzzzzz (no longer saved)" for a link never saved here.
    at = _compare_page(app_on, demo_db, {"a": "current", "b": "zzzzzzzz"})
    assert [i.value for i in at.info if i.value.startswith("**Cohort B**")] == [
        "**Cohort B** changed from zzzzzzzz (not a saved cohort here: deleted, or saved on another server) to "
        "70%+ obstruction of the common iliac or common femoral vein: zzzzzzzz (not a saved cohort here: deleted, "
        "or saved on another server) is not available for this selection."
    ]


def test_a_tiny_visits_interval_does_not_flatten_the_other_curves(app_on, demo_db):
    # Reviews of issue 28: with eligibility as A and three subgroups, "C only" has 2 patients at months 1 and
    # 3; their t intervals ran from -20 to 32 on the 0-33 Villalta scale and squashed the seven other curves.
    query = {
        "a": "current",
        "b": "sub:high_grade_civ_cfv",
        "c": "sub:femoral_only",
        "d": "sub:below_70",
        "bvillalta": ["10", "33"],
        "bvcss": ["8", "30"],
        "ceap": ["C4a", "C4b", "C4c", "C5", "C6"],
    }
    at = _compare_page(app_on, demo_db, query)
    figure = next(f for f in (json.loads(el.proto.spec) for el in at.get("plotly_chart")) if "yaxis" in f["layout"])
    lows = [
        m - e
        for trace in figure["data"]
        if trace.get("error_y")
        for m, e in zip(_numbers(trace["y"]), _numbers(trace["error_y"]["arrayminus"]), strict=True)
    ]
    assert min(lows) < -10  # an interval far below the scale's 0
    assert figure["layout"]["yaxis"]["range"] == [-0.99, 33.99]  # the scale 0-33, 3% of it either side
    assert [c.value for c in at.caption if c.value.startswith("The axis spans")] == [
        "The axis spans the scale's 0-33: an interval that reaches past it (few patients at a visit) is cut at its end."
    ]


def _numbers(data) -> list[float]:
    """A trace's numbers, whether written as a list or as plotly's typed array ({dtype, bdata})."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).astype(float).tolist()
    return [float(v) for v in data]
