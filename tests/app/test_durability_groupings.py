"""Durability's words fit the comparison on screen (outside review of #22): a stent-only endpoint by
arm is one curve, so the hazard-ratio adjustment is not offered; a comparison of stenosis grades is
observational in every study (no study assigns a grade), trial patients included."""

import duckdb
import pytest

from pts_explorer.config import DUCKDB_CONFIG


def _durability(app_on, db, query):
    at = app_on(db, query)
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


# The notice at the top of the page says what is true of the comparison on screen (outside review
# of #22): a grade, a site, a sex, an age or a study is observational in any design, so the notice
# names it so and offers no *Randomized only*, which would change the patients, not the meaning; for
# stent against medical, *Randomized only* is what keeps the randomized contrast. Whole notices are
# compared; the studies, their designs and which of them have patients are read from the database.
BADGES = (":orange-badge[", ":green-badge[", ":blue-badge[")


def _notices(at) -> list[str]:
    """The badged notices of the page, without the dataset's synthetic-data line."""
    return [m.value for m in at.markdown if m.value.startswith(BADGES) and "Synthetic demo data]" not in m.value]


def _studies(demo_db, where: str = "TRUE") -> str:
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        rows = con.execute(
            "SELECT DISTINCT s.study_id, s.design FROM patients p JOIN studies s USING (study_id) "
            f"WHERE {where} ORDER BY 1"
        ).fetchall()
    parts = [f"{study} ({design})" for study, design in rows]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


@pytest.mark.parametrize(
    ("group", "what"),
    [("stenosis_grade", "No study assigns stenosis grade at random"), ("sex", "No study assigns sex at random")],
)
def test_a_pooled_comparison_of_grades_is_called_observational_and_offers_no_randomized_only(
    app_on, demo_db, group, what
):
    at = _durability(app_on, demo_db, {"endpoint": "freedom_from_recurrent_dvt", "group": group})
    studies = _studies(demo_db)
    assert " and " in studies  # the demo pools a trial and a registry
    assert _notices(at) == [
        f":orange-badge[:material/visibility: Observational comparison] {what}, so the groups may differ in other "
        "ways, in randomized and observational studies alike. "
        f"Studies: {studies}."
    ]


def test_a_comparison_of_grades_in_the_trial_alone_is_not_called_randomized(app_on, demo_db):
    at = _durability(
        app_on, demo_db, {"endpoint": "freedom_from_recurrent_dvt", "group": "stenosis_grade", "randomized": "1"}
    )
    trial = _studies(demo_db, "s.design = 'randomized'")
    assert _notices(at) == [
        ":orange-badge[:material/visibility: Observational comparison] No study assigns stenosis grade at random, "
        "so the groups may differ in other ways, trial patients included: their randomization assigned the arm, "
        f"not the stenosis grade. Studies: {trial}."
    ]


def test_the_pooled_arm_comparison_offers_randomized_only(app_on, demo_db):
    at = _durability(app_on, demo_db, {"endpoint": "freedom_from_recurrent_dvt", "group": "arm"})
    assert _notices(at) == [
        ":orange-badge[:material/call_split: Pooled randomized and observational patients] Not a randomized "
        "comparison. Switch on *Randomized only* for the randomized contrast alone."
    ]
