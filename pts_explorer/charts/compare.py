"""Charts of two to four cohorts side by side (Compare page)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import escape, vocab
from pts_explorer.charts.designs import STRIP_LEGEND_PX, add_design_strip
from pts_explorer.charts.draft import _figure, _subplots, _trace
from pts_explorer.charts.style import (
    ARM_DASHES,
    ARM_MARKERS,
    ARM_ORDER,
    GROUP_COLORS,
    REFERENCE_COLOR,
    _base_layout,
    interval_phrase,
    visit_ticks,
)
from pts_explorer.vocab import Outcome

# Two cohorts side by side (Compare page): a colour per cohort (never an arm's), the arm's dash.
# Up to four cohorts (A-D), as the Kaplan-Meier curves draw groups A to D.
COHORT_COLORS = {"A": GROUP_COLORS[0], "B": GROUP_COLORS[1], "C": GROUP_COLORS[2], "D": GROUP_COLORS[3]}
# Each cohort's points moved a little along the visits (a share of the span), so intervals do not hide each other.
COHORT_SHIFTS = {"A": -0.005, "B": 0.005, "C": -0.015, "D": 0.015}


def cohort_pair_figure(
    table: pd.DataFrame, outcome: Outcome, change: bool, labels: dict[str, str], strip: pd.DataFrame | None = None
) -> go.Figure:
    """Mean with 95% CI at each visit, one line per cohort and arm; with `strip`, a mark under the
    chart at each visit of the designs each curve's patients come from (charts.designs).

    table: cohort ("A"/"B"), arm, visit_month, n, mean, ci_low, ci_high (analytics.trajectories.summary_table
    rows of each cohort), optionally design (words for the hover: the designs at that visit).
    strip: as add_design_strip takes it.
    """
    strip = strip if strip is not None and not strip.empty else None
    with_strip = strip is not None
    lanes = strip["name"].nunique() if strip is not None else 0
    share = min(0.1 + 0.05 * lanes, 0.3)
    fig = (
        _subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[1 - share, share], vertical_spacing=0.05)
        if with_strip
        else _figure()
    )
    where = {"row": 1, "col": 1} if with_strip else {}
    traces = []
    span = max(float(table.visit_month.max()) if not table.empty else 1.0, 1.0)
    for cohort, color in COHORT_COLORS.items():
        for arm in ARM_ORDER:
            d = table[(table.cohort == cohort) & (table.arm == arm)]
            if d.empty:
                continue
            name = f"{labels.get(cohort, cohort)}, {vocab.ARMS[arm].lower()}"
            shift = COHORT_SHIFTS[cohort] * span
            traces.append(
                _trace(
                    "scatter",
                    x=d.visit_month + shift,
                    y=d["mean"],
                    mode="lines+markers",
                    name=name,
                    line={"color": color, "width": 3, "dash": ARM_DASHES[arm]},
                    marker={"size": 9, "symbol": ARM_MARKERS[arm]},
                    error_y={
                        "type": "data",
                        "symmetric": False,
                        "array": d.ci_high - d["mean"],
                        "arrayminus": d["mean"] - d.ci_low,
                        "thickness": 1.5,
                        "width": 4,
                    },
                    customdata=np.stack(
                        [
                            d.visit_month,
                            d.get("n_text", d.n),
                            d.get("design", pd.Series("", index=d.index)).map(escape.plotly),
                        ],
                        axis=-1,
                    ),
                    hovertemplate=f"<b>{name}</b> month %{{customdata[0]}}: %{{y:.2f}} (n = %{{customdata[1]}})"
                    + ("; %{customdata[2]}" if "design" in d else "")
                    + "<extra></extra>",
                )
            )
    for trace in traces:
        fig.add_trace(trace, **where)
    if change:
        fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1}, **where)
    what = f"Change in {outcome.label}" if change else outcome.label
    unit = outcome.change_unit if change else outcome.unit  # a change is not bounded by the scale's range
    ticks = visit_ticks(table.visit_month)
    if strip is not None:
        add_design_strip(fig, strip, row=2)
        fig.update_xaxes(**ticks, row=1, col=1)
        fig.update_xaxes(title_text="Month since enrollment", **ticks, row=2, col=1)
        fig.update_yaxes(title_text=f"{what}, {unit}", row=1, col=1)
    else:
        fig.update_xaxes(title_text="Month since enrollment", **ticks)
        fig.update_yaxes(title_text=f"{what}, {unit}")
    if not change and outcome.scale is not None and not table.empty:
        # The axis spans the scale (0-33), not an interval past it: a t interval of 2 patients can run from
        # -20 to 32 and flatten every other curve (reviews of issue 28). Such an interval is cut at the
        # scale's end; the page says so (clipped_intervals).
        low, high = outcome.scale
        pad = 0.03 * (high - low)
        fig.update_yaxes(
            range=[min(low, float(table["mean"].min())) - pad, max(high, float(table["mean"].max())) + pad], **where
        )
    drawn = [c for c in COHORT_COLORS if c in set(table.cohort)] or ["A", "B"]
    whole = all(labels.get(c, c) == c for c in drawn)  # every cohort as chosen
    sides = [f"cohort {c}" if whole else labels.get(c, c) for c in drawn]
    named = " and ".join(sides) if len(sides) < 3 else f"{', '.join(sides[:-1])} and {sides[-1]}"
    height = 480 + (STRIP_LEGEND_PX + 30 * lanes if with_strip else 0)
    figure = _base_layout(fig, f"{what}: {named}, mean {interval_phrase(table.ci_low, n=table.get('n'))}", height)
    if with_strip:
        figure.update_layout(margin={"b": 50 + STRIP_LEGEND_PX})
    return figure.figure()


def clipped_intervals(table: pd.DataFrame, outcome: Outcome) -> str:
    """Words for a cohort_pair_figure whose intervals reach past the outcome's scale, cut at its ends ("" if none)."""
    if outcome.scale is None or table.empty:
        return ""
    low, high = outcome.scale
    past = table[(table.ci_low < low) | (table.ci_high > high)]
    if past.empty:
        return ""
    return (
        f"The axis spans the scale's {low}-{high}: an interval that reaches past it (few patients at a visit) is "
        "cut at its end."
    )
