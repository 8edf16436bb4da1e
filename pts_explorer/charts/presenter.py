"""Presenter mode: a copy of any chart, readable from the back of a room, its type scaled with the
screen it is shown on and the key chart as tall as the slide leaves it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from pts_explorer.charts import draft

# The type of a slide, in px at 1280x720 (scale 1). On a larger screen every size is multiplied by
# the screen's scale, min(width / 1280, height / 720) kept between 1 and 3 (a 4K screen at device
# scale 1 has scale 3), as the presenter line's and the key numbers' type is (ui/screen.css):
#
#                         1280x720   1920x1080   3840x2160
#   chart title               26         39          78
#   axis titles, legend       18         27          54
#   ticks, numbers at risk,   16         24          48
#   annotations
#   rows of a crowded axis    >= 10      >= 15       >= 30   (a forest plot's many rows, kept apart)
#   presenter line, key       18.4       27.6        55.2    (1.15 rem, the rem scaled with the screen)
#   numbers
#
# The smallest type of a key chart is MIN_ROW_FONT x scale (only a crowded axis gets below the ticks).
PRESENTER_FONT = 18
PRESENTER_TITLE = 26
PRESENTER_TICKS = 16
PRESENTER_HEIGHT = 500  # px at scale 1: any chart but the key chart, and the key chart before the screen is known
BASE_WIDTH, BASE_HEIGHT = 1280, 720
MAX_SCALE = 3.0
MIN_ROW_FONT = 10  # px at scale 1: the smallest label a row of a crowded axis gets
MIN_KEY_CHART = 300  # px at scale 1: a key chart is never shorter, whatever stands above it


def screen_scale(width: float, height: float) -> float:
    """How much larger a slide's type is on a screen of this size (CSS px) than at 1280x720:
    min(width / 1280, height / 720), never below 1 nor above 3."""
    return max(1.0, min(MAX_SCALE, width / BASE_WIDTH, height / BASE_HEIGHT))


@dataclass(frozen=True)
class Sizes:
    """The type of a slide at one scale, in px."""

    scale: float = 1.0

    def px(self, size: float) -> int:
        return round(size * self.scale)

    @property
    def title(self) -> int:
        return self.px(PRESENTER_TITLE)

    @property
    def font(self) -> int:
        return self.px(PRESENTER_FONT)

    @property
    def ticks(self) -> int:
        return self.px(PRESENTER_TICKS)

    @property
    def min_row(self) -> int:
        return self.px(MIN_ROW_FONT)


LEGEND_ITEM_WIDTH = 30  # px at scale 1: plotly's default (and least) width of a legend entry's symbol
LEGEND_SWATCH = 12  # px: plotly's square swatch of a bar trace, scaled on a slide by ui/screen.css


def legend_item_width(scale: float) -> int:
    """The width of a legend entry's symbol on a slide of this `scale`: plotly's 30 px, scaled as the type is."""
    return max(LEGEND_ITEM_WIDTH, round(LEGEND_ITEM_WIDTH * scale))


def key_chart_height(viewport_height: float, above: float, below: float, scale: float) -> int:
    """The key chart's height on a slide: the viewport's height less what stands above the chart
    (the presenter line, a notice) and what must stay under it on the same screen (the key numbers,
    the page's bottom padding); never shorter than MIN_KEY_CHART x scale."""
    return round(max(MIN_KEY_CHART * scale, viewport_height - above - below))


def _row_font(axis: Any, height: int, margin: Any, sizes: Sizes) -> int:
    """The font size at which an axis's row labels (explicit tick texts) stay apart at this height."""
    rows = len(axis.ticktext or ())
    if rows < 2:
        return sizes.ticks
    plot_px = height - (margin.t or 0) - (margin.b or 0)
    return max(sizes.min_row, min(sizes.ticks, int(0.8 * plot_px / rows)))


def _text_row_room(fig: go.Figure, trace: Any, height: int) -> int:
    """The largest font size at which the rows of text drawn as a trace (Kaplan-Meier's numbers at
    risk, one row per group in a band of the chart) stay apart at this height."""
    key = "yaxis" + (trace.yaxis or "y").removeprefix("y")
    rows = {str(y) for t in fig.data if t.mode == "text" and (t.yaxis or "y") == (trace.yaxis or "y") for y in t.y}
    low, high = fig.layout[key].domain or (0, 1)
    plot_px = height - (fig.layout.margin.t or 0) - (fig.layout.margin.b or 0)
    return int(0.8 * plot_px * (high - low) / max(len(rows), 1))


def _text_row_font(fig: go.Figure, trace: Any, height: int, sizes: Sizes) -> int:
    """The font size of a row of text drawn as a trace: the presenter's tick size, smaller only
    where the rows would touch at this height (never below the stated minimum)."""
    return max(sizes.min_row, min(sizes.ticks, _text_row_room(fig, trace, height)))


def rows_fit(fig: go.Figure, height: int, scale: float) -> bool:
    """Whether `fig` drawn on a slide at this height keeps its rows of numbers drawn as text (a risk
    table's groups) apart at the smallest type a row gets (MIN_ROW_FONT x scale): a key chart that
    fills the room left above its key numbers then keeps them on the screen (review 27e, finding 2:
    Safety's three rows at risk held its chart at 500 px and its key numbers below the fold)."""
    big = presenter_figure(fig, height, scale)
    texts = [t for t in big.data if t.type == "scatter" and t.mode == "text"]
    return all(_text_row_room(big, t, height) >= Sizes(scale).min_row for t in texts)


def text_rows(fig: go.Figure) -> int:
    """How many rows of numbers `fig` draws as text traces (a risk table's groups)."""
    return len({str(y) for t in fig.data if t.type == "scatter" and t.mode == "text" for y in t.y})


def _scaled_margin(value: Any, scale: float) -> int | None:
    return None if value is None else round(value * scale)


def _thicker(fig: go.Figure, scale: float) -> None:
    """Scale the strokes and marks of `fig`'s traces (plotly's defaults where unset: 2 px lines,
    6 px markers, 2 px error bars) and its shapes' lines (reference lines, bands' edges)."""
    for trace in fig.data:
        if trace.type == "scatter":
            if "lines" in (trace.mode or "lines") or trace.fill:
                trace.line.width = (2 if trace.line.width is None else trace.line.width) * scale
            size = trace.marker.size
            if "markers" in (trace.mode or "") and (size is None or isinstance(size, int | float)):
                trace.marker.size = (6 if size is None else size) * scale  # per-point sizes stay as they are
        for bars in ("error_x", "error_y"):
            error = getattr(trace, bars, None)
            if error is not None and error.visible is not False and (error.array is not None or error.type):
                error.thickness = (2 if error.thickness is None else error.thickness) * scale
                error.width = (4 if error.width is None else error.width) * scale
    for shape in fig.layout.shapes:
        if shape.line.width is not None:
            shape.line.width = shape.line.width * scale


def _fit_axis_title(axis: Any, height: int, margin: Any, sizes: Sizes) -> None:
    """A y axis title longer than its axis is tall, at the slide's type, in two lines (broken at its last comma):
    above a row of design marks it ran down into the rows' labels ("Villalta total, points (0-33)" beside
    "A without B" on a Compare slide at 1280x720 under a long line: review 27d, finding 7)."""
    text = axis.title.text or ""
    if "<br>" in text or ", " not in text:
        return
    low, high = axis.domain or (0, 1)
    room = (high - low) * (height - (margin.t or 0) - (margin.b or 0))
    if len(text) * sizes.font * 0.55 > room:  # 0.55 em: the mean width of a letter of the chart's type
        head, _, tail = text.rpartition(", ")
        axis.title.text = f"{head},<br>{tail}"


def presenter_figure(fig: go.Figure, height: int = PRESENTER_HEIGHT, scale: float = 1.0) -> go.Figure:
    """A copy of `fig` for a projector: larger title, labels, ticks and legend (the sizes above at
    this screen's `scale`); title and legend re-placed in pixels for the larger type; `height` px
    tall (the slide's room under the presenter's cohort line)."""
    sizes = Sizes(scale)
    big = go.Figure(fig, _validate=draft.VALIDATE)  # read at the call: the tests switch it on
    top = sizes.px(12) + sizes.title + sizes.px(14)  # the legend starts under the title
    margin = big.layout.margin
    # the room for a legend under the title, only where there is one (a forest plot has none: its rows are named)
    legend_room = 0 if big.layout.showlegend is False else 2 * sizes.font
    big.update_layout(
        height=height,
        font={"size": sizes.font},
        title={"font": {"size": sizes.title}, "y": 1 - sizes.px(12) / height},
        # the legend's symbols as wide as the type grows (plotly draws a bar's swatch 12 px square whatever
        # the screen: ui/screen.css scales it by the same factor, centred in this width)
        legend={"font": {"size": sizes.font}, "y": 1 - top / height, "itemwidth": legend_item_width(scale)},
        margin={
            "t": top + legend_room + sizes.px(16),
            # the chart's own side and bottom margins hold its tick labels and axis titles: as large as they grow
            "l": _scaled_margin(margin.l, scale),
            "r": _scaled_margin(margin.r, scale),
            "b": _scaled_margin(margin.b, scale),
        },
    )
    if any(getattr(trace, "legend", None) == "legend2" for trace in big.data):  # a second legend (design marks)
        big.update_layout(legend2={"font": {"size": sizes.ticks}})
    big.update_xaxes(tickfont={"size": sizes.ticks}, title={"font": {"size": sizes.font}})
    big.update_yaxes(tickfont={"size": sizes.ticks}, title={"font": {"size": sizes.font}})
    for axis in big.select_yaxes():
        _fit_axis_title(axis, height, big.layout.margin, sizes)
    for axis in big.select_yaxes():  # one label per row (a forest plot): the rows must not overlap
        size = _row_font(axis, height, big.layout.margin, sizes)
        if size < sizes.ticks:
            axis.tickfont.size = size
    for trace in big.data:  # numbers drawn as text (the numbers at risk): as large as the ticks, rows apart
        if trace.type == "scatter" and trace.mode == "text":
            row_font = _text_row_font(big, trace, height, sizes)
            trace.textfont.size = row_font  # the tick size, smaller only where the rows would touch
            # the rows' labels (a category axis) as large as the rows' numbers: all shown, none touching
            axis = big.layout["yaxis" + (trace.yaxis or "y").removeprefix("y")]
            axis.tickfont.size = min(axis.tickfont.size or sizes.ticks, max(trace.textfont.size, row_font))
            axis.dtick = 1  # every row labelled (plotly skips categories where it finds them crowded)
        elif getattr(trace, "textfont", None) is not None and trace.textfont.size:  # labels on bars or points
            trace.textfont.size = sizes.px(trace.textfont.size)
    if scale > 1:  # lines, markers and error bars as thick on a large screen as at 1280x720
        _thicker(big, scale)
    for annotation in big.layout.annotations:  # subplot titles, risk tables, reference labels
        annotation.font.size = max(annotation.font.size or 0, sizes.ticks)
    return big
