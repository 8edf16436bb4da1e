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
    frames = [at_day(curves, counts, year * DAYS_PER_YEAR).assign(years=year) for year in years]
    columns = ["group", "years", "at_risk", "estimate", "ci_low", "ci_high"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    order = {g: i for i, g in enumerate(sorted(out.group.unique()))}
    return out.sort_values(["group", "years"], key=lambda c: c.map(order) if c.name == "group" else c)[
        columns
    ].reset_index(drop=True)


def at_day(curves: pd.DataFrame, counts: pd.DataFrame, day: float) -> pd.DataFrame:
    """Per group: the cumulative incidence and 95% CI at `day` (events on that day included) and
    the patients still at risk then; NaN where nobody is."""
    rows = []
    for group, curve in curves.groupby("group", sort=True):
        part = counts[counts.group_value.astype(str) == group]
        at_risk = int(part.n[part.duration_days >= day].sum())
        upto = curve[curve.days <= day].iloc[-1]
        shown = at_risk > 0
        rows.append(
            {
                "group": group,
                "at_risk": at_risk,
                "estimate": upto.estimate if shown else np.nan,
                "ci_low": upto.ci_low if shown else np.nan,
                "ci_high": upto.ci_high if shown else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=["group", "at_risk", "estimate", "ci_low", "ci_high"])


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
    its estimated covariance, following Gray (1988) and R cmprsk's crstm.

    crstm walks the distinct times in order; its recursions (the groups' survival and cumulative
    incidence, F, and the matrix c) are running sums and products, so every time is computed at
    once from cumulative sums over the times with an event."""
    other = 3 - cause if cause in (1, 2) else None
    k = len(groups)
    index = {g: i for i, g in enumerate(groups)}
    data = counts.assign(g=counts.group_value.astype(str).map(index))
    table = data.pivot_table(index="duration_days", columns=["status", "g"], values="n", aggfunc="sum", fill_value=0)

    def per_group(status: int) -> np.ndarray:
        columns = [(status, j) for j in range(k)]
        return table.reindex(columns=columns, fill_value=0).to_numpy(float)

    d1, d2, d0 = per_group(cause), (per_group(other) if other else np.zeros((len(table), k))), per_group(0)
    at_risk = (d0 + d1 + d2)[::-1].cumsum(axis=0)[::-1]
    events = (d1 + d2).sum(axis=1) > 0  # times without an event change nothing
    rs, e1, e2 = at_risk[events], d1[events], d2[events]
    n1 = e1.sum(axis=1)
    live = rs > 0
    safe_rs = np.where(live, rs, 1.0)

    def before(running: np.ndarray, start: float) -> np.ndarray:  # the value just before each time
        return np.concatenate([np.full((1, *running.shape[1:]), start), running[:-1]])

    skm = np.cumprod(np.where(live, (rs - e1 - e2) / safe_rs, 1.0), axis=0)  # each group's S(t)
    skmm = before(skm, 1.0)
    f1m = before(np.cumsum(np.where(live, skmm * e1 / safe_rs, 0.0), axis=0), 0.0)
    weight = np.where(live, rs / np.where(live, skmm, 1.0), 0.0)  # R_j / S_j(t-)
    tr = weight.sum(axis=1)
    tq = (weight * (1 - f1m)).sum(axis=1)
    f = np.cumsum(n1 / tr)  # the pooled cumulative incidence F(t), and F(t-)
    fm = before(f, 0.0)
    a = -weight[:, :, None] * weight[:, None, :] / tr[:, None, None]
    diagonal = np.arange(k)
    a[:, diagonal, diagonal] = weight * (1 - weight / tr[:, None])
    c = np.cumsum(a * (n1 / (tr * (1 - fm)))[:, None, None], axis=0)
    score = (e1 - n1[:, None] * weight * (1 - f1m) / tq[:, None]).sum(axis=0)[: k - 1]

    with np.errstate(divide="ignore", invalid="ignore"):
        # The cause's events, in every group at risk.
        cause_rows = live & (n1 > 0)[:, None]
        t4 = np.where(skm > 0, 1 - (1 - f[:, None]) / skm, 1.0)
        t5 = np.where((n1 > 1)[:, None], 1 - (n1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
        t3 = np.where(cause_rows, t5 * skmm * n1[:, None] / (tr[:, None] * safe_rs), 0.0)
        t1 = a[:, : k - 1, :] - t4[:, None, :] * c[:, : k - 1, :]
        # The competing events, in the groups where they happen.
        other_rows = live & (e2 > 0) & (skm > 0)
        t4_other = np.where(other_rows, (1 - f[:, None]) / skm, 0.0)
        t5_other = np.where(e2 > 1, 1 - (e2 - 1) / (rs - 1), 1.0)
        t3_other = np.where(other_rows, t5_other * skmm**2 * e2 / safe_rs**2, 0.0)
        t1_other = t4_other[:, None, :] * c[:, : k - 1, :]
    t1, t1_other = np.where(cause_rows[:, None, :], t1, 0.0), np.where(other_rows[:, None, :], t1_other, 0.0)
    t4 = np.where(cause_rows, t4, 0.0)
    v3 = (t4**2 * t3).sum(axis=0) + (t4_other**2 * t3_other).sum(axis=0)
    v2 = np.einsum("tij,tj->ij", t1, t4 * t3) - np.einsum("tij,tj->ij", t1_other, t4_other * t3_other)
    v = np.einsum("tij,tlj,tj->il", t1, t1, t3) + np.einsum("tij,tlj,tj->il", t1_other, t1_other, t3_other)
    cc = c[-1, : k - 1] if len(c) else np.zeros((k - 1, k))
    v += (cc * v3) @ cc.T + cc @ v2.T + v2 @ cc.T
    return score, v
