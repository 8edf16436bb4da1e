"""Overview: how many patients the cohort holds, and how the arms compare at baseline."""

import streamlit as st

from pts_explorer import charts, config, display, glossary, reproduce, ui
from pts_explorer.analytics import baseline

cohort = ui.page_header("Cohort overview")

params = cohort.as_params()
sizes = ui.query("cohort_size_by_study_arm", params)
if sizes.empty:
    ui.empty_cohort(cohort)
    ui.stop()

shield = ui.protection()
by_arm = sizes.groupby("arm").patients.sum().reindex(["stent", "medical"], fill_value=0)
arm_hidden = shield.mask(by_arm.tolist())  # the arms add up to the cohort
cols = st.columns(4)
cols[0].metric("Patients", shield.count(int(sizes.patients.sum())))
cols[1].metric("Stent", shield.count(by_arm["stent"], arm_hidden[0]))
cols[2].metric("Medical", shield.count(by_arm["medical"], arm_hidden[1]))
cols[3].metric("Studies", f"{sizes.study_id.nunique()}")
if cohort.funnel_steps() and not ui.presenting():  # an expander: not on a projector
    with st.expander("How the filters narrow the cohort"):
        funnel = display.cohort_funnel(ui.query("cohort_funnel", cohort.funnel_params()), cohort, shield)
        ui.table(funnel, key="overview_funnel", rows=len(funnel), title="How the filters narrow the cohort")
        st.caption(
            "Each filter in the sidebar's order, applied to the patients the filters above it kept: the patients "
            "left and the patients it removed. In another order each step would remove other numbers; the cohort "
            "at the end is the same."
        )
sizes["hidden"] = shield.mask_frame(sizes, "patients", [["study_id"], ["arm"]])
ui.chart(
    charts.cohort_size_figure(sizes, shield.label),
    "overview_sizes",
    display.summary_sizes(sizes, shield.label),
    click_filters=True,
)

continuous = ui.query("baseline_continuous", params)
categorical = ui.query("baseline_categorical", params)
table_one = display.presented_table_one(continuous, categorical, shield)
ui.key_numbers(  # on a slide: what Table 1 says of the patients a room asks about first, per arm
    [
        (
            f"{row['Characteristic'].strip()}: {arm.split(' (')[0].lower()}" if i == 0 else arm.split(" (")[0].lower(),
            row[arm],
        )
        for row in table_one.to_dict("records")
        if row["Characteristic"].strip() in ("Age, years, mean (SD)", "Villalta total, mean (SD)", "Female")
        for i, arm in enumerate(table_one.columns[1:3])  # "Stent (n = 1,529)", "Medical (n = 1,111)"
    ]
)
ui.end_of_slide()
st.subheader("Baseline characteristics by arm (Table 1)", help=glossary.tip("smd", "ceap"))
ui.design_notice(sizes)
ui.table(table_one, key="overview_table_one", rows=len(table_one))
st.caption(
    "Continuous: mean (SD); categorical: n (% of arm). SMD: standardized mean difference, stent vs medical "
    f"(Yang & Dalton; multi-level for categories); {display.SMD_FLAG} |SMD| above 0.1, a common flag for imbalance; "
    f"{display.DASH} not computable (fewer than 2 patients in an arm)."
    + (
        " A category's SMD reads hidden where one of its cells is: with the arms' sizes it would give the cells back."
        if shield.active
        else ""
    )
)
ui.how_computed(
    "export_patients",
    params,
    f"patients counted per arm and study; Table 1: mean and SD (n − 1) per arm, n (% of arm); {baseline.SMD_METHOD}",
    reproduce.overview(params, config.db_path()),
)

ui.dataset_provenance()
