"""Numbers into text a reader expects: p-values, medians, table cells and presented tables.

Analytics modules return numbers; this package decides how they are written. No Streamlit here.
By topic, with the same names as analytics and charts (baseline, trajectories, mmrm, effects,
responders, survival, safety, compare, candidate), beside the shared number formats (text).
Every name is importable from here (`display.format_p`, `display.table_one`).

Tables as a paper prints them: labelled headers with units, CIs as "low to high", a dash (with a
footnote on the page) where a value cannot be computed, no negative zero. The summary_* functions
are one-line summaries of charts: their text alternative for screen readers."""

from __future__ import annotations

from pts_explorer.display.baseline import (
    ARMS,
    CATEGORICAL_LABELS,
    CONTINUOUS_LABELS,
    analysis_set_smds,
    arm_header,
    presented_table_one,
    summary_sizes,
    table_one,
)
from pts_explorer.display.benefit import (
    benefit_differences,
    benefit_groups,
    benefit_hazards,
    benefit_mmrm,
    consistency,
    design_of,
    difference_label,
    estimates_text,
    reading,
    summary_benefit,
    summary_curve,
)
from pts_explorer.display.candidate import (
    CANDIDATE_ESTIMATE_COLUMNS,
    CANDIDATE_ROWS,
    candidate_agreement,
    candidate_estimates,
    candidate_landmarks,
    candidate_responders,
    candidate_similarity,
)
from pts_explorer.display.compare import (
    DESIGN_WORDS,
    SIDES,
    design_word,
    pair_difference_table,
    pair_responder_table,
    pair_table,
    side_name,
)
from pts_explorer.display.designs import (
    TrajectoryMarks,
    design_marks_note,
    design_strip,
    point_designs,
    trajectory_marks,
    visit_design_words,
)
from pts_explorer.display.effects import protect_forest, protect_profile, subgroup_table, summary_forest
from pts_explorer.display.mmrm import mmrm_table
from pts_explorer.display.responders import protect_comparison, protect_shares, responder_table, summary_shares
from pts_explorer.display.safety import safety_table, summary_complications
from pts_explorer.display.survival import (
    hazard_table,
    median_label,
    multiplicity_note,
    ph_term_table,
    protect_curves,
    summary_curves,
)
from pts_explorer.display.text import (
    DASH,
    NOT_COMPUTABLE,
    SMD_FLAG,
    counts,
    estimate_with_ci,
    file_size,
    follow_up,
    format_p,
    interval,
    natural_order,
    number,
    p_clause,
    percent,
    pooled_designs,
    sentence,
    smd,
    visit_multiplicity_note,
)
from pts_explorer.display.trajectories import (
    difference_table,
    summary_differences,
    summary_trajectory,
    trajectory_table,
)

__all__ = [
    "TrajectoryMarks",
    "benefit_differences",
    "benefit_mmrm",
    "consistency",
    "design_of",
    "estimates_text",
    "benefit_groups",
    "benefit_hazards",
    "difference_label",
    "reading",
    "summary_benefit",
    "summary_curve",
    "ARMS",
    "CANDIDATE_ESTIMATE_COLUMNS",
    "CANDIDATE_ROWS",
    "CATEGORICAL_LABELS",
    "CONTINUOUS_LABELS",
    "DASH",
    "DESIGN_WORDS",
    "NOT_COMPUTABLE",
    "SIDES",
    "SMD_FLAG",
    "analysis_set_smds",
    "arm_header",
    "candidate_agreement",
    "candidate_estimates",
    "candidate_landmarks",
    "candidate_responders",
    "candidate_similarity",
    "counts",
    "design_marks_note",
    "design_strip",
    "design_word",
    "point_designs",
    "trajectory_marks",
    "visit_design_words",
    "difference_table",
    "estimate_with_ci",
    "file_size",
    "follow_up",
    "format_p",
    "hazard_table",
    "interval",
    "median_label",
    "mmrm_table",
    "multiplicity_note",
    "natural_order",
    "number",
    "p_clause",
    "percent",
    "pair_difference_table",
    "pair_responder_table",
    "pair_table",
    "ph_term_table",
    "pooled_designs",
    "visit_multiplicity_note",
    "presented_table_one",
    "protect_comparison",
    "protect_curves",
    "protect_forest",
    "protect_profile",
    "protect_shares",
    "responder_table",
    "safety_table",
    "sentence",
    "side_name",
    "smd",
    "subgroup_table",
    "summary_complications",
    "summary_curves",
    "summary_differences",
    "summary_forest",
    "summary_shares",
    "summary_sizes",
    "summary_trajectory",
    "table_one",
    "trajectory_table",
]
