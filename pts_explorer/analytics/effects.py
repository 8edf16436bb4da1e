"""Adjusted treatment effects: ANCOVA at one visit, an MMRM over all visits, and subgroups.

Inputs are the analysis sets of queries/analysis_visit.sql (one row per patient) and
queries/analysis_long.sql (one row per patient and post-baseline visit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from pts_explorer import vocab
from pts_explorer.analytics import mmrm
from pts_explorer.privacy import OFF, Protection

ARM_TERM = "C(arm, Treatment('medical'))[T.stent]"
ARM = "C(arm, Treatment('medical'))"
ANCOVA_METHOD = "ANCOVA (OLS) of change from baseline, adjusted for the baseline value; t-based 95% CI"
# What the MMRM was checked against (tests/reference, tests/unit/test_mmrm.py), as the page says it.
MMRM_ESTIMATES_REFERENCE = (
    "Checked against R (nlme 3.1-162 and emmeans 1.8.4-1) on the demo trial: the estimates and standard errors "
    "equal nlme::gls with an unstructured covariance (corSymm + varIdent) and emmeans contrasts to 5 decimals."
)
MMRM_REFERENCE = (  # REML, Satterthwaite t
    MMRM_ESTIMATES_REFERENCE + " The degrees of freedom are exact Satterthwaite, computed as R's mmrm package and "
    "SAS compute them (not checked against either); they differ from emmeans' approximate Satterthwaite df by up "
    "to 3.5%, the CIs and p-values by at most 0.001."
)
MMRM_ML_REFERENCE = (  # ML, Wald z: no degrees of freedom
    MMRM_ESTIMATES_REFERENCE + " Intervals and p-values use the normal distribution (Wald z, emmeans' asymptotic "
    "mode): no degrees of freedom enter them."
)
ML_SE_FACTOR = (
    "ML standard errors carry nlme::gls's factor: the covariance of the estimates is multiplied by N/(N − p), "
    "N observations and p fixed effects, as in the R reference; plain ML standard errors are smaller by the "
    "square root of that factor."
)


def complete_cases(month: int) -> str:
    """What the ANCOVA leaves out: it is a complete-case analysis."""
    return (
        f"Complete-case analysis: only patients with the outcome at baseline and at month {month}; patients who "
        "missed that visit, died or left the study before it are left out, not imputed."
    )


CATEGORICAL = {"study_id", "sex", "stenosis_grade", "obstruction_site"}
MIN_PER_ARM = 3


@dataclass(frozen=True)
class Effect:
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_stent: int
    n_medical: int
    formula: str


def _term(covariate: str) -> str:
    return f"C({covariate})" if covariate in CATEGORICAL else covariate


def usable_covariates(data: pd.DataFrame, chosen: list[str]) -> list[str]:
    """Chosen covariates that vary in the data (a constant one cannot be adjusted for)."""
    return [c for c in chosen if c in vocab.ANCOVA_COVARIATES and data[c].nunique() > 1]


def ancova_formula(covariates: list[str]) -> str:
    return " + ".join([f"change ~ {ARM}", "baseline", *(_term(c) for c in covariates)])


def arm_counts(data: pd.DataFrame) -> tuple[int, int]:
    counts = data["arm"].value_counts()
    return int(counts.get("stent", 0)), int(counts.get("medical", 0))


def estimable(data: pd.DataFrame) -> bool:
    return min(arm_counts(data)) >= MIN_PER_ARM


def ancova(data: pd.DataFrame, covariates: list[str] | None = None) -> Effect | None:
    """Stent minus medical adjusted mean difference in change; None if an arm has < 3 patients."""
    if not estimable(data):
        return None
    formula = ancova_formula(usable_covariates(data, covariates or []))
    fit = smf.ols(formula, data=data).fit()
    if fit.df_resid < 1 or ARM_TERM not in fit.params:
        return None
    low, high = fit.conf_int().loc[ARM_TERM]
    n_s, n_m = arm_counts(data)
    return Effect(float(fit.params[ARM_TERM]), float(low), float(high), float(fit.pvalues[ARM_TERM]), n_s, n_m, formula)


# ----------------------------------------------------------------------------------------------
# Subgroups
# ----------------------------------------------------------------------------------------------


def subgroup_effects(data: pd.DataFrame, factor: str, levels: list[str]) -> pd.DataFrame:
    """ANCOVA within each level of a factor (adjusted for baseline, and study when pooled)."""
    rows = []
    for level in levels:
        sub = data[data[factor] == level]
        adjust = ["study_id"] if factor != "study_id" else []
        effect = ancova(sub, adjust)
        n_s, n_m = arm_counts(sub)
        rows.append(
            {
                "factor": factor,
                "level": level,
                "n_stent": n_s,
                "n_medical": n_m,
                "estimate": effect.estimate if effect else np.nan,
                "ci_low": effect.ci_low if effect else np.nan,
                "ci_high": effect.ci_high if effect else np.nan,
                "p_value": effect.p_value if effect else np.nan,
                "estimable": effect is not None,
            }
        )
    return pd.DataFrame(rows)


def subgroups_by_factor(data: pd.DataFrame, factors: dict[str, list[str]]) -> dict[str, tuple[pd.DataFrame, float]]:
    """Per factor: subgroup_effects over its levels and its interaction_p, one call (the Subgroups
    page caches it as one model: its data frame hashed once per rerun, not once per factor)."""
    return {
        factor: (subgroup_effects(data, factor, levels), interaction_p(data, factor))
        for factor, levels in factors.items()
    }


def interaction_p(data: pd.DataFrame, factor: str) -> float:
    """F-test of the treatment-by-subgroup interaction (levels with both arms estimable)."""
    keep = [lvl for lvl, sub in data.groupby(factor) if estimable(sub)]
    sub = data[data[factor].isin(keep)]
    if len(keep) < 2:
        return np.nan
    study = " + C(study_id)" if factor != "study_id" and sub.study_id.nunique() > 1 else ""
    reduced = smf.ols(f"change ~ {ARM} + C({factor}) + baseline{study}", data=sub).fit()
    full = smf.ols(f"change ~ {ARM} * C({factor}) + baseline{study}", data=sub).fit()
    if full.df_resid < 1:
        return np.nan
    return float(anova_lm(reduced, full)["Pr(>F)"].iloc[1])


# ----------------------------------------------------------------------------------------------
# MMRM
# ----------------------------------------------------------------------------------------------


@dataclass
class MmrmResult:
    effects: pd.DataFrame  # visit_month, estimate, se, df, ci_low, ci_high, p_value, n_stent, n_medical
    covariance: str  # "unstructured" or "compound symmetry (fallback)"
    converged: bool
    method: str  # a key of mmrm.METHODS
    note: str


def _fit_converged(long: pd.DataFrame, reml: bool, structure: str) -> mmrm.MmrmFit | str:
    """The converged fit, or why there is none, in words."""
    try:
        result = mmrm.fit(long, reml=reml, structure=structure)
    except np.linalg.LinAlgError as exc:
        return f"the fit met a singular matrix ({str(exc).splitlines()[0] if str(exc) else 'numpy'})"
    except ValueError as exc:
        return f"the fit failed ({str(exc).splitlines()[0] if str(exc) else 'a value error'})"
    return result if result.converged else "the estimation of the covariance did not converge"


def mmrm_effects(long: pd.DataFrame, method: str = "reml") -> MmrmResult | None:
    """Per-visit stent minus medical differences in change from baseline (unstructured
    covariance; compound symmetry when that cannot be estimated); None if not estimable."""
    by_arm = long.groupby("arm").patient_id.nunique()
    if long.empty or min(by_arm.get("stent", 0), by_arm.get("medical", 0)) < MIN_PER_ARM:
        return None
    reml = method == "reml"
    df_method = "satterthwaite" if reml else "asymptotic"
    fitted = _fit_converged(long, reml, "unstructured")
    if not isinstance(fitted, str):
        table = mmrm.visit_effects(fitted, long, df_method)
        return MmrmResult(table, "unstructured", True, method, f"Unstructured covariance; {mmrm.METHODS[method]}.")
    why = fitted
    fitted = _fit_converged(long, reml, "compound symmetry")
    if isinstance(fitted, str):
        return None
    note = (
        f"The unstructured covariance could not be estimated ({why}); a compound-symmetry covariance was "
        f"fitted instead; {mmrm.METHODS[method]}."
    )
    return MmrmResult(mmrm.visit_effects(fitted, long, df_method), "compound symmetry (fallback)", True, method, note)


def mmrm_failure(
    long: pd.DataFrame, method: str = "reml", shield: Protection = OFF, hidden_arms: tuple[str, ...] = ()
) -> str:
    """Why mmrm_effects found no estimate for these data, in words a reader can act on (counts
    written by `shield`; an arm in `hidden_arms`, whose count among the cohort reads hidden, reads hidden
    too: these patients are part of it, display.part_hidden)."""
    by_arm = long.groupby("arm").patient_id.nunique()
    stent, medical = int(by_arm.get("stent", 0)), int(by_arm.get("medical", 0))

    def masked(stent: int, medical: int) -> list[bool]:
        own = shield.mask([stent, medical])
        return [h or (shield.active and arm in hidden_arms) for arm, h in zip(("stent", "medical"), own, strict=True)]

    if long.empty or min(stent, medical) < MIN_PER_ARM:
        hide = masked(stent, medical)
        return (
            f"each arm needs at least {MIN_PER_ARM} patients with a follow-up visit (stent "
            f"{shield.count(stent, hide[0])}, medical {shield.count(medical, hide[1])})"
        )

    def counts(stent: int, medical: int) -> tuple[str, str, str]:
        hide = masked(stent, medical)
        return shield.count(stent + medical, any(hide)), shield.count(stent, hide[0]), shield.count(medical, hide[1])

    problem = mmrm.design_problem(long, counts=counts)
    if problem is not None:
        return problem
    reasons = [
        f"{structure}: {fitted}"
        for structure in ("unstructured", "compound symmetry")
        if isinstance(fitted := _fit_converged(long, method == "reml", structure), str)
    ]
    return "neither covariance could be estimated (" + "; ".join(reasons) + ")"


def mmrm_by_study(long: pd.DataFrame, method: str = "reml") -> dict[str, MmrmResult | None]:
    """One MMRM per study: studies follow different visit schedules, and a randomized and an
    observational contrast should not be pooled into one model."""
    return {study: mmrm_effects(part, method) for study, part in long.groupby("study_id", sort=True)}


def mmrm_method(method: str) -> str:
    return (
        "MMRM: change ~ visit + treatment x visit + baseline x visit, unstructured covariance of the visits "
        f"within a patient, {mmrm.METHODS[method]}"
    )
