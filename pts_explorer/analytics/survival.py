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
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times

from pts_explorer.vocab import DAYS_PER_MONTH, DAYS_PER_YEAR

KM_METHOD = "Kaplan-Meier, log-log (exponential Greenwood) 95% CI"
LOGRANK_METHOD = "log-rank test (lifelines multivariate_logrank_test)"
COX_METHOD = "Cox proportional hazards (lifelines CoxPHFitter, Efron ties), Wald 95% CI"
PH_METHOD = "proportional-hazards check: Grambsch-Therneau test on rank-transformed time"

INCIDENCE_ENDPOINTS = {"ulcer_healing"}  # plotted as the share who reached it, not who stayed free
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


def curves(fits: dict[str, KaplanMeierFitter], incidence: bool) -> pd.DataFrame:
    """Step-curve points: group, month, estimate, ci_low, ci_high (1 - S for incidence endpoints)."""
    frames = []
    for group, kmf in fits.items():
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        low, high = ci.iloc[:, 0], ci.iloc[:, 1]
        if incidence:
            sf, low, high = 1 - sf, 1 - high, 1 - low
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
    fits: dict[str, KaplanMeierFitter], counts: pd.DataFrame, incidence: bool, years: tuple[int, ...] = LANDMARK_YEARS
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
            if incidence:
                s, low, high = 1 - s, 1 - high, 1 - low
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


@dataclass
class CoxResult:
    hazard_ratios: pd.DataFrame  # term, level, hr, ci_low, ci_high, p_value, ph_p_value
    formula: str
    reference: str


def _term(column: str) -> str:
    return f"C({column})" if column != "age_years" else column


def cox(data: pd.DataFrame, group: str, adjust: list[str]) -> CoxResult | None:
    """Hazard ratios of each group level against the first (alphabetical) level; None if the
    model cannot be estimated (one group, or no events)."""
    if data[group].nunique() < 2 or not data.observed.any():
        return None
    adjust = [a for a in adjust if a != group and data[a].nunique() > 1]
    formula = " + ".join([_term(group), *(_term(a) for a in adjust)])
    frame = data[["duration_days", "observed", group, *adjust]].assign(observed=data.observed.astype(int))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cph = CoxPHFitter().fit(frame, "duration_days", "observed", formula=formula)
            ph = proportional_hazard_test(cph, frame, time_transform="rank").summary["p"]
        except Exception:  # noqa: BLE001  lifelines raises several types on degenerate data
            return None
    summary = cph.summary
    prefix = f"C({group})[T."
    rows = []
    for term in summary.index:
        if not term.startswith(prefix):
            continue
        rows.append(
            {
                "level": term[len(prefix) : -1],
                "hr": summary.loc[term, "exp(coef)"],
                "ci_low": summary.loc[term, "exp(coef) lower 95%"],
                "ci_high": summary.loc[term, "exp(coef) upper 95%"],
                "p_value": summary.loc[term, "p"],
                "ph_p_value": float(ph.get(term, np.nan)),
            }
        )
    reference = sorted(data[group].unique())[0]
    return CoxResult(pd.DataFrame(rows), formula, str(reference))


def ticks_days(max_days: float) -> list[float]:
    """Times for the number-at-risk table: every 6 months up to 3 years, else every year."""
    step = 6 * DAYS_PER_MONTH if max_days <= 3 * DAYS_PER_YEAR else DAYS_PER_YEAR
    return [i * step for i in range(int(max_days // step) + 1)]
