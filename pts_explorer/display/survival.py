"""Time to event, as presented: medians, hazard ratios, proportional-hazards checks, curve
summaries, and curves cut where too few patients remain at risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import format_p, interval, number, percent, sentence
from pts_explorer.privacy import Protection
from pts_explorer.rows import each_row


def median_label(row: pd.Series) -> str:
    """'12.3 (9.8-15.1)' from a survival.medians() row; 'not reached' / 'NR' where the curve
    stays above 50%."""
    if pd.isna(row.median_months):
        return "not reached"
    high = "NR" if pd.isna(row.ci_high) else number(row.ci_high, 1)
    return f"{number(row.median_months, 1)} ({number(row.ci_low, 1)}-{high})"


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
        f"{1 + pairwise} p-values compare the groups ({overall} across {'both' if groups == 2 else f'all {groups}'} "
        f"groups, and {pairwise} "
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


def summary_curves(marks: pd.DataFrame, labels: dict[str, str]) -> str:
    shown = marks[marks.at_risk > 0]
    if shown.empty:
        return "Nobody is followed for a year."
    year = int(shown.years.max() if (shown.years == 5).sum() == 0 else 5)
    at = shown[shown.years == year]
    parts = [f"{labels.get(r.group, r.group)} {percent(r.estimate)}" for r in each_row(at)]
    return f"At {year} year{'s' * (year > 1)}: " + ", ".join(parts) + "."
