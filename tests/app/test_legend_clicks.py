"""On a chart a click filters (Overview, Trajectories, Safety, Durability), a click on the legend must not
hide a curve: the chart would change while the cohort, its count and its chips stay the same, which a reader
takes for a filter (second review of issue 28, F3). The legend there only names the curves."""

import json

import pytest

PAGES = ["overview", "trajectories", "safety", "durability"]


@pytest.mark.parametrize("page", PAGES)
def test_a_legend_click_neither_hides_a_curve_nor_seems_to_filter(app_on, demo_db, page):
    at = app_on(demo_db, {}).run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    clickable = [json.loads(el.proto.spec) for el in at.get("plotly_chart") if list(el.proto.selection_mode)]
    assert clickable, f"{page}: no chart a click filters"
    for figure in clickable:
        legend = figure["layout"].get("legend", {})
        assert (legend.get("itemclick"), legend.get("itemdoubleclick")) == (False, False)
