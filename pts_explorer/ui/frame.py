"""The frame around every page: settings state, database check, filter panel, notices, and one
URL write at the end of the run (also when a page stops early)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from pts_explorer.ui import filter_panel, notices, state

_PAGE = "_page"


def run(page: Any) -> None:
    """Run `page` (an st.navigation page) inside the shared frame."""
    page_changed = st.session_state.get(_PAGE) not in (None, page.url_path)
    st.session_state[_PAGE] = page.url_path
    state.begin_run(page_changed)
    notices.require_database()
    filter_panel.sidebar_filters()
    notices.run_token()
    notices.dataset_banner()
    changed_settings = st.container()
    try:
        page.run()
    finally:
        state.publish()
        with changed_settings:
            notices.setting_notices()
