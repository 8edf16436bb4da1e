"""Safety: what stenting costs in complications, early and late, compared with medical care."""

import streamlit as st

from pts_explorer import charts, config, display, reproduce, ui, vocab
from pts_explorer.analytics import safety

cohort = ui.page_header("Safety and complications")

c1, c2 = st.columns([2, 2], vertical_alignment="bottom")
split = ui.control(
    "split",
    c1.segmented_control,
    "Split by",
    list(vocab.SAFETY_SPLITS),
    required=True,
    format_func=vocab.SAFETY_SPLITS.get,
)
period = ui.control(
    "period", c2.segmented_control, "Period", list(safety.PERIODS), required=True, format_func=str.capitalize
)

params = {**cohort.as_params(), "group": split}
denominators = ui.query("safety_denominators", params)
if denominators.empty:
    ui.empty_cohort(cohort)
    st.stop()
ui.design_notice(ui.query("cohort_size_by_study_arm", params))
events = ui.query("safety_events", params)
rates = safety.rates(events, denominators)
if events.empty:
    st.info("**No complication recorded in this cohort.** Every rate below is 0 of n.", icon=":material/check_circle:")

st.markdown(
    f"**Patients with at least one event, {period}** of the index procedure (of enrollment in the medical "
    "arm): patients (% of the arm, exact 95% CI) · number of events."
)
st.dataframe(display.safety_table(rates, period), hide_index=True, key="safety_table")
sizes = denominators.groupby("arm").patients.sum()
arm_sizes = ", ".join(f"{vocab.ARMS[a]} {int(n):,}" for a, n in sizes.items())
st.caption(
    f"{safety.METHOD}. Patients: {arm_sizes}. Medical-arm patients have no procedure, so procedural events "
    "cannot occur there."
)
ui.how_computed("safety_events", params, safety.METHOD, reproduce.safety(params, config.db_path()))

timeline = ui.query("safety_timeline", {**params, "days_per_month": vocab.DAYS_PER_MONTH})
if not timeline.empty:
    windows = [label for *_, label in safety.TIME_BINS]
    figure = charts.safety_timeline_figure(safety.timeline_bins(timeline), vocab.EVENT_LABELS, windows)
    st.plotly_chart(figure, key="safety_timeline")
