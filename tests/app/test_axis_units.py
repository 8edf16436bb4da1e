"""The unit on an axis or a column header says what the numbers are (#22 re-review): the Villalta
total is 0 to 33 points, but a change from baseline runs from -33 to 33 and a difference between
arms or cohorts is bounded by neither, so there the unit is "points" without the scale's range;
an axis of measured values keeps it. Read off the figures and tables the pages send, whole."""

import json

import pytest

from pts_explorer import vocab


def _page(app_on, demo_db, page: str, query: dict):
    at = app_on(demo_db, query)
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def _titles(at) -> list[tuple[str, str]]:
    """(x title, y title) of the first axes of every chart the page draws, in order; the x title is
    the one the chart shows under its x axes (under a strip of design marks when pooled: xaxis2)."""
    out = []
    for element in at.get("plotly_chart"):
        layout = json.loads(element.proto.spec)["layout"]
        xs = [layout[a].get("title", {}).get("text", "") for a in sorted(layout) if a.startswith("xaxis")]
        out.append((next((x for x in xs if x), ""), layout.get("yaxis", {}).get("title", {}).get("text", "")))
    return out


def _headers(at) -> list[str]:
    return [str(c) for d in at.dataframe for c in d.value.columns]


def test_trajectories_change_and_difference_axes_carry_no_range(app_on, demo_db):
    at = _page(app_on, demo_db, "trajectories", {"scale": "change", "by_study": "False"})
    titles = _titles(at)
    assert titles[:2] == [
        ("Month since enrollment", "Change in Villalta total, points"),
        ("Month since enrollment", "Stent − medical, points"),
    ]
    headers = _headers(at)
    assert "Mean change from baseline, points" in headers and "Difference, points" in headers
    assert not [h for h in headers if "0-33" in h]


def test_trajectories_measured_axis_keeps_the_scale_range(app_on, demo_db):
    at = _page(app_on, demo_db, "trajectories", {"scale": "value", "by_study": "False"})
    assert _titles(at)[:2] == [
        ("Month since enrollment", "Villalta total, points (0-33)"),
        ("Month since enrollment", "Stent − medical, points"),
    ]
    assert "Mean, points (0-33)" in _headers(at)


def test_effects_difference_axis_and_table(app_on, demo_db):
    at = _page(app_on, demo_db, "effects", {})
    assert _titles(at)[0] == ("Month since enrollment", "Stent − medical, points")
    assert "Difference, points" in _headers(at)
    assert not [h for h in _headers(at) if "0-33" in h]


def test_subgroups_forest_axis_and_table(app_on, demo_db):
    at = _page(app_on, demo_db, "subgroups", {})
    assert _titles(at)[0][0] == "Stent − medical change, points · ← favours stent"
    assert "Difference, points" in _headers(at)


@pytest.mark.parametrize("outcome", list(vocab.OUTCOMES))
def test_every_outcome_has_a_change_unit_without_a_range(outcome):
    expected = {
        "villalta_total": "points",
        "vcss": "points",
        "veines_qol": "T-score",
        "veines_sym": "T-score",
        "pain_vas": "points",
        "calf_circumference_cm": "cm",
        "daily_steps": "steps/day",
    }
    assert vocab.OUTCOMES[outcome].change_unit == expected[outcome]
