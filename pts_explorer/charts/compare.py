"""Charts of two saved cohorts side by side (Compare page)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import vocab
from pts_explorer.charts.draft import _figure, _trace
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
COHORT_COLORS = {"A": GROUP_COLORS[0], "B": GROUP_COLORS[1]}  # as the Kaplan-Meier curves draw groups A and B


def cohort_pair_figure(table: pd.DataFrame, outcome: Outcome, change: bool, labels: dict[str, str]) -> go.Figure:
    """Mean with 95% CI at each visit, one line per cohort and arm.

    table: cohort ("A"/"B"), arm, visit_month, n, mean, ci_low, ci_high (analytics.trajectories.summary_table
    rows of each cohort).
    """
    fig = _figure()
    traces = []
    span = max(float(table.visit_month.max()) if not table.empty else 1.0, 1.0)
    for cohort, color in COHORT_COLORS.items():
        for arm in ARM_ORDER:
            d = table[(table.cohort == cohort) & (table.arm == arm)]
            if d.empty:
                continue
            name = f"{labels.get(cohort, cohort)}, {vocab.ARMS[arm].lower()}"
            shift = (-0.005 if cohort == "A" else 0.005) * span
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
                    customdata=np.stack([d.visit_month, d.get("n_text", d.n)], axis=-1),
                    hovertemplate=f"<b>{name}</b> month %{{customdata[0]}}: %{{y:.2f}} (n = %{{customdata[1]}})"
                    "<extra></extra>",
                )
            )
    fig.add_traces(traces)
    if change:
        fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    what = f"Change in {outcome.label}" if change else outcome.label
    fig.update_xaxes(title_text="Month since enrollment", **visit_ticks(table.visit_month))
    fig.update_yaxes(title_text=f"{what}, {outcome.unit}")
    whole = all(labels.get(c, c) == c for c in ("A", "B"))  # both cohorts as chosen
    sides = [f"cohort {c}" if whole else labels.get(c, c) for c in ("A", "B")]
    return _base_layout(fig, f"{what}: {sides[0]} and {sides[1]}, mean {interval_phrase(table.ci_low)}", 480).figure()
