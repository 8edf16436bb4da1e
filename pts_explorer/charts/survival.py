"""Charts of time to event: Kaplan-Meier curves with their risk table, Schoenfeld residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import escape
from pts_explorer.charts.draft import _subplots, _trace
from pts_explorer.charts.style import (
    ARM_ORDER,
    ESTIMATE_COLOR,
    GROUP_COLORS,
    REFERENCE_COLOR,
    _base_layout,
    _rgba,
    group_style,
)
from pts_explorer.vocab import DAYS_PER_MONTH


def _step_band(x: pd.Series, low: pd.Series, high: pd.Series, color: str, group: str) -> list[dict]:
    """A shaded step band between two curves (the upper edge, then the lower edge filled to it)."""
    edge = {"mode": "lines", "hoverinfo": "skip", "showlegend": False, "legendgroup": group}
    return [
        _trace("scatter", x=x, y=high, line={"width": 0, "shape": "hv"}, **edge),
        _trace(
            "scatter",
            x=x,
            y=low,
            line={"width": 0, "shape": "hv"},
            fill="tonexty",
            fillcolor=_rgba(color, 0.15),
            **edge,
        ),
    ]


def km_figure(
    curve: pd.DataFrame,
    risk: pd.DataFrame,
    title: str,
    y_label: str,
    labels: dict[str, str],
    x_unit: str = "months",
    x_title: str | None = None,
    styles: dict[str, dict[str, str]] | None = None,
    y_max: float = 1.02,
    click_field: str | None = None,
    click_also: dict[str, str] | None = None,
    risk_rounded_to: int = 0,
) -> go.Figure:
    """Kaplan-Meier step curves with 95% bands, and the number at risk under the plot.

    curve: group, month (and days, for x_unit "days"), estimate, ci_low, ci_high; risk: groups x
    times (days) of counts at risk; x_title: the time axis's title (its origin), "Months" by
    default; styles: a group's colour, dash and symbol where group_style's would not do; y_max:
    the top of the y axis (a low cumulative incidence is drawn on an axis that shows it);
    click_field: the cohort filter a group's value is (ui.chart's click_filters), e.g. "site";
    risk_rounded_to: k when small-cell protection rounded the numbers at risk to a multiple of k (the axis
    says so: a room read 685 at month 0 under a line of 684 patients, review 27c, finding 6).
    """
    in_days = x_unit == "days"
    ordered = [g for g in (*ARM_ORDER, *labels) if g in set(risk.index)]
    groups = list(dict.fromkeys([*ordered, *risk.index]))  # the arms, then vocabulary order
    table_share = min(0.12 + 0.04 * len(groups), 0.4)
    fig = _subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[1 - table_share, table_share], vertical_spacing=0.06
    )
    for i, group in enumerate(groups):
        d = curve[curve.group == group]
        style = (styles or {}).get(group) or group_style(group, i)
        color = style["color"]
        name = labels[group] if group in labels else escape.plotly(group)  # a value of the data: text
        for band in _step_band(d.days if in_days else d.month, d.ci_low, d.ci_high, color, group):
            fig.add_trace(band, row=1, col=1)
        fig.add_trace(
            _trace(
                "scatter",
                x=d.days if in_days else d.month,
                y=d.estimate,
                # A click filters to the group (ui.chart): plotly selects a clicked point only on a trace
                # with markers, so a clickable curve carries invisible ones.
                mode="lines+markers" if click_field else "lines",
                marker={"size": 6, "opacity": 0} if click_field else None,
                name=name,
                legendgroup=group,
                meta={**(click_also or {}), click_field: group} if click_field else None,
                line={"color": color, "width": 2.5, "shape": "hv", "dash": style["dash"]},
                customdata=np.stack([d.ci_low, d.ci_high], axis=-1),
                hovertemplate=f"<b>{name}</b> {'day %{x:.0f}' if in_days else 'month %{x:.1f}'}: %{{y:.1%}} "
                "(95% CI %{customdata[0]:.1%} to %{customdata[1]:.1%})<extra></extra>",
            ),
            row=1,
            col=1,
        )
        months = [t if in_days else t / DAYS_PER_MONTH for t in risk.columns]
        fig.add_trace(
            _trace(
                "scatter",
                x=months,
                y=[name] * len(months),
                mode="text",
                text=[str(v) for v in risk.loc[group]],
                # The theme's text colour (4.5:1 on its background, as text needs; no one colour has
                # it on both themes): the row's label names its group, as the legend does the curve.
                textfont={"size": 12},
                cliponaxis=False,  # the count at month 0 sits on the axis edge
                showlegend=False,
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
    ticks = [round(t if in_days else t / DAYS_PER_MONTH) for t in risk.columns]
    last = (curve.days if in_days else curve.month).max() if not curve.empty else 0
    end = max(max(ticks), float(last)) * 1.02 + 0.1
    span = [-0.03 * end, end]  # room left of month 0 for its number at risk
    fig.update_xaxes(tickvals=ticks, range=span, row=1, col=1)  # the axis spans the follow-up
    axis = x_title or ("Days" if in_days else "Months")
    below = f"number at risk below, rounded to {risk_rounded_to}" if risk_rounded_to >= 2 else "number at risk below"
    fig.update_xaxes(title_text=f"{axis} ({below})", tickvals=ticks, range=span, row=2, col=1)
    # Two lines when long: the upper panel is short on a 1280x720 slide, and one line ran up into the legend.
    wrapped = y_label.replace(", ", ",<br>", 1) if len(y_label) > 24 else y_label
    fig.update_yaxes(title_text=wrapped, range=[0, y_max], tickformat=".0%", row=1, col=1)
    # Categories at whole numbers, half a row of room above and below, first group on top.
    fig.update_yaxes(showgrid=False, range=[len(groups) - 0.5, -0.5], row=2, col=1)
    return _base_layout(fig, title, 520 + 20 * len(groups)).figure()


def schoenfeld_figure(
    points: pd.DataFrame, smooth: pd.DataFrame, betas: dict[str, float], labels: dict[str, str]
) -> go.Figure:
    """Scaled Schoenfeld residuals (log hazard ratio over time) per coefficient, with a lowess
    smooth and the model's constant estimate: a flat smooth means proportional hazards.

    points, smooth: column, time (days), value; betas: the fitted log hazard ratios.
    """
    columns = list(betas)
    fig = _subplots(rows=1, cols=len(columns), subplot_titles=[labels.get(c, c) for c in columns])
    for i, column in enumerate(columns, start=1):
        p, s = points[points.column == column], smooth[smooth.column == column]
        fig.add_trace(
            _trace(
                "scatter",
                x=p.time / DAYS_PER_MONTH,
                y=p.value,
                mode="markers",
                marker={"size": 4, "color": REFERENCE_COLOR},
                name="scaled residual",
                showlegend=i == 1,
                hoverinfo="skip",
            ),
            row=1,
            col=i,
        )
        fig.add_trace(
            _trace(
                "scatter",
                x=s.time / DAYS_PER_MONTH,
                y=s.value,
                mode="lines",
                line={"color": ESTIMATE_COLOR, "width": 2.5},
                name="smoothed log hazard ratio (lowess)",
                showlegend=i == 1,
            ),
            row=1,
            col=i,
        )
        fig.add_hline(y=betas[column], line={"dash": "dash", "color": GROUP_COLORS[2]}, row=1, col=i)
        fig.update_xaxes(title_text="Months", row=1, col=i)
    fig.update_yaxes(title_text="log hazard ratio, beta(t)", row=1, col=1)
    return _base_layout(fig, "Is the hazard ratio constant over time? (dashed: the model's estimate)", 380).figure()
