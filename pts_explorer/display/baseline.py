"""Who is in the cohort, as presented: Table 1 by arm, the arms' headers, SMDs, patients per study."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.analytics import baseline
from pts_explorer.display.text import ARMS, CATEGORICAL_LABELS, CONTINUOUS_LABELS, _arms, _count_share, _mean_sd, smd
from pts_explorer.filters import VOCABULARIES, CohortFilter, more_words
from pts_explorer.privacy import OFF, Protection
from pts_explorer.rows import each_row


def _hidden_levels(
    summary: pd.DataFrame, shield: Protection, hidden_arms: list[str]
) -> dict[tuple[str, str], dict[str, bool]]:
    """Which level counts of each characteristic to hide, per arm (n_stent, n_medical): the levels
    add up to the arm's n, so a line keeps 0 or 2+ hidden counts, and 1+ where the arm's n is
    itself hidden. The two arms of a level add up to the level's patients, which the filter panel
    writes beside the option on the same screen (sex, band, site, ...: "Female (7)"), so a level
    keeps 0 or 2 hidden counts too: "Female: stent 5 · medical hidden" beside "Female (7)" would
    give the 2 away (second review of issue 28, F1)."""
    hidden = {key: {"n_stent": False, "n_medical": False} for key in zip(summary.variable, summary.level, strict=True)}
    if not shield.active:
        return hidden
    long = summary.melt(id_vars=["variable", "level"], value_vars=["n_stent", "n_medical"], var_name="arm")
    secret = [(variable, f"n_{arm}") for variable in summary.variable.unique() for arm in hidden_arms]
    flags = shield.mask_frame(long, "value", [["variable", "arm"], ["variable", "level"]], secret)
    for variable, level, arm, flag in zip(long.variable, long.level, long.arm, flags, strict=True):
        hidden[(variable, level)][arm] = bool(flag)
    return hidden


def table_one(cont: pd.DataFrame, cat: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Table 1 as shown: characteristic, stent, medical, smd (NaN where not computable or hidden),
    smd_hidden and level (True for an indented category level). With small-cell protection, counts below k
    show as hidden and statistics of fewer than k patients are not shown; nor is the SMD of a categorical
    row any of whose cells is hidden: with the arms' sizes it is an equation on those cells (fourth review
    of issue 28, finding 1: an SMD of 0.30 over arms of 16 and 15, with the sidebar's Right (6), could only
    be 4 stent and 2 medical)."""
    rows = []
    for r in each_row(baseline.continuous_summary(cont)):
        rows.append(
            {
                "characteristic": f"{CONTINUOUS_LABELS[r.variable]}, mean (SD)",
                "stent": _mean_sd(r.n_stent, r.mean_stent, r.sd_stent, shield),
                "medical": _mean_sd(r.n_medical, r.mean_medical, r.sd_medical, shield),
                "smd": np.nan if shield.too_few(r.n_stent) or shield.too_few(r.n_medical) else r.smd,
                "smd_hidden": False,
                "level": False,
            }
        )
    sizes = baseline.arm_sizes(cont)
    summary = baseline.categorical_summary(cat, sizes)
    arms_hidden = dict(zip(ARMS, shield.mask([sizes.get(arm, 0) for arm in ARMS]), strict=True))
    hidden = _hidden_levels(summary, shield, [arm for arm, h in arms_hidden.items() if h])
    small_arm = any(shield.too_few(sizes.get(arm, 0)) for arm in ARMS)
    for variable, levels in summary.groupby("variable", sort=False):
        label = CATEGORICAL_LABELS[variable]
        any_hidden = any(any(hidden[(variable, level)].values()) for level in levels.level)
        smd_value = np.nan if small_arm or any_hidden else levels.smd.iloc[0]
        rows.append(
            {
                "characteristic": f"{label}, n (%)",
                "stent": "",
                "medical": "",
                "smd": smd_value,
                "smd_hidden": (any_hidden or small_arm) and bool(np.isfinite(levels.smd.iloc[0])),
                "level": False,
            }
        )
        vocabulary = baseline.CATEGORICAL[variable] or {}
        for r in each_row(levels):
            cells = {}
            for arm in ("stent", "medical"):
                n, share = getattr(r, f"n_{arm}"), getattr(r, f"share_{arm}")
                shown = _count_share(n, share, with_share=not arms_hidden[arm])  # a share would give n away
                cells[arm] = shield.label if hidden[(variable, r.level)][f"n_{arm}"] else shown
            rows.append(
                {
                    "characteristic": f"    {vocab.label(vocabulary, r.level)}",
                    **cells,
                    "smd": float("nan"),
                    "smd_hidden": False,
                    "level": True,
                }
            )
    return pd.DataFrame(rows)


def arm_header(cont: pd.DataFrame, shield: Protection = OFF) -> dict[str, str]:
    sizes = baseline.arm_sizes(cont)
    counts = [sizes.get(arm, 0) for arm in ARMS]
    hidden = shield.mask(counts)  # the arms add up to the cohort, shown above the table
    return {
        arm: f"{vocab.ARMS[arm]} (n = {shield.count(n, hide)})"
        for arm, n, hide in zip(ARMS, counts, hidden, strict=True)
    }


def analysis_set_smds(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The SMD table of an analysis set, with readable characteristic names."""
    smds = baseline.analysis_set_smds(data, columns)
    return pd.DataFrame({"Characteristic": smds.column.map(vocab.ANALYSIS_COLUMNS), "SMD": smds.smd.map(smd)})


def presented_table_one(cont: pd.DataFrame, cat: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Table 1 with its arm headers and flagged SMDs (blank on category levels; hidden where a cell of the
    row is)."""
    table = table_one(cont, cat, shield)
    header = arm_header(cont, shield)
    return pd.DataFrame(
        {
            "Characteristic": table.characteristic,
            header["stent"]: table.stent,
            header["medical"]: table.medical,
            "SMD": [
                "" if level else shield.label if gone else smd(v)
                for v, gone, level in zip(table.smd, table.smd_hidden, table.level, strict=True)
            ],
        }
    )


def summary_sizes(sizes: pd.DataFrame, hidden_label: str = "") -> str:
    hidden = sizes["hidden"] if "hidden" in sizes else pd.Series(False, index=sizes.index)
    text = {i: hidden_label if hidden[i] else f"{int(n):,}" for i, n in sizes.patients.items()}
    parts = [
        f"{study} ({d.design.iloc[0]}): " + _arms({r.arm: text[i] for i, r in d.iterrows()})
        for study, d in sizes.groupby("study_id", sort=True)
    ]
    return "Patients: " + "; ".join(parts) + "."


FUNNEL_LABELS = {
    "study": "Study",
    "arm": "Arm",
    "site": "Obstruction site",
    "grade": "Stenosis grade",
    "band": "Baseline PTS band",
    "sex": "Sex",
    "age": "Age, years",
    "ulcer": "Ulcer at baseline",
    **{key: spec.label for key, spec in vocab.MORE_FILTERS.items()},
}


def _chosen(cohort: CohortFilter, field: str) -> str:
    if field in vocab.MORE_FILTERS:  # its words without the label the row starts with
        return more_words(field, cohort.more_value(field) or ()).removeprefix(vocab.MORE_FILTERS[field].label).strip()
    value = getattr(cohort, field)
    if field == "age":
        return f"{value[0]}-{value[1]}"
    if field == "ulcer":
        return vocab.ULCER[value]
    labels = VOCABULARIES.get(field, {})
    return ", ".join(labels.get(v, v) for v in value)


def cohort_funnel(funnel: pd.DataFrame, cohort: CohortFilter, shield: Protection) -> pd.DataFrame:
    """The rows of the cohort funnel (queries/cohort_funnel.sql): every patient, then each filter that
    restricts the cohort, in the sidebar's order, with the patients left and those it removed. Under
    protection a count of 1..k-1 is hidden, left or removed, and more counts with it so that none follows
    from the others by subtraction (_funnel_hidden)."""
    by_step = dict(zip(funnel.step, funnel.patients, strict=True))
    rows: list[tuple[str, int, int | None]] = [("All patients", int(by_step.get(0, 0)), None)]
    before = 0
    for step, field in cohort.funnel_steps():
        rows.append((f"{FUNNEL_LABELS[field]}: {_chosen(cohort, field)}", int(by_step.get(step, 0)), before))
        before = step
    lefts = [left for _, left, _ in rows]
    removed = [lefts[i - 1] - lefts[i] for i in range(1, len(lefts))]
    hide = _funnel_hidden(lefts, removed, shield, every_shown=not shield.totals_hidden([lefts[-1]], [lefts[0]])[0])
    shown = []
    for i, (label, left, _) in enumerate(rows):
        gone = "" if i == 0 else shield.count(removed[i - 1], hide[len(lefts) + i - 1])
        shown.append({"Filter": label, "Patients left": shield.count(left, hide[i]), "Removed": gone})
    return pd.DataFrame(shown, columns=["Filter", "Patients left", "Removed"])


def _funnel_hidden(lefts: list[int], removed: list[int], shield: Protection, every_shown: bool = True) -> list[bool]:
    """Which of the funnel's counts to hide: the patients left at each row, then what each filter removed.
    Each is a sum of parts: the patients each filter removed, and the cohort; the first row (every
    patient) and the last (the cohort) are the sidebar's own two counts, shown beside it, so never hidden
    here, unless the sidebar hides its total (`every_shown` False: the filters removed 1..k-1 in all,
    Protection.totals_hidden), when the first row may hide too. A removed count of 1..k-1 between two
    shown lefts is their difference: one of them is hidden too, and the next row's removed with it
    (Protection.mask_sums)."""
    steps = len(removed)
    parts = np.zeros((2 * steps + 1, steps + 1))
    for i in range(steps + 1):
        parts[i, i:] = 1  # left after i filters: what the later filters removed, and the cohort
    for j in range(steps):
        parts[steps + 1 + j, j] = 1  # what filter j + 1 removed
    fixed = [i == steps or (i == 0 and every_shown) for i in range(steps + 1)] + [False] * steps
    return shield.mask_sums(parts, [*lefts, *removed], fixed)


MAX_BINS = 24  # the bars of a "More filters" range's histogram


def more_distribution(
    values: pd.DataFrame,
    low: int,
    high: int,
    chosen: tuple[int, int] | None,
    shield: Protection = OFF,
    missing: int = 0,
) -> pd.DataFrame:
    """The histogram under a "More filters" range slider: the patients per bin of whole units from `low`
    to `high` (at most MAX_BINS bins of equal width), from more_filter_distribution rows (value, patients)
    of one attribute. Columns: start, end (inclusive), patients (0 where protection hides the count: it is
    not in the figure at all), hidden, chosen (the bin meets the chosen range, or every bin
    when there is none). The bins and the `missing` patients without a value add up to every patient, a
    total shown beside them: no bin may be the only one hidden (Protection.mask); attrs["missing_hidden"]
    says whether the count of the patients without a value is hidden."""
    width = max(1, int(np.ceil((high - low + 1) / MAX_BINS)))
    starts = list(range(low, high + 1, width))
    counts = dict.fromkeys(starts, 0)
    for value, n in zip(values.value, values.patients, strict=True):
        start = low + (int(value) - low) // width * width
        if start in counts:
            counts[start] += int(n)
    lower, upper = chosen if chosen is not None else (low, high)
    flags = shield.mask([*counts.values(), missing])
    rows = []
    for (start, n), hidden in zip(counts.items(), flags, strict=False):
        end = start + width - 1
        rows.append(
            {
                "start": start,
                "end": end,
                "patients": 0 if hidden else n,
                "hidden": hidden,
                "chosen": end >= lower and start <= upper,
            }
        )
    bins = pd.DataFrame(rows, columns=["start", "end", "patients", "hidden", "chosen"])
    bins.attrs["missing_hidden"] = flags[-1]
    return bins
