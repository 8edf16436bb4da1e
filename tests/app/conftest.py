"""AppTest fixtures: point the app at a generated database and start every test with cold caches."""

import functools

import pytest
import streamlit as st
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from pts_explorer.config import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(scope="session", autouse=True)
def components_scanned_once():
    """Each new AppTest scans the metadata of every installed package for Streamlit components (about
    0.4 CPU-s, an eighth of a typical AppTest test); the installed packages do not change during a run,
    so the scan is made once and its result reused. Each AppTest still registers what it found."""
    with pytest.MonkeyPatch.context() as patch:
        scan = functools.cache(manifest_scanner.scan_component_manifests)
        patch.setattr(manifest_scanner, "scan_component_manifests", scan)
        yield


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
