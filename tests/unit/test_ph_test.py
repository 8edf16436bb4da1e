"""The proportional-hazards test equals R's cox.zph (survival >= 3.0), and its score and
information equal numerical derivatives of the extended model's partial likelihood."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from pts_explorer.analytics import ph_test, survival

REFERENCE = Path(__file__).resolve().parents[1] / "reference"  # R outputs; see its README
FIT_OPTIONS = {"precision": 1e-14, "r_precision": 1e-14, "max_steps": 200}


@pytest.fixture(scope="module")
def lung():
    """R's survival::lung, complete cases of the model below (status 2 = death)."""
    data = pd.read_csv(REFERENCE / "lung.csv").dropna(subset=["time", "status", "age", "sex", "ph.ecog"])
    return data.assign(event=(data.status == 2).astype(int)).reset_index(drop=True)


def _fit(lung, x: pd.DataFrame) -> np.ndarray:
    frame = pd.concat([x, lung[["time", "event"]]], axis=1)
    return CoxPHFitter().fit(frame, "time", "event", fit_options=FIT_OPTIONS).params_[x.columns].to_numpy()


@pytest.mark.parametrize("transform", ph_test.TRANSFORMS)
def test_every_row_equals_r_cox_zph_on_lung(lung, transform):
    """R 4.2.2, survival 3.5.3: cox.zph(coxph(Surv(time, status) ~ age + sex + ph.ecog, lung,
    ties = "efron"), transform = ...); cox_zph_lung.csv."""
    x = lung[["age", "sex", "ph.ecog"]].astype(float)
    result = ph_test.cox_zph(lung.time, lung.event, x, _fit(lung, x), transform=transform)
    reference = pd.read_csv(REFERENCE / "cox_zph_lung.csv")
    reference = reference[reference["transform"] == transform].set_index("term")
    assert list(result.table.index) == list(reference.index)
    for term, row in reference.iterrows():
        assert result.table.loc[term, "chisq"] == pytest.approx(row.chisq, abs=1e-6)
        assert result.table.loc[term, "df"] == row.df
        assert result.table.loc[term, "p"] == pytest.approx(row.p, abs=1e-6)


def _partial_loglik(theta, time, event, x, g, efron):
    """Partial log-likelihood of the model with covariates x and g(t) * x, written directly."""
    p = x.shape[1]
    beta, gamma = theta[:p], theta[p:]
    total = 0.0
    for t in np.unique(time[event == 1]):
        at_risk, dead = time >= t, (time == t) & (event == 1)
        gt = g[np.flatnonzero(dead)[0]]
        score = x @ beta + gt * (x @ gamma)
        risk = np.exp(score)
        d = dead.sum()
        total += score[dead].sum()
        shares = np.arange(d) / d if efron else np.zeros(d)
        total -= np.log(risk[at_risk].sum() - shares * risk[dead].sum()).sum()
    return total


def _numeric_derivatives(theta, *args, h=1e-4):
    n = theta.size
    grad, hess = np.zeros(n), np.zeros((n, n))
    f = lambda th: _partial_loglik(th, *args)  # noqa: E731
    for i in range(n):
        e_i = np.eye(n)[i] * h
        grad[i] = (f(theta + e_i) - f(theta - e_i)) / (2 * h)
        for j in range(i, n):
            e_j = np.eye(n)[j] * h
            hess[i, j] = hess[j, i] = (
                f(theta + e_i + e_j) - f(theta + e_i - e_j) - f(theta - e_i + e_j) + f(theta - e_i - e_j)
            ) / (4 * h * h)
    return grad, -hess


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_score_and_information_equal_numerical_derivatives(lung, ties):
    sample = lung.iloc[:90]  # enough tied death times to exercise the tie handling
    x = pd.get_dummies(sample["ph.ecog"].astype(int), prefix="ecog", drop_first=True, dtype=float)
    x["age"] = sample.age.astype(float)
    time, event = sample.time.to_numpy(float), sample.event.to_numpy(float)
    beta = _fit(sample.reset_index(drop=True), x.reset_index(drop=True))
    g_raw = ph_test._time_transform(time, event, np.ones_like(time), "km")
    g = g_raw - g_raw[event == 1].mean()
    u, info, _ = ph_test._score_and_information(
        time, event, x.to_numpy(), x.to_numpy() @ beta, np.ones_like(time), g, ties == "efron"
    )
    theta = np.concatenate([beta, np.zeros_like(beta)])
    grad, expected_info = _numeric_derivatives(theta, time, event, x.to_numpy(), g, ties == "efron")
    assert np.allclose(u[beta.size :], grad[beta.size :], atol=1e-5)
    assert np.allclose(info, expected_info, rtol=1e-4, atol=1e-4)


def _loop_score_and_information(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, eta: np.ndarray, weights: np.ndarray, g: np.ndarray, efron: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The direct form of ph_test._score_and_information: one distinct time after another,
    latest first, as survival's C code accumulates them."""
    n, p = x.shape
    x = x - x.mean(axis=0)  # centring leaves U and I unchanged and keeps the sums stable
    risk = np.exp(eta - eta.max()) * weights  # a constant factor cancels in every ratio
    u, info = np.zeros(2 * p), np.zeros((2 * p, 2 * p))
    denom, a, cmat = 0.0, np.zeros(p), np.zeros((p, p))
    residuals: list[np.ndarray] = []
    order = np.lexsort((-event, -time))  # by time descending
    boundaries = np.flatnonzero(np.diff(time[order])) + 1
    for block in np.split(order, boundaries):  # each distinct time, latest first
        dead, alive = block[event[block] == 1], block[event[block] == 0]
        r_alive = risk[alive]
        denom += r_alive.sum()
        a += r_alive @ x[alive]
        cmat += (x[alive] * r_alive[:, None]).T @ x[alive]
        if dead.size == 0:
            continue
        xd, rd, wd = x[dead], risk[dead], weights[dead]
        gt = g[dead[0]]
        u[:p] += wd @ xd
        u[p:] += gt * (wd @ xd)
        denom2, a2, cmat2 = rd.sum(), rd @ xd, (xd * rd[:, None]).T @ xd
        # Efron: the tied deaths enter the risk set a 1/d share at a time (d terms); Breslow: at once.
        steps = [1 / dead.size] * dead.size if efron else [1.0]
        share = wd.sum() * steps[0]
        means = []
        for step in steps:
            denom += denom2 * step
            a += a2 * step
            cmat += cmat2 * step
            mean = a / denom
            means.append(mean)
            u[:p] -= share * mean
            u[p:] -= gt * share * mean
            block_info = share * (cmat / denom - np.outer(mean, mean))
            info[:p, :p] += block_info
            info[:p, p:] += gt * block_info
            info[p:, p:] += gt * gt * block_info
        residuals.extend(xd - np.mean(means, axis=0))
    info[p:, :p] = info[:p, p:].T
    schoenfeld = np.array(residuals[::-1]).reshape(-1, p)  # back into time order
    return u, info, schoenfeld


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize(("n", "p", "weighted"), [(60, 1, False), (500, 3, False), (3000, 6, True)])
def test_score_and_information_equal_the_loop_over_distinct_times(ties, n, p, weighted):
    """The vectorised sums give the loop's U, I and Schoenfeld residuals, ties of deaths and of
    censored times included (few distinct times, so most times are tied)."""
    rng = np.random.default_rng(n + p)
    time = rng.integers(1, n // 4 + 2, n).astype(float)
    event = (rng.random(n) < 0.55).astype(float)
    x = rng.normal(size=(n, p))
    weights = rng.uniform(0.5, 2, n) if weighted else np.ones(n)
    g_raw = ph_test._time_transform(time, event, weights, "km")
    g = g_raw - g_raw[event == 1].mean()
    eta = x @ rng.normal(scale=0.3, size=p)
    expected = _loop_score_and_information(time, event, x, eta, weights, g, ties == "efron")
    got = ph_test._score_and_information(time, event, x, eta, weights, g, ties == "efron")
    for name, want, have in zip(("U", "I", "residuals"), expected, got, strict=True):
        assert have.shape == want.shape, name
        assert np.allclose(have, want, rtol=1e-10, atol=1e-10), name


def test_tables_by_term_reuse_the_score_and_information(lung):
    x = pd.get_dummies(lung["ph.ecog"].astype(int), prefix="ecog", drop_first=True, dtype=float)
    x["age"] = lung.age.astype(float)
    beta = _fit(lung, x)
    terms = {"ph.ecog": [c for c in x.columns if c.startswith("ecog")], "age": ["age"]}
    direct = ph_test.cox_zph(lung.time, lung.event, x, beta, terms=terms).table
    reused = ph_test.cox_zph(lung.time, lung.event, x, beta).by_terms(terms)
    pd.testing.assert_frame_equal(reused, direct)


def test_a_factor_is_tested_with_all_its_columns_together(lung):
    x = pd.get_dummies(lung["ph.ecog"].astype(int), prefix="ecog", drop_first=True, dtype=float)
    x["age"] = lung.age.astype(float)
    beta = _fit(lung, x)
    ecog = [c for c in x.columns if c.startswith("ecog")]
    by_term = ph_test.cox_zph(lung.time, lung.event, x, beta, terms={"ph.ecog": ecog, "age": ["age"]}).table
    by_column = ph_test.cox_zph(lung.time, lung.event, x, beta).table
    assert by_term.loc["ph.ecog", "df"] == len(ecog) == 3
    assert by_term.loc["age", "chisq"] == pytest.approx(by_column.loc["age", "chisq"], rel=1e-12)
    assert by_term.loc["GLOBAL", "chisq"] == pytest.approx(by_column.loc["GLOBAL", "chisq"], rel=1e-12)


def test_cox_compares_with_the_clinical_reference_level():
    rng = np.random.default_rng(5)
    grades = rng.choice(["50-69%", "70-99%", "occlusion", "<50%"], 400)
    data = pd.DataFrame(
        {
            "stenosis_grade": grades,
            "duration_days": rng.exponential(800, 400).round() + 1,
            "observed": rng.random(400) < 0.6,
            "age_years": rng.integers(20, 80, 400),
        }
    )
    result = survival.cox(data, "stenosis_grade", ["age_years"])
    assert result.reference == "<50%"
    assert list(result.hazard_ratios.level) == ["50-69%", "70-99%", "occlusion"]
    assert set(result.ph_tests.index) == {"stenosis_grade", "age_years", "GLOBAL"}
    assert result.ph_tests.loc["stenosis_grade", "df"] == 3
    arm = survival.cox(data.assign(arm=np.where(rng.random(400) < 0.5, "stent", "medical")), "arm", [])
    assert arm.reference == "medical" and list(arm.hazard_ratios.level) == ["stent"]
    age = survival.cox(data.assign(age_group=np.where(data.age_years < 50, "<50", "65+")), "age_group", [])
    assert age.reference == "<50"


@pytest.mark.parametrize(
    ("group", "expected"),
    [("stenosis_grade", {"70-99%": 0.244, "occlusion": 0.232}), ("study_id", {"TRIAL": 0.197})],
)
def test_demo_cohort_matches_the_r_values_quoted_in_the_issue(demo_con, group, expected):
    """R cox.zph(transform = "rank") on primary patency of the demo cohort, as quoted in issue 16
    (three decimals); the page itself uses R's default KM transform."""
    from pts_explorer import db
    from pts_explorer.filters import CohortFilter

    params = {
        **CohortFilter().as_params(),
        "endpoint": "primary_patency",
        "group": group,
        "max_patients": 20000,
        "randomized_only": False,
    }
    data = db.run_query(demo_con, "cox_data", params)
    result = survival.cox(data, group, [])
    rank = ph_test.cox_zph(
        data.duration_days,
        data.observed.astype(int),
        result.design.x,
        np.log(result.hazard_ratios.hr.to_numpy()),
        transform="rank",
    )
    for level, p in expected.items():
        assert rank.table.loc[f"{group}[{level}]", "p"] == pytest.approx(p, abs=5e-4)
