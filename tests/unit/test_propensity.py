"""Propensity-score adjustment (pts_explorer/analytics/propensity.py) on hand-made patients: each
number recomputed from its published formula, not from the module."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from pts_explorer.analytics import propensity as P


def _patients(n: int = 200, seed: int = 4) -> pd.DataFrame:
    """Registry-like patients: stenting more likely with a high grade and a higher Villalta; change
    at month 6 better with a stent; an ulcer-healing time for those with an ulcer."""
    rng = np.random.default_rng(seed)
    grade = rng.choice(["50-69%", "70-99%", "occlusion"], n)
    villalta = rng.integers(5, 25, n)
    logit = -0.5 + 1.0 * (grade != "50-69%") + 0.08 * (villalta - 12)
    stent = rng.random(n) < 1 / (1 + np.exp(-logit))
    change = -1.5 - 4.0 * stent - 0.2 * (villalta - 12) + rng.normal(0, 3, n)
    ulcer = rng.random(n) < 0.4
    duration = rng.exponential(700 / (1 + stent), n).round() + 1
    return pd.DataFrame(
        {
            "patient_id": [f"R-{i:04d}" for i in range(n)],
            "study_id": "REGISTRY",
            "design": "observational",
            "center_id": rng.choice(["C1", "C2"], n),
            "arm": np.where(stent, "stent", "medical"),
            "obstruction_site": rng.choice(["common_iliac", "femoral"], n),
            "stenosis_grade": grade,
            "lesion_length_mm": rng.integers(30, 150, n),
            "baseline_villalta": villalta,
            "baseline_vcss": rng.integers(2, 15, n),
            "baseline_ulcer": np.where(ulcer, "yes", "no"),
            "age_years": rng.integers(20, 80, n),
            "sex": rng.choice(["female", "male"], n),
            "months_since_dvt": rng.integers(3, 120, n),
            "change": np.where(rng.random(n) < 0.1, np.nan, change),
            "duration_days": pd.array(np.where(ulcer, duration, np.nan), dtype="Int64"),
            "observed": pd.array(np.where(ulcer, rng.random(n) < 0.6, None), dtype="boolean"),
        }
    )


def _grade_and_villalta_scores(rows: pd.DataFrame) -> np.ndarray:
    """Stent on the grade (as indicators, <50% the reference) and the baseline Villalta: statsmodels' Logit,
    written out here."""
    x = np.column_stack(
        [
            np.ones(len(rows)),
            rows.stenosis_grade == "70-99%",
            rows.stenosis_grade == "occlusion",
            rows.baseline_villalta,
        ]
    ).astype(float)
    return np.asarray(sm.Logit((rows.arm == "stent").astype(float), x).fit(disp=0, tol=1e-12).predict(x))


def test_the_score_is_the_logistic_regression_of_stent_on_the_covariates_written_as_indicators():
    rows = _patients()
    score = P.fit_score(rows, ["stenosis_grade", "baseline_villalta"])
    expected = _grade_and_villalta_scores(rows)
    assert score.data.ps.to_numpy() == pytest.approx(np.asarray(expected), abs=1e-9)
    assert score.covariates == ("stenosis_grade", "baseline_villalta") and score.left_out == 0


def test_only_observational_patients_enter_the_score_and_a_missing_covariate_leaves_a_patient_out():
    rows = _patients()
    trial = rows.head(30).assign(design="randomized", study_id="TRIAL")
    rows = rows.astype({"lesion_length_mm": float})
    rows.loc[rows.index[:3], "lesion_length_mm"] = np.nan
    score = P.fit_score(pd.concat([rows, trial.assign(patient_id=lambda d: "T" + d.patient_id)]))
    assert len(score.data) == len(rows) - 3 and score.left_out == 3
    assert set(score.data.design) == {"observational"}


def test_overlap_and_trimmed_stabilized_weights_by_hand():
    stent = np.array([True, True, True, False, False])
    ps = np.array([0.9, 0.6, 0.3, 0.5, 0.02])
    assert P.overlap_weights(stent, ps).tolist() == pytest.approx([0.1, 0.4, 0.7, 0.5, 0.02])
    # bounds [0.05, 0.95] leave the last patient out; P(stent) among the 4 kept is 3/4
    w = P.iptw_weights(stent, ps, (0.05, 0.95))
    assert w.tolist() == pytest.approx([0.75 / 0.9, 0.75 / 0.6, 0.75 / 0.3, 0.25 / 0.5, 0.0])


def test_matching_takes_stent_patients_from_the_largest_score_and_respects_the_caliper():
    stent = np.array([True, True, True, False, False, False])
    ps = np.array([0.50, 0.80, 0.20, 0.78, 0.48, 0.05])
    width = 1.0 * np.std(ps, ddof=1)  # caliper 1 SD = 0.288...
    partner = P.match_nearest(stent, ps, caliper=1.0)
    # 0.80 first takes 0.78; 0.50 takes 0.48; 0.20 is left with 0.05 (0.15 apart, within the caliper)
    assert partner.tolist() == [4, 3, 5, 1, 0, 2]
    tight = P.match_nearest(stent, ps, caliper=0.1 / width)  # 0.1 in PS units: 0.20 and 0.05 too far
    assert tight.tolist() == [4, 3, -1, 1, 0, -1]


def test_greedy_order_matters_the_largest_score_chooses_first():
    stent = np.array([True, True, False])
    ps = np.array([0.60, 0.70, 0.64])  # both want 0.64; 0.70 comes first (largest PS)
    assert P.match_nearest(stent, ps, caliper=10).tolist() == [-1, 2, 1]


def test_kish_effective_sample_size():
    stent = np.array([True, True, False, False, False])
    w = np.array([1.0, 3.0, 2.0, 2.0, 0.0])
    assert P.effective_sample_size(stent, w) == pytest.approx({"stent": 16 / 10, "medical": 16 / 8})


def test_weighted_smd_of_a_continuous_covariate_uses_weighted_means_and_survey_variances():
    values = pd.Series([1.0, 3.0, 2.0, 6.0, 4.0], name="age_years")
    stent = np.array([True, True, False, False, False])
    w = np.array([1.0, 3.0, 1.0, 1.0, 2.0])
    m1, m2 = (1 + 9) / 4, (2 + 6 + 8) / 4
    v1 = (1 * (1 - m1) ** 2 + 3 * (3 - m1) ** 2) / 4 * 2 / 1
    v2 = ((2 - m2) ** 2 + (6 - m2) ** 2 + 2 * (4 - m2) ** 2) / 4 * 3 / 2
    assert P.weighted_smd(values, stent, w) == pytest.approx((m1 - m2) / np.sqrt((v1 + v2) / 2), abs=1e-12)


def test_weighted_smd_of_a_binary_covariate_is_the_difference_in_weighted_shares_over_the_pooled_sd():
    values = pd.Series(["yes", "no", "yes", "no", "no", "yes"], name="baseline_ulcer")
    stent = np.array([True, True, True, False, False, False])
    w = np.array([1.0, 1.0, 2.0, 1.0, 3.0, 1.0])
    p1, p2 = 3 / 4, 1 / 5  # weighted share with an ulcer
    expected = (p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    assert P.weighted_smd(values, stent, w) == pytest.approx(abs(expected), abs=1e-12)


def test_weighted_difference_is_weighted_least_squares_with_the_hc0_sandwich_times_n_over_n_minus_1():
    rows = _patients()
    w = np.random.default_rng(1).uniform(0.2, 3, len(rows))
    got = P.weighted_difference(rows, w)
    keep = rows.change.notna().to_numpy()
    x = sm.add_constant((rows.arm[keep] == "stent").astype(float).to_numpy())
    fit = sm.WLS(rows.change[keep].to_numpy(), x, weights=w[keep]).fit(cov_type="HC0")
    n = int(keep.sum())
    se = float(np.sqrt(fit.cov_params()[1, 1] * n / (n - 1)))
    assert got.estimate == pytest.approx(fit.params[1], abs=1e-10)
    assert got.se == pytest.approx(se, abs=1e-10)
    from scipy import stats

    t = stats.t.ppf(0.975, n - 2)
    assert (got.ci_low, got.ci_high) == pytest.approx((fit.params[1] - t * se, fit.params[1] + t * se), abs=1e-10)
    means = P.weighted_means(rows, w)
    assert means["stent"] - means["medical"] == pytest.approx(got.estimate, abs=1e-10)


def test_e_values_of_vanderweele_and_ding():
    # their example: RR 3.9 (CI 1.8 to 8.7): E-value 7.26, for the CI 3.0
    assert P.evalue_interval(3.9, 1.8, 8.7) == pytest.approx((7.26, 3.0), abs=0.01)
    assert P.evalue_rr(1 / 3.9) == pytest.approx(P.evalue_rr(3.9))
    assert P.evalue_interval(1.5, 0.9, 2.5)[1] == 1.0  # the CI includes the null
    # a common outcome: HR 2 is a risk ratio (1 - 0.5^sqrt 2) / (1 - 0.5^sqrt 0.5)
    assert P.hr_to_rr(2.0, 0.5) == pytest.approx((1 - 0.5 ** np.sqrt(2)) / (1 - 0.5 ** np.sqrt(0.5)))
    assert P.hr_to_rr(2.0, 0.1) == 2.0


def test_a_covariate_that_separates_the_arms_is_named_as_the_problem_with_the_way_out():
    rows = _patients()
    rows["sex"] = np.where(rows.arm == "stent", "female", "male")  # a centre would be pooled instead
    with pytest.raises(P.PropensityProblem, match="separates the arms.*Leave that covariate out, choose fewer"):
        P.fit_score(rows, ["sex", "baseline_villalta"])


def test_too_few_patients_and_unknown_covariates_say_what_to_change():
    rows = _patients()
    few = pd.concat([rows[rows.arm == "stent"], rows[rows.arm == "medical"].head(2)])
    with pytest.raises(P.PropensityProblem, match="at least 3 .*stent \\d+, medical 2"):
        P.fit_score(few)
    with pytest.raises(P.PropensityProblem, match="Unknown covariate"):
        P.fit_score(rows, ["bmi"])


def test_the_weighted_cox_model_and_kaplan_meier_run_on_the_eligible_patients_only():
    rows = _patients()
    w = np.ones(len(rows))
    hr, share = P.weighted_cox(rows, w)
    eligible = rows.duration_days.notna()
    assert hr.n_stent + hr.n_medical == int(eligible.sum())
    assert share == pytest.approx(rows.observed[eligible].astype(float).mean())
    fits = P.weighted_km(rows, w)
    assert set(fits) == {"stent", "medical"}


def _cox_rows(seed: int = 2, n: int = 80, ties: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stent = rng.random(n) < 0.5
    duration = rng.exponential(300 / (1 + stent), n)
    duration = duration.round(-1) + 10 if ties else duration + 1
    return pd.DataFrame(
        {
            "duration": duration,
            "event": (rng.random(n) < 0.7).astype(int),
            "stent": stent.astype(int),
            "w": rng.uniform(0.3, 2, n),
        }
    )


def test_efron_model_based_se_equals_lifelines_with_tied_times_and_the_robust_se_without_ties():
    """lifelines (not the module) as the reference: its model-based variance is Efron's with ties;
    its robust variance is R's when no event times are tied."""
    import warnings

    from lifelines import CoxPHFitter

    for ties in (True, False):
        rows = _cox_rows(ties=ties)
        assert rows.duration[rows.event == 1].duplicated().any() == ties
        options = {"precision": 1e-12, "r_precision": 1e-14}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            naive = CoxPHFitter().fit(rows, "duration", "event", weights_col="w", fit_options=options)
            robust = CoxPHFitter().fit(rows, "duration", "event", weights_col="w", robust=True, fit_options=options)
        duration, event, stent, w = (rows[c].to_numpy(float) for c in ("duration", "event", "stent", "w"))
        model_se, robust_se = P.efron_standard_errors(duration, event, stent, w, float(naive.params_["stent"]))
        assert model_se == pytest.approx(float(naive.standard_errors_["stent"]), abs=1e-9)
        if not ties:
            assert robust_se == pytest.approx(float(robust.standard_errors_["stent"]), abs=1e-9)


def _brute_force_matching(stent: np.ndarray, ps: np.ndarray, caliper: float) -> np.ndarray:
    """The definition, written out: largest PS first, the nearest free medical patient (the first
    in the data among equally near ones), within caliper x SD."""
    width = caliper * np.std(ps, ddof=1)
    partner = np.full(len(ps), -1)
    free = set(np.flatnonzero(~stent).tolist())
    for t in sorted(np.flatnonzero(stent).tolist(), key=lambda i: (-ps[i], i)):
        if not free:
            break
        best = min(free, key=lambda c: (abs(ps[c] - ps[t]), c))
        if abs(ps[best] - ps[t]) <= width:
            partner[t], partner[best] = best, t
            free.remove(best)
    return partner


@pytest.mark.parametrize("seed", range(40))
def test_matching_equals_the_definition_also_with_tied_scores(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    stent = rng.random(n) < rng.uniform(0.2, 0.8)
    ps = rng.choice(np.linspace(0.05, 0.95, int(rng.integers(2, 12))), n)  # few distinct values: ties
    if seed % 2:
        ps = ps + rng.normal(0, 0.01, n)
    caliper = float(rng.choice([0.05, 0.2, 1.0, 10.0]))
    if np.std(ps) == 0:
        return
    assert P.match_nearest(stent, ps, caliper).tolist() == _brute_force_matching(stent, ps, caliper).tolist()


def test_a_responder_improved_by_the_points_in_the_outcomes_direction_and_none_without_a_change():
    data = pd.DataFrame({"change": [-4.0, -3.0, 5.0, np.nan]})
    assert P.responders(data, 4).tolist()[:3] == [1.0, 0.0, 0.0] and np.isnan(P.responders(data, 4).iloc[3])
    assert P.responders(data, 4, higher_is_better=True).tolist()[:3] == [0.0, 0.0, 1.0]


def test_the_weighted_risk_ratio_is_the_ratio_of_weighted_shares():
    data = pd.DataFrame({"arm": ["stent"] * 4 + ["medical"] * 4, "responder": [1, 1, 0, 1, 0, 1, 0, 0.0]})
    w = np.array([1, 2, 1, 1, 1, 1, 2, 1.0])
    ratio = P.weighted_risk_ratio(data, w)
    assert ratio.estimate == pytest.approx((4 / 5) / (1 / 5))
    assert P.weighted_risk_ratio(data.assign(responder=np.where(data.arm == "medical", 0.0, 1.0)), w) is None


def _logit_scores(rows: pd.DataFrame, centre: pd.Series | None) -> np.ndarray:
    """R's glm(stent ~ baseline_villalta [+ centre]) written as indicators by hand: the expected score."""
    columns = [np.ones(len(rows)), rows.baseline_villalta.to_numpy(float)]
    if centre is not None:
        levels = sorted(set(centre))
        columns += [(centre == level).to_numpy(float) for level in levels[1:]]
    x = np.column_stack(columns)
    return np.asarray(sm.Logit((rows.arm == "stent").to_numpy(float), x).fit(disp=0, tol=1e-12).predict(x))


def _with_centres(rows: pd.DataFrame, medical_in_small: tuple[int, int]) -> pd.DataFrame:
    """Centres A (large), B (large), S1 and S2: S1 and S2 take 6 stent patients each and the given
    numbers of medical patients; everyone else alternates between A and B."""
    rows = rows.reset_index(drop=True)
    stent = list(rows.index[rows.arm == "stent"])
    medical = list(rows.index[rows.arm == "medical"])
    centre = pd.Series(["A", "B"] * (len(rows) // 2) + ["A"] * (len(rows) % 2), index=rows.index)
    centre[stent[:6]] = "S1"
    centre[stent[6:12]] = "S2"
    centre[medical[: medical_in_small[0]]] = "S1"
    centre[medical[medical_in_small[0] : sum(medical_in_small)]] = "S2"
    return rows.assign(center_id=centre)


def test_centres_with_too_few_patients_of_an_arm_are_pooled_into_other_centres():
    """S1 and S2 have 6 stent and 2 medical patients each (fewer than 3 of an arm, as a one-arm centre
    would be: each alone nearly separates the score): both join "(other centres)", which then holds
    12 stent and 4 medical patients, enough: the centre stays in the score with that level."""
    rows = _with_centres(_patients(), (0, 4))
    rows.loc[rows.index[(rows.center_id == "S2") & (rows.arm == "medical")][:2], "center_id"] = "S1"
    counts = pd.crosstab(rows.center_id, rows.arm)
    assert counts.loc["S1", "medical"] == 2 and counts.loc["S2", "medical"] == 2
    score = P.fit_score(rows, ["baseline_villalta", "center_id"])
    assert score.pooled_centres == ("S1", "S2") and not score.centre_left_out
    assert score.covariates == ("baseline_villalta", "center_id")
    expected_centre = rows.center_id.replace({"S1": "(other centres)", "S2": "(other centres)"})
    assert score.data.ps.to_numpy() == pytest.approx(_logit_scores(rows, expected_centre), abs=1e-8)
    assert sorted(set(score.data.center_id)) == ["(other centres)", "A", "B"]


def test_the_centre_is_left_out_of_the_score_when_even_pooled_it_has_too_few_of_an_arm():
    rows = _with_centres(_patients(), (0, 2))  # pooled: 12 stent, 2 medical
    score = P.fit_score(rows, ["baseline_villalta", "center_id"])
    assert score.pooled_centres == ("S1", "S2") and score.centre_left_out
    assert score.covariates == ("baseline_villalta",)
    assert score.data.ps.to_numpy() == pytest.approx(_logit_scores(rows, None), abs=1e-8)


def test_centres_with_enough_patients_of_both_arms_are_not_pooled():
    rows = _with_centres(_patients(), (3, 5))
    score = P.fit_score(rows, ["baseline_villalta", "center_id"])
    assert score.pooled_centres == () and not score.centre_left_out
    assert score.data.ps.to_numpy() == pytest.approx(_logit_scores(rows, rows.center_id), abs=1e-8)


def test_a_collinear_design_gets_the_same_scores_as_statsmodels_pseudo_inverse():
    """Baseline VCSS a copy of the baseline Villalta: the design's columns are collinear. The score is
    still the maximum-likelihood fit (statsmodels' GLM, pseudo-inverse), never an error or garbage."""
    rows = _patients()
    rows["baseline_vcss"] = rows.baseline_villalta
    score = P.fit_score(rows, ["stenosis_grade", "baseline_villalta", "baseline_vcss"])
    expected = _grade_and_villalta_scores(rows)
    assert score.data.ps.to_numpy() == pytest.approx(np.asarray(expected), abs=1e-8)
