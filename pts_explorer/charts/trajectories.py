"""Charts of outcomes over visits: mean trajectories by arm, the stent-minus-medical difference
and the PTS bands."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import escape, vocab
from pts_explorer.charts.designs import STRIP_LEGEND_PX, add_design_strip
from pts_explorer.charts.draft import Draft, _figure, _subplots, _trace
from pts_explorer.charts.style import (
    ARM_COLORS,
    ARM_DASHES,
    ARM_MARKERS,
    ARM_ORDER,
    BAND_COLORS,
    BAND_LABELS,
    DODGE,
    ESTIMATE_COLOR,
    GROUP_COLORS,
    GROUP_DASHES,
    HIDDEN_BAND,
    REFERENCE_COLOR,
    _base_layout,
    interval_phrase,
    visit_ticks,
)
from pts_explorer.vocab import Outcome

POOLED = "All studies"  # the queries' study_group where the studies are pooled (not split by study)


def _groups(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["study_group"].unique()) if not frame.empty else [POOLED]


def _click_meta(group: str, **fields: object) -> dict[str, object]:
    """What a click on a trace of `group`'s panel filters to (ui.chart): its fields, and the panel's study where
    the chart is split by study (fourth review of issue 28, finding 3: a click on the TRIAL panel's bar gave
    the bar's arm and band over both studies, 559 patients, not the bar's 60)."""
    return {**fields, **({"study": group} if group != POOLED else {})}


def trajectory_figure(
    table: pd.DataFrame,
    outcome: Outcome,
    change: bool,
    sample: pd.DataFrame | None = None,
    strip: pd.DataFrame | None = None,
    hidden_note: str = "",
) -> go.Figure:
    """Mean with 95% CI by arm at each visit month; one panel per study group. With `strip` (one
    panel only: the studies pooled), a mark under the chart at each visit of the designs each
    curve's patients come from (charts.designs), as Compare draws it. A panel whose every point
    small-cell protection hides (the table's `hidden`) carries `hidden_note` in its middle, so an
    empty panel says why it is empty (review 27e, finding 3: the TRIAL's IVC panel drawn bare).

    table: output of analytics.trajectories.summary_table (optionally a `design` column: words
    for the hover); sample: trajectory_sample rows; strip: as add_design_strip takes it.
    """
    groups = _groups(table)
    strip = strip if strip is not None and not strip.empty and len(groups) == 1 else None
    lanes = strip["name"].nunique() if strip is not None else 0
    if strip is not None:
        share = min(0.1 + 0.05 * lanes, 0.3)
        fig = _subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[1 - share, share], vertical_spacing=0.05)
    else:
        fig = _subplots(
            rows=1,
            cols=len(groups),
            subplot_titles=[escape.plotly(g) for g in groups] if len(groups) > 1 else None,  # study ids: text
            shared_yaxes=True,
            horizontal_spacing=0.05,
        )
    value_col = "change" if change else "value"
    for col, group in enumerate(groups, start=1):
        if sample is not None and not sample.empty:
            _add_individual_lines(fig, sample[sample.study_group == group], value_col, col)
        in_group = table[table.study_group == group]
        span = max(float(in_group.visit_month.max()) if not in_group.empty else 1.0, 1.0)
        for arm in ARM_ORDER:
            d = in_group[in_group.arm == arm]
            if d.empty:
                continue
            x = d.visit_month + DODGE[arm] * span
            fig.add_trace(
                _trace(
                    "scatter",
                    x=x,
                    y=d["mean"],
                    mode="lines+markers",
                    name=vocab.ARMS[arm],
                    legendgroup=arm,
                    showlegend=col == 1,
                    meta=_click_meta(group, arm=arm),  # a click filters to the arm, and the panel's study
                    line={"color": ARM_COLORS[arm], "width": 3, "dash": ARM_DASHES[arm]},
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
                            d.ci_low,
                            d.ci_high,
                            d.get("design", pd.Series("", index=d.index)).map(escape.plotly),
                        ],
                        axis=-1,
                    ),
                    hovertemplate=(
                        f"<b>{vocab.ARMS[arm]}</b> month %{{customdata[0]}}<br>mean %{{y:.2f}} "
                        "(95% CI %{customdata[2]:.2f} to %{customdata[3]:.2f})<br>n = %{customdata[1]}"
                        + ("; %{customdata[4]}" if "design" in d else "")
                        + "<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        if strip is None:
            fig.update_xaxes(title_text="Month since enrollment", **visit_ticks(in_group.visit_month), row=1, col=col)
        if hidden_note and _all_hidden(in_group):
            axis = "" if col == 1 else str(col)
            fig.add_annotation(
                text=escape.plotly(hidden_note),
                x=0.5,
                y=0.5,
                xref=f"x{axis} domain",
                yref=f"y{axis} domain",
                showarrow=False,
                font={"size": 16},
            )
    if strip is not None:
        add_design_strip(fig, strip, row=2)
        fig.update_xaxes(**visit_ticks(table.visit_month), row=1, col=1)
        fig.update_xaxes(title_text="Month since enrollment", **visit_ticks(table.visit_month), row=2, col=1)
    if change:
        where = {"row": 1, "col": 1} if strip is not None else {}
        fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1}, **where)
    what = f"Change in {outcome.label}" if change else outcome.label
    unit = outcome.change_unit if change else outcome.unit
    fig.update_yaxes(title_text=f"{what}, {unit}", row=1, col=1)
    better = "higher" if outcome.higher_is_better else "lower"
    height = 480 + (STRIP_LEGEND_PX + 30 * lanes if strip is not None else 0)
    figure = _base_layout(
        fig, f"{what} by arm: mean {interval_phrase(table.ci_low, n=table.n)} ({better} is better)", height
    )
    if strip is not None:
        figure.update_layout(margin={"b": 50 + STRIP_LEGEND_PX})
    return figure.figure()


def _all_hidden(in_group: pd.DataFrame) -> bool:
    """Whether a panel's rows are there but small-cell protection hides every mean in them."""
    hidden = in_group.get("hidden", pd.Series(False, index=in_group.index)).astype(bool)
    return not in_group.empty and bool(hidden.any()) and bool(in_group["mean"].isna().all())


def _add_individual_lines(fig: Draft, sample: pd.DataFrame, value_col: str, col: int) -> None:
    """Light per-patient lines behind the means; one trace per arm (gaps separate patients)."""
    for arm in ARM_ORDER:
        d = sample[sample.arm == arm].dropna(subset=[value_col])
        if d.empty:
            continue
        xs, ys = [], []
        for _, patient in d.groupby("patient_id", sort=False):
            xs.extend([*patient.visit_month, None])
            ys.extend([*patient[value_col], None])
        fig.add_trace(
            _trace(
                "scatter",
                x=xs,
                y=ys,
                mode="lines",
                line={"color": ARM_COLORS[arm], "width": 1},
                opacity=0.18,
                name=f"{vocab.ARMS[arm]}: individual patients",
                legendgroup=f"{arm}-ind",
                showlegend=col == 1,
                hoverinfo="skip",
            ),
            row=1,
            col=col,
        )


def arm_difference_figure(frame: pd.DataFrame, value_col: str, outcome: Outcome, title: str) -> go.Figure:
    """Stent minus medical difference at each visit with its 95% CI, one line per study group.

    frame: study_group, visit_month, ci_low, ci_high and `value_col` (Welch `diff` or model `estimate`).
    """
    fig = _figure()
    for i, (group, d) in enumerate(frame.groupby("study_group", sort=True)):
        fig.add_trace(
            _trace(
                "scatter",
                x=d.visit_month,
                y=d[value_col],
                mode="lines+markers",
                name=escape.plotly(group),  # a study id: text
                line={
                    "color": ESTIMATE_COLOR if i == 0 else GROUP_COLORS[i % len(GROUP_COLORS)],
                    "width": 2.5,
                    "dash": GROUP_DASHES[i % len(GROUP_DASHES)],
                },
                marker={"size": 8},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": d.ci_high - d[value_col],
                    "arrayminus": d[value_col] - d.ci_low,
                },
                hovertemplate="month %{x}: %{y:.2f}<extra>" + escape.plotly(group) + "</extra>",
            )
        )
    fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    fig.update_xaxes(title_text="Month since enrollment", **visit_ticks(frame.visit_month))
    fig.update_yaxes(title_text=f"Stent − medical, {outcome.change_unit}")
    return _base_layout(fig, title, 380).figure()


def band_figure(shares: pd.DataFrame) -> go.Figure:
    """Stacked shares of PTS bands per visit month; one panel per arm (and study group)."""
    groups = _groups(shares)
    arms = [a for a in ARM_ORDER if a in set(shares.arm)]
    cols = max(len(arms), 1)
    titles = [f"{vocab.ARMS[a]}" + (f" · {escape.plotly(g)}" if len(groups) > 1 else "") for g in groups for a in arms]
    fig = _subplots(
        rows=len(groups),
        cols=cols,
        subplot_titles=titles,
        shared_yaxes=True,
        vertical_spacing=0.12,
        horizontal_spacing=0.05,
    )
    months = [str(m) for m in sorted(shares.visit_month.unique())]
    traces: list[dict] = []
    axes: dict[str, dict[str, Any]] = {}
    in_legend: set[str] = set()
    # One pass over the rows: each bar's months, percentages and counts as lists.
    bars: dict[tuple, tuple[list, list, list]] = {}
    counts = shares["n_text"] if "n_text" in shares else shares["n"]
    columns = (shares.study_group, shares.arm, shares.pts_band, shares.visit_month, 100 * shares.share, counts)
    for group, arm, band, month, percent, n in zip(*columns, strict=True):
        x, y, text = bars.setdefault((group, arm, band), ([], [], []))
        x.append(str(month))
        y.append(percent)
        text.append(n)
    for r, group in enumerate(groups, start=1):
        for c, arm in enumerate(arms, start=1):
            x_axis, y_axis = _cell_axes(r, c, cols)
            for band in (*vocab.BANDS, HIDDEN_BAND):
                x, y, text = bars.get((group, arm, band), ([], [], []))
                if band == HIDDEN_BAND and not x:
                    continue
                traces.append(
                    _trace(
                        "bar",
                        x=x,
                        y=y,
                        name=BAND_LABELS[band],
                        marker={"color": BAND_COLORS[band]},
                        legendgroup=band,
                        showlegend=band not in in_legend,
                        customdata=text,
                        # A click filters to the arm (and the panel's study), at month 0 to its band (ui.chart).
                        meta=_click_meta(
                            group, arm=arm, band=[band if m == "0" and band in vocab.BANDS else None for m in x]
                        ),
                        hovertemplate="month %{x}: %{y:.0f}% (n = %{customdata})<extra>"
                        + BAND_LABELS[band]
                        + "</extra>",
                        xaxis=x_axis,
                        yaxis=y_axis,
                    )
                )
                in_legend.add(band)
            axes[_layout_key(x_axis)] = {
                "title": {"text": "Month"},
                "type": "category",
                "categoryorder": "array",
                "categoryarray": months,
            }
            if c == 1:
                axes[_layout_key(y_axis)] = {"title": {"text": "% of visits"}, "range": [0, 100]}
    fig.add_traces(traces)
    fig.update_layout(barmode="stack", **axes)
    return _base_layout(fig, "PTS severity band (Villalta) at each visit", 300 + 200 * len(groups)).figure()


def _cell_axes(row: int, col: int, cols: int) -> tuple[str, str]:
    """The axes of a make_subplots grid cell (numbered row by row from the top left): 'x', 'x2', ..."""
    n = (row - 1) * cols + col
    return ("x", "y") if n == 1 else (f"x{n}", f"y{n}")


def _layout_key(axis: str) -> str:
    """'x2' -> 'xaxis2': the layout key of an axis a trace names."""
    return f"{axis[0]}axis{axis[1:]}"
