"""Every page renders on the demo cohort and on an empty cohort; filters change the numbers."""

import json
from urllib.parse import parse_qs

import pytest

from pts_explorer.config import ANALYSIS_PAGES as CONFIG_PAGES

PAGES = [p.script for p in CONFIG_PAGES]  # the pages that show data
EXAMPLES = {p.script: parse_qs(p.example) for p in CONFIG_PAGES}  # what a page that starts empty needs
ANALYSIS_PAGES = [f"app_pages/{name}.py" for name in ("effects", "subgroups", "responders")]
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
    at = app_on(demo_db, EXAMPLES[page])
    at.switch_page(page).run()
    assert not at.exception
    assert "Synthetic demo data" in _texts(at)
    assert _figures(at), "every page shows at least one chart"


@pytest.mark.parametrize("page", PAGES)
def test_page_shows_empty_cohort_as_a_normal_state(app_on, small_db, page):
    at = app_on(small_db, {**EMPTY, **EXAMPLES[page]})
    at.switch_page(page).run()
    assert not at.exception
    assert "No patients match the current filters" in _texts(at)
    assert _metric(at, "Stent") == "0"
    assert _url(at, "site") == ["ivc"], "the address states the empty cohort too (the run completed after the stop)"


def test_overview_numbers_change_with_a_filter(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/overview.py").run()
    assert _metric(at, "Patients") == "2,640"
    at.multiselect(key="site").set_value(["common_iliac"]).run()
    assert not at.exception
    narrowed = int(_metric(at, "Patients").replace(",", ""))
    assert 0 < narrowed < 2640
    assert _url(at, "site") == ["common_iliac"]


def test_url_parameters_restore_the_cohort(app_on, demo_db):
    at = app_on(
        demo_db, {"site": ["common_iliac"], "grade": ["70-99%", "occlusion"], "age": ["18", "59"], "arm": ["nonsense"]}
    ).run()
    assert not at.exception
    assert at.multiselect(key="site").value == ["common_iliac"]
    assert at.multiselect(key="grade").value == ["70-99%", "occlusion"]
    assert at.multiselect(key="arm").value == []  # unknown value ignored
    assert at.slider(key="age").value == (18, 59)
    chips = {b.label for b in at.button if b.key and b.key.startswith("chip_")}
    assert chips == {"Common iliac ×", "70-99% ×", "Occlusion ×", "Age 18-59 ×"}


def test_trajectory_chart_follows_outcome_and_scale(app_on, demo_db):
    at = app_on(demo_db, {"study": ["TRIAL"]})
    at.switch_page("app_pages/trajectories.py").run()
    before = _figures(at)[0]
    assert "Villalta total" in before["layout"]["title"]["text"]
    at.selectbox(key="outcome").select("vcss").run()
    at.segmented_control(key="scale").set_value("change").run()
    assert not at.exception
    after = _figures(at)[0]
    assert after["layout"]["title"]["text"] == "Change in VCSS by arm: mean and 95% CI (lower is better)"
    assert _url(at, "outcome") == ["vcss"] and _url(at, "scale") == ["change"]
    assert "Randomized comparison" in _texts(at)


def test_trajectory_table_has_the_documented_columns(app_on, demo_db):
    at = app_on(demo_db, {"by_study": "False"})
    at.switch_page("app_pages/trajectories.py").run()
    table = at.dataframe[0].value  # the first table under the chart
    assert list(table.columns) == ["Arm", "Visit (month)", "n", "Mean, points (0-33)", "SD", "95% CI"]
    assert table["95% CI"].iloc[0].count(" to ") == 1
    assert "Pooled randomized and observational" in _texts(at)


def test_reset_restores_every_filter(app_on, small_db):
    at = app_on(small_db, {"site": ["femoral"], "ulcer": ["yes"], "age": ["30", "40"]}).run()
    at.button(key="reset_filters").click().run()
    assert at.multiselect(key="site").value == []
    assert at.slider(key="age").value == (18, 90)
    assert "site" not in at.query_params and "age" not in at.query_params


def test_one_arm_cohort_explains_why_there_is_no_difference(app_on, small_db):
    at = app_on(small_db, {"arm": ["stent"]})
    at.switch_page("app_pages/trajectories.py").run()
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


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_analysis_page_with_one_patient_explains_itself(app_on, one_patient_db, page):
    at = app_on(one_patient_db, {"registry": "True"})
    at.switch_page(page).run()
    assert not at.exception
    text = _texts(at)
    assert any(
        s in text
        for s in ("Too few patients", "too few", "No patient in this cohort has the outcome", "Both arms are needed")
    ), text


@pytest.mark.parametrize("page", ANALYSIS_PAGES)
def test_analysis_pages_show_how_each_number_was_computed(app_on, small_db, page):
    at = app_on(small_db)
    at.switch_page(page).run()
    assert not at.exception
    assert any(e.label == "How this was computed" for e in at.expander)
    assert any("duckdb.connect" in c.value for c in at.code)


def test_effects_default_is_randomized_and_registry_makes_it_observational(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/effects.py").run()
    assert "Randomized comparison" in _texts(at)
    assert _metric(at, "Patients") == "112 / 111"
    at.toggle(key="registry").set_value(True).run()
    assert not at.exception
    text = _texts(at)
    assert "Pooled randomized and observational" in text
    assert "Baseline imbalance the adjustment has to handle" in text
    assert _url(at, "registry") == ["True"]


def test_effects_adjusting_for_covariates_changes_the_model(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/effects.py").run()
    before = _metric(at, "Difference")
    at.multiselect(key="adjust").set_value(["stenosis_grade", "obstruction_site"]).run()
    assert not at.exception
    assert "C(stenosis_grade)" in _texts(at)
    assert _metric(at, "Difference") != before


def test_registry_only_cohort_on_randomized_default_says_what_to_do(app_on, small_db):
    at = app_on(small_db, {"study": "REGISTRY"})
    at.switch_page("app_pages/effects.py").run()
    assert not at.exception
    assert "Include observational (registry) patients" in _texts(at)


def test_responder_threshold_changes_the_proportions(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/responders.py").run()
    before = at.dataframe[0].value.copy()
    at.number_input(key="threshold").set_value(8).run()
    assert not at.exception
    after = at.dataframe[0].value
    column = "Risk difference, % points"
    assert (after[column] != before[column]).any()
    assert "no validated responder threshold" in _texts(at).lower()


def test_durability_shows_patency_estimates_and_a_cox_model(app_on, demo_db):
    at = app_on(demo_db, {"group": "obstruction_site", "endpoint": "secondary_patency"})
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception
    landmarks = at.dataframe[0].value
    assert list(landmarks.columns[:5]) == ["Obstruction site", "1 year", "2 years", "5 years", "10 years"]
    assert "Common iliac" in set(landmarks["Obstruction site"])  # full labels in a column, not a cut index
    assert "Compared with IVC" in at.dataframe[1].value.columns  # the first site in anatomical order, not alphabetical
    assert "Log-rank: p" in _texts(at)


def test_durability_when_nobody_is_eligible(app_on, demo_db):
    at = app_on(demo_db, {"arm": "medical", "endpoint": "primary_patency"})
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception
    assert "Nobody in this cohort is eligible for primary patency" in _texts(at)


def test_durability_when_nobody_has_the_endpoint(app_on, one_patient_db):
    at = app_on(one_patient_db, {"endpoint": "freedom_from_recurrent_dvt"})
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception
    text = _texts(at)
    assert "**No recurrent DVT event in this cohort**: the curve stays flat." in text
    assert "hazard ratio" not in text.lower()  # one patient, one group: no comparison to note


def test_safety_table_and_split(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/safety.py").run()
    table = at.dataframe[0].value.set_index("Complication")
    stent, medical = (f"{arm}: patients, % (95% CI)" for arm in ("Stent", "Medical"))
    from scipy.stats import beta

    def exact(x: int, n: int) -> str:  # Clopper-Pearson, from the beta distribution
        low = beta.ppf(0.025, x, n - x + 1) if x else 0.0
        high = beta.ppf(0.975, x + 1, n - x) if x < n else 1.0
        return f"{x} of {n:,} · {100 * x / n:.1f}% ({100 * low:.1f}-{100 * high:.1f})"

    assert table.loc["Stent thrombosis (occlusion)", stent] == exact(45, 1529)
    assert table.loc["Stent thrombosis (occlusion)", medical] == exact(0, 1111)
    at.selectbox(key="split").select("stenosis_grade").run()
    assert not at.exception
    assert "Subgroup" in at.dataframe[0].value.columns
    assert _url(at, "split") == ["stenosis_grade"]


def test_safety_with_no_events(app_on, one_patient_db):
    at = app_on(one_patient_db)
    at.switch_page("app_pages/safety.py").run()
    assert not at.exception
    assert "No complication recorded in this cohort" in _texts(at)


def test_durability_says_the_comparison_is_observational_and_can_be_restricted(app_on, demo_db):
    at = app_on(demo_db, {"endpoint": "ulcer_healing", "group": "arm"})
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception
    text = _texts(at)
    assert "Pooled randomized and observational patients" in text
    assert "Gray's test: p < 0.0001" in text and "Cause-specific hazards" in text
    assert "come from the registry" in text  # the share of the hazard ratio resting on registry patients
    at.toggle(key="randomized").set_value(True).run()
    assert not at.exception
    text = _texts(at)
    assert "Randomized comparison" in text and "come from the registry" not in text
    assert _url(at, "randomized") == ["True"]


def test_safety_periods_include_events_before_the_procedure(app_on, demo_db):
    at = app_on(demo_db, {"period": "before the procedure"})
    at.switch_page("app_pages/safety.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "Stent: events, per 100 PY (95% CI)" in table.columns
    assert not any(c.startswith("Medical") for c in table.columns)  # no procedure, no such period
    assert "From enrollment (day 0) to the day before the index procedure (stent arm only)." in _texts(at)
    # no curve for a window only one arm has (the page says why); the complications' bars, stent arm only
    assert [chart.key for chart in at.get("plotly_chart")] == ["complication_bars"]
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert [trace["name"] for trace in bars] == ["Stent"]


def test_effects_mmrm_method_is_reml_by_default_and_ml_on_request(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/effects.py").run()
    assert "REML, Satterthwaite degrees of freedom" in _texts(at)
    mmrm_table = next(df.value for df in at.dataframe if "df" in df.value.columns)
    assert mmrm_table.df.astype(float).between(150, 400).all()
    at.segmented_control(key="mmrm").set_value("ml").run()
    assert not at.exception
    assert "ML, asymptotic Wald z" in _texts(at)
    assert _url(at, "mmrm") == ["ml"]


def test_responders_default_to_non_responder_imputation(app_on, demo_db):
    at = app_on(demo_db)
    at.switch_page("app_pages/responders.py").run()
    nri = at.dataframe[0].value.set_index("Visit (month)")
    assert "counts as a non-responder" in _texts(at)
    at.segmented_control(key="imputation").set_value("complete").run()
    complete = at.dataframe[0].value.set_index("Visit (month)")
    n_nri = int(nri.loc[24, "Stent responders"].split(" of ")[1].split(" ")[0].replace(",", ""))
    n_complete = int(complete.loc[24, "Stent responders"].split(" of ")[1].split(" ")[0].replace(",", ""))
    assert n_nri > n_complete  # patients due at month 24 include those not seen there
    assert any(
        "threshold" in json.loads(el.proto.spec)["layout"]["xaxis"]["title"]["text"].lower()
        for el in at.get("plotly_chart")
    )


def test_a_filter_chip_removes_its_filter(app_on, demo_db):
    at = app_on(demo_db, {"site": ["common_iliac", "femoral"], "age": ["30", "60"]}).run()
    at.button(key="chip_site_femoral").click().run()
    assert not at.exception
    assert at.multiselect(key="site").value == ["common_iliac"]
    assert _url(at, "site") == ["common_iliac"] and _url(at, "age") == ["30", "60"]
    at.button(key="chip_age_(30, 60)").click().run()
    assert at.slider(key="age").value == (18, 90) and "age" not in at.query_params


def test_the_schoenfeld_residual_plot_is_drawn_on_request(app_on, demo_db):
    at = app_on(demo_db, {"endpoint": "ulcer_healing"})
    at.switch_page("app_pages/durability.py").run()
    assert len(at.get("plotly_chart")) == 1  # the curves only: the residuals cost a second at scale
    at.session_state["schoenfeld_open"] = True  # the reader opens the expander
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 2
