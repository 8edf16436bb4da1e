"""The page elements every table and chart goes through: a presented table (its dashes explained,
the Glossary on its headers), a chart with its text alternative (large in presenter mode), both
recorded for the page's exports; and the iliofemoral veins diagram."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st

from pts_explorer import charts, display, escape, glossary, privacy
from pts_explorer.ui import recorder, state


def table(
    frame: pd.DataFrame,
    key: str | None = None,
    note: str | None = None,
    rows: int | None = None,
    title: str | None = None,
) -> None:
    """A presented table, with a footnote for its dashes (values that cannot be computed), and the
    Glossary's words on any header that names a method; `rows`: show that many without scrolling;
    `title`: its heading in the page's report (the page's own heading above it; without one, the
    title recorder.TABLE_TITLES gives its key)."""
    help_by_column = {c: glossary.tip(glossary.COLUMN_TERMS[c]) for c in frame.columns if c in glossary.COLUMN_TERMS}
    config = {c: st.column_config.Column(help=text) for c, text in help_by_column.items()}
    height: int | Literal["auto"] = 35 * (rows + 1) + 3 if rows else "auto"
    recorder.add_table(frame, key, note, title)
    st.dataframe(frame, hide_index=True, key=key, column_config=config, height=height)
    if frame.astype(str).isin([display.DASH]).any().any():
        st.caption(f"{display.DASH} {note or display.NOT_COMPUTABLE}.")


def dash_note(shield: privacy.Protection) -> str:
    """The footnote of a table's dashes when small-cell protection may have made some."""
    if not shield.active:
        return display.NOT_COMPUTABLE
    return f"not shown: fewer than {shield.k} patients (small cells hidden), or {display.NOT_COMPUTABLE}"


def chart(figure: Any, key: str, summary: str) -> None:
    """A chart with its text alternative: the title and a one-line summary, for screen readers;
    large for an audience in presenter mode; collected for the page's exports."""
    if state.presenting():
        figure = charts.presenter_figure(figure)
    recorder.add_chart(figure, key, summary)
    st.plotly_chart(figure, key=key)
    title = figure.layout.title.text or ""
    # The summary names studies and groups (values of the data): text, in HTML inside Markdown.
    text = f"Chart: {escape.html_in_markdown(title)}. {escape.html_in_markdown(summary)}"
    st.markdown(f'<p class="sr-only">{text}</p>', unsafe_allow_html=True)


VEINS_DIAGRAM = Path(__file__).with_name("iliofemoral_veins.svg")


def veins_diagram() -> None:
    """The iliofemoral veins, with the five segments an obstruction site names."""
    # Markdown, not st.html: st.html's sanitizer drops inline SVG.
    st.markdown(f'<figure class="veins">{VEINS_DIAGRAM.read_text()}</figure>', unsafe_allow_html=True)
    st.caption(
        "The iliofemoral veins from the front. Blue: the five segments an obstruction site names; grey: branches "
        "not recorded as sites; red: the right common iliac artery, which can compress the left common iliac vein."
    )
