"""Endpoint derivations on hand-made patients, and KM / log-rank / Cox against textbook values."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pts_explorer import db, display
from pts_explorer.analytics import safety, survival
from pts_explorer.config import SCHEMA_PATH
from pts_explorer.filters import CohortFilter

# Freireich et al. 1963 leukaemia remission data (6-MP vs placebo), as tabulated in Kleinbaum &
# Klein, "Survival Analysis: A Self-Learning Text", chapter 2. Censored times marked 0 in *_e.
MP_T = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
MP_E = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PL_T = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


@pytest.fixture
def gehan_counts():
    d = pd.DataFrame(
        {
            "duration_days": MP_T + PL_T,
            "observed": [bool(e) for e in MP_E] + [True] * 21,
            "group_value": ["6-MP"] * 21 + ["placebo"] * 21,
        }
    )
    return d.groupby(["group_value", "duration_days", "observed"]).size().rename("n").reset_index()


def test_kaplan_meier_matches_the_textbook_table(gehan_counts):
    """Kleinbaum & Klein, 6-MP group: S(t) = .857, .807, .753, .690, .627, .538, .448."""
    kmf = survival.fit_km(gehan_counts)["6-MP"]
    got = kmf.survival_function_at_times([6, 7, 10, 13, 16, 22, 23]).to_numpy()
    assert got == pytest.approx([0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448], abs=5e-4)


def test_log_log_interval_matches_the_exponential_greenwood_formula(gehan_counts):
    """Independent formula (Kalbfleisch & Prentice): exp(-exp(log(-log S) +- z * se)), with
    se^2 = Greenwood variance / (S log S)^2. At t = 6 in the 6-MP group: S = 18/21."""
    kmf = survival.fit_km(gehan_counts)["6-MP"]
    s = 18 / 21
    greenwood = 3 / (21 * 18)  # d / (n (n - d)) at the only event time up to 6
    se = np.sqrt(greenwood) / abs(np.log(s))
    z = stats.norm.ppf(0.975)
    low, high = np.exp(-np.exp(np.log(-np.log(s)) + z * se)), np.exp(-np.exp(np.log(-np.log(s)) - z * se))
    assert tuple(kmf.confidence_interval_.loc[6]) == pytest.approx((low, high), abs=1e-6)


def test_log_rank_matches_r_survdiff(gehan_counts):
    """R: survdiff(Surv(time, status) ~ group) on these data: Chisq = 16.8 on 1 df, p = 4.17e-05."""
    assert survival.logrank(gehan_counts) == pytest.approx(stats.chi2.sf(16.7929, 1), rel=1e-3)
    assert survival.logrank(gehan_counts) == pytest.approx(4.17e-05, rel=1e-2)


def test_cox_hazard_ratio_matches_r_coxph():
    """R: coxph(Surv(time, status) ~ group) (Efron ties): coef 1.572, exp(coef) 4.817, se 0.412."""
    d = pd.DataFrame(
        {"duration_days": MP_T + PL_T, "observed": MP_E + [1] * 21, "arm": ["a_6mp"] * 21 + ["placebo"] * 21}
    )
    result = survival.cox(d, "arm", [])
    row = result.hazard_ratios.iloc[0]
    assert row.level == "placebo" and result.reference == "a_6mp"
    assert row.hr == pytest.approx(4.817, abs=1e-3)
    assert np.log(row.ci_high / row.ci_low) / (2 * 1.959964) == pytest.approx(0.4124, abs=1e-3)


def test_cox_coefficients_are_records_of_term_and_level():
    """Each coefficient carries its term and level (no "term[level]" name to decode): a level with
    brackets in it keeps them, and the design's levels are the term's levels, the reference first."""
    d = pd.DataFrame(
        {
            "duration_days": MP_T + PL_T,
            "observed": MP_E + [1] * 21,
            "arm": ["a[6mp]"] * 14 + ["b]"] * 7 + ["placebo[x"] * 21,
            "age_years": np.linspace(30, 70, 42),
        }
    )
    result = survival.cox(d, "arm", ["age_years"])
    assert [(c.term, c.level) for c in result.design.coefficients["arm"]] == [("arm", "b]"), ("arm", "placebo[x")]
    assert list(result.hazard_ratios.level) == ["b]", "placebo[x"] and result.reference == "a[6mp]"
    assert result.design.levels() == {"arm": ["a[6mp]", "b]", "placebo[x"]}
    assert result.design.numeric() == ["age_years"]
    assert list(result.design.x.columns) == [c.column for cs in result.design.coefficients.values() for c in cs]


def test_landmarks_show_a_dash_where_nobody_is_at_risk(gehan_counts):
    fits = survival.fit_km(gehan_counts)
    marks = survival.landmarks(fits, gehan_counts, years=(1,))  # day 365: no one left
    assert (marks.at_risk == 0).all() and marks.estimate.isna().all()


def test_medians_report_not_reached_as_nan(gehan_counts):
    med = survival.medians(survival.fit_km(gehan_counts)).set_index("group")
    assert med.loc["placebo", "median_months"] == pytest.approx(8 / survival.DAYS_PER_MONTH)
    assert med.loc["6-MP", "median_months"] == pytest.approx(23 / survival.DAYS_PER_MONTH)


def test_no_log_rank_or_cox_without_events():
    counts = pd.DataFrame(
        {"group_value": ["a", "b"], "duration_days": [10, 20], "observed": [False, False], "n": [3, 4]}
    )
    assert np.isnan(survival.logrank(counts))
    data = pd.DataFrame({"duration_days": [10, 20, 30], "observed": [False] * 3, "arm": ["a", "b", "b"]})
    assert survival.cox(data, "arm", []) is None


# --- endpoint derivations on hand-made patients ----------------------------------------------

HAND_MADE = {
    # patient: (arm, last_contact_day, procedure_day, [(day, event_type)])
    "REOPENED": ("stent", 1000, 10, [(110, "stent_thrombosis"), (115, "reintervention"), (115, "patency_restored")]),
    "OCCLUDED": ("stent", 900, 10, [(200, "stent_thrombosis"), (400, "restenosis")]),
    "RESTENOSIS": ("stent", 800, 5, [(300, "restenosis"), (350, "reintervention")]),
    "CENSORED": ("stent", 40, 10, []),
    "DIED": ("stent", 500, 20, [(500, "death")]),
    "QUIET": ("stent", 3000, 0, []),
    "MEDICAL": ("medical", 700, None, [(60, "recurrent_dvt")]),
}


@pytest.fixture(scope="module")
def hand_made_con(tmp_path_factory):
    path = tmp_path_factory.mktemp("hand") / "hand.duckdb"
    con = duckdb.connect(str(path))
    con.execute(SCHEMA_PATH.read_text())
    con.execute("INSERT INTO dataset_info VALUES ('hand-made', TRUE, NULL, NULL, now(), 'test')")
    con.execute("INSERT INTO studies VALUES ('REGISTRY', 'r', 'observational', [0, 12], '')")
    items = ", ".join(["1"] * 11)
    for pid, (arm, last, proc, events) in HAND_MADE.items():
        con.execute(
            f"INSERT INTO patients VALUES ('{pid}', 'REGISTRY', 'C1', '{arm}', DATE '2015-01-01', 50, "
            f"'female', 28, 'left', 12, 'common_iliac', 80, 60, 'C3', {last})"
        )
        con.execute(
            f"INSERT INTO visits VALUES ('{pid}', 0, 0, {items}, {pid == 'QUIET'}, 5, 50, 50, 4, 38, 5000, 'daily')"
        )
        if proc is not None:
            con.execute(f"INSERT INTO procedures VALUES ('{pid}', {proc}, TRUE, 1, 14, FALSE)")
        for day, event in events:
            con.execute(f"INSERT INTO events VALUES ('{pid}', {day}, '{event}', TRUE)")
    con.close()
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _endpoint(con, endpoint: str) -> pd.DataFrame:
    params = {**CohortFilter().as_params(), "endpoint": endpoint, "max_patients": 100, "randomized_only": False}
    return db.run_query(con, "cox_data", params).set_index("patient_id")[["duration_days", "observed"]]


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (
            "primary_patency",
            {
                "REOPENED": (100, True),
                "OCCLUDED": (190, True),
                "RESTENOSIS": (295, True),
                "CENSORED": (30, False),
                "DIED": (480, False),
                "QUIET": (3000, False),
            },
        ),
        (
            "assisted_primary_patency",
            {
                "REOPENED": (100, True),
                "OCCLUDED": (190, True),
                "RESTENOSIS": (795, False),
                "CENSORED": (30, False),
                "DIED": (480, False),
                "QUIET": (3000, False),
            },
        ),
        (
            "secondary_patency",
            {
                "REOPENED": (990, False),
                "OCCLUDED": (190, True),
                "RESTENOSIS": (795, False),
                "CENSORED": (30, False),
                "DIED": (480, False),
                "QUIET": (3000, False),
            },
        ),
        (
            "freedom_from_reintervention",
            {
                "REOPENED": (105, True),
                "OCCLUDED": (890, False),
                "RESTENOSIS": (345, True),
                "CENSORED": (30, False),
                "DIED": (480, False),
                "QUIET": (3000, False),
            },
        ),
    ],
)
def test_stent_endpoints_on_hand_made_patients(hand_made_con, endpoint, expected):
    got = _endpoint(hand_made_con, endpoint)
    assert set(got.index) == set(expected)  # the medical patient is not in stent endpoints
    for pid, (days, observed) in expected.items():
        assert (got.loc[pid, "duration_days"], bool(got.loc[pid, "observed"])) == (days, observed), pid


def test_recurrent_dvt_covers_both_arms_from_enrollment(hand_made_con):
    got = _endpoint(hand_made_con, "freedom_from_recurrent_dvt")
    assert len(got) == len(HAND_MADE)
    assert (got.loc["MEDICAL", "duration_days"], bool(got.loc["MEDICAL", "observed"])) == (60, True)
    assert (got.loc["DIED", "duration_days"], bool(got.loc["DIED", "observed"])) == (500, False)


def test_ulcer_healing_only_for_patients_with_an_ulcer_at_baseline(hand_made_con):
    got = _endpoint(hand_made_con, "ulcer_healing")
    assert list(got.index) == ["QUIET"] and not got.observed.any()


# --- safety ----------------------------------------------------------------------------------


def test_clopper_pearson_matches_the_beta_quantiles():
    """Exact interval: Beta(x, n - x + 1) and Beta(x + 1, n - x) quantiles (Clopper & Pearson 1934)."""
    events = pd.DataFrame(
        {
            "arm": ["stent"],
            "group_value": ["all"],
            "event_type": ["stent_thrombosis"],
            "period": ["within 30 days"],
            "events": [4],
            "patients_with": [3],
        }
    )
    exposure = pd.DataFrame(
        {
            "arm": ["stent", "medical", "medical"],
            "group_value": "all",
            "period": ["within 30 days", "within 30 days", "any time"],
            "patients": [97, 90, 90],
            "follow_up_days": [97 * 30, 90 * 30, 90 * 400],
        }
    )
    rates = safety.rates(events, exposure)
    row = rates[
        (rates.arm == "stent") & (rates.event_type == "stent_thrombosis") & (rates.period == "within 30 days")
    ].iloc[0]
    assert row.ci_low == pytest.approx(100 * stats.beta.ppf(0.025, 3, 95))
    assert row.ci_high == pytest.approx(100 * stats.beta.ppf(0.975, 4, 94))
    zero = rates[(rates.arm == "medical") & (rates.event_type == "death") & (rates.period == "any time")].iloc[0]
    assert zero.patients_with == 0 and zero.ci_low == 0 and zero.ci_high == pytest.approx(100 * (1 - 0.025 ** (1 / 90)))


def test_rate_per_100_patient_years_has_garwood_exact_poisson_limits():
    """4 events in 97 x 30 days: chi-square(2k)/2 and chi-square(2k + 2)/2 limits (Garwood 1936)."""
    events = pd.DataFrame(
        {
            "arm": ["stent"],
            "group_value": ["all"],
            "event_type": ["stent_thrombosis"],
            "period": ["within 30 days"],
            "events": [4],
            "patients_with": [3],
        }
    )
    exposure = pd.DataFrame(
        {
            "arm": ["stent"],
            "group_value": ["all"],
            "period": ["within 30 days"],
            "patients": [97],
            "follow_up_days": [97 * 30],
        }
    )
    row = safety.rates(events, exposure).set_index("event_type").loc["stent_thrombosis"]
    hundreds = 97 * 30 / 365.25 / 100
    assert row.rate == pytest.approx(4 / hundreds)
    assert row.rate_low == pytest.approx(stats.chi2.ppf(0.025, 8) / 2 / hundreds)
    assert row.rate_high == pytest.approx(stats.chi2.ppf(0.975, 10) / 2 / hundreds)


def test_demo_safety_table_reproduces_the_generator_rates(demo_con, demo_db):
    """Rates within 30 days of the procedure, stent arm, against the generator's parameters."""
    from pts_explorer.synthetic.params import SynthParams

    p = SynthParams()
    params = {**CohortFilter().as_params(), "group": "none", "randomized_only": False}
    rates = safety.rates(
        db.run_query(demo_con, "safety_events", params), db.run_query(demo_con, "safety_exposure", params)
    )
    early = rates[(rates.arm == "stent") & (rates.period == "within 30 days")].set_index("event_type")
    n = int(early.patients.iloc[0])
    for event, rate in (
        ("stent_thrombosis", p.early_thrombosis * p.technical_success),
        ("access_site_bleeding", p.access_site_bleeding),
        ("major_bleeding", p.periprocedural_major_bleeding),
    ):
        observed = early.loc[event, "patients_with"]
        assert stats.binomtest(int(observed), n, rate).pvalue > 0.01, (event, observed, n, rate)


@pytest.mark.parametrize(
    ("endpoint", "months", "target", "tolerance"),
    [
        ("primary_patency", 12, 0.79, 0.04),
        ("secondary_patency", 12, 0.94, 0.04),
        ("primary_patency", 72, 0.57, 0.06),
        ("secondary_patency", 72, 0.86, 0.06),
    ],
)
def test_demo_patency_on_the_durability_page_meets_the_contract(demo_con, endpoint, months, target, tolerance):
    params = {**CohortFilter().as_params(), "endpoint": endpoint, "group": "arm", "randomized_only": False}
    fits = survival.fit_km(db.run_query(demo_con, "km_counts", params))
    value = float(fits["stent"].survival_function_at_times(months * survival.DAYS_PER_MONTH).iloc[0])
    assert abs(value - target) <= tolerance, value


def test_median_label_reads_not_reached_and_open_upper_bounds():
    assert (
        display.median_label(pd.Series({"median_months": np.nan, "ci_low": np.nan, "ci_high": np.nan})) == "not reached"
    )
    assert (
        display.median_label(pd.Series({"median_months": 12.34, "ci_low": 9.8, "ci_high": np.nan})) == "12.3 (9.8-NR)"
    )


def test_safety_windows_start_at_the_procedure_and_never_hold_earlier_events(tmp_path):
    """Hand-made: PE on day 5 and the procedure on day 20 (before the procedure, never "within 30
    days"); bleeding on day 40 = 20 days after it; restenosis 90 days after its procedure; a medical
    patient's recurrent DVT on day 25 of enrollment."""
    from tests import handmade

    path = handmade.build(
        tmp_path / "safety.duckdb",
        {
            "EARLY_PE": {
                "procedure_day": 20,
                "events": [(5, "pulmonary_embolism"), (40, "access_site_bleeding")],
                "last_contact_day": 400,
            },
            "LATE": {"procedure_day": 10, "events": [(100, "restenosis")], "last_contact_day": 300},
            "MED": {"arm": "medical", "events": [(25, "recurrent_dvt")], "last_contact_day": 200},
        },
    )
    con = duckdb.connect(str(path), read_only=True)
    params = {**CohortFilter().as_params(), "group": "none", "randomized_only": False}
    events = db.run_query(con, "safety_events", params).set_index(["event_type", "period"])
    assert set(events.loc["pulmonary_embolism"].index) == {"before the procedure", "any time"}
    assert set(events.loc["access_site_bleeding"].index) == {"within 30 days", "any time"}
    assert set(events.loc["restenosis"].index) == {"after 30 days", "any time"}
    assert events.loc[("recurrent_dvt", "within 30 days"), "arm"] == "medical"
    exposure = db.run_query(con, "safety_exposure", params).set_index(["arm", "period"]).follow_up_days
    # Calendar days, as events are counted: days 0-30 are 31 days; day 0 and the last contact count.
    assert exposure[("stent", "before the procedure")] == 20 + 10
    assert exposure[("stent", "within 30 days")] == 31 + 31 and exposure[("medical", "within 30 days")] == 31
    assert exposure[("stent", "after 30 days")] == (400 - 20 - 30) + (300 - 10 - 30)
    assert exposure[("medical", "any time")] == 201 and ("medical", "before the procedure") not in exposure.index
    within = db.run_query(con, "complication_counts", {**params, "period": "within 30 days"})
    rows = {(r.group_value, r.duration_days, r.status) for r in within.itertuples()}
    # EARLY_PE bleeds 20 days after its procedure (stent-related); LATE is censored at day 30; the
    # PE came before the procedure, outside the window; MED's recurrent DVT on day 25 is shared.
    assert rows == {("stent_related", 20, 1), ("stent_related", 30, 0), ("stent", 30, 0), ("medical", 25, 1)}
    after = db.run_query(con, "complication_counts", {**params, "period": "after 30 days"})
    rows = {(r.group_value, r.duration_days, r.status) for r in after.itertuples()}
    # From day 30 after the anchor: LATE's restenosis on day 100 is 60 days later; MED, followed to
    # day 200, is censored 170 days later.
    assert rows == {
        ("stent_related", 60, 1),
        ("stent_related", 350, 0),
        ("stent", 350, 0),
        ("stent", 260, 0),
        ("medical", 170, 0),
    }
    con.close()


def test_death_before_healing_is_a_competing_event(tmp_path):
    """Hand-made, all with an open ulcer at baseline: one dies unhealed on day 30 (competing); one
    heals on day 50 and dies on day 80 (the endpoint); one is censored unhealed on day 300.
    Aalen-Johansen: (2/3)(1/2) = 1/3; 1 - Kaplan-Meier, counting the dead as if they could heal: 1/2."""
    from tests import handmade

    ulcer = {0: (12, True)}
    path = handmade.build(
        tmp_path / "ulcer.duckdb",
        {
            "HEALED": {"visits": ulcer, "events": [(50, "ulcer_healed"), (80, "death")], "last_contact_day": 80},
            "DIED": {"visits": ulcer, "events": [(30, "death")], "last_contact_day": 30},
            "CENSORED": {"visits": ulcer, "last_contact_day": 300},
            "NO_ULCER": {"events": [(30, "death")], "last_contact_day": 30},
        },
    )
    con = duckdb.connect(str(path), read_only=True)
    params = {
        **CohortFilter().as_params(),
        "endpoint": "ulcer_healing",
        "group": "arm",
        "max_patients": 100,
        "randomized_only": False,
    }
    rows = db.run_query(con, "cox_data", params).set_index("patient_id")
    assert rows.loc[["HEALED", "DIED", "CENSORED"], "status"].tolist() == [1, 2, 0]
    assert rows.loc[["HEALED", "DIED", "CENSORED"], "duration_days"].tolist() == [50, 30, 300]
    assert "NO_ULCER" not in rows.index
    counts = db.run_query(con, "km_counts", params)
    from pts_explorer.analytics import competing

    curve = competing.cumulative_incidence(counts).set_index("days")
    assert curve.estimate.iloc[-1] == pytest.approx(1 / 3)
    km = survival.fit_km(counts.assign(observed=counts.status == 1))["stent"]
    assert 1 - km.survival_function_.iloc[-1, 0] == pytest.approx(1 / 2)
    con.close()


@pytest.mark.parametrize(
    ("max_days", "months"),
    [
        (0, [0, 1]),
        (45, [0, 1]),
        (400, [0, 3, 6, 9, 12]),
        (730, [0, 3, 6, 9, 12, 15, 18, 21, 24]),
        (3652, [12 * y for y in range(11)]),
    ],
)
def test_at_risk_ticks_keep_an_axis_for_short_follow_up(max_days, months):
    ticks = survival.ticks_days(max_days)
    assert [round(t / survival.DAYS_PER_MONTH) for t in ticks] == months


def test_the_multiplicity_note_says_both_groups_not_all_2():
    """'Gray's test across all 2 groups' read oddly (outside review of #22)."""
    from pts_explorer.display.survival import multiplicity_note

    assert multiplicity_note("Gray's test", 2, "Medical", 3) == (
        "Multiplicity: 2 p-values compare the groups (Gray's test across both groups, and 1 hazard-ratio Wald test "
        "against Medical); 4 more check proportional hazards (per coefficient, per term and global). None is "
        "adjusted for multiple testing: with two groups, the hazard ratio's p and Gray's test ask the same question."
    )


@pytest.mark.parametrize(
    ("groups", "words"),
    [
        (
            2,
            "2 p-values compare the groups (the log-rank test across both groups, and 1 hazard-ratio Wald test against "
            "Medical); 2 more check proportional hazards (per coefficient, per term and global). None is adjusted for "
            "multiple testing: with two groups, the hazard ratio's p and the log-rank test ask the same question.",
        ),
        (
            4,
            "4 p-values compare the groups (the log-rank test across all 4 groups, and 3 hazard-ratio Wald tests "
            "against <50%); 4 more check proportional hazards (per coefficient, per term and global). None is "
            "adjusted for multiple testing: with 3 pairwise comparisons, a p below 0.05 is likelier than 5% to arise "
            "by chance when no group differs. The log-rank test is the one test of any difference; a Bonferroni "
            "reading compares each pairwise p with 0.05 / 3 = 0.0167.",
        ),
    ],
)
def test_the_multiplicity_note_names_two_groups_plainly_and_counts_more(groups, words):
    """Two groups: 'across both groups', never 'all 2'; three or more: 'across all k groups'."""
    from pts_explorer.display.survival import multiplicity_note

    reference = "Medical" if groups == 2 else "<50%"
    assert multiplicity_note("the log-rank test", groups, reference, 1) == f"Multiplicity: {words}"
