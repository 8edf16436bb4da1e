"""Complications per arm: the share of patients with at least one (Clopper-Pearson exact 95% CI)
and the rate of events per 100 patient-years (exact Poisson 95% CI), in periods that start at the
index procedure for stented patients and at enrollment for medical ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson

from pts_explorer import vocab

PROPORTION_METHOD = (
    "patients with at least one event / patients followed in the period (at least one of its days under "
    "follow-up; a patient lost during the period counts without its full length, which the rate allows for), "
    "Clopper-Pearson exact 95% CI"
)
RATE_METHOD = (
    "events per 100 patient-years of follow-up in the period (every calendar day under follow-up counted, day 0 "
    "included, as events are), exact (Garwood) Poisson 95% CI"
)
METHOD = f"{PROPORTION_METHOD}; {RATE_METHOD}"
PERIODS = vocab.SAFETY_PERIODS
PERIOD_NOTES = {
    "within 30 days": "days 0 to 30 after the index procedure (stent arm) or enrollment (medical arm), day 0 being "
    "the day of the procedure or enrollment: 31 calendar days",
    "after 30 days": "from day 31 after the index procedure (stent arm) or enrollment (medical arm) to last contact",
    "before the procedure": "from enrollment (day 0) to the day before the index procedure (stent arm only)",
    "any time": "from enrollment (day 0) to last contact, whatever the arm",
}

# The curves of Safety's first chart (queries/complication_counts.sql), in the order drawn.
CURVES = {
    "stent": "Stent: bleeding, DVT, PE, ulcer",
    "medical": "Medical: bleeding, DVT, PE, ulcer",
    "stent_related": "Stent: stent-related",
}
CURVE_AXES = {
    "within 30 days": "Days since the procedure (stent) or enrollment (medical)",
    "after 30 days": "Months since day 30 after the procedure (stent) or enrollment (medical)",
    "any time": "Months since enrollment (both arms)",
}
CURVE_WINDOWS = {
    "within 30 days": "Time from the index procedure (stent arm) or enrollment (medical arm), days 0 to 30 (day 0 "
    "included), as the table below counts them; a patient followed beyond day 30 is censored there.",
    "after 30 days": "Time from day 30 after the index procedure (stent arm) or enrollment (medical arm), among "
    "patients followed beyond day 30; a complication in the first 30 days does not exclude a patient: each period "
    "counts its own first complication.",
    "any time": "Time from enrollment in both arms (a stented patient's days before the procedure included) to last "
    "contact.",
}


def axis_top(highest: float) -> float:
    """The top of a cumulative incidence axis: the next 5% above the highest upper confidence
    bound, at most 100% (a 30-day incidence of a few percent is not drawn flat on a 0-100% axis)."""
    if not np.isfinite(highest) or highest <= 0:
        return 0.05
    return min(float(np.ceil(highest * 20 + 1e-9) / 20), 1.0) + 0.005


def _listed(event_types: tuple[str, ...]) -> str:
    labels = [vocab.EVENT_LABELS[e][0].lower() + vocab.EVENT_LABELS[e][1:] for e in event_types]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


LIKE_WITH_LIKE = (
    f"Like with like: the Stent and Medical curves count the first complication either arm can have "
    f"({_listed(vocab.SHARED_COMPLICATIONS)})."
)
STENT_RELATED = (
    f"The stent-related curve counts the first of {_listed(vocab.STENT_COMPLICATIONS)}: they need a stent or its "
    "procedure, so medical patients cannot have them; it has no medical counterpart and no test."
)


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
