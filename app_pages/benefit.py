"""Who benefits: is the stent's effect larger in some patients than in others? The effect in each
group, the difference in effect between groups from one model, and the effect along a measure."""

import pandas as pd
import streamlit as st
from statsmodels.stats.multitest import multipletests

from pts_explorer import charts, config, display, escape, reproduce, ui, vocab
from pts_explorer.analytics import effects, heterogeneity

cohort = ui.page_header("Who benefits")
analysis = ui.analysis_controls(cohort)
params = analysis.as_params()
outcome = vocab.OUTCOMES[analysis.outcome]
month = analysis.visit_month

by_column, groups_column, reference_column, along_column = st.columns([1.5, 2.6, 1.5, 1.3], vertical_alignment="bottom")
by = ui.control(
    "by",
    by_column.selectbox,
    "Compare the effect between",
    list(vocab.BENEFIT_SPLITS),
    format_func=vocab.BENEFIT_SPLITS.get,
)
data = ui.query("analysis_visit", params)
if data.empty:
    ui.no_analysis_data(analysis)
    ui.stop()
levels = vocab.LEVELS[by]
present = [level for level in levels if (data[by] == level).any()]
chosen = ui.control(
    "groups",
    groups_column.multiselect,
    "Groups (every group when none is chosen)",
    present,
    valid=present,
    format_func=levels.get,
)
groups = [level for level in present if level in chosen] or present  # in the grouping's own order
modifier = ui.control(
    "modifier",
    along_column.selectbox,
    "Effect along",
    list(vocab.BENEFIT_MODIFIERS),
    format_func=vocab.BENEFIT_MODIFIERS.get,
)
analysed = data[data[by].isin(groups)]
ui.design_notice(ui.analysis_designs(analysis), remedy="registry", analysed=analysed.arm.value_counts())
ui.analysis_set(analysed.arm.value_counts(), analysed.study_id, f"seen at baseline and month {month}")
if len(data) >= analysis.max_patients:
    ui.note(f"The models use a stable random sample of {analysis.max_patients:,} patients of this cohort.")

# ---- the effect in each group and the differences between groups ----------------------------------------------
shield = ui.protection()
rows = effects.subgroup_effects(analysed, by, groups).assign(factor=by)
rows = display.protect_forest(rows, shield)
comparable = [g for g, ok in zip(rows.level, rows.estimable, strict=True) if ok]  # protected groups never enter
reference = None
if len(comparable) >= 2:  # the group the others are compared with: the user's, else the largest
    largest = max(comparable, key=lambda g: int((analysed[by] == g).sum()))
    options = ["largest", *comparable]
    chosen_reference = ui.control(
        "reference",
        reference_column.selectbox,
        "Compared with",
        options,
        valid=options,
        format_func=lambda g: f"{levels[largest]} (the largest)" if g == "largest" else levels[g],
        help="Each difference is a group's effect minus this group's effect.",
    )
    reference = largest if chosen_reference == "largest" else chosen_reference
result = heterogeneity.between_cohorts(analysed[analysed[by].isin(comparable)], by, comparable, reference)
rows["label"] = rows.level.map(levels)
differences = pd.DataFrame(columns=["label", "estimate", "ci_low", "ci_high", "p_value", "p_holm"])
if result is not None:
    differences = pd.DataFrame(
        {
            "label": [display.difference_label(levels[d.level], levels[d.reference]) for d in result.differences],
            "estimate": [d.estimate for d in result.differences],
            "ci_low": [d.ci_low for d in result.differences],
            "ci_high": [d.ci_high for d in result.differences],
            "p_value": [d.p_value for d in result.differences],
        }
    )
    differences["p_holm"] = multipletests(differences.p_value, method="holm")[1]

split = vocab.BENEFIT_SPLITS[by]
if len(groups) < 2:
    st.info(f"**Only one group to compare**: this cohort has only {levels[groups[0]]} in {split.lower()}.")
ui.chart(
    charts.benefit_figure(rows, differences, outcome, month, split),
    "benefit_chart",
    display.summary_benefit(
        rows,
        differences,
        result.interaction_p if result else float("nan"),
        outcome.change_unit,
        outcome.decimals + 1,
    ),
    patients=analysed.arm.value_counts(),
)
st.caption(
    f"Effect: stent minus medical change from baseline to month {month}, ANCOVA within each group adjusted for the "
    "baseline value (and study when studies are pooled). Difference in effect: each group against "
    f"{levels[reference] if reference else 'the group compared with'}, from the groups' ANCOVAs in one model (baseline "
    "and study within each group, so a difference is that of the effects shown); "
    f"a group with fewer than {effects.MIN_PER_ARM} patients in an arm is listed, not estimated."
)
st.caption(effects.complete_cases(month))
if result is None and len(groups) >= 2:
    st.info(
        f"**No difference in effect can be estimated**: at least two groups need {effects.MIN_PER_ARM} or more "
        "patients in each arm."
    )
ui.table(
    display.benefit_groups(rows, outcome),
    key="benefit_groups",
    title="Effect in each group",
    note=f"too few patients to estimate (fewer than {effects.MIN_PER_ARM} in an arm, or hidden small cells)",
)
if result is not None:
    ui.table(display.benefit_differences(differences, outcome), key="benefit_differences", title="Difference in effect")
    tests = (
        f"{len(differences)} differences on screen: the Holm-adjusted p keeps the chance of any false claim among "
        "them at 5%. All groups at once: "
        if len(differences) > 1
        else "One difference on screen, its p unadjusted: "
    )
    ui.note(
        tests + f"interaction F-test on {result.interaction_df} and {result.residual_df:.0f} degrees of freedom, "
        f"{display.p_clause(result.interaction_p)}."
    )
reading = display.reading(
    differences, result.interaction_p if result else float("nan"), analysis.randomized_only, outcome
)
if reading:
    ui.note("\n".join(f"- {escape.markdown(line)}" for line in reading), draw=st.markdown)
ui.note("Groups chosen on this page are exploratory unless the trial's protocol named them before the data were seen.")

# ---- the effect along a continuous modifier ---------------------------------------------------------------------
label = vocab.BENEFIT_MODIFIERS[modifier]
named = label[:1].lower() + label[1:]  # in running text
curve = heterogeneity.effect_curve(analysed, modifier)
if curve is None:
    st.info(
        f"**The effect along {named} cannot be drawn** for these groups: it needs "
        f"{heterogeneity.MIN_CURVE_PER_ARM} or more patients in each arm, with at least four distinct values of "
        f"{named} in each."
    )
else:
    rug = analysed[["arm", modifier]].dropna().rename(columns={modifier: "value"})
    if shield.active:  # a tick per value: values fewer than k patients share are not drawn
        sizes = rug.groupby(["arm", "value"]).value.transform("size")
        rug = rug[~sizes.map(shield.too_few)]
    ui.chart(
        charts.modifier_figure(curve.points, rug, curve.knots, outcome, month, label),
        "benefit_curve",
        display.summary_curve(
            curve.points, curve.boundary, curve.interaction_p, named, outcome.change_unit, outcome.decimals + 1
        ),
        patients={"stent": curve.n_stent, "medical": curve.n_medical},
    )
    knots = " and ".join(display.number(k, 1) for k in curve.knots)
    st.caption(
        f"ANCOVA with arm × a natural cubic spline of {named} (interior knots at its tertiles, {knots}, "
        "dotted; "
        f"boundary knots at {display.number(curve.boundary[0], 1)} and {display.number(curve.boundary[1], 1)}), "
        + ("the baseline entering through the spline" if modifier == "baseline" else "adjusted for the baseline value")
        + " (and study when pooled), over the patients of the groups above; "
        "pointwise 95% CI. Whether the effect changes "
        f"along it: F-test of the arm × spline terms on {curve.interaction_df} and {curve.residual_df:.0f} degrees "
        f"of freedom, {display.p_clause(curve.interaction_p)}. The ticks below the curve are the values the "
        "patients have (hover: how many); where they are few, the band is wide and the curve says little"
        + (f"; values fewer than {shield.k} patients of an arm share are not drawn." if shield.active else ".")
    )

ui.how_computed(
    "analysis_visit",
    params,
    heterogeneity.DIFFERENCE_METHOD
    + "; "
    + heterogeneity.CURVE_METHOD.format(modifier=named)
    + (f" ({' and '.join(display.number(k, 1) for k in curve.knots)})" if curve is not None else ""),
    reproduce.benefit(params, config.db_path(), by, sorted(comparable, key=lambda g: g != reference)),
)
