"""Safety: what stenting costs in complications, early and late, compared with medical care."""

import streamlit as st

from pts_explorer import charts, config, display, glossary, reproduce, ui, vocab
from pts_explorer.analytics import competing, safety, survival

cohort = ui.page_header("Safety and complications")

c1, c2, c3 = st.columns([4.2, 1.3, 1.5], vertical_alignment="bottom")
period = ui.control(
    "period", c1.segmented_control, "Period", list(safety.PERIODS), required=True, format_func=str.capitalize
)
split = ui.control("split", c2.selectbox, "Split by", list(vocab.SAFETY_SPLITS), format_func=vocab.SAFETY_SPLITS.get)
randomized_only = ui.control(
    "randomized",
    c3.toggle,
    "Randomized only",
    help="On: patients of randomized studies only. Off: registry patients are included; their complication "
    "rates are observational and follow-up is longer.",
)

params = {**cohort.as_params(), "group": split, "randomized_only": randomized_only}
denominators = ui.query("safety_denominators", params)
if denominators.empty:
    if randomized_only and int(ui.query("cohort_counts", params).matching.sum()) > 0:
        st.info(
            "**No randomized patient in this cohort.** Switch off *Randomized only*.",
            icon=":material/event_busy:",
        )
    else:
        ui.empty_cohort(cohort)
    ui.stop()
ui.design_notice(ui.study_designs(cohort, randomized_only), remedy="randomized")
events = ui.query("safety_events", params)
rates = safety.rates(events, ui.query("safety_exposure", params))
if events.empty:
    st.info("**No complication recorded in this cohort.** Every rate below is 0.", icon=":material/check_circle:")

st.subheader("Time to the first complication", help=glossary.tip("aalen_johansen"))
shield = ui.protection()
counts = ui.query("complication_counts", params)
if counts.status.eq(1).any():
    curves = competing.cumulative_incidence(counts)
    risk = survival.at_risk(counts, survival.ticks_days(float(counts.duration_days.max())))
    shown_risk = risk.apply(lambda column: column.map(shield.count)) if shield.active else risk
    title = "Any complication of the table, first one after the procedure (stent) or enrollment (medical)"
    shown_curves = display.protect_curves(curves, counts, shield)
    figure = charts.km_figure(shown_curves, shown_risk, title, "Cumulative incidence", vocab.ARMS)
    marks = competing.landmarks(curves, counts, years=(1, 5))
    marks.loc[marks.at_risk.map(shield.too_few), ["estimate", "ci_low", "ci_high"]] = float("nan")
    ui.chart(figure, "complication_chart", display.summary_curves(marks, vocab.ARMS))
    chisq, df, p = competing.gray_test(counts)
    st.caption(
        f"{display.sentence(competing.CIF_METHOD)}. Events before the procedure are not counted here. "
        f"{competing.GRAY_METHOD}: {display.p_clause(p)}."
    )
else:
    st.info("No complication after the procedure (stent arm) or enrollment (medical arm) in this cohort.")

st.subheader(f"Complications {period}", help=glossary.tip("clopper_pearson"))
st.caption(f"{safety.PERIOD_NOTES[period].capitalize()}.")
ui.table(display.safety_table(rates, period, shield), key="safety_table", title=f"Complications {period}")
sizes = denominators.groupby("arm").patients.sum()
hidden = shield.mask(sizes.tolist())
arm_sizes = ", ".join(
    f"{vocab.ARMS[a]} {shield.count(n, hide)}" for (a, n), hide in zip(sizes.items(), hidden, strict=True)
)
st.caption(
    f"Patients: {arm_sizes}. *Patients*: {safety.PROPORTION_METHOD}. *Events, per 100 PY*: number of events and "
    f"{safety.RATE_METHOD} (PY: patient-years); rates compare periods and arms with different follow-up, "
    "proportions do not. Medical-arm patients have no procedure, so procedural complications cannot occur there."
)
ui.how_computed("safety_events", params, safety.METHOD, reproduce.safety(params, config.db_path()))
