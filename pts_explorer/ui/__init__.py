"""The page layer's toolkit, and the only part of pts_explorer that imports Streamlit.

- data: cached, read-only queries and model fits
- state: URL-bound controls whose values survive navigation (one call each)
- filter_panel: the shared cohort filters; controls: the analysis controls
- elements: the presented table and chart (recorded for the exports), the veins diagram
- notices: what every page says around its numbers; frame: the frame around every page
- recorder: what a page draws, for its exports; exporting: the Export menu
- importing: the Import page's parts
"""

from pts_explorer.ui.auth import audit_events, audit_file_name, may, may_see_only_some_studies
from pts_explorer.ui.auth import record as audit
from pts_explorer.ui.cohorts import Choice as CohortChoice
from pts_explorer.ui.cohorts import choices as cohort_choices
from pts_explorer.ui.cohorts import more_cohorts, named_subgroups, saved_on_other_data_notice, two_cohorts
from pts_explorer.ui.cohorts import other_data as saved_on_other_data
from pts_explorer.ui.controls import analysis_controls, candidate_profile, visit_months
from pts_explorer.ui.data import fitted, mmrm_failures, mmrm_fits, mmrm_groups, query
from pts_explorer.ui.data import open_database as data_report
from pts_explorer.ui.elements import (
    arm_counts,
    arm_ranges,
    chart,
    curve_protection,
    dash_note,
    note,
    patient_rows,
    table,
    veins_diagram,
)
from pts_explorer.ui.filter_panel import cohort, cohort_by_arm
from pts_explorer.ui.importing import (
    apply_assistant_choice,
    import_profiles,
    import_report,
    mapping_assistant,
    restore_previous,
    save_uploads,
    survey_uploads,
)
from pts_explorer.ui.notices import (
    analysis_designs,
    cohort_design_notice,
    dataset_provenance,
    design_notice,
    empty_cohort,
    findings_table,
    how_computed,
    no_analysis_data,
    page_header,
    record_design,
    record_result,
    study_designs,
    view_address,
)
from pts_explorer.ui.presenter import Group as PresentedGroup
from pts_explorer.ui.presenter import analysis_set, compared_groups
from pts_explorer.ui.recorder import set_cohort as export_cohort
from pts_explorer.ui.screen import numbers as key_numbers
from pts_explorer.ui.state import (
    accept,
    control,
    end_of_slide,
    forget_cohort,
    presenting,
    protection,
    refuse,
    set_value,
    stop,
    url_query,
)

__all__ = [
    "analysis_controls",
    "candidate_profile",
    "CohortChoice",
    "cohort_choices",
    "named_subgroups",
    "two_cohorts",
    "more_cohorts",
    "saved_on_other_data",
    "saved_on_other_data_notice",
    "visit_months",
    "mmrm_groups",
    "fitted",
    "analysis_designs",
    "analysis_set",
    "key_numbers",
    "end_of_slide",
    "arm_counts",
    "arm_ranges",
    "compared_groups",
    "PresentedGroup",
    "chart",
    "cohort",
    "cohort_by_arm",
    "cohort_design_notice",
    "curve_protection",
    "dash_note",
    "dataset_provenance",
    "control",
    "design_notice",
    "data_report",
    "empty_cohort",
    "export_cohort",
    "findings_table",
    "how_computed",
    "apply_assistant_choice",
    "import_profiles",
    "import_report",
    "mapping_assistant",
    "survey_uploads",
    "mmrm_failures",
    "mmrm_fits",
    "no_analysis_data",
    "note",
    "patient_rows",
    "page_header",
    "record_design",
    "record_result",
    "set_value",
    "accept",
    "refuse",
    "stop",
    "forget_cohort",
    "study_designs",
    "table",
    "presenting",
    "protection",
    "query",
    "restore_previous",
    "may",
    "may_see_only_some_studies",
    "audit",
    "audit_events",
    "audit_file_name",
    "save_uploads",
    "url_query",
    "veins_diagram",
    "view_address",
]
