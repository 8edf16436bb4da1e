"""An unexpected exception on any page ends in a short message with a reference id; the traceback
goes to the server log, and no SQL, file path or stack frame reaches the browser."""

import logging
import re

import duckdb
import pytest

from pts_explorer import charts, db
from pts_explorer.config import DATA_PAGES
from tests.app.test_pages import _texts

LEAKS = re.compile(r"SELECT|FROM |Traceback|File \"|/work/|/data/|\.py\b|\.sql\b|[Dd]uck[Dd][Bb]|Binder")


def test_a_failing_chart_shows_a_reference_and_logs_the_traceback(app_on, small_db, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ValueError("plotly refused: /secret/path/model.py line 3")

    monkeypatch.setattr(charts, "trajectory_figure", broken)
    at = app_on(small_db).run()
    with caplog.at_level(logging.ERROR, logger="pts_explorer"):
        at.switch_page("app_pages/trajectories.py").run()
    assert not at.exception
    (message,) = [e.value for e in at.error]
    reference = re.search(r"reference (E-[0-9A-F]{8})", message).group(1)
    assert not LEAKS.search(message) and "secret" not in message
    assert at.multiselect(key="site").value == []  # the frame (sidebar filters) still works
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert reference in logged and "plotly refused" in caplog.text


@pytest.mark.parametrize("page", [p.name for p in DATA_PAGES])
def test_a_database_error_on_any_page_leaks_no_sql_or_path(app_on, small_db, monkeypatch, page):
    def failing(con, name, params=None):
        raise duckdb.BinderError(f"Binder Error: SELECT secret FROM /data/{name}.sql")

    monkeypatch.setattr(db, "run_query", failing)  # before the first run: nothing is cached
    at = app_on(small_db).run()
    if page != "home":
        at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception
    assert any("Something went wrong" in e.value for e in at.error)
    assert not LEAKS.search(_texts(at)), _texts(at)
