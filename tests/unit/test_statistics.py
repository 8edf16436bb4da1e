"""Statistics against reference values, each with its source stated."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW
from tableone import TableOne

from pts_explorer import display
from pts_explorer.analytics import baseline, trajectories

# R's documented Welch example, `t.test(extra ~ group, data = sleep)`:
#   t = -1.8608, df = 17.776, p-value = 0.07939
#   95 percent confidence interval: -3.3654832  0.2054832
SLEEP_1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
SLEEP_2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])


def _stats(x):
    return len(x), x.mean(), x.std(ddof=1)


def test_welch_matches_r_sleep_example():
    r = trajectories.welch_difference(*_stats(SLEEP_1), *_stats(SLEEP_2))
    assert r["diff"] == pytest.approx(-1.58)
    assert r["df"] == pytest.approx(17.776, abs=1e-3)
    assert r["p_value"] == pytest.approx(0.07939, abs=1e-5)
    assert r["ci_low"] == pytest.approx(-3.3654832, abs=1e-6)
    assert r["ci_high"] == pytest.approx(0.2054832, abs=1e-6)


def test_welch_matches_statsmodels_on_unequal_groups():
    """Independent implementation: statsmodels CompareMeans with usevar='unequal'."""
    rng = np.random.default_rng(3)
    a, b = rng.normal(-6, 4.7, 37), rng.normal(-1.6, 2.1, 80)
    low, high = CompareMeans(DescrStatsW(a), DescrStatsW(b)).tconfint_diff(usevar="unequal")
    r = trajectories.welch_difference(*_stats(a), *_stats(b))
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((low, high), abs=1e-10)


def test_welch_needs_two_patients_per_arm():
    r = trajectories.welch_difference(1, -5.0, np.nan, 10, -1.0, 2.0)
    assert r["diff"] == -4.0 and np.isnan(r["ci_low"]) and np.isnan(r["p_value"])


def test_t_interval_of_the_mean_matches_statsmodels():
    rng = np.random.default_rng(4)
    x = rng.normal(14, 4, 23)
    summary = pd.DataFrame(
        {
            "study_group": ["All"],
            "arm": ["stent"],
            "visit_month": [6],
            "n": [len(x)],
            "mean": [x.mean()],
            "sd": [x.std(ddof=1)],
            "n_change": [0],
            "mean_change": [np.nan],
            "sd_change": [np.nan],
        }
    )
    table = trajectories.summary_table(summary, change=False)
    low, high = DescrStatsW(x).tconfint_mean()
    assert (table.ci_low[0], table.ci_high[0]) == pytest.approx((low, high), abs=1e-10)


def test_single_patient_has_no_interval():
    summary = pd.DataFrame(
        {
            "study_group": ["All"],
            "arm": ["stent"],
            "visit_month": [0],
            "n": [1],
            "mean": [12.0],
            "sd": [np.nan],
            "n_change": [1],
            "mean_change": [0.0],
            "sd_change": [np.nan],
        }
    )
    table = trajectories.summary_table(summary, change=False)
    assert np.isnan(table.ci_low[0]) and table["mean"][0] == 12.0


@pytest.fixture
def small_sample():
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "arm": rng.choice(["stent", "medical"], 60),
            "age": rng.normal(50, 10, 60).round(),
            "site": rng.choice(["a", "b", "c"], 60),
            "sex": rng.choice(["f", "m"], 60),
        }
    )


def test_smds_match_the_tableone_package(small_sample):
    """Reference: the `tableone` package (Pollard et al.), which implements Yang & Dalton 2012."""
    ref = TableOne(
        small_sample, columns=["age", "site", "sex"], categorical=["site", "sex"], groupby="arm", smd=True, pval=False
    ).smd_table.iloc[:, 0]
    g = small_sample.groupby("arm")
    s, m = g.get_group("stent"), g.get_group("medical")
    ours_age = baseline.smd_continuous(s.age.mean(), s.age.std(), m.age.mean(), m.age.std())
    assert abs(ours_age) == pytest.approx(abs(ref["age"]), abs=1e-6)
    for var in ("site", "sex"):
        levels = sorted(small_sample[var].unique())
        p_s = s[var].value_counts(normalize=True).reindex(levels, fill_value=0).values
        p_m = m[var].value_counts(normalize=True).reindex(levels, fill_value=0).values
        assert baseline.smd_categorical(p_s, p_m) == pytest.approx(abs(ref[var]), abs=1e-6)


def test_binary_smd_reduces_to_the_textbook_formula():
    """Austin 2009: d = (p1 - p2) / sqrt((p1(1-p1) + p2(1-p2)) / 2)."""
    p1, p2 = 0.6, 0.45
    expected = abs(p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    assert baseline.smd_categorical(np.array([1 - p1, p1]), np.array([1 - p2, p2])) == pytest.approx(expected)


def test_table_one_rows_from_query_shaped_input():
    cont = pd.DataFrame(
        {
            "arm": ["stent", "medical"],
            "variable": ["age_years"] * 2,
            "patients": [10, 8],
            "n": [10, 8],
            "mean": [50.0, 52.0],
            "sd": [10.0, 10.0],
            "median": [50.0, 52.0],
            "q1": [40.0, 45.0],
            "q3": [60.0, 59.0],
        }
    )
    cat = pd.DataFrame(
        {
            "arm": ["stent", "stent", "medical", "medical"],
            "variable": ["sex"] * 4,
            "level": ["female", "male", "female", "male"],
            "n": [6, 4, 4, 4],
        }
    )
    table = display.table_one(cont, cat).set_index("characteristic")
    assert table.loc["Age, years, mean (SD)", "stent"] == "50.0 (10.0)"
    assert table.loc["Age, years, mean (SD)", "smd"] == pytest.approx(-0.2)
    assert table.loc["    Female", "stent"] == "6 (60%)"
    assert table.loc["    Female", "medical"] == "4 (50%)"
    assert table.loc["Sex, n (%)", "smd"] == pytest.approx(0.1 / np.sqrt((0.4 * 0.6 + 0.5 * 0.5) / 2))
