"""Durability's words fit the comparison on screen (outside review of #22): a stent-only endpoint by
arm is one curve, so the hazard-ratio adjustment is not offered; a comparison of stenosis grades is
observational in every study (no study assigns a grade), trial patients included."""

import duckdb

from pts_explorer.config import DUCKDB_CONFIG


def _durability(app_on, db, query):
    at = app_on(db, query).run()
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception, at.exception
    return at


def test_one_curve_offers_no_hazard_ratio_adjustment(app_on, demo_db):
    at = _durability(app_on, demo_db, {"endpoint": "primary_patency", "group": "arm"})
    box = at.multiselect(key="cox_adjust")
    assert (box.disabled, box.placeholder) == (True, "No hazard ratio: one curve")
    at = _durability(app_on, demo_db, {"endpoint": "ulcer_healing", "group": "arm"})
    box = at.multiselect(key="cox_adjust")
    assert (box.disabled, box.placeholder) == (False, "Unadjusted")


def test_a_comparison_of_grades_is_called_observational_even_in_the_trial(app_on, demo_db):
    at = _durability(
        app_on, demo_db, {"endpoint": "freedom_from_recurrent_dvt", "group": "stenosis_grade", "randomized": "1"}
    )
    notes = [w.value for w in at.warning if w.value.startswith("**Observational comparison**")]
    assert notes == [
        "**Observational comparison**: no study assigns stenosis grade at random, so the groups may differ in other "
        "ways. The hazard ratio is unadjusted; confounding by other factors may remain."
    ]


def test_a_comparison_of_grades_with_the_registry_gives_its_share(app_on, demo_db):
    at = _durability(app_on, demo_db, {"endpoint": "freedom_from_recurrent_dvt", "group": "stenosis_grade"})
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        total, registry = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE s.design = 'observational') FROM patients p "
            "JOIN studies s USING (study_id)"
        ).fetchone()
    notes = [w.value for w in at.warning if w.value.startswith("**Observational comparison**")]
    assert notes == [
        "**Observational comparison**: no study assigns stenosis grade at random, so the groups may differ in other "
        f"ways. {registry:,} of {total:,} patients in this model ({registry / total:.0%}) come from the registry. "
        "The hazard ratio is unadjusted; confounding by other factors may remain."
    ]
