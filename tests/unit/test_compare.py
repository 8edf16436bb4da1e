"""The Compare page's numbers (analytics.compare.compare_cohorts, which the page shows) equal an
independent recomputation from the file's rows with pandas, numpy, scipy and statsmodels: sizes
and overlap, means and CIs per visit, SMDs, the Welch difference in mean change, responder rates
and Kaplan-Meier primary patency at 1 and 5 years."""

import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from pts_explorer import db, sql, vocab
from pts_explorer.analytics import compare, survival
from pts_explorer.filters import CohortFilter
from tests.unit.test_trajectory_recompute import _pandas_cohort

THRESHOLD = 4.0
PAIRS = {
    # disjoint: the seed's question, high-grade common iliac / common femoral against the femoral vein
    "disjoint": (
        CohortFilter(site=("common_iliac", "common_femoral"), grade=("70-99%", "occlusion")),
        CohortFilter(site=("femoral",)),
        ["stent", "medical"],
    ),
    # overlapping: under 60 against an ulcer at baseline (patients in both count in both)
    "overlapping": (CohortFilter(age=(18, 59)), CohortFilter(ulcer="yes"), ["stent", "medical"]),
    # nested, within the stent arm: everyone against women with severe PTS
    "nested_stent": (CohortFilter(), CohortFilter(sex=("female",), band=("severe",)), ["stent"]),
    # overlapping within the medical arm: moderate or severe PTS against age 50 and over
    "overlapping_medical": (
        CohortFilter(band=("moderate", "severe")),
        CohortFilter(age=(50, 90)),
        ["medical"],
    ),
}


@pytest.fixture(scope="module")
def raw(demo_con):
    patients = demo_con.execute("SELECT * FROM patients").df()
    visits = demo_con.execute("SELECT * FROM visits").df()
    base = visits[visits.visit_month == 0].set_index("patient_id")
    patients["baseline_band"] = patients.patient_id.map(base.pts_band)
    patients["baseline_ulcer"] = patients.patient_id.map(base.ulcer_present).fillna(False).astype(bool)
    tables = {name: demo_con.execute(f"SELECT * FROM {name}").df() for name in ("procedures", "events", "studies")}
    return patients, visits, tables


@pytest.fixture(scope="module", params=sorted(PAIRS))
def case(request, demo_con, raw):
    a, b, arms = PAIRS[request.param]
    shown = compare.compare_cohorts(
        lambda name, params: db.run_query(demo_con, name, params), a, b, arms, "villalta_total", THRESHOLD
    )
    patients = raw[0][raw[0].arm.isin(arms)]
    return shown, _pandas_cohort(patients, a), _pandas_cohort(patients, b), arms, raw


def test_sizes_and_overlap(case):
    shown, a, b, arms, _ = case
    sizes = shown.sizes.set_index("arm")
    for arm in arms:
        ids_a, ids_b = set(a[a.arm == arm].patient_id), set(b[b.arm == arm].patient_id)
        assert sizes.loc[arm, "in_a"] == len(ids_a)
        assert sizes.loc[arm, "in_b"] == len(ids_b)
        assert sizes.loc[arm, "in_both"] == len(ids_a & ids_b)
    assert len(a) >= 30 and len(b) >= 30  # real cohorts, so the comparisons below mean something


def test_the_overlapping_pairs_do_overlap(demo_con):
    for name in ("overlapping", "overlapping_medical", "nested_stent"):
        a, b, arms = PAIRS[name]
        shown = compare.compare_cohorts(
            lambda n, p: db.run_query(demo_con, n, p), a, b, arms, "villalta_total", THRESHOLD
        )
        assert shown.sizes.in_both.sum() > 0, name
    a, b, arms = PAIRS["disjoint"]
    shown = compare.compare_cohorts(lambda n, p: db.run_query(demo_con, n, p), a, b, arms, "villalta_total", THRESHOLD)
    assert shown.sizes.in_both.sum() == 0


def _visits(raw, cohort: pd.DataFrame) -> pd.DataFrame:
    v = raw[1].merge(cohort[["patient_id", "arm"]], on="patient_id")
    v["value"] = v.villalta_total.astype(float)
    v["change"] = v.value - v.patient_id.map(v[v.visit_month == 0].set_index("patient_id").value)
    return v


def test_means_and_t_intervals_per_visit(case):
    shown, a, b, _, raw = case
    table = shown.trajectories.set_index(["cohort", "arm", "visit_month"])
    checked = 0
    for name, cohort in (("A", a), ("B", b)):
        for (arm, month), group in _visits(raw, cohort).dropna(subset=["value"]).groupby(["arm", "visit_month"]):
            x = group.value.to_numpy()
            row = table.loc[(name, arm, month)]
            assert row.n == len(x)
            assert row["mean"] == pytest.approx(x.mean(), abs=1e-9)
            if len(x) > 1:
                low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
                assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-9)
            checked += 1
    assert checked >= 10
    assert len(table) == checked  # nothing shown that the rows do not have


def test_difference_in_mean_change_is_welch(case):
    shown, a, b, _, raw = case
    va, vb = _visits(raw, a), _visits(raw, b)
    change = shown.change.set_index(["arm", "visit_month"])
    assert not change.empty
    for (arm, month), row in change.iterrows():
        x = va[(va.arm == arm) & (va.visit_month == month)].change.dropna().to_numpy()
        y = vb[(vb.arm == arm) & (vb.visit_month == month)].change.dropna().to_numpy()
        assert (row.n_a, row.n_b) == (len(x), len(y))
        assert row["diff"] == pytest.approx(x.mean() - y.mean(), abs=1e-9)
        if min(len(x), len(y)) < 2:
            continue
        means = CompareMeans(DescrStatsW(x), DescrStatsW(y))
        assert (row.ci_low, row.ci_high) == pytest.approx(means.tconfint_diff(usevar="unequal"), abs=1e-9)
        assert row.p_value == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue, rel=1e-6, abs=1e-12)


def _smd_continuous(x: np.ndarray, y: np.ndarray) -> float:
    return (x.mean() - y.mean()) / np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)


def _smd_categorical(x: pd.Series, y: pd.Series, levels: list[str]) -> float:
    """Yang & Dalton's multi-level SMD, written out from the paper's formula."""
    p = np.array([(x == lvl).mean() for lvl in levels])[1:]
    q = np.array([(y == lvl).mean() for lvl in levels])[1:]
    s = (np.diag(p) - np.outer(p, p) + np.diag(q) - np.outer(q, q)) / 2
    d = p - q
    return float(np.sqrt(d @ np.linalg.pinv(s) @ d)) if d.any() else 0.0


def test_baseline_smds_between_the_cohorts(case):
    shown, a, b, _, raw = case
    base = raw[1][raw[1].visit_month == 0].set_index("patient_id")
    table = shown.table_one
    header = table[table.level.isna()].set_index("variable")

    def column(cohort: pd.DataFrame, variable: str) -> pd.Series:
        if variable in cohort.columns:
            return cohort[variable]
        return cohort.patient_id.map(base[variable])

    for variable in ("age_years", "bmi", "stenosis_pct", "villalta_total", "veines_qol"):
        x, y = column(a, variable).dropna().astype(float), column(b, variable).dropna().astype(float)
        row = header.loc[variable]
        assert (row.mean_a, row.sd_a) == pytest.approx((x.mean(), x.std()), abs=1e-9)
        assert (row.mean_b, row.sd_b) == pytest.approx((y.mean(), y.std()), abs=1e-9)
        assert row.smd == pytest.approx(_smd_continuous(x.to_numpy(), y.to_numpy()), abs=1e-9)
    for variable, column_name, levels in (
        ("sex", "sex", list(vocab.SEXES)),
        ("obstruction_site", "obstruction_site", list(vocab.SITES)),
        ("stenosis_grade", "stenosis_grade", list(vocab.GRADES)),
    ):
        present = [lvl for lvl in levels if lvl in set(a[column_name]) | set(b[column_name])]
        expected = _smd_categorical(a[column_name], b[column_name], present)
        assert header.loc[variable, "smd"] == pytest.approx(expected, abs=1e-9), variable
        rows = table[(table.variable == variable) & table.level.notna()].set_index("level")
        for level in present:
            assert rows.loc[level, "n_a"] == (a[column_name] == level).sum()
            assert rows.loc[level, "share_b"] == pytest.approx((b[column_name] == level).mean(), abs=1e-12)


def _due(raw, cohort: pd.DataFrame, month: int) -> pd.DataFrame:
    """Patients with a baseline Villalta whose study schedules `month` and who were enrolled long
    enough before the study's data cut-off to reach it."""
    patients, visits, tables = raw
    studies = tables["studies"].set_index("study_id")
    enrolled = pd.to_datetime(patients.enrolled_on)
    cut_off = (enrolled + pd.to_timedelta(patients.last_contact_day, unit="D")).groupby(patients.study_id).max()
    c = cohort.copy()
    c["enrolled"] = pd.to_datetime(c.enrolled_on)
    scheduled = c.study_id.map(lambda s: month in list(studies.loc[s, "visit_months"]))
    reached = c.enrolled + pd.Timedelta(days=round(month * vocab.DAYS_PER_MONTH)) <= c.study_id.map(cut_off)
    with_baseline = c.patient_id.isin(visits[(visits.visit_month == 0) & visits.villalta_total.notna()].patient_id)
    return c[scheduled & reached & with_baseline]


def test_responder_rates_with_wilson_intervals(case):
    shown, a, b, arms, raw = case
    visits = raw[1]
    rates = shown.responders.set_index(["cohort", "arm", "visit_month"])
    for name, cohort in (("A", a), ("B", b)):
        for month in (6, 12):
            due = _due(raw, cohort, month)
            at = visits[visits.visit_month == month].set_index("patient_id").villalta_total
            base = visits[visits.visit_month == 0].set_index("patient_id").villalta_total
            for arm in arms:
                d = due[due.arm == arm].patient_id
                improved = int(((d.map(base) - d.map(at)) >= THRESHOLD).sum())
                row = rates.loc[(name, arm, month)]
                assert (row.n, row.responders) == (len(d), improved), (name, arm, month)
                low, high = proportion_confint(improved, len(d), method="wilson")
                assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-12)


def _primary_patency(raw, cohort: pd.DataFrame) -> pd.DataFrame:
    """Stented patients with a technically successful procedure: days from the procedure to the
    first thrombosis, restenosis or reintervention, censored at death or last contact."""
    _, _, tables = raw
    proc = tables["procedures"]
    stented = cohort[cohort.arm == "stent"].merge(proc[proc.technical_success], on="patient_id")
    events = tables["events"]
    loss = events[events.event_type.isin(["stent_thrombosis", "restenosis", "reintervention"])]
    loss_day = stented.patient_id.map(loss.groupby("patient_id").event_day.min())
    death_day = stented.patient_id.map(events[events.event_type == "death"].groupby("patient_id").event_day.min())
    last = stented.last_contact_day
    observed = (loss_day <= last) & (death_day.isna() | (loss_day <= death_day))
    end = pd.concat([loss_day.fillna(last), death_day.fillna(last), last], axis=1).min(axis=1)
    return pd.DataFrame({"days": (end - stented.procedure_day).clip(lower=0), "observed": observed})


def _product_limit(days: np.ndarray, observed: np.ndarray, t: float) -> tuple[float, float, float]:
    """Kaplan-Meier at t with the log-log (exponential Greenwood) 95% CI, written out."""
    s, greenwood = 1.0, 0.0
    for time in np.unique(days[observed & (days <= t)]):
        at_risk = (days >= time).sum()
        d = (observed & (days == time)).sum()
        s *= 1 - d / at_risk
        greenwood += d / (at_risk * (at_risk - d))
    if s in (0.0, 1.0):
        return s, np.nan, np.nan
    z = stats.norm.ppf(0.975)
    se = np.sqrt(greenwood) / abs(np.log(s))
    return s, s ** np.exp(z * se), s ** np.exp(-z * se)


def test_kaplan_meier_patency_at_one_and_five_years(case):
    shown, a, b, arms, raw = case
    if "stent" not in arms:
        assert shown.patency.empty  # patency concerns the stent arm only
        return
    fits = survival.fit_km(shown.patency)
    marks = survival.landmarks(fits, shown.patency, years=(1, 5)).set_index(["group", "years"])
    for name, cohort in (("A", a), ("B", b)):
        rows = _primary_patency(raw, cohort)
        assert shown.patency[shown.patency.group_value == name].n.sum() == len(rows)
        for years in (1, 5):
            t = years * vocab.DAYS_PER_YEAR
            estimate, low, high = _product_limit(rows.days.to_numpy(), rows.observed.to_numpy(), t)
            row = marks.loc[(name, years)]
            assert row.at_risk == (rows.days >= t).sum()
            assert row.estimate == pytest.approx(estimate, abs=1e-9)
            assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-6)


# ----------------------------------------------------------------------------------------------
# Patients in both cohorts (issue 22, item 6a): the comparison without them, and what they do.
# ----------------------------------------------------------------------------------------------

EVERYONE, HIGH_GRADE_ILIOFEMORAL = (
    CohortFilter(),
    CohortFilter(site=("common_iliac", "common_femoral"), grade=("70-99%", "occlusion")),
)


def _run(demo_con, a, b, arms, apart):
    return compare.compare_cohorts(
        lambda n, p: db.run_query(demo_con, n, p, True), a, b, arms, "villalta_total", THRESHOLD, apart=apart
    )


def _change_at(raw, cohort: pd.DataFrame, arm: str, month: int) -> pd.Series:
    v = _visits(raw, cohort)
    return v[(v.arm == arm) & (v.visit_month == month)].set_index("patient_id").change.dropna()


def test_the_relation_of_two_cohorts_is_read_from_their_patients(demo_con):
    expected = {"disjoint": compare.DISJOINT, "overlapping": compare.OVERLAP, "nested_stent": compare.B_IN_A}
    for name, relation in expected.items():
        a, b, arms = PAIRS[name]
        assert _run(demo_con, a, b, arms, True).relation == relation, name
    a, b, arms = PAIRS["nested_stent"]
    assert _run(demo_con, b, a, arms, True).relation == compare.A_IN_B
    assert _run(demo_con, a, a.intersect(CohortFilter(arm=("stent",))), arms, True).relation == compare.SAME


def test_nested_cohorts_compare_b_with_the_rest_of_a(demo_con, raw):
    """Everyone against the high-grade iliofemoral subgroup, stent arm: by default B is set against
    the patients of A who are not in B, recomputed here from the patients' rows."""
    patients = raw[0][raw[0].arm == "stent"]
    a, b = _pandas_cohort(patients, EVERYONE), _pandas_cohort(patients, HIGH_GRADE_ILIOFEMORAL)
    rest = a[~a.patient_id.isin(b.patient_id)]
    assert len(rest) == len(a) - len(b) > 0 and b.patient_id.isin(a.patient_id).all()
    shown = _run(demo_con, EVERYONE, HIGH_GRADE_ILIOFEMORAL, ["stent"], apart=True)
    assert shown.labels == {"A": "A without B", "B": "B"}
    assert shown.compared == {"A": len(rest), "B": len(b)}  # every patient has a baseline Villalta
    change = shown.change.set_index(["arm", "visit_month"])
    assert len(change) == 9
    for (arm, month), row in change.iterrows():
        x, y = _change_at(raw, rest, arm, month).to_numpy(), _change_at(raw, b, arm, month).to_numpy()
        assert (row.n_a, row.n_b) == (len(x), len(y))
        means = CompareMeans(DescrStatsW(x), DescrStatsW(y))
        assert row["diff"] == pytest.approx(x.mean() - y.mean(), abs=1e-9)
        assert (row.ci_low, row.ci_high) == pytest.approx(means.tconfint_diff(usevar="unequal"), abs=1e-9)
    rates = shown.responders.set_index(["cohort", "arm", "visit_month"])
    for name, cohort in (("A", rest), ("B", b)):
        due = _due(raw, cohort, 6)
        seen = due.patient_id.isin(raw[1][(raw[1].visit_month == 6) & raw[1].villalta_total.notna()].patient_id)
        row = rates.loc[(name, "stent", 6)]
        assert (row.due, row.seen, row.n) == (len(due), int(seen.sum()), len(due))
    for name, cohort in (("A", rest), ("B", b)):
        assert shown.patency[shown.patency.group_value == name].n.sum() == len(_primary_patency(raw, cohort))


def test_counted_in_both_the_difference_is_diluted_and_welch_too_wide(demo_con, raw):
    """Counted in each cohort, B's patients dilute A - B by exactly (1 - nB/nA) and make the two
    means positively correlated: Welch's standard error (which assumes independent samples) is
    larger than the one that allows for the shared patients, computed here from the patients'
    changes (each disjoint group's variance, weighted by its patients' coefficients in A - B)."""
    patients = raw[0][raw[0].arm == "stent"]
    a, b = _pandas_cohort(patients, EVERYONE), _pandas_cohort(patients, HIGH_GRADE_ILIOFEMORAL)
    counted = _run(demo_con, EVERYONE, HIGH_GRADE_ILIOFEMORAL, ["stent"], apart=False)
    apart = _run(demo_con, EVERYONE, HIGH_GRADE_ILIOFEMORAL, ["stent"], apart=True)
    assert not apart.shared_in_results and counted.shared_in_results
    both = counted.change.set_index("visit_month")
    without = apart.change.set_index("visit_month")
    for month, row in both.iterrows():
        x = _change_at(raw, a, "stent", month)
        y = _change_at(raw, b, "stent", month)
        rest = x[~x.index.isin(y.index)]
        assert y.index.isin(x.index).all()
        assert row["diff"] == pytest.approx((1 - len(y) / len(x)) * without.loc[month, "diff"], abs=1e-9)
        welch_se = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        shown_se = (row.ci_high - row.ci_low) / 2 / stats.t.ppf(0.975, row.df)
        assert shown_se == pytest.approx(welch_se, rel=1e-9)
        coef_rest, coef_b = 1 / len(x), 1 / len(x) - 1 / len(y)
        overlap_se = np.sqrt(len(rest) * coef_rest**2 * rest.var(ddof=1) + len(y) * coef_b**2 * y.var(ddof=1))
        assert overlap_se < shown_se, month
        if month == 6:  # the figures of the issue
            assert (round(shown_se, 3), round(overlap_se, 3)) == (0.195, 0.110)


def test_partly_overlapping_cohorts_compare_a_only_with_b_only(demo_con, raw):
    a_filter, b_filter, arms = PAIRS["overlapping"]
    patients = raw[0]
    a, b = _pandas_cohort(patients, a_filter), _pandas_cohort(patients, b_filter)
    a_only, b_only = a[~a.patient_id.isin(b.patient_id)], b[~b.patient_id.isin(a.patient_id)]
    shown = _run(demo_con, a_filter, b_filter, arms, apart=True)
    assert shown.relation == compare.OVERLAP and shown.labels == {"A": "A only", "B": "B only"}
    table = shown.trajectories.set_index(["cohort", "arm", "visit_month"])
    for name, cohort in (("A", a_only), ("B", b_only)):
        v = _visits(raw, cohort).dropna(subset=["value"])
        for (arm, month), group in v.groupby(["arm", "visit_month"]):
            row = table.loc[(name, arm, month)]
            assert (row.n, row["mean"]) == (len(group), pytest.approx(group.value.mean(), abs=1e-9))
        assert shown.patency[shown.patency.group_value == name].n.sum() == len(_primary_patency(raw, cohort))
        header = shown.table_one[shown.table_one.level.isna()].set_index("variable")
        assert header.loc["age_years", f"mean_{name.lower()}"] == pytest.approx(cohort.age_years.mean(), abs=1e-9)
    change = shown.change.set_index(["arm", "visit_month"])
    for (arm, month), row in change.iterrows():
        x, y = _change_at(raw, a_only, arm, month), _change_at(raw, b_only, arm, month)
        assert (row.n_a, row.n_b) == (len(x), len(y))
        assert row.p_value == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue, rel=1e-6, abs=1e-12)


def test_each_result_names_the_studies_its_patients_come_from(demo_con, raw):
    """Comparison.designs: per side and result, the studies (and their design) that result counts
    patients from, recomputed from the rows: trial-only visits, pooled ones, registry-only ones."""
    patients, _, tables = raw
    design = tables["studies"].set_index("study_id").design
    shown = _run(demo_con, EVERYONE, HIGH_GRADE_ILIOFEMORAL, ["stent"], apart=True)
    stent = patients[patients.arm == "stent"]
    a, b = _pandas_cohort(stent, EVERYONE), _pandas_cohort(stent, HIGH_GRADE_ILIOFEMORAL)
    sides = {"A": a[~a.patient_id.isin(b.patient_id)], "B": b}
    kinds = set()
    for month in sorted(shown.change.visit_month):
        found = shown.designs("change", ["stent"], month)
        for name, cohort in sides.items():
            changed = _change_at(raw, cohort, "stent", month).index
            studies = set(cohort[cohort.patient_id.isin(changed)].study_id)
            assert found[name] == {s: design[s] for s in studies}, (name, month)
            kinds.add(frozenset(found[name].values()))
        due = {name: set(_due(raw, cohort, month).study_id) for name, cohort in sides.items()}
        assert {n: set(d) for n, d in shown.designs("responders", visit=month).items()} == due
    assert kinds == {frozenset({"randomized"}), frozenset({"observational"}), frozenset(design.unique())}
    for name, cohort in sides.items():
        rows = _primary_patency(raw, cohort)
        assert rows.days.notna().all()
        assert set(shown.designs("patency")[name]) == set(
            cohort.merge(tables["procedures"], on="patient_id").pipe(lambda c: c[c.technical_success]).study_id
        )


def test_cohort_without_b_is_the_cohort_text_less_cohort_b():
    """The population of the rest of A selects exactly as cohort.sql does, then drops cohort B."""
    for fast in (False, True):
        text = sql.load_sql("cohort_without_b", fast)
        cohort = sql.load_sql("cohort", fast)
        body = re.sub(r"\s+", " ", text[text.index("SELECT") :]).strip()
        expected = re.sub(r"\s+", " ", cohort[cohort.index("SELECT") :]).strip()
        assert body == expected + " AND patient_id NOT IN (SELECT patient_id FROM cohort_b)"


def test_six_patients_worked_out_on_paper(tmp_path):
    """Six stented patients written by hand, Villalta 12 at baseline. B (common femoral): month 6 at
    6, 7, 8 (changes -6, -5, -4: mean -5, SD 1). The rest of A (common iliac): 10, 11, 12 (changes
    -2, -1, 0: mean -1, SD 1). Apart: -1 - (-5) = +4, Welch SE sqrt(1/3 + 1/3) = 0.8165 on 4 df.
    Counted in each: A's mean -3, so A - B = +2 = (1 - 3/6) x 4; Welch's SE sqrt(5.6/6 + 1/3) =
    1.1255, while allowing for the three shared patients (coefficients 1/6 and 1/6 - 1/3) it is
    sqrt(3/36 + 3/36) = 0.4082. One rest patient is a registry patient: the rest of A is pooled."""
    from tests import handmade

    patients = {}
    for i, (site, month6) in enumerate(
        [("common_femoral", v) for v in (6, 7, 8)] + [("common_iliac", v) for v in (10, 11, 12)]
    ):
        patients[f"P{i}"] = {
            "obstruction_site": site,
            "visits": {0: 12, 6: month6},
            "study_id": "REGISTRY" if i == 5 else "TRIAL",
        }
    con = duckdb.connect(str(handmade.build(tmp_path / "six.duckdb", patients)), read_only=True)
    query = lambda n, p: db.run_query(con, n, p)  # noqa: E731
    a, b = CohortFilter(), CohortFilter(site=("common_femoral",))
    apart = compare.compare_cohorts(query, a, b, ["stent"], "villalta_total", THRESHOLD, apart=True)
    counted = compare.compare_cohorts(query, a, b, ["stent"], "villalta_total", THRESHOLD, apart=False)
    con.close()
    assert apart.relation == compare.B_IN_A and apart.compared == {"A": 3, "B": 3}
    row = apart.change.iloc[0]
    half = stats.t.ppf(0.975, 4) * np.sqrt(2 / 3)
    assert (row.visit_month, row.n_a, row.n_b, row["diff"], row.df) == (6, 3, 3, pytest.approx(4.0), pytest.approx(4.0))
    assert (row.ci_low, row.ci_high) == pytest.approx((4 - half, 4 + half))
    row = counted.change.iloc[0]
    assert (row.n_a, row.n_b, row["diff"]) == (6, 3, pytest.approx(2.0))
    shown_se = (row.ci_high - row.ci_low) / 2 / stats.t.ppf(0.975, row.df)
    assert shown_se == pytest.approx(np.sqrt(5.6 / 6 + 1 / 3))
    assert shown_se > np.sqrt(3 / 36 + 3 / 36)  # Welch too wide: the shared patients' SE is 0.408
    assert apart.designs("change", ["stent"], 6) == {
        "A": {"TRIAL": "randomized", "REGISTRY": "observational"},
        "B": {"TRIAL": "randomized"},
    }
