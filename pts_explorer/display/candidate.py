"""The Candidate page's tables: this patient against the matched patients, the agreement per
field, the expected benefit, responders and landmarks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pts_explorer import vocab
from pts_explorer.display.text import ARMS, DASH, _mean_sd, estimate_with_ci, interval, number, percent, rounded_count
from pts_explorer.privacy import OFF, Protection
from pts_explorer.rows import each_row

CANDIDATE_ROWS = {  # candidate_baseline variable: (label, Profile attribute, unit, a share?)
    "age_years": ("Age, years", "age", False),
    "stenosis_pct": ("Stenosis, %", "stenosis", False),
    "lesion_length_mm": ("Lesion length, mm", "length", False),
    "months_since_dvt": ("Months since DVT", "months", False),
    "villalta_total": ("Villalta, points (0-33)", "villalta_total", False),
    "vcss": ("VCSS, points (0-30)", "vcss", False),
    "female": ("Sex (matched: % female)", "sex", True),
    "left_limb": ("Limb (matched: % left)", "side", True),
    "ulcer": ("Open ulcer (matched: % with one)", "ulcer", True),
}
_CANDIDATE_VALUES = {"sex": vocab.SEXES, "side": vocab.LIMB_SIDES, "ulcer": vocab.YES_NO}


def candidate_similarity(profile: object, baseline: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """The candidate beside the matched patients of each arm: mean (SD) or share."""
    rows = []
    for variable, (label, attribute, share) in CANDIDATE_ROWS.items():
        value = getattr(profile, attribute)
        mine = "not given" if value is None else _CANDIDATE_VALUES.get(attribute, {}).get(str(value), str(value))
        row = {"Characteristic": label, "This patient": mine}
        for arm in ARMS:
            r = baseline[(baseline.arm == arm) & (baseline.variable == variable)]
            n = int(r.n.iloc[0]) if len(r) else 0
            if n == 0:
                text = DASH
            elif shield.too_few(n):
                text = f"n {shield.label}"
            elif share:
                text = percent(float(r["mean"].iloc[0]))
            else:
                text = _mean_sd(n, float(r["mean"].iloc[0]), float(r.sd.fillna(0).iloc[0]))
            row[f"Matched {vocab.ARMS[arm].lower()}"] = text
        rows.append(row)
    return pd.DataFrame(rows)


def candidate_agreement(table: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Per field the profile gives: when a matched patient agrees with it, the share of each arm's
    matched patients that do, and whether the match honours it (analytics.candidate.agreement)."""
    rows = []
    for r in each_row(table):
        row = {"Field": r.field, "Agrees when": r.agreement}
        for arm in ARMS:
            share, n = getattr(r, arm), getattr(r, f"n_{arm}")
            hidden = shield.too_few(n) or pd.isna(share)
            row[f"Matched {vocab.ARMS[arm].lower()}"] = DASH if hidden else percent(float(share))
        row["Honoured"] = "yes" if r.honoured else "no"
        rows.append(row)
    return pd.DataFrame(rows, columns=["Field", "Agrees when", "Matched stent", "Matched medical", "Honoured"])


CANDIDATE_ESTIMATE_COLUMNS = [
    "Visit (month)",
    "Estimate",
    "Points (lower is better)",
    "95% CI",
    "95% range, new patient",
]


def candidate_estimates(model: list, matched: pd.DataFrame, matched_design: str = "") -> pd.DataFrame:
    """Per visit: the model's expected change with each treatment for the profile (95% CI, and the
    95% prediction interval for one new patient), their stent − medical difference, and the matched
    patients' own difference in mean change, named by its design (`matched_design`)."""
    rows = []
    for m in model:
        for what, p in (("with a stent", m.stent), ("with medical treatment", m.medical)):
            rows.append(
                {
                    "Visit (month)": m.visit_month,
                    "Estimate": f"Model: {what}",
                    "Points (lower is better)": number(p.expected, 1, signed=True),
                    "95% CI": interval(p.ci_low, p.ci_high, 1),
                    "95% range, new patient": interval(p.pi_low, p.pi_high, 1),
                }
            )
        rows.append(
            {
                "Visit (month)": m.visit_month,
                "Estimate": f"Model: stent − medical ({m.n_stent} / {m.n_medical} randomized)",
                "Points (lower is better)": number(m.diff, 1, signed=True),
                "95% CI": interval(m.ci_low, m.ci_high, 1),
                "95% range, new patient": "",
            }
        )
    design = f", {matched_design}" if matched_design else ""
    for r in each_row(matched):
        rows.append(
            {
                "Visit (month)": int(r.visit_month),
                "Estimate": f"Matched {int(r.n_stent)} / {int(r.n_medical)}: stent − medical{design}",
                "Points (lower is better)": number(r.diff, 1, signed=True),
                "95% CI": interval(r.ci_low, r.ci_high, 1),
                "95% range, new patient": "",
            }
        )
    frame = pd.DataFrame(rows, columns=CANDIDATE_ESTIMATE_COLUMNS)
    return frame.sort_values("Visit (month)", kind="stable").reset_index(drop=True)


def candidate_responders(rates: pd.DataFrame, shield: Protection = OFF) -> pd.DataFrame:
    """Per arm and visit: improved by the threshold, and one band down (Wilson CIs)."""
    rows = []
    for r in each_row(rates.sort_values(["visit_month", "arm"], ascending=[True, False])):
        small = shield.small(int(r.n)) or shield.small(int(r.responders))
        rows.append(
            {
                "Visit (month)": int(r.visit_month),
                "Arm": vocab.ARMS[r.arm],
                "Responded": r.definition,
                "Patients / due": shield.label if small else f"{int(r.responders):,} / {int(r.n):,}",
                "Share (Wilson 95% CI)": DASH if small else estimate_with_ci(r.proportion, r.ci_low, r.ci_high),
            }
        )
    columns = ["Visit (month)", "Arm", "Responded", "Patients / due", "Share (Wilson 95% CI)"]
    return pd.DataFrame(rows, columns=columns)


def candidate_landmarks(marks: pd.DataFrame, what: str, shield: Protection = OFF) -> pd.DataFrame:
    """Estimates at landmarks per arm (Kaplan-Meier or cumulative incidence) with their CIs."""
    rows = []
    for r in each_row(marks):
        hidden = shield.too_few(int(r.at_risk)) or not np.isfinite(r.estimate)
        rows.append(
            {
                "Arm": vocab.ARMS.get(str(r.group), str(r.group)),
                "Years": int(r.years),
                what: DASH if hidden else estimate_with_ci(r.estimate, r.ci_low, r.ci_high),
                "At risk": rounded_count(r.at_risk, shield.k) if shield.active else shield.count(int(r.at_risk)),
            }
        )
    return pd.DataFrame(rows, columns=["Arm", "Years", what, "At risk"])
