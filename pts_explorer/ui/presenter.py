"""Presenter mode (`present=1`): the page alone for an audience. One compact line states the page,
the cohort, n per arm, the design and whether the data are synthetic; Previous and Next step
through the pages with the same cohort; charts are drawn large; no sidebar, controls or expanders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pts_explorer import vocab
from pts_explorer.config import ANALYSIS_PAGES, PageSpec
from pts_explorer.filters import CohortFilter
from pts_explorer.ui import cohorts, state
from pts_explorer.ui.data import query

STYLESHEET = Path(__file__).with_name("presenter.css")


def style() -> None:
    st.html(STYLESHEET)


def _design(sizes: pd.DataFrame) -> str:
    kinds = set(sizes.design)
    if kinds == {"randomized"}:
        return "randomized"
    if kinds == {"observational"}:
        return "observational"
    return "pooled randomized and observational" if kinds else "no patients"


def _neighbours(spec: PageSpec) -> tuple[PageSpec | None, PageSpec | None]:
    names = [p.name for p in ANALYSIS_PAGES]
    if spec.name not in names:
        return None, ANALYSIS_PAGES[0]
    i = names.index(spec.name)
    return (ANALYSIS_PAGES[i - 1] if i > 0 else None), (ANALYSIS_PAGES[i + 1] if i + 1 < len(names) else None)


def cohort_line(spec: PageSpec, cohort: CohortFilter) -> None:
    """The one line above the page's charts, and the links to move on or leave."""
    sizes = query("cohort_size_by_study_arm", cohort.as_params())
    shield = state.protection()
    by_arm = sizes.groupby("arm").patients.sum().reindex(list(vocab.ARMS), fill_value=0)
    hidden = shield.mask(by_arm.tolist())
    arms = ", ".join(
        f"{shield.count(int(n), h)} {vocab.ARMS[arm].lower()}"
        for (arm, n), h in zip(by_arm.items(), hidden, strict=True)
    )
    info = query("dataset_info").iloc[0]
    synthetic = " · :orange-badge[:material/science: synthetic data]" if bool(info.synthetic) else ""
    protected = f" · small cells hidden (k = {shield.k})" if shield.active else ""
    saved = cohorts.active()
    named = f"**{saved.name}**: " if saved else ""
    note = f"  \n{saved.note}" if saved and saved.note else ""
    previous, following = _neighbours(spec)
    with st.container(key="presenter_line", horizontal=True, vertical_alignment="center", gap="small"):
        st.markdown(
            f"**{spec.title}** · {named}{cohort.describe()} · n = {arms} · {_design(sizes)}{synthetic}{protected}"
            + note,
            width="stretch",
        )
        here = state.url_query()
        if previous:
            st.page_link(previous.script, label=previous.title, icon=":material/arrow_back:", query_params=here)
        if following:
            st.page_link(following.script, label=following.title, icon=":material/arrow_forward:", query_params=here)
        # present=0, not an absent key: the app then writes the address itself (a link to the page
        # one is on loses its query in the browser otherwise).
        leave = {**{k: v for k, v in here.items() if k != "present"}, "present": ["0"]}
        st.page_link(spec.script, label="Exit presenter view", icon=":material/close_fullscreen:", query_params=leave)
