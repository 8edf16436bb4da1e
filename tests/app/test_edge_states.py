"""Small and odd cohorts: every page says what the data allow, and no title promises more."""

import json

import pytest

from tests import handmade
from tests.app.test_pages import _figures, _texts

TWO = {
    "S1": {
        "arm": "stent",
        "procedure_day": 10,
        "visits": {0: 14, 6: 8, 12: 7},
        "last_contact_day": 700,
        "events": [(300, "restenosis")],
    },
    "M1": {"arm": "medical", "visits": {0: 13, 6: 12, 12: 12}, "age_years": 61, "last_contact_day": 700},
}


@pytest.fixture(scope="module")
def two_patients(tmp_path_factory):
    """One stented and one medical trial patient."""
    return handmade.build(tmp_path_factory.mktemp("two") / "two.duckdb", TWO)


def _page(app_on, db, page, query=None):
    at = app_on(db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", ["overview", "trajectories", "safety"])
def test_one_patient_per_arm_is_called_a_very_small_cohort(app_on, two_patients, page):
    text = _texts(_page(app_on, two_patients, page))
    assert "Very small cohort" in text and "Stent n = 1" in text


def test_one_patient_per_arm_has_no_interval_and_says_so(app_on, two_patients):
    at = _page(app_on, two_patients, "trajectories", {"scale": "change"})
    titles = [f["layout"]["title"]["text"] for f in _figures(at)]
    assert "95% CI not computable: fewer than 2 patients" in titles[0]
    assert "and 95% CI" not in titles[0]
    assert "Welch 95% CI not computable" in titles[1]


@pytest.mark.parametrize("page", ["overview", "trajectories", "safety"])  # Durability: one curve, no notes
def test_one_arm_is_not_called_a_randomized_comparison(app_on, two_patients, page):
    at = _page(app_on, two_patients, page, {"arm": "stent", "endpoint": "primary_patency", "group": "stenosis_grade"})
    text = _texts(at)
    assert "One arm only" in text
    assert "Randomized comparison" not in text


def test_overview_counts_whole_patients(app_on, two_patients):
    sizes = _figures(_page(app_on, two_patients, "overview"))[0]
    assert sizes["layout"]["xaxis"]["dtick"] == 1 and sizes["layout"]["xaxis"]["tickformat"] == ",d"


def test_a_one_patient_survival_curve_spans_its_follow_up(app_on, two_patients):
    at = _page(app_on, two_patients, "durability", {"endpoint": "primary_patency", "group": "stenosis_grade"})
    km = _figures(at)[0]
    follow_up_months = (300 - 10) / 30.4375  # restenosis 290 days after the procedure
    assert km["layout"]["xaxis"]["range"][1] >= follow_up_months
    assert len(km["layout"]["xaxis"]["tickvals"]) > 2


def test_subgroups_the_filters_exclude_are_not_listed(app_on, demo_db):
    at = _page(app_on, demo_db, "subgroups", {"site": "common_iliac", "registry": "True"})
    labels = _figures(at)[0]["layout"]["yaxis"]["ticktext"]
    sites = [label for label in labels if label.startswith("Obstruction site: ")]
    assert [s.split("  (n ")[0] for s in sites] == ["Obstruction site: Common iliac"], labels
    assert not any("(n 0/0)" in label for label in labels)


def test_a_subgroup_too_small_to_estimate_is_shown_as_such(app_on, demo_db):
    at = _page(app_on, demo_db, "subgroups", {"study": "TRIAL", "age": ["70", "90"]})
    figure = _figures(at)[0]
    assert "too few patients to estimate" in [a["text"] for a in figure["layout"]["annotations"]]
    assert json.dumps(figure).count("(n 0/0)") == 0


SNAKE_CASE = __import__("re").compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
PAGES = ["overview", "trajectories", "effects", "subgroups", "responders", "durability", "safety"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("cohort", ["demo", "two patients", "two patients, registry"])
def test_tables_read_like_a_paper(app_on, demo_db, two_patients, page, cohort):
    """No header in snake_case and no cell reading None or NaN, on full and tiny cohorts."""
    db = demo_db if cohort == "demo" else two_patients
    query = (
        {"registry": "True", "endpoint": "primary_patency", "group": "stenosis_grade"} if "registry" in cohort else None
    )
    at = _page(app_on, db, page, query)
    for frame in (df.value for df in at.dataframe):
        headers = [str(c) for c in frame.columns]
        assert not [h for h in headers if SNAKE_CASE.match(h)], (page, headers)
        shown = frame.astype(object)
        assert not shown.isna().any().any(), (page, headers, shown[shown.isna().any(axis=1)].head())
        assert not shown.astype(str).isin(["None", "nan", "-0.00", "-0.0"]).any().any(), (page, headers)
