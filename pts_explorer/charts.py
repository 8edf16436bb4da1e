"""Plotly figure builders. They take tidy aggregates and return figures; they never query."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pts_explorer import vocab
from pts_explorer.vocab import DAYS_PER_MONTH, Outcome

FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 14}
ARM_ORDER = ("stent", "medical")
# The arms in Okabe & Ito's colour-blind-safe blue and vermillion, also told apart by marker and
# line style, the same everywhere; other groupings never reuse these two colours.
ARM_COLORS = {"stent": "#0072B2", "medical": "#D55E00"}
ARM_MARKERS = {"stent": "circle", "medical": "square"}
ARM_DASHES = {"stent": "solid", "medical": "dash"}
ARM_PATTERNS = {"stent": "", "medical": "/"}
# Charts are drawn on a transparent background: Streamlit's white (light) or #171614 (dark) theme
# shows through, as the system chooses. Every colour below that draws data has a WCAG contrast of
# at least 3:1 against both (relative luminance between 0.124 and 0.30), so one palette serves both
# themes and the exports (tests/unit/test_palette.py; the browser test reads both backgrounds).
# Groupings other than the arm: Paul Tol's colour-blind-safe schemes at a lightness that keeps 3:1
# on both: his muted green, olive and rose as they are; his bright purple a little lighter; his
# muted cyan darker (his indigo, wine and sand cannot be).
GROUP_COLORS = ("#AE3C7D", "#117733", "#999933", "#CC6677", "#6598B1")
GROUP_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
# PTS bands: yellow to red to purple, as ColorBrewer's YlOrRd runs (dark goldenrod; ColorBrewer's
# #D6604D and #D73027; Tol's purple lightened), at the lightness 3:1 on both themes allows, ordered
# by lightness so the order survives colour-blindness.
BAND_COLORS = {
    "none": "#B8860B",
    "mild": "#D6604D",
    "moderate": "#D73027",
    "severe": "#AE3C7D",
    "hidden": "#888888",  # small-cell protection: the bands whose counts are hidden, together
}
HIDDEN_BAND = "hidden"
BAND_LABELS = {**vocab.BANDS, HIDDEN_BAND: "Hidden (small counts)"}
ESTIMATE_COLOR = "#009988"  # a stent-minus-medical difference: neither arm's colour (Tol's "vibrant" teal)
REFERENCE_COLOR = "#888888"  # zero and reference lines, readable on light and dark backgrounds
GRID_COLOR = "rgba(128, 128, 128, 0.22)"
# Sequential ColorBrewer scales for heatmaps, as the lists plotly.js draws (it knows no "OrRd").
ORANGE_RED = plotly.colors.get_colorscale("OrRd")
BLUES = plotly.colors.get_colorscale("Blues")
# Horizontal nudge (months, as a share of the axis) so the two arms' CIs do not overlap.
DODGE = {"stent": -0.012, "medical": 0.012}


# Figures are drafted as plain dicts (Draft) and made into a plotly Figure once, with plotly's
# per-property validation off (its Figure-level `_validate` flag, plotly.py#2403): plotly's own
# update_layout / update_xaxes / add_hline parse every property path on each call, which cost more
# than the rest of a page run. The tests build every chart through plotly's API with VALIDATE on too
# and require the same figure.
VALIDATE = False


_NESTED = frozenset({"title", "font", "tickfont", "legend", "margin", "line", "marker"})  # `plot_bgcolor` is one key


def _merge(target: dict, updates: dict) -> dict:
    """plotly's update semantics on plain dicts: nested dicts merge, other values replace, None
    removes; `title_text` and the like are plotly's "magic underscore" paths (title: {text: ...})."""
    for key, value in updates.items():
        head, _, rest = key.partition("_")
        if rest and head in _NESTED:
            key, value = head, {rest: value}
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = _merge({}, value) if isinstance(value, dict) else value
    return target


class Draft:
    """The part of plotly's Figure API the builders use, on a plain data list and layout dict."""

    def __init__(self, layout: dict | None = None, grid_ref: Any = None) -> None:
        self.data: list[dict] = []
        self.layout: dict = layout or {}
        self._grid_ref = grid_ref

    def _cell(self, row: int | None, col: int | None) -> Any:
        if row is None or col is None or self._grid_ref is None:
            return None
        return self._grid_ref[row - 1][col - 1][0]

    def add_trace(self, trace: dict, row: int | None = None, col: int | None = None) -> None:
        cell = self._cell(row, col)
        self.data.append({**trace, **cell.trace_kwargs} if cell else trace)

    def add_traces(self, traces: list[dict]) -> None:
        self.data.extend(traces)

    def update_layout(self, **properties: Any) -> None:
        _merge(self.layout, properties)

    def _axes(self, letter: str, row: int | None, col: int | None) -> list[str]:
        cell = self._cell(row, col)
        if cell:
            return [cell.layout_keys[0 if letter == "x" else 1]]
        keys = sorted((k for k in self.layout if re.fullmatch(f"{letter}axis[0-9]*", k)), key=lambda k: int(k[5:] or 1))
        return keys or [f"{letter}axis"]

    def update_xaxes(self, row: int | None = None, col: int | None = None, **properties: Any) -> None:
        for key in self._axes("x", row, col):
            _merge(self.layout.setdefault(key, {}), properties)

    def update_yaxes(self, row: int | None = None, col: int | None = None, **properties: Any) -> None:
        for key in self._axes("y", row, col):
            _merge(self.layout.setdefault(key, {}), properties)

    def _subplots_with_data(self) -> list[Any]:
        if self._grid_ref is None:
            return [None]
        used = {(t.get("xaxis", "x"), t.get("yaxis", "y")) for t in self.data}
        cells = [cell[0] for row in self._grid_ref for cell in row]
        return [c for c in cells if (c.trace_kwargs["xaxis"], c.trace_kwargs["yaxis"]) in used]

    def _line(self, along: str, value: float, line: dict, row: int | None, col: int | None) -> None:
        """A reference line across a subplot (add_hline along x, add_vline along y), on every
        subplot with data unless one is named, as plotly draws it."""
        cells = [self._cell(row, col)] if row is not None else self._subplots_with_data()
        for cell in cells:
            x, y = (cell.trace_kwargs["xaxis"], cell.trace_kwargs["yaxis"]) if cell else ("x", "y")
            if along == "x":
                shape = {"x0": 0, "x1": 1, "xref": f"{x} domain", "y0": value, "y1": value, "yref": y}
            else:
                shape = {"x0": value, "x1": value, "xref": x, "y0": 0, "y1": 1, "yref": f"{y} domain"}
            self.layout.setdefault("shapes", []).append({"line": dict(line), "type": "line", **shape})
        self.layout.setdefault("annotations", [])  # as plotly's add_hline leaves the layout

    def add_hline(self, y: float, line: dict, row: int | None = None, col: int | None = None) -> None:
        self._line("x", y, line, row, col)

    def add_vline(self, x: float, line: dict, annotation_text: str | None = None) -> None:
        """A vertical line; labelled above the plot (plotly's annotation_position="top")."""
        self._line("y", x, line, None, None)
        if annotation_text is not None:
            label = {"showarrow": False, "text": annotation_text, "x": x, "xanchor": "center", "xref": "x"}
            self.add_annotation(**label, y=1, yanchor="bottom", yref="y domain")

    def add_annotation(self, **properties: Any) -> None:
        self.layout.setdefault("annotations", []).append(properties)

    def figure(self) -> go.Figure:
        return go.Figure(data=self.data, layout=self.layout, _validate=VALIDATE)


def _figure() -> Draft:
    return Draft()


@functools.lru_cache(maxsize=64)
def _subplot_template(arguments: tuple) -> tuple[dict, Any]:
    grid = make_subplots(**dict(arguments))
    layout = grid.layout.to_plotly_json()
    layout.pop("template", None)  # a new figure takes the default (Streamlit's) template cheaply
    return layout, grid._grid_ref


def _subplots(**arguments: Any) -> Draft:
    """make_subplots(**arguments) as a draft; the grid is computed once per shape (its layout, and
    the grid reference that add_trace(row=, col=) reads)."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in arguments.items()))
    layout, grid_ref = _subplot_template(frozen)
    return Draft(copy.deepcopy(layout), grid_ref)


# Arrays up to this length go to the browser as JSON lists: plotly's binary encoding of an array
# costs more per array than a short list costs to write (a figure's serialisation 4-6 times faster).
# Longer ones (survival curves) stay arrays: plotly's Figure deep-copies a list element by element.
PLAIN_MAX = 100


def _plain(value: Any) -> Any:
    """A short array (pandas or numpy, also inside a property dict) as a list."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, pd.Series | pd.Index | np.ndarray) and np.size(value) <= PLAIN_MAX:
        return np.asarray(value).tolist()
    return value


def _trace(kind: str, **properties: Any) -> dict:
    """A trace as a dict (as plotly's own class validates it when VALIDATE is on)."""
    trace = {"type": kind, **_plain(properties)}
    return go.Figure(data=[trace]).data[0].to_plotly_json() if VALIDATE else trace


def _base_layout(fig: Draft, title: str, height: int) -> Draft:
    fig.update_layout(
        # Title and legend placed in pixels from the top (container coordinates), so a taller
        # figure never pushes the legend into the title.
        title={"text": title, "x": 0, "xanchor": "left", "yref": "container", "y": 1 - 12 / height, "yanchor": "top"},
        font=FONT,
        height=height,
        margin={"l": 80, "r": 20, "t": 110, "b": 50},
        legend={
            "orientation": "h",
            "yref": "container",
            "y": 1 - 42 / height,
            "yanchor": "top",
            "xanchor": "left",
            "x": 0,
        },
        hovermode="closest",
        plot_bgcolor="rgba(0, 0, 0, 0)",  # transparent: the app's light or dark theme shows through
        paper_bgcolor="rgba(0, 0, 0, 0)",
    )
    fig.update_xaxes(showgrid=True, gridcolor=GRID_COLOR, zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor=GRID_COLOR, zeroline=False)
    return fig


def group_style(group: str, i: int) -> dict[str, str]:
    """Colour, dash and marker of a curve: the arm's own style, or the i-th group style."""
    if group in ARM_COLORS:
        return {"color": ARM_COLORS[group], "dash": ARM_DASHES[group], "symbol": ARM_MARKERS[group]}
    return {
        "color": GROUP_COLORS[i % len(GROUP_COLORS)],
        "dash": GROUP_DASHES[i % len(GROUP_DASHES)],
        "symbol": "circle",
    }


def interval_phrase(low: pd.Series, name: str = "95% CI") -> str:
    """'and 95% CI' when any interval could be computed; otherwise say why none is drawn."""
    return f"and {name}" if low.notna().any() else f"({name} not computable: fewer than 2 patients)"


def _groups(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["study_group"].unique()) if not frame.empty else ["All studies"]


def trajectory_figure(
    table: pd.DataFrame, outcome: Outcome, change: bool, sample: pd.DataFrame | None = None
) -> go.Figure:
    """Mean with 95% CI by arm at each visit month; one panel per study group.

    table: output of analytics.trajectories.summary_table; sample: trajectory_sample rows.
    """
    groups = _groups(table)
    fig = _subplots(
        rows=1,
        cols=len(groups),
        subplot_titles=groups if len(groups) > 1 else None,
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
                    customdata=np.stack([d.visit_month, d.get("n_text", d.n), d.ci_low, d.ci_high], axis=-1),
                    hovertemplate=(
                        f"<b>{vocab.ARMS[arm]}</b> month %{{customdata[0]}}<br>mean %{{y:.2f}} "
                        "(95% CI %{customdata[2]:.2f} to %{customdata[3]:.2f})<br>n = %{customdata[1]}"
                        "<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text="Month since enrollment", **visit_ticks(in_group.visit_month), row=1, col=col)
    if change:
        fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    what = f"Change in {outcome.label}" if change else outcome.label
    fig.update_yaxes(title_text=f"{what}, {outcome.unit}", row=1, col=1)
    better = "higher" if outcome.higher_is_better else "lower"
    return _base_layout(fig, f"{what} by arm: mean {interval_phrase(table.ci_low)} ({better} is better)", 480).figure()


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
                name=str(group),
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
                hovertemplate="month %{x}: %{y:.2f}<extra>" + str(group) + "</extra>",
            )
        )
    fig.add_hline(y=0, line={"color": REFERENCE_COLOR, "dash": "dot", "width": 1})
    fig.update_xaxes(title_text="Month since enrollment", **visit_ticks(frame.visit_month))
    fig.update_yaxes(title_text=f"Stent − medical, {outcome.unit}")
    return _base_layout(fig, title, 380).figure()


def band_figure(shares: pd.DataFrame) -> go.Figure:
    """Stacked shares of PTS bands per visit month; one panel per arm (and study group)."""
    groups = _groups(shares)
    arms = [a for a in ARM_ORDER if a in set(shares.arm)]
    cols = max(len(arms), 1)
    titles = [f"{vocab.ARMS[a]}" + (f" · {g}" if len(groups) > 1 else "") for g in groups for a in arms]
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


def cohort_size_figure(sizes: pd.DataFrame, hidden_label: str = "") -> go.Figure:
    """Patients per study and arm, horizontal bars labelled with the study design.

    sizes: study_id, design, arm, patients, and optionally `hidden` (small-cell protection: no
    bar, the label `hidden_label` instead of the count).
    """
    fig = _figure()
    hidden = sizes["hidden"] if "hidden" in sizes else pd.Series(False, index=sizes.index)
    sizes = sizes.assign(
        label=sizes.study_id + " (" + sizes.design + ")",
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
            )
        )
    fig.update_layout(barmode="group")
    largest = int(sizes.length.max()) if not sizes.empty else 1
    # Whole patients only: small cohorts would otherwise get ticks at 0.2, 0.4, ...
    fig.update_xaxes(
        title_text="Patients", tickformat=",d", dtick=1 if largest < 8 else None, range=[0, largest * 1.15 + 0.5]
    )
    return _base_layout(fig, "Patients by study and arm", 120 + 80 * sizes.study_id.nunique()).figure()


def forest_figure(rows: pd.DataFrame, outcome: Outcome, visit_month: int, overall: float | None = None) -> go.Figure:
    """Subgroup estimates with 95% CIs at one visit (named in the title); rows not estimable are listed
    with a note instead of a dot.

    rows: factor_label, level_label, estimate, ci_low, ci_high, n_stent, n_medical, estimable.
    """
    n_stent, n_medical = (rows.get(f"{c}_text", rows[c]) for c in ("n_stent", "n_medical"))
    labels = [
        f"{factor}: {level}  (n {s}/{m})"
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
                font={"color": REFERENCE_COLOR, "size": 12},
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
        title_text=f"Stent − medical change, {outcome.unit} · ← favours stent"
        if not outcome.higher_is_better
        else f"Stent − medical change, {outcome.unit}"
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


def responder_figure(props: pd.DataFrame, label: str) -> go.Figure:
    """Proportion of responders per arm at each visit, with Wilson 95% CIs."""
    fig = _figure()
    for arm in ARM_ORDER:
        d = props[props.arm == arm]
        if d.empty:
            continue
        fig.add_trace(
            _trace(
                "bar",
                x=d.visit_month.astype(str),
                y=100 * d.proportion,
                name=vocab.ARMS[arm],
                marker={"color": ARM_COLORS[arm], "pattern": {"shape": ARM_PATTERNS[arm]}},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": 100 * (d.ci_high - d.proportion),
                    "arrayminus": 100 * (d.proportion - d.ci_low),
                },
                customdata=np.stack([d.get("responders_text", d.responders), d.get("n_text", d.n)], axis=-1),
                hovertemplate="month %{x}: %{y:.0f}% (%{customdata[0]}/%{customdata[1]})<extra></extra>",
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
                hidden_label if hidden[i, j] else f"{share[i, j]:.0f}%<br>({int(table[i, j])})" if table[i, j] else ""
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


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _step_band(x: pd.Series, low: pd.Series, high: pd.Series, color: str, group: str) -> list[dict]:
    """A shaded step band between two curves (the upper edge, then the lower edge filled to it)."""
    edge = {"mode": "lines", "hoverinfo": "skip", "showlegend": False, "legendgroup": group}
    return [
        _trace("scatter", x=x, y=high, line={"width": 0, "shape": "hv"}, **edge),
        _trace(
            "scatter",
            x=x,
            y=low,
            line={"width": 0, "shape": "hv"},
            fill="tonexty",
            fillcolor=_rgba(color, 0.15),
            **edge,
        ),
    ]


def km_figure(
    curve: pd.DataFrame,
    risk: pd.DataFrame,
    title: str,
    y_label: str,
    labels: dict[str, str],
    x_unit: str = "months",
    x_title: str | None = None,
    styles: dict[str, dict[str, str]] | None = None,
    y_max: float = 1.02,
) -> go.Figure:
    """Kaplan-Meier step curves with 95% bands, and the number at risk under the plot.

    curve: group, month (and days, for x_unit "days"), estimate, ci_low, ci_high; risk: groups x
    times (days) of counts at risk; x_title: the time axis's title (its origin), "Months" by
    default; styles: a group's colour, dash and symbol where group_style's would not do; y_max:
    the top of the y axis (a low cumulative incidence is drawn on an axis that shows it).
    """
    in_days = x_unit == "days"
    ordered = [g for g in (*ARM_ORDER, *labels) if g in set(risk.index)]
    groups = list(dict.fromkeys([*ordered, *risk.index]))  # the arms, then vocabulary order
    table_share = min(0.12 + 0.04 * len(groups), 0.4)
    fig = _subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[1 - table_share, table_share], vertical_spacing=0.06
    )
    for i, group in enumerate(groups):
        d = curve[curve.group == group]
        style = (styles or {}).get(group) or group_style(group, i)
        color = style["color"]
        name = labels.get(group, group)
        for band in _step_band(d.days if in_days else d.month, d.ci_low, d.ci_high, color, group):
            fig.add_trace(band, row=1, col=1)
        fig.add_trace(
            _trace(
                "scatter",
                x=d.days if in_days else d.month,
                y=d.estimate,
                mode="lines",
                name=name,
                legendgroup=group,
                line={"color": color, "width": 2.5, "shape": "hv", "dash": style["dash"]},
                customdata=np.stack([d.ci_low, d.ci_high], axis=-1),
                hovertemplate=f"<b>{name}</b> {'day %{x:.0f}' if in_days else 'month %{x:.1f}'}: %{{y:.1%}} "
                "(95% CI %{customdata[0]:.1%} to %{customdata[1]:.1%})<extra></extra>",
            ),
            row=1,
            col=1,
        )
        months = [t if in_days else t / DAYS_PER_MONTH for t in risk.columns]
        fig.add_trace(
            _trace(
                "scatter",
                x=months,
                y=[name] * len(months),
                mode="text",
                text=[str(v) for v in risk.loc[group]],
                textfont={"color": color, "size": 12},
                cliponaxis=False,  # the count at month 0 sits on the axis edge
                showlegend=False,
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
    ticks = [round(t if in_days else t / DAYS_PER_MONTH) for t in risk.columns]
    last = (curve.days if in_days else curve.month).max() if not curve.empty else 0
    end = max(max(ticks), float(last)) * 1.02 + 0.1
    span = [-0.03 * end, end]  # room left of month 0 for its number at risk
    fig.update_xaxes(tickvals=ticks, range=span, row=1, col=1)  # the axis spans the follow-up
    axis = x_title or ("Days" if in_days else "Months")
    fig.update_xaxes(title_text=f"{axis} (number at risk below)", tickvals=ticks, range=span, row=2, col=1)
    fig.update_yaxes(title_text=y_label, range=[0, y_max], tickformat=".0%", row=1, col=1)
    # Categories at whole numbers, half a row of room above and below, first group on top.
    fig.update_yaxes(showgrid=False, range=[len(groups) - 0.5, -0.5], row=2, col=1)
    return _base_layout(fig, title, 520 + 20 * len(groups)).figure()


def schoenfeld_figure(
    points: pd.DataFrame, smooth: pd.DataFrame, betas: dict[str, float], labels: dict[str, str]
) -> go.Figure:
    """Scaled Schoenfeld residuals (log hazard ratio over time) per coefficient, with a lowess
    smooth and the model's constant estimate: a flat smooth means proportional hazards.

    points, smooth: column, time (days), value; betas: the fitted log hazard ratios.
    """
    columns = list(betas)
    fig = _subplots(rows=1, cols=len(columns), subplot_titles=[labels.get(c, c) for c in columns])
    for i, column in enumerate(columns, start=1):
        p, s = points[points.column == column], smooth[smooth.column == column]
        fig.add_trace(
            _trace(
                "scatter",
                x=p.time / DAYS_PER_MONTH,
                y=p.value,
                mode="markers",
                marker={"size": 4, "color": REFERENCE_COLOR},
                name="scaled residual",
                showlegend=i == 1,
                hoverinfo="skip",
            ),
            row=1,
            col=i,
        )
        fig.add_trace(
            _trace(
                "scatter",
                x=s.time / DAYS_PER_MONTH,
                y=s.value,
                mode="lines",
                line={"color": ESTIMATE_COLOR, "width": 2.5},
                name="smoothed log hazard ratio (lowess)",
                showlegend=i == 1,
            ),
            row=1,
            col=i,
        )
        fig.add_hline(y=betas[column], line={"dash": "dash", "color": GROUP_COLORS[2]}, row=1, col=i)
        fig.update_xaxes(title_text="Months", row=1, col=i)
    fig.update_yaxes(title_text="log hazard ratio, beta(t)", row=1, col=1)
    return _base_layout(fig, "Is the hazard ratio constant over time? (dashed: the model's estimate)", 380).figure()


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


def presenter_figure(fig: go.Figure, height: int = PRESENTER_HEIGHT) -> go.Figure:
    """A copy of `fig` for a projector: larger title, labels, ticks and legend; title and legend
    re-placed in pixels for the larger type; a height that fits under the presenter's cohort line."""
    big = go.Figure(fig, _validate=VALIDATE)
    top = 12 + PRESENTER_TITLE + 14  # the legend starts under the title
    big.update_layout(
        height=height,
        font={"size": PRESENTER_FONT},
        title={"font": {"size": PRESENTER_TITLE}, "y": 1 - 12 / height},
        legend={"font": {"size": PRESENTER_FONT}, "y": 1 - top / height},
        margin={"t": top + 2 * PRESENTER_FONT + 16},
    )
    big.update_xaxes(tickfont={"size": PRESENTER_TICKS}, title={"font": {"size": PRESENTER_FONT}})
    big.update_yaxes(tickfont={"size": PRESENTER_TICKS}, title={"font": {"size": PRESENTER_FONT}})
    for axis in big.select_yaxes():  # one label per row (a forest plot): the rows must not overlap
        size = _row_font(axis, height, big.layout.margin)
        if size < PRESENTER_TICKS:
            axis.tickfont.size = size
    for annotation in big.layout.annotations:  # subplot titles, risk tables, reference labels
        annotation.font.size = max(annotation.font.size or 0, PRESENTER_TICKS)
    return big


# Two cohorts side by side (Compare page): a colour per cohort (never an arm's), the arm's dash.
COHORT_COLORS = {"A": GROUP_COLORS[0], "B": GROUP_COLORS[1]}  # as the Kaplan-Meier curves draw groups A and B


def visit_ticks(months: pd.Series) -> dict:
    """A tick at every visit, labelled where the labels do not crowd (months 1 and 3 beside 0 on a
    ten-year axis would overlap, and plotly would then tilt every label)."""
    visits = sorted(int(m) for m in pd.unique(months))
    span = (visits[-1] - visits[0]) if visits else 0
    texts, last = [], None
    for month in visits:
        keep = last is None or month - last >= span / 25
        texts.append(str(month) if keep else "")
        last = month if keep else last
    return {"tickvals": visits, "ticktext": texts, "tickangle": 0}


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
