"""Presenter mode: a copy of any chart, readable from the back of a room at 1280x720."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from pts_explorer.charts import draft

# Presenter mode: read from the back of a room at 1280x720, the whole chart in the first screen.
PRESENTER_FONT = 18
PRESENTER_TITLE = 26
PRESENTER_TICKS = 16
PRESENTER_HEIGHT = 500


MIN_ROW_FONT = 10  # px: the smallest label a row of a crowded axis gets


def _row_font(axis: Any, height: int, margin: Any) -> int:
    """The font size at which an axis's row labels (explicit tick texts) stay apart at this height."""
    rows = len(axis.ticktext or ())
    if rows < 2:
        return PRESENTER_TICKS
    plot_px = height - (margin.t or 0) - (margin.b or 0)
    return max(MIN_ROW_FONT, min(PRESENTER_TICKS, int(0.8 * plot_px / rows)))


def _text_row_font(fig: go.Figure, trace: Any, height: int) -> int:
    """The font size of a row of text drawn as a trace (Kaplan-Meier's numbers at risk, one row per
    group in a band of the chart): the presenter's tick size, smaller only where the rows would
    touch at this height."""
    key = "yaxis" + (trace.yaxis or "y").removeprefix("y")
    rows = {str(y) for t in fig.data if t.mode == "text" and (t.yaxis or "y") == (trace.yaxis or "y") for y in t.y}
    low, high = fig.layout[key].domain or (0, 1)
    plot_px = height - (fig.layout.margin.t or 0) - (fig.layout.margin.b or 0)
    return max(MIN_ROW_FONT, min(PRESENTER_TICKS, int(0.8 * plot_px * (high - low) / max(len(rows), 1))))


def presenter_figure(fig: go.Figure, height: int = PRESENTER_HEIGHT) -> go.Figure:
    """A copy of `fig` for a projector: larger title, labels, ticks and legend; title and legend
    re-placed in pixels for the larger type; a height that fits under the presenter's cohort line."""
    big = go.Figure(fig, _validate=draft.VALIDATE)  # read at the call: the tests switch it on
    top = 12 + PRESENTER_TITLE + 14  # the legend starts under the title
    big.update_layout(
        height=height,
        font={"size": PRESENTER_FONT},
        title={"font": {"size": PRESENTER_TITLE}, "y": 1 - 12 / height},
        legend={"font": {"size": PRESENTER_FONT}, "y": 1 - top / height},
        margin={"t": top + 2 * PRESENTER_FONT + 16},
    )
    if any(getattr(trace, "legend", None) == "legend2" for trace in big.data):  # a second legend (design marks)
        big.update_layout(legend2={"font": {"size": PRESENTER_TICKS}})
    big.update_xaxes(tickfont={"size": PRESENTER_TICKS}, title={"font": {"size": PRESENTER_FONT}})
    big.update_yaxes(tickfont={"size": PRESENTER_TICKS}, title={"font": {"size": PRESENTER_FONT}})
    for axis in big.select_yaxes():  # one label per row (a forest plot): the rows must not overlap
        size = _row_font(axis, height, big.layout.margin)
        if size < PRESENTER_TICKS:
            axis.tickfont.size = size
    for trace in big.data:  # numbers drawn as text (the numbers at risk): as large as the ticks, rows apart
        if trace.type == "scatter" and trace.mode == "text":
            trace.textfont.size = max(trace.textfont.size or 0, _text_row_font(big, trace, height))
    for annotation in big.layout.annotations:  # subplot titles, risk tables, reference labels
        annotation.font.size = max(annotation.font.size or 0, PRESENTER_TICKS)
    return big
