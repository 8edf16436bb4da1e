"""Parameters of the synthetic demo cohort.

Every number here is documented in data/README.md with its source, or marked there as a
modelling assumption. Change a value here and in the README together; tests/unit/test_calibration.py
checks that the defaults still meet the data contract's calibration targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pts_explorer import vocab

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 20261124

SITES = tuple(vocab.SITES)
GRADES = tuple(vocab.GRADES)
VILLALTA_ITEMS = vocab.VILLALTA_ITEMS


@dataclass(frozen=True)
class StudyDesign:
    study_id: str
    study_name: str
    design: str
    visit_months: tuple[int, ...]
    enrol_start: date
    enrol_end: date
    description: str


TRIAL = StudyDesign(
    study_id="TRIAL",
    study_name="Randomized stent trial (synthetic, C-TRACT-like design)",
    design="randomized",
    visit_months=(0, 1, 3, 6, 12, 24),
    enrol_start=date(2018, 7, 2),
    enrol_end=date(2022, 12, 31),
    description="1:1 randomized, assessor-blind; stent + standard care vs standard care. "
    "Inclusion: >=50% iliofemoral obstruction and Villalta >=10 or an open ulcer.",
)
REGISTRY = StudyDesign(
    study_id="REGISTRY",
    study_name="Venous stent outcomes registry (synthetic)",
    design="observational",
    visit_months=(0, 6, 12, 24, 36, 60, 84, 120),
    enrol_start=date(2011, 1, 3),
    enrol_end=date(2016, 6, 30),
    description="Prospective observational registry, up to 10 years of follow-up; treatment "
    "chosen by the clinician (stenting favoured for high-grade iliac lesions).",
)


@dataclass(frozen=True)
class SynthParams:
    # --- sizes -------------------------------------------------------------------------------
    trial_patients: int = 240
    registry_patients: int = 2400
    trial_centers: int = 24
    registry_centers: int = 30

    # --- demographics ------------------------------------------------------------------------
    age_mean: float = 50.0
    age_sd: float = 13.0
    age_min: int = 18
    age_max: int = 85
    female_share: float = 0.60
    left_limb_share: float = 0.70
    bmi_mean: float = 30.0
    bmi_sd: float = 6.0
    months_since_dvt_median: float = 30.0
    months_since_dvt_sigma: float = 0.8

    # --- anatomy -----------------------------------------------------------------------------
    site_shares: tuple[float, ...] = (0.05, 0.40, 0.20, 0.22, 0.13)
    grade_shares: tuple[float, ...] = (0.12, 0.25, 0.38, 0.25)
    lesion_length_median_mm: tuple[float, ...] = (70, 70, 60, 55, 90)

    # --- baseline severity (latent Villalta) -------------------------------------------------
    trial_latent_mean: float = 12.6
    trial_latent_sd: float = 4.0
    registry_latent_mean: float = 11.5
    registry_latent_sd: float = 4.8
    trial_min_villalta: int = 10
    trial_min_stenosis_pct: int = 50
    registry_min_villalta: int = 5
    ulcer_logit_intercept: float = -2.1
    ulcer_logit_per_point: float = 0.15
    healed_ulcer_share: float = 0.15

    # --- Villalta items: baseline prominence and responsiveness to change -------------------
    item_prominence: tuple[float, ...] = (1.0, 0.8, 1.2, 0.7, 0.6, 1.2, 0.9, 1.1, 0.6, 0.8, 0.7)
    item_responsiveness: tuple[float, ...] = (1.4, 1.1, 1.5, 0.9, 0.8, 1.4, 0.4, 0.2, 0.7, 0.6, 1.0)
    item_patient_sd: float = 0.30
    item_visit_sd: float = 0.40
    visit_common_sd: float = 1.1
    patient_change_sd: float = 2.6

    # --- change over time (Villalta points) --------------------------------------------------
    # Natural history under compression + medication, by month (interpolated in between).
    medical_change: dict[int, float] = field(
        default_factory=lambda: {
            0: 0.0,
            1: -0.8,
            3: -1.3,
            6: -1.7,
            12: -1.9,
            24: -2.0,
            36: -2.0,
            60: -1.8,
            84: -1.6,
            120: -1.4,
        }
    )
    # Fraction of the full stent benefit reached, by month.
    stent_benefit_curve: dict[int, float] = field(
        default_factory=lambda: {
            0: 0.0,
            1: 0.75,
            3: 0.92,
            6: 1.0,
            12: 1.08,
            24: 1.12,
            36: 1.12,
            60: 1.10,
            84: 1.08,
            120: 1.05,
        }
    )
    # Extra Villalta change with a stent at month 6, by stenosis grade, times a site multiplier.
    stent_effect_by_grade: tuple[float, ...] = (-0.6, -1.6, -6.1, -6.6)
    stent_effect_site_multiplier: tuple[float, ...] = (0.8, 1.3, 0.75, 1.25, 0.6)
    stent_effect_patient_sd: float = 0.45
    benefit_kept_after_occlusion: float = 0.25

    # --- registry treatment choice (logit of stenting) ---------------------------------------
    registry_stent_intercept: float = -0.9
    registry_stent_high_grade: float = 1.3
    registry_stent_occlusion: float = 0.5
    registry_stent_iliac_or_ivc: float = 0.7
    registry_stent_femoral: float = -0.3
    registry_stent_per_villalta: float = 0.06
    registry_stent_per_age_year: float = -0.015

    # --- procedure ---------------------------------------------------------------------------
    technical_success: float = 0.95
    access_site_bleeding: float = 0.03
    periprocedural_major_bleeding: float = 0.008
    periprocedural_pe: float = 0.005
    periprocedural_death: float = 0.002
    migration: float = 0.003

    # --- stent patency (days from procedure) ------------------------------------------------
    early_thrombosis: float = 0.03
    thrombosis_rate_first_year: float = 0.00025
    thrombosis_rate_later: float = 0.000052
    restenosis_rate_first_year: float = 0.00022
    restenosis_rate_later: float = 0.000105
    occlusion_hazard_ratio: float = 1.3
    below_ligament_hazard_ratio: float = 1.3
    restore_prob_first_year: float = 0.55
    restore_prob_later: float = 0.10
    failed_reintervention_prob: float = 0.25
    restenosis_reintervention_prob: float = 0.65

    # --- ulcers ------------------------------------------------------------------------------
    ulcer_heal_shape: float = 0.7
    ulcer_heal_scale_years_stent: float = 4.49
    ulcer_heal_scale_years_medical: float = 11.9
    ulcer_recur_rate_stent: float = 0.07
    ulcer_recur_rate_medical: float = 0.12

    # --- other events, per year --------------------------------------------------------------
    recurrent_dvt_rate: float = 0.025
    pe_rate: float = 0.004
    major_bleeding_rate: float = 0.006
    death_rate_at_50: float = 0.008
    death_rate_per_year_of_age: float = 0.07

    # --- follow-up ---------------------------------------------------------------------------
    trial_dropout_rate: float = 0.04
    registry_dropout_rate: float = 0.05
    trial_missed_visit: float = 0.06
    registry_missed_visit_base: float = 0.08
    registry_missed_visit_per_year: float = 0.025
    visit_window_sd_days: float = 7.0

    # --- other outcomes ----------------------------------------------------------------------
    vcss_intercept: float = 0.6
    vcss_per_villalta: float = 0.55
    vcss_patient_sd: float = 1.0
    vcss_visit_sd: float = 1.1
    qol_per_villalta: float = 1.7
    qol_ulcer: float = -2.0
    qol_patient_sd: float = 7.0
    qol_visit_sd: float = 3.5
    sym_per_villalta: float = 1.8
    sym_patient_sd: float = 4.5
    sym_visit_sd: float = 3.0
    compression_stent_shift: float = -0.7
