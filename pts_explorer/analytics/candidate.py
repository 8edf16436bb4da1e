"""The Candidate page's numbers: which widening of the anatomy to match at, how far the matched
patients agree with the profile and how many come from the registry, a model-based estimate for one
profile, and what the profile's place in the model's data warrants.

The model is an OLS regression of the Villalta change from baseline at one visit on the arm, the
lesion group and their interaction (the treatment-by-anatomy interaction the evidence is about),
adjusted for the baseline Villalta and for the other fields the profile gives when the randomized
data support them (choose_covariates), fitted on the randomized patients with the visit and every
field it uses (complete-case). Its predictions for the profile move with those fields; the stent −
medical difference depends on the lesion group only (no arm × field interaction: the trial's size
cannot support one), and the page says so. tests/reference/candidate_model.R holds R's numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from pts_explorer import vocab
from pts_explorer.analytics import trajectories
from pts_explorer.candidate import LEVELS, MIN_PER_ARM, Profile
from pts_explorer.rows import each_row

ARM_TERM = "C(arm, Treatment('medical'))[T.stent]"
BASE_FORMULA = "change ~ C(arm, Treatment('medical')) * C(lesion_group) + baseline"
OUTCOME = "Villalta"
MIN_MODEL_PER_ARM = 5  # fewer randomized patients of the lesion group in an arm: no estimate
FEW_MODEL_PER_ARM = 15  # fewer than this: the estimate rests on few patients, and the page says so
MIN_PER_CATEGORY = 10  # a yes/no field enters the model only when each answer has this many patients
PATIENTS_PER_TERM = 10  # at least this many patients per coefficient, or the next field stays out
MAX_MISSING_SHARE = 0.1  # a field missing for more of the patients with the visit stays out


@dataclass(frozen=True)
class Covariate:
    """A profile field the model can adjust for: its Profile attribute, its candidate_model column
    (numbers; yes/no fields as 1/0), and how it reads."""

    field: str
    column: str
    label: str
    binary: bool = False
    one: str | None = None  # a yes/no field: the profile value coded 1
    unit: str = ""

    def value(self, profile: Profile) -> float | None:
        given = getattr(profile, self.field)
        if given is None:
            return None
        return float(given == self.one) if self.binary else float(given)


# In the order they are offered to the model: the first ones are kept when the trial's size allows
# fewer than all. The baseline Villalta is always in the model (the ANCOVA's adjustment).
COVARIATES = (
    Covariate("ulcer", "ulcer", "open ulcer", binary=True, one="yes"),
    Covariate("vcss", "vcss", "VCSS"),
    Covariate("age", "age_years", "age", unit=" years"),
    Covariate("sex", "female", "sex", binary=True, one="female"),
    Covariate("months", "months_since_dvt", "months since DVT"),
    Covariate("length", "lesion_length_mm", "lesion length", unit=" mm"),
    Covariate("side", "left_limb", "limb", binary=True, one="left"),
)
# Profile fields that reach the model only through another one, or not at all.
INDIRECT = {
    "site": "the obstruction site and the stenosis enter only through the lesion group",
    "items": "the 11 Villalta items enter only through their total",
}
MODEL_METHOD = (
    "OLS of the Villalta change from baseline at the visit on arm × lesion group (below 70%; 70%+ common iliac "
    "or common femoral; 70%+ other sites) plus the baseline Villalta and the fields of the profile the data "
    "support, fitted on the randomized patients (complete-case); t-based 95% confidence intervals for the "
    "expected changes and their stent − medical difference, and 95% prediction intervals for one new patient "
    "per treatment (R lm + predict give the same numbers)"
)
CONSTANT_EFFECT = (
    "The stent − medical difference may differ between lesion groups (the arm × lesion-group interaction) but "
    "is assumed the same whatever the other fields: a trial of this size cannot estimate how the effect varies "
    "with them, so they move the expected changes with and without a stent, not their difference"
)


def choose_level(levels: pd.DataFrame, min_per_arm: int = MIN_PER_ARM) -> tuple[int, bool]:
    """The narrowest widening (0-2) at which both arms hold `min_per_arm` patients, and whether
    one does; the widest when none does."""
    sizes = levels.set_index("arm").reindex(list(vocab.ARMS), fill_value=0)
    for level in LEVELS:
        if int(sizes[f"level_{level}"].min()) >= min_per_arm:
            return level, True
    return max(LEVELS), False


@dataclass(frozen=True)
class Prediction:
    """The expected change of one arm for the profile: its 95% CI, and the 95% prediction
    interval for one new patient."""

    expected: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float


@dataclass(frozen=True)
class ModelEstimate:
    visit_month: int
    lesion_group: str
    baseline: float  # the baseline Villalta the prediction is for
    baseline_assumed: bool  # True: the candidate gave none, the randomized patients' mean is used
    used: tuple[str, ...]  # the profile fields adjusted for beyond the baseline Villalta, in words
    not_used: tuple[str, ...]  # the fields the profile gives that the model leaves out, and why
    diff: float  # stent − medical: the same for every profile of the lesion group in this model
    se: float
    ci_low: float
    ci_high: float
    stent: Prediction
    medical: Prediction
    n_stent: int  # randomized patients of the lesion group in the model
    n_medical: int
    n_model: int
    n_randomized: int  # randomized patients of the cohort (the model's rows before complete cases)
    n_no_visit: int  # left out: no value at the visit (or at baseline)
    n_incomplete: int  # left out: a field the model uses is missing
    n_small_groups: int  # left out: their lesion group has too few patients in an arm
    df_resid: float
    formula: str
    profile_row: dict[str, object]  # the model's columns for this profile (add the arm to predict)


def _terms(covariates: list[Covariate]) -> str:
    return BASE_FORMULA + "".join(f" + {c.column}" for c in covariates)


def _groups_with_both_arms(data: pd.DataFrame) -> pd.DataFrame:
    counts = data.groupby(["lesion_group", "arm"]).size().unstack(fill_value=0).reindex(columns=list(vocab.ARMS))
    kept = counts.index[counts.fillna(0).min(axis=1) >= MIN_MODEL_PER_ARM]
    return data[data.lesion_group.isin(kept)]


def _design_rank(data: pd.DataFrame, covariates: list[Covariate]) -> tuple[int, int]:
    x = smf.ols(_terms(covariates), data=data).exog
    return int(np.linalg.matrix_rank(x)), int(x.shape[1])


def choose_covariates(data: pd.DataFrame, profile: Profile) -> tuple[list[Covariate], list[str]]:
    """The profile's fields the model adjusts for, offered in COVARIATES' order, and those left out
    with the reason, in words. A field enters when the data support it: missing for at most
    MAX_MISSING_SHARE of the patients with the visit, varying among them (each answer of a yes/no
    field held by MIN_PER_CATEGORY), the design staying of full rank, and PATIENTS_PER_TERM
    patients per coefficient. `data`: candidate_model rows with the visit."""
    chosen: list[Covariate] = []
    left_out: list[str] = []
    for covariate in COVARIATES:
        if covariate.value(profile) is None:
            continue
        column = data[covariate.column]
        missing = int(column.isna().sum())
        trial = data.dropna(subset=[c.column for c in [*chosen, covariate]])
        values = trial[covariate.column]
        reason = None
        if missing > MAX_MISSING_SHARE * len(data):
            reason = f"missing for {missing} of the {len(data)} randomized patients with the visit"
        elif covariate.binary and min(int((values == 1).sum()), int((values == 0).sum())) < MIN_PER_CATEGORY:
            reason = f"fewer than {MIN_PER_CATEGORY} randomized patients have one of its two answers"
        elif not covariate.binary and values.nunique() < 2:
            reason = "it does not vary among the randomized patients"
        elif profile.lesion_group not in set(_groups_with_both_arms(trial).lesion_group):
            reason = (
                f"without the patients missing it, this lesion group has fewer than {MIN_MODEL_PER_ARM} patients "
                "in an arm"
            )
        else:
            rank, width = _design_rank(_groups_with_both_arms(trial), [*chosen, covariate])
            if rank < width:
                reason = "it is determined by the other terms among the randomized patients"
            elif len(trial) < PATIENTS_PER_TERM * width:
                reason = (
                    f"{len(trial)} randomized patients support at most {len(trial) // PATIENTS_PER_TERM} "
                    f"coefficients, at {PATIENTS_PER_TERM} patients each"
                )
        if reason is None:
            chosen.append(covariate)
        else:
            left_out.append(f"{covariate.label} ({reason})")
    return chosen, left_out


def model_estimate(data: pd.DataFrame, profile: Profile, visit_month: int) -> ModelEstimate | None:
    """The expected Villalta change with and without a stent for a profile, and their difference,
    from candidate_model rows of the randomized patients; None when the profile has no lesion group
    or its lesion group has fewer than MIN_MODEL_PER_ARM complete patients in an arm."""
    group = profile.lesion_group
    if group is None:
        return None
    seen = data.dropna(subset=["baseline", "change"])
    if group not in set(_groups_with_both_arms(seen).lesion_group):
        return None
    covariates, left_out = choose_covariates(seen, profile)
    complete = seen.dropna(subset=[c.column for c in covariates])
    fitted = _groups_with_both_arms(complete)
    if group not in set(fitted.lesion_group):
        return None
    formula = _terms(covariates)
    fit = smf.ols(formula, data=fitted).fit()
    assumed = profile.villalta_total is None
    baseline = float(fitted.baseline.mean()) if assumed else float(profile.villalta_total)  # type: ignore[arg-type]
    new = pd.DataFrame({"arm": ["stent", "medical"], "lesion_group": group, "baseline": baseline})
    for covariate in covariates:
        new[covariate.column] = covariate.value(profile)
    # Stent minus medical for this lesion group: the arm's coefficient plus its interaction with
    # the group (every other term is the same in both arms and cancels).
    terms = [ARM_TERM, f"{ARM_TERM}:C(lesion_group)[T.{group}]"]
    contrast = np.array([[1.0 if name in terms else 0.0 for name in fit.params.index]])
    test = fit.t_test(contrast)
    ci_low, ci_high = (float(v) for v in np.squeeze(test.conf_int(alpha=0.05)))
    frame = fit.get_prediction(new).summary_frame(alpha=0.05)
    stent, medical = (
        Prediction(
            expected=float(r["mean"]),
            ci_low=float(r.mean_ci_lower),
            ci_high=float(r.mean_ci_upper),
            pi_low=float(r.obs_ci_lower),
            pi_high=float(r.obs_ci_upper),
        )
        for _, r in frame.iterrows()
    )
    in_group = fitted[fitted.lesion_group == group]
    return ModelEstimate(
        visit_month=visit_month,
        lesion_group=group,
        baseline=baseline,
        baseline_assumed=assumed,
        used=tuple(_given(profile, c) for c in covariates),
        not_used=tuple(left_out),
        diff=float(np.squeeze(test.effect)),
        se=float(np.squeeze(test.sd)),
        ci_low=ci_low,
        ci_high=ci_high,
        stent=stent,
        medical=medical,
        n_stent=int((in_group.arm == "stent").sum()),
        n_medical=int((in_group.arm == "medical").sum()),
        n_model=int(fit.nobs),
        n_randomized=len(data),
        n_no_visit=len(data) - len(seen),
        n_incomplete=len(seen) - len(complete),
        n_small_groups=len(complete) - len(fitted),
        df_resid=float(fit.df_resid),
        formula=formula,
        profile_row=new.drop(columns="arm").iloc[0].to_dict(),
    )


def group_difference_note(lesion_group: str) -> str:
    """What the headline difference is: the lesion group's, the same for every profile in it."""
    return (
        f"The stent − medical difference is the lesion group's ({vocab.LESION_GROUPS.get(lesion_group, lesion_group)}"
        "), not this patient's own: the model lets the stent's benefit vary with the lesion group only, so every "
        "profile in this group gets the same difference. The profile's other fields move the expected change with "
        "and without a stent (the table below), not the difference between them."
    )


READING = (
    "How to read this: the Villalta score falls as PTS improves, so a lower (more negative) change is better. "
    "Expected change: the model's average change from baseline for patients with this profile under each "
    "treatment, with the 95% CI of that average. The 95% range for one new patient (a prediction interval) is "
    "where a single new patient with this profile is expected to land under that treatment, 95 times in 100: the "
    "ranges are wide because patients vary, and they can overlap even when the average benefit is clear. Neither "
    "range, nor their difference, is the range of "
    "this patient's own benefit: each patient is seen under one treatment only, so the data give the average "
    "benefit of a stent (stent − medical, with its 95% CI), not one person's."
)


def model_description(models: list[ModelEstimate], profile: Profile) -> str:
    """What the fitted models rest on, in words: the complete-case analysis set per visit, the
    fields adjusted for, the effect assumed constant across them, and the fields left out."""
    first = models[0]
    counts = "; ".join(
        f"month {m.visit_month}: {m.n_model} of {m.n_randomized} used"
        + "".join(
            f", {n} left out {why}"
            for n, why in (
                (m.n_no_visit, "for want of a Villalta at baseline and at the visit"),
                (m.n_incomplete, "for want of a field the model adjusts for"),
                (m.n_small_groups, f"as their lesion group has fewer than {MIN_MODEL_PER_ARM} patients in an arm"),
            )
            if n
        )
        for m in models
    )
    if first.baseline_assumed:
        baseline = f"the baseline Villalta (none given: the randomized patients' mean, {first.baseline:.1f}, is used)"
    else:
        baseline = f"the baseline Villalta ({first.baseline:g})"
    adjusted = ", ".join([baseline, *first.used])
    unused = [*unused_fields(profile), *first.not_used]
    return (
        f"Complete-case analysis of the randomized patients of the cohort: patients without the visit are left out, "
        f"not imputed ({counts}). Adjusted for {adjusted}. {CONSTANT_EFFECT}."
        + (f" Not used by the model: {'; '.join(unused)}." if unused else "")
    )


def _given(profile: Profile, covariate: Covariate) -> str:
    value = f"{getattr(profile, covariate.field)}{covariate.unit}"
    return f"{covariate.label}: {value}" if covariate.binary else f"{covariate.label} {value}"


def unused_fields(profile: Profile) -> list[str]:
    """The fields the profile gives that no model reads, whatever the data, in words."""
    notes = []
    if profile.site is not None or profile.stenosis is not None or profile.grade is not None:
        notes.append(INDIRECT["site"])
    if profile.items is not None:
        notes.append(INDIRECT["items"])
    return notes


def extrapolation(profile: Profile, data: pd.DataFrame) -> list[str]:
    """Where the profile lies outside the randomized patients the model is fitted on, in words.
    `data`: candidate_model rows with the visit."""
    notes = []
    grade = profile.stenosis_grade
    if grade is not None and grade not in set(data.stenosis_grade):
        notes.append(f"no randomized patient has a stenosis of grade {vocab.GRADES[grade]}")
    if profile.site is not None and profile.site not in set(data.obstruction_site):
        notes.append(f"no randomized patient has an obstruction of the {vocab.SITES[profile.site].lower()} vein")
    checks = [("baseline Villalta", profile.villalta_total, data.baseline)] + [
        (c.label, getattr(profile, c.field), data[c.column]) for c in COVARIATES if not c.binary
    ]
    for name, value, column in checks:
        column = column.dropna()
        if value is not None and len(column) and not column.min() <= value <= column.max():
            notes.append(
                f"the {name} of {value} is outside the randomized patients' {column.min():g} to {column.max():g}"
            )
    if profile.lesion_group is not None:
        group = data[data.lesion_group == profile.lesion_group]
        n_s, n_m = int((group.arm == "stent").sum()), int((group.arm == "medical").sum())
        if min(n_s, n_m) < FEW_MODEL_PER_ARM:
            notes.append(
                f"only {n_s} stented and {n_m} medical randomized patients have this lesion group "
                f"({vocab.LESION_GROUPS[profile.lesion_group]})"
            )
    return notes


MOSTLY = 0.5  # above this share of registry patients the matched set is called observational


@dataclass(frozen=True)
class DesignMix:
    """Where the matched patients come from: how many from randomized studies and how many from
    observational ones (registries)."""

    randomized: int
    observational: int

    @property
    def share(self) -> float:
        """The share of observational (registry) patients."""
        total = self.randomized + self.observational
        return self.observational / total if total else 0.0

    @property
    def observational_dominates(self) -> bool:
        return self.share > MOSTLY

    def label(self) -> str:
        """What the matched comparison is, in words: randomized only when every patient is."""
        percent = f"{100 * self.share:.0f}%"
        if self.observational == 0:
            return "randomized only"
        if self.randomized == 0:
            return "observational: registry only"
        if self.observational_dominates:
            return f"observational: {percent} registry"
        return f"not randomized: {percent} registry"


def design_mix(sizes: pd.DataFrame) -> DesignMix:
    """The design mix of cohort_size_by_study_arm rows (design, patients)."""
    by_design = sizes.groupby("design").patients.sum()
    return DesignMix(int(by_design.get("randomized", 0)), int(by_design.get("observational", 0)))


HONOURED_SHARE = 0.5  # a field is honoured when at least this share of each arm's matched patients agree
# How a matched patient agrees with the profile, per field: (candidate_match column, Profile
# attribute, the field's name, the agreement in words, tolerance; None = the same value).
AGREEMENT = (
    ("obstruction_site", "site", "Obstruction site", "the same site", None),
    ("stenosis_grade", "stenosis_grade", "Stenosis grade", "the same grade", None),
    ("stenosis_pct", "stenosis", "Stenosis", "within 10 points", 10.0),
    ("lesion_length_mm", "length", "Lesion length", "within 20 mm", 20.0),
    ("limb_side", "side", "Limb", "the same limb", None),
    ("baseline_villalta", "villalta_total", "Villalta", "within 2 points", 2.0),
    ("baseline_ulcer", "ulcer", "Open ulcer", "the same ulcer status", None),
    ("baseline_vcss", "vcss", "VCSS", "within 2 points", 2.0),
    ("age_years", "age", "Age", "within 5 years", 5.0),
    ("sex", "sex", "Sex", "the same sex", None),
    ("months_since_dvt", "months", "Months since DVT", "within 12 months", 12.0),
)


def agreement(profile: Profile, match: pd.DataFrame) -> pd.DataFrame:
    """Per field the profile gives and per arm, the share of matched patients (candidate_match
    rows) that agree with it (AGREEMENT; a missing value does not agree), and whether the field is
    honoured: at least HONOURED_SHARE in every arm that has matched patients. n_<arm>: the arm's
    matched patients."""
    sizes = {f"n_{arm}": int((match.arm == arm).sum()) for arm in vocab.ARMS}
    rows = []
    for column, attribute, label, words, tolerance in AGREEMENT:
        value = getattr(profile, attribute)
        if value is None:
            continue
        if attribute == "ulcer":
            value = value == "yes"
        row: dict[str, object] = {"field": label, "agreement": words, **sizes}
        for arm in vocab.ARMS:
            cells = match.loc[match.arm == arm, column]
            if cells.empty:
                row[arm] = float("nan")
                continue
            agree = cells == value if tolerance is None else (cells.astype(float) - float(value)).abs() <= tolerance
            row[arm] = float(agree.fillna(False).astype(bool).mean())
        shares = [row[arm] for arm in vocab.ARMS if not pd.isna(row[arm])]
        row["honoured"] = all(float(s) >= HONOURED_SHARE for s in shares)  # type: ignore[arg-type]
        rows.append(row)
    columns = ["field", "agreement", *vocab.ARMS, "honoured", *sizes]
    return pd.DataFrame(rows, columns=columns)


def _no_one_hidden(n: int) -> bool:
    return False


def agreement_shares(row: Any, hidden: Callable[[int], bool] = _no_one_hidden) -> str:
    """'18% of the matched stent and 8% of the matched medical patients' for an agreement() row;
    `hidden(n)`: an arm of n matched patients whose share is not shown."""
    parts = [
        ("a hidden share" if hidden(getattr(row, f"n_{arm}")) else f"{100 * float(getattr(row, arm)):.0f}%")
        + f" of the matched {arm}"
        for arm in vocab.ARMS
        if not pd.isna(getattr(row, arm))
    ]
    return " and ".join(parts) + " patients"


def unhonoured(table: pd.DataFrame, hidden: Callable[[int], bool] = _no_one_hidden) -> list[str]:
    """The fields the match could not honour, in words: 'Open ulcer (the same ulcer status): 18%
    of the matched stent and 8% of the matched medical patients'."""
    return [f"{r.field} ({r.agreement}): {agreement_shares(r, hidden)}" for r in each_row(table) if not r.honoured]


def matched_differences(summary: pd.DataFrame, visits: tuple[int, ...]) -> pd.DataFrame:
    """The matched patients' stent − medical difference in mean change (Welch) at the visits."""
    if summary.empty:
        return pd.DataFrame(columns=["visit_month", "n_stent", "n_medical", "diff", "ci_low", "ci_high"])
    table = trajectories.arm_differences(summary)
    return table[table.visit_month.isin(visits)].reset_index(drop=True)
