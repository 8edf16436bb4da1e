"""Numbers into text a reader expects: p-values, medians, table cells and presented tables.

Analytics modules return numbers; this module decides how they are written. No Streamlit here.
"""

from __future__ import annotations

import math

import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import baseline

DASH = "–"
CONTINUOUS_LABELS = {
    "age_years": "Age, years",
    "bmi": "BMI, kg/m²",
    "months_since_dvt": "Months since DVT",
    "stenosis_pct": "Stenosis, %",
    "villalta_total": "Villalta total",
    "vcss": "VCSS",
    "veines_qol": "VEINES-QOL",
}
CATEGORICAL_LABELS = {
    "study": "Study",
    "sex": "Sex",
    "limb_side": "Limb side",
    "obstruction_site": "Obstruction site",
    "stenosis_grade": "Stenosis grade",
    "ceap_c": "CEAP clinical class",
    "baseline_band": "Baseline PTS band",
    "baseline_ulcer": "Ulcer at baseline",
}


def format_p(p: float | None) -> str:
    """A p-value as a reader expects it: 3 significant digits, '<0.0001' below that."""
    if p is None or math.isnan(p):
        return DASH
    return "<0.0001" if p < 0.0001 else f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def p_clause(p: float | None) -> str:
    """'p = 0.012', 'p < 0.0001' or 'p not computable', for running text."""
    text = format_p(p)
    if text == DASH:
        return "p not computable"
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def sentence(text: str) -> str:
    """A method name as the start of a sentence."""
    return text[:1].upper() + text[1:]


def median_label(row: pd.Series) -> str:
    """'12.3 (9.8-15.1)' from a survival.medians() row; 'not reached' / 'NR' where the curve
    stays above 50%."""
    if pd.isna(row.median_months):
        return "not reached"
    high = "NR" if pd.isna(row.ci_high) else f"{row.ci_high:.1f}"
    return f"{row.median_months:.1f} ({row.ci_low:.1f}-{high})"


def estimate_with_ci(estimate: float, low: float, high: float) -> str:
    """'81.2% (76.0%-85.5%)' for a share with its interval."""
    return f"{estimate:.1%} ({low:.1%}-{high:.1%})"


def _mean_sd(n: int, mean: float, sd: float) -> str:
    if n == 0:
        return DASH
    return f"{mean:.1f} ({sd:.1f})" if n > 1 else f"{mean:.1f}"


def _count_share(n: int, share: float) -> str:
    return DASH if pd.isna(share) else f"{n} ({100 * share:.0f}%)"


def table_one(cont: pd.DataFrame, cat: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as shown: characteristic, stent, medical, smd (NaN where not computable) and
    level (True for an indented category level)."""
    rows = []
    for r in baseline.continuous_summary(cont).itertuples():
        rows.append(
            {
                "characteristic": f"{CONTINUOUS_LABELS[r.variable]}, mean (SD)",
                "stent": _mean_sd(r.n_stent, r.mean_stent, r.sd_stent),
                "medical": _mean_sd(r.n_medical, r.mean_medical, r.sd_medical),
                "smd": r.smd,
                "level": False,
            }
        )
    summary = baseline.categorical_summary(cat, baseline.arm_sizes(cont))
    for variable, levels in summary.groupby("variable", sort=False):
        label = CATEGORICAL_LABELS[variable]
        rows.append(
            {"characteristic": f"{label}, n (%)", "stent": "", "medical": "", "smd": levels.smd.iloc[0], "level": False}
        )
        vocabulary = baseline.CATEGORICAL[variable] or {}
        for r in levels.itertuples():
            rows.append(
                {
                    "characteristic": f"    {vocab.label(vocabulary, r.level)}",
                    "stent": _count_share(r.n_stent, r.share_stent),
                    "medical": _count_share(r.n_medical, r.share_medical),
                    "smd": float("nan"),
                    "level": True,
                }
            )
    return pd.DataFrame(rows)


def arm_header(cont: pd.DataFrame) -> dict[str, str]:
    sizes = baseline.arm_sizes(cont)
    return {arm: f"{vocab.ARMS[arm]} (n = {sizes.get(arm, 0):,})" for arm in ("stent", "medical")}


def analysis_set_smds(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The SMD table of an analysis set, with readable characteristic names."""
    smds = baseline.analysis_set_smds(data, columns)
    return pd.DataFrame({"Characteristic": smds.column.map(vocab.ANALYSIS_COLUMNS), "SMD": smds.smd})


def safety_table(rates: pd.DataFrame, period: str) -> pd.DataFrame:
    """One row per complication (and subgroup); per arm, patients with at least one event
    ('12 of 1,529 · 0.8% (0.4-1.4)') and events with their rate per 100 patient-years."""
    d = rates[rates.period == period].copy()
    d["share"] = [
        f"{r.patients_with} of {r.patients:,} · {r.pct:.1f}% ({r.ci_low:.1f}-{r.ci_high:.1f})" for r in d.itertuples()
    ]
    d["per_py"] = [
        f"{r.events} · {r.rate:.2f} ({r.rate_low:.2f}-{r.rate_high:.2f})"
        if r.patient_years > 0
        else f"{r.events} · {DASH}"
        for r in d.itertuples()
    ]
    d["Complication"] = d.event_type.map(vocab.EVENT_LABELS)
    index = ["Complication"] + (["group_value"] if d.group_value.nunique() > 1 else [])
    wide = d.pivot_table(index=index, columns="arm", values=["share", "per_py"], aggfunc="first").reset_index()
    columns = {}
    for arm in ("stent", "medical"):
        if ("share", arm) in wide.columns:
            columns[("share", arm)] = f"{vocab.ARMS[arm]}: patients, % (95% CI)"
            columns[("per_py", arm)] = f"{vocab.ARMS[arm]}: events, per 100 PY (95% CI)"
    out = wide[[*[(c, "") for c in index], *columns]]
    out.columns = [*index, *columns.values()]
    order = {label: i for i, label in enumerate(vocab.EVENT_LABELS.values())}
    out = out.sort_values(by=index, key=lambda s: s.map(order) if s.name == "Complication" else s)
    return out.rename(columns={"group_value": "Subgroup"}).reset_index(drop=True)
