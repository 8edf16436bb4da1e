"""Each "How this was computed" snippet, run as written, reproduces the number the page shows."""

import shutil

import pandas as pd
import pytest

from pts_explorer import db, reproduce, vocab
from pts_explorer.analytics import effects, heterogeneity, responders, splits
from pts_explorer.filters import CohortFilter
from pts_explorer.vocab import DAYS_PER_MONTH


@pytest.fixture(scope="module")
def snippet_db(small_db, tmp_path_factory):
    """A byte copy of small_db: the snippets open it as a user would (plain read-only connect),
    which DuckDB refuses in-process next to the fixtures' handle with the app's settings."""
    copy = tmp_path_factory.mktemp("snippet") / "copy.duckdb"
    shutil.copyfile(small_db, copy)
    return copy


@pytest.fixture(autouse=True)
def beside_the_file(snippet_db, monkeypatch):
    """A snippet names the file by its name alone (never the server's path): it runs beside it."""
    monkeypatch.chdir(snippet_db.parent)


def test_a_snippet_names_the_file_not_the_servers_path(snippet_db, params):
    snippet = reproduce.table("band_shift", params, snippet_db)
    opening = snippet.splitlines()[:3]
    assert opening == ["import duckdb", "", "con = duckdb.connect('copy.duckdb', read_only=True)"]
    assert str(snippet_db.parent) not in snippet


def _run(snippet: str):
    namespace: dict = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)  # the user's copy-paste, verbatim
    return namespace["result"]


@pytest.fixture
def params():
    return {
        **CohortFilter(grade=("70-99%", "occlusion", "50-69%")).as_params(),
        "outcome": "villalta_total",
        "visit_month": 6,
        "randomized_only": True,
        "max_patients": 20000,
        "threshold": 4.0,
        "days_per_month": DAYS_PER_MONTH,
    }


def test_ancova_snippet(small_con, snippet_db, params):
    shown = effects.ancova(db.run_query(small_con, "analysis_visit", params), ["study_id", "sex"])
    result = _run(reproduce.ancova(params, snippet_db, shown.formula))
    assert result["estimate"] == pytest.approx(shown.estimate, abs=1e-10)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((shown.ci_low, shown.ci_high), abs=1e-10)
    assert result["p_value"] == pytest.approx(shown.p_value, rel=1e-8)


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_mmrm_snippet(small_con, snippet_db, params, method):
    fits = effects.mmrm_by_study(db.run_query(small_con, "analysis_long", params), method)
    fit = fits["TRIAL"]
    result = _run(reproduce.mmrm(params, snippet_db, "TRIAL", method, fit.covariance))
    for row in fit.effects.itertuples():
        shown = result[row.visit_month]
        assert shown["estimate"] == pytest.approx(row.estimate, abs=1e-9)
        assert (shown["ci_low"], shown["ci_high"]) == pytest.approx((row.ci_low, row.ci_high), abs=1e-9)


def test_mmrm_fallback_snippet_runs(snippet_db, params):
    result = _run(reproduce.mmrm(params, snippet_db, "TRIAL", "reml", "compound symmetry (fallback)"))
    assert set(result) == {1, 3, 6, 12, 24}


@pytest.mark.parametrize("by", ["high_grade_site", "stenosis_grade"])
def test_who_benefits_snippet_gives_the_differences_in_effect(small_con, snippet_db, params, by):
    params = {**params, "randomized_only": False}  # pooled: the snippet adjusts for study as the page does
    data = db.run_query(small_con, "analysis_visit", params)
    groups = heterogeneity.usable_levels(data, by, list(vocab.LEVELS[by]))
    assert len(groups) >= 3
    reference = groups[-1]  # not the first: the snippet compares with the group the page compares with
    shown = heterogeneity.between_cohorts(data, by, groups, reference)
    order = [reference, *(g for g in groups if g != reference)]
    result = _run(reproduce.benefit(params, snippet_db, by, order))
    differences = [key for key in result if not isinstance(key, tuple)]
    assert differences == [d.level for d in shown.differences] == order[1:]
    for difference in shown.differences:
        got = result[difference.level]
        want = (difference.estimate, difference.ci_low, difference.ci_high, difference.p_value)
        assert (got["estimate"], got["ci_low"], got["ci_high"], got["p"]) == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert [key for key in result if isinstance(key, tuple)] == [("effect", g) for g in order]
    for effect in shown.effects.itertuples():  # each group's own ANCOVA, as the page's groups table
        got = result[("effect", effect.level)]
        want = (effect.estimate, effect.ci_low, effect.ci_high, effect.p_value)
        assert (got["estimate"], got["ci_low"], got["ci_high"], got["p"]) == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("by", ["center_id", "age_years"])
def test_who_benefits_snippet_forms_a_split_by_any_attribute_as_the_page_does(small_con, snippet_db, params, by):
    """A split by a centre (the largest apart, the others pooled) or by age cut at 50 and 65: the snippet
    forms the groups from patient_splits itself and gives the page's differences."""
    params = {**params, "randomized_only": False}
    data = db.run_query(small_con, "analysis_visit", params)
    attributes = db.run_query(small_con, "patient_splits", params).set_index("patient_id")[by]
    split = (
        splits.cut(by, (50.0, 65.0)) if by == "age_years" else splits.categorical(by, data.patient_id.map(attributes))
    )
    if by == "center_id":
        assert split.pooled  # the small file has more centres than are shown apart
    data = data.assign(split=data.patient_id.map(split.assign(attributes))).dropna(subset=["split"])
    groups = heterogeneity.usable_levels(data, "split", list(split.levels))
    assert len(groups) >= 2
    shown = heterogeneity.between_cohorts(data, "split", groups, groups[0])
    result = _run(reproduce.benefit(params, snippet_db, "split", groups, split=split))
    for difference in shown.differences:
        got = result[difference.level]
        want = (difference.estimate, difference.ci_low, difference.ci_high, difference.p_value)
        assert (got["estimate"], got["ci_low"], got["ci_high"], got["p"]) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_subgroup_snippet(small_con, snippet_db, params):
    params = {**params, "randomized_only": False}
    data = db.run_query(small_con, "analysis_visit", params)
    factors = list(vocab.SUBGROUP_FACTORS)
    result = _run(reproduce.subgroups(params, snippet_db, factors))
    for factor in factors:
        shown = effects.subgroup_effects(data, factor, sorted(data[factor].unique()))
        for row in shown[shown.estimable].itertuples():
            assert result[(factor, row.level)] == pytest.approx(row.estimate, abs=1e-10)
        assert not any((factor, lvl) in result for lvl in shown[~shown.estimable].level)
        p = effects.interaction_p(data, factor)
        if p == p:  # not NaN
            assert result[(factor, "interaction p")] == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("imputation", list(responders.IMPUTATIONS))
@pytest.mark.parametrize("definition", list(responders.DESCRIPTIONS))
def test_responder_snippet(small_con, snippet_db, params, definition, imputation):
    agg = db.run_query(small_con, "responders_by_visit", params)
    shown = responders.compare_arms(agg, definition, imputation)
    row = shown.set_index("visit_month").loc[6]
    result = _run(reproduce.responders(params, snippet_db, definition, 6, imputation))
    assert result["risk_difference"] == pytest.approx(row.risk_difference)
    assert result["rd_ci"] == pytest.approx((row.rd_ci_low, row.rd_ci_high))
    assert result["risk_ratio"] == pytest.approx(row.risk_ratio)


@pytest.mark.parametrize("name", ["band_shift", "symptom_profile"])
def test_table_snippets(small_con, snippet_db, params, name):
    shown = db.run_query(small_con, name, params)
    pd.testing.assert_frame_equal(_run(reproduce.table(name, params, snippet_db)), shown)


def test_kaplan_meier_snippet(small_con, snippet_db):
    from pts_explorer.analytics import survival

    params = {
        **CohortFilter().as_params(),
        "endpoint": "primary_patency",
        "group": "obstruction_site",
        "randomized_only": False,
    }
    counts = db.run_query(small_con, "km_counts", params)
    marks = survival.landmarks(survival.fit_km(counts), counts)
    result = _run(reproduce.time_to_event(params, snippet_db, competing_risk=False))
    for row in marks[marks.at_risk > 0].itertuples():
        assert result[(row.group, row.years)] == pytest.approx(row.estimate, abs=1e-12)
    assert result["log-rank p"] == pytest.approx(survival.logrank(counts), rel=1e-9)


@pytest.mark.parametrize("endpoint", ["ulcer_healing", "freedom_from_reintervention"])
def test_cumulative_incidence_snippet(small_con, snippet_db, endpoint):
    from pts_explorer.analytics import competing

    group = "arm" if endpoint == "ulcer_healing" else "stenosis_grade"
    params = {**CohortFilter().as_params(), "endpoint": endpoint, "group": group, "randomized_only": False}
    counts = db.run_query(small_con, "km_counts", params)
    marks = competing.landmarks(competing.cumulative_incidence(counts), counts)
    result = _run(reproduce.time_to_event(params, snippet_db, competing_risk=True))
    for row in marks[marks.at_risk > 0].itertuples():
        assert result[(row.group, row.years)] == pytest.approx(row.estimate, abs=1e-12)
    assert result["Gray's test p"] == pytest.approx(competing.gray_test(counts)[2], rel=1e-12)


def test_cox_snippet(small_con, snippet_db):
    from pts_explorer.analytics import survival

    params = {
        **CohortFilter().as_params(),
        "endpoint": "freedom_from_recurrent_dvt",
        "group": "arm",
        "max_patients": 20000,
        "randomized_only": False,
    }
    data = db.run_query(small_con, "cox_data", params)
    shown = survival.cox(data, "arm", ["age_years", "sex"])
    result = _run(reproduce.cox(params, snippet_db, "arm", shown.design.levels(), shown.design.numeric()))
    assert result["arm[stent]"] == pytest.approx(shown.hazard_ratios.set_index("level").loc["stent", "hr"])


def test_safety_snippet(small_con, snippet_db):
    from pts_explorer.analytics import safety

    params = {**CohortFilter().as_params(), "group": "stenosis_grade", "randomized_only": False}
    rates = safety.rates(
        db.run_query(small_con, "safety_events", params), db.run_query(small_con, "safety_exposure", params)
    )
    result = _run(reproduce.safety(params, snippet_db))
    shown = rates.set_index(["arm", "group_value", "event_type", "period"])
    columns = ["pct", "ci_low", "ci_high", "rate", "rate_low", "rate_high"]
    assert len(result) > 20
    for key, row in result.iterrows():
        assert tuple(row[columns]) == pytest.approx(tuple(shown.loc[key, columns]))
