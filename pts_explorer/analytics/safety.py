"""Complications per arm: the share of patients with at least one (Clopper-Pearson exact 95% CI)
and the rate of events per 100 patient-years (exact Poisson 95% CI), in periods that start at the
index procedure for stented patients and at enrollment for medical ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from pts_explorer import vocab

PROPORTION_METHOD = "patients with at least one event / patients followed in the period, Clopper-Pearson exact 95% CI"
RATE_METHOD = "events per 100 patient-years of follow-up in the period, exact (Garwood) Poisson 95% CI"
METHOD = f"{PROPORTION_METHOD}; {RATE_METHOD}"
PERIODS = vocab.SAFETY_PERIODS
PERIOD_NOTES = {
    "within 30 days": "days 0-30 after the index procedure (stent arm) or enrollment (medical arm)",
    "after 30 days": "from day 31 after the index procedure (stent arm) or enrollment (medical arm)",
    "before the procedure": "between enrollment and the index procedure (stent arm only)",
    "any time": "from enrollment to last contact, whatever the arm",
}


def rates(events: pd.DataFrame, exposure: pd.DataFrame) -> pd.DataFrame:
    """Every complication x arm x group x period with follow-up, zero-filled: patients, events,
    patients_with, pct and its exact CI, rate per 100 patient-years and its exact CI.

    events: rows of safety_events; exposure: rows of safety_exposure (patients and follow-up days
    per arm, group and period, so that an event-free period still shows 0 of n).
    """
    grid = exposure.merge(pd.DataFrame({"event_type": list(vocab.EVENT_LABELS)}), how="cross")
    out = grid.merge(events, on=["arm", "group_value", "event_type", "period"], how="left")
    out = out.fillna({"events": 0, "patients_with": 0})
    out[["events", "patients_with", "patients"]] = out[["events", "patients_with", "patients"]].astype(int)
    out["pct"] = 100 * out.patients_with / out.patients
    low, high = proportion_confint(out.patients_with, out.patients, method="beta")
    out["ci_low"], out["ci_high"] = 100 * low, 100 * high
    out["patient_years"] = out.follow_up_days / vocab.DAYS_PER_YEAR
    hundreds = out.patient_years / 100
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = out.events / hundreds
        r_low, r_high = confint_poisson(out.events.to_numpy(), hundreds.to_numpy(), method="exact-c")
    out["rate_low"], out["rate_high"] = r_low, r_high
    return out
