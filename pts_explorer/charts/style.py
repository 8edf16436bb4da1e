"""The charts' look, shared by every builder: fonts, the colour-blind-safe palettes (3:1 on the
light and dark themes), arm markers and dashes, the base layout and visit ticks."""

from __future__ import annotations

import pandas as pd
import plotly.colors

from pts_explorer import vocab
from pts_explorer.charts.draft import Draft

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
# muted cyan darker (his indigo, wine and sand cannot be). Ordered so that the first four (the
# stenosis grades, the obstruction sites) differ in hue: the rose, nearest the purple, comes last.
GROUP_COLORS = ("#AE3C7D", "#117733", "#999933", "#6598B1", "#CC6677")
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
        colorway=list(GROUP_COLORS),  # a trace given no colour takes the palette's, never plotly's default
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


ZERO_VARIANCE = "zero variance, every patient's value the same"


def interval_phrase(
    low: pd.Series, name: str = "95% CI", n: pd.Series | None = None, months: pd.Series | None = None
) -> str:
    """'and 95% CI' when any interval could be computed; otherwise say why none is drawn, each reason in
    its own words: fewer than 2 patients where a mean has fewer (`n`, the patients behind each mean, or
    the smaller arm's for a difference), zero variance where it has 2 or more (every patient's value the
    same: a standard deviation of 0); where both happen, which visits each holds (`months`, each row's
    visit month: "fewer than 2 patients at month 12; zero variance (...) at months 1, 3 and 6"), else that
    some points have one and the others the other (review 17, finding 9: 3 patients an arm read "fewer
    than 2 patients", then "fewer than 2 patients, or zero variance")."""
    if low.notna().any():
        return f"and {name}"
    counts = pd.to_numeric(n, errors="coerce") if n is not None else None
    if counts is None or not len(counts) or not (counts >= 2).any():
        return f"({name} not computable: fewer than 2 patients)"
    if (counts >= 2).all():
        return f"({name} not computable: {ZERO_VARIANCE})"
    enough = (counts >= 2).to_numpy()
    if months is None:
        return f"({name} not computable: fewer than 2 patients at some points, zero variance at the others)"
    few, flat = (_months(months[mask]) for mask in (~enough, enough))
    flat_words = "zero variance (every patient's value the same)"
    return f"({name} not computable: fewer than 2 patients at {few}; {flat_words} at {flat})"


def _months(months: pd.Series) -> str:
    """'month 12', 'months 1, 3 and 6' (each month once, in order)."""
    found = [f"{m:g}" for m in sorted({float(m) for m in months})]
    if len(found) == 1:
        return f"month {found[0]}"
    return f"months {', '.join(found[:-1])} and {found[-1]}"


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


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
