"""Numbers and names into text a reader expects: p-values, intervals, counts, SMDs, sizes and
follow-up; the dash of a value that cannot be computed; the arms and the baseline variables' labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.numbers import half_up
from pts_explorer.privacy import OFF, Protection

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


def visit_multiplicity_note(shown: int) -> str:
    """The caution beside per-visit comparisons shown side by side, each with its own interval and
    p-value (Trajectories' unadjusted differences, Effects' MMRM): `shown` p-values, none adjusted."""
    return (
        f"Multiplicity: {shown} visit comparisons are shown side by side, each with its own 95% CI and p-value, "
        "with no adjustment for multiple comparisons; at 5% each, some can look significant by chance alone, "
        "so read the pattern over the visits rather than a single visit."
    )


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


def estimate_with_ci(estimate: float, low: float, high: float) -> str:
    """'81.2% (76.0%-85.5%)' for a share with its interval."""
    return f"{percent(estimate, 1)} ({percent(low, 1)}-{percent(high, 1)})"


def _mean_sd(n: int, mean: float, sd: float, shield: Protection = OFF) -> str:
    if n == 0:
        return DASH
    if shield.too_few(n):
        return f"n {shield.label}"
    return f"{number(mean, 1)} ({number(sd, 1)})" if n > 1 else number(mean, 1)


def _count_share(n: int, share: float, with_share: bool = True) -> str:
    if pd.isna(share):
        return DASH
    return f"{n:,} ({percent(share)})" if with_share else f"{n:,}"


NOT_COMPUTABLE = "not computable (fewer than 2 patients, or no event)"


def said_hidden(text: str, hidden: bool, shield: Protection) -> str:
    """A statistic's cell as a slide says it aloud: where small-cell protection took its value (`hidden`),
    its dash reads as the tables write a hidden count (Protection.label), since a result that protection
    hides is said to be hidden, not "not computable" (README, Presenting; review 27e, finding 3: the
    TRIAL's IVC difference read "–" on a slide). Any other text, a computed value or a dash of a result
    not computable, stays as it is."""
    return shield.label if hidden and text == DASH else text


def not_computable_why(counts: pd.Series, computed: pd.Series) -> str:
    """A table's dashes explained by the reasons its rows hold, each in its own words, rather than
    NOT_COMPUTABLE's either-or: of the rows whose statistic (`computed`: an interval's bound) is missing,
    those with fewer than 2 patients (`counts`, the smaller arm's for a difference; a hidden count is
    taken as fewer) and those with 2 or more, whose values have zero variance (review 17, finding 9: a
    table of 3 patients an arm whose changes were alike read "fewer than 2 patients, or no event")."""
    missing = computed.isna().to_numpy()
    enough = (pd.to_numeric(counts, errors="coerce") >= 2).to_numpy()
    reasons = [
        words
        for words, found in (
            ("fewer than 2 patients", (missing & ~enough).any()),
            ("zero variance: every patient's value the same", (missing & enough).any()),
        )
        if found
    ]
    return f"not computable ({'; '.join(reasons)})" if reasons else NOT_COMPUTABLE


SMD_FLAG = "▲"  # |SMD| above 0.1


def counts(frame: pd.DataFrame, column: str) -> pd.Series:
    """A count column as shown: its small-cell-protected text when there is one, else the numbers."""
    return frame.get(f"{column}_text", frame[column])


def number(value: object, decimals: int = 2, signed: bool = False) -> str:
    """A number to `decimals` places (half away from zero); a dash for a missing one; never '-0.00'."""
    if value is None or not isinstance(value, int | float | np.integer | np.floating) or not np.isfinite(value):
        return DASH
    rounded = half_up(float(value), decimals) or 0.0  # -0.0 becomes 0.0
    return f"{rounded:+.{decimals}f}" if signed and rounded != 0 else f"{rounded:.{decimals}f}"


def percent(share: object, decimals: int = 0) -> str:
    """A share (0-1) as a percentage to `decimals` places, half away from zero: '32.5%' or '33%'."""
    text = number(100 * share if isinstance(share, int | float | np.integer | np.floating) else None, decimals)
    return text if text == DASH else f"{text}%"


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


def _arms(values: dict[str, str]) -> str:
    return ", ".join(f"{vocab.ARMS.get(arm, arm).lower()} {text}" for arm, text in values.items())


NO_ESTIMATE = (
    "Nobody is followed for a year.",
    "Too few patients are followed to the first landmark to give an estimate.",
)
"""The text alternatives of a survival or incidence chart without an estimate to give."""


def rounded_count(n: float | int, k: int) -> str:
    """A number at risk under protection: 0; "hidden" from 1 to k-1; else the nearest multiple of k."""
    if n is None or (isinstance(n, float) and np.isnan(n)):
        return ""
    n = int(n)
    if n <= 0:
        return "0"
    if n < k:
        return "hidden"
    return f"{int(np.floor(n / k + 0.5)) * k:,}"
