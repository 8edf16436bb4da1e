"""Responders: how many patients improve by a clinically meaningful amount in each arm."""

import pandas as pd
import streamlit as st

from pts_explorer import charts, config, display, glossary, reproduce, ui, vocab
from pts_explorer.analytics import responders

cohort = ui.page_header("Responders")
analysis = ui.analysis_controls(cohort, with_outcome=False)
month = analysis.visit_month

c1, c2, c3 = st.columns([1.1, 2.3, 1.6], vertical_alignment="bottom")
threshold = ui.control("threshold", c1.number_input, "Threshold, points", 1, 15, step=1, help=glossary.tip("responder"))
definition = ui.control(
    "definition",
    c2.segmented_control,
    "Responder means",
    list(vocab.RESPONDER_DEFINITIONS),
    required=True,
    format_func=vocab.RESPONDER_DEFINITIONS.get,
)
imputation = ui.control(
    "imputation",
    c3.segmented_control,
    "A missed visit counts as",
    list(vocab.RESPONDER_IMPUTATIONS),
    required=True,
    format_func=vocab.RESPONDER_IMPUTATIONS.get,
    help="Non-responder (non-responder imputation, the default analysis): a patient due at the visit but not "
    "seen there, also one who died or left the study, is not a responder. Excluded (complete cases, a sensitivity "
    "analysis): such patients are left out.",
)
who = (
    "patients due at the visit; a patient not seen there counts as a non-responder"
    if imputation == "nri"
    else "patients seen at baseline and the visit (complete cases, a sensitivity analysis)"
)
ui.note(
    f"Responder: Villalta **{threshold} points** better, or one PTS band down, as chosen; denominators: {who}. "
    f"No validated responder threshold exists: {threshold} points is an assumption"
    + ("." if ui.presenting() else " (how the answer moves with it: bottom of the page).")  # a slide ends above it
)
params = analysis.as_params(threshold=float(threshold))

agg = ui.query("responders_by_visit", params)
if agg.empty:
    ui.no_analysis_data(analysis)
    ui.stop()
at_visit = agg[agg.visit_month == month].set_index("arm")
ui.design_notice(
    ui.analysis_designs(analysis), remedy="registry", analysed=at_visit.n_due if imputation == "nri" else at_visit.n
)
scheduled = {s.study_id for s in ui.query("studies").itertuples() if month in s.visit_months}
ui.analysis_set(
    at_visit.n_due if imputation == "nri" else at_visit.n,
    scheduled & set(ui.analysis_designs(analysis).study_id),
    f"due at month {month}" if imputation == "nri" else f"seen at baseline and month {month}",
)
label = responders.DESCRIPTIONS[definition].replace("the threshold", f"{threshold} points")
shield = ui.protection()
shares = display.protect_shares(responders.proportions(agg, definition, imputation), shield)
denominators = shares  # each bar's patients, hidden as its hover hides them
ui.chart(
    charts.responder_figure(shares, label),
    "responder_chart",
    display.summary_shares(shares),
    patients=ui.arm_ranges(denominators, "visit"),
)
if imputation == "nri":
    ui.note(responders.NRI_ESTIMATES)

comparison = display.protect_comparison(responders.compare_arms(agg, definition, imputation), shield)
if not comparison.empty:
    compared = display.responder_table(comparison)
    ui.key_numbers(  # on a slide: the analysis visit's responders per arm and their difference, as the table shows
        [
            part
            for i, row in compared[compared["Visit (month)"] == month].iterrows()
            for hidden in [bool(comparison.get("hidden", pd.Series(False, index=comparison.index))[i])]
            for part in (
                (f"Month {month}: stent", row["Stent responders"]),
                ("medical", row["Medical responders"]),
                # protection took the difference: said hidden, not a dash (review 27e, finding 3)
                ("risk difference, % points", display.said_hidden(row["Risk difference, % points"], hidden, shield)),
                ("95% CI", display.said_hidden(row["95% CI (Newcombe)"], hidden, shield)),
            )
        ]
    )
ui.end_of_slide()

st.subheader("Stent versus medical", help=glossary.tip("wilson", "nri"))
if comparison.empty:
    st.info("Both arms are needed for a comparison.")
else:
    note = "no risk ratio where an arm has no responder" + (
        f"; not shown where an arm has fewer than {shield.k} responders, non-responders or patients" * shield.active
    )
    ui.table(compared, note=note, title="Responders: stent versus medical")
    ui.note(f"{responders.RD_METHOD}; {responders.RR_METHOD}. Responders/patients: {who}.")
    if month in set(comparison.visit_month):
        ui.how_computed(
            "responders_by_visit",
            params,
            f"{responders.RD_METHOD}; {responders.RR_METHOD}",
            reproduce.responders(params, config.db_path(), definition, month, imputation),
        )

st.subheader(f"Band shift from baseline to month {month}", help=glossary.tip("pts_band"))
shift = ui.query("band_shift", params)
if shift.empty:
    st.info(f"No patient was seen at both baseline and month {month}.")
else:
    lines = [["arm", "baseline_band"], ["arm", "visit_band"]]  # rows and columns add up to their totals
    shift = shift.assign(hidden=shield.mask_frame(shift, "n", lines))
    ui.chart(
        charts.band_shift_figure(shift, month, shield.label),
        "band_shift",
        "Heat map per arm: baseline band (rows) against the band at the visit (columns), % of each row.",
        patients=shift.groupby("arm").n.sum(),  # seen at baseline and at the month, whatever the imputation
    )
    ui.note(
        "Each row is a baseline band: the share (and number) of its patients in each band at the visit. "
        "Cells below the diagonal moved down (improved). Patients seen at both visits."
    )
    ui.how_computed(
        "band_shift",
        params,
        "counts per arm, baseline band and visit band, computed in SQL",
        reproduce.table("band_shift", params, config.db_path()),
    )

st.subheader(f"How the comparison at month {month} moves with the threshold")
by_points = "responders_points" if definition == "responders_band" else definition
computed = responders.compare_arms(ui.query("responder_thresholds", params), by_points, imputation, by="threshold")
sweep = display.protect_comparison(computed, shield)
# A difference small-cell protection hides was computed: say it is hidden, not that it cannot be computed.
computable = dict(zip(computed.threshold, computed.risk_difference.notna(), strict=True))
if sweep.empty:
    st.info("Both arms are needed for a comparison.")
else:
    kind = "Villalta points" if by_points == "responders_points" else "points or one band down"
    title = f"Risk difference in responders ({kind}) by threshold, month {month}"
    ui.chart(
        charts.threshold_sensitivity_figure(sweep, threshold, title),
        "threshold_chart",
        "Risk difference at each threshold, percentage points: "
        + ", ".join(
            f"{int(t)}: "
            + (
                display.number(100 * rd, 0, signed=True)
                if pd.notna(rd)
                else "hidden (small cells)"
                if computable.get(t)
                else "not computable"
            )
            for t, rd in zip(sweep.threshold, sweep.risk_difference, strict=True)
            if int(t) in (1, threshold, 15)
        )
        + ".",
    )
    note = (
        " The band-only definition has no threshold: shown for Villalta points."
        if definition == "responders_band"
        else ""
    )
    ui.note(f"Stent minus medical, {responders.RD_METHOD}, at every threshold from 1 to 15 points.{note}")
