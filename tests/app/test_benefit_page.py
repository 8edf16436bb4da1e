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
    at = app_on(demo_db, query).run()
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
    assert lines[1:] == [
        "- The stent's benefit is smaller in Femoral, 70%+ than in Common iliac, 70%+ by "
        f"{fit.params[term]:.2f} points (95% CI {low:.2f} to {high:.2f}); the CI excludes 0."
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
