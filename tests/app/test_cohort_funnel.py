"""The cohort funnel on Overview (issue 28, item 6) and the counts beside the sidebar's options
(item 1), read off the page as a user reads them and recounted here with pandas from the contract
tables (the band from its published Villalta definition), not from the app's SQL."""

from __future__ import annotations

import re

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
    at = app_on(demo_db, QUERY)
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
    at = app_on(demo_db, QUERY)
    at.switch_page("app_pages/overview.py").run()
    others = people[people.severe & (people.sex == "female") & people.age_years.between(30, 70)]
    site = at.multiselect(key="site")
    labels = {"ivc": "IVC", "common_iliac": "Common iliac", "external_iliac": "External iliac"}
    labels |= {"common_femoral": "Common femoral", "femoral": "Femoral"}
    expected = [f"{labels[v]} ({int((others.obstruction_site == v).sum()):,})" for v in labels]
    assert site.options == expected
    assert CohortFilter(site=("ivc",)).funnel_steps() == [(3, "site")]


# The second review's case (issue 28, final list 1): Centre RC05 -> C4b -> baseline VCSS >= 12 removes 3.
SMALL_STEP = {"center": ["RC05"], "ceap": ["C4b"], "bvcss": ["12", "30"]}


def _underivable(rows: list[list[str]], recount: list[int], k: int = 5) -> None:
    """What the user is handed: each shown count equals the recount, none is 1..k-1, and no step
    (left before = left after + removed) has exactly one hidden count, which subtraction would give."""
    left = [r[1] for r in rows]
    removed = [r[2] for r in rows[1:]]
    for shown, n in zip(left, recount, strict=True):
        assert shown == ("hidden" if shown == "hidden" else f"{n:,}")
    for i, shown in enumerate(removed):
        assert shown == ("hidden" if shown == "hidden" else f"{recount[i] - recount[i + 1]:,}")
    for shown in [*left, *removed]:
        assert shown == "hidden" or not 0 < int(shown.replace(",", "")) < k
    for i in range(len(removed)):
        assert [left[i], left[i + 1], removed[i]].count("hidden") != 1, rows


def test_the_report_hides_a_small_removal_and_what_gives_it_away(app_on, demo_db, demo_con):
    from pts_explorer import exports
    from tests.app.test_presenter_and_exports import _page_export

    people = demo_con.execute(
        "SELECT p.center_id, p.ceap_c, v.vcss AS vcss_total FROM patients AS p "
        "LEFT JOIN visits AS v ON v.patient_id = p.patient_id AND v.visit_month = 0"
    ).df()
    centre = people[people.center_id == "RC05"]
    ceap = centre[centre.ceap_c == "C4b"]
    vcss = ceap[ceap.vcss_total >= 12]
    recount = [len(people), len(centre), len(ceap), len(vcss)]
    assert 0 < recount[2] - recount[3] < 5  # the case: a step removes 1-4 patients

    at = app_on(demo_db, SMALL_STEP)
    at.switch_page("app_pages/overview.py").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception
    table = next(
        t for t in at.session_state["_export_items"]["tables"] if t.title == "How the filters narrow the cohort"
    )
    rows = table.frame.astype(str).values.tolist()
    assert [r[0] for r in rows] == [
        "All patients",
        "Centre: RC05",
        "CEAP clinical class: C4b",
        "Baseline VCSS: ≥ 12 points",
    ]
    _underivable(rows, recount)
    assert rows[3][2] == "hidden"
    # The report prints those cells as the table holds them, and no others.
    html = exports.report_html(_page_export(at, "Cohort overview"))
    funnel = html[html.index("How the filters narrow the cohort") :]
    for label, left, removed in rows:
        cells = re.search(rf"<td>{re.escape(label)}</td><td>([^<]*)</td><td>([^<]*)</td>", funnel)
        assert cells and list(cells.groups()) == [left, removed]


def test_the_page_hides_them_alike_when_protection_is_on_everywhere(app_on, demo_db, demo_con, monkeypatch):
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    at = app_on(demo_db, SMALL_STEP)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    shown = next(t.value for t in at.dataframe if list(t.value.columns) == ["Filter", "Patients left", "Removed"])
    people = demo_con.execute(
        "SELECT p.center_id, p.ceap_c, v.vcss AS vcss_total FROM patients AS p "
        "LEFT JOIN visits AS v ON v.patient_id = p.patient_id AND v.visit_month = 0"
    ).df()
    centre = people[people.center_id == "RC05"]
    ceap = centre[centre.ceap_c == "C4b"]
    _underivable(
        shown.astype(str).values.tolist(), [len(people), len(centre), len(ceap), int((ceap.vcss_total >= 12).sum())]
    )
