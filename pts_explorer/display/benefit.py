"""Who benefits, as tables and sentences: the effect per group, the differences in effect with their
adjusted p-values, and what the numbers support in words."""

from __future__ import annotations

import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import counts, format_p, interval, number, p_clause


def benefit_groups(groups: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    """groups: label, n_stent(_text), n_medical(_text), estimate, ci_low, ci_high, p_value."""
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Group": groups.label,
            "n stent": counts(groups, "n_stent"),
            "n medical": counts(groups, "n_medical"),
            f"Effect, {outcome.change_unit}": [number(v, d, signed=True) for v in groups.estimate],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(groups.ci_low, groups.ci_high, strict=True)],
            "p": [format_p(p) for p in groups.p_value],
        }
    )


def benefit_differences(differences: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    """differences: label, estimate, ci_low, ci_high, p_value, p_holm."""
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Difference in effect": differences.label,
            f"Difference, {outcome.change_unit}": [number(v, d, signed=True) for v in differences.estimate],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(differences.ci_low, differences.ci_high, strict=True)],
            "p (interaction)": [format_p(p) for p in differences.p_value],
            "p, Holm-adjusted": [format_p(p) for p in differences.p_holm],
        }
    )


def difference_label(level: str, reference: str) -> str:
    return f"{level} − {reference}"


def summary_benefit(groups: pd.DataFrame, differences: pd.DataFrame, interaction_p: float, unit: str) -> str:
    """The key chart in one sentence: each group's effect, each difference, the interaction test."""
    shown = groups[groups.estimable]
    parts = [f"{row.label} {number(row.estimate, 2, signed=True)}" for row in shown.itertuples()]
    text = f"Effect (stent − medical, {unit}) by group: " + ("; ".join(parts) if parts else "none estimable")
    if not differences.empty:
        text += ". Differences in effect: " + "; ".join(
            f"{row.label} {number(row.estimate, 2, signed=True)} ({interval(row.ci_low, row.ci_high)})"
            for row in differences.itertuples()
        )
        text += f". Interaction test {p_clause(interaction_p)}."
    return text


def reading(differences: pd.DataFrame, interaction_p: float, randomized: bool, unit: str) -> list[str]:
    """What a reviewer asks of a heterogeneity claim, answered from these numbers."""
    lines: list[str] = []
    if differences.empty:
        return lines
    lines.append(
        "Within the randomized trial(s): each group's effect compares randomized arms; the groups themselves were "
        "not randomized, so a difference between groups may reflect other ways the groups differ."
        if randomized
        else "Registry patients included: the arms were not randomized, so each group's effect, and the difference "
        "between groups, is observational."
    )
    for row in differences.itertuples():
        excludes_zero = row.ci_low > 0 or row.ci_high < 0
        width = row.ci_high - row.ci_low
        lines.append(
            f"{row.label}: {number(row.estimate, 2, signed=True)} {unit}"
            + (
                "; its 95% CI excludes no difference."
                if excludes_zero
                else f"; its 95% CI ({interval(row.ci_low, row.ci_high)}, {number(width, 1)} {unit} wide) includes no "
                "difference: these data cannot tell whether the effect differs between these groups."
            )
        )
    if len(differences) > 1:
        lines.append(
            f"One test of whether the effect differs between any of the groups (F-test of all cohort × arm terms): "
            f"{p_clause(interaction_p)}."
        )
    return lines


def summary_curve(
    points: pd.DataFrame, boundary: tuple[float, float], interaction_p: float, modifier: str, unit: str
) -> str:
    """The curve in one sentence: the effect at both ends of the modifier's range, and the test."""
    first, last = points.estimate.iloc[0], points.estimate.iloc[-1]
    return (
        f"Stent − medical along {modifier.lower()}: {number(first, 2, signed=True)} {unit} at "
        f"{number(boundary[0], 0)}, {number(last, 2, signed=True)} {unit} at {number(boundary[1], 0)}; "
        f"interaction {p_clause(interaction_p)}."
    )
