"""Complications, as presented: rates by arm and period, and the incidence at the landmarks."""

from __future__ import annotations

import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import DASH, NO_ESTIMATE, number, percent
from pts_explorer.privacy import OFF, Protection
from pts_explorer.rows import each_row


def _safety_cells(r: object, shield: Protection, n_hidden: bool) -> tuple[str, str]:
    """A complication's two cells for one arm: patients with it of n (share, CI), and events
    (rate per 100 PY, CI); with small-cell protection, no count below k and no share or rate
    that would give one away."""
    n, x, events = int(r.patients), int(r.patients_with), int(r.events)  # type: ignore[attr-defined]
    if n == 0:  # nobody of this arm (or subgroup) followed in the period
        share = f"0 of 0 · {DASH}"
    elif n_hidden or shield.small(x) or shield.small(n - x):  # x and n - x add up to n
        share = f"{shield.label if x else 0} of {shield.count(n, n_hidden)}"
    else:
        share = f"{x:,} of {n:,} · {number(r.pct, 1)}% ({number(r.ci_low, 1)}-{number(r.ci_high, 1)})"  # type: ignore[attr-defined]
    if shield.small(events) or n_hidden:
        per_py = f"{shield.count(events, True)} · {DASH}" if events else f"0 · {DASH}"
    elif r.patient_years > 0:  # type: ignore[attr-defined]
        per_py = f"{events:,} · {number(r.rate)} ({number(r.rate_low)}-{number(r.rate_high)})"  # type: ignore[attr-defined]
    else:
        per_py = f"{events:,} · {DASH}"
    return share, per_py


def safety_table(rates: pd.DataFrame, period: str, shield: Protection = OFF) -> pd.DataFrame:
    """One row per complication (and subgroup); per arm, patients with at least one event
    ('12 of 1,529 · 0.8% (0.4-1.4)') and events with their rate per 100 patient-years."""
    d = rates[rates.period == period].copy()
    # The subgroups' patients add up to the arm's: a second n is hidden where one is.
    n_hidden = shield.mask_frame(d, "patients", [["arm", "event_type"]])
    cells = [_safety_cells(r, shield, hide) for r, hide in zip(each_row(d), n_hidden, strict=True)]
    d["share"] = [share for share, _ in cells]
    d["per_py"] = [per_py for _, per_py in cells]
    d["Complication"] = d.event_type.map(vocab.EVENT_LABELS)
    index = ["Complication"] + (["group_value"] if d.group_value.nunique() > 1 else [])
    wide = d.pivot_table(index=index, columns="arm", values=["share", "per_py"], aggfunc="first").reset_index()
    columns = {}
    for arm in ("stent", "medical"):
        if ("share", arm) in wide.columns:
            columns[("share", arm)] = f"{vocab.ARMS[arm]}: patients, % (95% CI)"
            columns[("per_py", arm)] = f"{vocab.ARMS[arm]}: events, per 100 PY (95% CI)"
    out = wide[[*[(c, "") for c in index], *columns]]
    out.columns = [*index, *columns.values()]
    order = {label: i for i, label in enumerate(vocab.EVENT_LABELS.values())}
    levels = {**vocab.SITES, **vocab.GRADES}  # the subgroups of a split, in their natural order
    rank = {code: i for i, code in enumerate(levels)}
    out = out.sort_values(
        by=index, key=lambda s: s.map(order) if s.name == "Complication" else s.map(lambda v: rank.get(v, len(rank)))
    )
    if "group_value" in out:
        out["group_value"] = out.group_value.map(lambda v: levels.get(v, v))
    return out.rename(columns={"group_value": "Subgroup"}).reset_index(drop=True)


def safety_bars(rates: pd.DataFrame, period: str, shield: Protection = OFF) -> pd.DataFrame:
    """The bars of Safety's chart of patients with each complication in `period`, per arm (and
    subgroup): one row each with the share and its exact CI (percent), `text` the table's cell
    (safety_table: the same counts hidden alike), `hidden` where that cell shows no share (no bar then).
    Complications no patient of the cohort could have or had in the period (0 in every arm) are left out."""
    d = rates[rates.period == period].copy()
    n_hidden = shield.mask_frame(d, "patients", [["arm", "event_type"]])
    d["text"] = [_safety_cells(r, shield, hide)[0] for r, hide in zip(each_row(d), n_hidden, strict=True)]
    d["hidden"] = ~d.text.str.contains("%", regex=False)
    d["label"] = d.event_type.map(vocab.EVENT_LABELS)
    with_any = set(d.event_type[d.patients_with > 0])
    d = d[d.event_type.isin(with_any) & (d.patients > 0)]
    order = {event: i for i, event in enumerate(vocab.EVENT_LABELS)}
    return d.sort_values("event_type", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def summary_safety_bars(bars: pd.DataFrame) -> str:
    """The bar chart in words: each complication's patients per arm, as the table reads."""
    if bars.empty:
        return "No complication in this period."
    parts = []
    split = bars.group_value.nunique() > 1
    levels = {**vocab.SITES, **vocab.GRADES}
    for (group, label), d in bars.groupby(["group_value", "label"], sort=False):
        cells = "; ".join(f"{vocab.ARMS[r.arm].lower()} {r.text}" for r in each_row(d))
        parts.append(f"{levels.get(group, group)}, {label}: {cells}" if split else f"{label}: {cells}")
    return "Patients with each complication: " + ". ".join(parts) + "."


def summary_complications(marks: pd.DataFrame, labels: dict[str, str], order: list[str]) -> str:
    """The text alternative of Safety's first chart: each curve's cumulative incidence at 30 days
    (marks without years) or at 1 and 5 years, in the order drawn."""
    shown = marks[(marks.at_risk > 0) & marks.estimate.notna()]
    if shown.empty:
        return NO_ESTIMATE[1]
    parts = []
    for years in [int(y) for y in shown.years.unique()] if "years" in shown else [None]:
        at = shown if years is None else shown[shown.years == years]
        at = at.assign(rank=at.group.map(order.index)).sort_values("rank")
        when = "At 30 days" if years is None else f"At {years} year{'s' * (years > 1)}"
        shares = ", ".join(f"{labels.get(r.group, r.group)} {percent(r.estimate, 1)}" for r in each_row(at))
        parts.append(f"{when}: {shares}")
    return "; ".join(parts) + "."
