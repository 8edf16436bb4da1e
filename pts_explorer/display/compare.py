"""Two saved cohorts side by side (Compare page), as presented."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import baseline
from pts_explorer.display.analysed import part_hidden
from pts_explorer.display.text import (
    CATEGORICAL_LABELS,
    CONTINUOUS_LABELS,
    DASH,
    _count_share,
    _mean_sd,
    counts,
    estimate_with_ci,
    format_p,
    interval,
    number,
    smd,
)
from pts_explorer.privacy import OFF, Protection
from pts_explorer.rows import each_row

SIDES = {"A": "A", "B": "B"}


def side_name(labels: dict[str, str], side: str) -> str:
    """A side's column header: "Cohort A", or what it holds when that is not the whole cohort."""
    label = labels.get(side, side)
    return f"Cohort {side}" if label == side else label


def line_hidden(
    groups: Mapping[str, Mapping[str, int]],
    shield: Protection,
    hidden_sides: Collection[str] = (),
    cohort_by_arm: Mapping[str, Mapping[str, int]] | None = None,
) -> set[tuple[str, str]]:
    """The (side, arm) pairs whose n a slide's line hides (presenter.compared_groups: each side's n per arm,
    which add up to the side's count; every arm of a side in `hidden_sides`; and, for a side drawn from a
    cohort whose n per arm is shown, `cohort_by_arm[side]` (the sidebar's, in the drawer), every arm whose
    n there reads hidden: display.part_hidden). Whatever else the page shows of such an arm is hidden with
    its n (third review of issue 28, finding 1: a responder share of 63.2% with its Wilson interval can only
    be 12 of 19, which gave the hidden arm's 19 and the other's 2)."""
    out: set[tuple[str, str]] = set()
    if not shield.active:
        return out
    for side, by_arm in groups.items():
        arms = list(by_arm)
        if side in hidden_sides:
            out |= {(side, arm) for arm in arms}
            continue
        hidden = part_hidden(by_arm, (cohort_by_arm or {}).get(side, {}), shield, arms)
        out |= {(side, arm) for arm in arms if hidden[arm]}
    return out


def sides_hidden(hidden: Collection[tuple[str, str]], arms: Collection[str], sides: Collection[str]) -> set[str]:
    """The sides every compared arm of which is in `hidden` (line_hidden): a per-cohort table of them (Table 1)
    would give the hidden n back as its column's count, so it reads hidden."""
    return {side for side in sides if arms and all((side, arm) in hidden for arm in arms)}


def hide_side_columns(table: pd.DataFrame, shield: Protection, columns: Collection[str]) -> pd.DataFrame:
    """A Table 1 (pair_table, several_table) whose `columns` (sides_hidden's, as headed) read hidden in every
    row that has a value."""
    out = table.copy()
    for column in columns:
        if column in out:
            out[column] = [shield.label if str(v) else v for v in out[column]]
    smd_column = next((c for c in ("SMD", "Largest SMD") if c in out), None)
    if smd_column and any(column in out for column in columns):  # an SMD against a hidden side gives it back
        out[smd_column] = [shield.label if str(v) else v for v in out[smd_column]]
    return out


def hide_change_rows(table: pd.DataFrame, shield: Protection, hidden: Collection[tuple[str, str]]) -> pd.DataFrame:
    """Each side's change from baseline per arm and visit (rows: cohort, arm, n, mean, ci_low, ci_high) whose
    rows of an arm in `hidden` (line_hidden) carry no n nor statistic: its patients at a visit are part of
    the arm, whose n the line hides, and a mean of whole-number scores over a few patients gives its n."""
    out = table.copy()
    if not shield.active or out.empty:
        return out
    gone = pd.Series([(c, a) in hidden for c, a in zip(out.cohort, out.arm, strict=True)], index=out.index)
    out["hidden"] = gone
    return out


def hide_difference_rows(diff: pd.DataFrame, shield: Protection, hidden: Collection[tuple[str, str]]) -> pd.DataFrame:
    """Cohort A minus cohort B per arm and visit (Protection.protect_stats rows: arm, n_a, n_b, ...) whose
    rows of an arm hidden on either side (line_hidden) read hidden: both n, the means, the difference, its
    interval and p."""
    out = diff.copy()
    if not shield.active or out.empty:
        return out
    gone = pd.Series([("A", a) in hidden or ("B", a) in hidden for a in out.arm], index=out.index)
    if gone.any():
        for column in ("n_a", "n_b"):
            out[f"{column}_text"] = out.get(f"{column}_text", out[column].map(shield.count)).astype(object)
            out.loc[gone, f"{column}_text"] = shield.label
        stats = [
            c for c in ("mean_change_a", "mean_change_b", "diff", "ci_low", "ci_high", "df", "p_value") if c in out
        ]
        out.loc[gone, stats] = float("nan")
        out.loc[gone, "hidden"] = True
    return out


def hide_arms(table: pd.DataFrame, shield: Protection, hidden: Collection[tuple[str, str]]) -> pd.DataFrame:
    """A cohorts' trajectory table (Protection.protect_stats rows: cohort, arm, visit_month, n, n_text, mean,
    sd, ci_low, ci_high) whose every visit of an arm in `hidden` (line_hidden) reads hidden, and where one
    arm's n at a visit is hidden, the other arm's of that cohort too (they add up to the cohort's patients at
    the visit): the n, mean, SD and CI go together, since a mean of whole-number scores over a few patients
    gives its n (third review of issue 28, finding 2: 14.10 over at most 12 patients is 141/10)."""
    out = table.copy()
    if not shield.active or out.empty:
        return out
    gone = pd.Series([(c, a) in hidden for c, a in zip(out.cohort, out.arm, strict=True)], index=out.index)
    gone |= shield.complements(out, "n", ["cohort", "visit_month"])
    if gone.any():
        out.loc[gone, "n_text"] = shield.label
        out.loc[gone, [c for c in ("mean", "sd", "ci_low", "ci_high") if c in out]] = float("nan")
        out.loc[gone, "hidden"] = True
    return out


def _level_cells_hidden(table: pd.DataFrame, shield: Protection, sides: Collection[str]) -> dict[tuple[int, str], bool]:
    """Which level counts of a cohorts' Table 1 (rows: variable, level, n_<side>) to hide: each count of 1..k-1,
    and, since a characteristic's levels add up to the side's size (shown), one more where a side's levels
    would keep exactly one hidden (Protection.mask_frame). Keyed by (row position, side)."""
    levels = table.reset_index(drop=True)
    levels = levels[levels.level.notna()]
    if not shield.active or levels.empty:
        return {}
    long = pd.concat(
        [
            pd.DataFrame({"row": levels.index, "variable": levels.variable, "side": side, "n": levels[f"n_{side}"]})
            for side in sides
        ],
        ignore_index=True,
    )
    flags = shield.mask_frame(long, "n", [["variable", "side"]])
    return {(int(r), str(side)): bool(f) for r, side, f in zip(long.row, long.side, flags, strict=True)}


def _smd_hidden(table: pd.DataFrame, cells: dict[tuple[int, str], bool]) -> set[str]:
    """The characteristics one of whose cells is hidden: their SMD is hidden too, since with the sides' sizes it
    is an equation on the cells (fourth review of issue 28, finding 1: an SMD of 0.30 over groups of 16 and 15
    could only be 4 and 2 or 12 and 13)."""
    variables = table.reset_index(drop=True).variable
    return {str(variables[row]) for (row, _), hide in cells.items() if hide}


def pair_table(pair: pd.DataFrame, shield: Protection = OFF, labels: dict[str, str] = SIDES) -> pd.DataFrame:
    """Table 1 of cohort A against cohort B, with the SMD between the cohorts (hidden where a cell of the
    characteristic is)."""
    col_a, col_b = side_name(labels, "A"), side_name(labels, "B")
    cells_hidden = _level_cells_hidden(pair, shield, ("a", "b"))
    smd_gone = _smd_hidden(pair, cells_hidden)
    rows = []
    for i, r in enumerate(each_row(pair.reset_index(drop=True))):
        if r.level is None and r.variable in CONTINUOUS_LABELS:
            rows.append(
                {
                    "Characteristic": f"{CONTINUOUS_LABELS[r.variable]}, mean (SD)",
                    col_a: _mean_sd(int(r.n_a), r.mean_a, r.sd_a, shield),
                    col_b: _mean_sd(int(r.n_b), r.mean_b, r.sd_b, shield),
                    "SMD": smd(r.smd),
                }
            )
        elif r.level is None:
            rows.append(
                {
                    "Characteristic": f"{CATEGORICAL_LABELS[r.variable]}, n (%)",
                    col_a: "",
                    col_b: "",
                    "SMD": shield.label if r.variable in smd_gone else smd(r.smd),
                }
            )
        else:
            vocabulary = baseline.CATEGORICAL[r.variable] or {}
            cells = {}
            for side, column in (("a", col_a), ("b", col_b)):
                n, share = int(getattr(r, f"n_{side}")), getattr(r, f"share_{side}")
                cells[column] = shield.label if cells_hidden.get((i, side), False) else _count_share(n, share)
            rows.append({"Characteristic": f"    {vocab.label(vocabulary, r.level)}", **cells, "SMD": ""})
    return pd.DataFrame(rows, columns=["Characteristic", col_a, col_b, "SMD"])


DESIGN_WORDS = {
    frozenset({"randomized"}): "randomized",
    frozenset({"observational"}): "observational",
    frozenset({"randomized", "observational"}): "pooled",
}


def design_word(designs: set[str]) -> str:
    """randomized, observational or pooled (both), for the studies a number counts patients from."""
    return DESIGN_WORDS.get(frozenset(designs), ", ".join(sorted(designs)) or DASH)


def pair_difference_table(
    diff: pd.DataFrame,
    outcome: vocab.Outcome,
    labels: dict[str, str] = SIDES,
    designs: dict[tuple[str, int], tuple[set[str], set[str]]] | None = None,
) -> pd.DataFrame:
    """Cohort A minus cohort B in mean change, per arm and visit, with Welch's CI and p; `designs`:
    per (arm, visit), the designs of the studies each side's patients come from."""
    d = outcome.decimals
    a, b = labels.get("A", "A"), labels.get("B", "B")
    table = pd.DataFrame(
        {
            "Arm": diff.arm.map(vocab.ARMS),
            "Visit (month)": diff.visit_month,
            f"n {a}": counts(diff, "n_a"),
            f"n {b}": counts(diff, "n_b"),
            f"Mean change, {a}": [number(v, d, signed=True) for v in diff.mean_change_a],
            f"Mean change, {b}": [number(v, d, signed=True) for v in diff.mean_change_b],
            f"{a} − {b}, {outcome.change_unit}": [number(v, d + 1, signed=True) for v in diff["diff"]],
            "Welch 95% CI": [interval(lo, hi, d + 1) for lo, hi in zip(diff.ci_low, diff.ci_high, strict=True)],
            "p": diff.p_value.map(format_p),
        }
    )
    if designs is not None:
        words = []
        for arm, month in zip(diff.arm, diff.visit_month, strict=True):
            side_a, side_b = designs.get((arm, int(month)), (set(), set()))
            wa, wb = design_word(side_a), design_word(side_b)
            words.append(wa if wa == wb else f"{a}: {wa}; {b}: {wb}")
        table.insert(2, "Patients", words)
    return table


def pair_responder_table(
    rates: pd.DataFrame,
    shield: Protection = OFF,
    labels: dict[str, str] = SIDES,
    arms_hidden: Collection[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Each cohort's share of responders per arm, with its Wilson interval, and how many of the
    patients due at the visit were seen there (when `rates` has them). An arm in `arms_hidden` (line_hidden:
    its n hidden on the slide's line) shows none of them: its share and interval would give its n back."""
    columns = ["Cohort", "Arm", "Responders / due", "Share (Wilson 95% CI)"]
    seen = "seen" in rates.columns
    if seen:
        columns.append("Seen / due")
    rows = []
    for r in each_row(rates.sort_values(["arm", "cohort"], ascending=[False, True])):
        small = shield.small(int(r.n)) or shield.small(int(r.responders))
        small = small or (shield.active and (r.cohort, r.arm) in arms_hidden)
        row = {
            "Cohort": labels.get(r.cohort, r.cohort),
            "Arm": vocab.ARMS[r.arm],
            "Responders / due": shield.label if small else f"{int(r.responders):,} / {int(r.n):,}",
            "Share (Wilson 95% CI)": DASH if small else estimate_with_ci(r.proportion, r.ci_low, r.ci_high),
        }
        if seen:
            hidden = small or shield.small(int(r.seen)) or shield.small(int(r.due) - int(r.seen))
            row["Seen / due"] = (
                shield.label if hidden else f"{int(r.seen):,} / {int(r.due):,} ({number(100 * r.seen / r.due, 0)}%)"
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def several_table(table: pd.DataFrame, shield: Protection, labels: dict[str, str]) -> pd.DataFrame:
    """Table 1 of three or four cohorts (analytics.compare.table_one_several), a column per side, with the
    largest SMD between any two sides (hidden where a cell of the characteristic is)."""
    names = list(labels)
    columns = {name: side_name(labels, name) for name in names}
    cells_hidden = _level_cells_hidden(table, shield, names)
    smd_gone = _smd_hidden(table, cells_hidden)
    rows = []
    for i, r in enumerate(each_row(table.reset_index(drop=True))):
        if r.level is None and r.variable in CONTINUOUS_LABELS:
            cells = {
                columns[n]: _mean_sd(int(getattr(r, f"n_{n}")), getattr(r, f"mean_{n}"), getattr(r, f"sd_{n}"), shield)
                for n in names
            }
            rows.append(
                {"Characteristic": f"{CONTINUOUS_LABELS[r.variable]}, mean (SD)", **cells, "Largest SMD": smd(r.smd)}
            )
        elif r.level is None:
            blank = dict.fromkeys(columns.values(), "")
            shown = shield.label if r.variable in smd_gone else smd(r.smd)
            rows.append({"Characteristic": f"{CATEGORICAL_LABELS[r.variable]}, n (%)", **blank, "Largest SMD": shown})
        else:
            vocabulary = baseline.CATEGORICAL[r.variable] or {}
            cells = {}
            for n in names:
                count, share = int(getattr(r, f"n_{n}")), getattr(r, f"share_{n}")
                cells[columns[n]] = shield.label if cells_hidden.get((i, n), False) else _count_share(count, share)
            rows.append({"Characteristic": f"    {vocab.label(vocabulary, r.level)}", **cells, "Largest SMD": ""})
    return pd.DataFrame(rows, columns=["Characteristic", *columns.values(), "Largest SMD"])


def several_change_table(
    change: pd.DataFrame, outcome: vocab.Outcome, shield: Protection, labels: dict[str, str]
) -> pd.DataFrame:
    """Each side's mean change from baseline per arm and visit, with its t-based 95% CI (summary_table rows
    of the change, + cohort); a cell of fewer than k patients hidden where small cells are protected."""
    rows = []
    for r in each_row(change.sort_values(["arm", "visit_month", "cohort"], ascending=[False, True, True])):
        gone = bool(getattr(r, "hidden", False))  # an arm whose n the line hides (hide_change_rows)
        small = shield.small(int(r.n)) or gone
        rows.append(
            {
                "Arm": vocab.ARMS[r.arm],
                "Visit (month)": int(r.visit_month),
                "Cohort": labels.get(r.cohort, r.cohort),
                "n": shield.count(int(r.n), gone or None),
                "Mean change (95% CI)": DASH
                if small or int(r.n) < 2
                else f"{number(r.mean, outcome.decimals, signed=True)} "
                f"({interval(r.ci_low, r.ci_high, outcome.decimals)})",
            }
        )
    return pd.DataFrame(rows, columns=["Arm", "Visit (month)", "Cohort", "n", "Mean change (95% CI)"])


def overlap_table(overlaps: pd.DataFrame, shield: Protection) -> pd.DataFrame:
    """The cohorts' overlaps as a small matrix: on the diagonal each cohort's patients, elsewhere the
    patients in both cohorts of the row and the column."""
    shown = overlaps.apply(lambda column: column.map(lambda n: shield.count(int(n))))
    shown.index = [f"Cohort {n}" for n in overlaps.index]
    shown.columns = [f"Cohort {n}" for n in overlaps.columns]
    return shown.rename_axis("Patients in both").reset_index()


@dataclass(frozen=True)
class VennHidden:
    """What Compare hides of several cohorts' overlaps (venn_hidden): pairs of cohorts whose count in both reads
    hidden in the matrix, and sides whose own patients ("A only") read hidden, with every count of them."""

    pairs: frozenset[frozenset[str]] = frozenset()
    sides: frozenset[str] = frozenset()


def venn_hidden(
    regions: pd.DataFrame,
    shield: Protection,
    apart: bool,
    by_arm_shown: Collection[str] = (),
    line: Collection[tuple[str, str]] = (),
) -> VennHidden:
    """Which overlaps (and, if that is not enough, which sides' own counts) to hide so that no region of the
    cohorts' Venn partition (analytics.compare.venn_regions: region, arm, patients) of 1..k-1 patients, in an arm
    or in all, is a linear combination of the counts shown: each cohort's size (the metrics, the matrix's
    diagonal; never hidden here), per arm for the cohorts in `by_arm_shown` (the sidebar's, whose drawer shows
    them; its option counts may also be its patients in another cohort, femoral_only's in Femoral (34), so its
    pairs count as shown too), the patients in both of each pair (the matrix), and with `apart` each side's own
    patients, in all and per arm (the line; `line` the (side, arm) pairs it already hides). A region the sizes
    alone give away is left (nothing here can protect it). Fourth review of issue 28, finding 2:
    A 240, A∩B 34, A∩C 39 and "A only 170" gave the 3 patients in A, B and C (170 − 240 + 34 + 39). The pairs
    are hidden first, smallest first; a side's own counts only where hiding every pair still gives a region
    away."""
    if not shield.active or regions.empty:
        return VennHidden()
    cells = regions[regions.patients > 0].reset_index(drop=True)  # a reader may know a region is empty
    if cells.empty:
        return VennHidden()
    names = sorted({n for region in regions.region for n in region})
    arms = sorted(set(regions.arm))

    def row(inside: Collection[str], arm: str | None = None, exact: bool = False) -> np.ndarray:
        """The cells of the patients in every cohort of `inside` (exactly those, with `exact`), in `arm`."""
        return np.array(
            [
                1.0 if (set(r) == set(inside) if exact else set(inside) <= set(r)) and arm in (None, a) else 0.0
                for r, a in zip(cells.region, cells.arm, strict=True)
            ]
        )

    fixed = [row([n]) for n in names]
    fixed += [row([n], arm) for n in by_arm_shown for arm in arms]
    values = cells.patients.to_numpy(dtype=float)
    pairs = {frozenset((x, y)): row([x, y]) for i, x in enumerate(names) for y in names[i + 1 :]}
    for pair, v in list(pairs.items()):  # the drawer may show the sidebar's cohort's patients in another
        if pair & set(by_arm_shown) and not shield.small(float(v @ values)):  # (Femoral (34) beside femoral_only)
            fixed.append(pairs.pop(pair))
    own: dict[str, list[np.ndarray]] = {}
    own_line: dict[str, list[bool]] = {}
    if apart:
        for n in names:
            own[n] = [row([n], exact=True)] + [row([n], arm, exact=True) for arm in arms]
            own_line[n] = [False] + [(n, arm) in line for arm in arms]
    regions_seen = list(dict.fromkeys(cells.region))
    targets = [row(key, exact=True) for key in regions_seen]
    targets += [row(key, arm, exact=True) for key in regions_seen for arm in arms]
    targets += list(pairs.values()) + [v for rows in own.values() for v in rows]
    targets = [t for t in targets if 0 < float(t @ values) < shield.k]
    hidden_pairs = {p for p, v in pairs.items() if shield.small(float(v @ values))}
    hidden_sides: set[str] = set()

    def shown() -> list[np.ndarray]:
        out = list(fixed) + [v for p, v in pairs.items() if p not in hidden_pairs]
        for n, rows in own.items():
            if n not in hidden_sides:
                out += [
                    v for v, gone in zip(rows, own_line[n], strict=True) if not gone and not shield.small(v @ values)
                ]
        return out

    def given_away(rows_shown: list[np.ndarray]) -> list[int]:
        rows = np.array(rows_shown)
        rank = np.linalg.matrix_rank(rows)
        return [i for i, t in enumerate(targets) if np.linalg.matrix_rank(np.vstack([rows, t])) == rank]

    beyond = set(given_away(fixed))  # given away by the sizes shown alone: nothing here can protect it

    def leaks() -> int:
        return len(set(given_away(shown())) - beyond)

    while (now := leaks()) and (
        open_pairs := sorted((float(v @ values), sorted(p)) for p, v in pairs.items() if p not in hidden_pairs)
    ):
        for _, names_of_pair in open_pairs:  # the smallest pair whose hiding protects a region; else the smallest
            hidden_pairs.add(frozenset(names_of_pair))
            if leaks() < now:
                break
            hidden_pairs.discard(frozenset(names_of_pair))
        else:
            hidden_pairs.add(frozenset(open_pairs[0][1]))
    while (now := leaks()) and (
        open_sides := sorted((float(own[n][0] @ values), n) for n in own if n not in hidden_sides)
    ):
        for _, side in open_sides:  # the smallest side whose hiding protects a region; else the smallest
            hidden_sides.add(side)
            if leaks() < now:
                break
            hidden_sides.discard(side)
        else:
            hidden_sides.add(open_sides[0][1])
    return VennHidden(frozenset(hidden_pairs), frozenset(hidden_sides))


def hide_overlaps(table: pd.DataFrame, shield: Protection, pairs: Collection[frozenset[str]]) -> pd.DataFrame:
    """The overlaps matrix (overlap_table) whose cells of the `pairs` (venn_hidden) read hidden."""
    out = table.copy()
    for pair in pairs:
        x, y = sorted(pair)
        for r, c in ((x, y), (y, x)):
            out.loc[out["Patients in both"] == f"Cohort {r}", f"Cohort {c}"] = shield.label
    return out
