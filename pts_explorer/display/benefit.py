"""Who benefits, as tables and sentences: the effect per group, the differences in effect with their
adjusted p-values, and what the numbers support in words."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import DASH, counts, format_p, interval, number, p_clause
from pts_explorer.privacy import Protection


def benefit_groups(groups: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    """groups: label, n_stent(_text), n_medical(_text), estimate, ci_low, ci_high, p_value, design."""
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Group": groups.label,
            "n stent": counts(groups, "n_stent"),
            "n medical": counts(groups, "n_medical"),
            f"Effect, {outcome.change_unit}": [number(v, d, signed=True) for v in groups.estimate],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(groups.ci_low, groups.ci_high, strict=True)],
            "p": [format_p(p) for p in groups.p_value],
            "Design": groups.design,
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


def summary_benefit(
    groups: pd.DataFrame, differences: pd.DataFrame, interaction_p: float, unit: str, decimals: int = 2
) -> str:
    """The key chart in one sentence: each group's effect, each difference, the interaction test."""
    shown = groups[groups.estimable]
    parts = [f"{row.label} {number(row.estimate, decimals, signed=True)}" for row in shown.itertuples()]
    text = f"Effect (stent − medical, {unit}) by group: " + ("; ".join(parts) if parts else "none estimable")
    small = groups.label[~groups.estimable.astype(bool)].tolist()
    if small and parts:
        text += f"; too few patients to estimate: {', '.join(small)}"
    if not differences.empty:
        text += ". Differences in effect: " + "; ".join(
            f"{row.label} {number(row.estimate, decimals, signed=True)} ({interval(row.ci_low, row.ci_high, decimals)})"
            for row in differences.itertuples()
        )
        text += f". Interaction test {p_clause(interaction_p)}."
    return text


def _direction(estimate: float, level: str, reference: str, higher_is_better: bool) -> str:
    """A difference in the stent's effect in words: where the benefit is larger."""
    larger = (estimate > 0) == higher_is_better
    return f"the stent's benefit is {'larger' if larger else 'smaller'} in {level} than in {reference}"


def design_of(kinds: set[str]) -> str:
    """A group's design from its patients' studies' designs."""
    kinds = {k for k in kinds if isinstance(k, str)}
    if kinds == {"randomized"}:
        return "randomized"
    if kinds == {"observational"}:
        return "observational"
    return "pooled randomized and observational" if kinds else "no patients"


def design_words(designs: dict[str, str]) -> str:
    """The design of each group's comparison in one sentence, from {group label: "randomized",
    "observational" or "pooled randomized and observational"}."""
    kinds = set(designs.values())
    if kinds == {"randomized"}:
        return (
            "Within the randomized trial(s): each group's effect compares randomized arms; the groups themselves were "
            "not randomized, so a difference between groups may reflect other ways the groups differ."
        )
    if "randomized" not in kinds:
        return (
            "Registry patients included: the arms were not randomized, so each group's effect, and the difference "
            "between groups, is observational."
        )
    listed = "; ".join(f"{label}: {design}" for label, design in designs.items())
    return (
        f"The groups differ in design ({listed}): a randomized group's effect compares randomized arms, the others' "
        "are observational, and a difference between groups is observational."
    )


def reading(
    differences: pd.DataFrame, interaction_p: float, designs: dict[str, str], outcome: vocab.Outcome
) -> list[str]:
    """What a reviewer asks of a heterogeneity claim, answered from these numbers: the design of each
    group, each difference with its sign and CI (a direction claimed only where the CI excludes 0),
    and whether it holds once the differences shown are adjusted (Holm)."""
    lines: list[str] = []
    if differences.empty:
        return lines
    lines.append(design_words(designs))
    d, unit, several = outcome.decimals + 1, outcome.change_unit, len(differences) > 1
    for row in differences.itertuples():
        level, reference = row.label.split(" − ", 1)
        size = (
            f"difference in effect {number(row.estimate, d, signed=True)} {unit} "
            f"(95% CI {interval(row.ci_low, row.ci_high, d)})"
        )
        if not (row.ci_low > 0 or row.ci_high < 0):
            lines.append(
                f"{level} − {reference}: {size}; the CI includes 0: these data cannot tell whether the stent's "
                "benefit differs between these groups."
            )
            continue
        if several and row.p_holm >= 0.05:
            verdict = (
                f"the CI excludes 0 before adjustment, but not once the {len(differences)} differences shown are "
                f"adjusted (Holm-adjusted {p_clause(row.p_holm)}): not conclusive"
            )
            lines.append(
                f"the point estimate of {_direction(row.estimate, level, reference, outcome.higher_is_better)}: "
                f"{size}; {verdict}."
            )
            continue
        verdict = "the CI excludes 0"
        if several:  # beside the claim, the one test of all groups at once
            verdict += f" (Holm-adjusted {p_clause(row.p_holm)}); the interaction F-test of all groups at once: " + (
                f"{p_clause(interaction_p)}"
                if interaction_p < 0.05
                else f"{p_clause(interaction_p)}, which does not show the effect differing between the groups: read "
                "this difference with caution"
            )
        lines.append(f"{_direction(row.estimate, level, reference, outcome.higher_is_better)}: {size}; {verdict}.")
    lines[1:] = [line[:1].upper() + line[1:] for line in lines[1:]]
    if several:
        lines.append(
            f"One test of whether the effect differs between any of the groups (F-test of all group × arm terms): "
            f"{p_clause(interaction_p)}."
        )
    return lines


def supported(row: Any, several: bool) -> bool:
    """Does a difference (a row of the differences: ci_low, ci_high, p_holm) support a claim in words?
    Its CI excludes 0 and, when several are shown, its Holm-adjusted p is below 0.05."""
    return _excludes_zero(row) and not (several and not row.p_holm < 0.05)


def summary_curve(
    points: pd.DataFrame,
    at: tuple[float, float],
    interaction_p: float,
    modifier: str,
    unit: str,
    decimals: int = 2,
) -> str:
    """The curve in one sentence: the effect at the 10th and 90th percentiles of the patients' values
    (not at the ends of the range, where a few patients make the curve swing), and the test."""
    first, last = (float(np.interp(x, points.x, points.estimate)) for x in at)
    return (
        f"Stent − medical along {modifier}: {number(first, decimals, signed=True)} {unit} at "
        f"{number(at[0], 0)} (10th percentile of the patients), {number(last, decimals, signed=True)} {unit} at "
        f"{number(at[1], 0)} (90th percentile); interaction {p_clause(interaction_p)}."
    )


def benefit_mmrm(
    effects: pd.DataFrame, differences: pd.DataFrame, names: dict[str, str], reference: str, outcome: vocab.Outcome
) -> pd.DataFrame:
    """The MMRM's effect at the visit in each group (per study when several), beside its difference
    from the reference group. effects: level, study_id, n_stent(_text), n_medical(_text), estimate,
    ci_low, ci_high, p_value (hidden small cells: NaN); differences: level, study_id, estimate,
    ci_low, ci_high, p_value."""
    d = outcome.decimals + 1
    against = {(r["level"], r["study_id"]): r for r in differences.to_dict("records")}

    def difference(level: str, study: str, column: str) -> float:
        found = against.get((level, study))
        return float(found[column]) if found is not None else float("nan")

    keys = list(zip(effects.level, effects.study_id, strict=True))
    table = {
        "Group": [names[level] for level in effects.level],
        "Study": effects.study_id.tolist(),
        "n stent": counts(effects, "n_stent"),
        "n medical": counts(effects, "n_medical"),
        f"Effect, {outcome.change_unit}": [number(v, d, signed=True) for v in effects.estimate],
        "95% CI": [interval(lo, hi, d) for lo, hi in zip(effects.ci_low, effects.ci_high, strict=True)],
        "p": [format_p(p) for p in effects.p_value],
        f"Difference from {names[reference]}": [
            "reference" if level == reference else number(difference(level, study, "estimate"), d, signed=True)
            for level, study in keys
        ],
        "95% CI of the difference": [
            ""
            if level == reference
            else interval(difference(level, study, "ci_low"), difference(level, study, "ci_high"), d)
            for level, study in keys
        ],
        "p (difference)": [
            "" if level == reference else format_p(difference(level, study, "p_value")) for level, study in keys
        ],
    }
    out = pd.DataFrame(table)
    return out if effects.study_id.nunique() > 1 else out.drop(columns="Study")


def benefit_hazards(
    effects: pd.DataFrame, differences: list, names: dict[str, str], reference: str, shield: Protection
) -> pd.DataFrame:
    """The hazard ratio (stent vs medical) in each group beside its ratio to the reference group's.
    effects: level, n_stent, n_medical, events_stent, events_medical, estimate, ci_low, ci_high,
    p_value; differences: heterogeneity.Difference (ratios of hazard ratios). A group with fewer
    than k patients in an arm has its counts and estimates hidden (small-cell protection)."""
    by_level = {d.level: d for d in differences}
    rows = []
    for r in effects.itertuples():
        hidden = shield.too_few(r.n_stent) or shield.too_few(r.n_medical)
        ratio = by_level.get(r.level)
        rows.append(
            {
                "Group": names[r.level],
                "Patients, stent": shield.count(r.n_stent),
                "Patients, medical": shield.count(r.n_medical),
                "Events, stent": shield.count(r.events_stent),
                "Events, medical": shield.count(r.events_medical),
                "Hazard ratio": DASH if hidden else number(r.estimate, 2),
                "95% CI": DASH if hidden else interval(r.ci_low, r.ci_high, 2),
                "p": DASH if hidden else format_p(r.p_value),
                f"Ratio to {names[reference]}": "reference"
                if r.level == reference
                else DASH
                if hidden or ratio is None
                else number(ratio.estimate, 2),
                "95% CI of the ratio": ""
                if r.level == reference or hidden or ratio is None
                else interval(ratio.ci_low, ratio.ci_high, 2),
                "p (interaction)": "" if r.level == reference or hidden or ratio is None else format_p(ratio.p_value),
            }
        )
    return pd.DataFrame(rows)


def _excludes_zero(row: Any) -> bool:
    return bool(row.ci_low > 0 or row.ci_high < 0)


def _months(months: list[int]) -> str:
    return "month " + str(months[0]) if len(months) == 1 else "months " + ", ".join(str(m) for m in months)


def consistency(
    level: str,
    reference: str,
    estimate: float,
    visits: pd.DataFrame,
    outcomes: pd.DataFrame,
    outcome: vocab.Outcome,
    month: int,
    claimed: bool = True,
) -> list[str]:
    """Is a difference in effect (`estimate`, on `outcome` at `month`) consistent? How many other
    visits, and other outcomes at that month, point the same way, and where the CI excludes 0, in
    words. visits: key (month), estimate, ci_low, ci_high of this level's difference (the chosen
    month among them); outcomes: key (an outcome's column), the same. claimed: whether the difference
    itself supports a claim (see supported); if not, the lines speak of point estimates only. These
    lines are not adjusted for multiplicity, and say so."""
    larger_here = (estimate > 0) == outcome.higher_is_better
    way = f"{'larger' if larger_here else 'smaller'} in {level} than in {reference}"
    subject = "the stent's benefit is" if claimed else "the point estimate of the stent's benefit is"
    nothing = "" if claimed else ": no evidence of a difference"
    lines = []
    others = visits[visits.key != month]
    if not others.empty:
        same = [
            int(r.key) for r in others.itertuples() if ((r.estimate > 0) == outcome.higher_is_better) == larger_here
        ]
        clear_same = [int(r.key) for r in others.itertuples() if _excludes_zero(r) and int(r.key) in same]
        clear_other = [int(r.key) for r in others.itertuples() if _excludes_zero(r) and int(r.key) not in same]
        lines.append(
            f"Across visits ({outcome.label}; not adjusted for multiplicity): {subject} {way}, as at month {month}, at "
            f"{len(same)} of the {len(others)} other visits with an estimate"
            + (f" ({_months(same)})" if same and len(same) < len(others) else "")
            + (f"; the CI excludes 0 at {_months(clear_same)}" if clear_same else "")
            + (f"; at {_months(clear_other)} the CI excludes 0 the other way" if clear_other else "")
            + ("; the CI includes 0 at each of them" + nothing if not clear_same and not clear_other else "")
            + "."
        )
    if not outcomes.empty:
        same_names: list[str] = []
        other_names: list[str] = []
        named_same: list[str] = []
        named_other: list[str] = []
        for r in outcomes.itertuples():
            other = vocab.OUTCOMES[str(r.key)]
            agrees = ((r.estimate > 0) == other.higher_is_better) == larger_here
            (same_names if agrees else other_names).append(other.label)
            if _excludes_zero(r):
                (named_same if agrees else named_other).append(other.label)
        lines.append(
            f"Across outcomes at month {month} (not adjusted for multiplicity): {subject} {way} on "
            f"{len(same_names)} of the {len(outcomes)} other outcomes with an estimate"
            + (f" (not on {', '.join(other_names)})" if other_names and same_names else "")
            + (f"; the CI excludes 0 on {', '.join(named_same)}" if named_same else "")
            + (f"; on {', '.join(named_other)} the CI excludes 0 the other way" if named_other else "")
            + ("; the CI includes 0 on each" + nothing if not named_same and not named_other else "")
            + "."
        )
    return lines


def estimates_text(frame: pd.DataFrame, decimals: int) -> list[str]:
    """Each row's estimate and 95% CI as the chart writes them beside its interval: "-5.94 (-7.52 to -4.37)"."""
    return [
        f"{number(e, decimals, signed=True)} ({interval(lo, hi, decimals)})"
        for e, lo, hi in zip(frame.estimate, frame.ci_low, frame.ci_high, strict=True)
    ]
