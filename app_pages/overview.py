"""Overview: how many patients the cohort holds, and how the arms compare at baseline."""

import streamlit as st

from pts_explorer import charts, display, ui
from pts_explorer.analytics import baseline

cohort = ui.page_header("Cohort overview")

params = cohort.as_params()
sizes = ui.query("cohort_size_by_study_arm", params)
if sizes.empty:
    ui.empty_cohort(cohort)
    st.stop()

by_arm = sizes.groupby("arm").patients.sum()
cols = st.columns(4)
cols[0].metric("Patients", f"{int(sizes.patients.sum()):,}")
cols[1].metric("Stent", f"{int(by_arm.get('stent', 0)):,}")
cols[2].metric("Medical", f"{int(by_arm.get('medical', 0)):,}")
cols[3].metric("Studies", f"{sizes.study_id.nunique()}")
st.plotly_chart(charts.cohort_size_figure(sizes), key="overview_sizes")

st.subheader("Baseline characteristics by arm (Table 1)")
ui.design_notice(sizes)
continuous = ui.query("baseline_continuous", params)
categorical = ui.query("baseline_categorical", params)
table = display.table_one(continuous, categorical)
header = display.arm_header(continuous)
st.dataframe(
    table.drop(columns="level").rename(
        columns={
            "characteristic": "Characteristic",
            "stent": header["stent"],
            "medical": header["medical"],
            "smd": "SMD",
        }
    ),
    hide_index=True,
    height=35 * (len(table) + 1) + 3,
    column_config={"SMD": st.column_config.NumberColumn(format="%.2f", help=baseline.SMD_METHOD)},
    key="overview_table_one",
)
st.caption(
    "Continuous: mean (SD); categorical: n (% of arm). SMD: standardized mean difference "
    "(Yang & Dalton; multi-level for categories). |SMD| above 0.1 is a common flag for imbalance."
)
