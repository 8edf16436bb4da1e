"""Table 1: baseline characteristics by arm with standardized mean differences (SMD).

SMDs follow Yang & Dalton (2012), as R's tableone does: for a continuous variable
(mean_s - mean_m) / sqrt((sd_s^2 + sd_m^2) / 2); for a categorical one the multivariate
(Mahalanobis) form over its levels, which reduces to the usual binary formula for two levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab

SMD_METHOD = "standardized mean difference, stent vs medical (Yang & Dalton 2012)"

CONTINUOUS = {
    "age_years": "Age, years",
    "bmi": "BMI, kg/m²",
    "months_since_dvt": "Months since DVT",
    "stenosis_pct": "Stenosis, %",
    "villalta_total": "Villalta total",
    "vcss": "VCSS",
    "veines_qol": "VEINES-QOL",
}
CATEGORICAL = {
    "study": ("Study", None),
    "sex": ("Sex", vocab.SEXES),
    "limb_side": ("Limb side", {"left": "Left", "right": "Right"}),
    "obstruction_site": ("Obstruction site", vocab.SITES),
    "stenosis_grade": ("Stenosis grade", vocab.GRADES),
    "ceap_c": ("CEAP clinical class", None),
    "baseline_band": ("Baseline PTS band", vocab.BANDS),
    "baseline_ulcer": ("Ulcer at baseline", {"yes": "Yes", "no": "No"}),
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


def _fmt_continuous(row: pd.Series | None) -> str:
    if row is None or row.n == 0:
        return "–"
    return f"{row['mean']:.1f} ({row.sd:.1f})" if row.n > 1 else f"{row['mean']:.1f}"


def _continuous_rows(cont: pd.DataFrame) -> list[dict]:
    rows = []
    for variable, label in CONTINUOUS.items():
        by_arm = {r.arm: r for r in cont[cont.variable == variable].itertuples()}
        s, m = by_arm.get("stent"), by_arm.get("medical")
        smd = smd_continuous(s.mean, s.sd, m.mean, m.sd) if s and m and s.n > 1 and m.n > 1 else np.nan
        rows.append({"characteristic": f"{label}, mean (SD)", "stent": _fmt_continuous(s and pd.Series(s._asdict())),
                     "medical": _fmt_continuous(m and pd.Series(m._asdict())), "smd": smd, "level": False})  # fmt: skip
    return rows


def _categorical_rows(cat: pd.DataFrame, arm_sizes: dict[str, int]) -> list[dict]:
    rows = []
    for variable, (label, labels) in CATEGORICAL.items():
        counts = cat[cat.variable == variable].pivot_table(index="level", columns="arm", values="n", aggfunc="sum")
        counts = counts.reindex(columns=["stent", "medical"]).fillna(0)
        order = [lvl for lvl in (labels or {}) if lvl in counts.index] or sorted(counts.index)
        counts = counts.reindex(order)
        props = {arm: counts[arm] / arm_sizes[arm] if arm_sizes.get(arm) else None for arm in ("stent", "medical")}
        both = props["stent"] is not None and props["medical"] is not None
        smd = smd_categorical(props["stent"].values, props["medical"].values) if both else np.nan
        rows.append({"characteristic": f"{label}, n (%)", "stent": "", "medical": "", "smd": smd, "level": False})
        for level in order:
            cells = {}
            for arm in ("stent", "medical"):
                n = int(counts.loc[level, arm])
                cells[arm] = f"{n} ({100 * n / arm_sizes[arm]:.0f}%)" if arm_sizes.get(arm) else "–"
            rows.append({"characteristic": f"    {vocab.label(labels or {}, level)}", **cells, "smd": np.nan,
                         "level": True})  # fmt: skip
    return rows


def table_one(cont: pd.DataFrame, cat: pd.DataFrame) -> pd.DataFrame:
    """Rows: characteristic, stent, medical, smd (nan where not computable), level (indented)."""
    arm_sizes = cont.groupby("arm")["patients"].max().to_dict()
    return pd.DataFrame(_continuous_rows(cont) + _categorical_rows(cat, arm_sizes))


def arm_header(cont: pd.DataFrame) -> dict[str, str]:
    sizes = cont.groupby("arm")["patients"].max().to_dict()
    return {arm: f"{vocab.ARMS[arm]} (n = {sizes.get(arm, 0):,})" for arm in ("stent", "medical")}


def analysis_set_smds(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """SMD (stent vs medical) of each column of a patient-level analysis set."""
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
        rows.append({"Characteristic": ANALYSIS_LABELS.get(col, col), "SMD": smd})
    return pd.DataFrame(rows)


ANALYSIS_LABELS = {
    "baseline": "Baseline value of the outcome", "study_id": "Study", "age_years": "Age", "sex": "Sex",
    "stenosis_grade": "Stenosis grade", "obstruction_site": "Obstruction site",
}  # fmt: skip
