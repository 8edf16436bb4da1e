"""Numbers into text a reader expects: p-values, medians, table cells and presented tables.

Analytics modules return numbers; this module decides how they are written. No Streamlit here.
"""

from __future__ import annotations

import math

import numpy as np
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


def follow_up(years: float) -> str:
    """A follow-up length in words: months below a year, whole years above."""
    if years < 1:
        return f"{round(years * 12)} months"
    return f"{years:.0f} year{'s' * (round(years) != 1)}"


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
    return pd.DataFrame({"Characteristic": smds.column.map(vocab.ANALYSIS_COLUMNS), "SMD": smds.smd.map(smd)})


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


# ----------------------------------------------------------------------------------------------
# Tables as a paper prints them: labelled headers with units, CIs as "low to high", a dash (with
# a footnote on the page) where a value cannot be computed, no negative zero.
# ----------------------------------------------------------------------------------------------

NOT_COMPUTABLE = "not computable (fewer than 2 patients, or no event)"
SMD_FLAG = "▲"  # |SMD| above 0.1


def number(value: object, decimals: int = 2, signed: bool = False) -> str:
    """A number to `decimals` places; a dash for a missing one; never '-0.00'."""
    if value is None or not isinstance(value, int | float | np.integer | np.floating) or not np.isfinite(value):
        return DASH
    rounded = round(float(value), decimals) or 0.0  # -0.0 becomes 0.0
    return f"{rounded:+.{decimals}f}" if signed and rounded != 0 else f"{rounded:.{decimals}f}"


def interval(low: object, high: object, decimals: int = 2) -> str:
    """'-4.12 to -1.87', or a dash when either bound is missing."""
    low_text, high_text = number(low, decimals), number(high, decimals)
    return DASH if DASH in (low_text, high_text) else f"{low_text} to {high_text}"


def smd(value: float) -> str:
    """An SMD with its flag above 0.1 (a common threshold for imbalance)."""
    text = number(value, 2)
    return f"{text} {SMD_FLAG}" if text != DASH and abs(value) > 0.1 else text


def _study(frame: pd.DataFrame, with_study: bool) -> dict[str, object]:
    return {"Study": frame.study_group} if with_study else {}


def trajectory_table(table: pd.DataFrame, outcome: vocab.Outcome, with_study: bool) -> pd.DataFrame:
    """Per arm and visit: n, mean, SD and the t-based 95% CI."""
    d = outcome.decimals
    return pd.DataFrame(
        {
            **_study(table, with_study),
            "Arm": table.arm.map(vocab.ARMS),
            "Visit (month)": table.visit_month,
            "n": table.n,
            f"Mean, {outcome.unit}": [number(v, d) for v in table["mean"]],
            "SD": [number(v, d) for v in table.sd],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(table.ci_low, table.ci_high, strict=True)],
        }
    )


def difference_table(diff: pd.DataFrame, outcome: vocab.Outcome, with_study: bool) -> pd.DataFrame:
    """Stent minus medical mean change per visit, with its Welch CI, df and p."""
    d = outcome.decimals
    return pd.DataFrame(
        {
            **_study(diff, with_study),
            "Visit (month)": diff.visit_month,
            "n stent": diff.n_stent,
            "n medical": diff.n_medical,
            "Mean change, stent": [number(v, d, signed=True) for v in diff.mean_change_stent],
            "Mean change, medical": [number(v, d, signed=True) for v in diff.mean_change_medical],
            f"Difference, {outcome.unit}": [number(v, d + 1, signed=True) for v in diff["diff"]],
            "Welch 95% CI": [interval(lo, hi, d + 1) for lo, hi in zip(diff.ci_low, diff.ci_high, strict=True)],
            "df": [number(v, 1) for v in diff.df],
            "p": diff.p_value.map(format_p),
        }
    )


def mmrm_table(table: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    """The MMRM's stent minus medical difference at each visit."""
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Study": table.study_group,
            "Visit (month)": table.visit_month,
            "n stent": table.n_stent,
            "n medical": table.n_medical,
            f"Difference, {outcome.unit}": [number(v, d, signed=True) for v in table.estimate],
            "SE": [number(v, d) for v in table.se],
            "df": [number(v, 1) if np.isfinite(v) else "∞ (Wald z)" for v in table.df],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(table.ci_low, table.ci_high, strict=True)],
            "p": table.p_value.map(format_p),
        }
    )


def subgroup_table(forest: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Factor": forest.factor_label,
            "Subgroup": forest.level_label,
            "n stent": forest.n_stent,
            "n medical": forest.n_medical,
            f"Difference, {outcome.unit}": [number(v, d, signed=True) for v in forest.estimate],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(forest.ci_low, forest.ci_high, strict=True)],
        }
    )


def responder_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Responders per arm, the risk difference (percentage points) and the risk ratio, with CIs."""

    def share(text: str) -> str:
        x, n = (int(v) for v in text.split("/"))
        return f"{x:,} of {n:,} ({100 * x / n:.1f}%)"

    return pd.DataFrame(
        {
            "Visit (month)": comparison.visit_month,
            "Stent responders": comparison.stent.map(share),
            "Medical responders": comparison.medical.map(share),
            "Risk difference, % points": [number(100 * v, 1, signed=True) for v in comparison.risk_difference],
            "95% CI (Newcombe)": [
                interval(100 * lo, 100 * hi, 1)
                for lo, hi in zip(comparison.rd_ci_low, comparison.rd_ci_high, strict=True)
            ],
            "Risk ratio": [number(v, 2) for v in comparison.risk_ratio],
            "95% CI (Katz)": [
                interval(lo, hi, 2) for lo, hi in zip(comparison.rr_ci_low, comparison.rr_ci_high, strict=True)
            ],
        }
    )


def hazard_table(hazards: pd.DataFrame, labels: dict[str, str], reference: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            f"Compared with {labels.get(reference, reference)}": [labels.get(v, v) for v in hazards.level],
            "Hazard ratio": [number(v, 2) for v in hazards.hr],
            "95% CI": [interval(lo, hi, 2) for lo, hi in zip(hazards.ci_low, hazards.ci_high, strict=True)],
            "p": hazards.p_value.map(format_p),
            "PH check p": hazards.ph_p_value.map(format_p),
        }
    )


def ph_term_table(tests: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Term": [names.get(t, "Global (all terms)" if t == "GLOBAL" else t) for t in tests.index],
            "Chi-square": [number(v, 3) for v in tests.chisq],
            "df": tests["df"].to_numpy(),
            "p": tests.p.map(format_p),
        }
    )


def presented_table_one(cont: pd.DataFrame, cat: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with its arm headers and flagged SMDs (blank on category levels)."""
    table = table_one(cont, cat)
    header = arm_header(cont)
    return pd.DataFrame(
        {
            "Characteristic": table.characteristic,
            header["stent"]: table.stent,
            header["medical"]: table.medical,
            "SMD": ["" if level else smd(v) for v, level in zip(table.smd, table.level, strict=True)],
        }
    )


# ----------------------------------------------------------------------------------------------
# One-line summaries of charts: their text alternative for screen readers.
# ----------------------------------------------------------------------------------------------


def _arms(values: dict[str, str]) -> str:
    return ", ".join(f"{vocab.ARMS.get(arm, arm).lower()} {text}" for arm, text in values.items())


def summary_trajectory(table: pd.DataFrame, outcome: vocab.Outcome) -> str:
    parts = []
    for group, d in table.groupby("study_group", sort=True):
        last = d[d.visit_month == d.visit_month.max()]
        means = {r.arm: number(r.mean, outcome.decimals) for r in last.itertuples()}
        parts.append(f"{group} month {int(d.visit_month.max())}: {_arms(means)}")
    return f"Mean {outcome.label} at the last visit: " + "; ".join(parts) + "."


def summary_differences(frame: pd.DataFrame, column: str, outcome: vocab.Outcome) -> str:
    parts = [
        f"month {int(r.visit_month)} {number(getattr(r, column), outcome.decimals + 1, signed=True)}"
        f" ({interval(r.ci_low, r.ci_high, outcome.decimals + 1)})"
        for r in frame.itertuples()
    ]
    return f"Stent minus medical, {outcome.unit}: " + "; ".join(parts) + "."


def summary_sizes(sizes: pd.DataFrame) -> str:
    parts = [
        f"{study} ({d.design.iloc[0]}): " + _arms({r.arm: f"{int(r.patients):,}" for r in d.itertuples()})
        for study, d in sizes.groupby("study_id", sort=True)
    ]
    return "Patients: " + "; ".join(parts) + "."


def summary_forest(forest: pd.DataFrame, overall: float, outcome: vocab.Outcome) -> str:
    shown = forest[forest.estimable]
    text = f"Overall adjusted difference {number(overall, 2, signed=True)} {outcome.unit}"
    if shown.empty:
        return text + "; no subgroup estimable."
    best = shown.loc[shown.estimate.idxmin() if not outcome.higher_is_better else shown.estimate.idxmax()]
    estimate = number(best.estimate, 2, signed=True)
    return f"{text}; largest benefit in {best.factor_label.lower()} {best.level_label}: {estimate}."


def summary_shares(props: pd.DataFrame) -> str:
    parts = [
        f"month {int(month)}: " + _arms({r.arm: f"{100 * r.proportion:.0f}%" for r in d.itertuples()})
        for month, d in props.groupby("visit_month", sort=True)
    ]
    return "Share of responders, " + "; ".join(parts) + "."


def summary_curves(marks: pd.DataFrame, labels: dict[str, str]) -> str:
    shown = marks[marks.at_risk > 0]
    if shown.empty:
        return "Nobody is followed for a year."
    year = int(shown.years.max() if (shown.years == 5).sum() == 0 else 5)
    at = shown[shown.years == year]
    parts = [f"{labels.get(r.group, r.group)} {r.estimate:.0%}" for r in at.itertuples()]
    return f"At {year} year{'s' * (year > 1)}: " + ", ".join(parts) + "."
