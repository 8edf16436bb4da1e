"""Draft: the part of plotly's Figure API the chart builders use, on plain dicts, made into a
plotly Figure once (plotly's per-property validation off unless VALIDATE)."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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
