"""Controlled vocabularies of the data contract, with display labels.

These are the allow-lists: a value from the URL or a widget reaches SQL only if it is listed here
(or, for studies, in the database's own `studies` table), and always as a bound parameter.
"""

from __future__ import annotations

from dataclasses import dataclass

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
ULCER = {"yes": "Ulcer at baseline", "no": "No ulcer at baseline"}
AGE_MIN, AGE_MAX = 18, 90
DESIGNS = {"randomized": "Randomized", "observational": "Observational"}

VILLALTA_ITEM_LABELS = {
    "pain": "Pain", "cramps": "Cramps", "heaviness": "Heaviness", "paresthesia": "Paresthesia",
    "pruritus": "Pruritus", "edema": "Pretibial edema", "induration": "Skin induration",
    "hyperpigmentation": "Hyperpigmentation", "redness": "Redness", "ectasia": "Venous ectasia",
    "calf_pain": "Pain on calf compression", "ulcer": "Open ulcer (share)",
}  # fmt: skip

ARM_COLORS = {"stent": "#1f77b4", "medical": "#d62728"}
BAND_COLORS = {"none": "#9ecae1", "mild": "#fdd49e", "moderate": "#fc8d59", "severe": "#b30000"}


@dataclass(frozen=True)
class Outcome:
    column: str
    label: str
    unit: str
    higher_is_better: bool


OUTCOMES = {
    o.column: o
    for o in (
        Outcome("villalta_total", "Villalta total", "points (0-33)", False),
        Outcome("vcss", "VCSS", "points (0-30)", False),
        Outcome("veines_qol", "VEINES-QOL", "T-score", True),
        Outcome("veines_sym", "VEINES-Sym", "T-score", True),
        Outcome("pain_vas", "Pain VAS", "0-10", False),
        Outcome("calf_circumference_cm", "Calf circumference", "cm", False),
        Outcome("daily_steps", "Daily steps", "steps/day", True),
    )
}


def label(vocabulary: dict[str, str], value: str) -> str:
    return vocabulary.get(value, value)
