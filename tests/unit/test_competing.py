"""Competing risks: Aalen-Johansen cumulative incidence against a hand calculation, its
Marubini-Valsecchi variance written out, and Gray's test against what it must reduce to."""

import numpy as np
import pandas as pd
import pytest

from pts_explorer.analytics import competing, survival
from tests.unit.test_survival import MP_E, MP_T, PL_T

# Six patients: (day, status) with 1 = the endpoint, 2 = death first, 0 = censored.
SMALL = [(1, 1), (2, 2), (3, 0), (4, 1), (5, 2), (6, 1)]


def _counts(rows, group="all") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["duration_days", "status"]).assign(group_value=group)
    return frame.groupby(["group_value", "duration_days", "status"]).size().rename("n").reset_index()


def test_aalen_johansen_by_hand():
    """S(t-) * d1/n summed: 1/6; + (4/6)(1/3) = 7/18 at day 4; + (4/18)(1/1) = 11/18 at day 6.
    1 - Kaplan-Meier would give 1/6, then 1 - (5/6)(2/3)... larger, as if the dead could heal."""
    curve = competing.cumulative_incidence(_counts(SMALL)).set_index("days")
    assert curve.loc[0.0, "estimate"] == 0
    assert curve.loc[1.0, "estimate"] == pytest.approx(1 / 6)
    assert curve.loc[4.0, "estimate"] == pytest.approx(7 / 18)
    assert curve.loc[6.0, "estimate"] == pytest.approx(11 / 18)
    assert curve.loc[2.0, "estimate"] == pytest.approx(1 / 6)  # a death does not move it


def _marubini_valsecchi(rows, at):
    """Var F1(t) = sum over event times t_j <= t of
    [F(t) - F(t_j)]^2 d_j / (n_j (n_j - d_j)) + S(t_j-)^2 d1_j (n_j - d1_j) / n_j^3
    - 2 [F(t) - F(t_j)] S(t_j-) d1_j / n_j^2 (d_j all events, d1_j the endpoint)."""
    times = sorted({t for t, s in rows if s > 0})
    surv, cif, steps = 1.0, 0.0, []
    for t in times:
        n = sum(1 for u, _ in rows if u >= t)
        d1 = sum(1 for u, s in rows if u == t and s == 1)
        d = sum(1 for u, s in rows if u == t and s > 0)
        cif += surv * d1 / n
        steps.append((t, n, d, d1, surv, cif))
        surv *= 1 - d / n
    f_t = [c for t, *_, c in steps if t <= at][-1]
    total = 0.0
    for t, n, d, d1, s_minus, f_j in steps:
        if t > at:
            break
        total += (f_t - f_j) ** 2 * d / (n * (n - d)) if n > d else 0.0
        total += s_minus**2 * d1 * (n - d1) / n**3 - 2 * (f_t - f_j) * s_minus * d1 / n**2
    return total


@pytest.mark.parametrize("day", [1, 4, 5])
def test_standard_error_is_the_marubini_valsecchi_delta_method(day):
    curve = competing.cumulative_incidence(_counts(SMALL)).set_index("days")
    assert curve.loc[float(day), "se"] ** 2 == pytest.approx(_marubini_valsecchi(SMALL, day), rel=1e-10)
    assert curve.loc[1.0, "se"] ** 2 == pytest.approx((1 / 6) * (5 / 6) / 6)  # one event: binomial


def test_log_log_interval_contains_the_estimate_and_stays_in_0_1():
    rng = np.random.default_rng(3)
    rows = list(zip(rng.integers(1, 400, 300), rng.choice([0, 1, 2], 300, p=[0.3, 0.4, 0.3]), strict=True))
    curve = competing.cumulative_incidence(_counts(rows))
    # Where everyone still at risk fails, the delta-method variance is undefined: no interval.
    assert curve.se.isna().sum() <= 1 and curve.ci_low[curve.se.isna()].isna().all()
    inside = curve[(curve.estimate > 0) & curve.se.notna()]
    assert ((inside.ci_low <= inside.estimate) & (inside.estimate <= inside.ci_high)).all()
    assert inside.ci_low.min() >= 0 and inside.ci_high.max() <= 1
    z = 1.959963984540054
    row = inside.iloc[len(inside) // 2]
    expected_low = row.estimate ** np.exp(-z * row.se / (row.estimate * np.log(row.estimate)))
    assert row.ci_low == pytest.approx(expected_low, rel=1e-9)  # Pintilie's form of the log(-log) CI


def test_gray_score_is_the_log_rank_observed_minus_expected_without_competing_events():
    counts = pd.concat([_counts(list(zip(MP_T, MP_E, strict=True)), "a_6mp"), _counts([(t, 1) for t in PL_T], "pl")])
    score, _ = competing.gray_score(counts, ["a_6mp", "pl"])
    observed = sum(MP_E)
    expected = 0.0
    for t in sorted(set(MP_T) | set(PL_T)):
        d = sum(e for u, e in zip(MP_T, MP_E, strict=True) if u == t) + sum(1 for u in PL_T if u == t)
        n_a, n = sum(1 for u in MP_T if u >= t), sum(1 for u in MP_T + PL_T if u >= t)
        expected += d * n_a / n
    assert score[0] == pytest.approx(observed - expected, rel=1e-12)
    chisq, df, _ = competing.gray_test(counts)
    logrank = 16.79  # R survdiff on these data: Chisq = 16.8 on 1 df (Gehan 1965)
    assert df == 1 and chisq == pytest.approx(logrank, rel=0.02)  # a different variance estimator


def test_gray_statistic_does_not_depend_on_which_group_is_left_out():
    rng = np.random.default_rng(11)
    frames = []
    for group, share in (("a", 0.4), ("b", 0.55), ("c", 0.3)):
        days = rng.integers(1, 200, 80)
        status = rng.choice([0, 1, 2], 80, p=[0.3, share, 0.7 - share])
        frames.append(_counts(list(zip(days, status, strict=True)), group))
    counts = pd.concat(frames, ignore_index=True)
    chisq, df, p = competing.gray_test(counts)
    relabelled = counts.assign(group_value=counts.group_value.map({"a": "z", "b": "b", "c": "c"}))
    assert competing.gray_test(relabelled)[0] == pytest.approx(chisq, rel=1e-9)  # "z" is now left out
    assert df == 2 and 0 < p < 1


def _loop_gray_score(counts: pd.DataFrame, groups: list[str], cause: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """competing.gray_score written as cmprsk's crstm walks the times: one distinct time after
    another, updating its recursions in place."""
    other = 3 - cause if cause in (1, 2) else None
    k = len(groups)
    index = {g: i for i, g in enumerate(groups)}
    data = counts.assign(g=counts.group_value.astype(str).map(index))
    table = data.pivot_table(index="duration_days", columns=["status", "g"], values="n", aggfunc="sum", fill_value=0)
    times = table.index.to_numpy(float)

    def per_group(status: int) -> np.ndarray:
        columns = [(status, j) for j in range(k)]
        return table.reindex(columns=columns, fill_value=0).to_numpy(float)

    d1, d2, d0 = per_group(cause), (per_group(other) if other else np.zeros((times.size, k))), per_group(0)
    leaving = d0 + d1 + d2
    at_risk = leaving[::-1].cumsum(axis=0)[::-1]
    score, v = np.zeros(k - 1), np.zeros((k - 1, k - 1))
    c, v2, v3 = np.zeros((k, k)), np.zeros((k - 1, k)), np.zeros(k)
    skmm, f1m, fm = np.ones(k), np.zeros(k), 0.0
    for row in range(times.size):
        rs, e1, e2 = at_risk[row], d1[row], d2[row]
        n1, n2 = e1.sum(), e2.sum()
        live = rs > 0
        skm, f1 = skmm.copy(), f1m.copy()
        if n1 > 0 or n2 > 0:
            skm[live] = skmm[live] * (rs[live] - e1[live] - e2[live]) / rs[live]
            f1[live] = f1m[live] + skmm[live] * e1[live] / rs[live]
            weight = np.where(live, rs / np.where(live, skmm, 1.0), 0.0)  # R_j / S_j(t-)
            tr = weight.sum()
            tq = (weight * (1 - f1m)).sum()
            f = fm + n1 / tr
            a = -np.outer(weight, weight) / tr
            a[np.diag_indices(k)] = weight * (1 - weight / tr)
            c += a * n1 / (tr * (1 - fm))
            score += (e1 - n1 * weight * (1 - f1m) / tq)[: k - 1]
            if n1 > 0:
                for j in np.flatnonzero(live):
                    t4 = 1 - (1 - f) / skm[j] if skm[j] > 0 else 1.0
                    t5 = 1 - (n1 - 1) / (tr * skmm[j] - 1) if n1 > 1 else 1.0
                    t3 = t5 * skmm[j] * n1 / (tr * rs[j])
                    v3[j] += t4 * t4 * t3
                    t1 = a[: k - 1, j] - t4 * c[: k - 1, j]
                    v2[:, j] += t1 * t4 * t3
                    v += np.outer(t1, t1) * t3
            for j in np.flatnonzero(live & (e2 > 0) & (skm > 0)):
                t4 = (1 - f) / skm[j]
                t5 = 1 - (e2[j] - 1) / (rs[j] - 1) if e2[j] > 1 else 1.0
                t3 = t5 * skmm[j] ** 2 * e2[j] / rs[j] ** 2
                v3[j] += t4 * t4 * t3
                t1 = t4 * c[: k - 1, j]
                v2[:, j] -= t1 * t4 * t3
                v += np.outer(t1, t1) * t3
            fm = f
        skmm, f1m = skm, f1
    cc = c[: k - 1]
    v += (cc * v3) @ cc.T + cc @ v2.T + v2 @ cc.T
    return score, v


@pytest.mark.parametrize("cause", [1, 2])
@pytest.mark.parametrize(("n", "k", "days"), [(40, 2, 12), (400, 3, 60), (3000, 5, 900)])
def test_gray_score_equals_the_walk_over_distinct_times(cause, n, k, days):
    """Same score and covariance as crstm's loop, with tied times, tied events of both kinds and a
    group whose follow-up ends before the others'."""
    rng = np.random.default_rng(n + k + cause)
    frames = []
    for j in range(k):
        ends = days if j else days // 3  # group g0 leaves the risk set early
        frames.append(
            pd.DataFrame(
                {
                    "group_value": f"g{j}",
                    "duration_days": rng.integers(1, ends, n // k),
                    "status": rng.choice([0, 1, 2], n // k, p=[0.35, 0.4, 0.25]),
                }
            )
        )
    rows = pd.concat(frames)
    counts = rows.groupby(["group_value", "duration_days", "status"]).size().rename("n").reset_index()
    groups = sorted(counts.group_value.unique())
    score, variance = competing.gray_score(counts, groups, cause)
    want_score, want_variance = _loop_gray_score(counts, groups, cause)
    assert np.allclose(score, want_score, rtol=1e-10, atol=1e-12)
    assert np.allclose(variance, want_variance, rtol=1e-9, atol=1e-12)


def test_landmarks_show_nothing_where_nobody_is_at_risk():
    counts = _counts(SMALL)
    marks = competing.landmarks(competing.cumulative_incidence(counts), counts, years=(1,))
    assert marks.iloc[0].at_risk == 0 and np.isnan(marks.iloc[0].estimate)
    later = counts.assign(duration_days=counts.duration_days * 100)  # days 100 to 600
    marks = competing.landmarks(competing.cumulative_incidence(later), later, years=(1,))
    assert marks.iloc[0].at_risk == 3 and marks.iloc[0].estimate == pytest.approx(1 / 6)


def test_without_competing_events_it_is_one_minus_kaplan_meier():
    counts = _counts([(t, e) for t, e in zip(MP_T, MP_E, strict=True)]).assign(observed=lambda d: d.status == 1)
    curve = competing.cumulative_incidence(counts).set_index("days")
    km = survival.fit_km(counts)["all"]
    for day in (6, 13, 23):
        assert curve.loc[float(day), "estimate"] == pytest.approx(1 - km.survival_function_at_times(day).iloc[0])
