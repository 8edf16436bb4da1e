"""The Adjusted registry page: its numbers read off the page and recomputed here with the propensity
core on the same cohort (the query's rows, the score, the weights: each step called directly), compared
whole; its settings in the address, hostile values refused; what it says where no benchmark exists."""

import re

import duckdb
import numpy as np
import pytest

from pts_explorer import db
from pts_explorer.analytics import propensity as P
from pts_explorer.config import DUCKDB_CONFIG
from pts_explorer.filters import MAX_MODEL_PATIENTS, CohortFilter
from tests.app.test_pages import _texts, _url
from tests.app.test_small_cells import shown_counts

PAGE = "app_pages/adjusted.py"


def _open(app_on, db_path, query: dict | None = None):
    at = app_on(db_path, query or {})
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _protocol(at):
    """The target-trial protocol as the page shows it (a static table whose cells are escaped
    Markdown), read back as text, indexed by protocol element."""
    (frame,) = [t.value for t in at.table if "Protocol element" in t.value.columns]
    plain = frame.map(lambda v: re.sub(r"\\(.)", r"\1", str(v)))
    return plain.set_index("Protocol element").iloc[:, 0]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _rows(db_path, visit: int = 6, endpoint: str = "ulcer_healing", cohort: CohortFilter | None = None):
    params = {
        **(cohort or CohortFilter()).as_params(),
        "outcome": "villalta_total",
        "visit_month": visit,
        "endpoint": endpoint,
        "randomized_only": False,
        "max_patients": MAX_MODEL_PATIENTS,
    }
    with duckdb.connect(str(db_path), read_only=True, config=DUCKDB_CONFIG) as con:
        return db.run_query(con, "propensity_rows", params)


def _like_the_trial(rows):
    """The registry patients the trial could have enrolled, as data/README.md states its inclusion
    criteria (stenosis of at least 50%; Villalta of at least 10 or an ulcer), written out here."""
    registry = rows[rows.design == "observational"]
    keep = (registry.stenosis_pct >= 50) & ((registry.baseline_villalta >= 10) | (registry.baseline_ulcer == "yes"))
    return registry[keep.fillna(False).astype(bool)]


def _signed(value: float, decimals: int) -> str:
    text = f"{value:+.{decimals}f}"
    return "0." + "0" * decimals if float(text) == 0 else text


def _expected(rows, method: str, column: str = "change", scale: float = 1.0, decimals: int = 2, **options):
    """The page's metrics recomputed: score, weights, estimate, ESS and the largest |SMD| after."""
    score = P.fit_score(P.analysed_rows(_like_the_trial(rows), False), P.DEFAULT_COVARIATES)
    w = P.weights(score, method, **options)
    data = score.data
    if column == "responder":
        data = data.assign(responder=P.responders(data, 4))
    est = P.weighted_difference(data, w, column)
    ess = P.effective_sample_size(data.stent.to_numpy(), w)
    worst = float(P.balance(score, w).smd_after.abs().max())
    smd = f"{worst:.3f}" + (" ▲" if worst > 0.1 else "")
    return {
        f"Adjusted estimate ({ {'overlap': 'ATO', 'iptw': 'ATE', 'matching': 'ATM'}[method] })": _signed(
            scale * est.estimate, decimals
        ),
        "95% CI (robust)": f"{_signed(scale * est.ci_low, decimals)} to {_signed(scale * est.ci_high, decimals)}",
        "ESS, stent / medical": f"{ess['stent']:.1f} / {ess['medical']:.1f}",
        "Max |SMD| after": smd,
    }


@pytest.mark.parametrize(
    ("query", "method", "options"),
    [
        ({}, "overlap", {}),
        ({"ps_method": "iptw", "ps_trim": "0.1"}, "iptw", {"bounds": (0.1, 0.9)}),
        ({"ps_method": "matching", "ps_caliper": "0.1"}, "matching", {"caliper": 0.1}),
    ],
    ids=["overlap", "iptw trimmed at 0.1", "matching caliper 0.1"],
)
def test_the_adjusted_estimate_ci_ess_and_balance_are_the_cores(app_on, demo_db, query, method, options):
    at = _open(app_on, demo_db, query)
    shown = _metrics(at)
    want = _expected(_rows(demo_db), method, **options)
    assert {label: shown[label] for label in want} == want


def test_responders_are_the_weighted_share_difference_in_percentage_points(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_estimate": "responders"})
    shown = _metrics(at)
    want = _expected(_rows(demo_db), "overlap", column="responder", scale=100, decimals=1)
    assert {label: shown[label] for label in want} == want


def test_the_hazard_ratio_is_the_weighted_cox_and_the_trial_is_beside_it(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_estimate": "freedom_from_recurrent_dvt"})
    rows = _rows(demo_db, endpoint="freedom_from_recurrent_dvt")
    score = P.fit_score(P.analysed_rows(_like_the_trial(rows), True), P.DEFAULT_COVARIATES)
    hr, share = P.weighted_cox(score.data, P.weights(score, "overlap"))
    shown = _metrics(at)
    assert shown["Adjusted estimate (ATO)"] == f"{hr.estimate:.2f}"
    assert shown["95% CI (robust)"] == f"{hr.ci_low:.2f} to {hr.ci_high:.2f}"
    evalue, evalue_ci = P.evalue_hazard_ratio(hr, share)
    assert shown["E-value (CI bound)"] == f"{evalue:.2f} ({evalue_ci:.2f})"
    trial = P.randomized(rows)
    trial_hr, _ = P.weighted_cox(trial, np.ones(len(trial)))
    table = next(d.value for d in at.dataframe if "Hazard ratio" in d.value.columns).set_index("Estimate")
    assert table.loc["Trial, randomized", "Hazard ratio"] == f"{trial_hr.estimate:.2f}"
    assert table.loc["Trial, randomized", "95% CI"] == f"{trial_hr.ci_low:.2f} to {trial_hr.ci_high:.2f}"
    assert table.loc["Trial, randomized", "n, stent"] == f"{trial_hr.n_stent:,}"


def test_the_benchmark_is_the_registry_minus_the_trial_and_says_only_what_its_ci_supports(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_method": "iptw"})
    rows = _rows(demo_db)
    score = P.fit_score(P.analysed_rows(_like_the_trial(rows), False), P.DEFAULT_COVARIATES)
    bench = P.benchmark(P.weighted_difference(score.data, P.weights(score, "iptw")), P.trial_estimate(rows))
    words = f"{_signed(bench.difference, 2)}, 95% CI {_signed(bench.ci_low, 2)} to {_signed(bench.ci_high, 2)}"
    (line,) = [m.value for m in at.markdown if "Registry − trial:" in m.value]
    if bench.ci_low <= 0 <= bench.ci_high:
        verdict = (
            f"**No difference shown** between the adjusted registry estimate and the trial's "
            f"(Registry − trial: {words}): the interval includes 0. That is not evidence that the registry "
            "reproduces the trial: every value in the interval is compatible with these data."
        )
    else:
        verdict = (
            f"**The adjusted registry estimate differs from the trial's** beyond chance (Registry − trial: {words}): "
            "residual confounding, different patients or the different estimand can each explain it."
        )
    trial = rows[rows.design == "randomized"]  # review 31c finding 9: the trial's estimate is complete-case
    seen = int(trial.change.notna().sum())
    assert seen < len(trial)
    assert line == (
        f"{verdict} The estimands differ: the registry's is the average treatment effect (ATE) of its own patients, "
        f"the trial's the average effect among the {seen:,} of the {len(trial):,} patients it randomized in this "
        "cohort who were seen at baseline and month 6."
    )


def test_a_visit_the_trial_does_not_have_gives_no_benchmark_and_says_why(app_on, demo_db):
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        visits = con.execute("SELECT design, visit_months FROM studies").fetchall()
    trial = {m for design, months in visits if design == "randomized" for m in months}
    registry_only = min(m for design, months in visits if design == "observational" for m in months if m not in trial)
    at = _open(app_on, demo_db, {"visit": str(registry_only)})
    shown = ", ".join(str(m) for m in sorted(trial) if m)
    assert [i.value for i in at.info] == [
        f"No randomized benchmark: the trial has no month-{registry_only} visit (its visits: months {shown})."
    ]
    assert not [m for m in at.markdown if "Registry − trial" in m.value]


def test_the_settings_are_in_the_address_and_come_back_from_it(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.selectbox(key="ps_estimate").set_value("responders").run()
    at.selectbox(key="ps_method").set_value("matching").run()
    at.selectbox(key="ps_caliper").set_value("0.1").run()
    at.multiselect(key="ps_covariates").set_value(["stenosis_grade", "age_years"]).run()
    assert not at.exception
    assert _url(at, "ps_estimate") == ["responders"]
    assert _url(at, "ps_method") == ["matching"]
    assert _url(at, "ps_caliper") == ["0.1"]
    assert _url(at, "ps_covariates") == ["stenosis_grade", "age_years"]
    again = _open(
        app_on, demo_db, {k: _url(at, k) for k in ("ps_estimate", "ps_method", "ps_caliper", "ps_covariates")}
    )
    assert again.selectbox(key="ps_estimate").value == "responders"
    assert again.selectbox(key="ps_method").value == "matching"
    assert again.selectbox(key="ps_caliper").value == "0.1"
    assert again.multiselect(key="ps_covariates").value == ["stenosis_grade", "age_years"]
    assert _metrics(again) == _metrics(at)
    assignment = _protocol(again)["Assignment"]
    assert assignment == "Not randomized: a propensity score on 2 covariates (the balance table)"
    balance = next(d.value for d in again.dataframe if "Covariate" in d.value.columns)
    assert list(balance.Covariate[balance["In the score"] == "yes"]) == ["Stenosis grade", "Age (years)"]
    assert list(balance.Covariate) == list(P.COVARIATES.values())  # every candidate, in the score or not


HOSTILE = {
    "ps_estimate": "'; DROP TABLE patients; --",
    "ps_method": "<script>alert(1)</script>",
    "ps_trim": "0.5",
    "ps_caliper": "-1",
    "ps_covariates": ["**bold**", "study_id"],
}


def test_hostile_settings_are_refused_with_a_notice_and_never_shown(app_on, demo_db):
    at = _open(app_on, demo_db, HOSTILE)
    assert at.selectbox(key="ps_estimate").value == "change"
    assert at.selectbox(key="ps_method").value == "overlap"
    assert at.selectbox(key="ps_trim").value == "0.05"
    assert at.selectbox(key="ps_caliper").value == "0.2"
    assert at.multiselect(key="ps_covariates").value == list(P.DEFAULT_COVARIATES)  # none known: the default
    texts = _texts(at)
    for value in ("DROP TABLE", "<script>", "**bold**"):
        assert value not in texts
    assert _metrics(at) == _metrics(_open(app_on, demo_db))  # the default view's numbers
    for key in ("ps_estimate", "ps_method", "ps_trim", "ps_caliper", "ps_covariates"):
        assert _url(at, key) == []  # the address keeps the defaults (none written)


def test_one_known_covariate_among_unknown_ones_is_kept(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_covariates": ["bogus", "stenosis_grade"]})
    assert at.multiselect(key="ps_covariates").value == ["stenosis_grade"]


def test_no_covariate_chosen_asks_for_one(app_on, demo_db):
    at = _open(app_on, demo_db)
    at.multiselect(key="ps_covariates").set_value([]).run()
    assert not at.exception
    assert [i.value for i in at.info] == [
        "Choose at least one covariate for the propensity score (*Score: covariates* above)."
    ]


def test_a_cohort_without_registry_patients_says_why_there_is_no_estimate(app_on, demo_db):
    at = _open(app_on, demo_db, {"study": "TRIAL"})
    assert [i.value for i in at.info] == [
        "**This cohort holds no registry patients**, so there is no registry comparison to adjust: the page compares "
        "registry (observational) patients, whose treatment clinicians chose, with the trial. To widen the cohort, "
        "include a registry study (REGISTRY) in the sidebar's *Study* filter or relax the sidebar's filters."
    ]


def test_a_registry_arm_below_k_shows_no_estimate_balance_or_count(app_on, demo_db, monkeypatch):
    """The demo's registry has 3 medical patients with a grade below 50% in the IVC seen at month 6
    (counted here from the contract tables): with small cells protected, nothing about them is shown."""
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        (medical,) = con.execute(
            """SELECT count(*) FROM patients AS p JOIN studies USING (study_id)
               JOIN visits AS b ON b.patient_id = p.patient_id AND b.visit_month = 0 AND b.villalta_total IS NOT NULL
               JOIN visits AS f ON f.patient_id = p.patient_id AND f.visit_month = 6 AND f.villalta_total IS NOT NULL
               WHERE design = 'observational' AND p.arm = 'medical' AND obstruction_site = 'ivc'
                 AND stenosis_grade = '<50%'"""
        ).fetchone()
    assert 0 < medical < 5
    monkeypatch.setenv("PTS_PROTECT_SMALL_CELLS", "1")
    monkeypatch.setenv("PTS_MIN_CELL_COUNT", "5")
    at = _open(app_on, demo_db, {"site": "ivc", "grade": "<50%", "ps_covariates": "sex", "ps_trial_eligible": "False"})
    hidden = "Not shown: an arm has fewer than 5 registry patients in the analysis (small cells hidden)."
    assert [i.value for i in at.info] == [hidden, hidden]
    assert not [m for m in at.metric if m.label.startswith(("Adjusted", "ESS", "Max"))]
    assert [k for k in at.get("plotly_chart")] == []
    assert not at.dataframe and len(_protocol(at)) == 8
    assert not [(where, n) for where, n in shown_counts(at) if 0 < n < 5]


def _independent_overlap(rows, covariates=P.DEFAULT_COVARIATES):
    """Overlap weights from a logistic score fitted here (pandas dummies, statsmodels GLM) on `rows`
    (registry patients; centres with fewer than 3 patients of an arm pooled, as the page does): the weights of
    each patient and the stent indicator."""
    import pandas as pd
    import statsmodels.api as sm

    reg = rows[rows.design == "observational"].dropna(subset=[*covariates, "study_id"])
    if "center_id" in covariates:  # centres with fewer than 3 of an arm pooled (none stays alone, here)
        reg = reg.assign(center_id=reg.center_id.where(~reg.center_id.isin(_small_centres(reg)), "(other centres)"))
    cols = [c for c in [*covariates, "study_id"] if reg[c].nunique() > 1]
    cats = [c for c in cols if c in P.CATEGORICAL]
    x = pd.get_dummies(reg[cols].astype({c: str for c in cats}), columns=cats, drop_first=True, dtype=float)
    stent = (reg.arm == "stent").to_numpy()
    ps = sm.GLM(stent.astype(float), sm.add_constant(x), family=sm.families.Binomial()).fit().fittedvalues.to_numpy()
    return reg, stent, np.where(stent, 1 - ps, ps)


def _kish(w):
    return w.sum() ** 2 / (w**2).sum()


@pytest.mark.parametrize(
    ("query", "timed"),
    [
        ({"ps_estimate": "ulcer_healing", "ps_trial_eligible": "False"}, True),
        ({"visit": "120"}, False),
        ({}, False),
        ({"ps_trial_eligible": "False"}, False),
    ],
    ids=["ulcer healing, every registry patient", "month 120", "month 6", "month 6, every registry patient"],
)
def test_the_ess_is_of_the_patients_analysed_with_the_score_fitted_among_them(app_on, demo_db, query, timed):
    """Review 31 finding 1: the ESS was of all registry patients (1146.0 / 858.0 whatever the estimate)."""
    at = _open(app_on, demo_db, query)
    rows = _rows(demo_db, visit=int(query.get("visit", 6)))
    everyone = rows[rows.design == "observational"]
    restricted = "ps_trial_eligible" not in query
    like = _like_the_trial(rows) if restricted else everyone
    reg, stent, w = _independent_overlap(like[(like.duration_days if timed else like.change).notna()])
    n = {"stent": int(stent.sum()), "medical": int((~stent).sum())}
    assert _metrics(at)["ESS, stent / medical"] == f"{_kish(w[stent]):.1f} / {_kish(w[~stent]):.1f}"
    assert _kish(w[stent]) < n["stent"] and _kish(w[~stent]) < n["medical"]
    (line,) = [c.value for c in at.caption if c.value.startswith("Registry patients of the cohort:")]
    within = f"; within the trial's inclusion criteria: {len(like):,}" if restricted else ""
    why = "no open ulcer at baseline" if timed else f"no Villalta total at baseline and month {query.get('visit', 6)}"
    assert line == (
        f"Registry patients of the cohort: {len(everyone):,}{within}; analysed: {n['stent'] + n['medical']:,} "
        f"(stent {n['stent']:,}, medical {n['medical']:,}). Not analysed: {len(like) - len(reg):,} with {why}. "
        "The score, the weights, the balance and the ESS below are those of the patients analysed."
    )


def _small_centres(analysed) -> list[str]:
    """Centres with fewer than 3 patients of either arm among `analysed`, counted here."""
    counts = (
        analysed.groupby(["center_id", "arm"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=["stent", "medical"], fill_value=0)
    )
    return sorted(counts.index[counts.min(axis=1) < 3])


def _independent_cox_hr(reg, stent, w) -> float:
    """The weighted Cox hazard ratio, stent vs medical, by lifelines directly (Efron ties)."""
    import pandas as pd
    from lifelines import CoxPHFitter

    frame = pd.DataFrame(
        {"t": reg.duration_days.to_numpy(float), "e": reg.observed.astype(bool).to_numpy(int), "s": stent * 1.0, "w": w}
    )
    fit = CoxPHFitter().fit(frame, "t", "e", weights_col="w", fit_options={"precision": 1e-12})
    return float(np.exp(fit.params_["s"]))


def test_ulcer_healing_within_the_trial_criteria_pools_small_centres_and_gives_the_estimate(app_on, demo_db):
    """Fitted among the ulcer patients the trial could have enrolled, a centre with one arm only (the
    demo has one) separated the score and the page showed no estimate. Centres with fewer than 3
    patients of an arm are now pooled into "(other centres)": the page says which, the protocol's
    assignment row too, and the hazard ratio is that of the pooled score, recomputed here."""
    at = _open(app_on, demo_db, {"ps_estimate": "ulcer_healing"})
    like = _like_the_trial(_rows(demo_db))
    ulcer = like[like.duration_days.notna()]
    assert ulcer.groupby("center_id").arm.nunique().min() == 1  # a one-arm centre: the score separated
    small = _small_centres(ulcer)
    assert small
    pooled = ulcer.assign(center_id=ulcer.center_id.where(~ulcer.center_id.isin(small), "(other centres)"))
    reg, stent, w = _independent_overlap(pooled)
    assert _metrics(at)["Adjusted estimate (ATO)"] == f"{_independent_cox_hr(reg, stent, w):.2f}"
    words = (
        f"Study centre: {len(small)} centres with fewer than 3 registry patients of an arm among those analysed "
        f"({', '.join(small)}) pooled into one level, (other centres), so that every level has both arms."
    )
    assert [c.value for c in at.caption if c.value.startswith("Study centre:")] == [words]
    protocol = _protocol(at)
    varying = sum(pooled[c].nunique() > 1 for c in P.DEFAULT_COVARIATES)  # 9: every one has an ulcer
    assert varying == 9
    assert protocol["Assignment"] == (
        f"Not randomized: a propensity score on {varying} covariates (the balance table). {words}"
    )
    assert not at.info


def test_a_centre_that_even_pooled_has_too_few_of_an_arm_is_left_out_of_the_score_and_said(app_on, demo_db):
    """In the IVC, every centre of the analysed registry patients has fewer than 3 patients of an arm:
    pooled, they are one level, which does not vary, so the centre leaves the score (the other
    covariates stay) and the page says so."""
    at = _open(app_on, demo_db, {"site": "ivc"})
    like = _like_the_trial(_rows(demo_db, cohort=CohortFilter(site=("ivc",))))
    analysed = like[like.change.notna()]
    small = _small_centres(analysed)
    assert small == sorted(set(analysed.center_id))
    others = tuple(c for c in P.DEFAULT_COVARIATES if c != "center_id")
    reg, stent, w = _independent_overlap(analysed, others)
    import statsmodels.api as sm

    fit = sm.WLS(reg.change.to_numpy(float), sm.add_constant(stent.astype(float)), weights=w).fit()
    assert _metrics(at)["Adjusted estimate (ATO)"] == _signed(fit.params[1], 2)
    assert [c.value for c in at.caption if c.value.startswith("Study centre")] == [
        f"Study centre left out of the score: {len(small)} centres with fewer than 3 registry patients of an arm "
        f"among those analysed ({', '.join(small)}), pooled, are every centre or still have fewer than 3 of an arm, "
        "so the centre does not enter the score; differences between centres are not adjusted for."
    ]


def test_the_reviewers_ulcer_healing_ess_from_the_whole_registry_score_is_not_what_the_page_shows(app_on, demo_db):
    """Her 153.6 / 105.4: weights of the whole-registry score on the 310 ulcer patients. The page now
    fits the score among those 310, so neither that nor the whole registry's 1146.0 / 858.0 is shown."""
    rows = _rows(demo_db)
    reg, stent, w = _independent_overlap(rows)
    ulcer = reg.duration_days.notna().to_numpy()
    old = f"{_kish(w[stent & ulcer]):.1f} / {_kish(w[~stent & ulcer]):.1f}"
    assert old == "153.6 / 105.4"
    at = _open(app_on, demo_db, {"ps_estimate": "ulcer_healing", "ps_trial_eligible": "False"})
    shown = _metrics(at)["ESS, stent / medical"]
    assert shown not in (old, f"{_kish(w[stent]):.1f} / {_kish(w[~stent]):.1f}")


def test_the_benchmark_compares_registry_patients_the_trial_could_have_enrolled(app_on, demo_db):
    """Review 31 finding 2: 850 of the 2,400 registry patients were outside the trial's eligibility."""
    rows = _rows(demo_db)
    registry, like = rows[rows.design == "observational"], _like_the_trial(rows)
    low_grade = int((~(registry.stenosis_pct >= 50)).sum())
    mild = int((~((registry.baseline_villalta >= 10) | (registry.baseline_ulcer == "yes"))).sum())
    assert len(registry) - len(like) == 850  # the reviewer's count, on the demo
    at = _open(app_on, demo_db)
    reg, stent, w = _independent_overlap(like[like.change.notna()])
    import statsmodels.api as sm

    fit = sm.WLS(reg.change.to_numpy(float), sm.add_constant(stent.astype(float)), weights=w).fit(cov_type="HC0")
    assert _metrics(at)["Adjusted estimate (ATO)"] == _signed(fit.params[1], 2)
    words = [c.value for c in at.caption if c.value.startswith("Like with like")]
    assert words == [
        "Like with like: the registry patients are those the trial could have enrolled (stenosis of at least 50% "
        "and a baseline Villalta of at least 10 or an open ulcer). Left out: "
        f"{len(registry) - len(like):,} of the cohort's {len(registry):,} registry patients ({low_grade:,} with a "
        f"stenosis below 50% or unknown, {mild:,} with a baseline Villalta below 10 and no ulcer; a patient may fail "
        "both). To analyse them all, switch off *Registry: the trial's inclusion criteria only* under *Score: "
        "covariates, trimming, caliper, threshold*."
    ]
    protocol = _protocol(at)
    assert protocol["Eligibility"] == (
        "The sidebar's cohort (All patients): registry patients of REGISTRY, restricted to the trial's inclusion "
        f"criteria (stenosis of at least 50% and a baseline Villalta of at least 10 or an open ulcer; "
        f"{len(registry) - len(like):,} left out)"
    )


def test_the_trial_criteria_can_be_turned_off_and_the_page_says_the_benchmark_is_not_like_with_like(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_trial_eligible": "False"})
    rows = _rows(demo_db)
    registry = rows[rows.design == "observational"]
    reg, stent, w = _independent_overlap(registry[registry.change.notna()])
    assert _metrics(at)["ESS, stent / medical"] == f"{_kish(w[stent]):.1f} / {_kish(w[~stent]):.1f}"
    (line,) = [c.value for c in at.caption if c.value.startswith("Not like with like")]
    low_grade = int((~(registry.stenosis_pct >= 50).fillna(False).astype(bool)).sum())
    mild = int(((registry.baseline_villalta < 10) & (registry.baseline_ulcer != "yes")).sum())
    outside = len(registry) - len(_like_the_trial(rows))
    assert line == (
        "Not like with like: the registry patients are not restricted to the trial's inclusion criteria (stenosis "
        f"of at least 50% and a baseline Villalta of at least 10 or an open ulcer); {outside:,} of the "
        f"{len(registry):,} "
        f"are outside them ({low_grade:,} with a stenosis below 50% or unknown, {mild:,} with a baseline Villalta "
        "below 10 and no ulcer; a patient may fail both), patients the trial's estimate does not describe."
    )


def test_the_trial_criteria_the_app_states_are_the_demo_generators():
    from pts_explorer.synthetic.params import SynthParams as Params

    assert (
        Params().trial_min_stenosis_pct,
        Params().trial_min_villalta,
    ) == (P.TRIAL_MIN_STENOSIS_PCT, P.TRIAL_MIN_VILLALTA)


def _robust_se(y, stent, w):
    """svyglm's SE of the arm coefficient: weighted least squares, sandwich (HC0) x n / (n - 1)."""
    import statsmodels.api as sm

    fit = sm.WLS(y, sm.add_constant(stent.astype(float)), weights=w).fit(cov_type="HC0")
    n = len(y)
    return float(fit.params[1]), float(np.sqrt(fit.cov_params()[1, 1] * n / (n - 1)))


def _num(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace("-", "−")


def test_the_benchmark_states_the_two_ses_it_combines_and_the_trials_is_the_charts(app_on, demo_db):
    """Review 31 finding 7: the trial's SE is one number (0.5143, svyglm) in the chart and the difference."""
    at = _open(app_on, demo_db)
    rows = _rows(demo_db)
    like = _like_the_trial(rows)
    reg, stent, w = _independent_overlap(like[like.change.notna()])
    est_r, se_r = _robust_se(reg.change.to_numpy(float), stent, w)
    trial = rows[(rows.design == "randomized") & rows.change.notna()]
    est_t, se_t = _robust_se(trial.change.to_numpy(float), (trial.arm == "stent").to_numpy(), np.ones(len(trial)))
    assert round(se_t, 4) == 0.5143
    se = np.hypot(se_r, se_t)
    (line,) = [c.value for c in at.caption if c.value.startswith("SE of the difference")]
    assert line == (
        f"SE of the difference: √({_num(se_r, 4)}² + {_num(se_t, 4)}²) = {_num(se, 4)}, from the robust SEs of the "
        "adjusted registry estimate and of the trial (the SEs of their CIs above, which are t-based on n − 2 df); "
        "the samples are independent: a normal 95% CI."
    )
    from scipy import stats

    z = stats.norm.ppf(0.975)
    diff = est_r - est_t
    key = _metrics(at)
    assert key["E-value (CI bound)"]  # drawn
    (words,) = [m.value for m in at.markdown if "Registry − trial:" in m.value]
    assert (
        f"(Registry − trial: {_signed(diff, 2)}, 95% CI {_signed(diff - z * se, 2)} to {_signed(diff + z * se, 2)})"
        in words
    )


def test_the_e_value_of_a_difference_states_the_sd_it_divides_by(app_on, demo_db):
    at = _open(app_on, demo_db)
    like = _like_the_trial(_rows(demo_db))
    part = like[like.change.notna()]
    sd = np.sqrt((part[part.arm == "stent"].change.var() + part[part.arm == "medical"].change.var()) / 2)
    (line,) = [c.value for c in at.caption if c.value.startswith("E-value of a difference in means")]
    assert line == (
        f"E-value of a difference in means: d = difference / SD with SD {sd:.2f}, the unweighted pooled SD of the "
        "change, √((SD²stent + SD²medical) / 2), among the registry patients analysed; RR = exp(0.91 d) "
        "(VanderWeele & Ding)."
    )
    est = float(_metrics(at)["Adjusted estimate (ATO)"])
    rr = np.exp(0.91 * abs(est) / sd)
    assert _metrics(at)["E-value (CI bound)"].split()[0] == f"{rr + np.sqrt(rr * (rr - 1)):.2f}"


@pytest.mark.parametrize("caliper", ["0.2", "0.5"])
def test_matching_says_how_many_stent_patients_had_no_match_and_whom_the_estimate_is_about(app_on, demo_db, caliper):
    """Review 31c finding 2: every unmatched stent patient was said to have no match within the caliper,
    though 1:1 matching without replacement can match at most one stent patient per medical patient."""
    at = _open(app_on, demo_db, {"ps_method": "matching", "ps_caliper": caliper})
    like = _like_the_trial(_rows(demo_db))
    n_stent = int(((like.arm == "stent") & like.change.notna()).sum())
    n_medical = int(((like.arm == "medical") & like.change.notna()).sum())
    table = next(d.value for d in at.dataframe if "n, stent" in d.value.columns).set_index("Estimate")
    (adjusted,) = [label for label in table.index if label.startswith("Registry, adjusted")]
    matched = int(table.loc[adjusted, "n, stent"].replace(",", ""))
    assert matched <= n_medical < n_stent
    never = n_stent - n_medical  # can never be matched, whatever the caliper
    lost = n_medical - matched  # the medical patients left unused: the matches the caliper cost
    assert lost > 0
    (line,) = [c.value for c in at.caption if c.value.startswith("Matching: ")]
    assert line == (
        f"Matching: {n_stent - matched:,} of the {n_stent:,} stent patients analysed have no match: {never:,} had no "
        f"medical patient left to match (1:1 without replacement: at most {n_medical:,} matches, one per medical "
        f"patient, whatever the caliper) and {lost:,} had no match within the caliper, counted in the matching order "
        f"(largest score first). The caliper is {caliper} SD of the score on the probability scale, MatchIt's "
        "default (Austin's 0.2 is for the logit of the score, a wider caliper where scores are near 0 or 1). The "
        f"estimate is the effect among the {matched:,} matched stent patients, not the ATT of all stented patients: "
        "with more stent than medical patients, 1:1 matching without replacement cannot estimate that, and whom it "
        "matches depends on the matching order. Its CI treats the matched patients as independent (no clustering "
        "on the pair)."
    )


def test_iptw_says_how_many_were_trimmed_and_that_the_ate_is_the_trimmed_populations(app_on, demo_db):
    at = _open(app_on, demo_db, {"ps_method": "iptw", "ps_trim": "0.1"})
    like = _like_the_trial(_rows(demo_db))
    reg, stent, w = _independent_overlap(like[like.change.notna()])
    ps = np.where(stent, 1 - w, w)
    trimmed = int(((ps < 0.1) | (ps > 0.9)).sum())
    assert trimmed > 0
    (line,) = [c.value for c in at.caption if c.value.startswith("Trimming: ")]
    assert line == (
        f"Trimming: {trimmed:,} of the {len(reg):,} registry patients analysed had a score outside 0.1 to 0.9 and "
        f"were left out: the ATE is that of the {len(reg) - trimmed:,} patients kept (the trimmed population), not "
        "of all."
    )


BANNER = (
    ":orange-badge[:material/visibility: Observational comparison, adjusted] Registry patients, whose treatment "
    "clinicians chose: the ATO from a propensity score on the covariates chosen; what was not measured is not "
    "adjusted for."
)


def test_a_visit_without_the_trial_does_not_say_the_trial_is_beside_it(app_on, demo_db):
    at = _open(app_on, demo_db, {"visit": "120"})
    (banner,) = [m.value for m in at.markdown if "Observational comparison, adjusted" in m.value]
    assert banner == f"{BANNER} No randomized benchmark here (below: why)."
    assert "beside it as a benchmark" not in _texts(at)
    at6 = _open(app_on, demo_db)
    (banner6,) = [m.value for m in at6.markdown if "Observational comparison, adjusted" in m.value]
    assert banner6 == f"{BANNER} The randomized trial is shown beside it as a benchmark."


def test_presenter_mode_keeps_the_benchmark_verdict_and_the_estimand_caveat(app_on, demo_db):
    at = _open(app_on, demo_db, {"present": "1"})
    (line,) = [m.value for m in at.markdown if "Registry − trial" in m.value and "95% CI" in m.value]
    assert line == (
        "Adjusted registry \\(ATO\\) **\\-3.68** · 95% CI **\\-4.14 to -3.22** · Trial **\\-4.21** · Registry − trial "
        "**\\+0.53** · 95% CI **\\-0.58 to +1.63** · Benchmark **no difference shown \\(not a reproduction\\); the "
        "estimands differ \\(ATO vs the trial's average effect\\)**"
    )


def test_the_overlap_chart_reads_positive_densities_on_the_medical_side(app_on, demo_db):
    """Review 31 finding 6: the mirrored axis read −1.0 below zero."""
    at = _open(app_on, demo_db)
    (chart,) = [c for c in at.get("plotly_chart") if "Propensity score by arm" in c.proto.spec]
    import json

    axis = json.loads(chart.proto.spec)["layout"]["yaxis"]
    assert min(axis["tickvals"]) < 0
    assert axis["ticktext"] == [f"{abs(v):.1f}" for v in axis["tickvals"]]


def test_a_categorys_smd_is_stated_and_is_at_least_its_largest_levels(app_on, demo_db):
    """Review 31 finding 6: her per-level IPTW |SMD| (0.022) against the page's 0.048: the page's is the
    multivariate SMD over the levels, which the page now states; it bounds every level's from above."""
    at = _open(app_on, demo_db, {"ps_method": "iptw", "ps_trial_eligible": "False"})
    rows = _rows(demo_db)
    registry = rows[rows.design == "observational"]
    reg, stent, w_overlap = _independent_overlap(registry[registry.change.notna()])
    ps = np.where(stent, 1 - w_overlap, w_overlap)
    keep = (ps >= 0.05) & (ps <= 0.95)
    share = stent[keep].mean()
    w = np.where(keep, np.where(stent, share / ps, (1 - share) / (1 - ps)), 0.0)
    worst_level = 0.0
    for cov in ("obstruction_site", "stenosis_grade", "sex", "center_id"):
        text = reg[cov].astype(str).to_numpy()
        for level in set(text):
            p = [np.average(text[arm & keep] == level, weights=w[arm & keep]) for arm in (stent, ~stent)]
            sd = np.sqrt((p[0] * (1 - p[0]) + p[1] * (1 - p[1])) / 2)
            if sd > 0:
                worst_level = max(worst_level, abs(p[0] - p[1]) / sd)
    shown = float(_metrics(at)["Max |SMD| after"].split()[0])
    table = next(d.value for d in at.dataframe if "Covariate" in d.value.columns).set_index("Covariate")
    centre = float(table.loc["Study centre"].iloc[2].split()[0])
    assert shown >= centre >= round(worst_level, 3) - 0.001
    (note,) = [c.value for c in at.caption if c.value.startswith("SMD (Yang & Dalton 2012)")]
    assert "for a category, one number over all its levels, the multivariate (Mahalanobis) distance" in note


def _values(y):
    """A trace's values as plotly writes them: a list, or typed binary ({"dtype", "bdata"})."""
    import base64

    if isinstance(y, dict):
        return np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])
    return np.asarray(y, float)


def _km_by_hand(duration, event, w):
    """Weighted product-limit: S(t) = prod over event times of (1 - weighted events / weighted at risk)."""
    s = 1.0
    for t in np.unique(duration[event == 1]):
        at_risk = w[duration >= t].sum()
        s *= 1 - w[(duration == t) & (event == 1)].sum() / at_risk
    return s


def test_weighted_kaplan_meier_curves_by_arm_for_recurrent_dvt(app_on, demo_db):
    """Review 31 finding 3: the weighted curves issue 31 promised; patency's absence said."""
    import json

    at = _open(app_on, demo_db, {"ps_estimate": "freedom_from_recurrent_dvt"})
    like = _like_the_trial(_rows(demo_db, endpoint="freedom_from_recurrent_dvt"))
    reg, stent, w = _independent_overlap(like[like.duration_days > 0])  # zero follow-up: not at risk
    (chart,) = [c for c in at.get("plotly_chart") if "Recurrent DVT by arm, registry weighted" in c.proto.spec]
    traces = [t for t in json.loads(chart.proto.spec)["data"] if t.get("mode") == "lines" and "name" in t]
    last = {t["name"]: _values(t["y"])[-1] for t in traces}
    duration, event = reg.duration_days.to_numpy(float), reg.observed.astype(bool).to_numpy(int)
    for arm, mask in (("Stent", stent), ("Medical", ~stent)):
        assert round(last[arm], 10) == round(_km_by_hand(duration[mask], event[mask], w[mask]), 10)
    (note,) = [c.value for c in at.caption if c.value.startswith("Weighted Kaplan-Meier")]
    assert note == (
        "Weighted Kaplan-Meier (lifelines, the weights above; death censors): the share free of a recurrent DVT, S(t). "
        "No confidence band is drawn: a weighted curve's band needs a robust variance this page does not compute. The "
        "numbers at risk are patients, unweighted. Patency is not offered here: it is a stent endpoint (from the "
        "procedure), which the medical arm does not have."
    )


def test_the_proportional_hazards_test_of_the_weighted_cox_is_rs_cox_zph(app_on, demo_db):
    """Ulcer healing, overlap weights, within the trial's criteria: the page's chi-square and p are R's
    cox.zph on the same weighted fit (tests/reference/propensity_sets_reference.csv)."""
    import pandas as pd

    from tests.unit.test_propensity_sets import REFERENCE

    r = pd.read_csv(REFERENCE / "propensity_sets_reference.csv")
    zph = r[(r.set == "ulcer_healing") & (r.method == "overlap") & (r.quantity == "cox_zph")].set_index("term").value
    at = _open(app_on, demo_db, {"ps_estimate": "ulcer_healing"})
    assert float(zph["p"]) >= 0.05
    assert [c.value for c in at.caption if c.value.startswith("Proportional hazards")] == [
        "Proportional hazards (Grambsch & Therneau score test on the weighted fit, as survival::cox.zph): chi-square "
        f"{float(zph['chisq']):.2f}, 1 df, p = {float(zph['p']):.3f}; no evidence that the hazard ratio changes over "
        "follow-up, which is not proof that it does not."
    ]
    assert not at.warning


def test_doubtful_proportional_hazards_are_said_in_a_warning(app_on, demo_db):
    """External iliac, recurrent DVT, every registry patient, IPTW: the test's p is below 0.05 (the score
    and weights recomputed here step by step; the test itself equals R's cox.zph in
    tests/unit/test_propensity_sets.py)."""
    query = {
        "site": "external_iliac",
        "ps_estimate": "freedom_from_recurrent_dvt",
        "ps_trial_eligible": "False",
        "ps_method": "iptw",
    }
    at = _open(app_on, demo_db, query)
    rows = _rows(demo_db, endpoint="freedom_from_recurrent_dvt", cohort=CohortFilter(site=("external_iliac",)))
    score = P.fit_score(P.analysed_rows(rows[rows.design == "observational"], True), P.DEFAULT_COVARIATES)
    w = P.weights(score, "iptw")
    hr, _ = P.weighted_cox(score.data, w)
    chisq, p = P.weighted_ph_test(score.data, w, hr)
    (warning,) = [x.value for x in at.warning if "Proportional hazards" in x.value]
    assert warning == (
        f"**Proportional hazards doubtful** (chi-square {chisq:.2f}, 1 df, p = {p:.3f}; Grambsch & Therneau score "
        "test on the weighted fit, as survival::cox.zph): the ratio of the arms' hazards changes over follow-up, so "
        "the hazard ratio is an average over this follow-up, not one ratio at every time. Read the weighted "
        "Kaplan-Meier curves below."
    )
    assert p < 0.05


def test_a_score_separated_by_too_many_covariates_says_so_and_names_no_pooled_centre(app_on, demo_db):
    """IVC ulcer patients within the trial's criteria: 19 patients, whose centres all have fewer than 3 of
    an arm (so the centre leaves the score), and the other covariates' terms still separate the arms. The
    page says how many terms for how many patients, and does not blame centres that are not in the score."""
    at = _open(app_on, demo_db, {"site": "ivc", "ps_estimate": "ulcer_healing"})
    like = _like_the_trial(_rows(demo_db, cohort=CohortFilter(site=("ivc",))))
    ulcer = like[like.duration_days.notna()]
    assert len(ulcer) == 19
    # the design's terms, counted from the data: a level after the first of a category, else one per number
    varying = [c for c in P.DEFAULT_COVARIATES if c != "center_id" and ulcer[c].nunique() > 1]
    terms = sum(ulcer[c].nunique() - 1 if c in P.CATEGORICAL else 1 for c in varying)
    (info,) = [i.value for i in at.info]
    assert info == (
        "**No adjusted estimate for this cohort.** The score separates the arms: the covariates predict the "
        "treatment exactly (a covariate level, such as a grade, with patients of one arm only, or too many covariates "
        f"for the patients: {terms} terms for 19 patients), so some patients have no comparable patient in the other "
        "arm. Leave that covariate out, choose fewer covariates or widen the cohort."
    )
