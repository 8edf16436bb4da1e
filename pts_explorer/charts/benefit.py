"""Who benefits: the effect in each group beside the difference in effect between groups, and the
effect along a continuous modifier with its CI band and a rug of where the patients are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import escape
from pts_explorer.charts.draft import _figure, _trace
from pts_explorer.charts.style import ARM_COLORS, ESTIMATE_COLOR, GROUP_COLORS, REFERENCE_COLOR, _base_layout, _rgba
from pts_explorer.vocab import Outcome

DIFFERENCE_COLOR = GROUP_COLORS[1]


def _axis_title(outcome: Outcome, what: str) -> str:
    favours = " · ← favours stent" if not outcome.higher_is_better else " · favours stent →"
    return f"{what}, {outcome.change_unit}{favours}"


def _interval_trace(rows: pd.DataFrame, y: list[int], name: str, color: str, symbol: str) -> dict:
    return _trace(
        "scatter",
        x=rows.estimate,
        y=y,
        mode="markers",
        marker={"size": 10, "color": color, "symbol": symbol},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": rows.ci_high - rows.estimate,
            "arrayminus": rows.estimate - rows.ci_low,
            "thickness": 1.8,
            "color": color,
        },
        customdata=np.stack([rows.ci_low, rows.ci_high], axis=-1) if len(rows) else None,
        name=name,
        hovertemplate="%{x:.2f} (95% CI %{customdata[0]:.2f} to %{customdata[1]:.2f})<extra></extra>",
    )


def benefit_figure(
    groups: pd.DataFrame,
    differences: pd.DataFrame,
    outcome: Outcome,
    visit_month: int,
    split: str,
    tests: str = "",
) -> go.Figure:
    """The stent − medical effect in each group (squares) and each group's difference in effect
    from the reference group (diamonds, below), with 95% CIs, on one axis of points.

    groups: label (text), estimate, ci_low, ci_high, numbers (the estimate and CI as written beside the
    interval), estimable (a group not estimable is listed with a note).
    differences: label, estimate, ci_low, ci_high, numbers. tests: the interaction test in words,
    under the title.
    """
    n_groups, n_differences = len(groups), len(differences)
    # Top to bottom: the groups, a gap, the differences.
    y_groups = [n_groups + n_differences - i for i in range(n_groups)]
    y_differences = [n_differences - i - 1 for i in range(n_differences)]
    fig = _figure()
    ok = groups.estimable.to_numpy(bool)
    fig.add_trace(
        _interval_trace(
            groups[ok], list(np.array(y_groups)[ok]), "Effect in the group (stent − medical)", ESTIMATE_COLOR, "square"
        )
    )
    if n_differences:
        fig.add_trace(
            _interval_trace(
                differences, y_differences, "Difference in effect between groups", DIFFERENCE_COLOR, "diamond"
            )
        )
    for yi, estimable in zip(y_groups, ok, strict=True):
        if not estimable:
            fig.add_annotation(x=0, y=yi, text="too few patients to estimate", showarrow=False, xanchor="left")
    fig.add_vline(x=0, line={"color": REFERENCE_COLOR, "width": 1})
    shown = [(y, text) for y, text, e in zip(y_groups, groups.numbers, ok, strict=True) if e]
    shown += list(zip(y_differences, differences.numbers, strict=True))
    for yi, text in shown:  # the numbers beside each interval, so a slide or an exported image carries them
        fig.add_annotation(x=1.0, xref="paper", xanchor="left", xshift=12, y=yi, showarrow=False, text=text)
    labels = [escape.plotly(t) for t in [*groups.label, *differences.label]]
    fig.update_yaxes(tickvals=[*y_groups, *y_differences], ticktext=labels, showgrid=False)
    fig.update_xaxes(title_text=_axis_title(outcome, "Stent − medical change"))
    title = f"Stent effect on {outcome.label} at month {visit_month} by {_running(split)}, and the differences"
    fig = _base_layout(fig, title, 190 + 34 * (n_groups + n_differences))
    fig.update_layout(margin={"l": 330, "r": 340})
    if tests:  # the interaction test under the title: on a slide and in an exported image with the numbers
        fig.update_layout(title={"subtitle": {"text": escape.plotly(tests)}})
    return fig.figure()


def modifier_figure(
    points: pd.DataFrame,
    rug: pd.DataFrame,
    knots: tuple[float, ...],
    outcome: Outcome,
    visit_month: int,
    modifier: str,
) -> go.Figure:
    """The stent − medical difference along a modifier with its pointwise 95% CI band; below it a
    rug of the patients' values by arm; the spline's interior knots as dotted lines.

    points: x, estimate, ci_low, ci_high. rug: arm, value.
    """
    fig = _figure()
    fig.add_trace(
        _trace(
            "scatter", x=points.x, y=points.ci_high, mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False
        )
    )
    fig.add_trace(
        _trace(
            "scatter",
            x=points.x,
            y=points.ci_low,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_rgba(ESTIMATE_COLOR, 0.2),
            name="Pointwise 95% CI",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        _trace(
            "scatter",
            x=points.x,
            y=points.estimate,
            mode="lines",
            line={"color": ESTIMATE_COLOR, "width": 2.5},
            customdata=np.stack([points.ci_low, points.ci_high], axis=-1),
            name="Stent − medical",
            hovertemplate="%{x:.0f}: %{y:.2f} (95% CI %{customdata[0]:.2f} to %{customdata[1]:.2f})<extra></extra>",
        )
    )
    low = float(min(points.ci_low.min(), 0.0))
    high = float(max(points.ci_high.max(), 0.0))
    step = (high - low) * 0.06 or 1.0
    for i, arm in enumerate(("stent", "medical")):
        counted = rug.value[rug.arm == arm].value_counts().sort_index()  # a tick per value, its patients in the hover
        fig.add_trace(
            _trace(
                "scatter",
                x=counted.index.to_numpy(float),
                y=np.full(len(counted), low - step * (1.2 + i)),
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 9, "color": ARM_COLORS[arm], "line": {"width": 1}},
                customdata=counted.to_numpy(int),
                name=f"Patients, {arm}",
                hovertemplate=f"{arm}: %{{customdata}} patients at %{{x}}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    for knot in knots:
        fig.add_vline(x=knot, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    fig.update_yaxes(title_text=_axis_title(outcome, "Stent − medical change"))
    fig.update_xaxes(title_text=modifier)
    title = f"Stent effect on {outcome.label} at month {visit_month} along {modifier[:1].lower() + modifier[1:]}"
    fig = _base_layout(fig, title, 460)
    return fig.figure()


def _running(heading: str) -> str:
    """A heading in running text: its first letter lower case, unless it opens an acronym (CEAP, BMI, PTS)."""
    return heading if heading[:2].isupper() else heading[:1].lower() + heading[1:]
