"""Safety: what stenting costs in complications, early and late, compared with medical care."""

import streamlit as st

from pts_explorer import charts, config, reproduce, ui, vocab
from pts_explorer.analytics import safety

cohort = ui.current_filter()
st.title("Safety and complications")
st.caption(f"Cohort: {cohort.describe()}")

ui.url_choice("split", ["none", "obstruction_site", "stenosis_grade"], "none")
ui.url_choice("period", list(safety.PERIODS), "within 30 days")
c1, c2 = st.columns([2, 2], vertical_alignment="bottom")
split = c1.segmented_control("Split by", ["none", "obstruction_site", "stenosis_grade"], key="split", required=True,
                             format_func={"none": "Arm only", "obstruction_site": "Obstruction site",
                                          "stenosis_grade": "Stenosis grade"}.get)  # fmt: skip
period = c2.segmented_control("Period", list(safety.PERIODS), key="period", required=True,
                              format_func=str.capitalize)  # fmt: skip
ui.publish_choices({"split": "none", "period": "within 30 days"})

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

st.markdown(f"**Patients with at least one event, {period}** of the index procedure (of enrollment in the medical "
            "arm): patients (% of the arm, exact 95% CI) · number of events.")  # fmt: skip
st.dataframe(safety.display_table(rates, period), hide_index=True, key="safety_table")
sizes = denominators.groupby("arm").patients.sum()
st.caption(f"{safety.METHOD}. Patients: " + ", ".join(f"{vocab.ARMS[a]} {int(n):,}" for a, n in sizes.items())
           + ". Medical-arm patients have no procedure, so procedural events cannot occur there.")  # fmt: skip
ui.how_computed("safety_events", params, safety.METHOD, reproduce.safety(params, config.db_path()))

timeline = ui.query("safety_timeline", params)
if not timeline.empty:
    st.plotly_chart(charts.safety_timeline_figure(safety.timeline_bins(timeline), safety.EVENT_LABELS,
                                                  [label for *_, label in safety.TIME_BINS]), key="safety_timeline")  # fmt: skip
