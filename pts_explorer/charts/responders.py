"""Charts of responders: shares by arm, shifts between PTS bands, threshold sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import vocab
from pts_explorer.charts.draft import _figure, _subplots, _trace
from pts_explorer.charts.style import (
    ARM_COLORS,
    ARM_ORDER,
    ARM_PATTERNS,
    BLUES,
    ESTIMATE_COLOR,
    GROUP_COLORS,
    REFERENCE_COLOR,
    _base_layout,
    _rgba,
)
from pts_explorer.numbers import half_up


def responder_figure(props: pd.DataFrame, label: str, hidden_label: str = "hidden") -> go.Figure:
    """Proportion of responders per arm at each visit, with Wilson 95% CIs. A share hidden by small-cell
    protection (its responders written `hidden_label`, display.protect_shares) is a bar of no height that
    says so above the axis, so it never reads as 0%."""
    fig = _figure()
    for arm in ARM_ORDER:
        d = props[props.arm == arm]
        if d.empty:
            continue
        responders = d.get("responders_text", d.responders).astype(str)
        hidden = (responders == hidden_label).to_numpy()
        share = [
            hidden_label if h else "–" if pd.isna(p) else f"{half_up(100 * p, 0):.0f}%"
            for h, p in zip(hidden, d.proportion, strict=True)
        ]
        fig.add_trace(
            _trace(
                "bar",
                x=d.visit_month.astype(str),
                y=np.where(hidden, 0.0, 100 * d.proportion),
                name=vocab.ARMS[arm],
                marker={"color": ARM_COLORS[arm], "pattern": {"shape": ARM_PATTERNS[arm]}},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": 100 * (d.ci_high - d.proportion),
                    "arrayminus": 100 * (d.proportion - d.ci_low),
                },
                text=[hidden_label if h else "" for h in hidden],
                textposition="outside",
                cliponaxis=False,
                customdata=np.stack([responders, d.get("n_text", d.n), share], axis=-1),
                hovertemplate="month %{x}: %{customdata[2]} (%{customdata[0]}/%{customdata[1]})<extra></extra>",
            )
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="Month since enrollment", type="category")
    months = [str(m) for m in sorted(props.visit_month.unique())]  # in time order, whatever is drawn
    fig.update_xaxes(categoryorder="array", categoryarray=months)
    fig.update_yaxes(title_text="% responders", range=[0, 100])
    return _base_layout(fig, f"Responders: {label}", 400).figure()


def band_shift_figure(shift: pd.DataFrame, visit_month: int, hidden_label: str = "") -> go.Figure:
    """Baseline band (rows) to band at the visit (columns), % of each baseline row, per arm.

    shift: arm, baseline_band, visit_band, n, and optionally `hidden` (small-cell protection: the
    cell shows `hidden_label`, without its share).
    """
    bands = list(vocab.BANDS)
    arms = [a for a in ARM_ORDER if a in set(shift.arm)]
    fig = _subplots(
        rows=1, cols=max(len(arms), 1), subplot_titles=[vocab.ARMS[a] for a in arms], horizontal_spacing=0.12
    )
    position = {band: i for i, band in enumerate(bands)}
    cells = {arm: (np.zeros((len(bands), len(bands))), np.zeros((len(bands), len(bands)), bool)) for arm in arms}
    hidden_rows = shift["hidden"] if "hidden" in shift else [False] * len(shift)
    for arm, before, after, n, secret in zip(
        shift.arm, shift.baseline_band, shift.visit_band, shift.n, hidden_rows, strict=True
    ):
        if arm in cells and before in position and after in position:  # a count per baseline x visit band
            counts, hidden = cells[arm]
            counts[position[before], position[after]] += n
            hidden[position[before], position[after]] |= bool(secret)
    for c, arm in enumerate(arms, start=1):
        table, hidden = cells[arm]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = table / np.where(table.sum(axis=1) > 0, table.sum(axis=1), np.nan)[:, None] * 100
        share = np.where(hidden, np.nan, share)
        text = [
            [
                hidden_label
                if hidden[i, j]
                else f"{half_up(share[i, j], 0):.0f}%<br>({int(table[i, j])})"
                if table[i, j]
                else ""
                for j in range(len(bands))
            ]
            for i in range(len(bands))
        ]
        fig.add_trace(
            _trace(
                "heatmap",
                z=share,
                x=[b.capitalize() for b in bands],
                y=[b.capitalize() for b in bands],
                text=text,
                texttemplate="%{text}",
                colorscale=BLUES,
                zmin=0,
                zmax=100,
                showscale=c == 1,
                hovertemplate="baseline %{y} → %{x}: %{z:.0f}%<extra></extra>",
            ),
            row=1,
            col=c,
        )
        fig.update_xaxes(title_text=f"Band at month {visit_month}", row=1, col=c)
        fig.update_yaxes(title_text="Baseline band" if c == 1 else None, autorange="reversed", row=1, col=c)
    return _base_layout(fig, f"PTS band shift from baseline to month {visit_month}", 420).figure()


def threshold_sensitivity_figure(frame: pd.DataFrame, chosen: float, title: str) -> go.Figure:
    """Risk difference (stent minus medical) with its 95% CI against the responder threshold.

    frame: threshold, risk_difference, rd_ci_low, rd_ci_high (from responders.compare_arms).
    """
    fig = _figure()
    x = frame.threshold
    fig.add_trace(
        _trace(
            "scatter",
            x=x,
            y=100 * frame.rd_ci_high,
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_trace(
        _trace(
            "scatter",
            x=x,
            y=100 * frame.rd_ci_low,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=_rgba(ESTIMATE_COLOR, 0.2),
            name="95% CI (Newcombe)",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        _trace(
            "scatter",
            x=x,
            y=100 * frame.risk_difference,
            mode="lines+markers",
            line={"color": ESTIMATE_COLOR, "width": 2.5},
            name="Stent − medical",
            hovertemplate="threshold %{x}: %{y:.1f} percentage points<extra></extra>",
        )
    )
    fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    fig.add_vline(
        x=chosen,
        line={"color": GROUP_COLORS[2], "dash": "dash", "width": 1},
        annotation_text="chosen",
    )
    fig.update_xaxes(title_text="Responder threshold, Villalta points improved", dtick=1)
    fig.update_yaxes(title_text="Risk difference, percentage points")
    return _base_layout(fig, title, 360).figure()
