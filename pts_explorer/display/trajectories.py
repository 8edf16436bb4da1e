"""Outcomes over visits, as presented: means by arm and visit, differences between arms."""

from __future__ import annotations

import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import trajectories
from pts_explorer.display.text import _arms, _study, counts, format_p, interval, number, said_hidden
from pts_explorer.privacy import OFF, Protection
from pts_explorer.rows import each_row


def protect_arm_counts(table: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """A trajectory summary (after Protection.protect_stats) whose arms' n at a visit add up to the
    patients seen there (at month 0 the cohort's count, shown): where one arm's n is hidden, the other
    arm's n reads hidden too, and so do its mean, SD and CI: a mean of whole-number scores over a few
    patients gives its n (third review of issue 28, finding 2: 14.10 over at most 12 patients is 141/10),
    and the SD with the CI would too. A statistic is hidden with its n, in the hover and in the chart's data."""
    complement = shield.complements(table, "n", ["study_group", "visit_month"])
    out = table.copy()
    if complement.any():
        out.loc[complement, "n_text"] = shield.label
        out.loc[complement, [c for c in ("mean", "sd", "ci_low", "ci_high") if c in out]] = float("nan")
        out.loc[complement, "hidden"] = True
    return out


BAR = ["study_group", "arm", "visit_month"]  # one bar of the bands over time: its bands add up to its n


def band_bars(bands: pd.DataFrame, shield: Protection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bands over time as drawn (analytics.trajectories.band_shares) and each bar's patients
    (columns of BAR, n, n_text). A bar's bands add up to its arm's patients at the visit, and the
    arms' add up to the visit's (at month 0 the cohort's count, shown): where one arm's is hidden the
    other's is too (Protection.complements), and a bar whose patients are hidden shows none of its
    bands' counts, only their shares, or the counts would add up to it."""
    totals = bands.groupby(BAR, as_index=False).n.sum()
    totals_hidden = shield.mask_frame(totals, "n", [["study_group", "visit_month"]])
    totals["n_text"] = [shield.count(n, h) for n, h in zip(totals.n, totals_hidden, strict=True)]
    secret = {tuple(key) for key in totals.loc[totals_hidden, BAR].itertuples(index=False)}
    hidden = shield.mask_frame(bands, "n", [BAR], hidden_totals=list(secret))
    shares = trajectories.band_shares(bands, hidden, shield.label)
    if secret:
        if "n_text" not in shares:
            shares["n_text"] = shares.n.map(lambda n: f"{int(n):,}")
        in_secret = [tuple(key) in secret for key in shares[BAR].itertuples(index=False)]
        shares.loc[in_secret, "n_text"] = shield.label
    return shares, totals


def trajectory_table(
    table: pd.DataFrame, outcome: vocab.Outcome, with_study: bool, change: bool = False
) -> pd.DataFrame:
    """Per arm and visit: n, mean (or mean change from baseline), SD and the t-based 95% CI."""
    d = outcome.decimals
    mean = f"Mean change from baseline, {outcome.change_unit}" if change else f"Mean, {outcome.unit}"
    return pd.DataFrame(
        {
            **_study(table, with_study),
            "Arm": table.arm.map(vocab.ARMS),
            "Visit (month)": table.visit_month,
            "n": counts(table, "n"),
            mean: [number(v, d) for v in table["mean"]],
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
            f"Difference, {outcome.change_unit}": [number(v, d + 1, signed=True) for v in diff["diff"]],
            "Welch 95% CI": [interval(lo, hi, d + 1) for lo, hi in zip(diff.ci_low, diff.ci_high, strict=True)],
            "df": [number(v, 1) for v in diff.df],
            "p": diff.p_value.map(format_p),
        }
    )


def summary_trajectory(
    table: pd.DataFrame, outcome: vocab.Outcome, change: bool = False, shield: Protection | None = None
) -> str:
    """The chart in words: each group's mean (or mean change from baseline) at its last visit; a mean
    that small-cell protection hides (the table's `hidden`, Protection.protect_stats) is said to be
    hidden, as the tables write it, not a dash (review 27e, finding 3: "TRIAL month 24: stent –, medical –")."""
    parts = []
    for group, d in table.groupby("study_group", sort=True):
        last = d[d.visit_month == d.visit_month.max()]
        means = {
            r.arm: said_hidden(number(r.mean, outcome.decimals), bool(getattr(r, "hidden", False)), shield or OFF)
            for r in each_row(last)
        }
        parts.append(f"{group} month {int(d.visit_month.max())}: {_arms(means)}")
    what = f"Mean change from baseline in {outcome.label}" if change else f"Mean {outcome.label}"
    return f"{what} at the last visit: " + "; ".join(parts) + "."


def summary_differences(frame: pd.DataFrame, column: str, outcome: vocab.Outcome) -> str:
    """Each visit's difference with its CI; per study, named, when the frame holds several."""
    groups = frame.groupby("study_group", sort=True) if "study_group" in frame else [(None, frame)]
    named = "study_group" in frame and frame.study_group.nunique() > 1
    parts = []
    for group, d in groups:
        visits = "; ".join(
            f"month {int(r.visit_month)} {number(getattr(r, column), outcome.decimals + 1, signed=True)}"
            f" ({interval(r.ci_low, r.ci_high, outcome.decimals + 1)})"
            for r in each_row(d)
        )
        parts.append(f"{group}: {visits}" if named else visits)
    return f"Stent minus medical, {outcome.change_unit}: " + "; ".join(parts) + "."
