"""Data checks: every rule of the data contract run on the loaded file, and what it found."""

import pandas as pd
import streamlit as st

from pts_explorer import ui, validation

st.header("Data checks", anchor=False)
report = ui.data_report()
errors, warnings = len(report.errors), len(report.warnings)
st.markdown(
    f"**{report.rules_checked} checks** of the data contract ran on this file when it was opened "
    f"({report.seconds:.2f} s, once per file version): {errors} error(s), {warnings} warning(s). "
    "Errors stop every page; warnings are shown here and announced on every page."
)
if report.findings:
    ui.findings_table(report.findings)
else:
    st.success("Every check passed.", icon=":material/task_alt:")

st.subheader("What is checked", anchor=False)
rules = [*validation.contract_rules(), *validation.app_rules()]
st.caption(
    "Generated from the contract's DDL (pts_explorer/schema.sql): column types, required values, allowed values "
    "and ranges, unique keys, references between tables, and the derived columns; plus the rules the DDL cannot "
    "state (one procedure per patient, the visit schedule, temporal order)."
)
st.dataframe(
    pd.DataFrame(
        {
            "Rule": [r.id for r in rules],
            "Severity": [r.severity.capitalize() for r in rules],
            "What it finds": [r.message.replace("`", "") for r in rules],
        }
    ),
    hide_index=True,
    key="rules_table",
)
