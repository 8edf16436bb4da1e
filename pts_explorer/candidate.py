"""One candidate's profile on the Candidate page: what venography and the clinic show, every field
optional. Values come from the URL settings (c_site, c_stenosis ...); a value that cannot be true
of a patient is left out of the profile with a message in words, never passed on.

The anatomy (site, stenosis grade) is matched exactly, widened step by step when too few patients
share it (LEVELS); the other fields rank patients by a standardized distance (candidate_match.sql).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from pts_explorer import vocab

# Each numeric field: the settings key, the bounds of a possible value and why, and its unit.
LIMITS: dict[str, tuple[str, int, int, str, str]] = {
    "stenosis": ("c_stenosis", 0, 100, "%", "a diameter reduction is 0 to 100% (100 is an occlusion)"),
    "length": ("c_length", 1, 500, " mm", "a lesion is 1 to 500 mm long"),
    "villalta": ("c_villalta", 0, 33, " points", "the Villalta score is 0 to 33"),
    "vcss": ("c_vcss", 0, 30, " points", "the VCSS is 0 to 30"),
    "age": ("c_age", vocab.AGE_MIN, vocab.AGE_MAX, " years", "the data hold adults aged 18 to 90"),
    "months": ("c_months", 3, 1200, " months", "PTS is assessed from 3 months after the DVT"),
}
LABELS = {
    "site": "Obstruction site",
    "stenosis": "Stenosis",
    "grade": "Stenosis grade",
    "length": "Lesion length",
    "side": "Limb",
    "villalta": "Villalta",
    "ulcer": "Open ulcer",
    "vcss": "VCSS",
    "age": "Age",
    "sex": "Sex",
    "months": "Months since DVT",
}
REGIONS = {"ivc": "iliocaval", "common_iliac": "iliocaval", "external_iliac": "iliocaval"}
LEVELS = {
    0: "the same obstruction site and stenosis grade",
    1: "the same obstruction site and grade group (70% or more, or below 70%)",
    2: "the same region (iliocaval: IVC, common or external iliac; femoral: common femoral, femoral) and grade group",
}
MIN_PER_ARM = 20  # fewer matched patients in an arm than this: the anatomy is widened
PER_ARM_CHOICES = (25, 50, 100, 200)


def grade_of(stenosis: int) -> str:
    """The contract's stenosis grade of a diameter reduction in percent."""
    if stenosis >= 100:
        return "occlusion"
    return "70-99%" if stenosis >= 70 else "50-69%" if stenosis >= 50 else "<50%"


def band_of(villalta: int, ulcer: bool) -> str:
    """The PTS band of a Villalta total (severe with any ulcer)."""
    if ulcer or villalta >= 15:
        return "severe"
    return "moderate" if villalta >= 10 else "mild" if villalta >= 5 else "none"


@dataclass(frozen=True)
class Profile:
    site: str | None = None
    stenosis: int | None = None
    grade: str | None = None  # as entered; `stenosis_grade` is the one used
    length: int | None = None
    side: str | None = None
    villalta: int | None = None  # as entered; `villalta_total` is the one used
    items: str | None = None  # 11 characters 0-3 or x, in vocab.VILLALTA_ITEMS order
    ulcer: str | None = None  # "yes" / "no"
    vcss: int | None = None
    age: int | None = None
    sex: str | None = None
    months: int | None = None

    @property
    def stenosis_grade(self) -> str | None:
        return grade_of(self.stenosis) if self.stenosis is not None else self.grade

    @property
    def items_total(self) -> int | None:
        """The Villalta total of the items, when all 11 are scored."""
        if self.items is None or "x" in self.items:
            return None
        return sum(int(c) for c in self.items)

    @property
    def villalta_total(self) -> int | None:
        return self.items_total if self.items_total is not None else self.villalta

    @property
    def band(self) -> str | None:
        if self.villalta_total is None:
            return "severe" if self.ulcer == "yes" else None
        return band_of(self.villalta_total, self.ulcer == "yes")

    @property
    def region(self) -> str | None:
        return None if self.site is None else REGIONS.get(self.site, "femoral")

    @property
    def grade_group(self) -> str | None:
        grade = self.stenosis_grade
        return None if grade is None else ("high" if grade in ("70-99%", "occlusion") else "low")

    @property
    def lesion_group(self) -> str | None:
        """The Subgroups page's lesion group (queries/shared/cohort.sql), when site and grade are known."""
        if self.grade_group is None:
            return None
        if self.grade_group == "low":
            return "below_70"
        if self.site is None:
            return None
        return "high_grade_civ_cfv" if self.site in ("common_iliac", "common_femoral") else "high_grade_other"

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def pool_params(self) -> dict[str, Any]:
        """candidate_pool's parameters."""
        return {
            "c_site": self.site,
            "c_grade": self.stenosis_grade,
            "c_region": self.region,
            "c_grade_group": self.grade_group,
        }

    def match_params(self, level: int, per_arm: int) -> dict[str, Any]:
        """candidate_match's parameters."""

        def number(value: int | None) -> float | None:
            return None if value is None else float(value)

        return {
            **self.pool_params(),
            "level": int(level),
            "match_per_arm": int(per_arm),
            "c_age": number(self.age),
            "c_villalta": number(self.villalta_total),
            "c_vcss": number(self.vcss),
            "c_months": number(self.months),
            "c_length": number(self.length),
            "c_stenosis": number(self.stenosis),
            "c_sex": self.sex,
            "c_side": self.side,
            "c_ulcer": None if self.ulcer is None else self.ulcer == "yes",
        }

    def distance_fields(self) -> list[str]:
        """The fields that rank patients (beyond the anatomy), in words."""
        given = {
            "age": self.age,
            "Villalta": self.villalta_total,
            "VCSS": self.vcss,
            "months since DVT": self.months,
            "lesion length": self.length,
            "stenosis %": self.stenosis,
            "sex": self.sex,
            "limb side": self.side,
            "ulcer": self.ulcer,
        }
        return [name for name, value in given.items() if value is not None]

    def describe(self) -> str:
        """One line, e.g. 'Common iliac, occlusion, 60 mm; Villalta 16 (severe), ulcer; 45-year-old woman'."""
        anatomy = [vocab.SITES[self.site]] if self.site else []
        if self.stenosis is not None:
            anatomy.append(f"{self.stenosis}% ({vocab.GRADES[grade_of(self.stenosis)]})")
        elif self.grade:
            anatomy.append(vocab.GRADES[self.grade])
        if self.length is not None:
            anatomy.append(f"{self.length} mm")
        if self.side:
            anatomy.append(f"{self.side} limb")
        clinic = []
        if self.villalta_total is not None:
            clinic.append(f"Villalta {self.villalta_total} ({self.band})")
        if self.ulcer:
            clinic.append("open ulcer" if self.ulcer == "yes" else "no ulcer")
        if self.vcss is not None:
            clinic.append(f"VCSS {self.vcss}")
        person = []
        if self.age is not None:
            person.append(f"age {self.age}")
        if self.sex:
            person.append(self.sex)
        if self.months is not None:
            person.append(f"{self.months} months after the DVT")
        parts = [", ".join(p) for p in (anatomy, clinic, person) if p]
        return "; ".join(parts) if parts else "no field entered"


def from_settings(values: dict[str, Any]) -> tuple[Profile, list[str]]:
    """The profile of the URL settings' values, and what was left out of it and why, in words."""
    problems: list[str] = []
    numbers: dict[str, int | None] = {}
    for name, (key, low, high, unit, why) in LIMITS.items():
        value = values.get(key)
        if value is not None and not low <= value <= high:
            problems.append(f"**{LABELS[name]} {value}{unit}** is not possible: {why}. It is left out of the profile.")
            value = None
        numbers[name] = value
    profile = Profile(
        site=values.get("c_site"),
        grade=values.get("c_grade"),
        side=values.get("c_side"),
        items=values.get("c_items"),
        ulcer=values.get("c_ulcer"),
        sex=values.get("c_sex"),
        **numbers,
    )
    if profile.stenosis is not None and profile.grade and profile.grade != grade_of(profile.stenosis):
        problems.append(
            f"**Stenosis {profile.stenosis}%** is grade {vocab.GRADES[grade_of(profile.stenosis)]}, not "
            f"{vocab.GRADES[profile.grade]}: the percentage is used."
        )
    if profile.items_total is not None and profile.villalta is not None and profile.items_total != profile.villalta:
        problems.append(
            f"The 11 Villalta items add up to **{profile.items_total}**, not {profile.villalta}: the items are used."
        )
    return profile, problems


def without(profile: Profile, *names: str) -> Profile:
    """The profile with some fields left out."""
    return replace(profile, **dict.fromkeys(names))
