"""Competing risks: when death can come first, the share who reached an endpoint is a cumulative
incidence, not 1 - Kaplan-Meier (which treats the dead as if they could still heal).

Cumulative incidence by Aalen-Johansen (statsmodels CumIncidenceRight, with the Marubini-Valsecchi
delta-method variance, as SAS PROC LIFETEST) and a log(-log) 95% CI; groups compared by Gray's
K-sample test (Gray 1988, rho = 0, as R cmprsk::cuminc).

Inputs are the (group_value, duration_days, status, n) counts of queries/km_counts.sql, where
status is 1 for the endpoint, 2 for death first, 0 for censoring.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import CumIncidenceRight

from pts_explorer.vocab import DAYS_PER_MONTH, DAYS_PER_YEAR

CIF_METHOD = "cumulative incidence by Aalen-Johansen with death as a competing event, log(-log) 95% CI"
GRAY_METHOD = "Gray's K-sample test of cumulative incidence (rho = 0, as R cmprsk::cuminc)"
LANDMARK_YEARS = (1, 2, 5, 10)
Z = stats.norm.ppf(0.975)


def _rows(counts: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    repeat = counts.n.to_numpy(int)
    return np.repeat(counts.duration_days.to_numpy(float), repeat), np.repeat(counts.status.to_numpy(int), repeat)


def _log_log_interval(estimate: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = np.log(estimate)
        half = Z * se / (estimate * np.abs(log_f))
        low, high = np.exp(-np.exp(np.log(-log_f) + half)), np.exp(-np.exp(np.log(-log_f) - half))
    zero = estimate <= 0
    return np.where(zero, 0.0, low), np.where(zero, 0.0, high)


def cumulative_incidence(counts: pd.DataFrame) -> pd.DataFrame:
    """Per group: the cumulative incidence of the endpoint at each time an event (of any cause)
    happened, from 0; columns group, days, month, estimate, se, ci_low, ci_high."""
    frames = []
    for group, part in counts.groupby("group_value", sort=True):
        time, status = _rows(part)
        if (status == 1).any() and (status == 2).any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # variance at a time where all fail
                fit = CumIncidenceRight(time, status)
            days, estimate, se = fit.times, np.asarray(fit.cinc[0]), np.asarray(fit.cinc_se[0])
        else:  # without a competing event the cumulative incidence is 1 - Kaplan-Meier
            days, estimate, se = _one_minus_km(time, status == 1)
        low, high = _log_log_interval(estimate, se)
        frame = pd.DataFrame(
            {"group": str(group), "days": days, "estimate": estimate, "se": se, "ci_low": low, "ci_high": high}
        )
        start = pd.DataFrame(
            {"group": [str(group)], "days": [0.0], "estimate": [0.0], "se": [0.0], "ci_low": [0.0], "ci_high": [0.0]}
        )
        frames.append(pd.concat([start, frame[frame.days > 0]], ignore_index=True))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["group", "days"])
    out["month"] = out.days / DAYS_PER_MONTH
    return out


def _one_minus_km(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1 - Kaplan-Meier with Greenwood's variance, for a group with no competing event (the
    Aalen-Johansen estimate and its variance reduce to these)."""
    days = np.unique(time)
    at_risk = np.array([(time >= t).sum() for t in days], float)
    deaths = np.array([((time == t) & event).sum() for t in days], float)
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1 - deaths / at_risk)
        greenwood = np.cumsum(np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), np.nan))
    return days, 1 - survival, survival * np.sqrt(greenwood)


def landmarks(curves: pd.DataFrame, counts: pd.DataFrame, years: tuple[int, ...] = LANDMARK_YEARS) -> pd.DataFrame:
    """Cumulative incidence and 95% CI at each landmark; NaN where nobody is still at risk."""
    rows = []
    for group, curve in curves.groupby("group", sort=True):
        part = counts[counts.group_value.astype(str) == group]
        for year in years:
            day = year * DAYS_PER_YEAR
            at_risk = int(part.n[part.duration_days >= day].sum())
            upto = curve[curve.days <= day].iloc[-1]
            shown = at_risk > 0
            rows.append(
                {
                    "group": group,
                    "years": year,
                    "at_risk": at_risk,
                    "estimate": upto.estimate if shown else np.nan,
                    "ci_low": upto.ci_low if shown else np.nan,
                    "ci_high": upto.ci_high if shown else np.nan,
                }
            )
    return pd.DataFrame(rows)


def gray_test(counts: pd.DataFrame, cause: int = 1) -> tuple[float, int, float]:
    """Gray's test that the cumulative incidence of `cause` is the same in every group.

    Returns (chi-square, df, p); NaN with fewer than two groups or no event of the cause.
    """
    groups = sorted(counts.group_value.astype(str).unique())
    if len(groups) < 2 or not (counts.status == cause).any():
        return np.nan, 0, np.nan
    score, variance = gray_score(counts, groups, cause)
    chisq = float(score @ np.linalg.solve(variance, score))
    return chisq, len(groups) - 1, float(stats.chi2.sf(chisq, len(groups) - 1))


def gray_score(counts: pd.DataFrame, groups: list[str], cause: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The score (observed minus expected subdistribution events) of every group but the last, and
    its estimated covariance, following Gray (1988) and R cmprsk's crstm."""
    other = 3 - cause if cause in (1, 2) else None
    k = len(groups)
    index = {g: i for i, g in enumerate(groups)}
    data = counts.assign(g=counts.group_value.astype(str).map(index))
    table = data.pivot_table(index="duration_days", columns=["status", "g"], values="n", aggfunc="sum", fill_value=0)
    times = table.index.to_numpy(float)

    def per_group(status: int) -> np.ndarray:
        columns = [(status, j) for j in range(k)]
        return table.reindex(columns=columns, fill_value=0).to_numpy(float)

    d1, d2, d0 = per_group(cause), (per_group(other) if other else np.zeros((times.size, k))), per_group(0)
    leaving = d0 + d1 + d2
    at_risk = leaving[::-1].cumsum(axis=0)[::-1]
    score, v = np.zeros(k - 1), np.zeros((k - 1, k - 1))
    c, v2, v3 = np.zeros((k, k)), np.zeros((k - 1, k)), np.zeros(k)
    skmm, f1m, fm = np.ones(k), np.zeros(k), 0.0
    for row in range(times.size):
        rs, e1, e2 = at_risk[row], d1[row], d2[row]
        n1, n2 = e1.sum(), e2.sum()
        live = rs > 0
        skm, f1 = skmm.copy(), f1m.copy()
        if n1 > 0 or n2 > 0:
            skm[live] = skmm[live] * (rs[live] - e1[live] - e2[live]) / rs[live]
            f1[live] = f1m[live] + skmm[live] * e1[live] / rs[live]
            weight = np.where(live, rs / np.where(live, skmm, 1.0), 0.0)  # R_j / S_j(t-)
            tr = weight.sum()
            tq = (weight * (1 - f1m)).sum()
            f = fm + n1 / tr
            a = -np.outer(weight, weight) / tr
            a[np.diag_indices(k)] = weight * (1 - weight / tr)
            c += a * n1 / (tr * (1 - fm))
            score += (e1 - n1 * weight * (1 - f1m) / tq)[: k - 1]
            if n1 > 0:
                for j in np.flatnonzero(live):
                    t4 = 1 - (1 - f) / skm[j] if skm[j] > 0 else 1.0
                    t5 = 1 - (n1 - 1) / (tr * skmm[j] - 1) if n1 > 1 else 1.0
                    t3 = t5 * skmm[j] * n1 / (tr * rs[j])
                    v3[j] += t4 * t4 * t3
                    t1 = a[: k - 1, j] - t4 * c[: k - 1, j]
                    v2[:, j] += t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            for j in np.flatnonzero(live & (e2 > 0) & (skm > 0)):
                t4 = (1 - f) / skm[j]
                t5 = 1 - (e2[j] - 1) / (rs[j] - 1) if e2[j] > 1 else 1.0
                t3 = t5 * skmm[j] ** 2 * e2[j] / rs[j] ** 2
                v3[j] += t4 * t4 * t3
                t1 = t4 * c[: k - 1, j]
                v2[:, j] -= t1 * t4 * t3
                v += np.outer(t1, t1) * t3
            fm = f
        skmm, f1m = skm, f1
    cc = c[: k - 1]
    v += (cc * v3) @ cc.T + cc @ v2.T + v2 @ cc.T
    return score, v
