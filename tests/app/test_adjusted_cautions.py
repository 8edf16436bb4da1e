"""The Target trial page's cautions (review rev31b findings 2 to 4): an unstable estimate (an arm's
effective sample size below 50, or scores outside 0.01 to 0.99) is said with the numbers recomputed
here; overlap weights' zero SMD is said to hold by construction; matching is named the matched stent
patients' effect (ATM), never plain ATT; the benchmark carries a multiplicity caution."""

import numpy as np

from pts_explorer.analytics import propensity as P
from pts_explorer.filters import CohortFilter
from tests.app.test_adjusted_page import _independent_overlap, _like_the_trial, _metrics, _open, _rows

RC01 = {"center": "RC01"}


def _kish(w):
    return w.sum() ** 2 / (w**2).sum()


def _score(value: float) -> str:
    """A score as the caution writes it (review 31c: 3 decimals, not 5), 0.000 and 1.000 in words."""
    return "below 0.001" if value < 0.0005 else "above 0.999" if value >= 0.9995 else f"{value:.3f}"


def test_a_tiny_centre_gets_an_unstable_estimate_caution_with_its_ess_and_score_range(app_on, demo_db):
    at = _open(app_on, demo_db, RC01)
    rows = _rows(demo_db, cohort=CohortFilter(more=(("center", ("RC01",)),)))
    like = _like_the_trial(rows)
    reg, stent, w = _independent_overlap(like[like.change.notna()])
    ps = np.where(stent, 1 - w, w)
    ess = (_kish(w[stent]), _kish(w[~stent]))
    assert _metrics(at)["ESS, stent / medical"] == f"{ess[0]:.1f} / {ess[1]:.1f}"
    assert ess[0] < 50 and ess[1] < 50 and (ps.min() < 0.01 or ps.max() > 0.99)
    (warning,) = [x.value for x in at.warning if "Unstable estimate" in x.value]
    assert warning == (
        f"**Unstable estimate**: the effective sample size is below 50 (stent {ess[0]:.1f}, medical {ess[1]:.1f}) "
        f"and the scores reach {_score(ps.min())} to {_score(ps.max())}, outside 0.01 to 0.99 (near-separation: the "
        "covariates almost decide who had a stent). The robust CI assumes many effective patients per arm and a "
        "score away from 0 and 1, so it and the estimate can be far off here, and a zero SMD after weighting says "
        "nothing of that. Widen the cohort or choose fewer covariates."
    )


def test_the_default_view_has_no_unstable_estimate_caution_and_says_the_zero_smd_is_by_construction(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert not [x.value for x in at.warning if "Unstable estimate" in x.value]
    assert _metrics(at)["Max |SMD| after"] == "0.000"
    assert [c.value for c in at.caption if c.value.startswith("Overlap weights make")] == [
        "Overlap weights make the weighted means of every covariate in the score equal in the two arms by "
        "construction (Li, Morgan & Zaslavsky 2018), so their |SMD| after is 0: balance of the means, not proof of "
        "no confounding (covariates left out of the score, other moments, interactions and unmeasured confounders "
        "are not balanced by it; the balance table shows every candidate covariate, in the score or not)."
    ]


def test_matching_is_named_the_matched_stent_patients_effect_wherever_the_estimand_is_named(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_method": "matching"})
    texts = [*(m.value for m in at.markdown), *(c.value for c in at.caption), *(m.label for m in at.metric)]
    assert "Adjusted estimate (ATM)" in _metrics(at)
    assert not [t for t in texts if "(ATT)" in t or "the ATT from" in t]
    (banner,) = [t for t in texts if "Observational comparison, adjusted" in t]
    assert "the ATM from a propensity score" in banner
    (bench,) = [t for t in texts if "The estimands differ: the registry's is" in t]
    rows = _rows(demo_db)
    score = P.fit_score(P.analysed_rows(_like_the_trial(rows), False), P.DEFAULT_COVARIATES)
    b = P.benchmark(P.weighted_difference(score.data, P.weights(score, "matching")), P.trial_estimate(rows))
    assert b.ci_low <= 0 <= b.ci_high
    assert bench == (
        f"**No difference shown** between the adjusted registry estimate and the trial's (Registry − trial: "
        f"{b.difference:+.2f}, 95% CI {b.ci_low:+.2f} to {b.ci_high:+.2f}): the interval includes 0. That is not "
        "evidence that the registry reproduces the trial: every value in the interval is compatible with these data. "
        "The estimands differ: the registry's is the average treatment effect in the matched stent patients (ATM: "
        "the ATT of the matched, not of all stented patients) of its own patients, the trial's the average effect "
        f"among the {b.trial.n_stent + b.trial.n_medical:,} of the {int((rows.design == 'randomized').sum()):,} "
        "patients it randomized in this cohort who were seen at baseline and month 6."
    )


def test_the_benchmark_carries_a_multiplicity_caution(app_on, demo_db):
    at = _open(app_on, demo_db)
    assert [c.value for c in at.caption if c.value.startswith("Multiplicity:")] == [
        "Multiplicity: this verdict is one comparison at 5%, with no adjustment for multiple comparisons. The page "
        "offers many (estimates, outcomes, visits, methods, trimming, calipers, sub-cohorts); browsing them until "
        "one reproduces or differs from the trial lets some look so by chance alone, so read the comparison chosen "
        "before looking, and the pattern over the others."
    ]


def test_iptws_causal_contrast_names_the_patients_analysed_within_the_trimming_bounds(app_on, demo_db):
    from tests.app.test_adjusted_page import _protocol

    at = _open(app_on, demo_db, {"ps_method": "iptw"})
    assert _protocol(at)["Causal contrast"] == (
        "ATE, stent − medical: the registry patients analysed (those the trial could have enrolled, unless that is "
        "turned off, with the outcome measured or at risk of the endpoint) whose score lies within the trimming "
        "bounds"
    )


def test_the_design_caveats_are_said_with_the_counts(app_on, demo_db):
    """Review rev31b finding 5: analysed only if seen at the visit (no censoring weights), counted here;
    ulcer healing's 1 - KM with death censored overstates healing where deaths compete."""
    at = _open(app_on, demo_db, {"visit": "60"})
    like = _like_the_trial(_rows(demo_db, visit=60))
    not_seen = int(like.change.isna().sum())
    assert not_seen > 0
    assert [c.value for c in at.caption if c.value.startswith("Design caveat")] == [
        f"Design caveat: a registry patient is analysed only if seen at baseline and month 60 ({not_seen:,} of the "
        f"{len(like):,} were not), and the score is fitted among those seen. No inverse-probability-of-censoring "
        "weights stand in for the others, so if who attends depends on the arm and on how the patient is doing, the "
        "estimate is biased by it."
    ]
    at = _open(app_on, demo_db, {"ps_estimate": "ulcer_healing"})
    (km,) = [c.value for c in at.caption if c.value.startswith("Weighted Kaplan-Meier (lifelines")]
    assert km == (
        "Weighted Kaplan-Meier (lifelines, the weights above; death censors): the share healed, 1 − S(t). A death "
        "before healing censors the patient, so 1 − S(t) is the healing that would be seen were no one to die: "
        "where deaths compete it overstates the share who actually heal. The Durability page draws ulcer healing as "
        "a cumulative incidence with death as a competing event (Aalen-Johansen); the hazard ratio here is "
        "cause-specific. No confidence band is drawn: a weighted curve's band needs a robust variance this page does "
        "not compute. The numbers at risk are patients, unweighted. Patency is not offered here: it is a stent "
        "endpoint (from the procedure), which the medical arm does not have."
    )


def test_a_patient_with_zero_follow_up_is_not_at_risk_of_a_recurrent_dvt_and_is_counted(app_on, demo_db):
    """Review rev31b finding 6: a registry patient with no follow-up time was analysed (in the score,
    the ESS and the count) and the page read "0 with not at risk"."""
    at = _open(app_on, demo_db, {"ps_estimate": "freedom_from_recurrent_dvt"})
    rows = _rows(demo_db, endpoint="freedom_from_recurrent_dvt")
    like = _like_the_trial(rows)
    zero = int((like.duration_days == 0).sum())
    at_risk = like[like.duration_days > 0]
    assert zero == 1
    n = {arm: int((at_risk.arm == arm).sum()) for arm in ("stent", "medical")}
    (line,) = [c.value for c in at.caption if c.value.startswith("Registry patients of the cohort:")]
    assert line == (
        f"Registry patients of the cohort: {int((rows.design == 'observational').sum()):,}; within the trial's "
        f"inclusion criteria: {len(like):,}; analysed: {len(at_risk):,} (stent {n['stent']:,}, medical "
        f"{n['medical']:,}). Not analysed: {len(like) - len(at_risk):,} with no follow-up time (not at risk of a "
        "recurrent DVT). The score, the weights, the balance and the ESS below are those of the patients analysed."
    )
    assert len(like) - len(at_risk) == zero + int(like.duration_days.isna().sum())


def test_one_trimmed_patient_reads_was(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_method": "iptw"})
    (line,) = [c.value for c in at.caption if c.value.startswith("Trimming: ")]
    assert line == (
        "Trimming: 1 of the 1,359 registry patients analysed had a score outside 0.05 to 0.95 and was left out: the "
        "ATE is that of the 1,358 patients kept (the trimmed population), not of all."
    )


def test_the_benchmark_table_wraps_so_its_verdict_reads_whole(app_on, demo_db):
    """Review rev31b finding 6: at 1280 px the data grid cut the verdict at "no difference sho"; a static
    table whose cells wrap (as the protocol table) shows it whole."""
    import re

    at = _open(app_on, demo_db, {"ps_estimate": "ulcer_healing"})
    (frame,) = [t.value for t in at.table if "Benchmark" in t.value.columns]
    verdict = re.sub(r"\\(.)", r"\1", str(frame["Benchmark"].iloc[0]))
    assert (
        verdict == "no difference shown (not a reproduction); the estimands differ (ATO vs the trial's average effect)"
    )
