"""Small-cell protection: counts from 1 to k-1, and statistics of groups that small, are not shown.

Primary suppression hides every count in 1..k-1 (zero is shown: it identifies nobody). Where
counts add up to a total that is shown (the arms of a cohort, the levels of a characteristic,
the rows and columns of a cross-table), complementary suppression hides the next smallest count
of any line left with exactly one hidden cell, so no hidden count can be recovered by
subtraction. Applied to raw counts, before any rounding or percentage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Protection:
    """k = 0: off (every count shown); k >= 2: counts 1..k-1 hidden."""

    k: int = 0

    @property
    def active(self) -> bool:
        return self.k >= 2

    def small(self, n: float | int | None) -> bool:
        """A count (or a group size) that must not be shown: 1..k-1."""
        return self.active and n is not None and not np.isnan(n) and 0 < n < self.k

    def too_few(self, n: float | int | None) -> bool:
        """A group too small for its statistics (mean, SD, share) to be shown."""
        return self.small(n)

    @property
    def label(self) -> str:
        """How a hidden count is written: the same for a small count and for its complement, so
        the page does not tell which of two hidden counts is the small one."""
        return "hidden"

    def count(self, n: float | int | None, hidden: bool | None = None) -> str:
        """A count as text: the number, or "hidden" when it (or its complement) is hidden."""
        if n is None or (isinstance(n, float) and np.isnan(n)):
            return ""
        if hidden if hidden is not None else self.small(n):
            return self.label
        return f"{int(n):,}"

    def totals_hidden(self, kept: Sequence[int], totals: Sequence[int]) -> tuple[bool, list[bool]]:
        """Whether the totals a cohort is written against ("x of N patients", each arm's "of N") are hidden:
        (the grand total, each part's). What the filters removed, a total less what is kept, is a count of
        patients no page shows; where it is 1..k-1 the two shown numbers would give it away, so the total
        is hidden (the cohort's own count stays: every page writes it). Where any part's removed is small,
        every part's total is hidden, since they add up to the grand total."""
        if not self.active:
            return False, [False] * len(totals)
        removed = [int(t) - int(k) for k, t in zip(kept, totals, strict=True)]
        parts = any(self.small(r) for r in removed)
        return self.small(sum(removed)), [parts] * len(totals)

    def mask(self, counts: Sequence[float | int]) -> list[bool]:
        """Which of a line of counts that add up to a shown total to hide (primary and complementary)."""
        return [bool(v) for v in self.mask_table([list(counts)])[0]]

    def mask_table(self, table: Sequence[Sequence[float | int]], columns_add_up: bool = True) -> np.ndarray:
        """Which cells of a cross-table to hide, when each row (and, if columns_add_up, each column)
        adds up to a total that is shown: no line may be left with exactly one hidden cell, nor with hidden
        cells whose sum is 1 to k-1 (the total less the shown cells gives their sum: two hidden grades of 1 and 3
        beside a shown total of 10 and shown 6 and 0 said 4 patients had one of them, review 28e), unless every
        other cell of it is zero (its total is then that cell: mask the margins too)."""
        values = np.asarray(table, dtype=float)
        hidden = np.zeros(values.shape, dtype=bool)
        if not self.active or values.size == 0:
            return hidden
        hidden |= (values > 0) & (values < self.k)
        lines = [("row", i) for i in range(values.shape[0])]
        if columns_add_up:
            lines += [("col", j) for j in range(values.shape[1])]
        changed = True
        while changed:
            changed = False
            for axis, index in lines:
                cells = hidden[index, :] if axis == "row" else hidden[:, index]
                line = values[index, :] if axis == "row" else values[:, index]
                if cells.sum() != 1 and not 0 < line[cells].sum() < self.k:
                    continue  # no hidden cell alone, nor hidden cells whose sum (the total less the rest) is small
                candidates = [(line[i], i) for i in range(line.size) if not cells[i] and line[i] > 0]
                if not candidates:
                    continue  # the other cells are zero: the hidden one equals the total, itself hidden
                _, pick = min(candidates)
                if axis == "row":
                    hidden[index, pick] = True
                else:
                    hidden[pick, index] = True
                changed = True
        return hidden

    def mask_frame(
        self,
        frame: pd.DataFrame,
        count: str,
        lines: Sequence[Sequence[str]],
        hidden_totals: Sequence[Sequence[object]] = (),
        also: Sequence[bool] | np.ndarray | None = None,
    ) -> pd.Series:
        """Which rows' `count` to hide, in long format.

        Each entry of `lines` names the columns whose shared values make one additive line (e.g.
        ["study_id"]: the arms of a study add up to the study; []: all rows add up to one total).
        A line whose total is shown must not keep exactly one hidden cell, nor hidden cells whose sum is
        1 to k-1 (the total less the shown cells is their sum); a line whose total is
        itself hidden (its key, for the first entry of `lines`, in `hidden_totals`) must keep at
        least one, or the visible cells would add up to it. `also` marks cells to hide besides.
        """
        values = np.nan_to_num(frame[count].to_numpy(dtype=float), nan=0.0)
        hidden = (values > 0) & (values < self.k) if self.active else np.zeros(len(frame), dtype=bool)
        if also is not None and self.active:
            hidden |= np.asarray(also, dtype=bool)  # cells hidden for a reason outside these lines
        if not self.active or frame.empty:
            return pd.Series(hidden, index=frame.index)
        secret = {tuple(key) for key in hidden_totals}
        specs = []  # each line: its rows' positions, and whether its total is hidden
        for n, cols in enumerate(lines):
            groups = frame.groupby(list(cols), sort=False).indices if cols else {(): np.arange(len(frame))}
            for key, positions in groups.items():
                key = key if isinstance(key, tuple) else (key,)
                specs.append((positions, n == 0 and key in secret))
        changed = True
        while changed:
            changed = False
            for positions, total_hidden in specs:
                cells, line = hidden[positions], values[positions]
                open_cells = np.flatnonzero(~cells & (line > 0))
                # a shown total gives the sum of the hidden cells: one alone, or a sum of 1 to k-1, is given away
                needs_one_more = (
                    cells.sum() == 0 if total_hidden else cells.sum() == 1 or 0 < line[cells].sum() < self.k
                )
                if needs_one_more and open_cells.size:
                    hidden[positions[open_cells[np.argmin(line[open_cells])]]] = True  # the smallest, first
                    changed = True
        return pd.Series(hidden, index=frame.index)

    def mask_sums(self, parts: np.ndarray, counts: Sequence[int], fixed: Sequence[bool]) -> list[bool]:
        """Which of several counts to hide, each the sum of some disjoint parts (row i of `parts`, 0/1 over
        the parts), where any sum of shown counts and their differences can be taken: every count of 1..k-1
        is hidden, and then, smallest first, more until no hidden count is a linear combination of the
        shown ones (its row in the span of theirs). `fixed` marks counts shown elsewhere on the screen
        (a total), never hidden here to protect another (a small one is hidden here as it is there). A
        hidden count that the fixed ones alone give away stays hidden (nothing here can protect it)."""
        rows = np.asarray(parts, dtype=float)
        values = [int(v) for v in counts]
        hidden = [self.active and 0 < v < self.k for v in values]
        if not self.active:
            return hidden

        def given_away(hide: list[bool]) -> list[int]:
            shown = rows[[i for i, h in enumerate(hide) if not h]]
            rank = np.linalg.matrix_rank(shown) if len(shown) else 0
            return [
                i
                for i, h in enumerate(hide)
                if h
                and 0 < values[i] < self.k
                and (np.linalg.matrix_rank(np.vstack([shown, rows[i]])) if len(shown) else 1) == rank
            ]

        # given away by the totals shown elsewhere alone
        fixed_only = set(given_away([h or not f for h, f in zip(hidden, fixed, strict=True)]))
        while leaks := [i for i in given_away(hidden) if i not in fixed_only]:
            open_counts = [i for i, h in enumerate(hidden) if not h and not fixed[i] and values[i] > 0]
            candidates = sorted((values[i], i) for i in open_counts)
            if not candidates:
                break
            for _, i in candidates:  # the smallest count whose hiding protects a leaked one
                trial = [*hidden[:i], True, *hidden[i + 1 :]]
                if len([j for j in given_away(trial) if j not in fixed_only]) < len(leaks):
                    hidden = trial
                    break
            else:
                hidden[candidates[0][1]] = True
        return hidden

    def protect_stats(self, frame: pd.DataFrame, counts: Sequence[str], stats: Sequence[str]) -> pd.DataFrame:
        """A copy of a summary table with the statistics of too-small groups blanked (NaN), a
        `hidden` column saying where, and `<count>_text` columns to show for each count."""
        out = frame.copy()
        hidden = pd.Series(False, index=out.index)
        for column in counts:
            hidden |= out[column].map(self.small).astype(bool)
            out[f"{column}_text"] = out[column].map(self.count)
        for column in stats:
            out[column] = out[column].where(~hidden)
        out["hidden"] = hidden
        return out

    def complements(self, frame: pd.DataFrame, count: str, line: Sequence[str]) -> pd.Series:
        """Rows whose `count` is not small itself but hidden as the complement of a small one: the
        rows sharing the values of the columns `line` add up to a total the page shows or gives away
        (the arms at a visit add up to the patients seen there, at month 0 the cohort's count)."""
        if not self.active or frame.empty:
            return pd.Series(False, index=frame.index)
        return self.mask_frame(frame, count, [list(line)]) & ~frame[count].map(self.small).astype(bool)

    def together(self, frame: pd.DataFrame, counts: Sequence[str]) -> pd.DataFrame:
        """A copy whose `<count>_text` columns (protect_stats) read hidden in every row where one of
        `counts` is small: counts of one row that add up to a total shown elsewhere (the arms' n of a
        visit's difference), so the shown one does not give the hidden one away."""
        out = frame.copy()
        if not self.active or out.empty:
            return out
        small = np.zeros(len(out), dtype=bool)
        for column in counts:
            small |= out[column].map(self.small).astype(bool).to_numpy()
        for column in counts:
            out.loc[small, f"{column}_text"] = self.label
        return out

    def notice(self) -> str:
        return (
            f"Counts from 1 to {self.k - 1} are *hidden*, and so are statistics of groups that small; where counts "
            "add up to a total, a second count is hidden too, so none can be worked out by subtraction on this "
            "page; counts written down from two cohorts or two pages can still be subtracted."
        )


OFF = Protection(0)
