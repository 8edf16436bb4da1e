"""The Candidate page in AppTest: the seed's two extreme profiles (a clearly larger expected benefit
for the occluded common iliac vein with severe PTS), and the states a clinician can reach: nothing
entered, an impossible profile, no match, one arm only, presenter mode."""

import re

from tests.app.test_pages import _texts

SEVERE = {"c_site": "common_iliac", "c_stenosis": "100", "c_villalta": "17", "c_ulcer": "yes", "c_age": "45"}
MILD = {"c_site": "femoral", "c_stenosis": "40", "c_villalta": "7", "c_age": "58", "c_sex": "male"}


def _candidate(app_on, db, query):
    at = app_on(db, query).run()
    at.switch_page("app_pages/candidate.py").run()
    assert not at.exception, at.exception
    return at


def _all_text(at) -> str:
    return _texts(at) + "\n" + "\n".join(h.value for h in at.subheader)


def _expected_change(at, month: int) -> float:
    metric = next(m for m in at.metric if m.label == f"Expected stent − medical change at month {month}")
    return float(re.match(r"([+-]?[\d.]+) points", metric.value.replace("−", "-")).group(1))


def test_the_seed_extremes_show_a_clearly_larger_benefit_for_the_occluded_iliac_vein(app_on, demo_db):
    severe = _candidate(app_on, demo_db, SEVERE)
    mild = _candidate(app_on, demo_db, MILD)
    for month in (6, 12):
        assert _expected_change(severe, month) < _expected_change(mild, month) - 2
        assert _expected_change(severe, month) < -4
    severe_text, mild_text = _all_text(severe), _all_text(mild)
    assert "Patients like this: Common iliac, 100% (Occlusion); Villalta 17 (severe), open ulcer; age 45" in severe_text
    assert "no randomized patient has a stenosis of grade <50%" in mild_text  # the trial enrolled 50% or more
    assert "the data are synthetic" in severe_text and "the data are synthetic" in mild_text
    assert "Exact match on the same obstruction site and stenosis grade" in severe_text
    estimates = severe.dataframe[-1].value
    assert set(estimates["Visit (month)"]) == {6, 12} and estimates["Estimate from"].str.startswith("Model").sum() == 2
    assert estimates["Estimate from"].str.startswith("Matched").sum() == 2
    assert severe.get("plotly_chart")  # the Villalta trajectory of the matched patients


def test_the_profile_is_the_address(app_on, demo_db):
    at = _candidate(app_on, demo_db, SEVERE)
    assert at.selectbox(key="c_site").value == "common_iliac"
    assert at.number_input(key="c_stenosis").value == 100
    at.number_input(key="c_vcss").set_value(12).run()
    assert not at.exception, at.exception
    assert at.query_params["c_vcss"] in ("12", ["12"])
    assert "VCSS" in _texts(at).split("then the")[1].split("(each")[0]  # the distance now uses it


def test_nothing_entered_shows_how_to_start(app_on, demo_db):
    at = _candidate(app_on, demo_db, {})
    assert "Enter what venography and the clinic show" in _texts(at)
    assert not at.get("plotly_chart")


def test_an_impossible_profile_is_explained_and_left_out(app_on, demo_db):
    at = _candidate(app_on, demo_db, {"c_stenosis": "140", "c_age": "12", "c_site": "common_iliac"})
    warnings = " ".join(w.value for w in at.warning)
    assert "**Stenosis 140%** is not possible" in warnings and "**Age 12 years** is not possible" in warnings
    text = _all_text(at)
    assert "Patients like this: Common iliac" in text and "140" not in text.split("Patients like this")[1]


def test_no_match_is_a_normal_state(app_on, demo_db):
    at = _candidate(app_on, demo_db, {**SEVERE, "site": "femoral"})  # the sidebar keeps femoral veins only
    assert "No patient of the cohort matches this anatomy" in _texts(at)
    assert not at.get("plotly_chart")


def test_only_one_arm_matching_says_so(app_on, demo_db):
    at = _candidate(app_on, demo_db, {**SEVERE, "arm": "stent"})
    text = _texts(at)
    assert "No medical patient matches this profile" in text
    assert at.get("plotly_chart")


def test_presenter_mode_shows_the_numbers_without_the_form(app_on, demo_db):
    at = _candidate(app_on, demo_db, {**SEVERE, "present": "1"})
    assert not at.number_input and not at.selectbox
    assert "**Candidate** ·" in _texts(at)
    assert at.get("plotly_chart")


def test_the_exports_hold_the_candidate_tables_and_the_sql_over_the_matched_patients(app_on, demo_db):
    import io
    import zipfile

    from pts_explorer import exports
    from tests.app.test_presenter_and_exports import _page_export

    at = _candidate(app_on, demo_db, SEVERE)
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    page = _page_export(at, "Candidate", demo_db)
    report = exports.report_html(page)
    assert "Model, randomized patients" in report and "<div class='chart'>" in report
    with zipfile.ZipFile(io.BytesIO(exports.bundle(page, demo_db))) as archive:
        names = archive.namelist()
    assert any(n.endswith("candidate_match.sql") for n in names)
    assert any(n.endswith("trajectory_summary@matched_cohort.sql") for n in names)
