"""Durability: how many stents stay open, how often patients need another procedure, ulcer healing."""

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, escape, glossary, reproduce, ui, vocab
from pts_explorer.analytics import competing, ph_test, survival
from pts_explorer.filters import MAX_MODEL_PATIENTS
from pts_explorer.rows import each_row

cohort = ui.page_header("Durability over 10 years")

c1, c2, c3, c4 = st.columns([2, 1.4, 2.2, 2], vertical_alignment="bottom")
endpoint = ui.control(
    "endpoint",
    c1.selectbox,
    "Endpoint",
    list(vocab.ENDPOINTS),
    format_func=lambda e: vocab.ENDPOINTS[e][0],
    help=glossary.endpoint_tip(),
)
group = ui.control(
    "group", c2.selectbox, "Compare by", list(vocab.SURVIVAL_GROUPINGS), format_func=vocab.SURVIVAL_GROUPINGS.get
)
one_curve = vocab.ENDPOINTS[endpoint][1] == "stent" and group == "arm"  # a stent-only endpoint by arm: no ratio
adjust = ui.control(
    "cox_adjust",
    c3.multiselect,
    "Adjust the hazard ratio for",
    list(vocab.COX_ADJUSTMENTS),
    format_func=vocab.COX_ADJUSTMENTS.get,
    placeholder="No hazard ratio: one curve" if one_curve else "Unadjusted",
    disabled=one_curve,
)
randomized_only = ui.control(
    "randomized",
    c4.toggle,
    "Randomized only",
    help="On: patients of randomized studies only (the trial's 2 years). Off: registry patients are included, "
    "and comparisons between groups are observational.",
)

label, population = vocab.ENDPOINTS[endpoint]
in_sentence = label[0].lower() + label[1:]  # "recurrent DVT", not "recurrent dvt"
competing_risk = endpoint in vocab.COMPETING_ENDPOINTS
who = {
    "stent": "stent-arm patients with a technically successful procedure, from the procedure",
    "both": "both arms, from enrollment",
}[population]
if endpoint == "ulcer_healing":
    who = "patients with an open ulcer at baseline, both arms, from enrollment"
if competing_risk:
    how = "Cumulative incidence, with death as a competing event (a patient who died can no longer reach it)."
else:
    how = "Kaplan-Meier, censored at last contact or death, as vascular reporting standards present patency."
ui.note(f"**{label}**: {who}. {how}")

params = {
    **cohort.as_params(),
    "endpoint": endpoint,
    "group": group,
    "max_patients": MAX_MODEL_PATIENTS,
    "randomized_only": randomized_only,
}
counts = ui.query("km_counts", params)
if counts.empty:
    if int(ui.query("cohort_counts", params).matching.sum()) == 0:
        ui.empty_cohort(cohort)
    elif randomized_only and ui.study_designs(cohort, True).empty:
        st.info(
            "**No randomized patient in this cohort.**"
            + ("" if ui.presenting() else " Switch off *Randomized only*."),  # no control on a projector
            icon=":material/event_busy:",
        )
    else:
        st.info(
            f"**Nobody in this cohort is eligible for {in_sentence}**: it concerns {who.split(',')[0]}.",
            icon=":material/event_busy:",
        )
    ui.stop()
labels = vocab.LEVELS.get(group, {})


def shown(value: str, text: Callable[[object], str]) -> str:
    """A group's label: the vocabulary's, or the value of the data (a study id) escaped by `text`."""
    return labels[value] if value in labels else text(value)


def grouping_notice(grouping: str, sizes: pd.DataFrame) -> str:
    """The design statement of a comparison that is not stent against medical (Markdown): no study
    assigns a grade, a site, a sex, an age or a study at random, so it is observational whatever
    the studies' designs; those designs say where the patients come from, and *Randomized only*
    would not make it randomized. sizes: cohort_size_by_study_arm rows of the curves' arms."""
    kinds = set(sizes.design[sizes.patients > 0])
    what = vocab.SURVIVAL_GROUPINGS[grouping].lower()
    why = (
        "Patients are not assigned to a study at random"
        if grouping == "study_id"
        else f"No study assigns {what} at random"
    )
    if kinds == {"randomized"}:
        where = f", trial patients included: their randomization assigned the arm, not the {what}."
    elif kinds == {"observational"}:
        where = "; every patient here comes from an observational (registry) study."
    else:
        where = ", in randomized and observational studies alike."
    studies = sorted(
        {(str(s), str(d)) for s, d, n in zip(sizes.study_id, sizes.design, sizes.patients, strict=True) if n > 0}
    )
    named = [f"{escape.markdown(s)} ({d})" for s, d in studies]
    listed = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)
    return (
        f":orange-badge[:material/visibility: Observational comparison] {why}, so the groups may differ in other "
        f"ways{where} Studies: {listed}."
    )


groups = display.natural_order(group, counts.group_value)  # vocabulary order: tables, legend, at-risk rows
compared = len(groups) > 1  # one curve (a stent-only endpoint by arm, a filter to one level): no comparison
designs = ui.study_designs(cohort, randomized_only)
by_arm = ui.query("km_counts", {**params, "group": "arm"}).groupby("group_value").n.sum()  # the analysis set
arms = {"stent": ["stent"], "both": list(vocab.ARMS)}[population]  # the arms whose patients the curves hold
if compared and group == "arm":  # stent against medical: randomized in the trial, so Randomized only helps
    ui.design_notice(designs, remedy="randomized", analysed=by_arm)
elif compared:  # a grade, a site, a sex, an age, a study: assigned at random in no design
    line = grouping_notice(group, designs[designs.arm.isin(arms)])
    st.markdown(line)
    ui.record_design(f"observational comparison of {vocab.SURVIVAL_GROUPINGS[group].lower()}", line, by_arm)
else:  # what the single curve pools, without notes about a comparison that is not made
    if group == "arm":
        arms = [a for a in arms if a in groups]
    pooled = display.pooled_designs(designs[designs.arm.isin(arms)])
    if not ui.presenting():  # on a projector the presenter line states the design: the chart stays whole
        st.caption(pooled)
    ui.record_design("one curve, no comparison", pooled, by_arm)
ui.analysis_set(
    by_arm,
    ui.query("km_counts", {**params, "group": "study_id"}).group_value,
    {"ulcer_healing": "with an open ulcer at baseline"}.get(
        endpoint, "with a technically successful stent procedure" if population == "stent" else "from enrollment"
    ),
)
if endpoint == "ulcer_healing" and len(unrecorded := ui.query("import_warnings", {"rule": "events:healing"})):
    st.warning(
        f"**The import found {int(unrecorded.warnings.iloc[0]):,} ulcer healing(s) in the visits with no healing "
        "event recorded**: this curve counts recorded events only. Import again with `[derive] ulcer_healed = true` "
        "in the profile to derive them from the visits (README, Your own data).",
        icon=":material/warning:",
    )
if not counts.observed.any():
    st.info(
        f"**No {in_sentence} event in this cohort**: the curve stays flat"
        + ("; there is nothing to compare." if compared else "."),
        icon=":material/check_circle:",
    )

shield = ui.protection()
risk = survival.at_risk(counts, survival.ticks_days(float(counts.duration_days.max()))).reindex(groups)
if competing_risk:
    curves = competing.cumulative_incidence(counts)
    marks = competing.landmarks(curves, counts)
    chisq, df, p = ui.fitted("competing.gray_test", counts)
    method, test_name, overall = competing.CIF_METHOD, "Gray's test", "Gray's test"
    y_label = f"{label}, cumulative incidence"
else:
    fits = survival.fit_km(counts)
    curves = survival.curves(fits)
    marks = survival.landmarks(fits, counts)
    p = survival.logrank(counts)
    method, test_name, overall = survival.KM_METHOD, "Log-rank", "the log-rank test"
    y_label = f"{label}, share free of the event"
shown_as = f"by {vocab.SURVIVAL_GROUPINGS[group].lower()}" if compared else f"{shown(groups[0], escape.plotly)} only"
title = f"{label} {shown_as} ({method.split(',')[0]})" if compared else f"{label}, {shown_as} ({method.split(',')[0]})"
# Under protection coarsened so no count below k can be worked out (display.ShownCurves); the
# estimates at landmarks are read off the curve as drawn.
drawn = display.shown_curves(curves, counts, risk, shield, incidence=competing_risk)
estimable = marks.estimate.notna() & (marks.at_risk > 0)  # the estimator's, before protection
marks = drawn.read(marks)
marks.loc[marks.at_risk.map(shield.too_few), ["estimate", "ci_low", "ci_high"]] = np.nan
# An estimate protection took (fewer than k still at risk, or past where the coarsened curve stops) is said to
# be hidden, not a dash (review 27e, finding 3: IVC stent at 5 years read "–" on a slide, 62.2% unprotected).
marks["protected"] = estimable & marks.estimate.isna()
marks = marks.sort_values("group", key=lambda g: g.map(groups.index), kind="stable").reset_index(drop=True)
if population == "stent" and not ui.presenting():  # on a slide the line says who the curves hold
    # A stent-only endpoint's curves hold the stent patients with a technically successful procedure, fewer
    # than the cohort's stent patients the sidebar counts: said with both numbers beside the chart (a click on a
    # curve of 130 at risk set a cohort of 136, fifth review of issue 28, finding 6).
    held = int(by_arm.get("stent", 0))
    stent_patients = int(designs[designs.arm == "stent"].patients.sum())  # the cohort's (in randomized studies)
    if held < stent_patients:
        curves_hold = "The curves hold" if compared else "The curve holds"
        where = " in randomized studies" if randomized_only else ""
        hidden_parts = shield.mask([held, stent_patients - held]) if shield.active else [False, False]
        if any(hidden_parts) or "stent" in display.cohort_hidden_arms(ui.cohort_by_arm().to_dict(), shield):
            ui.note(f"{curves_hold} only the stent patients{where} with a technically successful procedure.")
        else:
            ui.note(
                f"{curves_hold} the {held:,} of this cohort's {stent_patients:,} stent patients{where} with a "
                "technically successful procedure."
            )
ui.chart(
    drawn.annotate(
        charts.km_figure(
            drawn.curves,
            drawn.risk,
            title,
            y_label,
            labels,
            click_field=vocab.GROUPING_FILTERS.get(group),
            # a stent-only endpoint's curve holds stent patients only: a click filters to them (fourth review of
            # issue 28, finding 6: the IVC curve's 99 stent patients gave a cohort of 137, both arms)
            click_also={"arm": "stent"} if population == "stent" else None,
            risk_rounded_to=drawn.k,
        ),
        labels,
    ),
    "km_chart",
    drawn.alt(display.summary_curves(marks, labels), labels),
    patients=by_arm,
    click_filters=True,
)

hidden = set(drawn.few_patients)  # 1 to k-1 patients: no curve, and its estimates said to be hidden, not a dash


def cell(r: Any) -> str:
    """A landmark's estimate as the table and a slide's key numbers show it: with no event yet (an
    estimate of 0, or of 1 free of the event) the interval has no width and is not estimable."""
    if str(r.group) in hidden or r.protected:
        return shield.label
    if r.at_risk == 0 or pd.isna(r.estimate):
        return display.DASH
    if r.ci_low == r.ci_high:
        return f"{display.percent(r.estimate, 1)} (no event yet: no CI)"
    return display.estimate_with_ci(r.estimate, r.ci_low, r.ci_high)


marks["cell"] = [cell(r) for r in each_row(marks)]
table = marks.pivot(index="group", columns="years", values="cell").rename(columns=lambda y: f"{y} year{'s' * (y > 1)}")
table = table.reindex(groups)
if not competing_risk:
    med = survival.medians(fits).set_index("group")
    table["Median, months (95% CI)"] = [display.median_label(med.loc[g]) for g in table.index]
table.index = [labels.get(g, g) for g in table.index]
column = vocab.SURVIVAL_GROUPINGS[group]
landmarks = table.rename_axis(column).reset_index()
years = [c for c in landmarks.columns if c.endswith(("year", "years"))]
if len(landmarks) <= 2:  # on a slide: each group's estimates at 1, 2, 5 and 10 years
    ui.key_numbers(
        [
            part
            for row in landmarks.to_dict("records")
            for part in (
                # a group whose every estimate is hidden, in one part: said once, the line kept short (the two
                # lines of four "hidden" took 30 px from the chart at 1280x720, its y title into its legend)
                [(f"{row[column]}: {years[0].split()[0]} to {years[-1]}", shield.label)]
                if len(years) > 1 and all(row[when] == shield.label for when in years)
                else [(f"{row[column]}: {when}" if i == 0 else when, row[when]) for i, when in enumerate(years)]
            )
        ]
    )
elif "5 years" in years:  # more groups: each one's estimate at 5 years, on one line as far as a screen allows
    ui.key_numbers(
        [
            ("5 years: " * (i == 0) + str(row[column]), row["5 years"])
            for i, row in enumerate(landmarks.to_dict("records"))
        ]
    )
ui.curve_protection(drawn, labels)  # on a slide too: it names the groups not drawn
ui.end_of_slide()

st.subheader(
    "Estimates at 1, 2, 5 and 10 years", help=glossary.tip("aalen_johansen" if competing_risk else "kaplan_meier")
)
# its dashes are not computable alone: an estimate protection took reads hidden (above)
ui.table(landmarks, key="landmark_table", title="Estimates at 1, 2, 5 and 10 years")
few = f"fewer than {shield.k} patients are" if shield.active else "nobody is"
# a group not drawn (1 to k-1 patients or events): the test's p-value would give its count away
tiny = f"not shown, a group has fewer than {shield.k} patients or events (small cells hidden)"
test_clause = f" {test_name}: {tiny if drawn.hides_a_test() else display.p_clause(p)}." if compared else ""
ui.note(f"{display.sentence(method)}; a dash where {few} still at risk.{test_clause}")
ui.how_computed(
    "km_counts",
    params,
    f"{method}; {competing.GRAY_METHOD if competing_risk else survival.LOGRANK_METHOD}",
    reproduce.time_to_event(params, config.db_path(), competing_risk),
)

if not compared:
    ui.stop()  # one group: no hazard ratio to estimate, and no note about it
hazard_heading = "Cause-specific hazard ratio (Cox)" if competing_risk else "Hazard ratio (Cox)"
st.subheader(hazard_heading, help=glossary.tip("cox"))
if drawn.hides_a_test():  # a group of 1 to k-1 patients or events: no statistic of it, nor whether it has an event
    st.info(f"Hazard ratio {tiny}.")
    ui.stop()
data = ui.query("cox_data", params)
result = ui.fitted("survival.cox", data, group, adjust)
if result is None:
    st.info("A hazard ratio needs at least one event in each group.")
else:
    ui.table(display.hazard_table(result.hazard_ratios, labels, result.reference), title=hazard_heading)
    kind = "Cause-specific hazards (deaths censored) of a " if competing_risk else ""
    term_names = {**vocab.SURVIVAL_GROUPINGS, **vocab.COX_ADJUSTMENTS}
    model = " + ".join(  # the model's terms as the page names them (not the columns' names)
        f"{term_names.get(t, t).lower()} (reference: "
        f"{shown(str(ref), escape.markdown) if t == group else escape.markdown(str(ref))})"
        if (ref := result.design.references.get(t)) is not None
        else term_names.get(t, t).lower()
        for t in result.design.coefficients
    )
    ui.note(
        f"{kind}{survival.COX_METHOD}; model: {model}. PH check p: {ph_test.PH_METHOD}, one test per "
        "coefficient; a small p suggests the hazard ratio changes over time, so read it as an average."
    )
    designs = ui.query("studies").set_index("study_id").design
    observational = int((data.study_id.map(designs) == "observational").sum())
    adjusted = f"adjusted for {', '.join(vocab.COX_ADJUSTMENTS[a].lower() for a in adjust)}" if adjust else "unadjusted"
    share = f"{observational:,} of {len(data):,} patients in this model ({observational / len(data):.0%})"
    if any(shield.mask([observational, len(data) - observational])):
        share = "Some patients in this model"  # the split would show a count below k
    if group != "arm":  # no study assigns a grade, a site, a sex or an age at random: observational in any design
        registry = f" {share} come from the registry." if observational else ""
        ui.note(
            f"**Observational comparison**: no study assigns {vocab.SURVIVAL_GROUPINGS[group].lower()} at random, "
            f"so the groups may differ in other ways.{registry} The hazard ratio is {adjusted}; confounding by other "
            "factors may remain.",
            st.warning,
            icon=":material/visibility:",
        )
    elif observational:
        ui.note(
            f"**Observational comparison**: {share} come from the registry, where treatment was not randomized. "
            f"The hazard ratio is {adjusted}; confounding by other factors may remain.",
            st.warning,
            icon=":material/visibility:",
        )
    ui.table(display.ph_term_table(result.ph_tests, term_names), title="Proportional hazards check, per term")
    note = display.multiplicity_note(
        overall, len(groups), shown(result.reference, escape.markdown), len(result.ph_tests)
    )
    ui.note(note)
    if not ui.presenting():  # an expander, drawn on request: not on a projector
        residuals = st.expander(
            "Scaled Schoenfeld residuals: the hazard ratio over time", on_change="rerun", key="schoenfeld_open"
        )
        if residuals.open:  # drawn on request: the smooth costs a second on a large cohort
            with residuals:
                coefficients = result.design.coefficients[group]
                columns = [c.column for c in coefficients]
                points, smooth = ph_test.beta_over_time(result.zph, columns)
                betas = dict(zip(columns, np.log(result.hazard_ratios.hr), strict=True))
                names = {
                    c.column: f"{shown(str(c.level), escape.plotly)} vs {shown(result.reference, escape.plotly)}"
                    for c in coefficients
                }
                if shield.active:  # each dot is one patient's event
                    points = points.iloc[0:0]
                ui.chart(
                    charts.schoenfeld_figure(points, smooth, betas, names),
                    "schoenfeld_chart",
                    "Scaled Schoenfeld residuals against time with a smooth, per coefficient; flat means proportional.",
                    patients=data.arm.value_counts(),  # the Cox model's patients
                )
                ui.note(
                    "Each dot is an event; its scaled Schoenfeld residual estimates the log hazard ratio at that "
                    "time (Grambsch & Therneau 1994). A smooth that stays near the dashed line supports proportional "
                    "hazards."
                )
    if len(data) >= MAX_MODEL_PATIENTS:
        ui.note(f"Fitted on a stable random sample of {MAX_MODEL_PATIENTS:,} patients.")
    ui.how_computed(
        "cox_data",
        params,
        f"{survival.COX_METHOD}; {ph_test.PH_METHOD}",
        reproduce.cox(params, config.db_path(), group, result.design.levels(), result.design.numeric()),
    )
