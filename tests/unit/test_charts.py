"""Chart builders: the traces, axis titles and colours a reader relies on, from small tidy frames."""

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from pts_explorer import charts, display, vocab
from pts_explorer.analytics import survival, trajectories
from pts_explorer.charts import draft, style

VILLALTA = vocab.OUTCOMES["villalta_total"]


def _trajectory_table(groups=("TRIAL",)) -> pd.DataFrame:
    rows = []
    for group in groups:
        for arm, level in (("stent", 8.0), ("medical", 12.0)):
            for month in (0, 6, 12):
                rows.append(
                    {
                        "study_group": group,
                        "arm": arm,
                        "visit_month": month,
                        "n": 20,
                        "mean": level,
                        "sd": 3.0,
                        "ci_low": level - 1,
                        "ci_high": level + 1,
                    }
                )
    return pd.DataFrame(rows)


def _traces(fig, **match):
    return [t for t in fig.data if all(getattr(t, k) == v for k, v in match.items())]


def test_trajectory_figure_has_one_trace_per_arm_in_the_arm_colours():
    fig = charts.trajectory_figure(_trajectory_table(), VILLALTA, change=False)
    stent, medical = _traces(fig, name="Stent"), _traces(fig, name="Medical")
    assert len(stent) == len(medical) == 1
    assert stent[0].line.color == charts.ARM_COLORS["stent"] and medical[0].line.color == charts.ARM_COLORS["medical"]
    assert list(stent[0].error_y.array) == [1.0, 1.0, 1.0]
    assert fig.layout.yaxis.title.text == "Villalta total, points (0-33)"
    assert fig.layout.xaxis.title.text == "Month since enrollment"
    assert "lower is better" in fig.layout.title.text


def test_trajectory_figure_change_scale_says_so_and_draws_a_zero_line():
    fig = charts.trajectory_figure(_trajectory_table(), VILLALTA, change=True)
    assert fig.layout.title.text == "Change in Villalta total by arm: mean and 95% CI (lower is better)"
    assert any(shape.y0 == 0 for shape in fig.layout.shapes)


def test_trajectory_figure_has_a_panel_per_study_and_one_legend_entry_per_arm():
    fig = charts.trajectory_figure(_trajectory_table(("REGISTRY", "TRIAL")), VILLALTA, change=False)
    assert [a.text for a in fig.layout.annotations] == ["REGISTRY", "TRIAL"]
    assert sum(t.showlegend is not False for t in _traces(fig, name="Stent")) == 1


def test_individual_patient_lines_are_faint_and_behind_the_means():
    sample = pd.DataFrame(
        {
            "patient_id": ["a", "a", "b", "b"],
            "arm": "stent",
            "study_group": "TRIAL",
            "visit_month": [0, 6, 0, 6],
            "value": [14.0, 9.0, 12.0, 8.0],
            "change": [0, -5, 0, -4],
        }
    )
    fig = charts.trajectory_figure(_trajectory_table(), VILLALTA, change=False, sample=sample)
    lines = _traces(fig, name="Stent: individual patients")
    assert len(lines) == 1 and lines[0].opacity < 0.5
    assert fig.data.index(lines[0]) < fig.data.index(_traces(fig, name="Stent")[0])
    assert list(lines[0].y) == [14.0, 9.0, None, 12.0, 8.0, None]  # gaps separate patients


def test_arm_difference_figure_has_a_line_per_study_and_a_zero_reference():
    frame = pd.DataFrame(
        {
            "study_group": ["TRIAL", "TRIAL"],
            "visit_month": [6, 12],
            "diff": [-4.0, -3.0],
            "ci_low": [-5.0, -4.5],
            "ci_high": [-3.0, -1.5],
        }
    )
    fig = charts.arm_difference_figure(frame, "diff", VILLALTA, "title")
    assert [t.name for t in fig.data] == ["TRIAL"]
    assert list(fig.data[0].error_y.arrayminus) == [1.0, 1.5]
    assert fig.layout.yaxis.title.text == "Stent − medical, points"
    assert any(shape.y0 == 0 for shape in fig.layout.shapes)


def test_band_figure_stacks_every_band_in_its_colour_to_100_percent():
    shares = pd.DataFrame(
        [
            {"study_group": "All studies", "arm": arm, "visit_month": 0, "pts_band": band, "n": 5, "share": 0.25}
            for arm in vocab.ARMS
            for band in vocab.BANDS
        ]
    )
    fig = charts.band_figure(shares)
    assert fig.layout.barmode == "stack"
    assert {t.marker.color for t in fig.data} == {charts.BAND_COLORS[b] for b in vocab.BANDS}
    assert list(fig.layout.yaxis.range) == [0, 100]


def test_band_figure_pools_hidden_bands_without_their_count():
    bands = pd.DataFrame(
        {"study_group": "All", "arm": "stent", "visit_month": 0, "pts_band": list(vocab.BANDS), "n": [2, 3, 40, 55]}
    )
    hidden = pd.Series([True, True, False, False])
    shares = trajectories.band_shares(bands, hidden, "hidden")
    fig = charts.band_figure(shares)
    pooled = next(t for t in fig.data if t.marker.color == charts.BAND_COLORS["hidden"])
    assert list(pooled.y) == [5.0] and list(pooled.customdata) == ["hidden"]  # 2 + 3 of 100, no count
    assert {t.name for t in fig.data} >= {"Hidden (small counts)", "Severe (15+ or ulcer)"}


def test_cohort_size_figure_labels_each_study_with_its_design():
    sizes = pd.DataFrame(
        {"study_id": ["TRIAL", "TRIAL"], "design": "randomized", "arm": ["stent", "medical"], "patients": [120, 118]}
    )
    fig = charts.cohort_size_figure(sizes)
    assert [t.name for t in fig.data] == ["Stent", "Medical"]
    assert list(fig.data[0].y) == ["TRIAL (randomized)"]
    assert fig.layout.xaxis.title.text == "Patients"


def test_forest_figure_marks_subgroups_too_small_to_estimate():
    rows = pd.DataFrame(
        {
            "factor_label": ["Sex", "Sex"],
            "level_label": ["Female", "Male"],
            "estimate": [-4.0, np.nan],
            "ci_low": [-6.0, np.nan],
            "ci_high": [-2.0, np.nan],
            "n_stent": [30, 2],
            "n_medical": [28, 1],
            "estimable": [True, False],
        }
    )
    fig = charts.forest_figure(rows, VILLALTA, 12, overall=-4.5)
    assert fig.layout.title.text == f"Adjusted treatment effect on {VILLALTA.label} at month 12 by subgroup"
    assert list(fig.data[0].x) == [-4.0]
    assert "too few patients to estimate" in [a.text for a in fig.layout.annotations]
    assert list(fig.layout.yaxis.ticktext) == ["Sex: Female  (n 30/28)", "Sex: Male  (n 2/1)"]


def test_forest_figure_shows_a_study_id_as_text_not_markup():
    study = '<a href="http://evil.example">S1</a>'  # a value of the data file (issue 24, item 5)
    rows = pd.DataFrame(
        {
            "factor_label": ["Study"],
            "level_label": [study],
            "estimate": [-4.0],
            "ci_low": [-6.0],
            "ci_high": [-2.0],
            "n_stent": [30],
            "n_medical": [28],
            "estimable": [True],
        }
    )
    [tick] = charts.forest_figure(rows, VILLALTA, 12).layout.yaxis.ticktext
    assert tick == 'Study: &lt;a href="http://evil.example"&gt;S1&lt;/a&gt;  (n 30/28)'


def test_responder_figure_shows_percent_with_intervals_per_arm():
    props = pd.DataFrame(
        {
            "arm": ["stent", "medical"],
            "visit_month": [6, 6],
            "n": [100, 100],
            "responders": [60, 20],
            "proportion": [0.6, 0.2],
            "ci_low": [0.5, 0.13],
            "ci_high": [0.69, 0.29],
        }
    )
    fig = charts.responder_figure(props, "improved by 4 points")
    assert [t.name for t in fig.data] == ["Stent", "Medical"]
    assert fig.data[0].y[0] == pytest.approx(60)
    assert fig.data[0].marker.color == charts.ARM_COLORS["stent"]
    assert fig.layout.yaxis.title.text == "% responders"


def test_km_figure_draws_a_band_and_a_step_curve_per_group_and_the_numbers_at_risk():
    counts = pd.DataFrame(
        {
            "group_value": ["stent"] * 3 + ["medical"] * 3,
            "duration_days": [100, 200, 400] * 2,
            "observed": [True, False, True] * 2,
            "n": [5, 3, 2, 4, 4, 2],
        }
    )
    fits = survival.fit_km(counts)
    risk = survival.at_risk(counts, [0.0, 182.6, 365.25])
    fig = charts.km_figure(survival.curves(fits), risk, "title", "Share free", vocab.ARMS)
    curves = [t for t in fig.data if t.name in ("Stent", "Medical")]
    assert [t.line.shape for t in curves] == ["hv", "hv"]
    assert [t.line.color for t in curves] == [charts.ARM_COLORS["stent"], charts.ARM_COLORS["medical"]]  # fixed order
    at_risk_rows = [t for t in fig.data if t.mode == "text"]
    assert [list(t.text) for t in at_risk_rows] == [["10", "5", "2"], ["10", "6", "2"]]
    assert fig.layout.yaxis.title.text == "Share free"
    # Every number at risk is drawn whole: half a row of room above and below, room left of month 0.
    assert all(t.cliponaxis is False for t in at_risk_rows)
    assert tuple(fig.layout.yaxis2.range) == (1.5, -0.5)
    assert fig.layout.xaxis2.range[0] < 0


def test_legend_sits_under_the_title_whatever_the_figure_height():
    short, tall = (style._base_layout(draft._figure(), "t", h).figure() for h in (400, 900))
    for fig in (short, tall):
        assert fig.layout.legend.yref == fig.layout.title.yref == "container"
        title_px = (1 - fig.layout.title.y) * fig.layout.height
        legend_px = (1 - fig.layout.legend.y) * fig.layout.height
        assert title_px < legend_px < fig.layout.margin.t - 40  # below the title, above the plot


def _every_chart() -> dict[str, go.Figure]:
    """One figure from each builder a page's key chart comes from, on small frames."""
    sizes = pd.DataFrame(
        {"study_id": ["TRIAL", "TRIAL"], "design": "randomized", "arm": ["stent", "medical"], "patients": [12, 11]}
    )
    shares = pd.DataFrame(
        [
            {"study_group": g, "arm": a, "visit_month": m, "pts_band": b, "share": 0.25, "n": 10}
            for g in ("A", "B")
            for a in ("stent", "medical")
            for m in (0, 6)
            for b in vocab.BANDS
        ]
    )
    table = _trajectory_table(("A", "B"))
    diff = table[table.arm == "stent"].assign(diff=-2.0)
    return {
        "trajectory": charts.trajectory_figure(table, VILLALTA, change=False),
        "difference": charts.arm_difference_figure(diff, "diff", VILLALTA, "t"),
        "bands": charts.band_figure(shares),
        "sizes": charts.cohort_size_figure(sizes),
    }


def _json(fig) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def test_charts_built_without_validation_are_the_figures_plotly_validates(monkeypatch):
    fast = _every_chart()
    monkeypatch.setattr(draft, "VALIDATE", True)
    draft._subplot_template.cache_clear()
    checked = {name: _json(fig) for name, fig in _every_chart().items()}
    for name, fig in fast.items():
        assert _json(go.Figure(fig.to_plotly_json())) == checked[name], name  # valid, and the same figure
    draft._subplot_template.cache_clear()


def _draw(fig, grid: bool) -> None:
    """The figure operations the builders use, in the order they use them."""
    line = {"color": "#888888", "dash": "dot", "width": 1}
    for col in (1, 3) if grid else (None,):
        cell = {"row": 1, "col": col} if grid else {}
        fig.add_trace({"type": "scatter", "x": [0, 6], "y": [1, 2], "name": f"c{col}"}, **cell)
        fig.update_xaxes(title_text="Month", tickvals=[0, 6], **cell)
    fig.add_traces([{"type": "bar", "x": ["a"], "y": [1], "marker_color": "#FED976"}])
    fig.add_hline(y=0, line=line)
    fig.update_yaxes(title_text="Score", range=[0, 3], **({"row": 1, "col": 1} if grid else {}))
    fig.update_layout(barmode="stack", margin={"l": 80, "t": 110}, legend={"x": 0})
    fig.update_layout(margin={"l": 330}, title={"text": "t"}, plot_bgcolor="rgba(0, 0, 0, 0)")
    fig.update_xaxes(showgrid=True, gridcolor="#ccc", zeroline=False)
    fig.update_yaxes(title_text=None)
    if not grid:
        fig.add_vline(x=1.5, line=line)
        position = {} if isinstance(fig, charts.Draft) else {"annotation_position": "top"}  # the Draft's only one
        fig.add_vline(x=2.5, line=line, annotation_text="chosen", **position)
        fig.add_annotation(x=0, y=1, text="note", showarrow=False, xanchor="left")


@pytest.mark.parametrize("grid", [False, True])
def test_a_draft_makes_the_figure_plotly_api_makes(grid):
    """Draft applies the builders' operations as plotly's Figure does: updates merge, magic
    underscores, reference lines on every subplot with data, row/col cells, None removes."""
    from plotly.subplots import make_subplots

    shape = {"rows": 1, "cols": 3, "shared_yaxes": True, "subplot_titles": ["a", "b", "c"]}
    reference = make_subplots(**shape) if grid else go.Figure()
    sketch = draft._subplots(**shape) if grid else draft._figure()
    _draw(reference, grid)
    _draw(sketch, grid)
    expected, drafted = _json(reference), _json(sketch.figure())
    for figure in (expected, drafted):
        figure["layout"].pop("template", None)
    assert drafted == expected


def test_presenter_figures_are_large_and_leave_the_original_alone():
    for name, fig in _every_chart().items():
        before = _json(fig)
        big = charts.presenter_figure(fig)
        assert _json(fig) == before, name
        assert big.layout.title.font.size >= 22 and big.layout.font.size >= 16, name
        assert all(axis.tickfont.size >= 16 for axis in big.select_xaxes()), name
        assert big.layout.height == charts.PRESENTER_HEIGHT, name
        title_px = (1 - big.layout.title.y) * big.layout.height
        legend_px = (1 - big.layout.legend.y) * big.layout.height
        assert title_px + 22 <= legend_px < big.layout.margin.t, name  # the larger title still clears the legend


def test_visit_ticks_leave_out_labels_that_would_crowd_and_never_tilt():
    ticks = charts.visit_ticks(pd.Series([0, 1, 3, 6, 12, 24, 36, 60, 84, 120, 120]))
    assert ticks["tickvals"] == [0, 1, 3, 6, 12, 24, 36, 60, 84, 120]
    assert ticks["ticktext"] == ["0", "", "", "6", "12", "24", "36", "60", "84", "120"]
    assert ticks["tickangle"] == 0
    assert charts.visit_ticks(pd.Series([0, 1, 3, 6, 12, 24]))["ticktext"] == ["0", "1", "3", "6", "12", "24"]


def test_presenter_forest_rows_keep_apart():
    """A forest plot's row labels shrink in presenter mode until the rows no longer overlap."""
    rows = pd.DataFrame(
        {
            "factor_label": ["Site"] * 24,
            "level_label": [f"level {i}" for i in range(24)],
            "estimate": np.linspace(-6, -2, 24),
            "ci_low": np.linspace(-8, -4, 24),
            "ci_high": np.linspace(-4, 0, 24),
            "n_stent": [30] * 24,
            "n_medical": [30] * 24,
            "estimable": [True] * 24,
        }
    )
    big = charts.presenter_figure(charts.forest_figure(rows, vocab.OUTCOMES["villalta_total"], 6, -4.0))
    plot_px = big.layout.height - big.layout.margin.t - big.layout.margin.b
    assert big.layout.yaxis.tickfont.size <= 0.8 * plot_px / 24 or big.layout.yaxis.tickfont.size == charts.MIN_ROW_FONT
    few = charts.presenter_figure(charts.forest_figure(rows.head(4), vocab.OUTCOMES["villalta_total"], 6, -4.0))
    assert few.layout.yaxis.tickfont.size == charts.PRESENTER_TICKS


@pytest.mark.parametrize("groups", [2, 5, 16])
def test_presenter_numbers_at_risk_are_tick_sized_unless_their_rows_would_touch(groups):
    """Presenter mode draws the numbers at risk as large as the ticks (16 px); only where a row of the
    risk table is shorter than 20 px at the presenter's height does the text shrink, to 80% of a row,
    never below the analyst view's own size (12 px)."""
    from pts_explorer.charts import presenter

    values = [f"g{i}" for i in range(groups)]
    counts = pd.DataFrame(
        {
            "group_value": np.repeat(values, 3),
            "duration_days": [100, 200, 400] * groups,
            "observed": [True, False, True] * groups,
            "n": [5, 3, 2] * groups,
        }
    )
    fits = survival.fit_km(counts)
    risk = survival.at_risk(counts, [0.0, 182.6, 365.25])
    big = charts.presenter_figure(charts.km_figure(survival.curves(fits), risk, "title", "Share free", {}))
    rows = [t for t in big.data if t.mode == "text"]
    assert len(rows) == groups
    low, high = big.layout.yaxis2.domain
    row_px = (presenter.PRESENTER_HEIGHT - big.layout.margin.t - big.layout.margin.b) * (high - low) / groups
    expected = presenter.PRESENTER_TICKS if 0.8 * row_px >= presenter.PRESENTER_TICKS else int(0.8 * row_px)
    # the rows' own 12 px gives way too where rows would touch (#27: a slide sharing the screen with its
    # key numbers), never below the stated minimum
    assert {t.textfont.size for t in rows} == {max(expected, presenter.MIN_ROW_FONT)}
    assert (expected == presenter.PRESENTER_TICKS) == (groups < 16)


def test_no_interval_says_why_fewer_than_two_patients_or_no_spread():
    """Review rev23f: three patients an arm whose values are all alike read "not computable: fewer than 2
    patients"; the reason there is zero variance (review 17: said alone when every mean has 2 or more)."""
    alike = _trajectory_table().assign(n=3, sd=0.0, ci_low=np.nan, ci_high=np.nan)
    fig = charts.trajectory_figure(alike, VILLALTA, change=False)
    assert fig.layout.title.text == (
        "Villalta total by arm: mean (95% CI not computable: zero variance, every patient's value the same) "
        "(lower is better)"
    )
    mixed = alike.assign(n=[1 if i == 0 else 3 for i in range(len(alike))])
    fig = charts.trajectory_figure(mixed, VILLALTA, change=False)
    assert fig.layout.title.text == (
        "Villalta total by arm: mean (95% CI not computable: fewer than 2 patients at some points, zero variance at "
        "the others) (lower is better)"
    )
    single = alike.assign(n=1)
    fig = charts.trajectory_figure(single, VILLALTA, change=False)
    assert fig.layout.title.text == (
        "Villalta total by arm: mean (95% CI not computable: fewer than 2 patients) (lower is better)"
    )


def test_welch_interval_of_arms_of_three_with_zero_variance_says_zero_variance():
    """Review 17, finding 9: Trajectories' difference read "Welch 95% CI not computable: fewer than 2 patients"
    with 3 patients an arm whose changes were all alike; the page's title takes the smaller arm's n."""
    diff = pd.DataFrame({"visit_month": [6, 12], "ci_low": [np.nan, np.nan], "n_stent": [3, 3], "n_medical": [3, 3]})
    smaller = diff[["n_stent", "n_medical"]].min(axis=1)
    assert charts.interval_phrase(diff.ci_low, "Welch 95% CI", smaller) == (
        "(Welch 95% CI not computable: zero variance, every patient's value the same)"
    )
    assert charts.interval_phrase(diff.ci_low, "Welch 95% CI", smaller.where(diff.visit_month == 6, 1)) == (
        "(Welch 95% CI not computable: fewer than 2 patients at some points, zero variance at the others)"
    )
    assert charts.interval_phrase(diff.ci_low, "Welch 95% CI", smaller * 0 + 1) == (
        "(Welch 95% CI not computable: fewer than 2 patients)"
    )


def test_welch_interval_names_the_visits_of_each_reason_and_the_tables_dashes_say_the_reasons_they_hold():
    """Review 17, finding 9, on the reviewer's ADaM trial: 3 patients an arm with alike changes at months 1, 3 and 6
    (2 in the medical arm at month 6) and 1 medical patient at month 12; the title read "fewer than 2 patients, or
    zero variance", the table's dashes "fewer than 2 patients, or no event" (no event is no reason here)."""
    diff = pd.DataFrame(
        {"visit_month": [1, 3, 6, 12], "ci_low": [np.nan] * 4, "n_stent": [3, 3, 3, 3], "n_medical": [3, 3, 2, 1]}
    )
    smaller = diff[["n_stent", "n_medical"]].min(axis=1)
    assert charts.interval_phrase(diff.ci_low, "Welch 95% CI", smaller, diff.visit_month) == (
        "(Welch 95% CI not computable: fewer than 2 patients at month 12; zero variance (every patient's value the "
        "same) at months 1, 3 and 6)"
    )
    assert display.not_computable_why(smaller, diff.ci_low) == (
        "not computable (fewer than 2 patients; zero variance: every patient's value the same)"
    )
    assert display.not_computable_why(smaller.where(diff.visit_month != 12, 3), diff.ci_low) == (
        "not computable (zero variance: every patient's value the same)"
    )
    computed = diff.ci_low.where(diff.visit_month != 12, -1.0).where(diff.visit_month == 12, np.nan)
    assert display.not_computable_why(smaller, computed) == (
        "not computable (zero variance: every patient's value the same)"
    )
    assert display.not_computable_why(smaller, diff.ci_low.fillna(0.0)) == display.NOT_COMPUTABLE
