"""A strip under a chart of means over the visits: at each visit, in one lane per curve, a mark of
the study designs its patients come from (randomized only, observational only or pooled), so a step
where one design's visits begin or end is not read as an effect (analytics.designs)."""

from __future__ import annotations

import pandas as pd

from pts_explorer import escape
from pts_explorer.analytics.designs import KINDS
from pts_explorer.charts.draft import Draft, _trace
from pts_explorer.charts.style import REFERENCE_COLOR

# Told apart by shape, in the reference grey, so the marks never read as one of the curves' colours.
DESIGN_SYMBOLS = {"randomized": "diamond", "observational": "circle-open", "pooled": "circle"}
DESIGN_LEGEND = {"randomized": "randomized only", "observational": "observational only", "pooled": "pooled"}
STRIP_TITLE = "Patients at the visit:"
STRIP_LEGEND_PX = 34  # the strip's legend, in a line of its own under the x axis


def add_design_strip(fig: Draft, strip: pd.DataFrame, row: int) -> None:
    """The strip's marks into subplot `row` (column 1): one lane (y) per curve, a mark per visit.

    strip: name (the lane's label, text), visit_month, kind (analytics.designs.KINDS), hover (text,
    already written: display.design_hover).
    """
    lanes = list(dict.fromkeys(strip["name"]))
    for kind in KINDS:
        d = strip[strip.kind == kind]
        if d.empty:
            continue
        fig.add_trace(
            _trace(
                "scatter",
                x=d.visit_month,
                y=[escape.plotly(n) for n in d["name"]],  # cohort and study names: text
                mode="markers",
                name=DESIGN_LEGEND[kind],
                legend="legend2",
                marker={"symbol": DESIGN_SYMBOLS[kind], "size": 11, "color": REFERENCE_COLOR, "line": {"width": 2}},
                customdata=[escape.plotly(h) for h in d.hover],
                hovertemplate="%{customdata}<extra></extra>",
                cliponaxis=False,
            ),
            row=row,
            col=1,
        )
    fig.update_layout(
        legend2={
            "title": {"text": STRIP_TITLE},
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "font": {"size": 13},
        }
    )
    fig.update_yaxes(
        type="category",
        categoryorder="array",
        categoryarray=[escape.plotly(n) for n in reversed(lanes)],  # the first lane on top
        showgrid=False,
        automargin=True,
        row=row,
        col=1,
    )
