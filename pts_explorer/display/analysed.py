"""An analysis set's patients per arm beside the cohort's, under small-cell protection (issue 28, fourth
review): a page's analysis set (the patients due at a visit, seen at baseline and month 6, with a technically
successful procedure, followed in a period, analysed by the propensity score) is part of the cohort, whose
count per arm the cohort's drawer and line show. Where the cohort's count of an arm reads hidden, a count of
part of that arm must read hidden too: "n = 18 stent with a technically successful stent procedure" beside a
cohort of 21 whose arms both read hidden put the stent arm at 18 to 21, and so the medical arm at 0 to 3
(third review, finding 4). The set's total and the parts of a shown whole it leaves out hide as a line
adding up to a shown total."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pts_explorer import vocab
from pts_explorer.privacy import Protection


def cohort_hidden_arms(cohort_by_arm: Mapping[str, int], shield: Protection) -> frozenset[str]:
    """The arms whose count the cohort's line and drawer hide: below k, or the other arm's complement (the
    arms add up to the cohort's count, shown)."""
    if not shield.active:
        return frozenset()
    arms = list(vocab.ARMS)
    mask = shield.mask([int(cohort_by_arm.get(arm, 0)) for arm in arms])
    return frozenset(arm for arm, hidden in zip(arms, mask, strict=True) if hidden)


def part_hidden(
    part_by_arm: Mapping[str, int],
    cohort_by_arm: Mapping[str, int],
    shield: Protection,
    arms: Sequence[str] | None = None,
) -> dict[str, bool]:
    """Which of an analysis set's counts per arm read hidden (`arms`: the arms the line names, all of
    `part_by_arm`'s by default): below k, or the other's complement (Protection.mask), or an arm whose count
    among the cohort (`cohort_by_arm`, as shown beside it) reads hidden."""
    arms = list(part_by_arm) if arms is None else list(arms)
    if not shield.active:
        return dict.fromkeys(arms, False)
    own = shield.mask([int(part_by_arm.get(arm, 0)) for arm in arms])
    forced = cohort_hidden_arms(cohort_by_arm, shield)
    return {arm: hidden or arm in forced for arm, hidden in zip(arms, own, strict=True)}


@dataclass(frozen=True)
class AnalysedCounts:
    """An analysis set's counts as a line shows them: per arm, its total, and the parts of a shown whole it
    leaves out, in order (each the count's words: a number, or the protection's label)."""

    arms: dict[str, str]
    total: str
    left_out: list[str]


def analysed_counts(
    part_by_arm: Mapping[str, int], cohort_by_arm: Mapping[str, int], left_out: Sequence[int], shield: Protection
) -> AnalysedCounts:
    """The words of an "analysed: N (stent n, medical m). Not analysed: x with ..., y with ..." line, where
    N and the `left_out` parts add up to a whole the line shows (e.g. the cohort's registry patients): the
    arms as part_hidden hides them (both or neither: each hides the other's complement), and N with the
    parts as Protection.mask hides a line adding up to a shown total (never one hidden alone)."""
    arms = list(vocab.ARMS)
    hidden = part_hidden(part_by_arm, cohort_by_arm, shield, arms)
    total = sum(int(part_by_arm.get(arm, 0)) for arm in arms)
    line = [total, *(int(n) for n in left_out)]
    mask = shield.mask(line) if shield.active else [False] * len(line)
    return AnalysedCounts(
        {arm: shield.count(int(part_by_arm.get(arm, 0)), hidden[arm]) for arm in arms},
        shield.count(total, mask[0]),
        [shield.count(n, h) for n, h in zip(line[1:], mask[1:], strict=True)],
    )
