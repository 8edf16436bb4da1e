"""Charts of treatment effects: the subgroup forest plot and the symptom heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pts_explorer import escape, vocab
from pts_explorer.charts.draft import _figure, _trace
from pts_explorer.charts.style import ARM_ORDER, ESTIMATE_COLOR, GROUP_COLORS, ORANGE_RED, REFERENCE_COLOR, _base_layout
from pts_explorer.vocab import Outcome


def forest_figure(rows: pd.DataFrame, outcome: Outcome, visit_month: int, overall: float | None = None) -> go.Figure:
    """Subgroup estimates with 95% CIs at one visit (named in the title); rows not estimable are listed
    with a note instead of a dot.

    rows: factor_label, level_label, estimate, ci_low, ci_high, n_stent, n_medical, estimable.
    """
    n_stent, n_medical = (rows.get(f"{c}_text", rows[c]) for c in ("n_stent", "n_medical"))
    labels = [  # a level may be a value of the data (a study id): text, not markup
        f"{factor}: {escape.plotly(level)}  (n {s}/{m})"
        for factor, level, s, m in zip(rows.factor_label, rows.level_label, n_stent, n_medical, strict=True)
    ]
    y = list(range(len(rows)))[::-1]
    ok = rows.estimable.to_numpy()
    fig = _figure()
    fig.add_trace(
        _trace(
            "scatter",
            x=rows.estimate[ok],
            y=np.array(y)[ok],
            mode="markers",
            marker={"size": 9, "color": ESTIMATE_COLOR, "symbol": "square"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (rows.ci_high - rows.estimate)[ok],
                "arrayminus": (rows.estimate - rows.ci_low)[ok],
                "thickness": 1.5,
            },
            customdata=np.stack([rows.ci_low[ok], rows.ci_high[ok]], axis=-1),
            name="Adjusted difference",
            hovertemplate="%{x:.2f} (95% CI %{customdata[0]:.2f} to %{customdata[1]:.2f})<extra></extra>",
        )
    )
    for yi, est in zip(y, ok, strict=True):
        if not est:
            fig.add_annotation(
                x=0,
                y=yi,
                text="too few patients to estimate",
                showarrow=False,
                font={"size": 12},  # text: the theme's colour (4.5:1), not the reference grey (3:1)
                xanchor="left",
            )
    fig.add_vline(x=0, line={"color": REFERENCE_COLOR, "width": 1})
    if overall is not None:
        fig.add_vline(
            x=overall,
            line={"color": GROUP_COLORS[2], "dash": "dash", "width": 1},
            annotation_text="overall",
        )
    fig.update_yaxes(tickvals=y, ticktext=labels, showgrid=False)
    fig.update_xaxes(
        title_text=f"Stent − medical change, {outcome.change_unit} · ← favours stent"
        if not outcome.higher_is_better
        else f"Stent − medical change, {outcome.change_unit}"
    )
    title = f"Adjusted treatment effect on {outcome.label} at month {visit_month} by subgroup"
    fig = _base_layout(fig, title, 140 + 26 * len(rows))
    fig.update_layout(showlegend=False, margin={"l": 330})
    return fig.figure()


def symptom_heatmap(profile: pd.DataFrame, visit_month: int, item_labels: dict[str, str]) -> go.Figure:
    """Mean item score (0-3; ulcer as a share) at baseline and at the visit, per arm."""
    columns, z, text = [], [], []
    items = list(item_labels)
    for arm in ARM_ORDER:
        d = profile[profile.arm == arm].set_index("item").reindex(items)
        for col, name in (("mean_baseline", "baseline"), ("mean_visit", f"month {visit_month}")):
            columns.append(f"{vocab.ARMS[arm]}<br>{name}")
            z.append(d[col].to_numpy())
            text.append([f"{v:.2f}" if pd.notna(v) else "" for v in d[col]])
    fig = _figure()
    fig.add_trace(
        _trace(
            "heatmap",
            z=np.array(z).T,
            x=columns,
            y=[item_labels[i] for i in items],
            text=np.array(text).T,
            texttemplate="%{text}",
            colorscale=ORANGE_RED,
            zmin=0,
            zmax=3,
            colorbar={"title": {"text": "mean"}},
            hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return _base_layout(fig, f"Villalta items and ulcer: baseline and month {visit_month}", 520).figure()
