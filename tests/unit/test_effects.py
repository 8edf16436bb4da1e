"""Adjusted effects, MMRM, subgroups and responders against reference values (source stated)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from pts_explorer import db
from pts_explorer.analytics import effects, mmrm, responders
from pts_explorer.filters import CohortFilter
from pts_explorer.privacy import Protection


def _trial_like(n: int = 60, months=(1, 3, 6), missing: float = 0.0, seed: int = 5) -> pd.DataFrame:
    """Long data with a true stent effect of -4 growing over visits and correlated visits."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        arm = "stent" if i % 2 == 0 else "medical"
        base = rng.normal(14, 4)
        patient = rng.normal(0, 2)
        for k, month in enumerate(months):
            if k > 0 and rng.random() < missing:
                continue
            effect = -4 * (k + 1) / len(months) if arm == "stent" else 0
            rows.append(
                {
                    "patient_id": f"P{i:03d}",
                    "study_id": "TRIAL",
                    "arm": arm,
                    "baseline": base,
                    "visit_month": month,
                    "change": -1 + effect - 0.2 * (base - 14) + patient + rng.normal(0, 1.5),
                }
            )
    return pd.DataFrame(rows)


def test_ancova_matches_the_normal_equations():
    """Independent formula: beta = (X'X)^-1 X'y, t-based CI with n - p degrees of freedom."""
    d = _trial_like(months=(6,))
    fit = effects.ancova(d)
    x = np.column_stack([np.ones(len(d)), (d.arm == "stent").astype(float), d.baseline])
    beta, *_ = np.linalg.lstsq(x, d.change, rcond=None)
    resid = d.change - x @ beta
    dof = len(d) - 3
    se = np.sqrt(resid @ resid / dof * np.linalg.inv(x.T @ x)[1, 1])
    t = stats.t.ppf(0.975, dof)
    assert fit.estimate == pytest.approx(beta[1], abs=1e-10)
    assert (fit.ci_low, fit.ci_high) == pytest.approx((beta[1] - t * se, beta[1] + t * se), abs=1e-10)
    assert fit.p_value == pytest.approx(2 * stats.t.sf(abs(beta[1] / se), dof), abs=1e-12)
    assert (fit.n_stent, fit.n_medical) == (30, 30)


def test_ancova_needs_three_patients_per_arm():
    d = _trial_like(n=5, months=(6,))
    assert effects.ancova(d) is None  # 3 stent, 2 medical


def test_mmrm_on_complete_data_equals_per_visit_ancova():
    """With complete data and visit-specific terms, GLS with any covariance reduces to OLS per
    visit (seemingly unrelated regressions with identical regressors); the REML variance of each
    visit is then a scaled chi-square on n - 3 df, so Satterthwaite's df are exactly n - 3 and the
    interval is the per-visit ANCOVA's."""
    d = _trial_like(n=80, missing=0.0)
    result = effects.mmrm_effects(d)
    assert result.covariance == "unstructured" and result.converged and result.method == "reml"
    for row in result.effects.itertuples():
        per_visit = effects.ancova(d[d.visit_month == row.visit_month])
        assert row.estimate == pytest.approx(per_visit.estimate, abs=1e-6)
        assert row.df == pytest.approx(80 - 3, abs=1e-3)
        assert (row.ci_low, row.ci_high) == pytest.approx((per_visit.ci_low, per_visit.ci_high), abs=1e-5)


def test_mmrm_ml_with_missing_visits_matches_statsmodels_mixedlm():
    """Reference: statsmodels MixedLM, ML, unstructured random effects over visits: the same
    marginal model (unstructured covariance), fitted by a general optimizer."""
    d = _trial_like(n=70, missing=0.25, seed=11)
    ours = effects.mmrm_effects(d, "ml").effects.set_index("visit_month").estimate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm(mmrm.FORMULA, d, groups="patient_id", re_formula="0 + C(visit_month)").fit(
            reml=False, method=["lbfgs"]
        )
    for month in ours.index:
        assert ours[month] == pytest.approx(ref.fe_params[f"C(visit_month)[{month}]:{effects.ARM_TERM}"], abs=2e-3)


def test_mmrm_falls_back_to_compound_symmetry_and_says_so(monkeypatch):
    d = _trial_like(n=40, missing=0.1)
    original = mmrm.fit

    def unstructured_fails(long, reml=True, structure="unstructured"):
        if structure == "unstructured":
            raise np.linalg.LinAlgError("singular")
        return original(long, reml=reml, structure=structure)

    monkeypatch.setattr(mmrm, "fit", unstructured_fails)
    result = effects.mmrm_effects(d)
    assert result.covariance == "compound symmetry (fallback)"
    assert "could not be estimated" in result.note
    assert len(result.effects) == 3


def test_mmrm_is_none_with_one_arm():
    d = _trial_like(n=20)
    assert effects.mmrm_effects(d[d.arm == "stent"]) is None


def test_subgroups_flag_levels_that_cannot_be_estimated():
    d = _trial_like(n=60, months=(6,)).assign(sex=lambda x: np.where(np.arange(len(x)) < 4, "male", "female"))
    table = effects.subgroup_effects(d, "sex", ["female", "male"]).set_index("level")
    assert table.loc["female", "estimable"] and not table.loc["male", "estimable"]
    assert np.isnan(table.loc["male", "estimate"])


def test_interaction_p_matches_a_nested_model_f_test():
    d = _trial_like(n=120, months=(6,)).assign(group=lambda x: np.where(np.arange(len(x)) % 3 == 0, "a", "b"))
    reduced = smf.ols(f"change ~ {effects.ARM} + C(group) + baseline", d).fit()
    full = smf.ols(f"change ~ {effects.ARM} * C(group) + baseline", d).fit()
    f = ((reduced.ssr - full.ssr) / (reduced.df_resid - full.df_resid)) / (full.ssr / full.df_resid)
    expected = stats.f.sf(f, reduced.df_resid - full.df_resid, full.df_resid)
    assert effects.interaction_p(d, "group") == pytest.approx(expected, abs=1e-12)


def test_risk_difference_matches_newcombe_1998_worked_example():
    """Newcombe, Stat Med 1998;17:873-890, example 56/70 vs 48/80, method 10: 0.0524 to 0.3339."""
    agg = pd.DataFrame(
        {"arm": ["stent", "medical"], "visit_month": [6, 6], "n": [70, 80], "responders_points": [56, 48]}
    )
    row = responders.compare_arms(agg, "responders_points", "complete").iloc[0]
    assert row.risk_difference == pytest.approx(0.8 - 0.6)
    assert (row.rd_ci_low, row.rd_ci_high) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_risk_ratio_matches_the_katz_log_formula():
    x1, n1, x2, n2 = 56, 70, 48, 80
    agg = pd.DataFrame(
        {"arm": ["stent", "medical"], "visit_month": [6, 6], "n": [n1, n2], "responders_points": [x1, x2]}
    )
    row = responders.compare_arms(agg, "responders_points", "complete").iloc[0]
    rr = (x1 / n1) / (x2 / n2)
    se = np.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    assert row.risk_ratio == pytest.approx(rr)
    assert (row.rr_ci_low, row.rr_ci_high) == pytest.approx(
        (rr * np.exp(-1.959964 * se), rr * np.exp(1.959964 * se)), rel=1e-5
    )


def test_wilson_interval_of_a_proportion():
    """Wilson 1927 score interval, written out."""
    agg = pd.DataFrame({"arm": ["stent"], "visit_month": [6], "n": [40], "responders_points": [12]})
    row = responders.proportions(agg, "responders_points", "complete").iloc[0]
    z, p, n = 1.959964, 12 / 40, 40
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert (row.ci_low, row.ci_high) == pytest.approx((centre - half, centre + half), abs=1e-6)


def test_no_risk_ratio_without_responders_in_an_arm():
    agg = pd.DataFrame({"arm": ["stent", "medical"], "visit_month": [6, 6], "n": [10, 10], "responders_points": [4, 0]})
    assert np.isnan(responders.compare_arms(agg, "responders_points", "complete").iloc[0].risk_ratio)


@pytest.mark.parametrize("randomized_only", [True, False])
def test_demo_benefit_is_largest_in_high_grade_common_iliac_and_femoral(demo_con, randomized_only):
    params = {
        **CohortFilter().as_params(),
        "outcome": "villalta_total",
        "visit_month": 6,
        "randomized_only": randomized_only,
        "max_patients": 20000,
    }
    data = db.run_query(demo_con, "analysis_visit", params)
    table = effects.subgroup_effects(data, "lesion_group", ["high_grade_civ_cfv", "high_grade_other", "below_70"])
    est = table.set_index("level").estimate
    assert est["high_grade_civ_cfv"] <= -5
    assert est["high_grade_civ_cfv"] < est["high_grade_other"] < est["below_70"]


def _with_extra_visit(d: pd.DataFrame, month: int, patients: list[str]) -> pd.DataFrame:
    extra = d[(d.visit_month == d.visit_month.min()) & d.patient_id.isin(patients)].assign(visit_month=month)
    return pd.concat([d, extra], ignore_index=True)


def test_an_mmrm_without_an_arm_at_one_visit_names_that_visit():
    d = _trial_like(n=60)
    stent = sorted(d[d.arm == "stent"].patient_id.unique())
    odd = _with_extra_visit(d, 5, stent[:1])
    assert effects.mmrm_effects(odd) is None
    assert effects.mmrm_failure(odd) == (
        "month 5 has 1 patient(s) (stent 1, medical 0): the stent − medical difference at that visit cannot be "
        "estimated"
    )


def test_an_mmrm_with_too_few_patients_at_one_visit_says_how_many_a_visit_needs():
    d = _trial_like(n=60)
    stent, medical = (sorted(d[d.arm == arm].patient_id.unique()) for arm in ("stent", "medical"))
    odd = _with_extra_visit(d, 5, [stent[0], medical[0]])
    assert effects.mmrm_effects(odd) is None
    assert effects.mmrm_failure(odd) == (
        "month 5 has 2 patient(s) (stent 1, medical 1): its mean, treatment effect and baseline slope need at "
        "least 3 patients at that visit"
    )
    three = _with_extra_visit(d, 5, [*stent[:2], medical[0]])  # estimable: the model runs, no reason is made up
    assert effects.mmrm_effects(three) is not None


def test_an_mmrm_with_a_singular_design_says_so_and_counts_are_protected():
    d = _trial_like(n=60)
    d.loc[d.visit_month == 3, "baseline"] = 14.0  # the month-3 baseline slope is the month-3 mean again
    assert effects.mmrm_effects(d) is None
    assert effects.mmrm_failure(d) == (
        "the design matrix is singular (rank 8 of 9: C(visit_month)[3]:baseline depends on the other columns)"
    )
    two = d[d.arm == "stent"].patient_id.unique()[:2]
    few = d[d.patient_id.isin([*two, *d[d.arm == "medical"].patient_id.unique()[:1]])]
    assert effects.mmrm_failure(few, shield=Protection(5)) == (
        "each arm needs at least 3 patients with a follow-up visit (stent hidden, medical hidden)"
    )
