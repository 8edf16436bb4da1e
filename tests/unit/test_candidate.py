"""The Candidate page's core: a profile checked for what is possible; the matched patients equal an
independent pandas selection (exact anatomy at each widening, standardized distance, nearest per
arm with ties); the model estimate equals statsmodels fitted directly; a statement run over the
matched patients equals the same statement over a cohort filter that selects them."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from pts_explorer import candidate, db, sql, vocab
from pts_explorer.analytics import candidate as estimate
from pts_explorer.filters import MAX_MODEL_PATIENTS, CohortFilter

OCCLUDED_CIV_SEVERE = {"c_site": "common_iliac", "c_stenosis": 100, "c_villalta": 17, "c_ulcer": "yes", "c_age": 45}
MILD_FEMORAL = {"c_site": "femoral", "c_stenosis": 40, "c_villalta": 7, "c_age": 58, "c_sex": "male"}


def test_impossible_values_are_left_out_in_words():
    profile, problems = candidate.from_settings({"c_stenosis": 140, "c_age": 12, "c_villalta": 40, "c_site": "ivc"})
    assert (profile.stenosis, profile.age, profile.villalta, profile.site) == (None, None, None, "ivc")
    text = " ".join(problems)
    assert "**Stenosis 140%** is not possible: a diameter reduction is 0 to 100%" in text
    assert "**Age 12 years** is not possible: the data hold adults aged 18 to 90" in text
    assert "**Villalta 40 points** is not possible" in text
    assert len(problems) == 3


def test_the_percentage_and_the_items_win_and_say_so():
    profile, problems = candidate.from_settings(
        {"c_stenosis": 85, "c_grade": "<50%", "c_items": "33333000000", "c_villalta": 3}
    )
    assert profile.stenosis_grade == "70-99%" and profile.villalta_total == 15 and profile.band == "severe"
    assert any("the percentage is used" in p for p in problems) and any("add up to **15**" in p for p in problems)
    partial, _ = candidate.from_settings({"c_items": "3333x000000", "c_villalta": 9})
    assert partial.items_total is None and partial.villalta_total == 9  # unscored items: the total entered


@pytest.mark.parametrize("stenosis", [0, 49, 50, 69, 70, 99, 100])
def test_grades_bands_and_groups_follow_the_contract(stenosis):
    expected = "<50%" if stenosis < 50 else "50-69%" if stenosis < 70 else "70-99%" if stenosis < 100 else "occlusion"
    assert candidate.grade_of(stenosis) == expected
    assert [candidate.band_of(v, False) for v in (4, 5, 9, 10, 14, 15)] == ["none", "mild", "mild"] + [
        "moderate",
        "moderate",
        "severe",
    ]
    assert candidate.band_of(3, True) == "severe"


def test_the_profile_groups_are_the_sql_groups(demo_con):
    rows = db.run_query(
        demo_con,
        "candidate_pool",
        {**CohortFilter().as_params(), "c_site": None, "c_grade": None, "c_region": None, "c_grade_group": None},
    )
    lesion = db.run_query(demo_con, "cohort", CohortFilter().as_params()).set_index("patient_id").lesion_group
    rows["lesion_group"] = rows.patient_id.map(lesion)
    for r in rows.drop_duplicates(["obstruction_site", "stenosis_grade"]).itertuples():
        profile = candidate.Profile(site=r.obstruction_site, grade=r.stenosis_grade)
        assert (profile.region, profile.grade_group, profile.lesion_group) == (r.region, r.grade_group, r.lesion_group)


@pytest.fixture(scope="module")
def raw(demo_con):
    patients = demo_con.execute("SELECT * FROM patients").df()
    base = demo_con.execute("SELECT * FROM visits WHERE visit_month = 0").df().set_index("patient_id")
    patients["baseline_villalta"] = patients.patient_id.map(base.villalta_total)
    patients["baseline_vcss"] = patients.patient_id.map(base.vcss)
    patients["baseline_ulcer"] = patients.patient_id.map(base.ulcer_present).fillna(False).astype(bool)
    patients["stenosis_grade"] = patients.stenosis_pct.map(candidate.grade_of)
    return patients


def _expected_match(raw: pd.DataFrame, profile: candidate.Profile, level: int, per_arm: int) -> pd.DataFrame:
    """The match written out in pandas from the paper description on the page."""
    p = raw.copy()
    region = p.obstruction_site.map(lambda s: "femoral" if s in ("common_femoral", "femoral") else "iliocaval")
    group = p.stenosis_grade.map(lambda g: "high" if g in ("70-99%", "occlusion") else "low")
    keep = pd.Series(True, index=p.index)
    if level < 2 and profile.site:
        keep &= p.obstruction_site == profile.site
    if level == 2 and profile.region:
        keep &= region == profile.region
    if level == 0 and profile.stenosis_grade:
        keep &= p.stenosis_grade == profile.stenosis_grade
    if level > 0 and profile.grade_group:
        keep &= group == profile.grade_group
    p = p[keep].copy()
    squares = pd.Series(0.0, index=p.index)
    for column, value in (
        ("age_years", profile.age),
        ("baseline_villalta", profile.villalta_total),
        ("baseline_vcss", profile.vcss),
        ("months_since_dvt", profile.months),
        ("lesion_length_mm", profile.length),
        ("stenosis_pct", profile.stenosis),
    ):
        if value is not None:
            sd = p[column].std() or 1.0
            squares += (((p[column] - value) / sd) ** 2).fillna(1.0)
    for column, value in (("sex", profile.sex), ("limb_side", profile.side)):
        if value is not None:
            squares += (p[column] != value).astype(float)
    if profile.ulcer is not None:
        squares += (p.baseline_ulcer != (profile.ulcer == "yes")).astype(float)
    p["distance"] = np.sqrt(squares)
    p["place"] = p.groupby("arm").distance.rank(method="min")
    return p[p.place <= per_arm]


@pytest.mark.parametrize(
    ("settings", "level", "per_arm"),
    [
        (OCCLUDED_CIV_SEVERE, 0, 50),
        (OCCLUDED_CIV_SEVERE, 1, 25),
        (MILD_FEMORAL, 0, 100),
        (MILD_FEMORAL, 2, 50),
        ({"c_site": "external_iliac", "c_grade": "70-99%", "c_vcss": 12, "c_length": 60, "c_side": "right"}, 1, 50),
        ({"c_site": "common_femoral"}, 0, 25),  # no distance field: the whole anatomy group
    ],
)
def test_the_match_equals_an_independent_selection(demo_con, raw, settings, level, per_arm):
    profile, _ = candidate.from_settings(settings)
    params = {**CohortFilter().as_params(), **profile.match_params(level, per_arm)}
    for fast in (False, True):
        shown = db.run_query(demo_con, "candidate_match", params, fast).set_index("patient_id")
        expected = _expected_match(raw, profile, level, per_arm).set_index("patient_id")
        assert set(shown.index) == set(expected.index)
        np.testing.assert_allclose(shown.distance, expected.distance.reindex(shown.index), rtol=1e-9, atol=1e-9)
    assert len(shown) >= min(per_arm, 10)


def test_widening_takes_the_narrowest_level_that_holds_enough():
    levels = pd.DataFrame({"arm": ["stent", "medical"], "level_0": [30, 12], "level_1": [60, 25], "level_2": [90, 40]})
    assert estimate.choose_level(levels) == (1, True)
    assert estimate.choose_level(levels.assign(level_1=[60, 5], level_2=[90, 8])) == (2, False)
    assert estimate.choose_level(levels.assign(level_0=[20, 20])) == (0, True)


def _randomized_changes(demo_con, month: int) -> pd.DataFrame:
    """Villalta change at `month` of the randomized patients, from the tables."""
    rows = demo_con.execute(
        """
        SELECT p.patient_id, p.arm, p.obstruction_site, p.stenosis_pct, b.villalta_total AS baseline,
               f.villalta_total - b.villalta_total AS change
        FROM patients p JOIN studies s USING (study_id)
        JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
        JOIN visits f ON f.patient_id = p.patient_id AND f.visit_month = $month
        WHERE s.design = 'randomized'
        """,
        {"month": month},
    ).df()
    high = rows.stenosis_pct >= 70
    civ_cfv = rows.obstruction_site.isin(["common_iliac", "common_femoral"])
    rows["lesion_group"] = np.where(~high, "below_70", np.where(civ_cfv, "high_grade_civ_cfv", "high_grade_other"))
    return rows


@pytest.mark.parametrize("month", [6, 12])
@pytest.mark.parametrize("settings", [OCCLUDED_CIV_SEVERE, MILD_FEMORAL, {"c_site": "ivc", "c_grade": "70-99%"}])
def test_the_model_estimate_equals_statsmodels_fitted_directly(demo_con, month, settings):
    profile, _ = candidate.from_settings(settings)
    data = db.run_query(
        demo_con,
        "analysis_visit",
        {
            **CohortFilter().as_params(),
            "outcome": "villalta_total",
            "visit_month": month,
            "randomized_only": True,
            "max_patients": MAX_MODEL_PATIENTS,
        },
    )
    shown = estimate.model_estimate(data, profile.lesion_group, profile.villalta_total, month)
    assert shown is not None
    # The same model with this profile's lesion group as the reference: the arm's coefficient is
    # then the difference itself.
    direct = _randomized_changes(demo_con, month)
    assert len(direct) == shown.n_model
    group = profile.lesion_group
    fit = smf.ols(
        f"change ~ C(arm, Treatment('medical')) * C(lesion_group, Treatment('{group}')) + baseline", data=direct
    ).fit()
    term = "C(arm, Treatment('medical'))[T.stent]"
    assert shown.diff == pytest.approx(fit.params[term], abs=1e-9)
    low, high = fit.conf_int().loc[term]
    assert (shown.ci_low, shown.ci_high) == pytest.approx((low, high), abs=1e-9)
    half = stats.t.ppf(0.975, fit.df_resid) * np.sqrt(fit.bse[term] ** 2 + 2 * fit.scale)
    assert (shown.pi_low, shown.pi_high) == pytest.approx((fit.params[term] - half, fit.params[term] + half), abs=1e-9)
    baseline = float(profile.villalta_total if profile.villalta_total is not None else direct.baseline.mean())
    new = pd.DataFrame({"arm": ["stent", "medical"], "lesion_group": group, "baseline": baseline})
    assert (shown.stent, shown.medical) == pytest.approx(tuple(fit.predict(new)), abs=1e-9)
    assert shown.baseline_assumed == (profile.villalta_total is None)


def test_the_seed_extremes_differ_clearly_and_the_mild_one_is_flagged(demo_con):
    data = db.run_query(
        demo_con,
        "analysis_visit",
        {
            **CohortFilter().as_params(),
            "outcome": "villalta_total",
            "visit_month": 6,
            "randomized_only": True,
            "max_patients": MAX_MODEL_PATIENTS,
        },
    )
    severe, _ = candidate.from_settings(OCCLUDED_CIV_SEVERE)
    mild, _ = candidate.from_settings(MILD_FEMORAL)
    big = estimate.model_estimate(data, severe.lesion_group, severe.villalta_total, 6)
    small = estimate.model_estimate(data, mild.lesion_group, mild.villalta_total, 6)
    assert big.diff < -5 and big.ci_high < 0  # a clear benefit where the evidence expects it
    assert big.diff < small.diff - 2  # clearly larger than for the mild profile (about -5.9 against -2.7)
    assert estimate.extrapolation(severe, data) == []
    assert any("grade <50%" in note for note in estimate.extrapolation(mild, data))  # the trial enrolled 50%+


def test_a_statement_over_the_matched_patients_equals_it_over_the_same_cohort(demo_con):
    cohort = CohortFilter(site=("femoral",), grade=("70-99%",))
    ids = db.run_query(demo_con, "cohort", cohort.as_params()).patient_id.tolist()
    for name, extra in (
        ("trajectory_summary", {"outcome": "villalta_total", "by_study": False}),
        ("km_counts", {"endpoint": "primary_patency", "group": "arm", "randomized_only": False}),
        ("cohort_size_by_study_arm", {}),
        ("responders_by_visit", {"threshold": 4.0, "randomized_only": False, "days_per_month": vocab.DAYS_PER_MONTH}),
        ("trajectory_sample", {"outcome": "villalta_total", "by_study": True, "per_arm": 5}),
    ):
        for fast in (False, True):
            over_cohort = db.run_query(demo_con, name, {**cohort.as_params(), **extra}, fast)
            over_ids = db.run_query(demo_con, f"{name}@matched_cohort", {"matched_ids": ids, **extra}, fast)
            pd.testing.assert_frame_equal(
                over_cohort.sort_values(list(over_cohort.columns)).reset_index(drop=True),
                over_ids.sort_values(list(over_ids.columns)).reset_index(drop=True),
                check_dtype=False,
            )


def test_patient_level_twins_serve_a_population_and_read_no_cells():
    for name in sql.PATIENT_LEVEL_TWINS:
        fast = sql.compose(f"{name}@matched_cohort", fast=True)
        assert fast != sql.compose(f"{name}@matched_cohort")  # the twin is used
        assert "$site" not in fast and "_cells" not in fast, name


def test_an_unknown_population_is_refused():
    with pytest.raises(KeyError, match="no population"):
        sql.compose("trajectory_summary@patients")
    assert "matched_ids" in sql.param_names(sql.compose("trajectory_summary@matched_cohort"))
    assert "$site" not in sql.compose("trajectory_summary@matched_cohort")  # the sidebar's filter is not read


def test_matched_cohort_is_the_cohort_text_up_to_its_filter():
    def relation(name: str) -> str:
        text = sql.load_sql(name)
        return text[text.index("SELECT") : text.index("WHERE")]

    assert relation("matched_cohort") == relation("cohort")
    assert list(vocab.SITES)  # the vocabulary the groups are written against
