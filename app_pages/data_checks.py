"""Data checks: every rule of the data contract run on the loaded file, and what it found."""

import pandas as pd
import streamlit as st

from pts_explorer import escape, ui, validation, vocab
from pts_explorer.display.reconciliation import swapped_status_note
from pts_explorer.filters import CohortFilter
from pts_explorer.rows import each_row

st.header("Data checks", anchor=False)
report = ui.data_report()
if ui.may_see_only_some_studies():
    # The checks, the import's warnings and the sponsor's reconciliation count and quote every study's rows.
    st.info(
        "The data checks run on the whole file, which holds studies you may not see, so their counts and examples "
        "are shown only to users who see every study. "
        + (
            "The file breaks rules that stop the pages; ask the administrator."
            if report.errors
            else "No error stops the pages."
            + (" Some rows break warning rules; ask the administrator for the details." if report.warnings else "")
        ),
        icon=":material/lock:",
    )
    ui.stop()
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

# The warnings the import found in the source files (About this dataset counts them and points here).
stored = ui.query("import_issues_stored")
if not stored.empty:
    st.subheader("Warnings the import stored", anchor=False)
    st.caption(
        f"The import found {int(stored.found.sum()):,} warning(s) in the source files and imported the data with "
        "them: records it set aside, values it completed or read otherwise. One line per rule, file, field and "
        "message; the Import page's report lists the same."
    )
    ui.table(
        pd.DataFrame(
            {
                "Rule": stored.rule,
                "File": stored.file,
                "Field": stored.column_name,
                "What the import did, and what to do": stored.message,
                "Count": stored.found,
                "Lines": [
                    ", ".join(str(int(n)) for n in row[[f"line_{i}" for i in range(1, 6)]].dropna())
                    + (f" ({int(row.lines_found) - 5} more)" if row.lines_found > 5 else "")
                    for _, row in stored.iterrows()
                ],
                "Values seen": [
                    ", ".join(str(v) for v in row[[f"value_{i}" for i in range(1, 6)]].dropna())
                    for _, row in stored.iterrows()
                ],
            }
        ),
        key="import_issues_stored",
        title="Warnings the import stored",
    )

endpoints = ui.query("sponsor_endpoints")
if not endpoints.empty:
    st.subheader("Reconciliation with the sponsor's ADTTE", anchor=False)
    st.caption(
        "Each endpoint the imported ADTTE reports, against the app's own derivation from the events, patient by "
        "patient (every patient, whatever the filters). A difference means the definitions differ: the sponsor's "
        "derivation, windows or censoring rules are in its analysis plan; this app's are in the Glossary."
    )
    rows, unknown, swapped = [], [], []
    for e in each_row(endpoints):
        if e.endpoint not in vocab.ENDPOINTS:
            # A file imported before the importer refused such a key (an [adtte] value that is no endpoint
            # the app derives, "ulcer_healed"): named as stored, as text, and not reconciled.
            unknown.append(f"{e.endpoint} ({e.paramcd})")
            continue
        params = {**CohortFilter().as_params(), "endpoint": e.endpoint, "randomized_only": False}
        found = ui.query("adtte_reconciliation", params)
        if not found.empty:
            r = found.iloc[0]
            rows.append(
                {
                    "Endpoint": f"{vocab.ENDPOINTS[e.endpoint][0]} ({e.paramcd})",
                    "Patients (sponsor / app / both)": f"{r.sponsor_patients:,} / {r.app_patients:,} / "
                    f"{r.both_patients:,}",
                    "Events (sponsor / app)": f"{r.sponsor_events:,} / {r.app_events:,}",
                    "Event status differs": int(r.status_differs),
                    "Time differs by more than a day": int(r.time_differs),
                }
            )
            label = f"{vocab.ENDPOINTS[e.endpoint][0]} ({e.paramcd})"
            if note := swapped_status_note(label, int(r.both_patients), int(r.status_differs)):
                swapped.append(note)
    if rows:
        ui.table(pd.DataFrame(rows), key="adtte_reconciliation", title="Sponsor's ADTTE endpoints against the app's")
    for note in swapped:
        st.warning(escape.markdown(note), icon=":material/swap_horiz:")
    if unknown:
        st.caption(
            "Not reconciled, the app derives no endpoint of this name: "
            + escape.markdown(", ".join(unknown))
            + ". Map each PARAMCD in [adtte] of the import profile to one of "
            + escape.markdown(", ".join(vocab.ENDPOINTS))
            + " and import again."
        )

st.subheader("What is checked", anchor=False)
rules = [*validation.contract_rules(), *validation.app_rules()]
st.caption(
    "Generated from the contract's DDL (pts_explorer/schema.sql): column types, required values, allowed values "
    "and ranges, unique keys, references between tables, and the derived columns; plus the rules the DDL cannot "
    "state (one procedure per patient, the visit schedule, temporal order)."
)
ui.table(
    pd.DataFrame(
        {
            "Rule": [r.id for r in rules],
            "Severity": [r.severity.capitalize() for r in rules],
            "What it finds": [r.message.replace("`", "") for r in rules],
        }
    ),
    key="rules_table",
    title="What is checked",
)
