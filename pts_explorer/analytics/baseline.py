"""Baseline balance: per-arm summaries and standardized mean differences (SMD).

SMDs follow Yang & Dalton (2012), as R's tableone does: for a continuous variable
(mean_s - mean_m) / sqrt((sd_s^2 + sd_m^2) / 2); for a categorical one the multivariate
(Mahalanobis) form over its levels, which reduces to the usual binary formula for two levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab

SMD_METHOD = "standardized mean difference, stent vs medical (Yang & Dalton 2012)"
CONTINUOUS = (
    "age_years",
    "bmi",
    "months_since_dvt",
    "stenosis_pct",
    "villalta_total",
    "vcss",
    "veines_qol",
)
# Categorical characteristics and the order of their levels (None: sorted as found).
CATEGORICAL: dict[str, dict[str, str] | None] = {
    "study": None,
    "sex": vocab.SEXES,
    "limb_side": vocab.LIMB_SIDES,
    "obstruction_site": vocab.SITES,
    "stenosis_grade": vocab.GRADES,
    "ceap_c": None,
    "baseline_band": vocab.BANDS,
    "baseline_ulcer": vocab.YES_NO,
}


def smd_continuous(mean1: float, sd1: float, mean2: float, sd2: float) -> float:
    pooled = np.sqrt((sd1**2 + sd2**2) / 2)
    return float((mean1 - mean2) / pooled) if pooled > 0 else np.nan


def smd_categorical(p1: np.ndarray, p2: np.ndarray) -> float:
    """Multi-level SMD from the level proportions of two groups (same level order)."""
    p1, p2 = np.asarray(p1, float)[1:], np.asarray(p2, float)[1:]
    if p1.size == 0:
        return np.nan
    diff = p1 - p2
    cov = (np.diag(p1) - np.outer(p1, p1) + np.diag(p2) - np.outer(p2, p2)) / 2
    if not diff.any():
        return 0.0
    value = diff @ np.linalg.pinv(cov) @ diff
    return float(np.sqrt(value)) if value >= 0 else np.nan


def arm_sizes(cont: pd.DataFrame) -> dict[str, int]:
    """Patients per arm, from baseline_continuous rows."""
    return {str(arm): int(n) for arm, n in cont.groupby("arm")["patients"].max().items()}


def continuous_summary(cont: pd.DataFrame) -> pd.DataFrame:
    """Per continuous characteristic: n, mean and SD in each arm, and the SMD (NaN if n < 2).

    cont: rows of baseline_continuous (arm, variable, n, mean, sd, ...).
    """
    found: dict[tuple, tuple] = {}
    for variable, arm, n, mean, sd in zip(cont.variable, cont.arm, cont.n, cont["mean"], cont.sd, strict=True):
        found.setdefault((variable, arm), (n, mean, sd))  # the first row, as a pivot's "first"
    rows = []
    for variable in CONTINUOUS:
        row: dict[str, object] = {"variable": variable}
        for arm in ("stent", "medical"):
            n, mean, sd = found.get((variable, arm), (0, np.nan, np.nan))
            row |= {f"n_{arm}": 0 if pd.isna(n) else int(n), f"mean_{arm}": float(mean), f"sd_{arm}": float(sd)}
        both = row["n_stent"] > 1 and row["n_medical"] > 1  # type: ignore[operator]
        args = (row["mean_stent"], row["sd_stent"], row["mean_medical"], row["sd_medical"])
        row["smd"] = smd_continuous(*args) if both else np.nan  # type: ignore[arg-type]
        rows.append(row)
    return pd.DataFrame(rows)


def categorical_summary(cat: pd.DataFrame, sizes: dict[str, int]) -> pd.DataFrame:
    """Per categorical characteristic and level: n and share of each arm; the SMD of the
    characteristic (over all its levels) on every row of it.

    cat: rows of baseline_categorical (arm, variable, level, n); sizes: patients per arm.
    """
    counts: dict[str, dict[str, dict[str, float]]] = {}  # variable -> level -> arm -> n, in one pass
    for variable, level, arm, n in zip(cat.variable, cat.level, cat.arm, cat.n, strict=True):
        by_arm = counts.setdefault(variable, {}).setdefault(level, {})
        by_arm[arm] = by_arm.get(arm, 0) + n
    both = all(sizes.get(arm) for arm in ("stent", "medical"))
    rows = []
    for variable, levels in CATEGORICAL.items():
        found = counts.get(variable, {})
        order = [lvl for lvl in (levels or {}) if lvl in found] or sorted(found)
        n = {arm: np.array([found[lvl].get(arm, 0) for lvl in order], dtype=float) for arm in ("stent", "medical")}
        shares = {arm: n[arm] / sizes[arm] if sizes.get(arm) else n[arm] * np.nan for arm in n}
        smd = smd_categorical(shares["stent"], shares["medical"]) if both else np.nan
        for i, level in enumerate(order):
            row: dict[str, object] = {"variable": variable, "level": str(level)}
            for arm in ("stent", "medical"):
                row |= {f"n_{arm}": int(n[arm][i]), f"share_{arm}": shares[arm][i]}
            rows.append({**row, "smd": smd})
    columns = ["variable", "level", "n_stent", "share_stent", "n_medical", "share_medical", "smd"]
    return pd.DataFrame(rows, columns=columns)


def analysis_set_smds(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """SMD (stent vs medical) of each column of a patient-level analysis set: column, smd."""
    stent, medical = data[data.arm == "stent"], data[data.arm == "medical"]
    rows = []
    for col in columns:
        if pd.api.types.is_numeric_dtype(data[col]):
            smd = smd_continuous(stent[col].mean(), stent[col].std(), medical[col].mean(), medical[col].std())
        else:
            levels = sorted(data[col].dropna().unique())
            p_s = stent[col].value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()
            p_m = medical[col].value_counts(normalize=True).reindex(levels, fill_value=0).to_numpy()
            smd = smd_categorical(p_s, p_m) if len(levels) > 1 else np.nan
        rows.append({"column": col, "smd": smd})
    return pd.DataFrame(rows)
