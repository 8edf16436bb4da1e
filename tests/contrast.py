"""WCAG 2 contrast of chart colours, and the colours a plotly figure (as JSON) draws.

The app's charts have a transparent background, so what a colour is seen against is the page:
Streamlit's light theme (white) or its dark theme (#171614), whichever the system asks for (the
app sets no `base`). tests/browser/test_chart_contrast_in_chromium.py reads both off the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

BACKGROUNDS = {"light": "#FFFFFF", "dark": "#171614"}  # Streamlit 1.67's themes, as Chromium shows them
MIN_CONTRAST = 3.0  # WCAG 2.1, 1.4.11 non-text contrast (graphical objects)

_RGB = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)")


def parse(color: str) -> tuple[tuple[int, int, int], float]:
    """(r, g, b) 0-255 and alpha of '#RRGGBB', '#RGB', 'rgb(...)' or 'rgba(...)'."""
    text = color.strip()
    if text.startswith("#") and len(text) in (4, 7):
        digits = text[1:] if len(text) == 7 else "".join(c * 2 for c in text[1:])
        r, g, b = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return (r, g, b), 1.0
    match = _RGB.fullmatch(text)
    if not match:
        raise ValueError(f"not a colour this check reads: {color!r}")
    r, g, b = (round(float(match.group(i))) for i in (1, 2, 3))
    return (r, g, b), float(match.group(4)) if match.group(4) is not None else 1.0


def luminance(color: str) -> float:
    """WCAG relative luminance."""
    channels = []
    for value in parse(color)[0]:
        c = value / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = channels
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Keys whose colours are not data: grid lines, and the figure's own backgrounds (checked apart).
NOT_DATA = {"gridcolor", "paper_bgcolor", "plot_bgcolor", "bgcolor", "zerolinecolor"}


def drawn_colours(figure: dict) -> Iterator[tuple[str, str]]:
    """(where, colour) for every opaque colour a figure's traces, shapes and annotations draw.

    Left out, by design: translucent colours and faint traces (opacity < 1: confidence bands and the
    individual patient lines behind the means, context rather than data), heatmap colour scales
    (each cell prints its value), and grid lines."""

    def walk(node, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in NOT_DATA or key == "colorscale":
                    continue
                if key.endswith("color") and isinstance(value, str):
                    yield f"{where}.{key}", value
                elif key.endswith("color") and isinstance(value, list):
                    yield from ((f"{where}.{key}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))
                else:
                    yield from walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{where}[{i}]")

    for i, trace in enumerate(figure.get("data", [])):
        if trace.get("opacity", 1) < 1 or trace.get("type") == "heatmap":
            continue
        for where, colour in walk(trace, f"data[{i}]({trace.get('name', '')})"):
            if parse(colour)[1] == 1:
                yield where, colour
    layout = figure.get("layout", {})
    for part in ("shapes", "annotations"):
        for where, colour in walk(layout.get(part, []), f"layout.{part}"):
            if parse(colour)[1] == 1:
                yield where, colour


MIN_TEXT_CONTRAST = 4.5  # WCAG 2.1, 1.4.3 contrast (minimum) of text; charts' numbers are text
FONT_KEYS = {"font", "textfont", "insidetextfont", "outsidetextfont", "tickfont"}


def text_colours(figure: dict) -> Iterator[tuple[str, str]]:
    """(where, colour) for every colour a figure sets on text: a trace's printed values (the numbers
    at risk), annotations, titles and ticks. Text given no colour takes the theme's text colour,
    which the browser test reads off the page."""

    def walk(node, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, dict):
            for key, value in node.items():
                # Streamlit's theme replaces the template; a hover label has a box of its own.
                if key in ("template", "hoverlabel"):
                    continue
                if key in FONT_KEYS and isinstance(value, dict) and "color" in value:
                    colours = value["color"] if isinstance(value["color"], list) else [value["color"]]
                    yield from ((f"{where}.{key}.color", c) for c in colours if isinstance(c, str))
                if isinstance(value, dict | list):
                    yield from walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{where}[{i}]")

    for i, trace in enumerate(figure.get("data", [])):
        yield from walk(trace, f"data[{i}]({trace.get('name', '')})")
    yield from walk(figure.get("layout", {}), "layout")
