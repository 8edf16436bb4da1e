"""Subgroups: is the stent effect really largest in high-grade iliac and femoral obstruction?"""

import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, reproduce, ui, vocab
from pts_explorer.analytics import effects

cohort = ui.page_header("Treatment effect by subgroup")
analysis = ui.analysis_controls(cohort)
params = analysis.as_params()
outcome = vocab.OUTCOMES[analysis.outcome]
month = analysis.visit_month

data = ui.query("analysis_visit", params)
if data.empty:
    ui.no_analysis_data(analysis)
    ui.stop()
ui.design_notice(ui.analysis_designs(analysis), remedy="registry", analysed=data.arm.value_counts())
ui.analysis_set(data.arm.value_counts(), data.study_id, f"seen at baseline and month {month}")

overall = ui.fitted("effects.ancova", data, ["study_id"])
if overall is None:
    st.info(
        f"**Too few patients to estimate a treatment effect**: each arm needs at least {effects.MIN_PER_ARM} "
        f"patients with the outcome at baseline and month {month}."
    )
    ui.stop()

studies = {s: s for s in ui.query("studies").study_id}
rows, tests = [], []
factor_levels = {factor: vocab.LEVELS.get(factor, studies) for factor in vocab.SUBGROUP_FACTORS}
by_factor = ui.fitted("effects.subgroups_by_factor", data, {f: list(levels) for f, levels in factor_levels.items()})
for factor, label in vocab.SUBGROUP_FACTORS.items():
    levels = factor_levels[factor]
    part, interaction = by_factor[factor]
    # Levels the filters exclude are not listed; a copy, since by_factor still holds the frame it is cut from.
    part = part[part.n_stent + part.n_medical > 0].copy()
    part["factor_label"], part["level_label"] = label, part.level.map(levels)
    rows.append(part)
    p_value = display.format_p(interaction)
    tests.append({"Subgroup factor": label, "Interaction p (F-test)": p_value})
tests.append({"Subgroup factor": "Named subgroups (they overlap)", "Interaction p (F-test)": display.DASH})
for group in ui.named_subgroups():  # they may overlap: estimated one by one, no interaction test
    inside = data[group.members(data)].assign(named=group.name)
    part = ui.fitted("effects.subgroup_effects", inside, "named", [group.name])
    part = part[part.n_stent + part.n_medical > 0]
    part["factor_label"], part["level_label"] = "Named subgroup", group.label
    rows.append(part)
forest = display.protect_forest(pd.concat(rows, ignore_index=True), ui.protection())

n_tests = int(forest.estimable.sum())
st.markdown(
    f":orange-badge[:material/warning: Exploratory] {n_tests} subgroup effects: some will differ from the overall "
    "effect by chance. Whether the effect differs between levels is answered by the **interaction test** below, "
    "not by comparing intervals; no correction for multiple testing."
)
ui.chart(
    charts.forest_figure(forest, outcome, month, overall.estimate),
    "forest",
    display.summary_forest(forest, overall.estimate, outcome),
    patients=data.arm.value_counts(),  # seen at baseline and the month, not the whole cohort
)
st.caption(
    f"Stent minus medical change from baseline to month {month}: ANCOVA within each subgroup, adjusted "
    "for the baseline value (and study when studies are pooled). n = patients stent/medical. Subgroups with "
    f"fewer than {effects.MIN_PER_ARM} patients in an arm are shown, not estimated."
)
st.caption(effects.complete_cases(month))

interactions = pd.DataFrame(tests)
ui.key_numbers(  # on a slide: each factor's interaction p, as the table shows it (those computed)
    [
        (f"Interaction p (F-test): {row[0]}" if i == 0 else row[0], row[1])
        for i, row in enumerate(r for r in interactions.itertuples(index=False) if r[1] != display.DASH)
    ]
)
ui.end_of_slide()
left, right = st.columns([1, 2])
with left:
    ui.table(interactions, key="interaction_tests")
left.caption(
    "Treatment-by-subgroup interaction: F-test comparing ANCOVA models with and without the interaction "
    "term, over the subgroups estimable in both arms. Many subgroups are tested: read with care."
)
with right:
    note = "too few patients in an arm to estimate"
    ui.table(display.subgroup_table(forest, outcome), note=note, title="Effect by subgroup")
ui.how_computed(
    "analysis_visit",
    params,
    effects.ANCOVA_METHOD + "; interaction by an F-test (statsmodels anova_lm)",
    reproduce.subgroups(params, config.db_path(), list(vocab.SUBGROUP_FACTORS)),
)
