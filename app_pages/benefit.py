"""Who benefits: is the stent's effect larger in some patients than in others? The effect in each
group, the difference in effect between groups from one model, and the effect along a measure."""

import numpy as np
import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, escape, reproduce, settings, ui, vocab
from pts_explorer.analytics import compare, effects, heterogeneity, splits

cohort = ui.page_header("Who benefits")
analysis = ui.analysis_controls(cohort)
COHORTS = "cohorts"  # the grouping that compares two cohorts (Compare's A and B) rather than a split
params = analysis.as_params()
outcome = vocab.OUTCOMES[analysis.outcome]
month = analysis.visit_month

NEW_SPLIT = {"cuts": "", "groups": [], "reference": "largest"}  # another split: its own cut points, all its groups


def new_split(keys: tuple[str, ...] = tuple(NEW_SPLIT)) -> None:
    """Another split, or other cut points: the settings of the one before no longer mean the same groups."""
    for key in keys:
        ui.set_value(key, NEW_SPLIT[key])
    if "cuts" in keys:  # another attribute: cut points accepted for the one before say nothing of it
        ui.accept("cuts", NEW_SPLIT["cuts"])


def note_unplaced(unplaced: int, split_running: str) -> None:
    """How many patients of the analysis set have no value of the attribute the groups are cut on."""
    ui.note(
        f"{unplaced:,} patient{'s' if unplaced > 1 else ''} of the analysis set "
        f"{'have' if unplaced > 1 else 'has'} no recorded {split_running.partition(' (')[0]}: in no group, left out."
    )


# Two rows: the split's long names ("Site of a high-grade obstruction", "Below 70%, any site (...)") whole at 1280.
by_column, groups_column = st.columns([1, 1.3], vertical_alignment="bottom")
second_row = st.columns([1, 1.3], vertical_alignment="bottom")
by = ui.control(
    "by",
    by_column.selectbox,
    "Compare the effect between",
    list(vocab.BENEFIT_SPLITS),
    format_func=vocab.BENEFIT_SPLITS.get,
    on_change=new_split,
    help="A grouping, any category of the patients table (the largest groups apart, the others pooled), a "
    "continuous attribute cut at the points you type, or two cohorts.",
)
# Two cohorts: B under A (the wider column), the modifier at the left; else the reference, then the modifier.
reference_column, along_column = second_row if by != COHORTS else second_row[::-1]
cut_split = by in vocab.BENEFIT_CUT_SPLITS
category_split = by in ("study_id", "center_id", "limb_side", "ceap_c")
cuts: tuple[float, ...] = ()
if cut_split:  # the cut points: typed, checked here, and never part of any SQL text
    cuts_column, groups_column = groups_column.columns([1.45, 1.55], vertical_alignment="bottom")
    name, unit, default_cuts = vocab.BENEFIT_CUT_SPLITS[by]
    typed = ui.control(
        "cuts",
        cuts_column.text_input,
        f"Cut at ({unit})",
        placeholder=settings.cut_text(default_cuts),
        max_chars=60,
        on_change=new_split,
        args=(("groups", "reference"),),  # other ranges
        help=f"Numbers separated by commas, at most {vocab.BENEFIT_MAX_CUTS}: each opens a group, e.g. 70, 90 gives "
        "< 70, 70 to < 90 and 90+. Empty: " + settings.cut_text(default_cuts) + ".",
    )
    read = settings.cut_points(typed) if str(typed).strip() else default_cuts
    if isinstance(read, str):
        st.info(f"**These cut points cannot be used**: {read}.", icon=":material/edit:")
        ui.refuse("cuts")  # the address keeps the cut points last used, never this text
        ui.stop()
    cuts = read
modifier = ui.control(
    "modifier",
    along_column.selectbox,
    "Effect along",
    list(vocab.BENEFIT_MODIFIERS),
    format_func=vocab.BENEFIT_MODIFIERS.get,
)
extras = {key: value for key, value in params.items() if key not in cohort.as_params()}  # not the cohort's
sides: dict[str, tuple[str, dict]] = {}  # two cohorts: per side, the statement and parameters of its patients
side_patients: dict[str, compare.Side] = {}
if by == COHORTS:  # two cohorts (as on Compare), made disjoint: a patient in both is in one side only
    a, b = ui.two_cohorts(cohort, groups_column, reference_column)
    relation = compare.relation_of(compare.overlap(ui.query, a.cohort, b.cohort, list(vocab.ARMS)))
    if relation == compare.SAME:
        same = "Cohorts A and B hold the same patients: there is nothing to compare."
        st.info(same if ui.presenting() else f"{same} Choose another cohort for B.", icon=":material/compare_arrows:")
        ui.stop()
    levels = compare.side_labels(relation, apart=True)
    side_patients = compare.sides_of(a.cohort, b.cohort, relation, apart=True)
    sides = {side: patients.statement("analysis_visit", extras) for side, patients in side_patients.items()}
    data = pd.concat([ui.query(*statement).assign(cohort=side) for side, statement in sides.items()], ignore_index=True)
    apart = {  # what each side holds: the groups of one model share no patient
        compare.DISJOINT: "The two cohorts share no patient.",
        compare.B_IN_A: "Every patient of B is in A: B is compared with the rest of A (A without B).",
        compare.A_IN_B: "Every patient of A is in B: A is compared with the rest of B (B without A).",
        compare.OVERLAP: "Patients in both cohorts are left out of both sides (A only against B only): the groups "
        "of one model share no patient.",
    }
    st.caption(f"**A**: {a.about().rstrip('.')}. **B**: {b.about().rstrip('.')}. {apart[relation]}")
else:
    data = ui.query("analysis_visit", params)
    levels = vocab.LEVELS.get(by, {})
split_def: splits.Split | None = None  # a split by any patient attribute: its groups, formed here
unplaced = 0  # analysis-set patients without a value of a cut attribute (in no group)
if (cut_split or category_split) and not data.empty:
    attributes = ui.query("patient_splits", params).set_index("patient_id")[by]
    values = data.patient_id.map(attributes).dropna().astype(float) if cut_split else pd.Series()
    if cut_split and str(typed).strip() and len(values):  # a cut point must leave patients on both of its sides
        low, high = float(values.min()), float(values.max())
        if any(not low < c <= high for c in cuts):
            running = name if name[:2].isupper() else name[:1].lower() + name[1:]  # "BMI", "stenosis"
            outside = [c for c in cuts if not low < c <= high]
            among = f"this cohort's patients seen at baseline and month {month}"
            st.info(
                f"**These cut points cannot be used**: {settings.cut_text(outside)} "
                + (
                    f"{'is' if len(outside) == 1 else 'are'} outside the range of {running} among {among}, "
                    f"{settings.cut_text([low])} to {settings.cut_text([high])} {unit}: type cut points above "
                    f"{settings.cut_text([low])} and at most {settings.cut_text([high])}."
                    if low < high
                    else f"cannot split {among}: every one has a {running} of {settings.cut_text([low])} {unit}."
                ),
                icon=":material/edit:",
            )
            ui.refuse("cuts")
            if len(values) < len(data):
                note_unplaced(len(data) - len(values), name)
            ui.stop()
    if cut_split:
        ui.accept("cuts", typed)
    split_def = splits.cut(by, cuts) if cut_split else splits.categorical(by, data.patient_id.map(attributes))
    group_of = split_def.assign(attributes)  # each patient's group key, by patient_id
    levels = split_def.levels
    data = data.assign(split=data.patient_id.map(group_of))
    unplaced = int(data.split.isna().sum())
    data = data[data.split.notna()]


def grouped(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the analysis statements with each patient's group of a split by any attribute (the same
    groups as the analysis set's: the largest levels are those of the patients seen at the visit)."""
    if split_def is None:
        return frame
    keyed = frame.assign(split=frame.patient_id.map(group_of))
    return keyed[keyed.split.notna()]


factor = "cohort" if sides else splits.COLUMN if split_def else by  # the analysis set's column that holds the groups
if data.empty:
    ui.no_analysis_data(analysis)
    ui.stop()
present = [level for level in levels if (data[factor] == level).any()]
if sides:
    groups = present
else:
    chosen = ui.control(
        "groups",
        groups_column.multiselect,
        "Groups (none chosen: every group)",
        present,
        valid=present,
        format_func=levels.get,
    )
    groups = [level for level in present if level in chosen] or present  # in the grouping's own order
analysed = data[data[factor].isin(groups)]
ui.design_notice(ui.analysis_designs(analysis), remedy="registry", analysed=analysed.arm.value_counts())
set_words = f"seen at baseline and month {month}"
ui.analysis_set(analysed.arm.value_counts(), analysed.study_id, set_words)
if len(data) >= analysis.max_patients:
    ui.note(f"The models use a stable random sample of {analysis.max_patients:,} patients of this cohort.")

# ---- the effect in each group and the differences between groups ----------------------------------------------
shield = ui.protection()
rows = effects.subgroup_effects(analysed, factor, groups).assign(factor=factor)
rows = display.protect_forest(rows, shield)
comparable = [g for g, ok in zip(rows.level, rows.estimable, strict=True) if ok]  # protected groups never enter
modelled = analysed[analysed[factor].isin(comparable)]  # the patients the models use
too_small = [g for g in groups if g not in comparable]
if comparable and too_small:  # the presenter line counts the patients the models use, and says who else
    left = len(analysed) - len(modelled)
    ui.analysis_set(
        modelled.arm.value_counts(),
        modelled.study_id,
        # Those left out are a count like any other: 1..k-1 reads hidden where small cells are protected.
        f"{set_words} in the groups large enough to estimate ({shield.count(left)} more in {len(too_small)} "
        f"group{'s' if len(too_small) > 1 else ''} too small to estimate)",
    )
reference = None
if sides:  # A minus B, as on Compare
    reference = "B"
elif len(comparable) >= 2:  # the group the others are compared with: the user's, else the largest
    largest = max(comparable, key=lambda g: int((analysed[factor] == g).sum()))
    references = ["largest", *comparable]
    chosen_reference = ui.control(
        "reference",
        reference_column.selectbox,
        "Compared with",
        references,
        valid=references,
        format_func=lambda g: f"{levels[largest]} (largest)" if g == "largest" else levels.get(g, "another group"),
        help="Each difference is a group's effect minus this group's effect.",
    )
    reference = largest if chosen_reference == "largest" else chosen_reference
result = ui.fitted(
    "heterogeneity.between_cohorts", analysed[analysed[factor].isin(comparable)], factor, comparable, reference, False
)
rows["label"] = rows.level.map(levels)
study_design = ui.query("studies").set_index("study_id").design
group_designs = {  # each group's comparison: randomized, observational or pooled, from its own patients' studies
    levels[g]: display.design_of(set(study_design.reindex(analysed.study_id[analysed[factor] == g].unique())))
    for g in comparable
}
rows["design"] = [
    display.design_of(set(study_design.reindex(analysed.study_id[analysed[factor] == g].unique()))) for g in rows.level
]
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
    differences["p_holm"] = heterogeneity.holm(differences.p_value)

split = "Cohort" if sides else split_def.name if split_def else vocab.BENEFIT_SPLITS[by]
split_running = split if split[:2].isupper() else split[:1].lower() + split[1:]  # in running text
if split_def is not None and split_def.pooled:
    ui.note(
        f"{vocab.BENEFIT_SPLITS[by]} has {len(split_def.pooled) + len(split_def.keys)} levels among these patients: "
        f"the {len(split_def.keys)} largest are compared apart and the other {len(split_def.pooled)} pooled as one "
        f"group, {levels[vocab.BENEFIT_OTHER]}, so the model holds no interaction term fitted on a handful of "
        "patients."
    )
if unplaced:
    note_unplaced(unplaced, split_running)
if len(groups) < 2 and sides:
    missing = next(side for side in levels if side not in groups)
    st.info(f"**Only one group to compare**: {levels[missing]} has nobody {set_words}.")
elif len(groups) < 2 and len(present) > 1:
    st.info(
        f"**Only one group chosen**: {escape.markdown(levels[groups[0]])}. Choose another group to compare the "
        "effect with."
    )
elif len(groups) < 2:
    st.info(
        f"**Only one group to compare**: this cohort has only {escape.markdown(levels[groups[0]])} by "
        f"{escape.markdown(split_running)}."
    )
rows["numbers"] = display.estimates_text(rows, outcome.decimals + 1)
differences["numbers"] = [  # beside each difference: its p, Holm-adjusted when several are shown
    f"{text}, {'Holm ' if len(differences) > 1 else ''}{display.p_clause(p)}"
    for text, p in zip(
        display.estimates_text(differences, outcome.decimals + 1),
        differences.p_holm if len(differences) > 1 else differences.p_value,
        strict=True,
    )
]
ui.chart(
    charts.benefit_figure(
        rows,
        differences,
        outcome,
        month,
        split,
        f"Interaction test {display.p_clause(result.interaction_p)}" if result is not None else "",
    ),
    "benefit_chart",
    display.summary_benefit(
        rows,
        differences,
        result.interaction_p if result else float("nan"),
        outcome.change_unit,
        outcome.decimals + 1,
    ),
    patients=(modelled if comparable else analysed).arm.value_counts(),
)
st.caption(
    f"Effect: stent minus medical change from baseline to month {month}, ANCOVA within each group adjusted for the "
    "baseline value (and study when studies are pooled). Difference in effect: each group against "
    f"{escape.markdown(levels[reference]) if reference else 'the group compared with'}, from the groups' ANCOVAs "
    "in one model (baseline and study within each group, so a difference is that of the effects shown); "
    f"a group with fewer than {effects.MIN_PER_ARM} patients in an arm is listed, not estimated."
)
st.caption(effects.complete_cases(month))
if result is None and len(groups) >= 2:
    st.info(
        f"**No difference in effect can be estimated**: at least two groups need {effects.MIN_PER_ARM} or more "
        "patients in each arm."
    )
effects_shown = display.benefit_groups(rows, outcome)
ui.key_numbers(  # on a slide: each group's effect at the month, as the table shows it (estimated groups only)
    [
        (f"Effect at month {month}, {outcome.change_unit}: {row['Group']}" if i == 0 else row["Group"], value)
        for i, row in enumerate(
            r for r in effects_shown.to_dict("records") if r[f"Effect, {outcome.change_unit}"] != display.DASH
        )
        for value in [row[f"Effect, {outcome.change_unit}"]]
    ]
)
ui.end_of_slide()
st.markdown(f"**ANCOVA at month {month}**: the effect in each group, and the difference in effect")
ui.table(
    effects_shown,
    key="benefit_groups",
    whole=("Group",),
    title="Effect in each group",
    note=f"too few patients to estimate (fewer than {effects.MIN_PER_ARM} in an arm, or hidden small cells)",
)
if result is not None:
    ui.table(
        display.benefit_differences(differences, outcome),
        key="benefit_differences",
        title="Difference in effect",
        whole=("Difference in effect",),
    )
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

# ---- the MMRM in each group ---------------------------------------------------------------------------------------
if reference is not None:
    sources = (
        {side: patients.statement("analysis_long", extras) for side, patients in side_patients.items()}
        if sides
        else {"all": ("analysis_long", params)}
    )
    fitted = (
        ui.fitted(
            "heterogeneity.mmrm_between",
            grouped(ui.query("analysis_long", params)),
            factor,
            comparable,
            reference,
            month,
        )
        if split_def is not None  # the groups are formed here, not a column of the statement
        else ui.mmrm_groups(sources, factor, comparable, reference, month)
    )
    shown = display.protect_forest(fitted.effects.assign(factor=fitted.effects.study_id), shield)
    hidden = {(r.level, r.study_id) for r in shown.itertuples() if not np.isfinite(r.estimate)}
    mmrm_differences = fitted.differences[
        [
            (level, study) not in hidden and (reference, study) not in hidden
            for level, study in zip(fitted.differences.level, fitted.differences.study_id, strict=True)
        ]
    ]
    st.markdown(f"**MMRM (every visit), at month {month}**: the effect in each group, and its difference")
    ui.table(
        display.benefit_mmrm(shown, mmrm_differences, levels, reference, outcome),
        key="benefit_mmrm",
        whole=("Group",),
        title=f"Effect in each group at month {month}, MMRM (every visit)",
        note=f"too few patients to estimate (fewer than {effects.MIN_PER_ARM} in an arm, or hidden small cells)",
    )
    st.caption(
        f"{heterogeneity.MMRM_DIFFERENCE_METHOD}. n: the patients seen at month {month}; the model also uses the "
        "other visits of every patient with a baseline and a later visit."
    )
    if fitted.failed:  # a group's model that could not be fitted is named, with why
        long_rows = grouped(
            pd.concat([ui.query(*source).assign(cohort=side) for side, source in sources.items()], ignore_index=True)
        )
        reasons = ui.fitted("heterogeneity.mmrm_failures", long_rows, factor, fitted.failed, "reml", shield.k)
        ui.note(
            " ".join(
                f"No MMRM in {escape.markdown(levels[level])} ({escape.markdown(study)}): {escape.markdown(why)}."
                for level, study, why in reasons
            )
        )
    if by == "study_id" and not sides:
        ui.note(
            "Split by study, each group is one study: the MMRM, fitted per study, has no two groups within a study "
            "to compare, so it shows no difference; the ANCOVA above compares the studies."
        )

reading = display.reading(differences, result.interaction_p if result else float("nan"), group_designs, outcome)
if (
    result is not None and reference is not None
):  # is each difference consistent across the visits and the other outcomes?
    long = grouped(
        pd.concat([ui.query(*source).assign(cohort=side) for side, source in sources.items()], ignore_index=True)
    )
    by_visit = ui.fitted(
        "heterogeneity.differences_by", dict(iter(long.groupby("visit_month"))), factor, comparable, reference
    )
    other_outcomes = {}
    for column in vocab.OUTCOMES:
        if column == analysis.outcome:
            continue
        if sides:
            other_outcomes[column] = pd.concat(
                [
                    ui.query(*patients.statement("analysis_visit", {**extras, "outcome": column})).assign(cohort=side)
                    for side, patients in side_patients.items()
                ],
                ignore_index=True,
            )
        else:
            other_outcomes[column] = grouped(ui.query("analysis_visit", {**params, "outcome": column}))
    by_outcome = ui.fitted("heterogeneity.differences_by", other_outcomes, factor, comparable, reference)
    claimed = [display.supported(row, len(differences) > 1) for row in differences.itertuples()]
    for d, claim in zip(result.differences, claimed, strict=True):
        reading += display.consistency(
            levels[d.level],
            levels[reference],
            d.estimate,
            by_visit[by_visit.level == d.level],
            by_outcome[by_outcome.level == d.level],
            outcome,
            month,
            claim,
        )
if reading:
    ui.note("\n".join(f"- {escape.markdown(line)}" for line in reading), draw=st.markdown)
prespecified = [(side, choice) for side, choice in (("A", a), ("B", b)) if choice.prespecified] if sides else []
if prespecified:  # the operator's subgroups file says where these were specified (text from a file: escaped)
    ui.note(
        " ".join(
            f"{side} ({escape.markdown(choice.label)}) was specified before the data were seen: "
            f"{escape.markdown(choice.prespecified)}."
            for side, choice in prespecified
        )
        + " This comparison is confirmatory only if the protocol named it, with its outcome and visit; otherwise it "
        "is exploratory."
    )
else:
    ui.note(
        "Groups chosen on this page are exploratory unless the trial's protocol named them before the data were seen."
    )

# ---- time to event: the hazard ratio in each group, and the ratio of hazard ratios ---------------------------------
st.subheader("Time to event", anchor=False)
event = ui.control(
    "event",
    st.selectbox,
    "Endpoint",
    list(vocab.BENEFIT_EVENTS),
    format_func=lambda e: vocab.ENDPOINTS[e][0],
    help="The endpoints both arms can reach (patency and reinterventions concern stented patients only).",
)
event_extras = {**extras, "endpoint": event}
event_rows = (
    pd.concat(
        [
            ui.query(*patients.statement("cox_data", event_extras)).assign(cohort=side)
            for side, patients in side_patients.items()
        ],
        ignore_index=True,
    )
    if sides
    else grouped(ui.query("cox_data", {**params, "endpoint": event}))
)
event_rows = event_rows[event_rows[factor].isin(comparable)]
followed = event_rows  # before small-cell protection: each left-out group's reason is read off these
if shield.active:  # a group with fewer than k patients in an arm never enters the model
    sizes = (
        event_rows.groupby([factor, "arm"]).size().unstack(fill_value=0).reindex(columns=list(vocab.ARMS), fill_value=0)
    )
    event_rows = event_rows[
        event_rows[factor].isin([g for g in sizes.index if not sizes.loc[g].map(shield.too_few).any()])
    ]
ordered = sorted((g for g in comparable if (event_rows[factor] == g).any()), key=lambda g: g != reference)
hazards = (
    ui.fitted("heterogeneity.hazard_ratios_between", event_rows, factor, ordered)
    if reference in ordered
    else "it needs the group the others are compared with, and one more"
)
if reference is not None and not isinstance(hazards, str) and hazards.effects.level.iloc[0] != reference:
    # the reference has no event in an arm: the model's ratios would be to another group
    hazards = f"{escape.markdown(levels[reference])}, the group the others are compared with, has no event in an arm"
event_name = vocab.ENDPOINTS[event][0]  # "Recurrent DVT", "Ulcer healing"
if isinstance(hazards, str):
    st.info(
        f"**No ratio of hazard ratios for {event_name.lower().replace('dvt', 'DVT')}**: {hazards}"
        + (
            f"; a group also needs {shield.k} or more patients in each arm (small-cell protection)."
            if shield.active
            else "."
        )
    )
else:
    ui.table(
        display.benefit_hazards(hazards.effects, hazards.differences, levels, ordered[0], shield),
        key="benefit_hazards",
        whole=("Group",),
        title=f"{event_name}: hazard ratio (stent vs medical) in each group",
    )
    terms = hazards.interaction_df
    ui.note(
        f"{heterogeneity.HR_RATIO_METHOD}; the hazard ratio in each group from a Cox model of that group alone. "
        f"A ratio {'above' if event == 'ulcer_healing' else 'below'} 1: the stent "
        + ("speeds healing" if event == "ulcer_healing" else "lowers the hazard of a recurrent DVT")
        + f" more in that group than in {escape.markdown(levels[ordered[0]])}. Joint test of the group × arm "
        f"{'terms' if terms > 1 else 'term'} on {terms} degree{'s' if terms > 1 else ''} of freedom: "
        f"{display.p_clause(hazards.interaction_p)}."
    )
    what = event_name.lower().replace("dvt", "DVT")  # "recurrent DVT", "ulcer healing"

    def why_left_out(group: str) -> str:
        """The reason a group has no hazard ratio, read off its own patients."""
        if group not in comparable:
            return (
                f"its effect at month {month} is not estimated: fewer than {effects.MIN_PER_ARM} patients in an arm "
                "with the outcome" + (", or hidden small cells" if shield.active else "")
            )
        own = followed[followed[factor] == group]
        if own.empty:
            return "no patients with follow-up"
        if group not in set(event_rows[factor]):
            return f"fewer than {shield.k} patients in an arm (small-cell protection)"
        events = own.groupby("arm")["observed"].sum().reindex(list(vocab.ARMS), fill_value=0)
        silent = [arm for arm in vocab.ARMS if events[arm] == 0]
        return f"no {what} in either arm" if len(silent) == len(events) else f"no {what} in the {silent[0]} arm"

    left_out = [g for g in rows.level if g not in set(hazards.effects.level)]
    if left_out:
        ui.note(
            "Left out (a group needs an event in each arm): "
            + "; ".join(f"{escape.markdown(levels[g])} ({why_left_out(g)})" for g in left_out)
            + "."
        )

# ---- the effect along a continuous modifier ---------------------------------------------------------------------
label = vocab.BENEFIT_MODIFIERS[modifier]
named = label[:1].lower() + label[1:]  # in running text
curve = ui.fitted("heterogeneity.effect_curve", analysed, modifier)
if isinstance(curve, str):
    st.info(f"**The effect along {named} cannot be drawn** for these groups: {curve}.")
else:
    rug = analysed[["arm", modifier]].dropna().rename(columns={modifier: "value"})
    if shield.active:  # a tick per value: values fewer than k patients share are not drawn
        sizes = rug.groupby(["arm", "value"]).value.transform("size")
        rug = rug[~sizes.map(shield.too_few)]
    ui.chart(
        charts.modifier_figure(curve.points, rug, curve.knots, outcome, month, label),
        "benefit_curve",
        display.summary_curve(
            curve.points,
            (float(rug.value.quantile(0.1)), float(rug.value.quantile(0.9))) if len(rug) else curve.boundary,
            curve.interaction_p,
            named,
            outcome.change_unit,
            outcome.decimals + 1,
        ),
        patients={"stent": curve.n_stent, "medical": curve.n_medical},
    )
    knots = " and ".join(display.number(k, 1) for k in curve.knots)
    st.caption(
        f"ANCOVA with arm × a natural cubic spline of {named} (interior knots at {curve.knots_from}, {knots}, "
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

shown_sql, shown_params = sides["A"] if sides else ("analysis_visit", params)  # two cohorts: A's statement
ui.how_computed(
    shown_sql,
    shown_params,
    (f"Groups: {split_running} ({splits.METHOD[bool(cuts)]}); " if split_def is not None else "")
    + heterogeneity.DIFFERENCE_METHOD
    + "; "
    + heterogeneity.CURVE_METHOD.format(
        modifier=named, knots_from=curve.knots_from if not isinstance(curve, str) else "its tertiles"
    )
    + (f" ({' and '.join(display.number(k, 1) for k in curve.knots)})" if not isinstance(curve, str) else ""),
    reproduce.benefit(
        params, config.db_path(), factor, sorted(comparable, key=lambda g: g != reference), sides, split_def
    ),
)
