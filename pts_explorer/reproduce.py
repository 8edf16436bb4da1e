"""Python snippets that reproduce a number on screen from the DuckDB file with pandas and
statsmodels, shown in each "How this was computed" expander and executed by the tests.

Every snippet ends by binding `result`; tests/unit/test_reproduce.py runs them and compares.
"""

from __future__ import annotations

from pathlib import Path

from pts_explorer import db
from pts_explorer.analytics.effects import ARM_TERM
from pts_explorer.analytics.responders import IMPUTATIONS
from pts_explorer.vocab import DAYS_PER_YEAR


def _load(name: str, params: dict, path: Path, var: str = "data", connect: bool = True) -> str:
    """Code that runs queries/<name>.sql on the file into DataFrame `var` (connecting first)."""
    text, bound = db.bind_params(name, params)
    opening = f"import duckdb\n\ncon = duckdb.connect({str(path)!r}, read_only=True)\n" if connect else ""
    return opening + f"params = {bound!r}\n" + f'{var} = con.execute("""\n{text}\n""", params).df()\n'


def ancova(params: dict, path: Path, formula: str) -> str:
    return _load("analysis_visit", params, path) + (
        "\nimport statsmodels.formula.api as smf\n\n"
        f"fit = smf.ols({formula!r}, data=data).fit()\n"
        f"term = {ARM_TERM!r}\n"
        "low, high = fit.conf_int().loc[term]\n"
        'result = {"estimate": fit.params[term], "ci_low": low, "ci_high": high, "p_value": fit.pvalues[term]}\n'
        "print(result)\n"
    )


def mmrm(params: dict, path: Path, study: str, method: str, covariance: str) -> str:
    reml = method == "reml"
    structure = "unstructured" if covariance == "unstructured" else "compound symmetry"
    r_covariance = "us" if structure == "unstructured" else "cs"
    return _load("analysis_long", params, path) + (
        "\n# No Python library fits this MMRM (unstructured covariance by REML with Satterthwaite df):\n"
        "# statsmodels' MixedLM has random effects only. The app's implementation, tested against R, is\n"
        "# pts_explorer.analytics.mmrm. The same model in R (package mmrm, then emmeans):\n"
        f"#   fit <- mmrm::mmrm(change ~ arm * visit + baseline * visit + {r_covariance}(visit | patient_id),\n"
        f"#                     data = transform(part, visit = factor(visit_month)), reml = {str(reml).upper()})\n"
        "#   emmeans::emmeans(fit, pairwise ~ arm | visit)\n"
        "from pts_explorer.analytics import mmrm\n\n"
        f"part = data[data.study_id == {study!r}]\n"
        f"fit = mmrm.fit(part, reml={reml}, structure={structure!r})\n"
        f"table = mmrm.visit_effects(fit, part, {'satterthwaite' if reml else 'asymptotic'!r})\n"
        "result = table.set_index('visit_month')[['estimate', 'ci_low', 'ci_high', 'p_value']].to_dict('index')\n"
        "print(table)\n"
    )


def subgroups(params: dict, path: Path, factors: list[str]) -> str:
    return _load("analysis_visit", params, path) + (
        "\nimport statsmodels.formula.api as smf\n"
        "from statsmodels.stats.anova import anova_lm\n\n"
        f"arm, term = \"C(arm, Treatment('medical'))\", {ARM_TERM!r}\n"
        "\n\ndef estimable(sub):\n"
        "    return min((sub.arm == 'stent').sum(), (sub.arm == 'medical').sum()) >= 3\n\n\n"
        "result = {}\n"
        f"for factor in {factors!r}:\n"
        "    for level, sub in data.groupby(factor):\n"
        "        if estimable(sub):  # otherwise shown as 'too few patients to estimate'\n"
        "            study = ' + C(study_id)' if factor != 'study_id' and sub.study_id.nunique() > 1 else ''\n"
        "            result[(factor, level)] = smf.ols(f'change ~ {arm} + baseline{study}', sub).fit().params[term]\n"
        "    # treatment-by-subgroup interaction over the levels estimable in both arms\n"
        "    sub = data[data[factor].isin([lvl for lvl, s in data.groupby(factor) if estimable(s)])]\n"
        "    if sub[factor].nunique() >= 2:\n"
        "        study = ' + C(study_id)' if factor != 'study_id' and sub.study_id.nunique() > 1 else ''\n"
        "        reduced = smf.ols(f'change ~ {arm} + C({factor}) + baseline{study}', sub).fit()\n"
        "        full = smf.ols(f'change ~ {arm} * C({factor}) + baseline{study}', sub).fit()\n"
        "        result[(factor, 'interaction p')] = anova_lm(reduced, full)['Pr(>F)'].iloc[1]\n"
        "print(result)\n"
    )


def responders(params: dict, path: Path, definition: str, visit_month: int, imputation: str) -> str:
    denominator = IMPUTATIONS[imputation]
    note = "due at the visit (non-responder imputation)" if imputation == "nri" else "seen (complete cases)"
    return _load("responders_by_visit", params, path) + (
        "\nfrom statsmodels.stats.proportion import confint_proportions_2indep\n\n"
        f"row = data[data.visit_month == {visit_month}].set_index('arm')\n"
        f"# denominators: patients {note}\n"
        f"x1, n1 = int(row.loc['stent', {definition!r}]), int(row.loc['stent', {denominator!r}])\n"
        f"x2, n2 = int(row.loc['medical', {definition!r}]), int(row.loc['medical', {denominator!r}])\n"
        "rd_ci = confint_proportions_2indep(x1, n1, x2, n2, method='newcomb', compare='diff')\n"
        "rr_ci = confint_proportions_2indep(x1, n1, x2, n2, method='log', compare='ratio')\n"
        'result = {"risk_difference": x1 / n1 - x2 / n2, "rd_ci": rd_ci,\n'
        '          "risk_ratio": (x1 / n1) / (x2 / n2), "rr_ci": rr_ci}\n'
        "print(result)\n"
    )


def table(name: str, params: dict, path: Path) -> str:
    """For outputs that are the query result itself (band shift, symptom profile)."""
    return _load(name, params, path) + "\nresult = data\nprint(result)\n"


def time_to_event(params: dict, path: Path, competing_risk: bool) -> str:
    """Landmark estimates at 1, 2, 5 and 10 years and the test between groups: Kaplan-Meier and
    log-rank (lifelines), or cumulative incidence (statsmodels, death competing) and Gray's test."""
    landmarks = (
        "for years in (1, 2, 5, 10):\n"
        f"        t = years * {DAYS_PER_YEAR}\n"
        "        if d.n[d.duration_days >= t].sum() > 0:  # otherwise nobody is at risk: shown as a dash\n"
    )
    if competing_risk:
        return _load("km_counts", params, path) + (
            "\nimport numpy as np\nfrom statsmodels.duration.survfunc import CumIncidenceRight\n\n"
            "result = {}\n"
            "for group, d in data.groupby('group_value'):\n"
            "    time, status = np.repeat(d.duration_days, d.n), np.repeat(d.status, d.n)  # 1 event, 2 death first\n"
            "    fit = CumIncidenceRight(time.to_numpy(float), status.to_numpy(int))\n"
            f"    {landmarks}"
            "            result[(group, years)] = fit.cinc[0][fit.times <= t][-1] if (fit.times <= t).any() else 0.0\n"
            "# Gray's test (R cmprsk::cuminc) has no Python library; the app's implementation:\n"
            "from pts_explorer.analytics.competing import gray_test\n\n"
            "if data.group_value.nunique() > 1 and (data.status == 1).any():\n"
            '    result["Gray\'s test p"] = gray_test(data)[2]\n'
            "print(result)\n"
        )
    return _load("km_counts", params, path) + (
        "\nfrom lifelines import KaplanMeierFitter\n"
        "from lifelines.statistics import multivariate_logrank_test\n\n"
        "result = {}\n"
        "for group, d in data.groupby('group_value'):\n"
        "    kmf = KaplanMeierFitter().fit(d.duration_days, d.observed.astype(bool), weights=d.n)\n"
        f"    {landmarks}"
        "            result[(group, years)] = kmf.survival_function_at_times(t).iloc[0]\n"
        "if data.group_value.nunique() > 1 and data.observed.any():\n"
        "    test = multivariate_logrank_test(data.duration_days, data.group_value, data.observed.astype(bool),\n"
        "                                     weights=data.n)\n"
        "    result['log-rank p'] = test.p_value\n"
        "print(result)\n"
    )


def cox(params: dict, path: Path, group: str, levels: dict[str, list[str]], numeric: list[str]) -> str:
    """levels: each categorical term's levels, the reference first; numeric: continuous terms."""
    return _load("cox_data", params, path) + (
        "\nimport pandas as pd\nfrom lifelines import CoxPHFitter\n\n"
        f"levels = {levels!r}  # each factor's levels, the reference first\n"
        "x = pd.DataFrame(index=data.index)\n"
        "for term, order in levels.items():\n"
        "    for level in order[1:]:\n"
        "        x[f'{term}[{level}]'] = (data[term].astype(str) == level).astype(float)\n"
        f"for term in {numeric!r}:\n"
        "    x[term] = data[term].astype(float)\n"
        "frame = x.assign(duration_days=data.duration_days, observed=data.observed.astype(int))\n"
        "cph = CoxPHFitter().fit(frame, 'duration_days', 'observed',\n"
        "                        fit_options={'precision': 1e-14, 'r_precision': 1e-14, 'max_steps': 200})\n"
        f"result = cph.summary['exp(coef)'].filter(like={group + '['!r}).to_dict()  # hazard ratios\n"
        "print(cph.summary[['exp(coef)', 'exp(coef) lower 95%', 'exp(coef) upper 95%', 'p']])\n"
    )


def safety(params: dict, path: Path) -> str:
    return (
        _load("safety_events", params, path, "events")
        + _load("safety_exposure", params, path, "exposure", connect=False)
        + (
            "\nimport pandas as pd\n"
            "from statsmodels.stats.proportion import proportion_confint\n"
            "from statsmodels.stats.rates import confint_poisson\n\n"
            "data = exposure.merge(events, on=['arm', 'group_value', 'period'])  # periods with events\n"
            "low, high = proportion_confint(data.patients_with, data.patients, method='beta')  # Clopper-Pearson\n"
            "data['pct'] = 100 * data.patients_with / data.patients\n"
            "data['ci_low'], data['ci_high'] = 100 * low, 100 * high\n"
            f"hundreds_of_years = data.follow_up_days / {DAYS_PER_YEAR} / 100\n"
            "data['rate'] = data.events / hundreds_of_years  # events per 100 patient-years\n"
            "data['rate_low'], data['rate_high'] = confint_poisson(data.events, hundreds_of_years, method='exact-c')\n"
            "result = data.set_index(['arm', 'group_value', 'event_type', 'period'])[\n"
            "    ['pct', 'ci_low', 'ci_high', 'rate', 'rate_low', 'rate_high']]\n"
            "print(result)\n"
        )
    )
