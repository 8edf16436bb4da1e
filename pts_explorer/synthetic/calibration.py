"""Measure the data contract's calibration targets straight from a database file.

Used by tests/unit/test_calibration.py and by `python -m pts_explorer.synthetic.calibration FILE`, which
prints each measured figure beside its target. Written independently of the app's query layer so
that it cross-checks it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import duckdb
import pandas as pd
from lifelines import KaplanMeierFitter

from pts_explorer.vocab import DAYS_PER_MONTH


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    low: float
    high: float


TARGETS = (
    Target("trial_baseline_villalta_mean", "Trial baseline Villalta, mean", 13.0, 15.0),
    Target("trial_baseline_villalta_sd", "Trial baseline Villalta, SD", 3.0, 5.0),
    Target("trial_m6_change_stent", "Trial month-6 Villalta change, stent", -6.8, -5.2),
    Target("trial_m6_change_medical", "Trial month-6 Villalta change, medical", -2.4, -0.8),
    Target("trial_high_grade_civ_cfv_effect", "Trial m6 effect, high-grade CIV/CFV", -99.0, -5.0),
    Target("registry_high_grade_civ_cfv_effect", "Registry m6 effect, high-grade CIV/CFV", -99.0, -5.0),
    Target("trial_50_69_effect", "Trial m6 effect, 50-69%", -3.0, 0.0),
    Target("registry_50_69_effect", "Registry m6 effect, 50-69%", -3.0, 0.0),
    Target("trial_m12_qol_difference", "Trial m12 VEINES-QOL difference", 5.0, 11.0),
    Target("trial_m12_vcss_difference", "Trial m12 VCSS difference", -4.1, -1.7),
    Target("primary_patency_12m", "Primary patency 12 months (KM)", 0.75, 0.83),
    Target("secondary_patency_12m", "Secondary patency 12 months (KM)", 0.90, 0.98),
    Target("primary_patency_72m", "Primary patency 72 months (KM)", 0.51, 0.63),
    Target("secondary_patency_72m", "Secondary patency 72 months (KM)", 0.80, 0.92),
    Target("early_thrombosis_pct", "Stent thrombosis within 30 days, %", 1.5, 4.5),
    Target("major_bleeding_30d_pct", "Major bleeding within 30 days, stent, %", 0.3, 1.7),
    Target("baseline_corr_villalta_vcss", "Baseline corr Villalta-VCSS", 0.62, 0.82),
    Target("baseline_corr_villalta_qol", "Baseline corr Villalta-VEINES-QOL", -0.78, -0.58),
    Target("age_mean", "Age, mean", 48.0, 52.0),
    Target("female_pct", "Female, %", 56.0, 64.0),
    Target("left_limb_pct", "Left limb, %", 66.0, 74.0),
    Target("trial_attendance_pct", "Trial scheduled visits attended, %", 85.0, 95.0),
    Target("ulcer_healed_5y_stent", "Ulcer healed by 5 years, stent (KM)", 0.58, 0.74),
)

CHANGE_SQL = """
SELECT p.study_id, p.arm, p.obstruction_site, p.stenosis_grade,
       f.villalta_total - b.villalta_total AS change
FROM patients p
JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
JOIN visits f ON f.patient_id = p.patient_id AND f.visit_month = $month
"""

OUTCOME_DIFF_SQL = """
SELECT p.arm, avg(f.{col} - b.{col}) AS mean_change
FROM patients p
JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
JOIN visits f ON f.patient_id = p.patient_id AND f.visit_month = $month
WHERE p.study_id = 'TRIAL'
GROUP BY p.arm
"""

PATENCY_SQL = """
WITH stented AS (
    SELECT p.patient_id, pr.procedure_day, p.last_contact_day
    FROM patients p JOIN procedures pr USING (patient_id)
    WHERE p.arm = 'stent' AND pr.technical_success
),
first_loss AS (
    SELECT patient_id,
           min(event_day) FILTER (
               WHERE event_type IN ('stent_thrombosis', 'restenosis', 'reintervention')) AS primary_day,
           min(event_day) FILTER (WHERE event_type = 'stent_thrombosis'
               AND NOT EXISTS (SELECT 1 FROM events r WHERE r.patient_id = e.patient_id
                               AND r.event_type = 'patency_restored' AND r.event_day >= e.event_day)) AS secondary_day
    FROM events e GROUP BY patient_id
)
SELECT s.procedure_day, s.last_contact_day, f.primary_day, f.secondary_day
FROM stented s LEFT JOIN first_loss f USING (patient_id)
"""


def _km_at(durations: pd.Series, observed: pd.Series, months: float) -> float:
    kmf = KaplanMeierFitter().fit(durations, observed)
    return float(kmf.survival_function_at_times(months * DAYS_PER_MONTH).iloc[0])


def _effect(changes: pd.DataFrame) -> float:
    means = changes.groupby("arm")["change"].mean()
    return float(means.get("stent", float("nan")) - means.get("medical", float("nan")))


def _change_measures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    m6 = con.execute(CHANGE_SQL, {"month": 6}).df()
    trial = m6[m6.study_id == "TRIAL"]
    high_grade = m6.stenosis_grade.isin(["70-99%", "occlusion"])
    high = high_grade & m6.obstruction_site.isin(["common_iliac", "common_femoral"])
    mid = m6.stenosis_grade == "50-69%"
    out = {
        "trial_m6_change_stent": float(trial[trial.arm == "stent"].change.mean()),
        "trial_m6_change_medical": float(trial[trial.arm == "medical"].change.mean()),
    }
    for study in ("TRIAL", "REGISTRY"):
        in_study = m6.study_id == study
        out[f"{study.lower()}_high_grade_civ_cfv_effect"] = _effect(m6[in_study & high])
        out[f"{study.lower()}_50_69_effect"] = _effect(m6[in_study & mid])
    for key, col in (("trial_m12_qol_difference", "veines_qol"), ("trial_m12_vcss_difference", "vcss")):
        diff = con.execute(OUTCOME_DIFF_SQL.format(col=col), {"month": 12}).df().set_index("arm").mean_change
        out[key] = float(diff["stent"] - diff["medical"])
    return out


def _patency_measures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    d = con.execute(PATENCY_SQL).df()
    out = {}
    for kind in ("primary", "secondary"):
        event = d[f"{kind}_day"].notna()
        duration = d[f"{kind}_day"].fillna(d.last_contact_day) - d.procedure_day
        for months in (12, 72):
            out[f"{kind}_patency_{months}m"] = _km_at(duration.clip(lower=0), event, months)
    return out


def _safety_measures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    sql = """
    SELECT count(DISTINCT p.patient_id) AS n,
           count(DISTINCT e.patient_id) FILTER (WHERE e.event_type = 'stent_thrombosis'
                AND e.event_day - pr.procedure_day <= 30) AS early_thrombosis,
           count(DISTINCT e.patient_id) FILTER (WHERE e.event_type = 'major_bleeding'
                AND e.event_day - pr.procedure_day <= 30) AS bleeding
    FROM patients p JOIN procedures pr USING (patient_id) LEFT JOIN events e USING (patient_id)
    WHERE p.arm = 'stent'
    """
    n, thromb, bleed = con.execute(sql).fetchall()[0]
    return {"early_thrombosis_pct": 100 * thromb / n, "major_bleeding_30d_pct": 100 * bleed / n}


def _baseline_measures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    corr = con.execute(
        "SELECT corr(villalta_total, vcss), corr(villalta_total, veines_qol) FROM visits WHERE visit_month = 0"
    ).fetchall()[0]
    trial = con.execute(
        "SELECT avg(villalta_total), stddev_samp(villalta_total) FROM visits JOIN patients USING (patient_id) "
        "WHERE visit_month = 0 AND study_id = 'TRIAL'"
    ).fetchall()[0]
    demo = con.execute(
        "SELECT avg(age_years), 100 * avg((sex = 'female')::INT), 100 * avg((limb_side = 'left')::INT) FROM patients"
    ).fetchall()[0]
    attendance = con.execute(
        """SELECT 100 * (SELECT count(*) FROM visits JOIN patients USING (patient_id) WHERE study_id = 'TRIAL')
                  / (SELECT count(*) * len(any_value(s.visit_months)) FROM patients p JOIN studies s USING (study_id)
                     WHERE p.study_id = 'TRIAL')"""
    ).fetchall()[0][0]
    return {
        "baseline_corr_villalta_vcss": corr[0],
        "baseline_corr_villalta_qol": corr[1],
        "trial_baseline_villalta_mean": trial[0],
        "trial_baseline_villalta_sd": trial[1],
        "age_mean": demo[0],
        "female_pct": demo[1],
        "left_limb_pct": demo[2],
        "trial_attendance_pct": attendance,
    }


def _ulcer_measures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    d = con.execute(
        """SELECT p.arm, p.last_contact_day,
                  (SELECT min(event_day) FROM events e WHERE e.patient_id = p.patient_id
                   AND e.event_type = 'ulcer_healed') AS healed_day
           FROM patients p JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0
           WHERE b.ulcer_present"""
    ).df()
    out = {}
    for arm in ("stent", "medical"):
        a = d[d.arm == arm]
        out[f"ulcer_healed_5y_{arm}"] = 1 - _km_at(a.healed_day.fillna(a.last_contact_day), a.healed_day.notna(), 60)
    return out


def registry_attendance_by_month(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Share of living registry patients seen at each scheduled month (should fall with time)."""
    return con.execute(
        """SELECT v.visit_month, count(*) / (SELECT count(*) FROM patients WHERE study_id = 'REGISTRY') AS attended
           FROM visits v JOIN patients p USING (patient_id) WHERE p.study_id = 'REGISTRY'
           GROUP BY v.visit_month ORDER BY v.visit_month"""
    ).df()


def measure(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Every calibration figure, keyed as in TARGETS (plus the medical-arm ulcer healing)."""
    out: dict[str, float] = {}
    for part in (_change_measures, _patency_measures, _safety_measures, _baseline_measures, _ulcer_measures):
        out.update(part(con))
    return out


def main(argv: list[str]) -> int:
    con = duckdb.connect(argv[0], read_only=True)
    values = measure(con)
    ok = True
    for t in TARGETS:
        v = values[t.key]
        hit = t.low <= v <= t.high
        ok &= hit
        print(f"{'ok ' if hit else 'OFF'} {t.label:45s} {v:8.3f}   target [{t.low}, {t.high}]")
    print(f"    Ulcer healed by 5 years, medical (KM)        {values['ulcer_healed_5y_medical']:8.3f}")
    print(registry_attendance_by_month(con).to_string(index=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
