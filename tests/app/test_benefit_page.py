"""Who benefits (#26), read off the page and recomputed independently: the seed's question (high-grade
common iliac against femoral obstruction, randomized patients, month 6) from the contract tables with
pandas and a statsmodels formula (not the app's queries or its design matrices), whole cells compared."""

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from pts_explorer import escape
from tests.app.test_safety_durability import _values

SEED = {"groups": ["common_iliac", "femoral"]}
ARM = "C(arm, Treatment('medical'))"


def _page(app_on, demo_db, query: dict):
    at = app_on(demo_db, query)
    at.switch_page("app_pages/benefit.py").run()
    assert not at.exception, at.exception
    return at


def _table(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _analysis_set(con, month: int = 6, randomized: bool = True) -> pd.DataFrame:
    patients = con.table("patients").df()
    visits = con.table("visits").df()
    studies = con.table("studies").df()
    score = visits.pivot_table(index="patient_id", columns="visit_month", values="villalta_total", aggfunc="max")
    both = score[[0, month]].dropna()
    rows = patients.set_index("patient_id").loc[both.index].copy()
    if randomized:
        trial = set(studies.study_id[studies.design == "randomized"])
        rows = rows[rows.study_id.isin(trial)]
    rows["site"] = np.where(rows.stenosis_pct >= 70, rows.obstruction_site, "below_70")
    rows["baseline"] = both[0]
    rows["change"] = both[month] - both[0]
    return rows.reset_index()


def _signed(value: float, decimals: int = 2) -> str:
    return f"{value:+.{decimals}f}"


def _interval(low: float, high: float) -> str:
    return f"{low:.2f} to {high:.2f}"


def _p(p: float) -> str:
    return "<0.0001" if p < 0.0001 else f"{p:.4f}" if p < 0.001 else f"{p:.3f}"


def test_the_seed_question_gives_the_effects_the_difference_and_its_test(app_on, demo_db, demo_con):
    data = _analysis_set(demo_con)
    part = data[data.site.isin(["common_iliac", "femoral"])]
    at = _page(app_on, demo_db, SEED)

    groups = _table(at, "Group")
    want = []
    for site, label in (("common_iliac", "Common iliac, 70%+"), ("femoral", "Femoral, 70%+")):
        sub = part[part.site == site]
        fit = smf.ols(f"change ~ {ARM} + baseline", sub).fit()
        term = f"{ARM}[T.stent]"
        low, high = fit.conf_int().loc[term]
        want.append(
            [
                label,
                f"{(sub.arm == 'stent').sum():,}",
                f"{(sub.arm == 'medical').sum():,}",
                _signed(fit.params[term]),
                _interval(low, high),
                _p(fit.pvalues[term]),
                "randomized",  # trial patients only
            ]
        )
    assert groups.astype(str).values.tolist() == want

    within = "C(site, Treatment('common_iliac'))"
    joint = smf.ols(f"change ~ {ARM} * {within} + baseline * {within}", part).fit()
    term = f"{ARM}[T.stent]:C(site, Treatment('common_iliac'))[T.femoral]"
    low, high = joint.conf_int().loc[term]
    differences = _table(at, "Difference in effect")
    assert differences.astype(str).values.tolist() == [
        [
            "Femoral, 70%+ − Common iliac, 70%+",
            _signed(joint.params[term]),
            _interval(low, high),
            _p(joint.pvalues[term]),
            _p(joint.pvalues[term]),  # one difference: Holm leaves it as it is
        ]
    ]
    tests = [c.value for c in at.caption if c.value.startswith("One difference on screen")]
    assert tests == [
        f"One difference on screen, its p unadjusted: interaction F-test on 1 and {joint.df_resid:.0f} degrees of "
        f"freedom, p = {_p(joint.pvalues[term])}."
    ]
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["layout"]["title"]["text"] == (
        "Stent effect on Villalta total at month 6 by site of a high-grade obstruction, and the differences"
    )
    diamonds = next(t for t in figure["data"] if t["name"] == "Difference in effect between groups")
    assert diamonds["x"] == pytest.approx([joint.params[term]], rel=1e-9)


def test_three_groups_show_holm_adjusted_differences_and_one_joint_test(app_on, demo_db, demo_con):
    data = _analysis_set(demo_con)
    sites = ["common_iliac", "common_femoral", "femoral"]
    part = data[data.site.isin(sites)]
    at = _page(app_on, demo_db, {"groups": sites})
    reference = max(sites, key=lambda s: int((part.site == s).sum()))  # the page's default: the largest group
    others = [s for s in sites if s != reference]
    group = f"C(site, Treatment({reference!r}))"
    full = smf.ols(f"change ~ {ARM} * {group} + baseline * {group}", part).fit()
    terms = [f"{ARM}[T.stent]:{group}[T.{s}]" for s in others]
    raw = [full.pvalues[t] for t in terms]
    holm = sorted(raw)
    adjusted_sorted = [min(1.0, max(p * (len(raw) - i) for i, p in enumerate(holm[: k + 1]))) for k in range(2)]
    holm_by_term = {p: a for p, a in zip(holm, adjusted_sorted, strict=True)}
    differences = _table(at, "Difference in effect")
    assert list(differences["p (interaction)"]) == [_p(p) for p in raw]
    assert list(differences["p, Holm-adjusted"]) == [_p(holm_by_term[p]) for p in raw]
    names = list(full.params.index)
    f_test = full.f_test(np.array([[1.0 if n == t else 0.0 for n in names] for t in terms]))
    caption = next(c.value for c in at.caption if c.value.startswith("2 differences on screen"))
    assert caption == (
        "2 differences on screen: the Holm-adjusted p keeps the chance of any false claim among them at 5%. All "
        f"groups at once: interaction F-test on 2 and {full.df_resid:.0f} degrees of freedom, "
        f"{'p < 0.0001' if float(f_test.pvalue) < 0.0001 else 'p = ' + _p(float(f_test.pvalue))}."
    )


def test_with_registry_patients_the_page_says_the_difference_is_observational(app_on, demo_db, demo_con):
    at = _page(app_on, demo_db, {**SEED, "registry": "True"})
    bullets = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(bullets) == 1
    lines = escape.markdown_text(bullets[0]).split("\n")
    assert lines[0] == (
        "- Registry patients included: the arms were not randomized, so each group's effect, and the difference "
        "between groups, is observational."
    )
    pooled = _analysis_set(demo_con, randomized=False)
    part = pooled[pooled.site.isin(SEED["groups"])]
    group = "C(site, Treatment('common_iliac'))"
    fit = smf.ols(f"change ~ {ARM} * {group} + baseline * {group} + C(study_id) * {group}", part).fit()
    term = f"{ARM}[T.stent]:C(site, Treatment('common_iliac'))[T.femoral]"
    low, high = fit.conf_int().loc[term]
    assert low > 0  # the demo's pooled difference excludes 0: the line says so, and where the benefit is larger
    assert lines[1:2] == [  # then the consistency lines (their own test)
        "- The stent's benefit is smaller in Femoral, 70%+ than in Common iliac, 70%+: difference in effect "
        f"{fit.params[term]:+.2f} points (95% CI {low:.2f} to {high:.2f}); the CI excludes 0."
    ]


def test_the_curve_along_stenosis_equals_the_spline_model(app_on, demo_db, demo_con):
    at = _page(app_on, demo_db, {"modifier": "stenosis_pct"})
    figure = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert figure["layout"]["title"]["text"] == "Stent effect on Villalta total at month 6 along stenosis, %"
    line = next(t for t in figure["data"] if t.get("name") == "Stent − medical")
    data = _analysis_set(demo_con)
    x = data.stenosis_pct.astype(float)
    k1, k2 = np.quantile(x, [1 / 3, 2 / 3])
    spline = (
        f"cr(stenosis_pct, knots=({k1!r}, {k2!r}), lower_bound={x.min()!r}, upper_bound={x.max()!r}, "
        "constraints='center')"
    )
    fit = smf.ols(f"change ~ {ARM} * {spline} + baseline", data).fit()
    grid = pd.DataFrame({"stenosis_pct": np.linspace(x.min(), x.max(), 50), "baseline": data.baseline.mean()})
    stent = fit.predict(grid.assign(arm="stent"))
    medical = fit.predict(grid.assign(arm="medical"))
    assert line["x"] == grid.stenosis_pct.tolist()
    assert np.allclose(line["y"], (stent - medical).to_numpy(), rtol=1e-9, atol=1e-9)
    rug = {
        t["name"]: dict(zip(_values(t["x"]).tolist(), _values(t["customdata"]).tolist(), strict=True))
        for t in figure["data"]
        if t.get("name", "").startswith("Patients, ")
    }
    assert rug == {
        f"Patients, {arm}": data.stenosis_pct[data.arm == arm].astype(float).value_counts().to_dict()
        for arm in ("stent", "medical")
    }


HIGH_GRADE_CIV_CFV = {"site": ["common_iliac", "common_femoral"], "grade": ["70-99%", "occlusion"]}


def _joint_difference(part: pd.DataFrame, column: str, reference: str, level: str) -> list[str]:
    """The difference in effect of `level` against `reference` from the groups' ANCOVAs in one model."""
    group = f"C({column}, Treatment({reference!r}))"
    study = f" + C(study_id) * {group}" if part.study_id.nunique() > 1 else ""
    fit = smf.ols(f"change ~ {ARM} * {group} + baseline * {group}{study}", part).fit()
    term = f"{ARM}[T.stent]:{group}[T.{level}]"
    low, high = fit.conf_int().loc[term]
    return [_signed(fit.params[term]), _interval(low, high), _p(fit.pvalues[term])]


def test_two_cohorts_one_inside_the_other_set_b_against_the_rest_of_a(app_on, demo_db, demo_con):
    """The sidebar's cohort (everyone) against the named subgroup of high-grade common iliac or femoral
    obstruction: B is inside A, so A's side is A without B's patients, and the difference is A - B."""
    data = _analysis_set(demo_con)
    in_b = data.obstruction_site.isin(HIGH_GRADE_CIV_CFV["site"]) & data.stenosis_grade.isin(
        HIGH_GRADE_CIV_CFV["grade"]
    )
    data["side"] = np.where(in_b, "B", "A")
    at = _page(app_on, demo_db, {"by": "cohorts"})

    groups = _table(at, "Group")
    want = []
    for side, label in (("A", "A without B"), ("B", "B")):
        sub = data[data.side == side]
        fit = smf.ols(f"change ~ {ARM} + baseline", sub).fit()
        low, high = fit.conf_int().loc[f"{ARM}[T.stent]"]
        want.append(
            [
                label,
                f"{(sub.arm == 'stent').sum():,}",
                f"{(sub.arm == 'medical').sum():,}",
                _signed(fit.params[f"{ARM}[T.stent]"]),
                _interval(low, high),
                _p(fit.pvalues[f"{ARM}[T.stent]"]),
                "randomized",
            ]
        )
    assert groups.astype(str).values.tolist() == want
    difference = _joint_difference(data, "side", "B", "A")
    assert _table(at, "Difference in effect").astype(str).values.tolist() == [
        ["A without B − B", *difference, difference[-1]]
    ]
    where = next(c.value for c in at.caption if c.value.startswith("**A**"))
    assert where == (
        "**A**: The sidebar's filters (All patients). **B**: 70%+ obstruction of the common iliac or common femoral "
        "vein (Common iliac, Common femoral; 70-99%, Occlusion). Where the stent's benefit is expected to be largest "
        "(docs/clinical.md). Every patient of B is in A: B is compared with the rest of A (A without B)."
    )


def test_two_overlapping_cohorts_leave_the_patients_in_both_out(app_on, demo_db, demo_con):
    """Femoral obstruction against high-grade obstruction at another site (the femoral vein among them):
    high-grade femoral patients are in both, so each side holds only the patients of its own cohort."""
    data = _analysis_set(demo_con, randomized=False)
    femoral = data.obstruction_site.eq("femoral")
    other = data.obstruction_site.isin(["ivc", "external_iliac", "femoral"]) & data.stenosis_grade.isin(
        ["70-99%", "occlusion"]
    )
    assert (femoral & other).any() and (femoral & ~other).any() and (other & ~femoral).any()  # a partial overlap
    data["side"] = np.where(femoral & ~other, "A", np.where(other & ~femoral, "B", "both"))
    at = _page(
        app_on, demo_db, {"by": "cohorts", "a": "sub:femoral_only", "b": "sub:high_grade_other", "registry": "True"}
    )
    groups = _table(at, "Group")
    assert groups[["Group", "n stent", "n medical"]].astype(str).values.tolist() == [
        [
            label,
            f"{((data.side == side) & (data.arm == 'stent')).sum():,}",
            f"{((data.side == side) & (data.arm == 'medical')).sum():,}",
        ]
        for side, label in (("A", "A only"), ("B", "B only"))
    ]
    part = data[data.side != "both"]
    difference = _joint_difference(part, "side", "B", "A")
    assert _table(at, "Difference in effect").astype(str).values.tolist() == [
        ["A only − B only", *difference, difference[-1]]
    ]


def _long(con, randomized: bool = True) -> pd.DataFrame:
    """Every scheduled post-baseline Villalta of patients with a baseline one, with its change."""
    patients = con.table("patients").df()
    visits = con.table("visits").df()
    studies = con.table("studies").df().set_index("study_id")
    scheduled = visits[
        [
            m in studies.visit_months[s]
            for m, s in zip(
                visits.visit_month, visits.patient_id.map(patients.set_index("patient_id").study_id), strict=True
            )
        ]
    ]
    score = scheduled.dropna(subset=["villalta_total"])
    base = score[score.visit_month == 0].set_index("patient_id").villalta_total
    later = score[(score.visit_month > 0) & score.patient_id.isin(base.index)]
    rows = later[["patient_id", "visit_month", "villalta_total"]].merge(patients, on="patient_id")
    if randomized:
        rows = rows[rows.study_id.isin(studies.index[studies.design == "randomized"])]
    rows["baseline"] = rows.patient_id.map(base)
    rows["change"] = rows.villalta_total - rows.baseline
    rows["site"] = np.where(rows.stenosis_pct >= 70, rows.obstruction_site, "below_70")
    return rows.sort_values(["patient_id", "visit_month"]).reset_index(drop=True)


def test_the_mmrm_in_each_group_and_the_difference_of_independent_estimates(app_on, demo_db, demo_con):
    from scipy import stats

    from pts_explorer.analytics import effects  # the MMRM itself is checked against R in tests/unit

    long = _long(demo_con)
    at = _page(app_on, demo_db, SEED)
    fits = {}
    for site in SEED["groups"]:
        result = effects.mmrm_effects(long[long.site == site])
        fits[site] = result.effects.set_index("visit_month").loc[6]
    femoral, iliac = fits["femoral"], fits["common_iliac"]
    estimate = femoral.estimate - iliac.estimate
    se = np.sqrt(femoral.se**2 + iliac.se**2)
    df = (femoral.se**2 + iliac.se**2) ** 2 / (femoral.se**4 / femoral.df + iliac.se**4 / iliac.df)
    t = stats.t.ppf(0.975, df)
    table = _table(at, "Difference from Common iliac, 70%+")
    assert table.astype(str).values.tolist() == [
        [
            "Common iliac, 70%+",
            f"{int(iliac.n_stent):,}",
            f"{int(iliac.n_medical):,}",
            _signed(iliac.estimate),
            _interval(iliac.ci_low, iliac.ci_high),
            _p(iliac.p_value),
            "reference",
            "",
            "",
        ],
        [
            "Femoral, 70%+",
            f"{int(femoral.n_stent):,}",
            f"{int(femoral.n_medical):,}",
            _signed(femoral.estimate),
            _interval(femoral.ci_low, femoral.ci_high),
            _p(femoral.p_value),
            _signed(estimate),
            _interval(estimate - t * se, estimate + t * se),
            _p(2 * stats.t.sf(abs(estimate) / se, df)),
        ],
    ]


def _recurrent_dvt(con) -> pd.DataFrame:
    """Time from enrolment to the first recurrent DVT, censored at death or last contact, per patient."""
    patients = con.table("patients").df()
    events = con.table("events").df()
    first = events.groupby(["patient_id", "event_type"]).event_day.min().unstack()
    rows = patients.set_index("patient_id")
    event = first.get("recurrent_dvt").reindex(rows.index)
    death = first.get("death").reindex(rows.index)
    last = rows.last_contact_day
    observed = event.notna() & (event <= last) & (death.isna() | (event <= death))
    end = pd.concat([event.fillna(np.inf), death.fillna(np.inf), last], axis=1).min(axis=1)
    rows["duration_days"] = end.clip(lower=0)
    rows["observed"] = observed.astype(int)
    rows["site"] = np.where(rows.stenosis_pct >= 70, rows.obstruction_site, "below_70")
    return rows.reset_index()


def test_hazard_ratios_in_each_group_and_their_ratio_equal_cox_models_of_the_contract_tables(app_on, demo_db, demo_con):
    from lifelines import CoxPHFitter

    data = _recurrent_dvt(demo_con)
    at = _page(app_on, demo_db, {"registry": "True", "groups": ["common_iliac", "femoral", "below_70"]})
    table = _table(at, "Events, stent")
    with_events = [
        site
        for site in ("common_iliac", "femoral", "below_70")
        if data[(data.site == site)].groupby("arm")["observed"].sum().reindex(["stent", "medical"]).gt(0).all()
    ]
    assert len(with_events) >= 2  # the demo has recurrent DVTs in both arms of these groups, all studies pooled
    reference = table.iloc[0, 0]
    labels = {"common_iliac": "Common iliac, 70%+", "femoral": "Femoral, 70%+", "below_70": "Below 70%, any site"}
    order = sorted(with_events, key=lambda s: labels[s] != reference)
    part = data[data.site.isin(order)].assign(stent=lambda d: (d.arm == "stent").astype(float))
    want = []
    for site in order:
        sub = part[part.site == site]
        fit = CoxPHFitter(strata=["study_id"]).fit(
            sub[["duration_days", "observed", "stent", "study_id"]], "duration_days", "observed"
        )
        hr = fit.summary.loc["stent"]
        row = [
            labels[site],
            f"{(sub.arm == 'stent').sum():,}",
            f"{(sub.arm == 'medical').sum():,}",
            f"{int(sub.observed[sub.arm == 'stent'].sum()):,}",
            f"{int(sub.observed[sub.arm == 'medical'].sum()):,}",
            f"{hr['exp(coef)']:.2f}",
            _interval(hr["exp(coef) lower 95%"], hr["exp(coef) upper 95%"]),
            _p(hr["p"]),
        ]
        want.append(row)
    for site in order[1:]:
        part[f"in_{site}"] = (part.site == site).astype(float)
        part[f"stent_{site}"] = part.stent * part[f"in_{site}"]
    columns = ["stent", *(c for s in order[1:] for c in (f"in_{s}", f"stent_{s}"))]
    joint = CoxPHFitter(strata=["study_id"]).fit(
        part[["duration_days", "observed", "study_id", *columns]], "duration_days", "observed"
    )
    want[0] += ["reference", "", ""]
    for row, site in zip(want[1:], order[1:], strict=True):
        ratio = joint.summary.loc[f"stent_{site}"]
        row += [
            f"{ratio['exp(coef)']:.2f}",
            _interval(ratio["exp(coef) lower 95%"], ratio["exp(coef) upper 95%"]),
            _p(ratio["p"]),
        ]
    assert table.astype(str).values.tolist() == want


def test_the_reading_says_whether_the_difference_holds_at_other_visits_and_on_other_outcomes(app_on, demo_db, demo_con):
    """The seed's difference (femoral against common iliac, Villalta at month 6), recomputed at every
    other visit from the contract tables and on every other outcome at month 6, counted by direction."""
    from pts_explorer import vocab

    at = _page(app_on, demo_db, SEED)
    long = _long(demo_con)
    part = long[long.site.isin(SEED["groups"])]
    month6 = _analysis_set(demo_con)
    seed = _joint_difference(month6[month6.site.isin(SEED["groups"])], "site", "common_iliac", "femoral")
    main = float(seed[0])
    low6, high6 = (float(v) for v in seed[1].split(" to "))
    claimed = low6 > 0 or high6 < 0  # one difference: its CI alone says whether it supports a claim
    subject = "the stent's benefit is" if claimed else "the point estimate of the stent's benefit is"
    nothing = "" if claimed else ": no evidence of a difference"
    smaller = main > 0  # Villalta: lower is better, so a positive difference is a smaller benefit in femoral
    way = f"{'smaller' if smaller else 'larger'} in Femoral, 70%+ than in Common iliac, 70%+"
    same, clear, visits = [], [], sorted(m for m in part.visit_month.unique() if m != 6)
    for month in visits:
        estimate, interval, _ = _joint_difference(part[part.visit_month == month], "site", "common_iliac", "femoral")
        if (float(estimate) > 0) == smaller:
            same.append(month)
        low, high = (float(v) for v in interval.split(" to "))
        if low > 0 or high < 0:
            clear.append(month)
    months = lambda ms: ("month " if len(ms) == 1 else "months ") + ", ".join(str(m) for m in ms)  # noqa: E731
    visit_line = (
        f"- Across visits (Villalta total; not adjusted for multiplicity): {subject} {way}, as at month 6, at "
        f"{len(same)} of the "
        f"{len(visits)} other visits with an estimate"
        + (f" ({months(same)})" if same and len(same) < len(visits) else "")
        + (f"; the CI excludes 0 at {months(clear)}" if clear else "; the CI includes 0 at each of them" + nothing)
        + "."
    )
    patients = demo_con.table("patients").df().set_index("patient_id")
    visits_table = demo_con.table("visits").df()
    same_outcomes, other_outcomes, clear_outcomes = [], [], []
    for column, spec in vocab.OUTCOMES.items():
        if column == "villalta_total":
            continue
        score = visits_table.pivot_table(index="patient_id", columns="visit_month", values=column, aggfunc="max")
        both = score[[0, 6]].dropna()
        rows = patients.loc[both.index].assign(baseline=both[0], change=both[6] - both[0])
        rows = rows[rows.study_id.isin(month6.study_id.unique())]
        rows["site"] = np.where(rows.stenosis_pct >= 70, rows.obstruction_site, "below_70")
        rows = rows[rows.site.isin(SEED["groups"])]
        estimate, interval, _ = _joint_difference(rows, "site", "common_iliac", "femoral")
        (same_outcomes if ((float(estimate) > 0) == spec.higher_is_better) == (not smaller) else other_outcomes).append(
            spec.label
        )
        low, high = (float(v) for v in interval.split(" to "))
        if low > 0 or high < 0:
            clear_outcomes.append(spec.label)
    n = len(same_outcomes) + len(other_outcomes)
    outcome_line = (
        f"- Across outcomes at month 6 (not adjusted for multiplicity): {subject} {way} on {len(same_outcomes)} of "
        f"the {n} other "
        "outcomes with an estimate"
        + (f" (not on {', '.join(other_outcomes)})" if other_outcomes and same_outcomes else "")
        + (
            f"; the CI excludes 0 on {', '.join(clear_outcomes)}"
            if clear_outcomes
            else "; the CI includes 0 on each" + nothing
        )
        + "."
    )
    bullets = escape.markdown_text(next(m.value for m in at.markdown if m.value.startswith("- "))).split("\n")
    assert bullets[2:] == [visit_line, outcome_line]


def test_a_prespecified_subgroup_is_named_with_where_it_was_specified(app_on, demo_db, tmp_path):
    """The operator's subgroups file (beside the outcomes file) says where a subgroup was specified; its
    text is shown as text (a Markdown star stays a star)."""
    import shutil

    served = tmp_path / "pts_outcomes.duckdb"
    shutil.copy(demo_db, served)
    (tmp_path / "subgroups.toml").write_text(
        'version = 1\n[[subgroup]]\nname = "civ_high"\nlabel = "High-grade *common iliac*"\n'
        'site = ["common_iliac"]\ngrade = ["70-99%", "occlusion"]\nprespecified = "SAP v1.0, section 9.4"\n',
        encoding="utf-8",
    )
    at = _page(app_on, served, {"by": "cohorts", "b": "sub:civ_high"})
    notes = [c.value for c in at.caption if "specified before the data" in c.value]
    assert notes == [
        "B (High-grade \\*common iliac\\*) was specified before the data were seen: SAP v1.0, section 9.4. This "
        "comparison is confirmatory only if the protocol named it, with its outcome and visit; otherwise it is "
        "exploratory."
    ]
    exploratory = [c.value for c in at.caption if c.value.startswith("Groups chosen on this page")]
    assert exploratory == []


def test_groups_of_different_designs_are_named_each_with_its_own(app_on, demo_db):
    """Trial patients of the sidebar (A) against a named subgroup of every study (B): A only is randomized,
    B only (registry patients) observational; the reading names each, and the difference is observational."""
    at = _page(app_on, demo_db, {"by": "cohorts", "study": "TRIAL", "registry": "True"})
    groups = _table(at, "Group")
    assert groups[["Group", "Design"]].values.tolist() == [
        ["A only", "randomized"],  # trial patients outside B
        ["B only", "observational"],  # B's patients outside the trial: registry patients
    ]
    bullets = escape.markdown_text(next(m.value for m in at.markdown if m.value.startswith("- "))).split("\n")
    assert bullets[0] == (
        "- The groups differ in design (A only: randomized; B only: observational): a "
        "randomized group's effect compares randomized arms, the others' are observational, and a difference "
        "between groups is observational."
    )


def test_the_curve_over_high_grade_groups_places_its_knots_inside_the_range(app_on, demo_db, demo_con):
    """Many high-grade patients have 100% (an occlusion): the upper tertile falls on the range's end, so
    the knots are the tertiles of the values strictly inside it (the page drew nothing before and blamed
    the number of patients)."""
    data = _analysis_set(demo_con)
    part = data[data.site.isin(SEED["groups"])]
    x = part.stenosis_pct.astype(float)
    assert np.quantile(x, 2 / 3) == x.max()  # the case: a tertile on the range's end
    inside = x[(x > x.min()) & (x < x.max())]
    k1, k2 = np.quantile(inside, [1 / 3, 2 / 3])
    at = _page(app_on, demo_db, SEED)
    from statsmodels.stats.anova import anova_lm

    spline = (
        f"cr(stenosis_pct, knots=({k1!r}, {k2!r}), lower_bound={x.min()!r}, upper_bound={x.max()!r}, "
        "constraints='center')"
    )
    full = smf.ols(f"change ~ {ARM} * {spline} + baseline", part).fit()
    test = anova_lm(smf.ols(f"change ~ {ARM} + {spline} + baseline", part).fit(), full).iloc[1]
    p = "p < 0.0001" if test["Pr(>F)"] < 0.0001 else f"p = {_p(test['Pr(>F)'])}"
    caption = next(c.value for c in at.caption if c.value.startswith("ANCOVA with arm × a natural cubic spline"))
    assert caption == (
        "ANCOVA with arm × a natural cubic spline of stenosis, % (interior knots at the tertiles of its values inside "
        f"its range (the tertiles of all fall on an end), {k1:.1f} and {k2:.1f}, dotted; boundary knots at "
        f"{x.min():.1f} and {x.max():.1f}), adjusted for the baseline value (and study when pooled), over the "
        "patients of the groups above; pointwise 95% CI. Whether the effect changes along it: F-test of the arm × "
        f"spline terms on {int(test.df_diff)} and {full.df_resid:.0f} degrees of freedom, {p}. The ticks below the "
        "curve are the values the patients have (hover: how many); where they are few, the band is wide and the "
        "curve says little."
    )
    assert not [i.value for i in at.info if "cannot be drawn" in i.value]
