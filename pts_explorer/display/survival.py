"""Time to event, as presented: medians, hazard ratios, proportional-hazards checks, curve
summaries, and curves cut where too few patients remain at risk."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pts_explorer import escape, vocab
from pts_explorer.display.text import NO_ESTIMATE, format_p, interval, number, percent, rounded_count, sentence
from pts_explorer.privacy import Protection
from pts_explorer.rows import each_row


def median_label(row: pd.Series) -> str:
    """'12.3 (9.8-15.1)' from a survival.medians() row; 'not reached' / 'NR' where the curve
    stays above 50%."""
    if pd.isna(row.median_months):
        return "not reached"
    high = "NR" if pd.isna(row.ci_high) else number(row.ci_high, 1)
    return f"{number(row.median_months, 1)} ({number(row.ci_low, 1)}-{high})"


CURVE_POLICY = (
    "each step of a curve holds at least {k} events (neighbouring event times are pooled into one step, drawn at "
    "the last of them, with the estimate there); a curve stops where fewer than {k} of its patients remain at "
    "risk, or before its last events when fewer than {k} follow its last step; a group with 1 to {k_1} events is "
    "not drawn; numbers at risk are rounded to the nearest {k}, and none is shown where a group starts with 1 to "
    "{k_1} patients; estimates at landmarks are read off the drawn curve"
)
"""Small-cell protection of a survival or cumulative-incidence curve, in words (k filled in)."""


@dataclass(frozen=True)
class ShownCurves:
    """Survival or cumulative-incidence curves as a page shows them: under small-cell protection
    coarsened (after OpenSAFELY's kaplan-meier disclosure control) so that no count from 1 to k-1
    can be worked out from the curve, its numbers at risk, its hover or its text alternative.

    - a curve stops where fewer than k of its group's patients remain at risk;
    - each drop (or rise) of a curve holds at least k events: consecutive event times are pooled
      until they hold k, the curve steps once at the last of them, to the estimate at that time,
      and stays level in between; when fewer than k follow the last step, the curve stops before
      the first of them (every value drawn is the estimator's at its time, none is moved);
    - a group with 1 to k-1 events in the part drawn gets no curve (`few_events`);
    - numbers at risk are rounded to the nearest multiple of k (1 to k-1: hidden), so the
      difference of two is 0 or at least k; where a group starts with 1 to k-1 patients none is
      shown (the other rows would give its count away by subtraction);
    - estimates at landmarks are read off the drawn curve (`read`), so they change only where
      it steps.
    Without protection the curves, and the numbers at risk, are the estimator's own."""

    curves: pd.DataFrame
    risk: pd.DataFrame
    few_events: tuple[str, ...] = ()
    k: int = 0
    few_patients: tuple[str, ...] = ()  # groups of 1 to k-1 patients: no curve, no estimate, no test

    def hides_a_test(self, groups: Iterable[str] | None = None) -> bool:
        """Whether a test comparing `groups` (None: every group) must not be shown: one of them is a curve not
        drawn (1 to k-1 patients or events), whose count the p-value gives away (Gray's p = 0.083 over arms of
        120 with 0 medical events could only be 3 stent events, review 28e, finding 1)."""
        hidden = {*self.few_patients, *self.few_events}
        return bool(hidden if groups is None else set(groups) & hidden)

    def not_drawn(self, labels: dict[str, str], escape_name: Callable[[object], str]) -> list[str]:
        """Why each group without a curve is not drawn, naming it: "Not drawn, fewer than 5
        patients: Stent" (a group of 1 to k-1 patients, its n hidden on the page as well), "Not
        drawn, fewer than 5 events: Medical" (1 to k-1 events in the part drawn)."""
        said = []
        for why, groups in (("patients", self.few_patients), ("events", self.few_events)):
            if groups:
                names = ", ".join(labels[g] if g in labels else escape_name(g) for g in groups)
                said.append(f"Not drawn, fewer than {self.k} {why}: {names}")
        return said

    def read(self, marks: pd.DataFrame, day: float | None = None) -> pd.DataFrame:
        """Landmark estimates (group, years or one `day`, at_risk, estimate, ci_low, ci_high) as the
        drawn curve gives them: its value at the landmark; NaN where it is not drawn."""
        if self.k < 2 or marks.empty:
            return marks
        out = marks.copy()
        columns = ["estimate", "ci_low", "ci_high"]
        for i, row in out.iterrows():
            when = day if day is not None else float(row.years) * vocab.DAYS_PER_YEAR
            curve = self.curves[self.curves.group == str(row.group)]
            days = _days(curve)
            upto = curve[(days <= when + 1e-6).to_numpy()]
            if upto.empty or days.max() < when - 1e-6 or upto.estimate.isna().iloc[-1]:
                out.loc[i, columns] = np.nan
            else:
                out.loc[i, columns] = upto[columns].iloc[-1].to_numpy(dtype=float)
        return out

    def annotate(self, figure: Any, labels: dict[str, str]) -> Any:
        """The chart (a plotly figure) with the groups not drawn named over its plot, and why; the
        legend and the rows of numbers at risk keep the groups' names."""
        if said := self.not_drawn(labels, escape.plotly):
            figure.add_annotation(
                text="<br>".join(said),
                xref="paper",
                yref="paper",
                x=0,
                y=1,
                xanchor="left",
                yanchor="bottom",
                showarrow=False,
                align="left",
            )
        return figure

    def alt(self, summary: str, labels: dict[str, str]) -> str:
        """A chart's text alternative (`summary`) saying which groups are not drawn and why; a
        summary that only says no estimate could be given gives way to that."""
        if not (said := self.not_drawn(labels, str)):
            return summary
        tail = "; ".join(said) + " (small cells hidden)."
        return tail if summary in NO_ESTIMATE else f"{summary} {tail}"

    def note(self, labels: dict[str, str], escape_name: Callable[[object], str] = escape.markdown) -> str:
        """What protection did to these curves, in words ("" without protection)."""
        if self.k < 2:
            return ""
        text = f"Small cells hidden: {CURVE_POLICY.format(k=self.k, k_1=self.k - 1)}."
        return " ".join([text, *(f"{line}." for line in self.not_drawn(labels, escape_name))])


def _days(curve: pd.DataFrame) -> pd.Series:
    return curve.days if "days" in curve else (curve.month * vocab.DAYS_PER_MONTH).round(6)


def shown_curves(
    curves: pd.DataFrame,
    counts: pd.DataFrame,
    risk: pd.DataFrame,
    shield: Protection,
    incidence: bool = False,
    hidden_groups: Collection[str] = (),
) -> ShownCurves:
    """The curves and numbers at risk a page draws (ShownCurves). curves: group, month (and days),
    estimate, ci_low, ci_high, a row at 0 and at each time of the estimator; counts: group_value,
    duration_days, n and `observed` (an event) or, for a cumulative incidence (`incidence`), `status`
    (1: the endpoint); risk: groups x times of exact numbers at risk. `hidden_groups`: groups drawn as a
    small one (no curve, every number at risk hidden) whatever their size, where their patients are part
    of an arm whose count the page hides (Compare: a side's stented patients, display.line_hidden)."""
    if not shield.active or curves.empty:
        return ShownCurves(curves, risk)
    k = shield.k
    start = 0.0 if incidence else 1.0
    frames, few, small = [], [], []
    hidden_groups = {str(g) for g in hidden_groups}
    for group, curve in curves.groupby("group", sort=False):
        if str(group) in hidden_groups:
            small.append(str(group))
            continue
        part = counts[counts.group_value.astype(str) == str(group)]
        durations = part.duration_days.to_numpy(dtype=float)
        weights = part.n.to_numpy(dtype=float)
        events = (part.status.to_numpy() == 1) if incidence else part.observed.to_numpy().astype(bool)
        days = _days(curve).to_numpy(dtype=float)
        at_risk = np.array([weights[durations >= t - 1e-6].sum() for t in days])
        kept = curve[at_risk >= k]  # the curve stops where fewer than k remain at risk
        if kept.empty:  # a group of 1 to k-1 patients (one of none has no curve at all)
            small.append(str(group))
            continue
        end = float(_days(kept).max())
        times = np.unique(durations[events & (durations <= end + 1e-6)])
        per_time = np.array([weights[events & (np.abs(durations - t) < 1e-6)].sum() for t in times])
        steps, pooled = [], 0.0
        for t, d in zip(times, per_time, strict=True):
            pooled += d
            if pooled >= k:
                steps.append(float(t))
                pooled = 0.0
        if pooled > 0:  # fewer than k events after the last step: the curve stops before them
            if not steps:
                few.append(str(group))
                continue
            rest = float(times[times > steps[-1] + 1e-6][0])
            kept = kept[(_days(kept) < rest - 1e-6).to_numpy()]
        kept_days = _days(kept).to_numpy(dtype=float)
        rows = [0, *[int(np.flatnonzero(kept_days <= t + 1e-6)[-1]) for t in steps], len(kept) - 1]
        drawn = kept.iloc[sorted(set(rows))].copy()
        drawn_days = _days(drawn).to_numpy(dtype=float)
        for column in ("estimate", "ci_low", "ci_high"):
            values = []
            for t in drawn_days:
                done = [s for s in steps if s <= t + 1e-6]
                if done:
                    at = kept[(_days(kept) <= done[-1] + 1e-6).to_numpy()]
                    values.append(float(at[column].iloc[-1]))
                else:
                    values.append(start)
            drawn[column] = values
        if "se" in drawn:
            drawn = drawn.drop(columns="se")
        frames.append(drawn)
    shown = pd.concat(frames, ignore_index=True) if frames else curves.iloc[0:0].copy()
    rounded = risk.apply(lambda column: column.map(lambda n: rounded_count(n, k)))
    if len(risk.columns) and (risk.iloc[:, 0].map(shield.small).any() or hidden_groups & set(map(str, risk.index))):
        # A group starting below k: the other rows would give its count away by subtraction (the arms add up
        # to the cohort, stent-related is the stent arm), so no number at risk is shown.
        rounded = rounded.apply(lambda column: column.map(lambda n: "" if n == "" else "hidden"))
    return ShownCurves(shown, rounded, tuple(few), k, tuple(small))


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
        return NO_ESTIMATE[0]
    year = int(shown.years.max() if (shown.years == 5).sum() == 0 else 5)
    at = shown[shown.years == year]
    parts = [f"{labels.get(r.group, r.group)} {percent(r.estimate)}" for r in each_row(at)]
    return f"At {year} year{'s' * (year > 1)}: " + ", ".join(parts) + "."
