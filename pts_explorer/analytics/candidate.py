"""The Candidate page's numbers: which widening of the anatomy to match at, a model-based estimate of
the stent's benefit for one profile, and what the profile's place in the model's data warrants.

The model is an OLS regression of the Villalta change from baseline at one visit on the arm, the
lesion group and their interaction (the treatment-by-anatomy interaction the evidence is about),
adjusted for the baseline Villalta, fitted on the randomized patients only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from pts_explorer import vocab
from pts_explorer.analytics import trajectories
from pts_explorer.candidate import LEVELS, MIN_PER_ARM, Profile

ARM_TERM = "C(arm, Treatment('medical'))[T.stent]"
FORMULA = "change ~ C(arm, Treatment('medical')) * C(lesion_group) + baseline"
MODEL_METHOD = (
    "OLS of the Villalta change from baseline on arm × lesion group (below 70%; 70%+ common iliac or common "
    "femoral; 70%+ other sites), adjusted for the baseline Villalta, fitted on the randomized patients; t-based "
    "95% CI for the expected stent − medical difference of this lesion group; 95% prediction interval for the "
    "difference between two new patients of this profile, one treated with each"
)
MIN_MODEL_PER_ARM = 5  # fewer randomized patients of the lesion group in an arm: no estimate
FEW_MODEL_PER_ARM = 15  # fewer than this: the estimate rests on few patients, and the page says so


def choose_level(levels: pd.DataFrame, min_per_arm: int = MIN_PER_ARM) -> tuple[int, bool]:
    """The narrowest widening (0-2) at which both arms hold `min_per_arm` patients, and whether
    one does; the widest when none does."""
    sizes = levels.set_index("arm").reindex(list(vocab.ARMS), fill_value=0)
    for level in LEVELS:
        if int(sizes[f"level_{level}"].min()) >= min_per_arm:
            return level, True
    return max(LEVELS), False


@dataclass(frozen=True)
class ModelEstimate:
    visit_month: int
    lesion_group: str
    baseline: float  # the baseline Villalta the prediction is for
    baseline_assumed: bool  # True: the candidate gave none, the randomized patients' mean is used
    diff: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    stent: float  # expected change with a stent, and without
    medical: float
    n_stent: int  # randomized patients of the lesion group in the model
    n_medical: int
    n_model: int
    df_resid: float
    formula: str = FORMULA


def model_estimate(
    data: pd.DataFrame, lesion_group: str, baseline: float | None, visit_month: int
) -> ModelEstimate | None:
    """The expected stent − medical difference in Villalta change for a profile, from analysis_visit
    rows of the randomized patients (arm, lesion_group, baseline, change); None when the lesion
    group has fewer than MIN_MODEL_PER_ARM patients in an arm."""
    group = data[data.lesion_group == lesion_group]
    n_stent, n_medical = int((group.arm == "stent").sum()), int((group.arm == "medical").sum())
    if min(n_stent, n_medical) < MIN_MODEL_PER_ARM:
        return None
    fit = smf.ols(FORMULA, data=data).fit()
    assumed = baseline is None
    value = float(data.baseline.mean()) if baseline is None else float(baseline)
    new = pd.DataFrame({"arm": ["stent", "medical"], "lesion_group": lesion_group, "baseline": value})
    # Stent minus medical for this lesion group: the arm's coefficient plus its interaction with
    # the group (the baseline term is the same in both arms and cancels).
    terms = [ARM_TERM, f"{ARM_TERM}:C(lesion_group)[T.{lesion_group}]"]
    contrast = np.array([[1.0 if name in terms else 0.0 for name in fit.params.index]])
    test = fit.t_test(contrast)
    diff = float(np.squeeze(test.effect))
    se = float(np.squeeze(test.sd))
    ci_low, ci_high = (float(v) for v in np.squeeze(test.conf_int(alpha=0.05)))
    # Two new patients, one per arm: each adds the residual variance to the estimate's own.
    half = stats.t.ppf(0.975, fit.df_resid) * np.sqrt(se**2 + 2 * fit.scale)
    expected = fit.predict(new).to_numpy()
    return ModelEstimate(
        visit_month=visit_month,
        lesion_group=lesion_group,
        baseline=value,
        baseline_assumed=assumed,
        diff=diff,
        ci_low=ci_low,
        ci_high=ci_high,
        pi_low=diff - half,
        pi_high=diff + half,
        stent=float(expected[0]),
        medical=float(expected[1]),
        n_stent=n_stent,
        n_medical=n_medical,
        n_model=int(fit.nobs),
        df_resid=float(fit.df_resid),
    )


def extrapolation(profile: Profile, data: pd.DataFrame) -> list[str]:
    """Where the profile lies outside the randomized patients the model is fitted on, in words."""
    notes = []
    grade = profile.stenosis_grade
    if grade is not None and grade not in set(data.stenosis_grade):
        notes.append(f"no randomized patient has a stenosis of grade {vocab.GRADES[grade]}")
    if profile.site is not None and profile.site not in set(data.obstruction_site):
        notes.append(f"no randomized patient has an obstruction of the {vocab.SITES[profile.site].lower()} vein")
    checks = (("baseline Villalta", profile.villalta_total, data.baseline), ("age", profile.age, data.age_years))
    for name, value, column in checks:
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


def matched_differences(summary: pd.DataFrame, visits: tuple[int, ...]) -> pd.DataFrame:
    """The matched patients' stent − medical difference in mean change (Welch) at the visits."""
    if summary.empty:
        return pd.DataFrame(columns=["visit_month", "n_stent", "n_medical", "diff", "ci_low", "ci_high"])
    table = trajectories.arm_differences(summary)
    return table[table.visit_month.isin(visits)].reset_index(drop=True)
