"""Trajectories: how each outcome evolves by arm over the visits, with 95% CIs."""

import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, glossary, reproduce, settings, ui, vocab
from pts_explorer.analytics import trajectories

cohort = ui.page_header("Symptom and outcome trajectories")

c1, c2, c3, c4 = st.columns([1.7, 2.6, 1.4, 1.6], vertical_alignment="bottom")
outcome_key = ui.control(
    "outcome",
    c1.selectbox,
    "Outcome",
    list(vocab.OUTCOMES),
    format_func=lambda k: vocab.OUTCOMES[k].label,
    help=glossary.outcome_tip(),
)
scale = ui.control(
    "scale",
    c2.segmented_control,
    "Scale",
    ["value", "change"],
    required=True,
    format_func={"value": "Measured", "change": "Change from baseline"}.get,
)
by_study = ui.control(
    "by_study",
    c3.toggle,
    "Split by study",
    help="One panel per study: keeps the randomized trial and the observational registry apart.",
)
per_arm = ui.control(
    "patients",
    c4.select_slider,
    "Individual patients per arm",
    list(settings.SAMPLE_SIZES),
    help="A fixed random sample of patients, drawn behind the means.",
)
outcome = vocab.OUTCOMES[outcome_key]
change = scale == "change"

params = {**cohort.as_params(), "outcome": outcome.column, "by_study": by_study, "per_arm": per_arm}
sizes = ui.query("cohort_size_by_study_arm", params)
summary = ui.query("trajectory_summary", params)
if summary.empty:
    ui.empty_cohort(cohort)
    ui.stop()

ui.design_notice(sizes, by_study, remedy="split")
shield = ui.protection()
stats = ["mean", "sd", "ci_low", "ci_high"]
table = shield.protect_stats(trajectories.summary_table(summary, change=change), ["n"], stats)
# The arms measured at a visit add up to the visit's patients (at month 0 the cohort, which the slide's
# drawer writes beside the filters' options): an arm's n is hidden beside a hidden one (second review of
# issue 28, F5: "n = 10" in the hover, "TC08 (12)" in the drawer gave the hidden 2 away).
# Its SD goes too: with the CI it would give the n back (display.protect_arm_counts).
table = display.protect_arm_counts(table, shield)
sample = ui.query("trajectory_sample", params) if per_arm else None
if sample is not None and shield.active:  # no individual lines from a group of fewer than k patients,
    largest = table.groupby(["study_group", "arm"]).n.max()
    # nor all the lines of an arm whose n is hidden as a complement: their number would be its n
    masked = set(table[table.n_text == shield.label].groupby(["study_group", "arm"]).groups)
    drawn = sample.groupby(["study_group", "arm"]).patient_id.nunique()
    groups = list(zip(sample.study_group, sample.arm, strict=True))
    sample = sample[
        [
            not shield.small(largest.get(group, 0)) and not (group in masked and drawn.get(group, 0) < per_arm)
            for group in groups
        ]
    ]
# Pooled over a trial and a registry, a mean curve can step where one design's visits begin or end
# (the trial's months 1 and 3, the registry's from 36 on): as on Compare, a mark under the chart
# at each visit says which designs the arm's patients measured there come from.
marks = display.TrajectoryMarks(table)
if not by_study and set(sizes.design[sizes.patients > 0]) >= {"randomized", "observational"}:
    per_study = ui.query("trajectory_summary", {**params, "by_study": True})
    design_of = dict(zip(sizes.study_id, sizes.design, strict=False))
    marks = display.trajectory_marks(per_study, design_of, table, shield, "n_change" if change else "n")
table, strip, marks_note, described = marks.table, marks.strip, marks.note, marks.described
ui.chart(
    charts.trajectory_figure(
        table,
        outcome,
        change,
        sample,
        strip,
        # a panel of a study whose arms are too small is drawn empty: it says why (review 27e, finding 3)
        hidden_note=f"Curves {shield.label}: fewer than {shield.k} patients in an arm" if shield.active else "",
    ),
    "trajectory_chart",
    display.summary_trajectory(table, outcome, change, shield) + described,
    patients=ui.arm_ranges(table, "visit"),  # the patients of each point (a study's, when split)
    click_filters=True,
)
if marks_note:
    ui.note(marks_note)

diff = shield.protect_stats(
    trajectories.arm_differences(summary),
    ["n_stent", "n_medical"],
    ["mean_change_stent", "mean_change_medical", "diff", "ci_low", "ci_high", "df", "p_value"],
)
diff = shield.together(diff, ["n_stent", "n_medical"])  # the two arms' n add up to the visit's patients
if not diff.empty:
    differences = display.difference_table(diff, outcome, by_study)
    ui.key_numbers(  # on a slide: the difference in mean change at each study's last visit, as the table shows it
        [
            part
            for _, rows in differences.groupby(differences.get("Study", pd.Series("", index=differences.index)))
            for row in [rows.iloc[-1]]
            for hidden in [bool(diff.hidden[rows.index[-1]])]  # protection took it: said hidden, not a dash
            for part in (
                (
                    f"{row['Study'] + ', ' if 'Study' in row else ''}month {row['Visit (month)']}: "
                    "difference in mean change",
                    display.said_hidden(row[f"Difference, {outcome.change_unit}"], hidden, shield),
                ),
                ("Welch 95% CI", display.said_hidden(row["Welch 95% CI"], hidden, shield)),
            )
        ]
    )
ui.end_of_slide()

what = "Change from baseline" if change else "Measured"
st.markdown(f"**{what} {outcome.label}** by arm and visit ({trajectories.CI_METHOD})")
ui.table(
    display.trajectory_table(table, outcome, by_study, change),
    key="trajectory_table",
    note=ui.dash_note(shield, display.not_computable_why(table.n, table.ci_low)),
)

st.subheader("Difference between arms in mean change from baseline", help=glossary.tip("welch"))
if diff.empty:
    st.info("Both arms are needed for a difference: the cohort has only one arm, or no follow-up visits.")
else:
    title = f"Difference in mean change of {outcome.label}: stent − medical " + charts.interval_phrase(
        diff.ci_low, "Welch 95% CI", diff[["n_stent", "n_medical"]].min(axis=1), diff.visit_month
    )
    figure = charts.arm_difference_figure(diff, "diff", outcome, title)
    compared = pd.concat(
        [diff.assign(arm=arm, n=diff[f"n_{arm}"], n_text=diff[f"n_{arm}_text"]) for arm in ("stent", "medical")]
    )
    ui.chart(
        figure,
        "difference_chart",
        display.summary_differences(diff, "diff", outcome) + described,
        patients=ui.arm_ranges(compared, "visit"),
    )
    if marks_note:  # pooled designs: each visit's difference is as randomized as the patients measured there
        ui.note(
            "Each visit's difference compares the patients measured there, from the designs marked under the "
            f"chart above: {marks.words} Only a visit of randomized patients alone "
            "is a randomized comparison."
        )
    smaller = diff[["n_stent", "n_medical"]].min(axis=1)
    ui.table(
        differences, key="difference_table", note=ui.dash_note(shield, display.not_computable_why(smaller, diff.ci_low))
    )
    ui.note(
        f"Stent minus medical; {trajectories.DIFF_METHOD}. Patients with a baseline value and "
        "that visit; unadjusted (adjusted estimates: Effects page)."
    )
    shown = int(diff.p_value.notna().sum())
    if shown > 1:
        ui.note(display.visit_multiplicity_note(shown))

st.subheader("PTS severity bands over time", help=glossary.tip("pts_band"))
bands = ui.query("band_distribution", params)
band_shares, band_totals = display.band_bars(bands, shield)  # bands add up to n, arms to the visit's
ui.chart(
    charts.band_figure(band_shares),
    "band_chart",
    "Stacked bars: the share of visits in each PTS band, per arm and visit month.",
    patients=ui.arm_ranges(band_totals, "visit"),
    click_filters=True,
)
ui.note("Share of attended visits in each Villalta band; an open ulcer makes the band severe.")
ui.how_computed(
    "trajectory_summary",
    params,
    f"{trajectories.CI_METHOD}, per arm and visit; "
    f"stent − medical mean change from baseline, {trajectories.DIFF_METHOD}",
    reproduce.trajectories(params, config.db_path(), change),
)
