"""Audit trail: who opened which page with which cohort, who exported, imported or restored what, and the
attempts the permissions refused (pts_explorer/audit.py); only for a user with the admin right."""

import pandas as pd
import streamlit as st

from pts_explorer import audit, ui

st.header("Audit trail", anchor=False)
if not ui.may("admin"):
    ui.audit("denied", page="audit", detail="the audit trail without the admin right")
    st.info("**Your permissions do not include the audit trail** (the `admin` right).", icon=":material/lock:")
    ui.stop()

events, torn = ui.audit_events()
st.caption(
    f"{len(events)} events, oldest first, from {ui.audit_file_name()} beside the workspace: times in UTC, the cohort "
    "as its link's query, exports by file kind and size; never a patient's values."
)
if torn:
    st.warning(f"{torn} line(s) of the file could not be read (cut short when the disk was full); they are left out.")
st.download_button(
    "Audit trail (CSV)",
    audit.to_csv(events),
    file_name="pts_audit.csv",
    mime="text/csv",
    key="audit_csv",
    on_click="ignore",
    icon=":material/download:",
)
# Not ui.table: the trail is no page's export and holds no counts to protect; its text is shown as text.
trail = pd.DataFrame(events, columns=list(audit.COLUMNS))
st.dataframe(trail, hide_index=True, key="audit_table")  # noqa: TID251
