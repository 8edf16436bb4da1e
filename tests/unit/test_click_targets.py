"""What a click on a chart sets (issue 28, item 3): the filters its trace's meta names, for the whole
trace or per point, only values of the filter's vocabulary (a study id: any, the cohort filter
checks it), nothing for a point whose value is None."""

from pts_explorer.ui.elements import click_targets

TARGETS = [
    {"arm": "stent", "study": ["TRIAL", "REGISTRY"]},
    {"arm": "medical", "band": [None, "severe"]},
    {},
    {"site": "femoral", "age": "18-49"},
    {"arm": "stent_related"},
]


def test_a_bar_sets_its_traces_arm_and_its_points_study():
    assert click_targets(TARGETS, 0, 1) == {"arm": "stent", "study": "REGISTRY"}


def test_a_point_without_a_value_sets_only_what_the_trace_names():
    assert click_targets(TARGETS, 1, 0) == {"arm": "medical"}
    assert click_targets(TARGETS, 1, 1) == {"arm": "medical", "band": "severe"}


def test_nothing_outside_the_filters_or_their_vocabularies_is_set():
    assert click_targets(TARGETS, 2, 0) == {}
    assert click_targets(TARGETS, 3, 5) == {"site": "femoral"}  # age is not a list filter a click sets
    assert click_targets(TARGETS, 4, 0) == {}  # the stent-related curve is not an arm
    assert click_targets(TARGETS, 9, 0) == {}  # a trace the chart did not have
