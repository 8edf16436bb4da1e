"""Who benefits on a small trial written by hand as contract CSVs (not by the project's generator),
imported the way a user imports one, with effects known by construction.

48 randomized patients: high-grade common iliac and high-grade femoral obstruction, 12 per arm in
each. Baseline Villalta cycles 12, 14, 16; the change to month 6 is the group's and arm's mean plus
-1, 0, +1 or 0, arranged so that within each group and arm it is uncorrelated with the baseline.
The ANCOVA's baseline slope is then exactly 0 and each group's effect is the difference of its arms'
mean changes: common iliac -8 - (-2) = -6, femoral -4 - (-2) = -2, so femoral's effect minus common
iliac's is +4, whatever the software; the page must show exactly these numbers.
"""

import csv
from pathlib import Path

import pytest

from pts_explorer.importer import run_import
from pts_explorer.importer.pipeline import Options

BASELINES = [12, 14, 16] * 4
NOISE = [-1, -1, -1, 0, 0, 0, 1, 1, 1, 0, 0, 0]  # each baseline meets -1, 0, +1 and 0: no correlation
MEAN_CHANGE = {("common_iliac", "stent"): -8, ("common_iliac", "medical"): -2}
MEAN_CHANGE |= {("femoral", "stent"): -4, ("femoral", "medical"): -2}
ITEMS = ["pain", "cramps", "heaviness", "paresthesia", "pruritus", "edema", "induration"]
ITEMS += ["hyperpigmentation", "redness", "ectasia", "calf_pain"]


def _items(total: int) -> list[int]:
    """Eleven Villalta items (0-3 each) that add up to `total`, filled from the first."""
    out = []
    for _ in ITEMS:
        out.append(min(3, total))
        total -= out[-1]
    assert total == 0
    return out


def _write(folder: Path, name: str, header: list[str], rows: list[list[object]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def handwritten(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("handwritten_csv")
    patients, visits, procedures = [], [], []
    number = 0
    for (site, arm), mean in MEAN_CHANGE.items():
        for baseline, noise in zip(BASELINES, NOISE, strict=True):
            number += 1
            pid = f"P{number:03d}"
            stenosis = 90 if site == "common_iliac" else 80
            patients.append(
                [pid, "HT1", "C1", arm, "2021-03-01", 50 + number % 20, ["female", "male"][number % 2], "26.0"]
                + ["left", 24, site, stenosis, 60, "C4a", 400]
            )
            visits.append([pid, 0, 0, *_items(baseline), "false", 10, 50.0, 50.0, 5.0, 38.0, 6000, "none"])
            visits.append([pid, 6, 182, *_items(baseline + mean + noise), "false", 8, 55.0, 55.0, 4.0, 37.5, 6500])
            visits[-1].append("none")
            if arm == "stent":
                procedures.append([pid, 7, "true", 1, 14, "false"])
    _write(
        folder,
        "patients.csv",
        ["patient_id", "study_id", "center_id", "arm", "enrolled_on", "age_years", "sex", "bmi", "limb_side"]
        + ["months_since_dvt", "obstruction_site", "stenosis_pct", "lesion_length_mm", "ceap_c", "last_contact_day"],
        patients,
    )
    _write(
        folder,
        "visits.csv",
        ["patient_id", "visit_month", "visit_day", *(f"v_{item}" for item in ITEMS), "ulcer_present", "vcss"]
        + ["veines_qol", "veines_sym", "pain_vas", "calf_circumference_cm", "daily_steps", "compression_use"],
        visits,
    )
    _write(
        folder,
        "procedures.csv",
        ["patient_id", "procedure_day", "technical_success", "stents_placed", "max_stent_diameter_mm"]
        + ["below_inguinal_ligament"],
        procedures,
    )
    _write(folder, "events.csv", ["patient_id", "event_day", "event_type", "serious"], [])
    _write(
        folder,
        "studies.csv",
        ["study_id", "study_name", "design", "visit_months", "description"],
        [["HT1", "Hand-written trial", "randomized", "[0, 6]", "48 patients written by hand for a test"]],
    )
    out = folder / "handwritten.duckdb"
    report = run_import("contract", sorted(folder.glob("*.csv")), out, Options(synthetic=True), progress=lambda _: None)
    assert report.imported, report.issues.to_string()
    return out


def test_the_page_shows_the_effects_and_the_difference_known_by_construction(app_on, handwritten):
    at = app_on(handwritten, {"groups": ["common_iliac", "femoral"]})
    at.switch_page("app_pages/benefit.py").run()
    assert not at.exception, at.exception
    groups = next(d.value for d in at.dataframe if "Group" in d.value.columns and "p" in d.value.columns)
    assert groups[["Group", "n stent", "n medical", "Effect, points"]].astype(str).values.tolist() == [
        ["Common iliac, 70%+", "12", "12", "-6.00"],
        ["Femoral, 70%+", "12", "12", "-2.00"],
    ]
    differences = next(d.value for d in at.dataframe if "Difference in effect" in d.value.columns)
    assert differences[["Difference in effect", "Difference, points"]].astype(str).values.tolist() == [
        ["Femoral, 70%+ − Common iliac, 70%+", "+4.00"]
    ]
    # One visit after baseline: the MMRM is the ANCOVA (one covariance parameter), so the same numbers.
    mmrm = next(d.value for d in at.dataframe if "Difference from Common iliac, 70%+" in d.value.columns)
    assert mmrm[["Group", "Effect, points", "Difference from Common iliac, 70%+"]].astype(str).values.tolist() == [
        ["Common iliac, 70%+", "-6.00", "reference"],
        ["Femoral, 70%+", "-2.00", "+4.00"],
    ]
