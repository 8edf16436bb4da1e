"""Charts of the Adjusted registry page: the estimates beside the trial's, the propensity score's
overlap by arm, and the love plot of covariate balance before and after weighting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from pts_explorer import vocab
from pts_explorer.charts.draft import _figure, _trace
from pts_explorer.charts.style import (
    ARM_COLORS,
    ARM_DASHES,
    ARM_ORDER,
    ESTIMATE_COLOR,
    GROUP_COLORS,
    REFERENCE_COLOR,
    _base_layout,
)

BALANCE_LINE = 0.1
RATIO_TICKS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
# One colour per kind of row of the estimates chart: the registry before adjustment, after it, the trial.
ESTIMATE_KINDS = {"unadjusted": GROUP_COLORS[0], "adjusted": ESTIMATE_COLOR, "trial": GROUP_COLORS[1]}
ESTIMATE_SYMBOLS = {"unadjusted": "circle-open", "adjusted": "square", "trial": "diamond"}


def estimates_figure(rows: pd.DataFrame, title: str, axis_title: str, ratio: bool) -> go.Figure:
    """One row per estimate (the registry unadjusted and adjusted, the trial), each a point with its
    95% CI; a line at no difference (0, or 1 for a ratio on a log axis).

    rows: label, kind (a key of ESTIMATE_KINDS), estimate, ci_low, ci_high, in the order drawn from the top."""
    fig = _figure()
    y = list(range(len(rows)))[::-1]
    for yi, row in zip(y, rows.to_dict("records"), strict=True):
        kind = row["kind"]
        fig.add_trace(
            _trace(
                "scatter",
                x=[row["estimate"]],
                y=[yi],
                mode="markers+text",
                marker={
                    "size": 13,
                    "color": ESTIMATE_KINDS[kind],
                    "symbol": ESTIMATE_SYMBOLS[kind],
                    "line": {"width": 2},
                },
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [row["ci_high"] - row["estimate"]],
                    "arrayminus": [row["estimate"] - row["ci_low"]],
                    "thickness": 2,
                    "color": ESTIMATE_KINDS[kind],
                },
                text=[row["text"]],
                textposition="top center",
                cliponaxis=False,  # the top row's label reaches above the plot: drawn whole, never cut
                name=row["label"],
                showlegend=False,
                hovertemplate=f"{row['label']}: {row['text']}<extra></extra>",
            )
        )
    fig.add_vline(x=1 if ratio else 0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    fig.update_yaxes(
        tickvals=y, ticktext=list(rows.label), showgrid=False, range=[-0.6, len(rows) - 0.3], automargin=True
    )
    fig.update_xaxes(title_text=axis_title)
    if ratio:  # labelled at round ratios (plotly's own log ticks read 0.4 as "4")
        low, high = float(rows.ci_low.min()), float(rows.ci_high.max())
        ticks = [t for t in RATIO_TICKS if low / 1.5 <= t <= high * 1.5] or [1.0]
        fig.update_xaxes(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig = _base_layout(fig, title, 130 + 70 * len(rows))
    fig.update_layout(showlegend=False, margin={"t": 60})
    return fig.figure()


def overlap_figure(scores: pd.DataFrame, bounds: tuple[float, float] | None = None) -> go.Figure:
    """The propensity score's distribution per arm (a Gaussian kernel density, Scott's bandwidth, over
    0 to 1), stent above the axis and medical mirrored below it, so the overlap of the arms shows
    where they meet; the trimming bounds of IPTW as lines when given.

    scores: arm, ps (one row per patient of the score); an arm with fewer than 2 distinct scores is
    not drawn."""
    grid = np.linspace(0, 1, 201)
    fig = _figure()
    top = 0.0
    for arm in ARM_ORDER:
        ps = scores.ps[scores.arm == arm].to_numpy(float)
        if len(np.unique(ps)) < 2:
            continue
        density = stats.gaussian_kde(ps)(grid)
        top = max(top, float(density.max()))
        sign = 1 if arm == "stent" else -1
        fig.add_trace(
            _trace(
                "scatter",
                x=grid,
                y=sign * density,
                mode="lines",
                fill="tozeroy",
                line={"color": ARM_COLORS[arm], "dash": ARM_DASHES[arm], "width": 2},
                name=vocab.ARMS[arm],
                hovertemplate="score %{x:.2f}<extra>" + vocab.ARMS[arm] + "</extra>",
            )
        )
    fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "width": 1})
    if bounds is not None:
        for bound in bounds:
            fig.add_vline(x=bound, line={"color": REFERENCE_COLOR, "dash": "dash", "width": 1})
    fig.update_xaxes(title_text="Propensity score, P(stent | covariates)", range=[0, 1])
    # a density is never negative: the medical side's ticks read as the magnitudes they are
    step = next((v for v in (0.5, 1, 2, 5, 10, 20, 50) if top / v <= 4), 100.0)
    ticks = [step * k for k in range(-int(np.ceil(top / step)), int(np.ceil(top / step)) + 1)]
    fig.update_yaxes(
        title_text="Density (medical below the axis)",
        tickvals=ticks,
        ticktext=[f"{abs(t):.1f}" for t in ticks],
    )
    return _base_layout(fig, "Propensity score by arm: where the arms overlap", 340).figure()


def love_figure(balance: pd.DataFrame, after_label: str) -> go.Figure:
    """|SMD| of each covariate before (unweighted) and after weighting, the 0.1 target as a line.

    balance: label, smd_before, smd_after (a row without either value is not drawn; a missing one has no marker)."""
    rows = balance.dropna(subset=["smd_before", "smd_after"], how="all").iloc[::-1]
    fig = _figure()
    for column, name, color, symbol in (
        ("smd_before", "Before (unweighted)", GROUP_COLORS[0], "circle-open"),
        ("smd_after", after_label, ESTIMATE_COLOR, "square"),
    ):
        fig.add_trace(
            _trace(
                "scatter",
                x=rows[column].abs(),
                y=list(rows.label),
                mode="markers",
                marker={"size": 11, "color": color, "symbol": symbol, "line": {"width": 2}},
                name=name,
                hovertemplate="%{y}: |SMD| %{x:.3f}<extra>" + name + "</extra>",
            )
        )
    fig.add_vline(x=BALANCE_LINE, line={"color": REFERENCE_COLOR, "dash": "dash", "width": 1}, annotation_text="0.1")
    fig.update_xaxes(title_text="|Standardized mean difference|, stent vs medical", rangemode="tozero")
    fig.update_yaxes(showgrid=False, automargin=True)
    return _base_layout(fig, "Covariate balance before and after adjustment (love plot)", 150 + 30 * len(rows)).figure()
