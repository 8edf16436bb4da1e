"""The MMRM equals R (nlme::gls with an unstructured covariance, emmeans contrasts) on the trial
Villalta data of the demo cohort: every row of tests/reference/mmrm_trial_villalta_reference.csv.

Estimates and SEs to 1e-5. Degrees of freedom: ours are exact Satterthwaite df (the gradient of
the contrast variance in all variance parameters, with their inverse observed information, as R's
mmrm package and SAS compute them); emmeans' "appx-satterthwaite" for gls differentiates with
sigma re-estimated, which moves its df by up to 3.5% here and the CIs and p-values by < 1e-3.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from patsy import dmatrices
from scipy import stats

from pts_explorer.analytics import mmrm

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
DF_MODES = {"appx-satterthwaite": "satterthwaite", "asymptotic": "asymptotic"}


@pytest.fixture(scope="module")
def trial():
    return pd.read_csv(REFERENCE / "mmrm_trial_villalta.csv")


@pytest.fixture(scope="module")
def fits(trial):
    return {method: mmrm.fit(trial, reml=method == "REML") for method in ("REML", "ML")}


@pytest.fixture(scope="module")
def reference():
    return pd.read_csv(REFERENCE / "mmrm_trial_villalta_reference.csv")


def _rows():
    table = pd.read_csv(REFERENCE / "mmrm_trial_villalta_reference.csv")
    return [(r.method, r.df_mode, r.visit_month) for r in table.itertuples()]


@pytest.mark.parametrize(("method", "df_mode", "month"), _rows())
def test_every_reference_row(trial, fits, reference, method, df_mode, month):
    fit = fits[method]
    assert fit.converged
    ours = mmrm.visit_effects(fit, trial, DF_MODES[df_mode]).set_index("visit_month").loc[month]
    ref = reference[(reference.method == method) & (reference.df_mode == df_mode) & (reference.visit_month == month)]
    ref = ref.iloc[0]  # the reference is medical - stent; ours is stent - medical
    assert -ours.estimate == pytest.approx(ref.estimate, abs=1e-5)
    assert ours.se == pytest.approx(ref.se, abs=1e-5)
    tolerance = 1e-3 if df_mode == "appx-satterthwaite" else 1e-5
    assert (-ours.ci_high, -ours.ci_low) == pytest.approx((ref.ci_low, ref.ci_high), abs=tolerance)
    assert ours.p_value == pytest.approx(ref.p, abs=tolerance)
    if df_mode == "asymptotic":
        assert ours.df == float("inf") and ref.df == float("inf")
    else:
        assert ours.df == pytest.approx(ref.df, rel=0.035)


def test_reml_and_ml_give_different_variance_estimates(fits):
    assert fits["REML"].loglik != fits["ML"].loglik
    assert (fits["REML"].sigma.diagonal() > fits["ML"].sigma.diagonal()).all()


def _direct_loglik(long: pd.DataFrame, sigma: np.ndarray, reml: bool) -> float:
    """The textbook (restricted) GLS log-likelihood, patient by patient from the long rows: what the
    pattern sums in mmrm.loglik must equal."""
    y_frame, x_frame = dmatrices(mmrm.FORMULA, long, return_type="dataframe")
    months = sorted(long.visit_month.unique())
    visit = np.searchsorted(months, long.visit_month.to_numpy())
    patients = [np.flatnonzero(long.patient_id.to_numpy() == p) for p in long.patient_id.unique()]
    y, x = y_frame.to_numpy()[:, 0], x_frame.to_numpy()
    blocks = [(x[rows], y[rows], sigma[np.ix_(visit[rows], visit[rows])]) for rows in patients]
    xtvx = sum(xi.T @ np.linalg.solve(v, xi) for xi, _, v in blocks)
    xtvy = sum(xi.T @ np.linalg.solve(v, yi) for xi, yi, v in blocks)
    beta = np.linalg.solve(xtvx, xtvy)
    value = sum(stats.multivariate_normal(xi @ beta, v).logpdf(yi) for xi, yi, v in blocks)
    if reml:
        value += 0.5 * x.shape[1] * np.log(2 * np.pi) - 0.5 * np.linalg.slogdet(xtvx)[1]
    return float(value)


@pytest.mark.parametrize("reml", [True, False])
def test_the_pattern_sums_give_the_per_patient_likelihood_and_its_gradient(trial, reml):
    data = mmrm.patterns(trial)
    assert data.observed.shape[0] > 1, "the reference data must have patients with missing visits"
    k = len(data.months)
    rng = np.random.default_rng(5)
    theta = (
        rng.normal(0, 0.3, k * (k + 1) // 2) + np.r_[[2.0 if i == j else 0.0 for i in range(k) for j in range(i + 1)]]
    )
    structure = mmrm.STRUCTURES["unstructured"]
    value, gradient = mmrm.loglik(theta, data, structure, reml)
    assert value == pytest.approx(_direct_loglik(trial, structure.sigma(theta, k), reml), rel=1e-10)
    numerical = [
        (mmrm.loglik(theta + e, data, structure, reml)[0] - mmrm.loglik(theta - e, data, structure, reml)[0]) / 2e-6
        for e in np.eye(theta.size) * 1e-6
    ]
    np.testing.assert_allclose(gradient, numerical, rtol=1e-5, atol=1e-5)
