"""Who benefits' groups from any patient attribute: a category of the contract's patients table (study,
centre, limb side, CEAP class, ...) or a continuous attribute cut at the points a user types.

A split is formed here, in pandas, from the attribute values the fixed statement queries/patient_splits.sql
returns: no typed value ever reaches SQL. Its groups are disjoint by construction (each patient has one value).

- A category with more than vocab.BENEFIT_MAX_GROUPS levels in the analysis set keeps that many of the
  largest apart (ties: the values' order) and pools the others as one group, "Other", so the model never
  holds dozens of interaction terms fitted on a handful of patients each.
- Cut points c1 < c2 < ... give the ranges x < c1, c1 <= x < c2, ..., x >= ck (each cut point opens the range
  above it); a patient without a value (a BMI not recorded) is in no group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.settings import cut_text

COLUMN = "split"  # the analysis rows' column that holds a patient's group key
METHOD = {  # how the groups were formed, for the page's "How this was computed" (keyed by: cut points?)
    False: f"each patient in the group of their value, at most {vocab.BENEFIT_MAX_GROUPS} of the largest among "
    "the patients seen at the visit apart and the others pooled, from queries/patient_splits.sql",
    True: "each patient in the range of their value, each cut point opening the range above it, a patient "
    "without a value in none, from queries/patient_splits.sql",
}


@dataclass(frozen=True)
class Split:
    """The groups of one attribute: their keys and labels in order, and how a value finds its group."""

    column: str  # the attribute (a column of queries/patient_splits.sql)
    levels: dict[str, str]  # group key -> label, in the order shown
    keys: dict[str, str] = field(default_factory=dict)  # a category's value -> its group key (absent: pooled)
    cuts: tuple[float, ...] = ()  # a continuous attribute's cut points, ascending
    pooled: tuple[str, ...] = ()  # a category's values pooled as vocab.BENEFIT_OTHER

    @property
    def name(self) -> str:
        """The split as a heading says it: "Centre", "Stenosis (%), cut at 70 and 90"."""
        if not self.cuts:
            return vocab.BENEFIT_SPLITS[self.column]
        label, unit, _ = vocab.BENEFIT_CUT_SPLITS[self.column]
        points = cut_text(self.cuts)
        if len(self.cuts) > 1:
            head, _, last = points.rpartition(", ")
            points = f"{head} and {last}"
        return f"{label} ({unit}), cut at {points}"

    def assign(self, values: pd.Series) -> pd.Series:
        """Each value's group key (missing where the value is: that patient is in no group)."""
        if self.cuts:
            x = pd.to_numeric(values, errors="coerce").astype(float)
            ranges = np.searchsorted(np.asarray(self.cuts), x.to_numpy(), side="right") + 1
            return pd.Series(np.where(x.notna(), ranges.astype(str), None), index=values.index, dtype=object)
        found = values.astype(object).map(lambda v: self.keys.get(str(v)) if pd.notna(v) else None)
        if self.pooled:
            found = found.where(found.notna() | values.isna(), vocab.BENEFIT_OTHER)
        return found.astype(object)


def _key(column: str, value: str) -> str:
    prefix = vocab.BENEFIT_DATA_SPLITS.get(column)
    return f"{prefix}:{value}" if prefix else value


def categorical(column: str, values: pd.Series, most: int = vocab.BENEFIT_MAX_GROUPS) -> Split:
    """The groups of a category from its values in the analysis set: a fixed vocabulary's levels in its
    order (limb side, CEAP class), the data's own (study, centre) largest first; beyond `most` levels, the
    `most` largest apart and the others pooled."""
    counts = values.dropna().astype(str).value_counts()
    vocabulary = vocab.LEVELS.get(column)
    if vocabulary is not None:  # a contract vocabulary: its order; a value outside it is its own label
        order = [v for v in vocabulary if v in counts.index] + sorted(v for v in counts.index if v not in vocabulary)
    else:
        order = sorted(counts.index, key=lambda v: (-int(counts[v]), v))
    shown, pooled = order[:most], order[most:]
    named: dict[str, str] = vocabulary or {}
    keys = {str(value): _key(column, str(value)) for value in shown}
    levels: dict[str, str] = {keys[str(value)]: str(named.get(value, value)) for value in shown}
    if pooled:
        other = vocab.BENEFIT_DATA_SPLITS.get(column, "level")
        plural = {"study": "studies", "center": "centres"}.get(other, "levels")
        levels[vocab.BENEFIT_OTHER] = f"Other {plural} ({len(pooled)})"
    return Split(column, levels, keys, pooled=tuple(pooled))


def cut(column: str, cuts: tuple[float, ...]) -> Split:
    """The ranges of a continuous attribute between ascending cut points, labelled as they read:
    "< 50", "50 to < 65", "65+" (the split's name says of what)."""
    points = [cut_text([c]) for c in cuts]
    names = [f"< {points[0]}", *(f"{low} to < {high}" for low, high in zip(points, points[1:], strict=False))]
    names.append(f"{points[-1]}+")
    return Split(column, {str(n): name for n, name in enumerate(names, start=1)}, cuts=tuple(cuts))
