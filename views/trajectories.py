"""Trajectories: how each outcome evolves by arm over the visits, with 95% CIs."""

import streamlit as st

from pts_explorer import charts, ui, vocab
from pts_explorer.analytics import trajectories

cohort = ui.current_filter()
st.title("Symptom and outcome trajectories")
st.caption(f"Cohort: {cohort.describe()}")

PAGE_DEFAULTS = {"outcome": "villalta_total", "scale": "value", "by_study": True, "patients": 0}
SAMPLE_SIZES = [0, 10, 25, 50, 100]
ui.url_choice("outcome", list(vocab.OUTCOMES), PAGE_DEFAULTS["outcome"])
ui.url_choice("scale", ["value", "change"], PAGE_DEFAULTS["scale"])
ui.url_choice("by_study", [True, False], PAGE_DEFAULTS["by_study"])
ui.url_choice("patients", SAMPLE_SIZES, PAGE_DEFAULTS["patients"])

c1, c2, c3, c4 = st.columns([2, 2.2, 1.4, 1.8], vertical_alignment="bottom")
outcome_key = c1.selectbox("Outcome", list(vocab.OUTCOMES), format_func=lambda k: vocab.OUTCOMES[k].label,
                           key="outcome")  # fmt: skip
scale = c2.segmented_control("Scale", ["value", "change"], required=True, key="scale",
                             format_func={"value": "Measured", "change": "Change from baseline"}.get)  # fmt: skip
by_study = c3.toggle("Split by study", key="by_study",
                     help="One panel per study: keeps the randomized trial and the observational registry apart.")  # fmt: skip
per_arm = c4.select_slider("Individual patients per arm", SAMPLE_SIZES, key="patients",
                           help="A fixed random sample of patients, drawn behind the means.")  # fmt: skip
ui.publish_choices(PAGE_DEFAULTS)
outcome = vocab.OUTCOMES[outcome_key]
change = scale == "change"

params = {**cohort.as_params(), "outcome": outcome.column, "by_study": by_study, "per_arm": per_arm}
sizes = ui.query("cohort_size_by_study_arm", params)
summary = ui.query("trajectory_summary", params)
if summary.empty:
    ui.empty_cohort(cohort)
    st.stop()

ui.design_notice(sizes, by_study)
table = trajectories.summary_table(summary, change=change)
sample = ui.query("trajectory_sample", params) if per_arm else None
st.plotly_chart(charts.trajectory_figure(table, outcome, change, sample), key="trajectory_chart")

shown = table if by_study else table.drop(columns="study_group")
st.markdown(f"**{'Change from baseline' if change else 'Measured'} {outcome.label}** by arm and visit "
            f"({trajectories.CI_METHOD})")  # fmt: skip
st.dataframe(
    shown,
    hide_index=True,
    column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("mean", "sd", "ci_low", "ci_high")},
    key="trajectory_table",
)

st.subheader("Difference between arms in mean change from baseline")
diff = trajectories.arm_differences(summary)
if diff.empty:
    st.info("Both arms are needed for a difference: the cohort has only one arm, or no follow-up visits.")
else:
    st.plotly_chart(charts.arm_difference_figure(diff, "diff", outcome, f"Difference in mean change of {outcome.label}"
                                                 " (Welch 95% CI)"), key="difference_chart")  # fmt: skip
    diff["p_value"] = diff.p_value.map(trajectories.format_p)
    st.dataframe(
        diff if by_study else diff.drop(columns="study_group"),
        hide_index=True,
        column_config={
            **{c: st.column_config.NumberColumn(format="%.2f")
               for c in ("mean_change_stent", "mean_change_medical", "diff", "ci_low", "ci_high", "df")},
            "p_value": st.column_config.TextColumn("p (Welch)"),
        },  # fmt: skip
        key="difference_table",
    )
    st.caption(f"Stent minus medical; {trajectories.DIFF_METHOD}. Patients with a baseline value and "
               "that visit; unadjusted (adjusted estimates: Effects page).")  # fmt: skip

st.subheader("PTS severity bands over time")
bands = ui.query("band_distribution", params)
st.plotly_chart(charts.band_figure(trajectories.band_shares(bands)), key="band_chart")
st.caption("Share of attended visits in each Villalta band; an open ulcer makes the band severe.")
