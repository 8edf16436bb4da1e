"""Who benefits' MMRM per group and the difference between groups (heterogeneity.mmrm_between) against R
(tests/reference/heterogeneity_mmrm.R: nlme::gls with an unstructured covariance in each group alone,
emmeans contrasts, and the Welch-Satterthwaite difference of the independent estimates), on the demo
trial's patients split by stenosis % cut at 70 and 90 by the app's own split (pts_explorer.analytics.splits),
which R cuts independently.

Tolerances: the group estimates and SEs come from an iterative fit (R's gls and the app's optimiser stop at
slightly different points: estimates differ by up to 6e-6 here, SEs by up to 1e-5 under REML and 1.1e-5
under ML), so they are compared to 2e-5 (tests/unit/test_mmrm.py: 1e-5 on other data), and so are the
difference and its SE, closed forms of them; ML's Wald-z CI (the estimate plus or minus 1.96 SEs) and p to
5e-5 (2.3e-5 at most here). The REML degrees of freedom are where the two differ by method: the app's are exact
Satterthwaite (as R's mmrm package computes them), emmeans' for gls an approximation from refits on perturbed
responses (tests/reference/README.md), so the df are compared within 5% (they differ by 4.7% at most here, in
the 90+ group at month 1; tests/unit/test_mmrm.py's data need 3.5%) and the t-based CIs and p to 1e-3, as
tests/unit/test_mmrm.py does. The difference's Welch-Satterthwaite formula itself is checked exactly: applied to
R's own per-group rows it gives R's difference rows (1e-9)."""

from pathlib import Path

import pandas as pd
import pytest

from pts_explorer.analytics import heterogeneity, splits

HERE = Path(__file__).resolve().parents[1] / "reference"
INPUT = pd.read_csv(HERE / "heterogeneity_mmrm_input.csv")
REFERENCE = pd.read_csv(HERE / "heterogeneity_mmrm_reference.csv")
SPLIT = splits.cut("stenosis_pct", (70.0, 90.0))
KEYS = {label: key for key, label in SPLIT.levels.items()}  # "< 70" -> "1"
METHODS = {"reml": ("REML", "appx-satterthwaite"), "ml": ("ML", "asymptotic")}  # the app's: R's fit and df
CLOSE = {"abs": 2e-5}  # an iterative fit's convergence (the module's docstring)
VISITS = sorted(INPUT.visit_month.unique())


@pytest.fixture(scope="module", params=list(METHODS))
def fitted(request):
    """The app's per-group MMRM and differences from "< 70" at every visit, for one method."""
    data = INPUT.assign(split=SPLIT.assign(INPUT.stenosis_pct))
    return request.param, {
        month: heterogeneity.mmrm_between(data, "split", list(SPLIT.levels), KEYS["< 70"], month, request.param)
        for month in VISITS
    }


def _reference(analysis: str, method: str) -> pd.DataFrame:
    fit, df_mode = METHODS[method]
    rows = REFERENCE[(REFERENCE.analysis == analysis) & (REFERENCE.method == fit) & (REFERENCE.df_mode == df_mode)]
    assert len(rows) == len(VISITS) * (3 if analysis == "mmrm_group" else 2)
    return rows


def _compare(got: pd.Series, want: pd.Series, method: str) -> None:
    assert [got.estimate, got.se] == pytest.approx([want.estimate, want.se], **CLOSE)
    if method == "ml":  # Wald z: closed forms of the estimate and SE
        assert got.df == float("inf") and want.df == float("inf")
        assert [got.ci_low, got.ci_high, got.p_value] == pytest.approx([want.ci_low, want.ci_high, want.p], abs=5e-5)
    else:  # exact Satterthwaite against emmeans' approximation
        assert got.df == pytest.approx(want.df, rel=0.05)
        assert [got.ci_low, got.ci_high, got.p_value] == pytest.approx([want.ci_low, want.ci_high, want.p], abs=1e-3)


def test_the_mmrm_in_each_group_equals_r(fitted):
    method, by_visit = fitted
    for want in _reference("mmrm_group", method).itertuples():
        effects = by_visit[want.visit_month].effects.set_index("level")
        _compare(effects.loc[KEYS[want.group]], pd.Series(want._asdict()), method)


def test_the_difference_between_groups_equals_r(fitted):
    method, by_visit = fitted
    for want in _reference("mmrm_difference", method).itertuples():
        differences = by_visit[want.visit_month].differences.set_index("level")
        assert differences.loc[KEYS[want.group], "reference"] == KEYS["< 70"]
        _compare(differences.loc[KEYS[want.group]], pd.Series(want._asdict()), method)


@pytest.mark.parametrize("method", list(METHODS))
def test_the_welch_satterthwaite_difference_is_r_s_formula(method):
    """The app's formula applied to R's own group estimates: R's difference rows, to rounding."""
    groups = _reference("mmrm_group", method).rename(columns={"p": "p_value"})
    for want in _reference("mmrm_difference", method).itertuples():
        at = groups[groups.visit_month == want.visit_month].set_index("group")
        got = heterogeneity.independent_difference(at.loc[want.group], at.loc["< 70"])
        assert [got[k] for k in ("estimate", "se", "ci_low", "ci_high", "p_value")] == pytest.approx(
            [want.estimate, want.se, want.ci_low, want.ci_high, want.p], rel=1e-9, abs=1e-12
        )
        assert got["df"] == pytest.approx(want.df, rel=1e-9)


def test_the_input_is_the_demo_trials_rows(demo_con):
    """The same rows as the MMRM reference's input (tests/reference/mmrm_trial_villalta.csv) with each
    patient's stenosis % from the demo database's patients table."""
    trial = pd.read_csv(HERE / "mmrm_trial_villalta.csv")
    assert INPUT[["patient_id", "arm"]].values.tolist() == trial[["patient_id", "arm"]].values.tolist()
    numbers = ["visit_month", "baseline", "change"]
    assert INPUT[numbers].astype(float).values.tolist() == trial[numbers].astype(float).values.tolist()
    stenosis = demo_con.table("patients").df().set_index("patient_id").stenosis_pct
    assert INPUT.stenosis_pct.tolist() == INPUT.patient_id.map(stenosis).tolist()
    assert set(INPUT.study_id) == {"TRIAL"}
