"""What a page draws, recorded as it runs (charts, tables, methods, designs, results and the SQL it
ran), for the Export menu that ui.exporting fills at the end of the run. A module of its own so
that ui.data (which records each query) and ui.exporting (which reads ui.data) form no cycle."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pts_explorer import exports

ITEMS = "_export_items"  # the session key of this run's items (ui.exporting reads them)


def begin() -> None:
    st.session_state[ITEMS] = {
        "charts": [],
        "tables": [],
        "methods": [],
        "queries": {},
        "designs": [],
        "results": [],
        "notes": [],
    }


# The titles of the tables the pages draw under a widget key without passing one: each is the
# heading the page shows above the table, so the report reads as the page does.
TABLE_TITLES = {
    "overview_table_one": "Baseline characteristics by arm (Table 1)",
    "trajectory_table": "Outcome by arm and visit: mean and 95% CI",
    "difference_table": "Difference between arms in mean change from baseline",
    "mmrm_table": "Adjusted effect at every visit (MMRM)",
    "interaction_tests": "Treatment-by-subgroup interaction tests",
    "compare_table_one": "Baseline: cohort A against cohort B",
    "compare_difference": "Change from baseline: cohort A minus cohort B",
    "compare_responders": "Responders: cohort A against cohort B",
    "candidate_similarity": "Who they are: this patient against the matched patients",
    "candidate_studies": "Matched patients by study and design",
    "candidate_responders": "Responders at 6 and 12 months",
    "candidate_healing": "Ulcer healing of the matched patients",
    "candidate_patency": "Primary patency of the stented matched patients",
    "candidate_safety": "Complications within 30 days of the procedure, stented matched patients",
    "candidate_estimates": "Expected benefit of a stent for this profile",
    "candidate_agreement": "How many matched patients agree with the profile, per field",
    "findings_table": "Problems found by the data checks",
    "import_manifest": "Source files of the import",
}
UNTITLED = "Untitled table"  # a table drawn with neither a title nor a key of TABLE_TITLES (the tests refuse it)


def add_chart(figure: Any, key: str, summary: str, arms: str = "") -> None:
    """A chart as drawn; `arms`: the patients per arm it draws, in words, when they are not the
    analysis set's of the page's design statement (its exported image's caption states them)."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        title = figure.layout.title.text or key.replace("_", " ").capitalize()
        items["charts"].append(exports.Chart(key, title, summary, figure, arms))


def add_note(text: str) -> None:
    """Words the page shows beside its numbers (a test's result, a caution), as plain text."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["notes"].append(text)


def add_table(frame: Any, key: str | None, note: str | None, title: str | None = None) -> None:
    items = st.session_state.get(ITEMS)
    if items is not None:
        title = title or TABLE_TITLES.get(key or "", UNTITLED)
        items["tables"].append(exports.Table(key or "", title, frame.copy(), note or ""))


def add_design(kind: str, statement: str, arms: str) -> None:
    """The design the page states for a comparison it shows, with that analysis set's patients per
    arm as shown: for the report and the caption of every exported image."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["designs"].append(exports.Design(kind, statement, arms))


def set_cohort(words: str) -> None:
    """What the exports call the page's patients, in place of the sidebar's cohort: for a page
    whose results are not the sidebar's cohort (Compare: cohort A against cohort B), as plain text."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["cohort"] = words


def add_result(title: str, values: dict[str, str], note: str = "") -> None:
    """A result the page shows as key numbers (metrics), with the words beside it: for the report."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["results"].append(exports.Result(title, dict(values), note))


def add_query(name: str, params: dict) -> None:
    """A query the page ran, for the report's and the bundle's SQL (each once)."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["queries"].setdefault((name, repr(sorted(params.items()))), exports.Query(name, dict(params)))


def add_method(name: str, params: dict, method: str, snippet: str) -> None:
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["methods"].append(exports.Method(name, dict(params), method, snippet))


def set_patients(rows: exports.PatientRows) -> None:
    """The patients of the page's analysis, one row each, for the Export menu's patient-level
    download (refused below k patients, as the cohort's patient rows are)."""
    items = st.session_state.get(ITEMS)
    if items is not None:
        items["patients"] = rows
