"""Adjusted treatment effects: ANCOVA at one visit, an MMRM over all visits, and subgroups.

Inputs are the analysis sets of queries/analysis_visit.sql (one row per patient) and
queries/analysis_long.sql (one row per patient and post-baseline visit).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from patsy import dmatrices
from scipy import stats
from statsmodels.stats.anova import anova_lm

from pts_explorer import vocab

ARM_TERM = "C(arm, Treatment('medical'))[T.stent]"
ARM = "C(arm, Treatment('medical'))"
ANCOVA_METHOD = "ANCOVA (OLS) of change from baseline, adjusted for the baseline value; t-based 95% CI"
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
                "estimable": effect is not None,
            }
        )
    return pd.DataFrame(rows)


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

MMRM_FORMULA = "change ~ 0 + C(visit_month) + C(visit_month):C(arm, Treatment('medical')) + C(visit_month):baseline"


@dataclass
class MmrmResult:
    effects: pd.DataFrame  # visit_month, estimate, ci_low, ci_high, p_value, n_stent, n_medical
    covariance: str  # "unstructured" or "compound symmetry (fallback)"
    converged: bool
    iterations: int
    note: str


# (patient rows, observed visits, missing visits) per missingness pattern
Patterns = list[tuple[np.ndarray, np.ndarray, np.ndarray]]


def _arm_columns(names: list[str], months: list[int]) -> dict[int, int]:
    return {m: names.index(f"C(visit_month)[{m}]:{ARM_TERM}") for m in months}


def _pattern_groups(observed: np.ndarray) -> Patterns:
    """(patient rows, observed visits, missing visits) for each missingness pattern."""
    patterns, inverse = np.unique(observed, axis=0, return_inverse=True)
    return [
        (np.flatnonzero(inverse.ravel() == i), np.flatnonzero(pat), np.flatnonzero(~pat))
        for i, pat in enumerate(patterns)
    ]


def _gls(y_wide: np.ndarray, x_wide: np.ndarray, groups: Patterns, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GLS estimate of beta and its covariance, one missingness pattern at a time."""
    p = x_wide.shape[2]
    xtx, xty = np.zeros((p, p)), np.zeros(p)
    for rows, o, _ in groups:
        inv = np.linalg.inv(sigma[np.ix_(o, o)])
        xo, yo = x_wide[np.ix_(rows, o)], y_wide[np.ix_(rows, o)]
        weighted = np.einsum("ij,njq->niq", inv, xo)
        xtx += np.tensordot(xo, weighted, axes=([0, 1], [0, 1]))
        xty += np.tensordot(weighted, yo, axes=([0, 1], [0, 1]))
    cov = np.linalg.inv(xtx)
    return cov @ xty, cov


def _expected_cross_products(resid: np.ndarray, groups: Patterns, sigma: np.ndarray, n_patients: int) -> np.ndarray:
    """E-step: expected residual cross-products, filling missing visits from the observed ones."""
    k = sigma.shape[0]
    total = np.zeros((k, k))
    for rows, o, m in groups:
        r = resid[np.ix_(rows, o)]
        block = np.zeros((rows.size, k))
        block[:, o] = r
        if m.size:
            gain = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)])
            block[:, m] = r @ gain
            total[np.ix_(m, m)] += rows.size * (sigma[np.ix_(m, m)] - sigma[np.ix_(m, o)] @ gain)
        total += block.T @ block
    return total / n_patients


def _wide(long: pd.DataFrame, formula: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], list[int]]:
    y, x = dmatrices(formula, long, return_type="dataframe")
    months = sorted(long.visit_month.unique())
    pid, p_index = np.unique(long.patient_id.to_numpy(), return_inverse=True)
    v_index = np.searchsorted(months, long.visit_month.to_numpy())
    n, k = pid.size, len(months)
    y_wide, x_wide = np.zeros((n, k)), np.zeros((n, k, x.shape[1]))
    y_wide[p_index, v_index] = y.to_numpy()[:, 0]
    x_wide[p_index, v_index] = x.to_numpy()
    observed = np.zeros((n, k), dtype=bool)
    observed[p_index, v_index] = True
    return y_wide, x_wide, observed, list(x.columns), months


def mmrm_unstructured(
    long: pd.DataFrame, max_iter: int = 300, tol: float = 1e-6
) -> tuple[np.ndarray, np.ndarray, list[str], list[int], np.ndarray, bool, int]:
    """ML fit of the MMRM with an unstructured covariance by ECM (GLS step for beta, EM step for
    the covariance). Returns (beta, cov_beta, names, months, sigma, converged, iterations)."""
    y_wide, x_wide, observed, names, months = _wide(long, MMRM_FORMULA)
    groups = _pattern_groups(observed)
    sigma = np.diag(np.nanvar(np.where(observed, y_wide, np.nan), axis=0) + 1e-6)
    beta_old = None
    for iteration in range(1, max_iter + 1):
        beta, cov = _gls(y_wide, x_wide, groups, sigma)
        resid = np.where(observed, y_wide - np.einsum("nkp,p->nk", x_wide, beta), 0.0)
        sigma = _expected_cross_products(resid, groups, sigma, observed.shape[0])
        if np.linalg.eigvalsh(sigma).min() <= 1e-10:
            return beta, cov, names, months, sigma, False, iteration
        if beta_old is not None and np.max(np.abs(beta - beta_old)) < tol:
            beta, cov = _gls(y_wide, x_wide, groups, sigma)
            return beta, cov, names, months, sigma, True, iteration
        beta_old = beta
    return beta, cov, names, months, sigma, False, max_iter


def _effects_table(
    beta: np.ndarray, cov: np.ndarray, names: list[str], months: list[int], long: pd.DataFrame
) -> pd.DataFrame:
    z = stats.norm.ppf(0.975)
    rows = []
    for month, j in _arm_columns(names, months).items():
        se = float(np.sqrt(cov[j, j]))
        arms = long[long.visit_month == month].arm.value_counts()
        rows.append(
            {
                "visit_month": month,
                "estimate": float(beta[j]),
                "ci_low": beta[j] - z * se,
                "ci_high": beta[j] + z * se,
                "p_value": float(2 * stats.norm.sf(abs(beta[j] / se))),
                "n_stent": int(arms.get("stent", 0)),
                "n_medical": int(arms.get("medical", 0)),
            }
        )
    return pd.DataFrame(rows)


def _compound_symmetry(long: pd.DataFrame) -> MmrmResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = smf.mixedlm(MMRM_FORMULA, long, groups="patient_id").fit(reml=True)
    fe = fit.fe_params
    names = list(fe.index)
    months = sorted(long.visit_month.unique())
    cov = fit.cov_params().loc[names, names].to_numpy()
    table = _effects_table(fe.to_numpy(), cov, names, months, long)
    return MmrmResult(
        table,
        "compound symmetry (fallback)",
        bool(fit.converged),
        0,
        "The unstructured covariance did not converge; a random-intercept model "
        "(compound symmetry, REML, statsmodels MixedLM) was fitted instead.",
    )


def mmrm(long: pd.DataFrame) -> MmrmResult | None:
    """Per-visit stent minus medical differences in change from baseline; None if not estimable."""
    by_arm = long.groupby("arm").patient_id.nunique()
    if long.empty or min(by_arm.get("stent", 0), by_arm.get("medical", 0)) < MIN_PER_ARM:
        return None
    try:
        beta, cov, names, months, _, converged, iterations = mmrm_unstructured(long)
    except np.linalg.LinAlgError:
        converged, iterations = False, 0
    if converged:
        return MmrmResult(
            _effects_table(beta, cov, names, months, long),
            "unstructured",
            True,
            iterations,
            f"Unstructured covariance converged in {iterations} ECM iterations.",
        )
    try:
        return _compound_symmetry(long)
    except (np.linalg.LinAlgError, ValueError):
        return None


def mmrm_by_study(long: pd.DataFrame) -> dict[str, MmrmResult | None]:
    """One MMRM per study: studies follow different visit schedules, and a randomized and an
    observational contrast should not be pooled into one model."""
    return {study: mmrm(part) for study, part in long.groupby("study_id", sort=True)}


MMRM_METHOD = (
    "MMRM: change ~ visit + treatment×visit + baseline×visit, maximum likelihood with an unstructured "
    "covariance across visits (ECM: GLS for the fixed effects, EM for the covariance); Wald 95% CI "
    "(normal, no small-sample df correction)"
)
