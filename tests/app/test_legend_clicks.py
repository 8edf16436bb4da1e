"""On a chart a click filters (Overview, Trajectories, Safety, Durability), a click on the legend must not
hide a curve: the chart would change while the cohort, its count and its chips stay the same, which a reader
takes for a filter (second review of issue 28, F3). The legend there only names the curves."""

import json

import pytest

PAGES = ["overview", "trajectories", "safety", "durability"]


@pytest.mark.parametrize("page", PAGES)
def test_a_legend_click_neither_hides_a_curve_nor_seems_to_filter(app_on, demo_db, page):
    at = app_on(demo_db, {})
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    clickable = [json.loads(el.proto.spec) for el in at.get("plotly_chart") if list(el.proto.selection_mode)]
    assert clickable, f"{page}: no chart a click filters"
    for figure in clickable:
        legend = figure["layout"].get("legend", {})
        assert (legend.get("itemclick"), legend.get("itemdoubleclick")) == (False, False)


def test_a_ranges_histogram_says_it_counts_every_patient_and_does(app_on, demo_db, demo_con):
    # Second review, F6: on /overview?center=RC05&bvillalta=10&bvillalta=33 (75 patients) the histogram
    # under the slider drew all 2,640 patients, and nothing said whose values they are.
    at = app_on(demo_db, {"center": ["RC05"], "bvillalta": ["10", "33"]})
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception, at.exception
    [figure] = [json.loads(el.proto.spec) for el in at.sidebar.get("plotly_chart")]
    drawn = sum(sum(trace["y"]) if isinstance(trace["y"], list) else 0 for trace in figure["data"])
    everyone = demo_con.execute(
        "SELECT count(*) FROM visits WHERE visit_month = 0 AND villalta_total IS NOT NULL"
    ).fetchone()[0]
    assert drawn == everyone == 2640
    words = [c.value for c in at.sidebar.caption if c.value.startswith("Every patient")]
    assert words == [
        "Every patient in the data, not only the cohort's (the other filters do not narrow it), by Baseline "
        "Villalta, the range chosen in colour."
    ]
