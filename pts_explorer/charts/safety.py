"""Safety's bar chart: the patients with each complication in a period, per arm (and subgroup)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import vocab
from pts_explorer.charts.draft import _subplots, _trace
from pts_explorer.charts.style import ARM_COLORS, ARM_ORDER, ARM_PATTERNS, _base_layout

# The cohort filter a click on a subgroup's bar sets (ui.chart's CLICK_FILTERS), per split.
SPLIT_FILTERS = {"obstruction_site": "site", "stenosis_grade": "grade"}


def complication_bars_figure(bars: pd.DataFrame, period: str, split: str) -> go.Figure:
    """Horizontal bars of display.safety_bars rows: a complication per row, an arm per colour, one
    panel per subgroup when split; each bar's share with its exact 95% CI, its hover the table's cell
    (no bar where that hides the share). A click on a bar filters to its arm (and its subgroup)."""
    levels = {**vocab.SITES, **vocab.GRADES}
    groups = sorted(set(bars.group_value), key=lambda g: list(levels).index(g) if g in levels else len(levels))
    split_on = split in SPLIT_FILTERS and len(groups) > 0
    labels = [label for label in vocab.EVENT_LABELS.values() if label in set(bars.label)]
    fig = _subplots(
        rows=max(len(groups), 1),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12 / max(len(groups), 1) if split_on else 0.02,
        subplot_titles=[levels.get(g, g) for g in groups] if split_on else None,
    )
    in_legend: set[str] = set()
    for row, group in enumerate(groups, start=1):
        in_group = bars[bars.group_value == group]
        for arm in ARM_ORDER:
            d = in_group[in_group.arm == arm].set_index("label").reindex(labels[::-1]).dropna(subset=["arm"])
            if d.empty:
                continue
            shown = ~d.hidden.astype(bool)
            meta: dict[str, object] = {"arm": arm}
            if split_on:
                meta[SPLIT_FILTERS[split]] = group
            fig.add_trace(
                _trace(
                    "bar",
                    y=list(d.index),
                    x=d.pct.where(shown, 0.0),
                    name=vocab.ARMS[arm],
                    orientation="h",
                    legendgroup=arm,
                    showlegend=arm not in in_legend,
                    marker={"color": ARM_COLORS[arm], "pattern": {"shape": ARM_PATTERNS[arm]}},
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": (d.ci_high - d.pct).where(shown, np.nan),
                        "arrayminus": (d.pct - d.ci_low).where(shown, np.nan),
                    },
                    customdata=list(d.text),
                    hovertemplate=f"<b>{vocab.ARMS[arm]}</b> %{{y}}: %{{customdata}}<extra></extra>",
                    meta=meta,  # a click filters to the arm and the subgroup (ui.chart)
                ),
                row=row,
                col=1,
            )
            in_legend.add(arm)
    fig.update_layout(barmode="group")
    fig.update_xaxes(rangemode="tozero")
    fig.update_xaxes(title_text="Patients with the complication, %", row=max(len(groups), 1), col=1)
    height = 150 + max(len(groups), 1) * (30 + 34 * max(len(labels), 1))
    return _base_layout(fig, f"Patients with each complication, {period}, by arm", height).figure()
