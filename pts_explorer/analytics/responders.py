"""Responder proportions per arm, with the risk difference and risk ratio between arms."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

RD_METHOD = "risk difference, Newcombe hybrid score 95% CI"
RR_METHOD = "risk ratio, log (Katz) 95% CI"
PROPORTION_METHOD = "Wilson score 95% CI"
# What each responder definition (a column of responders_by_visit) counts, for chart titles.
DESCRIPTIONS = {
    "responders_points": "Villalta improved by at least the threshold",
    "responders_band": "moved down at least one PTS band",
    "responders_either": "either",
}


def proportions(agg: pd.DataFrame, definition: str) -> pd.DataFrame:
    """Per arm and visit: n, responders, proportion and its Wilson 95% CI."""
    out = agg[["arm", "visit_month", "n"]].copy()
    out["responders"] = agg[definition].astype(int)
    out["proportion"] = out.responders / out.n
    low, high = proportion_confint(out.responders, out.n, method="wilson")
    out["ci_low"], out["ci_high"] = low, high
    return out


def compare_arms(agg: pd.DataFrame, definition: str) -> pd.DataFrame:
    """Stent vs medical at each visit: risk difference (Newcombe) and risk ratio (log) with 95% CIs."""
    rows = []
    wide = agg.set_index(["visit_month", "arm"])
    for month in sorted(agg.visit_month.unique()):
        if (month, "stent") not in wide.index or (month, "medical") not in wide.index:
            continue
        s, m = wide.loc[(month, "stent")], wide.loc[(month, "medical")]
        x1, n1, x2, n2 = int(s[definition]), int(s.n), int(m[definition]), int(m.n)
        rd_low, rd_high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        if x1 > 0 and x2 > 0:
            rr_low, rr_high = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio")
            rr = (x1 / n1) / (x2 / n2)
        else:
            rr = rr_low = rr_high = np.nan
        rows.append(
            {
                "visit_month": month,
                "stent": f"{x1}/{n1}",
                "medical": f"{x2}/{n2}",
                "risk_difference": x1 / n1 - x2 / n2,
                "rd_ci_low": rd_low,
                "rd_ci_high": rd_high,
                "risk_ratio": rr,
                "rr_ci_low": rr_low,
                "rr_ci_high": rr_high,
            }
        )
    columns = [
        "visit_month",
        "stent",
        "medical",
        "risk_difference",
        "rd_ci_low",
        "rd_ci_high",
        "risk_ratio",
        "rr_ci_low",
        "rr_ci_high",
    ]
    return pd.DataFrame(rows, columns=columns)
