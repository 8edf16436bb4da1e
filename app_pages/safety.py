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

st.subheader(f"Time to the first complication, {period}", help=glossary.tip("aalen_johansen"))
shield = ui.protection()
curve_drawn = False  # the key chart; without it (no curve in this window) a slide shows the bars below instead
if period == "before the procedure":
    st.info(
        "**No curve before the procedure.** Only stented patients have this window, from enrollment to the day "
        "before their procedure, and medical patients have no procedure, so no curve could be set against it. "
        "The table below counts its complications.",
        icon=":material/info:",
    )
else:
    counts = ui.query("complication_counts", {**params, "period": period})
    if counts.status.eq(1).any():
        curves = competing.cumulative_incidence(counts)
        groups = [g for g in safety.CURVES if g in set(counts.group_value)]
        within = period == "within 30 days"
        longest = float(counts.duration_days.max())
        ticks = [float(d) for d in range(0, 31, 5)] if within else survival.ticks_days(longest)
        risk = survival.at_risk(counts, ticks).reindex(groups)
        # Under protection coarsened so no count below k can be worked out (display.ShownCurves).
        drawn = display.shown_curves(curves, counts, risk, shield, incidence=True)
        figure = charts.km_figure(
            drawn.curves,
            drawn.risk,
            f"First complication, {period}: like with like by arm, and stent-related (stent arm only)",
            "Cumulative incidence",
            safety.CURVES,
            x_unit="days" if within else "months",
            x_title=safety.CURVE_AXES[period],
            styles={"stent_related": {"color": charts.ARM_COLORS["stent"], "dash": "dot", "symbol": "diamond"}},
            y_max=safety.axis_top(float(drawn.curves.ci_high.max()) if len(drawn.curves) else 0.0),
            click_field="arm",  # a click on an arm's curve filters to the arm
            risk_rounded_to=drawn.k,
        )
        drawn.annotate(figure, safety.CURVES)
        marks = competing.at_day(curves, counts, 30) if within else competing.landmarks(curves, counts, years=(1, 5))
        marks = drawn.read(marks, 30.0 if within else None)
        marks.loc[marks.at_risk.map(shield.too_few), ["estimate", "ci_low", "ci_high"]] = float("nan")
        ui.chart(
            figure,
            "complication_chart",
            drawn.alt(display.summary_complications(marks, safety.CURVES, groups), safety.CURVES),
            patients=counts[counts.group_value.isin(list(vocab.ARMS))].groupby("group_value").n.sum(),  # the window's
            click_filters=True,
        )
        curve_drawn = True
        shared = counts[counts.group_value.isin(list(vocab.ARMS))]
        p = competing.gray_test(shared)[2]
        said = (  # a p-value beside a curve hidden for 1 to k-1 events gives its count away
            f"not shown, an arm's curve has fewer than {shield.k} events (small cells hidden)"
            if drawn.hides_a_test(vocab.ARMS)
            else display.p_clause(p)
        )
        test = f" {competing.GRAY_METHOD}, Stent against Medical on these: {said}."
        test = test if shared.group_value.nunique() == 2 else ""
        st.caption(
            f"{display.sentence(competing.CIF_METHOD)}. {safety.CURVE_WINDOWS[period]} {safety.LIKE_WITH_LIKE}{test} "
            f"{safety.STENT_RELATED}"
        )
        if shield.active:
            ui.curve_protection(drawn, safety.CURVES)
    else:
        st.info(f"No complication {period} in this cohort: no curve to draw.", icon=":material/check_circle:")

complications = display.safety_table(rates, period, shield)
if "Subgroup" not in complications:  # on a slide: the two most frequent complications, as the table shows them
    share_columns = [c for c in complications.columns if c.endswith("patients, % (95% CI)")]
    counted = rates[rates.period == period].groupby("event_type").patients_with.sum()
    frequent = [vocab.EVENT_LABELS[e] for e in counted.sort_values(ascending=False, kind="stable").index]
    shown_rows = complications.set_index("Complication")
    # A complication that needs a stent or its procedure (the stent-related curve's) is the stent arm's only: its
    # medical 0 is no comparison (review 27e, finding 7: "Stent thrombosis: ... medical 0 of 180 · 0.0%").
    stent_only = {vocab.EVENT_LABELS[e] for e in vocab.STENT_COMPLICATIONS}
    arm_columns = {
        c: [s for s in share_columns if c not in stent_only or s.split(":")[0] == vocab.ARMS["stent"]] for c in frequent
    }
    # every arm's cell shown, even where one arm is named: a stent n beside a hidden medical one gives it away
    named = [
        c
        for c in frequent
        if c in shown_rows.index and arm_columns[c] and all("%" in shown_rows.at[c, s] for s in share_columns)
    ]
    ui.key_numbers(
        [
            (f"{complication}: {column.split(':')[0].lower()}" if i == 0 else column.split(":")[0].lower(), cell)
            for complication in named[:2]
            for i, column in enumerate(arm_columns[complication])
            for cell in [shown_rows.at[complication, column]]
        ]
    )
if curve_drawn:
    ui.end_of_slide()

st.subheader(f"Complications {period}", help=glossary.tip("clopper_pearson"))
st.caption(f"{safety.PERIOD_NOTES[period].capitalize()}.")
bars = display.safety_bars(rates, period, shield)
if not bars.empty:  # the table's shares as bars: a click on one filters to its arm (and subgroup)
    ui.chart(
        charts.complication_bars_figure(bars, period, split),
        "complication_bars",
        display.summary_safety_bars(bars),
        click_filters=True,
    )
ui.table(complications, key="safety_table", title=f"Complications {period}")
in_period = rates[rates.period == period].drop_duplicates(["arm", "group_value"]).groupby("arm").patients.sum()
sizes = denominators.groupby("arm").patients.sum()
arms = [a for a in vocab.ARMS if a in in_period.index]
# The arm's patients (the trial's only, with that choice) and those followed in the period are parts of the
# cohort's arm: where its count reads hidden, theirs do too, and the followed where their arm's does
# (display.part_hidden: a shown part would narrow a hidden whole down).
in_drawer = ui.cohort_by_arm().to_dict() if shield.active else {}
arm_hidden = display.part_hidden({a: int(sizes[a]) for a in arms}, in_drawer, shield)
followed_hidden = display.part_hidden({a: int(in_period[a]) for a in arms}, in_drawer, shield)
hidden = [arm_hidden[a] for a in arms]
hidden_in = [followed_hidden[a] or arm_hidden[a] for a in arms]
arm_sizes = ", ".join(
    f"{vocab.ARMS[a]} {shield.count(int(in_period[a]), hide_in)} of {shield.count(int(sizes[a]), hide)}"
    for a, hide, hide_in in zip(arms, hidden, hidden_in, strict=True)
)
st.caption(
    f"Patients followed in this period (at least one of its days), of the arm's: {arm_sizes}. "
    f"*Patients*: {safety.PROPORTION_METHOD}. *Events, per 100 PY*: number of events and "
    f"{safety.RATE_METHOD} (PY: patient-years); rates compare periods and arms with different follow-up, "
    "proportions do not. Medical-arm patients have no procedure, so procedural complications cannot occur there."
)
ui.how_computed("safety_events", params, safety.METHOD, reproduce.safety(params, config.db_path()))
