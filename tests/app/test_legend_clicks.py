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


def _legend_entries(figure: dict) -> list[str]:
    """The legend's entries as a reader sees them: the names of the traces shown in the legend, each once."""
    names: list[str] = []
    for trace in figure["data"]:
        if trace.get("name") and trace.get("showlegend", True) is not False and trace["name"] not in names:
            names.append(trace["name"])
    return names


def test_each_legend_entry_of_a_curve_chart_is_a_button_that_sets_its_filter(app_on, demo_db, demo_con):
    # Streamlit's plotly events report points, a box or a lasso, never a click on the legend (issue 28 item 3):
    # the legend's entries are buttons under the chart, one click each, and one sets what its curve would.
    at = app_on(demo_db, {"group": "obstruction_site"})
    at.switch_page("app_pages/durability.py").run()
    assert not at.exception, at.exception
    [figure] = [json.loads(el.proto.spec) for el in at.get("plotly_chart") if list(el.proto.selection_mode)]
    buttons = [b for b in at.button if (b.key or "").startswith("km_chart_legend_")]
    assert (
        [b.label for b in buttons]
        == _legend_entries(figure)
        == [
            "IVC",
            "Common iliac",
            "External iliac",
            "Common femoral",
            "Femoral",
        ]
    )
    next(b for b in buttons if b.label == "Common iliac").click().run()
    assert not at.exception, at.exception
    # Primary patency (the default) is a stent-only endpoint: the entry's curve holds its stent patients (the
    # button reads as the legend does; every entry sets the stent arm).
    assert dict(at.query_params) == {"group": "obstruction_site", "arm": "stent", "site": "common_iliac"}
    assert [b.label for b in at.button if (b.key or "").startswith("chip_")] == ["Stent ×", "Common iliac ×"]
    # The sidebar's count is the clicked group's, counted here by hand.
    patients = demo_con.execute(
        "SELECT count(*) FROM patients WHERE obstruction_site = 'common_iliac' AND arm = 'stent'"
    ).fetchone()[0]
    shown = [m.value for m in at.sidebar.markdown if m.value.endswith("patients")]
    assert shown == [f"**{patients:,}** of 2,640 patients"]


@pytest.mark.parametrize("page", PAGES)
def test_a_legend_whose_entries_are_not_filters_gets_no_buttons(app_on, demo_db, page):
    # Trajectories' second chart has a legend of PTS bands at each visit, drawn per arm: a band at month 24 is
    # no patient filter, so its legend offers none; a legend of one entry (a stent-only endpoint) offers none.
    at = app_on(demo_db, {})
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    offered = {}
    for el in at.get("plotly_chart"):
        if list(el.proto.selection_mode):
            offered[el.proto.id] = _legend_entries(json.loads(el.proto.spec))
    labels = [b.label for b in at.button if "_legend_" in (b.key or "")]
    expected = {
        "overview": ["Stent", "Medical"],
        "trajectories": ["Stent", "Medical"],  # the means chart's; the bands chart has none
        "safety": ["Stent", "Medical", "Stent", "Medical"],  # two charts, each by arm
        "durability": [],  # primary patency by arm: stent patients only, one curve
    }[page]
    assert labels == expected, (labels, offered)


SITES = [0, 0, 0, None, 1, 1, 1, None, 2, 2, 2, None, 3, 3, 3, None, 4, 4, 4, None]  # band, band, curve, risk row
BUTTONS_OF_TRACES = {  # page: {chart key: the button each trace's legend entry clicks, in the traces' order}
    "durability": {"km_chart": SITES},
    "overview": {"overview_sizes": [0, 1]},
    # the stent-related curve is of no arm (a click on it sets nothing): no button
    "safety": {
        "complication_chart": [0, 0, 0, None, 1, 1, 1, None, None, None, None, None],
        "complication_bars": [0, 1],
    },
    "trajectories": {"trajectory_chart": [0, 1, 0, 1], "band_chart": [None] * 16},  # a band at a visit: no filter
}


@pytest.mark.parametrize("page", list(BUTTONS_OF_TRACES))
def test_each_trace_names_the_button_a_click_on_its_legend_entry_clicks(app_on, demo_db, page):
    # Fifth review of issue 28, finding 6: a click on "Femoral" in the legend did nothing. The browser clicks the
    # entry's button (ui.elements.LEGEND_CLICKS), told by the figure which one, for each trace.
    at = app_on(demo_db, {"group": "obstruction_site"} if page == "durability" else {})
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, at.exception
    drawn = {}
    for el in at.get("plotly_chart"):
        if list(el.proto.selection_mode):
            figure = json.loads(el.proto.spec)
            drawn[el.proto.id.rsplit("-", 1)[-1]] = figure["layout"]["meta"]["pts_legend_buttons"]  # $$ID-<hash>-<key>
    assert drawn == BUTTONS_OF_TRACES[page]
    if page == "durability":  # each curve's button reads as its legend entry
        [figure] = [json.loads(el.proto.spec) for el in at.get("plotly_chart") if list(el.proto.selection_mode)]
        labels = [b.label for b in at.button if (b.key or "").startswith("km_chart_legend_")]
        named = [labels[n] if n is not None else None for n in drawn["km_chart"]]
        entry = {t["legendgroup"]: t["name"] for t in figure["data"] if t.get("name") and t.get("legendgroup")}
        assert named == [entry.get(t.get("legendgroup")) for t in figure["data"]]
