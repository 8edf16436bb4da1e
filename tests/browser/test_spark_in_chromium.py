"""The app itself on Spark (PTS_ENGINE=spark over the demo written as Parquet): Overview and
Trajectories render in Chromium with the same numbers as the app on the DuckDB file."""

import pytest
from playwright.sync_api import Page

from pts_explorer import parquet
from tests.browser.app_driver import first_chart_data, open_page, wait_idle
from tests.browser.conftest import serving
from tests.unit.test_spark import require_spark

# ms: the first visit starts Spark's JVM and plans every query. On a quiet machine that takes about
# 30 s; with both cores busy (stress-ng --cpu 2 beside the suite) it took 204 s once, so the budget
# is generous: every wait ends as soon as the app's run token says the run is over.
SLOW = 600_000


def _shown(page: Page) -> dict:
    metrics = page.get_by_test_id("stMetric")
    values = {}
    for i in range(metrics.count()):
        label = metrics.nth(i).get_by_test_id("stMetricLabel").inner_text().strip()
        values[label] = metrics.nth(i).get_by_test_id("stMetricValue").inner_text().strip()
    tables = page.get_by_test_id("stDataFrame")
    return {"metrics": values, "chart": first_chart_data(page), "tables": tables.count()}


@pytest.fixture(scope="module")
def spark_server(demo_db, tmp_path_factory):
    spark = require_spark()
    folder = tmp_path_factory.mktemp("spark") / "parquet"
    parquet.export(demo_db, folder)
    small_data = " ".join(f"{key}={value}" for key, value in spark.SMALL_DATA.items())
    with serving(folder, env={"PTS_ENGINE": "spark", "PTS_SPARK_CONF": small_data}, timeout=120) as url:
        yield url


@pytest.mark.parametrize("path", ["overview", "trajectories?site=common_iliac&grade=occlusion&scale=change"])
def test_overview_and_trajectories_show_the_same_numbers_on_spark(server, spark_server, page: Page, path):
    open_page(page, f"{server}/{path}")
    on_duckdb = _shown(page)
    page.goto(f"{spark_server}/{path}")
    page.wait_for_selector(".st-key-run_token", state="attached", timeout=SLOW)
    wait_idle(page, timeout=SLOW)
    on_spark = _shown(page)
    assert on_spark == on_duckdb
    assert on_duckdb["chart"] != "[]" and on_duckdb["tables"] >= 1


def _engine_line(page: Page) -> str:
    page.get_by_text("About this dataset").click()
    line = page.get_by_text("Queries run on")
    line.wait_for(state="visible")
    return line.inner_text()


def test_the_dataset_notes_say_which_engine_ran_the_queries(server, spark_server, page: Page):
    open_page(page, f"{server}/overview")
    assert _engine_line(page) == "Queries run on DuckDB (the file's derived tables)."
    page.goto(f"{spark_server}/overview")
    page.wait_for_selector(".st-key-run_token", state="attached", timeout=SLOW)
    wait_idle(page, timeout=SLOW)
    line = _engine_line(page)
    assert line == "Queries run on Spark SQL (tables from parquet), translated from DuckDB's dialect by sqlglot.", line
