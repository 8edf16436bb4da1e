"""The Target trial page's own fits equal R: the score, weights, matching and estimates among the
patients the page analyses (tests/reference/propensity.R, second part), not only on the whole
registry. Each set is built here as the page builds it (the registry patients within the trial's
inclusion criteria, then those with the outcome: the change at month 6, an open ulcer for ulcer
healing, a follow-up time for recurrent DVT) and handed to the core; R built its own sets from the
same input with its own code. To 1e-6 (the Cox fits converged tightly on both sides, see
test_propensity_reference.py), the matched pairs exactly."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pts_explorer import db
from pts_explorer.analytics import propensity as P
from pts_explorer.filters import MAX_MODEL_PATIENTS, CohortFilter

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
INPUT = pd.read_csv(REFERENCE / "propensity_sets_input.csv")
PATIENTS = pd.read_csv(REFERENCE / "propensity_sets_patients_reference.csv", keep_default_na=False, na_values=[""])
R = pd.read_csv(REFERENCE / "propensity_sets_reference.csv", keep_default_na=False, dtype={"value": str})
SETS = ("change", "ulcer_healing", "recurrent_dvt")
METHODS = ("unadjusted", "overlap", "iptw", "matching")


def _r(set_: str, method: str, quantity: str, term: str) -> str:
    found = R[(R.set == set_) & (R.method == method) & (R.quantity == quantity) & (R.term == term)].value
    assert len(found) == 1, (set_, method, quantity, term)
    return str(found.iloc[0])


def _rows(set_: str) -> pd.DataFrame:
    """The input as the page's query returns it for the set's endpoint."""
    if set_ == "recurrent_dvt":
        return INPUT.assign(duration_days=INPUT.dvt_duration_days, observed=INPUT.dvt_observed)
    return INPUT


def _analysed(set_: str) -> pd.DataFrame:
    rows = _rows(set_)
    registry = P.observational(rows)
    return P.analysed_rows(registry[P.trial_eligible(registry)], set_ != "change")


@pytest.fixture(scope="module", params=SETS)
def fitted(request):
    set_ = request.param
    return set_, P.fit_score(_analysed(set_), P.DEFAULT_COVARIATES)


def _weights(score: P.Score, method: str) -> np.ndarray:
    return np.ones(len(score.data)) if method == "unadjusted" else P.weights(score, method)


def test_the_score_pools_the_same_centres_and_uses_the_same_covariates_as_r(fitted):
    set_, score = fitted
    assert " ".join(score.pooled_centres) == _r(set_, "score", "pooled", "centres")
    assert float(score.centre_left_out) == float(_r(set_, "score", "pooled", "centre_left_out"))
    assert " ".join(score.covariates) == _r(set_, "score", "covariates", "used")


def test_the_sets_have_what_the_page_needed_pooling_for():
    """The ulcer-healing set within the trial's criteria has a one-arm centre (the page showed no
    estimate before centres were pooled); the change set pools none."""
    assert _r("ulcer_healing", "score", "pooled", "centres") != ""
    assert _r("ulcer_healing", "score", "pooled", "centre_left_out") == "0"
    assert _r("change", "score", "pooled", "centres") == ""


def test_scores_weights_and_matched_pairs_equal_r(fitted):
    set_, score = fitted
    expected = PATIENTS[PATIENTS.set == set_]
    assert list(score.data.patient_id) == list(expected.patient_id)
    assert score.data.ps.to_numpy() == pytest.approx(expected.ps.to_numpy(float), abs=1e-6)
    assert P.weights(score, P.OVERLAP) == pytest.approx(expected.w_overlap.to_numpy(float), abs=1e-6)
    assert P.weights(score, P.IPTW) == pytest.approx(expected.w_iptw.to_numpy(float), abs=1e-6)
    partner = P.match_nearest(score.data.stent.to_numpy(), score.data.ps.to_numpy(), P.DEFAULT_CALIPER)
    ids = score.data.patient_id.to_numpy()
    assert [ids[p] if p >= 0 else "" for p in partner] == expected.partner.fillna("").tolist()


@pytest.mark.parametrize("method", METHODS)
def test_ess_and_balance_equal_r(fitted, method):
    set_, score = fitted
    w = _weights(score, method)
    ess = P.effective_sample_size(score.data.stent.to_numpy(), w)
    for arm in ("stent", "medical"):
        assert ess[arm] == pytest.approx(float(_r(set_, method, "ess", arm)), abs=1e-6)
    table = P.balance(score, w).set_index("covariate")
    for cov in score.covariates:
        assert table.loc[cov, "smd_after"] == pytest.approx(float(_r(set_, method, "smd_after", cov)), abs=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_the_estimates_equal_svyglm_and_coxph(fitted, method):
    set_, score = fitted
    w = _weights(score, method)
    if set_ == "change":
        est = P.weighted_difference(score.data, w)
        for name in ("estimate", "se", "ci_low", "ci_high"):
            assert getattr(est, name) == pytest.approx(float(_r(set_, method, "change", name)), abs=1e-6), name
        assert est.p_value == pytest.approx(float(_r(set_, method, "change", "p")), rel=1e-6, abs=1e-300)
        data = score.data.assign(responder=P.responders(score.data, 4))
        diff = P.weighted_difference(data, w, "responder")
        assert diff.estimate == pytest.approx(float(_r(set_, method, "responder_difference", "estimate")), abs=1e-6)
        assert diff.se == pytest.approx(float(_r(set_, method, "responder_difference", "se")), abs=1e-6)
        ratio = P.weighted_risk_ratio(data, w, "responder")
        assert ratio.estimate == pytest.approx(float(_r(set_, method, "responder_ratio", "estimate")), abs=1e-6)
        assert ratio.se == pytest.approx(float(_r(set_, method, "responder_ratio", "se_log")), abs=1e-6)
    else:
        hr, share = P.weighted_cox(score.data, w)
        assert np.log(hr.estimate) == pytest.approx(float(_r(set_, method, "cox", "log_hr")), abs=1e-6)
        assert hr.se == pytest.approx(float(_r(set_, method, "cox", "robust_se")), abs=1e-6)
        assert hr.ci_low == pytest.approx(float(_r(set_, method, "cox", "ci_low")), abs=1e-6)
        assert hr.ci_high == pytest.approx(float(_r(set_, method, "cox", "ci_high")), abs=1e-6)
        assert share == pytest.approx(float(_r(set_, method, "cox", "event_share")), abs=1e-12)
        chisq, p = P.weighted_ph_test(score.data, w, hr)
        assert chisq == pytest.approx(float(_r(set_, method, "cox_zph", "chisq")), abs=1e-6)
        assert p == pytest.approx(float(_r(set_, method, "cox_zph", "p")), abs=1e-6)
        assert (hr.n_stent, hr.n_medical) == (
            int(_r(set_, method, "cox", "n_stent")),
            int(_r(set_, method, "cox", "n_medical")),
        )


@pytest.mark.parametrize("set_", ["ulcer_healing", "recurrent_dvt"])
def test_the_trials_hazard_ratio_equals_coxph(set_):
    trial = P.randomized(_rows(set_))
    hr, share = P.weighted_cox(trial, np.ones(len(trial)))
    assert np.log(hr.estimate) == pytest.approx(float(_r(set_, "trial", "cox", "log_hr")), abs=1e-6)
    assert hr.se == pytest.approx(float(_r(set_, "trial", "cox", "robust_se")), abs=1e-6)
    assert share == pytest.approx(float(_r(set_, "trial", "cox", "event_share")), abs=1e-12)


def test_the_input_is_the_pages_query_rows(demo_con):
    base = {
        **CohortFilter().as_params(),
        "outcome": "villalta_total",
        "visit_month": 6,
        "randomized_only": False,
        "max_patients": MAX_MODEL_PATIENTS,
    }
    ulcer = db.run_query(demo_con, "propensity_rows", {**base, "endpoint": "ulcer_healing"})
    dvt = db.run_query(demo_con, "propensity_rows", {**base, "endpoint": "freedom_from_recurrent_dvt"})
    assert list(ulcer.patient_id) == list(INPUT.patient_id)
    for column in (
        "study_id",
        "design",
        "center_id",
        "arm",
        "obstruction_site",
        "stenosis_grade",
        "sex",
        "baseline_ulcer",
    ):
        assert ulcer[column].tolist() == INPUT[column].tolist(), column
    numbers = (
        "stenosis_pct",
        "lesion_length_mm",
        "baseline_villalta",
        "baseline_vcss",
        "age_years",
        "months_since_dvt",
    )
    for column in (*numbers, "change", "duration_days"):
        assert np.array_equal(ulcer[column].to_numpy(float), INPUT[column].to_numpy(float), equal_nan=True), column
    assert np.array_equal(dvt.duration_days.to_numpy(float), INPUT.dvt_duration_days.to_numpy(float), equal_nan=True)
    for got, expected in ((ulcer.observed, INPUT.observed), (dvt.observed, INPUT.dvt_observed)):
        assert got.astype("boolean").tolist() == expected.astype("boolean").tolist()
