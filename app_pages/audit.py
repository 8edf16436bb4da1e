"""Audit trail: who opened which page with which cohort, who exported, imported or restored what, and the
attempts the permissions refused (pts_explorer/audit.py); only for a user with the admin right."""

import pandas as pd
import streamlit as st

from pts_explorer import audit, ui
from pts_explorer.ui import auth

st.header("Audit trail", anchor=False)
ui.forget_cohort()  # no cohort here: the address keeps none
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
_who = auth.current_identity()  # taken in the run: the download is built on its own thread


def _csv() -> bytes:
    """The trail as CSV, recorded in the trail itself as an export (its size, as every download's)."""
    made = audit.to_csv(events)
    auth.record("export", "audit", kind="csv", size=len(made), detail="pts_audit.csv", who=_who)
    return made


st.download_button(
    "Audit trail (CSV)",
    _csv,
    file_name="pts_audit.csv",
    mime="text/csv",
    key="audit_csv",
    on_click="ignore",
    icon=":material/download:",
)
trail = pd.DataFrame(events, columns=list(audit.COLUMNS))
trail["size"] = [f"{int(v)}" if isinstance(v, int) else "" for v in trail["size"].astype(object)]  # blank: no size
auth.show_trail(trail)
