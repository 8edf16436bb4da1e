"""Each "How this was computed" snippet, run as written, reproduces the number the page shows."""

import pandas as pd
import pytest

from pts_explorer import db, reproduce
from pts_explorer.analytics import effects, responders
from pts_explorer.filters import CohortFilter


def _run(snippet: str):
    namespace: dict = {}
    exec(compile(snippet, "<snippet>", "exec"), namespace)  # the user's copy-paste, verbatim
    return namespace["result"]


@pytest.fixture
def params():
    return {**CohortFilter(grade=("70-99%", "occlusion", "50-69%")).as_params(), "outcome": "villalta_total",
            "visit_month": 6, "randomized_only": True, "max_patients": 20000, "threshold": 4.0}  # fmt: skip


def test_ancova_snippet(small_con, small_db, params):
    shown = effects.ancova(db.run_query(small_con, "analysis_visit", params), ["study_id", "sex"])
    result = _run(reproduce.ancova(params, small_db, shown.formula))
    assert result["estimate"] == pytest.approx(shown.estimate, abs=1e-10)
    assert (result["ci_low"], result["ci_high"]) == pytest.approx((shown.ci_low, shown.ci_high), abs=1e-10)
    assert result["p_value"] == pytest.approx(shown.p_value, rel=1e-8)


def test_mmrm_snippet(small_con, small_db, params, capsys):
    fits = effects.mmrm_by_study(db.run_query(small_con, "analysis_long", params))
    fit = fits["TRIAL"]
    result = _run(reproduce.mmrm(params, small_db, "TRIAL", fit.covariance))
    for row in fit.effects.itertuples():
        assert result[row.visit_month] == pytest.approx(row.estimate, abs=5e-3)


def test_mmrm_fallback_snippet_runs(small_db, params):
    result = _run(reproduce.mmrm(params, small_db, "TRIAL", "compound symmetry (fallback)"))
    assert set(result) == {1, 3, 6, 12, 24}


def test_subgroup_snippet(small_con, small_db, params):
    params = {**params, "randomized_only": False}
    data = db.run_query(small_con, "analysis_visit", params)
    factors = list(effects.SUBGROUP_FACTORS)
    result = _run(reproduce.subgroups(params, small_db, factors))
    for factor in factors:
        shown = effects.subgroup_effects(data, factor, sorted(data[factor].unique()))
        for row in shown[shown.estimable].itertuples():
            assert result[(factor, row.level)] == pytest.approx(row.estimate, abs=1e-10)
        assert not any((factor, lvl) in result for lvl in shown[~shown.estimable].level)
        p = effects.interaction_p(data, factor)
        if p == p:  # not NaN
            assert result[(factor, "interaction p")] == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("definition", list(responders.DEFINITIONS))
def test_responder_snippet(small_con, small_db, params, definition):
    shown = responders.compare_arms(db.run_query(small_con, "responders_by_visit", params), definition)
    row = shown.set_index("visit_month").loc[6]
    result = _run(reproduce.responders(params, small_db, definition, 6))
    assert result["risk_difference"] == pytest.approx(row.risk_difference)
    assert result["rd_ci"] == pytest.approx((row.rd_ci_low, row.rd_ci_high))
    assert result["risk_ratio"] == pytest.approx(row.risk_ratio)


@pytest.mark.parametrize("name", ["band_shift", "symptom_profile"])
def test_table_snippets(small_con, small_db, params, name):
    shown = db.run_query(small_con, name, params)
    pd.testing.assert_frame_equal(_run(reproduce.table(name, params, small_db)), shown)
