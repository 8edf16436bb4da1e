"""The Adjusted registry page's tables and words: the target-trial protocol, the estimates beside
the trial's, the balance of each covariate, and what the registry-vs-trial benchmark supports."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pts_explorer import escape, vocab
from pts_explorer.analytics import propensity as P
from pts_explorer.display.text import DASH, SMD_FLAG, format_p, interval, number, p_clause
from pts_explorer.privacy import Protection

SMD_DECIMALS = 3  # |SMD| against the 0.1 target: 0.104 must not read 0.10
BALANCE_TARGET = 0.1

TARGET_POPULATIONS = {  # whom each weighting's estimate is about
    "overlap": "registry patients who could have had either (the overlap population)",
    "iptw": "the registry patients analysed (those the trial could have enrolled, unless that is turned off, with "
    "the outcome measured or at risk of the endpoint) whose score lies within the trimming bounds",
    "matching": "the matched stent patients: the stented registry patients who have a match within the caliper",
}
ESTIMAND_NAMES = {
    "ATO": "average treatment effect in the overlap population (ATO)",
    "ATE": "average treatment effect (ATE)",
    "ATM": "average treatment effect in the matched stent patients (ATM: the ATT of the matched, not of all "
    "stented patients)",
}
ESS_CAUTION = 50  # an arm's effective sample size below this draws the caution
SCORE_BOUNDS = (0.01, 0.99)  # a score outside these is near 0 or 1: near-separation


def score_text(value: float) -> str:
    """A propensity score to 3 decimals; one that would read 0.000 or 1.000 as below 0.001 or above 0.999."""
    if value < 0.0005:
        return "below 0.001"
    if value >= 0.9995:
        return "above 0.999"
    return number(value, 3)


SCORE_KNOWN_NOTE = (
    "The robust CIs treat the propensity score as known: they leave out the uncertainty of its estimation. For "
    "inverse probability weights (ATE) that makes them conservative in large samples (Lunceford & Davidian 2004; "
    "Austin 2016); for overlap weights and matching it is not guaranteed either way."
)


def stability_caution(ess: dict[str, float], ps_low: float, ps_high: float) -> str | None:
    """A caution when the adjusted estimate rests on too little: an arm's effective sample size below
    ESS_CAUTION, or propensity scores outside SCORE_BOUNDS (near-separation: some patients' treatment
    is almost determined by the covariates). None when neither holds."""
    small = [f"{arm} {ess_text(value)}" for arm, value in ess.items() if value < ESS_CAUTION]
    extreme = ps_low < SCORE_BOUNDS[0] or ps_high > SCORE_BOUNDS[1]
    if not small and not extreme:
        return None
    reasons = []
    if small:
        reasons.append(f"the effective sample size is below {ESS_CAUTION} ({', '.join(small)})")
    if extreme:
        reasons.append(
            f"the scores reach {score_text(ps_low)} to {score_text(ps_high)}, outside {SCORE_BOUNDS[0]:g} to "
            f"{SCORE_BOUNDS[1]:g} (near-separation: the covariates almost decide who had a stent)"
        )
    return (
        f"**Unstable estimate**: {' and '.join(reasons)}. The robust CI assumes many effective patients per arm and "
        "a score away from 0 and 1, so it and the estimate can be far off here, and a zero SMD after weighting "
        "says nothing of that. Widen the cohort or choose fewer covariates."
    )


BENCHMARK_MULTIPLICITY = (
    "Multiplicity: this verdict is one comparison at 5%, with no adjustment for multiple comparisons. The page "
    "offers many (estimates, outcomes, visits, methods, trimming, calipers, sub-cohorts); browsing them until one "
    "reproduces or differs from the trial lets some look so by chance alone, so read the comparison chosen before "
    "looking, and the pattern over the others."
)
HEALING_COMPETING_RISK = (
    "A death before healing censors the patient, so 1 − S(t) is the healing that would be seen were no one to die: "
    "where deaths compete it overstates the share who actually heal. The Durability page draws ulcer healing as a "
    "cumulative incidence with death as a competing event (Aalen-Johansen); the hazard ratio here is cause-specific"
)


def attendance_caveat(not_seen: str, eligible: str, visit: int) -> str:
    """The design caveat of an analysed set that needs the outcome at the visit: those not seen are left
    out and no censoring weights stand in for them. Counts as the page writes them."""
    return (
        f"Design caveat: a registry patient is analysed only if seen at baseline and month {visit} ({not_seen} of "
        f"the {eligible} were not), and the score is fitted among those seen. No inverse-probability-of-censoring "
        "weights stand in for the others, so if who attends depends on the arm and on how the patient is doing, the "
        "estimate is biased by it."
    )


OVERLAP_SMD_NOTE = (
    "Overlap weights make the weighted means of every covariate in the score equal in the two arms by construction "
    "(Li, Morgan & Zaslavsky 2018), so their |SMD| after is 0: balance of the means, not proof of no confounding "
    "(covariates left out of the score, other moments, interactions and unmeasured confounders are not balanced by "
    "it; the balance table shows every candidate covariate, in the score or not)."
)


@dataclass(frozen=True)
class Row:
    """One estimate as the page shows it: the registry unadjusted or adjusted, or the trial."""

    kind: str  # "unadjusted", "adjusted", "trial"
    label: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_stent: int
    n_medical: int
    evalue: float = math.nan
    evalue_ci: float = math.nan


def estimate_text(value: float, decimals: int, ratio: bool) -> str:
    return number(value, decimals, signed=not ratio)


def ci_text(low: float, high: float, decimals: int, ratio: bool) -> str:
    if ratio:
        return interval(low, high, decimals)
    low_text, high_text = number(low, decimals, signed=True), number(high, decimals, signed=True)
    return DASH if DASH in (low_text, high_text) else f"{low_text} to {high_text}"


def estimate_with_ci(estimate: float, low: float, high: float, decimals: int, ratio: bool) -> str:
    """'+1.23 (-0.45 to +2.91)': an estimate with its CI, as the chart writes it beside its point."""
    return f"{estimate_text(estimate, decimals, ratio)} ({ci_text(low, high, decimals, ratio)})"


def ess_text(value: float) -> str:
    """An effective sample size: a weighted number of patients, to one decimal."""
    return number(value, 1)


def evalue_text(value: float) -> str:
    return number(value, 2) if np.isfinite(value) else DASH


def estimates_table(
    rows: list[Row], column: str, decimals: int, ratio: bool, counts: dict[str, list[str]]
) -> pd.DataFrame:
    """The estimates as a table: one row each, with its CI, p, the patients per arm (as `counts`
    writes them: hidden where small cells are protected) and the E-values (the trial's: a dash,
    randomization needs none)."""
    return pd.DataFrame(
        {
            "Estimate": [r.label for r in rows],
            column: [estimate_text(r.estimate, decimals, ratio) for r in rows],
            "95% CI": [ci_text(r.ci_low, r.ci_high, decimals, ratio) for r in rows],
            "p": [format_p(r.p_value) for r in rows],
            "n, stent": counts["stent"],
            "n, medical": counts["medical"],
            "E-value (CI)": [
                DASH if not np.isfinite(r.evalue) else f"{evalue_text(r.evalue)} ({evalue_text(r.evalue_ci)})"
                for r in rows
            ],
        }
    )


def benchmark_verdict(low: float, high: float, ratio: bool, estimand: str) -> str:
    """The benchmark's reading in a few words (the table's and the slide's): whether the CI includes
    no difference, and that the estimands differ either way."""
    null = 1.0 if ratio else 0.0
    reading = "no difference shown (not a reproduction)" if low <= null <= high else "differs beyond chance"
    return f"{reading}; the estimands differ ({estimand} vs the trial's average effect)"


def benchmark_table(
    registry: str,
    column: str,
    difference: float,
    low: float,
    high: float,
    decimals: int,
    ratio: bool,
    estimand: str = "ATO",
) -> pd.DataFrame:
    """The registry − trial difference (a ratio for hazard ratios) with its 95% CI and its reading, as one row."""
    return pd.DataFrame(
        {
            "Compared": [f"{registry} against Trial, randomized"],
            column: [estimate_text(difference, decimals, ratio)],
            "95% CI": [ci_text(low, high, decimals, ratio)],
            "Benchmark": [benchmark_verdict(low, high, ratio, estimand)],
        }
    )


def smd_text(value: float) -> str:
    text = number(abs(value), SMD_DECIMALS) if np.isfinite(value) else DASH
    return f"{text} {SMD_FLAG}" if text != DASH and abs(value) > BALANCE_TARGET else text


CALIPER_SCALE = (
    "SD of the score on the probability scale, MatchIt's default (Austin's 0.2 is for the logit of the score, a "
    "wider caliper where scores are near 0 or 1)"
)


def matching_words(
    unmatched: str, stent: str, none_left: str, outside: str, medical: str, matched: str, caliper: str
) -> str:
    """What 1:1 matching left out and why (propensity.unmatched_reasons), counts as the page writes
    them: the stent patients no medical patient was left for (at most one match per medical
    patient) apart from those with none within the caliper."""
    reasons = []
    if none_left != "0":
        reasons.append(
            f"{none_left} had no medical patient left to match (1:1 without replacement: at most {medical} matches, "
            "one per medical patient, whatever the caliper)"
        )
    if outside != "0":
        reasons.append(f"{outside} had no match within the caliper")
    why = f": {' and '.join(reasons)}, counted in the matching order (largest score first)" if reasons else ""
    more_stent = none_left != "0"
    return (
        f"Matching: {unmatched} of the {stent} stent patients analysed have no match{why}. The caliper is {caliper} "
        f"{CALIPER_SCALE}. The estimate is the effect among the {matched} matched stent patients, not the ATT of all "
        "stented patients"
        + (
            ": with more stent than medical patients, 1:1 matching without replacement cannot estimate that, and "
            "whom it matches depends on the matching order"
            if more_stent
            else ""
        )
        + ". Its CI treats the matched patients as independent (no clustering on the pair)."
    )


NOT_IN_SCORE = "not in the score"


def balance_label(label: str, in_score: bool) -> str:
    """A covariate's name in the balance table and the love plot, marked when the score left it out."""
    return label if in_score else f"{label} ({NOT_IN_SCORE})"


def balance_table(balance: pd.DataFrame, after: str, hidden_label: str = "hidden") -> pd.DataFrame:
    """Each candidate covariate's |SMD| before and after adjustment (▲ above 0.1), with whether the
    score used it: one left out is not adjusted for, and its |SMD| after shows what that leaves. Where
    `balance` has hidden_before / hidden_after (small-cell protection: hide_small_smds), that |SMD| reads
    hidden."""
    gone_before = balance.get("hidden_before", pd.Series(False, index=balance.index))
    gone_after = balance.get("hidden_after", pd.Series(False, index=balance.index))
    return pd.DataFrame(
        {
            "Covariate": list(balance.label),
            "In the score": ["yes" if used else "no" for used in balance.in_score],
            "|SMD| before": [
                hidden_label if gone else smd_text(v) for v, gone in zip(balance.smd_before, gone_before, strict=True)
            ],
            f"|SMD| after ({after})": [
                hidden_label if gone else smd_text(v) for v, gone in zip(balance.smd_after, gone_after, strict=True)
            ],
        }
    )


def balance_warning(balance: pd.DataFrame, method: str, caliper: float, narrowest_caliper: float) -> str | None:
    """The warning when a covariate's |SMD| after adjustment is above the target: each one named with
    its |SMD| (those left out of the score marked; "(value hidden)" where hidden_after marks it), and what
    can help. None when all are within it. `balance`: the computed |SMD|s, never NaN for a hidden one."""
    off = balance[balance.smd_after.abs() > BALANCE_TARGET]
    if off.empty:
        return None
    gone = off.get("hidden_after", pd.Series(False, index=off.index))  # small-cell protection: the value hidden
    names = ", ".join(
        f"{balance_label(str(label), bool(used))} {'(value hidden)' if hidden else number(abs(float(v)), SMD_DECIMALS)}"
        for label, used, v, hidden in zip(off.label, off.in_score, off.smd_after, gone, strict=True)
    )
    left_out = off[~off.in_score.astype(bool)]
    remedies = ["add the covariates left out to the score"] if not left_out.empty else []
    if method != "overlap":
        remedies.append("choose overlap weights")
    if method == "matching" and caliper > narrowest_caliper:
        remedies.append("a narrower caliper")
    remedies.append("narrow the cohort")
    text = (
        f"**Balance not reached**: after adjustment |SMD| is above {BALANCE_TARGET} for {names}. The adjusted "
        "estimate still carries that imbalance."
    )
    if not left_out.empty:
        text += (
            " A covariate left out of the score is not adjusted for: the weights balance it only as far as it goes "
            "with the covariates in the score."
        )
    if len(remedies) == 1:
        return f"{text} To reduce it: {remedies[0]}."
    return f"{text} To reduce it: {', '.join(remedies[:-1])} or {remedies[-1]}."


def hide_small_smds(balance: pd.DataFrame, hidden: pd.DataFrame) -> pd.DataFrame:
    """`balance` (propensity.balance) whose |SMD|s that propensity.small_cell_smds marks are NaN (so not drawn on
    the love plot nor in its largest), with hidden_before / hidden_after saying which."""
    marks = hidden.rename(columns={"before": "hidden_before", "after": "hidden_after"})
    out = balance.merge(marks, on="covariate", how="left", validate="one_to_one")
    out[["hidden_before", "hidden_after"]] = out[["hidden_before", "hidden_after"]].fillna(False).astype(bool)
    out.loc[out.hidden_before, "smd_before"] = np.nan
    out.loc[out.hidden_after, "smd_after"] = np.nan
    return out


def centre_words(pooled: tuple[str, ...], left_out: bool, markdown: bool = True) -> str:
    """What the score did with small study centres (propensity.pool_centres), in a sentence; empty
    when nothing was pooled. Centre ids are the data's: escaped for Markdown (markdown=True), plain
    for a table cell, which shows text as text."""
    if not pooled:
        return ""
    names = ", ".join(escape.markdown(c) if markdown else c for c in pooled)
    which = (
        f"{len(pooled)} centre{'s' * (len(pooled) != 1)} with fewer than {P.MIN_PER_CENTRE_ARM} registry patients "
        f"of an arm among those analysed ({names})"
    )
    if left_out:
        return (
            f"Study centre left out of the score: {which}, pooled, are every centre or still have fewer than "
            f"{P.MIN_PER_CENTRE_ARM} of an arm, so the centre does not enter the score; differences between centres "
            "are not adjusted for."
        )
    return f"Study centre: {which} pooled into one level, {P.OTHER_CENTRES}, so that every level has both arms."


def protocol_table(
    cohort_words: str,
    studies: list[str],
    left_out: str,
    eligibility: str,
    covariates: list[str],
    outcome: str,
    follow_up: str,
    time_zero: str,
    method: str,
    estimand: str,
    method_label: str,
    centres: str = "",
) -> pd.DataFrame:
    """The target trial the registry analysis emulates, element by element (Hernán & Robins 2016),
    each in a line a table cell shows whole; the covariates are listed in the balance table.
    left_out: the patients left out for a missing covariate, as the page writes counts ("" for none);
    eligibility: whether the registry is restricted to the trial's inclusion criteria, in words;
    centres: what the score did with small centres (centre_words, plain), "" for nothing."""
    missing = f", {left_out} without every covariate left out" if left_out else ""
    return pd.DataFrame(
        {
            "Protocol element": [
                "Eligibility",
                "Treatment strategies",
                "Assignment",
                "Time zero",
                "Outcome",
                "Follow-up",
                "Causal contrast",
                "Analysis",
            ],
            "Target trial, as emulated in the registry (observational)": [
                f"The sidebar's cohort ({cohort_words}): registry patients of {', '.join(studies)}, "
                f"{eligibility}{missing}",
                "Venous stenting vs medical therapy alone, as the registry's clinicians chose",
                f"Not randomized: a propensity score on {len(covariates)} covariate{'s' * (len(covariates) != 1)} "
                "(the balance table)" + (f". {centres}" if centres else ""),
                time_zero,
                outcome,
                follow_up,
                f"{estimand}, stent − medical: {TARGET_POPULATIONS[method]}",
                f"{method_label}; robust (sandwich) 95% CIs",
            ],
        }
    )


def benchmark_words(
    difference: float,
    low: float,
    high: float,
    decimals: int,
    what: str,
    estimand: str,
    trial_set: str = "the patients it randomized",
) -> str:
    """What the registry-vs-trial difference supports, in words: a CI that includes no difference is
    not evidence that the registry reproduces the trial; the estimands differ either way. `trial_set`:
    the trial's patients its estimate uses, in words (the N of the M randomized seen at the visit)."""
    ratio = what == "ratio"
    diff = f"{estimate_text(difference, decimals, ratio)}, 95% CI {ci_text(low, high, decimals, ratio)}"
    null = 1.0 if what == "ratio" else 0.0
    name = "Ratio of the hazard ratios, registry / trial" if what == "ratio" else "Registry − trial"
    if low <= null <= high:
        verdict = (
            f"**No difference shown** between the adjusted registry estimate and the trial's ({name}: {diff}): the "
            f"interval includes {number(null, 0)}. That is not evidence that the registry reproduces the trial: every "
            "value in the interval is compatible with these data."
        )
    else:
        verdict = (
            f"**The adjusted registry estimate differs from the trial's** beyond chance ({name}: {diff}): residual "
            "confounding, different patients or the different estimand can each explain it."
        )
    return (
        f"{verdict} The estimands differ: the registry's is the {ESTIMAND_NAMES[estimand]} of its own patients, the "
        f"trial's the average effect among {trial_set}."
    )


def single_arm_levels(rows: pd.DataFrame, covariates: list[str]) -> str:
    """Where a separated score comes from, in words: each chosen categorical covariate's levels
    that only one arm of the registry patients has (centre ids are the data's: escaped), e.g.
    "Study centre: RC03, RC07 (stent only)"; empty when none is."""
    registry = P.observational(rows)
    parts = []
    for cov in covariates:
        if cov not in P.CATEGORICAL:
            continue
        arms = registry.dropna(subset=[cov]).groupby(registry[cov].dropna().astype(str)).arm.agg(set)
        known = vocab.LEVELS.get(cov, {})  # a fixed vocabulary, in its own order; else the data's values, sorted
        for arm in vocab.ARMS:
            only = [level for level, present in arms.items() if present == {arm}]
            only.sort(key=lambda v: (list(known).index(v), "") if v in known else (len(known), v))
            if only:
                names = ", ".join(known[v] if v in known else escape.markdown(v) for v in only)
                parts.append(f"{vocab.PS_COVARIATES[cov]}: {names} ({vocab.ARMS[arm].lower()} only)")
    return "; ".join(parts)


def problem_text(message: str, shield: Protection) -> str:
    """The core's reason for no score, its arms' counts ("stent 2, medical 40") written as the page
    writes counts (1 to k−1 hidden where small cells are protected)."""
    return re.sub(r"\b(stent|medical) (\d+)\b", lambda m: f"{m[1]} {shield.count(int(m[2]))}", message)


def ph_words(chisq: float, p: float) -> tuple[bool, str]:
    """Whether proportional hazards are doubtful (p below propensity.PH_DOUBTFUL) and what the page
    says about the weighted Cox model's test (cox.zph's score test): a doubtful hazard ratio is an
    average over the follow-up; a p above the threshold is no proof of proportional hazards."""
    test = f"chi-square {number(chisq, 2)}, 1 df, {p_clause(p)}"
    if p < P.PH_DOUBTFUL:
        return True, (
            f"**Proportional hazards doubtful** ({test}; Grambsch & Therneau score test on the weighted fit, as "
            "survival::cox.zph): the ratio of the arms' hazards changes over follow-up, so the hazard ratio is an "
            "average over this follow-up, not one ratio at every time. Read the weighted Kaplan-Meier curves below."
        )
    return False, (
        f"Proportional hazards (Grambsch & Therneau score test on the weighted fit, as survival::cox.zph): {test}; "
        "no evidence that the hazard ratio changes over follow-up, which is not proof that it does not."
    )
