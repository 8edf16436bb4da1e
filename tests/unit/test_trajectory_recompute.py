"""The trajectory numbers shown equal an independent pandas/scipy recomputation from the file."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pts_explorer import db, vocab
from pts_explorer.analytics import trajectories
from pts_explorer.filters import VOCABULARIES, CohortFilter


def _random_filters(seed: int, n: int) -> list[CohortFilter]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        fields = {}
        for field, allowed in {**VOCABULARIES, "study": {"TRIAL": 1, "REGISTRY": 1}}.items():
            if rng.random() < 0.4:
                fields[field] = tuple(v for v in allowed if rng.random() < 0.5)
        low = int(rng.integers(18, 60))
        fields["age"] = (low, int(rng.integers(low, 91))) if rng.random() < 0.5 else (18, 90)
        fields["ulcer"] = rng.choice([None, "yes", "no"], p=[0.6, 0.2, 0.2])
        out.append(CohortFilter(**fields))
    return out


def _pandas_cohort(patients: pd.DataFrame, f: CohortFilter) -> pd.DataFrame:
    keep = pd.Series(True, index=patients.index)
    for field, column in (
        ("study", "study_id"),
        ("arm", "arm"),
        ("site", "obstruction_site"),
        ("grade", "stenosis_grade"),
        ("band", "baseline_band"),
        ("sex", "sex"),
    ):
        if getattr(f, field):
            keep &= patients[column].isin(getattr(f, field))
    keep &= patients.age_years.between(*f.age)
    if f.ulcer:
        keep &= patients.baseline_ulcer == (f.ulcer == "yes")
    return patients[keep]


@pytest.fixture(scope="module")
def raw(demo_con):
    patients = demo_con.execute("SELECT * FROM patients").df()
    visits = demo_con.execute("SELECT * FROM visits").df()
    base = visits[visits.visit_month == 0].set_index("patient_id")
    patients["baseline_band"] = patients.patient_id.map(base.pts_band)
    patients["baseline_ulcer"] = patients.patient_id.map(base.ulcer_present)
    return patients, visits


def _expected(raw, f: CohortFilter, outcome: str):
    patients, visits = raw
    cohort = _pandas_cohort(patients, f)
    v = visits.merge(cohort[["patient_id", "arm", "study_id"]], on="patient_id")
    v["value"] = v[outcome].astype(float)
    base = v[v.visit_month == 0].set_index("patient_id").value
    v["change"] = v.value - v.patient_id.map(base)
    return v


@pytest.mark.parametrize("f", _random_filters(2026, 30), ids=lambda f: f.describe()[:60])
@pytest.mark.parametrize("outcome", ["villalta_total", "veines_qol"])
def test_summary_and_differences_match_recomputation(demo_con, raw, f, outcome):
    params = {**f.as_params(), "outcome": outcome, "by_study": True}
    summary = db.run_query(demo_con, "trajectory_summary", params)
    v = _expected(raw, f, outcome)
    if v.empty:
        assert summary.empty
        return
    shown = trajectories.summary_table(summary, change=True).set_index(["study_group", "arm", "visit_month"])
    for (study, arm, month), group in (
        v[v.visit_month > 0].dropna(subset=["change"]).groupby(["study_id", "arm", "visit_month"])
    ):
        row = shown.loc[(study, arm, month)]
        x = group.change.to_numpy()
        assert row.n == len(x)
        assert row["mean"] == pytest.approx(x.mean(), abs=1e-9)
        if len(x) > 1:
            low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
            assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-9)
    diffs = trajectories.arm_differences(summary).set_index(["study_group", "visit_month"])
    for (study, month), d in diffs.iterrows():
        rows = v[(v.study_id == study) & (v.visit_month == month)].dropna(subset=["change"])
        s, m = rows[rows.arm == "stent"].change, rows[rows.arm == "medical"].change
        if min(len(s), len(m)) < 2 or (s.var() == 0 and m.var() == 0):
            continue
        ref = stats.ttest_ind(s, m, equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert d["diff"] == pytest.approx(s.mean() - m.mean(), abs=1e-9)
        assert (d.ci_low, d.ci_high) == pytest.approx((ci.low, ci.high), abs=1e-8)
        assert d.p_value == pytest.approx(ref.pvalue, abs=1e-9)


def test_measured_values_match_recomputation(demo_con, raw):
    f = CohortFilter(site=("common_iliac", "common_femoral"), grade=("70-99%", "occlusion"))
    summary = db.run_query(demo_con, "trajectory_summary", {**f.as_params(), "outcome": "vcss", "by_study": False})
    shown = trajectories.summary_table(summary, change=False).set_index(["arm", "visit_month"])
    v = _expected(raw, f, "vcss")
    for (arm, month), group in v.groupby(["arm", "visit_month"]):
        assert shown.loc[(arm, month), "n"] == len(group)
        assert shown.loc[(arm, month), "mean"] == pytest.approx(group.value.mean(), abs=1e-9)
        assert shown.loc[(arm, month), "sd"] == pytest.approx(group.value.std(ddof=1), abs=1e-9)


def test_band_shares_sum_to_one(demo_con):
    bands = db.run_query(demo_con, "band_distribution", {**CohortFilter().as_params(), "by_study": True})
    shares = trajectories.band_shares(bands)
    totals = shares.groupby(["study_group", "arm", "visit_month"]).share.sum()
    assert np.allclose(totals, 1.0)
    assert set(shares.pts_band) <= set(vocab.BANDS)
