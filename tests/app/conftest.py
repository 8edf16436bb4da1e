"""AppTest fixtures: point the app at a generated database and start every test with cold caches."""

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pts_explorer.config import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(autouse=True)
def fresh_caches():
    # st.cache_data outlives an AppTest run (streamlit#9139), so results would leak between tests.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def workspace_file(tmp_path, monkeypatch):
    """Each test's saved cohorts in a workspace of its own."""
    path = tmp_path / "workspace.sqlite"
    monkeypatch.setenv("PTS_WORKSPACE", str(path))
    return path


@pytest.fixture
def app_on(monkeypatch, workspace_file):
    """Build an AppTest of the entry script on the given database, optionally with URL parameters."""

    def build(db_path, query: dict | None = None) -> AppTest:
        monkeypatch.setenv("PTS_DB", str(db_path))
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        return at

    return build
