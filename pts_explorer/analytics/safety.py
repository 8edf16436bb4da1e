"""Complication rates per arm with exact (Clopper-Pearson) 95% CIs."""

from __future__ import annotations

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from pts_explorer import vocab

METHOD = "patients with at least one event / patients in the arm, Clopper-Pearson exact 95% CI"
PERIODS = ("within 30 days", "after 30 days", "any time")


def rates(events: pd.DataFrame, denominators: pd.DataFrame) -> pd.DataFrame:
    """Every complication x arm x group x period, zero-filled, with % and exact 95% CI.

    events: rows of safety_events; denominators: arm, group_value, patients (everyone, with or
    without events, so that an event-free arm still shows 0 of n).
    """
    grid = denominators.merge(pd.DataFrame({"event_type": list(vocab.EVENT_LABELS)}), how="cross").merge(
        pd.DataFrame({"period": list(PERIODS)}), how="cross"
    )
    keyed = events.drop(columns="patients", errors="ignore")
    out = grid.merge(keyed, on=["arm", "group_value", "event_type", "period"], how="left").fillna(
        {"events": 0, "patients_with": 0}
    )
    out[["events", "patients_with"]] = out[["events", "patients_with"]].astype(int)
    out["pct"] = 100 * out.patients_with / out.patients
    low, high = proportion_confint(out.patients_with, out.patients, method="beta")
    out["ci_low"], out["ci_high"] = 100 * low, 100 * high
    return out


TIME_BINS = (
    (0, 1, "0-1 mo"),
    (1, 3, "1-3 mo"),
    (3, 6, "3-6 mo"),
    (6, 12, "6-12 mo"),
    (12, 24, "1-2 y"),
    (24, 60, "2-5 y"),
    (60, 121, "5-10 y"),
)


def timeline_bins(timeline: pd.DataFrame) -> pd.DataFrame:
    """Events per arm, type and time window since the procedure (month counts from safety_timeline)."""
    out = []
    for low, high, label in TIME_BINS:
        part = timeline[(timeline.month >= low) & (timeline.month < high)]
        out.append(part.groupby(["arm", "event_type"], as_index=False).events.sum().assign(window=label))
    return pd.concat(out, ignore_index=True)
