"""Who benefits: the stent's effect compared between cohorts, and along a continuous modifier.

- Between cohorts (disjoint groups of patients): the effect in each cohort (ANCOVA of change from
  baseline adjusted for the baseline value, and for study when studies are pooled: the Effects
  page's model, fitted in each cohort alone), and the difference in effect between each cohort and
  the reference cohort from ONE model holding those ANCOVAs (cohort x arm, cohort x baseline,
  cohort x study), so a difference is exactly the difference of the effects shown, with a t-based
  95% CI from the pooled residual variance; the F-test of all the cohort x arm terms together is
  the interaction test.
- Along a continuous modifier (stenosis %, lesion length, baseline score, age, months since DVT):
  the stent - medical difference as a natural cubic spline of the modifier interacted with arm
  (R's `ns(x, knots = <tertiles>, Boundary.knots = range(x))`), evaluated on a grid with pointwise
  t-based 95% CIs; the F-test of the arm x spline terms says whether the effect changes along it.
- Time to event: the hazard ratio (stent vs medical) in each cohort, and the ratio of hazard ratios
  between each cohort and the reference from one Cox model with a cohort x arm term (Efron ties),
  with its Wald 95% CI; the joint Wald test of the interaction terms. Pooled studies enter the
  ANCOVA models as a covariate (study indicators) and the Cox models as strata (a baseline hazard
  per study).

Each design matrix is built here column by column (no names decoded from formula strings), so a
cohort may be named anything. The numbers are checked against R (tests/reference/heterogeneity.R).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import patsy
import statsmodels.api as sm
from lifelines import CoxPHFitter
from scipy import stats

from pts_explorer.analytics import effects, mmrm
from pts_explorer.privacy import OFF, Protection

DIFFERENCE_METHOD = (
    "Difference in effect: the groups' ANCOVAs in one model (change from baseline on arm, the baseline value and, "
    "where a group pools studies, study, all within each group), so each difference is that of the groups' "
    "effects; its t-based 95% CI from the pooled residual variance; interaction F-test of the group × arm terms"
)
CURVE_METHOD = (
    "Effect along {modifier}: ANCOVA with arm × natural cubic spline of {modifier} (knots at {knots_from}, "
    "boundary knots at its range), adjusted for the baseline value; pointwise t-based 95% CI; F-test of the "
    "arm × spline terms"
)
HR_RATIO_METHOD = (
    "Ratio of hazard ratios: one Cox model with a cohort × arm term, stratified by study when studies are pooled "
    "(lifelines CoxPHFitter, Efron ties); Wald 95% CI; joint Wald test of the interaction"
)
MIN_PER_ARM = effects.MIN_PER_ARM
_EFFECT_COLUMNS = ["n_stent", "n_medical", "estimate", "ci_low", "ci_high", "p_value"]
CURVE_POINTS = 50
MIN_CURVE_PER_ARM = 10  # patients per arm for the 8-parameter spline model (with 4+ distinct values in each arm)
_FIT_OPTIONS = {"precision": 1e-14, "r_precision": 1e-14, "max_steps": 200}


@dataclass(frozen=True)
class Difference:
    """Effect (or log hazard ratio) in `level` minus that in `reference`, from the interaction model."""

    level: str
    reference: str
    estimate: float  # points of change (ANCOVA) or a ratio of hazard ratios (Cox)
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class BetweenCohorts:
    effects: pd.DataFrame  # per cohort: level, n_stent, n_medical, estimate, ci_low, ci_high, p_value
    # (Cox: hazard ratios, and events_stent, events_medical)
    differences: list[Difference]  # each cohort after the first against the first
    interaction_p: float  # all cohort x arm terms at once (F-test; Wald chi-square for Cox)
    interaction_df: int
    residual_df: float  # the t and F tests' denominator degrees of freedom (nan for Cox)
    adjusted_for_study: bool


@dataclass(frozen=True)
class Curve:
    modifier: str
    knots: tuple[float, ...]  # interior knots (the tertiles, or those of the values inside the range)
    boundary: tuple[float, float]
    points: pd.DataFrame  # x, estimate, ci_low, ci_high
    interaction_p: float
    interaction_df: int
    residual_df: float
    n_stent: int
    n_medical: int
    knots_from: str = "its tertiles"  # where the interior knots come from, in words


def holm(p_values: pd.Series | list[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (R's p.adjust(p, "holm")). statsmodels' multipletests gives
    the same numbers (tests/unit/test_heterogeneity.py) but runs a full garbage collection on every
    Holm call, 0.1-0.4 s in a server process: too slow for a page that reruns on every click."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def usable_levels(data: pd.DataFrame, factor: str, levels: list[str]) -> list[str]:
    """The levels with at least MIN_PER_ARM patients in each arm (the others cannot be compared)."""
    return [level for level in levels if effects.estimable(data[data[factor] == level])]


def _study_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Indicator columns of every study after the first (alphabetical), when studies are pooled."""
    studies = sorted(data.study_id.unique())
    return pd.DataFrame({f"study {s}": (data.study_id == s).astype(float) for s in studies[1:]}, index=data.index)


def _cohort_design(data: pd.DataFrame, factor: str, levels: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """arm, cohort indicators (against levels[0]) and their products with arm: the interaction columns."""
    stent = (data.arm == "stent").astype(float)
    columns = {"stent": stent}
    interactions = []
    for number, level in enumerate(levels[1:], start=1):
        member = (data[factor] == level).astype(float)
        columns[f"cohort {number}"] = member
        columns[f"stent x cohort {number}"] = stent * member
        interactions.append(f"stent x cohort {number}")
    return pd.DataFrame(columns, index=data.index), interactions


def _wald_rows(fit: sm.regression.linear_model.RegressionResultsWrapper, names: list[str]) -> np.ndarray:
    return np.array([[1.0 if column == name else 0.0 for column in fit.params.index] for name in names])


def _within_cohorts(rows: pd.DataFrame, factor: str, levels: list[str]) -> pd.DataFrame:
    """The baseline value, and study indicators where a cohort pools studies, each within its own
    cohort: the model is the per-cohort ANCOVAs in one, so its differences are those of their effects."""
    columns = {}
    for number, level in enumerate(levels):
        member = rows[factor] == level
        if rows.baseline[member].nunique() > 1:  # one baseline for all (13 patients at C3): nothing to adjust for,
            # the group's ANCOVA is its difference in mean change, as its own fit gives it
            columns[f"baseline in cohort {number}"] = rows.baseline.astype(float).where(member, 0.0)
        for study in sorted(rows.study_id[member].unique())[1:]:
            columns[f"study {study} in cohort {number}"] = ((rows.study_id == study) & member).astype(float)
    return pd.DataFrame(columns, index=rows.index)


def between_cohorts(
    data: pd.DataFrame, factor: str, levels: list[str], reference: str | None = None, per_cohort: bool = True
) -> BetweenCohorts | None:
    """The effect in each of `levels` of `factor` (disjoint cohorts, one column of the analysis set)
    and the difference in effect of each against `reference` (levels[0] when not given or not
    estimable); None if fewer than two levels have MIN_PER_ARM patients in each arm (those without
    are left out of the model)."""
    kept = usable_levels(data, factor, levels)
    if len(kept) < 2:
        return None
    if reference in kept:
        kept = [reference, *(level for level in kept if level != reference)]
    rows = data[data[factor].isin(kept)]
    study = rows.study_id.nunique() > 1
    design, interactions = _cohort_design(rows, factor, kept)
    x = pd.concat([design, _within_cohorts(rows, factor, kept)], axis=1)
    exog = sm.add_constant(x, has_constant="add")
    if len(exog) <= exog.shape[1] or np.linalg.matrix_rank(exog.to_numpy(float)) < exog.shape[1]:
        return None  # e.g. a baseline constant within a group: no unique model, never numbers from one
    fit = sm.OLS(rows.change.astype(float), exog).fit()
    ci = fit.conf_int()
    differences = [
        Difference(
            level,
            kept[0],
            float(fit.params[name]),
            float(ci.loc[name, 0]),
            float(ci.loc[name, 1]),
            float(fit.pvalues[name]),
        )
        for level, name in zip(kept[1:], interactions, strict=True)
    ]
    joint = fit.f_test(_wald_rows(fit, interactions))
    return BetweenCohorts(
        effects.subgroup_effects(data, factor, kept)[["level", *_EFFECT_COLUMNS]]
        if per_cohort  # the effect in each cohort: its own ANCOVA (not needed for the differences alone)
        else pd.DataFrame(columns=["level", *_EFFECT_COLUMNS]),
        differences,
        float(joint.pvalue),
        len(interactions),
        float(fit.df_resid),
        study,
    )


def tertile_knots(values: pd.Series) -> tuple[tuple[float, ...], tuple[float, float]]:
    """R's `ns(x, df = 3)` knots: the 1/3 and 2/3 quantiles (R's type 7) inside the range."""
    x = values.astype(float).to_numpy()
    return tuple(float(q) for q in np.quantile(x, [1 / 3, 2 / 3])), (float(x.min()), float(x.max()))


def curve_knots(values: pd.Series) -> tuple[tuple[float, ...], tuple[float, float], str] | str:
    """The spline's interior knots, its boundary knots and where the knots come from; or why none
    can be placed. The tertiles of the values; where they coincide with each other or with an end
    of the range (many patients at 100% stenosis), the tertiles of the values strictly inside it."""
    knots, boundary = tertile_knots(values)
    if len(set(knots) | set(boundary)) == 4:
        return knots, boundary, "its tertiles"
    inside = values[(values > boundary[0]) & (values < boundary[1])]
    if inside.nunique() >= 2:
        knots = tertile_knots(inside)[0]
        if len(set(knots) | set(boundary)) == 4:
            return knots, boundary, "the tertiles of its values inside its range (the tertiles of all fall on an end)"
    return "its values are too concentrated for two interior knots apart from each other and from the range's ends"


def effect_curve(data: pd.DataFrame, modifier: str, points: int = CURVE_POINTS) -> Curve | str:
    """The stent - medical difference along `modifier`; or, in words, why it cannot be drawn: an
    arm with fewer than MIN_CURVE_PER_ARM patients or fewer than 4 distinct values (a spline with 2
    interior knots needs them), knots that cannot be placed apart, or a model not of full rank."""
    rows = data.dropna(subset=[modifier, "baseline", "change"])
    n_stent, n_medical = effects.arm_counts(rows)
    if min(n_stent, n_medical) < MIN_CURVE_PER_ARM:
        return f"it needs {MIN_CURVE_PER_ARM} or more patients in each arm ({n_stent} stent, {n_medical} medical here)"
    distinct = {arm: int(rows[modifier][rows.arm == arm].nunique()) for arm in ("stent", "medical")}
    if min(distinct.values()) < 4:  # an arm's values too few to draw its spline: arm x spline not estimable
        return (
            f"it needs 4 or more distinct values in each arm ({distinct['stent']} stent, {distinct['medical']} medical)"
        )
    placed = curve_knots(rows[modifier].astype(float))
    if isinstance(placed, str):
        return placed
    knots, boundary, knots_from = placed
    design = spline_design(rows[modifier], knots, boundary)
    spline = pd.DataFrame(np.asarray(_basis(design, rows[modifier])), index=rows.index)
    basis = [f"s{j}" for j in range(spline.shape[1])]
    spline.columns = basis
    stent = (rows.arm == "stent").astype(float)
    products = spline.mul(stent, axis=0).add_prefix("stent x ")
    study = rows.study_id.nunique() > 1
    covariates = [rows[["baseline"]].astype(float)] if modifier != "baseline" else []
    x = pd.concat(
        [stent.rename("stent"), spline, products, *covariates, *([_study_columns(rows)] if study else [])], axis=1
    )
    exog = sm.add_constant(x, has_constant="add")
    if len(exog) <= exog.shape[1] or np.linalg.matrix_rank(exog.to_numpy(float)) < exog.shape[1]:
        return "the model has no unique solution for these patients (its columns are not independent)"
    fit = sm.OLS(rows.change.astype(float), exog).fit()
    grid = np.linspace(boundary[0], boundary[1], points)
    at = _basis(design, pd.Series(grid))
    contrast = np.zeros((points, len(fit.params)))
    position = {name: i for i, name in enumerate(fit.params.index)}
    contrast[:, position["stent"]] = 1.0
    for j, name in enumerate(basis):
        contrast[:, position[f"stent x {name}"]] = at[:, j]
    estimate = contrast @ fit.params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", contrast, fit.cov_params().to_numpy(), contrast))
    t = stats.t.ppf(0.975, fit.df_resid)
    joint = fit.f_test(_wald_rows(fit, list(products.columns)))
    return Curve(
        modifier,
        knots,
        boundary,
        pd.DataFrame({"x": grid, "estimate": estimate, "ci_low": estimate - t * se, "ci_high": estimate + t * se}),
        float(joint.pvalue),
        len(basis),
        float(fit.df_resid),
        n_stent,
        n_medical,
        knots_from,
    )


def spline_design(values: pd.Series, knots: tuple[float, ...], boundary: tuple[float, float]) -> patsy.DesignInfo:
    """A natural cubic spline basis (patsy's `cr`, centred on `values` so the model's intercept stays
    identifiable; it spans what R's `ns` spans with the same knots, plus the constant)."""
    formula = (
        f"cr(x, knots={tuple(knots)!r}, lower_bound={boundary[0]!r}, upper_bound={boundary[1]!r}, "
        "constraints='center') - 1"
    )
    return patsy.dmatrix(formula, {"x": values.astype(float).to_numpy()}).design_info


def _basis(design: patsy.DesignInfo, values: pd.Series) -> np.ndarray:
    return np.asarray(patsy.build_design_matrices([design], {"x": values.astype(float).to_numpy()})[0])


def _cox(frame: pd.DataFrame) -> CoxPHFitter | None:
    strata = ["study"] if "study" in frame else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return CoxPHFitter(strata=strata).fit(
                frame, "duration_days", "observed", fit_options=_FIT_OPTIONS, batch_mode=True
            )
        except Exception:  # noqa: BLE001  lifelines raises several types on degenerate data
            return None


def _survival_frame(rows: pd.DataFrame, design: pd.DataFrame, study: bool) -> pd.DataFrame:
    """The Cox model's columns: the design, time and event, and the study (a stratum) when pooled."""
    frame = design.assign(duration_days=rows.duration_days, observed=rows.observed.astype(int))
    return frame.assign(study=rows.study_id.astype(str)) if study else frame


def _events_in_both_arms(data: pd.DataFrame) -> bool:
    return bool(data.groupby("arm")["observed"].any().reindex(["stent", "medical"], fill_value=False).all())


def hazard_ratios_between(data: pd.DataFrame, factor: str, levels: list[str]) -> BetweenCohorts | str:
    """Hazard ratio stent vs medical in each cohort (Cox with arm, stratified by study when pooled,
    in that cohort), and the ratio of hazard ratios of each cohort against levels[0] from one Cox
    model with cohort, arm and cohort x arm; cohorts without an event in each arm are left out
    (no finite hazard ratio)."""
    kept = [level for level in levels if _events_in_both_arms(data[data[factor] == level])]
    if len(kept) < 2:
        return "it needs two or more groups, each with an event in each arm"
    rows = data[data[factor].isin(kept)]
    study = rows.study_id.nunique() > 1
    design, interactions = _cohort_design(rows, factor, kept)
    if study:  # a cohort that is one study's patients (a split by study) is the stratum itself: its column goes
        within = design.groupby(rows.study_id)
        design = design.drop(columns=[c for c in design if c not in interactions and (within[c].nunique() <= 1).all()])
    cph = _cox(_survival_frame(rows, design, study))
    if cph is None or not np.isfinite(cph.params_).all() or (cph.params_.abs() > 20).any():
        events = rows.groupby(["study_id", factor])["observed"].sum()
        silent = [f"{level} in {study_id}" for (study_id, level), n in events.items() if n == 0]
        return (
            "the Cox model with a group × arm term has no finite estimate: it compares the groups within each study, "
            + (f"and these have no event there: {', '.join(silent)}" if silent and study else "and it did not converge")
        )
    summary = cph.summary
    differences = [
        Difference(
            level,
            kept[0],
            float(summary.loc[name, "exp(coef)"]),
            float(summary.loc[name, "exp(coef) lower 95%"]),
            float(summary.loc[name, "exp(coef) upper 95%"]),
            float(summary.loc[name, "p"]),
        )
        for level, name in zip(kept[1:], interactions, strict=True)
    ]
    beta = cph.params_[interactions].to_numpy()
    covariance = cph.variance_matrix_.loc[interactions, interactions].to_numpy()
    chisq = float(beta @ np.linalg.solve(covariance, beta))
    per_cohort = []
    for level in kept:
        sub = rows[rows[factor] == level]
        arm = pd.DataFrame({"stent": (sub.arm == "stent").astype(float)}, index=sub.index)
        fit = _cox(_survival_frame(sub, arm, study and sub.study_id.nunique() > 1))
        line = fit.summary.loc["stent"] if fit is not None else None
        per_cohort.append(
            {
                "level": level,
                "n_stent": int((sub.arm == "stent").sum()),
                "n_medical": int((sub.arm == "medical").sum()),
                "events_stent": int(sub.observed[sub.arm == "stent"].sum()),
                "events_medical": int(sub.observed[sub.arm == "medical"].sum()),
                "estimate": float(line["exp(coef)"]) if line is not None else np.nan,
                "ci_low": float(line["exp(coef) lower 95%"]) if line is not None else np.nan,
                "ci_high": float(line["exp(coef) upper 95%"]) if line is not None else np.nan,
                "p_value": float(line["p"]) if line is not None else np.nan,
            }
        )
    return BetweenCohorts(
        pd.DataFrame(per_cohort),
        differences,
        float(stats.chi2.sf(chisq, len(interactions))),
        len(interactions),
        np.nan,
        study,
    )


MMRM_DIFFERENCE_METHOD = (
    "MMRM per group (and per study when studies are pooled), as on Effects; difference in effect between two "
    "groups, which share no patient, as the difference of their independent estimates: SE the root of the sum of "
    "the squared SEs, degrees of freedom by the Welch-Satterthwaite formula from each estimate's own (normal "
    "quantiles for ML's Wald z)"
)


@dataclass(frozen=True)
class MmrmGroups:
    """The MMRM's effect at one visit in each group, and each group's difference from a reference."""

    effects: pd.DataFrame  # level, study_id, n_stent, n_medical, estimate, se, df, ci_low, ci_high, p_value
    differences: pd.DataFrame  # level, reference, study_id, estimate, se, df, ci_low, ci_high, p_value
    failed: list[tuple[str, str]]  # (level, study_id) whose model could not be fitted


def independent_difference(first: pd.Series, second: pd.Series) -> dict[str, float]:
    """first - second for two estimates from disjoint patients (independent): SE from the sum of
    variances; Welch-Satterthwaite degrees of freedom from each estimate's SE and df (infinite when
    both are Wald z)."""
    v1, v2 = float(first.se) ** 2, float(second.se) ** 2
    shares = sum(v**2 / df for v, df in ((v1, float(first.df)), (v2, float(second.df))) if np.isfinite(df))
    df = (v1 + v2) ** 2 / shares if shares > 0 else np.inf
    return mmrm.wald(float(first.estimate) - float(second.estimate), float(np.sqrt(v1 + v2)), df)


def mmrm_between(
    long: pd.DataFrame, factor: str, levels: list[str], reference: str, visit_month: int, method: str = "reml"
) -> MmrmGroups:
    """The Effects page's MMRM (one per study) fitted in each group of `factor` alone, its stent -
    medical difference at `visit_month`, and each group's difference from `reference` within the
    same study (disjoint groups: independent estimates)."""
    rows, failed = [], []
    for level in levels:
        for study, part in long[long[factor] == level].groupby("study_id", sort=True):
            result = effects.mmrm_effects(part, method)
            at = result.effects[result.effects.visit_month == visit_month] if result is not None else None
            if at is None or at.empty:
                failed.append((level, str(study)))
                continue
            row = at.iloc[0]
            rows.append(
                {
                    "level": level,
                    "study_id": str(study),
                    **{key: float(row[key]) for key in ("estimate", "se", "df", "ci_low", "ci_high", "p_value")},
                    "n_stent": int(row.n_stent),
                    "n_medical": int(row.n_medical),
                }
            )
    found = pd.DataFrame(
        rows,
        columns=["level", "study_id", "estimate", "se", "df", "ci_low", "ci_high", "p_value", "n_stent", "n_medical"],
    )
    differences = []
    for study, part in found.groupby("study_id", sort=True):
        by_level = part.set_index("level")
        if reference not in by_level.index:
            continue
        for level in levels:
            if level != reference and level in by_level.index:
                differences.append(
                    {
                        "level": level,
                        "reference": reference,
                        "study_id": study,
                        **independent_difference(by_level.loc[level], by_level.loc[reference]),
                    }
                )
    return MmrmGroups(
        found,
        pd.DataFrame(
            differences,
            columns=["level", "reference", "study_id", "estimate", "se", "df", "ci_low", "ci_high", "p_value"],
        ),
        failed,
    )


def mmrm_failures(
    long: pd.DataFrame, factor: str, failed: list[tuple[str, str]], method: str = "reml", k: int = 0
) -> list[tuple[str, str, str]]:
    """Why the MMRM of each (group, study) mmrm_between could not fit, in words (effects.mmrm_failure;
    counts below k hidden, k = 0 when small cells are not protected)."""
    shield = Protection(k) if k else OFF
    return [
        (level, study, effects.mmrm_failure(long[(long[factor] == level) & (long.study_id == study)], method, shield))
        for level, study in failed
    ]


def differences_by(parts: Mapping[Any, pd.DataFrame], factor: str, levels: list[str], reference: str) -> pd.DataFrame:
    """The difference in effect of each level against `reference` (between_cohorts) in each part of
    the data (a visit's rows, an outcome's rows): key, level, estimate, ci_low, ci_high, p_value; a
    part where the difference cannot be estimated has no row."""
    rows = []
    for key, part in parts.items():
        result = between_cohorts(part, factor, levels, reference, per_cohort=False) if not part.empty else None
        if result is None or result.differences[0].reference != reference:
            continue
        for d in result.differences:
            rows.append(
                {
                    "key": key,
                    "level": d.level,
                    "estimate": d.estimate,
                    "ci_low": d.ci_low,
                    "ci_high": d.ci_high,
                    "p_value": d.p_value,
                }
            )
    return pd.DataFrame(rows, columns=["key", "level", "estimate", "ci_low", "ci_high", "p_value"])
