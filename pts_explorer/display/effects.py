"""Treatment effects by subgroup, as presented: the forest's table and summary, and the subgroup
rows and symptom profile with their small cells hidden."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import counts, interval, number
from pts_explorer.privacy import Protection


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


def _mask_across_factors(long: pd.DataFrame, shield: Protection) -> np.ndarray:
    """Which (factor, level, arm) counts to hide. Within a factor the levels add up to the arm
    (complementary suppression); and one group can stand in two factors (a named subgroup that is a
    level of another factor, "Femoral obstruction" and "Obstruction site: Femoral"), so a count
    hidden in one factor is hidden wherever the same count of that arm appears, and the lines are
    balanced again, until nothing changes. Equal counts of different groups are hidden too: more
    than needed, never less."""
    also = np.zeros(len(long), dtype=bool)
    while True:
        hidden = shield.mask_frame(long, "value", [["factor", "arm"]], also=also).to_numpy()
        secret = {(arm, value) for arm, value, h in zip(long.arm, long.value, hidden, strict=True) if h}
        more = np.array([(a, v) in secret for a, v in zip(long.arm, long.value, strict=True)]) & ~hidden
        if not more.any():
            return hidden
        also = hidden | more


def protect_forest(forest: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """Subgroup rows with their small counts hidden: the levels of a factor add up to the arm, so
    a second count is hidden where one is; no estimate for a level with fewer than k in an arm."""
    if not shield.active:
        return forest
    out = forest.copy()
    long = out.melt(
        id_vars=["factor", "level"], value_vars=["n_stent", "n_medical"], var_name="arm", ignore_index=False
    )
    long["hidden"] = _mask_across_factors(long.reset_index(drop=True), shield)
    for arm in ("n_stent", "n_medical"):
        hidden = long[long.arm == arm].hidden.reindex(out.index)
        out[f"{arm}_text"] = [shield.label if h else f"{int(n):,}" for n, h in zip(out[arm], hidden, strict=True)]
    small = out.n_stent.map(shield.too_few) | out.n_medical.map(shield.too_few)
    out.loc[small, ["estimate", "ci_low", "ci_high"]] = np.nan
    out.loc[small, "estimable"] = False
    return out


def subgroup_table(forest: pd.DataFrame, outcome: vocab.Outcome) -> pd.DataFrame:
    d = outcome.decimals + 1
    return pd.DataFrame(
        {
            "Factor": forest.factor_label,
            "Subgroup": forest.level_label,
            "n stent": counts(forest, "n_stent"),
            "n medical": counts(forest, "n_medical"),
            f"Difference, {outcome.change_unit}": [number(v, d, signed=True) for v in forest.estimate],
            "95% CI": [interval(lo, hi, d) for lo, hi in zip(forest.ci_low, forest.ci_high, strict=True)],
        }
    )


def summary_forest(forest: pd.DataFrame, overall: float, outcome: vocab.Outcome) -> str:
    shown = forest[forest.estimable]
    text = f"Overall adjusted difference {number(overall, 2, signed=True)} {outcome.change_unit}"
    if shown.empty:
        return text + "; no subgroup estimable."
    best = shown.loc[shown.estimate.idxmin() if not outcome.higher_is_better else shown.estimate.idxmax()]
    estimate = number(best.estimate, 2, signed=True)
    return f"{text}; largest benefit in {best.factor_label.lower()} {best.level_label}: {estimate}."
