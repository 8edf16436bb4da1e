"""Two cohorts side by side: their baseline balance (standardised mean differences between the
cohorts, not the arms), the difference in mean change (Welch), responder rates (Wilson) and
survival (Kaplan-Meier, log-rank). Each function takes the query results of both cohorts.

Patients can be in both cohorts. Counted in each, they make the two cohorts' means positively
correlated (Welch's interval, which assumes independent samples, is then too wide and its p too
large), they dilute the difference (when one cohort contains the other, A - B is (1 - nB/nA) times
the difference between B and the rest of A), and a log-rank test over patients listed twice is not
valid. `compare_cohorts(..., apart=True)` compares groups that share no patient instead: B against
the rest of A when A contains B (and the other way round), A only against B only when they partly
overlap (queries/shared/cohort_without_b.sql)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import responders, trajectories
from pts_explorer.analytics.baseline import CATEGORICAL, CONTINUOUS, smd_categorical, smd_continuous
from pts_explorer.filters import NOBODY, CohortFilter
from pts_explorer.rows import each_row

# A query runner: a statement's name and parameters to its result (ui.query on the page, the
# database directly in tests), so what the page shows and what the tests check are one computation.
Query = Callable[[str, dict], pd.DataFrame]
COHORTS = ("A", "B")
WITHOUT = "@cohort_without_b"  # a statement over one cohort's patients that the other does not hold

# How the two cohorts' patients relate (within the chosen arms).
DISJOINT, B_IN_A, A_IN_B, OVERLAP, SAME = "disjoint", "b_in_a", "a_in_b", "overlap", "same"


def arms_of(choice: str) -> list[str]:
    """The arms Compare's arm choice (vocab.COMPARE_ARMS) compares within."""
    return list(vocab.ARMS) if choice == "both" else [choice]


def relation_of(sizes: pd.DataFrame) -> str:
    """DISJOINT, B_IN_A (every patient of B is in A, A holds more), A_IN_B, OVERLAP (some in both,
    each holds patients the other does not) or SAME (the same patients), from cohort_overlap rows."""
    in_a, in_b, both = (int(sizes[c].sum()) for c in ("in_a", "in_b", "in_both"))
    if not both:
        return DISJOINT
    if both == in_a == in_b:
        return SAME
    if both == in_b:
        return B_IN_A
    if both == in_a:
        return A_IN_B
    return OVERLAP


def side_labels(relation: str, apart: bool) -> dict[str, str]:
    """What each side of the comparison holds, in words a reader takes at face value."""
    if not apart:
        return {"A": "A", "B": "B"}
    return {
        B_IN_A: {"A": "A without B", "B": "B"},
        A_IN_B: {"A": "A", "B": "B without A"},
        OVERLAP: {"A": "A only", "B": "B only"},
    }.get(relation, {"A": "A", "B": "B"})


@dataclass(frozen=True)
class Side:
    """The patients of one side: a cohort's filter, less the patients of `without` (if any)."""

    cohort: CohortFilter
    without: CohortFilter | None = None

    def statement(self, name: str, extra: Mapping[str, object], study: str | None = None) -> tuple[str, dict]:
        """The statement and parameters of `name` over this side's patients (within one study if given)."""
        cohort = self.cohort if study is None else self.cohort.intersect(CohortFilter(study=(study,)))
        params = {**cohort.as_params(), **extra}
        if self.without is None:
            return name, params
        b_params = {f"b_{key}": value for key, value in self.without.as_params().items()}
        return name + WITHOUT, {**params, **b_params}

    def run(self, query: Query, name: str, extra: Mapping[str, object], study: str | None = None) -> pd.DataFrame:
        """`name` over this side's patients (within one study if given)."""
        return query(*self.statement(name, extra, study))


@dataclass(frozen=True)
class Comparison:
    """Everything the Compare page shows, before small cells are hidden."""

    sizes: pd.DataFrame  # arm (the chosen arms), in_a, in_b, in_both: the cohorts as chosen
    trajectories: pd.DataFrame  # summary_table rows (arm, visit_month, n, mean, sd, ci_low, ci_high) + cohort
    table_one: pd.DataFrame  # table_one_pair
    change: pd.DataFrame  # change_difference
    responders: pd.DataFrame  # responder_pair, every visit
    patency: pd.DataFrame  # km_counts of primary patency, group_value A or B (stented patients)
    relation: str = DISJOINT  # relation_of(sizes)
    apart: bool = False  # the patients in both are left out of the side(s) that share them
    labels: dict[str, str] = field(default_factory=lambda: {"A": "A", "B": "B"})  # side_labels
    # Where each side's patients come from, per result: cohort, result, arm, visit_month (NaN for
    # patency), study_id, design, n (patients that result counts from that study).
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    compared: dict[str, int] = field(default_factory=dict)  # patients per side, within the arms
    sides: dict[str, Side] = field(default_factory=dict)  # sides_of: the patients each side holds

    @property
    def empty(self) -> bool:
        return not int(self.sizes.in_a.sum()) or not int(self.sizes.in_b.sum())

    @property
    def shared(self) -> int:
        """Patients of the cohorts as chosen who are in both."""
        return int(self.sizes.in_both.sum())

    @property
    def shared_in_results(self) -> bool:
        """Whether the results below count some patients on both sides."""
        return self.shared > 0 and not (self.apart and self.relation != SAME)

    def statements(self, name: str, extra: Mapping[str, object]) -> dict[str, tuple[str, dict]]:
        """Per side, the statement and parameters of `name` over that side's patients."""
        return {side: patients.statement(name, extra) for side, patients in self.sides.items()}

    def designs(self, result: str, arms: Iterable[str] | None = None, visit: int | None = None) -> dict[str, dict]:
        """Per side, the design of each study whose patients `result` counts: {side: {study: design}}."""
        chosen = None if arms is None else set(arms)
        out: dict[str, dict] = {side: {} for side in COHORTS}
        for r in self._source_rows():  # a page asks for 20-odd views of a few hundred rows: no frame per view
            if r.result != result or not r.n > 0:
                continue
            if (chosen is not None and r.arm not in chosen) or (visit is not None and r.visit_month != visit):
                continue
            out[r.cohort][r.study_id] = r.design
        return out

    def _source_rows(self) -> list:
        """The rows of `sources` as named tuples, read once per comparison."""
        rows = self.__dict__.get("_rows")
        if rows is None:
            rows = [] if self.sources.empty else list(each_row(self.sources))
            object.__setattr__(self, "_rows", rows)  # a cache on the frozen comparison: its sources do not change
        return rows


def within_arms(cohort: CohortFilter, arms: list[str]) -> CohortFilter:
    """The cohort restricted to the chosen arms (unchanged for both)."""
    return cohort if set(arms) >= set(vocab.ARMS) else cohort.intersect(CohortFilter(arm=tuple(arms)))


def sides_of(a: CohortFilter, b: CohortFilter, relation: str, apart: bool) -> dict[str, Side]:
    """The patients each side holds: with `apart`, B against the rest of A when A contains B (and
    the other way round), A only against B only when they partly overlap."""
    if not apart or relation in (DISJOINT, SAME):
        return {"A": Side(a), "B": Side(b)}
    return {
        "A": Side(a, b) if relation in (B_IN_A, OVERLAP) else Side(a),
        "B": Side(b, a) if relation in (A_IN_B, OVERLAP) else Side(b),
    }


def overlap(query: Query, a: CohortFilter, b: CohortFilter, arms: list[str]) -> pd.DataFrame:
    """cohort_overlap of A and B within `arms`: arm, in_a, in_b, in_both (a row per chosen arm)."""
    a, b = within_arms(a, arms), within_arms(b, arms)
    b_params = {f"b_{key}": value for key, value in b.as_params().items()}
    sizes = query("cohort_overlap", {**a.as_params(), **b_params}).set_index("arm")
    return sizes.reindex(arms, fill_value=0).rename_axis("arm").reset_index()


def compare_cohorts(
    query: Query, a: CohortFilter, b: CohortFilter, arms: list[str], outcome: str, threshold: float, apart: bool = False
) -> Comparison:
    """Cohorts A and B, each within `arms`, side by side on `outcome` (a vocab.OUTCOMES key);
    `apart`: without the patients in both where they are shared (sides_of)."""
    sizes = overlap(query, a, b, arms)
    a, b = within_arms(a, arms), within_arms(b, arms)
    relation = relation_of(sizes)
    sides = sides_of(a, b, relation, apart)
    studies = query("studies", {})
    design = dict(zip(studies.study_id, studies.design, strict=True))
    summaries, by_study = {}, []
    for name, side in sides.items():
        summaries[name] = side.run(query, "trajectory_summary", {"outcome": outcome, "by_study": False})
        per_study = side.run(query, "trajectory_summary", {"outcome": outcome, "by_study": True})
        by_study.append(per_study.assign(cohort=name))
    summaries = {name: s[s.arm.isin(arms)] for name, s in summaries.items()}
    shown = [trajectories.summary_table(s, change=False).assign(cohort=name) for name, s in summaries.items()]
    table_one = table_one_pair(
        sides["A"].run(query, "baseline_continuous", {}),
        sides["A"].run(query, "baseline_categorical", {}),
        sides["B"].run(query, "baseline_continuous", {}),
        sides["B"].run(query, "baseline_categorical", {}),
        arms,
    )
    responder_params = {"threshold": float(threshold), "randomized_only": False, "days_per_month": vocab.DAYS_PER_MONTH}
    responders_by_study = [
        side.run(query, "responders_by_visit", responder_params, study=study).assign(cohort=name, study_id=study)
        for name, side in sides.items()
        for study in design
    ]
    pooled = [_summed_over_studies(responders_by_study, name) for name in COHORTS]
    rates = responder_pair(pooled[0], pooled[1], "responders_points", "nri")
    patency_params = {"endpoint": "primary_patency", "group": "study_id", "randomized_only": False}
    patency_by_study = {name: side.run(query, "km_counts", patency_params) for name, side in sides.items()}
    patency = pd.concat(
        [_pooled_counts(counts).assign(group_value=name) for name, counts in patency_by_study.items()],
        ignore_index=True,
    )
    patency = patency[["group_value", "duration_days", "status", "observed", "n"]]
    sources = _sources(by_study, responders_by_study, patency_by_study, design, arms)
    return Comparison(
        sizes=sizes,
        trajectories=pd.concat(shown, ignore_index=True),
        table_one=table_one,
        change=change_difference(summaries["A"], summaries["B"]),
        responders=rates[rates.arm.isin(arms)].reset_index(drop=True),
        patency=patency,
        relation=relation,
        apart=apart,
        labels=side_labels(relation, apart),
        sources=sources,
        compared={name: _patients_at_baseline(s) for name, s in summaries.items()},
        sides=sides,
    )


def _summed_over_studies(by_study: list[pd.DataFrame], side: str) -> pd.DataFrame:
    """responders_by_visit of one side over every study, from its rows per study (every study of the
    file asked, so each patient counted once): the counts added, in the statement's order."""
    rows = pd.concat(by_study, ignore_index=True)
    rows = rows[rows.cohort == side]
    counts = rows.drop(columns=["cohort", "study_id"]).groupby(["arm", "visit_month"], as_index=False).sum()
    return counts.sort_values(["arm", "visit_month"], ascending=[False, True], ignore_index=True)


def _pooled_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """km_counts rows of several groups as one group: counts at the same time and status added."""
    keys = ["duration_days", "status", "observed"]
    if counts.empty:
        return pd.DataFrame(columns=[*keys, "n"])
    return counts.groupby(keys, as_index=False, sort=True).n.sum()


def _patients_at_baseline(summary: pd.DataFrame) -> int:
    """Patients with the outcome at baseline (trajectory_summary rows), over the arms shown."""
    return int(summary[summary.visit_month == 0].n.sum())


def _sources(
    by_study: list[pd.DataFrame],
    responders_by_study: list[pd.DataFrame],
    patency_by_study: dict[str, pd.DataFrame],
    design: dict[str, str],
    arms: list[str],
) -> pd.DataFrame:
    """Which studies each side's results count patients from (see Comparison.sources)."""
    frames = []
    for rows in by_study:
        rows = rows[rows.arm.isin(arms)]
        measured = rows.assign(result="trajectories", study_id=rows.study_group, n=rows.n)
        changed = rows[rows.visit_month > 0].assign(result="change", study_id=rows.study_group, n=rows.n_change)
        frames += [measured, changed]
    for rows in responders_by_study:
        frames.append(rows[rows.arm.isin(arms)].assign(result="responders", n=rows.n_due))
    for name, counts in patency_by_study.items():
        per_study = counts.groupby("group_value", as_index=False).n.sum()
        frames.append(per_study.assign(result="patency", cohort=name, study_id=per_study.group_value, arm="stent"))
    columns = ["cohort", "result", "arm", "visit_month", "study_id", "n"]
    out = pd.concat([f.reindex(columns=columns) for f in frames], ignore_index=True)
    out["design"] = out.study_id.map(design)
    return out[out.n > 0].reset_index(drop=True)


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
    Welch assumes independent samples: patients in both cohorts make the two means positively
    correlated, and the interval is then too wide (see the module's docstring)."""
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
    """Each cohort's responder share per arm and visit (responders_by_visit rows), Wilson 95% CIs,
    with the patients due and seen at the visit."""
    sides = zip(COHORTS, (agg_a, agg_b), strict=True)
    return pd.concat(
        [_with_seen(agg, definition, imputation).assign(cohort=name) for name, agg in sides], ignore_index=True
    )


def _with_seen(agg: pd.DataFrame, definition: str, imputation: str) -> pd.DataFrame:
    """responders.proportions, with the patients due (`due`) and seen at the visit (`seen`)."""
    shares = responders.proportions(agg, definition, imputation)
    counts = agg[["arm", "visit_month", "n_due", "n"]].rename(columns={"n_due": "due", "n": "seen"})
    return shares.merge(counts.astype({"due": int, "seen": int}), on=["arm", "visit_month"], how="left")


# Three or four cohorts side by side (the Compare page with cohorts C and D). Patients in more than one
# cohort are left out of every cohort by default (each side is its cohort's own patients,
# queries/shared/cohort_alone.sql), so no patient counts twice and the log-rank test holds; counted in
# each instead, every side is its whole cohort. No pairwise test is made between them: with k cohorts
# there would be k(k-1)/2, and the page shows each cohort's estimates with their own intervals.
SEVERAL = ("A", "B", "C", "D")
ALONE = "@cohort_alone"


@dataclass(frozen=True)
class Alone:
    """The patients of one cohort that none of the others holds (or all of it, with no others)."""

    cohort: CohortFilter
    others: tuple[CohortFilter, ...] = ()

    def statement(self, name: str, extra: Mapping[str, object]) -> tuple[str, dict]:
        params = {**self.cohort.as_params(), **extra}
        if not self.others:
            return name, params
        slots = [*self.others, *([NOBODY] * (len(SEVERAL) - 1 - len(self.others)))]
        for i, other in enumerate(slots, start=1):
            params |= {f"x{i}_{key}": value for key, value in other.as_params().items()}
        return name + ALONE, params

    def run(self, query: Query, name: str, extra: Mapping[str, object]) -> pd.DataFrame:
        return query(*self.statement(name, extra))


@dataclass(frozen=True)
class Several:
    """Everything the Compare page shows for three or four cohorts, before small cells are hidden."""

    names: tuple[str, ...]  # "A", "B", "C"[, "D"]
    sizes: dict[str, int]  # patients of each cohort as chosen (within the arms)
    overlaps: pd.DataFrame  # names x names: patients in both (the diagonal: in the cohort)
    apart: bool  # each side is its cohort's own patients (those in more than one left out)
    compared: dict[str, int]  # patients of each side, within the arms
    trajectories: pd.DataFrame  # summary_table rows (measured) + cohort
    change: pd.DataFrame  # summary_table rows (change from baseline, visits after 0) + cohort
    table_one: pd.DataFrame  # variable, level, n_<side>, mean_<side>, sd_<side>, share_<side>, smd (largest)
    responders: pd.DataFrame  # _with_seen rows + cohort, every visit
    patency: pd.DataFrame  # km_counts of primary patency, group_value the side's name
    designs: dict[str, dict[str, str]]  # per side, the design of each study its patients at baseline come from

    @property
    def shared(self) -> int:
        """Patients of the cohorts as chosen who are in more than one (counted once per pair), every cohort
        chosen (also one whose results are left out)."""
        names = list(self.overlaps.index)
        return int(sum(self.overlaps.at[a, b] for i, a in enumerate(names) for b in names[i + 1 :]))

    def without(self, names: Iterable[str]) -> Several:
        """The same comparison with some sides' results left out (sides with no patient); the overlaps
        and what each remaining side holds are unchanged."""
        gone = set(names)
        kept = tuple(n for n in self.names if n not in gone)
        return replace(
            self,
            names=kept,
            trajectories=self.trajectories[self.trajectories.cohort.isin(kept)].reset_index(drop=True),
            change=self.change[self.change.cohort.isin(kept)].reset_index(drop=True),
            table_one=self.table_one.drop(
                columns=[c for c in self.table_one.columns if c.rpartition("_")[2] in gone and c != "smd"]
            ),
            responders=self.responders[self.responders.cohort.isin(kept)].reset_index(drop=True),
            patency=self.patency[self.patency.group_value.isin(kept)].reset_index(drop=True),
        )

    @property
    def labels(self) -> dict[str, str]:
        """What each side holds, in words: "A only" where its cohort shares patients and they are left out."""
        return {
            name: f"{name} only"
            if self.apart and any(self.overlaps.at[name, o] for o in self.names if o != name)
            else name
            for name in self.names
        }


def compare_several(
    query: Query,
    cohorts: dict[str, CohortFilter],
    arms: list[str],
    outcome: str,
    threshold: float,
    apart: bool = True,
) -> Several:
    """Three or four cohorts (named A, B, C, D), each within `arms`, side by side on `outcome`; `apart`:
    each side without the patients of any other cohort."""
    names = tuple(cohorts)
    chosen = {name: within_arms(c, arms) for name, c in cohorts.items()}
    overlaps = overlap_matrix(query, cohorts, arms)
    sides = {
        name: Alone(cohort, tuple(chosen[o] for o in names if o != name) if apart else ())
        for name, cohort in chosen.items()
    }
    summaries = {
        name: side.run(query, "trajectory_summary", {"outcome": outcome, "by_study": False})
        for name, side in sides.items()
    }
    summaries = {name: s[s.arm.isin(arms)] for name, s in summaries.items()}
    measured = [trajectories.summary_table(s, change=False).assign(cohort=n) for n, s in summaries.items()]
    changed = [trajectories.summary_table(s, change=True).assign(cohort=n) for n, s in summaries.items()]
    change = pd.concat(changed, ignore_index=True)
    tables = {
        name: (side.run(query, "baseline_continuous", {}), side.run(query, "baseline_categorical", {}))
        for name, side in sides.items()
    }
    responder_params = {"threshold": float(threshold), "randomized_only": False, "days_per_month": vocab.DAYS_PER_MONTH}
    rates = pd.concat(
        [
            _with_seen(side.run(query, "responders_by_visit", responder_params), "responders_points", "nri").assign(
                cohort=name
            )
            for name, side in sides.items()
        ],
        ignore_index=True,
    )
    patency_params = {"endpoint": "primary_patency", "group": "study_id", "randomized_only": False}
    patency = pd.concat(
        [
            _pooled_counts(side.run(query, "km_counts", patency_params)).assign(group_value=name)
            for name, side in sides.items()
        ],
        ignore_index=True,
    )[["group_value", "duration_days", "status", "observed", "n"]]
    by_study = {
        name: side.run(query, "trajectory_summary", {"outcome": outcome, "by_study": True})
        for name, side in sides.items()
    }
    studies = query("studies", {})
    design = dict(zip(studies.study_id, studies.design, strict=True))
    designs = {
        name: {
            str(s): design.get(str(s), "")
            for s in rows[(rows.visit_month == 0) & rows.arm.isin(arms) & (rows.n > 0)].study_group.unique()
        }
        for name, rows in by_study.items()
    }
    return Several(
        names=names,
        sizes={name: int(overlaps.at[name, name]) for name in names},
        overlaps=overlaps,
        apart=apart,
        compared={name: _patients_at_baseline(s) for name, s in summaries.items()},
        trajectories=pd.concat(measured, ignore_index=True),
        change=change[change.visit_month > 0].reset_index(drop=True),
        table_one=table_one_several(tables, arms),
        responders=rates[rates.arm.isin(arms)].reset_index(drop=True),
        patency=patency,
        designs=designs,
    )


def overlap_matrix(query: Query, cohorts: dict[str, CohortFilter], arms: list[str]) -> pd.DataFrame:
    """names x names, within `arms`: the patients in both cohorts of a row and a column (cohort_overlap of
    each pair); on the diagonal, each cohort's patients."""
    names = list(cohorts)
    overlaps = pd.DataFrame(0, index=names, columns=names, dtype="int64")
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            pair = overlap(query, cohorts[a], cohorts[b], arms)
            overlaps.at[a, a], overlaps.at[b, b] = int(pair.in_a.sum()), int(pair.in_b.sum())
            overlaps.at[a, b] = overlaps.at[b, a] = int(pair.in_both.sum())
    return overlaps


def venn_regions(query: Query, cohorts: dict[str, CohortFilter], arms: list[str]) -> pd.DataFrame:
    """The regions of the cohorts' Venn partition, within `arms`: for each set of cohorts (a tuple of names,
    in their order), per arm, the patients in each of them and in none of the others (region, arm, patients;
    a row per region and chosen arm, 0 where none). The overlaps, the cohorts' sizes and each one's own
    patients are sums of these; small-cell protection checks that none of them gives a small region away."""
    names = list(cohorts)
    chosen = {name: within_arms(c, arms) for name, c in cohorts.items()}
    rows: list[dict[str, object]] = []
    for size in range(1, len(names) + 1):
        for region in combinations(names, size):
            inside = chosen[region[0]]
            for name in region[1:]:
                inside = inside.intersect(chosen[name])
            counts: dict[str, int] = dict.fromkeys(arms, 0)
            if not inside.is_nobody:
                side = Alone(inside, tuple(chosen[o] for o in names if o not in region))
                found = side.run(query, "cohort_size_by_study_arm", {})
                for arm, n in found.groupby("arm").patients.sum().items():
                    if arm in counts:
                        counts[str(arm)] = int(n)
            rows.extend({"region": region, "arm": arm, "patients": n} for arm, n in counts.items())
    return pd.DataFrame(rows, columns=["region", "arm", "patients"])


def shares_patients(overlaps: pd.DataFrame) -> bool:
    """Whether any two cohorts of an overlap_matrix hold a patient in common."""
    return any(overlaps.at[a, b] for a in overlaps.index for b in overlaps.columns if a != b)


def table_one_several(tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]], arms: list[str]) -> pd.DataFrame:
    """Per characteristic (and level): each side's summary, and the largest standardized mean difference
    between any two sides (smd; its sign dropped). tables: per side, its baseline_continuous and
    baseline_categorical rows."""
    names = list(tables)
    pooled = {name: pooled_continuous(cont, arms).set_index("variable") for name, (cont, _) in tables.items()}
    rows: list[dict] = []
    for variable in CONTINUOUS:
        row: dict = {"variable": variable, "level": None}
        for name in names:
            r = pooled[name].loc[variable]
            row |= {f"n_{name}": int(r.n), f"mean_{name}": r["mean"], f"sd_{name}": r.sd}
        smds = [
            abs(smd_continuous(row[f"mean_{a}"], row[f"sd_{a}"], row[f"mean_{b}"], row[f"sd_{b}"]))
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if row[f"n_{a}"] > 1 and row[f"n_{b}"] > 1
        ]
        rows.append(row | {"smd": max(smds) if smds else np.nan})
    sizes = {name: _patients(cont, arms) for name, (cont, _) in tables.items()}
    counts = {name: _level_counts(cat, arms) for name, (_, cat) in tables.items()}
    for variable, vocabulary in CATEGORICAL.items():
        found = {name: counts[name].get(variable, {}) for name in names}
        levels = sorted(set().union(*found.values()))
        order = [lvl for lvl in (vocabulary or {}) if lvl in levels] or levels
        shares = {
            name: np.array([found[name].get(lvl, 0) / sizes[name] if sizes[name] else np.nan for lvl in order])
            for name in names
        }
        smds = [
            abs(smd_categorical(shares[a], shares[b]))
            for i, a in enumerate(names)
            for b in names[i + 1 :]
            if sizes[a] and sizes[b] and len(order) > 1
        ]
        rows.append({"variable": variable, "level": None, "smd": max(smds) if smds else np.nan})
        for j, level in enumerate(order):
            row = {"variable": variable, "level": level, "smd": np.nan}
            for name in names:
                row |= {f"n_{name}": int(found[name].get(level, 0)), f"share_{name}": shares[name][j]}
            rows.append(row)
    return pd.DataFrame(rows)
