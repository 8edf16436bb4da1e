"""Responder proportions per arm, with the risk difference and risk ratio between arms.

Inputs are the counts of queries/responders_by_visit.sql or responder_thresholds.sql: patients
due at a visit (n_due), seen there (n) and responders by each definition. Under non-responder
imputation (the default) a patient due but not seen is a non-responder: the denominator is
n_due. Complete cases (a sensitivity analysis) use n.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

RD_METHOD = "risk difference, Newcombe hybrid score 95% CI"
RR_METHOD = "risk ratio, log (Katz) 95% CI"
# What non-responder imputation estimates (queries/shared/responder_pairs.sql: every patient due at a visit
# by the data cut-off is in the denominator, whether alive, followed or not).
NRI_ESTIMATES = (
    "Non-responder imputation estimates a composite: the share of patients due at the visit who were alive, "
    "still followed, seen there and improved. Deaths, losses to follow-up and missed visits all count as "
    "non-responders, so an arm that loses more patients shows fewer responders even if those seen improved as "
    "much."
)
PROPORTION_METHOD = "Wilson score 95% CI"
IMPUTATIONS = {
    "nri": "n_due",  # non-responder imputation
    "complete": "n",  # complete cases
}
# What each responder definition (a column of responders_by_visit) counts, for chart titles.
DESCRIPTIONS = {
    "responders_points": "Villalta improved by at least the threshold",
    "responders_band": "moved down at least one PTS band",
    "responders_either": "either",
}


def proportions(agg: pd.DataFrame, definition: str, imputation: str = "nri") -> pd.DataFrame:
    """Per arm and visit: n (the denominator), responders, proportion and its Wilson 95% CI."""
    out = agg[["arm", "visit_month"]].copy()
    out["n"] = agg[IMPUTATIONS[imputation]].astype(int)
    out["responders"] = agg[definition].astype(int)
    out = out[out.n > 0].reset_index(drop=True)
    out["proportion"] = out.responders / out.n
    low, high = proportion_confint(out.responders, out.n, method="wilson")
    out["ci_low"], out["ci_high"] = low, high
    return out


def compare_arms(agg: pd.DataFrame, definition: str, imputation: str = "nri", by: str = "visit_month") -> pd.DataFrame:
    """Stent vs medical at each visit (or threshold): risk difference (Newcombe) and risk ratio
    (log) with 95% CIs."""
    denominator = IMPUTATIONS[imputation]
    rows = []
    wide = agg.set_index([by, "arm"])
    for key in sorted(agg[by].unique()):
        if (key, "stent") not in wide.index or (key, "medical") not in wide.index:
            continue
        s, m = wide.loc[(key, "stent")], wide.loc[(key, "medical")]
        x1, n1, x2, n2 = int(s[definition]), int(s[denominator]), int(m[definition]), int(m[denominator])
        if min(n1, n2) == 0:
            continue
        rd_low, rd_high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        if x1 > 0 and x2 > 0:
            rr_low, rr_high = confint_proportions_2indep(x1, n1, x2, n2, method="log", compare="ratio")
            rr = (x1 / n1) / (x2 / n2)
        else:
            rr = rr_low = rr_high = np.nan
        rows.append(
            {
                by: key,
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
        by,
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
