"""Plotly figure builders. They take tidy aggregates and return figures; they never query.

By topic, with the same names as analytics and display: trajectories, baseline, effects,
responders, survival, compare; beside them the figure draft (draft: plotly's Figure API on plain
dicts), the shared look (style) and presenter mode (presenter). The builders and the look are
importable from here (`charts.km_figure`, `charts.ARM_COLORS`)."""

from __future__ import annotations

from pts_explorer.charts.baseline import cohort_size_figure, distribution_figure
from pts_explorer.charts.benefit import benefit_figure, modifier_figure
from pts_explorer.charts.compare import COHORT_COLORS, clipped_intervals, cohort_pair_figure
from pts_explorer.charts.draft import Draft
from pts_explorer.charts.effects import forest_figure, symptom_heatmap
from pts_explorer.charts.presenter import (
    MIN_ROW_FONT,
    PRESENTER_FONT,
    PRESENTER_HEIGHT,
    PRESENTER_TICKS,
    PRESENTER_TITLE,
    Sizes,
    key_chart_height,
    presenter_figure,
    screen_scale,
)
from pts_explorer.charts.responders import band_shift_figure, responder_figure, threshold_sensitivity_figure
from pts_explorer.charts.safety import complication_bars_figure
from pts_explorer.charts.style import (
    ARM_COLORS,
    ARM_DASHES,
    ARM_MARKERS,
    ARM_ORDER,
    ARM_PATTERNS,
    BAND_COLORS,
    BAND_LABELS,
    BLUES,
    DODGE,
    ESTIMATE_COLOR,
    FONT,
    GRID_COLOR,
    GROUP_COLORS,
    GROUP_DASHES,
    HIDDEN_BAND,
    ORANGE_RED,
    REFERENCE_COLOR,
    group_style,
    interval_phrase,
    visit_ticks,
)
from pts_explorer.charts.survival import km_figure, schoenfeld_figure
from pts_explorer.charts.trajectories import arm_difference_figure, band_figure, trajectory_figure

__all__ = [
    "benefit_figure",
    "modifier_figure",
    "ARM_COLORS",
    "ARM_DASHES",
    "ARM_MARKERS",
    "ARM_ORDER",
    "ARM_PATTERNS",
    "BAND_COLORS",
    "BAND_LABELS",
    "BLUES",
    "COHORT_COLORS",
    "DODGE",
    "Draft",
    "ESTIMATE_COLOR",
    "FONT",
    "GRID_COLOR",
    "GROUP_COLORS",
    "GROUP_DASHES",
    "HIDDEN_BAND",
    "MIN_ROW_FONT",
    "ORANGE_RED",
    "PRESENTER_FONT",
    "PRESENTER_HEIGHT",
    "PRESENTER_TICKS",
    "PRESENTER_TITLE",
    "REFERENCE_COLOR",
    "arm_difference_figure",
    "band_figure",
    "band_shift_figure",
    "clipped_intervals",
    "cohort_pair_figure",
    "cohort_size_figure",
    "distribution_figure",
    "forest_figure",
    "group_style",
    "interval_phrase",
    "km_figure",
    "presenter_figure",
    "Sizes",
    "key_chart_height",
    "screen_scale",
    "responder_figure",
    "complication_bars_figure",
    "schoenfeld_figure",
    "symptom_heatmap",
    "threshold_sensitivity_figure",
    "trajectory_figure",
    "visit_ticks",
]
