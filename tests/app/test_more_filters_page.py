""" "More filters" (issue 28, item 2) on the page as a user meets them: a link that restricts by centre,
limb side, baseline Villalta and BMI gives the cohort the sidebar counts, the chips name each filter,
the funnel's last row is the "More filters" step, and the options' counts are recounted here with
pandas from the contract tables (baseline = the month-0 visit), not from the app's SQL."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def people(demo_con) -> pd.DataFrame:
    return demo_con.execute(
        "SELECT p.*, v.villalta_total AS base_villalta, v.vcss AS base_vcss "
        "FROM patients AS p LEFT JOIN visits AS v ON v.patient_id = p.patient_id AND v.visit_month = 0"
    ).df()


def _centres(people: pd.DataFrame) -> list[str]:
    """Two centres of the registry and one of the trial, by their place in the sorted list."""
    centres = sorted(people.center_id.unique())
    return [centres[0], centres[5], centres[-1]]


def test_a_link_with_more_filters_gives_the_cohort_the_pages_count(app_on, demo_db, people):
    centres = _centres(people)
    link = {"center": centres, "limb": ["left"], "bvillalta": ["10", "33"], "bmi": ["20", "32"], "sex": ["female"]}
    at = app_on(demo_db, link)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    kept = people[
        people.center_id.isin(centres)
        & (people.limb_side == "left")
        & people.base_villalta.between(10, 33)
        & people.bmi.between(20, 32)
        & (people.sex == "female")
    ]
    assert next(m.value for m in at.metric if m.label == "Patients") == f"{len(kept):,}"
    assert next(m.value for m in at.metric if m.label == "Stent") == f"{int((kept.arm == 'stent').sum()):,}"
    chips = [b.label for b in at.button if b.key and b.key.startswith("chip_")]
    assert chips == [
        "Female ×",
        *(f"Centre {c} ×" for c in centres),
        "Limb side Left ×",
        "BMI 20-32 kg/m² ×",
        "Baseline Villalta ≥ 10 points ×",
    ]
    funnel = next(t.value for t in at.dataframe if list(t.value.columns) == ["Filter", "Patients left", "Removed"])
    women = people[people.sex == "female"]
    centre = women[women.center_id.isin(centres)]
    left = centre[centre.limb_side == "left"]
    bmi = left[left.bmi.between(20, 32)]
    assert bmi.patient_id.tolist() and set(bmi[bmi.base_villalta.between(10, 33)].patient_id) == set(kept.patient_id)
    assert funnel.astype(str).values.tolist() == [
        ["All patients", f"{len(people):,}", ""],
        ["Sex: Female", f"{len(women):,}", f"{len(people) - len(women):,}"],
        [f"Centre: {', '.join(centres)}", f"{len(centre):,}", f"{len(women) - len(centre):,}"],
        ["Limb side: Left", f"{len(left):,}", f"{len(centre) - len(left):,}"],
        ["BMI: 20-32 kg/m²", f"{len(bmi):,}", f"{len(left) - len(bmi):,}"],
        ["Baseline Villalta: ≥ 10 points", f"{len(kept):,}", f"{len(bmi) - len(kept):,}"],
    ]
    # The panel shows the filters the link restricts, each option with the patients the other filters keep.
    assert at.multiselect(key="more_filters").value == ["center", "limb", "bmi", "bvillalta"]
    others = people[
        people.center_id.isin(centres)
        & people.base_villalta.between(10, 33)
        & people.bmi.between(20, 32)
        & (people.sex == "female")
    ]
    assert at.multiselect(key="limb").options == [
        f"Left ({int((others.limb_side == 'left').sum()):,})",
        f"Right ({int((others.limb_side == 'right').sum()):,})",
    ]


def test_a_chip_removes_its_more_filter_and_the_address_drops_it(app_on, demo_db, people):
    at = app_on(demo_db, {"limb": ["right"], "bvcss": ["8", "30"]})
    at.switch_page("app_pages/overview.py").run()
    both = people[(people.limb_side == "right") & people.base_vcss.between(8, 30)]
    assert next(m.value for m in at.metric if m.label == "Patients") == f"{len(both):,}"
    next(b for b in at.button if b.label == "Baseline VCSS ≥ 8 points ×").click().run()
    right = people[people.limb_side == "right"]
    assert next(m.value for m in at.metric if m.label == "Patients") == f"{len(right):,}"
    assert dict(at.query_params) == {"limb": "right"}


def test_a_hostile_more_filter_value_is_dropped_not_sent(app_on, demo_db, people):
    at = app_on(demo_db, {"bmi": ["30", "'; DROP TABLE patients; --"], "limb": ["up"], "ceap": ["C4a"]})
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    kept = people[people.ceap_c == "C4a"]  # the broken BMI range and the unknown side restrict nothing
    assert next(m.value for m in at.metric if m.label == "Patients") == f"{len(kept):,}"
