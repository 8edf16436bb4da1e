"""Python snippets that reproduce a number on screen from the DuckDB file with pandas and
statsmodels, shown in each "How this was computed" expander and executed by the tests.

Every snippet ends by binding `result`; tests/unit/test_reproduce.py runs them and compares.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from pts_explorer import db
from pts_explorer.analytics.effects import ARM_TERM
from pts_explorer.analytics.responders import IMPUTATIONS
from pts_explorer.vocab import BENEFIT_OTHER, DAYS_PER_YEAR


def file_literal(path: Path) -> str:
    """How a snippet names the data file: its file name alone, as a Python string (a copy of the file
    beside the script, never the server's own path); reproduce.py puts its DB_FILE argument there."""
    return repr(Path(path).name)


def _load(name: str, params: dict, path: Path, var: str = "data", connect: bool = True) -> str:
    """Code that runs queries/<name>.sql on the file into DataFrame `var` (connecting first)."""
    text, bound = db.bind_params(name, params)
    opening = f"import duckdb\n\ncon = duckdb.connect({file_literal(path)}, read_only=True)\n" if connect else ""
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


def benefit(
    params: dict,
    path: Path,
    by: str,
    groups: list[str],
    sides: dict[str, tuple[str, dict]] | None = None,
    split: Any = None,
) -> str:
    """The differences in effect between groups: the groups' ANCOVAs in one OLS (R: lm(change ~ arm * group
    + baseline * group [+ study_id * group])); each arm x group coefficient is a group's difference from
    groups[0], the group compared with. sides: two cohorts instead of a column of one analysis set: per
    side ("A", "B"), the statement and parameters of analysis_visit over that side's patients (the
    cohort, or the cohort without the other's patients); `by` is then the column naming the side.
    split: a splits.Split (any patient attribute): its groups are formed from queries/patient_splits.sql
    into column `by`, as the page forms them."""
    if sides:
        loads = "".join(
            _load(name, side_params, path, f"side_{side.lower()}", connect=number == 0)
            for number, (side, (name, side_params)) in enumerate(sides.items())
        )
        loads += "\nimport pandas as pd\n\ndata = pd.concat(["
        loads += ", ".join(f"side_{side.lower()}.assign({by}={side!r})" for side in sides)
        loads += "], ignore_index=True)\n"
    else:
        loads = _load("analysis_visit", params, path)
    if split is not None:
        loads += _load("patient_splits", params, path, "attributes", connect=False)
        loads += f"value = data.patient_id.map(attributes.set_index('patient_id')[{split.column!r}])\n"
        if split.cuts:
            loads += (
                "import numpy as np\n\n"
                f"cuts = {list(split.cuts)!r}  # each opens a range: x < cuts[0], cuts[0] <= x < cuts[1], ...\n"
                "data = data[value.notna()].copy()  # a patient without a value is in no group\n"
                f"data[{by!r}] = (np.searchsorted(cuts, value[value.notna()], side='right') + 1).astype(str)\n"
            )
        else:
            loads += f"keys = {split.keys!r}  # the levels compared apart\n"
            loads += f"data[{by!r}] = value.astype(str).map(keys)"
            loads += f".fillna({BENEFIT_OTHER!r})  # the others pooled\n" if split.pooled else "\n"
    return loads + (
        "\nimport statsmodels.formula.api as smf\n\n"
        f"groups = {groups!r}  # the groups estimable in both arms, the one compared with first\n"
        f"part = data[data[{by!r}].isin(groups)]\n"
        f'arm, group = "C(arm, Treatment(\'medical\'))", f"C({by}, Treatment({{groups[0]!r}}))"\n'
        "# the groups' ANCOVAs in one model: the baseline (and study, when pooled) within each group\n"
        "study = f' + C(study_id) * {group}' if part.study_id.nunique() > 1 else ''\n"
        "fit = smf.ols(f'change ~ {arm} * {group} + baseline * {group}{study}', data=part).fit()\n"
        "result = {}\n"
        "for level in groups[1:]:\n"
        "    term = f'{arm}[T.stent]:{group}[T.{level}]'\n"
        "    low, high = fit.conf_int().loc[term]\n"
        '    result[level] = {"estimate": fit.params[term], "ci_low": low, "ci_high": high, "p": fit.pvalues[term]}\n'
        "# the effect in each group: its own ANCOVA (the baseline, and study when the group pools studies)\n"
        "for level in groups:\n"
        f"    sub = part[part[{by!r}] == level]\n"
        "    adjust = ' + C(study_id)' if sub.study_id.nunique() > 1 else ''\n"
        "    own = smf.ols(f'change ~ {arm} + baseline{adjust}', data=sub).fit()\n"
        "    stent = f'{arm}[T.stent]'\n"
        "    low, high = own.conf_int().loc[stent]\n"
        "    result[('effect', level)] = {\n"
        "        'estimate': own.params[stent], 'ci_low': low, 'ci_high': high, 'p': own.pvalues[stent]}\n"
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
            "    ['patients_with', 'patients', 'pct', 'ci_low', 'ci_high', 'events', 'rate', 'rate_low',\n"
            "     'rate_high']]\n"
            "print(result)\n"
        )
    )


# The pages whose numbers are descriptive (Overview, Trajectories) or built from several queries
# (Compare, Candidate): each snippet recomputes the page's key numbers with pandas from the rows.

_WELCH = (
    "\nfrom scipy import stats\n\n\n"
    "def welch(n1, m1, s1, n2, m2, s2):\n"
    '    """Difference m1 - m2 with Welch\'s 95% CI (Satterthwaite df) and two-sided p."""\n'
    "    v1, v2 = s1**2 / n1, s2**2 / n2\n"
    "    se = (v1 + v2) ** 0.5\n"
    "    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))\n"
    "    half = stats.t.ppf(0.975, df) * se\n"
    "    p = 2 * stats.t.sf(abs(m1 - m2) / se, df)\n"
    '    return {"diff": m1 - m2, "ci_low": m1 - m2 - half, "ci_high": m1 - m2 + half, "p_value": p}\n'
)


def overview(params: dict, path: Path) -> str:
    """Patients per arm and study, and Table 1's continuous characteristics (mean, SD, SMD), from
    the cohort's patient rows and baseline visits."""
    return (
        _load("export_patients", params, path, "patients")
        + _load("export_visits", params, path, "visits", connect=False)
        + (
            "\nimport numpy as np\n\n"
            "baseline = visits[visits.visit_month == 0].set_index('patient_id')[['villalta_total', 'vcss', "
            "'veines_qol']]\n"
            "data = patients.set_index('patient_id').join(baseline)\n"
            "result = {'patients': len(data), 'per arm': data.arm.value_counts().to_dict(),\n"
            "          'per study and arm': data.groupby(['study_id', 'arm']).size().to_dict()}\n"
            "for column in ['age_years', 'bmi', 'months_since_dvt', 'stenosis_pct', 'villalta_total', 'vcss',"
            " 'veines_qol']:\n"
            "    x = data.groupby('arm')[column].agg(['count', 'mean', 'std']).astype(float)  # std: n - 1\n"
            "    row = {f'{stat} {arm}': x.loc[arm, stat] for arm in x.index for stat in x.columns}\n"
            "    if {'stent', 'medical'} <= set(x.index):  # standardized mean difference (Yang & Dalton)\n"
            "        pooled = np.sqrt((x.loc['stent', 'std'] ** 2 + x.loc['medical', 'std'] ** 2) / 2)\n"
            "        row['smd'] = (x.loc['stent', 'mean'] - x.loc['medical', 'mean']) / pooled\n"
            "    result[column] = row\n"
            "print(result)\n"
        )
    )


def trajectories(params: dict, path: Path, change: bool) -> str:
    """Each arm's mean (t-based 95% CI) per visit, and the Welch difference in mean change."""
    column = "change" if change else "value"
    suffix = "_change" if change else ""
    return (
        _load("trajectory_summary", params, path)
        + _WELCH
        + (
            f"\n# {column} from baseline: n{suffix}, mean{suffix}, sd{suffix}\n"
            "result = {}\n"
            "for r in data.itertuples():\n"
            f"    n, mean, sd = r.n{suffix}, r.mean{suffix}, r.sd{suffix}\n"
            f"    if n > 0{' and r.visit_month > 0' if change else ''}:\n"
            "        half = stats.t.ppf(0.975, n - 1) * sd / n**0.5 if n > 1 else float('nan')\n"
            "        result[(r.study_group, r.arm, r.visit_month)] = {'n': n, 'mean': mean, 'ci_low': mean - half,\n"
            "                                                         'ci_high': mean + half}\n"
            "stent, medical = data[data.arm == 'stent'], data[data.arm == 'medical']\n"
            "pairs = stent.merge(medical, on=['study_group', 'visit_month'], suffixes=('_s', '_m'))\n"
            "for r in pairs[pairs.visit_month > 0].itertuples():  # stent minus medical mean change\n"
            "    if min(r.n_change_s, r.n_change_m) >= 2:\n"
            "        result[(r.study_group, 'difference', r.visit_month)] = welch(\n"
            "            r.n_change_s, r.mean_change_s, r.sd_change_s, r.n_change_m, r.mean_change_m, r.sd_change_m)\n"
            "print(result)\n"
        )
    )


def compare(a: dict, b: dict, sides: dict[str, tuple[str, dict]], arms: list[str], outcome: str, path: Path) -> str:
    """Cohort sizes and overlap from the two cohorts' patient rows; each side's mean per arm and
    visit; side A minus side B in mean change (Welch). sides: per side ("A", "B"), the statement and
    parameters of trajectory_summary over the patients that side holds (the cohort, or the cohort
    without the patients of the other: Comparison.statements)."""
    loads = _load("export_patients", a, path, "patients_a") + _load(
        "export_patients", b, path, "patients_b", connect=False
    )
    for side, (name, params) in sides.items():
        loads += _load(name, params, path, f"summary_{side.lower()}", connect=False)
    return (
        loads
        + _WELCH
        + (
            f"\narms = {arms!r}\n"
            "a = patients_a[patients_a.arm.isin(arms)]\n"
            "b = patients_b[patients_b.arm.isin(arms)]\n"
            "both = a[a.patient_id.isin(b.patient_id)]\n"
            "result = {'in A': len(a), 'in B': len(b), 'in both': len(both)}\n"
            "for name, s in (('A', summary_a), ('B', summary_b)):\n"
            "    for r in s[s.arm.isin(arms) & (s.n > 0)].itertuples():\n"
            "        result[(name, r.arm, r.visit_month)] = r.mean\n"
            "pairs = summary_a.merge(summary_b, on=['arm', 'visit_month'], suffixes=('_a', '_b'))\n"
            "for r in pairs[pairs.arm.isin(arms) & (pairs.visit_month > 0)].itertuples():  # A minus B, mean change\n"
            "    if min(r.n_change_a, r.n_change_b) >= 2:\n"
            "        result[('A - B', r.arm, r.visit_month)] = welch(\n"
            "            r.n_change_a, r.mean_change_a, r.sd_change_a, r.n_change_b, r.mean_change_b, r.sd_change_b)\n"
            "print(result)\n"
        )
    )


def candidate(matched: dict, models: dict[int, tuple[dict, str, dict[str, Any]]], min_per_arm: int, path: Path) -> str:
    """The matched patients per arm and their mean Villalta per visit; the model's expected stent −
    medical difference for the profile at each month. models: per month, the candidate_model
    parameters, the model's formula and the profile's row of the model's columns (no arm);
    min_per_arm: a lesion group enters the model with at least this many complete patients per arm."""
    summary = {**matched, "outcome": "villalta_total", "by_study": False}
    loads = _load("export_patients@matched_cohort", matched, path, "patients")
    loads += _load("trajectory_summary@matched_cohort", summary, path, "summary", connect=False)
    fits = []
    for month, (params, formula, row) in models.items():
        loads += _load("candidate_model", params, path, f"month_{month}", connect=False)
        fits.append(f"    {month}: (month_{month}, {formula!r}, {row!r}),\n")
    return loads + (
        "\nimport pandas as pd\nimport statsmodels.formula.api as smf\n\n"
        "# $matched_ids: the patients the page matched (queries/candidate_match.sql)\n"
        "result = {'matched': patients.arm.value_counts().to_dict()}\n"
        "for r in summary[summary.n > 0].itertuples():\n"
        "    result[(r.arm, r.visit_month)] = r.mean\n"
        "# randomized patients with the visit and every covariate (complete cases), in the lesion groups\n"
        f"# with at least {min_per_arm} such patients in each arm\n"
        "models = {\n" + "".join(fits) + "}\n"
        "for month, (data, formula, row) in models.items():\n"
        "    complete = data.dropna(subset=sorted(set(row) | {'change', 'arm'}))\n"
        "    per_arm = complete.groupby(['lesion_group', 'arm']).size().unstack(fill_value=0)\n"
        "    per_arm = per_arm.reindex(columns=['stent', 'medical'], fill_value=0)\n"
        f"    kept = per_arm.index[(per_arm >= {min_per_arm}).all(axis=1)]\n"
        "    fit = smf.ols(formula, data=complete[complete.lesion_group.isin(kept)]).fit()\n"
        "    stent, medical = fit.predict(pd.DataFrame([{**row, 'arm': 'stent'}, {**row, 'arm': 'medical'}]))\n"
        "    result[('expected stent - medical', month)] = stent - medical\n"
        "print(result)\n"
    )


def adjusted(
    params: dict,
    path: Path,
    covariates: list[str],
    method: str,
    bounds: tuple[float, float],
    caliper: float,
    estimate: str,
    threshold: float,
    higher_is_better: bool,
    trial_eligible: bool = True,
) -> str:
    """The Adjusted registry page's key numbers: the score, the weights, balance, ESS, the adjusted
    estimate and the trial's (pts_explorer.analytics.propensity, bundled: its functions are the
    R calls named in the comments, checked against R in tests/reference/propensity.R)."""
    timed = estimate in ("ulcer_healing", "freedom_from_recurrent_dvt")
    column = "responder" if estimate == "responders" else "change"
    lines = [
        "\nimport numpy as np\n",
        "from pts_explorer.analytics import propensity as P\n\n",
        "# the analysed patients only (the outcome at the visit, or eligible for the endpoint):\n",
        "# the score, weights, balance and ESS are theirs\n",
        "registry = P.observational(data)\n",
        *(
            [
                "# the trial's inclusion criteria (P.TRIAL_INCLUSION): like with like for the benchmark\n",
                "registry = registry[P.trial_eligible(registry)]\n",
            ]
            if trial_eligible
            else []
        ),
        f"analysed = P.analysed_rows(registry, {timed!r})\n",
        "# R: ps <- fitted(glm(stent ~ <covariates>, family = binomial, data = analysed registry))\n",
        f"score = P.fit_score(analysed, {covariates!r})\n",
        "# overlap: 1 - ps (stent), ps (medical); iptw: stabilized, 0 outside the bounds;\n",
        "# matching: greedy 1:1 nearest neighbour, largest score first, caliper c x sd(ps); in R, MatchIt's\n",
        "# distance-matrix path (reproduce.R), as MatchIt 4.5.1 to 4.5.3 ignore the caliper of the standard\n",
        "# matchit(..., distance = 'glm', caliper = c, std.caliper = TRUE) call (kosukeimai/MatchIt#163)\n",
        f"w = P.weights(score, {method!r}, {bounds!r}, {caliper!r})\n",
        "part = score.data\n",
        "ones = np.ones(len(part))\n",
    ]
    if estimate == "responders":
        lines += [
            f"part = part.assign(responder=P.responders(part, {threshold!r}, {higher_is_better!r}))\n",
            f"data = data.assign(responder=P.responders(data, {threshold!r}, {higher_is_better!r}))\n",
        ]
    if timed:
        lines += [
            "# R: coxph(Surv(duration_days, observed) ~ arm, weights = w, robust = TRUE)\n",
            "est, share = P.weighted_cox(part, w)\n",
            "trial = P.weighted_cox(P.randomized(data), np.ones(len(P.randomized(data))))\n",
            "trial = None if trial is None else trial[0]\n",
        ]
    else:
        lines += [
            f"# R: svyglm({column} ~ arm, design = svydesign(ids = ~1, weights = ~w, data = part))\n",
            f"est = P.weighted_difference(part, w, {column!r})\n",
            f"trial = P.trial_estimate(data, {column!r})\n",
        ]
    lines += [
        "balance = P.balance(score, w)\n",
        "ess = P.effective_sample_size(part.stent.to_numpy(), w)\n",
        "result = {\n",
        '    "estimate": est.estimate, "ci_low": est.ci_low, "ci_high": est.ci_high, "p_value": est.p_value,\n',
        '    "max_abs_smd_after": float(balance.smd_after.abs().max()), "ess": ess,\n',
        '    "trial": None if trial is None else [trial.estimate, trial.ci_low, trial.ci_high],\n',
        "}\n",
        "print(result)\n",
    ]
    return _load("propensity_rows", params, path) + "".join(lines)


PATIENTS_CSV = "target_trial_patients.csv"


MATCHIT_BUG = (
    "MatchIt 4.5.1 to 4.5.3 ignore the caliper in the standard call matchit(stent ~ covariates, method = "
    '"nearest", distance = "glm", caliper = c, std.caliper = TRUE) (kosukeimai/MatchIt#163) and pair '
    "patients far beyond it, so the page's pairs come from MatchIt's distance-matrix path: the distance "
    "|ps_stent - ps_medical|, caliper c x sd(ps) on the score's scale, stent patients from the largest score "
    'down (m.order = "data"): the same greedy match written out.'
)


def _matching_r(caliper: float) -> str:
    """R that re-derives the page's 1:1 caliper matching from the refitted scores `p$ps` (all patients
    of the score), through MatchIt's distance-matrix path, and checks its pairs are the CSV's."""
    return (
        "".join(f"# {line}\n" for line in textwrap.wrap("Matching, derived here from the scores: " + MATCHIT_BUG, 100))
        + "suppressPackageStartupMessages(library(MatchIt))\n"
        "s <- p[order(-p$stent, -p$ps), ]\n"
        'dm <- abs(outer(s$ps[s$stent == 1], s$ps[s$stent == 0], "-"))\n'
        'm <- matchit(stent ~ 1, data = s, method = "nearest", distance = dm,\n'
        f'             caliper = {caliper!r} * sd(p$ps), std.caliper = FALSE, m.order = "data")\n'
        "mm <- m$match.matrix; got <- !is.na(mm[, 1])\n"
        "pair <- setNames(rep(NA_character_, nrow(s)), rownames(s))\n"
        'pair[rownames(mm)[got]] <- s[rownames(mm)[got], "patient_id"]\n'
        'pair[mm[got, 1]] <- s[rownames(mm)[got], "patient_id"]\n'
        "s$pair <- unname(pair)\n"
        'exported <- ifelse(is.na(s$pair), "", s$pair)\n'
        'if (!identical(exported, ifelse(is.na(d[rownames(s), "pair"]), "", d[rownames(s), "pair"])))\n'
        '  stop("the pairs matched here from the refitted score are not the CSV\'s pair column")\n'
        "a <- s[!is.na(s$pair), ]; a$weight <- 1  # the matched patients, weight 1, as MatchIt's weights\n"
    )


def _score_r(covariates: tuple[str, ...]) -> str:
    """R that refits the page's propensity score with glm on the CSV's covariate columns (the patients
    with a score: those the page fitted it on) and stops when its fitted scores differ from the CSV's
    propensity_score by more than 1e-6."""
    formula = " + ".join(covariates)
    return (
        "p <- d[!is.na(d$propensity_score), ]  # every patient of the score\n"
        'p$stent <- as.integer(p$arm == "stent")\n'
        "# the score as the page fits it: logistic regression on the covariates it used (a text column is a\n"
        '# factor; center_id as the score used it, small centres pooled into "(other centres)")\n'
        f"fit <- glm(stent ~ {formula}, family = binomial, data = p,\n"
        "           control = glm.control(epsilon = 1e-12, maxit = 100))\n"
        "p$ps <- unname(fitted(fit))\n"
        "gap <- max(abs(p$ps - p$propensity_score))\n"
        'if (gap > 1e-6) stop(sprintf(paste("the score refitted here differs from the CSV\'s propensity_score by",\n'
        '  "up to %.3g (more than 1e-6): not the page\'s score model or not its patients"), gap))\n'
    )


def _weights_r(method: str, bounds: tuple[float, float]) -> str:
    """R that recomputes the weights from the refitted score (overlap, or stabilized IPTW with the
    page's bounds) and stops when they differ from the CSV's weight by more than 1e-6."""
    if method == "iptw":
        low, high = bounds
        formula = (
            f"keep <- p$ps >= {low!r} & p$ps <= {high!r}  # outside the bounds: trimmed, weight 0\n"
            "share <- mean(p$stent[keep])  # P(stent) among those kept\n"
            "p$w <- ifelse(keep, ifelse(p$stent == 1, share / p$ps, (1 - share) / (1 - p$ps)), 0)\n"
        )
    else:
        formula = "p$w <- ifelse(p$stent == 1, 1 - p$ps, p$ps)  # overlap weights\n"
    return formula + (
        'if (max(abs(p$w - p$weight)) > 1e-6) stop("the weights recomputed here differ from the CSV\'s weight")\n'
        "a <- p[p$w > 0, ]; a$weight <- a$w  # the patients analysed, with the weights derived here\n"
    )


def adjusted_r(
    estimate: str,
    covariates: tuple[str, ...],
    responder_scale: float = 100.0,
    method: str = "overlap",
    caliper: float = 0.2,
    bounds: tuple[float, float] = (0.05, 0.95),
) -> str:
    """R that reads the Target trial page's analysed-patients CSV (its Export menu) and prints the
    page's adjusted estimate and robust 95% CI, from the covariates up: it refits the score with glm
    on the CSV's covariate columns (`covariates`, the ones the score used) and stops unless its scores
    equal the CSV's to 1e-6; recomputes the weights from them (overlap; IPTW with `bounds`, checked
    against the CSV's weight) or the matching (`method`, `caliper` in SDs of the score: MatchIt's
    distance-matrix path, checked against the CSV's `pair`; MATCHIT_BUG says why not the standard
    call); then the estimate: survey::svyglm for a change or responders (gaussian, as the page:
    weighted least squares, sandwich SE, t on n - 2 df), survival::coxph(..., weights, robust = TRUE)
    for an endpoint (Efron ties, Wald z)."""
    timed = estimate in ("ulcer_healing", "freedom_from_recurrent_dvt")
    head = (
        (
            "# The page's adjusted estimate from its analysed-patients CSV (Export menu): Rscript this.R [CSV]\n"
            "args <- commandArgs(trailingOnly = TRUE)\n"
            f'd <- read.csv(if (length(args)) args[1] else "{PATIENTS_CSV}", stringsAsFactors = FALSE)\n'
        )
        + _score_r(covariates)
        + (_matching_r(caliper) if method == "matching" else _weights_r(method, bounds))
    )
    if timed:
        return head + (
            "suppressPackageStartupMessages(library(survival))\n"
            'fit <- coxph(Surv(duration_days, as.logical(observed)) ~ I(arm == "stent"), data = a,\n'
            '             weights = weight, robust = TRUE, ties = "efron", control = coxph.control(eps = 1e-10))\n'
            "b <- unname(coef(fit)); se <- unname(sqrt(vcov(fit)[1, 1]))\n"
            'cat(sprintf("hazard ratio %.2f (95%% CI %.2f to %.2f)\\n", exp(b), exp(b - qnorm(0.975) * se),\n'
            "            exp(b + qnorm(0.975) * se)))\n"
        )
    column, scale, decimals = ("responder", responder_scale, 1) if estimate == "responders" else ("change", 1.0, 2)
    times = "" if scale == 1 else f"{scale:g} * "  # responders: % points
    return head + (
        "suppressPackageStartupMessages(library(survey))\n"
        "des <- svydesign(ids = ~1, weights = ~weight, data = a)\n"
        f'fit <- svyglm({column} ~ I(arm == "stent"), design = des)\n'
        f"est <- {times}unname(coef(fit)[2]); ci <- {times}unname(confint(fit)[2, ])\n"
        f'form <- "stent - medical %+.{decimals}f (95%% CI %+.{decimals}f to %+.{decimals}f)\\n"\n'
        "cat(sprintf(form, est, ci[1], ci[2]))\n"
    )
