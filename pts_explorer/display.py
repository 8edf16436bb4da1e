"""Numbers into text a reader expects: p-values, medians, table cells and presented tables.

Analytics modules return numbers; this module decides how they are written. No Streamlit here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import baseline
from pts_explorer.privacy import OFF, Protection
from pts_explorer.rows import each_row

DASH = "–"
ARMS = ("stent", "medical")
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


def file_size(size: int) -> str:
    """Bytes as a person reads them: 512 B, 14.2 kB, 3.1 MB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def follow_up(years: float) -> str:
    """A follow-up length in words: months below a year, whole years above."""
    if years < 1:
        return f"{round(years * 12)} months"
    return f"{years:.0f} year{'s' * (round(years) != 1)}"


def natural_order(grouping: str, values: pd.Series | list[str]) -> list[str]:
    """The groups present in their natural order: the vocabulary's (the stent arm first, grades
    from mild to occlusion, sites in anatomical order), then any other value sorted; the one order
    of every table, legend and number-at-risk row of a grouping."""
    present = {str(v) for v in values if not pd.isna(v)}
    known = [v for v in vocab.LEVELS.get(grouping, {}) if v in present]
    return known + sorted(present - set(known))


def pooled_designs(sizes: pd.DataFrame) -> str:
    """Which study designs the patients of one curve or estimate come from (no comparison is made):
    sizes are rows of cohort_size_by_study_arm (study_id, design, arm, patients)."""
    kinds = set(sizes.design[sizes.patients > 0]) if "patients" in sizes else set(sizes.design)
    if kinds == {"randomized"}:
        return "Design: patients of randomized studies only."
    if kinds == {"observational"}:
        return "Design: patients of observational (registry) studies only."
    if kinds:
        return (
            "Design: patients of randomized and observational (registry) studies pooled; registry patients "
            "are followed longer. *Randomized only* keeps the trial's patients alone."
        )
    return ""


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


def _mean_sd(n: int, mean: float, sd: float, shield: Protection = OFF) -> str:
    if n == 0:
        return DASH
    if shield.too_few(n):
        return f"n {shield.label}"
    return f"{mean:.1f} ({sd:.1f})" if n > 1 else f"{mean:.1f}"


def _count_share(n: int, share: float, with_share: bool = True) -> str:
    if pd.isna(share):
        return DASH
    return f"{n:,} ({100 * share:.0f}%)" if with_share else f"{n:,}"


def _hidden_levels(
    summary: pd.DataFrame, shield: Protection, hidden_arms: list[str]
) -> dict[tuple[str, str], dict[str, bool]]:
    """Which level counts of each characteristic to hide, per arm (n_stent, n_medical): the levels
    add up to the arm's n, so a line keeps 0 or 2+ hidden counts, and 1+ where the arm's n is
    itself hidden."""
    hidden = {key: {"n_stent": False, "n_medical": False} for key in zip(summary.variable, summary.level, strict=True)}
    if not shield.active:
        return hidden
    long = summary.melt(id_vars=["variable", "level"], value_vars=["n_stent", "n_medical"], var_name="arm")
    secret = [(variable, f"n_{arm}") for variable in summary.variable.unique() for arm in hidden_arms]
    flags = shield.mask_frame(long, "value", [["variable", "arm"]], secret)
    for variable, level, arm, flag in zip(long.variable, long.level, long.arm, flags, strict=True):
        hidden[(variable, level)][arm] = bool(flag)
    return hidden


def table_one(cont: pd.DataFrame, cat: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Table 1 as shown: characteristic, stent, medical, smd (NaN where not computable) and
    level (True for an indented category level). With small-cell protection, counts below k
    show as <k and statistics of fewer than k patients are not shown."""
    rows = []
    for r in each_row(baseline.continuous_summary(cont)):
        rows.append(
            {
                "characteristic": f"{CONTINUOUS_LABELS[r.variable]}, mean (SD)",
                "stent": _mean_sd(r.n_stent, r.mean_stent, r.sd_stent, shield),
                "medical": _mean_sd(r.n_medical, r.mean_medical, r.sd_medical, shield),
                "smd": np.nan if shield.too_few(r.n_stent) or shield.too_few(r.n_medical) else r.smd,
                "level": False,
            }
        )
    sizes = baseline.arm_sizes(cont)
    summary = baseline.categorical_summary(cat, sizes)
    arms_hidden = dict(zip(ARMS, shield.mask([sizes.get(arm, 0) for arm in ARMS]), strict=True))
    hidden = _hidden_levels(summary, shield, [arm for arm, h in arms_hidden.items() if h])
    small_arm = any(shield.too_few(sizes.get(arm, 0)) for arm in ARMS)
    for variable, levels in summary.groupby("variable", sort=False):
        label = CATEGORICAL_LABELS[variable]
        smd_value = np.nan if small_arm else levels.smd.iloc[0]
        rows.append({"characteristic": f"{label}, n (%)", "stent": "", "medical": "", "smd": smd_value, "level": False})
        vocabulary = baseline.CATEGORICAL[variable] or {}
        for r in each_row(levels):
            cells = {}
            for arm in ("stent", "medical"):
                n, share = getattr(r, f"n_{arm}"), getattr(r, f"share_{arm}")
                shown = _count_share(n, share, with_share=not arms_hidden[arm])  # a share would give n away
                cells[arm] = shield.label if hidden[(variable, r.level)][f"n_{arm}"] else shown
            rows.append(
                {
                    "characteristic": f"    {vocab.label(vocabulary, r.level)}",
                    **cells,
                    "smd": float("nan"),
                    "level": True,
                }
            )
    return pd.DataFrame(rows)


def arm_header(cont: pd.DataFrame, shield: Protection = OFF) -> dict[str, str]:
    sizes = baseline.arm_sizes(cont)
    counts = [sizes.get(arm, 0) for arm in ARMS]
    hidden = shield.mask(counts)  # the arms add up to the cohort, shown above the table
    return {
        arm: f"{vocab.ARMS[arm]} (n = {shield.count(n, hide)})"
        for arm, n, hide in zip(ARMS, counts, hidden, strict=True)
    }


def analysis_set_smds(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The SMD table of an analysis set, with readable characteristic names."""
    smds = baseline.analysis_set_smds(data, columns)
    return pd.DataFrame({"Characteristic": smds.column.map(vocab.ANALYSIS_COLUMNS), "SMD": smds.smd.map(smd)})


def _safety_cells(r: object, shield: Protection, n_hidden: bool) -> tuple[str, str]:
    """A complication's two cells for one arm: patients with it of n (share, CI), and events
    (rate per 100 PY, CI); with small-cell protection, no count below k and no share or rate
    that would give one away."""
    n, x, events = int(r.patients), int(r.patients_with), int(r.events)  # type: ignore[attr-defined]
    if n == 0:  # nobody of this arm (or subgroup) followed in the period
        share = f"0 of 0 · {DASH}"
    elif n_hidden or shield.small(x) or shield.small(n - x):  # x and n - x add up to n
        share = f"{shield.label if x else 0} of {shield.count(n, n_hidden)}"
    else:
        share = f"{x:,} of {n:,} · {r.pct:.1f}% ({r.ci_low:.1f}-{r.ci_high:.1f})"  # type: ignore[attr-defined]
    if shield.small(events) or n_hidden:
        per_py = f"{shield.count(events, True)} · {DASH}" if events else f"0 · {DASH}"
    elif r.patient_years > 0:  # type: ignore[attr-defined]
        per_py = f"{events:,} · {r.rate:.2f} ({r.rate_low:.2f}-{r.rate_high:.2f})"  # type: ignore[attr-defined]
    else:
        per_py = f"{events:,} · {DASH}"
    return share, per_py


def safety_table(rates: pd.DataFrame, period: str, shield: Protection = OFF) -> pd.DataFrame:
    """One row per complication (and subgroup); per arm, patients with at least one event
    ('12 of 1,529 · 0.8% (0.4-1.4)') and events with their rate per 100 patient-years."""
    d = rates[rates.period == period].copy()
    # The subgroups' patients add up to the arm's: a second n is hidden where one is.
    n_hidden = shield.mask_frame(d, "patients", [["arm", "event_type"]])
    cells = [_safety_cells(r, shield, hide) for r, hide in zip(each_row(d), n_hidden, strict=True)]
    d["share"] = [share for share, _ in cells]
    d["per_py"] = [per_py for _, per_py in cells]
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
    levels = {**vocab.SITES, **vocab.GRADES}  # the subgroups of a split, in their natural order
    rank = {code: i for i, code in enumerate(levels)}
    out = out.sort_values(
        by=index, key=lambda s: s.map(order) if s.name == "Complication" else s.map(lambda v: rank.get(v, len(rank)))
    )
    if "group_value" in out:
        out["group_value"] = out.group_value.map(lambda v: levels.get(v, v))
    return out.rename(columns={"group_value": "Subgroup"}).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# Tables as a paper prints them: labelled headers with units, CIs as "low to high", a dash (with
# a footnote on the page) where a value cannot be computed, no negative zero.
# ----------------------------------------------------------------------------------------------

NOT_COMPUTABLE = "not computable (fewer than 2 patients, or no event)"
SMD_FLAG = "▲"  # |SMD| above 0.1


def protect_profile(profile: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """The symptom profile without the means of too-small arms, nor an ulcer share that would give
    away a small count of patients with (or without) an ulcer."""
    out = profile.copy()
    means = ["mean_baseline", "mean_visit"]
    out.loc[out.n.map(shield.too_few), means] = np.nan
    for column in means:
        with_ulcer = (out[column] * out.n).round()
        small = (out.item == "ulcer") & (with_ulcer.map(shield.small) | (out.n - with_ulcer).map(shield.small))
        out.loc[small, column] = np.nan
    return out


def protect_forest(forest: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Subgroup rows with their small counts hidden: the levels of a factor add up to the arm, so
    a second count is hidden where one is; no estimate for a level with fewer than k in an arm."""
    if not shield.active:
        return forest
    out = forest.copy()
    long = out.melt(
        id_vars=["factor", "level"], value_vars=["n_stent", "n_medical"], var_name="arm", ignore_index=False
    )
    long["hidden"] = shield.mask_frame(long.reset_index(drop=True), "value", [["factor", "arm"]]).to_numpy()
    for arm in ("n_stent", "n_medical"):
        hidden = long[long.arm == arm].hidden.reindex(out.index)
        out[f"{arm}_text"] = [shield.label if h else f"{int(n):,}" for n, h in zip(out[arm], hidden, strict=True)]
    small = out.n_stent.map(shield.too_few) | out.n_medical.map(shield.too_few)
    out.loc[small, ["estimate", "ci_low", "ci_high"]] = np.nan
    out.loc[small, "estimable"] = False
    return out


def protect_shares(shares: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Responder proportions without those whose responders, non-responders or n are too few;
    `responders_text` and `n_text` to show."""
    out = shares.copy()
    small = out.n.map(shield.small) | out.responders.map(shield.small) | (out.n - out.responders).map(shield.small)
    out.loc[small, ["proportion", "ci_low", "ci_high"]] = np.nan
    out["responders_text"] = [shield.label if h else f"{int(x):,}" for x, h in zip(out.responders, small, strict=True)]
    out["n_text"] = out.n.map(shield.count)
    return out


def protect_comparison(comparison: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Stent-versus-medical rows ("x/n" per arm) without the effects of an arm whose responders,
    non-responders or n are too few; such x (and a too-small n) are written <k."""
    if not shield.active or comparison.empty:
        return comparison
    out = comparison.copy()
    hidden = pd.Series(False, index=out.index)
    for arm in ("stent", "medical"):
        texts = []
        for i, cell in out[arm].items():
            x, n = (int(v) for v in cell.split("/"))
            small = shield.small(n) or shield.small(x) or shield.small(n - x)
            hidden[i] = hidden[i] or small
            texts.append(f"{shield.label if small else x}/{shield.count(n)}")
        out[arm] = texts
    effects = ["risk_difference", "rd_ci_low", "rd_ci_high", "risk_ratio", "rr_ci_low", "rr_ci_high"]
    out.loc[hidden, effects] = np.nan
    return out


def protect_curves(curves: pd.DataFrame, counts: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Survival or incidence curves cut where fewer than k patients of the group are still at risk
    (a curve's tail would otherwise follow single patients)."""
    if not shield.active or curves.empty:
        return curves
    out = curves.copy()
    days = (out.month * vocab.DAYS_PER_MONTH).round(6)
    at_risk = np.zeros(len(out))
    for group, d in counts.groupby("group_value", sort=False):
        order = np.argsort(d.duration_days.to_numpy())
        durations = d.duration_days.to_numpy()[order]
        remaining = np.cumsum(d.n.to_numpy()[order][::-1])[::-1]  # at risk from each duration on
        rows = (out.group == str(group)).to_numpy()
        first = np.searchsorted(durations, days[rows].to_numpy() - 1e-6, side="left")
        at_risk[rows] = np.where(first < len(durations), remaining[np.minimum(first, len(durations) - 1)], 0)
    small = at_risk < shield.k
    out.loc[small, ["estimate", "ci_low", "ci_high"]] = np.nan
    return out


def counts(frame: pd.DataFrame, column: str) -> pd.Series:
    """A count column as shown: its small-cell-protected text when there is one, else the numbers."""
    return frame.get(f"{column}_text", frame[column])


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
            "n": counts(table, "n"),
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
            "n stent": counts(diff, "n_stent"),
            "n medical": counts(diff, "n_medical"),
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
            "n stent": counts(table, "n_stent"),
            "n medical": counts(table, "n_medical"),
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
            "n stent": counts(forest, "n_stent"),
            "n medical": counts(forest, "n_medical"),
            f"Difference, {outcome.unit}": [number(v, d, signed=True) for v in forest.estimate],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(forest.ci_low, forest.ci_high, strict=True)],
        }
    )


def responder_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Responders per arm, the risk difference (percentage points) and the risk ratio, with CIs."""

    def share(text: str) -> str:
        x, n = text.split("/")
        if not (x.isdigit() and n.replace(",", "").isdigit()):  # a count hidden by small-cell protection
            return f"{x} of {n}"
        return f"{int(x):,} of {int(n):,} ({100 * int(x) / int(n):.1f}%)"

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


def multiplicity_note(overall: str, groups: int, reference: str, ph_checks: int) -> str:
    """How many p-values Durability shows side by side, and that none is adjusted for multiplicity.

    overall: the name of the test across all groups ("the log-rank test", "Gray's test")."""
    pairwise = groups - 1
    tests = (
        f"{1 + pairwise} p-values compare the groups ({overall} across all {groups} groups, and {pairwise} "
        f"hazard-ratio Wald test{'s' * (pairwise > 1)} against {reference})"
    )
    checks = f"{pairwise + ph_checks} more check proportional hazards (per coefficient, per term and global)"
    if pairwise > 1:
        caution = (
            f"with {pairwise} pairwise comparisons, a p below 0.05 is likelier than 5% to arise by chance when no "
            f"group differs. {sentence(overall)} is the one test of any difference; a Bonferroni reading compares "
            f"each pairwise p with 0.05 / {pairwise} = {0.05 / pairwise:.3g}"
        )
    else:
        caution = f"with two groups, the hazard ratio's p and {overall} ask the same question"
    return f"Multiplicity: {tests}; {checks}. None is adjusted for multiple testing: {caution}."


def ph_term_table(tests: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Term": [names.get(t, "Global (all terms)" if t == "GLOBAL" else t) for t in tests.index],
            "Chi-square": [number(v, 3) for v in tests.chisq],
            "df": tests["df"].to_numpy(),
            "p": tests.p.map(format_p),
        }
    )


def presented_table_one(cont: pd.DataFrame, cat: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Table 1 with its arm headers and flagged SMDs (blank on category levels)."""
    table = table_one(cont, cat, shield)
    header = arm_header(cont, shield)
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
        means = {r.arm: number(r.mean, outcome.decimals) for r in each_row(last)}
        parts.append(f"{group} month {int(d.visit_month.max())}: {_arms(means)}")
    return f"Mean {outcome.label} at the last visit: " + "; ".join(parts) + "."


def summary_differences(frame: pd.DataFrame, column: str, outcome: vocab.Outcome) -> str:
    parts = [
        f"month {int(r.visit_month)} {number(getattr(r, column), outcome.decimals + 1, signed=True)}"
        f" ({interval(r.ci_low, r.ci_high, outcome.decimals + 1)})"
        for r in each_row(frame)
    ]
    return f"Stent minus medical, {outcome.unit}: " + "; ".join(parts) + "."


def summary_sizes(sizes: pd.DataFrame, hidden_label: str = "") -> str:
    hidden = sizes["hidden"] if "hidden" in sizes else pd.Series(False, index=sizes.index)
    text = {i: hidden_label if hidden[i] else f"{int(n):,}" for i, n in sizes.patients.items()}
    parts = [
        f"{study} ({d.design.iloc[0]}): " + _arms({r.arm: text[i] for i, r in d.iterrows()})
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
        f"month {int(month)}: " + _arms({r.arm: f"{number(100 * r.proportion, 0)}%" for r in each_row(d)})
        for month, d in props.groupby("visit_month", sort=True)
    ]
    return "Share of responders, " + "; ".join(parts) + "."


def summary_complications(marks: pd.DataFrame, labels: dict[str, str], order: list[str]) -> str:
    """The text alternative of Safety's first chart: each curve's cumulative incidence at 30 days
    (marks without years) or at 1 and 5 years, in the order drawn."""
    shown = marks[(marks.at_risk > 0) & marks.estimate.notna()]
    if shown.empty:
        return "Too few patients are followed to the first landmark to give an estimate."
    parts = []
    for years in [int(y) for y in shown.years.unique()] if "years" in shown else [None]:
        at = shown if years is None else shown[shown.years == years]
        at = at.assign(rank=at.group.map(order.index)).sort_values("rank")
        when = "At 30 days" if years is None else f"At {years} year{'s' * (years > 1)}"
        parts.append(f"{when}: " + ", ".join(f"{labels.get(r.group, r.group)} {r.estimate:.1%}" for r in each_row(at)))
    return "; ".join(parts) + "."


def summary_curves(marks: pd.DataFrame, labels: dict[str, str]) -> str:
    shown = marks[marks.at_risk > 0]
    if shown.empty:
        return "Nobody is followed for a year."
    year = int(shown.years.max() if (shown.years == 5).sum() == 0 else 5)
    at = shown[shown.years == year]
    parts = [f"{labels.get(r.group, r.group)} {r.estimate:.0%}" for r in each_row(at)]
    return f"At {year} year{'s' * (year > 1)}: " + ", ".join(parts) + "."


# ----------------------------------------------------------------------------------------------
# Two cohorts side by side (Compare page).
# ----------------------------------------------------------------------------------------------


SIDES = {"A": "A", "B": "B"}


def side_name(labels: dict[str, str], side: str) -> str:
    """A side's column header: "Cohort A", or what it holds when that is not the whole cohort."""
    label = labels.get(side, side)
    return f"Cohort {side}" if label == side else label


def pair_table(pair: pd.DataFrame, shield: Protection = OFF, labels: dict[str, str] = SIDES) -> pd.DataFrame:
    """Table 1 of cohort A against cohort B, with the SMD between the cohorts."""
    col_a, col_b = side_name(labels, "A"), side_name(labels, "B")
    rows = []
    for r in each_row(pair):
        if r.level is None and r.variable in CONTINUOUS_LABELS:
            rows.append(
                {
                    "Characteristic": f"{CONTINUOUS_LABELS[r.variable]}, mean (SD)",
                    col_a: _mean_sd(int(r.n_a), r.mean_a, r.sd_a, shield),
                    col_b: _mean_sd(int(r.n_b), r.mean_b, r.sd_b, shield),
                    "SMD": smd(r.smd),
                }
            )
        elif r.level is None:
            rows.append(
                {
                    "Characteristic": f"{CATEGORICAL_LABELS[r.variable]}, n (%)",
                    col_a: "",
                    col_b: "",
                    "SMD": smd(r.smd),
                }
            )
        else:
            vocabulary = baseline.CATEGORICAL[r.variable] or {}
            cells = {}
            for side, column in (("a", col_a), ("b", col_b)):
                n, share = int(getattr(r, f"n_{side}")), getattr(r, f"share_{side}")
                cells[column] = shield.label if shield.small(n) else _count_share(n, share)
            rows.append({"Characteristic": f"    {vocab.label(vocabulary, r.level)}", **cells, "SMD": ""})
    return pd.DataFrame(rows, columns=["Characteristic", col_a, col_b, "SMD"])


DESIGN_WORDS = {
    frozenset({"randomized"}): "randomized",
    frozenset({"observational"}): "observational",
    frozenset({"randomized", "observational"}): "pooled",
}


def design_word(designs: set[str]) -> str:
    """randomized, observational or pooled (both), for the studies a number counts patients from."""
    return DESIGN_WORDS.get(frozenset(designs), ", ".join(sorted(designs)) or DASH)


def pair_difference_table(
    diff: pd.DataFrame,
    outcome: vocab.Outcome,
    labels: dict[str, str] = SIDES,
    designs: dict[tuple[str, int], tuple[set[str], set[str]]] | None = None,
) -> pd.DataFrame:
    """Cohort A minus cohort B in mean change, per arm and visit, with Welch's CI and p; `designs`:
    per (arm, visit), the designs of the studies each side's patients come from."""
    d = outcome.decimals
    a, b = labels.get("A", "A"), labels.get("B", "B")
    table = pd.DataFrame(
        {
            "Arm": diff.arm.map(vocab.ARMS),
            "Visit (month)": diff.visit_month,
            f"n {a}": counts(diff, "n_a"),
            f"n {b}": counts(diff, "n_b"),
            f"Mean change, {a}": [number(v, d, signed=True) for v in diff.mean_change_a],
            f"Mean change, {b}": [number(v, d, signed=True) for v in diff.mean_change_b],
            f"{a} − {b}, {outcome.unit}": [number(v, d + 1, signed=True) for v in diff["diff"]],
            "Welch 95% CI": [interval(lo, hi, d + 1) for lo, hi in zip(diff.ci_low, diff.ci_high, strict=True)],
            "p": diff.p_value.map(format_p),
        }
    )
    if designs is not None:
        words = []
        for arm, month in zip(diff.arm, diff.visit_month, strict=True):
            side_a, side_b = designs.get((arm, int(month)), (set(), set()))
            wa, wb = design_word(side_a), design_word(side_b)
            words.append(wa if wa == wb else f"{a}: {wa}; {b}: {wb}")
        table.insert(2, "Patients", words)
    return table


def pair_responder_table(rates: pd.DataFrame, shield: Protection = OFF, labels: dict[str, str] = SIDES) -> pd.DataFrame:
    """Each cohort's share of responders per arm, with its Wilson interval, and how many of the
    patients due at the visit were seen there (when `rates` has them)."""
    columns = ["Cohort", "Arm", "Responders / due", "Share (Wilson 95% CI)"]
    seen = "seen" in rates.columns
    if seen:
        columns.append("Seen / due")
    rows = []
    for r in each_row(rates.sort_values(["arm", "cohort"], ascending=[False, True])):
        small = shield.small(int(r.n)) or shield.small(int(r.responders))
        row = {
            "Cohort": labels.get(r.cohort, r.cohort),
            "Arm": vocab.ARMS[r.arm],
            "Responders / due": shield.label if small else f"{int(r.responders):,} / {int(r.n):,}",
            "Share (Wilson 95% CI)": DASH if small else estimate_with_ci(r.proportion, r.ci_low, r.ci_high),
        }
        if seen:
            hidden = small or shield.small(int(r.seen)) or shield.small(int(r.due) - int(r.seen))
            row["Seen / due"] = (
                shield.label if hidden else f"{int(r.seen):,} / {int(r.due):,} ({number(100 * r.seen / r.due, 0)}%)"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


# ----------------------------------------------------------------------------------------------
# One candidate against the patients like them (Candidate page).
# ----------------------------------------------------------------------------------------------

CANDIDATE_ROWS = {  # candidate_baseline variable: (label, Profile attribute, unit, a share?)
    "age_years": ("Age, years", "age", False),
    "stenosis_pct": ("Stenosis, %", "stenosis", False),
    "lesion_length_mm": ("Lesion length, mm", "length", False),
    "months_since_dvt": ("Months since DVT", "months", False),
    "villalta_total": ("Villalta, points (0-33)", "villalta_total", False),
    "vcss": ("VCSS, points (0-30)", "vcss", False),
    "female": ("Sex (matched: % female)", "sex", True),
    "left_limb": ("Limb (matched: % left)", "side", True),
    "ulcer": ("Open ulcer (matched: % with one)", "ulcer", True),
}
_CANDIDATE_VALUES = {"sex": vocab.SEXES, "side": vocab.LIMB_SIDES, "ulcer": vocab.YES_NO}


def candidate_similarity(profile: object, baseline: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """The candidate beside the matched patients of each arm: mean (SD) or share."""
    rows = []
    for variable, (label, attribute, share) in CANDIDATE_ROWS.items():
        value = getattr(profile, attribute)
        mine = "not given" if value is None else _CANDIDATE_VALUES.get(attribute, {}).get(str(value), str(value))
        row = {"Characteristic": label, "This patient": mine}
        for arm in ARMS:
            r = baseline[(baseline.arm == arm) & (baseline.variable == variable)]
            n = int(r.n.iloc[0]) if len(r) else 0
            if n == 0:
                text = DASH
            elif shield.too_few(n):
                text = f"n {shield.label}"
            elif share:
                text = f"{100 * float(r['mean'].iloc[0]):.0f}%"
            else:
                text = _mean_sd(n, float(r["mean"].iloc[0]), float(r.sd.fillna(0).iloc[0]))
            row[f"Matched {vocab.ARMS[arm].lower()}"] = text
        rows.append(row)
    return pd.DataFrame(rows)


def candidate_agreement(table: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Per field the profile gives: when a matched patient agrees with it, the share of each arm's
    matched patients that do, and whether the match honours it (analytics.candidate.agreement)."""
    rows = []
    for r in each_row(table):
        row = {"Field": r.field, "Agrees when": r.agreement}
        for arm in ARMS:
            share, n = getattr(r, arm), getattr(r, f"n_{arm}")
            hidden = shield.too_few(n) or pd.isna(share)
            row[f"Matched {vocab.ARMS[arm].lower()}"] = DASH if hidden else f"{100 * float(share):.0f}%"
        row["Honoured"] = "yes" if r.honoured else "no"
        rows.append(row)
    return pd.DataFrame(rows, columns=["Field", "Agrees when", "Matched stent", "Matched medical", "Honoured"])


CANDIDATE_ESTIMATE_COLUMNS = [
    "Visit (month)",
    "Estimate",
    "Points (lower is better)",
    "95% CI",
    "95% range, new patient",
]


def candidate_estimates(model: list, matched: pd.DataFrame, matched_design: str = "") -> pd.DataFrame:
    """Per visit: the model's expected change with each treatment for the profile (95% CI, and the
    95% prediction interval for one new patient), their stent − medical difference, and the matched
    patients' own difference in mean change, named by its design (`matched_design`)."""
    rows = []
    for m in model:
        for what, p in (("with a stent", m.stent), ("with medical treatment", m.medical)):
            rows.append(
                {
                    "Visit (month)": m.visit_month,
                    "Estimate": f"Model: {what}",
                    "Points (lower is better)": number(p.expected, 1, signed=True),
                    "95% CI": interval(p.ci_low, p.ci_high, 1),
                    "95% range, new patient": interval(p.pi_low, p.pi_high, 1),
                }
            )
        rows.append(
            {
                "Visit (month)": m.visit_month,
                "Estimate": f"Model: stent − medical ({m.n_stent} / {m.n_medical} randomized)",
                "Points (lower is better)": number(m.diff, 1, signed=True),
                "95% CI": interval(m.ci_low, m.ci_high, 1),
                "95% range, new patient": "",
            }
        )
    design = f", {matched_design}" if matched_design else ""
    for r in each_row(matched):
        rows.append(
            {
                "Visit (month)": int(r.visit_month),
                "Estimate": f"Matched {int(r.n_stent)} / {int(r.n_medical)}: stent − medical{design}",
                "Points (lower is better)": number(r.diff, 1, signed=True),
                "95% CI": interval(r.ci_low, r.ci_high, 1),
                "95% range, new patient": "",
            }
        )
    frame = pd.DataFrame(rows, columns=CANDIDATE_ESTIMATE_COLUMNS)
    return frame.sort_values("Visit (month)", kind="stable").reset_index(drop=True)


def candidate_responders(rates: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Per arm and visit: improved by the threshold, and one band down (Wilson CIs)."""
    rows = []
    for r in each_row(rates.sort_values(["visit_month", "arm"], ascending=[True, False])):
        small = shield.small(int(r.n)) or shield.small(int(r.responders))
        rows.append(
            {
                "Visit (month)": int(r.visit_month),
                "Arm": vocab.ARMS[r.arm],
                "Responded": r.definition,
                "Patients / due": shield.label if small else f"{int(r.responders):,} / {int(r.n):,}",
                "Share (Wilson 95% CI)": DASH if small else estimate_with_ci(r.proportion, r.ci_low, r.ci_high),
            }
        )
    columns = ["Visit (month)", "Arm", "Responded", "Patients / due", "Share (Wilson 95% CI)"]
    return pd.DataFrame(rows, columns=columns)


def candidate_landmarks(marks: pd.DataFrame, what: str, shield: Protection = OFF) -> pd.DataFrame:
    """Estimates at landmarks per arm (Kaplan-Meier or cumulative incidence) with their CIs."""
    rows = []
    for r in each_row(marks):
        hidden = shield.too_few(int(r.at_risk)) or not np.isfinite(r.estimate)
        rows.append(
            {
                "Arm": vocab.ARMS.get(str(r.group), str(r.group)),
                "Years": int(r.years),
                what: DASH if hidden else estimate_with_ci(r.estimate, r.ci_low, r.ci_high),
                "At risk": shield.count(int(r.at_risk)),
            }
        )
    return pd.DataFrame(rows, columns=["Arm", "Years", what, "At risk"])
