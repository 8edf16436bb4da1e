"""AppTest fixtures: point the app at a generated database and start every test with cold caches."""

import copy
import functools
import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit import config as streamlit_config
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

from pts_explorer import db, validation
from pts_explorer.config import PROJECT_ROOT
from tests.conftest import SESSION_FILES

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


@pytest.fixture(scope="session", autouse=True)
def scripts_compiled_once():
    """Each AppTest run makes a new ScriptCache, so app.py and the page were read, rewritten for
    Streamlit's magic and compiled on every run (about a tenth of a page's rerun). A served app
    keeps them in its one ScriptCache across reruns; here the compiled code is kept for the session
    the same way, per file version (path, modification time, size): a script that changes is
    compiled again, one that does not compile raises on every run as before."""
    compiled: dict[tuple[str, int, int, bool], object] = {}
    real = ScriptCache.get_bytecode

    def get_bytecode(self, script_path: str):
        path = os.path.abspath(script_path)
        stat = os.stat(path)
        key = (path, stat.st_mtime_ns, stat.st_size, bool(streamlit_config.get_option("runner.magicEnabled")))
        if key not in compiled:
            compiled[key] = real(self, script_path)
        return compiled[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ScriptCache, "get_bytecode", get_bytecode)
        yield


@pytest.fixture(scope="session", autouse=True)
def session_files_checked_once():
    """Every AppTest starts with cold caches (fresh_caches), so its first run opens the file and checks
    it against the contract (db.open_checked: every block read, every rule run), about 0.3 CPU-s of the
    0.4 a plain page run takes. For the session's generated files (tests/conftest.py SESSION_FILES), which
    are only read, the two checks' outcomes are kept per file version (db.data_version, the app's own
    cache key) and replayed: each test still opens its own connection, gets its own copy of the report
    and runs every query. Any other file (a broken, damaged, hostile or imported one) is checked on every
    open as before; tests/unit/test_validation.py and test_db.py check the checks themselves."""
    validated: dict[tuple[Path, str], validation.Report] = {}
    verified: set[tuple[Path, str]] = set()
    real_validate, real_verify = validation.validate, db.verify_blocks

    def key(path: Path) -> tuple[Path, str] | None:
        path = Path(path).resolve()
        return (path, db.data_version(path)) if path in SESSION_FILES else None

    def validate(con):
        attached = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = $name", {"name": db.ATTACHED}
        ).fetchone()
        file = key(Path(attached[0])) if attached and attached[0] else None
        if file is None:
            return real_validate(con)
        if file not in validated:
            validated[file] = real_validate(con)
        return copy.deepcopy(validated[file])

    def verify_blocks(con, path):
        file = key(path)
        if file is None or file not in verified:
            real_verify(con, path)
        if file is not None:
            verified.add(file)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "validate", validate)
        patch.setattr(db, "verify_blocks", verify_blocks)
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
