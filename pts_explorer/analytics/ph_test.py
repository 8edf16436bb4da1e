"""The proportional-hazards test of Grambsch & Therneau as R's survival >= 3.0 computes it.

`cox.zph` is a score test for adding time-varying coefficients beta_j * g(t) to a fitted Cox
model: the score U and the information I of the extended model are evaluated at (beta-hat, 0),
and a term's statistic is U' I^-1 U over the model coefficients plus that term's g(t) columns.
Ties follow the model's method (Efron or Breslow); g(t) is by default 1 - S(t-) from the
Kaplan-Meier estimate of all the data ("km"), centred on its mean over the events.

The scaled Schoenfeld residuals (for the diagnostic plot) are also returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.nonparametric.smoothers_lowess import lowess

PH_METHOD = (
    "proportional-hazards score test of Grambsch & Therneau, exact as in R survival >= 3.0 cox.zph "
    "(Kaplan-Meier time transform)"
)
TRANSFORMS = ("km", "rank", "identity")


@dataclass
class ZphResult:
    table: pd.DataFrame  # index: terms and "GLOBAL"; columns chisq, df, p
    time: np.ndarray  # event times, in time order
    transformed: np.ndarray  # g(t) at those times, before centring
    scaled_residuals: pd.DataFrame  # one row per event, one column per coefficient: beta(t) estimates


def _km_left_continuous(time: np.ndarray, event: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """1 - S(t-) at each observation's time, S the Kaplan-Meier estimate of all the data."""
    order = np.argsort(time, kind="stable")
    t_sorted, d_sorted, w_sorted = time[order], event[order] * weights[order], weights[order]
    unique, first = np.unique(t_sorted, return_index=True)
    deaths = np.add.reduceat(d_sorted, first)
    at_risk = w_sorted[::-1].cumsum()[::-1][first]
    survival = np.cumprod(1 - deaths / at_risk)
    before = np.searchsorted(unique, time, side="left") - 1  # last distinct time strictly before t
    s_minus = np.where(before >= 0, survival[np.clip(before, 0, None)], 1.0)
    return 1.0 - s_minus


def _time_transform(time: np.ndarray, event: np.ndarray, weights: np.ndarray, transform: str) -> np.ndarray:
    if transform == "km":
        return _km_left_continuous(time, event, weights)
    if transform == "rank":
        return stats.rankdata(time)  # average ranks of all observations, as R's rank()
    if transform == "identity":
        return time.astype(float)
    raise ValueError(f"unknown time transform {transform!r}; one of {TRANSFORMS}")


def _score_and_information(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, eta: np.ndarray, weights: np.ndarray, g: np.ndarray, efron: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """U (2p), I (2p x 2p) of the model extended with g(t)*x at (beta, 0), and the Schoenfeld
    residuals (events in time order x p), accumulating risk sets backwards in time."""
    n, p = x.shape
    x = x - x.mean(axis=0)  # centring leaves U and I unchanged and keeps the sums stable
    risk = np.exp(eta - eta.max()) * weights  # a constant factor cancels in every ratio
    u, info = np.zeros(2 * p), np.zeros((2 * p, 2 * p))
    denom, a, cmat = 0.0, np.zeros(p), np.zeros((p, p))
    residuals: list[np.ndarray] = []
    order = np.lexsort((-event, -time))  # by time descending
    boundaries = np.flatnonzero(np.diff(time[order])) + 1
    for block in np.split(order, boundaries):  # each distinct time, latest first
        dead, alive = block[event[block] == 1], block[event[block] == 0]
        r_alive = risk[alive]
        denom += r_alive.sum()
        a += r_alive @ x[alive]
        cmat += (x[alive] * r_alive[:, None]).T @ x[alive]
        if dead.size == 0:
            continue
        xd, rd, wd = x[dead], risk[dead], weights[dead]
        gt = g[dead[0]]
        u[:p] += wd @ xd
        u[p:] += gt * (wd @ xd)
        denom2, a2, cmat2 = rd.sum(), rd @ xd, (xd * rd[:, None]).T @ xd
        # Efron: the tied deaths enter the risk set a 1/d share at a time (d terms); Breslow: at once.
        steps = [1 / dead.size] * dead.size if efron else [1.0]
        share = wd.sum() * steps[0]
        means = []
        for step in steps:
            denom += denom2 * step
            a += a2 * step
            cmat += cmat2 * step
            mean = a / denom
            means.append(mean)
            u[:p] -= share * mean
            u[p:] -= gt * share * mean
            block_info = share * (cmat / denom - np.outer(mean, mean))
            info[:p, :p] += block_info
            info[:p, p:] += gt * block_info
            info[p:, p:] += gt * gt * block_info
        residuals.extend(xd - np.mean(means, axis=0))
    info[p:, :p] = info[:p, p:].T
    schoenfeld = np.array(residuals[::-1]).reshape(-1, p)  # back into time order
    return u, info, schoenfeld


def cox_zph(
    time: np.ndarray,
    event: np.ndarray,
    x: pd.DataFrame,
    beta: np.ndarray,
    terms: dict[str, list[str]] | None = None,
    transform: str = "km",
    ties: str = "efron",
    weights: np.ndarray | None = None,
) -> ZphResult:
    """R's cox.zph for a Cox model fitted on design matrix `x` with coefficients `beta`.

    Parameters
    ----------
    time, event : follow-up time and event indicator (1 = event) per row.
    x : the model's design matrix (one column per coefficient, in the order of `beta`).
    terms : columns of each term, tested together (a factor's dummies); by default one term per
        column, as cox.zph(terms = FALSE).
    transform : "km" (R's default), "rank" or "identity".
    ties : "efron" or "breslow", as the model was fitted.

    Returns
    -------
    ZphResult with a table of chi-square, df and p per term and GLOBAL.
    """
    time = np.asarray(time, float)
    event = np.asarray(event, float)
    weights = np.ones_like(time) if weights is None else np.asarray(weights, float)
    columns = list(x.columns)
    design = x.to_numpy(float)
    beta = np.asarray(beta, float)
    p = design.shape[1]
    transformed = _time_transform(time, event, weights, transform)
    g = transformed - transformed[event == 1].mean()
    u, info, schoenfeld = _score_and_information(time, event, design, design @ beta, weights, g, ties == "efron")
    terms = terms or {c: [c] for c in columns}
    rows = {}
    for name, term_columns in terms.items():
        idx = [columns.index(c) for c in term_columns]
        keep = [*range(p), *(p + i for i in idx)]
        score = np.concatenate([np.zeros(p), u[[p + i for i in idx]]])
        chisq = float(score @ np.linalg.solve(info[np.ix_(keep, keep)], score))
        rows[name] = (chisq, len(idx))
    score = np.concatenate([np.zeros(p), u[p:]])
    rows["GLOBAL"] = (float(score @ np.linalg.solve(info, score)), p)
    table = pd.DataFrame(rows, index=["chisq", "df"]).T
    table["df"] = table["df"].astype(int)
    table["p"] = stats.chi2.sf(table.chisq, table.df)

    event_order = np.argsort(time[event == 1], kind="stable")
    n_events = int(event.sum())
    scaled = schoenfeld @ np.linalg.inv(info[:p, :p] / n_events) + beta
    return ZphResult(
        table=table,
        time=time[event == 1][event_order],
        transformed=transformed[event == 1][event_order],
        scaled_residuals=pd.DataFrame(scaled, columns=columns),
    )


def beta_over_time(zph: ZphResult, columns: list[str], frac: float = 2 / 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scaled Schoenfeld residuals of some coefficients against time, and a lowess smooth of
    each: an estimate of beta(t), flat where the hazards are proportional.

    Returns (points, smooth), each with columns: column, time, value.
    """
    points, smooth = [], []
    for column in columns:
        values = zph.scaled_residuals[column].to_numpy()
        points.append(pd.DataFrame({"column": column, "time": zph.time, "value": values}))
        fitted = lowess(values, zph.time, frac=frac, return_sorted=True)
        smooth.append(pd.DataFrame({"column": column, "time": fitted[:, 0], "value": fitted[:, 1]}))
    return pd.concat(points, ignore_index=True), pd.concat(smooth, ignore_index=True)
