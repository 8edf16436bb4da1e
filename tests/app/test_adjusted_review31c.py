"""The third outside review of the Target trial page (issue 31, review 31c): each finding
read off the page whole and recomputed here independently of the propensity core."""

import html
import re

import numpy as np
import pandas as pd
import statsmodels.api as sm

from pts_explorer import exports, vocab
from pts_explorer.config import DUCKDB_CONFIG
from pts_explorer.filters import CohortFilter
from tests.app.test_adjusted_page import _like_the_trial, _metrics, _open, _rows

CATEGORICAL = ("obstruction_site", "stenosis_grade", "baseline_ulcer", "sex", "center_id")


def _pooled_centres(centre: pd.Series, stent: np.ndarray) -> pd.Series:
    """A centre with fewer than 3 patients of either arm joins "(other centres)"."""
    counts = pd.crosstab(centre.astype(str).to_numpy(), stent)
    small = [c for c in counts.index if min(counts.loc[c].get(True, 0), counts.loc[c].get(False, 0)) < 3]
    return centre.astype(str).where(~centre.astype(str).isin(small), "(other centres)")


def _smd(values: pd.Series, stent: np.ndarray, w: np.ndarray, categorical: bool) -> float:
    """Yang & Dalton's SMD under weights w, written out (weighted variance with survey's n / (n - 1))."""

    def var(x, wt):
        m = np.sum(wt * x) / np.sum(wt)
        return np.sum(wt * (x - m) ** 2) / np.sum(wt) * len(x) / (len(x) - 1)

    if categorical:
        text = values.astype(str).to_numpy()
        levels = sorted(set(text))
        p = [np.array([np.sum(w[a] * (text[a] == lv)) / np.sum(w[a]) for lv in levels])[1:] for a in (stent, ~stent)]
        s = (np.diag(p[0]) - np.outer(p[0], p[0]) + np.diag(p[1]) - np.outer(p[1], p[1])) / 2
        d = p[0] - p[1]
        return float(np.sqrt(d @ np.linalg.pinv(s) @ d))
    x = values.to_numpy(float)
    a, b = stent, ~stent
    mean = [np.sum(w[g] * x[g]) / np.sum(w[g]) for g in (a, b)]
    return float(abs(mean[0] - mean[1]) / np.sqrt((var(x[a], w[a]) + var(x[b], w[b])) / 2))


def _flagged(value: float) -> str:
    return f"{value:.3f}" + (" ▲" if value > 0.1 else "")


def test_balance_is_shown_and_judged_on_all_ten_covariates_when_the_score_uses_two(app_on, demo_db):
    """Finding 1 (serious): with a score on age and sex alone the page showed their two |SMD| of 0.000 and no
    warning, while stenosis grade, site, centre and baseline Villalta stayed imbalanced."""
    at = _open(app_on, demo_db, {"ps_covariates": ["age_years", "sex"]})
    like = _like_the_trial(_rows(demo_db))
    data = like[like.change.notna()].dropna(subset=["age_years", "sex"])
    stent = (data.arm == "stent").to_numpy()
    x = sm.add_constant(pd.DataFrame({"age": data.age_years.astype(float), "male": (data.sex == "male") * 1.0}))
    ps = sm.GLM(stent.astype(float), x, family=sm.families.Binomial()).fit().fittedvalues.to_numpy()
    w = np.where(stent, 1 - ps, ps)
    expected_rows, after = [], {}
    for cov, label in vocab.PS_COVARIATES.items():
        known = data[cov].notna().to_numpy()
        values = data[cov][known]
        if cov == "center_id":
            values = _pooled_centres(values, stent[known])
        before_v = _smd(values, stent[known], np.ones(known.sum()), cov in CATEGORICAL)
        after_v = _smd(values, stent[known], w[known], cov in CATEGORICAL)
        used = cov in ("age_years", "sex")
        name = label if used else f"{label} (not in the score)"
        after[name] = after_v
        expected_rows.append([label, "yes" if used else "no", _flagged(before_v), _flagged(after_v)])
    table = next(d.value for d in at.dataframe if "Covariate" in d.value.columns and "In the score" in d.value.columns)
    assert table.values.tolist() == expected_rows
    worst = max(after.values())
    assert worst > 0.1  # stenosis grade stays imbalanced: the score does not act on it
    assert _metrics(at)["Max |SMD| after"] == _flagged(worst)
    off = ", ".join(f"{name} {v:.3f}" for name, v in after.items() if v > 0.1)
    (warning,) = [w.value for w in at.warning if w.value.startswith("**Balance not reached**")]
    assert warning == (
        f"**Balance not reached**: after adjustment |SMD| is above 0.1 for {off}. The adjusted estimate still "
        "carries that imbalance. A covariate left out of the score is not adjusted for: the weights balance it only "
        "as far as it goes with the covariates in the score. To reduce it: add the covariates left out to the "
        "score or narrow the cohort."
    )
    # The HTML report says the same: the warning and every row of the balance table.
    at.button(key="export_prepare").click().run()
    report = exports.report_html(at.session_state["_export_page"])
    notes = [html.unescape(p) for p in re.findall(r"<p[^>]*>(Balance not reached.*?)</p>", report)]
    assert notes == [warning.replace("**", "")]
    section = report[report.index("Covariate balance before and after adjustment (|SMD|)") :]
    for row in expected_rows:
        assert re.search("".join(rf"<td>{re.escape(html.escape(cell))}</td>" for cell in row), section), row


def _benchmark_info(at) -> str:
    (info,) = [i.value for i in at.info if i.value.startswith("No randomized benchmark")]
    return info


def test_no_benchmark_for_a_cohort_without_the_trial_says_the_study_filter_leaves_it_out(app_on, demo_db):
    """Finding 3: "too few for an estimate (3 per arm)" was said where the cohort has no trial patient."""
    at = _open(app_on, demo_db, {"study": "REGISTRY"})
    assert _benchmark_info(at) == (
        "No randomized benchmark: this cohort has no trial (randomized) patients: the sidebar's *Study* filter "
        "leaves the trial out (its study: TRIAL)."
    )


def test_no_benchmark_for_a_small_trial_cohort_says_its_counts_per_arm_and_the_minimum(app_on, demo_db):
    at = _open(app_on, demo_db, {"site": "ivc", "grade": "occlusion"})
    rows = _rows(demo_db, cohort=CohortFilter(site=("ivc",), grade=("occlusion",)))
    trial = rows[(rows.design == "randomized") & rows.change.notna()]
    n = {arm: int((trial.arm == arm).sum()) for arm in ("stent", "medical")}
    assert min(n.values()) < 3
    assert _benchmark_info(at) == (
        "No randomized benchmark: the trial's patients in this cohort are too few for an estimate: it needs at "
        f"least 3 trial patients per arm seen at baseline and month 6; this cohort has stent {n['stent']}, medical "
        f"{n['medical']}."
    )


def _no_estimate(at) -> str:
    (info,) = [i.value for i in at.info if i.value.startswith("**No adjusted estimate")]
    return info


def test_a_visit_the_registry_does_not_have_is_named_as_the_cause(app_on, demo_db):
    """Finding 7: month 1 said "choose fewer covariates", though the registry has no month-1 visit."""
    import duckdb

    at = _open(app_on, demo_db, {"visit": "1"})
    with duckdb.connect(str(demo_db), read_only=True, config=DUCKDB_CONFIG) as con:
        months = con.execute("SELECT visit_months FROM studies WHERE design = 'observational'").fetchall()
    visits = sorted({int(m) for (ms,) in months for m in ms if m})
    assert 1 not in visits
    assert _no_estimate(at) == (
        f"**No adjusted estimate for this cohort**: the registry has no month-1 visit (its visits: months "
        f"{', '.join(map(str, visits))}): choose one of those visits."
    )


def test_an_arm_filter_is_named_as_the_cause(app_on, demo_db):
    at = _open(app_on, demo_db, {"arm": "stent"})
    assert _no_estimate(at) == (
        "**No adjusted estimate for this cohort**: the sidebar's *Arm* filter keeps stent patients only, and the "
        "comparison needs both arms: clear the Arm filter."
    )


def test_the_cis_are_said_to_treat_the_score_as_known(app_on, demo_db):
    at = _open(app_on, demo_db)
    notes = [c.value for c in at.caption if c.value.startswith("The robust CIs treat the propensity score")]
    assert notes == [
        "The robust CIs treat the propensity score as known: they leave out the uncertainty of its estimation. For "
        "inverse probability weights (ATE) that makes them conservative in large samples (Lunceford & Davidian "
        "2004; Austin 2016); for overlap weights and matching it is not guaranteed either way."
    ]


def test_no_narrower_caliper_is_advised_at_the_narrowest(app_on, demo_db):
    narrowest = min(vocab.PS_CALIPERS, key=float)
    remedies = {}
    for caliper in (narrowest, "0.5"):
        at = _open(app_on, demo_db, {"ps_method": "matching", "ps_caliper": caliper})
        (warning,) = [w.value for w in at.warning if w.value.startswith("**Balance not reached**")]
        remedies[caliper] = warning.split("To reduce it: ")[1]
    assert remedies == {
        narrowest: "choose overlap weights or narrow the cohort.",
        "0.5": "choose overlap weights, a narrower caliper or narrow the cohort.",
    }


def test_the_python_snippets_heading_says_it_calls_the_apps_package(app_on, demo_db):
    """Finding 5: headed "pandas + statsmodels", the snippet imports pts_explorer (ModuleNotFoundError outside
    the app or its Reproduce bundle)."""
    at = _open(app_on, demo_db)
    (code,) = [c.value for c in at.code if c.language == "python"]
    assert "from pts_explorer.analytics import propensity as P" in code.splitlines()
    headings = [m.value for m in at.markdown if m.value.startswith("**Reproduce in Python**")]
    assert headings == [
        "**Reproduce in Python** (pandas, statsmodels and the app's own `pts_explorer` package, straight from the "
        "DuckDB file; it runs where the app is installed or in the Export menu's *Reproduce (zip)*, which bundles "
        "the modules it needs):"
    ]
