"""The Candidate page's core: a profile checked for what is possible; the matched patients equal an
independent pandas selection (exact anatomy at each widening, standardized distance, nearest per
arm with ties); the model estimate equals statsmodels fitted directly; a statement run over the
matched patients equals the same statement over a cohort filter that selects them."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

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


REFERENCE = Path(__file__).resolve().parents[1] / "reference"
MODEL_COLUMNS = [
    "baseline",
    "change",
    "ulcer",
    "vcss",
    "age_years",
    "female",
    "months_since_dvt",
    "lesion_length_mm",
    "left_limb",
]


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    """The randomized patients of the demo cohort at months 6 and 12, as R read them."""
    return pd.read_csv(REFERENCE / "candidate_model_trial.csv")


def _model_rows(demo_con, month: int) -> pd.DataFrame:
    return db.run_query(
        demo_con,
        "candidate_model",
        {
            **CohortFilter().as_params(),
            "outcome": "villalta_total",
            "visit_month": month,
            "randomized_only": True,
            "max_patients": MAX_MODEL_PATIENTS,
        },
    )


def _randomized_changes(demo_con, month: int) -> pd.DataFrame:
    """The randomized patients with their baseline fields and Villalta change at `month`, from the
    contract tables (a patient without the visit keeps a row with no change)."""
    rows = demo_con.execute(
        """
        SELECT p.patient_id, p.arm, p.obstruction_site, p.stenosis_pct, b.villalta_total AS baseline,
               f.villalta_total - b.villalta_total AS change, b.ulcer_present, b.vcss, p.age_years, p.sex,
               p.months_since_dvt, p.lesion_length_mm, p.limb_side
        FROM patients p JOIN studies s USING (study_id)
        JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
        LEFT JOIN visits f ON f.patient_id = p.patient_id AND f.visit_month = $month
        WHERE s.design = 'randomized'
        """,
        {"month": month},
    ).df()
    high = rows.stenosis_pct >= 70
    civ_cfv = rows.obstruction_site.isin(["common_iliac", "common_femoral"])
    rows["lesion_group"] = np.where(~high, "below_70", np.where(civ_cfv, "high_grade_civ_cfv", "high_grade_other"))
    rows["ulcer"] = rows.ulcer_present.astype(float)
    rows["female"] = (rows.sex == "female").astype(float)
    rows["left_limb"] = (rows.limb_side == "left").astype(float)
    return rows


@pytest.mark.parametrize("month", [6, 12])
def test_the_r_reference_data_are_the_pages_model_rows_and_the_tables(demo_con, trial, month):
    """R was fed what the page fits on, and that equals the contract tables read by hand."""
    shown = _model_rows(demo_con, month).sort_values("patient_id").reset_index(drop=True)
    saved = trial[trial.visit_month == month].sort_values("patient_id").reset_index(drop=True)
    direct = _randomized_changes(demo_con, month).sort_values("patient_id").reset_index(drop=True)
    columns = ["patient_id", "arm", "lesion_group", *MODEL_COLUMNS]
    for other in (saved, direct):
        pd.testing.assert_frame_equal(shown[columns], other[columns], check_dtype=False)
    assert shown.change.notna().sum() == {6: 223, 12: 208}[month]  # the complete cases


def _reference_rows() -> list[tuple[str, int]]:
    table = pd.read_csv(REFERENCE / "candidate_model_reference.csv")
    return [(r.profile, int(r.visit_month)) for r in table.itertuples()]


def _reference_profile(name: str) -> candidate.Profile:
    table = pd.read_csv(REFERENCE / "candidate_model_profiles.csv", dtype=str).set_index("profile")
    settings = {key: value for key, value in table.loc[name].items() if isinstance(value, str)}
    numbers = {key: int(settings[key]) for key in settings if key in {v[0] for v in candidate.LIMITS.values()}}
    profile, problems = candidate.from_settings({**settings, **numbers})
    assert problems == []
    return profile


@pytest.mark.parametrize(("name", "month"), _reference_rows())
def test_the_model_equals_r_lm_and_predict(trial, name, month):
    """Every number of tests/reference/candidate_model_reference.csv (R lm + predict, see
    candidate_model.R) to 1e-6: the adjustment set, the contrast, the expected changes, their CIs
    and the prediction intervals."""
    ref = pd.read_csv(REFERENCE / "candidate_model_reference.csv", keep_default_na=False)
    ref = ref[(ref.profile == name) & (ref.visit_month == month)].iloc[0]
    shown = estimate.model_estimate(trial[trial.visit_month == month], _reference_profile(name), month)
    assert shown is not None
    assert shown.formula.split(" + ")[1:] == ["baseline", *str(ref.covariates).split()]
    assert shown.not_used == ()
    assert (shown.lesion_group, shown.n_model, shown.df_resid) == (ref.lesion_group, ref.n, ref.df_resid)
    tol = 1e-6
    assert shown.baseline == pytest.approx(ref.baseline, abs=tol)
    assert (shown.diff, shown.se, shown.ci_low, shown.ci_high) == pytest.approx(
        (ref["diff"], ref.se, ref.ci_low, ref.ci_high), abs=tol
    )
    for arm, p in (("stent", shown.stent), ("medical", shown.medical)):
        assert (p.expected, p.ci_low, p.ci_high, p.pi_low, p.pi_high) == pytest.approx(
            tuple(ref[f"{arm}{suffix}"] for suffix in ("", "_ci_low", "_ci_high", "_pi_low", "_pi_high")), abs=tol
        )
    # Stent minus medical is the difference of the two predictions: nothing else differs by arm.
    assert shown.stent.expected - shown.medical.expected == pytest.approx(shown.diff, abs=1e-9)


def test_two_very_different_profiles_get_different_predictions_and_the_contrast_the_model_gives(trial):
    data = trial[trial.visit_month == 6]
    severe = estimate.model_estimate(data, _reference_profile("severe_iliac"), 6)
    older = estimate.model_estimate(data, _reference_profile("older_iliac"), 6)
    femoral = estimate.model_estimate(data, _reference_profile("femoral_partial"), 6)
    assert severe is not None and older is not None and femoral is not None
    # Same lesion group and adjustment set: the model has one stent − medical difference for both,
    # while the expected changes move with the fields (about -8.4 against -4.8 with a stent).
    assert severe.formula == older.formula and severe.diff == older.diff
    assert abs(severe.stent.expected - older.stent.expected) > 2
    assert abs(severe.medical.expected - older.medical.expected) > 2
    assert femoral.diff > severe.diff + 2  # another lesion group, another contrast


def test_a_field_the_data_cannot_support_is_left_out_and_named(trial):
    """A hand-edited copy: VCSS lost for a third of the patients, the ulcer kept by 6, every lesion
    1 mm long; what is left is the model of the remaining fields."""
    data = trial[trial.visit_month == 6].copy().reset_index(drop=True)
    data.loc[data.index % 3 == 0, "vcss"] = np.nan
    data["ulcer"] = 0.0
    data.loc[:5, "ulcer"] = 1.0
    data["lesion_length_mm"] = 1.0
    profile = _reference_profile("severe_iliac")
    shown = estimate.model_estimate(data, profile, 6)
    seen = int(data.change.notna().sum())
    missing = int((data.vcss.isna() & data.change.notna()).sum())
    assert shown.not_used == (
        "open ulcer (fewer than 10 randomized patients have one of its two answers)",
        f"VCSS (missing for {missing} of the {seen} randomized patients with the visit)",
        "lesion length (it does not vary among the randomized patients)",
    )
    assert shown.used == ("age 45 years", "sex: female", "months since DVT 30", "limb: left")
    kept = data.dropna(subset=["change"])
    fit = smf.ols(
        "change ~ C(arm, Treatment('medical')) * C(lesion_group, Treatment('high_grade_civ_cfv')) + baseline"
        " + age_years + female + months_since_dvt + left_limb",
        data=kept,
    ).fit()
    assert shown.diff == pytest.approx(fit.params["C(arm, Treatment('medical'))[T.stent]"], abs=1e-9)
    # Few patients: the fields are offered in order until 10 patients per coefficient are used up.
    few = kept.groupby(["arm", "lesion_group"]).head(15)  # 90 patients: at most 9 coefficients
    assert len(few) == 90
    small = estimate.model_estimate(few, profile, 6)
    assert small.used == ("age 45 years", "sex: female")  # arm × group (6), baseline, age, sex: 9 coefficients
    too_many = "(90 randomized patients support at most 9 coefficients, at 10 patients each)"
    assert small.not_used == (
        "open ulcer (fewer than 10 randomized patients have one of its two answers)",
        f"VCSS (missing for {int(few.vcss.isna().sum())} of the 90 randomized patients with the visit)",
        f"months since DVT {too_many}",
        "lesion length (it does not vary among the randomized patients)",
        f"limb {too_many}",
    )


def test_a_field_that_would_empty_the_lesion_group_stays_out_and_too_few_patients_give_no_estimate(trial):
    data = trial[(trial.visit_month == 6)].dropna(subset=["change"]).copy()
    group = data.lesion_group == "high_grade_civ_cfv"
    keep = ~group | (data.groupby(["lesion_group", "arm"]).cumcount() < 5)  # 5 per arm in the profile's group
    data = data[keep].copy()
    first_stent = data.index[(data.lesion_group == "high_grade_civ_cfv") & (data.arm == "stent")][0]
    data.loc[first_stent, "lesion_length_mm"] = np.nan  # 1 of 150 missing: allowed, but the group drops to 4
    profile, _ = candidate.from_settings({"c_site": "common_iliac", "c_stenosis": 100, "c_length": 80, "c_age": 50})
    shown = estimate.model_estimate(data, profile, 6)
    assert shown is not None and (shown.n_stent, shown.n_medical) == (5, 5)
    assert shown.used == ("age 50 years",)
    assert shown.not_used == (
        "lesion length (without the patients missing it, this lesion group has fewer than 5 patients in an arm)",
    )
    assert estimate.model_estimate(data.drop(first_stent), profile, 6) is None  # 4 stented: no estimate


def test_the_seed_extremes_differ_clearly_and_the_mild_one_is_flagged(demo_con):
    data = _model_rows(demo_con, 6)
    severe, _ = candidate.from_settings(OCCLUDED_CIV_SEVERE)
    mild, _ = candidate.from_settings(MILD_FEMORAL)
    big = estimate.model_estimate(data, severe, 6)
    small = estimate.model_estimate(data, mild, 6)
    assert big.diff < -5 and big.ci_high < 0  # a clear benefit where the evidence expects it
    assert big.diff < small.diff - 2  # clearly larger than for the mild profile (about -5.9 against -2.9)
    seen = data.dropna(subset=["change"])
    assert estimate.extrapolation(severe, seen) == []
    assert any("grade <50%" in note for note in estimate.extrapolation(mild, seen))  # the trial enrolled 50%+


def test_the_design_mix_is_named_by_what_dominates():
    def mix(randomized: int, observational: int) -> estimate.DesignMix:
        sizes = pd.DataFrame({"design": ["randomized", "observational"], "patients": [randomized, observational]})
        return estimate.design_mix(sizes)

    assert mix(24, 149).label() == "observational: 86% registry"
    assert mix(24, 149).observational_dominates
    assert mix(0, 40).label() == "observational: registry only"
    assert mix(40, 0).label() == "randomized only" and not mix(40, 0).observational_dominates
    assert mix(30, 10).label() == "not randomized: 25% registry"
    assert not mix(20, 20).observational_dominates  # half is not a majority


def test_the_agreement_of_each_field_is_counted_by_hand():
    """Five matched patients per arm written out; the shares worked out on paper."""
    match = pd.DataFrame(
        {
            "arm": ["stent"] * 5 + ["medical"] * 5,
            "obstruction_site": ["common_iliac"] * 10,
            "stenosis_grade": ["occlusion"] * 10,
            "stenosis_pct": [100] * 10,
            "baseline_ulcer": [True, False, False, False, False, True, True, True, False, False],
            "age_years": [45, 50, 51, 39, 40, 45, 45, 45, 45, 45],
            "lesion_length_mm": [80, 100, 101, None, 60, 80, 80, 80, 80, 80],
            "sex": ["female"] * 10,
            "limb_side": ["left"] * 10,
            "baseline_villalta": [17] * 10,
            "baseline_vcss": [10] * 10,
            "months_since_dvt": [30] * 10,
        }
    )
    profile, _ = candidate.from_settings(
        {"c_site": "common_iliac", "c_stenosis": 100, "c_ulcer": "yes", "c_age": 45, "c_length": 80}
    )
    table = estimate.agreement(profile, match).set_index("field")
    assert table.loc["Open ulcer", "stent"] == 0.2 and table.loc["Open ulcer", "medical"] == 0.6
    assert table.loc["Age", "stent"] == 0.6  # 45, 50 and 40 are within 5 years; 51 and 39 are not
    assert table.loc["Lesion length", "stent"] == 0.6  # 80, 100, 60 within 20 mm; 101 and a missing one not
    assert list(table.index[~table.honoured]) == ["Open ulcer"]
    assert estimate.unhonoured(table.reset_index()) == [
        "Open ulcer (the same ulcer status): 20% of the matched stent and 60% of the matched medical patients"
    ]


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
    """No cells filtered by the sidebar's dimensions: the only cells a population's twin reads are the
    months of the analysed visits (responder_pairs), whole."""
    for name in sql.PATIENT_LEVEL_TWINS:
        fast = sql.compose(f"{name}@matched_cohort", fast=True)
        assert fast != sql.compose(f"{name}@matched_cohort")  # the twin is used
        assert "$site" not in fast, name
        assert set(re.findall(r"(?:FROM|JOIN)\s+(\w*_cells)\b", fast)) <= {"agg_visit_cells"}, name
        assert "agg_visit_cells" not in fast or "SELECT DISTINCT visit_month\n    FROM agg_visit_cells" in fast, name


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
