"""The cohort funnel on Overview (issue 28, item 6) and the counts beside the sidebar's options
(item 1), read off the page as a user reads them and recounted here with pandas from the contract
tables (the band from its published Villalta definition), not from the app's SQL."""

from __future__ import annotations

import pandas as pd
import pytest

from pts_explorer.filters import CohortFilter

QUERY = {"site": ["common_iliac", "external_iliac"], "sex": ["female"], "age": ["30", "70"], "band": ["severe"]}


@pytest.fixture(scope="module")
def people(demo_con) -> pd.DataFrame:
    table = demo_con.execute(
        "SELECT p.patient_id, p.obstruction_site, p.sex, p.age_years, v.villalta_total, v.ulcer_present "
        "FROM patients AS p LEFT JOIN visits AS v ON v.patient_id = p.patient_id AND v.visit_month = 0"
    ).df()
    severe = (table.villalta_total >= 15) | table.ulcer_present.fillna(False).astype(bool)
    table["severe"] = severe & table.villalta_total.notna()
    return table


def test_the_funnel_counts_what_each_filter_removes_in_the_sidebars_order(app_on, demo_db, people):
    at = app_on(demo_db, QUERY).run()
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    shown = next(
        t.value for t in at.dataframe if list(t.value.columns) == ["Filter", "Patients left", "Removed"]
    ).astype(str)
    everyone = len(people)
    site = people[people.obstruction_site.isin(["common_iliac", "external_iliac"])]
    band = site[site.severe]
    sex = band[band.sex == "female"]
    age = sex[sex.age_years.between(30, 70)]
    assert shown.values.tolist() == [
        ["All patients", f"{everyone:,}", ""],
        ["Obstruction site: Common iliac, External iliac", f"{len(site):,}", f"{everyone - len(site):,}"],
        ["Baseline PTS band: Severe (15+ or ulcer)", f"{len(band):,}", f"{len(site) - len(band):,}"],
        ["Sex: Female", f"{len(sex):,}", f"{len(band) - len(sex):,}"],
        ["Age, years: 30-70", f"{len(age):,}", f"{len(sex) - len(age):,}"],
    ]
    # The funnel ends at the cohort the page counts.
    assert next(m.value for m in at.metric if m.label == "Patients") == f"{len(age):,}"


def test_each_site_option_shows_the_patients_the_other_filters_keep(app_on, demo_db, people):
    at = app_on(demo_db, QUERY).run()
    at.switch_page("app_pages/overview.py").run()
    others = people[people.severe & (people.sex == "female") & people.age_years.between(30, 70)]
    site = at.multiselect(key="site")
    labels = {"ivc": "IVC", "common_iliac": "Common iliac", "external_iliac": "External iliac"}
    labels |= {"common_femoral": "Common femoral", "femoral": "Femoral"}
    expected = [f"{labels[v]} ({int((others.obstruction_site == v).sum()):,})" for v in labels]
    assert site.options == expected
    assert CohortFilter(site=("ivc",)).funnel_steps() == [(3, "site")]
