"""Who benefits (pts_explorer/analytics/heterogeneity.py) against R: the effect per cohort, the
difference in effect from one model with a cohort x arm term, the effect along a continuous modifier
(natural spline, emmeans contrasts) and the ratio of hazard ratios (coxph), on the demo data's rows
in tests/reference/heterogeneity_input.csv; the values were written by tests/reference/heterogeneity.R."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pts_explorer.analytics import heterogeneity

HERE = Path(__file__).resolve().parents[1] / "reference"
INPUT = pd.read_csv(HERE / "heterogeneity_input.csv")
REFERENCE = pd.read_csv(HERE / "heterogeneity_reference.csv", keep_default_na=False, na_values=[""])
LEVELS = ["common iliac, high grade", "femoral, high grade", "other"]
DATA = {  # the reference's data sets and the cohorts each compares
    "trial, three cohorts": (INPUT[INPUT.study_id == "TRIAL"], LEVELS),
    "trial, iliac vs femoral": (INPUT[INPUT.study_id == "TRIAL"], LEVELS[:2]),
    "pooled, three cohorts": (INPUT, LEVELS),
}
CURVES = {
    "trial, stenosis_pct": (INPUT[INPUT.study_id == "TRIAL"], "stenosis_pct"),
    "trial, baseline": (INPUT[INPUT.study_id == "TRIAL"], "baseline"),
    "pooled, age_years": (INPUT, "age_years"),
}
CLOSE = {"rel": 1e-6, "abs": 1e-9}


def _reference(analysis: str, data: str) -> pd.DataFrame:
    rows = REFERENCE[(REFERENCE.analysis == analysis) & (REFERENCE.data == data)]
    assert len(rows), (analysis, data)
    return rows.reset_index(drop=True)


def _values(frame: pd.DataFrame, columns: list[str]) -> list[list[float]]:
    return frame[columns].astype(float).to_numpy().tolist()


def _close(got: list[list[float]], want: list[list[float]], tolerance: dict = CLOSE) -> None:
    assert np.shape(got) == np.shape(want)
    for row_got, row_want in zip(got, want, strict=True):
        assert row_got == pytest.approx(row_want, **tolerance), (row_got, row_want)


@pytest.mark.parametrize("name", list(DATA))
def test_effects_per_cohort_and_differences_in_effect_equal_r(name):
    rows, levels = DATA[name]
    result = heterogeneity.between_cohorts(rows.rename(columns={"lesion": "cohort"}), "cohort", levels)
    assert result is not None
    per_cohort = _reference("ancova_cohort", name)
    assert list(result.effects.level) == list(per_cohort.term) == levels
    _close(
        _values(result.effects, ["estimate", "ci_low", "ci_high", "p_value"]),
        _values(per_cohort, ["estimate", "ci_low", "ci_high", "p_value"]),
    )
    differences = _reference("ancova_difference", name)
    assert [(d.level, d.reference) for d in result.differences] == [(t, levels[0]) for t in differences.term]
    _close(
        [[d.estimate, d.ci_low, d.ci_high, d.p_value, result.residual_df] for d in result.differences],
        _values(differences, ["estimate", "ci_low", "ci_high", "p_value", "df"]),
    )
    interaction = _reference("ancova_interaction", name).iloc[0]
    assert result.interaction_df == interaction.df == len(levels) - 1
    assert result.interaction_p == pytest.approx(interaction.p_value, **CLOSE)
    assert result.adjusted_for_study == name.startswith("pooled")


def test_counts_per_cohort_are_the_patients_of_each_arm():
    rows, levels = DATA["trial, iliac vs femoral"]
    result = heterogeneity.between_cohorts(rows, "lesion", levels)
    counted = rows[rows.lesion.isin(levels)].groupby(["lesion", "arm"]).size()
    assert [(r.n_stent, r.n_medical) for r in result.effects.itertuples()] == [
        (counted[(level, "stent")], counted[(level, "medical")]) for level in levels
    ]


@pytest.mark.parametrize("name", list(CURVES))
def test_the_effect_along_a_modifier_equals_r_emmeans_on_a_natural_spline(name):
    rows, modifier = CURVES[name]
    curve = heterogeneity.effect_curve(rows, modifier)
    assert not isinstance(curve, str), curve
    interaction = _reference("curve_interaction", name).iloc[0]
    assert [*curve.knots, *curve.boundary] == [float(v) for v in interaction.term.split()]
    assert curve.interaction_df == interaction.df == 3
    assert curve.interaction_p == pytest.approx(interaction.p_value, **CLOSE)
    points = _reference("curve", name)
    assert curve.points.x.tolist() == pytest.approx(points.term.astype(float).tolist(), rel=1e-12)
    _close(
        [[*row, curve.residual_df] for row in _values(curve.points, ["estimate", "ci_low", "ci_high"])],
        _values(points, ["estimate", "ci_low", "ci_high", "df"]),
    )


def test_ratios_of_hazard_ratios_equal_r_coxph_stratified_by_study():
    rows, levels = DATA["pooled, three cohorts"]
    result = heterogeneity.hazard_ratios_between(rows, "lesion", levels)
    assert not isinstance(result, str) and result.adjusted_for_study, result
    per_cohort = _reference("cox_cohort", "pooled, three cohorts")
    assert list(result.effects.level) == list(per_cohort.term)
    _close(
        _values(result.effects, ["estimate", "ci_low", "ci_high", "p_value"]),
        _values(per_cohort, ["estimate", "ci_low", "ci_high", "p_value"]),
    )
    differences = _reference("cox_difference", "pooled, three cohorts")
    _close(
        [[d.estimate, d.ci_low, d.ci_high, d.p_value] for d in result.differences],
        _values(differences, ["estimate", "ci_low", "ci_high", "p_value"]),
    )
    interaction = _reference("cox_interaction", "pooled, three cohorts").iloc[0]
    assert result.interaction_df == interaction.df == 2
    assert result.interaction_p == pytest.approx(interaction.p_value, **CLOSE)
    events = rows.groupby(["lesion", "arm"])["observed"].sum()
    assert [(r.events_stent, r.events_medical) for r in result.effects.itertuples()] == [
        (events[(level, "stent")], events[(level, "medical")]) for level in levels
    ]


def test_a_cohort_too_small_to_compare_is_left_out_and_one_left_is_no_comparison():
    rows, _ = DATA["trial, three cohorts"]
    femoral_stent = (rows.lesion == "femoral, high grade") & (rows.arm == "stent")
    tiny = pd.concat([rows[~femoral_stent], rows[femoral_stent].head(2)])  # 2 stented: fewer than 3
    result = heterogeneity.between_cohorts(tiny, "lesion", LEVELS)
    assert list(result.effects.level) == [LEVELS[0], LEVELS[2]]
    assert [d.level for d in result.differences] == [LEVELS[2]]
    only = rows[rows.lesion == LEVELS[0]]
    assert heterogeneity.between_cohorts(only, "lesion", LEVELS) is None


def test_a_cohort_name_with_brackets_and_quotes_is_only_a_label():
    rows, levels = DATA["trial, iliac vs femoral"]
    named = rows.replace({"lesion": {levels[1]: "femoral [T.stent]', 'x"}})
    plain = heterogeneity.between_cohorts(rows, "lesion", levels)
    odd = heterogeneity.between_cohorts(named, "lesion", [levels[0], "femoral [T.stent]', 'x"])
    assert odd.differences[0].estimate == plain.differences[0].estimate
    assert odd.differences[0].level == "femoral [T.stent]', 'x"


def test_the_demo_shows_the_larger_benefit_in_high_grade_common_iliac_obstruction_in_the_randomized_trial():
    rows, levels = DATA["trial, three cohorts"]
    result = heterogeneity.between_cohorts(rows, "lesion", levels)
    effect = dict(zip(result.effects.level, result.effects.estimate, strict=True))
    assert effect["common iliac, high grade"] < effect["femoral, high grade"] < effect["other"] < 0


def test_the_input_is_the_demo_databases_rows(demo_con):
    """Rebuilt from the contract tables with pandas (not the SQL that wrote it); through the suite's
    connection (DuckDB refuses a second one to the file with other settings in the same process)."""
    patients, visits, events = (demo_con.table(t).df() for t in ("patients", "visits", "events"))
    score = visits.pivot_table(index="patient_id", columns="visit_month", values="villalta_total", aggfunc="max")
    both = score[[0, 6]].dropna()
    dvt = events[events.event_type == "recurrent_dvt"].groupby("patient_id").event_day.min()
    rows = patients.set_index("patient_id").loc[both.index].copy()
    high, site = rows.stenosis_pct >= 70, rows.obstruction_site
    rows["lesion"] = np.select(
        [high & (site == "common_iliac"), high & site.isin(["common_femoral", "femoral"])],
        ["common iliac, high grade", "femoral, high grade"],
        "other",
    )
    rows["baseline"], rows["change"] = both[0], both[6] - both[0]
    first = dvt.reindex(rows.index)
    rows["observed"] = (first.notna() & (first <= rows.last_contact_day)).astype(int)
    rows["duration_days"] = np.where(rows.observed == 1, first, rows.last_contact_day)
    expected = rows.reset_index().sort_values("patient_id")
    got = INPUT.sort_values("patient_id")
    assert list(got.patient_id) == list(expected.patient_id)
    for column in ("study_id", "arm", "lesion", "stenosis_pct", "age_years", "baseline", "change", "observed"):
        assert got[column].tolist() == expected[column].tolist(), column
    assert got.duration_days.tolist() == expected.duration_days.astype(int).tolist()


def test_each_difference_is_the_difference_of_the_effects_shown():
    rows, levels = DATA["pooled, three cohorts"]
    result = heterogeneity.between_cohorts(rows, "lesion", levels)
    effect = dict(zip(result.effects.level, result.effects.estimate, strict=True))
    assert [d.estimate for d in result.differences] == pytest.approx(
        [effect[d.level] - effect[d.reference] for d in result.differences], abs=1e-9
    )


def test_the_reference_cohort_can_be_chosen_and_an_unestimable_one_is_not_used():
    rows, levels = DATA["trial, three cohorts"]
    result = heterogeneity.between_cohorts(rows, "lesion", levels, reference="other")
    assert [(d.level, d.reference) for d in result.differences] == [(levels[0], "other"), (levels[1], "other")]
    femoral_stent = (rows.lesion == levels[1]) & (rows.arm == "stent")
    tiny = pd.concat([rows[~femoral_stent], rows[femoral_stent].head(2)])
    again = heterogeneity.between_cohorts(tiny, "lesion", levels, reference=levels[1])
    assert [(d.level, d.reference) for d in again.differences] == [(levels[2], levels[0])]


@pytest.mark.parametrize("seed", range(5))
def test_holm_equals_statsmodels_multipletests(seed):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, size=int(rng.integers(1, 8)))
    p[rng.integers(0, len(p))] = p[0]  # a tie
    assert heterogeneity.holm(p) == pytest.approx(multipletests(p, method="holm")[1], abs=1e-15)


def test_a_cox_model_without_a_finite_estimate_says_which_group_has_no_event_in_which_study():
    """A is trial patients only; B's trial patients have no event: stratified by study, the model can
    compare B with A only in the trial, where B's hazard goes to 0 (monotone likelihood), though each
    group has events in both arms overall (Who benefits' review: a trial cohort against a named subgroup)."""
    rows = []
    for study, group, events in (("TRIAL", "A", True), ("TRIAL", "B", False), ("REG", "B", True)):
        for i in range(20):
            arm = "stent" if i % 2 else "medical"
            rows.append(
                {
                    "study_id": study,
                    "g": group,
                    "arm": arm,
                    "duration_days": 100 + 37 * i,
                    "observed": bool(events and i % 3 == 0),
                }
            )
    data = pd.DataFrame(rows)
    result = heterogeneity.hazard_ratios_between(data, "g", ["A", "B"])
    assert result == (
        "the Cox model with a group × arm term has no finite estimate: it compares the groups within each study, "
        "and these have no event there: B in TRIAL"
    )
