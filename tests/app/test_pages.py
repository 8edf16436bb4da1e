"""Every page renders on the demo cohort and on an empty cohort; filters change the numbers."""

import json

import pytest

PAGES = ["views/overview.py", "views/trajectories.py"]
EMPTY = {"study": "TRIAL", "site": "ivc", "grade": "<50%"}  # the trial enrolls >=50% only


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.info] + [w.value for w in at.warning] + [s.value for s in at.success]
    parts += [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _url(at, key: str) -> list[str]:
    """A URL parameter's values (AppTest keeps a single value as a plain string)."""
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def _figures(at) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_cohort(app_on, demo_db, page):
    at = app_on(demo_db).run()
    at.switch_page(page).run()
    assert not at.exception
    assert "Synthetic demo data" in _texts(at)
    assert _figures(at), "every page shows at least one chart"


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_empty_cohort_as_a_normal_state(app_on, small_db, page):
    at = app_on(small_db, EMPTY).run()
    at.switch_page(page).run()
    assert not at.exception
    assert "No patients match the current filters" in _texts(at)
    assert _metric(at, "Stent") == "0"


def test_overview_numbers_change_with_a_filter(app_on, demo_db):
    at = app_on(demo_db).run()
    assert _metric(at, "Patients") == "2,640"
    at.multiselect(key="site").set_value(["common_iliac"]).run()
    assert not at.exception
    narrowed = int(_metric(at, "Patients").replace(",", ""))
    assert 0 < narrowed < 2640
    assert _url(at, "site") == ["common_iliac"]


def test_url_parameters_restore_the_cohort(app_on, demo_db):
    at = app_on(demo_db, {"site": ["common_iliac"], "grade": ["70-99%", "occlusion"], "age": ["18", "59"],
                          "arm": ["nonsense"]}).run()  # fmt: skip
    assert not at.exception
    assert at.multiselect(key="site").value == ["common_iliac"]
    assert at.multiselect(key="grade").value == ["70-99%", "occlusion"]
    assert at.multiselect(key="arm").value == []  # unknown value ignored
    assert at.slider(key="age").value == (18, 59)
    assert "Common iliac; 70-99%, Occlusion; age 18-59" in _texts(at)


def test_trajectory_chart_follows_outcome_and_scale(app_on, demo_db):
    at = app_on(demo_db, {"study": ["TRIAL"]}).run()
    at.switch_page("views/trajectories.py").run()
    before = _figures(at)[0]
    assert "Villalta total" in before["layout"]["title"]["text"]
    at.selectbox(key="outcome").select("vcss").run()
    at.segmented_control(key="scale").set_value("change").run()
    assert not at.exception
    after = _figures(at)[0]
    assert after["layout"]["title"]["text"].startswith("Change in VCSS")
    assert _url(at, "outcome") == ["vcss"] and _url(at, "scale") == ["change"]
    assert "Randomized comparison" in _texts(at)


def test_trajectory_table_has_the_documented_columns(app_on, demo_db):
    at = app_on(demo_db, {"by_study": "False"}).run()
    at.switch_page("views/trajectories.py").run()
    table = at.dataframe[0].value  # the first table under the chart
    assert list(table.columns) == ["arm", "visit_month", "n", "mean", "sd", "ci_low", "ci_high"]
    assert "Pooled randomized and observational" in _texts(at)


def test_reset_restores_every_filter(app_on, small_db):
    at = app_on(small_db, {"site": ["femoral"], "ulcer": ["yes"], "age": ["30", "40"]}).run()
    at.button(key="reset_filters").click().run()
    assert at.multiselect(key="site").value == []
    assert at.slider(key="age").value == (18, 90)
    assert "site" not in at.query_params and "age" not in at.query_params


def test_one_arm_cohort_explains_why_there_is_no_difference(app_on, small_db):
    at = app_on(small_db, {"arm": ["stent"]}).run()
    at.switch_page("views/trajectories.py").run()
    assert not at.exception
    assert "Both arms are needed for a difference" in _texts(at)


def test_missing_database_gives_instructions_not_a_traceback(app_on, tmp_path):
    at = app_on(tmp_path / "absent.duckdb").run()
    assert not at.exception
    text = _texts(at)
    assert "No outcomes database" in text and "make demo-data" in text


def test_malformed_database_lists_the_problems(app_on, tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    at = app_on(bad).run()
    assert not at.exception
    assert "could not be opened as a DuckDB database" in _texts(at)
