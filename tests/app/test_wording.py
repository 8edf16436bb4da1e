"""What the pages say a method is, read off the page as whole sentences (issue 22, item 13): what the
MMRM was checked against, the ML standard errors' N/(N - p) factor, complete-case ANCOVA, what
non-responder imputation estimates, and the multiplicity note beside per-visit comparisons."""

import html

import duckdb
import pytest

from pts_explorer.config import DUCKDB_CONFIG

MMRM_REFERENCE = (
    "Checked against R (nlme 3.1-162 and emmeans 1.8.4-1) on the demo trial: the estimates and standard errors "
    "equal nlme::gls with an unstructured covariance (corSymm + varIdent) and emmeans contrasts to 5 decimals. "
    "The degrees of freedom are exact Satterthwaite, computed as R's mmrm package and SAS compute them (not "
    "checked against either); they differ from emmeans' approximate Satterthwaite df by up to 3.5%, the CIs and "
    "p-values by at most 0.001."
)
ML_REFERENCE = (
    "Checked against R (nlme 3.1-162 and emmeans 1.8.4-1) on the demo trial: the estimates and standard errors "
    "equal nlme::gls with an unstructured covariance (corSymm + varIdent) and emmeans contrasts to 5 decimals. "
    "Intervals and p-values use the normal distribution (Wald z, emmeans' asymptotic mode): no degrees of freedom "
    "enter them."
)
ML_FACTOR = (
    "ML standard errors carry nlme::gls's factor: the covariance of the estimates is multiplied by N/(N − p), "
    "N observations and p fixed effects, as in the R reference; plain ML standard errors are smaller by the "
    "square root of that factor."
)
NRI = (
    "Non-responder imputation estimates a composite: the share of patients due at the visit who were alive, "
    "still followed, seen there and improved. Deaths, losses to follow-up and missed visits all count as "
    "non-responders, so an arm that loses more patients shows fewer responders even if those seen improved as "
    "much."
)


def complete_cases(month: int) -> str:
    return (
        f"Complete-case analysis: only patients with the outcome at baseline and at month {month}; patients who "
        "missed that visit, died or left the study before it are left out, not imputed."
    )


def _captions(at) -> list[str]:
    return [c.value for c in at.caption]


def _open(app_on, db, page, query=None):
    at = app_on(db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    return at


def test_effects_says_what_the_mmrm_was_checked_against_and_names_the_ml_factor(app_on, demo_db):
    at = _open(app_on, demo_db, "effects")
    captions = _captions(at)
    assert MMRM_REFERENCE in captions
    assert ML_FACTOR not in captions  # REML: no factor
    assert "validated against R mmrm" not in "\n".join(captions + [m.value for m in at.markdown])
    at.segmented_control(key="mmrm").set_value("ml").run()
    assert not at.exception
    captions = _captions(at)
    assert ML_REFERENCE in captions and ML_FACTOR in captions
    assert not [c for c in captions if "Satterthwaite" in c]  # ML intervals are Wald z: no df to speak of


@pytest.mark.parametrize("month", [6, 12])
def test_ancova_on_effects_and_subgroups_is_named_complete_case(app_on, demo_db, month):
    for page in ("effects", "subgroups"):
        at = _open(app_on, demo_db, page, {"visit": str(month)})
        assert complete_cases(month) in _captions(at), page


def test_responders_say_what_non_responder_imputation_estimates(app_on, demo_db):
    at = _open(app_on, demo_db, "responders")
    assert NRI in _captions(at)
    at.segmented_control(key="imputation").set_value("complete").run()
    assert not at.exception
    assert NRI not in _captions(at)  # complete cases estimate something else


def test_trajectories_per_visit_differences_carry_a_multiplicity_note(app_on, demo_db):
    at = _open(app_on, demo_db, "trajectories")
    # Independently: the post-baseline visits of each study (the page splits by study by default) at which each
    # arm has 2+ patients with a baseline and that visit.
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    visits = con.execute(
        """
        SELECT count(*) FROM (
            SELECT p.study_id, v.visit_month
            FROM visits AS v
            JOIN visits AS b ON b.patient_id = v.patient_id AND b.visit_month = 0
            JOIN patients AS p ON p.patient_id = v.patient_id
            WHERE v.visit_month > 0
            GROUP BY p.study_id, v.visit_month
            HAVING count(*) FILTER (WHERE p.arm = 'stent') >= 2 AND count(*) FILTER (WHERE p.arm = 'medical') >= 2
        )
        """
    ).fetchone()[0]
    con.close()
    assert visits == 12  # trial months 1, 3, 6, 12, 24; registry months 6, 12, 24, 36, 60, 84, 120
    note = (
        f"Multiplicity: {visits} visit comparisons are shown side by side, each with its own 95% CI and p-value, "
        "with no adjustment for multiple comparisons; at 5% each, some can look significant by chance alone, "
        "so read the pattern over the visits rather than a single visit."
    )
    assert note in _captions(at)


def test_glossary_says_what_the_methods_are(app_on, demo_db):
    at = _open(app_on, demo_db, "glossary")
    sources = _captions(at)
    assert (
        "Source: Mallinckrodt CH et al. *Drug Inf J* 2008;42:303-19 "
        "([doi](https://doi.org/10.1177/009286150804200402)); "
        "checked against R's nlme::gls (unstructured covariance) with emmeans contrasts: estimates and standard "
        "errors equal to 5 decimals; the degrees of freedom are exact Satterthwaite, as R's mmrm package computes "
        "them, within 3.5% of emmeans' approximation. ML standard errors carry nlme's N/(N − p) variance factor "
        "(N observations, p fixed effects)."
    ) in sources
    texts = [m.value for m in at.markdown]
    assert (
        "**Non-responder imputation**  \nA patient due at a visit but not seen there, also one who died or left the "
        "study, counts as not having responded, the conservative default of responder analyses. It estimates a "
        "composite: the share of patients alive, still followed, seen and improved. Leaving such patients out "
        "(complete cases) is the sensitivity analysis."
    ) in texts
    assert (
        "**ANCOVA**  \nA regression of the change from baseline on the arm, adjusted for the baseline value (and the "
        "study when studies are pooled, and any covariates chosen); the usual analysis of a randomized trial's "
        "continuous outcome at one visit. It is a complete-case analysis: only patients with the outcome at baseline "
        "and at that visit are in it; those who missed the visit, died or left are left out, not imputed."
    ) in texts


def test_trajectories_in_change_says_the_summary_is_a_change_from_baseline(app_on, demo_db):
    """The chart's text alternative named the mean change "Mean Villalta total" (outside review of
    #23: "stent -10.0" read as a Villalta total below zero)."""
    import json

    at = _open(app_on, demo_db, "trajectories", {"scale": "change", "by_study": "False"})
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    rows = con.execute(
        """
        WITH changes AS (
            SELECT p.arm, v.visit_month, v.villalta_total - b.villalta_total AS change
            FROM visits AS v
            JOIN visits AS b ON b.patient_id = v.patient_id AND b.visit_month = 0
            JOIN patients AS p ON p.patient_id = v.patient_id
            WHERE v.visit_month > 0 AND v.villalta_total IS NOT NULL AND b.villalta_total IS NOT NULL
        )
        SELECT arm, avg(change) FROM changes WHERE visit_month = (SELECT max(visit_month) FROM changes)
        GROUP BY arm ORDER BY arm DESC
        """
    ).fetchall()
    (last,) = con.execute("SELECT max(visit_month) FROM visits").fetchone()
    con.close()
    from pts_explorer.display import number

    means = ", ".join(f"{arm} {number(mean, 1)}" for arm, mean in rows)
    summary = f"Mean change from baseline in Villalta total at the last visit: All studies month {last}: {means}."
    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    shown = [m.value for m in at.markdown if m.value.startswith('<p class="sr-only">')]
    from pts_explorer.escape import html_in_markdown

    # pooled over the trial and the registry, the text alternative goes on with the designs at each
    # visit (as the marks under the chart say): the summary comes first, whole
    assert shown[0].startswith(f'<p class="sr-only">Chart: {html_in_markdown(title)}. {html_in_markdown(summary)} ')
    assert "Patients at each visit: Both arms: randomized only at months 1, 3 (TRIAL)" in html.unescape(shown[0])


def test_the_cox_caption_names_the_models_terms_as_the_page_does(app_on, demo_db):
    """The caption printed the model's column names (`stenosis_grade (vs <50%) + sex (vs female)`);
    it names each term as the page's controls do, with its reference level (#22 outside review)."""
    from pts_explorer.analytics import ph_test, survival

    at = _open(
        app_on,
        demo_db,
        "durability",
        {"endpoint": "primary_patency", "group": "stenosis_grade", "cox_adjust": ["sex", "age_years"]},
    )
    con = duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG)
    (first_grade,) = con.execute("SELECT min(stenosis_pct) FROM patients").fetchone()
    con.close()
    assert first_grade < 50  # the lowest grade, the reference, is present
    caption = (
        f"{survival.COX_METHOD}; model: stenosis grade (reference: <50%) + age + sex (reference: female). PH check "
        f"p: {ph_test.PH_METHOD}, one test per coefficient; a small p suggests the hazard ratio changes over time, "
        "so read it as an average."
    )
    (shown,) = [c for c in _captions(at) if "model:" in c]
    assert shown == caption
