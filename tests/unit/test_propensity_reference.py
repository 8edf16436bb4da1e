"""Propensity-score adjustment on the demo registry equals R (tests/reference/propensity.R: glm,
MatchIt, survey::svyglm, survival::coxph and survfit, written out formulas for SMD, ESS, E-value).

Closed forms (score, weights, SMDs, ESS, weighted means, svyglm estimate / SE / CI / p, E-values,
Kaplan-Meier, benchmark) to 1e-6; the matched pairs exactly.

Cox: both programs fit by Newton-Raphson, each to its own stopping rule (R: relative change in the
log partial likelihood below 1e-10 here; the module: lifelines with its tolerances tightened to
1e-12 / 1e-14); measured, the log hazard ratios agree to 2e-11 and the robust SEs (computed in the
module as R does, Efron's weighting of tied deaths in the score residuals) to 1e-12 on the demo's
18 tied event days. Compared to 1e-6, as the closed forms: an iterative fit that stopped early
(lifelines' defaults were 8e-6 off) or lifelines' own robust SE (5e-5 off with ties) fails."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pts_explorer import db
from pts_explorer.analytics import propensity as P
from pts_explorer.filters import MAX_MODEL_PATIENTS, CohortFilter

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
INPUT = pd.read_csv(REFERENCE / "propensity_input.csv")
PATIENTS = pd.read_csv(REFERENCE / "propensity_patients_reference.csv")
R = pd.read_csv(REFERENCE / "propensity_reference.csv")
COX_TOLERANCE = 1e-6


def r_value(method: str, quantity: str, term: str) -> float:
    found = R[(R.method == method) & (R.quantity == quantity) & (R.term == term)].value
    assert len(found) == 1, (method, quantity, term)
    return float(found.iloc[0])


@pytest.fixture(scope="module")
def score() -> P.Score:
    return P.fit_score(INPUT, P.DEFAULT_COVARIATES)


def _weights(score: P.Score, method: str) -> np.ndarray:
    return np.ones(len(score.data)) if method == "unadjusted" else P.weights(score, method)


def test_the_score_and_the_weights_equal_r_glm(score):
    assert list(score.data.patient_id) == list(PATIENTS.patient_id)
    assert score.data.ps.to_numpy() == pytest.approx(PATIENTS.ps.to_numpy(), abs=1e-6)
    assert P.weights(score, P.OVERLAP) == pytest.approx(PATIENTS.w_overlap.to_numpy(), abs=1e-6)
    assert P.weights(score, P.IPTW) == pytest.approx(PATIENTS.w_iptw.to_numpy(), abs=1e-6)


def test_matching_gives_matchits_pairs(score):
    partner = P.match_nearest(score.data.stent.to_numpy(), score.data.ps.to_numpy(), P.DEFAULT_CALIPER)
    ids = score.data.patient_id.to_numpy()
    got = [ids[p] if p >= 0 else "" for p in partner]
    assert got == PATIENTS.partner.fillna("").tolist()
    assert (partner >= 0).sum() == PATIENTS.matched.sum() == 1610


def test_matchit_4_5_1_without_the_distance_matrix_ignores_the_caliper():
    """Why the R script matches through a distance matrix (kosukeimai/MatchIt#163): its fast path kept
    pairs far outside the caliper; the reference would be wrong without the workaround."""
    width = 0.2 * np.std(PATIENTS.ps, ddof=1)
    assert r_value("matching", "matchit_fast_path", "largest_pair_gap") > 10 * width
    assert r_value("matching", "matchit_fast_path", "matched_patients") == 1982 != PATIENTS.matched.sum()


@pytest.mark.parametrize("method", ["unadjusted", "overlap", "iptw", "matching"])
def test_balance_and_effective_sample_sizes_equal_r(score, method):
    w = _weights(score, method)
    table = P.balance(score, w).set_index("covariate")
    for cov in P.DEFAULT_COVARIATES:
        assert table.loc[cov, "smd_before"] == pytest.approx(r_value(method, "smd_before", cov), abs=1e-6), cov
        assert table.loc[cov, "smd_after"] == pytest.approx(r_value(method, "smd_after", cov), abs=1e-6), cov
    ess = P.effective_sample_size(score.data.stent.to_numpy(), w)
    assert ess["stent"] == pytest.approx(r_value(method, "ess", "stent"), abs=1e-6)
    assert ess["medical"] == pytest.approx(r_value(method, "ess", "medical"), abs=1e-6)


@pytest.mark.parametrize("method", ["unadjusted", "overlap", "iptw", "matching"])
def test_weighted_change_equals_svyglm_and_its_e_value(score, method):
    w = _weights(score, method)
    est = P.weighted_difference(score.data, w)
    for name in ("estimate", "se", "ci_low", "ci_high"):
        assert getattr(est, name) == pytest.approx(r_value(method, "change", name), abs=1e-6), name
    assert est.p_value == pytest.approx(r_value(method, "change", "p"), rel=1e-6, abs=1e-12)
    assert est.n_stent + est.n_medical - 2 == r_value(method, "change", "df")
    means = P.weighted_means(score.data, w)
    assert means["stent"] == pytest.approx(r_value(method, "mean_change", "stent"), abs=1e-6)
    assert means["medical"] == pytest.approx(r_value(method, "mean_change", "medical"), abs=1e-6)
    analysed = score.data[(w > 0) & score.data.change.notna().to_numpy()]
    sd = P.pooled_sd(analysed)
    assert sd == pytest.approx(r_value(method, "change", "pooled_sd"), abs=1e-6)
    evalue, evalue_ci = P.evalue_difference(est, sd)
    assert evalue == pytest.approx(r_value(method, "change", "evalue"), abs=1e-6)
    assert evalue_ci == pytest.approx(r_value(method, "change", "evalue_ci"), abs=1e-6)


@pytest.mark.parametrize("method", ["unadjusted", "overlap", "iptw", "matching"])
def test_weighted_cox_equals_coxph_robust_and_kaplan_meier_equals_survfit(score, method):
    w = _weights(score, method)
    hr, share = P.weighted_cox(score.data, w)
    assert np.log(hr.estimate) == pytest.approx(r_value(method, "cox", "log_hr"), abs=COX_TOLERANCE)
    assert hr.se == pytest.approx(r_value(method, "cox", "robust_se"), abs=COX_TOLERANCE)
    assert hr.ci_low == pytest.approx(r_value(method, "cox", "ci_low"), abs=COX_TOLERANCE)
    assert hr.ci_high == pytest.approx(r_value(method, "cox", "ci_high"), abs=COX_TOLERANCE)
    assert share == pytest.approx(r_value(method, "cox", "event_share"), abs=1e-12)
    evalue, evalue_ci = P.evalue_hazard_ratio(hr, share)
    assert evalue == pytest.approx(r_value(method, "cox", "evalue"), abs=COX_TOLERANCE)
    assert evalue_ci == pytest.approx(r_value(method, "cox", "evalue_ci"), abs=COX_TOLERANCE)
    fits = P.weighted_km(score.data, w)
    for arm, kmf in fits.items():
        for day in (365, 730, 1826):
            got = float(kmf.survival_function_at_times(day).iloc[0])
            assert got == pytest.approx(r_value(method, "km", f"{arm}@{day}"), abs=1e-6), (arm, day)


@pytest.mark.parametrize("method", ["unadjusted", "overlap", "iptw", "matching"])
def test_without_tied_times_the_robust_se_equals_coxph_to_1e_6(score, method):
    w = _weights(score, method)
    eligible = (w > 0) & score.data.duration_days.notna().to_numpy()
    untied = score.data.duration_days.astype(float).to_numpy().copy()
    untied[eligible] += np.arange(eligible.sum()) * 1e-4
    hr, _ = P.weighted_cox(score.data.assign(duration_days=untied), w)
    assert np.log(hr.estimate) == pytest.approx(r_value(method, "cox_untied", "log_hr"), abs=1e-6)
    assert hr.se == pytest.approx(r_value(method, "cox_untied", "robust_se"), abs=1e-6)


def test_the_trial_estimate_and_the_benchmark_equal_r(score):
    trial = P.trial_estimate(INPUT)
    for name in ("estimate", "se", "ci_low", "ci_high"):
        assert getattr(trial, name) == pytest.approx(r_value("trial", "change", name), abs=1e-6)
    for method in ("overlap", "iptw", "matching"):
        bench = P.benchmark(P.weighted_difference(score.data, P.weights(score, method)), trial)
        for name in ("difference", "se", "ci_low", "ci_high"):
            assert getattr(bench, name) == pytest.approx(r_value(method, "benchmark", name), abs=1e-6)


def test_the_input_is_the_query_rows_and_the_contract_tables(demo_con):
    """propensity_input.csv is queries/propensity_rows.sql on the demo (default cohort, Villalta at
    month 6, ulcer healing); its change and ulcer healing rebuilt from the contract tables with pandas."""
    params = {
        **CohortFilter().as_params(),
        "outcome": "villalta_total",
        "visit_month": 6,
        "endpoint": "ulcer_healing",
        "randomized_only": False,
        "max_patients": MAX_MODEL_PATIENTS,
    }
    rows = db.run_query(demo_con, "propensity_rows", params)
    assert list(rows.patient_id) == list(INPUT.patient_id)
    for column in ("study_id", "design", "center_id", "arm", "obstruction_site", "stenosis_grade", "sex"):
        assert rows[column].tolist() == INPUT[column].tolist(), column
    for column in ("lesion_length_mm", "baseline_villalta", "baseline_vcss", "age_years", "months_since_dvt"):
        assert rows[column].astype(float).tolist() == INPUT[column].astype(float).tolist(), column
    patients, visits, events = (demo_con.table(t).df() for t in ("patients", "visits", "events"))
    score = visits.pivot_table(index="patient_id", columns="visit_month", values="villalta_total", aggfunc="max")
    change = (score[6] - score[0]).reindex(INPUT.patient_id)
    assert np.allclose(change.to_numpy(float), INPUT.change.to_numpy(float), equal_nan=True)
    ulcer0 = visits[(visits.visit_month == 0)].set_index("patient_id").ulcer_present.reindex(INPUT.patient_id)
    assert (INPUT.duration_days.notna().to_numpy() == ulcer0.fillna(False).to_numpy(bool)).all()
    healed = events[events.event_type == "ulcer_healed"].groupby("patient_id").event_day.min()
    died = events[events.event_type == "death"].groupby("patient_id").event_day.min()
    last = patients.set_index("patient_id").last_contact_day
    with_ulcer = INPUT[INPUT.duration_days.notna()].set_index("patient_id")
    first = healed.reindex(with_ulcer.index)
    end_of_watch = np.minimum(last.reindex(with_ulcer.index), died.reindex(with_ulcer.index).fillna(np.inf))
    observed = first.notna() & (first <= end_of_watch)
    assert with_ulcer.observed.astype(bool).tolist() == observed.tolist()
    duration = np.where(observed, first, end_of_watch)
    assert with_ulcer.duration_days.tolist() == duration.astype(int).tolist()


@pytest.mark.parametrize("method", ["unadjusted", "overlap", "iptw", "matching"])
def test_weighted_responders_equal_svyglm_gaussian_and_quasipoisson(score, method):
    w = _weights(score, method)
    data = score.data.assign(responder=P.responders(score.data, 4))
    difference = P.weighted_difference(data, w, "responder")
    for name in ("estimate", "se", "ci_low", "ci_high"):
        expected = r_value(method, "responder_difference", name)
        assert getattr(difference, name) == pytest.approx(expected, abs=1e-6), name
    ratio = P.weighted_risk_ratio(data, w, "responder")
    for name in ("estimate", "ci_low", "ci_high"):
        assert getattr(ratio, name) == pytest.approx(r_value(method, "responder_ratio", name), abs=1e-6), name
    assert ratio.se == pytest.approx(r_value(method, "responder_ratio", "se_log"), abs=1e-6)
    assert ratio.p_value == pytest.approx(r_value(method, "responder_ratio", "p"), rel=1e-6, abs=1e-300)
    evalue, evalue_ci = P.evalue_interval(ratio.estimate, ratio.ci_low, ratio.ci_high)
    assert evalue == pytest.approx(r_value(method, "responder_ratio", "evalue"), abs=1e-6)
    assert evalue_ci == pytest.approx(r_value(method, "responder_ratio", "evalue_ci"), abs=1e-6)
