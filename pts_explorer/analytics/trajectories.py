"""Mean trajectories with t-based 95% CIs, and the Welch difference between arms.

Inputs are the aggregates of queries/trajectory_summary.sql (n, mean, SD per group), so the
statistics are exact for any cohort size without moving patient rows into Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

CI_METHOD = "mean with t-distribution 95% CI"
DIFF_METHOD = "Welch 95% CI (unequal variances, Satterthwaite df)"
TABLE_COLUMNS = ["arm", "visit_month", "n", "mean", "sd", "ci_low", "ci_high"]


def _t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, level: float = 0.95) -> tuple[pd.Series, pd.Series]:
    n = n.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n)
    half = half.where(n > 1)
    return mean - half, mean + half


def summary_table(summary: pd.DataFrame, change: bool) -> pd.DataFrame:
    """Per study group, arm and visit: n, mean, SD and the t-based 95% CI of the mean.

    Parameters
    ----------
    summary : rows of trajectory_summary (study_group, arm, visit_month, n, mean, sd,
        n_change, mean_change, sd_change).
    change : use the change from baseline instead of the measured value.
    """
    suffix = "_change" if change else ""
    out = summary[["study_group", "arm", "visit_month"]].copy()
    out["n"] = summary[f"n{suffix}"].astype(int)
    out["mean"] = summary[f"mean{suffix}"].astype(float)
    out["sd"] = summary[f"sd{suffix}"].astype(float)
    out["ci_low"], out["ci_high"] = _t_interval(out["mean"], out["sd"], out["n"])
    if change:
        out = out[out.visit_month > 0]
    return out[out.n > 0].reset_index(drop=True)


def welch_difference(
    n1: float, mean1: float, sd1: float, n2: float, mean2: float, sd2: float, level: float = 0.95
) -> dict[str, float]:
    """Difference mean1 - mean2 with a Welch CI and two-sided p-value, from summary statistics."""
    if min(n1, n2) < 2:
        return {"diff": mean1 - mean2, "ci_low": np.nan, "ci_high": np.nan, "df": np.nan, "p_value": np.nan}
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    se = np.sqrt(v1 + v2)
    if se == 0:
        return {"diff": mean1 - mean2, "ci_low": np.nan, "ci_high": np.nan, "df": np.nan, "p_value": np.nan}
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    test = stats.ttest_ind_from_stats(mean1, sd1, n1, mean2, sd2, n2, equal_var=False)
    diff = mean1 - mean2
    return {"diff": diff, "ci_low": diff - half, "ci_high": diff + half, "df": df, "p_value": float(test.pvalue)}


def arm_differences(summary: pd.DataFrame) -> pd.DataFrame:
    """Stent minus medical mean change from baseline at each post-baseline visit (Welch): the
    arithmetic of welch_difference, on every visit at once."""
    table = summary_table(summary, change=True)
    keys = ["study_group", "visit_month"]
    pairs = table[table.arm == "stent"].merge(table[table.arm == "medical"], on=keys, suffixes=("_s", "_m"))
    pairs = pairs.sort_values(keys).reset_index(drop=True)
    n1, n2 = pairs.n_s.to_numpy(float), pairs.n_m.to_numpy(float)
    mean1, mean2 = pairs.mean_s.to_numpy(float), pairs.mean_m.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = pairs.sd_s.to_numpy(float) ** 2 / n1, pairs.sd_m.to_numpy(float) ** 2 / n2
        se = np.sqrt(v1 + v2)
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        estimable = (np.minimum(n1, n2) >= 2) & (se > 0)
        half = stats.t.ppf(0.975, df) * se
        p_value = 2 * stats.t.sf(np.abs((mean1 - mean2) / se), df)
    diff = mean1 - mean2
    out = pd.DataFrame(
        {
            "study_group": pairs.study_group,
            "visit_month": pairs.visit_month,
            "n_stent": pairs.n_s.astype(int),
            "n_medical": pairs.n_m.astype(int),
            "mean_change_stent": mean1,
            "mean_change_medical": mean2,
            "diff": diff,
            "ci_low": np.where(estimable, diff - half, np.nan),
            "ci_high": np.where(estimable, diff + half, np.nan),
            "df": np.where(estimable, df, np.nan),
            "p_value": np.where(estimable, p_value, np.nan),
        }
    )
    return out


def band_shares(bands: pd.DataFrame, hidden: pd.Series | None = None, hidden_label: str = "") -> pd.DataFrame:
    """Share of attended visits in each PTS band, per study group, arm and visit month.

    hidden: rows whose counts small-cell protection hides; they are pooled into one "hidden"
    band per bar, whose count is not shown.
    """
    out = bands.copy()
    totals = out.groupby(["study_group", "arm", "visit_month"])["n"].transform("sum")
    out["share"] = out["n"] / totals
    if hidden is None or not hidden.any():
        return out
    out["n_text"] = out["n"].map(lambda n: f"{int(n):,}")
    pooled = (
        out[hidden]
        .groupby(["study_group", "arm", "visit_month"], as_index=False)[["n", "share"]]
        .sum()
        .assign(pts_band="hidden", n_text=hidden_label)
    )
    return pd.concat([out[~hidden], pooled], ignore_index=True)
