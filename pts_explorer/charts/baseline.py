"""Charts of who is in the cohort: patients per study and arm."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from pts_explorer import escape, vocab
from pts_explorer.charts.draft import _figure, _trace
from pts_explorer.charts.style import ARM_COLORS, ARM_ORDER, ARM_PATTERNS, _base_layout


def cohort_size_figure(sizes: pd.DataFrame, hidden_label: str = "") -> go.Figure:
    """Patients per study and arm, horizontal bars labelled with the study design.

    sizes: study_id, design, arm, patients, and optionally `hidden` (small-cell protection: no
    bar, the label `hidden_label` instead of the count).
    """
    fig = _figure()
    hidden = sizes["hidden"] if "hidden" in sizes else pd.Series(False, index=sizes.index)
    sizes = sizes.assign(
        label=sizes.study_id.map(escape.plotly) + " (" + sizes.design + ")",  # study ids: text, not markup
        length=sizes.patients.where(~hidden, 0),
        text=[hidden_label if h else f"{v:,}" for v, h in zip(sizes.patients, hidden, strict=True)],
    )
    for arm in ARM_ORDER:
        d = sizes[sizes.arm == arm]
        fig.add_trace(
            _trace(
                "bar",
                y=d.label,
                x=d.length,
                name=vocab.ARMS[arm],
                orientation="h",
                marker={"color": ARM_COLORS[arm], "pattern": {"shape": ARM_PATTERNS[arm]}},
                text=d.text,
                textposition="outside",
                textangle=0,
                cliponaxis=False,
                hovertemplate="%{y}: %{text} patients<extra></extra>",
                meta={"arm": arm, "study": list(d.study_id)},  # a click filters to the study and arm (ui.chart)
            )
        )
    fig.update_layout(barmode="group")
    largest = int(sizes.length.max()) if not sizes.empty else 1
    # Whole patients only: small cohorts would otherwise get ticks at 0.2, 0.4, ...
    fig.update_xaxes(
        title_text="Patients", tickformat=",d", dtick=1 if largest < 8 else None, range=[0, largest * 1.15 + 0.5]
    )
    return _base_layout(fig, "Patients by study and arm", 120 + 80 * sizes.study_id.nunique()).figure()


def distribution_figure(bins: pd.DataFrame, label: str) -> go.Figure:
    """A small histogram of a "More filters" range (display.more_distribution rows): the bins the chosen
    range meets in the stent colour, the others grey; no axes, no hover (the slider above names the values)."""
    fig = _figure()
    fig.add_trace(
        _trace(
            "bar",
            x=[(s + e) / 2 for s, e in zip(bins.start, bins.end, strict=True)],
            y=bins.patients,
            width=[e - s + 1 for s, e in zip(bins.start, bins.end, strict=True)],
            marker={"color": [ARM_COLORS["stent"] if c else "rgba(128, 128, 128, 0.45)" for c in bins.chosen]},
            name=label,
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        height=56,
        margin={"l": 8, "r": 8, "t": 2, "b": 2},
        showlegend=False,
        bargap=0.08,
        plot_bgcolor="rgba(0, 0, 0, 0)",
        paper_bgcolor="rgba(0, 0, 0, 0)",
    )
    fig.update_xaxes(visible=False, range=[bins.start.min() - 0.5, bins.end.max() + 0.5] if not bins.empty else None)
    fig.update_yaxes(visible=False, rangemode="tozero")
    return fig.figure()
