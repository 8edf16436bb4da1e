"""Deterministic synthetic PTS outcomes cohort: a randomized trial and a 10-year registry.

    python -m pts_explorer.synthetic                       # default demo -> data/pts_outcomes.duckdb
    python -m pts_explorer.synthetic --registry-patients 1000000 --out /tmp/big.duckdb

All draws are vectorised with numpy and written chunk by chunk, so a million patients stream
through without Python row loops. The file is written to a temporary name and renamed over the
target, so a reader never sees a half-written database.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from pts_explorer.atomic import write_atomically
from pts_explorer.config import DEFAULT_DB_PATH, SCHEMA_PATH
from pts_explorer.derived import write_derived
from pts_explorer.synthetic.params import (
    DEFAULT_SEED,
    GENERATOR_VERSION,
    GRADES,
    REGISTRY,
    SITES,
    TRIAL,
    VILLALTA_ITEMS,
    StudyDesign,
    SynthParams,
)
from pts_explorer.vocab import DAYS_PER_MONTH, DAYS_PER_YEAR

VISIT_WINDOW_DAYS = 45
NO_EVENT = np.inf


@dataclass
class Chunk:
    """Tables generated for one block of patients."""

    patients: pd.DataFrame
    visits: pd.DataFrame
    procedures: pd.DataFrame
    events: pd.DataFrame


# ----------------------------------------------------------------------------------------------
# Small vectorised helpers
# ----------------------------------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _interpolate_months(curve: dict[int, float], months: np.ndarray) -> np.ndarray:
    keys = np.array(sorted(curve))
    return np.interp(months, keys, np.array([curve[k] for k in keys]))


def _exponential_days(rng: np.random.Generator, rate_per_year: np.ndarray | float, n: int) -> np.ndarray:
    rate = np.broadcast_to(np.asarray(rate_per_year, dtype=float), (n,))
    with np.errstate(divide="ignore"):
        return np.where(rate > 0, rng.exponential(1.0, n) / np.maximum(rate, 1e-300), NO_EVENT) * DAYS_PER_YEAR


def _two_piece_exponential_days(
    rng: np.random.Generator, rate_early: float, rate_late: float, switch_day: float, multiplier: np.ndarray
) -> np.ndarray:
    """Time to event (days) with a constant hazard before `switch_day` and another after it."""
    n = multiplier.size
    e = rng.exponential(1.0, n)
    early_mass = rate_early * multiplier * switch_day
    return np.where(
        e < early_mass,
        e / (rate_early * multiplier),
        switch_day + (e - early_mass) / (rate_late * multiplier),
    )


def _weibull_days(rng: np.random.Generator, shape: float, scale_years: np.ndarray) -> np.ndarray:
    return scale_years * rng.weibull(shape, scale_years.size) * DAYS_PER_YEAR


def _choice(rng: np.random.Generator, values: tuple, shares: tuple[float, ...], n: int) -> np.ndarray:
    p = np.asarray(shares, dtype=float)
    return rng.choice(len(values), size=n, p=p / p.sum())


# ----------------------------------------------------------------------------------------------
# Patients
# ----------------------------------------------------------------------------------------------


def _draw_candidates(rng: np.random.Generator, n: int, study: StudyDesign, p: SynthParams) -> dict:
    """Patient characteristics, latent severity and the baseline Villalta items of n candidates."""
    age = np.clip(np.rint(rng.normal(p.age_mean, p.age_sd, n)), p.age_min, p.age_max).astype(int)
    female = rng.random(n) < p.female_share
    site = _choice(rng, SITES, p.site_shares, n)
    grade = _choice(rng, GRADES, p.grade_shares, n)
    grade_lo = np.array([10, 50, 70, 100])[grade]
    grade_hi = np.array([49, 69, 99, 100])[grade]
    stenosis = rng.integers(grade_lo, grade_hi + 1)
    is_trial = study.design == "randomized"
    latent_mean = p.trial_latent_mean if is_trial else p.registry_latent_mean
    latent_sd = p.trial_latent_sd if is_trial else p.registry_latent_sd
    latent = np.clip(rng.normal(latent_mean, latent_sd, n), 1.0, 30.0)
    ulcer = rng.random(n) < _sigmoid(p.ulcer_logit_intercept + p.ulcer_logit_per_point * (latent - 12.0))
    item_re = rng.normal(0.0, p.item_patient_sd, (n, len(VILLALTA_ITEMS)))
    cand = {
        "age": age,
        "female": female,
        "bmi": np.clip(np.round(rng.normal(p.bmi_mean, p.bmi_sd, n) + 0.6 * female, 1), 17.0, 60.0),
        "left": rng.random(n) < p.left_limb_share,
        "months_since_dvt": np.maximum(
            3, np.rint(p.months_since_dvt_median * np.exp(rng.normal(0, p.months_since_dvt_sigma, n)))
        ).astype(int),
        "site": site,
        "grade": grade,
        "stenosis": stenosis,
        "lesion_mm": np.rint(np.array(p.lesion_length_median_mm)[site] * np.exp(rng.normal(0, 0.35, n))).astype(int)
        + 5,
        "latent": latent,
        "ulcer0": ulcer,
        "healed_ulcer_history": (~ulcer) & (rng.random(n) < p.healed_ulcer_share),
        "item_re": item_re,
        "baseline_noise": rng.normal(0.0, p.visit_common_sd, n),
        "baseline_item_noise": rng.normal(0.0, p.item_visit_sd, (n, len(VILLALTA_ITEMS))),
    }
    cand["baseline_items"] = _villalta_items(
        p, latent, np.zeros(n) + cand["baseline_noise"], item_re, cand["baseline_item_noise"]
    )
    return cand


def _villalta_items(
    p: SynthParams, latent: np.ndarray, change: np.ndarray, item_re: np.ndarray, item_noise: np.ndarray
) -> np.ndarray:
    """Integer 0-3 items: baseline severity spread by prominence, change spread by responsiveness."""
    w = np.asarray(p.item_prominence)
    r = np.asarray(p.item_responsiveness)
    x = latent[:, None] * (w / w.sum()) + change[:, None] * (r / r.sum()) + item_re + item_noise
    return np.clip(np.rint(x), 0, 3).astype(np.int16)


def _eligible(cand: dict, study: StudyDesign, p: SynthParams) -> np.ndarray:
    total = cand["baseline_items"].sum(axis=1)
    if study.design == "randomized":
        return (cand["stenosis"] >= p.trial_min_stenosis_pct) & ((total >= p.trial_min_villalta) | cand["ulcer0"])
    return (total >= p.registry_min_villalta) | cand["ulcer0"]


def _select(cand: dict, keep: np.ndarray, n: int) -> dict:
    idx = np.flatnonzero(keep)[:n]
    return {k: v[idx] for k, v in cand.items()}


def _draw_patients(rng: np.random.Generator, n: int, study: StudyDesign, p: SynthParams) -> dict:
    """Screen candidates until n meet the study's inclusion criteria."""
    parts, have = [], 0
    while have < n:
        cand = _draw_candidates(rng, max(2 * (n - have), 64), study, p)
        chosen = _select(cand, _eligible(cand, study, p), n - have)
        parts.append(chosen)
        have += len(chosen["age"])
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def _assign_arms(rng: np.random.Generator, pt: dict, study: StudyDesign, p: SynthParams) -> np.ndarray:
    """True = stent. Trial: permuted blocks of four. Registry: clinician's choice (confounded)."""
    n = pt["age"].size
    if study.design == "randomized":
        blocks = [rng.permutation([True, True, False, False]) for _ in range((n + 3) // 4)]
        return np.concatenate(blocks)[:n]
    total0 = pt["baseline_items"].sum(axis=1)
    logit = (
        p.registry_stent_intercept
        + p.registry_stent_high_grade * (pt["stenosis"] >= 70)
        + p.registry_stent_occlusion * (pt["stenosis"] >= 100)
        + p.registry_stent_iliac_or_ivc * np.isin(pt["site"], [0, 1, 2])
        + p.registry_stent_femoral * (pt["site"] == 4)
        + p.registry_stent_per_villalta * (total0 - 12)
        + p.registry_stent_per_age_year * (pt["age"] - 50)
    )
    return rng.random(n) < _sigmoid(logit)


# ----------------------------------------------------------------------------------------------
# Events
# ----------------------------------------------------------------------------------------------


def _follow_up(rng: np.random.Generator, pt: dict, study: StudyDesign, p: SynthParams) -> dict:
    """Death, drop-out and the censoring day (last contact)."""
    n = pt["age"].size
    admin_end = study.visit_months[-1] * DAYS_PER_MONTH + VISIT_WINDOW_DAYS
    death_rate = p.death_rate_at_50 * np.exp(p.death_rate_per_year_of_age * (pt["age"] - 50))
    death = _exponential_days(rng, death_rate, n)
    peri_death = pt["stent"] & pt["technical_attempt"] & (rng.random(n) < p.periprocedural_death)
    death = np.where(peri_death, pt["procedure_day"] + rng.integers(1, 30, n), death)
    dropout_rate = p.trial_dropout_rate if study.design == "randomized" else p.registry_dropout_rate
    dropout = _exponential_days(rng, dropout_rate, n)
    # A stented patient was in contact on the procedure day: neither dies nor drops out before it.
    procedure = np.where(pt["stent"], pt["procedure_day"], 0)
    death, dropout = np.maximum(death, procedure), np.maximum(dropout, procedure)
    last_contact = np.floor(np.minimum.reduce([death, dropout, np.full(n, admin_end)]))
    died = death <= np.minimum(dropout, admin_end)
    return {"death_day": np.where(died, np.floor(death), NO_EVENT), "last_contact": last_contact.astype(int)}


def _stent_course(rng: np.random.Generator, pt: dict, p: SynthParams) -> dict:
    """Thrombosis, restenosis, restoration and reintervention days (absolute, since enrollment)."""
    n = pt["age"].size
    proc = pt["procedure_day"].astype(float)
    at_risk = pt["stent"] & pt["technical_success"]
    below = pt["below_ligament"]
    occl = pt["stenosis"] >= 100
    hr = np.where(occl, p.occlusion_hazard_ratio, 1.0) * np.where(below, p.below_ligament_hazard_ratio, 1.0)

    early = rng.random(n) < p.early_thrombosis * hr
    late = 30 + _two_piece_exponential_days(rng, p.thrombosis_rate_first_year, p.thrombosis_rate_later, 335, hr)
    t_thromb = np.where(early, rng.integers(1, 31, n), late)
    t_resten = _two_piece_exponential_days(
        rng, p.restenosis_rate_first_year, p.restenosis_rate_later, 365, np.where(below, 1.2, 1.0)
    )
    t_resten = np.where(t_resten < t_thromb, t_resten, NO_EVENT)

    restore_p = np.where(t_thromb <= 365, p.restore_prob_first_year, p.restore_prob_later)
    restored = rng.random(n) < restore_p
    t_restore = np.where(restored, t_thromb + rng.integers(1, 15, n), NO_EVENT)
    failed_attempt = ~restored & (rng.random(n) < p.failed_reintervention_prob)
    t_failed = np.where(failed_attempt, t_thromb + rng.integers(1, 15, n), NO_EVENT)
    treat_resten = rng.random(n) < p.restenosis_reintervention_prob
    t_resten_reint = np.where(treat_resten, t_resten + rng.integers(7, 91, n), NO_EVENT)
    t_resten_reint = np.where(t_resten_reint < t_thromb, t_resten_reint, NO_EVENT)
    migrated = rng.random(n) < p.migration
    t_migr = np.where(migrated, rng.integers(1, 90, n), NO_EVENT).astype(float)

    def absolute(days: np.ndarray) -> np.ndarray:
        return np.where(at_risk & np.isfinite(days), proc + np.floor(days), NO_EVENT)

    return {
        "stent_thrombosis": absolute(t_thromb),
        "restenosis": absolute(t_resten),
        "patency_restored": absolute(t_restore),
        "reintervention": [absolute(t_restore), absolute(t_failed), absolute(t_resten_reint), absolute(t_migr + 2)],
        "stent_migration": absolute(t_migr),
        "occluded_from": np.where(restored, NO_EVENT, absolute(t_thromb)),
    }


def _procedure_events(rng: np.random.Generator, pt: dict, p: SynthParams) -> dict:
    n = pt["age"].size
    treated = pt["stent"] & pt["technical_attempt"]
    proc = pt["procedure_day"]

    def within(prob: float, max_days: int) -> np.ndarray:
        hit = treated & (rng.random(n) < prob)
        return np.where(hit, proc + rng.integers(0, max_days + 1, n), NO_EVENT).astype(float)

    return {
        "access_site_bleeding": within(p.access_site_bleeding, 2),
        "major_bleeding": within(p.periprocedural_major_bleeding, 30),
        "pulmonary_embolism": within(p.periprocedural_pe, 30),
    }


def _ulcer_course(rng: np.random.Generator, pt: dict, p: SynthParams) -> dict:
    """Healing of a baseline ulcer, recurrence, and a second healing, as absolute days."""
    n = pt["age"].size
    stent_works = pt["stent"] & pt["technical_success"]
    scale = np.where(stent_works, p.ulcer_heal_scale_years_stent, p.ulcer_heal_scale_years_medical)
    recur_rate = np.where(stent_works, p.ulcer_recur_rate_stent, p.ulcer_recur_rate_medical)
    heal1 = np.where(pt["ulcer0"], 1 + np.floor(_weibull_days(rng, p.ulcer_heal_shape, scale)), NO_EVENT)
    start_recur = np.where(pt["ulcer0"], heal1, np.where(pt["healed_ulcer_history"], 0.0, NO_EVENT))
    recur = start_recur + 1 + np.floor(_exponential_days(rng, recur_rate, n))
    heal2 = recur + 1 + np.floor(_weibull_days(rng, p.ulcer_heal_shape, scale))
    return {"ulcer_healed": [heal1, heal2], "ulcer_recurred": recur}


def _background_events(rng: np.random.Generator, n: int, p: SynthParams) -> dict:
    return {
        "recurrent_dvt": np.floor(_exponential_days(rng, p.recurrent_dvt_rate, n)),
        "pulmonary_embolism": np.floor(_exponential_days(rng, p.pe_rate, n)),
        "major_bleeding": np.floor(_exponential_days(rng, p.major_bleeding_rate, n)),
    }


SERIOUS = {
    "stent_thrombosis": True,
    "restenosis": False,
    "reintervention": True,
    "patency_restored": True,
    "stent_migration": True,
    "access_site_bleeding": False,
    "major_bleeding": True,
    "recurrent_dvt": True,
    "pulmonary_embolism": True,
    "ulcer_healed": False,
    "ulcer_recurred": False,
    "death": True,
}


def _events_frame(ids: np.ndarray, last_contact: np.ndarray, event_days: dict) -> pd.DataFrame:
    """Long events table from {event_type: day array or list of arrays}; drops censored events."""
    frames = []
    for event_type, days_list in event_days.items():
        for days in days_list if isinstance(days_list, list) else [days_list]:
            keep = np.isfinite(days) & (days <= last_contact)
            if keep.any():
                frames.append(
                    pd.DataFrame(
                        {
                            "patient_id": ids[keep],
                            "event_day": days[keep].astype(np.int32),
                            "event_type": event_type,
                            "serious": SERIOUS[event_type],
                        }
                    )
                )
    if not frames:
        return pd.DataFrame({"patient_id": [], "event_day": [], "event_type": [], "serious": []})
    out = pd.concat(frames, ignore_index=True)
    return out.drop_duplicates(["patient_id", "event_day", "event_type"]).sort_values(
        ["patient_id", "event_day", "event_type"], ignore_index=True
    )


# ----------------------------------------------------------------------------------------------
# Visits
# ----------------------------------------------------------------------------------------------


def _ulcer_open(day: np.ndarray, pt: dict, ulcer: dict) -> np.ndarray:
    """Whether an ulcer is open on `day` (shape n x k) given the ulcer course."""
    heal1, heal2 = (u[:, None] for u in ulcer["ulcer_healed"])
    recur = ulcer["ulcer_recurred"][:, None]
    first_open = pt["ulcer0"][:, None] & (day < heal1)
    return first_open | ((day >= recur) & (day < heal2))


def _compression(
    rng: np.random.Generator, adherence: np.ndarray, after_stent: np.ndarray, p: SynthParams
) -> np.ndarray:
    score = adherence[:, None] + rng.normal(0, 0.6, after_stent.shape) + p.compression_stent_shift * after_stent
    return np.where(score > 0.0, 2, np.where(score > -0.8, 1, 0))


def _visits(
    rng: np.random.Generator, pt: dict, study: StudyDesign, p: SynthParams, ulcer: dict, stent: dict
) -> pd.DataFrame:
    n = pt["age"].size
    months = np.array(study.visit_months)
    k = months.size
    day = np.rint(months * DAYS_PER_MONTH + rng.normal(0, p.visit_window_sd_days, (n, k))).astype(int)
    day[:, 0] = 0
    day = np.maximum(day, np.where(months > 0, 1, 0))
    if study.design == "randomized":
        miss_p = np.full(k, p.trial_missed_visit)
    else:
        miss_p = p.registry_missed_visit_base + p.registry_missed_visit_per_year * months / 12.0
    attended = (rng.random((n, k)) >= miss_p) & (day <= pt["last_contact"][:, None])
    attended[:, 0] = True

    # Latent change from baseline: natural history + patient drift + stent benefit + visit noise.
    med = _interpolate_months(p.medical_change, months)[None, :]
    drift = rng.normal(0, p.patient_change_sd, n)[:, None] * np.minimum(months / 6.0, 1.0)[None, :]
    effect = (
        np.array(p.stent_effect_by_grade)[pt["grade"]]
        * np.array(p.stent_effect_site_multiplier)[pt["site"]]
        * rng.normal(1.0, p.stent_effect_patient_sd, n)
        * pt["technical_success"]
        * pt["stent"]
    )
    occluded = day >= stent["occluded_from"][:, None]
    kept = np.where(occluded, p.benefit_kept_after_occlusion, 1.0)
    after_proc = day > pt["procedure_day"][:, None]
    benefit = effect[:, None] * _interpolate_months(p.stent_benefit_curve, months)[None, :] * kept * after_proc
    noise = rng.normal(0, p.visit_common_sd, (n, k))
    noise[:, 0] = pt["baseline_noise"]
    change = med + drift + benefit + noise
    change[:, 0] = pt["baseline_noise"]

    items = np.empty((n, k, len(VILLALTA_ITEMS)), dtype=np.int16)
    items[:, 0, :] = pt["baseline_items"]
    for j in range(1, k):
        item_noise = rng.normal(0, p.item_visit_sd, (n, len(VILLALTA_ITEMS)))
        items[:, j, :] = _villalta_items(p, pt["latent"], change[:, j], pt["item_re"], item_noise)
    total = items.sum(axis=2)
    ulcer_open = _ulcer_open(day, pt, ulcer)
    ulcer_open[:, 0] = pt["ulcer0"]

    comp = _compression(rng, pt["adherence"], pt["stent"][:, None] & after_proc, p)
    comp_item = np.where(comp == 2, 2 + (rng.random((n, k)) < 0.3), comp)
    ulcer_points = ulcer_open * (4 + rng.integers(0, 4, (n, k)))
    vcss = (
        p.vcss_intercept
        + p.vcss_per_villalta * total
        + ulcer_points
        + comp_item
        + pt["vcss_re"][:, None]
        + rng.normal(0, p.vcss_visit_sd, (n, k))
    )
    centre = p.trial_latent_mean + 1.5 if study.design == "randomized" else p.registry_latent_mean + 1.0
    qol = (
        50
        - p.qol_per_villalta * (total - centre)
        + p.qol_ulcer * ulcer_open
        + pt["qol_re"][:, None]
        + rng.normal(0, p.qol_visit_sd, (n, k))
    )
    sym = 50 - p.sym_per_villalta * (total - centre) + pt["sym_re"][:, None] + rng.normal(0, p.sym_visit_sd, (n, k))
    pain = 0.4 + 0.32 * total + 0.5 * items[:, :, 0] + rng.normal(0, 1.1, (n, k))
    calf = (
        37.5
        + 0.35 * (pt["bmi"][:, None] - 30)
        + 0.7 * items[:, :, 5]
        + 1.5 * (~pt["female"])[:, None]
        + pt["calf_re"][:, None]
        + rng.normal(0, 0.5, (n, k))
    )
    steps = (
        8200
        - 130 * total
        - 45 * (pt["age"][:, None] - 50)
        - 70 * (pt["bmi"][:, None] - 30)
        + pt["steps_re"][:, None]
        + rng.normal(0, 800, (n, k))
    )

    mask = attended.ravel()
    frame = {
        "patient_id": np.repeat(pt["patient_id"], k)[mask],
        "visit_month": np.tile(months, n)[mask].astype(np.int32),
        "visit_day": day.ravel()[mask].astype(np.int32),
    }
    flat_items = items.reshape(n * k, len(VILLALTA_ITEMS))[mask]
    for i, name in enumerate(VILLALTA_ITEMS):
        frame[name] = flat_items[:, i]
    frame.update(
        {
            "ulcer_present": ulcer_open.ravel()[mask],
            "vcss": np.clip(np.rint(vcss), 0, 30).astype(np.int16).ravel()[mask],
            "veines_qol": np.round(qol, 1).ravel()[mask],
            "veines_sym": np.round(sym, 1).ravel()[mask],
            "pain_vas": np.round(np.clip(pain, 0, 10), 1).ravel()[mask],
            "calf_circumference_cm": np.round(np.clip(calf, 25, 70), 1).ravel()[mask],
            "daily_steps": np.clip(np.rint(steps), 200, 25000).astype(np.int32).ravel()[mask],
            "compression_use": np.array(["none", "intermittent", "daily"])[comp].ravel()[mask],
        }
    )
    return pd.DataFrame(frame)


# ----------------------------------------------------------------------------------------------
# Assembling a chunk
# ----------------------------------------------------------------------------------------------


def _ceap(rng: np.random.Generator, pt: dict) -> np.ndarray:
    total0 = pt["baseline_items"].sum(axis=1)
    c4 = np.where(total0 >= 16, "C4b", np.where(total0 >= 11, "C4a", "C3"))
    c4 = np.where((c4 == "C4a") & (rng.random(total0.size) < 0.2), "C4c", c4)
    return np.where(pt["ulcer0"], "C6", np.where(pt["healed_ulcer_history"], "C5", c4))


def _add_treatment(rng: np.random.Generator, pt: dict, study: StudyDesign, p: SynthParams) -> None:
    n = pt["age"].size
    pt["stent"] = _assign_arms(rng, pt, study, p)
    pt["technical_attempt"] = pt["stent"].copy()
    pt["technical_success"] = pt["stent"] & (rng.random(n) < p.technical_success)
    randomized = study.design == "randomized"
    pt["procedure_day"] = np.where(pt["stent"], rng.integers(3, 22, n) if randomized else rng.integers(0, 15, n), 0)
    femoral = np.isin(pt["site"], [3, 4])
    pt["below_ligament"] = pt["stent"] & (femoral | ((pt["site"] == 2) & (rng.random(n) < 0.25)))


def _add_random_effects(rng: np.random.Generator, pt: dict, p: SynthParams) -> None:
    n = pt["age"].size
    pt["adherence"] = rng.normal(0, 1, n)
    pt["vcss_re"] = rng.normal(0, p.vcss_patient_sd, n)
    pt["qol_re"] = rng.normal(0, p.qol_patient_sd, n)
    pt["sym_re"] = rng.normal(0, p.sym_patient_sd, n)
    pt["calf_re"] = rng.normal(0, 2.2, n)
    pt["steps_re"] = rng.normal(0, 1500, n)


def _procedures_frame(rng: np.random.Generator, pt: dict) -> pd.DataFrame:
    sel = pt["stent"]
    n = int(sel.sum())
    site = pt["site"][sel]
    ok = pt["technical_success"][sel]
    diam_lo = np.array([18, 14, 12, 12, 10])[site]
    return pd.DataFrame(
        {
            "patient_id": pt["patient_id"][sel],
            "procedure_day": pt["procedure_day"][sel].astype(np.int32),
            "technical_success": ok,
            "stents_placed": np.where(ok, rng.integers(1, 4, n), 0).astype(np.int16),
            "max_stent_diameter_mm": np.where(ok, diam_lo + 2 * rng.integers(0, 3, n), pd.NA),
            "below_inguinal_ligament": pt["below_ligament"][sel],
        }
    )


def _patients_frame(
    rng: np.random.Generator, pt: dict, study: StudyDesign, p: SynthParams, centers: int
) -> pd.DataFrame:
    n = pt["age"].size
    span = (study.enrol_end - study.enrol_start).days
    center = rng.integers(1, centers + 1, n)
    enrolled = pd.Timestamp(study.enrol_start) + pd.to_timedelta(np.sort(rng.integers(0, span + 1, n)), unit="D")
    return pd.DataFrame(
        {
            "patient_id": pt["patient_id"],
            "study_id": study.study_id,
            "center_id": np.char.add(f"{study.study_id[0]}C", np.char.zfill(center.astype(str), 2)),
            "arm": np.where(pt["stent"], "stent", "medical"),
            "enrolled_on": enrolled.date,
            "age_years": pt["age"].astype(np.int32),
            "sex": np.where(pt["female"], "female", "male"),
            "bmi": pt["bmi"],
            "limb_side": np.where(pt["left"], "left", "right"),
            "months_since_dvt": pt["months_since_dvt"].astype(np.int32),
            "obstruction_site": np.array(SITES)[pt["site"]],
            "stenosis_pct": pt["stenosis"].astype(np.int32),
            "lesion_length_mm": pt["lesion_mm"].astype(np.int32),
            "ceap_c": _ceap(rng, pt),
            "last_contact_day": pt["last_contact"].astype(np.int32),
        }
    )


def generate_chunk(seed: int, study: StudyDesign, n: int, first_number: int, p: SynthParams) -> Chunk:
    """Generate n patients of one study; deterministic in (seed, study, first_number, n, p)."""
    study_index = 0 if study.study_id == TRIAL.study_id else 1
    rng = np.random.default_rng([seed, study_index, first_number])
    pt = _draw_patients(rng, n, study, p)
    width = 4 if study.design == "randomized" else 7
    numbers = np.arange(first_number, first_number + n).astype(str)
    pt["patient_id"] = np.char.add(f"{study.study_id[0]}-", np.char.zfill(numbers, width))
    _add_treatment(rng, pt, study, p)
    _add_random_effects(rng, pt, p)
    pt.update(_follow_up(rng, pt, study, p))
    stent = _stent_course(rng, pt, p)
    ulcer = _ulcer_course(rng, pt, p)
    proc_events = _procedure_events(rng, pt, p)
    background = _background_events(rng, n, p)
    event_days = {
        "stent_thrombosis": stent["stent_thrombosis"],
        "restenosis": stent["restenosis"],
        "reintervention": stent["reintervention"],
        "patency_restored": stent["patency_restored"],
        "stent_migration": stent["stent_migration"],
        "access_site_bleeding": proc_events["access_site_bleeding"],
        "major_bleeding": [proc_events["major_bleeding"], background["major_bleeding"]],
        "recurrent_dvt": background["recurrent_dvt"],
        "pulmonary_embolism": [proc_events["pulmonary_embolism"], background["pulmonary_embolism"]],
        "ulcer_healed": ulcer["ulcer_healed"],
        "ulcer_recurred": ulcer["ulcer_recurred"],
        "death": pt["death_day"],
    }
    return Chunk(
        patients=_patients_frame(rng, pt, study, p, p.trial_centers if study_index == 0 else p.registry_centers),
        visits=_visits(rng, pt, study, p, ulcer, stent),
        procedures=_procedures_frame(rng, pt),
        events=_events_frame(pt["patient_id"], pt["last_contact"], event_days),
    )


def generate_chunks(seed: int, p: SynthParams, chunk_size: int = 100_000) -> Iterator[Chunk]:
    for study, total in ((TRIAL, p.trial_patients), (REGISTRY, p.registry_patients)):
        for start in range(0, total, chunk_size):
            yield generate_chunk(seed, study, min(chunk_size, total - start), start + 1, p)


# ----------------------------------------------------------------------------------------------
# Writing the database
# ----------------------------------------------------------------------------------------------


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("incoming", frame)
    columns = ", ".join(frame.columns)
    con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming")  # names from our own frames
    con.unregister("incoming")


def _write_metadata(con: duckdb.DuckDBPyConnection, seed: int, p: SynthParams) -> None:
    for study in (TRIAL, REGISTRY):
        con.execute(
            "INSERT INTO studies VALUES ($id, $name, $design, $months, $description)",
            {
                "id": study.study_id,
                "name": study.study_name,
                "design": study.design,
                "months": list(study.visit_months),
                "description": study.description,
            },
        )
    con.execute(
        "INSERT INTO dataset_info VALUES ($name, TRUE, $version, $seed, $created, $description)",
        {
            "name": "PTS demo cohort (synthetic)",
            "version": GENERATOR_VERSION,
            "seed": seed,
            "created": datetime.now(UTC).replace(tzinfo=None, microsecond=0),
            "description": (
                f"Synthetic: {p.trial_patients:,} randomized trial and {p.registry_patients:,} registry "
                "patients generated by pts_explorer.synthetic, calibrated to published figures "
                "(see data/README.md). Not real patients."
            ),
        },
    )


def populate(
    con: duckdb.DuckDBPyConnection,
    seed: int = DEFAULT_SEED,
    params: SynthParams | None = None,
    chunk_size: int = 100_000,
) -> None:
    """Create the schema in an empty database and fill it with the synthetic cohort."""
    p = params or SynthParams()
    con.execute(SCHEMA_PATH.read_text(encoding="utf-8"))
    _write_metadata(con, seed, p)
    for chunk in generate_chunks(seed, p, chunk_size):
        _insert(con, "patients", chunk.patients)
        _insert(con, "visits", chunk.visits)
        _insert(con, "procedures", chunk.procedures)
        _insert(con, "events", chunk.events)
    write_derived(con)


def write_db(
    path: Path, seed: int = DEFAULT_SEED, params: SynthParams | None = None, chunk_size: int = 100_000
) -> Path:
    """Write the cohort to `path` atomically: build a new file beside it, then rename it over `path`."""

    def build(tmp: Path) -> None:
        con = duckdb.connect(str(tmp))
        try:
            populate(con, seed, params, chunk_size)
            con.execute("CHECKPOINT")
        finally:
            con.close()

    return write_atomically(Path(path), build)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pts_explorer.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_DB_PATH, help="database file to (re)write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--trial-patients", type=int, default=SynthParams.trial_patients)
    parser.add_argument("--registry-patients", type=int, default=SynthParams.registry_patients)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.trial_patients < 0 or args.registry_patients < 0 or args.chunk_size < 1:
        parser.error("patient counts must be >= 0 and --chunk-size >= 1")
    params = replace(SynthParams(), trial_patients=args.trial_patients, registry_patients=args.registry_patients)
    started = time.perf_counter()
    write_db(args.out, args.seed, params, args.chunk_size)
    total = args.trial_patients + args.registry_patients
    print(f"wrote {total:,} synthetic patients to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
