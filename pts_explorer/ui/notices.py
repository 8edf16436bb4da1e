"""What every page says around its numbers: the dataset and synthetic-data notice, database
problems, empty cohorts, the design of the comparison, and how each number was computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from pts_explorer import config, db
from pts_explorer.filters import AnalysisSettings, CohortFilter
from pts_explorer.ui import filter_panel, state
from pts_explorer.ui.data import open_database, query

CONFOUNDING = (
    "treatment was chosen by clinicians (stenting favoured for high-grade iliac lesions), "
    "so arm differences may reflect confounding; see the baseline SMDs on the Overview page."
)


def require_database() -> None:
    """Open the database, or show what is wrong and how to fix it, and stop the page."""
    try:
        open_database()
    except db.DatabaseProblem as problem:
        _database_problem_page(config.db_path(), problem)
        st.stop()


def _database_problem_page(path: Path, problem: db.DatabaseProblem) -> None:
    st.title("PTS Outcomes Explorer")
    st.error(f"**The outcomes database cannot be used.** {problem.message}", icon=":material/error:")
    if problem.details:
        st.markdown("\n".join(f"- {d}" for d in problem.details))
    from_env = " (from $PTS_DB)" if path != config.DEFAULT_DB_PATH else ""
    st.markdown(
        f"""
**To explore the synthetic demo cohort**, build it (a few seconds) and reload this page:

```
make demo-data        # or: python -m pts_explorer.synthetic --out {config.DEFAULT_DB_PATH}
```

**To explore your own data**, point the app at a DuckDB file that follows the data contract
(see `data/README.md`): `PTS_DB=/path/to/outcomes.duckdb make run`.

The app is looking at `{path}`{from_env}.
"""
    )


def dataset_banner() -> None:
    """Dataset name, and the synthetic-data notice whenever the file says it is synthetic."""
    info = query("dataset_info").iloc[0]
    if bool(info.synthetic):
        st.warning(
            f"**Synthetic demo data.** {info.dataset_name}: generated patients calibrated to "
            "published figures, not real people. Do not use for clinical decisions.",
            icon=":material/science:",
        )
    else:
        st.caption(f"Dataset: **{info.dataset_name}** · {int(info.patients):,} patients")


def setting_notices() -> None:
    """Settings this run had to change because their value does not apply here."""
    for text in state.setting_notices():
        st.info(text, icon=":material/published_with_changes:")


def empty_cohort(cohort: CohortFilter) -> None:
    """The normal, expected state of a filter combination that matches nobody."""
    st.info(
        f"**No patients match the current filters** ({cohort.describe()}). "
        "Widen a filter in the sidebar or press *Reset filters*.",
        icon=":material/filter_alt_off:",
    )


def study_designs(cohort: CohortFilter, randomized_only: bool) -> pd.DataFrame:
    """study_id, design and patients per arm of the studies in an analysis set."""
    sizes = query("cohort_size_by_study_arm", cohort.as_params())
    return sizes[sizes.design == "randomized"] if randomized_only else sizes


def analysis_designs(settings: AnalysisSettings) -> pd.DataFrame:
    """study_id and design of the studies in an analysis set (cohort, randomized only or not)."""
    return study_designs(settings.cohort, settings.randomized_only)[["study_id", "design"]].drop_duplicates()


def no_analysis_data(settings: AnalysisSettings) -> None:
    """Why an analysis set is empty: nobody matches the filters, or nobody has the visits needed."""
    if int(query("cohort_counts", settings.cohort.as_params()).matching.sum()) == 0:
        empty_cohort(settings.cohort)
        return
    where = " among randomized patients" if settings.randomized_only else ""
    advice = "Include observational (registry) patients, or choose another visit." if where else "Choose another visit."
    st.info(
        f"**No patient in this cohort has the outcome at baseline and month {settings.visit_month}{where}.** {advice}",
        icon=":material/event_busy:",
    )


POOLED_REMEDIES = {
    "split": "Split by study to keep the trial's randomized contrast separate.",
    "registry": "Switch off *Include observational (registry) patients* for the randomized contrast alone.",
    "randomized": "Switch on *Randomized patients only* for the randomized contrast alone.",
    "filter": "Choose one study in the sidebar for a single design.",
}


def design_notice(sizes: pd.DataFrame, split_by_study: bool = False, remedy: str = "filter") -> None:
    """Say whether the arm comparison on screen is randomized, observational, or a pooled mix.

    sizes: rows of cohort_size_by_study_arm (study_id, design, ...); remedy: which control of
    this page keeps the designs apart (a key of POOLED_REMEDIES).
    """
    designs = dict(zip(sizes.study_id, sizes.design, strict=False))
    kinds = set(designs.values())
    if kinds == {"randomized"}:
        st.success("**Randomized comparison**: trial patients analysed as randomized.", icon=":material/balance:")
    elif kinds == {"observational"}:
        st.warning(f"**Observational comparison**: {CONFOUNDING}", icon=":material/visibility:")
    elif split_by_study:
        parts = [
            f"**{sid}** is {'a randomized' if d == 'randomized' else 'an observational'} comparison"
            for sid, d in sorted(designs.items())
        ]
        st.info(
            f"One panel per study: {'; '.join(parts)}. In observational studies {CONFOUNDING}",
            icon=":material/call_split:",
        )
    elif kinds:
        st.warning(
            "**Pooled randomized and observational patients**: this is not a randomized comparison. "
            + POOLED_REMEDIES[remedy],
            icon=":material/call_split:",
        )


def how_computed(name: str, params: dict[str, Any], method: str, snippet: str) -> None:
    """The SQL that ran with its bound values, the method, and a snippet that reproduces it."""
    text, bound = db.bind_params(name, params)
    with st.expander("How this was computed", icon=":material/code:"):
        st.markdown(f"**Method:** {method}")
        st.markdown(
            f"**SQL**: `queries/{name}.sql`, with the shared cohort (`queries/shared/cohort.sql`) as a CTE. "
            "Bound parameters:"
        )
        st.json(bound, expanded=False)
        st.code(text, language="sql")
        st.markdown("**Reproduce in Python** (pandas + statsmodels, straight from the DuckDB file):")
        st.code(snippet, language="python")


def run_token() -> None:
    """A counter that changes on every completed run; browser tests wait on it."""
    with st.sidebar.container(key="run_token"):
        st.caption(f"run {state.run_number()}")


def page_header(title: str) -> CohortFilter:
    """The page title and the cohort it shows; returns that cohort (parsed once per run)."""
    cohort = filter_panel.cohort()
    st.title(title)
    st.caption(f"Cohort: {cohort.describe()}")
    return cohort
