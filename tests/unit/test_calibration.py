"""The default demo cohort meets every calibration target of the data contract."""

import pytest

from pts_explorer.synthetic import calibration


@pytest.fixture(scope="module")
def measured(demo_con):
    return calibration.measure(demo_con)


@pytest.mark.parametrize("target", calibration.TARGETS, ids=lambda t: t.key)
def test_target_is_met(measured, target):
    value = measured[target.key]
    assert target.low <= value <= target.high, f"{target.label}: {value:.3f} not in [{target.low}, {target.high}]"


def test_ulcer_healing_is_slower_without_a_stent(measured):
    assert measured["ulcer_healed_5y_medical"] < measured["ulcer_healed_5y_stent"] - 0.1


def test_trial_inclusion_holds_on_the_demo(demo_con):
    violators = demo_con.execute(
        "SELECT count(*) FROM patients p JOIN visits b ON b.patient_id = p.patient_id AND b.visit_month = 0 "
        "WHERE p.study_id = 'TRIAL' AND (p.stenosis_pct < 50 OR (b.villalta_total < 10 AND NOT b.ulcer_present))"
    ).fetchone()[0]
    assert violators == 0


def test_registry_attendance_falls_with_time(demo_con):
    attended = calibration.registry_attendance_by_month(demo_con).set_index("visit_month").attended
    assert attended.is_monotonic_decreasing
    assert attended.loc[120] < 0.6 * attended.loc[6]


def test_registry_stenting_favours_high_grade_iliac_lesions(demo_con):
    share = demo_con.execute(
        """SELECT avg((arm = 'stent')::INT) FILTER (WHERE stenosis_pct >= 70 AND obstruction_site = 'common_iliac'),
                  avg((arm = 'stent')::INT) FILTER (WHERE stenosis_pct < 70 AND obstruction_site = 'femoral')
           FROM patients WHERE study_id = 'REGISTRY'"""
    ).fetchone()
    assert share[0] > share[1] + 0.3


def test_sizes_match_the_contract_defaults(demo_con):
    sizes = dict(demo_con.execute("SELECT study_id, count(*) FROM patients GROUP BY 1").fetchall())
    assert sizes == {"TRIAL": 240, "REGISTRY": 2400}
