"""Two cohorts side by side: their baseline balance (standardised mean differences between the
cohorts, not the arms), the difference in mean change (Welch), responder rates (Wilson) and
survival (Kaplan-Meier, log-rank). Each function takes the query results of both cohorts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import responders, trajectories
from pts_explorer.analytics.baseline import CATEGORICAL, CONTINUOUS, smd_categorical, smd_continuous
from pts_explorer.filters import CohortFilter
from pts_explorer.rows import each_row

# A query runner: a statement's name and parameters to its result (ui.query on the page, the
# database directly in tests), so what the page shows and what the tests check are one computation.
Query = Callable[[str, dict], pd.DataFrame]
COHORTS = ("A", "B")


@dataclass(frozen=True)
class Comparison:
    """Everything the Compare page shows, before small cells are hidden."""

    sizes: pd.DataFrame  # arm (the chosen arms), in_a, in_b, in_both
    trajectories: pd.DataFrame  # summary_table rows (arm, visit_month, n, mean, sd, ci_low, ci_high) + cohort
    table_one: pd.DataFrame  # table_one_pair
    change: pd.DataFrame  # change_difference
    responders: pd.DataFrame  # responder_pair, every visit
    patency: pd.DataFrame  # km_counts of primary patency, group_value A or B (stented patients)

    @property
    def empty(self) -> bool:
        return not int(self.sizes.in_a.sum()) or not int(self.sizes.in_b.sum())


def within_arms(cohort: CohortFilter, arms: list[str]) -> CohortFilter:
    """The cohort restricted to the chosen arms (unchanged for both)."""
    return cohort if set(arms) >= set(vocab.ARMS) else cohort.intersect(CohortFilter(arm=tuple(arms)))


def compare_cohorts(
    query: Query, a: CohortFilter, b: CohortFilter, arms: list[str], outcome: str, threshold: float
) -> Comparison:
    """Cohorts A and B, each within `arms`, side by side on `outcome` (a vocab.OUTCOMES key)."""
    a, b = within_arms(a, arms), within_arms(b, arms)
    b_params = {f"b_{key}": value for key, value in b.as_params().items()}
    sizes = query("cohort_overlap", {**a.as_params(), **b_params}).set_index("arm")
    sizes = sizes.reindex(arms, fill_value=0).rename_axis("arm").reset_index()
    cohorts = dict(zip(COHORTS, (a, b), strict=True))
    summaries = {
        name: query("trajectory_summary", {**c.as_params(), "outcome": outcome, "by_study": False})
        for name, c in cohorts.items()
    }
    summaries = {name: s[s.arm.isin(arms)] for name, s in summaries.items()}
    shown = [trajectories.summary_table(s, change=False).assign(cohort=name) for name, s in summaries.items()]
    table_one = table_one_pair(
        query("baseline_continuous", a.as_params()),
        query("baseline_categorical", a.as_params()),
        query("baseline_continuous", b.as_params()),
        query("baseline_categorical", b.as_params()),
        arms,
    )
    responder_params = {"threshold": float(threshold), "randomized_only": False, "days_per_month": vocab.DAYS_PER_MONTH}
    rates = responder_pair(
        query("responders_by_visit", {**a.as_params(), **responder_params}),
        query("responders_by_visit", {**b.as_params(), **responder_params}),
        "responders_points",
        "nri",
    )
    patency_params = {"endpoint": "primary_patency", "group": "arm", "randomized_only": False}
    patency = pd.concat(
        [query("km_counts", {**c.as_params(), **patency_params}).assign(group_value=n) for n, c in cohorts.items()],
        ignore_index=True,
    )
    return Comparison(
        sizes=sizes,
        trajectories=pd.concat(shown, ignore_index=True),
        table_one=table_one,
        change=change_difference(summaries["A"], summaries["B"]),
        responders=rates[rates.arm.isin(arms)].reset_index(drop=True),
        patency=patency,
    )


def pooled_continuous(cont: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """variable, n, mean, sd over the chosen arms, from baseline_continuous rows (per arm n, mean,
    sd): exact pooling of the arms' means and variances."""
    by_variable: dict[str, list[tuple[float, float, float]]] = {}
    for variable, arm, n, mean, sd in zip(cont.variable, cont.arm, cont.n, cont["mean"], cont.sd, strict=True):
        if arm in arms and n > 0:
            by_variable.setdefault(variable, []).append((float(n), float(mean), 0.0 if pd.isna(sd) else float(sd)))
    rows = []
    for variable in CONTINUOUS:
        groups = np.array(by_variable.get(variable, []), dtype=float).reshape(-1, 3)
        n = float(groups[:, 0].sum())
        if n == 0:
            rows.append({"variable": variable, "n": 0, "mean": np.nan, "sd": np.nan})
            continue
        sizes, means, sds = groups.T
        mean = float((sizes * means).sum() / n)
        within = ((sizes - 1) * sds**2).sum()
        between = (sizes * (means - mean) ** 2).sum()
        sd = float(np.sqrt((within + between) / (n - 1))) if n > 1 else np.nan
        rows.append({"variable": variable, "n": int(n), "mean": mean, "sd": sd})
    return pd.DataFrame(rows)


def table_one_pair(
    cont_a: pd.DataFrame, cat_a: pd.DataFrame, cont_b: pd.DataFrame, cat_b: pd.DataFrame, arms: list[str]
) -> pd.DataFrame:
    """Per characteristic (and level): each cohort's summary and the SMD between the cohorts.

    Columns: variable, level (None for a continuous characteristic or a categorical header),
    n_a, mean_a, sd_a, share_a, n_b, mean_b, sd_b, share_b, smd.
    """
    a, b = pooled_continuous(cont_a, arms), pooled_continuous(cont_b, arms)
    rows = []
    for ra, rb in zip(each_row(a), each_row(b), strict=True):
        smd = smd_continuous(ra.mean, ra.sd, rb.mean, rb.sd) if ra.n > 1 and rb.n > 1 else np.nan
        rows.append(
            {
                "variable": ra.variable,
                "level": None,
                "n_a": ra.n,
                "mean_a": ra.mean,
                "sd_a": ra.sd,
                "n_b": rb.n,
                "mean_b": rb.mean,
                "sd_b": rb.sd,
                "smd": smd,
            }
        )
    size_a = _patients(cont_a, arms)
    size_b = _patients(cont_b, arms)
    ca, cb = _level_counts(cat_a, arms), _level_counts(cat_b, arms)
    for variable, vocabulary in CATEGORICAL.items():
        found_a, found_b = ca.get(variable, {}), cb.get(variable, {})
        levels = sorted(set(found_a) | set(found_b))
        order = [lvl for lvl in (vocabulary or {}) if lvl in levels] or levels
        counts_a = pd.Series([found_a.get(lvl, 0) for lvl in order], index=order, dtype="int64")
        counts_b = pd.Series([found_b.get(lvl, 0) for lvl in order], index=order, dtype="int64")
        share_a = counts_a / size_a if size_a else counts_a * np.nan
        share_b = counts_b / size_b if size_b else counts_b * np.nan
        smd = (
            smd_categorical(share_a.to_numpy(), share_b.to_numpy()) if size_a and size_b and len(order) > 1 else np.nan
        )
        rows.append({"variable": variable, "level": None, "smd": smd})
        for level in order:
            rows.append(
                {
                    "variable": variable,
                    "level": level,
                    "n_a": int(counts_a[level]),
                    "share_a": share_a[level],
                    "n_b": int(counts_b[level]),
                    "share_b": share_b[level],
                    "smd": np.nan,
                }
            )
    return pd.DataFrame(rows)


def _level_counts(cat: pd.DataFrame, arms: list[str]) -> dict[str, dict[str, int]]:
    """Level counts over the chosen arms, from baseline_categorical rows: variable -> level -> n."""
    counts: dict[str, dict[str, int]] = {}
    for variable, level, arm, n in zip(cat.variable, cat.level, cat.arm, cat.n, strict=True):
        if arm in arms:
            levels = counts.setdefault(variable, {})
            levels[level] = levels.get(level, 0) + int(n)
    return counts


def _patients(cont: pd.DataFrame, arms: list[str]) -> int:
    sizes = cont[cont.arm.isin(arms)].groupby("arm").patients.max()
    return int(sizes.sum())


def change_difference(traj_a: pd.DataFrame, traj_b: pd.DataFrame) -> pd.DataFrame:
    """Per arm and post-baseline visit: cohort A minus cohort B in mean change from baseline, with
    Welch's 95% CI and p (trajectory_summary rows of each cohort; NaN where a side has n < 2).
    Patients in both cohorts count in both: the two samples then overlap and the CI is too narrow."""
    keys = ["arm", "visit_month"]
    columns = keys + ["n_change", "mean_change", "sd_change"]
    merged = traj_a[columns].merge(traj_b[columns], on=keys, suffixes=("_a", "_b"))
    rows = []
    for r in each_row(merged[merged.visit_month > 0]):
        welch = trajectories.welch_difference(
            r.n_change_a, r.mean_change_a, r.sd_change_a, r.n_change_b, r.mean_change_b, r.sd_change_b
        )
        rows.append(
            {
                "arm": r.arm,
                "visit_month": int(r.visit_month),
                "n_a": int(r.n_change_a),
                "mean_change_a": r.mean_change_a,
                "n_b": int(r.n_change_b),
                "mean_change_b": r.mean_change_b,
                **welch,
            }
        )
    return pd.DataFrame(rows, columns=[*keys, "n_a", "mean_change_a", "n_b", "mean_change_b", *RESULT])


RESULT = ("diff", "ci_low", "ci_high", "df", "p_value")


def responder_pair(agg_a: pd.DataFrame, agg_b: pd.DataFrame, definition: str, imputation: str) -> pd.DataFrame:
    """Each cohort's responder share per arm and visit (responders_by_visit rows), Wilson 95% CIs."""
    a = responders.proportions(agg_a, definition, imputation).assign(cohort="A")
    b = responders.proportions(agg_b, definition, imputation).assign(cohort="B")
    return pd.concat([a, b], ignore_index=True)
