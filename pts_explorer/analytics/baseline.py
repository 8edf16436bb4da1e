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
    wide = cont.pivot_table(index="variable", columns="arm", values=["n", "mean", "sd"], aggfunc="first")
    out = pd.DataFrame({"variable": list(CONTINUOUS)})
    for arm in ("stent", "medical"):
        for stat in ("n", "mean", "sd"):
            column = wide[(stat, arm)] if (stat, arm) in wide.columns else pd.Series(dtype=float)
            out[f"{stat}_{arm}"] = out.variable.map(column).astype(float).to_numpy()
    out[["n_stent", "n_medical"]] = out[["n_stent", "n_medical"]].fillna(0).astype(int)
    out["smd"] = [
        smd_continuous(r.mean_stent, r.sd_stent, r.mean_medical, r.sd_medical)
        if r.n_stent > 1 and r.n_medical > 1
        else np.nan
        for r in out.itertuples()
    ]
    return out


def _level_order(counts: pd.DataFrame, levels: dict[str, str] | None) -> list[str]:
    return [lvl for lvl in (levels or {}) if lvl in counts.index] or sorted(counts.index)


def categorical_summary(cat: pd.DataFrame, sizes: dict[str, int]) -> pd.DataFrame:
    """Per categorical characteristic and level: n and share of each arm; the SMD of the
    characteristic (over all its levels) on every row of it.

    cat: rows of baseline_categorical (arm, variable, level, n); sizes: patients per arm.
    """
    frames = []
    by_level = cat.groupby(["variable", "level", "arm"])["n"].sum().unstack("arm")  # one pass for all
    by_level = by_level.reindex(columns=["stent", "medical"]).fillna(0)
    present = set(by_level.index.get_level_values("variable"))
    for variable, levels in CATEGORICAL.items():
        counts = by_level.loc[variable] if variable in present else by_level.iloc[0:0].droplevel("variable")
        counts = counts.reindex(_level_order(counts, levels))
        shares = {
            arm: counts[arm] / sizes[arm] if sizes.get(arm) else np.nan * counts[arm] for arm in ("stent", "medical")
        }
        both = all(sizes.get(arm) for arm in ("stent", "medical"))
        smd = smd_categorical(shares["stent"].to_numpy(), shares["medical"].to_numpy()) if both else np.nan
        frame = pd.DataFrame({"variable": variable, "level": counts.index.astype(str)})
        for arm in ("stent", "medical"):
            frame[f"n_{arm}"] = counts[arm].astype(int).to_numpy()
            frame[f"share_{arm}"] = shares[arm].to_numpy()
        frame["smd"] = smd
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


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
