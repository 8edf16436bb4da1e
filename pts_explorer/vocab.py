"""Controlled vocabularies of the data contract and every display label, in one place.

These are the allow-lists: a value from the URL or a widget reaches SQL only if it is listed here
(or, for studies, in the database's own `studies` table), and always as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12  # 30.4375, the month every page and the generator use

ARMS = {"stent": "Stent", "medical": "Medical"}
SITES = {
    "ivc": "IVC",
    "common_iliac": "Common iliac",
    "external_iliac": "External iliac",
    "common_femoral": "Common femoral",
    "femoral": "Femoral",
}
GRADES = {"<50%": "<50%", "50-69%": "50-69%", "70-99%": "70-99%", "occlusion": "Occlusion"}
BANDS = {"none": "None (0-4)", "mild": "Mild (5-9)", "moderate": "Moderate (10-14)", "severe": "Severe (15+ or ulcer)"}
SEXES = {"female": "Female", "male": "Male"}
LIMB_SIDES = {"left": "Left", "right": "Right"}
ULCER = {"yes": "Ulcer at baseline", "no": "No ulcer at baseline"}
YES_NO = {"yes": "Yes", "no": "No"}
AGE_MIN, AGE_MAX = 18, 90
DESIGNS = {"randomized": "Randomized", "observational": "Observational"}
# Age and lesion groups are computed in queries/shared/cohort.sql; these are their labels.
AGE_GROUPS = {"<50": "<50", "50-64": "50-64", "65+": "65+"}
LESION_GROUPS = {
    "high_grade_civ_cfv": "70%+ common iliac or common femoral",
    "high_grade_other": "70%+ other sites",
    "below_70": "below 70%",
}

# The 11 Villalta item columns of `visits`: 5 patient-rated symptoms, then 6 clinician-rated signs.
VILLALTA_ITEMS = tuple(
    f"v_{item}"
    for item in (
        "pain",
        "cramps",
        "heaviness",
        "paresthesia",
        "pruritus",
        "edema",
        "induration",
        "hyperpigmentation",
        "redness",
        "ectasia",
        "calf_pain",
    )
)
VILLALTA_ITEM_LABELS = {
    "pain": "Pain",
    "cramps": "Cramps",
    "heaviness": "Heaviness",
    "paresthesia": "Paresthesia",
    "pruritus": "Pruritus",
    "edema": "Pretibial edema",
    "induration": "Skin induration",
    "hyperpigmentation": "Hyperpigmentation",
    "redness": "Redness",
    "ectasia": "Venous ectasia",
    "calf_pain": "Pain on calf compression",
    "ulcer": "Open ulcer (share)",
}


@dataclass(frozen=True)
class Outcome:
    column: str
    label: str
    unit: str
    higher_is_better: bool
    decimals: int = 1  # how a mean of this outcome is written

    @property
    def change_unit(self) -> str:
        """The unit of a change from baseline or a difference: the scale's range (0-33) bounds the
        measured value, not a change (-33 to 33) nor a difference, so it is left out."""
        if re.fullmatch(r"\d+-\d+", self.unit):  # a bare range ("0-10"): the points of that scale
            return "points"
        return re.sub(r"\s*\(\d+-\d+\)$", "", self.unit)

    @property
    def scale(self) -> tuple[int, int] | None:
        """The range a measured value lies in, where the unit states it ("points (0-33)", "0-10")."""
        found = re.search(r"(\d+)-(\d+)\)?$", self.unit)
        return (int(found[1]), int(found[2])) if found else None


OUTCOMES = {
    o.column: o
    for o in (
        Outcome("villalta_total", "Villalta total", "points (0-33)", False),
        Outcome("vcss", "VCSS", "points (0-30)", False),
        Outcome("veines_qol", "VEINES-QOL", "T-score", True),
        Outcome("veines_sym", "VEINES-Sym", "T-score", True),
        Outcome("pain_vas", "Pain VAS", "0-10", False),
        Outcome("calf_circumference_cm", "Calf circumference", "cm", False),
        Outcome("daily_steps", "Daily steps", "steps/day", True, decimals=0),
    )
}

# Durability endpoints: label and who is eligible ("stent": stented patients from the procedure;
# "both": both arms from enrollment). Patency is shown as Kaplan-Meier survival (vascular reporting
# standards); the others as cumulative incidence with death as a competing event.
ENDPOINTS = {
    "primary_patency": ("Primary patency", "stent"),
    "assisted_primary_patency": ("Assisted-primary patency", "stent"),
    "secondary_patency": ("Secondary patency", "stent"),
    "freedom_from_reintervention": ("Reintervention", "stent"),
    "ulcer_healing": ("Ulcer healing", "both"),
    "freedom_from_recurrent_dvt": ("Recurrent DVT", "both"),
}
COMPETING_ENDPOINTS = ("freedom_from_reintervention", "ulcer_healing", "freedom_from_recurrent_dvt")
SURVIVAL_GROUPINGS = {
    "arm": "Arm",
    "obstruction_site": "Obstruction site",
    "stenosis_grade": "Stenosis grade",
    "study_id": "Study",
    "sex": "Sex",
    "age_group": "Age group",
}
# A curve's grouping as the cohort filter its groups are values of (a click on a curve sets it).
GROUPING_FILTERS = {
    "arm": "arm",
    "obstruction_site": "site",
    "stenosis_grade": "grade",
    "study_id": "study",
    "sex": "sex",
}
COX_ADJUSTMENTS = {
    "age_years": "Age",
    "sex": "Sex",
    "stenosis_grade": "Stenosis grade",
    "obstruction_site": "Obstruction site",
}
ANCOVA_COVARIATES = {
    "study_id": "Study",
    "age_years": "Age",
    "sex": "Sex",
    "stenosis_grade": "Stenosis grade",
    "obstruction_site": "Obstruction site",
}
SUBGROUP_FACTORS = {
    "lesion_group": "Lesion",
    "obstruction_site": "Obstruction site",
    "stenosis_grade": "Stenosis grade",
    "baseline_band": "Baseline PTS band",
    "sex": "Sex",
    "age_group": "Age group",
    "baseline_ulcer": "Ulcer at baseline",
    "study_id": "Study",
}
# Who benefits: the groupings whose effects the page compares, and the continuous effect modifiers.
HIGH_GRADE_SITES = {  # high_grade_site (queries/shared/patient_attributes.sql)
    "ivc": "IVC, 70%+",
    "common_iliac": "Common iliac, 70%+",
    "external_iliac": "External iliac, 70%+",
    "common_femoral": "Common femoral, 70%+",
    "femoral": "Femoral, 70%+",
    "below_70": "Below 70%, any site",
}
BENEFIT_SPLITS = {
    "high_grade_site": "Site of a high-grade obstruction",
    "lesion_group": "Lesion",
    "obstruction_site": "Obstruction site",
    "stenosis_grade": "Stenosis grade",
    "baseline_band": "Baseline PTS band",
    "baseline_ulcer": "Ulcer at baseline",
    "sex": "Sex",
    "age_group": "Age group",
    "study_id": "Study",
    "center_id": "Centre",
    "limb_side": "Limb side",
    "ceap_c": "CEAP clinical class",
    "stenosis_pct": "Stenosis % ranges",
    "lesion_length_mm": "Lesion length ranges",
    "age_years": "Age ranges",
    "baseline_villalta": "Baseline Villalta ranges",
    "months_since_dvt": "Months since DVT ranges",
    "bmi": "BMI ranges",
    "cohorts": "Two cohorts (A and B)",
}
# Who benefits, split by a column of the contract's patients table whose levels are the data's own values (a
# study, a centre): each group's key is the column's prefix and the value ("center:C07"), so a link's groups
# can name them and no key of the fixed vocabularies is taken; at most BENEFIT_MAX_GROUPS of the largest are
# shown apart, the others pooled as BENEFIT_OTHER.
BENEFIT_DATA_SPLITS = {"study_id": "study", "center_id": "center"}
BENEFIT_MAX_GROUPS = 8
BENEFIT_OTHER = "other"
# Who benefits, split by a continuous attribute at cut points the user types: the name its groups are
# labelled with ("Age 50 to < 65"), its unit, and the cut points when none are typed. The groups' keys are
# their ranges' numbers from the lowest ("1", "2", ...); at most BENEFIT_MAX_CUTS cut points.
BENEFIT_CUT_SPLITS = {
    "stenosis_pct": ("Stenosis", "%", (70.0, 90.0)),
    "lesion_length_mm": ("Lesion length", "mm", (50.0, 100.0)),
    "age_years": ("Age", "years", (50.0, 65.0)),
    "baseline_villalta": ("Baseline Villalta", "points", (10.0, 15.0)),
    "months_since_dvt": ("Months since DVT", "months", (12.0, 36.0)),
    "bmi": ("BMI", "kg/m²", (25.0, 30.0)),
}
BENEFIT_MAX_CUTS = 5
BENEFIT_RANGES = {str(n): f"range {n}" for n in range(1, BENEFIT_MAX_CUTS + 2)}
CEAP_CLASSES = {c: c for c in ("C3", "C4a", "C4b", "C4c", "C5", "C6")}
BENEFIT_EVENTS = ("freedom_from_recurrent_dvt", "ulcer_healing")  # the endpoints of ENDPOINTS in both arms
BENEFIT_MODIFIERS = {
    "stenosis_pct": "Stenosis, %",
    "lesion_length_mm": "Lesion length, mm",
    "baseline": "Baseline score",
    "age_years": "Age, years",
    "months_since_dvt": "Months since the DVT",
}
COMPARE_ARMS = {"both": "Both arms", "stent": "Stent", "medical": "Medical"}
DEFAULT_THRESHOLD = 4  # Villalta points: the responder threshold the pages start from (an assumption)
# The responder thresholds a user may choose (Villalta points): the threshold sweep's, and those the derived
# responder counts are stored for (queries/derived/agg_responder_counts.sql; sql.threshold_values()).
RESPONDER_THRESHOLDS = tuple(range(1, 16))
RESPONDER_DEFINITIONS = {
    "responders_points": "Villalta points",
    "responders_band": "One PTS band down",
    "responders_either": "Either",
}
MMRM_METHODS = {"reml": "REML, Satterthwaite df (default)", "ml": "ML, Wald z"}
# Adjusted registry (analytics/propensity.py, whose names these are; tests/unit/test_adjusted_display.py
# checks they agree): the covariates a propensity score may use, the weighting, what is estimated.
PS_COVARIATES = {
    "obstruction_site": "Obstruction site",
    "stenosis_grade": "Stenosis grade",
    "lesion_length_mm": "Lesion length (mm)",
    "baseline_villalta": "Baseline Villalta",
    "baseline_vcss": "Baseline VCSS",
    "baseline_ulcer": "Open ulcer at baseline",
    "age_years": "Age (years)",
    "sex": "Sex",
    "months_since_dvt": "Months since the DVT",
    "center_id": "Study centre",
}
PS_METHODS = {
    "overlap": "Overlap weights",
    "iptw": "Stabilized IPTW, trimmed",
    "matching": "1:1 matching, caliper",
}
PS_ESTIMANDS = {  # what each weighting estimates, named as the causal-inference literature names it
    "overlap": "ATO",
    "iptw": "ATE",
    "matching": "ATM",  # the ATT of the matched stent patients only, not of all stented patients
}
PS_ESTIMATES = {
    "change": "Change from baseline",
    "responders": "Responders",
    "ulcer_healing": "Ulcer healing",
    "freedom_from_recurrent_dvt": "Recurrent DVT",
}
# IPTW trimming: patients whose score lies outside [low, 1 - low] are left out; "0" trims nobody.
PS_TRIMS = ("0.05", "0.01", "0.025", "0.1", "0")
# Matching caliper, in standard deviations of the score (MatchIt's std.caliper).
PS_CALIPERS = ("0.2", "0.05", "0.1", "0.25", "0.5")
RESPONDER_IMPUTATIONS = {"nri": "Non-responder", "complete": "Excluded"}
SAFETY_PERIODS = ("within 30 days", "after 30 days", "before the procedure", "any time")
SAFETY_SPLITS = {"none": "Arm only", "obstruction_site": "Obstruction site", "stenosis_grade": "Stenosis grade"}
EVENT_LABELS = {
    "stent_thrombosis": "Stent thrombosis (occlusion)",
    "restenosis": "In-stent restenosis >50%",
    "reintervention": "Reintervention",
    "stent_migration": "Stent migration",
    "access_site_bleeding": "Access-site bleeding",
    "major_bleeding": "Major bleeding",
    "recurrent_dvt": "Recurrent DVT",
    "pulmonary_embolism": "Pulmonary embolism",
    "ulcer_recurred": "Ulcer recurrence",
    "death": "Death",
}
# Complications either arm can have, and those that need a stent or its procedure (stent arm
# only): Safety compares the arms on the first, like with like (queries/complication_counts.sql).
SHARED_COMPLICATIONS = ("major_bleeding", "recurrent_dvt", "pulmonary_embolism", "ulcer_recurred")
STENT_COMPLICATIONS = ("stent_thrombosis", "restenosis", "reintervention", "stent_migration", "access_site_bleeding")
# Labels of the analysis-set columns whose baseline balance the Effects page shows.
ANALYSIS_COLUMNS = {"baseline": "Baseline value of the outcome", **ANCOVA_COVARIATES}

# The levels of every grouping a page can compare by; study levels come from the database.
LEVELS: dict[str, dict[str, str]] = {
    "arm": ARMS,
    "obstruction_site": SITES,
    "stenosis_grade": GRADES,
    "baseline_band": BANDS,
    "sex": SEXES,
    "age_group": AGE_GROUPS,
    "lesion_group": LESION_GROUPS,
    "high_grade_site": HIGH_GRADE_SITES,
    "baseline_ulcer": YES_NO,
    "limb_side": LIMB_SIDES,
    "ceap_c": CEAP_CLASSES,
}


def label(vocabulary: dict[str, str], value: str) -> str:
    return vocabulary.get(value, value)


def level_label(factor: str, value: str) -> str:
    """Display label of one level of a grouping (a study id is its own label)."""
    return LEVELS.get(factor, {}).get(value, value)


# The data contract's tables, in the order they are written and read.
CONTRACT_TABLES = ("dataset_info", "studies", "patients", "visits", "procedures", "events")


@dataclass(frozen=True)
class MoreFilter:
    """A cohort filter beyond the sidebar's eight, added from "More filters": a patient column of the
    cohort relations (queries/shared/patient_attributes.sql) as a set of values or an inclusive range.

    key: its URL key and SQL parameter name ($<key> a VARCHAR[] for a set; $<key>_min, $<key>_max
    INTEGER for a range, NULL = no restriction). options: a set's vocabulary (None: the data's own
    values, e.g. centres). bounds: a range's widest values a link may carry."""

    key: str
    column: str
    label: str
    kind: str  # "set" or "range"
    options: dict[str, str] | None = None
    bounds: tuple[int, int] = (0, 0)
    unit: str = ""
    help: str = ""

    def params(self) -> tuple[str, ...]:
        """The SQL parameters of this filter (unprefixed)."""
        return (self.key,) if self.kind == "set" else (f"{self.key}_min", f"{self.key}_max")


MORE_FILTERS = {
    f.key: f
    for f in (
        MoreFilter("center", "center_id", "Centre", "set", help="The centre that enrolled the patient."),
        MoreFilter("limb", "limb_side", "Limb side", "set", LIMB_SIDES, help="The limb of the index DVT."),
        MoreFilter(
            "ceap", "ceap_c", "CEAP clinical class", "set", CEAP_CLASSES, help="CEAP clinical class at enrolment."
        ),
        MoreFilter(
            "stenosis", "stenosis_pct", "Stenosis", "range", bounds=(0, 100), unit="%", help="Venographic stenosis."
        ),
        MoreFilter(
            "length",
            "lesion_length_mm",
            "Lesion length",
            "range",
            bounds=(1, 1000),
            unit="mm",
            help="Length of the obstructed segment; patients without a recorded length are left out.",
        ),
        MoreFilter(
            "dvt",
            "months_since_dvt",
            "Months since DVT",
            "range",
            bounds=(3, 1200),
            unit="months",
            help="Months from the index DVT to enrolment.",
        ),
        MoreFilter(
            "bmi",
            "bmi",
            "BMI",
            "range",
            bounds=(12, 80),
            unit="kg/m²",
            help="Body-mass index at enrolment, whole kg/m² inclusive (a BMI of 35.4 is above a maximum of 35); "
            "patients without a recorded BMI are left out.",
        ),
        MoreFilter(
            "bvillalta",
            "baseline_villalta",
            "Baseline Villalta",
            "range",
            bounds=(0, 33),
            unit="points",
            help="Villalta total at the month-0 visit (eligibility as trials write it, e.g. 10 or more); "
            "patients without a baseline visit are left out.",
        ),
        MoreFilter(
            "bvcss",
            "baseline_vcss",
            "Baseline VCSS",
            "range",
            bounds=(0, 30),
            unit="points",
            help="Venous Clinical Severity Score at the month-0 visit (e.g. 8 or more); patients without a "
            "baseline VCSS are left out.",
        ),
        MoreFilter(
            "enrolled",
            "year(enrolled_on)",
            "Year of enrolment",
            "range",
            bounds=(1950, 2100),
            unit="",
            help="The calendar year the patient was enrolled (a registry's early and late years differ in "
            "devices and care).",
        ),
        MoreFilter(
            "followup",
            f"CAST(last_contact_day AS DOUBLE) / {DAYS_PER_MONTH}",  # DOUBLE on Spark too (not DECIMAL)
            "Follow-up",
            "range",
            bounds=(0, 600),
            unit="months",
            help="Months from enrolment to the last contact (visit, event, procedure or the data cut-off), "
            "whole months inclusive: 12.5 months is above a maximum of 12.",
        ),
    )
}
