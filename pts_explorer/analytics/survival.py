"""Kaplan-Meier, log-rank and Cox (lifelines) for the durability endpoints.

Kaplan-Meier and log-rank work on (group, time, event) counts from queries/km_counts.sql, fitted
as frequency weights, so they are exact for any cohort size; Cox works on patient rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from pts_explorer import vocab
from pts_explorer.analytics.ph_test import ZphResult, cox_zph
from pts_explorer.vocab import DAYS_PER_MONTH, DAYS_PER_YEAR

KM_METHOD = "Kaplan-Meier, log-log (exponential Greenwood) 95% CI"
LOGRANK_METHOD = "log-rank test (lifelines multivariate_logrank_test)"
COX_METHOD = "Cox proportional hazards (lifelines CoxPHFitter, Efron ties), Wald 95% CI"

LANDMARK_YEARS = (1, 2, 5, 10)


def fit_km(counts: pd.DataFrame) -> dict[str, KaplanMeierFitter]:
    """One Kaplan-Meier fit per group from aggregated (duration_days, observed, n) rows."""
    fits = {}
    for group, d in counts.groupby("group_value", sort=True):
        fits[str(group)] = KaplanMeierFitter(label=str(group)).fit(
            d.duration_days, d.observed.astype(bool), weights=d.n
        )
    return fits


def at_risk(counts: pd.DataFrame, days: list[float]) -> pd.DataFrame:
    """Number at risk (time to event or censoring >= t) per group at each time."""
    rows = {}
    for group, d in counts.groupby("group_value", sort=True):
        rows[str(group)] = [int(d.n[d.duration_days >= t].sum()) for t in days]
    return pd.DataFrame(rows, index=days).T


def curves(fits: dict[str, KaplanMeierFitter]) -> pd.DataFrame:
    """Step-curve points: group, month, estimate, ci_low, ci_high."""
    frames = []
    for group, kmf in fits.items():
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        low, high = ci.iloc[:, 0], ci.iloc[:, 1]
        frames.append(
            pd.DataFrame(
                {
                    "group": group,
                    "month": sf.index / DAYS_PER_MONTH,
                    "estimate": sf.values,
                    "ci_low": low.values,
                    "ci_high": high.values,
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def landmarks(
    fits: dict[str, KaplanMeierFitter], counts: pd.DataFrame, years: tuple[int, ...] = LANDMARK_YEARS
) -> pd.DataFrame:
    """Estimate and 95% CI at each landmark; NaN where nobody is still at risk."""
    days = [y * DAYS_PER_YEAR for y in years]
    risk = at_risk(counts, days)
    rows = []
    for group, kmf in fits.items():
        for year, t in zip(years, days, strict=True):
            n = int(risk.loc[group, t])
            if n == 0:
                rows.append(
                    {
                        "group": group,
                        "years": year,
                        "at_risk": 0,
                        "estimate": np.nan,
                        "ci_low": np.nan,
                        "ci_high": np.nan,
                    }
                )
                continue
            s = float(kmf.survival_function_at_times(t).iloc[0])
            ci = kmf.confidence_interval_.loc[:t].iloc[-1]
            low, high = float(ci.iloc[0]), float(ci.iloc[1])
            rows.append({"group": group, "years": year, "at_risk": n, "estimate": s, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def medians(fits: dict[str, KaplanMeierFitter]) -> pd.DataFrame:
    """Median time (months) to the endpoint with its 95% CI; NaN where not reached."""
    rows = []
    for group, kmf in fits.items():
        median = kmf.median_survival_time_
        ci = median_survival_times(kmf.confidence_interval_)
        low, high = (float(v) for v in np.asarray(ci).ravel()[:2])

        def months(v: float) -> float:
            return v / DAYS_PER_MONTH if np.isfinite(v) else np.nan

        rows.append({"group": group, "median_months": months(median), "ci_low": months(low), "ci_high": months(high)})
    return pd.DataFrame(rows)


def logrank(counts: pd.DataFrame) -> float:
    """p-value of the log-rank test across groups; NaN with one group or no events."""
    if counts.group_value.nunique() < 2 or not counts.observed.any():
        return np.nan
    result = multivariate_logrank_test(
        counts.duration_days, counts.group_value, counts.observed.astype(bool), weights=counts.n
    )
    return float(result.p_value)


# The level each grouping is compared against: the control arm, the mildest grade, the youngest
# age group, the first site in anatomical order (vocab order); unknown levels follow, sorted.
_CLINICAL_ORDER = {"arm": ("medical", "stent"), **{k: tuple(v) for k, v in vocab.LEVELS.items() if k != "arm"}}
# R's coxph converges to a relative change of 1e-9 in the log-likelihood; lifelines' default
# stops earlier, which moves the PH test in its sixth decimal.
_FIT_OPTIONS = {"precision": 1e-14, "r_precision": 1e-14, "max_steps": 200}


def clinical_levels(column: str, values: pd.Series) -> list[str]:
    """The levels present, in clinical order; the first one is the reference."""
    present = set(values.dropna().astype(str))
    known = [v for v in _CLINICAL_ORDER.get(column, ()) if v in present]
    return known + sorted(present - set(known))


@dataclass(frozen=True)
class Coefficient:
    """One coefficient of a Cox model: its term (a covariate) and, for a categorical term, the level
    it sets against the term's reference (None for a numeric term)."""

    term: str
    level: str | None = None

    @property
    def column(self) -> str:
        """Its column in the design matrix (and lifelines' summary): `term[level]`, or the term."""
        return self.term if self.level is None else f"{self.term}[{self.level}]"


@dataclass
class CoxDesign:
    x: pd.DataFrame  # one column per coefficient
    coefficients: dict[str, list[Coefficient]]  # the coefficients of each model term
    references: dict[str, str]  # reference level of each categorical term

    @property
    def terms(self) -> dict[str, list[str]]:
        """The columns of each model term."""
        return {term: [c.column for c in coefficients] for term, coefficients in self.coefficients.items()}

    def levels(self) -> dict[str, list[str]]:
        """Each categorical term's levels, the reference first."""
        return {
            term: [self.references[term], *(str(c.level) for c in coefficients)]
            for term, coefficients in self.coefficients.items()
            if term in self.references
        }

    def numeric(self) -> list[str]:
        return [term for term in self.coefficients if term not in self.references]


def cox_design(data: pd.DataFrame, group: str, adjust: list[str]) -> CoxDesign:
    """Treatment-coded design matrix: the group, then the adjustment covariates that vary."""
    columns: dict[str, pd.Series] = {}
    coefficients: dict[str, list[Coefficient]] = {}
    references: dict[str, str] = {}
    for term in [group, *(a for a in adjust if a != group and data[a].nunique() > 1)]:
        if term == "age_years":
            columns[term] = data[term].astype(float)
            coefficients[term] = [Coefficient(term)]
            continue
        levels = clinical_levels(term, data[term])
        references[term] = levels[0]
        coefficients[term] = [Coefficient(term, level) for level in levels[1:]]
        for coefficient in coefficients[term]:
            columns[coefficient.column] = (data[term].astype(str) == coefficient.level).astype(float)
    return CoxDesign(pd.DataFrame(columns, index=data.index), coefficients, references)


@dataclass
class CoxResult:
    hazard_ratios: pd.DataFrame  # level, hr, ci_low, ci_high, p_value, ph_p_value (the group's levels)
    ph_tests: pd.DataFrame  # per term and GLOBAL: chisq, df, p (R's cox.zph, terms = TRUE)
    formula: str
    reference: str
    design: CoxDesign
    zph: ZphResult


def cox(data: pd.DataFrame, group: str, adjust: list[str]) -> CoxResult | None:
    """Hazard ratio of each level of `group` against its clinical reference level, adjusted for
    the covariates in `adjust` that vary, with the exact proportional-hazards test; None if the
    model cannot be estimated (one group, no events, or a degenerate fit)."""
    if data[group].nunique() < 2 or not data.groupby(group)["observed"].any().all():
        return None  # a group without events has no finite hazard ratio: do not wait for the fit to say so
    design = cox_design(data, group, adjust)
    frame = design.x.assign(duration_days=data.duration_days, observed=data.observed.astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cph = CoxPHFitter().fit(frame, "duration_days", "observed", fit_options=_FIT_OPTIONS, batch_mode=True)
        except Exception:  # noqa: BLE001  lifelines raises several types on degenerate data
            return None
    summary = cph.summary.loc[list(design.x.columns)]
    if not np.isfinite(summary["coef"]).all() or (summary["coef"].abs() > 20).any():
        return None  # a group without events: the hazard ratio is not estimable
    beta = summary["coef"].to_numpy()
    time, event = data.duration_days.to_numpy(float), data.observed.to_numpy(int)
    per_coefficient = cox_zph(time, event, design.x, beta)
    per_term = per_coefficient.by_terms(design.terms)
    rows = [
        {
            "level": c.level,
            "hr": summary.loc[c.column, "exp(coef)"],
            "ci_low": summary.loc[c.column, "exp(coef) lower 95%"],
            "ci_high": summary.loc[c.column, "exp(coef) upper 95%"],
            "p_value": summary.loc[c.column, "p"],
            "ph_p_value": per_coefficient.table.loc[c.column, "p"],
        }
        for c in design.coefficients[group]
    ]
    formula = " + ".join(
        f"{term} (vs {design.references[term]})" if term in design.references else term for term in design.coefficients
    )
    return CoxResult(pd.DataFrame(rows), per_term, formula, design.references[group], design, per_coefficient)


def ticks_days(max_days: float, most: int = 10) -> list[float]:
    """Times for the number-at-risk table: every 1, 3, 6 or 12 months, the finest step that gives
    at most `most` ticks, always at least one step beyond 0 (a short follow-up keeps its axis)."""
    for months in (1, 3, 6, 12, 24):
        step = months * DAYS_PER_MONTH
        if (max_days + 1) // step <= most:  # a day short of a tick still shows it
            break
    return [i * step for i in range(max(int((max_days + 1) // step), 1) + 1)]
