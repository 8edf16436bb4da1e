"""The analysis controls shared by the Effects, Subgroups and Responders pages."""

from __future__ import annotations

import streamlit as st

from pts_explorer import glossary, vocab
from pts_explorer.filters import AnalysisSettings, CohortFilter
from pts_explorer.ui import state
from pts_explorer.ui.data import query

REGISTRY_HELP = (
    "Off: randomized patients only, the unconfounded comparison. On: registry patients are added and "
    "the comparison becomes observational."
)


def visit_months(include_registry: bool) -> list[int]:
    """Post-baseline scheduled visits of the studies in the analysis set."""
    studies = query("studies")
    eligible = studies if include_registry else studies[studies.design == "randomized"]
    return sorted({int(m) for months in eligible.visit_months for m in months if m > 0}) or [6]


def analysis_controls(cohort: CohortFilter, with_outcome: bool = True) -> AnalysisSettings:
    """Outcome, visit and analysis-set controls in one row, bound to the URL."""
    cols = st.columns([2, 1.4, 2.2] if with_outcome else [1.4, 2.2], vertical_alignment="bottom")
    outcome = "villalta_total"
    if with_outcome:
        outcome = state.control(
            "outcome",
            cols[0].selectbox,
            "Outcome",
            list(vocab.OUTCOMES),
            format_func=lambda k: vocab.OUTCOMES[k].label,
            help=glossary.outcome_tip(),
        )
    include_registry = state.control(
        "registry", cols[-1].toggle, "Include observational (registry) patients", help=REGISTRY_HELP
    )
    months = visit_months(include_registry)
    visit = state.control(
        "visit", cols[-2].selectbox, "Visit", months, valid=months, format_func=lambda m: f"Month {m}"
    )
    return AnalysisSettings(cohort, outcome, int(visit), randomized_only=not include_registry)
